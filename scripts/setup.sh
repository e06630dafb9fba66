#!/usr/bin/env bash
# Everything the tests and benchmarks need that is not in git, fetched from the package
# registries, idempotently (a second run does nothing):
#   - Python reference environment (.cache/venv: invisible-watermark 0.2.0, numpy, opencv, pywt, onnxruntime)
#   - natural photographs from registry packages (.cache/photos)
#   - RivaGAN's ONNX files from the invisible-watermark wheel (models/rivagan/*.onnx, git-ignored)
#   - the Python package's test environment (python/tests/run.sh --setup: .cache/python-venv
#     with maturin, pytest, Ray Data, pyarrow, and the real invisible-watermark for the shim)
#   - the tools of the C tests (ffi/tests/run.sh --setup: Debian valgrind, make, pkg-config)
#     and of their ARM runs (scripts/setup-cross.sh: Debian cross gcc, qemu-user, and Debian's
#     Rust compiler with the source of its standard library unpacked into .cache/cross)
#   - the tools of the browser tests (wasm/tests/run.sh --only setup: Debian chromium, npm
#     playwright-core, the wasm32 target via rustup, wasm-bindgen-cli via cargo install,
#     npm binaryen for wasm-opt)
# Those test scripts also install their own tools when run alone. Nothing here relies on an
# earlier run or on anything installed by hand: scripts/fresh-check.sh runs all of it in a
# fresh clone with an empty HOME and CARGO_HOME.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup-python.sh"
bash "$root/scripts/fetch-photos.sh"
bash "$root/scripts/fetch-rivagan.sh"
bash "$root/python/tests/run.sh" --setup
bash "$root/ffi/tests/run.sh" --setup
bash "$root/scripts/setup-cross.sh" >/dev/null
bash "$root/wasm/tests/run.sh" --only setup
