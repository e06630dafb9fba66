//! What the CLI prints: tables for people, JSON lines for programs, a progress bar.

use edgemark::Report;
use serde::Serialize;

/// One file's outcome.
pub struct FileResult {
    pub file: String,
    pub result: Result<Report, String>,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    findings: &'a [edgemark::Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

pub fn json_lines(results: &[FileResult]) {
    for r in results {
        let line = match &r.result {
            Ok(rep) => JsonLine {
                file: &r.file,
                width: Some(rep.width),
                height: Some(rep.height),
                findings: &rep.findings,
                error: None,
            },
            Err(e) => JsonLine {
                file: &r.file,
                width: None,
                height: None,
                findings: &[],
                error: Some(e),
            },
        };
        match serde_json::to_string(&line) {
            Ok(s) => println!("{s}"),
            Err(e) => println!("{{\"file\":{:?},\"error\":{:?}}}", r.file, e.to_string()),
        }
    }
}

pub fn table(results: &[FileResult]) {
    let width = results
        .iter()
        .map(|r| r.file.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    println!(
        "{:<width$}  {:<8} {:<9} {:>6}  {:>9}  PAYLOAD",
        "FILE", "SCHEME", "DETECTED", "MATCH", "P-VALUE"
    );
    for r in results {
        match &r.result {
            Err(e) => println!("{:<width$}  error: {e}", r.file),
            Ok(rep) => {
                for f in &rep.findings {
                    if let Some(e) = &f.error {
                        println!("{:<width$}  {:<8} error: {e}", r.file, f.scheme);
                        continue;
                    }
                    let matched = f
                        .matched_bits
                        .map_or("-".to_string(), |k| format!("{k}/{}", f.total_bits));
                    let p = f.p_value.map_or("-".to_string(), |p| {
                        if p >= 0.01 {
                            format!("{p:.2}")
                        } else {
                            format!("{p:.1e}")
                        }
                    });
                    println!(
                        "{:<width$}  {:<8} {:<9} {:>6}  {:>9}  {}",
                        r.file,
                        f.scheme,
                        if f.detected { "YES" } else { "no" },
                        matched,
                        p,
                        f.payload.hex
                    );
                }
            }
        }
    }
}

pub fn schemes(json: bool) {
    let rows: Vec<(&str, &str, &str)> = edgemark::PRESETS
        .iter()
        .map(|(n, d)| ("preset", *n, *d))
        .chain([
            ("scheme", "dwtDct", "invisible-watermark's dwtDct: Haar LL of U, largest |coefficient| per 4x4 block, step 36; any bit length"),
            ("scheme", "dwtDctSvd", "invisible-watermark's dwtDctSvd: largest singular value of each block's DCT, step 36; any bit length"),
            ("model", "edgemark-hidden-48", "EdgeMark's own learned tiled watermark (ONNX through tract): 48 bits, reads crops and common rescales; ships in models/"),
            ("model", "rivagan", "RivaGAN (ONNX through tract): 32 bits from the central 256x256 window; needs scripts/fetch-rivagan.sh"),
        ])
        .collect();
    for (kind, name, desc) in rows {
        if json {
            println!(
                "{}",
                serde_json::json!({"kind": kind, "name": name, "description": desc})
            );
        } else {
            println!("{kind:<7} {name:<10} {desc}");
        }
    }
}

pub fn progress(n: usize) -> indicatif::ProgressBar {
    progress_of(n, "images")
}

/// A progress bar on stderr counting `n` `unit`s (hidden for fewer than 2).
pub fn progress_of(n: usize, unit: &str) -> indicatif::ProgressBar {
    if n < 2 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(n as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {unit} {{elapsed_precise}} eta {{eta}}"
    )) {
        bar.set_style(style);
    }
    bar
}
