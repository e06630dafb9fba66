//! Model cards: what a neural watermark model expects and returns, written next to the model
//! (`models/<name>/card.toml`), so that adding a model needs no code change.
//!
//! ```toml
//! name = "rivagan"
//! bits = 32
//!
//! [input]
//! layout = "NC1HW"      # one letter per axis: N batch, C channels, H, W, 1 a unit axis
//! colour = "bgr"        # rgb | bgr
//! width = 256
//! height = 256
//! fit = "center_crop"   # center_crop | resize | native
//! filter = "triangle"   # for fit = "resize": nearest | triangle | catmull_rom | lanczos3
//! scale = 127.5         # value = pixel / scale + offset
//! offset = -1.0
//!
//! [decoder]
//! file = "rivagan_decoder.onnx"
//! input = "frame"
//! output = "output"
//! kind = "logits"       # logits | probabilities
//! threshold = 0.52
//!
//! [encoder]             # optional
//! file = "rivagan_encoder.onnx"
//! image_input = "frame"
//! message_input = "data"
//! output = "output"
//! ```

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// A model card. Parse it with [`ModelCard::from_toml`], [`ModelCard::from_json`] or
/// [`ModelCard::load`]; every constructor validates it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ModelCard {
    /// Short name findings are reported under (e.g. `"rivagan"`).
    pub name: String,
    /// One line about the model and where it comes from.
    #[serde(default)]
    pub description: String,
    /// Other names [`crate::registry::Registry`] accepts for the model (e.g. `["hidden48"]`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Bits one image carries.
    pub bits: usize,
    /// Error correction applied on top of the raw bits. Only `"none"` is implemented.
    #[serde(default = "default_ecc")]
    pub ecc: String,
    /// How pixels become the input tensor.
    pub input: InputSpec,
    /// The decoder (image -> bits).
    pub decoder: DecoderSpec,
    /// The encoder (image + bits -> image), when the model ships one.
    #[serde(default)]
    pub encoder: Option<EncoderSpec>,
}

fn default_ecc() -> String {
    "none".into()
}

/// Colour order of the channel axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Colour {
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red (OpenCV).
    Bgr,
}

/// How an image of any size is brought to the model's input size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fit {
    /// Take the central `width x height` window at native resolution (smaller images are
    /// read whole, at their own size).
    CenterCrop,
    /// Resize the whole image to `width x height` with [`InputSpec::filter`].
    Resize,
    /// Feed the whole image at its own size (fully convolutional models).
    Native,
}

/// Resampling filter for [`Fit::Resize`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Filter {
    /// Nearest neighbour.
    Nearest,
    /// Bilinear.
    Triangle,
    /// Bicubic (Catmull-Rom).
    CatmullRom,
    /// Lanczos with window 3.
    Lanczos3,
}

/// The image input of a model.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct InputSpec {
    /// Axis order of the input tensor, one letter per axis: `N` batch, `C` channels, `H`
    /// rows, `W` columns, `1` a unit axis (e.g. `"NCHW"`, `"NHWC"`, `"NC1HW"`).
    pub layout: String,
    /// Colour order of the channel axis.
    pub colour: Colour,
    /// Input width in pixels.
    pub width: u32,
    /// Input height in pixels.
    pub height: u32,
    /// How other sizes are brought to `width x height`.
    pub fit: Fit,
    /// Resampling filter for [`Fit::Resize`] (and for the decoder's extra
    /// [`DecoderSpec::scales`]).
    #[serde(default = "default_filter")]
    pub filter: Filter,
    /// For [`Fit::CenterCrop`] and [`Fit::Native`]: the window's sides are cut down (about
    /// the centre) to a multiple of this, for decoders that need one (e.g. a tile period).
    /// Default 1.
    #[serde(default = "default_multiple")]
    pub multiple_of: u32,
    /// Normalization: `value = pixel / scale + offset` (pixel in 0..=255).
    pub scale: f32,
    /// See [`InputSpec::scale`].
    pub offset: f32,
}

fn default_filter() -> Filter {
    Filter::Triangle
}

fn default_multiple() -> u32 {
    1
}

fn default_scales() -> Vec<f32> {
    crate::search::NATIVE.scales()
}

/// What the decoder's output values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutputKind {
    /// Unbounded scores; bit = 1 when above the threshold (soft bit: logistic of the margin).
    Logits,
    /// Probabilities in `[0, 1]`; bit = 1 when above the threshold.
    Probabilities,
}

