//! A [`Watermark`]: a scheme, optionally bound to the message it should carry, under a name.
//! The built-in presets' constructors live here too; [`crate::registry`] lists them.

use crate::error::{Error, Result};
use crate::image::Image;
use crate::payload::Bits;
use crate::scheme::Scheme;
use crate::schemes::{ChannelOrder, Classic, Convention, EdgemarkV3, EmbedStyle};
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
/// the C ABI's default; [`crate::registry::Registry::select`] applies it): every open
/// generator watermark ([`GENERATORS`]). They share one analysis of the image, so all of them
/// cost about twice what SDXL's alone did. `edgemark-v3` is opt-in: its geometric search
/// costs far more than a preset read. The presets themselves are listed by
/// [`crate::registry::Registry`].
pub const DEFAULT_PRESETS: &[&str] = &["sdxl", "sd1", "sd1-inpainting", "sd2", "flux", "invokeai"];

/// How a generator hands its message to imwatermark.
#[derive(Clone, Copy, Debug)]
pub(crate) enum GeneratorMessage {
    /// `WatermarkEncoder.set_watermark('bytes', ...)`: the bytes, most significant bit first.
    Bytes(&'static [u8]),
    /// `set_watermark('bits', ...)` with these bits.
    Bits(&'static str),
}

/// A generator's open watermark: imwatermark 0.2.0's dwtDct (scales [0, 36], block 4) with a
/// fixed message, embedded the way the generator's own code does.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Generator {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub message: GeneratorMessage,
    /// The image imwatermark was handed: uint8 (`cv2` BGR from a PIL image) or float32
    /// 0..255.
    pub convention: Convention,
    /// The channel orders and conventions read: the generator's own convention in the BGR
    /// order (marks made on the float image: the uint8 one too), plus a generator's known
    /// mistakes. (Each reading is a try the p-value pays for:
    /// a short message such as SD 2's 32 bits has little to spare.)
    pub reads: &'static [(ChannelOrder, Convention)],
    pub description: &'static str,
}

/// The uint8 image in BGR order.
const UINT8: &[(ChannelOrder, Convention)] = &[(ChannelOrder::Bgr, Convention::Uint8)];
/// The float image in BGR order, and the uint8 one: on some photos a mark made on the float
/// image reads better through the 8-bit arithmetic after a brightness change.
const FLOAT: &[(ChannelOrder, Convention)] = &[
    (ChannelOrder::Bgr, Convention::Float),
    (ChannelOrder::Bgr, Convention::Uint8),
];

/// Every generator watermark EdgeMark recognises, from each project's own code.
pub(crate) const GENERATORS: &[Generator] = &[
    Generator {
        name: "sdxl",
        aliases: &["sdxl-turbo", "svd"],
        message: GeneratorMessage::Bytes(&SDXL_MESSAGE_BYTES),
        convention: Convention::Float,
        // diffusers 0.18-0.27 handed the encoder its float image in RGB order (fixed in 0.28,
        // PR #7013).
        reads: &[
            (ChannelOrder::Bgr, Convention::Float),
            (ChannelOrder::Bgr, Convention::Uint8),
            (ChannelOrder::Rgb, Convention::Float),
        ],
        description: "Stable Diffusion XL, SDXL-Turbo, Stable Video Diffusion (Stability's generative-models sgm/inference/helpers.py; diffusers): dwtDct, 48 bits 0xB3EC907BB19E on the float image, read in both the BGR order and the RGB order diffusers 0.18-0.27 used",
    },
    Generator {
        name: "sd1",
        aliases: &["stable-diffusion-1"],
        message: GeneratorMessage::Bytes(b"StableDiffusionV1"),
        convention: Convention::Uint8,
        reads: UINT8,
        description: "Stable Diffusion 1.x (CompVis scripts/txt2img.py): dwtDct, bytes 'StableDiffusionV1' (136 bits) on the uint8 BGR image",
    },
    Generator {
        name: "sd1-inpainting",
        aliases: &[],
        message: GeneratorMessage::Bytes(b"StableDiffusionV1-Inpainting"),
        convention: Convention::Uint8,
        reads: UINT8,
        description: "Stable Diffusion 1.x inpainting (CompVis scripts/inpaint_st.py): dwtDct, bytes 'StableDiffusionV1-Inpainting' (224 bits) on the uint8 BGR image",
    },
    Generator {
        name: "sd2",
        aliases: &["stable-diffusion-2"],
        message: GeneratorMessage::Bytes(b"SDV2"),
        convention: Convention::Uint8,
        reads: UINT8,
        description: "Stable Diffusion 2.x (Stability-AI/stablediffusion scripts/txt2img.py): dwtDct, bytes 'SDV2' (32 bits) on the uint8 BGR image",
    },
    Generator {
        name: "flux",
        aliases: &["flux.1"],
        // 0b001010101111111010000111100111001111010100101110 written with bin(x)[2:]: the
        // two leading zeros are dropped.
        message: GeneratorMessage::Bits("1010101111111010000111100111001111010100101110"),
        convention: Convention::Float,
        reads: FLOAT,
        description: "FLUX.1 (black-forest-labs/flux src/flux/util.py): dwtDct, 46 bits (the 48-bit constant with its leading zeros dropped by bin()) on the float image",
    },
    Generator {
        name: "invokeai",
        aliases: &[],
        message: GeneratorMessage::Bytes(b"InvokeAI"),
        convention: Convention::Uint8,
        reads: UINT8,
        description: "InvokeAI's invisible-watermark node (opt-in): dwtDct, bytes 'InvokeAI' (64 bits) on the uint8 BGR image",
    },
];

/// True when `w` is one of the generator presets (by name and message).
pub(crate) fn is_generator(w: &Watermark) -> bool {
    GENERATORS
        .iter()
        .any(|g| g.name == w.name() && w.message() == Some(&g.message_bits()))
}

impl Generator {
    pub(crate) fn message_bits(&self) -> Bits {
        match self.message {
            GeneratorMessage::Bytes(b) => Bits::from_bytes(b),
            GeneratorMessage::Bits(text) => Bits::new(text.bytes().map(|c| c == b'1').collect()),
        }
    }

