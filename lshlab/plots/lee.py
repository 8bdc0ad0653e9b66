"""Figures for lecture 07 (Lee codes over Z_q): distance histograms and rank correlation vs q.

Every helper accepts ``ax=``, labels its axes, titles what is compared, never calls ``plt.show()``
and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._common import axes_or_new

__all__ = ["plot_lee_euclidean_histograms", "plot_lee_vs_euclidean", "plot_rank_correlation_vs_q",
           "plot_lee_symbol_distance", "plot_expected_lee_distance"]


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
    extra = f" (ρ = {rho:.2f})" if rho is not None else ""
    ax.set_title(title or f"q = {q}: Lee vs Euclidean{extra}", fontsize="medium")
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
    ax.set_title(title or f"q = {q}, {n_symbols} symbols", fontsize="medium")
    return fig


def plot_rank_correlation_vs_q(qs, rhos, ax=None, *, label=None, title="Rank agreement with Euclidean vs q"):
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
    if q <= 16:
        ax.set_xticks(b)
    ax.set_ylim(0, 1.45 * max(q // 2, 1))  # room for the legend above the bars
    ax.set_xlabel("symbol b ∈ Z_q")
    ax.set_ylabel("distance d(0, b)")
    ax.set_title(title or f"Lee vs Hamming distance on one symbol of Z_{q}", fontsize="medium")
    ax.legend(fontsize="small", loc="upper left", ncol=2)
    return fig


def plot_expected_lee_distance(delta, lee, q, ax=None, *, bins=20, title=None):
    """Measured mean Lee distance per symbol against the projected difference, with the expectation.

    Parameters
    ----------
    delta : array
        Differences Δ = u(x) − u(y) of the dithered projections of pairs, one per (pair, symbol), in
        units of the period (e.g. differences of rows of :meth:`lshlab.hashing.LeeHash.project`).
    lee : array, same shape
        The Lee distance of the corresponding pair of symbols, min(|a − b|, q − |a − b|).
    q : int, the alphabet size

    The x axis is d_○(Δ) ∈ [0, ½], the distance of Δ to the nearest integer (the expectation is
    periodic and even in Δ).  Points: mean Lee distance in ``bins`` equal-width bins with ±2 standard
    errors; solid line: :func:`lshlab.hashing.lee.expected_lee_distance` (min(q·d_○, ⌊q/2⌋)); dashed
    line, for odd q: the even-q triangle q·d_○, which overstates the peak by ½.
    """
    from ..hashing.lee import expected_lee_distance

    delta = np.asarray(delta, dtype=np.float64).ravel()
    lee = np.asarray(lee, dtype=np.float64).ravel()
    if delta.shape != lee.shape or delta.size == 0:
        raise ValueError(f"delta and lee must be non-empty with the same number of entries, got "
                         f"{np.shape(delta)} and {np.shape(lee)}")
    frac = np.abs(delta) - np.floor(np.abs(delta))
    d = np.minimum(frac, 1.0 - frac)
    edges = np.linspace(0.0, 0.5, bins + 1)
    which = np.clip(np.searchsorted(edges, d, side="right") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    total = np.bincount(which, weights=lee, minlength=bins)
    total2 = np.bincount(which, weights=lee * lee, minlength=bins)
    ok = count > 1
    mean = np.where(ok, total / np.maximum(count, 1), np.nan)
    var = np.where(ok, (total2 - count * mean**2) / np.maximum(count - 1, 1), np.nan)
    se = np.sqrt(np.maximum(var, 0) / np.maximum(count, 1))
    centres = (edges[1:] + edges[:-1]) / 2
    fig, ax = _axes(ax)
    grid = np.linspace(0.0, 0.5, 201)
    ax.plot(grid, expected_lee_distance(grid, q), color="k", lw=2, label="min(q·d_○, ⌊q/2⌋)")
    if q % 2:
        ax.plot(grid, q * grid, "--", color="tab:gray", lw=1.5, label="q·d_○ (even-q triangle)")
    ax.errorbar(centres[ok], mean[ok], yerr=2 * se[ok], fmt="o", ms=4, color="tab:red", capsize=2,
                label="measured mean (±2 s.e.)")
    ax.set_xlim(0.0, 0.5)
    ax.set_ylim(0.0, q / 2 + 0.3)
    ax.set_xlabel("d_○(Δ): distance of Δ to the nearest integer")
    ax.set_ylabel("Lee distance per symbol")
    ax.set_title(title or f"Expected Lee distance, q = {q}", fontsize="medium")
    ax.legend(fontsize="small", loc="upper left")
    return fig
