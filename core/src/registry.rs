//! The registry: every scheme EdgeMark can build by name, in one table, and the rules for
//! choosing among them. The CLI, the evaluation harness, the WebAssembly package and the C
//! ABI list and build schemes only through it.
//!
//! Each [`Entry`] has a name (and aliases), a [`Kind`], a description, its payload and code
//! sizes, and a builder that turns a [`Request`] (message, bit length, embedding style) into
//! a [`Watermark`]. The built-in entries are the presets and the schemes implemented in
//! Rust; with the `onnx` feature, [`Registry::with_models`] adds one entry per model card
//! (`<models>/<folder>/card.toml`) it finds, so a new model needs a card, not code.
//!
//! ```
//! use edgemark::registry::{Registry, Request};
//! use edgemark::Bits;
//!
//! let registry = Registry::builtin();
//! for e in registry.entries() {
//!     println!("{} ({}): {}", e.name, e.kind.as_str(), e.description);
//! }
//! // No selection: the default presets.
//! let defaults = registry.select(None, &[], Vec::new())?;
//! assert_eq!(defaults[0].name(), "sdxl");
//! // A classical scheme with your own message.
//! let mine = registry.build("dwtDct", &Request::new().message(Some(Bits::parse("text:hi")?)))?;
//! assert_eq!(mine.scheme().bit_len(), 16);
//! # Ok::<(), edgemark::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::payload::Bits;
use crate::schemes::{ClassicKind, Convention, EmbedStyle, V3_CODE_BITS, V3_PAYLOAD_BITS};
use crate::watermark::{Watermark, DEFAULT_PRESETS, GENERATORS};
use crate::{Classic, EdgemarkV3};
#[cfg(feature = "onnx")]
use std::path::{Path, PathBuf};

/// What kind of watermark an [`Entry`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A generator's watermark with its fixed message (e.g. Stable Diffusion XL's).
    Preset,
    /// A classical scheme of `invisible-watermark` (any bit length).
    Classical,
    /// EdgeMark's own scheme, implemented in Rust.
    Own,
    /// An ONNX model described by a model card (feature `onnx`).
    Neural,
}

impl Kind {
    /// `"preset"`, `"classical"`, `"own"` or `"neural"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Preset => "preset",
            Kind::Classical => "classical",
            Kind::Own => "own",
            Kind::Neural => "neural",
        }
    }

    /// The group `edgemark schemes` lists the entry under: `"preset"`, `"scheme"` (classical
    /// and own schemes) or `"model"`.
    pub fn group(self) -> &'static str {
        match self {
            Kind::Preset => "preset",
            Kind::Classical | Kind::Own => "scheme",
            Kind::Neural => "model",
        }
    }
}

/// One scheme of the registry.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Entry {
    /// The name findings are reported under (e.g. `"sdxl"`, `"dwtDct"`, a card's `name`).
    pub name: String,
    /// Other names it answers to (names are matched case-insensitively).
    pub aliases: Vec<String>,
    /// What kind of watermark it is.
    pub kind: Kind,
    /// One line about it.
    pub description: String,
    /// Payload bits (a message's length); `None` where the caller chooses.
    pub bits: Option<usize>,
    /// Bits an image carries (more than `bits` with error correction); `None` where the
    /// caller chooses.
    pub code_bits: Option<usize>,
    /// The message it always carries (a generator preset's), if any.
    pub payload: Option<Bits>,
    /// Usable with no message and no bit length, deciding by itself: a fixed message, or
    /// error correction that decides without one. These are what "presets" name.
    pub preset: bool,
    /// In the default selection ([`DEFAULT_PRESETS`]).
    pub default: bool,
    builder: Builder,
}

/// The entry as `edgemark schemes --json` and the bindings list it: `kind` (its
/// [`Kind::group`]), `name`, `description`, `bits`, `code_bits`, `preset`, `default`.
impl serde::Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Entry", 7)?;
        st.serialize_field("kind", self.kind.group())?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("description", &self.description)?;
        st.serialize_field("bits", &self.bits)?;
        st.serialize_field("code_bits", &self.code_bits)?;
        st.serialize_field("preset", &self.preset)?;
        st.serialize_field("default", &self.default)?;
        st.end()
    }
}

