//! False positives on clean images: per scheme, how many unmarked images fire at the
//! detector's threshold.

use crate::covers::Cover;
use crate::error::{Error, Result};
use edgemark::{Detector, Watermark};
use rayon::prelude::*;

/// One scheme's count.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FprRow {
    /// Watermark name.
    pub scheme: String,
    /// Clean images checked (readable ones).
    pub images: usize,
    /// Images that fired.
    pub fired: usize,
    /// Names of the images that fired.
    pub fired_on: Vec<String>,
    /// Most matching bits seen on a clean image.
    pub max_matched: usize,
    /// Bits carried.
    pub bits: usize,
    /// Smallest corrected p-value seen.
    pub min_p_value: f64,
    /// Images the scheme could not read (too small, say).
    pub unreadable: usize,
}

/// Counts, for every watermark, the clean `covers` that fire at false-positive rate `fpr`.
pub fn count_false_positives(
    watermarks: &[Watermark],
    covers: &[Cover],
    fpr: f64,
    jobs: Option<usize>,
) -> Result<Vec<FprRow>> {
    let detector = watermarks
        .iter()
        .cloned()
        .fold(Detector::new(), Detector::with)
        .with_fpr(fpr)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Config(e.to_string()))?;
    let reports: Vec<_> = pool.install(|| {
        covers
            .par_iter()
            .map(|c| detector.detect(&c.image))
            .collect()
    });
    Ok(watermarks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let findings: Vec<_> = reports.iter().map(|r| &r.findings[i]).collect();
            let readable: Vec<_> = findings
                .iter()
                .zip(covers)
                .filter(|(f, _)| f.error.is_none())
                .collect();
            FprRow {
                scheme: w.name().to_string(),
                images: readable.len(),
                fired: readable.iter().filter(|(f, _)| f.detected).count(),
                fired_on: readable
                    .iter()
                    .filter(|(f, _)| f.detected)
                    .map(|(_, c)| c.name.clone())
                    .collect(),
                max_matched: readable
                    .iter()
                    .filter_map(|(f, _)| f.matched_bits)
                    .max()
                    .unwrap_or(0),
                bits: w.scheme().bit_len(),
                min_p_value: readable
                    .iter()
                    .filter_map(|(f, _)| f.p_value)
                    .fold(1.0, f64::min),
                unreadable: findings.len() - readable.len(),
            }
        })
        .collect())
}

/// A text table of the counts.
pub fn table(rows: &[FprRow], fpr: f64) -> String {
    let w = rows
        .iter()
        .map(|r| r.scheme.len())
        .max()
        .unwrap_or(0)
        .max(12);
    let mut s = format!(
        "{:<w$} {:>7} {:>7} {:>12} {:>12} {:>10}\n",
        "scheme", "images", "fired", "max matched", "min p", "unreadable"
    );
    for r in rows {
        s += &format!(
            "{:<w$} {:>7} {:>7} {:>9}/{:<2} {:>12.3e} {:>10}\n",
            r.scheme, r.images, r.fired, r.max_matched, r.bits, r.min_p_value, r.unreadable
        );
    }
    s += &format!("(fired: p-value <= {fpr:e}, the default threshold)\n");
    s
}
