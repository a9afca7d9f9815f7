#!/usr/bin/python3
"""Writes tests/fixtures/ops/<op>.json for the SSD ops (PriorBox, AnchorBoxes, Normalize,
L2Normalization, DecodeDetections): inputs, tensor parameters and expected outputs computed
independently of ingot, with plain numpy in float64 from the semantics of the original Keras
layers (rykov8/ssd_keras ssd_layers.py; pierluigiferrari/ssd_keras keras_layers/), not from the
C++ kernels.

Cases named oracle_* are copied from the Keras oracle (../shared/oracle/cases, or $ORACLE_CASES):
the layer parameters from each case's model.h5 config, the input and the expected output from
its .npy files (float32, computed by the tfjs re-implementation). Each such case says where it
came from in its "source" key. Reading model.h5 needs h5py (Debian's python3-h5py).

Run with Debian's python: /usr/bin/python3 scripts/gen_op_fixtures_ssd.py. Deterministic (fixed
seed). The layout is scripts/gen_op_fixtures.py's, so tests/ops/op_test_util.h's expect_fixture
replays these files too.
"""
import json
import math
import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from gen_op_fixtures import OUT_DIR, ROOT, tensor_json, write  # noqa: E402

rng = np.random.default_rng(20240620)
ORACLE = pathlib.Path(os.environ.get("ORACLE_CASES", ROOT.parent / "shared" / "oracle" / "cases"))


def rand(shape, lo=-1.0, hi=1.0):
    """float32 values with 3 decimals, so the files stay short and readable."""
    return np.round(rng.uniform(lo, hi, size=shape), 3).astype(np.float32)


def f64(a):
    return np.asarray(a, dtype=np.float64)


def case(name, attrs, tensors, inputs, outputs, source=None):
    """One case; outputs are written with repr() of their float64 value (for the oracle's float32
    outputs that is the float32 value exactly, so the tests can compare them bit for bit)."""
    parts = ['"name": %s' % json.dumps(name)]
    if source:
        parts.append('"source": %s' % json.dumps(source))
    parts.append('"attrs": %s' % json.dumps(attrs))
    if tensors:
        inner = ", ".join("%s: %s" % (json.dumps(k), tensor_json(v, True)) for k, v in tensors.items())
        parts.append('"tensors": {%s}' % inner)
    parts.append('"inputs": [%s]' % ", ".join(tensor_json(t, True) for t in inputs))
    parts.append('"outputs": [%s]' % ", ".join(tensor_json(t, False) for t in outputs))
    return "    {" + ",\n     ".join(parts) + "}"


def floats(v):
    """Keras configs hold ints where the op takes floats (img_size [300, 300])."""
    return [float(e) for e in v] if isinstance(v, (list, tuple)) else float(v)


# ---------------------------------------------------------------------------- oracle cases

def oracle_layers(case_name):
    """{layer name: (class, config)} and the output order of an oracle case's model."""
    import h5py  # only the oracle cases need it

    with h5py.File(ORACLE / case_name / "model.h5", "r") as f:
        raw = f.attrs["model_config"]
        cfg = json.loads(raw.decode() if isinstance(raw, bytes) else raw)["config"]
    layers = {l["config"]["name"]: (l["class_name"], l["config"]) for l in cfg["layers"]}
    return layers, [o[0] for o in cfg["output_layers"]]


def oracle_weights(case_name, layer):
    import h5py

    with h5py.File(ORACLE / case_name / "model.h5", "r") as f:
        g = f["model_weights"][layer]
        return [np.array(g[n.decode() if isinstance(n, bytes) else n]) for n in g.attrs["weight_names"]]


def oracle_npy(case_name, file):
    return np.load(ORACLE / case_name / file).astype(np.float32)


def oracle_cases(case_name, convert, only=None):
    """One fixture case per output layer (or only the layer `only`) of an oracle case:
    convert(case_name, layer, config) gives the attrs and tensor parameters."""
    if not (ORACLE / case_name).is_dir():
        sys.exit("missing oracle case %s: set ORACLE_CASES to the oracle's cases folder" % (ORACLE / case_name))
    layers, outputs = oracle_layers(case_name)
    x = oracle_npy(case_name, "input_0.npy")
    out = []
    for k, layer in enumerate(outputs):
        if only is not None and layer != only:
            continue
        cls, config = layers[layer]
        attrs, tensors = convert(case_name, layer, config)
        y = oracle_npy(case_name, "expected_%d.npy" % k)
        source = "oracle cases/%s: layer %s (%s), input_0.npy -> expected_%d.npy" % (case_name, layer, cls, k)
        out.append(case("oracle_" + layer, attrs, tensors, [x], [y], source))
    return out


