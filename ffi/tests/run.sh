#!/usr/bin/env bash
# C tests of libedgemark: builds the library (cargo, release), makes NV12 frames of the
# committed fixtures with the Rust API (which also prints the bits it reads from them),
# compiles the C tests and the examples with gcc through pkg-config, and runs them under
# valgrind (any error or definitely-lost byte fails). Installs valgrind, make and pkg-config
# from Debian when missing (idempotent).
#
#   ffi/tests/run.sh                                  # native (x86-64 here), under valgrind
#   ffi/tests/run.sh --target aarch64-unknown-linux-gnu
#   ffi/tests/run.sh --target armv7-unknown-linux-gnueabihf
#
# With --target the library is cross-built (Debian's cross gcc and Rust standard library for
# that target: scripts/setup-cross.sh), the C programs are compiled with the cross gcc, and the
# same tests run through qemu-user (valgrind does not run there). The fixtures are still made
# natively. It also prints the stripped sizes of the target's libraries.
#
# --no-onnx builds the library without ONNX models (`--no-default-features`: smaller, and
# much faster to cross-build, since tract is left out) and skips the model tests; the other
# tests check that models are refused with a reason.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ffi="$(dirname "$here")"
root="$(dirname "$ffi")"
cd "$root"
setup_only=0
cross=""
no_onnx=0
while [ $# -gt 0 ]; do
  case "$1" in
    --setup) setup_only=1 ;;
    --target) cross="${2:?--target needs a target triple}"; shift ;;
    --no-onnx) no_onnx=1 ;;
    *) echo "usage: $0 [--setup] [--target aarch64-unknown-linux-gnu|armv7-unknown-linux-gnueabihf] [--no-onnx]" >&2; exit 2 ;;
  esac
  shift
done
need=()
for tool in valgrind make pkg-config gcc; do
  command -v "$tool" >/dev/null || need+=("$tool")
done
[ "${#need[@]}" = 0 ] || bash "$root/scripts/apt-install.sh" "${need[@]}"
case "$cross" in
  "") ;;
  # The CPUs qemu emulates: a Cortex-A53 (Raspberry Pi 3, most camera and NVR SoCs of the
  # last years) and a Cortex-A7 (32-bit cameras), not qemu's default "max" CPU (SVE2...).
  aarch64-unknown-linux-gnu) gnu=aarch64-linux-gnu qemu=qemu-aarch64 cpu=cortex-a53 ;;
  armv7-unknown-linux-gnueabihf) gnu=arm-linux-gnueabihf qemu=qemu-arm cpu=cortex-a7 ;;
  *) echo "unsupported target $cross (aarch64-unknown-linux-gnu, armv7-unknown-linux-gnueabihf)" >&2; exit 2 ;;
esac
cross_rustc=""
[ -z "$cross" ] || cross_rustc="$(bash "$root/scripts/setup-cross.sh" | tail -n 1)"
[ "$setup_only" = 0 ] || exit 0
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
build="$target/ffi-c"
mkdir -p "$build"

# The fixtures are made by the native build (the Rust API), whatever the target, and the CLI
# renders the overlay tile the C ABI's must equal byte for byte: both from the test command's
# workspace build (scripts/cargo-workspace.sh: its features, so nothing compiles twice), with
# the native library.
cargo_workspace=(bash "$root/scripts/cargo-workspace.sh" build)
"${cargo_workspace[@]}" --lib --bin edgemark --example make_nv12
make_nv12="$target/release/examples/make_nv12"
cli_tile="$target/overlay-cli-c0ffee.rgba"
"$target/release/edgemark" overlay --id 0xC0FFEE --strength 2.8 --out "$cli_tile"
features=()
[ "$no_onnx" = 0 ] || features=(--no-default-features)
if [ -z "$cross" ]; then
  cargo_dir="$target"
  if [ "$no_onnx" = 1 ]; then
    # Its own cargo folder: the ONNX build's library in target/release stays as it is.
    build="$target/ffi-c-no-onnx" cargo_dir="$target/no-onnx"
  fi
  mkdir -p "$build"
  # The library with ONNX models is the workspace build's (built above): edgemark-ffi's
  # default features plus what the other crates of the workspace enable in the core crate
  # (C2PA validation, dataset marking). The library as `make -C ffi` builds it alone, default
  # features only, is the one the aarch64 run tests.
  # (Built above: cargo here again with only `--lib` would leave the example's
  # dev-dependencies out of the feature set and compile the core crate a second time.)
  cargo_lib=()
  [ "$no_onnx" = 1 ] || cargo_lib=(CARGO_BUILD=true)
  make -s -C "$ffi" TARGET_DIR="$cargo_dir" BUILD="$build" CARGO_FEATURES="${features[*]}" "${cargo_lib[@]}" all
  run=()
  vg=(valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
    --suppressions="$here/valgrind.supp")
  # The model test without --track-origins (which only says where an uninitialised value came
  # from, once one is found): tract under valgrind is slow enough as it is (about 70 s).
  vg_models=("${vg[@]}")
  vg+=(--track-origins=yes)
  under="valgrind"
