"""Radial (shift-invariant) kernels, their spectral measures, kernel–target alignment and the
collision theory of Raginsky–Lazebnik codes.

Conventions (stated once for the whole package)
-----------------------------------------------
* **Gaussian kernel with bandwidth σ**::

      K(Δ) = exp(−‖Δ‖² / (2σ²))   ↔   ω ~ N(0, σ⁻² I)

  i.e. by Bochner's theorem K(Δ) = E_ω[cos(ωᵀΔ)] with that ω.  (scikit-learn's
  ``rbf_kernel(gamma=1/(2σ²))`` is the same kernel.  In the lectures the symbol γ is kept for the
  weight of the pair loss E_γ of :mod:`lshlab.kernel_learning`; a bandwidth is always σ.)
* **Schoenberg atom with rate ξ > 0** (a Gaussian in r = ‖Δ‖ written in Schoenberg's form)::

      exp(−ξ r²)   ↔   ω ~ N(0, 2ξ I)

  so a Gaussian of bandwidth σ is the single atom ξ = 1/(2σ²).
* **Schoenberg mixture** (Schoenberg 1938: every radial positive-definite profile on all ℝᵈ is
  ψ(r) = ∫ exp(−ξ r²) dμ(ξ) for a finite positive measure μ)::

      K(r) = Σ_k w_k exp(−ξ_k r²),   w_k ≥ 0, Σ_k w_k = 1

  The weights are normalised to sum to one, so K(0) = 1 and the spectral measure is the Gaussian
  mixture Σ_k w_k N(0, 2ξ_k I).  An *empirical* measure of N particles ξ¹…ξᴺ (what the Langevin
  kernel learner produces) is the mixture with w_k = 1/N.
* **Raginsky–Lazebnik code** (Raginsky & Lazebnik, "Locality-sensitive binary codes from
  shift-invariant kernels", NIPS 2009)::

      h(x) = ½ [1 + sgn(cos(ωᵀx + b) + t)],   ω ~ spectral measure of K,  b ~ U[0, 2π),  t ~ U[−1, 1]

  (sgn(0) is a probability-zero event; the code uses 1[cos(ωᵀx + b) + t > 0]).
* **Collision lemma.** For that code and Δ = x − y,

      P[h(x) ≠ h(y)] = (8/π²) Σ_{m≥1} (1 − K(mΔ)) / (4m² − 1).

  *Erratum of the source:* the slides of Khuzani, Ye, Napel & Xing ("Locally sensitive hashing
  for the content based image retrieval", Stanford, 2020) print this series as the probability of
  *agreement* P[h(x) = h(y)].  It is the probability of **disagreement**: it is 0 at x = y (where
  the bits always agree) and tends to 4/π² ≈ 0.405 when K → 0.  (Their sum starts at m = 0; that
  is harmless, since the m = 0 term is (1 − K(0))/(−1) = 0, and not part of the error.)
  Derivation: given ω and b, P_t[h(x) ≠ h(y)] = |cos θ_x − cos θ_y| / 2; averaging over b gives
  (2/π)|sin(ωᵀΔ/2)|; the Fourier series |sin u| = 2/π − (4/π) Σ_{m≥1} cos(2mu)/(4m² − 1) and
  E_ω cos(mωᵀΔ) = K(mΔ) give the series (using Σ_{m≥1} 1/(4m² − 1) = 1/2).
  The same slides write the untrained kernel as exp(−‖Δ‖²) while drawing ω ~ N(0, I), which is the
  kernel exp(−‖Δ‖²/2) (σ = 1) in the convention above.
* **Lee code** (see :mod:`lshlab.hashing.lee`): h(x) = ⌈q(⟨w, φ(x)⟩/s + t)⌉ mod q with random
  Fourier features φ(x) = √(2/N₀) (cos(ω_kᵀx + b_k))_{k ≤ N₀}, so ⟨φ(x), φ(y)⟩ ≈ K(x − y).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

from ._validation import check_matrix, check_positive_float, check_positive_int
from .distances import euclidean_distance_matrix

__all__ = [
    "gaussian_kernel",
    "SchoenbergKernel",
    "kernel_target_alignment",
    "raginsky_disagreement_probability",
    "raginsky_disagreement_bounds",
    "median_heuristic_bandwidth",
    "as_radial_profile",
    "DEFAULT_SERIES_TERMS",
]

#: Default number of explicit series terms: the tail after M terms is at most 4 / (π² (2M + 1)),
#: which is below 1e-4 for M ≥ 2,027.  With the tail estimate added (see
#: :func:`raginsky_disagreement_probability`) the error is smaller still.
DEFAULT_SERIES_TERMS = 2030


def _rng(random_state):
    """Accept None / int / RandomState / Generator and return a numpy random source."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return check_random_state(random_state)


