//! What JavaScript callers configure, as plain Rust: detector and embedding options
//! deserialized from JS objects, and their translation into EdgeMark [`Watermark`]s.
//!
//! Nothing here touches JavaScript, so it is unit-tested natively.

use crate::neural::NeuralModel;
use edgemark::config::WatermarkSpec;
use edgemark::registry::{Registry, Request};
use edgemark::Watermark;
use serde::Deserialize;

/// Options of `new Detector(options)`. Every field may be left out.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetectorOptions {
    /// Built-in presets to look for. Left out: every preset, unless `watermarks` is given.
    pub presets: Option<Vec<String>>,
    /// Custom watermarks: schemes of the registry (see `schemes()`) with the caller's own
    /// message or bit length.
    pub watermarks: Option<Vec<WatermarkSpec>>,
    /// Neural watermarks: ONNX decoder bytes + model card (builds with the `onnx` feature).
    pub models: Option<Vec<NeuralModel>>,
    /// Theoretical false-positive rate per image, over all the watermarks (default 1e-6).
    pub fpr: Option<f64>,
    /// Largest accepted `width * height` of an encoded image (decompression-bomb guard).
    pub max_pixels: Option<u64>,
    /// Extra trust anchors (PEM certificates) for C2PA signers, on top of the bundled C2PA
    /// trust list (builds with the `c2pa` feature).
    pub c2pa_anchors: Option<String>,
}

/// The fields a JS watermark object may have ([`WatermarkSpec`]'s: the same as the C ABI's
/// and Python's).
pub const WATERMARK_FIELDS: &[&str] = &["scheme", "message", "bits", "name"];

/// Options of `embed(image, options)`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmbedOptions {
    /// A preset with its own message (`sdxl`) or a scheme of the registry (e.g. `dwtDct`).
    pub scheme: String,
    /// The message (required for schemes; presets carry their own).
    pub message: Option<String>,
    /// `clean` (default: higher PSNR) or `compat` (imwatermark's exact pixels).
    pub style: Option<String>,
    /// `uint8` (default) or `float`.
    pub convention: Option<String>,
    /// What to return: `png` (default), `rgba` or `both`.
    pub output: Option<String>,
}

/// Which encodings `embed` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outputs {
    /// PNG bytes.
    pub png: bool,
    /// RGBA pixels, as `ImageData` wants them.
    pub rgba: bool,
}

impl DetectorOptions {
    /// The field names a JS options object may have.
    pub const FIELDS: &'static [&'static str] = &[
        "presets",
        "watermarks",
        "models",
        "fpr",
        "maxPixels",
        "c2paAnchors",
    ];

    /// The watermarks these options ask for, in order: presets first, then custom ones,
    /// then neural models; nothing asked for: the default presets (the registry's rule).
    pub fn watermarks(&self) -> Result<Vec<Watermark>, String> {
        let custom = self
            .watermarks
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|w| w.request().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, String>>()?;
        let models = self
            .models
            .as_deref()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, m)| m.watermark().map_err(|e| format!("models[{i}]: {e}")))
            .collect::<Result<Vec<_>, String>>()?;
        Registry::builtin()
            .select(self.presets.as_deref(), &custom, models)
            .map_err(|e| e.to_string())
    }
}

