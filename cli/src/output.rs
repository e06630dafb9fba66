//! What the CLI prints: tables for people, JSON lines for programs, a progress bar.

use edgemark::Report;

/// One file's outcome.
pub struct FileResult {
    pub file: String,
    pub result: Result<Report, String>,
}

pub fn json_lines(results: &[FileResult]) {
    for r in results {
        let record = edgemark::detector::Record::new(
            Some(&r.file),
            r.result.as_ref().map_err(String::as_str),
        );
        match serde_json::to_string(&record) {
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
        "{:<width$}  {:<14} {:<9} {:>7}  {:>9}  PAYLOAD",
        "FILE", "WATERMARK", "DETECTED", "MATCH", "P-VALUE"
    );
    for r in results {
        match &r.result {
            Err(e) => println!("{:<width$}  error: {e}", r.file),
            Ok(rep) => {
                for f in &rep.findings {
                    if let Some(e) = &f.error {
                        println!("{:<width$}  {:<14} error: {e}", r.file, f.watermark);
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
                        "{:<width$}  {:<14} {:<9} {:>7}  {:>9}  {}",
                        r.file,
                        f.watermark,
                        if f.detected { "YES" } else { "no" },
                        matched,
                        p,
                        f.payload.hex
                    );
                }
                println!(
                    "{:<width$}  AI-generated: {}",
                    r.file,
                    verdict(&rep.provenance)
                );
            }
        }
    }
}

/// The name a unit enum has in the JSON output (`"text_chunk"`, `"untrusted_signer"`).
fn json_name(value: impl serde::Serialize) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

/// The provenance line of the table: the verdict and its evidence's sources.
fn verdict(p: &edgemark::provenance::Provenance) -> String {
    let answer = match p.ai_generated {
        Some(true) => "YES",
        Some(false) => "no (camera)",
        None => "unknown",
    };
    if p.evidence.is_empty() {
        return format!("{answer} (no evidence)");
    }
    let sources: Vec<String> = p
        .evidence
        .iter()
        .map(|e| {
            let kind = json_name(e.kind).unwrap_or_default();
            let signed = if e.signed { ", signed" } else { "" };
            // A C2PA manifest that is not signed says why: untrusted signer, invalid, ...
            let state = e
                .c2pa
                .as_ref()
                .filter(|_| !e.signed)
                .and_then(|c| json_name(c.validation))
                .map(|s| format!(", {s}"))
                .unwrap_or_default();
            format!("{kind} {}{signed}{state}", e.source)
        })
        .collect();
    format!("{answer} ({})", sources.join("; "))
}

/// `edgemark schemes`: every entry of the registry (presets, schemes and the models whose
/// cards are found), with its payload size (`bits`, what a message holds) and the bits an
/// image carries (`code_bits`: more when the scheme adds error correction), `null` where the
/// user chooses the length; `preset`: usable with `--preset`; `default`: looked for when
/// nothing is chosen. Model cards that could not be listed are noted on stderr.
pub fn schemes(json: bool) {
    let registry = crate::select::registry();
    for e in registry.entries() {
        if json {
            match serde_json::to_string(e) {
                Ok(line) => println!("{line}"),
                Err(err) => eprintln!("edgemark: {}: {err}", e.name),
            }
        } else {
            println!("{:<7} {:<19} {}", e.kind.group(), e.name, e.description);
        }
    }
    for note in registry.skipped() {
        eprintln!("edgemark: note: {note}");
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