/// The decoder model.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DecoderSpec {
    /// ONNX file, relative to the card.
    pub file: String,
    /// Name of the image input (checked against the model).
    pub input: String,
    /// Name of the bits output (checked against the model).
    pub output: String,
    /// What the output values are.
    pub kind: OutputKind,
    /// Decision threshold on the output values.
    pub threshold: f32,
    /// Scales the image is read at (each gives one reading; the detector corrects the
    /// p-value for their number). Default [`crate::search::NATIVE`] (`[1.0]`); EdgeMark's
    /// learned models use [`crate::search::LEARNED_TILED`]. A scale `s` reads the central
    /// `width/s x height/s` region resized by `s` with [`InputSpec::filter`]: `2.0` undoes a
    /// downscale by half. Not for [`Fit::Resize`].
    #[serde(default = "default_scales")]
    pub scales: Vec<f32>,
    /// For [`Fit::CenterCrop`] at scale 1: how much of the image is read, in windows of the
    /// input size (default 1: the central window). With `n` > 1, an image of at most `n`
    /// windows' area is read whole in one run (for a fully convolutional decoder that averages
    /// over space, such as RivaGAN's, exactly what the model's own code reads); a larger one
    /// through a grid of at most `n` windows spread evenly over it, their raw outputs
    /// averaged. The cost grows with the area read. At most 64.
    #[serde(default = "default_windows")]
    pub windows: u32,
}

fn default_windows() -> u32 {
    1
}

/// How the message is given to the encoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MessageCoding {
    /// Bits as 0.0 / 1.0.
    Binary,
    /// Bits as -1.0 / +1.0.
    Signed,
}

/// How the encoder's output becomes 8-bit pixels again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Quantize {
    /// Truncate toward zero (numpy `astype(uint8)`, what imwatermark does).
    Truncate,
    /// Round to nearest.
    Round,
}

/// The encoder model.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EncoderSpec {
    /// ONNX file, relative to the card.
    pub file: String,
    /// Name of the image input.
    pub image_input: String,
    /// Name of the message input.
    pub message_input: String,
    /// Name of the watermarked image output (same layout and normalization as the input,
    /// clamped to the normalized range of 0..=255).
    pub output: String,
    /// How bits are given.
    #[serde(default = "default_coding")]
    pub message: MessageCoding,
    /// How output values become pixels.
    #[serde(default = "default_quantize")]
    pub quantize: Quantize,
    /// How the image is fed: [`Fit::Native`] (whole image) or [`Fit::CenterCrop`] (only the
    /// central window is marked). [`Fit::Resize`] is not supported for embedding.
    #[serde(default = "default_encoder_fit")]
    pub fit: Fit,
}

fn default_coding() -> MessageCoding {
    MessageCoding::Binary
}
fn default_quantize() -> Quantize {
    Quantize::Round
}
fn default_encoder_fit() -> Fit {
    Fit::Native
}

fn model_err(msg: impl std::fmt::Display) -> Error {
    Error::model(msg)
}

impl ModelCard {
    /// Parses and validates a TOML card.
    pub fn from_toml(text: &str) -> Result<ModelCard> {
        let card: ModelCard = toml::from_str(text)
            .map_err(|e| Error::model_from(format!("invalid model card: {e}"), e))?;
        card.validate()?;
        Ok(card)
    }

    /// Parses and validates a JSON card.
    pub fn from_json(text: &str) -> Result<ModelCard> {
        let card: ModelCard = serde_json::from_str(text)
            .map_err(|e| Error::model_from(format!("invalid model card: {e}"), e))?;
        card.validate()?;
        Ok(card)
    }

    /// Parses and validates a card given as text: JSON when it starts with `{`, TOML
    /// otherwise.
    pub fn from_text(text: &str) -> Result<ModelCard> {
        let text = text.trim_start();
        if text.starts_with('{') {
            ModelCard::from_json(text)
        } else {
            ModelCard::from_toml(text)
        }
    }

