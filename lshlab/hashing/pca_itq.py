"""PCA hashing (PCAH) and iterative quantisation (ITQ).

Both are *learned*, unsupervised binary codes: the data are centred, projected on their top principal
directions, and each projection is thresholded at zero.

- **PCAH**: ``b = 1[Wᵀ(x − μ) ≥ 0]`` with ``W`` the top ``n_bits`` eigenvectors of the covariance.
  The first bits carry most of the variance, the later ones little, so PCAH gets *worse* per bit as
  ``n_bits`` grows.
- **ITQ** (Gong & Lazebnik, "Iterative quantization: a Procrustean approach to learning binary codes",
  CVPR 2011; TPAMI 35(12), 2013): rotate the PCA projections ``V = (X − μ)W`` by an orthogonal ``R`` chosen
  to minimise the quantisation loss

  .. math:: Q(B, R) = \\lVert B - V R \\rVert_F^2, \\qquad B \\in \\{-1, +1\\}^{n \\times c},\\; R^\\top R = I,

  by alternating ``B = sgn(V R)`` (optimal for fixed ``R``) and the orthogonal Procrustes solution
  ``R = S Ŝᵀ`` from the SVD ``Vᵀ B = S Ω Ŝᵀ`` (optimal for fixed ``B``). Each half-step cannot increase
  ``Q``, so the recorded ``loss_`` is non-increasing. The objective is the quantisation error, not the
  spread of variance over the bits: *any* rotation of the PCA projections spreads the variance (a random
  one nearly evenly — Gong & Lazebnik's "PCA-RR" baseline, which is ``ITQHash(max_iter=0)``); ITQ picks
  the rotation whose projections lie closest to the vertices of the hypercube
  (:func:`lshlab.small_codes.rotation_study` measures both effects).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from .._validation import check_positive_int
from ._base import BaseHasher

__all__ = ["PCAHash", "ITQHash", "pca_directions", "itq_iterations", "random_rotation"]


def pca_directions(X, n_components):
    """Mean and top principal directions of ``X`` (rows = samples), with a deterministic sign.

    The directions are the eigenvectors of the covariance ``C = (X − μ)ᵀ(X − μ) / n`` with the largest
    eigenvalues (computed in float64 with ``numpy.linalg.eigh``); each is signed so that its
    largest-magnitude entry is positive (the convention of ``sklearn.utils.extmath.svd_flip``), so
    refitting on the same data gives the same codes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int, 1 <= n_components <= n_features

    Returns
    -------
    mean : ndarray (n_features,), float64
    components : ndarray (n_features, n_components), float64, orthonormal columns
    variances : ndarray (n_components,), float64, descending eigenvalues of ``C``
    """
    X = np.asarray(X, dtype=np.float64)
    n_components = check_positive_int(n_components, "n_components")
    if n_components > X.shape[1]:
        raise ValueError(
            f"n_components={n_components} exceeds n_features={X.shape[1]}; "
            f"at most {X.shape[1]} principal directions exist"
        )
    mean = X.mean(axis=0)
    Xc = X - mean
    cov = (Xc.T @ Xc) / X.shape[0]
    with threadpool_limits(limits=1, user_api="blas"):  # d × d is small; threads only add contention
        evals, evecs = np.linalg.eigh(cov)
    order = np.argsort(-evals, kind="stable")[:n_components]
    comps = evecs[:, order]
    pivot = np.argmax(np.abs(comps), axis=0)
    signs = np.sign(comps[pivot, np.arange(n_components)])
    signs[signs == 0] = 1.0
    return mean, comps * signs, np.maximum(evals[order], 0.0)


def _check_bits_vs_features(n_bits, n_features, cls_name):
    if n_bits > n_features:
        raise ValueError(
            f"{cls_name}: n_bits={n_bits} exceeds n_features={n_features}; PCA-based codes use one "
            f"principal direction per bit, so use n_bits <= {n_features} (or SpectralHash, which has no "
            "such limit)"
        )


def _sign01(Z):
    """0/1 codes ``1[z >= 0]`` as uint8 (the sign convention of the ITQ reference code)."""
    return (Z >= 0).astype(np.uint8)


class PCAHash(BaseHasher):
    """PCA hashing: ``b_j(x) = 1[w_jᵀ(x − μ) ≥ 0]`` for the top ``n_bits`` principal directions ``w_j``.

    Parameters
    ----------
    n_bits : int, default 32
        Code length; must not exceed the number of features.
    random_state : None, int or RandomState
        Unused (PCAH is deterministic); kept so every hasher has the same parameters.

    Attributes
    ----------
    mean_ : ndarray (n_features,)
    components_ : ndarray (n_features, n_bits)
    explained_variance_ : ndarray (n_bits,)
    """

    def __init__(self, n_bits=32, random_state=None):
        self.n_bits = n_bits
        self.random_state = random_state

    def fit(self, X, y=None):
        n_bits = check_positive_int(self.n_bits, "n_bits")
        X = self._validate_fit_input(X)
        _check_bits_vs_features(n_bits, X.shape[1], type(self).__name__)
        self.mean_, self.components_, self.explained_variance_ = pca_directions(X, n_bits)
        return self

    def _project(self, X):
        return (np.asarray(X, dtype=np.float64) - self.mean_) @ self.components_

    def _encode(self, X):
        return _sign01(self._project(X))


class ITQHash(BaseHasher):
    """Iterative quantisation (Gong & Lazebnik 2011/2013) on top of PCA.

    Codes ``b(x) = 1[Rᵀ Wᵀ (x − μ) ≥ 0]`` where ``W`` holds the top ``n_bits`` principal directions and
    the orthogonal ``R`` minimises ``‖B − VR‖²_F`` (see the module docstring). ``R`` starts from a random
    orthogonal matrix (QR of a Gaussian matrix, drawn from ``random_state``).

    Parameters
    ----------
    n_bits : int, default 32
        Code length; must not exceed the number of features.
    max_iter : int, default 50
        Alternating iterations, all of them run (the papers use 50).
    random_state : None, int or RandomState
        Seeds the initial rotation.

    Attributes
    ----------
    mean_ : ndarray (n_features,)
    components_ : ndarray (n_features, n_bits)
        PCA directions ``W``.
    rotation_ : ndarray (n_bits, n_bits)
        The learned orthogonal ``R``.
    loss_ : ndarray (max_iter + 1,)
        ``loss_[0] = Q(sgn(V R₀), R₀)`` for the random start; ``loss_[t] = Q(B_t, R_t)`` after
        iteration ``t`` (``B_t = sgn(V R_{t−1})``, then the Procrustes ``R_t``). Non-increasing.
    n_iter_ : int
        Iterations run (always ``max_iter``: there is no early stop).
    """

    def __init__(self, n_bits=32, max_iter=50, random_state=None):
        self.n_bits = n_bits
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y=None):
        n_bits = check_positive_int(self.n_bits, "n_bits")
        max_iter = check_positive_int(self.max_iter, "max_iter", minimum=0)
        X = self._validate_fit_input(X)
        _check_bits_vs_features(n_bits, X.shape[1], type(self).__name__)
        rng = check_random_state(self.random_state)
        self.mean_, self.components_, _ = pca_directions(X, n_bits)
        V = (X.astype(np.float64) - self.mean_) @ self.components_
        R = random_rotation(n_bits, rng)
        # The products are thin (n × c with c <= a few hundred): one BLAS thread is faster than
        # several on a shared machine (measured 0.2 s vs 6 s for 48 bits on digits under load).
        with threadpool_limits(limits=1, user_api="blas"):
            R, losses = itq_iterations(V, R, max_iter)
        self.rotation_ = R
        self.loss_ = losses
        self.n_iter_ = max_iter
        return self

    def _encode(self, X):
        V = (np.asarray(X, dtype=np.float64) - self.mean_) @ self.components_
        return _sign01(V @ self.rotation_)


def itq_iterations(V, R, max_iter):
    """ITQ's alternating minimisation of ``Q(B, R) = ‖B − VR‖²_F`` from the rotation ``R``.

    Each iteration sets ``B = sgn(VR)`` (optimal for fixed ``R``), then ``R = S Ŝᵀ`` from the SVD
    ``VᵀB = S Ω Ŝᵀ`` (orthogonal Procrustes, optimal for fixed ``B``; Gong & Lazebnik 2011, section 2.3).

    Parameters
    ----------
    V : ndarray (n, c)
        Centred PCA projections.
    R : ndarray (c, c)
        Orthogonal starting rotation (e.g. :func:`random_rotation`).
    max_iter : int

    Returns
    -------
    R : ndarray (c, c)
        The last rotation.
    losses : ndarray (max_iter + 1,)
        ``Q`` at the start (``B = sgn(V R₀)``) and after each iteration; non-increasing.
    """
    B = np.where(V @ R >= 0, 1.0, -1.0)
    losses = [float(np.sum((B - V @ R) ** 2))]
    for _ in range(max_iter):
        B = np.where(V @ R >= 0, 1.0, -1.0)
        S, _, Sh_t = np.linalg.svd(V.T @ B)
        R = S @ Sh_t
        losses.append(float(np.sum((B - V @ R) ** 2)))
    return R, np.asarray(losses)


def random_rotation(n, random_state=None):
    """A Haar-random ``n × n`` orthogonal matrix: QR of a Gaussian matrix with the signs of diag(R) fixed.

    (Mezzadri, "How to generate random matrices from the classical compact groups", Notices AMS 2007.)
    """
    n = check_positive_int(n, "n")
    rng = check_random_state(random_state)
    Q, Rm = np.linalg.qr(rng.standard_normal((n, n)))
    d = np.sign(np.diag(Rm))
    d[d == 0] = 1.0
    return Q * d
