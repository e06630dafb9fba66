//! Image generators whose decoder [`crate::finetune`] fine-tunes: a latent autoencoder (encode
//! an image to latents, decode latents to an image), the part of a latent-diffusion model that
//! makes every generated image.
//!
//! Two are built in: [`TinyVae`], a small convolutional autoencoder trained here on photo
//! crops ([`pretrain`]) that stands in for a latent-diffusion decoder on the CPU, and
//! Stable Diffusion's VAE ([`crate::sdvae::SdVae`]) for users who have its weights. Both use
//! diffusers' split: parameters under `encoder.` and `quant_conv.` encode, parameters under
//! `decoder.` and `post_quant_conv.` decode (what fine-tuning trains).

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::Conv;
use crate::rng::Rng;
use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use std::path::Path;

/// A latent autoencoder. Images are `[N,3,H,W]` in `[0,1]` (sides multiples of
/// [`Generator::downscale`]); the decoder's output is not clamped.
pub trait Generator {
    /// The latents of `x`.
    fn encode(&self, x: &Tensor) -> candle_core::Result<Tensor>;
    /// The image of latents `z`.
    fn decode(&self, z: &Tensor) -> candle_core::Result<Tensor>;
    /// How many times smaller the latents are than the image (per side).
    fn downscale(&self) -> usize;
}

/// True for the parameters of a generator's image decoder (the ones fine-tuning trains).
pub fn is_decoder_param(name: &str) -> bool {
    name.starts_with("decoder.") || name.starts_with("post_quant_conv.")
}

/// The one parameter a fine-tuned decoder gains: a carrier tile `[1, C, P, P]` added, repeated,
/// to its last full-resolution feature map (before its last non-linear layers, which shape it
/// with the content). The extractor reads a mark tiled with period `P`; a convolutional decoder
/// has no notion of absolute position to draw one from (nearest upsampling tells the phase
/// modulo its factor at most), so fine-tuning alone cannot make it. Starts at zero: before
/// training the fine-tuned generator is the original.
pub const WATERMARK_TILE: &str = "decoder.watermark_tile";

/// `tile` (`[1,C,P,P]`) repeated over `h x w`.
fn tiled(tile: &Tensor, h: usize, w: usize) -> candle_core::Result<Tensor> {
    let p = tile.dim(2)?;
    tile.repeat((1, 1, h.div_ceil(p), w.div_ceil(p)))?
        .narrow(2, 0, h)?
        .narrow(3, 0, w)
}

/// `x + tile` repeated, when there is a tile.
pub(crate) fn add_tile(x: &Tensor, tile: Option<&Tensor>) -> candle_core::Result<Tensor> {
    match tile {
        None => Ok(x.clone()),
        Some(t) => {
            let (_, _, h, w) = x.dims4()?;
            x.broadcast_add(&tiled(t, h, w)?)
        }
    }
}

/// The carrier tile of `channels` channels and period `period` (zero-initialised in a
/// `VarMap`).
pub(crate) fn tile_param(
    vb: &VarBuilder,
    channels: usize,
    period: Option<usize>,
) -> Result<Option<Tensor>> {
    Ok(match period {
        None => None,
        Some(p) => Some(vb.get_with_hints(
            (1, channels, p, p),
            WATERMARK_TILE,
            candle_nn::Init::Const(0.0),
        )?),
    })
}

/// Reads a safetensors file into the tensors a generator is built from; also returns the
/// period of its carrier tile when it has one (a fine-tuned file).
pub(crate) fn read_file(
    path: &Path,
    dev: &Device,
) -> Result<(std::collections::HashMap<String, Tensor>, Option<usize>)> {
    let tensors = candle_core::safetensors::load(path, dev)
        .map_err(|e| Error::Config(format!("{}: not a safetensors file: {e}", path.display())))?;
    let tensors: std::collections::HashMap<String, Tensor> = tensors
        .into_iter()
        .map(|(name, t)| (current_name(&name), t))
        .collect();
    let period = match tensors.get(WATERMARK_TILE) {
        None => None,
        Some(t) => Some(t.dim(2)?),
    };
    Ok((tensors, period))
}

