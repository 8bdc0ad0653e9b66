"""Figures for unsupervised retrieval scored by Dice / Jaccard (lecture 12), and side-by-side retrieval
collages (lectures 11 and 12).

Every helper accepts ``ax=`` (or ``axes=`` for several panels), labels its axes, titles what is
compared, never calls ``plt.show()`` and returns the matplotlib ``Figure``.  New figures use
constrained layout, so titles, labels and tick labels stay inside the figure and apart.
"""

from __future__ import annotations

import numpy as np

from ._common import axes_grid_or_new, axes_or_new

__all__ = [
    "plot_overlap_violins",
    "plot_overlap_vs_retrieved",
    "plot_dice_jaccard_vs_retrieved",
    "plot_reconstruction_grid",
    "plot_retrieval_comparison",
]

_SCORES = (("dice", "Dice", "tab:blue"), ("jaccard", "Jaccard", "tab:orange"))


def _grid(axes, nrows, ncols, figsize, **kw):
    if axes is None:
        kw["layout"] = "constrained"
    return axes_grid_or_new(axes, nrows, ncols, figsize, **kw)


def plot_overlap_violins(scores_by_bits, axes=None, title=""):
    """Violin plots of per-query Dice (left) and Jaccard (right) scores, one violin per code length.

    ``scores_by_bits`` maps a code length to an :class:`lshlab.metrics.OverlapScores`.  ``title``
    (e.g. the kernel's name) follows "Dice: " and "Jaccard: " in the two panel titles; keep it short
    (about 30 characters) so that the titles of the two panels stay apart.
    """
    fig, axes = _grid(axes, 1, 2, (11, 3.8), sharey=True)
    bits = sorted(scores_by_bits)
    if not bits:
        raise ValueError("scores_by_bits is empty")
    pos = np.arange(len(bits))
    n = len(np.asarray(scores_by_bits[bits[0]].dice))
    for ax, (attr, name, colour) in zip(axes.ravel(), _SCORES):
        data = [np.asarray(getattr(scores_by_bits[b], attr)) for b in bits]
        parts = ax.violinplot(data, positions=pos, showmedians=True, widths=0.8)
        for body in parts["bodies"]:
            body.set_facecolor(colour)
            body.set_alpha(0.5)
        ax.set_xticks(pos, [str(b) for b in bits])
        ax.set_xlabel("number of bits")
        ax.set_ylabel(f"{name} score ({n} queries)")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{name}: {title}" if title else f"{name}, hashed vs Euclidean top-k")
    return fig


def plot_overlap_vs_retrieved(ks, curves, ax=None, ylabel="mean score",
                              title="Mean score vs number retrieved"):
    """Mean score (± one standard deviation, shaded) against the number of retrieved images.

    ``curves`` maps a label to an array of shape (len(ks), n_queries) of per-query scores.
    """
    fig, ax = axes_or_new(ax, figsize=(5.5, 3.8), layout="constrained")
    ks = np.asarray(ks)
    for label, vals in curves.items():
        vals = np.asarray(vals, dtype=float)
        mean, sd = vals.mean(axis=1), vals.std(axis=1)
        ax.plot(ks, mean, "o-", label=label)
        ax.fill_between(ks, np.clip(mean - sd, 0, 1), np.clip(mean + sd, 0, 1), alpha=0.15)
    ax.set_xscale("log")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.minorticks_off()
    ax.set_xlabel("number of retrieved images k")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=9)
    return fig


def plot_dice_jaccard_vs_retrieved(ks, scores, axes=None, note=""):
    """Dice (left) and Jaccard (right) against the number of retrieved images k, one line per setting.

    Parameters
    ----------
    ks : sequence of int
    scores : dict label -> sequence of :class:`lshlab.metrics.OverlapScores`
        One entry per k (per-query Dice and Jaccard at that k).
    note : str
        Appended to the panel titles, e.g. ``"1024 bits"``.
    """
    if not scores:
        raise ValueError("scores is empty")
    fig, axes = _grid(axes, 1, 2, (11, 3.9), sharey=True)
    for ax, (attr, name, _) in zip(axes.ravel(), _SCORES):
        curves = {label: [np.asarray(getattr(s, attr)) for s in per_k] for label, per_k in scores.items()}
        plot_overlap_vs_retrieved(ks, curves, ax=ax, ylabel=f"mean {name} (± 1 s.d.)",
                                  title=f"{name} vs k" + (f", {note}" if note else ""))
    return fig


