//! Provenance: one verdict on "is this image AI-generated?" from every kind of evidence a
//! file carries. Watermarks come from the detector's generator presets; metadata is read from
//! the file's bytes ([`scan`], which needs no pixels):
//!
//! - **C2PA** manifests (JPEG APP11 JUMBF, PNG `caBX`, WebP `C2PA`): with the feature `c2pa`,
//!   validated by the C2PA SDK (claim signature, hashes over the asset, the signer's chain
//!   against the bundled C2PA trust list and [`C2paTrust`]'s anchors; offline) and reported
//!   with the claim generator, signer, validation state and digital source types
//!   ([`C2paEvidence`]); signed when valid and trusted. Without it they are found and searched
//!   for the IPTC digital source type they claim, as unsigned claims.
//! - **IPTC DigitalSourceType** in XMP (JPEG APP1, PNG `XML:com.adobe.xmp`, WebP `XMP `):
//!   `trainedAlgorithmicMedia`, `compositeWithTrainedAlgorithmicMedia`, `algorithmicMedia`,
//!   `compositeSynthetic` say AI; `digitalCapture` says camera (unsigned: noted, not a verdict).
//! - **Generator text chunks** (PNG `tEXt`/`zTXt`/`iTXt`): AUTOMATIC1111 `parameters`, ComfyUI
//!   `prompt`/`workflow`, InvokeAI `invokeai_metadata`/`invokeai_graph`, NovelAI (`Software`,
//!   `Comment`), China's GB 45438-2025 implicit label `AIGC`.
//! - **EXIF** (JPEG APP1, PNG `eXIf`, WebP `EXIF`): FLUX's `Software` "AI generated;..." and
//!   `Make` "Black Forest Labs", AUTOMATIC1111's parameters in `UserComment`.
//!
//!
//! With the decoded pixels ([`scan_image`]) two more: metadata hidden in the alpha channel's
//! least significant bits (NovelAI's "stealth" copy, which survives metadata stripping), and
//! NovelAI's Ed25519 `signed_hash` over the pixels and the comment, checked with NovelAI's
//! published key ([`check_novelai_signature`]).
//!
//! Metadata is easily stripped or forged: every piece of evidence says whether it is
//! cryptographically signed (`signed`): a NovelAI comment whose signature verifies, and a
//! valid C2PA manifest whose signer chains to a trust anchor; everything else is a bare claim.

#[cfg(feature = "c2pa")]
mod c2pa_manifest;
mod novelai;
// Only the signature check needs Python's exact JSON (and its float formatting and parsing,
// about 24 KB of a WebAssembly build).
#[cfg(feature = "signatures")]
mod pyjson;

pub use novelai::{
    check_novelai_signature, stealth_metadata, SignatureCheck, Stealth, NOVELAI_PUBLIC_KEY,
};

use crate::image::Image;

/// The verdict and what it rests on.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Provenance {
    /// `Some(true)` when any evidence says the image is AI-generated, `Some(false)` only on
    /// signed evidence of a camera capture (none is validated yet, so never), `None` when
    /// nothing is known.
    pub ai_generated: Option<bool>,
    /// Every piece of evidence found.
    pub evidence: Vec<Evidence>,
}

/// One piece of evidence.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Evidence {
    /// Where it was found.
    pub kind: EvidenceKind,
    /// Who or what it names (a preset, a tool, a standard), e.g. `"sdxl"`, `"ComfyUI"`.
    pub source: String,
    /// Whether a signature over it was verified.
    pub signed: bool,
    /// Whether it says the image is AI-generated (`false`: it says camera; `None`: neither).
    pub ai_generated: Option<bool>,
    /// What exactly was found (shortened).
    pub detail: String,
    /// A C2PA manifest's validation (only with the feature `c2pa`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub c2pa: Option<C2paEvidence>,
}

/// The certificates a C2PA manifest's signer must chain to for its evidence to count as
/// signed: the C2PA conformance trust list bundled in `core/trust/` (claim signers and
/// time-stamping authorities) and any anchors added with [`C2paTrust::with_anchors`] (a
/// deployment's own CA, or a test CA). Only used with the feature `c2pa`.
#[derive(Clone, Debug, Default)]
pub struct C2paTrust {
    #[cfg_attr(not(feature = "c2pa"), allow(dead_code))]
    user_anchors: Option<std::sync::Arc<str>>,
}

