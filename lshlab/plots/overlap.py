"""Figures for unsupervised retrieval scored by Dice / Jaccard (lecture 12).

Every helper accepts ``ax=`` (or ``axes=`` for several panels), labels its axes, titles what is
compared, never calls ``plt.show()`` and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

import numpy as np

from ._common import axes_grid_or_new, axes_or_new

__all__ = ["plot_overlap_violins", "plot_overlap_vs_retrieved", "plot_reconstruction_grid"]


def plot_overlap_violins(scores_by_bits, axes=None, title=""):
    """Violin plots of per-query Dice (left) and Jaccard (right) scores, one violin per code length.

    ``scores_by_bits`` maps a code length to an :class:`lshlab.metrics.OverlapScores`.
    """
    fig, axes = axes_grid_or_new(axes, 1, 2, (11, 3.8), sharey=True)
    bits = sorted(scores_by_bits)
    pos = np.arange(len(bits))
    for ax, attr, colour in zip(axes.ravel(), ("dice", "jaccard"), ("tab:blue", "tab:orange")):
        data = [np.asarray(getattr(scores_by_bits[b], attr)) for b in bits]
        parts = ax.violinplot(data, positions=pos, showmedians=True, widths=0.8)
        for body in parts["bodies"]:
            body.set_facecolor(colour)
            body.set_alpha(0.5)
        ax.set_xticks(pos, [str(b) for b in bits])
        ax.set_xlabel("number of bits")
        ax.set_ylabel(f"{attr.capitalize()} score")
        ax.set_ylim(-0.02, 1.02)
        n = len(data[0]) if data else 0
        ax.set_title(f"{attr.capitalize()}: hashed vs Euclidean top-k ({n} queries) {title}".strip())
    fig.tight_layout()
    return fig


def plot_overlap_vs_retrieved(ks, curves, ax=None, ylabel="mean score",
                              title="Mean score vs number retrieved, by setting"):
    """Mean score (± one standard deviation, shaded) against the number of retrieved images.

    ``curves`` maps a label to an array of shape (len(ks), n_queries) of per-query scores.
    """
    fig, ax = axes_or_new(ax, figsize=(5.5, 3.8))
    ks = np.asarray(ks)
    for label, vals in curves.items():
        vals = np.asarray(vals, dtype=float)
        mean, sd = vals.mean(axis=1), vals.std(axis=1)
        ax.plot(ks, mean, "o-", label=label)
        ax.fill_between(ks, mean - sd, mean + sd, alpha=0.15)
    ax.set_xscale("log")
    ax.set_xlabel("number of retrieved images k")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_reconstruction_grid(X, X_rec, image_shape=(28, 28), n=8, axes=None,
                             title="Autoencoder: input (top) vs reconstruction (bottom)"):
    """Two rows of images: originals above, reconstructions below (``axes``: 2 × n Axes, optional)."""
    n = min(n, len(X))
    if n == 0 or len(X_rec) < n:
        raise ValueError(f"X and X_rec must hold at least one image each and as many as shown, got {len(X)} "
                         f"and {len(X_rec)}")
    fig, axes = axes_grid_or_new(axes, 2, n, (1.3 * n, 2.9))
    for j in range(n):
        for row, img in enumerate((X[j], X_rec[j])):
            axes[row, j].imshow(np.asarray(img).reshape(image_shape), cmap="gray", vmin=0, vmax=1)
            axes[row, j].axis("off")
    fig.suptitle(title)
    return fig