# ---------------------------------------------------------------------------- PriorBox

def rykov8_ratios(max_size, aspect_ratios, flip):
    ratios = [1.0]
    if max_size:  # Python truthiness: unset and 0 add nothing
        ratios.append(1.0)
    for ar in aspect_ratios:
        if ar not in ratios:
            ratios += [ar, 1.0 / ar] if flip else [ar]
    return ratios


def priorbox_ref(feature_shape, img_size, min_size, max_size=None, aspect_ratios=(), flip=True,
                 variances=(0.1,), clip=True):
    """(N, H*W*P, 8): corner boxes relative to img_size = (w, h), always clipped; `clip` is
    ignored as in the original."""
    n, h, w = feature_shape[:3]
    img_w, img_h = img_size
    ratios = rykov8_ratios(max_size, aspect_ratios, flip)
    sizes = []
    for k, ar in enumerate(ratios):
        if ar == 1.0:
            side = min_size if k == 0 else math.sqrt(min_size * max_size)
            sizes.append((side, side))
        else:
            sizes.append((min_size * math.sqrt(ar), min_size / math.sqrt(ar)))
    bw, bh = f64(sizes).T
    cx = np.linspace(img_w / w / 2, img_w - img_w / w / 2, w)
    cy = np.linspace(img_h / h / 2, img_h - img_h / h / 2, h)
    gy, gx = np.meshgrid(cy, cx, indexing="ij")  # (h, w)
    gx, gy = gx[..., None], gy[..., None]  # against (P,) sizes
    corners = np.stack([(gx - bw / 2) / img_w, (gy - bh / 2) / img_h,
                        (gx + bw / 2) / img_w, (gy + bh / 2) / img_h], axis=-1)
    corners = np.clip(corners, 0.0, 1.0)
    var = np.broadcast_to(f64(variances if len(variances) == 4 else list(variances) * 4), corners.shape)
    table = np.concatenate([corners, var], axis=-1).reshape(-1, 8)
    return np.broadcast_to(table, (n,) + table.shape)


def priorbox_cases():
    specs = [
        # name, feature map shape (NHWC), attrs
        ("min_only", (1, 3, 3, 1), {"img_size": [300.0, 300.0], "min_size": 30.0}),
        ("max_size_ratios_flip_4_variances", (2, 4, 5, 2),
         {"img_size": [300.0, 300.0], "min_size": 60.0, "max_size": 111.0,
          "aspect_ratios": [2.0, 3.0], "variances": [0.1, 0.1, 0.2, 0.2]}),
        ("noflip_nonsquare_image", (1, 3, 6, 1),
         {"img_size": [200.0, 120.0], "min_size": 40.0, "max_size": 80.0,
          "aspect_ratios": [2.0, 0.5, 1.0], "flip": False}),
        # A list some forks' get_config write: already expanded, it expands to itself.
        ("expanded_ratios_expand_to_themselves", (1, 2, 2, 1),
         {"img_size": [100.0, 100.0], "min_size": 20.0, "max_size": 45.0,
          "aspect_ratios": [1.0, 1.0, 2.0, 0.5], "variances": [0.1, 0.1, 0.2, 0.2]}),
        ("max_size_zero_is_unset_clip_false_ignored", (1, 2, 3, 1),
         {"img_size": [90.0, 60.0], "min_size": 25.0, "max_size": 0.0, "aspect_ratios": [2.0],
          "clip": False}),
        ("one_cell_boxes_past_the_border", (2, 1, 1, 3),
         {"img_size": [200.0, 150.0], "min_size": 120.0, "max_size": 250.0,
          "aspect_ratios": [3.0], "variances": [0.2]}),
    ]
    cases = []
    for name, shape, attrs in specs:
        x = rand(shape)
        y = priorbox_ref(shape, **attrs)
        cases.append(case(name, attrs, {}, [x], [y]))

    def convert(_case, _layer, c):
        attrs = {"img_size": floats(c["img_size"]), "min_size": floats(c["min_size"]),
                 "flip": c.get("flip", True), "variances": floats(c.get("variances", [0.1])),
                 "clip": c.get("clip", True)}
        if c.get("max_size") is not None:
            attrs["max_size"] = floats(c["max_size"])
        if c.get("aspect_ratios") is not None:
            attrs["aspect_ratios"] = floats(c["aspect_ratios"])
        return attrs, {}

    cases += oracle_cases("priorbox_variants", convert)
    write("PriorBox", cases)


