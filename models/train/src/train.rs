//! The training loop: encoder -> 8-bit rounding -> (mask) -> distortion -> decoder, loss
//! `BCE(bits) + lambda * texture-weighted MSE(image)`, AdamW, checkpoints with resume.
//!
//! The residual's RMS is fixed by the encoder (the PSNR before rounding is `psnr`), so the
//! image loss does not fight the message loss over *how much* signal there is, only over
//! *where* it goes: it charges a residual more in flat regions (where it shows) than in
//! texture. `lambda` is the robustness/quality knob.
//!
//! Schedule: the first `warmup` steps are undistorted and decode at tile phase 0 (the
//! templates and carriers find each other); after that every batch gets a random
//! distortion (and sometimes a mask) and is decoded with the phase search, as in use.

use crate::data::{messages, Dataset};
use crate::distort::{self, Kind};
use crate::error::{Error, Result};
use crate::model::{Arch, Model};
use crate::rng::Rng;
use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use std::path::{Path, PathBuf};

/// Training options.
#[derive(Clone, Debug)]
pub struct Config {
    /// Sizes of the networks.
    pub arch: Arch,
    /// Steps to reach (a resumed run continues from its checkpoint's step).
    pub steps: usize,
    /// Batch size.
    pub batch: usize,
    /// Learning rate.
    pub lr: f64,
    /// Weight of the texture-weighted image loss.
    pub lambda: f64,
    /// PSNR (dB) the encoder's residual is scaled to (before 8-bit rounding).
    pub psnr: f64,
    /// Steps without distortions at tile phase 0 at the start.
    pub warmup: usize,
    /// Distortions drawn after the warm-up (empty: all of [`distort::KINDS`]).
    pub kinds: Vec<Kind>,
    /// Probability of masking parts of the watermarked image before decoding.
    pub mask_prob: f32,
    /// Seed.
    pub seed: u64,
    /// Checkpoint folder (`None`: no checkpoints).
    pub out: Option<PathBuf>,
    /// Steps between checkpoints and log lines.
    pub every: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            arch: Arch::default(),
            steps: 2600,
            batch: 16,
            lr: 3e-3,
            lambda: 0.1,
            psnr: 40.0,
            warmup: 150,
            kinds: Vec::new(),
            mask_prob: 0.2,
            seed: 1,
            out: None,
            every: 50,
        }
    }
}

/// Numbers of one step.
#[derive(Clone, Copy, Debug)]
pub struct StepStats {
    /// Step index.
    pub step: usize,
    /// Message loss.
    pub bce: f32,
    /// Image loss (texture-weighted, relative to the residual's energy).
    pub quality: f32,
    /// Bit accuracy of the batch after its distortion.
    pub bit_acc: f32,
    /// PSNR of the batch after 8-bit rounding (dB).
    pub psnr: f32,
    /// Distortion applied.
    pub kind: Kind,
}

/// A model being trained: parameters, optimizer and state.
pub struct Trainer {
    /// The parameters.
    pub varmap: VarMap,
    /// The networks.
    pub model: Model,
    opt: AdamW,
    /// Options.
    pub cfg: Config,
    /// Steps done.
    pub step: usize,
    rng: Rng,
    dev: Device,
}

/// Numerically stable mean binary cross-entropy with logits.
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    let softplus = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
    ((logits.relu()? - (logits * targets)?)? + softplus)?.mean_all()
}

/// Fraction of logits on the right side of 0.
pub fn bit_accuracy(logits: &Tensor, targets: &Tensor) -> candle_core::Result<f32> {
    let pred = logits.gt(0f64)?.to_dtype(DType::F32)?;
    (pred.eq(targets)?.to_dtype(DType::F32)?)
        .mean_all()?
        .to_scalar::<f32>()
}

