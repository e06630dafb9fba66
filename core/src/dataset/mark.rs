//! `mark`: a copy of a dataset with a seeded share of its images carrying a recipient's payload.

use super::files::{
    self, copy_hashed, create_parent, extension, hash_file, io, walk, with_suffix, write_atomic,
    MARKABLE,
};
use super::manifest::{Action, FileEntry, Manifest, FORMAT, VERSION};
use super::{fresh_salt, hash_parts, hex, recipient_payload, sha256_hex, Progress};
use crate::error::{Error, Result};
use crate::image::{Image, Limits};
use crate::payload::Bits;
use crate::scheme::Scheme;
use crate::EdgemarkV3;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// What [`mark`] does: for whom, how much of the dataset, under which key, how strongly.
#[derive(Clone, Debug)]
pub struct MarkOptions {
    recipient: String,
    fraction: f64,
    key: String,
    psnr: f32,
    limits: Limits,
    salt: Option<String>,
}

impl MarkOptions {
    /// Marks `fraction` (in (0, 1]) of the images for `recipient` (a non-empty name), with an
    /// empty key and `edgemark-v3`'s default strength.
    pub fn new(recipient: impl Into<String>, fraction: f64) -> Result<MarkOptions> {
        let recipient = recipient.into();
        if recipient.trim().is_empty() {
            return Err(Error::config("the recipient's name is empty"));
        }
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(Error::config(format!(
                "the fraction of images to mark must be in (0, 1], not {fraction}"
            )));
        }
        Ok(MarkOptions {
            recipient,
            fraction,
            key: String::new(),
            psnr: 40.5,
            limits: Limits::default(),
            salt: None,
        })
    }

    /// The owner's secret: with the copy's random salt it chooses the payload and the subset of
    /// marked images (without it, both are still random per copy, but anyone holding the
    /// manifest's salt could re-derive them).
    pub fn with_key(mut self, key: impl Into<String>) -> MarkOptions {
        self.key = key.into();
        self
    }

    /// A fixed salt instead of a fresh random one (reproducible experiments and tests): the
    /// payload and the subset then follow from key, salt and name alone. A resumed copy keeps
    /// the salt its journal or manifest recorded either way.
    pub fn with_salt(mut self, salt: impl Into<String>) -> MarkOptions {
        self.salt = Some(salt.into());
        self
    }

    /// Embedding strength as a PSNR in dB (30..=60; default 40.5).
    pub fn with_psnr(mut self, psnr: f32) -> Result<MarkOptions> {
        EdgemarkV3::new()?.with_psnr(psnr)?;
        self.psnr = psnr;
        Ok(self)
    }

    /// Decode limits for the images (decompression-bomb guard).
    pub fn with_limits(mut self, limits: Limits) -> MarkOptions {
        self.limits = limits;
        self
    }

    fn key_id(&self) -> String {
        hex(&Sha256::digest(self.key.as_bytes())[..8])
    }

    fn settings_match(&self, m: &Manifest) -> bool {
        m.recipient == self.recipient
            && m.payload == recipient_payload(&self.key, &m.salt, &self.recipient).to_hex()
            && m.fraction == self.fraction
            && m.psnr == self.psnr
            && m.key_id == self.key_id()
    }

    fn manifest(&self, salt: &str, files: Vec<FileEntry>, selected: u64) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            version: VERSION,
            recipient: self.recipient.clone(),
            scheme: EdgemarkV3::NAME.into(),
            payload: recipient_payload(&self.key, salt, &self.recipient).to_hex(),
            fraction: self.fraction,
            psnr: self.psnr,
            key_id: self.key_id(),
            salt: salt.to_string(),
            selected,
            marked: files.iter().filter(|f| f.action == Action::Marked).count() as u64,
            files,
        }
    }
}