# ---------------------------------------------------------------------------- AnchorBoxes

def anchorboxes_ref(feature_shape, img_height, img_width, this_scale, next_scale,
                    aspect_ratios=(0.5, 1.0, 2.0), two_boxes_for_ar1=True, this_steps=None,
                    this_offsets=None, clip_boxes=False, variances=(0.1, 0.1, 0.2, 0.2),
                    coords="centroids", normalize_coords=False):
    """(N, H, W, B, 8). Corners from centre and size; clip (>= side -> side - 1, then < 0 -> 0),
    normalize, then the output format."""
    n, h, w = feature_shape[:3]
    side = min(img_height, img_width)
    sizes = []
    for ar in aspect_ratios:
        if ar == 1.0:
            sizes.append((this_scale * side, this_scale * side))
            if two_boxes_for_ar1:
                s = math.sqrt(this_scale * next_scale) * side
                sizes.append((s, s))
        else:
            sizes.append((this_scale * side * math.sqrt(ar), this_scale * side / math.sqrt(ar)))
    bw, bh = f64(sizes).T
    step_h, step_w = (img_height / h, img_width / w) if this_steps is None else (this_steps * 2)[:2]
    off_h, off_w = (0.5, 0.5) if this_offsets is None else (this_offsets * 2)[:2]
    cy = np.linspace(off_h * step_h, (off_h + h - 1) * step_h, h)
    cx = np.linspace(off_w * step_w, (off_w + w - 1) * step_w, w)
    gy, gx = np.meshgrid(cy, cx, indexing="ij")
    gx, gy = gx[..., None], gy[..., None]
    xmin, xmax = gx - bw / 2, gx + bw / 2
    ymin, ymax = gy - bh / 2, gy + bh / 2
    if clip_boxes:
        def clip(v, limit):
            v = np.where(v >= limit, limit - 1, v)
            return np.where(v < 0, 0.0, v)
        xmin, xmax = clip(xmin, img_width), clip(xmax, img_width)
        ymin, ymax = clip(ymin, img_height), clip(ymax, img_height)
    if normalize_coords:
        xmin, xmax = xmin / img_width, xmax / img_width
        ymin, ymax = ymin / img_height, ymax / img_height
    if coords == "centroids":
        box = [(xmin + xmax) / 2, (ymin + ymax) / 2, xmax - xmin, ymax - ymin]
    elif coords == "minmax":
        box = [xmin, xmax, ymin, ymax]
    else:
        box = [xmin, ymin, xmax, ymax]
    box = np.stack(np.broadcast_arrays(*box), axis=-1)
    table = np.concatenate([box, np.broadcast_to(f64(variances), box.shape)], axis=-1)
    return np.broadcast_to(table, (n,) + table.shape)


