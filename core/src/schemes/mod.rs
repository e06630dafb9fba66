//! The watermarking schemes EdgeMark implements in Rust.

mod classic;
mod kernels;
pub(crate) mod linalg;
mod v3;

pub use classic::{ChannelOrder, Classic, ClassicKind, Convention, EmbedStyle};
#[cfg(all(feature = "dataset", not(target_arch = "wasm32")))]
pub(crate) use v3::soft_z;
pub use v3::{EdgemarkV3, V3_PAYLOAD_BITS};
pub(crate) use v3::{V3_CODE_BITS, V3_TILE};
