//! Prints the median time of one classical decode on an image, as JSON, for
//! scripts/bench-vs-python.sh (which runs imwatermark on the same file in the same run).
//!
//! `cargo run --release -p edgemark --example decode_timing -- IMAGE [dwtDct|dwtDctSvd|sdxl] [RUNS]`

use edgemark::{Classic, Convention, Image, Scheme};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: decode_timing IMAGE [dwtDct|dwtDctSvd] [RUNS]")?;
    let method = args.get(2).map(String::as_str).unwrap_or("dwtDct");
    let runs: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(200);
    let img = Image::open(path)?;
    if method == "sdxl" {
        // The whole default detector: both colour conventions, p-values.
        let detector = edgemark::Detector::default();
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            std::hint::black_box(detector.detect(&img));
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{{\"median_s\": {:e}, \"runs\": {}}}",
            times[times.len() / 2],
            times.len()
        );
        return Ok(());
    }
    let scheme = match method {
        "dwtDct" => Classic::dwt_dct(48)?,
        "dwtDctSvd" => Classic::dwt_dct_svd(48)?,
        other => return Err(format!("unknown method {other}").into()),
    }
    // The same work as imwatermark's decode: one reading, 8-bit path.
    .with_conventions(&[Convention::Uint8])?;
    let mut times = Vec::with_capacity(runs);
    let mut bits = String::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let r = scheme.decode(&img)?;
        times.push(t.elapsed().as_secs_f64());
        bits = r[0].bits.to_string();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"median_s\": {:e}, \"runs\": {}, \"bits\": \"{}\"}}",
        times[times.len() / 2],
        times.len(),
        bits
    );
    Ok(())
}
