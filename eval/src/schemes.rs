//! The schemes the harness knows by name, each as an [`edgemark::Watermark`] bound to the
//! message it embeds.
//!
//! Adding a scheme (RivaGAN, an ONNX model) is one arm in [`watermark`]: build any
//! [`edgemark::Scheme`], bind it to [`eval_message`] of its bit length with
//! [`Watermark::new`], and list it in [`SCHEMES`]. Nothing else in the harness is
//! scheme-specific.

use crate::error::{Error, Result};
use crate::rng::Rng;
use edgemark::{Bits, Classic, Watermark};

/// Names [`watermark`] accepts, with one line each.
pub const SCHEMES: &[(&str, &str)] = &[
    (
        "sdxl",
        "Stable Diffusion XL preset: dwtDct, 48 bits 0xB3EC907BB19E, float embedding as the SDXL pipeline",
    ),
    (
        "dwtDct",
        "imwatermark dwtDct, 48 bits (eval_message), clean uint8 embedding",
    ),
    (
        "dwtDctSvd",
        "imwatermark dwtDctSvd, 48 bits (eval_message), clean uint8 embedding",
    ),
];

/// The fixed pseudo-random message of `bits` bits that evaluated schemes without a message
/// of their own carry (the same for every run, drawn from a constant seed; not a pattern
/// like all-ones that flat images might decode to by accident).
pub fn eval_message(bits: usize) -> Bits {
    let mut rng = Rng::new(0x0ED6_E3A4_2B1C_5D7F);
    Bits::new((0..bits).map(|_| rng.next_u64() >> 63 == 1).collect())
}

/// The watermark evaluated under `name` (case-insensitive; see [`SCHEMES`]).
pub fn watermark(name: &str) -> Result<Watermark> {
    let wm = match name.to_ascii_lowercase().as_str() {
        "sdxl" => Watermark::sdxl(),
        "dwtdct" => Watermark::new("dwtDct", Classic::dwt_dct(48)?, Some(eval_message(48)))?,
        "dwtdctsvd" => Watermark::new(
            "dwtDctSvd",
            Classic::dwt_dct_svd(48)?,
            Some(eval_message(48)),
        )?,
        _ => {
            return Err(Error::Config(format!(
                "unknown scheme '{name}' (known: {})",
                SCHEMES.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
            )))
        }
    };
    Ok(wm)
}

/// Every scheme in [`SCHEMES`].
pub fn all() -> Result<Vec<Watermark>> {
    SCHEMES.iter().map(|(n, _)| watermark(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_and_message_is_stable_and_mixed() {
        for (n, _) in SCHEMES {
            let w = watermark(n).unwrap();
            assert_eq!(w.message().unwrap().len(), w.scheme().bit_len());
        }
        assert!(watermark("nope").is_err());
        let m = eval_message(48);
        assert_eq!(m, eval_message(48));
        let ones = m.as_slice().iter().filter(|b| **b).count();
        assert!((12..=36).contains(&ones), "{ones} ones");
    }
}
