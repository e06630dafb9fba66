//! Filters: Gaussian blur, unsharp mask, additive noise.

use super::{rgb_image, to_u8};
use crate::error::{Error, Result};
use crate::rng::Rng;
use edgemark::Image;

fn kernel(sigma: f32) -> Vec<f32> {
    let r = (3.0 * sigma).ceil().max(1.0) as i64;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f32 = k.iter().sum();
    k.into_iter().map(|v| v / s).collect()
}

/// Separable Gaussian blur of interleaved RGB as floats, edges replicated.
pub(crate) fn blur_f32(rgb: &[u8], w: usize, h: usize, sigma: f32) -> Vec<f32> {
    let k = kernel(sigma);
    let r = (k.len() / 2) as i64;
    let mut tmp = vec![0f32; rgb.len()];
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let mut acc = 0.0;
                for (j, kv) in k.iter().enumerate() {
                    let xx = (x as i64 + j as i64 - r).clamp(0, w as i64 - 1) as usize;
                    acc += kv * f32::from(rgb[(y * w + xx) * 3 + c]);
                }
                tmp[(y * w + x) * 3 + c] = acc;
            }
        }
    }
    let mut out = vec![0f32; rgb.len()];
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let mut acc = 0.0;
                for (j, kv) in k.iter().enumerate() {
                    let yy = (y as i64 + j as i64 - r).clamp(0, h as i64 - 1) as usize;
                    acc += kv * tmp[(yy * w + x) * 3 + c];
                }
                out[(y * w + x) * 3 + c] = acc;
            }
        }
    }
    out
}

fn check_sigma(sigma: f32) -> Result<()> {
    if sigma > 0.0 && sigma.is_finite() {
        Ok(())
    } else {
        Err(Error::Config(format!("sigma {sigma} must be > 0")))
    }
}

/// Gaussian blur with standard deviation `sigma` (kernel radius `ceil(3 sigma)`).
pub fn gaussian_blur(image: &Image, sigma: f32) -> Result<Image> {
    check_sigma(sigma)?;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let b = blur_f32(image.rgb(), w, h, sigma);
    rgb_image(
        image.width(),
        image.height(),
        b.into_iter().map(to_u8).collect(),
    )
}

/// Unsharp mask: `x + amount * (x - blur(x, sigma))`.
pub fn unsharp(image: &Image, sigma: f32, amount: f32) -> Result<Image> {
    check_sigma(sigma)?;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let b = blur_f32(image.rgb(), w, h, sigma);
    let out = image
        .rgb()
        .iter()
        .zip(b)
        .map(|(&x, bl)| to_u8(f32::from(x) + amount * (f32::from(x) - bl)))
        .collect();
    rgb_image(image.width(), image.height(), out)
}

/// Adds Gaussian noise of standard deviation `sigma` (0-255 scale).
pub fn noise(image: &Image, sigma: f32, rng: &mut Rng) -> Result<Image> {
    if !(sigma >= 0.0 && sigma.is_finite()) {
        return Err(Error::Config(format!("noise sigma {sigma} must be >= 0")));
    }
    let out = image
        .rgb()
        .iter()
        .map(|&x| to_u8(f32::from(x) + sigma * rng.gaussian() as f32))
        .collect();
    rgb_image(image.width(), image.height(), out)
}
