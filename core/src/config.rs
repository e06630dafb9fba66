//! Configurations as the bindings take them (the C ABI's JSON, Python's keyword arguments,
//! the npm package's option objects): which watermarks to look for or write, named through
//! the [`Registry`]. Plain serde types, so each binding reads them from its own format and all
//! of them resolve names, messages and models the same way.
//!
//! ```
//! use edgemark::config::DetectorConfig;
//!
//! let config: DetectorConfig = serde_json::from_str(r#"{
//!     "presets": ["sdxl"],
//!     "watermarks": ["edgemark-v3", {"scheme": "dwtDct", "message": "text:EdgeMark", "name": "mine"}],
//!     "fpr": 1e-9
//! }"#)?;
//! let detector = config.build(Vec::new())?;
//! let names: Vec<&str> = detector.watermarks().iter().map(|w| w.name()).collect();
//! assert_eq!(names, ["sdxl", "edgemark-v3", "mine"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::detector::{Detector, DEFAULT_FPR};
use crate::error::{Error, Result};
use crate::image::Limits;
use crate::registry::{Registry, Request};
use crate::watermark::Watermark;
use serde::Deserialize;
use std::path::PathBuf;

/// A scheme of the registry with the caller's message or bit length: the CLI's `--scheme`,
/// an entry of the npm package's `watermarks`, a dict of Python's, an object of the C ABI's
/// configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WatermarkSpec {
    /// A name the registry knows (`edgemark schemes`), e.g. `dwtDct`, `edgemark-v3`.
    pub scheme: String,
    /// Expected message: `0xHEX`, `bits:0101...`, `text:...` or bare hex; gives a p-value.
    #[serde(default)]
    pub message: Option<String>,
    /// Bit length when no message is known (bits are read, nothing is decided).
    #[serde(default)]
    pub bits: Option<usize>,
    /// Name findings are reported under (default: the scheme's name).
    #[serde(default)]
    pub name: Option<String>,
}

impl WatermarkSpec {
    /// The scheme `scheme` with nothing else asked.
    pub fn new(scheme: impl Into<String>) -> WatermarkSpec {
        WatermarkSpec {
            scheme: scheme.into(),
            ..WatermarkSpec::default()
        }
    }

    /// Sets the message text.
    pub fn with_message(mut self, message: Option<String>) -> WatermarkSpec {
        self.message = message;
        self
    }

    /// Sets the bit length.
    pub fn with_bits(mut self, bits: Option<usize>) -> WatermarkSpec {
        self.bits = bits;
        self
    }

    /// Sets the name findings are reported under.
    pub fn with_name(mut self, name: Option<String>) -> WatermarkSpec {
        self.name = name;
        self
    }

    /// The scheme's name and the request for [`Registry::select`] (the message parsed).
    pub fn request(&self) -> Result<(String, Request)> {
        let request = Request::new()
            .parse_message(self.message.as_deref())?
            .bits(self.bits)
            .named(self.name.clone());
        Ok((self.scheme.clone(), request))
    }
}

/// One entry of [`DetectorConfig::watermarks`]: a scheme's name alone (`"edgemark-v3"`), or
/// a [`WatermarkSpec`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatermarkEntry {
    /// A name: the scheme with its defaults.
    Name(String),
    /// A scheme with a message, bit length or name.
    Spec(WatermarkSpec),
}

/// A string is a [`WatermarkEntry::Name`], an object a [`WatermarkSpec`] (whose own errors,
/// e.g. an unknown field, are kept).
impl<'de> Deserialize<'de> for WatermarkEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Entry;
        impl<'de> serde::de::Visitor<'de> for Entry {
            type Value = WatermarkEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a scheme's name or {\"scheme\", \"message\", \"bits\", \"name\"}")
            }
            fn visit_str<E: serde::de::Error>(
                self,
                v: &str,
            ) -> std::result::Result<Self::Value, E> {
                Ok(WatermarkEntry::Name(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                WatermarkSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(WatermarkEntry::Spec)
            }
        }
        d.deserialize_any(Entry)
    }
}

