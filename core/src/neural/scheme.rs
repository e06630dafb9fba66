//! [`Neural`]: a watermarking [`Scheme`] made of an ONNX decoder (and optionally encoder)
//! described by a [`ModelCard`].

use super::card::{Fit, MessageCoding, ModelCard, OutputKind};
use super::model::{model_err, tract_err, OnnxModel};
use super::tensor::{crop_tensor, paste_output, resample, resized_tensor, Window};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::payload::Bits;
use crate::scheme::{Reading, Scheme};
use std::path::Path;
use tract_onnx::prelude::Tensor;

/// A neural watermark: decoder (+ encoder) ONNX models and the card that describes them.
/// Loading checks the card against the models and optimizes the decoder for the card's input
/// size once; the scheme is then cheap to clone and safe to use from many threads.
#[derive(Clone, Debug)]
pub struct Neural {
    card: ModelCard,
    decoder: OnnxModel,
    decoder_output: usize,
    encoder: Option<Encoder>,
}

#[derive(Clone, Debug)]
struct Encoder {
    model: OnnxModel,
    image_input: usize,
    message_input: usize,
    output: usize,
}

impl Neural {
    /// Loads a card file and the ONNX files it names (relative to the card's folder).
    pub fn load(card_path: impl AsRef<Path>) -> Result<Neural> {
        let card_path = card_path.as_ref();
        let card = ModelCard::load(card_path)?;
        let dir = card_path.parent().unwrap_or_else(|| Path::new("."));
        let read = |file: &str| {
            let p = dir.join(file);
            std::fs::read(&p).map_err(|source| Error::Io {
                path: p.display().to_string(),
                source,
            })
        };
        let decoder = read(&card.decoder.file)?;
        let encoder = match &card.encoder {
            Some(e) => Some(read(&e.file)?),
            None => None,
        };
        Neural::from_bytes(card, &decoder, encoder.as_deref())
    }

    /// Builds the scheme from a card and the model bytes (the encoder's when the card has an
    /// `[encoder]` section; it is ignored otherwise).
    pub fn from_bytes(card: ModelCard, decoder: &[u8], encoder: Option<&[u8]>) -> Result<Neural> {
        card.validate()?;
        let decoder = OnnxModel::from_bytes(&format!("{} decoder", card.name), decoder)?;
        Neural::from_models(card, decoder, encoder)
    }

