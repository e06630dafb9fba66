//! `edgemark-v3`: EdgeMark's own watermark, version 3. A 32-bit payload under a BCH(127, 36)
//! code (the payload first, then a 4-bit version tag), written as a self-synchronizing tiled pattern in the
//! luma of the image and read back after any rescale (0.3x to 3x, aspect changes of 10 %),
//! rotation, crop, re-encoding and the chains of those that images go through.
//!
//! - **Pattern** ([`pattern`]): a 128x128 tile of cosines at key-chosen mid-band frequencies:
//!   48 carry a fixed synchronization signal, 127 carry one code bit each.
//! - **Embedding**: the tile repeated over the image, times a texture mask (the change hides
//!   where the image is busy), scaled to a fixed PSNR, added equally to R, G and B (so it
//!   survives conversion to grey); computed pixel by pixel from a block map, so a 12 MP photo
//!   needs no more memory than its copy.
//! - **Reading** ([`sync`]): lattice estimation from the spectrally whitened autocorrelation,
//!   folding into one tile, phase search on the synchronization frequencies, then the bits.
//!   No learning: each step is a matched filter or a geometric fit.
//! - **Decision**: with a known payload, the soft bits' p-value (each code bit's z in its own
//!   frequencies' noise, clipped at one noise deviation, summed with the code word's signs:
//!   [`crate::stats::soft_match_p_value`]); without one, the BCH decoder, whose chance to
//!   accept a random word with `e` corrections is `2^(32-127) V(127, e)` (version tag
//!   included), which is the p-value.

mod align;
mod fft;
mod pattern;
mod polar;
mod sync;

use crate::ecc::{Bch, Corrected};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::payload::Bits;
use crate::scheme::{Decoded, Reading, Scheme};
use pattern::{CODE_BITS, TILE};

/// Payload bits a user gives.
pub const V3_PAYLOAD_BITS: usize = 32;
/// Code bits an image carries.
pub(crate) const V3_CODE_BITS: usize = CODE_BITS;
/// Side of the pattern's tile at the embedding resolution.
pub(crate) const V3_TILE: usize = TILE;
/// The version tag in the last 4 data bits of every code word of a mark embedded in an image.
const VERSION: [bool; 4] = [false, false, true, true];
/// The tag of a screen overlay's code word ([`EdgemarkV3::screen`]): the same pattern and
/// reader, told apart by the decoded tag, so neither kind of mark decodes as the other.
const SCREEN_VERSION: [bool; 4] = [false, true, false, true];
/// Errors the code corrects.
const T: usize = 15;
/// Smallest side the reader accepts.
const MIN_SIDE: u32 = 96;
/// Least reliable code bits flipped in soft-decision decoding (2^6 = 64 decoding attempts;
/// false-decode bound 64 x 3.4e-10 = 2.2e-8 at t = 15).
const CHASE_FLIPS: usize = 6;
/// The same for a screen overlay (2^4 = 16 attempts, bound 5.4e-9 a reading): its reader may
/// read up to about 130 geometries on a camera photo (measured on 663 clean images and
/// windows), and 130 x 2.2e-8 would exceed the default false-positive rate, so no
/// soft-decoded reading could ever be detected (130 x 5.4e-9 = 7e-7 stays under it).
const SCREEN_CHASE_FLIPS: usize = 4;

/// EdgeMark's own watermark, version 3 (see the module docs).
#[derive(Clone, Debug)]
pub struct EdgemarkV3 {
    psnr: f32,
    code: Bch,
    /// `NAME` or `SCREEN_NAME`.
    name: &'static str,
    tag: [bool; 4],
    /// A screen overlay's reader also tries camera photos (photo whitening, corner windows).
    camera: bool,
}

impl EdgemarkV3 {
    /// The scheme's name.
    pub const NAME: &'static str = "edgemark-v3";
    /// The screen overlay's name ([`EdgemarkV3::screen`]).
    pub const SCREEN_NAME: &'static str = "edgemark-screen";

