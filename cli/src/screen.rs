//! `edgemark overlay` (render a viewer's screen overlay) and `edgemark trace` (name the viewer
//! a screenshot was shown to).

use crate::{files, output};
use edgemark::overlay::{self, Overlay};
use edgemark::trace::{self, Tracer};
use edgemark::Image;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// `edgemark overlay`'s arguments.
#[derive(clap::Args)]
pub struct OverlayArgs {
    /// The viewer's ID: decimal or 0x-hex, at most 32 bits.
    #[arg(long)]
    id: String,
    /// Size of the PNG, WxH (default: one 128x128 tile, to repeat).
    #[arg(long)]
    size: Option<String>,
    /// RMS opacity of the tile in 1/255 units (0.5-32).
    #[arg(long, default_value_t = overlay::DEFAULT_STRENGTH)]
    strength: f32,
    /// Output: a .png (straight RGBA), or .rgba for the raw bytes (row-major, 4 a pixel).
    #[arg(long)]
    out: PathBuf,
}

/// `edgemark trace`'s arguments.
#[derive(clap::Args)]
pub struct TraceArgs {
    /// Screenshots or photos of screens, or folders of them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The issued IDs: a CSV of `id,name` lines (a header line `id,...` is allowed). Without
    /// it the error-correcting code names the ID.
    #[arg(long)]
    ids: Option<PathBuf>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    /// False-positive rate per image (the correction for every ID and geometry tried is in
    /// the p-value).
    #[arg(long, default_value_t = edgemark::DEFAULT_FPR)]
    fpr: f64,
    /// Screenshots only: skip the reading for camera photos of screens (photo whitening,
    /// keystone views, corner windows), about 10x faster on images without an overlay.
    #[arg(long)]
    screenshots_only: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("--size '{s}': expected WxH, e.g. 1920x1080");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    Ok((
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    ))
}

pub fn overlay(args: &OverlayArgs) -> Result<(), String> {
    let id = overlay::parse_id(&args.id).map_err(|e| e.to_string())?;
    let o = Overlay::new(id, args.strength).map_err(|e| e.to_string())?;
    let (w, h) = match &args.size {
        Some(s) => parse_size(s)?,
        None => (overlay::TILE_SIDE as u32, overlay::TILE_SIDE as u32),
    };
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("png") => {
            let image = o.render_image(w, h).map_err(|e| e.to_string())?;
            image.save(&args.out).map_err(|e| e.to_string())?;
        }
        // Raw straight RGBA, row-major: what the C ABI's edgemark_overlay_render writes.
        Some("rgba") => {
            let raw = o.render(w, h).map_err(|e| e.to_string())?;
            std::fs::write(&args.out, raw).map_err(|e| format!("{}: {e}", args.out.display()))?;
        }
        _ => {
            return Err(format!(
                "{}: the overlay needs an alpha channel: name it .png, or .rgba for raw RGBA bytes",
                args.out.display()
            ))
        }
    }
    eprintln!(
        "overlay for ID {id} (0x{id:08X}), strength {}: {w}x{h} -> {} (repeat it from the top-left corner at one tile pixel per device pixel)",
        args.strength,
        args.out.display()
    );
    Ok(())
}

pub fn trace(args: &TraceArgs) -> Result<(), String> {
    let mut tracer = Tracer::new()
        .and_then(|t| t.with_fpr(args.fpr))
        .map_err(|e| e.to_string())?;
    if args.screenshots_only {
        tracer = tracer.screenshots_only();
    }
    if let Some(path) = &args.ids {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let ids = trace::parse_ids(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if ids.is_empty() {
            return Err(format!("{}: lists no IDs", path.display()));
        }
        tracer = tracer.with_ids(ids).map_err(|e| e.to_string())?;
    }
    let (files, missing) = files::collect(&args.paths);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .map_err(|e| e.to_string())?;
    let bar = output::progress(files.len());
    let run = |f: &Path| -> Result<trace::Trace, String> {
        let image = Image::open(f).map_err(|e| e.to_string())?;
        tracer.trace(&image).map_err(|e| e.to_string())
    };
    let mut results: Vec<(String, Result<trace::Trace, String>)> = missing
        .into_iter()
        .map(|(p, e)| (p.display().to_string(), Err(e)))
        .collect();
    results.extend(pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let r = run(f);
                bar.inc(1);
                (f.display().to_string(), r)
            })
            .collect::<Vec<_>>()
    }));
    bar.finish_and_clear();
    for (file, r) in &results {
        if args.json {
            let v = match r {
                Ok(t) => {
                    let mut v = serde_json::to_value(t).map_err(|e| e.to_string())?;
                    v["file"] = file.as_str().into();
                    v
                }
                Err(e) => serde_json::json!({"file": file, "detected": false, "error": e}),
            };
            println!("{v}");
        } else {
            match r {
                Ok(t) if t.detected => println!(
                    "{file}: ID {}{} (p = {:.2e}, {}/{} code bits, {})",
                    t.id.map(|i| format!("{i} (0x{i:08X})")).unwrap_or_default(),
                    t.name
                        .as_deref()
                        .map(|n| format!(" {n}"))
                        .unwrap_or_default(),
                    t.p_value.unwrap_or(1.0),
                    t.matched_bits.unwrap_or(0),
                    t.total_bits,
                    t.geometry.as_deref().unwrap_or("")
                ),
                Ok(t) => println!(
                    "{file}: no overlay found (p = {})",
                    t.p_value
                        .map(|p| format!("{p:.2e}"))
                        .unwrap_or_else(|| "n/a: nothing to read".into())
                ),
                Err(e) => println!("{file}: error: {e}"),
            }
        }
    }
    Ok(())
}
