"""Scanning collections that outgrow one machine with Ray Data (``pip install edgemark[ray]``).

One detector per Ray worker (an actor, built once), batches of encoded images in, one row of
findings per image out, written wherever Ray Data writes (Parquet here)::

    import ray
    from edgemark.ray_data import scan

    ray.init()                                  # or ray.init("ray://head:10001") on a cluster
    scan("s3://bucket/images/", workers=32).write_parquet("s3://bucket/findings/")

Rows (:data:`SCHEMA`): ``path``, ``detected`` (any watermark at the detector's rate),
``watermark`` / ``p_value`` / ``payload`` of the most significant finding, ``ai_generated``
(the provenance verdict), ``error`` (the image could not be read), and ``record``: the whole
``edgemark detect --json`` record as JSON text. The rows equal what a single process gets
from :meth:`edgemark.Detector.detect_many` (tests/test_ray.py checks it on a local cluster).

Nothing here is needed to use EdgeMark; Ray, pyarrow and pandas are imported only by it.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence

import pyarrow as pa

import edgemark

__all__ = ["SCHEMA", "IMAGE_EXTENSIONS", "Scanner", "findings_table", "scan"]

SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("detected", pa.bool_()),
        ("watermark", pa.string()),
        ("p_value", pa.float64()),
        ("payload", pa.string()),
        ("ai_generated", pa.bool_()),
        ("error", pa.string()),
        ("record", pa.string()),
    ]
)

IMAGE_EXTENSIONS = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"]


def _row(path: str, record: Dict[str, Any]) -> Dict[str, Any]:
    findings = [f for f in record.get("findings", []) if f.get("p_value") is not None]
    best = min(findings, key=lambda f: f["p_value"], default=None)
    provenance = record.get("provenance") or {}
    return {
        "path": path,
        "detected": any(f.get("detected") for f in record.get("findings", [])),
        "watermark": best["watermark"] if best else None,
        "p_value": best["p_value"] if best else None,
        "payload": best["payload"]["hex"] if best else None,
        "ai_generated": provenance.get("ai_generated"),
        "error": record.get("error"),
        "record": json.dumps(record, sort_keys=True),
    }


def findings_table(paths: Sequence[str], records: Sequence[Dict[str, Any]]) -> pa.Table:
    """The rows of ``records`` (as :meth:`edgemark.Detector.detect_many` gives them) for
    the images at ``paths``."""
    return pa.Table.from_pylist([_row(p, r) for p, r in zip(paths, records)], schema=SCHEMA)


class Scanner:
    """The batch function Ray Data runs on each worker: builds one :class:`edgemark.Detector`
    (the arguments are the detector's) and reads each batch on ``jobs`` threads (default 1:
    Ray gives each worker its CPU)."""

    def __init__(
        self,
        presets: Optional[Sequence[str]] = None,
        watermarks: Optional[Iterable[Any]] = None,
        models: Optional[Iterable[str]] = None,
        fpr: float = edgemark.DEFAULT_FPR,
        bytes_column: str = "bytes",
        path_column: str = "path",
        jobs: int = 1,
    ) -> None:
        self.detector = edgemark.Detector(presets=presets, watermarks=watermarks, models=models, fpr=fpr)
        self.bytes_column = bytes_column
        self.path_column = path_column
        self.jobs = jobs

    def __call__(self, batch: pa.Table) -> pa.Table:
        # A null cell is an image that cannot be read: its row says so.
        data = [b if b is not None else b"" for b in batch.column(self.bytes_column).to_pylist()]
        paths = [str(p) for p in batch.column(self.path_column).to_pylist()]
        records = self.detector.detect_many(data, jobs=self.jobs)
        return findings_table(paths, records)


def scan(
    source: str,
    *,
    presets: Optional[Sequence[str]] = None,
    watermarks: Optional[Iterable[Any]] = None,
    models: Optional[Iterable[str]] = None,
    fpr: float = edgemark.DEFAULT_FPR,
    workers: int = 2,
    batch_size: int = 64,
    bytes_column: str = "bytes",
    path_column: str = "path",
    format: Optional[str] = None,
) -> "ray.data.Dataset":  # noqa: F821
    """A Ray Dataset of findings for ``source`` (a local path or any URI Ray Data reads,
    e.g. ``s3://``): a folder of images (read recursively, by extension) or Parquet files
    whose ``bytes_column`` holds encoded images and ``path_column`` their names
    (``format="parquet"``; guessed for a ``.parquet`` path or a local folder of them).
    ``watermarks`` are scheme names or dicts (they travel to the workers; a
    :class:`edgemark.Watermark` object does not). ``workers`` detectors run at once, one CPU
    each. Nothing
    runs until the dataset is consumed (``write_parquet``, ``to_pandas``, ...). The cluster
    needs a CPU beyond the ``workers`` for reading (else the detectors hold every CPU and the
    read never starts)."""
    import ray.data

    if any(isinstance(w, edgemark.Watermark) for w in watermarks or []):
        raise TypeError("scan takes watermarks as scheme names or dicts (Watermark objects do not travel to workers)")
    if format not in (None, "parquet", "images"):
        raise ValueError(f"format is 'parquet' or 'images', not {format!r}")
    if format is None:
        parquet = source.endswith(".parquet") or (os.path.isdir(source) and _is_parquet_dir(source))
        format = "parquet" if parquet else "images"
    if format == "parquet":
        ds = ray.data.read_parquet(source).select_columns([path_column, bytes_column])
    else:
        ds = ray.data.read_binary_files(source, include_paths=True, file_extensions=IMAGE_EXTENSIONS)
        bytes_column, path_column = "bytes", "path"
    return ds.map_batches(
        Scanner,
        fn_constructor_kwargs={
            "presets": presets,
            "watermarks": watermarks,
            "models": edgemark._paths(models),
            "fpr": fpr,
            "bytes_column": bytes_column,
            "path_column": path_column,
        },
        batch_size=batch_size,
        batch_format="pyarrow",
        concurrency=workers,
        num_cpus=1,
    )


def _is_parquet_dir(path: str) -> bool:
    names = os.listdir(path)
    return bool(names) and all(n.endswith(".parquet") or n.startswith((".", "_")) for n in names)


def single_process(paths: Sequence[str], data: Sequence[bytes], **detector: Any) -> List[Dict[str, Any]]:
    """The rows one process gets for the same images (what a scan's rows must equal)."""
    records = edgemark.Detector(**detector).detect_many([b if b is not None else b"" for b in data])
    return findings_table(list(paths), records).to_pylist()
