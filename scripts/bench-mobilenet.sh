#!/usr/bin/env bash
# MobileNet v1 (224, alpha 1.0, 1000 classes) benchmark of ingot against the peer figures of
# ../shared/bench/RESULTS.md. A benchmark, not a test: it is not registered with ctest.
#
#   scripts/bench-mobilenet.sh [INGOT_BINARY]
#
# Environment knobs: WARM (default 5) and RUNS (default 20) `ingot run`s; INGOT_SHARED_DIR (default
# ../shared beside the source tree, else /work/shared); KEEP=1 keeps the scratch dir.
#
# What it does:
#  1. copies ../shared/bench to a scratch dir and runs `/usr/bin/python3 gen_models.py --nets
#     mobilenet_v1` there (seed 1234: the same weights and input as RESULTS.md). gen_models.py
#     imports `onnx` at the top (Debian python3-onnx) but only uses it to write the ONNX twins; if
#     that import fails, the script reruns gen_models.main() with a stub `onnx` module and
#     write_onnx() disabled, which writes the same .h5, tfjs dump, input and flops.json.
#  2. times `ingot convert mobilenet_v1.h5` (wall clock, date +%s.%N, one run).
#  3. times `ingot run` on the bundled input (models/mobilenet_v1.input_nhwc.npy): WARM untimed
#     runs, then RUNS timed ones. Each run is a separate process, so a figure includes process
#     start, opening/mapping the .ingot file, planning, the inference itself and writing
#     output_0.npy; the peers in RESULTS.md are timed in-process (session created once). The
#     ratios below therefore overstate ingot's inference time. ingot runs on 1 thread.
#  4. prints median / min / max run latency and the ratios against the 1-thread medians of
#     onnxruntime and OpenCV DNN for mobilenet_v1, parsed from RESULTS.md.
#  5. checks ingot's output against numpy_forward.py (independent float64 interpreter of the
#     .h5): max |ingot - ref| / max |ref|, the "max rel err" column of RESULTS.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3
INGOT=${1:-${INGOT:-$ROOT/build/tools/ingot}}
WARM=${WARM:-5}
RUNS=${RUNS:-20}
if [[ -n "${INGOT_SHARED_DIR:-}" ]]; then SHARED=$INGOT_SHARED_DIR
elif [[ -d "$ROOT/../shared/bench" ]]; then SHARED=$ROOT/../shared
else SHARED=/work/shared; fi

[[ -x "$INGOT" ]] || { echo "bench-mobilenet: no ingot binary at $INGOT (build it, or pass its path)" >&2; exit 1; }
[[ -f "$SHARED/bench/RESULTS.md" ]] || { echo "bench-mobilenet: no $SHARED/bench/RESULTS.md" >&2; exit 1; }
INGOT=$(cd "$(dirname "$INGOT")" && pwd)/$(basename "$INGOT")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ingot-bench-mobilenet.XXXXXX")
if [[ "${KEEP:-0}" != 1 ]]; then trap 'rm -rf "$TMP"' EXIT; else echo "scratch dir: $TMP"; fi
cp -r "$SHARED/bench" "$TMP/bench"
chmod -R u+w "$TMP/bench"
cd "$TMP/bench"

echo "== generating mobilenet_v1 (gen_models.py, seed 1234)"
if ! "$PY" gen_models.py --nets mobilenet_v1 > gen.log 2>&1; then
  if grep -q "No module named 'onnx'" gen.log; then
    echo "   python3-onnx is not installed: generating only the Keras .h5 (ONNX writer stubbed out)"
    "$PY" - > gen.log 2>&1 <<'EOF' || { cat gen.log; exit 1; }
import sys, types
onnx = types.ModuleType('onnx')
for sub in ('helper', 'numpy_helper'):
    m = types.ModuleType('onnx.' + sub)
    setattr(onnx, sub, m)
    sys.modules['onnx.' + sub] = m
onnx.TensorProto = type('TensorProto', (), {})
sys.modules['onnx'] = onnx
sys.path.insert(0, '.')
import gen_models
gen_models.write_onnx = lambda *a, **k: None
sys.argv = ['gen_models.py', '--nets', 'mobilenet_v1']
gen_models.main()
EOF
  else
    cat gen.log
    exit 1
  fi
