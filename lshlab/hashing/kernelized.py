"""Kernelized locality-sensitive hashing (KLSH): random hyperplanes in the feature space of any kernel.

Kulis & Grauman, "Kernelized locality-sensitive hashing for scalable image search", ICCV 2009 (and
TPAMI 34(6), 2012). SimHash needs a Gaussian direction ``r ~ N(0, I)`` in the feature space of the kernel
``κ(x, y) = φ(x)ᵀφ(y)``, which is not available when ``φ`` is implicit (or infinite-dimensional). KLSH
builds it from ``p`` database samples ``x_1 … x_p`` (the landmarks): by the central limit theorem the mean
``z_S`` of ``t`` of their (centred) feature vectors is approximately ``N(0, Σ/t)``, so ``Σ^{-1/2} z_S`` is
approximately isotropic. Through the kernel matrix ``K`` of the landmarks this becomes the paper's

.. math:: h(x) = \\operatorname{sign}\\Big(\\sum_{i=1}^{p} w_i\\, κ(x, x_i)\\Big), \\qquad
          w = K^{-1/2} e_S ,

with ``e_S`` the indicator vector of a random subset ``S`` of ``t`` landmarks, one subset per bit. As in the
paper, the features are centred on the landmarks' mean (``K`` and ``κ(x, ·)`` are centred), and
``K^{-1/2}`` is the pseudo-inverse square root on the eigenvalues above ``1e-10 · λ_max``.

Collision probability. In the coordinates ``ψ(x) = K^{-1/2} κ̃(x)`` (``κ̃`` the centred kernel values:
``ψ(x)ᵀψ(y)`` is the Nyström approximation of the centred kernel), a bit is ``sign(ψ(x)ᵀ e_S)``. The
centred ``ψ(x)`` is orthogonal to ``1``, where ``e_S`` has isotropic covariance, so when the sum over ``S``
is close to Gaussian (``t`` large enough) SimHash's lemma gives

.. math:: P[h(x) = h(y)] ≈ 1 − \\frac{1}{π} \\arccos \\frac{ψ(x)ᵀψ(y)}{\\lVert ψ(x)\\rVert\\,\\lVert ψ(y)\\rVert}

(:meth:`KernelizedHash.collision_probability`), a decreasing function of the angle between the centred
feature vectors — and, for a kernel with ``κ(x, x) = 1`` such as the Gaussian, a function of the kernel
value ``κ(x, y)`` up to the centring and the Nyström projection (``nystrom=False`` uses the exact centred
kernel instead of its projection on the landmarks).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from .._validation import check_positive_int
from ..kernels import SchoenbergKernel
from ._base import BaseHasher
from .shift_invariant import resolve_kernel

__all__ = ["KernelizedHash"]


class KernelizedHash(BaseHasher):
    """Kernelized LSH (Kulis & Grauman 2009): ``n_bits`` hyperplanes ``w = K^{-1/2} e_S`` in kernel space.

    Parameters
    ----------
    n_bits : int, default 64
    kernel : float, SchoenbergKernel or callable, default 1.0
        A Gaussian bandwidth σ (``κ(x, y) = exp(−‖x − y‖²/(2σ²))``), a
        :class:`~lshlab.kernels.SchoenbergKernel`, or any callable ``kernel(X, Y) -> Gram matrix`` of a
        positive semi-definite kernel (e.g. ``sklearn.metrics.pairwise.chi2_kernel``), which is the point
        of KLSH: the kernel need not be shift-invariant nor have an explicit feature map.
    n_landmarks : int, default 300
        ``p``, database samples drawn (without replacement) in ``fit``; the paper uses ``p = 300``.
    subset_size : int, default 30
        ``t``, landmarks averaged per hyperplane (``t < p``); the paper uses ``t = 30``.
    random_state : None, int or RandomState
        Draws the landmarks, then one subset per bit.

    Attributes
    ----------
    landmarks_ : ndarray (p, n_features)
    weights_ : ndarray (p, n_bits)
        Columns ``w = K^{-1/2} e_S``.
    subsets_ : ndarray (n_bits, t) of int
        The landmark indices ``S`` of each bit.
    kernel_ : SchoenbergKernel or callable
    gram_col_mean_ : ndarray (p,), gram_mean_ : float
        Column means and mean of the landmarks' kernel matrix (for centring).
    inv_sqrt_ : ndarray (p, p)
        ``K^{-1/2}`` of the centred kernel matrix (pseudo-inverse square root).
    rank_ : int
        Number of eigenvalues kept.
    """

    def __init__(self, n_bits=64, kernel=1.0, n_landmarks=300, subset_size=30, random_state=None):
        self.n_bits = n_bits
        self.kernel = kernel
        self.n_landmarks = n_landmarks
        self.subset_size = subset_size
        self.random_state = random_state

    def _gram(self, X, Y):
        if isinstance(self.kernel_, SchoenbergKernel):
            return self.kernel_.gram(X, Y)
        K = np.asarray(self.kernel_(X, Y), dtype=np.float64)
        if K.shape != (X.shape[0], Y.shape[0]) or not np.isfinite(K).all():
            raise ValueError(f"kernel(X, Y) must return a finite Gram matrix of shape {(X.shape[0], Y.shape[0])}, "
                             f"got shape {K.shape}")
        return K

    def fit(self, X, y=None):
        """Draw the landmarks and one subset per bit; build ``w = K^{-1/2} e_S``."""
        n_bits = check_positive_int(self.n_bits, "n_bits")
        p_max = check_positive_int(self.n_landmarks, "n_landmarks", minimum=2)
        t = check_positive_int(self.subset_size, "subset_size")
        X = self._validate_fit_input(X, dtype=np.float64)
        self.kernel_ = self.kernel if callable(self.kernel) and not isinstance(self.kernel, SchoenbergKernel) \
            else resolve_kernel(self.kernel)
        p = min(p_max, X.shape[0])
        if p < 2:
            raise ValueError(f"KernelizedHash needs at least 2 training samples (the landmarks), got n_samples = {X.shape[0]}")
        if t >= p:
            raise ValueError(f"subset_size={t} must be smaller than the number of landmarks p={p} "
                             f"(min(n_landmarks, n_samples)); the paper uses t=30 of p=300")
        rng = check_random_state(self.random_state)
        self.landmarks_ = X[np.sort(rng.choice(X.shape[0], size=p, replace=False))]
        K = self._gram(self.landmarks_, self.landmarks_)
        K = (K + K.T) / 2
        self.gram_col_mean_ = K.mean(axis=0)
        self.gram_mean_ = float(K.mean())
        Kc = K - self.gram_col_mean_[:, None] - self.gram_col_mean_[None, :] + self.gram_mean_
        with threadpool_limits(limits=1, user_api="blas"):  # p × p is small: threads only add contention
            evals, evecs = np.linalg.eigh(Kc)
        keep = evals > 1e-10 * max(evals[-1], 0.0)
        if evals[-1] <= 0 or not keep.any():
            raise ValueError("the centred kernel matrix of the landmarks is zero: the kernel does not separate "
                             "the training samples (check the bandwidth / kernel)")
        self.rank_ = int(keep.sum())
        U = evecs[:, keep]
        self.inv_sqrt_ = (U / np.sqrt(evals[keep])) @ U.T
        self.subsets_ = np.stack([np.sort(rng.choice(p, size=t, replace=False)) for _ in range(n_bits)])
        E = np.zeros((p, n_bits))
        E[self.subsets_, np.arange(n_bits)[:, None]] = 1.0
        self.weights_ = self.inv_sqrt_ @ E
        return self

    def _centred_kernel(self, X):
        """κ̃(x, x_i) = κ(x, x_i) − mean_j κ(x, x_j) − mean_j κ(x_i, x_j) + mean K, rows of X."""
        Kx = self._gram(np.asarray(X, dtype=np.float64), self.landmarks_)
        Kx -= Kx.mean(axis=1, keepdims=True)
        Kx -= self.gram_col_mean_
        Kx += self.gram_mean_
        return Kx

    def _encode(self, X):
        return (self._centred_kernel(X) @ self.weights_ >= 0).astype(np.uint8)

    def embed(self, X):
        """Coordinates ``ψ(x) = K^{-1/2} κ̃(x)`` in which each bit is ``1[ψ(x)ᵀ e_S ≥ 0]`` (n_samples, p)."""
        X = self._validate_transform_input(X, dtype=np.float64)
        return self._centred_kernel(X) @ self.inv_sqrt_

    def collision_probability(self, X, Y, nystrom=True):
        """Predicted single-bit collision probability ``1 − θ/π`` of paired rows of ``X`` and ``Y``.

        ``θ`` is the angle between the centred feature vectors: in the Nyström coordinates :meth:`embed`
        (``nystrom=True``, what the hash sees), or for the exact centred kernel
        ``κ̃(x, y) = κ(x, y) − m(x) − m(y) + mean K`` with ``m(x) = mean_i κ(x, x_i)`` (``nystrom=False``).
        The Gaussian-limit approximation is described in the module docstring.
        """
        X = self._validate_transform_input(X, dtype=np.float64)
        Y = self._validate_transform_input(Y, dtype=np.float64)
        if X.shape != Y.shape:
            raise ValueError(f"X and Y must have the same shape (paired rows), got {X.shape} and {Y.shape}")
        if nystrom:
            PX, PY = self._centred_kernel(X) @ self.inv_sqrt_, self._centred_kernel(Y) @ self.inv_sqrt_
            xy, xx, yy = (np.einsum("ij,ij->i", A, B) for A, B in ((PX, PY), (PX, PX), (PY, PY)))
        else:
            mx = self._gram(X, self.landmarks_).mean(axis=1)
            my = self._gram(Y, self.landmarks_).mean(axis=1)
            kxy = np.array([self._gram(X[i:i + 1], Y[i:i + 1])[0, 0] for i in range(X.shape[0])])
            kxx = np.array([self._gram(X[i:i + 1], X[i:i + 1])[0, 0] for i in range(X.shape[0])])
            kyy = np.array([self._gram(Y[i:i + 1], Y[i:i + 1])[0, 0] for i in range(Y.shape[0])])
            xy = kxy - mx - my + self.gram_mean_
            xx = kxx - 2 * mx + self.gram_mean_
            yy = kyy - 2 * my + self.gram_mean_
        cos = np.clip(xy / np.sqrt(np.maximum(xx * yy, np.finfo(float).tiny)), -1.0, 1.0)
        return 1.0 - np.arccos(cos) / np.pi

