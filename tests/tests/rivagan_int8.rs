//! int8 RivaGAN decoder made by models/quantize.py (onnxruntime.quantization, QDQ format)
//! against the fp32 decoder, both run by EdgeMark through tract: the bits of watermarked
//! images agree, and the bit-accuracy loss under JPEG quality 50 is measured and bounded.
//! Prints the figures (run with --nocapture to see them).

use edgemark::neural::Neural;
use edgemark::{Bits, Image, Scheme};
use edgemark_tests::*;
use std::process::Command;

fn jpeg(image: &Image, quality: u8) -> Image {
    let mut out = std::io::Cursor::new(Vec::new());
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    image::ImageEncoder::write_image(
        enc,
        image.rgb(),
        image.width(),
        image.height(),
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    Image::decode(out.get_ref()).unwrap()
}

fn accuracy(s: &Neural, images: &[Image], messages: &[Bits]) -> (f64, Vec<Bits>) {
    let mut ok = 0;
    let mut all = Vec::new();
    for (img, m) in images.iter().zip(messages) {
        let bits = s.decode(img).unwrap().remove(0).bits;
        ok += bits.matches(m);
        all.push(bits);
    }
    (ok as f64 / (32 * images.len()) as f64, all)
}

#[test]
fn int8_decoder_agrees_with_fp32() {
    let Some(card) = rivagan_card() else { return };
    let Some(py) = python() else { return };
    let Some(photos) = photos() else { return };
    let dir = scratch("rivagan-int8");
    let q = dir.join("rivagan_decoder.qdq.onnx");
    let out = Command::new(&py)
        .arg(root().join("models/quantize.py"))
        .args([
            "--model",
            &root()
                .join("models/rivagan/rivagan_decoder.onnx")
                .display()
                .to_string(),
        ])
        .args(["--card", &card.display().to_string()])
        .args([
            "--photos",
            &root().join(".cache/photos").display().to_string(),
        ])
        .args(["--out", &q.display().to_string(), "--format", "qdq"])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "quantize.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fp32 = Neural::load(&card).unwrap();
    let int8 = Neural::load(dir.join("rivagan_decoder.qdq.card.toml")).unwrap();
    assert!(!int8.can_embed());

    // Covers the quantizer did not calibrate on (it takes the first 16 photographs).
    let covers: Vec<Image> = photos
        .iter()
        .rev()
        .take(8)
        .map(|p| load_cropped(p, 256))
        .collect();
    let messages: Vec<Bits> = (0..covers.len())
        .map(|i| {
            Bits::from_hex(&format!("{:08X}", 0x5A17_C3E1u32.rotate_left(5 * i as u32))).unwrap()
        })
        .collect();
    let marked: Vec<Image> = covers
        .iter()
        .zip(&messages)
        .map(|(c, m)| fp32.embed(c, m).unwrap())
        .collect();
    let (acc32, bits32) = accuracy(&fp32, &marked, &messages);
    let (acc8, bits8) = accuracy(&int8, &marked, &messages);
    let agree: usize = bits32.iter().zip(&bits8).map(|(a, b)| a.matches(b)).sum();
    let agree = agree as f64 / (32 * marked.len()) as f64;
    let jpegs: Vec<Image> = marked.iter().map(|m| jpeg(m, 50)).collect();
    let (jacc32, _) = accuracy(&fp32, &jpegs, &messages);
    let (jacc8, _) = accuracy(&int8, &jpegs, &messages);
    eprintln!(
        "RivaGAN int8 (QDQ) vs fp32 on {} marked 256x256 photos: bit agreement {agree:.4}; \
         bit accuracy fp32 {acc32:.4} int8 {acc8:.4}; after JPEG 50: fp32 {jacc32:.4} int8 {jacc8:.4} \
         (loss {:.4})",
        marked.len(),
        jacc32 - jacc8
    );
    assert!(acc32 >= 0.9, "fp32 bit accuracy {acc32}");
    assert!(
        agree >= 0.97,
        "int8 and fp32 agree on only {agree} of the bits"
    );
    assert!(
        jacc32 - jacc8 <= 0.05,
        "int8 loses {} bit accuracy under JPEG 50",
        jacc32 - jacc8
    );
}
