//! Expands the command line's paths into image files.

use std::path::{Path, PathBuf};

const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"];

fn is_image(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Files named directly are always taken (so that a wrongly named file gets a clear error);
/// folders are walked recursively for image extensions, in sorted order. Paths that do not
/// exist come back separately with their error.
pub fn collect(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for p in paths {
        if p.is_dir() {
            for entry in walkdir::WalkDir::new(p).sort_by_file_name() {
                match entry {
                    Ok(e) if e.file_type().is_file() && is_image(e.path()) => {
                        files.push(e.into_path())
                    }
                    Ok(_) => {}
                    Err(e) => missing.push((p.clone(), e.to_string())),
                }
            }
        } else if p.exists() {
            files.push(p.clone());
        } else {
            missing.push((p.clone(), "no such file or directory".to_string()));
        }
    }
    (files, missing)
}
