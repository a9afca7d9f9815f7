#!/usr/bin/python3
"""Expected outputs of examples/make_tiny_cnn.cpp's model, computed independently with numpy.

The example's weights come from a fixed LCG; this script regenerates them the same way (in
float32), then evaluates the network in float64 with plain numpy: conv 3x3 (pad 1) + conv 1x1,
add, ReLU, 2x2/2 max pooling, dense on the last axis. For the f16 variant the weights are first
rounded through numpy's float16. Writes tests/fixtures/tiny_cnn/expected_{f32,f16}.npy.
"""
import os

import numpy as np


def pseudo_random(shape, seed, scale):
    n = int(np.prod(shape))
    out = np.empty(n, dtype=np.float32)
    state = seed
    for i in range(n):
        state = (state * 1664525 + 1013904223) % 2**32
        out[i] = np.float32(scale) * (np.float32(state >> 8) / np.float32(8388608.0) - np.float32(1.0))
    return out.reshape(shape)


def conv_nhwc(x, w_oihw, bias, pad):
    n, h, wd, c = x.shape
    o, i, kh, kw = w_oihw.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, oh, ow, o))
    for r in range(oh):
        for s in range(ow):
            patch = xp[:, r:r + kh, s:s + kw, :]  # n, kh, kw, c
            y[:, r, s, :] = np.einsum("nhwc,ochw->no", patch, w_oihw)
    return y + (bias if bias is not None else 0)


def network(weights):
    x = pseudo_random((1, 8, 8, 3), 6, 1.0).astype(np.float64)
    a = conv_nhwc(x, weights["c3w"], weights["c3b"], 1)
    b = conv_nhwc(x, weights["c1w"], None, 0)
    r = np.maximum(a + b, 0)
    p = r.reshape(1, 4, 2, 4, 2, 8).max(axis=(2, 4))
    return p @ weights["dw"].T + weights["db"]


def main():
    w = {
        "c3w": pseudo_random((8, 3, 3, 3), 1, 0.4), "c3b": pseudo_random((8,), 2, 0.1),
        "c1w": pseudo_random((8, 3, 1, 1), 3, 0.6), "dw": pseudo_random((4, 8), 4, 0.5),
        "db": pseudo_random((4,), 5, 0.1),
    }
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "tiny_cnn")
    f32 = {k: v.astype(np.float64) for k, v in w.items()}
    f16 = {k: v.astype(np.float16).astype(np.float64) for k, v in w.items()}
    np.save(os.path.join(out_dir, "expected_f32.npy"), network(f32).astype(np.float32))
    np.save(os.path.join(out_dir, "expected_f16.npy"), network(f16).astype(np.float32))
    print("wrote", out_dir)


if __name__ == "__main__":
    main()
