#!/usr/bin/python3
"""Writes tests/fixtures/keras_keys/: small Keras files for the review of standard layers' saved
keys (tests/e2e/test_keras_keys.cpp), each derived from a committed oracle case by editing its
model_config (and weights) with h5py (Debian's /usr/bin/python3; no TensorFlow):

  unknown_key.h5               Conv2D with a key no Keras version saves ("future_key": 7): a warning
  maxpool_dilation.h5          MaxPooling2D with "dilation_rate", which pooling has not: a warning
  conv2d_groups2.h5            Conv2D groups=2 (tf.keras >= 2.3), 4 -> 6 channels, 'same', with
                               conv2d_groups2.input_0.npy and .expected_0.npy from the float64
                               numpy reference scripts/numpy_keras_ref.py
  conv2d_transpose_groups2.h5  Conv2DTranspose with groups 2: an error (it never groups)
  upsampling_area.h5           UpSampling2D interpolation "area": an error
  prelu_shared_mismatch.h5     PReLU shared_axes [1] against an alpha of shape (1, 1, 4): an error
"""
import json
import os
import shutil
import sys

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CASES = os.path.join(ROOT, "tests", "fixtures", "keras_cases")
OUT = os.path.join(ROOT, "tests", "fixtures", "keras_keys")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import numpy_keras_ref  # noqa: E402


def derive(name, case, change):
    path = os.path.join(OUT, name)
    shutil.copyfile(os.path.join(CASES, case, "model.h5"), path)
    with h5py.File(path, "r+") as f:
        change(f)
    return path


def edit_layer(layer_name, fn):
    def change(f):
        cfg = json.loads(f.attrs["model_config"])
        for l in cfg["config"]["layers"]:
            if l["config"]["name"] == layer_name:
                fn(l["config"])
        f.attrs["model_config"] = json.dumps(cfg).encode()
    return change


def grouped(f):
    edit_layer("conv2d_1", lambda c: c.update(
        {"batch_input_shape": [None, 9, 11, 4], "filters": 6, "groups": 2, "padding": "same"}))(f)
    rng = np.random.default_rng(20240602)
    g = f["model_weights/conv2d_1/conv2d_1"]
    del g["kernel:0"], g["bias:0"]
    g["kernel:0"] = rng.standard_normal((3, 3, 2, 6)).astype(np.float32)
    g["bias:0"] = rng.standard_normal(6).astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    derive("unknown_key.h5", "conv2d_valid_s1", edit_layer("conv2d_1", lambda c: c.update({"future_key": 7})))
    derive("maxpool_dilation.h5", "maxpool_valid_2x2",
           edit_layer("max_pooling2d_1", lambda c: c.update({"dilation_rate": [2, 2]})))
    derive("conv2d_transpose_groups2.h5", "conv2d_transpose_valid_s1",
           edit_layer("conv2d_transpose_1", lambda c: c.update({"groups": 2})))
    derive("upsampling_area.h5", "upsampling2d", edit_layer("up_sampling2d_1", lambda c: c.update({"interpolation": "area"})))
    derive("prelu_shared_mismatch.h5", "prelu_shared", edit_layer("p_re_lu_1", lambda c: c.update({"shared_axes": [1]})))

    path = derive("conv2d_groups2.h5", "conv2d_valid_s1", grouped)
    x = np.random.default_rng(7).standard_normal((1, 9, 11, 4)).astype(np.float32)
    [y] = numpy_keras_ref.run(path, [x])
    np.save(os.path.join(OUT, "conv2d_groups2.input_0.npy"), x)
    np.save(os.path.join(OUT, "conv2d_groups2.expected_0.npy"), np.asarray(y, dtype=np.float32))
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
