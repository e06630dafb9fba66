//! Rust values to plain JS objects, shaped exactly as `serde_json` writes them for the CLI
//! (`None` becomes `null`, maps become objects).

use serde::Serialize;
use wasm_bindgen::JsError;

/// Serializes like `serde_json` would, into a plain JS value.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<wasm_bindgen::JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("cannot build the result object: {e}")))
}
