//! Bad input gives a clear error, never a panic and never a silent answer.

use edgemark::{Detector, Error, ErrorKind, Image, Limits, PixelFormat, StreamDetector, Watermark};
use edgemark_tests::fixture;

fn png_header(width: u32, height: u32) -> Vec<u8> {
    // Signature + a valid IHDR chunk (CRC included) + a tiny IDAT (zlib of nothing) + IEND:
    // a well-formed file that declares a size and carries almost no pixel data.
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    let idat = b"IDAT\x78\x9c\x03\x00\x00\x00\x00\x01";
    out.extend_from_slice(&8u32.to_be_bytes());
    out.extend_from_slice(idat);
    out.extend_from_slice(&crc32(idat).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(b"IEND");
    out.extend_from_slice(&crc32(b"IEND").to_be_bytes());
    out
}

fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
    // A real 16x16 JPEG whose SOF0 segment is patched to declare another size.
    let tiny = Image::from_rgb(16, 16, vec![90; 16 * 16 * 3]).unwrap();
    let mut out = tiny.encode(image::ImageFormat::Jpeg).unwrap();
    let sof = out
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline JPEG has SOF0");
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

#[test]
fn empty_input_is_its_own_error() {
    assert!(matches!(Image::decode(&[]), Err(Error::Empty)));
}

#[test]
fn non_image_bytes_are_a_decode_error() {
    for bytes in [
        &b"hello, this is not an image at all"[..],
        &[0u8; 64][..],
        b"%PDF-1.7\n",
    ] {
        let e = Image::decode(bytes).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
        assert!(e.to_string().contains("cannot decode image"), "{e}");
    }
}

#[test]
fn huge_declared_dimensions_are_refused_before_allocation() {
    let e = Image::decode(&png_header(100_000, 100_000)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooLarge {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("100000x100000"), "{e}");
    let e = Image::decode(&jpeg_header(60_000, 60_000)).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    // Within 16384 per side but over the pixel budget.
    let e = Image::decode(&png_header(16_000, 16_000)).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    // A tighter limit is honoured too.
    let small = Limits {
        max_width: 100,
        max_height: 100,
        max_pixels: 10_000,
    };
    let bytes = std::fs::read(fixture("chelsea.png")).unwrap();
    assert!(matches!(
        Image::decode_with_limits(&bytes, &small),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn zero_dimensions_are_refused() {
    let e = Image::decode(&png_header(0, 10)).unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e}");
}

#[test]
fn truncated_files_are_errors() {
    let png = std::fs::read(fixture("chelsea.png")).unwrap();
    for cut in [8, 33, 100, png.len() / 2, png.len() - 13] {
        let e = Image::decode(&png[..cut]).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "cut {cut}: {e}");
    }
    let jpeg = Image::open(fixture("chelsea.png"))
        .unwrap()
        .encode(image::ImageFormat::Jpeg)
        .unwrap();
    for cut in [2, 20, 200] {
        assert!(
            Image::decode(&jpeg[..cut]).is_err(),
            "jpeg cut at {cut} decoded"
        );
    }
}

#[test]
fn corrupt_png_is_an_error() {
    let mut png = std::fs::read(fixture("chelsea.png")).unwrap();
    let mid = png.len() / 2;
    for b in &mut png[mid..mid + 16] {
        *b ^= 0x5A;
    }
    assert!(matches!(Image::decode(&png), Err(Error::Decode { .. })));
}

#[test]
fn mutated_files_never_panic() {
    // A deterministic mutation fuzz over the fixtures: whatever the decoder makes of the bytes,
    // it must return, not panic.
    let sources = [
        std::fs::read(fixture("chelsea.png")).unwrap(),
        Image::open(fixture("coffee.png"))
            .unwrap()
            .encode(image::ImageFormat::Jpeg)
            .unwrap(),
    ];
    let mut rnd = edgemark_tests::xorshift(0x9E37_79B9_7F4A_7C15);
    let detector = Detector::default();
    let mut errors = 0;
    for i in 0..300 {
        let mut bytes = sources[i % 2].clone();
        for _ in 0..(1 + rnd() % 8) {
            let at = (rnd() as usize) % bytes.len();
            bytes[at] = rnd() as u8;
        }
        if rnd().is_multiple_of(4) {
            let keep = (rnd() as usize) % bytes.len();
            bytes.truncate(keep.max(1));
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            detector.detect_bytes(&bytes).map(|r| r.findings.len())
        }));
        match outcome {
            Ok(Ok(n)) => assert_eq!(n, edgemark::DEFAULT_PRESETS.len()),
            Ok(Err(_)) => errors += 1,
            Err(_) => panic!("decoder panicked on mutation {i}"),
        }
    }
    assert!(
        errors > 0,
        "no mutation was rejected: the mutations are too weak to test anything"
    );
}

#[test]
fn raw_frames_are_checked() {
    let limits = Limits::default();
    let rgb = vec![0u8; 10 * 4 * 3];
    assert!(Image::from_raw(&rgb, 10, 4, None, PixelFormat::Rgb8, &limits).is_ok());
    // Too short for the dimensions.
    assert!(matches!(
        Image::from_raw(&rgb[..100], 10, 4, None, PixelFormat::Rgb8, &limits),
        Err(Error::InvalidFrame(_))
    ));
    // Stride smaller than a row.
    assert!(matches!(
        Image::from_raw(&rgb, 10, 4, Some(29), PixelFormat::Rgb8, &limits),
        Err(Error::InvalidFrame(_))
    ));
    // Stride larger than a row needs the padding to be there (last row may be short).
    let padded = vec![0u8; 32 * 3 + 30];
    assert!(Image::from_raw(&padded, 10, 4, Some(32), PixelFormat::Rgb8, &limits).is_ok());
    assert!(Image::from_raw(
        &padded[..padded.len() - 1],
        10,
        4,
        Some(32),
        PixelFormat::Rgb8,
        &limits
    )
    .is_err());
    // Zero sizes and huge sizes.
    assert!(Image::from_raw(&rgb, 0, 4, None, PixelFormat::Rgb8, &limits).is_err());
    assert!(matches!(
        Image::from_raw(&rgb, 100_000, 100_000, None, PixelFormat::Rgb8, &limits),
        Err(Error::TooLarge { .. })
    ));
    // Channel order is honoured.
    let bgra = [1u8, 2, 3, 4];
    let img = Image::from_raw(&bgra, 1, 1, None, PixelFormat::Bgra8, &limits).unwrap();
    assert_eq!(img.rgb(), &[3, 2, 1]);
    assert_eq!(img.alpha(), Some(&[4u8][..]));
}

#[test]
fn too_small_images_report_per_watermark_not_fail() {
    let img = Image::from_rgb(24, 24, vec![128; 24 * 24 * 3]).unwrap();
    let report = Detector::default().detect(&img);
    let f = &report.findings[0];
    assert!(!f.detected);
    assert!(
        f.error.as_deref().unwrap_or("").contains("too small"),
        "{:?}",
        f.error
    );
}

#[test]
fn findings_say_which_kind_of_error_stopped_them() {
    // Too small for SDXL's 48 bits, in a single image and in a stream.
    let tiny = Image::from_rgb(24, 24, vec![128; 24 * 24 * 3]).unwrap();
    let f = &Detector::default().detect(&tiny).findings[0];
    assert_eq!(f.error_kind, Some(ErrorKind::TooSmall), "{f:?}");
    let mut stream = StreamDetector::new(Detector::default(), 3).unwrap();
    let r = stream.push(&tiny);
    assert_eq!(r.report.findings[0].error_kind, Some(ErrorKind::TooSmall));
    // Large enough for edgemark-v3 but flat: nothing to read, which is not "too small".
    let flat = Image::from_rgb(512, 512, vec![128; 512 * 512 * 3]).unwrap();
    let v3 = Detector::new().with(Watermark::edgemark_v3(None).unwrap());
    let f = &v3.detect(&flat).findings[0];
    assert_eq!(f.error_kind, Some(ErrorKind::Unreadable), "{f:?}");
    assert!(f.error.is_some() && !f.detected);
    // A readable image: no error, no kind.
    let photo = Image::open(fixture("chelsea.png")).unwrap();
    let f = &Detector::default().detect(&photo).findings[0];
    assert_eq!((&f.error, f.error_kind), (&None, None));
}
