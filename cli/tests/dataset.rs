//! `edgemark dataset mark` and `edgemark dataset audit` end to end, as a dataset owner runs
//! them: three recipients' copies of a folder of photo windows, then audits of a re-encoded,
//! resized leak, of a leak mixed into other images, and of the clean original.

use edgemark_tests::{photo_windows, to_rgb_image};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgemark"))
        .args(args)
        .output()
        .expect("edgemark runs")
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file under `dir`: relative path -> bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A dataset: 48 photo windows of 384x384 (PNG, every fourth JPEG) in nested folders, a text file, a
/// corrupt PNG and one too small to mark.
fn dataset(dir: &Path) -> Option<()> {
    let windows = photo_windows(384, 48)?;
    assert_eq!(windows.len(), 48);
    for (i, w) in windows.iter().enumerate() {
        let sub = dir.join(["a", "b/c", "b/d"][i % 3]);
        std::fs::create_dir_all(&sub).unwrap();
        if i % 4 == 0 {
            let mut bytes = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 92)
                .encode_image(&to_rgb_image(w))
                .unwrap();
            std::fs::write(sub.join(format!("w{i:02}.jpg")), bytes).unwrap();
        } else {
            w.save(sub.join(format!("w{i:02}.png"))).unwrap();
        }
    }
    std::fs::write(dir.join("LICENSE.txt"), "all rights reserved\n").unwrap();
    std::fs::write(dir.join("a/broken.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let tiny = edgemark::Image::from_rgb(40, 40, vec![90; 40 * 40 * 3]).unwrap();
    tiny.save(dir.join("a/tiny.png")).unwrap();
    Some(())
}

fn manifest(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn audit(manifests: &[&Path], suspect: &Path) -> serde_json::Value {
    let mut args = vec!["dataset", "audit", "--json"];
    for m in manifests {
        args.extend(["--manifest", m.to_str().unwrap()]);
    }
    args.push(suspect.to_str().unwrap());
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// A leak as it travels: marked files resized by 0.8-1.0 and re-encoded as JPEG 70-88
/// (seeded), the others copied.
fn leak(copy: &Path, m: &serde_json::Value, out: &Path) {
    let mut next = edgemark_tests::xorshift(1234);
    for f in m["files"].as_array().unwrap() {
        let rel = f["path"].as_str().unwrap();
        let dst = out.join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        if f["action"] == "marked" {
            let img = edgemark::Image::open(copy.join(rel)).unwrap();
            let s = 0.8 + 0.2 * (next() % 1000) as f64 / 1000.0;
            let (w, h) = (
                (img.width() as f64 * s) as u32,
                (img.height() as f64 * s) as u32,
            );
            let small = image::imageops::resize(
                &to_rgb_image(&img),
                w,
                h,
                image::imageops::FilterType::Triangle,
            );
            let q = 70 + (next() % 19) as u8;
            let mut bytes = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, q)
                .encode_image(&small)
                .unwrap();
            std::fs::write(dst.with_extension("jpg"), bytes).unwrap();
        } else {
            std::fs::copy(copy.join(rel), &dst).unwrap();
        }
    }
}

#[test]
fn mark_copies_resume_and_audit_names_the_recipient() {
    let dir = scratch("dataset-cli");
    let input = dir.join("photos");
    if dataset(&input).is_none() {
        return;
    }
    let before = tree(&input);
    let names = ["alpha", "bravo", "charlie"];
    for r in names {
        let out = run(&[
            "dataset",
            "mark",
            "--recipient",
            r,
            "--fraction",
            "0.25",
            "--key",
            "k1",
            input.to_str().unwrap(),
            dir.join(r).to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(tree(&input), before, "the dataset is never written to");

    // The copy: marked files changed and recorded, every other file byte-identical.
    let mpath = dir.join("bravo.manifest.json");
    let m = manifest(&mpath);
    let copy = tree(&dir.join("bravo"));
    assert_eq!(copy.len(), before.len());
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), before.len());
    // 50 markable files (48 windows, broken.png, tiny.png): 25 % of them selected.
    assert_eq!(m["selected"], 13);
    let marked: Vec<&str> = files
        .iter()
        .filter(|f| f["action"] == "marked")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!((11..=13).contains(&marked.len()), "{marked:?}");
    assert_eq!(m["marked"], marked.len());
    for f in files {
        let rel = f["path"].as_str().unwrap();
        let sha = f["sha256"].as_str().unwrap();
        assert_eq!(sha, sha256_hex(&copy[rel]), "{rel}: digest of the copy");
        assert_eq!(
            f["original_sha256"].as_str().unwrap(),
            sha256_hex(&before[rel])
        );
        if f["action"] == "copied" {
            assert_eq!(copy[rel], before[rel], "{rel} copied byte for byte");
        } else {
            assert_ne!(copy[rel], before[rel], "{rel} marked");
        }
    }
    let note = |p: &str| files.iter().find(|f| f["path"] == p).unwrap()["note"].clone();
    assert_eq!(note("LICENSE.txt"), "not an image");
    // Other recipients: other payloads and subsets.
    let ma = manifest(&dir.join("alpha.manifest.json"));
    assert_ne!(ma["payload"], m["payload"]);

    // Resume: a deleted and a damaged output are redone identically; a finished run repeats
    // to the same manifest; other options on the same manifest are refused.
    let victim = dir.join("bravo").join(marked[0]);
    let damaged = dir.join("bravo").join(marked[1]);
    std::fs::remove_file(&victim).unwrap();
    std::fs::write(&damaged, b"half").unwrap();
    let again = |fraction: &str| {
        run(&[
            "dataset",
            "mark",
            "--recipient",
            "bravo",
            "--fraction",
            fraction,
            "--key",
            "k1",
            input.to_str().unwrap(),
            dir.join("bravo").to_str().unwrap(),
        ])
    };
    assert!(again("0.25").status.success());
    assert_eq!(
        tree(&dir.join("bravo")),
        copy,
        "outputs restored byte for byte"
    );
    assert_eq!(manifest(&mpath), m);
    let other = again("0.5");
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("another marking"));

    // Audit a leak of bravo's copy (resized, re-encoded) against all three manifests.
    let manifests: Vec<PathBuf> = names
        .iter()
        .map(|r| dir.join(format!("{r}.manifest.json")))
        .collect();
    let mrefs: Vec<&Path> = manifests.iter().map(PathBuf::as_path).collect();
    let leaked = dir.join("leak");
    leak(&dir.join("bravo"), &m, &leaked);
    let a = audit(&mrefs, &leaked);
    eprintln!("{a:#}");
    assert_eq!(a["detected"], true);
    assert_eq!(a["recipient"], "bravo");
    assert!(a["p_value"].as_f64().unwrap() <= 1e-6);
    assert!(
        a["marked_found"].as_u64().unwrap() >= 8,
        "{}",
        a["marked_found"]
    );
    assert_eq!(
        a["recipients"][1]["exact_copies"], 0,
        "every marked file was re-encoded"
    );
    for r in [0, 2] {
        assert_eq!(a["recipients"][r]["detected"], false);
        assert_eq!(a["recipients"][r]["marked_found"], 0);
    }
    assert_eq!(a["other_files"], 1);

    // Three of bravo's marked files, as they were handed out, among unrelated images.
    let mixed = dir.join("mixed");
    std::fs::create_dir_all(&mixed).unwrap();
    for rel in &marked[..3] {
        std::fs::copy(
            dir.join("bravo").join(rel),
            mixed.join(rel.replace('/', "_")),
        )
        .unwrap();
    }
    for (i, w) in photo_windows(200, 30).unwrap().iter().enumerate() {
        w.save(mixed.join(format!("other{i:02}.png"))).unwrap();
    }
    let a = audit(&mrefs, &mixed);
    assert_eq!(a["recipient"], "bravo");
    assert_eq!(a["recipients"][1]["exact_copies"], 3);

    // The clean original names no one.
    let a = audit(&mrefs, &input);
    assert_eq!(a["detected"], false, "{a:#}");
    assert_eq!(a["recipient"], serde_json::Value::Null);
    assert_eq!(a["marked_found"], 0);
    assert_eq!(
        a["unreadable"], 2,
        "broken.png and tiny.png are reported, not read"
    );
}

#[test]
fn bad_arguments_are_refused_with_reasons() {
    let dir = scratch("dataset-cli-bad");
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let inside = input.join("copy");
    let outside = dir.join("out");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--fraction", "0"], "fraction"),
        (vec!["--fraction", "1.5"], "fraction"),
        (vec!["--fraction", "0.1", "--psnr", "20"], "PSNR"),
    ];
    for (extra, expect) in cases {
        let mut args = vec!["dataset", "mark", "--recipient", "x"];
        args.extend(extra);
        args.extend([input.to_str().unwrap(), outside.to_str().unwrap()]);
        let out = run(&args);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(expect),
            "{args:?}"
        );
    }
    let mark_x = |out: &str| {
        run(&[
            "dataset",
            "mark",
            "--recipient",
            "x",
            "--fraction",
            "0.1",
            input.to_str().unwrap(),
            out,
        ])
    };
    let out = mark_x(inside.to_str().unwrap());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must not contain"));
    // A trailing slash: the manifest still goes beside the copy.
    let slash = format!("{}/", dir.join("out2").display());
    let out = mark_x(&slash);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("out2.manifest.json").is_file());
    // A run holding the lock (or a killed one) keeps another from writing the same copy.
    std::fs::write(dir.join("out3.manifest.json.lock"), b"").unwrap();
    let out = mark_x(dir.join("out3").to_str().unwrap());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another `dataset mark`"));
    // Not a manifest.
    std::fs::write(dir.join("junk.json"), "{\"hello\": 1}").unwrap();
    let out = run(&[
        "dataset",
        "audit",
        "--manifest",
        dir.join("junk.json").to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest"));
}

fn sha256_hex(bytes: &[u8]) -> String {
    // The CLI's digests, recomputed independently of EdgeMark with the system's sha256sum.
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum (coreutils)");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// `--salt` fixes the payload and the marked subset (reproducible experiments): two copies
/// with the same salt are byte-identical and carry the same payload; without it every copy
/// draws its own salt, hence its own payload.
#[test]
fn a_fixed_salt_makes_the_copy_reproducible() {
    let dir = scratch("dataset-salt");
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let mut next = edgemark_tests::xorshift(0x9E37_79B9_7F4A_7C15);
    for i in 0..4 {
        let img = image::RgbImage::from_fn(160, 160, |x, y| {
            let v = (((x / 8 + y / 8) % 2) * 80 + 60) as u8 ^ (next() as u8 & 0x3f);
            image::Rgb([v, v.wrapping_add(20), v.wrapping_add(40)])
        });
        img.save(input.join(format!("img{i}.png"))).unwrap();
    }
    let mark = |out: &str, salt: Option<&str>| {
        let target = dir.join(out);
        let mut args = vec![
            "dataset",
            "mark",
            "--recipient",
            "acme",
            "--fraction",
            "0.5",
        ];
        if let Some(s) = salt {
            args.extend(["--salt", s]);
        }
        args.extend([input.to_str().unwrap(), target.to_str().unwrap()]);
        let o = run(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            tree(&target),
            manifest(&dir.join(format!("{out}.manifest.json"))),
        )
    };
    let (a, ma) = mark("a", Some("s1"));
    let (b, mb) = mark("b", Some("s1"));
    assert_eq!(a, b, "same salt: the same copy, byte for byte");
    assert_eq!((&ma["payload"], &ma["salt"]), (&mb["payload"], &mb["salt"]));
    assert_eq!(ma["salt"], "s1");
    assert_eq!(ma["marked"], 2);
    let (_, mc) = mark("c", None);
    let (_, md) = mark("d", None);
    assert_ne!(mc["salt"], md["salt"]);
    assert_ne!(mc["payload"], md["payload"]);
    assert_ne!(mc["payload"], ma["payload"]);
    let _ = std::fs::remove_dir_all(&dir);
}
