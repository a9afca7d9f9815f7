#!/usr/bin/python3
"""Writes tests/fixtures/keras_bad/*.h5: small, deliberately broken Keras files, each derived from
a committed oracle case by one change (h5py via Debian's /usr/bin/python3). The importer must
reject each with a clear message and write nothing."""
import json
import os
import shutil

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CASES = os.path.join(ROOT, "tests", "fixtures", "keras_cases")
OUT = os.path.join(ROOT, "tests", "fixtures", "keras_bad")
SEQ = os.path.join(CASES, "conv2d_valid_s1", "model.h5")   # Sequential: one Conv2D
FUN = os.path.join(CASES, "add_merge", "model.h5")         # functional: input, 2 convs, Add


def derive(name, base, change):
    path = os.path.join(OUT, name)
    shutil.copyfile(base, path)
    with h5py.File(path, "r+") as f:
        change(f)


def edit_config(f, fn):
    cfg = json.loads(f.attrs["model_config"])
    fn(cfg)
    f.attrs["model_config"] = json.dumps(cfg).encode()


def layer(cfg, name):
    layers = cfg["config"]["layers"] if isinstance(cfg["config"], dict) else cfg["config"]
    for l in layers:
        if l.get("name", l["config"].get("name")) == name:
            return l
    raise KeyError(name)


def main():
    os.makedirs(OUT, exist_ok=True)
    derive("no_model_config.h5", SEQ, lambda f: f.attrs.__delitem__("model_config"))
    derive("invalid_json.h5", SEQ, lambda f: f.attrs.__setitem__("model_config", b'{"class_name": "Sequential", "config": [}'))
    derive("unknown_class.h5", SEQ, lambda f: edit_config(f, lambda c: layer(c, "conv2d_1").__setitem__("class_name", "Conv2d")))
    derive("bad_padding.h5", SEQ, lambda f: edit_config(f, lambda c: layer(c, "conv2d_1")["config"].__setitem__("padding", "reflect")))
    derive("absurd_input_shape.h5", SEQ, lambda f: edit_config(
        f, lambda c: layer(c, "conv2d_1")["config"].__setitem__("batch_input_shape", [None, 100000000, 100000000, 3])))
    derive("unknown_dims.h5", SEQ, lambda f: edit_config(
        f, lambda c: layer(c, "conv2d_1")["config"].__setitem__("batch_input_shape", [None, None, None, 3])))

    def drop_bias(f):
        g = f["model_weights/conv2d_1"]
        g.attrs["weight_names"] = np.array([b"conv2d_1/kernel:0"])
        del g["conv2d_1/bias:0"]
    derive("missing_weight.h5", SEQ, drop_bias)

    def listed_but_absent(f):
        del f["model_weights/conv2d_1/conv2d_1/bias:0"]
    derive("listed_weight_absent.h5", SEQ, listed_but_absent)

    def wrong_shape(f):
        g = f["model_weights/conv2d_1/conv2d_1"]
        del g["kernel:0"]
        g["kernel:0"] = np.zeros((3, 3, 2, 4), dtype=np.float32)
    derive("wrong_weight_shape.h5", SEQ, wrong_shape)

    def cycle(c):
        # conv2d_1 now takes its input from add_1, which depends on conv2d_1.
        layer(c, "conv2d_1")["inbound_nodes"] = [[["add_1", 0, 0, {}]]]
    derive("cyclic_inbound.h5", FUN, lambda f: edit_config(f, cycle))
    derive("dangling_inbound.h5", FUN, lambda f: edit_config(
        f, lambda c: layer(c, "conv2d_2").__setitem__("inbound_nodes", [[["no_such_layer", 0, 0, {}]]])))

    with open(SEQ, "rb") as src:
        data = src.read()
    with open(os.path.join(OUT, "truncated.h5"), "wb") as dst:
        dst.write(data[: len(data) // 2])
    with open(os.path.join(OUT, "not_hdf5.h5"), "wb") as dst:
        dst.write(b"this is a text file, not a Keras model\n")
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
