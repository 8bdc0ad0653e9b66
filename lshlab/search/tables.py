"""Classic LSH: L hash tables of K-hash keys, candidate union, exact re-ranking with a lower bound.

``HashTables(hasher_factory, n_tables).fit(X).search(Q, k)`` returns ``(dist, idx)`` of shape
``(n_queries, k)``: the exact top-k of each query's candidate set, float32 distances ascending, ties
by database index, padded with ``inf`` / ``-1`` when a query has fewer than k candidates.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

from .._parallel import map_threads
from .._validation import (
    check_float_matrix,
    check_k_neighbours,
    check_n_jobs,
    check_positive_int,
    check_random_state,
    check_same_width,
    check_unpacked_codes,
)
from .euclidean import U32, EuclideanFrame, float_output, max_abs, safe_exponent, sum_error, underflow_floor
from .primitives import as_words, hamming_acc_dtype, topk_stable

__all__ = ["HashTables"]


class _ProjectionBound:
    """A cheap lower bound of ``‖x − q‖`` for filter-and-refine re-ranking.

    With an orthonormal basis ``P`` (d × m, the top principal axes of the database) and centre
    ``μ``, write ``x − μ = P z_x + r_x`` with ``r_x ⟂ span(P)``.  Then
    ``‖x − q‖² = ‖z_x − z_q‖² + ‖r_x − r_q‖² ≥ ‖z_x − z_q‖² + (‖r_x‖ − ‖r_q‖)²`` (reverse triangle
    inequality on the residuals).  The bound costs ``m + 1`` numbers per point instead of ``d``, and
    any orthonormal ``P`` makes it valid; principal axes only make it tight.  This is the GEMINI
    filter-and-refine principle (Faloutsos et al. 1994) with a PCA feature space.

    Coordinates are those of ``(x − μ)/s_b`` with ``s_b = 2^e_b`` a power of two that keeps them inside
    float32's range whatever the data's scale (:func:`~lshlab.search.euclidean.safe_exponent`); the
    float32 rounding of the stored coordinates and of the bound's arithmetic is covered by a slack per
    query (:meth:`project`).
    """

    def __init__(self, X, n_dims, rng):
        n, d = X.shape
        sample = X if n <= 10_000 else X[np.sort(rng.choice(n, 10_000, replace=False))]
        self.mean = sample.mean(axis=0, dtype=np.float64)
        self.exponent = safe_exponent(max_abs(X, self.mean))
        self.inv = float(np.ldexp(1.0, -self.exponent))
        S = (sample.astype(np.float64) - self.mean) * self.inv
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
        self.rho2 = rho2
        # float32 storage (relative u per value) and the float32 arithmetic of lower_bounds (a GEMV over
        # m terms and four additions) perturb the bound by at most (m + 8) u (‖z_x‖² + ‖z_q‖² + 2‖z_x‖‖z_q‖
        # + 2(r_x² + r_q²)) <= 2 (m + 8) u (rho2 + ‖z_q‖² + r_q²); twice that, plus the subnormal floor,
        # keeps it a bound, so pruning stays exact.
        self.slack_factor = 4.0 * (n_dims + 8) * U32
        self.floor = underflow_floor(n_dims)

    def _project(self, X):
        Xc = (X.astype(np.float64) - self.mean) * self.inv
        z = Xc @ self.basis
        r2 = np.einsum("ij,ij->i", Xc, Xc) - np.einsum("ij,ij->i", z, z)
        return z, np.sqrt(np.maximum(r2, 0.0))

    def project(self, Q):
        """``(z_q, ‖z_q‖², ‖r_q‖, slack)`` of the query rows (float32, and the float64 slack per query).

        A query so far from the data that its coordinates approach float32's range (``‖z_q‖² + r_q²``
        above 2¹⁰⁰) gets an infinite slack: nothing is pruned for it.
        """
        z, r = self._project(Q)
        zq2 = np.einsum("ij,ij->i", z, z)
        slack = self.slack_factor * (self.rho2 + zq2 + r * r) + self.floor
        slack[zq2 + r * r > 2.0**100] = np.inf
        with np.errstate(over="ignore"):
            return z.astype(np.float32), zq2.astype(np.float32), r.astype(np.float32), slack

    def lower_bounds(self, c, zq, zq2, rq, buf):
        """Squared lower bounds of ``‖x_c − q‖ / s_b`` for the database rows ``c`` (one gather + one GEMV)."""
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
        Any :class:`lshlab.hashing.BaseHasher`.  Codes of a hasher whose ``binary`` class attribute
        is True (0/1 bits) are keyed by their packed bytes, integer codes such as
        :class:`~lshlab.hashing.PStableHash` (``binary = False``) by their raw bytes; an estimator
        without a ``binary`` attribute is treated as binary.
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
        Distinct candidates per query in the last :meth:`search` / :meth:`candidates` (the cost to
        plot recall against).
    last_n_exact_ : ndarray of int, shape (n_queries,)
        Candidates whose full distance the last :meth:`search` computed (after the bound).
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
        if not callable(self.hasher_factory):
            raise ValueError(f"hasher_factory must be a callable seed -> hasher, got {self.hasher_factory!r}")
        L = check_positive_int(self.n_tables, "n_tables")
        if self.n_jobs is not None:
            check_positive_int(self.n_jobs, "n_jobs")
        if self.metric not in ("euclidean", "hamming"):
            raise ValueError(f"metric must be 'euclidean' or 'hamming', got {self.metric!r}")
        if self.metric == "hamming":
            self.X_ = check_unpacked_codes(X, "X")
            self._words = as_words(np.packbits(self.X_, axis=1))
            m = 0
        else:
            self.X_ = check_float_matrix(X, "X")  # float64 data keep their digits for the re-ranking
            m = self._check_rerank_dims(self.X_.shape[1])
            self._max_abs = max_abs(self.X_)
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
        codes = hasher.transform(X, packed=True) if getattr(hasher, "binary", True) else hasher.transform(X)
        codes = np.ascontiguousarray(codes)
        if codes.ndim != 2 or codes.shape[0] != X.shape[0] or codes.dtype.kind not in "biu":
            raise ValueError(f"the hasher of hasher_factory ({type(hasher).__name__}) must transform {X.shape[0]} rows "
                             f"into a 2-D integer code array with one row per sample, got shape {codes.shape} and "
                             f"dtype {codes.dtype}")
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
            Q = check_unpacked_codes(Q, "Q")
            check_same_width(self.X_, Q, ("X", "Q"), what="bits per code")
        else:
            Q = check_float_matrix(Q, "Q")
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

    def search(self, Q, k):
        """k nearest candidates of each query by exact distance (Euclidean, or Hamming for codes).

        Returns
        -------
        dist : ndarray of float32, shape (n_queries, k), ascending; ``inf`` where fewer than k
            candidates were found (Hamming distances are exact integers in float32)
        idx : ndarray of intp, shape (n_queries, k); ``-1`` in the padded places

        The result is the exact top-k of each query's candidate set, ties by database index, for float
        data of any offset and scale: candidates are scored by direct differences ``Σ (x_i − q_i)²`` in
        the data's precision (after the bound, see the class notes; rescaled by a power of two when the
        magnitudes are extreme), the best ``k + m`` are recomputed in float64 and sorted by
        (distance, index), and every other candidate whose score lies within the rounding error of the
        k-th distance is recomputed too.  The numbers of candidates and of full distance computations
        per query are stored in :attr:`last_n_candidates_` and :attr:`last_n_exact_`.

        Raises
        ------
        ValueError
            For bad queries, and when a distance cannot be represented in float32 (beyond 3.4e38, or
            non-zero below 1.2e-38): rescale the data by a power of two.
        """
        Q = self._check_queries(Q)
        k = check_k_neighbours(k, self.X_.shape[0])
        nq = Q.shape[0]
        dist = np.full((nq, k), np.inf, dtype=np.float64 if self.metric == "euclidean" else np.float32)
        idx = np.full((nq, k), -1, dtype=np.intp)
        n_cand = np.zeros(nq, dtype=np.int64)
        n_exact = np.zeros(nq, dtype=np.int64)
        ctx = None if self.metric == "hamming" else _RerankContext(self, Q)
        # Hashing and re-ranking are many small products: single-threaded BLAS (thread start-up
        # would dominate, badly so on a busy machine); the queries are shared between threads.
        with threadpool_limits(limits=1, user_api="blas"):
            qkeys = [self._keys(h, Q) for h in self.hashers_]
            proj = self._bound.project(Q) if self._bound is not None else None
            qwords = as_words(np.packbits(Q, axis=1)) if self.metric == "hamming" else None

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
                        bound = None if proj is None else (proj[0][i], proj[1][i], proj[2][i], proj[3][i], buf)
                        d, c, n_exact[i] = self._rerank(ctx, Q[i], c, k, bound)
                    dist[i, : len(c)] = d
                    idx[i, : len(c)] = c

            n_jobs = min(check_n_jobs(self.n_jobs), max(1, nq // 16))
            bounds = np.linspace(0, nq, n_jobs + 1).astype(int)
            map_threads(lambda span: work(*span), zip(bounds[:-1], bounds[1:]), n_jobs)
        self.last_n_candidates_, self.last_n_exact_ = n_cand, n_exact
        if ctx is not None:
            dist = ctx.output(dist)
        return dist, idx

    _rerank_chunk = 2048
    _bound_batch = (2, 16)  # the first exact batch: the 2k + 16 smallest bounds

    def _sq_dists(self, ctx, q, c):
        """Direct ``Σ (x_i − q_i)²`` of the rows ``c`` in the search units, in ``ctx.dtype`` (chunks).

        ``q`` is the query already in search units and ``ctx.dtype``.
        """
        out = np.empty(len(c), dtype=ctx.dtype)
        for s in range(0, len(c), self._rerank_chunk):
            rows = self.X_[c[s : s + self._rerank_chunk]]
            if rows.dtype != ctx.dtype:
                rows = rows.astype(ctx.dtype)
            if ctx.inv is not None:
                rows *= ctx.inv
            rows -= q
            np.einsum("ij,ij->i", rows, rows, out=out[s : s + len(rows)])
        return out

    def _rerank_hamming(self, qw, c, k):
        """Exact top-k of one packed query among its candidates by Hamming distance, ties by index."""
        W = np.take(self._words, c, axis=0)
        np.bitwise_xor(W, qw, out=W)
        d = np.bitwise_count(W).sum(axis=1, dtype=hamming_acc_dtype(self.X_.shape[1]))
        dist, pos = topk_stable(d[None, :], min(k, len(c)))
        return dist[0].astype(np.float32), c[pos[0]], len(c)

    def _rerank(self, ctx, q, c, k, bound):
        """Exact top-k of one query among its candidates ``c`` (ascending indices).

        Returns ``(dist, idx, n_exact)`` (float64 distances in search units).  With a bound
        ``(z_q, ‖z_q‖², r_q, slack, buffer)``: lower bounds for all candidates, direct squared distances
        for the ``2k + 16`` smallest bounds, then for every other candidate whose bound is within the
        k-th of those (plus rounding); the rest cannot enter the top k.  Then the ``k + m`` smallest
        direct distances are recomputed in float64, and any other candidate whose direct distance is
        within its rounding error ``γ`` of the k-th exact one as well (the certificate).
        """
        qw = ctx.query(q)
        kk = min(len(c), k + max(8, k // 8))
        first = self._bound_batch[0] * k + self._bound_batch[1]
        if bound is None or len(c) <= 2 * first:
            d2 = self._sq_dists(ctx, qw, c)
        else:
            lb = self._bound.lower_bounds(c, *bound[:3], bound[4])
            sel = np.argpartition(lb, first - 1)[:first]
            d2_first = self._sq_dists(ctx, qw, c[sel])
            tau = float(np.partition(d2_first, k - 1)[k - 1])
            tau = (tau + ctx.floor) / (1.0 - ctx.gamma)  # >= the exact k-th distance of the first batch
            keep = lb <= np.float64(float(np.ldexp(tau, ctx.bound_shift)) + bound[3])
            keep[sel] = False
            rest = np.flatnonzero(keep)
            sel = np.concatenate((sel, rest))
            d2 = np.concatenate((d2_first, self._sq_dists(ctx, qw, c[rest])))
            c = c[sel]
        n_exact = len(c)
        part = np.argpartition(d2, kk - 1)[:kk] if kk < len(c) else np.arange(len(c))
        d_ex = ctx.frame.sq_distances(self.X_, c[part][None, :], q[None, :])[0]
        order = np.lexsort((c[part], d_ex))[:k]
        if kk < len(c):  # the certificate: candidates whose direct score may hide a closer distance
            limit = (float(d_ex[order[-1]]) + ctx.floor) / (1.0 - ctx.gamma)
            band = np.flatnonzero(d2 <= limit)
            extra = np.setdiff1d(band, part, assume_unique=True)
            if extra.size:
                part = np.concatenate((part, extra))
                d_ex = np.concatenate((d_ex, ctx.frame.sq_distances(self.X_, c[extra][None, :], q[None, :])[0]))
                order = np.lexsort((c[part], d_ex))[:k]
        return np.sqrt(d_ex[order]), c[part[order]], n_exact


class _RerankContext:
    """Units and error bounds of one Euclidean search of a :class:`HashTables` index.

    Distances are compared in units of ``s = 2^e`` (``e`` from the largest magnitude of the data and
    the queries, :func:`~lshlab.search.euclidean.safe_exponent`) in the precision ``dtype`` of data and
    queries together; a direct ``Σ (x_i − q_i)²`` then errs by at most ``γ`` relatively plus ``floor``.
    """

    def __init__(self, tables, Q):
        X = tables.X_
        e = safe_exponent(max(tables._max_abs, max_abs(Q)))
        self.frame = EuclideanFrame(None, e)
        self.inv = None if e == 0 else float(np.ldexp(1.0, -e))
        self.dtype = np.result_type(X.dtype, Q.dtype)
        self.gamma = sum_error(X.shape[1], self.dtype)
        self.floor = underflow_floor(X.shape[1]) if self.dtype == np.float32 else 0.0
        bound = tables._bound
        self.bound_shift = 0 if bound is None else 2 * (e - bound.exponent)  # search units → bound units

    def query(self, q):
        """One query in search units and ``dtype``."""
        qw = q.astype(np.float64) * self.inv if self.inv is not None else q
        return qw.astype(self.dtype, copy=False)

    def output(self, dist):
        """float32 distances in the data's units (``inf`` padding kept), refusing what float32 cannot hold."""
        out = np.full(dist.shape, np.inf, dtype=np.float32)
        found = np.isfinite(dist)
        out[found] = float_output(dist[found], self.frame.exponent, np.float32, "the distances of X and Q",
                                  "rescale X and the queries by a power of two (the neighbours do not change)")
        return out
