"""Runs the get_config() methods ingot generates on the stand-in classes (keras_standins).

Input (argv[1]): a JSON object {class name: method source}. For every class and every case of
keras_standins.CASES it builds the layer, calls get_config(), checks that the config survives
json.dumps / json.loads (what Keras does when it saves the model), rebuilds the layer with
cls(**config) and compares the two layers' state attribute by attribute (tuples and lists
alike, as JSON makes them; numpy arrays by value). Prints one line per case; exits 1 on any
failure.
"""
import json
import sys

import numpy as np

import keras_standins as ks


def normalized(v):
    if isinstance(v, np.ndarray):
        return ('array', v.tolist())
    if isinstance(v, (list, tuple)):
        return [normalized(x) for x in v]
    return v


def main():
    methods = json.load(open(sys.argv[1]))
    failures = 0
    for name, source in sorted(methods.items()):
        if name not in ks.CLASSES:
            print('FAIL %s: no stand-in for this class' % name)
            failures += 1
            continue
        cls = ks.with_method(ks.CLASSES[name], source)
        for i, args in enumerate(ks.CASES[name]):
            where = '%s case %d' % (name, i)
            try:
                layer = cls(**args)
                config = json.loads(json.dumps(layer.get_config()))
                rebuilt = cls(**config)
            except Exception as e:  # AttributeError, TypeError (not JSON-serialisable), ...
                print('FAIL %s: %s: %s' % (where, type(e).__name__, e))
                failures += 1
                continue
            a, b = vars(layer), vars(rebuilt)
            diff = [k for k in sorted(set(a) | set(b)) if normalized(a.get(k)) != normalized(b.get(k))]
            if diff:
                print('FAIL %s: rebuilt layer differs in %s' % (where, ', '.join(
                    '%s (%r vs %r)' % (k, a.get(k), b.get(k)) for k in diff)))
                failures += 1
            else:
                print('ok %s: %s' % (where, json.dumps(config, sort_keys=True)))
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
