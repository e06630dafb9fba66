#!/usr/bin/env bash
# Runs every test of EdgeMark (the README's test command; .ci/run calls exactly this):
#   1. set-up from the package registries (idempotent),
#   2. the Rust workspace tests (core, CLI, eval, FFI, and the reference tests that run the
#      real Python invisible-watermark and onnxruntime),
#   3. the training path's CPU smoke test (candle, feature `train`) and the wasm crate's
#      Rust unit tests (run natively, with its ONNX feature),
#   4. the C tests of the C ABI under valgrind,
#   5. the browser tests in headless Chromium (wasm; classical and ONNX packages).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR=never
# Two cores: one workspace build, one target dir, release profile everywhere.
bash scripts/setup.sh
cargo test --release --workspace --exclude edgemark-wasm
cargo test --release -p edgemark-train --features train
cargo test --release -p edgemark-wasm --features onnx --lib
bash ffi/tests/run.sh
bash wasm/tests/run.sh
echo "all EdgeMark tests passed"
