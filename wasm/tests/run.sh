#!/usr/bin/env bash
# Browser tests of the EdgeMark npm packages in real headless Chromium. Idempotent: installs
# what is missing (Debian chromium, npm playwright-core, wasm-bindgen-cli, the RivaGAN ONNX
# files), runs the bindings' native unit tests, builds the native CLI and both packages
# (wasm/pkg classical, wasm/pkg-onnx with tract), makes the test images, then runs
# `node --test`.
#
# Needs the fetched photographs (scripts/fetch-photos.sh) and the Python reference
# environment (scripts/setup-python.sh): the SDXL-marked images are made by the real
# imwatermark (tests/python/imw.py embed --path float).
#
#   wasm/tests/run.sh            # build, then test
#   wasm/tests/run.sh --bench    # also the latency benchmark (wasm/tests/bench.mjs)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/wasm/tests"
log() { echo "[wasm/tests] $*" >&2; }

# Chromium from Debian.
if [ ! -x /usr/bin/chromium ]; then
  log "installing chromium (Debian)"
  if ! apt-get install -y -q chromium >/dev/null 2>&1; then
    apt-get update -q >/dev/null
    apt-get install -y -q chromium >/dev/null
  fi
fi

# playwright-core (no browser download: it drives /usr/bin/chromium).
if [ ! -f "$HERE/node_modules/playwright-core/package.json" ] || \
   ! node -e "process.exit(require('$HERE/node_modules/playwright-core/package.json').version === require('$HERE/package.json').devDependencies['playwright-core'] ? 0 : 1)"; then
  log "installing playwright-core"
  (cd "$HERE" && npm ci --no-audit --no-fund --silent)
fi

# The RivaGAN decoder and card the onnx test loads in the page.
"$ROOT/scripts/fetch-rivagan.sh"

# The bindings' option parsing (native unit tests; without tract, so no second native tract build).
(cd "$ROOT" && cargo test --release -q -p edgemark-wasm --lib)

# Native CLI (the reference) and the npm packages: classical, and with tract (own target dir).
(cd "$ROOT" && cargo build --release -q -p edgemark-cli)
"$ROOT/wasm/scripts/build.sh"
EDGEMARK_WASM_FEATURES=onnx "$ROOT/wasm/scripts/build.sh"

# Test images, made once (delete target/wasm-fixtures to remake them).
FIXTURES="$ROOT/target/wasm-fixtures"
if [ ! -f "$FIXTURES/.ready-v1" ]; then
  [ -f "$ROOT/.cache/photos/.ready-v1" ] || { log "photos missing: run scripts/fetch-photos.sh"; exit 1; }
  [ -x "$ROOT/.cache/venv/bin/python" ] || { log "python reference missing: run scripts/setup-python.sh"; exit 1; }
  rm -rf "$FIXTURES"
  "$ROOT/.cache/venv/bin/python" "$HERE/make-fixtures.py" "$ROOT/.cache/photos" "$FIXTURES"
  touch "$FIXTURES/.ready-v1"
fi

export EDGEMARK_WASM_FIXTURES="$FIXTURES"
node --test --test-concurrency=1 "$HERE/browser.test.mjs" "$HERE/extension.test.mjs" "$HERE/onnx.test.mjs"
if [ "${1:-}" = "--bench" ]; then
  node "$HERE/bench.mjs"
fi
