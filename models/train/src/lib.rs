//! Training, ONNX export and evaluation of EdgeMark's own watermark model
//! (`edgemark-hidden-48`): a HiDDeN-style encoder/decoder trained with candle on the CPU
//! through a differentiable distortion layer.
//!
//! Everything is behind the Cargo feature `train`; without it this crate is an empty shell
//! so the workspace's default build carries no training dependency.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "train")]
pub mod data;
#[cfg(feature = "train")]
pub mod distort;
#[cfg(feature = "train")]
pub mod evaluate;
#[cfg(feature = "train")]
pub mod export;
#[cfg(feature = "train")]
pub mod finetune;
#[cfg(feature = "train")]
pub mod gen_eval;
#[cfg(feature = "train")]
pub mod generator;
#[cfg(feature = "train")]
pub mod model;
#[cfg(feature = "train")]
pub mod onnx;
#[cfg(feature = "train")]
pub mod rng;
#[cfg(feature = "train")]
pub mod sdvae;
#[cfg(feature = "train")]
pub mod train;
#[cfg(feature = "train")]
pub mod v3reader;

mod error;
pub use error::{Error, Result};
