#!/usr/bin/python3
"""Writes tests/fixtures/ops/<op>.json for the normalization, elementwise and reduction ops
(BatchNorm, Scale, PReLU, Softmax, ReduceMean, ReduceMax, Sub, Mul, Maximum, Minimum, Mean):
inputs, tensor parameters and expected outputs computed independently of ingot, with plain
numpy in float64 and the textbook formulas (not the kernels' float32 rearrangements).

Run with a python that has numpy (Debian's: /usr/bin/python3 scripts/gen_op_fixtures_math.py).
Deterministic (fixed seed). The layout is scripts/gen_op_fixtures.py's, whose serializer this
script reuses, so tests/ops/op_test_util.h's expect_fixture replays these files too.
"""
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from gen_op_fixtures import OUT_DIR, case_json, write  # noqa: E402

rng = np.random.default_rng(20240612)


def rand(shape, lo=-1.0, hi=1.0):
    """float32 values with 3 decimals, so the files stay short and readable."""
    return np.round(rng.uniform(lo, hi, size=shape), 3).astype(np.float32)


def f64(a):
    return np.asarray(a, dtype=np.float64)


def channel_view(v, rank, axis):
    """A [C] vector reshaped to broadcast along `axis` of a rank-`rank` tensor."""
    shape = [1] * rank
    shape[axis] = -1
    return f64(v).reshape(shape)


# ---------------------------------------------------------------------------- BatchNorm

def batchnorm_cases():
    specs = [
        # name, x shape, axis, scale and offset?, epsilon
        ("nhwc_axis_last", (2, 3, 3, 4), -1, True, 0.001),
        ("nhwc_axis_last_no_scale_offset", (1, 2, 3, 4), -1, False, 0.001),
        ("nchw_axis1", (2, 3, 2, 3), 1, True, 1e-5),
        ("nchw_axis1_no_scale_offset", (1, 3, 3, 2), 1, False, 1e-5),
        ("rank2_axis_last", (3, 5), -1, True, 0.01),
    ]
    cases = []
    for name, xs, axis, affine, eps in specs:
        c = xs[axis]
        x = rand(xs)
        tensors = {"mean": rand((c,), -0.5, 0.5), "variance": rand((c,), 0.1, 2.0)}
        if affine:
            tensors["scale"] = rand((c,), 0.5, 1.5)
            tensors["offset"] = rand((c,), -0.5, 0.5)
        r = x.ndim
        y = (f64(x) - channel_view(tensors["mean"], r, axis)) / np.sqrt(
            channel_view(tensors["variance"], r, axis) + eps)
        if affine:
            y = y * channel_view(tensors["scale"], r, axis) + channel_view(tensors["offset"], r, axis)
        cases.append(case_json(name, {"axis": axis, "epsilon": eps}, tensors, [x], [y]))
    write("BatchNorm", cases)


# ---------------------------------------------------------------------------- Scale

def scale_cases():
    specs = [
        # name, x shape, axis, bias?
        ("nchw_axis1_bias", (2, 3, 2, 2), 1, True),
        ("axis_last_no_bias", (2, 2, 5), -1, False),
        ("axis_minus2_bias", (2, 4, 3), -2, True),
    ]
    cases = []
    for name, xs, axis, has_bias in specs:
        c = xs[axis]
        x = rand(xs)
        tensors = {"scale": rand((c,), -2.0, 2.0)}
        if has_bias:
            tensors["bias"] = rand((c,))
        y = f64(x) * channel_view(tensors["scale"], x.ndim, axis)
        if has_bias:
            y = y + channel_view(tensors["bias"], x.ndim, axis)
        cases.append(case_json(name, {"axis": axis}, tensors, [x], [y]))
    write("Scale", cases)


# ---------------------------------------------------------------------------- PReLU

def prelu_cases():
    specs = [
        # name, x shape, alpha shape
        ("per_channel_nhwc", (2, 3, 3, 4), (1, 1, 4)),
        ("per_channel_nchw", (2, 4, 3, 3), (4, 1, 1)),
        ("full_alpha", (2, 3, 3, 2), (3, 3, 2)),
        ("rank2_vector_alpha", (3, 5), (5,)),
    ]
    cases = []
    for name, xs, alpha_shape in specs:
        x = rand(xs)
        alpha = rand(alpha_shape, 0.0, 0.5)
        y = np.where(f64(x) > 0, f64(x), f64(alpha) * f64(x))
        cases.append(case_json(name, {}, {"alpha": alpha}, [x], [y]))
    write("PReLU", cases)


