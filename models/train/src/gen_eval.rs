//! Evaluation of a fine-tuned generator through EdgeMark itself: its images (8-bit), attacked
//! with parameters drawn from continuous ranges (seeded), are read by the scheme exactly as
//! `edgemark detect --scheme S --message ..` reads them (a model card's network with tract, or
//! `edgemark-v3`'s classical reader with its synchronization). Quality is PSNR/SSIM against the original generator's images of the same latents.

use crate::error::{Error, Result};
use crate::generator::Generator;
use candle_core::{Device, Tensor};
use edgemark::{Bits, Detector, Image, Scheme, Watermark};
use edgemark_eval::covers::Cover;
use edgemark_eval::rng::Rng;
use edgemark_eval::{Attack, Chroma};

/// One attack's figures.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    /// What was done (with the drawn ranges).
    pub attack: String,
    /// Images attacked.
    pub images: usize,
    /// Of those, the ones the scheme could not read (e.g. too small after the attack): they
    /// count as not detected and are left out of the bit accuracy.
    pub unreadable: usize,
    /// Mean bit accuracy against the message over the images read: of the bits the scheme
    /// reads (its code word's under error correction, before correcting).
    pub bit_accuracy: f64,
    /// Mean share of the message's bits in the payload the detector reports, over the images
    /// read: after error correction when the scheme has it and the code word decodes, else
    /// the payload positions of the code word as read (a failed decode counts its raw bits).
    pub payload_accuracy: f64,
    /// Share of all images detected at the false-positive rate.
    pub tpr: f64,
}

/// The evaluation of one set of covers.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GenEval {
    /// Generated images.
    pub images: usize,
    /// Their side in pixels.
    pub size: u32,
    /// The false-positive rate detections are decided at.
    pub fpr: f64,
    /// Mean PSNR (dB) of the fine-tuned generator's images against the original's.
    pub psnr: f64,
    /// Mean SSIM of the same.
    pub ssim: f64,
    /// The original generator's images detected (they carry no mark: should be 0).
    pub original_detected: usize,
    /// Mean bit accuracy of the original generator's images (about 0.5 expected).
    pub original_bit_accuracy: f64,
    /// Per attack.
    pub rows: Vec<Row>,
}

/// The attacks, in order: none, JPEG 75 and 50 (4:2:0), then drawn per image: resize by
/// U(0.5, 0.95), crop keeping U(0.3, 0.7) of the area, and resize U(0.6, 0.95) followed by
/// JPEG U(60, 90). [`evaluate`] adds a rotation by U(-10, 10) degrees (black corners).
fn attacks(rng: &mut Rng) -> Vec<(&'static str, Attack)> {
    let jpeg = |q: u8| Attack::Jpeg {
        quality: q,
        chroma: Chroma::Sub420,
    };
    vec![
        ("none", Attack::Identity),
        ("jpeg-75", jpeg(75)),
        ("jpeg-50", jpeg(50)),
        (
            "resize-U(0.5,0.95)",
            Attack::Resize {
                scale: rng.range(0.5, 0.95) as f32,
            },
        ),
        (
            "crop-U(0.3,0.7)",
            Attack::Crop {
                keep_area: rng.range(0.3, 0.7) as f32,
            },
        ),
        (
            "resize-U(0.6,0.95)+jpeg-U(60,90)",
            Attack::Chain(vec![
                Attack::Resize {
                    scale: rng.range(0.6, 0.95) as f32,
                },
                jpeg(rng.range(60.0, 90.999) as u8),
            ]),
        ),
    ]
}

/// `[1,3,h,w]` in `[0,1]` from an image (channel planes, values / 255).
pub fn to_tensor(img: &Image, dev: &Device) -> Result<Tensor> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut data = vec![0f32; 3 * w * h];
    for (i, p) in img.rgb().chunks_exact(3).enumerate() {
        for c in 0..3 {
            data[c * w * h + i] = f32::from(p[c]) / 255.0;
        }
    }
    Ok(Tensor::from_vec(data, (1, 3, h, w), dev)?)
}

/// An 8-bit image from `[1,3,h,w]` (clamped, rounded).
fn to_image(t: &Tensor) -> Result<Image> {
    let (_, _, h, w) = t.dims4()?;
    let v = (t.clamp(0f32, 1f32)? * 255.0)?
        .round()?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let mut rgb = vec![0u8; 3 * w * h];
    for i in 0..w * h {
        for c in 0..3 {
            rgb[3 * i + c] = v[c * w * h + i] as u8;
        }
    }
    Ok(Image::from_rgb(w as u32, h as u32, rgb)?)
}

/// Crops of `size` from each cover: the four corners (or fewer when the cover is small).
fn crops(covers: &[Cover], size: u32, per_cover: usize) -> Vec<Image> {
    let mut out = Vec::new();
    for c in covers {
        let (w, h) = (c.image.width(), c.image.height());
        if w < size || h < size {
            continue;
        }
        let corners = [(0, 0), (w - size, h - size), (w - size, 0), (0, h - size)];
        let mut seen = Vec::new();
        for &(x0, y0) in corners.iter().take(per_cover) {
            if seen.contains(&(x0, y0)) {
                continue;
            }
            seen.push((x0, y0));
            let (s, row) = (size as usize, w as usize * 3);
            let mut rgb = Vec::with_capacity(3 * s * s);
            for y in y0 as usize..y0 as usize + s {
                let start = y * row + x0 as usize * 3;
                rgb.extend_from_slice(&c.image.rgb()[start..start + 3 * s]);
            }
            if let Ok(img) = Image::from_rgb(size, size, rgb) {
                out.push(img);
            }
        }
    }
    out
}

