//! Screen overlays for leak tracing: an invisible, content-independent RGBA tile that carries a
//! viewer's 32-bit ID and is alpha-composited over everything a screen shows, so that a
//! screenshot or a photo of the screen names the account or device it was shown to.
//!
//! The tile is `edgemark-screen`'s: `edgemark-v3`'s self-synchronizing pattern (same
//! frequencies, BCH(127, 36) code and reader) with its own version tag, so an overlay never
//! decodes as a photo's mark and the other way round. Each pixel is white where the pattern is
//! positive and black where it is negative, with an opacity proportional to the pattern's
//! magnitude: over any content `C` the composite is `C + a (P - C)`, which moves dark content up
//! and light content down along the pattern. On white pages only the dark half shows, on black
//! pages only the light half; both correlate with the pattern, so the reader needs nothing
//! from the content. Read screenshots back with [`crate::trace`].
//!
//! ```
//! use edgemark::overlay::Overlay;
//! use edgemark::trace::Tracer;
//! use edgemark::Image;
//!
//! let overlay = Overlay::new(0xC0FFEE, edgemark::overlay::DEFAULT_STRENGTH)?;
//! assert_eq!(overlay.tile().len(), 128 * 128 * 4);
//! // A white page with the overlay on it, as a browser composites it.
//! let page = Image::from_rgb(320, 256, vec![255; 320 * 256 * 3])?;
//! let shown = overlay.composite(&page);
//! let found = Tracer::new()?.trace(&shown)?;
//! assert_eq!(found.id, Some(0xC0FFEE));
//! # Ok::<(), edgemark::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::image::{check_rows, Image, Limits, PixelFormat};
use crate::payload::Bits;
use crate::schemes::{EdgemarkV3, V3_TILE};

/// Side of the overlay tile in pixels: the overlay repeats it from the top-left corner. Draw
/// it at one tile pixel per device pixel (CSS size `128 / devicePixelRatio`).
pub const TILE_SIDE: usize = V3_TILE;
/// Default strength: the RMS opacity of the tile in 1/255 units (about 42 dB PSNR over white
/// or black pages, more over mid-tones and busy content).
pub const DEFAULT_STRENGTH: f32 = 2.8;
/// The unit-RMS pattern is clipped at this many RMS before scaling: its rare peaks would be
/// the most visible dots on a flat page, and carry little of the signal.
const CLIP: f32 = 2.0;
/// Strengths accepted by [`Overlay::new`].
pub const STRENGTHS: std::ops::RangeInclusive<f32> = 0.5..=32.0;

/// An overlay tile for one ID and strength.
#[derive(Clone, Debug, PartialEq)]
pub struct Overlay {
    id: u32,
    strength: f32,
    /// `TILE_SIDE x TILE_SIDE` straight (not premultiplied) RGBA, row-major.
    rgba: Vec<u8>,
}

impl Overlay {
    /// The tile carrying `id` at `strength` ([`STRENGTHS`]; [`DEFAULT_STRENGTH`] by default).
    /// The same ID and strength give the same bytes on every platform: the CLI, the C ABI
    /// and the npm package all call this.
    pub fn new(id: u32, strength: f32) -> Result<Overlay> {
        if !strength.is_finite() || !STRENGTHS.contains(&strength) {
            return Err(Error::config(format!(
                "overlay strength must be in {}..={}, not {strength}",
                STRENGTHS.start(),
                STRENGTHS.end()
            )));
        }
        // The pattern clipped at CLIP (its peaks are what the eye catches first on a flat
        // page) and rescaled to unit RMS, so that `strength` stays the RMS opacity.
        let pattern: Vec<f32> = EdgemarkV3::screen()?
            .tile(&id_bits(id))?
            .into_iter()
            .map(|v| v.clamp(-CLIP, CLIP))
            .collect();
        let rms = (pattern.iter().map(|v| v * v).sum::<f32>() / pattern.len() as f32).sqrt();
        let gain = strength / rms.max(f32::EPSILON);
        let mut rgba = Vec::with_capacity(pattern.len() * 4);
        for v in pattern {
            // Opacity in 1/255 steps; a zero-opacity pixel is fully transparent black.
            let a = (gain * v.abs()).round().min(255.0) as u8;
            let c = if v > 0.0 && a > 0 { 255 } else { 0 };
            rgba.extend_from_slice(&[c, c, c, a]);
        }
        Ok(Overlay { id, strength, rgba })
    }

