"""Explorer for lecture 12: Dice / Jaccard between hashed and Euclidean retrieval, with a bits slider.

``update_overlap`` is pure (distances and codes in, an :class:`OverlapResult` out); ``draw_overlap`` draws
the per-query score histograms; ``overlap_explorer`` wires a bits slider and a k slider to the two.

The explorer passes ``update_overlap`` an ordering cache: for a code length, the first ``k_max`` database
items of every query in (distance, index) order — the top-k set with ties broken by index, for every
k ≤ k_max at once.  A first visit of a code length computes the Hamming distances once; the k slider
and revisits only intersect stored orderings (the scores equal
:func:`lshlab.metrics.overlap_scores_by_code_length` with ``ties="index"``, tested).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .._validation import check_binary_codes, check_k, check_positive_int
from ..metrics import overlap_scores_by_code_length
from ._view import View, nice_ceiling

__all__ = ["OverlapResult", "update_overlap", "OverlapView", "draw_overlap", "overlap_explorer"]


@dataclass
class OverlapResult:
    """Output of :func:`update_overlap`: per-query Dice and Jaccard scores of the top ``k`` by the first
    ``n_bits`` bits against the reference top ``k``."""

    n_bits: int
    k: int
    dice: np.ndarray
    jaccard: np.ndarray


def _first_k(D, k_max):
    """``(n_rows, k_max)`` column indices of every row's ``k_max`` smallest entries in (value, index)
    order: the top-k set with ties broken by index is the first k columns, for every k ≤ k_max."""
    D = np.asarray(D)
    n_rows, n = D.shape
    if np.issubdtype(D.dtype, np.integer) and (int(D.max(initial=0)) + 1) * n < 2**62:
        key = D.astype(np.int64) * n + np.arange(n)  # unique keys in (value, index) order
        part = np.argpartition(key, k_max - 1, axis=1)[:, :k_max]
        return np.take_along_axis(part, np.argsort(np.take_along_axis(key, part, axis=1), axis=1), axis=1)
    kth = np.partition(D, k_max - 1, axis=1)[:, k_max - 1 : k_max]
    out = np.empty((n_rows, k_max), dtype=np.intp)
    for i in range(n_rows):  # float distances: the candidates ≤ the k_max-th, then (value, index) order
        cand = np.flatnonzero(D[i] <= kth[i])
        out[i] = cand[np.argsort(D[i, cand], kind="stable")[:k_max]]
    return out


def _scores(ref_order, code_order, k, n_db):
    """Dice and Jaccard of the first-k prefixes of two orderings (rows are queries)."""
    rows = np.arange(ref_order.shape[0])[:, None]
    member = np.zeros((ref_order.shape[0], n_db), dtype=bool)
    member[rows, ref_order[:, :k]] = True
    inter = member[rows, code_order[:, :k]].sum(axis=1).astype(float)
    return inter / k, inter / (2 * k - inter)  # |A| = |B| = k: Dice 2|A∩B|/2k, Jaccard |A∩B|/(2k − |A∩B|)


def update_overlap(dist_reference, codes_query, codes_db, *, n_bits, k, cache=None):
    """Per-query Dice / Jaccard of the first ``n_bits`` bits' top-k against the reference top-k (ties
    broken by database index).

    ``cache``: a dict kept between calls (the explorer's): orderings of the reference and of each code
    length, so that only a first visit of ``n_bits`` computes distances.  Without it the scores come
    from :func:`lshlab.metrics.overlap_scores_by_code_length`.

    Returns an :class:`OverlapResult`."""
    n_bits = check_positive_int(n_bits, "n_bits")
    if cache is None:
        scores = overlap_scores_by_code_length(dist_reference, codes_query, codes_db, [n_bits], k)[n_bits]
        return OverlapResult(n_bits=n_bits, k=int(k), dice=np.asarray(scores.dice),
                             jaccard=np.asarray(scores.jaccard))
    from ..distances import hamming_distance_matrix

    n_db = np.shape(dist_reference)[1]
    k = check_k(k, n_db)
    k_max = max(int(k), int(cache.get("k_max", 0)))
    if cache.get("ref_k", 0) < k_max:
        cache["ref"], cache["ref_k"] = _first_k(np.asarray(dist_reference), k_max), k_max
    order = cache.setdefault("codes", {}).get(n_bits)
    if order is None or order.shape[1] < k:
        cq = check_binary_codes(codes_query, "codes_query")
        cd = check_binary_codes(codes_db, "codes_db")
        if n_bits > cq.shape[1]:
            raise ValueError(f"n_bits={n_bits} exceeds the {cq.shape[1]} bits of the codes")
        order = _first_k(hamming_distance_matrix(cq[:, :n_bits], cd[:, :n_bits]), k_max)
        cache["codes"][n_bits] = order
    dice, jaccard = _scores(cache["ref"], order, k, n_db)
    return OverlapResult(n_bits=n_bits, k=int(k), dice=dice, jaccard=jaccard)


def _pending_overlap(cache, *, n_bits, k, **_):
    if n_bits in cache.get("codes", {}):
        return None
    return f"Hamming distances at {n_bits} bits"


class OverlapView(View):
    """Figure of an :class:`OverlapResult`: histograms of the per-query Dice (left) and Jaccard (right)
    scores with their means; the bins are fixed (centred on multiples of 0.05), the y limit changes in
    round steps."""

    edges = np.linspace(-0.025, 1.025, 22)  # centred on multiples of 0.05 (Dice at k = 10, 20, … is discrete)

    def build(self, result):
        axes = np.ravel(self.axes)
        if axes.size < 2:
            raise ValueError("draw_overlap needs two axes (Dice, Jaccard)")
        self.panels = []
        for ax, attr, colour in zip(axes, ("dice", "jaccard"), ("tab:blue", "tab:orange")):
            hist = ax.stairs(np.zeros(self.edges.size - 1), self.edges, fill=True, color=colour, alpha=0.7)
            mean = ax.axvline(0.0, color="k", ls="--", lw=1, label="mean")
            ax.set_xlabel(f"{attr.capitalize()} score")
            ax.set_ylabel("queries")
            ax.set_xlim(0, 1)
            title = ax.set_title(" ")
            self.animate(hist, mean, title, ax.legend(loc="upper right"))
            self.panels.append([ax, attr, hist, mean, title])
        self.update(result)

    def static_key(self):
        return self.key

    def update(self, result):
        counts = [np.histogram(np.asarray(getattr(result, p[1])), bins=self.edges)[0] for p in self.panels]
        self.key = nice_ceiling(1.05 * max(float(c.max()) for c in counts))
        for panel, count in zip(self.panels, counts):
            ax, attr, hist, mean, title = panel
            vals = np.asarray(getattr(result, attr))
            hist.set_data(count, self.edges)
            mean.set_xdata([vals.mean()] * 2)
            ax.set_ylim(0, self.key)
            title.set_text(f"{attr.capitalize()}, {result.n_bits} bits, top-{result.k}: mean {vals.mean():.3f}")


def draw_overlap(result, axes):
    """Histograms of the per-query Dice (left) and Jaccard (right) scores of an :class:`OverlapResult`;
    returns the Figure."""
    return OverlapView(axes).draw(result)


def overlap_explorer(dist_reference, codes_query, codes_db, *, bits, ks=(10, 50, 100)):
    """Sliders for the number of bits (``bits``) and the number retrieved (``ks``); redraws the score
    histograms."""
    from ._core import Explorer, selection_slider

    bits, ks = list(bits), list(ks)
    cache = {"k_max": max(ks)}
    return Explorer(
        update=partial(update_overlap, dist_reference, codes_query, codes_db, cache=cache),
        pending=partial(_pending_overlap, cache),
        draw=draw_overlap, view=OverlapView,
        controls={"n_bits": selection_slider("bits", bits, bits[0]),
                  "k": selection_slider("retrieved k", ks, ks[0])},
        ncols=2, figsize=(10, 3.6), title="Hashed vs Euclidean retrieval: per-query Dice and Jaccard",
    )
