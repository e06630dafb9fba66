//! # edgemark-wasm
//!
//! WebAssembly bindings of [EdgeMark](edgemark): find (and embed) invisible watermarks in the
//! browser. Built into an npm package by `wasm/scripts/build.sh`.
//!
//! ```js
//! import init, { Detector } from "edgemark";
//! await init();
//! const detector = new Detector();                 // built-in presets (SDXL)
//! const report = detector.detect(imageData);       // or a Uint8Array of PNG/JPEG bytes
//! report.findings[0].detected;                     // same fields as `edgemark detect --json`
//! ```
//!
//! Errors are thrown as JS `Error`s with a readable message; a panic (none is known) is
//! logged and thrown as an `Error` too, never a silent abort.

#![warn(missing_debug_implementations)]

mod detector;
mod embed;
mod input;
mod keys;
pub mod neural;
pub mod options;
mod overlay;
mod panic;
mod report;
mod types;

pub use detector::WasmDetector;
pub use embed::embed;
pub use overlay::{overlay, overlay_png, trace};
pub use panic::last_panic;

use edgemark::Registry;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Runs when the module is instantiated: installs the panic hook.
#[wasm_bindgen(start)]
pub fn start() {
    panic::install();
}

/// The version of this package (and of the EdgeMark core it contains).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Whether this build carries the ONNX decoders (cargo feature `onnx`).
#[wasm_bindgen(js_name = hasOnnx)]
pub fn has_onnx() -> bool {
    cfg!(feature = "onnx")
}

/// A preset, as `presets()` lists it.
#[derive(Serialize)]
struct PresetInfo {
    name: String,
    description: String,
}

/// The presets: the registry's entries usable without a message (`{name, description}`
/// each).
#[wasm_bindgen(unchecked_return_type = "PresetInfo[]")]
pub fn presets() -> Result<JsValue, JsError> {
    let list: Vec<PresetInfo> = Registry::builtin()
        .entries()
        .iter()
        .filter(|e| e.preset)
        .map(|e| PresetInfo {
            name: e.name.clone(),
            description: e.description.clone(),
        })
        .collect();
    report::to_js(&list)
}

/// A scheme of the registry, as `schemes()` lists it (the keys of `edgemark schemes --json`).
#[derive(Debug, PartialEq, Serialize)]
pub struct SchemeInfo {
    /// `"preset"`, `"scheme"` or `"model"`.
    pub kind: &'static str,
    pub name: String,
    pub description: String,
    /// Payload bits; `None` where the caller chooses.
    pub bits: Option<usize>,
    /// Bits an image carries; `None` where the caller chooses.
    pub code_bits: Option<usize>,
    /// Usable in `presets`.
    pub preset: bool,
    /// Looked for when no option is given.
    pub default: bool,
}

/// Every scheme this package can build by name (the built-in registry; neural models come
/// as `models` with their card).
pub fn scheme_list() -> Vec<SchemeInfo> {
    Registry::builtin()
        .entries()
        .iter()
        .map(|e| SchemeInfo {
            kind: e.kind.group(),
            name: e.name.clone(),
            description: e.description.clone(),
            bits: e.bits,
            code_bits: e.code_bits,
            preset: e.preset,
            default: e.default,
        })
        .collect()
}

/// Every scheme this package can build by name: `{kind, name, description, bits, code_bits,
/// preset, default}` each, as `edgemark schemes --json` lists them.
#[wasm_bindgen(unchecked_return_type = "SchemeInfo[]")]
pub fn schemes() -> Result<JsValue, JsError> {
    report::to_js(&scheme_list())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_list_the_registry_with_presets_flagged() {
        let list = scheme_list();
        let names: Vec<&str> = list.iter().map(|s| s.name.as_str()).collect();
        let mut want = edgemark::DEFAULT_PRESETS.to_vec();
        want.extend(["edgemark-v3", "edgemark-screen", "dwtDct", "dwtDctSvd"]);
        assert_eq!(names, want);
        let v3 = &list[6];
        assert_eq!(
            (v3.kind, v3.bits, v3.code_bits),
            ("scheme", Some(32), Some(127))
        );
        assert!(v3.preset && !v3.default);
        // Every generator preset is a default preset.
        assert!(list[..6].iter().all(|s| s.preset && s.default));
        // The screen overlay: a preset of 32 bits; the classical schemes: any length.
        assert_eq!((list[7].bits, list[7].preset), (Some(32), true));
        assert_eq!((list[8].bits, list[8].preset), (None, false));
    }
}