impl EmbedOptions {
    /// The field names a JS embed-options object may have.
    pub const FIELDS: &'static [&'static str] =
        &["scheme", "message", "style", "convention", "output"];

    /// The watermark to write, as `edgemark embed` would build it.
    pub fn watermark(&self) -> Result<Watermark, String> {
        let request = Request::new()
            .parse_message(self.message.as_deref())
            .and_then(|r| r.parse_style(self.style.as_deref(), self.convention.as_deref()))
            .map_err(|e| e.to_string())?;
        Registry::builtin()
            .for_embedding(&self.scheme, &request)
            .map_err(|e| e.to_string())
    }

    /// Which encodings to return.
    pub fn outputs(&self) -> Result<Outputs, String> {
        match self.output.as_deref().unwrap_or("png") {
            "png" => Ok(Outputs {
                png: true,
                rgba: false,
            }),
            "rgba" => Ok(Outputs {
                png: false,
                rgba: true,
            }),
            "both" => Ok(Outputs {
                png: true,
                rgba: true,
            }),
            other => Err(format!(
                "output must be 'png', 'rgba' or 'both', not '{other}'"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector(json: &str) -> DetectorOptions {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn empty_options_mean_every_preset() {
        let w = DetectorOptions::default().watermarks().unwrap();
        let names: Vec<&str> = w.iter().map(Watermark::name).collect();
        assert_eq!(names, edgemark::DEFAULT_PRESETS);
    }

    #[test]
    fn custom_watermarks_replace_the_default_presets() {
        let o = detector(r#"{"watermarks":[{"scheme":"dwtDctSvd","message":"text:hi"}]}"#);
        let w = o.watermarks().unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].name(), "dwtDctSvd");
        assert_eq!(w[0].scheme().bit_len(), 16);
        assert_eq!(w[0].message().unwrap().to_hex(), "0x6869");
    }

    #[test]
    fn presets_and_custom_combine_in_order() {
        let o = detector(
            r#"{"presets":["SDXL"],"watermarks":[{"scheme":"dwtdct","bits":32,"name":"mine"}]}"#,
        );
        let w = o.watermarks().unwrap();
        let names: Vec<&str> = w.iter().map(Watermark::name).collect();
        assert_eq!(names, ["sdxl", "mine"]);
        assert!(w[1].message().is_none());
        assert_eq!(w[1].scheme().bit_len(), 32);
    }

    #[test]
    fn bad_options_explain_themselves() {
        let e = detector(r#"{"presets":["nope"]}"#)
            .watermarks()
            .unwrap_err();
        assert!(e.contains("unknown preset 'nope'"), "{e}");
        let e = detector(r#"{"watermarks":[{"scheme":"rivaGan","bits":32}]}"#)
            .watermarks()
            .unwrap_err();
        assert!(e.contains("unknown scheme 'rivaGan'"), "{e}");
        let e = detector(r#"{"watermarks":[{"scheme":"dwtDct"}]}"#)
            .watermarks()
            .unwrap_err();
        assert!(e.contains("needs a message or a bit length"), "{e}");
        let e = detector(r#"{"watermarks":[{"scheme":"dwtDct","message":"0xAB","bits":9}]}"#)
            .watermarks()
            .unwrap_err();
        assert!(e.contains("8 bits but the bit length is 9"), "{e}");
        assert!(detector(r#"{"presets":[]}"#).watermarks().is_err());
        assert!(serde_json::from_str::<DetectorOptions>(r#"{"fpt":0.1}"#).is_err());
    }

    #[test]
    fn field_lists_match_what_serde_reads() {
        for f in DetectorOptions::FIELDS {
            serde_json::from_str::<DetectorOptions>(&format!("{{\"{f}\":null}}")).unwrap();
        }
        let with_scheme = |f: &str| match f {
            "scheme" => r#"{"scheme":"dwtDct"}"#.to_string(),
            _ => format!("{{\"scheme\":\"dwtDct\",\"{f}\":null}}"),
        };
        for f in WATERMARK_FIELDS {
            let json = with_scheme(f);
            serde_json::from_str::<WatermarkSpec>(&json).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
        for f in EmbedOptions::FIELDS {
            let json = with_scheme(f);
            serde_json::from_str::<EmbedOptions>(&json).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
    }

    #[test]
    fn embed_options_follow_the_cli() {
        let e: EmbedOptions = serde_json::from_str(r#"{"scheme":"sdxl"}"#).unwrap();
        assert_eq!(e.watermark().unwrap().name(), "sdxl");
        let e: EmbedOptions =
            serde_json::from_str(r#"{"scheme":"sdxl","message":"0xAB"}"#).unwrap();
        assert!(e.watermark().unwrap_err().contains("fixes its message"));
        let e: EmbedOptions = serde_json::from_str(r#"{"scheme":"dwtDct"}"#).unwrap();
        assert!(e.watermark().unwrap_err().contains("needs a message"));
        let e: EmbedOptions = serde_json::from_str(
            r#"{"scheme":"dwtDct","message":"0xB3EC","style":"compat","convention":"float","output":"both"}"#,
        )
        .unwrap();
        let w = e.watermark().unwrap();
        assert_eq!(w.scheme().bit_len(), 16);
        assert_eq!(
            e.outputs().unwrap(),
            Outputs {
                png: true,
                rgba: true
            }
        );
        let e: EmbedOptions =
            serde_json::from_str(r#"{"scheme":"dwtDct","message":"0xB3EC","style":"x"}"#).unwrap();
        assert!(e.watermark().unwrap_err().contains("style must be"));
    }
}
