//! `edgemark eval` and `edgemark fpr`: the evaluation harness (crate `edgemark-eval`).

use edgemark_eval::{covers, fpr, report, schemes, EvalConfig};
use std::path::PathBuf;

/// Arguments of `edgemark eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// Scheme: sdxl, dwtDct, dwtDctSvd, rivagan, edgemark-hidden-48 (see `edgemark schemes`).
    #[arg(long)]
    scheme: String,
    /// Folder of cover images (not recursive).
    #[arg(long)]
    covers: PathBuf,
    /// Use at most this many covers (sorted by name).
    #[arg(long)]
    limit: Option<usize>,
    /// Output folder for <scheme>.txt/.csv/.json (and .png).
    #[arg(long, default_value = "eval-out")]
    out: PathBuf,
    /// Also write a PNG bar chart of bit accuracy per attack.
    #[arg(long)]
    plot: bool,
    /// Centre-crop covers to at most this many pixels a side (0: full size).
    #[arg(long, default_value_t = 512)]
    max_side: u32,
    /// Seed of the attacks' randomness.
    #[arg(long, default_value_t = 0x5EED)]
    seed: u64,
    /// Only attacks whose name contains one of these texts (comma-separated).
    #[arg(long)]
    only: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
}

/// Arguments of `edgemark fpr`.
#[derive(clap::Args)]
pub struct FprArgs {
    /// Folder of clean (unwatermarked) images.
    #[arg(long)]
    covers: PathBuf,
    /// Schemes to check (repeatable; default: all the harness knows).
    #[arg(long)]
    scheme: Vec<String>,
    /// Use at most this many images.
    #[arg(long)]
    limit: Option<usize>,
    /// Centre-crop to at most this many pixels a side (0: full size).
    #[arg(long, default_value_t = 0)]
    max_side: u32,
    /// Theoretical false-positive rate (the detector's default).
    #[arg(long, default_value_t = edgemark::DEFAULT_FPR)]
    fpr: f64,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
}

/// Runs `edgemark eval`.
pub fn eval(a: &EvalArgs) -> Result<(), String> {
    let watermark = schemes::watermark(&a.scheme).map_err(|e| e.to_string())?;
    let covers = covers::load_dir(&a.covers, a.limit, a.max_side).map_err(|e| e.to_string())?;
    let mut cfg = EvalConfig {
        seed: a.seed,
        jobs: a.jobs,
        ..EvalConfig::default()
    };
    if let Some(only) = &a.only {
        let wanted: Vec<&str> = only
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        cfg.attacks.retain(|t| {
            let name = t.name();
            wanted.iter().any(|w| name.contains(w))
        });
    }
    eprintln!(
        "evaluating {} on {} covers x {} attacks ...",
        watermark.name(),
        covers.len(),
        cfg.attacks.len()
    );
    let result = edgemark_eval::evaluate(&watermark, &covers, &cfg).map_err(|e| e.to_string())?;
    print!("{}", report::table(&result));
    for p in report::write_all(&result, &a.out, a.plot).map_err(|e| e.to_string())? {
        eprintln!("wrote {}", p.display());
    }
    Ok(())
}

/// Runs `edgemark fpr`.
pub fn fpr(a: &FprArgs) -> Result<(), String> {
    let watermarks = if a.scheme.is_empty() {
        schemes::all()
    } else {
        a.scheme.iter().map(|s| schemes::watermark(s)).collect()
    }
    .map_err(|e| e.to_string())?;
    let covers = covers::load_dir(&a.covers, a.limit, a.max_side).map_err(|e| e.to_string())?;
    let rows = fpr::count_false_positives(&watermarks, &covers, a.fpr, a.jobs)
        .map_err(|e| e.to_string())?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", fpr::table(&rows, a.fpr));
    }
    Ok(())
}
