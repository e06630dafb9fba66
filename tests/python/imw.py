#!/usr/bin/env python3
"""Runs the real `invisible-watermark` 0.2.0 (module `imwatermark`) for EdgeMark's reference tests.

The package's __init__ imports its rivaGan module, which imports torch only to reshuffle tensors;
the Linux torch wheel brings gigabytes of CUDA libraries. So this script loads the package's own
`maxDct.py` and `dwtDctSvd.py` from the installed package (unchanged code) without running the
package __init__, and does the same bit packing as `WatermarkEncoder.set_by_bytes` /
`WatermarkDecoder('bits', n)`.

  imw.py decode --method dwtDct --nbits 48 --path uint8|float FILE...   -> one JSON line per file
  imw.py embed  --method dwtDct --hex B3EC907BB19E --path uint8|float IN OUT
  imw.py bench  --method dwtDct --nbits 48 --repeat 20 FILE              -> median seconds per decode
  imw.py yuv    FILE                                                       -> cv2 YUV planes (.npy) for checks
  imw.py generator --name NAME IN OUT [IN OUT ...] -> each IN marked as generator NAME's own code
                                            marks its output (names: GENERATORS below); OUT a PNG
"""
import argparse
import importlib.util
import json
import os
import sys
import time

import cv2
import numpy as np


def _load(modname):
    spec = importlib.util.find_spec("imwatermark")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("imwatermark is not installed (run scripts/setup-python.sh)")
    pkgdir = list(spec.submodule_search_locations)[0]
    s = importlib.util.spec_from_file_location(f"imwatermark_{modname}", os.path.join(pkgdir, f"{modname}.py"))
    m = importlib.util.module_from_spec(s)
    s.loader.exec_module(m)
    return m


def scheme(method):
    if method == "dwtDct":
        return _load("maxDct").EmbedMaxDct
    if method == "dwtDctSvd":
        return _load("dwtDctSvd").EmbedDwtDctSvd
    sys.exit(f"unknown method {method}")


def bits_of_hex(h):
    # WatermarkEncoder.set_by_bytes: list(np.unpackbits(bytes))
    return list(np.unpackbits(np.frombuffer(bytes.fromhex(h), dtype=np.uint8)))


