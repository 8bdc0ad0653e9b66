"""Retrieval metrics: precision–recall curves, tie-aware (mean) average precision, Dice and Jaccard.

Setting
-------
Every function takes a ``distances`` matrix of shape ``(n_queries, n_database)`` (smaller = more
similar: Hamming, Lee or Euclidean distances) and, where ground truth is needed, a boolean matrix
``relevant`` of the same shape (``relevant[i, j]`` is True when database item ``j`` is a correct answer
for query ``i``; build it with :func:`relevance_from_labels` or :func:`relevance_from_neighbors`).
Queries are processed in chunks so that a 10,000 × 60,000 problem runs in bounded memory.

Ties
----
Hamming distances take only ``n_bits + 1`` values, so a ranking by code distance ties massively.
Most reference code breaks ties silently by database index (a stable sort); the result then depends
on the order of the database.  Every ranking metric here takes ``ties=``:

- ``"average"`` (default): the exact expectation of the metric when the items inside each group of
  equal distance are put in a uniformly random order (McSherry & Najork, "Computing information
  retrieval performance measures efficiently in the presence of tied scores", ECIR 2008, derive the
  same idea for precision/recall; the average-precision formulas below are derived in
  :func:`average_precision`).  The result does not depend on the database order.
- ``"index"``: ties broken by database index (stable sort), as most reference code does.

Average precision convention
----------------------------
AP@k = (1 / R_k) Σ_{i ≤ k} P@i · rel_i, with R_k the number of relevant items in the top k and
P@i the precision of the top i; AP@k = 0 when R_k = 0.  This is the convention of the deep supervised
hashing reference code (Liu et al., CVPR 2016); with ``at_k=None`` the whole database is ranked and
R_k is the total number of relevant items, i.e. the usual (non-interpolated) average precision, which
equals scikit-learn's ``average_precision_score`` on scores ``-distance`` when there are no ties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_k, check_matrix, check_positive_int

__all__ = [
    "PRCurve",
    "OverlapScores",
    "precision_recall_curve_retrieval",
    "precision_at_k",
    "average_precision",
    "mean_average_precision",
    "dice_score",
    "jaccard_index",
    "retrieval_overlap_scores",
    "overlap_scores_by_code_length",
    "relevance_from_labels",
    "relevance_from_neighbors",
]

_TIES = ("average", "index")
_CHUNK_ELEMENTS = 1 << 20  # about 1M entries of a (chunk, n_database) block


# --------------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------------
def _check_distances(distances, name="distances"):
    arr = check_matrix(distances, name, dtype=None)
    if arr.dtype == bool:
        raise ValueError(f"{name} must hold numeric distances, got a boolean array")
    return arr


def _check_relevant(relevant, shape, name="relevant"):
    arr = np.asarray(relevant)
    if arr.shape != shape:
        raise ValueError(
            f"{name} must have the shape of distances {shape} (n_queries, n_database), got {arr.shape}"
        )
    if arr.dtype != bool:
        if not np.issubdtype(arr.dtype, np.integer) or (arr.size and (arr.min() < 0 or arr.max() > 1)):
            raise ValueError(f"{name} must be a boolean matrix (or integer 0/1), got dtype {arr.dtype}")
        arr = arr.astype(bool)
    return arr


def _check_ties(ties, allowed=_TIES):
    if ties not in allowed:
        raise ValueError(f"ties must be one of {allowed}, got {ties!r}")
    return ties


def _row_chunks(n_rows, n_cols):
    step = max(1, _CHUNK_ELEMENTS // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _stable_argsort(d):
    """Row-wise stable argsort; small non-negative integer distances use numpy's radix sort."""
    if np.issubdtype(d.dtype, np.integer) and d.size:
        lo, hi = d.min(), d.max()
        if lo >= 0 and hi < 256:
            d = d.astype(np.uint8, copy=False)
        elif lo >= 0 and hi < 65536:
            d = d.astype(np.uint16, copy=False)
    return np.argsort(d, axis=1, kind="stable")


