"""Saves a copy of a Keras .h5 whose custom layers carry the config their class's generated
get_config() gives: what a user gets after pasting ingot's method and saving the model again.

argv: model.h5 params.json methods.json out.h5. params.json maps layer names to the constructor
arguments the model was built with; methods.json maps class names to get_config() sources.
Every layer named in params.json is rebuilt from the stand-in class (keras_standins) with those
arguments, and its saved config replaced by get_config() of that layer.
"""
import json
import shutil
import sys

import h5py

import keras_standins as ks


def main():
    model, params_path, methods_path, out = sys.argv[1:5]
    params = json.load(open(params_path))
    methods = json.load(open(methods_path))
    shutil.copyfile(model, out)
    with h5py.File(out, 'r+') as f:
        raw = f.attrs['model_config']
        config = json.loads(raw.decode('utf-8') if isinstance(raw, bytes) else raw)
        done = set()
        for layer in config['config']['layers']:
            if layer['name'] not in params:
                continue
            cls = ks.with_method(ks.CLASSES[layer['class_name']], methods[layer['class_name']])
            args = dict(params[layer['name']], name=layer['name'])
            layer['config'] = json.loads(json.dumps(cls(**args).get_config()))
            done.add(layer['name'])
        missing = sorted(set(params) - done)
        if missing:
            sys.exit('layers not in the model: %s' % ', '.join(missing))
        text = json.dumps(config)
        f.attrs['model_config'] = text.encode('utf-8') if isinstance(raw, bytes) else text


if __name__ == '__main__':
    main()