# ---------------------------------------------------------------------------- Softmax

def softmax(x, axis):
    """exp(x) / sum exp(x) in float64; shifting by the max changes nothing mathematically and
    keeps exp(1000) from overflowing float64 too."""
    e = np.exp(f64(x) - f64(x).max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_cases():
    specs = [
        # name, x shape, axis, value range
        ("axis_last", (2, 3, 5), -1, (-3.0, 3.0)),
        ("nchw_axis1", (2, 4, 2, 3), 1, (-3.0, 3.0)),
        ("axis0", (3, 4), 0, (-3.0, 3.0)),
        # exp(1000) is inf even in float64: only a max-shifted softmax gets these right.
        ("large_values_axis_last", (2, 6), -1, (995.0, 1005.0)),
        ("large_values_nchw_axis1", (1, 3, 2, 2), 1, (-1005.0, 1005.0)),
    ]
    cases = []
    for name, xs, axis, (lo, hi) in specs:
        x = rand(xs, lo, hi)
        cases.append(case_json(name, {"axis": axis}, {}, [x], [softmax(x, axis)]))
    write("Softmax", cases)


# ---------------------------------------------------------------------------- ReduceMean, ReduceMax

REDUCE_SPECS = [
    # name, x shape, axes, keepdims
    ("axes_1_2", (2, 3, 4, 5), [1, 2], False),
    ("axes_1_2_keepdims", (2, 3, 4, 5), [1, 2], True),
    ("axis_last_negative", (3, 4), [-1], False),
    ("all_axes_to_scalar", (2, 3, 4), [0, 1, 2], False),
    ("axes_unsorted_keepdims", (2, 3, 4), [2, 0], True),
]


def reduce_cases(op, fn):
    cases = []
    for name, xs, axes, keepdims in REDUCE_SPECS:
        x = rand(xs)
        y = fn(f64(x), axis=tuple(axes), keepdims=keepdims)
        cases.append(case_json(name, {"axes": axes, "keepdims": keepdims}, {}, [x], [y]))
    write(op, cases)


# ---------------------------------------------------------------------------- Sub, Mul, ...

def sub_cases():
    specs = [
        ("same_shape", [(2, 3), (2, 3)]),
        ("broadcast_second", [(2, 3, 4), (3, 1)]),
        ("broadcast_both", [(3, 1), (1, 4)]),
        ("scalar_first", [(), (2, 2)]),
    ]
    cases = []
    for name, shapes in specs:
        a, b = (rand(s) for s in shapes)
        cases.append(case_json(name, {}, {}, [a, b], [f64(a) - f64(b)]))
    write("Sub", cases)


VARIADIC_SPECS = [
    ("two_same_shape", [(2, 3), (2, 3)]),
    ("two_broadcast", [(2, 1, 4), (3, 1)]),
    ("three_broadcast", [(2, 1, 4), (3, 1), (4,)]),
    ("four_rank4", [(1, 3, 1, 5), (2, 1, 4, 1), (1,), (5,)]),
]


def variadic_cases(op, combine):
    cases = []
    for name, shapes in VARIADIC_SPECS:
        xs = [rand(s) for s in shapes]
        y = combine([f64(x) for x in xs])
        assert y.shape == np.broadcast_shapes(*shapes)
        cases.append(case_json(name, {}, {}, xs, [y]))
    write(op, cases)


def product(xs):
    y = xs[0]
    for x in xs[1:]:
        y = y * x
    return y


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    batchnorm_cases()
    scale_cases()
    prelu_cases()
    softmax_cases()
    reduce_cases("ReduceMean", np.mean)
    reduce_cases("ReduceMax", np.max)
    sub_cases()
    variadic_cases("Mul", product)
    variadic_cases("Maximum", lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs)))
    variadic_cases("Minimum", lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs)))
    variadic_cases("Mean", lambda xs: sum(np.broadcast_arrays(*xs)) / len(xs))


if __name__ == "__main__":
    main()
