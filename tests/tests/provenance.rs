//! Provenance metadata as the tools write it (tests/python/metadata.py writes each case with
//! Pillow, the way AUTOMATIC1111, ComfyUI, InvokeAI, NovelAI, FLUX, Midjourney and GB
//! 45438-2025 labels do), read by the default detector from the file's bytes: every AI case is
//! flagged with the expected source, no other file is, and nothing is called signed.

use edgemark::Detector;
use edgemark_tests::*;

#[test]
fn metadata_of_every_generator_sets_the_verdict_and_nothing_else_does() {
    let Some(py) = python() else { return };
    let dir = scratch("provenance");
    let cover = fixture("coffee.png");
    let out = run_python(
        &py,
        "metadata.py",
        &[&cover.to_string_lossy(), &dir.to_string_lossy()],
    );
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
