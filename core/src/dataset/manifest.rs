//! The manifest of one marked copy: who received it, with which payload, and what happened to
//! every file (JSON, written by [`super::mark`], read by [`super::audit`]).

use super::files;
use crate::error::{Error, Result};
use crate::payload::Bits;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `format` field every manifest carries.
pub(super) const FORMAT: &str = "edgemark-dataset-manifest";
/// The manifest version this build writes and reads.
pub(super) const VERSION: u32 = 1;

/// What [`super::mark`] did with a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Action {
    /// Written with the recipient's watermark.
    Marked,
    /// Copied byte for byte (not selected, not an image, or not markable: see the note).
    Copied,
}

/// One file of the copy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileEntry {
    /// Path relative to the dataset's root, with `/` separators.
    pub path: String,
    /// What was done.
    pub action: Action,
    /// SHA-256 of the original file (hex).
    pub original_sha256: String,
    /// SHA-256 of the file in the copy (equal to the original's when copied).
    pub sha256: String,
    /// Why a file was not marked, or what marking changed (format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A marked copy's record: kept by the dataset's owner, given to [`super::audit`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// Always `edgemark-dataset-manifest`.
    pub format: String,
    /// Manifest version (1).
    pub version: u32,
    /// Who received the copy.
    pub recipient: String,
    /// The watermark scheme (`edgemark-v3`).
    pub scheme: String,
    /// The 32-bit payload written into the marked images (hex).
    pub payload: String,
    /// Share of the images selected for marking.
    pub fraction: f64,
    /// Embedding strength (PSNR in dB).
    pub psnr: f32,
    /// First 8 bytes of SHA-256 of the key (hex): tells which key made the copy without
    /// revealing it.
    pub key_id: String,
    /// The copy's random salt (hex), drawn when the copy was first made; the payload is derived
    /// from key, salt and recipient.
    pub salt: String,
    /// Images selected for marking.
    pub selected: u64,
    /// Images marked (selected ones that could not be marked are copied, with a note).
    pub marked: u64,
    /// Every file of the copy, sorted by path.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// Reads and checks a manifest file.
    pub fn open(path: impl AsRef<Path>) -> Result<Manifest> {
        let path = path.as_ref();
        let bytes = files::read(path)?;
        Manifest::from_json(&bytes).map_err(|e| Error::config(format!("{}: {e}", path.display())))
    }

    /// Parses and checks a manifest.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest> {
        let m: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| Error::config(format!("not an EdgeMark dataset manifest ({e})")))?;
        if m.format != FORMAT {
            return Err(Error::config(format!(
                "not an EdgeMark dataset manifest (format {:?})",
                m.format
            )));
        }
        if m.version != VERSION {
            return Err(Error::config(format!(
                "manifest version {} is not supported by this build (reads version {VERSION})",
                m.version
            )));
        }
        if m.scheme != crate::EdgemarkV3::NAME {
            return Err(Error::config(format!(
                "manifest scheme {:?}: only {} is used for datasets",
                m.scheme,
                crate::EdgemarkV3::NAME
            )));
        }
        let p = m.payload_bits()?;
        if p.len() != crate::schemes::V3_PAYLOAD_BITS {
            return Err(Error::config(format!(
                "manifest payload {} is not {} bits",
                m.payload,
                crate::schemes::V3_PAYLOAD_BITS
            )));
        }
        Ok(m)
    }

    /// The payload as bits.
    pub fn payload_bits(&self) -> Result<Bits> {
        Bits::from_hex(&self.payload)
    }

    /// JSON, pretty-printed.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self)
            .map_err(|e| Error::config(format!("cannot write the manifest: {e}")))
    }

    /// SHA-256 digests of the marked files (what byte-identical copies in a suspect folder
    /// match).
    pub fn marked_hashes(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .filter(|f| f.action == Action::Marked)
            .map(|f| f.sha256.as_str())
    }
}
