"""Raginsky–Lazebnik binary codes from shift-invariant kernels.

Each bit is (Raginsky & Lazebnik, "Locality-sensitive binary codes from shift-invariant kernels",
NIPS 2009)::

    h(x) = ½ [1 + sgn(cos(ωᵀx + b) + t)] = 1[cos(ωᵀx + b) > −t],
    ω ~ spectral measure of K,  b ~ U[0, 2π),  t ~ U[−1, 1],

and two points disagree on a bit with probability (8/π²) Σ_{m≥1} (1 − K(m‖x − y‖))/(4m² − 1)
(:func:`lshlab.kernels.raginsky_disagreement_probability`; the slides call it the agreement
probability, a typo).  Conventions for K and ω are in :mod:`lshlab.kernels`.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

from .._validation import check_float32_cast, check_float32_exact, check_positive_float, check_positive_int
from ..kernels import SchoenbergKernel
from ._base import BaseHasher

__all__ = ["ShiftInvariantHash", "resolve_kernel"]


def resolve_kernel(kernel, name="kernel"):
    """The ``kernel=`` parameter of every random-feature estimator (``ShiftInvariantHash``, ``LeeHash``,
    ``RandomFeatureSampler``) as a Schoenberg mixture.

    A Gaussian bandwidth σ (float > 0) becomes ``SchoenbergKernel.from_bandwidth(σ)`` (one atom
    ξ = 1/(2σ²)); a :class:`~lshlab.kernels.SchoenbergKernel` is returned as is."""
    if isinstance(kernel, SchoenbergKernel):
        return kernel
    if isinstance(kernel, numbers.Real) and not isinstance(kernel, bool):
        sigma = check_positive_float(kernel, f"{name} (Gaussian bandwidth)")
        if not 1e-150 <= sigma <= 1e150:  # ξ = 1/(2σ²) would overflow or underflow float64
            raise ValueError(f"{name} (Gaussian bandwidth) must lie in [1e-150, 1e150], where ξ = 1/(2σ²) is a "
                             f"float64 number, got {sigma:.3g}; rescale X so that a bandwidth near its scale fits")
        return SchoenbergKernel.from_bandwidth(sigma)
    raise ValueError(
        f"{name} must be a Gaussian bandwidth (float > 0) or a SchoenbergKernel, got {kernel!r}"
    )


class ShiftInvariantHash(BaseHasher):
    """Shift-invariant-kernel LSH (Raginsky & Lazebnik 2009): ``n_bits`` random-Fourier-feature bits.

    Parameters
    ----------
    n_bits : int, default 64
    kernel : float or SchoenbergKernel, default 1.0
        A Gaussian bandwidth σ (K(Δ) = exp(−‖Δ‖²/(2σ²)), ω ~ N(0, σ⁻² I)) or any Schoenberg mixture
        (e.g. a trained ``LangevinKernelLearner().kernel_``), whose spectral measure supplies ω.
        A bandwidth σ and ``SchoenbergKernel(1/(2σ²))`` give identical codes for the same seed.
        The slides' untrained kernel "ω ~ N(0, I)" is ``kernel=1.0``.
    random_state : int, RandomState or None

    Attributes
    ----------
    kernel_ : SchoenbergKernel
    components_ : ndarray float32 (n_features_in_, n_bits)   columns ω_j
    offsets_ : ndarray float32 (n_bits,)                      b_j ~ U[0, 2π)
    thresholds_ : ndarray float32 (n_bits,)                   t_j ~ U[−1, 1]

    Notes
    -----
    Encoding is one float32 matrix product per row chunk followed by in-place elementwise work
    (add b, cos, compare with −t), written straight into a preallocated (optionally packed) output,
    so the cost is close to the bare product ``X @ W`` (see ``benchmarks/bench_encode.py``).
    Draw order in ``fit``: ω (via ``kernel_.sample_frequencies``), then b, then t.
    """

    _chunk_rows = 1024

    def __init__(self, n_bits=64, kernel=1.0, random_state=None):
        self.n_bits = n_bits
        self.kernel = kernel
        self.random_state = random_state

    def fit(self, X, y=None):
        """Draw ω, b, t.  Only the number of features of ``X`` is used (the code is data-independent)."""
        X = self._validate_fit_input(X)
        n_bits = check_positive_int(self.n_bits, "n_bits")
        self.kernel_ = resolve_kernel(self.kernel)
        rng = check_random_state(self.random_state)
        omega = self.kernel_.sample_frequencies(n_bits, X.shape[1], rng)
        self.components_ = np.ascontiguousarray(check_float32_cast(
            omega.T, f"the frequencies ω of kernel={self.kernel!r}",
            "float32 cannot hold them: choose a bandwidth nearer the scale of X (or rescale X)"))
        self.offsets_ = rng.uniform(0.0, 2.0 * np.pi, size=n_bits).astype(np.float32)
        self.thresholds_ = rng.uniform(-1.0, 1.0, size=n_bits).astype(np.float32)
        return self

    def _bits_into(self, X_block, buf, mask):
        """cos(X W + b) > −t for one block, using ``buf`` (float32) and ``mask`` (bool) in place."""
        n = X_block.shape[0]
        Z = buf[:n]
        np.matmul(X_block, self.components_, out=Z)
        Z += self.offsets_
        check_float32_exact(Z, "the phases ωᵀx + b", lambda top: f"kernel={self.kernel!r} is too narrow for the "
                            "scale of X: float32 cannot resolve such phases to within a radian; use a larger "
                            "bandwidth or rescale X")
        np.cos(Z, out=Z)
        np.greater(Z, -self.thresholds_, out=mask[:n])
        return mask[:n]

    def _encode(self, X):
        buf = np.empty((X.shape[0], self.components_.shape[1]), dtype=np.float32)
        mask = np.empty(buf.shape, dtype=bool)
        return self._bits_into(X, buf, mask).view(np.uint8).copy()

    def transform(self, X, packed=False):
        """Codes of the rows of ``X``: uint8 0/1 (n, n_bits), or ``np.packbits`` bytes
        (n, ceil(n_bits/8)) when ``packed=True``; packing happens per chunk."""
        X = self._validate_transform_input(X)
        n, n_bits = X.shape[0], self.components_.shape[1]
        chunk = check_positive_int(self._chunk_rows, "_chunk_rows")
        out = np.empty((n, (n_bits + 7) // 8 if packed else n_bits), dtype=np.uint8)
        rows = min(chunk, n)
        buf = np.empty((rows, n_bits), dtype=np.float32)
        mask = np.empty((rows, n_bits), dtype=bool)
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            bits = self._bits_into(X[start:stop], buf, mask)
            out[start:stop] = np.packbits(bits, axis=1) if packed else bits.view(np.uint8)
        return out
