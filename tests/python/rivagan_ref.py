#!/usr/bin/env python3
"""Runs imwatermark 0.2.0's real rivaGan.py (RivaWatermark) for EdgeMark's reference tests.

rivaGan.py imports torch, but uses it only to reshape and scale arrays around two
onnxruntime sessions. torch is not installed here (the Linux wheel brings gigabytes of CUDA
libraries), so this script loads the package's unchanged rivaGan.py with a small numpy
stand-in for the few torch calls it makes (from_numpy, clamp, permute, unsqueeze, indexing,
arithmetic, detach/cpu/numpy). The models are the package's own ONNX files run by
onnxruntime, exactly as RivaWatermark.loadModel() does. float32 arithmetic is the same in
numpy as in torch for these element-wise operations.

  rivagan_ref.py embed  --hex DEADBEEF IN OUT   -> WatermarkEncoder.encode(img, 'rivaGan')
  rivagan_ref.py decode FILE...                 -> one JSON line per file: bits, raw outputs
Images are read with cv2.imread (BGR), as imwatermark's README does.
"""
import argparse
import importlib.util
import json
import os
import sys
import types

import cv2
import numpy as np


class _T:
    """The slice of torch.Tensor that rivaGan.py uses, over a numpy array."""

    def __init__(self, a):
        self.a = np.asarray(a)

    def _v(self, o):
        return o.a if isinstance(o, _T) else o

    def __truediv__(self, o):
        return _T(self.a / self._v(o))

    def __sub__(self, o):
        return _T(self.a - self._v(o))

    def __add__(self, o):
        return _T(self.a + self._v(o))

    def __mul__(self, o):
        return _T(self.a * self._v(o))

    def __getitem__(self, k):
        return _T(self.a[k])

    def permute(self, *dims):
        return _T(np.transpose(self.a, dims))

    def unsqueeze(self, d):
        return _T(np.expand_dims(self.a, d))

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.a


def _torch_stand_in():
    t = types.ModuleType("torch")
    t.from_numpy = lambda a: _T(a)
    t.clamp = lambda x, min=None, max=None: _T(np.clip(x.a, min, max))
    return t


def riva():
    spec = importlib.util.find_spec("imwatermark")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("imwatermark is not installed (run scripts/setup-python.sh)")
    pkgdir = list(spec.submodule_search_locations)[0]
    sys.modules.setdefault("torch", _torch_stand_in())
    s = importlib.util.spec_from_file_location("imwatermark_rivaGan", os.path.join(pkgdir, "rivaGan.py"))
    m = importlib.util.module_from_spec(s)
    s.loader.exec_module(m)
    m.RivaWatermark.loadModel()
    return m.RivaWatermark


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--hex", required=True)
    e.add_argument("input")
    e.add_argument("output")
    d = sub.add_parser("decode")
    d.add_argument("files", nargs="+")
    args = ap.parse_args()
    RW = riva()
    if args.cmd == "embed":
        # WatermarkEncoder.set_by_bytes + encode(img, 'rivaGan')
        bits = list(np.unpackbits(np.frombuffer(bytes.fromhex(args.hex), dtype=np.uint8)))
        img = cv2.imread(args.input)
        if img.shape[0] * img.shape[1] < 256 * 256:
            sys.exit("image too small, should be larger than 256x256")
        out = RW(bits, 32).encode(img)
        cv2.imwrite(args.output, out)
    else:
        # WatermarkDecoder('bits', 32).decode(img, 'rivaGan'), plus the raw decoder outputs
        RW.loadModel()
        for f in args.files:
            img = cv2.imread(f)
            w = RW(watermarks=[], wmLen=32)
            bits = w.decode(img)
            frame = (np.array([img], dtype=np.float32) / 127.5 - 1.0).transpose(3, 0, 1, 2)[None]
            raw = RW.decoder.run(None, {"frame": frame})[0][0]
            print(json.dumps({"file": f, "bits": "".join(str(int(b)) for b in bits),
                              "raw": [float(v) for v in raw]}))


if __name__ == "__main__":
    main()
