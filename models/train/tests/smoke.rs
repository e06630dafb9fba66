//! CPU smoke test: a few training steps on tiny synthetic images lower the loss; every
//! distortion is differentiable; the ONNX export loads in EdgeMark (tract) and decodes and
//! embeds exactly as the candle model does.
#![cfg(feature = "train")]

mod common;
use common::scratch;

use candle_core::{DType, Device, Tensor, Var};
use edgemark::neural::Neural;
use edgemark::{Bits, Image, Scheme};
use edgemark_train::data::{split, Dataset};
use edgemark_train::distort::{self, KINDS};
use edgemark_train::export;
use edgemark_train::model::Arch;
use edgemark_train::rng::Rng;
use edgemark_train::train::{Config, Trainer};

/// Textured synthetic RGB images (smooth gradients plus seeded noise).
fn synthetic(dir: &std::path::Path, count: usize, side: u32) {
    let mut rng = Rng::new(11);
    for i in 0..count {
        let (fx, fy) = (rng.range(0.05, 0.3), rng.range(0.05, 0.3));
        let img = image::RgbImage::from_fn(side, side, |x, y| {
            let base = 128.0 + 60.0 * ((x as f32 * fx).sin() + (y as f32 * fy).cos());
            let n = rng.range(-20.0, 20.0);
            image::Rgb([
                (base + n).clamp(0.0, 255.0) as u8,
                (255.0 - base + n).clamp(0.0, 255.0) as u8,
                (base * 0.5 + 60.0 + n).clamp(0.0, 255.0) as u8,
            ])
        });
        img.save(dir.join(format!("img{i:02}.png"))).unwrap();
    }
}

fn tiny() -> Arch {
    Arch {
        bits: 8,
        period: 8,
        enc_channels: 4,
        dec_hidden: 4,
        dec_channels: 2,
    }
}

const PSNR: f64 = 30.0;