def _squared_distances(X, Y=None):
    """‖x_i − y_j‖² in float64: :func:`lshlab.distances.euclidean_distance_matrix` (``squared=True``,
    diagonal exactly 0 when ``Y`` is None) after checking ``X`` and ``Y`` under their own names."""
    X = check_matrix(X, "X", dtype=np.float64)
    Y = X if Y is None else check_matrix(Y, "Y", dtype=np.float64)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but Y has {Y.shape[1]}; they must match")
    return euclidean_distance_matrix(X, Y, squared=True, dtype=np.float64)


def gaussian_kernel(X, Y=None, bandwidth=1.0):
    """Gaussian Gram matrix K_ij = exp(−‖x_i − y_j‖² / (2σ²)).

    Parameters
    ----------
    X : array-like (n, d)
    Y : array-like (m, d) or None (then Y = X)
    bandwidth : float σ > 0

    Returns
    -------
    K : ndarray (n, m), float64.  Equals ``sklearn.metrics.pairwise.rbf_kernel(X, Y, gamma=1/(2σ²))``.
    """
    sigma = check_positive_float(bandwidth, "bandwidth")
    D2 = _squared_distances(X, Y)
    D2 *= -1.0 / (2.0 * sigma * sigma)
    return np.exp(D2, out=D2)


