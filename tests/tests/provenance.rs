//! Provenance metadata as the tools write it (tests/python/metadata.py writes each case with
//! Pillow, the way AUTOMATIC1111, ComfyUI, InvokeAI, NovelAI, FLUX, Midjourney and GB
//! 45438-2025 labels do), read by the default detector from the file's bytes: every AI case is
//! flagged with the expected source, no other file is, and nothing is called signed.

use edgemark::Detector;
use edgemark_tests::*;

/// Writes the metadata cases into `dir` (tests/python/metadata.py on the coffee fixture) and
/// returns the script's JSON lines, one per file.
fn metadata_cases(py: &std::path::Path, dir: &std::path::Path) -> String {
    let cover = fixture("coffee.png");
    run_python(
        py,
        "metadata.py",
        &[&cover.to_string_lossy(), &dir.to_string_lossy()],
    )
}

#[test]
fn metadata_of_every_generator_sets_the_verdict_and_nothing_else_does() {
    let Some(py) = python() else { return };
    let dir = scratch("provenance");
    let out = metadata_cases(&py, &dir);
    let detector = Detector::default();
    let mut failures = Vec::new();
    let (mut ai_files, mut other_files) = (0, 0);
    for line in out.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("json line");
        let file = case["file"].as_str().expect("file");
        let ai = case["ai"].as_bool().expect("ai");
        let source = case["source"].as_str().expect("source");
        let report = detector.detect_file(file).expect("file decodes");
        let p = &report.provenance;
        let sources: Vec<&str> = p.evidence.iter().map(|e| e.source.as_str()).collect();
        if p.evidence.iter().any(|e| e.signed) {
            failures.push(format!("{file}: evidence called signed: {sources:?}"));
        }
        if ai {
            ai_files += 1;
            if p.ai_generated != Some(true) || !sources.contains(&source) {
                failures.push(format!(
                    "{file}: want AI from {source}, got {:?} from {sources:?}",
                    p.ai_generated
                ));
            }
        } else {
            other_files += 1;
            if p.ai_generated.is_some() {
                failures.push(format!(
                    "{file}: no AI evidence written, got {:?} from {sources:?}",
                    p.ai_generated
                ));
            }
        }
    }
    assert!(
        ai_files >= 13 && other_files >= 5,
        "{ai_files} AI and {other_files} other files"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The pixels alone (no file bytes) give the watermark evidence only.
#[test]
fn a_generator_mark_is_watermark_evidence() {
    let img = edgemark::Image::open(fixture("chelsea_sdxl.png")).expect("fixture");
    let report = Detector::default().detect(&img);
    let p = &report.provenance;
    assert_eq!(p.ai_generated, Some(true));
    assert_eq!(p.evidence.len(), 1, "{p:?}");
    assert_eq!(p.evidence[0].source, "sdxl");
    let clean = edgemark::Image::open(fixture("chelsea.png")).expect("fixture");
    assert_eq!(
        Detector::default().detect(&clean).provenance.ai_generated,
        None
    );
}

/// Metadata readers on damaged files: every file of the metadata cases, mutated where its
/// metadata lies and cut at random (seeded), never panics and never calls anything signed.
#[test]
fn damaged_metadata_never_panics() {
    let Some(py) = python() else { return };
    let dir = scratch("provenance-damaged");
    let out = metadata_cases(&py, &dir);
    let mut rnd = xorshift(0x2545_F491_4F6C_DD1D);
    let mut runs = 0;
    for line in out.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("json line");
        let bytes = std::fs::read(case["file"].as_str().expect("file")).expect("file");
        for _ in 0..200 {
            let mut b = bytes.clone();
            // Metadata sits in the first kilobytes (PNG text chunks, JPEG APP segments) or
            // the last (WebP's EXIF and XMP chunks): mutate there.
            let span = b.len().min(4096);
            for _ in 0..(1 + rnd() % 16) {
                let off = (rnd() as usize) % span;
                let at = if rnd().is_multiple_of(2) {
                    off
                } else {
                    b.len() - 1 - off
                };
                b[at] = rnd() as u8;
            }
            if rnd().is_multiple_of(3) {
                b.truncate((rnd() as usize) % b.len());
            }
            let found = std::panic::catch_unwind(|| edgemark::provenance::scan(&b))
                .unwrap_or_else(|_| panic!("scan panicked on a damaged {}", case["file"]));
            assert!(found.iter().all(|e| !e.signed));
            runs += 1;
        }
    }
    assert!(runs >= 3600, "{runs} damaged files");
}

