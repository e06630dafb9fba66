//! RivaGAN through EdgeMark's neural scheme, against the real imwatermark 0.2.0 rivaGan code.
//!
//! The reference is tests/python/rivagan_ref.py: the package's unchanged rivaGan.py
//! (RivaWatermark) and its own ONNX files run by onnxruntime. rivaGan.py imports torch, which
//! is not installed (the Linux wheel brings GBs of CUDA libraries), so the script gives it a
//! small numpy stand-in for the reshaping/scaling calls it makes; the arithmetic is the same
//! float32 element-wise arithmetic. Models come from scripts/fetch-rivagan.sh, photographs
//! from scripts/fetch-photos.sh, the Python environment from scripts/setup-python.sh.

use edgemark::neural::{ModelCard, Neural};
use edgemark::{Bits, Detector, Error, Image, Scheme, Watermark};
use edgemark_tests::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn rivagan() -> Option<Neural> {
    Some(Neural::load(rivagan_card()?).expect("rivagan loads"))
}

fn reference(py: &Path, args: &[&str]) -> String {
    let out = Command::new(py)
        .arg(root().join("tests/python/rivagan_ref.py"))
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "rivagan_ref.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// (bits, raw outputs) per file from the reference decoder.
fn reference_decode(py: &Path, files: &[PathBuf]) -> Vec<(String, Vec<f64>)> {
    let mut args = vec!["decode".to_string()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    reference(py, &args)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            let raw = v["raw"]
                .as_array()
                .expect("raw")
                .iter()
                .map(|x| x.as_f64().expect("number"))
                .collect();
            (v["bits"].as_str().expect("bits").to_string(), raw)
        })
        .collect()
}

/// 256x256 native-resolution crops of `n` photographs, saved as PNG.
fn covers(dir: &Path, n: usize) -> Option<Vec<PathBuf>> {
    cropped_covers(dir, n, 256)
}

fn message(i: usize) -> Bits {
    let v = (0x9E37_79B9u64.wrapping_mul(i as u64 + 1) >> 3) as u32;
    Bits::from_hex(&format!("{v:08X}")).unwrap()
}

fn bits_of(s: &Neural, file: &Path) -> (String, Vec<f32>) {
    let img = Image::open(file).unwrap();
    let r = s.decode(&img).unwrap();
    (r[0].bits.to_string(), s.decode_raw(&img).unwrap())
}

#[test]
fn decodes_imwatermark_rivagan_bit_for_bit() {
    let Some(s) = rivagan() else { return };
    let Some(py) = python() else { return };
    let dir = scratch("rivagan-decode");
    let Some(covers) = covers(&dir, 6) else {
        return;
    };
    let mut marked = Vec::new();
    for (i, c) in covers.iter().enumerate() {
        let out = dir.join(format!("marked-{i}.png"));
        let hex = message(i).to_hex();
        reference(
            &py,
            &[
                "embed",
                "--hex",
                hex.trim_start_matches("0x"),
                &c.display().to_string(),
                &out.display().to_string(),
            ],
        );
        marked.push(out);
    }
    let mut files = marked.clone();
    files.extend(covers.iter().cloned()); // unmarked covers: the bits must agree there too
    let want = reference_decode(&py, &files);
    let mut correct = 0;
    for (i, (f, (ref_bits, ref_raw))) in files.iter().zip(&want).enumerate() {
        let (bits, raw) = bits_of(&s, f);
        assert_eq!(
            &bits,
            ref_bits,
            "{}: bits differ from imwatermark",
            f.display()
        );
        let worst = raw
            .iter()
            .zip(ref_raw)
            .map(|(a, b)| (f64::from(*a) - b).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-2,
            "{}: raw outputs differ by {worst}",
            f.display()
        );
        if i < marked.len() {
            correct += Bits::from_bit_str(&bits).unwrap().matches(&message(i));
        }
    }
    // The marks are really there (not just two decoders agreeing on noise).
    let acc = correct as f64 / (32 * marked.len()) as f64;
    assert!(acc >= 0.9, "messages read back with bit accuracy {acc}");
}