/// The image loss: the change's energy weighted by `1 / (local standard deviation of the
/// cover's luma + 0.05)` (normalized to mean 1), relative to the energy of a residual at
/// `target_rms` (1 for a residual of the target size spread like the weight's mean).
pub fn texture_weighted(
    change: &Tensor,
    cover: &Tensor,
    target_rms: f64,
) -> candle_core::Result<Tensor> {
    let luma = ((cover.narrow(1, 0, 1)? * 0.299)?
        + (cover.narrow(1, 1, 1)? * 0.587)?
        + (cover.narrow(1, 2, 1)? * 0.114)?)?;
    let mean = distort::blur(&luma, 2.0)?;
    let var = (distort::blur(&luma.sqr()?, 2.0)? - mean.sqr()?)?.relu()?;
    let weight = ((var + 1e-6)?.sqrt()? + 0.05)?.recip()?.detach();
    let weight = weight.broadcast_div(&weight.mean_all()?)?;
    change.sqr()?.broadcast_mul(&weight)?.mean_all()? / (target_rms * target_rms)
}

/// Scale of the search scores in the shift cross-entropy.
const SEARCH_SHARPNESS: f64 = 10.0;
/// Weight of the shift cross-entropy in the message loss.
const SEARCH_WEIGHT: f64 = 0.05;

const CKPT: &str = "ckpt.safetensors";
const STATE: &str = "state.txt";

impl Trainer {
    /// A fresh model, or the checkpoint in `cfg.out` when there is one (resume).
    pub fn new(cfg: Config) -> Result<Trainer> {
        let dev = Device::Cpu;
        let mut varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
        let model = Model::new(&vb, cfg.arch)?;
        let mut step = 0usize;
        if let Some(dir) = &cfg.out {
            let ck = dir.join(CKPT);
            if ck.is_file() {
                varmap.load(&ck)?;
                let st = dir.join(STATE);
                let text = std::fs::read_to_string(&st).map_err(|e| Error::io(&st, e))?;
                for line in text.lines() {
                    if let Some(("step", v)) = line.split_once('=') {
                        step = v.trim().parse().unwrap_or(0);
                    }
                }
            }
        }
        let opt = AdamW::new(
            varmap.all_vars(),
            ParamsAdamW {
                lr: cfg.lr,
                weight_decay: 1e-5,
                ..Default::default()
            },
        )?;
        let rng = Rng::new(cfg.seed.wrapping_add(step as u64 * 7919));
        Ok(Trainer {
            varmap,
            model,
            opt,
            cfg,
            step,
            rng,
            dev,
        })
    }

    /// Loads parameters from a checkpoint file (for export and evaluation).
    pub fn load_weights(&mut self, path: &Path) -> Result<()> {
        Ok(self.varmap.load(path)?)
    }

    /// The learning rate of the current step: `lr` for the first 60% of the steps, then
    /// `0.3 lr`, and `0.1 lr` for the last 15%.
    pub fn learning_rate(&self) -> f64 {
        let f = self.step as f64 / self.cfg.steps.max(1) as f64;
        self.cfg.lr
            * if f < 0.6 {
                1.0
            } else if f < 0.85 {
                0.3
            } else {
                0.1
            }
    }

    /// The residual RMS (on the `[0,1]` scale) of the configured PSNR.
    pub fn target_rms(&self) -> f64 {
        10f64.powf(-self.cfg.psnr / 20.0)
    }