#[test]
fn a_few_steps_lower_the_loss_and_the_export_matches_in_tract() {
    let photos = scratch("photos");
    synthetic(&photos, 10, 56);
    let (train, held) = split(&photos).unwrap();
    assert_eq!((train.len(), held.len()), (8, 2));
    let data = Dataset::load(&train, 32, 64).unwrap();
    let steps = 80;
    let mut t = Trainer::new(Config {
        arch: tiny(),
        steps,
        batch: 8,
        lr: 5e-3,
        lambda: 0.0,
        psnr: PSNR,
        warmup: steps,
        kinds: Vec::new(),
        mask_prob: 0.0,
        seed: 3,
        out: None,
        every: steps,
    })
    .unwrap();
    let stats = t.run(&data, |_| {}).unwrap();
    assert_eq!(stats.len(), steps);
    let mean = |s: &[edgemark_train::train::StepStats]| {
        s.iter().map(|x| x.bce).sum::<f32>() / s.len() as f32
    };
    let (first, last) = (mean(&stats[..10]), mean(&stats[steps - 10..]));
    assert!(
        last < first - 0.03,
        "loss did not decrease: first 10 steps {first}, last 10 steps {last}"
    );

    // Export, load through EdgeMark's neural scheme (tract), compare with candle.
    let dir = scratch("export");
    export::write_folder(&t.model, &dir, "tiny", PSNR, "smoke test").unwrap();
    let card = dir.join("card.toml").to_string_lossy().into_owned();
    let card = card.as_str();
    let scheme = Neural::load(card).unwrap();
    assert_eq!(scheme.bit_len(), 8);
    assert!(scheme.can_embed());
    // The exported card reads at the typed scales of the learned models.
    assert_eq!(
        scheme.card().decoder.scales,
        edgemark::search::LEARNED_TILED.scales()
    );

    let cover = Image::open(&held[0]).unwrap();
    let message = Bits::new(vec![true, false, true, true, false, false, true, false]);
    let marked = scheme.embed(&cover, &message).unwrap();

    let dev = Device::Cpu;
    let to_tensor = |img: &Image| edgemark_train::gen_eval::to_tensor(img, &dev).unwrap();
    // Embedding: tract's output rounded to 8 bits equals candle's within one level.
    let signed: Vec<f32> = message
        .as_slice()
        .iter()
        .map(|&b| if b { 1.0 } else { -1.0 })
        .collect();
    let m = Tensor::from_vec(signed, (1, 8), &dev).unwrap();
    let ours = t
        .model
        .encoder
        .forward(&to_tensor(&cover), &m, t.target_rms())
        .unwrap()
        .clamp(0f32, 1f32)
        .unwrap();
    let ours: Vec<f32> = (ours * 255.0)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let theirs: Vec<f32> = to_tensor(&marked)
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
        .iter()
        .map(|v| v * 255.0)
        .collect();
    let worst = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst <= 1.0, "encoder differs by {worst} levels");
    assert_ne!(marked.rgb(), cover.rgb(), "the encoder changed nothing");

    // The (aligned-trained) model already reads its message, also from a crop at an odd
    // offset, which the decoder's phase search finds.
    let acc = stats[steps - 10..].iter().map(|s| s.bit_acc).sum::<f32>() / 10.0;
    assert!(acc > 0.9, "training bit accuracy {acc}");
    let agree = |bits: &Bits| {
        bits.as_slice()
            .iter()
            .zip(message.as_slice())
            .filter(|(a, b)| a == b)
            .count()
    };
    let read = scheme.decode(&marked).unwrap()[0].bits.clone();
    assert!(agree(&read) >= 7, "marked image read {read:?}");
    let (w, h) = (marked.width() as usize, marked.height() as usize);
    let (x0, y0, cw, ch) = (3usize, 5usize, 40usize, 40usize);
    assert!(x0 + cw <= w && y0 + ch <= h);
    let mut rgb = Vec::new();
    for y in y0..y0 + ch {
        rgb.extend_from_slice(&marked.rgb()[(y * w + x0) * 3..(y * w + x0 + cw) * 3]);
    }
    let crop = Image::from_rgb(cw as u32, ch as u32, rgb).unwrap();
    let read = scheme.decode(&crop).unwrap()[0].bits.clone();
    assert!(agree(&read) >= 7, "crop read {read:?}");

    // Decoding: same logits (to float tolerance), same bits.
    for img in [&cover, &marked] {
        let raw = scheme.decode_raw(img).unwrap();
        let logits: Vec<f32> = t
            .model
            .decoder
            .forward(&to_tensor(img))
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        assert_eq!(raw.len(), 8);
        for (a, b) in raw.iter().zip(&logits) {
            assert!(
                (a - b).abs() < 1e-3 * (1.0 + b.abs()),
                "tract {a} vs candle {b}"
            );
        }
        let bits = scheme.decode(img).unwrap()[0].bits.clone();
        let candle_bits = Bits::new(logits.iter().map(|&v| v > 0.0).collect());
        assert_eq!(bits, candle_bits);
    }

    // The search scores peak at the shift `true_shift` names for a crop at an odd offset
    // (what teacher forcing trains), and the full training step (distortions, search loss)
    // runs and stays finite.
    let d = &t.model.decoder;
    let y = t
        .model
        .encoder
        .forward(&to_tensor(&cover), &m, t.target_rms())
        .unwrap();
    let (y0, x0) = (3usize, 5usize);
    let z = y.narrow(2, y0, 40).unwrap().narrow(3, x0, 40).unwrap();
    let (_, score) = d.forward_at(&z, 0).unwrap();
    let best = edgemark_train::model::Decoder::best_shift(&score).unwrap();
    assert_eq!(best, d.true_shift(y0, x0));
    t.cfg.warmup = 0;
    t.cfg.steps += 10;
    let more = t.run(&data, |_| {}).unwrap();
    assert!(more
        .iter()
        .all(|s| s.bce.is_finite() && s.quality.is_finite()));
}

#[test]
fn every_distortion_keeps_shape_sense_and_gradient() {
    let dev = Device::Cpu;
    let mut rng = Rng::new(5);
    let x = Var::from_tensor(&Tensor::rand(0f32, 1f32, (2, 3, 32, 32), &dev).unwrap()).unwrap();
    for kind in KINDS {
        let y = distort::apply(x.as_tensor(), kind, &mut rng).unwrap();
        let (n, c, h, w) = y.dims4().unwrap();
        assert_eq!((n, c), (2, 3), "{kind:?}");
        assert!(
            h <= 32 && w <= 32 && h >= 16 && w >= 16,
            "{kind:?}: {h}x{w}"
        );
        let grads = y.sum_all().unwrap().backward().unwrap();
        let g = grads.get(&x).expect("gradient reaches the input");
        let gsum = g
            .abs()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(gsum.is_finite() && gsum > 0.0, "{kind:?}: gradient {gsum}");
    }
    // JPEG at quality 50 changes a noisy image but keeps it close.
    let j = distort::jpeg(x.as_tensor(), 50).unwrap();
    let diff = (j - x.as_tensor())
        .unwrap()
        .abs()
        .unwrap()
        .mean_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(diff > 0.01 && diff < 0.3, "jpeg mean abs change {diff}");
    let _ = DType::F32;
}
