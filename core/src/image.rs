//! Image input: encoded files (through the `image` crate, with limits against decompression
//! bombs) and raw pixel buffers with a stride, as cameras and browsers hand them over.
//!
//! Everything becomes an [`Image`]: 8-bit RGB, row-major, no padding, plus the alpha plane
//! when the source had one (so that embedding can write it back untouched).

use crate::error::{Error, Result};
use std::any::Any;
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// An 8-bit RGB image, row-major, `3 * width` bytes per row, no padding.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    alpha: Option<Vec<u8>>,
    memo: Memo,
}

/// Analyses of an image that several schemes share (e.g. the per-block values every
/// generator preset of `dwtDct` reads its votes from), computed once per detection. The
/// detector opens a session around its schemes ([`Image::memo_session`]); outside one nothing
/// is kept, so a scheme decoding the same image twice computes twice (and benchmarks time the
/// work). The pixels of an [`Image`] never change after it is made, so what is memoized stays
/// valid; a clone starts empty, and two images compare equal whatever their memos hold.
#[derive(Default)]
pub(crate) struct Memo {
    held: Mutex<Vec<(MemoKey, Arc<dyn Any + Send + Sync>)>>,
    /// Open sessions (detections running on this image, possibly on several threads).
    sessions: AtomicUsize,
}

/// What a memoized analysis is of: the analysis's kind and its parameters, packed by the
/// scheme that computes it.
pub(crate) type MemoKey = (&'static str, u64);

impl Clone for Memo {
    fn clone(&self) -> Memo {
        Memo::default()
    }
}
impl PartialEq for Memo {
    fn eq(&self, _: &Memo) -> bool {
        true
    }
}
impl Eq for Memo {}

/// An open memo session; closing the last one drops what was memoized.
pub(crate) struct MemoSession<'a>(&'a Memo);

impl Drop for MemoSession<'_> {
    fn drop(&mut self) {
        if self.0.sessions.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0
                .held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
        }
    }
}

impl Image {
    /// Opens a memo session: until it is dropped, [`Image::memo`] keeps what it computes.
    pub(crate) fn memo_session(&self) -> MemoSession<'_> {
        self.memo.sessions.fetch_add(1, Ordering::AcqRel);
        MemoSession(&self.memo)
    }

    /// The analysis `key` of this image: inside a session memoized (computed by `make` at most
    /// once per key; `T` must be the type `make` returned before for that key, or the value is
    /// computed again and replaced), outside one computed every time. `make` runs with the
    /// memo locked, so it must not call `memo` itself (nothing does).
    pub(crate) fn memo<T: Any + Send + Sync>(
        &self,
        key: MemoKey,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        if self.memo.sessions.load(Ordering::Acquire) == 0 {
            return Arc::new(make());
        }
        let mut held = self.memo.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pos) = held.iter().position(|(k, _)| *k == key) {
            if let Ok(v) = Arc::clone(&held[pos].1).downcast::<T>() {
                return v;
            }
            held.remove(pos);
        }
        let v = Arc::new(make());
        held.push((key, Arc::clone(&v) as Arc<dyn Any + Send + Sync>));
        v
    }
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("alpha", &self.alpha.is_some())
            .finish()
    }
}

/// Bounds applied before any pixel is decoded or allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted width in pixels.
    pub max_width: u32,
    /// Largest accepted height in pixels.
    pub max_height: u32,
    /// Largest accepted `width * height`.
    pub max_pixels: u64,
}

