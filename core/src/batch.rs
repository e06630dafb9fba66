//! Detection over many images at once: in parallel on native targets (rayon), one after
//! the other in WebAssembly.

use crate::detector::{Detector, Report};
use crate::error::Result;
use crate::image::Image;

impl Detector {
    /// Runs [`Detector::detect`] on every image; reports come back in input order.
    pub fn detect_many(&self, images: &[Image]) -> Vec<Report> {
        map(images, |i| self.detect(i))
    }

    /// Runs [`Detector::detect_bytes`] on every encoded file; results come back in input
    /// order, each with its own decode error.
    pub fn detect_many_bytes<B: AsRef<[u8]> + Sync>(&self, files: &[B]) -> Vec<Result<Report>> {
        map(files, |b| self.detect_bytes(b.as_ref()))
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    items.par_iter().map(f).collect()
}

#[cfg(target_arch = "wasm32")]
fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    items.iter().map(f).collect()
}
