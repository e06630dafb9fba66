//! Median time of edgemark-v3 detection (sync + read + BCH and Chase decoding of every
//! candidate, as `Detector::detect` runs it with no payload given) on one image resized to a
//! square, clean and marked, as JSON.
//!
//! `cargo run --release -p edgemark --example v3_timing -- IMAGE [SIDE] [RUNS]`

mod common;
use common::median;

use edgemark::{Bits, Detector, EdgemarkV3, Image, Scheme, Watermark};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: v3_timing IMAGE [SIDE] [RUNS]")?;
    let side: u32 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1024);
    let runs: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(9);
    let src = image::open(path)?.to_rgb8();
    let rgb = image::imageops::resize(&src, side, side, image::imageops::FilterType::Triangle);
    let img = Image::from_rgb(side, side, rgb.into_raw())?;
    let v3 = EdgemarkV3::new()?;
    let payload = Bits::parse("0x5EC3E7A1")?;
    let marked = v3.embed(&img, &payload)?;
    let detector = Detector::new().with(Watermark::edgemark_v3(None)?);
    let report = detector.detect(&marked);
    let found = report
        .findings
        .first()
        .filter(|f| f.detected)
        .map(|f| f.payload.hex.clone());
    let clean = median(runs, || {
        std::hint::black_box(detector.detect(&img));
    });
    let mark = median(runs, || {
        std::hint::black_box(detector.detect(&marked));
    });
    let payload = found.map_or_else(|| "null".to_owned(), |hex| format!("\"{hex}\""));
    println!(
        "{{\"side\": {side}, \"runs\": {runs}, \"clean_median_s\": {clean:.4}, \"marked_median_s\": {mark:.4}, \"payload\": {payload}}}"
    );
    Ok(())
}