impl C2paTrust {
    /// The bundled C2PA conformance trust list only.
    pub fn bundled() -> C2paTrust {
        C2paTrust::default()
    }

    /// Adds trust anchors: PEM certificates (`-----BEGIN CERTIFICATE-----`). Errors when
    /// `pem` holds none, when the SDK cannot read them, or when built without `c2pa`.
    pub fn with_anchors(self, pem: &str) -> crate::Result<C2paTrust> {
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(crate::Error::Config(
                "C2PA trust anchors: no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        #[cfg(not(feature = "c2pa"))]
        return Err(crate::Error::Config(
            "C2PA trust anchors: built without the `c2pa` feature (no validation)".into(),
        ));
        #[cfg(feature = "c2pa")]
        {
            let mut all = self.user_anchors.as_deref().unwrap_or("").to_string();
            all.push('\n');
            all.push_str(pem);
            let trust = C2paTrust {
                user_anchors: Some(all.into()),
            };
            c2pa_manifest::check_anchors(pem, &trust)?;
            Ok(trust)
        }
    }
}

/// What the C2PA SDK found in a manifest store.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct C2paEvidence {
    /// The validation state of the active manifest.
    pub validation: C2paValidation,
    /// The tool that made the active manifest (its `claim_generator`, or its first
    /// `claim_generator_info` name).
    pub claim_generator: Option<String>,
    /// The signing certificate's common name (else its organisation).
    pub signer: Option<String>,
    /// The organisation (else common name) that issued the signing certificate.
    pub issuer: Option<String>,
    /// The IPTC digital source types named by the actions of every manifest in the store.
    pub digital_source_types: Vec<String>,
    /// The active manifest's failure codes (`signingCredential.untrusted` aside), or why the
    /// store could not be read.
    pub failures: Vec<String>,
}

/// A C2PA manifest's validation state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum C2paValidation {
    /// Well formed, the signature and every hash verify, and the signer chains to a trust
    /// anchor (C2PA's "Trusted").
    Valid,
    /// Well formed and verified, but the signer is on no trust list: anyone can make such a
    /// certificate (C2PA's "Valid").
    UntrustedSigner,
    /// A signature or hash does not verify (the file was changed after signing), or the
    /// manifest breaks the specification.
    Invalid,
    /// The store could not be read (malformed, or only a remote manifest's address, which is
    /// never fetched).
    Unreadable,
}

/// Where a piece of evidence comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EvidenceKind {
    /// A generator's invisible watermark in the pixels.
    Watermark,
    /// A C2PA manifest.
    C2pa,
    /// An IPTC digital source type (XMP).
    Iptc,
    /// A generator's text chunk (PNG) or XMP field.
    TextChunk,
    /// An EXIF field.
    Exif,
}

impl Provenance {
    /// The verdict over `evidence` (see [`Provenance::ai_generated`]).
    pub fn from_evidence(evidence: Vec<Evidence>) -> Provenance {
        let ai = evidence.iter().any(|e| e.ai_generated == Some(true));
        let camera = evidence
            .iter()
            .any(|e| e.signed && e.ai_generated == Some(false));
        Provenance {
            ai_generated: if ai {
                Some(true)
            } else if camera {
                Some(false)
            } else {
                None
            },
            evidence,
        }
    }
}

/// Longest `detail` kept, in characters.
const DETAIL: usize = 160;
/// Largest decompressed text chunk read, and most compressed chunks inflated per file (a
/// bound against decompression bombs: at most 8 MiB of output per file). Only chunks whose
/// keyword is one EdgeMark reads are inflated at all.
const MAX_TEXT: usize = 1 << 20;
const MAX_INFLATED: usize = 8;

/// The text-chunk keywords EdgeMark reads ([`text_chunk`], and XMP).
fn wanted(key: &[u8]) -> bool {
    matches!(
        key,
        b"parameters"
            | b"prompt"
            | b"workflow"
            | b"invokeai_metadata"
            | b"invokeai_graph"
            | b"sd-metadata"
            | b"AIGC"
            | b"Software"
            | b"Comment"
            | b"XML:com.adobe.xmp"
    )
}

fn evidence(kind: EvidenceKind, source: &str, ai: Option<bool>, detail: &str) -> Evidence {
    let mut d: String = detail
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(DETAIL)
        .collect();
    if detail.chars().count() > DETAIL {
        d.push('…');
    }
    Evidence {
        kind,
        source: source.into(),
        signed: false,
        ai_generated: ai,
        detail: d,
        c2pa: None,
    }
}

