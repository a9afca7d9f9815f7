#!/usr/bin/env bash
# The codebook8 quantization benchmark: MobileNet v1 of ../shared/bench (seed 1234) converted
# with --storage f16 and --storage codebook8, median wall time of ROUNDS runs each; the
# difference is the quantization of its 28 convolution and dense kernels (4.2 M weights).
# With PEER=1 (needs Debian python3-opencv) also the vendor-style peer on the same weights:
# cv2.kmeans, K=255, KMEANS_PP_CENTERS, 3 attempts, 10 iterations (scripts/gen_codebook_baseline.py).
#   ROUNDS=5 PEER=1 bash scripts/bench-codebook.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
INGOT=${INGOT:-build/tools/ingot}
SHARED=${SHARED:-../shared}
[ -d "$SHARED" ] || SHARED=/work/shared
work=$(mktemp -d /tmp/ingot-bench-codebook.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$SHARED/bench" "$work/bench"
/usr/bin/python3 "$work/bench/gen_models.py" --nets mobilenet_v1 --out "$work/models" >/dev/null
model="$work/models/mobilenet_v1.h5"

median_seconds() {  # convert arguments
  local times=()
  for _ in $(seq "$ROUNDS"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$INGOT" convert "$model" -o "$work/m.ingot" "$@" >/dev/null
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

f16=$(median_seconds --storage f16)
cb=$(median_seconds --storage codebook8)
# What the DV700 vendor converter does (.h5 in, device weights out): convert --target dv700.
dv16=$(median_seconds --target dv700 --storage f16)
dv8=$(median_seconds --target dv700 --storage codebook8)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
printf 'convert MobileNet v1, median of %s: f16 %.3f s, codebook8 %.3f s, quantization %.3f s\n' \
  "$ROUNDS" "$f16" "$cb" "$(echo "$cb - $f16" | bc -l)"
printf 'convert --target dv700 (partition, limit check, folds, device weights): f16 %.3f s, codebook8 %.3f s\n' \
  "$dv16" "$dv8"
printf '  against the vendor converter on this machine kind (../shared/dv700-reference/timings.jsonl, fp16: 1.83 s;\n'
printf '  issue 11, codebook: 104 s): %.0fx and %.0fx\n' "$(echo "1.83 / $dv16" | bc -l)" "$(echo "104 / $dv8" | bc -l)"
if [ "${PEER:-0}" = 1 ]; then
  t0=$(date +%s.%N)
  /usr/bin/python3 - "$INGOT" "$model" "$work" <<'PY'
import json, subprocess, sys, os, urllib.parse
import numpy as np
sys.path.insert(0, os.path.join(os.getcwd(), "scripts"))
from gen_codebook_baseline import vendor_like_rmse
import cv2
cv2.setRNGSeed(1234)
ingot, model, work = sys.argv[1:]
subprocess.run([ingot, "convert", model, "-o", work + "/f32.ingot"], check=True, stdout=subprocess.DEVNULL)
info = json.loads(subprocess.run([ingot, "inspect", work + "/f32.ingot", "--json", "--export-tensors", work + "/t"],
                                 check=True, capture_output=True).stdout)
for t in info["tensors"]:
    if t["layer_weights"]:
        vendor_like_rmse(np.load(os.path.join(work, "t", urllib.parse.quote(t["name"], safe="_-.") + ".npy")))
PY
  t1=$(date +%s.%N)
  peer=$(echo "$t1 - $t0" | bc -l)
  printf 'peer: OpenCV k-means on the same weights %.1f s; ingot quantization is %.0fx faster\n' \
    "$peer" "$(echo "$peer / ($cb - $f16)" | bc -l)"
fi
