#!/usr/bin/env bash
# Pulls natural colour photographs out of registry packages into .cache/photos (idempotent):
#   PyPI scikit-image wheel (skimage/data), PyPI matplotlib wheel (grace_hopper.jpg),
#   Debian opencv-doc (examples/data, examples/text). Nothing is committed; tests that need
#   more than the small committed fixtures (tests/fixtures) read this folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/.cache/photos"
dl="$root/.cache/downloads"
stamp="$out/.ready-v1"
[ -f "$stamp" ] && exit 0
mkdir -p "$out" "$dl"
# pip from the reference environment (scripts/setup-python.sh; Debian's python3 has no pip).
if [ -x "$root/.cache/venv/bin/pip" ]; then pip=("$root/.cache/venv/bin/pip"); else pip=(python3 -m pip); fi
pip+=(download -q --disable-pip-version-check --no-deps --only-binary=:all: -d "$dl")
ls "$dl"/scikit_image-0.26.0-*.whl >/dev/null 2>&1 || "${pip[@]}" --python-version 3.11 --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 "scikit-image==0.26.0"
ls "$dl"/matplotlib-3.*.whl >/dev/null 2>&1 || "${pip[@]}" --python-version 3.11 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 "matplotlib==3.9.2"
if ! ls "$dl"/opencv-doc_*.deb >/dev/null 2>&1; then
  (cd "$dl" && { apt-get download opencv-doc >/dev/null 2>&1 || { bash "$root/scripts/apt-update.sh" && apt-get download opencv-doc >/dev/null; }; })
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$dl" "$tmp" <<'PY'
import glob, sys, zipfile
dl, tmp = sys.argv[1], sys.argv[2]
for pat, names in [("scikit_image-*.whl", ["astronaut.png", "chelsea.png", "coffee.png", "hubble_deep_field.jpg",
                                             "ihc.png", "motorcycle_left.png", "motorcycle_right.png", "retina.jpg", "rocket.jpg"]),
                   ("matplotlib-*.whl", ["grace_hopper.jpg"])]:
    whl = sorted(glob.glob(f"{dl}/{pat}"))[-1]
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            base = info.filename.rsplit("/", 1)[-1]
            if base in names and ("/data/" in info.filename or "sample_data" in info.filename):
                with open(f"{tmp}/{base}", "wb") as f:
                    f.write(z.read(info))
PY
dpkg -x "$dl"/opencv-doc_*.deb "$tmp/deb"
data="$tmp/deb/usr/share/doc/opencv-doc/examples"
for f in baboon.jpg fruits.jpg building.jpg butterfly.jpg messi5.jpg home.jpg apple.jpg aero1.jpg aero3.jpg \
         aloeL.jpg leuvenA.jpg leuvenB.jpg orange.jpg squirrel_cls.jpg board.jpg chicky_512.png rubberwhale1.png \
         smarties.png graf1.png; do
  cp "$data/data/$f" "$tmp/$f"
done
for i in 01 02 03 04 05 06; do cp "$data/text/scenetext$i.jpg" "$tmp/scenetext$i.jpg"; done
rm -rf "$tmp/deb"
cp "$tmp"/* "$out/"
touch "$stamp"
echo "photos ready: $(ls "$out" | wc -l) files in $out" >&2
