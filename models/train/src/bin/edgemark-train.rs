//! `edgemark-train`: train, export, evaluate and time EdgeMark's own watermark model.
//!
//! ```text
//! edgemark-train train  [--photos DIR] [--out DIR] [--steps N] [--batch N] [--size PX]
//!                       [--lr F] [--lambda F] [--psnr DB] [--warmup N] [--mask F] [--kinds jpeg,crop,..] [--seed N]
//! edgemark-train export --ckpt FILE --dir DIR [--name NAME] [--psnr DB]
//! edgemark-train eval   --card FILE [--photos DIR] [--max-side PX] [--json FILE]
//! edgemark-train bench  --card FILE [--photos DIR] [--size PX] [--runs N]
//! edgemark-train train-generator [--photos DIR] [--out FILE] [--steps N] [--batch N] [--size PX]
//! edgemark-train finetune-decoder (--generator FILE | --vae FILE [--vae-config sd|sdxl|tiny|config.json])
//!                       [--scheme edgemark-hidden-48|edgemark-v3]
//!                       [--photos DIR] [--model DIR] [--message HEX] [--out FILE] [--steps N]
//!                       [--batch N] [--size PX] [--lr F] [--tile-lr F] [--lambda F] [--psnr DB] [--warmup N]
//!                       [--kinds jpeg,crop,..] [--seed N] [--card FILE] [--eval-size PX] [--eval-crops N]
//!                       [--json FILE]
//! edgemark-train eval-finetuned (--generator FILE | --vae FILE [--vae-config ..]) --tuned FILE [--photos DIR] [--model DIR]
//!                       [--scheme ..] [--card FILE] [--message HEX] [--seed N] [--eval-size PX] [--eval-crops N] [--json FILE]
//! ```
//!
//! `finetune-decoder` fine-tunes a generator's image decoder so that every image it makes
//! carries `--message` for a frozen extractor: the network of `--model` (default
//! `models/edgemark-hidden-48`, 48 bits), or with `--scheme edgemark-v3` that scheme's
//! classical reader (32 payload bits), then evaluates it on the held-out photos (and,
//! separately, the training photos) through EdgeMark itself.

use edgemark_train::data::{split, Dataset};
use edgemark_train::distort::Kind;
use edgemark_train::finetune::{self, Extractor, FineTuner, Source};
use edgemark_train::generator::{self, PretrainConfig};
use edgemark_train::sdvae::VaeConfig;
use edgemark_train::train::{Config, Trainer};
use edgemark_train::{evaluate, export, gen_eval, Error, Result};
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

fn kinds(m: &HashMap<String, String>) -> Result<Vec<Kind>> {
    match m.get("kinds") {
        None => Ok(Vec::new()),
        Some(list) => list
            .split(',')
            .map(|k| {
                Kind::from_name(k).ok_or_else(|| Error::Config(format!("--kinds: unknown '{k}'")))
            })
            .collect(),
    }
}

/// The default message fine-tuned generators carry (48 bits).
const DEFAULT_MESSAGE: &str = "0x5D1E6A3C0F93";
/// The default message for `edgemark-v3` (32 payload bits).
const DEFAULT_V3_MESSAGE: &str = "0x5D1E6A3C";

