"""Shared figure plumbing for the plot helpers."""

from __future__ import annotations


def axes_or_new(ax, figsize=(5.5, 4.5)):
    """Return ``(figure, ax)``: the given axes' figure, or a new single-axes figure of ``figsize``."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax
