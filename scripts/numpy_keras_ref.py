#!/usr/bin/python3
"""An independent float64 numpy reference for Keras 2.x .h5 models.

Written from Keras 2.x layer semantics (the Keras/tf.keras documentation and source behaviour
cited below), not from ingot's C++: it parses the .h5 itself (root attr `model_config` JSON and
the `model_weights` group) with h5py and interprets the graph layer by layer in float64.

    /usr/bin/python3 scripts/numpy_keras_ref.py MODEL.h5 --input x.npy [--input y.npy]
        --out DIR [--bilinear half_pixel|legacy] [--params P.json] [--dump]

writes DIR/output_N.npy (float32, model output order; with --dump also DIR/<layer>.npy for
every layer). As a module: `run(path, [inputs], ..., params=dict) -> [outputs]`.

The parameter file has the form of `ingot convert --params` (README.md, "Custom layers"):
`{"<layer name>" | "class:<ClassName>": {...}}`. An entry with an "op" key maps a Lambda layer
(whose saved function is marshalled Python bytecode, not executable here) to
  {"op": "Identity"}                                  y = x
  {"op": "Affine", "scale": s, "offset": b}           y = x * s + b   (defaults s = 1, b = 0)
any other entry supplies / overrides Keras config keys of a layer (layer entry over class entry
over the saved config). A Lambda layer without a mapping is an error.

Semantics relied on (Keras 2.0 .. 2.8, TensorFlow backend unless noted):
* Tensors keep the layout Keras gives them: a layer with data_format="channels_first" reads
  and writes NCHW (computed here by transposing to NHWC and back); everything else is NHWC.
* Weights are matched to layers **by name**, not by position: every h5 weight is
  `<scope>/<short>:0` and the layer is the group for flat layers, or the `<scope>` path
  component (the sub-layer name) for nested models, whose group lists all trainable weights
  of all sub-layers first and the non-trainable ones after.
* Theano-backend files (root attr backend == "theano"): Keras 2's
  `preprocess_weights_for_loading` flips the kernels of Conv1D/Conv2D/Conv3D/Conv2DTranspose
  with `conv_utils.convert_kernel` (reverse every axis except the last two, i.e. the spatial
  ones) when the saving backend differs from the loading backend, because Theano's conv2d
  (filter_flip=True) is a true convolution and TensorFlow's is a correlation. Depthwise and
  separable kernels are not in that list (they were TensorFlow-only layers).
* 'same' padding is TensorFlow's: total = max((out-1)*stride + (k-1)*dilation + 1 - in, 0),
  with total//2 before and the rest after. Max pooling pads with -inf; average pooling
  divides by the number of non-padded elements.
* UpSampling2D(interpolation="bilinear") calls `K.resize_images`. Standalone Keras <= 2.3.1
  and tf.keras up to TF 1.14 use `tf.image.resize_bilinear` with its defaults
  (align_corners=False, half_pixel_centers=False: src = dst * in/out, "legacy"); tf.keras
  from TF 1.15 / 2.0 on uses `resize_images_v2` (half_pixel_centers=True:
  src = (dst + 0.5) * in/out - 0.5, clamped at the borders, "half_pixel"). keras_version
  "2.2.4-tf" spans TF 1.13 .. 2.1, so it is ambiguous; it defaults to half_pixel here (see
  scripts/gen_real_model_refs.py for the evidence for PrismaNet) and --bilinear overrides.
* BatchNormalization: (x - mean) / sqrt(var + eps) * gamma + beta on `axis`.
* Conv2DTranspose kernel is (kh, kw, out, in); output length in*s ('same') or
  in*s + max(k - s, 0) ('valid'); the 'same' crop drops max(k - s, 0)//2 at the start.
* DepthwiseConv2D output channel c*depth_multiplier + m; SeparableConv2D = depthwise then a
  1x1 pointwise conv then bias.
* AnchorBoxes (custom layer of pierluigiferrari/ssd_keras, keras_layers/keras_layer_AnchorBoxes.py
  at 3ac9adaf, with convert_coordinates from bounding_box_utils/bounding_box_utils.py): a
  constant (batch, H, W, n_boxes, 8) that reads only the input's shape; ported from the
  line-by-line numpy transcription in ../shared/oracle/numpy_ref.py (its README, "Custom
  layers"). Config defaults: aspect_ratios [0.5, 1, 2], two_boxes_for_ar1 True, clip_boxes
  False, variances [.1, .1, .2, .2], coords 'centroids', normalize_coords False; this_steps /
  this_offsets are not saved by the original get_config, so step = img / feature size and
  offset 0.5 unless a config carries them. Box size base is min(img_height, img_width); an
  aspect ratio 1 adds a second box sqrt(this_scale * next_scale) * size when two_boxes_for_ar1.
  Centres linspace(off*step, (off+n-1)*step, n); centroids -> corners, optional clip (>= img ->
  img-1, < 0 -> 0), optional normalisation by img_width / img_height, then corners ->
  centroids (border_pixels 'half', d = 0) or -> minmax; 4 variances appended. The original
  computes in float64 numpy and makes a float32 K.constant, so the result is rounded to
  float32 once, as there.
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np


def _s(v):
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode('utf8')
    return str(v)


def _attr_list(group, name):
    if name in group.attrs:
        return [_s(n) for n in group.attrs[name]]
    out, k = [], 0
    while '%s%d' % (name, k) in group.attrs:
        out.extend(_s(n) for n in group.attrs['%s%d' % (name, k)])
        k += 1
    return out


# ----------------------------------------------------------------------------- weights

def load_weights(f, nested):
    """{layer_name: {short_name: float64 array}}; `nested` names the top-level nested models."""
    mw = f['model_weights'] if 'model_weights' in f else f
    out = {}
    for lname in _attr_list(mw, 'layer_names'):
        g = mw[lname]
        for wname in _attr_list(g, 'weight_names'):
            arr = np.array(g[wname], dtype=np.float64)
            parts = wname.split(':')[0].split('/')
            # A flat layer's group is the layer, whatever scope its variables carry
            # (conv2d_1_1/kernel:0 in group conv2d_1). A nested model's group holds the
            # variables of all its sub-layers, each scoped by the sub-layer's name.
            owner = parts[-2] if lname in nested else lname
            d = out.setdefault(owner, {})
            if parts[-1] in d:
                raise ValueError('duplicate weight %s for layer %s' % (parts[-1], owner))
            d[parts[-1]] = arr
    return out


def _nested_names(cfg):
    return {l['config']['name'] for l in _layers_of(cfg)
            if l['class_name'] in ('Sequential', 'Model', 'Functional')}


def _layers_of(cfg):
    c = cfg['config']
    return c if isinstance(c, list) else c['layers']


# ----------------------------------------------------------------------------- helpers

def _pair(v):
    if isinstance(v, (list, tuple)):
        return tuple(int(a) for a in v)
    return (int(v), int(v))


def _same_pads(n, k, s, d=1):
    out = -(-n // s)
    eff = (k - 1) * d + 1
    total = max((out - 1) * s + eff - n, 0)
    return out, total // 2, total - total // 2


def _to_nhwc(x, fmt):
    return np.transpose(x, (0, 2, 3, 1)) if fmt == 'channels_first' else x


def _from_nhwc(x, fmt):
    return np.transpose(x, (0, 3, 1, 2)) if fmt == 'channels_first' else x


def _pad_spatial(x, kh, kw, sh, sw, dh, dw, padding, value=0.0):
    n, h, w, c = x.shape
    if padding == 'same':
        oh, pt, pb = _same_pads(h, kh, sh, dh)
        ow, pl, pr = _same_pads(w, kw, sw, dw)
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=value)
    elif padding == 'valid':
        oh = (h - ((kh - 1) * dh + 1)) // sh + 1
        ow = (w - ((kw - 1) * dw + 1)) // sw + 1
    else:
        raise ValueError('padding %r' % padding)
    return x, oh, ow


def _taps(x, kh, kw, sh, sw, dh, dw, oh, ow):
    """Yields (i, j, window) with window[n, y, x, c] = x[n, y*sh + i*dh, x*sw + j*dw, c]."""
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * dh, j * dw
            yield i, j, x[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw, :]


def conv2d(x, k, strides, padding, dilation):
    kh, kw = k.shape[:2]
    sh, sw = strides
    dh, dw = dilation
    xp, oh, ow = _pad_spatial(x, kh, kw, sh, sw, dh, dw, padding)
    y = np.zeros((x.shape[0], oh, ow, k.shape[3]))
    for i, j, win in _taps(xp, kh, kw, sh, sw, dh, dw, oh, ow):
        y += np.tensordot(win, k[i, j], axes=([3], [0]))
    return y


def depthwise2d(x, k, strides, padding, dilation):
    kh, kw, c, m = k.shape
    sh, sw = strides
    dh, dw = dilation
    xp, oh, ow = _pad_spatial(x, kh, kw, sh, sw, dh, dw, padding)
    y = np.zeros((x.shape[0], oh, ow, c, m))
    for i, j, win in _taps(xp, kh, kw, sh, sw, dh, dw, oh, ow):
        y += win[..., None] * k[i, j]
    return y.reshape(x.shape[0], oh, ow, c * m)


def conv2d_transpose(x, k, strides, padding):
    kh, kw, cout, cin = k.shape
    sh, sw = strides
    n, h, w, _ = x.shape
    full_h, full_w = (h - 1) * sh + kh, (w - 1) * sw + kw
    if padding == 'same':
        oh, ow = h * sh, w * sw
        bh, bw = max(kh - sh, 0) // 2, max(kw - sw, 0) // 2
    else:
        oh, ow = h * sh + max(kh - sh, 0), w * sw + max(kw - sw, 0)
        bh, bw = 0, 0
    full = np.zeros((n, max(full_h, oh + bh), max(full_w, ow + bw), cout))
    for i in range(kh):
        for j in range(kw):
            contrib = np.tensordot(x, k[i, j], axes=([3], [1]))  # (n, h, w, cout)
            full[:, i:i + (h - 1) * sh + 1:sh, j:j + (w - 1) * sw + 1:sw, :] += contrib
    return full[:, bh:bh + oh, bw:bw + ow, :]


def pool2d(x, size, strides, padding, kind):
    kh, kw = size
    sh, sw = strides
    if kind == 'max':
        xp, oh, ow = _pad_spatial(x, kh, kw, sh, sw, 1, 1, padding, value=-np.inf)
        y = np.full((x.shape[0], oh, ow, x.shape[3]), -np.inf)
        for _, _, win in _taps(xp, kh, kw, sh, sw, 1, 1, oh, ow):
            y = np.maximum(y, win)
        return y
    xp, oh, ow = _pad_spatial(x, kh, kw, sh, sw, 1, 1, padding)
    ones, _, _ = _pad_spatial(np.ones(x.shape[:3] + (1,)), kh, kw, sh, sw, 1, 1, padding)
    s = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    cnt = np.zeros((x.shape[0], oh, ow, 1))
    for (_, _, win), (_, _, one) in zip(_taps(xp, kh, kw, sh, sw, 1, 1, oh, ow),
                                        _taps(ones, kh, kw, sh, sw, 1, 1, oh, ow)):
        s += win
        cnt += one
    return s / cnt


def _bilinear_axis(n_in, n_out, mode):
    dst = np.arange(n_out, dtype=np.float64)
    scale = n_in / n_out
    if mode == 'half_pixel':
        src = (dst + 0.5) * scale - 0.5
    elif mode == 'legacy':
        src = dst * scale
    else:
        raise ValueError('bilinear mode %r' % mode)
    src = np.clip(src, 0.0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    return lo, hi, frac


def resize_bilinear(x, oh, ow, mode):
    _, h, w, _ = x.shape
    ylo, yhi, fy = _bilinear_axis(h, oh, mode)
    xlo, xhi, fx = _bilinear_axis(w, ow, mode)
    top = x[:, ylo, :, :] * (1 - fy)[None, :, None, None] + x[:, yhi, :, :] * fy[None, :, None, None]
    return top[:, :, xlo, :] * (1 - fx)[None, None, :, None] + top[:, :, xhi, :] * fx[None, None, :, None]


def activation(x, name):
    if name in (None, 'linear'):
        return x
    if name == 'relu':
        return np.maximum(x, 0)
    if name == 'relu6':
        return np.clip(x, 0, 6)
    if name == 'sigmoid':
        return 1.0 / (1.0 + np.exp(-x))
    if name == 'hard_sigmoid':
        return np.clip(0.2 * x + 0.5, 0, 1)
    if name == 'tanh':
        return np.tanh(x)
    if name == 'softmax':
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name == 'elu':
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
    if name == 'selu':
        a, s = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
        return s * np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))
    if name == 'softplus':
        return np.logaddexp(0, x)
    if name == 'softsign':
        return x / (1 + np.abs(x))
    if name == 'swish':
        return x / (1.0 + np.exp(-x))
    if name == 'exponential':
        return np.exp(x)
    raise NotImplementedError('activation %r' % name)


# ----------------------------------------------------------------------------- layers

class Ctx:
    def __init__(self, weights, backend, keras_version, bilinear, params=None):
        self.weights = weights
        self.backend = backend
        self.keras_version = keras_version
        self.bilinear = bilinear
        self.params = params or {}
        self.dump = None


def effective_config(ctx, cls, cfg):
    """The saved config with the parameter file's class entry, then layer entry, on top
    (entries that map a Lambda to an op are not config keys and are left out)."""
    out = dict(cfg)
    for key in ('class:' + cls, cfg.get('name')):
        e = ctx.params.get(key)
        if e and 'op' not in e:
            out.update(e)
    return out


def lambda_layer(ctx, cfg, x):
    name = cfg.get('name')
    m = ctx.params.get(name)
    if not m or 'op' not in m:
        raise NotImplementedError('Lambda layer %r (marshalled Python code) has no {"op": ...} entry '
                                  'in the parameter file' % name)
    if m['op'] == 'Identity':
        return x
    if m['op'] == 'Affine':
        return x * float(m.get('scale', 1.0)) + float(m.get('offset', 0.0))
    raise NotImplementedError('Lambda %r mapped to unknown op %r' % (name, m['op']))


# --- pierluigiferrari/ssd_keras AnchorBoxes (ported from the transcription of the original
# numpy code in ../shared/oracle/numpy_ref.py; see the module docstring).

def convert_coordinates(tensor, start_index, conversion, border_pixels='half'):
    d = {'half': 0, 'include': 1, 'exclude': -1}[border_pixels]
    ind = start_index
    t1 = np.copy(tensor).astype(np.float64)
    if conversion == 'corners2centroids':
        t1[..., ind] = (tensor[..., ind] + tensor[..., ind + 2]) / 2.0
        t1[..., ind + 1] = (tensor[..., ind + 1] + tensor[..., ind + 3]) / 2.0
        t1[..., ind + 2] = tensor[..., ind + 2] - tensor[..., ind] + d
        t1[..., ind + 3] = tensor[..., ind + 3] - tensor[..., ind + 1] + d
    elif conversion == 'centroids2corners':
        t1[..., ind] = tensor[..., ind] - tensor[..., ind + 2] / 2.0
        t1[..., ind + 1] = tensor[..., ind + 1] - tensor[..., ind + 3] / 2.0
        t1[..., ind + 2] = tensor[..., ind] + tensor[..., ind + 2] / 2.0
        t1[..., ind + 3] = tensor[..., ind + 1] + tensor[..., ind + 3] / 2.0
    elif conversion in ('minmax2corners', 'corners2minmax'):
        t1[..., ind + 1] = tensor[..., ind + 2]
        t1[..., ind + 2] = tensor[..., ind + 1]
    else:
        raise ValueError('conversion %r' % conversion)
    return t1


def anchor_boxes(x, c):
    if x.ndim != 4:
        raise ValueError('AnchorBoxes %r: input must be (batch, H, W, C), got %s' % (c.get('name'), x.shape))
    for k in ('img_height', 'img_width', 'this_scale', 'next_scale'):
        if c.get(k) is None:
            raise ValueError('AnchorBoxes %r: required config key %r missing' % (c.get('name'), k))
    img_height, img_width = c['img_height'], c['img_width']
    this_scale, next_scale = c['this_scale'], c['next_scale']
    if this_scale < 0 or next_scale < 0 or this_scale > 1:
        raise ValueError('AnchorBoxes: this_scale must be in [0, 1] and next_scale >= 0')
    aspect_ratios = c.get('aspect_ratios', [0.5, 1.0, 2.0])
    two_boxes_for_ar1 = c.get('two_boxes_for_ar1', True)
    this_steps, this_offsets = c.get('this_steps'), c.get('this_offsets')
    clip_boxes = c.get('clip_boxes', False)
    variances = np.array(c.get('variances', [0.1, 0.1, 0.2, 0.2]), dtype=np.float64)
    if variances.shape != (4,) or np.any(variances <= 0):
        raise ValueError('AnchorBoxes: 4 positive variances expected, got %s' % variances)
    coords = c.get('coords', 'centroids')
    normalize_coords = c.get('normalize_coords', False)
    n_boxes = len(aspect_ratios) + 1 if (1 in aspect_ratios) and two_boxes_for_ar1 else len(aspect_ratios)

    size = min(img_height, img_width)
    wh_list = []
    for ar in aspect_ratios:
        if ar == 1:
            box_height = box_width = this_scale * size
            wh_list.append((box_width, box_height))
            if two_boxes_for_ar1:
                box_height = box_width = np.sqrt(this_scale * next_scale) * size
                wh_list.append((box_width, box_height))
        else:
            box_height = this_scale * size / np.sqrt(ar)
            box_width = this_scale * size * np.sqrt(ar)
            wh_list.append((box_width, box_height))
    wh_list = np.array(wh_list)

    batch_size, fh, fw, _ = x.shape
    if this_steps is None:
        step_height, step_width = img_height / fh, img_width / fw
    elif isinstance(this_steps, (list, tuple)):
        step_height, step_width = this_steps
    else:
        step_height = step_width = this_steps
    if this_offsets is None:
        offset_height = offset_width = 0.5
    elif isinstance(this_offsets, (list, tuple)):
        offset_height, offset_width = this_offsets
    else:
        offset_height = offset_width = this_offsets
    cy = np.linspace(offset_height * step_height, (offset_height + fh - 1) * step_height, fh)
    cx = np.linspace(offset_width * step_width, (offset_width + fw - 1) * step_width, fw)
    cx_grid, cy_grid = np.meshgrid(cx, cy)
    cx_grid = np.expand_dims(cx_grid, -1)
    cy_grid = np.expand_dims(cy_grid, -1)

    boxes = np.zeros((fh, fw, n_boxes, 4))
    boxes[:, :, :, 0] = np.tile(cx_grid, (1, 1, n_boxes))
    boxes[:, :, :, 1] = np.tile(cy_grid, (1, 1, n_boxes))
    boxes[:, :, :, 2] = wh_list[:, 0]
    boxes[:, :, :, 3] = wh_list[:, 1]
    boxes = convert_coordinates(boxes, 0, 'centroids2corners')
    if clip_boxes:
        x_coords = boxes[:, :, :, [0, 2]]
        x_coords[x_coords >= img_width] = img_width - 1
        x_coords[x_coords < 0] = 0
        boxes[:, :, :, [0, 2]] = x_coords
        y_coords = boxes[:, :, :, [1, 3]]
        y_coords[y_coords >= img_height] = img_height - 1
        y_coords[y_coords < 0] = 0
        boxes[:, :, :, [1, 3]] = y_coords
    if normalize_coords:
        boxes[:, :, :, [0, 2]] /= img_width
        boxes[:, :, :, [1, 3]] /= img_height
    if coords == 'centroids':
        boxes = convert_coordinates(boxes, 0, 'corners2centroids', border_pixels='half')
    elif coords == 'minmax':
        boxes = convert_coordinates(boxes, 0, 'corners2minmax', border_pixels='half')
    elif coords != 'corners':
        raise ValueError('AnchorBoxes: coords %r' % coords)
    var = np.zeros_like(boxes) + variances
    boxes = np.concatenate((boxes, var), axis=-1)
    # K.constant(boxes_tensor, dtype='float32'), tiled over the batch.
    boxes = np.expand_dims(boxes, axis=0).astype(np.float32).astype(np.float64)
    return np.tile(boxes, (batch_size, 1, 1, 1, 1))


def _w(ctx, name):
    return ctx.weights.get(name, {})


def _kernel(ctx, name, short='kernel'):
    k = _w(ctx, name)[short]
    if ctx.backend == 'theano' and short == 'kernel':
        # conv_utils.convert_kernel: reverse every axis but the last two.
        k = k[tuple([slice(None, None, -1)] * (k.ndim - 2) + [slice(None)] * 2)].copy()
    return k


def apply_layer(ctx, cls, cfg, inputs):
    name = cfg.get('name')
    x = inputs[0] if len(inputs) == 1 else None
    fmt = cfg.get('data_format', 'channels_last') or 'channels_last'
    if cls in ('InputLayer', 'Layer', 'Dropout', 'SpatialDropout2D', 'GaussianNoise',
               'GaussianDropout', 'AlphaDropout', 'ActivityRegularization'):
        return x
    if cls == 'Conv2D':
        # groups (tf.keras >= 2.3): input channels and filters split into `groups` consecutive
        # blocks, block g of the output convolving block g of the input only; the kernel is
        # (kh, kw, in / groups, filters).
        groups = cfg.get('groups', 1) or 1
        xs, k = _to_nhwc(x, fmt), _kernel(ctx, name)
        cg, og = k.shape[2], k.shape[3] // groups
        y = np.concatenate([conv2d(xs[..., g * cg:(g + 1) * cg], k[..., g * og:(g + 1) * og], _pair(cfg['strides']),
                                   cfg['padding'], _pair(cfg.get('dilation_rate', 1)))
                            for g in range(groups)], axis=3)
        if cfg.get('use_bias', True):
            y = y + _w(ctx, name)['bias']
        return activation(_from_nhwc(y, fmt), cfg.get('activation'))
    if cls == 'DepthwiseConv2D':
        y = depthwise2d(_to_nhwc(x, fmt), _w(ctx, name)['depthwise_kernel'], _pair(cfg['strides']),
                        cfg['padding'], _pair(cfg.get('dilation_rate', 1)))
        if cfg.get('use_bias', True):
            y = y + _w(ctx, name)['bias']
        return activation(_from_nhwc(y, fmt), cfg.get('activation'))
    if cls == 'SeparableConv2D':
        w = _w(ctx, name)
        y = depthwise2d(_to_nhwc(x, fmt), w['depthwise_kernel'], _pair(cfg['strides']), cfg['padding'],
                        _pair(cfg.get('dilation_rate', 1)))
        y = np.tensordot(y, w['pointwise_kernel'][0, 0], axes=([3], [0]))
        if cfg.get('use_bias', True):
            y = y + w['bias']
        return activation(_from_nhwc(y, fmt), cfg.get('activation'))
    if cls == 'Conv2DTranspose':
        if cfg.get('output_padding') is not None:
            raise NotImplementedError('Conv2DTranspose output_padding')
        if _pair(cfg.get('dilation_rate', 1)) != (1, 1):
            raise NotImplementedError('Conv2DTranspose dilation')
        y = conv2d_transpose(_to_nhwc(x, fmt), _kernel(ctx, name), _pair(cfg['strides']), cfg['padding'])
        if cfg.get('use_bias', True):
            y = y + _w(ctx, name)['bias']
        return activation(_from_nhwc(y, fmt), cfg.get('activation'))
    if cls == 'Dense':
        w = _w(ctx, name)
        y = np.tensordot(x, w['kernel'], axes=([x.ndim - 1], [0]))
        if cfg.get('use_bias', True):
            y = y + w['bias']
        return activation(y, cfg.get('activation'))
    if cls == 'BatchNormalization':
        w = _w(ctx, name)
        axis = cfg.get('axis', -1)
        axis = axis[0] if isinstance(axis, list) else axis
        axis = axis % x.ndim
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        c = x.shape[axis]
        gamma = w.get('gamma', np.ones(c)) if cfg.get('scale', True) else np.ones(c)
        beta = w.get('beta', np.zeros(c)) if cfg.get('center', True) else np.zeros(c)
        inv = gamma / np.sqrt(w['moving_variance'] + cfg.get('epsilon', 1e-3))
        return (x - w['moving_mean'].reshape(shape)) * inv.reshape(shape) + beta.reshape(shape)
    if cls == 'Activation':
        return activation(x, cfg['activation'])
    if cls == 'ReLU':
        mv = cfg.get('max_value')
        slope = cfg.get('negative_slope', 0.0) or 0.0
        th = cfg.get('threshold', 0.0) or 0.0
        y = np.where(x >= th, x, slope * (x - th))
        return np.minimum(y, mv) if mv is not None else y
    if cls == 'LeakyReLU':
        a = cfg.get('alpha', 0.3)
        return np.where(x >= 0, x, a * x)
    if cls == 'ELU':
        a = cfg.get('alpha', 1.0)
        return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))
    if cls == 'ThresholdedReLU':
        return np.where(x > cfg.get('theta', 1.0), x, 0.0)
    if cls == 'PReLU':
        a = _w(ctx, name)['alpha']
        return np.maximum(x, 0) + a[None] * np.minimum(x, 0)
    if cls == 'Softmax':
        ax = cfg.get('axis', -1)
        e = np.exp(x - x.max(axis=ax, keepdims=True))
        return e / e.sum(axis=ax, keepdims=True)
    if cls in ('MaxPooling2D', 'AveragePooling2D'):
        size = _pair(cfg['pool_size'])
        strides = _pair(cfg['strides']) if cfg.get('strides') is not None else size
        y = pool2d(_to_nhwc(x, fmt), size, strides, cfg['padding'], 'max' if cls == 'MaxPooling2D' else 'avg')
        return _from_nhwc(y, fmt)
    if cls in ('GlobalAveragePooling2D', 'GlobalMaxPooling2D'):
        xn = _to_nhwc(x, fmt)
        y = xn.mean(axis=(1, 2)) if cls == 'GlobalAveragePooling2D' else xn.max(axis=(1, 2))
        if cfg.get('keepdims'):
            y = _from_nhwc(y[:, None, None, :], fmt)
        return y
    if cls == 'ZeroPadding2D':
        p = cfg['padding']
        if isinstance(p, int):
            p = ((p, p), (p, p))
        elif isinstance(p[0], int):
            p = ((p[0], p[0]), (p[1], p[1]))
        y = np.pad(_to_nhwc(x, fmt), ((0, 0), tuple(p[0]), tuple(p[1]), (0, 0)))
        return _from_nhwc(y, fmt)
    if cls == 'Cropping2D':
        c = cfg['cropping']
        if isinstance(c, int):
            c = ((c, c), (c, c))
        elif isinstance(c[0], int):
            c = ((c[0], c[0]), (c[1], c[1]))
        xn = _to_nhwc(x, fmt)
        h, w = xn.shape[1:3]
        y = xn[:, c[0][0]:h - c[0][1], c[1][0]:w - c[1][1], :]
        return _from_nhwc(y, fmt)
    if cls == 'UpSampling2D':
        sh, sw = _pair(cfg['size'])
        xn = _to_nhwc(x, fmt)
        interp = cfg.get('interpolation', 'nearest')
        if interp == 'nearest':
            y = np.repeat(np.repeat(xn, sh, axis=1), sw, axis=2)
        elif interp == 'bilinear':
            y = resize_bilinear(xn, xn.shape[1] * sh, xn.shape[2] * sw, ctx.bilinear)
        else:
            raise NotImplementedError('UpSampling2D interpolation %r' % interp)
        return _from_nhwc(y, fmt)
    if cls == 'Reshape':
        return x.reshape((x.shape[0],) + tuple(cfg['target_shape']))
    if cls == 'Flatten':
        if fmt == 'channels_first' and x.ndim > 2:
            x = np.transpose(x, [0] + list(range(2, x.ndim)) + [1])
        return x.reshape(x.shape[0], -1)
    if cls == 'Permute':
        return np.transpose(x, [0] + [int(d) for d in cfg['dims']])
    if cls == 'Add':
        return sum(inputs[1:], inputs[0])
    if cls == 'Subtract':
        return inputs[0] - inputs[1]
    if cls == 'Multiply':
        y = inputs[0]
        for t in inputs[1:]:
            y = y * t
        return y
    if cls == 'Average':
        return sum(inputs[1:], inputs[0]) / len(inputs)
    if cls == 'Maximum':
        return np.maximum.reduce(inputs)
    if cls == 'Minimum':
        return np.minimum.reduce(inputs)
    if cls == 'Concatenate':
        return np.concatenate(inputs, axis=cfg.get('axis', -1))
    if cls == 'Lambda':
        return lambda_layer(ctx, cfg, x)
    if cls == 'AnchorBoxes':
        return anchor_boxes(x, cfg)
    raise NotImplementedError('layer class %s (%s)' % (cls, name))


# ----------------------------------------------------------------------------- graphs

def run_model(ctx, model_cfg, inputs, prefix=''):
    """Runs a Sequential / Model / Functional config on a list of inputs."""
    cls = model_cfg['class_name']
    cfg = model_cfg['config']
    layers = cfg if isinstance(cfg, list) else cfg['layers']
    if cls == 'Sequential':
        x = inputs[0]
        for l in layers:
            x = call_layer(ctx, l, [x], prefix)
        return [x]
    if cls not in ('Model', 'Functional'):
        raise NotImplementedError('model class %s' % cls)
    produced = {}  # (layer, call index) -> [tensors]
    calls = {}
    for l in layers:
        calls[l['name']] = l.get('inbound_nodes', [])

    def ref(layer, node, tensor):
        key_calls = calls[layer]
        idx = node if node < max(len(key_calls), 1) else max(len(key_calls), 1) - 1
        return produced.get((layer, idx), [None])[tensor] if (layer, idx) in produced else None

    for i, (lname, node, tensor) in enumerate(cfg['input_layers']):
        produced[(lname, 0)] = [inputs[i]]
    pending = [(l, k) for l in layers for k in range(len(l.get('inbound_nodes', [])))]
    while pending:
        progress = False
        rest = []
        for l, k in pending:
            node = l['inbound_nodes'][k]
            if isinstance(node, dict):  # Keras 3 style, not expected here
                raise NotImplementedError('dict inbound node')
            args = [ref(e[0], e[1], e[2]) for e in node]
            if any(a is None for a in args):
                rest.append((l, k))
                continue
            produced[(l['name'], k)] = _as_list(call_layer(ctx, l, args, prefix))
            progress = True
        if not progress:
            raise ValueError('graph has unresolved inputs: %s' % [l['name'] for l, _ in rest])
        pending = rest
    return [ref(n, i, t) for n, i, t in cfg['output_layers']]


def _as_list(v):
    return v if isinstance(v, list) else [v]


def call_layer(ctx, l, inputs, prefix):
    cls = l['class_name']
    cfg = l['config']
    if cls in ('Sequential', 'Model', 'Functional'):
        name = l.get('name') or cfg.get('name')
        outs = run_model(ctx, l, inputs, prefix + name + '/')
        return outs[0] if len(outs) == 1 else outs
    y = apply_layer(ctx, cls, effective_config(ctx, cls, cfg), inputs)
    if ctx.dump is not None:
        ctx.dump[prefix + cfg['name']] = y
    return y


def default_bilinear(keras_version):
    """'legacy' for standalone Keras (resize_bilinear defaults), 'half_pixel' for tf.keras."""
    v = keras_version or ''
    if v.endswith('-tf'):
        return 'half_pixel'  # TF >= 1.15 behaviour; TF 1.13/1.14 would be 'legacy'
    try:
        major, minor = (int(p) for p in v.split('.')[:2])
    except ValueError:
        return 'half_pixel'
    return 'half_pixel' if (major, minor) >= (2, 4) else 'legacy'


def run(path, inputs, bilinear=None, dump=False, params=None):
    with h5py.File(path, 'r') as f:
        cfg = json.loads(_s(f.attrs['model_config']))
        backend = _s(f.attrs.get('backend', 'tensorflow'))
        kv = _s(f.attrs.get('keras_version', ''))
        weights = load_weights(f, _nested_names(cfg))
    ctx = Ctx(weights, backend, kv, bilinear or default_bilinear(kv), params)
    if dump:
        ctx.dump = {}
    outs = run_model(ctx, cfg, [np.asarray(x, dtype=np.float64) for x in inputs])
    return (outs, ctx.dump) if dump else outs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('model')
    ap.add_argument('--input', action='append', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--bilinear', choices=['half_pixel', 'legacy'])
    ap.add_argument('--params', help='parameter file (Lambda mappings, config overrides)')
    ap.add_argument('--dump', action='store_true', help='also write every layer output')
    a = ap.parse_args()
    xs = [np.load(p) for p in a.input]
    params = None
    if a.params:
        with open(a.params) as fh:
            params = json.load(fh)
    res = run(a.model, xs, a.bilinear, a.dump, params)
    outs, dump = res if a.dump else (res, None)
    os.makedirs(a.out, exist_ok=True)
    for i, y in enumerate(outs):
        np.save(os.path.join(a.out, 'output_%d.npy' % i), y.astype(np.float32))
        print('output_%d %s' % (i, list(y.shape)))
    if dump:
        for k, v in dump.items():
            np.save(os.path.join(a.out, k.replace('/', '__') + '.npy'), np.asarray(v, dtype=np.float32))


if __name__ == '__main__':
    sys.exit(main())
