"""Ranking metrics: the retrieval precision–recall curve and precision@k, tie-aware.

See :mod:`lshlab.metrics` for the setting (``distances`` and ``relevant`` matrices) and the tie
conventions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_k
from ._common import check_distances, check_relevant, check_ties, row_chunks
from .ties import expected_hits, rank_rows

__all__ = ["PRCurve", "precision_recall_curve_retrieval", "precision_at_k"]


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
    d = check_distances(distances)
    rel = check_relevant(relevant, d.shape)
    ties = check_ties(ties)
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
        for sl in row_chunks(n_q, n_db):
            hits[sl] = expected_hits(rank_rows(d[sl], rel[sl], ties), depths)
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
        for sl in row_chunks(n_q, n_db):
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
    d = check_distances(distances)
    rel = check_relevant(relevant, d.shape)
    ties = check_ties(ties)
    k = check_k(k, d.shape[1])
    out = np.empty(d.shape[0])
    for sl in row_chunks(d.shape[0], d.shape[1]):
        out[sl] = expected_hits(rank_rows(d[sl], rel[sl], ties), np.array([k]))[:, 0] / k
    return out
