#!/usr/bin/python3
"""Generates tests/fixtures/caffe/<case>/: independent reference data for the Caffe importer,
computed with OpenCV DNN (not with anything from ingot).

    /usr/bin/python3 scripts/gen_caffe_refs.py [CASE ...]      # no argument: every case
    /usr/bin/python3 scripts/gen_caffe_refs.py --list

Needs /usr/bin/python3 with numpy, cv2 (Debian python3-opencv 4.6) and google.protobuf
(python3-protobuf), and protoc (protobuf-compiler): our own schema
src/frontends/caffe/caffe.proto is compiled into a temp dir at run time, so that the prototxt
is parsed with exactly the field names and numbers the C++ importer uses.

Per case the folder holds
  input.npy        float32 NCHW blob fed to the network (after all preprocessing)
  blobs/<f>.npy    OpenCV's output of layer <name> (meta.json "blobs" maps name -> file; '/' in
                   a layer name becomes '__' in the file name), float32, batch dim included
  detections.npy   the DetectionOutput blob as OpenCV returns it, [1, 1, N, 7]
                   (image_id, label, score, xmin, ymin, xmax, ymax), SSD cases only
  weights.json     seeded weight recipe (weightless prototxts only; see below)
  meta.json        paths, shapes, preprocessing, per-layer table from our caffe_pb2 parse
                   (type, bottoms, tops, in_place), stored/skipped blobs, checks, notes.

OpenCV is run with backend DNN_BACKEND_OPENCV, target DNN_TARGET_CPU, enableFusion(False),
cv2.setNumThreads(1), and every layer requested in one net.forward(names). With fusion off
OpenCV keeps a layer's own output even where the prototxt computes in place (checked: every
stored ReLU output equals max(0, input) of the stored pre-activation exactly, and BatchNorm /
Scale outputs differ). Outputs are keyed by LAYER name: for an in-place layer (ReLU on
"conv1_1" -> "conv1_1") blobs/conv1_1.npy is the convolution's output and blobs/relu1_1.npy
the ReLU's, whereas Caffe's "conv1_1" top blob would hold the ReLU output after the forward.

Where OpenCV 4.6 cannot read a prototxt as it is, it reads a sanitized temp copy (never
committed; ingot reads the original): `visualize` / `visualize_threshold` removed from
detection_output_param (OpenCV's schema lacks them; display options of the original, no effect
on the output); PriorBox `clip: false` written where the prototxt leaves it unset (OpenCV's
default is true, Caffe's false); the input shape replaced where the case runs the net at
another size than the prototxt's. Every change is listed in meta.json "opencv_prototxt_changes".

Weightless prototxts (MobileNet-SSD x2, ResNet-10 SSD, TextBoxes) get seeded weights from a
recipe, weights.json, so that the C++ tests can rebuild them without Python: for every layer
with blobs, in prototxt order, each blob's shape and a generator
  {"kind": "constant", "value": v}                      every element v (float32)
  {"kind": "uniform", "lo": lo, "hi": hi, "seed": s}    element i = 0..count-1 (row-major):
      z = s + (i + 1) * 0x9E3779B97F4A7C15            (mod 2^64)
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9         (mod 2^64)
      z = (z ^ (z >> 27)) * 0x94D049BB133111EB         (mod 2^64)
      z = z ^ (z >> 31)
      u = (z >> 40) / 2^24                              (exact in float64)
      value = float32(lo + (hi - lo) * u)               (float64 arithmetic, one rounding;
                                                         no FMA contraction)
Seeds are crc32("<case>/<layer>/<blob index>") (< 2^32, exact in any JSON reader); lo and hi
have at most 4 significant digits, so they print and parse exactly as the same double.
weights.json also carries "self_check": the first values of the first uniform blob, as float32
bit patterns, for a C++ unit test of the generator. Blob order is Caffe's: Convolution weights
[O, I/g, kh, kw] then bias [O]; BatchNorm mean [C], variance [C] (> 0), scale factor [1] = 1.0;
Scale gamma [C] then beta [C] (bias_term); Normalize scale [C] (or [1] if channel_shared).
The bounds are calibrated (LSUV-like: one convolution at a time in prototxt order, OpenCV
forwards, then rounded) so that every convolution output has a standard deviation near 1 on the
case's photo; the mbox_conf heads are then scaled by the first of a few factors for which the
detections are non-trivial (>= 5, fewer than keep_top_k, several labels where the net has
several classes, no exact score ties, scores spread). Deterministic: a re-run writes the same
recipe. weights.json "calibration" records the tries.

TextBoxes (caffe-textboxes-vgg-ssd) cannot be run by OpenCV (nor by standard SSD Caffe): its
heads are sized for twice the priors the standard PriorBox makes. Its folder has meta.json only,
with the arithmetic and OpenCV's error.

Numpy checks (Caffe semantics, recorded in meta.json "checks", asserted): PriorBox of every
PriorBox layer, the decoding and score of the best detection of each image, ReLU, Pooling, LRN,
BatchNorm, Scale, Eltwise SUM and Normalize outputs from OpenCV's stored inputs.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import cv2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_REL = "../shared/models"
MODELS = os.path.normpath(os.path.join(ROOT, MODELS_REL))
OUT = os.path.join(ROOT, "tests", "fixtures", "caffe")
PHOTOS = os.path.join(OUT, "photos")
PROTO_DIR = os.path.join(ROOT, "src", "frontends", "caffe")

MB = 1024 * 1024
pb = None  # caffe_pb2, compiled at run time


# ---- photos -------------------------------------------------------------------------------------

def photo(name):
    """BGR uint8 image: name is 'yu:<file>' (the shared model's images/) or a file of photos/."""
    if name.startswith("yu:"):
        path = os.path.join(MODELS, "caffe-yufacedetectnet-ssd", "images", name[3:])
    else:
        path = os.path.join(PHOTOS, name)
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        sys.exit("cannot read photo %s" % path)
    return img


def photo_rel(name):
    if name.startswith("yu:"):
        return MODELS_REL + "/caffe-yufacedetectnet-ssd/images/" + name[3:]
    return "tests/fixtures/caffe/photos/" + name


SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"


def make_photos(skdata):
    """Recreates photos/ from Debian python3-skimage 0.19.3-8's data folder (see PHOTOS.md):
    astronaut.png top 512x384 (4:3) -> 320x240, chelsea.png centre 300x300 -> 32x32, both with
    INTER_AREA, written as PNG."""
    os.makedirs(PHOTOS, exist_ok=True)
    a = cv2.imread(os.path.join(skdata, "astronaut.png"), cv2.IMREAD_COLOR)
    assert a.shape == (512, 512, 3)
    cv2.imwrite(os.path.join(PHOTOS, "astronaut-320x240.png"),
                cv2.resize(a[:384], (320, 240), interpolation=cv2.INTER_AREA))
    c = cv2.imread(os.path.join(skdata, "chelsea.png"), cv2.IMREAD_COLOR)
    assert c.shape == (300, 451, 3)
    x0 = (451 - 300) // 2
    cv2.imwrite(os.path.join(PHOTOS, "chelsea-32x32.png"),
                cv2.resize(c[:, x0:x0 + 300], (32, 32), interpolation=cv2.INTER_AREA))


def render_digit(d, variant):
    """A handwriting-like digit rendered with an OpenCV Hershey font, normalized like MNIST:
    white on black, the bounding box scaled to fit 20x20 (aspect kept), placed in 28x28 with
    its centre of mass at the centre. Returns float64 in [0, 255]."""
    fonts = [cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SIMPLEX,
             cv2.FONT_HERSHEY_SCRIPT_COMPLEX, cv2.FONT_HERSHEY_DUPLEX]
    font = fonts[variant % len(fonts)]
    thick = 7 + 2 * ((variant // len(fonts)) % 3)
    canvas = np.zeros((160, 160), np.uint8)
    cv2.putText(canvas, str(d), (30, 125), font, 4.0, 255, thick, cv2.LINE_AA)
    shear = ((variant * 7) % 5 - 2) * 0.08
    m = np.float32([[1, shear, -shear * 80], [0, 1, 0]])
    canvas = cv2.warpAffine(canvas, m, (160, 160), flags=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(canvas)
    crop = canvas[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    s = 20.0 / max(h, w)
    nh, nw = max(1, int(round(h * s))), max(1, int(round(w * s)))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA).astype(np.float64)
    out = np.zeros((28, 28))
    yy, xx = np.mgrid[0:nh, 0:nw]
    cy, cx = (small * yy).sum() / small.sum(), (small * xx).sum() / small.sum()
    oy = int(np.clip(round(14 - cy), 0, 28 - nh))
    ox = int(np.clip(round(14 - cx), 0, 28 - nw))
    out[oy:oy + nh, ox:ox + nw] = small
    return out


# ---- prototxt -----------------------------------------------------------------------------------

def compile_proto(tmp):
    global pb
    subprocess.check_call(["protoc", "--proto_path=" + PROTO_DIR, "--python_out=" + tmp,
                           "caffe.proto"])
    sys.path.insert(0, tmp)
    import caffe_pb2
    pb = caffe_pb2


def parse_prototxt(path):
    from google.protobuf import text_format
    net = pb.NetParameter()
    with open(path) as f:
        text_format.Parse(f.read(), net)
    return net


def layer_table(net):
    """[{name, type, bottoms, tops, in_place, param}] in prototxt order (V2 or V1 layers)."""
    rows = []
    if len(net.layer):
        for l in net.layer:
            rows.append({"name": l.name, "type": l.type, "bottoms": list(l.bottom),
                         "tops": list(l.top), "proto": l})
    else:
        for l in net.layers:
            rows.append({"name": l.name, "type": pb.V1LayerParameter.LayerType.Name(l.type),
                         "bottoms": list(l.bottom), "tops": list(l.top), "proto": l})
    for r in rows:
        r["in_place"] = any(t in r["bottoms"] for t in r["tops"])
    return rows


def prototxt_input_shape(net):
    if len(net.input_shape):
        return [int(d) for d in net.input_shape[0].dim]
    if len(net.input_dim):
        return [int(d) for d in net.input_dim[:4]]
    for l in net.layer:
        if l.type == "Input":
            return [int(d) for d in l.input_param.shape[0].dim]
    raise ValueError("no input shape")


def opencv_copy(net, tmp, tag, input_shape=None):
    """Writes the sanitized copy OpenCV reads; returns (path, [changes])."""
    from google.protobuf import text_format
    net2 = pb.NetParameter()
    net2.CopyFrom(net)
    changes = []
    for l in net2.layer:
        if l.type == "DetectionOutput":
            p = l.detection_output_param
            for f in ("visualize", "visualize_threshold"):
                if p.HasField(f):
                    p.ClearField(f)
                    changes.append("%s: removed detection_output_param.%s (unknown to OpenCV "
                                   "4.6's schema; display option, no effect on the output)"
                                   % (l.name, f))
        if l.type == "PriorBox" and not l.prior_box_param.HasField("clip"):
            l.prior_box_param.clip = False
            changes.append("%s: prior_box_param.clip unset -> wrote clip: false (Caffe's default; "
                           "OpenCV's default is true)" % l.name)
    if input_shape is not None and list(input_shape) != prototxt_input_shape(net):
        if len(net2.input_shape):
            del net2.input_shape[0].dim[:]
            net2.input_shape[0].dim.extend(input_shape)
        elif len(net2.input_dim):
            net2.input_dim[:4] = input_shape
        else:
            for l in net2.layer:
                if l.type == "Input":
                    del l.input_param.shape[0].dim[:]
                    l.input_param.shape[0].dim.extend(input_shape)
        changes.append("input shape %s -> %s" % (prototxt_input_shape(net), list(input_shape)))
    path = os.path.join(tmp, tag + ".prototxt")
    with open(path, "w") as f:
        f.write(text_format.MessageToString(net2))
    return path, changes


# ---- seeded weights ------------------------------------------------------------------------------

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)


def splitmix_unit(seed, count):
    """u_i = (splitmix64 output >> 40) / 2^24, i = 0..count-1, as float64."""
    i = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + i * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * M1
        z = (z ^ (z >> np.uint64(27))) * M2
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)


_UNIT_CACHE = {}
_BYTES_CACHE = {}


def blob_from_gen(shape, gen):
    count = int(np.prod(shape))
    if gen["kind"] == "constant":
        return np.full(shape, gen["value"], np.float32)
    lo, hi = float(gen["lo"]), float(gen["hi"])
    key = (gen["seed"], count)
    if key not in _UNIT_CACHE:
        _UNIT_CACHE[key] = splitmix_unit(gen["seed"], count)
    u = _UNIT_CACHE[key]
    return (lo + (hi - lo) * u).astype(np.float32).reshape(shape)


def blob_bytes(b):
    key = json.dumps(b, sort_keys=True)
    if key not in _BYTES_CACHE:
        arr = blob_from_gen(b["shape"], b)
        dims = b"".join(_varint(d) for d in b["shape"])
        _BYTES_CACHE[key] = _field(7, _field(1, dims)) + _field(5, arr.astype("<f4").tobytes())
    return _BYTES_CACHE[key]


def sig4(x):
    return float("%.4g" % x)


def conv_geometry(p):
    k = list(p.kernel_size)
    kh = p.kernel_h if p.HasField("kernel_h") else k[0]
    kw = p.kernel_w if p.HasField("kernel_w") else (k[1] if len(k) > 1 else k[0])
    return kh, kw


def weight_specs(case, rows, in_channels):
    """Per layer with blobs: (row, [(shape, role)]), with channel counts tracked through the net
    (the network input blob is "data" in every prototxt here)."""
    ch = {"data": in_channels}
    specs = []
    for r in rows:
        l, t = r["proto"], r["type"]
        cin = ch.get(r["bottoms"][0]) if r["bottoms"] else None
        if t == "Input":
            for top in r["tops"]:
                ch[top] = in_channels
            continue
        blobs = []
        cout = cin
        if t == "Convolution":
            p = l.convolution_param
            kh, kw = conv_geometry(p)
            g = p.group
            blobs.append(([p.num_output, cin // g, kh, kw], "weight"))
            if p.bias_term:
                blobs.append(([p.num_output], "bias"))
            cout = p.num_output
        elif t == "BatchNorm":
            blobs = [([cin], "bn_mean"), ([cin], "bn_var"), ([1], "bn_factor")]
        elif t == "Scale":
            assert len(r["bottoms"]) == 1
            blobs = [([cin], "gamma")]
            if l.scale_param.bias_term:
                blobs.append(([cin], "beta"))
        elif t == "Normalize":
            blobs = [([1] if l.norm_param.channel_shared else [cin], "norm_scale")]
        elif t in ("InnerProduct", "PReLU", "Deconvolution"):
            raise NotImplementedError("weight recipe for %s" % t)
        elif t == "Concat":
            cs = [ch.get(b) for b in r["bottoms"]]
            cout = sum(cs) if None not in cs else None
        elif t not in ("ReLU", "Pooling", "Eltwise", "Dropout", "Sigmoid", "TanH", "Power"):
            cout = None
        for top in r["tops"]:
            ch[top] = cout
        if blobs:
            specs.append((r, blobs))
    return specs


def make_recipe(case, specs, gains):
    """gains: conv layer name -> multiplier of the He bound sqrt(6 / fan_in)."""
    layers = []
    for r, blobs in specs:
        entries = []
        for bi, (shape, role) in enumerate(blobs):
            seed = zlib.crc32(("%s/%s/%d" % (case, r["name"], bi)).encode())
            if role == "weight":
                fan_in = int(np.prod(shape[1:]))
                a = sig4(np.sqrt(6.0 / fan_in) * gains.get(r["name"], 1.0))
                gen = {"kind": "uniform", "lo": -a, "hi": a, "seed": seed}
            elif role == "bias":
                gen = {"kind": "uniform", "lo": -0.1, "hi": 0.1, "seed": seed}
            elif role == "bn_mean":
                gen = {"kind": "uniform", "lo": -0.5, "hi": 0.5, "seed": seed}
            elif role == "bn_var":
                gen = {"kind": "uniform", "lo": 0.5, "hi": 2.0, "seed": seed}
            elif role == "bn_factor":
                gen = {"kind": "constant", "value": 1.0}
            elif role == "gamma":
                gen = {"kind": "uniform", "lo": 0.5, "hi": 1.5, "seed": seed}
            elif role == "beta":
                gen = {"kind": "uniform", "lo": -0.2, "hi": 0.5, "seed": seed}
            elif role == "norm_scale":
                gen = {"kind": "uniform", "lo": 10.0, "hi": 20.0, "seed": seed}
            else:
                raise ValueError(role)
            entries.append(dict({"shape": list(shape)}, **gen))
        layers.append({"name": r["name"], "type": r["type"], "blobs": entries})
    return layers


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, payload):
    return _varint((num << 3) | 2) + _varint(len(payload)) + payload


def write_caffemodel(path, recipe_layers):
    """NetParameter{layer: [LayerParameter{name, type, blobs: [BlobProto{shape, data}]}]},
    protobuf wire format written directly (packed floats), field numbers of caffe.proto."""
    with open(path, "wb") as f:
        for L in recipe_layers:
            body = _field(1, L["name"].encode()) + _field(2, L["type"].encode())
            for b in L["blobs"]:
                body += _field(7, blob_bytes(b))
            f.write(_field(100, body))


def check_caffemodel(path, recipe_layers):
    net = pb.NetParameter()
    with open(path, "rb") as f:
        net.ParseFromString(f.read())
    assert [l.name for l in net.layer] == [L["name"] for L in recipe_layers]
    l0, L0 = net.layer[0], recipe_layers[0]
    assert list(l0.blobs[0].shape.dim) == L0["blobs"][0]["shape"]
    np.testing.assert_array_equal(np.array(l0.blobs[0].data, np.float32).reshape(-1),
                                  blob_from_gen(L0["blobs"][0]["shape"], L0["blobs"][0]).reshape(-1))


def load_layer_blobs(path, names):
    """{layer name: [float32 arrays]} of the named layers of a caffemodel (V2 or V1)."""
    if not names:
        return {}
    net = pb.NetParameter()
    with open(path, "rb") as f:
        net.ParseFromString(f.read())
    res = {}
    for l in list(net.layer) + list(net.layers):
        if l.name in names:
            res[l.name] = [np.array(b.data, np.float32) for b in l.blobs]
    return res


# ---- OpenCV ----------------------------------------------------------------------------------------

def run_opencv(prototxt, caffemodel, blob, fusion=False):
    net = cv2.dnn.readNetFromCaffe(prototxt, caffemodel)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    net.enableFusion(fusion)
    net.setInput(blob)
    names = list(net.getLayerNames())
    outs = net.forward(names)
    return {n: np.ascontiguousarray(o, dtype=np.float32) for n, o in zip(names, outs)}


# ---- Caffe-semantics checks in numpy ----------------------------------------------------------

def caffe_priors(p, lh, lw, ih, iw):
    """PriorBox as weiliu89/caffe computes it (float32 storage)."""
    mins = [float(int(m)) for m in p.min_size]          # Caffe reads min/max_size into int
    maxs = [float(int(m)) for m in p.max_size]
    ars = [1.0]
    for a in p.aspect_ratio:
        if all(abs(a - x) >= 1e-6 for x in ars):
            ars.append(a)
            if p.flip:
                ars.append(1.0 / a)
    if p.HasField("img_h") or p.HasField("img_w"):
        ih, iw = p.img_h, p.img_w
    elif p.HasField("img_size"):
        ih = iw = p.img_size
    if p.HasField("step_h") or p.HasField("step_w"):
        sh, sw = p.step_h, p.step_w
    elif p.HasField("step"):
        sh = sw = p.step
    else:
        sh, sw = np.float32(ih) / np.float32(lh), np.float32(iw) / np.float32(lw)
    boxes = []
    for h in range(lh):
        for w in range(lw):
            cx = np.float32((w + p.offset) * sw)
            cy = np.float32((h + p.offset) * sh)
            for s, mn in enumerate(mins):
                sizes = [(mn, mn)]
                if maxs:
                    sizes.append((np.sqrt(mn * maxs[s]),) * 2)
                for a in ars[1:]:
                    sizes.append((mn * np.sqrt(a), mn / np.sqrt(a)))
                for bw, bh in sizes:
                    bw, bh = np.float32(bw), np.float32(bh)
                    boxes.append([(cx - bw / 2.0) / iw, (cy - bh / 2.0) / ih,
                                  (cx + bw / 2.0) / iw, (cy + bh / 2.0) / ih])
    boxes = np.array(boxes, np.float64).reshape(-1)
    if p.clip:
        boxes = np.clip(boxes, 0.0, 1.0)
    var = list(p.variance) or [0.1]
    if len(var) == 1:
        v = np.full(boxes.size, var[0])
    else:
        v = np.tile(np.array(var, np.float64), boxes.size // 4)
    return np.stack([boxes, v]).astype(np.float32)[None]


def decode_center_size(loc, priors):
    """loc [P,4], priors [2, P*4] -> decoded boxes [P,4] (weiliu89 bbox_util DecodeBBox,
    CENTER_SIZE, variance_encoded_in_target false), float64."""
    pr = priors[0].reshape(-1, 4).astype(np.float64)
    var = priors[1].reshape(-1, 4).astype(np.float64)
    loc = loc.astype(np.float64)
    pw, ph = pr[:, 2] - pr[:, 0], pr[:, 3] - pr[:, 1]
    pcx, pcy = (pr[:, 0] + pr[:, 2]) / 2, (pr[:, 1] + pr[:, 3]) / 2
    cx = var[:, 0] * loc[:, 0] * pw + pcx
    cy = var[:, 1] * loc[:, 1] * ph + pcy
    w = np.exp(var[:, 2] * loc[:, 2]) * pw
    h = np.exp(var[:, 3] * loc[:, 3]) * ph
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)


def caffe_pool(x, p):
    """Caffe PoolingLayer (MAX / AVE, ceil rounding, Caffe's pad clipping), float64."""
    n, c, H, W = x.shape
    kh = p.kernel_h if p.HasField("kernel_h") else p.kernel_size
    kw = p.kernel_w if p.HasField("kernel_w") else p.kernel_size
    sh = p.stride_h if p.HasField("stride_h") else p.stride
    sw = p.stride_w if p.HasField("stride_w") else p.stride
    ph = p.pad_h if p.HasField("pad_h") else p.pad
    pw = p.pad_w if p.HasField("pad_w") else p.pad
    if p.global_pooling:
        kh, kw, sh, sw, ph, pw = H, W, 1, 1, 0, 0
    oh = int(np.ceil((H + 2 * ph - kh) / sh)) + 1
    ow = int(np.ceil((W + 2 * pw - kw) / sw)) + 1
    if ph or pw:
        if (oh - 1) * sh >= H + ph:
            oh -= 1
        if (ow - 1) * sw >= W + pw:
            ow -= 1
    out = np.zeros((n, c, oh, ow))
    xd = x.astype(np.float64)
    for i in range(oh):
        for j in range(ow):
            hs, ws = i * sh - ph, j * sw - pw
            he, we = min(hs + kh, H + ph), min(ws + kw, W + pw)
            size = (he - hs) * (we - ws)
            hs2, ws2, he2, we2 = max(hs, 0), max(ws, 0), min(he, H), min(we, W)
            win = xd[:, :, hs2:he2, ws2:we2]
            if p.pool == pb.PoolingParameter.MAX:
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                out[:, :, i, j] = win.sum(axis=(2, 3)) / size
    return out


def caffe_lrn(x, p):
    xd = x.astype(np.float64)
    n = p.local_size
    if p.norm_region == pb.LRNParameter.WITHIN_CHANNEL:
        # Caffe: square -> AVE pool (kernel n, pad (n-1)/2, stride 1) -> (1 + alpha * .)^-beta
        sq = np.pad(xd * xd, ((0, 0), (0, 0), ((n - 1) // 2,) * 2, ((n - 1) // 2,) * 2))
        H, W = x.shape[2:]
        acc = np.zeros_like(xd)
        for dy in range(n):
            for dx in range(n):
                acc += sq[:, :, dy:dy + H, dx:dx + W]
        return xd * (1.0 + p.alpha * acc / (n * n)) ** (-p.beta)
    sq = np.pad(xd * xd, ((0, 0), ((n - 1) // 2, n // 2), (0, 0), (0, 0)))
    acc = sum(sq[:, k:k + x.shape[1]] for k in range(n))
    return xd * (p.k + p.alpha * acc / n) ** (-p.beta)


def run_checks(rows, outs, in_blob, name_of_top_producer, weights):
    """Numpy recomputation (Caffe semantics) of every cheap layer whose inputs OpenCV gave us."""
    checks = []

    def inp(r, k=0):
        b = r["bottoms"][k]
        if b == "data":
            return in_blob
        return outs.get(name_of_top_producer[(r["name"], b)])

    for r in rows:
        name, t, l = r["name"], r["type"], r["proto"]
        if name not in outs:
            continue
        x = inp(r) if r["bottoms"] else None
        if x is None:
            continue
        y = outs[name]
        if t in ("ReLU", "RELU"):
            slope = l.relu_param.negative_slope
            ref = np.where(x > 0, x, x * np.float32(slope)).astype(np.float32)
            d = float(np.abs(ref - y).max())
            checks.append({"layer": name, "what": "ReLU == max(0, x) (x = stored input)",
                           "max_abs_diff": d})
            assert d == 0.0, name
        elif t in ("Pooling", "POOLING"):
            ref = caffe_pool(x, l.pooling_param)
            assert ref.shape == y.shape, (name, ref.shape, y.shape)
            d = float(np.abs(ref - y).max())
            checks.append({"layer": name, "what": "Pooling, Caffe semantics (ceil, pad clip, "
                           "AVE divisor)", "max_abs_diff": d,
                           "max_rel": d / float(np.abs(ref).max() + 1e-30)})
            assert d <= 1e-5 * (np.abs(ref).max() + 1), name
        elif t in ("LRN",):
            ref = caffe_lrn(x, l.lrn_param)
            d = float(np.abs(ref - y).max())
            checks.append({"layer": name, "what": "LRN, Caffe semantics", "max_abs_diff": d,
                           "max_rel": d / float(np.abs(ref).max() + 1e-30)})
            assert d <= 1e-5 * (np.abs(ref).max() + 1), name
        elif t == "BatchNorm":
            mean, var, f = weights[name]
            f = 0.0 if f[0] == 0 else 1.0 / float(f[0])
            m = mean.astype(np.float64)[None, :, None, None] * f
            v = var.astype(np.float64)[None, :, None, None] * f
            ref = (x.astype(np.float64) - m) / np.sqrt(v + l.batch_norm_param.eps)
            d = float(np.abs(ref - y).max())
            checks.append({"layer": name, "what": "BatchNorm == (x - mean/f) / sqrt(var/f + eps) "
                           "(a separate layer output: fusion off)", "max_abs_diff": d,
                           "max_rel": d / float(np.abs(ref).max() + 1e-30)})
            assert d <= 1e-5 * (np.abs(ref).max() + 1), (name, d)
        elif t == "Scale" and len(r["bottoms"]) == 1:
            w = weights[name]
            ref = x.astype(np.float64) * w[0].astype(np.float64)[None, :, None, None]
            if len(w) > 1:
                ref = ref + w[1].astype(np.float64)[None, :, None, None]
            d = float(np.abs(ref - y).max())
            checks.append({"layer": name, "what": "Scale == x * gamma + beta", "max_abs_diff": d,
                           "max_rel": d / float(np.abs(ref).max() + 1e-30)})
            assert d <= 1e-5 * (np.abs(ref).max() + 1), (name, d)
        elif t == "Eltwise" and l.eltwise_param.operation == pb.EltwiseParameter.SUM \
                and not len(l.eltwise_param.coeff):
            ref = sum(inp(r, k).astype(np.float64) for k in range(len(r["bottoms"])))
            d = float(np.abs(ref - y).max())
            checks.append({"layer": name, "what": "Eltwise SUM", "max_abs_diff": d})
            assert d <= 1e-5 * (np.abs(ref).max() + 1), (name, d)
        elif t == "Normalize":
            p = l.norm_param
            assert not p.across_spatial
            xd = x.astype(np.float64)
            norm = np.sqrt((xd * xd).sum(axis=1, keepdims=True) + p.eps)
            sc = weights[name][0].astype(np.float64).reshape(-1)
            sc = sc[None, :, None, None] if sc.size > 1 else sc[0]
            ref = xd / norm * sc
            d = float(np.abs(ref - y).max())
            checks.append({"layer": name, "what": "Normalize (across_spatial false) == "
                           "x / sqrt(sum_c x^2 + eps) * scale[c]", "max_abs_diff": d,
                           "max_rel": d / float(np.abs(ref).max() + 1e-30)})
            assert d <= 1e-5 * (np.abs(ref).max() + 1), (name, d)
    return checks


def check_priors(rows, outs, in_blob, name_of_top_producer):
    res = []
    for r in rows:
        if r["type"] != "PriorBox" or r["name"] not in outs:
            continue
        feat = outs[name_of_top_producer[(r["name"], r["bottoms"][0])]]
        ref = caffe_priors(r["proto"].prior_box_param, feat.shape[2], feat.shape[3],
                           in_blob.shape[2], in_blob.shape[3])
        y = outs[r["name"]]
        assert ref.shape == y.shape, (r["name"], ref.shape, y.shape)
        d = float(np.abs(ref.astype(np.float64) - y).max())
        res.append({"layer": r["name"], "what": "PriorBox recomputed in numpy (weiliu89 "
                    "prior_box_layer semantics)", "feature_map": list(feat.shape[2:]),
                    "max_abs_diff": d})
        assert d <= 1e-6, (r["name"], d)
    return res


def check_top_detection(rows, outs):
    """Decodes every prior with mbox_loc and checks the best detection of each image against
    the prior it came from: decoded box and softmax score."""
    det_row = [r for r in rows if r["type"] == "DetectionOutput"][0]
    p = det_row["proto"].detection_output_param
    loc_name, conf_name, prior_name = det_row["bottoms"]
    prod = {t: r["name"] for r in rows for t in r["tops"]}
    loc = outs[prod[loc_name]]
    conf = outs[prod[conf_name]]
    priors = outs[prod[prior_name]]
    det = outs[det_row["name"]].reshape(-1, 7)
    det = det[~np.all(det == 0, axis=1)]              # OpenCV's zero padding rows
    res = []
    nc = p.num_classes
    for img in np.unique(det[:, 0]):
        if img < 0:
            continue
        rows_i = det[det[:, 0] == img]
        best = rows_i[np.argmax(rows_i[:, 2])]
        boxes = decode_center_size(loc[int(img)].reshape(-1, 4), priors[0])
        scores = conf[int(img)].reshape(-1, nc)[:, int(best[1])]
        err = np.abs(boxes - best[3:7]).max(axis=1)
        j = int(np.argmin(err))
        d_box, d_score = float(err[j]), float(abs(scores[j] - best[2]))
        res.append({"image": int(img), "label": int(best[1]), "score": float(best[2]),
                    "prior_index": j, "box_max_abs_diff": d_box, "score_abs_diff": d_score,
                    "what": "top detection == DecodeBBox(CENTER_SIZE) of prior %d with the "
                            "softmax score of that prior" % j})
        assert d_box <= 1e-6 and d_score <= 1e-6, res[-1]
    return res


# ---- blob selection ---------------------------------------------------------------------------

HEAD_TYPES = {"PriorBox", "DetectionOutput", "Concat", "Reshape", "Softmax", "SOFTMAX",
              "InnerProduct", "INNER_PRODUCT"}


def select_blobs(rows, outs, budget, keep_all_below=0):
    """Tier 1 (always kept): the final output, the DetectionOutput inputs, PriorBox, Concat,
    Reshape, Softmax, DetectionOutput, InnerProduct; tier 2: SSD heads (name has
    'mbox'), Normalize, LRN, Permute, Flatten; tier 3: the backbone, first one instance of each
    layer kind (the smallest), then the rest smallest first. Tiers 2 and 3 in that order, a blob
    is kept if it fits the budget. Returns (kept names, {skipped name: reason})."""
    names = [r["name"] for r in rows if r["name"] in outs]
    size = {n: outs[n].nbytes for n in names}
    kind = {}
    tier = {}
    last = names[-1]
    det_inputs = {b for r in rows if r["type"] == "DetectionOutput" for b in r["bottoms"]}
    for r in rows:
        n = r["name"]
        if n not in outs:
            continue
        l = r["proto"]
        k = r["type"]
        if r["type"] == "Convolution":
            p = l.convolution_param
            k += "/g" if p.group > 1 else ""
            k += "/d" if len(p.dilation) and max(p.dilation) > 1 else ""
            k += "/s" if (len(p.stride) and max(p.stride) > 1) else ""
            k += "/nobias" if not p.bias_term else ""
        kind[n] = k
        if r["type"] in HEAD_TYPES or n == last or set(r["tops"]) & det_inputs:
            tier[n] = 1
        elif "mbox" in n or r["type"] in ("Normalize", "LRN", "Flatten", "Permute"):
            tier[n] = 2
        else:
            tier[n] = 3
    kept, used = [], 0
    order = [n for n in names if tier[n] == 1] + [n for n in names if tier[n] == 2]
    t3 = [n for n in names if tier[n] == 3]
    seen = set()
    firsts = []
    for n in sorted(t3, key=lambda n: (size[n], names.index(n))):
        if kind[n] not in seen:
            seen.add(kind[n])
            firsts.append(n)
    order += firsts + sorted([n for n in t3 if n not in firsts],
                             key=lambda n: (size[n], names.index(n)))
    skipped = {}
    for n in order:
        if tier[n] == 1 or used + size[n] <= budget or size[n] <= keep_all_below:
            kept.append(n)
            used += size[n]
        else:
            skipped[n] = "output %s (%d bytes) over the case's fixture budget: stored as a strided sample (meta blobs stride)" % (
                list(outs[n].shape), size[n])
    kept.sort(key=names.index)
    return kept, skipped


# ---- cases ------------------------------------------------------------------------------------------

YU = "caffe-yufacedetectnet-ssd/yufacedetectnet-open-v2.prototxt"
YU_W = "caffe-yufacedetectnet-ssd/yufacedetectnet-open-v2.caffemodel"
YU_PRE = ("BGR as read by cv2.imread, cv2.dnn.blobFromImage(img, scalefactor=1.0, size=(320, 240), "
          "mean=(0, 0, 0), swapRB=False, crop=False): bilinear resize to 320x240, raw 0..255 values, "
          "no mean subtraction. This is libfacedetection's own convention for the v2 model (its C++ "
          "facedetectcnn feeds the raw BGR bytes); the mean_value list in DetectionOutput's "
          "transform_param (103.94/116.78/123.68) belongs to the SSD visualizer and is not applied.")

CASES = {
    "yufacedetectnet-faces2": dict(
        prototxt=YU, caffemodel=YU_W, photos=["yu:faces-2.jpg"], size=(320, 240), mean=(0, 0, 0),
        scale=1.0, pre=YU_PRE, budget=int(2.3 * MB), min_faces=5, probe_empty=True),
    "yufacedetectnet-faces1": dict(
        prototxt=YU, caffemodel=YU_W, photos=["yu:faces-1.jpg"], size=(320, 240), mean=(0, 0, 0),
        scale=1.0, pre=YU_PRE, budget=int(1.35 * MB), min_faces=1),
    "yufacedetectnet-astronaut": dict(
        prototxt=YU, caffemodel=YU_W, photos=["astronaut-320x240.png"], size=(320, 240),
        mean=(0, 0, 0), scale=1.0, pre=YU_PRE, budget=int(1.35 * MB), min_faces=1),
    "yufacedetectnet-batch2": dict(
        prototxt=YU, caffemodel=YU_W, photos=["yu:faces-1.jpg", "yu:faces-2.jpg"],
        size=(320, 240), mean=(0, 0, 0), scale=1.0,
        pre=YU_PRE + " cv2.dnn.blobFromImages on both photos (each resized on its own).",
        budget=int(2.4 * MB), min_faces=5, probe_empty=True),
    "lenet": dict(
        prototxt="caffe-lenet/lenet.prototxt", caffemodel="caffe-lenet/lenet_iter_10000.caffemodel",
        digits=[3], budget=int(1.0 * MB)),
    "lenet-batch64": dict(
        prototxt="caffe-lenet/lenet.prototxt", caffemodel="caffe-lenet/lenet_iter_10000.caffemodel",
        digits=[i % 10 for i in range(64)], budget=int(0.9 * MB)),
    "cifar10-full-v1": dict(
        prototxt="caffe-cifar10-full-v1/cifar10_full.prototxt",
        caffemodel="caffe-cifar10-full-v1/cifar10_full_iter_70000.caffemodel",
        photos=["chelsea-32x32.png"], budget=int(1.0 * MB)),
    "mobilenet-ssd-merged": dict(
        prototxt="caffe-mobilenet-ssd/MobileNetSSD_deploy.prototxt", photos=["astronaut-320x240.png"],
        size=(300, 300), mean=(127.5, 127.5, 127.5), scale=0.007843,
        pre="BGR, cv2.dnn.blobFromImage(img, 0.007843, (300, 300), (127.5, 127.5, 127.5)): "
            "(x - 127.5) * 0.007843 after a bilinear resize to 300x300 (chuanqi305 convention)",
        budget=int(2.0 * MB), conf_gains=[1.0, 0.7, 0.5, 0.35, 1.4]),
    "mobilenet-ssd-bn": dict(
        prototxt="caffe-mobilenet-ssd/deploy.prototxt", photos=["astronaut-320x240.png"],
        size=(300, 300), mean=(127.5, 127.5, 127.5), scale=0.007843,
        pre="BGR, cv2.dnn.blobFromImage(img, 0.007843, (300, 300), (127.5, 127.5, 127.5)): "
            "(x - 127.5) * 0.007843 after a bilinear resize to 300x300 (chuanqi305 convention)",
        budget=int(2.0 * MB), conf_gains=[1.0, 0.7, 0.5, 0.35, 1.4]),
    "res10-ssd-face": dict(
        prototxt="caffe-res10-ssd-face/deploy.prototxt", photos=["yu:faces-2.jpg"],
        size=(300, 300), mean=(104.0, 177.0, 123.0), scale=1.0,
        pre="BGR, cv2.dnn.blobFromImage(img, 1.0, (300, 300), (104, 177, 123)): bilinear resize "
            "to 300x300, minus the per-channel mean of OpenCV's face_detector sample",
        budget=int(2.0 * MB), conf_gains=[1.0, 0.7, 0.5, 0.35, 1.4]),
    "textboxes-vgg-ssd": dict(
        prototxt="caffe-textboxes-vgg-ssd/deploy.prototxt", photos=["astronaut-320x240.png"],
        unrunnable=True,
        size=None, mean=(104.0, 117.0, 123.0), scale=1.0,
        pre="BGR, cv2.dnn.blobFromImage(img, 1.0, (S, S), (104, 117, 123)): bilinear resize to "
            "SxS (the reduced input_shape), minus the VGG/SSD per-channel mean",
        budget=int(1.3 * MB), conf_gains=[1.0, 0.7, 0.5, 0.35, 1.4]),
}
ORDER = list(CASES)


def make_input(case, c):
    if "digits" in c:
        imgs = [render_digit(d, i) for i, d in enumerate(c["digits"])]
        x = np.stack(imgs)[:, None].astype(np.float32) * np.float32(0.00390625)
        desc = ("%d digit(s) %s rendered with OpenCV Hershey fonts (putText, anti-aliased, "
                "shear), normalized like MNIST (white on black, bounding box fit to 20x20, centre "
                "of mass at the centre of 28x28), then x 0.00390625 (1/256, the Caffe MNIST "
                "example's transform scale)" % (len(imgs), c["digits"] if len(imgs) < 11 else
                                               "0..9 repeated"))
        return np.ascontiguousarray(x), desc
    if case == "cifar10-full-v1":
        img = photo(c["photos"][0]).astype(np.float32)            # 32x32 BGR
        rgb = img[:, :, ::-1]
        mean = np.array([125.3, 123.0, 113.9], np.float32)        # CIFAR-10 train set, R G B
        x = (rgb - mean).transpose(2, 0, 1)[None]
        desc = ("32x32 photo (tests/fixtures/caffe/photos/chelsea-32x32.png), channels in R, G, B "
                "order (Caffe's convert_cifar_data keeps CIFAR-10's R, G, B planes), 0..255 minus "
                "the CIFAR-10 training-set per-channel mean (125.3, 123.0, 113.9): the model was "
                "trained with mean_file mean.binaryproto (the per-pixel mean image), which is not "
                "available; its per-channel average is used instead. No scaling.")
        return np.ascontiguousarray(x, dtype=np.float32), desc
    imgs = [photo(p) for p in c["photos"]]
    x = cv2.dnn.blobFromImages(imgs, c["scale"], c["size"], c["mean"], False, False)
    return np.ascontiguousarray(x, dtype=np.float32), c["pre"]


def npy_save(path, arr):
    np.save(path, np.ascontiguousarray(arr, dtype=np.float32))


def blob_file(name):
    return "blobs/" + name.replace("/", "__") + ".npy"


SAMPLE_ELEMENTS = 1024


def sample_file(name):
    return "blobs/" + name.replace("/", "__") + ".sampled.npy"


def run_case(case, tmp):
    c = CASES[case]
    proto_path = os.path.join(MODELS, c["prototxt"])
    net = parse_prototxt(proto_path)
    rows = layer_table(net)
    notes = []
    x, pre_desc = make_input(case, c)
    weightless = "caffemodel" not in c

    if c.get("unrunnable"):
        return unrunnable_case(case, c, net, rows, tmp)
    in_shape = list(x.shape)
    proto_shape = prototxt_input_shape(net)

    ocv_proto, changes = opencv_copy(net, tmp, case, input_shape=in_shape
                                     if in_shape[2:] != proto_shape[2:] else None)
    if not changes:
        ocv_proto = proto_path

    recipe = None
    if weightless:
        specs = weight_specs(case, rows, in_shape[1])
        gains0 = c["conf_gains"][0]
        gains, calib = calibrate(case, specs, rows, ocv_proto, x, tmp, gains0)
        model_path = os.path.join(tmp, case + ".caffemodel")
        for g in c["conf_gains"]:
            gg = {n: (v * g / gains0 if "mbox_conf" in n else v) for n, v in gains.items()}
            recipe = make_recipe(case, specs, gg)
            write_caffemodel(model_path, recipe)
            ok, why = detections_ok(rows, run_opencv(ocv_proto, model_path, x))
            calib.setdefault("conf_gain_tries", []).append({"target_std_mbox_conf": g,
                                                            "accepted": ok, "why": why})
            if ok:
                calib["target_std_mbox_conf"] = g
                break
        else:
            raise RuntimeError("no conf gain gives non-trivial detections: %s" % calib)
        check_caffemodel(model_path, recipe)
    else:
        model_path = os.path.join(MODELS, c["caffemodel"])

    outs = run_opencv(ocv_proto, model_path, x)
    names = list(outs)

    # top blob -> producing layer as seen by each consumer
    prod_at = {}
    last_writer = {}
    for r in rows:
        for b in r["bottoms"]:
            if b in last_writer:
                prod_at[(r["name"], b)] = last_writer[b]
        for t in r["tops"]:
            if r["name"] in outs:
                last_writer[t] = r["name"]

    norm_layers = [r["name"] for r in rows if r["type"] in ("Normalize", "BatchNorm", "Scale")]
    checks = run_checks(rows, outs, x, prod_at, load_layer_blobs(model_path, norm_layers))
    is_ssd = any(r["type"] == "DetectionOutput" for r in rows)
    det = None
    if is_ssd:
        checks += check_priors(rows, outs, x, prod_at)
        checks += check_top_detection(rows, outs)
        det_name = [r["name"] for r in rows if r["type"] == "DetectionOutput"][0]
        det = outs[det_name]

    empty_probe = None
    if c.get("probe_empty"):
        empty_probe = probe_empty_detection(net, tmp, case, model_path, x)

    # fusion on vs off (information only)
    fused = run_opencv(ocv_proto, model_path, x, fusion=True)
    final = names[-1]
    fusion_diff = float(np.abs(fused[final] - outs[final]).max()) \
        if fused[final].shape == outs[final].shape else "shape differs %s vs %s" % (
            list(fused[final].shape), list(outs[final].shape))

    kept, skipped = select_blobs(rows, outs, c["budget"] - x.nbytes - (det.nbytes if det is not None else 0))

    # ---- write ----
    d = os.path.join(OUT, case)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(os.path.join(d, "blobs"))
    npy_save(os.path.join(d, "input.npy"), x)
    if det is not None:
        npy_save(os.path.join(d, "detections.npy"), det)
    for n in kept:
        npy_save(os.path.join(d, blob_file(n)), outs[n])
    # Layers over the budget are still compared: every `stride`-th element (row-major) of each,
    # at most SAMPLE_ELEMENTS of them, so every layer OpenCV computes is checked.
    sampled = {}
    for n in skipped:
        if n not in outs:
            continue
        flat = outs[n].reshape(-1)
        stride = max(1, -(-flat.size // SAMPLE_ELEMENTS))
        sampled[n] = stride
        npy_save(os.path.join(d, sample_file(n)), np.ascontiguousarray(flat[::stride]))
    if recipe is not None:
        first = next(b for L in recipe for b in L["blobs"] if b["kind"] == "uniform")
        vals = blob_from_gen([8], dict(first))
        with open(os.path.join(d, "weights.json"), "w") as f:
            json.dump({
                "format": "ingot seeded caffe weights v1",
                "generator": "splitmix64 uniform; see scripts/gen_caffe_refs.py docstring",
                "prototxt": MODELS_REL + "/" + c["prototxt"],
                "calibration": calib,
                "self_check": {"seed": first["seed"], "lo": first["lo"], "hi": first["hi"],
                               "first_values": [float(v) for v in vals],
                               "first_values_f32_bits": ["0x%08x" % int(v) for v in
                                                         vals.view(np.uint32)]},
                "layers": recipe}, f, indent=1)
            f.write("\n")

    not_in_ocv = [r["name"] for r in rows if r["name"] not in outs]
    for n in not_in_ocv:
        r = next(r for r in rows if r["name"] == n)
        if r["type"] == "Input":
            notes.append("layer %s (Input) is the network input in OpenCV, not a layer: "
                         "no output stored (input.npy is its output)" % n)
        else:
            notes.append("layer %s (%s) has no OpenCV layer of that name" % (n, r["type"]))
    extra = [n for n in names if n not in {r["name"] for r in rows}]
    if extra:
        notes.append("OpenCV layers with no prototxt layer of that name: %s" % extra)

    meta = {
        "case": case,
        "prototxt": MODELS_REL + "/" + c["prototxt"],
        "caffemodel": (MODELS_REL + "/" + c["caffemodel"]) if not weightless else None,
        "weights": "weights.json" if weightless else None,
        "input_blob": "data",
        "input_shape": in_shape,
        "prototxt_input_shape": proto_shape,
        "needs_input_shape_flag": in_shape != proto_shape,
        "preprocessing": pre_desc,
        "photos": [photo_rel(p) for p in c.get("photos", [])],
        "opencv": {"version": cv2.__version__, "backend": "DNN_BACKEND_OPENCV",
                   "target": "DNN_TARGET_CPU", "fusion": False, "threads": 1,
                   "api": "cv2.dnn.readNetFromCaffe, net.forward(all layer names)"},
        "opencv_prototxt_changes": changes,
        "fusion_on_vs_off_max_abs_diff_of_%s" % final: fusion_diff,
        "layers": [{"name": r["name"], "type": r["type"], "bottoms": r["bottoms"],
                    "tops": r["tops"], "in_place": r["in_place"],
                    "stored": r["name"] in kept} for r in rows],
        "blobs": dict({n: {"file": blob_file(n), "shape": list(outs[n].shape), "stride": 1,
                           "tops": next(r["tops"] for r in rows if r["name"] == n)} for n in kept},
                      **{n: {"file": sample_file(n), "shape": list(outs[n].shape), "stride": k,
                             "tops": next(r["tops"] for r in rows if r["name"] == n)}
                         for n, k in sampled.items()}),
        "skipped": skipped,
        "checks": checks,
        "opencv_empty_detection_probe": empty_probe,
        "notes": notes + COMMON_NOTES + (SSD_NOTES if is_ssd else []),
    }
    summary = {}
    if det is not None:
        dd = det.reshape(-1, 7)
        pad = np.all(dd == 0, axis=1)
        assert not pad[:int((~pad).sum())].any(), "padding rows not at the end"
        valid = dd[~pad]
        summary = {"count": int(len(valid)), "rows": int(len(dd)),
                   "per_image": {int(i): int((valid[:, 0] == i).sum()) for i in
                                 np.unique(valid[:, 0])},
                   "labels": sorted(int(v) for v in np.unique(valid[:, 1])),
                   "score_min": float(valid[:, 2].min()) if len(valid) else None,
                   "score_max": float(valid[:, 2].max()) if len(valid) else None,
                   "score_gt_0.5": int((valid[:, 2] > 0.5).sum()),
                   "exact_score_ties": int(len(valid) - len(np.unique(
                       valid[:, 1] * 4 + valid[:, 2].astype(np.float64)))),
                   "box_area_min": float(((valid[:, 5] - valid[:, 3]) *
                                          (valid[:, 6] - valid[:, 4])).min()) if len(valid) else None,
                   "box_area_max": float(((valid[:, 5] - valid[:, 3]) *
                                          (valid[:, 6] - valid[:, 4])).max()) if len(valid) else None}
        meta["detections"] = dict({"file": "detections.npy", "shape": list(det.shape)}, **summary)
        if "min_faces" in c:
            assert summary["score_gt_0.5"] >= c["min_faces"], summary
        if weightless:
            assert summary["count"] >= 5 and summary["exact_score_ties"] == 0 and len(set(np.round(valid[:, 2], 4))) > 3, summary
    else:
        prob = outs[final].reshape(x.shape[0], -1)
        meta["predictions"] = {"argmax": [int(v) for v in prob.argmax(1)],
                               "max_prob": [round(float(v), 4) for v in prob.max(1)]}
        summary = meta["predictions"]
        if "digits" in c:
            acc = float(np.mean(prob.argmax(1) == np.array(c["digits"])))
            meta["predictions"]["accuracy_vs_rendered_digit"] = acc
            summary = {"accuracy": acc, "argmax": meta["predictions"]["argmax"][:10]}
    if case in EXTRA_NOTES:
        meta["notes"] += EXTRA_NOTES[case]
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(d) for fn in fns)
    print("%-28s input %-18s blobs %3d/%3d  %6.2f MB  %s" % (
        case, in_shape, len(kept), len(names), total / MB, json.dumps(summary)))
    return total


def detections_ok(rows, outs):
    """Non-trivial detections: >= 5, fewer than keep_top_k (so the cut is not hit), more than
    one label when the net has several classes, no exact score ties, scores spread."""
    r = [r for r in rows if r["type"] == "DetectionOutput"][0]
    p = r["proto"].detection_output_param
    dd = outs[r["name"]].reshape(-1, 7)
    v = dd[~np.all(dd == 0, axis=1)]
    labels = len(np.unique(v[:, 1]))
    ties = len(v) - len(np.unique(v[:, 1] * 4 + v[:, 2].astype(np.float64)))
    spread = float(v[:, 2].max() - v[:, 2].min()) if len(v) else 0.0
    why = "count %d, labels %d, ties %d, score range %.4f" % (len(v), labels, ties, spread)
    ok = (5 <= len(v) < p.keep_top_k and (labels > 1 or p.num_classes <= 2) and ties == 0
          and spread >= 0.05)
    return ok, why


def probe_empty_detection(net, tmp, case, model_path, x):
    """What OpenCV returns when nothing passes the threshold: the same net with
    confidence_threshold 1.01 in a temp copy (information for meta.json, not a fixture)."""
    net2 = pb.NetParameter()
    net2.CopyFrom(net)
    for l in net2.layer:
        if l.type == "DetectionOutput":
            l.detection_output_param.confidence_threshold = 1.01
    proto, _ = opencv_copy(net2, tmp, case + "-empty")  # noqa
    out = run_opencv(proto, model_path, x)
    det = [v for k, v in out.items()][-1]
    return {"what": "OpenCV's DetectionOutput when no detection passes (confidence_threshold "
                    "set to 1.01 in a temp copy), batch %d" % x.shape[0],
            "shape": list(det.shape), "values": det.reshape(-1).tolist()}


def calibrate(case, specs, rows, ocv_proto, x, tmp, conf_gain):
    # returns (gains, description)
    """Sequential, in prototxt order: scale each convolution's bound so that its output std on
    the case's input is 1 (mbox_conf heads: conf_gain), one OpenCV forward per convolution;
    bounds are then rounded to 4 significant digits."""
    gains = {}
    conv_names = [r["name"] for r, _ in specs if r["type"] == "Convolution"]
    path = os.path.join(tmp, case + ".calib.caffemodel")
    for n in conv_names:
        for _ in range(2):
            write_caffemodel(path, make_recipe(case, specs, gains))
            outs = run_opencv(ocv_proto, path, x)
            target = conf_gain if "mbox_conf" in n else 1.0
            sd = float(outs[n].std())
            if sd <= 0 or abs(sd / target - 1) < 0.02:
                break
            gains[n] = gains.get(n, 1.0) * target / sd
    return gains, {"method": "sequential per convolution (prototxt order), output std of each "
                              "convolution on this case's input -> target",
                    "target_std": 1.0, "target_std_mbox_conf": conf_gain,
                    "weight_bound": "a = sqrt(6 / fan_in) * gain, rounded to 4 significant digits",
                    "other_blobs": "bias U(-0.1, 0.1); BatchNorm mean U(-0.5, 0.5), variance "
                                   "U(0.5, 2), factor 1; Scale gamma U(0.5, 1.5), beta "
                                   "U(-0.2, 0.5); Normalize scale U(10, 20)"}


def standard_priors_per_cell(p):
    ars = [1.0]
    for a in p.aspect_ratio:
        if all(abs(a - x) >= 1e-6 for x in ars):
            ars.append(a)
            if p.flip:
                ars.append(1.0 / a)
    return len(p.min_size) * len(ars) + len(p.max_size)


def unrunnable_case(case, c, net, rows, tmp):
    """TextBoxes: its heads expect twice the priors the standard PriorBox makes (TextBoxes'
    own PriorBox adds a vertically offset copy of every box), so neither OpenCV nor standard
    SSD Caffe can run the prototxt. Writes meta.json only, with the arithmetic and OpenCV's
    error, for an importer test that expects a clear error."""
    heads = []
    for r in rows:
        if r["type"] != "PriorBox":
            continue
        feat = r["bottoms"][0]
        loc = next(q for q in rows if q["type"] == "Convolution" and q["bottoms"] == [feat if
                   not feat.endswith("_norm") else feat] and q["name"].endswith("mbox_loc"))
        conf = next(q for q in rows if q["type"] == "Convolution" and q["bottoms"] == loc["bottoms"]
                    and q["name"].endswith("mbox_conf"))
        heads.append({"priorbox": r["name"], "feature": feat,
                      "standard_priors_per_cell": standard_priors_per_cell(
                          r["proto"].prior_box_param),
                      "loc_layer": loc["name"],
                      "loc_num_output": loc["proto"].convolution_param.num_output,
                      "boxes_per_cell_expected_by_loc": loc["proto"].convolution_param.num_output // 4,
                      "conf_layer": conf["name"],
                      "conf_num_output": conf["proto"].convolution_param.num_output})
    # OpenCV's error, at the prototxt's own size, with zero-filled weights
    specs = weight_specs(case, rows, 3)
    recipe = [{"name": L["name"], "type": L["type"], "blobs": [dict(b, kind="constant", value=0.0)
              for b in L["blobs"]]} for L in make_recipe(case, specs, {})]
    model = os.path.join(tmp, case + ".caffemodel")
    write_caffemodel(model, recipe)
    proto, changes = opencv_copy(net, tmp, case)
    shape = prototxt_input_shape(net)
    try:
        run_opencv(proto, model, np.zeros(shape, np.float32))
        err = None
    except cv2.error as e:
        err = str(e).strip().splitlines()[-1]
    d = os.path.join(OUT, case)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    meta = {
        "case": case, "runnable": False,
        "prototxt": MODELS_REL + "/" + c["prototxt"],
        "prototxt_input_shape": shape,
        "reason": "The mbox_loc / mbox_conf heads are sized for TWICE the priors that the "
                  "standard (weiliu89 SSD) PriorBox generates for these parameters (e.g. "
                  "conv4_3_norm: 6 priors per cell from min_size 30 + aspect ratios 2,3,5,7,10 "
                  "with flip false, but mbox_loc has 48 = 12 x 4 outputs). TextBoxes (MhLiao) "
                  "ships a modified PriorBox that adds a vertically offset copy of every box; the "
                  "prototxt has no parameter for it. So DetectionOutput's check num_priors * 4 == "
                  "loc count fails in OpenCV at any input size (tried 32..700) and would fail in "
                  "standard SSD Caffe too. No reference outputs can be made with OpenCV; an "
                  "importer test can expect a clear shape error at detection_out (or at the "
                  "Concat/DetectionOutput consistency check).",
        "heads": heads,
        "opencv": {"version": cv2.__version__, "error": err, "prototxt_changes": changes},
        "weights": "none (only shapes were needed to provoke the error)",
    }
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print("%-28s NOT RUNNABLE (%s)" % (case, err))
    return os.path.getsize(os.path.join(d, "meta.json"))


COMMON_NOTES = [
    "Blobs are keyed by LAYER name. For an in-place layer (top == bottom) Caffe's top blob holds "
    "the last in-place layer's result after the forward; here each layer has its own output "
    "(OpenCV with fusion off; ReLU outputs checked == max(0, x) of the stored pre-activation).",
    "ReLU with negative_slope 0 in OpenCV multiplies negatives by 0, so some outputs are -0.0; "
    "compare numerically (-0.0 == 0.0).",
]
SSD_NOTES = [
    "PriorBox: Caffe (weiliu89) reads min_size/max_size into int (a fractional size would be "
    "truncated); OpenCV keeps them as float. All sizes in these prototxts are integers, so no "
    "effect here.",
    "PriorBox: OpenCV's default for an unset `clip` is true, Caffe's false; every PriorBox in "
    "these prototxts sets clip explicitly (false), so no clip: false had to be written into the "
    "OpenCV copy (the generator does so where it is unset).",
    "PriorBox aspect-ratio boxes: min_size * sqrt(ar) x min_size / sqrt(ar) (original SSD and "
    "OpenCV). The weiliu89/caffe snapshot 3b97386 in the code index uses sqrt(min_size * "
    "max_size) * sqrt(ar) when max_size is given; the released SSD and every port use min_size.",
    "DetectionOutput row order (Caffe and OpenCV alike): per image, labels ascending, within a "
    "label score descending (after keep_top_k); not globally sorted by score. Boxes are decoded "
    "CENTER_SIZE and NOT clipped to [0, 1] (Caffe's DetectionOutput has no clip; OpenCV's "
    "optional `clip` is off by default).",
    "DetectionOutput shape: Caffe's top is [1, 1, N, 7] with N the number of kept detections "
    "(all images together); OpenCV 4.6 always returns [1, 1, keep_top_k * batch, 7]: the N "
    "detections first, then all-zero padding rows (image 0, label 0, score 0, box 0). "
    "detections.npy is OpenCV's blob as returned; meta.json 'detections.count' is N, and the "
    "rows to compare against Caffe semantics are detections.npy[0, 0, :count].",
    "DetectionOutput with no detection at all: Caffe writes [1, 1, num_images, 7] rows "
    "[i, -1, -1, -1, -1, -1, -1]; OpenCV 4.6 writes its usual [1, 1, keep_top_k * batch, 7] "
    "blob of zeros (see 'opencv_empty_detection_probe' in the yufacedetectnet metas).",
    "Ties: Caffe sorts candidate scores with std::stable_sort per class and std::sort across "
    "classes for keep_top_k; OpenCV uses its own (stable) sort. No exact score ties occur in "
    "these fixtures' detections (checked by the generator).",
]
EXTRA_NOTES = {
    "lenet": ["The prototxt's Input is 64x1x28x28; OpenCV runs it at the batch of the blob given "
              "to setInput (1). Run ingot with --input-shape 1,1,28,28 (lenet-batch64 is the same "
              "net at the prototxt's own batch)."],
    "cifar10-full-v1": ["Prediction on the close-up cat photo: frog (6) 0.395 just ahead of cat (3) "
                        "0.379 (a CIFAR-10 model on a face close-up without its mean image); the "
                        "fixture is about numerics, not accuracy.",
                        "Pooling (ceil rounding; AVE divisor clipped at the image edge in Caffe's "
                        "way) and LRN WITHIN_CHANNEL (alpha / local_size^2) match Caffe semantics "
                        "exactly: see checks."],
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--make-photos", metavar="SKIMAGE_DATA_DIR", nargs="?", const=SKIMAGE_DATA,
                    help="recreate tests/fixtures/caffe/photos/ from scikit-image's data folder "
                         "(default %s) and exit" % SKIMAGE_DATA)
    a = ap.parse_args()
    if a.list:
        print("\n".join(ORDER))
        return
    if a.make_photos:
        make_photos(a.make_photos)
        return
    cases = a.cases or ORDER
    for cn in cases:
        if cn not in CASES:
            sys.exit("unknown case %s (known: %s)" % (cn, ", ".join(ORDER)))
    cv2.setNumThreads(1)
    tmp = tempfile.mkdtemp(prefix="gen_caffe_refs.")
    try:
        compile_proto(tmp)
        total = 0
        for cn in cases:
            total += run_case(cn, tmp)
        print("total %.2f MB" % (total / MB))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
