//! The attack suite: deterministic, seedable image transformations of the kind W-Bench,
//! WAVES and VideoSeal evaluate against (codecs, geometry, filters, tone changes, screenshot
//! simulation, and chains of them).
//!
//! Every attack maps an RGB [`Image`] to a new one; randomness (crop position, noise) comes
//! only from the [`Rng`] passed in, so a run is reproducible from its seed. Attacks that
//! change the size (resize, crop) hand the detector the changed image as a real pipeline
//! would; nothing is resized back.

mod codec;
mod filter;
mod geometry;
mod tone;

use crate::error::Result;
use crate::rng::Rng;
use edgemark::Image;

pub use codec::{jpeg, png_round_trip, webp};
pub use geometry::{inscribed_rect, Border, Resample};

/// JPEG chroma subsampling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chroma {
    /// 2x2 chroma subsampling: what libjpeg, PIL and browsers use by default below
    /// quality 90 (and PIL at every quality).
    Sub420,
    /// Full-resolution chroma (what the `image` crate's own JPEG encoder always writes).
    Full444,
}

/// One attack (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Attack {
    /// PNG encode and decode: lossless, the baseline.
    Identity,
    /// JPEG at `quality` (1-100) with the given chroma subsampling.
    Jpeg {
        /// libjpeg-style quality.
        quality: u8,
        /// Chroma subsampling.
        chroma: Chroma,
    },
    /// Lossy WebP (libwebp) at `quality` (0-100).
    WebP {
        /// libwebp quality.
        quality: u8,
    },
    /// Resize both sides by `scale` (bicubic with antialiasing).
    Resize {
        /// Scale factor.
        scale: f32,
    },
    /// Crop a rectangle of the same aspect ratio keeping `keep_area` of the area, at a
    /// random position.
    Crop {
        /// Fraction of the area kept, in (0, 1].
        keep_area: f32,
    },
    /// Rotate about the centre (bilinear, same size, black corners).
    Rotate {
        /// Angle, counter-clockwise.
        degrees: f32,
    },
    /// Gaussian blur.
    Blur {
        /// Standard deviation in pixels.
        sigma: f32,
    },
    /// Additive Gaussian noise, independent per pixel and channel.
    Noise {
        /// Standard deviation on the 0-255 scale.
        sigma: f32,
    },
    /// Multiply every channel by `factor` (torchvision's `adjust_brightness`).
    Brightness {
        /// Multiplier.
        factor: f32,
    },
    /// Blend with the mean grey level (torchvision's `adjust_contrast`).
    Contrast {
        /// Contrast factor.
        factor: f32,
    },
    /// Rotate the hue (HSV) by `degrees`.
    Hue {
        /// Hue shift in degrees.
        degrees: f32,
    },
    /// Replace every channel by BT.601 luma.
    Grayscale,
    /// Unsharp-mask sharpening: `x + amount * (x - blur(x, sigma))`.
    Unsharp {
        /// Blur standard deviation.
        sigma: f32,
        /// Strength.
        amount: f32,
    },
    /// Screenshot simulation: the image shown at device pixel ratio `dpr` (downscaled by
    /// it, bilinear), captured and scaled back up (bicubic), saved as PNG or as JPEG at
    /// the given quality (4:2:0).
    Screenshot {
        /// Device pixel ratio.
        dpr: f32,
        /// `None`: PNG; `Some(q)`: JPEG quality `q`.
        jpeg: Option<u8>,
    },
    /// Resize the width by `sx` and the height by `sy`.
    ResizeXY {
        /// Width factor.
        sx: f32,
        /// Height factor.
        sy: f32,
        /// Resampling filter.
        filter: Resample,
    },
    /// Crop a `w_frac` x `h_frac` part (fractions of the sides, each side at least
    /// `min_side` pixels or the whole side), its top-left corner at `x_frac`, `y_frac` of
    /// the free room: fully determined by its parameters.
    CropRegion {
        /// Fraction of the width kept.
        w_frac: f32,
        /// Fraction of the height kept.
        h_frac: f32,
        /// Horizontal position in the free room, 0 (left) to 1 (right).
        x_frac: f32,
        /// Vertical position in the free room, 0 (top) to 1 (bottom).
        y_frac: f32,
        /// Smallest side in pixels.
        min_side: u32,
    },
    /// Rotate about the centre (bilinear), corners as `border` says.
    RotateWith {
        /// Angle, counter-clockwise.
        degrees: f32,
        /// Black corners, mirrored edges or crop to the inscribed rectangle.
        border: Border,
    },
    /// Rotate by quarter turns counter-clockwise (exact; odd turns swap the sides).
    RotateQuarter {
        /// Number of quarter turns (0-3).
        turns: u8,
    },
    /// Gamma curve `255 (x/255)^gamma`.
    Gamma {
        /// Exponent.
        gamma: f32,
    },
    /// A camera looking at the image from an angle: rotated by `yaw` degrees about the
    /// vertical axis and `pitch` about the horizontal one (focal length the image's
    /// diagonal), bilinear, black where the image does not reach.
    Perspective {
        /// Rotation about the vertical axis, degrees.
        yaw: f32,
        /// Rotation about the horizontal axis, degrees.
        pitch: f32,
    },
    /// Moire of a camera capturing a screen: luma times `1 + amplitude cos(2 pi d / period)`,
    /// `d` the distance along the direction `degrees`.
    Moire {
        /// Relative depth of the modulation.
        amplitude: f32,
        /// Period in pixels.
        period: f32,
        /// Direction of the fringes' normal, degrees.
        degrees: f32,
    },
    /// Several attacks in order.
    Chain(Vec<Attack>),
}

