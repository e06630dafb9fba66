//! Neural decoders through tract (feature `onnx`): RivaGAN decode of a 256x256 crop, fp32 and
//! (when models/quantize.py made it with `--format qdq`) int8 QDQ. The QOperator model is left
//! out: tract takes ~25 s per decode on it (see models/README.md).
//! Needs scripts/fetch-rivagan.sh; skips the models it cannot load.
//! The ratio to onnxruntime on the same model and input: models/bench_ort.py.

use criterion::{criterion_group, criterion_main, Criterion};
use edgemark::neural::Neural;
use edgemark::Image;
use std::path::Path;

fn input() -> Image {
    // A deterministic textured 256x256 frame (the decoder's cost does not depend on content).
    let rgb: Vec<u8> = (0..256u32 * 256)
        .flat_map(|i| {
            let (x, y) = (i % 256, i / 256);
            [(x * 7 + y * 3) as u8, (x ^ y) as u8, ((x * y) >> 5) as u8]
        })
        .collect();
    Image::from_rgb(256, 256, rgb).expect("256x256")
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/rivagan");
    let image = input();
    for (name, card) in [
        ("rivagan_fp32_256", dir.join("card.toml")),
        (
            "rivagan_int8_qdq_256",
            dir.join("rivagan_decoder.qdq.card.toml"),
        ),
    ] {
        let scheme = match Neural::load(&card) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("skipping {name}: {e}");
                continue;
            }
        };
        let mut g = c.benchmark_group("neural");
        g.sample_size(10);
        g.bench_function(name, |b| {
            b.iter(|| scheme.decode_raw(&image).expect("decodes"))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