    /// The scheme at its default strength (PSNR 40.5 dB before rounding to 8 bits).
    pub fn new() -> Result<EdgemarkV3> {
        Ok(EdgemarkV3 {
            psnr: 40.5,
            code: Bch::new(T)?,
            name: Self::NAME,
            tag: VERSION,
            camera: true,
        })
    }

    /// A screen overlay's reader for screenshots only: without the photo whitening, the
    /// keystone views and the corner windows that camera photos of screens need, an image
    /// without an overlay is read about 10x faster (1920x1080 on one core, session 25:
    /// 88-91 ms instead of 0.96-1.03 s, docs/screen-overlay.md). No
    /// effect on `edgemark-v3`.
    pub fn screenshots_only(mut self) -> EdgemarkV3 {
        self.camera = false;
        self
    }

    /// The screen overlay (`edgemark-screen`, see [`crate::overlay`]): the same tile, code and
    /// reader with its own version tag. Embedding alpha-composites the overlay at its default
    /// strength over the image, as a browser draws it over a page; the PSNR setting does not
    /// apply.
    pub fn screen() -> Result<EdgemarkV3> {
        Ok(EdgemarkV3 {
            name: Self::SCREEN_NAME,
            tag: SCREEN_VERSION,
            ..Self::new()?
        })
    }

    /// The same scheme embedding at `psnr` dB (30..=60); detection does not depend on it.
    pub fn with_psnr(mut self, psnr: f32) -> Result<EdgemarkV3> {
        if !(30.0..=60.0).contains(&psnr) {
            return Err(Error::config(format!(
                "edgemark-v3 strength must be a PSNR in 30..=60 dB, not {psnr}"
            )));
        }
        self.psnr = psnr;
        Ok(self)
    }

    fn code_bits(&self, payload: &Bits) -> Result<Vec<bool>> {
        if payload.len() != V3_PAYLOAD_BITS {
            return Err(Error::message(format!(
                "{} carries {V3_PAYLOAD_BITS} payload bits, got {}",
                self.name,
                payload.len()
            )));
        }
        let mut data = payload.as_slice().to_vec();
        data.extend_from_slice(&self.tag);
        self.code.encode(&data)
    }

    /// Side in pixels of the carrier tile ([`EdgemarkV3::carrier`]) at the embedding
    /// resolution.
    pub const TILE: usize = TILE;

    /// The unit-RMS tile (`TILE x TILE`, row-major) that carries `payload`.
    pub(crate) fn tile(&self, payload: &Bits) -> Result<Vec<f32>> {
        Ok(pattern::tile(&self.code_bits(payload)?))
    }

    /// The carrier of `payload` (32 bits): the unit-RMS luma tile, [`EdgemarkV3::TILE`]
    /// pixels square and row-major, that embedding repeats over the image, scaled by a
    /// texture mask. Its Fourier components at the tile's frequencies are what the reader
    /// correlates with once it has synchronized; a generator fine-tuned to carry the mark
    /// (`edgemark-train finetune-decoder --scheme edgemark-v3`) learns against them.
    pub fn carrier(&self, payload: &Bits) -> Result<Vec<f32>> {
        self.tile(payload)
    }

    /// Reads the image's geometry and soft code bits: the candidate geometries the reader
    /// returns (at most 8, or 14 on images under 900 px, 18 on those of at most 512 x 512
    /// pixels in all: the identity, read with two weightings of the whitening, and the 6
    /// candidates of a large image's two levels or the 12 strongest synchronizations of the 24
    /// a small image folds, and on the smallest the 4 strongest of the sweep's rescalings and
    /// rotations), strongest synchronization first. All are scored and the detector corrects
    /// the p-value for their number: on small or busy images the strongest synchronization is
    /// not always the right geometry, whose bits still decode.
    fn read(&self, image: &Image) -> Result<Vec<sync::Read>> {
        let plane = self.plane(image)?;
        let reads = if self.tag == SCREEN_VERSION {
            read_screen(&plane, self.camera, None).reads
        } else {
            sync::read(&plane, sync::Whitening::Photo, sync::CERTAIN_Z, None, true).reads
        };
        self.readable(reads)
    }

