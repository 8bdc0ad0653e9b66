"""Compact substring tables of multi-index hashing, and their pure helpers.

Used by :class:`lshlab.search.MultiIndexHashing` (see :mod:`lshlab.search.multi_index` for the
algorithm).  Public so that the pieces can be tested and shown on their own:

* :func:`substring_bounds` — the ``m`` disjoint substrings of a ``b``-bit code (Norouzi's layout);
* :func:`weight_masks` — every ``s``-bit mask of a given weight (the XOR masks of one probing step);
* :func:`radix_argsort` — the linear-time stable sort that builds a table;
* :class:`SubstringTable` — one table: ids sorted by substring value, the codes in the same order,
  and the bucket offsets (dense) or a hashed directory of the distinct values (long substrings);
* :func:`expand_ranges` — bucket ranges → candidate positions, vectorised;
* :func:`big_endian_words`, :func:`substring_values`, :func:`substring_word_masks` — bit layout.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int
from .primitives import as_words

__all__ = [
    "substring_bounds",
    "weight_masks",
    "radix_argsort",
    "big_endian_words",
    "substring_values",
    "substring_word_masks",
    "SubstringTable",
    "expand_ranges",
    "EXPAND_CAP",
]

EXPAND_CAP = 1 << 22  # candidates expanded per batch (bounds the temporaries of one probing step)


def substring_bounds(n_bits, n_substrings):
    """Bit ranges of ``m`` disjoint substrings covering ``n_bits`` bits, as Norouzi's reference code.

    The first ``b − m(⌈b/m⌉ − 1)`` substrings have ``⌈b/m⌉`` bits, the others one bit less.

    Returns
    -------
    starts, lengths : ndarray of int64, shape (m,)

    Examples
    --------
    >>> substring_bounds(64, 3)
    (array([ 0, 22, 43]), array([22, 21, 21]))
    """
    b = check_positive_int(n_bits, "n_bits")
    m = check_positive_int(n_substrings, "n_substrings")
    if m > b:
        raise ValueError(f"n_substrings={m} exceeds the code length {b}; use 1 <= n_substrings <= {b}")
    s = -(-b // m)
    if s > 64:
        raise ValueError(f"n_substrings={m} gives {s}-bit substrings; use n_substrings >= {-(-b // 64)} "
                         "(substrings of at most 64 bits)")
    n_long = b - m * (s - 1)
    lengths = np.array([s] * n_long + [s - 1] * (m - n_long), dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return starts, lengths


def weight_masks(n_bits, weight):
    """All ``n_bits``-bit integers with exactly ``weight`` bits set, ascending, as ``uint64``.

    Built level by level without a Python loop per mask: the masks of weight ``w`` are the masks of
    weight ``w − 1`` below ``2^p`` with bit ``p`` added, for ``p = 0 … n_bits − 1``.

    Examples
    --------
    >>> weight_masks(4, 2)
    array([ 3,  5,  6,  9, 10, 12], dtype=uint64)
    """
    if weight < 0 or weight > n_bits:
        return np.zeros(0, dtype=np.uint64)
    level = np.zeros(1, dtype=np.uint64)
    for _ in range(weight):
        parts = []
        for p in range(n_bits):
            bit = np.uint64(1) << np.uint64(p)
            below = level[: np.searchsorted(level, bit)]
            if below.size:
                parts.append(below | bit)
        level = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    return level


def radix_argsort(values, n_bits):
    """Stable argsort of non-negative integers below ``2**n_bits``: LSD radix sort, 16-bit digits.

    Each pass is numpy's stable argsort of ``uint16`` keys, a counting (radix) sort, so the whole
    sort is linear in ``len(values)`` with ``⌈n_bits / 16⌉`` passes.

    Returns
    -------
    order : ndarray of int32 (fewer than 2³¹ values) or intp
        ``values[order]`` is ascending; equal values keep their original order.
    """
    values = np.asarray(values)
    if not np.issubdtype(values.dtype, np.unsignedinteger):
        values = values.astype(np.uint64)
    idx_dtype = np.int32 if len(values) < 2**31 else np.intp
    order = None
    for shift in range(0, max(int(n_bits), 1), 16):
        v = values >> values.dtype.type(shift) if order is None else values[order] >> values.dtype.type(shift)
        digit = v.astype(np.uint16)  # the low 16 bits: the digit of this pass
        del v
        step = np.argsort(digit, kind="stable")
        del digit
        order = step.astype(idx_dtype) if order is None else order[step]
        del step
    return order


def big_endian_words(P):
    """Packed bytes → ``uint64`` words, bit ``i`` of a code at position ``63 − i mod 64`` of word ``i // 64``."""
    return as_words(P).view(">u8").astype(np.uint64)  # the same bytes, read most significant first


def substring_values(W, start, length):
    """Integer value of bits ``[start, start + length)`` of every code (words from :func:`big_endian_words`)."""
    w, off = divmod(int(start), 64)
    one = np.uint64(1)
    if off + length <= 64:
        v = W[:, w] >> np.uint64(64 - off - length)
        return v & ((one << np.uint64(length)) - one) if length < 64 else v
    head = 64 - off  # bits taken from word w; the rest from the top of word w + 1
    hi = (W[:, w] & ((one << np.uint64(head)) - one)) << np.uint64(length - head)
    return hi | (W[:, w + 1] >> np.uint64(64 - (length - head)))


