//! The randomized evaluation: every geometric and codec parameter drawn from a continuous
//! range with a seeded generator, never only at the values a decoder's search grid tries.
//!
//! The fixed suite of [`crate::attacks::standard_suite`] resizes by 0.5, 0.75 and 1.5,
//! exactly the inverses of the scales a multi-scale decoder reads (1, 2, 4/3, 2/3), so it
//! flatters such a decoder. Here every trial draws fresh parameters for its attack family
//! ([`Family`]); the drawn values are rounded to a few decimals *before* use, recorded
//! with the trial and encoded in the attack's name, so each trial (failures included) can
//! be replayed exactly. The clean cover goes through the very same attack (same
//! parameters, same crop), and its detections are the false positives.
//!
//! Detection is at the detector's theoretical false-positive rate (default 1e-6); each
//! family's true-positive rate comes with a Wilson 95 % interval, for training and
//! held-out covers separately ([`crate::covers::Split`]).

use crate::attacks::{Attack, Border, Chroma, Resample};
use crate::covers::{Cover, Split};
use crate::error::{Error, Result};
use crate::metrics;
use crate::rng::Rng;
use crate::run::Outcome;
use edgemark::{Detector, Image, Watermark, DEFAULT_FPR};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Crops keep at least this many pixels a side (or the whole side when the image is
/// smaller).
pub const MIN_CROP_SIDE: u32 = 256;

/// One attack family: a kind of attack whose parameters are drawn per trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "&'static str")]
#[non_exhaustive]
pub enum Family {
    /// PNG round trip (the control: what the scheme does unattacked).
    None,
    /// Resize, scale log-uniform in [0.3, 3], the two sides differing by up to 10 %.
    Resize,
    /// Crop of random size (each side from 256 px to the whole side) and position.
    Crop,
    /// Rotation uniform in [-30, 30] degrees, black corners, same size.
    Rotate,
    /// Rotation uniform in [-30, 30] degrees, mirrored edges, same size.
    RotateReflect,
    /// Rotation uniform in [-30, 30] degrees, cropped to the largest inscribed rectangle
    /// (photo straightening).
    RotateInscribed,
    /// 1-3 quarter turns plus a small rotation uniform in [-5, 5] degrees (black corners).
    Rotate90,
    /// JPEG 4:2:0, quality uniform in 30..=95.
    Jpeg,
    /// Lossy WebP, quality uniform in 50..=95.
    Webp,
    /// Gaussian blur, sigma uniform in [0.5, 2].
    Blur,
    /// Unsharp mask, sigma uniform in [0.5, 2], amount uniform in [0.5, 1.5].
    Sharpen,
    /// Gamma uniform in [0.7, 1.4].
    Gamma,
    /// Brightness then contrast, each factor uniform in [0.7, 1.3].
    BrightnessContrast,
    /// Resize as [`Family::Resize`], then JPEG 4:2:0 quality 50..=95.
    ResizeJpeg,
    /// "Re-share": resize to a width uniform in [0.4, 0.9] of the original (aspect kept,
    /// bicubic), then JPEG 4:2:0 quality 60..=85.
    Reshare,
    /// Screenshot: shown at a device pixel ratio uniform in [1, 3], either upscaled by it
    /// or downscaled by 1/DPR (bilinear, a coin flip), then JPEG 4:2:0 quality 70..=90.
    ScreenshotJpeg,
    /// Crop as [`Family::Crop`], rotation in [-30, 30] degrees (black corners), JPEG 4:2:0
    /// quality 50..=95.
    CropRotateJpeg,
    /// Brightness uniform in [0.7, 1.3], crop as [`Family::Crop`], JPEG 4:2:0 quality
    /// 50..=95.
    BrightnessCropJpeg,
    /// WAM's "combined": brightness 1.5, crop keeping 50 % of the area (sides x 0.707,
    /// random position), JPEG 4:2:0 quality 80.
    WamCombined,
    /// A screenshot of a screen, as leak tracing meets it: zoom log-uniform in [0.5, 3]
    /// (bilinear: device pixel ratio, browser zoom or a later rescale), a window or element
    /// crop (each side from 300 px to the whole side), JPEG 4:2:0 quality 70..=90.
    ScreenZoomCrop,
    /// A camera photo of a screen: perspective (yaw uniform in [-20, 20] degrees, pitch in
    /// [-10, 10]), zoom log-uniform in [0.6, 1.5], moire (depth [0.01, 0.06], period
    /// [6, 40] px, any direction), defocus (Gaussian sigma [0.3, 1.2]), gamma [0.8, 1.25],
    /// sensor noise (sigma [1, 3]), JPEG 4:2:0 quality 70..=90.
    CameraCapture,
}

impl From<Family> for &'static str {
    fn from(f: Family) -> &'static str {
        f.name()
    }
}

