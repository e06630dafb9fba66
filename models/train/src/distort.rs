//! The differentiable distortion layer between encoder and decoder: one distortion drawn per
//! batch (JPEG approximation with straight-through rounding, resize, crop, blur, noise,
//! brightness/contrast, screenshot), optionally followed by random masks (MaskMark-D style:
//! parts of the watermarked image replaced by the cover).
//!
//! All functions take and return `[N,3,H,W]` tensors on the `[0,1]` scale.

use crate::rng::Rng;
use candle_core::{DType, Device, Result, Tensor};

/// Rounds with a straight-through gradient (forward: `round(x)`, backward: identity).
pub fn ste_round(x: &Tensor) -> Result<Tensor> {
    x + (x.round()? - x)?.detach()
}

/// Quantizes to 8-bit levels (straight-through), as saving a PNG does.
pub fn quantize8(x: &Tensor) -> Result<Tensor> {
    ste_round(&(x.clamp(0f32, 1f32)? * 255.0)?)? / 255.0
}

/// The orthonormal 8x8 DCT-II matrix.
fn dct_matrix(dev: &Device) -> Result<Tensor> {
    let mut m = vec![0f32; 64];
    for k in 0..8 {
        let a = if k == 0 {
            (1.0f64 / 8.0).sqrt()
        } else {
            (2.0f64 / 8.0).sqrt()
        };
        for n in 0..8 {
            m[k * 8 + n] =
                (a * ((std::f64::consts::PI * (2 * n + 1) as f64 * k as f64) / 16.0).cos()) as f32;
        }
    }
    Tensor::from_vec(m, (8, 8), dev)
}

const LUMA_Q: [f32; 64] = [
    16., 11., 10., 16., 24., 40., 51., 61., 12., 12., 14., 19., 26., 58., 60., 55., 14., 13., 16.,
    24., 40., 57., 69., 56., 14., 17., 22., 29., 51., 87., 80., 62., 18., 22., 37., 56., 68., 109.,
    103., 77., 24., 35., 55., 64., 81., 104., 113., 92., 49., 64., 78., 87., 103., 121., 120.,
    101., 72., 92., 95., 98., 112., 100., 103., 99.,
];
const CHROMA_Q: [f32; 64] = [
    17., 18., 24., 47., 99., 99., 99., 99., 18., 21., 26., 66., 99., 99., 99., 99., 24., 26., 56.,
    99., 99., 99., 99., 99., 47., 66., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99.,
    99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99., 99.,
    99., 99., 99., 99., 99., 99., 99.,
];

/// The libjpeg quantization table for `quality`.
fn qtable(base: &[f32; 64], quality: u32, dev: &Device) -> Result<Tensor> {
    let q = quality.clamp(1, 100) as f32;
    let s = if q < 50.0 {
        5000.0 / q
    } else {
        200.0 - 2.0 * q
    };
    let t: Vec<f32> = base
        .iter()
        .map(|&b| ((b * s + 50.0) / 100.0).floor().clamp(1.0, 255.0))
        .collect();
    Tensor::from_vec(t, (8, 8), dev)
}

/// `m X m^T` for every 8x8 block of `x` (`[M,8,8]`).
fn sandwich(x: &Tensor, m: &Tensor) -> Result<Tensor> {
    let count = x.dim(0)?;
    let mt = m.t()?.contiguous()?;
    // Y = X m^T, then m Y = (Y^T m^T)^T.
    let y = x
        .reshape((count * 8, 8))?
        .matmul(&mt)?
        .reshape((count, 8, 8))?;
    let yt = y.transpose(1, 2)?.contiguous()?.reshape((count * 8, 8))?;
    yt.matmul(&mt)?
        .reshape((count, 8, 8))?
        .transpose(1, 2)?
        .contiguous()
}

