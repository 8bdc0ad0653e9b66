"""Figures for random-feature kernel machines (lecture 11)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["gram_error_curve", "error_and_time_vs_features"]


def _axes(ax, ncols=1, figsize=(5, 3.6)):
    if ax is not None:
        axes = np.atleast_1d(ax)
        return axes[0].figure, axes
    fig, axes = plt.subplots(1, ncols, figsize=(figsize[0] * ncols, figsize[1]), squeeze=False)
    return fig, axes[0]


def gram_error_curve(n_features, errors, ax=None, label="max |ZZᵀ − K|", reference=True):
    """Gram-matrix approximation error against the number of random features (log–log).

    ``reference=True`` adds a C/√D guide line through the first point: the Monte-Carlo rate.
    """
    fig, (ax,) = _axes(ax)
    D = np.asarray(n_features, dtype=float)
    err = np.asarray(errors, dtype=float)
    ax.loglog(D, err, "o-", label=label)
    if reference:
        ax.loglog(D, err[0] * np.sqrt(D[0] / D), "k--", lw=1, label="∝ 1/√D")
    ax.set_xlabel("number of random features D")
    ax.set_ylabel("approximation error")
    ax.set_title("Random features approximate the Gram matrix")
    ax.legend()
    return fig


def error_and_time_vs_features(rows, axes=None, title=""):
    """Two panels: test error and fit time against D, one line per method.

    ``rows`` are the dicts of :func:`lshlab.random_features.compare_random_feature_methods`.
    """
    fig, axes = _axes(axes, ncols=2)
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
