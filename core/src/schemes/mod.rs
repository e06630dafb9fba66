//! The watermarking schemes EdgeMark implements in Rust.

mod classic;
mod kernels;
pub(crate) mod linalg;

pub use classic::{Classic, ClassicKind, Convention, EmbedStyle};
