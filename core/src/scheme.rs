//! The contract every watermarking scheme meets: read soft bits out of an image, and write
//! a message into one.

use crate::error::Result;
use crate::image::Image;
use crate::payload::Bits;

/// One reading of the bits in an image. A scheme may read an image in more than one way
/// (for instance under two colour conventions); the detector keeps the most significant
/// reading and corrects its p-value for the number of tries.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// Which way of reading produced this (e.g. `"uint8"`, `"float"`).
    pub variant: String,
    /// Hard decisions.
    pub bits: Bits,
    /// Soft bits: estimated probability that each bit is 1, in `[0, 1]`.
    pub soft: Vec<f32>,
}

impl Reading {
    /// A reading of `soft` bits whose hard bits are `scheme`'s decisions on them
    /// ([`Scheme::hard_bit`]). Every scheme builds its readings this way, and the stream
    /// detector its averaged ones, so one frame and one image always decide alike.
    pub fn from_soft(scheme: &dyn Scheme, variant: impl Into<String>, soft: Vec<f32>) -> Reading {
        Reading {
            variant: variant.into(),
            bits: Bits::new(soft.iter().map(|&p| scheme.hard_bit(p)).collect()),
            soft,
        }
    }

    /// Mean certainty of the soft bits, `mean |2 p - 1|`, in `[0, 1]`.
    pub fn certainty(&self) -> f32 {
        if self.soft.is_empty() {
            return 0.0;
        }
        self.soft.iter().map(|p| (2.0 * p - 1.0).abs()).sum::<f32>() / self.soft.len() as f32
    }
}

/// A payload recovered by a scheme's own error correction, without knowing the message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Decoded {
    /// The payload ([`Scheme::bit_len`] bits).
    pub payload: Bits,
    /// Code bits the decoder corrected.
    pub corrected: usize,
    /// Probability that an unmarked image decodes to some valid payload this well.
    pub p_value: f64,
}

/// How a scheme whose block `i` carries bit `i mod n` lays an image out
/// ([`Scheme::repeating_layout`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Layout {
    /// The per-block rule and its parameters (block size, steps): marks of one rule are read
    /// by every scheme of that rule.
    pub rule: String,
    /// Blocks in each channel read (numbering restarts per channel).
    pub blocks: Vec<usize>,
    /// Blocks in one row.
    pub columns: usize,
}

impl Layout {
    /// A layout.
    pub fn new(rule: String, blocks: Vec<usize>, columns: usize) -> Layout {
        Layout {
            rule,
            blocks,
            columns,
        }
    }
}

/// A watermarking scheme: decoder and embedder for a fixed number of bits.
pub trait Scheme: Send + Sync + std::fmt::Debug {
    /// Short identifier, e.g. `"dwtDct"`.
    fn name(&self) -> &str;
    /// How many payload bits one image carries (the length of a message).
    fn bit_len(&self) -> usize;
    /// How many bits a [`Reading`] holds: [`Scheme::bit_len`], or more for a scheme that
    /// adds error correction (its readings hold code words).
    fn code_len(&self) -> usize {
        self.bit_len()
    }
    /// The bits an image marked with `message` carries, which readings are compared with:
    /// the message itself, or its code word.
    fn code_word(&self, message: &Bits) -> Result<Bits> {
        Ok(message.clone())
    }
    /// The open-set decision of a scheme with error correction: the payload of a reading and
    /// how likely an unmarked image is to decode that well; `None` when the reading is not
    /// a valid code word (or the scheme has no error correction).
    fn decode_payload(&self, _reading: &Reading) -> Option<Decoded> {
        None
    }
    /// The p-value of `reading` matching `code` (a [`Scheme::code_word`]) as well as it does,
    /// before any correction for the number of readings: by default the conditional test of
    /// its hard bits ([`crate::stats::match_p_value`]); a scheme whose soft bits are
    /// calibrated may weigh them ([`crate::stats::soft_match_p_value`]).
    fn match_p_value(&self, reading: &Reading, code: &Bits) -> f64 {
        crate::stats::match_p_value(&reading.bits, code)
    }
    /// The hard decision on one soft bit (the probability that the bit is 1, or an average
    /// of such over frames): by default, above one half. A scheme whose own rule differs
    /// overrides it; [`Reading::from_soft`] applies it, so the [`crate::Detector`] and the
    /// [`crate::StreamDetector`] share it.
    fn hard_bit(&self, soft: f32) -> bool {
        soft > 0.5
    }
    /// For a scheme whose block `i` carries bit `i mod n` (the classical ones): how a
    /// `width x height` image is laid out ([`Layout`]). Another scheme of the same rule reads
    /// such a mark with another message length as a predictable mixture of its bits, and
    /// content that repeats across in step with the blocks makes a reading repeat; the
    /// detector uses both to keep its decisions honest (`None`, the default: no such layout).
    fn repeating_layout(&self, _width: u32, _height: u32) -> Option<Layout> {
        None
    }
    /// Reads the bits; one [`Reading`] per way of reading (see [`Reading::from_soft`]).
    fn decode(&self, image: &Image) -> Result<Vec<Reading>>;
    /// Writes `message` (exactly [`Scheme::bit_len`] bits) into a copy of `image`.
    fn embed(&self, image: &Image, message: &Bits) -> Result<Image>;
}
