//! Median time of `edgemark trace`'s work (the screen overlay's sync, read and decision, as
//! [`edgemark::trace::Tracer::trace`] runs it, without a list of IDs and with 1,000 issued
//! IDs, and for screenshots only) on one screenshot resized to WIDTHxHEIGHT (default 1920x1080), with and without the
//! overlay, as JSON. One thread: the tracer itself is sequential.
//!
//! `cargo run --release -p edgemark --example trace_timing -- SCREENSHOT [WIDTH HEIGHT] [RUNS]`

mod common;
use common::median;

use edgemark::overlay::{Overlay, DEFAULT_STRENGTH};
use edgemark::trace::{Issued, Tracer};
use edgemark::Image;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: trace_timing SCREENSHOT [WIDTH HEIGHT] [RUNS]")?;
    let w: u32 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1920);
    let h: u32 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(1080);
    let runs: usize = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(9);
    let src = image::open(path)?.to_rgb8();
    let rgb = image::imageops::resize(&src, w, h, image::imageops::FilterType::Triangle);
    let plain = Image::from_rgb(w, h, rgb.into_raw())?;
    let id = 0x5EC3_E7A1;
    let shown = Overlay::new(id, DEFAULT_STRENGTH)?.composite(&plain);
    let open = Tracer::new()?;
    let ids: Vec<Issued> = (0..1000u32)
        .map(|i| Issued::new(if i == 500 { id } else { i * 7919 }, ""))
        .collect();
    let listed = Tracer::new()?.with_ids(ids)?;
    let fast = Tracer::new()?.screenshots_only();
    let found = open.trace(&shown)?.id;
    let found_listed = listed.trace(&shown)?.id;
    let clean_fp = open.trace(&plain)?.detected
        || listed.trace(&plain)?.detected
        || fast.trace(&plain)?.detected;
    let found_fast = fast.trace(&shown)?.id;
    let t = |tracer: &Tracer, img: &Image| {
        median(runs, || {
            let _ = tracer.trace(img);
        }) * 1e3
    };
    println!(
        "{{\"width\":{w},\"height\":{h},\"runs\":{runs},\"found\":{},\"found_listed\":{},\"found_screenshots_only\":{},\"clean_detected\":{clean_fp},\"ms\":{{\"overlay\":{:.1},\"clean\":{:.1},\"overlay_1000_ids\":{:.1},\"clean_1000_ids\":{:.1},\"overlay_screenshots_only\":{:.1},\"clean_screenshots_only\":{:.1}}}}}",
        found == Some(id),
        found_listed == Some(id),
        found_fast == Some(id),
        t(&open, &shown),
        t(&open, &plain),
        t(&listed, &shown),
        t(&listed, &plain),
        t(&fast, &shown),
        t(&fast, &plain)
    );
    Ok(())
}