    /// The ID the overlay carries.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The strength it was made with.
    pub fn strength(&self) -> f32 {
        self.strength
    }

    /// The tile: `TILE_SIDE x TILE_SIDE` straight RGBA bytes, row-major.
    pub fn tile(&self) -> &[u8] {
        &self.rgba
    }

    /// The overlay at `width x height` (the tile repeated from the top-left corner), straight
    /// RGBA bytes, row-major. Sizes go through the default [`Limits`].
    pub fn render(&self, width: u32, height: u32) -> Result<Vec<u8>> {
        let row = (width as usize).saturating_mul(4);
        Limits::default().check(width.into(), height.into())?;
        let mut out = vec![0u8; row * height as usize];
        self.render_into(&mut out, width, height, row)?;
        Ok(out)
    }

    /// Writes the overlay at `width x height` into `dst`, rows `stride` bytes apart (at least
    /// `width * 4`; `dst` holds at least `stride * (height - 1) + width * 4` bytes); the bytes
    /// between rows are left as they are. Checks every size (and the default [`Limits`])
    /// before writing anything.
    pub fn render_into(
        &self,
        dst: &mut [u8],
        width: u32,
        height: u32,
        stride: usize,
    ) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::frame("zero width or height"));
        }
        Limits::default().check(width.into(), height.into())?;
        let row = width as usize * 4;
        check_rows("overlay buffer", dst.len(), row, height as usize, stride)?;
        for y in 0..height as usize {
            let src = &self.rgba[(y % TILE_SIDE) * TILE_SIDE * 4..][..TILE_SIDE * 4];
            let out = &mut dst[y * stride..][..row];
            for (x, px) in out.chunks_exact_mut(4).enumerate() {
                px.copy_from_slice(&src[(x % TILE_SIDE) * 4..][..4]);
            }
        }
        Ok(())
    }

    /// The overlay at `width x height` as an RGBA [`Image`] (to save as PNG).
    pub fn render_image(&self, width: u32, height: u32) -> Result<Image> {
        let rgba = self.render(width, height)?;
        Image::from_raw(
            &rgba,
            width,
            height,
            None,
            PixelFormat::Rgba8,
            &Limits::default(),
        )
    }

    /// `image` with the overlay drawn over it from its top-left corner, the way browsers
    /// composite 8-bit layers: `(src a + dst (255 - a) + 127) / 255` per channel. An alpha
    /// plane of `image` is kept as it is.
    pub fn composite(&self, image: &Image) -> Image {
        let (w, h) = (image.width() as usize, image.height() as usize);
        let mut out = image.rgb().to_vec();
        for y in 0..h {
            let row = &self.rgba[(y % TILE_SIDE) * TILE_SIDE * 4..][..TILE_SIDE * 4];
            for x in 0..w {
                let o = &row[(x % TILE_SIDE) * 4..][..4];
                let a = u32::from(o[3]);
                if a == 0 {
                    continue;
                }
                for (c, &s) in out[(y * w + x) * 3..][..3].iter_mut().zip(o) {
                    *c = ((u32::from(s) * a + u32::from(*c) * (255 - a) + 127) / 255) as u8;
                }
            }
        }
        image.with_rgb(out)
    }
}

/// An ID as the 32 payload bits of `edgemark-screen` (most significant first).
pub fn id_bits(id: u32) -> Bits {
    Bits::new((0..32).rev().map(|i| (id >> i) & 1 == 1).collect())
}

/// The ID that 32 payload bits carry.
pub fn id_from_bits(bits: &Bits) -> Result<u32> {
    if bits.len() != 32 {
        return Err(Error::message(format!(
            "an overlay ID has 32 bits, got {}",
            bits.len()
        )));
    }
    Ok(bits
        .as_slice()
        .iter()
        .fold(0u32, |v, &b| (v << 1) | u32::from(b)))
}