/// Every piece of evidence in an encoded file and its decoded pixels: [`scan`]'s, NovelAI's
/// signature on its `Comment` chunk checked over the pixels, and the stealth metadata of the
/// alpha plane (with its own signature checked). Never fails.
pub fn scan_image(bytes: &[u8], image: &Image) -> Vec<Evidence> {
    scan_image_with_key(bytes, image, &novelai::novelai_key())
}

/// [`scan_image`] with another Ed25519 key in place of NovelAI's (a key of one's own
/// deployment, or a test key): evidence is signed only when its signature verifies with `key`.
pub fn scan_image_with_key(bytes: &[u8], image: &Image, key: &[u8; 32]) -> Vec<Evidence> {
    scan_image_full(bytes, image, key, &C2paTrust::bundled())
}

/// [`scan_image`] with C2PA signers trusted when they chain to `trust`'s anchors.
pub fn scan_image_with_trust(bytes: &[u8], image: &Image, trust: &C2paTrust) -> Vec<Evidence> {
    scan_image_full(bytes, image, &novelai::novelai_key(), trust)
}

fn scan_image_full(
    bytes: &[u8],
    image: &Image,
    key: &[u8; 32],
    trust: &C2paTrust,
) -> Vec<Evidence> {
    let found = scan_found(bytes, trust);
    let mut out = found.evidence;
    // Each NovelAI comment (PNG text chunk of any kind, EXIF UserComment) is checked on the
    // very text its evidence came from; at most MAX_CHECKS distinct texts per file (each check
    // hashes every pixel), the others stay unsigned.
    let mut checked: Vec<(String, SignatureCheck)> = Vec::new();
    for (i, comment) in found.comments {
        let check = match checked.iter().find(|(c, _)| *c == comment) {
            Some(&(_, check)) => check,
            None if checked.len() < MAX_CHECKS => {
                let check = check_novelai_signature(image, &comment, key);
                checked.push((comment, check));
                check
            }
            None => continue,
        };
        out[i] = signed(&out[i], check);
    }
    if let Some(stealth) = stealth_metadata(image) {
        // The alpha copy usually holds the same comment as the text chunk: its outcome is
        // reused rather than every pixel hashed again.
        out.push(stealth_evidence(&stealth, |comment| {
            checked.iter().find(|(c, _)| c == comment).map_or_else(
                || check_novelai_signature(image, comment, key),
                |&(_, check)| check,
            )
        }));
    }
    out
}

/// Most signature checks per file (the alpha copy's comes on top).
const MAX_CHECKS: usize = 4;

/// What [`scan`] finds: the evidence, and for each piece that is a NovelAI comment carrying a
/// `signed_hash`, its index and full text (for [`scan_image`]'s signature check).
#[derive(Default)]
struct Found {
    evidence: Vec<Evidence>,
    comments: Vec<(usize, String)>,
}

impl Found {
    fn push(&mut self, e: Evidence) {
        self.evidence.push(e);
    }

    /// Pushes `e` and keeps `comment` as the signed text behind it.
    fn push_signed(&mut self, e: Evidence, comment: &str) {
        self.comments
            .push((self.evidence.len(), comment.to_string()));
        self.evidence.push(e);
    }
}

/// `e` after its signature check: signed when it verified, and the outcome in its detail.
fn signed(e: &Evidence, check: SignatureCheck) -> Evidence {
    let note = match check {
        SignatureCheck::Verified => "signed_hash verified (Ed25519 over pixels and comment)",
        SignatureCheck::Failed => {
            "signed_hash does NOT verify (pixels or comment changed, or another signer)"
        }
        SignatureCheck::NotChecked => "signed_hash not checked (built without `signatures`)",
        SignatureCheck::Malformed => return e.clone(),
    };
    Evidence {
        signed: check == SignatureCheck::Verified,
        ..evidence(
            e.kind,
            &e.source,
            e.ai_generated,
            &format!("{note}; {}", e.detail),
        )
    }
}

