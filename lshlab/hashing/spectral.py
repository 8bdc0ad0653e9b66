"""Spectral hashing (Weiss, Torralba & Fergus, "Spectral hashing", NIPS 2008) and graph Laplacians.

**Objective.** With affinities ``W_ij = exp(−‖x_i − x_j‖² / ε²)``, look for codes ``y_i ∈ {−1, 1}^k`` that
minimise ``Σ_ij W_ij ‖y_i − y_j‖²`` (similar points get close codes) subject to balanced bits
``Σ_i y_i = 0`` and uncorrelated bits ``(1/n) Σ_i y_i y_iᵀ = I``. In matrix form this is
``min trace(Yᵀ (D − W) Y)`` with ``D_ii = Σ_j W_ij``: a graph-partitioning problem (NP-hard).

**Spectral relaxation.** Dropping ``Y ∈ {−1, 1}`` leaves the ``k`` eigenvectors of the Laplacian
``L = D − W`` with the smallest non-zero eigenvalues (the first of them is the Fiedler vector, whose signs
bisect the graph). Eigenvectors are only defined on the training points; Weiss et al. take the limit
``n → ∞`` where they become eigenfunctions of the weighted Laplace–Beltrami operator of the data
density. For a separable density — PCA-aligned and, as in the paper, modelled as uniform on a box
``[a_j, b_j]`` per direction — the 1-D eigenfunctions and eigenvalues are

.. math:: Φ_k(x) = \\sin\\Big(\\frac{π}{2} + \\frac{kπ}{b − a}(x − a)\\Big), \\qquad
          λ_k = 1 − e^{−\\frac{ε²}{2}\\left|\\frac{kπ}{b − a}\\right|²},

so ranking by ``λ_k`` is ranking by ``(kπ / (b − a))²`` for any ``ε``: long directions get several bits
(``k = 1, 2, …``), short ones none. Each bit thresholds one ``Φ_k`` at zero, i.e. cuts direction ``j``
into ``k + 1`` slabs of width ``(b − a)/k`` with alternating bits. Like the authors' code we use only the
single-direction eigenfunctions (products across directions are never chosen for small ε).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_matrix, check_positive_int
from ._base import BaseHasher
from .pca_itq import pca_directions

__all__ = ["SpectralHash", "graph_laplacian", "fiedler_vector", "box_eigenfunction"]


def _check_affinity(W):
    W = check_matrix(W, "W", dtype=np.float64)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square (n_nodes, n_nodes) affinity matrix, got shape {W.shape}")
    if not np.allclose(W, W.T, rtol=1e-10, atol=1e-12):
        raise ValueError("W must be symmetric (an undirected graph): W != W.T; symmetrise it, e.g. (W + W.T) / 2")
    if (W < 0).any():
        raise ValueError(f"W must be non-negative (affinities / edge weights), found minimum {W.min()}")
    return W


def graph_laplacian(W, normalized=False):
    """Graph Laplacian of a symmetric non-negative affinity (adjacency) matrix ``W``.

    ``normalized=False``: ``L = D − W`` with ``D = diag(W 1)`` (the unnormalised Laplacian used in the
    spectral-hashing relaxation; ``xᵀ L x = ½ Σ_ij W_ij (x_i − x_j)²``).
    ``normalized=True``: ``L_sym = I − D^{-1/2} W D^{-1/2}`` (Chung 1997; von Luxburg, "A tutorial on
    spectral clustering", 2007); an isolated node (degree 0) is given ``D^{-1/2}_ii = 0``, so its row of
    ``L_sym`` is the identity row.

    Returns
    -------
    L : ndarray (n, n), float64
    """
    W = _check_affinity(W)
    deg = W.sum(axis=1)
    if not normalized:
        return np.diag(deg) - W
    inv_sqrt = np.zeros_like(deg)
    nz = deg > 0
    inv_sqrt[nz] = 1.0 / np.sqrt(deg[nz])
    return np.eye(W.shape[0]) - inv_sqrt[:, None] * W * inv_sqrt[None, :]


def fiedler_vector(W, normalized=False):
    """Eigenvector of the second-smallest eigenvalue of ``graph_laplacian(W, normalized)``.

    Its signs give the spectral bisection of the graph (Fiedler 1973): the relaxed solution of the
    ratio-cut problem, as in the spectral-hashing lecture. The sign is fixed deterministically: the entry
    of largest magnitude is made positive (ties broken by the lowest index).

    Returns
    -------
    vector : ndarray (n,), unit norm
    value : float
        The algebraic connectivity ``λ₂`` (0 when the graph is disconnected).
    """
    L = graph_laplacian(W, normalized=normalized)
    if L.shape[0] < 2:
        raise ValueError(f"W must describe at least 2 nodes for a Fiedler vector, got {L.shape[0]}")
    evals, evecs = np.linalg.eigh(L)
    v = evecs[:, 1].copy()
    pivot = int(np.argmax(np.abs(v) - 1e-12 * np.arange(v.size)))
    if v[pivot] < 0:
        v = -v
    return v, float(evals[1])


def box_eigenfunction(x, k, a, b):
    """1-D Laplacian eigenfunction on ``[a, b]`` with Neumann boundary: ``sin(π/2 + kπ(x − a)/(b − a))``.

    Equals ``cos(kπ(x − a)/(b − a))``; its eigenvalue is proportional to ``(kπ / (b − a))²``.
    """
    return np.sin(np.pi / 2 + k * np.pi * (np.asarray(x, dtype=np.float64) - a) / (b - a))


class SpectralHash(BaseHasher):
    """Spectral hashing (Weiss, Torralba & Fergus, NIPS 2008) with the uniform-box eigenfunctions.

    Fit: centre, project on the top ``min(n_bits, n_features)`` principal directions, take each
    direction's training range ``[a_j, b_j]``, enumerate the pairs ``(j, k ≥ 1)`` and keep the ``n_bits``
    with the smallest ``(kπ / (b_j − a_j))²`` (ties: lower direction, then lower ``k``). Encode: bit
    ``i`` is ``1[Φ_{k_i}(v_{j_i}) > 0]`` with ``v = Wᵀ(x − μ)`` (see the module docstring).

    Parameters
    ----------
    n_bits : int, default 32
    random_state : None, int or RandomState
        Unused (spectral hashing is deterministic); kept so every hasher has the same parameters.

    Attributes
    ----------
    mean_ : ndarray (n_features,)
    components_ : ndarray (n_features, n_directions)
    lower_, upper_ : ndarray (n_directions,)
        Ranges ``a_j, b_j`` of the projections on the training data.
    modes_ : ndarray (n_bits, 2) of int
        ``(direction j, frequency k)`` of each bit, in order of increasing eigenvalue.
    eigenvalues_ : ndarray (n_bits,)
        ``(kπ / (b_j − a_j))²`` of each bit (ascending).
    """

    def __init__(self, n_bits=32, random_state=None):
        self.n_bits = n_bits
        self.random_state = random_state

    def fit(self, X, y=None):
        n_bits = check_positive_int(self.n_bits, "n_bits")
        X = self._validate_fit_input(X)
        n_dirs = min(n_bits, X.shape[1])
        self.mean_, self.components_, _ = pca_directions(X, n_dirs)
        V = (X.astype(np.float64) - self.mean_) @ self.components_
        self.lower_, self.upper_ = V.min(axis=0), V.max(axis=0)
        width = self.upper_ - self.lower_
        # A direction with no spread (constant data) gets an infinite eigenvalue: never chosen
        # unless every direction is flat, in which case all bits are constant.
        tiny = np.finfo(np.float64).tiny
        omega0 = np.where(width > 0, np.pi / np.maximum(width, tiny), np.inf)
        ks = np.arange(1, n_bits + 1)
        dirs, kk = np.meshgrid(np.arange(n_dirs), ks, indexing="ij")
        with np.errstate(invalid="ignore"):
            lam = (kk * omega0[:, None]) ** 2
        lam = np.where(np.isnan(lam), np.inf, lam)
        order = np.lexsort((kk.ravel(), dirs.ravel(), lam.ravel()))[:n_bits]
        self.modes_ = np.stack([dirs.ravel()[order], kk.ravel()[order]], axis=1).astype(np.int64)
        self.eigenvalues_ = lam.ravel()[order]
        self.upper_ = np.where(width > 0, self.upper_, self.lower_ + 1.0)
        return self

    def _project(self, X):
        return (np.asarray(X, dtype=np.float64) - self.mean_) @ self.components_

    def eigenfunctions(self, X):
        """Values ``Φ_{k_i}(v_{j_i})`` of each bit's eigenfunction at the rows of ``X`` (before thresholding)."""
        X = self._validate_transform_input(X)
        return self._eigenfunctions(X)

    def _eigenfunctions(self, X):
        V = self._project(X)
        j, k = self.modes_[:, 0], self.modes_[:, 1]
        return box_eigenfunction(V[:, j], k, self.lower_[j], self.upper_[j])

    def _encode(self, X):
        return (self._eigenfunctions(X) > 0).astype(np.uint8)
