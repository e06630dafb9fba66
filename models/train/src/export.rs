//! ONNX export of the trained networks and the model card EdgeMark loads them with.

use crate::error::{Error, Result};
use crate::model::{Conv, Decoder, Encoder, Model};
use crate::onnx::{Attr, Dim, Graph};
use candle_core::Tensor;
use std::path::Path;

/// File names inside a model folder.
pub const DECODER_FILE: &str = "decoder.onnx";
/// See [`DECODER_FILE`].
pub const ENCODER_FILE: &str = "encoder.onnx";

fn floats(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_vec1::<f32>()?)
}

fn conv(g: &mut Graph, c: &Conv, input: &str, output: &str) -> Result<()> {
    let w = c.layer.weight();
    let (w_name, b_name) = (format!("{}.weight", c.name), format!("{}.bias", c.name));
    g.float_init(&w_name, w.dims(), &floats(w)?);
    let b = c
        .layer
        .bias()
        .ok_or_else(|| Error::Config(format!("{} has no bias", c.name)))?;
    g.float_init(&b_name, b.dims(), &floats(b)?);
    let k = c.kernel as i64;
    let p = k / 2;
    let s = c.stride as i64;
    g.node(
        "Conv",
        &[input, &w_name, &b_name],
        &[output],
        &[
            ("kernel_shape", Attr::Ints(vec![k, k])),
            ("pads", Attr::Ints(vec![p, p, p, p])),
            ("strides", Attr::Ints(vec![s, s])),
        ],
    );
    Ok(())
}

fn image_dims() -> [Dim; 4] {
    [
        Dim::Param("N"),
        Dim::Fixed(3),
        Dim::Param("H"),
        Dim::Param("W"),
    ]
}

/// `x / rms(x)` per image over `C, H, W` (`x` `[N,C,H,W]`), written under `prefix`.
fn normalize_rms(g: &mut Graph, x: &str, prefix: &str, out: &str) {
    let (sq, ms, eps, mse, r) = (
        format!("{prefix}.sq"),
        format!("{prefix}.ms"),
        format!("{prefix}.eps"),
        format!("{prefix}.mse"),
        format!("{prefix}.rms"),
    );
    g.node("Mul", &[x, x], &[&sq], &[]);
    g.node(
        "ReduceMean",
        &[&sq],
        &[&ms],
        &[
            ("axes", Attr::Ints(vec![1, 2, 3])),
            ("keepdims", Attr::Int(1)),
        ],
    );
    g.float_init(&eps, &[1], &[1e-12]);
    g.node("Add", &[&ms, &eps], &[&mse], &[]);
    g.node("Sqrt", &[&mse], &[&r], &[]);
    g.node("Div", &[x, &r], &[out], &[]);
}