impl Default for Limits {
    /// 16384 x 16384 at most, and 64 megapixels in all (about 200 MB of RGB).
    fn default() -> Self {
        Limits {
            max_width: 16_384,
            max_height: 16_384,
            max_pixels: 64 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Returns an error when `width x height` breaks these limits.
    pub fn check(&self, width: u64, height: u64) -> Result<()> {
        if width > u64::from(self.max_width)
            || height > u64::from(self.max_height)
            || width.saturating_mul(height) > self.max_pixels
        {
            return Err(Error::TooLarge {
                width,
                height,
                max_width: self.max_width,
                max_height: self.max_height,
                max_pixels: self.max_pixels,
            });
        }
        Ok(())
    }
}

/// Layout of one pixel in a raw interleaved buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
    /// R, G, B: 3 bytes a pixel.
    Rgb8,
    /// R, G, B, A: 4 bytes a pixel (browser `ImageData`).
    Rgba8,
    /// B, G, R: 3 bytes a pixel (OpenCV).
    Bgr8,
    /// B, G, R, A: 4 bytes a pixel.
    Bgra8,
    /// One luma byte a pixel.
    Gray8,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Rgb8 | PixelFormat::Bgr8 => 3,
            PixelFormat::Rgba8 | PixelFormat::Bgra8 => 4,
            PixelFormat::Gray8 => 1,
        }
    }
}

impl Image {
    /// Wraps an RGB buffer of exactly `3 * width * height` bytes.
    pub fn from_rgb(width: u32, height: u32, rgb: Vec<u8>) -> Result<Image> {
        let expected = pixel_count(width, height)?.checked_mul(3);
        if expected != Some(rgb.len()) {
            return Err(Error::frame(format!(
                "RGB buffer of {} bytes does not match {width}x{height} (needs {} bytes)",
                rgb.len(),
                3 * u64::from(width) * u64::from(height)
            )));
        }
        if width == 0 || height == 0 {
            return Err(Error::frame("zero width or height"));
        }
        Ok(Image {
            width,
            height,
            rgb,
            alpha: None,
            memo: Memo::default(),
        })
    }

    /// Copies a raw interleaved frame. `stride` is the number of bytes from one row to the
    /// next (`None`: tightly packed). Checks every size before reading a byte.
    pub fn from_raw(
        data: &[u8],
        width: u32,
        height: u32,
        stride: Option<usize>,
        format: PixelFormat,
        limits: &Limits,
    ) -> Result<Image> {
        if width == 0 || height == 0 {
            return Err(Error::frame("zero width or height"));
        }
        limits.check(width.into(), height.into())?;
        let bpp = format.bytes_per_pixel();
        let row_bytes = (width as usize)
            .checked_mul(bpp)
            .ok_or_else(|| Error::frame("row size overflows"))?;
        let stride = stride.unwrap_or(row_bytes);
        check_rows(
            &format!("{format:?} buffer"),
            data.len(),
            row_bytes,
            height as usize,
            stride,
        )?;
        let n = width as usize * height as usize;
        let mut rgb = Vec::with_capacity(n * 3);
        let has_alpha = matches!(format, PixelFormat::Rgba8 | PixelFormat::Bgra8);
        let mut alpha = if has_alpha {
            Vec::with_capacity(n)
        } else {
            Vec::new()
        };
        for y in 0..height as usize {
            let row = &data[y * stride..y * stride + row_bytes];
            match format {
                PixelFormat::Rgb8 => rgb.extend_from_slice(row),
                PixelFormat::Bgr8 => {
                    for p in row.chunks_exact(3) {
                        rgb.extend_from_slice(&[p[2], p[1], p[0]]);
                    }
                }
                PixelFormat::Rgba8 => {
                    for p in row.chunks_exact(4) {
                        rgb.extend_from_slice(&p[..3]);
                        alpha.push(p[3]);
                    }
                }
                PixelFormat::Bgra8 => {
                    for p in row.chunks_exact(4) {
                        rgb.extend_from_slice(&[p[2], p[1], p[0]]);
                        alpha.push(p[3]);
                    }
                }
                PixelFormat::Gray8 => {
                    for &v in row {
                        rgb.extend_from_slice(&[v, v, v]);
                    }
                }
            }
        }
        Ok(Image {
            width,
            height,
            rgb,
            alpha: has_alpha.then_some(alpha),
            memo: Memo::default(),
        })
    }

