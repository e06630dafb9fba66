//! Dataset audit statistics on real photographs: weak marks that no single image reveals add
//! up over a collection; clean collections stay calibrated against many decoy recipients.
//! (The `edgemark dataset` commands end to end: cli/tests/dataset.rs.)

use edgemark::dataset::{self, Audit, AuditOptions, Manifest, MarkOptions};
use edgemark::{Bits, EdgemarkV3, Image, Scheme};
use edgemark_tests::{jpeg_round_trip, photo_windows, scratch};
use std::path::Path;

const KEY: &str = "dataset-test-key";
const SIDE: u32 = 256;

/// A manifest for `recipient` under [`KEY`], made by marking a one-image folder (its payload is
/// what the collections below carry).
fn manifest_for(recipient: &str, dir: &Path, cover: &Image) -> Manifest {
    let input = dir.join(format!("in-{recipient}"));
    std::fs::create_dir_all(&input).unwrap();
    cover.save(input.join("one.png")).unwrap();
    // A fixed salt: the payloads, hence the figures below, are the same on every run.
    let opts = MarkOptions::new(recipient, 1.0)
        .unwrap()
        .with_key(KEY)
        .with_salt("fixed-test-salt");
    dataset::mark(
        &input,
        &dir.join(format!("out-{recipient}")),
        &dir.join(format!("{recipient}.manifest.json")),
        &opts,
        &|_| {},
    )
    .unwrap()
}

/// Writes the windows, each marked with `payload` at `psnr` and re-encoded as JPEG `quality`
/// (or clean when `psnr` is `None`), as PNG files under `dir`.
fn collection(dir: &Path, windows: &[Image], payload: &Bits, psnr: Option<f32>, quality: u8) {
    std::fs::create_dir_all(dir).unwrap();
    for (i, w) in windows.iter().enumerate() {
        let img = match psnr {
            Some(p) => {
                let marked = EdgemarkV3::new()
                    .unwrap()
                    .with_psnr(p)
                    .unwrap()
                    .embed(w, payload)
                    .unwrap();
                jpeg_round_trip(&marked, quality)
            }
            None => w.clone(),
        };
        img.save(dir.join(format!("{i:04}.png"))).unwrap();
    }
}

fn audit(manifests: &[Manifest], dir: &Path) -> Audit {
    dataset::audit(manifests, dir, &AuditOptions::default(), &|_| {}).unwrap()
}

/// Weak marks (PSNR 54 dB, then JPEG 50; 191 photo windows): each image's bits are barely
/// better than chance and few images name the recipient alone, but the collection statistic
/// over all of them does, and names no one else.
#[test]
fn weak_marks_add_up_over_a_collection() {
    let Some(windows) = photo_windows(SIDE, 400) else {
        return;
    };
    assert!(windows.len() >= 150, "{} windows", windows.len());
    let dir = scratch("dataset-weak");
    let manifests: Vec<Manifest> = ["north", "south", "east"]
        .iter()
        .map(|r| manifest_for(r, &dir, &windows[0]))
        .collect();
    let suspect = dir.join("suspect");
    collection(
        &suspect,
        &windows,
        &manifests[1].payload_bits().unwrap(),
        Some(54.0),
        50,
    );
    let a = audit(&manifests, &suspect);
    let south = &a.recipients[1];
    eprintln!(
        "{:?}\ncopies p {:.2e}, alone {} of {}",
        south.weak, south.copies_p_value, south.marked_found, a.images
    );
    assert!(a.detected, "the collection names its recipient");
    assert_eq!(a.recipient.as_deref(), Some("south"));
    assert!(south.weak.bit_accuracy < 0.53, "{:?}", south.weak);
    assert!(
        south.marked_found * 10 < a.images,
        "{} of {}",
        south.marked_found,
        a.images
    );
    // The weak bits of the whole collection are evidence on their own.
    assert!(south.weak.p_value <= 1e-4, "{:?}", south.weak);
    for r in [&a.recipients[0], &a.recipients[2]] {
        assert!(
            !r.detected && r.p_value > 1e-3,
            "{} {:?}",
            r.recipient,
            r.weak
        );
    }
}

