//! The `edgemark` binary as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, finding the repository's model cards (`models/`) wherever the target folder
/// is.
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_edgemark"));
    c.env("EDGEMARK_MODELS", repo_models());
    c
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("edgemark runs")
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sdxl_finding(v: &serde_json::Value) -> &serde_json::Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["watermark"] == "sdxl")
        .expect("sdxl finding")
}

#[test]
fn detect_json_finds_sdxl_and_not_clean() {
    let marked = fixture("chelsea_sdxl.png");
    let clean = fixture("chelsea.png");
    let out = run(&[
        "detect",
        "--json",
        marked.to_str().unwrap(),
        clean.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    let f = sdxl_finding(&lines[0]);
    assert_eq!(lines[0]["file"], marked.display().to_string());
    // `watermark` is the preset's name, `scheme` the scheme that reads it; no other name key.
    assert_eq!(f["scheme"], "dwtDct");
    assert!(f.get("method").is_none(), "{f}");
    assert_eq!(f["detected"], true);
    assert!(f["p_value"].as_f64().unwrap() < 1e-9);
    assert_eq!(f["bits"].as_str().unwrap().len(), 48);
    assert!(f["bits"]
        .as_str()
        .unwrap()
        .chars()
        .all(|c| c == '0' || c == '1'));
    assert!(f["matched_bits"].as_u64().unwrap() >= 44);
    assert!(f["payload"]["hex"].as_str().unwrap().starts_with("0x"));
    let g = sdxl_finding(&lines[1]);
    assert_eq!(g["detected"], false);
    assert!(g["p_value"].as_f64().unwrap() > 1e-3);
    // The verdict: the SDXL mark is evidence, the clean photo has none.
    let p = &lines[0]["provenance"];
    assert_eq!(p["ai_generated"], true, "{p}");
    assert_eq!(p["evidence"][0]["kind"], "watermark");
    assert_eq!(p["evidence"][0]["source"], "sdxl");
    assert_eq!(
        lines[1]["provenance"]["ai_generated"],
        serde_json::Value::Null
    );
}

#[test]
fn detect_reports_bad_files_and_carries_on() {
    let dir = scratch("bad-files");
    std::fs::write(dir.join("empty.png"), b"").unwrap();
    std::fs::write(dir.join("text.jpg"), b"not a jpeg").unwrap();
    let png = std::fs::read(fixture("coffee.png")).unwrap();
    std::fs::write(dir.join("truncated.png"), &png[..png.len() / 3]).unwrap();
    std::fs::copy(fixture("coffee_imw_uint8.png"), dir.join("nested.png")).unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::copy(fixture("chelsea_sdxl.png"), dir.join("sub/marked.png")).unwrap();
    std::fs::write(dir.join("notes.txt"), b"ignored: not an image extension").unwrap();
    let missing = dir.join("does-not-exist.png");
    let out = run(&[
        "detect",
        "--json",
        dir.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "bad files are per-file errors, not a failed run"
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 6, "{lines:#?}");
    let by_name = |n: &str| {
        lines
            .iter()
            .find(|l| l["file"].as_str().unwrap().ends_with(n))
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    for n in [
        "empty.png",
        "text.jpg",
        "truncated.png",
        "does-not-exist.png",
    ] {
        let e = by_name(n)["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{n} has no error"));
        assert!(!e.is_empty());
    }
    assert!(by_name("empty.png")["error"]
        .as_str()
        .unwrap()
        .contains("empty"));
    assert_eq!(sdxl_finding(by_name("sub/marked.png"))["detected"], true);
    assert_eq!(sdxl_finding(by_name("nested.png"))["detected"], true);
}

#[test]
fn table_output_is_readable() {
    let out = run(&["detect", fixture("chelsea_sdxl.png").to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("FILE"), "{text}");
    assert!(text.contains("sdxl") && text.contains("YES"), "{text}");
}

#[test]
fn embed_then_detect_with_own_message() {
    let dir = scratch("embed");
    let out_path = dir.join("marked.png");
    let out = run(&[
        "embed",
        "--scheme",
        "dwtDct",
        "--message",
        "text:EdgeMark",
        fixture("coffee.png").to_str().unwrap(),
        out_path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("PSNR"));
    let out = run(&[
        "detect",
        "--json",
        "--scheme",
        "dwtDct",
        "--message",
        "text:EdgeMark",
        out_path.to_str().unwrap(),
        fixture("coffee.png").to_str().unwrap(),
    ]);
    let lines = json_lines(&out);
    let f = &lines[0]["findings"][0];
    // A classical scheme chosen by name is a watermark of that name read by that scheme.
    assert_eq!(
        (&f["watermark"], &f["scheme"]),
        (&"dwtDct".into(), &"dwtDct".into())
    );
    assert_eq!(f["detected"], true);
    assert_eq!(f["payload"]["text"], "EdgeMark");
    assert_eq!(lines[1]["findings"][0]["detected"], false);
}

/// The repository's model folder.
fn repo_models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// `embed --scheme SCHEME --message MESSAGE` on chelsea.png, then `detect --json` with the
/// same scheme and message on the marked and the clean image, with the model cards of
/// `models`; the two JSON lines.
fn model_round_trip(models: &Path, scheme: &str, message: &str) -> Vec<serde_json::Value> {
    let dir = scratch(&format!("embed-{scheme}"));
    let marked = dir.join("marked.png");
    let clean = fixture("chelsea.png");
    let run_with = |args: &[&str]| {
        bin()
            .env("EDGEMARK_MODELS", models)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run_with(&[
        "embed",
        "--scheme",
        scheme,
        "--message",
        message,
        clean.to_str().unwrap(),
        marked.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&run_with(&[
        "detect",
        "--json",
        "--scheme",
        scheme,
        "--message",
        message,
        marked.to_str().unwrap(),
        clean.to_str().unwrap(),
    ]))
}

#[test]
fn our_model_embeds_and_detects() {
    let lines = model_round_trip(&repo_models(), "edgemark-hidden-48", "text:Edge48");
    let f = &lines[0]["findings"][0];
    assert_eq!(f["watermark"], "edgemark-hidden-48");
    assert_eq!(f["detected"], true, "{f}");
    assert_eq!(f["payload"]["text"], "Edge48");
    assert_eq!(lines[1]["findings"][0]["detected"], false);
}

#[test]
fn sdxl_embed_is_found_by_the_preset() {
    let dir = scratch("embed-sdxl");
    let out_path = dir.join("sdxl.png");
    let out = run(&[
        "embed",
        "--scheme",
        "sdxl",
        fixture("astronaut.png").to_str().unwrap(),
        out_path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&run(&["detect", "--json", out_path.to_str().unwrap()]));
    assert_eq!(sdxl_finding(&lines[0])["detected"], true);
}

#[test]
fn usage_errors_exit_non_zero() {
    assert!(!run(&["detect"]).status.success());
    assert!(!run(&["frobnicate"]).status.success());
    let out = run(&["detect", "--scheme", "nope", "--bits", "8", "x.png"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scheme"));
    let out = run(&["embed", "--scheme", "dwtDct", "in.png", "out.png"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn schemes_lists_presets_and_schemes() {
    let out = run(&["schemes", "--json"]);
    let names: Vec<String> = json_lines(&out)
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    // Each exactly once: the registry's entries and the committed model cards.
    for n in [
        "sdxl",
        "dwtDct",
        "dwtDctSvd",
        "rivagan",
        "edgemark-v3",
        "edgemark-hidden-48",
    ] {
        assert_eq!(
            names.iter().filter(|x| *x == n).count(),
            1,
            "{n}: {names:?}"
        );
    }
    let sdxl = &json_lines(&out)[0];
    assert_eq!(
        (
            &sdxl["kind"],
            &sdxl["bits"],
            &sdxl["preset"],
            &sdxl["default"]
        ),
        (
            &serde_json::json!("preset"),
            &serde_json::json!(48),
            &serde_json::json!(true),
            &serde_json::json!(true)
        )
    );
    // Payload and code-word sizes: edgemark-v3 carries 32 payload bits in 127 code bits.
    let v3 = json_lines(&out)
        .into_iter()
        .find(|v| v["name"] == "edgemark-v3" && v["kind"] == "scheme")
        .expect("edgemark-v3 is listed as a scheme");
    assert_eq!(
        (v3["bits"].as_u64(), v3["code_bits"].as_u64()),
        (Some(32), Some(127))
    );
}

#[test]
fn a_model_card_dropped_into_the_model_folder_is_listed_and_usable() {
    let dir = scratch("dropped-model");
    let from = repo_models().join("edgemark-hidden-48");
    let to = dir.join("mine");
    std::fs::create_dir_all(&to).unwrap();
    for f in ["decoder.int8.onnx", "encoder.onnx"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
    let card = std::fs::read_to_string(from.join("card.toml"))
        .unwrap()
        .replace("name = \"edgemark-hidden-48\"", "name = \"my-model\"")
        .replace("aliases = [\"hidden48\"]\n", "");
    std::fs::write(to.join("card.toml"), card).unwrap();
    let out = bin()
        .env("EDGEMARK_MODELS", &dir)
        .args(["schemes", "--json"])
        .output()
        .unwrap();
    let mine = json_lines(&out)
        .into_iter()
        .find(|v| v["name"] == "my-model")
        .expect("the dropped card is listed");
    assert_eq!(
        (&mine["kind"], &mine["bits"]),
        (&serde_json::json!("model"), &serde_json::json!(48))
    );
    let lines = model_round_trip(&dir, "my-model", "text:Mine48");
    let f = &lines[0]["findings"][0];
    assert_eq!(f["scheme"], "my-model");
    assert_eq!(f["detected"], true, "{f}");
    assert_eq!(lines[1]["findings"][0]["detected"], false);
}
