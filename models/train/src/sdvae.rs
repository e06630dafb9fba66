//! Stable Diffusion's VAE (diffusers `AutoencoderKL`) in candle, with diffusers' tensor names,
//! so a user's `diffusion_pytorch_model.safetensors` (SD 1.x/2.x, SDXL) loads as it is and its
//! image decoder can be fine-tuned with a watermark loss ([`crate::finetune`]).
//!
//! Layout (diffusers): `encoder.{conv_in, down_blocks.i.resnets.j, down_blocks.i.downsamplers.0.conv,
//! mid_block.{resnets.0, attentions.0, resnets.1}, conv_norm_out, conv_out}`, `quant_conv`,
//! `post_quant_conv`, and `decoder.{conv_in, mid_block, up_blocks.i.resnets.j,
//! up_blocks.i.upsamplers.0.conv, conv_norm_out, conv_out}`. The mid-block attention is read
//! under diffusers' current names (`group_norm`, `to_q`, `to_k`, `to_v`, `to_out.0`) or the
//! names of files written before diffusers 0.14 (`query`, `key`, `value`, `proj_attn`; renamed
//! on reading, [`crate::generator`]).
//!
//! The real weights are in no package registry: the test suite checks the loading on a
//! randomly initialised file of the same layout with small widths ([`VaeConfig::tiny`]).

use crate::error::{Error, Result};
use crate::generator::Generator;
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Conv2d, Conv2dConfig, GroupNorm, Linear, VarBuilder};
use std::path::Path;

/// The sizes of an `AutoencoderKL` (the fields of diffusers' `config.json` that matter).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct VaeConfig {
    /// Channels of each resolution level, highest resolution first.
    pub block_out_channels: Vec<usize>,
    /// Residual blocks per level in the encoder (the decoder has one more).
    pub layers_per_block: usize,
    /// Latent channels.
    #[serde(default = "four")]
    pub latent_channels: usize,
    /// Groups of every group normalization.
    #[serde(default = "thirty_two")]
    pub norm_num_groups: usize,
    /// Latents are `scaling_factor` times the encoder's mean.
    #[serde(default = "sd_scale")]
    pub scaling_factor: f64,
    /// diffusers' `use_quant_conv` (only `true`, SD's layout, is supported).
    #[serde(default)]
    pub use_quant_conv: Option<bool>,
    /// diffusers' `use_post_quant_conv` (only `true` is supported).
    #[serde(default)]
    pub use_post_quant_conv: Option<bool>,
    /// diffusers' `mid_block_add_attention` (only `true` is supported).
    #[serde(default)]
    pub mid_block_add_attention: Option<bool>,
    /// diffusers' `shift_factor` (SD3/FLUX VAEs; not supported).
    #[serde(default)]
    pub shift_factor: Option<f64>,
}

fn four() -> usize {
    4
}
fn thirty_two() -> usize {
    32
}
fn sd_scale() -> f64 {
    0.18215
}

impl VaeConfig {
    /// Stable Diffusion 1.x / 2.x (`sd-vae-ft-mse` and the pipelines' `vae/`).
    pub fn sd() -> VaeConfig {
        VaeConfig {
            block_out_channels: vec![128, 256, 512, 512],
            layers_per_block: 2,
            latent_channels: 4,
            norm_num_groups: 32,
            scaling_factor: 0.18215,
            use_quant_conv: None,
            use_post_quant_conv: None,
            mid_block_add_attention: None,
            shift_factor: None,
        }
    }

    /// SDXL's VAE (same layout, another latent scale).
    pub fn sdxl() -> VaeConfig {
        VaeConfig {
            scaling_factor: 0.13025,
            ..VaeConfig::sd()
        }
    }

    /// Same layout, small widths: what the tests initialise randomly.
    pub fn tiny() -> VaeConfig {
        VaeConfig {
            block_out_channels: vec![32, 64],
            layers_per_block: 1,
            ..VaeConfig::sd()
        }
    }

