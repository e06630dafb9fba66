//! C2PA manifests signed by the real C2PA SDK (tests/python/c2pa_sign.py: `c2pa-python` from
//! PyPI, a test certificate authority made with `cryptography`), validated by EdgeMark's
//! default detector (core feature `c2pa`): signer, validation state, digital source types and
//! the verdict, with the test CA as a trust anchor and without it; tampered files and files
//! signed by an unknown authority are never called signed; damaged manifests never panic.

use edgemark::provenance::{C2paTrust, C2paValidation, Evidence, EvidenceKind};
use edgemark::Detector;
use edgemark_tests::*;

struct Case {
    file: String,
    case: String,
    source_type: String,
    claim_generator: String,
}

/// Signs the cases into a scratch folder; returns them and the test CA's PEM.
fn cases(name: &str) -> Option<(Vec<Case>, String, std::path::PathBuf)> {
    let py = python()?;
    let dir = scratch(name);
    let out = run_python(
        &py,
        "c2pa_sign.py",
        &[
            &fixture("coffee.png").to_string_lossy(),
            &dir.to_string_lossy(),
        ],
    );
    let cases = out
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("json line");
            let s = |k: &str| v[k].as_str().expect(k).to_string();
            Case {
                file: s("file"),
                case: s("case"),
                source_type: s("source_type"),
                claim_generator: s("claim_generator"),
            }
        })
        .collect::<Vec<_>>();
    assert_eq!(cases.len(), 7, "c2pa_sign.py wrote {} cases", cases.len());
    let ca = std::fs::read_to_string(dir.join("test-ca.pem")).expect("test CA");
    Some((cases, ca, dir))
}

fn c2pa_evidence(e: &[Evidence]) -> Vec<&Evidence> {
    e.iter().filter(|e| e.kind == EvidenceKind::C2pa).collect()
}

