//! Converts an image to a raw NV12 file (BT.601 full range, as `edgemark::frame::to_nv12`
//! writes it) and prints what the native Rust API finds in that NV12 frame, one line:
//! `WIDTH HEIGHT BITS DETECTED PAYLOAD_HEX`. The C tests compare the C ABI's findings with
//! this line.
//!
//! `cargo run --release -p edgemark-ffi --example make_nv12 -- IN.png OUT.nv12`
//! reads with the default detector (SDXL);
//! `cargo run --release -p edgemark-ffi --example make_nv12 -- --embed-v3 PAYLOAD IN OUT.nv12`
//! first embeds `edgemark-v3` with `PAYLOAD` (Rust API), then reads with the `edgemark-v3`
//! preset (no message given: the payload comes from the error-correcting code).

use edgemark::frame::{self, Plane};
use edgemark::{Bits, Detector, Image, Limits, Watermark};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (image, output, detector) = match args.as_slice() {
        [_, input, output] => (Image::open(input)?, output, Detector::default()),
        [_, flag, payload, input, output] if flag == "--embed-v3" => {
            let v3 = Watermark::preset("edgemark-v3")?;
            let marked = v3.embed(&Image::open(input)?, Some(&Bits::parse(payload)?))?;
            (marked, output, Detector::new().with(v3))
        }
        _ => return Err("usage: make_nv12 [--embed-v3 PAYLOAD] IN OUT.nv12".into()),
    };
    let (w, h) = (image.width(), image.height());
    let nv12 = frame::to_nv12(&image);
    std::fs::write(output, &nv12)?;
    // Read the file back, as a camera would hand it over, and detect with the Rust API.
    let bytes = std::fs::read(output)?;
    let (y, uv) = bytes.split_at(w as usize * h as usize);
    let (cw, _) = frame::chroma_size(w, h);
    let decoded = frame::from_nv12(
        w,
        h,
        Plane::new(y, w as usize),
        Plane::new(uv, 2 * cw),
        &Limits::default(),
    )?;
    let report = detector.detect(&decoded);
    let f = report.findings.first().ok_or("no finding")?;
    println!(
        "{w} {h} {} {} {}",
        f.bits,
        u8::from(f.detected),
        f.payload.hex
    );
    Ok(())
}