    /// `sd`, `sdxl`, `tiny`, or a diffusers `config.json`.
    pub fn named_or_file(spec: &str) -> Result<VaeConfig> {
        match spec {
            "sd" => Ok(VaeConfig::sd()),
            "sdxl" => Ok(VaeConfig::sdxl()),
            "tiny" => Ok(VaeConfig::tiny()),
            path => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                let cfg: VaeConfig = serde_json::from_str(&text)
                    .map_err(|e| Error::Config(format!("{path}: not a VAE config.json: {e}")))?;
                cfg.check()?;
                Ok(cfg)
            }
        }
    }

    fn check(&self) -> Result<()> {
        let g = self.norm_num_groups;
        if self.block_out_channels.is_empty()
            || g == 0
            || self
                .block_out_channels
                .iter()
                .any(|&c| c == 0 || c % g != 0)
            || self.latent_channels == 0
        {
            return Err(Error::Config(format!(
                "VAE config {self:?}: block_out_channels must be non-empty multiples of norm_num_groups"
            )));
        }
        let off = |v: Option<bool>| v == Some(false);
        if off(self.use_quant_conv)
            || off(self.use_post_quant_conv)
            || off(self.mid_block_add_attention)
            || self.shift_factor.is_some_and(|s| s != 0.0)
        {
            return Err(Error::Config(format!(
                "VAE config {self:?}: only Stable Diffusion 1.x/2.x/SDXL's layout is supported \
                 (quant convs, mid-block attention, no shift factor)"
            )));
        }
        Ok(())
    }

    /// How many times smaller the latent is than the image.
    pub fn downscale(&self) -> usize {
        1 << (self.block_out_channels.len() - 1)
    }
}

fn conv(vb: VarBuilder, cin: usize, cout: usize, k: usize, stride: usize) -> Result<Conv2d> {
    let cfg = Conv2dConfig {
        padding: if stride == 1 { k / 2 } else { 0 },
        stride,
        ..Default::default()
    };
    Ok(candle_nn::conv2d(cin, cout, k, cfg, vb)?)
}

fn norm(vb: VarBuilder, groups: usize, c: usize) -> Result<GroupNorm> {
    Ok(candle_nn::group_norm(groups, c, 1e-6, vb)?)
}

/// diffusers' `ResnetBlock2D` (no time embedding).
#[derive(Clone, Debug)]
struct Resnet {
    norm1: GroupNorm,
    conv1: Conv2d,
    norm2: GroupNorm,
    conv2: Conv2d,
    shortcut: Option<Conv2d>,
}

