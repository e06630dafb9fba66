//! Tone and colour attacks: brightness, contrast, hue, grayscale.

use super::{rgb_image, to_u8};
use crate::error::{Error, Result};
use edgemark::Image;

fn luma(r: f32, g: f32, b: f32) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

fn map_pixels(image: &Image, f: impl Fn([f32; 3]) -> [f32; 3]) -> Result<Image> {
    let mut out = Vec::with_capacity(image.rgb().len());
    for p in image.rgb().chunks_exact(3) {
        let q = f([f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]);
        out.extend(q.into_iter().map(to_u8));
    }
    rgb_image(image.width(), image.height(), out)
}

/// Multiplies every channel by `factor`, clipping at 255.
pub fn brightness(image: &Image, factor: f32) -> Result<Image> {
    map_pixels(image, |p| p.map(|v| v * factor))
}

/// `mean + factor * (x - mean)`, with `mean` the image's mean luma.
pub fn contrast(image: &Image, factor: f32) -> Result<Image> {
    let n = (image.rgb().len() / 3).max(1) as f64;
    let mean = image
        .rgb()
        .chunks_exact(3)
        .map(|p| f64::from(luma(f32::from(p[0]), f32::from(p[1]), f32::from(p[2]))))
        .sum::<f64>()
        / n;
    let mean = mean as f32;
    map_pixels(image, |p| p.map(|v| mean + factor * (v - mean)))
}

/// Replaces each channel by BT.601 luma.
pub fn grayscale(image: &Image) -> Result<Image> {
    map_pixels(image, |[r, g, b]| [luma(r, g, b); 3])
}

/// Rotates the HSV hue by `degrees`.
pub fn hue_shift(image: &Image, degrees: f32) -> Result<Image> {
    map_pixels(image, |[r, g, b]| {
        let max = r.max(g).max(b);
        let min = r.min(g).min(b);
        let d = max - min;
        if d <= 0.0 {
            return [r, g, b];
        }
        let h = if max == r {
            ((g - b) / d).rem_euclid(6.0)
        } else if max == g {
            (b - r) / d + 2.0
        } else {
            (r - g) / d + 4.0
        };
        let h = (h * 60.0 + degrees).rem_euclid(360.0) / 60.0;
        let x = d * (1.0 - (h.rem_euclid(2.0) - 1.0).abs());
        let (r1, g1, b1) = match h as u32 {
            0 => (d, x, 0.0),
            1 => (x, d, 0.0),
            2 => (0.0, d, x),
            3 => (0.0, x, d),
            4 => (x, 0.0, d),
            _ => (d, 0.0, x),
        };
        [r1 + min, g1 + min, b1 + min]
    })
}

/// Gamma curve on every channel: `255 * (x / 255) ^ gamma` (`gamma` < 1 brightens).
pub fn gamma(image: &Image, gamma: f32) -> Result<Image> {
    if !(gamma > 0.0 && gamma.is_finite()) {
        return Err(crate::error::Error::Config(format!(
            "gamma {gamma} must be > 0"
        )));
    }
    map_pixels(image, |p| p.map(|v| 255.0 * (v / 255.0).powf(gamma)))
}

/// Moire: every channel times `1 + amplitude cos(2 pi d / period)`, `d` the distance along
/// the direction `degrees` (the beat of a screen's pixel grid with a camera's sensor).
pub fn moire(image: &Image, amplitude: f32, period: f32, degrees: f32) -> Result<Image> {
    if !((0.0..=0.5).contains(&amplitude) && period >= 2.0 && period.is_finite()) {
        return Err(Error::Config(format!(
            "moire amplitude {amplitude} must be in [0, 0.5] and period {period} >= 2"
        )));
    }
    let w = image.width() as usize;
    let (s, c) = degrees.to_radians().sin_cos();
    let k = 2.0 * std::f32::consts::PI / period;
    let out = image
        .rgb()
        .chunks_exact(3)
        .enumerate()
        .flat_map(|(i, p)| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            let m = 1.0 + amplitude * (k * (x * c + y * s)).cos();
            [
                to_u8(f32::from(p[0]) * m),
                to_u8(f32::from(p[1]) * m),
                to_u8(f32::from(p[2]) * m),
            ]
        })
        .collect();
    rgb_image(image.width(), image.height(), out)
}
