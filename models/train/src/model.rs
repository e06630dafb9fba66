//! The encoder and the edge decoder, in candle: a learned, tiled spread-spectrum watermark
//! whose decoder finds the tile phase itself (so crops are read without a sync step).
//!
//! **Encoder** (fully convolutional, any size): each bit owns a learned RGB carrier tile
//! `3 x P x P` (`P` = [`Arch::period`]); the tiles, signed by the message, are summed and
//! repeated over the image from its top-left corner (a transposed convolution of stride `P`).
//! A small network of the image makes a per-pixel strength map `2 * sigmoid(..)` (where the
//! image can hide more), which multiplies the carrier; the result is scaled to a fixed RMS
//! (`rms`, i.e. a fixed PSNR before 8-bit rounding):
//! `residual = rms * s(x) c(m) / ||s(x) c(m)||_rms`, `marked = x + residual`.
//!
//! **Decoder** (designed for tract on one core; input sides multiples of `P`):
//! 1. whitening: `w = conv7x7(x) + conv3x3(relu(conv3x3(x)))`, `K` channels — a learned
//!    prediction-error filter that removes most of the image and keeps the mark;
//! 2. folding: the mean of all `P x P` tiles of `w` (`K x P x P`; a crop shifts the tile
//!    grid, which only rolls the folded tile cyclically), made zero-mean per channel and
//!    normalized to unit RMS;
//! 3. phase search: circular correlation of the folded tile with the `B` learned templates
//!    at all `P^2` cyclic shifts (one convolution over the tile repeated 2x2); the shift with
//!    the largest `sum_b |corr_b|` is taken and its `B` correlations, times a learned scale,
//!    are the bit logits.
//!
//! The tile phase of an uncropped image is 0, which the first training steps use
//! ([`Decoder::forward_aligned`]) before the search is switched on.

use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::{Conv2d, Conv2dConfig, VarBuilder};

/// Sizes of the networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arch {
    /// Bits carried.
    pub bits: usize,
    /// Tile period in pixels (decoder inputs must have sides that are multiples of it).
    pub period: usize,
    /// Width of the encoder's strength network.
    pub enc_channels: usize,
    /// Hidden width of the decoder's whitening network.
    pub dec_hidden: usize,
    /// Channels of the whitened image (and of the templates).
    pub dec_channels: usize,
}

impl Default for Arch {
    fn default() -> Self {
        Arch {
            bits: 48,
            period: 16,
            enc_channels: 8,
            dec_hidden: 8,
            dec_channels: 4,
        }
    }
}

/// A convolution with its geometry (kept for the ONNX export).
#[derive(Clone, Debug)]
pub struct Conv {
    /// Parameter prefix (`enc.c1`, ...).
    pub name: String,
    /// The candle layer.
    pub layer: Conv2d,
    /// Kernel side.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
}

impl Conv {
    /// A `k x k` convolution `cin -> cout` with bias, padding `k / 2`, under `name`.
    pub fn new(
        vb: &VarBuilder,
        name: &str,
        cin: usize,
        cout: usize,
        k: usize,
        stride: usize,
    ) -> Result<Conv> {
        let cfg = Conv2dConfig {
            padding: k / 2,
            stride,
            ..Default::default()
        };
        Ok(Conv {
            name: name.to_string(),
            layer: candle_nn::conv2d(cin, cout, k, cfg, vb.pp(name))?,
            kernel: k,
            stride,
        })
    }

    /// Applies the convolution.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.layer.forward(x)
    }
}

/// Mean over `C, H, W` of `x^2`, square-rooted, per image: `[N,1,1,1]`.
fn rms(x: &Tensor) -> Result<Tensor> {
    let n = x.dim(0)?;
    (x.sqr()?.flatten_from(1)?.mean_keepdim(1)? + 1e-12)?
        .sqrt()?
        .reshape((n, 1, 1, 1))
}

