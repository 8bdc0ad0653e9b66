"""Scoring rankings: mAP (or mAP@k), precision@k and precision–recall of code distances or of the
result lists of an index, with the tie rule of :mod:`lshlab.evaluation`."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from .._validation import as_array, check_comparable_labels, check_k, check_matrix, check_positive_int
from ..metrics import PRCurve, average_precision, precision_at_k, precision_recall_curve_retrieval
from .codes import check_code_pair, distance_blocks, encode_pair

__all__ = ["RetrievalScores", "score_codes", "evaluate_hasher", "score_search_results"]

_TIES = ("average", "index")
_PR_MODES = ("auto", "radius", "depth")
# Distance entries per block of query rows (a 60,000-code database: 69 queries per block).  Measured on
# 10,000 × 60,000 64-bit codes, mAP@10: 2²² entries is as fast as any size tried (2²⁰ … 2²⁵) with 28 MB
# peak; 2²⁵ was ~20 % slower with 161 MB.
_BLOCK_ENTRIES = 1 << 22
# Below this many distinct distances lshlab.metrics scores ties="average" by counting (no sort).
_COUNTING_RANGE = 4096



# --------------------------------------------------------------------------------------------------
# relevance
# --------------------------------------------------------------------------------------------------
class _Relevance:
    """Ground truth given as a boolean matrix or as two label arrays (relevant = same label).

    ``n_db=None`` (result lists of an index) takes the database size from the ground truth.
    """

    def __init__(self, relevant, labels, n_query, n_db=None):
        if (relevant is None) == (labels is None):
            raise ValueError("give the ground truth once: relevant (a boolean (n_query, n_db) matrix) "
                             "or labels=(y_query, y_db) (relevant = same label)")
        self.matrix = self.y_query = self.y_db = None
        if relevant is not None:
            rel = as_array(relevant, "relevant")
            if rel.ndim != 2 or rel.shape[0] != n_query or (n_db is not None and rel.shape[1] != n_db):
                expected = (n_query, "n_db" if n_db is None else n_db)
                raise ValueError(f"relevant must have shape (n_query, n_db) = {expected}, got {rel.shape}")
            if rel.dtype != bool and not (np.issubdtype(rel.dtype, np.integer) and rel.size
                                          and 0 <= rel.min() and rel.max() <= 1):
                raise ValueError(f"relevant must be a boolean matrix (or integer 0/1), got dtype {rel.dtype}")
            self.matrix, self.n_db = rel, rel.shape[1]
            return
        try:
            y_query, y_db = labels
        except (TypeError, ValueError):
            raise ValueError("labels must be a pair (y_query, y_db) of label arrays") from None
        self.y_query, self.y_db = as_array(y_query, "labels[0] (y_query)"), as_array(y_db, "labels[1] (y_db)")
        if self.y_query.shape != (n_query,) or self.y_db.ndim != 1 or (n_db is not None and self.y_db.size != n_db):
            expected = "a 1-D array of database labels" if n_db is None else f"one per database code ({n_db})"
            raise ValueError(f"labels must hold one label per query ({n_query}) and {expected}, "
                             f"got shapes {self.y_query.shape} and {self.y_db.shape}")
        self.y_query, self.y_db = check_comparable_labels(self.y_query, self.y_db, ("labels[0] (y_query)",
                                                                                    "labels[1] (y_db)"))
        self.n_db = self.y_db.size

    def block(self, start, stop):
        """Relevance of queries ``start:stop`` to every database item, (stop − start, n_db) bool."""
        if self.matrix is not None:
            return self.matrix[start:stop].astype(bool, copy=False)
        return self.y_query[start:stop, None] == self.y_db[None, :]

    def at(self, idx):
        """Relevance of the database rows ``idx`` (n_query, k) to their queries; ``idx = -1`` → False."""
        rows = np.maximum(idx, 0)
        if self.matrix is not None:
            rel = np.take_along_axis(self.matrix, rows, axis=1).astype(bool)
        else:
            rel = self.y_db[rows] == self.y_query[:, None]
        return rel & (idx >= 0)


# --------------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RetrievalScores:
    """Scores of one ranking (see the module docstring for the conventions).

    Attributes
    ----------
    map : float
        Mean over queries of ``average_precision`` (mAP, or mAP@k when ``at_k`` is set).
    average_precision : ndarray (n_query,)
        AP (or AP@k) of every query.
    at_k : int or None
        The cut-off of AP; None = the whole ranking.
    ties : {"average", "index"}
    precision_at : dict int -> float
        Mean precision@k for every requested k.
    pr : lshlab.metrics.PRCurve or None
        The precision–recall curve, when asked for.
    n_query : int
    n_db : int or None
        Database size (None for :func:`score_search_results`, which sees result lists only).
    """

    map: float
    average_precision: np.ndarray
    at_k: int | None
    ties: str
    precision_at: dict = field(default_factory=dict)
    pr: PRCurve | None = None
    n_query: int = 0
    n_db: int | None = None


def _check_ties(ties):
    if ties not in _TIES:
        raise ValueError(f"ties must be one of {_TIES}, got {ties!r}")
    return ties


def _check_precision_k(precision_k, n_db):
    if precision_k is None:
        return ()
    ks = (precision_k,) if isinstance(precision_k, numbers.Integral) else tuple(precision_k)
    return tuple(sorted({check_k(k, n_db, "precision_k") for k in ks}))


def _top_window(D, rel, k):
    """Drop, row by row, the items that lie strictly beyond the k-th smallest distance.

    Such items are ranked after position k whatever the tie order, so AP@k and precision@j for
    j ≤ k (both tie rules) are unchanged; the kept items stay in database order (so ``ties="index"``
    is kept too) and the rows are padded with non-relevant items at a larger distance.  This turns
    a (c, 60,000) ranking into a (c, W) one, W = the largest number of items within the k-th distance.
    """
    t = np.partition(D, k - 1, axis=1)[:, k - 1]
    flat = np.flatnonzero(D <= t[:, None])  # row-major, so database order inside each row
    rows, cols = np.divmod(flat, D.shape[1])  # (on a 2-D mask np.nonzero is ~15x slower)
    counts = np.bincount(rows, minlength=D.shape[0])
    W = max(int(counts.max()), k)
    pos = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    pad = int(D.max()) + 1
    Dc = np.full((D.shape[0], W), pad, dtype=np.result_type(D.dtype, np.min_scalar_type(pad)))
    Rc = np.zeros((D.shape[0], W), dtype=bool)
    Dc[rows, pos] = D[rows, cols]
    Rc[rows, pos] = rel[rows, cols]
    return Dc, Rc


def score_codes(codes, relevant=None, *, labels=None, at_k=None, ties="average", precision_k=None, pr=None,
                pr_thresholds=None, label="", leave_one_out=False, block_rows=None):
    """Rank the database by code distance for every query and score the rankings.

    Parameters
    ----------
    codes : CodePair
        From :func:`encode_pair`, or ``CodePair(query=..., db=...)`` for codes at hand.
    relevant : bool array (n_query, n_db), optional
        Ground truth (same label, ε-neighbour, …).  Give either ``relevant`` or ``labels``.
    labels : (y_query, y_db), optional
        Relevant = same label; the relevance matrix is built block by block, never whole.
    at_k : int, optional
        mAP@k (AP@k = (1/R_k) Σ_{i≤k} P@i · rel_i); None ranks the whole database.
    ties : {"average", "index"}
        The tie rule (module docstring) of every score.
    precision_k : int or sequence of int, optional
        Depths k whose mean precision@k goes to ``precision_at``.
    pr : {None, "auto", "radius", "depth"}
        Also compute the precision–recall curve (``by=`` of
        :func:`lshlab.metrics.precision_recall_curve_retrieval`, thresholds ``pr_thresholds``,
        curve label ``label``).  Needs the whole (n_query, n_db) distance matrix at once.
    leave_one_out : bool
        The queries are the database items themselves (same rows, in order): query i is ranked last
        for itself and does not count as relevant to itself.
    block_rows : int, optional
        Queries per block (default: about 2²² distances per block).

    Returns
    -------
    RetrievalScores

    Notes
    -----
    Equal to building ``D = code_distances(codes)`` and ``relevant`` whole and calling
    :func:`lshlab.metrics.mean_average_precision` (``at_k``, ``ties``),
    :func:`lshlab.metrics.precision_at_k` and :func:`lshlab.metrics.precision_recall_curve_retrieval`
    on them (tested), in bounded memory.  AP is a per-query quantity, so scoring blocks of queries and concatenating is
    exact.  For AP@k with ``ties="index"`` or with more than 4,096 possible distances, and for
    precision@k, each block is first reduced by ``_top_window`` (exact); otherwise AP with
    ``ties="average"`` counts the items per distance value, which needs no sort.
    """
    codes = check_code_pair(codes)
    n_query, n_db = codes.n_query, codes.n_db
    truth = _Relevance(relevant, labels, n_query, n_db)
    ties = _check_ties(ties)
    k = None if at_k is None else check_k(at_k, n_db, "at_k")
    depths = _check_precision_k(precision_k, n_db)
    if pr is not None and pr not in _PR_MODES:
        raise ValueError(f"pr must be None or one of {_PR_MODES}, got {pr!r}")
    if pr is None and pr_thresholds is not None:
        raise ValueError("pr_thresholds are the thresholds of the precision-recall curve: pass pr='radius' "
                         "or pr='depth' with them")
    if leave_one_out and n_query != n_db:
        raise ValueError(f"leave_one_out needs the queries to be the database items, got {n_query} queries "
                         f"and {n_db} database codes")
    if pr is not None:
        block_rows = n_query
    elif block_rows is None:
        block_rows = max(1, _BLOCK_ENTRIES // n_db)
    else:
        block_rows = check_positive_int(block_rows, "block_rows")
    self_distance = codes.max_distance + 1
    # AP@k straight from the full rows when lshlab.metrics can count instead of sorting
    window_for_ap = k is not None and not (ties == "average" and self_distance < _COUNTING_RANGE)

    ap = np.empty(n_query)
    prec = {d: np.empty(n_query) for d in depths}
    curve = None
    for start, stop, D in distance_blocks(codes, block_rows):
        rel = truth.block(start, stop)
        if leave_one_out:
            if np.iinfo(D.dtype).max < self_distance:
                D = D.astype(np.int64)
            rows = np.arange(stop - start)
            D[rows, start + rows] = self_distance
            rel = np.array(rel, dtype=bool)
            rel[rows, start + rows] = False
        window_k = max(depths + ((k,) if window_for_ap else ()), default=None)
        if window_k is not None:
            Dw, Rw = _top_window(D, rel, window_k)
            for d in depths:
                prec[d][start:stop] = precision_at_k(Dw, Rw, d, ties=ties)
        if window_for_ap:
            ap[start:stop] = average_precision(Dw, Rw, at_k=k, ties=ties)
        else:
            ap[start:stop] = average_precision(D, rel, at_k=k, ties=ties)
        if pr is not None:
            curve = precision_recall_curve_retrieval(D, rel, ties=ties, by=pr, thresholds=pr_thresholds,
                                                     label=label)
    return RetrievalScores(
        map=float(np.mean(ap)), average_precision=ap, at_k=k, ties=ties,
        precision_at={d: float(np.mean(v)) for d, v in prec.items()}, pr=curve, n_query=n_query, n_db=n_db,
    )


def evaluate_hasher(hasher, X_db, X_query, relevant=None, *, labels=None, fit_on="db", y=None, at_k=None,
                    ties="average", precision_k=None, pr=None, pr_thresholds=None, label=""):
    """:func:`encode_pair` then :func:`score_codes`: the scores of one hasher on one retrieval task.

    ``fit_on`` and ``y`` go to :func:`encode_pair` (fit on the database by default; None for a fitted
    hasher); the other arguments to :func:`score_codes`.  Returns :class:`RetrievalScores`.
    """
    codes = encode_pair(hasher, X_db, X_query, fit_on=fit_on, y=y)
    return score_codes(codes, relevant, labels=labels, at_k=at_k, ties=ties, precision_k=precision_k, pr=pr,
                       pr_thresholds=pr_thresholds, label=label)


def score_search_results(dist, idx, relevant=None, *, labels=None, ties="average", precision_k=None):
    """Score the k result lists returned by an index's search: mAP@k and precision@j.

    Parameters
    ----------
    dist, idx : arrays (n_query, k)
        What ``search(Q, k)`` of an index returns (``HashTables``, ``HammingIndex``, …): the database
        rows of the k results of every query, best first, and their distances.  A query with fewer
        than k results is padded with ``idx = -1`` (and any ``dist``, e.g. inf).
    relevant : bool array (n_query, n_db), optional
    labels : (y_query, y_db), optional
        Relevant = same label.  Give either ``relevant`` or ``labels``.
    ties : {"average", "index"}
        Tie rule among the k results (equal distances inside a list).
    precision_k : int or sequence of int <= k, optional

    Returns
    -------
    RetrievalScores
        ``at_k = k``.  Padding positions are non-relevant and ranked last: under the AP@k convention
        they add neither to R_k nor to the sum, so a query is scored on the results it has (0 when it
        has none).  ``n_db`` is None.
    """
    idx = as_array(idx, "idx")
    if idx.ndim != 2 or not np.issubdtype(idx.dtype, np.integer) or idx.shape[1] == 0:
        raise ValueError(f"idx must be a 2-D integer array (n_query, k) of database rows, got shape {idx.shape} "
                         f"dtype {idx.dtype}")
    dist = check_matrix(dist, "dist", dtype=None, finite=False)
    if dist.shape != idx.shape:
        raise ValueError(f"dist must have the shape of idx {idx.shape}, got {dist.shape}")
    if np.isnan(dist).any():
        raise ValueError("dist contains NaN; distances of the results must be numbers (inf for padding)")
    ties = _check_ties(ties)
    n_query, k = idx.shape
    truth = _Relevance(relevant, labels, n_query)
    if idx.max(initial=-1) >= truth.n_db:
        raise ValueError(f"idx holds database row {idx.max()} but the database has {truth.n_db} items")
    if idx.min(initial=0) < -1:
        raise ValueError(f"idx holds {idx.min()}; database rows are >= 0 and -1 marks padding")
    rel = truth.at(idx)
    if dist.dtype.kind == "f":  # padding distances (inf) become a large finite number, ranked last
        dist = np.where(np.isfinite(dist), dist, dist.dtype.type(1e30))
    ap = average_precision(dist, rel, at_k=k, ties=ties)
    depths = _check_precision_k(precision_k, k)
    return RetrievalScores(
        map=float(np.mean(ap)), average_precision=ap, at_k=k, ties=ties,
        precision_at={d: float(np.mean(precision_at_k(dist, rel, d, ties=ties))) for d in depths},
        n_query=n_query, n_db=None,
    )
