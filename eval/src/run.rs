//! The evaluation loop: for every cover, embed, then for every attack attack both the
//! watermarked image and the clean cover (same seed, so the same crop), and detect.
//!
//! The clean images under every attack, pooled, are the null sample from which the
//! empirical threshold at the target false-positive rate is set (score: matching bits of
//! the expected message, best reading).

use crate::attacks::{standard_suite, Attack};
use crate::covers::Cover;
use crate::error::{Error, Result};
use crate::metrics;
use crate::rng::Rng;
use edgemark::{Detector, Finding, Image, Watermark, DEFAULT_FPR};
use rayon::prelude::*;

/// How to run an evaluation.
#[derive(Clone, Debug)]
pub struct EvalConfig {
    /// Seed of all randomness (crop positions, noise).
    pub seed: u64,
    /// Attacks, in table order.
    pub attacks: Vec<Attack>,
    /// Theoretical (binomial) false-positive rate of the detector.
    pub theoretical_fpr: f64,
    /// Target empirical false-positive rate, measured on the clean images.
    pub empirical_fpr: f64,
    /// Worker threads (`None`: all cores).
    pub jobs: Option<usize>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            seed: 0x5EED,
            attacks: standard_suite(),
            theoretical_fpr: DEFAULT_FPR,
            empirical_fpr: 1e-3,
            jobs: None,
        }
    }
}

/// The detector's verdict on one image.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    /// Bits agreeing with the expected message (`None` when it could not be read).
    pub matched: Option<usize>,
    /// Fired at the theoretical false-positive rate.
    pub detected: bool,
    /// Corrected p-value.
    pub p_value: Option<f64>,
    /// Why it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Outcome {
    pub(crate) fn from_finding(f: Option<&Finding>) -> Outcome {
        match f {
            Some(f) => Outcome {
                matched: f.matched_bits,
                detected: f.detected,
                p_value: f.p_value,
                error: f.error.clone(),
            },
            None => Outcome {
                matched: None,
                detected: false,
                p_value: None,
                error: Some("no finding".into()),
            },
        }
    }
}

/// One cover under one attack.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Case {
    /// The attack's name.
    pub attack: String,
    /// Watermarked, then attacked.
    pub marked: Outcome,
    /// Clean cover, attacked the same way.
    pub clean: Outcome,
    /// PSNR of the attacked vs the watermarked image (`NaN` when the size changed).
    pub attack_psnr: f64,
}

/// Everything measured on one cover.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CoverResult {
    /// File name.
    pub name: String,
    /// Size evaluated.
    pub width: u32,
    /// Size evaluated.
    pub height: u32,
    /// PSNR of watermarked vs cover.
    pub embed_psnr: f64,
    /// SSIM (luma) of watermarked vs cover.
    pub embed_ssim: f64,
    /// One per attack, in table order.
    pub cases: Vec<Case>,
}

/// One table row: an attack over all covers.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AttackRow {
    /// The attack's name.
    pub attack: String,
    /// Covers evaluated.
    pub images: usize,
    /// Mean bit accuracy (unreadable images count as 0.5).
    pub bit_accuracy: f64,
    /// Fraction with every bit right.
    pub exact_recovery: f64,
    /// Fraction detected at the theoretical false-positive rate.
    pub tpr_theoretical: f64,
    /// Fraction at or above the empirical threshold.
    pub tpr_empirical: f64,
    /// Clean covers under this attack that fired at the theoretical rate.
    pub clean_fired: usize,
    /// Watermarked images that could not be read at all.
    pub errors: usize,
    /// Mean PSNR of attacked vs watermarked (finite values; `inf` for lossless, `NaN` when
    /// the attack changes the size).
    pub attack_psnr: f64,
}

/// The result of one evaluation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EvalResult {
    /// The watermark's name.
    pub scheme: String,
    /// Its method.
    pub method: String,
    /// Bits carried.
    pub bits: usize,
    /// The message embedded (hex).
    pub message: String,
    /// Seed.
    pub seed: u64,
    /// Theoretical false-positive rate.
    pub theoretical_fpr: f64,
    /// Target empirical false-positive rate.
    pub empirical_target_fpr: f64,
    /// Clean (attacked) images in the null sample.
    pub empirical_null_samples: usize,
    /// Matching bits needed at the empirical rate.
    pub empirical_threshold_bits: usize,
    /// The rate the empirical threshold achieves on the null sample.
    pub empirical_fpr_achieved: f64,
    /// Mean PSNR of watermarked vs cover.
    pub embed_psnr: f64,
    /// Mean SSIM of watermarked vs cover.
    pub embed_ssim: f64,
    /// One row per attack.
    pub rows: Vec<AttackRow>,
    /// Per-cover details.
    pub covers: Vec<CoverResult>,
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        f64::NAN
    } else {
        s / n as f64
    }
}

