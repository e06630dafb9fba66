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
    for f in ["decoder.onnx", "encoder.onnx"] {
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

#[test]
fn overlay_renders_png_and_raw_tiles_and_rejects_bad_input() {
    let dir = scratch("overlay");
    let (png, raw, big) = (dir.join("t.png"), dir.join("t.rgba"), dir.join("big.rgba"));
    for (out, size) in [(&png, None), (&raw, None), (&big, Some("300x200"))] {
        let mut args = vec![
            "overlay",
            "--id",
            "0xC0FFEE",
            "--out",
            out.to_str().unwrap(),
        ];
        if let Some(s) = size {
            args.extend(["--size", s]);
        }
        let o = run(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let tile = std::fs::read(&raw).unwrap();
    assert_eq!(tile.len(), 128 * 128 * 4);
    // The PNG holds the same straight RGBA bytes.
    let decoded = image::open(&png).unwrap().to_rgba8();
    assert_eq!(decoded.dimensions(), (128, 128));
    assert_eq!(decoded.into_raw(), tile);
    // The large render repeats the tile from the top-left corner.
    let big = std::fs::read(&big).unwrap();
    assert_eq!(big.len(), 300 * 200 * 4);
    let px = |buf: &[u8], w: usize, x: usize, y: usize| buf[(y * w + x) * 4..][..4].to_vec();
    assert_eq!(px(&big, 300, 130, 199), px(&tile, 128, 2, 71));
    // Decimal and hex name the same ID; another ID is another tile.
    let dec = dir.join("dec.rgba");
    assert!(run(&[
        "overlay",
        "--id",
        "12648430",
        "--out",
        dec.to_str().unwrap()
    ])
    .status
    .success());
    assert_eq!(std::fs::read(&dec).unwrap(), tile);
    let other = dir.join("other.rgba");
    assert!(run(&[
        "overlay",
        "--id",
        "12648431",
        "--out",
        other.to_str().unwrap()
    ])
    .status
    .success());
    assert_ne!(std::fs::read(&other).unwrap(), tile);
    for (args, needle) in [
        (vec!["--id=-1"], "is not an ID"),
        (vec!["--id", "0x1FFFFFFFF"], "is not an ID"),
        (vec!["--id", "7", "--strength", "0"], "strength"),
        (vec!["--id", "7", "--size", "12"], "WxH"),
    ] {
        let mut a = vec!["overlay", "--out", raw.to_str().unwrap()];
        a.extend(args);
        let o = run(&a);
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains(needle), "{a:?}");
    }
    let o = run(&[
        "overlay",
        "--id",
        "7",
        "--out",
        dir.join("t.jpg").to_str().unwrap(),
    ]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("alpha"));
}

#[test]
fn trace_names_the_viewer_of_re_encoded_screenshots_and_nobody_on_clean_ones() {
    let dir = scratch("trace");
    let ids = dir.join("ids.csv");
    std::fs::write(&ids, "id,name\n7,bob\n0x00C0FFEE,alice\n99,carol\n").unwrap();
    let mut shots = Vec::new();
    for (i, screen) in ["screen_dense_text.png", "screen_dark_dashboard.png"]
        .iter()
        .enumerate()
    {
        let marked = dir.join(format!("marked{i}.png"));
        let o = run(&[
            "embed",
            "--scheme",
            "edgemark-screen",
            "--message",
            "0x00C0FFEE",
            fixture(screen).to_str().unwrap(),
            marked.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // Off the reader's grid: zoomed by 1.37 and 0.71, cropped, JPEG 75.
        let img = image::open(&marked).unwrap().to_rgb8();
        for (j, zoom) in [1.37f32, 0.71].iter().enumerate() {
            let (w, h) = (img.width() as f32 * zoom, img.height() as f32 * zoom);
            let z = image::imageops::resize(
                &img,
                w as u32,
                h as u32,
                image::imageops::FilterType::Triangle,
            );
            let crop =
                image::imageops::crop_imm(&z, 23, 17, 310.min(z.width() - 23), 310).to_image();
            let path = dir.join(format!("shot{i}-{j}.jpg"));
            let mut f = std::fs::File::create(&path).unwrap();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut f, 75)
                .encode_image(&crop)
                .unwrap();
            shots.push(path);
        }
    }
    let clean: Vec<PathBuf> = [
        "screen_dense_text.png",
        "screen_dark_dashboard.png",
        "chelsea.png",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    for (list, fast) in [(None, false), (Some(&ids), false), (None, true)] {
        let mut args = vec!["trace".to_string(), "--json".to_string()];
        if let Some(l) = list {
            args.extend(["--ids".to_string(), l.display().to_string()]);
        }
        if fast {
            args.push("--screenshots-only".to_string());
        }
        args.extend(shots.iter().chain(&clean).map(|p| p.display().to_string()));
        let o = bin().args(&args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let lines = json_lines(&o);
        assert_eq!(lines.len(), shots.len() + clean.len());
        for l in &lines[..shots.len()] {
            assert_eq!(l["detected"], true, "{l}");
            assert_eq!(l["id"], 0xC0FFEE, "{l}");
            assert!(l["p_value"].as_f64().unwrap() <= 1e-6, "{l}");
            if list.is_some() {
                assert_eq!(l["name"], "alice", "{l}");
                assert_eq!(l["candidates"], 3, "{l}");
            }
        }
        for l in &lines[shots.len()..] {
            assert_eq!(l["detected"], false, "{l}");
            assert!(l["id"].is_null(), "{l}");
        }
    }
    // A list without the viewer names nobody.
    std::fs::write(&ids, "7,bob\n99,carol\n").unwrap();
    let o = run(&[
        "trace",
        "--json",
        "--ids",
        ids.to_str().unwrap(),
        shots[0].to_str().unwrap(),
    ]);
    let l = &json_lines(&o)[0];
    assert_eq!(l["detected"], false, "{l}");
    assert_eq!(l["decoded_id"], 0xC0FFEE, "{l}");
    // Errors: a malformed list, a missing file.
    std::fs::write(&ids, "7,bob\nseven,carol\n").unwrap();
    let o = run(&[
        "trace",
        "--ids",
        ids.to_str().unwrap(),
        shots[0].to_str().unwrap(),
    ]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("line 2"));
    let o = run(&["trace", "--json", dir.join("nope.png").to_str().unwrap()]);
    assert!(o.status.success());
    assert!(json_lines(&o)[0]["error"].is_string());
}

/// C2PA-signed files from the real SDK (tests/python/c2pa_sign.py): `detect --json` validates
/// them against `--c2pa-anchors`; an anchors file without certificates is a usage error.
#[test]
fn detect_validates_c2pa_manifests_against_given_anchors() {
    let Some(py) = edgemark_tests::python() else {
        return;
    };
    let dir = scratch("c2pa");
    edgemark_tests::run_python(
        &py,
        "c2pa_sign.py",
        &[
            &fixture("coffee.png").to_string_lossy(),
            &dir.to_string_lossy(),
        ],
    );
    let ca = dir.join("test-ca.pem");
    let files = ["ai.png", "camera.jpg", "other-ca.jpg", "plain.jpg"].map(|f| dir.join(f));
    let mut args = vec!["detect", "--json", "--c2pa-anchors", ca.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let state = |v: &serde_json::Value| {
        let p = &v["provenance"];
        let c2pa: Vec<_> = p["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "c2pa")
            .map(|e| (e["c2pa"]["validation"].clone(), e["signed"].clone()))
            .collect();
        (p["ai_generated"].clone(), c2pa)
    };
    use serde_json::json;
    let want = [
        (json!(true), vec![(json!("valid"), json!(true))]),
        (json!(false), vec![(json!("valid"), json!(true))]),
        (json!(true), vec![(json!("untrusted_signer"), json!(false))]),
        (json!(null), vec![]),
    ];
    for ((line, want), file) in lines.iter().zip(want).zip(&files) {
        assert_eq!(state(line), want, "{}", file.display());
    }
    assert_eq!(lines.len(), 4);
    // The table says which manifest is signed, and why another is not.
    let out = run(&[
        "detect",
        "--c2pa-anchors",
        ca.to_str().unwrap(),
        files[0].to_str().unwrap(),
        files[2].to_str().unwrap(),
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("c2pa TestDiffusion, signed")
            && table.contains("c2pa TestDiffusion, untrusted_signer"),
        "{table}"
    );

    let bad = dir.join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    let out = run(&[
        "detect",
        "--c2pa-anchors",
        bad.to_str().unwrap(),
        files[0].to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("C2PA trust anchors"));
}
