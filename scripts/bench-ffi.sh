#!/usr/bin/env bash
# Frame rates and memory of the C ABI's stream detector on 1920x1080 NV12 frames (figures in
# ffi/README.md, "Frame rates"). Builds libedgemark and ffi/examples/stream_bench.c, makes
# 1920x1080 frames from a photo (scaled to cover and centre-cropped; plain, marked with the
# SDXL preset, marked with edgemark-v3), then runs the matrix
#   configs {sdxl preset, edgemark-v3} x regions {full, centre 1152x648, 960x540, 512x512}
#   x frames {marked, clean}
# one thread, window 8, plus K=4 streams per config for the memory per stream. Prints a table
# and, per config and region, the sampling a 30 frames/s camera needs to stay within one core.
#
#   scripts/bench-ffi.sh
#
# Environment:
#   FRAMES=30   frames pushed per run      WINDOW=8   stream window
#   FPS=30      camera frame rate          STREAMS=4  streams of the memory runs
#   PHOTO=...   source photo (default .cache/photos/leuvenA.jpg, from scripts/setup.sh)
#   BUILD=...   where the C programs and the frames go (default: <cargo target>/ffi-c)
#   TARGET=aarch64-unknown-linux-gnu (or armv7-unknown-linux-gnueabihf): run the bench that
#               ffi/tests/run.sh --target built, through qemu-user (a relative figure only)
#   RUNNER=...  prefix of every bench command (TARGET sets it to qemu-user)
#   PIN=1       pin the bench to CPU 0 with taskset (the library runs a push on the calling
#               thread only; pinning just keeps it on one core when the machine is quiet)
# Raw JSON lines: $BUILD/bench/results.jsonl.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
FRAMES="${FRAMES:-30}"
WINDOW="${WINDOW:-8}"
FPS="${FPS:-30}"
STREAMS="${STREAMS:-4}"
RUNNER="${RUNNER:-}"
W=1920
H=1080

photo="${PHOTO:-$root/.cache/photos/leuvenA.jpg}"
if [ ! -f "$photo" ]; then
  photo="$(ls "$root"/.cache/photos/*.jpg "$root"/.cache/photos/*.png 2>/dev/null | head -n1 || true)"
  [ -n "$photo" ] || { echo "bench-ffi: no photo in .cache/photos: run scripts/setup.sh (or scripts/fetch-photos.sh) first" >&2; exit 1; }
fi
if python3 -c 'import PIL' 2>/dev/null; then
  py=python3
elif [ -x "$root/.cache/venv/bin/python" ] && "$root/.cache/venv/bin/python" -c 'import PIL' 2>/dev/null; then
  py="$root/.cache/venv/bin/python"
else
  echo "bench-ffi: needs Python with PIL to scale the photo to ${W}x${H}: run scripts/setup.sh (it makes .cache/venv)" >&2
  exit 1
fi

target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
TARGET="${TARGET:-}"
cargo build --release -p edgemark-ffi --example make_nv12
[ -x "$target/release/edgemark" ] || cargo build --release -p edgemark-cli
if [ -n "$TARGET" ]; then
  # The cross-built bench of ffi/tests/run.sh --target, through qemu-user: a relative figure
  # only (qemu translates every instruction; it is not the device's speed).
  case "$TARGET" in
    aarch64-unknown-linux-gnu) RUNNER="${RUNNER:-qemu-aarch64 -cpu cortex-a53 -L /usr/aarch64-linux-gnu}" ;;
    armv7-unknown-linux-gnueabihf) RUNNER="${RUNNER:-qemu-arm -cpu cortex-a7 -L /usr/arm-linux-gnueabihf}" ;;
    *) echo "bench-ffi: unsupported TARGET $TARGET" >&2; exit 2 ;;
  esac
  BUILD="${BUILD:-$target/ffi-c-$TARGET}"
  [ -x "$BUILD/stream_bench" ] ||
    { echo "bench-ffi: no $BUILD/stream_bench: run ffi/tests/run.sh --target $TARGET first" >&2; exit 1; }
else
  BUILD="${BUILD:-$target/ffi-c}"
  cargo build --release -p edgemark-ffi
  make -s -C "$root/ffi" TARGET_DIR="$target" BUILD="$BUILD" "$BUILD/stream_bench"
fi

work="$BUILD/bench"
mkdir -p "$work"
"$py" - "$photo" "$work/clean.png" "$W" "$H" <<'PY'
import sys
from PIL import Image, ImageOps
src, out, w, h = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ImageOps.fit(Image.open(src).convert("RGB"), (w, h), Image.LANCZOS).save(out)
PY
"$target/release/edgemark" embed --scheme sdxl "$work/clean.png" "$work/sdxl.png"
"$target/release/edgemark" embed --scheme edgemark-v3 --message 0x00C0FFEE "$work/clean.png" "$work/v3.png"
for f in clean sdxl v3; do
  read -r fw fh _ < <("$target/release/examples/make_nv12" "$work/$f.png" "$work/$f.nv12")
  [[ "$fw $fh" == "$W $H" ]] || { echo "bench-ffi: $f.nv12 is ${fw}x${fh}, not ${W}x${H}" >&2; exit 1; }
done

pin=()
[ "${PIN:-0}" = 1 ] && command -v taskset >/dev/null && pin=(taskset -c 0)
# shellcheck disable=SC2206 # RUNNER is a command line: split it into words
runner=($RUNNER)
bench() { "${pin[@]}" "${runner[@]}" "$BUILD/stream_bench" "$@"; }

