#!/usr/bin/env bash
# Refreshes the C2PA conformance trust lists bundled in core/trust/ (claim signers and
# time-stamping authorities) from c2pa-org/conformance-public. Run by a developer with network
# access; the test command and the builds never fetch anything (the lists are compiled in).
# Usage: scripts/update-c2pa-trust-list.sh [git-ref]   (default: main)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ref="${1:-main}"
base="https://raw.githubusercontent.com/c2pa-org/conformance-public/$ref/trust-list"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for f in C2PA-TRUST-LIST.pem C2PA-TSA-TRUST-LIST.pem; do
  curl -fsSL "$base/$f" -o "$tmp/$f"
  n=$(grep -c -- "-----BEGIN CERTIFICATE-----" "$tmp/$f" || true)
  if [ "$n" -eq 0 ]; then
    echo "update-c2pa-trust-list: $f from $base holds no certificate" >&2
    exit 1
  fi
  mv "$tmp/$f" "$root/core/trust/$f"
  echo "core/trust/$f: $n certificates" >&2
done
echo "now run: cargo test --release -p edgemark-tests --test c2pa" >&2
