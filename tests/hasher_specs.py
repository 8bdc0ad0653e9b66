"""One table of every hasher family with small parameters, shared by the reliability tests."""

from __future__ import annotations

import numpy as np

from lshlab import hashing as H


def hasher_specs(X, X01, metric_matrix=None):
    """``{name: (constructor, data)}`` for every binary / integer hasher family that is importable.

    ``X`` is the float data most families are fitted on, ``X01`` images in [0, 1] (RBMHash), and
    ``metric_matrix`` the metric of ``MetricHash`` (default: a diagonal over the features of ``X``).
    """
    A = np.diag(np.arange(1.0, X.shape[1] + 1.0)) if metric_matrix is None else metric_matrix
    specs = {
        "RandomHyperplaneHash": (lambda: H.RandomHyperplaneHash(12, random_state=0), X),
        "PStableHash": (lambda: H.PStableHash(6, width=1.0, random_state=0), X),
        "ShiftInvariantHash": (lambda: H.ShiftInvariantHash(12, kernel=2.0, random_state=0), X),
        "LeeHash": (lambda: H.LeeHash(6, q=5, n_components=32, random_state=0), X),
        "PCAHash": (lambda: H.PCAHash(4), X),
        "ITQHash": (lambda: H.ITQHash(4, max_iter=5, random_state=0), X),
        "SpectralHash": (lambda: H.SpectralHash(6), X),
        "RBMHash": (lambda: H.RBMHash(6, hidden=(), max_iter=2, random_state=0), X01),
        "MetricHash": (lambda: H.MetricHash(8, metric_matrix=A, random_state=0), X),
        "KernelizedHash": (lambda: H.KernelizedHash(8, kernel=2.0, n_landmarks=20, subset_size=5, random_state=0), X),
    }
    out = {}
    for name, spec in specs.items():
        try:
            getattr(H, name)
        except (ImportError, AttributeError):  # a family not written yet
            continue
        out[name] = spec
    return out
