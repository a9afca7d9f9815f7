#!/usr/bin/python3
"""Generates tests/fixtures/real_models/: independent reference outputs for the real Keras
models of ../shared/models, checked by tests/e2e/test_keras_real_refs.cpp.

    cp -r ../shared/oracle /tmp/oracle && (cd /tmp/oracle && npm ci)
    /usr/bin/python3 scripts/gen_real_model_refs.py [--shared ../shared] [--oracle /tmp/oracle]
                                                    [--only REGEX]

Needs /usr/bin/python3 with numpy, h5py and PIL (Debian python3-numpy python3-h5py python3-pil)
and node >= 18 for the oracle. For every case it
  1. makes the input: seeded random (numpy default_rng, seed = crc32 of the case name) of the
     model's input shape, or a real photo (caffe-yufacedetectnet-ssd/images/faces-1.jpg,
     BSD-3-Clause, ShiqiYu/libfacedetection) for the image models whose output means something
     on a photo (SegNet, PrismaNet hair mask, FER emotions);
  2. runs the TensorFlow.js oracle (the reference where it can run the model):
       /usr/bin/python3 ORACLE/h5_to_tfjs.py MODEL.h5 TMP [--config patched.json]
       node ORACLE/run_keras.js TMP --input x.npy --out DIR       (cwd = ORACLE)
     `--config` only for dl4j-tfkeras-synthetic, whose config tfjs 4.22 refuses as it is:
     SpatialDropout2D (unknown to tfjs; an identity at inference, like the Dropout it is
     renamed to) and SeparableConv2D's kernel_initializer/regularizer/constraint fields
     (unused config fields tfjs rejects). Nothing that changes inference is patched;
  3. runs scripts/numpy_keras_ref.py (float64), which is the reference where tfjs cannot run
     the model correctly (nested models, channels_first, theano kernels, bilinear upsampling
     with half-pixel centres) and otherwise an independent cross-check of the oracle;
  4. writes <model-dir>/index.json and the .npy files. Inputs are float32 unless a float32
     file would exceed ~300 KB: then a uint8 image is stored with "transform"
     {"offset": -128, "scale": 2^-k}, the model input being (u8 + offset) * scale, exact in
     float32; if even the uint8 image would exceed it, it is stored at a lower resolution and
     the transform adds "upsample_nearest": [fh, fw] (every pixel repeated fh x fw times along
     H and W of the NHWC image, i.e. np.repeat, before the offset and scale). Big outputs keep
     every `stride`-th element of the C-order flattened output (stride coprime with the inner
     dims so that every channel is sampled).

A case may name a parameter file ("params", relative to the repository root, passed to
`ingot convert --params` by the test and to numpy_keras_ref.run(params=...)) that maps Lambda
layers to ops. SSD7 (ssd7-anchorboxes) needs it: its three Lambda layers are marshalled
Python 3.6/3.7 bytecode, which lambda_ops() below decodes (only the exact instruction
sequences `return x` and `return x OP np.array(c)` with OP in {-, /}) to check the parameter
file against what the model really computes. tfjs cannot run Python lambdas either: it runs
the model with the Lambda chain after the input removed from the config and applied to the
input beforehand (in float64, rounded to float32 once: within an ulp of Keras' float32
x - 127.5, exact on integers, followed by / 127.5).

Tolerances: a case passes when |got - expected| <= atol + rtol * |expected| elementwise.
They are set from the disagreement of the two independent references (tfjs float32 vs numpy
float64), recorded per case as cross_check, which is a measure of float32 rounding through
the network, with a ~10x margin; never from ingot's own error.

Bilinear UpSampling2D in PrismaNet (keras_version "2.2.4-tf"): Keras/tf.keras call
K.resize_images -> in TF <= 1.14 tf.image.resize_bilinear(align_corners=False,
half_pixel_centers=False); after r1.14 was branched (so TF 1.15 and 2.x, both still reporting
tf.keras "2.2.4-tf" up to 2.1) tf.keras switched to resize_images_v2 (half_pixel_centers=True)
(tensorflow/tensorflow#33691). The model's source repository (azeme1/keras2ncnn, commit
d617629 that added this file) pins tensorflow==1.15.0 in requirements.txt, its InputLayer
config has the `ragged` key of TF >= 1.15 configs, and its ncnn export of the same model
(Interp resize_type=2, align_corner=0, i.e. half-pixel in ncnn) is reported to match Keras
within a mean abs error of 9.9e-8. So the reference uses half_pixel. tfjs 4.22 implements
only the legacy grid for UpSampling2D; it is run with --bilinear legacy numpy as a cross-check
of everything else in the network.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

import h5py
import numpy as np
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import numpy_keras_ref  # noqa: E402

ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'real_models')
PHOTO = 'caffe-yufacedetectnet-ssd/images/faces-1.jpg'  # 240 wide x 320 high, one face
PHOTO_NOTE = ('photo ../shared/models/%s (ShiqiYu/libfacedetection, BSD-3-Clause)' % PHOTO)

SMALL = {'atol': 1e-5, 'rtol': 1e-4}
SMALL_WHY = ('float32 through a small network: the two references differ by <= %s; '
             '1e-5 abs + 1e-4 rel is >= 10x that')


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def uniform(lo, hi):
    def make(name, shape):
        return rng_for(name).uniform(lo, hi, shape).astype(np.float32), None, \
            'seeded random U(%g, %g), numpy default_rng(crc32(%r))' % (lo, hi, name)
    return make


def normal():
    def make(name, shape):
        return rng_for(name).standard_normal(shape).astype(np.float32), None, \
            'seeded random N(0, 1) (a GAN latent vector), numpy default_rng(crc32(%r))' % name
    return make


def random_u8(scale_log2):
    def make(name, shape):
        u8 = rng_for(name).integers(0, 256, shape, dtype=np.uint8)
        tr = {'offset': -128, 'scale': 2.0 ** -scale_log2}
        return u8, tr, ('seeded random uint8 image, numpy default_rng(crc32(%r)).integers(0, 256); '
                        'model input (u8 - 128) / %d' % (name, 2 ** scale_log2))
    return make


def photo_u8(size_wh, scale_log2, why):
    def make(name, shape, shared):
        img = Image.open(os.path.join(shared, 'models', PHOTO)).convert('RGB')
        fit = ImageOps.fit(img, size_wh, Image.LANCZOS)
        u8 = np.asarray(fit, dtype=np.uint8)[None]
        assert list(u8.shape) == list(shape), (u8.shape, shape)
        tr = {'offset': -128, 'scale': 2.0 ** -scale_log2}
        return u8, tr, ('%s, PIL ImageOps.fit to %dx%d (LANCZOS), RGB uint8; model input '
                        '(u8 - 128) / %d (%s)' % (PHOTO_NOTE, size_wh[0], size_wh[1], 2 ** scale_log2, why))
    make.needs_shared = True
    return make


def photo_face_gray64():
    def make(name, shape, shared):
        img = Image.open(os.path.join(shared, 'models', PHOTO)).convert('L')
        face = img.crop((68, 60, 178, 170)).resize((64, 64), Image.LANCZOS)
        x = np.asarray(face, dtype=np.float32)[None, :, :, None] / np.float32(255.0)
        x = (x - np.float32(0.5)) * np.float32(2.0)  # the repository's preprocess_input(v2)
        return x.astype(np.float32), None, ('%s, face box (68,60)-(178,170) as grayscale, '
                                            'resized to 64x64 (LANCZOS), x/255 then (x-0.5)*2 as '
                                            'oarriaga/face_classification does' % PHOTO_NOTE)
    make.needs_shared = True
    return make


def photo_u8_half(photo, size_wh, why):
    """Raw 0..255 RGB pixels for a model whose normalisation is inside the graph; the uint8 image
    at full size would exceed the fixture size limit, so it is stored at half size and the
    model input is its 2x2 nearest-neighbour upsampling (exact)."""
    def make(name, shape, shared):
        img = Image.open(os.path.join(shared, 'models', photo)).convert('RGB')
        fit = ImageOps.fit(img, (size_wh[0] // 2, size_wh[1] // 2), Image.LANCZOS)
        u8 = np.asarray(fit, dtype=np.uint8)[None]
        tr = {'offset': 0, 'scale': 1.0, 'upsample_nearest': [2, 2]}
        assert [u8.shape[0], u8.shape[1] * 2, u8.shape[2] * 2, u8.shape[3]] == list(shape), (u8.shape, shape)
        return u8, tr, ('photo ../shared/models/%s (ShiqiYu/libfacedetection, BSD-3-Clause), PIL ImageOps.fit '
                        'to %dx%d (LANCZOS), RGB uint8, stored at that size; model input: each pixel repeated '
                        '2x2 (nearest-neighbour upsampling to %dx%d), raw 0..255 values as float32 (%s)'
                        % (photo, size_wh[0] // 2, size_wh[1] // 2, size_wh[0], size_wh[1], why))
    make.needs_shared = True
    return make


def model_input(stored, tr):
    """The float32 model input from the stored array and its transform (the test does the same)."""
    if tr is None:
        return stored.astype(np.float32)
    u = stored
    if tr.get('upsample_nearest'):
        fh, fw = tr['upsample_nearest']
        u = np.repeat(np.repeat(u, fh, axis=1), fw, axis=2)
    return ((u.astype(np.float32) + np.float32(tr['offset'])) * np.float32(tr['scale'])).astype(np.float32)


# Python 3.6/3.7 wordcode of the two lambda forms keras_ssd7.py uses (dis: LOAD_FAST tensor;
# [LOAD_GLOBAL np; LOAD_ATTR array; LOAD_DEREF c; CALL_FUNCTION 1; BINARY_SUBTRACT (24) |
# BINARY_TRUE_DIVIDE (27)]; RETURN_VALUE).
_IDENTITY_CODE = bytes([124, 0, 83, 0])
_BINOP_CODE = bytes([124, 0, 116, 0, 106, 1, 136, 0, 131, 1]), bytes([83, 0])
_BINOPS = {24: '-', 27: '/'}


def lambda_ops(cfg):
    """{layer: (op, constant)} decoded from the marshalled code of every Lambda layer, with op
    'identity', '-' or '/'. Raises on any other code, so that an unexpected lambda is noticed."""
    import base64
    out = {}
    for l in numpy_keras_ref._layers_of(cfg):
        if l['class_name'] != 'Lambda':
            continue
        c = l['config']
        fn = c['function']
        raw = base64.b64decode(fn[0])
        # marshal TYPE_CODE (+FLAG_REF), argcount, kwonlyargcount, nlocals, stacksize, flags
        # (5 x int32, the 3.6/3.7 layout), then co_code as a TYPE_STRING: 's' + int32 length.
        assert raw[0] & 0x7f == ord('c') and raw[21] & 0x7f == ord('s'), c['name']
        n = int.from_bytes(raw[22:26], 'little')
        code = raw[26:26 + n]
        closure = fn[2] if len(fn) > 2 else None
        if code == _IDENTITY_CODE:
            out[c['name']] = ('identity', None)
        elif (len(code) == 14 and code[:10] == _BINOP_CODE[0] and code[12:] == _BINOP_CODE[1]
              and code[10] in _BINOPS and code[11] == 0 and closure and len(closure) == 1):
            out[c['name']] = (_BINOPS[code[10]], float(closure[0]))
        else:
            raise ValueError('Lambda %s: unrecognised bytecode %s' % (c['name'], code.hex()))
    return out


def check_lambda_params(cfg, params):
    """Asserts that the parameter file maps every Lambda to what its bytecode computes."""
    ops = lambda_ops(cfg)
    notes = []
    for name, (op, k) in sorted(ops.items()):
        m = params[name]
        if op == 'identity':
            assert m['op'] == 'Identity', (name, m)
            notes.append('%s: x' % name)
            continue
        assert m['op'] == 'Affine', (name, m)
        scale, offset = float(m.get('scale', 1.0)), float(m.get('offset', 0.0))
        if op == '-':
            assert scale == 1.0 and offset == -k, (name, m, k)
        else:
            assert offset == 0.0 and abs(scale * k - 1.0) < 1e-15, (name, m, k)
        notes.append('%s: x %s %g' % (name, op, k))
    return ops, notes


def inline_input_lambdas(cfg, params, x):
    """For tfjs: drops the chain of Lambda layers right after the (single) input from the config
    and applies their mapped ops to x instead (float64, one rounding to float32)."""
    layers = numpy_keras_ref._layers_of(cfg)
    src = cfg['config']['input_layers'][0][0]
    y = x.astype(np.float64)
    dropped = set()
    while True:
        users = [l for l in layers if any(e[0] == src for n in l.get('inbound_nodes', []) for e in n)]
        if len(users) != 1 or users[0]['class_name'] != 'Lambda':
            break
        l = users[0]
        m = params[l['name']]
        if m['op'] == 'Affine':
            y = y * float(m.get('scale', 1.0)) + float(m.get('offset', 0.0))
        dropped.add(l['name'])
        src = l['name']
    if any(l['class_name'] == 'Lambda' and l['name'] not in dropped for l in layers):
        raise ValueError('Lambda layers not in a chain after the input')
    first = cfg['config']['input_layers'][0][0]
    for l in layers:
        for n in l.get('inbound_nodes', []):
            for e in n:
                if e[0] == src:
                    e[0] = first
    cfg['config']['layers'] = [l for l in layers if l['name'] not in dropped]
    return cfg, y.astype(np.float32)


def strip_for_tfjs(cfg):
    """Config edits with no effect on inference that tfjs 4.22 needs (see the docstring)."""
    for l in numpy_keras_ref._layers_of(cfg):
        if l['class_name'] == 'SpatialDropout2D':
            l['class_name'] = 'Dropout'
            l['config'].pop('noise_shape', None)
        if l['class_name'] == 'SeparableConv2D':
            for k in ('kernel_initializer', 'kernel_regularizer', 'kernel_constraint'):
                l['config'].pop(k, None)
    return cfg


# name, model (relative to shared/models), input shape, input maker, reference, why,
# optional: convert flags, tolerance override, strides per output, tfjs config patch,
# numpy bilinear mode for the tfjs cross-check.
CASES = [
    dict(dir='dl4j-channels-first-simpleconv2d', name='simpleconv2d',
         model='dl4j-channels-first-simpleconv2d/simpleconv2d.hdf5', shape=[1, 1, 28, 28],
         input=uniform(0, 1), reference='numpy',
         why='channels_first first layer (mixed data_format): the issue names it as one the tfjs '
             'oracle is not trusted for; tfjs is run anyway as a cross-check'),
    dict(dir='dl4j-dcgan-mnist', name='dcgan_generator', model='dl4j-dcgan-mnist/dcgan_generator.h5',
         shape=[1, 100], input=normal(), reference='tfjs', why='tfjs runs every layer of this model'),
    dict(dir='dl4j-dcgan-mnist', name='dcgan_discriminator', model='dl4j-dcgan-mnist/dcgan_discriminator.h5',
         shape=[1, 28, 28, 1], input=uniform(-1, 1), reference='tfjs', why='tfjs runs every layer of this model'),
    dict(dir='dl4j-mtcnn', name='12net', model='dl4j-mtcnn/12net.h5', shape=[1, 31, 43, 3],
         flags='--input-shape 1,31,43,3', input=uniform(-1, 1), reference='tfjs',
         why='tfjs runs every layer; open H and W are fixed to 31x43 (odd sizes exercise the '
             'pooling remainder) with --input-shape'),
    dict(dir='dl4j-mtcnn', name='48net_complete', model='dl4j-mtcnn/48net_complete.h5', shape=[1, 48, 48, 3],
         input=uniform(-1, 1), reference='tfjs', why='tfjs runs every layer of this model (3 outputs)'),
    dict(dir='dl4j-tfkeras-synthetic', name='cnn2d_112', model='dl4j-tfkeras-synthetic/cnn2d_112.h5',
         shape=[1, 10, 10, 3], input=uniform(-1, 1), reference='tfjs', patch=True,
         why='tfjs runs it after config-only edits (SpatialDropout2D -> Dropout)'),
    dict(dir='dl4j-tfkeras-synthetic', name='cnn2d_76', model='dl4j-tfkeras-synthetic/cnn2d_76.h5',
         shape=[1, 10, 10, 3], input=uniform(-1, 1), reference='tfjs', patch=True,
         why='tfjs runs it after config-only edits (SpatialDropout2D -> Dropout, unused '
             'SeparableConv2D kernel_* fields dropped)'),
    dict(dir='dl4j-tfkeras-synthetic', name='cnn2d_52', model='dl4j-tfkeras-synthetic/cnn2d_52.h5',
         shape=[1, 3, 10, 10], input=uniform(-1, 1), reference='tfjs', patch=True,
         why='tfjs runs it after config-only edits (SpatialDropout2D -> Dropout); channels_first '
             'Conv2DTranspose agrees with the numpy reference'),
    dict(dir='dl4j-tfkeras-synthetic', name='cnn2d_40', model='dl4j-tfkeras-synthetic/cnn2d_40.h5',
         shape=[1, 3, 10, 10], input=uniform(-1, 1), reference='tfjs', patch=True,
         why='tfjs runs it after config-only edits (SpatialDropout2D -> Dropout); channels_first '
             'DepthwiseConv2D agrees with the numpy reference'),
    dict(dir='dl4j-theano-backend', name='conv2d_reshape_theano_2',
         model='dl4j-theano-backend/conv2d_reshape_theano_2.h5', shape=[2, 5, 5, 5],
         flags='--input-shape 2,5,5,5', input=uniform(-1, 1), reference='numpy', tfjs_differs=True,
         why='backend "theano": Keras 2 flips the conv kernels on load (convert_kernel), tfjs '
             'does not, so only the numpy reference applies (tfjs is run to show that the flip '
             'matters: see cross_check)'),
    dict(dir='dl4j-theano-backend', name='conv2d_reshape_tensorflow_2',
         model='dl4j-theano-backend/conv2d_reshape_tensorflow_2.h5', shape=[2, 5, 5, 5],
         flags='--input-shape 2,5,5,5', input=uniform(-1, 1), reference='tfjs',
         why='tfjs runs every layer; the TensorFlow twin of the theano file (batch 2)'),
    dict(dir='dmp-segnet-basic', name='SegNet_Basic', model='dmp-segnet-basic/SegNet_Basic.hdf5',
         shape=[1, 240, 320, 3], input=photo_u8((320, 240), 7, 'SegNet-Basic ships no preprocessing'),
         reference='tfjs', strides=[17], tol={'atol': 1e-4, 'rtol': 1e-4},
         tol_why='logits up to ~8 after 9 convs of up to 3x3x64 terms; the two references differ by '
                 '<= %s; 1e-4 abs + 1e-4 rel is >= 10x that',
         why='tfjs runs every layer; output (1, 76800, 12) is stored every 17th element'),
    dict(dir='fer2013-mini-xception', name='fer2013_mini_XCEPTION',
         model='fer2013-mini-xception/fer2013_mini_XCEPTION.102-0.66.hdf5', shape=[1, 64, 64, 1],
         input=photo_face_gray64(), reference='tfjs', why='tfjs runs every layer of this model'),
    dict(dir='mnist-functional-keras28', name='model_qg_exp_original',
         model='mnist-functional-keras28/model_qg_exp_original.hdf5', shape=[1, 28, 28, 1],
         input=uniform(0, 1), reference='tfjs', why='tfjs runs every layer of this model'),
    dict(dir='prismanet-hair-seg', name='PrismaNet_256_hair_seg',
         model='prismanet-hair-seg/CelebA_PrismaNet_256_hair_seg_model_opt_001.hdf5', shape=[1, 256, 256, 3],
         input=photo_u8((256, 256), 6, 'about the range of the repository demo\'s per-image mean/std '
                        'normalisation'),
         reference='numpy', bilinear='half_pixel', tfjs_bilinear='legacy', strides=[3],
         tol={'atol': 2e-3, 'rtol': 0.0},
         tol_why='sigmoid of logits in about [-27, 42] after ~80 conv/BN/ReLU6/Add layers: tfjs '
                 '(float32) and numpy (float64), both with the legacy grid, differ by <= %s (logit '
                 'differences up to 2.7e-3, 5e-4 relative); 2e-3 abs is ~10x that, while the '
                 'half-pixel and legacy grids differ by more than that on many pixels (cross_check)',
         why='UpSampling2D(bilinear) with TF >= 1.15 half-pixel centres (see the generator '
             'docstring for the evidence); tfjs only has the legacy grid, so it cross-checks '
             'the numpy reference run with the legacy grid. Output (1, 256, 256, 1) is stored '
             'every 3rd element'),
    dict(dir='ssd7-anchorboxes', name='ssd7',
         model='ssd7-anchorboxes/ssd7_epoch-24_loss-2.0928_val_loss-2.2581.h5', shape=[1, 300, 480, 3],
         params='examples/ssd7-anchorboxes.params.json', tfjs_inline_lambdas=True,
         input=photo_u8_half('caffe-yufacedetectnet-ssd/images/faces-2.jpg', (480, 300),
                             'the model normalises (x - 127.5) / 127.5 itself'),
         reference='numpy', strides=[5],
         tol={'atol': 2e-5, 'rtol': 0.0},
         tol_why='every output is bounded (|y| <= ~1.8): softmax class probabilities in [0, 1], raw box '
                 'offsets in about [-1.8, 0.8] after 7 Conv/BN/ELU stages of up to 3x3x64-term sums, '
                 'anchors and variances float32 constants in [0, 1] (exact in both references); so '
                 'the error is judged in absolute terms (rtol 0: relative error of a 1e-6 '
                 'probability means nothing). The two references differ by <= %s; 2e-5 abs is '
                 '>= 10x that, and far below what an anchor-grid error (a wrong step or offset '
                 'moves centres by >= 1e-3) or a wrong layer semantics would cause',
         why='custom layer AnchorBoxes (4x) and 3 Lambda layers mapped by the parameter file '
             '(checked against their decoded bytecode: %s): the numpy reference implements both; '
             'tfjs runs it with the Lambda chain applied to the input beforehand, as a '
             'cross-check. Output (1, 11692, 18) = [6 softmax class probabilities, 4 raw box '
             'offsets, 4 anchor centroids/sizes normalised to [0, 1], 4 variances] per box, '
             'stored every 5th element (5 is coprime with 18, so every column is sampled)'),
    dict(dir='teachable-machine-nested', name='keras_model_random', model='teachable-machine-nested/keras_model.h5',
         shape=[1, 224, 224, 3], input=random_u8(7), reference='numpy',
         intermediates=['global_average_pooling2d_GlobalAveragePooling2D2', 'dense_Dense3'],
         inter_tol={'atol': 1e-4, 'rtol': 1e-4},
         inter_tol_why='the softmax output saturates on a random input (top class > 0.999), so the '
                       'nested-model features are checked too: the MobileNetV2 GAP features (1280, '
                       'values up to ~6 after ReLU6) and the 100-unit Dense; float32 MobileNets '
                       'reach max rel err <= 8.6e-6 vs float64 (../shared/bench/RESULTS.md); '
                       '1e-4 abs + 1e-4 rel is >= 10x that',
         why='nested models (Sequential > Sequential > Model): the issue asks for the numpy '
             'reference; tfjs (which flattens only the top level) is run as a cross-check'),
]


def run_tfjs(oracle, model, x_path, out_dir, patch, cfg=None):
    """`cfg`: a model config to run instead of the saved one (weights still from the file)."""
    tmp = tempfile.mkdtemp(prefix='realref_tfjs_')
    try:
        args = ['/usr/bin/python3', os.path.join(oracle, 'h5_to_tfjs.py'), model, os.path.join(tmp, 'm')]
        if patch or cfg is not None:
            if cfg is None:
                with h5py.File(model, 'r') as f:
                    cfg = json.loads(numpy_keras_ref._s(f.attrs['model_config']))
            if patch:
                cfg = strip_for_tfjs(cfg)
            with open(os.path.join(tmp, 'cfg.json'), 'w') as fh:
                json.dump(cfg, fh)
            args += ['--config', os.path.join(tmp, 'cfg.json')]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(['node', 'run_keras.js', os.path.join(tmp, 'm'), '--input', x_path, '--out', out_dir],
                       cwd=oracle, check=True, stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    outs, i = [], 0
    while os.path.exists(os.path.join(out_dir, 'output_%d.npy' % i)):
        outs.append(np.load(os.path.join(out_dir, 'output_%d.npy' % i)))
        i += 1
    return outs


def max_abs(a, b):
    return max(float(np.max(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)))) for x, y in zip(a, b))


def gen_case(c, shared, oracle, work):
    models = os.path.join(shared, 'models')
    model = os.path.join(models, c['model'])
    mk = c['input']
    if getattr(mk, 'needs_shared', False):
        stored, tr, input_note = mk(c['name'], c['shape'], shared)
    else:
        stored, tr, input_note = mk(c['name'], c['shape'])
    x = model_input(stored, tr)
    x_path = os.path.join(work, c['name'] + '_x.npy')
    np.save(x_path, x)

    params, why = None, c['why']
    if c.get('params'):
        with open(os.path.join(ROOT, c['params'])) as fh:
            params = json.load(fh)
        with h5py.File(model, 'r') as f:
            saved_cfg = json.loads(numpy_keras_ref._s(f.attrs['model_config']))
        _, notes = check_lambda_params(saved_cfg, params)
        why = why % '; '.join(notes)

    bil = c.get('bilinear')
    outs_np, dump = numpy_keras_ref.run(model, [x], bilinear=bil, dump=True, params=params)
    ref_np = [o.astype(np.float32) for o in outs_np]
    ref_tfjs = None
    if not c.get('no_tfjs'):
        tfjs_cfg, tfjs_x_path = None, x_path
        if c.get('tfjs_inline_lambdas'):
            tfjs_cfg, xt = inline_input_lambdas(saved_cfg, params, x)
            tfjs_x_path = os.path.join(work, c['name'] + '_x_tfjs.npy')
            np.save(tfjs_x_path, xt)
        ref_tfjs = run_tfjs(oracle, model, tfjs_x_path, os.path.join(work, c['name'] + '_tfjs'), c.get('patch'),
                            tfjs_cfg)
    cross = {}
    if c['reference'] == 'tfjs':
        expected = ref_tfjs
        cross = {'other': 'numpy_keras_ref.py (float64)', 'max_abs_diff': max_abs(ref_tfjs, ref_np)}
    else:
        expected = ref_np
        if ref_tfjs is not None:
            if c.get('tfjs_bilinear'):
                alt = numpy_keras_ref.run(model, [x], bilinear=c['tfjs_bilinear'])
                atol = c.get('tol', SMALL)['atol']
                cross = {'other': 'tfjs 4.22 vs numpy_keras_ref.py --bilinear %s' % c['tfjs_bilinear'],
                         'max_abs_diff': max_abs(ref_tfjs, alt),
                         'half_pixel_vs_legacy_max_abs_diff': max_abs(ref_np, alt),
                         'half_pixel_vs_legacy_count_over_atol': int(sum(
                             int(np.sum(np.abs(np.float64(p) - q) > atol)) for p, q in zip(ref_np, alt))),
                         'elements': int(sum(p.size for p in ref_np))}
            elif c.get('tfjs_differs'):
                cross = {'other': 'tfjs 4.22, which loads the kernels unflipped: must differ',
                         'unflipped_max_abs_diff': max_abs(ref_tfjs, ref_np)}
            else:
                other = 'tfjs 4.22 oracle'
                if c.get('tfjs_inline_lambdas'):
                    other += ' (Lambda chain removed from the config and applied to the input)'
                cross = {'other': other, 'max_abs_diff': max_abs(ref_tfjs, ref_np)}
    assert len(expected) == len(ref_np)

    tol = dict(c.get('tol', SMALL))
    diff = '%.2g' % cross['max_abs_diff'] if 'max_abs_diff' in cross else 'n/a'
    tol_why = c.get('tol_why', SMALL_WHY) % diff
    if c['reference'] == 'numpy' and 'max_abs_diff' not in cross:
        tol_why = ('float32 through a small network vs a float64 reference (no second reference '
                   'applies); 1e-5 abs + 1e-4 rel is ~10x the float32 rounding of 2 small convs '
                   'and a 144-term dense layer')

    d = os.path.join(OUT, c['dir'])
    os.makedirs(d, exist_ok=True)
    multi = sum(1 for k in CASES if k['dir'] == c['dir']) > 1
    prefix = c['name'] + '.' if multi else ''
    in_file = prefix + 'input_0.npy'
    np.save(os.path.join(d, in_file), stored)
    outputs = []
    strides = c.get('strides', [1] * len(expected))
    for i, y in enumerate(expected):
        k = strides[i] if i < len(strides) else 1
        flat = np.ascontiguousarray(y, dtype=np.float32).reshape(-1)[::k]
        f = prefix + 'expected_%d.npy' % i
        np.save(os.path.join(d, f), flat if k > 1 else y.astype(np.float32))
        outputs.append({'file': f, 'shape': list(y.shape), 'stride': k, 'count': int(flat.size),
                        'range': [float(y.min()), float(y.max())]})
    inters = []
    for layer in c.get('intermediates', []):
        keys = [k for k in dump if k.split('/')[-1] == layer]
        assert len(keys) == 1, (layer, keys)
        y = np.asarray(dump[keys[0]], dtype=np.float32)
        f = prefix + 'layer_%s.npy' % layer
        np.save(os.path.join(d, f), y)
        inters.append({'layer': layer, 'keras_path': keys[0], 'file': f, 'shape': list(y.shape),
                       'stride': 1, 'count': int(y.size), 'range': [float(y.min()), float(y.max())]})
    entry = {
        'name': c['name'],
        'model': c['model'],
        'convert_flags': c.get('flags', ''),
        'params': c.get('params'),
        'inputs': [{'file': in_file, 'shape': list(c['shape']), 'dtype': str(stored.dtype),
                    'transform': tr, 'source': input_note}],
        'outputs': outputs,
        'reference': {'kind': c['reference'], 'why': why,
                      'bilinear': bil or None, 'cross_check': cross or None},
        'tolerance': {'atol': tol['atol'], 'rtol': tol['rtol'], 'why': tol_why},
    }
    if inters:
        # Intermediate values compared through `ingot run --dump-all` (files named after the
        # Keras layer), with their own tolerance.
        entry['intermediates'] = inters
        entry['intermediate_tolerance'] = dict(c['inter_tol'], why=c['inter_tol_why'])
    if entry['reference']['bilinear'] is None:
        del entry['reference']['bilinear']
    if entry['params'] is None:
        del entry['params']
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--shared', default=os.path.join(ROOT, '..', 'shared'))
    ap.add_argument('--oracle', default='/tmp/oracle')
    ap.add_argument('--only', default='')
    a = ap.parse_args()
    shared = os.path.abspath(a.shared)
    if not os.path.isdir(os.path.join(a.oracle, 'node_modules')):
        sys.exit('%s: no node_modules; copy ../shared/oracle there and run npm ci' % a.oracle)
    work = tempfile.mkdtemp(prefix='realref_')
    by_dir = {}
    try:
        for c in CASES:
            if a.only and not re.search(a.only, c['dir'] + '/' + c['name']):
                continue
            e = gen_case(c, shared, a.oracle, work)
            cc = e['reference']['cross_check'] or {}
            print('%-32s %-28s ref=%-5s cross=%s' % (c['dir'], c['name'], c['reference'], ', '.join(
                '%s %.3g' % (k, v) for k, v in cc.items() if isinstance(v, float))))
            by_dir.setdefault(c['dir'], []).append(e)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for dname, entries in by_dir.items():
        path = os.path.join(OUT, dname, 'index.json')
        old = []
        if os.path.exists(path) and a.only:
            with open(path) as fh:
                old = [e for e in json.load(fh)['cases'] if e['name'] not in {x['name'] for x in entries}]
        order = [c['name'] for c in CASES if c['dir'] == dname]
        cases = sorted(old + entries, key=lambda e: order.index(e['name']))
        with open(path, 'w') as fh:
            json.dump({'generator': 'scripts/gen_real_model_refs.py', 'models_dir': '../shared/models',
                       'pass_rule': '|got - expected| <= atol + rtol * |expected|, elementwise over '
                                    'got.flatten()[::stride]',
                       'cases': cases}, fh, indent=1)
            fh.write('\n')


if __name__ == '__main__':
    main()
