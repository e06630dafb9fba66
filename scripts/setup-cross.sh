#!/usr/bin/env bash
# Toolchains for the ARM builds of the C ABI (issue #18), idempotently:
#   - Debian's cross C compilers (crossbuild-essential-arm64 / -armhf: aarch64-linux-gnu-gcc,
#     arm-linux-gnueabihf-gcc and each target's C library) and qemu-user, installed from Debian;
#   - a Rust compiler that can build for the ARM targets. The machine's rustup toolchain cannot
#     fetch other targets (no rustup server is reachable, only the package registries) and has
#     no rust-src, so this takes Debian's: rustc-web (amd64) with rust-web-src, the source of
#     its standard library (architecture all). Both are unpacked into .cache/cross/rust-VERSION,
#     not installed: the machine's rustc and cargo stay the ones on PATH, and cargo uses this
#     compiler only when RUSTC points at .cache/cross/rust-VERSION/rustc (a wrapper that finds
#     its libraries). The cross build compiles the target's standard library from that source
#     (cargo's build-std: ffi/tests/run.sh --target), so no ARM package of Debian's is needed.
#     Debian's prebuilt ARM standard libraries (libstd-rust-web-dev:arm64/armhf) would need
#     dpkg's foreign architectures and their package lists, and one index that fails to
#     download (seen: bookworm-security's armhf list, December 2026) makes apt keep the old
#     lists of its whole suite, so the compiler silently fell back to an older release.
#
#   scripts/setup-cross.sh          # prints the wrapper's path on the last line
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log() { echo "[setup-cross] $*" >&2; }

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo -n)
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=900)

# Earlier versions of this script added the arm64 and armhf architectures to dpkg (for
# `apt-get download` of their standard libraries). Their lists are not needed any more and one
# broken index of theirs keeps a whole suite stale: remove them when no package of theirs is
# installed (dpkg refuses otherwise, and then they stay).
for arch in arm64 armhf; do
  if dpkg --print-foreign-architectures | grep -qx "$arch" &&
    [ -z "$(dpkg-query -W -f='${binary:Package}\n' "*:$arch" 2>/dev/null)" ]; then
    log "removing the $arch architecture that an earlier version of this script added to dpkg"
    "${sudo[@]}" dpkg --remove-architecture "$arch" || log "dpkg kept $arch"
  fi
done
candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'; }
dir_of() { echo "$root/.cache/cross/rust-${1//[^A-Za-z0-9.+-]/_}"; }
# Lists that may be stale (a machine's image brings old ones, and then bookworm's 1.85 looks
# like the newest rustc-web): refreshed before anything is unpacked, not on every run.
[ -f "$(dir_of "$(candidate rustc-web)")/.ready" ] || bash "$root/scripts/apt-update.sh"
bash "$root/scripts/apt-install.sh" crossbuild-essential-arm64 crossbuild-essential-armhf qemu-user

# The compiler version Debian offers now; a new one (security updates move it) gets its own
# folder, so a half-unpacked or older one is never mixed in. The source is fetched at that
# exact version: one lagging behind the compiler fails here, by name, not later in cargo.
version="$(candidate rustc-web)"
[ -n "$version" ] && [ "$version" != "(none)" ] || { log "Debian offers no rustc-web"; exit 1; }
[ "$(candidate rust-web-src)" = "$version" ] ||
  { log "Debian offers rustc-web $version but rust-web-src $(candidate rust-web-src): try again after the mirror catches up"; exit 1; }
dir="$(dir_of "$version")"
if [ ! -f "$dir/.ready" ]; then
  log "unpacking Debian's rustc-web $version with the source of its standard library into $dir"
  rm -rf "$dir"
  mkdir -p "$dir/debs"
  # apt-get download writes into the current folder (as the _apt user when it can).
  chmod 777 "$dir/debs"
  (
    cd "$dir/debs"
    want=(rustc-web="$version" libstd-rust-web-dev="$version" rust-web-src="$version")
    # Stale lists name files the mirror no longer has: update once and try again.
    "${apt[@]}" download "${want[@]}" </dev/null >/dev/null ||
      { bash "$root/scripts/apt-update.sh" && "${apt[@]}" download "${want[@]}" </dev/null >/dev/null; }
    # Their runtime libraries, to the end of the chain (rustc-web needs libstd-rust-web-X.Y
    # and libllvmN): unpacked beside the compiler. Everything else they need (libc, libz3,
    # libxml2...) is installed from Debian, like any tool's libraries.
    while :; do
      deps=()
      for deb in ./*.deb; do
        # "name (= version)" or "name (>= version) | other": the first of each, with its
        # exact version when it is pinned.
        while read -r dep pinned; do
          case "$dep" in
            libstd-rust-web-[0-9]* | libllvm[0-9]*)
              ls ./"${dep}"_*.deb >/dev/null 2>&1 || deps+=("$dep${pinned:+=$pinned}") ;;
            *) echo "$dep" >>../runtime-deps ;;
          esac
        done < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -e 's/|.*//' \
          -e 's/^ *\([^ (]*\) *(= *\([^)]*\)).*/\1 \2/' -e t -e 's/^ *\([^ (]*\).*/\1/')
      done
      [ "${#deps[@]}" -gt 0 ] || break
      mapfile -t deps < <(printf '%s\n' "${deps[@]}" | sort -u)
      "${apt[@]}" download "${deps[@]}" </dev/null >/dev/null
    done
    for deb in ./*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
  )
  mapfile -t runtime < <(sort -u "$dir/runtime-deps" | grep -v -x -e '' -e rustc-web -e libstd-rust-web-dev \
    -e gcc -e binutils -e libc-dev)
  [ "${#runtime[@]}" = 0 ] || bash "$root/scripts/apt-install.sh" "${runtime[@]}"
  rm -rf "$dir/debs" "$dir/runtime-deps"
  cat >"$dir/rustc" <<EOF
#!/bin/sh
# Debian's rustc-web $version, unpacked by scripts/setup-cross.sh: its own libraries first.
LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$dir/root/usr/bin/rustc" "\$@"
EOF
  chmod +x "$dir/rustc"
  "$dir/rustc" -vV >&2
  # What cargo's build-std reads: the standard library's workspace with its lock file, under
  # the compiler's sysroot; and the targets this compiler knows.
  lock="$("$dir/rustc" --print sysroot)/lib/rustlib/src/rust/library/Cargo.lock"
  [ -f "$lock" ] || { log "no $lock: rust-web-src does not hold the standard library's workspace"; exit 1; }
  for t in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
    "$dir/rustc" --print target-list | grep -qx "$t" || { log "the unpacked rustc does not know $t"; exit 1; }
  done
  # Older versions' folders: not used any more.
  find "$root/.cache/cross" -mindepth 1 -maxdepth 1 -name 'rust-*' ! -path "$dir" -exec rm -rf {} +
  touch "$dir/.ready"
fi
echo "$dir/rustc"
