//! What the fuzz targets share (included by each with `#[path]`): a small RGB8 frame, and
//! using a detector or watermark that a target managed to create on it once, then freeing it.

use edgemark_ffi::{
    edgemark_buffer_free, edgemark_detect_frame, edgemark_detector_free, edgemark_embed_frame,
    edgemark_report_free, edgemark_watermark_free, EdgemarkDetector, EdgemarkFrame, EdgemarkPlane,
    EdgemarkReport, EdgemarkStatus, EdgemarkWatermark,
};
use std::ptr;

pub const SIDE: u32 = 64;

/// The pixels of the test frame: a fixed pattern, SIDE x SIDE x 3 bytes.
pub fn pixels() -> Vec<u8> {
    (0..SIDE * SIDE * 3).map(|i| (i * 7 % 251) as u8).collect()
}

/// A SIDE x SIDE RGB8 frame over `pixels` (which must outlive every use of the frame).
pub fn rgb_frame(pixels: &[u8]) -> EdgemarkFrame {
    let empty = EdgemarkPlane {
        data: ptr::null(),
        len: 0,
        stride: 0,
    };
    EdgemarkFrame {
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
    }
}

/// Detects with `det` (NULL: nothing) on `frame` once, then frees `det`.
///
/// # Safety
/// `det` NULL or live and not used again; `frame` points to live planes.
pub unsafe fn detect_and_free(det: *mut EdgemarkDetector, frame: &EdgemarkFrame) {
    // SAFETY: the caller's contract; the report is local.
    unsafe {
        if !det.is_null() {
            let mut report: *mut EdgemarkReport = ptr::null_mut();
            edgemark_detect_frame(det, frame, &mut report);
            edgemark_report_free(report);
        }
        edgemark_detector_free(det);
    }
}

/// Embeds with `wm` (NULL: nothing) into `frame` once, then frees `wm`.
///
/// # Safety
/// `wm` NULL or live and not used again; `frame` points to live planes.
pub unsafe fn embed_and_free(wm: *mut EdgemarkWatermark, frame: &EdgemarkFrame) {
    // SAFETY: the caller's contract; the out-pointers are local.
    unsafe {
        if !wm.is_null() {
            let (mut rgb, mut len, mut w, mut h) = (ptr::null_mut(), 0usize, 0u32, 0u32);
            if edgemark_embed_frame(
                wm,
                frame,
                &mut rgb,
                &mut len,
                &mut w,
                &mut h,
                ptr::null_mut(),
            ) == EdgemarkStatus::Ok
            {
                edgemark_buffer_free(rgb, len);
            }
        }
        edgemark_watermark_free(wm);
    }
}
