//! A [`Watermark`]: a scheme, optionally bound to the message it should carry, under a name.
//! The built-in presets' constructors live here too; [`crate::registry`] lists them.

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

/// The presets a detector looks for when none is chosen (the CLI's, the npm package's and
/// the C ABI's default; [`crate::registry::Registry::select`] applies it). `edgemark-v3` is
/// opt-in: its geometric search costs far more than a preset read. The presets themselves
/// are listed by [`crate::registry::Registry`].
pub const DEFAULT_PRESETS: &[&str] = &["sdxl"];

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

    /// A built-in preset by name: shorthand for
    /// [`Registry::builtin().preset(name)`](crate::registry::Registry::preset).
    pub fn preset(name: &str) -> Result<Watermark> {
        crate::registry::Registry::builtin().preset(name)
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