/// Parses an ID as the CLI takes it: decimal, or hex after `0x`.
pub fn parse_id(s: &str) -> Result<u32> {
    let t = s.trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => t.parse::<u32>(),
    };
    parsed.map_err(|_| {
        Error::message(format!(
            "'{s}' is not an ID: a decimal number or 0x-hex of at most 32 bits"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_round_trip_through_bits() {
        assert_eq!(parse_id("42").unwrap(), 42);
        assert_eq!(parse_id("0xC0FFEE").unwrap(), 0xC0FFEE);
        assert_eq!(parse_id(" 4294967295 ").unwrap(), u32::MAX);
        for bad in ["", "-1", "0x", "4294967296", "0x1FFFFFFFF", "12ab"] {
            assert!(parse_id(bad).is_err(), "{bad}");
        }
        for id in [0, 1, 0x8000_0000, 0xDEAD_BEEF, u32::MAX] {
            assert_eq!(id_from_bits(&id_bits(id)).unwrap(), id);
        }
        assert!(id_from_bits(&Bits::new(vec![true; 31])).is_err());
    }

    #[test]
    fn tile_is_deterministic_and_strength_sets_its_opacity() {
        let a = Overlay::new(7, DEFAULT_STRENGTH).unwrap();
        assert_eq!(a, Overlay::new(7, DEFAULT_STRENGTH).unwrap());
        assert_ne!(a.tile(), Overlay::new(8, DEFAULT_STRENGTH).unwrap().tile());
        let rms = |o: &Overlay| {
            let s: f64 = o.tile().chunks(4).map(|p| f64::from(p[3]).powi(2)).sum();
            (s / (TILE_SIDE * TILE_SIDE) as f64).sqrt()
        };
        assert!(
            (rms(&a) - DEFAULT_STRENGTH as f64).abs() < 0.15,
            "{}",
            rms(&a)
        );
        // Clipped: no opacity above CLIP times the strength (plus rounding).
        let peak = a.tile().chunks(4).map(|p| p[3]).max().unwrap();
        assert!(
            f32::from(peak) <= (CLIP * DEFAULT_STRENGTH * 1.1).round() + 1.0,
            "{peak}"
        );
        let strong = Overlay::new(7, 12.0).unwrap();
        assert!((rms(&strong) - 12.0).abs() < 0.2, "{}", rms(&strong));
        for bad in [0.0, 0.4, 33.0, f32::NAN, f32::INFINITY] {
            assert!(Overlay::new(7, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn render_repeats_the_tile_and_composite_is_source_over() {
        let o = Overlay::new(123, 8.0).unwrap();
        let big = o.render(300, 140).unwrap();
        assert_eq!(big.len(), 300 * 140 * 4);
        let at = |buf: &[u8], w: usize, x: usize, y: usize| buf[(y * w + x) * 4..][..4].to_vec();
        assert_eq!(at(&big, 300, 5, 9), at(o.tile(), TILE_SIDE, 5, 9));
        assert_eq!(
            at(&big, 300, 128 + 5, 128 + 9),
            at(o.tile(), TILE_SIDE, 5, 9)
        );
        assert!(o.render(0, 10).is_err());
        assert!(o.render(1 << 20, 1 << 20).is_err());
        // Over white only dark pixels change, over black only light ones.
        let white = Image::from_rgb(128, 128, vec![255; 128 * 128 * 3]).unwrap();
        let black = Image::from_rgb(128, 128, vec![0; 128 * 128 * 3]).unwrap();
        let (w2, b2) = (o.composite(&white), o.composite(&black));
        for (i, p) in o.tile().chunks(4).enumerate() {
            let a = u32::from(p[3]);
            let (wv, bv) = (w2.rgb()[i * 3], b2.rgb()[i * 3]);
            if p[0] == 255 {
                assert_eq!(wv, 255);
                assert_eq!(u32::from(bv), (255 * a + 127) / 255);
            } else {
                assert_eq!(u32::from(wv), (255 * (255 - a) + 127) / 255);
                assert_eq!(bv, 0);
            }
        }
    }
}
