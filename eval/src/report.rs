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

// ---- The randomized evaluation ([`crate::random`]). ----

use crate::random::{Family, FamilyRow, RandomResult};

fn rate_ci(row: &FamilyRow) -> String {
    if row.trials == 0 {
        return "-".into();
    }
    format!("{:.3} [{:.3}, {:.3}]", row.tpr, row.tpr_low, row.tpr_high)
}

fn random_header(r: &RandomResult) -> String {
    format!(
        "scheme {} ({}, {} bits, message {}), seed {}, {} samples per cover and family\n\
         covers: {} training + {} held out ({})\n\
         embedding: PSNR {} dB; detection at the detector's theoretical FPR {:e}; \
         TPR with Wilson 95 % intervals; clean+ = clean covers under the same attack that fired\n",
        r.scheme,
        r.method,
        r.bits,
        r.message,
        r.seed,
        r.samples,
        r.train_covers.len(),
        r.heldout_covers.len(),
        r.split_rule,
        num(r.embed_psnr, 2),
        r.fpr,
    )
}

/// A header followed by one line per family and split (train, held-out, all).
pub fn random_table(r: &RandomResult) -> String {
    let mut s = random_header(r);
    s += &format!(
        "\n{:<22} {:<9} {:>6} {:>26} {:>8} {:>9} {:>6}\n",
        "family", "split", "trials", "TPR@fpr [95% CI]", "bit acc", "clean+", "errors"
    );
    for row in &r.rows {
        s += &format!(
            "{:<22} {:<9} {:>6} {:>26} {:>8} {:>5}/{:<3} {:>6}\n",
            row.family,
            row.split,
            row.trials,
            rate_ci(row),
            num(row.bit_accuracy, 3),
            row.clean_fired,
            row.trials,
            row.errors,
        );
    }
    s
}

/// A markdown table: one line per family, TPR [CI] (trials) for training, held-out and all
/// covers, bit accuracy and clean false positives over all; then the ranges drawn.
pub fn random_markdown(r: &RandomResult) -> String {
    let mut s = String::new();
    for line in random_header(r).lines() {
        s += &format!("{line}  \n");
    }
    s += "\n| family | TPR train [95% CI] (n) | TPR held-out [95% CI] (n) | TPR all [95% CI] (n) | bit acc (all) | clean FP (all) |\n";
    s += "|---|---|---|---|---|---|\n";
    let mut families: Vec<&str> = r.rows.iter().map(|x| x.family).collect();
    families.dedup();
    for f in families {
        let get = |split: &str| r.rows.iter().find(|x| x.family == f && x.split == split);
        let cell = |row: Option<&FamilyRow>| {
            row.map_or("-".to_string(), |x| {
                format!("{} ({})", rate_ci(x), x.trials)
            })
        };
        let all = get("all");
        s += &format!(
            "| {f} | {} | {} | {} | {} | {} |\n",
            cell(get("train")),
            cell(get("held-out")),
            cell(all),
            all.map_or("-".into(), |x| num(x.bit_accuracy, 3)),
            all.map_or("-".into(), |x| format!(
                "{}/{} (95% upper {:.3})",
                x.clean_fired, x.trials, x.clean_fpr_high
            )),
        );
    }
    s += "\n| family | parameters drawn per trial |\n|---|---|\n";
    let mut seen: Vec<&str> = Vec::new();
    for t in &r.rows {
        if seen.contains(&t.family) {
            continue;
        }
        seen.push(t.family);
        if let Ok(f) = Family::parse(t.family) {
            s += &format!("| {} | {} |\n", f.name(), f.ranges());
        }
    }
    s
}

/// One CSV line per family and split.
pub fn random_csv(r: &RandomResult) -> String {
    let mut s = String::from(
        "scheme,family,split,covers,trials,detected,tpr,tpr_low95,tpr_high95,bit_accuracy,errors,clean_fired,clean_fpr_high95\n",
    );
    for x in &r.rows {
        s += &format!(
            "{},{},{},{},{},{},{},{:.6},{:.6},{},{},{},{:.6}\n",
            r.scheme,
            x.family,
            x.split,
            x.covers,
            x.trials,
            x.detected,
            num(x.tpr, 6),
            x.tpr_low,
            x.tpr_high,
            num(x.bit_accuracy, 6),
            x.errors,
            x.clean_fired,
            x.clean_fpr_high,
        );
    }
    s
}

/// One CSV line per trial, with its drawn parameters (`name=value` separated by `;`) and
/// the concrete attack, so every failure can be replayed.
pub fn random_trials_csv(r: &RandomResult) -> String {
    let mut s = String::from(
        "scheme,cover,split,family,sample,params,attack,width,height,matched,detected,p_value,clean_matched,clean_detected,clean_p_value,error\n",
    );
    let opt = |v: Option<usize>| v.map_or(String::new(), |v| v.to_string());
    let p = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:e}"));
    for t in &r.trials {
        let params = t
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";");
        s += &format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.scheme,
            t.cover,
            t.split.name(),
            t.family.name(),
            t.sample,
            params,
            t.attack.replace(',', ";"),
            t.width,
            t.height,
            opt(t.marked.matched),
            t.marked.detected,
            p(t.marked.p_value),
            opt(t.clean.matched),
            t.clean.detected,
            p(t.clean.p_value),
            t.marked
                .error
                .as_deref()
                .unwrap_or_default()
                .replace([',', '\n'], ";"),
        );
    }
    s
}

/// Writes `<scheme>-random.txt`, `.md`, `.csv`, `.json` and `<scheme>-random-trials.csv`
/// into `dir`; returns the paths written.
pub fn write_random(r: &RandomResult, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let stem = format!("{}-random", r.scheme);
    let json = serde_json::to_string_pretty(r).map_err(|e| Error::Config(format!("JSON: {e}")))?;
    Ok(vec![
        write(dir.join(format!("{stem}.txt")), random_table(r).as_bytes())?,
        write(
            dir.join(format!("{stem}.md")),
            random_markdown(r).as_bytes(),
        )?,
        write(dir.join(format!("{stem}.csv")), random_csv(r).as_bytes())?,
        write(dir.join(format!("{stem}.json")), json.as_bytes())?,
        write(
            dir.join(format!("{stem}-trials.csv")),
            random_trials_csv(r).as_bytes(),
        )?,
    ])
}
