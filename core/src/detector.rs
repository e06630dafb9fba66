//! The [`Detector`]: runs every configured [`Watermark`] on an image and turns soft bits into
//! findings with a calibrated false-positive rate.

use crate::error::{Error, ErrorKind, Result};
use crate::image::{Image, Limits};
use crate::payload::Bits;
use crate::provenance::{Evidence, EvidenceKind, Provenance};
use crate::scheme::Reading;
use crate::stats;
use crate::watermark::Watermark;

/// Default theoretical false-positive rate per image, over all the watermarks a detector looks
/// for (findings' p-values are family-wise).
pub const DEFAULT_FPR: f64 = 1e-6;

/// Runs several watermarks on images.
#[derive(Clone, Debug)]
pub struct Detector {
    watermarks: Vec<Watermark>,
    fpr: f64,
    limits: Limits,
    c2pa_trust: crate::provenance::C2paTrust,
}

/// The payload in readable forms.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Payload {
    /// `0x`-prefixed hex.
    pub hex: String,
    /// The bytes as text, when they are printable ASCII.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// What one watermark found in one image.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The watermark's name ([`Watermark::name`], e.g. `"sdxl"`, `"edgemark-v3"`).
    pub watermark: String,
    /// The name of the scheme that read it ([`crate::Scheme::name`], e.g. `"dwtDct"`).
    pub scheme: String,
    /// Decoded bits, `0`/`1` characters.
    pub bits: Bits,
    /// True when the p-value is at or below the detector's false-positive rate.
    pub detected: bool,
    /// Probability that an unmarked image matches the expected message this well, corrected
    /// for the number of readings tried and, family-wise, for the number of watermarks the
    /// detector looked for (those that give p-values): a clean image fires any of them with
    /// probability at most the detector's rate. `None` when no message is known.
    pub p_value: Option<f64>,
    /// The same for this watermark alone (not corrected for the others).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark_p_value: Option<f64>,
    /// Bits agreeing with the expected message.
    pub matched_bits: Option<usize>,
    /// Bits read.
    pub total_bits: usize,
    /// The decoded payload.
    pub payload: Payload,
    /// Which reading won (e.g. `"uint8"`, `"float"`).
    pub variant: String,
    /// Mean soft-bit certainty in `[0, 1]`.
    pub certainty: f32,
    /// The watermark whose stronger finding explains this one's match: its mark, read with
    /// this watermark's message length, shows the bits that matched (generator presets whose
    /// messages share structure). Then this one is not counted as detected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explained_by: Option<String>,
    /// Why this watermark could not be read (e.g. the image is too small); then nothing else
    /// in the finding is meaningful and `detected` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The kind of that error (e.g. [`ErrorKind::TooSmall`]); set exactly when `error` is.
    #[serde(skip)]
    pub error_kind: Option<ErrorKind>,
}

/// All findings for one image.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Width of the image in pixels.
    pub width: u32,
    /// Height of the image in pixels.
    pub height: u32,
    /// One finding per watermark of the detector, in the detector's order.
    pub findings: Vec<Finding>,
    /// Is the image AI-generated, and on what evidence: the generator presets' detections,
    /// and the file's metadata when the detector read the file's bytes
    /// ([`Detector::detect_bytes`], [`Detector::detect_file`]).
    pub provenance: Provenance,
    /// The false-positive rate the findings were decided at (for the image, over all the
    /// watermarks).
    #[serde(skip)]
    pub fpr: f64,
}

/// One image's outcome as `edgemark detect --json` prints it (a line each) and the Python
/// package returns it: `file` (when the image came from one), then the report's `width`,
/// `height`, `findings` and `provenance`; or, when the image could not be read, empty
/// `findings` and the `error`.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Record<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<&'a Provenance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl<'a> Record<'a> {
    /// The record of `file` (if any): its report, or why there is none.
    pub fn new(file: Option<&'a str>, outcome: std::result::Result<&'a Report, &'a str>) -> Self {
        match outcome {
            Ok(r) => Record {
                file,
                width: Some(r.width),
                height: Some(r.height),
                findings: &r.findings,
                provenance: Some(&r.provenance),
                error: None,
            },
            Err(e) => Record {
                file,
                width: None,
                height: None,
                findings: &[],
                provenance: None,
                error: Some(e),
            },
        }
    }
}