/// The encoder.
#[derive(Clone, Debug)]
pub struct Encoder {
    /// Strength network.
    pub c1: Conv,
    /// Strength network.
    pub c2: Conv,
    /// Strength network, to one channel (1x1).
    pub c3: Conv,
    /// Carrier tiles `[B, 3, P, P]` (a transposed-convolution kernel).
    pub carrier: Tensor,
    /// Tile period.
    pub period: usize,
}

impl Encoder {
    /// Builds (or looks up) the encoder's parameters under `enc.`.
    pub fn new(vb: &VarBuilder, arch: Arch) -> Result<Encoder> {
        let c = arch.enc_channels;
        let p = arch.period;
        Ok(Encoder {
            c1: Conv::new(vb, "enc.c1", 3, c, 3, 1)?,
            c2: Conv::new(vb, "enc.c2", c, c, 3, 1)?,
            c3: Conv::new(vb, "enc.c3", c, 1, 1, 1)?,
            carrier: vb.get_with_hints(
                (arch.bits, 3, p, p),
                "enc.carrier",
                candle_nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.1,
                },
            )?,
            period: p,
        })
    }

    /// The strength map `[N,1,H,W]` in `(0, 2)`.
    pub fn strength(&self, image: &Tensor) -> Result<Tensor> {
        let h = self.c1.forward(image)?.relu()?;
        let h = self.c2.forward(&h)?.relu()?;
        candle_nn::ops::sigmoid(&self.c3.forward(&h)?)? * 2.0
    }

    /// The message carrier `[N,3,H,W]` for an image of `image`'s size.
    pub fn carrier(&self, image: &Tensor, message: &Tensor) -> Result<Tensor> {
        let (n, _, h, w) = image.dims4()?;
        let bits = message.dim(1)?;
        let p = self.period;
        let (gh, gw) = (h.div_ceil(p), w.div_ceil(p));
        let grid = message
            .reshape((n, bits, 1, 1))?
            .broadcast_as((n, bits, gh, gw))?
            .contiguous()?;
        grid.conv_transpose2d(&self.carrier, 0, 0, p, 1)?
            .narrow(2, 0, h)?
            .narrow(3, 0, w)
    }

    /// The residual for `image` (`[N,3,H,W]`, `[0,1]`) and `message` (`[N,B]`, `±1`),
    /// scaled to RMS `target_rms` per image.
    pub fn residual(&self, image: &Tensor, message: &Tensor, target_rms: f64) -> Result<Tensor> {
        let raw = self
            .carrier(image, message)?
            .broadcast_mul(&self.strength(image)?)?;
        raw.broadcast_div(&rms(&raw)?)? * target_rms
    }

    /// The watermarked image `image + residual` (not clamped).
    pub fn forward(&self, image: &Tensor, message: &Tensor, target_rms: f64) -> Result<Tensor> {
        image + self.residual(image, message, target_rms)?
    }
}

/// The decoder.
#[derive(Clone, Debug)]
pub struct Decoder {
    /// Linear whitening path (7x7).
    pub lin: Conv,
    /// Non-linear whitening path.
    pub c1: Conv,
    /// Non-linear whitening path.
    pub c2: Conv,
    /// Templates `[B, K, P, P]`.
    pub templates: Tensor,
    /// Logit scale `[1]`.
    pub scale: Tensor,
    /// Tile period.
    pub period: usize,
}

