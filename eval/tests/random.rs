//! The randomized evaluation: reproducible draws that cover their ranges, attacks of the
//! expected size, chains that compose, and a small end-to-end run with per-family rows and
//! confidence intervals.

use edgemark::Image;
use edgemark_eval::attacks::{inscribed_rect, Attack, Border, Chroma, Resample};
use edgemark_eval::covers::{self, Cover, Split};
use edgemark_eval::metrics::wilson_interval;
use edgemark_eval::random::{family_row, trial_rng, MIN_CROP_SIDE};
use edgemark_eval::rng::Rng;
use edgemark_eval::{evaluate_random, report, schemes, Family, RandomConfig};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

fn texture(w: u32, h: u32, k: f32) -> Image {
    let mut v = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let (xf, yf) = (x as f32, y as f32);
            let r = 128.0 + 50.0 * (xf * 0.05 * k).sin() + 30.0 * (yf * 0.09).cos();
            let g = 120.0 + 45.0 * ((xf + yf) * 0.03 * k).sin() + 20.0 * (xf * 0.21).sin();
            let b = 125.0 + 50.0 * (yf * 0.04 * k).sin() * (xf * 0.02).cos();
            v.extend([r, g, b].map(|c| c.round().clamp(0.0, 255.0) as u8));
        }
    }
    Image::from_rgb(w, h, v).unwrap()
}

