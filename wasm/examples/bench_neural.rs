//! The native side of the browser latency benchmark for neural decoders
//! (`wasm/tests/bench.mjs`): a detector with one ONNX model (card + decoder, as the browser
//! gets them), single-threaded, on the same decoded image.
//!
//! `cargo run --release -p edgemark-wasm --features onnx --example bench_neural -- CARD IMAGE [REPEATS]`
//! prints one JSON line: `{"width":..,"height":..,"detect_ms":median}`.

use edgemark::neural::Neural;
use edgemark::{Bits, Detector, Image, Watermark};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_neural CARD IMAGE [REPEATS]";
    let card = args.next().ok_or(usage)?;
    let path = args.next().ok_or(usage)?;
    let repeats: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(15);
    let scheme = Neural::load(&card)?;
    let bits = Bits::new(vec![false; edgemark::Scheme::bit_len(&scheme)]);
    let detector = Detector::new().with(Watermark::new("model", scheme, Some(bits))?);
    let image = Image::decode(&std::fs::read(&path)?)?;
    std::hint::black_box(detector.detect(&image)); // warm-up
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(detector.detect(std::hint::black_box(&image)));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"width\":{},\"height\":{},\"detect_ms\":{:.3}}}",
        image.width(),
        image.height(),
        times[times.len() / 2]
    );
    Ok(())
}