/// The evidence of stealth metadata: NovelAI's (JSON of its text chunks with `Software`
/// "NovelAI..." or a signed `Comment`, whose signature `check` gives), AUTOMATIC1111's
/// parameters, or other text (no verdict).
fn stealth_evidence(stealth: &Stealth, check: impl FnOnce(&str) -> SignatureCheck) -> Evidence {
    let head = format!("alpha-channel LSB ({})", stealth.magic);
    if let Some((summary, comment)) = novelai_fields(&stealth.text) {
        let e = evidence(
            EvidenceKind::TextChunk,
            "NovelAI",
            Some(true),
            &format!("{head}: {summary}"),
        );
        return match comment {
            Some(c) => signed(&e, check(&c)),
            None => e,
        };
    }
    let (source, ai) = if stealth.text.contains("Steps: ") {
        ("AUTOMATIC1111", Some(true))
    } else {
        ("stealth metadata", None)
    };
    evidence(
        EvidenceKind::TextChunk,
        source,
        ai,
        &format!("{head}: {}", stealth.text),
    )
}

/// When stealth text is NovelAI's (a JSON object with `Software` "NovelAI..." or a comment
/// carrying a `signed_hash`): a summary for the evidence, and the comment to check.
#[cfg(feature = "signatures")]
fn novelai_fields(text: &str) -> Option<(String, Option<String>)> {
    let json = pyjson::Value::parse(text).filter(|v| matches!(v, pyjson::Value::Object(_)))?;
    let field = |k: &str| json.get(k)?.as_str();
    let comment = field("Comment");
    let novelai = field("Software").is_some_and(|s| s.starts_with("NovelAI"))
        || comment
            .as_deref()
            .is_some_and(|c| c.contains("\"signed_hash\""));
    novelai.then(|| {
        let summary = format!(
            "Software: {}; Comment: {}",
            field("Software").unwrap_or_default(),
            comment.as_deref().unwrap_or("")
        );
        (summary, comment)
    })
}

/// Without the JSON reader (no `signatures`): NovelAI's when the text names its software or a
/// `signed_hash`; the whole text as the summary, the signature reported as not checked.
#[cfg(not(feature = "signatures"))]
fn novelai_fields(text: &str) -> Option<(String, Option<String>)> {
    let signed = text.contains("signed_hash");
    (text.contains("\"Software\": \"NovelAI") || signed).then(|| {
        (
            text.to_string(),
            signed.then(|| "\"signed_hash\"".to_string()),
        )
    })
}

/// Every piece of metadata evidence in an encoded file (PNG, JPEG, WebP; other formats and
/// unreadable structure give none). Never fails: metadata is read on a best-effort basis.
pub fn scan(bytes: &[u8]) -> Vec<Evidence> {
    scan_found(bytes, &C2paTrust::bundled()).evidence
}

/// [`scan`] with C2PA signers trusted when they chain to `trust`'s anchors.
pub fn scan_with_trust(bytes: &[u8], trust: &C2paTrust) -> Vec<Evidence> {
    scan_found(bytes, trust).evidence
}

fn scan_found(bytes: &[u8], trust: &C2paTrust) -> Found {
    let mut out = Found::default();
    // The container's MIME type, for the C2PA SDK.
    let format = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes, &mut out);
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg(bytes, &mut out);
        "image/jpeg"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp(bytes, &mut out);
        "image/webp"
    } else {
        return out;
    };
    validate_c2pa(&mut out, bytes, format, trust);
    out
}

/// With the feature `c2pa`, the manifest store the byte scan found is validated by the C2PA
/// SDK, whose evidence takes the place of the scan's (the SDK is only run on files where the
/// scan found a manifest). When the SDK finds none, the scan's unsigned claim stays.
fn validate_c2pa(found: &mut Found, bytes: &[u8], format: &str, trust: &C2paTrust) {
    #[cfg(feature = "c2pa")]
    {
        let is_c2pa = |e: &Evidence| e.kind == EvidenceKind::C2pa;
        let Some(first) = found.evidence.iter().position(is_c2pa) else {
            return;
        };
        // A panic inside the SDK on a hostile manifest must not take a batch down with it
        // (natively; in WebAssembly the bindings turn it into a JS error).
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            c2pa_manifest::validate(bytes, format, trust)
        }));
        let mut validated = match outcome {
            Ok(Some(e)) => e,
            Ok(None) => return,
            Err(_) => c2pa_manifest::unreadable("the C2PA SDK failed on this manifest"),
        };
        // A store the SDK cannot read keeps the scan's (unsigned) claim.
        if validated.c2pa.as_ref().map(|c| c.validation) == Some(C2paValidation::Unreadable) {
            validated.ai_generated = found.evidence[first].ai_generated;
        }
        found.evidence[first] = validated;
        // One piece of C2PA evidence: the others the scan found go, and the NovelAI
        // comments' indices follow the pieces that stay.
        let mut kept = Vec::with_capacity(found.evidence.len());
        let mut index = Vec::with_capacity(found.evidence.len());
        for (i, e) in std::mem::take(&mut found.evidence).into_iter().enumerate() {
            index.push(kept.len());
            if i == first || !is_c2pa(&e) {
                kept.push(e);
            }
        }
        found.evidence = kept;
        for (i, _) in found.comments.iter_mut() {
            *i = index[*i];
        }
    }
    #[cfg(not(feature = "c2pa"))]
    let _ = (found, bytes, format, trust);
}