    /// The preset: imwatermark's dwtDct with the generator's message, read under the
    /// generator's convention (and its other channel order) and at the fitted quantizer gain;
    /// marks made on the float image are read inverted as well (there a brightness change
    /// scales the whole carrying value and can shift it by half a step). It embeds as the
    /// generator does.
    pub(crate) fn watermark(&self) -> Watermark {
        let message = self.message_bits();
        let scheme = Classic::dwt_dct_preset(message.len())
            .with_embed_style(EmbedStyle {
                convention: self.convention,
                compat: true,
            })
            .with_gain_fit(true)
            .with_inverted(self.convention == Convention::Float)
            .with_reads(self.reads);
        Watermark {
            name: self.name.into(),
            scheme: Arc::new(scheme),
            message: Some(message),
        }
    }
}

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
    /// Embedding reproduces what the SDXL pipeline does (float image, rounded at the end);
    /// reading covers both channel orders, brightness and contrast changes (see
    /// [`Classic::with_gain_fit`]).
    pub fn sdxl() -> Watermark {
        GENERATORS[0].watermark()
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

    /// The generators' messages are facts, built without [`crate::stats::check_message`]; they
    /// must still pass it (ASCII text is regular, see docs/calibration.md).
    #[test]
    fn every_generator_message_passes_the_message_checks() {
        for g in GENERATORS {
            let m = g.message_bits();
            assert!(crate::stats::check_message(&m).is_ok(), "{}", g.name);
            assert_eq!(g.watermark().message(), Some(&m));
        }
        assert_eq!(
            GENERATORS[4].message_bits().len(),
            46,
            "FLUX drops two leading zeros"
        );
    }

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
