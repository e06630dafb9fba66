//! Geometric synchronization and reading of the `edgemark-v3` tile.
//!
//! 1. **Pose.** The tiled mark puts its energy at known frequencies, moved by whatever
//!    geometry the image went through (scale, rotation, aspect change). The whitened power
//!    spectrum (`|F|^2` over its local mean, so only spectral peaks count; JPEG's 8x8 block
//!    grid notched out) of the whitened, contrast-normalized image is searched for that
//!    template over the scales of [`crate::search::EDGEMARK_V3`] (0.28 to 3.4) and all rotations, and the best poses are refined.
//!    The pose gives the lattice the tile repeats on.
//! 2. **Fold.** For each candidate lattice (plus the identity), every pixel of the whitened,
//!    contrast-normalized image is mapped back to tile coordinates and accumulated into one
//!    `TILE x TILE` tile: the mark adds up coherently, content averages out. A crop only
//!    shifts the folded tile circularly. A small photograph's reader also folds a sweep of
//!    rescalings and rotations ([`sweep`]).
//! 3. **Phase.** The folded tile's spectrum is correlated with the known synchronization
//!    frequencies over the circular shifts (on a 64x64 grid, then at whole shifts next to its
//!    best points) and the four quarter turns; the strongest peak wins,
//!    measured in standard deviations of the noise (`z`, from the unused in-band frequencies).
//!    Each frequency counts at most a few noise amplitudes, so one strong periodic component
//!    of the content cannot synchronize a wrong lattice on its own.
//! 4. **Bits.** Each code bit is the sign of its frequency after undoing the shift.
//!
//! Only the synchronization frequencies choose the geometry; the data frequencies are
//! disjoint from them, so on an unmarked image the bits read at the chosen geometry are still
//! fair coins and the detector's p-value stays exact.

use super::fft;
use super::pattern::{layout, TILE};
use super::polar;
use rustfft::num_complex::Complex32;
use std::borrow::Cow;
use std::f32::consts::PI;
use std::sync::OnceLock;

/// A grey (luma) plane.
#[derive(Clone)]
pub(crate) struct Plane {
    pub w: usize,
    pub h: usize,
    pub v: Vec<f32>,
}

impl Plane {
    /// The `w x h` part whose top-left corner is at `(x0, y0)` (clamped to the plane).
    pub(crate) fn crop(&self, x0: usize, y0: usize, w: usize, h: usize) -> Plane {
        let (x0, y0) = (x0.min(self.w), y0.min(self.h));
        let (w, h) = (w.min(self.w - x0), h.min(self.h - y0));
        let mut v = Vec::with_capacity(w * h);
        for y in y0..y0 + h {
            v.extend_from_slice(&self.v[y * self.w + x0..y * self.w + x0 + w]);
        }
        Plane { w, h, v }
    }

    /// The plane seen through a pure projective warp (a keystone), same size: the output at
    /// `p` samples this plane at `c + (p - c) / (1 + a u + b v)` (bilinear), where `c` is the
    /// centre and `(u, v) = (p - c) / d`, with `d` half the diagonal. Any homography is an
    /// affine map times such a warp, so trying a few `(a, b)` and letting the lattice search
    /// absorb the affine rest follows a camera's perspective (a turn of the camera by `t`
    /// about the vertical axis, with a focal length `f`, gives `a = tan(t) d / f`). Samples
    /// outside the plane are its mean (no edge of its own for the whitening).
    pub(crate) fn keystone(&self, a: f32, b: f32) -> Plane {
        let (w, h) = (self.w, self.h);
        let mean = self.v.iter().map(|&v| f64::from(v)).sum::<f64>() / (w * h).max(1) as f64;
        let mean = mean as f32;
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let d = (cx * cx + cy * cy).sqrt().max(1.0);
        let mut v = vec![mean; w * h];
        // Each column's offset and its share of the denominator, once for all rows.
        let columns: Vec<(f32, f32)> = (0..w)
            .map(|x| {
                let dx = x as f32 + 0.5 - cx;
                (dx, a * dx / d)
            })
            .collect();
        for (y, row) in v.chunks_exact_mut(w).enumerate() {
            let dy = y as f32 + 0.5 - cy;
            let by = 1.0 + b * dy / d;
            for (out, &(dx, adx)) in row.iter_mut().zip(&columns) {
                let den = by + adx;
                if den <= 0.05 {
                    continue;
                }
                let sx = cx + dx / den - 0.5;
                let sy = cy + dy / den - 0.5;
                if !(sx >= 0.0 && sy >= 0.0 && sx <= (w - 1) as f32 && sy <= (h - 1) as f32) {
                    continue;
                }
                let (x0, y0) = (sx as usize, sy as usize);
                let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
                let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
                let p = |x: usize, y: usize| self.v[y * w + x];
                *out = (p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx) * (1.0 - fy)
                    + (p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx) * fy;
            }
        }
        Plane { w, h, v }
    }
}

/// One tile period along the tile's x and y axes, in image pixels: tile coordinates `u` map to
/// image coordinates `centre + (v1 * u.x + v2 * u.y) / TILE`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Lattice {
    pub v1: [f32; 2],
    pub v2: [f32; 2],
}

impl Lattice {
    fn det(&self) -> f32 {
        self.v1[0] * self.v2[1] - self.v1[1] * self.v2[0]
    }
    /// Mean scale relative to the embedding resolution.
    pub(crate) fn scale(&self) -> f32 {
        (self.det().abs()).sqrt() / TILE as f32
    }
    /// Rotation of the first axis in degrees.
    pub(crate) fn angle(&self) -> f32 {
        self.v1[1].atan2(self.v1[0]).to_degrees()
    }
}

/// What the reader found.
#[derive(Clone, Debug)]
pub(crate) struct Read {
    /// Soft code bits: positive means 1, in units of the noise's standard deviation.
    pub soft: Vec<f32>,
    /// Strength of the synchronization peak in standard deviations.
    pub z: f32,
    pub lattice: Lattice,
    /// Quarter turns of the tile found.
    pub quarter_turns: u8,
    /// The view of the image read when it was not the whole image as given (a keystone or a
    /// window of a camera photo of a screen), or `"unit whitening"` for the identity's second
    /// reading of a photograph ([`read`]), or `"sweep"` for a pose of [`sweep`], for the
    /// reading's description.
    pub view: Option<String>,
}

/// Luma (BT.601) of 8-bit RGB.
pub(crate) fn luma(rgb: &[u8], w: usize, h: usize) -> Plane {
    let v = rgb
        .chunks_exact(3)
        .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32)
        .collect();
    Plane { w, h, v }
}

/// Box blur of radius `r` along rows then columns (edges clamped), by running sums.
pub(crate) fn box_blur(src: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    debug_assert_eq!(src.len(), w * h);
    if r == 0 || w == 0 || h == 0 {
        return src.to_vec();
    }
    // Filled row by row rather than zeroed first (the zeroing was a twentieth of a trace).
    let mut tmp = Vec::with_capacity(w * h);
    let norm = 1.0 / (2 * r + 1) as f32;
    let mut line = Vec::with_capacity(w + 2 * r);
    for row in src.chunks_exact(w) {
        blur_line(row, r, norm, &mut line, &mut tmp);
    }
    // Columns: one running sum per column, advanced a whole row at a time (the same sums, in
    // the same order, as `blur_line` along each column, but reading memory row by row).
    let mut out = Vec::with_capacity(w * h);
    let mut acc = vec![-0.0f64; w];
    let row = |y: isize| {
        let y = y.clamp(0, h as isize - 1) as usize;
        &tmp[y * w..(y + 1) * w]
    };
    for k in -(r as isize)..=(r as isize) {
        acc.iter_mut()
            .zip(row(k))
            .for_each(|(a, &v)| *a += v as f64);
    }
    let n = norm as f64;
    for y in 0..h {
        if y > 0 {
            let (add, sub) = (row((y + r) as isize), row(y as isize - r as isize - 1));
            for ((a, &p), &m) in acc.iter_mut().zip(add).zip(sub) {
                *a += p as f64 - m as f64;
            }
        }
        out.extend(acc.iter().map(|&a| (a * n) as f32));
    }
    out
}

/// Box blur of one line (edges clamped), appended to `out`; `padded` is scratch.
fn blur_line(src: &[f32], r: usize, norm: f32, padded: &mut Vec<f32>, out: &mut Vec<f32>) {
    let n = src.len();
    padded.clear();
    let first = src[0];
    let last = src[n - 1];
    padded.extend(std::iter::repeat_n(first, r));
    padded.extend_from_slice(src);
    padded.extend(std::iter::repeat_n(last, r));
    // f64 running sum: an f32 one drifts over long lines (and can go negative on squares).
    let mut acc: f64 = padded[..2 * r + 1].iter().map(|&v| v as f64).sum();
    let norm = norm as f64;
    out.push((acc * norm) as f32);
    out.extend(
        padded[2 * r + 1..]
            .iter()
            .zip(padded.iter())
            .map(|(&add, &sub)| {
                acc += add as f64 - sub as f64;
                (acc * norm) as f32
            }),
    );
}

/// Approximately Gaussian blur: three box passes of radius `r` (standard deviation about
/// `sqrt(r (r + 1))`).
fn smooth(src: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let a = box_blur(src, w, h, r);
    let b = box_blur(&a, w, h, r);
    box_blur(&b, w, h, r)
}

/// The two radii a whitening ([`whiten`], [`whiten_screen`]) suited to marks at a scale
/// uses: the box radius of the three-box blur that gives the local level (standard deviation
/// 3 x scale, within [1, 9]) and that of the local energy (12 x scale, within [6, 40]). A
/// whitening depends on the scale only through them, so scales with the same radii share one
/// (every scale under about 0.6 gives (1, 6)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Radii {
    level: usize,
    energy: usize,
}

impl Radii {
    pub(crate) fn for_scale(scale: f32) -> Radii {
        let sigma = (3.0 * scale).clamp(1.0, 9.0);
        // Three boxes of radius r have variance 3 * r (r + 1) / 3 = r (r + 1).
        let level = ((sigma * sigma + 0.25).sqrt() - 0.5).round().max(1.0) as usize;
        let energy = (12.0 * scale).clamp(6.0, 40.0) as usize;
        Radii { level, energy }
    }
}

/// The whitened, contrast-normalized image the fold reads: luma minus its blur at a radius
/// suited to the mark's scale ([`Radii`]), divided by `s^1.5`, `s` the local RMS of that
/// residual plus 0.5 (so that a flat area does not weigh without bound). [`read`] also folds a
/// photograph's identity from the residual over `s` alone ([`Weight::Unit`]).
///
/// Divided by `s`, every pixel's residual would have about unit RMS. The mark's share of it
/// is larger where the image is calmer, and a matched filter weighs each normalized pixel by
/// that share too: the embedding's texture mask grows as the local activity to the power 0.7,
/// which alone would make the share `s^-0.3`, and re-encoding noise, which does not grow with
/// texture, lowers it further in busy areas. The further power 0.5 is measured (session 27,
/// six crop, rotation and resize + JPEG families, 1050 trials: further powers 0.3, 0.45, 0.5,
/// 0.6 and 1.0 found 911, 918, 916, 914 and 884 of them against 879 without, -0.3 found 821;
/// clipping the normalized residual at 2 or 3 found 887 or 883 alone, at most one more with
/// the weighting).
pub(crate) fn whiten(p: &Plane, radii: Radii) -> Vec<f32> {
    whiten_weighted(p, radii, Weight::Matched)
}