fn png(bytes: &[u8], out: &mut Found) {
    let mut inflations = MAX_INFLATED;
    for (kind, data) in chunks(bytes, Container::Png) {
        match kind {
            b"tEXt" => {
                if let Some((key, text)) = split_nul(data) {
                    text_chunk(&latin1(key), &latin1(text), out);
                }
            }
            b"zTXt" => {
                if let Some((key, rest)) = split_nul(data).filter(|(k, _)| wanted(k)) {
                    // Compression method byte (0: zlib), then the stream.
                    if let Some(text) = rest.get(1..).and_then(|z| inflate(z, &mut inflations)) {
                        text_chunk(&latin1(key), &latin1(&text), out);
                    }
                }
            }
            b"iTXt" => itxt(data, &mut inflations, out),
            b"eXIf" => exif(data, out),
            b"caBX" => c2pa(data, out),
            b"IEND" => return,
            _ => {}
        }
    }
}

/// The chunk lists [`chunks`] walks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    /// From byte 8: length (big-endian), type, data, CRC.
    Png,
    /// From byte 12: type, length (little-endian), data, a pad byte after odd lengths.
    Riff,
}

/// The chunks of a PNG or RIFF (WebP) file: `(type, data)` until the bytes end or a chunk
/// overruns them.
fn chunks(bytes: &[u8], container: Container) -> impl Iterator<Item = (&[u8], &[u8])> {
    let png = container == Container::Png;
    let mut at = if png { 8 } else { 12 };
    std::iter::from_fn(move || {
        // A PNG chunk needs room for its CRC as well.
        if at + if png { 12 } else { 8 } > bytes.len() {
            return None;
        }
        let h = &bytes[at..at + 8];
        let (kind, len) = if png {
            (&h[4..8], u32::from_be_bytes([h[0], h[1], h[2], h[3]]))
        } else {
            (&h[..4], u32::from_le_bytes([h[4], h[5], h[6], h[7]]))
        };
        let len = len as usize;
        let data = bytes.get(at + 8..(at + 8).checked_add(len)?)?;
        at += 8 + len + if png { 4 } else { len & 1 };
        Some((kind, data))
    })
}

fn itxt(data: &[u8], inflations: &mut usize, out: &mut Found) {
    let Some((key, rest)) = split_nul(data).filter(|(k, _)| wanted(k)) else {
        return;
    };
    let (Some(&compressed), Some(rest)) = (rest.first(), rest.get(2..)) else {
        return;
    };
    // Language tag and translated keyword, each NUL-terminated.
    let Some((_, rest)) = split_nul(rest) else {
        return;
    };
    let Some((_, text)) = split_nul(rest) else {
        return;
    };
    let text = if compressed == 1 {
        match inflate(text, inflations) {
            Some(t) => t,
            None => return,
        }
    } else {
        text.to_vec()
    };
    let key = latin1(key);
    let text = String::from_utf8_lossy(&text);
    if key == "XML:com.adobe.xmp" {
        xmp(&text, out);
    } else {
        text_chunk(&key, &text, out);
    }
}

/// A generator's PNG text chunk, by keyword.
fn text_chunk(key: &str, text: &str, out: &mut Found) {
    let tool = match key {
        "parameters" => Some("AUTOMATIC1111"),
        "prompt" | "workflow" => Some("ComfyUI"),
        "invokeai_metadata" | "invokeai_graph" | "sd-metadata" => Some("InvokeAI"),
        "AIGC" => Some("GB 45438-2025"),
        "Software" if text.starts_with("NovelAI") => Some("NovelAI"),
        "Comment" if text.contains("\"signed_hash\"") => Some("NovelAI"),
        _ => None,
    };
    if let Some(tool) = tool {
        let e = evidence(
            EvidenceKind::TextChunk,
            tool,
            Some(true),
            &format!("{key}: {text}"),
        );
        if key == "Comment" {
            out.push_signed(e, text);
        } else {
            out.push(e);
        }
    }
}

