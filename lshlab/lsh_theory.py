"""LSH theory as small pure functions: sensitive families, ρ, the classic (K, L), and a (K, L) chooser.

Definitions (Indyk & Motwani, "Approximate nearest neighbors: towards removing the curse of
dimensionality", STOC 1998; Andoni & Indyk, "Near-optimal hashing algorithms for approximate nearest
neighbor in high dimensions", CACM 2008):

- A family H of hash functions is **(r, cr, p₁, p₂)-sensitive** for a distance d when, for h drawn
  from H, P[h(x) = h(y)] ≥ p₁ whenever d(x, y) ≤ r and P[h(x) = h(y)] ≤ p₂ whenever d(x, y) ≥ cr,
  with c > 1 and p₁ > p₂.  For a family whose collision probability is a decreasing function p(d) of the
  distance, p₁ = p(r) and p₂ = p(cr) (:func:`sensitivity`).
- The special case in which the collision probability *is* a similarity,
  P[h(x) = h(y)] = sim(x, y), is the defining equation of LSH in Khuzani et al., "Locally sensitive
  hashing for the content based image retrieval" (Stanford lecture notes, 2020), eq. (1): SimHash with
  sim = 1 − θ/π (Charikar 2002) and MinHash with sim = the Jaccard index (Broder 1997).
- **ρ = log(1/p₁) / log(1/p₂)** < 1.  With K = ⌈log_{1/p₂} n⌉ hashes per table (AND) the expected number
  of far points in a query's bucket is at most n·p₂^K ≤ 1, and a near point lands in it with probability
  p₁^K ≥ p₁ · n^(−ρ); L = ⌈n^ρ / p₁⌉ tables (OR) then find it with probability ≥ 1 − 1/e.  The query
  costs O(n^ρ) bucket lookups and candidates — sub-linear (:func:`classic_parameters`).
- A pair with per-hash collision probability p is a candidate of (K, L) tables with probability
  1 − (1 − p^K)^L (:func:`amplified_collision_probability`); for MinHash banding (b bands of r rows,
  Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, 3rd ed. 2020, §3.4) this is the S-curve
  1 − (1 − s^r)^b with s the Jaccard index.

The per-family collision probabilities live beside their estimators (:mod:`lshlab.hashing`) and are
gathered here under one roof: SimHash 1 − θ/π, p-stable (Datar, Immorlica, Indyk & Mirrokni, SoCG
2004), bit sampling 1 − r/d, MinHash J.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_positive_float, check_positive_int
from .hashing.minhash import minhash_collision_probability
from .hashing.random_projection import (
    amplified_collision_probability,
    bit_sampling_collision_probability,
    pstable_collision_probability,
    simhash_collision_probability,
)

__all__ = [
    "simhash_collision_probability",
    "pstable_collision_probability",
    "bit_sampling_collision_probability",
    "minhash_collision_probability",
    "amplified_collision_probability",
    "SensitiveFamily",
    "sensitivity",
    "rho",
    "classic_parameters",
    "expected_recall",
    "expected_candidates",
    "ParameterChoice",
    "choose_parameters",
    "s_curve_threshold",
    "banding_errors",
    "optimal_banding",
]


def _check_probability(p, name, *, open_low=False, open_high=False):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a probability (a number in [0, 1]), got {p!r}")
    p = float(p)
    low_ok = p > 0 if open_low else p >= 0
    high_ok = p < 1 if open_high else p <= 1
    if not (np.isfinite(p) and low_ok and high_ok):
        interval = ("(" if open_low else "[") + "0, 1" + (")" if open_high else "]")
        raise ValueError(f"{name} must lie in {interval}, got {p}")
    return p


def rho(p1, p2):
    """The LSH exponent ρ = log(1/p₁) / log(1/p₂) (Indyk & Motwani 1998).

    Parameters
    ----------
    p1 : float in (0, 1], collision probability of near pairs
    p2 : float in (0, 1), collision probability of far pairs, ``p2 < p1``

    Examples
    --------
    >>> round(rho(0.8, 0.5), 4)   # log 1.25 / log 2
    0.3219
    >>> rho(1.0, 0.3)
    0.0
    """
    p1 = _check_probability(p1, "p1", open_low=True)
    p2 = _check_probability(p2, "p2", open_low=True, open_high=True)
    if not p2 < p1:
        raise ValueError(f"p2 must be below p1 (far pairs collide less often than near ones), got p1={p1}, p2={p2}")
    return math.log(1 / p1) / math.log(1 / p2)


def classic_parameters(n, p1, p2):
    """The textbook (K, L): K = ⌈log_{1/p₂} n⌉ hashes per table and L = ⌈n^ρ / p₁⌉ tables.

    With these, a near neighbour (collision probability ≥ p₁) is a candidate with probability at least
    1 − 1/e, and at most L far points (probability ≤ p₂) are expected among the candidates
    (Indyk & Motwani 1998; Andoni & Indyk 2008).  Both the lookups (L) and the expected far
    candidates are O(n^ρ).

    Parameters
    ----------
    n : int >= 2, database size
    p1, p2 : floats, see :func:`rho`

    Returns
    -------
    (K, L) : tuple of int

    Examples
    --------
    >>> classic_parameters(10_000, 0.8, 0.5)   # K = ⌈log2 10⁴⌉ = 14, n^ρ = 19.4
    (14, 25)
    """
    n = check_positive_int(n, "n", minimum=2)
    r = rho(p1, p2)
    K = max(1, math.ceil(math.log(n) / math.log(1 / p2) - 1e-12))
    L = max(1, math.ceil(n**r / p1 - 1e-9))
    return K, L


@dataclass(frozen=True)
class SensitiveFamily:
    """An (r, cr, p₁, p₂)-sensitive family: near radius ``r``, far radius ``cr``, collision bounds."""

    r: float
    cr: float
    p1: float
    p2: float

    @property
    def c(self):
        """Approximation factor c = cr / r (∞ when r = 0)."""
        return math.inf if self.r == 0 else self.cr / self.r

    @property
    def rho(self):
        """ρ = log(1/p₁) / log(1/p₂)."""
        return rho(self.p1, self.p2)

    def parameters(self, n):
        """:func:`classic_parameters` for a database of ``n`` points."""
        return classic_parameters(n, self.p1, self.p2)


def sensitivity(collision, r, cr):
    """The (r, cr, p₁, p₂) of a family whose collision probability ``collision(d)`` decreases with d.

    Parameters
    ----------
    collision : callable distance -> probability, decreasing (e.g.
        ``lambda t: simhash_collision_probability(t)`` on angles, ``lambda c: pstable_collision_probability(c, w)``,
        ``lambda d: 1 - d`` for MinHash on the Jaccard distance d = 1 − J)
    r, cr : near and far radii, 0 <= r < cr

    Returns
    -------
    SensitiveFamily
        p₁ = collision(r), p₂ = collision(cr): for a decreasing curve these are the bounds the
        definition asks for (checked on a grid of 257 points of [r, cr]).

    Examples
    --------
    >>> fam = sensitivity(simhash_collision_probability, np.pi / 9, np.pi / 3)   # 20° vs 60°
    >>> round(fam.p1, 4), round(fam.p2, 4), round(fam.rho, 3)
    (0.8889, 0.6667, 0.29)
    """
    if not callable(collision):
        raise ValueError(f"collision must be a callable distance -> probability, got {collision!r}")
    r = check_positive_float(r, "r", strict=False)
    cr = check_positive_float(cr, "cr")
    if not cr > r:
        raise ValueError(f"cr must exceed r (far radius beyond the near one), got r={r}, cr={cr}")
    grid = np.asarray(collision(np.linspace(r, cr, 257)), dtype=np.float64)
    if grid.shape != (257,) or not np.isfinite(grid).all() or (grid < 0).any() or (grid > 1).any():
        raise ValueError("collision must map an array of distances to probabilities in [0, 1] of the same shape")
    if np.any(np.diff(grid) > 1e-12):
        raise ValueError("collision must be non-increasing on [r, cr] (a collision probability of a distance)")
    return SensitiveFamily(r, cr, float(grid[0]), float(grid[-1]))


def _probabilities(p, name):
    p = np.asarray(p, dtype=np.float64).ravel()
    if p.size == 0 or not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError(f"{name} must be a non-empty array of collision probabilities in [0, 1]")
    return p


def _weights(weights, p, name):
    """Normalised weights (summing to 1) for the values ``p``: uniform when ``weights`` is None."""
    if weights is None:
        return np.full(p.size, 1.0 / p.size)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != p.shape or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"{name} must hold one non-negative weight per value, not all zero")
    return w / w.sum()


def _binned(p, w, n_levels):
    """(levels, weights) of the weighted sample (p, w) on n_levels equal-width bins of [0, 1]; a bin is
    represented by the weighted mean of its values, so the weighted mean of p is kept exactly."""
    which = np.minimum((p * n_levels).astype(int), n_levels - 1)
    mass = np.bincount(which, weights=w, minlength=n_levels)
    sums = np.bincount(which, weights=w * p, minlength=n_levels)
    used = mass > 0
    return sums[used] / mass[used], mass[used] / mass[used].sum()


def expected_recall(p_near, K, L):
    """Mean over near pairs of 1 − (1 − p^K)^L: the expected fraction of true neighbours found.

    Parameters
    ----------
    p_near : array of per-hash collision probabilities of (query, true neighbour) pairs
    K, L : hashes per table and number of tables
    """
    return float(np.mean(amplified_collision_probability(_probabilities(p_near, "p_near"), K, L)))


def expected_candidates(p_far, K, L, n_database):
    """n · mean over database pairs of 1 − (1 − p^K)^L: the expected distinct candidates per query.

    Parameters
    ----------
    p_far : array of per-hash collision probabilities of (query, database point) pairs — a sample of
        the whole database as seen from a query (it may contain the near pairs too)
    K, L : hashes per table and number of tables
    n_database : int, database size n
    """
    n = check_positive_int(n_database, "n_database")
    return float(n * np.mean(amplified_collision_probability(_probabilities(p_far, "p_far"), K, L)))


@dataclass
class ParameterChoice:
    """Outcome of :func:`choose_parameters`.

    ``K``, ``L``: the chosen hashes per table and tables; ``recall`` and ``candidates`` their predicted
    mean recall and candidates per query; ``cost`` = ``hash_cost · K · L + candidates``; ``feasible``:
    whether the target recall was met within the candidate budget (if not, ``K``, ``L`` are the
    highest-recall pair within the budget, or the fewest candidates when nothing is within it).
    ``recall_table`` and ``candidate_table`` (shape (max_K, max_L), index [K − 1, L − 1]) hold every
    pair's prediction, for plots.
    """

    K: int
    L: int
    recall: float
    candidates: float
    cost: float
    feasible: bool
    target_recall: float
    max_candidates: float
    recall_table: np.ndarray
    candidate_table: np.ndarray


def choose_parameters(near, far, n_database, *, collision=None, target_recall=0.9, max_candidates=None,
                      max_K=32, max_L=256, hash_cost=1.0, max_hashes=None, near_weights=None, far_weights=None,
                      n_levels=None):
    """Choose (K, L) for a target recall and a candidate budget from any family's collision curve.

    The predicted recall of (K, L) is the mean of 1 − (1 − p^K)^L over the near pairs and the
    predicted candidates n · the same mean over the far (database) pairs (:func:`expected_recall`,
    :func:`expected_candidates`).  Among all 1 ≤ K ≤ max_K, 1 ≤ L ≤ max_L with recall ≥
    ``target_recall`` and candidates ≤ ``max_candidates``, the pair of least query cost
    ``hash_cost · K · L + candidates`` is returned (ties: fewer tables, then fewer hashes) — the
    grid search of datasketch's ``MinHashLSH`` parameter optimiser, for a general family and an
    explicit budget.

    Parameters
    ----------
    near, far : arrays
        Distances (or similarities) of (query, true neighbour) pairs and of (query, database point)
        pairs; mapped to collision probabilities by ``collision``.  With ``collision=None`` they are
        already per-hash collision probabilities.
    n_database : int
    collision : callable, optional
        The family's collision curve, e.g. ``lambda t: 1 - t / np.pi`` on angles, or
        :func:`minhash_collision_probability` on Jaccard indices.
    target_recall : float in (0, 1]
    max_candidates : float, optional
        Budget of expected candidates per query (default: the whole database, no budget).
    max_K, max_L : int
        Size of the grid searched.
    hash_cost : float >= 0
        Cost of one hash evaluation in units of one candidate's distance computation.
    max_hashes : int, optional
        Only pairs with K · L ≤ max_hashes — e.g. MinHash banding, where K = r rows and L = b bands must
        fit in the signature length.
    near_weights, far_weights : arrays, optional
        Non-negative weights of the near / far values (e.g. histogram counts of a binned sample): the
        means above become weighted means.
    n_levels : int, optional
        Bin each sample on this many equal-width levels of p in [0, 1] first, each bin represented by the
        (weighted) mean of its values — for samples of millions of pairs; predictions then differ from
        the unbinned ones by far less than a per cent (p^K varies little within a bin of width 1/n_levels
        for n_levels in the hundreds).

    Returns
    -------
    ParameterChoice

    Examples
    --------
    >>> ch = choose_parameters([0.9] * 10, [0.5] * 10, 10_000, target_recall=0.95, max_candidates=100)
    >>> (ch.K, ch.L, ch.feasible, round(ch.recall, 3), round(ch.candidates, 1))
    (11, 8, True, 0.951, 39.0)
    """
    p_near = _probabilities(near if collision is None else collision(np.asarray(near, dtype=np.float64)), "near")
    p_far = _probabilities(far if collision is None else collision(np.asarray(far, dtype=np.float64)), "far")
    w_near, w_far = _weights(near_weights, p_near, "near_weights"), _weights(far_weights, p_far, "far_weights")
    if n_levels is not None:
        n_levels = check_positive_int(n_levels, "n_levels")
        p_near, w_near = _binned(p_near, w_near, n_levels)
        p_far, w_far = _binned(p_far, w_far, n_levels)
    n = check_positive_int(n_database, "n_database")
    target = _check_probability(target_recall, "target_recall", open_low=True)
    budget = float(n) if max_candidates is None else check_positive_float(max_candidates, "max_candidates")
    max_K = check_positive_int(max_K, "max_K")
    max_L = check_positive_int(max_L, "max_L")
    hash_cost = check_positive_float(hash_cost, "hash_cost", strict=False)
    recall = np.empty((max_K, max_L))
    cand = np.empty((max_K, max_L))
    Ls = np.arange(1, max_L + 1)
    for K in range(1, max_K + 1):
        # log-space powers: (1 − p^K)^L for every L at once, without underflow trouble at p^K ≈ 1
        for p, w, out, scale in ((p_near, w_near, recall, 1.0), (p_far, w_far, cand, float(n))):
            miss = np.log1p(-np.minimum(p**K, 1.0 - 1e-300))  # log(1 − p^K); p = 1 → a huge negative number
            out[K - 1] = scale * ((1.0 - np.exp(np.outer(Ls, miss))) @ w)
    cost = hash_cost * np.outer(np.arange(1, max_K + 1), Ls) + cand
    allowed = np.ones(cost.shape, dtype=bool)
    if max_hashes is not None:
        allowed = np.outer(np.arange(1, max_K + 1), Ls) <= check_positive_int(max_hashes, "max_hashes")
    ok = (recall >= target - 1e-12) & (cand <= budget + 1e-9) & allowed
    if ok.any():
        flat = np.flatnonzero(ok.T.ravel())  # L-major order: ties broken by fewer tables, then fewer hashes
        costs = cost.T.ravel()[flat]
        L_i, K_i = np.unravel_index(flat[np.argmin(costs)], (max_L, max_K))
        feasible = True
    else:
        within = (cand <= budget + 1e-9) & allowed
        if within.any():
            score = np.where(within, recall, -np.inf).T.ravel()
        else:
            score = np.where(allowed, -cand, -np.inf).T.ravel()
        L_i, K_i = np.unravel_index(int(np.argmax(score)), (max_L, max_K))
        feasible = False
    return ParameterChoice(int(K_i) + 1, int(L_i) + 1, float(recall[K_i, L_i]), float(cand[K_i, L_i]),
                           float(cost[K_i, L_i]), feasible, target, budget, recall, cand)


def s_curve_threshold(n_bands, rows_per_band):
    """The similarity (1/b)^(1/r) at which the banding S-curve rises steeply (MMDS §3.4.2).

    Examples
    --------
    >>> round(s_curve_threshold(20, 5), 3)
    0.549
    """
    b = check_positive_int(n_bands, "n_bands")
    r = check_positive_int(rows_per_band, "rows_per_band")
    return (1.0 / b) ** (1.0 / r)


def _integral(f, a, b, n=2049):
    """Simpson's rule for a smooth f on [a, b] (n odd)."""
    if b <= a:
        return 0.0
    x = np.linspace(a, b, n)
    y = f(x)
    h = (b - a) / (n - 1)
    return float(h / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum()))


