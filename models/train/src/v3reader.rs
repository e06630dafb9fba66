//! A differentiable stand-in for `edgemark-v3`'s reader once it has synchronized, so that a
//! generator can be fine-tuned to carry the classical v3 mark (`finetune-decoder --scheme
//! edgemark-v3`) and be found, at any scale, rotation or crop, by `edgemark detect`.
//!
//! The real reader (core `schemes/v3/sync.rs`) whitens the luma (minus a three-box blur of radius
//! 3, divided by (its local RMS + 0.5)^1.5, the RMS over a box of radius 12), finds the lattice,
//! folds the image into one 128-pixel tile and reads each code bit as the in-phase part of one
//! Fourier component of that tile, in units of the quadrature (noise) parts. Here the geometry is
//! known (the generator's carrier tile sits at its output's origin; a crop moves it by a known
//! offset), so the fold is a sum of aligned tiles and every component a correlation with one
//! cosine: the reader's whitening and correlations on a known geometry, with gradients. Not exactly
//! its figures: the reader folds with bilinear weights around the image's centre, takes the noise
//! from the 127 code components only (here all of them), and whitens images whose shorter side is
//! 900 pixels or more at half resolution (fine-tuning crops are 128).
//!
//! Every component of the carrier counts, the 48 synchronization ones as well as the 127 code
//! bits (the reader needs both), each as a "bit" whose target is 1: its phase already carries
//! the code bit.

use crate::error::{Error, Result};
use candle_core::{DType, Device, Tensor, D};
use std::f64::consts::PI;

/// Frequencies (cycles per tile) searched for the carrier's components: a band around the
/// v3 tile's (5 to 12.5).
const SEARCH_RADIUS: (f64, f64) = (1.0, 24.0);
/// A component counts when its amplitude is at least this share of the largest one.
const SIGNAL_SHARE: f64 = 0.3;

/// The stand-in reader for one carrier tile.
pub struct V3Reader {
    /// `[2K, T, T]`: per component `cos(theta + phi)` (in-phase), then `sin(theta + phi)`
    /// (quadrature), `theta = 2 pi (ku x + kv y) / T`.
    basis: Tensor,
    /// `(ku, kv)` of each component.
    freqs: Vec<(i32, i32)>,
    tile: usize,
}

impl V3Reader {
    /// The reader of `carrier` (`tile x tile`, row-major), e.g.
    /// [`edgemark::EdgemarkV3::carrier`]: its components are found by a direct DFT.
    pub fn new(carrier: &[f32], tile: usize, dev: &Device) -> Result<V3Reader> {
        if tile < 8 || carrier.len() != tile * tile {
            return Err(Error::Config(format!(
                "carrier of {} values is not a {tile}x{tile} tile",
                carrier.len()
            )));
        }
        let n = tile as i32;
        let table: Vec<(f64, f64)> = (0..tile)
            .map(|m| (2.0 * PI * m as f64 / tile as f64).sin_cos())
            .collect();
        let at = |ku: i32, kv: i32, x: usize, y: usize| {
            table[(ku * x as i32 + kv * y as i32).rem_euclid(n) as usize]
        };
        // One of each +-k pair (upper half plane).
        let mut found: Vec<(i32, i32, f64, f64)> = Vec::new();
        for kv in 0..n / 2 {
            for ku in -n / 2 + 1..n / 2 {
                if kv == 0 && ku <= 0 {
                    continue;
                }
                let r = f64::from(ku * ku + kv * kv).sqrt();
                if !(SEARCH_RADIUS.0..=SEARCH_RADIUS.1).contains(&r) {
                    continue;
                }
                // G = sum t e^{-i theta}.
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for y in 0..tile {
                    for x in 0..tile {
                        let v = f64::from(carrier[y * tile + x]);
                        let (s, c) = at(ku, kv, x, y);
                        re += v * c;
                        im -= v * s;
                    }
                }
                found.push((ku, kv, re.hypot(im), im.atan2(re)));
            }
        }
        let max = found.iter().map(|f| f.2).fold(0.0, f64::max);
        let signal: Vec<(i32, i32, f64)> = found
            .into_iter()
            .filter(|f| max > 0.0 && f.2 >= SIGNAL_SHARE * max)
            .map(|(ku, kv, _, phi)| (ku, kv, phi))
            .collect();
        if signal.len() < 8 {
            return Err(Error::Config(format!(
                "the carrier has {} strong Fourier components; not an edgemark-v3 tile",
                signal.len()
            )));
        }
        let k = signal.len();
        let mut basis = vec![0f32; 2 * k * tile * tile];
        for (i, &(ku, kv, phi)) in signal.iter().enumerate() {
            let (sp, cp) = phi.sin_cos();
            for y in 0..tile {
                for x in 0..tile {
                    let (s, c) = at(ku, kv, x, y);
                    // cos(theta + phi), sin(theta + phi).
                    basis[(i * tile + y) * tile + x] = (c * cp - s * sp) as f32;
                    basis[((k + i) * tile + y) * tile + x] = (s * cp + c * sp) as f32;
                }
            }
        }
        Ok(V3Reader {
            basis: Tensor::from_vec(basis, (2 * k, tile, tile), dev)?,
            freqs: signal.iter().map(|&(ku, kv, _)| (ku, kv)).collect(),
            tile,
        })
    }

    /// Components read (synchronization and code), the length of [`V3Reader::forward`]'s rows.
    pub fn len(&self) -> usize {
        self.freqs.len()
    }

    /// Never true: a reader has at least 8 components.
    pub fn is_empty(&self) -> bool {
        self.freqs.is_empty()
    }

