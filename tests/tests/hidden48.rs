//! EdgeMark's own model, `edgemark-hidden-48` (committed in models/edgemark-hidden-48: fp32
//! decoder, fp32 encoder), through the public API: embed, then detect after the edits the
//! model is built for (crops at any offset, resizes the card's scales undo, JPEG), and no
//! detection on clean images.

use edgemark::neural::Neural;
use edgemark::{image::psnr, Bits, Detector, Error, Image, Scheme, Watermark};
use edgemark_tests::*;
use image::imageops::FilterType;

fn model() -> Neural {
    Neural::load(root().join("models/edgemark-hidden-48/card.toml")).expect("the model loads")
}

fn message() -> Bits {
    Bits::from_hex("0x5EC7A1D09B3F").unwrap()
}

fn detector() -> Detector {
    Detector::new().with(Watermark::new("edgemark-hidden-48", model(), Some(message())).unwrap())
}

fn resize(img: &Image, scale: f32) -> Image {
    let w = (img.width() as f32 * scale).round() as u32;
    let h = (img.height() as f32 * scale).round() as u32;
    from_rgb_image(image::imageops::resize(
        &to_rgb_image(img),
        w,
        h,
        FilterType::CatmullRom,
    ))
}

fn crop(img: &Image, x0: u32, y0: u32, w: u32, h: u32) -> Image {
    from_rgb_image(image::imageops::crop_imm(&to_rgb_image(img), x0, y0, w, h).to_image())
}

fn covers() -> Vec<Image> {
    ["chelsea.png", "coffee.png", "astronaut.png"]
        .iter()
        .map(|f| Image::open(fixture(f)).unwrap())
        .collect()
}

#[test]
fn marks_are_found_after_crops_resizes_and_jpeg_and_clean_images_stay_clean() {
    let det = detector();
    for (i, cover) in covers().iter().enumerate() {
        let marked = model().embed(cover, &message()).unwrap();
        let q = psnr(cover, &marked);
        assert!(q > 39.0, "cover {i}: PSNR {q:.2} dB");
        let (w, h) = (marked.width(), marked.height());
        let cases = [
            ("as embedded", marked.clone()),
            ("JPEG 75", jpeg_round_trip(&marked, 75)),
            // Half the area, at an offset that is no multiple of the tile period.
            ("crop 50%", crop(&marked, 37, 21, w * 7 / 10, h * 7 / 10)),
            ("resize 0.5", resize(&marked, 0.5)),
            ("resize 0.75", resize(&marked, 0.75)),
        ];
        for (what, img) in &cases {
            let f = &det.detect(img).findings[0];
            assert!(
                f.detected,
                "cover {i}, {what}: not detected (p = {:?}, {} of 48 bits, {})",
                f.p_value,
                f.matched_bits.unwrap_or(0),
                f.variant
            );
        }
        for (what, img) in [
            ("clean", cover.clone()),
            ("clean JPEG 75", jpeg_round_trip(cover, 75)),
        ] {
            let f = &det.detect(&img).findings[0];
            assert!(
                !f.detected,
                "cover {i}, {what}: false positive (p = {:?})",
                f.p_value
            );
        }
    }
}

#[test]
fn every_scale_is_one_reading_and_the_p_value_pays_for_them() {
    let s = model();
    let cover = &covers()[0];
    let readings = s.decode(cover).unwrap();
    assert_eq!(readings.len(), s.card().decoder.scales.len());
    assert_eq!(readings[0].variant, "centre");
    assert!(readings[1..]
        .iter()
        .all(|r| r.variant.starts_with("centre x")));
    // The detector corrects for the readings: a finding's p-value is at least the number of
    // readings times the smallest single-reading p-value it could have had.
    let marked = s.embed(cover, &message()).unwrap();
    let f = &detector().detect(&marked).findings[0];
    assert!(f.detected, "marked cover not detected: {f:?}");
    let p = f.p_value.unwrap();
    // The winning reading's own p-value (the bits reported are that reading's).
    let single = edgemark::stats::match_p_value(&f.bits, &message());
    // Far from the cap at 1, so the correction must show as an exact factor.
    assert!(single * (readings.len() as f64) < 1e-3, "{single}");
    assert!(
        (p / single - readings.len() as f64).abs() < 1e-6,
        "{p} vs {single} x {}",
        readings.len()
    );
}

#[test]
fn images_smaller_than_one_tile_are_a_clear_error() {
    let tiny = Image::from_rgb(8, 8, vec![128; 8 * 8 * 3]).unwrap();
    match model().decode(&tiny) {
        Err(Error::TooSmall { needed, .. }) => assert!(needed.contains("16x16"), "{needed}"),
        other => panic!("expected TooSmall, got {other:?}"),
    }
    let f = &detector().detect(&tiny).findings[0];
    assert!(!f.detected && f.error.is_some());
}
