//! Neural watermarks given by the caller: an ONNX decoder (bytes) and its model card (TOML or
//! JSON text), as `new Detector({models: [...]})` takes them. The ONNX decoders run through
//! tract and exist only in builds with the cargo feature `onnx` (`wasm/pkg-onnx`); without it
//! a `models` entry is a clear error, not a silent skip.
//!
//! Nothing here touches JavaScript, so it is unit-tested natively.

use edgemark::Watermark;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

/// One neural watermark of `DetectorOptions.models`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NeuralModel {
    /// The model card: TOML (as in `models/<name>/card.toml`) or JSON text.
    pub card: String,
    /// The decoder's ONNX file (`Uint8Array` or `ArrayBuffer`).
    pub decoder: Bytes,
    /// Expected message (`0xHEX`, `bits:0101...`, `text:...`): gives a p-value.
    pub message: Option<String>,
    /// Name findings are reported under (default: the card's `name`).
    pub name: Option<String>,
}

/// Bytes from a `Uint8Array`, an `ArrayBuffer` or an array of numbers.
pub struct Bytes(pub Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a Uint8Array or ArrayBuffer of ONNX bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bytes, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Bytes(out))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

impl NeuralModel {
    /// The field names a JS model object may have.
    pub const FIELDS: &'static [&'static str] = &["card", "decoder", "message", "name"];

    /// The watermark: card parsed and checked against the decoder (input and output names,
    /// bit count), decoder optimized for the card's input size once.
    #[cfg(feature = "onnx")]
    pub fn watermark(&self) -> Result<Watermark, String> {
        edgemark::neural::watermark_from_bytes(
            &self.card,
            &self.decoder.0,
            None,
            self.message.as_deref(),
            self.name.as_deref(),
        )
        .map_err(|e| e.to_string())
    }

    /// Without the `onnx` feature there is no decoder to run: says which package has one.
    #[cfg(not(feature = "onnx"))]
    pub fn watermark(&self) -> Result<Watermark, String> {
        Err(
            "this edgemark build has no ONNX decoders (models): use the onnx package \
             (wasm/pkg-onnx, built by EDGEMARK_WASM_FEATURES=onnx wasm/scripts/build.sh)"
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(json: &str) -> NeuralModel {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn bytes_come_from_arrays() {
        let m = model(r#"{"card":"x","decoder":[1,2,255]}"#);
        assert_eq!(m.decoder.0, [1, 2, 255]);
        assert!(serde_json::from_str::<NeuralModel>(r#"{"card":"x","decoder":[256]}"#).is_err());
        assert!(serde_json::from_str::<NeuralModel>(r#"{"card":"x","decoder":5}"#).is_err());
        assert!(serde_json::from_str::<NeuralModel>(r#"{"card":"x"}"#).is_err());
    }

    #[test]
    fn field_list_matches_what_serde_reads() {
        for f in NeuralModel::FIELDS {
            let json = match *f {
                "card" | "decoder" => r#"{"card":"x","decoder":[]}"#.to_string(),
                _ => format!(r#"{{"card":"x","decoder":[],"{f}":null}}"#),
            };
            serde_json::from_str::<NeuralModel>(&json).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
    }

    #[cfg(not(feature = "onnx"))]
    #[test]
    fn without_onnx_models_are_refused_with_a_reason() {
        let e = model(r#"{"card":"x","decoder":[]}"#)
            .watermark()
            .unwrap_err();
        assert!(e.contains("no ONNX decoders"), "{e}");
    }

    #[cfg(feature = "onnx")]
    mod onnx {
        use super::*;
        use std::path::PathBuf;

        const CARD: &str = include_str!("../../models/rivagan/card.toml");

        fn with(card: &str, decoder: Vec<u8>, message: Option<&str>) -> NeuralModel {
            NeuralModel {
                card: card.into(),
                decoder: Bytes(decoder),
                message: message.map(Into::into),
                name: None,
            }
        }

        /// The fetched RivaGAN decoder (scripts/fetch-rivagan.sh). When it is missing, the
        /// test fails with one line naming the set-up script (no panic message or
        /// backtrace), or is skipped, and says so, when EDGEMARK_SKIP_REFERENCE is set.
        fn rivagan() -> Option<Vec<u8>> {
            let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../models/rivagan/rivagan_decoder.onnx");
            if p.exists() {
                return Some(std::fs::read(&p).expect("the RivaGAN decoder is readable"));
            }
            if std::env::var_os("EDGEMARK_SKIP_REFERENCE").is_some() {
                eprintln!(
                    "SKIPPED: {} missing (EDGEMARK_SKIP_REFERENCE set)",
                    p.display()
                );
                return None;
            }
            eprintln!(
                "RivaGAN ONNX files (scripts/fetch-rivagan.sh) missing ({}): run scripts/setup.sh first (scripts/test.sh does; EDGEMARK_SKIP_REFERENCE=1 skips these tests)",
                p.display()
            );
            std::panic::resume_unwind(Box::new("RivaGAN ONNX files missing"));
        }

        #[test]
        fn corrupt_models_and_cards_explain_themselves() {
            let e = with(CARD, b"not an onnx file".to_vec(), None)
                .watermark()
                .unwrap_err();
            assert!(e.contains("rivagan decoder"), "{e}");
            let e = with(CARD, Vec::new(), None).watermark().unwrap_err();
            assert!(e.contains("empty ONNX file"), "{e}");
            let e = with("name = 1", vec![1], None).watermark().unwrap_err();
            assert!(e.contains("invalid model card"), "{e}");
        }

        #[test]
        fn the_rivagan_decoder_loads_and_a_mismatched_card_is_refused() {
            let Some(decoder) = rivagan() else { return };
            let w = with(CARD, decoder.clone(), Some("0xDEADBEEF"))
                .watermark()
                .unwrap();
            assert_eq!(w.name(), "rivagan");
            assert_eq!(w.scheme().bit_len(), 32);
            let e = with(CARD, decoder.clone(), Some("0xAB"))
                .watermark()
                .unwrap_err();
            assert!(e.contains("8 bits"), "{e}");
            let bad_bits = CARD.replace("bits = 32", "bits = 48");
            let e = with(&bad_bits, decoder.clone(), None)
                .watermark()
                .unwrap_err();
            assert!(e.contains("says 48 bits"), "{e}");
            let bad_input = CARD.replace("input = \"frame\"", "input = \"image\"");
            let e = with(&bad_input, decoder, None).watermark().unwrap_err();
            assert!(e.contains("image"), "{e}");
        }
    }
}
