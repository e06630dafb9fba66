//! Per-block rules of the classical schemes: how one block of the Haar approximation band
//! carries one bit (`invisible-watermark` 0.2.0's `infer_*` / `diffuse_*` functions).

use super::linalg;
use crate::dwt::{floor_div, Sample};

/// `(floor(v / scale) + 0.25 + 0.5 * bit) * scale`, numpy's floor division included.
fn quantize<T: Sample>(v: T, bit: bool, scale: T) -> T {
    let frac = if bit { 0.75 } else { 0.25 };
    // numpy evaluates (q + 0.25) in T, then + 0.5*bit in f64, then * scale; the result is an
    // exact multiple of scale/4 for every realistic magnitude, so the order cannot matter.
    T::from_f64((floor_div(v, scale).to_f64() + frac) * scale.to_f64())
}

/// "dwtDct" (`maxDct.py`): no DCT is computed; the element of largest magnitude among the
/// block's flattened elements 1.. carries the bit in its magnitude modulo `scale`.
pub(crate) mod max_abs {
    use super::*;

    fn argmax_abs<T: Sample>(block: &[T]) -> usize {
        let mut pos = 1;
        let mut best = block[1].abs();
        for (k, v) in block.iter().enumerate().skip(2) {
            let a = v.abs();
            if a > best {
                best = a;
                pos = k;
            }
        }
        pos
    }

    /// The value that carries the bit: the largest magnitude.
    pub(crate) fn carrier<T: Sample>(block: &[T]) -> T {
        block[argmax_abs(block)].abs()
    }

    #[cfg(test)]
    pub(crate) fn infer<T: Sample>(block: &[T], scale: T) -> bool {
        carrier(block) % scale > scale * T::from_f64(0.5)
    }

    /// Quantises the carrying element. With `keep_max` (clean embedding) the new magnitude
    /// is raised by whole steps until it stays the block's largest, so that decoders find
    /// the same element again; imwatermark does not do this and loses bits in flat blocks.
    pub(crate) fn diffuse<T: Sample>(block: &mut [T], bit: bool, scale: T, keep_max: bool) {
        let pos = argmax_abs(block);
        let v = block[pos];
        let mut mag = quantize(v.abs(), bit, scale);
        if keep_max {
            let rival = block
                .iter()
                .enumerate()
                .skip(1)
                .filter(|&(k, _)| k != pos)
                .map(|(_, x)| x.abs())
                .fold(T::ZERO, |a, b| if b > a { b } else { a });
            // A margin of a quarter step survives 8-bit rounding of the pixels.
            while mag <= rival + scale * T::from_f64(0.25) {
                mag = mag + scale;
            }
        }
        block[pos] = if v >= T::ZERO { mag } else { -mag };
    }
}

/// "dwtDctSvd" (`dwtDctSvd.py`): the largest singular value of the block's 2-D DCT carries
/// the bit in its value modulo `scale`.
pub(crate) mod dct_svd {
    use super::*;

    /// The value that carries the bit: the largest singular value (in `f64`, as numpy's SVD).
    /// The DCT is orthogonal, so the block's DCT has the block's singular values: no DCT is
    /// needed to read it.
    pub(crate) fn carrier<T: Sample>(block: &[T], n: usize) -> f64 {
        if n == 4 {
            let mut x = [0.0; 16];
            for (d, v) in x.iter_mut().zip(block) {
                *d = v.to_f64();
            }
            linalg::fixed::top_singular_value_of_block::<4>(&x)
        } else {
            let x: Vec<f64> = block.iter().map(|v| v.to_f64()).collect();
            linalg::top_singular(&x, n).0
        }
    }

    #[cfg(test)]
    pub(crate) fn infer<T: Sample>(block: &[T], scale: T, n: usize, c: &[f64]) -> bool {
        let _ = c;
        let scale = scale.to_f64();
        carrier(block, n) % scale > scale * 0.5
    }

    pub(crate) fn diffuse<T: Sample>(block: &mut [T], bit: bool, scale: T, n: usize, c: &[f64]) {
        let x: Vec<f64> = block.iter().map(|v| v.to_f64()).collect();
        let mut d = linalg::dct2(c, &x, n);
        let (s, u, v) = linalg::top_singular(&d, n);
        let target = quantize(s, bit, scale.to_f64());
        for i in 0..n {
            for j in 0..n {
                d[i * n + j] += (target - s) * u[i] * v[j];
            }
        }
        for (dst, src) in block.iter_mut().zip(linalg::idct2(c, &d, n)) {
            *dst = T::from_f64(src);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_abs_round_trip_both_bits() {
        for bit in [false, true] {
            let mut b: Vec<f64> = vec![
                250.0, 3.0, -120.4, 7.0, 0.0, 1.0, 2.0, 9.0, 4.0, 5.0, 6.0, 8.0, 1.0, 1.0, 1.0, 1.0,
            ];
            max_abs::diffuse(&mut b, bit, 36.0, false);
            assert_eq!(
                b[2],
                if bit {
                    -(3.0 + 0.75) * 36.0
                } else {
                    -(3.0 + 0.25) * 36.0
                }
            );
            assert_eq!(max_abs::infer(&b, 36.0), bit);
            let mut f: Vec<f32> = b.iter().map(|&v| v as f32).collect();
            max_abs::diffuse(&mut f, !bit, 36.0, true);
            assert_eq!(max_abs::infer(&f, 36.0), !bit);
        }
    }

    #[test]
    fn dct_svd_round_trip() {
        let c = linalg::dct_matrix(4);
        for bit in [false, true] {
            let mut b: Vec<f64> = (0..16).map(|i| 200.0 + ((i * 31) % 17) as f64).collect();
            dct_svd::diffuse(&mut b, bit, 36.0, 4, &c);
            assert_eq!(dct_svd::infer(&b, 36.0, 4, &c), bit);
        }
    }
}
