//! # EdgeMark
//!
//! Finds invisible watermarks in images on the CPU: in the browser (WebAssembly), in apps and
//! on cameras (C ABI), and on the command line.
//!
//! ```no_run
//! use edgemark::{Detector, Image};
//!
//! let image = Image::open("photo.png")?;
//! let report = Detector::default().detect(&image); // built-in presets (Stable Diffusion XL)
//! for f in &report.findings {
//!     println!("{} ({}): detected={} p={:?} bits={}", f.watermark, f.scheme, f.detected, f.p_value, f.bits);
//! }
//! # Ok::<(), edgemark::Error>(())
//! ```
//!
//! Embedding uses the same [`Watermark`]s:
//!
//! ```
//! use edgemark::{Bits, Classic, Detector, Image, Watermark};
//!
//! # let rgb: Vec<u8> = (0..256 * 256 * 3).map(|i| ((i * 7919) % 251) as u8).collect();
//! let cover = Image::from_rgb(256, 256, rgb)?;
//! let message = Bits::parse("text:EdgeMark")?; // 64 bits
//! let mark = Watermark::new("mine", Classic::dwt_dct(64)?, Some(message))?;
//! let marked = mark.embed(&cover, None)?;
//! let report = Detector::new().with(mark).detect(&marked);
//! assert!(report.findings[0].detected);
//! # Ok::<(), edgemark::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

mod attribution;
mod batch;
// OpenCV-exact YUV and pywt-exact Haar: implementation details of the classical schemes.
mod color;
pub mod config;
#[cfg(all(feature = "dataset", not(target_arch = "wasm32")))]
pub mod dataset;
pub mod detector;
mod dwt;
pub mod ecc;
mod error;
pub mod frame;
pub mod image;
#[cfg(feature = "onnx")]
pub mod neural;
pub mod overlay;
pub mod payload;
pub mod provenance;
pub mod registry;
pub mod scheme;
pub mod schemes;
pub mod search;
pub mod stats;
pub mod stream;
pub mod trace;
pub mod watermark;

pub use detector::{Detector, Finding, Payload, Report, DEFAULT_FPR};
pub use error::{Error, ErrorKind, Result, SourceError};
pub use image::{Image, Limits, PixelFormat};
pub use payload::Bits;
pub use registry::Registry;
pub use scheme::{Decoded, Layout, Reading, Scheme};
pub use schemes::{ChannelOrder, Classic, ClassicKind, Convention, EdgemarkV3, EmbedStyle};
pub use stream::{StreamDetector, StreamReport};
pub use watermark::{Watermark, DEFAULT_PRESETS, SDXL_MESSAGE};
