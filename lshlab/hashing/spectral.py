"""Spectral hashing (Weiss, Torralba & Fergus, "Spectral hashing", NIPS 2008) and graph Laplacians.

**Objective.** With affinities ``W_ij = exp(−‖x_i − x_j‖² / ε²)``, look for codes ``y_i ∈ {−1, 1}^k`` that
minimise ``Σ_ij W_ij ‖y_i − y_j‖²`` (similar points get close codes) subject to balanced bits
``Σ_i y_i = 0`` and uncorrelated bits ``(1/n) Σ_i y_i y_iᵀ = I``. In matrix form this is
``min trace(Yᵀ (D − W) Y)`` with ``D_ii = Σ_j W_ij``: a graph-partitioning problem (NP-hard).

**Spectral relaxation.** Dropping ``Y ∈ {−1, 1}`` leaves the ``k`` eigenvectors of the Laplacian
``L = D − W`` with the smallest non-zero eigenvalues (the first of them is the Fiedler vector, whose signs
bisect the graph; :func:`ratio_cut` is the cut it relaxes). Eigenvectors are only defined on the training
points; Weiss et al. take the limit ``n → ∞`` where they become eigenfunctions of the weighted
Laplace–Beltrami operator of the data density. For a separable density — PCA-aligned and, as in the
paper, modelled as uniform on a box ``[a_j, b_j]`` per direction — the 1-D eigenfunctions and eigenvalues
are (the paper's section 3.1)

.. math:: Φ_k(x) = \\sin\\Big(\\frac{π}{2} + \\frac{kπ}{b − a}(x − a)\\Big), \\qquad
          λ_k = 1 − e^{−\\frac{ε²}{2}\\left|\\frac{kπ}{b − a}\\right|²}.

This ``λ_k`` is the exact eigenvalue of the random-walk Laplacian ``I − D⁻¹W`` of the Gaussian affinity
``W(x, y) = exp(−|x − y|² / (2ε²))`` (the course's Gaussian convention) on the uniform density with
reflecting ends (:func:`box_eigenvalue`, checked by :func:`box_laplacian_spectrum`); with the affinity
written as ``exp(−|x − y|²/ε²)`` the exponent is ``ε²/4`` instead. Its small-``ε`` limit is
``λ_k ≈ (ε²/2)(kπ/(b − a))²``; ranking by ``λ_k`` is ranking by ``(kπ / (b − a))²`` for any ``ε`` (the
map ``ω² ↦ 1 − e^{−ε²ω²/2}`` is increasing): long directions get several bits (``k = 1, 2, …``), short
ones none. Each bit thresholds one ``Φ_k`` at zero, i.e. cuts direction ``j`` into ``k + 1`` slabs of width
``(b − a)/k`` with alternating bits. Like the authors' code we use only the single-direction
eigenfunctions (products across directions are never chosen for small ε).

**Memory.** ``fit`` selects the ``n_bits`` smallest ``(kπ/(b_j − a_j))²`` by bisection on the frequency
threshold (``O(n_bits + n_directions)`` candidates, never the full ``n_directions × n_bits`` grid), and
``transform`` evaluates the eigenfunctions in place on row blocks of at most ``2²¹`` values, so the only
memory that grows with ``n_bits`` beyond the model is the ``uint8`` output.
"""

from __future__ import annotations

import itertools

import numpy as np

from .._validation import check_matrix, check_positive_float, check_positive_int
from ._base import BaseHasher
from .pca_itq import pca_directions

__all__ = [
    "SpectralHash",
    "graph_laplacian",
    "fiedler_vector",
    "box_eigenfunction",
    "box_eigenvalue",
    "box_laplacian_spectrum",
    "cut_value",
    "ratio_cut",
    "bipartitions",
]

#: float64 values evaluated per block in ``SpectralHash.transform`` (16 MiB)
_BLOCK_VALUES = 2**21


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
    ratio-cut problem (:func:`ratio_cut`). The sign is fixed deterministically: the entry of largest
    magnitude is made positive (ties broken by the lowest index).

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