/// How [`whiten_weighted`] weighs calm areas against busy ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Weight {
    /// The residual over `s^1.5` ([`whiten`]).
    Matched,
    /// The residual over `s`: every pixel about unit RMS. Where the mark hides in the busy
    /// areas of a photo (butterfly: its calm background blurred, the wings textured), this
    /// reads more of it than the matched weighting does; [`read`] reads the identity with
    /// both.
    Unit,
}

/// [`whiten`] with either [`Weight`].
fn whiten_weighted(p: &Plane, radii: Radii, weight: Weight) -> Vec<f32> {
    let low = smooth(&p.v, p.w, p.h, radii.level);
    let r: Vec<f32> = p.v.iter().zip(&low).map(|(a, b)| a - b).collect();
    let sq: Vec<f32> = r.iter().map(|v| v * v).collect();
    let local = box_blur(&sq, p.w, p.h, radii.energy);
    r.iter()
        .zip(&local)
        .map(|(v, e)| {
            let s = e.max(0.0).sqrt() + 0.5;
            match weight {
                Weight::Matched => v / (s * s.sqrt()),
                Weight::Unit => v / s,
            }
        })
        .collect()
}

/// How the reader whitens the image before searching and folding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Whitening {
    /// [`whiten`]: for photographs, where the mark hides in texture.
    Photo,
    /// [`whiten_screen`]: for screen content (text, line art, flat UI) under an overlay.
    Screen,
}

/// Largest 3x3 range (max - min of luma) of a pixel [`whiten_screen`] counts as background:
/// an overlay's own pattern changes by a few levels over 3 pixels, a glyph's edge by tens.
/// (Raising it with the image's noise, to keep a camera photo's background, was tried: camera
/// photos did not gain and zoomed dense text lost, its softened edges counting as background.)
const FLAT_RANGE: f32 = 14.0;

/// Whitening for screen content: text and line art are sharp ink on flat backgrounds, and
/// their edges, spread by the blur of [`whiten`], drown an overlay's few levels in every text
/// area. Here only background pixels (3x3 range under [`FLAT_RANGE`], a [`Background`])
/// count: the local background level is their blur alone (normalized convolution), the
/// residual is kept on them and zero elsewhere, and divided by its local RMS over them.
pub(crate) fn whiten_screen(p: &Plane, background: &Background, radii: Radii) -> Vec<f32> {
    let (w, h) = (p.w, p.h);
    let Background { mask, masked } = background;
    let num = smooth(masked, w, h, radii.level);
    let den = smooth(mask, w, h, radii.level);
    let r: Vec<f32> =
        p.v.iter()
            .zip(mask)
            .zip(num.iter().zip(&den))
            .map(|((&v, &m), (&n, &d))| if m > 0.0 && d > 0.05 { v - n / d } else { 0.0 })
            .collect();
    let sq: Vec<f32> = r.iter().map(|v| v * v).collect();
    let energy = box_blur(&sq, w, h, radii.energy);
    let count = box_blur(mask, w, h, radii.energy);
    r.iter()
        .zip(energy.iter().zip(&count))
        .map(|(v, (e, c))| v / ((e / c.max(1e-3)).max(0.0).sqrt() + 0.5))
        .collect()
}

/// A screen's background for [`whiten_screen`]: which pixels count (1 or 0) and the luma on
/// them (0 elsewhere). The same at every scale, so the reader finds it once per plane.
pub(crate) struct Background {
    mask: Vec<f32>,
    masked: Vec<f32>,
}

impl Background {
    pub(crate) fn new(p: &Plane) -> Background {
        let mask: Vec<f32> = range3(p)
            .iter()
            .map(|&r| if r <= FLAT_RANGE { 1.0 } else { 0.0 })
            .collect();
        let masked = p.v.iter().zip(&mask).map(|(v, m)| v * m).collect();
        Background { mask, masked }
    }
}

/// Max minus min of each pixel's 3x3 neighbourhood (clipped at the borders), computed
/// separably: min and max over a rectangle are the min and max of its rows' min and max, so
/// this equals the direct 9-pixel scan exactly.
fn range3(p: &Plane) -> Vec<f32> {
    let (w, h) = (p.w, p.h);
    if w == 0 || h == 0 {
        return Vec::new();
    }
    // Along rows: the min and max of x-1..=x+1.
    let mut lo = vec![0.0f32; w * h];
    let mut hi = vec![0.0f32; w * h];
    for ((src, lo), hi) in
        p.v.chunks_exact(w)
            .zip(lo.chunks_exact_mut(w))
            .zip(hi.chunks_exact_mut(w))
    {
        lo[0] = src[0].min(src[w.min(2) - 1]);
        hi[0] = src[0].max(src[w.min(2) - 1]);
        if w > 1 {
            lo[w - 1] = src[w - 2].min(src[w - 1]);
            hi[w - 1] = src[w - 2].max(src[w - 1]);
        }
        if w > 2 {
            let (a, b, c) = (&src[..w - 2], &src[1..w - 1], &src[2..]);
            for (((l, u), (a, b)), c) in lo[1..w - 1]
                .iter_mut()
                .zip(&mut hi[1..w - 1])
                .zip(a.iter().zip(b))
                .zip(c)
            {
                *l = a.min(*b).min(*c);
                *u = a.max(*b).max(*c);
            }
        }
    }
    // Down columns: the rows y-1..=y+1 of those.
    let mut range = vec![0.0f32; w * h];
    for (y, out) in range.chunks_exact_mut(w).enumerate() {
        let (y0, y1) = (y.saturating_sub(1), (y + 1).min(h - 1));
        let (l0, l1, l2) = (
            &lo[y0 * w..(y0 + 1) * w],
            &lo[y * w..(y + 1) * w],
            &lo[y1 * w..(y1 + 1) * w],
        );
        let (u0, u1, u2) = (
            &hi[y0 * w..(y0 + 1) * w],
            &hi[y * w..(y + 1) * w],
            &hi[y1 * w..(y1 + 1) * w],
        );
        for (((o, (u0, u1)), (u2, l0)), (l1, l2)) in out
            .iter_mut()
            .zip(u0.iter().zip(u1))
            .zip(u2.iter().zip(l0))
            .zip(l1.iter().zip(l2))
        {
            *o = u0.max(*u1).max(*u2) - l0.min(*l1).min(*l2);
        }
    }
    range
}

/// Halves a plane by 2x2 averaging.
fn half(p: &Plane) -> Plane {
    let (w, h) = (p.w / 2, p.h / 2);
    let mut v = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let i = 2 * y * p.w + 2 * x;
            v.push(0.25 * (p.v[i] + p.v[i + 1] + p.v[i + p.w] + p.v[i + p.w + 1]));
        }
    }
    Plane { w, h, v }
}

/// Largest analysis window side.
const WINDOW: usize = 1024;

/// A geometry hypothesis: the image is the embedded one resized by `sx` along x and `sy`
/// along y after a rotation by `theta` (radians).
#[derive(Clone, Copy, Debug)]
struct Pose {
    sx: f32,
    sy: f32,
    theta: f32,
}

impl Pose {
    /// `A = diag(sx, sy) R(theta)` maps embedded coordinates to image coordinates.
    fn lattice(&self) -> Lattice {
        let (s, c) = self.theta.sin_cos();
        let t = TILE as f32;
        // Columns of T * A.
        Lattice {
            v1: [t * self.sx * c, t * self.sy * s],
            v2: [-t * self.sx * s, t * self.sy * c],
        }
    }
}

/// One analysis level: the whitened power spectrum of a centred window (`|F|^2` over its local
/// mean, so that only spectral peaks stand out; the JPEG block grid and the lowest
/// frequencies notched out).
struct Spectrum {
    w: usize,
    h: usize,
    /// The ratio over signed frequencies `-(w/2 + PAD) ..= w/2 + PAD` along x (and likewise
    /// along y), row-major, so that a lookup needs no wrapping.
    centred: Vec<f32>,
    stride: usize,
    /// Index of frequency (0, 0) in `centred`.
    origin: usize,
}

/// Frequencies beyond Nyquist kept (wrapped) in `Spectrum::centred`: enough for a bilinear
/// lookup anywhere in the band.
const PAD: usize = 2;

impl Spectrum {
    fn new(p: &Plane) -> Spectrum {
        let ww = p.w.min(WINDOW) & !1;
        let wh = p.h.min(WINDOW) & !1;
        let (ox, oy) = ((p.w - ww) / 2, (p.h - wh) / 2);
        let mut mean = 0.0f64;
        for y in 0..wh {
            for x in 0..ww {
                mean += p.v[(oy + y) * p.w + ox + x] as f64;
            }
        }
        let mean = (mean / (ww * wh) as f64) as f32;
        // Tukey window (10 % cosine tapers): keeps most of the mark's energy, unlike Hann.
        let tukey = |i: usize, n: usize| {
            let edge = (0.1 * n as f32).max(1.0);
            let d = (i as f32 + 0.5).min(n as f32 - i as f32 - 0.5);
            if d >= edge {
                1.0
            } else {
                0.5 - 0.5 * (PI * d / edge).cos()
            }
        };
        let hx: Vec<f32> = (0..ww).map(|i| tukey(i, ww)).collect();
        let hy: Vec<f32> = (0..wh).map(|i| tukey(i, wh)).collect();
        let mut win = vec![0.0f32; ww * wh];
        for y in 0..wh {
            for x in 0..ww {
                win[y * ww + x] = (p.v[(oy + y) * p.w + ox + x] - mean) * hx[x] * hy[y];
            }
        }
        let spec = fft::forward_real(&win, ww, wh);
        let mut power: Vec<f32> = spec.iter().map(|c| c.norm_sqr()).collect();
        let grid = 8.0f32;
        let notch = |k: i32, n: usize| -> bool {
            if grid < 2.0 {
                return false;
            }
            (1..grid.round() as i32).any(|m| {
                let f = m as f32 * n as f32 / grid;
                let f = if f > n as f32 / 2.0 { f - n as f32 } else { f };
                (k as f32 - f).abs() <= 1.0 || (k as f32 + f).abs() <= 1.0
            })
        };
        let nx: Vec<bool> = (0..ww).map(|i| notch(fft::signed(i, ww), ww)).collect();
        let ny: Vec<bool> = (0..wh).map(|i| notch(fft::signed(i, wh), wh)).collect();
        for y in 0..wh {
            let ky = fft::signed(y, wh);
            for x in 0..ww {
                let kx = fft::signed(x, ww);
                if nx[x] || ny[y] || (kx.abs() <= 2 && ky.abs() <= 2) {
                    power[y * ww + x] = 0.0;
                }
            }
        }
        // Local mean over the bins that were not notched out.
        let valid: Vec<f32> = power
            .iter()
            .map(|&p| if p > 0.0 { 1.0 } else { 0.0 })
            .collect();
        let local = circular_box(&power, ww, wh, 4);
        let count = circular_box(&valid, ww, wh, 4);
        let ratio: Vec<f32> = power
            .iter()
            .zip(local.iter().zip(&count))
            .map(|(&p, (&m, &c))| {
                if m > 0.0 && c > 0.2 {
                    (p * c / m).min(20.0)
                } else {
                    0.0
                }
            })
            .collect();
        let (hx, hy) = (ww / 2 + PAD, wh / 2 + PAD);
        let stride = 2 * hx + 1;
        let mut centred = Vec::with_capacity(stride * (2 * hy + 1));
        for ky in -(hy as i32)..=hy as i32 {
            let row = &ratio[fft::bin(ky, wh) * ww..(fft::bin(ky, wh) + 1) * ww];
            centred.extend((-(hx as i32)..=hx as i32).map(|kx| row[fft::bin(kx, ww)]));
        }
        Spectrum {
            w: ww,
            h: wh,
            centred,
            stride,
            origin: hy * stride + hx,
        }
    }

