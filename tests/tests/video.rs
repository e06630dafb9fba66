//! Stable Video Diffusion marks every frame with SDXL's watermark (Stability's
//! `sgm/inference/helpers.py`, the same embedder as SDXL). A short clip marked frame by frame
//! with the real `invisible-watermark`, the way that code does it, then degraded per frame
//! (sensor-like noise and JPEG, each frame its own), is found by the stream detector with the
//! default presets over a window, where most single frames are not; the same clip unmarked
//! never fires.

use edgemark::{Detector, Image, StreamDetector};
use edgemark_tests::{
    from_rgb_image, jpeg_round_trip, photos, python, run_python, scratch, to_rgb_image, xorshift,
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
