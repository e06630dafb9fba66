//! One level of the 2-D Haar wavelet transform, with PyWavelets' exact floating-point order of
//! operations (`pywt.dwt2` / `pywt.idwt2`, mode "symmetric", even sizes), in `f32` or `f64`.
//!
//! Reproducing the order (rows first, then columns; `x[2k+1]*h + x[2k]*h`) matters: embedders
//! that truncate to 8 bits turn one-ulp differences into one-level pixel differences.

use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

/// A sample type the transform (and the block kernels on its output) run in: `f64` for
/// 8-bit images (pywt widens them), `f32` for float32 images.
pub trait Sample:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Rem<Output = Self>
    + Neg<Output = Self>
    + Send
    + Sync
    + 'static
{
    /// 1/sqrt(2) as PyWavelets stores it for this precision.
    const H: Self;
    const ZERO: Self;
    fn abs(self) -> Self;
    fn floor(self) -> Self;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
}
impl Sample for f64 {
    const H: f64 = std::f64::consts::FRAC_1_SQRT_2;
    const ZERO: f64 = 0.0;
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    fn floor(self) -> f64 {
        f64::floor(self)
    }
    fn from_f64(v: f64) -> f64 {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
}
impl Sample for f32 {
    const H: f32 = std::f64::consts::FRAC_1_SQRT_2 as f32;
    const ZERO: f32 = 0.0;
    fn abs(self) -> f32 {
        f32::abs(self)
    }
    fn floor(self) -> f32 {
        f32::floor(self)
    }
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

/// numpy's floor division (`npy_divmod`): `(a - fmod(a, b)) / b`, corrected and snapped to
/// an integral value, bit for bit.
pub fn floor_div<T: Sample>(a: T, b: T) -> T {
    let mut m = a % b;
    let mut div = (a - m) / b;
    if m != T::ZERO && ((b < T::ZERO) != (m < T::ZERO)) {
        m = m + b;
        div = div - T::from_f64(1.0);
    }
    let _ = m;
    if div != T::ZERO {
        let mut f = div.floor();
        if div - f > T::from_f64(0.5) {
            f = f + T::from_f64(1.0);
        }
        f
    } else {
        T::ZERO
    }
}

/// The four sub-bands of one level, each `w x h` (half the input's size).
#[derive(Clone, Debug, PartialEq)]
pub struct Bands<T> {
    pub w: usize,
    pub h: usize,
    /// Approximation (`cA`).
    pub ll: Vec<T>,
    /// Horizontal detail (`cH`: detail along rows' axis, approximation along columns).
    pub lh: Vec<T>,
    /// Vertical detail (`cV`).
    pub hl: Vec<T>,
    /// Diagonal detail (`cD`).
    pub hh: Vec<T>,
}

#[inline]
fn lo<T: Sample>(x0: T, x1: T) -> T {
    x1 * T::H + x0 * T::H
}
#[inline]
fn hi<T: Sample>(x0: T, x1: T) -> T {
    x1 * (-T::H) + x0 * T::H
}

/// Forward transform of the top-left `w x h` region (`w`, `h` even) of a plane whose rows are
/// `stride` samples apart.
pub fn forward<T: Sample>(plane: &[T], stride: usize, w: usize, h: usize) -> Bands<T> {
    let (w2, h2) = (w / 2, h / 2);
    let n = w2 * h2;
    let mut b = Bands {
        w: w2,
        h: h2,
        ll: Vec::with_capacity(n),
        lh: Vec::with_capacity(n),
        hl: Vec::with_capacity(n),
        hh: Vec::with_capacity(n),
    };
    for r in 0..h2 {
        let top = &plane[2 * r * stride..2 * r * stride + w];
        let bot = &plane[(2 * r + 1) * stride..(2 * r + 1) * stride + w];
        for c in 0..w2 {
            let (a0, a1) = (
                lo(top[2 * c], bot[2 * c]),
                lo(top[2 * c + 1], bot[2 * c + 1]),
            );
            let (d0, d1) = (
                hi(top[2 * c], bot[2 * c]),
                hi(top[2 * c + 1], bot[2 * c + 1]),
            );
            b.ll.push(lo(a0, a1));
            b.hl.push(hi(a0, a1));
            b.lh.push(lo(d0, d1));
            b.hh.push(hi(d0, d1));
        }
    }
    b
}

/// Only the approximation band (what decoders read); same values as `forward(..).ll`.
/// The plane may hold any sample type that widens to `T` (8-bit planes widen to `f64` as
/// pywt widens them).
pub fn forward_ll<S: Copy + Into<T>, T: Sample>(
    plane: &[S],
    stride: usize,
    w: usize,
    h: usize,
    out: &mut Vec<T>,
) {
    let (w2, h2) = (w / 2, h / 2);
    out.clear();
    out.resize(w2 * h2, T::ZERO);
    if w2 == 0 {
        return;
    }
    for (r, dst) in out.chunks_exact_mut(w2).enumerate() {
        let (top, _) = plane[2 * r * stride..2 * r * stride + 2 * w2].as_chunks::<2>();
        let (bot, _) = plane[(2 * r + 1) * stride..(2 * r + 1) * stride + 2 * w2].as_chunks::<2>();
        for ((o, t), b) in dst.iter_mut().zip(top).zip(bot) {
            *o = lo(lo(t[0].into(), b[0].into()), lo(t[1].into(), b[1].into()));
        }
    }
}

/// Inverse transform into a `2w x 2h` plane. With `swap_hv` the horizontal and vertical
/// detail bands trade places, reproducing `pywt.idwt2((ca, (v, h, d)))` as
/// `invisible-watermark` 0.2.0 calls it.
pub fn inverse<T: Sample>(b: &Bands<T>, swap_hv: bool) -> Vec<T> {
    let (w, h) = (b.w * 2, b.h * 2);
    let (lh, hl) = if swap_hv {
        (&b.hl, &b.lh)
    } else {
        (&b.lh, &b.hl)
    };
    let mut out = vec![T::H; w * h];
    // Columns first (axis -1), then rows (axis -2), as pywt.idwtn does.
    let rec = |l: T, d: T| (l * T::H + d * T::H, l * T::H + d * (-T::H));
    for r in 0..b.h {
        for c in 0..b.w {
            let i = r * b.w + c;
            let (a_even, a_odd) = rec(b.ll[i], hl[i]);
            let (d_even, d_odd) = rec(lh[i], b.hh[i]);
            let (x00, x10) = rec(a_even, d_even);
            let (x01, x11) = rec(a_odd, d_odd);
            out[2 * r * w + 2 * c] = x00;
            out[2 * r * w + 2 * c + 1] = x01;
            out[(2 * r + 1) * w + 2 * c] = x10;
            out[(2 * r + 1) * w + 2 * c + 1] = x11;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haar_of_constant_block() {
        let plane = [10.0f64; 16];
        let b = forward(&plane, 4, 4, 4);
        assert_eq!(b.ll.len(), 4);
        for v in &b.ll {
            assert!((v - 20.0).abs() < 1e-12);
        }
        for v in b.lh.iter().chain(&b.hl).chain(&b.hh) {
            assert!(v.abs() < 1e-12);
        }
    }

    #[test]
    fn ll_only_matches_full_transform() {
        let plane: Vec<f32> = (0..64).map(|i| ((i * 37) % 101) as f32 * 0.7).collect();
        let b = forward(&plane, 8, 8, 8);
        let mut ll: Vec<f32> = Vec::new();
        forward_ll(&plane, 8, 8, 8, &mut ll);
        assert_eq!(ll, b.ll);
    }

    #[test]
    fn perfect_reconstruction_without_swap() {
        let plane: Vec<f64> = (0..48).map(|i| ((i * 53) % 97) as f64).collect();
        let b = forward(&plane, 8, 8, 6);
        let back = inverse(&b, false);
        for (a, c) in back.iter().zip(&plane) {
            assert!((a - c).abs() < 1e-9);
        }
        // The swap is not an identity unless the image is symmetric.
        let swapped = inverse(&b, true);
        assert!(swapped
            .iter()
            .zip(&plane)
            .any(|(a, c)| (a - c).abs() > 1e-3));
    }
}
