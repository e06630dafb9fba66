#!/usr/bin/env bash
# Creates the Python reference environment (idempotent): the real `invisible-watermark` 0.2.0
# package and what its dwtDct / dwtDctSvd / rivaGan code paths import, from PyPI; PyNaCl
# (libsodium's Ed25519) signs the NovelAI-style test files (tests/python/novelai.py).
# torch is not installed: imwatermark only uses it to reshuffle tensors for rivaGan, and the
# Linux wheel drags several GB of CUDA libraries. tests/python/imw.py loads the real
# imwatermark modules without importing torch. c2pa-python (contentauth's C2PA SDK) and
# cryptography (a test certificate authority) sign the C2PA test files (tests/python/c2pa_sign.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.cache/venv"
stamp="$venv/.edgemark-ready-v3"
[ -f "$stamp" ] && exit 0
mkdir -p "$root/.cache"
# Debian's python3 has venv and ensurepip in a separate package.
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  bash "$root/scripts/apt-install.sh" python3-venv
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip >/dev/null
"$venv/bin/pip" install -q --disable-pip-version-check \
  "numpy>=1.26,<3" "opencv-python-headless>=4.8" "PyWavelets>=1.4" "Pillow>=10" "onnxruntime>=1.17" "onnx>=1.15" \
  "PyNaCl>=1.5" "cryptography>=42" "c2pa-python==0.38.1"
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps "invisible-watermark==0.2.0"
touch "$stamp"
echo "python reference environment ready: $venv" >&2
