"""Ranking rows by distance with explicit tie groups (the machinery behind ``ties="average"``).

A tie group is a maximal run of database items at the same distance from a query.  Under
``ties="average"`` the items of a group are in a uniformly random order, so a metric is computed as
its exact expectation over those orders; under ``ties="index"`` every position is its own group
(ties broken by database index, a stable sort).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RankedRows", "rank_rows", "expected_hits", "harmonic_numbers", "stable_argsort"]


def stable_argsort(d):
    """Row-wise stable argsort; small non-negative integer distances use numpy's radix sort."""
    if np.issubdtype(d.dtype, np.integer) and d.size:
        lo, hi = d.min(), d.max()
        if lo >= 0 and hi < 256:
            d = d.astype(np.uint8, copy=False)
        elif lo >= 0 and hi < 65536:
            d = d.astype(np.uint16, copy=False)
    return np.argsort(d, axis=1, kind="stable")


def harmonic_numbers(n):
    """H[i] = Σ_{j ≤ i} 1/j for i = 0 … n (H[0] = 0)."""
    H = np.zeros(n + 1)
    H[1:] = np.cumsum(1.0 / np.arange(1, n + 1))
    return H


@dataclass
class RankedRows:
    """A chunk of queries ranked by distance, with the tie group of every position.

    For position p (0-based) of row i the tie group occupies positions
    ``group_start[i, p] … group_end[i, p] - 1``; ``starts_group[i, p]`` is True at the first position of
    a group; ``relevant_before[i, p]`` is the number of relevant items strictly before position p (shape
    (c, n + 1), for every position of the row).  With ``ties="index"`` every position is its own group.
    """

    group_start: np.ndarray
    group_end: np.ndarray
    starts_group: np.ndarray
    relevant_before: np.ndarray


def rank_rows(d, rel, ties, upto=None):
    """Rank a chunk of rows of distances ``d`` (relevance ``rel``).

    Group bounds are returned for the first ``upto`` positions only (all positions by default),
    ``relevant_before`` always for the whole row.
    """
    order = stable_argsort(d)
    rel_sorted = np.take_along_axis(rel, order, axis=1)
    c, n = d.shape
    n_w = n if upto is None else min(int(upto), n)
    cum = np.zeros((c, n + 1), dtype=np.int64)
    np.cumsum(rel_sorted, axis=1, out=cum[:, 1:])
    pos = np.arange(n_w)
    if ties == "index":
        new = np.ones((c, n_w), dtype=bool)
        start = np.broadcast_to(pos, (c, n_w))
        end = start + 1
        return RankedRows(start, end, new, cum)
    ds = np.take_along_axis(d, order, axis=1)
    new_full = np.ones((c, n), dtype=bool)
    new_full[:, 1:] = ds[:, 1:] != ds[:, :-1]
    new = new_full[:, :n_w]
    start = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    # position p ends its group when p is the last position or p + 1 starts a new group
    last = np.ones((c, n_w), dtype=bool)
    last[:, : n_w - 1] = new_full[:, 1:n_w]
    if n_w < n:
        last[:, n_w - 1] = new_full[:, n_w]
    big = n + 1
    end = np.minimum.accumulate(np.where(last, pos + 1, big)[:, ::-1], axis=1)[:, ::-1]
    if n_w < n:  # the group open at the window edge ends at the next group start beyond it
        tail = new_full[:, n_w:]
        end_b = np.where(tail.any(axis=1), n_w + np.argmax(tail, axis=1), n)
        end = np.where(end == big, end_b[:, None], end)
    return RankedRows(start, end, new, cum)


def expected_hits(ranked, depths):
    """Expected number of relevant items in the top ``depths`` (array of ints ≥ 1) for every row.

    Position k-1 lies in a tie group [s, e) with a relevant items before it and r inside; the top k
    takes m = k - s of the n = e - s tied items uniformly, so E[hits] = a + m r / n.
    """
    rows = np.arange(ranked.relevant_before.shape[0])[:, None]
    p = np.asarray(depths)[None, :] - 1
    s = ranked.group_start[rows, p]
    e = ranked.group_end[rows, p]
    a = ranked.relevant_before[rows, s]
    r = ranked.relevant_before[rows, e] - a
    m = p + 1 - s
    return a + m * r / (e - s)
