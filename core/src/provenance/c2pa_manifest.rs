//! C2PA manifests validated with the C2PA SDK (`c2pa`, feature `c2pa`): the claim signature,
//! the hashes binding the manifest to the asset's bytes, and the signer's certificate chain
//! against trust anchors (the C2PA conformance trust list bundled in `core/trust/`, plus any a
//! caller adds). Fully offline: no OCSP, no remote manifests, no network at all.

use super::{
    evidence, source_type, C2paEvidence, C2paTrust, C2paValidation, Evidence, EvidenceKind,
    SOURCE_TYPES,
};
use crate::error::{Error, Result};
use std::io::Cursor;

/// The C2PA conformance program's trust lists (claim signers and time-stamping authorities;
/// `scripts/update-c2pa-trust-list.sh` refreshes them).
const TRUST_LIST: &str = concat!(
    include_str!("../../trust/C2PA-TRUST-LIST.pem"),
    "\n",
    include_str!("../../trust/C2PA-TSA-TRUST-LIST.pem")
);

/// Checks that every PEM block of `pem` is an X.509 certificate and that the SDK reads them.
pub(super) fn check_anchors(pem: &str, trust: &C2paTrust) -> Result<()> {
    let bad = |why: String| Error::Config(format!("C2PA trust anchors: {why}"));
    let mut count = 0;
    for block in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|e| bad(format!("PEM block {}: {e}", count + 1)))?;
        block
            .parse_x509()
            .map_err(|e| bad(format!("PEM block {} is no certificate: {e}", count + 1)))?;
        count += 1;
    }
    if count == 0 {
        return Err(bad("no PEM certificate".into()));
    }
    context(trust)
        .map(|_| ())
        .map_err(|e| bad(format!("not readable by the C2PA SDK: {e}")))
}

/// The SDK's settings: the bundled trust list, the caller's anchors, nothing fetched.
fn context(trust: &C2paTrust) -> std::result::Result<c2pa::Context, c2pa::Error> {
    let mut settings = c2pa::Settings::new();
    settings.trust.trust_anchors = Some(TRUST_LIST.to_string());
    settings.trust.user_anchors = trust.user_anchors.as_deref().map(str::to_string);
    settings.verify.remote_manifest_fetch = false;
    settings.verify.ocsp_fetch = false;
    c2pa::Context::new().with_settings(settings)
}