impl From<WatermarkSpec> for WatermarkEntry {
    fn from(spec: WatermarkSpec) -> Self {
        WatermarkEntry::Spec(spec)
    }
}

impl WatermarkEntry {
    fn request(&self) -> Result<(String, Request)> {
        match self {
            WatermarkEntry::Name(name) => Ok((name.clone(), Request::new())),
            WatermarkEntry::Spec(spec) => spec.request(),
        }
    }
}

/// What a detector looks for and how it decides. Every field may be left out: nothing at all
/// means the default presets at [`DEFAULT_FPR`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DetectorConfig {
    /// Presets to look for. Left out: every generator preset, unless `watermarks` names
    /// something (the registry's rule, [`Registry::select`]).
    #[serde(default)]
    pub presets: Option<Vec<String>>,
    /// More watermarks to look for, after the presets.
    #[serde(default)]
    pub watermarks: Vec<WatermarkEntry>,
    /// Model cards, model folders or folders of them, whose models `presets` and
    /// `watermarks` may name ([`Registry::with_models_and`]; needs the `onnx` feature).
    #[serde(default)]
    pub models: Vec<PathBuf>,
    /// False-positive rate per image, over all the watermarks (default [`DEFAULT_FPR`]).
    #[serde(default)]
    pub fpr: Option<f64>,
    /// Largest accepted `width * height` of an encoded image or file (default
    /// [`Limits::default`]'s; the detector's limits, [`Detector::with_limits`]).
    #[serde(default)]
    pub max_pixels: Option<u64>,
}

impl DetectorConfig {
    /// The registry the names resolve in: the built-in entries, then `models`, then the
    /// model folders (with the `onnx` feature).
    pub fn registry(&self) -> Result<Registry> {
        #[cfg(feature = "onnx")]
        {
            Registry::with_models_and(&self.models)
        }
        #[cfg(not(feature = "onnx"))]
        {
            if self.models.is_empty() {
                Ok(Registry::builtin())
            } else {
                Err(Error::config(
                    "models need EdgeMark built with its `onnx` feature",
                ))
            }
        }
    }

    /// The watermarks to look for, in order: presets, `watermarks`, then `others` (built by
    /// the caller, e.g. from model bytes).
    pub fn watermarks(&self, others: Vec<Watermark>) -> Result<Vec<Watermark>> {
        let requests = self
            .watermarks
            .iter()
            .map(WatermarkEntry::request)
            .collect::<Result<Vec<_>>>()?;
        self.registry()?
            .select(self.presets.as_deref(), &requests, others)
    }

    /// The limits images are checked against.
    pub fn limits(&self) -> Result<Limits> {
        match self.max_pixels {
            None => Ok(Limits::default()),
            Some(0) => Err(Error::config("max_pixels must be positive")),
            Some(n) => Ok(Limits {
                max_pixels: n,
                ..Limits::default()
            }),
        }
    }

    /// The detector: [`DetectorConfig::watermarks`] (with `others` last), the false-positive
    /// rate and the limits.
    pub fn build(&self, others: Vec<Watermark>) -> Result<Detector> {
        Ok(self
            .watermarks(others)?
            .into_iter()
            .fold(Detector::new(), Detector::with)
            .with_fpr(self.fpr.unwrap_or(DEFAULT_FPR))?
            .with_limits(self.limits()?))
    }
}

/// The watermark to write: a preset (its own message) or a scheme with the caller's message,
/// and for classical schemes how to write it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EmbedConfig {
    /// A preset (`sdxl`) or a scheme of the registry (`edgemark-v3`, `dwtDct`).
    pub scheme: String,
    /// The message (schemes need one; presets carry their own).
    #[serde(default)]
    pub message: Option<String>,
    /// `clean` (default: higher PSNR) or `compat` (imwatermark's exact pixels).
    #[serde(default)]
    pub style: Option<String>,
    /// `uint8` (default) or `float`.
    #[serde(default)]
    pub convention: Option<String>,
    /// Model cards or folders whose models `scheme` may name (`onnx` feature).
    #[serde(default)]
    pub models: Vec<PathBuf>,
}