    /// Most readings a screen overlay's reader returns for one image: every view's
    /// ([`SCREEN_MAX_READINGS`]), or the screen view's alone for screenshots only.
    pub(crate) fn max_readings(&self) -> usize {
        if self.camera {
            SCREEN_MAX_READINGS
        } else {
            sync::MAX_READS
        }
    }

    /// A screen overlay's readings for tracing ([`crate::trace`]), which also end once one of
    /// them is `decisive` on its bits, and the number of tries their p-values must be
    /// corrected for: their count, or [`EdgemarkV3::max_readings`] when they ended on their
    /// bits (see [`read_screen`]).
    pub(crate) fn trace_readings(
        &self,
        image: &Image,
        decisive: &dyn Fn(&Reading) -> bool,
    ) -> Result<(Vec<Reading>, usize)> {
        if self.tag != SCREEN_VERSION {
            return Err(Error::config(format!(
                "{} is not a screen overlay's reader",
                self.name
            )));
        }
        let plane = self.plane(image)?;
        let decisive = |r: &sync::Read| decisive(&self.reading(r));
        let screen = read_screen(&plane, self.camera, Some(&decisive));
        let readings: Vec<Reading> = self
            .readable(screen.reads)?
            .iter()
            .map(|r| self.reading(r))
            .collect();
        let tries = if screen.stopped_on_bits {
            self.max_readings()
        } else {
            readings.len()
        };
        Ok((readings, tries))
    }

    /// The image's luma plane, or an error when it is too small to read.
    fn plane(&self, image: &Image) -> Result<sync::Plane> {
        let (w, h) = (image.width(), image.height());
        if w.min(h) < MIN_SIDE {
            return Err(Error::TooSmall {
                width: w,
                height: h,
                scheme: self.name.into(),
                needed: format!("{MIN_SIDE}x{MIN_SIDE}"),
            });
        }
        Ok(sync::luma(image.rgb(), w as usize, h as usize))
    }

    /// `reads`, or [`Error::Unreadable`] when there are none (nothing to fold: a flat image).
    fn readable(&self, reads: Vec<sync::Read>) -> Result<Vec<sync::Read>> {
        if reads.is_empty() {
            return Err(Error::Unreadable(format!(
                "{}: the image has no texture to carry a mark (flat)",
                self.name
            )));
        }
        Ok(reads)
    }

    /// One reading as the [`Scheme`] interface gives it.
    fn reading(&self, r: &sync::Read) -> Reading {
        // The quadrature noise of each bit's frequencies sets the unit ([`SOFT_SLOPE`]). A bit
        // is 1 when its z is positive, i.e. its soft bit above one half.
        let soft = r
            .soft
            .iter()
            .map(|&v| 1.0 / (1.0 + (-(SOFT_SLOPE as f32) * v).exp()))
            .collect();
        let view = r
            .view
            .as_deref()
            .map_or(String::new(), |v| format!("{v}: "));
        let variant = format!(
            "{view}scale {:.3} angle {:.1} quarter-turns {} sync z {:.1}",
            r.lattice.scale(),
            r.lattice.angle(),
            r.quarter_turns,
            r.z
        );
        Reading::from_soft(self, variant, soft)
    }
}

/// Slope of the logistic that turns a bit's z (in-phase over its noise) into the
/// probability a [`Reading`] holds: `1 / (1 + exp(-1.6 z))` approximates `Phi(z)`.
const SOFT_SLOPE: f64 = 1.6;

/// A reading's soft bit (or an average of such over frames) back as its z: the inverse of
/// the logistic of [`SOFT_SLOPE`], within `f32` rounding (beyond about 9 noise deviations
/// the probability rounds to 0 or 1, and |z| stops near 17; the statistics clip far below).
/// 0 for a value that is not a number.
pub(crate) fn soft_z(p: f32) -> f64 {
    if !p.is_finite() {
        return 0.0;
    }
    let p = f64::from(p).clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).ln() / SOFT_SLOPE
}

impl Scheme for EdgemarkV3 {
    fn name(&self) -> &str {
        self.name
    }
    fn bit_len(&self) -> usize {
        V3_PAYLOAD_BITS
    }
    fn code_len(&self) -> usize {
        CODE_BITS
    }
    fn code_word(&self, message: &Bits) -> Result<Bits> {
        Ok(Bits::new(self.code_bits(message)?))
    }

