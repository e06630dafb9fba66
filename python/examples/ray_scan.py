#!/usr/bin/env python3
"""Scan a folder of images, or Parquet files of image bytes, for watermarks on a Ray cluster,
and write the findings to Parquet (one row per image; see edgemark.ray_data.SCHEMA).

    python python/examples/ray_scan.py IMAGES_DIR findings/ [--workers 2] [--presets sdxl,flux]
    python python/examples/ray_scan.py images.parquet findings/ --bytes-column image --path-column key
    python python/examples/ray_scan.py IMAGES_DIR findings/ --address ray://head:10001   # a real cluster

Without --address a local cluster is started with --workers + 1 CPUs (one reads the files). Prints one JSON
summary line: images, detected, errors, seconds, images per second.
"""

import argparse
import json
import os
import time

import pyarrow.parquet as pq
import ray

from edgemark.ray_data import scan


def local(path: str) -> str:
    """Local paths made absolute (workers may start elsewhere); URIs (s3://, gs://) as given."""
    return path if "://" in path else os.path.abspath(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", help="a folder of images, or Parquet file(s) of encoded images")
    ap.add_argument("out", help="folder the findings are written to (Parquet)")
    ap.add_argument("--workers", type=int, default=2, help="detectors at once (one CPU each)")
    ap.add_argument("--presets", help="comma-separated presets (default: every generator preset)")
    ap.add_argument("--scheme", action="append", default=[], help="also look for this scheme (e.g. edgemark-v3)")
    ap.add_argument("--fpr", type=float, default=1e-6)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--bytes-column", default="bytes")
    ap.add_argument("--path-column", default="path")
    ap.add_argument("--format", choices=["images", "parquet"], help="what source holds (default: guessed)")
    ap.add_argument("--address", help="Ray cluster address (default: start a local one)")
    a = ap.parse_args()

    if a.address:
        ray.init(address=a.address)
    else:
        # One CPU per detector and one for reading the files: with only as many CPUs as
        # detectors, the detectors would hold them all and the read could never start.
        ray.init(num_cpus=a.workers + 1, include_dashboard=False, log_to_driver=False)
    started = time.perf_counter()
    ds = scan(
        local(a.source),
        presets=a.presets.split(",") if a.presets else None,
        watermarks=a.scheme or None,
        fpr=a.fpr,
        workers=a.workers,
        batch_size=a.batch_size,
        bytes_column=a.bytes_column,
        path_column=a.path_column,
        format=a.format,
    )
    ds.write_parquet(local(a.out))
    seconds = time.perf_counter() - started
    written = pq.read_table(local(a.out), columns=["detected", "error"]).to_pydict()
    images = len(written["detected"])
    summary = {
        "images": images,
        "detected": sum(written["detected"]),
        "errors": sum(e is not None for e in written["error"]),
        "seconds": round(seconds, 2),
        "images_per_second": round(images / seconds, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