/// Generates an image per crop (`per_cover` crops of `size` from each cover) with both
/// generators and reads the fine-tuned ones after each attack with `scheme` and `message`, at
/// false-positive rate `fpr`. Bit accuracy counts the bits the scheme reads: the message's,
/// or its code word's under error correction.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    original: &dyn Generator,
    tuned: &dyn Generator,
    covers: &[Cover],
    size: u32,
    per_cover: usize,
    scheme: impl Scheme + 'static,
    message: &[bool],
    fpr: f64,
    seed: u64,
) -> Result<GenEval> {
    let dev = Device::Cpu;
    let step = (16 * original.downscale()) as u32;
    let size = (size / step).max(1) * step;
    let payload = Bits::new(message.to_vec());
    let det = Detector::new()
        .with(Watermark::new("finetuned", scheme, Some(payload.clone()))?)
        .with_fpr(fpr)?;
    // (detected, bit accuracy, payload accuracy), or None when the image could not be read.
    let read = |img: &Image| -> Option<(bool, f64, f64)> {
        let report = det.detect(img);
        let f = report.findings.first()?;
        match (f.error.is_none(), f.matched_bits) {
            (true, Some(m)) if f.total_bits > 0 && !message.is_empty() => Some((
                f.detected,
                m as f64 / f.total_bits as f64,
                f.bits.matches(&payload) as f64 / message.len() as f64,
            )),
            _ => None,
        }
    };
    let images = crops(covers, size, per_cover);
    if images.is_empty() {
        return Err(Error::Config(format!("no cover is at least {size}x{size}")));
    }
    let mut rng = Rng::new(seed);
    let mut rotations = Rng::new(seed ^ 0x0707_A7E5);
    let mut rows: Vec<Row> = Vec::new();
    let (mut psnr, mut ssim, mut orig_det, mut orig_acc, mut orig_read) =
        (0.0, 0.0, 0usize, 0.0, 0usize);
    for img in &images {
        let z = original.encode(&to_tensor(img, &dev)?)?;
        let y0 = to_image(&original.decode(&z)?)?;
        let y = to_image(&tuned.decode(&z)?)?;
        psnr += edgemark_eval::metrics::psnr(&y, &y0);
        ssim += edgemark_eval::metrics::ssim(&y, &y0);
        if let Some((d0, a0, _)) = read(&y0) {
            orig_det += usize::from(d0);
            orig_acc += a0;
            orig_read += 1;
        }
        let drawn = attacks(&mut rng).into_iter().map(|a| (a, false));
        let rotation = (
            "rotate-U(-10,10)",
            Attack::Rotate {
                degrees: rotations.range(-10.0, 10.0) as f32,
            },
        );
        for (i, ((name, attack), own)) in drawn.chain([(rotation, true)]).enumerate() {
            // The rotation (added later) has its own stream: the other rows keep their draws.
            let attacked = attack.apply(&y, if own { &mut rotations } else { &mut rng })?;
            if rows.len() <= i {
                rows.push(Row {
                    attack: name.to_string(),
                    images: 0,
                    unreadable: 0,
                    bit_accuracy: 0.0,
                    payload_accuracy: 0.0,
                    tpr: 0.0,
                });
            }
            let r = &mut rows[i];
            r.images += 1;
            match read(&attacked) {
                Some((d, acc, pacc)) => {
                    r.bit_accuracy += acc;
                    r.payload_accuracy += pacc;
                    r.tpr += f64::from(u8::from(d));
                }
                None => r.unreadable += 1,
            }
        }
    }
    let n = images.len() as f64;
    for r in &mut rows {
        r.bit_accuracy /= (r.images - r.unreadable).max(1) as f64;
        r.payload_accuracy /= (r.images - r.unreadable).max(1) as f64;
        r.tpr /= r.images as f64;
    }
    Ok(GenEval {
        images: images.len(),
        size,
        fpr,
        psnr: psnr / n,
        ssim: ssim / n,
        original_detected: orig_det,
        original_bit_accuracy: orig_acc / orig_read.max(1) as f64,
        rows,
    })
}

/// The evaluation as a Markdown table.
pub fn table(e: &GenEval) -> String {
    let mut s = format!(
        "{} images of {}x{}; PSNR {:.2} dB, SSIM {:.4} against the original generator; \
         original generator's images detected: {} (bit accuracy {:.3})\n\n\
         | attack | images | unreadable | bit accuracy | payload accuracy | TPR at FPR {:.0e} |\n\
         |---|---|---|---|---|---|\n",
        e.images,
        e.size,
        e.size,
        e.psnr,
        e.ssim,
        e.original_detected,
        e.original_bit_accuracy,
        e.fpr
    );
    for r in &e.rows {
        s.push_str(&format!(
            "| {} | {} | {} | {:.4} | {:.4} | {:.3} |\n",
            r.attack, r.images, r.unreadable, r.bit_accuracy, r.payload_accuracy, r.tpr
        ));
    }
    s
}
