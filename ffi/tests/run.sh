#!/usr/bin/env bash
# C tests of libedgemark: builds the library (cargo, release), makes NV12 frames of the
# committed fixtures with the Rust API (which also prints the bits it reads from them),
# compiles the C test and the example with gcc through pkg-config, and runs them under
# valgrind (any error or definitely-lost byte fails). Installs valgrind, make and pkg-config
# from Debian when missing (idempotent).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ffi="$(dirname "$here")"
root="$(dirname "$ffi")"
cd "$root"
if [ "${1:-}" = --setup ]; then setup_only=1; else setup_only=0; fi
need=()
for tool in valgrind make pkg-config gcc; do
  command -v "$tool" >/dev/null || need+=("$tool")
done
[ "${#need[@]}" = 0 ] || bash "$root/scripts/apt-install.sh" "${need[@]}"
[ "$setup_only" = 0 ] || exit 0
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
build="$target/ffi-c"
mkdir -p "$build"

cargo build --release -p edgemark-ffi
cargo build --release -p edgemark-ffi --example make_nv12
make -s -C "$ffi" TARGET_DIR="$target" BUILD="$build" all

fx="$here/fixtures"
read -r w h expected marked_detected _ < <("$target/release/examples/make_nv12" "$fx/sdxl_marked.png" "$build/marked.nv12")
read -r _ _ _ clean_detected _ < <("$target/release/examples/make_nv12" "$fx/clean.png" "$build/clean.nv12")
echo "Rust API on the NV12 frames: marked detected=$marked_detected bits=$expected; clean detected=$clean_detected"
[[ "$marked_detected" == 1 && "$clean_detected" == 0 ]] || { echo "Rust API disagrees with the fixtures"; exit 1; }
# edgemark-v3 needs a photo larger than the fixtures for its open-set decision: one of the
# photos scripts/fetch-photos.sh puts in .cache (scripts/setup.sh runs it).
photo="$root/.cache/photos/leuvenA.jpg"
[ -f "$photo" ] || { echo "missing $photo: run scripts/setup.sh (or scripts/fetch-photos.sh) first"; exit 1; }
v3_payload=0x00C0FFEE
read -r v3w v3h _ v3_detected v3_read < <("$target/release/examples/make_nv12" --embed-v3 "$v3_payload" "$photo" "$build/v3.nv12")
echo "Rust API on the edgemark-v3 NV12 frame: detected=$v3_detected payload=$v3_read"
[[ "$v3_detected" == 1 && "$v3_read" == "$v3_payload" ]] || { echo "Rust API does not read its own v3 mark"; exit 1; }

vg=(valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --track-origins=yes)
echo "== test_edgemark under valgrind"
"${vg[@]}" "$build/test_edgemark" "$build/marked.nv12" "$build/clean.nv12" "$w" "$h" "$expected" "$fx/sdxl_marked.png" \
  "$build/v3.nv12" "$v3w" "$v3h" "$v3_read"
echo "== test_config_embed under valgrind (JSON configuration, embedding)"
"${vg[@]}" "$build/test_config_embed" "$fx/clean.png" "$fx/sdxl_marked.png" "$photo"
echo "== example nv12_detect under valgrind"
"${vg[@]}" "$build/nv12_detect" "$build/marked.nv12" "$w" "$h"
set +e
"${vg[@]}" "$build/nv12_detect" "$build/clean.nv12" "$w" "$h"
rc=$?
set -e
[[ $rc == 1 ]] || { echo "nv12_detect on the clean frame exited $rc (want 1: nothing detected)"; exit 1; }
echo "C tests passed"