def anchorboxes_cases():
    specs = [
        ("defaults_centroids", (1, 3, 3, 2),
         {"img_height": 300, "img_width": 300, "this_scale": 0.2, "next_scale": 0.37}),
        ("clip_normalize_centroids_batch2", (2, 4, 5, 1),
         {"img_height": 120, "img_width": 200, "this_scale": 0.5, "next_scale": 0.8,
          "aspect_ratios": [1.0, 2.0, 0.5, 3.0], "clip_boxes": True, "normalize_coords": True}),
        ("minmax_two_value_steps_and_offsets", (1, 3, 4, 1),
         {"img_height": 64, "img_width": 96, "this_scale": 0.3, "next_scale": 0.45,
          "this_steps": [16.0, 20.0], "this_offsets": [0.25, 0.75], "coords": "minmax",
          "variances": [0.1, 0.2, 0.3, 0.4]}),
        ("corners_one_value_steps_offsets_normalized", (1, 2, 3, 2),
         {"img_height": 50, "img_width": 40, "this_scale": 0.4, "next_scale": 0.6,
          "aspect_ratios": [1.0, 2.0], "two_boxes_for_ar1": False, "this_steps": [10.0],
          "this_offsets": [0.3], "coords": "corners", "normalize_coords": True}),
        ("one_cell_full_scale_clipped", (1, 1, 1, 1),
         {"img_height": 30, "img_width": 20, "this_scale": 1.0, "next_scale": 1.0,
          "aspect_ratios": [0.25, 1.0], "clip_boxes": True, "coords": "minmax"}),
    ]
    cases = []
    for name, shape, attrs in specs:
        x = rand(shape)
        y = anchorboxes_ref(shape, **attrs)
        cases.append(case(name, attrs, {}, [x], [y]))

    def convert(_case, _layer, c):
        keys = ["img_height", "img_width", "this_scale", "next_scale", "aspect_ratios",
                "two_boxes_for_ar1", "clip_boxes", "variances", "coords", "normalize_coords"]
        attrs = {k: c[k] for k in keys if c.get(k) is not None}
        for k in ("this_scale", "next_scale", "aspect_ratios", "variances"):
            if k in attrs:
                attrs[k] = floats(attrs[k])
        return attrs, {}

    cases += oracle_cases("anchorboxes_corners_5d", convert)
    write("AnchorBoxes", cases)


# ---------------------------------------------------------------------------- Normalize, L2Normalization

def l2norm_ref(x, gamma):
    x = f64(x)
    return x / np.sqrt(np.maximum((x * x).sum(axis=-1, keepdims=True), 1e-12)) * f64(gamma)


def l2norm_cases(op, gamma_range):
    cases = []
    x = rand((2, 3, 4, 5))
    gamma = rand((5,), *gamma_range)
    cases.append(case("random_nhwc", {}, {"gamma": gamma}, [x], [l2norm_ref(x, gamma)]))
    # Pixel 0 all zero (stays 0); pixel 1 of norm ~2e-7 < 1e-6, so the 1e-12 floor scales it by
    # 1e6 instead of normalizing it; pixel 2 of norm ~1.7e-6, just above the floor.
    x = rand((1, 2, 2, 3))
    x[0, 0, 0] = 0.0
    x[0, 0, 1] = np.float32([1e-7, -2e-7, 5e-8])
    x[0, 1, 0] = np.float32([1e-6, 1e-6, -1e-6])
    gamma = rand((3,), *gamma_range)
    cases.append(case("zero_and_tiny_pixels", {}, {"gamma": gamma}, [x], [l2norm_ref(x, gamma)]))
    x = rand((1, 2, 3, 1))
    gamma = rand((1,), *gamma_range)
    cases.append(case("single_channel_is_sign_times_gamma", {}, {"gamma": gamma}, [x], [l2norm_ref(x, gamma)]))

    def convert(case_name, layer, c):
        attrs = {"scale": floats(c["scale"])} if op == "Normalize" else {"gamma_init": floats(c["gamma_init"])}
        (gamma,) = oracle_weights(case_name, layer)
        return attrs, {"gamma": gamma.astype(np.float32)}

    # The oracle case holds both layers side by side on one input.
    layer = "norm_rykov8" if op == "Normalize" else "norm_pierluigi"
    cases += oracle_cases("normalize_layers", convert, only=layer)
    write(op, cases)


# ---------------------------------------------------------------------------- DecodeDetections

def iou_ref(a, b):
    """tf.image.non_max_suppression's IoU: corners ordered per axis; no area -> 0."""
    ax0, ax1 = sorted((a[0], a[2]))
    ay0, ay1 = sorted((a[1], a[3]))
    bx0, bx1 = sorted((b[0], b[2]))
    by0, by1 = sorted((b[1], b[3]))
    area_a, area_b = (ax1 - ax0) * (ay1 - ay0), (bx1 - bx0) * (by1 - by0)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = max(min(ax1, bx1) - max(ax0, bx0), 0.0) * max(min(ay1, by1) - max(ay0, by0), 0.0)
    return inter / (area_a + area_b - inter)


