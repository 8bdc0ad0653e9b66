"""Explorer for lecture 12: Dice / Jaccard between hashed and Euclidean retrieval, with a bits slider.

``update_overlap`` is pure (distances and codes in, an :class:`OverlapResult` out); ``draw_overlap`` draws
the per-query score histograms; ``overlap_explorer`` wires a bits slider and a k slider to the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .._validation import check_positive_int
from ..metrics import overlap_scores_by_code_length

__all__ = ["OverlapResult", "update_overlap", "draw_overlap", "overlap_explorer"]


@dataclass
class OverlapResult:
    """Output of :func:`update_overlap`: per-query Dice and Jaccard scores of the top ``k`` by the first
    ``n_bits`` bits against the reference top ``k``."""

    n_bits: int
    k: int
    dice: np.ndarray
    jaccard: np.ndarray


def update_overlap(dist_reference, codes_query, codes_db, *, n_bits, k):
    """Per-query Dice / Jaccard of the first ``n_bits`` bits' top-k against the reference top-k.

    Returns an :class:`OverlapResult`."""
    n_bits = check_positive_int(n_bits, "n_bits")
    scores = overlap_scores_by_code_length(dist_reference, codes_query, codes_db, [n_bits], k)[n_bits]
    return OverlapResult(n_bits=n_bits, k=int(k), dice=np.asarray(scores.dice), jaccard=np.asarray(scores.jaccard))


def draw_overlap(result, axes):
    """Histograms of the per-query Dice (left) and Jaccard (right) scores of an :class:`OverlapResult`;
    returns the Figure."""
    axes = np.ravel(axes)
    if axes.size < 2:
        raise ValueError("draw_overlap needs two axes (Dice, Jaccard)")
    fig = axes[0].figure
    bins = np.linspace(-0.025, 1.025, 22)  # centred on multiples of 0.05 (Dice at k = 10, 20, … is discrete)
    for ax, attr, colour in zip(axes, ("dice", "jaccard"), ("tab:blue", "tab:orange")):
        vals = np.asarray(getattr(result, attr))
        ax.hist(vals, bins=bins, color=colour, alpha=0.7, histtype="stepfilled")
        ax.axvline(vals.mean(), color="k", ls="--", lw=1, label=f"mean {vals.mean():.3f}")
        ax.set_xlabel(f"{attr.capitalize()} score")
        ax.set_ylabel("queries")
        ax.set_xlim(0, 1)
        ax.legend(loc="upper right")
        ax.set_title(f"{attr.capitalize()}, {result.n_bits} bits, top-{result.k}")
    return fig


def overlap_explorer(dist_reference, codes_query, codes_db, *, bits, ks=(10, 50, 100)):
    """Sliders for the number of bits (``bits``) and the number retrieved (``ks``); redraws the score
    histograms."""
    from ._core import Explorer, selection_slider

    bits, ks = list(bits), list(ks)
    return Explorer(
        update=partial(update_overlap, dist_reference, codes_query, codes_db),
        draw=draw_overlap,
        controls={"n_bits": selection_slider("bits", bits, bits[0]),
                  "k": selection_slider("retrieved k", ks, ks[0])},
        ncols=2, figsize=(10, 3.6), title="Hashed vs Euclidean retrieval: per-query Dice and Jaccard",
        margins=dict(left=0.07, right=0.98, bottom=0.15, top=0.88, wspace=0.25),
    )