    /// One optimization step on a batch from `data`.
    pub fn step(&mut self, data: &Dataset) -> Result<StepStats> {
        self.opt.set_learning_rate(self.learning_rate());
        let n = self.cfg.batch;
        let x = data.batch(n, &mut self.rng, &self.dev)?;
        let (m, t) = messages(n, self.cfg.arch.bits, &mut self.rng, &self.dev)?;
        let residual = self.model.encoder.residual(&x, &m, self.target_rms())?;
        let y = (&x + &residual)?;
        let y8 = distort::quantize8(&y)?;
        let warm = self.step < self.cfg.warmup;
        let kind = if warm {
            Kind::Identity
        } else {
            distort::draw(&mut self.rng, &self.cfg.kinds)
        };
        let masked = if !warm && self.rng.uniform() < self.cfg.mask_prob {
            distort::mask(&y8, &x, &mut self.rng)?
        } else {
            y8.clone()
        };
        let (z, (y0, x0)) = distort::apply_offset(&masked, kind, &mut self.rng)?;
        let (logits, search) = if warm {
            (self.model.decoder.forward_aligned(&z)?, None)
        } else {
            // Teacher forcing: the bits are read at the true tile phase (the gradient is
            // meaningful even when the search would miss), and a cross-entropy over the
            // shifts teaches the search to find that phase.
            let d = &self.model.decoder;
            let shift = d.true_shift(y0, x0);
            let (logits, score) = d.forward_at(&z, shift)?;
            let logp = candle_nn::ops::log_softmax(&(score * SEARCH_SHARPNESS)?, 1)?;
            let nll = logp.narrow(1, shift, 1)?.neg()?.mean_all()?;
            (logits, Some(nll))
        };
        let bce = bce_with_logits(&logits, &t)?;
        let bce = match &search {
            Some(nll) => (&bce + (nll * SEARCH_WEIGHT)?)?,
            None => bce,
        };
        // The change the cover really gets (after clipping), weighed by where it is.
        let change = (y.clamp(0f32, 1f32)? - &x)?;
        let quality = texture_weighted(&change, &x, self.target_rms())?;
        let loss = (&bce + (&quality * self.cfg.lambda)?)?;
        self.opt.backward_step(&loss)?;
        let mse = (&y8 - &x)?.sqr()?.mean_all()?.to_scalar::<f32>()?;
        let stats = StepStats {
            step: self.step,
            bce: bce.to_scalar::<f32>()?,
            quality: quality.to_scalar::<f32>()?,
            bit_acc: bit_accuracy(&logits, &t)?,
            psnr: 10.0 * (1.0 / mse.max(1e-12)).log10(),
            kind,
        };
        self.step += 1;
        Ok(stats)
    }

    /// Saves the checkpoint and state into `cfg.out` (no-op without one).
    pub fn save(&self) -> Result<()> {
        let Some(dir) = &self.cfg.out else {
            return Ok(());
        };
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let tmp = dir.join("ckpt.tmp.safetensors");
        self.varmap.save(&tmp)?;
        let ck = dir.join(CKPT);
        std::fs::rename(&tmp, &ck).map_err(|e| Error::io(&ck, e))?;
        let st = dir.join(STATE);
        std::fs::write(&st, format!("step={}\n", self.step)).map_err(|e| Error::io(&st, e))
    }

    /// Trains until `cfg.steps`, logging a moving average every `cfg.every` steps (and
    /// checkpointing then). Returns the stats of every step run.
    pub fn run(&mut self, data: &Dataset, mut log: impl FnMut(&str)) -> Result<Vec<StepStats>> {
        let mut all = Vec::new();
        let start = std::time::Instant::now();
        while self.step < self.cfg.steps {
            let s = self.step(data)?;
            all.push(s);
            if self.step.is_multiple_of(self.cfg.every) || self.step == self.cfg.steps {
                let k = all.len().min(self.cfg.every);
                let recent = &all[all.len() - k..];
                let avg = |f: fn(&StepStats) -> f32| recent.iter().map(f).sum::<f32>() / k as f32;
                log(&format!(
                    "step {:6}  bce {:.4}  bit_acc {:.4}  psnr {:.2} dB  quality {:.3}  {:.2} s/step",
                    self.step,
                    avg(|s| s.bce),
                    avg(|s| s.bit_acc),
                    avg(|s| s.psnr),
                    avg(|s| s.quality),
                    start.elapsed().as_secs_f32() / all.len() as f32
                ));
                self.save()?;
            }
        }
        Ok(all)
    }
}
