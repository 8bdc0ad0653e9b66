"""Exact Euclidean k nearest neighbours by blocked matrix products — the baseline every index beats.

Returns ``(dist, idx)`` of shape ``(n_queries, k)``: float32 Euclidean distances (not squared),
ascending, ties by database index among the candidates examined.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from .._validation import check_k_neighbours, check_matrix, check_n_jobs, check_positive_int, check_same_width
from .primitives import rescale_pair, sq_norms

__all__ = ["brute_force_knn"]


def brute_force_knn(X, Q, k, *, block_queries=None, n_jobs=None):
    """Exact Euclidean k nearest neighbours of each query row, by blocked matrix products.

    Parameters
    ----------
    X : array-like of shape (n_database, d)
    Q : array-like of shape (n_queries, d)
    k : int, 1 <= k <= n_database
    block_queries : int, optional
        Queries per block (default: at most 256, and one float32 block ≤ 64 MB).
    n_jobs : int or None, default None
        Worker threads, each running whole query blocks (single-threaded GEMM, selection and
        re-ranking); None = the number of CPU cores.  With one block, BLAS threads are used instead.

    Returns
    -------
    dist : ndarray of float32, shape (n_queries, k), ascending Euclidean distances
    idx : ndarray of intp, shape (n_queries, k), database row indices

    Notes
    -----
    Cost O(n_queries · n_database · d) — the brute-force cost of the lecture.  For each block of
    queries, ``s_j = ‖x_j‖² − 2 qᵀx_j`` (the squared distance minus the constant ‖q‖²) comes from one
    float32 GEMM; ``argpartition`` keeps the ``k + m`` best (m = max(8, k/8) spare candidates to
    absorb float32 rounding), whose distances are then recomputed directly as ``‖x − q‖`` in float64
    and sorted by (distance, index).  The returned distances are therefore accurate even for
    near-duplicates, where the GEMM expansion cancels.
    """
    X = check_matrix(X, "X")
    Q = check_matrix(Q, "Q")
    check_same_width(X, Q, ("X", "Q"), what="features")
    n = X.shape[0]
    k = check_k_neighbours(k, n)
    if block_queries is None:
        block_queries = max(1, min(256, (1 << 24) // n))
    block_queries = check_positive_int(block_queries, "block_queries")
    n_jobs = check_n_jobs(n_jobs)
    kk = min(n, k + max(8, k // 8))
    X, Q, scale = rescale_pair(X, Q)  # power-of-two rescaling of extreme magnitudes (exact)
    x2 = sq_norms(X)
    dist = np.empty((Q.shape[0], k), dtype=np.float32)
    idx = np.empty((Q.shape[0], k), dtype=np.intp)
    XT = X.T

    def work(q0):
        q1 = min(q0 + block_queries, Q.shape[0])
        S = (-2.0 * Q[q0:q1]) @ XT  # scale the small factor, not the product
        S += x2
        if kk < n:
            cand = np.argpartition(S, kk - 1, axis=1)[:, :kk]
        else:
            cand = np.broadcast_to(np.arange(n), (q1 - q0, n))
        d_exact = _exact_distances(X, Q[q0:q1], cand)
        order = np.lexsort((cand, d_exact), axis=1)[:, :k]
        dist[q0:q1] = np.take_along_axis(d_exact, order, axis=1)
        idx[q0:q1] = np.take_along_axis(cand, order, axis=1)

    starts = range(0, Q.shape[0], block_queries)
    if n_jobs == 1 or len(starts) == 1:
        for q0 in starts:
            work(q0)
    else:  # one single-threaded GEMM + selection per worker: the selection runs in parallel too
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(max_workers=n_jobs) as pool:
            list(pool.map(work, starts))
    if scale != 1.0:
        dist *= np.float32(scale)
    return dist, idx


def _exact_distances(X, Q, cand, sub=16):
    """``‖X[cand[i, j]] − Q[i]‖`` in float64, in small query sub-blocks (bounded gather)."""
    out = np.empty(cand.shape, dtype=np.float64)
    for s in range(0, Q.shape[0], sub):
        diff = X[cand[s : s + sub]].astype(np.float64)
        diff -= Q[s : s + sub, None, :]
        out[s : s + sub] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return out
