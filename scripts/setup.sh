#!/usr/bin/env bash
# Everything the tests and benchmarks need that is not in git, fetched from the package
# registries, idempotently (a second run does nothing):
#   - Python reference environment (.cache/venv: invisible-watermark 0.2.0, numpy, opencv, pywt, onnxruntime)
#   - natural photographs from registry packages (.cache/photos)
#   - RivaGAN's ONNX files from the invisible-watermark wheel (models/rivagan/*.onnx, git-ignored)
# The browser tests install their own tools (wasm/tests/run.sh: wasm32 target, wasm-bindgen-cli,
# Debian chromium, playwright-core).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup-python.sh"
bash "$root/scripts/fetch-photos.sh"
bash "$root/scripts/fetch-rivagan.sh"
