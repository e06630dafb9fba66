//! Loading a folder of cover images.

use crate::error::{Error, Result};
use edgemark::Image;
use std::path::{Path, PathBuf};

/// One cover image.
#[derive(Clone, Debug)]
pub struct Cover {
    /// File name.
    pub name: String,
    /// RGB pixels (alpha dropped), centre-cropped to the size limit.
    pub image: Image,
}

const EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff"];

/// The image files directly in `dir` (by extension), sorted by file name; an error when
/// there are none.
pub fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Config(format!("no images in {}", dir.display())));
    }
    Ok(files)
}

/// Loads `files` as covers, each centre-cropped to at most `max_side` x `max_side`
/// (`0`: no crop).
pub fn load_files(files: &[PathBuf], max_side: u32) -> Result<Vec<Cover>> {
    files
        .iter()
        .map(|p| {
            let img = Image::open(p)?;
            Ok(Cover {
                name: p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                image: center_crop(&img, max_side)?,
            })
        })
        .collect()
}

/// Loads the images directly in `dir`, sorted by file name, at most `limit` of them, each
/// centre-cropped to at most `max_side` x `max_side` (`0`: no crop).
pub fn load_dir(dir: &Path, limit: Option<usize>, max_side: u32) -> Result<Vec<Cover>> {
    let mut files = list_dir(dir)?;
    files.truncate(limit.unwrap_or(usize::MAX));
    load_files(&files, max_side)
}

/// Centre crop to at most `max_side` x `max_side` (`0`: unchanged); drops alpha.
pub fn center_crop(img: &Image, max_side: u32) -> Result<Image> {
    let limit = if max_side == 0 { u32::MAX } else { max_side };
    let (w, h) = (img.width().min(limit), img.height().min(limit));
    let (x0, y0) = ((img.width() - w) / 2, (img.height() - h) / 2);
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in y0..y0 + h {
        let row = (y * img.width() + x0) as usize * 3;
        rgb.extend_from_slice(&img.rgb()[row..row + w as usize * 3]);
    }
    Ok(Image::from_rgb(w, h, rgb)?)
}

/// Which side of the training split a cover is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Split {
    /// A photo the model was trained on.
    Train,
    /// A photo held out of training.
    HeldOut,
}

impl Split {
    /// `train` or `held-out`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::HeldOut => "held-out",
        }
    }
}

/// The training split of `models/train` (`edgemark_train::data::split`): of the files
/// sorted by name (as [`list_dir`] returns them), the one at index `i` is held out when
/// `i % every == every - 1` (every 5th from the 5th with `every` 5); `every` 0 holds none
/// out. Apply it to the whole folder *before* any `--limit`, so "held out" means what
/// training did not see.
pub fn split_every(files: &[PathBuf], every: usize) -> Vec<Split> {
    (0..files.len())
        .map(|i| {
            if every > 0 && i % every == every - 1 {
                Split::HeldOut
            } else {
                Split::Train
            }
        })
        .collect()
}

/// Holds out the files whose file names are in `names` (exact match); an error naming
/// the entries of `names` that are not among `files`.
pub fn split_named(files: &[PathBuf], names: &[String]) -> Result<Vec<Split>> {
    let file_names: Vec<String> = files
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !file_names.contains(n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(Error::Config(format!(
            "held-out list names files that are not covers: {}",
            missing.join(", ")
        )));
    }
    Ok(file_names
        .iter()
        .map(|n| {
            if names.contains(n) {
                Split::HeldOut
            } else {
                Split::Train
            }
        })
        .collect())
}