    /// Decodes an encoded image (PNG, JPEG, WebP, GIF, BMP, TIFF) with the default [`Limits`].
    pub fn decode(bytes: &[u8]) -> Result<Image> {
        Image::decode_with_limits(bytes, &Limits::default())
    }

    /// Decodes an encoded image; the header's dimensions are checked against `limits` before
    /// any pixel buffer is allocated.
    pub fn decode_with_limits(bytes: &[u8], limits: &Limits) -> Result<Image> {
        if bytes.is_empty() {
            return Err(Error::Empty);
        }
        let reader = image::ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| Error::decode_from("", e))?;
        if reader.format().is_none() {
            return Err(Error::decode(
                "unrecognised format (not PNG, JPEG, WebP, GIF, BMP or TIFF)",
            ));
        }
        let (w, h) = reader
            .into_dimensions()
            .map_err(|e| Error::decode_from("", e))?;
        limits.check(w.into(), h.into())?;
        if w == 0 || h == 0 {
            return Err(Error::decode("image has zero width or height"));
        }
        let mut reader = image::ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| Error::decode_from("", e))?;
        let mut il = image::Limits::default();
        il.max_image_width = Some(limits.max_width);
        il.max_image_height = Some(limits.max_height);
        // Room for the decoded frame in its widest native layout (16-bit RGBA) plus slack.
        il.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(64 << 20));
        reader.limits(il);
        let dynimg = reader.decode().map_err(|e| Error::decode_from("", e))?;
        Ok(Image::from_dynamic(dynimg))
    }

    /// Reads and decodes a file.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Image> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Image::decode(&bytes)
    }

    fn from_dynamic(img: image::DynamicImage) -> Image {
        let (width, height) = (img.width(), img.height());
        if img.color().has_alpha() {
            let rgba = img.into_rgba8();
            let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
            let mut alpha = Vec::with_capacity(width as usize * height as usize);
            for p in rgba.pixels() {
                rgb.extend_from_slice(&p.0[..3]);
                alpha.push(p.0[3]);
            }
            Image {
                width,
                height,
                rgb,
                alpha: Some(alpha),
                memo: Memo::default(),
            }
        } else {
            Image {
                width,
                height,
                rgb: img.into_rgb8().into_raw(),
                alpha: None,
                memo: Memo::default(),
            }
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }
    /// The RGB bytes, `3 * width * height` of them.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }
    /// The alpha plane, when the source had one.
    pub fn alpha(&self) -> Option<&[u8]> {
        self.alpha.as_deref()
    }
    /// Takes the RGB bytes out.
    pub fn into_rgb(self) -> Vec<u8> {
        self.rgb
    }

    /// A copy with new RGB pixels and the same alpha plane (what embedding returns).
    pub(crate) fn with_rgb(&self, rgb: Vec<u8>) -> Image {
        debug_assert_eq!(rgb.len(), self.rgb.len());
        Image {
            width: self.width,
            height: self.height,
            rgb,
            alpha: self.alpha.clone(),
            memo: Memo::default(),
        }
    }

    /// Encodes as PNG (RGBA when there is an alpha plane).
    pub fn to_png(&self) -> Result<Vec<u8>> {
        self.encode(image::ImageFormat::Png)
    }

    /// Encodes in the format that the file name's extension names (png, jpg/jpeg, webp, bmp, tiff).
    /// JPEG is written at quality 95 with the `image` crate's encoder.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let format = image::ImageFormat::from_path(path)
            .map_err(|_| Error::config(format!("unknown output format for {}", path.display())))?;
        let bytes = self.encode(format)?;
        std::fs::write(path, bytes).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Encodes in the given format.
    pub fn encode(&self, format: image::ImageFormat) -> Result<Vec<u8>> {
        let mut out = Cursor::new(Vec::new());
        let err = |e: image::ImageError| Error::decode_from("cannot encode", e);
        match format {
            image::ImageFormat::Jpeg => {
                let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95);
                image::ImageEncoder::write_image(
                    enc,
                    &self.rgb,
                    self.width,
                    self.height,
                    image::ExtendedColorType::Rgb8,
                )
                .map_err(err)?;
            }
            _ => match &self.alpha {
                Some(a) => {
                    let mut rgba = Vec::with_capacity(a.len() * 4);
                    for (p, &al) in self.rgb.chunks_exact(3).zip(a) {
                        rgba.extend_from_slice(&[p[0], p[1], p[2], al]);
                    }
                    image::RgbaImage::from_raw(self.width, self.height, rgba)
                        .ok_or_else(|| Error::frame("RGBA buffer size"))?
                        .write_to(&mut out, format)
                        .map_err(err)?;
                }
                None => {
                    image::RgbImage::from_raw(self.width, self.height, self.rgb.clone())
                        .ok_or_else(|| Error::frame("RGB buffer size"))?
                        .write_to(&mut out, format)
                        .map_err(err)?;
                }
            },
        }
        Ok(out.into_inner())
    }
}