/// Copies the folder `input` to `output` (never writing into `input`), marking a seeded subset
/// of `fraction` of its images (PNG, JPEG, WebP, BMP, TIFF; any depth) with `edgemark-v3`
/// carrying the recipient's payload; every other file is copied byte for byte. Writes the
/// manifest to `manifest_path` (outside `output`) and returns it.
///
/// - **Which images**: of the `n` markable images, the `round(fraction * n)` (at least one)
///   with the smallest SHA-256 of key, salt, recipient and relative path.
/// - **Formats**: a marked file keeps its name and format: PNG, BMP and TIFF losslessly, JPEG
///   at quality 95 (4:4:4), WebP as lossless WebP; metadata is not carried over. A selected
///   image that cannot be marked (too small, flat, corrupt) is copied, with a note.
/// - **Resumable**: every finished file is journalled next to the manifest
///   (`<manifest>.partial`); a re-run with the same options (and the salt the journal or
///   manifest recorded) skips files whose output is already there with the journalled digest
///   and the same selection, and a finished manifest is checked the same way (a re-run
///   repairs missing or changed outputs). A lock file (`<manifest>.lock`) keeps two runs from
///   writing the same copy at once.
/// - **Errors**: a file that cannot be read or written fails the run after every other file
///   is done (their results are journalled); the error lists up to 20 such files.
/// - **Parallel**: files are processed on all of rayon's threads; `progress` is called after
///   each one.
pub fn mark(
    input: &Path,
    output: &Path,
    manifest_path: &Path,
    opts: &MarkOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Manifest> {
    if !input.is_dir() {
        return Err(Error::config(format!(
            "{} is not a folder",
            input.display()
        )));
    }
    if files::is_within(output, input) || files::is_within(input, output) {
        return Err(Error::config(format!(
            "the copy {} and the dataset {} must not contain each other",
            output.display(),
            input.display()
        )));
    }
    if files::is_within(manifest_path, output) || files::is_within(manifest_path, input) {
        return Err(Error::config(format!(
            "the manifest {} must be outside the dataset and its copy (the recipient gets the copy; the owner keeps the manifest)",
            manifest_path.display()
        )));
    }
    let scheme = EdgemarkV3::new()?.with_psnr(opts.psnr)?;
    let _lock = Lock::take(manifest_path)?;
    let journal_path = journal_path(manifest_path);
    let (salt, resume) = previous_entries(manifest_path, &journal_path, opts)?;
    let salt = salt
        .or_else(|| opts.salt.clone())
        .unwrap_or_else(fresh_salt);
    let payload = recipient_payload(&opts.key, &salt, &opts.recipient);
    let all: Vec<(PathBuf, String)> = walk(input).collect::<Result<_>>()?;
    let selected = select(&all, opts, &salt);
    let journal = Mutex::new(open_journal(&journal_path, opts, &salt)?);

    let done = AtomicU64::new(0);
    let total = all.len() as u64;
    let entries: Vec<Result<FileEntry>> = all
        .par_iter()
        .map(|(abs, rel)| {
            let out = output.join(rel);
            let chosen = selected.contains(rel);
            let entry = match resume.get(rel) {
                Some(prev) if unchanged(abs, &out, prev, chosen)? => prev.clone(),
                _ => {
                    let e = process(abs, &out, rel, chosen, &scheme, &payload, opts)?;
                    let mut line = serde_json::to_vec(&e)
                        .map_err(|err| Error::config(format!("journal: {err}")))?;
                    line.push(b'\n');
                    let mut j = journal.lock().map_err(|_| Error::config("journal lock"))?;
                    j.write_all(&line).map_err(|err| io(&journal_path, err))?;
                    e
                }
            };
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(Progress { done: d, total });
            Ok(entry)
        })
        .collect();
    let mut files = Vec::with_capacity(entries.len());
    let mut errors = Vec::new();
    for e in entries {
        match e {
            Ok(f) => files.push(f),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        let n = errors.len();
        errors.truncate(20);
        return Err(Error::config(format!(
            "{n} file(s) failed (the others are journalled; fix these and run again): {}",
            errors.join("; ")
        )));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = opts.manifest(&salt, files, selected.len() as u64);
    write_atomic(manifest_path, &manifest.to_json()?)?;
    drop(journal);
    match std::fs::remove_file(&journal_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&journal_path, e)),
        _ => {}
    }
    Ok(manifest)
}

/// An exclusive lock on a manifest path (a `.lock` file created with `create_new`), removed
/// when dropped.
struct Lock(PathBuf);

impl Lock {
    fn take(manifest: &Path) -> Result<Lock> {
        let p = with_suffix(manifest, ".lock");
        create_parent(&p)?;
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(_) => Ok(Lock(p)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::config(format!(
                "{} exists: another `dataset mark` is writing this copy (if none is, an earlier run was killed: remove the file)",
                p.display()
            ))),
            Err(e) => Err(io(&p, e)),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The relative paths of the images chosen for marking.
fn select(all: &[(PathBuf, String)], opts: &MarkOptions, salt: &str) -> HashSet<String> {
    let mut ranked: Vec<([u8; 32], &String)> = all
        .iter()
        .filter(|(p, _)| extension(p).is_some_and(|e| MARKABLE.contains(&e.as_str())))
        .map(|(_, rel)| {
            let h = hash_parts(&[
                b"edgemark-dataset-select-v1",
                opts.key.as_bytes(),
                salt.as_bytes(),
                opts.recipient.as_bytes(),
                rel.as_bytes(),
            ]);
            (h, rel)
        })
        .collect();
    if ranked.is_empty() {
        return HashSet::new();
    }
    ranked.sort();
    let k = ((opts.fraction * ranked.len() as f64).round() as usize).clamp(1, ranked.len());
    ranked.into_iter().take(k).map(|(_, r)| r.clone()).collect()
}

fn journal_path(manifest: &Path) -> PathBuf {
    with_suffix(manifest, ".partial")
}

/// The salt and entries of an earlier run with the same options: a finished manifest and/or
/// the journal of an interrupted run. Either one made with other options is an error (it
/// would be overwritten).
type Previous = (Option<String>, HashMap<String, FileEntry>);

fn previous_entries(
    manifest_path: &Path,
    journal_path: &Path,
    opts: &MarkOptions,
) -> Result<Previous> {
    let mut prev = HashMap::new();
    let mut salt = None;
    if manifest_path.exists() {
        let m = Manifest::open(manifest_path)?;
        if !opts.settings_match(&m) {
            return Err(Error::config(format!(
                "{} is the manifest of another marking (recipient {:?}, payload {}, fraction {}; or another key); choose another manifest path",
                manifest_path.display(),
                m.recipient,
                m.payload,
                m.fraction
            )));
        }
        salt = Some(m.salt.clone());
        prev.extend(m.files.into_iter().map(|f| (f.path.clone(), f)));
    }
    let text = match std::fs::read_to_string(journal_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((salt, prev)),
        Err(e) => return Err(io(journal_path, e)),
    };
    let mut lines = text.lines();
    // An empty journal (killed before its header was written) is no journal.
    let Some(header) = lines.next().filter(|h| !h.trim().is_empty()) else {
        return Ok((salt, prev));
    };
    let journal_salt = serde_json::from_str::<serde_json::Value>(header)
        .ok()
        .and_then(|v| v.get("salt").and_then(|s| s.as_str()).map(String::from))
        .filter(|s| header == journal_header(opts, s))
        .filter(|s| salt.as_ref().is_none_or(|m| m == s))
        .ok_or_else(|| {
            Error::config(format!(
                "{} is an interrupted marking with other options; finish it with those, or remove it",
                journal_path.display()
            ))
        })?;
    // A line cut short by an interruption is skipped: that file is redone.
    for line in lines {
        if let Ok(e) = serde_json::from_str::<FileEntry>(line) {
            prev.insert(e.path.clone(), e);
        }
    }
    Ok((Some(journal_salt), prev))
}

fn journal_header(opts: &MarkOptions, salt: &str) -> String {
    serde_json::json!({
        "format": "edgemark-dataset-journal",
        "recipient": opts.recipient,
        "fraction": opts.fraction,
        "psnr": opts.psnr,
        "key_id": opts.key_id(),
        "salt": salt,
    })
    .to_string()
}

fn open_journal(path: &Path, opts: &MarkOptions, salt: &str) -> Result<std::fs::File> {
    create_parent(path)?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io(path, e))?;
    if f.metadata().map_err(|e| io(path, e))?.len() == 0 {
        writeln!(f, "{}", journal_header(opts, salt)).map_err(|e| io(path, e))?;
    }
    Ok(f)
}

/// Whether an earlier run's output for this file is still right: same original, same
/// selection (a selected image that could not be marked is retried), output there with the
/// recorded digest.
fn unchanged(input: &Path, out: &Path, prev: &FileEntry, selected: bool) -> Result<bool> {
    let action_ok = match prev.action {
        Action::Marked => selected,
        Action::Copied => !selected,
    };
    if !action_ok || !out.is_file() {
        return Ok(false);
    }
    Ok(hash_file(input)? == prev.original_sha256 && hash_file(out)? == prev.sha256)
}

fn process(
    input: &Path,
    out: &Path,
    rel: &str,
    selected: bool,
    scheme: &EdgemarkV3,
    payload: &Bits,
    opts: &MarkOptions,
) -> Result<FileEntry> {
    let ext = extension(input);
    let is_image = ext.as_deref().is_some_and(|e| files::READABLE.contains(&e));
    let mut note = match (&ext, is_image) {
        (Some(e), true) if e == "gif" => {
            Some("GIF: not marked (its palette would erase the mark)".to_string())
        }
        (_, false) => Some("not an image".to_string()),
        _ => None,
    };
    let digest = if selected {
        let bytes = files::read(input)?;
        match embed(&bytes, ext.as_deref(), scheme, payload, &opts.limits) {
            Ok((marked, how)) => {
                write_atomic(out, &marked)?;
                return Ok(FileEntry {
                    path: rel.to_string(),
                    action: Action::Marked,
                    original_sha256: sha256_hex(&bytes),
                    sha256: sha256_hex(&marked),
                    note: how,
                });
            }
            Err(e) => {
                // Copied from the bytes already read.
                note = Some(format!("selected, not marked: {e}"));
                write_atomic(out, &bytes)?;
                sha256_hex(&bytes)
            }
        }
    } else {
        copy_hashed(input, out)?
    };
    Ok(FileEntry {
        path: rel.to_string(),
        action: Action::Copied,
        sha256: digest.clone(),
        original_sha256: digest,
        note,
    })
}

/// The marked file's bytes in the input's format, and a note on what the format changed.
fn embed(
    bytes: &[u8],
    ext: Option<&str>,
    scheme: &EdgemarkV3,
    payload: &Bits,
    limits: &Limits,
) -> Result<(Vec<u8>, Option<String>)> {
    let (format, note) = match ext {
        Some("png") => (image::ImageFormat::Png, None),
        Some("jpg" | "jpeg") => (
            image::ImageFormat::Jpeg,
            Some("re-encoded as JPEG quality 95 (4:4:4)"),
        ),
        Some("webp") => (
            image::ImageFormat::WebP,
            Some("re-encoded as lossless WebP"),
        ),
        Some("bmp") => (image::ImageFormat::Bmp, None),
        Some("tif" | "tiff") => (image::ImageFormat::Tiff, None),
        _ => return Err(Error::config("format not markable")),
    };
    let image = Image::decode_with_limits(bytes, limits)?;
    let marked = scheme.embed(&image, payload)?;
    Ok((marked.encode(format)?, note.map(String::from)))
}
