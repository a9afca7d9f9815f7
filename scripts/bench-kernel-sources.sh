#!/usr/bin/env bash
# Which library should ingot's conv kernels come from? Builds bench/kernel_sources (standalone,
# Release -O2) and times XNNPACK, oneDNN and OpenBLAS+im2col on the conv + dense layers of
# MobileNet v1 224, ResNet-18 224 and SSD-MobileNet 300, printing markdown tables.
#   bash scripts/bench-kernel-sources.sh                       # defaults: --threads 1,2 --runs 30 --warmup 5
#   bash scripts/bench-kernel-sources.sh --network resnet18 --runs 50
# Arguments go to the benchmark. Knobs (environment): BUILD_DIR (default
# /tmp/kernel-sources-build); KEEP_OPENBLAS_ENV=1 keeps inherited OPENBLAS_* settings.
# Run it on an otherwise idle machine: anything on the second core distorts 2-thread figures.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-/tmp/kernel-sources-build}
log() { echo "[bench-kernel-sources] $*" >&2; }

# ingot's dependencies cover XNNPACK and oneDNN; the benchmark also compares OpenBLAS.
bash scripts/install-deps.sh libopenblas-dev make

cmake -S bench/kernel_sources -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" >/dev/null

# OpenBLAS picks its kernels from the CPU when it loads unless OPENBLAS_CORETYPE says otherwise,
# and some environments export it (Haswell = AVX2 only: half the sgemm speed of the AVX-512
# Cooperlake kernels it detects on this project's Zen 5). Measure what a deployment gets.
if [ "${KEEP_OPENBLAS_ENV:-0}" != 1 ]; then
  for v in $(env | sed -n 's/^\(OPENBLAS_[A-Z0-9_]*\)=.*/\1/p'); do
    log "ignoring $v=${!v} from the environment (KEEP_OPENBLAS_ENV=1 keeps it)"
    unset "$v"
  done
fi
exec "$BUILD_DIR/kernel_sources" "$@"
