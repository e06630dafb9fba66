#!/usr/bin/env bash
# Decode speed of EdgeMark's classical decoders against the real imwatermark 0.2.0, same image, same run,
# one core each (taskset pins both to CPU 0 where available). Prints medians and the ratio.
#   scripts/bench-vs-python.sh [IMAGE] (default: the 512x512 astronaut photo from scikit-image)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup-python.sh
bash scripts/fetch-photos.sh
img="${1:-.cache/photos/astronaut.png}"
cargo build --release -q -p edgemark --example decode_timing
pin=(); command -v taskset >/dev/null && pin=(taskset -c 0)
export OMP_NUM_THREADS=1 OPENCV_FOR_THREADS_NUM=1
for method in dwtDct dwtDctSvd; do
  rs=$("${pin[@]}" target/release/examples/decode_timing "$img" "$method" 200)
  py=$("${pin[@]}" .cache/venv/bin/python tests/python/imw.py bench --method "$method" --repeat 10 "$img")
  python3 - "$method" "$img" "$rs" "$py" <<'PY'
import json, sys
method, img, rs, py = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
print(f"{method:10s} {img}: edgemark {rs['median_s']*1e3:8.3f} ms  imwatermark {py['median_s']*1e3:8.1f} ms  "
      f"speed-up x{py['median_s']/rs['median_s']:.0f} (medians; {rs['runs']} / {py['runs']} runs, one core)")
PY
done
