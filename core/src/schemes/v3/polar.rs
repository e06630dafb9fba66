//! Coarse pose search of `edgemark-v3` by log-polar correlation (Fourier–Mellin).
//!
//! Under a resize by `s` and a rotation by `theta`, the tile's frequency `k` lands at
//! `R(theta) k / (s T)` in the image's spectrum: in log-polar coordinates of the spectrum
//! (log radius, angle) every frequency moves by the same shift `(-ln s, theta)`. So the score of
//! every pose on a fine grid (0.75 % scale steps over 0.28-3.4, 0.35 degree steps over half a
//! turn, the period of a real image's power spectrum) is one circular cross-correlation of the
//! log-polar spectrum with the template's log-polar points, computed with two FFTs instead of
//! a lookup per pose and frequency.
//! Different x and y scales (up to 10 % apart) are covered by a few pre-stretched samplings of
//! the spectrum; the caller refines the best poses on the exact spectrum.

use super::fft::Fft2;
use super::pattern::TILE;
use rustfft::num_complex::Complex32;
use std::f32::consts::PI;

/// Log-radius bins are rounded up to a multiple of this (FFT-friendly sizes).
const RHO_ROUND: usize = 32;
/// The template's rotational period: the power spectrum of a real image repeats every half
/// turn. (A layout symmetric under a quarter turn would halve the search, measured: detection
/// 1.6x faster, but one to four photos in 35 fewer detected per attack family, so not taken.)
const TURN: f32 = PI;
/// Angle bins over `TURN` (0.35 degrees each).
const N_PHI: usize = 512;
// `below` reads a cell's two neighbours in a row.
const _: () = assert!(N_PHI >= 3);
/// Log-radius step (0.75 % in scale): the scale step of [`crate::search::EDGEMARK_V3`].
const D_RHO: f32 = crate::search::EDGEMARK_V3.log_step();
/// Bins of margin below the lowest template frequency at the largest scale.
const MARGIN: f32 = 2.0;
/// Stretches `sx / sy` sampled (covering ratios up to 1.1 either way with the refinement's
/// x/y hill-climb). Two more in between (0.965, 1.036) changed no result in 1,085 randomized
/// trials and cost a fifth of the detection time, so they went.
const ASPECTS: [f32; 3] = [1.0, 0.93, 1.075];

/// A coarse pose: mean scale, x/y stretch, rotation (radians) and its correlation score.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Coarse {
    pub scale: f32,
    pub aspect: f32,
    pub theta: f32,
    pub score: f32,
}

/// The mark's frequencies, the scale range and the template's transform.
pub(crate) struct Search {
    scale_min: f32,
    scale_max: f32,
    /// The mark's frequencies in cycles per tile.
    bins: Vec<(f32, f32)>,
    /// Log-radius bins: every shift of the scale range plus the template's extent, so that the
    /// circular correlation never wraps.
    n_rho: usize,
    template: Vec<Complex32>,
    forward: Fft2,
    inverse: Fft2,
}

impl Search {
    pub(crate) fn new(bins: Vec<(f32, f32)>, scale_min: f32, scale_max: f32) -> Search {
        let radius = |&(u, v): &(f32, f32)| (u * u + v * v).sqrt();
        let lo = bins.iter().map(radius).fold(f32::INFINITY, f32::min);
        let hi = bins.iter().map(radius).fold(0.0f32, f32::max);
        let shifts = ((scale_max / scale_min).ln() / D_RHO).ceil() as usize;
        let extent = ((hi / lo).ln() / D_RHO).ceil() as usize + 2 * MARGIN as usize + 2;
        let n_rho = (shifts + extent).div_ceil(RHO_ROUND) * RHO_ROUND;
        let mut s = Search {
            scale_min,
            scale_max,
            bins,
            n_rho,
            template: Vec::new(),
            forward: Fft2::new(N_PHI, n_rho, false),
            inverse: Fft2::new(N_PHI, n_rho, true),
        };
        s.template = s.template();
        s
    }

    /// `ln` of the radius (cycles per image pixel) of log-radius bin 0.
    fn rho0(&self) -> f32 {
        let lowest = self
            .bins
            .iter()
            .map(|&(u, v)| (u * u + v * v).sqrt())
            .fold(f32::INFINITY, f32::min);
        (lowest / (TILE as f32 * self.scale_max)).ln() - MARGIN * D_RHO
    }

    /// Shifts (in log-radius bins) that stay inside the scale range.
    fn shifts(&self) -> usize {
        ((self.scale_max / self.scale_min).ln() / D_RHO).ceil() as usize
    }

