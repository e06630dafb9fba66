//! `edgemark`: detect and embed invisible watermarks from the command line.

mod dataset;
mod eval;
mod files;
mod output;
mod screen;
mod select;

use clap::{Parser, Subcommand};
use edgemark::{Detector, Image};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "edgemark",
    version,
    about = "Find and embed invisible watermarks in images"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Detect watermarks in images or folders (recursively).
    Detect {
        /// Image files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        select: select::Selection,
        /// Theoretical false-positive rate per image, over all the watermarks looked for.
        #[arg(long, default_value_t = edgemark::DEFAULT_FPR)]
        fpr: f64,
        /// Worker threads (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Extra trust anchors for C2PA signers (a PEM file of certificates), on top of the
        /// bundled C2PA trust list.
        #[arg(long, value_name = "PEM")]
        c2pa_anchors: Option<PathBuf>,
    },
    /// Embed a watermark: IN -> OUT (format from OUT's extension; use PNG).
    Embed {
        /// Scheme or preset, e.g. sdxl, dwtDct, edgemark-v3, edgemark-hidden-48 (see
        /// `edgemark schemes`).
        #[arg(long)]
        scheme: String,
        /// Message: 0xHEX, bits:0101..., text:..., or bare hex (presets have their own).
        #[arg(long)]
        message: Option<String>,
        /// `clean` (default for dwtDct/dwtDctSvd: high PSNR) or `compat` (imwatermark's
        /// exact pixels).
        #[arg(long)]
        style: Option<String>,
        /// `uint8` (default: readable by imwatermark on cv2.imread images) or `float`.
        #[arg(long)]
        convention: Option<String>,
        input: PathBuf,
        output: PathBuf,
    },
    /// Robustness evaluation: embed -> attack -> detect over a folder of covers; prints a
    /// table and writes CSV/JSON (and a PNG chart with --plot).
    Eval(eval::EvalArgs),
    /// False positives: per scheme, how many clean images fire at the default threshold.
    Fpr(eval::FprArgs),
    /// Mark a dataset for a recipient, or audit a suspect collection against the manifests.
    #[command(subcommand)]
    Dataset(dataset::DatasetCommand),
    /// Render a screen overlay carrying a viewer's ID (RGBA PNG to draw over the screen).
    Overlay(screen::OverlayArgs),
    /// Name the viewer a screenshot (or a photo of a screen) was shown to, from its overlay.
    Trace(screen::TraceArgs),
    /// List the presets, schemes and models (model cards found in the model folders).
    Schemes {
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Detect {
            paths,
            json,
            select,
            fpr,
            jobs,
            c2pa_anchors,
        } => detect(&paths, json, &select, fpr, jobs, c2pa_anchors.as_deref()),
        Command::Embed {
            scheme,
            message,
            style,
            convention,
            input,
            output,
        } => embed(
            &scheme,
            message.as_deref(),
            style.as_deref(),
            convention.as_deref(),
            &input,
            &output,
        ),
        Command::Eval(args) => eval::eval(&args),
        Command::Fpr(args) => eval::fpr(&args),
        Command::Dataset(c) => dataset::run(&c),
        Command::Overlay(args) => screen::overlay(&args),
        Command::Trace(args) => screen::trace(&args),
        Command::Schemes { json } => {
            output::schemes(json);
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edgemark: {e}");
            ExitCode::from(2)
        }
    }
}

fn detect(
    paths: &[PathBuf],
    json: bool,
    select: &select::Selection,
    fpr: f64,
    jobs: Option<usize>,
    c2pa_anchors: Option<&Path>,
) -> Result<(), String> {
    let mut trust = edgemark::provenance::C2paTrust::bundled();
    if let Some(path) = c2pa_anchors {
        let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        trust = trust
            .with_anchors(&pem)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let detector = select
        .watermarks()?
        .into_iter()
        .fold(Detector::new(), Detector::with)
        .with_fpr(fpr)
        .map_err(|e| e.to_string())?
        .with_c2pa_trust(trust);
    let (files, missing) = files::collect(paths);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| e.to_string())?;
    let bar = output::progress(files.len());
    // Files are read a chunk at a time (bounded memory) and detected with the batch API.
    let chunk = 4 * pool.current_num_threads().max(1);
    let mut results: Vec<output::FileResult> = Vec::with_capacity(files.len());
    for group in files.chunks(chunk) {
        let read: Vec<Result<Vec<u8>, String>> = pool.install(|| {
            group
                .par_iter()
                .map(|f| std::fs::read(f).map_err(|e| e.to_string()))
                .collect()
        });
        let bytes: Vec<&[u8]> = read
            .iter()
            .map(|r| r.as_deref().unwrap_or_default())
            .collect();
        let reports = pool.install(|| detector.detect_many_bytes(&bytes));
        for ((f, r), report) in group.iter().zip(read).zip(reports) {
            results.push(output::FileResult {
                file: f.display().to_string(),
                result: r.and_then(|_| report.map_err(|e| e.to_string())),
            });
        }
        bar.inc(group.len() as u64);
    }
    bar.finish_and_clear();
    let mut all: Vec<output::FileResult> = missing
        .into_iter()
        .map(|(p, e)| output::FileResult {
            file: p.display().to_string(),
            result: Err(e),
        })
        .collect();
    all.extend(results);
    if json {
        output::json_lines(&all);
    } else {
        output::table(&all);
    }
    Ok(())
}

fn embed(
    scheme: &str,
    message: Option<&str>,
    style: Option<&str>,
    convention: Option<&str>,
    input: &std::path::Path,
    output: &std::path::Path,
) -> Result<(), String> {
    let watermark = select::for_embedding(scheme, message, style, convention)?;
    let cover = Image::open(input).map_err(|e| e.to_string())?;
    let marked = watermark.embed(&cover, None).map_err(|e| e.to_string())?;
    if matches!(
        output
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("jpg" | "jpeg")
    ) {
        eprintln!(
            "edgemark: warning: JPEG is lossy; EdgeMark writes it 4:4:4 at quality 95, which dwtDct survives, but most re-encoders subsample chroma 4:2:0, which erases it; prefer PNG"
        );
    }
    marked.save(output).map_err(|e| e.to_string())?;
    let psnr = edgemark::image::psnr(&cover, &marked);
    eprintln!(
        "embedded {} ({} bits) into {} -> {} (PSNR {:.2} dB)",
        watermark.name(),
        watermark.scheme().bit_len(),
        input.display(),
        output.display(),
        psnr
    );
    Ok(())
}