else
  # Debian's compiler (scripts/setup-cross.sh), its own target folder (the host build's
  # artifacts are another compiler's), the cross gcc as linker and C compiler. The target's
  # standard library is compiled from Debian's source of it, in that folder, by cargo's
  # build-std: an unstable cargo feature, which RUSTC_BOOTSTRAP=1 lets this stable cargo and
  # compiler use (about a minute on two cores, once per target folder).
  build="$target/ffi-c-$cross"
  [ "$no_onnx" = 0 ] || build="$build-no-onnx"
  mkdir -p "$build"
  triple_var="$(echo "$cross" | tr 'a-z-' 'A-Z_')"
  export RUSTC="$cross_rustc" RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export "CARGO_TARGET_${triple_var}_LINKER=$gnu-gcc"
  export "CC_${cross//-/_}=$gnu-gcc" "AR_${cross//-/_}=$gnu-ar"
  make -s -C "$ffi" TARGET_DIR="$target/cross" CARGO_TARGET="$cross" CC="$gnu-gcc" BUILD="$build" \
    CARGO_FEATURES="${features[*]}" all
  if [ "$cpu" = cortex-a7 ]; then
    # tract finds NEON on 32-bit ARM in /proc/cpuinfo's Features line, and qemu-user shows the
    # host's /proc/cpuinfo (x86-64: no such flag), so it would fall back to its VFP kernels;
    # a real Cortex-A7 lists "neon" there. tract's own knob says what the device would, and
    # the NEON kernels then really run (qemu emulates NEON for this CPU).
    export TRACT_CPU_ARM32_NEON=true
  fi
  run=("$qemu" -cpu "$cpu" -L "/usr/$gnu")
  vg=("${run[@]}")
  vg_models=("${run[@]}")
  under="$qemu -cpu $cpu (qemu-user: $cross on $(uname -m))"
  echo "== $cross: running the C tests through ${run[*]}"
  "$gnu-readelf" -h "$build/lib/libedgemark.so" | grep -E 'Class|Machine' | sed 's/^ */   /'
  for lib in "$build/lib/libedgemark.so" "$build/lib/libedgemark.a"; do
    "$gnu-strip" -o "$build/stripped.tmp" "$lib"
    awk -v n="$(basename "$lib")" -v b="$(stat -c %s "$build/stripped.tmp")" -v t="$cross" \
      'BEGIN { printf "   %-16s %6.1f MiB stripped (%s)\n", n, b / 1048576, t }'
  done
  rm -f "$build/stripped.tmp"
fi

fx="$here/fixtures"
read -r w h expected marked_detected _ < <("$make_nv12" "$fx/sdxl_marked.png" "$build/marked.nv12")
read -r _ _ _ clean_detected _ < <("$make_nv12" "$fx/clean.png" "$build/clean.nv12")
echo "Rust API on the NV12 frames: marked detected=$marked_detected bits=$expected; clean detected=$clean_detected"
[[ "$marked_detected" == 1 && "$clean_detected" == 0 ]] || { echo "Rust API disagrees with the fixtures"; exit 1; }
# edgemark-v3 needs a photo larger than the fixtures for its open-set decision: one of the
# photos scripts/fetch-photos.sh puts in .cache (scripts/setup.sh runs it).
photo="$root/.cache/photos/leuvenA.jpg"
[ -f "$photo" ] || { echo "missing $photo: run scripts/setup.sh (or scripts/fetch-photos.sh) first"; exit 1; }
v3_payload=0x00C0FFEE
read -r v3w v3h _ v3_detected v3_read < <("$make_nv12" --embed-v3 "$v3_payload" "$photo" "$build/v3.nv12")
echo "Rust API on the edgemark-v3 NV12 frame: detected=$v3_detected payload=$v3_read"
[[ "$v3_detected" == 1 && "$v3_read" == "$v3_payload" ]] || { echo "Rust API does not read its own v3 mark"; exit 1; }

echo "== test_edgemark under $under"
"${vg[@]}" "$build/test_edgemark" "$build/marked.nv12" "$build/clean.nv12" "$w" "$h" "$expected" "$fx/sdxl_marked.png" \
  "$build/v3.nv12" "$v3w" "$v3h" "$v3_read"
echo "== test_config_embed under $under (JSON configuration, embedding)"
"${vg[@]}" "$build/test_config_embed" "$fx/clean.png" "$fx/sdxl_marked.png" "$photo"
echo "== test_overlay under $under (screen overlay tile, trace)"
"${vg[@]}" "$build/test_overlay" "$cli_tile" 0xC0FFEE 2.8
info="$("${run[@]}" "$build/test_models" --info)"
echo "   build info: $info"
if [ "$no_onnx" = 1 ]; then
  [[ "$info" == *'"onnx":false'* ]] || { echo "a --no-onnx build that has ONNX models"; exit 1; }
  echo "== test_models skipped: library built without ONNX models (--no-onnx)"
else
  echo "== test_models under $under (ONNX models by path and from memory)"
  "${vg_models[@]}" "$build/test_models" "$root/models/edgemark-hidden-48" "$fx/clean.png"
fi
if [ -n "$cross" ] && [ "$no_onnx" = 0 ]; then
  # The models must run on the target's vector unit, not on tract's portable kernels.
  case "$cross" in
    aarch64-*) want_isa=neon want_kernel=arm64simd ;;
    armv7-*) want_isa=neon want_kernel=armv7neon ;;
  esac
  [[ "$info" == *"\"isa\":\"$want_isa\""* && "$info" == *"\"$want_kernel"* ]] ||
    { echo "tract does not use $want_isa kernels ($want_kernel*) on $cross"; exit 1; }
fi
echo "== example nv12_detect under $under"
"${vg[@]}" "$build/nv12_detect" "$build/marked.nv12" "$w" "$h"
set +e
"${vg[@]}" "$build/nv12_detect" "$build/clean.nv12" "$w" "$h"
rc=$?
set -e
[[ $rc == 1 ]] || { echo "nv12_detect on the clean frame exited $rc (want 1: nothing detected)"; exit 1; }
echo "C tests passed${cross:+ ($cross through $qemu)}"
