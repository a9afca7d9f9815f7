#!/usr/bin/python3
"""Writes tests/fixtures/ops/<op>.json for the spatial and shape ops (ConvTranspose2D,
AvgPool2D, Pad, Slice, Resize, Concat, Transpose, Reshape): inputs, weights and expected
outputs computed independently of ingot with plain numpy in float64, each op written from its
definition (scatter for ConvTranspose2D, interpolation matrices for Resize, numpy's own
pad/slicing/concatenate/transpose/reshape for the shape ops).

Run with Debian's python: /usr/bin/python3 scripts/gen_op_fixtures_spatial.py
Deterministic (fixed seed). The JSON layout is scripts/gen_op_fixtures.py's, whose writer this
reuses, so tests/ops/op_test_util.h's expect_fixture reads both.
"""
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from gen_op_fixtures import OUT_DIR, case_json, to_nchw, write  # noqa: E402

rng = np.random.default_rng(20240719)


def rand(shape, lo=-1.0, hi=1.0):
    """float32 values with 3 decimals, so the files stay short and readable."""
    return np.round(rng.uniform(lo, hi, size=shape), 3).astype(np.float32)


def both_layouts(name, attrs, tensors, x, y):
    """The case in NHWC and, transposed by numpy, in NCHW."""
    return [case_json(name + "_nhwc", dict(attrs, layout="NHWC"), tensors, [x], [y]),
            case_json(name + "_nchw", dict(attrs, layout="NCHW"), tensors, [to_nchw(x)], [to_nchw(y)])]


# ---------------------------------------------------------------------------- ConvTranspose2D

def conv_transpose2d_nhwc(x, w, b, strides, dilations, pads, output_padding, groups):
    """Scatter every input pixel into the full output, crop the pads, append output_padding
    rows/columns (bias only)."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    n, h, wd, c = x.shape
    cin, og, kh, kw = w.shape
    assert c == cin and cin % groups == 0
    cg = cin // groups
    sh, sw = strides
    dh, dw = dilations
    pt, pl, pb, pr = pads
    full_h = (h - 1) * sh + dh * (kh - 1) + 1
    full_w = (wd - 1) * sw + dw * (kw - 1) + 1
    oh = full_h - pt - pb + output_padding[0]
    ow = full_w - pl - pr + output_padding[1]
    assert oh >= 1 and ow >= 1
    # Room for output_padding past the full extent.
    full = np.zeros((n, full_h + output_padding[0], full_w + output_padding[1], og * groups))
    for iy, ix, ky, kx in np.ndindex(h, wd, kh, kw):
        for g in range(groups):
            xs = x[:, iy, ix, g * cg:(g + 1) * cg]             # [n, cg]
            ws = w[g * cg:(g + 1) * cg, :, ky, kx]             # [cg, og]
            full[:, iy * sh + ky * dh, ix * sw + kx * dw, g * og:(g + 1) * og] += xs @ ws
    y = full[:, pt:pt + oh, pl:pl + ow, :]
    assert y.shape[1:3] == (oh, ow)
    if b is not None:
        y = y + b.astype(np.float64)
    return y


def conv_transpose2d_by_conv(x, w, b, strides, dilations, pads, output_padding, groups):
    """Cross-check: insert stride-1 zeros between input pixels, zero-pad by the dilated kernel
    extent - 1, correlate with the spatially flipped kernel (a plain conv), crop."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    n, h, wd, c = x.shape
    cin, og, kh, kw = w.shape
    cg = cin // groups
    sh, sw = strides
    dh, dw = dilations
    ext_h, ext_w = dh * (kh - 1), dw * (kw - 1)
    z = np.zeros((n, (h - 1) * sh + 1, (wd - 1) * sw + 1, c))
    z[:, ::sh, ::sw, :] = x
    z = np.pad(z, ((0, 0), (ext_h, ext_h + output_padding[0]), (ext_w, ext_w + output_padding[1]), (0, 0)))
    fh = (h - 1) * sh + ext_h + 1 + output_padding[0]
    fw = (wd - 1) * sw + ext_w + 1 + output_padding[1]
    full = np.zeros((n, fh, fw, og * groups))
    wf = w[:, :, ::-1, ::-1]
    for i, j in np.ndindex(fh, fw):
        patch = z[:, i:i + ext_h + 1:dh, j:j + ext_w + 1:dw, :]
        for g in range(groups):
            full[:, i, j, g * og:(g + 1) * og] = np.einsum(
                "nyxc,coyx->no", patch[..., g * cg:(g + 1) * cg], wf[g * cg:(g + 1) * cg])
    pt, pl, pb, pr = pads
    y = full[:, pt:fh - pb, pl:fw - pr, :]
    if b is not None:
        y = y + b.astype(np.float64)
    return y


