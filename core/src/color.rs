//! RGB <-> YUV exactly as OpenCV's `cvtColor(COLOR_BGR2YUV / COLOR_YUV2BGR)` computes it, in
//! both of its arithmetic paths, because watermark bits depend on them:
//!
//! * 8-bit: fixed point with 14 fractional bits, chroma offset 128 (`uchar` images);
//! * float: `f32` arithmetic, chroma offset 0.5 (`float32` images, as Stable Diffusion XL's
//!   watermarking step feeds them).

// OpenCV's coefficients (modules/imgproc/src/color_yuv.simd.hpp).
const SHIFT: i32 = 14;
const R2Y: i32 = 4899;
const G2Y: i32 = 9617;
const B2Y: i32 = 1868;
const R2VI: i32 = 14369;
const B2UI: i32 = 8061;
const V2RI: i32 = 18678;
const V2GI: i32 = -9519;
const U2GI: i32 = -6472;
const U2BI: i32 = 33292;

const R2YF: f32 = 0.299;
const G2YF: f32 = 0.587;
const B2YF: f32 = 0.114;
const R2VF: f32 = 0.877;
const B2UF: f32 = 0.492;
const V2RF: f32 = 1.140;
const V2GF: f32 = -0.581;
const U2GF: f32 = -0.395;
const U2BF: f32 = 2.032;

#[inline]
fn descale(x: i32) -> i32 {
    (x + (1 << (SHIFT - 1))) >> SHIFT
}

#[inline]
fn sat_u8(x: i32) -> u8 {
    x.clamp(0, 255) as u8
}

/// One RGB pixel to YUV with OpenCV's 8-bit fixed-point arithmetic.
#[inline]
pub fn rgb_to_yuv_u8(r: u8, g: u8, b: u8) -> [u8; 3] {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let delta = 128 << SHIFT;
    let y = descale(b * B2Y + g * G2Y + r * R2Y);
    let v = descale((r - y) * R2VI + delta);
    let u = descale((b - y) * B2UI + delta);
    [sat_u8(y), sat_u8(u), sat_u8(v)]
}

/// One YUV pixel back to RGB with OpenCV's 8-bit fixed-point arithmetic.
#[inline]
pub fn yuv_to_rgb_u8(y: u8, u: u8, v: u8) -> [u8; 3] {
    let (y, u, v) = (i32::from(y), i32::from(u) - 128, i32::from(v) - 128);
    let b = y + descale(u * U2BI);
    let g = y + descale(u * U2GI + v * V2GI);
    let r = y + descale(v * V2RI);
    [sat_u8(r), sat_u8(g), sat_u8(b)]
}

/// `a * b + c` rounded once to `f32` (a fused multiply-add), computed portably and fast in
/// `f64`: the product is exact there, and the one case where rounding the `f64` sum to `f32`
/// could differ from rounding the exact sum (an `f64` sum on an `f32` midpoint with a
/// non-zero rounding error) is resolved with the error's sign.
#[inline(always)]
pub fn fma32(a: f32, b: f32, c: f32) -> f32 {
    let p = f64::from(a) * f64::from(b);
    let c = f64::from(c);
    let s = p + c;
    // TwoSum: the exact error of s = p + c (p is exact: 24 x 24 bits fit in 53).
    let bb = s - p;
    let err = (p - (s - bb)) + (c - bb);
    // Only when s sits exactly halfway between two f32s (the low 29 of its 52 mantissa bits
    // are 1000...0) can the exact sum, within half an f64 ulp of s, round differently from s:
    // then step s one f64 ulp towards the exact sum. Branch-free, so loops vectorise.
    let bits = s.to_bits();
    let midpoint = (bits & 0x1FFF_FFFF) == 0x1000_0000;
    let step = u64::from(midpoint && err != 0.0);
    let away = (err > 0.0) == (s > 0.0);
    let bits = if away {
        bits.wrapping_add(step)
    } else {
        bits.wrapping_sub(step)
    };
    f64::from_bits(bits) as f32
}