impl Family {
    /// Every family, in table order.
    pub const ALL: [Family; 19] = [
        Family::None,
        Family::Resize,
        Family::Crop,
        Family::Rotate,
        Family::RotateReflect,
        Family::RotateInscribed,
        Family::Rotate90,
        Family::Jpeg,
        Family::Webp,
        Family::Blur,
        Family::Sharpen,
        Family::Gamma,
        Family::BrightnessContrast,
        Family::ResizeJpeg,
        Family::Reshare,
        Family::ScreenshotJpeg,
        Family::CropRotateJpeg,
        Family::BrightnessCropJpeg,
        Family::WamCombined,
    ];

    /// The families only screens meet (`scripts/eval-screen.sh` runs them with `none` and
    /// `jpeg`): not in [`Family::ALL`] (the photo table), but named by `--families` like every
    /// other.
    pub const SCREEN_ONLY: [Family; 2] = [Family::ScreenZoomCrop, Family::CameraCapture];

    /// The family's name on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Family::None => "none",
            Family::Resize => "resize",
            Family::Crop => "crop",
            Family::Rotate => "rotate",
            Family::RotateReflect => "rotate-reflect",
            Family::RotateInscribed => "rotate-inscribed",
            Family::Rotate90 => "rotate90",
            Family::Jpeg => "jpeg",
            Family::Webp => "webp",
            Family::Blur => "blur",
            Family::Sharpen => "sharpen",
            Family::Gamma => "gamma",
            Family::BrightnessContrast => "brightness-contrast",
            Family::ResizeJpeg => "resize-jpeg",
            Family::Reshare => "reshare",
            Family::ScreenshotJpeg => "screenshot-jpeg",
            Family::CropRotateJpeg => "crop-rotate-jpeg",
            Family::BrightnessCropJpeg => "brightness-crop-jpeg",
            Family::WamCombined => "wam-combined",
            Family::ScreenZoomCrop => "screen-zoom-crop",
            Family::CameraCapture => "camera-capture",
        }
    }

    /// The ranges drawn, in one line.
    pub fn ranges(self) -> &'static str {
        match self {
            Family::None => "PNG round trip (no attack)",
            Family::Resize => {
                "scale log-uniform [0.3, 3], x/y ratio log-uniform [1/1.1, 1.1], bicubic"
            }
            Family::Crop => "each side uniform [256 px, full], position uniform",
            Family::Rotate => "uniform [-30, 30] deg, bilinear, black corners",
            Family::RotateReflect => "uniform [-30, 30] deg, bilinear, mirrored edges",
            Family::RotateInscribed => {
                "uniform [-30, 30] deg, bilinear, crop to the largest inscribed rectangle"
            }
            Family::Rotate90 => "1-3 quarter turns + uniform [-5, 5] deg, black corners",
            Family::Jpeg => "quality 30-95, 4:2:0",
            Family::Webp => "quality 50-95",
            Family::Blur => "Gaussian sigma uniform [0.5, 2]",
            Family::Sharpen => "unsharp mask sigma [0.5, 2], amount [0.5, 1.5]",
            Family::Gamma => "gamma uniform [0.7, 1.4]",
            Family::BrightnessContrast => "brightness x[0.7, 1.3] then contrast x[0.7, 1.3]",
            Family::ResizeJpeg => "resize as `resize`, then JPEG 50-95 4:2:0",
            Family::Reshare => "resize to width [0.4, 0.9]x (bicubic), then JPEG 60-85 4:2:0",
            Family::ScreenshotJpeg => {
                "DPR [1, 3]: upscale by DPR or downscale by 1/DPR (bilinear), then JPEG 70-90 4:2:0"
            }
            Family::CropRotateJpeg => {
                "crop as `crop`, rotate [-30, 30] deg (black), then JPEG 50-95 4:2:0"
            }
            Family::BrightnessCropJpeg => {
                "brightness x[0.7, 1.3], crop as `crop`, then JPEG 50-95 4:2:0"
            }
            Family::WamCombined => {
                "brightness x1.5, crop to 50 % of the area (random position), JPEG 80 4:2:0"
            }
            Family::ScreenZoomCrop => {
                "zoom log-uniform [0.5, 3] (bilinear), crop each side [300 px, full], JPEG 70-90 4:2:0"
            }
            Family::CameraCapture => {
                "perspective yaw [-20, 20] pitch [-10, 10] deg, zoom [0.6, 1.5], moire, defocus sigma [0.3, 1.2], gamma [0.8, 1.25], noise sigma [1, 3], JPEG 70-90"
            }
        }
    }

    /// The family called `name` (case-insensitive).
    pub fn parse(name: &str) -> Result<Family> {
        let n = name.trim().to_ascii_lowercase();
        let known = || Family::ALL.iter().chain(&Family::SCREEN_ONLY).copied();
        known().find(|f| f.name() == n).ok_or_else(|| {
            Error::Config(format!(
                "unknown attack family '{name}' (known: {})",
                known().map(Family::name).collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// Draws one concrete attack of this family for a `width` x `height` cover.
    pub fn draw(self, rng: &mut Rng, width: u32, height: u32) -> Draw {
        let mut d = Drawer {
            rng,
            params: BTreeMap::new(),
            width,
            height,
        };
        let attack = match self {
            Family::None => Attack::Identity,
            Family::Resize => d.resize(),
            Family::Crop => d.crop(),
            Family::Rotate => d.rotate(Border::Black),
            Family::RotateReflect => d.rotate(Border::Reflect),
            Family::RotateInscribed => d.rotate(Border::Crop),
            Family::Rotate90 => {
                let turns = d.int("quarter_turns", 1, 3) as u8;
                let degrees = d.uniform("degrees", -5.0, 5.0, 2);
                Attack::Chain(vec![
                    Attack::RotateQuarter { turns },
                    Attack::RotateWith {
                        degrees,
                        border: Border::Black,
                    },
                ])
            }
            Family::Jpeg => d.jpeg(30, 95),
            Family::Webp => Attack::WebP {
                quality: d.int("webp_quality", 50, 95) as u8,
            },
            Family::Blur => Attack::Blur {
                sigma: d.uniform("blur_sigma", 0.5, 2.0, 3),
            },
            Family::Sharpen => Attack::Unsharp {
                sigma: d.uniform("unsharp_sigma", 0.5, 2.0, 3),
                amount: d.uniform("unsharp_amount", 0.5, 1.5, 3),
            },
            Family::Gamma => Attack::Gamma {
                gamma: d.uniform("gamma", 0.7, 1.4, 3),
            },
            Family::BrightnessContrast => Attack::Chain(vec![
                d.brightness(),
                Attack::Contrast {
                    factor: d.uniform("contrast", 0.7, 1.3, 3),
                },
            ]),
            Family::ResizeJpeg => Attack::Chain(vec![d.resize(), d.jpeg(50, 95)]),
            Family::Reshare => {
                let f = d.uniform("width_fraction", 0.4, 0.9, 4);
                Attack::Chain(vec![
                    Attack::ResizeXY {
                        sx: f,
                        sy: f,
                        filter: Resample::Bicubic,
                    },
                    d.jpeg(60, 85),
                ])
            }
            Family::ScreenshotJpeg => {
                let dpr = d.uniform("dpr", 1.0, 3.0, 3);
                let up = d.int("upscale", 0, 1) == 1;
                let s = if up {
                    dpr
                } else {
                    round_to(1.0 / f64::from(dpr), 4)
                };
                d.record("scale", s, 4);
                Attack::Chain(vec![
                    Attack::ResizeXY {
                        sx: s,
                        sy: s,
                        filter: Resample::Bilinear,
                    },
                    d.jpeg(70, 90),
                ])
            }
            Family::CropRotateJpeg => {
                Attack::Chain(vec![d.crop(), d.rotate(Border::Black), d.jpeg(50, 95)])
            }
            Family::BrightnessCropJpeg => {
                Attack::Chain(vec![d.brightness(), d.crop(), d.jpeg(50, 95)])
            }
            Family::WamCombined => {
                let side = round_to(0.5f64.sqrt(), 4);
                let x = d.uniform("crop_x", 0.0, 1.0, 4);
                let y = d.uniform("crop_y", 0.0, 1.0, 4);
                Attack::Chain(vec![
                    Attack::Brightness { factor: 1.5 },
                    Attack::CropRegion {
                        w_frac: side,
                        h_frac: side,
                        x_frac: x,
                        y_frac: y,
                        min_side: 0,
                    },
                    Attack::Jpeg {
                        quality: 80,
                        chroma: Chroma::Sub420,
                    },
                ])
            }
            Family::ScreenZoomCrop => {
                let z = round_to(d.rng.log_uniform(0.5, 3.0), 4);
                let zoom = d.record("zoom", z, 4);
                // The crop's fractions apply to the zoomed image: 300 px of `full * zoom`.
                let lo = |full: u32| (300.0 / (f64::from(full.max(1)) * f64::from(zoom))).min(1.0);
                let (lw, lh) = (lo(d.width), lo(d.height));
                Attack::Chain(vec![
                    Attack::ResizeXY {
                        sx: zoom,
                        sy: zoom,
                        filter: Resample::Bilinear,
                    },
                    Attack::CropRegion {
                        w_frac: d.uniform("crop_w", lw, 1.0, 4),
                        h_frac: d.uniform("crop_h", lh, 1.0, 4),
                        x_frac: d.uniform("crop_x", 0.0, 1.0, 4),
                        y_frac: d.uniform("crop_y", 0.0, 1.0, 4),
                        min_side: 300,
                    },
                    d.jpeg(70, 90),
                ])
            }
            Family::CameraCapture => {
                let z = round_to(d.rng.log_uniform(0.6, 1.5), 4);
                let zoom = d.record("zoom", z, 4);
                Attack::Chain(vec![
                    Attack::Perspective {
                        yaw: d.uniform("yaw", -20.0, 20.0, 2),
                        pitch: d.uniform("pitch", -10.0, 10.0, 2),
                    },
                    Attack::ResizeXY {
                        sx: zoom,
                        sy: zoom,
                        filter: Resample::Bilinear,
                    },
                    Attack::Moire {
                        amplitude: d.uniform("moire_depth", 0.01, 0.06, 3),
                        period: d.uniform("moire_period", 6.0, 40.0, 2),
                        degrees: d.uniform("moire_degrees", 0.0, 180.0, 1),
                    },
                    Attack::Blur {
                        sigma: d.uniform("defocus_sigma", 0.3, 1.2, 3),
                    },
                    Attack::Gamma {
                        gamma: d.uniform("gamma", 0.8, 1.25, 3),
                    },
                    Attack::Noise {
                        sigma: d.uniform("noise_sigma", 1.0, 3.0, 2),
                    },
                    d.jpeg(70, 90),
                ])
            }
        };
        Draw {
            attack,
            params: d.params,
        }
    }
}

/// One drawn attack and the parameters drawn for it (already rounded: what is applied).
#[derive(Clone, Debug)]
pub struct Draw {
    /// The concrete attack (its name encodes every parameter).
    pub attack: Attack,
    /// The drawn parameters by name.
    pub params: BTreeMap<&'static str, f64>,
}

fn round_to(v: f64, decimals: i32) -> f32 {
    let m = 10f64.powi(decimals);
    ((v * m).round() / m) as f32
}

struct Drawer<'a> {
    rng: &'a mut Rng,
    params: BTreeMap<&'static str, f64>,
    width: u32,
    height: u32,
}

impl Drawer<'_> {
    /// Records `v` (already rounded to `decimals`) as the decimal it stands for, and
    /// returns it.
    fn record(&mut self, name: &'static str, v: f32, decimals: i32) -> f32 {
        let m = 10f64.powi(decimals);
        self.params.insert(name, (f64::from(v) * m).round() / m);
        v
    }

    fn uniform(&mut self, name: &'static str, lo: f64, hi: f64, decimals: i32) -> f32 {
        let v = round_to(self.rng.range(lo, hi), decimals);
        self.record(name, v, decimals)
    }

    fn int(&mut self, name: &'static str, lo: i64, hi: i64) -> i64 {
        let v = self.rng.int_in(lo, hi);
        self.params.insert(name, v as f64);
        v
    }

    fn resize(&mut self) -> Attack {
        let s = self.rng.log_uniform(0.3, 3.0);
        let ratio = self.rng.log_uniform(1.0 / 1.1, 1.1);
        self.params.insert("scale", (s * 1e4).round() / 1e4);
        self.params.insert("xy_ratio", (ratio * 1e4).round() / 1e4);
        let sx = round_to(s * ratio.sqrt(), 4);
        let sy = round_to(s / ratio.sqrt(), 4);
        Attack::ResizeXY {
            sx: self.record("scale_x", sx, 4),
            sy: self.record("scale_y", sy, 4),
            filter: Resample::Bicubic,
        }
    }

    fn crop(&mut self) -> Attack {
        let lo = |full: u32| (f64::from(MIN_CROP_SIDE) / f64::from(full.max(1))).min(1.0);
        let (lw, lh) = (lo(self.width), lo(self.height));
        Attack::CropRegion {
            w_frac: self.uniform("crop_w", lw, 1.0, 4),
            h_frac: self.uniform("crop_h", lh, 1.0, 4),
            x_frac: self.uniform("crop_x", 0.0, 1.0, 4),
            y_frac: self.uniform("crop_y", 0.0, 1.0, 4),
            min_side: MIN_CROP_SIDE,
        }
    }

    fn rotate(&mut self, border: Border) -> Attack {
        Attack::RotateWith {
            degrees: self.uniform("degrees", -30.0, 30.0, 2),
            border,
        }
    }

    fn jpeg(&mut self, lo: i64, hi: i64) -> Attack {
        Attack::Jpeg {
            quality: self.int("jpeg_quality", lo, hi) as u8,
            chroma: Chroma::Sub420,
        }
    }

    fn brightness(&mut self) -> Attack {
        Attack::Brightness {
            factor: self.uniform("brightness", 0.7, 1.3, 3),
        }
    }
}

/// The generator of one trial: depends only on the run seed, the family, the cover's file
/// name and the sample index, so adding covers, families or samples leaves the others'
/// draws unchanged.
pub fn trial_rng(seed: u64, family: Family, cover: &str, sample: usize) -> Rng {
    Rng::for_case(seed, sample, &format!("{}/{cover}", family.name()))
}

/// How to run a randomized evaluation.
#[derive(Clone, Debug)]
pub struct RandomConfig {
    /// Seed of every draw.
    pub seed: u64,
    /// Trials per cover and family, each with fresh parameters.
    pub samples: usize,
    /// Families, in table order.
    pub families: Vec<Family>,
    /// The detector's theoretical false-positive rate.
    pub fpr: f64,
    /// Worker threads (`None`: all cores).
    pub jobs: Option<usize>,
    /// How the covers were split into training and held-out (for the report).
    pub split_rule: String,
}

impl Default for RandomConfig {
    fn default() -> Self {
        RandomConfig {
            seed: 0x5EED,
            samples: 3,
            families: Family::ALL.to_vec(),
            fpr: DEFAULT_FPR,
            jobs: None,
            split_rule: "every 5th cover by sorted file name (index % 5 == 4) held out".into(),
        }
    }
}

/// One trial: one cover, one family, one draw.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Trial {
    /// The cover's file name.
    pub cover: String,
    /// Training or held-out cover.
    pub split: Split,
    /// The family.
    pub family: Family,
    /// Sample index (0-based) within the cover and family.
    pub sample: usize,
    /// The drawn parameters.
    pub params: BTreeMap<&'static str, f64>,
    /// The concrete attack's name (every parameter in it).
    pub attack: String,
    /// Size of the attacked watermarked image.
    pub width: u32,
    /// Size of the attacked watermarked image.
    pub height: u32,
    /// The watermarked cover, attacked.
    pub marked: Outcome,
    /// The clean cover, attacked the same way.
    pub clean: Outcome,
}

/// One table row: a family over one split (or all covers).
#[derive(Clone, Debug, serde::Serialize)]
pub struct FamilyRow {
    /// The family's name.
    pub family: &'static str,
    /// `train`, `held-out` or `all`.
    pub split: &'static str,
    /// Covers.
    pub covers: usize,
    /// Trials (watermarked images).
    pub trials: usize,
    /// Detected at the theoretical rate.
    pub detected: usize,
    /// `detected / trials`.
    pub tpr: f64,
    /// Wilson 95 % interval of the TPR, low end.
    pub tpr_low: f64,
    /// Wilson 95 % interval of the TPR, high end.
    pub tpr_high: f64,
    /// Mean bit accuracy (unreadable images count 0.5).
    pub bit_accuracy: f64,
    /// Watermarked images the detector could not read at all.
    pub errors: usize,
    /// Clean attacked covers that fired (false positives), out of `trials`.
    pub clean_fired: usize,
    /// Wilson 95 % upper bound of the clean false-positive rate.
    pub clean_fpr_high: f64,
}

/// The result of one randomized evaluation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RandomResult {
    /// The watermark's name.
    pub scheme: String,
    /// Its method.
    pub method: String,
    /// Bits carried.
    pub bits: usize,
    /// The message embedded (hex).
    pub message: String,
    /// Seed of every draw.
    pub seed: u64,
    /// Trials per cover and family.
    pub samples: usize,
    /// The detector's theoretical false-positive rate.
    pub fpr: f64,
    /// How the covers were split.
    pub split_rule: String,
    /// Training covers.
    pub train_covers: Vec<String>,
    /// Held-out covers.
    pub heldout_covers: Vec<String>,
    /// Mean PSNR of watermarked vs cover.
    pub embed_psnr: f64,
    /// Per family: training, held-out, all.
    pub rows: Vec<FamilyRow>,
    /// Every trial with its drawn parameters.
    pub trials: Vec<Trial>,
}

