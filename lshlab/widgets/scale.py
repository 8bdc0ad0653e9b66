"""Database size, code length and k → time per query and codes examined, multi-index hashing against
brute force.

:func:`prepare_scale` builds one :class:`~lshlab.search.MultiIndexHashing` per (code length, size)
on prefixes of the given codes and measures the whole grid once (median latency and ids read per
query for every k, brute force per query); :func:`update_scale` reads the curves for the chosen code
length and k from the grid and searches the chosen index *live* with a few queries (a few
milliseconds), so a slider move never rebuilds anything; :func:`draw_scale` draws a result
(:class:`ScaleView`: the log–log axes, fixed to the ranges of the whole grid, are drawn once; the curves,
the circled size, legends and titles move); :func:`scale_explorer` wires the three sliders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .._validation import check_positive_int
from ..scale import query_latencies
from ..search import HammingIndex, MultiIndexHashing
from ._core import Explorer, selection_slider
from ._view import View

__all__ = ["ScaleExplorerData", "ScaleResult", "prepare_scale", "update_scale", "ScaleView", "draw_scale",
           "scale_explorer"]


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
    the chosen size (``position`` indexes ``sizes``).  ``seconds_range`` and ``retrieved_range`` are the
    (smallest, largest) positive seconds per query (multi-index hashing and brute force) and ids read
    per query over the whole grid (every code length and k): the explorer's axes keep these ranges, so
    curves of different settings are compared on the same axes."""

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
    seconds_range: tuple
    retrieved_range: tuple


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
                       index.n_substrings, _positive_range(*data.median_s.values(), *data.brute_s.values()),
                       _positive_range(*data.retrieved.values()))


def _positive_range(*arrays):
    """(min, max) of the finite positive values of ``arrays`` ((nan, nan) when there is none)."""
    v = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays]) if arrays else np.empty(0)
    v = v[np.isfinite(v) & (v > 0)]
    return (float(v.min()), float(v.max())) if v.size else (float("nan"), float("nan"))


def _slope_label(name, n, t):
    """``name`` with the least-squares slope of log t against log n (the exponent α of t ∝ n^α)."""
    n, t = np.asarray(n, float), np.asarray(t, float)
    ok = np.isfinite(t) & (t > 0)
    if ok.sum() < 2:
        return name
    return f"{name} (slope {np.polyfit(np.log(n[ok]), np.log(t[ok]), 1)[0]:.2f})"


def _log_limits(lo, hi, *, below=0.06, above=0.06):
    """Log-axis limits around [lo, hi] leaving the fractions ``below`` and ``above`` of the axis empty (at
    least half a decade of data; 1 … 10 when nothing is positive)."""
    if not (np.isfinite(lo) and np.isfinite(hi) and lo > 0):
        return 1.0, 10.0
    decades = max(np.log10(hi / lo), 0.5)
    total = decades / (1.0 - below - above)
    centre = 0.5 * (np.log10(lo) + np.log10(hi))
    return 10.0 ** (centre - decades / 2 - below * total), 10.0 ** (centre + decades / 2 + above * total)


