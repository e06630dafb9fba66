//! Geometric attacks: resize, crop, rotation, screenshot rescaling.

use super::{rgb_image, to_u8};
use crate::error::{Error, Result};
use crate::rng::Rng;
use edgemark::Image;
use image::imageops::FilterType;

fn resize_to(image: &Image, w: u32, h: u32, filter: FilterType) -> Result<Image> {
    let buf = image::RgbImage::from_raw(image.width(), image.height(), image.rgb().to_vec())
        .ok_or_else(|| Error::Config("RGB buffer does not match its size".into()))?;
    let out = image::imageops::resize(&buf, w.max(1), h.max(1), filter);
    rgb_image(out.width(), out.height(), out.into_raw())
}

/// Scales both sides by `scale` (Catmull-Rom bicubic, antialiased when shrinking).
pub fn resize_by(image: &Image, scale: f32) -> Result<Image> {
    if !(scale > 0.0 && scale.is_finite()) {
        return Err(Error::Config(format!("resize scale {scale} must be > 0")));
    }
    let w = (image.width() as f32 * scale).round() as u32;
    let h = (image.height() as f32 * scale).round() as u32;
    resize_to(image, w, h, FilterType::CatmullRom)
}

/// Crops a rectangle of the same aspect ratio and `keep_area` of the area, at a position
/// drawn from `rng`.
pub fn crop_area(image: &Image, keep_area: f32, rng: &mut Rng) -> Result<Image> {
    if !(keep_area > 0.0 && keep_area <= 1.0) {
        return Err(Error::Config(format!(
            "crop area {keep_area} must be in (0, 1]"
        )));
    }
    let s = keep_area.sqrt();
    let (w, h) = (image.width(), image.height());
    let cw = ((w as f32 * s).round() as u32).clamp(1, w);
    let ch = ((h as f32 * s).round() as u32).clamp(1, h);
    let x0 = rng.below(u64::from(w - cw) + 1) as u32;
    let y0 = rng.below(u64::from(h - ch) + 1) as u32;
    let mut rgb = Vec::with_capacity((cw * ch * 3) as usize);
    for y in y0..y0 + ch {
        let start = ((y * w + x0) * 3) as usize;
        rgb.extend_from_slice(&image.rgb()[start..start + cw as usize * 3]);
    }
    rgb_image(cw, ch, rgb)
}

/// Rotates by `degrees` counter-clockwise about the centre; bilinear sampling, same size,
/// black outside the source.
pub fn rotate(image: &Image, degrees: f32) -> Result<Image> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let src = image.rgb();
    let (sin, cos) = (degrees.to_radians() as f64).sin_cos();
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            // Inverse mapping: where in the source does this output pixel come from?
            let (dx, dy) = (x as f64 - cx, y as f64 - cy);
            let sx = cos * dx - sin * dy + cx;
            let sy = sin * dx + cos * dy + cy;
            if sx < -0.5 || sy < -0.5 || sx > w as f64 - 0.5 || sy > h as f64 - 0.5 {
                continue;
            }
            let (sx, sy) = (sx.clamp(0.0, (w - 1) as f64), sy.clamp(0.0, (h - 1) as f64));
            let (x0, y0) = (sx.floor() as usize, sy.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = (sx - x0 as f64, sy - y0 as f64);
            for c in 0..3 {
                let p = |xx: usize, yy: usize| f64::from(src[(yy * w + xx) * 3 + c]);
                let v = (1.0 - fy) * ((1.0 - fx) * p(x0, y0) + fx * p(x1, y0))
                    + fy * ((1.0 - fx) * p(x0, y1) + fx * p(x1, y1));
                out[(y * w + x) * 3 + c] = to_u8(v as f32);
            }
        }
    }
    rgb_image(w as u32, h as u32, out)
}

/// Shows the image at device pixel ratio `dpr` (downscaled, bilinear) and scales the
/// capture back to the original size (bicubic).
pub fn screenshot(image: &Image, dpr: f32) -> Result<Image> {
    if !(dpr >= 1.0 && dpr.is_finite()) {
        return Err(Error::Config(format!(
            "device pixel ratio {dpr} must be >= 1"
        )));
    }
    let (w, h) = (image.width(), image.height());
    let small = resize_to(
        image,
        (w as f32 / dpr).round() as u32,
        (h as f32 / dpr).round() as u32,
        FilterType::Triangle,
    )?;
    resize_to(&small, w, h, FilterType::CatmullRom)
}
