"""Figures for random-feature kernel machines (lecture 14).

Every helper accepts ``ax=`` (or ``axes=`` for several panels), labels its axes, titles what is
compared, never calls ``plt.show()`` and returns the matplotlib ``Figure``.  New figures use
constrained layout, so titles, labels and tick labels stay inside the figure and apart.
"""

from __future__ import annotations

import numpy as np

from ._common import axes_grid_or_new, axes_or_new

__all__ = ["plot_gram_error", "plot_error_and_time_vs_features"]


def plot_gram_error(n_components, errors, ax=None, label="max |ZZᵀ − K|", reference=True):
    """Gram-matrix approximation error against the number of random features D (log–log).

    ``n_components`` are the numbers of random features D, ``errors`` the measured errors.
    ``reference=True`` adds a C/√D guide line through the first point: the Monte-Carlo rate.
    """
    fig, ax = axes_or_new(ax, figsize=(5.5, 3.8), layout="constrained")
    D = np.asarray(n_components, dtype=float)
    err = np.asarray(errors, dtype=float)
    ax.loglog(D, err, "o-", label=label)
    if reference:
        ax.loglog(D, err[0] * np.sqrt(D[0] / D), "k--", lw=1, label="∝ 1/√D")
    ax.set_xticks(D, [f"{d:g}" for d in D])
    ax.minorticks_off()
    ax.set_xlabel("number of random features D")
    ax.set_ylabel("Gram-matrix error")
    ax.set_title("Kernel approximation error vs D")
    ax.legend(fontsize=9)
    return fig


_PANELS = (("train_error", "training error", "Training error"), ("test_error", "test error", "Test error"),
           ("fit_time", "fit time (s)", "Fit time"))


def plot_error_and_time_vs_features(rows, axes=None, title="", exact=None):
    """Training error, test error and fit time against D, one line per method (the layout of the figure of
    Khuzani, Ye, Napel & Xing's random-feature classification experiment: errors above, run times below).

    Parameters
    ----------
    rows : list of dict
        From :func:`lshlab.random_features.compare_random_feature_methods` (keys ``method``,
        ``n_components``, ``test_error``, ``fit_time`` and, when present, ``train_error``).
    axes : Axes array, optional
        One Axes per panel (3 with ``train_error`` in the rows, else 2).
    title : str
        Appended to each panel title, e.g. ``"— MNIST 4 vs 9"``.
    exact : dict, optional
        The exact kernel machine's ``train_error``, ``test_error`` and ``fit_time``: drawn as dashed
        horizontal lines ("exact kernel SVM").
    """
    if not rows:
        raise ValueError("rows is empty")
    panels = [p for p in _PANELS if all(p[0] in r for r in rows)]
    kw = {"layout": "constrained"} if axes is None else {}
    fig, grid = axes_grid_or_new(axes, 1, len(panels), (3.8 * len(panels), 3.6), name="axes", **kw)
    axs = list(grid[0])
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for m in methods:
        sub = sorted((r for r in rows if r["method"] == m), key=lambda r: r["n_components"])
        D = [r["n_components"] for r in sub]
        for ax, (key, _, _) in zip(axs, panels):
            ax.plot(D, [r[key] for r in sub], "o-", label=m)
    Ds = sorted({r["n_components"] for r in rows})
    for ax, (key, ylabel, name) in zip(axs, panels):
        if exact is not None and key in exact:
            ax.axhline(exact[key], color="k", ls="--", lw=1, label="exact kernel SVM")
        ax.set_xscale("log")
        ax.set_xticks(Ds, [str(d) for d in Ds])
        ax.minorticks_off()
        ax.set_xlabel("number of random features D")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{name} {title}".strip())
    axs[-1].set_yscale("log")
    errs = [ax for ax, p in zip(axs, panels) if p[0] != "fit_time"]
    if len(errs) == 2:  # training and test error on one scale, so that the gap between them reads directly
        lo = min(a.get_ylim()[0] for a in errs)
        hi = max(a.get_ylim()[1] for a in errs)
        for a in errs:
            a.set_ylim(max(lo, 0.0) if lo >= 0 else lo, hi)
    axs[0].legend(fontsize=9)
    return fig