/// The decoder as ONNX: input `image` `[N,3,H,W]` (`[0,1]`, sides multiples of the period),
/// output `bits` `[N,B]` (logits). Same computation as [`Decoder::forward`].
pub fn decoder_onnx(d: &Decoder, bits: usize) -> Result<Vec<u8>> {
    let p = d.period as i64;
    let mut g = Graph::new("edgemark-hidden-decoder");
    g.input("image", &image_dims());
    conv(&mut g, &d.lin, "image", "lin")?;
    conv(&mut g, &d.c1, "image", "c1")?;
    g.node("Relu", &["c1"], &["r1"], &[]);
    conv(&mut g, &d.c2, "r1", "c2")?;
    g.node("Add", &["lin", "c2"], &["white"], &[]);
    // Fold: [N,K,H,W] -> [N,K,H/P,P,W/P,P] -> mean over the tile indices.
    g.node("Shape", &["white"], &["wshape"], &[]);
    g.int_init("s0", &[0]);
    g.int_init("s2", &[2]);
    g.int_init("s3", &[3]);
    g.int_init("s4", &[4]);
    g.node("Slice", &["wshape", "s0", "s2"], &["nk"], &[]);
    g.node("Slice", &["wshape", "s2", "s3"], &["hdim"], &[]);
    g.node("Slice", &["wshape", "s3", "s4"], &["wdim"], &[]);
    g.int_init("period", &[p]);
    g.node("Div", &["hdim", "period"], &["htiles"], &[]);
    g.node("Div", &["wdim", "period"], &["wtiles"], &[]);
    g.node(
        "Concat",
        &["nk", "htiles", "period", "wtiles", "period"],
        &["shape6"],
        &[("axis", Attr::Int(0))],
    );
    g.node("Reshape", &["white", "shape6"], &["tiles6"], &[]);
    g.node(
        "ReduceMean",
        &["tiles6"],
        &["fold"],
        &[("axes", Attr::Ints(vec![2, 4])), ("keepdims", Attr::Int(0))],
    );
    g.node(
        "ReduceMean",
        &["fold"],
        &["fold_mean"],
        &[("axes", Attr::Ints(vec![2, 3])), ("keepdims", Attr::Int(1))],
    );
    g.node("Sub", &["fold", "fold_mean"], &["fold0"], &[]);
    normalize_rms(&mut g, "fold0", "fold", "foldn");
    // Circular correlation at every shift: the tile repeated 2x2, a valid convolution, the
    // first P x P outputs.
    g.node(
        "Concat",
        &["foldn", "foldn"],
        &["wide"],
        &[("axis", Attr::Int(3))],
    );
    g.node(
        "Concat",
        &["wide", "wide"],
        &["tiled"],
        &[("axis", Attr::Int(2))],
    );
    g.float_init("dec.templates", d.templates.dims(), &floats(&d.templates)?);
    g.node(
        "Conv",
        &["tiled", "dec.templates"],
        &["corr_full"],
        &[("kernel_shape", Attr::Ints(vec![p, p]))],
    );
    g.int_init("zz", &[0, 0]);
    g.int_init("pp", &[p, p]);
    g.int_init("axes23", &[2, 3]);
    g.node(
        "Slice",
        &["corr_full", "zz", "pp", "axes23"],
        &["corr"],
        &[],
    );
    g.int_init("flat_shape", &[0, bits as i64, p * p]);
    g.node("Reshape", &["corr", "flat_shape"], &["y"], &[]);
    // Phase search: the shift with the largest mean |correlation| over the bits.
    g.node("Abs", &["y"], &["ay"], &[]);
    g.node(
        "ReduceMean",
        &["ay"],
        &["score"],
        &[("axes", Attr::Ints(vec![1])), ("keepdims", Attr::Int(1))],
    );
    g.node(
        "ReduceMax",
        &["score"],
        &["best"],
        &[("axes", Attr::Ints(vec![2])), ("keepdims", Attr::Int(1))],
    );
    g.node("Equal", &["score", "best"], &["is_best"], &[]);
    g.node("Cast", &["is_best"], &["mask"], &[("to", Attr::Int(1))]);
    g.node("Mul", &["y", "mask"], &["ym"], &[]);
    g.node(
        "ReduceMean",
        &["ym"],
        &["num"],
        &[("axes", Attr::Ints(vec![2])), ("keepdims", Attr::Int(0))],
    );
    g.node(
        "ReduceMean",
        &["mask"],
        &["den"],
        &[("axes", Attr::Ints(vec![2])), ("keepdims", Attr::Int(0))],
    );
    g.node("Div", &["num", "den"], &["sel"], &[]);
    g.float_init("dec.scale", &[1], &floats(&d.scale)?);
    g.node("Mul", &["sel", "dec.scale"], &["bits"], &[]);
    g.output("bits", &[Dim::Param("N"), Dim::Fixed(bits as i64)]);
    Ok(g.to_bytes(
        "EdgeMark hidden decoder: image [N,3,H,W] RGB in [0,1], sides multiples of the \
         period -> bit logits",
    ))
}