impl Report {
    /// Adds the metadata evidence of the encoded file the report is about and of its decoded
    /// pixels ([`crate::provenance::scan_image`]) and settles the verdict again.
    pub fn add_metadata(&mut self, bytes: &[u8], image: &Image) {
        self.add_metadata_with_trust(bytes, image, &crate::provenance::C2paTrust::bundled());
    }

    /// [`Report::add_metadata`] with C2PA signers trusted when they chain to `trust`.
    pub fn add_metadata_with_trust(
        &mut self,
        bytes: &[u8],
        image: &Image,
        trust: &crate::provenance::C2paTrust,
    ) {
        let mut evidence = std::mem::take(&mut self.provenance.evidence);
        evidence.extend(crate::provenance::scan_image_with_trust(
            bytes, image, trust,
        ));
        self.provenance = Provenance::from_evidence(evidence);
    }

    /// True when any watermark was detected. The findings' p-values are family-wise (each
    /// times the number of watermarks giving p-values, Bonferroni), so a clean image fires
    /// any of them with probability at most the detector's false-positive rate.
    pub fn any_detected(&self) -> bool {
        self.findings.iter().any(|f| f.detected)
    }

    /// The smallest (family-wise) finding p-value; `None` when no finding has a p-value.
    pub fn family_wise_p_value(&self) -> Option<f64> {
        self.findings
            .iter()
            .filter_map(|f| f.p_value)
            .min_by(f64::total_cmp)
    }
}

/// The report on an image of `size` from each watermark's own finding (in `watermarks`'
/// order), as the detector and the stream detector give it: findings explained by another
/// mark or by repeating content set aside ([`crate::attribution`]), p-values made family-wise,
/// and the provenance the generator presets' detections give.
pub(crate) fn report(
    watermarks: &[Watermark],
    mut findings: Vec<Finding>,
    size: (u32, u32),
    fpr: f64,
) -> Report {
    crate::attribution::explain_away(watermarks, &mut findings, size.0, size.1, fpr);
    correct_family(&mut findings, fpr);
    Report {
        width: size.0,
        height: size.1,
        provenance: watermark_provenance(watermarks, &findings),
        findings,
        fpr,
    }
}

/// The provenance the findings give: each detected generator preset (a watermark named and
/// bound as one of [`crate::watermark::GENERATORS`]) is evidence of AI generation.
fn watermark_provenance(watermarks: &[Watermark], findings: &[Finding]) -> Provenance {
    let evidence = watermarks
        .iter()
        .zip(findings)
        .filter(|(w, f)| f.detected && crate::watermark::is_generator(w))
        .map(|(w, f)| Evidence {
            kind: EvidenceKind::Watermark,
            source: w.name().to_string(),
            signed: false,
            ai_generated: Some(true),
            detail: format!(
                "{} of {} bits, p = {:.1e} ({})",
                f.matched_bits.unwrap_or(0),
                f.total_bits,
                f.p_value.unwrap_or(1.0),
                f.variant
            ),
            c2pa: None,
        })
        .collect();
    Provenance::from_evidence(evidence)
}

/// Makes the findings' p-values family-wise: each watermark's own p-value (kept in
/// `watermark_p_value`) times the number of findings that give one, and `detected` decided
/// on that at `fpr` (a finding already not detected stays so).
fn correct_family(findings: &mut [Finding], fpr: f64) {
    let m = findings.iter().filter(|f| f.p_value.is_some()).count();
    for f in findings.iter_mut() {
        f.watermark_p_value = f.p_value;
        f.p_value = f.p_value.map(|p| stats::correct_for_tries(p, m));
        // Never re-enables a finding explained away (see `attribution`).
        f.detected = f.detected && f.p_value.is_some_and(|p| p <= fpr);
    }
}