#[test]
fn embeds_like_imwatermark_and_imwatermark_reads_it() {
    let Some(s) = rivagan() else { return };
    let Some(py) = python() else { return };
    let dir = scratch("rivagan-embed");
    let Some(covers) = covers(&dir, 4) else {
        return;
    };
    let mut ours = Vec::new();
    let mut theirs_files = Vec::new();
    for (i, c) in covers.iter().enumerate() {
        let cover = Image::open(c).unwrap();
        let marked = s.embed(&cover, &message(i)).unwrap();
        let out = dir.join(format!("ours-{i}.png"));
        marked.save(&out).unwrap();
        let theirs = dir.join(format!("theirs-{i}.png"));
        let hex = message(i).to_hex();
        reference(
            &py,
            &[
                "embed",
                "--hex",
                hex.trim_start_matches("0x"),
                &c.display().to_string(),
                &theirs.display().to_string(),
            ],
        );
        theirs_files.push(theirs.clone());
        // Same pixels up to float rounding before truncation.
        let theirs = Image::open(&theirs).unwrap();
        let diff: Vec<i32> = marked
            .rgb()
            .iter()
            .zip(theirs.rgb())
            .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
            .collect();
        let max = diff.iter().copied().max().unwrap();
        let same = diff.iter().filter(|&&d| d == 0).count() as f64 / diff.len() as f64;
        assert!(
            max <= 1 && same > 0.99,
            "pixels differ from imwatermark: max {max}, same {same}"
        );
        assert_ne!(marked.rgb(), cover.rgb(), "embedding changed nothing");
        ours.push(out);
    }
    let read = reference_decode(&py, &ours);
    let theirs = reference_decode(&py, &theirs_files);
    let mut agree = 0;
    for (i, ((ours, _), (theirs, _))) in read.iter().zip(&theirs).enumerate() {
        // imwatermark reads our embedding exactly as it reads its own.
        assert_eq!(
            ours, theirs,
            "image {i}: imwatermark reads ours and its own differently"
        );
        agree += Bits::from_bit_str(ours).unwrap().matches(&message(i));
    }
    let acc = agree as f64 / (32 * read.len()) as f64;
    assert!(
        acc >= 0.9,
        "imwatermark reads our messages with bit accuracy {acc}"
    );
}

#[test]
fn detector_reports_rivagan_with_p_value() {
    let Some(s) = rivagan() else { return };
    let Some(photos) = photos() else { return };
    let cover = load_cropped(&photos[0], 300);
    let msg = Bits::from_hex("0xC0FFEE42").unwrap();
    let marked = s.embed(&cover, &msg).unwrap();
    let det = Detector::new().with(Watermark::new("rivagan", s, Some(msg)).unwrap());
    let reports = det.detect_many(&[marked, cover]);
    let (hit, miss) = (&reports[0].findings[0], &reports[1].findings[0]);
    assert!(hit.detected, "{hit:?}");
    assert!(hit.p_value.unwrap() < 1e-6);
    assert!(!miss.detected, "{miss:?}");
    assert!(miss.p_value.unwrap() > 1e-6);
}

fn card_text() -> Option<String> {
    Some(std::fs::read_to_string(rivagan_card()?).unwrap())
}

fn model_error(r: edgemark::Result<Neural>) -> String {
    match r {
        Err(Error::Model { message: m, .. }) => m,
        Err(e) => panic!("expected a model error, got {e}"),
        Ok(_) => panic!("expected a model error, got a scheme"),
    }
}

fn decoder_bytes() -> Vec<u8> {
    std::fs::read(root().join("models/rivagan/rivagan_decoder.onnx")).unwrap()
}

fn decoder_only(card: &str) -> ModelCard {
    let card = card.split("[encoder]").next().unwrap();
    ModelCard::from_toml(card).unwrap()
}

