//! ONNX watermark models given as bytes (an app bundle, a firmware image, flash): a detector
//! that looks for them, a watermark that embeds with them. Needs a library built with the
//! `onnx` feature (the default); without it a model that gets past the argument checks is
//! refused with `EDGEMARK_STATUS_CONFIG`, saying so. Models in files are named by path in the
//! JSON configurations instead (`"models": ["path/card.toml"]`).

use crate::embed::EdgemarkWatermark;
use crate::error::{guard, Failure};
use crate::{boxed, byte_slice, c_str, json_config, out_ptr, EdgemarkDetector, EdgemarkStatus};
use edgemark::config::DetectorConfig;
use edgemark::Watermark;
use std::ffi::c_char;

/// An ONNX watermark model in memory: its model card, its decoder, and its encoder when it is
/// used to embed. The library copies what it needs; the caller's buffers may be freed once the
/// call that took them returns.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EdgemarkModelBytes {
    /// The model card as NUL-terminated UTF-8 text: TOML, as in `models/<name>/card.toml`, or
    /// JSON (text starting with `{`). The file names it gives are ignored.
    pub card: *const c_char,
    /// The decoder's ONNX bytes.
    pub decoder: *const u8,
    /// Length of `decoder` in bytes.
    pub decoder_len: usize,
    /// The encoder's ONNX bytes, or NULL. Detection ignores it; embedding needs it (and a card
    /// with an `[encoder]` section).
    pub encoder: *const u8,
    /// Length of `encoder` in bytes (0 when `encoder` is NULL).
    pub encoder_len: usize,
    /// The message (`0xHEX`, `bits:0101...`, `text:...`), NUL-terminated: the one to look for
    /// (gives findings a p-value) or to embed; NULL for none (detection only).
    pub message: *const c_char,
    /// The name findings carry, NUL-terminated; NULL for the card's `name`.
    pub name: *const c_char,
}

/// An optional NUL-terminated UTF-8 field: NULL is `None`.
///
/// # Safety
/// `p` must be NULL or NUL-terminated.
unsafe fn opt_str<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: non-NULL, so NUL-terminated by the caller's contract.
        unsafe { c_str(p, what) }.map(Some)
    }
}

/// The watermark of one model; `embedding` requires the encoder and the message.
///
/// # Safety
/// The pointers in `m` must be NULL or valid as `EdgemarkModelBytes` documents.
unsafe fn model_watermark(
    m: &EdgemarkModelBytes,
    what: &str,
    embedding: bool,
) -> Result<Watermark, Failure> {
    // SAFETY: NULL or NUL-terminated (the struct's contract).
    let card = unsafe { c_str(m.card, &format!("{what}.card")) }?;
    // SAFETY: NULL or `decoder_len` readable bytes (the struct's contract).
    let decoder = unsafe { byte_slice(m.decoder, m.decoder_len, &format!("{what}.decoder")) }?;
    // Detection never reads the encoder (a corrupt one must not stop it).
    let encoder = if !embedding || (m.encoder.is_null() && m.encoder_len == 0) {
        None
    } else {
        // SAFETY: NULL or `encoder_len` readable bytes (the struct's contract).
        Some(unsafe { byte_slice(m.encoder, m.encoder_len, &format!("{what}.encoder")) }?)
    };
    // SAFETY: NULL or NUL-terminated (the struct's contract).
    let message = unsafe { opt_str(m.message, &format!("{what}.message")) }?;
    // SAFETY: NULL or NUL-terminated (the struct's contract).
    let name = unsafe { opt_str(m.name, &format!("{what}.name")) }?;
    if embedding {
        if encoder.is_none() {
            return Err(Failure::null(&format!("{what}.encoder")));
        }
        if message.is_none() {
            return Err(Failure::null(&format!("{what}.message")));
        }
    }
    build(card, decoder, encoder, message, name)
}

#[cfg(feature = "onnx")]
fn build(
    card: &str,
    decoder: &[u8],
    encoder: Option<&[u8]>,
    message: Option<&str>,
    name: Option<&str>,
) -> Result<Watermark, Failure> {
    Ok(edgemark::neural::watermark_from_bytes(
        card, decoder, encoder, message, name,
    )?)
}

#[cfg(not(feature = "onnx"))]
fn build(
    _card: &str,
    _decoder: &[u8],
    _encoder: Option<&[u8]>,
    _message: Option<&str>,
    _name: Option<&str>,
) -> Result<Watermark, Failure> {
    Err(Failure::new(
        EdgemarkStatus::Config,
        "ONNX models need libedgemark built with its `onnx` feature (the default)",
    ))
}

/// Creates a detector from a JSON configuration (as `edgemark_detector_new_json`) that also
/// looks for `n_models` ONNX models given as bytes (after the configuration's own
/// watermarks). With models and neither `presets` nor `watermarks` in the configuration,
/// the detector looks for the models only (`"presets": null` is the same; name presets to
/// look for them too). `models` may be NULL when `n_models` is 0. A corrupt decoder or card,
/// or one that does not match the decoder, gives `EDGEMARK_STATUS_MODEL`; a bad message
/// `EDGEMARK_STATUS_CONFIG`.
///
/// # Safety
/// `config` NULL or NUL-terminated; `models` NULL or `n_models` readable structs, each valid
/// as `EdgemarkModelBytes` documents; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn edgemark_detector_new_models(
    config: *const c_char,
    models: *const EdgemarkModelBytes,
    n_models: usize,
    out: *mut *mut EdgemarkDetector,
) -> EdgemarkStatus {
    guard(|| {
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out") }?;
        *out = std::ptr::null_mut();
        // SAFETY: NULL or NUL-terminated by contract.
        let config: DetectorConfig = unsafe { json_config(config, "detector configuration") }?;
        let models: &[EdgemarkModelBytes] = if n_models == 0 {
            &[]
        } else if models.is_null() {
            return Err(Failure::null("models"));
        } else if n_models > 1024 {
            return Err(Failure::arg(format!("{n_models} models (at most 1024)")));
        } else {
            // SAFETY: non-NULL, `n_models` readable structs by contract.
            unsafe { std::slice::from_raw_parts(models, n_models) }
        };
        let watermarks = models
            .iter()
            .enumerate()
            // SAFETY: each struct's pointers are valid as documented (this function's
            // contract).
            .map(|(i, m)| unsafe { model_watermark(m, &format!("models[{i}]"), false) })
            .collect::<Result<Vec<_>, _>>()?;
        *out = boxed(EdgemarkDetector {
            inner: config.build(watermarks)?,
        });
        Ok(())
    })
}

/// Creates a watermark that embeds with an ONNX model given as bytes: `model.encoder` and
/// `model.message` are required (`EDGEMARK_STATUS_NULL_POINTER` naming the field otherwise).
/// Embed with `edgemark_embed_frame` / `edgemark_embed_encoded`, free with
/// `edgemark_watermark_free`.
///
/// # Safety
/// `model` NULL or valid as `EdgemarkModelBytes` documents; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn edgemark_watermark_new_model(
    model: *const EdgemarkModelBytes,
    out: *mut *mut EdgemarkWatermark,
) -> EdgemarkStatus {
    guard(|| {
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out") }?;
        *out = std::ptr::null_mut();
        // SAFETY: `model` is NULL or a live struct (this function's contract).
        let model = unsafe { crate::in_ref(model, "model") }?;
        // SAFETY: the struct's pointers are valid as documented (this function's contract).
        let watermark = unsafe { model_watermark(model, "model", true) }?;
        *out = boxed(EdgemarkWatermark::from(watermark));
        Ok(())
    })
}
