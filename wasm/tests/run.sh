#!/usr/bin/env bash
# Browser tests of the EdgeMark npm packages in real headless Chromium. Idempotent: installs
# what is missing (Debian chromium, npm playwright-core, the wasm32 target, wasm-bindgen-cli,
# npm binaryen, the RivaGAN ONNX files), runs the bindings' native unit tests, builds the
# native CLI and the three packages (wasm/pkg classical, wasm/pkg-onnx with tract, wasm/pkg-c2pa
# with the C2PA SDK), makes the test images, then runs `node --test`.
#
# Needs the fetched photographs (scripts/fetch-photos.sh) and the Python reference
# environment (scripts/setup-python.sh): the SDXL-marked images are made by the real
# imwatermark (tests/python/imw.py embed --path float).
#
#   wasm/tests/run.sh               # everything: tools, unit tests, build, browser tests
#   wasm/tests/run.sh --bench       # also the latency benchmark (wasm/tests/bench.mjs)
#   wasm/tests/run.sh --only setup  # only install the tools
#   wasm/tests/run.sh --only build  # tools, native CLI, the packages, test images
#   wasm/tests/run.sh --only test   # the browser tests (after --only build)
# scripts/test.sh runs the native unit tests itself, then `--only build` and `--only test`,
# so that it can time the build and the browser tests separately.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/wasm/tests"
log() { echo "[wasm/tests] $*" >&2; }
ONLY=all
BENCH=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) BENCH=1 ;;
    --only) ONLY="${2:?--only needs setup, build or test}"; shift ;;
    *) echo "usage: run.sh [--bench] [--only setup|build|test]" >&2; exit 2 ;;
  esac
  shift
done
case "$ONLY" in all | setup | build | test) ;; *) echo "--only: setup, build or test" >&2; exit 2 ;; esac
stage_start=$SECONDS
stage_done() { log "$1 took $((SECONDS - stage_start)) s"; stage_start=$SECONDS; }

# Tools: Debian chromium, playwright-core, the RivaGAN files, wasm32, wasm-bindgen, binaryen.
# Chromium from Debian (the tests drive /usr/bin/chromium unless EDGEMARK_CHROMIUM is set).
if [ -z "${EDGEMARK_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  "$ROOT/scripts/apt-install.sh" chromium
fi

# playwright-core (no browser download: it drives /usr/bin/chromium).
if [ ! -f "$HERE/node_modules/playwright-core/package.json" ] || \
   ! node -e "process.exit(require('$HERE/node_modules/playwright-core/package.json').version === require('$HERE/package.json').devDependencies['playwright-core'] ? 0 : 1)"; then
  log "installing playwright-core"
  (cd "$HERE" && npm ci --no-audit --no-fund --silent)
fi

# The RivaGAN decoder and card the onnx test loads in the page.
"$ROOT/scripts/fetch-rivagan.sh"

"$ROOT/wasm/scripts/build.sh" --tools
[ "$ONLY" != setup ] || exit 0
[ "$ONLY" = test ] || stage_done "set-up"

if [ "$ONLY" = all ]; then
  # The bindings' option parsing (native unit tests; without tract, so no second native tract build).
  (cd "$ROOT" && cargo test --release -q -p edgemark-wasm --lib)
  stage_done "native unit tests"
fi

# Test images, made once by the build part (delete target/wasm-fixtures to remake them).
FIXTURES="$ROOT/target/wasm-fixtures"
if [ "$ONLY" != test ]; then
  # Native CLI (the reference; from the test command's workspace build, scripts/cargo-workspace.sh,
  # so it does not compile again) and the npm packages: classical, and with tract (own target dir).
  bash "$ROOT/scripts/cargo-workspace.sh" build -q --bin edgemark
  "$ROOT/wasm/scripts/build.sh"
  EDGEMARK_WASM_FEATURES=onnx "$ROOT/wasm/scripts/build.sh"
  EDGEMARK_WASM_FEATURES=c2pa "$ROOT/wasm/scripts/build.sh"
  if [ ! -f "$FIXTURES/.ready-v3" ]; then
    [ -f "$ROOT/.cache/photos/.ready-v1" ] || { log "photos missing: run scripts/fetch-photos.sh"; exit 1; }
    [ -x "$ROOT/.cache/venv/bin/python" ] || { log "python reference missing: run scripts/setup-python.sh"; exit 1; }
    rm -rf "$FIXTURES"
    "$ROOT/.cache/venv/bin/python" "$HERE/make-fixtures.py" "$ROOT/.cache/photos" "$FIXTURES"
    touch "$FIXTURES/.ready-v3"
  fi
  stage_done "build (CLI, packages, test images)"
  [ "$ONLY" != build ] || exit 0
fi

for f in "$ROOT/wasm/pkg/edgemark_bg.wasm" "$ROOT/wasm/pkg-onnx/edgemark_bg.wasm" "$ROOT/wasm/pkg-c2pa/edgemark_bg.wasm" "$FIXTURES/.ready-v3"; do
  [ -f "$f" ] || { log "$f missing: run wasm/tests/run.sh --only build first"; exit 1; }
done
export EDGEMARK_WASM_FIXTURES="$FIXTURES"
node --test --test-concurrency=1 "$HERE/size.test.mjs" "$HERE/browser.test.mjs" "$HERE/extension.test.mjs" "$HERE/onnx.test.mjs" \
  "$HERE/screen.test.mjs" "$HERE/c2pa.test.mjs"
stage_done "browser tests"
if [ "$BENCH" = 1 ]; then
  node "$HERE/bench.mjs"
fi
