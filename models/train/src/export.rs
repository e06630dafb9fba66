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

fn gemm(g: &mut Graph, name: &str, l: &candle_nn::Linear, input: &str, output: &str) -> Result<()> {
    let (w_name, b_name) = (format!("{name}.weight"), format!("{name}.bias"));
    g.float_init(&w_name, l.weight().dims(), &floats(l.weight())?);
    let b = l
        .bias()
        .ok_or_else(|| Error::Config(format!("{name} has no bias")))?;
    g.float_init(&b_name, b.dims(), &floats(b)?);
    g.node(
        "Gemm",
        &[input, &w_name, &b_name],
        &[output],
        &[("transB", Attr::Int(1))],
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

/// The decoder as ONNX: input `image` `[N,3,H,W]` (`[0,1]`), output `bits` `[N,B]` (logits).
pub fn decoder_onnx(d: &Decoder, bits: usize) -> Result<Vec<u8>> {
    let mut g = Graph::new("edgemark-hidden-decoder");
    g.input("image", &image_dims());
    let mut cur = "image".to_string();
    for (i, c) in d.convs.iter().enumerate() {
        let (pre, post) = (format!("conv{}", i + 1), format!("relu{}", i + 1));
        conv(&mut g, c, &cur, &pre)?;
        g.node("Relu", &[&pre], &[&post], &[]);
        cur = post;
    }
    g.node("GlobalAveragePool", &[&cur], &["pooled"], &[]);
    g.node(
        "Flatten",
        &["pooled"],
        &["features"],
        &[("axis", Attr::Int(1))],
    );
    gemm(&mut g, "dec.head", &d.head, "features", "bits")?;
    g.output("bits", &[Dim::Param("N"), Dim::Fixed(bits as i64)]);
    Ok(g.to_bytes("EdgeMark hidden decoder: image [N,3,H,W] RGB in [0,1] -> bit logits"))
}

/// The encoder as ONNX: inputs `image` `[N,3,H,W]` (`[0,1]`) and `message` `[N,B]` (`±1`),
/// output `marked` = `image + strength * residual`.
pub fn encoder_onnx(e: &Encoder, bits: usize, strength: f32) -> Result<Vec<u8>> {
    let mut g = Graph::new("edgemark-hidden-encoder");
    g.input("image", &image_dims());
    g.input("message", &[Dim::Param("N"), Dim::Fixed(bits as i64)]);
    conv(&mut g, &e.c1, "image", "c1")?;
    g.node("Relu", &["c1"], &["r1"], &[]);
    conv(&mut g, &e.c2, "r1", "c2")?;
    g.node("Relu", &["c2"], &["r2"], &[]);
    // Carrier: a grid of ones of ceil(H/16) x ceil(W/16) (1x1 conv of stride 16 with zero
    // weights and bias 1), times the message, through the transposed convolution, cut to HxW.
    let p = crate::model::PERIOD as i64;
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
    g.node("Add", &["r2", "carrier"], &["mixed"], &[]);
    conv(&mut g, &e.c3, "mixed", "c3")?;
    g.node("Relu", &["c3"], &["r4"], &[]);
    conv(&mut g, &e.out, "r4", "learned")?;
    g.int_init("c_start", &[0]);
    g.int_init("c_end", &[3]);
    g.int_init("c_axis", &[1]);
    g.node(
        "Slice",
        &["carrier", "c_start", "c_end", "c_axis"],
        &["direct"],
        &[],
    );
    g.node("Add", &["learned", "direct"], &["residual"], &[]);
    g.float_init("strength", &[1], &[strength]);
    g.node("Mul", &["residual", "strength"], &["scaled"], &[]);
    g.node("Add", &["image", "scaled"], &["marked"], &[]);
    g.output("marked", &image_dims());
    Ok(g.to_bytes(
        "EdgeMark hidden encoder: image [N,3,H,W] RGB in [0,1] + message ±1 -> marked image",
    ))
}

/// The model card for a folder holding [`DECODER_FILE`] and [`ENCODER_FILE`].
pub fn card_toml(name: &str, bits: usize, decoder_file: &str, note: &str) -> String {
    format!(
        r#"# {note}
name = "{name}"
description = "EdgeMark's own HiDDeN-style {bits}-bit watermark (edgemark-train, candle, CPU-trained)"
bits = {bits}
ecc = "none"

[input]
layout = "NCHW"
colour = "rgb"
# The decoder reads the central 256x256 window at native resolution (fully convolutional,
# global pooling: smaller images are read whole).
width = 256
height = 256
fit = "center_crop"
scale = 255.0
offset = 0.0

[decoder]
file = "{decoder_file}"
input = "image"
output = "bits"
kind = "logits"
threshold = 0.0

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

/// Writes `decoder.onnx`, `encoder.onnx` and `card.toml` into `dir`.
pub fn write_folder(
    model: &Model,
    dir: &Path,
    name: &str,
    strength: f32,
    note: &str,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let bits = model.arch.bits;
    let write = |file: &str, bytes: &[u8]| -> Result<()> {
        let p = dir.join(file);
        std::fs::write(&p, bytes).map_err(|e| Error::io(&p, e))
    };
    write(DECODER_FILE, &decoder_onnx(&model.decoder, bits)?)?;
    write(ENCODER_FILE, &encoder_onnx(&model.encoder, bits, strength)?)?;
    write(
        "card.toml",
        card_toml(name, bits, DECODER_FILE, note).as_bytes(),
    )
}
