//! Raw frames as C hands them over: a format, dimensions and up to three planes, turned into
//! an [`edgemark::Image`] after every pointer, length and stride has been checked.

use crate::error::Failure;
use edgemark::frame::{self, Plane};
use edgemark::{Image, Limits, PixelFormat};

/// Pixel layouts of [`EdgemarkFrame`].
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgemarkPixelFormat {
    /// R, G, B: 3 bytes a pixel; plane 0.
    Rgb8 = 1,
    /// B, G, R: 3 bytes a pixel; plane 0.
    Bgr8 = 2,
    /// R, G, B, A: 4 bytes a pixel; plane 0.
    Rgba8 = 3,
    /// B, G, R, A: 4 bytes a pixel; plane 0.
    Bgra8 = 4,
    /// One luma byte a pixel; plane 0.
    Gray8 = 5,
    /// YUV 4:2:0, BT.601 full range: plane 0 = Y, plane 1 = interleaved U, V.
    Nv12 = 6,
    /// YUV 4:2:0, BT.601 full range: plane 0 = Y, plane 1 = U, plane 2 = V.
    I420 = 7,
}

impl EdgemarkPixelFormat {
    fn from_u32(v: u32) -> Option<EdgemarkPixelFormat> {
        use EdgemarkPixelFormat as F;
        [
            F::Rgb8,
            F::Bgr8,
            F::Rgba8,
            F::Bgra8,
            F::Gray8,
            F::Nv12,
            F::I420,
        ]
        .into_iter()
        .find(|f| *f as u32 == v)
    }
}

/// One plane of a frame. The library only reads it, during the call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EdgemarkPlane {
    /// First byte of the plane's first row.
    pub data: *const u8,
    /// Bytes readable from `data`.
    pub len: usize,
    /// Bytes from one row to the next; 0 means tightly packed.
    pub stride: usize,
}

/// A raw frame: `format` is an `EdgemarkPixelFormat` value; unused planes are ignored.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EdgemarkFrame {
    /// An `EdgemarkPixelFormat` value.
    pub format: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Planes: 1 for interleaved formats, 2 for NV12, 3 for I420.
    pub planes: [EdgemarkPlane; 3],
}

/// The bytes of a plane as a slice, after the NULL / zero / size checks.
///
/// # Safety
/// `p.data` must point to `p.len` readable bytes (when not NULL).
unsafe fn bytes<'a>(p: &EdgemarkPlane, name: &str) -> Result<&'a [u8], Failure> {
    if p.data.is_null() {
        return Err(Failure::null(&format!("{name} plane data")));
    }
    if p.len == 0 {
        return Err(Failure::frame(format!("{name} plane length is 0")));
    }
    if p.len > isize::MAX as usize {
        return Err(Failure::frame(format!(
            "{name} plane length {} is not a valid buffer size",
            p.len
        )));
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(p.data, p.len) })
}

fn stride_or(stride: usize, packed: usize) -> usize {
    if stride == 0 {
        packed
    } else {
        stride
    }
}

/// Converts a C frame to an image.
///
/// # Safety
/// Each plane the format uses must point to `len` readable bytes (or be NULL).
pub(crate) unsafe fn to_image(f: &EdgemarkFrame, limits: &Limits) -> Result<Image, Failure> {
    use EdgemarkPixelFormat as F;
    let format = EdgemarkPixelFormat::from_u32(f.format)
        .ok_or_else(|| Failure::arg(format!("unknown pixel format {}", f.format)))?;
    if f.width == 0 || f.height == 0 {
        return Err(Failure::frame(format!(
            "zero width or height ({}x{})",
            f.width, f.height
        )));
    }
    let (cw, _) = frame::chroma_size(f.width, f.height);
    let w = f.width as usize;
    let image = match format {
        F::Nv12 => {
            // SAFETY: plane 0 points to `len` readable bytes or is NULL (this function's contract).
            let y = unsafe { bytes(&f.planes[0], "Y")? };
            // SAFETY: plane 1 points to `len` readable bytes or is NULL (this function's contract).
            let uv = unsafe { bytes(&f.planes[1], "UV")? };
            frame::from_nv12(
                f.width,
                f.height,
                Plane::new(y, stride_or(f.planes[0].stride, w)),
                Plane::new(uv, stride_or(f.planes[1].stride, 2 * cw)),
                limits,
            )?
        }
        F::I420 => {
            // SAFETY: plane 0 points to `len` readable bytes or is NULL (this function's contract).
            let y = unsafe { bytes(&f.planes[0], "Y")? };
            // SAFETY: plane 1 points to `len` readable bytes or is NULL (this function's contract).
            let u = unsafe { bytes(&f.planes[1], "U")? };
            // SAFETY: plane 2 points to `len` readable bytes or is NULL (this function's contract).
            let v = unsafe { bytes(&f.planes[2], "V")? };
            frame::from_i420(
                f.width,
                f.height,
                Plane::new(y, stride_or(f.planes[0].stride, w)),
                Plane::new(u, stride_or(f.planes[1].stride, cw)),
                Plane::new(v, stride_or(f.planes[2].stride, cw)),
                limits,
            )?
        }
        F::Rgb8 | F::Bgr8 | F::Rgba8 | F::Bgra8 | F::Gray8 => {
            let px = match format {
                F::Rgb8 => PixelFormat::Rgb8,
                F::Bgr8 => PixelFormat::Bgr8,
                F::Rgba8 => PixelFormat::Rgba8,
                F::Bgra8 => PixelFormat::Bgra8,
                _ => PixelFormat::Gray8,
            };
            // SAFETY: plane 0 points to `len` readable bytes or is NULL (this function's contract).
            let data = unsafe { bytes(&f.planes[0], "pixel")? };
            let stride = (f.planes[0].stride != 0).then_some(f.planes[0].stride);
            Image::from_raw(data, f.width, f.height, stride, px, limits)?
        }
    };
    Ok(image)
}
