#!/usr/bin/env bash
# ingot against onnxruntime on the three networks of ../shared/bench, in one sweep:
#   bash scripts/bench-peers.sh            # builds ingot if needed; about 5 minutes
# Knobs (environment): BENCH_SRC (default ../shared/bench), WORK (scratch, default
# /tmp/ingot-bench-peers), NETS, THREADS ("1 2"), ROUNDS (3), RUNS (30), WARMUP (5),
# BUILD_DIR (build).
# Each round times every (network, threads) pair with ingot, then onnxruntime, each in a fresh
# process; the tables show the median of the per-round medians, as ../shared/bench/RESULTS.md
# does. Keep the machine otherwise idle: anything on the second core stalls 2-thread runs.
# Needs: node + npm (onnxruntime-node from the npm registry), /usr/bin/python3 with numpy,
# h5py and onnx (Debian python3-numpy python3-h5py python3-onnx).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_SRC=${BENCH_SRC:-$ROOT/../shared/bench}
WORK=${WORK:-/tmp/ingot-bench-peers}
NETS=${NETS:-"mobilenet_v1 resnet18 ssd_mbv1_300"}
THREADS=${THREADS:-"1 2"}
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-5}
BUILD_DIR=${BUILD_DIR:-build}
PY=/usr/bin/python3
INGOT=$ROOT/$BUILD_DIR/tools/ingot
log() { echo "[bench-peers] $*" >&2; }

[ -x "$INGOT" ] || { log "building ingot"; bash scripts/build.sh >/dev/null; }
bash scripts/install-deps.sh python3-onnx bc >/dev/null
mkdir -p "$WORK"
# ../shared is read-only where tests run: work on a copy.
[ -f "$WORK/bench/gen_models.py" ] || cp -r "$BENCH_SRC" "$WORK/bench"
cd "$WORK/bench"
[ -f models/flops.json ] || { log "generating the networks"; $PY gen_models.py >/dev/null; }
[ -d node_modules/onnxruntime-node ] || { log "npm ci (onnxruntime-node)"; ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >/dev/null; }

results=$WORK/results.jsonl
: > "$results"
# The denominator of "% of peak": this machine's FMA peak, measured here, not a datasheet figure.
g++ -O2 -std=c++20 -pthread "$ROOT/bench/fma_peak/fma_peak.cpp" -o "$WORK/fma_peak"
log "measuring the FMA peak"
echo "{\"peer\":\"fma-peak\",\"gflops\":$("$WORK/fma_peak" "$(nproc)")}" >> "$results"
for n in $NETS; do
  start=$(date +%s.%N)
  "$INGOT" convert "models/$n.h5" -o "$WORK/$n.ingot" >/dev/null
  end=$(date +%s.%N)
  echo "{\"peer\":\"ingot-convert\",\"net\":\"$n\",\"seconds\":$(printf "%.3f" "$(echo "$end - $start" | bc)")}" >> "$results"
done
# The optimized path must match the reference kernels within 1e-4 of each output's scale.
for n in $NETS; do
  rm -rf "$WORK/out-$n-opt" "$WORK/out-$n-ref"
  "$INGOT" run "$WORK/$n.ingot" --input "models/$n.input_nhwc.npy" --output-dir "$WORK/out-$n-opt" >/dev/null
  "$INGOT" run "$WORK/$n.ingot" --input "models/$n.input_nhwc.npy" --output-dir "$WORK/out-$n-ref" --reference >/dev/null
  $PY - "$n" "$WORK/out-$n-opt" "$WORK/out-$n-ref" >> "$results" <<'PYEOF'
import glob, json, os, sys
import numpy as np
net, opt, ref = sys.argv[1:4]
worst = 0.0
for f in sorted(glob.glob(os.path.join(ref, '*.npy'))):
    a, b = np.load(os.path.join(opt, os.path.basename(f))).astype(np.float64), np.load(f).astype(np.float64)
    worst = max(worst, float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30)))
