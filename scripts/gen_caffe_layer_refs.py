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
    return c


def make_input(name, k, shape, case_name):
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
            listing.append({"case": name, "inputs": len(inputs), "weights": bool(blobs),
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
