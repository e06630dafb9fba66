//! Fuzzes the JSON entry points `edgemark_detector_new_json` and `edgemark_watermark_new_json`:
//! any bytes as configuration (cut at the first NUL) must give a status, never a crash; a
//! detector or watermark that is created is used once on a small frame (detection, embedding)
//! and freed.
#![no_main]

#[path = "common.rs"]
mod common;

use edgemark_ffi::{
    edgemark_detector_new_json, edgemark_watermark_new_json, EdgemarkDetector, EdgemarkWatermark,
};
use libfuzzer_sys::fuzz_target;
use std::ffi::CString;
use std::ptr;

fuzz_target!(|data: &[u8]| {
    let text = data.split(|&b| b == 0).next().unwrap_or_default();
    let Ok(config) = CString::new(text) else {
        return;
    };
    let pixels = common::pixels();
    let frame = common::rgb_frame(&pixels);
    // SAFETY: `config` is NUL-terminated, out-pointers are local (NULL unless creation
    // succeeded), `frame` points to `pixels`.
    unsafe {
        let mut det: *mut EdgemarkDetector = ptr::null_mut();
        edgemark_detector_new_json(config.as_ptr(), &mut det);
        common::detect_and_free(det, &frame);
        let mut wm: *mut EdgemarkWatermark = ptr::null_mut();
        edgemark_watermark_new_json(config.as_ptr(), &mut wm);
        common::embed_and_free(wm, &frame);
    }
});
