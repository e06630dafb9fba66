//! Writing an [`EvalResult`]: text table, CSV, JSON.

use crate::error::{Error, Result};
use crate::run::EvalResult;
use std::path::{Path, PathBuf};

fn num(v: f64, digits: usize) -> String {
    if v.is_nan() {
        "-".into()
    } else if v.is_infinite() {
        "inf".into()
    } else {
        format!("{v:.digits$}")
    }
}

/// A header (quality and thresholds) followed by one row per attack.
pub fn table(r: &EvalResult) -> String {
    let mut s = format!(
        "scheme {} ({}, {} bits, message {}), {} covers, seed {}\n\
         embedding: PSNR {} dB, SSIM {}\n\
         theoretical FPR {:e} (binomial, detector default); empirical FPR target {:e}: \
         threshold {}/{} bits on {} clean attacked images (achieved {})\n\n",
        r.scheme,
        r.method,
        r.bits,
        r.message,
        r.covers.len(),
        r.seed,
        num(r.embed_psnr, 2),
        num(r.embed_ssim, 4),
        r.theoretical_fpr,
        r.empirical_target_fpr,
        r.empirical_threshold_bits,
        r.bits,
        r.empirical_null_samples,
        num(r.empirical_fpr_achieved, 5),
    );
    s += &format!(
        "{:<44} {:>8} {:>7} {:>9} {:>9} {:>8} {:>7}\n",
        "attack", "bit acc", "exact", "TPR@1e-6", "TPR@emp", "clean+", "PSNR"
    );
    for row in &r.rows {
        s += &format!(
            "{:<44} {:>8} {:>7} {:>9} {:>9} {:>5}/{:<2} {:>7}\n",
            row.attack,
            num(row.bit_accuracy, 4),
            num(row.exact_recovery, 3),
            num(row.tpr_theoretical, 3),
            num(row.tpr_empirical, 3),
            row.clean_fired,
            row.images,
            num(row.attack_psnr, 2),
        );
    }
    s
}

/// One CSV line per attack.
pub fn csv(r: &EvalResult) -> String {
    let mut s = String::from(
        "scheme,attack,images,bit_accuracy,exact_recovery,tpr_at_theoretical_fpr,tpr_at_empirical_fpr,clean_fired,errors,attack_psnr_db\n",
    );
    for row in &r.rows {
        s += &format!(
            "{},{},{},{:.6},{:.6},{:.6},{:.6},{},{},{}\n",
            r.scheme,
            row.attack,
            row.images,
            row.bit_accuracy,
            row.exact_recovery,
            row.tpr_theoretical,
            row.tpr_empirical,
            row.clean_fired,
            row.errors,
            num(row.attack_psnr, 3),
        );
    }
    s
}

/// JSON with every per-cover detail (non-finite numbers as `null`).
pub fn json(r: &EvalResult) -> Result<String> {
    serde_json::to_string_pretty(r).map_err(|e| Error::Config(format!("JSON: {e}")))
}

fn write(path: PathBuf, contents: &[u8]) -> Result<PathBuf> {
    std::fs::write(&path, contents).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// Writes `<scheme>.txt`, `.csv`, `.json` (and `.png` when `plot`) into `dir`; returns the
/// paths written.
pub fn write_all(r: &EvalResult, dir: &Path, plot: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let stem = r.scheme.clone();
    let mut out = vec![
        write(dir.join(format!("{stem}.txt")), table(r).as_bytes())?,
        write(dir.join(format!("{stem}.csv")), csv(r).as_bytes())?,
        write(dir.join(format!("{stem}.json")), json(r)?.as_bytes())?,
    ];
    if plot {
        let png = crate::plot::bar_chart(r)?;
        out.push(write(dir.join(format!("{stem}.png")), &png)?);
    }
    Ok(out)
}