/// How an entry becomes a [`Watermark`].
#[derive(Clone, Debug)]
enum Builder {
    /// A generator preset: index into [`GENERATORS`].
    Generator(usize),
    EdgemarkV3,
    EdgemarkScreen,
    Classic(ClassicKind),
    /// A model card file (the ONNX files are read when the entry is built).
    #[cfg(feature = "onnx")]
    Card(PathBuf),
}

/// What a caller asks of a scheme: all optional. Build one with [`Request::new`] and the
/// setters.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Request {
    /// The message the watermark carries (gives a p-value when detecting).
    pub message: Option<Bits>,
    /// Bit length when no message is known (bits are read, nothing is decided).
    pub bits: Option<usize>,
    /// How a classical scheme embeds (default [`EmbedStyle::default`]).
    pub style: Option<EmbedStyle>,
    /// The name findings are reported under (default: the entry's name).
    pub name: Option<String>,
}

impl Request {
    /// Nothing asked: the entry's defaults.
    pub fn new() -> Request {
        Request::default()
    }

    /// Sets the message.
    pub fn message(mut self, message: Option<Bits>) -> Request {
        self.message = message;
        self
    }

    /// Sets the message from text (`0xHEX`, `bits:0101...`, `text:...` or bare hex; see
    /// [`Bits::parse`]).
    pub fn parse_message(self, text: Option<&str>) -> Result<Request> {
        Ok(self.message(text.map(Bits::parse).transpose()?))
    }

    /// Sets the bit length.
    pub fn bits(mut self, bits: Option<usize>) -> Request {
        self.bits = bits;
        self
    }

    /// Sets the embedding style.
    pub fn style(mut self, style: Option<EmbedStyle>) -> Request {
        self.style = style;
        self
    }

    /// Sets the embedding style from its names: `style` `clean` (default) or `compat`,
    /// `convention` `uint8` (default) or `float`. Neither given: no style is asked for.
    pub fn parse_style(self, style: Option<&str>, convention: Option<&str>) -> Result<Request> {
        if style.is_none() && convention.is_none() {
            return Ok(self);
        }
        let compat = match style.unwrap_or("clean") {
            "clean" => false,
            "compat" => true,
            other => {
                return Err(Error::config(format!(
                    "style must be 'clean' or 'compat', not '{other}'"
                )))
            }
        };
        let conventions = [Convention::Uint8, Convention::Float];
        let wanted = convention.unwrap_or(Convention::Uint8.as_str());
        let convention = conventions
            .into_iter()
            .find(|c| c.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<String> = conventions
                    .iter()
                    .map(|c| format!("'{}'", c.as_str()))
                    .collect();
                Error::config(format!(
                    "convention must be {}, not '{wanted}'",
                    names.join(" or ")
                ))
            })?;
        Ok(self.style(Some(EmbedStyle { convention, compat })))
    }

    /// Sets the name findings are reported under.
    pub fn named(mut self, name: Option<String>) -> Request {
        self.name = name;
        self
    }

    fn is_empty(&self) -> bool {
        self.message.is_none() && self.bits.is_none() && self.style.is_none()
    }
}

impl Entry {
    fn new(
        name: &str,
        aliases: &[&str],
        kind: Kind,
        description: &str,
        sizes: Option<(usize, usize)>,
        builder: Builder,
    ) -> Entry {
        let mut e = Entry {
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            kind,
            description: description.into(),
            bits: sizes.map(|s| s.0),
            code_bits: sizes.map(|s| s.1),
            payload: None,
            preset: false,
            default: false,
            builder,
        };
        e.settle();
        e
    }

    /// Derives `preset` and `default` from the rest.
    fn settle(&mut self) {
        let corrects = matches!((self.bits, self.code_bits), (Some(b), Some(c)) if c > b);
        self.preset = self.payload.is_some() || corrects;
        self.default = self.preset && DEFAULT_PRESETS.iter().any(|d| self.answers_to(d));
    }

    /// True when `name` is this entry's name or one of its aliases (any case).
    pub fn answers_to(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }

