//! Criterion benchmarks of the classical decoders and embedders on a 512x512 photograph
//! (`.cache/photos/astronaut.png` when fetched, else the committed fixture tiled to 512x512).
//!
//! `cargo bench -p edgemark --bench decode`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use edgemark::{Bits, Classic, Detector, Image, Scheme, Watermark};
use std::path::Path;

fn photo_512() -> Image {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Ok(img) = Image::open(root.join(".cache/photos/astronaut.png")) {
        if img.width() == 512 && img.height() == 512 {
            return img;
        }
    }
    let small = Image::open(root.join("tests/fixtures/astronaut.png")).expect("fixture");
    let (w, h) = (small.width() as usize, small.height() as usize);
    let mut rgb = Vec::with_capacity(512 * 512 * 3);
    for y in 0..512 {
        for x in 0..512 {
            let at = ((y % h) * w + (x % w)) * 3;
            rgb.extend_from_slice(&small.rgb()[at..at + 3]);
        }
    }
    Image::from_rgb(512, 512, rgb).expect("tiled")
}

fn bench(c: &mut Criterion) {
    let img = photo_512();
    let sdxl = Watermark::sdxl();
    let marked = sdxl.embed(&img, None).expect("embed");
    let detector = Detector::default();
    c.bench_function("sdxl detect 512x512 (both conventions)", |b| {
        b.iter(|| detector.detect(black_box(&marked)))
    });
    let one = Classic::dwt_dct(48)
        .expect("scheme")
        .with_conventions(&[edgemark::Convention::Uint8])
        .expect("conventions");
    c.bench_function("dwtDct decode 512x512 (uint8 path, as imwatermark)", |b| {
        b.iter(|| one.decode(black_box(&marked)))
    });
    let svd = Classic::dwt_dct_svd(48)
        .expect("scheme")
        .with_conventions(&[edgemark::Convention::Uint8])
        .expect("conventions");
    c.bench_function("dwtDctSvd decode 512x512 (uint8 path)", |b| {
        b.iter(|| svd.decode(black_box(&marked)))
    });
    let msg = Bits::from_hex(edgemark::SDXL_MESSAGE).expect("hex");
    let clean = Classic::dwt_dct(48).expect("scheme");
    c.bench_function("dwtDct embed 512x512 (clean)", |b| {
        b.iter(|| clean.embed(black_box(&img), &msg))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