/// OpenCV's float luma `fma(b, B2Y, fma(g, G2Y, r * R2Y))` of 8-bit values, with both fused
/// multiply-adds as plain `f64` sums: exact there, so rounding once to `f32` is the fused
/// result. `g * G2Y` is a multiple of 2^-24 (`G2Y` in [0.5, 1) has that ulp) and `r * R2Y`
/// rounded to `f32` is 0 or at least 0.299, a multiple of 2^-25: their sum, below 2^8, needs
/// 33 bits. `b * B2Y` is a multiple of 2^-27 and the inner sum 0 or a multiple of 2^-25: 35
/// bits. Both fit in `f64`'s 53 (the test checks every input against [`fma32`]).
#[inline(always)]
fn luma_f32_of_u8(r: u8, g: u8, b: u8) -> f32 {
    let t0 = f32::from(r) * R2YF;
    let t1 = (f64::from(g) * f64::from(G2YF) + f64::from(t0)) as f32;
    (f64::from(b) * f64::from(B2YF) + f64::from(t1)) as f32
}

/// OpenCV's float U `fma(b - y, B2U, 0.5)` of 8-bit values, the fused multiply-add as a plain
/// `f64` sum. `y` is a multiple of 2^-27, so is `d = b - y` rounded to `f32`; with `|d|` in
/// [2^e, 2^(e+1)) its ulp is at least 2^(e-23) too, so `d * B2U` (`B2U` has ulp 2^-25) is a
/// multiple of 2^-52 below 1/2 when `e < 0` (the sum with 1/2 needs 52 bits) and of
/// 2^(e-48) below 2^e otherwise (49 bits): exact in `f64` (the test checks every input).
#[inline(always)]
fn u_f32_of_u8(r: u8, g: u8, b: u8) -> f32 {
    let d = f32::from(b) - luma_f32_of_u8(r, g, b);
    (f64::from(d) * f64::from(B2UF) + 0.5) as f32
}

/// One RGB pixel (0..=255 as `f32`) to YUV with OpenCV's float arithmetic (chroma offset 0.5).
///
/// OpenCV's vectorised path (AVX2 on x86-64, NEON on ARM: every current CPU) uses fused
/// multiply-adds; so does this, bit for bit.
#[inline]
pub fn rgb_to_yuv_f32(r: f32, g: f32, b: f32) -> [f32; 3] {
    let y = fma32(b, B2YF, fma32(g, G2YF, r * R2YF));
    let v = fma32(r - y, R2VF, 0.5);
    let u = fma32(b - y, B2UF, 0.5);
    [y, u, v]
}

/// One YUV pixel back to RGB with OpenCV's float arithmetic (chroma offset 0.5, fused
/// multiply-adds as in its vectorised path).
#[inline]
pub fn yuv_to_rgb_f32(y: f32, u: f32, v: f32) -> [f32; 3] {
    let (u, v) = (u - 0.5, v - 0.5);
    let b = fma32(u, U2BF, y);
    let g = fma32(v, V2GF, fma32(u, U2GF, y));
    let r = fma32(v, V2RF, y);
    [r, g, b]
}

/// Planar YUV of a whole image, in the precision of the arithmetic path that made it.
#[derive(Clone, Debug, PartialEq)]
pub struct YuvPlanes<T> {
    pub width: usize,
    pub height: usize,
    pub y: Vec<T>,
    pub u: Vec<T>,
    pub v: Vec<T>,
}

/// Converts interleaved RGB to YUV planes, 8-bit path.
pub fn planes_u8(rgb: &[u8], width: usize, height: usize) -> YuvPlanes<u8> {
    let n = width * height;
    let (mut y, mut u, mut v) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for p in rgb.chunks_exact(3).take(n) {
        let [yy, uu, vv] = rgb_to_yuv_u8(p[0], p[1], p[2]);
        y.push(yy);
        u.push(uu);
        v.push(vv);
    }
    YuvPlanes {
        width,
        height,
        y,
        u,
        v,
    }
}

