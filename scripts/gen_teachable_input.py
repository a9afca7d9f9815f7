#!/usr/bin/python3
"""Preprocesses teachable-machine-nested/test_photo.jpg exactly as its repository's predictor
does (PROVENANCE.md: PIL ImageOps.fit to 224x224 with ANTIALIAS, RGB) and writes the uint8
image as tests/fixtures/teachable/photo_224.npy. The test scales it (x/127 - 1) itself.
Needs Debian's python3-pil and python3-numpy (/usr/bin/python3)."""
import os
import sys

import numpy as np
from PIL import Image, ImageOps

shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared")
photo = os.path.join(shared, "models", "teachable-machine-nested", "test_photo.jpg")
img = Image.open(photo).convert("RGB")
fit = ImageOps.fit(img, (224, 224), Image.LANCZOS)  # ANTIALIAS is an alias of LANCZOS
arr = np.asarray(fit, dtype=np.uint8)[None]  # (1, 224, 224, 3)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "teachable", "photo_224.npy")
np.save(out, arr)
print("wrote", out, arr.shape)
