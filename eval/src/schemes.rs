//! The schemes the harness evaluates: every entry of edgemark's registry
//! ([`edgemark::registry`]), each bound to the message it embeds.
//!
//! A preset carries its own message; every other scheme carries [`eval_message`] of its bit
//! length ([`EVAL_BITS`] where the caller chooses the length). A new scheme or model card
//! in the registry is evaluated without a change here.

use crate::error::Result;
use crate::rng::Rng;
use edgemark::registry::{Kind, Registry, Request};
use edgemark::{Bits, Watermark};

/// Bit length of the schemes whose length the caller chooses (the classical ones): SDXL's.
pub const EVAL_BITS: usize = 48;

/// The fixed pseudo-random message of `bits` bits that evaluated schemes without a message
/// of their own carry (the same for every run, drawn from a constant seed; not a pattern
/// like all-ones that flat images might decode to by accident).
pub fn eval_message(bits: usize) -> Bits {
    let mut rng = Rng::new(0x0ED6_E3A4_2B1C_5D7F);
    Bits::new((0..bits).map(|_| rng.next_u64() >> 63 == 1).collect())
}

/// The registry the harness evaluates: the built-in schemes, and with the `onnx` feature
/// the model cards found in the model folders.
pub fn registry() -> Registry {
    Registry::with_models()
}

/// The watermark evaluated under `name` (case-insensitive; any name or alias of the
/// registry).
pub fn watermark(name: &str) -> Result<Watermark> {
    build(&registry(), name)
}

fn build(registry: &Registry, name: &str) -> Result<Watermark> {
    let entry = registry.get(name)?;
    let request = match entry.payload {
        Some(_) => Request::new(),
        None => Request::new().message(Some(eval_message(entry.bits.unwrap_or(EVAL_BITS)))),
    };
    Ok(entry.build(&request)?)
}

/// Every scheme of the registry that can run here: the built-in ones always, the models
/// whose ONNX files load (a note on stderr for the others).
pub fn all() -> Result<Vec<Watermark>> {
    let registry = registry();
    let mut out = Vec::new();
    for e in registry.entries() {
        match build(&registry, &e.name) {
            Ok(w) => out.push(w),
            Err(err) if e.kind == Kind::Neural => eprintln!("note: skipping {}: {err}", e.name),
            Err(err) => return Err(err),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_and_message_is_stable_and_mixed() {
        let builtin = Registry::builtin();
        for e in builtin.entries() {
            let w = watermark(&e.name).unwrap();
            assert_eq!(w.message().unwrap().len(), w.scheme().bit_len());
            assert_eq!(w.name(), e.name);
        }
        assert_eq!(watermark("dwtDct").unwrap().scheme().bit_len(), EVAL_BITS);
        assert_eq!(
            watermark("sdxl").unwrap().message().unwrap().to_hex(),
            edgemark::SDXL_MESSAGE
        );
        assert!(all().unwrap().len() >= builtin.entries().len());
        assert!(watermark("nope").is_err());
        let m = eval_message(48);
        assert_eq!(m, eval_message(48));
        let ones = m.as_slice().iter().filter(|b| **b).count();
        assert!((12..=36).contains(&ones), "{ones} ones");
    }
}
