"""Figures for random-feature kernel machines (lecture 14).

Every helper accepts ``ax=`` (or ``axes=`` for several panels), labels its axes, titles what is
compared, never calls ``plt.show()`` and returns the matplotlib ``Figure``.
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
    fig, ax = axes_or_new(ax, figsize=(5, 3.6))
    D = np.asarray(n_components, dtype=float)
    err = np.asarray(errors, dtype=float)
    ax.loglog(D, err, "o-", label=label)
    if reference:
        ax.loglog(D, err[0] * np.sqrt(D[0] / D), "k--", lw=1, label="∝ 1/√D")
    ax.set_xlabel("number of random features D")
    ax.set_ylabel("approximation error")
    ax.set_title("Gram-matrix error of random features vs their number")
    ax.legend()
    return fig


def plot_error_and_time_vs_features(rows, axes=None, title=""):
    """Two panels: test error and fit time against D, one line per method.

    ``rows`` are the dicts of :func:`lshlab.random_features.compare_random_feature_methods`.
    """
    fig, grid = axes_grid_or_new(axes, 1, 2, (10, 3.6), name="axes")
    axes = grid[0]
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for m in methods:
        sub = sorted((r for r in rows if r["method"] == m), key=lambda r: r["n_components"])
        D = [r["n_components"] for r in sub]
        axes[0].plot(D, [r["test_error"] for r in sub], "o-", label=m)
        axes[1].plot(D, [r["fit_time"] for r in sub], "o-", label=m)
    for ax, ylabel in zip(axes, ("test error", "fit time (s)")):
        ax.set_xscale("log")
        ax.set_xlabel("number of random features D")
        ax.set_ylabel(ylabel)
    axes[1].set_yscale("log")
    axes[0].set_title(f"Test error vs features {title}".strip())
    axes[1].set_title(f"Fit time vs features {title}".strip())
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
