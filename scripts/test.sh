#!/usr/bin/env bash
# Runs every test of EdgeMark (the README's test command; .ci/run calls exactly this):
#   1. set-up from the package registries (idempotent),
#   2. the Rust workspace tests (core, CLI, eval, FFI, the reference tests that run the real
#      Python invisible-watermark and onnxruntime, and the training path's CPU smoke test:
#      candle, feature `train`, in the same build so shared dependencies compile once),
#   3. the Python package (python/tests/run.sh): the wheel built with maturin, installed into a
#      fresh venv, and pytest: the API against the CLI, the imwatermark shim against the real
#      invisible-watermark, a Ray Data scan on a local 2-worker cluster,
#   4. the wasm crate's Rust unit tests (run natively, without and with its ONNX feature),
#   5. the C tests of the C ABI under valgrind, then cross-built for aarch64 (with ONNX models)
#      and armv7 (without) by Debian's cross compilers and Rust standard libraries, and run
#      through qemu-user,
#   6. the wasm build (native CLI, both npm packages, test images),
#   7. the browser tests in headless Chromium (wasm; classical and ONNX packages).
# Prints the wall time of each stage at the end, also when a stage fails (then the exit status
# is that of the failed stage).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR=never

stages=()
times=()
current=""
started=$SECONDS
fmt() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
report() {
  local rc=$? i
  {
    echo
    echo "== scripts/test.sh stage times (wall)"
    for i in "${!stages[@]}"; do
      printf '  %-22s %8s  ok\n' "${stages[$i]}" "$(fmt "${times[$i]}")"
    done
    if [ -n "$current" ]; then
      printf '  %-22s %8s  FAILED (exit %d)\n' "$current" "$(fmt $((SECONDS - stage_t0)))" "$rc"
    fi
    printf '  %-22s %8s\n' "total" "$(fmt $((SECONDS - started)))"
  } >&2
  exit "$rc"
}
trap report EXIT
stage() {
  local name="$1"
  shift
  current="$name"
  stage_t0=$SECONDS
  echo "== [$name] $*" >&2
  "$@"
  stages+=("$name")
  times+=($((SECONDS - stage_t0)))
  current=""
}

# Two cores: one workspace build, one target dir, release profile everywhere.
stage "set-up" bash scripts/setup.sh
# One build for the workspace and the training crate (scripts/cargo-workspace.sh): testing
# edgemark-train alone with `--features train` resolved different features for tract, image
# and serde and compiled them a second time (about 10 minutes on 2 cores). The C tests take
# the CLI, their fixture maker and the native library from this same build.
stage "Rust tests" bash scripts/cargo-workspace.sh test
stage "Python tests" bash python/tests/run.sh
stage "wasm unit tests" bash -c 'cargo test --release -p edgemark-wasm --lib && cargo test --release -p edgemark-wasm --features onnx --lib'
stage "C tests" bash ffi/tests/run.sh
stage "C tests aarch64" bash ffi/tests/run.sh --target aarch64-unknown-linux-gnu
# armv7 without ONNX: tract's cross build would add about 7 minutes on 2 cores; the armv7 ONNX
# run (NEON kernels, the model tests) is `ffi/tests/run.sh --target armv7-unknown-linux-gnueabihf`.
stage "C tests armv7" bash ffi/tests/run.sh --target armv7-unknown-linux-gnueabihf --no-onnx
stage "wasm build" bash wasm/tests/run.sh --only build
stage "Chromium tests" bash wasm/tests/run.sh --only test
echo "all EdgeMark tests passed"