    /// Reads a card file (`.json` is parsed as JSON, anything else as TOML).
    pub fn load(path: impl AsRef<Path>) -> Result<ModelCard> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let parsed = if path.extension().is_some_and(|e| e == "json") {
            ModelCard::from_json(&text)
        } else {
            ModelCard::from_toml(&text)
        };
        // Name the file in the message; the source stays the parser's error.
        parsed.map_err(|e| match e {
            Error::Model { message, source } => Error::Model {
                message: format!("{}: {message}", path.display()),
                source,
            },
            other => other,
        })
    }

    /// Checks the values that serde cannot.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(model_err("model card: name is empty"));
        }
        if self.aliases.iter().any(|a| a.trim().is_empty()) {
            return Err(model_err(format!(
                "model card {}: an alias is empty",
                self.name
            )));
        }
        if self.bits == 0 || self.bits > 4096 {
            return Err(model_err(format!(
                "model card {}: bits = {} must be in 1..=4096",
                self.name, self.bits
            )));
        }
        if self.ecc != "none" {
            return Err(model_err(format!(
                "model card {}: ecc '{}' is not supported (only \"none\")",
                self.name, self.ecc
            )));
        }
        self.input.axes()?;
        let i = &self.input;
        if i.width == 0 || i.height == 0 || i.width > 8192 || i.height > 8192 {
            return Err(model_err(format!(
                "model card {}: input size {}x{} must be in 1..=8192",
                self.name, i.width, i.height
            )));
        }
        if !(i.scale.is_finite() && i.scale != 0.0 && i.offset.is_finite()) {
            return Err(model_err(format!(
                "model card {}: normalization scale must be finite and non-zero, offset finite",
                self.name
            )));
        }
        if i.multiple_of == 0 || i.multiple_of > i.width.min(i.height) {
            return Err(model_err(format!(
                "model card {}: multiple_of = {} must be in 1..={}",
                self.name,
                i.multiple_of,
                i.width.min(i.height)
            )));
        }
        let scales = &self.decoder.scales;
        if scales.is_empty()
            || scales.len() > 8
            || scales
                .iter()
                .any(|s| !(s.is_finite() && (0.1..=10.0).contains(s)))
        {
            return Err(model_err(format!(
                "model card {}: decoder scales {scales:?} must be 1 to 8 values in 0.1..=10",
                self.name
            )));
        }
        if !(1..=64).contains(&self.decoder.windows)
            || (self.decoder.windows > 1 && i.fit != Fit::CenterCrop)
        {
            return Err(model_err(format!(
                "model card {}: decoder windows = {} must be 1, or up to 64 with fit = \"center_crop\"",
                self.name, self.decoder.windows
            )));
        }
        if i.fit == Fit::Resize && scales.as_slice() != [1.0] {
            return Err(model_err(format!(
                "model card {}: decoder scales need fit = \"center_crop\" or \"native\"",
                self.name
            )));
        }
        if !self.decoder.threshold.is_finite() {
            return Err(model_err(format!(
                "model card {}: decoder threshold must be finite",
                self.name
            )));
        }
        if let Some(e) = &self.encoder {
            if e.fit == Fit::Resize {
                return Err(model_err(format!(
                    "model card {}: encoder fit = \"resize\" is not supported",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

/// One axis of the input layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Axis {
    Batch,
    Channel,
    Height,
    Width,
    Unit,
}

impl InputSpec {
    /// The layout as axes; every one of `N`, `C`, `H`, `W` exactly once.
    pub(crate) fn axes(&self) -> Result<Vec<Axis>> {
        let axes: Vec<Axis> = self
            .layout
            .chars()
            .map(|c| match c.to_ascii_uppercase() {
                'N' => Ok(Axis::Batch),
                'C' => Ok(Axis::Channel),
                'H' => Ok(Axis::Height),
                'W' => Ok(Axis::Width),
                '1' => Ok(Axis::Unit),
                other => Err(model_err(format!(
                    "input layout '{}': unknown axis '{other}' (use N, C, H, W, 1)",
                    self.layout
                ))),
            })
            .collect::<Result<_>>()?;
        for a in [Axis::Batch, Axis::Channel, Axis::Height, Axis::Width] {
            if axes.iter().filter(|&&x| x == a).count() != 1 {
                return Err(model_err(format!(
                    "input layout '{}' must name each of N, C, H, W exactly once",
                    self.layout
                )));
            }
        }
        Ok(axes)
    }

    /// The input tensor shape for an image of `w x h` pixels, batch `n`.
    pub(crate) fn shape(&self, n: usize, w: usize, h: usize) -> Result<Vec<usize>> {
        Ok(self
            .axes()?
            .iter()
            .map(|a| match a {
                Axis::Batch => n,
                Axis::Channel => 3,
                Axis::Height => h,
                Axis::Width => w,
                Axis::Unit => 1,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = r#"
name = "toy"
bits = 16
[input]
layout = "NHWC"
colour = "rgb"
width = 64
height = 32
fit = "resize"
scale = 255.0
offset = 0.0
[decoder]
file = "toy.onnx"
input = "x"
output = "y"
kind = "probabilities"
threshold = 0.5
"#;

    #[test]
    fn parses_toml_and_json_alike() {
        let t = ModelCard::from_toml(CARD).unwrap();
        assert_eq!(t.bits, 16);
        assert_eq!(t.input.fit, Fit::Resize);
        assert_eq!(t.input.filter, Filter::Triangle);
        assert_eq!(t.input.shape(1, 64, 32).unwrap(), vec![1, 32, 64, 3]);
        assert!(t.encoder.is_none());
        let j = r#"{"name":"toy","bits":16,"input":{"layout":"NHWC","colour":"rgb","width":64,
            "height":32,"fit":"resize","scale":255.0,"offset":0.0},"decoder":{"file":"toy.onnx",
            "input":"x","output":"y","kind":"probabilities","threshold":0.5}}"#;
        assert_eq!(ModelCard::from_json(j).unwrap(), t);
        assert_eq!(
            (t.input.multiple_of, t.decoder.scales.clone()),
            (1, vec![1.0])
        );
        let tiled = CARD
            .replace(
                "fit = \"resize\"",
                "fit = \"center_crop\"\nmultiple_of = 16",
            )
            .replace("threshold = 0.5", "threshold = 0.5\nscales = [1.0, 2.0]");
        let t = ModelCard::from_toml(&tiled).unwrap();
        assert_eq!(
            (t.input.multiple_of, t.decoder.scales),
            (16, vec![1.0, 2.0])
        );
    }

    #[test]
    fn rejects_bad_cards_with_model_errors() {
        for (from, to, needle) in [
            ("bits = 16", "bits = 0", "bits"),
            ("NHWC", "NHWCC", "exactly once"),
            ("NHWC", "NHW", "exactly once"),
            ("width = 64", "width = 0", "input size"),
            ("scale = 255.0", "scale = 0.0", "scale"),
            ("fit = \"resize\"", "fit = \"stretch\"", "fit"),
            ("name = \"toy\"", "name = \"toy\"\nextra = 1", "extra"),
            ("threshold = 0.5", "threshold = nan", "threshold"),
            ("bits = 16", "bits = 16\naliases = [\" \"]", "alias"),
            (
                "offset = 0.0",
                "offset = 0.0\nmultiple_of = 0",
                "multiple_of",
            ),
            (
                "offset = 0.0",
                "offset = 0.0\nmultiple_of = 33",
                "multiple_of",
            ),
            ("threshold = 0.5", "threshold = 0.5\nscales = []", "scales"),
            (
                "threshold = 0.5",
                "threshold = 0.5\nscales = [0.0]",
                "scales",
            ),
            (
                "threshold = 0.5",
                "threshold = 0.5\nscales = [1.0, inf]",
                "scales",
            ),
            // Extra scales need a native-resolution window, not a resize.
            (
                "threshold = 0.5",
                "threshold = 0.5\nscales = [1.0, 2.0]",
                "scales",
            ),
            // So do several windows; and 1 to 64 of them.
            ("threshold = 0.5", "threshold = 0.5\nwindows = 4", "windows"),
        ] {
            let text = CARD.replacen(from, to, 1);
            match ModelCard::from_toml(&text) {
                Err(Error::Model { message: m, .. }) => assert!(m.contains(needle), "{to}: {m}"),
                other => panic!("{to}: expected a model error, got {other:?}"),
            }
        }
    }

    #[test]
    fn windows_are_1_to_64_with_center_crop() {
        let crop = CARD.replacen("fit = \"resize\"", "fit = \"center_crop\"", 1);
        for (n, ok) in [(0, false), (1, true), (16, true), (64, true), (65, false)] {
            let text = crop.replacen(
                "threshold = 0.5",
                &format!("threshold = 0.5\nwindows = {n}"),
                1,
            );
            assert_eq!(ModelCard::from_toml(&text).is_ok(), ok, "windows = {n}");
        }
        assert_eq!(ModelCard::from_toml(&crop).unwrap().decoder.windows, 1);
    }

    #[test]
    fn parse_errors_keep_the_parser_error_as_source() {
        use std::error::Error as _;
        let e = ModelCard::from_toml("name = ").unwrap_err();
        assert!(matches!(e, Error::Model { .. }), "{e:?}");
        let source = e.source().expect("the TOML error");
        assert!(
            source.downcast_ref::<toml::de::Error>().is_some(),
            "{source:?}"
        );
        let e = ModelCard::from_json("{").unwrap_err();
        let source = e.source().expect("the JSON error");
        assert!(
            source.downcast_ref::<serde_json::Error>().is_some(),
            "{source:?}"
        );
        // A broken ONNX file: tract's error is the source, its text is in the message.
        let e = super::super::OnnxModel::from_bytes("toy", b"not a protobuf").unwrap_err();
        assert!(matches!(e, Error::Model { .. }), "{e:?}");
        let source = e.source().expect("tract's error");
        assert!(
            e.to_string().contains(&source.to_string()),
            "{e} / {source}"
        );
    }
}
