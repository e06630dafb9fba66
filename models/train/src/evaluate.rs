//! Evaluation of an exported model through EdgeMark itself (tract): the attack suite of
//! `edgemark-eval` on held-out photographs, and the decoder's latency.

use crate::error::{Error, Result};
use edgemark::neural::Neural;
use edgemark::{Image, Scheme, Watermark};
use edgemark_eval::covers::{center_crop, Cover};
use edgemark_eval::{Attack, Chroma, EvalConfig, EvalResult};
use std::path::{Path, PathBuf};

/// The attacks the model card reports (the targets first).
pub fn attacks() -> Vec<Attack> {
    vec![
        Attack::Identity,
        Attack::Jpeg {
            quality: 50,
            chroma: Chroma::Sub420,
        },
        Attack::Jpeg {
            quality: 75,
            chroma: Chroma::Sub420,
        },
        Attack::Resize { scale: 0.5 },
        Attack::Crop { keep_area: 0.5 },
        Attack::Blur { sigma: 1.0 },
        Attack::Noise { sigma: 5.0 },
        Attack::Brightness { factor: 1.2 },
        Attack::Contrast { factor: 0.8 },
        Attack::Screenshot {
            dpr: 2.0,
            jpeg: Some(80),
        },
    ]
}

/// Loads `files` as covers, centre-cropped to at most `max_side`.
pub fn covers(files: &[PathBuf], max_side: u32) -> Result<Vec<Cover>> {
    Ok(edgemark_eval::covers::load_files(files, max_side)?)
}

/// Evaluates the model of `card` on `covers` with [`attacks`], carrying the harness's fixed
/// evaluation message, at the theoretical false-positive rate 1e-6.
pub fn evaluate(card: &Path, covers: &[Cover]) -> Result<EvalResult> {
    let scheme = Neural::load(card)?;
    let bits = scheme.bit_len();
    let name = scheme.card().name.clone();
    let wm = Watermark::new(
        name,
        scheme,
        Some(edgemark_eval::schemes::eval_message(bits)),
    )?;
    let cfg = EvalConfig {
        attacks: attacks(),
        theoretical_fpr: 1e-6,
        jobs: Some(1),
        ..Default::default()
    };
    Ok(edgemark_eval::evaluate(&wm, covers, &cfg)?)
}

/// Median and minimum of `runs` decodes of a `size x size` crop of `image` (one thread),
/// in milliseconds.
pub fn decode_latency(card: &Path, image: &Image, size: u32, runs: usize) -> Result<(f64, f64)> {
    let scheme = Neural::load(card)?;
    let crop = center_crop(image, size)?;
    if crop.width() != size || crop.height() != size {
        return Err(Error::Config(format!("image smaller than {size}x{size}")));
    }
    scheme.decode_raw(&crop)?;
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let t = std::time::Instant::now();
            let r = scheme.decode_raw(&crop).map(|_| ());
            r.map(|_| t.elapsed().as_secs_f64() * 1000.0)
        })
        .collect::<std::result::Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times[0]))
}
