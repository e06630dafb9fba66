//! Where the decoders look: the scales each one reads an image at, in one typed place.
//!
//! A decoder that must survive resizing either reads the image at a few fixed scales (the
//! learned models, through their card's `decoder.scales`) or searches a grid of scales
//! (`edgemark-v3`'s lattice search). Those values live here; the model cards EdgeMark ships
//! and `edgemark-train` writes carry [`LEARNED_TILED`] (a test checks the committed cards),
//! and a card that leaves `decoder.scales` out reads at [`NATIVE`].

/// How a decoder covers the scale an image may have been resized by.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum ScaleSearch {
    /// Reads at each of these scales, in this order. A scale `s` reads the central region
    /// resized by `s`: `2.0` undoes a downscale by half.
    Fixed(&'static [f32]),
    /// Searches the scales `min * exp(log_step * i)` for `i = 0, 1, ...` up to the first at
    /// or above `max`.
    Grid {
        /// Smallest scale searched.
        min: f32,
        /// Largest scale covered.
        max: f32,
        /// Step between neighbouring scales, in `ln(scale)`.
        log_step: f32,
    },
}

/// The image as it is, without a rescale: the classical schemes, RivaGAN, and any model
/// card without `decoder.scales`.
pub const NATIVE: ScaleSearch = ScaleSearch::Fixed(&[1.0]);

/// EdgeMark's learned tiled models (`edgemark-hidden-48` and every card `edgemark-train`
/// exports): as is, then the inverses of resizes by 0.5, 0.75 and 1.5. Written with the
/// digits the cards carry, so that a card's parsed values equal these exactly.
pub const LEARNED_TILED: ScaleSearch = ScaleSearch::Fixed(&[1.0, 2.0, 1.3333333, 0.6666667]);

/// `edgemark-v3`'s lattice search: scales 0.28 to 3.4 (the reader works on images reduced to
/// at most 1600 pixels a side, so larger originals are covered too) in steps of 0.75 % (the
/// log-radius step of its log-polar correlation).
pub const EDGEMARK_V3: ScaleSearch = ScaleSearch::Grid {
    min: 0.28,
    max: 3.4,
    log_step: 0.0075,
};

impl ScaleSearch {
    /// Smallest scale.
    pub const fn min(&self) -> f32 {
        match *self {
            ScaleSearch::Fixed(s) => fold(s, true),
            ScaleSearch::Grid { min, .. } => min,
        }
    }

    /// Largest scale searched (a grid's `max`).
    pub const fn max(&self) -> f32 {
        match *self {
            ScaleSearch::Fixed(s) => fold(s, false),
            ScaleSearch::Grid { max, .. } => max,
        }
    }

    /// Step between neighbouring scales in `ln` (0 for a fixed set).
    pub const fn log_step(&self) -> f32 {
        match *self {
            ScaleSearch::Fixed(_) => 0.0,
            ScaleSearch::Grid { log_step, .. } => log_step,
        }
    }

    /// Every scale read or searched, in order.
    pub fn scales(&self) -> Vec<f32> {
        match *self {
            ScaleSearch::Fixed(s) => s.to_vec(),
            ScaleSearch::Grid { min, max, log_step } => {
                let steps = ((max / min).ln() / log_step).ceil() as usize;
                (0..=steps)
                    .map(|i| min * (log_step * i as f32).exp())
                    .collect()
            }
        }
    }

    /// The scales as a model card's TOML array, e.g. `[1.0, 2.0]` (each value with the
    /// shortest digits that parse back to it).
    pub fn toml_array(&self) -> String {
        let items: Vec<String> = self.scales().iter().map(|s| format!("{s:?}")).collect();
        format!("[{}]", items.join(", "))
    }
}

/// Smallest (`least`) or largest value of a fixed set, in a `const fn`.
const fn fold(s: &[f32], least: bool) -> f32 {
    let mut best = s[0];
    let mut i = 1;
    while i < s.len() {
        if (least && s[i] < best) || (!least && s[i] > best) {
            best = s[i];
        }
        i += 1;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_cover_their_range_and_arrays_round_trip() {
        let s = EDGEMARK_V3.scales();
        assert_eq!(s[0], 0.28);
        assert!(*s.last().unwrap() >= 3.4 && s[s.len() - 2] < 3.4, "{s:?}");
        assert!(s
            .windows(2)
            .all(|w| (w[1] / w[0] - 0.0075f32.exp()).abs() < 1e-4));
        assert_eq!(
            LEARNED_TILED.toml_array(),
            "[1.0, 2.0, 1.3333333, 0.6666667]"
        );
        assert_eq!(NATIVE.toml_array(), "[1.0]");
        // The digits parse back to the very values.
        let parsed: Vec<f32> = ["1.0", "2.0", "1.3333333", "0.6666667"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        assert_eq!(parsed, LEARNED_TILED.scales());
    }

    /// The model cards in the repository's `models/` read at the typed scales: the learned
    /// tiled model (both of its cards) at [`LEARNED_TILED`], RivaGAN at [`NATIVE`], and every
    /// other committed `card.toml` at one of the typed sets. A missing card fails.
    #[cfg(feature = "onnx")]
    #[test]
    fn committed_cards_use_the_typed_scales() {
        use crate::neural::ModelCard;
        let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
        let expected = [
            ("edgemark-hidden-48/card.toml", LEARNED_TILED),
            ("edgemark-hidden-48/card-int8.toml", LEARNED_TILED),
            ("rivagan/card.toml", NATIVE),
        ];
        for (path, search) in expected {
            let card = ModelCard::load(models.join(path))
                .unwrap_or_else(|e| panic!("committed card {path}: {e}"));
            assert_eq!(card.decoder.scales, search.scales(), "{path}");
        }
        let mut seen = 0;
        for dir in std::fs::read_dir(&models).unwrap() {
            let card = dir.unwrap().path().join("card.toml");
            if !card.is_file() {
                continue;
            }
            let scales = ModelCard::load(&card).unwrap().decoder.scales;
            assert!(
                [NATIVE, LEARNED_TILED].iter().any(|s| s.scales() == scales),
                "{}: scales {scales:?} are none of the typed sets in edgemark::search",
                card.display()
            );
            seen += 1;
        }
        assert!(seen >= 2, "only {seen} cards under {}", models.display());
    }
}
