//! A [`Watermark`]: a scheme, optionally bound to the message it should carry, under a name.
//! Built-in presets live here too.

use crate::error::{Error, Result};
use crate::image::Image;
use crate::payload::Bits;
use crate::scheme::Scheme;
use crate::schemes::{Classic, Convention, EdgemarkV3, EmbedStyle};
use std::sync::Arc;

/// The 48-bit message Stable Diffusion XL embeds (`WATERMARK_MESSAGE` in diffusers' and
/// Stability's code), most significant bit first.
pub const SDXL_MESSAGE: &str = "0xB3EC907BB19E";
const SDXL_MESSAGE_BYTES: [u8; 6] = [0xB3, 0xEC, 0x90, 0x7B, 0xB1, 0x9E];

/// What to look for in an image: a scheme, and the message it should carry when known.
#[derive(Clone, Debug)]
pub struct Watermark {
    name: String,
    scheme: Arc<dyn Scheme>,
    message: Option<Bits>,
}

/// The presets a detector looks for when none is chosen (the CLI's and the npm package's
/// default). `edgemark-v3` is opt-in: its geometric search costs far more than a preset read.
pub const DEFAULT_PRESETS: &[&str] = &["sdxl"];

/// Names [`Watermark::preset`] knows, with one line each.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "sdxl",
        "Stable Diffusion XL: dwtDct, 48 bits 0xB3EC907BB19E, embedded on the float image",
    ),
    (
        "edgemark-v3",
        "EdgeMark's own watermark v3: any 32-bit payload (BCH-coded), read after rescales, rotations, crops and re-encoding; decided without knowing the payload",
    ),
];

impl Watermark {
    /// A scheme bound to a known message (the detector then reports a p-value), or to none
    /// (the detector only reads the bits). For schemes without error correction, a message
    /// with fewer than a quarter ones or a quarter zeros, or made of long runs, is refused
    /// ([`crate::stats::check_message`]).
    pub fn new(
        name: impl Into<String>,
        scheme: impl Scheme + 'static,
        message: Option<Bits>,
    ) -> Result<Watermark> {
        if let Some(m) = &message {
            if m.len() != scheme.bit_len() {
                return Err(Error::message(format!(
                    "message has {} bits, {} carries {}",
                    m.len(),
                    scheme.name(),
                    scheme.bit_len()
                )));
            }
            // Too unbalanced or too regular: blank or smooth content would match it. A scheme
            // with error correction is compared on its code word, which any payload spreads
            // out (and it refuses flat content itself), so every payload is accepted there.
            if scheme.code_len() == scheme.bit_len() {
                crate::stats::check_message(m)?;
            }
        }
        Ok(Watermark {
            name: name.into(),
            scheme: Arc::new(scheme),
            message,
        })
    }

    /// EdgeMark's own watermark v3 ([`EdgemarkV3`]) bound to a 32-bit payload, or to none:
    /// then the detector decides through the scheme's error correction and reports the
    /// payload it finds.
    pub fn edgemark_v3(payload: Option<Bits>) -> Result<Watermark> {
        Watermark::new(EdgemarkV3::NAME, EdgemarkV3::new()?, payload)
    }

    /// A watermark implemented in Rust, by scheme name: `edgemark-v3` (see
    /// [`Watermark::edgemark_v3`]; `bits`, when given, must be 32) or a classical scheme
    /// ([`Classic::by_name`]) bound to `message`, or, with no message, reading `bits` bits
    /// (nothing is then decided). For classical schemes either must be given; when both are,
    /// they must agree. Embedding uses `style` (classical schemes only).
    pub fn classic(
        scheme: &str,
        message: Option<Bits>,
        bits: Option<usize>,
        style: EmbedStyle,
    ) -> Result<Watermark> {
        if scheme.eq_ignore_ascii_case(EdgemarkV3::NAME) {
            if let Some(n) = bits.filter(|&n| n != crate::schemes::V3_PAYLOAD_BITS) {
                return Err(Error::message(format!(
                    "edgemark-v3 carries {} payload bits, not {n}",
                    crate::schemes::V3_PAYLOAD_BITS
                )));
            }
            return Watermark::edgemark_v3(message);
        }
        let n = match (&message, bits) {
            (Some(m), Some(n)) if m.len() != n => {
                return Err(Error::message(format!(
                    "message has {} bits but the bit length is {n}",
                    m.len()
                )))
            }
            (Some(m), _) => m.len(),
            (None, Some(n)) => n,
            (None, None) => {
                return Err(Error::message(format!(
                    "{scheme} needs a message or a bit length"
                )))
            }
        };
        let scheme = Classic::by_name(scheme, n)?.with_embed_style(style);
        Watermark::new(scheme.name().to_string(), scheme, message)
    }

