//! Metrics: image quality (PSNR, SSIM) and detection (bit accuracy, exact recovery, true
//! positive rates at a theoretical and at an empirical false-positive rate).

use edgemark::Image;

pub use edgemark::image::psnr;

fn luma_plane(img: &Image) -> Vec<f64> {
    img.rgb()
        .chunks_exact(3)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect()
}

/// Separable Gaussian filter (11 taps, sigma 1.5) with 'valid' borders.
fn filter_valid(src: &[f64], w: usize, h: usize, k: &[f64]) -> (Vec<f64>, usize, usize) {
    let n = k.len();
    let (ow, oh) = (w + 1 - n, h + 1 - n);
    let mut tmp = vec![0.0; ow * h];
    for y in 0..h {
        for x in 0..ow {
            tmp[y * ow + x] = (0..n).map(|j| k[j] * src[y * w + x + j]).sum();
        }
    }
    let mut out = vec![0.0; ow * oh];
    for y in 0..oh {
        for x in 0..ow {
            out[y * ow + x] = (0..n).map(|j| k[j] * tmp[(y + j) * ow + x]).sum();
        }
    }
    (out, ow, oh)
}

/// SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03) on BT.601
/// luma, averaged over the valid windows. `NaN` when the sizes differ or the image is
/// smaller than the window.
pub fn ssim(a: &Image, b: &Image) -> f64 {
    let (w, h) = (a.width() as usize, a.height() as usize);
    if a.width() != b.width() || a.height() != b.height() || w < 11 || h < 11 {
        return f64::NAN;
    }
    let k: Vec<f64> = {
        let v: Vec<f64> = (-5i32..=5)
            .map(|i| (-f64::from(i * i) / (2.0 * 1.5 * 1.5)).exp())
            .collect();
        let s: f64 = v.iter().sum();
        v.into_iter().map(|x| x / s).collect()
    };
    let (x, y) = (luma_plane(a), luma_plane(b));
    let xx: Vec<f64> = x.iter().map(|v| v * v).collect();
    let yy: Vec<f64> = y.iter().map(|v| v * v).collect();
    let xy: Vec<f64> = x.iter().zip(&y).map(|(p, q)| p * q).collect();
    let (mx, ow, oh) = filter_valid(&x, w, h, &k);
    let (my, _, _) = filter_valid(&y, w, h, &k);
    let (sxx, _, _) = filter_valid(&xx, w, h, &k);
    let (syy, _, _) = filter_valid(&yy, w, h, &k);
    let (sxy, _, _) = filter_valid(&xy, w, h, &k);
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let total: f64 = (0..ow * oh)
        .map(|i| {
            let (ux, uy) = (mx[i], my[i]);
            let vx = sxx[i] - ux * ux;
            let vy = syy[i] - uy * uy;
            let cxy = sxy[i] - ux * uy;
            ((2.0 * ux * uy + c1) * (2.0 * cxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        })
        .sum();
    total / (ow * oh) as f64
}

/// Fraction of bits that agree; `0.5` (chance) when nothing could be read.
pub fn bit_accuracy(matched: Option<usize>, total: usize) -> f64 {
    match matched {
        Some(k) if total > 0 => k as f64 / total as f64,
        _ => 0.5,
    }
}

/// The smallest score `t` such that at most a fraction `fpr` of `null_scores` reach it:
/// `#{s >= t} / N <= fpr`. With `N` null samples the achievable rates are multiples of
/// `1/N`; when `N * fpr < 1` this is one above the largest null score.
pub fn empirical_threshold(null_scores: &[usize], fpr: f64) -> usize {
    let mut s = null_scores.to_vec();
    s.sort_unstable_by(|a, b| b.cmp(a)); // descending
    let allowed = (fpr * s.len() as f64).floor() as usize;
    // Thresholds are candidate scores + 1 going down; keep the lowest with few enough hits.
    let mut best = s.first().map_or(0, |m| m + 1);
    let mut t = best;
    while t > 0 {
        let cand = t - 1;
        let hits = s.iter().take_while(|&&v| v >= cand).count();
        if hits <= allowed {
            best = cand;
            t = cand;
        } else {
            break;
        }
    }
    best
}

/// The false-positive rate a threshold achieves on null scores.
pub fn empirical_fpr(null_scores: &[usize], threshold: usize) -> f64 {
    if null_scores.is_empty() {
        return f64::NAN;
    }
    null_scores.iter().filter(|&&v| v >= threshold).count() as f64 / null_scores.len() as f64
}

/// The Wilson score interval (95 %, z = 1.959964) of a proportion of `successes` out of
/// `trials`: `(low, high)`, within `[0, 1]`; `(0, 1)` when there are no trials.
pub fn wilson_interval(successes: usize, trials: usize) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // At 0 and at all successes the interval ends exactly at the observed rate.
    let low = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if successes >= trials {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(w: u32, h: u32, f: impl Fn(u32, u32, u32) -> u8) -> Image {
        let mut v = Vec::new();
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    v.push(f(x, y, c));
                }
            }
        }
        Image::from_rgb(w, h, v).unwrap()
    }

    #[test]
    fn psnr_identity_is_infinite_and_known_error_is_exact() {
        let a = img(32, 32, |x, y, c| ((x * 7 + y * 3 + c * 50) % 256) as u8);
        assert_eq!(psnr(&a, &a), f64::INFINITY);
        // Every value off by exactly 1 (no clipping): MSE 1, PSNR = 20 log10(255).
        let base = img(32, 32, |x, y, _| (10 + (x + y) % 200) as u8);
        let off = img(32, 32, |x, y, _| (11 + (x + y) % 200) as u8);
        assert!((psnr(&base, &off) - 20.0 * 255f64.log10()).abs() < 1e-9);
        assert!(psnr(&base, &img(16, 16, |_, _, _| 0)).is_nan());
    }

    #[test]
    fn ssim_is_one_for_identity_and_drops_with_noise() {
        let a = img(64, 64, |x, y, c| ((x * 5 + y * 9 + c * 31) % 256) as u8);
        assert!((ssim(&a, &a) - 1.0).abs() < 1e-12);
        let noisy = img(64, 64, |x, y, c| {
            let v = (x * 5 + y * 9 + c * 31) % 256;
            let n = (x * 73 + y * 151) % 41;
            (v as i32 + n as i32 - 20).clamp(0, 255) as u8
        });
        let s = ssim(&a, &noisy);
        assert!(s < 0.99 && s > 0.0, "ssim {s}");
    }

    #[test]
    fn empirical_threshold_respects_the_rate() {
        let null: Vec<usize> = (0..2000).map(|i| 14 + (i * 7919 % 21)).collect(); // 14..=34
        let t = empirical_threshold(&null, 1e-3);
        assert!(empirical_fpr(&null, t) <= 1e-3);
        assert!(empirical_fpr(&null, t - 1) > 1e-3);
        // Fewer than 1000 samples: one above the maximum.
        assert_eq!(empirical_threshold(&[3, 9, 5], 1e-3), 10);
        assert_eq!(bit_accuracy(None, 48), 0.5);
        assert_eq!(bit_accuracy(Some(36), 48), 0.75);
    }
}