/// diffusers' current name of a tensor: files written before diffusers 0.14 name the VAE's
/// mid-block attention `query`, `key`, `value` and `proj_attn` (now `to_q`, `to_k`, `to_v`,
/// `to_out.0`).
fn current_name(name: &str) -> String {
    const OLD: [(&str, &str); 4] = [
        (".query.", ".to_q."),
        (".key.", ".to_k."),
        (".value.", ".to_v."),
        (".proj_attn.", ".to_out.0."),
    ];
    if name.contains(".mid_block.attentions.") {
        for (old, new) in OLD {
            if name.contains(old) {
                return name.replacen(old, new, 1);
            }
        }
    }
    name.to_string()
}

/// Sets every variable of `varmap` from `path` (old attention names read as the current
/// ones); a variable the file lacks is an error, except
/// the carrier tile (a file that was never fine-tuned), which keeps its zeros.
pub(crate) fn load_into(varmap: &VarMap, path: &Path, dev: &Device) -> Result<()> {
    let (tensors, _) = read_file(path, dev)?;
    let data = varmap
        .data()
        .lock()
        .map_err(|_| Error::Config("parameter map poisoned".into()))?;
    for (name, var) in data.iter() {
        match tensors.get(name) {
            Some(t) if t.dims() == var.dims() => var.set(&t.to_dtype(DType::F32)?)?,
            Some(t) => {
                return Err(Error::Config(format!(
                    "{}: '{name}' has shape {:?}, expected {:?}",
                    path.display(),
                    t.dims(),
                    var.dims()
                )))
            }
            None if name == WATERMARK_TILE => {}
            None => {
                return Err(Error::Config(format!(
                    "{}: no tensor '{name}'",
                    path.display()
                )))
            }
        }
    }
    Ok(())
}

/// A small convolutional autoencoder: 4 latent channels at a quarter of the resolution (the
/// shape of Stable Diffusion's latents, at 1/4 instead of 1/8), 36,023 parameters.
#[derive(Clone, Debug)]
pub struct TinyVae {
    e1: Conv,
    e2: Conv,
    e3: Conv,
    d1: Conv,
    d2: Conv,
    d3: Conv,
    d4: Conv,
    tile: Option<Tensor>,
}

/// Latent channels of [`TinyVae`].
pub const TINY_LATENT: usize = 4;

impl TinyVae {
    /// Builds (or looks up) the parameters; with a carrier tile of period `tile` when given
    /// (see [`WATERMARK_TILE`]).
    pub fn new(vb: &VarBuilder, tile: Option<usize>) -> Result<TinyVae> {
        Ok(TinyVae {
            e1: Conv::new(vb, "encoder.c1", 3, 32, 3, 2)?,
            e2: Conv::new(vb, "encoder.c2", 32, 32, 3, 2)?,
            e3: Conv::new(vb, "encoder.c3", 32, TINY_LATENT, 1, 1)?,
            d1: Conv::new(vb, "decoder.c1", TINY_LATENT, 48, 3, 1)?,
            d2: Conv::new(vb, "decoder.c2", 48, 32, 3, 1)?,
            d3: Conv::new(vb, "decoder.c3", 32, 32, 3, 1)?,
            d4: Conv::new(vb, "decoder.c4", 32, 3, 3, 1)?,
            tile: tile_param(vb, 32, tile)?,
        })
    }

    /// Loads a checkpoint written by [`pretrain`] (read-only).
    pub fn load(path: &Path, dev: &Device) -> Result<TinyVae> {
        let (tensors, period) = read_file(path, dev)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, dev);
        TinyVae::new(&vb, period).map_err(|e| crate::sdvae::layout_error(path, e))
    }
}

fn up2(x: &Tensor) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    x.upsample_nearest2d(h * 2, w * 2)
}

impl Generator for TinyVae {
    fn encode(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.e1.forward(&((x * 2.0)? - 1.0)?)?.relu()?;
        let h = self.e2.forward(&h)?.relu()?;
        self.e3.forward(&h)
    }

