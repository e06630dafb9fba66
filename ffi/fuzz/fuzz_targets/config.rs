//! Fuzzes the JSON entry points `edgemark_detector_new_json` and `edgemark_watermark_new_json`:
//! any bytes as configuration (cut at the first NUL) must give a status, never a crash; a
//! detector or watermark that is created is used once on a small frame (detection, embedding)
//! and freed.
#![no_main]

use edgemark_ffi::{
    edgemark_buffer_free, edgemark_detect_frame, edgemark_detector_free,
    edgemark_detector_new_json, edgemark_embed_frame, edgemark_report_free,
    edgemark_watermark_free, edgemark_watermark_new_json, EdgemarkDetector, EdgemarkFrame,
    EdgemarkPlane, EdgemarkReport, EdgemarkStatus, EdgemarkWatermark,
};
use libfuzzer_sys::fuzz_target;
use std::ffi::CString;
use std::ptr;

const SIDE: u32 = 64;

fuzz_target!(|data: &[u8]| {
    let text = data.split(|&b| b == 0).next().unwrap_or_default();
    let Ok(config) = CString::new(text) else {
        return;
    };
    let pixels: Vec<u8> = (0..SIDE * SIDE * 3).map(|i| (i * 7 % 251) as u8).collect();
    let empty = EdgemarkPlane {
        data: ptr::null(),
        len: 0,
        stride: 0,
    };
    let frame = EdgemarkFrame {
        format: 1, // RGB8
        width: SIDE,
        height: SIDE,
        planes: [
            EdgemarkPlane {
                data: pixels.as_ptr(),
                len: pixels.len(),
                stride: (SIDE * 3) as usize,
            },
            empty,
            empty,
        ],
    };
    // SAFETY: `config` is NUL-terminated, out-pointers are local, `frame` points to its bytes.
    unsafe {
        let mut det: *mut EdgemarkDetector = ptr::null_mut();
        if edgemark_detector_new_json(config.as_ptr(), &mut det) == EdgemarkStatus::Ok {
            let mut report: *mut EdgemarkReport = ptr::null_mut();
            edgemark_detect_frame(det, &frame, &mut report);
            edgemark_report_free(report);
        }
        edgemark_detector_free(det);
        let mut wm: *mut EdgemarkWatermark = ptr::null_mut();
        if edgemark_watermark_new_json(config.as_ptr(), &mut wm) == EdgemarkStatus::Ok {
            let (mut rgb, mut len, mut w, mut h) = (ptr::null_mut(), 0usize, 0u32, 0u32);
            if edgemark_embed_frame(wm, &frame, &mut rgb, &mut len, &mut w, &mut h, ptr::null_mut())
                == EdgemarkStatus::Ok
            {
                edgemark_buffer_free(rgb, len);
            }
        }
        edgemark_watermark_free(wm);
    }
});