    /// The spectrum at every `(fx[i], fy[i])` (cycles per analysis pixel) into `out[i]`: the
    /// bilinear lookup, or 0 outside the band a score may use (as `score` draws it). In
    /// chunks, the coordinates first (a loop the compiler vectorizes) and the table reads
    /// after; the same arithmetic as one lookup at a time, so the same values to the bit.
    /// The three slices have the same length.
    fn at_band(&self, fx: &[f32], fy: &[f32], out: &mut [f32]) {
        debug_assert!(fx.len() == fy.len() && fy.len() == out.len());
        let mut cells = Cells::default();
        for ((fx, fy), out) in fx
            .chunks(LOOKUP_CHUNK)
            .zip(fy.chunks(LOOKUP_CHUNK))
            .zip(out.chunks_mut(LOOKUP_CHUNK))
        {
            cells.place(self, fx, fy);
            // Only the cells just placed (never a longer chunk's stale ones).
            for (k, o) in out.iter_mut().enumerate().take(fx.len()) {
                *o = if cells.in_band[k] {
                    self.bilinear(&cells, k)
                } else {
                    0.0
                };
            }
        }
    }

    /// The bilinear lookup at cell `k` of `cells` (in the band).
    #[inline(always)]
    fn bilinear(&self, cells: &Cells, k: usize) -> f32 {
        let (i, ax, ay) = (cells.i[k] as usize, cells.ax[k], cells.ay[k]);
        let c = &self.centred;
        let st = self.stride;
        (c[i] * (1.0 - ax) + c[i + 1] * ax) * (1.0 - ay)
            + (c[i + st] * (1.0 - ax) + c[i + st + 1] * ax) * ay
    }

    /// Mean whitened power at the mark's frequencies under `pose` (about 1 where there is no
    /// mark); `None` when some frequency falls outside the usable band of this level.
    fn score(&self, pose: &Pose, bins: &Bins) -> Option<f32> {
        let (s, c) = pose.theta.sin_cos();
        let t = TILE as f32;
        // f = diag(1/sx, 1/sy) R(theta) k / T, in cycles per image pixel.
        let (ax, ay) = (1.0 / (pose.sx * t), 1.0 / (pose.sy * t));
        let mut fx = [0.0f32; LOOKUP_CHUNK];
        let mut fy = [0.0f32; LOOKUP_CHUNK];
        let mut cells = Cells::default();
        let mut sum = 0.0;
        for (u, v) in bins.u.chunks(LOOKUP_CHUNK).zip(bins.v.chunks(LOOKUP_CHUNK)) {
            let n = u.len();
            for (((x, y), &ku), &kv) in fx.iter_mut().zip(fy.iter_mut()).zip(u).zip(v) {
                (*x, *y) = (ax * (c * ku - s * kv), ay * (s * ku + c * kv));
            }
            cells.place(self, &fx[..n], &fy[..n]);
            if cells.in_band[..n].contains(&false) {
                return None;
            }
            for k in 0..n {
                sum += self.bilinear(&cells, k);
            }
        }
        Some(sum / bins.u.len() as f32)
    }
}

/// Up to [`LOOKUP_CHUNK`] spectrum lookups prepared: index into `Spectrum::centred`, bilinear
/// weights, and whether the frequency lies in the band a score may use (`|f| <= BAND_LIMIT`
/// along x and y, and not within 3 bins of 0 along both). Columns, so that `place`'s loop
/// vectorizes.
struct Cells {
    i: [u32; LOOKUP_CHUNK],
    ax: [f32; LOOKUP_CHUNK],
    ay: [f32; LOOKUP_CHUNK],
    in_band: [bool; LOOKUP_CHUNK],
}

impl Default for Cells {
    fn default() -> Cells {
        Cells {
            i: [0; LOOKUP_CHUNK],
            ax: [0.0; LOOKUP_CHUNK],
            ay: [0.0; LOOKUP_CHUNK],
            in_band: [false; LOOKUP_CHUNK],
        }
    }
}

impl Cells {
    /// Places the frequencies `(fx[k], fy[k])` (cycles per analysis pixel, at most
    /// [`LOOKUP_CHUNK`]) of `spec` in cells `0..fx.len()`.
    fn place(&mut self, spec: &Spectrum, fx: &[f32], fy: &[f32]) {
        let (w, h) = (spec.w as f32, spec.h as f32);
        // Indices as exact integers in f32 (`centred` has far fewer than 2^23 entries: a side
        // is at most `WINDOW`), so the loop has no float-to-integer conversion, which baseline
        // x86-64 does not vectorize.
        let (origin, stride) = (spec.origin as f32, spec.stride as f32);
        let cells = self
            .i
            .iter_mut()
            .zip(self.ax.iter_mut())
            .zip(self.ay.iter_mut())
            .zip(self.in_band.iter_mut());
        for ((((i, ax), ay), ok), (&fx, &fy)) in cells.zip(fx.iter().zip(fy)) {
            let x = fx * w;
            let y = fy * h;
            // (A NaN frequency counts as out of the band.)
            *ok = fx.abs() <= BAND_LIMIT
                && fy.abs() <= BAND_LIMIT
                && !(x.abs() < 3.0 && y.abs() < 3.0);
            let (x0, y0) = (floor_f32(x), floor_f32(y));
            // In the band (|f| <= BAND_LIMIT < 1/2), so inside the padded, centred array; the
            // origin stands in for a frequency out of it (never read).
            *i = exact_u32(if *ok {
                origin + y0 * stride + x0
            } else {
                origin
            });
            *ax = x - x0;
            *ay = y - y0;
        }
    }
}

/// 2^23: from there on an f32 holds only integers.
const TWO_23: f32 = 8_388_608.0;

/// `x.floor()` for `|x| < 2^22`, without the library call `f32::floor` compiles to on
/// baseline x86-64 (no SSE4.1) and in a form that vectorizes: adding and taking away 2^23
/// (with `x`'s sign) rounds `x` to an integer exactly, and the floor is one less where that
/// rounded up.
#[inline(always)]
fn floor_f32(x: f32) -> f32 {
    let big = TWO_23.copysign(x);
    let t = (x + big) - big;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// The integer `v` (`0 <= v < 2^23`, held exactly) as a `u32`, read off the bits of
/// `v + 2^23` (whose mantissa is then `v`), a form that vectorizes.
#[inline(always)]
fn exact_u32(v: f32) -> u32 {
    (v + TWO_23).to_bits() - TWO_23.to_bits()
}

/// Lookups a [`Cells`] holds (`Spectrum::at_band` and `Spectrum::score` work in chunks of
/// this many).
const LOOKUP_CHUNK: usize = 64;

/// The mark's frequencies (cycles per tile) as two columns, for `Spectrum::score`.
struct Bins {
    u: Vec<f32>,
    v: Vec<f32>,
}

impl Bins {
    /// The frequencies as `(u, v)` pairs.
    fn pairs(&self) -> Vec<(f32, f32)> {
        self.u.iter().copied().zip(self.v.iter().copied()).collect()
    }
}

/// Highest frequency (cycles per pixel, along x or y) a score reads.
const BAND_LIMIT: f32 = 0.45;

/// Scales the search covers ([`crate::search::EDGEMARK_V3`]; the reader works on images
/// reduced to at most 1600 pixels a side, so larger originals are covered too).
const SCALE_MIN: f32 = crate::search::EDGEMARK_V3.min();
const SCALE_MAX: f32 = crate::search::EDGEMARK_V3.max();

/// Candidate lattices with their spectral scores, most plausible first: a log-polar
/// correlation of the mark's known frequencies with the whitened power spectrum of `white`,
/// the image whitened at scale 1 (raw luma's spectrum is ruled by a few strong edges), gives
/// the best coarse poses over every scale of `search`, every rotation and a few x/y stretches
/// at once (`polar`); each is hill-climbed on the exact spectrum with the x and y scales apart.
fn lattices(white: &Plane, search: &polar::Search, coarse: usize) -> Vec<(f32, Lattice)> {
    let bins = mark_bins();
    let spec = Spectrum::new(white);
    let at = |fx: &[f32], fy: &[f32], out: &mut [f32]| spec.at_band(fx, fy, out);
    let mut found: Vec<(f32, Pose)> = polar::search(search, at, coarse)
        .into_iter()
        .map(|c| {
            let start = Pose {
                sx: c.scale * c.aspect.sqrt(),
                sy: c.scale / c.aspect.sqrt(),
                theta: c.theta,
            };
            refine_pose(&spec, start, bins)
        })
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out: Vec<(f32, Lattice)> = Vec::new();
    for (v, pose) in found {
        let l = pose.lattice();
        if !out.iter().any(|o| similar(&o.1, &l)) {
            out.push((v, l));
        }
    }
    out
}

/// The mark's frequencies (synchronization and data) in cycles per tile.
fn mark_bins() -> &'static Bins {
    static BINS: OnceLock<Bins> = OnceLock::new();
    BINS.get_or_init(|| {
        let l = layout();
        let all = || l.sync.iter().chain(&l.data);
        Bins {
            u: all().map(|b| b.ku as f32).collect(),
            v: all().map(|b| b.kv as f32).collect(),
        }
    })
}

