//! Folder walks and file I/O for the dataset jobs: relative paths with `/`, atomic writes.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Extensions EdgeMark can decode and write back losslessly enough to mark (JPEG at
/// quality 95, 4:4:4; WebP as lossless).
pub(super) const MARKABLE: &[&str] = &["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff"];
/// Extensions read as images by the audit (GIF too: a recipient may have converted).
pub(super) const READABLE: &[&str] = &["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff", "gif"];

pub(super) fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The lower-case extension of a path.
pub(super) fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Every regular file under `root` (symbolic links followed, loops reported), in a stable
/// (sorted) order, lazily: `(absolute, relative)` with `/` separators in the relative path. A
/// name that is not UTF-8 is an error item (the manifest names files in UTF-8; a lossy name
/// could collide with another).
pub(super) fn walk(root: &Path) -> impl Iterator<Item = Result<(PathBuf, String)>> + '_ {
    walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_map(move |e| match e {
            Ok(e) if e.file_type().is_file() => {
                let parts: Option<Vec<&str>> = e
                    .path()
                    .strip_prefix(root)
                    .unwrap_or(e.path())
                    .components()
                    .map(|c| c.as_os_str().to_str())
                    .collect();
                Some(match parts {
                    Some(p) => Ok((e.path().to_path_buf(), p.join("/"))),
                    None => Err(Error::config(format!(
                        "{}: the file name is not UTF-8; rename it",
                        e.path().display()
                    ))),
                })
            }
            Ok(_) => None,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_default();
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("file system loop"));
                Some(Err(io(&path, source)))
            }
        })
}

/// Reads a whole file.
pub(super) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io(path, e))
}

/// A temporary name beside `path`, unique to this process and call.
fn temp_beside(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".edgemark-{}-{n}.partial", std::process::id()));
    path.with_file_name(name)
}

/// `path` with `suffix` appended to its last component (`m.json` -> `m.json.lock`).
pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Creates the folder `path` will be written in.
pub(super) fn create_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))
        }
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so that
/// an interrupted run never leaves a half-written file under the final name.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    create_parent(path)?;
    let tmp = temp_beside(path);
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(path, e)
    })
}

/// SHA-256 (hex) of a file, read in chunks.
pub(super) fn hash_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(super::hex(&h.finalize()))
}

/// Copies `src` to `dst` (atomically, as [`write_atomic`]) in chunks, returning the SHA-256
/// (hex) of the bytes copied.
pub(super) fn copy_hashed(src: &Path, dst: &Path) -> Result<String> {
    create_parent(dst)?;
    let tmp = temp_beside(dst);
    let result = (|| {
        let mut from = std::fs::File::open(src).map_err(|e| io(src, e))?;
        let mut to = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = from.read(&mut buf).map_err(|e| io(src, e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            to.write_all(&buf[..n]).map_err(|e| io(&tmp, e))?;
        }
        to.flush().map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, dst).map_err(|e| io(dst, e))?;
        Ok(super::hex(&h.finalize()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `path` made absolute and normalized without touching the file system (`.` dropped, `..`
/// pops a component), then the deepest existing ancestor canonicalized (symbolic links
/// resolved) with the rest appended.
fn resolve(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut lexical = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other),
        }
    }
    let mut rest = Vec::new();
    let mut cur = lexical.clone();
    loop {
        if let Ok(mut c) = cur.canonicalize() {
            for r in rest.iter().rev() {
                c.push(r);
            }
            return c;
        }
        match (cur.file_name().map(|f| f.to_os_string()), cur.parent()) {
            (Some(f), Some(parent)) => {
                rest.push(f);
                cur = parent.to_path_buf();
            }
            _ => return lexical,
        }
    }
}

/// Whether `inner` is `outer` or lies inside it.
pub(super) fn is_within(inner: &Path, outer: &Path) -> bool {
    resolve(inner).starts_with(resolve(outer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_sees_through_dot_dot_and_missing_folders() {
        let base = std::env::temp_dir().join(format!("edgemark-within-{}", std::process::id()));
        let data = base.join("data");
        std::fs::create_dir_all(&data).unwrap();
        assert!(is_within(&base.join("new/../data/copy"), &data));
        assert!(is_within(&base.join("data/./x/y"), &data));
        assert!(!is_within(&base.join("data-copy"), &data));
        assert!(!is_within(&base.join("new/copy"), &data));
        std::fs::remove_dir_all(&base).unwrap();
    }
}
