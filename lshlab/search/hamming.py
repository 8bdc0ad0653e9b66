"""Exact top-k search of binary codes by Hamming distance, and of q-ary codes by Lee distance.

``HammingIndex.search`` / ``LeeIndex.search`` return ``(dist, idx)`` of shape ``(n_queries, k)``:
int32 distances ascending, ties broken by database index (the smaller index first), identical
across the numpy and faiss backends.
"""

from __future__ import annotations

import numpy as np

from .._parallel import map_threads
from .._validation import (
    check_k_neighbours,
    check_n_jobs,
    check_positive_int,
    check_qary_codes,
    packed_binary_codes,
    packed_query_codes,
)
from .primitives import (
    as_words,
    hamming_rows,
    lee_bits_per_symbol,
    lee_direct_rows,
    lee_symbols_t,
    lee_uses_embedding,
    lee_words,
    topk_stable,
    transpose_words,
)

__all__ = ["HammingIndex", "LeeIndex", "faiss_available", "blocked_topk"]


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
        when it is importable (fastest at every code length on an idle machine; see
        ``benchmarks/bench_search.py``), else numpy.
    n_jobs : int or None, default None
        Threads of the numpy backend (query blocks in parallel; numpy releases the GIL in its
        kernels).  None = the number of CPU cores, as faiss uses by default.

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

    def __init__(self, codes, packed=False, backend="auto", n_jobs=None):
        self.n_jobs = n_jobs
        if n_jobs is not None:
            check_positive_int(n_jobs, "n_jobs")
        if backend not in ("auto", "numpy", "faiss"):
            raise ValueError(f"backend must be 'auto', 'numpy' or 'faiss', got {backend!r}")
        self.packed = bool(packed)
        P, self.n_bits = packed_binary_codes(codes, self.packed, "codes")
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
            self._words_t = transpose_words(as_words(P))  # one contiguous row per 64-bit word

    def _queries(self, Q):
        return packed_query_codes(Q, self.packed, self.n_bits, self._packed_db.shape[1])

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
        k = check_k_neighbours(k, self.n_database)
        if self.backend_ == "faiss":
            D, I = self._faiss.search(np.ascontiguousarray(P), k)
            return D.astype(np.int32, copy=False), I.astype(np.intp, copy=False)
        return self._search_numpy(as_words(P), k)

    def _search_numpy(self, Wq, k):
        return blocked_topk(Wq.shape[0], k, self.n_jobs,
                            lambda q0, q1: hamming_rows(Wq[q0:q1], self._words_t, self.n_bits))


def blocked_topk(n_queries, k, n_jobs, distances, block=128):
    """``(dist, idx)`` of the k smallest distances per query, ties by index, computed in query blocks.

    ``distances(q0, q1)`` returns the integer distance block of queries ``q0:q1`` to the whole database;
    blocks run on ``n_jobs`` threads (numpy releases the GIL inside its kernels and partitions).
    """
    dist = np.empty((n_queries, k), dtype=np.int32)
    idx = np.empty((n_queries, k), dtype=np.intp)

    def work(q0):
        q1 = min(q0 + block, n_queries)
        d, idx[q0:q1] = topk_stable(distances(q0, q1), k)
        dist[q0:q1] = d

    map_threads(work, range(0, n_queries, block), check_n_jobs(n_jobs))
    return dist, idx


class LeeIndex:
    """Exact top-k search of q-ary codes by Lee distance.

    For alphabets whose embedding is short (up to 24 bits per symbol: even q ≤ 48, odd q ≤ 23) the codes
    are mapped once by the cyclic thermometer embedding of :func:`lshlab.distances.lee_to_hamming`
    (q/2 bits per symbol for even q; q bits with doubled distances for odd q) and searched with a
    :class:`HammingIndex`; distances are halved back for odd q.  Larger alphabets, where the embedding
    would cost q/2 bits per symbol (32,768 at q = 65,536), are searched symbol by symbol
    (:func:`lshlab.search.primitives.lee_direct_rows`, memory of the codes themselves) — unless
    ``backend="faiss"`` is asked for explicitly, which always embeds.  Both are exact: results —
    including ties, broken by database index — are those of a brute-force Lee search.

    Parameters
    ----------
    codes : array-like of shape (n_database, n_symbols), integers in 0 … q−1
    q : int >= 2
    backend, n_jobs : passed to :class:`HammingIndex` (the direct kernel uses ``n_jobs`` threads).

    Attributes
    ----------
    method_ : {"embedding", "direct"}
        How distances are computed.
    backend_ : str
        ``"numpy"`` or ``"faiss"`` (the Hamming backend of the embedding; ``"numpy"`` for direct).
    n_bits_embedded : int
        Length of the embedding ``n_symbols · lee_bits_per_symbol(q)`` (whether or not it is used).
    """

    def __init__(self, codes, q, backend="auto", n_jobs=None):
        self.q = check_positive_int(q, "q", minimum=2)
        if backend not in ("auto", "numpy", "faiss"):
            raise ValueError(f"backend must be 'auto', 'numpy' or 'faiss', got {backend!r}")
        if n_jobs is not None:
            check_positive_int(n_jobs, "n_jobs")
        self.n_jobs = n_jobs
        C = check_qary_codes(codes, self.q, "codes")
        self.n_symbols = C.shape[1]
        self.n_database = C.shape[0]
        self.n_bits_embedded = self.n_symbols * lee_bits_per_symbol(self.q)
        if lee_uses_embedding(self.q) or backend == "faiss":
            self.method_ = "embedding"
            words = lee_words(C, self.q)
            self._index = HammingIndex(words.view(np.uint8), packed=True, backend=backend, n_jobs=n_jobs)
            self.backend_ = self._index.backend_
        else:
            self.method_ = "direct"
            self.backend_ = "numpy"
            self._symbols_t = lee_symbols_t(C, self.q)

    def search(self, Q, k):
        """Return ``(dist, idx)`` (int32 Lee distances ascending, intp indices), shape (n_queries, k)."""
        Q = check_qary_codes(Q, self.q, "Q")
        if Q.shape[1] != self.n_symbols:
            raise ValueError(
                f"Q has {Q.shape[1]} symbols per code but the index holds {self.n_symbols}; "
                "encode queries with the same hasher"
            )
        if self.method_ == "direct":
            return blocked_topk(Q.shape[0], check_k_neighbours(k, self.n_database), self.n_jobs,
                                lambda q0, q1: lee_direct_rows(Q[q0:q1], self._symbols_t, self.q))
        dist, idx = self._index.search(lee_words(Q, self.q).view(np.uint8), k)
        if self.q % 2:
            dist //= 2
        return dist, idx
