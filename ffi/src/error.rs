//! Status codes, the thread-local last-error message, and the guard that runs every entry
//! point: it catches panics so that none crosses the C boundary.

use edgemark::ErrorKind;
use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What every fallible function returns. On anything but `EDGEMARK_STATUS_OK`,
/// `edgemark_last_error_message()` (or `edgemark_last_error()`) describes the failure. The
/// values are stable: new codes are only ever added.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgemarkStatus {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullPointer = 1,
    /// An argument is out of range (unknown pixel format, zero window, bad UTF-8...).
    InvalidArgument = 2,
    /// A raw frame does not match its dimensions, strides or buffer lengths.
    InvalidFrame = 3,
    /// Encoded bytes could not be decoded (corrupt, truncated, empty or not an image).
    Decode = 4,
    /// The image is larger than the decode limits.
    TooLarge = 5,
    /// Invalid configuration (unknown preset, false-positive rate out of range, a message that
    /// does not fit its scheme...).
    Config = 6,
    /// An index past the end.
    OutOfRange = 7,
    /// A bug inside the library (a caught panic). Please report it.
    Panic = 8,
    /// Any other error (none of the library's own errors: kept for errors added later).
    Other = 9,
    /// The image is too small for a watermark's scheme to hold its bits (in a finding's
    /// `status`: that watermark could not be read; the others still were).
    TooSmall = 10,
    /// The image holds nothing a scheme can read, e.g. a flat area (in a finding's `status`).
    Unreadable = 11,
    /// A model file or model card is missing, corrupt or does not match its ONNX files.
    Model = 12,
    /// Reading a file failed (missing, unreadable).
    Io = 13,
}

impl EdgemarkStatus {
    /// Every status, in value order.
    const ALL: [EdgemarkStatus; 14] = [
        EdgemarkStatus::Ok,
        EdgemarkStatus::NullPointer,
        EdgemarkStatus::InvalidArgument,
        EdgemarkStatus::InvalidFrame,
        EdgemarkStatus::Decode,
        EdgemarkStatus::TooLarge,
        EdgemarkStatus::Config,
        EdgemarkStatus::OutOfRange,
        EdgemarkStatus::Panic,
        EdgemarkStatus::Other,
        EdgemarkStatus::TooSmall,
        EdgemarkStatus::Unreadable,
        EdgemarkStatus::Model,
        EdgemarkStatus::Io,
    ];

    /// The status of a C `int`, if it is one.
    pub(crate) fn from_c(value: c_int) -> Option<EdgemarkStatus> {
        EdgemarkStatus::ALL
            .into_iter()
            .find(|s| *s as c_int == value)
    }

    /// A short constant name, e.g. "invalid frame".
    pub(crate) fn name(self) -> &'static CStr {
        use EdgemarkStatus as S;
        match self {
            S::Ok => c"ok",
            S::NullPointer => c"null pointer",
            S::InvalidArgument => c"invalid argument",
            S::InvalidFrame => c"invalid frame",
            S::Decode => c"decode error",
            S::TooLarge => c"image too large",
            S::Config => c"invalid configuration",
            S::OutOfRange => c"index out of range",
            S::Panic => c"internal error",
            S::Other => c"error",
            S::TooSmall => c"image too small",
            S::Unreadable => c"unreadable image",
            S::Model => c"model error",
            S::Io => c"I/O error",
        }
    }
}

impl From<ErrorKind> for EdgemarkStatus {
    fn from(kind: ErrorKind) -> EdgemarkStatus {
        use EdgemarkStatus as S;
        match kind {
            ErrorKind::InvalidFrame => S::InvalidFrame,
            ErrorKind::Decode | ErrorKind::Empty => S::Decode,
            ErrorKind::TooLarge => S::TooLarge,
            ErrorKind::Config | ErrorKind::InvalidMessage => S::Config,
            ErrorKind::TooSmall => S::TooSmall,
            ErrorKind::Unreadable => S::Unreadable,
            ErrorKind::Model => S::Model,
            ErrorKind::Io => S::Io,
            _ => S::Other,
        }
    }
}