/// A clean collection against 60 decoy recipients: the combined statistic's p-values are
/// conservative (no more small ones than chance allows) and nothing is detected.
#[test]
fn clean_collections_stay_calibrated_against_decoys() {
    let Some(windows) = photo_windows(SIDE, 120) else {
        return;
    };
    let dir = scratch("dataset-decoys");
    let manifests: Vec<Manifest> = (0..60)
        .map(|i| manifest_for(&format!("decoy-{i}"), &dir, &windows[0]))
        .collect();
    let suspect = dir.join("clean");
    collection(&suspect, &windows, &Bits::default(), None, 0);
    let a = audit(&manifests, &suspect);
    assert!(!a.detected, "p = {}", a.p_value);
    assert_eq!(a.marked_found, 0);
    let weak: Vec<f64> = a.recipients.iter().map(|r| r.weak.p_value).collect();
    let small = weak.iter().filter(|&&p| p <= 0.1).count();
    eprintln!(
        "decoys with weak p <= 0.1: {small} of 60; smallest {:.3e}",
        weak.iter().cloned().fold(1.0, f64::min)
    );
    // At most 0.1 x 60 = 6 expected for a valid p-value; 14 would have chance 0.3 %.
    assert!(small <= 13, "{small} of 60 decoys at p <= 0.1");
}

/// The table in docs/dataset.md: per-image bit accuracy of weak marks and the collection size
/// the audit needs for p <= 1e-6 (three recipients). Slow: `cargo test --release -p
/// edgemark-tests --test dataset -- --ignored --nocapture`.
#[test]
#[ignore]
fn images_needed_by_bit_accuracy() {
    let Some(windows) = photo_windows(SIDE, 320) else {
        return;
    };
    let dir = scratch("dataset-table");
    let manifests: Vec<Manifest> = ["north", "south", "east"]
        .iter()
        .map(|r| manifest_for(r, &dir, &windows[0]))
        .collect();
    println!("| PSNR | JPEG | bit accuracy | images detected alone | combined z (all) | copies p (all) | images needed (p <= 1e-6) |");
    println!("|---|---|---|---|---|---|---|");
    for (psnr, q) in [
        (46.0, 50u8),
        (50.0, 50),
        (52.0, 50),
        (54.0, 50),
        (56.0, 50),
        (56.0, 75),
        (50.0, 30),
    ] {
        let suspect = dir.join(format!("p{psnr}-q{q}"));
        collection(
            &suspect,
            &windows,
            &manifests[1].payload_bits().unwrap(),
            Some(psnr),
            q,
        );
        let all = audit(&manifests, &suspect);
        let s = &all.recipients[1];
        // Smallest prefix of the collection that the audit names "south" on.
        let mut needed = None;
        for n in [5usize, 10, 15, 20, 30, 40, 60, 80, 120, 160, 240, 320] {
            let n = n.min(windows.len());
            let sub = dir.join(format!("p{psnr}-q{q}-n{n}"));
            std::fs::create_dir_all(&sub).unwrap();
            for i in 0..n {
                let f = format!("{i:04}.png");
                std::fs::copy(suspect.join(&f), sub.join(&f)).unwrap();
            }
            let a = audit(&manifests, &sub);
            if a.recipient.as_deref() == Some("south") {
                needed = Some(n);
                break;
            }
            if n == windows.len() {
                break;
            }
        }
        println!(
            "| {psnr} | {q} | {:.3} | {} of {} | {:.1} | {:.1e} | {} |",
            s.weak.bit_accuracy,
            s.marked_found,
            all.images,
            s.weak.z,
            s.copies_p_value,
            needed.map_or(format!("> {}", windows.len()), |n| n.to_string())
        );
    }
}
