//! The native side of the browser latency benchmark (`wasm/tests/bench.mjs`): the same
//! detector (built-in presets) on the same decoded image, single-threaded, as the
//! WebAssembly build runs it in Chromium.
//!
//! `cargo run --release -p edgemark-wasm --example bench_native -- IMAGE [REPEATS] [SCHEME]`
//! prints one JSON line: `{"width":..,"height":..,"detect_ms":median,"decode_and_detect_ms":median}`.
//! SCHEME `edgemark-v3` times our own watermark (open set: no payload given) instead of the
//! built-in presets.

use edgemark::{Detector, Image, Watermark};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(repeats: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    median(
        (0..repeats)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: bench_native IMAGE [REPEATS] [edgemark-v3]")?;
    let repeats: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(15);
    let detector = match args.next().as_deref() {
        None => Detector::default(),
        Some("edgemark-v3") => Detector::new().with(Watermark::edgemark_v3(None)?),
        Some(other) => return Err(format!("unknown scheme {other}: edgemark-v3 or none").into()),
    };
    let bytes = std::fs::read(&path)?;
    let image = Image::decode(&bytes)?;
    let detect_ms = time(repeats, || {
        std::hint::black_box(detector.detect(std::hint::black_box(&image)));
    });
    let both_ms = time(repeats, || {
        let _ = std::hint::black_box(detector.detect_bytes(std::hint::black_box(&bytes)));
    });
    println!(
        "{{\"width\":{},\"height\":{},\"detect_ms\":{detect_ms:.3},\"decode_and_detect_ms\":{both_ms:.3}}}",
        image.width(),
        image.height()
    );
    Ok(())
}
