//! The one error type of the crate.

use std::fmt;

/// The error of another library that an [`Error`] keeps as its [`source`](std::error::Error::source)
/// (the `image` decoder, the ONNX runtime, a TOML or JSON parser), boxed so that EdgeMark's
/// API does not depend on those libraries' versions. Downcast it to reach the original.
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in EdgeMark. Every public fallible function returns this.
///
/// The message (`Display`) is complete on its own: where another library's error caused this
/// one, its text is part of the message and the error itself is the
/// [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not an image in a supported format, or the file is corrupt or truncated
    /// (or, from [`crate::Image::encode`], the encoder failed).
    #[error("cannot decode image: {message}")]
    Decode {
        /// What went wrong, including the underlying decoder's message.
        message: String,
        /// The `image` crate's error, when it raised this one.
        #[source]
        source: Option<SourceError>,
    },
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
    #[error("model error: {message}")]
    Model {
        /// What went wrong, including the underlying error's message.
        message: String,
        /// The ONNX runtime's or the card parser's error, when one raised this one.
        #[source]
        source: Option<SourceError>,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Which kind of [`Error`] (its variant, without the details): what a [`crate::Finding`]
/// records when its watermark could not be read, and what bindings turn into status codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Decode`].
    Decode,
    /// [`Error::Empty`].
    Empty,
    /// [`Error::TooLarge`].
    TooLarge,
    /// [`Error::TooSmall`].
    TooSmall,
    /// [`Error::InvalidFrame`].
    InvalidFrame,
    /// [`Error::InvalidMessage`].
    InvalidMessage,
    /// [`Error::Config`].
    Config,
    /// [`Error::Unreadable`].
    Unreadable,
    /// [`Error::Model`].
    Model,
    /// [`Error::Io`].
    Io,
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Empty => ErrorKind::Empty,
            Error::TooLarge { .. } => ErrorKind::TooLarge,
            Error::TooSmall { .. } => ErrorKind::TooSmall,
            Error::InvalidFrame(_) => ErrorKind::InvalidFrame,
            Error::InvalidMessage(_) => ErrorKind::InvalidMessage,
            Error::Config(_) => ErrorKind::Config,
            Error::Unreadable(_) => ErrorKind::Unreadable,
            Error::Model { .. } => ErrorKind::Model,
            Error::Io { .. } => ErrorKind::Io,
        }
    }

    pub(crate) fn config(msg: impl fmt::Display) -> Self {
        Error::Config(msg.to_string())
    }
    pub(crate) fn frame(msg: impl fmt::Display) -> Self {
        Error::InvalidFrame(msg.to_string())
    }
    pub(crate) fn message(msg: impl fmt::Display) -> Self {
        Error::InvalidMessage(msg.to_string())
    }
    /// A decode error of our own (no underlying error).
    pub(crate) fn decode(msg: impl fmt::Display) -> Self {
        Error::Decode {
            message: msg.to_string(),
            source: None,
        }
    }
    /// A decode error raised by the `image` crate (or the I/O under it): `context` (may be
    /// empty) and its message.
    pub(crate) fn decode_from(
        context: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Decode {
            message: with_context(context, &source),
            source: Some(Box::new(source)),
        }
    }
    /// A model error of our own (no underlying error).
    #[cfg(feature = "onnx")]
    pub(crate) fn model(msg: impl fmt::Display) -> Self {
        Error::Model {
            message: msg.to_string(),
            source: None,
        }
    }
    /// A model error raised by another library: `message` says what failed (it should include
    /// the source's text, as `Display` shows only the message).
    #[cfg(feature = "onnx")]
    pub(crate) fn model_from(message: impl fmt::Display, source: impl Into<SourceError>) -> Self {
        Error::Model {
            message: message.to_string(),
            source: Some(source.into()),
        }
    }
}

fn with_context(context: &str, source: &dyn fmt::Display) -> String {
    if context.is_empty() {
        source.to_string()
    } else {
        format!("{context}: {source}")
    }
}

/// Shorthand for `std::result::Result<T, edgemark::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn decode_errors_keep_the_image_crate_error() {
        let e = crate::Image::decode(b"\x89PNG\r\n\x1a\n truncated").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        let source = e.source().expect("a source");
        assert!(
            source.downcast_ref::<image::ImageError>().is_some(),
            "{source:?}"
        );
        // The message alone still says what the decoder said.
        assert!(e.to_string().contains(&source.to_string()), "{e}");
    }

    #[test]
    fn own_decode_errors_have_no_source() {
        let e = crate::Image::decode(b"definitely not an image").unwrap_err();
        assert!(matches!(e, Error::Decode { source: None, .. }), "{e:?}");
    }

    #[test]
    fn io_errors_keep_the_io_error() {
        let e = crate::Image::open("/nonexistent/edgemark/photo.png").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        let source = e.source().expect("a source");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("an io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }
}
