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
    /// Mean certainty of the soft bits, `mean |2 p - 1|`, in `[0, 1]`.
    pub fn certainty(&self) -> f32 {
        if self.soft.is_empty() {
            return 0.0;
        }
        self.soft.iter().map(|p| (2.0 * p - 1.0).abs()).sum::<f32>() / self.soft.len() as f32
    }
}

/// A watermarking scheme: decoder and embedder for a fixed number of bits.
pub trait Scheme: Send + Sync + std::fmt::Debug {
    /// Short identifier, e.g. `"dwtDct"`.
    fn name(&self) -> &str;
    /// How many bits one image carries.
    fn bit_len(&self) -> usize;
    /// Reads the bits; one [`Reading`] per way of reading.
    fn decode(&self, image: &Image) -> Result<Vec<Reading>>;
    /// Writes `message` (exactly [`Scheme::bit_len`] bits) into a copy of `image`.
    fn embed(&self, image: &Image, message: &Bits) -> Result<Image>;
}
