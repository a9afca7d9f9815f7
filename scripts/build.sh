#!/usr/bin/env bash
# Configures and builds ingot into BUILD_DIR (default: build). Extra arguments go to cmake.
# GENERATOR: the CMake generator (default Ninja); GENERATOR=default leaves CMake's own choice
# (Unix Makefiles), which CI's sanitizer stage uses so that that generator stays working.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
generator=${GENERATOR:-Ninja}
generator_args=()
if [[ $generator != default ]]; then
  generator_args=(-G "$generator")
fi
# -g1 (line tables): enough for stack traces and sanitizer reports, and a fifth to a third
# faster to compile than full -g. Later arguments override it.
cmake -S . -B "$build_dir" "${generator_args[@]}" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
