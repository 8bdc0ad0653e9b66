"""Shared figure plumbing for the plot helpers."""

from __future__ import annotations

import numpy as np


def axes_or_new(ax, figsize=(5.5, 4.5), *, layout=None):
    """Return ``(figure, ax)``: the given axes' figure, or a new single-axes figure of ``figsize``.

    ``layout`` is passed to ``plt.subplots`` for a new figure (e.g. ``"constrained"``, so that labels and
    tick labels in large fonts stay inside the figure); given axes keep their figure's layout.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout=layout)
    return ax.figure, ax


def axes_grid_or_new(axes, nrows, ncols, figsize, *, name="axes", **subplots_kw):
    """Return ``(figure, axes)`` with ``axes`` an array of shape ``(nrows, ncols)``.

    ``axes=None`` makes a new figure of ``figsize`` (``subplots_kw`` go to ``plt.subplots``, e.g.
    ``sharey=True``); otherwise the given Axes (any array-like holding at least ``nrows · ncols`` of
    them, in row-major order) are used and their figure returned.  Too few Axes is a ``ValueError``
    naming the argument ``name``.
    """
    if axes is None:
        import matplotlib.pyplot as plt

        fig, grid = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **subplots_kw)
        return fig, grid
    flat = np.asarray(axes, dtype=object).ravel()
    need = nrows * ncols
    if flat.size < need:
        raise ValueError(f"{name} must hold {need} Axes ({nrows} × {ncols}), got {flat.size}")
    grid = flat[:need].reshape(nrows, ncols)
    return grid[0, 0].figure, grid