def _check_side(W, in_U):
    in_U = np.asarray(in_U)
    if in_U.shape != (W.shape[0],) or in_U.dtype != bool:
        raise ValueError(f"in_U must be a boolean mask with one entry per node ({W.shape[0]}), "
                         f"got dtype {in_U.dtype} and shape {in_U.shape}")
    if in_U.all() or not in_U.any():
        raise ValueError("in_U must split the nodes into two non-empty sides U and W (some True, some False)")
    return in_U


def cut_value(W, in_U):
    """Weight of the edges between ``U`` (``in_U`` True) and its complement: ``cut(U, Ū) = Σ_{i∈U, j∉U} W_ij``."""
    W = _check_affinity(W)
    in_U = _check_side(W, in_U)
    return float(W[np.ix_(in_U, ~in_U)].sum())


def ratio_cut(W, in_U):
    """``RatioCut(U, Ū) = cut(U, Ū) · (1/|U| + 1/|Ū|)`` (Hagen & Kahng, "New spectral methods for ratio cut
    partitioning and clustering", IEEE TCAD 1992; von Luxburg, "A tutorial on spectral clustering", 2007).

    With ``f_i = √(|Ū|/|U|)`` on ``U`` and ``−√(|U|/|Ū|)`` on ``Ū`` one has ``f ⊥ 1``, ``‖f‖² = n`` and
    ``fᵀ L f = n · RatioCut(U, Ū)``, so ``RatioCut = fᵀLf / fᵀf ≥ λ₂(L)`` for every split: the
    second-smallest eigenvalue of ``L = D − W`` bounds the best ratio cut from below, and the Fiedler
    vector is the relaxed minimiser. Hagen & Kahng write the same cost as
    ``cut(U, Ū) / (|U| · |Ū|) = RatioCut / n ≥ λ₂ / n``.
    """
    W = _check_affinity(W)
    in_U = _check_side(W, in_U)
    n_u = int(in_U.sum())
    return float(W[np.ix_(in_U, ~in_U)].sum()) * (1.0 / n_u + 1.0 / (in_U.size - n_u))


def bipartitions(n_nodes):
    """Every split of ``n_nodes`` nodes into two non-empty sides, once each (node 0 always in ``U``).

    Returns a boolean array of shape ``(2**(n_nodes − 1) − 1, n_nodes)``; for brute-force checks on small
    graphs (``2 ≤ n_nodes ≤ 20``).
    """
    n = check_positive_int(n_nodes, "n_nodes", minimum=2)
    if n > 20:
        raise ValueError(f"n_nodes={n} gives {2 ** (n - 1) - 1} splits; brute force is meant for n_nodes <= 20")
    rest = np.array(list(itertools.product([True, False], repeat=n - 1)), dtype=bool)[1:]  # drop "all in U"
    return np.hstack([np.ones((rest.shape[0], 1), dtype=bool), rest])


def box_eigenfunction(x, k, a, b):
    """1-D Laplacian eigenfunction on ``[a, b]`` with Neumann boundary: ``sin(π/2 + kπ(x − a)/(b − a))``.

    Equals ``cos(kπ(x − a)/(b − a))``; its eigenvalue is :func:`box_eigenvalue`.
    """
    return np.sin(np.pi / 2 + k * np.pi * (np.asarray(x, dtype=np.float64) - a) / (b - a))