/// Converts interleaved RGB to YUV planes, float path.
pub fn planes_f32(rgb: &[u8], width: usize, height: usize) -> YuvPlanes<f32> {
    let n = width * height;
    let (mut y, mut u, mut v) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for p in rgb.chunks_exact(3).take(n) {
        let [yy, uu, vv] = rgb_to_yuv_f32(f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
        y.push(yy);
        u.push(uu);
        v.push(vv);
    }
    YuvPlanes {
        width,
        height,
        y,
        u,
        v,
    }
}

/// One channel (0 = Y, 1 = U, 2 = V) of the 8-bit path.
pub fn channel_u8(rgb: &[u8], channel: usize, out: &mut Vec<u8>) {
    let (px, _) = rgb.as_chunks::<3>();
    out.clear();
    out.resize(px.len(), 0);
    #[inline(always)]
    fn luma(p: &[u8; 3]) -> i32 {
        descale(i32::from(p[2]) * B2Y + i32::from(p[1]) * G2Y + i32::from(p[0]) * R2Y)
    }
    // Plain indexed loops over fixed-size pixels let the compiler vectorise.
    match channel {
        0 => {
            for (o, p) in out.iter_mut().zip(px) {
                *o = sat_u8(luma(p));
            }
        }
        1 => {
            for (o, p) in out.iter_mut().zip(px) {
                *o = sat_u8(descale((i32::from(p[2]) - luma(p)) * B2UI + (128 << SHIFT)));
            }
        }
        _ => {
            for (o, p) in out.iter_mut().zip(px) {
                *o = sat_u8(descale((i32::from(p[0]) - luma(p)) * R2VI + (128 << SHIFT)));
            }
        }
    }
}

/// One channel (0 = Y, 1 = U, 2 = V) of the float path.
pub fn channel_f32(rgb: &[u8], channel: usize, out: &mut Vec<f32>) {
    let (px, _) = rgb.as_chunks::<3>();
    out.clear();
    out.resize(px.len(), 0.0);
    match channel {
        1 => {
            for (o, p) in out.iter_mut().zip(px) {
                *o = u_f32_of_u8(p[0], p[1], p[2]);
            }
        }
        _ => {
            for (o, p) in out.iter_mut().zip(px) {
                *o = rgb_to_yuv_f32(f32::from(p[0]), f32::from(p[1]), f32::from(p[2]))[channel];
            }
        }
    }
}

/// Moves an RGB pixel's U by `du` within the 8-bit gamut: B carries the change (with the
/// small G correction that keeps Y); where B would leave `0..=255`, R and G move the other way
/// by the excess, which changes U by the same amount (`U = 0.492 (0.886 B - 0.299 R - 0.587 G)`).
/// Saturated colours (white, yellow, deep blue) can then still carry a watermark.
pub fn shift_u(rgb: [f64; 3], du: f64) -> [f64; 3] {
    let [mut r, mut g, mut b] = [
        rgb[0],
        rgb[1] + f64::from(U2GF) * du,
        rgb[2] + f64::from(U2BF) * du,
    ];
    let excess = if b > 255.0 {
        b - 255.0
    } else if b < 0.0 {
        b
    } else {
        0.0
    };
    if excess != 0.0 {
        b -= excess;
        r -= excess;
        g -= excess;
    }
    [r, g, b]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_luma_and_u_are_the_fused_ones_for_every_8_bit_pixel() {
        for r in 0..=255u8 {
            for g in 0..=255u8 {
                for b in 0..=255u8 {
                    let (rf, gf, bf) = (f32::from(r), f32::from(g), f32::from(b));
                    let fused = fma32(bf, B2YF, fma32(gf, G2YF, rf * R2YF));
                    let fast = luma_f32_of_u8(r, g, b);
                    assert_eq!(fast.to_bits(), fused.to_bits(), "{r} {g} {b}");
                    let u = fma32(bf - fused, B2UF, 0.5);
                    let fast = u_f32_of_u8(r, g, b);
                    assert_eq!(fast.to_bits(), u.to_bits(), "U of {r} {g} {b}");
                }
            }
        }
    }

    #[test]
    fn channel_extractors_agree_with_pixel_conversions() {
        let rgb: Vec<u8> = (0..3000u32).map(|i| ((i * 7919) % 256) as u8).collect();
        for ch in 0..3 {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            channel_u8(&rgb, ch, &mut a);
            channel_f32(&rgb, ch, &mut b);
            for (k, p) in rgb.chunks_exact(3).enumerate() {
                assert_eq!(a[k], rgb_to_yuv_u8(p[0], p[1], p[2])[ch]);
                let f = rgb_to_yuv_f32(f32::from(p[0]), f32::from(p[1]), f32::from(p[2]))[ch];
                assert_eq!(b[k].to_bits(), f.to_bits());
            }
        }
    }

    #[test]
    fn fma32_is_a_correctly_rounded_fused_multiply_add() {
        let mut x = 0x1234_5678u32;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for i in 0..200_000 {
            let a = (next() % 25_600) as f32 / 100.0;
            let b = [B2YF, G2YF, R2YF, B2UF, R2VF, U2BF, V2GF][i % 7];
            let c = if i % 3 == 0 {
                0.5
            } else {
                (next() % 2_000_000) as f32 / 7777.0 - 100.0
            };
            assert_eq!(fma32(a, b, c), a.mul_add(b, c), "{a} * {b} + {c}");
        }
        // Products far below c: the f64 sum rounds, and f32 midpoints get hit.
        for k in 0..5_000u32 {
            let a = 1.0 + k as f32 * f32::EPSILON;
            let b = 2f32.powi(-25) * (1.0 + (k % 97) as f32 * f32::EPSILON);
            let c = 1.0 + (k % 5) as f32 * f32::EPSILON;
            assert_eq!(fma32(a, b, c), a.mul_add(b, c));
            assert_eq!(fma32(-a, b, c), (-a).mul_add(b, c));
        }
    }

    #[test]
    fn shift_u_reaches_its_target_at_the_gamut_edge() {
        let u =
            |p: [f64; 3]| f64::from(B2UF) * (p[2] - (0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]));
        for (px, du) in [
            ([100.0, 120.0, 140.0], 6.0),
            ([250.0, 250.0, 250.0], 9.0),
            ([20.0, 10.0, 3.0], -8.0),
        ] {
            let moved = shift_u(px, du);
            assert!(
                moved.iter().all(|v| (-1e-9..=255.0 + 1e-9).contains(v)),
                "{moved:?}"
            );
            assert!(
                (u(moved) - u(px) - du).abs() < 0.05,
                "{px:?} {du}: {}",
                u(moved) - u(px)
            );
        }
    }

    #[test]
    fn grey_has_neutral_chroma() {
        assert_eq!(rgb_to_yuv_u8(77, 77, 77), [77, 128, 128]);
        let [y, u, v] = rgb_to_yuv_f32(77.0, 77.0, 77.0);
        assert!((y - 77.0).abs() < 1e-4 && (u - 0.5).abs() < 1e-4 && (v - 0.5).abs() < 1e-4);
    }

    #[test]
    fn u8_round_trip_is_close() {
        let mut worst = 0;
        for r in (0..=255).step_by(15) {
            for g in (0..=255).step_by(15) {
                for b in (0..=255).step_by(15) {
                    let [y, u, v] = rgb_to_yuv_u8(r, g, b);
                    let back = yuv_to_rgb_u8(y, u, v);
                    for (a, c) in back.iter().zip([r, g, b]) {
                        worst = worst.max((i32::from(*a) - i32::from(c)).abs());
                    }
                }
            }
        }
        // YUV does not span RGB in 8 bits (U/V saturate for saturated colours), but most
        // colours come back within a few levels.
        assert!(worst < 80, "worst {worst}");
        assert_eq!(yuv_to_rgb_u8(100, 128, 128), [100, 100, 100]);
    }

    #[test]
    fn f32_round_trip_is_exactish() {
        let [y, u, v] = rgb_to_yuv_f32(10.0, 200.0, 99.0);
        let [r, g, b] = yuv_to_rgb_f32(y, u, v);
        assert!((r - 10.0).abs() < 0.05 && (g - 200.0).abs() < 0.05 && (b - 99.0).abs() < 0.05);
    }
}