class SchoenbergKernel:
    """Radial kernel K(r) = Σ_k w_k exp(−ξ_k r²) (a finite Schoenberg mixture).

    Parameters
    ----------
    xi : float or array-like of shape (n_atoms,)
        Rates ξ_k > 0 (finite).  Any length ≥ 1; lists and arrays accepted.
    weights : array-like of shape (n_atoms,) or None
        Non-negative weights; they are **normalised to sum to 1** (so K(0) = 1 and the spectral
        measure is a probability measure).  None means equal weights 1/n_atoms, i.e. the empirical
        measure of particles ξ_k.

    Attributes
    ----------
    xi : ndarray float64 (n_atoms,)
    weights : ndarray float64 (n_atoms,), summing to 1

    Notes
    -----
    Each atom exp(−ξ r²) is the characteristic function of N(0, 2ξ I) evaluated at Δ with ‖Δ‖ = r,
    so the spectral measure of K is the mixture Σ_k w_k N(0, 2ξ_k I) (Schoenberg 1938; Bochner).
    """

    def __init__(self, xi, weights=None):
        try:
            xi_arr = np.atleast_1d(np.asarray(xi, dtype=np.float64))
        except (TypeError, ValueError):
            raise ValueError(f"xi must be a positive number or a 1-D array of them, got {xi!r}") from None
        if xi_arr.ndim != 1 or xi_arr.size == 0:
            raise ValueError(f"xi must be a positive number or a non-empty 1-D array of them, got {xi!r}")
        if not np.all(np.isfinite(xi_arr)) or np.any(xi_arr <= 0):
            raise ValueError(f"xi must be finite and > 0 (Schoenberg rates), got {xi_arr}")
        if weights is None:
            w = np.full(xi_arr.size, 1.0 / xi_arr.size)
        else:
            try:
                w = np.atleast_1d(np.asarray(weights, dtype=np.float64))
            except (TypeError, ValueError):
                raise ValueError(f"weights must be a 1-D array of numbers, got {weights!r}") from None
            if w.ndim != 1 or w.size != xi_arr.size:
                raise ValueError(
                    f"weights must have one entry per xi ({xi_arr.size}), got shape {w.shape}"
                )
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError(f"weights must be finite and >= 0, got {w}")
            total = w.sum()
            if not total > 0:
                raise ValueError(f"weights must sum to a positive value (they are normalised), got sum {total}")
            w = w / total
        self.xi = xi_arr.astype(np.float64)
        self.weights = w

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_bandwidth(cls, sigma):
        """The Gaussian of bandwidth σ as a single atom: ξ = 1/(2σ²)."""
        sigma = check_positive_float(sigma, "sigma")
        return cls(1.0 / (2.0 * sigma * sigma))

    @property
    def n_atoms(self):
        return self.xi.size

    def __repr__(self):
        if self.n_atoms == 1:
            return f"SchoenbergKernel(xi={self.xi[0]:.6g})"
        return f"SchoenbergKernel(n_atoms={self.n_atoms}, xi in [{self.xi.min():.3g}, {self.xi.max():.3g}])"

    # -- evaluation -------------------------------------------------------------------------
    def from_squared(self, r2):
        """K as a function of the squared distance: Σ_k w_k exp(−ξ_k r²), same shape as ``r2``."""
        r2 = np.asarray(r2, dtype=np.float64)
        if self.n_atoms == 1:
            return np.exp(-self.xi[0] * r2)
        out = np.zeros_like(r2)
        tmp = np.empty_like(r2)
        for xi, w in zip(self.xi, self.weights):
            np.multiply(r2, -xi, out=tmp)
            np.exp(tmp, out=tmp)
            tmp *= w
            out += tmp
        return out

    def __call__(self, r):
        """Evaluate K(r) on distances ``r`` (any shape, r ≥ 0); returns float64 of the same shape."""
        r = np.asarray(r, dtype=np.float64)
        if np.isnan(r).any() or (r < 0).any():
            raise ValueError("distances r must be >= 0 and not NaN")
        return self.from_squared(r * r)

    def gram(self, X, Y=None):
        """Gram matrix K(‖x_i − y_j‖) of shape (n, m) (Y = X when None)."""
        return self.from_squared(_squared_distances(X, Y))

    def sample_frequencies(self, n, d, rng=None):
        """Draw n frequencies ω ∈ ℝᵈ from the spectral measure Σ_k w_k N(0, 2ξ_k I).

        Each ω picks atom k with probability w_k, then ω = √(2ξ_k) · z with z ~ N(0, I_d).
        With one atom no atom draw is made, so the random stream equals that of a Gaussian of
        bandwidth σ = 1/√(2ξ).

        Returns
        -------
        omega : ndarray float64 (n, d)
        """
        n = check_positive_int(n, "n")
        d = check_positive_int(d, "d")
        rng = _rng(rng)
        z = rng.standard_normal((n, d))
        if self.n_atoms == 1:
            scale = np.full(n, np.sqrt(2.0 * self.xi[0]))
        else:
            k = rng.choice(self.n_atoms, size=n, p=self.weights)
            scale = np.sqrt(2.0 * self.xi[k])
        return z * scale[:, None]


def as_radial_profile(psi):
    """Return ``(callable, monotone)`` for a radial profile given as a SchoenbergKernel, a Gaussian
    bandwidth σ (float) or any callable r ↦ K(r) (then ``monotone=False``)."""
    if isinstance(psi, SchoenbergKernel):
        return psi, True
    if isinstance(psi, numbers.Real) and not isinstance(psi, bool):
        if not (np.isfinite(psi) and psi > 0):
            raise ValueError(f"psi given as a Gaussian bandwidth must be a finite number > 0, got {psi!r}")
        return SchoenbergKernel.from_bandwidth(psi), True
    if callable(psi):
        return psi, False
    raise ValueError(
        f"psi must be a SchoenbergKernel, a Gaussian bandwidth (float > 0) or a callable K(r), got {psi!r}"
    )


