//! Two-dimensional FFTs over row-major complex buffers (rustfft underneath).
//!
//! Natively rustfft's planner picks the plan (and its AVX/SSE/NEON code). In WebAssembly a
//! compact plan of our own ([`compact_plan`]) builds each transform from four of rustfft's
//! algorithms only: the planner links every butterfly up to 32 plus Rader's, Good-Thomas and
//! RadixN: 46 KB of the gzipped classical npm package (423,169 -> 377,143 bytes) for sizes v3
//! rarely meets, at 5-8 % of v3's time in Chromium (wasm/README.md). Radix 3 runs over the
//! 9-point butterfly, not the 27-point one `Radix3::new` would link (another 9 KB gzipped).

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftDirection};
use std::sync::Arc;

/// The transform of length `len` (`len >= 1`).
fn plan(len: usize, direction: FftDirection) -> Arc<dyn Fft<f32>> {
    #[cfg(target_arch = "wasm32")]
    {
        compact_plan(len, direction)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        rustfft::FftPlanner::new().plan_fft(len, direction)
    }
}

/// A plan from radix 4 (powers of two), radix 3 (powers of three), size-5 butterflies and,
/// for what is left (a product of primes of 7 and more), Bluestein's algorithm over a
/// power-of-two transform, joined by mixed-radix steps.
#[cfg(any(target_arch = "wasm32", test))]
fn compact_plan(len: usize, direction: FftDirection) -> Arc<dyn Fft<f32>> {
    use rustfft::algorithm::butterflies::{Butterfly1, Butterfly3, Butterfly5, Butterfly9};
    use rustfft::algorithm::{BluesteinsAlgorithm, MixedRadix, Radix3, Radix4};
    let len = len.max(1);
    let twos = len.trailing_zeros();
    let mut rest = len >> twos;
    let mut threes = 1usize;
    while rest.is_multiple_of(3) {
        rest /= 3;
        threes *= 3;
    }
    let mut parts: Vec<Arc<dyn Fft<f32>>> = Vec::new();
    if twos > 0 {
        parts.push(Arc::new(Radix4::new(1 << twos, direction)));
    }
    // Radix 3 on a 9-point butterfly, never `Radix3::new`, which links its 27-point base
    // (44 KB of code, about 9 KB of the gzipped npm package) whatever the length; lengths
    // with 27 in them take one radix-3 pass more.
    match threes {
        1 => {}
        3 => parts.push(Arc::new(Butterfly3::new(direction))),
        _ => parts.push(Arc::new(Radix3::new_with_base(
            threes.ilog(3) - 2,
            Arc::new(Butterfly9::new(direction)),
        ))),
    }
    while rest.is_multiple_of(5) {
        rest /= 5;
        parts.push(Arc::new(Butterfly5::new(direction)));
    }
    if rest > 1 {
        let inner = Arc::new(Radix4::new((2 * rest - 1).next_power_of_two(), direction));
        parts.push(Arc::new(BluesteinsAlgorithm::new(rest, inner)));
    }
    parts
        .into_iter()
        .reduce(|a, b| Arc::new(MixedRadix::new(a, b)) as Arc<dyn Fft<f32>>)
        .unwrap_or_else(|| Arc::new(Butterfly1::new(direction)))
}

/// Plans for one `width x height` size, forward or inverse.
pub(crate) struct Fft2 {
    width: usize,
    height: usize,
    rows: Arc<dyn Fft<f32>>,
    cols: Arc<dyn Fft<f32>>,
}

impl Fft2 {
    pub(crate) fn new(width: usize, height: usize, inverse: bool) -> Fft2 {
        let direction = if inverse {
            FftDirection::Inverse
        } else {
            FftDirection::Forward
        };
        let (rows, cols) = (plan(width, direction), plan(height, direction));
        Fft2 {
            width,
            height,
            rows,
            cols,
        }
    }

    /// Transforms `data` (`width * height`, row-major) in place. Unnormalized.
    pub(crate) fn run(&self, data: &mut [Complex32]) {
        let (w, h) = (self.width, self.height);
        debug_assert_eq!(data.len(), w * h);
        self.rows.process(data);
        // Columns, `COLS` at a time: gathered (each row gives one contiguous run) into a block
        // whose column stride is padded off a power of two, so that the block's columns do not
        // compete for the same cache sets; transformed there and scattered back. (Transposing
        // the whole array twice instead took a sixth of the v3 reader's time.)
        const COLS: usize = 16;
        let zero = Complex32::new(0.0, 0.0);
        let stride = h + 8;
        let mut block = vec![zero; COLS * stride];
        let mut scratch = vec![zero; self.cols.get_inplace_scratch_len()];
        for x0 in (0..w).step_by(COLS) {
            let n = COLS.min(w - x0);
            for (y, row) in data.chunks_exact(w).enumerate() {
                for (c, &v) in row[x0..x0 + n].iter().enumerate() {
                    block[c * stride + y] = v;
                }
            }
            for c in 0..n {
                self.cols
                    .process_with_scratch(&mut block[c * stride..c * stride + h], &mut scratch);
            }
            for (y, row) in data.chunks_exact_mut(w).enumerate() {
                for (c, v) in row[x0..x0 + n].iter_mut().enumerate() {
                    *v = block[c * stride + y];
                }
            }
        }
    }
}

