//! A PNG bar chart of bit accuracy per attack, drawn with the `image` crate and the public
//! domain 8x8 bitmap font of `font8x8` (no system fonts).

use crate::error::{Error, Result};
use crate::run::EvalResult;
use image::{Rgb, RgbImage};

const ROW: u32 = 16;
const LABEL_W: u32 = 8 * 46;
const BAR_W: u32 = 480;
const TOP: u32 = 48;

fn text(img: &mut RgbImage, x: u32, y: u32, s: &str, scale: u32, color: Rgb<u8>) {
    for (i, ch) in s.chars().enumerate() {
        let code = if ch.is_ascii() {
            ch as usize
        } else {
            b'?' as usize
        };
        let glyph = font8x8::legacy::BASIC_LEGACY[code];
        for (gy, bits) in glyph.iter().enumerate() {
            for gx in 0..8u32 {
                if bits >> gx & 1 == 1 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            let px = x + (i as u32 * 8 + gx) * scale + dx;
                            let py = y + gy as u32 * scale + dy;
                            if px < img.width() && py < img.height() {
                                img.put_pixel(px, py, color);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn rect(img: &mut RgbImage, x0: u32, y0: u32, w: u32, h: u32, color: Rgb<u8>) {
    for y in y0..(y0 + h).min(img.height()) {
        for x in x0..(x0 + w).min(img.width()) {
            img.put_pixel(x, y, color);
        }
    }
}

/// Bars of mean bit accuracy (0 to 1) per attack, green when at least 90% of the
/// watermarked images were detected at the theoretical rate, amber at 50%, red below;
/// dashed line at chance (0.5). Returns PNG bytes.
pub fn bar_chart(r: &EvalResult) -> Result<Vec<u8>> {
    let width = LABEL_W + BAR_W + 80;
    let height = TOP + ROW * r.rows.len() as u32 + 40;
    let mut img = RgbImage::from_pixel(width, height, Rgb([255, 255, 255]));
    let black = Rgb([0, 0, 0]);
    let grey = Rgb([170, 170, 170]);
    text(
        &mut img,
        8,
        8,
        &if r.scheme == r.method {
            format!("{} bit accuracy, {} covers", r.scheme, r.covers.len())
        } else {
            format!(
                "{} ({}) bit accuracy, {} covers",
                r.scheme,
                r.method,
                r.covers.len()
            )
        },
        2,
        black,
    );
    let x0 = LABEL_W;
    for (i, row) in r.rows.iter().enumerate() {
        let y = TOP + i as u32 * ROW;
        let label: String = row.attack.chars().take(45).collect();
        text(&mut img, 4, y + 4, &label, 1, black);
        let acc = if row.bit_accuracy.is_finite() {
            row.bit_accuracy.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let color = if row.tpr_theoretical >= 0.9 {
            Rgb([46, 160, 67])
        } else if row.tpr_theoretical >= 0.5 {
            Rgb([230, 160, 30])
        } else {
            Rgb([210, 60, 50])
        };
        rect(
            &mut img,
            x0,
            y + 2,
            (acc * f64::from(BAR_W)).round() as u32,
            ROW - 4,
            color,
        );
        text(
            &mut img,
            x0 + BAR_W + 6,
            y + 4,
            &format!("{acc:.3}"),
            1,
            black,
        );
    }
    let bottom = TOP + ROW * r.rows.len() as u32;
    for (frac, label) in [(0.0, "0"), (0.5, "0.5"), (1.0, "1")] {
        let x = x0 + (frac * f64::from(BAR_W)) as u32;
        for y in (TOP - 4..bottom + 4).filter(|y| frac == 0.0 || y % 6 < 3) {
            img.put_pixel(x.min(width - 1), y, grey);
        }
        text(&mut img, x.saturating_sub(4), bottom + 8, label, 1, black);
    }
    text(
        &mut img,
        4,
        bottom + 24,
        "green: TPR@1e-6 >= 0.9  amber: >= 0.5  red: < 0.5   dashed: chance",
        1,
        black,
    );
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| Error::Encode {
            format: "PNG",
            message: e.to_string(),
        })?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::AttackRow;

    fn result(accuracies: &[f64]) -> EvalResult {
        EvalResult {
            scheme: "dwtDct".into(),
            method: "dwtDct".into(),
            bits: 48,
            message: "0xB3EC907BB19E".into(),
            seed: 1,
            theoretical_fpr: 1e-6,
            empirical_target_fpr: 1e-2,
            empirical_null_samples: 0,
            empirical_threshold_bits: 0,
            empirical_fpr_achieved: 0.0,
            embed_psnr: 40.0,
            embed_ssim: 0.99,
            rows: accuracies
                .iter()
                .enumerate()
                .map(|(i, &a)| AttackRow {
                    attack: format!("attack{i}"),
                    images: 3,
                    bit_accuracy: a,
                    exact_recovery: 0.0,
                    tpr_theoretical: 1.0,
                    tpr_empirical: 1.0,
                    clean_fired: 0,
                    errors: 0,
                    attack_psnr: f64::NAN,
                })
                .collect(),
            covers: Vec::new(),
        }
    }

    /// Length in pixels of the bar of row `i`, read on the row's middle line: the run of
    /// bar-coloured pixels (neither background nor text black) to the right of the solid grey
    /// axis, which covers the bar's first pixel; the dashed chance line may cross it.
    fn bar_len(png: &image::RgbImage, i: u32) -> u32 {
        let y = TOP + i * ROW + ROW / 2;
        let chance = LABEL_W + BAR_W / 2;
        let is_bar = |x: u32| {
            let p = png.get_pixel(x, y).0;
            p != [255, 255, 255] && p != [0, 0, 0] && (p != [170, 170, 170] || x == chance)
        };
        let run = (LABEL_W + 1..LABEL_W + BAR_W + 1)
            .take_while(|&x| is_bar(x))
            .count() as u32;
        if run == 0 {
            0
        } else {
            run + 1
        }
    }

    #[test]
    fn the_chart_has_one_bar_per_attack_with_length_proportional_to_accuracy() {
        let acc = [1.0, 0.5, 0.25, 0.0, 0.875];
        let bytes = bar_chart(&result(&acc)).unwrap();
        let png = image::load_from_memory(&bytes).unwrap().to_rgb8();
        // Size follows the number of rows.
        assert_eq!(png.width(), LABEL_W + BAR_W + 80);
        assert_eq!(png.height(), TOP + ROW * acc.len() as u32 + 40);
        for (i, a) in acc.iter().enumerate() {
            let want = (a * f64::from(BAR_W)).round() as u32;
            let got = bar_len(&png, i as u32);
            assert!(
                got.abs_diff(want) <= 1,
                "row {i}: bar {got} px, accuracy {a} wants {want}"
            );
        }
        let three = image::load_from_memory(&bar_chart(&result(&acc[..3])).unwrap())
            .unwrap()
            .to_rgb8();
        assert_eq!(png.height() - three.height(), 2 * ROW);
    }
}
