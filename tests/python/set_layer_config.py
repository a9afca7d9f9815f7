"""Copies a Keras .h5 with new config values for one layer class.

usage: set_layer_config.py SRC.h5 DST.h5 CLASS '{"key": value, ...}'
Every layer of class CLASS in model_config (nested models included) gets the given keys; the
weights are untouched. Used to save the same layer with other value types (an int for a float).
"""
import json
import shutil
import sys

import h5py


def edit(node, class_name, values):
    if isinstance(node, dict):
        if node.get("class_name") == class_name and isinstance(node.get("config"), dict):
            node["config"].update(values)
        for value in node.values():
            edit(value, class_name, values)
    elif isinstance(node, list):
        for value in node:
            edit(value, class_name, values)


def main(src, dst, class_name, values):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        config = f.attrs["model_config"]
        config = json.loads(config.decode() if isinstance(config, bytes) else config)
        edit(config, class_name, json.loads(values))
        f.attrs["model_config"] = json.dumps(config).encode()


if __name__ == "__main__":
    main(*sys.argv[1:5])
