#!/usr/bin/python3
"""The baseline ingot's codebook8 quantizer is held to: a seeded k-means as the DV700 vendor
converter runs it, with OpenCV's cv2.kmeans (Debian python3-opencv) and the vendor's flags:
255 clusters plus a fixed 0, KMEANS_PP_CENTERS, 3 attempts, at most 10 iterations, eps 1e-6.
The entries are rounded to binary16 (the device stores them so) and every weight takes its
nearest entry; the figure per layer is the weight RMSE against the f32 weights.

The weights are taken from the model through `ingot convert` (f32, which stores them as the
source has them, transposed at most) and `ingot inspect --export-tensors`; `inspect --json`
says which tensors are layer weights (what --storage codebook8 quantizes).

Usage:
  /usr/bin/python3 scripts/gen_codebook_baseline.py --ingot build/tools/ingot \\
      --shared ../shared --bench-models /tmp/bench/models \\
      -o tests/fixtures/codebook/opencv_kmeans_rmse.json
(--bench-models: the output folder of ../shared/bench/gen_models.py --nets mobilenet_v1, seed 1234.)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

import cv2
import numpy as np

# (key, path relative to --shared/models or to --bench-models, extra convert arguments)
MODELS = [
    ("mobilenet_v1", "bench:mobilenet_v1.h5", []),
    ("teachable-machine-nested", "teachable-machine-nested/keras_model.h5", []),
    ("fer2013-mini-xception", "fer2013-mini-xception/fer2013_mini_XCEPTION.102-0.66.hdf5", []),
    ("prismanet-hair-seg", "prismanet-hair-seg/CelebA_PrismaNet_256_hair_seg_model_opt_001.hdf5", []),
    ("mnist-functional-keras28", "mnist-functional-keras28/model_qg_exp_original.hdf5", []),
    ("dmp-segnet-basic", "dmp-segnet-basic/SegNet_Basic.hdf5", []),
    ("dl4j-dcgan-generator", "dl4j-dcgan-mnist/dcgan_generator.h5", []),
    ("dl4j-dcgan-discriminator", "dl4j-dcgan-mnist/dcgan_discriminator.h5", []),
    ("dl4j-mtcnn-48net", "dl4j-mtcnn/48net_complete.h5", []),
    ("dl4j-simpleconv2d", "dl4j-channels-first-simpleconv2d/simpleconv2d.hdf5", []),
    ("dl4j-cnn-batchnorm", "dl4j-cnn-batchnorm-io/cnn_batch_norm.h5", []),
    ("ssd7-anchorboxes", "ssd7-anchorboxes/ssd7_epoch-24_loss-2.0928_val_loss-2.2581.h5",
     ["--params", "examples/ssd7-anchorboxes.params.json"]),
    ("caffe-lenet", "caffe-lenet/lenet.prototxt", ["--weights", "@caffe-lenet/lenet_iter_10000.caffemodel"]),
    ("caffe-cifar10-full-v1", "caffe-cifar10-full-v1/cifar10_full.prototxt",
     ["--weights", "@caffe-cifar10-full-v1/cifar10_full_iter_70000.caffemodel"]),
    ("caffe-yufacedetectnet-ssd", "caffe-yufacedetectnet-ssd/yufacedetectnet-open-v2.prototxt",
     ["--weights", "@caffe-yufacedetectnet-ssd/yufacedetectnet-open-v2.caffemodel"]),
]


def vendor_like_rmse(w):
    """RMSE of cv2.kmeans(255) + 0, entries in binary16, nearest-entry assignment."""
    data = w.reshape(-1, 1).astype(np.float32)
    distinct = np.unique(data)
    if distinct.size <= 255:
        centers = distinct.astype(np.float64)
    else:
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1e-6)
        _, _, centers = cv2.kmeans(data, 255, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
        centers = centers.ravel().astype(np.float64)
    entries = np.unique(np.append(centers, 0.0).astype(np.float16).astype(np.float64))
    x = data.ravel().astype(np.float64)
    mids = (entries[:-1] + entries[1:]) / 2
    q = entries[np.searchsorted(mids, x, side="left")]
    return float(np.sqrt(np.mean((x - q) ** 2)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ingot", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--bench-models", required=True)
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    cv2.setRNGSeed(1234)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    models_dir = os.path.join(args.shared, "models")
    out = {"generator": "scripts/gen_codebook_baseline.py", "opencv": cv2.__version__,
           "method": "cv2.kmeans K=255 + fixed 0, KMEANS_PP_CENTERS, attempts 3, max 10 iterations, "
                     "eps 1e-6, cv2.setRNGSeed(1234); entries rounded to binary16; nearest entry",
           "models": {}}
    for key, rel, extra in MODELS:
        path = os.path.join(args.bench_models, rel[6:]) if rel.startswith("bench:") else os.path.join(models_dir, rel)
        extra = [os.path.join(models_dir, a[1:]) if a.startswith("@") else
                 (os.path.join(repo, a) if a.startswith("examples/") else a) for a in extra]
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, "m.ingot")
            subprocess.run([args.ingot, "convert", path, "-o", model] + extra, check=True, stdout=subprocess.DEVNULL)
            info = json.loads(subprocess.run([args.ingot, "inspect", model, "--json", "--export-tensors",
                                              os.path.join(tmp, "t")], check=True, capture_output=True).stdout)
            layers = {}
            start = time.time()
            for t in info["tensors"]:
                if not t["layer_weights"]:
                    continue
                name = urllib.parse.quote(t["name"], safe="_-.")
                w = np.load(os.path.join(tmp, "t", name + ".npy"))
                layers[t["name"]] = {"elements": int(w.size), "rmse": vendor_like_rmse(w)}
            print(f"{key}: {len(layers)} layers, {time.time() - start:.1f} s", file=sys.stderr)
            out["models"][key] = layers
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
