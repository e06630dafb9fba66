#!/usr/bin/env bash
# Throughput of the dataset jobs on this machine (issue #16 "Scale"): a collection of N
# 512x512 PNGs cut from the registry photographs, then
#   - `edgemark dataset mark` (edgemark-v3, 10 % marked),
#   - `edgemark dataset audit` of the marked copy against 3 manifests, 1 and all threads,
#   - `edgemark detect --json` with the default generator presets, 1 and all threads,
# each run 3 times; prints the median images/s and images/s per thread.
# Usage: scripts/bench-dataset.sh [N=200]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
n="${1:-200}"
bash scripts/fetch-photos.sh >/dev/null
bash scripts/setup-python.sh >/dev/null
bash scripts/cargo-workspace.sh build --bin edgemark >/dev/null 2>&1
bin="$root/target/release/edgemark"
work="$(mktemp -d /tmp/edgemark-bench-dataset.XXXXXX)"
trap 'rm -rf "$work"' EXIT
.cache/venv/bin/python - "$root/.cache/photos" "$work/set" "$n" <<'PY'
import os, random, sys
from PIL import Image
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(16)
photos = sorted(p for p in os.listdir(src) if p.endswith((".png", ".jpg")))
os.makedirs(out)
for i in range(n):
    im = Image.open(os.path.join(src, photos[i % len(photos)])).convert("RGB")
    s = min(im.size)
    x, y = rng.randint(0, im.size[0] - s), rng.randint(0, im.size[1] - s)
    side = rng.randint(int(s * 0.6), s)
    im.crop((x, y, x + side, y + side)).resize((512, 512), Image.LANCZOS).save(f"{out}/{i:05d}.png")
PY
threads=$(nproc)
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

echo "collection: $n PNGs, 512x512; $threads threads; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for r in alpha bravo charlie; do
  "$bin" dataset mark --recipient "$r" --fraction 0.1 --key bench "$work/set" "$work/$r" 2>/dev/null
done
mark=$(for i in 1 2 3; do rm -rf "$work/m" "$work/m.manifest.json"; secs "$bin" dataset mark --recipient m --fraction 0.1 "$work/set" "$work/m"; done | median)
printf '%-44s %8.1f images/s\n' "dataset mark (10 % marked), $threads threads" "$(echo "$n / $mark" | bc -l)"
for j in 1 "$threads"; do
  a=$(for i in 1 2 3; do "$bin" dataset audit --jobs "$j" --manifest "$work/alpha.manifest.json" \
        --manifest "$work/bravo.manifest.json" --manifest "$work/charlie.manifest.json" "$work/bravo" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])'; done | median)
  printf '%-44s %8.1f images/s  (%.1f per thread)\n' "dataset audit (edgemark-v3), $j thread(s)" "$a" "$(echo "$a / $j" | bc -l)"
done
for j in 1 "$threads"; do
  d=$(for i in 1 2 3; do secs "$bin" detect --json --jobs "$j" "$work/set"; done | median)
  r=$(echo "$n / $d" | bc -l)
  printf '%-44s %8.1f images/s  (%.1f per thread)\n' "detect, default presets, $j thread(s)" "$r" "$(echo "$r / $j" | bc -l)"
done