declare -A config=(
  [sdxl]='{"presets":["sdxl"]}'
  [edgemark-v3]='{"presets":[],"watermarks":["edgemark-v3"]}'
)
declare -A marked=([sdxl]=sdxl [edgemark-v3]=v3)
results="$work/results.jsonl"
: > "$results"
echo "machine: $(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1); load $(cut -d' ' -f1-3 /proc/loadavg)"
for name in sdxl edgemark-v3; do
  for region in "${W}x${H}" 1152x648 960x540 512x512; do
    for frame in "${marked[$name]}" clean; do
      echo "== $name, $region, $frame frame" >&2
      bench "$work/$frame.nv12" "$W" "$H" "${config[$name]}" "$WINDOW" "$FRAMES" --centre "$region" |
        python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["name"]=sys.argv[1]; d["input"]=sys.argv[2]; print(json.dumps(d))' \
          "$name" "$frame" >> "$results"
    done
  done
  echo "== $name, ${W}x${H}, $STREAMS streams" >&2
  bench "$work/${marked[$name]}.nv12" "$W" "$H" "${config[$name]}" "$WINDOW" "$FRAMES" --streams "$STREAMS" |
    python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["name"]=sys.argv[1]; d["input"]=sys.argv[2]; print(json.dumps(d))' \
      "$name" "${marked[$name]}" >> "$results"
done

python3 - "$results" "$FPS" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
fps = float(sys.argv[2])
mib = lambda kib: kib / 1024
# The last window's report, as edgemark_report_json writes it: anything detected?
detected = lambda d: any(f["detected"] for f in d["report"]["findings"])
print()
print(f"{'config':12s} {'frame':6s} {'region':18s} {'median ms':>9s} {'p90 ms':>7s} {'cpu ms':>7s} "
      f"{'fps/core':>8s} {'RSS+ MiB':>8s} {'peak MiB':>8s}  detected (bits)")
for d in rows:
    if d["streams"] != 1:
        continue
    f = d["report"]["findings"][0]
    m = f.get("matched_bits")  # null when an open-set scheme found no message to count against
    bits = f"{m}/{f['total_bits']}" if m is not None and m >= 0 else f.get("error") or "no decode"
    print(f"{d['name']:12s} {d['input']:6s} {d['region']:18s} {d['median_ms']:9.1f} {d['p90_ms']:7.1f} "
          f"{d['cpu_median_ms']:7.1f} {d['fps_per_core']:8.1f} {mib(d['rss_kib_per_stream']):8.1f} "
          f"{mib(d['peak_rss_kib']):8.1f}  {'yes' if detected(d) else 'no'} ({bits})")
busy = min(d["cores_busy"] for d in rows)
if busy < 0.9:
    print(f"(the bench got as little as {busy:.2f} of a core in a run: other processes shared the CPU, "
          "so wall times are inflated; 'cpu ms' is this thread's own CPU time per push)")

print()
print(f"Memory, {rows[0]['frame']} frames, window {rows[0]['window']}, one thread. RSS+: RSS after the "
      "pushes minus RSS before the first detector (one stream: its state, the library's tables and "
      "what malloc keeps of a push's working buffers); heap: bytes malloc has handed out and not got back")
for d in rows:
    if d["streams"] == 1:
        continue
    one = next(r for r in rows if r["name"] == d["name"] and r["streams"] == 1
               and r["region"] == d["region"] and r["input"] == d["input"])
    k = d["streams"]
    line = (f"  {d['name']:12s} 1 stream: RSS+ {mib(one['rss_kib_per_stream']):.1f} MiB, peak {mib(one['peak_rss_kib']):.1f} MiB; "
            f"{k} streams: RSS+ {mib(d['rss_kib_after'] - d['rss_kib_before']):.1f} MiB "
            f"({mib(d['rss_kib_per_stream']):.1f} per stream), peak {mib(d['peak_rss_kib']):.1f} MiB")
    if d.get("heap_kib_before", -1) >= 0:
        line += (f"; heap: 1 stream +{one['heap_kib_after'] - one['heap_kib_before']} KiB, "
                 f"each further stream +{(d['heap_kib_after'] - one['heap_kib_after']) / (k - 1):.0f} KiB")
    print(line)

print()
print(f"Sampling at {fps:g} frames/s within one core: every Nth frame, N = ceil({fps:g} x ms / 1000), "
      "ms = the slower of the marked and clean medians")
for name in dict.fromkeys(d["name"] for d in rows):
    for region in dict.fromkeys(d["region"] for d in rows if d["name"] == name and d["streams"] == 1):
        runs = [d for d in rows if d["name"] == name and d["region"] == region and d["streams"] == 1]
        ms = max(d["median_ms"] for d in runs)
        cpu = max(d["cpu_median_ms"] for d in runs)
        n = max(1, math.ceil(fps * ms / 1000))
        found = ", ".join(f"{d['input']}: {'detected' if detected(d) else 'not detected'}" for d in runs)
        print(f"  {name:12s} {region:18s} {ms:6.1f} ms -> every {n} frame(s) ({fps / n:4.1f} fps, "
              f"{fps / n * ms / 10:3.0f} % of a core; by CPU time {cpu:.1f} ms -> every "
              f"{max(1, math.ceil(fps * cpu / 1000))})  [{found}]")
PY