/// A failure on its way to the caller: a status and a message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: EdgemarkStatus,
    pub message: String,
}

impl Failure {
    pub fn new(status: EdgemarkStatus, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }
    pub fn null(what: &str) -> Failure {
        Failure::new(
            EdgemarkStatus::NullPointer,
            format!("{what} is a NULL pointer"),
        )
    }
    pub fn arg(message: impl Into<String>) -> Failure {
        Failure::new(EdgemarkStatus::InvalidArgument, message)
    }
    pub fn frame(message: impl Into<String>) -> Failure {
        Failure::new(EdgemarkStatus::InvalidFrame, message)
    }
}

impl From<edgemark::Error> for Failure {
    fn from(e: edgemark::Error) -> Failure {
        Failure::new(e.kind().into(), e.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Makes a C string, replacing any interior NUL so that nothing is lost silently.
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

fn set_last_error(message: &str) {
    LAST_ERROR.with(|e| *e.borrow_mut() = c_string(message));
}

/// Pointer to this thread's last error message: valid until the next failure on the same
/// thread replaces the string (or the thread exits).
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// Calls `f` with this thread's last error message.
pub(crate) fn with_last_error<T>(f: impl FnOnce(&[u8]) -> T) -> T {
    LAST_ERROR.with(|e| f(e.borrow().as_bytes()))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs an entry point: panics and errors become a status and a last-error message.
pub(crate) fn guard(f: impl FnOnce() -> Result<(), Failure>) -> EdgemarkStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => EdgemarkStatus::Ok,
        Ok(Err(failure)) => {
            set_last_error(&failure.message);
            failure.status
        }
        Err(payload) => {
            set_last_error(&format!(
                "internal error (caught panic): {}",
                panic_message(payload.as_ref())
            ));
            EdgemarkStatus::Panic
        }
    }
}

/// Runs an infallible entry point that returns a value; a panic gives `fallback`.
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            set_last_error(&format!(
                "internal error (caught panic): {}",
                panic_message(payload.as_ref())
            ));
            fallback
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_own_status() {
        use EdgemarkStatus as S;
        let cases = [
            (ErrorKind::InvalidFrame, S::InvalidFrame),
            (ErrorKind::Decode, S::Decode),
            (ErrorKind::Empty, S::Decode),
            (ErrorKind::TooLarge, S::TooLarge),
            (ErrorKind::Config, S::Config),
            (ErrorKind::InvalidMessage, S::Config),
            (ErrorKind::TooSmall, S::TooSmall),
            (ErrorKind::Unreadable, S::Unreadable),
            (ErrorKind::Model, S::Model),
            (ErrorKind::Io, S::Io),
        ];
        for (kind, status) in cases {
            assert_eq!(S::from(kind), status, "{kind:?}");
        }
        // A model error keeps its code and message.
        let e = edgemark::Error::Model {
            message: "card.toml: bits = 0".into(),
            source: None,
        };
        let f = Failure::from(e);
        assert_eq!(
            (f.status, f.message.as_str()),
            (S::Model, "model error: card.toml: bits = 0")
        );
    }

    #[test]
    fn statuses_round_trip_through_c_ints_with_distinct_names() {
        let mut names = std::collections::HashSet::new();
        for (i, s) in EdgemarkStatus::ALL.into_iter().enumerate() {
            assert_eq!(s as c_int, i as c_int, "values are dense and in order");
            assert_eq!(EdgemarkStatus::from_c(i as c_int), Some(s));
            assert!(names.insert(s.name()), "{:?} repeats a name", s.name());
        }
        assert_eq!(EdgemarkStatus::from_c(-1), None);
        assert_eq!(
            EdgemarkStatus::from_c(EdgemarkStatus::ALL.len() as c_int),
            None
        );
    }
}
