#!/usr/bin/python3
"""Writes the example model of examples/custom_op: a Keras 2 functional model whose last layer is
a user class, `ScaledTanh` (LeCun's y = alpha * tanh(beta * x)), saved the way Keras 2.2.4 saves
a custom layer that has a get_config(). No Keras is needed: the file is written with h5py in
Keras' layout, and the expected output is computed with numpy in float64.

    /usr/bin/python3 examples/custom_op/make_model.py   # writes model.h5, input.npy, expected.npy
"""
import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ALPHA, BETA = 1.7159, 0.6666


def model_config():
    def layer(cls, name, config, inbound):
        config = dict(config, name=name, trainable=True, dtype="float32")
        return {"name": name, "class_name": cls, "config": config,
                "inbound_nodes": [[[i, 0, 0, {}] for i in inbound]] if inbound else []}
    layers = [
        layer("InputLayer", "input_1", {"batch_input_shape": [None, 8, 8, 3], "sparse": False}, []),
        layer("Conv2D", "conv2d_1", {"filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                                     "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "linear",
                                     "use_bias": True}, ["input_1"]),
        layer("ScaledTanh", "scaled_tanh_1", {"alpha": ALPHA, "beta": BETA}, ["conv2d_1"]),
    ]
    return {"class_name": "Model", "config": {"name": "model_1", "layers": layers,
                                              "input_layers": [["input_1", 0, 0]],
                                              "output_layers": [["scaled_tanh_1", 0, 0]]}}


def conv_same(x, w, b):
    n, h, wd, _ = x.shape
    kh, kw, _, o = w.shape
    xp = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    y = np.zeros((n, h, wd, o))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nhwc,co->nhwo", xp[:, i:i + h, j:j + wd, :], w[i, j])
    return y + b


def main():
    rng = np.random.default_rng(20261126)
    kernel = rng.uniform(-0.5, 0.5, (3, 3, 3, 4)).astype(np.float32)
    bias = rng.uniform(-0.5, 0.5, 4).astype(np.float32)
    x = rng.uniform(-1, 1, (1, 8, 8, 3)).astype(np.float32)
    with h5py.File(os.path.join(HERE, "model.h5"), "w") as f:
        f.attrs["keras_version"] = b"2.2.4"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model_config()).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([b"input_1", b"conv2d_1", b"scaled_tanh_1"])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.2.4"
        g.create_group("input_1").attrs["weight_names"] = np.array([], dtype=np.float64)
        c = g.create_group("conv2d_1")
        c.attrs["weight_names"] = np.array([b"conv2d_1/kernel:0", b"conv2d_1/bias:0"])
        c.create_dataset("conv2d_1/kernel:0", data=kernel)
        c.create_dataset("conv2d_1/bias:0", data=bias)
        g.create_group("scaled_tanh_1").attrs["weight_names"] = np.array([], dtype=np.float64)
    y = ALPHA * np.tanh(BETA * conv_same(x.astype(np.float64), kernel.astype(np.float64), bias.astype(np.float64)))
    np.save(os.path.join(HERE, "input.npy"), x)
    np.save(os.path.join(HERE, "expected.npy"), y.astype(np.float32))


if __name__ == "__main__":
    main()