fn evaluate_cover(
    index: usize,
    cover: &Cover,
    watermark: &Watermark,
    detector: &Detector,
    cfg: &EvalConfig,
) -> Result<CoverResult> {
    let marked = watermark
        .embed(&cover.image, None)
        .map_err(|e| Error::Config(format!("{}: cannot embed: {e}", cover.name)))?;
    let detect = |img: &Image| Outcome::from_finding(detector.detect(img).findings.first());
    let cases = cfg
        .attacks
        .iter()
        .map(|attack| {
            let name = attack.name();
            let rng = Rng::for_case(cfg.seed, index, &name);
            let attacked = attack.apply(&marked, &mut rng.clone())?;
            let attacked_clean = attack.apply(&cover.image, &mut rng.clone())?;
            Ok(Case {
                marked: detect(&attacked),
                clean: detect(&attacked_clean),
                attack_psnr: metrics::psnr(&marked, &attacked),
                attack: name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(CoverResult {
        name: cover.name.clone(),
        width: cover.image.width(),
        height: cover.image.height(),
        embed_psnr: metrics::psnr(&cover.image, &marked),
        embed_ssim: metrics::ssim(&cover.image, &marked),
        cases,
    })
}

/// Runs the evaluation of `watermark` (which must carry a message) over `covers`.
pub fn evaluate(watermark: &Watermark, covers: &[Cover], cfg: &EvalConfig) -> Result<EvalResult> {
    let message = watermark
        .message()
        .ok_or_else(|| Error::Config(format!("{} has no message to embed", watermark.name())))?;
    let n = watermark.scheme().code_len();
    let detector = Detector::new()
        .with(watermark.clone())
        .with_fpr(cfg.theoretical_fpr)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Config(e.to_string()))?;
    let per_cover: Vec<CoverResult> = pool.install(|| {
        covers
            .par_iter()
            .enumerate()
            .map(|(i, c)| evaluate_cover(i, c, watermark, &detector, cfg))
            .collect::<Result<Vec<_>>>()
    })?;

    let null: Vec<usize> = per_cover
        .iter()
        .flat_map(|c| c.cases.iter().map(|k| k.clean.matched.unwrap_or(0)))
        .collect();
    let threshold = metrics::empirical_threshold(&null, cfg.empirical_fpr);
    let rows = cfg
        .attacks
        .iter()
        .enumerate()
        .map(|(a, attack)| {
            let cases: Vec<&Case> = per_cover.iter().map(|c| &c.cases[a]).collect();
            let k = cases.len().max(1) as f64;
            let psnrs: Vec<f64> = cases.iter().map(|c| c.attack_psnr).collect();
            AttackRow {
                attack: attack.name(),
                images: cases.len(),
                bit_accuracy: mean(
                    cases
                        .iter()
                        .map(|c| metrics::bit_accuracy(c.marked.matched, n)),
                ),
                exact_recovery: cases.iter().filter(|c| c.marked.matched == Some(n)).count() as f64
                    / k,
                tpr_theoretical: cases.iter().filter(|c| c.marked.detected).count() as f64 / k,
                tpr_empirical: cases
                    .iter()
                    .filter(|c| c.marked.matched.is_some_and(|m| m >= threshold))
                    .count() as f64
                    / k,
                clean_fired: cases.iter().filter(|c| c.clean.detected).count(),
                errors: cases.iter().filter(|c| c.marked.error.is_some()).count(),
                attack_psnr: if psnrs.iter().all(|p| *p == f64::INFINITY) {
                    f64::INFINITY
                } else {
                    mean(psnrs.into_iter().filter(|p| p.is_finite()))
                },
            }
        })
        .collect();
    Ok(EvalResult {
        scheme: watermark.name().to_string(),
        method: watermark.scheme().name().to_string(),
        bits: n,
        message: message.to_hex(),
        seed: cfg.seed,
        theoretical_fpr: cfg.theoretical_fpr,
        empirical_target_fpr: cfg.empirical_fpr,
        empirical_null_samples: null.len(),
        empirical_threshold_bits: threshold,
        empirical_fpr_achieved: metrics::empirical_fpr(&null, threshold),
        embed_psnr: mean(
            per_cover
                .iter()
                .map(|c| c.embed_psnr)
                .filter(|p| p.is_finite()),
        ),
        embed_ssim: mean(
            per_cover
                .iter()
                .map(|c| c.embed_ssim)
                .filter(|p| p.is_finite()),
        ),
        rows,
        covers: per_cover,
    })
}
