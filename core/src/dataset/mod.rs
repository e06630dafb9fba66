//! Dataset watermarking and audit (feature `dataset`): mark a share of a dataset's images for
//! one recipient (a licensee), and later test whether a suspect collection came from a marked
//! copy, and whose.
//!
//! - [`mark`] copies a folder, marks a seeded subset of its images with `edgemark-v3` carrying
//!   a payload derived from the recipient's name and a key ([`recipient_payload`]), keeps every
//!   other file byte-identical, and writes a [`Manifest`] (never into the copy: the recipient
//!   gets the folder, the owner keeps the manifest).
//! - [`audit`] reads a suspect folder once and weighs two kinds of evidence per recipient,
//!   each with a p-value: **copies** (the smallest per-image p-value, Bonferroni-corrected for
//!   the number of images) and **weak traces** spread over many images (the exact binomial
//!   tail of all matched code bits of the collection, i.e. Stouffer's combination of the
//!   per-image match counts in its exact form). The smaller of the two, times 2 (two tests)
//!   and times the number of recipients, is the recipient's p-value.
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

/// The 32-bit `edgemark-v3` payload that names `recipient` under `key`: the first 4 bytes of
/// SHA-256 over a domain tag, the key and the name. Without the key, nobody can tell which
/// payload a name has, nor forge another recipient's mark from the name alone.
pub fn recipient_payload(key: &str, recipient: &str) -> Bits {
    let d = hash_parts(&[
        b"edgemark-dataset-recipient-v1",
        key.as_bytes(),
        recipient.as_bytes(),
    ]);
    Bits::from_bytes(&d[..4])
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
    fn payloads_depend_on_key_and_name_and_are_32_bits() {
        let a = recipient_payload("k", "alice");
        assert_eq!(a.len(), 32);
        assert_eq!(a, recipient_payload("k", "alice"));
        assert_ne!(a, recipient_payload("k", "bob"));
        assert_ne!(a, recipient_payload("k2", "alice"));
        assert_ne!(
            hash_parts(&[b"ab", b"c"]),
            hash_parts(&[b"a", b"bc"]),
            "parts are length-prefixed"
        );
    }
}
