//! Rejects misspelt option names: `serde-wasm-bindgen` reads only the fields a struct
//! knows, so `deny_unknown_fields` alone cannot see extra keys on a JS object.

use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};

/// Fails with the first key of `value` (an object) that is not in `allowed`.
pub fn check(value: &JsValue, allowed: &[&str], what: &str) -> Result<(), String> {
    let Some(object) = value.dyn_ref::<Object>() else {
        return Ok(()); // not an object: deserialization reports the type error
    };
    for key in Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(format!(
                "invalid {what}: unknown field `{key}`, expected one of {}",
                allowed
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(())
}

/// Checks every element of the array at `value[field]`, when there is one.
pub fn check_each(
    value: &JsValue,
    field: &str,
    allowed: &[&str],
    what: &str,
) -> Result<(), String> {
    let items =
        js_sys::Reflect::get(value, &JsValue::from_str(field)).unwrap_or(JsValue::UNDEFINED);
    if let Some(items) = items.dyn_ref::<Array>() {
        for item in items.iter() {
            check(&item, allowed, what)?;
        }
    }
    Ok(())
}
