//! Turns what JavaScript hands over into an [`Image`]: encoded bytes (`Uint8Array`,
//! `ArrayBuffer`) or RGBA pixels (`ImageData`, or any `{data, width, height}` object).

use edgemark::{Image, Limits, PixelFormat};
use js_sys::{ArrayBuffer, Reflect, Uint8Array, Uint8ClampedArray};
use wasm_bindgen::{JsCast, JsValue};

/// What the accepted inputs are, for error messages.
const ACCEPTED: &str = "expected ImageData, a {data, width, height} object of RGBA pixels, \
                        or a Uint8Array / ArrayBuffer of encoded image bytes (PNG, JPEG, WebP, GIF, BMP, TIFF)";

/// The bytes of an encoded file (`Uint8Array` or `ArrayBuffer`), or `None` for pixels.
pub fn encoded(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return Some(bytes.to_vec());
    }
    value
        .dyn_ref::<ArrayBuffer>()
        .map(|buffer| Uint8Array::new(buffer).to_vec())
}

/// Reads a JS value as an image, within `limits`.
pub fn image(value: &JsValue, limits: &Limits) -> Result<Image, String> {
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return decode(&bytes.to_vec(), limits);
    }
    if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        return decode(&Uint8Array::new(buffer).to_vec(), limits);
    }
    if !value.is_object() {
        return Err(format!("cannot read {}: {ACCEPTED}", describe(value)));
    }
    let width = dimension(value, "width")?;
    let height = dimension(value, "height")?;
    let data = Reflect::get(value, &JsValue::from_str("data")).map_err(|_| ACCEPTED.to_string())?;
    let pixels = if let Some(d) = data.dyn_ref::<Uint8ClampedArray>() {
        d.to_vec()
    } else if let Some(d) = data.dyn_ref::<Uint8Array>() {
        d.to_vec()
    } else {
        return Err(format!(
            "the image's data is {}, not a Uint8ClampedArray or Uint8Array of RGBA pixels",
            describe(&data)
        ));
    };
    rgba(&pixels, width, height, limits)
}

/// Wraps tightly packed RGBA pixels, as `ImageData.data` holds them.
pub fn rgba(pixels: &[u8], width: u32, height: u32, limits: &Limits) -> Result<Image, String> {
    let expected = u64::from(width) * u64::from(height) * 4;
    if pixels.len() as u64 != expected {
        return Err(format!(
            "RGBA data of {} bytes does not match {width}x{height} (needs {expected} bytes)",
            pixels.len()
        ));
    }
    Image::from_raw(pixels, width, height, None, PixelFormat::Rgba8, limits)
        .map_err(|e| e.to_string())
}

fn decode(bytes: &[u8], limits: &Limits) -> Result<Image, String> {
    Image::decode_with_limits(bytes, limits).map_err(|e| e.to_string())
}

fn dimension(value: &JsValue, key: &str) -> Result<u32, String> {
    let v = Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_f64());
    match v {
        Some(n) if n.fract() == 0.0 && n > 0.0 && n <= f64::from(u32::MAX) => Ok(n as u32),
        Some(n) => Err(format!("image {key} {n} is not a positive integer")),
        None => Err(format!("the image has no numeric {key}: {ACCEPTED}")),
    }
}

fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        "undefined".into()
    } else if value.is_null() {
        "null".into()
    } else if value.is_string() {
        "a string".into()
    } else {
        value
            .js_typeof()
            .as_string()
            .unwrap_or_else(|| "a value".into())
    }
}