    /// Builds the watermark `request` asks for. A preset with its own message takes no
    /// message, bit length or style; only classical schemes take a style; a classical scheme
    /// needs a message or a bit length; a given bit length must match the message's and the
    /// entry's fixed one. The message itself is checked by [`Watermark::new`].
    pub fn build(&self, request: &Request) -> Result<Watermark> {
        if self.payload.is_some() && !request.is_empty() {
            return Err(Error::config(format!(
                "preset '{}' fixes its message, bit length and style",
                self.name
            )));
        }
        if request.style.is_some() && self.kind != Kind::Classical {
            return Err(Error::config(format!(
                "{} has no embedding style: style and convention apply to the classical schemes",
                self.name
            )));
        }
        let bits = self.bit_length(request)?;
        let message = request.message.clone();
        let watermark = match &self.builder {
            Builder::Generator(i) => GENERATORS[*i].watermark(),
            Builder::EdgemarkV3 => Watermark::edgemark_v3(message)?,
            Builder::EdgemarkScreen => {
                Watermark::new(EdgemarkV3::SCREEN_NAME, EdgemarkV3::screen()?, message)?
            }
            Builder::Classic(kind) => {
                let scheme = Classic::with_defaults(*kind, bits)?
                    .with_embed_style(request.style.unwrap_or_default());
                Watermark::new(self.name.clone(), scheme, message)?
            }
            #[cfg(feature = "onnx")]
            Builder::Card(path) => Watermark::new(
                self.name.clone(),
                crate::neural::Neural::load(path)?,
                message,
            )?,
        };
        Ok(match &request.name {
            Some(name) => watermark.renamed(name),
            None => watermark,
        })
    }

    /// The bit length `request` implies.
    fn bit_length(&self, request: &Request) -> Result<usize> {
        match (&request.message, request.bits, self.bits) {
            (Some(m), Some(n), _) if m.len() != n => Err(Error::message(format!(
                "message has {} bits but the bit length is {n}",
                m.len()
            ))),
            (_, Some(n), Some(fixed)) if n != fixed => Err(Error::message(format!(
                "{} carries {fixed} payload bits, not {n}",
                self.name
            ))),
            (Some(m), _, _) => Ok(m.len()),
            (None, Some(n), _) | (None, None, Some(n)) => Ok(n),
            (None, None, None) => Err(Error::message(format!(
                "{} needs a message or a bit length",
                self.name
            ))),
        }
    }
}

/// Every scheme EdgeMark can build here, and what could not be added (see the module
/// documentation).
#[derive(Clone, Debug)]
pub struct Registry {
    entries: Vec<Entry>,
    skipped: Vec<String>,
}

impl Registry {
    /// The built-in entries: the presets and the schemes implemented in Rust.
    pub fn builtin() -> Registry {
        let generators = GENERATORS.iter().enumerate().map(|(i, g)| {
            let message = g.message_bits();
            let mut e = Entry::new(
                g.name,
                g.aliases,
                Kind::Preset,
                g.description,
                Some((message.len(), message.len())),
                Builder::Generator(i),
            );
            e.payload = Some(message);
            e.settle();
            e
        });
        let classical = |kind: ClassicKind, rule: &str| {
            Entry::new(
                kind.name(),
                &[],
                Kind::Classical,
                &format!(
                    "invisible-watermark's {}: {rule}, step 36; any bit length",
                    kind.name()
                ),
                None,
                Builder::Classic(kind),
            )
        };
        Registry {
            entries: generators
                .chain([
                Entry::new(
                    EdgemarkV3::NAME,
                    &["v3"],
                    Kind::Own,
                    "EdgeMark's own watermark v3: any 32-bit payload under BCH(127,36), read after rescales (0.3-3x), rotations, crops and re-encoding; decided without knowing the payload (a message is optional)",
                    Some((V3_PAYLOAD_BITS, V3_CODE_BITS)),
                    Builder::EdgemarkV3,
                ),
                Entry::new(
                    EdgemarkV3::SCREEN_NAME,
                    &["screen"],
                    Kind::Own,
                    "EdgeMark's screen overlay for leak tracing: a 32-bit viewer ID in an RGBA tile composited over the screen (edgemark overlay), read from screenshots and photos of screens by edgemark-v3's reader (edgemark trace)",
                    Some((V3_PAYLOAD_BITS, V3_CODE_BITS)),
                    Builder::EdgemarkScreen,
                ),
                classical(
                    ClassicKind::DwtDct,
                    "Haar LL of U, largest |coefficient| per 4x4 block",
                ),
                classical(
                    ClassicKind::DwtDctSvd,
                    "largest singular value of each 4x4 block's DCT",
                ),
            ])
                .collect(),
            skipped: Vec::new(),
        }
    }

