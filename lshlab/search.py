"""Nearest-neighbour search: brute force, a teaching kd-tree, Hamming / Lee code indexes, LSH tables.

Every search returns ``(dist, idx)``, two arrays of shape ``(n_queries, k)`` sorted by ascending
distance.  Euclidean searches return float distances (not squared); code searches return integer
distances.  **Ties** are broken by database index (the smaller index first) wherever distances are
integers, so results are deterministic and identical across backends; for float distances exact ties
are rare and are broken by index among the candidates examined.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from ._validation import (
    check_k,
    check_matrix,
    check_packed_codes,
    check_positive_int,
    check_qary_codes,
    check_same_width,
)
from .distances import (
    _as_words,
    _check_unpacked,
    _hamming_rows,
    _lee_bits_per_symbol,
    _lee_words,
    _sq_norms,
)

__all__ = [
    "brute_force_knn",
    "HammingIndex",
    "LeeIndex",
    "faiss_available",
]


# ----------------------------------------------------------------------------- top-k helper
def _topk_stable(D, k):
    """The ``k`` smallest entries of each row of ``D``, ordered by (value, column index).

    Exact, including ties at the k-th value: every entry strictly below the k-th smallest value is
    kept, and entries equal to it are taken in increasing column order.  ``np.partition`` finds the
    k-th value in O(n) per row; only the (few) entries ``<=`` it are sorted.
    """
    m, n = D.shape
    if k >= n:
        order = np.argsort(D, axis=1, kind="stable")
        return np.take_along_axis(D, order, axis=1), order
    kth = np.partition(D, k - 1, axis=1)[:, k - 1]
    r, c = np.nonzero(D <= kth[:, None])  # row-major: columns ascending within a row
    d = D[r, c]
    if np.issubdtype(D.dtype, np.integer):
        key = r.astype(np.int64) * (int(d.max()) + 1) + d
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((d, r))  # stable: equal (row, value) keep ascending column order
    counts = np.bincount(r, minlength=m)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sel = order[starts[:, None] + np.arange(k)]
    return d[sel], c[sel].astype(np.intp)


def _check_k_value(k, n):
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k <= 0:
        raise ValueError(f"k must be a positive integer (number of neighbours), got {k}")
    return check_k(k, n)


# ----------------------------------------------------------------------------- brute force
def brute_force_knn(X, Q, k, *, block_queries=None):
    """Exact Euclidean k nearest neighbours of each query row, by blocked matrix products.

    Parameters
    ----------
    X : array-like of shape (n_database, d)
    Q : array-like of shape (n_queries, d)
    k : int, 1 <= k <= n_database
    block_queries : int, optional
        Queries per block (default: as many as keep one float32 block ≤ 64 MB).

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
    k = _check_k_value(k, n)
    if block_queries is None:
        block_queries = max(1, min(512, (1 << 24) // n))
    block_queries = check_positive_int(block_queries, "block_queries")
    kk = min(n, k + max(8, k // 8))
    x2 = _sq_norms(X)
    dist = np.empty((Q.shape[0], k), dtype=np.float32)
    idx = np.empty((Q.shape[0], k), dtype=np.intp)
    XT = X.T
    for q0 in range(0, Q.shape[0], block_queries):
        q1 = min(q0 + block_queries, Q.shape[0])
        S = Q[q0:q1] @ XT
        S *= -2.0
        S += x2
        if kk < n:
            cand = np.argpartition(S, kk - 1, axis=1)[:, :kk]
        else:
            cand = np.broadcast_to(np.arange(n), (q1 - q0, n))
        d_exact = _exact_distances(X, Q[q0:q1], cand)
        order = np.lexsort((cand, d_exact), axis=1)[:, :k]
        dist[q0:q1] = np.take_along_axis(d_exact, order, axis=1)
        idx[q0:q1] = np.take_along_axis(cand, order, axis=1)
    return dist, idx


def _exact_distances(X, Q, cand, sub=16):
    """``‖X[cand[i, j]] − Q[i]‖`` in float64, in small query sub-blocks (bounded gather)."""
    out = np.empty(cand.shape, dtype=np.float64)
    for s in range(0, Q.shape[0], sub):
        diff = X[cand[s : s + sub]].astype(np.float64)
        diff -= Q[s : s + sub, None, :]
        out[s : s + sub] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return out


# ----------------------------------------------------------------------------- Hamming index
def faiss_available():
    """True when the optional ``faiss`` package imports."""
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


class HammingIndex:
    """Exact top-k search of binary codes by Hamming distance.

    Parameters
    ----------
    codes : array-like of shape (n_database, n_bits) with 0/1 values, or packed ``uint8`` bytes of
        shape (n_database, n_bytes) when ``packed=True``.
    packed : bool, default False
        Format of ``codes`` **and** of the queries passed to :meth:`search`.
    backend : {"auto", "numpy", "faiss"}, default "auto"
        ``"faiss"`` uses ``faiss.IndexBinaryFlat`` (multi-threaded C++); codes whose length is not
        a multiple of 8 bits are padded with zero bits in database and queries alike, which leaves
        every distance unchanged.  ``"numpy"`` uses the blocked ``np.bitwise_count`` kernel of
        :func:`lshlab.distances.hamming_distance_matrix` and a stable top-k.  ``"auto"`` uses faiss
        when it is importable, else numpy.

    Attributes
    ----------
    n_bits : int
        Code length (``8 · n_bytes`` for packed input).
    backend_ : str
        The backend in use.

    Notes
    -----
    Results are sorted by (distance, database index): among codes at the same distance, the smaller
    index comes first, and a tie at the k-th distance keeps the smallest indices.  Both backends
    return identical arrays (faiss heaps compare (distance, id) pairs; tested).
    """

    def __init__(self, codes, packed=False, backend="auto"):
        if backend not in ("auto", "numpy", "faiss"):
            raise ValueError(f"backend must be 'auto', 'numpy' or 'faiss', got {backend!r}")
        self.packed = bool(packed)
        if self.packed:
            P = check_packed_codes(codes, "codes")
            self.n_bits = 8 * P.shape[1]
        else:
            B = _check_unpacked(codes, "codes")
            self.n_bits = B.shape[1]
            P = np.packbits(B, axis=1)
        self._packed_db = P
        self.n_database = P.shape[0]
        if backend == "auto":
            backend = "faiss" if faiss_available() else "numpy"
        if backend == "faiss" and not faiss_available():
            raise ValueError("backend='faiss' needs the faiss package (pip install faiss-cpu); use 'numpy'")
        self.backend_ = backend
        if backend == "faiss":
            import faiss

            self._faiss = faiss.IndexBinaryFlat(8 * P.shape[1])
            self._faiss.add(P)
        else:
            self._words = _as_words(P)

    def _queries(self, Q):
        if self.packed:
            P = check_packed_codes(Q, "Q")
            check_same_width(self._packed_db, P, ("codes", "Q"), what="bytes per code")
            return P
        B = _check_unpacked(Q, "Q")
        if B.shape[1] != self.n_bits:
            raise ValueError(
                f"Q has {B.shape[1]} bits per code but the index holds {self.n_bits}-bit codes; "
                "encode queries with the same hasher"
            )
        return np.packbits(B, axis=1)

    def search(self, Q, k):
        """Return ``(dist, idx)``: the ``k`` nearest codes of each query row.

        Parameters
        ----------
        Q : array-like, same format (packed or not) and code length as the database codes.
        k : int, 1 <= k <= n_database

        Returns
        -------
        dist : ndarray of int32, shape (n_queries, k), ascending Hamming distances
        idx : ndarray of intp, shape (n_queries, k), ties by increasing database index
        """
        P = self._queries(Q)
        k = _check_k_value(k, self.n_database)
        if self.backend_ == "faiss":
            D, I = self._faiss.search(np.ascontiguousarray(P), k)
            return D.astype(np.int32, copy=False), I.astype(np.intp, copy=False)
        return self._search_numpy(_as_words(P), k)

    def _search_numpy(self, Wq, k, block=128):
        nq = Wq.shape[0]
        dist = np.empty((nq, k), dtype=np.int32)
        idx = np.empty((nq, k), dtype=np.intp)
        for q0 in range(0, nq, block):
            q1 = min(q0 + block, nq)
            D = _hamming_rows(Wq[q0:q1], self._words, self.n_bits)
            d, i = _topk_stable(D, k)
            dist[q0:q1], idx[q0:q1] = d, i
        return dist, idx


class LeeIndex:
    """Exact top-k search of q-ary codes by Lee distance.

    The codes are mapped once by the cyclic thermometer embedding of
    :func:`lshlab.distances.lee_to_hamming` (q/2 bits per symbol for even q; q bits with doubled
    distances for odd q) and searched with a :class:`HammingIndex`; distances are halved back for
    odd q.  The embedding is isometric, so results — including ties, broken by database index —
    are exactly those of a brute-force Lee search.

    Parameters
    ----------
    codes : array-like of shape (n_database, n_symbols), integers in 0 … q−1
    q : int >= 2
    backend : passed to :class:`HammingIndex`.
    """

    def __init__(self, codes, q, backend="auto"):
        self.q = check_positive_int(q, "q", minimum=2)
        C = check_qary_codes(codes, self.q, "codes")
        self.n_symbols = C.shape[1]
        self.n_database = C.shape[0]
        words = _lee_words(C, self.q)
        self._index = HammingIndex(words.view(np.uint8), packed=True, backend=backend)
        self.backend_ = self._index.backend_
        self.n_bits_embedded = self.n_symbols * _lee_bits_per_symbol(self.q)

    def search(self, Q, k):
        """Return ``(dist, idx)`` (int32 Lee distances ascending, intp indices), shape (n_queries, k)."""
        Q = check_qary_codes(Q, self.q, "Q")
        if Q.shape[1] != self.n_symbols:
            raise ValueError(
                f"Q has {Q.shape[1]} symbols per code but the index holds {self.n_symbols}; "
                "encode queries with the same hasher"
            )
        dist, idx = self._index.search(_lee_words(Q, self.q).view(np.uint8), k)
        if self.q % 2:
            dist //= 2
        return dist, idx
