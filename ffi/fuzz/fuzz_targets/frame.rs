//! Fuzzes the frame entry point `edgemark_detect_frame` (and the stream push, which shares
//! its checks): any format number, dimensions, strides and plane lengths, with plane
//! pointers that really point to `len` bytes, must give a status, never a crash or a read
//! out of bounds.
#![no_main]

use edgemark_ffi::{
    edgemark_detect_frame, edgemark_detector_free, edgemark_detector_new, edgemark_report_free,
    edgemark_stream_free, edgemark_stream_new, edgemark_stream_push, EdgemarkDetector,
    EdgemarkFrame, EdgemarkPlane, EdgemarkReport, EdgemarkStatus, EdgemarkStream,
};
use libfuzzer_sys::fuzz_target;
use std::ptr;

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn u16(&mut self) -> u16 {
        let v = match self.0 {
            [a, b, ..] => u16::from_le_bytes([*a, *b]),
            [a] => u16::from(*a),
            [] => 0,
        };
        self.0 = self.0.get(2..).unwrap_or(&[]);
        v
    }
}

fn plane(data: &[u8], stride: usize) -> EdgemarkPlane {
    EdgemarkPlane {
        // An empty plane is passed as NULL, to exercise that check too.
        data: if data.is_empty() {
            ptr::null()
        } else {
            data.as_ptr()
        },
        len: data.len(),
        stride,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let format = u32::from(inp.u16() % 9); // 0 and 8 are invalid formats
    let width = u32::from(inp.u16() % 300);
    let height = u32::from(inp.u16() % 300);
    let strides = [inp.u16(), inp.u16(), inp.u16()].map(|s| usize::from(s % 1200));
    let cuts = [inp.u16(), inp.u16()].map(usize::from);
    let rest = inp.0;
    let a = cuts[0].min(rest.len());
    let b = (a + cuts[1]).min(rest.len());
    let planes = [
        plane(&rest[..a], strides[0]),
        plane(&rest[a..b], strides[1]),
        plane(&rest[b..], strides[2]),
    ];
    let frame = EdgemarkFrame {
        format,
        width,
        height,
        planes,
    };
    unsafe {
        let mut det: *mut EdgemarkDetector = ptr::null_mut();
        assert_eq!(edgemark_detector_new(&mut det), EdgemarkStatus::Ok);
        let mut report: *mut EdgemarkReport = ptr::null_mut();
        let st = edgemark_detect_frame(det, &frame, &mut report);
        assert_ne!(st, EdgemarkStatus::Panic, "panic caught in detect_frame");
        assert_eq!(st == EdgemarkStatus::Ok, !report.is_null());
        edgemark_report_free(report);
        let mut stream: *mut EdgemarkStream = ptr::null_mut();
        assert_eq!(edgemark_stream_new(det, 2, &mut stream), EdgemarkStatus::Ok);
        for _ in 0..2 {
            let mut r: *mut EdgemarkReport = ptr::null_mut();
            let st2 = edgemark_stream_push(stream, &frame, &mut r);
            assert_eq!(st2, st, "stream and single-frame checks disagree");
            edgemark_report_free(r);
        }
        edgemark_stream_free(stream);
        edgemark_detector_free(det);
    }
});
