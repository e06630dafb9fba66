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
