//! Errors of the training crate.

/// What can go wrong while training, exporting or evaluating.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A tensor operation failed (candle).
    #[cfg(feature = "train")]
    #[error("tensor: {0}")]
    Candle(#[from] candle_core::Error),
    /// EdgeMark could not load or run an exported model.
    #[cfg(feature = "train")]
    #[error("edgemark: {0}")]
    Edgemark(#[from] edgemark::Error),
    /// The evaluation harness failed.
    #[cfg(feature = "train")]
    #[error("evaluation: {0}")]
    Eval(#[from] edgemark_eval::Error),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Bad options or data.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
