//! Two-dimensional FFTs over row-major complex buffers (rustfft underneath).

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Plans for one `width x height` size, forward or inverse.
pub(crate) struct Fft2 {
    width: usize,
    height: usize,
    rows: Arc<dyn Fft<f32>>,
    cols: Arc<dyn Fft<f32>>,
}

impl Fft2 {
    pub(crate) fn new(width: usize, height: usize, inverse: bool) -> Fft2 {
        let mut planner = FftPlanner::new();
        let (rows, cols) = if inverse {
            (
                planner.plan_fft_inverse(width),
                planner.plan_fft_inverse(height),
            )
        } else {
            (
                planner.plan_fft_forward(width),
                planner.plan_fft_forward(height),
            )
        };
        Fft2 {
            width,
            height,
            rows,
            cols,
        }
    }

    /// Transforms `data` (`width * height`, row-major) in place. Unnormalized.
    pub(crate) fn run(&self, data: &mut [Complex32]) {
        debug_assert_eq!(data.len(), self.width * self.height);
        self.rows.process(data);
        let mut t = transpose(data, self.width, self.height);
        self.cols.process(&mut t);
        let back = transpose(&t, self.height, self.width);
        data.copy_from_slice(&back);
    }
}

/// `w x h` row-major -> `h x w` row-major.
fn transpose(data: &[Complex32], w: usize, h: usize) -> Vec<Complex32> {
    let mut out = vec![Complex32::new(0.0, 0.0); w * h];
    const B: usize = 32;
    for by in (0..h).step_by(B) {
        for bx in (0..w).step_by(B) {
            for y in by..(by + B).min(h) {
                for x in bx..(bx + B).min(w) {
                    out[x * h + y] = data[y * w + x];
                }
            }
        }
    }
    out
}

/// Forward FFT of a real image.
pub(crate) fn forward_real(data: &[f32], width: usize, height: usize) -> Vec<Complex32> {
    let mut c: Vec<Complex32> = data.iter().map(|&v| Complex32::new(v, 0.0)).collect();
    Fft2::new(width, height, false).run(&mut c);
    c
}

/// Inverse FFT, real part, divided by `width * height`.
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
}
