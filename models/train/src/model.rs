//! The encoder and the edge decoder, in candle.
//!
//! Encoder (fully convolutional, any size): `image [N,3,H,W]` in `[0, 1]` and
//! `message [N,B]` in `{-1, +1}` -> `image + strength * residual`. The message becomes a
//! spatial carrier: each bit owns a learned `C x 16 x 16` tile, the signed tiles are summed
//! and repeated over the image (a transposed convolution of stride 16 over a grid holding
//! the message), then mixed with image features:
//! `f = relu(conv(relu(conv(x)))); c = carrier(m);
//! residual = conv1x1(relu(conv(f + c))) + c[:3]` (the direct path makes the message signal
//! linear from the first step).
//! (A spatially constant message embedding, tried first, collapsed to a colour shift that
//! carries a few bits at most.)
//!
//! Decoder (designed for tract on one core): four 3x3 convolutions, three of them with
//! stride 2, then global average pooling and a linear layer to `B` bit logits. It works at
//! any input size, so it reads crops and downscaled images.

use candle_core::{Module, Result, Tensor, D};
use candle_nn::{Conv2d, Conv2dConfig, Linear, VarBuilder};

/// Sizes of the networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arch {
    /// Bits carried.
    pub bits: usize,
    /// Encoder width (channels).
    pub enc_channels: usize,
    /// Decoder widths of the four convolutions.
    pub dec_channels: [usize; 4],
}

impl Default for Arch {
    fn default() -> Self {
        Arch {
            bits: 48,
            enc_channels: 32,
            dec_channels: [16, 32, 64, 128],
        }
    }
}

/// Period (pixels) of the encoder's message carrier.
pub const PERIOD: usize = 16;

/// Strides of the decoder's convolutions.
pub const DEC_STRIDES: [usize; 4] = [1, 2, 2, 2];

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
    fn new(
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

/// The encoder.
#[derive(Clone, Debug)]
pub struct Encoder {
    /// Image features.
    pub c1: Conv,
    /// Image features.
    pub c2: Conv,
    /// Carrier tiles `[B, C, PERIOD, PERIOD]` (a transposed-convolution kernel).
    pub carrier: Tensor,
    /// Mixing.
    pub c3: Conv,
    /// Residual (1x1 to RGB).
    pub out: Conv,
    /// Channels.
    pub channels: usize,
}

impl Encoder {
    /// Builds (or looks up) the encoder's parameters under `enc.`.
    pub fn new(vb: &VarBuilder, arch: Arch) -> Result<Encoder> {
        let c = arch.enc_channels;
        Ok(Encoder {
            c1: Conv::new(vb, "enc.c1", 3, c, 3, 1)?,
            c2: Conv::new(vb, "enc.c2", c, c, 3, 1)?,
            carrier: vb.get_with_hints(
                (arch.bits, c, PERIOD, PERIOD),
                "enc.carrier",
                candle_nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.1,
                },
            )?,
            c3: Conv::new(vb, "enc.c3", c, c, 3, 1)?,
            out: Conv::new(vb, "enc.out", c, 3, 1, 1)?,
            channels: c,
        })
    }

    /// The residual for `image` (`[N,3,H,W]`, `[0,1]`) and `message` (`[N,B]`, `±1`).
    pub fn residual(&self, image: &Tensor, message: &Tensor) -> Result<Tensor> {
        let h = self.c1.forward(image)?.relu()?;
        let h = self.c2.forward(&h)?.relu()?;
        let carrier = self.carrier(image, message)?;
        let h = (h + &carrier)?;
        let h = self.c3.forward(&h)?.relu()?;
        // Plus a direct path: the carrier's first three channels are added to the pixels.
        self.out.forward(&h)? + carrier.narrow(1, 0, 3)?
    }

    /// The message carrier `[N,C,H,W]` for an image of `image`'s size.
    pub fn carrier(&self, image: &Tensor, message: &Tensor) -> Result<Tensor> {
        let (n, _, h, w) = image.dims4()?;
        let bits = message.dim(1)?;
        let (gh, gw) = (h.div_ceil(PERIOD), w.div_ceil(PERIOD));
        let grid = message
            .reshape((n, bits, 1, 1))?
            .broadcast_as((n, bits, gh, gw))?
            .contiguous()?;
        grid.conv_transpose2d(&self.carrier, 0, 0, PERIOD, 1)?
            .narrow(2, 0, h)?
            .narrow(3, 0, w)
    }

    /// The watermarked image `image + strength * residual` (not clamped).
    pub fn forward(&self, image: &Tensor, message: &Tensor, strength: f64) -> Result<Tensor> {
        image + (self.residual(image, message)? * strength)?
    }
}

/// The decoder.
#[derive(Clone, Debug)]
pub struct Decoder {
    /// Convolutions (ReLU after each).
    pub convs: Vec<Conv>,
    /// Pooled features -> bit logits.
    pub head: Linear,
}

impl Decoder {
    /// Builds (or looks up) the decoder's parameters under `dec.`.
    pub fn new(vb: &VarBuilder, arch: Arch) -> Result<Decoder> {
        let mut convs = Vec::new();
        let mut cin = 3;
        for (i, (&c, &s)) in arch.dec_channels.iter().zip(DEC_STRIDES.iter()).enumerate() {
            convs.push(Conv::new(vb, &format!("dec.c{}", i + 1), cin, c, 3, s)?);
            cin = c;
        }
        Ok(Decoder {
            convs,
            head: candle_nn::linear(cin, arch.bits, vb.pp("dec.head"))?,
        })
    }

    /// Bit logits `[N,B]` of `image` (`[N,3,H,W]`, `[0,1]`, any size).
    pub fn forward(&self, image: &Tensor) -> Result<Tensor> {
        let mut h = image.clone();
        for c in &self.convs {
            h = c.forward(&h)?.relu()?;
        }
        let pooled = h.mean(D::Minus1)?.mean(D::Minus1)?;
        self.head.forward(&pooled)
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
