"""Figures of lecture 11 (deep supervised hashing vs multi-table LSH on HOG features).

Every helper accepts ``ax=`` (or ``axes=`` for several panels), labels its axes, titles what is
compared, never calls ``plt.show()`` and returns the matplotlib Figure.
"""

from __future__ import annotations

import numpy as np

from ._common import axes_grid_or_new, axes_or_new

__all__ = [
    "plot_dsh_loss_terms",
    "plot_dsh_training_curves",
    "plot_map_table",
    "plot_hog_gallery",
    "plot_candidate_counts",
    "plot_code_distance_histogram",
]


def _panels(axes, n, figsize):
    """``n`` side-by-side panels: the given ``axes``, or a new figure laid out by constrained layout
    (titles, labels and tick labels kept inside the figure and apart from each other)."""
    kw = {"layout": "constrained"} if axes is None else {}
    fig, grid = axes_grid_or_new(axes, 1, n, figsize, **kw)
    return fig, list(grid.ravel())


def _single(ax, figsize):
    """The given ``ax``, or one new Axes in a figure with constrained layout."""
    return axes_or_new(ax, figsize=figsize, layout="constrained")


def plot_dsh_loss_terms(n_bits=12, alpha=0.01, margin=None, axes=None):
    """The three DSH terms as functions of their argument (two panels).

    Left: the pair terms against the squared distance D = ‖b1 − b2‖² — ½D for a similar pair
    (y = 0) and ½ max(m − D, 0) for a dissimilar pair (y = 1), margin m = 2k by default; for ±1 codes
    D = 4 · Hamming, so the hinge stops pushing at Hamming distance m/4.
    Right: the regulariser α | |b| − 1 | of one output coordinate and its subgradient α·sign(|b| − 1)·sign(b),
    which pulls every output towards the nearest of ±1 (Liu et al., CVPR 2016, eq. 4/7).
    """
    m = 2.0 * n_bits if margin is None else float(margin)
    fig, (a0, a1) = _panels(axes, 2, (11, 4.2))
    D = np.linspace(0, 1.6 * m, 400)
    a0.plot(D, 0.5 * D, lw=2, label="similar (y = 0): ½·D")
    a0.plot(D, 0.5 * np.maximum(m - D, 0), lw=2, label="dissimilar (y = 1): ½·max(m − D, 0)")
    a0.axvline(m, color="grey", ls="--", lw=1)
    a0.text(m, 0.2 * m, f" m = {m:g}\n (Hamming {m / 4:g})", color="grey", fontsize=9)
    a0.set_xlabel("squared distance D = ‖b₁ − b₂‖²")
    a0.set_ylabel("pair loss")
    a0.set_title(f"Contrastive pair terms, k = {n_bits} bits")
    a0.legend(fontsize=9, loc="upper left")
    b = np.linspace(-2.5, 2.5, 801)
    reg = alpha * np.abs(np.abs(b) - 1)
    grad = alpha * np.sign(np.abs(b) - 1) * np.sign(b)
    a1.plot(b, reg, lw=2, label=f"α·| |b| − 1 |, α = {alpha:g}")
    a1.plot(b, grad, lw=1.5, ls=":", label="its subgradient")
    for v in (-1, 1):
        a1.axvline(v, color="grey", lw=0.8, ls="--")
    a1.axhline(0, color="black", lw=0.6)
    a1.set_ylim(-1.3 * alpha, 2.6 * alpha)
    a1.set_xlabel("network output b (one coordinate)")
    a1.set_ylabel("regulariser")
    a1.set_title("Regulariser: minima at ±1")
    a1.legend(fontsize=9, loc="upper center")
    return fig


def plot_dsh_training_curves(histories, axes=None):
    """Training loss (and validation mAP@10 when recorded) per epoch for several models.

    Parameters
    ----------
    histories : dict label -> list of dict
        ``loss_history_`` of fitted :class:`~lshlab.hashing.DeepSupervisedHash` models.
    """
    if not histories:
        raise ValueError("histories is empty")
    has_val = any("val_map" in h[0] for h in histories.values() if h)
    created = axes is None
    fig, axes = _panels(axes, 2 if has_val else 1, (11, 4.8) if has_val else (5.5, 4.8))
    for label, hist in histories.items():
        ep = [h["epoch"] for h in hist]
        line, = axes[0].plot(ep, [h["loss"] for h in hist], marker="o", label=f"{label}")
        axes[0].plot(ep, [h["reg_loss"] for h in hist], ls=":", color=line.get_color())
        if has_val and "val_map" in hist[0]:
            axes[1].plot(ep, [h["val_map"] for h in hist], marker="o", label=label)
    axes[0].plot([], [], ls=":", color="grey", label="(dotted: its regulariser part)")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0].set_ylabel("mean batch loss")
    axes[0].set_title("Training loss per epoch")
    if has_val:
        axes[1].set_ylabel("validation mAP@10")
        axes[1].set_title("Validation mAP@10 (held-out images)")
    if created:  # one legend for both panels, below them, where it hides no curve
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", fontsize=9,
                   ncol=min(4, len(histories) + 1))
    else:
        axes[0].legend(fontsize=9, ncol=2)
    return fig


