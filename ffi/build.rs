//! Gives the shared library the name C links it by: `libedgemark.so` (cargo writes it as
//! `libedgemark_ffi.so`, after the crate; the Makefile copies it to C's name). Without an
//! explicit SONAME some toolchains (Debian's rustc, used for the ARM builds) record the cargo
//! name, and programs linked against the copy then look for `libedgemark_ffi.so` at run time.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd"
    ) {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libedgemark.so");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
