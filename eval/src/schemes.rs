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
    (
        "rivagan",
        "RivaGAN (ONNX via tract; needs feature `onnx` and scripts/fetch-rivagan.sh), 32 bits (eval_message)",
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
        "rivagan" => rivagan()?,
        _ => {
            return Err(Error::Config(format!(
                "unknown scheme '{name}' (known: {})",
                SCHEMES.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
            )))
        }
    };
    Ok(wm)
}

#[cfg(feature = "onnx")]
fn rivagan() -> Result<Watermark> {
    let card = edgemark::neural::locate("rivagan")?;
    let scheme = edgemark::neural::Neural::load(&card)?;
    Ok(Watermark::new("rivagan", scheme, Some(eval_message(32)))?)
}

#[cfg(not(feature = "onnx"))]
fn rivagan() -> Result<Watermark> {
    Err(Error::Config(
        "rivagan needs edgemark-eval built with its `onnx` feature (the CLI enables it)".into(),
    ))
}

/// Every scheme in [`SCHEMES`] that can run here: the classical ones always, RivaGAN when
/// built with `onnx` and its model files are fetched (a note on stderr otherwise).
pub fn all() -> Result<Vec<Watermark>> {
    let mut out = Vec::new();
    for (n, _) in SCHEMES {
        match watermark(n) {
            Ok(w) => out.push(w),
            Err(e) if *n == "rivagan" => eprintln!("note: skipping rivagan: {e}"),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_and_message_is_stable_and_mixed() {
        for (n, _) in SCHEMES.iter().filter(|s| s.0 != "rivagan") {
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
