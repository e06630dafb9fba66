#!/usr/bin/env bash
# Builds the EdgeMark npm package into wasm/pkg (git-ignored). Idempotent.
#
#   wasm/scripts/build.sh            # classical schemes + presets -> wasm/pkg
#   EDGEMARK_WASM_FEATURES=onnx wasm/scripts/build.sh   # + ONNX decoders (tract; slow build)
#                                                       # -> wasm/pkg-onnx, target dir target/wasm-onnx
#   EDGEMARK_WASM_FEATURES=c2pa wasm/scripts/build.sh   # + C2PA validation (the C2PA SDK)
#                                                       # -> wasm/pkg-c2pa, target dir target/wasm-c2pa-z
#   EDGEMARK_WASM_OPT=0 wasm/scripts/build.sh           # skip wasm-opt
#   EDGEMARK_WASM_OPT_FLAGS=-Oz wasm/scripts/build.sh   # wasm-opt level (default -O3; -Oz with onnx)
#   EDGEMARK_WASM_OPT_LEVEL=3 ...                        # rustc opt-level (default 3; z with onnx)
#   wasm/scripts/build.sh --tools    # only install the tools (steps 1, 2 and binaryen), build nothing
#
# Steps: wasm32 target (rustup), wasm-bindgen-cli at the exact version of the `wasm-bindgen`
# crate in Cargo.lock (cargo install --locked, only when missing or mismatched), a release
# build with simd128 and LTO in its own target dir (target/wasm, so the shared target dir keeps its
# flags), wasm-bindgen --target web, wasm-opt when available, package.json and README.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_ONLY=0
case "${1:-}" in
  --tools) TOOLS_ONLY=1 ;;
  "") ;;
  *) echo "usage: build.sh [--tools]" >&2; exit 2 ;;
esac
FEATURES="${EDGEMARK_WASM_FEATURES:-}"
# A build with tract goes to its own package and target dir, so that the classical package
# stays small and neither build invalidates the other's artifacts.
# tract is built at opt-level "z" and wasm-opt -Oz: 2.27 MB instead of 3.99 MB gzipped (O3 and
# -O3) for about 6% more decode time in Chromium (RivaGAN at 256x256; see wasm/README.md).
case ",$FEATURES," in
  *,onnx,*c2pa*|*c2pa*,onnx,*)
    echo "[wasm/build] onnx and c2pa are separate packages: build one at a time" >&2; exit 2 ;;
  *,onnx,*) SUFFIX="-onnx"; OPT_LEVEL="${EDGEMARK_WASM_OPT_LEVEL:-z}"; WASM_OPT_FLAGS="${EDGEMARK_WASM_OPT_FLAGS:--Oz}" ;;
  *,c2pa,*) SUFFIX="-c2pa"; OPT_LEVEL="${EDGEMARK_WASM_OPT_LEVEL:-z}"; WASM_OPT_FLAGS="${EDGEMARK_WASM_OPT_FLAGS:--Oz}" ;;
  *) SUFFIX=""; OPT_LEVEL="${EDGEMARK_WASM_OPT_LEVEL:-3}"; WASM_OPT_FLAGS="${EDGEMARK_WASM_OPT_FLAGS:--O3}" ;;
esac
PKG="$ROOT/wasm/pkg$SUFFIX"
TARGET_DIR="$ROOT/target/wasm$SUFFIX"
[ "$OPT_LEVEL" = 3 ] || TARGET_DIR="$TARGET_DIR-$OPT_LEVEL"
log() { echo "[wasm/build] $*" >&2; }

# 1. The wasm target.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen-cli, same version as the crate in Cargo.lock.
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
[ -n "$WB_VERSION" ] || { log "no wasm-bindgen in Cargo.lock"; exit 1; }
"$ROOT/wasm/scripts/install-wasm-bindgen.sh" "$WB_VERSION"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# wasm-opt from the npm `binaryen` package (pinned in wasm/scripts/package.json). Debian
# bookworm's binaryen 108 breaks wasm-bindgen's externref table, so it is not used.
SCRIPTS="$ROOT/wasm/scripts"
WASM_OPT="$SCRIPTS/node_modules/.bin/wasm-opt"
if [ "${EDGEMARK_WASM_OPT:-1}" != 0 ] && [ ! -x "$WASM_OPT" ]; then
  log "installing binaryen (npm) for wasm-opt"
  (cd "$SCRIPTS" && npm ci --no-audit --no-fund --silent)