def read_bgr(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        sys.exit(f"cannot read {path}")
    return img


def sdxl_postprocess(img):
    """What diffusers does to the float image after apply_watermark, in float32:
    clamp(2*(x/255-0.5),-1,1) -> (x/2+0.5).clamp(0,1) -> (x*255).round().astype(uint8)."""
    x = img.astype(np.float32)
    x = np.clip(np.float32(2) * (x / np.float32(255) - np.float32(0.5)), -1, 1)
    x = np.clip(x / np.float32(2) + np.float32(0.5), 0, 1)
    return np.round(x * np.float32(255)).astype(np.uint8)


def _bits_of_int(x):
    # The generators' own expression: [int(bit) for bit in bin(WATERMARK_MESSAGE)[2:]]
    return [int(bit) for bit in bin(x)[2:]]


def _bytes_bits(b):
    # WatermarkEncoder.set_watermark('bytes', b)
    return list(np.unpackbits(np.frombuffer(b, dtype=np.uint8)))


SDXL_BITS = _bits_of_int(0b101100111110110010010000011110111011000110011110)
FLUX_BITS = _bits_of_int(0b001010101111111010000111100111001111010100101110)

# name -> (message bits, how the generator hands its image to imwatermark)
GENERATORS = {
    # CompVis/stable-diffusion scripts/txt2img.py, put_watermark():
    #   img = cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR); img = wm_encoder.encode(img, 'dwtDct')
    #   img = Image.fromarray(img[:, :, ::-1])        with wm = "StableDiffusionV1"
    "sd1": (_bytes_bits(b"StableDiffusionV1"), "pil-bgr"),
    # the same put_watermark() in scripts/inpaint_st.py, wm = "StableDiffusionV1-Inpainting"
    "sd1-inpainting": (_bytes_bits(b"StableDiffusionV1-Inpainting"), "pil-bgr"),
    # Stability-AI/stablediffusion scripts/txt2img.py: the same put_watermark(), wm = "SDV2"
    "sd2": (_bytes_bits(b"SDV2"), "pil-bgr"),
    # invoke-ai/InvokeAI invokeai/backend/image_util/invisible_watermark.py, add_watermark():
    #   bgr = cv2.cvtColor(np.array(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    #   encoder.set_watermark("bytes", watermark_text.encode("utf-8")); bgr_encoded = encoder.encode(bgr, "dwtDct")
    #   return Image.fromarray(cv2.cvtColor(bgr_encoded, cv2.COLOR_BGR2RGB)).convert("RGBA")
    "invokeai": (_bytes_bits(b"InvokeAI"), "invokeai"),
    # Stability-AI/generative-models sgm/inference/helpers.py WatermarkEmbedder.__call__ (and
    # diffusers >= 0.28 StableDiffusionXLWatermarker): float32 0..255, channels reversed to BGR,
    # encoded, reversed back, then /255 and clamped to [0, 1]
    "sdxl": (SDXL_BITS, "float-bgr"),
    # diffusers 0.18-0.27 StableDiffusionXLWatermarker.apply_watermark(): the same without the
    # channel reversal (the encoder got RGB; fixed by PR #7013)
    "sdxl-diffusers-rgb": (SDXL_BITS, "float-rgb"),
    # black-forest-labs/flux src/flux/util.py WatermarkEmbedder: image = 0.5 * image + 0.5, then as
    # generative-models; bin() drops the two leading zeros: 46 bits
    "flux": (FLUX_BITS, "float-bgr"),
}


def mark_as_generator(name, src, dst):
    from PIL import Image

    bits, how = GENERATORS[name]
    enc = scheme("dwtDct")(bits, wmLen=len(bits))  # WatermarkEncoder.encode(img, 'dwtDct')
    img = Image.open(src)
    if how == "pil-bgr":
        bgr = cv2.cvtColor(np.array(img.convert("RGB")), cv2.COLOR_RGB2BGR)
        out = Image.fromarray(enc.encode(bgr)[:, :, ::-1])
    elif how == "invokeai":
        bgr = cv2.cvtColor(np.array(img.convert("RGB")), cv2.COLOR_RGB2BGR)
        out = Image.fromarray(cv2.cvtColor(enc.encode(bgr), cv2.COLOR_BGR2RGB)).convert("RGBA")
    else:
        # The generator's float image in [0, 1] (here: the photo), as float32 0..255.
        x = np.asarray(img.convert("RGB"), dtype=np.float32) / np.float32(255)
        arr = np.float32(255) * x
        if how == "float-bgr":
            arr = np.ascontiguousarray(enc.encode(np.ascontiguousarray(arr[:, :, ::-1]))[:, :, ::-1])
        else:
            arr = enc.encode(arr)
        x = np.clip(arr / np.float32(255), 0.0, 1.0)
        # Saved as the pipelines save: (255 * x).round() to uint8.
        out = Image.fromarray(np.round(x * np.float32(255)).astype(np.uint8))
    out.save(dst, format="PNG")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["decode", "embed", "bench", "yuv", "generator"])
    ap.add_argument("--name", choices=sorted(GENERATORS))
    ap.add_argument("--method", default="dwtDct")
    ap.add_argument("--nbits", type=int, default=48)
    ap.add_argument("--hex", default="B3EC907BB19E")
    ap.add_argument("--path", choices=["uint8", "float"], default="uint8")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    cls = scheme(a.method) if a.cmd not in ("yuv", "generator") else None
    if a.cmd == "generator":
        if len(a.files) % 2:
            sys.exit("generator takes IN OUT pairs")
        for src, dst in zip(a.files[::2], a.files[1::2]):
            mark_as_generator(a.name, src, dst)
        return

    if a.cmd == "decode":
        for f in a.files:
            bgr = read_bgr(f)
            if a.path == "float":
                bgr = bgr.astype(np.float32)
            bits = cls(watermarks=[], wmLen=a.nbits).decode(bgr)
            print(json.dumps({"file": f, "bits": "".join("1" if b else "0" for b in bits)}))
    elif a.cmd == "embed":
        src, dst = a.files
        bgr = read_bgr(src)
        bits = bits_of_hex(a.hex)
        if a.path == "float":
            out = sdxl_postprocess(cls(bits, wmLen=len(bits)).encode(bgr.astype(np.float32)))
        else:
            out = cls(bits, wmLen=len(bits)).encode(bgr)
        if not cv2.imwrite(dst, out):
            sys.exit(f"cannot write {dst}")
    elif a.cmd == "bench":
        cv2.setNumThreads(1)
        bgr = read_bgr(a.files[0])
        dec = cls(watermarks=[], wmLen=a.nbits)
        dec.decode(bgr)
        times = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            dec.decode(bgr)
            times.append(time.perf_counter() - t)
        print(json.dumps({"median_s": float(np.median(times)), "runs": a.repeat}))
    elif a.cmd == "yuv":
        bgr = read_bgr(a.files[0])
        for name, img in [("u8", bgr), ("f32", bgr.astype(np.float32))]:
            np.save(a.files[0] + f".yuv_{name}.npy", cv2.cvtColor(img, cv2.COLOR_BGR2YUV))


if __name__ == "__main__":
    main()
