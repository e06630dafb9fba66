"""Ray Data on a real local cluster (2 workers): the scan's rows equal a single process's."""

import os
import subprocess
import sys

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import edgemark
from conftest import ROOT, load_rgb, photos
from edgemark.ray_data import SCHEMA, scan, single_process

N = 300


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """N images (crops of the photographs at varied sizes), every third carrying SDXL's
    48-bit message written by dwtDct on the 8-bit image (as imwatermark on a cv2 image: the
    sdxl preset reads it exactly), every fifth of those FLUX's 46-bit message instead, plus
    two files that are not images."""
    folder = tmp_path_factory.mktemp("collection")
    rng = np.random.default_rng(3)
    sources = [load_rgb(p) for p in photos(12)]
    sdxl = edgemark.Watermark("dwtDct", "0xB3EC907BB19E")
    flux = edgemark.Watermark("dwtDct", "bits:" + format(0b001010101111111010000111100111001111010100101110, "b"))
    marked = set()
    for i in range(N):
        rgb = sources[i % len(sources)]
        h, w = rgb.shape[:2]
        ch, cw = int(rng.integers(160, min(h, 320))), int(rng.integers(160, min(w, 320)))
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        crop = np.ascontiguousarray(rgb[y : y + ch, x : x + cw])
        if i % 3 == 0:
            crop = (flux if i % 15 == 0 else sdxl).embed(crop)
            marked.add(f"img{i:03}.png")
        sub = folder / f"part{i % 4}"
        sub.mkdir(exist_ok=True)
        cv2.imwrite(str(sub / f"img{i:03}.png"), crop[:, :, ::-1])
    (folder / "part0" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (folder / "part1" / "empty.jpg").write_bytes(b"")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return folder, files, marked


def by_name(rows):
    return {os.path.basename(r["path"]): {**r, "path": os.path.basename(r["path"])} for r in rows}


def test_example_script_on_a_local_cluster_equals_a_single_process(collection, tmp_path):
    folder, files, marked = collection
    out = tmp_path / "findings"
    script = ROOT / "python" / "examples" / "ray_scan.py"
    done = subprocess.run(
        [sys.executable, str(script), str(folder), str(out), "--workers", "2", "--batch-size", "32"],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    table = pq.read_table(out)
    assert table.schema.equals(SCHEMA)
    got = by_name(table.to_pylist())
    want = by_name(single_process([str(f) for f in files], [f.read_bytes() for f in files]))
    assert len(got) == N + 2 and got == want
    fired = {n for n, r in got.items() if r["detected"]}
    assert fired == marked
    assert {r["watermark"] for n, r in got.items() if r["detected"]} == {"sdxl", "flux"}
    assert {n for n, r in got.items() if r["error"]} == {"broken.png", "empty.jpg"}
    assert summary["images"] == N + 2 and summary["detected"] == len(fired) and summary["errors"] == 2


def test_parquet_of_image_bytes(collection, tmp_path):
    import ray

    folder, files, marked = collection
    files = files[:120]
    source = tmp_path / "images.parquet"
    # A null cell is one unreadable image, not a failed batch.
    names = [f.name for f in files] + ["null.png"]
    images = [f.read_bytes() for f in files] + [None]
    pq.write_table(
        pa.table({"key": names, "image": pa.array(images, pa.binary())}),
        source,
        row_group_size=25,
    )
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False)  # 2 detectors + 1 reader
    try:
        rows = scan(str(source), presets=["sdxl", "flux"], workers=2, bytes_column="image", path_column="key").take_all()
    finally:
        ray.shutdown()
    want = single_process(names, images, presets=["sdxl", "flux"])
    assert by_name(rows) == by_name(want)
    assert by_name(rows)["null.png"]["error"]
    assert {n for n, r in by_name(rows).items() if r["detected"]} == marked & {f.name for f in files}
