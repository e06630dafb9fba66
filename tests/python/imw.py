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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["decode", "embed", "bench", "yuv"])
    ap.add_argument("--method", default="dwtDct")
    ap.add_argument("--nbits", type=int, default=48)
    ap.add_argument("--hex", default="B3EC907BB19E")
    ap.add_argument("--path", choices=["uint8", "float"], default="uint8")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    cls = scheme(a.method) if a.cmd != "yuv" else None

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
