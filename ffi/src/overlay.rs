//! Screen overlays through the C ABI: render a viewer's overlay tile into a caller's buffer
//! (native desktop and mobile clients draw their own overlay layer), and trace screenshots
//! back to the viewer.

use crate::error::{self, guard, Failure};
use crate::frame::{self, EdgemarkFrame};
use crate::{byte_slice, c_str, in_ref, out_ptr, EdgemarkStatus};
use edgemark::overlay::Overlay;
use edgemark::trace::{parse_ids, Tracer};
use edgemark::{Image, Limits};
use std::ffi::c_char;

/// Side of the overlay tile in pixels. Draw the overlay at one tile pixel per device pixel,
/// repeated from the top-left corner of the screen.
pub const EDGEMARK_OVERLAY_TILE: u32 = 128;

/// The default overlay strength (RMS opacity in 1/255 units; 0.5 to 32 are accepted).
pub const EDGEMARK_OVERLAY_DEFAULT_STRENGTH: f32 = 2.8;

/// Renders the overlay carrying `id` at `strength` into `out`: `width` x `height` pixels of
/// straight (not premultiplied) RGBA8, rows `stride` bytes apart (0: `width * 4`), the
/// 128x128 tile repeated from the top-left corner; the bytes between rows are left alone. The
/// bytes are those of `edgemark overlay` and of the npm package's `overlay()` for the same ID
/// and strength. Composite it source-over (premultiply first where the drawing API wants
/// premultiplied alpha). `out` is left as it was on any error: `EDGEMARK_STATUS_NULL_POINTER`
/// (NULL `out`), `EDGEMARK_STATUS_INVALID_ARGUMENT` (`stride` under `width * 4`, sizes that
/// overflow), `EDGEMARK_STATUS_INVALID_FRAME` (zero width or height),
/// `EDGEMARK_STATUS_TOO_LARGE` (over the default limits: 2^28 pixels, 65,535 a side),
/// `EDGEMARK_STATUS_CONFIG` (strength outside 0.5..=32 or not finite).
///
/// # Safety
/// `out` NULL or `stride * (height - 1) + width * 4` writable bytes (`width * 4 * height`
/// when `stride` is 0).
#[no_mangle]
pub unsafe extern "C" fn edgemark_overlay_render(
    id: u32,
    strength: f32,
    out: *mut u8,
    width: u32,
    height: u32,
    stride: usize,
) -> EdgemarkStatus {
    guard(|| {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        let row = (width as usize)
            .checked_mul(4)
            .ok_or_else(|| Failure::arg("width is too large"))?;
        let stride = if stride == 0 { row } else { stride };
        if stride < row {
            return Err(Failure::arg(format!(
                "stride {stride} is less than width * 4 = {row}"
            )));
        }
        let overlay = Overlay::new(id, strength)?;
        if width == 0 || height == 0 {
            return Err(edgemark::Error::InvalidFrame("zero width or height".into()).into());
        }
        Limits::default().check(width.into(), height.into())?;
        let len = stride
            .checked_mul(height as usize - 1)
            .and_then(|n| n.checked_add(row))
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(|| Failure::arg("stride * height is too large"))?;
        // SAFETY: non-NULL, and `stride * (height - 1) + width * 4` writable bytes by this
        // function's contract.
        let dst = unsafe { std::slice::from_raw_parts_mut(out, len) };
        overlay.render_into(dst, width, height, stride)?;
        Ok(())
    })
}

/// Traces `image` with the issued IDs in `ids_csv` (NULL: the error-correcting code names the
/// ID) at `fpr` (0: the default 1e-6), writing the result as JSON (the keys of
/// `edgemark trace --json`) to `*json`.
unsafe fn trace_json(
    image: Image,
    ids_csv: *const c_char,
    fpr: f64,
    json: &mut *mut c_char,
) -> Result<(), Failure> {
    let mut tracer = Tracer::new()?;
    if fpr != 0.0 {
        tracer = tracer.with_fpr(fpr)?;
    }
    if !ids_csv.is_null() {
        // SAFETY: non-NULL and NUL-terminated by the caller's contract.
        let text = unsafe { c_str(ids_csv, "ids_csv") }?;
        let ids = parse_ids(text)?;
        if ids.is_empty() {
            return Err(Failure::arg("ids_csv lists no IDs"));
        }
        tracer = tracer.with_ids(ids)?;
    }
    let trace = tracer.trace(&image)?;
    let text = serde_json::to_string(&trace)
        .map_err(|e| Failure::new(EdgemarkStatus::Other, e.to_string()))?;
    *json = error::c_string(&text).into_raw();
    Ok(())
}

/// Traces an encoded screenshot (PNG, JPEG, WebP, GIF, BMP, TIFF) to the viewer whose overlay
/// it shows. `ids_csv` is NULL (the error-correcting code names the ID) or the issued IDs as
/// `edgemark trace --ids` reads them (`ID[,NAME]` lines, ID decimal or 0x-hex); `fpr` is the
/// false-positive rate per image (0: 1e-6). `*json` receives
/// `{"id", "name", "detected", "p_value", "matched_bits", "total_bits", "decoded_id",
/// "candidates", "geometries", "geometry"}`; free it with `edgemark_string_free`.
///
/// # Safety
/// `data` NULL or `len` readable bytes; `ids_csv` NULL or NUL-terminated; `json` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn edgemark_trace_encoded(
    data: *const u8,
    len: usize,
    ids_csv: *const c_char,
    fpr: f64,
    json: *mut *mut c_char,
) -> EdgemarkStatus {
    guard(|| {
        // SAFETY: `json` is NULL or writable (this function's contract).
        let json = unsafe { out_ptr(json, "json") }?;
        *json = std::ptr::null_mut();
        // SAFETY: `len` readable bytes by contract.
        let bytes = unsafe { byte_slice(data, len, "data") }?;
        let image = Image::decode(bytes)?;
        // SAFETY: `ids_csv` NULL or NUL-terminated by contract.
        unsafe { trace_json(image, ids_csv, fpr, json) }
    })
}

/// Traces a raw frame (as `edgemark_detect_frame` takes it); otherwise as
/// `edgemark_trace_encoded`.
///
/// # Safety
/// `frame` as for `edgemark_detect_frame`; `ids_csv` NULL or NUL-terminated; `json` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn edgemark_trace_frame(
    frame: *const EdgemarkFrame,
    ids_csv: *const c_char,
    fpr: f64,
    json: *mut *mut c_char,
) -> EdgemarkStatus {
    guard(|| {
        // SAFETY: `json` is NULL or writable (this function's contract).
        let json = unsafe { out_ptr(json, "json") }?;
        *json = std::ptr::null_mut();
        // SAFETY: `frame` is NULL or live (this function's contract).
        let frame = unsafe { in_ref(frame, "frame") }?;
        // SAFETY: plane pointers and lengths are the caller's contract.
        let image = unsafe { frame::to_image(frame, &Limits::default())? };
        // SAFETY: `ids_csv` NULL or NUL-terminated by contract.
        unsafe { trace_json(image, ids_csv, fpr, json) }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_constants_are_the_cores() {
        assert_eq!(
            super::EDGEMARK_OVERLAY_DEFAULT_STRENGTH,
            edgemark::overlay::DEFAULT_STRENGTH
        );
        assert_eq!(
            super::EDGEMARK_OVERLAY_TILE as usize,
            edgemark::overlay::TILE_SIDE
        );
    }
}
