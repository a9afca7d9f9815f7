#!/usr/bin/env bash
# Converting MobileNet v1 of ../shared/bench (seed 1234) to a DV700 dv-sdk network in one step
# (`ingot convert --target dv700 --emit dv-sdk`), fp16 and codebook8 weights: median and min
# wall time of ROUNDS runs each, and the ratio to the vendor converter's recorded times on this
# machine kind (../shared/dv700-reference/timings.jsonl: fp16; ../shared/bench/dmp-*.jsonl:
# codebook8). The vendor tool does not run here, so its figures come from those records.
#   ROUNDS=21 bash scripts/bench-dv700.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-21}
INGOT=${INGOT:-build/tools/ingot}
SHARED=${SHARED:-../shared}
[ -d "$SHARED" ] || SHARED=/work/shared
work=$(mktemp -d /tmp/ingot-bench-dv700.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$SHARED/bench" "$work/bench"
/usr/bin/python3 "$work/bench/gen_models.py" --nets mobilenet_v1 --out "$work/models" >/dev/null
model="$work/models/mobilenet_v1.h5"

stats() {  # convert arguments -> "median min"; timed from Python so no helper process is counted
  /usr/bin/python3 - "$ROUNDS" "$INGOT" "$model" "$work/out" "$@" <<'PY'
import statistics, subprocess, sys, time
rounds, ingot, model, out, extra = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
cmd = [ingot, "convert", model, "--target", "dv700", "--emit", "dv-sdk", "-o", out, *extra]
times = []
for _ in range(rounds):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times.append(time.perf_counter() - t0)
print(f"{statistics.median(times):.4f} {min(times):.4f}")
PY
}

vendor_f16=$(grep '"KerasMobileNetV1"' "$SHARED/dv700-reference/timings.jsonl" | sed 's/.*"seconds": *\([0-9.]*\).*/\1/')
vendor_cb8=$(grep '"quantization": 1' "$SHARED"/bench/dmp-*.jsonl | grep KerasMobileNet | head -1 | sed 's/.*"median_s": *\([0-9.]*\).*/\1/')
read -r f16_med f16_min < <(stats --storage f16)
read -r cb8_med cb8_min < <(stats --storage codebook8)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u +%Y-%m-%d)"
printf '%-10s %10s %10s %12s %14s\n' weights "median s" "min s" "vendor s" "vendor/ingot"
printf '%-10s %10s %10s %12s %14.1f\n' f16 "$f16_med" "$f16_min" "$vendor_f16" "$(echo "$vendor_f16 / $f16_med" | bc -l)"
printf '%-10s %10s %10s %12s %14.1f\n' codebook8 "$cb8_med" "$cb8_min" "$vendor_cb8" "$(echo "$vendor_cb8 / $cb8_med" | bc -l)"
