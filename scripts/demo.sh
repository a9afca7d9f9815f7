#!/usr/bin/env bash
# ingot's main job on the bundled example: install, build, make a model, inspect it, run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
out=${DEMO_DIR:-build/demo}
mkdir -p "$out"
set -x
build/examples/make_tiny_cnn "$out/tiny_cnn.ingot" "$out/input.npy" --f16
build/tools/ingot inspect "$out/tiny_cnn.ingot"
build/tools/ingot run "$out/tiny_cnn.ingot" --input "$out/input.npy" --output-dir "$out/outputs"
