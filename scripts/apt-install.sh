#!/usr/bin/env bash
# Installs Debian packages that are not installed yet (idempotent, no prompts, no stdin):
#   scripts/apt-install.sh valgrind chromium
# Installs from the current package lists first; when that fails (lists missing or stale on a
# fresh machine), refreshes the lists (scripts/apt-update.sh) and tries once more. Uses sudo when not root.
set -euo pipefail
log() { echo "[apt-install] $*" >&2; }
missing=()
for pkg in "$@"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != installed ]; then
    missing+=("$pkg")
  fi
done
[ "${#missing[@]}" -gt 0 ] || exit 0
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { log "need root (or sudo) to install: ${missing[*]}"; exit 1; }
  sudo=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=900)
log "installing ${missing[*]} (Debian)"
if ! "${apt[@]}" install "${missing[@]}" </dev/null >/dev/null 2>&1; then
  log "install failed with the current package lists; running apt-get update"
  bash "$(dirname "${BASH_SOURCE[0]}")/apt-update.sh"
  "${apt[@]}" install "${missing[@]}" </dev/null >/dev/null
fi
