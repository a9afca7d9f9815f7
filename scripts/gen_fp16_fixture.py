#!/usr/bin/python3
"""Writes tests/fixtures/fp16/float_to_half.bin: pairs of (float32 bits, numpy's float16 bits).

numpy's float32 -> float16 cast (round to nearest even, overflow to inf, subnormals) is the
independent reference for ingot's converter. Run with Debian's /usr/bin/python3 (numpy).
Records are little-endian uint32 + uint16 (6 bytes each). NaN inputs are left out: numpy and
ingot both keep the payload, but differ on NaNs whose top payload bits are zero (see fp16.cpp).
"""
import os
import sys

import numpy as np

rng = np.random.default_rng(20261126)
values = []

# Midpoints between neighbouring halves (the ties), and one float ulp either side, for a
# sample of 4000 neighbour pairs over the whole range (subnormal and normal, both signs).
halves = np.arange(0, 0x7C01, dtype=np.uint32).astype(np.uint16).view(np.float16)
h32 = halves.astype(np.float32)
mid = ((h32[:-1].astype(np.float64) + h32[1:].astype(np.float64)) / 2).astype(np.float32)
pick = np.concatenate([np.arange(0, 64), rng.choice(len(mid), size=3936, replace=False)])
mid = mid[pick] * rng.choice(np.array([-1, 1], dtype=np.float32), size=len(pick))
for arr in (mid, np.nextafter(mid, np.float32(np.inf)), np.nextafter(mid, np.float32(-np.inf))):
    values.append(arr)
# Random bit patterns over the whole float range, and dense around the half range.
values.append(rng.integers(0, 2**32, size=10000, dtype=np.uint64).astype(np.uint32).view(np.float32))
values.append(rng.uniform(-70000, 70000, size=3000).astype(np.float32))
values.append(rng.uniform(-1e-4, 1e-4, size=3000).astype(np.float32))
edges = [0.0, 65504.0, 65519.99, 65520.0, 65536.0, 1e30, 2.0**-24, 2.0**-25, 2.0**-26, 3 * 2.0**-26,
         2.0**-14, 2.0**-14 - 2.0**-25, 1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 1e-45, 1.17549435e-38,
         np.inf]
values.append(np.array(edges + [-e for e in edges], dtype=np.float32))

f = np.concatenate(values).astype(np.float32)
f = f[~np.isnan(f)]
with np.errstate(over="ignore"):  # overflow to infinity is what we test
    h = f.astype(np.float16)

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "tests", "fixtures", "fp16", "float_to_half.bin")
rec = np.zeros(len(f), dtype=[("f", "<u4"), ("h", "<u2")])
rec["f"] = f.view(np.uint32)
rec["h"] = h.view(np.uint16)
rec.tofile(out)
print(f"wrote {len(f)} records to {out}")