def _harmonic(n):
    """H[i] = Σ_{j ≤ i} 1/j for i = 0 … n (H[0] = 0)."""
    H = np.zeros(n + 1)
    H[1:] = np.cumsum(1.0 / np.arange(1, n + 1))
    return H


@dataclass
class _Ranked:
    """A chunk of queries ranked by distance, with the tie group of every position.

    For position p (0-based) of row i: the tie group occupies positions ``start[i, p] … end[i, p]-1``;
    ``cum[i, p]`` is the number of relevant items strictly before position p (shape (c, n + 1)).
    With ``ties="index"`` every position is its own group.
    """

    start: np.ndarray
    end: np.ndarray
    new: np.ndarray
    cum: np.ndarray


def _rank_chunk(d, rel, ties, upto=None):
    """Rank a chunk of rows; group bounds are returned for the first ``upto`` positions only
    (all positions by default), ``cum`` always for the whole row."""
    order = _stable_argsort(d)
    rel_sorted = np.take_along_axis(rel, order, axis=1)
    c, n = d.shape
    n_w = n if upto is None else min(int(upto), n)
    cum = np.zeros((c, n + 1), dtype=np.int64)
    np.cumsum(rel_sorted, axis=1, out=cum[:, 1:])
    pos = np.arange(n_w)
    if ties == "index":
        new = np.ones((c, n_w), dtype=bool)
        start = np.broadcast_to(pos, (c, n_w))
        end = start + 1
        return _Ranked(start, end, new, cum)
    ds = np.take_along_axis(d, order, axis=1)
    new_full = np.ones((c, n), dtype=bool)
    new_full[:, 1:] = ds[:, 1:] != ds[:, :-1]
    new = new_full[:, :n_w]
    start = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    # position p ends its group when p is the last position or p + 1 starts a new group
    last = np.ones((c, n_w), dtype=bool)
    last[:, : n_w - 1] = new_full[:, 1:n_w]
    if n_w < n:
        last[:, n_w - 1] = new_full[:, n_w]
    big = n + 1
    end = np.minimum.accumulate(np.where(last, pos + 1, big)[:, ::-1], axis=1)[:, ::-1]
    if n_w < n:  # the group open at the window edge ends at the next group start beyond it
        tail = new_full[:, n_w:]
        end_b = np.where(tail.any(axis=1), n_w + np.argmax(tail, axis=1), n)
        end = np.where(end == big, end_b[:, None], end)
    return _Ranked(start, end, new, cum)


def _expected_hits(ranked, depths):
    """Expected number of relevant items in the top ``depths`` (array of ints ≥ 1) for every row.

    Position k-1 lies in a tie group [s, e) with a relevant items before it and r inside; the top k
    takes m = k - s of the n = e - s tied items uniformly, so E[hits] = a + m r / n.
    """
    rows = np.arange(ranked.cum.shape[0])[:, None]
    p = np.asarray(depths)[None, :] - 1
    s = ranked.start[rows, p]
    e = ranked.end[rows, p]
    a = ranked.cum[rows, s]
    r = ranked.cum[rows, e] - a
    m = p + 1 - s
    return a + m * r / (e - s)