def plot_map_table(ours, source=None, bits=(8, 12, 16), ax=None, title=None, source_label="source"):
    """The mAP@10 table as an annotated heat map: our value, with the source's in brackets.

    Parameters
    ----------
    ours, source : dict method -> dict bits -> mAP (keys may be ints or strings)
        ``source`` holds published values to print beside ours (rows it lacks show ours only).
    title : str, optional
        Replaces the default title (e.g. to state the query and database sizes).
    source_label : str
        Word printed before the published value, e.g. ``"(source 0.622)"``.
    """
    if not ours:
        raise ValueError("ours is empty")
    methods = list(ours)
    get = lambda tab, m, b: (tab.get(m, {}).get(b, tab.get(m, {}).get(str(b))) if tab else None)  # noqa: E731
    M = np.array([[np.nan if get(ours, m, b) is None else get(ours, m, b) for b in bits] for m in methods],
                 dtype=float)
    fig, ax = _single(ax, figsize=(1.9 * len(bits) + 3.2, 0.62 * len(methods) + 1.6))
    finite = M[np.isfinite(M)]
    vmin = min(0.5, float(finite.min()) - 0.05) if finite.size else 0.5
    im = ax.imshow(M, cmap="viridis", vmin=vmin, vmax=1.0, aspect="auto")
    ax.grid(False)

    def ink(value):  # black on light cells, white on dark ones (relative luminance of the cell colour)
        if value is None:
            return "white"
        r, g, b, _ = im.cmap(im.norm(value))
        return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"

    for i, m in enumerate(methods):
        for j, b in enumerate(bits):
            o, s = get(ours, m, b), get(source, m, b)
            txt = "—" if o is None else f"{o:.3f}"
            if s is not None:
                txt += f"\n({source_label} {s:.3f})"
            ax.text(j, i, txt, ha="center", va="center", fontsize=9, color=ink(o))
    ax.set_xticks(range(len(bits)), [f"{b} bits" for b in bits])
    ax.set_yticks(range(len(methods)), methods)
    ax.set_title(title or f"mAP@10 on Fashion-MNIST: ours ({source_label} in brackets)")
    ax.set_xlabel("code length")
    return fig


def plot_hog_gallery(images, labels=None, class_names=None, image_shape=(28, 28), pixels_per_cell=(4, 4),
                     axes=None):
    """Images (top row) above their HOG pictures (bottom row; scikit-image's ``visualize=True``).

    ``axes``: optional Axes, 2 × n_images of them (row-major); a new figure otherwise.
    """
    from skimage.feature import hog

    imgs = np.asarray(images, dtype=np.float32).reshape(-1, *image_shape)
    n = len(imgs)
    if n == 0:
        raise ValueError("images is empty")
    kw = {"layout": "constrained"} if axes is None else {}
    fig, axes = axes_grid_or_new(axes, 2, n, (max(1.7 * n, 5.0), 3.9), **kw)
    for j, im in enumerate(imgs):
        _, vis = hog(im, orientations=9, pixels_per_cell=pixels_per_cell, cells_per_block=(2, 2), visualize=True)
        axes[0, j].imshow(im, cmap="gray_r")
        axes[1, j].imshow(vis, cmap="magma")
        if labels is not None:
            lab = labels[j]
            axes[0, j].set_title(class_names[lab] if class_names is not None else str(lab), fontsize=10)
        for a in axes[:, j]:
            a.set_xticks([])
            a.set_yticks([])
    axes[0, 0].set_ylabel("image")
    axes[1, 0].set_ylabel(f"HOG, {pixels_per_cell[0]}×{pixels_per_cell[1]} cells")
    fig.suptitle("Images and their HOG: edge directions per cell")
    return fig


def plot_candidate_counts(counts, ax=None):
    """Distribution of the number of LSH candidates per query for several (tables, bits) settings.

    Parameters
    ----------
    counts : dict label -> int array (n_queries,), e.g. ``HashTables.last_n_candidates_``
    """
    if not counts:
        raise ValueError("counts is empty")
    fig, ax = _single(ax, figsize=(6.5, 4.2))
    hi = max(int(np.max(c)) for c in counts.values())
    bins = np.unique(np.geomspace(1, max(hi, 2) + 1, 40).astype(int))
    for label, c in counts.items():
        c = np.asarray(c)
        ax.hist(np.maximum(c, 1), bins=bins, histtype="step", lw=1.8,
                label=f"{label}: median {np.median(c):.0f}, {np.mean(c == 0):.0%} empty")
    ax.set_xscale("log")
    ax.set_xlabel("distinct candidates per query (union of its buckets)")
    ax.set_ylabel("queries")
    ax.set_title("Candidates per query, by setting")
    ax.legend(fontsize=9)
    return fig


def plot_code_distance_histogram(d_same, d_other, n_bits, ax=None, title=None):
    """Histogram of Hamming distances from queries to same-class vs other-class database codes."""
    fig, ax = _single(ax, figsize=(5.5, 4))
    bins = np.arange(n_bits + 2) - 0.5
    ax.hist(np.asarray(d_same).ravel(), bins=bins, density=True, alpha=0.6, label="same class")
    ax.hist(np.asarray(d_other).ravel(), bins=bins, density=True, alpha=0.6, label="other classes")
    ax.set_xlabel("Hamming distance")
    ax.set_ylabel("fraction of pairs")
    ax.set_title(title or f"Distances to same vs other class, {n_bits} bits")
    ax.legend(fontsize=9)
    return fig