/// DCT-quantize-dequantize-IDCT of one plane `[N,1,H,W]` (values on the 0..255 scale minus
/// 128; `H`, `W` multiples of 8).
fn jpeg_plane(p: &Tensor, q: &Tensor, d: &Tensor) -> Result<Tensor> {
    let (n, _, h, w) = p.dims4()?;
    let count = n * (h / 8) * (w / 8);
    let blocks = p
        .reshape((n, h / 8, 8, w / 8, 8))?
        .permute((0, 1, 3, 2, 4))?
        .contiguous()?
        .reshape((count, 8, 8))?;
    let coef = sandwich(&blocks, d)?;
    let coef = ste_round(&coef.broadcast_div(q)?)?.broadcast_mul(q)?;
    let back = sandwich(&coef, &d.t()?.contiguous()?)?;
    back.reshape((n, h / 8, w / 8, 8, 8))?
        .permute((0, 1, 3, 2, 4))?
        .contiguous()?
        .reshape((n, 1, h, w))
}

/// Differentiable JPEG approximation at `quality`: YCbCr (BT.601 full range), 4:2:0 chroma,
/// 8x8 DCT, libjpeg tables, straight-through rounding of the quantized coefficients.
/// `H` and `W` must be multiples of 16.
pub fn jpeg(x: &Tensor, quality: u32) -> Result<Tensor> {
    let dev = x.device();
    let (_, _, h, w) = x.dims4()?;
    let x255 = (x.clamp(0f32, 1f32)? * 255.0)?;
    let (r, g, b) = (
        x255.narrow(1, 0, 1)?,
        x255.narrow(1, 1, 1)?,
        x255.narrow(1, 2, 1)?,
    );
    let y = ((&r * 0.299)? + (&g * 0.587)? + (&b * 0.114)?)?;
    let cb = ((&r * -0.168736)? + (&g * -0.331264)? + (&b * 0.5)?)?;
    let cr = ((&r * 0.5)? + (&g * -0.418688)? + (&b * -0.081312)?)?;
    let d = dct_matrix(dev)?;
    let ql = qtable(&LUMA_Q, quality, dev)?;
    let qc = qtable(&CHROMA_Q, quality, dev)?;
    let y = (jpeg_plane(&(y - 128.0)?, &ql, &d)? + 128.0)?;
    let sub = |c: &Tensor| -> Result<Tensor> {
        let small = c.avg_pool2d(2)?;
        jpeg_plane(&small, &qc, &d)?.upsample_nearest2d(h, w)
    };
    let (cb, cr) = (sub(&cb)?, sub(&cr)?);
    let r = (&y + (&cr * 1.402)?)?;
    let g = ((&y - (&cb * 0.344136)?)? - (&cr * 0.714136)?)?;
    let b = (&y + (&cb * 1.772)?)?;
    Tensor::cat(&[r, g, b], 1)? / 255.0
}

/// A normalized 1-D Gaussian kernel.
fn gauss1(sigma: f32) -> Vec<f32> {
    let r = (2.0 * sigma).ceil().max(1.0) as i32;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f32 = k.iter().sum();
    k.into_iter().map(|v| v / s).collect()
}

/// Separable filtering of every channel with the 1-D kernel `k` (odd length, zero padding).
fn filter_separable(x: &Tensor, k: &[f32]) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let len = k.len();
    let dev = x.device();
    let flat = x.reshape((n * c, 1, h, w))?;
    let kh = Tensor::from_vec(k.to_vec(), (1, 1, 1, len), dev)?;
    let kv = Tensor::from_vec(k.to_vec(), (1, 1, len, 1), dev)?;
    let p = len / 2;
    let a = flat.pad_with_same(3, p, p)?.conv2d(&kh, 0, 1, 1, 1)?;
    let b = a.pad_with_same(2, p, p)?.conv2d(&kv, 0, 1, 1, 1)?;
    b.reshape((n, c, h, w))
}

/// Gaussian blur with standard deviation `sigma` pixels (edge-replicating).
pub fn blur(x: &Tensor, sigma: f32) -> Result<Tensor> {
    filter_separable(x, &gauss1(sigma))
}

