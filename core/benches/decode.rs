//! Criterion benchmarks of the classical decoders and embedders on a 512x512 photograph
//! (`.cache/photos/astronaut.png` when fetched, else the committed fixture mirrored to 512x512).
//!
//! The edgemark-v3 rows read a 1024x1024 image (the photo mirrored) clean and marked: the
//! detection target of issue #13 is 50 ms on one core.
//!
//! `cargo bench -p edgemark --bench decode`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use edgemark::{Bits, Classic, Detector, Image, Scheme, Watermark};
use std::path::Path;

/// `img` repeated (mirrored, so the tiling adds no hard seams) to `side x side`.
fn tiled(img: &Image, side: usize) -> Image {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let fold = |i: usize, n: usize| {
        let p = i % (2 * n);
        if p < n {
            p
        } else {
            2 * n - 1 - p
        }
    };
    let mut rgb = Vec::with_capacity(side * side * 3);
    for y in 0..side {
        for x in 0..side {
            let at = (fold(y, h) * w + fold(x, w)) * 3;
            rgb.extend_from_slice(&img.rgb()[at..at + 3]);
        }
    }
    Image::from_rgb(side as u32, side as u32, rgb).expect("tiled")
}

fn photo_512() -> Image {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Ok(img) = Image::open(root.join(".cache/photos/astronaut.png")) {
        if img.width() == 512 && img.height() == 512 {
            return img;
        }
    }
    let small = Image::open(root.join("tests/fixtures/astronaut.png")).expect("fixture");
    tiled(&small, 512)
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

    let big = tiled(&img, 1024);
    let v3 = edgemark::EdgemarkV3::new().expect("scheme");
    let payload = Bits::parse("0x5EC3E7A1").expect("payload");
    let v3_marked = v3.embed(&big, &payload).expect("embed");
    let mut group = c.benchmark_group("edgemark-v3");
    group.sample_size(10);
    group.bench_function("detect 1024x1024 clean (sync + read)", |b| {
        b.iter(|| v3.decode(black_box(&big)))
    });
    group.bench_function("detect 1024x1024 marked (sync + read)", |b| {
        b.iter(|| v3.decode(black_box(&v3_marked)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