/// The encoder as ONNX: inputs `image` `[N,3,H,W]` (`[0,1]`) and `message` `[N,B]` (`±1`),
/// output `marked` = `image + residual`, the residual scaled to RMS `target_rms`. Same
/// computation as [`Encoder::forward`].
pub fn encoder_onnx(e: &Encoder, bits: usize, target_rms: f32) -> Result<Vec<u8>> {
    let mut g = Graph::new("edgemark-hidden-encoder");
    g.input("image", &image_dims());
    g.input("message", &[Dim::Param("N"), Dim::Fixed(bits as i64)]);
    conv(&mut g, &e.c1, "image", "c1")?;
    g.node("Relu", &["c1"], &["r1"], &[]);
    conv(&mut g, &e.c2, "r1", "c2")?;
    g.node("Relu", &["c2"], &["r2"], &[]);
    conv(&mut g, &e.c3, "r2", "c3")?;
    g.node("Sigmoid", &["c3"], &["sig"], &[]);
    g.float_init("two", &[1], &[2.0]);
    g.node("Mul", &["sig", "two"], &["strength"], &[]);
    // Carrier: a grid of ones of ceil(H/P) x ceil(W/P) (1x1 conv of stride P with zero
    // weights and bias 1), times the message, through the transposed convolution, cut to HxW.
    let p = e.period as i64;
    g.float_init("ones.weight", &[1, 3, 1, 1], &[0.0; 3]);
    g.float_init("ones.bias", &[1], &[1.0]);
    g.node(
        "Conv",
        &["image", "ones.weight", "ones.bias"],
        &["ones"],
        &[
            ("kernel_shape", Attr::Ints(vec![1, 1])),
            ("strides", Attr::Ints(vec![p, p])),
        ],
    );
    g.int_init("message_shape", &[-1, bits as i64, 1, 1]);
    g.node("Reshape", &["message", "message_shape"], &["message4"], &[]);
    g.node("Mul", &["ones", "message4"], &["grid"], &[]);
    g.float_init("enc.carrier", e.carrier.dims(), &floats(&e.carrier)?);
    g.node(
        "ConvTranspose",
        &["grid", "enc.carrier"],
        &["tiles"],
        &[
            ("kernel_shape", Attr::Ints(vec![p, p])),
            ("strides", Attr::Ints(vec![p, p])),
        ],
    );
    g.node("Shape", &["image"], &["image_shape"], &[]);
    g.int_init("hw_start", &[2]);
    g.int_init("hw_end", &[4]);
    g.node(
        "Slice",
        &["image_shape", "hw_start", "hw_end"],
        &["hw"],
        &[],
    );
    g.int_init("zeros2", &[0, 0]);
    g.int_init("axes_hw", &[2, 3]);
    g.node(
        "Slice",
        &["tiles", "zeros2", "hw", "axes_hw"],
        &["carrier"],
        &[],
    );
    g.node("Mul", &["carrier", "strength"], &["raw"], &[]);
    normalize_rms(&mut g, "raw", "raw", "unit");
    g.float_init("target_rms", &[1], &[target_rms]);
    g.node("Mul", &["unit", "target_rms"], &["residual"], &[]);
    g.node("Add", &["image", "residual"], &["marked"], &[]);
    g.output("marked", &image_dims());
    Ok(g.to_bytes(
        "EdgeMark hidden encoder: image [N,3,H,W] RGB in [0,1] + message ±1 -> marked image",
    ))
}

/// Window side the exported card reads (pixels, at native resolution).
pub const WINDOW: u32 = 512;

/// The model card for a folder holding [`DECODER_FILE`] and [`ENCODER_FILE`].
pub fn card_toml(name: &str, bits: usize, period: usize, decoder_file: &str, note: &str) -> String {
    // The scales the card reads at: as is, and the inverses of resizes by 0.5, 0.75 and 1.5
    // (edgemark's typed source, which the committed cards are tested against).
    let scales = edgemark::search::LEARNED_TILED.toml_array();
    format!(
        r#"# {note}
name = "{name}"
description = "EdgeMark's own {bits}-bit learned tiled watermark (edgemark-train: candle, CPU-trained)"
bits = {bits}
ecc = "none"

[input]
layout = "NCHW"
colour = "rgb"
# The decoder reads the central {WINDOW}x{WINDOW} window at native resolution (smaller images
# are read whole), its sides cut down to a multiple of the {period}-pixel tile period.
width = {WINDOW}
height = {WINDOW}
fit = "center_crop"
multiple_of = {period}
scale = 255.0
offset = 0.0

[decoder]
file = "{decoder_file}"
input = "image"
output = "bits"
kind = "logits"
threshold = 0.0
# Also read at these scales (the inverses of common resizes); the p-value is corrected for
# the number of readings.
scales = {scales}

[encoder]
file = "{ENCODER_FILE}"
image_input = "image"
message_input = "message"
output = "marked"
message = "signed"
quantize = "round"
# The encoder is fully convolutional and marks the whole image at its own size.
fit = "native"
"#
    )
}

/// Writes `decoder.onnx`, `encoder.onnx` and `card.toml` into `dir`; the encoder scales its
/// residual to `psnr` dB.
pub fn write_folder(model: &Model, dir: &Path, name: &str, psnr: f64, note: &str) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let bits = model.arch.bits;
    let write = |file: &str, bytes: &[u8]| -> Result<()> {
        let p = dir.join(file);
        std::fs::write(&p, bytes).map_err(|e| Error::io(&p, e))
    };
    let rms = 10f64.powf(-psnr / 20.0) as f32;
    write(DECODER_FILE, &decoder_onnx(&model.decoder, bits)?)?;
    write(ENCODER_FILE, &encoder_onnx(&model.encoder, bits, rms)?)?;
    write(
        "card.toml",
        card_toml(name, bits, model.arch.period, DECODER_FILE, note).as_bytes(),
    )
}
