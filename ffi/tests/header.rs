//! The committed header must be what cbindgen generates from the current sources.
//! `UPDATE_HEADER=1 cargo test --release -p edgemark-ffi --test header` rewrites it.

use std::path::Path;

#[test]
fn committed_header_is_up_to_date() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("UTF-8 header");
    let path = crate_dir.join("include/edgemark.h");
    if std::env::var_os("UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("header written");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: regenerate it with `UPDATE_HEADER=1 cargo test --release -p edgemark-ffi --test header`",
        path.display()
    );
    for name in [
        "edgemark_detect_frame",
        "edgemark_stream_push",
        "EDGEMARK_STATUS_INVALID_FRAME",
        "EDGEMARK_PIXEL_FORMAT_NV12",
        "EDGEMARK_STATUS_TOO_SMALL = 10",
        "EDGEMARK_STATUS_UNREADABLE = 11",
        "EDGEMARK_STATUS_MODEL = 12",
        "EDGEMARK_STATUS_IO = 13",
        "size_t edgemark_last_error_message(char *buf, size_t len)",
        "edgemark_detect_file",
    ] {
        assert!(generated.contains(name), "{name} missing from the header");
    }
}
