//! Bit compatibility with the real Python `invisible-watermark` 0.2.0, both ways:
//! images embedded by imwatermark decode to the same bits here, and images embedded here
//! decode in imwatermark. Runs the reference (tests/python/imw.py) in the venv made by
//! scripts/setup-python.sh on photographs fetched by scripts/fetch-photos.sh.

use edgemark::{Bits, Classic, ClassicKind, Convention, EmbedStyle, Image, Scheme};
use edgemark_tests::*;
use std::path::PathBuf;

const MSG: &str = "B3EC907BB19E";

fn scheme(kind: ClassicKind, style: EmbedStyle) -> Classic {
    Classic::new(kind, 48, [0.0, 36.0], 4)
        .unwrap()
        .with_embed_style(style)
}

fn method(kind: ClassicKind) -> &'static str {
    match kind {
        ClassicKind::DwtDct => "dwtDct",
        _ => "dwtDctSvd",
    }
}

/// Covers: cropped photos saved as PNG (so both sides read identical pixels).
fn covers(dir: &std::path::Path, n: usize) -> Option<Vec<PathBuf>> {
    cropped_covers(dir, n, 384)
}

fn our_bits(kind: ClassicKind, file: &std::path::Path, convention: Convention) -> String {
    let s = scheme(kind, EmbedStyle::default());
    let readings = s.decode(&Image::open(file).unwrap()).unwrap();
    readings
        .into_iter()
        .find(|r| r.variant == convention.as_str())
        .unwrap()
        .bits
        .to_string()
}

#[test]
fn decodes_imwatermark_embeddings_bit_for_bit() {
    let Some(py) = python() else { return };
    let dir = scratch("ref-decode");
    let Some(covers) = covers(&dir, 8) else {
        return;
    };
    for kind in [ClassicKind::DwtDct, ClassicKind::DwtDctSvd] {
        // imwatermark embeds on the uint8 image and on the float image (SDXL's way).
        let mut files = covers.clone();
        for c in &covers {
            for path in ["uint8", "float"] {
                let out = dir.join(format!(
                    "{}-{}-{path}.png",
                    c.file_stem().unwrap().to_string_lossy(),
                    method(kind)
                ));
                imw(
                    &py,
                    &[
                        "embed",
                        "--method",
                        method(kind),
                        "--hex",
                        MSG,
                        "--path",
                        path,
                        c.to_str().unwrap(),
                        out.to_str().unwrap(),
                    ],
                );
                files.push(out);
            }
        }
        for (path, convention) in [("uint8", Convention::Uint8), ("float", Convention::Float)] {
            let reference = imw_decode(&py, method(kind), 48, path, &files);
            let mut mismatched = Vec::new();
            for (f, want) in files.iter().zip(&reference) {
                let got = our_bits(kind, f, convention);
                if &got != want {
                    mismatched.push(format!("{}: ours {got} imwatermark {want}", f.display()));
                }
            }
            // dwtDctSvd goes through an SVD: LAPACK's and ours may round a singular value that
            // sits exactly on a decision boundary differently. dwtDct has no such freedom.
            let allowed = if kind == ClassicKind::DwtDct {
                0
            } else {
                files.len() / 10
            };
            assert!(
                mismatched.len() <= allowed,
                "{} {path}: {} of {} files differ:\n{}",
                method(kind),
                mismatched.len(),
                files.len(),
                mismatched.join("\n")
            );
        }
    }
}

#[test]
fn imwatermark_decodes_our_embeddings() {
    let Some(py) = python() else { return };
    let dir = scratch("ref-embed");
    let Some(covers) = covers(&dir, 8) else {
        return;
    };
    let msg = Bits::from_hex(MSG).unwrap();
    for kind in [ClassicKind::DwtDct, ClassicKind::DwtDctSvd] {
        for (path, convention) in [("uint8", Convention::Uint8), ("float", Convention::Float)] {
            for compat in [true, false] {
                let s = scheme(kind, EmbedStyle::new(convention, compat));
                let mut files = Vec::new();
                for c in &covers {
                    let out = dir.join(format!(
                        "{}-{}-{path}-{}.png",
                        c.file_stem().unwrap().to_string_lossy(),
                        method(kind),
                        if compat { "compat" } else { "clean" }
                    ));
                    s.embed(&Image::open(c).unwrap(), &msg)
                        .unwrap()
                        .save(&out)
                        .unwrap();
                    files.push(out);
                }
                let decoded = imw_decode(&py, method(kind), 48, path, &files);
                let total: usize = decoded
                    .iter()
                    .map(|b| Bits::from_bit_str(b).unwrap().matches(&msg))
                    .sum();
                let acc = total as f64 / (48 * files.len()) as f64;
                eprintln!(
                    "{} {path} compat={compat}: imwatermark bit accuracy {acc:.4}",
                    method(kind)
                );
                // Clean embedding keeps the carrying element the block maximum, so imwatermark
                // reads it better than its own embedding; compat reproduces imwatermark's
                // own (lower, for 8-bit dwtDct) accuracy.
                let floor = match (kind, convention, compat) {
                    // Clean 8-bit: 1.0 measured. Clean float: 0.97 measured; saturated colours
                    // (B at 0 or 255) cannot move chroma towards small float values.
                    (_, Convention::Uint8, false) => 0.99,
                    (_, Convention::Float, false) => 0.95,
                    // imwatermark's own embeddings read this well in imwatermark (measured
                    // on the same covers: uint8 0.98, float 0.93 after rounding to 8 bits).
                    (ClassicKind::DwtDct, Convention::Float, true) => 0.90,
                    _ => 0.95,
                };
                assert!(
                    acc >= floor,
                    "{} {path} compat={compat}: {acc:.4} < {floor}",
                    method(kind)
                );
            }
        }
    }
}

#[test]
fn compat_embedding_reproduces_imwatermark_pixels() {
    let Some(py) = python() else { return };
    let dir = scratch("ref-pixels");
    let Some(covers) = covers(&dir, 6) else {
        return;
    };
    let msg = Bits::from_hex(MSG).unwrap();
    for (path, convention) in [("uint8", Convention::Uint8), ("float", Convention::Float)] {
        let s = scheme(ClassicKind::DwtDct, EmbedStyle::new(convention, true));
        let (mut same, mut total, mut worst) = (0usize, 0usize, 0i32);
        for c in &covers {
            let theirs_path = dir.join(format!(
                "{}-{path}-ref.png",
                c.file_stem().unwrap().to_string_lossy()
            ));
            imw(
                &py,
                &[
                    "embed",
                    "--method",
                    "dwtDct",
                    "--hex",
                    MSG,
                    "--path",
                    path,
                    c.to_str().unwrap(),
                    theirs_path.to_str().unwrap(),
                ],
            );
            let theirs = Image::open(&theirs_path).unwrap();
            let ours = s.embed(&Image::open(c).unwrap(), &msg).unwrap();
            for (a, b) in ours.rgb().iter().zip(theirs.rgb()) {
                total += 1;
                same += usize::from(a == b);
                worst = worst.max((i32::from(*a) - i32::from(*b)).abs());
            }
        }
        let frac = same as f64 / total as f64;
        eprintln!("dwtDct {path} compat: {frac:.6} of samples identical to imwatermark, worst difference {worst}");
        assert!(frac >= 0.999, "{path}: only {frac:.6} identical");
        assert!(worst <= 2, "{path}: worst difference {worst}");
    }
}
