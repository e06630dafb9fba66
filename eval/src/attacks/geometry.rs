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
            bilinear(
                src,
                w,
                [x0, x1, y0, y1],
                fx,
                fy,
                &mut out[(y * w + x) * 3..][..3],
            );
        }
    }
    rgb_image(w as u32, h as u32, out)
}

/// One RGB pixel interpolated between columns `x0, x1` and rows `y0, y1` of `src` (`w`
/// pixels a row) at fractions `fx`, `fy`.
fn bilinear(src: &[u8], w: usize, [x0, x1, y0, y1]: [usize; 4], fx: f64, fy: f64, px: &mut [u8]) {
    for (c, out) in px.iter_mut().enumerate() {
        let p = |xx: usize, yy: usize| f64::from(src[(yy * w + xx) * 3 + c]);
        let v = (1.0 - fy) * ((1.0 - fx) * p(x0, y0) + fx * p(x1, y0))
            + fy * ((1.0 - fx) * p(x0, y1) + fx * p(x1, y1));
        *out = to_u8(v as f32);
    }
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

/// Resampling filter of [`resize_xy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resample {
    /// Catmull-Rom bicubic (antialiased when shrinking), what photo editors and PIL's
    /// `BICUBIC` do.
    Bicubic,
    /// Bilinear (a triangle filter, antialiased when shrinking), what browsers use to show
    /// an image at a device pixel ratio.
    Bilinear,
}

/// Scales the width by `sx` and the height by `sy` (each side rounded, at least 1 pixel).
pub fn resize_xy(image: &Image, sx: f32, sy: f32, filter: Resample) -> Result<Image> {
    for s in [sx, sy] {
        if !(s > 0.0 && s.is_finite()) {
            return Err(Error::Config(format!("resize factor {s} must be > 0")));
        }
    }
    let w = (image.width() as f32 * sx).round() as u32;
    let h = (image.height() as f32 * sy).round() as u32;
    let f = match filter {
        Resample::Bicubic => FilterType::CatmullRom,
        Resample::Bilinear => FilterType::Triangle,
    };
    resize_to(image, w, h, f)
}

/// Crops a `w_frac` x `h_frac` part of the image (fractions of its sides, each side at
/// least `min_side` pixels or the whole side when smaller), whose top-left corner is at
/// `x_frac`, `y_frac` of the free room (0: left/top, 1: right/bottom).
pub fn crop_region(
    image: &Image,
    w_frac: f32,
    h_frac: f32,
    x_frac: f32,
    y_frac: f32,
    min_side: u32,
) -> Result<Image> {
    for f in [w_frac, h_frac, x_frac, y_frac] {
        if !(0.0..=1.0).contains(&f) {
            return Err(Error::Config(format!(
                "crop fraction {f} must be in [0, 1]"
            )));
        }
    }
    let (w, h) = (image.width(), image.height());
    let side = |full: u32, frac: f32| {
        ((full as f32 * frac).round() as u32)
            .max(min_side)
            .clamp(1, full.max(1))
    };
    let (cw, ch) = (side(w, w_frac), side(h, h_frac));
    let x0 = ((w - cw) as f32 * x_frac).round() as u32;
    let y0 = ((h - ch) as f32 * y_frac).round() as u32;
    crop_rect(image, x0, y0, cw, ch)
}

/// The pixels of the `cw` x `ch` rectangle at `x0`, `y0` (which must lie inside).
fn crop_rect(image: &Image, x0: u32, y0: u32, cw: u32, ch: u32) -> Result<Image> {
    let w = image.width();
    if x0 + cw > w || y0 + ch > image.height() || cw == 0 || ch == 0 {
        return Err(Error::Config(format!(
            "crop {cw}x{ch} at {x0},{y0} is outside {w}x{}",
            image.height()
        )));
    }
    let mut rgb = Vec::with_capacity((cw * ch * 3) as usize);
    for y in y0..y0 + ch {
        let start = ((y * w + x0) * 3) as usize;
        rgb.extend_from_slice(&image.rgb()[start..start + cw as usize * 3]);
    }
    rgb_image(cw, ch, rgb)
}

/// What a rotation puts where no source pixel lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Border {
    /// Black corners, same size (what a plain rotate does).
    Black,
    /// The image mirrored at its edges, same size (no empty corners).
    Reflect,
    /// Cropped to the largest axis-aligned rectangle inside the rotated image, centred
    /// (what photo straightening does): no corners at all, a smaller image.
    Crop,
}

/// Rotates by `degrees` counter-clockwise about the centre with bilinear sampling; the
/// corners as `border` says.
pub fn rotate_with(image: &Image, degrees: f32, border: Border) -> Result<Image> {
    match border {
        Border::Black => rotate(image, degrees),
        Border::Reflect => rotate_reflect(image, degrees),
        Border::Crop => {
            let turned = rotate(image, degrees)?;
            let (w, h) = (image.width(), image.height());
            let (iw, ih) = inscribed_rect(w, h, degrees);
            // One pixel less on each side: the edge pixels are blends with the black outside.
            let cw = (iw.floor() as u32).saturating_sub(2).clamp(1, w);
            let ch = (ih.floor() as u32).saturating_sub(2).clamp(1, h);
            crop_rect(&turned, (w - cw) / 2, (h - ch) / 2, cw, ch)
        }
    }
}

