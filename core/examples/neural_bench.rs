//! Times a neural decoder on one image, for models/bench_ort.py (which runs onnxruntime on
//! the same model and input and prints the ratio).
//!
//! `cargo run --release -p edgemark --features onnx --example neural_bench -- CARD IMAGE RUNS`
//! prints one JSON line: load_ms (parse + optimize), median_ms, min_ms, peak_rss_kb, raw.

use edgemark::neural::Neural;
use edgemark::Image;
use std::time::Instant;

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: neural_bench CARD IMAGE [RUNS]".into());
    }
    let runs: usize = args.get(3).map_or(Ok(10), |r| r.parse())?;
    let image = Image::open(&args[2])?;
    let t = Instant::now();
    let scheme = Neural::load(&args[1])?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let raw = scheme.decode_raw(&image)?; // warm-up
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            let r = scheme.decode_raw(&image);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            r.map(|_| ms)
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"load_ms\": {load_ms:.1}, \"median_ms\": {:.2}, \"min_ms\": {:.2}, \"peak_rss_kb\": {}, \"raw\": {raw:?}}}",
        times[times.len() / 2],
        times[0],
        peak_rss_kb()
    );
    Ok(())
}
