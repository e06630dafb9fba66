#!/usr/bin/env bash
# Refreshes Debian's package lists (`apt-get update`), tolerating a mirror caught mid-sync:
# one index file of another size than its Release file says ("Mirror sync in progress?") makes
# apt-get update fail, and apt then keeps the old lists of that index's whole suite (every
# architecture: a stale armhf list of bookworm-security once held its amd64 lists at May's
# versions too). Tries three times,
# 20 and 40 seconds apart; if the last try still fails it says so and goes on with the lists
# apt has: a package they lack then fails the install or download that needs it, by name.
# Uses sudo when not root. No stdin, no prompts.
set -euo pipefail
log() { echo "[apt-update] $*" >&2; }
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo -n)
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0
  -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
for try in 1 2 3; do
  if "${apt[@]}" update </dev/null >/dev/null; then
    exit 0
  fi
  if [ "$try" -lt 3 ]; then
    log "apt-get update failed (try $try of 3); again in $((20 * try)) s"
    sleep $((20 * try))
  fi
done
log "apt-get update failed 3 times; going on with the package lists apt has"