impl Attack {
    /// A short stable name, used in tables and to seed the attack's randomness.
    pub fn name(&self) -> String {
        match self {
            Attack::Identity => "identity-png".into(),
            Attack::Jpeg { quality, chroma } => match chroma {
                Chroma::Sub420 => format!("jpeg420-q{quality}"),
                Chroma::Full444 => format!("jpeg444-q{quality}"),
            },
            Attack::WebP { quality } => format!("webp-q{quality}"),
            Attack::Resize { scale } => format!("resize-{scale}"),
            Attack::Crop { keep_area } => format!("crop-{:.0}%", keep_area * 100.0),
            Attack::Rotate { degrees } => format!("rotate-{degrees}"),
            Attack::Blur { sigma } => format!("blur-s{sigma}"),
            Attack::Noise { sigma } => format!("noise-s{sigma}"),
            Attack::Brightness { factor } => format!("brightness-x{factor}"),
            Attack::Contrast { factor } => format!("contrast-x{factor}"),
            Attack::Hue { degrees } => format!("hue-{degrees:+}"),
            Attack::Grayscale => "grayscale".into(),
            Attack::Unsharp { sigma, amount } => format!("unsharp-s{sigma}-a{amount}"),
            Attack::Screenshot { dpr, jpeg } => match jpeg {
                None => format!("screenshot-dpr{dpr}-png"),
                Some(q) => format!("screenshot-dpr{dpr}-jpeg{q}"),
            },
            Attack::ResizeXY { sx, sy, filter } => match filter {
                Resample::Bicubic => format!("resize-{sx}x{sy}"),
                Resample::Bilinear => format!("resize-bilinear-{sx}x{sy}"),
            },
            Attack::CropRegion {
                w_frac,
                h_frac,
                x_frac,
                y_frac,
                min_side,
            } => format!("crop-{w_frac}x{h_frac}@{x_frac},{y_frac}-min{min_side}"),
            Attack::RotateWith { degrees, border } => match border {
                Border::Black => format!("rotate-{degrees}-black"),
                Border::Reflect => format!("rotate-{degrees}-reflect"),
                Border::Crop => format!("rotate-{degrees}-inscribed"),
            },
            Attack::RotateQuarter { turns } => {
                format!("rotate-{}-exact", u32::from(*turns % 4) * 90)
            }
            Attack::Gamma { gamma } => format!("gamma-{gamma}"),
            Attack::Perspective { yaw, pitch } => format!("perspective-y{yaw}-p{pitch}"),
            Attack::Moire {
                amplitude,
                period,
                degrees,
            } => format!("moire-a{amplitude}-p{period}-d{degrees}"),
            Attack::Chain(v) => v.iter().map(Attack::name).collect::<Vec<_>>().join("+"),
        }
    }