impl Default for Detector {
    /// The default presets ([`crate::DEFAULT_PRESETS`]: SDXL) at the default false-positive
    /// rate. (The built-in defaults always build, as the test below checks; were one not to,
    /// this would not panic.)
    fn default() -> Self {
        let watermarks = crate::registry::Registry::builtin()
            .defaults()
            .unwrap_or_default();
        watermarks.into_iter().fold(Detector::new(), Detector::with)
    }
}

impl Detector {
    /// A detector with no watermarks yet.
    pub fn new() -> Detector {
        Detector {
            watermarks: Vec::new(),
            fpr: DEFAULT_FPR,
            limits: Limits::default(),
            c2pa_trust: crate::provenance::C2paTrust::bundled(),
        }
    }

    /// Adds a watermark to look for.
    pub fn with(mut self, watermark: Watermark) -> Detector {
        self.watermarks.push(watermark);
        self
    }

    /// Sets the theoretical false-positive rate (0 < fpr < 1).
    pub fn with_fpr(mut self, fpr: f64) -> Result<Detector> {
        self.fpr = check_fpr(fpr)?;
        Ok(self)
    }

    /// Sets the decode limits used by [`Detector::detect_bytes`].
    pub fn with_limits(mut self, limits: Limits) -> Detector {
        self.limits = limits;
        self
    }

    /// Sets the trust anchors C2PA signers are checked against by
    /// [`Detector::detect_bytes`] (default: the bundled C2PA trust list; the feature `c2pa`
    /// validates manifests at all).
    pub fn with_c2pa_trust(mut self, trust: crate::provenance::C2paTrust) -> Detector {
        self.c2pa_trust = trust;
        self
    }

    /// The watermarks looked for.
    pub fn watermarks(&self) -> &[Watermark] {
        &self.watermarks
    }
    /// The false-positive rate.
    pub fn fpr(&self) -> f64 {
        self.fpr
    }

    /// Decodes encoded bytes (with the detector's limits) and detects; the report's
    /// provenance includes the file's metadata.
    pub fn detect_bytes(&self, bytes: &[u8]) -> Result<Report> {
        let image = Image::decode_with_limits(bytes, &self.limits)?;
        let mut report = self.detect(&image);
        report.add_metadata_with_trust(bytes, &image, &self.c2pa_trust);
        Ok(report)
    }

    /// Reads an image file, decodes it (with the detector's limits) and detects.
    pub fn detect_file(&self, path: impl AsRef<std::path::Path>) -> Result<Report> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        self.detect_bytes(&bytes)
    }

    /// Runs every watermark on the image. A watermark that cannot read this image (too
    /// small, say) reports that in its finding's `error`; the others still run.
    pub fn detect(&self, image: &Image) -> Report {
        let session = image.memo_session();
        let findings: Vec<Finding> = self.watermarks.iter().map(|w| self.run(w, image)).collect();
        drop(session);
        report(
            &self.watermarks,
            findings,
            (image.width(), image.height()),
            self.fpr,
        )
    }

    fn run(&self, w: &Watermark, image: &Image) -> Finding {
        match w.scheme().decode(image) {
            Ok(readings) => decide(w, &readings, self.fpr),
            Err(e) => failed(w, &e),
        }
    }
}

/// `fpr` when it is a false-positive rate (0 < fpr < 1), else the error saying so.
pub(crate) fn check_fpr(fpr: f64) -> Result<f64> {
    if fpr > 0.0 && fpr < 1.0 {
        Ok(fpr)
    } else {
        Err(Error::config(format!(
            "false-positive rate {fpr} must be in (0, 1)"
        )))
    }
}

