//! Pixels to model tensors and back, as a model card describes them.

use super::card::{Axis, Colour, Filter, InputSpec, Quantize};
use crate::error::{Error, Result};
use crate::image::Image;
use tract_onnx::prelude::Tensor;

/// A rectangle of the image, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub x0: u32,
    pub y0: u32,
    pub w: u32,
    pub h: u32,
}

impl Window {
    /// The whole image.
    pub fn full(image: &Image) -> Window {
        Window {
            x0: 0,
            y0: 0,
            w: image.width(),
            h: image.height(),
        }
    }

    /// The central `w x h` window (clipped to the image).
    pub fn centre(image: &Image, w: u32, h: u32) -> Window {
        let (w, h) = (w.min(image.width()), h.min(image.height()));
        Window {
            x0: (image.width() - w) / 2,
            y0: (image.height() - h) / 2,
            w,
            h,
        }
    }

    /// A grid of at most `max` windows of `w x h` (clipped to the image) spread evenly over
    /// it: as many columns and rows as cover the image, fewer (from the side with more, on a
    /// tie the image's shorter side) when that is more than `max`; the first and last windows touch the image's edges, the
    /// others are evenly spaced between them (overlapping where the sides are not whole
    /// multiples). One column or row is centred.
    pub fn grid(image: &Image, w: u32, h: u32, max: u32) -> Vec<Window> {
        let (iw, ih) = (image.width(), image.height());
        let (w, h) = (w.min(iw).max(1), h.min(ih).max(1));
        let (mut nx, mut ny) = (iw.div_ceil(w), ih.div_ceil(h));
        while u64::from(nx) * u64::from(ny) > u64::from(max.max(1)) {
            // Fewer along the side with more windows; on a tie, along the image's shorter side
            // (a wide image keeps its columns).
            if nx > ny || (nx == ny && iw < ih) {
                nx -= 1;
            } else {
                ny -= 1;
            }
        }
        let at = |i: u32, n: u32, side: u32, len: u32| {
            if n == 1 {
                (len - side) / 2
            } else {
                ((u64::from(i) * u64::from(len - side) + u64::from(n - 1) / 2) / u64::from(n - 1))
                    as u32
            }
        };
        let mut out = Vec::with_capacity(nx as usize * ny as usize);
        for j in 0..ny {
            for i in 0..nx {
                out.push(Window {
                    x0: at(i, nx, w, iw),
                    y0: at(j, ny, h, ih),
                    w,
                    h,
                });
            }
        }
        out
    }

    /// This window cut down about its centre to sides that are multiples of `m` (`None`
    /// when a side is shorter than `m`).
    pub fn multiple_of(self, m: u32) -> Option<Window> {
        let m = m.max(1);
        let (w, h) = (self.w / m * m, self.h / m * m);
        (w > 0 && h > 0).then_some(Window {
            x0: self.x0 + (self.w - w) / 2,
            y0: self.y0 + (self.h - h) / 2,
            w,
            h,
        })
    }
}

/// Strides of the C, H, W axes in a tensor of `spec`'s layout holding a `w x h` image.
fn strides(spec: &InputSpec, w: usize, h: usize) -> Result<(Vec<usize>, [usize; 3])> {
    let axes = spec.axes()?;
    let shape = spec.shape(1, w, h)?;
    let mut stride = vec![0usize; shape.len()];
    let mut acc = 1usize;
    for i in (0..shape.len()).rev() {
        stride[i] = acc;
        acc *= shape[i];
    }
    let find = |a: Axis| axes.iter().position(|&x| x == a).map_or(0, |i| stride[i]);
    Ok((
        shape,
        [find(Axis::Channel), find(Axis::Height), find(Axis::Width)],
    ))
}

fn channel_source(colour: Colour, c: usize) -> usize {
    match colour {
        Colour::Rgb => c,
        Colour::Bgr => 2 - c,
    }
}

/// The window of `rgb` (`width` pixels a row) as a normalized input tensor.
fn tensor_from_rgb(spec: &InputSpec, rgb: &[u8], width: usize, win: Window) -> Result<Tensor> {
    let (w, h) = (win.w as usize, win.h as usize);
    let (shape, [sc, sh, sw]) = strides(spec, w, h)?;
    let mut data = vec![0f32; 3 * w * h];
    for y in 0..h {
        let row = ((win.y0 as usize + y) * width + win.x0 as usize) * 3;
        for x in 0..w {
            let px = &rgb[row + 3 * x..row + 3 * x + 3];
            for c in 0..3 {
                let v = f32::from(px[channel_source(spec.colour, c)]);
                data[c * sc + y * sh + x * sw] = v / spec.scale + spec.offset;
            }
        }
    }
    Tensor::from_shape(&shape, &data)
        .map_err(|e| Error::model_from(format!("input tensor: {e:#}"), e))
}

/// The window of the image as the model's input tensor.
pub(crate) fn crop_tensor(spec: &InputSpec, image: &Image, win: Window) -> Result<Tensor> {
    tensor_from_rgb(spec, image.rgb(), image.width() as usize, win)
}

