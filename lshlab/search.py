"""Nearest-neighbour search: brute force, a teaching kd-tree, Hamming / Lee code indexes, LSH tables.

Every search returns ``(dist, idx)``, two arrays of shape ``(n_queries, k)`` sorted by ascending
distance.  Euclidean searches return float distances (not squared); code searches return integer
distances.  **Ties** are broken by database index (the smaller index first) wherever distances are
integers, so results are deterministic and identical across backends; for float distances exact ties
are rare and are broken by index among the candidates examined.
"""

from __future__ import annotations

import heapq
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

from ._validation import (
    check_k,
    check_matrix,
    check_packed_codes,
    check_positive_int,
    check_qary_codes,
    check_same_width,
)
from .distances import (
    _acc_dtype,
    _as_words,
    _check_unpacked,
    _hamming_rows,
    _transpose_words,
    _lee_bits_per_symbol,
    _lee_words,
    _rescale_pair,
    _sq_norms,
)

__all__ = [
    "brute_force_knn",
    "HammingIndex",
    "LeeIndex",
    "KDTree",
    "KDNode",
    "QueryStats",
    "HashTables",
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
    flat = np.flatnonzero(D <= kth[:, None])  # row-major: columns ascending within a row
    r, c = np.divmod(flat, n)  # (1-D flatnonzero is ~10× faster than 2-D nonzero)
    d = D.ravel()[flat]
    if np.issubdtype(D.dtype, np.integer):
        key = r.astype(np.int64) * (int(d.max()) + 1) + d
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((d, r))  # stable: equal (row, value) keep ascending column order
    counts = np.bincount(r, minlength=m)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sel = order[starts[:, None] + np.arange(k)]
    return d[sel], c[sel].astype(np.intp)


def _n_threads(n_jobs):
    """Threads for ``n_jobs`` (None = the CPU cores, at most 8, as faiss uses by default)."""
    if n_jobs is None:
        return max(1, min(os.cpu_count() or 1, 8))
    return check_positive_int(n_jobs, "n_jobs")


def _check_k_value(k, n):
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k <= 0:
        raise ValueError(f"k must be a positive integer (number of neighbours), got {k}")
    return check_k(k, n)


# ----------------------------------------------------------------------------- brute force
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
    k = _check_k_value(k, n)
    if block_queries is None:
        block_queries = max(1, min(256, (1 << 24) // n))
    block_queries = check_positive_int(block_queries, "block_queries")
    n_jobs = _n_threads(n_jobs)
    kk = min(n, k + max(8, k // 8))
    X, Q, scale = _rescale_pair(X, Q)  # power-of-two rescaling of extreme magnitudes (exact)
    x2 = _sq_norms(X)
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
            self._words_t = _transpose_words(_as_words(P))  # one contiguous row per 64-bit word

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

        def work(q0):
            q1 = min(q0 + block, nq)
            D = _hamming_rows(Wq[q0:q1], self._words_t, self.n_bits)
            dist[q0:q1], idx[q0:q1] = _topk_stable(D, k)

        starts = range(0, nq, block)
        n_jobs = _n_threads(self.n_jobs)
        if n_jobs == 1 or len(starts) == 1:
            for q0 in starts:
                work(q0)
        else:  # numpy releases the GIL inside ufuncs and partitions: query blocks run in parallel
            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                list(pool.map(work, starts))
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
    backend, n_jobs : passed to :class:`HammingIndex`.
    """

    def __init__(self, codes, q, backend="auto", n_jobs=None):
        self.q = check_positive_int(q, "q", minimum=2)
        C = check_qary_codes(codes, self.q, "codes")
        self.n_symbols = C.shape[1]
        self.n_database = C.shape[0]
        words = _lee_words(C, self.q)
        self._index = HammingIndex(words.view(np.uint8), packed=True, backend=backend, n_jobs=n_jobs)
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


# ----------------------------------------------------------------------------- teaching kd-tree
@dataclass
class KDNode:
    """One node of :class:`KDTree`.

    Attributes
    ----------
    id, depth : int
    start, end : int
        The node holds the points ``tree.idx_array[start:end]`` (indices into ``X``).
    split_dim : int
        Coordinate split at this node (−1 for a leaf).
    split_value : float
        Median coordinate: the left child holds points with ``x[split_dim] <= split_value``, the
        right child points with ``x[split_dim] >= split_value`` (nan for a leaf).
    left, right : int
        Child node ids (−1 for a leaf).
    lower, upper : ndarray of shape (d,)
        Tight bounding box of the node's points.
    cell_lower, cell_upper : ndarray of shape (d,)
        The node's cell in the recursive partition (root cell = bounding box of all points); the
        children's cells are the two halves cut at ``split_value``.  Draw these for the partition.
    """

    id: int
    depth: int
    start: int
    end: int
    lower: np.ndarray
    upper: np.ndarray
    cell_lower: np.ndarray
    cell_upper: np.ndarray
    split_dim: int = -1
    split_value: float = float("nan")
    left: int = -1
    right: int = -1

    @property
    def is_leaf(self):
        return self.left < 0

    @property
    def n_points(self):
        return self.end - self.start


@dataclass
class QueryStats:
    """Work done by the last :meth:`KDTree.query`, per query: nodes and leaves entered and
    point-to-query distances computed (brute force computes ``n`` per query)."""

    nodes_visited: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    leaves_visited: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    distance_computations: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


class KDTree:
    """A readable kd-tree (Bentley 1975; Friedman, Bentley & Finkel 1977) with exact k-NN queries.

    Build: a node holding more than ``leaf_size`` points is split at the **median** of its
    **widest-spread** coordinate (the rule scikit-learn uses), recursively, so the tree is balanced
    with depth ≈ log2(n / leaf_size) and leaves hold between ⌈leaf_size / 2⌉ and ``leaf_size``
    points.  Query: depth-first descent to the query's leaf, then **backtracking** — the far child
    of a node is entered only if the query's cell lower bound
    ``rd = Σ_j (distance from q to the cell along j)²`` (updated incrementally per split, Arya &
    Mount 1993) is below the current k-th best squared distance.  Leaves are scanned with one
    vectorised numpy expression.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Stored in float64 (the precision scikit-learn's ``KDTree`` uses), so distances match it.
    leaf_size : int, default 10

    Attributes
    ----------
    nodes : list of :class:`KDNode` (``nodes[0]`` is the root)
    idx_array : ndarray of intp, the point indices in leaf order
    query_stats : :class:`QueryStats` of the last :meth:`query`

    Notes
    -----
    Results are exactly the k nearest neighbours, ordered by (distance, index); they equal
    ``sklearn.neighbors.KDTree(X).query(Q, k)`` whenever no two database points are at exactly the
    same distance from a query at the k-th place (with exact ties any choice is correct, and
    scikit-learn's choice depends on its traversal order).
    """

    def __init__(self, X, leaf_size=10):
        self.X = check_matrix(X, "X", dtype=np.float64)
        self.leaf_size = check_positive_int(leaf_size, "leaf_size")
        n, d = self.X.shape
        self.n_features = d
        self.idx_array = np.arange(n, dtype=np.intp)
        self.nodes = []
        lo, hi = self.X.min(axis=0), self.X.max(axis=0)
        self._build(0, n, 0, lo, hi)
        self._Xp = self.X[self.idx_array]  # points in leaf order: a leaf is a contiguous slice
        # flat per-node lists: fast scalar access in the query loop
        self._dim = [nd.split_dim for nd in self.nodes]
        self._val = [nd.split_value for nd in self.nodes]
        self._left = [nd.left for nd in self.nodes]
        self._right = [nd.right for nd in self.nodes]
        self._start = [nd.start for nd in self.nodes]
        self._end = [nd.end for nd in self.nodes]
        self.query_stats = QueryStats()

    # -- build ------------------------------------------------------------------------
    def _build(self, start, end, depth, cell_lo, cell_hi):
        pts = self.X[self.idx_array[start:end]]
        node = KDNode(len(self.nodes), depth, start, end, pts.min(axis=0), pts.max(axis=0), cell_lo, cell_hi)
        self.nodes.append(node)
        if end - start <= self.leaf_size:
            return node.id
        dim = int(np.argmax(node.upper - node.lower))
        mid = (start + end) // 2
        sub = self.idx_array[start:end]
        order = np.argpartition(pts[:, dim], mid - start)
        self.idx_array[start:end] = sub[order]
        value = float(self.X[self.idx_array[mid], dim])
        node.split_dim, node.split_value = dim, value
        left_hi, right_lo = cell_hi.copy(), cell_lo.copy()
        left_hi[dim] = value
        right_lo[dim] = value
        node.left = self._build(start, mid, depth + 1, cell_lo, left_hi)
        node.right = self._build(mid, end, depth + 1, right_lo, cell_hi)
        return node.id

    @property
    def depth(self):
        """Depth of the deepest leaf (root = 0)."""
        return max(nd.depth for nd in self.nodes)

    def leaves(self):
        """The leaf nodes, in left-to-right order."""
        return [nd for nd in self.nodes if nd.is_leaf]

    # -- query ------------------------------------------------------------------------
    def query(self, Q, k=1):
        """Exact k nearest neighbours of each row of ``Q``.

        Returns
        -------
        dist : ndarray of float64, shape (n_queries, k), ascending Euclidean distances
        idx : ndarray of intp, shape (n_queries, k), ties by increasing index

        The work per query is recorded in :attr:`query_stats`.
        """
        Q = check_matrix(Q, "Q", dtype=np.float64)
        if Q.shape[1] != self.n_features:
            raise ValueError(f"Q has {Q.shape[1]} features but the tree was built on {self.n_features}")
        k = _check_k_value(k, self.X.shape[0])
        nq = Q.shape[0]
        dist = np.empty((nq, k))
        idx = np.empty((nq, k), dtype=np.intp)
        stats = QueryStats(np.zeros(nq, np.int64), np.zeros(nq, np.int64), np.zeros(nq, np.int64))
        for i in range(nq):
            d2, ii, counts = self._query_one(Q[i], k)
            dist[i], idx[i] = np.sqrt(d2), ii
            stats.nodes_visited[i], stats.leaves_visited[i], stats.distance_computations[i] = counts
        self.query_stats = stats
        return dist, idx

    def _query_one(self, q, k):
        """Depth-first search with backtracking for one query; returns (sorted d², indices, counts)."""
        qs = q.tolist()
        Xp, perm = self._Xp, self.idx_array
        dim_, val_, left_, right_ = self._dim, self._val, self._left, self._right
        start_, end_ = self._start, self._end
        heap = []  # max-heap of the k best as (-d², -index): the worst candidate on top
        off = [0.0] * len(qs)  # per-coordinate distance from q to the current cell
        counts = [0, 0, 0]

        def visit(node, rd):
            if len(heap) == k and rd > -heap[0][0]:
                return  # the whole cell is farther than the current k-th neighbour: prune
            counts[0] += 1
            dim = dim_[node]
            if dim < 0:  # leaf: scan its points at once
                s, e = start_[node], end_[node]
                counts[1] += 1
                counts[2] += e - s
                diff = Xp[s:e] - q
                d2 = np.einsum("ij,ij->i", diff, diff)
                js = range(e - s) if len(heap) < k else np.flatnonzero(d2 <= -heap[0][0]).tolist()
                for j in js:
                    item = (-float(d2[j]), -int(perm[s + j]))
                    if len(heap) < k:
                        heapq.heappush(heap, item)
                    elif item > heap[0]:  # (d², index) smaller than the worst kept
                        heapq.heapreplace(heap, item)
                return
            diff = qs[dim] - val_[node]
            near, far = (left_[node], right_[node]) if diff < 0 else (right_[node], left_[node])
            visit(near, rd)
            old = off[dim]
            rd_far = rd - old * old + diff * diff  # cell bound of the far child
            off[dim] = diff
            visit(far, rd_far)
            off[dim] = old

        visit(0, 0.0)
        heap.sort(reverse=True)
        d2 = np.array([-h[0] for h in heap])
        ii = np.array([-h[1] for h in heap], dtype=np.intp)
        return d2, ii, counts


# ----------------------------------------------------------------------------- LSH hash tables
class _ProjectionBound:
    """A cheap lower bound of ``‖x − q‖`` for filter-and-refine re-ranking.

    With an orthonormal basis ``P`` (d × m, the top principal axes of the database) and centre
    ``μ``, write ``x − μ = P z_x + r_x`` with ``r_x ⟂ span(P)``.  Then
    ``‖x − q‖² = ‖z_x − z_q‖² + ‖r_x − r_q‖² ≥ ‖z_x − z_q‖² + (‖r_x‖ − ‖r_q‖)²`` (reverse triangle
    inequality on the residuals).  The bound costs ``m + 1`` numbers per point instead of ``d``, and
    any orthonormal ``P`` makes it valid; principal axes only make it tight.  This is the GEMINI
    filter-and-refine principle (Faloutsos et al. 1994) with a PCA feature space.
    """

    def __init__(self, X, n_dims, rng):
        n, d = X.shape
        sample = X if n <= 10_000 else X[np.sort(rng.choice(n, 10_000, replace=False))]
        self.mean = sample.mean(axis=0, dtype=np.float64)
        S = sample.astype(np.float64) - self.mean
        # the top n_dims eigenvectors only (orthonormal to ~1e-15 whatever the sample); one BLAS
        # thread: threaded dsyevr/dsyevd can stall for seconds on a busy 2-core machine
        with threadpool_limits(limits=1, user_api="blas"):
            _, V = scipy.linalg.eigh(S.T @ S, subset_by_index=[d - n_dims, d - 1])
        self.basis = np.ascontiguousarray(V[:, ::-1])
        self.Z = np.empty((n, n_dims), dtype=np.float32)
        self.z2 = np.empty(n, dtype=np.float32)  # ‖z_x‖², for ‖z_x − z_q‖² = ‖z_x‖² − 2 z_x·z_q + ‖z_q‖²
        self.R = np.empty(n, dtype=np.float32)
        rho2 = 0.0
        for s in range(0, n, 4096):
            z, r = self._project(X[s : s + 4096])
            self.Z[s : s + 4096], self.R[s : s + 4096] = z, r
            z2 = np.einsum("ij,ij->i", z, z)
            self.z2[s : s + 4096] = z2
            rho2 = max(rho2, float(z2.max()) + float((r * r).max()))
        # float32 storage and float32 arithmetic (the expansion above cancels to ~1e-7 of ‖z‖²)
        # perturb the bound by well under 1e-5 of the largest squared norm; this slack keeps it a
        # bound, so pruning stays exact, at negligible cost.
        self.slack = 1e-5 * rho2

    def _project(self, X):
        Xc = X.astype(np.float64) - self.mean
        z = Xc @ self.basis
        r2 = np.einsum("ij,ij->i", Xc, Xc) - np.einsum("ij,ij->i", z, z)
        return z, np.sqrt(np.maximum(r2, 0.0))

    def project(self, Q):
        """``(z_q, ‖z_q‖², ‖r_q‖)`` of the query rows, float32."""
        z, r = self._project(Q)
        return z.astype(np.float32), np.einsum("ij,ij->i", z, z).astype(np.float32), r.astype(np.float32)

    def lower_bounds(self, c, zq, zq2, rq, buf):
        """Squared lower bounds of ``‖x_c − q‖`` for the database rows ``c`` (one gather + one GEMV)."""
        Zc = np.take(self.Z, c, axis=0, out=buf[: len(c)])
        lb = Zc @ zq
        lb *= -2.0
        lb += self.z2[c]
        lb += zq2
        dr = self.R[c]
        dr -= rq
        dr *= dr
        lb += dr
        return lb


class HashTables:
    """Classic LSH index: ``L`` hash tables, each keyed by a ``K``-hash code; exact re-ranking.

    Each table ``t`` uses its own hasher ``g_t = hasher_factory(seed_t)`` (for instance
    ``lambda s: RandomHyperplaneHash(n_bits=K, random_state=s)``: K concatenated hashes, the AND
    step).  :meth:`fit` puts every database point in bucket ``g_t(x)`` of every table.  A query
    collects the union of its ``L`` buckets (the OR step) — the *candidates* — and ranks them by
    exact Euclidean distance (Indyk & Motwani 1998; Gionis, Indyk & Motwani 1999).  A near pair
    with per-hash collision probability p is a candidate with probability ``1 − (1 − p^K)^L``
    (:func:`lshlab.hashing.random_projection.amplified_collision_probability`).

    With ``metric="hamming"`` the data are binary codes (0/1, one column per bit), typically hashed
    with :class:`~lshlab.hashing.BitSamplingHash`, and candidates are ranked by exact Hamming distance
    on the packed codes (popcount), ties by index, as :class:`HammingIndex` ranks the whole database.

    For Euclidean data, re-ranking is *filter-and-refine*: a lower bound of every candidate's distance from ``m``
    principal-axis coordinates plus the residual norm (see ``rerank_dims``) is computed first, the
    ``2k + 16`` smallest bounds are measured exactly, and only candidates whose bound does not
    exceed the k-th exact distance found are measured too.  A candidate that is skipped is provably
    farther than the k-th neighbour, so the result is the exact top-k of the candidate set, and most
    of the ``d``-float gathers (the memory-bound part of LSH re-ranking) are avoided.

    Parameters
    ----------
    hasher_factory : callable ``seed -> unfitted hasher``
        Any :class:`lshlab.hashing._base.BaseHasher` (binary codes are keyed by their packed bytes,
        integer codes such as :class:`~lshlab.hashing.PStableHash` by their raw bytes).
    n_tables : int, default 8
    random_state : int, RandomState or None
        Draws the per-table seeds passed to ``hasher_factory`` (and the PCA sample of the bound).
    rerank_dims : int or "auto", default "auto"
        Principal axes ``m`` of the re-ranking bound; 0 measures every candidate directly.
        ``"auto"``: 64 when the data have more than 128 features, else 0 (in low dimension a full
        row costs no more than the bound).  Euclidean metric only.
    metric : {"euclidean", "hamming"}, default "euclidean"
        ``"hamming"``: ``X`` and the queries are 0/1 codes, ranked by Hamming distance.
    n_jobs : int or None, default None
        Threads that share the queries (numpy releases the GIL in gathers and products).  None =
        the number of CPU cores.

    Attributes
    ----------
    hashers_ : list of fitted hashers, one per table
    buckets_ : list of dict ``bytes key -> ndarray of database indices`` (ascending)
    seeds_ : ndarray of the per-table seeds
    rerank_dims_ : int
        ``m`` in use.
    last_n_candidates_ : ndarray of int, shape (n_queries,)
        Distinct candidates per query in the last :meth:`query` / :meth:`candidates` (the cost to
        plot recall against).
    last_n_exact_ : ndarray of int, shape (n_queries,)
        Candidates whose full distance the last :meth:`query` computed (after the bound).
    """

    def __init__(self, hasher_factory, n_tables=8, random_state=None, rerank_dims="auto", n_jobs=None,
                 metric="euclidean"):
        self.hasher_factory = hasher_factory
        self.n_tables = n_tables
        self.random_state = random_state
        self.rerank_dims = rerank_dims
        self.n_jobs = n_jobs
        self.metric = metric

    def fit(self, X):
        """Fit one hasher per table on ``X``, fill the buckets and prepare the re-ranking bound."""
        from sklearn.utils import check_random_state

        if not callable(self.hasher_factory):
            raise ValueError(f"hasher_factory must be a callable seed -> hasher, got {self.hasher_factory!r}")
        L = check_positive_int(self.n_tables, "n_tables")
        if self.n_jobs is not None:
            check_positive_int(self.n_jobs, "n_jobs")
        if self.metric not in ("euclidean", "hamming"):
            raise ValueError(f"metric must be 'euclidean' or 'hamming', got {self.metric!r}")
        if self.metric == "hamming":
            self.X_ = _check_unpacked(X, "X")
            self._words = _as_words(np.packbits(self.X_, axis=1))
            m = 0
        else:
            self.X_ = check_matrix(X, "X")
            m = self._check_rerank_dims(self.X_.shape[1])
        rng = check_random_state(self.random_state)
        self.seeds_ = rng.randint(0, 2**31 - 1, size=L)
        self.hashers_, self.buckets_ = [], []
        for seed in self.seeds_:
            hasher = self.hasher_factory(int(seed))
            if not (hasattr(hasher, "fit") and hasattr(hasher, "transform")):
                raise ValueError(f"hasher_factory must return an estimator with fit/transform, got {hasher!r}")
            hasher.fit(self.X_)
            self.hashers_.append(hasher)
            self.buckets_.append(self._fill(self._keys(hasher, self.X_)))
        self.rerank_dims_ = m
        self._bound = _ProjectionBound(self.X_, m, rng) if m else None
        self.last_n_candidates_ = np.zeros(0, dtype=np.int64)
        self.last_n_exact_ = np.zeros(0, dtype=np.int64)
        return self

    def _check_rerank_dims(self, d):
        m = self.rerank_dims
        if isinstance(m, str) and m == "auto":
            return 64 if d > 128 else 0
        if isinstance(m, (int, np.integer)) and not isinstance(m, bool) and 0 <= m < d:
            return int(m)
        raise ValueError(
            f"rerank_dims must be 'auto' or an integer in [0, {d}) (principal axes of the re-ranking "
            f"bound, below the {d} features), got {m!r}"
        )

    @staticmethod
    def _keys(hasher, X):
        """Codes as a C-contiguous byte matrix, one row (= one bucket key) per sample."""
        codes = hasher.transform(X, packed=True) if getattr(hasher, "_binary", True) else hasher.transform(X)
        codes = np.ascontiguousarray(codes)
        return codes.view(np.uint8).reshape(codes.shape[0], -1)

    @staticmethod
    def _fill(keys):
        """dict key -> ascending indices, grouping equal rows with one sort (no per-point loop)."""
        rows = keys.view(np.dtype((np.void, keys.shape[1]))).ravel()
        uniq, inverse, counts = np.unique(rows, return_inverse=True, return_counts=True)
        order = np.argsort(inverse, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(counts)))
        return {uniq[j].tobytes(): order[bounds[j] : bounds[j + 1]] for j in range(len(uniq))}

    def _check_fitted(self):
        if not hasattr(self, "buckets_"):
            raise ValueError("HashTables is not fitted yet; call fit(X) first")

    def _check_queries(self, Q):
        self._check_fitted()
        if self.metric == "hamming":
            Q = _check_unpacked(Q, "Q")
            check_same_width(self.X_, Q, ("X", "Q"), what="bits per code")
        else:
            Q = check_matrix(Q, "Q")
            check_same_width(self.X_, Q, ("X", "Q"), what="features")
        return Q

    def candidates(self, Q):
        """Union of the query's buckets over all tables: a list of ascending index arrays."""
        Q = self._check_queries(Q)
        with threadpool_limits(limits=1, user_api="blas"):
            qkeys = [self._keys(h, Q) for h in self.hashers_]
        seen = np.zeros(self.X_.shape[0], dtype=bool)
        out = [self._union(qkeys, i, seen) for i in range(Q.shape[0])]
        self.last_n_candidates_ = np.array([len(c) for c in out], dtype=np.int64)
        return out

    _empty = np.zeros(0, dtype=np.intp)

    def _union(self, qkeys, i, seen):
        """Candidates of query ``i``: the union of its buckets (marking in ``seen``, no sort)."""
        parts = [b.get(qk[i].tobytes(), self._empty) for b, qk in zip(self.buckets_, qkeys)]
        if len(parts) == 1:
            return parts[0]
        seen[np.concatenate(parts)] = True
        c = np.flatnonzero(seen)
        seen[c] = False
        return c

    def query(self, Q, k):
        """k nearest candidates of each query by exact distance (Euclidean, or Hamming for codes).

        Returns
        -------
        dist : ndarray of float32, shape (n_queries, k), ascending; ``inf`` where fewer than k
            candidates were found (Hamming distances are exact integers in float32)
        idx : ndarray of intp, shape (n_queries, k); ``-1`` in the padded places

        The result is the exact top-k of each query's candidate set: candidates are scored in
        float32 (after the bound, see the class notes), the best ``k + m`` are recomputed directly
        as ``‖x − q‖`` in float64 and sorted by (distance, index).  The numbers of candidates and
        of full distance computations per query are stored in :attr:`last_n_candidates_` and
        :attr:`last_n_exact_`.
        """
        Q = self._check_queries(Q)
        k = _check_k_value(k, self.X_.shape[0])
        nq = Q.shape[0]
        dist = np.full((nq, k), np.inf, dtype=np.float32)
        idx = np.full((nq, k), -1, dtype=np.intp)
        n_cand = np.zeros(nq, dtype=np.int64)
        n_exact = np.zeros(nq, dtype=np.int64)
        # Hashing and re-ranking are many small products: single-threaded BLAS (thread start-up
        # would dominate, badly so on a busy machine); the queries are shared between threads.
        with threadpool_limits(limits=1, user_api="blas"):
            qkeys = [self._keys(h, Q) for h in self.hashers_]
            proj = self._bound.project(Q) if self._bound is not None else None
            qwords = _as_words(np.packbits(Q, axis=1)) if self.metric == "hamming" else None

            def work(lo, hi):
                seen = np.zeros(self.X_.shape[0], dtype=bool)
                buf = None if proj is None else np.empty((self.X_.shape[0], self.rerank_dims_), np.float32)
                for i in range(lo, hi):
                    c = self._union(qkeys, i, seen)
                    n_cand[i] = len(c)
                    if len(c) == 0:
                        continue
                    if qwords is not None:
                        d, c, n_exact[i] = self._rerank_hamming(qwords[i], c, k)
                    else:
                        bound = None if proj is None else (proj[0][i], proj[1][i], proj[2][i], buf)
                        d, c, n_exact[i] = self._rerank(Q[i], c, k, bound)
                    dist[i, : len(c)] = d
                    idx[i, : len(c)] = c

            n_jobs = min(_n_threads(self.n_jobs), max(1, nq // 16))
            bounds = np.linspace(0, nq, n_jobs + 1).astype(int)
            if n_jobs == 1:
                work(0, nq)
            else:
                with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                    list(pool.map(work, bounds[:-1], bounds[1:]))
        self.last_n_candidates_, self.last_n_exact_ = n_cand, n_exact
        return dist, idx

    _rerank_chunk = 2048
    _bound_batch = (2, 16)  # the first exact batch: the 2k + 16 smallest bounds

    def _sq_dists(self, q, c):
        """float32 ``‖x − q‖²`` of the rows ``c`` (gathered in chunks, direct differences)."""
        out = np.empty(len(c), dtype=np.float32)
        for s in range(0, len(c), self._rerank_chunk):
            rows = self.X_[c[s : s + self._rerank_chunk]]
            rows -= q
            np.einsum("ij,ij->i", rows, rows, out=out[s : s + len(rows)])
        return out

    def _rerank_hamming(self, qw, c, k):
        """Exact top-k of one packed query among its candidates by Hamming distance, ties by index."""
        W = np.take(self._words, c, axis=0)
        np.bitwise_xor(W, qw, out=W)
        d = np.bitwise_count(W).sum(axis=1, dtype=_acc_dtype(self.X_.shape[1]))
        dist, pos = _topk_stable(d[None, :], min(k, len(c)))
        return dist[0].astype(np.float32), c[pos[0]], len(c)

    def _rerank(self, q, c, k, bound):
        """Exact top-k of one query among its candidates ``c`` (ascending indices).

        Returns ``(dist, idx, n_exact)``.  With a bound ``(z_q, ‖z_q‖², r_q, buffer)``: lower bounds for all
        candidates, exact squared distances for the ``2k + 16`` smallest bounds, then for every
        other candidate whose bound is within the k-th of those; the rest cannot enter the top k.
        """
        kk = min(len(c), k + max(8, k // 8))
        first = self._bound_batch[0] * k + self._bound_batch[1]
        if bound is None or len(c) <= 2 * first:
            d2 = self._sq_dists(q, c)
        else:
            lb = self._bound.lower_bounds(c, *bound)
            sel = np.argpartition(lb, first - 1)[:first]
            d2_first = self._sq_dists(q, c[sel])
            tau = np.partition(d2_first, k - 1)[k - 1]
            keep = lb <= tau * (1 + 1e-5) + self._bound.slack
            keep[sel] = False
            rest = np.flatnonzero(keep)
            sel = np.concatenate((sel, rest))
            d2 = np.concatenate((d2_first, self._sq_dists(q, c[rest])))
            c = c[sel]
        n_exact = len(c)
        if kk < len(c):
            part = np.argpartition(d2, kk - 1)[:kk]
            c = c[part]
        diff = self.X_[c].astype(np.float64)
        diff -= q
        d = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        order = np.lexsort((c, d))[:k]
        return d[order], c[order], n_exact