fn jpeg(bytes: &[u8], out: &mut Found) {
    let mut at = 2;
    let mut jumbf = Vec::new();
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            break;
        }
        let marker = bytes[at + 1];
        // Markers without a length; the scan (SOS) ends the headers.
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            at += 2;
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let len = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
        let Some(data) = bytes.get(at + 4..at + 2 + len.max(2)) else {
            break;
        };
        match marker {
            0xE1 if data.starts_with(b"Exif\0\0") => exif(&data[6..], out),
            0xE1 if data.starts_with(b"http://ns.adobe.com/xap/1.0/\0") => {
                xmp(&String::from_utf8_lossy(&data[29..]), out);
            }
            // APP11 "JP": a JUMBF box in pieces; C2PA's manifest store among them.
            0xEB if data.starts_with(b"JP") => jumbf.extend_from_slice(data),
            _ => {}
        }
        at += 2 + len;
    }
    if !jumbf.is_empty() {
        c2pa(&jumbf, out);
    }
}

fn webp(bytes: &[u8], out: &mut Found) {
    for (kind, data) in chunks(bytes, Container::Riff) {
        match kind {
            b"EXIF" => exif(data.strip_prefix(b"Exif\0\0").unwrap_or(data), out),
            b"XMP " => xmp(&String::from_utf8_lossy(data), out),
            b"C2PA" => c2pa(data, out),
            _ => {}
        }
    }
}

/// The IPTC digital source types, and what each says.
const SOURCE_TYPES: [(&str, Option<bool>); 6] = [
    ("compositeWithTrainedAlgorithmicMedia", Some(true)),
    ("trainedAlgorithmicMedia", Some(true)),
    ("algorithmicMedia", Some(true)),
    ("compositeSynthetic", Some(true)),
    ("digitalCapture", Some(false)),
    ("computationalCapture", Some(false)),
];

/// The first IPTC digital source type named in `text`.
fn source_type(text: &str) -> Option<(&'static str, Option<bool>)> {
    let at = text.find("digitalsourcetype/")? + "digitalsourcetype/".len();
    let rest = &text[at..];
    SOURCE_TYPES
        .iter()
        .find(|(name, _)| rest.starts_with(name))
        .copied()
}

fn xmp(text: &str, out: &mut Found) {
    // As an attribute, an element or an rdf:resource, the value is the IPTC vocabulary's URI
    // (or, loosely written, the bare term after the property name).
    if text.contains("DigitalSourceType") {
        let found = source_type(text).or_else(|| {
            let at = text.find("DigitalSourceType")?;
            let rest = &text[at..];
            SOURCE_TYPES
                .iter()
                .filter_map(|t| rest.find(t.0).map(|i| (i, *t)))
                .min_by_key(|(i, _)| *i)
                .map(|(_, t)| t)
        });
        if let Some((name, ai)) = found {
            let source = if text.contains("midjourney") || text.contains("Midjourney") {
                "IPTC DigitalSourceType (Midjourney)"
            } else {
                "IPTC DigitalSourceType"
            };
            out.push(evidence(EvidenceKind::Iptc, source, ai, name));
        }
    }
    if text.contains("http://www.tc260.org.cn/ns/AIGC/1.0/") {
        let detail = text.find("Label").map_or_else(
            || "AIGC namespace".to_string(),
            |i| text[i..].chars().take(120).collect(),
        );
        out.push(evidence(
            EvidenceKind::TextChunk,
            "GB 45438-2025",
            Some(true),
            &detail,
        ));
    }
}

fn c2pa(data: &[u8], out: &mut Found) {
    let text = String::from_utf8_lossy(data);
    if !text.contains("c2pa") {
        return;
    }
    let (name, ai) = source_type(&text).map_or(("no digital source type", None), |t| t);
    let generator = text
        .find("claim_generator")
        .map(|i| {
            text[i + "claim_generator".len()..]
                .chars()
                .skip_while(|c| !c.is_ascii_alphanumeric())
                .take_while(|c| !c.is_control())
                .take(60)
                .collect::<String>()
        })
        .unwrap_or_default();
    let detail = format!(
        "manifest present, signature not validated; {name}{}",
        if generator.is_empty() {
            String::new()
        } else {
            format!("; claim generator {generator}")
        }
    );
    out.push(evidence(EvidenceKind::C2pa, "C2PA", ai, &detail));
}