fn filter_type(f: Filter) -> image::imageops::FilterType {
    match f {
        Filter::Nearest => image::imageops::FilterType::Nearest,
        Filter::Triangle => image::imageops::FilterType::Triangle,
        Filter::CatmullRom => image::imageops::FilterType::CatmullRom,
        Filter::Lanczos3 => image::imageops::FilterType::Lanczos3,
    }
}

/// The window of `image` resized to `w x h` with the card's filter.
pub(crate) fn resample(
    spec: &InputSpec,
    image: &Image,
    win: Window,
    w: u32,
    h: u32,
) -> Result<Image> {
    let mut rgb = Vec::with_capacity(win.w as usize * win.h as usize * 3);
    let width = image.width() as usize;
    for y in win.y0..win.y0 + win.h {
        let row = (y as usize * width + win.x0 as usize) * 3;
        rgb.extend_from_slice(&image.rgb()[row..row + win.w as usize * 3]);
    }
    let buf = image::RgbImage::from_raw(win.w, win.h, rgb)
        .ok_or_else(|| Error::InvalidFrame("RGB buffer does not match its size".into()))?;
    let out = image::imageops::resize(&buf, w.max(1), h.max(1), filter_type(spec.filter));
    Image::from_rgb(out.width(), out.height(), out.into_raw())
}

/// The whole image resized to the card's input size.
pub(crate) fn resized_tensor(spec: &InputSpec, image: &Image) -> Result<Tensor> {
    let small = resample(spec, image, Window::full(image), spec.width, spec.height)?;
    crop_tensor(spec, &small, Window::full(&small))
}

/// Writes a model's image output (same layout and normalization as the input) back into the
/// window of a copy of `image`: clamped to 0..=255, then truncated or rounded.
pub(crate) fn paste_output(
    spec: &InputSpec,
    quantize: Quantize,
    image: &Image,
    win: Window,
    out: &Tensor,
) -> Result<Image> {
    let (w, h) = (win.w as usize, win.h as usize);
    let (shape, [sc, sh, sw]) = strides(spec, w, h)?;
    if out.shape() != shape.as_slice() {
        return Err(Error::model(format!(
            "encoder output has shape {:?}, expected {shape:?} (the input's)",
            out.shape()
        )));
    }
    let values: Vec<f32> = out
        .to_plain_array_view::<f32>()
        .map_err(|e| Error::model_from(format!("encoder output is not float32: {e:#}"), e))?
        .iter()
        .copied()
        .collect();
    let (lo, hi) = (spec.offset, 255.0 / spec.scale + spec.offset);
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let width = image.width() as usize;
    let mut rgb = image.rgb().to_vec();
    for y in 0..h {
        let row = ((win.y0 as usize + y) * width + win.x0 as usize) * 3;
        for x in 0..w {
            for c in 0..3 {
                let v = values[c * sc + y * sh + x * sw].clamp(lo, hi);
                let p = (v - spec.offset) * spec.scale;
                let p = match quantize {
                    Quantize::Truncate => p,
                    Quantize::Round => p.round(),
                };
                rgb[row + 3 * x + channel_source(spec.colour, c)] = p.clamp(0.0, 255.0) as u8;
            }
        }
    }
    Ok(image.with_rgb(rgb))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: u32, h: u32) -> Image {
        Image::from_rgb(w, h, vec![0; (w * h * 3) as usize]).unwrap()
    }

    #[test]
    fn grids_cover_the_image_and_respect_the_cap() {
        let pos = |g: &[Window]| g.iter().map(|w| (w.x0, w.y0)).collect::<Vec<_>>();
        // 512x384: two columns, two rows (the rows overlap by 128).
        let g = Window::grid(&image(512, 384), 256, 256, 16);
        assert_eq!(pos(&g), [(0, 0), (256, 0), (0, 128), (256, 128)]);
        assert!(g.iter().all(|w| (w.w, w.h) == (256, 256)));
        // 1024x768 needs 4 x 3; capped at 4: 2 x 2 at the corners.
        let g = Window::grid(&image(1024, 768), 256, 256, 4);
        assert_eq!(pos(&g), [(0, 0), (768, 0), (0, 512), (768, 512)]);
        // 1000x256 with 16: 4 columns evenly spaced, edges touched.
        let g = Window::grid(&image(1000, 256), 256, 256, 16);
        assert_eq!(pos(&g), [(0, 0), (248, 0), (496, 0), (744, 0)]);
        // 512x384 capped at 2: two columns in the middle row (a wide image keeps its columns).
        let g = Window::grid(&image(512, 384), 256, 256, 2);
        assert_eq!(pos(&g), [(0, 64), (256, 64)]);
        // A cap of 1, or an image no larger than a window: the central window.
        assert_eq!(
            pos(&Window::grid(&image(700, 500), 256, 256, 1)),
            [(222, 122)]
        );
        let g = Window::grid(&image(200, 100), 256, 256, 16);
        assert_eq!((pos(&g), g[0].w, g[0].h), (vec![(0, 0)], 200, 100));
    }
}
