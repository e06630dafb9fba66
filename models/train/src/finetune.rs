//! Fine-tuning a generator's image decoder with a watermark loss (Stable Signature, Fernandez
//! et al., ICCV 2023): the watermark extractor is frozen, the generator's decoder is trained
//! so that every image it makes carries a fixed message the extractor reads, while staying
//! close to what the original decoder makes.
//!
//! The extractor ([`Extractor`]) is EdgeMark's own `edgemark-hidden-48` decoder, loaded from
//! its committed ONNX file ([`load_extractor`]), so the fine-tuned generator's images are
//! found by `edgemark detect --scheme edgemark-hidden-48 --message ..` as they are; or
//! `edgemark-v3`'s classical reader after synchronization ([`crate::v3reader`]), so they are
//! found by `edgemark detect --scheme edgemark-v3`, which also undoes any rescale, rotation
//! or crop. One step:
//! 1. photo crops `x` are encoded by the (frozen) generator encoder: `z = E(x)`;
//! 2. the original decoder gives `y0 = D0(z)`, the fine-tuned one `y = D(z)`;
//! 3. `y`, rounded to 8 bits (straight-through), goes through a random differentiable
//!    distortion ([`crate::distort`]: JPEG, crop, rescale, blur, noise, tone, screenshot) and
//!    the extractor: bit loss = binary cross-entropy with the message;
//! 4. quality loss = the texture-weighted squared difference of `y` and `y0`
//!    ([`crate::train::texture_weighted`]), normalised to the target PSNR;
//! 5. loss = bit loss + `lambda` x quality loss; only the decoder's parameters move.
//!
//! Both extractors read a mark tiled with a fixed period (16 or 128 pixels), which a
//! convolutional decoder cannot place by itself (it has no absolute position), so the fine-tuned decoder gains one
//! parameter: a zero-initialised carrier tile added to its last full-resolution features
//! ([`crate::generator::WATERMARK_TILE`]), shaped by the layers after it with the content.

use crate::data::Dataset;
use crate::distort::{self, Kind};
use crate::error::{Error, Result};
use crate::generator::{is_decoder_param, Generator, TinyVae, WATERMARK_TILE};
use crate::model::{Arch, Decoder};
use crate::rng::Rng;
use crate::sdvae::{SdVae, VaeConfig};
use crate::train::{bce_with_logits, bit_accuracy, texture_weighted};
use crate::v3reader::V3Reader;
use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Which generator to fine-tune.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Source {
    /// A [`TinyVae`] checkpoint written by `edgemark-train train-generator`.
    Tiny(PathBuf),
    /// A diffusers `AutoencoderKL` safetensors file and its sizes.
    Sd(PathBuf, VaeConfig),
}

impl Source {
    /// The file the generator is read from.
    pub fn path(&self) -> &Path {
        match self {
            Source::Tiny(p) | Source::Sd(p, _) => p,
        }
    }

    /// The same kind of generator (and sizes) read from another file, e.g. a fine-tuned copy
    /// written by [`FineTuner::save`].
    pub fn with_path(&self, path: PathBuf) -> Source {
        match self {
            Source::Tiny(_) => Source::Tiny(path),
            Source::Sd(_, cfg) => Source::Sd(path, cfg.clone()),
        }
    }

    /// The generator, read-only.
    pub fn load(&self, dev: &Device) -> Result<Box<dyn Generator>> {
        Ok(match self {
            Source::Tiny(p) => Box::new(TinyVae::load(p, dev)?),
            Source::Sd(p, cfg) => Box::new(SdVae::load(p, cfg, dev)?),
        })
    }

    /// The generator's parameters as variables, with a carrier tile of period `period`
    /// (every other parameter must be in the file).
    fn load_vars(&self, period: usize, dev: &Device) -> Result<(VarMap, Box<dyn Generator>)> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, dev);
        let g: Box<dyn Generator> = match self {
            Source::Tiny(_) => Box::new(TinyVae::new(&vb, Some(period))?),
            Source::Sd(_, cfg) => Box::new(SdVae::new(vb, cfg, Some(period))?),
        };
        crate::generator::load_into(&varmap, self.path(), dev)
            .map_err(|e| crate::sdvae::layout_error(self.path(), e))?;
        Ok((varmap, g))
    }
}

