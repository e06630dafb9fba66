//! `edgemark eval` and `edgemark fpr`: the evaluation harness (crate `edgemark-eval`).

use edgemark_eval::covers::Split;
use edgemark_eval::{covers, fpr, report, schemes, EvalConfig, Family, RandomConfig};
use std::path::{Path, PathBuf};

/// Arguments of `edgemark eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// Scheme, e.g. sdxl, dwtDct, edgemark-v3, edgemark-hidden-48 (see `edgemark schemes`).
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
    #[arg(long, conflicts_with = "random")]
    only: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Randomized evaluation: every attack parameter drawn from a continuous range per
    /// trial; TPR per attack family with Wilson 95 % intervals, training and held-out covers
    /// apart; writes <scheme>-random.txt/.md/.csv/.json and <scheme>-random-trials.csv.
    #[arg(long, conflicts_with = "plot")]
    random: bool,
    /// With --random: trials per cover and family, each with fresh parameters.
    #[arg(long, default_value_t = 3, requires = "random")]
    samples: usize,
    /// With --random: only these families (comma-separated; default all: none, resize,
    /// crop, rotate, rotate-reflect, rotate-inscribed, rotate90, jpeg, webp, blur, sharpen,
    /// gamma, brightness-contrast, resize-jpeg, reshare, screenshot-jpeg, crop-rotate-jpeg,
    /// brightness-crop-jpeg, wam-combined).
    #[arg(long, requires = "random")]
    families: Option<String>,
    /// With --random: hold out every Nth cover by sorted file name (index % N == N-1 over
    /// the whole folder, before --limit): the split models/train uses (0: none held out).
    #[arg(long, default_value_t = 5, requires = "random")]
    heldout_every: usize,
    /// With --random: hold out instead the covers whose file names this file lists (one a
    /// line; blank lines and lines starting with # skipped).
    #[arg(long, requires = "random", conflicts_with = "heldout_every")]
    heldout: Option<PathBuf>,
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
    if a.random {
        return eval_random(a);
    }
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

fn read_list(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

/// Runs `edgemark eval --random`.
fn eval_random(a: &EvalArgs) -> Result<(), String> {
    let watermark = schemes::watermark(&a.scheme).map_err(|e| e.to_string())?;
    let mut files = covers::list_dir(&a.covers).map_err(|e| e.to_string())?;
    // The split is over the whole sorted folder, so --limit does not move it.
    let (mut splits, rule) = match &a.heldout {
        Some(list) => {
            let names = read_list(list)?;
            (
                covers::split_named(&files, &names).map_err(|e| e.to_string())?,
                format!("covers listed in {} held out", list.display()),
            )
        }
        None => (
            covers::split_every(&files, a.heldout_every),
            if a.heldout_every == 0 {
                "none held out".to_string()
            } else {
                format!(
                    "every {n}th cover by sorted file name held out (index % {n} == {}), as models/train",
                    a.heldout_every - 1,
                    n = a.heldout_every
                )
            },
        ),
    };
    if let Some(limit) = a.limit {
        files.truncate(limit);
        splits.truncate(limit);
    }
    let covers = covers::load_files(&files, a.max_side).map_err(|e| e.to_string())?;
    let families = match &a.families {
        None => Family::ALL.to_vec(),
        Some(list) => list
            .split(',')
            .filter(|f| !f.trim().is_empty())
            .map(Family::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?,
    };
    let cfg = RandomConfig {
        seed: a.seed,
        samples: a.samples,
        families,
        jobs: a.jobs,
        split_rule: rule,
        ..RandomConfig::default()
    };
    let held = splits.iter().filter(|s| **s == Split::HeldOut).count();
    let total = covers.len() * cfg.families.len() * cfg.samples;
    eprintln!(
        "evaluating {} on {} covers ({} held out) x {} families x {} samples = {total} trials (seed {}) ...",
        watermark.name(),
        covers.len(),
        held,
        cfg.families.len(),
        cfg.samples,
        cfg.seed
    );
    let bar = crate::output::progress_of(total, "trials");
    let result = edgemark_eval::evaluate_random(&watermark, &covers, &splits, &cfg, &|| bar.inc(1))
        .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    print!("{}", report::random_table(&result));
    for p in report::write_random(&result, &a.out).map_err(|e| e.to_string())? {
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