def substring_word_masks(n_words, start, length):
    """(word, mask) pairs selecting bits ``[start, start + length)`` in the :func:`big_endian_words` layout."""
    start, length, out = int(start), int(length), []
    for w in range(n_words):
        lo, hi = max(start, 64 * w), min(start + length, 64 * (w + 1))
        if lo < hi:
            a, b = lo - 64 * w, hi - 64 * w  # bit positions within the word, from the top
            mask = ((1 << (64 - a)) - 1) ^ ((1 << (64 - b)) - 1)
            out.append((w, np.uint64(mask)))
    return out


_FIB = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio: Fibonacci (multiplicative) hashing, Knuth vol. 3


class SubstringTable:
    """One compact substring table.

    ``ids`` are the database ids sorted by substring value (stable, so ascending within a bucket) and
    ``codes_t`` the codes in the same order (one row per 64-bit word), so the candidates of a bucket
    are read sequentially.  Short substrings (``2^s`` at most ``max(n, 2^16)``): dense offsets, bucket
    ``v`` = positions ``offsets[v] … offsets[v+1]``.  Long ones: the distinct values with their
    bucket start and size, grouped by a multiplicative hash of the value into ``2^t ≥ n_distinct``
    slots (``directory[h] … directory[h+1]``), found by a vectorised linear probe of the slot.
    """

    def __init__(self, values, length, words_t, id_dtype):
        n = values.shape[0]
        self.length = int(length)
        order = radix_argsort(values, self.length)
        self.ids = order.astype(id_dtype, copy=False)
        self.codes_t = np.empty(words_t.shape, dtype=np.uint64)
        for w in range(words_t.shape[0]):
            np.take(words_t[w], order, out=self.codes_t[w])
        self.dense = self.length <= max(16, int(np.ceil(np.log2(max(n, 2)))))
        if self.dense:
            counts = np.bincount(values, minlength=1 << self.length)
            self.offsets = np.zeros((1 << self.length) + 1, dtype=id_dtype)
            np.cumsum(counts, out=self.offsets[1:])
            return
        sv = values[order]
        first = np.concatenate(([0], np.flatnonzero(sv[1:] != sv[:-1]) + 1)) if n else np.zeros(0, np.int64)
        size = np.diff(np.concatenate((first, [n])))
        self.bits = max(1, int(np.ceil(np.log2(max(len(first), 2)))))
        slot = self._slot(sv[first])
        by_slot = radix_argsort(slot, self.bits)
        self.keys = sv[first][by_slot]
        self.starts = first[by_slot].astype(id_dtype)
        self.sizes = size[by_slot].astype(id_dtype)
        self.directory = np.zeros((1 << self.bits) + 1, dtype=id_dtype)
        np.cumsum(np.bincount(slot.view(np.int64), minlength=1 << self.bits), out=self.directory[1:])

    def _slot(self, keys):
        return (keys * _FIB) >> np.uint64(64 - self.bits)

    @property
    def nbytes(self):
        extra = (self.offsets.nbytes if self.dense
                 else self.keys.nbytes + self.starts.nbytes + self.sizes.nbytes + self.directory.nbytes)
        return self.ids.nbytes + self.codes_t.nbytes + extra

    def lookup(self, keys):
        """Start positions and sizes of the buckets of ``keys`` (uint64); size 0 for an empty bucket."""
        if self.dense:
            k = keys.view(np.int64)
            start = self.offsets[k].astype(np.int64)
            return start, self.offsets[k + 1].astype(np.int64) - start
        slot = self._slot(keys).view(np.int64)
        cur, hi = self.directory[slot].astype(np.int64), self.directory[slot + 1].astype(np.int64)
        found = np.full(len(keys), -1, dtype=np.int64)
        todo = np.flatnonzero(cur < hi)
        while todo.size:  # a slot holds about one distinct value: one or two rounds
            c = cur[todo]
            hit = self.keys[c] == keys[todo]
            found[todo[hit]] = c[hit]
            cur[todo] = c + 1
            todo = todo[~hit & (c + 1 < hi[todo])]
        ok = found >= 0
        start = np.where(ok, self.starts[np.maximum(found, 0)], 0).astype(np.int64)
        return start, np.where(ok, self.sizes[np.maximum(found, 0)], 0).astype(np.int64)


def expand_ranges(start, size, owner, cap=None):
    """Positions ``start[i] … start[i] + size[i] − 1`` of every bucket and the owner of each, in batches."""
    cap = EXPAND_CAP if cap is None else cap
    nz = np.flatnonzero(size)
    start, size, owner = start[nz], size[nz], owner[nz]
    total = int(size.sum())
    if total == 0:
        return
    end = np.cumsum(size)
    if total <= cap:
        base = np.repeat(start - (end - size), size)
        yield base + np.arange(total), np.repeat(owner, size)
        return
    for p0 in range(0, total, cap):  # a huge bucket (skewed data): cut by position
        p = np.arange(p0, min(p0 + cap, total))
        b = np.searchsorted(end, p, side="right")
        yield start[b] + p - (end[b] - size[b]), owner[b]