impl Decoder {
    /// Builds (or looks up) the decoder's parameters under `dec.`.
    pub fn new(vb: &VarBuilder, arch: Arch) -> Result<Decoder> {
        let k = arch.dec_channels;
        let p = arch.period;
        Ok(Decoder {
            lin: Conv::new(vb, "dec.lin", 3, k, 7, 1)?,
            c1: Conv::new(vb, "dec.c1", 3, arch.dec_hidden, 3, 1)?,
            c2: Conv::new(vb, "dec.c2", arch.dec_hidden, k, 3, 1)?,
            templates: vb.get_with_hints(
                (arch.bits, k, p, p),
                "dec.templates",
                candle_nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.1,
                },
            )?,
            scale: vb.get_with_hints(1, "dec.scale", candle_nn::Init::Const(1.0))?,
            period: p,
        })
    }

    /// The folded, RMS-normalized tile `[N,K,P,P]` of `image` (sides multiples of `P`).
    pub fn folded(&self, image: &Tensor) -> Result<Tensor> {
        let w = (self.lin.forward(image)? + self.c2.forward(&self.c1.forward(image)?.relu()?)?)?;
        let (n, k, h, wd) = w.dims4()?;
        let p = self.period;
        if h % p != 0 || wd % p != 0 || h == 0 || wd == 0 {
            candle_core::bail!("decoder input {h}x{wd} is not a multiple of the period {p}");
        }
        let f = w.reshape((n, k, h / p, p, wd / p, p))?.mean(4)?.mean(2)?;
        // Zero mean per channel: the cover's average colour folds into a constant.
        let f = f.broadcast_sub(&f.mean_keepdim(3)?.mean_keepdim(2)?)?;
        f.broadcast_div(&rms(&f)?)
    }

    /// Correlations `[N,B,P*P]` of the folded tile with every template at every cyclic shift.
    pub fn correlations(&self, folded: &Tensor) -> Result<Tensor> {
        let p = self.period;
        let (n, _, _, _) = folded.dims4()?;
        let wide = Tensor::cat(&[folded, folded], 3)?;
        let tiled = Tensor::cat(&[&wide, &wide], 2)?;
        let y = tiled.conv2d(&self.templates, 0, 1, 1, 1)?;
        let bits = y.dim(1)?;
        y.narrow(2, 0, p)?
            .narrow(3, 0, p)?
            .contiguous()?
            .reshape((n, bits, p * p))
    }

    /// Bit logits `[N,B]` with the phase search (what the exported decoder computes).
    pub fn forward(&self, image: &Tensor) -> Result<Tensor> {
        let y = self.correlations(&self.folded(image)?)?;
        let score = y.abs()?.mean_keepdim(1)?;
        let best = score.max_keepdim(2)?;
        let mask = score.broadcast_eq(&best)?.to_dtype(DType::F32)?.detach();
        let num = y.broadcast_mul(&mask)?.mean(D::Minus1)?;
        let den = mask.mean(D::Minus1)?;
        num.broadcast_div(&den)?.broadcast_mul(&self.scale)
    }

    /// The shift index (into the `P*P` correlations) where the tiles of an image cropped at
    /// `(y0, x0)` from a marked image line up with the templates.
    pub fn true_shift(&self, y0: usize, x0: usize) -> usize {
        let p = self.period;
        ((p - y0 % p) % p) * p + (p - x0 % p) % p
    }

    /// Bit logits `[N,B]` at shift index `shift` and the search scores `[N,P*P]` (mean
    /// |correlation| per shift): training reads the bits where they are (teacher forcing)
    /// and teaches the search with the scores.
    pub fn forward_at(&self, image: &Tensor, shift: usize) -> Result<(Tensor, Tensor)> {
        let y = self.correlations(&self.folded(image)?)?;
        let logits = y
            .narrow(2, shift, 1)?
            .squeeze(2)?
            .broadcast_mul(&self.scale)?;
        let score = y.abs()?.mean(1)?;
        Ok((logits, score))
    }

    /// The shift index with the largest score of the first image of `score` (`[N,P*P]` or
    /// `[N,1,P*P]`, as [`Decoder::forward_at`] and the search compute it).
    pub fn best_shift(score: &Tensor) -> Result<usize> {
        let first = score.flatten_from(1)?.get(0)?;
        Ok(first.argmax(0)?.to_scalar::<u32>()? as usize)
    }

    /// Bit logits `[N,B]` at tile phase 0 (uncropped inputs; the warm-up's shortcut).
    pub fn forward_aligned(&self, image: &Tensor) -> Result<Tensor> {
        let f = self.folded(image)?;
        let (n, k, p, _) = f.dims4()?;
        let bits = self.templates.dim(0)?;
        let flat = f.reshape((n, k * p * p))?;
        let t = self.templates.reshape((bits, k * p * p))?;
        flat.matmul(&t.t()?)?.broadcast_mul(&self.scale)
    }
}

