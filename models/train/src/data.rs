//! Training images: any folder of photographs, random crops at random scale, flips and
//! colour jitter; a fixed part of the folder is held out for evaluation.

use crate::error::{Error, Result};
use crate::rng::Rng;
use candle_core::{Device, Tensor};
use image::imageops::FilterType;
use image::RgbImage;
use std::path::{Path, PathBuf};

/// Every `HOLDOUT_EVERY`-th image (sorted by name, from index `HOLDOUT_EVERY - 1`) is held
/// out of training.
pub const HOLDOUT_EVERY: usize = 5;

/// The image files directly in `dir`, sorted, split into (training, held-out).
pub fn split(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let files = edgemark_eval::covers::list_dir(dir)?;
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (i, f) in files.into_iter().enumerate() {
        if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1 {
            held.push(f);
        } else {
            train.push(f);
        }
    }
    Ok((train, held))
}

/// Loaded training images and the sampler.
#[derive(Debug)]
pub struct Dataset {
    images: Vec<RgbImage>,
    /// Side of the square crops.
    pub size: u32,
}

impl Dataset {
    /// Loads `files` (each downscaled so its longer side is at most `max_side`).
    pub fn load(files: &[PathBuf], size: u32, max_side: u32) -> Result<Dataset> {
        let mut images = Vec::new();
        for f in files {
            let img = image::open(f)
                .map_err(|e| Error::Config(format!("{}: {e}", f.display())))?
                .to_rgb8();
            let (w, h) = img.dimensions();
            let img = if w.max(h) > max_side {
                let s = max_side as f32 / w.max(h) as f32;
                image::imageops::resize(
                    &img,
                    ((w as f32 * s) as u32).max(1),
                    ((h as f32 * s) as u32).max(1),
                    FilterType::Triangle,
                )
            } else {
                img
            };
            if img.width() >= size && img.height() >= size {
                images.push(img);
            }
        }
        if images.is_empty() {
            return Err(Error::Config(format!("no image is at least {size}x{size}")));
        }
        Ok(Dataset { images, size })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// One augmented crop as `3 * size * size` floats (CHW, `[0,1]`).
    fn sample(&self, rng: &mut Rng) -> Vec<f32> {
        let img = &self.images[rng.below(self.images.len())];
        let s = self.size;
        let (w, h) = img.dimensions();
        let max_region = w.min(h).min(s * 2);
        let region = (rng.range(s as f32, max_region as f32 + 1.0) as u32).clamp(s, max_region);
        let x0 = rng.below((w - region + 1) as usize) as u32;
        let y0 = rng.below((h - region + 1) as usize) as u32;
        let view = image::imageops::crop_imm(img, x0, y0, region, region).to_image();
        let patch = if region == s {
            view
        } else {
            image::imageops::resize(&view, s, s, FilterType::Triangle)
        };
        let flip = rng.bit();
        let (contrast, bright, sat) = (
            rng.range(0.8, 1.2),
            rng.range(-0.08, 0.08),
            rng.range(0.7, 1.3),
        );
        let n = (s * s) as usize;
        let mut out = vec![0f32; 3 * n];
        for y in 0..s {
            for x in 0..s {
                let sx = if flip { s - 1 - x } else { x };
                let p = patch.get_pixel(sx, y).0;
                let rgb = [p[0], p[1], p[2]].map(|v| f32::from(v) / 255.0);
                let grey = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
                for c in 0..3 {
                    let v = grey + (rgb[c] - grey) * sat;
                    let v = (v - 0.5) * contrast + 0.5 + bright;
                    out[c * n + (y * s + x) as usize] = v.clamp(0.0, 1.0);
                }
            }
        }
        out
    }

    /// A batch `[n,3,size,size]`.
    pub fn batch(&self, n: usize, rng: &mut Rng, dev: &Device) -> Result<Tensor> {
        let mut data = Vec::with_capacity(n * 3 * (self.size * self.size) as usize);
        for _ in 0..n {
            data.extend(self.sample(rng));
        }
        let s = self.size as usize;
        Ok(Tensor::from_vec(data, (n, 3, s, s), dev)?)
    }
}

/// Random messages `[n,bits]` in `{-1,+1}` and the same as `{0,1}` targets.
pub fn messages(n: usize, bits: usize, rng: &mut Rng, dev: &Device) -> Result<(Tensor, Tensor)> {
    let b: Vec<f32> = (0..n * bits)
        .map(|_| if rng.bit() { 1.0 } else { 0.0 })
        .collect();
    let signed: Vec<f32> = b.iter().map(|v| 2.0 * v - 1.0).collect();
    Ok((
        Tensor::from_vec(signed, (n, bits), dev)?,
        Tensor::from_vec(b, (n, bits), dev)?,
    ))
}