    /// The conjugate spectrum of the template: each frequency splatted bilinearly at its log
    /// radius (at the largest scale) and angle.
    fn template(&self) -> Vec<Complex32> {
        let rho0 = self.rho0();
        let n_rho = self.n_rho;
        let mut t = vec![Complex32::new(0.0, 0.0); n_rho * N_PHI];
        let d_phi = TURN / N_PHI as f32;
        for &(u, v) in &self.bins {
            let r = (u * u + v * v).sqrt() / (TILE as f32 * self.scale_max);
            let i = (r.ln() - rho0) / D_RHO;
            let j = v.atan2(u).rem_euclid(TURN) / d_phi;
            let (i0, j0) = (i.floor(), j.floor());
            let (ai, aj) = (i - i0, j - j0);
            let (i0, j0) = (i0 as usize, j0 as usize);
            for (di, wi) in [(0, 1.0 - ai), (1, ai)] {
                for (dj, wj) in [(0, 1.0 - aj), (1, aj)] {
                    let row = (i0 + di).min(n_rho - 1);
                    let col = (j0 + dj) % N_PHI;
                    t[row * N_PHI + col].re += wi * wj;
                }
            }
        }
        self.forward.run(&mut t);
        t.iter_mut().for_each(|c| *c = c.conj());
        t
    }
}

/// The best `keep` coarse poses (distinct by 5 % in scale or 3 degrees) for a spectrum
/// sampled by `at(fx, fy, out)`: `out[i]` the spectrum at `(fx[i], fy[i])` (cycles per image
/// pixel; 0 outside the usable band), a row of samples at a time.
pub(crate) fn search(
    s: &Search,
    at: impl Fn(&[f32], &[f32], &mut [f32]),
    keep: usize,
) -> Vec<Coarse> {
    let template = &s.template;
    let rho0 = s.rho0();
    let n_rho = s.n_rho;
    let shifts = s.shifts().min(n_rho - 1);
    let d_phi = TURN / N_PHI as f32;
    let (forward, inverse) = (&s.forward, &s.inverse);
    // Cosine and sine of every angle bin.
    let (cos, sin): (Vec<f32>, Vec<f32>) = (0..N_PHI)
        .map(|j| (j as f32 * d_phi).sin_cos())
        .map(|(s, c)| (c, s))
        .unzip();
    let mut found: Vec<Coarse> = Vec::new();
    let mut lp = vec![Complex32::new(0.0, 0.0); n_rho * N_PHI];
    // One row of frequencies and of samples per stretch.
    let (mut fx, mut fy) = (vec![0.0f32; N_PHI], vec![0.0f32; N_PHI]);
    let mut samples = [vec![0.0f32; N_PHI], vec![0.0f32; N_PHI]];
    // Two stretches per transform: both samplings are real, so one goes in the real part and
    // one in the imaginary part, and the correlation's real and imaginary parts are theirs.
    for pair in ASPECTS.chunks(2) {
        // A row of frequencies per stretch, sampled in one call (the sampler prepares its
        // lookups in vectorized chunks); the second part stays 0 when the pair has one
        // stretch. Each cell is built from its two samples directly (written through a
        // two-float array and read back as one complex value, it once stalled on store
        // forwarding: about 6 % of the reader's time).
        // Each stretch's x and y factors, once per pair.
        let stretch = [0, 1].map(|k| pair.get(k).map(|&a| (1.0 / a.sqrt(), a.sqrt())));
        for i in 0..n_rho {
            let r = (rho0 + i as f32 * D_RHO).exp();
            for (factors, out) in stretch.iter().zip(samples.iter_mut()) {
                let Some((ax, ay)) = *factors else {
                    out.fill(0.0);
                    continue;
                };
                let (rx, ry) = (ax * r, ay * r);
                for (((x, y), &c), &sn) in fx.iter_mut().zip(fy.iter_mut()).zip(&cos).zip(&sin) {
                    (*x, *y) = (rx * c, ry * sn);
                }
                at(&fx, &fy, out);
            }
            let row = &mut lp[i * N_PHI..(i + 1) * N_PHI];
            for ((cell, &re), &im) in row.iter_mut().zip(&samples[0]).zip(&samples[1]) {
                *cell = Complex32::new(re, im);
            }
        }
        forward.run(&mut lp);
        for (a, t) in lp.iter_mut().zip(template) {
            *a *= *t;
        }
        inverse.run(&mut lp);
        for (part, &aspect) in pair.iter().enumerate() {
            let plane: Vec<f32> = lp[..(shifts + 1) * N_PHI]
                .iter()
                .map(|c| if part == 0 { c.re } else { c.im })
                .collect();
            peaks(&plane, shifts, |d, e, v| {
                found.push(Coarse {
                    scale: s.scale_max * (-(d as f32) * D_RHO).exp(),
                    aspect,
                    theta: e as f32 * d_phi,
                    score: v,
                })
            });
        }
        // Keep the list short between transforms.
        found = best(found, keep);
    }
    best(found, keep)
}

