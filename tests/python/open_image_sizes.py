"""Copies a Keras .h5 and saves its input's image dims as None, as fully convolutional models do.

usage: open_image_sizes.py SRC.h5 DST.h5
Every batch_input_shape / batch_shape in model_config keeps its batch (None) and its last dim
(channels_last) and gets None for the dims between; the weights are untouched.
"""
import json
import shutil
import sys

import h5py


def open_dims(node):
    if isinstance(node, dict):
        for key in ("batch_input_shape", "batch_shape"):
            shape = node.get(key)
            if isinstance(shape, list) and len(shape) >= 3:
                node[key] = [None] + [None] * (len(shape) - 2) + [shape[-1]]
        for value in node.values():
            open_dims(value)
    elif isinstance(node, list):
        for value in node:
            open_dims(value)


def main(src, dst):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        config = f.attrs["model_config"]
        config = json.loads(config.decode() if isinstance(config, bytes) else config)
        open_dims(config)
        f.attrs["model_config"] = json.dumps(config).encode()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
