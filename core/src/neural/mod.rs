//! Neural watermark decoders and encoders: ONNX models run through `tract` (feature `onnx`),
//! described by a [`ModelCard`] so that a new model needs a card, not code.
//!
//! ```no_run
//! use edgemark::neural::Neural;
//! use edgemark::{Bits, Detector, Image, Watermark};
//!
//! let rivagan = Neural::load("models/rivagan/card.toml")?; // fetched by scripts/fetch-rivagan.sh
//! let mark = Watermark::new("rivagan", rivagan, Some(Bits::parse("0xDEADBEEF")?))?;
//! let report = Detector::new().with(mark).detect(&Image::open("photo.png")?);
//! # Ok::<(), edgemark::Error>(())
//! ```

mod card;
mod model;
mod scheme;
mod tensor;

pub use card::{
    Colour, DecoderSpec, EncoderSpec, Filter, Fit, InputSpec, MessageCoding, ModelCard, OutputKind,
    Quantize,
};
pub use model::OnnxModel;
pub use scheme::Neural;

use crate::error::{Error, Result};
use std::path::PathBuf;

/// The model folders, first first: `$EDGEMARK_MODELS`, then `./models`, then `models/` in
/// the folders above the running executable (a checkout's `target/release`). Each holds one
/// folder per model with its `card.toml`; [`crate::registry::Registry::with_models`] lists
/// them all.
pub fn model_roots() -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("EDGEMARK_MODELS") {
        roots.push(dir.into());
    }
    roots.push(PathBuf::from("models"));
    if let Ok(exe) = std::env::current_exe() {
        roots.extend(exe.ancestors().skip(1).map(|a| a.join("models")));
    }
    roots
}

/// A watermark from a model given as bytes rather than files (a browser's fetch, a device's
/// flash, an app bundle): its card as text (TOML, or JSON when it starts with `{`), its ONNX
/// decoder, and its ONNX encoder when the watermark is to be embedded (`None` drops the
/// card's `[encoder]` section: detection needs no encoder; an encoder for a card without that
/// section is a model error). `message` (`0xHEX`,
/// `bits:0101...`, `text:...`) is the message to look for or embed; `name` is the name
/// findings carry (default: the card's `name`).
pub fn watermark_from_bytes(
    card: &str,
    decoder: &[u8],
    encoder: Option<&[u8]>,
    message: Option<&str>,
    name: Option<&str>,
) -> Result<crate::Watermark> {
    let mut card = ModelCard::from_text(card)?;
    match (encoder, &card.encoder) {
        (None, _) => card.encoder = None,
        (Some(_), None) => {
            return Err(Error::model(format!(
                "model card {} has no [encoder] section: its encoder bytes cannot be used",
                card.name
            )))
        }
        (Some(_), Some(_)) => {}
    }
    let label = card.name.clone();
    let message = message
        .map(crate::Bits::parse)
        .transpose()
        .map_err(|e| Error::message(format!("model '{label}': {e}")))?;
    let scheme = Neural::from_bytes(card, decoder, encoder)?;
    crate::Watermark::new(name.unwrap_or(&label), scheme, message)
}

/// What tract runs the ONNX models on, on this CPU ([`cpu_kernels`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CpuKernels {
    /// The rung of the CPU's instruction-set ladder, as tract names it: `neon` on aarch64
    /// and 32-bit ARM with NEON (`vfp` without), `fma` or `avx512` on x86-64, `simd` in
    /// WebAssembly with SIMD.
    pub isa: String,
    /// The instruction-set features tract found (e.g. `aarch64,neon`), comma-separated.
    pub features: String,
    /// The matrix-multiply kernels tract chooses from here (convolutions run on them):
    /// architecture-specific ones (`arm64simd_*`, `armv7neon_*`, `fma_*`...) and the
    /// portable `generic_*` fallbacks.
    pub matmul: Vec<String>,
}

/// The instruction set and matrix-multiply kernels tract uses here: how a device build shows
/// that its models run on the CPU's vector unit (NEON on ARM) rather than portable code.
pub fn cpu_kernels() -> CpuKernels {
    use tract_onnx::prelude::tract_linalg as linalg;
    let isa = linalg::isa::native();
    CpuKernels {
        isa: isa.nickname().to_string(),
        features: format!("{isa:?}"),
        matmul: linalg::MmmDispatch::native()
            .runnable()
            .iter()
            .map(|k| k.name().to_string())
            .collect(),
    }
}

/// Finds `<name>/card.toml` in the model folders ([`model_roots`]).
pub fn locate(name: &str) -> Result<PathBuf> {
    for r in &model_roots() {
        let card = r.join(name).join("card.toml");
        if card.is_file() {
            return Ok(card);
        }
    }
    Err(Error::model(format!(
        "no model card for '{name}' (looked for {name}/card.toml in $EDGEMARK_MODELS, ./models and next to the executable; run scripts/fetch-rivagan.sh for rivagan)"
    )))
}
