//! Errors of the evaluation harness.

/// What can go wrong while evaluating.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the EdgeMark core (decoding, embedding, configuration).
    #[error(transparent)]
    Edgemark(#[from] edgemark::Error),
    /// An encoder used by an attack failed.
    #[error("cannot encode {format}: {message}")]
    Encode {
        /// The format being written.
        format: &'static str,
        /// The encoder's message.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A bad option or argument.
    #[error("{0}")]
    Config(String),
}

/// Result with the harness's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