/// Loads the frozen watermark extractor from an ONNX file exported by `edgemark-train export`
/// (`decoder.onnx`, float32: its initializers carry the candle parameter names).
pub fn load_extractor(onnx: &Path, dev: &Device) -> Result<(Decoder, Arch)> {
    use prost::Message;
    let bytes = std::fs::read(onnx).map_err(|e| Error::io(onnx, e))?;
    let model = tract_onnx::pb::ModelProto::decode(bytes.as_slice())
        .map_err(|e| Error::Config(format!("{}: not an ONNX file: {e}", onnx.display())))?;
    let graph = model
        .graph
        .ok_or_else(|| Error::Config(format!("{}: ONNX file without a graph", onnx.display())))?;
    let mut tensors = HashMap::new();
    for t in graph.initializer {
        // Only float32 initializers: a quantized file's int8/int32 tensors are not weights
        // this decoder can use (its float ones are then missing: a clear error below).
        if !t.name.starts_with("dec.")
            || t.data_type != tract_onnx::pb::tensor_proto::DataType::Float as i32
        {
            continue;
        }
        let data: Vec<f32> = if !t.raw_data.is_empty() {
            t.raw_data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        } else {
            t.float_data.clone()
        };
        let dims: Vec<usize> = t.dims.iter().map(|&d| d.max(0) as usize).collect();
        let tensor = Tensor::from_vec(data, dims, dev).map_err(|e| {
            Error::Config(format!("{}: initializer {}: {e}", onnx.display(), t.name))
        })?;
        tensors.insert(t.name, tensor);
    }
    let shape = |name: &str| -> Result<Vec<usize>> {
        tensors.get(name).map(|t| t.dims().to_vec()).ok_or_else(|| {
            Error::Config(format!(
                "{}: no '{name}': not a float32 decoder exported by edgemark-train \
                 (the int8 file cannot be fine-tuned against; use decoder.onnx)",
                onnx.display()
            ))
        })
    };
    let templates = shape("dec.templates")?;
    let hidden = shape("dec.c1.weight")?;
    if templates.len() != 4 || hidden.len() != 4 {
        return Err(Error::Config(format!(
            "{}: unexpected decoder shapes",
            onnx.display()
        )));
    }
    let arch = Arch {
        bits: templates[0],
        dec_channels: templates[1],
        period: templates[2],
        dec_hidden: hidden[0],
        ..Arch::default()
    };
    let vb = VarBuilder::from_tensors(tensors, DType::F32, dev);
    let d =
        Decoder::new(&vb, arch).map_err(|e| Error::Config(format!("{}: {e}", onnx.display())))?;
    Ok((d, arch))
}

/// Parses a message as `edgemark detect --message` takes it (`0x` hex, bare hex, `bits:0101..`,
/// `text:..`), which must have exactly `bits` bits (12 hex digits for 48), so that the same
/// string finds the mark later.
pub fn parse_message(text: &str, bits: usize) -> Result<Vec<bool>> {
    let parsed =
        edgemark::Bits::parse(text).map_err(|e| Error::Config(format!("message '{text}': {e}")))?;
    if parsed.len() != bits {
        return Err(Error::Config(format!(
            "message '{text}' has {} bits; the extractor reads {bits} (give {} hex digits)",
            parsed.len(),
            bits.div_ceil(4)
        )));
    }
    Ok(parsed.as_slice().to_vec())
}

/// The frozen reader a generator is fine-tuned against, with the values it should read.
pub enum Extractor {
    /// `edgemark-hidden-48`'s decoder network and the message's bits.
    Hidden {
        /// The decoder.
        decoder: Box<Decoder>,
        /// Its tile period.
        period: usize,
        /// `[1, bits]`: the message.
        targets: Tensor,
    },
    /// `edgemark-v3`'s reader after synchronization, for one payload's carrier.
    V3 {
        /// The stand-in reader.
        reader: V3Reader,
        /// `[1, K]`: ones (every component in its carrier's phase).
        targets: Tensor,
    },
}

impl Extractor {
    /// `edgemark-hidden-48`'s float32 decoder (`decoder.onnx`), reading `message` (as many
    /// bits as the decoder reads).
    pub fn hidden(onnx: &Path, message: &[bool], dev: &Device) -> Result<Extractor> {
        let (decoder, arch) = load_extractor(onnx, dev)?;
        if message.len() != arch.bits {
            return Err(Error::Config(format!(
                "the message has {} bits; the extractor reads {}",
                message.len(),
                arch.bits
            )));
        }
        let t: Vec<f32> = message.iter().map(|&b| f32::from(u8::from(b))).collect();
        Ok(Extractor::Hidden {
            decoder: Box::new(decoder),
            period: arch.period,
            targets: Tensor::from_vec(t, (1, message.len()), dev)?,
        })
    }

