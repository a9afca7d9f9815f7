#!/usr/bin/env bash
# ingot's main job on a bundled example: an SSD head saved the way rykov8/ssd_keras saves it, so
# its three PriorBox layers lost their parameters (the class has no get_config()). `check`
# diagnoses it, `convert --params` repairs it without re-saving, `check` on the .ingot and `run`
# confirm it against the oracle's output.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
example=tests/fixtures/keras_cases/ssd_rykov8_missing_params  # made by ../shared/oracle (tfjs)
out=${DEMO_DIR:-build/demo}
mkdir -p "$out"
ingot=build/tools/ingot
set -x
# 1. Diagnosis: which layers lack which parameters, why, a get_config() and a parameter file.
"$ingot" check "$example/model.h5" --params-skeleton "$out/params_skeleton.json" || echo "(check exit $?: cannot convert as saved)"
# 2. Repair at convert time with the values the model was built with; store the oracle's output
#    as a test vector (conversion fails if ingot does not reproduce it: 1e-3, the case's tolerance).
"$ingot" check "$example/model.h5" --params "$example/params_override.json" | tail -n 1
"$ingot" convert "$example/model.h5" --params "$example/params_override.json" -o "$out/ssd.ingot" \
  --test-input "$example/input_0.npy" --test-expected "$example/expected_0.npy" --test-atol 1e-3 --test-rtol 1e-3
"$ingot" inspect "$out/ssd.ingot" | grep -A3 "params.fc7_mbox_priorbox.origin" || true
# 3. The file checks itself (folded priors recomputed, test vectors re-run); run it and compare.
"$ingot" check "$out/ssd.ingot" --atol 1e-3 --rtol 1e-3
"$ingot" run "$out/ssd.ingot" --input "$example/input_0.npy" --output-dir "$out/outputs"
/usr/bin/python3 -c "import numpy as np, sys; a=np.load(sys.argv[1]); b=np.load(sys.argv[2]); \
print('max |ingot - oracle| =', float(np.abs(a-b).max()), 'over', a.size, 'values')" \
  "$out/outputs/output_0.npy" "$example/expected_0.npy"