# --------------------------------------------------------------------------------------------------
# precision–recall
# --------------------------------------------------------------------------------------------------
@dataclass
class PRCurve:
    """A retrieval precision–recall curve averaged over queries.

    Attributes
    ----------
    precision, recall : ndarray
        Mean precision and mean recall at each threshold.  Recall is averaged over the queries that
        have at least one relevant item; precision (``by="radius"``) over the queries that retrieve at
        least one item at that radius (``by="depth"``: over all queries).
    thresholds : ndarray
        The radii (``by="radius"``: an item is retrieved when its distance is ≤ the radius) or the
        depths k (``by="depth"``: the k closest items are retrieved).
    n_retrieved : ndarray
        Mean number of retrieved items per query at each threshold.
    by, ties : str
        How the curve was built.
    label : str
        Free text used by plotting helpers (e.g. ``"SimHash 64 bits"``).
    n_queries : int
        Number of queries averaged.
    """

    precision: np.ndarray
    recall: np.ndarray
    thresholds: np.ndarray
    n_retrieved: np.ndarray
    by: str
    ties: str
    label: str = ""
    n_queries: int = 0

    @property
    def auc(self) -> float:
        """Area under the precision–recall curve.

        Trapezoidal rule over the points sorted by recall, with the curve extended horizontally from
        its first point to recall 0 (so a curve that starts at recall 0.3 with precision 1 gets the
        area 0.3 for that stretch).  Points with undefined precision (no query retrieved anything) are
        skipped.
        """
        ok = np.isfinite(self.precision) & np.isfinite(self.recall)
        if not ok.any():
            return 0.0
        r, p = self.recall[ok], self.precision[ok]
        order = np.argsort(r, kind="stable")
        r, p = r[order], p[order]
        return float(r[0] * p[0] + np.sum(np.diff(r) * (p[1:] + p[:-1]) / 2))

    def __repr__(self):
        return (
            f"PRCurve(label={self.label!r}, by={self.by!r}, ties={self.ties!r}, "
            f"n_points={len(self.thresholds)}, auc={self.auc:.4f})"
        )


def _default_depths(n):
    if n <= 512:
        return np.arange(1, n + 1)
    geo = np.geomspace(1, n, 256)
    lin = np.linspace(1, n, 256)
    return np.unique(np.concatenate([geo, lin]).round().astype(np.int64))


