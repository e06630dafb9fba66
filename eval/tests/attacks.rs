//! Unit-level checks of the attack suite: determinism, dimensions and what each attack
//! does to known pixels.

use edgemark::Image;
use edgemark_eval::attacks::{self, standard_suite, Attack, Chroma};
use edgemark_eval::metrics::psnr;
use edgemark_eval::rng::Rng;

/// A colourful, textured test image (no flat areas, no clipping).
fn texture(w: u32, h: u32) -> Image {
    let mut v = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let (xf, yf) = (x as f32, y as f32);
            let r = 128.0 + 60.0 * (xf * 0.11).sin() + 30.0 * (yf * 0.23).cos();
            let g = 128.0 + 50.0 * ((xf + yf) * 0.07).sin() + 25.0 * (xf * 0.31).sin();
            let b = 128.0 + 55.0 * (yf * 0.13).sin() * (xf * 0.05).cos();
            v.extend([r, g, b].map(|c| c.round().clamp(0.0, 255.0) as u8));
        }
    }
    Image::from_rgb(w, h, v).unwrap()
}

fn apply(a: &Attack, img: &Image, seed: u64) -> Image {
    a.apply(img, &mut Rng::for_case(seed, 0, &a.name()))
        .unwrap()
}

#[test]
fn every_attack_is_deterministic_for_a_seed_and_names_are_unique() {
    let img = texture(96, 80);
    let suite = standard_suite();
    assert!(suite.len() >= 35, "{} attacks", suite.len());
    let mut names: Vec<String> = suite.iter().map(Attack::name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), suite.len(), "duplicate attack names");
    for a in &suite {
        let x = apply(a, &img, 7);
        let y = apply(a, &img, 7);
        assert_eq!(x.rgb(), y.rgb(), "{} not deterministic", a.name());
        assert_eq!((x.width(), x.height()), (y.width(), y.height()));
    }
    // Randomised attacks change with the seed.
    for a in [
        Attack::Noise { sigma: 5.0 },
        Attack::Crop { keep_area: 0.25 },
    ] {
        assert_ne!(
            apply(&a, &img, 1).rgb(),
            apply(&a, &img, 2).rgb(),
            "{}",
            a.name()
        );
    }
}

#[test]
fn dimensions() {
    let img = texture(64, 48);
    let dims = |a: Attack| {
        let o = apply(&a, &img, 3);
        (o.width(), o.height())
    };
    assert_eq!(dims(Attack::Resize { scale: 0.5 }), (32, 24));
    assert_eq!(dims(Attack::Resize { scale: 0.75 }), (48, 36));
    assert_eq!(dims(Attack::Resize { scale: 1.5 }), (96, 72));
    assert_eq!(dims(Attack::Crop { keep_area: 0.25 }), (32, 24));
    assert_eq!(dims(Attack::Crop { keep_area: 0.5 }), (45, 34));
    assert_eq!(dims(Attack::Rotate { degrees: 10.0 }), (64, 48));
    let same = [
        Attack::Identity,
        Attack::Jpeg {
            quality: 50,
            chroma: Chroma::Sub420,
        },
        Attack::WebP { quality: 50 },
        Attack::Blur { sigma: 2.0 },
        Attack::Screenshot {
            dpr: 2.0,
            jpeg: Some(85),
        },
        Attack::Hue { degrees: 20.0 },
    ];
    for a in same {
        assert_eq!(dims(a.clone()), (64, 48), "{}", a.name());
    }
    assert!(Attack::Crop { keep_area: 0.0 }
        .apply(&img, &mut Rng::new(0))
        .is_err());
    assert!(Attack::Resize { scale: -1.0 }
        .apply(&img, &mut Rng::new(0))
        .is_err());
}

