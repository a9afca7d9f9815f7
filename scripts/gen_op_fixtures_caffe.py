#!/usr/bin/python3
"""Writes tests/fixtures/ops/<op>.json for the Caffe ops LRN, CaffePriorBox, CaffeNormalize and
DetectionOutput: inputs, tensor parameters and expected outputs computed independently of ingot,
with plain numpy from the semantics of the originals (BVLC caffe lrn_layer.cpp; weiliu89/caffe
"ssd" prior_box_layer.cpp, normalize_layer.cpp, detection_output_layer.cpp, util/bbox_util.cpp),
not from the C++ kernels.

Numerics: LRN, CaffeNormalize and DetectionOutput are computed in float64. CaffePriorBox follows
the original's float32 steps (centres and steps in float32, corners in float64 rounded to
float32), because those roundings are part of what Caffe outputs.

With --opencv, also runs the CaffePriorBox and DetectionOutput cases that OpenCV's Caffe importer
supports through cv2.dnn (OpenCV 4.6, Debian's python3-opencv) and prints how they agree; the
fixtures never depend on it.

Run with Debian's python: /usr/bin/python3 scripts/gen_op_fixtures_caffe.py [--opencv].
Deterministic (fixed seed). The layout is scripts/gen_op_fixtures.py's, so
tests/ops/op_test_util.h's expect_fixture replays these files too.
"""
import math
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from gen_op_fixtures import OUT_DIR, case_json, write  # noqa: E402

rng = np.random.default_rng(20240701)
f32 = np.float32


def rand(shape, lo=-1.0, hi=1.0):
    """float32 values with 3 decimals, so the files stay short and readable."""
    return np.round(rng.uniform(lo, hi, size=shape), 3).astype(np.float32)


# ---------------------------------------------------------------------------- LRN

def lrn_ref(x, local_size=5, alpha=1.0, beta=0.75, k=1.0, norm_region="ACROSS_CHANNELS"):
    x = x.astype(np.float64)
    n, c, h, w = x.shape
    r = (local_size - 1) // 2
    sq = x * x
    if norm_region == "ACROSS_CHANNELS":
        padded = np.zeros((n, c + 2 * r, h, w))
        padded[:, r:r + c] = sq
        window = sum(padded[:, j:j + c] for j in range(local_size))
        return x * (k + alpha / local_size * window) ** -beta
    padded = np.zeros((n, c, h + 2 * r, w + 2 * r))
    padded[:, :, r:r + h, r:r + w] = sq
    window = sum(padded[:, :, i:i + h, j:j + w] for i in range(local_size) for j in range(local_size))
    # Caffe's AVE pooling divides by the padded window, n^2 at every position here.
    return x * (1.0 + alpha * window / (local_size * local_size)) ** -beta


def lrn_cases():
    specs = [
        ("across_defaults", (1, 7, 3, 2), {}),
        ("across_size1", (2, 3, 2, 3), {"local_size": 1, "alpha": 0.5, "beta": 0.5, "k": 2.0}),
        ("across_size3_alexnet", (1, 6, 3, 3),
         {"local_size": 3, "alpha": 0.0001, "beta": 0.75, "k": 1.0}),
        ("across_size5_wider_than_channels", (2, 3, 2, 2),
         {"local_size": 5, "alpha": 2.0, "beta": 0.6, "k": 0.5}),
        ("within_size1", (1, 2, 3, 4),
         {"local_size": 1, "alpha": 1.5, "beta": 0.5, "norm_region": "WITHIN_CHANNEL"}),
        ("within_size3_k_ignored", (2, 2, 5, 3),
         {"local_size": 3, "alpha": 3.0, "beta": 0.75, "k": 7.0, "norm_region": "WITHIN_CHANNEL"}),
        ("within_size5_larger_than_image", (1, 3, 3, 4),
         {"local_size": 5, "alpha": 5.0, "beta": 1.25, "norm_region": "WITHIN_CHANNEL"}),
    ]
    cases = []
    for name, shape, attrs in specs:
        x = rand(shape, -2.0, 2.0)
        cases.append(case_json(name, attrs, {}, [x], [lrn_ref(x, **attrs)]))
    write("LRN", cases)


