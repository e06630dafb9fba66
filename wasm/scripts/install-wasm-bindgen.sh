#!/usr/bin/env bash
# Installs wasm-bindgen-cli VERSION with cargo (never a downloaded binary), only when the
# installed one is missing or another version. Idempotent.
#
# `cargo install --locked` first. When the registry lacks a crate version pinned in the CLI's
# own Cargo.lock (seen here: webpki-roots 1.0.11), the fallback unpacks the published crate,
# moves only the unresolvable packages to a version the registry has (`cargo update -p`),
# and installs that with --locked.
set -euo pipefail
VERSION="${1:?usage: install-wasm-bindgen.sh VERSION}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
log() { echo "[wasm/install-wasm-bindgen] $*" >&2; }

if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $VERSION" ]; then
  exit 0
fi
log "installing wasm-bindgen-cli $VERSION"
ERR="$(mktemp)"
if cargo install --locked wasm-bindgen-cli --version "$VERSION" 2>"$ERR"; then
  rm -f "$ERR"
  exit 0
fi
tail -n 5 "$ERR" >&2
CRATE="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"wasm-bindgen-cli-$VERSION.crate" 2>/dev/null | head -n 1)"
[ -n "$CRATE" ] || { log "the crate was not downloaded; cannot fall back"; exit 1; }
SRC="$ROOT/.cache/wasm-bindgen-cli-$VERSION"
rm -rf "$SRC" && mkdir -p "$SRC"
tar xzf "$CRATE" -C "$SRC" --strip-components=1
for _ in 1 2 3 4 5 6; do
  PKGNAME="$(grep -o 'failed to select a version for the requirement `[^ `]*' "$ERR" | head -n 1 | sed 's/.*`//')"
  if [ -n "$PKGNAME" ]; then
    log "the registry lacks the locked version of $PKGNAME; moving it to the newest compatible one"
    (cd "$SRC" && cargo update -p "$PKGNAME")
  fi
  if cargo install --locked --path "$SRC" 2>"$ERR"; then
    rm -f "$ERR"
    exit 0
  fi
  tail -n 5 "$ERR" >&2
  [ -n "$PKGNAME" ] || break
done
rm -f "$ERR"
log "could not install wasm-bindgen-cli $VERSION"
exit 1
