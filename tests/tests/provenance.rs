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
