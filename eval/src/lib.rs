//! # edgemark-eval
//!
//! The evaluation harness for EdgeMark: a deterministic, seedable attack suite
//! ([`attacks`]), robustness and image-quality metrics ([`metrics`]), and the
//! embed -> attack -> detect loop over a folder of covers ([`run`]) that writes a text table,
//! CSV, JSON and a PNG chart ([`plot`]). [`fpr`] counts clean images that fire.
//!
//! Schemes are plain [`edgemark::Watermark`]s, so any [`edgemark::Scheme`] (ONNX decoders
//! included) is evaluated the same way; [`schemes`] names the ones the CLI knows.

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, missing_docs)]

pub mod attacks;
pub mod covers;
mod error;
pub mod fpr;
pub mod metrics;
pub mod plot;
pub mod report;
pub mod rng;
pub mod run;
pub mod schemes;

pub use attacks::{standard_suite, Attack, Chroma};
pub use error::{Error, Result};
pub use run::{evaluate, EvalConfig, EvalResult};