    fn from_models(card: ModelCard, decoder: OnnxModel, encoder: Option<&[u8]>) -> Result<Neural> {
        let rank = card.input.axes()?.len();
        decoder.input_index(&card.decoder.input, rank)?;
        if decoder.inputs().len() != 1 {
            return Err(model_err(format!(
                "{}: a decoder must have one input, this one has {:?}",
                decoder.label(),
                decoder.inputs()
            )));
        }
        let decoder_output = decoder.output_index(&card.decoder.output)?;
        let encoder = match (&card.encoder, encoder) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(model_err(format!(
                    "model card {} names an encoder but no encoder model was given",
                    card.name
                )))
            }
            (Some(spec), Some(bytes)) => {
                let model = OnnxModel::from_bytes(&format!("{} encoder", card.name), bytes)?;
                Some(Encoder {
                    image_input: model.input_index(&spec.image_input, rank)?,
                    message_input: model.input_index(&spec.message_input, 2)?,
                    output: model.output_index(&spec.output)?,
                    model,
                })
            }
        };
        let scheme = Neural {
            card,
            decoder,
            decoder_output,
            encoder,
        };
        scheme.check_decoder()?;
        Ok(scheme)
    }

    /// Optimizes the decoder for the card's input size and checks it yields `bits` values.
    fn check_decoder(&self) -> Result<()> {
        let spec = &self.card.input;
        let shape = spec.shape(1, spec.width as usize, spec.height as usize)?;
        let plan = self.decoder.plan(&[shape])?;
        let fact = plan
            .model()
            .output_fact(self.decoder_output)
            .map_err(|e| tract_err(self.decoder.label(), "no output fact", e))?;
        let count = fact
            .shape
            .as_concrete()
            .map(|s| s.iter().product::<usize>());
        if count != Some(self.card.bits) {
            return Err(model_err(format!(
                "model card {} says {} bits, the decoder's output '{}' has shape {:?}",
                self.card.name, self.card.bits, self.card.decoder.output, fact.shape
            )));
        }
        Ok(())
    }

    /// The card.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// True when the card has an encoder (so [`Scheme::embed`] works).
    pub fn can_embed(&self) -> bool {
        self.encoder.is_some()
    }

    /// The raw decoder outputs (one value per bit) for an image, after the card's fit.
    pub fn decode_raw(&self, image: &Image) -> Result<Vec<f32>> {
        self.decode_raw_at(image, 1.0)
    }

    /// The window of `image` the decoder reads, cut to the card's `multiple_of`.
    fn window(&self, image: &Image) -> Result<Window> {
        let spec = &self.card.input;
        let win = match spec.fit {
            Fit::CenterCrop => Window::centre(image, spec.width, spec.height),
            _ => Window::full(image),
        };
        win.multiple_of(spec.multiple_of)
            .ok_or_else(|| self.too_small(image))
    }

    fn too_small(&self, image: &Image) -> Error {
        Error::TooSmall {
            width: image.width(),
            height: image.height(),
            scheme: self.card.name.clone(),
            needed: format!("{0}x{0} pixels", self.card.input.multiple_of),
        }
    }

    /// The raw decoder outputs with the image read at `scale` (one of the card's
    /// `decoder.scales`, or any other): the central region that becomes the decoder's window
    /// once resized by `scale`. At scale 1 a card with `decoder.windows` > 1 reads the whole
    /// image, or averages the outputs over that many windows spread over a larger one.
    pub fn decode_raw_at(&self, image: &Image, scale: f32) -> Result<Vec<f32>> {
        let spec = &self.card.input;
        if !(scale.is_finite() && scale > 0.0) {
            return Err(Error::Config(format!("decode scale {scale} must be > 0")));
        }
        let input = match spec.fit {
            Fit::Resize => resized_tensor(spec, image)?,
            Fit::CenterCrop if scale == 1.0 && self.card.decoder.windows > 1 => {
                return self.decode_windows(image);
            }
            _ if scale == 1.0 => crop_tensor(spec, image, self.window(image)?)?,
            _ => {
                let (tw, th) = match spec.fit {
                    Fit::CenterCrop => (spec.width, spec.height),
                    _ => (image.width(), image.height()),
                };
                let region = Window::centre(
                    image,
                    ((tw as f32 / scale).round() as u32).max(1),
                    ((th as f32 / scale).round() as u32).max(1),
                );
                // The source itself must hold a whole window unit (no reading of an
                // upscaled handful of pixels).
                region
                    .multiple_of(spec.multiple_of)
                    .ok_or_else(|| self.too_small(image))?;
                let scaled = resample(
                    spec,
                    image,
                    region,
                    ((region.w as f32 * scale).round() as u32).max(1),
                    ((region.h as f32 * scale).round() as u32).max(1),
                )?;
                crop_tensor(spec, &scaled, self.window(&scaled)?)?
            }
        };
        self.run_decoder(input)
    }

    /// The windows read at scale 1 with the card's `decoder.windows` = `n`: the whole image in
    /// one run when its area is at most `n` windows' (what a decoder that averages over space
    /// reads in its own code), else a grid of at most `n` windows spread over it
    /// ([`Window::grid`]).
    fn windows(&self, image: &Image) -> Result<Vec<Window>> {
        let spec = &self.card.input;
        let n = u64::from(self.card.decoder.windows);
        let area = u64::from(image.width()) * u64::from(image.height());
        let grid = if area <= n * u64::from(spec.width) * u64::from(spec.height) {
            vec![Window::full(image)]
        } else {
            Window::grid(image, spec.width, spec.height, self.card.decoder.windows)
        };
        grid.into_iter()
            .map(|w| {
                w.multiple_of(spec.multiple_of)
                    .ok_or_else(|| self.too_small(image))
            })
            .collect()
    }

    /// The raw outputs averaged over [`Neural::windows`].
    fn decode_windows(&self, image: &Image) -> Result<Vec<f32>> {
        let windows = self.windows(image)?;
        let mut sum = vec![0f32; self.card.bits];
        for &w in &windows {
            let raw = self.run_decoder(crop_tensor(&self.card.input, image, w)?)?;
            sum.iter_mut().zip(&raw).for_each(|(s, v)| *s += v);
        }
        let n = windows.len().max(1) as f32;
        Ok(sum.into_iter().map(|s| s / n).collect())
    }

    /// One decoder run: its `bits` raw output values.
    fn run_decoder(&self, input: Tensor) -> Result<Vec<f32>> {
        let out = self.decoder.run(vec![input])?;
        let t = out
            .get(self.decoder_output)
            .ok_or_else(|| model_err(format!("{}: missing output", self.decoder.label())))?;
        let values: Vec<f32> = t
            .to_plain_array_view::<f32>()
            .map_err(|e| tract_err(self.decoder.label(), "output is not float32", e))?
            .iter()
            .copied()
            .collect();
        if values.len() != self.card.bits {
            return Err(model_err(format!(
                "model card {} says {} bits, the decoder returned {} values",
                self.card.name,
                self.card.bits,
                values.len()
            )));
        }
        Ok(values)
    }

    /// Soft bit (probability of a 1) of one raw output value.
    fn soft(&self, v: f32) -> f32 {
        let t = self.card.decoder.threshold;
        let p = match self.card.decoder.kind {
            OutputKind::Logits => 1.0 / (1.0 + (-(v - t)).exp()),
            OutputKind::Probabilities => {
                let v = v.clamp(0.0, 1.0);
                if v > t {
                    0.5 + 0.5 * (v - t) / (1.0 - t).max(f32::EPSILON)
                } else {
                    0.5 * v / t.max(f32::EPSILON)
                }
            }
        };
        if p.is_nan() {
            0.5
        } else {
            p.clamp(0.0, 1.0)
        }
    }
}

