#!/usr/bin/env python3
"""Writes tests/fixtures/ops/<op>.json for the unary activations (src/ops/unary.h and the op
files using it): float32 inputs, expected outputs from plain numpy in float64.

Run from anywhere with a python that has numpy (Debian's: /usr/bin/python3
scripts/gen_op_fixtures_unary.py). Deterministic (fixed seed). The layout is the one of
scripts/gen_op_fixtures.py, which tests/ops/op_test_util.h reads:
  {"op": "Elu", "cases": [{"name": ..., "attrs": {...}, "inputs": [T], "outputs": [T]}]}
  T = {"shape": [...], "data": [...]}   (data flat, row-major)
Inputs are float32 values in shortest round-trip form; expected outputs are float64 (repr),
the exact function of the float32 input to within float64 rounding. Parameters in attrs are
chosen exactly representable in float32, so that a difference measures the kernel alone.
"""
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "tests" / "fixtures" / "ops"
rng = np.random.default_rng(20240612)

# Ends of the float32 range and the transition points: +-88.5 is near where e^x leaves the
# float32 range, +-100 is where a naive softplus or exp overflows.
EDGES = [-100.0, -88.5, -50.0, -20.0, -10.0, -5.0, -2.5, -1.0, -0.5, -0.001, 0.0,
         0.001, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 50.0, 88.5, 100.0]


def f32(values):
    return np.asarray(values, dtype=np.float32)


def rand(n, lo, hi):
    """float32 values with 3 decimals, so the files stay short and readable."""
    return f32(np.round(rng.uniform(lo, hi, size=n), 3))


def wide(lo=-100.0, hi=100.0):
    """The edges inside [lo, hi] plus random values across it, as a rank-2 tensor."""
    x = np.concatenate([f32([e for e in EDGES if lo <= e <= hi]), rand(11, lo, hi)])
    return x.reshape(-1, 4) if x.size % 4 == 0 else x


def near_zero():
    """Where the activations bend: [-5, 5], as an NHWC-shaped rank-4 tensor."""
    return rand(24, -5.0, 5.0).reshape(1, 2, 3, 4)


def f32_text(v):
    s = np.format_float_positional(np.float32(v), unique=True, trim="-")
    # The C++ side parses the text as a double, then rounds to float: check that lands on v.
    assert np.float32(float(s)) == np.float32(v), (s, v)
    return s


def tensor_json(a, render):
    data = ", ".join(render(v) for v in np.asarray(a).reshape(-1))
    return '{"shape": %s, "data": [%s]}' % (json.dumps(list(np.shape(a))), data)


def case_json(name, attrs, x, y):
    assert x.dtype == np.float32 and y.shape == x.shape and np.all(np.isfinite(y)), name
    for v in attrs.values():
        # The schema takes floats only (an integer would be rejected), exact in float32.
        assert isinstance(v, float) and float(np.float32(v)) == v, (name, v)
    return ('    {"name": %s,\n     "attrs": %s,\n     "inputs": [%s],\n     "outputs": [%s]}'
            % (json.dumps(name), json.dumps(attrs), tensor_json(x, f32_text),
               tensor_json(y, lambda v: repr(float(v)))))


def write(op, cases):
    text = '{"op": %s,\n "cases": [\n%s\n ]}\n' % (json.dumps(op), ",\n".join(cases))
    json.loads(text)  # well-formed
    path = OUT_DIR / (op.lower() + ".json")
    path.write_text(text)
    print("wrote %s (%d cases, %d bytes)" % (path.relative_to(ROOT), len(cases), len(text)))
    return len(text)


# ---------------------------------------------------------------------------- references
# Each takes float64 x and the attrs (float64) and follows the definition literally; float64
# has the range (e^100 = 2.7e43) that these need for |x| <= 100.

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(x))


REFERENCES = {
    "Sigmoid": lambda x, a: 1.0 / (1.0 + np.exp(-x)),
    "Tanh": lambda x, a: np.tanh(x),
    "HardSigmoid": lambda x, a: np.clip(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0.0, 1.0),
    "Elu": lambda x, a: elu(x, a.get("alpha", 1.0)),
    "Selu": lambda x, a: SELU_SCALE * elu(x, SELU_ALPHA),
    "Softplus": lambda x, a: np.logaddexp(0.0, x),
    "Softsign": lambda x, a: x / (1.0 + np.abs(x)),
    "Swish": lambda x, a: x / (1.0 + np.exp(-x)),
    "Exp": lambda x, a: np.exp(x),
    "ThresholdedReLU": lambda x, a: np.where(x > a.get("theta", 1.0), x, 0.0),
    "AbsVal": lambda x, a: np.abs(x),
    "Power": lambda x, a: np.power(a.get("shift", 0.0) + a.get("scale", 1.0) * x,
                                   a.get("power", 1.0)),
}

# op -> [(case name, attrs, float32 input)]
CASES = {
    "Sigmoid": [("wide", {}, wide()), ("near_zero", {}, near_zero())],
    "Tanh": [("wide", {}, wide()), ("near_zero", {}, near_zero())],
    "HardSigmoid": [
        ("keras2_defaults", {}, wide(-10.0, 10.0)),
        ("keras3_slope", {"alpha": float(np.float32(1 / 6)), "beta": 0.5}, near_zero()),
        ("negative_slope", {"alpha": -0.375, "beta": 0.25}, near_zero()),
    ],
    "Elu": [("wide", {}, wide()), ("near_zero", {}, near_zero()),
            ("alpha_2_5", {"alpha": 2.5}, near_zero())],
    "Selu": [("wide", {}, wide()), ("near_zero", {}, near_zero())],
    "Softplus": [("wide", {}, wide()), ("near_zero", {}, near_zero())],
    "Softsign": [("wide", {}, wide()), ("near_zero", {}, near_zero())],
    "Swish": [("wide", {}, wide()), ("near_zero", {}, near_zero())],
    # e^x leaves float32 at x = 88.72.
    "Exp": [("wide", {}, wide(-100.0, 88.5)), ("near_zero", {}, near_zero())],
    "ThresholdedReLU": [
        ("theta_default", {}, near_zero()),
        ("theta_0", {"theta": 0.0}, wide()),
        ("theta_2_5", {"theta": 2.5}, wide(-10.0, 10.0)),
    ],
    "AbsVal": [("wide", {}, wide())],
    "Power": [
        ("defaults_identity", {}, near_zero()),
        ("square", {"power": 2.0, "scale": 0.5, "shift": 1.0}, wide()),
        ("cube_negative_scale", {"power": 3.0, "scale": -0.25, "shift": 0.5}, wide()),
        # base shift + x in [0.5, 200.5]: a fractional power stays real.
        ("negative_fractional", {"power": -1.5, "shift": 100.5}, wide()),
        ("sqrt", {"power": 0.5, "scale": 2.0, "shift": 10.0}, near_zero()),
    ],
}


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    total = 0
    for op, specs in CASES.items():
        cases = []
        for name, attrs, x in specs:
            y = REFERENCES[op](x.astype(np.float64), attrs)
            cases.append(case_json(name, attrs, x, np.asarray(y, dtype=np.float64)))
        total += write(op, cases)
    print("total %d bytes" % total)
    assert total < 80_000


if __name__ == "__main__":
    main()
