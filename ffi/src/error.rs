//! Status codes, the thread-local last-error message, and the guard that runs every entry
//! point: it catches panics so that none crosses the C boundary.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What every fallible function returns. On anything but `EDGEMARK_STATUS_OK`,
/// `edgemark_last_error()` describes the failure.
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
    /// Encoded bytes could not be decoded.
    Decode = 4,
    /// The image is larger than the decode limits.
    TooLarge = 5,
    /// Invalid configuration (unknown preset, false-positive rate out of range...).
    Config = 6,
    /// An index past the end.
    OutOfRange = 7,
    /// A bug inside the library (a caught panic). Please report it.
    Panic = 8,
    /// Any other error.
    Other = 9,
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

impl From<edgemark_core::Error> for Failure {
    fn from(e: edgemark_core::Error) -> Failure {
        use edgemark_core::Error as E;
        let status = match &e {
            E::InvalidFrame(_) => EdgemarkStatus::InvalidFrame,
            E::Decode(_) | E::Empty => EdgemarkStatus::Decode,
            E::TooLarge { .. } => EdgemarkStatus::TooLarge,
            E::Config(_) | E::InvalidMessage(_) => EdgemarkStatus::Config,
            _ => EdgemarkStatus::Other,
        };
        Failure::new(status, e.to_string())
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

/// Pointer to this thread's last error message (valid until the next failing call on the
/// same thread).
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
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
