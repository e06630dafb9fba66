//! `embed`: writes a classical watermark (or a preset's) into an image.

use crate::options::EmbedOptions;
use crate::{input, keys};
use edgemark::{Image, Limits};
use js_sys::{Object, Reflect, Uint8Array, Uint8ClampedArray};
use wasm_bindgen::prelude::*;

/// Embeds a watermark into `image` (same inputs as `Detector.detect`) as `options` say
/// (see `EmbedOptions`). Returns `{width, height, name, bits, psnr, png?, rgba?}`.
#[wasm_bindgen(unchecked_return_type = "EmbedResult")]
pub fn embed(
    #[wasm_bindgen(unchecked_param_type = "ImageData | RgbaImage | Uint8Array | ArrayBuffer")]
    image: JsValue,
    #[wasm_bindgen(unchecked_param_type = "EmbedOptions")] options: JsValue,
) -> Result<JsValue, JsError> {
    keys::check(&options, EmbedOptions::FIELDS, "embed options").map_err(|e| JsError::new(&e))?;
    let options: EmbedOptions = serde_wasm_bindgen::from_value(options)
        .map_err(|e| JsError::new(&format!("invalid embed options: {e}")))?;
    let watermark = options.watermark().map_err(|e| JsError::new(&e))?;
    let outputs = options.outputs().map_err(|e| JsError::new(&e))?;
    let cover = input::image(&image, &Limits::default()).map_err(|e| JsError::new(&e))?;
    let marked = watermark.embed(&cover, None)?;

    let result = Object::new();
    set(&result, "width", marked.width().into())?;
    set(&result, "height", marked.height().into())?;
    set(&result, "name", watermark.name().into())?;
    set(
        &result,
        "bits",
        (watermark.scheme().bit_len() as u32).into(),
    )?;
    set(
        &result,
        "psnr",
        edgemark::image::psnr(&cover, &marked).into(),
    )?;
    if outputs.png {
        let png = marked.to_png()?;
        set(&result, "png", Uint8Array::from(png.as_slice()).into())?;
    }
    if outputs.rgba {
        let rgba = to_rgba(&marked);
        set(
            &result,
            "rgba",
            Uint8ClampedArray::from(rgba.as_slice()).into(),
        )?;
    }
    Ok(result.into())
}

fn set(object: &Object, key: &str, value: JsValue) -> Result<(), JsError> {
    Reflect::set(object, &JsValue::from_str(key), &value)
        .map(|_| ())
        .map_err(|_| JsError::new(&format!("cannot set '{key}' on the result")))
}

/// Interleaves RGB with the alpha plane (opaque when there is none).
fn to_rgba(image: &Image) -> Vec<u8> {
    let mut out = Vec::with_capacity(image.rgb().len() / 3 * 4);
    let alpha = image.alpha();
    for (i, p) in image.rgb().chunks_exact(3).enumerate() {
        out.extend_from_slice(p);
        out.push(alpha.and_then(|a| a.get(i).copied()).unwrap_or(255));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgba_keeps_alpha_or_makes_opaque() {
        let img = Image::from_rgb(2, 1, vec![1, 2, 3, 4, 5, 6]).unwrap();
        assert_eq!(to_rgba(&img), [1, 2, 3, 255, 4, 5, 6, 255]);
        let raw = [1, 2, 3, 9, 4, 5, 6, 8];
        let img = Image::from_raw(
            &raw,
            2,
            1,
            None,
            edgemark::PixelFormat::Rgba8,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(to_rgba(&img), raw);
    }
}