/// Encoder and decoder together.
#[derive(Clone, Debug)]
pub struct Model {
    /// Sizes.
    pub arch: Arch,
    /// Encoder.
    pub encoder: Encoder,
    /// Decoder.
    pub decoder: Decoder,
}

impl Model {
    /// Builds both networks from a var builder (a `VarMap` for training).
    pub fn new(vb: &VarBuilder, arch: Arch) -> Result<Model> {
        Ok(Model {
            arch,
            encoder: Encoder::new(vb, arch)?,
            decoder: Decoder::new(vb, arch)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_nn::VarMap;

    /// Rolls `[N,K,P,P]` cyclically by `(dy, dx)`.
    fn roll(t: &Tensor, dy: usize, dx: usize) -> Tensor {
        let p = t.dim(2).unwrap();
        let r = Tensor::cat(
            &[
                t.narrow(2, p - dy, dy).unwrap(),
                t.narrow(2, 0, p - dy).unwrap(),
            ],
            2,
        )
        .unwrap();
        Tensor::cat(
            &[
                r.narrow(3, p - dx, dx).unwrap(),
                r.narrow(3, 0, p - dx).unwrap(),
            ],
            3,
        )
        .unwrap()
    }

    #[test]
    fn the_phase_search_reads_a_rolled_tile_like_the_aligned_one() {
        let dev = Device::Cpu;
        let vm = VarMap::new();
        let vb = VarBuilder::from_varmap(&vm, DType::F32, &dev);
        let arch = Arch {
            bits: 6,
            period: 8,
            ..Arch::default()
        };
        let d = Decoder::new(&vb, arch).unwrap();
        // A folded tile that is template 0 plus templates 1..6 with signs, plus noise.
        let t = d.templates.clone();
        let signs = [1f32, -1., 1., 1., -1., -1.];
        let mut f = (t.narrow(0, 0, 1).unwrap() * 0.0).unwrap();
        for (b, s) in signs.iter().enumerate() {
            f = (f + (t.narrow(0, b, 1).unwrap() * f64::from(*s)).unwrap()).unwrap();
        }
        let f = (f.clone() + f.randn_like(0.0, 0.01).unwrap()).unwrap();
        let base = d.correlations(&f).unwrap();
        for (dy, dx) in [(0, 0), (3, 5), (7, 1)] {
            let y = d.correlations(&roll(&f, dy, dx)).unwrap();
            // The best shift's correlations carry the signs, wherever the roll put them.
            let score = y.abs().unwrap().mean_keepdim(1).unwrap();
            let best = Decoder::best_shift(&score).unwrap();
            let picked: Vec<f32> = y
                .narrow(2, best, 1)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            for (b, s) in signs.iter().enumerate() {
                assert!(picked[b] * s > 0.0, "roll ({dy},{dx}) bit {b}: {picked:?}");
            }
            // The rolled correlations are a permutation of the unrolled ones.
            let mut a: Vec<f32> = y.flatten_all().unwrap().to_vec1().unwrap();
            let mut b: Vec<f32> = base.flatten_all().unwrap().to_vec1().unwrap();
            a.sort_by(f32::total_cmp);
            b.sort_by(f32::total_cmp);
            for (u, v) in a.iter().zip(&b) {
                assert!((u - v).abs() < 1e-3, "{u} vs {v}");
            }
        }
    }
}
