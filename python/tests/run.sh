#!/usr/bin/env bash
# The Python package's tests (a stage of scripts/test.sh; runs alone too):
#   1. set-up (idempotent): the test environment .cache/python-venv from PyPI (maturin, pytest,
#      numpy, Ray Data with pyarrow and pandas, psutil, and the real invisible-watermark 0.2.0
#      with OpenCV and PyWavelets for the imwatermark shim's comparison);
#   2. the edgemark CLI the tests compare against (same build as scripts/test.sh's Rust stage);
#   3. the wheel: `maturin build --release` (abi3, CPython >= 3.9) into target/wheels;
#   4. `pip install` of that wheel into a fresh, empty venv, and a detection there without
#      numpy (the wheel has no required dependency);
#   5. pytest python/tests with the wheel installed in the test environment.
#   --setup   step 1 only.
#   --wheel   steps 1 and 3, and the wheel installed into the test environment (for
#             benchmarks and trying the package: .cache/python-venv/bin/python).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="$root/.cache/python-venv"
stamp="$venv/.edgemark-ready-v1"

setup() {
  [ -f "$stamp" ] && return 0
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    bash "$root/scripts/apt-install.sh" python3-venv
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  local pip=("$venv/bin/pip" install -q --disable-pip-version-check)
  "${pip[@]}" --upgrade pip >/dev/null
  "${pip[@]}" "maturin>=1.9,<2" "pytest>=8" "numpy>=1.26,<3" "ray[data]>=2.40,<3" "pyarrow>=15" \
    "pandas>=2" "psutil>=5" "opencv-python-headless>=4.8" "PyWavelets>=1.4"
  "${pip[@]}" --no-deps "invisible-watermark==0.2.0"
  touch "$stamp"
  echo "python package test environment ready: $venv" >&2
}

setup
[ "${1:-}" = "--setup" ] && exit 0

build_wheel() {
  rm -f target/wheels/edgemark-*.whl
  (cd python && "$venv/bin/maturin" build --release --out "$root/target/wheels")
  wheel="$(ls target/wheels/edgemark-*.whl)"
  echo "wheel: $wheel ($(du -k "$wheel" | cut -f1) KiB)" >&2
}
install_wheel() {
  "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
}
if [ "${1:-}" = "--wheel" ]; then
  build_wheel
  install_wheel
  exit 0
fi
build_wheel

# A fresh venv with nothing but the wheel: it installs and detects (bytes in, no numpy).
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
python3 -m venv "$fresh/venv"
"$fresh/venv/bin/pip" install -q --disable-pip-version-check --no-index "$wheel"
"$fresh/venv/bin/python" - "$root/tests/fixtures/chelsea_sdxl.png" <<'PY'
import sys
import edgemark
r = edgemark.Detector().detect(open(sys.argv[1], "rb").read())
hits = [f["watermark"] for f in r["findings"] if f["detected"]]
assert hits == ["sdxl"], hits
try:
    import numpy  # noqa: F401
    raise SystemExit("numpy should not be in the fresh venv")
except ImportError:
    pass
print(f"fresh venv: edgemark {edgemark.__version__} installed from the wheel, found {hits} without numpy")
PY

install_wheel
# Ray: no usage reporting (nothing outside is reachable), no dashboard.
export RAY_USAGE_STATS_ENABLED=0
cd "$root/python/tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
