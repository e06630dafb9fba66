#!/usr/bin/env bash
# Installs wasm-bindgen-cli VERSION with cargo (never a downloaded binary), only when the
# installed one is missing or another version. Idempotent.
#
# `cargo install --locked` first. When the registry lacks a crate version pinned in the CLI's
# own Cargo.lock (seen here: webpki-roots 1.0.11), the fallback unpacks the published crate,
# moves only the unresolvable packages to a version the registry has (`cargo update -p`),
# and installs that with --locked. The crate is unpacked in a temporary folder outside the
# repository (inside it, cargo would take it for a member of EdgeMark's workspace), removed
# on exit.
#
# Installs into cargo's bin folder, ${CARGO_HOME:-$HOME/.cargo}/bin (where build.sh looks).
set -euo pipefail
VERSION="${1:?usage: install-wasm-bindgen.sh VERSION}"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"
log() { echo "[wasm/install-wasm-bindgen] $*" >&2; }

if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $VERSION" ]; then
  exit 0
fi
log "installing wasm-bindgen-cli $VERSION"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/edgemark-wasm-bindgen.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ERR="$WORK/cargo-install.err"
if cargo install --locked wasm-bindgen-cli --version "$VERSION" 2>"$ERR"; then
  exit 0
fi
tail -n 5 "$ERR" >&2
CRATE=""
for c in "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"wasm-bindgen-cli-$VERSION.crate"; do
  [ -f "$c" ] && CRATE="$c" && break
done
[ -n "$CRATE" ] || { log "the crate was not downloaded; cannot fall back"; exit 1; }
SRC="$WORK/wasm-bindgen-cli-$VERSION"
mkdir -p "$SRC"
tar xzf "$CRATE" -C "$SRC" --strip-components=1
for _ in 1 2 3 4 5 6; do
  PKGNAME="$(grep -o 'failed to select a version for the requirement `[^ `]*' "$ERR" | head -n 1 | sed 's/.*`//')"
  if [ -n "$PKGNAME" ]; then
    log "the registry lacks the locked version of $PKGNAME; moving it to the newest compatible one"
    (cd "$SRC" && cargo update -p "$PKGNAME")
  fi
  if cargo install --locked --path "$SRC" 2>"$ERR"; then
    exit 0
  fi
  tail -n 5 "$ERR" >&2
  [ -n "$PKGNAME" ] || break
done
log "could not install wasm-bindgen-cli $VERSION"
exit 1
