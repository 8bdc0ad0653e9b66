"""Exact Euclidean k nearest neighbours by blocked matrix products — the baseline every index beats.

Returns ``(dist, idx)`` of shape ``(n_queries, k)``: float32 Euclidean distances (not squared),
ascending, ties by database index — exact for any finite float data (any offset, any scale).
"""

from __future__ import annotations

import threading

import numpy as np
from threadpoolctl import threadpool_limits

from .._parallel import map_threads
from .._validation import (
    check_float_dtype,
    check_float_matrix,
    check_k_neighbours,
    check_n_jobs,
    check_positive_int,
    check_same_width,
)
from .euclidean import U32, EuclideanFrame, expansion_error, float_output, row_ids, underflow_floor
from .primitives import sq_norms

__all__ = ["brute_force_knn"]

# A row whose certification fails measures every database row within the error band of its k-th
# distance; past this many, identical database rows are measured once (see row_ids).
_DEDUP_EXTRAS = 64


def brute_force_knn(X, Q, k, *, block_queries=None, n_jobs=None, dtype=np.float32):
    """Exact Euclidean k nearest neighbours of each query row, by blocked matrix products.

    Parameters
    ----------
    X : array-like of shape (n_database, d)
    Q : array-like of shape (n_queries, d)
        Float data of any offset and scale (float32 and float64 are used in their own precision).
    k : int, 1 <= k <= n_database
    block_queries : int, optional
        Queries per block (default: at most 256, and one float32 block ≤ 64 MB).
    n_jobs : int or None, default None
        Worker threads, each running whole query blocks (single-threaded GEMM, selection and
        re-ranking); None = the number of CPU cores.  With one block, BLAS threads are used instead.
    dtype : {np.float32, np.float64}, default np.float32
        Type of the returned distances (they are computed in float64 either way); float64 for data
        whose distances lie outside the float32 range.

    Returns
    -------
    dist : ndarray of ``dtype`` (float32), shape (n_queries, k), ascending Euclidean distances
    idx : ndarray of intp, shape (n_queries, k), database row indices; among equal distances the
        smaller index comes first

    Raises
    ------
    ValueError
        For bad input, and when the distances cannot be represented in ``dtype`` (in float32: beyond
        3.4e38, or non-zero below 1.2e-38, where they would be flushed to 0).

    Notes
    -----
    Cost O(n_queries · n_database · d) — the brute-force cost of the lecture.

    1. *Frame* (:class:`lshlab.search.euclidean.EuclideanFrame`): data far from the origin are centred on
       their mean in float64 and extreme magnitudes rescaled by a power of two, so float32 arithmetic
       keeps its digits (GPS coordinates, data at offset 1000, values of 1e-300 or 1e30).
    2. *Candidates*: for each block of queries, ``s_j = ‖x_j‖² − 2 qᵀx_j`` (the squared distance minus the
       constant ‖q‖²) comes from one float32 GEMM; ``argpartition`` keeps the ``k + m`` best
       (``m = max(8, k/8)`` spares).
    3. *Exact distances* of the candidates, ``‖x − q‖`` recomputed directly in float64 from the original
       values in bounded chunks (whatever ``k``), sorted by (distance, index).
    4. *Certificate*: with the float32 error bound ``ε`` of step 2 (:func:`~lshlab.search.euclidean.expansion_error`),
       a database row outside the candidates can only be among the k nearest if its score is within
       ``ε`` of the k-th exact distance; when the largest candidate score is above that threshold the
       result is proven exact, otherwise every row within the band is measured too (identical rows once).
    """
    X = check_float_matrix(X, "X")
    Q = check_float_matrix(Q, "Q")
    check_same_width(X, Q, ("X", "Q"), what="features")
    dtype = check_float_dtype(dtype)
    n, d = X.shape
    k = check_k_neighbours(k, n)
    if block_queries is None:
        block_queries = max(1, min(256, (1 << 24) // n))
    block_queries = check_positive_int(block_queries, "block_queries")
    n_jobs = check_n_jobs(n_jobs)
    kk = min(n, k + max(8, k // 8))
    frame = EuclideanFrame.fit(X, Q)
    Xf, Qf = frame.to_frame(X), frame.to_frame(Q)
    x2 = sq_norms(Xf)
    bound = _Band(x2, d)
    ids = _LazyIds(X)
    d2 = np.empty((Q.shape[0], k), dtype=np.float64)
    idx = np.empty((Q.shape[0], k), dtype=np.intp)
    XT = Xf.T

    def work(q0):
        q1 = min(q0 + block_queries, Q.shape[0])
        S = (-2.0 * Qf[q0:q1]) @ XT  # scale the small factor, not the product
        S += x2
        if kk < n:
            cand = np.argpartition(S, kk - 1, axis=1)[:, :kk]
        else:
            cand = np.broadcast_to(np.arange(n), (q1 - q0, n))
        dc = frame.sq_distances(X, cand, Q[q0:q1])
        order = np.lexsort((cand, dc), axis=1)[:, :k]
        d2[q0:q1] = np.take_along_axis(dc, order, axis=1)
        idx[q0:q1] = np.take_along_axis(cand, order, axis=1)
        if kk < n:
            kth = np.take_along_axis(S, cand, axis=1).max(axis=1)  # every other row scores >= kth
            for i in bound.uncertified(Qf[q0:q1], d2[q0:q1, k - 1], kth):
                _widen(i + q0, S[i], cand[i], X, Q, frame, bound, ids, Qf, d2, idx, k)

    starts = range(0, Q.shape[0], block_queries)
    if n_jobs == 1 or len(starts) == 1:
        map_threads(work, starts, 1)
    else:  # one single-threaded GEMM + selection per worker: the selection runs in parallel too
        with threadpool_limits(limits=1, user_api="blas"):
            map_threads(work, starts, n_jobs)
    hint = ("pass dtype=np.float64 for float64 distances, or " if dtype == np.float32 else "") + \
        "rescale X and Q by a power of two (the neighbours do not change)"
    dist = float_output(np.sqrt(d2), frame.exponent, dtype, "the distances of X and Q", hint)
    return dist, idx


class _Band:
    """Which rows may beat the k-th candidate despite float32 rounding (the certificate of step 4).

    In frame units, ``S_ij`` approximates ``‖x̃_j − q̃_i‖² − ‖q̃_i‖²`` within ``ε_ij = γ (‖x̃_j‖² +
    2‖q̃_i‖‖x̃_j‖) + floor``, and the frame's rounding moves ``‖x̃_j − q̃_i‖`` from the true distance
    by at most ``δ_ij = 2u (‖x̃_j‖ + ‖q̃_i‖)``.  Row j can be at distance ≤ D_k (the k-th exact
    candidate distance) only if ``S_ij ≤ (D_k + δ_ij)² − ‖q̃_i‖² + ε_ij``.
    """

    def __init__(self, x2, d):
        self.gamma = expansion_error(d)
        self.floor = underflow_floor(d)
        self.x2 = x2.astype(np.float64)
        self.x2 *= 1.0 + self.gamma  # upper bounds of the norms (x2 itself was rounded)
        self.xn = np.sqrt(self.x2)
        self.x2max = float(self.x2.max())
        self.xnmax = float(self.xn.max())

    def _threshold(self, qn, dk2, x2, xn):
        delta = 2.0 * U32 * (xn + qn)
        eps = self.gamma * (x2 + 2.0 * qn * xn) + self.floor
        t = (np.sqrt(dk2) * (1.0 + 1e-12) + delta) ** 2 - qn * qn
        return t + eps + 8.0 * 2.0**-53 * (qn * qn + dk2)

    def query_norms(self, Qf):
        q2 = np.einsum("ij,ij->i", Qf, Qf, dtype=np.float64)
        return np.sqrt(q2 * (1.0 + 4.0 * 2.0**-53))

    def uncertified(self, Qf, dk2, kth):
        """Rows (within the block) whose k-th exact distance is not proven by the ``kk``-th score."""
        qn = self.query_norms(Qf)
        return np.flatnonzero(kth.astype(np.float64) <= self._threshold(qn, dk2, self.x2max, self.xnmax))

    def rows(self, Sq, qn, dk2):
        """Database rows whose score lies within the band of the k-th distance (one query)."""
        return np.flatnonzero(Sq.astype(np.float64) <= self._threshold(qn, dk2, self.x2, self.xn))


class _LazyIds:
    """Row ids of the database (identical rows share one), computed once on first use by any thread."""

    def __init__(self, X):
        self._X, self._ids, self._lock = X, None, threading.Lock()

    def get(self):
        with self._lock:
            if self._ids is None:
                self._ids = row_ids(self._X)[0]
            return self._ids


def _widen(i, Sq, cand, X, Q, frame, bound, ids, Qf, d2, idx, k):
    """Measure every row of the band of query ``i`` and keep the exact top-k of candidates ∪ band."""
    qn = bound.query_norms(Qf[i : i + 1])[0]
    rows = np.union1d(bound.rows(Sq, qn, d2[i, k - 1]), cand)
    if len(rows) - len(cand) > _DEDUP_EXTRAS:  # many rows in the band: measure identical rows once
        uniq, first, inverse = np.unique(ids.get()[rows], return_index=True, return_inverse=True)
        dr = frame.sq_distances(X, rows[first][None, :], Q[i : i + 1])[0][inverse.ravel()]
    else:
        dr = frame.sq_distances(X, rows[None, :], Q[i : i + 1])[0]
    order = np.lexsort((rows, dr))[:k]
    d2[i], idx[i] = dr[order], rows[order]