/// Hill-climbs scale, rotation and then the x/y scales apart on the fine spectrum.
fn refine_pose(spec: &Spectrum, start: Pose, bins: &Bins) -> (f32, Pose) {
    let mut best = start;
    let mut best_v = spec.score(&start, bins).unwrap_or(0.0);
    let mut ds = 0.01f32;
    let mut dt = 0.5f32.to_radians();
    for _ in 0..6 {
        loop {
            let mut improved = false;
            let tries = [
                (ds, ds, 0.0),
                (-ds, -ds, 0.0),
                (0.0, 0.0, dt),
                (0.0, 0.0, -dt),
                (ds, 0.0, 0.0),
                (-ds, 0.0, 0.0),
                (0.0, ds, 0.0),
                (0.0, -ds, 0.0),
            ];
            for (a, b, c) in tries {
                let cand = Pose {
                    sx: best.sx * (1.0 + a),
                    sy: best.sy * (1.0 + b),
                    theta: best.theta + c,
                };
                if (cand.sx / cand.sy).ln().abs() > 0.12 {
                    continue;
                }
                if let Some(v) = spec.score(&cand, bins) {
                    if v > best_v {
                        best_v = v;
                        best = cand;
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
        ds *= 0.5;
        dt *= 0.5;
    }
    (best_v, best)
}

fn similar(a: &Lattice, b: &Lattice) -> bool {
    let d = |x: [f32; 2], y: [f32; 2]| ((x[0] - y[0]).powi(2) + (x[1] - y[1]).powi(2)).sqrt();
    let tol = 0.01 * (a.scale() * TILE as f32);
    let turns = [
        (b.v1, b.v2),
        (b.v2, [-b.v1[0], -b.v1[1]]),
        ([-b.v1[0], -b.v1[1]], [-b.v2[0], -b.v2[1]]),
        ([-b.v2[0], -b.v2[1]], b.v1),
    ];
    turns
        .iter()
        .any(|(x, y)| d(a.v1, *x) < tol && d(a.v2, *y) < tol)
}

/// Circular box average of radius `r` over a `w x h` array (`r` below `w` and `h`).
fn circular_box(src: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let norm = 1.0 / (2 * r + 1) as f32;
    let mut tmp = vec![0.0f32; w * h];
    let mut padded = Vec::with_capacity(w + 2 * r + 1);
    for (row, dst) in src.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
        padded.clear();
        padded.extend_from_slice(&row[w - r..]);
        padded.extend_from_slice(row);
        padded.extend_from_slice(&row[..r + 1]);
        let mut acc: f32 = padded[..=2 * r].iter().sum();
        for (x, d) in dst.iter_mut().enumerate() {
            *d = acc * norm;
            acc += padded[x + 2 * r + 1] - padded[x];
        }
    }
    // Columns: a running sum per column, advanced a row at a time.
    let mut out = vec![0.0f32; w * h];
    let row = |y: usize| &tmp[(y % h) * w..(y % h + 1) * w];
    let mut acc = vec![0.0f32; w];
    for k in h - r..h + r + 1 {
        acc.iter_mut().zip(row(k)).for_each(|(a, &v)| *a += v);
    }
    for y in 0..h {
        for (o, &a) in out[y * w..(y + 1) * w].iter_mut().zip(&acc) {
            *o = a * norm;
        }
        let (add, sub) = (row(y + r + 1), row(y + h - r));
        for ((a, &p), &m) in acc.iter_mut().zip(add).zip(sub) {
            *a += p - m;
        }
    }
    out
}

/// Largest region folded (pixels per side), centred: bounds time and the drift of a
/// slightly wrong lattice.
const FOLD_REGION: usize = 1280;

/// Fractional bits of the fold's fixed-point tile coordinates: a `u32` holds exactly one
/// tile period, so wrapping arithmetic is the tile's periodicity.
const FRAC: u32 = 32 - TILE.trailing_zeros();
const _: () = assert!(TILE.is_power_of_two() && TILE >= 2);

/// Folds the whitened image into one tile along `lattice`.
pub(crate) fn fold(white: &[f32], w: usize, h: usize, lattice: &Lattice) -> Vec<f32> {
    fold_with(white, w, h, lattice, Splat::Bilinear)
}

/// How [`fold_with`] spreads a pixel over the tile.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Splat {
    /// Over the four tile pixels around its position, bilinearly ([`fold`]).
    Bilinear,
    /// Onto the nearest tile pixel: a quarter of the scattered writes, for ranking many poses
    /// ([`sweep`]'s). Its position error of at most half a tile pixel costs under 2 % of the
    /// mark at the highest synchronization frequency (12.5 cycles a tile).
    Nearest,
}

/// [`fold`] with either [`Splat`].
fn fold_with(white: &[f32], w: usize, h: usize, lattice: &Lattice, splat: Splat) -> Vec<f32> {
    let n = TILE;
    let t = n as f64;
    let det = lattice.det() as f64;
    // Sum and weight of each tile pixel side by side: one cache line per scattered pixel.
    let mut acc = vec![[0.0f32; 2]; n * n];
    if det.abs() < 1e-3 {
        return vec![0.0f32; n * n];
    }
    // Image offset -> tile coordinates: u = TILE * B^-1 d.
    let ia = t * lattice.v2[1] as f64 / det;
    let ib = -t * lattice.v2[0] as f64 / det;
    let ic = -t * lattice.v1[1] as f64 / det;
    let id = t * lattice.v1[0] as f64 / det;
    // Tile coordinates in fixed point (FRAC fractional bits, wrapping at one period); a step's
    // rounding error (2^-FRAC-1) stays far below a pixel over a row. The nearest splat rounds
    // by starting half a tile pixel on.
    let one = (1u64 << FRAC) as f64;
    let half = if splat == Splat::Nearest { 0.5 } else { 0.0 };
    let fixed = |u: f64| (((u + half).rem_euclid(t) * one).round() as u64 & 0xFFFF_FFFF) as u32;
    let step = |d: f64| ((d * one).round() as i64) as u32;
    let (su, sv) = (step(ia), step(ic));
    let mask = (1u32 << FRAC) - 1;
    let inv = 1.0 / one as f32;
    let (rw, rh) = (w.min(FOLD_REGION), h.min(FOLD_REGION));
    let (x0, y0) = ((w - rw) / 2, (h - rh) / 2);
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    if splat == Splat::Nearest && ib == 0.0 && ic == 0.0 && rw > 0 {
        // An axis-aligned lattice (the sweep's rescalings): every row lands on one tile row
        // and its pixels on the same tile columns as every other row's, so the rows landing
        // on each tile row are summed first (whole rows: vectorized) and their columns spread
        // once. Each tile pixel's weight is its row count times its column count.
        let dx0 = x0 as f64 - cx;
        let u0 = fixed(ia * dx0);
        let cols: Vec<usize> = (0..rw as u32)
            .map(|i| (u0.wrapping_add(su.wrapping_mul(i)) >> FRAC) as usize)
            .collect();
        let mut col_count = vec![0u32; n];
        cols.iter().for_each(|&c| col_count[c] += 1);
        let mut rows = vec![0.0f32; n * rw];
        let mut row_count = vec![0u32; n];
        for y in y0..y0 + rh {
            let j = (fixed(id * (y as f64 - cy)) >> FRAC) as usize;
            let src = &white[y * w + x0..y * w + x0 + rw];
            rows[j * rw..(j + 1) * rw]
                .iter_mut()
                .zip(src)
                .for_each(|(a, &v)| *a += v);
            row_count[j] += 1;
        }
        for (j, sums) in rows.chunks_exact(rw).enumerate() {
            if row_count[j] == 0 {
                continue;
            }
            let tile_row = &mut acc[j * n..(j + 1) * n];
            for (&c, &v) in cols.iter().zip(sums) {
                tile_row[c][0] += v;
            }
            for (a, &cc) in tile_row.iter_mut().zip(&col_count) {
                a[1] = (row_count[j] * cc) as f32;
            }
        }
    } else {
        for y in y0..y0 + rh {
            let dy = y as f64 - cy;
            let dx0 = x0 as f64 - cx;
            let mut u = fixed(ia * dx0 + ib * dy);
            let mut v = fixed(ic * dx0 + id * dy);
            let row = &white[y * w + x0..y * w + x0 + rw];
            match splat {
                Splat::Nearest => {
                    for &val in row {
                        let a = &mut acc[(v >> FRAC) as usize * n + (u >> FRAC) as usize];
                        a[0] += val;
                        a[1] += 1.0;
                        u = u.wrapping_add(su);
                        v = v.wrapping_add(sv);
                    }
                }
                Splat::Bilinear => {
                    for &val in row {
                        let i0 = (u >> FRAC) as usize;
                        let j0 = (v >> FRAC) as usize;
                        let au = (u & mask) as f32 * inv;
                        let av = (v & mask) as f32 * inv;
                        let i1 = (i0 + 1) & (n - 1);
                        let j1 = (j0 + 1) & (n - 1);
                        let w00 = (1.0 - au) * (1.0 - av);
                        let w10 = au * (1.0 - av);
                        let w01 = (1.0 - au) * av;
                        let w11 = au * av;
                        for (k, wt) in [
                            (j0 * n + i0, w00),
                            (j0 * n + i1, w10),
                            (j1 * n + i0, w01),
                            (j1 * n + i1, w11),
                        ] {
                            let a = &mut acc[k];
                            a[0] += wt * val;
                            a[1] += wt;
                        }
                        u = u.wrapping_add(su);
                        v = v.wrapping_add(sv);
                    }
                }
            }
        }
    }
    let mut sum: Vec<f32> = acc
        .iter()
        .map(|&[s, wt]| if wt > 1e-6 { s / wt } else { 0.0 })
        .collect();
    let mean = sum.iter().sum::<f32>() / sum.len() as f32;
    sum.iter_mut().for_each(|s| *s -= mean);
    sum
}

/// Largest magnitude of one synchronization frequency in [`read_tile`]'s correlation, in
/// noise amplitudes (root mean square of the unused frequencies): with 48 frequencies, a
/// mark at the clip everywhere gives z at most 39.2 (192 / sqrt(24)), one frequency alone at
/// most 0.82 (4 / sqrt(24)).
const SYNC_CLIP: f32 = 4.0;

/// Side of the grid on which [`read_tile`] first searches the synchronization's correlation:
/// the correlation at every `TILE / SHIFT_GRID`-th shift is exactly the inverse transform of
/// the frequencies folded modulo `SHIFT_GRID` (every synchronization frequency is under
/// `SHIFT_GRID / 2` cycles a tile, so each keeps a bin of its own): a 64x64 inverse transform
/// instead of a 128x128 one. The best whole shift is then looked for, summed directly, next
/// to the grid's [`SHIFT_REFINE`] best points.
const SHIFT_GRID: usize = 64;
/// Points of [`SHIFT_GRID`]'s grid next to which [`read_tile`] looks for the best whole
/// shift: a peak between grid points shows on the grid lower than it is, and next to the
/// grid's best point alone a weak right peak (z 4.8) lost to a false one (4.7) in one of the
/// 3325 trials of the table; with 8 the table's readings are those of the whole 128x128
/// correlation.
const SHIFT_REFINE: usize = 8;
const _: () = assert!(SHIFT_REFINE >= 1 && TILE.is_multiple_of(SHIFT_GRID));

/// Indices of the `k` largest of `values`, largest first (of equal ones the earlier first).
fn top_indices(values: impl IntoIterator<Item = f32>, k: usize) -> Vec<usize> {
    let mut top: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
    for (i, v) in values.into_iter().enumerate() {
        if top.len() < k || top.last().is_some_and(|t| v > t.0) {
            let at = top.partition_point(|t| t.0 >= v);
            top.insert(at, (v, i));
            top.truncate(k);
        }
    }
    top.into_iter().map(|t| t.1).collect()
}

/// Finds the phase (circular shift) and quarter turn of a folded tile and reads its bits. One
/// transform of the tile serves the four quarter turns (a turn permutes its frequencies).
pub(crate) fn read_tile(tile: &[f32]) -> (f32, u8, Vec<f32>) {
    static PLANS: OnceLock<(fft::Fft2, fft::Fft2)> = OnceLock::new();
    let (forward, coarse) = PLANS.get_or_init(|| {
        (
            fft::Fft2::new(TILE, TILE, false),
            fft::Fft2::new(SHIFT_GRID, SHIFT_GRID, true),
        )
    });
    let n = TILE;
    let m = SHIFT_GRID;
    let l = layout();
    let mut g: Vec<Complex32> = tile.iter().map(|&v| Complex32::new(v, 0.0)).collect();
    forward.run(&mut g);
    // The tile turned by `q` quarter turns (`t'(x, y) = t(-y, x)` each) has the transform
    // `G'(u, v) = G(-v, u)` each: one transform serves all four.
    let turned = |q: u8, ku: i32, kv: i32| {
        let (u, v) = match q & 3 {
            0 => (ku, kv),
            1 => (-kv, ku),
            2 => (-ku, -kv),
            _ => (kv, -ku),
        };
        fft::bin(v, n) * n + fft::bin(u, n)
    };
    let unit = unit_roots();
    let zero = Complex32::new(0.0, 0.0);
    let mut best: Option<(f32, u8, [f32; 2])> = None;
    for q in 0..4u8 {
        // Noise of one frequency: the unused in-band frequencies' power.
        let spare_power = l
            .spare
            .iter()
            .map(|&(ku, kv)| g[turned(q, ku, kv)].norm_sqr())
            .sum::<f32>()
            / l.spare.len().max(1) as f32;
        // Each synchronization frequency counts at most SYNC_CLIP noise amplitudes, so one
        // strong periodic component of the content (a camera's moire fringes, lines of text)
        // that the fold happens to put on a synchronization frequency cannot make a strong
        // synchronization on its own; noise alone almost never reaches the clip.
        let clip = SYNC_CLIP * spare_power.sqrt();
        let coef: Vec<(i32, i32, Complex32)> = l
            .sync
            .iter()
            .map(|b| {
                let v = g[turned(q, b.ku, b.kv)];
                let mag = v.norm();
                let gain = if mag > clip { clip / mag } else { 1.0 };
                (b.ku, b.kv, v * Complex32::from_polar(gain, -b.phase))
            })
            .collect();
        let mut h = vec![zero; m * m];
        for &(ku, kv, c) in &coef {
            h[fft::bin(kv, m) * m + fft::bin(ku, m)] += c;
        }
        coarse.run(&mut h);
        // The correlation at any whole shift, summed directly.
        let at = |x: i32, y: i32| -> f32 {
            coef.iter()
                .map(|&(ku, kv, c)| {
                    let e = unit[(ku * x + kv * y).rem_euclid(n as i32) as usize];
                    c.re * e.re - c.im * e.im
                })
                .sum()
        };
        // The best whole shift is next to one of the grid's best few (a peak between grid
        // points shows there lower than it is).
        let step = (n / m) as i32;
        let (mut px, mut py, mut vmax) = (0, 0, f32::NEG_INFINITY);
        for i in top_indices(h.iter().map(|c| c.re), SHIFT_REFINE) {
            let (cx, cy) = (step * (i % m) as i32, step * (i / m) as i32);
            for y in cy - step + 1..cy + step {
                for x in cx - step + 1..cx + step {
                    let v = at(x, y);
                    if v > vmax {
                        (px, py, vmax) = (x, y, v);
                    }
                }
            }
        }
        // Noise of one correlation value.
        let sd = (0.5 * l.sync.len() as f32 * spare_power).sqrt();
        let z = if sd > 0.0 { vmax / sd } else { 0.0 };
        if best.as_ref().is_none_or(|b| z > b.0) {
            let sub = |m: f32, c0: f32, p: f32| {
                let d = m - 2.0 * c0 + p;
                if d < 0.0 {
                    (0.5 * (m - p) / d).clamp(-0.5, 0.5)
                } else {
                    0.0
                }
            };
            let sx = px as f32 + sub(at(px - 1, py), vmax, at(px + 1, py));
            let sy = py as f32 + sub(at(px, py - 1), vmax, at(px, py + 1));
            best = Some((z, q, [sx, sy]));
        }
    }
    let Some((z, q, shift)) = best else {
        return (0.0, 0, vec![0.0; l.data.len()]);
    };
    // Bits: undo the shift, project on each bit's phase; the quadrature part is pure noise.
    let (inphase, quadrature_power): (Vec<f32>, Vec<f32>) = l
        .data
        .iter()
        .map(|b| {
            let ph = 2.0 * PI * (b.ku as f32 * shift[0] + b.kv as f32 * shift[1]) / n as f32;
            let v = g[turned(q, b.ku, b.kv)] * Complex32::from_polar(1.0, ph - b.phase);
            (v.re, v.im * v.im)
        })
        .unzip();
    // Each bit in its own frequency's noise: the quadrature power of its nearest data
    // frequencies (see [`NOISE_NEIGHBOURS`]).
    let soft = inphase
        .iter()
        .zip(noise_neighbours())
        .map(|(&v, near)| {
            let power = near.iter().map(|&j| quadrature_power[j]).sum::<f32>() / near.len() as f32;
            if power > 0.0 {
                v / power.sqrt()
            } else {
                0.0
            }
        })
        .collect();
    (z, q, soft)
}

/// `exp(2 pi i k / TILE)` for every `k` in `0..TILE`.
fn unit_roots() -> &'static [Complex32] {
    static ROOTS: OnceLock<Vec<Complex32>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        (0..TILE)
            .map(|k| Complex32::from_polar(1.0, 2.0 * PI * k as f32 / TILE as f32))
            .collect()
    })
}

