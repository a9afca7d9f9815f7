#!/usr/bin/python3
"""Writes tests/fixtures/ops/<op>.json: inputs, weights and expected outputs for the reference
kernels of the built-in ops, computed independently of ingot with plain numpy in float64.

Run with a python that has numpy (Debian's: /usr/bin/python3 scripts/gen_op_fixtures.py).
The output is deterministic (fixed seed); the C++ tests in tests/ops/ read the committed files
and never need python.

Fixture layout, one file per op:
  {"op": "Conv2D", "cases": [{"name": ..., "attrs": {...},
                              "tensors": {"weights": T, "bias": T},   # tensor parameters
                              "inputs": [T, ...], "outputs": [T, ...]}]}
  T = {"shape": [...], "data": [...]}   (data flat, row-major)
Inputs and weights are float32 values written in their shortest round-trip form; expected
outputs are float64, written with repr().
"""
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "tests" / "fixtures" / "ops"
rng = np.random.default_rng(20240611)


def rand(shape, lo=-1.0, hi=1.0):
    """float32 values with 3 decimals, so the files stay short and readable."""
    return np.round(rng.uniform(lo, hi, size=shape), 3).astype(np.float32)


def f32_text(v):
    s = np.format_float_positional(np.float32(v), unique=True, trim="-")
    # The C++ side parses the text as a double, then rounds to float: check that lands on v.
    assert np.float32(float(s)) == np.float32(v), (s, v)
    return s


def tensor_json(a, exact_f32):
    a = np.asarray(a)
    render = f32_text if exact_f32 else (lambda v: repr(float(v)))
    data = ", ".join(render(v) for v in a.reshape(-1))
    return '{"shape": %s, "data": [%s]}' % (json.dumps(list(a.shape)), data)


def case_json(name, attrs, tensors, inputs, outputs):
    parts = ['"name": %s' % json.dumps(name), '"attrs": %s' % json.dumps(attrs)]
    if tensors:
        inner = ", ".join('%s: %s' % (json.dumps(k), tensor_json(v, True)) for k, v in tensors.items())
        parts.append('"tensors": {%s}' % inner)
    parts.append('"inputs": [%s]' % ", ".join(tensor_json(t, True) for t in inputs))
    parts.append('"outputs": [%s]' % ", ".join(tensor_json(t, False) for t in outputs))
    return "    {" + ",\n     ".join(parts) + "}"


def write(op, cases):
    text = '{"op": %s,\n "cases": [\n%s\n ]}\n' % (json.dumps(op), ",\n".join(cases))
    json.loads(text)  # well-formed
    path = OUT_DIR / (op.lower() + ".json")
    path.write_text(text)
    print("wrote %s (%d cases, %d bytes)" % (path.relative_to(ROOT), len(cases), len(text)))


def to_nchw(a):
    return np.transpose(a, (0, 3, 1, 2))


# ---------------------------------------------------------------------------- Conv2D

