//! Fuzzes ONNX models given as bytes (`edgemark_detector_new_models`,
//! `edgemark_watermark_new_model`): the first byte chooses what the rest replaces in the
//! committed `edgemark-hidden-48` model, so that mutations stay close to a real model:
//!   even: the decoder's bytes (card, encoder real), odd: the card's text (decoder, encoder
//!   real; cut at the first NUL).
//! Any input must give a status, never a crash; a detector or watermark that is created is
//! used once on a small frame and freed. Seeds: the real decoder (first byte 0) and card
//! (first byte 1), e.g. `mkdir -p seeds && (printf '\0'; cat ../../models/edgemark-hidden-48/decoder.int8.onnx) > seeds/decoder
//! && (printf '\1'; cat ../../models/edgemark-hidden-48/card.toml) > seeds/card`.
#![no_main]

#[path = "common.rs"]
mod common;

use edgemark_ffi::{
    edgemark_detector_new_models, edgemark_watermark_new_model, EdgemarkDetector,
    EdgemarkModelBytes, EdgemarkWatermark,
};
use libfuzzer_sys::fuzz_target;
use std::ffi::CString;
use std::ptr;

const CARD: &str = include_str!("../../../models/edgemark-hidden-48/card.toml");
const DECODER: &[u8] = include_bytes!("../../../models/edgemark-hidden-48/decoder.int8.onnx");
const ENCODER: &[u8] = include_bytes!("../../../models/edgemark-hidden-48/encoder.onnx");

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let (card, decoder): (CString, &[u8]) = if which % 2 == 0 {
        (CString::new(CARD).expect("no NUL in the card"), rest)
    } else {
        let text = rest.split(|&b| b == 0).next().unwrap_or_default();
        (CString::new(text).expect("cut at the first NUL"), DECODER)
    };
    let message = c"0x5A17C0FFEE42";
    let model = EdgemarkModelBytes {
        card: card.as_ptr(),
        decoder: decoder.as_ptr(),
        decoder_len: decoder.len(),
        encoder: ENCODER.as_ptr(),
        encoder_len: ENCODER.len(),
        message: message.as_ptr(),
        name: ptr::null(),
    };
    let pixels = common::pixels();
    let frame = common::rgb_frame(&pixels);
    // SAFETY: every pointer in `model` points to live bytes of the stated length or to a
    // NUL-terminated string; out-pointers are local (NULL unless creation succeeded); `frame`
    // points to `pixels`.
    unsafe {
        let mut det: *mut EdgemarkDetector = ptr::null_mut();
        edgemark_detector_new_models(c"{}".as_ptr(), &model, 1, &mut det);
        common::detect_and_free(det, &frame);
        let mut wm: *mut EdgemarkWatermark = ptr::null_mut();
        edgemark_watermark_new_model(&model, &mut wm);
        common::embed_and_free(wm, &frame);
    }
});
