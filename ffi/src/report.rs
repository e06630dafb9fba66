//! The report handle: findings kept with their C strings, so that the pointers the caller
//! reads stay valid until `edgemark_report_free`.

use crate::error::{c_string, EdgemarkStatus};
use edgemark::{Finding, Report};
use std::ffi::{c_char, CString};
use std::ptr;

/// Opaque: the findings for one image or one stream window. Free with `edgemark_report_free`.
#[derive(Debug)]
pub struct EdgemarkReport {
    pub(crate) report: Report,
    /// Frames the decision was made on (1 for a single image).
    pub(crate) frames: usize,
    strings: Vec<FindingStrings>,
}

#[derive(Debug)]
struct FindingStrings {
    watermark: CString,
    scheme: CString,
    bits: CString,
    hex: CString,
    text: Option<CString>,
    variant: CString,
    error: Option<CString>,
}

/// One finding, read out of a report. The strings belong to the report: they stay valid until
/// it is freed, and must not be freed by the caller.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EdgemarkFinding {
    /// The watermark's name (the preset's), e.g. "sdxl".
    pub watermark: *const c_char,
    /// The scheme that read it, e.g. "dwtDct".
    pub scheme: *const c_char,
    /// The decoded bits as '0'/'1' characters.
    pub bits: *const c_char,
    /// The payload as 0x-prefixed hex.
    pub payload_hex: *const c_char,
    /// The payload as text when it is printable ASCII, else NULL.
    pub payload_text: *const c_char,
    /// Which reading won, e.g. "float".
    pub variant: *const c_char,
    /// Why the watermark could not be read (e.g. image too small), else NULL.
    pub error: *const c_char,
    /// `EDGEMARK_STATUS_OK` when the watermark was read; otherwise the kind of `error`, e.g.
    /// `EDGEMARK_STATUS_TOO_SMALL` or `EDGEMARK_STATUS_UNREADABLE` (the other fields are then
    /// not meaningful and `detected` is false).
    pub status: EdgemarkStatus,
    /// True when the p-value is at or below the detector's false-positive rate.
    pub detected: bool,
    /// True when `p_value` is meaningful (the watermark has a known message).
    pub has_p_value: bool,
    /// Probability that an unmarked image matches this well, family-wise: corrected for
    /// every watermark the detector looked for (see `edgemark_report_any_detected`).
    pub p_value: f64,
    /// Bits agreeing with the expected message, or -1 when no message is known.
    pub matched_bits: i64,
    /// Bits read.
    pub total_bits: usize,
    /// Mean soft-bit certainty in [0, 1].
    pub certainty: f32,
}

impl EdgemarkReport {
    pub(crate) fn new(report: Report, frames: usize) -> EdgemarkReport {
        let strings = report.findings.iter().map(strings).collect();
        EdgemarkReport {
            report,
            frames,
            strings,
        }
    }

    pub(crate) fn finding(&self, index: usize) -> Option<EdgemarkFinding> {
        let f = self.report.findings.get(index)?;
        let s = self.strings.get(index)?;
        let opt = |c: &Option<CString>| c.as_ref().map_or(ptr::null(), |c| c.as_ptr());
        Some(EdgemarkFinding {
            watermark: s.watermark.as_ptr(),
            scheme: s.scheme.as_ptr(),
            bits: s.bits.as_ptr(),
            payload_hex: s.hex.as_ptr(),
            payload_text: opt(&s.text),
            variant: s.variant.as_ptr(),
            error: opt(&s.error),
            status: match (&f.error, f.error_kind) {
                (None, _) => EdgemarkStatus::Ok,
                (Some(_), Some(kind)) => kind.into(),
                (Some(_), None) => EdgemarkStatus::Other,
            },
            detected: f.detected,
            has_p_value: f.p_value.is_some(),
            p_value: f.p_value.unwrap_or(f64::NAN),
            matched_bits: f.matched_bits.map_or(-1, |k| k as i64),
            total_bits: f.total_bits,
            certainty: f.certainty,
        })
    }
}

fn strings(f: &Finding) -> FindingStrings {
    FindingStrings {
        watermark: c_string(&f.watermark),
        scheme: c_string(&f.scheme),
        bits: c_string(&f.bits.to_string()),
        hex: c_string(&f.payload.hex),
        text: f.payload.text.as_deref().map(c_string),
        variant: c_string(&f.variant),
        error: f.error.as_deref().map(c_string),
    }
}