/// Width and height of the largest axis-aligned rectangle inside a `w` x `h` rectangle
/// rotated by `degrees` (both centred).
pub fn inscribed_rect(w: u32, h: u32, degrees: f32) -> (f64, f64) {
    let (w, h) = (f64::from(w), f64::from(h));
    if w <= 0.0 || h <= 0.0 {
        return (0.0, 0.0);
    }
    let a = f64::from(degrees).to_radians();
    let (sin, cos) = (a.sin().abs(), a.cos().abs());
    let wide = w >= h;
    let (long, short) = if wide { (w, h) } else { (h, w) };
    if short <= 2.0 * sin * cos * long || (sin - cos).abs() < 1e-10 {
        // Two corners of the rectangle touch the long sides only.
        let x = 0.5 * short;
        if wide {
            (x / sin, x / cos)
        } else {
            (x / cos, x / sin)
        }
    } else {
        let cos2 = cos * cos - sin * sin;
        ((w * cos - h * sin) / cos2, (h * cos - w * sin) / cos2)
    }
}

/// Mirrors integer index `i` into `0..n` (edge pixels repeated: `.. 1 0 | 0 1 .. n-1 |
/// n-1 n-2 ..`).
fn reflect_index(i: i64, n: usize) -> usize {
    let n = n as i64;
    let m = i.rem_euclid(2 * n);
    (if m >= n { 2 * n - 1 - m } else { m }) as usize
}

fn rotate_reflect(image: &Image, degrees: f32) -> Result<Image> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let src = image.rgb();
    let (sin, cos) = (f64::from(degrees).to_radians()).sin_cos();
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f64 - cx, y as f64 - cy);
            let sx = cos * dx - sin * dy + cx;
            let sy = sin * dx + cos * dy + cy;
            let (fx0, fy0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - fx0, sy - fy0);
            let (x0, x1) = (
                reflect_index(fx0 as i64, w),
                reflect_index(fx0 as i64 + 1, w),
            );
            let (y0, y1) = (
                reflect_index(fy0 as i64, h),
                reflect_index(fy0 as i64 + 1, h),
            );
            bilinear(
                src,
                w,
                [x0, x1, y0, y1],
                fx,
                fy,
                &mut out[(y * w + x) * 3..][..3],
            );
        }
    }
    rgb_image(w as u32, h as u32, out)
}

/// Rotates by `turns` quarter turns counter-clockwise, exactly (a pixel permutation; the
/// sides swap for odd `turns`).
pub fn rotate_quarter(image: &Image, turns: u8) -> Result<Image> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let src = image.rgb();
    let turns = turns % 4;
    let (ow, oh) = if turns % 2 == 1 { (h, w) } else { (w, h) };
    let mut out = vec![0u8; w * h * 3];
    for y in 0..oh {
        for x in 0..ow {
            // Counter-clockwise on screen (y down): out(x, y) comes from these source pixels.
            let (sx, sy) = match turns {
                1 => (w - 1 - y, x),
                2 => (w - 1 - x, h - 1 - y),
                3 => (y, h - 1 - x),
                _ => (x, y),
            };
            let (o, s) = ((y * ow + x) * 3, (sy * w + sx) * 3);
            out[o..o + 3].copy_from_slice(&src[s..s + 3]);
        }
    }
    rgb_image(ow as u32, oh as u32, out)
}

/// A camera rotated by `yaw` (about the vertical axis) and `pitch` (about the horizontal
/// axis) degrees looking at the image, which fills its view head-on before the rotation
/// (pinhole, focal length the image's diagonal): the homography `K R K^-1`, sampled
/// bilinearly, same size, black outside the image.
pub fn perspective(image: &Image, yaw: f32, pitch: f32) -> Result<Image> {
    if !(yaw.abs() <= 60.0 && pitch.abs() <= 60.0) {
        return Err(Error::Config(format!(
            "perspective yaw {yaw} and pitch {pitch} must be within 60 degrees"
        )));
    }
    let (w, h) = (image.width() as usize, image.height() as usize);
    let f = ((w * w + h * h) as f64).sqrt();
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let (syaw, cyaw) = f64::from(yaw).to_radians().sin_cos();
    let (sp, cp) = f64::from(pitch).to_radians().sin_cos();
    // R = Rx(pitch) Ry(yaw); an output pixel's ray is R^T applied to (x - cx, y - cy, f)
    // to find where it meets the image plane.
    let r = [
        [cyaw, 0.0, syaw],
        [sp * syaw, cp, -sp * cyaw],
        [-cp * syaw, sp, cp * cyaw],
    ];
    let src = image.rgb();
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            let v = [x as f64 + 0.5 - cx, y as f64 + 0.5 - cy, f];
            // R^T v
            let q = [
                r[0][0] * v[0] + r[1][0] * v[1] + r[2][0] * v[2],
                r[0][1] * v[0] + r[1][1] * v[1] + r[2][1] * v[2],
                r[0][2] * v[0] + r[1][2] * v[1] + r[2][2] * v[2],
            ];
            if q[2] <= 1e-6 {
                continue;
            }
            let sx = f * q[0] / q[2] + cx - 0.5;
            let sy = f * q[1] / q[2] + cy - 0.5;
            if sx < -0.5 || sy < -0.5 || sx > w as f64 - 0.5 || sy > h as f64 - 0.5 {
                continue;
            }
            let (sx, sy) = (sx.clamp(0.0, (w - 1) as f64), sy.clamp(0.0, (h - 1) as f64));
            let (x0, y0) = (sx.floor() as usize, sy.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            bilinear(
                src,
                w,
                [x0, x1, y0, y1],
                sx - x0 as f64,
                sy - y0 as f64,
                &mut out[(y * w + x) * 3..][..3],
            );
        }
    }
    rgb_image(w as u32, h as u32, out)
}
