//! The `Detector` class: built-in presets, custom classical watermarks and (with the `onnx`
//! feature) neural decoders given as ONNX bytes + model card, run on
//! `ImageData` or encoded bytes, returning the CLI's JSON report as a plain object.

use crate::neural::NeuralModel;
use crate::options::{DetectorOptions, WATERMARK_FIELDS};
use crate::report::to_js;
use crate::{input, keys};
use edgemark::{Limits, Report};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Looks for watermarks in images.
#[wasm_bindgen(js_name = Detector)]
#[derive(Debug)]
pub struct WasmDetector {
    inner: edgemark::Detector,
    limits: Limits,
}

/// One configured watermark, as `Detector.watermarks()` lists it.
#[derive(Serialize)]
struct WatermarkInfo<'a> {
    name: &'a str,
    scheme: &'a str,
    bits: usize,
    message: Option<String>,
}

#[wasm_bindgen(js_class = Detector)]
impl WasmDetector {
    /// A detector for `options` (see `DetectorOptions`); no options: every built-in preset.
    /// Throws on unknown presets or schemes, malformed messages, a bad `fpr`, a corrupt ONNX
    /// decoder or a card that does not match it (or any `models` in a build without `onnx`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "DetectorOptions")] options: Option<JsValue>,
    ) -> Result<WasmDetector, JsError> {
        let options: DetectorOptions = match options {
            Some(v) if !v.is_undefined() && !v.is_null() => {
                keys::check(&v, DetectorOptions::FIELDS, "detector options")
                    .and_then(|()| {
                        keys::check_each(&v, "watermarks", WATERMARK_FIELDS, "watermark")
                    })
                    .and_then(|()| keys::check_each(&v, "models", NeuralModel::FIELDS, "model"))
                    .map_err(|e| JsError::new(&e))?;
                serde_wasm_bindgen::from_value(v)
                    .map_err(|e| JsError::new(&format!("invalid detector options: {e}")))?
            }
            _ => DetectorOptions::default(),
        };
        let watermarks = options.watermarks().map_err(|e| JsError::new(&e))?;
        let mut inner = watermarks
            .into_iter()
            .fold(edgemark::Detector::new(), edgemark::Detector::with);
        if let Some(fpr) = options.fpr {
            inner = inner.with_fpr(fpr)?;
        }
        if let Some(pem) = &options.c2pa_anchors {
            let trust = edgemark::provenance::C2paTrust::bundled().with_anchors(pem)?;
            inner = inner.with_c2pa_trust(trust);
        }
        let mut limits = Limits::default();
        if let Some(max) = options.max_pixels {
            limits.max_pixels = max;
        }
        Ok(WasmDetector {
            inner: inner.with_limits(limits),
            limits,
        })
    }

    /// Detects in `ImageData` (or `{data, width, height}` RGBA), or in encoded bytes
    /// (`Uint8Array` / `ArrayBuffer`: PNG, JPEG, WebP, GIF, BMP, TIFF). Returns a `Report`.
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn detect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImageData | RgbaImage | Uint8Array | ArrayBuffer")]
        image: JsValue,
    ) -> Result<JsValue, JsError> {
        // Encoded files also give their metadata to the report's provenance.
        if let Some(bytes) = input::encoded(&image) {
            let report = self
                .inner
                .detect_bytes(&bytes)
                .map_err(|e| JsError::new(&e.to_string()))?;
            return self.report(&report);
        }
        let image = input::image(&image, &self.limits).map_err(|e| JsError::new(&e))?;
        self.report(&self.inner.detect(&image))
    }

    /// Detects in tightly packed RGBA pixels (`ImageData.data`) of the given size.
    #[wasm_bindgen(js_name = detectRgba, unchecked_return_type = "Report")]
    pub fn detect_rgba(&self, rgba: &[u8], width: u32, height: u32) -> Result<JsValue, JsError> {
        let image = input::rgba(rgba, width, height, &self.limits).map_err(|e| JsError::new(&e))?;
        self.report(&self.inner.detect(&image))
    }

    /// The watermarks looked for: `{name, scheme, bits, message}` each.
    #[wasm_bindgen(unchecked_return_type = "WatermarkInfo[]")]
    pub fn watermarks(&self) -> Result<JsValue, JsError> {
        let list: Vec<WatermarkInfo> = self
            .inner
            .watermarks()
            .iter()
            .map(|w| WatermarkInfo {
                name: w.name(),
                scheme: w.scheme().name(),
                bits: w.scheme().bit_len(),
                message: w.message().map(|m| m.to_hex()),
            })
            .collect();
        to_js(&list)
    }

    /// The theoretical false-positive rate per image, over all the watermarks.
    #[wasm_bindgen(getter)]
    pub fn fpr(&self) -> f64 {
        self.inner.fpr()
    }

    fn report(&self, report: &Report) -> Result<JsValue, JsError> {
        to_js(report)
    }
}
