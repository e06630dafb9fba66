"""Shared fixtures of the Python package's tests (run by python/tests/run.sh)."""

import os
import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PHOTOS = ROOT / ".cache" / "photos"


def cli_path() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("EDGEMARK_CLI", ROOT / "target" / "release" / "edgemark"))
    if not path.is_file():
        pytest.fail(f"the edgemark CLI is not built at {path} (python/tests/run.sh builds it)")
    return path


def run_cli(*args: str) -> str:
    out = subprocess.run([str(cli_path()), *args], check=True, capture_output=True, text=True)
    return out.stdout


def photos(n: int):
    """The first n photographs of scripts/fetch-photos.sh (the tests fail without them)."""
    files = sorted(p for p in PHOTOS.glob("*") if p.suffix.lower() in (".jpg", ".png"))
    if len(files) < n:
        pytest.fail(f"{len(files)} photos in {PHOTOS}, need {n}: run scripts/setup.sh")
    return files[:n]


def load_rgb(path) -> np.ndarray:
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, path
    return np.ascontiguousarray(bgr[:, :, ::-1])


@pytest.fixture(scope="session")
def imwatermark():
    """The real invisible-watermark 0.2.0 package. Its __init__ imports its rivaGan module,
    which imports torch only for rivaGan (not installed: gigabytes of CUDA libraries); a stub
    torch module lets the package's own dwtDct/dwtDctSvd code load unchanged."""
    if "torch" not in sys.modules:
        sys.modules["torch"] = types.ModuleType("torch")
    import imwatermark

    return imwatermark