fn train_generator(m: &HashMap<String, String>, photos: &std::path::Path) -> Result<()> {
    let d = PretrainConfig::default();
    let cfg = PretrainConfig {
        steps: get(m, "steps", d.steps)?,
        batch: get(m, "batch", d.batch)?,
        lr: get(m, "lr", d.lr)?,
        seed: get(m, "seed", d.seed)?,
    };
    let out = PathBuf::from(get(
        m,
        "out",
        ".cache/generator/tiny-vae.safetensors".to_string(),
    )?);
    let (train, held) = split(photos)?;
    let size: u32 = get(m, "size", 128)?;
    let data = Dataset::load(&train, size, get(m, "max-side", 640)?)?;
    println!(
        "training the small generator on {} photos ({} held out), {size}x{size} crops, {cfg:?}",
        data.len(),
        held.len()
    );
    let t = std::time::Instant::now();
    let vars = generator::pretrain(&data, &cfg, |l| println!("{l}"))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    vars.save(&out)?;
    println!(
        "wrote {} ({:.0} s)",
        out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The generator to fine-tune or evaluate: `--generator` (a [`generator::TinyVae`] file) or
/// `--vae` (diffusers' `AutoencoderKL`, sizes from `--vae-config`).
fn source(m: &HashMap<String, String>) -> Result<Source> {
    Ok(match (m.get("generator"), m.get("vae")) {
        (Some(g), None) => Source::Tiny(PathBuf::from(g)),
        (None, Some(v)) => Source::Sd(
            PathBuf::from(v),
            VaeConfig::named_or_file(&get(m, "vae-config", "sd".to_string())?)?,
        ),
        _ => {
            return Err(Error::Config(
                "give exactly one of --generator FILE (edgemark-train train-generator) and \
                 --vae FILE (a diffusers AutoencoderKL safetensors)"
                    .into(),
            ))
        }
    })
}

fn finetune_decoder(m: &HashMap<String, String>, photos: &std::path::Path) -> Result<()> {
    let source = source(m)?;
    let reader = Reader::from_args(m)?;
    let d = finetune::Config::default();
    let cfg = finetune::Config {
        steps: get(m, "steps", d.steps)?,
        batch: get(m, "batch", d.batch)?,
        lr: get(m, "lr", d.lr)?,
        tile_lr: get(m, "tile-lr", d.tile_lr)?,
        lambda: get(m, "lambda", d.lambda)?,
        psnr: get(m, "psnr", d.psnr)?,
        warmup: get(m, "warmup", d.warmup)?,
        kinds: kinds(m)?,
        seed: get(m, "seed", d.seed)?,
    };
    let (message, message_text) = reader.message(m)?;
    let seed = cfg.seed;
    let (train, held) = split(photos)?;
    let size: u32 = get(m, "size", 128)?;
    let data = Dataset::load(&train, size, get(m, "max-side", 640)?)?;
    println!(
        "fine-tuning the decoder of {} against {} on {} photos ({} held out), {size}x{size} crops, {cfg:?}",
        source.path().display(),
        reader.describe(),
        data.len(),
        held.len()
    );
    let t = std::time::Instant::now();
    let extractor = reader.extractor(&message)?;
    let mut ft = FineTuner::new(&source, extractor, cfg)?;
    ft.run(&data, get(m, "every", 25)?, |l| println!("{l}"))?;
    let secs = t.elapsed().as_secs_f64();
    let out = PathBuf::from(get(
        m,
        "out",
        ".cache/generator/finetuned.safetensors".to_string(),
    )?);
    ft.save(&out)?;
    println!("wrote {} (fine-tuning {secs:.0} s)", out.display());
    evaluate_generators(
        m,
        ft.original(),
        ft.tuned(),
        (&held, &train),
        &reader,
        (&message, &message_text),
        seed,
        Some(secs),
    )
}

/// The scheme a fine-tuned generator is trained against and read with: `--scheme
/// edgemark-v3` (its classical reader), or `edgemark-hidden-48`'s network (the default):
/// `decoder.onnx` of `--model DIR` (default `models/edgemark-hidden-48`) for training, and
/// `--card FILE` (default that folder's `card.toml`, what `edgemark detect --scheme
/// edgemark-hidden-48` loads) for reading.
enum Reader {
    Hidden { model: PathBuf, card: PathBuf },
    V3,
}

impl Reader {
    fn from_args(m: &HashMap<String, String>) -> Result<Reader> {
        let model = PathBuf::from(get(m, "model", "models/edgemark-hidden-48".to_string())?);
        let card = m
            .get("card")
            .map(PathBuf::from)
            .unwrap_or_else(|| model.join("card.toml"));
        match get(m, "scheme", "edgemark-hidden-48".to_string())?.as_str() {
            "edgemark-hidden-48" => Ok(Reader::Hidden { model, card }),
            "edgemark-v3" if !m.contains_key("model") && !m.contains_key("card") => Ok(Reader::V3),
            "edgemark-v3" => Err(Error::Config(
                "--model and --card are for edgemark-hidden-48; edgemark-v3 needs neither".into(),
            )),
            other => Err(Error::Config(format!(
                "--scheme {other}: fine-tuning knows edgemark-hidden-48 and edgemark-v3"
            ))),
        }
    }

    fn describe(&self) -> String {
        match self {
            Reader::Hidden { card, .. } => card.display().to_string(),
            Reader::V3 => edgemark::EdgemarkV3::NAME.to_string(),
        }
    }

    /// `--message` (default [`DEFAULT_MESSAGE`] or [`DEFAULT_V3_MESSAGE`]) as bits, checked
    /// against the number the scheme carries (the card alone says it: no ONNX load).
    fn message(&self, m: &HashMap<String, String>) -> Result<(Vec<bool>, String)> {
        let (bits, default) = match self {
            Reader::Hidden { card, .. } => (
                edgemark::neural::ModelCard::load(card)?.bits,
                DEFAULT_MESSAGE,
            ),
            Reader::V3 => (edgemark::schemes::V3_PAYLOAD_BITS, DEFAULT_V3_MESSAGE),
        };
        let text = get(m, "message", default.to_string())?;
        Ok((finetune::parse_message(&text, bits)?, text))
    }

    fn extractor(&self, message: &[bool]) -> Result<Extractor> {
        let dev = candle_core::Device::Cpu;
        match self {
            Reader::Hidden { model, .. } => {
                Extractor::hidden(&model.join(export::DECODER_FILE), message, &dev)
            }
            Reader::V3 => Extractor::v3(message, &dev),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn evaluate(
        &self,
        original: &dyn generator::Generator,
        tuned: &dyn generator::Generator,
        covers: &[edgemark_eval::covers::Cover],
        size: u32,
        per: usize,
        message: &[bool],
        seed: u64,
    ) -> Result<gen_eval::GenEval> {
        match self {
            Reader::Hidden { card, .. } => gen_eval::evaluate(
                original,
                tuned,
                covers,
                size,
                per,
                edgemark::neural::Neural::load(card)?,
                message,
                1e-6,
                seed,
            ),
            Reader::V3 => gen_eval::evaluate(
                original,
                tuned,
                covers,
                size,
                per,
                edgemark::EdgemarkV3::new()?,
                message,
                1e-6,
                seed,
            ),
        }
    }
}

/// Evaluates a fine-tuned generator against its original on the held-out and the training
/// photos through `reader`'s scheme; prints both tables and writes `--json`.
#[allow(clippy::too_many_arguments)]
fn evaluate_generators(
    m: &HashMap<String, String>,
    original: &dyn generator::Generator,
    tuned: &dyn generator::Generator,
    (held, train): (&[PathBuf], &[PathBuf]),
    reader: &Reader,
    (message, message_text): (&[bool], &str),
    seed: u64,
    fine_tuning_seconds: Option<f64>,
) -> Result<()> {
    let eval_size: u32 = get(m, "eval-size", 256)?;
    let per: usize = get(m, "eval-crops", 4)?;
    println!("reading with {}", reader.describe());
    let mut json = Vec::new();
    for (label, files) in [("held-out photos", held), ("training photos", train)] {
        let covers = evaluate::covers(files, get(m, "eval-max-side", 512)?)?;
        let e = reader.evaluate(original, tuned, &covers, eval_size, per, message, seed)?;
        println!("\n## {label}\n\n{}", gen_eval::table(&e));
        json.push(serde_json::json!({"set": label, "eval": e}));
    }
    if let Some(j) = m.get("json") {
        let text = serde_json::to_string_pretty(&serde_json::json!({
            "fine_tuning_seconds": fine_tuning_seconds,
            "card": reader.describe(),
            "message": message_text,
            "sets": json,
        }))
        .map_err(|e| Error::Config(e.to_string()))?;
        std::fs::write(j, text).map_err(|e| Error::io(j, e))?;
    }
    Ok(())
}

/// `eval-finetuned`: evaluates a generator fine-tuned earlier (`--tuned`, written by
/// `finetune-decoder --out`) against its original (`--generator`), as `finetune-decoder` does
/// after training, with any card (`--card`) or `--scheme`.
fn eval_finetuned(m: &HashMap<String, String>, photos: &std::path::Path) -> Result<()> {
    let reader = Reader::from_args(m)?;
    let dev = candle_core::Device::Cpu;
    let source = source(m)?;
    let original = source.load(&dev)?;
    let tuned = source.with_path(need(m, "tuned")?).load(&dev)?;
    let (train, held) = split(photos)?;
    let seed: u64 = get(m, "seed", finetune::Config::default().seed)?;
    let (message, message_text) = reader.message(m)?;
    evaluate_generators(
        m,
        original.as_ref(),
        tuned.as_ref(),
        (&held, &train),
        &reader,
        (&message, &message_text),
        seed,
        None,
    )
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = args.split_first().ok_or_else(|| {
        Error::Config(
            "usage: edgemark-train train|export|eval|bench|train-generator|finetune-decoder|eval-finetuned ..."
                .into(),
        )
    })?;
    let m = parse(rest)?;
    let photos = PathBuf::from(get(&m, "photos", ".cache/photos".to_string())?);
    match cmd.as_str() {
        "train" => {
            let d = Config::default();
            let cfg = Config {
                kinds: kinds(&m)?,
                steps: get(&m, "steps", d.steps)?,
                batch: get(&m, "batch", d.batch)?,
                lr: get(&m, "lr", d.lr)?,
                lambda: get(&m, "lambda", d.lambda)?,
                psnr: get(&m, "psnr", d.psnr)?,
                mask_prob: get(&m, "mask", d.mask_prob)?,
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
        "train-generator" => train_generator(&m, &photos)?,
        "finetune-decoder" => finetune_decoder(&m, &photos)?,
        "eval-finetuned" => eval_finetuned(&m, &photos)?,
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
