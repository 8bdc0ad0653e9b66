"""Metric LSH: random hyperplanes in the space of a learned Mahalanobis metric.

Jain, Kulis & Grauman ("Fast image search for learned metrics", CVPR 2008): given a metric
A = GᵀG, hash with h_r(x) = 1[rᵀGx ≥ 0], r ~ N(0, I).  This is SimHash (Charikar 2002) applied to
the embedded points Gx, so for one bit

    P[h_r(x) = h_r(y)] = 1 − θ_A(x, y)/π,   cos θ_A(x, y) = xᵀAy / √(xᵀAx · yᵀAy),

the angle between x and y measured in the inner product ⟨x, y⟩_A = xᵀAy.  With A = I it is the
ordinary random-hyperplane hash.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_matrix, check_positive_int, check_random_state
from ..metric_learning import check_metric_matrix, metric_factor
from ..search.euclidean import safe_exponent
from ._base import BaseHasher
from .random_projection import sign_safe

__all__ = ["MetricHash", "metric_collision_probability"]


class MetricHash(BaseHasher):
    """Random-hyperplane hashing under a Mahalanobis metric A = GᵀG (Jain, Kulis & Grauman 2008).

    Bit b of x is 1[r_bᵀ G x ≥ 0] with r_b ~ N(0, I_d) independent; G = Λ^{1/2} Vᵀ from the
    eigen-decomposition A = V Λ Vᵀ (d × d, so any positive semi-definite A works).  The fitted
    projection W = R G (n_bits × d) is applied directly: codes = 1[X Wᵀ ≥ 0].

    Parameters
    ----------
    n_bits : int, default 32
    metric_matrix : array (d, d) or None
        Symmetric positive semi-definite A (for example ``ITML().fit(...).A_``); None means the
        identity (plain SimHash).
    random_state : int, RandomState or None

    Attributes
    ----------
    G_ : ndarray (d, d)          factor with A = G_ᵀ G_.
    metric_matrix_ : ndarray     the validated A.
    hyperplanes_ : ndarray       R, shape (n_bits, d), the Gaussian normals r_b.
    projection_ : ndarray        W = R G, float32, shape (n_bits, d) (divided by 2^k when A lies beyond
                                 2^±40: the codes depend only on the direction of W x).
    n_features_in_ : int
    """

    def __init__(self, n_bits=32, metric_matrix=None, random_state=None):
        self.n_bits = n_bits
        self.metric_matrix = metric_matrix
        self.random_state = random_state

    def fit(self, X, y=None):
        """Validate A against the data dimension and draw the hyperplanes (X is only used for d)."""
        X = self._validate_fit_input(X)
        n_bits = check_positive_int(self.n_bits, "n_bits")
        d = X.shape[1]
        if self.metric_matrix is None:
            A = np.eye(d)
        else:
            A = check_metric_matrix(self.metric_matrix, "metric_matrix", n_features=d)
        rng = check_random_state(self.random_state)
        # The codes depend on the direction of Gx only, so a metric of extreme scale (1e300, 1e-300: its
        # float32 projection would be inf or 0, every code equal) is factored as 4^k A' with A' of
        # ordinary scale; dividing by a power of two is exact and leaves ordinary metrics untouched.
        k = safe_exponent(float(np.abs(A).max(initial=0.0))) // 2
        G = metric_factor(np.ldexp(A, -2 * k) if k else A, validate=False)
        R = rng.standard_normal((n_bits, d))
        self.metric_matrix_ = A
        self.G_ = np.ldexp(G, k) if k else G
        self.hyperplanes_ = R
        self.projection_ = np.ascontiguousarray(R @ G, dtype=np.float32)
        return self

    def _encode(self, X):
        return (sign_safe(X) @ self.projection_.T >= 0).astype(np.uint8)


def metric_collision_probability(x, y, A=None):
    """Theoretical single-bit collision probability of :class:`MetricHash`.

    P[h(x) = h(y)] = 1 − arccos(xᵀAy / √(xᵀAx · yᵀAy)) / π  (Jain, Kulis & Grauman 2008; Goemans &
    Williamson's hyperplane argument applied to Gx, Gy).

    Parameters
    ----------
    x, y : array-like of shape (d,) or (n, d)
        Paired rows (row i of x with row i of y); 1-D inputs give a 0-d result.
    A : array (d, d) or None
        Positive semi-definite metric; None is the identity.

    Returns
    -------
    p : ndarray of shape (n,) (or a float for 1-D inputs)

    Notes
    -----
    If Gx = 0 (x in the null space of A), every bit of x is 1 (the hash tests ≥ 0): then the
    probability is 1 when Gy = 0 as well and 1/2 otherwise.
    """
    one = np.ndim(x) == 1 and np.ndim(y) == 1
    X = check_matrix(np.atleast_2d(x), "x", dtype=np.float64)
    Y = check_matrix(np.atleast_2d(y), "y", dtype=np.float64)
    if X.shape != Y.shape:
        raise ValueError(f"x and y must have the same shape (paired rows), got {X.shape} and {Y.shape}")
    d = X.shape[1]
    A = np.eye(d) if A is None else check_metric_matrix(A, "A", n_features=d)
    XA = X @ A
    xy = np.einsum("ij,ij->i", XA, Y)
    xx = np.einsum("ij,ij->i", XA, X)
    yy = np.einsum("ij,ij->i", Y @ A, Y)
    scale = np.abs(A).max() * max(float(np.abs(X).max()), float(np.abs(Y).max()), 1e-300) ** 2
    zx = xx <= 1e-12 * scale
    zy = yy <= 1e-12 * scale
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.clip(xy / np.sqrt(xx * yy), -1.0, 1.0)
    p = 1.0 - np.arccos(cos) / np.pi
    p = np.where(zx & zy, 1.0, np.where(zx | zy, 0.5, p))
    return float(p[0]) if one else p
