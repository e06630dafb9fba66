//! Folder walks and file I/O for the dataset jobs: relative paths with `/`, atomic writes.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

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

/// Every regular file under `root`, in a stable (sorted) order, lazily: `(absolute, relative)`
/// with `/` separators in the relative path. Symbolic links are not followed.
pub(super) fn walk(root: &Path) -> impl Iterator<Item = Result<(PathBuf, String)>> + '_ {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(move |e| match e {
            Ok(e) if e.file_type().is_file() => {
                let rel = e
                    .path()
                    .strip_prefix(root)
                    .unwrap_or(e.path())
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                Some(Ok((e.path().to_path_buf(), rel)))
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

pub(super) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io(path, e))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so that
/// an interrupted run never leaves a half-written file under the final name.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".edgemark-partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

/// Whether `inner` is `outer` or lies inside it (both as given and canonicalized where they
/// exist).
pub(super) fn is_within(inner: &Path, outer: &Path) -> bool {
    let canon = |p: &Path| -> PathBuf {
        // The deepest existing ancestor canonicalized, the rest appended.
        let mut rest = Vec::new();
        let mut cur = p.to_path_buf();
        loop {
            if let Ok(c) = cur.canonicalize() {
                let mut c = c;
                for r in rest.iter().rev() {
                    c.push(r);
                }
                return c;
            }
            match (cur.file_name().map(|f| f.to_os_string()), cur.parent()) {
                (Some(f), Some(parent)) => {
                    rest.push(f);
                    cur = if parent.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        parent.to_path_buf()
                    };
                }
                _ => return p.to_path_buf(),
            }
        }
    };
    canon(inner).starts_with(canon(outer))
}
