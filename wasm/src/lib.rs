//! WebAssembly bindings: see the browser issue. A compiling shell for now.
pub use edgemark;