impl EmbedConfig {
    /// The watermark, as `edgemark embed` builds it ([`Registry::for_embedding`]).
    pub fn watermark(&self) -> Result<Watermark> {
        let request = Request::new()
            .parse_message(self.message.as_deref())?
            .parse_style(self.style.as_deref(), self.convention.as_deref())?;
        let registry = DetectorConfig {
            models: self.models.clone(),
            ..DetectorConfig::default()
        }
        .registry()?;
        registry.for_embedding(&self.scheme, &request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(json: &str) -> T {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn nothing_configured_is_the_default_detector() {
        let d = parse::<DetectorConfig>("{}").build(Vec::new()).unwrap();
        let names: Vec<&str> = d.watermarks().iter().map(|w| w.name()).collect();
        assert_eq!(names, crate::DEFAULT_PRESETS);
        assert_eq!(d.fpr(), DEFAULT_FPR);
    }

    #[test]
    fn names_specs_fpr_and_limits() {
        let c: DetectorConfig = parse(
            r#"{"presets": [], "watermarks": ["v3", {"scheme": "dwtDct", "bits": 32, "name": "x"}],
                "fpr": 1e-3, "max_pixels": 4096}"#,
        );
        let d = c.build(vec![Watermark::sdxl().renamed("extra")]).unwrap();
        let names: Vec<&str> = d.watermarks().iter().map(|w| w.name()).collect();
        assert_eq!(names, ["edgemark-v3", "x", "extra"]);
        assert_eq!(d.fpr(), 1e-3);
        let big = crate::Image::from_rgb(128, 64, vec![0; 128 * 64 * 3]).unwrap();
        let png = big.to_png().unwrap();
        assert!(
            d.detect_bytes(&png).is_err(),
            "8192 pixels > max_pixels 4096"
        );
    }

    #[test]
    fn bad_configurations_say_what_is_wrong() {
        for (json, want) in [
            (r#"{"presets": ["nope"]}"#, "unknown preset"),
            (r#"{"watermarks": ["nope"]}"#, "unknown scheme"),
            (
                r#"{"watermarks": [{"scheme": "dwtDct", "message": "0xZZ"}]}"#,
                "hex",
            ),
            (r#"{"fpr": 2}"#, "false-positive rate"),
            (r#"{"max_pixels": 0}"#, "max_pixels"),
            (r#"{"presets": []}"#, "no watermark"),
        ] {
            let e = parse::<DetectorConfig>(json).build(Vec::new()).unwrap_err();
            assert!(e.to_string().to_lowercase().contains(want), "{json}: {e}");
        }
        // Unknown fields are refused when reading.
        assert!(serde_json::from_str::<DetectorConfig>(r#"{"preset": ["sdxl"]}"#).is_err());
        assert!(serde_json::from_str::<EmbedConfig>(r#"{"scheme": "sdxl", "x": 1}"#).is_err());
        let e = serde_json::from_str::<DetectorConfig>(r#"{"watermarks": [{"schema": "x"}]}"#)
            .unwrap_err();
        assert!(e.to_string().contains("schema"), "{e}");
        assert!(serde_json::from_str::<DetectorConfig>(r#"{"watermarks": [3]}"#).is_err());
    }

    #[test]
    fn embed_config_builds_what_edgemark_embed_builds() {
        let w = parse::<EmbedConfig>(r#"{"scheme": "edgemark-v3", "message": "0xC0FFEE42"}"#)
            .watermark()
            .unwrap();
        assert_eq!(w.name(), "edgemark-v3");
        assert_eq!(
            w.message().map(|m| m.to_hex()).as_deref(),
            Some("0xC0FFEE42")
        );
        let e = parse::<EmbedConfig>(r#"{"scheme": "dwtDct"}"#)
            .watermark()
            .unwrap_err();
        assert!(e.to_string().contains("needs a message"), "{e}");
    }
}