fi
[ "$TOOLS_ONLY" = 0 ] || exit 0

# 3. The release build, simd128 on, in its own target dir.
log "cargo build (simd128, opt-level $OPT_LEVEL${FEATURES:+, features: $FEATURES}) into $TARGET_DIR"
(
  cd "$ROOT"
  CARGO_TARGET_DIR="$TARGET_DIR" RUSTFLAGS="-C target-feature=+simd128" \
    CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL="$OPT_LEVEL" \
    cargo build --release -p edgemark-wasm --target wasm32-unknown-unknown \
    ${FEATURES:+--features "$FEATURES"}
)
WASM_IN="$TARGET_DIR/wasm32-unknown-unknown/release/edgemark_wasm.wasm"

# 4. JS glue and TypeScript types.
rm -rf "$PKG.tmp" && mkdir -p "$PKG.tmp"
wasm-bindgen --target web --out-dir "$PKG.tmp" --out-name edgemark "$WASM_IN"

# 5. wasm-opt (installed above).
if [ "${EDGEMARK_WASM_OPT:-1}" != 0 ]; then
  if [ -x "$WASM_OPT" ]; then
    BG="$PKG.tmp/edgemark_bg.wasm"
    if "$WASM_OPT" $WASM_OPT_FLAGS --enable-simd --enable-bulk-memory --enable-sign-ext \
         --enable-nontrapping-float-to-int --enable-mutable-globals --enable-multivalue \
         --enable-reference-types "$BG" -o "$BG.opt" 2>"$PKG.tmp/wasm-opt.log"; then
      mv "$BG.opt" "$BG"
      log "wasm-opt $WASM_OPT_FLAGS applied ($("$WASM_OPT" --version))"
    else
      log "wasm-opt failed (kept the unoptimized module): $(head -c 300 "$PKG.tmp/wasm-opt.log")"
      rm -f "$BG.opt"
    fi
    rm -f "$PKG.tmp/wasm-opt.log"
  fi
fi

# 6. package.json, README and the overlay helper.
VERSION="$(awk -F'"' '/^version = / { print $2; exit }' "$ROOT/Cargo.toml")"
case "$SUFFIX" in
  -onnx) EXTRA=", ONNX decoders such as RivaGAN" ;;
  -c2pa) EXTRA=", C2PA manifests validated against the C2PA trust list" ;;
  *) EXTRA="" ;;
esac
cat > "$PKG.tmp/package.json" <<JSON
{
  "name": "edgemark$SUFFIX",
  "version": "$VERSION",
  "description": "Find and embed invisible image watermarks (Stable Diffusion XL, invisible-watermark dwtDct/dwtDctSvd$EXTRA) in the browser, with calibrated false-positive rates",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "edgemark.js",
  "module": "edgemark.js",
  "types": "edgemark.d.ts",
  "exports": {
    ".": { "types": "./edgemark.d.ts", "default": "./edgemark.js" },
    "./edgemark_bg.wasm": "./edgemark_bg.wasm",
    "./overlay": { "types": "./overlay.d.ts", "default": "./overlay.js" }
  },
  "files": ["edgemark.js", "edgemark.d.ts", "edgemark_bg.wasm", "edgemark_bg.wasm.d.ts", "overlay.js", "overlay.d.ts", "README.md"],
  "sideEffects": false,
  "keywords": ["watermark", "invisible-watermark", "stable-diffusion", "sdxl", "wasm", "ai-detection"]
}
JSON
cp "$ROOT/wasm/README.md" "$PKG.tmp/README.md"
# The screen-overlay helper (edgemark/overlay): imports ./edgemark.js.
cp "$ROOT/wasm/js/overlay.js" "$ROOT/wasm/js/overlay.d.ts" "$PKG.tmp/"
rm -rf "$PKG" && mv "$PKG.tmp" "$PKG"
# The extension sample loads the (classical) package from its own folder.
if [ -z "$SUFFIX" ]; then
  rm -rf "$ROOT/wasm/extension/pkg" && mkdir -p "$ROOT/wasm/extension/pkg"
  cp "$PKG/edgemark.js" "$PKG/edgemark_bg.wasm" "$ROOT/wasm/extension/pkg/"
fi

RAW=$(stat -c %s "$PKG/edgemark_bg.wasm")
GZ=$(gzip -9 -c "$PKG/edgemark_bg.wasm" | wc -c)
log "wrote $PKG: edgemark_bg.wasm $RAW bytes, $GZ bytes gzipped (-9)"
