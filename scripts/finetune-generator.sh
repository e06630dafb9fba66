#!/usr/bin/env bash
# Issue #16 part 2 end to end on the CPU: trains the small stand-in generator (a latent
# autoencoder) on the registry photographs, fine-tunes its image decoder with a watermark loss
# against the frozen edgemark-hidden-48 extractor, and evaluates the generated images through
# EdgeMark (tract, the int8 card) on held-out and training photos separately, clean and after
# JPEG 75/50, random resizes, crops and resize + JPEG chains.
# Usage: scripts/finetune-generator.sh [OUT] [GEN_STEPS] [FT_STEPS]
#        (positional; defaults .cache/finetune, 600, 400)
# Extra fine-tuning flags go in FT_FLAGS (e.g. FT_FLAGS="--psnr 31 --lambda 0.3").
# Resumes: an existing OUT/tiny-vae.safetensors is reused.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-.cache/finetune}"
gen_steps="${2:-600}"
ft_steps="${3:-400}"
bash scripts/fetch-photos.sh >/dev/null
cargo build --release -p edgemark-train --features train
bin="$root/target/release/edgemark-train"
mkdir -p "$out"
if [ ! -f "$out/tiny-vae.safetensors" ]; then
    "$bin" train-generator --steps "$gen_steps" --out "$out/tiny-vae.safetensors" | tee "$out/generator.log"
fi
# shellcheck disable=SC2086
"$bin" finetune-decoder --generator "$out/tiny-vae.safetensors" --steps "$ft_steps" \
    --out "$out/finetuned.safetensors" --json "$out/eval.json" ${FT_FLAGS:-} | tee "$out/finetune.log"
