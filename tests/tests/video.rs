//! Stable Video Diffusion marks every frame with SDXL's watermark (Stability's
//! `sgm/inference/helpers.py`, the same embedder as SDXL). A short clip marked frame by frame
//! with the real `invisible-watermark`, the way that code does it, then degraded per frame
//! (sensor-like noise and JPEG, each frame its own), is found by the stream detector with the
//! default presets over a window, where most single frames are not; the same clip unmarked
//! never fires.
//!
//! The same holds for EdgeMark's own model (`edgemark-hidden-48`, a [`Neural`] scheme): the
//! stream detector averages its soft bits (probabilities, one reading per decoder scale) over
//! the window just as it does a classical scheme's.

use edgemark::neural::Neural;
use edgemark::{Bits, Detector, Finding, Image, StreamDetector, Watermark};
use edgemark_tests::{
    from_rgb_image, jpeg_round_trip, photos, python, root, run_python, scratch, to_rgb_image,
    xorshift,
};

const FRAMES: usize = 16;

/// A panning clip: `FRAMES` windows of 448x256 sliding 6 px per frame over one photograph.
fn clip(photo: &std::path::Path) -> Vec<Image> {
    let img = to_rgb_image(&Image::open(photo).unwrap());
    (0..FRAMES)
        .map(|i| {
            let w = image::imageops::crop_imm(&img, 6 * i as u32, 40, 448, 256).to_image();
            from_rgb_image(w)
        })
        .collect()
}

