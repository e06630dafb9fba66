//! The one error type of the crate.

use std::fmt;

/// Everything that can go wrong in EdgeMark. Every public fallible function returns this.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not an image in a supported format, or the file is corrupt or truncated.
    #[error("cannot decode image: {0}")]
    Decode(String),
    /// The input is empty.
    #[error("empty input: no bytes to decode")]
    Empty,
    /// The image is larger than the configured decode limits (decompression-bomb guard).
    #[error("image is {width}x{height}, larger than the limit of {max_width}x{max_height} ({max_pixels} pixels)")]
    TooLarge {
        width: u64,
        height: u64,
        max_width: u32,
        max_height: u32,
        max_pixels: u64,
    },
    /// The image is too small for the scheme to hold its bits.
    #[error("image {width}x{height} is too small for {scheme}: need at least {needed}")]
    TooSmall {
        width: u32,
        height: u32,
        scheme: String,
        needed: String,
    },
    /// A raw pixel buffer does not match the dimensions and stride it was given with.
    #[error("invalid frame: {0}")]
    InvalidFrame(String),
    /// A message or payload could not be parsed or does not fit the scheme.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// A scheme, preset or option name is unknown or a parameter is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The image holds nothing a scheme can read (for instance a flat area: no texture to
    /// carry a mark); nothing is decided.
    #[error("unreadable: {0}")]
    Unreadable(String),
    /// A model file or model card is missing, corrupt or does not match.
    #[error("model error: {0}")]
    Model(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn config(msg: impl fmt::Display) -> Self {
        Error::Config(msg.to_string())
    }
    pub(crate) fn frame(msg: impl fmt::Display) -> Self {
        Error::InvalidFrame(msg.to_string())
    }
    pub(crate) fn message(msg: impl fmt::Display) -> Self {
        Error::InvalidMessage(msg.to_string())
    }
}

/// Shorthand for `std::result::Result<T, edgemark::Error>`.
pub type Result<T> = std::result::Result<T, Error>;
