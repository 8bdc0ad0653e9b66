"""Explorer for lecture 10: Dice / Jaccard between hashed and Euclidean retrieval, with a bits slider."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .._validation import check_positive_int
from ..metrics import overlap_scores_by_code_length

__all__ = ["update_overlap", "draw_overlap", "overlap_explorer"]


def update_overlap(dist_reference, codes_query, codes_db, n_bits, k):
    """Per-query Dice / Jaccard of the first ``n_bits`` bits' top-k against the reference top-k."""
    n_bits = check_positive_int(n_bits, "n_bits")
    return overlap_scores_by_code_length(dist_reference, codes_query, codes_db, [n_bits], k)[n_bits]


def draw_overlap(result, axes=None, n_bits=None, k=None):
    """Histograms of the per-query Dice and Jaccard scores of one setting; returns the Figure.

    ``result`` is an :class:`lshlab.metrics.OverlapScores` (``n_bits`` / ``k`` only label the titles).
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
    axes = np.ravel(axes)
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
        ax.set_title(f"{attr.capitalize()}, {n_bits} bits, top-{k}" if n_bits else attr.capitalize())
    return fig


def overlap_explorer(dist_reference, codes_query, codes_db, bits_options, k_options=(10, 50, 100)):
    """Sliders for the number of bits and the number retrieved k; redraws the score histograms."""
    from ._core import Explorer, selection_slider

    bits_options, k_options = list(bits_options), list(k_options)

    def update(n_bits, k):
        return update_overlap(dist_reference, codes_query, codes_db, n_bits, k), n_bits, k

    def draw(result, axes):
        scores, n_bits, k = result
        return draw_overlap(scores, axes, n_bits=n_bits, k=k)

    return Explorer(
        update=update, draw=draw,
        controls={"n_bits": selection_slider("bits", bits_options, bits_options[0]),
                  "k": selection_slider("retrieved k", k_options, k_options[0])},
        ncols=2, figsize=(10, 3.6), title="Hashed vs Euclidean retrieval: per-query Dice and Jaccard",
        margins=dict(left=0.07, right=0.98, bottom=0.15, top=0.88, wspace=0.25),
    )
