"""Banding: b bands of r rows over integer signatures (MinHash), candidates re-ranked by Jaccard.

Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets* (3rd ed., 2020), §3.4: cut each signature
into b bands of r consecutive positions; two sets are **candidates** when they agree on every position
of at least one band.  With per-position agreement probability s (the Jaccard index, for MinHash) a
pair becomes a candidate with probability 1 − (1 − s^r)^b — the S-curve of
:func:`lshlab.lsh_theory.amplified_collision_probability` with K = r, L = b.

Each band is stored compactly as three arrays (no dict per bucket): the distinct band contents sorted
(``numpy`` void keys of r values, compared exactly — no hashing of the band, so no false bucket
merges), the offset of each bucket, and the database ids ordered by bucket (ascending ids inside a
bucket).  A query band is looked up with one ``searchsorted`` for all queries.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_k_neighbours, check_positive_int
from ..sets import PackedSets, as_set_matrix, pack_sets, paired_jaccard

__all__ = ["BandingIndex"]


def _check_signatures(S, name):
    S = np.asarray(S)
    if S.ndim != 2 or S.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array of signatures (n, n_hashes), got shape {S.shape}")
    if not np.issubdtype(S.dtype, np.integer):
        raise ValueError(f"{name} must hold integer signatures (e.g. MinHash.transform output), got dtype {S.dtype}")
    return np.ascontiguousarray(S)


class BandingIndex:
    """MinHash LSH by banding: ``n_bands`` bands of ``rows_per_band`` signature positions.

    Parameters
    ----------
    n_bands : int, default 16
        b, the number of bands (OR: a candidate in any band is a candidate).
    rows_per_band : int, default 8
        r, the positions per band (AND: a band matches only when all r agree).  Bands use the first
        b·r positions of the signatures; b·r may be less than the signature length (as in datasketch's
        ``MinHashLSH``), and re-ranking by the estimate uses every position.

    Attributes
    ----------
    signatures_ : ndarray (n, n_hashes), the database signatures
    band_keys_ : list of b arrays of void keys, the distinct band contents of the database, sorted
    band_starts_ : list of b int arrays, bucket t of a band holds ``band_ids_[band][band_starts_[t]:band_starts_[t + 1]]``
    band_ids_ : list of b int arrays, database ids ordered by bucket
    sets_ : :class:`~lshlab.sets.PackedSets` (at most 16,384 columns), CSR set matrix, or None
        The database sets when given to :meth:`fit` (exact re-ranking).
    last_n_candidates_ : ndarray of int, distinct candidates per query of the last
        :meth:`candidates` / :meth:`search`

    Examples
    --------
    >>> import numpy as np
    >>> from lshlab.hashing import MinHash
    >>> sets = [{1, 2, 3, 4}, {1, 2, 3, 5}, {7, 8, 9}]
    >>> mh = MinHash(n_hashes=64, random_state=0).fit(sets)
    >>> index = BandingIndex(n_bands=32, rows_per_band=2).fit(mh.transform(sets), sets=sets)
    >>> dist, idx = index.search(mh.transform([{1, 2, 3, 4}]), k=2, query_sets=[{1, 2, 3, 4}])
    >>> idx.tolist(), dist.round(2).tolist()   # itself (J = 1), then {1, 2, 3, 5} (J = 3/5)
    ([[0, 1]], [[0.0, 0.4]])
    """

    def __init__(self, n_bands=16, rows_per_band=8):
        self.n_bands = n_bands
        self.rows_per_band = rows_per_band

    def fit(self, signatures, sets=None):
        """Index the database signatures; ``sets`` (the database sets, any form of :mod:`lshlab.sets`)
        enables exact Jaccard re-ranking in :meth:`search`."""
        b = check_positive_int(self.n_bands, "n_bands")
        r = check_positive_int(self.rows_per_band, "rows_per_band")
        S = _check_signatures(signatures, "signatures")
        if b * r > S.shape[1]:
            raise ValueError(
                f"n_bands · rows_per_band = {b} · {r} = {b * r} exceeds the {S.shape[1]} positions per "
                "signature; use fewer or shorter bands, or longer signatures"
            )
        if sets is not None:
            sets = as_set_matrix(sets, "sets")
            if sets.shape[0] != S.shape[0]:
                raise ValueError(f"sets has {sets.shape[0]} sets but signatures has {S.shape[0]} rows; pass the same database")
            if sets.shape[1] <= 1 << 14:  # masks: bitsets once, popcounts at every search
                sets = pack_sets(sets)
        self.signatures_, self.sets_ = S, sets
        self.band_keys_, self.band_starts_, self.band_ids_ = [], [], []
        for band in range(b):
            keys = self._band_keys(S, band, r)
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            new = np.ones(len(keys), dtype=bool)
            new[1:] = sorted_keys[1:] != sorted_keys[:-1]
            self.band_keys_.append(sorted_keys[new])
            self.band_starts_.append(np.append(np.flatnonzero(new), len(keys)))
            self.band_ids_.append(order)
        self.last_n_candidates_ = np.zeros(0, dtype=np.int64)
        return self

    @staticmethod
    def _band_keys(S, band, r):
        block = np.ascontiguousarray(S[:, band * r : (band + 1) * r])
        return block.view(np.dtype((np.void, block.dtype.itemsize * r))).ravel()

    def _check_queries(self, Q):
        if not hasattr(self, "band_ids_"):
            raise ValueError("BandingIndex is not fitted yet; call fit(signatures) first")
        Q = _check_signatures(Q, "Q")
        if Q.shape[1] != self.signatures_.shape[1] or Q.dtype != self.signatures_.dtype:
            raise ValueError(
                f"Q has {Q.shape[1]} positions of dtype {Q.dtype} but the index holds {self.signatures_.shape[1]} "
                f"of dtype {self.signatures_.dtype}; hash the queries with the same fitted MinHash"
            )
        return Q

    def _bucket_ranges(self, Q, band):
        """(start, stop) into ``band_ids_[band]`` of each query's bucket (empty when absent)."""
        keys, starts = self.band_keys_[band], self.band_starts_[band]
        qk = self._band_keys(Q, band, self.rows_per_band)
        pos = np.searchsorted(keys, qk)
        found = pos < len(keys)
        found[found] = keys[pos[found]] == qk[found]
        lo = np.where(found, starts[np.minimum(pos, len(keys) - 1)], 0)
        hi = np.where(found, starts[np.minimum(pos, len(keys) - 1) + 1], 0)
        return lo, hi

    def candidate_pairs(self, Q, *, block_queries=None):
        """All (query, database) candidate pairs: two int arrays sorted by query, then database id.

        A pair is a candidate when query and database signature agree on every position of at least
        one band.  Memory is bounded by processing ``block_queries`` queries at a time (default: as many
        as keep the boolean mark matrix near 16 MB).
        """
        Q = self._check_queries(Q)
        n = self.signatures_.shape[0]
        if block_queries is None:
            block_queries = max(1, (1 << 24) // n)
        block_queries = check_positive_int(block_queries, "block_queries")
        qs, ds = [], []
        for s in range(0, Q.shape[0], block_queries):
            Qb = Q[s : s + block_queries]
            mark = np.zeros((Qb.shape[0], n), dtype=bool)
            for band in range(self.n_bands):
                lo, hi = self._bucket_ranges(Qb, band)
                lengths = hi - lo
                total = int(lengths.sum())
                if total == 0:
                    continue
                rows = np.repeat(np.arange(Qb.shape[0]), lengths)
                offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
                mark[rows, self.band_ids_[band][np.repeat(lo, lengths) + offsets]] = True
            q, d = np.nonzero(mark)
            qs.append(q + s)
            ds.append(d)
        q, d = np.concatenate(qs), np.concatenate(ds)
        self.last_n_candidates_ = np.bincount(q, minlength=Q.shape[0]).astype(np.int64)
        return q.astype(np.intp), d.astype(np.intp)

    def candidates(self, Q):
        """Candidates of each query: a list of ascending database-id arrays."""
        q, d = self.candidate_pairs(Q)
        return np.split(d, np.cumsum(self.last_n_candidates_)[:-1])

    def _scores(self, Q, q, d, query_sets):
        """Jaccard of each candidate pair: exact with sets, else the signature agreement."""
        if query_sets is not None:
            if self.sets_ is None:
                raise ValueError("query_sets needs the database sets: fit(signatures, sets=...) first")
            query_sets = as_set_matrix(query_sets, "query_sets")
            if query_sets.shape[0] != Q.shape[0]:
                raise ValueError(f"query_sets has {query_sets.shape[0]} sets but Q has {Q.shape[0]} signatures")
            if isinstance(self.sets_, PackedSets):
                query_sets = pack_sets(query_sets, "query_sets")
            return paired_jaccard(query_sets, self.sets_, q, d)
        out = np.empty(q.size, dtype=np.float64)
        step = max(1, (1 << 24) // Q.shape[1])
        for s in range(0, q.size, step):
            eq = Q[q[s : s + step]] == self.signatures_[d[s : s + step]]
            out[s : s + step] = np.count_nonzero(eq, axis=1) / Q.shape[1]
        return out

    def search(self, Q, k, query_sets=None):
        """The k candidates of highest Jaccard index per query, as Jaccard distances 1 − J.

        Parameters
        ----------
        Q : query signatures (same fitted MinHash as the database)
        k : int, neighbours per query
        query_sets : optional, the query sets
            With it (and ``sets`` given to :meth:`fit`) candidates are ranked by their exact Jaccard
            index; without it by the MinHash estimate (fraction of equal signature positions).

        Returns
        -------
        dist : ndarray of float64, shape (n_queries, k), ascending 1 − J; ``inf`` where fewer than k
            candidates were found
        idx : ndarray of intp, shape (n_queries, k), ties by database id; ``-1`` in the padded places
        """
        Q = self._check_queries(Q)
        k = check_k_neighbours(k, self.signatures_.shape[0])
        q, d = self.candidate_pairs(Q)
        dist_pairs = 1.0 - self._scores(Q, q, d, query_sets)
        order = np.lexsort((d, dist_pairs, q))
        q, d, dist_pairs = q[order], d[order], dist_pairs[order]
        first = np.searchsorted(q, np.arange(Q.shape[0]))
        rank = np.arange(q.size) - first[q]
        keep = rank < k
        dist = np.full((Q.shape[0], k), np.inf)
        idx = np.full((Q.shape[0], k), -1, dtype=np.intp)
        dist[q[keep], rank[keep]] = dist_pairs[keep]
        idx[q[keep], rank[keep]] = d[keep]
        return dist, idx

    def distance_matrix(self, Q, query_sets=None, missing=np.inf):
        """Dense (n_queries, n) Jaccard distances 1 − J for candidates and ``missing`` for the rest — the
        ranking the index induces on the whole database (for precision–recall curves, which need finite
        distances: pass e.g. ``missing=2.0``, beyond every Jaccard distance)."""
        Q = self._check_queries(Q)
        if isinstance(missing, bool) or not isinstance(missing, (int, float, np.number)) or np.isnan(missing) \
                or missing <= 1:
            raise ValueError(f"missing must be a number above 1 (every Jaccard distance is <= 1), got {missing!r}")
        q, d = self.candidate_pairs(Q)
        out = np.full((Q.shape[0], self.signatures_.shape[0]), float(missing))
        out[q, d] = 1.0 - self._scores(Q, q, d, query_sets)
        return out
