//! The panic hook: a Rust panic becomes a JavaScript `Error` carrying the panic message
//! (and is logged to the console), instead of an opaque `RuntimeError: unreachable`.
//!
//! The library has no known panic path; this is the safety net. After a panic the object
//! that was in use may refuse further calls; create a new one.

use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// Installs the hook (done once when the module starts).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        let message = match info.location() {
            Some(at) => format!("edgemark panicked: {what} (at {}:{})", at.file(), at.line()),
            None => format!("edgemark panicked: {what}"),
        };
        console_error(&message);
        LAST.with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                *last = Some(message.clone());
            }
        });
        // Throwing unwinds the wasm stack as a JS exception, so the caller gets an Error.
        wasm_bindgen::throw_str(&message);
    }));
}

/// The message of the last panic, if any happened (for bug reports).
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> Option<String> {
    LAST.with(|last| last.try_borrow().ok().and_then(|l| l.clone()))
}

/// Panics on purpose, so that tests can check what a panic turns into. Not part of the API.
#[doc(hidden)]
#[wasm_bindgen(js_name = __testPanic)]
pub fn test_panic() {
    std::panic::panic_any("deliberate panic requested by __testPanic".to_string());
}
