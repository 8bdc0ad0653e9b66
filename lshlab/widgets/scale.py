"""Database size, code length and k → time per query and codes examined, multi-index hashing against
brute force.

:func:`prepare_scale` builds one :class:`~lshlab.search.MultiIndexHashing` per (code length, size)
on prefixes of the given codes and measures the whole grid once (median latency and ids read per
query for every k, brute force per query); :func:`update_scale` reads the curves for the chosen code
length and k from the grid and searches the chosen index *live* with a few queries (a few
milliseconds), so a slider move never rebuilds anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .._validation import check_positive_int
from ..scale import query_latencies
from ..search import HammingIndex, MultiIndexHashing
from ._core import Explorer, selection_slider

__all__ = ["ScaleExplorerData", "ScaleResult", "prepare_scale", "update_scale", "draw_scale", "scale_explorer"]


@dataclass
class ScaleExplorerData:
    """Slider-independent state: the grid of measurements and the prebuilt indexes.

    ``median_s[(n_bits, k)]`` / ``retrieved[(n_bits, k)]``: median seconds per query and median ids
    read per query at every size; ``brute_s[n_bits]``: brute-force seconds per query at every size;
    ``indexes[(n_bits, i)]``: the index over the first ``sizes[i]`` codes; ``queries[n_bits]``: the
    query codes searched live.
    """

    sizes: np.ndarray
    bits: tuple
    ks: tuple
    median_s: dict = field(default_factory=dict)
    retrieved: dict = field(default_factory=dict)
    brute_s: dict = field(default_factory=dict)
    indexes: dict = field(default_factory=dict)
    queries: dict = field(default_factory=dict)


@dataclass
class ScaleResult:
    """Output of :func:`update_scale`: the curves of one (code length, k) and the live measurement at
    the chosen size (``position`` indexes ``sizes``)."""

    sizes: np.ndarray
    n_bits: int
    k: int
    position: int
    median_s: np.ndarray
    retrieved: np.ndarray
    brute_s: np.ndarray
    live_median_s: float
    live_retrieved: float
    live_radius: float
    n_substrings: int


def _median_latency(index, Q, k):
    return float(np.median(query_latencies(index, Q, k)))


def prepare_scale(codes, query_codes, sizes, *, ks=(1, 10, 100), n_queries=30, n_live=8):
    """Measure the grid (code length × size × k) once.

    Parameters
    ----------
    codes : dict n_bits -> packed codes (N, n_bytes); the prefixes ``codes[:n]`` are the databases
    query_codes : dict n_bits -> packed query codes
    sizes : increasing database sizes (each ≤ N)
    ks : values of k offered
    n_queries : queries timed one at a time per grid point
    n_live : queries searched live by :func:`update_scale`

    Returns
    -------
    :class:`ScaleExplorerData`
    """
    sizes = np.asarray(sorted(int(s) for s in sizes), dtype=np.int64)
    bits = tuple(sorted(codes))
    ks = tuple(sorted(check_positive_int(k, "k") for k in ks))
    if ks[-1] > sizes[0]:
        raise ValueError(f"the largest k={ks[-1]} exceeds the smallest size {sizes[0]}")
    data = ScaleExplorerData(sizes, bits, ks)
    for b in bits:
        C, Q = codes[b], np.asarray(query_codes[b])
        if sizes[-1] > len(C):
            raise ValueError(f"sizes go up to {sizes[-1]} but {len(C)} codes of {b} bits were given")
        Qt = Q[: min(n_queries, len(Q))]
        data.queries[b] = Q[: min(n_live, len(Q))]
        med = {k: [] for k in ks}
        ret = {k: [] for k in ks}
        brute = []
        for i, n in enumerate(sizes):
            index = MultiIndexHashing(C[:n], packed=True, n_jobs=1)
            data.indexes[(b, i)] = index
            for k in ks:
                med[k].append(_median_latency(index, Qt, k))
                index.search(Qt, k)
                ret[k].append(float(np.median(index.search_stats.n_retrieved)))
            flat = HammingIndex(C[:n], packed=True)
            t = _timed_batch(flat, Qt, ks[len(ks) // 2])
            brute.append(t / len(Qt))
        for k in ks:
            data.median_s[(b, k)] = np.asarray(med[k])
            data.retrieved[(b, k)] = np.asarray(ret[k])
        data.brute_s[b] = np.asarray(brute)
    return data


def _timed_batch(index, Q, k):
    import time

    index.search(Q[:1], k)
    t0 = time.perf_counter()
    index.search(Q, k)
    return time.perf_counter() - t0


def update_scale(data, *, n_items, n_bits, k):
    """The curves of (``n_bits``, ``k``) and a live search of the index over ``n_items`` codes.

    Returns a :class:`ScaleResult`.
    """
    if n_bits not in data.bits:
        raise ValueError(f"n_bits must be one of {data.bits}, got {n_bits!r}")
    if k not in data.ks:
        raise ValueError(f"k must be one of {data.ks}, got {k!r}")
    hits = np.flatnonzero(data.sizes == n_items)
    if hits.size == 0:
        raise ValueError(f"n_items must be one of {data.sizes.tolist()}, got {n_items!r}")
    i = int(hits[0])
    index = data.indexes[(n_bits, i)]
    Q = data.queries[n_bits]
    live = _median_latency(index, Q, k)
    index.search(Q, k)
    st = index.search_stats
    return ScaleResult(data.sizes, int(n_bits), int(k), i, data.median_s[(n_bits, k)], data.retrieved[(n_bits, k)],
                       data.brute_s[n_bits], live, float(np.median(st.n_retrieved)), float(np.median(st.radius)),
                       index.n_substrings)


def draw_scale(result, axes):
    """Time per query and ids read per query against database size, the chosen size circled and its
    live measurement in the titles; returns the Figure."""
    from ..plots.scale import plot_candidates_vs_size, plot_time_vs_size

    axes = np.ravel(axes)
    n = result.sizes[result.position]
    fig = plot_time_vs_size(result.sizes, result.median_s, result.brute_s, ax=axes[0], highlight=result.position,
                            title=f"{result.n_bits} bits, k={result.k}: n={n:,} → {1e3 * result.live_median_s:.2f} ms "
                                  f"(live, m={result.n_substrings})")
    if axes.size > 1:
        plot_candidates_vs_size(result.sizes, result.retrieved, ax=axes[1], highlight=result.position,
                                title=f"{result.live_retrieved:,.0f} ids read, radius {result.live_radius:.0f} (live)")
    return fig


def scale_explorer(codes, query_codes, sizes, *, ks=(1, 10, 100), n_queries=30, n_live=8, figsize=(12, 4.4)):
    """Sliders for database size, code length and k → time and codes examined per query.

    Returns an :class:`lshlab.widgets.Explorer`; ``explorer.data`` is the :class:`ScaleExplorerData`.
    """
    data = prepare_scale(codes, query_codes, sizes, ks=ks, n_queries=n_queries, n_live=n_live)
    sizes_list = [int(s) for s in data.sizes]
    explorer = Explorer(
        update=partial(update_scale, data), draw=draw_scale,
        controls={
            "n_items": selection_slider("database size", sizes_list, sizes_list[-1]),
            "n_bits": selection_slider("code length (bits)", list(data.bits), 64 if 64 in data.bits else data.bits[0]),
            "k": selection_slider("k", list(data.ks), 10 if 10 in data.ks else data.ks[0]),
        },
        ncols=2, figsize=figsize, title="Multi-index hashing vs brute force: time and codes examined per query",
    )
    explorer.data = data
    return explorer
