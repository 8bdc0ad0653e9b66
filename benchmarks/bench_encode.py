"""Encoding speed of ShiftInvariantHash (Raginsky codes) against the bare float32 matrix product.

Full size: 60,000 × 784 (MNIST-shaped, pixel-like values in [0, 1]) → 4,096 bits.  The reference is
the bare product ``X @ W`` of the same shape in float32 (one BLAS call producing the whole
60,000 × 4,096 float32 matrix, ~1 GB); the encoder does that product in row chunks plus add / cos /
compare in place, and packs per chunk.  Goal: ratio ≤ 1.5.  ``agree`` compares the codes with a
direct float64 evaluation of 1[cos(ωᵀx + b) + t > 0] on a subset (bits whose argument lies within
1e-4 of the threshold, where float32 rounding may legitimately flip them, are excluded).

Run: ``.venv/bin/python benchmarks/bench_encode.py [full|small|tiny]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import markdown_table, peak_memory_mb, row, timeit  # noqa: E402

from lshlab.hashing.shift_invariant import ShiftInvariantHash  # noqa: E402

SIZES = {"full": (60000, 784, 4096, 3), "small": (10000, 784, 4096, 3), "tiny": (1000, 64, 256, 2)}


def _agree(hasher, X, codes, n_check=500):
    Xs = X[:n_check].astype(np.float64)
    W = hasher.components_.astype(np.float64)
    arg = np.cos(Xs @ W + hasher.offsets_.astype(np.float64)) + hasher.thresholds_.astype(np.float64)
    ref = (arg > 0).astype(np.uint8)
    safe = np.abs(arg) > 1e-4
    return bool(np.array_equal(ref[safe], codes[:n_check][safe]))


def run(size="full"):
    n, d, n_bits, repeat = SIZES[size]
    rng = np.random.default_rng(0)
    X = rng.random((n, d), dtype=np.float32)
    hasher = ShiftInvariantHash(n_bits=n_bits, kernel=float(np.sqrt(d / 6)), random_state=0).fit(X)
    W = hasher.components_

    gemm = timeit(lambda: X @ W, repeat=repeat)
    enc = timeit(lambda: hasher.transform(X), repeat=repeat)
    enc_packed = timeit(lambda: hasher.transform(X, packed=True), repeat=repeat)
    agree = _agree(hasher, X, enc[2])
    agree_packed = bool(np.array_equal(np.packbits(enc[2], axis=1), enc_packed[2]))
    mem_gemm = peak_memory_mb(lambda: X @ W)
    mem_enc = peak_memory_mb(lambda: hasher.transform(X, packed=True))
    shape = f"{n}×{d} → {n_bits} bits"
    return [
        row(f"ShiftInvariantHash.transform ({shape}, unpacked)", "bare float32 X @ W", enc[:2], gemm[:2],
            "≤ 1.5× GEMM", agree=agree, ratio_goal=1.5, peak_mb=None, note="uint8 0/1 output"),
        row(f"ShiftInvariantHash.transform ({shape}, packed)", "bare float32 X @ W", enc_packed[:2], gemm[:2],
            "≤ 1.5× GEMM", agree=agree and agree_packed, ratio_goal=1.5, peak_mb=mem_enc,
            note=f"peak MB: encoder {mem_enc:.0f} vs GEMM output {mem_gemm:.0f}"),
    ]


if __name__ == "__main__":
    print(markdown_table(run(sys.argv[1] if len(sys.argv) > 1 else "full")))