/// Forward FFT of a real image.
pub(crate) fn forward_real(data: &[f32], width: usize, height: usize) -> Vec<Complex32> {
    let mut c: Vec<Complex32> = data.iter().map(|&v| Complex32::new(v, 0.0)).collect();
    Fft2::new(width, height, false).run(&mut c);
    c
}

/// Inverse FFT, real part, divided by `width * height`.
#[cfg(test)]
pub(crate) fn inverse_real(mut spec: Vec<Complex32>, width: usize, height: usize) -> Vec<f32> {
    Fft2::new(width, height, true).run(&mut spec);
    let scale = 1.0 / (width * height) as f32;
    spec.iter().map(|c| c.re * scale).collect()
}

/// Signed frequency index of FFT bin `i` of an `n`-point transform.
pub(crate) fn signed(i: usize, n: usize) -> i32 {
    if i <= n / 2 {
        i as i32
    } else {
        i as i32 - n as i32
    }
}

/// FFT bin of signed frequency `k` in an `n`-point transform.
pub(crate) fn bin(k: i32, n: usize) -> usize {
    k.rem_euclid(n as i32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_then_inverse_is_identity_and_a_cosine_lands_in_its_bin() {
        let (w, h) = (16usize, 8usize);
        let img: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                (2.0 * std::f32::consts::PI * (3.0 * x / w as f32 + 1.0 * y / h as f32)).cos()
            })
            .collect();
        let spec = forward_real(&img, w, h);
        let peak = spec
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.norm().total_cmp(&b.1.norm()))
            .map(|(i, _)| i)
            .unwrap();
        let (kx, ky) = (signed(peak % w, w), signed(peak / w, h));
        assert!((kx, ky) == (3, 1) || (kx, ky) == (-3, -1), "{kx},{ky}");
        let back = inverse_real(spec, w, h);
        for (a, b) in img.iter().zip(&back) {
            assert!((a - b).abs() < 1e-4);
        }
        assert_eq!(bin(-1, 8), 7);
    }

    #[test]
    fn the_compact_plan_equals_the_planner_on_every_kind_of_length() {
        // Powers of two, of three, fives, primes and their mixtures (Bluestein's lengths).
        for len in [
            1usize, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 16, 25, 27, 30, 31, 45, 64, 81, 96, 98,
            100, 125, 128, 150, 181, 192, 243, 256, 360, 362, 480, 500, 510, 512, 686, 768, 1000,
            1022, 1024, 1080, 1366, 2048, 2187,
        ] {
            for direction in [FftDirection::Forward, FftDirection::Inverse] {
                let data: Vec<Complex32> = (0..len)
                    .map(|i| {
                        Complex32::new(((i * 7919) % 101) as f32 - 50.0, ((i * 31) % 13) as f32)
                    })
                    .collect();
                let mut want = data.clone();
                rustfft::FftPlanner::new()
                    .plan_fft(len, direction)
                    .process(&mut want);
                let mut got = data;
                let fft = compact_plan(len, direction);
                assert_eq!(fft.len(), len);
                fft.process(&mut got);
                let scale = want.iter().map(|c| c.norm()).fold(1.0f32, f32::max);
                for (k, (a, b)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        (a - b).norm() <= 1e-5 * scale,
                        "length {len} {direction:?} bin {k}: {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn two_d_transform_equals_the_direct_sum() {
        // Width not a multiple of the column block, height not a power of two.
        let (w, h) = (37usize, 12usize);
        let data: Vec<Complex32> = (0..w * h)
            .map(|i| Complex32::new(((i * 7919) % 101) as f32 - 50.0, ((i * 31) % 13) as f32))
            .collect();
        let mut fast = data.clone();
        Fft2::new(w, h, false).run(&mut fast);
        for ky in 0..h {
            for kx in 0..w {
                let mut sum = rustfft::num_complex::Complex64::new(0.0, 0.0);
                for y in 0..h {
                    for x in 0..w {
                        let a = -2.0
                            * std::f64::consts::PI
                            * ((kx * x) as f64 / w as f64 + (ky * y) as f64 / h as f64);
                        let v = data[y * w + x];
                        sum += rustfft::num_complex::Complex64::new(v.re as f64, v.im as f64)
                            * rustfft::num_complex::Complex64::from_polar(1.0, a);
                    }
                }
                let got = fast[ky * w + kx];
                assert!(
                    (got.re as f64 - sum.re).abs() < 1e-2 && (got.im as f64 - sum.im).abs() < 1e-2,
                    "bin ({kx}, {ky}): {got} vs {sum}"
                );
            }
        }
    }
}