/// Peak signal-to-noise ratio in dB between two images of the same size (over the RGB
/// samples); infinite for identical images, NaN when the sizes differ.
pub fn psnr(a: &Image, b: &Image) -> f64 {
    if a.width != b.width || a.height != b.height {
        return f64::NAN;
    }
    let sse: f64 = a
        .rgb
        .iter()
        .zip(&b.rgb)
        .map(|(&p, &q)| (f64::from(p) - f64::from(q)).powi(2))
        .sum();
    if sse == 0.0 {
        return f64::INFINITY;
    }
    10.0 * (255.0f64 * 255.0 / (sse / a.rgb.len() as f64)).log10()
}

/// Checks that a buffer of `len` bytes holds `rows` (at least 1) rows of `row_bytes` bytes,
/// `stride` bytes apart (the last row needs only its own bytes); `what` names the buffer in
/// the errors (invalid frame). Returns the bytes needed. Every caller-supplied pixel buffer
/// (frames, planes, overlay targets) is checked here before a byte is read or written.
pub(crate) fn check_rows(
    what: &str,
    len: usize,
    row_bytes: usize,
    rows: usize,
    stride: usize,
) -> Result<usize> {
    if stride < row_bytes {
        return Err(Error::frame(format!(
            "{what} stride {stride} is smaller than a row ({row_bytes} bytes)"
        )));
    }
    let needed = stride
        .checked_mul(rows.saturating_sub(1))
        .and_then(|v| v.checked_add(row_bytes))
        .ok_or_else(|| Error::frame(format!("{what} size overflows")))?;
    if len < needed {
        return Err(Error::frame(format!(
            "{what} of {len} bytes is too short for {rows} rows of {row_bytes} bytes with stride {stride} (needs {needed})"
        )));
    }
    Ok(needed)
}

fn pixel_count(width: u32, height: u32) -> Result<usize> {
    (width as usize)
        .checked_mul(height as usize)
        .ok_or_else(|| Error::frame("dimensions overflow"))
}

#[cfg(test)]
mod tests {
    use super::Image;

    #[test]
    fn memo_keeps_analyses_only_inside_a_session() {
        let img = Image::from_rgb(2, 1, vec![0; 6]).unwrap();
        let calls = std::cell::Cell::new(0);
        let get = || *img.memo(("test", 1), || calls.replace(calls.get() + 1));
        get();
        get();
        assert_eq!(calls.get(), 2, "outside a session nothing is kept");
        {
            let outer = img.memo_session();
            let inner = img.memo_session();
            assert_eq!((get(), get()), (2, 2), "computed once inside");
            drop(inner);
            assert_eq!(get(), 2, "kept while a session is open");
            drop(outer);
        }
        let _s = img.memo_session();
        assert_eq!(get(), 3, "dropped when the last session closed");
    }
}
