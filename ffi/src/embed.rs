//! Embedding through the C ABI: a watermark configured from JSON, written into a raw frame or
//! an encoded image.

use crate::error::{guard, Failure};
use crate::frame::{self, EdgemarkFrame};
use crate::{
    boxed, byte_slice, free_boxed, hand_out, in_ref, json_config, out_ptr, rgb_outs, EdgemarkStatus,
};
use edgemark::config::EmbedConfig;
use edgemark::{Image, Limits, Watermark};
use std::ffi::c_char;

/// Opaque: a watermark to embed. Free with `edgemark_watermark_free`.
#[derive(Debug)]
pub struct EdgemarkWatermark {
    inner: Watermark,
}

impl From<Watermark> for EdgemarkWatermark {
    fn from(inner: Watermark) -> EdgemarkWatermark {
        EdgemarkWatermark { inner }
    }
}

/// Creates a watermark to embed from a JSON configuration (UTF-8, NUL-terminated):
///
/// ```json
/// {"scheme": "edgemark-v3", "message": "0x00C0FFEE"}
/// {"scheme": "sdxl"}
/// {"scheme": "dwtDct", "message": "text:EdgeMark", "style": "clean", "convention": "uint8"}
/// ```
///
/// `scheme` is a preset (its own message) or a scheme of `edgemark schemes` with a `message`
/// (`0xHEX`, `bits:0101...`, `text:...`); `style` (`clean`, `compat`) and `convention`
/// (`uint8`, `float`) choose how classical schemes write; `models` (ONNX cards or folders)
/// needs a library built with the `onnx` feature. As `edgemark embed` builds it. Malformed
/// JSON or an unknown field gives `EDGEMARK_STATUS_INVALID_ARGUMENT`, an unknown scheme, a
/// missing or malformed message `EDGEMARK_STATUS_CONFIG`.
///
/// # Safety
/// `config` must be NULL or a NUL-terminated string; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn edgemark_watermark_new_json(
    config: *const c_char,
    out: *mut *mut EdgemarkWatermark,
) -> EdgemarkStatus {
    guard(|| {
        // SAFETY: `out` is NULL or writable (this function's contract).
        let out = unsafe { out_ptr(out, "out") }?;
        *out = std::ptr::null_mut();
        // SAFETY: NULL or NUL-terminated by contract.
        let config: EmbedConfig = unsafe { json_config(config, "watermark configuration") }?;
        *out = boxed(EdgemarkWatermark {
            inner: config.watermark()?,
        });
        Ok(())
    })
}

/// Frees a watermark (NULL is ignored).
///
/// # Safety
/// `watermark` must be NULL or come from `edgemark_watermark_new_json` or
/// `edgemark_watermark_new_model`, and not be used again.
#[no_mangle]
pub unsafe extern "C" fn edgemark_watermark_free(watermark: *mut EdgemarkWatermark) {
    // SAFETY: NULL or boxed by this library, freed once (this function's contract).
    unsafe { free_boxed(watermark) }
}

/// Embeds into `cover`, returning the marked image and its PSNR to the cover.
fn embed(watermark: &EdgemarkWatermark, cover: &Image) -> Result<(Image, f64), Failure> {
    let marked = watermark.inner.embed(cover, None)?;
    let psnr = edgemark::image::psnr(cover, &marked);
    Ok((marked, psnr))
}

/// Embeds the watermark into a raw frame (any `EdgemarkPixelFormat`: RGB/BGR/RGBA/BGRA/GRAY
/// with a stride, NV12 or I420 planes). On success `*rgb` holds the marked frame as tightly
/// packed RGB8 (`*width` x `*height` x 3 bytes; free with `edgemark_buffer_free(*rgb,
/// *rgb_len)`), and `*psnr`, when `psnr` is not NULL, its PSNR in dB to the frame as RGB8
/// (alpha dropped, YUV converted). Convert it
/// back to the frame's own format to display or encode it.
///
/// # Safety
/// `watermark` NULL or live; `frame` as for `edgemark_detect_frame`; `rgb`, `rgb_len`,
/// `width`, `height` NULL or writable; `psnr` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn edgemark_embed_frame(
    watermark: *const EdgemarkWatermark,
    frame: *const EdgemarkFrame,
    rgb: *mut *mut u8,
    rgb_len: *mut usize,
    width: *mut u32,
    height: *mut u32,
    psnr: *mut f64,
) -> EdgemarkStatus {
    guard(|| {
        // SAFETY: the four out-pointers are NULL or writable (this function's contract).
        let (rgb, rgb_len, width, height) = unsafe { rgb_outs(rgb, rgb_len, width, height) }?;
        // SAFETY: `watermark` is NULL or live (this function's contract).
        let watermark = unsafe { in_ref(watermark, "watermark") }?;
        // SAFETY: `frame` is NULL or live (this function's contract).
        let frame = unsafe { in_ref(frame, "frame") }?;
        // SAFETY: plane pointers and lengths are the caller's contract.
        let cover = unsafe { frame::to_image(frame, &Limits::default())? };
        let (marked, db) = embed(watermark, &cover)?;
        (*width, *height) = (marked.width(), marked.height());
        hand_out(marked.into_rgb(), rgb, rgb_len);
        // SAFETY: `psnr` is NULL or writable (this function's contract).
        if let Some(p) = unsafe { psnr.as_mut() } {
            *p = db;
        }
        Ok(())
    })
}

/// Embeds the watermark into an encoded image (PNG, JPEG, WebP, GIF, BMP, TIFF). On success
/// `*png` holds the marked image as a PNG file (lossless: every bit of the mark kept; free
/// with `edgemark_buffer_free(*png, *png_len)`), and `*psnr`, when `psnr` is not NULL, its
/// PSNR to the decoded input in dB.
///
/// # Safety
/// `watermark` NULL or live; `data` NULL or `len` readable bytes; `png`, `png_len` NULL or
/// writable; `psnr` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn edgemark_embed_encoded(
    watermark: *const EdgemarkWatermark,
    data: *const u8,
    len: usize,
    png: *mut *mut u8,
    png_len: *mut usize,
    psnr: *mut f64,
) -> EdgemarkStatus {
    guard(|| {
        // SAFETY: `png` is NULL or writable (this function's contract).
        let png = unsafe { out_ptr(png, "png") }?;
        *png = std::ptr::null_mut();
        // SAFETY: `png_len` is NULL or writable (this function's contract).
        let png_len = unsafe { out_ptr(png_len, "png_len") }?;
        // SAFETY: `watermark` is NULL or live (this function's contract).
        let watermark = unsafe { in_ref(watermark, "watermark") }?;
        // SAFETY: `len` readable bytes by contract.
        let bytes = unsafe { byte_slice(data, len, "data")? };
        let cover = Image::decode(bytes)?;
        let (marked, db) = embed(watermark, &cover)?;
        hand_out(marked.to_png()?, png, png_len);
        // SAFETY: `psnr` is NULL or writable (this function's contract).
        if let Some(p) = unsafe { psnr.as_mut() } {
            *p = db;
        }
        Ok(())
    })
}