print(json.dumps({'peer': 'check', 'net': net, 'rel_diff': worst}))
PYEOF
done
for round in $(seq 1 "$ROUNDS"); do
  for n in $NETS; do
    for t in $THREADS; do
      log "round $round: $n, $t thread(s)"
      "$INGOT" bench "$WORK/$n.ingot" --threads "$t" --runs "$RUNS" --warmup "$WARMUP" --input "models/$n.input_nhwc.npy" --json |
        $PY -c "import json,sys; j=json.load(sys.stdin); print(json.dumps({'peer':'ingot','net':'$n','threads':$t,'round':$round,'median_ms':j['median_ms'],'load_ms':j['load_plan_ms'],'gflops':j['gflops_per_s']}))" >> "$results"
      node bench_ort.js "models/$n.onnx" "models/$n.input_nchw.f32" "$t" "$RUNS" "$WARMUP" |
        $PY -c "import json,sys; j=json.loads(sys.stdin.readline()); print(json.dumps({'peer':'onnxruntime','net':'$n','threads':$t,'round':$round,'median_ms':j['median_ms'],'load_ms':j.get('load_ms')}))" >> "$results"
    done
  done
done

$PY - "$results" "$WORK/bench/models/flops.json" <<'PYEOF'
import json, statistics, sys, platform, subprocess, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
flops = json.load(open(sys.argv[2]))
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
print(f"# ingot vs onnxruntime, {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC")
print(f"machine: {cpu}, {subprocess.getoutput('nproc')} vCPU, {platform.platform()}")
print()
peak = next(r['gflops'] for r in rows if r['peer'] == 'fma-peak')
print(f"FMA peak measured in this run (bench/fma_peak, {peak['isa']}): " + ", ".join(f"{peak[k]:.0f} GFLOP/s at {k} thread(s)" for k in peak if k.isdigit()))
print()
print("| network | threads | ingot median ms | onnxruntime median ms | ingot / ort | ingot GFLOP/s | ingot % of peak | ort % of peak | ingot load+plan ms | ort session ms |")
print("|---|---|---|---|---|---|---|---|---|---|")
def med(peer, net, t, key='median_ms'):
    v = [r[key] for r in rows if r['peer'] == peer and r['net'] == net and r.get('threads') == t and r.get(key) is not None]
    return statistics.median(v) if v else float('nan')
nets = list(dict.fromkeys(r['net'] for r in rows if r['peer'] == 'ingot'))
threads = sorted({r['threads'] for r in rows if r['peer'] == 'ingot'})
for n in nets:
    for t in threads:
        a, b = med('ingot', n, t), med('onnxruntime', n, t)
        entry = flops.get(n, {})
        gflop = entry.get('gflop') if isinstance(entry, dict) else None
        if gflop is None and isinstance(entry, dict) and 'macs' in entry: gflop = 2 * entry['macs'] / 1e9
        g = gflop / a * 1e3 if gflop else float('nan')
        go = gflop / b * 1e3 if gflop else float('nan')
        p = peak.get(str(t), float('nan'))
        print(f"| {n} | {t} | {a:.2f} | {b:.2f} | {a / b:.2f} | {g:.1f} | {100 * g / p:.0f}% | {100 * go / p:.0f}% | {med('ingot', n, t, 'load_ms'):.1f} | {med('onnxruntime', n, t, 'load_ms'):.1f} |")
print()
for r in rows:
    if r['peer'] == 'check':
        verdict = 'ok' if r['rel_diff'] <= 1e-4 else 'ABOVE 1e-4'
        print(f"optimized vs --reference, {r['net']}: max |diff| / max |reference| = {r['rel_diff']:.2e} ({verdict})")
for r in rows:
    if r.get('peer') == 'ingot-convert': print(f"convert {r['net']}.h5: {r['seconds']:.2f} s (whole process)")
PYEOF