#[test]
fn signed_manifests_are_validated_against_the_trust_anchors() {
    let Some((cases, ca, _)) = cases("c2pa-validate") else {
        return;
    };
    let trust = C2paTrust::bundled().with_anchors(&ca).expect("test CA");
    let with_ca = Detector::default().with_c2pa_trust(trust);
    let bundled_only = Detector::default();
    let mut failures = Vec::new();
    for c in &cases {
        let report = with_ca.detect_file(&c.file).expect("decodes");
        let found = c2pa_evidence(&report.provenance.evidence);
        let [e] = found.as_slice() else {
            failures.push(format!("{}: {} C2PA evidence", c.file, found.len()));
            continue;
        };
        let v = e.c2pa.as_ref().expect("validated evidence");
        let (want_state, want_signed, want_verdict) = match c.case.as_str() {
            "ai" => (C2paValidation::Valid, true, Some(true)),
            // Signed evidence of a camera capture is the one case the verdict says "not AI".
            "camera" => (C2paValidation::Valid, true, Some(false)),
            // The claim still counts as AI evidence, never as signed.
            "tampered" => (C2paValidation::Invalid, false, Some(true)),
            "untrusted" => (C2paValidation::UntrustedSigner, false, Some(true)),
            other => panic!("unknown case {other}"),
        };
        if v.validation != want_state
            || e.signed != want_signed
            || report.provenance.ai_generated != want_verdict
            || e.source != c.claim_generator
            || !v.digital_source_types.contains(&c.source_type)
        {
            failures.push(format!(
                "{} ({}): want {want_state:?} signed {want_signed} verdict {want_verdict:?} \
                 from {} with {}, got {e:?} verdict {:?}",
                c.file, c.case, c.claim_generator, c.source_type, report.provenance.ai_generated
            ));
        }
        let want_signer = if c.case == "untrusted" {
            "Unknown signer"
        } else {
            "EdgeMark test signer"
        };
        // The issuer is the authority's organisation, not the signer's own ("EdgeMark tests").
        let want_issuer = if c.case == "untrusted" {
            "Unknown authority"
        } else {
            "EdgeMark test authority"
        };
        if v.signer.as_deref() != Some(want_signer) || v.issuer.as_deref() != Some(want_issuer) {
            failures.push(format!(
                "{}: signer {:?}, issuer {:?}",
                c.file, v.signer, v.issuer
            ));
        }
        if c.case == "tampered" && !v.failures.iter().any(|f| f.contains("dataHash.mismatch")) {
            failures.push(format!("{}: failures {:?}", c.file, v.failures));
        }

        // With only the bundled C2PA trust list the test CA is unknown: nothing is signed,
        // and the camera claim no longer settles the verdict.
        let report = bundled_only.detect_file(&c.file).expect("decodes");
        let e = c2pa_evidence(&report.provenance.evidence);
        let want = if c.case == "tampered" {
            C2paValidation::Invalid
        } else {
            C2paValidation::UntrustedSigner
        };
        let want_verdict = if c.case == "camera" { None } else { Some(true) };
        if e.len() != 1
            || e[0].signed
            || e[0].c2pa.as_ref().map(|v| v.validation) != Some(want)
            || report.provenance.ai_generated != want_verdict
        {
            failures.push(format!(
                "{} ({}) with the bundled list only: {e:?} verdict {:?}",
                c.file, c.case, report.provenance.ai_generated
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn files_without_manifests_get_no_c2pa_evidence() {
    let Some((_, ca, dir)) = cases("c2pa-plain") else {
        return;
    };
    let detector =
        Detector::default().with_c2pa_trust(C2paTrust::bundled().with_anchors(&ca).expect("CA"));
    for name in ["plain.jpg", "plain.png", "plain.webp"] {
        let report = detector.detect_file(dir.join(name)).expect("decodes");
        assert!(
            c2pa_evidence(&report.provenance.evidence).is_empty(),
            "{name}: {:?}",
            report.provenance
        );
        assert_eq!(report.provenance.ai_generated, None, "{name}");
    }
}

#[test]
fn trust_anchors_that_are_not_certificates_are_refused() {
    assert!(C2paTrust::bundled().with_anchors("not a pem").is_err());
    let garbage = "-----BEGIN CERTIFICATE-----\nAAAA$$$$\n-----END CERTIFICATE-----\n";
    assert!(C2paTrust::bundled().with_anchors(garbage).is_err());
    // Valid base64, but not a certificate.
    let not_x509 = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
    assert!(C2paTrust::bundled().with_anchors(not_x509).is_err());
    // One of the bundled list's own certificates is accepted.
    let list = include_str!("../../core/trust/C2PA-TRUST-LIST.pem");
    let end = list
        .find("-----END CERTIFICATE-----")
        .expect("a certificate")
        + 25;
    let start = list
        .find("-----BEGIN CERTIFICATE-----")
        .expect("a certificate");
    assert!(C2paTrust::bundled().with_anchors(&list[start..end]).is_ok());
}

/// Truncations and bit flips, read straight from the bytes (no pixel decoding in front, so
/// every damaged file reaches the C2PA SDK): never a panic; a truncated file, or one with a flip
/// in its compressed pixel data, never verifies. Flips before the pixel data (where the
/// manifest store is) mostly break it, but a few of the store's bytes (the signature box's
/// padding) are covered by neither the signature nor the data hash, so there only the count
/// is printed.
#[test]
fn damaged_manifests_never_panic_or_verify() {
    let Some((cases, ca, _)) = cases("c2pa-damaged") else {
        return;
    };
    let trust = C2paTrust::bundled().with_anchors(&ca).expect("CA");
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng as usize
    };
    let signed = |b: &[u8]| {
        c2pa_evidence(&edgemark::provenance::scan_with_trust(b, &trust))
            .iter()
            .any(|e| e.signed)
    };
    let (mut must_fail, mut store_flips, mut store_signed) = (0, 0, 0);
    let mut failures = Vec::new();
    for c in cases.iter().filter(|c| c.case == "ai") {
        let bytes = std::fs::read(&c.file).expect("read");
        assert!(signed(&bytes), "{}: the undamaged file verifies", c.file);
        let n = bytes.len();
        let pixels = pixel_data(&bytes);
        assert!(pixels.len() > 1000, "{}: pixel data {pixels:?}", c.file);
        for i in 0..60 {
            let mut b = bytes.clone();
            match i % 3 {
                0 => {
                    b.truncate(64 + next() % (n - 64));
                    must_fail += 1;
                }
                1 => {
                    let at = pixels.start + next() % pixels.len();
                    b[at] ^= 1 << (next() % 8);
                    must_fail += 1;
                }
                _ => {
                    let at = 32 + next() % (pixels.start - 32);
                    b[at] ^= 1 << (next() % 8);
                    store_flips += 1;
                    store_signed += usize::from(signed(&b));
                    continue;
                }
            }
            if signed(&b) {
                failures.push(format!("{}: variant {i} still verifies", c.file));
            }
        }
    }
    eprintln!(
        "{must_fail} truncated or pixel-flipped files: {} verify; {store_flips} flips in the \
         bytes before the pixel data: {store_signed} still verify",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Where a signed file's compressed pixels are: JPEG entropy-coded data after the last start of
/// scan, the first PNG `IDAT`'s data, the WebP `VP8 `/`VP8L` chunk's data after its header.
fn pixel_data(b: &[u8]) -> std::ops::Range<usize> {
    let find = |pat: &[u8]| b.windows(pat.len()).position(|w| w == pat);
    if b.starts_with(&[0xFF, 0xD8]) {
        let sos = b.windows(2).rposition(|w| w == [0xFF, 0xDA]).expect("SOS");
        sos + 32..b.len() - 2
    } else if b.starts_with(b"\x89PNG") {
        let at = find(b"IDAT").expect("IDAT");
        let len = u32::from_be_bytes(b[at - 4..at].try_into().unwrap()) as usize;
        at + 4..at + 4 + len
    } else {
        let at = find(b"VP8 ").or_else(|| find(b"VP8L")).expect("VP8 chunk");
        let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
        at + 8 + 16..at + 8 + len
    }
}

/// A store the SDK cannot parse (its first description box renamed) is reported
/// `unreadable`, unsigned, and keeps the claim the byte scan read in it.
#[test]
fn an_unreadable_store_keeps_the_unsigned_claim() {
    let Some((cases, ca, _)) = cases("c2pa-unreadable") else {
        return;
    };
    let ai = cases
        .iter()
        .find(|c| c.file.ends_with("ai.jpg"))
        .expect("ai.jpg");
    let mut bytes = std::fs::read(&ai.file).expect("read");
    let at = bytes
        .windows(4)
        .position(|w| w == b"jumd")
        .expect("a JUMBF description box");
    bytes[at + 3] = b'X';
    let trust = C2paTrust::bundled().with_anchors(&ca).expect("CA");
    let evidence = edgemark::provenance::scan_with_trust(&bytes, &trust);
    let found = c2pa_evidence(&evidence);
    let [e] = found.as_slice() else {
        panic!("{evidence:?}");
    };
    assert_eq!(
        e.c2pa.as_ref().map(|c| c.validation),
        Some(C2paValidation::Unreadable),
        "{e:?}"
    );
    assert!(!e.signed);
    assert_eq!(e.ai_generated, Some(true), "{e:?}");
}
