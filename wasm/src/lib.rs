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
mod panic;
mod report;
mod types;

pub use detector::WasmDetector;
pub use embed::embed;
pub use panic::last_panic;

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

#[derive(Serialize)]
struct PresetInfo {
    name: &'static str,
    description: &'static str,
}

/// The built-in presets: `{name, description}` each.
#[wasm_bindgen(unchecked_return_type = "PresetInfo[]")]
pub fn presets() -> Result<JsValue, JsError> {
    let list: Vec<PresetInfo> = edgemark::PRESETS
        .iter()
        .map(|&(name, description)| PresetInfo { name, description })
        .collect();
    report::to_js(&list)
}