/// NovelAI's metadata as NovelAI writes it (tests/python/novelai.py: text chunks, the gzipped
/// "stealth" copy in the alpha channel's least significant bits, an Ed25519 `signed_hash`
/// over the pixels and Python's `json.dumps` of the comment, signed with a test key by
/// libsodium; one comment stored in another spelling than Python's; a WebP with the comment in
/// EXIF UserComment): the stealth copy is found with and without the text chunks and in
/// lossless WebP;
/// the signature verifies with the test key exactly where the pixels are unchanged, and never
/// with NovelAI's published key; the default detector flags every file and calls none signed.
#[test]
fn novelai_stealth_copy_and_signature() {
    use edgemark::provenance::{
        check_novelai_signature, scan_image_with_key, stealth_metadata, SignatureCheck,
        NOVELAI_PUBLIC_KEY,
    };
    let Some(py) = python() else { return };
    let dir = scratch("provenance-novelai");
    let cover = fixture("coffee.png");
    let out = run_python(
        &py,
        "novelai.py",
        &[&cover.to_string_lossy(), &dir.to_string_lossy()],
    );
    let out: serde_json::Value = serde_json::from_str(&out).expect("json");
    let b64 = |s: &str| -> Vec<u8> {
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let (mut acc, mut n, mut v) = (0u32, 0, Vec::new());
        for c in s.bytes().take_while(|&c| c != b'=') {
            acc = (acc << 6) | table.iter().position(|&t| t == c).expect("base64") as u32;
            n += 6;
            if n >= 8 {
                n -= 8;
                v.push((acc >> n) as u8);
            }
        }
        v
    };
    let test_key: [u8; 32] = b64(out["public_key"].as_str().unwrap()).try_into().unwrap();
    let novelai_key: [u8; 32] = b64(NOVELAI_PUBLIC_KEY).try_into().unwrap();
    let files = out["files"].as_array().unwrap();
    assert_eq!(files.len(), 7);
    let detector = Detector::default();
    for f in files {
        let file = f["file"].as_str().unwrap();
        let source = f["source"].as_str().unwrap();
        let want = f["signature"].as_str().unwrap();
        let bytes = std::fs::read(file).unwrap();
        let img = edgemark::Image::decode(&bytes).unwrap();

        let stealth = stealth_metadata(&img).unwrap_or_else(|| panic!("{file}: no stealth copy"));
        if source == "NovelAI" {
            assert_eq!(stealth.magic, "stealth_pngcomp", "{file}");
            let json: serde_json::Value = serde_json::from_str(&stealth.text).unwrap();
            assert_eq!(json["Software"], "NovelAI", "{file}");
            let comment = json["Comment"].as_str().unwrap();
            assert_eq!(comment, f["comment"], "{file}: the stealth copy's comment");
            let with_test = check_novelai_signature(&img, comment, &test_key);
            let expected = if want == "verified" {
                SignatureCheck::Verified
            } else {
                SignatureCheck::Failed
            };
            assert_eq!(with_test, expected, "{file}");
            assert_eq!(
                check_novelai_signature(&img, comment, &novelai_key),
                SignatureCheck::Failed,
                "{file}: signed with a test key, not NovelAI's"
            );
        } else {
            assert_eq!(stealth.magic, "stealth_pnginfo", "{file}");
            assert!(stealth.text.contains("Steps: 20"), "{file}");
        }

        // The default detector (NovelAI's key): flagged, nothing called signed.
        let report = detector.detect_bytes(&bytes).unwrap();
        let p = &report.provenance;
        assert_eq!(p.ai_generated, Some(true), "{file}");
        let alpha: Vec<_> = p
            .evidence
            .iter()
            .filter(|e| e.detail.contains("alpha-channel LSB"))
            .collect();
        assert!(
            alpha.len() == 1 && alpha[0].source == source && !alpha[0].signed,
            "{file}: {:?}",
            p.evidence
        );
        if source == "NovelAI" {
            assert!(
                alpha[0].detail.contains("does NOT verify"),
                "{file}: {alpha:?}"
            );
        }

        // With the test key in NovelAI's place: the stealth evidence, and the text chunk where
        // there is one, are signed exactly where the signature verifies.
        let evidence = scan_image_with_key(&bytes, &img, &test_key);
        let signed: Vec<_> = evidence.iter().filter(|e| e.signed).collect();
        let copies = f["copies"].as_u64().unwrap() as usize;
        let want_signed = if want == "verified" { 1 + copies } else { 0 };
        assert_eq!(signed.len(), want_signed, "{file}: {evidence:?}");
        assert!(signed
            .iter()
            .all(|e| e.source == "NovelAI" && e.ai_generated == Some(true)));
    }

    // Damaged alpha planes (random bytes written over the carrying columns, seeded) never
    // panic, and whatever they give is never signed with NovelAI's key.
    let signed_png = files[0]["file"].as_str().unwrap();
    let img = edgemark::Image::open(signed_png).unwrap();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut rnd = xorshift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..200 {
        let mut rgba: Vec<u8> = img
            .rgb()
            .chunks(3)
            .zip(img.alpha().unwrap())
            .flat_map(|(p, &a)| [p[0], p[1], p[2], a])
            .collect();
        for _ in 0..(1 + rnd() % 8) {
            // The payload (about 1 KB of gzip) lies in the first columns.
            let (row, col) = ((rnd() as usize) % h, (rnd() as usize) % 24.min(w));
            rgba[(row * w + col) * 4 + 3] = rnd() as u8;
        }
        let damaged = edgemark::Image::from_raw(
            &rgba,
            w as u32,
            h as u32,
            None,
            edgemark::PixelFormat::Rgba8,
            &edgemark::Limits::default(),
        )
        .unwrap();
        let found = std::panic::catch_unwind(|| edgemark::provenance::scan_image(&[], &damaged))
            .expect("scan_image panicked on a damaged alpha plane");
        assert!(found.iter().all(|e| !e.signed));
    }
}