def decode_ref(y, confidence_thresh=0.01, iou_threshold=0.45, top_k=200, nms_max_output_size=400,
               coords="centroids", normalize_coords=True, img_height=None, img_width=None,
               margin=1e-4):
    """(N, top_k, 6). Checks that no compared IoU lies within `margin` of the threshold and no
    confidence within 1e-6 of confidence_thresh, where float32 and float64 could disagree."""
    assert coords == "centroids"
    y = f64(y)
    out = np.zeros((y.shape[0], top_k, 6))
    for n, rows in enumerate(y):
        d, a, v = rows[:, -12:-8], rows[:, -8:-4], rows[:, -4:]
        cx = d[:, 0] * v[:, 0] * a[:, 2] + a[:, 0]
        cy = d[:, 1] * v[:, 1] * a[:, 3] + a[:, 1]
        w = np.exp(d[:, 2] * v[:, 2]) * a[:, 2]
        h = np.exp(d[:, 3] * v[:, 3]) * a[:, 3]
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        if normalize_coords:
            boxes = boxes * [img_width, img_height, img_width, img_height]
        found = []
        for k in range(1, rows.shape[1] - 12):
            conf = rows[:, k]
            assert np.all(np.abs(conf - confidence_thresh) > 1e-6), "confidence at the threshold"
            order = [i for i in np.argsort(-conf, kind="stable") if conf[i] > confidence_thresh]
            kept = []
            for i in order:
                if len(kept) == nms_max_output_size:
                    break
                ious = [iou_ref(boxes[i], boxes[j]) for j in kept]
                assert all(abs(u - iou_threshold) > margin for u in ious), "IoU at the threshold"
                if all(u <= iou_threshold for u in ious):
                    kept.append(i)
            found += [[k, conf[i], *boxes[i]] for i in kept]
        found.sort(key=lambda r: -r[1])  # stable: class by class, then NMS order on ties
        found = found[:top_k]
        if found:
            out[n, :len(found)] = found
    return out


def ssd_predictions(batch, grid, img_height, img_width, n_classes, normalize, offset_scale):
    """A realistic y_pred: softmax confidences over n_classes (background first), offsets, and
    the anchors and variances of an AnchorBoxes layer (centroids, overlapping boxes)."""
    anchors = anchorboxes_ref((1, grid, grid, 1), img_height, img_width, 0.4, 0.6,
                              aspect_ratios=(1.0, 2.0, 0.5), normalize_coords=normalize)
    anchors = anchors.reshape(-1, 8)
    b = anchors.shape[0]
    logits = rng.normal(0.0, 1.5, size=(batch, b, n_classes))
    conf = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    offsets = rng.uniform(-offset_scale, offset_scale, size=(batch, b, 4))
    y = np.concatenate([conf, offsets, np.broadcast_to(anchors, (batch, b, 8))], axis=-1)
    return y.astype(np.float32)


def decode_cases():
    specs = [
        # name, (batch, grid, img_h, img_w, classes incl. background, normalized anchors), attrs
        ("normalized_batch2_topk_cut", (2, 3, 60, 80, 4, True, 1.0),
         {"confidence_thresh": 0.1, "top_k": 10, "img_height": 60, "img_width": 80}),
        ("pixels_nms_cap_zero_padded", (1, 3, 48, 48, 3, False, 1.5),
         {"confidence_thresh": 0.3, "iou_threshold": 0.3, "top_k": 12, "nms_max_output_size": 2,
          "normalize_coords": False}),
        ("defaults_with_image_size", (1, 2, 30, 40, 5, True, 2.0),
         {"img_height": 30, "img_width": 40}),
        ("iou_0_7_confidence_0_02_batch2", (2, 2, 50, 50, 3, True, 0.5),
         {"confidence_thresh": 0.02, "iou_threshold": 0.7, "top_k": 30, "img_height": 50,
          "img_width": 50}),
    ]
    cases = []
    for name, (batch, grid, ih, iw, k, normalized, spread), attrs in specs:
        y = ssd_predictions(batch, grid, ih, iw, k, normalized, spread)
        cases.append(case(name, attrs, {}, [y], [decode_ref(y, **attrs)]))
    write("DecodeDetections", cases)


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    priorbox_cases()
    anchorboxes_cases()
    l2norm_cases("Normalize", (5.0, 20.0))
    l2norm_cases("L2Normalization", (5.0, 20.0))
    decode_cases()


if __name__ == "__main__":
    main()