/// Data frequencies whose quadrature power is each bit's noise in [`read_tile`] (itself
/// included). The content's power left in a folded tile falls steeply with frequency and
/// varies with direction, so one noise level for all 127 bits made the bits at noisy
/// frequencies look sure (large soft values of random sign) and those at quiet ones unsure;
/// a local level (16 quadratures: 16 degrees of freedom) puts each bit on its own scale.
/// Measured with the soft-bit p-value (clipped at 3, Pinelis' constant 4.46) on the 5-sample
/// table (3325 trials, seed 24301; 3100 detected with the hard bits' p-value): 3086 with one
/// level for all, 3107 / 3109 / 3103 with 8 / 16 / 32 neighbours (weighting each bit by its
/// level once more, as a likelihood ratio would: 3108).
const NOISE_NEIGHBOURS: usize = 16;

/// For each data frequency, the [`NOISE_NEIGHBOURS`] data frequencies nearest to it (by
/// distance in the tile's spectrum, ties to the lower index), as indices into the layout.
fn noise_neighbours() -> &'static [Vec<usize>] {
    static NEAR: OnceLock<Vec<Vec<usize>>> = OnceLock::new();
    NEAR.get_or_init(|| {
        let data = &layout().data;
        data.iter()
            .map(|b| {
                let mut d: Vec<(i32, usize)> = data
                    .iter()
                    .enumerate()
                    .map(|(j, c)| ((c.ku - b.ku).pow(2) + (c.kv - b.kv).pow(2), j))
                    .collect();
                d.sort_unstable();
                d.iter().take(NOISE_NEIGHBOURS).map(|&(_, j)| j).collect()
            })
            .collect()
    })
}

/// One resolution the reader searches: a plane, its pixel size in units of the reader's
/// input, and the scales (relative to the embedding, in input pixels) searched on it.
struct Level<'a> {
    plane: Cow<'a, Plane>,
    factor: f32,
    search: &'static polar::Search,
    /// Coarse poses refined on the exact spectrum.
    coarse: usize,
    /// Candidate lattices folded and phase-searched, besides the identity, in the order of
    /// their spectral scores.
    fold: usize,
    /// Of those, how many [`read`] returns: the strongest synchronizations (`fold` at most).
    read: usize,
}

/// Side of the centre crop searched at full resolution for the smallest scales when the
/// large scales are searched at half resolution.
const FINE_CROP: usize = 512;
/// Smallest side from which the large scales are searched at half resolution.
const HALVE_FROM: usize = 900;
/// Scale at which the search hands over from full to half resolution.
const HANDOVER: f32 = 0.6;
/// Candidate lattices read per level of a large image, besides the identity (the levels'
/// spectral scores are not comparable enough to rank them against each other), and the coarse
/// poses refined for them.
const READ: [usize; 2] = [4, 2];
const COARSE: usize = 8;
/// The same for a small image (one level, under `HALVE_FROM`): its spectrum has few periods
/// to show the mark's peaks, so the right pose is often not among the spectrum's best few
/// while its fold still synchronizes (a 449x300 photo at 0.61x + JPEG 65: 14th, sync z 12.1).
/// The detector corrects the p-value for every reading. On the 665 randomized trials (4 of 8
/// before): 610 -> 613 detected at seed 24301, 602 -> 604 at seed 777; one core at 640x640,
/// clean images take 61-95 ms instead of 42-59 ms (16 of 24: 615 and 606, slower still).
const READ_SMALL: usize = 12;
const COARSE_SMALL: usize = 16;
/// The same when [`read`] is asked to search wide (`edgemark-v3`'s photos): `COARSE_WIDE`
/// coarse poses refined, the best `FOLD_WIDE` of them folded, and of those the `READ_SMALL`
/// strongest synchronizations returned. The log-polar ranking is what misses on small images:
/// in the resize misses of the randomized evaluation the right pose was often not among the
/// best 16 coarse poses, while refined from 48-64 of them it came first or nearly so on the
/// exact spectrum, and its fold synchronized at z 7.6-12 (a clean image's strongest of 13 is
/// about 7). The choice uses spectral power and the synchronization's z, never the data
/// bits' signs (which alone enter the p-value), so the correction stays at the readings
/// returned. Measured on 1400 trials of eight geometric families (seed 24301, 5 per photo):
/// 1233 detected before, 1237 with 48 refined and 12 folded (about the same time), 1240 with
/// 24 folded (a clean 512-768 px image about 1.5x the time), 1243 with 48 folded (2.1x); no
/// clean image fired in any.
const COARSE_WIDE: usize = 48;
/// See [`COARSE_WIDE`].
const FOLD_WIDE: usize = 24;
/// Largest photograph (in pixels) whose reader also folds [`sweep`]'s poses: the trials it
/// rescued were all 143-688 px a side, and each pose costs a fold of the whole image (with
/// the nearest splat at 512x512 on one core a rotation 0.23 ms, a rescaling 0.10 ms with its
/// rows summed first, plus 0.13 ms to synchronize it).
const SWEEP_MAX_PIXELS: usize = 512 * 512;
/// Readings of [`sweep`]'s poses returned (the strongest synchronizations among them), on top
/// of the spectrum's [`READ_SMALL`]: kept apart so that the sweep's many false poses cannot
/// push out a spectral candidate that reads the mark (sharing the 12 lost 2 trials of the
/// table to that, 4 of their own none).
const SWEEP_READ: usize = 4;
/// How far neighbouring poses of [`sweep`] move the image's corners (from its centre), in
/// pixels: the fold stays coherent at the highest synchronization frequency (12.5 cycles a
/// tile, a period of about 10 pixels at scale 1) within about a quarter cycle, so a pose at
/// most half a step from the true one loses little (a 2 % scale error on a 369x385 image took
/// the synchronization from 7.0 to 4.8). A rescaling's step moves them a little more (by
/// `exp(step) - 1` of their distance, `step` this over it: 3 % more at 96x96); measured so
/// (rescaling steps of exactly 4 pixels found one trial fewer of the table, 3141: on these
/// small images which trials a sweep meets near their true pose varies with its grid).
const SWEEP_STEP: f32 = 4.0;
/// Fewest periods the shorter side of the image holds at the largest scale [`sweep`] folds.
const SWEEP_MIN_PERIODS: f32 = 1.5;
/// Largest rotation [`sweep`] folds, either way (the quarter turns come on top, in
/// [`read_tile`]).
const SWEEP_TURN_DEGREES: f32 = 30.0;