fn run_trial(
    cover: &Cover,
    split: Split,
    marked: &Image,
    family: Family,
    sample: usize,
    detector: &Detector,
    seed: u64,
) -> Result<Trial> {
    let mut rng = trial_rng(seed, family, &cover.name, sample);
    let draw = family.draw(&mut rng, cover.image.width(), cover.image.height());
    let attacked = draw.attack.apply(marked, &mut rng.clone())?;
    let attacked_clean = draw.attack.apply(&cover.image, &mut rng.clone())?;
    let detect = |img: &Image| Outcome::from_finding(detector.detect(img).findings.first());
    Ok(Trial {
        cover: cover.name.clone(),
        split,
        family,
        sample,
        params: draw.params,
        attack: draw.attack.name(),
        width: attacked.width(),
        height: attacked.height(),
        marked: detect(&attacked),
        clean: detect(&attacked_clean),
    })
}

/// The row of `family` over the trials of `split` (`None`: all).
pub fn family_row(
    trials: &[Trial],
    family: Family,
    split: Option<Split>,
    bits: usize,
) -> FamilyRow {
    let sel: Vec<&Trial> = trials
        .iter()
        .filter(|t| t.family == family && split.is_none_or(|s| t.split == s))
        .collect();
    let mut covers: Vec<&str> = sel.iter().map(|t| t.cover.as_str()).collect();
    covers.sort_unstable();
    covers.dedup();
    let n = sel.len();
    let detected = sel.iter().filter(|t| t.marked.detected).count();
    let clean_fired = sel.iter().filter(|t| t.clean.detected).count();
    let (tpr_low, tpr_high) = metrics::wilson_interval(detected, n);
    FamilyRow {
        family: family.name(),
        split: split.map_or("all", Split::name),
        covers: covers.len(),
        trials: n,
        detected,
        tpr: if n == 0 {
            f64::NAN
        } else {
            detected as f64 / n as f64
        },
        tpr_low,
        tpr_high,
        bit_accuracy: if n == 0 {
            f64::NAN
        } else {
            sel.iter()
                .map(|t| metrics::bit_accuracy(t.marked.matched, bits))
                .sum::<f64>()
                / n as f64
        },
        errors: sel.iter().filter(|t| t.marked.error.is_some()).count(),
        clean_fired,
        clean_fpr_high: metrics::wilson_interval(clean_fired, n).1,
    }
}

