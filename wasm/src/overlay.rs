//! Screen overlays (`overlay`, `overlayPng`) and tracing screenshots back to the viewer
//! (`trace`): thin bindings of [`edgemark::overlay`] and [`edgemark::trace`]. The tile bytes
//! are core's, so the browser, the CLI (`edgemark overlay`) and the C ABI draw the same pixels.
//!
//! ```js
//! import init, { overlayPng, trace } from "edgemark";
//! import { installOverlay } from "edgemark/overlay";
//! await init();
//! const handle = installOverlay({ id: 0xC0FFEE });      // fixed, full-viewport, invisible
//! const found = trace(screenshotBytes, { ids: [{ id: 0xC0FFEE, name: "alice" }] });
//! found.name;                                             // "alice"
//! ```

use crate::report::to_js;
use crate::{input, keys};
use edgemark::overlay::{self, Overlay};
use edgemark::trace::{Issued, Tracer};
use edgemark::Limits;
use js_sys::{Array, Object, Reflect, Uint8Array, Uint8ClampedArray};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Options of `overlay` and `overlayPng`. */
export interface OverlayOptions {
  /** The viewer's ID: an integer in 0..=4294967295, or a string ("0x"-hex or decimal). */
  id: number | string;
  /** RMS opacity of the tile in 1/255 units, 0.5-32 (default: the core's `overlay::DEFAULT_STRENGTH`, about 42 dB PSNR on white pages). */
  strength?: number;
}

/** The overlay tile: 128x128 straight (not premultiplied) RGBA, as `ImageData` holds it. */
export interface OverlayTile {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** An issued ID and whom it was issued to. */
export interface IssuedId {
  id: number | string;
  name?: string;
}

/** Options of `trace`. */
export interface TraceOptions {
  /** The issued IDs (numbers, strings or `{id, name}`; an empty list throws); without them
   *  the error-correcting code names the ID. */
  ids?: (number | string | IssuedId)[];
  /** False-positive rate per image (default 1e-6). */
  fpr?: number;
}

/** What `trace` found (the keys of `edgemark trace --json`). */
export interface Trace {
  /** The traced ID when detected. */
  id: number | null;
  /** Its name in `ids`, when given. */
  name: string | null;
  detected: boolean;
  /** Corrected for every ID and geometry tried (or all 130 geometries the views could give, when the reading stopped on decided bits); null when nothing could be read. */
  p_value: number | null;
  matched_bits: number | null;
  total_bits: number;
  /** The ID the error-correcting code decodes on its own, listed or not. */
  decoded_id: number | null;
  /** IDs tested (0 when the code decided alone). */
  candidates: number;
  geometries: number;
  geometry: string | null;
}
"#;

/// The fields of `OverlayOptions`.
const OVERLAY_FIELDS: &[&str] = &["id", "strength"];
/// The fields of `TraceOptions`.
const TRACE_FIELDS: &[&str] = &["ids", "fpr"];
/// The fields of an `IssuedId` object.
const ISSUED_FIELDS: &[&str] = &["id", "name"];

/// The overlay tile for `options.id` at `options.strength`: `{width: 128, height: 128, data}`
/// with `data` the straight RGBA bytes (`new ImageData(t.data, t.width, t.height)` takes it).
/// Throws on a bad ID or strength.
#[wasm_bindgen(unchecked_return_type = "OverlayTile")]
pub fn overlay(
    #[wasm_bindgen(unchecked_param_type = "OverlayOptions")] options: JsValue,
) -> Result<JsValue, JsError> {
    let tile = build(&options)?;
    let side = overlay::TILE_SIDE as u32;
    let result = Object::new();
    set(&result, "width", side.into())?;
    set(&result, "height", side.into())?;
    set(&result, "data", Uint8ClampedArray::from(tile.tile()).into())?;
    Ok(result.into())
}

/// The overlay tile as PNG bytes (straight RGBA, the same file as `edgemark overlay --out
/// tile.png`): a CSS background needs no canvas, which would premultiply the alpha.
#[wasm_bindgen(js_name = overlayPng)]
pub fn overlay_png(
    #[wasm_bindgen(unchecked_param_type = "OverlayOptions")] options: JsValue,
) -> Result<Uint8Array, JsError> {
    let side = overlay::TILE_SIDE as u32;
    let png = build(&options)?.render_image(side, side)?.to_png()?;
    Ok(Uint8Array::from(png.as_slice()))
}

/// Traces a screenshot (same inputs as `Detector.detect`) back to the viewer whose overlay it
/// shows. Returns a `Trace`.
#[wasm_bindgen(unchecked_return_type = "Trace")]
pub fn trace(
    #[wasm_bindgen(unchecked_param_type = "ImageData | RgbaImage | Uint8Array | ArrayBuffer")]
    image: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "TraceOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let mut tracer = Tracer::new()?;
    if let Some(options) = options.filter(|v| !v.is_undefined() && !v.is_null()) {
        if !options.is_object() {
            return Err(JsError::new("trace options must be an object"));
        }
        keys::check(&options, TRACE_FIELDS, "trace options").map_err(|e| JsError::new(&e))?;
        let fpr = get(&options, "fpr")?;
        if !fpr.is_undefined() {
            let fpr = fpr
                .as_f64()
                .ok_or_else(|| JsError::new("trace option `fpr` must be a number"))?;
            tracer = tracer.with_fpr(fpr)?;
        }
        let ids = get(&options, "ids")?;
        if !ids.is_undefined() {
            tracer = tracer.with_ids(issued(&ids).map_err(|e| JsError::new(&e))?)?;
        }
    }
    let image = input::image(&image, &Limits::default()).map_err(|e| JsError::new(&e))?;
    to_js(&tracer.trace(&image)?)
}

/// The overlay that `OverlayOptions` ask for.
fn build(options: &JsValue) -> Result<Overlay, JsError> {
    if !options.is_object() {
        return Err(JsError::new(
            "overlay options must be an object: {id, strength?}",
        ));
    }
    keys::check(options, OVERLAY_FIELDS, "overlay options").map_err(|e| JsError::new(&e))?;
    let id = id_of(&get(options, "id")?, "overlay option `id`").map_err(|e| JsError::new(&e))?;
    let strength = get(options, "strength")?;
    let strength = if strength.is_undefined() {
        overlay::DEFAULT_STRENGTH
    } else {
        strength
            .as_f64()
            .ok_or_else(|| JsError::new("overlay option `strength` must be a number"))?
            as f32
    };
    Ok(Overlay::new(id, strength)?)
}

/// The issued IDs of `TraceOptions.ids`.
fn issued(ids: &JsValue) -> Result<Vec<Issued>, String> {
    let Some(list) = ids.dyn_ref::<Array>() else {
        return Err("trace option `ids` must be an array of IDs or {id, name} objects".into());
    };
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let what = format!("ids[{i}]");
            if item.as_f64().is_some() || item.is_string() {
                return Ok(Issued::new(id_of(&item, &what)?, ""));
            }
            if !item.is_object() {
                return Err(format!(
                    "{what} must be an ID (number or string) or an {{id, name}} object"
                ));
            }
            keys::check(&item, ISSUED_FIELDS, &what)?;
            let field = |key: &str| {
                Reflect::get(&item, &JsValue::from_str(key)).map_err(|_| format!("{what}.{key}"))
            };
            let id = id_of(&field("id")?, &format!("{what}.id"))?;
            let name = field("name")?;
            let name = if name.is_undefined() || name.is_null() {
                String::new()
            } else {
                name.as_string()
                    .ok_or_else(|| format!("{what}.name must be a string"))?
            };
            Ok(Issued::new(id, name))
        })
        .collect()
}

