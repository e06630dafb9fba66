#!/usr/bin/env bash
# Issue #16 part 2 end to end on the CPU: trains the small stand-in generator (a latent
# autoencoder) on the registry photographs, fine-tunes its image decoder with a watermark loss
# against a frozen extractor (edgemark-hidden-48's network by default; edgemark-v3's classical
# reader with FT_FLAGS="--scheme edgemark-v3 ..."), and evaluates the generated images through
# EdgeMark (the scheme as `edgemark detect` reads it) on held-out and training photos
# separately, clean and after JPEG 75/50, random resizes, crops, resize + JPEG chains and
# rotations.
# Usage: scripts/finetune-generator.sh [OUT] [GEN_STEPS] [FT_STEPS]
#        (positional; defaults .cache/finetune, 600, 400)
# Extra fine-tuning flags go in FT_FLAGS (e.g. FT_FLAGS="--psnr 31 --lambda 0.3", or the
# measured v3 run, with FT_STEPS 500: FT_FLAGS="--scheme edgemark-v3 --psnr 31 --lambda 0.15";
# docs/finetune.md).
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
