//! Development probe for edgemark-v3: embeds a payload into every photo of a folder, applies
//! attacks with seeded random parameters, and prints per-attack detection (open-set, BCH),
//! bit errors and the synchronization strength, plus the same on the clean photos.
//!
//! cargo run --release -p edgemark --example v3_probe -- .cache/photos [attack-filter]

use edgemark::{Bits, Detector, EdgemarkV3, Image, Scheme, Watermark};
use image::{imageops, ImageEncoder, RgbImage};
use std::time::Instant;

struct Rng(u64);
impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.unit()
    }
}

fn to_rgb(img: &Image) -> RgbImage {
    RgbImage::from_raw(img.width(), img.height(), img.rgb().to_vec()).expect("size")
}
fn from_rgb(img: RgbImage) -> Image {
    let (w, h) = img.dimensions();
    Image::from_rgb(w, h, img.into_raw()).expect("size")
}
fn resize(img: &Image, sx: f64, sy: f64) -> Image {
    let w = ((img.width() as f64 * sx).round() as u32).max(8);
    let h = ((img.height() as f64 * sy).round() as u32).max(8);
    from_rgb(imageops::resize(
        &to_rgb(img),
        w,
        h,
        imageops::FilterType::Triangle,
    ))
}
fn jpeg(img: &Image, q: u8) -> Image {
    let mut buf = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, q)
        .write_image(
            img.rgb(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("jpeg");
    Image::decode(&buf).expect("decode")
}
fn crop(img: &Image, fw: f64, fh: f64, rng: &mut Rng) -> Image {
    let w = ((img.width() as f64 * fw) as u32).max(16);
    let h = ((img.height() as f64 * fh) as u32).max(16);
    let x = (rng.unit() * (img.width() - w) as f64) as u32;
    let y = (rng.unit() * (img.height() - h) as f64) as u32;
    from_rgb(imageops::crop_imm(&to_rgb(img), x, y, w, h).to_image())
}
/// Rotation about the centre, bilinear, cropped to the largest inscribed axis-aligned rectangle.
fn rotate(img: &Image, deg: f64) -> Image {
    let (w, h) = (img.width() as f64, img.height() as f64);
    let a = deg.to_radians();
    let (s, c) = (a.sin().abs(), a.cos().abs());
    // Largest axis-aligned rectangle inside the rotated w x h rectangle (same aspect approx).
    let (cw, ch) = {
        let side_long = w.max(h);
        let side_short = w.min(h);
        let (wr, hr) = if side_short <= 2.0 * s * c * side_long || (s - c).abs() < 1e-10 {
            let x = 0.5 * side_short;
            if w >= h {
                (x / s, x / c)
            } else {
                (x / c, x / s)
            }
        } else {
            let cos_2a = c * c - s * s;
            ((w * c - h * s) / cos_2a, (h * c - w * s) / cos_2a)
        };
        (wr.floor().max(16.0), hr.floor().max(16.0))
    };
    let src = img.rgb();
    let (iw, ih) = (img.width() as usize, img.height() as usize);
    let (ow, oh) = (cw as usize, ch as usize);
    let mut out = vec![0u8; ow * oh * 3];
    let (ca, sa) = (a.cos(), a.sin());
    for y in 0..oh {
        for x in 0..ow {
            let dx = x as f64 + 0.5 - cw / 2.0;
            let dy = y as f64 + 0.5 - ch / 2.0;
            let sx = ca * dx + sa * dy + w / 2.0 - 0.5;
            let sy = -sa * dx + ca * dy + h / 2.0 - 0.5;
            let x0 = sx.floor().clamp(0.0, (iw - 2) as f64);
            let y0 = sy.floor().clamp(0.0, (ih - 2) as f64);
            let (fx, fy) = ((sx - x0).clamp(0.0, 1.0), (sy - y0).clamp(0.0, 1.0));
            let (x0, y0) = (x0 as usize, y0 as usize);
            for ch_ in 0..3 {
                let p = |xx: usize, yy: usize| src[(yy * iw + xx) * 3 + ch_] as f64;
                let v = (p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx) * (1.0 - fy)
                    + (p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx) * fy;
                out[(y * ow + x) * 3 + ch_] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    Image::from_rgb(ow as u32, oh as u32, out).expect("size")
}
fn blur(img: &Image, sigma: f32) -> Image {
    from_rgb(imageops::blur(&to_rgb(img), sigma))
}

type Attack = (&'static str, fn(&Image, &mut Rng) -> (Image, String));

fn attacks() -> Vec<Attack> {
    vec![
        ("none", |i, _| (i.clone(), String::new())),
        ("jpeg50", |i, _| (jpeg(i, 50), String::new())),
        ("jpeg30", |i, _| (jpeg(i, 30), String::new())),
        ("scale", |i, r| {
            let s = (r.range(0.3f64.ln(), 3f64.ln())).exp();
            let a = r.range(-0.1, 0.1);
            (
                resize(i, s, s * (1.0 + a)),
                format!("{s:.3} aspect {a:+.2}"),
            )
        }),
        ("scale+jpeg", |i, r| {
            let s = (r.range(0.3f64.ln(), 3f64.ln())).exp();
            let q = r.range(50.0, 95.0) as u8;
            (jpeg(&resize(i, s, s), q), format!("{s:.3} q{q}"))
        }),
        ("rotate", |i, r| {
            let d = r.range(-30.0, 30.0);
            (rotate(i, d), format!("{d:.1}"))
        }),
        ("rot+crop+jpeg", |i, r| {
            let d = r.range(-30.0, 30.0);
            let f = r.range(0.4, 0.9);
            let q = r.range(50.0, 95.0) as u8;
            (
                jpeg(&crop(&rotate(i, d), f, f, r), q),
                format!("{d:.1} {f:.2} q{q}"),
            )
        }),
        ("reshare", |i, r| {
            let s = r.range(0.4, 0.9);
            let q = r.range(60.0, 85.0) as u8;
            (jpeg(&resize(i, s, s), q), format!("{s:.3} q{q}"))
        }),
        ("blur2", |i, _| (blur(i, 2.0), String::new())),
        ("crop256", |i, r| {
            let fw = 256.0 / i.width() as f64;
            let fh = 256.0 / i.height() as f64;
            (crop(i, fw.min(1.0), fh.min(1.0), r), String::new())
        }),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("one") {
        // one FILE SCALE ANGLE JPEGQ(0 = none)
        let img = Image::open(&args[2]).expect("open");
        let s: f64 = args[3].parse().expect("scale");
        let a: f64 = args[4].parse().expect("angle");
        let q: u8 = args[5].parse().expect("q");
        let psnr: f32 = std::env::var("V3_PSNR")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(40.5);
        let scheme = EdgemarkV3::new()
            .expect("scheme")
            .with_psnr(psnr)
            .expect("psnr");
        let payload = Bits::parse("0x5EC3E7A1").expect("payload");
        let marked = scheme.embed(&img, &payload).expect("embed");
        let mut att = if s != 1.0 {
            resize(&marked, s, s)
        } else {
            marked.clone()
        };
        if a != 0.0 {
            att = rotate(&att, a);
        }
        if q > 0 {
            att = jpeg(&att, q);
        }
        let code = scheme.code_word(&payload).expect("code");
        println!("psnr {:.2}", edgemark::image::psnr(&img, &marked));
        if std::env::var_os("V3_DIFF").is_some() {
            let d: Vec<u8> = marked
                .rgb()
                .iter()
                .zip(img.rgb())
                .map(|(a, b)| (128 + *a as i32 - *b as i32).clamp(0, 255) as u8)
                .collect();
            let di = Image::from_rgb(img.width(), img.height(), d).expect("d");
            let r = scheme.decode(&di).expect("decode");
            println!(
                "diff-only: errs {} [{}]",
                127 - r[0].bits.matches(&code),
                r[0].variant
            );
        }
        let t0 = Instant::now();
        let r = scheme.decode(&att).expect("decode");
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        let reads: Vec<String> = r
            .iter()
            .map(|r| format!("errs {} [{}]", 127 - r.bits.matches(&code), r.variant))
            .collect();
        println!(
            "{}x{} {} {ms:.1} ms",
            att.width(),
            att.height(),
            reads.join(" | ")
        );
        return;
    }
    let dir = args.get(1).map(String::as_str).unwrap_or(".cache/photos");
    let filter = args.get(2).cloned().unwrap_or_default();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg" || e == "png"))
        .collect();
    files.sort();
    let scheme = EdgemarkV3::new().expect("scheme");
    let payload = Bits::parse("0x5EC3E7A1").expect("payload");
    let open = Detector::new().with(Watermark::new("v3", scheme.clone(), None).expect("wm"));
    let mut rng = Rng(42);
    let list = attacks();
    let mut stats: Vec<(usize, usize, usize, f64, f64)> = vec![(0, 0, 0, 0.0, 0.0); list.len()];
    let (mut psnr_sum, mut n_img) = (0.0, 0);
    for f in &files {
        let img = Image::open(f).expect("open");
        if img.width().min(img.height()) < 256 {
            continue;
        }
        let marked = scheme.embed(&img, &payload).expect("embed");
        psnr_sum += edgemark::image::psnr(&img, &marked);
        n_img += 1;
        for (ai, (name, attack)) in list.iter().enumerate() {
            if !filter.is_empty() && !name.contains(filter.as_str()) {
                continue;
            }
            let mut r2 = Rng(rng.0);
            let (att, params) = attack(&marked, &mut rng);
            let (clean_att, _) = attack(&img, &mut r2);
            let t0 = Instant::now();
            let rep = open.detect(&att);
            let dt = t0.elapsed().as_secs_f64() * 1e3;
            let fnd = &rep.findings[0];
            let code = scheme.code_word(&payload).expect("code");
            let reading = scheme.decode(&att);
            let errs = match &reading {
                Ok(r) => 127 - r[0].bits.matches(&code),
                Err(_) => 127,
            };
            let ok = fnd.detected && fnd.bits == payload;
            let clean = open.detect(&clean_att).findings[0].detected;
            let s = &mut stats[ai];
            s.0 += 1;
            s.1 += ok as usize;
            s.2 += clean as usize;
            s.3 += errs as f64;
            s.4 += dt;
            if !ok || std::env::var("V3_VERBOSE").is_ok() {
                println!(
                    "{:<22} {:<14} {:<22} {} errs {:>3} [{}] {:.0} ms",
                    f.file_name().unwrap_or_default().to_string_lossy(),
                    name,
                    params,
                    if ok { "ok  " } else { "MISS" },
                    errs,
                    fnd.variant,
                    dt
                );
            }
        }
    }
    println!(
        "mean PSNR {:.2} dB over {n_img} photos",
        psnr_sum / n_img.max(1) as f64
    );
    println!(
        "{:<16} {:>6} {:>8} {:>8} {:>10} {:>8}",
        "attack", "n", "TPR", "cleanFP", "mean errs", "ms"
    );
    for ((name, _), s) in list.iter().zip(&stats) {
        if s.0 == 0 {
            continue;
        }
        println!(
            "{:<16} {:>6} {:>8.3} {:>8} {:>10.1} {:>8.1}",
            name,
            s.0,
            s.1 as f64 / s.0 as f64,
            s.2,
            s.3 / s.0 as f64,
            s.4 / s.0 as f64
        );
    }
}