def conv_transpose2d_cases():
    specs = [
        # name, x shape (NHWC), weights shape (IOHW), bias?, attrs
        ("k3_s2", (1, 3, 4, 2), (2, 2, 3, 3), True, {"strides": [2, 2]}),
        # PyTorch-style padding 1, output_padding 1: full 2H+1, crop 1 + 1, add 1: out 2H; the
        # added row/column is the full output's last, so it holds real sums.
        ("k3_s2_pads1_outpad1", (1, 3, 3, 2), (2, 2, 3, 3), True,
         {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}),
        ("k4_s2_pads1", (1, 3, 3, 3), (3, 2, 4, 4), True, {"strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ("k4_s2_asym_pads_no_bias", (2, 2, 3, 2), (2, 2, 4, 4), False,
         {"strides": [2, 2], "pads": [0, 2, 1, 0]}),
        # Bottom pad 0 with output_padding 1: the last row lies past the full extent (bias only).
        ("k3_dilation2_outpad", (1, 3, 3, 2), (2, 2, 3, 3), True,
         {"dilations": [2, 2], "pads": [1, 0, 0, 1], "output_padding": [1, 0]}),
        # One row and one column past the full extent.
        ("rect_s3x1_d1x2", (1, 2, 4, 2), (2, 3, 2, 3), True,
         {"strides": [3, 1], "dilations": [1, 2], "output_padding": [2, 1], "pads": [0, 1, 1, 0]}),
        ("groups2", (1, 3, 3, 4), (4, 1, 3, 3), True, {"groups": 2, "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ("depthwise_k4_s2", (1, 3, 3, 3), (3, 1, 4, 4), False,
         {"groups": 3, "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ]
    cases = []
    for name, xs, ws, has_bias, attrs in specs:
        x = rand(xs)
        w = rand(ws)
        b = rand((ws[1] * attrs.get("groups", 1),)) if has_bias else None
        args = (attrs.get("strides", [1, 1]), attrs.get("dilations", [1, 1]),
                attrs.get("pads", [0, 0, 0, 0]), attrs.get("output_padding", [0, 0]),
                attrs.get("groups", 1))
        y = conv_transpose2d_nhwc(x, w, b, *args)
        assert np.allclose(y, conv_transpose2d_by_conv(x, w, b, *args), rtol=1e-12, atol=1e-12), name
        tensors = {"weights": w}
        if b is not None:
            tensors["bias"] = b
        cases += both_layouts(name, attrs, tensors, x, y)
    write("ConvTranspose2D", cases)


# ---------------------------------------------------------------------------- AvgPool2D

def pooled_size(size, k, s, pad_begin, pad_end, ceil_mode, any_pad):
    span = size + pad_begin + pad_end - k
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    if any_pad and (out - 1) * s >= size + pad_begin:  # Caffe: if (pad_h_ || pad_w_)
        out -= 1
    return out


def avgpool2d_nhwc(x, kernel, strides, pads, ceil_mode, count_include_pad):
    """Mask-based: pad x with zeros and a 0/1 "in image" mask with zeros; sums over each window
    give the numerator (x) and the in-image count (mask). Caffe's divisor is the window clipped
    only at the padded edge H + pad_bottom, a second mask of ones over the padded extent."""
    x = x.astype(np.float64)
    n, h, w, c = x.shape
    kh, kw = kernel
    sh, sw = strides
    pt, pl, pb, pr = pads
    any_pad = any(p > 0 for p in pads)
    oh = pooled_size(h, kh, sh, pt, pb, ceil_mode, any_pad)
    ow = pooled_size(w, kw, sw, pl, pr, ceil_mode, any_pad)
    extra = ((0, 0), (pt, pb + kh), (pl, pr + kw), (0, 0))  # + margin for ceil-mode windows
    xp = np.pad(x, extra)
    inside = np.pad(np.ones((1, h, w, 1)), extra)
    padded = np.pad(np.ones((1, h + pt + pb, w + pl + pr, 1)), ((0, 0), (0, kh), (0, kw), (0, 0)))
    y = np.empty((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            win = (slice(None), slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))
            total = xp[win].sum(axis=(1, 2))
            divisor = (padded if count_include_pad else inside)[win].sum()
            assert inside[win].sum() > 0
            y[:, i, j, :] = total / divisor
    return y


def avgpool2d_cases():
    specs = [
        # name, x shape (NHWC), attrs
        ("k2_s2_valid", (1, 4, 5, 3), {"kernel": [2, 2], "strides": [2, 2]}),
        ("k3_s1_same_exclude_pad", (1, 5, 6, 2), {"kernel": [3, 3], "pads": [1, 1, 1, 1]}),
        ("k3_s2_asym_pads_exclude", (2, 6, 5, 2), {"kernel": [3, 3], "strides": [2, 2], "pads": [0, 1, 1, 0]}),
        ("k3_s2_pads_include", (1, 6, 6, 2),
         {"kernel": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": True}),
        ("k3x2_s1x2_asym_include", (1, 5, 6, 2),
         {"kernel": [3, 2], "strides": [1, 2], "pads": [2, 1, 0, 1], "count_include_pad": True}),
        # Caffe-style: ceil rounding; the last window runs past the bottom/right padding, so
        # Caffe's divisor counts it only up to H + pad.
        ("ceil_pads_include", (1, 6, 6, 2),
         {"kernel": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": True,
          "count_include_pad": True}),
        ("ceil_pads_exclude", (1, 6, 6, 2),
         {"kernel": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": True}),
        ("ceil_no_pads_include", (1, 6, 7, 2),
         {"kernel": [3, 3], "strides": [2, 2], "ceil_mode": True, "count_include_pad": True}),
        # ceil gives 4 per axis; Caffe's clip drops the window starting at H + pad_top: 3.
        ("ceil_pads_clipped_include", (1, 5, 5, 1),
         {"kernel": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": True,
          "count_include_pad": True}),
        # Padding only at the bottom/right: Caffe's divisor must use the end pads.
        ("end_pads_include", (1, 5, 6, 1),
         {"kernel": [3, 3], "strides": [2, 2], "pads": [0, 0, 2, 1], "count_include_pad": True}),
    ]
    cases = []
    for name, xs, attrs in specs:
        x = rand(xs)
        y = avgpool2d_nhwc(x, attrs["kernel"], attrs.get("strides", [1, 1]), attrs.get("pads", [0, 0, 0, 0]),
                           attrs.get("ceil_mode", False), attrs.get("count_include_pad", False))
        cases += both_layouts(name, attrs, {}, x, y)
    write("AvgPool2D", cases)


# ---------------------------------------------------------------------------- Pad

def pad_cases():
    specs = [
        ("rank4_nhwc_spatial", (1, 3, 4, 2), [0, 1, 2, 0, 0, 2, 1, 0], 0.0),
        ("rank3_value", (2, 3, 2), [1, 0, 1, 2, 1, 0], -1.5),
        ("rank1", (5,), [3, 1], 0.25),
        ("rank5_all_axes", (1, 2, 2, 1, 2), [1, 0, 1, 1, 0, 0, 1, 0, 1, 1], 2.0),
    ]
    cases = []
    for name, xs, pads, value in specs:
        x = rand(xs)
        r = len(xs)
        y = np.pad(x.astype(np.float64), list(zip(pads[:r], pads[r:])), constant_values=value)
        cases.append(case_json(name, {"pads": pads, "value": value}, {}, [x], [y]))
    write("Pad", cases)


# ---------------------------------------------------------------------------- Slice

def slice_cases():
    specs = [
        # Keras Cropping2D((1, 2), (0, 1)) on NHWC
        ("crop2d_nhwc", (1, 5, 6, 2), {"axes": [1, 2], "begin": [1, 0], "end": [-2, -1]}),
        ("negative_axis_and_begin", (2, 3, 7), {"axes": [-1], "begin": [-5], "end": [6]}),
        ("axes_unordered", (3, 4, 5), {"axes": [2, 0], "begin": [1, 1], "end": [4, 3]}),
        ("rank1", (9,), {"axes": [0], "begin": [2], "end": [-3]}),
    ]
    cases = []
    for name, xs, attrs in specs:
        x = rand(xs)
        index = [slice(None)] * len(xs)
        for a, b, e in zip(attrs["axes"], attrs["begin"], attrs["end"]):
            index[a] = slice(b, e)  # numpy's own negative-index rules
        y = x.astype(np.float64)[tuple(index)]
        assert y.size > 0
        cases.append(case_json(name, attrs, {}, [x], [y]))
    write("Slice", cases)


# ---------------------------------------------------------------------------- Resize

def source_matrix(n_in, scale, mode, coordinates):
    """[out, in] matrix A with out = A @ in along one axis, built from the coordinate formulas."""
    n_out = n_in * scale
    a = np.zeros((n_out, n_in))
    for dst in range(n_out):
        if coordinates == "asymmetric":
            src = dst / scale
        elif coordinates == "half_pixel":
            src = (dst + 0.5) / scale - 0.5
        else:
            src = 0.0 if n_out == 1 else dst * (n_in - 1) / (n_out - 1)
        if mode == "nearest":
            if coordinates == "asymmetric":
                i = int(np.floor(src))
            elif coordinates == "half_pixel":
                i = int(np.ceil(src - 0.5))  # round half down
            else:
                # round half up, exactly: src = dst*(in-1)/(out-1) as a fraction
                num, den = dst * (n_in - 1), max(n_out - 1, 1)
                i = (2 * num + den) // (2 * den)
            a[dst, min(max(i, 0), n_in - 1)] = 1.0
        else:
            if coordinates == "half_pixel":
                src = max(src, 0.0)
            lower = min(max(int(np.floor(src)), 0), n_in - 1)
            upper = min(lower + 1, n_in - 1)
            t = src - np.floor(src)
            a[dst, lower] += 1.0 - t
            a[dst, upper] += t
    return a


def resize_cases():
    cases = []
    shapes = {(2, 2): (1, 3, 3, 2), (2, 3): (1, 3, 2, 2), (3, 3): (1, 3, 2, 1)}
    for mode in ("nearest", "bilinear"):
        for coordinates in ("asymmetric", "half_pixel", "align_corners"):
            for scales, xs in shapes.items():
                if scales == (3, 3) and coordinates != "align_corners":
                    continue  # (3, 3) exists for align_corners' exact rounding ties
                x = rand(xs)
                ah = source_matrix(xs[1], scales[0], mode, coordinates)
                aw = source_matrix(xs[2], scales[1], mode, coordinates)
                y = np.einsum("ph,nhwc,qw->npqc", ah, x.astype(np.float64), aw)
                name = "%s_%s_%dx%d" % (mode, coordinates, scales[0], scales[1])
                attrs = {"scales": list(scales), "mode": mode, "coordinates": coordinates}
                cases += both_layouts(name, attrs, {}, x, y)
    write("Resize", cases)


# ---------------------------------------------------------------------------- Concat, Transpose, Reshape

def concat_cases():
    specs = [
        ("channels_last", [(1, 2, 3, 2), (1, 2, 3, 3), (1, 2, 3, 1)], -1),
        ("axis1_nchw_channels", [(1, 2, 2, 3), (1, 3, 2, 3)], 1),
        ("axis0", [(2, 3), (1, 3)], 0),
        ("single_input", [(2, 2, 2)], -2),
        ("middle_axis_four", [(2, 1, 3), (2, 2, 3), (2, 1, 3), (2, 3, 3)], 1),
    ]
    cases = []
    for name, shapes, axis in specs:
        xs = [rand(s) for s in shapes]
        y = np.concatenate([x.astype(np.float64) for x in xs], axis=axis)
        cases.append(case_json(name, {"axis": axis}, {}, xs, [y]))
    write("Concat", cases)


def transpose_cases():
    specs = [
        ("nhwc_to_nchw", (2, 3, 4, 2), [0, 3, 1, 2]),
        ("nchw_to_nhwc", (1, 2, 3, 4), [0, 2, 3, 1]),
        ("rank3_keras_permute", (2, 3, 4), [0, 2, 1]),
        ("rank5_reverse", (2, 1, 3, 2, 2), [4, 3, 2, 1, 0]),
        ("rank2", (3, 5), [1, 0]),
        ("identity", (2, 3), [0, 1]),
    ]
    cases = []
    for name, xs, perm in specs:
        x = rand(xs)
        cases.append(case_json(name, {"perm": perm}, {}, [x], [np.transpose(x.astype(np.float64), perm)]))
    write("Transpose", cases)


def reshape_cases():
    specs = [
        ("flatten", (2, 3, 2, 2), [2, -1]),
        ("unflatten", (1, 12), [1, 2, 3, 2]),
        ("infer_middle", (2, 6, 2), [2, -1, 4]),
        ("rank1", (2, 3), [6]),
    ]
    cases = []
    for name, xs, shape in specs:
        x = rand(xs)
        cases.append(case_json(name, {"shape": shape}, {}, [x], [x.astype(np.float64).reshape(shape)]))
    write("Reshape", cases)


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    conv_transpose2d_cases()
    avgpool2d_cases()
    pad_cases()
    slice_cases()
    resize_cases()
    concat_cases()
    transpose_cases()
    reshape_cases()


if __name__ == "__main__":
    main()