/// Calls `hit(d, e, value)` for every local maximum (3x3) of `value` (rows of `N_PHI`) over
/// shifts `0..=shifts` and all angles (wrapping around).
fn peaks(value: &[f32], shifts: usize, mut hit: impl FnMut(usize, usize, f32)) {
    let row = |d: usize| &value[d * N_PHI..(d + 1) * N_PHI];
    // A cell is a peak when every neighbour is `<=` it (so a NaN, on either side, never is):
    // the test, row by row, over whole rows without a branch per cell (most cells fail it).
    let mut top = [false; N_PHI];
    for d in 0..=shifts {
        let mid = row(d);
        // Its own row (the cell against itself is `v <= v`, true unless `v` is NaN, which
        // fails the neighbours' tests anyway).
        top.fill(true);
        below(mid, mid, &mut top);
        if let Some(up) = d.checked_sub(1).map(row) {
            below(up, mid, &mut top);
        }
        if d < shifts {
            below(row(d + 1), mid, &mut top);
        }
        for (e, (&t, &v)) in top.iter().zip(mid).enumerate() {
            if t {
                hit(d, e, v);
            }
        }
    }
}

/// `top[e] &= r[e - 1] <= v[e] && r[e] <= v[e] && r[e + 1] <= v[e]`, angles wrapping around.
fn below(r: &[f32], v: &[f32], top: &mut [bool; N_PHI]) {
    let n = N_PHI;
    for e in [0, n - 1] {
        let (el, er) = ((e + n - 1) % n, (e + 1) % n);
        top[e] &= r[el] <= v[e] && r[e] <= v[e] && r[er] <= v[e];
    }
    for (((t, &v), l), (m, rr)) in top[1..n - 1]
        .iter_mut()
        .zip(&v[1..n - 1])
        .zip(&r[..n - 2])
        .zip(r[1..n - 1].iter().zip(&r[2..]))
    {
        *t &= (*l <= v) & (*m <= v) & (*rr <= v);
    }
}

/// Distance between two angles modulo `TURN`.
fn angle_gap(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(TURN);
    d.min(TURN - d)
}

/// The `keep` highest-scoring poses, skipping any within 5 % in scale and 3 degrees of one
/// already kept.
fn best(mut all: Vec<Coarse>, keep: usize) -> Vec<Coarse> {
    all.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Coarse> = Vec::with_capacity(keep);
    for c in all {
        if kept.iter().any(|k| {
            (k.scale / c.scale).ln().abs() < 0.05 && angle_gap(k.theta, c.theta) < 3f32.to_radians()
        }) {
            continue;
        }
        kept.push(c);
        if kept.len() == keep {
            break;
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The peak test one cell at a time, as the search did it before the row-wise test.
    fn peaks_one(value: &[f32], shifts: usize) -> Vec<(usize, usize, f32)> {
        let row = |d: usize| &value[d * N_PHI..(d + 1) * N_PHI];
        let below = |r: &[f32], el: usize, e: usize, er: usize, v: f32| {
            r[el] <= v && r[e] <= v && r[er] <= v
        };
        let mut hits = Vec::new();
        for d in 0..=shifts {
            let (mid, up, down) = (
                row(d),
                d.checked_sub(1).map(row),
                (d < shifts).then(|| row(d + 1)),
            );
            for e in 0..N_PHI {
                let v = mid[e];
                let el = if e == 0 { N_PHI - 1 } else { e - 1 };
                let er = if e + 1 == N_PHI { 0 } else { e + 1 };
                if mid[el] <= v
                    && mid[er] <= v
                    && up.is_none_or(|r| below(r, el, e, er, v))
                    && down.is_none_or(|r| below(r, el, e, er, v))
                {
                    hits.push((d, e, v));
                }
            }
        }
        hits
    }

    #[test]
    fn row_wise_peaks_equal_the_cell_by_cell_test() {
        // Noise quantized to a few levels (ties), NaN cells, peaks at the wrap-around.
        let mut rng = super::super::pattern::SplitMix::new(11);
        for shifts in [0, 1, 2, 7] {
            let mut value: Vec<f32> = (0..(shifts + 1) * N_PHI)
                .map(|_| (rng.unit() * 6.0).floor())
                .collect();
            value[3] = f32::NAN;
            value[N_PHI - 1] = 9.0;
            value[(shifts + 1) * N_PHI - 1] = 8.0;
            if shifts > 0 {
                value[N_PHI] = 10.0;
            }
            let mut hits = Vec::new();
            peaks(&value, shifts, |d, e, v| hits.push((d, e, v)));
            let want = peaks_one(&value, shifts);
            assert!(!want.is_empty());
            assert_eq!(hits.len(), want.len(), "shifts {shifts}");
            for (a, b) in hits.iter().zip(&want) {
                assert_eq!((a.0, a.1, a.2.to_bits()), (b.0, b.1, b.2.to_bits()));
            }
        }
    }
}