    fn decode(&self, image: &Image) -> Result<Vec<Reading>> {
        Ok(self.read(image)?.iter().map(|r| self.reading(r)).collect())
    }

    /// The soft bits' p-value ([`crate::stats::soft_match_p_value`]): a bit is the in-phase
    /// projection of its frequency on its key-chosen phase, whose sign unmarked content does
    /// not choose, so the signs are fair given the magnitudes (checked on 10,300 clean
    /// windows of every kind: `docs/calibration.md`).
    fn match_p_value(&self, reading: &Reading, code: &Bits) -> f64 {
        let z: Vec<f32> = reading.soft.iter().map(|&p| soft_z(p) as f32).collect();
        crate::stats::soft_match_p_value(&z, code)
    }

    fn decode_payload(&self, reading: &Reading) -> Option<Decoded> {
        let tagged = |c: &Corrected| c.data[V3_PAYLOAD_BITS..] == self.tag;
        let hard = reading.bits.as_slice();
        if let Some(c) = self.code.decode(hard).filter(|c| tagged(c)) {
            return Some(Decoded {
                payload: Bits::new(c.data[..V3_PAYLOAD_BITS].to_vec()),
                corrected: c.errors,
                p_value: self
                    .code
                    .false_decode_probability(c.errors, V3_PAYLOAD_BITS),
            });
        }
        // Soft decision: also flip the least reliable bits (Chase II). Every pattern is a
        // decoding attempt at radius t, so the bound counts them all (the hard word included).
        let reliability: Vec<f32> = reading.soft.iter().map(|p| (p - 0.5).abs()).collect();
        let flips = if self.tag == SCREEN_VERSION {
            SCREEN_CHASE_FLIPS
        } else {
            CHASE_FLIPS
        };
        let c = self.code.decode_soft(hard, &reliability, flips, &tagged)?;
        let p = self
            .code
            .false_decode_probability(self.code.t(), V3_PAYLOAD_BITS)
            * (1u64 << flips) as f64;
        Some(Decoded {
            payload: Bits::new(c.data[..V3_PAYLOAD_BITS].to_vec()),
            corrected: c.errors,
            p_value: p.min(1.0),
        })
    }