/// The `[out, inp]` matrix of a 1-D resize by linear interpolation (a triangle filter
/// widened by the scale factor when shrinking, so downscaling is antialiased, as image
/// libraries do).
fn resize_matrix(out: usize, inp: usize, dev: &Device) -> Result<Tensor> {
    let ratio = inp as f32 / out as f32;
    let support = ratio.max(1.0);
    let mut m = vec![0f32; out * inp];
    for i in 0..out {
        let centre = (i as f32 + 0.5) * ratio - 0.5;
        let lo = (centre - support).floor().max(0.0) as usize;
        let hi = ((centre + support).ceil() as usize).min(inp - 1);
        let mut sum = 0.0;
        for j in lo..=hi {
            let w = (1.0 - (j as f32 - centre).abs() / support).max(0.0);
            m[i * inp + j] = w;
            sum += w;
        }
        if sum > 0.0 {
            for j in lo..=hi {
                m[i * inp + j] /= sum;
            }
        } else {
            m[i * inp + centre.round().clamp(0.0, (inp - 1) as f32) as usize] = 1.0;
        }
    }
    Tensor::from_vec(m, (out, inp), dev)
}

/// Resizes `[N,C,H,W]` to `oh x ow` (differentiable: two matrix products).
pub fn resize(x: &Tensor, oh: usize, ow: usize) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    let dev = x.device();
    let aw = resize_matrix(ow, w, dev)?.t()?.contiguous()?;
    let ah = resize_matrix(oh, h, dev)?;
    ah.broadcast_matmul(&x.broadcast_matmul(&aw)?)
}

/// Resizes by `scale` and back to the original size: what the detector sees when it tries
/// the inverse of the scale an image was resized by.
pub fn rescale(x: &Tensor, scale: f32) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    let oh = ((h as f32 * scale).round() as usize).max(4);
    let ow = ((w as f32 * scale).round() as usize).max(4);
    resize(&resize(x, oh, ow)?, h, w)
}

/// A random crop keeping about `keep` of the area (sides multiples of 16, at least 16).
pub fn crop(x: &Tensor, keep: f32, rng: &mut Rng) -> Result<Tensor> {
    Ok(crop_offset(x, keep, rng)?.0)
}

/// [`crop`], also returning the crop's top-left corner `(y0, x0)`.
pub fn crop_offset(x: &Tensor, keep: f32, rng: &mut Rng) -> Result<(Tensor, (usize, usize))> {
    let (_, _, h, w) = x.dims4()?;
    let s = keep.clamp(0.01, 1.0).sqrt();
    let ch = (((h as f32 * s) / 16.0).round() as usize * 16).clamp(16, h);
    let cw = (((w as f32 * s) / 16.0).round() as usize * 16).clamp(16, w);
    let y0 = rng.below(h - ch + 1);
    let x0 = rng.below(w - cw + 1);
    Ok((x.narrow(2, y0, ch)?.narrow(3, x0, cw)?, (y0, x0)))
}

/// Additive Gaussian noise of standard deviation `sigma` (on the `[0,1]` scale).
pub fn noise(x: &Tensor, sigma: f32) -> Result<Tensor> {
    x + x.randn_like(0.0, f64::from(sigma))?
}

/// `(x - 0.5) * contrast + 0.5 + brightness`.
pub fn tone(x: &Tensor, contrast: f32, brightness: f32) -> Result<Tensor> {
    ((x - 0.5)? * f64::from(contrast))? + (0.5 + f64::from(brightness))
}

/// Replaces random rectangles of `marked` by `cover` (the decoder learns to read a part).
pub fn mask(marked: &Tensor, cover: &Tensor, rng: &mut Rng) -> Result<Tensor> {
    let (n, _, h, w) = marked.dims4()?;
    let mut m = vec![1f32; n * h * w];
    for i in 0..n {
        for _ in 0..1 + rng.below(2) {
            let mh = (rng.range(0.3, 0.7) * h as f32) as usize;
            let mw = (rng.range(0.3, 0.7) * w as f32) as usize;
            let y0 = rng.below(h - mh + 1);
            let x0 = rng.below(w - mw + 1);
            for y in y0..y0 + mh {
                for x in x0..x0 + mw {
                    m[(i * h + y) * w + x] = 0.0;
                }
            }
        }
    }
    let m = Tensor::from_vec(m, (n, 1, h, w), marked.device())?.to_dtype(DType::F32)?;
    let inv = (1.0 - &m)?;
    marked.broadcast_mul(&m)? + cover.broadcast_mul(&inv)?
}