    /// Applies the attack.
    pub fn apply(&self, image: &Image, rng: &mut Rng) -> Result<Image> {
        match self {
            Attack::Identity => codec::png_round_trip(image),
            Attack::Jpeg { quality, chroma } => codec::jpeg(image, *quality, *chroma),
            Attack::WebP { quality } => codec::webp(image, *quality),
            Attack::Resize { scale } => geometry::resize_by(image, *scale),
            Attack::Crop { keep_area } => geometry::crop_area(image, *keep_area, rng),
            Attack::Rotate { degrees } => geometry::rotate(image, *degrees),
            Attack::Blur { sigma } => filter::gaussian_blur(image, *sigma),
            Attack::Noise { sigma } => filter::noise(image, *sigma, rng),
            Attack::Brightness { factor } => tone::brightness(image, *factor),
            Attack::Contrast { factor } => tone::contrast(image, *factor),
            Attack::Hue { degrees } => tone::hue_shift(image, *degrees),
            Attack::Grayscale => tone::grayscale(image),
            Attack::Unsharp { sigma, amount } => filter::unsharp(image, *sigma, *amount),
            Attack::Screenshot { dpr, jpeg: q } => {
                let shot = geometry::screenshot(image, *dpr)?;
                match q {
                    None => codec::png_round_trip(&shot),
                    Some(q) => codec::jpeg(&shot, *q, Chroma::Sub420),
                }
            }
            Attack::ResizeXY { sx, sy, filter } => geometry::resize_xy(image, *sx, *sy, *filter),
            Attack::CropRegion {
                w_frac,
                h_frac,
                x_frac,
                y_frac,
                min_side,
            } => geometry::crop_region(image, *w_frac, *h_frac, *x_frac, *y_frac, *min_side),
            Attack::RotateWith { degrees, border } => {
                geometry::rotate_with(image, *degrees, *border)
            }
            Attack::RotateQuarter { turns } => geometry::rotate_quarter(image, *turns),
            Attack::Gamma { gamma } => tone::gamma(image, *gamma),
            Attack::Perspective { yaw, pitch } => geometry::perspective(image, *yaw, *pitch),
            Attack::Moire {
                amplitude,
                period,
                degrees,
            } => tone::moire(image, *amplitude, *period, *degrees),
            Attack::Chain(v) => {
                let mut cur = image.clone();
                for a in v {
                    cur = a.apply(&cur, rng)?;
                }
                Ok(cur)
            }
        }
    }
}

/// The standard suite, in table order.
pub fn standard_suite() -> Vec<Attack> {
    use Attack::*;
    let mut v = vec![Identity];
    for chroma in [Chroma::Sub420, Chroma::Full444] {
        for quality in [90, 75, 50, 30] {
            v.push(Jpeg { quality, chroma });
        }
    }
    for quality in [90, 75, 50] {
        v.push(WebP { quality });
    }
    for scale in [0.5, 0.75, 1.5] {
        v.push(Resize { scale });
    }
    for keep_area in [0.8, 0.5, 0.25] {
        v.push(Crop { keep_area });
    }
    for degrees in [2.0, 5.0, 10.0] {
        v.push(Rotate { degrees });
    }
    for sigma in [1.0, 2.0] {
        v.push(Blur { sigma });
    }
    for sigma in [5.0, 15.0] {
        v.push(Noise { sigma });
    }
    for factor in [1.2, 1.5] {
        v.push(Brightness { factor });
    }
    for factor in [1.2, 1.5] {
        v.push(Contrast { factor });
    }
    v.push(Hue { degrees: 20.0 });
    v.push(Grayscale);
    v.push(Unsharp {
        sigma: 1.0,
        amount: 1.5,
    });
    v.push(Screenshot {
        dpr: 1.5,
        jpeg: None,
    });
    v.push(Screenshot {
        dpr: 2.0,
        jpeg: None,
    });
    v.push(Screenshot {
        dpr: 2.0,
        jpeg: Some(85),
    });
    v.push(Chain(vec![
        Crop { keep_area: 0.8 },
        Brightness { factor: 1.2 },
        Jpeg {
            quality: 75,
            chroma: Chroma::Sub420,
        },
    ]));
    v.push(Chain(vec![
        Resize { scale: 0.75 },
        Jpeg {
            quality: 75,
            chroma: Chroma::Sub420,
        },
    ]));
    v
}

/// Builds an image from an RGB buffer whose length is known to match.
pub(crate) fn rgb_image(width: u32, height: u32, rgb: Vec<u8>) -> Result<Image> {
    Ok(Image::from_rgb(width, height, rgb)?)
}

/// Rounds and clamps to a byte.
pub(crate) fn to_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}
