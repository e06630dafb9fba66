#!/usr/bin/env bash
# Fetches RivaGAN's ONNX encoder and decoder (idempotent). They ship inside the PyPI wheel of
# `invisible-watermark` 0.2.0; this downloads that wheel from the registry (no dependencies)
# and copies the two files next to models/rivagan/card.toml. The ONNX files are git-ignored
# and must never be committed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/models/rivagan"
downloads="$root/.cache/downloads"
decoder_sha=6b006690cf352fa50a91a0b6d6241dbcded0a9957969e2c0665cf9a7011b3880
encoder_sha=66bc7814fadac7d686105c8ab26c6cf2cc8e40deb83e67bb6ef5b9de9b8ece0d

ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
if ok "$dest/rivagan_decoder.onnx" "$decoder_sha" && ok "$dest/rivagan_encoder.onnx" "$encoder_sha"; then
  exit 0
fi

if [ -x "$root/.cache/venv/bin/pip" ]; then pip=("$root/.cache/venv/bin/pip"); else pip=(python3 -m pip); fi
mkdir -p "$downloads" "$dest"
wheel="$(ls "$downloads"/invisible_watermark-0.2.0-*.whl 2>/dev/null | head -n1 || true)"
if [ -z "$wheel" ]; then
  "${pip[@]}" download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    "invisible-watermark==0.2.0" -d "$downloads"
  wheel="$(ls "$downloads"/invisible_watermark-0.2.0-*.whl | head -n1)"
fi
python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in ("rivagan_encoder.onnx", "rivagan_decoder.onnx"):
        data = z.read("imwatermark/" + name)
        tmp = os.path.join(dest, name + ".part")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(dest, name))
PY
ok "$dest/rivagan_decoder.onnx" "$decoder_sha" || { echo "rivagan_decoder.onnx: unexpected checksum" >&2; exit 1; }
ok "$dest/rivagan_encoder.onnx" "$encoder_sha" || { echo "rivagan_encoder.onnx: unexpected checksum" >&2; exit 1; }
echo "RivaGAN ONNX models ready in $dest" >&2