/// Each frame with its own Gaussian noise (sigma `sigma`) and JPEG at `quality`.
fn degrade(frames: &[Image], sigma: f64, quality: u8, seed: u64) -> Vec<Image> {
    let mut next = xorshift(seed);
    let mut gauss = move || {
        // Box-Muller from two uniforms.
        let u1 = ((next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let u2 = ((next() >> 11) as f64) / (1u64 << 53) as f64;
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    frames
        .iter()
        .map(|f| {
            let rgb: Vec<u8> = f
                .rgb()
                .iter()
                .map(|&v| (v as f64 + sigma * gauss()).round().clamp(0.0, 255.0) as u8)
                .collect();
            jpeg_round_trip(
                &Image::from_rgb(f.width(), f.height(), rgb).unwrap(),
                quality,
            )
        })
        .collect()
}

fn sdxl_detected(r: &edgemark::Report) -> bool {
    r.findings
        .iter()
        .any(|f| f.watermark == "sdxl" && f.detected)
}

#[test]
fn svd_clips_are_found_over_a_window_of_frames() {
    let (Some(py), Some(photos)) = (python(), photos()) else {
        return;
    };
    let photo = photos
        .iter()
        .find(|p| p.file_name().is_some_and(|n| n == "building.jpg"))
        .expect("building.jpg among the photographs");
    let dir = scratch("video-svd");
    let clean = clip(photo);
    let mut args = vec!["generator".to_string(), "--name".into(), "sdxl".into()];
    let mut marked_paths = Vec::new();
    for (i, f) in clean.iter().enumerate() {
        let src = dir.join(format!("f{i:02}.png"));
        let dst = dir.join(format!("m{i:02}.png"));
        f.save(&src).unwrap();
        args.push(src.display().to_string());
        args.push(dst.display().to_string());
        marked_paths.push(dst);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run_python(&py, "imw.py", &refs);
    let marked: Vec<Image> = marked_paths
        .iter()
        .map(|p| Image::open(p).unwrap())
        .collect();

    // Noise sigma 6 and JPEG 60 per frame: no single frame is enough.
    let detector = Detector::default();
    for (name, frames, seed) in [("marked", &marked, 1u64), ("clean", &clean, 2)] {
        let frames = degrade(frames, 6.0, 60, seed);
        let single = frames
            .iter()
            .filter(|f| sdxl_detected(&detector.detect(f)))
            .count();
        let mut stream = StreamDetector::new(Detector::default(), 8).unwrap();
        let reports: Vec<edgemark::Report> = frames.iter().map(|f| stream.push(f).report).collect();
        let sdxl: Vec<bool> = reports.iter().map(sdxl_detected).collect();
        eprintln!(
            "{name}: single frames detected {single} of {FRAMES}; stream (window 8) {sdxl:?}"
        );
        let others: Vec<String> = reports
            .iter()
            .flat_map(|r| &r.findings)
            .filter(|f| f.detected && f.watermark != "sdxl")
            .map(|f| f.watermark.clone())
            .collect();
        assert!(others.is_empty(), "{name}: other presets fired: {others:?}");
        if name == "marked" {
            assert!(
                single <= 4,
                "single frames should mostly fail: {single} of {FRAMES}"
            );
            assert!(
                sdxl[7..].iter().all(|&d| d),
                "every full window finds SVD's mark: {sdxl:?}"
            );
        } else {
            assert!(sdxl.iter().all(|&d| !d), "a clean clip fired: {sdxl:?}");
        }
    }
}

/// `p (matched bits)` of each finding, a `*` before the detected ones.
fn summary(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            format!(
                "{}{:.0e} ({})",
                if f.detected { "*" } else { "" },
                f.p_value.unwrap_or(1.0),
                f.matched_bits.unwrap_or(0)
            )
        })
        .collect()
}

/// The same panning clip marked frame by frame with `edgemark-hidden-48` (its decoder reads the
/// whole 448x256 frame: 28x16 of its 16-pixel tiles), then drowned per frame in noise of sigma
/// 65 and JPEG at quality 15. The test runs seeds 1, 2 and 3, the first three and not picked:
/// the setting was chosen so that every one of seeds 1-8 passes. Measured over seeds 1-8 (single
/// frames detected of 16; matched bits of 48 in the weakest full window, where detection at the
/// default 1e-6 needs 42):
///
/// ```text
/// seed             1   2   3   4   5   6   7   8
/// single frames    6   3   3   7   7   6   2   4   (mean 4.75, 30%)
/// weakest window  43  42  46  46  45  45  44  43
/// ```
///
/// Every full window (frames 7-15) detects for all eight, the window first detects at frame 0-2;
/// single frames read at best 42-46 bits (the worst of seeds 1-3: 27-28). The clean clip, degraded
/// the same way with its own seeds (101-108), never fires: best p 2e-4, at most 37 bits. Failed
/// frames read about as confidently as good ones, so the window pays for them. This is near the
/// edge, not far past it: over seeds 1-24 every full window was found for 23 (seed 19 misses
/// frames 14 and 15 at 41 bits), single frames 2-9 of 16 (mean 5.8); at sigma 70 (JPEG 15)
/// seed 1 misses frames 7 and 8. With a window of 1 (a single frame's decision) the window
/// assertion fails.
///
/// Read with the model's int8 decoder (`card-int8.toml`), with which the table above was
/// measured. The fp32 decoder (`card.toml`, the default since session 18) is a little weaker
/// at this edge: over seeds 1-24 at sigma 65 it misses a full window for seeds 2, 8 and 19
/// (weakest 39-41 bits; single frames 1-9, mean 5.2), the int8 one for seed 19 only (mean
/// 5.8); at sigma 60 the fp32 decoder finds every full window of all 24 seeds.
#[test]
fn own_model_clips_are_found_over_a_window_of_frames() {
    let Some(photos) = photos() else {
        return;
    };
    let photo = photos
        .iter()
        .find(|p| p.file_name().is_some_and(|n| n == "building.jpg"))
        .expect("building.jpg among the photographs");
    // The int8 card: the setting above was measured with it (and the suite keeps a test of
    // tract's quantized path).
    let model = Neural::load(root().join("models/edgemark-hidden-48/card-int8.toml"))
        .expect("the model loads");
    let message = Bits::from_hex("0x5EC7A1D09B3F").unwrap();
    let mark = Watermark::new("edgemark-hidden-48", model, Some(message)).unwrap();
    let detector = Detector::new().with(mark.clone());
    let clean = clip(photo);
    let marked: Vec<Image> = clean.iter().map(|f| mark.embed(f, None).unwrap()).collect();
    let detected = |v: &[Finding]| v.iter().filter(|f| f.detected).count();
    for seed in [1u64, 2, 3] {
        for (name, frames, seed) in [("marked", &marked, seed), ("clean", &clean, seed + 100)] {
            let frames = degrade(frames, 65.0, 15, seed);
            let single: Vec<Finding> = frames
                .iter()
                .map(|f| detector.detect(f).findings.remove(0))
                .collect();
            let mut stream = StreamDetector::new(detector.clone(), 8).unwrap();
            let window: Vec<Finding> = frames
                .iter()
                .map(|f| stream.push(f).report.findings.remove(0))
                .collect();
            let first = window.iter().position(|f| f.detected);
            eprintln!(
                "{name} (seed {seed}): single frames detected {} of {FRAMES}: {:?}\n{name} (seed {seed}): window of 8 detected {} of {FRAMES}, first at frame {first:?}: {:?}",
                detected(&single),
                summary(&single),
                detected(&window),
                summary(&window)
            );
            if name == "marked" {
                // Measured at most 7 of 16 over seeds 1-8 (9 over 1-24).
                assert!(
                    detected(&single) <= FRAMES / 2,
                    "seed {seed}: single frames should mostly fail: {:?}",
                    summary(&single)
                );
                assert!(
                    window[7..].iter().all(|f| f.detected),
                    "seed {seed}: every full window finds the model's mark: {:?}",
                    summary(&window)
                );
            } else {
                assert_eq!(
                    detected(&single) + detected(&window),
                    0,
                    "seed {seed}: a clean clip fired: {:?} / {:?}",
                    summary(&single),
                    summary(&window)
                );
            }
        }
    }
}