/// The EXIF fields generators write: IFD0 `Make` and `Software`, and the EXIF IFD's
/// `UserComment`.
fn exif(tiff: &[u8], out: &mut Found) {
    let Some(fields) = tiff_fields(tiff) else {
        return;
    };
    for (tag, value) in fields {
        match tag {
            0x010F if value.contains("Black Forest Labs") => {
                out.push(evidence(
                    EvidenceKind::Exif,
                    "FLUX",
                    Some(true),
                    &format!("Make: {value}"),
                ));
            }
            0x0131 if value.contains("AI generated") || value.starts_with("NovelAI") => {
                let tool = if value.contains("flux") {
                    "FLUX"
                } else if value.starts_with("NovelAI") {
                    "NovelAI"
                } else {
                    "EXIF Software"
                };
                out.push(evidence(
                    EvidenceKind::Exif,
                    tool,
                    Some(true),
                    &format!("Software: {value}"),
                ));
            }
            // NovelAI's WebP files: the comment (JSON with `signed_hash`) in UserComment.
            0x9286 if value.contains("\"signed_hash\"") => {
                let e = evidence(
                    EvidenceKind::Exif,
                    "NovelAI",
                    Some(true),
                    &format!("UserComment: {value}"),
                );
                out.push_signed(e, &value);
            }
            0x9286 if value.contains("Steps: ") && value.contains("Sampler: ") => {
                out.push(evidence(
                    EvidenceKind::Exif,
                    "AUTOMATIC1111",
                    Some(true),
                    &format!("UserComment: {value}"),
                ));
            }
            _ => {}
        }
    }
}