    /// `edgemark-v3`'s reader for `payload` (32 bits).
    pub fn v3(payload: &[bool], dev: &Device) -> Result<Extractor> {
        let scheme = edgemark::EdgemarkV3::new()?;
        let carrier = scheme.carrier(&edgemark::Bits::new(payload.to_vec()))?;
        let reader = V3Reader::new(&carrier, edgemark::EdgemarkV3::TILE, dev)?;
        let targets = Tensor::ones((1, reader.len()), DType::F32, dev)?;
        Ok(Extractor::V3 { reader, targets })
    }

    /// The carrier tile's period the generator needs.
    pub fn period(&self) -> usize {
        match self {
            Extractor::Hidden { period, .. } => *period,
            Extractor::V3 { reader, .. } => reader.tile(),
        }
    }

    /// Logits of images `x` whose top-left pixel was at `offset` of the generator's output.
    pub fn forward(&self, x: &Tensor, offset: (usize, usize)) -> Result<Tensor> {
        match self {
            // The network searches the tile phase itself.
            Extractor::Hidden { decoder, .. } => Ok(decoder.forward(x)?),
            Extractor::V3 { reader, .. } => reader.forward(x, offset),
        }
    }

    /// `[1, n]`: what [`Extractor::forward`] should read.
    pub fn targets(&self) -> &Tensor {
        match self {
            Extractor::Hidden { targets, .. } | Extractor::V3 { targets, .. } => targets,
        }
    }
}

/// Settings of a fine-tuning run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Optimizer steps.
    pub steps: usize,
    /// Crops per step.
    pub batch: usize,
    /// Learning rate (AdamW; a tenth for the last quarter).
    pub lr: f64,
    /// The carrier tile's learning rate as a multiple of `lr` (measured: 10 and 30 gave lower
    /// PSNR and lower JPEG 75 accuracy than 1; docs/finetune.md).
    pub tile_lr: f64,
    /// Weight of the quality loss.
    pub lambda: f64,
    /// The PSNR (dB) the quality loss is normalised to.
    pub psnr: f64,
    /// Steps without distortions first.
    pub warmup: usize,
    /// Distortions drawn after the warm-up (empty: all of [`distort::KINDS`]).
    pub kinds: Vec<Kind>,
    /// Seed of crops and distortions.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            steps: 500,
            batch: 8,
            lr: 1e-3,
            tile_lr: 1.0,
            lambda: 0.5,
            psnr: 33.0,
            warmup: 30,
            kinds: Vec::new(),
            seed: 11,
        }
    }
}

/// One step's figures.
#[derive(Clone, Copy, Debug)]
pub struct StepStats {
    /// Bit loss.
    pub bce: f32,
    /// Bit accuracy after the distortion.
    pub bit_acc: f32,
    /// PSNR (dB) of the fine-tuned output (8-bit) against the original's.
    pub psnr: f32,
    /// The distortion drawn.
    pub kind: Kind,
}

/// A fine-tuning run.
pub struct FineTuner {
    original: Box<dyn Generator>,
    tuned: Box<dyn Generator>,
    varmap: VarMap,
    extractor: Extractor,
    opt: AdamW,
    /// The carrier tile's optimizer (its own learning rate).
    tile_opt: AdamW,
    cfg: Config,
    rng: Rng,
    dev: Device,
    /// Steps done.
    pub step: usize,
}

impl FineTuner {
    /// Loads the generator twice (frozen original, trainable copy), to be fine-tuned against
    /// `extractor` (built on the CPU device).
    pub fn new(source: &Source, extractor: Extractor, cfg: Config) -> Result<Self> {
        let dev = Device::Cpu;
        let original = source.load(&dev)?;
        let (varmap, tuned) = source.load_vars(extractor.period(), &dev)?;
        let (tile, trainable) = {
            let data = varmap
                .data()
                .lock()
                .map_err(|_| Error::Config("parameter map poisoned".into()))?;
            let tile = data.get(WATERMARK_TILE).cloned().ok_or_else(|| {
                Error::Config(format!(
                    "{}: the decoder has no carrier tile '{WATERMARK_TILE}'",
                    source.path().display()
                ))
            })?;
            let mut named: Vec<_> = data
                .iter()
                .filter(|(n, _)| is_decoder_param(n) && n.as_str() != WATERMARK_TILE)
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect();
            named.sort_by(|a, b| a.0.cmp(&b.0));
            (tile, named.into_iter().map(|(_, v)| v).collect::<Vec<_>>())
        };
        if trainable.is_empty() {
            return Err(Error::Config(format!(
                "{}: no decoder parameters to fine-tune",
                source.path().display()
            )));
        }
        let adamw = |vars, lr| {
            AdamW::new(
                vars,
                ParamsAdamW {
                    lr,
                    weight_decay: 0.0,
                    ..Default::default()
                },
            )
        };
        let opt = adamw(trainable, cfg.lr)?;
        let tile_opt = adamw(vec![tile], cfg.lr * cfg.tile_lr)?;
        Ok(FineTuner {
            original,
            tuned,
            varmap,
            extractor,
            opt,
            tile_opt,
            rng: Rng::new(cfg.seed),
            cfg,
            dev,
            step: 0,
        })
    }