/// Turns a watermark's readings into a finding: each reading is scored against the expected
/// message's code word ([`crate::Scheme::match_p_value`]), the most significant one is kept
/// (ties go to the more certain), and its p-value is corrected for the number of readings
/// tried. Without a message, a scheme with error correction decides by itself
/// ([`crate::Scheme::decode_payload`]: the chance that an unmarked image decodes to a valid
/// payload), corrected the same way.
pub(crate) fn decide(w: &Watermark, readings: &[Reading], fpr: f64) -> Finding {
    let scheme = w.scheme();
    let n = scheme.code_len();
    if readings.is_empty() {
        return failed(w, &no_reading());
    }
    let expected = match w.message().map(|m| scheme.code_word(m)) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => return failed(w, &e),
        None => None,
    };
    let tries = readings.len();
    let decoded: Vec<Option<crate::scheme::Decoded>> =
        readings.iter().map(|r| scheme.decode_payload(r)).collect();
    let open_set = expected.is_none() && scheme.code_len() != scheme.bit_len();
    let scored: Vec<(f64, Option<usize>)> = readings
        .iter()
        .zip(&decoded)
        .map(|(r, d)| match (&expected, d) {
            (Some(c), _) => {
                let k = r.bits.matches(c);
                (scheme.match_p_value(r, c), Some(k))
            }
            (None, Some(d)) => (d.p_value, Some(n - d.corrected)),
            (None, None) => (1.0, None),
        })
        .collect();
    let best = (0..tries)
        .min_by(|&a, &b| {
            scored[a]
                .0
                .total_cmp(&scored[b].0)
                .then(readings[b].certainty().total_cmp(&readings[a].certainty()))
        })
        .unwrap_or(0);
    let reading = &readings[best];
    let p_value =
        (expected.is_some() || open_set).then(|| stats::correct_for_tries(scored[best].0, tries));
    // The payload: the decoded one, else the payload bits of the reading (systematic codes
    // put them first).
    let bits = match &decoded[best] {
        Some(d) => d.payload.clone(),
        None if n != scheme.bit_len() => Bits::new(
            reading
                .bits
                .as_slice()
                .iter()
                .take(scheme.bit_len())
                .copied()
                .collect(),
        ),
        None => reading.bits.clone(),
    };
    Finding {
        watermark: w.name().to_string(),
        scheme: scheme.name().to_string(),
        payload: payload(&bits),
        bits,
        detected: p_value.is_some_and(|p| p <= fpr),
        p_value,
        watermark_p_value: p_value,
        matched_bits: scored[best].1,
        total_bits: n,
        variant: reading.variant.clone(),
        certainty: reading.certainty(),
        explained_by: None,
        error: None,
        error_kind: None,
    }
}

fn payload(bits: &Bits) -> Payload {
    Payload {
        hex: bits.to_hex(),
        text: bits.to_text(),
    }
}

/// The error of a scheme that returned no reading at all (a scheme's bug, not the image's).
pub(crate) fn no_reading() -> Error {
    Error::Unreadable("scheme produced no reading".into())
}

/// A finding for a watermark that could not read the image.
pub(crate) fn failed(w: &Watermark, error: &Error) -> Finding {
    Finding {
        watermark: w.name().to_string(),
        scheme: w.scheme().name().to_string(),
        bits: Bits::default(),
        detected: false,
        p_value: None,
        watermark_p_value: None,
        matched_bits: None,
        total_bits: w.scheme().code_len(),
        payload: payload(&Bits::default()),
        variant: String::new(),
        certainty: 0.0,
        explained_by: None,
        error: Some(error.to_string()),
        error_kind: Some(error.kind()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_detector_looks_for_the_default_presets() {
        let d = Detector::default();
        let names: Vec<&str> = d.watermarks().iter().map(Watermark::name).collect();
        assert_eq!(names, crate::DEFAULT_PRESETS);
        assert_eq!(d.fpr(), DEFAULT_FPR);
    }
}