/// Poses a small photograph's reader folds besides the spectrum's candidates: the two
/// one-parameter families of geometry that images meet most, each swept end to end at a step
/// of [`SWEEP_STEP`] pixels at the corners: shrinking without rotation (thumbnails,
/// re-shares, screenshots at any device pixel ratio; every scale from the smallest the reader
/// covers, 0.28, up to 1, or until the shorter side holds only [`SWEEP_MIN_PERIODS`] periods)
/// and rotation without rescaling (straightening, scans; within [`SWEEP_TURN_DEGREES`]
/// either way). Enlargements are left to the spectrum: an image enlarged to at most
/// [`SWEEP_MAX_PIXELS`] came from one under about 170 px.
///
/// Why: on an image a few periods across, the power spectrum the candidates come from does
/// not show the mark (each frequency's mark is under its noise), while the fold adds the mark
/// up coherently with its known phases: in the held-out misses diagnosed in session 28
/// (174-385 px) the right pose was among none of the 48 coarse poses refined, and its fold
/// read 97-122 of 127 bits. A grid over scale and rotation together needs thousands of poses
/// at this step, and among them false synchronizations reach the true one's (measured,
/// docs/robustness.md); the two lines need 28-556 (28 at 96x96, 212 at 512x512, 308 at
/// 256x1024, 556 at 96x2730). The choice among the sweep's readings is by synchronization
/// strength, never by the data bits, so the p-value's correction stays the count of readings
/// returned.
fn sweep(w: usize, h: usize) -> Vec<Lattice> {
    let (w, h) = (w as f32, h as f32);
    // A rotation by `step` radians moves the corners, `reach` pixels from the centre, by
    // SWEEP_STEP pixels; a rescaling by `exp(step)` by a little more (3 % at 96x96).
    let reach = 0.5 * (w * w + h * h).sqrt();
    let step = SWEEP_STEP / reach;
    let top = (w.min(h) / (SWEEP_MIN_PERIODS * TILE as f32)).min(1.0);
    let mut poses = Vec::new();
    let mut log_scale = SCALE_MIN.ln();
    while log_scale <= top.ln() {
        let s = log_scale.exp();
        poses.push(
            Pose {
                sx: s,
                sy: s,
                theta: 0.0,
            }
            .lattice(),
        );
        log_scale += step;
    }
    let turns = (SWEEP_TURN_DEGREES.to_radians() / step).ceil() as i32;
    for a in (-turns..=turns).filter(|&a| a != 0) {
        let theta = a as f32 * step;
        poses.push(
            Pose {
                sx: 1.0,
                sy: 1.0,
                theta,
            }
            .lattice(),
        );
    }
    poses
}

/// Most readings one [`read`] returns without `wide`: the identity and the candidates of
/// either kind of image (with `wide`, one more: the identity read with the unit weighting, and
/// on a small photograph the [`SWEEP_READ`] of [`sweep`]).
pub(crate) const MAX_READS: usize = 1 + if READ_SMALL > READ[0] + READ[1] {
    READ_SMALL
} else {
    READ[0] + READ[1]
};
/// Synchronization strength (standard deviations) that ends the reading of a photo early
/// (`read`'s `certain_z` for `edgemark-v3`). On the 35 unmarked photos the best candidate's
/// strength reached 7.2 before the clip of [`SYNC_CLIP`] (structured content correlates with
/// the sync phases), marked 1024 px images over 100 then, up to the clip's ceiling of 39.2
/// since; only the data bits (which the synchronization does not choose) enter the p-value,
/// so stopping early cannot bias it.
pub(crate) const CERTAIN_Z: f32 = 10.0;

