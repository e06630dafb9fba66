//! The `edgemark` binary as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_edgemark"))
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

#[test]
fn our_model_embeds_and_detects() {
    let dir = scratch("embed-hidden48");
    let out_path = dir.join("marked.png");
    let out = run(&[
        "embed",
        "--scheme",
        "edgemark-hidden-48",
        "--message",
        "text:Edge48",
        fixture("chelsea.png").to_str().unwrap(),
        out_path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "detect",
        "--json",
        "--scheme",
        "edgemark-hidden-48",
        "--message",
        "text:Edge48",
        out_path.to_str().unwrap(),
        fixture("chelsea.png").to_str().unwrap(),
    ]);
    let lines = json_lines(&out);
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
    for n in ["sdxl", "dwtDct", "dwtDctSvd", "rivagan", "edgemark-v3"] {
        assert!(names.iter().any(|x| x == n), "{names:?}");
    }
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
