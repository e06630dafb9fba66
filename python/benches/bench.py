#!/usr/bin/env python3
"""Benchmarks of the Python package (scripts/bench-python.sh runs it; figures in docs/python.md).

1. One core: invisible-watermark's own Python decode (`WatermarkDecoder('bits', 48).decode(bgr,
   'dwtDct')`, the reference) against the same call through `edgemark.imwatermark`, and against
   `edgemark.Detector` (the SDXL preset; every generator preset), on the same decoded images.
   Medians of per-image times over the photographs, and the ratio to the reference.
2. Ray Data: a folder of encoded images scanned by `edgemark.ray_data.scan` on a local cluster
   with 1 and 2 workers (images/s end to end: starting the actors, reading, decoding,
   detection, Parquet; and the steady rate from two collection sizes), and the peak resident
   memory of each worker process; `Detector.detect_many` in one process (1 and 2 threads) on
   the same files as the reference; what importing edgemark and detecting adds to a process.

  python python/benches/bench.py [--photos DIR] [--repeat 3] [--images 600] [--json out.json]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

import cv2
import numpy as np
import psutil

import edgemark
from edgemark import imwatermark as shim

ROOT = Path(__file__).resolve().parents[2]


def reference_imwatermark():
    # The real package; its rivaGan module imports torch (not installed), unused here.
    sys.modules.setdefault("torch", types.ModuleType("torch"))
    import imwatermark

    return imwatermark


def median_ms(fn, images, repeat):
    per_image = []
    for img in images:
        fn(img)  # warm
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn(img)
            times.append(time.perf_counter() - t)
        per_image.append(min(times))
    return 1000 * statistics.median(per_image)


def one_core(photos, repeat):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    imw = reference_imwatermark()
    images = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in photos]
    ref = imw.WatermarkDecoder("bits", 48)
    ours = shim.WatermarkDecoder("bits", 48)
    # The shim must give the reference's bits on these very images.
    for img in images:
        assert np.array_equal(ref.decode(img, "dwtDct"), ours.decode(img, "dwtDct"))
    sdxl = edgemark.Detector(presets=["sdxl"])
    every = edgemark.Detector()
    rows = {
        "imwatermark decode (reference)": median_ms(lambda b: ref.decode(b, "dwtDct"), images, repeat),
        "edgemark.imwatermark decode": median_ms(lambda b: ours.decode(b, "dwtDct"), images, repeat),
        "Detector(presets=['sdxl']).detect": median_ms(lambda b: sdxl.detect(b, order="bgr"), images, repeat),
        "Detector().detect (6 presets)": median_ms(lambda b: every.detect(b, order="bgr"), images, repeat),
    }
    reference = rows["imwatermark decode (reference)"]
    sizes = sorted({f"{i.shape[1]}x{i.shape[0]}" for i in images})
    return {
        "images": len(images),
        "sizes": sizes[:3] + (["..."] if len(sizes) > 3 else []),
        "median_ms": {k: round(v, 2) for k, v in rows.items()},
        "speedup_vs_imwatermark": {k: round(reference / v, 1) for k, v in rows.items()},
    }


def make_collection(photos, n, folder):
    rng = np.random.default_rng(11)
    sources = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in photos]
    mark = edgemark.Watermark("dwtDct", "0xB3EC907BB19E")
    for i in range(n):
        img = sources[i % len(sources)]
        h, w = img.shape[:2]
        ch, cw = int(rng.integers(192, min(h, 512) + 1)), int(rng.integers(192, min(w, 512) + 1))
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        crop = np.ascontiguousarray(img[y : y + ch, x : x + cw])
        if i % 3 == 0:
            crop = mark.embed(crop, order="bgr")
        ext = ".jpg" if i % 2 else ".png"
        params = [cv2.IMWRITE_JPEG_QUALITY, 92] if ext == ".jpg" else []
        cv2.imwrite(str(folder / f"img{i:04}{ext}"), crop, params)
    return sorted(folder.iterdir())


class PeakMemory:
    """Samples the resident memory of the Ray workers running the scanner (their process
    title names it) every 50 ms."""

    def __init__(self):
        self.peak = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            for p in psutil.process_iter(["pid", "cmdline"]):
                try:
                    cmd = " ".join(p.info["cmdline"] or [])
                    if "Scanner" in cmd:
                        rss = p.memory_info().rss
                        self.peak[p.pid] = max(self.peak.get(p.pid, 0), rss)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.stop.wait(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def ray_scan(files, folders, workers_list):
    """Each folder scanned end to end (actors started, files read, Parquet written); the
    difference between the largest and the smallest folder gives the steady rate, without
    the fixed start-up cost."""
    import ray

    from edgemark.ray_data import scan

    data = [f.read_bytes() for f in files]
    out = {"images": len(files), "single_process_images_per_second": {}, "ray": {}}
    detector = edgemark.Detector()
    for jobs in (1, 2):
        t = time.perf_counter()
        detector.detect_many(data, jobs=jobs)
        out["single_process_images_per_second"][f"detect_many jobs={jobs}"] = round(
            len(data) / (time.perf_counter() - t), 1
        )
    for workers in workers_list:
        ray.init(num_cpus=workers + 1, include_dashboard=False, log_to_driver=False)
        runs = {}
        try:
            with PeakMemory() as mem:
                for n, folder in folders:
                    with tempfile.TemporaryDirectory() as tmp:
                        t = time.perf_counter()
                        scan(str(folder), workers=workers, batch_size=32).write_parquet(tmp)
                        runs[n] = time.perf_counter() - t
        finally:
            ray.shutdown()
        (n0, t0), (n1, t1) = min(runs.items()), max(runs.items())
        out["ray"][f"{workers} worker(s)"] = {
            "end_to_end_seconds": {str(n): round(t, 2) for n, t in sorted(runs.items())},
            "end_to_end_images_per_second": round(n1 / t1, 1),
            "steady_images_per_second": round((n1 - n0) / (t1 - t0), 1),
            "fixed_seconds": round(t0 - n0 * (t1 - t0) / (n1 - n0), 2),
            "peak_rss_mib_per_worker": sorted(round(v / 2**20) for v in mem.peak.values()),
        }
    return out


def detector_memory(photo):
    """Resident memory a process gains by importing edgemark, building the default detector
    and detecting on one photograph (in a fresh interpreter)."""
    import subprocess

    code = (
        "import psutil, sys; p = psutil.Process(); a = p.memory_info().rss; "
        "import edgemark; d = edgemark.Detector(); d.detect(sys.argv[1]); "
        "print(round((p.memory_info().rss - a) / 2**20, 1), round(a / 2**20, 1))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(photo)], check=True, capture_output=True, text=True)
    gained, base = out.stdout.split()
    return {"interpreter_mib": float(base), "edgemark_adds_mib": float(gained)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", default=str(ROOT / ".cache" / "photos"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--images", type=int, default=2400, help="largest collection scanned (and 1/4 of it)")
    ap.add_argument("--json")
    a = ap.parse_args()
    photos = sorted(p for p in Path(a.photos).iterdir() if p.suffix.lower() in (".jpg", ".png"))
    if not photos:
        sys.exit(f"no photos in {a.photos}: run scripts/setup.sh")
    results = {"cpu": f"{psutil.cpu_count()} logical CPUs", "edgemark": edgemark.__version__}
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        big.mkdir()
        small.mkdir()
        files = make_collection(photos, a.images, big)
        for f in files[: a.images // 4]:
            os.link(f, small / f.name)
        # Ray first (it needs both cores); the one-core part pins this process.
        results["ray"] = ray_scan(files, [(a.images // 4, small), (a.images, big)], [1, 2])
    results["memory"] = detector_memory(photos[0])
    results["one_core"] = one_core(photos, a.repeat)
    text = json.dumps(results, indent=2)
    print(text)
    if a.json:
        Path(a.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