impl Resnet {
    fn new(vb: VarBuilder, groups: usize, cin: usize, cout: usize) -> Result<Resnet> {
        Ok(Resnet {
            norm1: norm(vb.pp("norm1"), groups, cin)?,
            conv1: conv(vb.pp("conv1"), cin, cout, 3, 1)?,
            norm2: norm(vb.pp("norm2"), groups, cout)?,
            conv2: conv(vb.pp("conv2"), cout, cout, 3, 1)?,
            shortcut: if cin != cout {
                Some(conv(vb.pp("conv_shortcut"), cin, cout, 1, 1)?)
            } else {
                None
            },
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.conv1.forward(&self.norm1.forward(x)?.silu()?)?;
        let h = self.conv2.forward(&self.norm2.forward(&h)?.silu()?)?;
        match &self.shortcut {
            Some(s) => s.forward(x)? + h,
            None => x + h,
        }
    }
}

/// The mid block's single-head self-attention over all pixels.
#[derive(Clone, Debug)]
struct Attention {
    norm: GroupNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
}

impl Attention {
    fn new(vb: VarBuilder, groups: usize, c: usize) -> Result<Attention> {
        let lin = |name: &str| -> Result<Linear> { Ok(candle_nn::linear(c, c, vb.pp(name))?) };
        Ok(Attention {
            norm: norm(vb.pp("group_norm"), groups, c)?,
            q: lin("to_q")?,
            k: lin("to_k")?,
            v: lin("to_v")?,
            out: lin("to_out.0")?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        let t = self
            .norm
            .forward(x)?
            .reshape((n, c, h * w))?
            .transpose(1, 2)?
            .contiguous()?;
        let (q, k, v) = (
            self.q.forward(&t)?,
            self.k.forward(&t)?,
            self.v.forward(&t)?,
        );
        let att = (q.matmul(&k.transpose(1, 2)?.contiguous()?)? / (c as f64).sqrt())?;
        let att = candle_nn::ops::softmax(&att, D::Minus1)?;
        let y = self.out.forward(&att.matmul(&v)?)?;
        x + y.transpose(1, 2)?.reshape((n, c, h, w))?
    }
}

#[derive(Clone, Debug)]
struct Mid {
    r0: Resnet,
    att: Attention,
    r1: Resnet,
}

impl Mid {
    fn new(vb: VarBuilder, groups: usize, c: usize) -> Result<Mid> {
        Ok(Mid {
            r0: Resnet::new(vb.pp("resnets.0"), groups, c, c)?,
            att: Attention::new(vb.pp("attentions.0"), groups, c)?,
            r1: Resnet::new(vb.pp("resnets.1"), groups, c, c)?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.r1.forward(&self.att.forward(&self.r0.forward(x)?)?)
    }
}

/// diffusers' VAE `Encoder` followed by `quant_conv`; gives the posterior's mean.
#[derive(Clone, Debug)]
struct VaeEncoder {
    conv_in: Conv2d,
    down: Vec<(Vec<Resnet>, Option<Conv2d>)>,
    mid: Mid,
    norm_out: GroupNorm,
    conv_out: Conv2d,
    quant: Conv2d,
    latent: usize,
}

impl VaeEncoder {
    fn new(vb: VarBuilder, cfg: &VaeConfig) -> Result<VaeEncoder> {
        let g = cfg.norm_num_groups;
        let ch = &cfg.block_out_channels;
        let e = vb.pp("encoder");
        let mut down = Vec::new();
        let mut cin = ch[0];
        for (i, &cout) in ch.iter().enumerate() {
            let b = e.pp(format!("down_blocks.{i}"));
            let mut res = Vec::new();
            for j in 0..cfg.layers_per_block {
                res.push(Resnet::new(b.pp(format!("resnets.{j}")), g, cin, cout)?);
                cin = cout;
            }
            let ds = if i + 1 < ch.len() {
                Some(conv(b.pp("downsamplers.0.conv"), cout, cout, 3, 2)?)
            } else {
                None
            };
            down.push((res, ds));
        }
        let top = ch[ch.len() - 1];
        let l2 = 2 * cfg.latent_channels;
        Ok(VaeEncoder {
            conv_in: conv(e.pp("conv_in"), 3, ch[0], 3, 1)?,
            down,
            mid: Mid::new(e.pp("mid_block"), g, top)?,
            norm_out: norm(e.pp("conv_norm_out"), g, top)?,
            conv_out: conv(e.pp("conv_out"), top, l2, 3, 1)?,
            quant: conv(vb.pp("quant_conv"), l2, l2, 1, 1)?,
            latent: cfg.latent_channels,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = self.conv_in.forward(x)?;
        for (res, ds) in &self.down {
            for r in res {
                h = r.forward(&h)?;
            }
            if let Some(ds) = ds {
                // diffusers pads (0, 1, 0, 1) before the stride-2 convolution.
                h = ds.forward(&h.pad_with_zeros(2, 0, 1)?.pad_with_zeros(3, 0, 1)?)?;
            }
        }
        let h = self.mid.forward(&h)?;
        let h = self.conv_out.forward(&self.norm_out.forward(&h)?.silu()?)?;
        self.quant.forward(&h)?.narrow(1, 0, self.latent)
    }
}

/// `post_quant_conv` followed by diffusers' VAE `Decoder`.
#[derive(Clone, Debug)]
struct VaeDecoder {
    post_quant: Conv2d,
    conv_in: Conv2d,
    mid: Mid,
    up: Vec<(Vec<Resnet>, Option<Conv2d>)>,
    norm_out: GroupNorm,
    conv_out: Conv2d,
    tile: Option<Tensor>,
}

impl VaeDecoder {
    fn new(vb: VarBuilder, cfg: &VaeConfig, tile: Option<usize>) -> Result<VaeDecoder> {
        let g = cfg.norm_num_groups;
        let rev: Vec<usize> = cfg.block_out_channels.iter().rev().copied().collect();
        let d = vb.pp("decoder");
        let l = cfg.latent_channels;
        let mut up = Vec::new();
        let mut cin = rev[0];
        for (i, &cout) in rev.iter().enumerate() {
            let b = d.pp(format!("up_blocks.{i}"));
            let mut res = Vec::new();
            for j in 0..=cfg.layers_per_block {
                res.push(Resnet::new(b.pp(format!("resnets.{j}")), g, cin, cout)?);
                cin = cout;
            }
            let us = if i + 1 < rev.len() {
                Some(conv(b.pp("upsamplers.0.conv"), cout, cout, 3, 1)?)
            } else {
                None
            };
            up.push((res, us));
        }
        let last = rev[rev.len() - 1];
        Ok(VaeDecoder {
            post_quant: conv(vb.pp("post_quant_conv"), l, l, 1, 1)?,
            conv_in: conv(d.pp("conv_in"), l, rev[0], 3, 1)?,
            mid: Mid::new(d.pp("mid_block"), g, rev[0])?,
            up,
            norm_out: norm(d.pp("conv_norm_out"), g, last)?,
            conv_out: conv(d.pp("conv_out"), last, 3, 3, 1)?,
            tile: crate::generator::tile_param(&vb, last, tile)?,
        })
    }

    fn forward(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.conv_in.forward(&self.post_quant.forward(z)?)?;
        let mut h = self.mid.forward(&h)?;
        for (res, us) in &self.up {
            for r in res {
                h = r.forward(&h)?;
            }
            if let Some(us) = us {
                let (_, _, hh, ww) = h.dims4()?;
                h = us.forward(&h.upsample_nearest2d(hh * 2, ww * 2)?)?;
            }
        }
        let h = crate::generator::add_tile(&h, self.tile.as_ref())?;
        self.conv_out.forward(&self.norm_out.forward(&h)?.silu()?)
    }
}

/// Stable Diffusion's VAE: images in `[0, 1]`, latents as the diffusion model sees them
/// (times `scaling_factor`).
#[derive(Clone, Debug)]
pub struct SdVae {
    encoder: VaeEncoder,
    decoder: VaeDecoder,
    /// The sizes.
    pub config: VaeConfig,
}

impl SdVae {
    /// Builds (or looks up) the VAE's parameters from `vb` with diffusers' names; with a
    /// carrier tile of period `tile` when given (see [`crate::generator::WATERMARK_TILE`]).
    pub fn new(vb: VarBuilder, config: &VaeConfig, tile: Option<usize>) -> Result<SdVae> {
        config.check()?;
        Ok(SdVae {
            encoder: VaeEncoder::new(vb.clone(), config)?,
            decoder: VaeDecoder::new(vb, config, tile)?,
            config: config.clone(),
        })
    }

    /// Loads a diffusers `AutoencoderKL` safetensors file, read-only (the frozen original).
    pub fn load(path: &Path, config: &VaeConfig, dev: &Device) -> Result<SdVae> {
        let (tensors, period) = crate::generator::read_file(path, dev)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, dev);
        SdVae::new(vb, config, period).map_err(|e| layout_error(path, e))
    }
}

/// A clearer error for a file whose tensors do not match the layout.
pub(crate) fn layout_error(path: &Path, e: Error) -> Error {
    Error::Config(format!(
        "{}: not a VAE of this layout (diffusers AutoencoderKL with the given config): {e}",
        path.display()
    ))
}

impl Generator for SdVae {
    fn encode(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.encoder.forward(&((x * 2.0)? - 1.0)?)? * self.config.scaling_factor
    }

    fn decode(&self, z: &Tensor) -> candle_core::Result<Tensor> {
        (self.decoder.forward(&(z / self.config.scaling_factor)?)? + 1.0)? * 0.5
    }

    fn downscale(&self) -> usize {
        self.config.downscale()
    }
}