    /// The built-in entries and every model card in the model folders
    /// (`neural::model_roots`: `$EDGEMARK_MODELS`, `./models`, `models/` above the
    /// executable), in that order of precedence: a card whose name an earlier folder already
    /// gave is left out silently. Without the `onnx` feature there are no models: the
    /// built-in entries.
    #[cfg(not(feature = "onnx"))]
    pub fn with_models() -> Registry {
        Registry::builtin()
    }

    /// The built-in entries and every model card in the model folders
    /// ([`crate::neural::model_roots`]: `$EDGEMARK_MODELS`, `./models`, `models/` above the
    /// executable), in that order of precedence: a card whose name an earlier folder already
    /// gave is left out silently.
    #[cfg(feature = "onnx")]
    pub fn with_models() -> Registry {
        let mut registry = Registry::builtin();
        registry.add_roots();
        registry
    }

    /// The built-in entries, then the models named in `extra`, then those of the model
    /// folders ([`Registry::with_models`]); an earlier name takes precedence. Each of `extra`
    /// is a card file, a model folder holding `card.toml`, or a folder of model folders; one
    /// that is missing or whose card does not load is an error (the model folders' cards
    /// are left out with a note instead, as in [`Registry::with_models`]).
    #[cfg(feature = "onnx")]
    pub fn with_models_and(extra: &[PathBuf]) -> Result<Registry> {
        let mut registry = Registry::builtin();
        for path in extra {
            let before = registry.skipped.len();
            if path.is_file() {
                registry.add_card(path.clone(), registry.entries.len());
            } else if path.join("card.toml").is_file() {
                registry.add_card(path.join("card.toml"), registry.entries.len());
            } else if path.is_dir() {
                registry.add_models(path);
            } else {
                return Err(Error::model(format!(
                    "{}: no model card or model folder there",
                    path.display()
                )));
            }
            if let Some(note) = registry.skipped.get(before) {
                return Err(Error::model(note.clone()));
            }
        }
        registry.add_roots();
        Ok(registry)
    }

    /// Adds the cards of every model folder ([`crate::neural::model_roots`]), each folder once.
    #[cfg(feature = "onnx")]
    fn add_roots(&mut self) {
        let mut seen: Vec<PathBuf> = Vec::new();
        for root in crate::neural::model_roots() {
            let Ok(canonical) = root.canonicalize() else {
                continue;
            };
            if !seen.contains(&canonical) {
                self.add_models(&root);
                seen.push(canonical);
            }
        }
    }

    /// Adds an entry for each `<dir>/<folder>/card.toml` (folders in name order). A card
    /// that does not parse, or whose name or alias is already taken by a built-in entry or
    /// another card of `dir`, is left out and noted in [`Registry::skipped`]. The ONNX files
    /// are read only when the entry is built.
    #[cfg(feature = "onnx")]
    pub fn scan(mut self, dir: &Path) -> Registry {
        self.add_models(dir);
        self
    }

