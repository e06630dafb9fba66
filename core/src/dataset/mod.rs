//! Dataset watermarking and audit (feature `dataset`): mark a share of a dataset's images for
//! one recipient (a licensee), and later test whether a suspect collection came from a marked
//! copy, and whose.
//!
//! - [`mark`] copies a folder, marks a seeded subset of its images with `edgemark-v3` carrying
//!   a payload derived from the key, a random salt drawn for the copy and the recipient's name,
//!   keeps every other file byte-identical, and writes a [`Manifest`] (never into the copy: the
//!   recipient gets the folder, the owner keeps the manifest).
//! - [`audit`] reads a suspect folder once and weighs two kinds of evidence per recipient,
//!   each with a p-value: **copies** (the smallest per-image p-value, Bonferroni-corrected for
//!   the number of images) and **weak traces** spread over many images (the soft code bits of
//!   the whole collection against the recipient's code word, under the null that the payload
//!   is a random 32-bit word given the images; see [`WeakEvidence`]). The smaller of the two,
//!   times 2 (two tests) and times the number of recipients, is the recipient's p-value.
//!
//! ```no_run
//! use edgemark::dataset::{self, AuditOptions, MarkOptions};
//! use std::path::Path;
//!
//! let opts = MarkOptions::new("acme-labs", 0.02)?.with_key("owner secret");
//! let manifest = dataset::mark(
//!     Path::new("photos"),
//!     Path::new("photos-acme"),
//!     Path::new("photos-acme.manifest.json"),
//!     &opts,
//!     &|_| {},
//! )?;
//! let audit = dataset::audit(&[manifest], Path::new("suspect"), &AuditOptions::default(), &|_| {})?;
//! println!("detected {} recipient {:?} p {:.1e}", audit.detected, audit.recipient, audit.p_value);
//! # Ok::<(), edgemark::Error>(())
//! ```

mod audit;
mod files;
mod manifest;
mod mark;

pub use audit::{audit, Audit, AuditOptions, RecipientEvidence, WeakEvidence};
pub use manifest::{Action, FileEntry, Manifest};
pub use mark::{mark, MarkOptions};

use crate::payload::Bits;
use sha2::{Digest, Sha256};

/// Work done so far, passed to the progress callback after every file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Files finished.
    pub done: u64,
    /// Files in all.
    pub total: u64,
}

/// Where `dataset mark` writes the manifest of the copy `output` when none is named:
/// `OUTPUT.manifest.json` beside the folder (`out/` and `out` alike), outside the copy.
pub fn default_manifest_path(output: &std::path::Path) -> std::path::PathBuf {
    let mut p = output
        .components()
        .collect::<std::path::PathBuf>()
        .into_os_string();
    p.push(".manifest.json");
    std::path::PathBuf::from(p)
}

/// The 32-bit `edgemark-v3` payload of one copy: the first 4 bytes of SHA-256 over a domain
/// tag, the owner's key, the copy's random salt and the recipient's name. The salt makes the
/// payload a fresh random word for every copy (two owners, or two copies for the same name,
/// never share one by construction), which is the null hypothesis the audit's collection
/// statistic stands on; the key keeps anyone without it from re-deriving it.
fn recipient_payload(key: &str, salt: &str, recipient: &str) -> Bits {
    let d = hash_parts(&[
        b"edgemark-dataset-recipient-v1",
        key.as_bytes(),
        salt.as_bytes(),
        recipient.as_bytes(),
    ]);
    Bits::from_bytes(&d[..4])
}

/// A fresh random salt (hex): the clock, the process and the standard library's per-process
/// random hash keys, through SHA-256.
fn fresh_salt() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x5a17);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let d = hash_parts(&[
        &h.finish().to_le_bytes(),
        &nanos.to_le_bytes(),
        &std::process::id().to_le_bytes(),
    ]);
    hex(&d[..16])
}

/// SHA-256 over length-prefixed parts (so `("ab", "c")` and `("a", "bc")` differ).
fn hash_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// Lower-case hex of a digest.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of bytes, as hex.
fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_depend_on_key_salt_and_name_and_are_32_bits() {
        let a = recipient_payload("k", "s", "alice");
        assert_eq!(a.len(), 32);
        assert_eq!(a, recipient_payload("k", "s", "alice"));
        assert_ne!(a, recipient_payload("k", "s", "bob"));
        assert_ne!(a, recipient_payload("k2", "s", "alice"));
        assert_ne!(a, recipient_payload("k", "t", "alice"));
        assert_ne!(fresh_salt(), fresh_salt());
        assert_ne!(
            hash_parts(&[b"ab", b"c"]),
            hash_parts(&[b"a", b"bc"]),
            "parts are length-prefixed"
        );
    }
}
