"""Tie-aware average precision AP@k and its mean over queries (mAP@k).

Convention (the deep supervised hashing reference code, Liu et al., CVPR 2016)::

    AP@k = (1 / R_k) Σ_{i ≤ k} P@i · rel_i = (1 / R_k) Σ_{i ≤ k} rel_i · c_i / i,

with c_i the number of relevant items in the top i, R_k = c_k, and AP@k = 0 when R_k = 0.

Expectation over tie orders (``ties="average"``).  The ranking is cut into tie groups (:mod:`.ties`);
a group is described by a :class:`TieGroups` entry: ``size`` n, ``offset`` s (items ranked before it),
``relevant`` r (relevant items inside) and ``relevant_before`` a (relevant items ranked before it).

* A group wholly inside the top k adds, in expectation, ``E[Σ_{its positions} rel_i c_i / i]``
  (:func:`expected_group_sum`), and leaves R_k fixed.
* The group that straddles position k (at most one per row) gives m = k − s of its n items to the top
  k; the number X of relevant items taken is hypergeometric(n, r, m), R_k = a + X, and given X = x the
  x relevant items are uniformly placed among the m taken positions, so their contribution is the
  group sum of the m taken items with x relevant.  Hence

      E[AP@k] = Σ_x P(X = x) · (N_fixed + g(x)) / (a + x)    (terms with a + x = 0 are 0),

  with N_fixed the sum over the complete groups (:func:`expected_ap`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_k
from ._common import check_distances, check_relevant, check_ties, row_chunks
from .ties import harmonic_numbers, rank_rows

__all__ = ["average_precision", "mean_average_precision", "TieGroups", "expected_group_sum", "expected_ap"]


@dataclass
class TieGroups:
    """Tie groups of a chunk of ranked rows, one entry per group (arrays of equal or broadcastable shape).

    Attributes
    ----------
    row : query row (within the chunk) of the group
    offset : s, number of items ranked before the group (0-based position of its first item)
    size : n, number of items in the group
    relevant : r, relevant items in the group
    relevant_before : a, relevant items ranked before the group
    """

    row: np.ndarray
    offset: np.ndarray
    size: np.ndarray
    relevant: np.ndarray
    relevant_before: np.ndarray


def expected_group_sum(groups, H):
    """Expected Σ_{positions of a group} rel_i · c_i / i over uniformly random orders inside the group.

    For the j-th position of a group (i = s + j, j = 1 … n), E[rel_i] = r/n and
    E[rel_i · c_i] = (r/n)(a + 1) + (j − 1) r (r − 1) / (n (n − 1)), so the sum is

        (r/n)(a + 1) · A + r (r − 1) / (n (n − 1)) · B,
        A = Σ_j 1/(s + j) = H_{s+n} − H_s,   B = Σ_j (j − 1)/(s + j) = n − (s + 1) A,

    with ``H`` the harmonic numbers (:func:`~lshlab.metrics.ties.harmonic_numbers`).
    """
    s, n, r, a = groups.offset, groups.size, groups.relevant, groups.relevant_before
    A = H[s + n] - H[s]
    B = n - (s + 1) * A
    pair = np.where(n > 1, r * (r - 1) / np.maximum(n * (n - 1), 1), 0.0)
    return (r / n) * (a + 1) * A + pair * B


def _hypergeom_pmf(x, n, r, m):
    """P[X = x] for X ~ hypergeometric (population n, r successes, m draws), broadcasting; 0 off support."""
    from scipy.special import gammaln

    def lchoose(a, b):
        return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

    ok = (x >= 0) & (x <= r) & (m - x >= 0) & (m - x <= n - r)
    xs = np.where(ok, x, 0)
    logp = lchoose(r, xs) + lchoose(n - r, np.where(ok, m - xs, 0)) - lchoose(n, m)
    return np.where(ok, np.exp(logp), 0.0)


def expected_ap(n_rows, k, H, complete, split, relevant_in_top_k):
    """E[AP@k] for each of ``n_rows`` rows from their tie groups.

    Parameters
    ----------
    complete : TieGroups
        Every group lying wholly inside the top k.
    split : TieGroups
        The group straddling position k, for the rows that have one (``size`` is its full size).
    relevant_in_top_k : ndarray (n_rows,)
        R_k, used for the rows without a split group (where it is fixed).
    """
    n_fixed = np.bincount(complete.row, weights=expected_group_sum(complete, H), minlength=n_rows)
    has_split = np.zeros(n_rows, dtype=bool)
    has_split[split.row] = True
    ap = np.zeros(n_rows)
    Rk = np.asarray(relevant_in_top_k, dtype=float)
    whole = ~has_split & (Rk > 0)
    ap[whole] = n_fixed[whole] / Rk[whole]
    if split.row.size:
        ap[split.row] = _expected_ap_split(n_fixed[split.row], k, H, split)
    return ap


def _expected_ap_split(n_fixed, k, H, split):
    """Σ_x P(X = x) · (N_fixed + g(x)) / (a + x) for rows whose cut-off k splits the group ``split``."""
    s, n, r, a = (v[:, None] for v in (split.offset, split.size, split.relevant, split.relevant_before))
    m = k - s  # items of the group inside the top k
    x = np.arange(int(np.minimum(m, r).max()) + 1)[None, :]  # relevant items among them
    taken = TieGroups(split.row[:, None], s, m, x, a)
    g = expected_group_sum(taken, H)
    R_k = a + x
    term = np.where(R_k > 0, (n_fixed[:, None] + g) / np.maximum(R_k, 1), 0.0)
    return (_hypergeom_pmf(x, n, r, m) * term).sum(axis=1)


def _ap_sorted(d, rel, k, ties, H):
    """AP@k of a chunk by sorting each row (any distances; ``ties="index"`` or ``"average"``)."""
    ranked = rank_rows(d, rel, ties, upto=k)
    c = d.shape[0]
    s, e, cum = ranked.group_start, ranked.group_end, ranked.relevant_before
    if ties == "index":  # every position is its own group: AP@k = Σ_{i≤k} rel_i c_i / i / c_k
        c_i = cum[:, 1 : k + 1]
        rel_i = c_i - cum[:, :k]
        num = (rel_i * c_i / np.arange(1, k + 1)).sum(axis=1)
        Rk = cum[:, k]
        return np.where(Rk > 0, num / np.maximum(Rk, 1), 0.0)
    # complete tie groups inside the top k, read once each (at their first position)
    ri, pi = np.nonzero(ranked.starts_group & (e <= k))
    sg, eg = s[ri, pi], e[ri, pi]
    complete = TieGroups(row=ri, offset=sg, size=eg - sg, relevant=cum[ri, eg] - cum[ri, sg],
                         relevant_before=cum[ri, sg])
    # the group straddling position k (at most one per row)
    rows = np.nonzero(e[:, k - 1] > k)[0]
    sb, eb = s[rows, k - 1], e[rows, k - 1]
    split = TieGroups(row=rows, offset=sb, size=eb - sb, relevant=cum[rows, eb] - cum[rows, sb],
                      relevant_before=cum[rows, sb])
    return expected_ap(c, k, H, complete, split, cum[:, k])


def _ap_counts(d, rel, k, H, lo, T):
    """``ties="average"`` for small-range integer distances (Hamming, Lee): no sorting at all.

    The tie groups are the distance values; per row, bincount gives each value's size and relevant
    count, and exclusive cumulative sums give its offset and relevant-before count.
    """
    c = d.shape[0]
    flat = (np.arange(c, dtype=np.intp)[:, None] * T + (d.astype(np.intp) - lo)).ravel()
    size = np.bincount(flat, minlength=c * T).reshape(c, T)
    relevant = np.bincount(flat[rel.ravel()], minlength=c * T).reshape(c, T)
    end = np.cumsum(size, axis=1)
    offset = end - size
    before = np.cumsum(relevant, axis=1) - relevant

    def groups(rows, values):
        return TieGroups(rows, offset[rows, values], size[rows, values], relevant[rows, values],
                         before[rows, values])

    complete = groups(*np.nonzero((size > 0) & (end <= k)))
    split = groups(*np.nonzero((offset < k) & (end > k)))
    # R_k where no group straddles k: relevant items among values whose group ends by k
    Rk = np.where(end <= k, relevant, 0).sum(axis=1)
    return expected_ap(c, k, H, complete, split, Rk)


def average_precision(distances, relevant, at_k=None, ties="average"):
    """Per-query average precision AP@k (see the module docstring for the convention).

    Parameters
    ----------
    distances : array (n_queries, n_database)
    relevant : bool array (n_queries, n_database)
    at_k : int, optional
        Cut-off; ``None`` ranks the whole database.
    ties : {"average", "index"}
        ``"index"``: stable sort by distance (ties by database index).  ``"average"``: the exact
        expectation of AP@k over uniformly random orders inside every tie group.

    Returns
    -------
    ndarray (n_queries,)

    Notes
    -----
    AP@k = (1/R_k) Σ_{i ≤ k} rel_i · c_i / i, with c_i the number of relevant items in the top i.
    ``ties="average"`` sums the expected contribution of every tie group inside the top k
    (:func:`expected_group_sum`) and averages over the hypergeometric number of relevant items that
    the group straddling position k gives to the top k (:func:`expected_ap`); the module docstring
    derives both.  Tested against enumeration of all tie orders and Monte Carlo.

    Cost: for integer distances spanning fewer than 4,096 values (binary or Lee codes) the tie groups
    are the distance values, so ``ties="average"`` needs only per-value counts (one ``bincount`` per
    chunk, no sorting); otherwise each row is sorted once (radix sort for small integers).
    """
    d = check_distances(distances)
    rel = check_relevant(relevant, d.shape)
    ties = check_ties(ties)
    n_q, n_db = d.shape
    k = n_db if at_k is None else check_k(at_k, n_db, "at_k")
    H = harmonic_numbers(n_db)
    out = np.empty(n_q)
    counts = None
    if ties == "average" and np.issubdtype(d.dtype, np.integer):
        lo, hi = int(d.min()), int(d.max())
        if hi - lo < 4096:  # few distinct values (codes): histogram instead of sorting
            counts = (lo, hi - lo + 1)
    for sl in row_chunks(n_q, n_db):
        if counts is not None:
            out[sl] = _ap_counts(d[sl], rel[sl], k, H, *counts)
        else:
            out[sl] = _ap_sorted(d[sl], rel[sl], k, ties, H)
    return out


def mean_average_precision(distances, relevant, at_k=None, ties="average"):
    """Mean over queries of :func:`average_precision` (queries without relevant items count as 0).

    ``at_k=None`` ranks the whole database.  Example: ``mean_average_precision(D_hamming, rel,
    at_k=1000)`` is mAP@1000 as reported in the hashing literature, without the hidden dependence on
    database order that a plain stable sort introduces (use ``ties="index"`` to reproduce it).
    """
    return float(np.mean(average_precision(distances, relevant, at_k=at_k, ties=ties)))