    fn embed(&self, image: &Image, message: &Bits) -> Result<Image> {
        let (w, h) = (image.width() as usize, image.height() as usize);
        if w.min(h) < MIN_SIDE as usize {
            return Err(Error::TooSmall {
                width: w as u32,
                height: h as u32,
                scheme: self.name.into(),
                needed: format!("{MIN_SIDE}x{MIN_SIDE}"),
            });
        }
        if self.tag == SCREEN_VERSION {
            let id = crate::overlay::id_from_bits(message)?;
            return Ok(
                crate::overlay::Overlay::new(id, crate::overlay::DEFAULT_STRENGTH)?
                    .composite(image),
            );
        }
        let tile = self.tile(message)?;
        let mask = Mask::new(image.rgb(), w, h);
        let target = 255.0 * 10f32.powf(-self.psnr / 20.0);
        let gain = if mask.rms > 0.0 {
            target / mask.rms
        } else {
            0.0
        };
        let mut out = image.rgb().to_vec();
        for y in 0..h {
            let trow = &tile[(y % TILE) * TILE..(y % TILE + 1) * TILE];
            for x in 0..w {
                let d = gain * mask.at(x, y) * trow[x % TILE];
                let px = &mut out[(y * w + x) * 3..(y * w + x) * 3 + 3];
                for c in px.iter_mut() {
                    *c = (*c as f32 + d).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
        Ok(image.with_rgb(out))
    }
}

/// Windows a camera photo of a screen is also read in: the four corners, each this fraction
/// of the image's sides.
const WINDOW_FRACTION: f32 = 0.6;
/// Smallest side of such a window in pixels.
const WINDOW_MIN: usize = 300;
/// The corners those windows sit in: `(fx, fy)`, 0 or 1 each (left or right, top or bottom).
const WINDOWS: [(usize, usize); 4] = [(0, 0), (1, 0), (0, 1), (1, 1)];
/// Keystone warps ([`sync::Plane::keystone`]) a camera photo of a screen is also read
/// through, with the screen whitening: the camera turned about the vertical axis either way
/// by about 8 and 16.7 degrees at a focal length of the image's diagonal (`a = tan(t) / 2`).
/// One lattice over the unwarped photo cannot follow a turn of 10-20 degrees (the scale
/// changes by a factor up to 1.9 across it); the lattice search absorbs the affine rest and a
/// residual of a few degrees. Turns about the horizontal axis (pitch) are smaller for photos
/// of screens and are left to the lattice search and the windows. Measured on simulated
/// camera photos (docs/screen-overlay.md): the screen whitening here, not the photo one,
/// is what reads them (the resampling also averages some of the sensor noise away, which
/// keeps more background pixels under [`sync`]'s flatness threshold).
const KEYSTONES: [(f32, f32); 4] = [(0.15, 0.0), (-0.15, 0.0), (0.07, 0.0), (-0.07, 0.0)];
/// Synchronization strength that ends a screen overlay's reading early: higher than a
/// photo's ([`sync::CERTAIN_Z`], 10), because screens carry strong periodic content that
/// synchronized wrong lattices (before the synchronization frequencies were clipped in
/// [`sync::read_tile`], a camera's moire fringes reached z 90 on a clean page; clipped, the
/// 128 clean camera photos of the screen evaluation stay at or under 7.7), while an overlay
/// read at its true geometry reaches up to the clip's ceiling of about 39.
const SCREEN_CERTAIN_Z: f32 = 20.0;

/// Views of a camera photo of a screen a screen overlay's reader reads after the screen
/// content itself: the photo whitening, the [`KEYSTONES`], the four corner windows.
#[derive(Clone, Copy, Debug)]
enum View {
    Photo,
    Keystone(f32, f32),
    /// The window in corner `(fx, fy)` of [`WINDOWS`], a [`WINDOW_FRACTION`] of each side.
    Window(usize, usize),
}

/// Most readings a screen overlay's reader returns for one image: every view (the screen
/// content and the [`View`]s), each with at most [`sync::MAX_READS`] geometries.
const SCREEN_MAX_READINGS: usize = (2 + KEYSTONES.len() + WINDOWS.len()) * sync::MAX_READS;

/// A screen overlay's readings. Screen content first ([`sync::Whitening::Screen`]); then,
/// unless a synchronization was already certain, the photo whitening (camera photos of
/// screens: noise and blur); then, still uncertain, the photo through each of the
/// [`KEYSTONES`] (screen whitening) and the four corner windows (photo whitening), for
/// perspective (these three only with `camera`): a camera at an angle changes the scale
/// across the image, which one lattice cannot follow, but a keystone undoes most of it and
/// each window is closer to an affine view. An image of 480 px or more a side whose edges lie
/// on its pixel rows and columns alike ([`align`]) is a screenshot, not a camera photo, and
/// gets no camera views. Whether to go on depends on that and on the synchronization
/// frequencies, neither of which the data bits choose, so the readings' count (each one try
/// in the p-value) is not chosen by the bits it corrects for; and, when `decisive` is given,
/// on whether a reading is already decisive on its bits (a page of dense text under an overlay
/// synchronizes below [`SCREEN_CERTAIN_Z`] but decodes at once), checked after every
/// reading ([`sync::read`]): then `stopped_on_bits` is set and the caller corrects for every
/// reading the views could have given ([`SCREEN_MAX_READINGS`], or the screen view's
/// [`sync::MAX_READS`] without `camera`); the readings made are the first of that full set
/// in a fixed order, so the early stop never makes the false-positive condition easier to
/// meet (with a list of IDs, the readings not made could still have changed which listed ID
/// matches best: see [`crate::trace`]).
fn read_screen(
    plane: &sync::Plane,
    camera: bool,
    decisive: Option<&dyn Fn(&sync::Read) -> bool>,
) -> sync::Reads {
    let read =
        |p: &sync::Plane, w: sync::Whitening| sync::read(p, w, SCREEN_CERTAIN_Z, decisive, false);
    let mut screen = read(plane, sync::Whitening::Screen);
    let certain = |reads: &[sync::Read]| reads.iter().any(|r| r.z >= SCREEN_CERTAIN_Z);
    if !camera || screen.stopped_on_bits || certain(&screen.reads) {
        return screen;
    }
    let (ww, wh) = (
        (plane.w as f32 * WINDOW_FRACTION) as usize,
        (plane.h as f32 * WINDOW_FRACTION) as usize,
    );
    let windows = if ww.min(wh) >= WINDOW_MIN {
        &WINDOWS[..]
    } else {
        &[]
    };
    // A camera photo's lines are not on the pixel grid (see `align`): an image whose rows
    // and columns both are is read as the screenshot it is.
    if align::Alignment::of(plane).on_the_pixel_grid() {
        return screen;
    }
    let views = std::iter::once(View::Photo)
        .chain(KEYSTONES.iter().map(|&(a, b)| View::Keystone(a, b)))
        .chain(windows.iter().map(|&(fx, fy)| View::Window(fx, fy)));
    for view in views {
        if certain(&screen.reads) {
            break;
        }
        let (seen, name) = match view {
            View::Photo => (read(plane, sync::Whitening::Photo), None),
            View::Keystone(a, b) => (
                read(&plane.keystone(a, b), sync::Whitening::Screen),
                Some(format!("keystone {a:+.2} {b:+.2}")),
            ),
            View::Window(fx, fy) => {
                let (x0, y0) = (fx * (plane.w - ww), fy * (plane.h - wh));
                (
                    read(&plane.crop(x0, y0, ww, wh), sync::Whitening::Photo),
                    Some(format!("window {ww}x{wh} at ({x0}, {y0})")),
                )
            }
        };
        screen
            .reads
            .extend(seen.reads.into_iter().map(|r| sync::Read {
                view: name.clone(),
                ..r
            }));
        if seen.stopped_on_bits {
            screen.stopped_on_bits = true;
            break;
        }
    }
    screen
}

/// Texture mask: per 8x8 block, the mean absolute luma difference to the right and lower
/// neighbours, smoothed over 3x3 blocks, relative to the median block, raised to 0.7 and
/// clamped to [0.15, 3]; read back bilinearly per pixel.
struct Mask {
    bw: usize,
    bh: usize,
    block: Vec<f32>,
    /// RMS of the mask over all pixels (the tile has unit RMS, so the change's RMS is
    /// `gain * rms`).
    rms: f32,
}

const BLOCK: usize = 8;

impl Mask {
    fn new(rgb: &[u8], w: usize, h: usize) -> Mask {
        let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
        let luma = |x: usize, y: usize| {
            let p = &rgb[(y * w + x) * 3..(y * w + x) * 3 + 3];
            0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
        };
        let mut act = vec![0.0f32; bw * bh];
        let mut cnt = vec![0u32; bw * bh];
        for y in 0..h {
            for x in 0..w {
                let v = luma(x, y);
                let mut d = 0.0;
                if x + 1 < w {
                    d += (luma(x + 1, y) - v).abs();
                }
                if y + 1 < h {
                    d += (luma(x, y + 1) - v).abs();
                }
                let b = (y / BLOCK) * bw + x / BLOCK;
                act[b] += d;
                cnt[b] += 1;
            }
        }
        for (a, &c) in act.iter_mut().zip(&cnt) {
            *a /= c.max(1) as f32;
        }
        let smooth = sync::box_blur(&act, bw, bh, 1);
        let mut sorted = smooth.clone();
        sorted.sort_by(f32::total_cmp);
        let median = sorted
            .get(sorted.len() / 2)
            .copied()
            .unwrap_or(0.0)
            .max(0.5);
        let block: Vec<f32> = smooth
            .iter()
            .map(|&a| (a / median).powf(0.7).clamp(0.15, 3.0))
            .collect();
        let mut m = Mask {
            bw,
            bh,
            block,
            rms: 0.0,
        };
        // RMS over pixels, sampled on a grid of every 4th pixel.
        let (mut s, mut n) = (0.0f64, 0u64);
        for y in (0..h).step_by(4) {
            for x in (0..w).step_by(4) {
                let v = m.at(x, y) as f64;
                s += v * v;
                n += 1;
            }
        }
        m.rms = (s / n.max(1) as f64).sqrt() as f32;
        m
    }

    fn at(&self, x: usize, y: usize) -> f32 {
        let fx = ((x as f32 + 0.5) / BLOCK as f32 - 0.5).clamp(0.0, (self.bw - 1) as f32);
        let fy = ((y as f32 + 0.5) / BLOCK as f32 - 0.5).clamp(0.0, (self.bh - 1) as f32);
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.bw - 1), (y0 + 1).min(self.bh - 1));
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        let b = |x: usize, y: usize| self.block[y * self.bw + x];
        (b(x0, y0) * (1.0 - ax) + b(x1, y0) * ax) * (1.0 - ay)
            + (b(x0, y1) * (1.0 - ax) + b(x1, y1) * ax) * ay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn textured(w: u32, h: u32, seed: u64) -> Image {
        let mut rng = pattern::SplitMix::new(seed);
        let mut rgb = Vec::with_capacity((w * h * 3) as usize);
        // Smooth structure plus texture, like a photo.
        let noise: Vec<f32> = (0..w * h).map(|_| rng.unit() * 60.0 - 30.0).collect();
        for y in 0..h {
            for x in 0..w {
                let base = 128.0
                    + 60.0 * ((x as f32) / 37.0).sin() * ((y as f32) / 53.0).cos()
                    + noise[(y * w + x) as usize];
                for c in 0..3 {
                    rgb.push((base + c as f32 * 10.0).clamp(0.0, 255.0) as u8);
                }
            }
        }
        Image::from_rgb(w, h, rgb).unwrap()
    }

    #[test]
    fn embeds_at_the_set_psnr_and_reads_back_the_payload() {
        let s = EdgemarkV3::new().unwrap();
        let img = textured(384, 320, 7);
        let payload = Bits::parse("0xDEADBEEF").unwrap();
        let marked = s.embed(&img, &payload).unwrap();
        let psnr = crate::image::psnr(&img, &marked);
        assert!((39.5..42.0).contains(&psnr), "{psnr}");
        let r = &s.decode(&marked).unwrap()[0];
        let d = s.decode_payload(r).expect("payload decodes");
        assert_eq!(d.payload, payload);
        assert!(d.p_value < 1e-6);
        // The clean image does not decode.
        let r = &s.decode(&img).unwrap()[0];
        assert!(s.decode_payload(r).is_none());
    }

    #[test]
    fn a_clean_page_on_the_pixel_grid_gets_no_camera_views() {
        let page = align::test_page(768, 480);
        let keystones = |reads: &sync::Reads| {
            reads
                .reads
                .iter()
                .filter(|r| r.view.as_deref().is_some_and(|v| v.starts_with("keystone")))
                .count()
        };
        // Read exactly as a screenshot: the screen view alone.
        let seen = read_screen(&page, true, None);
        assert_eq!(keystones(&seen), 0);
        let screen = read_screen(&page, false, None);
        assert_eq!(seen.reads.len(), screen.reads.len());
        // Seen by a camera turned sideways, the same page gets the camera views; so does a
        // page too small to tell.
        assert!(keystones(&read_screen(&page.keystone(0.1, 0.0), true, None)) > 0);
        let small = align::test_page(480, 320);
        assert!(keystones(&read_screen(&small, true, None)) > 0);
    }

    #[test]
    fn flat_images_are_unreadable_not_detected() {
        let s = EdgemarkV3::new().unwrap();
        let flat = Image::from_rgb(200, 200, vec![128; 200 * 200 * 3]).unwrap();
        assert!(matches!(s.decode(&flat), Err(Error::Unreadable(_))));
        let tiny = Image::from_rgb(50, 50, vec![0; 50 * 50 * 3]).unwrap();
        assert!(matches!(s.decode(&tiny), Err(Error::TooSmall { .. })));
    }
}