def precision_recall_curve_retrieval(
    distances, relevant, ties="average", by="auto", thresholds=None, label=""
):
    """Precision and recall averaged over queries, as a function of a radius or a depth.

    Parameters
    ----------
    distances : array (n_queries, n_database)
        Code or feature distances (smaller = more similar).
    relevant : bool array (n_queries, n_database)
        Ground truth.
    ties : {"average", "index"}
        Tie treatment for ``by="depth"`` (see the module docstring).  Retrieval by radius includes a
        whole tie group at once, so it is not affected by ties.
    by : {"auto", "radius", "depth"}
        ``"radius"``: retrieve every item with distance ≤ t (a Hamming ball of radius t — the natural
        curve for integer code distances, one point per radius).  ``"depth"``: retrieve the k closest
        items.  ``"auto"`` picks ``"radius"`` for integer distances and ``"depth"`` otherwise.
    thresholds : array, optional
        Radii (default: every integer from the smallest to the largest distance for integer
        distances, 128 quantiles for real distances) or depths (default: all depths up to 512, else
        a geometric plus linear grid of about 500 depths).
    label : str
        Stored on the result for plotting.

    Returns
    -------
    PRCurve
        ``precision``, ``recall``, ``thresholds``, ``n_retrieved`` and the ``auc`` property.

    Notes
    -----
    For query q with R_q relevant items and retrieved set S_q(t): precision_q(t) = |S_q ∩ rel| / |S_q|,
    recall_q(t) = |S_q ∩ rel| / R_q; the curve is the mean over queries (macro average).  With
    ``by="depth"`` and ``ties="average"`` the expected number of hits in the top k is a + m r / n
    (the top k takes m of the n items of the tie group straddling position k, r of them relevant, a
    relevant items before that group), which makes expected precision and recall exact.
    """
    d = _check_distances(distances)
    rel = _check_relevant(relevant, d.shape)
    ties = _check_ties(ties)
    if by == "auto":
        by = "radius" if np.issubdtype(d.dtype, np.integer) else "depth"
    if by not in ("radius", "depth"):
        raise ValueError(f"by must be 'auto', 'radius' or 'depth', got {by!r}")
    n_q, n_db = d.shape
    R = rel.sum(axis=1)
    has_rel = R > 0

    if by == "depth":
        if thresholds is None:
            depths = _default_depths(n_db)
        else:
            raw = np.asarray(thresholds, dtype=float)
            if raw.ndim != 1 or not np.isfinite(raw).all() or (raw != np.round(raw)).any():
                raise ValueError(
                    f"thresholds for by='depth' must be integers (numbers of retrieved items), got {thresholds!r}"
                )
            depths = np.unique(raw.astype(np.int64))
            if depths.size == 0 or depths[0] < 1 or depths[-1] > n_db:
                raise ValueError(f"depths must lie in 1 … n_database={n_db}, got {thresholds!r}")
        hits = np.empty((n_q, depths.size))
        for sl in _row_chunks(n_q, n_db):
            hits[sl] = _expected_hits(_rank_chunk(d[sl], rel[sl], ties), depths)
        prec_q = hits / depths[None, :]
        precision = prec_q.mean(axis=0)
        retrieved = np.broadcast_to(depths.astype(float), (n_q, depths.size))
        thr = depths
    else:
        if thresholds is None:
            if np.issubdtype(d.dtype, np.integer):
                thr = np.arange(int(d.min()), int(d.max()) + 1)
            else:
                rng = np.random.default_rng(0)
                flat = d.ravel()
                sample = flat if flat.size <= 200_000 else rng.choice(flat, 200_000, replace=False)
                thr = np.unique(np.quantile(sample, np.linspace(0, 1, 128)))
        else:
            thr = np.unique(np.asarray(thresholds, dtype=float))
            if thr.size == 0 or not np.isfinite(thr).all():
                raise ValueError(f"thresholds must be finite numbers, got {thresholds!r}")
        T = thr.size
        hits = np.empty((n_q, T))
        retrieved = np.empty((n_q, T))
        # integer distances with unit-spaced integer radii: the bin is an offset, no search needed
        unit = (np.issubdtype(d.dtype, np.integer) and np.all(thr == np.round(thr))
                and np.all(np.diff(thr) == 1) and d.min() >= thr[0])
        for sl in _row_chunks(n_q, n_db):
            dc, rc = d[sl], rel[sl]
            c = dc.shape[0]
            # bin b = first threshold ≥ distance: the item is retrieved for thresholds b, b+1, …
            if unit:
                b = np.minimum(dc.astype(np.intp) - int(thr[0]), T)
            else:
                b = np.searchsorted(thr, dc, side="left")
            flat = (np.arange(c, dtype=np.intp)[:, None] * (T + 1) + b).ravel()
            cnt = np.bincount(flat, minlength=c * (T + 1)).reshape(c, T + 1)[:, :T]
            hit = np.bincount(flat[rc.ravel()], minlength=c * (T + 1)).reshape(c, T + 1)[:, :T]
            retrieved[sl] = np.cumsum(cnt, axis=1)
            hits[sl] = np.cumsum(hit, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            prec_q = np.where(retrieved > 0, hits / np.maximum(retrieved, 1), np.nan)
        n_def = np.sum(retrieved > 0, axis=0)
        with np.errstate(invalid="ignore"):
            precision = np.where(n_def > 0, np.nansum(prec_q, axis=0) / np.maximum(n_def, 1), np.nan)

    if has_rel.any():
        recall = (hits[has_rel] / R[has_rel, None]).mean(axis=0)
    else:
        recall = np.zeros(len(thr))
    return PRCurve(
        precision=np.asarray(precision, dtype=float),
        recall=np.asarray(recall, dtype=float),
        thresholds=np.asarray(thr),
        n_retrieved=np.asarray(retrieved).mean(axis=0),
        by=by,
        ties=ties,
        label=label,
        n_queries=n_q,
    )


def precision_at_k(distances, relevant, k, ties="average"):
    """Per-query precision of the top ``k`` (expected over random tie order for ``ties="average"``).

    Returns an array of shape (n_queries,).
    """
    d = _check_distances(distances)
    rel = _check_relevant(relevant, d.shape)
    ties = _check_ties(ties)
    k = check_k(k, d.shape[1])
    out = np.empty(d.shape[0])
    for sl in _row_chunks(d.shape[0], d.shape[1]):
        out[sl] = _expected_hits(_rank_chunk(d[sl], rel[sl], ties), np.array([k]))[:, 0] / k
    return out


# --------------------------------------------------------------------------------------------------
# average precision
# --------------------------------------------------------------------------------------------------
def _group_sum(s, n, r, a, H):
    """Expected Σ_{positions of a tie group} rel_i · c_i / i, for a group at 0-based offset s.

    The group holds n items, r of them relevant, after a relevant items.  For the j-th position
    (i = s + j, j = 1 … n) in a uniformly random order, E[rel_i] = r/n and
    E[rel_i · c_i] = (r/n)(a + 1) + (j - 1) r (r - 1) / (n (n - 1)), so the sum is

        (r/n)(a + 1) · A + r (r - 1) / (n (n - 1)) · B,
        A = Σ_j 1/(s + j) = H_{s+n} - H_s,   B = Σ_j (j - 1)/(s + j) = n - (s + 1) A.
    """
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


def _ap_from_groups(c, k, H, rows, gs, gn, gr, ga, split_rows, sb, nb, rb, ab, Rk_nosplit):
    """Combine tie-group statistics into E[AP@k] per row.

    ``rows, gs, gn, gr, ga``: one entry per tie group lying wholly inside the top k (its row, offset
    s, size n, relevant r, relevant before a).  ``split_rows, sb, nb, rb, ab``: the group straddling
    position k in those rows.  ``Rk_nosplit``: R_k for every row (used where no group is split).
    """
    num_fixed = np.bincount(rows, weights=_group_sum(gs, gn, gr, ga, H), minlength=c)
    split = np.zeros(c, dtype=bool)
    split[split_rows] = True
    ap = np.zeros(c)
    Rk = np.asarray(Rk_nosplit, dtype=float)
    ok = ~split & (Rk > 0)
    ap[ok] = num_fixed[ok] / Rk[ok]
    if split_rows.size:
        a_b = ab.astype(float)[:, None]
        n_b, r_b = nb[:, None], rb[:, None]
        m = (k - sb)[:, None]
        A = (H[sb + m[:, 0]] - H[sb])[:, None]
        B = m - (sb[:, None] + 1) * A
        x = np.arange(int(np.minimum(m, r_b).max()) + 1)[None, :]
        pmf = _hypergeom_pmf(x, n_b, r_b, m)
        pair = np.where(m > 1, x * (x - 1) / np.maximum(m * (m - 1), 1), 0.0)
        g = (x / m) * (a_b + 1) * A + pair * B
        denom = a_b + x
        term = np.where(denom > 0, (num_fixed[split_rows, None] + g) / np.maximum(denom, 1), 0.0)
        ap[split_rows] = (pmf * term).sum(axis=1)
    return ap


def _ap_chunk(d, rel, k, ties, H):
    ranked = _rank_chunk(d, rel, ties, upto=k)
    c = d.shape[0]
    s, e, cum = ranked.start, ranked.end, ranked.cum
    if ties == "index":  # every position is its own group: AP@k = Σ_{i≤k} rel_i c_i / i / c_k
        c_i = cum[:, 1 : k + 1]
        rel_i = c_i - cum[:, :k]
        num = (rel_i * c_i / np.arange(1, k + 1)).sum(axis=1)
        Rk = cum[:, k]
        return np.where(Rk > 0, num / np.maximum(Rk, 1), 0.0)
    # complete tie groups inside the top k, evaluated once each (at their first position)
    ri, pi = np.nonzero(ranked.new & (e <= k))
    sg, eg = s[ri, pi], e[ri, pi]
    a = cum[ri, sg]
    # the group straddling position k (at most one per row)
    sb, eb = s[:, k - 1], e[:, k - 1]
    idx = np.nonzero(eb > k)[0]
    sb, eb = sb[idx], eb[idx]
    return _ap_from_groups(c, k, H, ri, sg, eg - sg, cum[ri, eg] - a, a,
                           idx, sb, eb - sb, cum[idx, eb] - cum[idx, sb], cum[idx, sb], cum[:, k])


def _ap_chunk_counts(d, rel, k, H, lo, T):
    """``ties="average"`` for small-range integer distances (Hamming, Lee): no sorting at all.

    The tie groups are the distance values; per row, bincount gives each value's size n_v and
    relevant count r_v, and exclusive cumulative sums give its offset s_v and relevant-before a_v.
    """
    c = d.shape[0]
    flat = (np.arange(c, dtype=np.intp)[:, None] * T + (d.astype(np.intp) - lo)).ravel()
    cnt = np.bincount(flat, minlength=c * T).reshape(c, T)
    rcnt = np.bincount(flat[rel.ravel()], minlength=c * T).reshape(c, T)
    e = np.cumsum(cnt, axis=1)
    s = e - cnt
    a_after = np.cumsum(rcnt, axis=1)
    a = a_after - rcnt
    ri, vi = np.nonzero((cnt > 0) & (e <= k))
    idx, vb = np.nonzero((s < k) & (e > k))
    # R_k where no group straddles k: relevant items among values whose group ends by k
    Rk = np.where(e <= k, rcnt, 0).sum(axis=1)
    return _ap_from_groups(c, k, H, ri, s[ri, vi], cnt[ri, vi], rcnt[ri, vi], a[ri, vi],
                           idx, s[idx, vb], cnt[idx, vb], rcnt[idx, vb], a[idx, vb], Rk)


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
    For a tie group wholly inside the top k, R_k is fixed and the expectation of the sum is linear:
    see ``_group_sum`` — with n items, r relevant, a relevant before and offset s,
    E = (r/n)(a+1)(H_{s+n} − H_s) + r(r−1)/(n(n−1)) · (n − (s+1)(H_{s+n} − H_s)).
    When the cut-off k splits a tie group (m = k − s of its n items are taken), the number X of
    relevant items taken is hypergeometric(n, r, m), R_k = a + X, and conditionally on X = x the x
    relevant items are uniformly placed among the m taken positions, so
    E[AP@k] = Σ_x P(X = x) · (N_fixed + g(x)) / (a + x), with g(x) the group formula for (m, x)
    (terms with a + x = 0 are 0).  Tested against enumeration of all tie orders and Monte Carlo.

    Cost: for integer distances spanning fewer than 4,096 values (binary or Lee codes) the tie groups
    are the distance values, so ``ties="average"`` needs only per-value counts (one ``bincount`` per
    chunk, no sorting); otherwise each row is sorted once (radix sort for small integers).
    """
    d = _check_distances(distances)
    rel = _check_relevant(relevant, d.shape)
    ties = _check_ties(ties)
    n_q, n_db = d.shape
    k = n_db if at_k is None else check_k(at_k, n_db, "at_k")
    H = _harmonic(n_db)
    out = np.empty(n_q)
    counts = None
    if ties == "average" and np.issubdtype(d.dtype, np.integer):
        lo, hi = int(d.min()), int(d.max())
        if hi - lo < 4096:  # few distinct values (codes): histogram instead of sorting
            counts = (lo, hi - lo + 1)
    for sl in _row_chunks(n_q, n_db):
        if counts is not None:
            out[sl] = _ap_chunk_counts(d[sl], rel[sl], k, H, *counts)
        else:
            out[sl] = _ap_chunk(d[sl], rel[sl], k, ties, H)
    return out


def mean_average_precision(distances, relevant, at_k=None, ties="average"):
    """Mean over queries of :func:`average_precision` (queries without relevant items count as 0).

    ``at_k=None`` ranks the whole database.  Example: ``mean_average_precision(D_hamming, rel,
    at_k=1000)`` is mAP@1000 as reported in the hashing literature, without the hidden dependence on
    database order that a plain stable sort introduces (use ``ties="index"`` to reproduce it).
    """
    return float(np.mean(average_precision(distances, relevant, at_k=at_k, ties=ties)))


# --------------------------------------------------------------------------------------------------
# set overlap
# --------------------------------------------------------------------------------------------------
def _as_sets(a, b):
    """Return (|A ∩ B|, |A|, |B|) for index arrays or boolean masks (row-wise for 2-D masks)."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.dtype == bool or b_arr.dtype == bool:
        if a_arr.dtype != bool or b_arr.dtype != bool:
            raise ValueError(
                f"a and b must both be boolean masks or both index arrays, got {a_arr.dtype} and {b_arr.dtype}"
            )
        if a_arr.shape != b_arr.shape or a_arr.ndim not in (1, 2):
            raise ValueError(
                f"boolean masks must be 1-D or 2-D with equal shapes, got {a_arr.shape} and {b_arr.shape}"
            )
        return (a_arr & b_arr).sum(axis=-1), a_arr.sum(axis=-1), b_arr.sum(axis=-1)
    for arr, name in ((a_arr, "a"), (b_arr, "b")):
        if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
            raise ValueError(
                f"{name} must be a 1-D array of integer indices or a boolean mask, "
                f"got shape {arr.shape} dtype {arr.dtype}"
            )
        if np.unique(arr).size != arr.size:
            raise ValueError(f"{name} holds repeated indices; a retrieved set lists each item once")
        if arr.size and arr.min() < 0:
            raise ValueError(
                f"{name} holds negative indices (e.g. the -1 padding of HashTables.search); "
                "drop them before scoring: a[a >= 0]"
            )
    inter = np.intersect1d(a_arr, b_arr, assume_unique=True).size
    return inter, a_arr.size, b_arr.size


def dice_score(a, b):
    """Dice coefficient D = 2 |A ∩ B| / (|A| + |B|) of two retrieved sets.

    ``a`` and ``b`` are 1-D arrays of (distinct) database indices, or boolean masks of equal shape
    (1-D → a float; 2-D → one score per row).  Two empty sets are identical: D = 1 by convention.
    Related to Jaccard by D = 2J / (1 + J) (Dice 1945; Sørensen 1948).
    """
    inter, na, nb = _as_sets(a, b)
    tot = np.asarray(na + nb, dtype=float)
    out = np.where(tot > 0, 2.0 * np.asarray(inter) / np.maximum(tot, 1), 1.0)
    return float(out) if out.ndim == 0 else out


def jaccard_index(a, b):
    """Jaccard index J = |A ∩ B| / |A ∪ B| of two retrieved sets (same inputs as :func:`dice_score`).

    Two empty sets give J = 1 by convention (so D = 2J/(1+J) holds everywhere) (Jaccard 1912).
    """
    inter, na, nb = _as_sets(a, b)
    union = np.asarray(na + nb - inter, dtype=float)
    out = np.where(union > 0, np.asarray(inter) / np.maximum(union, 1), 1.0)
    return float(out) if out.ndim == 0 else out


@dataclass
class OverlapScores:
    """Per-query Dice and Jaccard between two top-k retrieved sets (arrays of shape (n_queries,))."""

    dice: np.ndarray
    jaccard: np.ndarray


def _topk_mask(d, k, ties):
    """Boolean mask of the top-k set of every row.

    ``"index"``: the k smallest distances, ties at the boundary broken by database index;
    ``"include"``: every item whose distance is ≤ the k-th smallest (sets may exceed k).
    """
    kth = np.partition(d, k - 1, axis=1)[:, k - 1 : k]
    if ties == "include":
        return d <= kth
    lt = d < kth
    need = k - lt.sum(axis=1, keepdims=True)
    eq = d == kth
    return lt | (eq & (np.cumsum(eq, axis=1) <= need))


def retrieval_overlap_scores(dist_reference, dist_code, k, ties="index"):
    """Per-query Dice and Jaccard between the top-k sets of two rankings of the same database.

    Parameters
    ----------
    dist_reference, dist_code : arrays (n_queries, n_database)
        For example Euclidean distances (reference) and Hamming code distances.
    k : int
        Size of the retrieved sets.
    ties : {"index", "include"}
        ``"index"``: exactly k items, boundary ties broken by database index; ``"include"``: every
        item tied with the k-th is retrieved (sets may be larger than k, so Dice ≠ |A∩B|/k).

    Returns
    -------
    OverlapScores
        ``dice`` and ``jaccard``, each of shape (n_queries,).
    """
    d1 = _check_distances(dist_reference, "dist_reference")
    d2 = _check_distances(dist_code, "dist_code")
    if d1.shape != d2.shape:
        raise ValueError(f"dist_reference {d1.shape} and dist_code {d2.shape} must have the same shape")
    ties = _check_ties(ties, ("index", "include"))
    k = check_k(k, d1.shape[1])
    dice = np.empty(d1.shape[0])
    jac = np.empty(d1.shape[0])
    for sl in _row_chunks(*d1.shape):
        m1, m2 = _topk_mask(d1[sl], k, ties), _topk_mask(d2[sl], k, ties)
        dice[sl] = dice_score(m1, m2)
        jac[sl] = jaccard_index(m1, m2)
    return OverlapScores(dice=dice, jaccard=jac)


# --------------------------------------------------------------------------------------------------
# ground truth
# --------------------------------------------------------------------------------------------------
def relevance_from_labels(y_query, y_db):
    """Ground truth "same class": ``relevant[i, j] = (y_query[i] == y_db[j])``, shape (n_q, n_db)."""
    yq, yd = np.asarray(y_query), np.asarray(y_db)
    if yq.ndim != 1 or yd.ndim != 1 or yq.size == 0 or yd.size == 0:
        raise ValueError(
            f"y_query and y_db must be non-empty 1-D label arrays, got shapes {yq.shape} and {yd.shape}"
        )
    return yq[:, None] == yd[None, :]


def relevance_from_neighbors(X_query, X_db, k):
    """Ground truth "Euclidean top-k": ``relevant[i, j]`` is True for the k nearest database items.

    Uses :func:`lshlab.search.brute_force_knn` (exact; ties broken as that function does).
    Returns a boolean matrix of shape (n_queries, n_database) with exactly k True per row.
    """
    from .search import brute_force_knn

    Xq = check_matrix(X_query, "X_query")
    Xd = check_matrix(X_db, "X_db")
    if Xq.shape[1] != Xd.shape[1]:
        raise ValueError(f"X_query has {Xq.shape[1]} features but X_db has {Xd.shape[1]}")
    k = check_k(check_positive_int(k, "k"), Xd.shape[0])
    _, idx = brute_force_knn(Xd, Xq, k)
    rel = np.zeros((Xq.shape[0], Xd.shape[0]), dtype=bool)
    np.put_along_axis(rel, np.asarray(idx), True, axis=1)
    return rel


def overlap_scores_by_code_length(dist_reference, codes_query, codes_db, code_lengths, k, ties="index"):
    """Per-query Dice and Jaccard against a reference ranking, for several code lengths at once.

    The bits of a random-feature code (SimHash, Raginsky) are i.i.d., so the first ``n`` columns of a
    long code *are* an ``n``-bit code: one encoding at the largest length serves every length.

    Parameters
    ----------
    dist_reference : array (n_queries, n_database)
        Reference distances, e.g. Euclidean in the feature space.
    codes_query, codes_db : uint8 0/1 arrays (n_queries, B) and (n_database, B)
        Unpacked codes with B >= max(code_lengths).
    code_lengths : iterable of int
        Prefix lengths to score.
    k : int
        Size of the retrieved sets.
    ties : {"index", "include"}
        As :func:`retrieval_overlap_scores`.

    Returns
    -------
    dict mapping each code length to an :class:`OverlapScores`.
    """
    from ._validation import check_binary_codes
    from .distances import hamming_distance_matrix

    cq = check_binary_codes(codes_query, "codes_query")
    cd = check_binary_codes(codes_db, "codes_db")
    if cq.shape[1] != cd.shape[1]:
        raise ValueError(f"codes_query has {cq.shape[1]} bits but codes_db has {cd.shape[1]}")
    lengths = [check_positive_int(n, "code_lengths") for n in code_lengths]
    if not lengths:
        raise ValueError("code_lengths is empty; give at least one code length")
    if max(lengths) > cq.shape[1]:
        raise ValueError(f"code length {max(lengths)} exceeds the {cq.shape[1]} bits of the codes")
    out = {}
    for n in lengths:
        dist = hamming_distance_matrix(cq[:, :n], cd[:, :n])
        out[n] = retrieval_overlap_scores(dist_reference, dist, k, ties=ties)
    return out
