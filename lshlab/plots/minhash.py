"""MinHash figures: Jaccard estimates against the truth, estimate errors per hash family, masks, banding.

Every helper accepts ``ax=`` (``axes=`` for multi-panel figures), labels its axes, titles what is
compared, never calls ``plt.show()`` and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._common import axes_grid_or_new, axes_or_new

__all__ = [
    "plot_jaccard_estimates",
    "plot_estimate_errors",
    "plot_mask_gallery",
    "plot_banding_curves",
]

_axes = partial(axes_or_new, figsize=(5.5, 4.3), layout="constrained")  # labels never cut at the edges


def _pairs(jaccard, estimates, names=("jaccard", "estimates")):
    J, E = np.asarray(jaccard, float).ravel(), np.asarray(estimates, float).ravel()
    if J.shape != E.shape or J.size == 0:
        raise ValueError(f"{names[0]} and {names[1]} must be non-empty with one value per pair, got "
                         f"{np.shape(jaccard)} and {np.shape(estimates)}")
    if not (np.isfinite(J).all() and np.isfinite(E).all()) or J.min() < 0 or J.max() > 1:
        raise ValueError(f"{names[0]} must hold Jaccard indices in [0, 1] and {names[1]} finite values")
    return J, E


def plot_jaccard_estimates(jaccard, estimates, n_hashes, ax=None, *, max_points=4000, random_state=0,
                           title=None):
    """MinHash estimates against the exact Jaccard index, with the band J ± 2√(J(1 − J)/n).

    Parameters
    ----------
    jaccard, estimates : arrays, one value per pair (exact J and the fraction of equal signature positions)
    n_hashes : int, signature length n (the band's width)
    max_points : int, pairs beyond this are subsampled (reproducibly) before drawing

    Returns
    -------
    matplotlib.figure.Figure
        The title gives the fraction of pairs inside the band (≈ 95 % for an unbiased estimator whose
        variance is the binomial J(1 − J)/n).
    """
    J, E = _pairs(jaccard, estimates)
    if n_hashes <= 0:
        raise ValueError(f"n_hashes must be positive, got {n_hashes}")
    band = 2 * np.sqrt(J * (1 - J) / n_hashes)
    inside = float(np.mean(np.abs(E - J) <= band + 1e-12))
    fig, ax = _axes(ax)
    show = np.arange(J.size)
    if J.size > max_points:
        show = np.random.default_rng(random_state).choice(J.size, max_points, replace=False)
    ax.scatter(J[show], E[show], s=6, alpha=0.35, color="tab:blue", edgecolors="none", label="pairs")
    s = np.linspace(0, 1, 201)
    half = 2 * np.sqrt(s * (1 - s) / n_hashes)
    ax.plot(s, s, color="black", lw=1.5, label="estimate = J")
    ax.fill_between(s, s - half, s + half, color="grey", alpha=0.25, label="J ± 2√(J(1−J)/n)")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("exact Jaccard index J")
    ax.set_ylabel("MinHash estimate (equal positions / n)")
    ax.set_title(title or f"MinHash, n = {n_hashes}: {100 * inside:.1f} % of pairs in the band")
    ax.legend(loc="upper left", fontsize="small")
    return fig


def plot_estimate_errors(jaccard, errors, n_hashes, ax=None, *, n_bins=8, title="Mean estimate error per Jaccard bin"):
    """Mean error (estimate − J) per bin of J, ± 2 standard errors, for one or more hash families.

    Parameters
    ----------
    jaccard : array (n_pairs,), exact Jaccard index of each pair
    errors : dict label -> array (n_draws, n_pairs) or (n_pairs,)
        Estimate minus J for each draw of the hash functions (several draws make the error bars
        honest: pairs share one draw).
    n_hashes : int, signature length (only for the legend)
    n_bins : int, equal-count bins of J

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The error bar of a bin is 2 · (standard deviation of the per-draw bin means) / √(n_draws) when
    there are several draws, else 2 · std / √(pairs in the bin).
    """
    J = np.asarray(jaccard, float).ravel()
    if not errors:
        raise ValueError("errors is empty; pass label -> (n_draws, n_pairs) errors")
    edges = np.unique(np.quantile(J, np.linspace(0, 1, n_bins + 1)))
    which = np.clip(np.searchsorted(edges, J, side="right") - 1, 0, len(edges) - 2)
    centres = np.array([J[which == b].mean() for b in range(len(edges) - 1)])
    fig, ax = _axes(ax)
    width = 0.8 * np.min(np.diff(centres)) / max(len(errors), 1) if len(centres) > 1 else 0.02
    for i, (label, err) in enumerate(errors.items()):
        err = np.atleast_2d(np.asarray(err, float))
        if err.shape[1] != J.size:
            raise ValueError(f"errors[{label!r}] has {err.shape[1]} pairs, jaccard has {J.size}")
        per_draw = np.array([[e[which == b].mean() for b in range(len(centres))] for e in err])
        mean = per_draw.mean(axis=0)
        if err.shape[0] > 1:
            half = 2 * per_draw.std(axis=0, ddof=1) / np.sqrt(err.shape[0])
        else:
            half = np.array([2 * err[0, which == b].std(ddof=1) / np.sqrt((which == b).sum()) for b in range(len(centres))])
        x = centres + (i - (len(errors) - 1) / 2) * width
        ax.errorbar(x, mean, yerr=half, fmt="o", ms=5, capsize=3, label=f"{label} (overall {err.mean():+.4f})")
    ax.axhline(0, color="black", lw=1)
    ax.set_xlabel("exact Jaccard index J (bin means)")
    ax.set_ylabel(f"mean of estimate − J ({n_hashes} hashes)")
    ax.set_title(title)
    # below the axes: error bars of biased families fill the lower half, unbiased ones the middle
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize="small", frameon=False)
    return fig


def plot_mask_gallery(images, masks, image_shape=(28, 28), axes=None, *, titles=None,
                      title="Images (top) and their masks: the pixels above the threshold (bottom)"):
    """Images in the top row and their binary masks in the bottom row.

    Parameters
    ----------
    images : array (n, n_pixels), grey levels
    masks : bool array (n, n_pixels)
    image_shape : shape of one image
    axes : 2 × n Axes, optional
    titles : list of n str, optional, one per column (e.g. the Jaccard index of each mask with the first)

    Returns
    -------
    matplotlib.figure.Figure
    """
    images, masks = np.asarray(images, float), np.asarray(masks)
    if images.ndim != 2 or masks.shape != images.shape:
        raise ValueError(f"images and masks must be 2-D with equal shapes, got {images.shape} and {masks.shape}")
    if images.shape[1] != int(np.prod(image_shape)):
        raise ValueError(f"images must have {int(np.prod(image_shape))} pixels for image_shape={image_shape}")
    n = images.shape[0]
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles must have one entry per image ({n}), got {len(titles)}")
    fig, grid = axes_grid_or_new(axes, 2, n, (1.45 * n + 0.4, 3.4))
    for j in range(n):
        grid[0, j].imshow(images[j].reshape(image_shape), cmap="gray_r")
        grid[1, j].imshow(masks[j].reshape(image_shape), cmap="Blues", vmin=0, vmax=1)
        if titles is not None:
            grid[0, j].set_title(titles[j], fontsize="small")
    for ax in grid.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    grid[0, 0].set_ylabel("image", fontsize="small")
    grid[1, 0].set_ylabel("mask", fontsize="small")
    fig.suptitle(title, fontsize="medium")
    return fig


def plot_banding_curves(configs, ax=None, *, measured=None, show_threshold=True,
                        title=r"Banding: P[candidate] = $1 - (1 - s^r)^b$"):
    """S-curves of MinHash banding against the Jaccard index s, one per (b bands, r rows).

    Parameters
    ----------
    configs : sequence of (b, r) pairs
    measured : dict label -> (s, rate, err), optional
        Measured candidate rates (e.g. per Jaccard bin) with error-bar half-widths; with one entry per
        configuration they are drawn in their curves' colours, in order.
    show_threshold : bool
        Mark the approximate threshold (1/b)^(1/r) of each curve (Leskovec, Rajaraman & Ullman, §3.4).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..lsh_theory import amplified_collision_probability, s_curve_threshold

    configs = list(configs)
    if not configs:
        raise ValueError("configs is empty; pass (b, r) pairs")
    s = np.linspace(0, 1, 201)
    fig, ax = _axes(ax)
    colours = []
    for b, r in configs:
        line, = ax.plot(s, amplified_collision_probability(s, r, b), lw=2, label=f"b = {b} bands × r = {r} rows")
        colours.append(line.get_color())
        if show_threshold:
            ax.axvline(s_curve_threshold(b, r), color=line.get_color(), ls=":", lw=1)
    measured = dict(measured or {})
    same = len(measured) == len(configs)  # one measurement per curve: drawn in the curve's colour
    for i, (label, (sm, rate, err)) in enumerate(measured.items()):
        style = dict(color=colours[i], mec="black", mew=0.6) if same else {}
        ax.errorbar(sm, rate, yerr=err, fmt="o", ms=5, capsize=2, label=label, **style)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("Jaccard index s of the pair")
    ax.set_ylabel("P[pair is a candidate]")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    return fig
