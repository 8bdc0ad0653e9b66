"""Figures for lecture 07 (Lee codes over Z_q): distance histograms and rank correlation vs q.

Every helper accepts ``ax=``, labels its axes, titles what is compared, never calls ``plt.show()``
and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._common import axes_or_new

__all__ = ["plot_lee_euclidean_histograms", "plot_lee_vs_euclidean", "plot_rank_correlation_vs_q",
           "plot_lee_symbol_distance"]


_axes = partial(axes_or_new, figsize=(5.5, 4.2), layout="constrained")


def _rescale(d):
    d = np.asarray(d, dtype=np.float64).ravel()
    top = d.max()
    return d / top if top > 0 else d


def plot_lee_euclidean_histograms(lee_dist, eucl_dist, q, ax=None, *, bins=40, rho=None, title=None):
    """Normalised histograms of one query's rescaled Lee distances (red) and rescaled Euclidean
    distances (blue) to every database item (each divided by its maximum over the database, so both
    live on [0, 1]), as in the slides' Figure 15.

    Parameters
    ----------
    lee_dist, eucl_dist : 1-D arrays over the database
    q : int, the alphabet size (for the title)
    rho : float, optional
        Spearman rank correlation to print in the title.
    """
    fig, ax = _axes(ax)
    lee, eu = _rescale(lee_dist), _rescale(eucl_dist)
    edges = np.linspace(0, 1, bins + 1)
    for values, color, label in ((eu, "tab:blue", "Euclidean (rescaled)"), (lee, "tab:red", "Lee (rescaled)")):
        dens, _ = np.histogram(values, bins=edges, density=True)
        ax.stairs(dens, edges, fill=True, alpha=0.55, color=color, label=label)
    ax.set_xlabel("distance to the query / its maximum")
    ax.set_ylabel("density")
    extra = f", Spearman ρ = {rho:.2f}" if rho is not None else ""
    ax.set_title(title or f"One query: Lee (q = {q}) vs Euclidean{extra}", fontsize="medium")
    ax.legend(fontsize="small", loc="upper left")
    return fig


def plot_lee_vs_euclidean(lee_dist, eucl_dist, q, n_symbols, ax=None, *, title=None, max_points=3000,
                          random_state=0):
    """Scatter of one query's normalised Lee distance d_Lee / (n ⌊q/2⌋) (the fraction of the largest
    possible Lee distance) against its Euclidean distance to each database item."""
    fig, ax = _axes(ax)
    lee = np.asarray(lee_dist, dtype=np.float64).ravel() / (n_symbols * (q // 2))
    eu = np.asarray(eucl_dist, dtype=np.float64).ravel()
    if lee.size > max_points:
        keep = np.random.default_rng(random_state).choice(lee.size, max_points, replace=False)
        lee, eu = lee[keep], eu[keep]
    ax.scatter(eu, lee, s=4, alpha=0.35, color="tab:red", linewidths=0)
    ax.set_xlabel("Euclidean distance to the query")
    ax.set_ylabel("normalised Lee distance")
    ax.set_ylim(0, max(0.6, float(lee.max()) * 1.05))
    ax.set_title(title or f"One query: Lee (q = {q}, {n_symbols} symbols) vs Euclidean", fontsize="medium")
    return fig


def plot_rank_correlation_vs_q(qs, rhos, ax=None, *, label=None, title="Rank agreement of Lee and Euclidean distance vs q"):
    """Spearman ρ(Lee distance, Euclidean distance) against the alphabet size q."""
    fig, ax = _axes(ax)
    ax.plot(np.asarray(qs), np.asarray(rhos), "o-", lw=2, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("alphabet size q (log scale)")
    ax.set_ylabel("Spearman ρ")
    ax.set_title(title, fontsize="medium")
    if label:
        ax.legend(fontsize="small")
    return fig


def plot_lee_symbol_distance(q, ax=None, *, title=None):
    """The Lee distance min(|a − b|, q − |a − b|) between symbol 0 and every symbol b of Z_q,
    next to the Hamming distance 1[a ≠ b]: the Lee metric sees a circle, Hamming only equality."""
    fig, ax = _axes(ax)
    b = np.arange(q)
    ax.bar(b - 0.2, np.minimum(b, q - b), width=0.4, label="Lee distance to 0")
    ax.bar(b + 0.2, (b != 0).astype(int), width=0.4, label="Hamming distance to 0")
    ax.set_xlabel("symbol b ∈ Z_q")
    ax.set_ylabel("distance d(0, b)")
    ax.set_title(title or f"Lee vs Hamming distance on one symbol of Z_{q}", fontsize="medium")
    ax.legend(fontsize="small")
    return fig