    /// The tile side.
    pub fn tile(&self) -> usize {
        self.tile
    }

    /// `[B, K]`: each component's in-phase value over the RMS of the quadrature values (the
    /// reader's soft bit; positive when it reads as carried), for images `x` (`[B,3,H,W]`
    /// in `[0,1]`) whose top-left pixel was at `offset = (y0, x0)` of the carrier's grid.
    pub fn forward(&self, x: &Tensor, offset: (usize, usize)) -> Result<Tensor> {
        let (b, c, h, w) = x.dims4()?;
        if c != 3 || h < 16 || w < 16 {
            return Err(Error::Config(format!(
                "the v3 reader takes [B,3,H,W] images of at least 16x16, not {:?}",
                x.dims()
            )));
        }
        let white = whiten(&luma255(x)?)?;
        let t = self.tile;
        // Fold into one tile (sum of aligned tiles), or keep a smaller image as it is.
        let (fh, fw) = (h.min(t), w.min(t));
        let folded = if h <= t && w <= t {
            white
        } else {
            let (ph, pw) = (h.div_ceil(t) * t, w.div_ceil(t) * t);
            // `white` is [B, H, W].
            white
                .pad_with_zeros(1, 0, ph - h)?
                .pad_with_zeros(2, 0, pw - w)?
                .reshape((b, ph / t, t, pw / t, t))?
                .sum(3)?
                .sum(1)?
                .narrow(1, 0, fh)?
                .narrow(2, 0, fw)?
        };
        let flat = folded.reshape((b, fh * fw))?;
        let flat = flat.broadcast_sub(&flat.mean_keepdim(1)?)?;
        let k = self.len();
        let basis = self
            .basis
            .narrow(1, 0, fh)?
            .narrow(2, 0, fw)?
            .reshape((2 * k, fh * fw))?;
        let proj = flat.matmul(&basis.t()?)?; // [B, 2K]
        let (i, q) = (proj.narrow(1, 0, k)?, proj.narrow(1, k, k)?);
        // The crop moved every component's phase by 2 pi (ku x0 + kv y0) / T.
        let (y0, x0) = offset;
        let (cos, sin): (Vec<f32>, Vec<f32>) = self
            .freqs
            .iter()
            .map(|&(ku, kv)| {
                let m = (ku as i64 * x0 as i64 + kv as i64 * y0 as i64).rem_euclid(t as i64);
                let (s, c) = (2.0 * PI * m as f64 / t as f64).sin_cos();
                (c as f32, s as f32)
            })
            .unzip();
        let dev = x.device();
        let cos = Tensor::from_vec(cos, (1, k), dev)?;
        let sin = Tensor::from_vec(sin, (1, k), dev)?;
        let inphase = (i.broadcast_mul(&cos)? - q.broadcast_mul(&sin)?)?;
        let quad = (i.broadcast_mul(&sin)? + q.broadcast_mul(&cos)?)?;
        let sd = (quad.sqr()?.mean_keepdim(1)?.sqrt()? + 1e-6)?.detach();
        Ok(inphase.broadcast_div(&sd)?)
    }
}

/// Luma on the 0-255 scale, `[B,1,H,W]`, with the reader's weights.
fn luma255(x: &Tensor) -> Result<Tensor> {
    let dev = x.device();
    let wts = Tensor::from_vec(
        vec![0.299f32 * 255.0, 0.587 * 255.0, 0.114 * 255.0],
        (1, 3, 1, 1),
        dev,
    )?;
    Ok(x.broadcast_mul(&wts)?.sum_keepdim(1)?)
}

/// A box blur of radius `r` along one axis (`dim` 2 or 3) of `[B,1,H,W]`, edges clamped.
fn box1(x: &Tensor, r: usize, dim: usize) -> Result<Tensor> {
    let k = 2 * r + 1;
    let shape = if dim == 3 { (1, 1, 1, k) } else { (1, 1, k, 1) };
    let kernel = Tensor::full(1.0f32 / k as f32, shape, x.device())?;
    Ok(x.pad_with_same(dim, r, r)?.conv2d(&kernel, 0, 1, 1, 1)?)
}

/// A box blur of radius `r` (rows, then columns), as the reader's `box_blur`.
fn box_blur(x: &Tensor, r: usize) -> Result<Tensor> {
    box1(&box1(x, r, 3)?, r, 2)
}

/// The reader's photo whitening at the embedding scale: luma minus three box blurs of
/// radius 3, over (the square root of its local energy (box of radius 12) plus 0.5) to the
/// power 1.5.
fn whiten(luma: &Tensor) -> Result<Tensor> {
    let low = box_blur(&box_blur(&box_blur(luma, 3)?, 3)?, 3)?;
    let r = (luma - low)?;
    let energy = box_blur(&r.sqr()?, 12)?;
    // (A tiny floor keeps the square root's gradient finite where the image is flat.)
    let norm = ((energy.relu()? + 1e-3)?.sqrt()? + 0.5)?.powf(1.5)?;
    Ok(r.broadcast_div(&norm)?.squeeze(1)?)
}

/// Share of the first `n` columns of `logits` that are positive (read as carried).
pub fn read_share(logits: &Tensor, n: usize) -> Result<f32> {
    let n = n.min(logits.dim(D::Minus1)?);
    let pos = logits
        .narrow(D::Minus1, 0, n)?
        .gt(0f32)?
        .to_dtype(DType::F32)?
        .mean_all()?;
    Ok(pos.to_scalar::<f32>()?)
}