impl Scheme for Neural {
    fn name(&self) -> &str {
        &self.card.name
    }

    fn bit_len(&self) -> usize {
        self.card.bits
    }

    fn decode(&self, image: &Image) -> Result<Vec<Reading>> {
        let variant = match self.card.input.fit {
            Fit::CenterCrop if self.card.decoder.windows > 1 => "windows",
            Fit::CenterCrop => "centre",
            Fit::Native => "native",
            Fit::Resize => "resized",
        };
        let mut readings = Vec::with_capacity(self.card.decoder.scales.len());
        let mut first_err = None;
        for &scale in &self.card.decoder.scales {
            match self.decode_raw_at(image, scale) {
                // A bit is 1 when its output is above the card's threshold, i.e. its soft
                // bit above one half (the default `hard_bit`).
                Ok(raw) => readings.push(Reading::from_soft(
                    self,
                    if scale == 1.0 {
                        variant.into()
                    } else {
                        // Other scales read the central window only.
                        let base = if variant == "windows" {
                            "centre"
                        } else {
                            variant
                        };
                        format!("{base} x{scale:.3}")
                    },
                    raw.iter().map(|&v| self.soft(v)).collect(),
                )),
                // A scale at which the image is too small to read is skipped.
                Err(e @ Error::TooSmall { .. }) => {
                    first_err.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        match (readings.is_empty(), first_err) {
            (true, Some(e)) => Err(e),
            _ => Ok(readings),
        }
    }

    fn embed(&self, image: &Image, message: &Bits) -> Result<Image> {
        let (Some(enc), Some(spec)) = (&self.encoder, &self.card.encoder) else {
            return Err(Error::Config(format!(
                "{} has no encoder model: it can only decode",
                self.card.name
            )));
        };
        if message.len() != self.card.bits {
            return Err(Error::InvalidMessage(format!(
                "message has {} bits, {} carries {}",
                message.len(),
                self.card.name,
                self.card.bits
            )));
        }
        let win = match spec.fit {
            Fit::CenterCrop => Window::centre(image, self.card.input.width, self.card.input.height),
            _ => Window::full(image),
        };
        let frame = crop_tensor(&self.card.input, image, win)?;
        let coded: Vec<f32> = message
            .as_slice()
            .iter()
            .map(|&b| match (spec.message, b) {
                (_, true) => 1.0,
                (MessageCoding::Binary, false) => 0.0,
                (MessageCoding::Signed, false) => -1.0,
            })
            .collect();
        let data = Tensor::from_shape(&[1, coded.len()], &coded)
            .map_err(|e| tract_err(enc.model.label(), "message tensor", e))?;
        let mut inputs: Vec<Option<Tensor>> = vec![None; enc.model.inputs().len()];
        if inputs.len() != 2 {
            return Err(model_err(format!(
                "{}: an encoder must have two inputs (image, message), this one has {:?}",
                enc.model.label(),
                enc.model.inputs()
            )));
        }
        inputs[enc.image_input] = Some(frame);
        inputs[enc.message_input] = Some(data);
        let inputs: Vec<Tensor> = inputs.into_iter().flatten().collect();
        let out = enc.model.run(inputs)?;
        let t = out
            .get(enc.output)
            .ok_or_else(|| model_err(format!("{}: missing output", enc.model.label())))?;
        paste_output(&self.card.input, spec.quantize, image, win, t)
    }
}