def kernel_target_alignment(K, y, centered=False):
    """Kernel–target alignment of a Gram matrix with labels y ∈ {−1, +1}ⁿ.

    Uncentred (Cristianini, Shawe-Taylor, Elisseeff & Kandola, NIPS 2001)::

        A(K, y) = ⟨K, yyᵀ⟩_F / (‖K‖_F ‖yyᵀ‖_F) = yᵀK y / (n ‖K‖_F)

    Centred (Cortes, Mohri & Rostamizadeh, JMLR 2012): the same with K_c = HKH and (yyᵀ)_c = H yyᵀ H,
    H = I − 11ᵀ/n.

    Parameters
    ----------
    K : array-like (n, n), symmetric
    y : array-like (n,) with values in {−1, +1}
    centered : bool

    Returns
    -------
    float in [−1, 1] (0 for an all-zero centred matrix is not defined: ValueError).
    """
    K = check_matrix(K, "K", dtype=np.float64)
    n = K.shape[0]
    if K.shape != (n, n):
        raise ValueError(f"K must be a square Gram matrix, got shape {K.shape}")
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must be a 1-D array of length {n} (rows of K), got shape {y.shape}")
    if not np.isin(y, (-1, 1)).all():
        raise ValueError(f"y must hold labels in {{-1, +1}}, got values {np.unique(y)[:10]}")
    y = y.astype(np.float64)
    if centered:
        K = K - K.mean(axis=0, keepdims=True) - K.mean(axis=1, keepdims=True) + K.mean()
        y = y - y.mean()
    num = y @ K @ y
    den = np.linalg.norm(K) * (y @ y)
    if den == 0:
        raise ValueError(
            "alignment undefined: the (centred) Gram matrix or label matrix is zero "
            "(e.g. all labels equal with centered=True)"
        )
    return float(num / den)


def _check_distances(r):
    r = np.asarray(r, dtype=np.float64)
    if np.isnan(r).any() or (r < 0).any() or np.isinf(r).any():
        raise ValueError("r must hold finite distances >= 0")
    return r


def _series_block(profile, monotone, r, M, tail, block=256):
    """Σ_{m≤M} (1 − K(m r))/(4m² − 1) (+ tail estimate) for a 1-D block of distances."""
    total = np.zeros_like(r)
    last_k = np.ones_like(r)  # K(m r) at the last m summed
    m_done = 0
    while m_done < M:
        m = np.arange(m_done + 1, min(M, m_done + block) + 1, dtype=np.float64)
        Kmr = np.asarray(profile(r[:, None] * m[None, :]), dtype=np.float64)
        total += ((1.0 - Kmr) / (4.0 * m * m - 1.0)).sum(axis=1)
        last_k = Kmr[:, -1]
        m_done = int(m[-1])
        if monotone and np.all(last_k < 1e-13):
            break
    if tail:
        total += (1.0 - last_k) / (2.0 * (2.0 * m_done + 1.0))
    return total


