"""Figures of the scale lecture: time and candidates against database size (log–log), the
ann-benchmarks picture (recall against queries per second), memory per item, latency distributions.

Every helper accepts ``ax=``, labels its axes, titles what is compared, never calls ``plt.show()`` and
returns the matplotlib ``Figure``.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._common import axes_or_new

__all__ = [
    "plot_time_vs_size",
    "plot_candidates_vs_size",
    "plot_recall_vs_qps",
    "plot_memory_per_item",
    "plot_latency_histogram",
    "plot_real_vs_generated",
]

_axes = partial(axes_or_new, figsize=(6.0, 4.5), layout="constrained")  # labels stay inside


def _slope_label(name, n, t):
    n, t = np.asarray(n, float), np.asarray(t, float)
    ok = np.isfinite(t) & (t > 0)
    if ok.sum() < 2:
        return name
    alpha = np.polyfit(np.log(n[ok]), np.log(t[ok]), 1)[0]
    return f"{name} (slope {alpha:.2f})"


def plot_time_vs_size(sizes, mih_median, brute=None, ax=None, *, mih_mean=None, seed_seconds=None,
                      highlight=None, title="Time per query against database size"):
    """Log–log time per query of multi-index hashing (median, and mean) and of brute force.

    Parameters
    ----------
    sizes : database sizes n
    mih_median, mih_mean : seconds per query of multi-index hashing (median / mean over queries)
    brute : seconds per query of a linear scan (faiss ``IndexBinaryFlat``), optional
    seed_seconds : float, optional
        A horizontal reference line (Torralba, Fergus & Weiss 2008: 0.146 s for 80 M images).
    highlight : int, optional
        Index of a size to mark (the widget's current setting).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    n = np.asarray(sizes, float)
    ax.loglog(n, mih_median, "o-", lw=2, label=_slope_label("multi-index hashing, median", n, mih_median))
    if mih_mean is not None:
        ax.loglog(n, mih_mean, "o--", lw=1, alpha=0.7, label=_slope_label("multi-index hashing, mean", n, mih_mean))
    if brute is not None and np.isfinite(np.asarray(brute, float)).any():
        ax.loglog(n, brute, "s-", lw=2, label=_slope_label("brute force (faiss IndexBinaryFlat)", n, brute))
        b = np.asarray(brute, float)
        i = int(np.flatnonzero(np.isfinite(b))[0])
        ax.loglog(n, b[i] * n / n[i], ":", color="gray", lw=1, label="slope 1 (linear)")
    if seed_seconds is not None:
        ax.axhline(seed_seconds, color="black", ls="--", lw=1, label=f"Torralba et al. 2008: {seed_seconds:g} s for 80 M")
    if highlight is not None:
        ax.loglog([n[highlight]], [np.asarray(mih_median)[highlight]], "o", ms=14, mfc="none", mec="red", mew=2)
    ax.set(xlabel="database size n (codes)", ylabel="seconds per query", title=title)
    ax.legend(fontsize=9)
    return fig


def plot_candidates_vs_size(sizes, retrieved, uniform=None, ax=None, *, candidates=None, uniform_knn=None,
                            highlight=None, title="Codes examined per query against database size", legend_loc="best"):
    """Log–log ids read per query (median) against ``n``, beside the uniform-codes estimates of Norouzi
    et al. and the ``n`` codes a linear scan reads.

    Parameters
    ----------
    sizes : database sizes
    retrieved : median ids read per query (duplicates across substrings counted)
    uniform : median estimate of :func:`lshlab.scale.uniform_code_retrievals` at the radius reached, optional
    candidates : median distinct codes examined, optional
    uniform_knn : the estimate for uniformly random codes at their own k-NN radius, optional
    legend_loc : str
        A matplotlib legend location, or ``"below"``: under the x label (the curves span the whole log
        range, so every corner of the axes holds data; give the figure a constrained layout).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    n = np.asarray(sizes, float)
    ax.loglog(n, n, ":", color="gray", label="brute force: all n codes")
    ax.loglog(n, retrieved, "o-", lw=2, label=_slope_label("multi-index hashing, ids read (median)", n, retrieved))
    if candidates is not None:
        ax.loglog(n, candidates, "^--", lw=1, label="distinct codes examined (median)")
    if uniform_knn is not None:
        ax.loglog(n, uniform_knn, "D-", lw=1.5, label=_slope_label("theory: uniform random codes, their own k-NN radius",
                                                                  n, uniform_knn))
    if uniform is not None:
        ax.loglog(n, uniform, "s--", lw=1, label="theory: uniform codes at the radius reached here")
    if highlight is not None:
        ax.loglog([n[highlight]], [np.asarray(retrieved)[highlight]], "o", ms=14, mfc="none", mec="red", mew=2)
    ax.set(xlabel="database size n (codes)", ylabel="codes per query", title=title)
    if legend_loc == "below":  # 0.5 in under the axes: below tick labels and x label at any axes size
        from matplotlib.transforms import ScaledTranslation

        ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, 0),
                  bbox_transform=ax.transAxes + ScaledTranslation(0, -0.5, fig.dpi_scale_trans))
    else:
        ax.legend(fontsize=9, loc=legend_loc)
    return fig


def plot_recall_vs_qps(points, ax=None, *, title="Recall@10 against queries per second (same items)"):
    """The ann-benchmarks picture: one line per index through its search settings, up and right is better.

    Parameters
    ----------
    points : list of :class:`lshlab.scale.SweepPoint`

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax, )
    names = list(dict.fromkeys(p.index for p in points))
    labels = []
    for i, name in enumerate(names):
        pts = [p for p in points if p.index == name]
        style = "-" if pts[0].family == "binary codes" else "--"
        marker = "*" if "lshlab" in name else ("o" if pts[0].family == "binary codes" else "s")
        ax.plot([p.recall for p in pts], [p.qps for p in pts], style, marker=marker, ms=10 if marker == "*" else 6,
                label=f"{name} [{pts[0].family}]")
        if len(pts) > 1:
            labels += [ax.annotate(p.setting, (p.recall, p.qps), fontsize=8, xytext=(3, 3), textcoords="offset points")
                       for p in pts]
    ax.set_yscale("log")
    ax.set(xlabel="recall@10", ylabel="queries per second (log)", title=title)
    ax.legend(fontsize=9, loc="lower left")  # low recall at low speed: the empty corner
    _place_apart(ax, labels)
    return fig