    /// The same watermark under another name.
    pub fn renamed(self, name: impl Into<String>) -> Watermark {
        Watermark {
            name: name.into(),
            ..self
        }
    }

    /// Stable Diffusion XL's watermark: imwatermark's dwtDct with 48 bits `0xB3EC907BB19E`.
    /// Embedding reproduces what the SDXL pipeline does (float image, rounded at the end).
    pub fn sdxl() -> Watermark {
        let scheme = Classic::dwt_dct_48().with_embed_style(EmbedStyle {
            convention: Convention::Float,
            compat: true,
        });
        let message = Bits::from_bytes(&SDXL_MESSAGE_BYTES);
        Watermark {
            name: "sdxl".into(),
            scheme: Arc::new(scheme),
            message: Some(message),
        }
    }

    /// A built-in preset by name (see [`PRESETS`]).
    pub fn preset(name: &str) -> Result<Watermark> {
        match name.to_ascii_lowercase().as_str() {
            "sdxl" => Ok(Watermark::sdxl()),
            "edgemark-v3" => Watermark::edgemark_v3(None),
            _ => Err(Error::config(format!(
                "unknown preset '{name}' (known: {})",
                PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// The name findings are reported under.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The scheme.
    pub fn scheme(&self) -> &dyn Scheme {
        self.scheme.as_ref()
    }
    /// The expected message, when known.
    pub fn message(&self) -> Option<&Bits> {
        self.message.as_ref()
    }

    /// Embeds `message`, or the bound message when `None`.
    pub fn embed(&self, image: &Image, message: Option<&Bits>) -> Result<Image> {
        let m = message.or(self.message.as_ref()).ok_or_else(|| {
            Error::message(format!("{} has no message bound; give one", self.name))
        })?;
        self.scheme.embed(image, m)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn classic_watermarks_by_name_check_message_and_length() {
        let m = Bits::parse("0xA5").unwrap();
        let w = Watermark::classic("DWTDCT", Some(m.clone()), None, EmbedStyle::default()).unwrap();
        assert_eq!((w.name(), w.scheme().bit_len()), ("dwtDct", 8));
        let w = Watermark::classic("dwtDctSvd", None, Some(12), EmbedStyle::default()).unwrap();
        assert_eq!((w.name(), w.scheme().bit_len()), ("dwtDctSvd", 12));
        assert!(w.message().is_none());
        let e = Watermark::classic("dwtDct", Some(m), Some(9), EmbedStyle::default());
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("8 bits but the bit length is 9"));
        let e = Watermark::classic("dwtDct", None, None, EmbedStyle::default());
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("needs a message or a bit length"));
        let e = Watermark::classic("rivaGan", None, Some(8), EmbedStyle::default());
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("unknown scheme 'rivaGan'"));
        assert_eq!(Watermark::sdxl().renamed("x").name(), "x");
    }

    use super::*;

    #[test]
    fn sdxl_preset_carries_the_documented_message() {
        let w = Watermark::sdxl();
        assert_eq!(w.message().map(Bits::to_hex).as_deref(), Some(SDXL_MESSAGE));
        assert_eq!(w.scheme().bit_len(), 48);
        assert_eq!(w.scheme().name(), "dwtDct");
        assert!(Watermark::preset("SDXL").is_ok());
        assert!(Watermark::preset("nope").is_err());
    }
}