class ScaleView(View):
    """Figure of a :class:`ScaleResult`: left, time per query of multi-index hashing (median) and of brute
    force against database size, with a slope-1 guide; right, ids read per query against size beside the
    n codes of a linear scan (static); the chosen size circled on both.  Log–log axes fixed to the ranges
    of the whole grid (static); the curves, circles, legends and titles move."""

    def build(self, result):
        axes = np.ravel(self.axes)
        ax = axes[0]
        n = np.asarray(result.sizes, dtype=float)
        self.n = n
        self.mih = ax.plot([], [], "o-", lw=2, color="C0", zorder=2)[0]
        self.brute = ax.plot([], [], "s-", lw=2, color="C1", zorder=2)[0]
        self.linear = ax.plot([], [], ":", color="gray", lw=1, zorder=2)[0]
        self.mark = ax.plot([], [], "o", ms=14, mfc="none", mec="red", mew=2, zorder=3)[0]
        ax.set_xscale("log")
        ax.set_yscale("log")
        x_limits = _log_limits(n[0], n[-1])
        ax.set_xlim(*x_limits)
        ax.set_ylim(*_log_limits(*result.seconds_range, above=0.3))  # the top for the legend
        ax.set(xlabel="database size n (codes)", ylabel="seconds per query")
        # the live time on its own, right-aligned: a new measurement moves only its digits, not the whole title
        self.title = ax.set_title(" ", loc="left")
        self.live = ax.set_title(" ", loc="right")
        self.legend = ax.legend([self.mih, self.brute, self.linear], [" ", " ", "slope 1 (linear)"],
                                loc="upper left", fontsize=8)
        self.animate(self.mih, self.brute, self.linear, self.mark, self.title, self.live, self.legend)
        self.ax_c = axes[1] if axes.size > 1 else None
        if self.ax_c is not None:
            ax_c = self.ax_c
            scan = ax_c.plot(n, n, ":", color="gray", zorder=2)[0]
            self.read = ax_c.plot([], [], "o-", lw=2, color="C0", zorder=2)[0]
            self.mark_c = ax_c.plot([], [], "o", ms=14, mfc="none", mec="red", mew=2, zorder=3)[0]
            ax_c.set_xscale("log")
            ax_c.set_yscale("log")
            ax_c.set_xlim(*x_limits)
            lo, hi = result.retrieved_range
            lo, hi = (n[0], n[-1]) if not np.isfinite(lo) else (min(lo, n[0]), max(hi, n[-1]))
            ax_c.set_ylim(*_log_limits(lo, hi, above=0.25))
            ax_c.set(xlabel="database size n (codes)", ylabel="codes per query")
            self.title_c = ax_c.set_title(" ")
            self.legend_c = ax_c.legend([scan, self.read], ["brute force: all n codes", " "], loc="upper left",
                                        fontsize=8)
            self.animate(self.read, self.mark_c, self.title_c, self.legend_c)
        self.update(result)

    def update(self, result):
        n, i = self.n, result.position
        mih, brute = np.asarray(result.median_s, float), np.asarray(result.brute_s, float)
        self.mih.set_data(n, mih)
        self.mark.set_data([n[i]], [mih[i]])
        finite = np.flatnonzero(np.isfinite(brute) & (brute > 0))
        self.brute.set_data(n, brute)
        if finite.size:
            j = int(finite[0])
            self.linear.set_data(n, brute[j] * n / n[j])
        else:
            self.linear.set_data([], [])
        texts = self.legend.get_texts()
        texts[0].set_text(_slope_label("multi-index hashing, median", n, mih))
        texts[1].set_text(_slope_label("brute force (linear scan)", n, brute))
        self.title.set_text(f"{result.n_bits} bits, k={result.k}, n={int(n[i]):,}")
        self.live.set_text(f"live: {1e3 * result.live_median_s:.2f} ms, m={result.n_substrings}")
        if self.ax_c is not None:
            read = np.asarray(result.retrieved, float)
            self.read.set_data(n, read)
            self.mark_c.set_data([n[i]], [read[i]])
            self.legend_c.get_texts()[1].set_text(_slope_label("multi-index hashing, ids read (median)", n, read))
            self.title_c.set_text(f"{result.live_retrieved:,.0f} ids read, radius {result.live_radius:.0f} (live)")



def draw_scale(result, axes):
    """Time per query and ids read per query against database size, the chosen size circled and its
    live measurement in the titles (one axes: the time panel only); returns the Figure."""
    return ScaleView(axes).draw(result)


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
        view=ScaleView, ncols=2, figsize=figsize, title="Multi-index hashing vs brute force: time and codes examined per query",
    )
    explorer.data = data
    return explorer