    #[cfg(feature = "onnx")]
    fn add_models(&mut self, dir: &Path) {
        let Ok(read) = std::fs::read_dir(dir) else {
            return;
        };
        let mut cards: Vec<PathBuf> = read
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("card.toml"))
            .filter(|p| p.is_file())
            .collect();
        cards.sort();
        let first_of_dir = self.entries.len();
        for path in cards {
            self.add_card(path, first_of_dir);
        }
    }

    /// Adds the entry of the card at `path`; a card whose name an entry from before
    /// `first_of_dir` (an earlier model folder) already gave is left out silently, any other
    /// clash or a card that does not parse is noted in [`Registry::skipped`].
    #[cfg(feature = "onnx")]
    fn add_card(&mut self, path: PathBuf, first_of_dir: usize) {
        let card = match crate::neural::ModelCard::load(&path) {
            Ok(card) => card,
            Err(e) => {
                self.skipped.push(e.to_string());
                return;
            }
        };
        let names = std::iter::once(&card.name).chain(&card.aliases);
        let taken = self
            .entries
            .iter()
            .enumerate()
            .find(|(_, e)| names.clone().any(|n| e.answers_to(n)));
        match taken {
            // An earlier model folder has a card of that name: it takes precedence.
            Some((i, e)) if i < first_of_dir && matches!(e.builder, Builder::Card(_)) => {}
            Some((_, e)) => self.skipped.push(format!(
                "{}: model '{}' left out: the name is taken by {} '{}'",
                path.display(),
                card.name,
                e.kind.as_str(),
                e.name
            )),
            None => {
                let description = if card.description.is_empty() {
                    format!("ONNX model ({})", path.display())
                } else {
                    card.description.clone()
                };
                let aliases: Vec<&str> = card.aliases.iter().map(String::as_str).collect();
                self.entries.push(Entry::new(
                    &card.name,
                    &aliases,
                    Kind::Neural,
                    &description,
                    Some((card.bits, card.bits)),
                    Builder::Card(path),
                ));
            }
        }
    }

    /// The entries, built-in ones first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Why model cards found were left out (one line each).
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// The entry called `name` (or with that alias, any case); an unknown name is an error
    /// that lists the known ones.
    pub fn get(&self, name: &str) -> Result<&Entry> {
        self.entries
            .iter()
            .find(|e| e.answers_to(name))
            .ok_or_else(|| {
                let hint = if cfg!(feature = "onnx") {
                    ""
                } else {
                    "; ONNX models need the `onnx` feature"
                };
                Error::config(format!(
                    "unknown scheme '{name}' (known: {}{hint})",
                    self.names(|_| true)
                ))
            })
    }

    fn names(&self, keep: impl Fn(&Entry) -> bool) -> String {
        let names: Vec<&str> = self
            .entries
            .iter()
            .filter(|e| keep(e))
            .map(|e| e.name.as_str())
            .collect();
        names.join(", ")
    }

    /// Builds scheme `name` as `request` asks ([`Entry::build`]).
    pub fn build(&self, name: &str, request: &Request) -> Result<Watermark> {
        self.get(name)?.build(request)
    }

    /// The preset called `name`: an entry usable without a message or bit length
    /// ([`Entry::preset`]).
    pub fn preset(&self, name: &str) -> Result<Watermark> {
        match self.entries.iter().find(|e| e.preset && e.answers_to(name)) {
            Some(e) => e.build(&Request::new()),
            None => Err(Error::config(format!(
                "unknown preset '{name}' (presets: {})",
                self.names(|e| e.preset)
            ))),
        }
    }

    /// The default selection ([`DEFAULT_PRESETS`]).
    pub fn defaults(&self) -> Result<Vec<Watermark>> {
        self.entries
            .iter()
            .filter(|e| e.default)
            .map(|e| e.build(&Request::new()))
            .collect()
    }

    /// The watermarks a detector looks for, in order: the `presets` named, then the
    /// `schemes` (name and request each), then `others` (built by the caller, e.g. from
    /// model bytes). No selection at all (`presets` not given, nothing else) means the
    /// default presets; a selection that names nothing (an empty preset list and nothing
    /// else) is an error.
    pub fn select(
        &self,
        presets: Option<&[String]>,
        schemes: &[(String, Request)],
        others: Vec<Watermark>,
    ) -> Result<Vec<Watermark>> {
        let mut out = match presets {
            None if schemes.is_empty() && others.is_empty() => self.defaults()?,
            None => Vec::new(),
            Some(names) => names
                .iter()
                .map(|n| self.preset(n))
                .collect::<Result<_>>()?,
        };
        for (name, request) in schemes {
            out.push(self.build(name, request)?);
        }
        out.extend(others);
        if out.is_empty() {
            return Err(Error::config(
                "no watermark to look for: name a preset or a scheme",
            ));
        }
        Ok(out)
    }

    /// The watermark to embed with scheme `name`: as [`Registry::build`], and it must carry
    /// a message (the request's, or a preset's own).
    pub fn for_embedding(&self, name: &str, request: &Request) -> Result<Watermark> {
        let entry = self.get(name)?;
        if entry.payload.is_none() && request.message.is_none() {
            return Err(Error::message(format!(
                "embedding with '{name}' needs a message"
            )));
        }
        entry.build(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Models named by a caller: a model folder, its card, or a folder of model folders, in
    /// front of the model folders; a path that holds none, or a card that does not load, is
    /// an error.
    #[cfg(feature = "onnx")]
    #[test]
    fn extra_models_are_cards_model_folders_or_folders_of_them() {
        let base =
            std::env::temp_dir().join(format!("edgemark-extra-models-{}", std::process::id()));
        let folder = base.join("my-model");
        std::fs::create_dir_all(&folder).unwrap();
        let card = std::fs::read_to_string("../models/edgemark-hidden-48/card.toml")
            .unwrap()
            .replace("name = \"edgemark-hidden-48\"", "name = \"my-model\"")
            .replace("aliases = [\"hidden48\"]", "aliases = []");
        std::fs::write(folder.join("card.toml"), card).unwrap();
        assert!(Registry::with_models().get("my-model").is_err());
        for extra in [base.clone(), folder.clone(), folder.join("card.toml")] {
            let r = Registry::with_models_and(std::slice::from_ref(&extra)).unwrap();
            let e = r
                .get("my-model")
                .unwrap_or_else(|e| panic!("{}: {e}", extra.display()));
            assert_eq!(e.kind, Kind::Neural);
        }
        let missing = Registry::with_models_and(&[base.join("nope")]).unwrap_err();
        assert!(missing.to_string().contains("no model card"), "{missing}");
        std::fs::write(folder.join("card.toml"), "name = 3").unwrap();
        assert!(Registry::with_models_and(std::slice::from_ref(&folder)).is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }

    fn hex(h: &str) -> Option<Bits> {
        Some(Bits::parse(h).unwrap())
    }

    #[test]
    fn every_scheme_is_listed_once_and_builds() {
        let r = Registry::builtin();
        let mut names: Vec<String> = Vec::new();
        for e in r.entries() {
            for n in std::iter::once(&e.name).chain(&e.aliases) {
                let lower = n.to_ascii_lowercase();
                assert!(!names.contains(&lower), "{n} listed twice");
                names.push(lower);
            }
        }
        // Every scheme implemented in Rust has its entry.
        for n in ["sdxl", "edgemark-v3", "dwtDct", "dwtDctSvd"] {
            assert_eq!(r.get(n).unwrap().name, n);
        }
        for e in r.entries() {
            // A message of the entry's own length, or 16 bits where the caller chooses.
            let request = match (&e.payload, e.bits) {
                (Some(_), _) => Request::new(),
                (None, n) => Request::new().message(Some(Bits::new(
                    (0..n.unwrap_or(16)).map(|i| i % 3 == 0).collect(),
                ))),
            };
            let w = e.build(&request).unwrap();
            assert_eq!(w.name(), e.name);
            if let (Some(b), Some(c)) = (e.bits, e.code_bits) {
                assert_eq!((w.scheme().bit_len(), w.scheme().code_len()), (b, c));
            }
            assert!(w.message().is_some(), "{}", e.name);
            assert_eq!(e.payload.as_ref().is_some(), e.kind == Kind::Preset);
            if e.preset {
                assert_eq!(r.preset(&e.name.to_uppercase()).unwrap().name(), e.name);
            }
        }
        let presets: Vec<&str> = r
            .entries()
            .iter()
            .filter(|e| e.preset)
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(
            presets,
            [
                "sdxl",
                "sd1",
                "sd1-inpainting",
                "sd2",
                "flux",
                "invokeai",
                "edgemark-v3",
                "edgemark-screen"
            ]
        );
    }

    #[test]
    fn no_selection_means_the_default_presets() {
        let r = Registry::builtin();
        let names =
            |w: Vec<Watermark>| -> Vec<String> { w.iter().map(|w| w.name().to_string()).collect() };
        assert_eq!(
            names(r.select(None, &[], Vec::new()).unwrap()),
            DEFAULT_PRESETS
        );
        assert_eq!(names(r.defaults().unwrap()), DEFAULT_PRESETS);
        let mine = ("dwtdct".to_string(), Request::new().bits(Some(32)));
        assert_eq!(
            names(
                r.select(None, std::slice::from_ref(&mine), Vec::new())
                    .unwrap()
            ),
            ["dwtDct"]
        );
        let presets = ["edgemark-v3".to_string(), "SDXL".to_string()];
        assert_eq!(
            names(
                r.select(
                    Some(&presets),
                    &[mine],
                    vec![Watermark::sdxl().renamed("x")]
                )
                .unwrap()
            ),
            ["edgemark-v3", "sdxl", "dwtDct", "x"]
        );
        let e = r.select(Some(&[]), &[], Vec::new()).unwrap_err();
        assert!(e.to_string().contains("no watermark to look for"), "{e}");
    }

    #[test]
    fn names_and_lengths_are_checked_with_clear_errors() {
        let r = Registry::builtin();
        let err = |name: &str, req: Request| r.build(name, &req).unwrap_err().to_string();
        let e = err("rivaGan", Request::new().bits(Some(8)));
        assert!(
            e.contains("unknown scheme 'rivaGan'") && e.contains("dwtDctSvd"),
            "{e}"
        );
        let e = r.preset("dwtDct").unwrap_err().to_string();
        assert!(
            e.contains(
                "unknown preset 'dwtDct' (presets: sdxl, sd1, sd1-inpainting, sd2, flux, invokeai, edgemark-v3, edgemark-screen)"
            ),
            "{e}"
        );
        let e = err("dwtDct", Request::new());
        assert!(e.contains("dwtDct needs a message or a bit length"), "{e}");
        let e = err("dwtDct", Request::new().message(hex("0xA5")).bits(Some(9)));
        assert!(e.contains("8 bits but the bit length is 9"), "{e}");
        let e = err("v3", Request::new().bits(Some(48)));
        assert!(
            e.contains("edgemark-v3 carries 32 payload bits, not 48"),
            "{e}"
        );
        let e = err("edgemark-v3", Request::new().message(hex("0xA5")));
        assert!(e.contains("8 bits"), "{e}");
        let e = err("sdxl", Request::new().message(hex("0xA5")));
        assert!(e.contains("fixes its message"), "{e}");
        let compat = Request::new().parse_style(Some("compat"), None).unwrap();
        let e = err("edgemark-v3", compat.clone());
        assert!(e.contains("no embedding style"), "{e}");
        // The message's own checks still apply (too regular).
        let e = err("dwtDct", Request::new().message(hex("0xFF00")));
        assert!(e.contains("invalid message"), "{e}");
        // Bits alone: read, nothing decided.
        let w = r
            .build("DWTDCTSVD", &Request::new().bits(Some(12)))
            .unwrap();
        assert_eq!((w.name(), w.scheme().bit_len()), ("dwtDctSvd", 12));
        assert!(w.message().is_none());
        // Style, name.
        let w = r
            .build(
                "dwtDct",
                &compat.message(hex("0xA5")).named(Some("mine".into())),
            )
            .unwrap();
        assert_eq!(w.name(), "mine");
        let e = Request::new().parse_style(Some("x"), None).unwrap_err();
        assert!(e
            .to_string()
            .contains("style must be 'clean' or 'compat', not 'x'"));
        let e = Request::new().parse_style(None, Some("f16")).unwrap_err();
        assert!(e
            .to_string()
            .contains("convention must be 'uint8' or 'float', not 'f16'"));
        assert_eq!(
            Request::new()
                .parse_style(None, Some("float"))
                .unwrap()
                .style,
            Some(EmbedStyle {
                convention: Convention::Float,
                compat: false
            })
        );
    }

    #[test]
    fn embedding_needs_a_message_unless_the_preset_has_one() {
        let r = Registry::builtin();
        assert_eq!(
            r.for_embedding("sdxl", &Request::new()).unwrap().name(),
            "sdxl"
        );
        let e = r.for_embedding("dwtDct", &Request::new()).unwrap_err();
        assert!(e
            .to_string()
            .contains("embedding with 'dwtDct' needs a message"));
        let e = r.for_embedding("edgemark-v3", &Request::new()).unwrap_err();
        assert!(e.to_string().contains("needs a message"));
        let w = r
            .for_embedding("edgemark-v3", &Request::new().message(hex("0xDEADBEEF")))
            .unwrap();
        assert_eq!(w.scheme().code_len(), 127);
    }
}