#[test]
fn lossless_attacks_are_exact_and_lossy_ones_degrade_in_order() {
    let img = texture(128, 128);
    assert_eq!(
        psnr(&img, &apply(&Attack::Identity, &img, 0)),
        f64::INFINITY
    );
    assert_eq!(
        psnr(&img, &apply(&Attack::Rotate { degrees: 0.0 }, &img, 0)),
        f64::INFINITY
    );
    let q = |quality, chroma| psnr(&img, &apply(&Attack::Jpeg { quality, chroma }, &img, 0));
    for chroma in [Chroma::Sub420, Chroma::Full444] {
        assert!(q(90, chroma) > q(75, chroma));
        assert!(q(75, chroma) > q(50, chroma));
        assert!(q(50, chroma) > q(30, chroma));
        assert!(q(90, chroma) > 30.0, "{}", q(90, chroma));
    }
    let w = |quality| psnr(&img, &apply(&Attack::WebP { quality }, &img, 0));
    assert!(
        w(90) > w(50) && w(90) > 30.0 && w(90).is_finite(),
        "{}",
        w(90)
    );
    // Noise of sigma 5: PSNR close to 20 log10(255 / 5).
    let n = psnr(&img, &apply(&Attack::Noise { sigma: 5.0 }, &img, 9));
    assert!((n - 20.0 * (255.0f64 / 5.0).log10()).abs() < 0.3, "{n}");
}

#[test]
fn chroma_subsampling_is_real() {
    // One-pixel red/blue columns: pure chroma detail at the highest frequency. 4:2:0 must
    // average it away, 4:4:4 at q90 keeps most of it.
    let (w, h) = (64u32, 64u32);
    let mut v = Vec::new();
    for _y in 0..h {
        for x in 0..w {
            v.extend(if x % 2 == 0 {
                [200, 60, 60]
            } else {
                [60, 60, 200]
            });
        }
    }
    let img = Image::from_rgb(w, h, v).unwrap();
    let full = attacks::jpeg(&img, 90, Chroma::Full444).unwrap();
    let sub = attacks::jpeg(&img, 90, Chroma::Sub420).unwrap();
    let (pf, ps) = (psnr(&img, &full), psnr(&img, &sub));
    assert!(pf > ps + 10.0, "4:4:4 {pf} dB vs 4:2:0 {ps} dB");
    // Red of a red column under 4:2:0 falls towards the mean of red and blue columns.
    let red = |im: &Image| f64::from(im.rgb()[(32 * w as usize + 32) * 3]);
    assert!(
        red(&full) > 170.0 && red(&sub) < 170.0,
        "{} {}",
        red(&full),
        red(&sub)
    );
}

#[test]
fn tone_attacks_do_what_they_say() {
    let img = Image::from_rgb(2, 1, vec![100, 50, 20, 200, 0, 0]).unwrap();
    let b = apply(&Attack::Brightness { factor: 1.5 }, &img, 0);
    assert_eq!(b.rgb(), &[150, 75, 30, 255, 0, 0]);
    let g = apply(&Attack::Grayscale, &img, 0);
    assert!(g.rgb().chunks(3).all(|p| p[0] == p[1] && p[1] == p[2]));
    assert_eq!(g.rgb()[0], 62); // 0.299*100 + 0.587*50 + 0.114*20 = 61.63
    let red = Image::from_rgb(1, 1, vec![255, 0, 0]).unwrap();
    assert_eq!(
        apply(&Attack::Hue { degrees: 120.0 }, &red, 0).rgb(),
        &[0, 255, 0]
    );
    let tex = texture(32, 32);
    assert_eq!(
        apply(&Attack::Hue { degrees: 360.0 }, &tex, 0).rgb(),
        tex.rgb()
    );
    // Contrast 1.0 is the identity; 1.5 spreads values away from the mean.
    assert_eq!(
        apply(&Attack::Contrast { factor: 1.0 }, &tex, 0).rgb(),
        tex.rgb()
    );
    let spread = |im: &Image| {
        let v: Vec<f64> = im.rgb().iter().map(|&x| f64::from(x)).collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64
    };
    assert!(spread(&apply(&Attack::Contrast { factor: 1.5 }, &tex, 0)) > 1.5 * spread(&tex));
    assert!(spread(&apply(&Attack::Blur { sigma: 2.0 }, &tex, 0)) < spread(&tex));
    assert!(
        spread(&apply(
            &Attack::Unsharp {
                sigma: 1.0,
                amount: 1.5
            },
            &tex,
            0
        )) > spread(&tex)
    );
}