fn param(f: Family, seed: u64, i: usize, name: &str) -> f64 {
    let d = f.draw(&mut trial_rng(seed, f, "cover.png", i), 512, 384);
    *d.params
        .get(name)
        .unwrap_or_else(|| panic!("{} has no {name}: {:?}", f.name(), d.params))
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[test]
fn draws_are_reproducible_and_differ_across_seeds_samples_and_covers() {
    for f in Family::ALL {
        let a = f.draw(&mut trial_rng(7, f, "a.png", 0), 512, 384);
        let b = f.draw(&mut trial_rng(7, f, "a.png", 0), 512, 384);
        assert_eq!(a.attack, b.attack, "{}", f.name());
        assert_eq!(a.params, b.params);
        assert_eq!(a.attack.name(), b.attack.name());
    }
    let scale = |seed, cover: &str, i| {
        Family::Resize
            .draw(&mut trial_rng(seed, Family::Resize, cover, i), 512, 512)
            .params["scale"]
    };
    assert_ne!(scale(7, "a.png", 0), scale(8, "a.png", 0));
    assert_ne!(scale(7, "a.png", 0), scale(7, "a.png", 1));
    assert_ne!(scale(7, "a.png", 0), scale(7, "b.png", 0));
}

#[test]
fn scale_is_log_uniform_over_0_3_to_3() {
    let mut s: Vec<f64> = (0..1000)
        .map(|i| param(Family::Resize, 11, i, "scale"))
        .collect();
    s.sort_by(f64::total_cmp);
    let (lo, hi) = (s[0], s[s.len() - 1]);
    assert!((0.3..0.32).contains(&lo), "min {lo}");
    assert!(hi <= 3.0 && hi > 2.8, "max {hi}");
    // ln(scale) uniform on [ln 0.3, ln 3]: the median is 0.3 * sqrt(10) ~ 0.949, the
    // quartiles 0.3 * 10^0.25 ~ 0.533 and 0.3 * 10^0.75 ~ 1.687.
    for (q, want) in [(0.25, 0.5335), (0.5, 0.9487), (0.75, 1.687)] {
        let got = quantile(&s, q);
        assert!(
            (got.ln() - f64::ln(want)).abs() < 0.12,
            "quantile {q}: {got} vs {want}"
        );
    }
    // Not only the decoder's inverse scales: plenty of draws far from 0.5, 0.75, 1.5.
    let off_grid = s
        .iter()
        .filter(|v| [0.5, 0.75, 1.5, 1.0].iter().all(|g| (*v - g).abs() > 0.03))
        .count();
    assert!(off_grid > 800, "{off_grid} draws off the grid");
    // The two sides differ by up to 10 %, and do differ.
    let ratios: Vec<f64> = (0..1000)
        .map(|i| param(Family::Resize, 11, i, "scale_x") / param(Family::Resize, 11, i, "scale_y"))
        .collect();
    assert!(ratios
        .iter()
        .all(|r| (1.0 / 1.1 - 1e-3..=1.1 + 1e-3).contains(r)));
    assert!(ratios.iter().any(|r| *r > 1.08) && ratios.iter().any(|r| *r < 0.93));
}

#[test]
fn other_ranges_are_covered() {
    let span = |f: Family, name: &str| {
        let v: Vec<f64> = (0..1000).map(|i| param(f, 3, i, name)).collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (lo, hi, mean)
    };
    let check = |f: Family, name: &str, lo: f64, hi: f64, slack: f64| {
        let (a, b, m) = span(f, name);
        assert!(
            a >= lo && a <= lo + slack && b <= hi && b >= hi - slack,
            "{} {name}: [{a}, {b}] vs [{lo}, {hi}]",
            f.name()
        );
        // Uniform: the mean near the middle.
        assert!(
            (m - (lo + hi) / 2.0).abs() < (hi - lo) * 0.05,
            "{} {name}: mean {m}",
            f.name()
        );
    };
    check(Family::Rotate, "degrees", -30.0, 30.0, 0.5);
    check(Family::Jpeg, "jpeg_quality", 30.0, 95.0, 0.0);
    check(Family::Webp, "webp_quality", 50.0, 95.0, 0.0);
    check(Family::Blur, "blur_sigma", 0.5, 2.0, 0.02);
    check(Family::Gamma, "gamma", 0.7, 1.4, 0.02);
    check(Family::Reshare, "width_fraction", 0.4, 0.9, 0.01);
    check(Family::Reshare, "jpeg_quality", 60.0, 85.0, 0.0);
    check(Family::ScreenshotJpeg, "dpr", 1.0, 3.0, 0.02);
    check(Family::ScreenshotJpeg, "jpeg_quality", 70.0, 90.0, 0.0);
    check(Family::Rotate90, "quarter_turns", 1.0, 3.0, 0.0);
    // Crops of a 512 x 384 cover: each side from 256 px to the whole side.
    check(Family::Crop, "crop_w", 0.5, 1.0, 0.01);
    check(Family::Crop, "crop_h", 256.0 / 384.0, 1.0, 0.01);
    check(Family::Crop, "crop_x", 0.0, 1.0, 0.01);
    let ups = (0..1000)
        .filter(|&i| param(Family::ScreenshotJpeg, 3, i, "upscale") == 1.0)
        .count();
    assert!((400..=600).contains(&ups), "{ups} upscales of 1000");
}

#[test]
fn every_family_gives_the_size_its_parameters_say() {
    let img = texture(320, 272, 1.0);
    let (w, h) = (320.0f64, 272.0f64);
    for f in Family::ALL {
        for i in 0..8 {
            let mut rng = trial_rng(5, f, "t.png", i);
            let d = f.draw(&mut rng, 320, 272);
            let out = d.attack.apply(&img, &mut rng).unwrap();
            let p = |n: &str| d.params[n];
            let (ow, oh) = (f64::from(out.width()), f64::from(out.height()));
            let crop_side = |full: f64, frac: f64| (full * frac).round().max(256f64.min(full));
            let (ew, eh) = match f {
                Family::Resize | Family::ResizeJpeg => {
                    ((w * p("scale_x")).round(), (h * p("scale_y")).round())
                }
                Family::Reshare => (
                    (w * p("width_fraction")).round(),
                    (h * p("width_fraction")).round(),
                ),
                Family::ScreenshotJpeg => ((w * p("scale")).round(), (h * p("scale")).round()),
                Family::Crop | Family::CropRotateJpeg | Family::BrightnessCropJpeg => {
                    (crop_side(w, p("crop_w")), crop_side(h, p("crop_h")))
                }
                Family::WamCombined => (
                    (w * std::f64::consts::FRAC_1_SQRT_2).round(),
                    (h * std::f64::consts::FRAC_1_SQRT_2).round(),
                ),
                Family::Rotate90 if p("quarter_turns") as u32 % 2 == 1 => (h, w),
                Family::RotateInscribed => {
                    let (iw, ih) = inscribed_rect(320, 272, p("degrees") as f32);
                    ((iw.floor() - 2.0).max(1.0), (ih.floor() - 2.0).max(1.0))
                }
                _ => (w, h),
            };
            assert_eq!((ow, oh), (ew, eh), "{} {:?}", f.name(), d.params);
            if matches!(f, Family::Crop) {
                assert!(out.width() >= MIN_CROP_SIDE && out.height() >= MIN_CROP_SIDE);
            }
        }
    }
}

#[test]
fn inscribed_rectangle_is_inside_and_rotations_behave() {
    // 0 degrees: the whole image; 45 degrees of a square: the side over sqrt(2).
    let (a, b) = inscribed_rect(400, 300, 0.0);
    assert!((a - 400.0).abs() < 1e-6 && (b - 300.0).abs() < 1e-6);
    let (a, b) = inscribed_rect(400, 400, 45.0);
    assert!((a - 400.0 / 2f64.sqrt()).abs() < 1e-6 && (b - a).abs() < 1e-6);
    // The inscribed crop of a rotated white image has no black pixels; the black-corner
    // rotation does; the mirrored one does not.
    let white = Image::from_rgb(200, 150, vec![255; 200 * 150 * 3]).unwrap();
    let mut rng = Rng::new(1);
    let rot = |border| {
        Attack::RotateWith {
            degrees: 17.0,
            border,
        }
        .apply(&white, &mut rng.clone())
        .unwrap()
    };
    let darkest = |img: &Image| *img.rgb().iter().min().unwrap();
    assert!(darkest(&rot(Border::Crop)) > 250);
    assert!(darkest(&rot(Border::Reflect)) > 250);
    assert_eq!(darkest(&rot(Border::Black)), 0);
    // Four quarter turns give the image back; one swaps the sides.
    let img = texture(64, 48, 1.3);
    let mut cur = img.clone();
    for _ in 0..4 {
        cur = Attack::RotateQuarter { turns: 1 }
            .apply(&cur, &mut rng)
            .unwrap();
        if cur.width() == 48 {
            assert_eq!(cur.height(), 64);
        }
    }
    assert_eq!(cur.rgb(), img.rgb());
    let half = Attack::RotateQuarter { turns: 2 }
        .apply(&img, &mut rng)
        .unwrap();
    let twice = Attack::Chain(vec![Attack::RotateQuarter { turns: 1 }; 2])
        .apply(&img, &mut rng)
        .unwrap();
    assert_eq!(half.rgb(), twice.rgb());
}

#[test]
fn chains_compose() {
    let img = texture(256, 200, 1.7);
    let mut rng = Rng::new(3);
    let steps = vec![
        Attack::Brightness { factor: 1.2 },
        Attack::ResizeXY {
            sx: 0.61,
            sy: 0.64,
            filter: Resample::Bicubic,
        },
        Attack::CropRegion {
            w_frac: 0.8,
            h_frac: 0.7,
            x_frac: 0.3,
            y_frac: 0.9,
            min_side: 0,
        },
        Attack::Jpeg {
            quality: 70,
            chroma: Chroma::Sub420,
        },
    ];
    let chained = Attack::Chain(steps.clone())
        .apply(&img, &mut rng.clone())
        .unwrap();
    let mut by_hand = img.clone();
    for s in &steps {
        by_hand = s.apply(&by_hand, &mut rng).unwrap();
    }
    assert_eq!(chained.rgb(), by_hand.rgb());
    assert_eq!(
        (chained.width(), chained.height()),
        (
            ((256.0f32 * 0.61).round() * 0.8).round() as u32,
            ((200.0f32 * 0.64).round() * 0.7).round() as u32
        )
    );
    let name = Attack::Chain(steps).name();
    assert!(
        name.contains("resize-0.61x0.64") && name.contains("jpeg420-q70"),
        "{name}"
    );
}

#[test]
fn wilson_interval_matches_known_values() {
    // Wilson 95 % for 0/10: [0, 0.2775]; 10/10: [0.7225, 1]; 5/10: [0.2366, 0.7634].
    let close = |a: f64, b: f64| (a - b).abs() < 1e-3;
    let (l, h) = wilson_interval(0, 10);
    assert!(close(l, 0.0) && close(h, 0.2775), "{l} {h}");
    let (l, h) = wilson_interval(10, 10);
    assert!(close(l, 0.7225) && close(h, 1.0), "{l} {h}");
    let (l, h) = wilson_interval(5, 10);
    assert!(close(l, 0.2366) && close(h, 0.7634), "{l} {h}");
    let (l, h) = wilson_interval(81, 105);
    assert!(l < 81.0 / 105.0 && h > 81.0 / 105.0 && h - l < 0.2);
}

#[test]
fn split_matches_training_every_fifth_and_named_lists() {
    let files: Vec<PathBuf> = (0..12)
        .map(|i| PathBuf::from(format!("p{i:02}.png")))
        .collect();
    let s = covers::split_every(&files, 5);
    let held: Vec<usize> = (0..12).filter(|&i| s[i] == Split::HeldOut).collect();
    assert_eq!(held, vec![4, 9]);
    assert!(covers::split_every(&files, 0)
        .iter()
        .all(|x| *x == Split::Train));
    let s = covers::split_named(&files, &["p03.png".to_string()]).unwrap();
    assert_eq!(s.iter().filter(|x| **x == Split::HeldOut).count(), 1);
    assert_eq!(s[3], Split::HeldOut);
    assert!(covers::split_named(&files, &["nope.png".to_string()]).is_err());
}

#[test]
fn end_to_end_dwt_dct_gives_per_family_rows_with_intervals() {
    let covers: Vec<Cover> = (0..3)
        .map(|i| Cover {
            name: format!("texture{i}.png"),
            image: texture(288, 256, 1.0 + i as f32 * 0.6),
        })
        .collect();
    let splits = [Split::Train, Split::Train, Split::HeldOut];
    let families = vec![Family::None, Family::Jpeg, Family::Rotate, Family::Reshare];
    let cfg = RandomConfig {
        samples: 2,
        families: families.clone(),
        jobs: Some(2),
        ..RandomConfig::default()
    };
    let done = AtomicUsize::new(0);
    let wm = schemes::watermark("dwtDct").unwrap();
    let r = evaluate_random(&wm, &covers, &splits, &cfg, &|| {
        done.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(done.load(Ordering::Relaxed), 3 * 4 * 2);
    assert_eq!(r.trials.len(), 3 * 4 * 2);
    assert_eq!(r.rows.len(), families.len() * 3);
    assert_eq!(r.heldout_covers, vec!["texture2.png".to_string()]);
    for f in &families {
        for (split, n) in [("train", 4), ("held-out", 2), ("all", 6)] {
            let row = r
                .rows
                .iter()
                .find(|x| x.family == f.name() && x.split == split)
                .unwrap_or_else(|| panic!("no row {} {split}", f.name()));
            assert_eq!(row.trials, n, "{} {split}", f.name());
            assert!(row.tpr_low <= row.tpr && row.tpr <= row.tpr_high);
            assert!(row.tpr_low >= 0.0 && row.tpr_high <= 1.0);
            assert!(
                row.tpr_high - row.tpr_low > 0.2,
                "few trials, wide interval"
            );
            assert_eq!(
                row.detected,
                r.trials
                    .iter()
                    .filter(|t| t.family == *f
                        && (split == "all" || t.split.name() == split)
                        && t.marked.detected)
                    .count()
            );
        }
    }
    // The control: dwtDct's clean embedding survives a PNG round trip on every cover, and
    // no clean cover fires.
    let none = family_row(&r.trials, Family::None, None, 48);
    assert_eq!(none.detected, none.trials, "{}", report::random_table(&r));
    assert_eq!(none.tpr_high, 1.0);
    assert!(r.trials.iter().all(|t| !t.clean.detected));
    // A rotation erases dwtDct (block-aligned DWT/DCT).
    let rot = family_row(&r.trials, Family::Rotate, None, 48);
    assert!(rot.tpr < 0.5, "{}", report::random_table(&r));
    // Every trial records its parameters, and its attack replays from them.
    for t in &r.trials {
        if t.family != Family::None {
            assert!(!t.params.is_empty());
        }
        let c = covers.iter().find(|c| c.name == t.cover).unwrap();
        let d = t.family.draw(
            &mut trial_rng(cfg.seed, t.family, &t.cover, t.sample),
            288,
            256,
        );
        assert_eq!(d.attack.name(), t.attack);
        assert_eq!(d.params, t.params);
        let out = d.attack.apply(&c.image, &mut Rng::new(0)).unwrap();
        assert_eq!((out.width(), out.height()), (t.width, t.height));
    }
    // Reports: a markdown line per family, a CSV line per family and split, a trial CSV
    // line per trial.
    let md = report::random_markdown(&r);
    for f in &families {
        assert!(md.contains(&format!("| {} |", f.name())), "{md}");
    }
    assert_eq!(
        report::random_csv(&r).lines().count(),
        1 + families.len() * 3
    );
    assert_eq!(
        report::random_trials_csv(&r).lines().count(),
        1 + r.trials.len()
    );
    let dir = std::env::temp_dir().join(format!("edgemark-random-{}", std::process::id()));
    let written = report::write_random(&r, &dir).unwrap();
    assert_eq!(written.len(), 5);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written[3]).unwrap()).unwrap();
    assert_eq!(json["trials"].as_array().unwrap().len(), r.trials.len());
    assert!(json["trials"][0]["params"].is_object());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn family_names_parse() {
    for f in Family::ALL {
        assert_eq!(Family::parse(f.name()).unwrap(), f);
    }
    assert!(Family::parse("teleport").is_err());
}
