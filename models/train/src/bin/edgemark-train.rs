//! `edgemark-train`: train, export, evaluate and time EdgeMark's own watermark model.
//!
//! ```text
//! edgemark-train train  [--photos DIR] [--out DIR] [--steps N] [--batch N] [--size PX]
//!                       [--lr F] [--lambda F] [--psnr DB] [--warmup N] [--mask F] [--kinds jpeg,crop,..] [--seed N]
//! edgemark-train export --ckpt FILE --dir DIR [--name NAME] [--psnr DB]
//! edgemark-train eval   --card FILE [--photos DIR] [--max-side PX] [--json FILE]
//! edgemark-train bench  --card FILE [--photos DIR] [--size PX] [--runs N]
//! ```

use edgemark_train::data::{split, Dataset};
use edgemark_train::distort::Kind;
use edgemark_train::train::{Config, Trainer};
use edgemark_train::{evaluate, export, Error, Result};
use std::collections::HashMap;
use std::path::PathBuf;

fn parse(args: &[String]) -> Result<HashMap<String, String>> {
    let mut map = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let key = a
            .strip_prefix("--")
            .ok_or_else(|| Error::Config(format!("unexpected argument '{a}'")))?;
        let v = it
            .next()
            .ok_or_else(|| Error::Config(format!("--{key} needs a value")))?;
        map.insert(key.to_string(), v.clone());
    }
    Ok(map)
}

fn get<T: std::str::FromStr>(m: &HashMap<String, String>, k: &str, d: T) -> Result<T> {
    match m.get(k) {
        None => Ok(d),
        Some(v) => v
            .parse()
            .map_err(|_| Error::Config(format!("--{k}: cannot parse '{v}'"))),
    }
}

fn need(m: &HashMap<String, String>, k: &str) -> Result<PathBuf> {
    m.get(k)
        .map(PathBuf::from)
        .ok_or_else(|| Error::Config(format!("--{k} is required")))
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = args
        .split_first()
        .ok_or_else(|| Error::Config("usage: edgemark-train train|export|eval|bench ...".into()))?;
    let m = parse(rest)?;
    let photos = PathBuf::from(get(&m, "photos", ".cache/photos".to_string())?);
    match cmd.as_str() {
        "train" => {
            let d = Config::default();
            let cfg = Config {
                steps: get(&m, "steps", d.steps)?,
                batch: get(&m, "batch", d.batch)?,
                lr: get(&m, "lr", d.lr)?,
                lambda: get(&m, "lambda", d.lambda)?,
                psnr: get(&m, "psnr", d.psnr)?,
                mask_prob: get(&m, "mask", d.mask_prob)?,
                kinds: match m.get("kinds") {
                    None => Vec::new(),
                    Some(list) => list
                        .split(',')
                        .map(|k| {
                            Kind::from_name(k)
                                .ok_or_else(|| Error::Config(format!("--kinds: unknown '{k}'")))
                        })
                        .collect::<Result<_>>()?,
                },
                warmup: get(&m, "warmup", d.warmup)?,
                seed: get(&m, "seed", d.seed)?,
                every: get(&m, "every", d.every)?,
                out: Some(PathBuf::from(get(&m, "out", ".cache/train".to_string())?)),
                ..d
            };
            let (train, held) = split(&photos)?;
            let size: u32 = get(&m, "size", 128)?;
            let data = Dataset::load(&train, size, get(&m, "max-side", 640)?)?;
            println!(
                "training on {} photos ({} held out), {size}x{size} crops, {:?}",
                data.len(),
                held.len(),
                cfg
            );
            let mut t = Trainer::new(cfg)?;
            if t.step > 0 {
                println!("resumed at step {}", t.step);
            }
            t.run(&data, |line| println!("{line}"))?;
            t.save()?;
        }
        "export" => {
            let mut t = Trainer::new(Config::default())?;
            t.load_weights(&need(&m, "ckpt")?)?;
            let dir = need(&m, "dir")?;
            let name = get(&m, "name", "edgemark-hidden-48".to_string())?;
            // The exported residual PSNR (the quality/robustness knob; training's by default).
            let psnr: f64 = get(&m, "psnr", Config::default().psnr)?;
            export::write_folder(
                &t.model,
                &dir,
                &name,
                psnr,
                &format!("Exported by edgemark-train (residual at {psnr} dB PSNR)."),
            )?;
            println!("wrote {}", dir.display());
        }
        "eval" => {
            let (_, held) = split(&photos)?;
            let covers = evaluate::covers(&held, get(&m, "max-side", 512)?)?;
            let r = evaluate::evaluate(&need(&m, "card")?, &covers)?;
            println!("{}", edgemark_eval::report::table(&r));
            if let Some(j) = m.get("json") {
                let text = edgemark_eval::report::json(&r)?;
                std::fs::write(j, text).map_err(|e| Error::io(j, e))?;
            }
        }
        "bench" => {
            let (_, held) = split(&photos)?;
            let size: u32 = get(&m, "size", 256)?;
            let img = edgemark::Image::open(&held[0])?;
            let (med, min) =
                evaluate::decode_latency(&need(&m, "card")?, &img, size, get(&m, "runs", 50)?)?;
            println!(
                "decoder {size}x{size}, one thread (tract): median {med:.2} ms, min {min:.2} ms"
            );
        }
        other => return Err(Error::Config(format!("unknown command '{other}'"))),
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("edgemark-train: {e}");
        std::process::exit(1);
    }
}