def conv2d_nhwc(x, w, b, strides, dilations, pads, groups):
    """Zero-pad, then for every output position slice the dilated window and contract it with
    the group's kernels."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    n, h, wd, c = x.shape
    o, cg, kh, kw = w.shape
    assert c == cg * groups and o % groups == 0
    pt, pl, pb, pr = pads
    sh, sw = strides
    dh, dw = dilations
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    assert oh >= 1 and ow >= 1
    og = o // groups
    y = np.zeros((n, oh, ow, o))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw, :]
            assert patch.shape[1:3] == (kh, kw)
            for g in range(groups):
                pg = patch[..., g * cg:(g + 1) * cg]
                wg = w[g * og:(g + 1) * og]
                y[:, i, j, g * og:(g + 1) * og] = np.einsum("nyxc,ocyx->no", pg, wg)
    if b is not None:
        y += b.astype(np.float64)
    return y


def conv2d_direct(x, w, b, strides, dilations, pads, groups):
    """The definition read literally, one scalar at a time: a cross-check of conv2d_nhwc."""
    n, h, wd, c = x.shape
    o, cg, kh, kw = w.shape
    og = o // groups
    y = np.zeros((n, (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1,
                  (wd + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1, o))
    for ni, i, j, oc in np.ndindex(*y.shape):
        acc = 0.0 if b is None else float(b[oc])
        for ic, ky, kx in np.ndindex(cg, kh, kw):
            r = i * strides[0] - pads[0] + ky * dilations[0]
            q = j * strides[1] - pads[1] + kx * dilations[1]
            if 0 <= r < h and 0 <= q < wd:
                acc += float(x[ni, r, q, (oc // og) * cg + ic]) * float(w[oc, ic, ky, kx])
        y[ni, i, j, oc] = acc
    return y


def conv2d_cases():
    specs = [
        # name, x shape (NHWC), weights shape (OIHW), bias?, attrs
        ("basic", (1, 5, 5, 3), (4, 3, 3, 3), True, {}),
        ("stride2_asym_pads", (1, 6, 7, 2), (3, 2, 3, 3), True, {"strides": [2, 2], "pads": [1, 0, 2, 1]}),
        ("dilation2_no_bias", (1, 7, 8, 2), (2, 2, 3, 3), False, {"dilations": [2, 2], "pads": [2, 1, 1, 2]}),
        ("rect_kernel_mixed", (1, 6, 5, 3), (2, 3, 2, 3), True,
         {"strides": [2, 1], "dilations": [1, 2], "pads": [0, 2, 1, 0]}),
        ("groups2_batch2", (2, 4, 5, 4), (6, 2, 3, 3), True, {"groups": 2, "pads": [1, 1, 1, 1]}),
        ("depthwise_stride2", (1, 6, 6, 3), (3, 1, 3, 3), False,
         {"groups": 3, "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ("depthwise_multiplier2", (1, 5, 4, 2), (4, 1, 3, 3), True, {"groups": 2, "pads": [0, 1, 1, 1]}),
    ]
    cases = []
    for name, xs, ws, has_bias, attrs in specs:
        x = rand(xs)
        w = rand(ws)
        b = rand((ws[0],)) if has_bias else None
        y = conv2d_nhwc(x, w, b, attrs.get("strides", [1, 1]), attrs.get("dilations", [1, 1]),
                        attrs.get("pads", [0, 0, 0, 0]), attrs.get("groups", 1))
        direct = conv2d_direct(x, w, b, attrs.get("strides", [1, 1]), attrs.get("dilations", [1, 1]),
                               attrs.get("pads", [0, 0, 0, 0]), attrs.get("groups", 1))
        assert np.allclose(y, direct, rtol=1e-12, atol=1e-12), name
        tensors = {"weights": w}
        if b is not None:
            tensors["bias"] = b
        for layout in ("NHWC", "NCHW"):
            tx = (lambda a: a) if layout == "NHWC" else to_nchw
            cases.append(case_json(name + "_" + layout.lower(), dict(attrs, layout=layout), tensors,
                                   [tx(x)], [tx(y)]))
    write("Conv2D", cases)


# ---------------------------------------------------------------------------- MaxPool2D

def pooled_size(size, k, s, pad_begin, pad_end, ceil_mode, any_pad):
    span = size + pad_begin + pad_end - k
    assert span >= 0
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    if any_pad and (out - 1) * s >= size + pad_begin:  # Caffe: if (pad_h_ || pad_w_)
        out -= 1
    return out


def maxpool2d_nhwc(x, kernel, strides, pads, ceil_mode):
    """Pad with -inf (padding never wins), then take the max over each window slice."""
    x = x.astype(np.float64)
    n, h, w, c = x.shape
    kh, kw = kernel
    sh, sw = strides
    pt, pl, pb, pr = pads
    any_pad = any(p > 0 for p in pads)
    oh = pooled_size(h, kh, sh, pt, pb, ceil_mode, any_pad)
    ow = pooled_size(w, kw, sw, pl, pr, ceil_mode, any_pad)
    # Extra -inf margin at the end: ceil-mode windows may run past the bottom/right padding.
    xp = np.pad(x, ((0, 0), (pt, pb + kh), (pl, pr + kw), (0, 0)), constant_values=-np.inf)
    y = np.empty((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            y[:, i, j, :] = xp[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :].max(axis=(1, 2))
    assert np.all(np.isfinite(y))
    return y


def maxpool2d_cases():
    specs = [
        # name, x shape (NHWC), value range, attrs
        ("k2_s2_floor", (1, 6, 7, 3), (-1, 1), {"kernel": [2, 2], "strides": [2, 2]}),
        # All-negative inputs: an implementation that lets zero padding win fails here.
        ("k3_s2_asym_pads_negative", (1, 7, 6, 2), (-2, -0.5),
         {"kernel": [3, 3], "strides": [2, 2], "pads": [1, 0, 2, 1]}),
        ("k3x2_s1x2_rect", (2, 5, 6, 2), (-1, 1), {"kernel": [3, 2], "strides": [1, 2]}),
        ("ceil_no_pads", (1, 6, 6, 2), (-1, 1), {"kernel": [3, 3], "strides": [2, 2], "ceil_mode": True}),
        # ceil gives 4 per axis; Caffe's clip drops the window starting at H + pad_top: 3.
        ("ceil_pads_clipped", (1, 5, 5, 2), (-2, -0.5),
         {"kernel": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": True}),
        ("ceil_pads_kept", (1, 6, 6, 1), (-2, -0.5),
         {"kernel": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": True}),
    ]
    cases = []
    for name, xs, (lo, hi), attrs in specs:
        x = rand(xs, lo, hi)
        y = maxpool2d_nhwc(x, attrs["kernel"], attrs.get("strides", [1, 1]),
                           attrs.get("pads", [0, 0, 0, 0]), attrs.get("ceil_mode", False))
        for layout in ("NHWC", "NCHW"):
            tx = (lambda a: a) if layout == "NHWC" else to_nchw
            cases.append(case_json(name + "_" + layout.lower(), dict(attrs, layout=layout), {},
                                   [tx(x)], [tx(y)]))
    write("MaxPool2D", cases)


# ---------------------------------------------------------------------------- Dense

def dense_cases():
    specs = [
        ("rank2", (3, 5), 4, True),
        ("rank3", (2, 3, 6), 5, True),
        ("rank1_no_bias", (7,), 3, False),
        ("rank4", (2, 1, 2, 4), 3, True),
    ]
    cases = []
    for name, xs, out_features, has_bias in specs:
        x = rand(xs)
        w = rand((out_features, xs[-1]))
        b = rand((out_features,)) if has_bias else None
        y = np.tensordot(x.astype(np.float64), w.astype(np.float64), axes=([x.ndim - 1], [1]))
        if b is not None:
            y = y + b.astype(np.float64)
        tensors = {"weights": w}
        if b is not None:
            tensors["bias"] = b
        cases.append(case_json(name, {}, tensors, [x], [y]))
    write("Dense", cases)


# ---------------------------------------------------------------------------- Add

def add_cases():
    specs = [
        ("two_same_shape", [(2, 3), (2, 3)]),
        ("three_broadcast", [(2, 1, 4), (3, 1), (4,)]),
        ("three_broadcast_rank4", [(1, 3, 1, 5), (2, 1, 4, 1), (1,)]),
        ("four_inputs_scalar_like", [(2, 3), (1, 1), (3,), (2, 1)]),
    ]
    cases = []
    for name, shapes in specs:
        xs = [rand(s) for s in shapes]
        y = np.zeros(np.broadcast_shapes(*shapes))
        for x in xs:
            y = y + x.astype(np.float64)
        cases.append(case_json(name, {}, {}, xs, [y]))
    write("Add", cases)


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    conv2d_cases()
    maxpool2d_cases()
    dense_cases()
    add_cases()


if __name__ == "__main__":
    main()
