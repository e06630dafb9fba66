//! # edgemark-eval
//!
//! The evaluation harness for EdgeMark: a deterministic, seedable attack suite
//! ([`attacks`]), robustness and image-quality metrics ([`metrics`]), and the
//! embed -> attack -> detect loop over a folder of covers ([`run`]) that writes a text table,
//! CSV, JSON and a PNG chart ([`plot`]). [`fpr`] counts clean images that fire. [`random`]
//! draws every attack parameter from a continuous range per trial (TPR per attack family
//! with confidence intervals, training and held-out covers apart).
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
pub mod random;
pub mod report;
pub mod rng;
pub mod run;
pub mod schemes;

pub use attacks::{standard_suite, Attack, Chroma};
pub use error::{Error, Result};
pub use random::{evaluate_random, Family, RandomConfig, RandomResult};
pub use run::{evaluate, EvalConfig, EvalResult};
