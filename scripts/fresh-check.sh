#!/usr/bin/env bash
# Runs the CI command (.ci/run = scripts/test.sh) as a fresh machine would: in a clone of
# the committed HEAD (uncommitted changes are not included) in a temporary folder, with an
# empty HOME and CARGO_HOME and a fresh target dir inside the clone, so that nothing
# installed by hand or by an earlier run for this user (~/.cargo/bin tools, registry and pip
# and npm caches, .cache/, node_modules, models/rivagan/*.onnx, target/) is found. Only the
# Rust toolchain is kept: RUSTUP_HOME stays, and the toolchain's own bin folder (cargo, rustc)
# plus a `rustup` link are put on PATH instead of ~/.cargo/bin. System packages (apt) are the
# machine's: the scripts install the missing ones, as on a fresh CI machine.
#
#   scripts/fresh-check.sh          # remove the folder afterwards
#   scripts/fresh-check.sh --keep   # keep it (its path is printed)
#
# Prints where it runs and the total wall time; exits with .ci/run's status.
set -euo pipefail
keep=0
case "${1:-}" in
  --keep) keep=1 ;;
  "") ;;
  *) echo "usage: scripts/fresh-check.sh [--keep]" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$root" rev-parse HEAD)"
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
  echo "[fresh-check] note: uncommitted changes are not checked (the clone is of HEAD $commit)" >&2
fi

# The toolchain, found before HOME is replaced.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
rustup_bin="$(command -v rustup)" || { echo "[fresh-check] rustup not found" >&2; exit 1; }
toolchain_bin="$(dirname "$(rustup which cargo)")"
old_cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/edgemark-fresh.XXXXXX")"
clone="$tmp/edgemark"
started=$SECONDS
finish() {
  local rc=$?
  local t=$((SECONDS - started))
  echo >&2
  if [ "$rc" = 0 ]; then
    echo "[fresh-check] PASSED: .ci/run in a fresh clone of $commit" >&2
  else
    echo "[fresh-check] FAILED (exit $rc): .ci/run in a fresh clone of $commit" >&2
  fi
  printf '[fresh-check] total wall time: %dm%02ds\n' $((t / 60)) $((t % 60)) >&2
  if [ "$keep" = 1 ]; then
    echo "[fresh-check] kept $tmp" >&2
  else
    rm -rf "$tmp"
    [ "$rc" = 0 ] || echo "[fresh-check] removed $tmp (rerun with --keep to look at it)" >&2
  fi
  exit "$rc"
}
trap finish EXIT

mkdir -p "$tmp/home" "$tmp/home/.cargo" "$tmp/bin"
ln -s "$rustup_bin" "$tmp/bin/rustup"
git clone --quiet --no-checkout "$root" "$clone"
git -C "$clone" checkout --quiet --detach "$commit"

# PATH without the user's cargo bin folder (where tools installed by hand would be).
path=""
IFS=: read -r -a entries <<<"$PATH"
for e in "${entries[@]}"; do
  case "$e" in
    "" | "$old_cargo_bin" | "$HOME/.cargo/bin") ;;
    *) path="${path:+$path:}$e" ;;
  esac
done

echo "[fresh-check] clone of $commit in $clone" >&2
echo "[fresh-check] HOME=$tmp/home CARGO_HOME=$tmp/home/.cargo RUSTUP_HOME=$RUSTUP_HOME" >&2
echo "[fresh-check] target dir $clone/target; toolchain $toolchain_bin" >&2
(
  cd "$clone"
  unset CARGO_BUILD_TARGET_DIR RUSTUP_TOOLCHAIN
  export HOME="$tmp/home"
  export CARGO_HOME="$tmp/home/.cargo"
  export CARGO_TARGET_DIR="$clone/target"
  export PATH="$tmp/bin:$toolchain_bin:$path"
  export CI=true
  bash .ci/run </dev/null
)