/// (tag, text) of the byte and text fields of IFD0 and the EXIF IFD.
fn tiff_fields(t: &[u8]) -> Option<Vec<(u16, String)>> {
    let le = match t.get(..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |i: usize| -> Option<u16> {
        let b = t.get(i..i.checked_add(2)?)?;
        Some(if le {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    };
    let u32_at = |i: usize| -> Option<u32> {
        let b = t.get(i..i.checked_add(4)?)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    };
    let mut out = Vec::new();
    let mut ifds = vec![u32_at(4)? as usize];
    let mut seen = 0;
    while let Some(ifd) = ifds.pop() {
        seen += 1;
        if seen > 4 {
            break;
        }
        let Some(n) = u16_at(ifd) else {
            continue;
        };
        let n = n as usize;
        for e in 0..n.min(512) {
            let Some(at) = ifd.checked_add(2 + 12 * e) else {
                break;
            };
            let (Some(tag), Some(kind), Some(count)) = (u16_at(at), u16_at(at + 2), u32_at(at + 4))
            else {
                break;
            };
            let count = count as usize;
            if tag == 0x8769 {
                if let Some(p) = u32_at(at + 8) {
                    ifds.push(p as usize);
                }
                continue;
            }
            // BYTE (1), ASCII (2) and UNDEFINED (7) fields: inline up to 4 bytes, else at the
            // offset (Pillow writes UserComment as BYTE, piexif as UNDEFINED).
            if !matches!(kind, 1 | 2 | 7) || count > MAX_TEXT {
                continue;
            }
            let data = if count <= 4 {
                t.get(at + 8..at + 8 + count)
            } else {
                u32_at(at + 8).and_then(|p| {
                    let p = p as usize;
                    t.get(p..p.checked_add(count)?)
                })
            };
            let Some(data) = data else { continue };
            out.push((tag, field_text(tag, data)));
        }
    }
    Some(out)
}

/// An EXIF text: `UserComment` starts with an 8-byte character code (`UNICODE\0` is UTF-16,
/// big-endian as piexif writes it, or little-endian with a byte-order guess).
fn field_text(tag: u16, data: &[u8]) -> String {
    if tag == 0x9286 && data.len() >= 8 {
        let (code, body) = data.split_at(8);
        if code.starts_with(b"UNICODE") {
            let be = body.first() == Some(&0);
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|c| {
                    if be {
                        u16::from_be_bytes([c[0], c[1]])
                    } else {
                        u16::from_le_bytes([c[0], c[1]])
                    }
                })
                .collect();
            return String::from_utf16_lossy(&units)
                .trim_end_matches('\0')
                .to_string();
        }
        return String::from_utf8_lossy(body)
            .trim_end_matches('\0')
            .to_string();
    }
    String::from_utf8_lossy(data)
        .trim_end_matches('\0')
        .to_string()
}

fn split_nul(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = data.iter().position(|&b| b == 0)?;
    Some((&data[..i], &data[i + 1..]))
}

fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

/// A zlib stream, inflated up to [`MAX_TEXT`] bytes, while `left` inflations remain.
fn inflate(data: &[u8], left: &mut usize) -> Option<Vec<u8>> {
    *left = left.checked_sub(1)?;
    fdeflate::decompress_to_vec_bounded(data, MAX_TEXT).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_with(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in chunks {
            v.extend_from_slice(&(data.len() as u32).to_be_bytes());
            v.extend_from_slice(*kind);
            v.extend_from_slice(data);
            v.extend_from_slice(&[0; 4]); // CRC, not checked
        }
        v
    }

    /// Many signed-looking comments: at most MAX_CHECKS distinct texts are checked (each check
    /// hashes every pixel); a repeated text reuses its outcome; the rest stay unchecked.
    #[cfg(feature = "signatures")]
    #[test]
    fn signature_checks_per_file_are_bounded() {
        let sig = "A".repeat(86) + "==";
        let comment = |i: usize| format!(r#"{{"n": {i}, "signed_hash": "{sig}"}}"#);
        let mut chunks: Vec<(&[u8; 4], Vec<u8>)> = (0..6)
            .map(|i| {
                (
                    b"tEXt",
                    [b"Comment\0".as_slice(), comment(i).as_bytes()].concat(),
                )
            })
            .collect();
        chunks.push((
            b"tEXt",
            [b"Comment\0".as_slice(), comment(0).as_bytes()].concat(),
        ));
        let image = Image::from_rgb(4, 4, vec![7; 48]).unwrap();
        let found = scan_image(&png_with(&chunks), &image);
        let checked: Vec<bool> = found
            .iter()
            .map(|e| e.detail.starts_with("signed_hash does NOT verify"))
            .collect();
        assert_eq!(found.len(), 7);
        assert!(found.iter().all(|e| !e.signed && e.source == "NovelAI"));
        assert_eq!(
            checked,
            [true, true, true, true, false, false, true],
            "{found:?}"
        );
    }

    #[test]
    fn png_text_chunks_name_their_tools() {
        let file = png_with(&[
            (
                b"tEXt",
                b"parameters\0a cat\nSteps: 20, Sampler: Euler".to_vec(),
            ),
            (b"tEXt", b"Title\0holiday".to_vec()),
            (
                b"iTXt",
                b"prompt\0\0\0\0\0{\"3\": {\"class_type\": \"KSampler\"}}".to_vec(),
            ),
        ]);
        let found = scan(&file);
        let tools: Vec<&str> = found.iter().map(|e| e.source.as_str()).collect();
        assert_eq!(tools, ["AUTOMATIC1111", "ComfyUI"]);
        assert!(found
            .iter()
            .all(|e| !e.signed && e.ai_generated == Some(true)));
        let p = Provenance::from_evidence(found);
        assert_eq!(p.ai_generated, Some(true));
        assert_eq!(Provenance::from_evidence(Vec::new()).ai_generated, None);
    }

    #[test]
    fn xmp_source_types_as_uri_or_bare_term() {
        let mut found = Found::default();
        xmp(
            r#"<rdf:Description Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>"#,
            &mut found,
        );
        xmp(
            "<Iptc4xmpExt:DigitalSourceType>digitalCapture</Iptc4xmpExt:DigitalSourceType>",
            &mut found,
        );
        let out = found.evidence;
        assert_eq!(out[0].detail, "trainedAlgorithmicMedia");
        assert_eq!(out[0].ai_generated, Some(true));
        assert_eq!(out[1].ai_generated, Some(false));
        // An unsigned camera claim is not a verdict.
        assert_eq!(
            Provenance::from_evidence(vec![out[1].clone()]).ai_generated,
            None
        );
    }

    #[test]
    fn truncated_and_foreign_files_give_nothing() {
        let file = png_with(&[(b"tEXt", b"parameters\0x".to_vec())]);
        for cut in 0..file.len() {
            let _ = scan(&file[..cut]);
        }
        assert!(scan(b"GIF89a").is_empty());
        assert!(scan(&[0xFF, 0xD8, 0xFF]).is_empty());
    }
}
