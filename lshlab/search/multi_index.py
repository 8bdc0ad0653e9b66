"""Exact k-NN and radius search in Hamming space with multi-index hashing.

Norouzi, Punjani & Fleet, "Fast search in Hamming space with multi-index hashing", CVPR 2012
(long version: "Fast exact search in Hamming space with multi-index hashing", IEEE TPAMI 36(6), 2014).

Idea
----
Cut every ``b``-bit code into ``m`` disjoint substrings ``h = (h⁽¹⁾, …, h⁽ᵐ⁾)`` and index each
substring in its own hash table.  The **pigeonhole principle** links the substrings to the whole
code: if ``d_H(h, g) ≤ r`` then some substring satisfies ``d_H(h⁽ʲ⁾, g⁽ʲ⁾) ≤ ⌊r / m⌋``, because
``m`` substrings that each differ in more than ``⌊r/m⌋`` bits differ in at least
``m(⌊r/m⌋ + 1) > r`` bits in total.  So all codes within ``r`` of a query are found by probing, in
every table, the buckets within ``⌊r/m⌋`` of the query's substring — few buckets, because each
substring is short.  The candidates found are then checked with their full Hamming distance.

k nearest neighbours (the radius is grown until the answer is certified)
------------------------------------------------------------------------
Buckets are probed in steps ``(ρ, j)``, ``ρ = 0, 1, 2, …`` and ``j = 1 … m``: step ``(ρ, j)`` looks
up, in table ``j``, every key at substring distance exactly ``ρ`` from the query's substring (the
query substring XOR each of the ``C(s_j, ρ)`` masks of weight ``ρ``).  After step ``(ρ, j)``, every
code not yet found differs by ``≥ ρ + 1`` bits in substrings ``1 … j`` and by ``≥ ρ`` bits in the
others, hence

.. math:: d_H(q, x) \\ge m\\rho + j \\quad \\text{for every code } x \\text{ not yet found}

(Norouzi et al. 2014, §4: "the k-th substring is the last chance of an item at distance
``s·m + k``").  The search of a query stops as soon as its k-th smallest distance found is
``≤ mρ + j − 1``: every unseen code is then strictly farther, so the k found — ordered by
(distance, database index) — are exactly the answer of a linear scan, ties included.

Tables
------
Table ``j`` is *compact* (:class:`~lshlab.search.substring_tables.SubstringTable`): the database ids
sorted by their substring value — a stable LSD radix sort with 16-bit digits (numpy's counting sort of
``uint16`` keys), so linear in ``n``, and within a bucket the ids ascend — with the codes stored in the
same order, so the candidates of a bucket are read sequentially.  Bucket ``v`` is located by a dense
offset array of ``2^s + 1`` entries when ``2^s`` is at most ``max(n, 2^16)``, otherwise by a
directory of the distinct substring values grouped by a multiplicative hash (about one value per
slot, one or two probes).  No Python dictionaries, no per-bucket objects: a table costs 4 bytes of id
(8 above 2³¹ codes) and 8 bytes of code per 64-bit word per item, plus its offsets or directory;
``nbytes_`` reports the total.

A code reached through several substrings is counted once: it is accepted only at the first step
that can reach it — step ``(ρ*, j*)`` = the smallest ``(d_H(q⁽ʲ⁾, x⁽ʲ⁾), j)`` in lexicographic
order — which is checked from the substring distances, so no de-duplication pass is needed.

Choosing m
----------
With substrings of ``s = b/m`` bits and ``n`` codes, a bucket holds ``n / 2^s`` codes on average *if
the codes are uniformly distributed*.  Norouzi et al. (2014, §5) show that ``s ≈ log2 n`` balances
the two costs of a probe (a lookup, and the candidates it returns) and makes the search cost
sub-linear in ``n``; their experiments use ``m ≈ b / log2 n`` (m = 3 for 64-bit codes at 2–20 M
codes, 2 from 50 M on).  Learned codes of real images are far from uniform — many images share a
code, so buckets are fuller than ``n / 2^s`` — which favours longer substrings.  The default here is
therefore ``m = ⌊b / log2 n⌋`` (substrings of at least ``log2 n`` bits), at least ``⌈b / 64⌉``
(substrings of at most 64 bits) and at least 1.  For 64-bit codes it picks m = 3 for 2¹⁶ < n ≤ 2^(64/3)
≈ 2.6 M codes and m = 2 above; on 64-bit ITQ codes of Fashion-MNIST-like images at 10 M codes (where rounding
``b / log2 n`` would give 3), ``benchmarks/bench_scale.py`` measured m = 3 and m = 4 to be 1.3× and
5× slower than m = 2.  Pass ``n_substrings`` to choose it by hand.

When the next probing step would look up more buckets than a linear scan reads codes (long codes
whose neighbours are far), the remaining queries of the block are answered by a linear scan
instead — still exact, and recorded in :attr:`MultiIndexHashing.search_stats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import comb

import numpy as np

from .._parallel import map_threads
from .._validation import (
    check_k_neighbours,
    check_n_jobs,
    check_positive_int,
    packed_binary_codes,
    packed_query_codes,
)
from .primitives import hamming_rows
from .substring_tables import (
    SubstringTable,
    big_endian_words,
    expand_ranges,
    substring_bounds,
    substring_values,
    substring_word_masks,
    weight_masks,
)

__all__ = ["MultiIndexHashing", "MultiIndexStats"]

_KEYS_CAP = 1 << 20  # keys looked up per batch (queries × masks)


@dataclass
class MultiIndexStats:
    """Work of the last :meth:`MultiIndexHashing.search` / :meth:`~MultiIndexHashing.search_radius`,
    one entry per query.

    Attributes
    ----------
    n_candidates : distinct database codes whose full Hamming distance was computed (``n`` for a
        query answered by the linear-scan fallback).
    n_retrieved : ids read from the buckets, a code found through several substrings counted each
        time (the work the cost model of Norouzi et al. counts).
    n_lookups : buckets probed.
    radius : Hamming radius certified when the query stopped (``mρ + j − 1``; the code length for a
        linear scan).  For k-NN it is at least the k-th neighbour's distance.
    substring_radius : the substring search radius ρ reached.
    linear_scan : True where the query was answered by the linear-scan fallback.
    """

    n_candidates: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    n_retrieved: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    n_lookups: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    radius: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    substring_radius: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    linear_scan: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


class MultiIndexHashing:
    """Exact k-NN and radius search of binary codes by Hamming distance with multi-index hashing.

    Same contract as :class:`lshlab.search.HammingIndex`: ``search(Q, k) -> (dist, idx)``, int32
    distances ascending, ties broken by database index, identical results (tested), but the work per
    query grows sub-linearly with the database size for codes whose neighbours are close.  See the
    module docstring for the algorithm (Norouzi, Punjani & Fleet, CVPR 2012 / TPAMI 2014).

    Parameters
    ----------
    codes : array-like of shape (n_database, n_bits), 0/1 values, or packed ``uint8`` bytes of shape
        (n_database, n_bytes) when ``packed=True``.
    packed : bool, default False
        Format of ``codes`` and of the queries.
    n_substrings : int or None, default None
        Number of substrings (hash tables) ``m``; None = ``⌊n_bits / log2 n⌋`` within
        ``[⌈n_bits / 64⌉, n_bits]`` (substrings of at least ``log2 n`` bits; see "Choosing m" in the
        module docstring).
    n_jobs : int or None, default None
        Threads over query blocks (numpy releases the GIL in its kernels); None = the CPU cores
        (at most 8).  Tables are built one after the other, which bounds the peak memory of the
        build.
    block_size : int, default 64
        Queries searched together (vectorised across queries and buckets).

    Attributes
    ----------
    n_bits, n_database, n_substrings : int
    substring_starts_, substring_lengths_ : ndarray
        Bit ranges of the substrings.
    nbytes_ : int
        Memory of the index (codes + tables), bytes.
    search_stats : :class:`MultiIndexStats`
        Per-query work of the last search.
    """

    # A probing step that would look up more than (codes × words) / _scan_factor buckets is replaced
    # by a linear scan of the remaining queries (a lookup costs several times a word popcount).
    _scan_factor = 8

    def __init__(self, codes, packed=False, n_substrings=None, *, n_jobs=None, block_size=64):
        self.packed = bool(packed)
        self.n_jobs = n_jobs
        if n_jobs is not None:
            check_positive_int(n_jobs, "n_jobs")
        self.block_size = check_positive_int(block_size, "block_size")
        P, self.n_bits = packed_binary_codes(codes, self.packed)
        self.n_database = n = P.shape[0]
        self.n_bytes = P.shape[1]
        if n_substrings is None:
            m = int(np.floor(self.n_bits / np.log2(max(n, 2))))
            m = min(max(m, -(-self.n_bits // 64), 1), self.n_bits)
        else:
            m = check_positive_int(n_substrings, "n_substrings")
        self.n_substrings = m
        self.substring_starts_, self.substring_lengths_ = substring_bounds(self.n_bits, m)
        W = big_endian_words(P)
        words_t = np.ascontiguousarray(W.T)  # (n_words, n): one contiguous row per 64-bit word
        self.n_words = W.shape[1]
        self._masks = [substring_word_masks(W.shape[1], a, s) for a, s in zip(self.substring_starts_, self.substring_lengths_)]
        id_dtype = np.int32 if n < 2**31 else np.int64

        self._tables = []
        for a, s in zip(self.substring_starts_, self.substring_lengths_):  # one at a time: bounded peak memory
            vals = substring_values(W, a, s)
            if s <= 32:
                vals = vals.astype(np.uint32)
            self._tables.append(SubstringTable(vals, s, words_t, id_dtype))
            del vals
        del W, words_t
        self._weight_masks = {}
        self.search_stats = MultiIndexStats()

    # ------------------------------------------------------------------------- public
    @property
    def nbytes_(self):
        return int(sum(t.nbytes for t in self._tables))

    def search(self, Q, k):
        """Return ``(dist, idx)``: the exact ``k`` nearest codes of each query row.

        Parameters
        ----------
        Q : array-like, same format (packed or not) and code length as the database codes.
        k : int, 1 <= k <= n_database

        Returns
        -------
        dist : ndarray of int32, shape (n_queries, k), ascending Hamming distances
        idx : ndarray of intp, shape (n_queries, k), ties by increasing database index
        """
        Wq = self._queries(Q)
        k = check_k_neighbours(k, self.n_database)
        nq = Wq.shape[0]
        dist = np.empty((nq, k), dtype=np.int32)
        idx = np.empty((nq, k), dtype=np.intp)
        stats = self._new_stats(nq)

        def work(q0):
            q1 = min(q0 + self.block_size, nq)
            dist[q0:q1], idx[q0:q1] = self._search_block(Wq[q0:q1], k, None, stats, q0)

        self._run(work, nq)
        self.search_stats = stats
        return dist, idx

    def search_radius(self, Q, radius):
        """All database codes within Hamming distance ``radius`` of each query (exact).

        Parameters
        ----------
        Q : array-like, same format and code length as the database codes.
        radius : int >= 0

        Returns
        -------
        dist : list of ndarray of int32, one per query
        idx : list of ndarray of intp, one per query
            Sorted by (distance, database index).  The probing stops at the first step whose
            certified radius ``mρ + j − 1`` reaches ``radius``.
        """
        Wq = self._queries(Q)
        radius = check_positive_int(radius, "radius", minimum=0)
        nq = Wq.shape[0]
        dist, idx = [None] * nq, [None] * nq
        stats = self._new_stats(nq)

        def work(q0):
            q1 = min(q0 + self.block_size, nq)
            d, i = self._search_block(Wq[q0:q1], None, radius, stats, q0)
            dist[q0:q1], idx[q0:q1] = d, i

        self._run(work, nq)
        self.search_stats = stats
        return dist, idx

    # ------------------------------------------------------------------------- internals
    def _queries(self, Q):
        return big_endian_words(packed_query_codes(Q, self.packed, self.n_bits, self.n_bytes))

    def _new_stats(self, nq):
        z = lambda dt=np.int64: np.zeros(nq, dtype=dt)  # noqa: E731
        return MultiIndexStats(z(), z(), z(), z(), z(), z(bool))

    def _run(self, work, nq):
        map_threads(work, range(0, nq, self.block_size), check_n_jobs(self.n_jobs))

    def _masks_of(self, length, weight):
        key = (int(length), int(weight))
        if key not in self._weight_masks:
            self._weight_masks[key] = weight_masks(*key)
        return self._weight_masks[key]

    def _distances(self, table, pos, qw, owner):
        """Full Hamming distances and XOR words of the codes at positions ``pos`` of ``table``."""
        x = [table.codes_t[w][pos] ^ qw[owner, w] for w in range(self.n_words)]
        d = np.bitwise_count(x[0])  # uint8
        if self.n_words > 1:
            d = d.astype(np.uint16 if self.n_bits < 2**16 else np.int32)
            for xw in x[1:]:
                d += np.bitwise_count(xw)
        return d, x

    def _first_reached_here(self, x, rho, j):
        """True where step (ρ, j) is the first step that reaches the candidate (see module docstring)."""
        ok = None
        for i, pairs in enumerate(self._masks):
            if i == j:
                continue
            di = None
            for w, mask in pairs:
                c = np.bitwise_count(x[w] & mask)
                di = c if di is None else di + c
            good = di > rho if i < j else di >= rho
            ok = good if ok is None else ok & good
        return ok

    def _search_block(self, Wq, k, radius, stats, q0):
        """k-NN (``k`` given) or radius search (``radius`` given) of one block of queries."""
        nb, b, m, n = Wq.shape[0], self.n_bits, self.n_substrings, self.n_database
        qsub = np.stack([substring_values(Wq, a, s) for a, s in zip(self.substring_starts_, self.substring_lengths_)], 1)
        limit = np.full(nb, b if radius is None else radius, dtype=np.int64)  # keep candidates with d <= limit
        hist = np.zeros((nb, b + 1), dtype=np.int64) if radius is None else None
        found_q, found_d, found_i = [], [], []
        n_cand, n_retr, n_look = (np.zeros(nb, np.int64) for _ in range(3))
        cert = np.full(nb, -1, np.int64)
        rho_reached = np.zeros(nb, np.int64)
        active = np.arange(nb)
        scanned = np.zeros(nb, bool)
        max_len = int(self.substring_lengths_.max())
        for rho in range(max_len + 1):
            for j in range(m):
                if active.size == 0:
                    break
                n_masks = comb(int(self.substring_lengths_[j]), rho)
                if n_masks == 0:
                    continue
                if n_masks * self._scan_factor > n * self.n_words:  # probing costs more than a scan
                    self._scan(Wq, active, k, radius, found_q, found_d, found_i, limit)
                    scanned[active] = True
                    n_cand[active] = n
                    cert[active] = b
                    rho_reached[active] = rho
                    active = active[:0]
                    break
                masks = self._masks_of(self.substring_lengths_[j], rho)
                t = self._tables[j]
                per = max(1, _KEYS_CAP // masks.size)
                for a0 in range(0, active.size, per):
                    A = active[a0 : a0 + per]
                    keys = (qsub[A, j][:, None] ^ masks[None, :]).ravel()
                    start, size = t.lookup(keys)
                    owner = np.repeat(A.astype(np.int32), masks.size)
                    n_look[A] += masks.size
                    n_retr[A] += size.reshape(len(A), masks.size).sum(axis=1)
                    for pos, own in expand_ranges(start, size, owner):
                        d, x = self._distances(t, pos, Wq, own)
                        keep = d <= limit[own]
                        if m > 1:  # count each code once: only at the first step that reaches it
                            first = self._first_reached_here(x, rho, j)
                            n_cand += np.bincount(own[first], minlength=nb)
                            keep &= first
                        else:
                            n_cand += np.bincount(own, minlength=nb)
                        sel = np.flatnonzero(keep)
                        own, d = own[sel], d[sel].astype(np.int32)
                        found_q.append(own)
                        found_d.append(d)
                        found_i.append(t.ids[pos[sel]])
                        if hist is not None:
                            hist += np.bincount(own * (b + 1) + d, minlength=nb * (b + 1)).reshape(nb, b + 1)
                bound = m * rho + j + 1  # every code not found yet is at distance >= bound
                rho_reached[active] = rho
                if radius is None:
                    cum = np.cumsum(hist[active], axis=1)
                    enough = cum[:, -1] >= k
                    kth = np.where(enough, np.argmax(cum >= k, axis=1), b)
                    limit[active] = kth
                    done = enough & (kth < bound)
                else:
                    done = np.full(active.size, radius < bound)
                cert[active[done]] = bound - 1
                active = active[~done]
            if active.size == 0:
                break
        for name, arr in (("n_candidates", n_cand), ("n_retrieved", n_retr), ("n_lookups", n_look),
                          ("radius", cert), ("substring_radius", rho_reached), ("linear_scan", scanned)):
            getattr(stats, name)[q0 : q0 + nb] = arr
        return self._collect(found_q, found_d, found_i, limit, nb, k)

    def _scan(self, Wq, A, k, radius, found_q, found_d, found_i, limit):
        """Linear-scan fallback for queries ``A`` (replaces whatever was found for them): the codes of
        table 0, a permutation of the database, mapped back to ids through its ``ids``."""
        keep = [~np.isin(q, A) for q in found_q]
        for lst in (found_q, found_d, found_i):
            lst[:] = [a[kp] for a, kp in zip(lst, keep)]
        t = self._tables[0]
        rows = max(1, (1 << 24) // max(self.n_database, 1))
        for a0 in range(0, len(A), rows):
            Ab = A[a0 : a0 + rows]
            D = hamming_rows(np.ascontiguousarray(Wq[Ab]), t.codes_t, self.n_bits)
            if radius is None:  # k-th distance from a histogram of the distances: one counting pass
                kth = np.array([np.searchsorted(np.cumsum(np.bincount(row, minlength=self.n_bits + 1)), k)
                                for row in D])
                limit[Ab] = kth
                r, c = np.nonzero(D <= kth[:, None])
            else:
                r, c = np.nonzero(D <= radius)
            found_q.append(Ab[r])
            found_d.append(D[r, c].astype(np.int32))
            found_i.append(t.ids[c])

    def _collect(self, found_q, found_d, found_i, limit, nb, k):
        q = np.concatenate(found_q) if found_q else np.zeros(0, np.int64)
        d = np.concatenate(found_d) if found_d else np.zeros(0, np.int32)
        i = np.concatenate(found_i).astype(np.intp) if found_i else np.zeros(0, np.intp)
        keep = d <= limit[q]
        q, d, i = q[keep], d[keep], i[keep]
        order = np.lexsort((i, d, q))
        q, d, i = q[order], d[order], i[order]
        bounds = np.searchsorted(q, np.arange(nb + 1))
        if k is None:
            return ([d[bounds[t] : bounds[t + 1]].astype(np.int32) for t in range(nb)],
                    [i[bounds[t] : bounds[t + 1]] for t in range(nb)])
        sel = bounds[:-1, None] + np.arange(k)
        return d[sel].astype(np.int32), i[sel]