/// The distortions a batch can get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// None.
    Identity,
    /// JPEG approximation, quality 40-90.
    Jpeg,
    /// Resize by 0.5-1.5 and back (the detector tries the inverse scale).
    Rescale,
    /// Crop keeping 25-80% of the area at any offset (the tile phase changes).
    Crop,
    /// Gaussian blur, sigma 0.5-1.5.
    Blur,
    /// Gaussian noise, sigma up to 0.03.
    Noise,
    /// Brightness and contrast.
    Tone,
    /// Screenshot: down by a device pixel ratio of 1.25-2, back up, JPEG 60-90.
    Screenshot,
    /// Crop, then JPEG.
    CropJpeg,
}

/// All kinds, drawn uniformly.
pub const KINDS: [Kind; 9] = [
    Kind::Identity,
    Kind::Jpeg,
    Kind::Rescale,
    Kind::Crop,
    Kind::Blur,
    Kind::Noise,
    Kind::Tone,
    Kind::Screenshot,
    Kind::CropJpeg,
];

/// Applies one distortion of `kind` with random parameters.
pub fn apply(x: &Tensor, kind: Kind, rng: &mut Rng) -> Result<Tensor> {
    Ok(apply_offset(x, kind, rng)?.0)
}

/// [`apply`], also returning where the result's top-left pixel was in `x` (`(0, 0)` unless
/// the distortion crops): what moves the tile phase.
pub fn apply_offset(x: &Tensor, kind: Kind, rng: &mut Rng) -> Result<(Tensor, (usize, usize))> {
    let same = |t: Result<Tensor>| t.map(|t| (t, (0, 0)));
    match kind {
        Kind::Identity => Ok((x.clone(), (0, 0))),
        Kind::Jpeg => same(jpeg(x, 40 + rng.below(51) as u32)),
        Kind::Rescale => same(rescale(x, rng.range(0.5, 1.5))),
        Kind::Crop => crop_offset(x, rng.range(0.25, 0.8), rng),
        Kind::Blur => same(blur(x, rng.range(0.5, 1.5))),
        Kind::Noise => same(noise(x, rng.range(0.0, 0.03))),
        Kind::Tone => same(tone(x, rng.range(0.7, 1.3), rng.range(-0.1, 0.1))),
        Kind::Screenshot => same(jpeg(
            &rescale(x, 1.0 / rng.range(1.25, 2.0))?,
            60 + rng.below(31) as u32,
        )),
        Kind::CropJpeg => {
            let (c, at) = crop_offset(x, rng.range(0.25, 0.8), rng)?;
            Ok((jpeg(&c, 40 + rng.below(51) as u32)?, at))
        }
    }
}

/// How often [`draw`] picks `kind` by default, relative to the others: JPEG 3, crop + JPEG
/// 2, every other kind 1 (JPEG is what the model finds hardest).
pub fn weight(kind: Kind) -> usize {
    match kind {
        Kind::Jpeg => 3,
        Kind::CropJpeg => 2,
        _ => 1,
    }
}

/// Draws a kind uniformly from `kinds`, or from [`KINDS`] by [`weight`] when `kinds` is
/// empty.
pub fn draw(rng: &mut Rng, kinds: &[Kind]) -> Kind {
    if !kinds.is_empty() {
        return kinds[rng.below(kinds.len())];
    }
    let total: usize = KINDS.iter().map(|&k| weight(k)).sum();
    let mut r = rng.below(total);
    for &k in &KINDS {
        if r < weight(k) {
            return k;
        }
        r -= weight(k);
    }
    Kind::Identity
}

impl Kind {
    /// The kind named `name` (its variant name, case-insensitive).
    pub fn from_name(name: &str) -> Option<Kind> {
        KINDS
            .iter()
            .copied()
            .find(|k| format!("{k:?}").eq_ignore_ascii_case(name.trim()))
    }
}
