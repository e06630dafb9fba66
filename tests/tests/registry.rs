//! The registry of schemes with model cards: a card copied into a model folder is listed
//! and usable by name without a code change, and broken or clashing cards are left out with
//! a note.

use edgemark::registry::{Kind, Registry, Request};
use edgemark::{Bits, Detector, Image};
use edgemark_tests::*;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Copies the committed `edgemark-hidden-48` folder's card and ONNX files into `dir/folder`,
/// with the card's text edited by `edit`.
fn copy_model(dir: &Path, folder: &str, edit: impl Fn(String) -> String) {
    let from = root().join("models/edgemark-hidden-48");
    let to = dir.join(folder);
    std::fs::create_dir_all(&to).unwrap();
    for f in ["decoder.onnx", "encoder.onnx"] {
        std::fs::copy(from.join(f), to.join(f))
            .unwrap_or_else(|e| panic!("committed {}: {e}", from.join(f).display()));
    }
    let card = std::fs::read_to_string(from.join("card.toml")).unwrap();
    std::fs::write(to.join("card.toml"), edit(card)).unwrap();
}

#[test]
fn a_copied_model_card_is_listed_and_detected_without_code() {
    let dir = scratch("registry-models");
    copy_model(&dir, "copied", |card| {
        card.replace(
            "name = \"edgemark-hidden-48\"",
            "name = \"dropped-48\"\naliases = [\"dropped\"]",
        )
        .replace("aliases = [\"hidden48\"]\n", "")
    });
    // Same name as a built-in: left out, noted.
    copy_model(&dir, "clash", |card| {
        card.replace("name = \"edgemark-hidden-48\"", "name = \"SDXL\"")
            .replace("aliases = [\"hidden48\"]\n", "")
    });
    // Not a card at all: left out, noted.
    std::fs::create_dir_all(dir.join("broken")).unwrap();
    std::fs::write(dir.join("broken/card.toml"), "name = 1").unwrap();
    // No card: not a model folder.
    std::fs::create_dir_all(dir.join("empty")).unwrap();

    let registry = Registry::builtin().scan(&dir);
    let listed: Vec<&str> = registry.entries().iter().map(|e| e.name.as_str()).collect();
    // The generator presets (all default), then our own scheme, the classical ones, the card.
    let mut want = edgemark::DEFAULT_PRESETS.to_vec();
    want.extend([
        "edgemark-v3",
        "edgemark-screen",
        "dwtDct",
        "dwtDctSvd",
        "dropped-48",
    ]);
    assert_eq!(listed, want);
    let e = registry.get("DROPPED").unwrap();
    assert_eq!(e.kind, Kind::Neural);
    assert_eq!((e.bits, e.code_bits, e.preset), (Some(48), Some(48), false));
    assert!(
        e.description.contains("learned tiled watermark"),
        "{}",
        e.description
    );
    let notes = registry.skipped().join("\n");
    assert!(notes.contains("name is taken by preset 'sdxl'"), "{notes}");
    assert!(notes.contains("broken"), "{notes}");
    assert_eq!(registry.skipped().len(), 2, "{notes}");

    // Built by name, embedded, detected; the clean cover is not.
    let message = Bits::from_hex("0x5EC7A1D09B3F").unwrap();
    let mark = registry
        .build("dropped", &Request::new().message(Some(message.clone())))
        .unwrap();
    assert_eq!(mark.name(), "dropped-48");
    let cover = Image::open(fixture("chelsea.png")).unwrap();
    let marked = mark.embed(&cover, None).unwrap();
    let det = Detector::new().with(mark);
    let found = &det.detect(&marked).findings[0];
    assert!(found.detected, "{found:?}");
    assert_eq!(found.payload.hex, message.to_hex());
    assert!(!det.detect(&cover).findings[0].detected);

    // A second folder with the same card: the first folder takes precedence, silently.
    let again = scratch("registry-models-2");
    copy_model(&again, "copied", |card| {
        card.replace("name = \"edgemark-hidden-48\"", "name = \"dropped-48\"")
            .replace("aliases = [\"hidden48\"]\n", "")
    });
    let both = Registry::builtin().scan(&dir).scan(&again);
    assert_eq!(both.entries().len(), registry.entries().len());
    assert_eq!(both.skipped().len(), 2);
}

/// The committed model folder: every card in it is listed once, under its name and aliases.
#[test]
fn the_committed_models_are_listed() {
    let registry = Registry::builtin().scan(&root().join("models"));
    assert!(registry.skipped().is_empty(), "{:?}", registry.skipped());
    for (name, alias, bits) in [
        ("edgemark-hidden-48", "hidden48", 48),
        ("rivagan", "rivagan", 32),
    ] {
        let e = registry.get(alias).unwrap();
        assert_eq!(
            (e.name.as_str(), e.kind, e.bits),
            (name, Kind::Neural, Some(bits))
        );
        let n = registry
            .entries()
            .iter()
            .filter(|e| e.answers_to(name))
            .count();
        assert_eq!(n, 1, "{name}");
    }
    // The learned model builds from its committed files.
    let w = registry
        .build("hidden48", &Request::new().bits(Some(48)))
        .unwrap();
    assert_eq!(w.scheme().bit_len(), 48);
}
