#!/usr/bin/env bash
# The screen overlay's evaluation (edgemark-screen, issue #15): real pages rendered by headless
# Chromium (scripts/make-screens.py: documents, dense text, code, a dark dashboard, a
# spreadsheet, a chat, slides, an image page; two variants each, 1280x800), the overlay
# composited over each as a browser draws it (`edgemark embed --scheme edgemark-screen`, a
# random ID per trial), then the screen attack families with every parameter drawn from a
# continuous range (screen-zoom-crop, camera-capture, jpeg; see `edgemark eval --help`), and
# `edgemark trace` on the clean screenshots and photos (false positives). Not part of the test
# command: it takes about 10 minutes on 2 cores. Figures go to docs/screen-overlay.md.
#
#   scripts/eval-screen.sh [OUT_DIR] [SAMPLES] [WINDOWS]   # defaults: target/eval-screen, 8, 20
#
# Needs the Python environment of scripts/setup-python.sh (Pillow) for the clean windows.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$root/target/eval-screen}")"   # absolute: the pages load as file:// URLs
samples="${2:-8}"
windows_per_image="${3:-20}"
[ -x /usr/bin/chromium ] || "$root/scripts/apt-install.sh" chromium
[ -d "$root/.cache/photos" ] || "$root/scripts/fetch-photos.sh"
[ -x "$root/.cache/venv/bin/python" ] || "$root/scripts/setup-python.sh"
bash "$root/scripts/cargo-workspace.sh" build --bin edgemark
edgemark="$root/target/release/edgemark"
pages="$out/pages" shots="$out/screens"
rm -rf "$pages" "$shots"
mkdir -p "$pages" "$shots"
python3 "$root/scripts/make-screens.py" "$pages" "$root/.cache/photos"
for html in "$pages"/*.html; do
  name="$(basename "$html" .html)"
  timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --allow-file-access-from-files --window-size=1280,800 --screenshot="$shots/$name.png" \
    "file://$html" >/dev/null 2>&1
  [ -s "$shots/$name.png" ] || { echo "no screenshot of $name" >&2; exit 1; }
done
# A page that did not load renders as Chromium's error page: every screenshot must differ from
# every other one (error pages differ only in a line of text).
"$root/.cache/venv/bin/python" - "$shots" <<'PY'
import itertools, os, sys
import numpy as np
from PIL import Image
d = sys.argv[1]
imgs = {f: np.asarray(Image.open(os.path.join(d, f)).convert("L"), dtype=np.float32) for f in sorted(os.listdir(d))}
for (a, x), (b, y) in itertools.combinations(imgs.items(), 2):
    if x.shape == y.shape and np.mean(np.abs(x - y)) < 2.0:
        sys.exit(f"screenshots {a} and {b} are nearly the same: did the pages load?")
PY
echo "== $(ls "$shots" | wc -l) screenshots in $shots"
"$edgemark" eval --scheme edgemark-screen --covers "$shots" --random --samples "$samples" \
  --families none,screen-zoom-crop,camera-capture,jpeg --heldout-every 1 --max-side 0 --out "$out/eval"
echo "== false positives on clean windows: random crops (300-800 px) of the clean screenshots and photos, zoomed 0.5-2x"
windows="$out/clean-windows"
rm -rf "$windows"
mkdir -p "$windows"
"$root/.cache/venv/bin/python" - "$shots" "$root/.cache/photos" "$windows" "$windows_per_image" <<'PY'
import os, random, sys
from PIL import Image
shots, photos, out, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rng = random.Random(15)
for folder in (shots, photos):
    for f in sorted(f for f in os.listdir(folder) if f.lower().endswith((".png", ".jpg", ".jpeg"))):
        im = Image.open(os.path.join(folder, f)).convert("RGB")
        for i in range(n):
            z = 10 ** rng.uniform(-0.301, 0.301)
            zi = im.resize((max(1, round(im.width * z)), max(1, round(im.height * z))), Image.BILINEAR)
            w, h = rng.randint(300, 800), rng.randint(300, 800)
            w, h = min(w, zi.width), min(h, zi.height)
            x, y = rng.randint(0, zi.width - w), rng.randint(0, zi.height - h)
            zi.crop((x, y, x + w, y + h)).save(os.path.join(out, f"{os.path.splitext(f)[0]}-{i}.png"))
PY
echo "   $(ls "$windows" | wc -l) windows"
echo "== clean windows, screenshots and photos traced, by the code alone and against 1,000 issued IDs (any detection is a false positive)"
python3 -c 'import random; r = random.Random(7); print("id,name"); [print(f"{r.getrandbits(32)},viewer{i}") for i in range(1000)]' > "$out/ids-1000.csv"
"$edgemark" trace --json "$windows" "$shots" "$root/.cache/photos" > "$out/clean-trace.jsonl"
"$edgemark" trace --json --ids "$out/ids-1000.csv" "$windows" "$shots" "$root/.cache/photos" > "$out/clean-trace-ids.jsonl"
for f in clean-trace clean-trace-ids; do
python3 - "$out/$f.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
fp = [r["file"] for r in rows if r.get("detected")]
err = [r["file"] for r in rows if r.get("error")]
ps = sorted(r["p_value"] for r in rows if r.get("p_value") is not None)
smallest = f"{ps[0]:.3g}" if ps else "none (nothing readable)"
print(f"clean images traced: {len(rows)} ({len(err)} errors), false positives at 1e-6: {len(fp)}; "
      f"smallest p-value {smallest}; geometries read per image: "
      f"median {sorted(r.get('geometries', 0) for r in rows)[len(rows) // 2]}", *fp, sep="\n  ")
sys.exit(1 if fp or err else 0)
PY
done
