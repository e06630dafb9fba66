#!/usr/bin/env python3
"""EdgeMark (tract) vs onnxruntime on the same ONNX decoder and the same input, one thread.

  models/bench_ort.py [--card models/rivagan/card.toml] [--image PNG] [--runs 10]

Runs target/release/examples/neural_bench (build it with
`cargo build --release -p edgemark --features onnx --example neural_bench`) and an
onnxruntime session (intra/inter-op threads = 1, all graph optimizations) in separate
processes on the same input, alternating them, and prints the medians, the ratio
EdgeMark/onnxruntime, the peak resident memory of each process and the largest difference
between the two decoders' raw outputs. Without --image the input is a centre crop of the
card's input size from the first JPEG photograph in .cache/photos that is large enough.
"""
import argparse
import glob
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ort_worker(model, card_path, image, runs):
    import cv2
    import numpy as np
    import onnxruntime as ort
    with open(card_path, "rb") as f:
        card = tomllib.load(f)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from quantize import tensor
    x = tensor(card, cv2.imread(image))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    t = time.perf_counter()
    s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - t) * 1e3
    name = card["decoder"]["input"]
    raw = s.run(None, {name: x})[0].reshape(-1)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        s.run(None, {name: x})
        times.append((time.perf_counter() - t) * 1e3)
    print(json.dumps({"load_ms": load_ms, "median_ms": statistics.median(times), "min_ms": min(times),
                      "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "raw": [float(v) for v in raw]}))


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--card", default=os.path.join(ROOT, "models/rivagan/card.toml"))
    ap.add_argument("--image")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds of each engine")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/examples/neural_bench"))
    ap.add_argument("--ort-worker", nargs=3, metavar=("MODEL", "IMAGE", "RUNS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ort_worker:
        ort_worker(args.ort_worker[0], args.card, args.ort_worker[1], int(args.ort_worker[2]))
        return
    with open(args.card, "rb") as f:
        card = tomllib.load(f)
    model = os.path.join(os.path.dirname(os.path.abspath(args.card)), card["decoder"]["file"])
    image = args.image
    if image is None:
        import cv2
        w, h = card["input"]["width"], card["input"]["height"]
        photos = sorted(glob.glob(os.path.join(ROOT, ".cache/photos/*.jpg")))
        images = (cv2.imread(p) for p in photos)
        img = next((i for i in images if i.shape[0] >= h and i.shape[1] >= w), None)
        if img is None:
            sys.exit(f"no photograph of at least {w}x{h}: run scripts/fetch-photos.sh or give --image")
        y, x = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
        image = os.path.join(ROOT, "target", "bench-input.png")
        os.makedirs(os.path.dirname(image), exist_ok=True)
        cv2.imwrite(image, img[y:y + h, x:x + w])
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} missing: cargo build --release -p edgemark --features onnx --example neural_bench")
    env = dict(os.environ, RAYON_NUM_THREADS="1", OMP_NUM_THREADS="1")
    em, ox = [], []
    for _ in range(args.rounds):
        em.append(run_json([args.bin, args.card, image, str(args.runs)], env))
        ox.append(run_json([sys.executable, os.path.abspath(__file__), "--card", args.card,
                            "--ort-worker", model, image, str(args.runs)], env))
    e_med = statistics.median(r["median_ms"] for r in em)
    o_med = statistics.median(r["median_ms"] for r in ox)
    diff = max(abs(a - b) for a, b in zip(em[0]["raw"], ox[0]["raw"]))
    print(f"model          {os.path.relpath(model, ROOT)}  input {card['input']['width']}x{card['input']['height']}  one thread, {args.runs} runs x {args.rounds} rounds")
    print(f"EdgeMark/tract median {e_med:9.1f} ms  min {min(r['min_ms'] for r in em):9.1f} ms  load+optimize {em[0]['load_ms']:7.1f} ms  peak RSS {max(r['peak_rss_kb'] for r in em) / 1024:7.1f} MiB")
    print(f"onnxruntime    median {o_med:9.1f} ms  min {min(r['min_ms'] for r in ox):9.1f} ms  session load  {ox[0]['load_ms']:7.1f} ms  peak RSS {max(r['peak_rss_kb'] for r in ox) / 1024:7.1f} MiB")
    e_min = min(r["min_ms"] for r in em)
    o_min = min(r["min_ms"] for r in ox)
    print(f"ratio EdgeMark/onnxruntime (median): {e_med / o_med:.2f}x   (min: {e_min / o_min:.2f}x)   "
          f"max |raw difference| {diff:.2e}")


if __name__ == "__main__":
    main()