def box_eigenvalue(k, a, b, epsilon):
    """Eigenvalue of :func:`box_eigenfunction` ``Φ_k`` for the Gaussian affinity of width ``ε``:

    .. math:: λ_k = 1 − \\exp\\Big(−\\frac{ε²}{2}\\Big(\\frac{kπ}{b − a}\\Big)^2\\Big)
              \\;\\approx\\; \\frac{ε²}{2}\\Big(\\frac{kπ}{b − a}\\Big)^2 \\quad (ε → 0)

    (Weiss, Torralba & Fergus, "Spectral hashing", NIPS 2008, section 3.1). It is exact for the
    random-walk Laplacian ``I − D⁻¹W`` with ``W(x, y) = exp(−(x − y)² / (2ε²))`` on a uniform density
    over ``[a, b]`` with reflecting ends (the Fourier transform of the normalised Gaussian at
    ``ω = kπ/(b − a)``); :func:`box_laplacian_spectrum` checks it on a grid.
    """
    epsilon = check_positive_float(epsilon, "epsilon")
    if not b > a:
        raise ValueError(f"the interval needs b > a, got a={a}, b={b}")
    omega = np.asarray(k, dtype=np.float64) * np.pi / (b - a)
    return -np.expm1(-0.5 * epsilon**2 * omega**2)


def box_laplacian_spectrum(n_grid, a, b, epsilon, n_modes=None):
    """Spectrum of the Gaussian-affinity graph on a regular grid of ``[a, b]`` with reflecting ends.

    Nodes ``x_i = a + (i + ½) h`` (``h = (b − a)/n_grid``); the affinity ``exp(−(x − y)²/(2ε²))`` is summed
    over the mirror images of ``y`` at both ends (the method of images: the uniform density continued
    evenly, i.e. a Neumann boundary), so every node has the same degree ``d`` and the random-walk Laplacian
    ``I − W/d`` is symmetric. Its eigenvectors are the :func:`box_eigenfunction` values on the grid and its
    eigenvalues equal :func:`box_eigenvalue` up to the aliasing error ``≈ 2 exp(−2π²ε²/h²)`` (negligible
    for ``ε ≥ 2h``).

    Returns
    -------
    x : ndarray (n_grid,)
    eigenvalues : ndarray (n_modes,), ascending
    eigenvectors : ndarray (n_grid, n_modes), unit columns
    """
    n_grid = check_positive_int(n_grid, "n_grid", minimum=2)
    if n_grid > 4000:
        raise ValueError(f"n_grid={n_grid} is too large for a dense eigen-decomposition; use n_grid <= 4000")
    epsilon = check_positive_float(epsilon, "epsilon")
    if not b > a:
        raise ValueError(f"the interval needs b > a, got a={a}, b={b}")
    n_modes = n_grid if n_modes is None else min(check_positive_int(n_modes, "n_modes"), n_grid)
    length = b - a
    x = a + (np.arange(n_grid) + 0.5) * length / n_grid
    u = x - a
    n_images = int(np.ceil(12 * epsilon / (2 * length))) + 1
    W = np.zeros((n_grid, n_grid))
    for m in range(-n_images, n_images + 1):
        shift = 2 * m * length
        W += np.exp(-((u[:, None] - u[None, :] + shift) ** 2) / (2 * epsilon**2))
        W += np.exp(-((u[:, None] + u[None, :] + shift) ** 2) / (2 * epsilon**2))
    degree = W.sum(axis=1).mean()
    evals, evecs = np.linalg.eigh(np.eye(n_grid) - W / degree)
    return x, evals[:n_modes], evecs[:, :n_modes]


