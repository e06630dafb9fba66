//! C ABI: see the C ABI issue. A compiling shell for now.
pub use edgemark as core;
