"""Retrieval figures: code distance vs Euclidean distance, precision–recall curves, retrieval collages.

Every helper accepts ``ax=`` (or ``axes=`` for multi-panel figures), labels its axes, titles what is
compared, never calls ``plt.show()`` and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._common import axes_grid_or_new, axes_or_new

__all__ = [
    "set_style",
    "plot_hamming_vs_euclidean",
    "plot_pr_curves",
    "plot_retrieval_collage",
]

DENSITY_THRESHOLD = 5000  # above this many points the scatter becomes a 2-D histogram


def set_style(context="notebook"):
    """Apply the course's seaborn style (white grid, colour-blind palette) to matplotlib."""
    import seaborn as sns

    sns.set_theme(context=context, style="whitegrid", palette="colorblind")


_axes = partial(axes_or_new, figsize=(5.5, 4.5), layout="constrained")  # labels in large fonts stay inside


def plot_hamming_vs_euclidean(
    code_dist,
    eucl_dist,
    ax=None,
    *,
    n_bits=None,
    spearman=True,
    max_points=50_000,
    density=None,
    random_state=0,
    title=None,
    xlabel="Euclidean distance",
    ylabel=None,
    show_trend=True,
    cmap="viridis",
):
    """Scatter of (normalised) code distance against Euclidean distance for pairs of points.

    Parameters
    ----------
    code_dist, eucl_dist : arrays of equal shape
        Code distances (e.g. Hamming) and Euclidean distances of the same pairs (matrices are
        flattened).
    ax : matplotlib Axes, optional
    n_bits : int, optional
        Code length; the y axis shows ``code_dist / n_bits`` (the fraction of differing bits).
        ``None`` plots raw code distances.
    spearman : bool
        Put Spearman's rank correlation ρ (scipy) in the title: how well the code ranking preserves
        the Euclidean ranking.
    max_points : int
        Pairs beyond this are subsampled (reproducibly by ``random_state``) before drawing.
    density : bool, optional
        Draw a 2-D histogram (log colour scale) instead of dots; default: when more than
        ``DENSITY_THRESHOLD`` points are drawn.
    show_trend : bool
        Overlay the median code distance in 30 Euclidean-distance bins.

    Returns
    -------
    matplotlib.figure.Figure
    """
    c = np.asarray(code_dist, dtype=float).ravel()
    e = np.asarray(eucl_dist, dtype=float).ravel()
    if c.shape != e.shape or c.size == 0:
        raise ValueError(
            f"code_dist and eucl_dist must be non-empty with the same number of pairs, "
            f"got {np.shape(code_dist)} and {np.shape(eucl_dist)}"
        )
    if not (np.isfinite(c).all() and np.isfinite(e).all()):
        raise ValueError("code_dist and eucl_dist must be finite")
    if n_bits is not None:
        if n_bits <= 0:
            raise ValueError(f"n_bits must be positive, got {n_bits}")
        c = c / n_bits
    if c.size > max_points:
        sel = np.random.default_rng(random_state).choice(c.size, max_points, replace=False)
        c, e = c[sel], e[sel]
    fig, ax = _axes(ax)
    if density is None:
        density = c.size > DENSITY_THRESHOLD
    if density:
        # a 2-D histogram drawn as one image renders much faster than a hexbin collection
        from matplotlib.colors import LogNorm

        H, xe, ye = np.histogram2d(e, c, bins=(80, 60))
        H = np.where(H > 0, H, np.nan).T
        im = ax.imshow(H, origin="lower", aspect="auto", cmap=cmap, norm=LogNorm(vmin=1, vmax=np.nanmax(H)),
                       extent=(xe[0], xe[-1], ye[0], ye[-1]), interpolation="nearest")
        fig.colorbar(im, ax=ax, label="pairs per cell (log)")
    else:
        ax.scatter(e, c, s=6, alpha=0.35, color="tab:blue", edgecolors="none")
    if show_trend and c.size >= 30:
        edges = np.quantile(e, np.linspace(0, 1, 31))
        which = np.clip(np.searchsorted(edges, e, side="right") - 1, 0, 29)
        med = np.array([np.median(c[which == b]) if np.any(which == b) else np.nan for b in range(30)])
        ax.plot((edges[1:] + edges[:-1]) / 2, med, color="tab:red", lw=2, label="median per bin")
        ax.legend(loc="lower right", fontsize="small")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or ("normalised code distance (fraction of bits)" if n_bits else "code distance"))
    text = title or (f"Code distance vs Euclidean ({n_bits} bits)" if n_bits else "Code distance vs Euclidean")
    if spearman:
        from scipy.stats import spearmanr

        rho = spearmanr(e[:20_000], c[:20_000]).statistic
        text += f"\nSpearman ρ = {rho:.3f}"
    ax.set_title(text)
    return fig


