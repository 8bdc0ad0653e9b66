"""Random-projection LSH families and their collision theory.

* :class:`RandomHyperplaneHash` — SimHash (Charikar 2002, after Goemans & Williamson 1995):
  ``h_j(x) = 1[r_jᵀx ≥ 0]`` with ``r_j ~ N(0, I_d)``.  A random hyperplane through the origin
  separates ``x`` and ``y`` with probability ``θ(x, y)/π``, so
  ``P[h_j(x) = h_j(y)] = 1 − θ/π``  (:func:`simhash_collision_probability`).
* :class:`PStableHash` — Datar, Immorlica, Indyk & Mirrokni (2004), "Locality-sensitive hashing
  scheme based on p-stable distributions", for p = 2: ``h_j(x) = ⌊(a_jᵀx + b_j)/w⌋`` with
  ``a_j ~ N(0, I_d)`` and ``b_j ~ U[0, w)``.  Since ``a_jᵀ(x − y) ~ N(0, c²)`` with ``c = ‖x − y‖``,
  ``P[h_j(x) = h_j(y)] = ∫_0^w (1/c) f(t/c) (1 − t/w) dt`` with f the density of |N(0, 1)|, i.e.
  ``1 − 2Φ(−w/c) − 2/(√(2π) w/c) · (1 − exp(−w²/(2c²)))``  (:func:`pstable_collision_probability`).
* :class:`BitSamplingHash` — the LSH family of the Hamming cube (Indyk & Motwani 1998):
  ``h_j(x) = x_{i_j}`` for a uniformly random coordinate ``i_j``, so two binary codes at Hamming
  distance r out of d bits collide with probability ``1 − r/d``
  (:func:`bit_sampling_collision_probability`).  It hashes codes, e.g. long SimHash codes, into
  :class:`lshlab.search.HashTables` with ``metric="hamming"``.
* AND/OR amplification (Indyk & Motwani 1998; the banding of Leskovec, Rajaraman & Ullman,
  *Mining of Massive Datasets*, ch. 3): K hashes concatenated per table (AND), L independent
  tables (OR); a pair with per-hash collision probability p lands in a common bucket with
  probability ``1 − (1 − p^K)^L``  (:func:`amplified_collision_probability`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from sklearn.utils.validation import check_is_fitted

from .._validation import (
    FLOAT32_EXACT,
    check_binary_codes,
    check_float32_exact,
    check_positive_float,
    check_positive_int,
    check_random_state,
)
from ..search.euclidean import max_abs, safe_exponent
from ._base import BaseHasher

__all__ = [
    "sign_safe",
    "RandomHyperplaneHash",
    "PStableHash",
    "BitSamplingHash",
    "simhash_collision_probability",
    "bit_sampling_collision_probability",
    "pstable_collision_probability",
    "amplified_collision_probability",
]


class RandomHyperplaneHash(BaseHasher):
    """SimHash: one bit per random hyperplane through the origin, ``h_j(x) = 1[r_jᵀx ≥ 0]``.

    Parameters
    ----------
    n_bits : int, default 64
        Number of hyperplanes (code length).
    center : bool, default False
        Subtract the training mean before projecting (hyperplanes through the data mean).  Off by
        default so that ``P[h(x) = h(y)] = 1 − θ(x, y)/π`` holds for the raw vectors.
    random_state : int, RandomState instance or None
        Seed of the Gaussian hyperplane normals, drawn in :meth:`fit`.

    Attributes
    ----------
    planes_ : ndarray of float32, shape (n_features, n_bits)
        Hyperplane normals ``r_j ~ N(0, I)`` as columns.
    mean_ : ndarray of float32, shape (n_features,)
        Training mean when ``center=True``, else zeros.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(5, 3))
    >>> RandomHyperplaneHash(n_bits=8, random_state=0).fit(X).transform(X).shape
    (5, 8)
    """

    def __init__(self, n_bits=64, center=False, random_state=None):
        self.n_bits = n_bits
        self.center = center
        self.random_state = random_state

    def fit(self, X, y=None):
        """Draw ``n_bits`` Gaussian normals (and the mean if ``center=True``); ``y`` is ignored."""
        X = self._validate_fit_input(X)
        n_bits = check_positive_int(self.n_bits, "n_bits")
        if not isinstance(self.center, (bool, np.bool_)):
            raise ValueError(f"center must be True or False, got {self.center!r}")
        rng = check_random_state(self.random_state)
        self.planes_ = rng.standard_normal((X.shape[1], n_bits)).astype(np.float32)
        self.mean_ = X.mean(axis=0) if self.center else np.zeros(X.shape[1], dtype=np.float32)
        return self

    def _encode(self, X):
        Z = sign_safe(X - self.mean_ if self.center else X) @ self.planes_
        return (Z >= 0).view(np.uint8)


def sign_safe(X):
    """``X`` divided by a power of two when its magnitudes are extreme (beyond 2^±40), else ``X`` itself.

    The bit ``1[rᵀx ≥ 0]`` does not depend on the length of ``x``, but float32 products do: rows of
    1e37 overflow to inf (and inf − inf to NaN, a wrong bit), rows of 1e-40 underflow.  Dividing by a
    power of two is exact and changes no bit of ordinary data (nothing is rescaled for them).
    """
    e = safe_exponent(max_abs(X))
    return np.ldexp(X, -e).astype(X.dtype, copy=False) if e else X


class PStableHash(BaseHasher):
    """Euclidean (2-stable) LSH of Datar et al. (2004): ``h_j(x) = ⌊(a_jᵀx + b_j)/w⌋``.

    Parameters
    ----------
    n_hashes : int, default 16
        Number of hash functions (columns of the integer code).
    width : float, default 4.0
        Bucket width ``w`` (in the units of ``x``).  Larger ``w`` → higher collision probability at
        every distance.
    random_state : int, RandomState instance or None

    Attributes
    ----------
    projections_ : ndarray of float32, shape (n_features, n_hashes), ``a_j ~ N(0, I)``
    offsets_ : ndarray of float32, shape (n_hashes,), ``b_j ~ U[0, w)``

    Notes
    -----
    ``transform`` returns signed ``int32`` bucket numbers (not 0/1 bits), so ``packed=True`` is
    refused.  The collision probability at distance ``c`` is
    :func:`pstable_collision_probability(c, width)`.  Buckets are computed in float32, which numbers
    them exactly up to 2²⁴ (and int32 holds them): rows whose ``|aᵀx + b|/w`` reaches 2²⁴ raise a
    ValueError naming ``width`` and the scale of ``X`` rather than colliding far-apart points.
    """

    binary = False

    def __init__(self, n_hashes=16, width=4.0, random_state=None):
        self.n_hashes = n_hashes
        self.width = width
        self.random_state = random_state

    def fit(self, X, y=None):
        """Draw projections ``a_j ~ N(0, I)`` and offsets ``b_j ~ U[0, w)``; ``y`` is ignored."""
        X = self._validate_fit_input(X)
        n_hashes = check_positive_int(self.n_hashes, "n_hashes")
        width = check_positive_float(self.width, "width")
        info = np.finfo(np.float32)
        if not float(info.tiny) <= width <= float(info.max):
            raise ValueError(f"width must lie in the float32 range [{float(info.tiny):.3g}, {float(info.max):.3g}] "
                             f"(the buckets are computed in float32), got {width}; rescale X instead")
        rng = check_random_state(self.random_state)
        self.projections_ = rng.standard_normal((X.shape[1], n_hashes)).astype(np.float32)
        self.offsets_ = rng.uniform(0.0, width, size=n_hashes).astype(np.float32)
        self.width_ = np.float32(width)
        return self

    def _encode(self, X):
        Z = X @ self.projections_
        Z += self.offsets_
        Z /= self.width_
        w = float(self.width_)
        check_float32_exact(
            Z, "PStableHash bucket numbers (aᵀx + b)/width",
            lambda top: f"far-apart points would share a bucket (int32 overflows at 2^31, float32 counts buckets "
            f"exactly only below 2^24): width={w:.3g} is too small for the scale of X (|x| up to {max_abs(X):.3g}, "
            f"|aᵀx + b| up to {top * w:.3g}); use width >= {top * w * 2 / FLOAT32_EXACT:.3g}, or centre / "
            "rescale X")
        return np.floor(Z).astype(np.int32)


class BitSamplingHash(BaseHasher):
    """Bit sampling: ``h_j(x) = x_{i_j}``, one random coordinate of a binary code per hash.

    The classic LSH family for Hamming distance (Indyk & Motwani 1998): the coordinates ``i_j`` are
    drawn independently and uniformly (with replacement, so the hashes are independent), hence
    ``P[h_j(x) = h_j(y)] = 1 − d_H(x, y)/d`` exactly.

    Parameters
    ----------
    n_bits : int, default 16
        Number of sampled coordinates (code length K of one table).
    random_state : int, RandomState instance or None
        Seed of the coordinates, drawn in :meth:`fit`.

    Attributes
    ----------
    positions_ : ndarray of int, shape (n_bits,)
        The sampled coordinates.
    n_features_in_ : int
        Bits of the input codes.

    Notes
    -----
    ``X`` holds binary codes, 0/1 integers or booleans (not packed, not floats); they are kept as
    ``uint8``, so hashing 60,000 codes of 4,096 bits never makes a float copy.
    """

    def __init__(self, n_bits=16, random_state=None):
        self.n_bits = n_bits
        self.random_state = random_state

    def _validate_fit_input(self, X, dtype=None):
        X = check_binary_codes(X, "X")
        self.n_features_in_ = X.shape[1]
        return X

    def _validate_transform_input(self, X, dtype=None):
        check_is_fitted(self)
        X = check_binary_codes(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} bits per code, but BitSamplingHash is expecting "
                f"{self.n_features_in_} (the code length it was fitted on)"
            )
        return X

    def fit(self, X, y=None):
        """Draw ``n_bits`` coordinates uniformly from the code length of ``X``; ``y`` is ignored."""
        X = self._validate_fit_input(X)
        n_bits = check_positive_int(self.n_bits, "n_bits")
        self.positions_ = check_random_state(self.random_state).randint(0, X.shape[1], size=n_bits)
        return self

    def _encode(self, X):
        return np.ascontiguousarray(X[:, self.positions_])


# ----------------------------------------------------------------------------- theory
def simhash_collision_probability(theta):
    """``P[h(x) = h(y)] = 1 − θ/π`` for one random hyperplane, θ the angle between x and y.

    Parameters
    ----------
    theta : float or array-like, angles in radians in [0, π].

    Returns
    -------
    ndarray (or float) shaped like ``theta``.
    """
    t = np.asarray(theta, dtype=np.float64)
    if not np.isfinite(t).all() or (t < 0).any() or (t > np.pi + 1e-12).any():
        raise ValueError("theta must hold finite angles in [0, pi] radians")
    p = 1.0 - np.clip(t, 0.0, np.pi) / np.pi
    return float(p) if p.ndim == 0 else p


def bit_sampling_collision_probability(r, n_bits):
    """``P[h(x) = h(y)] = 1 − r/d`` for one sampled coordinate, at Hamming distance r of d bits.

    Parameters
    ----------
    r : float or array-like of Hamming distances in [0, d]
    n_bits : int d >= 1, the code length
    """
    d = check_positive_int(n_bits, "n_bits")
    r = np.asarray(r, dtype=np.float64)
    if not np.isfinite(r).all() or (r < 0).any() or (r > d).any():
        raise ValueError(f"r (Hamming distances) must lie in [0, n_bits={d}]")
    p = 1.0 - r / d
    return float(p) if p.ndim == 0 else p


def pstable_collision_probability(c, w):
    """Collision probability of one 2-stable hash of width ``w`` at Euclidean distance ``c``.

    ``p(c) = 1 − 2Φ(−w/c) − 2/(√(2π) · w/c) · (1 − exp(−w²/(2c²)))``  (Datar et al. 2004, eq. for
    p = 2), decreasing in ``c``; ``p(0) = 1``.

    Parameters
    ----------
    c : float or array-like of distances >= 0
    w : float > 0, bucket width

    Returns
    -------
    ndarray (or float) shaped like ``c``.
    """
    w = check_positive_float(w, "w")
    c = np.asarray(c, dtype=np.float64)
    if not np.isfinite(c).all() or (c < 0).any():
        raise ValueError("c (distances) must be finite and >= 0")
    r = np.divide(w, c, out=np.full(c.shape, np.inf), where=c > 0)  # r = w / c
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.where(np.isinf(r), 0.0, 2.0 / (np.sqrt(2 * np.pi) * r) * -np.expm1(-(r**2) / 2))
    p = 1.0 - 2.0 * ndtr(-r) - tail
    return float(p) if p.ndim == 0 else p


def amplified_collision_probability(p, bits_per_table, n_tables):
    """AND/OR amplification: ``P[share a bucket in at least one of L tables] = 1 − (1 − p^K)^L``.

    Parameters
    ----------
    p : float or array-like in [0, 1], per-hash collision probability
    bits_per_table : int K >= 1 (hashes concatenated per table: AND)
    n_tables : int L >= 1 (independent tables: OR)
    """
    K = check_positive_int(bits_per_table, "bits_per_table")
    L = check_positive_int(n_tables, "n_tables")
    p = np.asarray(p, dtype=np.float64)
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("p must hold probabilities in [0, 1]")
    out = 1.0 - (1.0 - p**K) ** L
    return float(out) if out.ndim == 0 else out
