//! Camera frame formats: YUV 4:2:0 in two layouts (NV12: a Y plane and one interleaved
//! U/V plane; I420: Y, U and V planes), each plane with its own stride, as hardware encoders,
//! V4L2 and NVR SDKs hand them over.
//!
//! Conversion to RGB uses BT.601 full range (JFIF: Y, Cb and Cr all span 0..=255), in 16-bit
//! fixed point. Chroma is upsampled by repetition (each chroma sample covers its 2x2 block of
//! pixels): a 2x2 Haar low band (what the classical schemes read) then sees the chroma the
//! camera stored, without the blur that interpolation would add.
//!
//! [`to_nv12`] and [`to_i420`] go the other way (2x2 chroma averaging), to simulate a camera
//! in tests and tools.

use crate::error::{Error, Result};
use crate::image::{check_rows, Image, Limits};

/// One plane of a planar frame: its bytes and the distance in bytes from one row to the next.
#[derive(Clone, Copy, Debug)]
pub struct Plane<'a> {
    /// The plane's bytes, from its first row to at least the end of its last row.
    pub data: &'a [u8],
    /// Bytes from the start of one row to the start of the next (at least one row's bytes).
    pub stride: usize,
}

impl<'a> Plane<'a> {
    /// A plane with the given stride.
    pub fn new(data: &'a [u8], stride: usize) -> Plane<'a> {
        Plane { data, stride }
    }
}

/// Width and height of the chroma planes of a `width x height` 4:2:0 frame (rounded up).
pub fn chroma_size(width: u32, height: u32) -> (usize, usize) {
    (width.div_ceil(2) as usize, height.div_ceil(2) as usize)
}

/// Checks that `plane` holds `rows` rows of `row_bytes` bytes with its stride.
fn check_plane(name: &str, plane: &Plane<'_>, row_bytes: usize, rows: usize) -> Result<()> {
    if plane.data.is_empty() {
        return Err(Error::frame(format!("{name} plane is empty (no data)")));
    }
    let what = format!("{name} plane");
    check_rows(&what, plane.data.len(), row_bytes, rows, plane.stride).map(|_| ())
}

fn check_dims(width: u32, height: u32, limits: &Limits) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::frame("zero width or height"));
    }
    limits.check(width.into(), height.into())
}

// BT.601 full range, 16 fractional bits.
const CR_R: i32 = 91_881; // 1.402
const CB_G: i32 = 22_554; // 0.344136
const CR_G: i32 = 46_802; // 0.714136
const CB_B: i32 = 116_130; // 1.772
const HALF: i32 = 1 << 15;

/// One full-range BT.601 YCbCr sample to RGB.
#[inline]
pub fn ycbcr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
    let r = y + ((CR_R * cr + HALF) >> 16);
    let g = y + ((HALF - CB_G * cb - CR_G * cr) >> 16);
    let b = y + ((CB_B * cb + HALF) >> 16);
    [
        r.clamp(0, 255) as u8,
        g.clamp(0, 255) as u8,
        b.clamp(0, 255) as u8,
    ]
}

/// One RGB pixel to full-range BT.601 `[Y, Cb, Cr]` before rounding.
#[inline]
fn rgb_to_ycbcr(p: &[u8]) -> [f32; 3] {
    let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
    [
        0.299 * r + 0.587 * g + 0.114 * b,
        -0.168_736 * r - 0.331_264 * g + 0.5 * b + 128.0,
        0.5 * r - 0.418_688 * g - 0.081_312 * b + 128.0,
    ]
}

fn round_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// Converts with a chroma lookup `chroma(cx, cy) -> (cb, cr)`; planes already checked.
fn convert(
    width: u32,
    height: u32,
    y: &Plane<'_>,
    chroma: impl Fn(usize, usize) -> (u8, u8),
) -> Result<Image> {
    let (w, h) = (width as usize, height as usize);
    let mut rgb = Vec::with_capacity(w * h * 3);
    for row in 0..h {
        let luma = &y.data[row * y.stride..row * y.stride + w];
        for (col, &yy) in luma.iter().enumerate() {
            let (cb, cr) = chroma(col / 2, row / 2);
            rgb.extend_from_slice(&ycbcr_to_rgb(yy, cb, cr));
        }
    }
    Image::from_rgb(width, height, rgb)
}

/// An NV12 frame (Y plane, then one plane of interleaved U, V pairs at half resolution in
/// both directions) to RGB. Every size is checked before a byte is read.
pub fn from_nv12(
    width: u32,
    height: u32,
    y: Plane<'_>,
    uv: Plane<'_>,
    limits: &Limits,
) -> Result<Image> {
    check_dims(width, height, limits)?;
    let (cw, ch) = chroma_size(width, height);
    check_plane("Y", &y, width as usize, height as usize)?;
    check_plane("UV", &uv, 2 * cw, ch)?;
    convert(width, height, &y, |cx, cy| {
        let at = cy * uv.stride + 2 * cx;
        (uv.data[at], uv.data[at + 1])
    })
}