/// Runs the randomized evaluation of `watermark` (which must carry a message) over
/// `covers`, `splits[i]` saying which side of the training split `covers[i]` is on.
/// `progress` is called once per finished trial (from worker threads).
pub fn evaluate_random(
    watermark: &Watermark,
    covers: &[Cover],
    splits: &[Split],
    cfg: &RandomConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<RandomResult> {
    if covers.len() != splits.len() {
        return Err(Error::Config(format!(
            "{} covers but {} split labels",
            covers.len(),
            splits.len()
        )));
    }
    if cfg.samples == 0 || cfg.families.is_empty() {
        return Err(Error::Config(
            "need at least one sample and one attack family".into(),
        ));
    }
    let message = watermark
        .message()
        .ok_or_else(|| Error::Config(format!("{} has no message to embed", watermark.name())))?;
    let bits = watermark.scheme().code_len();
    let detector = Detector::new().with(watermark.clone()).with_fpr(cfg.fpr)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Config(e.to_string()))?;
    let per_cover: Vec<(f64, Vec<Trial>)> = pool.install(|| {
        covers
            .par_iter()
            .zip(splits.par_iter())
            .map(|(cover, &split)| -> Result<(f64, Vec<Trial>)> {
                let marked = watermark
                    .embed(&cover.image, None)
                    .map_err(|e| Error::Config(format!("{}: cannot embed: {e}", cover.name)))?;
                let mut trials = Vec::with_capacity(cfg.families.len() * cfg.samples);
                for &family in &cfg.families {
                    for sample in 0..cfg.samples {
                        trials.push(run_trial(
                            cover, split, &marked, family, sample, &detector, cfg.seed,
                        )?);
                        progress();
                    }
                }
                Ok((metrics::psnr(&cover.image, &marked), trials))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let psnrs: Vec<f64> = per_cover
        .iter()
        .map(|c| c.0)
        .filter(|p| p.is_finite())
        .collect();
    let trials: Vec<Trial> = per_cover.into_iter().flat_map(|c| c.1).collect();
    let mut rows = Vec::with_capacity(cfg.families.len() * 3);
    for &family in &cfg.families {
        for split in [Some(Split::Train), Some(Split::HeldOut), None] {
            rows.push(family_row(&trials, family, split, bits));
        }
    }
    let names = |s: Split| -> Vec<String> {
        covers
            .iter()
            .zip(splits)
            .filter(|(_, x)| **x == s)
            .map(|(c, _)| c.name.clone())
            .collect()
    };
    Ok(RandomResult {
        scheme: watermark.name().to_string(),
        method: watermark.scheme().name().to_string(),
        bits,
        message: message.to_hex(),
        seed: cfg.seed,
        samples: cfg.samples,
        fpr: cfg.fpr,
        split_rule: cfg.split_rule.clone(),
        train_covers: names(Split::Train),
        heldout_covers: names(Split::HeldOut),
        embed_psnr: if psnrs.is_empty() {
            f64::NAN
        } else {
            psnrs.iter().sum::<f64>() / psnrs.len() as f64
        },
        rows,
        trials,
    })
}