def _select_modes(omega0, n_bits):
    """The ``n_bits`` pairs (direction j, k ≥ 1) with the smallest ``(k ω_j)²`` (ties: lower j, then lower k).

    ``omega0`` holds ``π / (b_j − a_j)`` (``inf`` for a flat direction); ``k`` runs up to ``n_bits``.
    Equal to ranking the full ``n_directions × n_bits`` grid, but only the candidates below a frequency
    threshold found by bisection are built.
    """
    n_dirs = omega0.size
    finite = np.isfinite(omega0)
    if not finite.any():  # every direction flat: the grid's order is direction 0, k = 1 … n_bits
        dirs = np.zeros(n_bits, dtype=np.int64)
        ks = np.arange(1, n_bits + 1, dtype=np.int64)
        return dirs, ks, np.full(n_bits, np.inf)
    w = omega0[finite]

    def count(tau):
        return int(np.minimum(np.floor(tau / w), n_bits).sum())

    lo, hi = 0.0, float(w.min()) * n_bits  # count(hi) >= n_bits: the lowest direction alone has n_bits modes
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            break
        if count(mid) >= n_bits:
            hi = mid
        else:
            lo = mid
    # every mode with k ω_j <= hi (plus one more per direction, against rounding) is a candidate
    kmax = np.zeros(n_dirs, dtype=np.int64)
    kmax[finite] = np.minimum(np.floor(hi * (1 + 1e-9) / w) + 1, n_bits).astype(np.int64)
    dirs = np.repeat(np.arange(n_dirs, dtype=np.int64), kmax)
    starts = np.repeat(np.cumsum(kmax) - kmax, kmax)
    ks = np.arange(dirs.size, dtype=np.int64) - starts + 1
    lam = (ks * omega0[dirs]) ** 2
    order = np.lexsort((ks, dirs, lam))[:n_bits]
    return dirs[order], ks[order], lam[order]


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
        ``(kπ / (b_j − a_j))²`` of each bit (ascending): the squared frequency, which orders the bits
        like the exact eigenvalue ``1 − exp(−ε²/2 · (kπ/(b_j − a_j))²)`` for every ``ε``
        (:func:`box_eigenvalue`).
    """

    def __init__(self, n_bits=32, random_state=None):
        self.n_bits = n_bits
        self.random_state = random_state

    @property
    def _chunk_rows(self):
        # rows per transform block: at most _BLOCK_VALUES float64 eigenfunction values per block, unless
        # set explicitly (BaseHasher documents _chunk_rows as a settable class attribute)
        override = self.__dict__.get("_chunk_rows_set")
        if override is not None:
            return override
        n_bits = len(getattr(self, "modes_", ())) or 1
        return int(max(1, min(4096, _BLOCK_VALUES // n_bits)))

    @_chunk_rows.setter
    def _chunk_rows(self, value):
        self.__dict__["_chunk_rows_set"] = value

    def fit(self, X, y=None):
        n_bits = check_positive_int(self.n_bits, "n_bits")
        X = self._validate_fit_input(X)
        n_dirs = min(n_bits, X.shape[1])
        self.mean_, self.components_, _ = pca_directions(X, n_dirs)
        V = (X.astype(np.float64) - self.mean_) @ self.components_
        self.lower_, self.upper_ = V.min(axis=0), V.max(axis=0)
        del V
        width = self.upper_ - self.lower_
        # A direction with no spread (constant data) gets an infinite eigenvalue: never chosen
        # unless every direction is flat, in which case all bits are constant.
        tiny = np.finfo(np.float64).tiny
        omega0 = np.where(width > 0, np.pi / np.maximum(width, tiny), np.inf)
        dirs, ks, lam = _select_modes(omega0, n_bits)
        self.modes_ = np.stack([dirs, ks], axis=1).astype(np.int64)
        self.eigenvalues_ = lam
        self.upper_ = np.where(width > 0, self.upper_, self.lower_ + 1.0)
        return self

    def _project(self, X):
        return (np.asarray(X, dtype=np.float64) - self.mean_) @ self.components_

    def eigenfunctions(self, X):
        """Values ``Φ_{k_i}(v_{j_i})`` of each bit's eigenfunction at the rows of ``X`` (before thresholding).

        Returns a float64 array of shape ``(n_samples, n_bits)`` (the caller asked for all of it)."""
        X = self._validate_transform_input(X)
        return self._eigenfunctions(X)

    def _eigenfunctions(self, X):
        # box_eigenfunction(V[:, j], k, a_j, b_j) evaluated in place, same operations in the same order
        V = self._project(X)
        j, k = self.modes_[:, 0], self.modes_[:, 1]
        out = np.take(V, j, axis=1)
        del V
        out -= self.lower_[j]
        out *= k * np.pi
        out /= (self.upper_ - self.lower_)[j]
        out += np.pi / 2
        np.sin(out, out=out)
        return out

    def _encode(self, X):
        return (self._eigenfunctions(X) > 0).view(np.uint8)
