//! The watermarking schemes EdgeMark implements in Rust.

mod classic;
mod kernels;
pub(crate) mod linalg;
mod v3;

pub use classic::{ChannelOrder, Classic, ClassicKind, Convention, EmbedStyle};
pub use v3::{EdgemarkV3, V3_PAYLOAD_BITS};
pub(crate) use v3::{V3_CODE_BITS, V3_TILE};