def raginsky_disagreement_probability(psi, r, n_terms=None, tail=True):
    """P[h(x) ≠ h(y)] for the Raginsky–Lazebnik code at distance r = ‖x − y‖.

    Series (Raginsky & Lazebnik, NIPS 2009, Lemma 2.1)::

        P(r) = (8/π²) Σ_{m≥1} (1 − K(m r)) / (4m² − 1)

    Khuzani et al.'s slides (2020) print this as P[h(x) = h(y)] (agreement); that is a typo: it is
    the disagreement probability (0 at r = 0, → 4/π² as K → 0).  Starting the sum at m = 0, as they
    do, changes nothing (that term is 0).

    Parameters
    ----------
    psi : SchoenbergKernel, float or callable
        The radial profile K(r).  A float is a Gaussian bandwidth σ (K(r) = exp(−r²/(2σ²))).  A
        callable must satisfy K(0) = 1 and |K| ≤ 1.
    r : array-like of distances ≥ 0 (any shape)
    n_terms : int or None
        Maximum number M of explicit terms (default :data:`DEFAULT_SERIES_TERMS` = 2030).
    tail : bool, default True
        Add the tail estimate (8/π²)(1 − K(M r)) · 1/(2(2M + 1)), using
        Σ_{m>M} 1/(4m² − 1) = 1/(2(2M + 1)).  Since 1 − K(m r) ∈ [0, 1] for 0 ≤ K ≤ 1, the error
        is at most 4/(π²(2M + 1)) (< 1e-4 for M ≥ 2027); for Schoenberg profiles K(m r) decreases
        in m, so the error is at most 4 K(M r)/(π²(2M + 1)), exactly 0 at r = 0 and as r → ∞.
        For Schoenberg profiles the summation stops early once K(m r) < 1e-13 for every r.

    Returns
    -------
    P : ndarray float64 shaped like ``r``
    """
    profile, monotone = as_radial_profile(psi)
    M = DEFAULT_SERIES_TERMS if n_terms is None else check_positive_int(n_terms, "n_terms")
    r = _check_distances(r)
    flat = r.ravel()
    total = np.empty_like(flat)
    for start in range(0, flat.size, 2048):
        total[start : start + 2048] = _series_block(profile, monotone, flat[start : start + 2048], M, tail)
    return (8.0 / np.pi**2 * total).reshape(r.shape)


def raginsky_disagreement_bounds(k):
    """Lower and upper bounds on P[h(x) ≠ h(y)] in terms of u = K(x − y) (Raginsky & Lazebnik 2009,
    Lemma 2.1, for kernels with K(mΔ) ≤ K(Δ) and K ≥ 0, e.g. every Schoenberg mixture)::

        (4/π²)(1 − u)  ≤  P  ≤  min{ ½ √(1 − u),  (4/π²)(1 − 2u/3) }

    Why: the lower bound uses 1 − K(mΔ) ≥ 1 − u and Σ 1/(4m² − 1) = 1/2; the second upper bound
    drops the terms m ≥ 2 of Σ K(mΔ)/(4m² − 1) ≥ u/3; the first is Cauchy–Schwarz on
    P = ½ E|cos θ_x − cos θ_y| with E(cos θ_x − cos θ_y)² = 1 − u.

    Parameters
    ----------
    k : array-like of kernel values in [0, 1]

    Returns
    -------
    (lower, upper) : two float64 arrays shaped like ``k``.
    """
    u = np.asarray(k, dtype=np.float64)
    if np.isnan(u).any() or (u < 0).any() or (u > 1).any():
        raise ValueError("kernel values must lie in [0, 1]")
    lower = 4.0 / np.pi**2 * (1.0 - u)
    upper = np.minimum(0.5 * np.sqrt(1.0 - u), 4.0 / np.pi**2 * (1.0 - 2.0 * u / 3.0))
    return lower, upper


def median_heuristic_bandwidth(X, n_pairs=2000, random_state=0):
    """Median heuristic σ = median ‖x_i − x_j‖ over random pairs i ≠ j of rows of X.

    With this σ a typical pair has K = exp(−1/2) ≈ 0.61, so codes are neither saturated
    (K ≈ 0, every bit a coin flip) nor constant (K ≈ 1).
    """
    X = check_matrix(X, "X", dtype=np.float64)
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    if X.shape[0] < 2:
        raise ValueError(f"X needs at least 2 rows for the median heuristic, got {X.shape[0]}")
    rng = check_random_state(random_state)
    i = rng.randint(0, X.shape[0], size=n_pairs)
    j = (i + rng.randint(1, X.shape[0], size=n_pairs)) % X.shape[0]
    d = np.sqrt(((X[i] - X[j]) ** 2).sum(axis=1))
    sigma = float(np.median(d))
    if sigma <= 0:
        raise ValueError("median pairwise distance is 0 (duplicate rows); cannot set a bandwidth")
    return sigma
