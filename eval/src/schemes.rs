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
    (
        "edgemark-v3",
        "EdgeMark's own watermark v3: 32-bit payload (eval_message) under BCH(127,36), geometric sync; the p-value uses the known payload's code word",
    ),
    (
        "edgemark-hidden-48",
        "EdgeMark's own learned tiled watermark (ONNX via tract; needs feature `onnx`; models/edgemark-hidden-48), 48 bits (eval_message)",
    ),
];

/// The schemes of [`SCHEMES`] that are ONNX models (skipped by [`all`] when they cannot load).
const NEURAL: [&str; 2] = ["rivagan", "edgemark-hidden-48"];

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
        "rivagan" => neural("rivagan", 32)?,
        "edgemark-hidden-48" | "hidden48" => neural("edgemark-hidden-48", 48)?,
        "edgemark-v3" | "v3" => Watermark::edgemark_v3(Some(eval_message(32)))?,
        _ => {
            return Err(Error::Config(format!(
                "unknown scheme '{name}' (known: {})",
                SCHEMES.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
            )))
        }
    };
    Ok(wm)
}

/// A neural scheme from `models/<name>/card.toml` carrying [`eval_message`] of `bits`.
#[cfg(feature = "onnx")]
fn neural(name: &str, bits: usize) -> Result<Watermark> {
    let card = edgemark::neural::locate(name)?;
    let scheme = edgemark::neural::Neural::load(&card)?;
    Ok(Watermark::new(name, scheme, Some(eval_message(bits)))?)
}

#[cfg(not(feature = "onnx"))]
fn neural(name: &str, _bits: usize) -> Result<Watermark> {
    Err(Error::Config(format!(
        "{name} needs edgemark-eval built with its `onnx` feature (the CLI enables it)"
    )))
}

/// Every scheme in [`SCHEMES`] that can run here: the classical ones always, RivaGAN when
/// built with `onnx` and its model files are fetched (a note on stderr otherwise).
pub fn all() -> Result<Vec<Watermark>> {
    let mut out = Vec::new();
    for (n, _) in SCHEMES {
        match watermark(n) {
            Ok(w) => out.push(w),
            Err(e) if NEURAL.contains(n) => eprintln!("note: skipping {n}: {e}"),
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
        for (n, _) in SCHEMES.iter().filter(|s| !NEURAL.contains(&s.0)) {
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