def banding_errors(threshold, n_bands, rows_per_band):
    """False-positive and false-negative areas of the banding S-curve around a Jaccard threshold t.

    FP = ∫₀ᵗ (1 − (1 − s^r)^b) ds (pairs below the threshold that become candidates) and
    FN = ∫ₜ¹ (1 − s^r)^b ds (pairs above it that do not), as in datasketch's ``MinHashLSH``
    (``_false_positive_probability`` / ``_false_negative_probability``), computed by Simpson's rule.

    Returns
    -------
    (fp, fn) : tuple of float
    """
    t = _check_probability(threshold, "threshold")
    b = check_positive_int(n_bands, "n_bands")
    r = check_positive_int(rows_per_band, "rows_per_band")
    fp = _integral(lambda s: 1 - (1 - s**r) ** b, 0.0, t)
    fn = _integral(lambda s: (1 - s**r) ** b, t, 1.0)
    return fp, fn


def optimal_banding(threshold, n_hashes, weights=(0.5, 0.5)):
    """(b, r) with b·r ≤ n_hashes minimising w_fp · FP + w_fn · FN (:func:`banding_errors`).

    The parameter search of datasketch's ``MinHashLSH(threshold, num_perm, weights)``; the same
    enumeration order (b ascending, then r), so ties resolve alike.

    Examples
    --------
    >>> optimal_banding(0.5, 128)
    (25, 5)
    """
    t = _check_probability(threshold, "threshold")
    n_hashes = check_positive_int(n_hashes, "n_hashes")
    try:
        w_fp, w_fn = (float(w) for w in weights)
    except (TypeError, ValueError):
        raise ValueError(f"weights must be a pair (false-positive weight, false-negative weight), got {weights!r}") from None
    if w_fp < 0 or w_fn < 0 or not np.isfinite(w_fp + w_fn):
        raise ValueError(f"weights must be non-negative numbers, got {weights!r}")
    best, opt = math.inf, (0, 0)
    for b in range(1, n_hashes + 1):
        for r in range(1, n_hashes // b + 1):
            fp, fn = banding_errors(t, b, r)
            err = w_fp * fp + w_fn * fn
            if err < best:
                best, opt = err, (b, r)
    return opt
