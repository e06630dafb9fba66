//! Codec round trips: PNG, JPEG (4:2:0 or 4:4:4, via the `jpeg-encoder` crate) and lossy
//! WebP (libwebp, compiled from the source vendored in the `libwebp-sys` crate).
//!
//! `jpeg-encoder` subsamples chroma by taking one sample of each 2x2 block (decimation);
//! libjpeg, PIL and browsers average the block. For 4:2:0 the chroma is therefore averaged
//! over each 2x2 block here first (JFIF YCbCr, luma kept), so the encoder's decimation picks
//! the average and the result matches libjpeg's downsampling.

use super::Chroma;
use crate::error::{Error, Result};
use edgemark::Image;

/// Encodes as PNG and decodes again (lossless: the pixels come back unchanged).
pub fn png_round_trip(image: &Image) -> Result<Image> {
    let bytes = image.to_png()?;
    Ok(Image::decode(&bytes)?)
}

/// Encodes as JPEG at `quality` with the given chroma subsampling and decodes again.
pub fn jpeg(image: &Image, quality: u8, chroma: Chroma) -> Result<Image> {
    let (w, h) = dims16(image, "JPEG")?;
    let averaged;
    let rgb = match chroma {
        Chroma::Sub420 => {
            averaged = average_chroma_2x2(image.rgb(), usize::from(w), usize::from(h));
            &averaged
        }
        Chroma::Full444 => image.rgb(),
    };
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
    enc.set_sampling_factor(match chroma {
        Chroma::Sub420 => jpeg_encoder::SamplingFactor::R_4_2_0,
        Chroma::Full444 => jpeg_encoder::SamplingFactor::R_4_4_4,
    });
    enc.encode(rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| Error::Encode {
            format: "JPEG",
            message: e.to_string(),
        })?;
    Ok(Image::decode(&out)?)
}

/// Encodes as lossy WebP at `quality` (0-100) and decodes again.
pub fn webp(image: &Image, quality: u8) -> Result<Image> {
    dims16(image, "WebP")?;
    let enc = webp::Encoder::from_rgb(image.rgb(), image.width(), image.height());
    let mem = enc
        .encode_simple(false, f32::from(quality.min(100)))
        .map_err(|e| Error::Encode {
            format: "WebP",
            message: format!("{e:?}"),
        })?;
    Ok(Image::decode(&mem)?)
}

fn dims16(image: &Image, format: &'static str) -> Result<(u16, u16)> {
    match (u16::try_from(image.width()), u16::try_from(image.height())) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 => Ok((w, h)),
        _ => Err(Error::Encode {
            format,
            message: format!("{}x{} is too large", image.width(), image.height()),
        }),
    }
}

/// Replaces Cb and Cr (JFIF) of every 2x2 block by the block's mean, keeping each pixel's
/// luma; returns RGB.
fn average_chroma_2x2(rgb: &[u8], w: usize, h: usize) -> Vec<u8> {
    let ycc: Vec<[f32; 3]> = rgb
        .chunks_exact(3)
        .map(|p| {
            let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
            [
                0.299 * r + 0.587 * g + 0.114 * b,
                -0.168_736 * r - 0.331_264 * g + 0.5 * b,
                0.5 * r - 0.418_688 * g - 0.081_312 * b,
            ]
        })
        .collect();
    let mut out = vec![0u8; rgb.len()];
    for by in (0..h).step_by(2) {
        for bx in (0..w).step_by(2) {
            let px: Vec<usize> = [(0, 0), (1, 0), (0, 1), (1, 1)]
                .iter()
                .map(|(dx, dy)| (bx + dx, by + dy))
                .filter(|&(x, y)| x < w && y < h)
                .map(|(x, y)| y * w + x)
                .collect();
            let n = px.len() as f32;
            let cb = px.iter().map(|&i| ycc[i][1]).sum::<f32>() / n;
            let cr = px.iter().map(|&i| ycc[i][2]).sum::<f32>() / n;
            for &i in &px {
                let y = ycc[i][0];
                out[i * 3] = super::to_u8(y + 1.402 * cr);
                out[i * 3 + 1] = super::to_u8(y - 0.344_136 * cb - 0.714_136 * cr);
                out[i * 3 + 2] = super::to_u8(y + 1.772 * cb);
            }
        }
    }
    out
}