/// The resolutions to search. An image with room for it is searched at half resolution for
/// scales from `HANDOVER` up (so the window of an up-scaled image sees more periods, at a
/// quarter of the cost) and on a full-resolution centre crop for the smaller scales (whose
/// periods would alias at half resolution); a small image once, at full resolution, for
/// every scale.
fn levels(p: Cow<'_, Plane>, wide: bool) -> Vec<Level<'_>> {
    static FULL: OnceLock<polar::Search> = OnceLock::new();
    static LOW: OnceLock<polar::Search> = OnceLock::new();
    static HIGH: OnceLock<polar::Search> = OnceLock::new();
    if p.w.min(p.h) < HALVE_FROM {
        let full =
            FULL.get_or_init(|| polar::Search::new(mark_bins().pairs(), SCALE_MIN, SCALE_MAX));
        return vec![Level {
            plane: p,
            factor: 1.0,
            search: full,
            coarse: if wide { COARSE_WIDE } else { COARSE_SMALL },
            fold: if wide { FOLD_WIDE } else { READ_SMALL },
            read: READ_SMALL,
        }];
    }
    let high = HIGH.get_or_init(|| {
        polar::Search::new(mark_bins().pairs(), HANDOVER / 2.0 * 0.97, SCALE_MAX / 2.0)
    });
    let low =
        LOW.get_or_init(|| polar::Search::new(mark_bins().pairs(), SCALE_MIN, HANDOVER * 1.03));
    let halved = half(&p);
    let (cw, ch) = (p.w.min(FINE_CROP), p.h.min(FINE_CROP));
    let (x0, y0) = ((p.w - cw) / 2, (p.h - ch) / 2);
    let mut v = Vec::with_capacity(cw * ch);
    for y in y0..y0 + ch {
        v.extend_from_slice(&p.v[y * p.w + x0..y * p.w + x0 + cw]);
    }
    vec![
        Level {
            plane: Cow::Owned(halved),
            factor: 2.0,
            search: high,
            coarse: COARSE,
            fold: READ[0],
            read: READ[0],
        },
        Level {
            plane: Cow::Owned(Plane { w: cw, h: ch, v }),
            factor: 1.0,
            search: low,
            coarse: COARSE,
            fold: READ[1],
            read: READ[1],
        },
    ]
}

/// Readings of one view, and whether they ended on a reading's data bits (see [`read`]).
pub(crate) struct Reads {
    pub reads: Vec<Read>,
    pub stopped_on_bits: bool,
}

/// The whole reader: candidate lattices, fold, phase, bits. Returns the reading of every
/// candidate folded, strongest synchronization first (empty when the image has no texture at
/// all; with `wide`, the identity and the strongest of the others, see below); the caller
/// scores each and corrects for their number. The candidates are read in a fixed order until
/// one synchronizes at `certain_z` (which the data bits do not choose) or, when `decisive` is
/// given, until one is decisive on its data bits: then `stopped_on_bits` is set, and the
/// caller must correct for every reading it could have made instead of the ones made (the
/// readings made are then the first of the full set in that order).
///
/// `wide` (only without `decisive`, which it is ignored with) folds more candidates on a
/// small image ([`FOLD_WIDE`] of [`COARSE_WIDE`]) and returns the identity and the
/// [`READ_SMALL`] strongest synchronizations among the others, chosen by spectral power and
/// synchronization, never by the data bits' signs; on a small image (one level, at most
/// [`SWEEP_MAX_PIXELS`]) it also folds [`sweep`]'s poses, after the others, and returns the
/// [`SWEEP_READ`] strongest synchronizations among them; and, on a photograph, it reads the
/// identity a second time with the unit weighting ([`Weight::Unit`]) unless its first
/// reading is already certain: at most [`MAX_READS`]` + 1 + `[`SWEEP_READ`] readings.
pub(crate) fn read(
    p: &Plane,
    whitening: Whitening,
    certain_z: f32,
    decisive: Option<&dyn Fn(&Read) -> bool>,
    wide: bool,
) -> Reads {
    let wide = wide && decisive.is_none();
    // Large images are read at a reduced size (2x2 averaging, repeatedly): the mark's periods
    // stay above 3 pixels for any scale the reader covers at that size.
    let mut reduced: Option<Plane> = None;
    let mut factor = 1.0f32;
    while reduced
        .as_ref()
        .unwrap_or(p)
        .w
        .min(reduced.as_ref().unwrap_or(p).h)
        > 1600
    {
        reduced = Some(half(reduced.as_ref().unwrap_or(p)));
        factor *= 2.0;
    }
    // The input is borrowed, not copied, when it needs no reduction.
    let base = reduced.map_or(Cow::Borrowed(p), Cow::Owned);
    let levels = levels(base, wide);
    // The screen whitening's background of each level, found once for all its scales.
    let mut backgrounds: Vec<Option<Background>> = levels.iter().map(|_| None).collect();
    let mut whiten = |li: usize, p: &Plane, radii: Radii| match whitening {
        Whitening::Photo => whiten(p, radii),
        Whitening::Screen => whiten_screen(
            p,
            backgrounds[li].get_or_insert_with(|| Background::new(p)),
            radii,
        ),
    };
    // (spectral score, level, lattice in that level's pixels)
    // Whitened planes by (level, radii): the search's (scale 1) is the first.
    let search = Radii::for_scale(1.0);
    let mut whitened: Vec<(usize, Radii, Vec<f32>)> = Vec::new();
    let mut cands: Vec<(f32, usize, Lattice)> = Vec::new();
    for (i, level) in levels.iter().enumerate() {
        let white = Plane {
            w: level.plane.w,
            h: level.plane.h,
            v: whiten(i, &level.plane, search),
        };
        for (v, l) in lattices(&white, level.search, level.coarse)
            .into_iter()
            .take(level.fold)
        {
            cands.push((v, i, l));
        }
        whitened.push((i, search, white.v));
    }
    // The identity (an image neither resized nor rotated, such as a crop or a screenshot of a
    // screen overlay), on the first level (which covers scale 1): read first, and even where
    // the spectrum of a small crop shows no peaks. First, because periodic content (lines of
    // text, monospace glyphs) synchronized wrong lattices strongly enough to end the reading
    // before the identity was reached (before `read_tile` clipped each synchronization
    // frequency; several frequencies together still can).
    let f = levels[0].factor;
    let identity = Lattice {
        v1: [TILE as f32 / f, 0.0],
        v2: [0.0, TILE as f32 / f],
    };
    // Candidates near the identity stay too: a refined lattice at scale 1.008 registers a
    // large image's fold better than the identity does.
    cands.insert(0, (0.0, 0, identity));
    // (candidate index, level, reading): the identity is candidate 0, the sweep's readings
    // are `SWEPT`.
    const SWEPT: usize = usize::MAX;
    let mut reads: Vec<(usize, usize, Read)> = Vec::new();
    let mut stopped_on_bits = false;
    let mut ended = false;
    // The whitening of level `li` suited to a lattice's scale, to the nearest power of two
    // (scales whose whitenings have the same radii share one), as an index into `whitened`.
    let mut white_for = |li: usize, l: &Lattice, whitened: &mut Vec<(usize, Radii, Vec<f32>)>| {
        let radii = Radii::for_scale(2f32.powi(l.scale().log2().round() as i32));
        match whitened
            .iter()
            .position(|(i, r, _)| *i == li && *r == radii)
        {
            Some(i) => i,
            None => {
                whitened.push((li, radii, whiten(li, &levels[li].plane, radii)));
                whitened.len() - 1
            }
        }
    };
    // The reading of a folded tile (none when the fold is empty), its lattice in the input's
    // pixels.
    let read_at = |tile: &[f32], li: usize, l: &Lattice, view: Option<String>| {
        if tile.iter().all(|v| v.abs() < 1e-7) {
            return None;
        }
        let k = factor * levels[li].factor;
        let (z, q, soft) = read_tile(tile);
        Some(Read {
            soft,
            z,
            lattice: Lattice {
                v1: [l.v1[0] * k, l.v1[1] * k],
                v2: [l.v2[0] * k, l.v2[1] * k],
            },
            quarter_turns: q,
            view,
        })
    };
    'cands: for (ci, (_, li, l)) in cands.into_iter().enumerate() {
        let level = &levels[li];
        let wi = white_for(li, &l, &mut whitened);
        // The identity of a photograph read wide is read a second time with the unit
        // weighting (`Weight::Unit`), which finds marks the matched weighting reads at noise
        // level on busy photos; both readings are returned and corrected for (the second is
        // not made when the first is certain).
        let passes = if ci == 0 && wide && whitening == Whitening::Photo {
            2
        } else {
            1
        };
        for pass in 0..passes {
            let white: Cow<'_, [f32]> = if pass == 0 {
                Cow::Borrowed(&whitened[wi].2)
            } else {
                Cow::Owned(whiten_weighted(&level.plane, whitened[wi].1, Weight::Unit))
            };
            let tile = fold(&white, level.plane.w, level.plane.h, &l);
            let view = (pass == 1).then(|| "unit whitening".to_string());
            let Some(read) = read_at(&tile, li, &l, view) else {
                continue;
            };
            let z = read.z;
            reads.push((ci, li, read));
            // A synchronization this strong is never seen without the mark: stop searching.
            if z >= certain_z {
                ended = true;
                break 'cands;
            }
            if decisive.is_some_and(|d| reads.last().is_some_and(|(_, _, r)| d(r))) {
                stopped_on_bits = true;
                ended = true;
                break 'cands;
            }
        }
    }
    // A small photograph's sweep (see [`sweep`]) when nothing before it was certain: every
    // pose folded with the nearest splat and ranked by its synchronization, the
    // `SWEEP_READ` strongest folded again bilinearly and read.
    let plane = &levels[0].plane;
    if wide && !ended && levels.len() == 1 && plane.w * plane.h <= SWEEP_MAX_PIXELS {
        let poses = sweep(plane.w, plane.h);
        let mut zs: Vec<f32> = Vec::with_capacity(poses.len());
        for l in &poses {
            let wi = white_for(0, l, &mut whitened);
            let tile = fold_with(&whitened[wi].2, plane.w, plane.h, l, Splat::Nearest);
            let (z, _, _) = read_tile(&tile);
            zs.push(z);
            if z >= certain_z {
                break;
            }
        }
        // `top_indices`, not a sort: each sort of a new element type links ~5 KB of wasm.
        for i in top_indices(zs, SWEEP_READ) {
            let l = poses[i];
            let wi = white_for(0, &l, &mut whitened);
            let tile = fold(&whitened[wi].2, plane.w, plane.h, &l);
            if let Some(read) = read_at(&tile, 0, &l, Some("sweep".to_string())) {
                reads.push((SWEPT, 0, read));
            }
        }
    }
    // Strongest synchronization first; then, per level, the identity (both its readings) and
    // the `read` strongest of the others (all of them unless the level folded more than it
    // returns), and the sweep's.
    reads.sort_by(|a, b| b.2.z.total_cmp(&a.2.z));
    let mut returned = vec![0usize; levels.len()];
    let reads = reads
        .into_iter()
        .filter(|(ci, li, _)| {
            if *ci == 0 || *ci == SWEPT {
                return true;
            }
            returned[*li] += 1;
            returned[*li] <= levels[*li].read
        })
        .map(|(_, _, r)| r)
        .collect();
    Reads {
        reads,
        stopped_on_bits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic, uneven test array.
    fn noise(w: usize, h: usize) -> Vec<f32> {
        let mut rng = super::super::pattern::SplitMix::new(7);
        (0..w * h).map(|_| rng.unit() * 100.0 - 30.0).collect()
    }

    /// The averages by their definitions: every window summed directly.
    fn direct(
        src: &[f32],
        w: usize,
        h: usize,
        r: usize,
        index: impl Fn(i64, usize) -> usize,
    ) -> Vec<f32> {
        let r = r as i64;
        let mut out = vec![0.0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                let mut s = 0.0f64;
                for dy in -r..=r {
                    for dx in -r..=r {
                        s += src[index(y as i64 + dy, h) * w + index(x as i64 + dx, w)] as f64;
                    }
                }
                out[y * w + x] = (s / ((2 * r + 1) * (2 * r + 1)) as f64) as f32;
            }
        }
        out
    }

    fn assert_close(a: &[f32], b: &[f32]) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() < 1e-3, "element {i}: {x} vs {y}");
        }
    }

    /// The integer floor the spectrum lookups used before `floor_f32`.
    fn floor_i32(x: f32) -> i32 {
        let t = x as i32;
        if t as f32 > x {
            t - 1
        } else {
            t
        }
    }

    #[test]
    fn float_floor_and_index_match_the_library() {
        let mut xs: Vec<f32> = vec![0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.5, -2.5, 3.0, -3.0];
        xs.extend((-200_000..200_000).map(|i| i as f32 * 0.01137));
        xs.extend((0..2000).map(|i| (1 << 21) as f32 + i as f32 * 0.25 - 250.0));
        xs.extend((0..2000).map(|i| -((1 << 21) as f32) - i as f32 * 0.25 + 250.0));
        for x in xs {
            // The same bits as the integer floor (a floor of -0.0 is +0.0 in both).
            let old = floor_i32(x) as f32;
            assert_eq!(floor_f32(x).to_bits(), old.to_bits(), "floor of {x}");
            assert_eq!(floor_f32(x), x.floor(), "floor of {x}");
        }
        for v in (0..(1u32 << 23)).step_by(997).chain([0, 1, (1 << 23) - 1]) {
            assert_eq!(exact_u32(v as f32), v);
        }
    }

    /// The lookup one frequency at a time, as the reader did it before the chunks.
    fn at_band_one(spec: &Spectrum, fx: f32, fy: f32) -> f32 {
        if fx.abs() > BAND_LIMIT || fy.abs() > BAND_LIMIT {
            return 0.0;
        }
        if (fx * spec.w as f32).abs() < 3.0 && (fy * spec.h as f32).abs() < 3.0 {
            return 0.0;
        }
        let (x, y) = (fx * spec.w as f32, fy * spec.h as f32);
        let (x0, y0) = (floor_i32(x), floor_i32(y));
        let (ax, ay) = (x - x0 as f32, y - y0 as f32);
        let i = (spec.origin as isize + y0 as isize * spec.stride as isize + x0 as isize) as usize;
        let (c, st) = (&spec.centred, spec.stride);
        (c[i] * (1.0 - ax) + c[i + 1] * ax) * (1.0 - ay)
            + (c[i + st] * (1.0 - ax) + c[i + st + 1] * ax) * ay
    }

    #[test]
    fn chunked_lookups_equal_one_at_a_time() {
        let (w, h) = (300, 260);
        let spec = Spectrum::new(&Plane {
            w,
            h,
            v: noise(w, h),
        });
        // Frequencies over and past the band, near zero, and edge cases.
        let mut f: Vec<(f32, f32)> = (0..700)
            .map(|i| {
                let a = i as f32 * 0.731;
                let r = (i % 53) as f32 / 100.0;
                (r * a.cos(), r * a.sin())
            })
            .collect();
        f.extend([
            (0.0, 0.0),
            (-0.0, 0.45),
            (0.45, -0.45),
            (-0.45, 0.2),
            (0.4500001, 0.1),
            (0.005, -0.003),
            (f32::INFINITY, 0.1),
            (0.1, f32::NEG_INFINITY),
        ]);
        for n in [1, 63, 64, 65, 512, f.len()] {
            let (fx, fy): (Vec<f32>, Vec<f32>) = f[..n].iter().copied().unzip();
            let mut out = vec![f32::NAN; n];
            spec.at_band(&fx, &fy, &mut out);
            for k in 0..n {
                let want = at_band_one(&spec, fx[k], fy[k]);
                assert_eq!(out[k].to_bits(), want.to_bits(), "({}, {})", fx[k], fy[k]);
            }
        }
        // A NaN frequency counts as out of the band.
        let mut out = [1.0f32; 2];
        spec.at_band(&[f32::NAN, 0.1], &[0.1, f32::NAN], &mut out);
        assert_eq!(out, [0.0, 0.0]);
        // `score` agrees with the sum of single lookups in bin order.
        let bins = mark_bins();
        let pose = Pose {
            sx: 0.83,
            sy: 0.87,
            theta: 0.3,
        };
        let (s, c) = pose.theta.sin_cos();
        let t = TILE as f32;
        let (ax, ay) = (1.0 / (pose.sx * t), 1.0 / (pose.sy * t));
        let mut sum = 0.0f32;
        for (&ku, &kv) in bins.u.iter().zip(&bins.v) {
            sum += at_band_one(&spec, ax * (c * ku - s * kv), ay * (s * ku + c * kv));
        }
        let want = sum / bins.u.len() as f32;
        assert_eq!(
            spec.score(&pose, bins).map(f32::to_bits),
            Some(want.to_bits())
        );
        // A pose whose frequencies leave the band has no score.
        let tiny = Pose {
            sx: 0.1,
            sy: 0.1,
            theta: 0.0,
        };
        assert!(spec.score(&tiny, bins).is_none());
    }

    #[test]
    fn range3_equals_the_direct_scan() {
        for (w, h) in [(1, 1), (1, 5), (2, 1), (2, 3), (3, 3), (37, 23)] {
            let v = noise(w, h);
            let p = Plane { w, h, v: v.clone() };
            let mut direct = vec![0.0f32; w * h];
            for y in 0..h {
                for x in 0..w {
                    let (mut lo, mut hi) = (f32::MAX, f32::MIN);
                    for yy in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                        for xx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                            lo = lo.min(v[yy * w + xx]);
                            hi = hi.max(v[yy * w + xx]);
                        }
                    }
                    direct[y * w + x] = hi - lo;
                }
            }
            assert_eq!(range3(&p), direct, "{w}x{h}");
        }
    }

    #[test]
    fn box_blur_clamps_edges_and_circular_box_wraps() {
        let (w, h) = (37, 23);
        let src = noise(w, h);
        let clamp = |i: i64, n: usize| i.clamp(0, n as i64 - 1) as usize;
        let wrap = |i: i64, n: usize| i.rem_euclid(n as i64) as usize;
        for r in [1, 4, 9] {
            assert_close(&box_blur(&src, w, h, r), &direct(&src, w, h, r, clamp));
            assert_close(&circular_box(&src, w, h, r), &direct(&src, w, h, r, wrap));
        }
    }

    /// The nearest fold of an axis-aligned lattice (the sweep's rescalings) sums rows first;
    /// it must land every pixel where the per-pixel fold does: compared with a lattice turned
    /// by 1e-12 radians (the per-pixel path, the same tile pixels), over several scales, an
    /// image wider than tall and one larger than the folded region.
    #[test]
    fn the_row_sums_fold_of_a_rescaling_is_the_per_pixel_fold() {
        for (w, h) in [(512, 384), (97, 300), (1500, 1400)] {
            let img = noise(w, h);
            for scale in [0.28f32, 0.61, 0.999, 1.0, 2.3] {
                let pose = Pose {
                    sx: scale,
                    sy: scale * 1.07,
                    theta: 0.0,
                };
                let rows = fold_with(&img, w, h, &pose.lattice(), Splat::Nearest);
                let per_pixel = fold_with(
                    &img,
                    w,
                    h,
                    &Pose {
                        theta: 1e-12,
                        ..pose
                    }
                    .lattice(),
                    Splat::Nearest,
                );
                let peak = per_pixel.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                assert!(peak > 0.0);
                for (i, (a, b)) in rows.iter().zip(&per_pixel).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-5 * peak,
                        "{w}x{h} scale {scale}: tile pixel {i}: {a} against {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn fold_of_a_tiled_pattern_returns_the_tile() {
        // An image made of the tile repeated at scale 1.5 and rotated 7 degrees folds back to
        // the tile (up to interpolation) along the lattice that made it.
        // Smooth (the mark's band is too): nearest-neighbour drawing and bilinear folding
        // would blur white noise away.
        let tile = circular_box(
            &circular_box(&noise(TILE, TILE), TILE, TILE, 3),
            TILE,
            TILE,
            3,
        );
        let pose = Pose {
            sx: 1.5,
            sy: 1.5,
            theta: 7f32.to_radians(),
        };
        let l = pose.lattice();
        let (w, h) = (600, 500);
        let (c, s) = (pose.theta.cos(), pose.theta.sin());
        let mut img = vec![0.0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
                // Inverse of A = diag(sx, sy) R(theta), in tile pixels.
                let (ex, ey) = (dx / pose.sx, dy / pose.sy);
                // The nearest tile pixel (rounded, so that the image has no half-pixel shift).
                let u = (c * ex + s * ey + 0.5).rem_euclid(TILE as f32) as usize % TILE;
                let v = (-s * ex + c * ey + 0.5).rem_euclid(TILE as f32) as usize % TILE;
                img[y * w + x] = tile[v * TILE + u];
            }
        }
        let mean = tile.iter().sum::<f32>() / tile.len() as f32;
        let centred: Vec<f32> = tile.iter().map(|v| v - mean).collect();
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        for splat in [Splat::Bilinear, Splat::Nearest] {
            let corr = |l: &Lattice| {
                let folded = fold_with(&img, w, h, l, splat);
                let dot: f32 = folded.iter().zip(&centred).map(|(a, b)| a * b).sum();
                dot / (norm(&folded) * norm(&centred))
            };
            let right = corr(&l);
            assert!(
                right > 0.9,
                "correlation of the folded tile with the tile: {right}"
            );
            let wrong = corr(&Pose { theta: 0.0, ..pose }.lattice());
            assert!(wrong < 0.3, "folded along a lattice 7 degrees off: {wrong}");
            // No shift of a tile pixel: the tile moved by one pixel correlates less.
            let folded = fold_with(&img, w, h, &l, splat);
            let at = |dx: usize, dy: usize| -> f32 {
                (0..TILE * TILE)
                    .map(|i| {
                        let (x, y) = (i % TILE, i / TILE);
                        folded[i] * centred[((y + dy) % TILE) * TILE + (x + dx) % TILE]
                    })
                    .sum()
            };
            let here = at(0, 0);
            for (dx, dy) in [(1, 0), (TILE - 1, 0), (0, 1), (0, TILE - 1)] {
                assert!(at(dx, dy) < here, "{dx},{dy}: shifted fold");
            }
        }
    }

    #[test]
    fn top_indices_are_a_stable_descending_sort_cut_short() {
        let v = [1.0f32, 5.0, 3.0, 5.0, -2.0, 3.0, 0.5];
        let mut sorted: Vec<usize> = (0..v.len()).collect();
        sorted.sort_by(|&a, &b| v[b].total_cmp(&v[a]));
        for k in 0..=v.len() + 2 {
            let want: Vec<usize> = sorted.iter().copied().take(k).collect();
            assert_eq!(top_indices(v, k), want, "k = {k}");
        }
        assert_eq!(top_indices(v, 3), vec![1, 3, 2]);
        assert!(top_indices(std::iter::empty(), 4).is_empty());
    }

    /// A folded tile of unit noise plus `extra`.
    fn noisy_tile(seed: u64, extra: impl Fn(usize, usize) -> f32) -> Vec<f32> {
        let mut rng = super::super::pattern::SplitMix::new(seed);
        (0..TILE * TILE)
            .map(|i| (rng.unit() - 0.5) * 12f32.sqrt() + extra(i % TILE, i / TILE))
            .collect()
    }

    /// [`read_tile`]'s synchronization (a 64x64 grid, then whole shifts next to its best
    /// points; one transform for the four quarter turns) is the strongest of the whole
    /// correlation: every whole shift of every turned tile, as the reader computed it before
    /// (a 128x128 inverse transform of each turned tile's).
    #[test]
    fn read_tile_finds_the_strongest_shift_of_the_whole_correlation() {
        let l = layout();
        let n = TILE;
        let code: Vec<bool> = (0..l.data.len()).map(|i| i % 5 < 2).collect();
        let mark = super::super::pattern::tile(&code);
        let whole = |tile: &[f32]| {
            let mut best = f32::MIN;
            let mut cur = tile.to_vec();
            for _ in 0..4 {
                let g = fft::forward_real(&cur, n, n);
                let spare = l
                    .spare
                    .iter()
                    .map(|&(u, v)| g[fft::bin(v, n) * n + fft::bin(u, n)].norm_sqr())
                    .sum::<f32>()
                    / l.spare.len() as f32;
                let clip = SYNC_CLIP * spare.sqrt();
                let mut h = vec![Complex32::new(0.0, 0.0); n * n];
                for b in &l.sync {
                    let k = fft::bin(b.kv, n) * n + fft::bin(b.ku, n);
                    let gain = (clip / g[k].norm()).min(1.0);
                    h[k] = g[k] * Complex32::from_polar(gain, -b.phase);
                }
                fft::Fft2::new(n, n, true).run(&mut h);
                let top = h.iter().map(|c| c.re).fold(f32::MIN, f32::max);
                best = best.max(top / (0.5 * l.sync.len() as f32 * spare).sqrt());
                // Turned once more: t'(x, y) = t(-y, x).
                cur = (0..n * n)
                    .map(|i| cur[(i % n) * n + (n - i / n) % n])
                    .collect();
            }
            best
        };
        for seed in 0..16u64 {
            let (dx, dy) = ((seed * 37 + 5) as usize % n, (seed * 91 + 17) as usize % n);
            // From noise alone to a synchronization of about 8.
            let a = 0.06 * (seed % 4) as f32;
            let tile = noisy_tile(seed, |x, y| a * mark[((y + dy) % n) * n + (x + dx) % n]);
            let (z, _, _) = read_tile(&tile);
            let best = whole(&tile);
            assert!(
                (z - best).abs() <= 1e-3 * best.abs().max(1.0),
                "seed {seed}: read_tile z {z}, the whole correlation's {best}"
            );
        }
        // A marked tile turned `t` times reads after the `(4 - t) % 4` turns that undo it,
        // with every bit right, wherever it is shifted.
        for t in 0..4usize {
            let (dx, dy) = (13 + 29 * t, 70 + 17 * t);
            let mut tile = noisy_tile(40 + t as u64, |x, y| {
                0.3 * mark[((y + dy) % n) * n + (x + dx) % n]
            });
            for _ in 0..t {
                // t'(x, y) = t(-y, x)
                tile = (0..n * n)
                    .map(|i| tile[(i % n) * n + (n - i / n) % n])
                    .collect();
            }
            let (z, q, soft) = read_tile(&tile);
            assert!(z > 8.0, "turned {t}: z {z}");
            assert_eq!(q as usize, (4 - t) % 4, "turned {t}");
            let read: Vec<bool> = soft.iter().map(|&v| v > 0.0).collect();
            assert_eq!(read, code, "turned {t}");
        }
    }

    /// Neighbouring poses of [`sweep`] move every corner of the image by at most
    /// [`SWEEP_STEP`] pixels, and the sweep spans its scales and rotations.
    #[test]
    fn the_sweep_moves_the_corners_by_at_most_its_step() {
        // Where the tile point under image offset `c` at pose `a` lies at pose `b`, and how far
        // that is from `c`.
        let moved = |a: &Lattice, b: &Lattice, (cx, cy): (f32, f32)| {
            let det = a.det();
            let u = (a.v2[1] * cx - a.v2[0] * cy) / det;
            let v = (-a.v1[1] * cx + a.v1[0] * cy) / det;
            let (x, y) = (b.v1[0] * u + b.v2[0] * v, b.v1[1] * u + b.v2[1] * v);
            ((x - cx).powi(2) + (y - cy).powi(2)).sqrt()
        };
        // (width, height, the largest scale the rescalings reach)
        for (w, h, top) in [
            (
                240usize,
                160usize,
                160.0 / (SWEEP_MIN_PERIODS * TILE as f32),
            ),
            (500, 500, 1.0),
            (96, 96, 96.0 / (SWEEP_MIN_PERIODS * TILE as f32)),
        ] {
            let poses = sweep(w, h);
            let (hw, hh) = (w as f32 / 2.0, h as f32 / 2.0);
            let corners = [(-hw, -hh), (hw, -hh), (-hw, hh), (hw, hh)];
            // A rotation's step moves the corners by SWEEP_STEP, a rescaling's by up to
            // `reach (exp(step) - 1) <= SWEEP_STEP (1 + step)`.
            let reach = (hw * hw + hh * hh).sqrt();
            let bound = SWEEP_STEP * (1.0 + SWEEP_STEP / reach) * 1.0001;
            let mut jumps = 0;
            for pair in poses.windows(2) {
                let far = corners
                    .iter()
                    .map(|&c| moved(&pair[0], &pair[1], c))
                    .fold(0.0f32, f32::max);
                if far > 1.5 * SWEEP_STEP {
                    // From the rescalings to the rotations, and across the identity.
                    jumps += 1;
                    continue;
                }
                assert!(far <= bound, "{w}x{h} {pair:?}: corners move {far} px");
            }
            assert!(jumps <= 2, "{w}x{h}: {jumps} jumps");
            let rescalings: Vec<f32> = poses
                .iter()
                .filter(|p| p.angle() == 0.0)
                .map(|p| p.scale())
                .collect();
            let first = rescalings.first().copied().unwrap_or(0.0);
            let last = rescalings.last().copied().unwrap_or(0.0);
            assert!((first - SCALE_MIN).abs() < 1e-4, "{w}x{h}: from {first}");
            assert!(
                last <= top * 1.0001 && last > top * 0.95,
                "{w}x{h}: up to {last}"
            );
            let angles: Vec<f32> = poses.iter().map(|p| p.angle()).collect();
            let widest = angles.iter().fold(0.0f32, |m, a| m.max(a.abs()));
            assert!(
                widest >= SWEEP_TURN_DEGREES,
                "{w}x{h}: rotations to {widest}"
            );
        }
    }

    /// One strong periodic component of the content (a camera's moire fringes, lines of text)
    /// that a wrong lattice folds onto a synchronization frequency used to synchronize on its
    /// own (a clean camera photo of a screen reached z 90); clipped, it adds less than one
    /// noise deviation, while the mark at the same noise still synchronizes and reads right.
    #[test]
    fn one_strong_frequency_cannot_synchronize_but_the_mark_does() {
        let l = layout();
        let n = TILE as f32;
        for (i, b) in l.sync.iter().enumerate().step_by(7) {
            let wave = |x: usize, y: usize| {
                let t = 2.0 * PI * (b.ku as f32 * x as f32 + b.kv as f32 * y as f32) / n;
                30.0 * (t + b.phase).cos()
            };
            let (z, _, _) = read_tile(&noisy_tile(i as u64, wave));
            let (z0, _, _) = read_tile(&noisy_tile(i as u64, |_, _| 0.0));
            assert!(
                z < z0 + 1.0 && z < 7.0,
                "sync bin {i}: z {z} (noise alone {z0})"
            );
        }
        let code: Vec<bool> = (0..l.data.len()).map(|i| i % 3 == 0).collect();
        let mark = super::super::pattern::tile(&code);
        let (z, q, soft) = read_tile(&noisy_tile(99, |x, y| 0.5 * mark[y * TILE + x]));
        assert!(z > 20.0, "the mark synchronizes at z {z}");
        assert_eq!(q, 0);
        let read: Vec<bool> = soft.iter().map(|&v| v > 0.0).collect();
        assert_eq!(read, code);
    }
}
