//! Embedding quality of a scheme over a folder of photos at native size: PSNR and SSIM
//! (`edgemark_eval::metrics::ssim`) per photo and their means.
//!
//! cargo run --release -p edgemark-eval --example embed_quality -- edgemark-v3 .cache/photos

use edgemark::Image;
use edgemark_eval::{metrics, schemes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let scheme = args.get(1).map(String::as_str).unwrap_or("edgemark-v3");
    let dir = args.get(2).map(String::as_str).unwrap_or(".cache/photos");
    let wm = schemes::watermark(scheme)?;
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg" || e == "png"))
        .collect();
    files.sort();
    let (mut sp, mut ss, mut n) = (0.0, 0.0, 0);
    for f in &files {
        let img = Image::open(f)?;
        let marked = wm.embed(&img, None)?;
        let (p, s) = (
            edgemark::image::psnr(&img, &marked),
            metrics::ssim(&img, &marked),
        );
        println!(
            "{:<24} PSNR {p:6.2} dB  SSIM {s:.4}",
            f.file_name().unwrap_or_default().to_string_lossy()
        );
        sp += p;
        ss += s;
        n += 1;
    }
    println!(
        "{scheme}: mean PSNR {:.2} dB, mean SSIM {:.4} over {n} photos",
        sp / n as f64,
        ss / n as f64
    );
    Ok(())
}