fi
sed 's/^/   /' gen.log
MODEL=models/mobilenet_v1.h5
X=models/mobilenet_v1.input_nhwc.npy
[[ -f $MODEL && -f $X ]] || { echo "bench-mobilenet: gen_models.py wrote no $MODEL / $X" >&2; exit 1; }

echo "== ingot: $INGOT ($("$INGOT" --version 2>/dev/null || echo '?'))"
t0=$(date +%s.%N)
"$INGOT" convert "$MODEL" -o mobilenet_v1.ingot
t1=$(date +%s.%N)
CONVERT_S=$("$PY" -c "print('%.3f' % ($t1 - $t0))")

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 0; i < WARM; i++)); do "$INGOT" run mobilenet_v1.ingot -i "$X" -o out > /dev/null; done
: > times_ms.txt
for ((i = 0; i < RUNS; i++)); do
  t0=$(date +%s.%N)
  "$INGOT" run mobilenet_v1.ingot -i "$X" -o out > /dev/null
  t1=$(date +%s.%N)
  "$PY" -c "print('%.3f' % (($t1 - $t0) * 1000))" >> times_ms.txt
done

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
"$PY" -c "import numpy as np; np.load('out/output_0.npy').astype('<f4').tofile('ingot_out.f32')"
"$PY" numpy_forward.py "$MODEL" "$X" --compare ingot_out.f32 --tol 1e-4 > compare.log 2>&1 || true

"$PY" - "$CONVERT_S" "$WARM" "$RUNS" "$LOAD_BEFORE" "$LOAD_AFTER" "$(nproc)" <<'EOF'
import json, re, statistics, sys
convert_s, warm, runs = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
load_before, load_after, ncpu = sys.argv[4], sys.argv[5], sys.argv[6]
ms = [float(l) for l in open('times_ms.txt')]
med = statistics.median(ms)

# RESULTS.md: the "### mobilenet_v1" table; columns peer | threads | median ms | ...
text = open('RESULTS.md').read()
sec = re.search(r'^### mobilenet_v1\b.*?(?=^### |\Z)', text, re.S | re.M)
if not sec:
    sys.exit('bench-mobilenet: no "### mobilenet_v1" section in RESULTS.md')
peers = {}
for line in sec.group(0).splitlines():
    cells = [c.strip() for c in line.strip().strip('|').split('|')]
    if len(cells) < 3 or cells[1] != '1':
        continue
    for key, prefix in (('onnxruntime', 'onnxruntime'), ('opencv', 'opencv-dnn')):
        if cells[0].startswith(prefix) and key not in peers:
            peers[key] = (cells[0], float(cells[2]))
for key in ('onnxruntime', 'opencv'):
    if key not in peers:
        sys.exit('bench-mobilenet: no 1-thread %s row for mobilenet_v1 in RESULTS.md' % key)

flops = json.load(open('models/flops.json'))['mobilenet_v1']['flops']
cmp = [l for l in open('compare.log') if l.startswith(('OK', 'FAIL'))]
rec = json.loads(cmp[0].split(' ', 1)[1]) if cmp else {}

print('== mobilenet_v1 (%.3f GFLOP), batch 1, 1 thread' % (flops / 1e9))
print('convert (ingot convert, 1 run)   %.3f s' % convert_s)
print('run latency, %d timed after %d warm-up (separate processes, end to end):' % (runs, warm))
print('  median %.2f ms   min %.2f ms   max %.2f ms   (%.1f effective GFLOP/s at the median)'
      % (med, min(ms), max(ms), flops / med / 1e6))
print('  load average (1/5/15 min) before %s, after %s on %s CPUs: above ~0.5 the figures are '
      'inflated by other work' % (load_before, load_after, ncpu))
for key in ('onnxruntime', 'opencv'):
    name, peer = peers[key]
    print('  vs %s, 1 thread (RESULTS.md): median %.2f ms; ingot / peer = %.1fx' % (name, peer, med / peer))
if rec and 'error' not in rec:
    print('output vs numpy_forward.py (float64): max rel err (max|d| / max|ref|) %.2e, max abs %.2e, argmax %s'
          % (rec['max_rel_to_range'], rec['max_abs'], 'identical' if rec.get('argmax_equal') else 'DIFFERENT'))
else:
    print('output vs numpy_forward.py: comparison failed: %s' % (rec or open('compare.log').read()))
EOF
