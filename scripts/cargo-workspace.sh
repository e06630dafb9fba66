#!/usr/bin/env bash
# Runs `cargo COMMAND` over the native workspace with one feature set: every crate but the
# wasm one, with the training crate's `train` feature (candle).
#
#   scripts/cargo-workspace.sh test                      # the test command's Rust stage
#   scripts/cargo-workspace.sh build --bin edgemark      # a binary from that same build
#
# Cargo compiles a dependency again for every distinct set of features it is built with, and
# the set depends on which crates one invocation selects: `cargo build -p edgemark-cli` alone
# leaves out candle's features of `half` and recompiles tract, image and their dependencies
# (6.5 minutes on 2 cores), `-p edgemark-ffi` alone another set (5.5 minutes). Every stage of
# scripts/test.sh that needs a native build of the workspace takes it from here, so those
# crates compile once.
set -euo pipefail
command="${1:?usage: $0 COMMAND [cargo arguments]}"
shift
cd "$(dirname "$0")/.."
exec cargo "$command" --release --workspace --exclude edgemark-wasm --features edgemark-train/train "$@"
