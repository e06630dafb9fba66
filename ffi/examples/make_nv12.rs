//! Converts an image to a raw NV12 file (BT.601 full range, as `edgemark::frame::to_nv12`
//! writes it) and prints what the native Rust API finds in that NV12 frame, one line:
//! `WIDTH HEIGHT BITS DETECTED`. The C tests compare the C ABI's findings with this line.
//!
//! `cargo run --release -p edgemark-ffi --example make_nv12 -- IN.png OUT.nv12`

use edgemark::frame::{self, Plane};
use edgemark::{Detector, Image, Limits};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        return Err("usage: make_nv12 IN.png OUT.nv12".into());
    };
    let image = Image::open(input)?;
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
    let report = Detector::default().detect(&decoded);
    let f = report.findings.first().ok_or("no finding")?;
    println!("{w} {h} {} {}", f.bits, u8::from(f.detected));
    Ok(())
}