/// The evidence of the manifest store embedded in `bytes` (a file of MIME type `format`),
/// validated; `None` when the SDK finds no manifest.
pub(super) fn validate(bytes: &[u8], format: &str, trust: &C2paTrust) -> Option<Evidence> {
    let context = match context(trust) {
        Ok(c) => c,
        Err(e) => return Some(unreadable(&format!("C2PA SDK settings: {e}"))),
    };
    let reader = match c2pa::Reader::from_context(context).with_stream(format, Cursor::new(bytes)) {
        Ok(r) => r,
        Err(c2pa::Error::JumbfNotFound) => return None,
        Err(e) => return Some(unreadable(&e.to_string())),
    };
    let active = reader.active_manifest()?;
    // Digital source types of every manifest in the store: an AI image edited later keeps its
    // generator's claim in the ingredient's manifest.
    let mut types: Vec<(&'static str, Option<bool>)> = Vec::new();
    let mut active_types: Vec<(&'static str, Option<bool>)> = Vec::new();
    for (label, manifest) in reader.manifests() {
        for a in manifest.assertions() {
            if !a.label().starts_with("c2pa.actions") {
                continue;
            }
            let Ok(value) = a.value() else { continue };
            let mut found = Vec::new();
            source_types(value, &mut found);
            if Some(label.as_str()) == reader.active_label() {
                active_types.extend(found.iter().copied());
            }
            types.extend(found);
        }
    }
    let ai = if types.iter().any(|t| t.1 == Some(true)) {
        Some(true)
    } else if !active_types.is_empty() && active_types.iter().all(|t| t.1 == Some(false)) {
        Some(false)
    } else {
        None
    };
    // Sorted: the store's manifests come in no particular order.
    let mut names: Vec<String> = types.iter().map(|t| t.0.to_string()).collect();
    names.sort();
    names.dedup();
    let failures: Vec<String> = reader
        .validation_results()
        .and_then(|r| r.active_manifest())
        .map(|codes| {
            codes
                .failure()
                .iter()
                .map(|s| s.code().to_string())
                .filter(|c| c != "signingCredential.untrusted")
                .collect()
        })
        .unwrap_or_default();
    let validation = match reader.validation_state() {
        c2pa::ValidationState::Trusted => C2paValidation::Valid,
        c2pa::ValidationState::Valid => C2paValidation::UntrustedSigner,
        c2pa::ValidationState::Invalid => C2paValidation::Invalid,
    };
    let detail = C2paEvidence {
        validation,
        claim_generator: active.claim_generator().map(str::to_string).or_else(|| {
            active
                .claim_generator_info
                .as_ref()
                .and_then(|i| i.first())
                .map(|i| i.name.clone())
        }),
        // The SDK's `issuer()` is the signing certificate's own organisation.
        signer: active.common_name().or_else(|| active.issuer()),
        issuer: active
            .signature_info()
            .and_then(|info| certificate_issuer(info.cert_chain())),
        digital_source_types: names,
        failures,
    };
    let source = detail
        .claim_generator
        .clone()
        .unwrap_or_else(|| "C2PA".to_string());
    let summary = format!(
        "{}; signer {}; {}",
        match validation {
            C2paValidation::Valid => "manifest valid, signer trusted",
            C2paValidation::UntrustedSigner =>
                "manifest valid, but its signer is not on the trust list",
            C2paValidation::Invalid => "manifest INVALID",
            C2paValidation::Unreadable => "manifest unreadable",
        },
        detail.signer.as_deref().unwrap_or("unknown"),
        if detail.digital_source_types.is_empty() {
            "no digital source type".to_string()
        } else {
            detail.digital_source_types.join(", ")
        }
    );
    let mut e = evidence(EvidenceKind::C2pa, &source, ai, &summary);
    e.signed = validation == C2paValidation::Valid;
    e.c2pa = Some(detail);
    Some(e)
}

/// The issuer (organisation, else common name) of the first certificate of a PEM chain: the
/// signing certificate's.
fn certificate_issuer(chain: &str) -> Option<String> {
    let pem = x509_parser::pem::Pem::iter_from_buffer(chain.as_bytes())
        .next()?
        .ok()?;
    let cert = pem.parse_x509().ok()?;
    let issuer = cert.issuer();
    let name = issuer
        .iter_organization()
        .chain(issuer.iter_common_name())
        .find_map(|a| a.as_str().ok())?;
    Some(name.to_string())
}

/// The evidence of a manifest store the SDK could not read (malformed, or only a reference
/// to a remote manifest, which is never fetched).
pub(super) fn unreadable(why: &str) -> Evidence {
    let mut e = evidence(
        EvidenceKind::C2pa,
        "C2PA",
        None,
        &format!("manifest present but unreadable: {why}"),
    );
    e.c2pa = Some(C2paEvidence {
        validation: C2paValidation::Unreadable,
        claim_generator: None,
        signer: None,
        issuer: None,
        digital_source_types: Vec::new(),
        failures: vec![why.chars().take(120).collect()],
    });
    e
}

/// Every `digitalSourceType` in an actions assertion's value (any depth).
fn source_types(value: &serde_json::Value, out: &mut Vec<(&'static str, Option<bool>)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k == "digitalSourceType" {
                    let named = v.as_str().and_then(|s| {
                        source_type(s).or_else(|| SOURCE_TYPES.iter().find(|t| s == t.0).copied())
                    });
                    if let Some(t) = named {
                        out.push(t);
                    }
                } else {
                    source_types(v, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| source_types(v, out)),
        _ => {}
    }
}