def plot_reconstruction_grid(X, X_rec, image_shape=(28, 28), n=8, axes=None,
                             title="Autoencoder: input (top) vs reconstruction (bottom)"):
    """Two rows of images: originals above, reconstructions below (``axes``: 2 × n Axes, optional)."""
    n = min(n, len(X))
    if n == 0 or len(X_rec) < n:
        raise ValueError(f"X and X_rec must hold at least one image each and as many as shown, got {len(X)} "
                         f"and {len(X_rec)}")
    fig, axes = _grid(axes, 2, n, (max(1.3 * n, 6.0), 3.0))
    for j in range(n):
        for row, img in enumerate((X[j], X_rec[j])):
            axes[row, j].imshow(np.asarray(img).reshape(image_shape), cmap="gray", vmin=0, vmax=1)
            axes[row, j].axis("off")
    fig.suptitle(title)
    return fig


def plot_retrieval_comparison(query_images, db_images, rankings, y_query=None, y_db=None, image_shape=(28, 28),
                              axes=None, *, n_show=None, thumb=0.95,
                              title="Each query (left) and what each ranking retrieves"):
    """Retrieval collages of several rankings, one row per (query, ranking), thumbnails large enough to read.

    Row r shows the query image, then the database images a ranking retrieved for it, best first.
    With labels, a retrieved image of the query's class has a green frame, one of another class a red
    frame and is faded (the convention of the retrieval collages of Khuzani, Ye, Napel & Xing's
    CT-retrieval study); the labels only colour the frames.

    Parameters
    ----------
    query_images : array (n_queries, n_pixels)
    db_images : array (n_database, n_pixels)
    rankings : dict label -> int array (n_queries, k)
        Retrieved database rows of every query, best first (e.g. ``search(Q, k)[1]``); every ranking
        has the same k.  A row index of −1 (the padding of ``HashTables.search`` when a query has fewer
        than k candidates) leaves its cell blank.
    y_query, y_db : label arrays, optional
    image_shape : tuple
    axes : array of Axes, optional
        ``(n_show · len(rankings)) × (k + 1)`` Axes (row-major); a new figure otherwise.
    n_show : int, optional
        Number of queries shown (default all of ``query_images``).
    thumb : float
        Size of one thumbnail in inches in a new figure (0.95 in ≈ 90 pixels at 96 dpi).
    """
    Q, D = np.asarray(query_images), np.asarray(db_images)
    if not rankings:
        raise ValueError("rankings is empty; pass a dict label -> (n_queries, k) index array")
    n_pix = int(np.prod(image_shape))
    if Q.ndim != 2 or D.ndim != 2 or Q.shape[1] != n_pix or D.shape[1] != n_pix:
        raise ValueError(f"query_images and db_images must be (n, {n_pix}) for image_shape={image_shape}")
    n_show = len(Q) if n_show is None else max(1, min(int(n_show), len(Q)))
    idxs = {label: np.asarray(i) for label, i in rankings.items()}
    shapes = {i.shape for i in idxs.values()}
    shape = next(iter(shapes))
    if len(shapes) != 1 or len(shape) != 2 or shape[0] < n_show or shape[1] == 0:
        raise ValueError(f"every ranking must be an (n_queries, k) index array of one shape, with a row for "
                         f"each of the {n_show} queries shown; got shapes {sorted(shapes)}")
    k = shape[1]
    labels = y_query is not None and y_db is not None
    n_rows = n_show * len(idxs)
    fig, grid = _grid(axes, n_rows, k + 1, (thumb * (k + 1) + 1.6, thumb * n_rows + 0.7))
    r = 0
    for q in range(n_show):
        for label, idx in idxs.items():
            row = grid[r]
            row[0].imshow(Q[q].reshape(image_shape), cmap="gray_r")
            row[0].set_ylabel(label, fontsize=9, rotation=0, ha="right", va="center")
            found = idx[q] >= 0
            ok = np.ones(k, bool)
            if labels:
                ok = found & (np.asarray(y_db)[np.where(found, idx[q], 0)] == np.asarray(y_query)[q])
            for j in range(k):
                ax = row[j + 1]
                if not found[j]:
                    ax.grid(False)
                    continue
                ax.imshow(D[idx[q, j]].reshape(image_shape), cmap="gray_r", alpha=1.0 if ok[j] else 0.3)
                if labels:
                    for spine in ax.spines.values():
                        spine.set_visible(True)
                        spine.set_color("tab:green" if ok[j] else "tab:red")
                        spine.set_linewidth(2.5)
            if labels:
                row[-1].set_title(f"{int(ok.sum())}/{k} same class", fontsize=9, loc="right", pad=2)
            for ax in row:
                ax.grid(False)
            r += 1
    for ax in grid.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    grid[0, 0].set_title("query", fontsize=9, pad=2)
    fig.suptitle(title)
    return fig
