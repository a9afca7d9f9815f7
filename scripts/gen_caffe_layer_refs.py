#!/usr/bin/python3
"""Generates tests/fixtures/caffe-layers/: one small net per Caffe layer case, with reference
outputs computed independently of ingot.

    /usr/bin/python3 scripts/gen_caffe_layer_refs.py

Needs /usr/bin/python3 with numpy, cv2 (Debian python3-opencv 4.6), google.protobuf and protoc:
our schema src/frontends/caffe/caffe.proto is compiled at run time, so the fixtures are written
with the field numbers the C++ importer reads.

Per case <name>/ holds net.prototxt, net.caffemodel (the layer's seeded blobs; only where it has some),
in<k>.npy (float32, fed to the net's inputs in order) and want.npy (the top "out"). cases.json
lists every case with its reference: "opencv" (OpenCV DNN 4.6 forward, backend OPENCV, CPU,
one thread) where OpenCV implements the layer with Caffe's semantics, else "numpy" (a formula
written here from the Caffe layer's documented behaviour, in float64, rounded once).
Deterministic: seeded inputs and blobs.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "caffe-layers")
PROTO_DIR = os.path.join(ROOT, "src", "frontends", "caffe")

pb = None


def compile_proto(tmp):
    global pb
    subprocess.check_call(["protoc", "--proto_path=" + PROTO_DIR, "--python_out=" + tmp, "caffe.proto"])
    sys.path.insert(0, tmp)
    import caffe_pb2
    pb = caffe_pb2


def inputs_text(shapes):
    return "".join('layer { name: "in%d" type: "Input" top: "in%d" input_param { shape { %s } } }\n'
                   % (i, i, " ".join("dim: %d" % d for d in s)) for i, s in enumerate(shapes))


def rng_for(name):
    return np.random.default_rng(sum(ord(c) * (i + 1) for i, c in enumerate(name)))


# ---- numpy references, from the Caffe layers' documented behaviour --------------------------

def ref_bias(x, b, axis):
    return x + b.reshape(b.shape + (1,) * (x.ndim - axis - b.ndim))


def ref_scale(x, s, axis, bias=None):
    s = s.reshape(s.shape + (1,) * (x.ndim - axis - s.ndim))
    y = x * s
    if bias is not None:
        y = y + bias.reshape(s.shape)
    return y


def ref_reduction(x, op, axis, coeff):
    axes = tuple(range(axis, x.ndim))
    f = {"SUM": lambda v: v.sum(axes), "ASUM": lambda v: np.abs(v).sum(axes),
         "SUMSQ": lambda v: (v * v).sum(axes), "MEAN": lambda v: v.mean(axes)}[op]
    return f(x) * coeff


def ref_batch_norm_batch_stats(x, eps):
    axes = (0,) + tuple(range(2, x.ndim))
    m = x.mean(axes, keepdims=True)
    v = ((x - m) ** 2).mean(axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


def ref_mvn(x, normalize_variance, across_channels, eps):
    axes = tuple(range(1 if across_channels else 2, x.ndim))
    m = x.mean(axes, keepdims=True)
    y = x - m
    if normalize_variance:
        y = y / (np.sqrt((y ** 2).mean(axes, keepdims=True)) + eps)
    return y


def ref_tile(x, axis, tiles):
    # Caffe: for each index of the axes before `axis`, the block from `axis` on, `tiles` times.
    outer = int(np.prod(x.shape[:axis]))
    block = x.reshape(outer, -1)
    return np.concatenate([block] * tiles, axis=1).reshape(x.shape[:axis] + (x.shape[axis] * tiles,) + x.shape[axis + 1:])


def ref_argmax(x, axis, top_k, out_max_val):
    # Caffe's ArgMaxLayer: std::partial_sort of (value, index) pairs with std::greater, so the
    # larger value first and, among equal values, the larger index first.
    if axis is None:
        flat = x.reshape(x.shape[0], -1)
        out = np.zeros((x.shape[0], 2 if out_max_val else 1, top_k) + (1,) * max(0, x.ndim - 3))
        for i, row in enumerate(flat):
            order = sorted(range(row.size), key=lambda j: (row[j], j), reverse=True)[:top_k]
            out[i, 0, :].flat[:] = order
            if out_max_val:
                out[i, 1, :].flat[:] = row[order]
        return out
    moved = np.moveaxis(x, axis, -1)
    res = np.zeros(moved.shape[:-1] + (top_k,))
    for idx in np.ndindex(moved.shape[:-1]):
        row = moved[idx]
        order = sorted(range(row.size), key=lambda j: (row[j], j), reverse=True)[:top_k]
        res[idx] = row[order] if out_max_val else order
    return np.moveaxis(res, -1, axis)


def interp_matrix(n_in, n_out):
    # caffe_cpu_interp2 (PSPNet): src = dst * (in - 1) / (out - 1) (0 when out == 1), blending
    # rows floor(src) and floor(src) + 1 (the last row alone at the edge); equal sizes copy.
    m = np.zeros((n_out, n_in))
    r = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    for d in range(n_out):
        src = r * d if n_in != n_out else float(d)
        lo = int(src)
        t = src - lo
        hi = lo + 1 if lo < n_in - 1 else lo
        m[d, lo] += 1 - t
        m[d, hi] += t
    return m


def ref_interp(x, h_out, w_out, pad_beg=0, pad_end=0):
    h, w = x.shape[2], x.shape[3]
    x = x[:, :, -pad_beg:h + pad_end, -pad_beg:w + pad_end]
    mh, mw = interp_matrix(x.shape[2], h_out), interp_matrix(x.shape[3], w_out)
    return np.einsum("oh,nchw,pw->ncop", mh, x, mw)


def ref_upsample_nearest(x, s):
    return x.repeat(s, axis=2).repeat(s, axis=3)


def bilinear_filter(k):
    # Caffe's BilinearFiller: f = ceil(k / 2), c = (2f - 1 - f % 2) / (2f).
    f = int(np.ceil(k / 2.0))
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    r = 1 - np.abs(np.arange(k) / f - c)
    return np.outer(r, r)


def ref_deconv(x, w, stride, pad, group, num_output, bias=None):
    # Caffe's DeconvolutionLayer: every input pixel scatters w[ci, co_local] into the output.
    n, c, h, wd = x.shape
    k = w.shape[2]
    oh, ow = (h - 1) * stride + k - 2 * pad, (wd - 1) * stride + k - 2 * pad
    full = np.zeros((n, num_output, (h - 1) * stride + k, (wd - 1) * stride + k))
    per_in, per_out = c // group, num_output // group
    for ci in range(c):
        g = ci // per_in
        for col in range(per_out):
            co = g * per_out + col
            for i in range(h):
                for j in range(wd):
                    full[:, co, i * stride:i * stride + k, j * stride:j * stride + k] += x[:, ci, i, j][:, None, None] * w[ci, col]
    y = full[:, :, pad:pad + oh, pad:pad + ow]
    if bias is not None:
        y = y + np.asarray(bias).reshape(1, -1, 1, 1)
    return y


def ref_bilinear_deconv(x, k, stride, pad, group, num_output, bias=None):
    w = np.broadcast_to(bilinear_filter(k), (x.shape[1], num_output // group, k, k))
    return ref_deconv(x, w, stride, pad, group, num_output, bias)


# ---- the cases -------------------------------------------------------------------------------
# (name, input shapes, layer text, {layer: [blobs]}, reference: "opencv" or fn(inputs, blobs))

def positive(shape, name):
    return rng_for(name).uniform(0.1, 3.0, shape).astype(np.float32)


def cases():
    c = []
    crop = 'layer { name: "out" type: "Crop" bottom: "in0" bottom: "in1" top: "out" crop_param { %s } }'
    c.append(("crop-axis2-offsets", [[1, 3, 9, 8], [1, 3, 5, 4]], crop % "axis: 2 offset: 2 offset: 3", {}, "opencv"))
    c.append(("crop-axis1-one-offset", [[2, 5, 7, 7], [2, 3, 4, 4]], crop % "axis: 1 offset: 1", {}, "opencv"))
    c.append(("crop-default", [[1, 2, 6, 6], [1, 1, 3, 5]], crop % "", {}, "opencv"))
    tile = 'layer { name: "out" type: "Tile" bottom: "in0" top: "out" tile_param { axis: %d tiles: %d } }'
    c.append(("tile-axis1", [[2, 3, 2, 2]], tile % (1, 3), {}, lambda i, b: ref_tile(i[0], 1, 3)))
    c.append(("tile-axis3", [[1, 2, 3, 4]], tile % (3, 2), {}, lambda i, b: ref_tile(i[0], 3, 2)))
    exp = 'layer { name: "out" type: "Exp" bottom: "in0" top: "out" exp_param { %s } }'
    c.append(("exp-default", [[1, 3, 4, 4]], exp % "", {}, "opencv"))
    c.append(("exp-base2-scale-shift", [[1, 3, 4, 4]], exp % "base: 2 scale: 0.5 shift: -1.5", {}, "opencv"))
    c.append(("exp-e-shift", [[1, 2, 3, 3]], exp % "scale: -1.25 shift: 0.75", {}, "opencv"))
    log = 'layer { name: "out" type: "Log" bottom: "in0" top: "out" log_param { %s } }'
    c.append(("log-default", [[1, 3, 4, 4]], log % "", {}, "opencv"))
    # OpenCV 4.6's Log ignores base, scale and shift (it returns ln(x); measured here): numpy.
    c.append(("log-base10-scale-shift", [[1, 3, 4, 4]], log % "base: 10 scale: 2 shift: 0.5", {},
              lambda i, b: np.log10(2.0 * i[0] + 0.5)))
    bias = 'layer { name: "out" type: "Bias" %s top: "out" bias_param { %s } }'
    c.append(("bias-blob-axis1", [[2, 4, 3, 3]], bias % ('bottom: "in0"', "axis: 1"), {"out": [[4]]},
              lambda i, b: ref_bias(i[0], b[0], 1)))
    c.append(("bias-blob-two-axes", [[1, 3, 4, 5]], bias % ('bottom: "in0"', "axis: 1 num_axes: 2"), {"out": [[3, 4]]},
              lambda i, b: ref_bias(i[0], b[0], 1)))
    c.append(("bias-bottom-axis2", [[2, 3, 4, 5], [4, 5]], bias % ('bottom: "in0" bottom: "in1"', "axis: 2"), {},
              lambda i, b: ref_bias(i[0], i[1], 2)))
    scale = 'layer { name: "out" type: "Scale" bottom: "in0" bottom: "in1" top: "out" scale_param { %s } }'
    c.append(("scale-bottom-axis0", [[2, 3, 4, 4], [2, 3]], scale % "axis: 0", {}, "opencv"))
    c.append(("scale-bottom-bias", [[1, 4, 3, 3], [4, 3, 3]], scale % "axis: 1 bias_term: true", {"out": [[4, 3, 3]]},
              lambda i, b: ref_scale(i[0], i[1], 1, b[0])))
    red = 'layer { name: "out" type: "Reduction" bottom: "in0" top: "out" reduction_param { operation: %s axis: %d coeff: %s } }'
    for op, axis, coeff in [("SUM", 1, "1"), ("ASUM", 2, "0.5"), ("SUMSQ", 1, "-2"), ("MEAN", 3, "3")]:
        c.append(("reduction-%s-axis%d" % (op.lower(), axis), [[2, 3, 4, 5]], red % (op, axis, coeff), {},
                  lambda i, b, op=op, axis=axis, coeff=float(coeff): ref_reduction(i[0], op, axis, coeff)))
    mvn = 'layer { name: "out" type: "MVN" bottom: "in0" top: "out" mvn_param { %s } }'
    c.append(("mvn-default", [[2, 3, 5, 4]], mvn % "", {}, "opencv"))
    # OpenCV 4.6's MVN adds eps to the variance, Caffe's to the standard deviation (measured:
    # 9e-4 apart at eps 1e-3), so a visible eps is checked against numpy; the default 1e-9
    # cannot tell them apart and stays with OpenCV.
    c.append(("mvn-across-channels", [[2, 3, 5, 4]], mvn % "across_channels: true eps: 0.001", {},
              lambda i, b: ref_mvn(i[0], True, True, 1e-3)))
    c.append(("mvn-mean-only", [[1, 3, 4, 4]], mvn % "normalize_variance: false", {}, "opencv"))
    bn = 'layer { name: "out" type: "BatchNorm" bottom: "in0" top: "out" batch_norm_param { use_global_stats: false eps: 0.001 } }'
    c.append(("batchnorm-batch-statistics", [[3, 4, 3, 5]], bn, {"out": [[4], [4], [1]]},
              lambda i, b: ref_batch_norm_batch_stats(i[0], 0.001)))
    # ArgMax: OpenCV 4.6 has no Caffe ArgMax layer ("Can't create layer of type ArgMax"): numpy.
    # Inputs are small integers, so ties are everywhere.
    am = 'layer { name: "out" type: "ArgMax" bottom: "in0" top: "out" argmax_param { %s } }'
    for name, shape, text, axis, k, mv in [
            ("argmax-default", [2, 3, 2, 2], "", None, 1, False),
            ("argmax-top3-out-max-val", [2, 3, 2, 2], "top_k: 3 out_max_val: true", None, 3, True),
            ("argmax-axis1-top2", [2, 5, 3, 3], "axis: 1 top_k: 2", 1, 2, False),
            ("argmax-axis-last-out-max-val", [1, 2, 3, 6], "axis: -1 top_k: 2 out_max_val: true", 3, 2, True)]:
        c.append((name, [shape], am % text, {}, lambda i, b, axis=axis, k=k, mv=mv: ref_argmax(i[0], axis, k, mv)))
    # Interp: OpenCV 4.6 implements it, but its Caffe parser's schema has no interp_param
    # ("LayerParameter has no field named interp_param"), so no Interp net that sets its size
    # loads there: numpy, from caffe_cpu_interp2.
    ip = 'layer { name: "out" type: "Interp" %s top: "out" interp_param { %s } }'
    c.append(("interp-zoom2", [[1, 2, 5, 4]], ip % ('bottom: "in0"', "zoom_factor: 2"), {},
              lambda i, b: ref_interp(i[0], 9, 7)))
    c.append(("interp-height-width", [[1, 3, 4, 5]], ip % ('bottom: "in0"', "height: 7 width: 10"), {},
              lambda i, b: ref_interp(i[0], 7, 10)))
    c.append(("interp-shrink2", [[1, 2, 9, 7]], ip % ('bottom: "in0"', "shrink_factor: 2"), {},
              lambda i, b: ref_interp(i[0], 5, 4)))
    c.append(("interp-crop-zoom3", [[1, 2, 6, 5]], ip % ('bottom: "in0"', "zoom_factor: 3 pad_beg: -1 pad_end: -1"), {},
              lambda i, b: ref_interp(i[0], 10, 7, -1, -1)))
    c.append(("interp-second-bottom", [[1, 2, 3, 4], [1, 1, 6, 9]], ip % ('bottom: "in0" bottom: "in1"', ""), {},
              lambda i, b: ref_interp(i[0], 6, 9)))
    # A PSPNet caffemodel (interp_param at field 143, BVLC's input_param in our schema) loads.
    c.append(("interp-pspnet-caffemodel", [[1, 2, 4, 4]], ip % ('bottom: "in0"', "height: 6 width: 5"), {},
              lambda i, b: ref_interp(i[0], 6, 5)))
    # Upsample (YOLOv3 ports): nearest-neighbour repetition; OpenCV 4.6's Caffe schema has no
    # upsample_param either: numpy.
    up = 'layer { name: "out" type: "Upsample" bottom: "in0" top: "out" upsample_param { scale: %d } }'
    c.append(("upsample-scale2", [[1, 3, 4, 5]], up % 2, {}, lambda i, b: ref_upsample_nearest(i[0], 2)))
    c.append(("upsample-scale3", [[2, 2, 3, 2]], up % 3, {}, lambda i, b: ref_upsample_nearest(i[0], 3)))
    # Deconvolution without blobs, weights from the bilinear filler (FCN): OpenCV 4.6 crashes on
    # a Deconvolution without blobs (measured: segmentation fault), so numpy.
    dc = ('layer { name: "out" type: "Deconvolution" bottom: "in0" top: "out" convolution_param { %s '
          'weight_filler { type: "bilinear" } %s } }')
    c.append(("deconv-bilinear-fcn", [[1, 3, 5, 5]], dc % ("num_output: 3 group: 3 kernel_size: 4 stride: 2 bias_term: false", ""),
              {}, lambda i, b: ref_bilinear_deconv(i[0], 4, 2, 0, 3, 3)))
    c.append(("deconv-bilinear-k3-bias", [[1, 2, 4, 4]],
              dc % ("num_output: 2 group: 2 kernel_size: 3 stride: 1 pad: 1", 'bias_filler { type: "constant" value: 0.5 }'),
              {}, lambda i, b: ref_bilinear_deconv(i[0], 3, 1, 1, 2, 2, [0.5, 0.5])))
    c.append(("deconv-bilinear-dense-pad1", [[1, 2, 3, 3]], dc % ("num_output: 3 kernel_size: 4 stride: 2 pad: 1 bias_term: false", ""),
              {}, lambda i, b: ref_bilinear_deconv(i[0], 4, 2, 1, 1, 3)))
    return c


def write_pspnet_caffemodel(path):
    # The Interp layer as PSPNet's Caffe saves it: LayerParameter field 143 holding an
    # InterpParameter (height 6 = field 1, width 5 = field 2), written by hand because our
    # schema gives 143 to input_param.
    net = pb.NetParameter()
    layer = net.layer.add()
    layer.name = "out"
    layer.type = "Interp"
    interp = bytes([0x08, 6, 0x10, 5])
    tag = (143 << 3) | 2
    raw = bytes([(tag & 0x7F) | 0x80, tag >> 7, len(interp)]) + interp
    data = net.SerializeToString()
    # The layer entry (NetParameter field 100) grows by the raw field: rewrite its length.
    inner = layer.SerializeToString() + raw
    outer_tag = bytes([(100 << 3 | 2) & 0x7F | 0x80, (100 << 3 | 2) >> 7])
    assert data.startswith(outer_tag)
    with open(path, "wb") as f:
        f.write(outer_tag + varint(len(inner)) + inner)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def make_input(name, k, shape, case_name):
    if case_name.startswith("argmax"):
        return rng_for(name + str(k)).integers(0, 4, shape).astype(np.float32)
    if case_name.startswith("log"):
        return positive(shape, name + str(k))
    return rng_for(name + str(k)).uniform(-2.0, 2.0, shape).astype(np.float32)


def write_caffemodel(path, blobs):
    net = pb.NetParameter()
    for layer_name, arrays in blobs.items():
        l = net.layer.add()
        l.name = layer_name
        for a in arrays:
            b = l.blobs.add()
            b.shape.dim.extend(a.shape)
            b.data.extend(a.ravel().tolist())
    with open(path, "wb") as f:
        f.write(net.SerializeToString())


def opencv_forward(proto_path, model_path, inputs):
    import cv2
    cv2.setNumThreads(1)
    net = cv2.dnn.readNetFromCaffe(proto_path, model_path)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    net.enableFusion(False)
    for k, x in enumerate(inputs):
        net.setInput(x, "in%d" % k)
    return net.forward("out")


def main():
    tmp = tempfile.mkdtemp()
    try:
        compile_proto(tmp)
        listing = []
        for name, shapes, layer, blob_shapes, reference in cases():
            d = os.path.join(OUT, name)
            os.makedirs(d, exist_ok=True)
            text = 'name: "%s"\n' % name + inputs_text(shapes) + layer + "\n"
            with open(os.path.join(d, "net.prototxt"), "w") as f:
                f.write(text)
            rng = rng_for(name + "/blobs")
            blobs = {k: [rng.uniform(0.5, 1.5, s).astype(np.float32) for s in v] for k, v in blob_shapes.items()}
            if name.startswith("batchnorm"):
                blobs["out"][2][:] = 1.0  # the stored statistics, which this layer must ignore
            if blobs:
                write_caffemodel(os.path.join(d, "net.caffemodel"), blobs)
            if name == "interp-pspnet-caffemodel":
                write_pspnet_caffemodel(os.path.join(d, "net.caffemodel"))
            inputs = [make_input(name, k, s, name) for k, s in enumerate(shapes)]
            for k, x in enumerate(inputs):
                np.save(os.path.join(d, "in%d.npy" % k), x)
            layer_blobs = blobs.get("out", [])
            if reference == "opencv":
                want = opencv_forward(os.path.join(d, "net.prototxt"), os.path.join(d, "net.caffemodel") if blobs else "", inputs)
            else:
                want = reference([x.astype(np.float64) for x in inputs], [b.astype(np.float64) for b in layer_blobs])
            want = np.ascontiguousarray(want, dtype=np.float32)
            np.save(os.path.join(d, "want.npy"), want)
            listing.append({"case": name, "inputs": len(inputs),
                            "weights": bool(blobs) or os.path.exists(os.path.join(d, "net.caffemodel")),
                            "reference": "opencv" if reference == "opencv" else "numpy",
                            "shape": list(want.shape)})
            print("%-28s %-7s %s" % (name, listing[-1]["reference"], list(want.shape)))
        with open(os.path.join(OUT, "cases.json"), "w") as f:
            json.dump(listing, f, indent=1)
            f.write("\n")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