    /// The fine-tuned generator.
    pub fn tuned(&self) -> &dyn Generator {
        self.tuned.as_ref()
    }

    /// The original generator.
    pub fn original(&self) -> &dyn Generator {
        self.original.as_ref()
    }

    /// One optimizer step on a batch of crops of `data`.
    pub fn step(&mut self, data: &Dataset) -> Result<StepStats> {
        if self.step == self.cfg.steps * 3 / 4 {
            self.opt.set_learning_rate(self.cfg.lr * 0.1);
            self.tile_opt
                .set_learning_rate(self.cfg.lr * self.cfg.tile_lr * 0.1);
        }
        let n = self.cfg.batch;
        let x = data.batch(n, &mut self.rng, &self.dev)?;
        let z = self.original.encode(&x)?.detach();
        let y0 = self.original.decode(&z)?.clamp(0f32, 1f32)?.detach();
        let y = self.tuned.decode(&z)?;
        let y8 = distort::quantize8(&y)?;
        let kind = if self.step < self.cfg.warmup {
            Kind::Identity
        } else {
            distort::draw(&mut self.rng, &self.cfg.kinds)
        };
        let (attacked, offset) = distort::apply_offset(&y8, kind, &mut self.rng)?;
        let logits = self.extractor.forward(&attacked, offset)?;
        let t = self
            .extractor
            .targets()
            .broadcast_as(logits.shape())?
            .contiguous()?;
        let bce = bce_with_logits(&logits, &t)?;
        let target_rms = 10f64.powf(-self.cfg.psnr / 20.0);
        let change = (y.clamp(0f32, 1f32)? - &y0)?;
        let quality = texture_weighted(&change, &y0, target_rms)?;
        let loss = (&bce + (quality * self.cfg.lambda)?)?;
        let grads = loss.backward()?;
        self.opt.step(&grads)?;
        self.tile_opt.step(&grads)?;
        let mse = (&y8 - &y0)?.sqr()?.mean_all()?.to_scalar::<f32>()?;
        self.step += 1;
        Ok(StepStats {
            bce: bce.to_scalar::<f32>()?,
            bit_acc: bit_accuracy(&logits, &t)?,
            psnr: 10.0 * (1.0 / mse.max(1e-12)).log10(),
            kind,
        })
    }

    /// Runs the remaining steps; `log` gets a line every `every` steps.
    pub fn run(&mut self, data: &Dataset, every: usize, mut log: impl FnMut(&str)) -> Result<()> {
        let every = every.max(1);
        let mut recent: Vec<StepStats> = Vec::new();
        let start = std::time::Instant::now();
        let first = self.step;
        while self.step < self.cfg.steps {
            recent.push(self.step(data)?);
            if self.step.is_multiple_of(every) || self.step == self.cfg.steps {
                let k = recent.len() as f32;
                let avg = |f: fn(&StepStats) -> f32| recent.iter().map(f).sum::<f32>() / k;
                log(&format!(
                    "finetune step {:5}  bce {:.4}  bit_acc {:.4}  psnr {:.2} dB  {:.2} s/step",
                    self.step,
                    avg(|s| s.bce),
                    avg(|s| s.bit_acc),
                    avg(|s| s.psnr),
                    start.elapsed().as_secs_f32() / (self.step - first) as f32
                ));
                recent.clear();
            }
        }
        Ok(())
    }

    /// Writes the whole fine-tuned generator (encoder unchanged, float32) in the layout it was
    /// read in, plus the carrier tile [`crate::generator::WATERMARK_TILE`]: `TinyVae::load`
    /// and `SdVae::load` read it; a loader that drops unknown tensors (diffusers) would lose
    /// the mark.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        Ok(self.varmap.save(path)?)
    }
}