def plot_pr_curves(curves, ax=None, *, show_auc=True, title="Precision–recall of the compared rankings", markers=None,
                   reference=(), legend_loc="upper right"):
    """Plot several precision–recall curves on one axes.

    Parameters
    ----------
    curves : dict label → PRCurve, or a sequence of PRCurve (their ``label`` is used)
        Results of :func:`lshlab.metrics.precision_recall_curve_retrieval`.
    show_auc : bool
        Append the area under each curve to its legend entry.
    markers : bool, optional
        Draw a marker at every point (default when a curve has ≤ 70 points, e.g. Hamming radii).
    reference : str or sequence of str
        Labels of reference curves (e.g. exact Euclidean ranking), drawn as thick black dashed lines
        without markers so they stand apart from the colour cycle of the compared methods.
    legend_loc : str
        A matplotlib legend location, or ``"below"``: under the axes, for curves that
        run through the upper right corner.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if isinstance(curves, dict):
        items = list(curves.items())
    else:
        items = [(getattr(c, "label", "") or f"curve {i}", c) for i, c in enumerate(curves)]
    if not items:
        raise ValueError("curves is empty; pass at least one PRCurve")
    reference = {reference} if isinstance(reference, str) else set(reference)
    unknown = reference - {label for label, _ in items}
    if unknown:
        raise ValueError(f"reference names curves that are not given: {sorted(unknown)}")
    # a legend below takes height from the axes: a new figure grows by its rows
    fig, ax = _axes(ax, figsize=(5.5, 4.5 + (0.25 * len(items) if legend_loc == "below" else 0)))
    for label, curve in items:
        if not hasattr(curve, "precision") or not hasattr(curve, "recall"):
            raise ValueError(f"curve {label!r} must be a PRCurve (precision, recall), got {type(curve).__name__}")
        ok = np.isfinite(curve.precision)
        mk = markers if markers is not None else len(curve.recall) <= 70
        text = f"{label} (AUC {curve.auc:.3f})" if show_auc and hasattr(curve, "auc") else str(label)
        style = (dict(color="black", ls="--", lw=2.6, zorder=5) if label in reference
                 else dict(marker="o" if mk else None, ms=3, lw=1.8))
        ax.plot(curve.recall[ok], curve.precision[ok], label=text, **style)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    if legend_loc == "below":
        from matplotlib.layout_engine import ConstrainedLayoutEngine

        if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):  # the layout makes room for it
            fig.legend(*ax.get_legend_handles_labels(), fontsize="small", loc="outside lower center")
        else:  # under the x label of an axes of ordinary size
            ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.22))
    else:
        ax.legend(fontsize="small", loc=legend_loc)
    return fig


def plot_retrieval_collage(
    query_images,
    db_images,
    idx,
    y_query,
    y_db,
    image_shape=(28, 28),
    axes=None,
    *,
    n_show=5,
    title="Query, then its nearest items (wrong class: red frame)",
    class_names=None,
):
    """Grid of queries (first column) and their retrieved database images, wrong classes greyed.

    Parameters
    ----------
    query_images : array (n_queries, n_pixels)
    db_images : array (n_database, n_pixels)
    idx : int array (n_queries, k)
        Retrieved database indices per query, best first (e.g. from ``HammingIndex.search``).
    y_query, y_db : label arrays
    image_shape : tuple
        Shape of one image (``(28, 28)`` for MNIST, ``(8, 8)`` for digits).
    axes : array of Axes, optional
        ``n_show × (k + 1)`` Axes (row-major) to draw into; a new figure otherwise.
    n_show : int
        Number of queries (rows) shown: the first ``n_show`` rows of ``query_images`` / ``idx``.  To show
        queries with both right and wrong results, select the rows first with
        :func:`lshlab.evaluation.mixed_result_queries`.
    class_names : sequence of str, optional
        Names of the classes by label (e.g. ``dataset.classes``): each query is labelled with its
        class name instead of its label number.

    Returns
    -------
    matplotlib.figure.Figure
        Correct results are drawn in black on white with a green frame; wrong-class results are faded
        to light grey with a red frame.  Each row's title gives the precision of the row.
    """
    Q = np.asarray(query_images)
    D = np.asarray(db_images)
    idx = np.asarray(idx)
    yq, yd = np.asarray(y_query), np.asarray(y_db)
    if idx.ndim != 2 or idx.shape[0] != Q.shape[0]:
        raise ValueError(f"idx must be (n_queries, k) with n_queries = {Q.shape[0]}, got {idx.shape}")
    if Q.shape[1] != int(np.prod(image_shape)) or D.shape[1] != int(np.prod(image_shape)):
        raise ValueError(f"images must have {int(np.prod(image_shape))} pixels for image_shape={image_shape}")
    n_show = max(1, min(int(n_show), Q.shape[0]))
    if class_names is not None:
        names = list(class_names)
        bad = [lab for lab in yq[:n_show] if not (0 <= int(lab) < len(names))]
        if bad:
            raise ValueError(f"class_names has {len(names)} names but a query has label {bad[0]}: pass one "
                             "name per class, indexed by label")
    k = idx.shape[1]
    fig, axes = axes_grid_or_new(axes, n_show, k + 1, (1.0 * (k + 1) + 0.4, 1.15 * n_show + 0.7),
                                 layout="constrained")
    for i in range(n_show):
        ax = axes[i, 0]
        ax.imshow(Q[i].reshape(image_shape), cmap="gray_r")
        ax.set_ylabel(f"label {yq[i]}" if class_names is None else names[int(yq[i])], fontsize="small")
        correct = yd[idx[i]] == yq[i]
        for j in range(k):
            ax = axes[i, j + 1]
            img = D[idx[i, j]].reshape(image_shape)
            ok = bool(correct[j])
            ax.imshow(img, cmap="gray_r", alpha=1.0 if ok else 0.25)
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_color("tab:green" if ok else "tab:red")
                spine.set_linewidth(2)
        axes[i, -1].set_title(f"P@{k} = {correct.mean():.2f}", fontsize="small", loc="right")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_title("query", fontsize="small")
    fig.suptitle(title, fontsize="medium", wrap=True)
    return fig