    fn decode(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.d1.forward(z)?.relu()?;
        let h = self.d2.forward(&up2(&h)?)?.relu()?;
        let h = add_tile(&up2(&h)?, self.tile.as_ref())?;
        let h = self.d3.forward(&h)?.relu()?;
        self.d4.forward(&h)? + 0.5
    }

    fn downscale(&self) -> usize {
        4
    }
}

/// Settings of [`pretrain`].
#[derive(Clone, Debug)]
pub struct PretrainConfig {
    /// Optimizer steps.
    pub steps: usize,
    /// Crops per step.
    pub batch: usize,
    /// Learning rate (AdamW; a tenth for the last quarter).
    pub lr: f64,
    /// Seed of the initial weights and of the crops.
    pub seed: u64,
}

impl Default for PretrainConfig {
    fn default() -> Self {
        PretrainConfig {
            steps: 600,
            batch: 8,
            lr: 2e-3,
            seed: 7,
        }
    }
}

/// Re-draws every convolution of `varmap` from `seed` with candle's default initialisation
/// (weights Kaiming-normal for ReLU, `sqrt(2 / fan_in)`; biases uniform in
/// `+-1 / sqrt(fan_in)`): candle draws from an unseeded generator on the CPU, so without this
/// two runs with the same settings start from different networks (and a short run can land in
/// a start the bit loss does not move).
fn seed_convs(varmap: &VarMap, seed: u64) -> Result<()> {
    let vars = varmap
        .data()
        .lock()
        .map_err(|_| Error::Config("parameter map poisoned".into()))?;
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    let mut rng = Rng::new(seed ^ 0x1A17);
    for name in names {
        let Some(prefix) = name.strip_suffix(".weight") else {
            continue;
        };
        let w = &vars[name];
        let fan_in: usize = w.dims().iter().skip(1).product();
        let std = (2.0 / fan_in.max(1) as f32).sqrt();
        let normal: Vec<f32> = (0..w.elem_count())
            .map(|_| {
                // Box-Muller.
                let (u, v) = (rng.uniform().max(1e-7), rng.uniform());
                std * (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
            })
            .collect();
        w.set(&Tensor::from_vec(normal, w.shape(), w.device())?)?;
        if let Some(b) = vars.get(&format!("{prefix}.bias")) {
            let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
            let u: Vec<f32> = (0..b.elem_count())
                .map(|_| rng.range(-bound, bound))
                .collect();
            b.set(&Tensor::from_vec(u, b.shape(), b.device())?)?;
        }
    }
    Ok(())
}

/// Trains a [`TinyVae`] to reconstruct photo crops (mean squared error) and returns its
/// parameters; `log` gets a line every 50 steps with the reconstruction PSNR.
pub fn pretrain(data: &Dataset, cfg: &PretrainConfig, mut log: impl FnMut(&str)) -> Result<VarMap> {
    let dev = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
    let g = TinyVae::new(&vb, None)?;
    seed_convs(&varmap, cfg.seed)?;
    let mut opt = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: cfg.lr,
            weight_decay: 0.0,
            ..Default::default()
        },
    )?;
    let mut rng = Rng::new(cfg.seed);
    let (mut sum, mut count) = (0.0f64, 0usize);
    for step in 0..cfg.steps {
        if step == cfg.steps * 3 / 4 {
            opt.set_learning_rate(cfg.lr * 0.1);
        }
        let x = data.batch(cfg.batch, &mut rng, &dev)?;
        let y = g.decode(&g.encode(&x)?)?;
        let mse = (&y - &x)?.sqr()?.mean_all()?;
        opt.backward_step(&mse)?;
        sum += f64::from(mse.to_scalar::<f32>()?);
        count += 1;
        if (step + 1) % 50 == 0 || step + 1 == cfg.steps {
            log(&format!(
                "generator step {:5}  reconstruction {:.2} dB",
                step + 1,
                10.0 * (1.0 / (sum / count as f64).max(1e-12)).log10()
            ));
            (sum, count) = (0.0, 0);
        }
    }
    Ok(varmap)
}