/// An I420 frame (Y, U and V planes, chroma at half resolution in both directions) to RGB.
/// Every size is checked before a byte is read.
pub fn from_i420(
    width: u32,
    height: u32,
    y: Plane<'_>,
    u: Plane<'_>,
    v: Plane<'_>,
    limits: &Limits,
) -> Result<Image> {
    check_dims(width, height, limits)?;
    let (cw, ch) = chroma_size(width, height);
    check_plane("Y", &y, width as usize, height as usize)?;
    check_plane("U", &u, cw, ch)?;
    check_plane("V", &v, cw, ch)?;
    convert(width, height, &y, |cx, cy| {
        (u.data[cy * u.stride + cx], v.data[cy * v.stride + cx])
    })
}

/// Y plane and the 2x2-averaged Cb and Cr planes of an image (tightly packed).
fn planes(image: &Image) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let (cw, ch) = chroma_size(image.width(), image.height());
    let mut yp = Vec::with_capacity(w * h);
    let mut sums = vec![[0f32; 3]; cw * ch];
    for (i, p) in image.rgb().chunks_exact(3).enumerate() {
        let [yy, cb, cr] = rgb_to_ycbcr(p);
        yp.push(round_u8(yy));
        let s = &mut sums[(i / w / 2) * cw + (i % w) / 2];
        s[0] += cb;
        s[1] += cr;
        s[2] += 1.0;
    }
    let cb = sums.iter().map(|s| round_u8(s[0] / s[2])).collect();
    let cr = sums.iter().map(|s| round_u8(s[1] / s[2])).collect();
    (yp, cb, cr)
}

/// Converts an image to a tightly packed NV12 buffer: `width * height` bytes of Y, then
/// `2 * ceil(width / 2) * ceil(height / 2)` bytes of interleaved U, V.
pub fn to_nv12(image: &Image) -> Vec<u8> {
    let (mut out, cb, cr) = planes(image);
    out.reserve(cb.len() * 2);
    for (u, v) in cb.into_iter().zip(cr) {
        out.extend_from_slice(&[u, v]);
    }
    out
}

