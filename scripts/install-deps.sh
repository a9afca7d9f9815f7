#!/usr/bin/env bash
# Installs ingot's build and test dependencies from Debian 12 packages. Idempotent: packages
# already present are left alone and apt-get runs only when something is missing. Needs root
# (or sudo) when it has to install. Extra package names as arguments are installed too (the
# benchmark scripts' own needs).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config   # toolchain
  libhdf5-dev                        # Keras .h5 reading (importer only; the runtime never links it)
  nlohmann-json3-dev                 # Keras model_config JSON, `ingot inspect --json`, target files
  libvalijson-dev                    # checking target files against targets/target.schema.json (JSON Schema)
  libcli11-dev                       # the `ingot` command line
  libxxhash-dev                      # .ingot whole-file checksum (XXH3-64)
  libprotobuf-dev protobuf-compiler  # Caffe .prototxt / .caffemodel (importer only)
  libdnnl-dev                        # the runtime's convolution and dense kernels (oneDNN)
  libxnnpack-dev libpthreadpool-dev  # the runtime's other optimized kernels and their thread pool
  libcpuinfo-dev                     # capping the kernels' CPU dispatch level (INGOT_CPU_LEVEL)
  libstb-dev                         # decoding test photos (jpeg/png) for end-to-end checks
  libgtest-dev libgmock-dev          # unit tests
  libbenchmark-dev                   # `ingot bench` style micro-benchmarks
  python3-numpy python3-h5py         # /usr/bin/python3: regenerating independent test fixtures
  python3-onnx                       # /usr/bin/python3: ../shared/bench/gen_models.py (MobileNet v1 in the codebook test)
)

packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have empty package lists.
$SUDO apt-get install -y --no-install-recommends "${missing[@]}" || {
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
}