# ---------------------------------------------------------------------------- CaffePriorBox

def caffe_ratios(aspect_ratio, flip):
    ratios = [f32(1.0)]
    for ar in map(f32, aspect_ratio):
        if any(abs(float(ar) - float(a)) < 1e-6 for a in ratios):
            continue
        ratios.append(ar)
        if flip:
            ratios.append(f32(1.0 / float(ar)))
    return ratios


def caffe_priorbox_ref(layer_hw, image_hw, min_size, max_size=(), aspect_ratio=(), flip=True,
                       clip=False, variance=(), img_size=0, img_h=0, img_w=0, step=0.0, step_h=0.0,
                       step_w=0.0, offset=0.5):
    """[1, 2, H*W*P*4] in the original's order and float32 steps."""
    lh, lw = layer_hw
    if img_h or img_w:
        ih, iw = img_h, img_w
    elif img_size:
        ih = iw = img_size
    else:
        ih, iw = image_hw
    if step_h or step_w:
        sh, sw = f32(step_h), f32(step_w)
    elif step:
        sh = sw = f32(step)
    else:
        sh, sw = f32(ih) / f32(lh), f32(iw) / f32(lw)
    ratios = [ar for ar in caffe_ratios(aspect_ratio, flip) if not abs(float(ar) - 1.0) < 1e-6]
    sizes = []  # (w, h) as float32
    for s, mn in enumerate(min_size):
        mn_i = int(f32(mn))  # the original truncates min_size and max_size to int
        sizes.append((f32(mn_i), f32(mn_i)))
        if max_size:
            side = f32(math.sqrt(mn_i * int(f32(max_size[s]))))
            sizes.append((side, side))
        for ar in ratios:
            sizes.append((f32(mn_i * math.sqrt(float(ar))), f32(mn_i / math.sqrt(float(ar)))))
    boxes = []
    for h in range(lh):
        for w in range(lw):
            cx = (f32(w) + f32(offset)) * sw
            cy = (f32(h) + f32(offset)) * sh
            for bw, bh in sizes:
                boxes += [(float(cx) - float(bw) / 2) / iw, (float(cy) - float(bh) / 2) / ih,
                          (float(cx) + float(bw) / 2) / iw, (float(cy) + float(bh) / 2) / ih]
    boxes = np.array(boxes).astype(np.float32)
    if clip:
        boxes = np.clip(boxes, f32(0), f32(1))
    var = [0.1] * 4 if len(variance) == 0 else list(variance) * 4 if len(variance) == 1 else list(variance)
    variances = np.tile(np.array(var, dtype=np.float32), len(boxes) // 4)
    return np.stack([boxes, variances])[None].astype(np.float64)


PRIORBOX_SPECS = [
    # name, feature map NCHW, image NCHW or None, attrs
    ("min_only_image_input", (1, 2, 3, 3), (1, 1, 30, 30), {"min_size": [10.0]}),
    ("max_ratios_flip_clip_4_variances_img_size", (2, 1, 3, 4), None,
     {"min_size": [60.0], "max_size": [111.0], "aspect_ratio": [2.0, 3.0], "clip": True,
      "variance": [0.1, 0.1, 0.2, 0.2], "img_size": 300}),
    ("noflip_img_hw_steps_hw_offset", (1, 1, 3, 4), None,
     {"min_size": [20.0], "aspect_ratio": [2.0, 0.5, 1.0], "flip": False, "img_h": 60,
      "img_w": 100, "step_h": 18.0, "step_w": 24.0, "offset": 0.25, "variance": [0.2]}),
    ("two_min_sizes_truncated_step_image_input", (1, 3, 2, 3), (1, 1, 40, 56),
     {"min_size": [8.7, 16.2], "max_size": [16.5, 30.0], "aspect_ratio": [3.0, 0.3333333],
      "step": 16.0, "offset": 0.0}),
    ("duplicate_ratios_no_clip_past_the_border", (1, 4, 1, 1), None,
     {"min_size": [90.0], "max_size": [120.0], "aspect_ratio": [2.0, 2.0000001, 0.5, 4.0],
      "img_size": 100}),
    # SSD512's first layer: 35.84 and 76.8 become 35 and 76 (OpenCV keeps the fractions).
    ("fractional_sizes_truncated_like_ssd512", (1, 2, 2, 2), None,
     {"min_size": [35.84], "max_size": [76.8], "aspect_ratio": [2.0], "img_size": 128}),
    ("nonsquare_image_input_clip_one_variance", (1, 1, 2, 2), (1, 1, 24, 32),
     {"min_size": [30.0], "aspect_ratio": [1.5], "clip": True, "variance": [0.15]}),
]


def priorbox_cases():
    cases = []
    for name, feat, image, attrs in PRIORBOX_SPECS:
        # Only the image blob's shape is read: zeros keep the file short.
        inputs = [rand(feat)] + ([np.zeros(image, np.float32)] if image else [])
        y = caffe_priorbox_ref(feat[2:], image[2:] if image else None, **attrs)
        cases.append(case_json(name, attrs, {}, inputs, [y]))
    write("CaffePriorBox", cases)


# ---------------------------------------------------------------------------- CaffeNormalize

def caffe_normalize_ref(x, scale, across_spatial=True, channel_shared=True, eps=1e-10):
    x = x.astype(np.float64)
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    if across_spatial:
        norm = np.sqrt((flat * flat).sum(axis=(1, 2), keepdims=True) + eps)
    else:
        norm = np.sqrt((flat * flat).sum(axis=1, keepdims=True) + eps)
    s = scale.astype(np.float64).reshape(1, -1, 1)
    return (flat / norm * s).reshape(x.shape)


def normalize_cases():
    specs = [
        ("across_spatial_channel_shared", (2, 3, 2, 4), True, True, {}),
        ("across_spatial_per_channel", (1, 4, 3, 3), True, False, {}),
        ("per_pixel_channel_shared", (2, 3, 3, 2), False, True, {"eps": 0.001}),
        ("per_pixel_per_channel_ssd_conv4_3", (1, 5, 2, 3), False, False, {}),
        ("per_pixel_zero_and_tiny_pixels_eps", (1, 3, 2, 2), False, False, {"eps": 1e-6}),
        ("rank2_across_spatial", (3, 4), True, False, {"eps": 0.5}),
    ]
    cases = []
    for name, shape, across, shared, extra in specs:
        x = rand(shape)
        if name.startswith("per_pixel_zero"):
            x[0, :, 0, 0] = 0.0
            x[0, :, 0, 1] = np.float32([1e-4, -2e-4, 5e-5])
        scale = rand((1,) if shared else (shape[1],), 1.0, 20.0)
        attrs = {"across_spatial": across, "channel_shared": shared, **extra}
        y = caffe_normalize_ref(x, scale, across, shared, extra.get("eps", 1e-10))
        cases.append(case_json(name, attrs, {"scale": scale}, [x], [y]))
    write("CaffeNormalize", cases)


# ---------------------------------------------------------------------------- DetectionOutput

def box_area(b):
    return 0.0 if b[2] < b[0] or b[3] < b[1] else (b[2] - b[0]) * (b[3] - b[1])


def jaccard(a, b):
    if b[0] > a[2] or b[2] < a[0] or b[1] > a[3] or b[3] < a[1]:
        return 0.0
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if not (w > 0 and h > 0):
        return 0.0
    return w * h / (box_area(a) + box_area(b) - w * h)


def decode_ref(prior, var, d, code_type, encoded):
    v = np.ones(4) if encoded else var
    if code_type == "CORNER":
        return prior + v * d
    pw, ph = prior[2] - prior[0], prior[3] - prior[1]
    if code_type == "CORNER_SIZE":
        return prior + v * d * np.array([pw, ph, pw, ph])
    cx = v[0] * d[0] * pw + (prior[0] + prior[2]) / 2
    cy = v[1] * d[1] * ph + (prior[1] + prior[3]) / 2
    w, h = math.exp(v[2] * d[2]) * pw, math.exp(v[3] * d[3]) * ph
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def detection_output_ref(loc, conf, priors, num_classes, share_location=True, background_label_id=0,
                         nms_threshold=0.3, top_k=-1, eta=1.0, code_type="CORNER",
                         variance_encoded_in_target=False, keep_top_k=-1,
                         confidence_threshold=None, margin=1e-4):
    """[1, 1, rows, 7]. Asserts that no score lies within 1e-6 of the confidence threshold, no
    compared IoU within `margin` of the NMS threshold and no two compared scores are equal, where
    float32 and float64 could decide differently or the order would rest on ties."""
    n = loc.shape[0]
    p = priors.shape[2] // 4
    lc = 1 if share_location else num_classes
    loc = loc.astype(np.float64).reshape(n, p, lc, 4)
    conf = conf.astype(np.float64).reshape(n, p, num_classes)
    pri = priors.astype(np.float64).reshape(2, p, 4)
    rows = []
    for i in range(n):
        boxes = {}
        for l in range(lc):
            if not share_location and l == background_label_id:
                continue
            boxes[l] = [decode_ref(pri[0, j], pri[1, j], loc[i, j, l], code_type,
                                   variance_encoded_in_target) for j in range(p)]
        found = []  # (label, score, box), label ascending, NMS order
        for c in range(num_classes):
            if c == background_label_id:
                continue
            s = conf[i, :, c]
            if confidence_threshold is not None:
                assert np.all(np.abs(s - confidence_threshold) > 1e-6), "score at the threshold"
                cand = [j for j in range(p) if s[j] > confidence_threshold]
            else:
                cand = list(range(p))
            cand.sort(key=lambda j: -s[j])  # stable: ties by lower prior index
            assert len(set(s[cand])) == len(cand), "tied scores"
            if top_k >= 0:
                cand = cand[:top_k]
            bx = boxes[0 if share_location else c]
            kept, thr = [], nms_threshold
            for j in cand:
                ious = [jaccard(bx[j], bx[q]) for q in kept]
                assert all(abs(u - thr) > margin for u in ious), "IoU at the threshold"
                if all(u <= thr for u in ious):
                    kept.append(j)
                    if eta < 1 and thr > 0.5:
                        thr *= eta
            found += [(c, s[j], bx[j]) for j in kept]
        if keep_top_k >= 0 and len(found) > keep_top_k:
            scores = sorted(f[1] for f in found)
            assert len(set(scores)) == len(scores), "tied scores across classes"
            found = sorted(found, key=lambda f: -f[1])[:keep_top_k]
            found.sort(key=lambda f: f[0])  # stable: by label, each by descending score
        rows += [[i, c, sc, *b] for c, sc, b in found]
    if not rows:
        rows = [[i, -1, -1, -1, -1, -1, -1] for i in range(n)]
    return np.array(rows, dtype=np.float64).reshape(1, 1, -1, 7)


def ssd_inputs(batch, feat_hw, num_classes, share_location, loc_scale, priorbox_attrs):
    """Priors of a CaffePriorBox layer over a 96 x 96 image, softmax scores and random offsets."""
    priors = caffe_priorbox_ref(feat_hw, (96, 96), **priorbox_attrs).astype(np.float32)
    p = priors.shape[2] // 4
    lc = 1 if share_location else num_classes
    loc = rng.uniform(-loc_scale, loc_scale, size=(batch, p * lc * 4)).astype(np.float32)
    logits = rng.normal(0.0, 2.0, size=(batch, p, num_classes))
    conf = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    return loc, conf.reshape(batch, p * num_classes).astype(np.float32), priors


DETECTION_SPECS = [
    # name, (batch, feature HxW, classes, loc scale), priorbox attrs, DetectionOutput attrs
    ("center_size_shared_bg0_batch2", (2, (3, 3), 4, 1.0),
     {"min_size": [30.0], "max_size": [60.0], "aspect_ratio": [2.0]},
     {"num_classes": 4, "code_type": "CENTER_SIZE", "nms_threshold": 0.45, "top_k": 20,
      "keep_top_k": 10, "confidence_threshold": 0.05}),
    ("corner_variance_encoded_top_k_no_threshold", (1, (2, 2), 3, 0.05),
     {"min_size": [40.0], "aspect_ratio": [2.0], "clip": True},
     {"num_classes": 3, "code_type": "CORNER", "variance_encoded_in_target": True,
      "nms_threshold": 0.5, "top_k": 5}),
    ("corner_size_unshared_bg_minus1", (1, (2, 3), 3, 1.0),
     {"min_size": [32.0], "aspect_ratio": [3.0]},
     {"num_classes": 3, "share_location": False, "background_label_id": -1,
      "code_type": "CORNER_SIZE", "nms_threshold": 0.4, "confidence_threshold": 0.25}),
    ("center_size_unshared_bg0_eta_batch2", (2, (3, 3), 3, 0.5),
     {"min_size": [36.0], "max_size": [50.0], "aspect_ratio": [2.0]},
     {"num_classes": 3, "share_location": False, "code_type": "CENTER_SIZE",
      "nms_threshold": 0.8, "eta": 0.7, "confidence_threshold": 0.1}),
    ("shared_bg_minus1_all_classes_foreground", (1, (2, 2), 2, 1.0),
     {"min_size": [40.0], "max_size": [60.0]},
     {"num_classes": 2, "background_label_id": -1, "code_type": "CENTER_SIZE",
      "nms_threshold": 0.3, "confidence_threshold": 0.3, "keep_top_k": 4}),
    ("corner_keep_top_k_cut_bg2", (1, (3, 3), 4, 1.0),
     {"min_size": [30.0], "aspect_ratio": [2.0]},
     {"num_classes": 4, "background_label_id": 2, "code_type": "CORNER",
      "nms_threshold": 0.45, "keep_top_k": 5, "confidence_threshold": 0.1}),
    ("no_detection_batch2", (2, (2, 2), 3, 1.0),
     {"min_size": [40.0]},
     {"num_classes": 3, "code_type": "CENTER_SIZE", "confidence_threshold": 0.995,
      "keep_top_k": 7}),
]


DETECTION_INPUTS = {}  # name -> (loc, conf, priors), for the OpenCV cross-check


def detection_cases():
    cases = []
    for name, (batch, hw, classes, loc_scale), pb, attrs in DETECTION_SPECS:
        for _ in range(50):  # redraw until no decision sits on a threshold or a tie
            loc, conf, priors = ssd_inputs(batch, hw, classes, attrs.get("share_location", True),
                                           loc_scale, pb)
            try:
                y = detection_output_ref(loc, conf, priors, **attrs)
                break
            except AssertionError:
                continue
        else:
            sys.exit("no clean draw for case " + name)
        DETECTION_INPUTS[name] = (loc, conf, priors)
        cases.append(case_json(name, attrs, {}, [loc, conf, priors], [y]))
    write("DetectionOutput", cases)


# ---------------------------------------------------------------------------- OpenCV cross-check

def prototxt_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def param_block(name, attrs, nested=()):
    lines = []
    for k, v in attrs.items():
        if k in nested:
            continue
        for e in (v if isinstance(v, list) else [v]):
            lines.append("    %s: %s" % (k, prototxt_value(e)))
    inner = "\n".join(lines)
    nest = {k: attrs[k] for k in nested if k in attrs}
    if nest:
        inner += "\n    nms_param {\n%s\n    }" % "\n".join(
            "      %s: %s" % (k, prototxt_value(v)) for k, v in nest.items())
    return "  %s {\n%s\n  }" % (name, inner)


def opencv_forward(inputs, layer):
    import cv2

    # cv2 reads a 3-D array as a 2-D image with channels: pass every input as 4-D.
    inputs = [t.reshape(t.shape + (1,) * (4 - t.ndim)) for t in inputs]

    text = "".join('input: "in%d"\ninput_shape { %s }\n' % (i, " ".join("dim: %d" % d for d in t.shape))
                   for i, t in enumerate(inputs))
    text += layer
    net = cv2.dnn.readNetFromCaffe(bytearray(text.encode()))
    for i, t in enumerate(inputs):
        net.setInput(t, "in%d" % i)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    return net.forward()


def opencv_check():
    print("OpenCV cross-check (cv2 %s)" % __import__("cv2").__version__)
    for name, feat, image, attrs in PRIORBOX_SPECS:
        if len(attrs["min_size"]) > 1:
            print("  CaffePriorBox %-45s skipped: OpenCV reads one min_size" % name)
            continue
        mine = caffe_priorbox_ref(feat[2:], image[2:] if image else None, **attrs)
        img = image if image else (1, 1, attrs.get("img_h") or attrs["img_size"],
                                   attrs.get("img_w") or attrs["img_size"])
        cv_attrs = {k: v for k, v in attrs.items() if k not in ("img_size", "img_h", "img_w")}
        cv_attrs.setdefault("clip", False)  # OpenCV defaults to true
        cv_attrs.setdefault("variance", [0.1])  # OpenCV requires the field
        layer = ('layer {\n  name: "pb"\n  type: "PriorBox"\n  bottom: "in0"\n  bottom: "in1"\n'
                 '  top: "pb"\n%s\n}\n' % param_block("prior_box_param", cv_attrs))
        theirs = opencv_forward([rand(feat), np.zeros(img, np.float32)], layer)
        diff = np.abs(theirs.astype(np.float64) - mine)
        print("  CaffePriorBox %-45s shape %s vs %s, max |diff| %.3g" %
              (name, list(theirs.shape), list(mine.shape), diff.max() if theirs.shape == mine.shape else np.inf))
    for name, (batch, hw, classes, loc_scale), pb, attrs in DETECTION_SPECS:
        loc, conf, priors = DETECTION_INPUTS[name]
        cv_attrs = dict(attrs)
        note = ""
        if attrs.get("eta", 1.0) < 1:  # OpenCV ignores eta: compare with the fixed-threshold rows
            cv_attrs.pop("eta")
            note = " (eta dropped: OpenCV ignores it)"
        mine = detection_output_ref(loc, conf, priors, **cv_attrs)[0, 0]
        if attrs.get("variance_encoded_in_target"):
            priors = priors[:, :1]  # OpenCV wants [1, 1, P * 4] then
        # OpenCV requires these fields (caffe.proto gives defaults).
        cv_attrs.setdefault("keep_top_k", batch * classes * (priors.shape[2] // 4))
        cv_attrs.setdefault("share_location", True)
        cv_attrs.setdefault("background_label_id", 0)
        cv_attrs.setdefault("nms_threshold", 0.3)
        try:
            layer = ('layer {\n  name: "det"\n  type: "DetectionOutput"\n  bottom: "in0"\n'
                     '  bottom: "in1"\n  bottom: "in2"\n  top: "det"\n%s\n}\n' %
                     param_block("detection_output_param", cv_attrs, ("nms_threshold", "top_k", "eta")))
            theirs = opencv_forward([loc, conf, priors], layer)[0, 0].astype(np.float64)
        except Exception as e:  # noqa: BLE001 - report whatever OpenCV rejects
            why = [l for l in str(e).splitlines() if "error" in l or "expected" in l]
            print("  DetectionOutput %-43s OpenCV failed: %s" % (name, " ".join(why)[-110:]))
            continue
        theirs_rows = theirs[~np.all(theirs == 0, axis=1)]
        key = lambda r: (r[0], r[1], -r[2])  # noqa: E731
        a = np.array(sorted(mine.tolist(), key=key)) if len(mine) else mine
        b = np.array(sorted(theirs_rows.tolist(), key=key)) if len(theirs_rows) else theirs_rows
        if a.shape != b.shape:
            print("  DetectionOutput %-43s rows: ours %d, OpenCV %d (of %d, zero rows dropped)" %
                  (name, len(a), len(b), len(theirs)))
            continue
        print("  DetectionOutput %-43s %d rows agree as sets, max |diff| %.3g; OpenCV output has %d rows%s" %
              (name, len(a), np.abs(a - b).max() if len(a) else 0.0, len(theirs), note))


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    lrn_cases()
    priorbox_cases()
    normalize_cases()
    detection_cases()
    if "--opencv" in sys.argv:
        opencv_check()


if __name__ == "__main__":
    main()