/// Converts an image to a tightly packed I420 buffer: Y, then U, then V planes.
pub fn to_i420(image: &Image) -> Vec<u8> {
    let (mut out, cb, cr) = planes(image);
    out.extend_from_slice(&cb);
    out.extend_from_slice(&cr);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Detector, Watermark};

    fn noise(w: u32, h: u32, seed: u32) -> Image {
        let mut x = seed | 1;
        let rgb = (0..w * h * 3)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                // smooth gradient plus noise, like a photo more than white noise
                let base = ((i / 3) % w + (i / 3) / w) * 255 / (w + h);
                (base as i32 + (x % 61) as i32 - 30).clamp(0, 255) as u8
            })
            .collect();
        Image::from_rgb(w, h, rgb).unwrap()
    }

    fn split_nv12(buf: &[u8], w: u32, h: u32) -> (&[u8], &[u8]) {
        buf.split_at((w * h) as usize)
    }

    #[test]
    fn known_colours_convert_exactly() {
        // Full-range BT.601: grey is (Y, 128, 128); pure red is (76, 85, 255).
        assert_eq!(ycbcr_to_rgb(77, 128, 128), [77, 77, 77]);
        assert_eq!(ycbcr_to_rgb(0, 128, 128), [0, 0, 0]);
        assert_eq!(ycbcr_to_rgb(255, 128, 128), [255, 255, 255]);
        let [r, g, b] = ycbcr_to_rgb(76, 85, 255);
        assert!(r >= 253 && g <= 2 && b <= 2, "{r} {g} {b}");
        let [r, g, b] = ycbcr_to_rgb(29, 255, 107);
        assert!(r <= 2 && g <= 2 && b >= 253, "{r} {g} {b}");
    }

    #[test]
    fn round_trip_is_close_and_nv12_equals_i420() {
        for (w, h) in [(64, 48), (33, 17), (1, 1), (2, 3)] {
            let img = noise(w, h, 7);
            let nv12 = to_nv12(&img);
            let i420 = to_i420(&img);
            let (cw, ch) = chroma_size(w, h);
            assert_eq!(nv12.len(), (w * h) as usize + 2 * cw * ch);
            assert_eq!(i420.len(), nv12.len());
            let (y, uv) = split_nv12(&nv12, w, h);
            let a = from_nv12(
                w,
                h,
                Plane::new(y, w as usize),
                Plane::new(uv, 2 * cw),
                &Limits::default(),
            )
            .unwrap();
            let (y2, rest) = i420.split_at((w * h) as usize);
            let (u, v) = rest.split_at(cw * ch);
            let b = from_i420(
                w,
                h,
                Plane::new(y2, w as usize),
                Plane::new(u, cw),
                Plane::new(v, cw),
                &Limits::default(),
            )
            .unwrap();
            assert_eq!(a, b);
            // Luma survives to within rounding; chroma is averaged, so compare Y of both.
            let luma = |p: &[u8]| {
                0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
            };
            let worst = img
                .rgb()
                .chunks_exact(3)
                .zip(a.rgb().chunks_exact(3))
                .map(|(p, q)| (luma(p) - luma(q)).abs())
                .fold(0f32, f32::max);
            assert!(worst < 12.0, "{w}x{h}: luma error {worst}");
        }
    }

    #[test]
    fn flat_colour_round_trips_exactly() {
        let img = Image::from_rgb(6, 4, [200u8, 40, 90].repeat(24)).unwrap();
        let nv12 = to_nv12(&img);
        let (y, uv) = split_nv12(&nv12, 6, 4);
        let back = from_nv12(
            6,
            4,
            Plane::new(y, 6),
            Plane::new(uv, 6),
            &Limits::default(),
        )
        .unwrap();
        for p in back.rgb().chunks_exact(3) {
            for (a, b) in p.iter().zip([200u8, 40, 90]) {
                assert!(a.abs_diff(b) <= 1, "{p:?}");
            }
        }
    }

    #[test]
    fn strides_with_padding_give_the_same_image() {
        let (w, h) = (10u32, 6u32);
        let img = noise(w, h, 3);
        let nv12 = to_nv12(&img);
        let (y, uv) = split_nv12(&nv12, w, h);
        let packed = from_nv12(
            w,
            h,
            Plane::new(y, 10),
            Plane::new(uv, 10),
            &Limits::default(),
        )
        .unwrap();
        // Pad every row to 16 bytes with junk.
        let pad = |src: &[u8], row: usize, rows: usize| -> Vec<u8> {
            let mut v = Vec::new();
            for r in 0..rows {
                v.extend_from_slice(&src[r * row..r * row + row]);
                if r + 1 < rows {
                    v.extend(std::iter::repeat_n(0xAB, 16 - row));
                }
            }
            v
        };
        let (yp, uvp) = (pad(y, 10, 6), pad(uv, 10, 3));
        let padded = from_nv12(
            w,
            h,
            Plane::new(&yp, 16),
            Plane::new(&uvp, 16),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(packed, padded);
    }

    #[test]
    fn wrong_sizes_are_clear_errors() {
        let l = Limits::default();
        let y = vec![0u8; 16];
        let uv = vec![128u8; 8];
        let msg = |r: Result<Image>| r.unwrap_err().to_string();
        assert!(msg(from_nv12(0, 4, Plane::new(&y, 4), Plane::new(&uv, 4), &l)).contains("zero"));
        assert!(
            msg(from_nv12(4, 4, Plane::new(&y, 3), Plane::new(&uv, 4), &l)).contains("stride 3")
        );
        assert!(msg(from_nv12(
            4,
            4,
            Plane::new(&y[..15], 4),
            Plane::new(&uv, 4),
            &l
        ))
        .contains("too short"));
        assert!(msg(from_nv12(
            4,
            4,
            Plane::new(&y, 4),
            Plane::new(&uv[..7], 4),
            &l
        ))
        .contains("UV plane"));
        assert!(msg(from_nv12(4, 4, Plane::new(&[], 4), Plane::new(&uv, 4), &l)).contains("empty"));
        assert!(msg(from_i420(
            4,
            4,
            Plane::new(&y, 4),
            Plane::new(&uv, 2),
            Plane::new(&uv[..3], 2),
            &l
        ))
        .contains("V plane"));
        assert!(msg(from_nv12(
            4,
            4,
            Plane::new(&y, usize::MAX),
            Plane::new(&uv, 4),
            &l
        ))
        .contains("overflows"));
        let small = Limits {
            max_width: 2,
            max_height: 2,
            max_pixels: 4,
        };
        assert!(matches!(
            from_nv12(4, 4, Plane::new(&y, 4), Plane::new(&uv, 4), &small),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn sdxl_watermark_survives_nv12() {
        let cover = noise(256, 256, 11);
        let marked = Watermark::sdxl().embed(&cover, None).unwrap();
        let det = Detector::default();
        let nv12 = to_nv12(&marked);
        let (y, uv) = split_nv12(&nv12, 256, 256);
        let frame = from_nv12(
            256,
            256,
            Plane::new(y, 256),
            Plane::new(uv, 256),
            &Limits::default(),
        )
        .unwrap();
        let found = &det.detect(&frame).findings[0];
        assert!(found.detected, "{found:?}");
        let clean = to_nv12(&cover);
        let (y, uv) = split_nv12(&clean, 256, 256);
        let frame = from_nv12(
            256,
            256,
            Plane::new(y, 256),
            Plane::new(uv, 256),
            &Limits::default(),
        )
        .unwrap();
        assert!(!det.detect(&frame).findings[0].detected);
    }
}
