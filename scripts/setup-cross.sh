#!/usr/bin/env bash
# Toolchains for the ARM builds of the C ABI (issue #18), idempotently:
#   - Debian's cross C compilers (crossbuild-essential-arm64 / -armhf: aarch64-linux-gnu-gcc,
#     arm-linux-gnueabihf-gcc and each target's C library) and qemu-user, installed from Debian;
#   - a Rust compiler with the standard library of each ARM target. The machine's rustup
#     toolchain cannot fetch other targets (no rustup server is reachable, only the package
#     registries), so this takes Debian's: rustc-web with libstd-rust-web-dev for amd64, arm64
#     and armhf (the arm64/armhf architectures are added to dpkg for `apt-get download`
#     only). The packages are unpacked into .cache/cross/rust-VERSION, not installed: the
#     machine's rustc and cargo stay the ones on PATH, and cargo uses this compiler only when
#     RUSTC points at .cache/cross/rust-VERSION/rustc (a wrapper that finds its libraries).
#
#   scripts/setup-cross.sh          # prints the wrapper's path on the last line
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log() { echo "[setup-cross] $*" >&2; }

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo -n)
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=900)

for arch in arm64 armhf; do
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    log "adding the $arch architecture to dpkg (for apt-get download of its Rust standard library)"
    "${sudo[@]}" dpkg --add-architecture "$arch"
  fi
done
# Package lists that know the ARM packages (the first run after adding the architectures, or
# lists gone stale): decided by what apt knows, not by what this run changed.
candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'; }
known() { local v; v="$(candidate "$1")"; [ -n "$v" ] && [ "$v" != "(none)" ]; }
if ! known rustc-web || ! known libstd-rust-web-dev:arm64 || ! known libstd-rust-web-dev:armhf; then
  bash "$root/scripts/apt-update.sh"
fi
bash "$root/scripts/apt-install.sh" crossbuild-essential-arm64 crossbuild-essential-armhf qemu-user

# The compiler version Debian offers now; a new one (security updates move it) gets its own
# folder, so a half-unpacked or older one is never mixed in. Every package is fetched at that
# exact version: an ARM build lagging behind amd64's fails here, by name, not later in cargo.
version="$(candidate rustc-web)"
for pkg in libstd-rust-web-dev:arm64 libstd-rust-web-dev:armhf; do
  [ "$(candidate "$pkg")" = "$version" ] ||
    { log "Debian offers rustc-web $version but $pkg $(candidate "$pkg"): try again after the mirror catches up"; exit 1; }
done
[ -n "$version" ] && [ "$version" != "(none)" ] || { log "Debian offers no rustc-web"; exit 1; }
dir="$root/.cache/cross/rust-${version//[^A-Za-z0-9.+-]/_}"
if [ ! -f "$dir/.ready" ]; then
  log "unpacking Debian's rustc-web $version with the arm64 and armhf standard libraries into $dir"
  rm -rf "$dir"
  mkdir -p "$dir/debs"
  # apt-get download writes into the current folder (as the _apt user when it can).
  chmod 777 "$dir/debs"
  (
    cd "$dir/debs"
    want=(rustc-web="$version" libstd-rust-web-dev="$version" libstd-rust-web-dev:arm64="$version"
      libstd-rust-web-dev:armhf="$version")
    # Stale lists name files the mirror no longer has: update once and try again.
    "${apt[@]}" download "${want[@]}" </dev/null >/dev/null ||
      { bash "$root/scripts/apt-update.sh" && "${apt[@]}" download "${want[@]}" </dev/null >/dev/null; }
    # Their runtime libraries, to the end of the chain (libstd-rust-web-dev needs
    # libstd-rust-web-X.Y, which needs libllvmN): the compiler's for amd64, the standard
    # library's for each target.
    while :; do
      deps=()
      for deb in ./*.deb; do
        arch="$(dpkg-deb -f "$deb" Architecture)"
        # "name (= version)" or "name (>= version) | other": the first of each, with its
        # exact version when it is pinned.
        while read -r dep pinned; do
          case "$dep" in
            libstd-rust-web-[0-9]* | libllvm[0-9]*)
              ls ./"${dep}"_*_"$arch".deb >/dev/null 2>&1 || deps+=("$dep:$arch${pinned:+=$pinned}") ;;
            *) [ "$arch" != amd64 ] || echo "$dep" >>../runtime-deps ;;
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
  # What the unpacked compiler and LLVM link against at run time (libz3, libxml2, libedit...):
  # installed from Debian, like any tool's libraries.
  mapfile -t runtime < <(sort -u "$dir/runtime-deps" | grep -v -x -e rustc-web -e libstd-rust-web-dev -e gcc -e binutils -e libc-dev)
  [ "${#runtime[@]}" = 0 ] || bash "$root/scripts/apt-install.sh" "${runtime[@]}"
  rm -rf "$dir/debs" "$dir/runtime-deps"
  cat >"$dir/rustc" <<EOF
#!/bin/sh
# Debian's rustc-web $version, unpacked by scripts/setup-cross.sh: its own libraries first.
LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$dir/root/usr/bin/rustc" "\$@"
EOF
  chmod +x "$dir/rustc"
  for t in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf x86_64-unknown-linux-gnu; do
    [ -d "$dir/root/usr/lib/rustlib/$t/lib" ] || { log "no standard library for $t in the packages"; exit 1; }
  done
  "$dir/rustc" -vV >&2
  # The standard library of each target must be this compiler's (E0514 otherwise): compile a
  # crate for each before calling the folder ready.
  echo 'pub fn probe() -> usize { std::mem::size_of::<usize>() }' >"$dir/probe.rs"
  for t in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
    "$dir/rustc" --edition 2021 --crate-type rlib --target "$t" -o "$dir/probe-$t.rlib" "$dir/probe.rs" ||
      { log "the unpacked rustc cannot build for $t"; exit 1; }
  done
  rm -f "$dir"/probe*
  # Older versions' folders: not used any more.
  find "$root/.cache/cross" -mindepth 1 -maxdepth 1 -name 'rust-*' ! -path "$dir" -exec rm -rf {} +
  touch "$dir/.ready"
fi
echo "$dir/rustc"
