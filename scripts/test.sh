#!/usr/bin/env bash
# Installs, builds and runs the whole test suite. BUILD_DIR and extra cmake arguments as in build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh "$@"
# INGOT_CTEST_EXCLUDE: a ctest -E regex for tests a build need not repeat (CI's sanitizer pass).
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" \
  ${INGOT_CTEST_EXCLUDE:+-E "$INGOT_CTEST_EXCLUDE"}
