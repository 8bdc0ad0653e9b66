"""q-ary Lee codes from random Fourier features (the lecture's generalisation of Raginsky codes).

Each symbol is::

    h(x) = ⌈q (⟨w, φ(x)⟩ / s + t)⌉ mod q ∈ {0, …, q − 1},
    φ(x) = √(2/N₀) (cos(ω_kᵀx + b_k))_{k ≤ N₀},  ω_k ~ spectral measure of K,  b_k ~ U[0, 2π),
    w ~ N(0, I_{N₀}),  t ~ U[0, 1],

and codes are compared with the Lee distance Σ_i min(|a_i − b_i|, q − |a_i − b_i|)
(:func:`lshlab.distances.lee_distance_matrix`).

Normalisation (the slides leave it unstated)
--------------------------------------------
With φ scaled by √(2/N₀), ⟨φ(x), φ(y)⟩ ≈ K(x − y), so z(x) = ⟨w, φ(x)⟩ is (for fixed features) a
Gaussian process with Var z(x) ≈ 1 and Var[z(x) − z(y)] = ‖φ(x) − φ(y)‖² ≈ 2(1 − K(x − y)).
The symbol is a dithered uniform quantiser of z/s with step s/q, wrapped modulo q: in expectation
over t the Lee distance of one symbol is a periodic function of Δ = Δz/s with period 1
(:func:`expected_lee_distance`): min(q · d_○(Δ), ⌊q/2⌋), where d_○(u) = distance of u to the nearest
integer.  For even q this is the triangle wave q · d_○(Δ), peaking at q/2; for odd q the peak is
flattened to (q − 1)/2 (a trapezoid).  So ``scale`` s sets the *period*: if s is much smaller
than the spread of Δz, Δz/s wraps around many times and the Lee distance forgets how far apart
points are; if s is much larger, every pair sits near 0 and the code wastes its alphabet.
``scale="auto"`` picks s = 2 × the 99th percentile of |z(x_i) − z(x_j)| over random pairs of the
fitted data, so 99 % of pairs stay within half a period (no wrap-around) while the typical pair still
spans several quantisation steps.  The seeds' raw form (φ without the √(2/N₀) factor and no
scaling) is ``scale=sqrt(2 / n_components)``: then Δz has a spread of order √N₀ ≫ 1, every symbol is
essentially uniform and independent of the distance, and the codes carry no information — the
lecture 07 notebook shows this.

For q = 2 the symbol is a 1-bit code and the Lee distance is the Hamming distance.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import (
    as_array,
    check_float32_cast,
    check_float32_exact,
    check_positive_float,
    check_positive_int,
    check_random_state,
)
from ._base import BaseHasher
from .shift_invariant import resolve_kernel

__all__ = ["LeeHash", "lee_quantize", "expected_lee_distance"]


def lee_quantize(u, q):
    """Symbols ⌈q u⌉ mod q of real values ``u`` (any shape): uint8 for q ≤ 256, else uint16.

    ``u`` must be finite with ``|q u|`` below 2²⁴ (float32; 2⁵³ for float64), where ``⌈q u⌉`` is still
    an exact integer (ValueError otherwise).  The modulo is computed as v − q⌊v/q⌋ on the
    integer-valued floats v = ⌈q u⌉ (IEEE division is correctly rounded, so this is exact for
    |v| < 2²⁴ in float32), which is ~50× faster than ``np.mod`` on floats; a final guard maps any
    rounding edge case back into 0 … q−1.
    """
    q = check_positive_int(q, "q", minimum=2)
    u = as_array(u, "u")
    if not (np.issubdtype(u.dtype, np.floating) or np.issubdtype(u.dtype, np.integer)):
        raise ValueError(f"u must hold real numbers, got dtype {u.dtype}")
    if not np.issubdtype(u.dtype, np.floating):
        u = u.astype(np.float64)
    shape = u.shape
    u = u.reshape(-1)  # (0-d input: ufuncs with out= need an array)
    limit = float(2 ** (np.finfo(u.dtype).nmant + 1)) / q
    check_float32_exact(u, "u", f"q·u must stay below 2^{np.finfo(u.dtype).nmant + 1} ({u.dtype.name}) for ⌈q u⌉ "
                        "to be an exact integer; bring u to a smaller range", limit=limit)
    qf = u.dtype.type(q)
    v = u * qf
    np.ceil(v, out=v)
    k = v / qf
    np.floor(k, out=k)
    k *= qf
    v -= k
    if v.size and (v.min() < 0 or v.max() >= q):  # pragma: no cover - rounding guard
        v = np.mod(v, q)
    return v.astype(np.uint8 if q <= 256 else np.uint16).reshape(shape)


def expected_lee_distance(delta, q):
    """Expected Lee distance of one symbol of two points whose dithered projections differ by ``delta``.

    For one symbol, u(x) = ⟨w, φ(x)⟩/s + t with the dither t ~ U[0, 1] shared by both points, so
    u(x) − u(y) = Δ does not depend on t.  Write x = q|Δ| = n + f (n integer, 0 ≤ f < 1).  Since q·t
    spans q whole steps, the position of q·u(y) inside its step is uniform, and the integer
    difference ⌈q u(x)⌉ − ⌈q u(y)⌉ is n + 1 with probability f and n otherwise.  The Lee distance
    of the symbols is L(k) = min(k mod q, q − k mod q) of that difference k, so

        E_t[d_Lee] = (1 − f) L(n) + f L(n + 1),

    the piecewise-linear interpolation of L between integers.  L rises by one per step up to ⌊q/2⌋:

    * **even q**: L peaks at the single integer q/2, so E = q · d_○(Δ), a triangle wave of period 1
      with peak q/2 (d_○(u) = distance of u to the nearest integer);
    * **odd q**: the two middle integers (q − 1)/2 and (q + 1)/2 both have L = (q − 1)/2, so the
      interpolation is flat between them: E = min(q · d_○(Δ), (q − 1)/2), a trapezoid whose peak is
      flattened to (q − 1)/2 (for q = 3: P[symbols differ] = min(3 d_○(Δ), 1)).

    Both cases are ``min(q · d_○(Δ), ⌊q/2⌋)``.  Reading the even-q triangle q · d_○(Δ) for odd q
    overstates the peak by ½.  Source of the code: Khuzani, Ye, Napel & Xing, "Locally sensitive
    hashing for the content based image retrieval" (lecture slides, Stanford, 2020); Lee distance:
    C. Y. Lee, "Some properties of nonbinary error-correcting codes", IRE Trans. Inf. Theory, 1958.

    Parameters
    ----------
    delta : float or array
        Difference of the projections in units of the period s (``(z(x) − z(y)) / scale_``, e.g. the
        difference of two rows of :meth:`LeeHash.project`).
    q : int ≥ 2
        Alphabet size.

    Returns
    -------
    ndarray of float64 shaped like ``delta``, in [0, ⌊q/2⌋].
    """
    q = check_positive_int(q, "q", minimum=2)
    delta = np.asarray(delta, dtype=np.float64)
    if not np.isfinite(delta).all():
        raise ValueError("delta must be finite (a difference of projections in units of the period)")
    frac = np.abs(delta) - np.floor(np.abs(delta))
    d_circle = np.minimum(frac, 1.0 - frac)
    return np.minimum(q * d_circle, float(q // 2))


class LeeHash(BaseHasher):
    """q-ary hash from random Fourier features, compared with the Lee distance.

    Parameters
    ----------
    n_hashes : int, default 64
        Number of symbols n (storage n · log2 q bits).
    q : int ≥ 2, default 4
        Alphabet size.
    n_components : int, default 512
        Number N₀ of random Fourier features in φ (the name of scikit-learn's ``RBFSampler``).
    kernel : float or SchoenbergKernel, default 1.0
        Gaussian bandwidth σ or a Schoenberg mixture (see :mod:`lshlab.kernels`).
    scale : "auto" or float > 0, default "auto"
        The period s of the code in units of ⟨w, φ(x)⟩ (see the module docstring).
    random_state : int, RandomState or None

    Attributes
    ----------
    kernel_ : SchoenbergKernel
    feature_components_ : float32 (n_features_in_, n_components)   ω_k as columns
    feature_offsets_ : float32 (n_components,)                       b_k
    projection_ : float32 (n_components, n_hashes)                   w (one column per symbol), N(0, 1)
    dither_ : float32 (n_hashes,)                                    t ~ U[0, 1]
    scale_ : float                                                   s actually used

    Notes
    -----
    Randomness is drawn in the order ω, b, w, t, independently of ``q`` and ``scale``: estimators
    that differ only in q share ``project(X)`` and differ only in the final quantisation.
    Output dtype: uint8 for q ≤ 256, uint16 otherwise.
    """

    binary = False
    _chunk_rows = 2048

    def __init__(self, n_hashes=64, q=4, n_components=512, kernel=1.0, scale="auto", random_state=None):
        self.n_hashes = n_hashes
        self.q = q
        self.n_components = n_components
        self.kernel = kernel
        self.scale = scale
        self.random_state = random_state

    def fit(self, X, y=None):
        """Draw the features and projections; with ``scale="auto"`` set s from (up to 2,000 rows of) X."""
        X = self._validate_fit_input(X)
        n_hashes = check_positive_int(self.n_hashes, "n_hashes")
        check_positive_int(self.q, "q", minimum=2)
        if self.q > 65536:
            raise ValueError(f"q must be <= 65536 (uint16 symbols), got {self.q}")
        n_components = check_positive_int(self.n_components, "n_components")
        auto = isinstance(self.scale, str) and self.scale == "auto"
        if not auto and not (isinstance(self.scale, numbers.Real) and not isinstance(self.scale, bool)):
            raise ValueError(f"scale must be 'auto' or a positive number, got {self.scale!r}")
        self.kernel_ = resolve_kernel(self.kernel)
        rng = check_random_state(self.random_state)
        omega = self.kernel_.sample_frequencies(n_components, X.shape[1], rng)
        self.feature_components_ = np.ascontiguousarray(check_float32_cast(
            omega.T, f"the frequencies ω of kernel={self.kernel!r}",
            "float32 cannot hold them: choose a bandwidth nearer the scale of X (or rescale X)"))
        self.feature_offsets_ = rng.uniform(0.0, 2.0 * np.pi, size=n_components).astype(np.float32)
        self.projection_ = rng.standard_normal((n_components, n_hashes)).astype(np.float32)
        self.dither_ = rng.uniform(0.0, 1.0, size=n_hashes).astype(np.float32)
        if auto:
            self.scale_ = self._auto_scale(X, check_random_state(0))
        else:
            self.scale_ = check_positive_float(self.scale, "scale")
            if not np.isfinite(np.float32(1.0 / self.scale_)) or np.float32(1.0 / self.scale_) == 0:
                raise ValueError(f"scale must lie in the float32 range (1/scale is applied in float32), got "
                                 f"{self.scale_}; use a scale of the order of the projections (or 'auto')")
        return self

    # -- the real-valued part ------------------------------------------------------------------
    def _raw_projection(self, X):
        """z = ⟨w, φ(x)⟩ with φ = √(2/N₀) cos(Xω + b), float32 (n, n_hashes)."""
        F = X @ self.feature_components_
        F += self.feature_offsets_
        check_float32_exact(F, "the phases ωᵀx + b of the random features",
                            lambda top: f"kernel={self.kernel!r} is too narrow for the scale of X (|x| up to "
                            f"{float(np.abs(X).max()):.3g}): use a larger bandwidth or rescale X")
        np.cos(F, out=F)
        F *= np.float32(np.sqrt(2.0 / self.feature_components_.shape[1]))
        return F @ self.projection_

    def _auto_scale(self, X, rng, n_rows=2000, n_pairs=4000):
        rows = X if X.shape[0] <= n_rows else X[rng.choice(X.shape[0], n_rows, replace=False)]
        if rows.shape[0] < 2:
            raise ValueError("scale='auto' needs at least 2 rows in X; pass a numeric scale instead")
        Z = self._raw_projection(rows)
        i = rng.randint(0, rows.shape[0], size=n_pairs)
        j = (i + rng.randint(1, rows.shape[0], size=n_pairs)) % rows.shape[0]
        spread = float(np.quantile(np.abs(Z[i] - Z[j]), 0.99))
        if not spread > 0:
            raise ValueError("all fitted rows project to the same value; pass a numeric scale")
        return 2.0 * spread

    def project(self, X):
        """The dithered real values u = ⟨w, φ(x)⟩ / s + t, float32 (n, n_hashes); codes are ⌈q u⌉ mod q."""
        X = self._validate_transform_input(X)
        out = np.empty((X.shape[0], self.projection_.shape[1]), dtype=np.float32)
        for start in range(0, X.shape[0], self._chunk_rows):
            out[start : start + self._chunk_rows] = self._project_block(X[start : start + self._chunk_rows])
        return out

    def _project_block(self, X):
        Z = self._raw_projection(X)
        Z *= np.float32(1.0 / self.scale_)
        Z += self.dither_
        check_float32_exact(Z, f"the dithered projections u = z/scale + t (scale={self.scale_:.3g}, q={self.q})",
                            "the quantisation step scale/q is too fine for float32 (q·u must stay below 2^24): "
                            "use a larger scale (or scale='auto')", limit=float(2**24) / self.q)
        return Z

    def _encode(self, X):
        return lee_quantize(self._project_block(X), self.q)

    def transform(self, X, packed=False):
        """Symbols in 0 … q−1 of shape (n, n_hashes): uint8 (q ≤ 256) or uint16."""
        return super().transform(X, packed=packed)
