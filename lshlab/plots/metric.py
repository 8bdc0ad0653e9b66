"""Figures for lecture 10 (metric learning, metric LSH and kernelized LSH).

- :func:`plot_metric_ellipses`: points, similar / dissimilar constraints and the balls of a Mahalanobis
  metric {x : (x − c)ᵀA(x − c) = r²} (ellipses) around every point.
- :func:`plot_metric_before_after`: the same picture for the prior and the learned metric side by side.
- :func:`plot_constraint_distances`: d_A of every constraint before and after learning, with u and l.
- :func:`plot_collision_theory_vs_measured`: metric-LSH bit agreement against 1 − θ_A/π.
- :func:`plot_accuracy_bars`: a labelled bar chart of scores (kNN accuracy, mAP) for several methods.
- :func:`plot_collision_vs_kernel`: kernelized-LSH bit agreement against the kernel value of each pair.

Every helper accepts ``ax=`` (or ``axes=``), labels its axes, titles what is compared, never calls
``plt.show()`` and returns the Figure.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from matplotlib.ticker import NullFormatter

from .._validation import check_matrix
from ._common import axes_grid_or_new, axes_or_new

__all__ = [
    "plot_metric_ellipses",
    "plot_metric_before_after",
    "plot_constraint_distances",
    "plot_collision_theory_vs_measured",
    "plot_accuracy_bars",
    "plot_collision_vs_kernel",
]

SIMILAR_COLOR = "tab:green"
DISSIMILAR_COLOR = "tab:red"


_axes = partial(axes_or_new, figsize=(5.5, 4.5), layout="constrained")


def _ellipse_xy(center, A, radius, n=120):
    """Boundary of {x : (x − c)ᵀA(x − c) = r²} for a 2×2 positive definite A."""
    w, V = np.linalg.eigh(np.asarray(A, dtype=float))
    if w[0] <= 0:
        raise ValueError(f"A must be positive definite to draw its balls, eigenvalues {w}")
    t = np.linspace(0, 2 * np.pi, n)
    circle = np.stack([np.cos(t), np.sin(t)])  # unit circle
    pts = V @ (circle * (radius / np.sqrt(w))[:, None])
    return center[0] + pts[0], center[1] + pts[1]


def plot_metric_ellipses(X, A, *, pairs=None, similar=None, names=None, radius=1.0, ax=None, title=None):
    """2-D points with constraint segments and the radius-``radius`` ball of A around each point.

    Parameters
    ----------
    X : array (n, 2)
    A : array (2, 2), positive definite
    pairs : int array (m, 2), optional;  similar : bool array (m,), optional
        Drawn as solid green (similar) / dashed red (dissimilar) segments.
    names : sequence of str, optional
        Point labels (e.g. the lecture's "A" … "F").
    radius : float
        Ball radius r in the metric (d_A = r²).
    """
    X = check_matrix(X, "X", dtype=np.float64)
    if X.shape[1] != 2:
        raise ValueError(f"plot_metric_ellipses draws 2-D points, X has {X.shape[1]} columns")
    A = np.asarray(A, dtype=float)
    if A.shape != (2, 2):
        raise ValueError(f"A must be 2x2 for a 2-D picture, got shape {A.shape}")
    fig, ax = _axes(ax)
    if pairs is not None:
        pairs = np.asarray(pairs)
        similar = np.ones(len(pairs), bool) if similar is None else np.asarray(similar, bool)
        for (i, j), s in zip(pairs, similar):
            ax.plot(*X[[i, j]].T, color=SIMILAR_COLOR if s else DISSIMILAR_COLOR,
                    ls="-" if s else "--", lw=2, alpha=0.8, zorder=1)
        ax.plot([], [], color=SIMILAR_COLOR, lw=2, label="similar pair")
        ax.plot([], [], color=DISSIMILAR_COLOR, ls="--", lw=2, label="dissimilar pair")
    for k, c in enumerate(X):
        ax.plot(*_ellipse_xy(c, A, radius), color="tab:blue", lw=1, alpha=0.6,
                label=f"ball d_A = {radius:g}²" if k == 0 else None)
    ax.scatter(X[:, 0], X[:, 1], s=40, color="black", zorder=3)
    if names is not None:
        for name, (x, y) in zip(names, X):
            ax.annotate(str(name), (x, y), xytext=(5, 5), textcoords="offset points", fontsize=11)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    a = A
    ax.set_title(title or f"Metric balls, A = [[{a[0, 0]:.2f}, {a[0, 1]:.2f}], [{a[1, 0]:.2f}, {a[1, 1]:.2f}]]")
    ax.legend(fontsize=9, loc="best")
    return fig


def plot_metric_before_after(X, A_before, A_after, *, pairs=None, similar=None, names=None, radius=1.0, axes=None):
    """Two panels: :func:`plot_metric_ellipses` for the prior metric and for the learned one."""
    fig, grid = axes_grid_or_new(axes, 1, 2, (11, 4.8), layout="constrained")
    axes = grid[0]
    for ax, A, what in zip(axes, (A_before, A_after), ("before learning (prior A0)", "after ITML")):
        plot_metric_ellipses(X, A, pairs=pairs, similar=similar, names=names, radius=radius, ax=ax,
                             title=f"Balls of radius {radius:g}, {what}")
    lims = np.array([axes[0].get_xlim(), axes[1].get_xlim()])
    ylims = np.array([axes[0].get_ylim(), axes[1].get_ylim()])
    for ax in axes[:2]:
        # fixed shared limits: equal aspect by the box from now on (with adjustable="datalim", matplotlib
        # would ignore the fixed limits and warn on stderr)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlim(lims[:, 0].min(), lims[:, 1].max())
        ax.set_ylim(ylims[:, 0].min(), ylims[:, 1].max())
    return fig


def plot_constraint_distances(d_before, d_after, similar, bounds, *, ax=None, title=None):
    """d_A of each constraint before vs after learning (log–log), with the bounds u and l.

    Similar pairs (green) should end below u, dissimilar ones (red) above l (up to the slack).
    """
    d_before = np.asarray(d_before, float)
    d_after = np.asarray(d_after, float)
    similar = np.asarray(similar, bool)
    if not (d_before.shape == d_after.shape == similar.shape):
        raise ValueError("d_before, d_after and similar must have the same shape (one entry per pair)")
    u, l = bounds
    fig, ax = _axes(ax)
    ax.scatter(d_before[similar], d_after[similar], s=8, alpha=0.5, color=SIMILAR_COLOR, label="similar pairs")
    ax.scatter(d_before[~similar], d_after[~similar], s=8, alpha=0.5, color=DISSIMILAR_COLOR,
               label="dissimilar pairs")
    ax.axhline(u, color=SIMILAR_COLOR, ls=":", label=f"u = {u:.3g}")
    ax.axhline(l, color=DISSIMILAR_COLOR, ls=":", label=f"l = {l:.3g}")
    lo = max(min(d_before.min(), d_after.min()), 1e-12)
    hi = max(d_before.max(), d_after.max())
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1, label="unchanged")
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # major decades only: minor labels (2×10⁰, 3×10⁰, …) collide
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("d_A before (prior A0)")
    ax.set_ylabel("d_A after (learned A)")
    ax.set_title(title or "Pair constraints before vs after ITML")
    ax.legend(fontsize=9, loc="upper left")
    return fig


def plot_collision_theory_vs_measured(theory, measured, *, n_bits=None, labels=None, ax=None, title=None,
                                      xlabel=None):
    """Measured bit-agreement rate against 1 − θ_A/π, with the ±2σ binomial band when n_bits is given.

    ``theory`` and ``measured`` are arrays (one entry per pair), or dicts label → array to overlay
    several metrics (then ``labels`` is ignored). ``xlabel`` names the prediction (default: metric LSH's
    1 − θ_A/π).
    """
    fig, ax = _axes(ax)
    if isinstance(theory, dict):
        items = [(k, np.asarray(theory[k], float), np.asarray(measured[k], float)) for k in theory]
    else:
        items = [(labels or "pairs", np.asarray(theory, float), np.asarray(measured, float))]
    for label, t, m in items:
        if t.shape != m.shape:
            raise ValueError(f"theory and measured must have the same shape for {label!r}")
        ax.scatter(t, m, s=14, alpha=0.7, label=label)
    grid = np.linspace(0, 1, 101)
    ax.plot(grid, grid, color="black", lw=1, label="theory = measured")
    if n_bits:
        band = 2 * np.sqrt(grid * (1 - grid) / n_bits)
        ax.fill_between(grid, grid - band, grid + band, color="grey", alpha=0.25, label=f"±2σ ({n_bits} bits)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel or "theory 1 − θ_A/π")
    ax.set_ylabel("measured fraction of equal bits")
    ax.set_title(title or "Metric LSH: collisions vs theory")
    ax.legend(fontsize=9, loc="upper left")
    return fig


def plot_collision_vs_kernel(kernel_values, measured, *, n_bits=None, ax=None, title=None):
    """Measured bit agreement of kernelized LSH against the kernel value κ(x, y) of each pair, with
    SimHash's curve 1 − arccos(κ)/π for unit-norm, uncentred feature vectors (κ(x, x) = 1) for reference.

    Points off the curve show what the curve leaves out: KLSH centres the features on the landmarks' mean
    and projects them on the landmarks' span (:meth:`lshlab.hashing.KernelizedHash.collision_probability`).
    """
    k = np.asarray(kernel_values, dtype=float)
    m = np.asarray(measured, dtype=float)
    if k.shape != m.shape or k.ndim != 1:
        raise ValueError(f"kernel_values and measured must be 1-D of the same length, got {k.shape} and {m.shape}")
    fig, ax = _axes(ax)
    ax.scatter(k, m, s=14, alpha=0.7, label="pairs (measured)")
    grid = np.linspace(max(min(k.min(), 1.0), -1.0), 1.0, 101)
    ax.plot(grid, 1 - np.arccos(grid) / np.pi, color="black", lw=1, label="1 − arccos(κ)/π (uncentred)")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("kernel value κ(x, y)")
    ax.set_ylabel("measured fraction of equal bits")
    ax.set_title(title or (f"KLSH collisions vs kernel, {n_bits} bits" if n_bits else "KLSH collisions vs kernel"))
    ax.legend(fontsize=9, loc="upper left")
    return fig


def plot_accuracy_bars(scores, *, ax=None, ylabel="kNN accuracy", title=None, ylim=None):
    """Bars for a dict label → score (value printed on each bar); the axis starts at 0 unless ``ylim``."""
    if not isinstance(scores, dict) or not scores:
        raise ValueError("scores must be a non-empty dict label -> number")
    fig, ax = _axes(ax, figsize=(6.5, 4))
    labels = list(scores)
    vals = np.array([float(scores[k]) for k in labels])
    bars = ax.bar(range(len(vals)), vals, color=[f"C{i}" for i in range(len(vals))])
    for b, v in zip(bars, vals):
        ax.annotate(f"{v:.3f}", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(vals)), labels, rotation=20, ha="right")
    ax.set_xlabel("method")
    ax.set_ylabel(ylabel)
    # bars start at 0 (a bar's length is its value); room above the tallest bar for its label
    lo, hi = (0.0, max(vals.max(), 0.0) * 1.12 or 1.0) if ylim is None else ylim
    ax.set_ylim(lo, hi)
    ax.set_title(title or f"{ylabel} by method")
    return fig