#: where a setting label may sit around its point (offset in points, horizontal alignment), in order
_LABEL_SPOTS = ((3, 3, "left"), (3, -10, "left"), (-3, 3, "right"), (-3, -10, "right"), (3, 9, "left"),
                (3, -16, "left"))


def _place_apart(ax, labels):
    """Move each label to the first spot around its point where it overlaps no label placed before it
    (points near recall 1 crowd together); a label with no free spot keeps the first one."""
    if not labels:
        return
    canvas = ax.figure.canvas
    canvas.draw()  # the final layout (constrained layout runs in a draw)
    renderer = canvas.get_renderer()
    placed = []
    for label in labels:
        for dx, dy, ha in _LABEL_SPOTS:
            label.set_position((dx, dy))
            label.set_horizontalalignment(ha)
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                break
        else:
            dx, dy, ha = _LABEL_SPOTS[0]
            label.set_position((dx, dy))
            label.set_horizontalalignment(ha)
            box = label.get_window_extent(renderer)
        placed.append(box)


def plot_memory_per_item(points, ax=None, *, title="Index memory per item"):
    """Horizontal bars: bytes per item of each index (one bar per index), codes and float features.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    seen = {}
    for p in points:
        seen.setdefault(p.index, p)
    names = list(seen)
    vals = [seen[n].bytes_per_item for n in names]
    colors = ["C0" if seen[n].family == "binary codes" else "C1" for n in names]
    ax.barh(range(len(names)), vals, color=colors)
    ax.set_yticks(range(len(names)), [f"{n} [{seen[n].family}]" for n in names], fontsize=9)
    ax.set_xscale("log")
    for i, v in enumerate(vals):
        ax.text(v, i, f" {v:.0f}", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set(xlabel="bytes per item (log)", ylabel="index [what it stores]", title=title)
    return fig


def plot_latency_histogram(latencies, ax=None, *, seed_seconds=None, label="multi-index hashing",
                           title="Time per query, one query at a time"):
    """Histogram of per-query latencies (log x) with the median and an optional reference line.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    lat = np.asarray(latencies, float)
    bins = np.logspace(np.log10(max(lat.min(), 1e-6)), np.log10(lat.max() * 1.01 + 1e-12), 40)
    ax.hist(lat, bins=bins, color="C0", alpha=0.8, label=label)
    ax.axvline(np.median(lat), color="C3", lw=2, label=f"median {1e3 * np.median(lat):.2f} ms")
    if seed_seconds is not None:
        ax.axvline(seed_seconds, color="black", ls="--", label=f"Torralba et al. 2008: {seed_seconds:g} s")
    ax.set_xscale("log")
    ax.set(xlabel="seconds per query (log)", ylabel="queries", title=title)
    ax.legend(fontsize=9)
    return fig


def plot_real_vs_generated(X_real, y_real, X_gen, y_gen, *, image_shape=(28, 28), class_names=None, axes=None,
                           title="One real (top) and one generated (bottom) image per class"):
    """Two rows of images, one column per class: a real image above a generated one.

    Generated pixels are shown clipped to [0, 1] (the model itself is not clipped).

    Parameters
    ----------
    X_real, y_real, X_gen, y_gen : images (rows) and labels
    axes : array of 2 × n_classes Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    classes = np.unique(y_real)
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(2, len(classes), figsize=(max(1.2 * len(classes), 6.0), 3.0), layout="constrained")
    axes = np.asarray(axes).reshape(2, len(classes))
    fig = axes[0, 0].figure
    for j, c in enumerate(classes):
        for r, (X, y) in enumerate(((X_real, y_real), (X_gen, y_gen))):
            hit = np.flatnonzero(np.asarray(y) == c)
            ax = axes[r, j]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.spines[:].set_visible(False)
            if hit.size:
                ax.imshow(np.clip(np.asarray(X[hit[0]], float).reshape(image_shape), 0, 1), cmap="gray", vmin=0, vmax=1)
        axes[0, j].set_title(str(c if class_names is None else class_names[int(c)]), fontsize=9)
    fig.suptitle(title)
    return fig