#[test]
fn corrupt_or_wrong_onnx_is_a_model_error() {
    let Some(text) = card_text() else { return };
    let card = decoder_only(&text);
    let good = decoder_bytes();
    let truncated = &good[..good.len() / 2];
    let m = model_error(Neural::from_bytes(card.clone(), truncated, None));
    assert!(m.contains("rivagan decoder"), "{m}");
    let m = model_error(Neural::from_bytes(
        card.clone(),
        b"not an onnx file at all",
        None,
    ));
    assert!(m.contains("rivagan decoder"), "{m}");
    let m = model_error(Neural::from_bytes(card.clone(), &[], None));
    assert!(m.contains("empty"), "{m}");
    // The encoder given as decoder: two inputs.
    let enc = std::fs::read(root().join("models/rivagan/rivagan_encoder.onnx")).unwrap();
    let m = model_error(Neural::from_bytes(card, &enc, None));
    assert!(m.contains("one input") || m.contains("'output'"), "{m}");
}

#[test]
fn card_that_does_not_match_the_model_is_a_model_error() {
    let Some(text) = card_text() else { return };
    let good = decoder_bytes();
    let with = |from: &str, to: &str| {
        assert!(text.contains(from), "card has no {from}");
        decoder_only(&text.replacen(from, to, 1))
    };
    let m = model_error(Neural::from_bytes(
        with("bits = 32", "bits = 48"),
        &good,
        None,
    ));
    assert!(m.contains("48 bits") && m.contains("32"), "{m}");
    let m = model_error(Neural::from_bytes(
        with("input = \"frame\"", "input = \"image\""),
        &good,
        None,
    ));
    assert!(m.contains("'image'") && m.contains("frame"), "{m}");
    let m = model_error(Neural::from_bytes(
        with("output = \"output\"", "output = \"bits\""),
        &good,
        None,
    ));
    assert!(m.contains("'bits'"), "{m}");
    let m = model_error(Neural::from_bytes(
        with("layout = \"NC1HW\"", "layout = \"NCHW\""),
        &good,
        None,
    ));
    assert!(m.contains("rank 5") && m.contains("4 axes"), "{m}");
    // Card naming an encoder but no encoder bytes.
    let m = model_error(Neural::from_bytes(
        ModelCard::from_toml(&text).unwrap(),
        &good,
        None,
    ));
    assert!(m.contains("encoder"), "{m}");
    // Invalid cards.
    for (from, to, needle) in [
        ("bits = 32", "bits = 0", "bits"),
        ("layout = \"NC1HW\"", "layout = \"NCXHW\"", "unknown axis"),
        ("colour = \"bgr\"", "colour = \"hsv\"", "colour"),
        ("scale = 127.5", "scale = 0.0", "scale"),
        ("kind = \"logits\"", "kind = \"mask\"", "kind"),
    ] {
        match ModelCard::from_toml(&text.replacen(from, to, 1)) {
            Err(Error::Model { message: m, .. }) => assert!(m.contains(needle), "{to}: {m}"),
            other => panic!("{to}: expected a model error, got {other:?}"),
        }
    }
    // A missing model file.
    let dir = scratch("rivagan-missing");
    std::fs::write(dir.join("card.toml"), &text).unwrap();
    match Neural::load(dir.join("card.toml")) {
        Err(Error::Io { path, .. }) => assert!(path.ends_with("rivagan_decoder.onnx"), "{path}"),
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

#[test]
fn neural_scheme_is_shared_across_threads() {
    let Some(s) = rivagan() else { return };
    let Some(photos) = photos() else { return };
    let images: Vec<Image> = photos
        .iter()
        .take(4)
        .map(|p| load_cropped(p, 256))
        .collect();
    let serial: Vec<Vec<f32>> = images.iter().map(|i| s.decode_raw(i).unwrap()).collect();
    let parallel: Vec<Vec<f32>> = std::thread::scope(|sc| {
        let hs: Vec<_> = images
            .iter()
            .map(|i| sc.spawn(|| s.decode_raw(i).unwrap()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(serial, parallel);
}

/// imwatermark decodes RivaGAN on the whole frame (the decoder ends in a mean over positions);
/// EdgeMark's card (`windows = 16`) reads an image of up to 16 windows' area whole as well, and
/// a larger one through windows spread over it. On photos whose middle is dark (a night
/// scene's: where the mark is weakest) it reads the bits imwatermark reads, more of them right
/// than the central window alone (what EdgeMark read before; the card with `windows = 1`); a
/// card that may read only 2 windows of these 3-window-area images takes the grid, which reads
/// at least as many bits right as the central window.
#[test]
fn reads_as_much_of_the_frame_as_imwatermark() {
    let Some(s) = rivagan() else { return };
    let Some(py) = python() else { return };
    let Some(photos) = photos() else { return };
    let card_path = rivagan_card().expect("card");
    let text = std::fs::read_to_string(&card_path).unwrap();
    assert!(text.contains("\nwindows = 16"), "the card reads 16 windows");
    let models = card_path.parent().unwrap();
    let with_windows = |n: u32| {
        Neural::from_bytes(
            ModelCard::from_toml(&text.replace("\nwindows = 16", &format!("\nwindows = {n}")))
                .unwrap(),
            &std::fs::read(models.join("rivagan_decoder.onnx")).unwrap(),
            Some(&std::fs::read(models.join("rivagan_encoder.onnx")).unwrap()),
        )
        .unwrap()
    };
    let (centre, two) = (with_windows(1), with_windows(2));
    let dir = scratch("rivagan-windows");
    let msg = Bits::from_hex("0xDEADBEEF").unwrap();
    let (w, h) = (512u32, 384u32);
    let mut marked = Vec::new();
    for p in photos.iter() {
        let img = Image::open(p).unwrap();
        if img.width() < w || img.height() < h {
            continue;
        }
        // The central 512x384, its middle 256x256 darkened to 6 %.
        let (x0, y0) = ((img.width() - w) / 2, (img.height() - h) / 2);
        let mut rgb = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            let row = ((y + y0) * img.width() + x0) as usize * 3;
            for (x, px) in img.rgb()[row..row + w as usize * 3].chunks(3).enumerate() {
                let dark = (128..384).contains(&(x as u32)) && (64..320).contains(&y);
                rgb.extend(
                    px.iter()
                        .map(|&v| if dark { (f32::from(v) * 0.06) as u8 } else { v }),
                );
            }
        }
        let cover = dir.join(format!("cover-{}.png", marked.len()));
        Image::from_rgb(w, h, rgb).unwrap().save(&cover).unwrap();
        let out = dir.join(format!("marked-{}.png", marked.len()));
        reference(
            &py,
            &[
                "embed",
                "--hex",
                "DEADBEEF",
                &cover.display().to_string(),
                &out.display().to_string(),
            ],
        );
        marked.push(out);
        if marked.len() == 6 {
            break;
        }
    }
    assert_eq!(marked.len(), 6, "six photos of at least 512x384");
    let theirs = reference_decode(&py, &marked);
    let (mut ours, mut central, mut grid) = (0, 0, 0);
    for (f, (bits, _)) in marked.iter().zip(&theirs) {
        let img = Image::open(f).unwrap();
        let read = s.decode(&img).unwrap();
        assert_eq!(read[0].variant, "windows");
        assert_eq!(
            &read[0].bits.to_string(),
            bits,
            "{}: not imwatermark's bits",
            f.display()
        );
        let o = read[0].bits.matches(&msg);
        let c = centre.decode(&img).unwrap()[0].bits.matches(&msg);
        let g = two.decode(&img).unwrap()[0].bits.matches(&msg);
        eprintln!(
            "{}: whole frame {o}/32, central window {c}/32, 2 windows {g}/32",
            f.display()
        );
        (ours, central, grid) = (ours + o, central + c, grid + g);
    }
    eprintln!("bits right of 192: whole frame {ours} (imwatermark's), central {central}, 2 windows {grid}");
    assert!(
        central < ours,
        "the central window alone reads as much ({central} >= {ours})"
    );
    assert!(
        grid >= central,
        "2 windows read fewer bits right ({grid}) than the centre ({central})"
    );
}