/// An ID given as a JS number or string.
fn id_of(value: &JsValue, what: &str) -> Result<u32, String> {
    if let Some(n) = value.as_f64() {
        return id_from_number(n).map_err(|e| format!("{what}: {e}"));
    }
    if let Some(s) = value.as_string() {
        return overlay::parse_id(&s).map_err(|e| format!("{what}: {e}"));
    }
    Err(format!(
        "{what} must be a number (0..=4294967295) or a string (decimal or 0x-hex), not {}",
        if value.is_undefined() {
            "undefined".to_string()
        } else if value.is_null() {
            "null".to_string()
        } else {
            value.js_typeof().as_string().unwrap_or_default()
        }
    ))
}

/// A JS number as a 32-bit ID: an integer in `0..=u32::MAX`.
fn id_from_number(n: f64) -> Result<u32, String> {
    if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(format!("{n} is not an ID: an integer in 0..=4294967295"))
    }
}

fn get(object: &JsValue, key: &str) -> Result<JsValue, JsError> {
    Reflect::get(object, &JsValue::from_str(key))
        .map_err(|_| JsError::new(&format!("cannot read option `{key}`")))
}

fn set(object: &Object, key: &str, value: JsValue) -> Result<(), JsError> {
    Reflect::set(object, &JsValue::from_str(key), &value)
        .map(|_| ())
        .map_err(|_| JsError::new(&format!("cannot set '{key}' on the result")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_integers_of_32_bits() {
        assert_eq!(id_from_number(0.0), Ok(0));
        assert_eq!(id_from_number(12_648_430.0), Ok(0xC0FFEE));
        assert_eq!(id_from_number(4_294_967_295.0), Ok(u32::MAX));
        for bad in [-1.0, 1.5, 4_294_967_296.0, f64::NAN, f64::INFINITY, -0.5] {
            assert!(id_from_number(bad).is_err(), "{bad}");
        }
    }
}
