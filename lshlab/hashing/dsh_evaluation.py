"""Evaluation protocol of lecture 09 and ``benchmarks/fashion_map.py``: mAP@k of Hamming rankings and of
multi-table LSH with re-ranking.

Kept here, unchanged, while :mod:`lshlab.evaluation` takes over this pipeline (issue 16).
"""

from __future__ import annotations

import numpy as np

__all__ = ["hamming_map_at_k", "hash_tables_map_at_k"]


def _compact_top(D, rel, k):
    """Drop, row by row, the items that lie strictly beyond the k-th smallest distance.

    Such items are ranked after position k whatever the tie order, so AP@k (both tie rules of
    :mod:`lshlab.metrics`) is unchanged; the kept items stay in database order and the rows are padded
    with non-relevant items at a larger distance.  This turns a (c, 60,000) ranking into a (c, W) one,
    W = the largest number of items within the k-th distance.
    """
    t = np.partition(D, k - 1, axis=1)[:, k - 1]
    mask = D <= t[:, None]
    counts = mask.sum(1)
    W = max(int(counts.max()), k)
    rows, cols = np.nonzero(mask)
    pos = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    Dc = np.full((D.shape[0], W), D.max() + 1, dtype=D.dtype)
    Rc = np.zeros((D.shape[0], W), dtype=bool)
    Dc[rows, pos] = D[rows, cols]
    Rc[rows, pos] = rel[rows, cols]
    return Dc, Rc


def hamming_map_at_k(codes_query, y_query, codes_db, y_db, k=10, ties="average", chunk=500):
    """mAP@k of a Hamming ranking of the whole database, relevance = same class label.

    Every query ranks all database codes by Hamming distance; AP@k follows
    :func:`lshlab.metrics.average_precision` (AP@k = (1/R_k) Σ_{i≤k} P@i · rel_i, the DSH reference
    code's convention, 0 when no relevant item is in the top k) with ``ties="average"``: the exact
    expectation over random orders inside groups of equal Hamming distance (``"index"`` = by database
    index).  Queries are processed in chunks.  For codes shorter than 4,096 bits with ``ties="average"``
    the distance matrix goes straight to ``average_precision``, whose per-distance counting needs no
    sort; otherwise items beyond the k-th distance are dropped first (exact, see ``_compact_top``).

    Returns
    -------
    float
    """
    from ..distances import hamming_distance_matrix
    from ..metrics import average_precision

    y_query, y_db = np.asarray(y_query), np.asarray(y_db)
    if y_query.shape != (len(codes_query),) or y_db.shape != (len(codes_db),):
        raise ValueError("y_query / y_db must hold one label per code row")
    aps = []
    for s in range(0, len(codes_query), chunk):
        D = hamming_distance_matrix(codes_query[s : s + chunk], codes_db, dtype=np.uint16)
        rel = y_query[s : s + chunk, None] == y_db[None, :]
        if ties == "average" and np.shape(codes_query)[-1] < 4096:
            aps.append(average_precision(D, rel, at_k=k, ties=ties))
        else:
            Dc, Rc = _compact_top(D, rel, k)
            aps.append(average_precision(Dc, Rc, at_k=k, ties=ties))
    return float(np.concatenate(aps).mean())


def hash_tables_map_at_k(tables, X_query, y_query, y_db, k=10):
    """mAP@k of multi-table LSH: bucket candidates, exact Euclidean re-ranking.

    ``tables`` is a fitted :class:`lshlab.search.HashTables` (L tables of K-bit codes).  For each query
    the candidates are the union of its L buckets (exact K-bit key match in any table); they are ranked
    by Euclidean distance in the feature space (``HashTables.search``, ties by index) and the top k are
    scored.  A query with fewer than k candidates is scored on the ones it has (padding positions are
    non-relevant; under the AP@k convention they neither add to R_k nor to the sum); a query with no
    candidate scores 0.

    Returns
    -------
    map : float
    n_candidates : ndarray (n_queries,)
        Distinct candidates examined per query.
    """
    from ..metrics import mean_average_precision

    y_query, y_db = np.asarray(y_query), np.asarray(y_db)
    dist, idx = tables.search(X_query, k)
    rel = (idx >= 0) & (y_db[np.maximum(idx, 0)] == y_query[:, None])
    dist = np.where(np.isfinite(dist), dist, np.float32(1e30))
    return mean_average_precision(dist, rel, at_k=k, ties="average"), tables.last_n_candidates_.copy()
