"""Figures for the spectral-hashing and small-codes lectures: the Fiedler split of a graph and the ratio cut
of every split, the box eigenvalues against their small-ε limit, the regions each bit assigns on 2-D data,
mAP against code length, the ITQ quantisation loss, the variance per bit and the NCA objective."""

from __future__ import annotations

from functools import partial

import numpy as np

from ._common import axes_grid_or_new, axes_or_new

__all__ = [
    "plot_graph_partition",
    "plot_code_bits",
    "plot_map_vs_bits",
    "plot_itq_loss",
    "plot_box_eigenvalues",
    "plot_ratio_cuts",
    "plot_bit_variances",
    "plot_nca_objective",
]


_axes = partial(axes_or_new, figsize=(5.5, 4.5), layout="constrained")


def plot_graph_partition(W, positions=None, labels=None, ax=None, normalized=False):
    """Draw a small weighted graph with nodes coloured by the sign of the Fiedler vector.

    Parameters
    ----------
    W : array (n, n)
        Symmetric non-negative adjacency / affinity matrix.
    positions : array (n, 2), optional
        Node coordinates (default: the nodes on a circle, in index order).
    labels : sequence of str, optional
        Node names (default 1 … n, as in the lecture).
    normalized : bool
        Use the normalised Laplacian for the split.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..hashing.spectral import fiedler_vector, graph_laplacian

    L = graph_laplacian(W, normalized=normalized)
    W = np.asarray(W, dtype=float)
    n = W.shape[0]
    evals, evecs = np.linalg.eigh(L)
    v, lam2 = fiedler_vector(W, normalized=normalized)
    if positions is None:
        angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n
        pos = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    else:
        pos = np.asarray(positions, dtype=float)
    if pos.shape != (n, 2):
        raise ValueError(f"positions must have shape ({n}, 2), got {pos.shape}")
    labels = [str(i + 1) for i in range(n)] if labels is None else [str(s) for s in labels]
    fig, ax = _axes(ax)
    for i in range(n):
        for j in range(i + 1, n):
            if W[i, j] > 0:
                ax.plot(*pos[[i, j]].T, color="0.6", lw=1 + 2 * W[i, j] / W.max(), zorder=1)
    side = v >= 0
    for mask, colour, name in ((~side, "tab:blue", "Fiedler < 0"), (side, "tab:orange", "Fiedler ≥ 0")):
        ax.scatter(*pos[mask].T, s=600, c=colour, edgecolors="k", zorder=2, label=name)
    for i in range(n):
        ax.annotate(labels[i], pos[i], ha="center", va="center", fontsize=12, weight="bold", zorder=3)
        ax.annotate(f"{v[i]:+.3f}", pos[i], xytext=(0, -24), textcoords="offset points", ha="center",
                    fontsize=9, zorder=3)
    groups = " | ".join("{" + ", ".join(labels[i] for i in np.flatnonzero(m)) + "}" for m in (~side, side))
    ax.set_title(f"Fiedler split {groups} (numbers: Fiedler vector)\n"
                 f"eigenvalues of L: [{', '.join(f'{abs(e) if abs(e) < 1e-12 else e:.4f}' for e in evals)}]",
                 fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.margins(0.25)
    ax.legend(loc="best", fontsize=9, markerscale=0.4)
    return fig


def _bit_title(hasher, i):
    modes = getattr(hasher, "modes_", None)
    if modes is not None:
        j, k = modes[i]
        return f"bit {i + 1}: PC{j + 1}, k={k}"
    return f"bit {i + 1}"


def plot_code_bits(hashers, X, n_show=4, axes=None, s=4, ncols=None):
    """Which region of 2-D data gets which bit: one row per fitted hasher, one column per bit.

    Parameters
    ----------
    hashers : dict name -> fitted hasher on 2-D data
    X : array (n, 2)
        Points to colour (e.g. the uniform training sample).
    n_show : int
        Number of leading bits shown per hasher.
    axes : array of Axes (len(hashers) · ⌈n_show / ncols⌉, ncols), optional
    s : float
        Marker size.
    ncols : int, optional
        Panels per row (default ``n_show``); with fewer, each hasher's bits wrap onto several rows, which
        keeps a figure of many bits narrow enough to be shown without shrinking its text.

    Returns
    -------
    matplotlib.figure.Figure
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2) (the picture is 2-D), got {X.shape}")
    if not hashers:
        raise ValueError("hashers is empty; pass a dict name -> fitted hasher")
    ncols = n_show if ncols is None else int(ncols)
    if not 1 <= ncols <= n_show:
        raise ValueError(f"ncols must be between 1 and n_show = {n_show}, got {ncols}")
    per_hasher = -(-n_show // ncols)
    rows = len(hashers) * per_hasher
    span = np.ptp(X, axis=0)
    aspect = float(np.clip(span[1] / span[0], 0.3, 3.0)) if span[0] > 0 else 1.0
    fig, axes = axes_grid_or_new(axes, rows, ncols, (2.6 * ncols, rows * (2.2 * aspect + 0.55) + 0.5),
                                 sharex=True, sharey=True, layout="constrained")
    for ax in axes.ravel():
        ax.set_axis_off()
    for r, (name, h) in enumerate(hashers.items()):
        codes = h.transform(X)
        for c in range(min(n_show, codes.shape[1])):
            ax = axes[r * per_hasher + c // ncols, c % ncols]
            ax.set_axis_on()
            ax.scatter(X[:, 0], X[:, 1], c=codes[:, c], cmap="coolwarm", vmin=0, vmax=1, s=s, linewidths=0)
            ax.set_title(f"{name} — {_bit_title(h, c)}", fontsize=9)
            ax.set_aspect("equal")
            if r * per_hasher + c // ncols == rows - 1 or (r == len(hashers) - 1 and c + ncols >= n_show):
                ax.set_xlabel("x₁")
            if c % ncols == 0:
                ax.set_ylabel("x₂")
    fig.suptitle("Bit value over the plane (red = 1, blue = 0)", fontsize=11)
    return fig


def plot_map_vs_bits(comparison, published=None, ax=None, highlight=None, ylabel="mAP (Hamming ranking)",
                     title=None):
    """mAP against code length for each method of a :class:`lshlab.widgets.spectral.CodeComparison`.

    ``published``: dict like ``PUBLISHED_CNNH_MNIST`` drawn as dashed lines with open markers in the same
    colour as our method of the same name; ``highlight``: a code length to mark with a vertical line.
    """
    import matplotlib.pyplot as plt

    fig, ax = _axes(ax)
    colours = dict(zip(comparison.methods, plt.rcParams["axes.prop_cycle"].by_key()["color"] * 3))
    top = 0.0
    for m in comparison.methods:
        curve = comparison.map_curve(m)
        top = max(top, float(np.max(curve)))
        ax.plot(comparison.bits, curve, marker="o", lw=2, color=colours[m], label=m)
    n_entries = len(comparison.methods)
    if published:
        for m, vals in published.items():
            if m == "bits":
                continue
            n_entries += 1
            top = max(top, float(np.max(vals)))
            ax.plot(published["bits"], vals, ls="--", marker="s", mfc="none", color=colours.get(m, "0.4"),
                    label=f"{m} (CNNH paper)")
    if highlight is not None:
        ax.axvline(highlight, color="0.5", lw=1, ls=":")
    ax.set_xticks(comparison.bits)
    ax.set_xlabel("code length (bits)")
    ax.set_ylabel(ylabel)
    # the legend goes above the highest curve: leave a band of one line per legend row
    ncol = 3 if n_entries > 6 else 2
    rows = -(-n_entries // ncol)
    ax.set_ylim(0, top * (1.08 + 0.075 * rows) if top > 0 else 1)
    ax.set_title(title or "mAP against code length")
    ax.legend(fontsize=9, ncol=ncol, loc="upper center", columnspacing=1.0, handlelength=1.8)
    return fig


def plot_itq_loss(loss, ax=None):
    """ITQ quantisation loss ``‖B − VR‖²_F`` per iteration (``ITQHash.loss_``)."""
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 1 or loss.size == 0:
        raise ValueError(f"loss must be a non-empty 1-D array (ITQHash.loss_), got shape {loss.shape}")
    fig, ax = _axes(ax)
    ax.plot(np.arange(loss.size), loss, marker=".")
    ax.set_xlabel("iteration (0 = random rotation)")
    ax.set_ylabel("‖B − VR‖²_F")
    ax.set_title("ITQ: quantisation loss never increases")
    return fig


def plot_box_eigenvalues(a, b, epsilons, n_modes=8, measured=None, ax=None):
    """Eigenvalues ``λ_k = 1 − exp(−ε²/2 (kπ/(b − a))²)`` of the box eigenfunctions (lines), their small-ε
    limit ``(ε²/2)(kπ/(b − a))²`` (dashed) and, optionally, eigenvalues measured on a graph (crosses).

    Parameters
    ----------
    a, b : float
        The interval.
    epsilons : sequence of float
        Affinity widths ε, one colour each.
    n_modes : int
        Frequencies ``k = 0 … n_modes − 1``.
    measured : dict ε -> array (n_modes,), optional
        E.g. the eigenvalues of :func:`lshlab.hashing.spectral.box_laplacian_spectrum`.
    """
    from ..hashing.spectral import box_eigenvalue

    fig, ax = _axes(ax, figsize=(6, 4.2))
    k = np.arange(n_modes)
    for i, eps in enumerate(epsilons):
        colour = f"C{i}"
        omega = k * np.pi / (b - a)
        ax.plot(k, box_eigenvalue(k, a, b, eps), "o-", color=colour, label=f"exact, ε = {eps:g}")
        ax.plot(k, 0.5 * eps**2 * omega**2, "--", color=colour, label=f"small-ε limit, ε = {eps:g}")
        if measured is not None and eps in measured:
            ax.plot(k, np.asarray(measured[eps])[:n_modes], "x", color="black", ms=8,
                    label="graph eigenvalues" if i == 0 else None)
    ax.set_ylim(0, 1.25)
    ax.set_xlabel("frequency k")
    ax.set_ylabel("eigenvalue λ_k")
    ax.set_title(f"Box eigenvalues on [{a:g}, {b:g}]: exact vs limit")
    ax.legend(fontsize=9, loc="upper left")
    return fig


def _split_name(side, labels):
    return ("{" + ",".join(labels[i] for i in np.flatnonzero(side)) + "} | {"
            + ",".join(labels[i] for i in np.flatnonzero(~side)) + "}")


def plot_ratio_cuts(W, labels=None, ax=None):
    """RatioCut(U, Ū) = cut(U, Ū)(1/|U| + 1/|Ū|) of every split of a small graph (bars, sorted), with the
    lower bound λ₂ of the Laplacian (line) and the Fiedler split marked."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ..hashing.spectral import bipartitions, fiedler_vector, ratio_cut

    W = np.asarray(W, dtype=float)
    n = W.shape[0]
    labels = [str(i + 1) for i in range(n)] if labels is None else [str(s) for s in labels]
    splits = bipartitions(n)
    costs = np.array([ratio_cut(W, s) for s in splits])
    order = np.argsort(costs, kind="stable")
    v, lam2 = fiedler_vector(W)
    fiedler = (v < 0) if (v < 0)[0] else (v >= 0)  # the side holding node 0, as bipartitions lists it
    fig, ax = _axes(ax, figsize=(6.5, 0.3 * len(splits) + 1.6))
    colours = ["tab:orange" if np.array_equal(splits[i], fiedler) else "tab:blue" for i in order]
    ax.barh(np.arange(len(order)), costs[order], color=colours)
    ax.set_yticks(np.arange(len(order)), [_split_name(splits[i], labels) for i in order], fontsize=9)
    ax.invert_yaxis()
    ax.axvline(lam2, color="black", ls="--", lw=1.5)
    handles = [Line2D([], [], color="black", ls="--", lw=1.5, label=f"λ₂ = {lam2:.4f} (lower bound)"),
               Patch(color="tab:orange", label="Fiedler split")]
    ax.set_xlabel("RatioCut = cut · (1/|U| + 1/|Ū|)")
    ax.set_ylabel("split U | Ū")
    ax.set_title("Every split of the graph, by ratio cut")
    ax.legend(handles=handles, fontsize=9, loc="upper right")
    return fig


def plot_bit_variances(variances, ax=None):
    """Variance of each projected coordinate before thresholding, one line per method (dict name -> array):
    PCA's decreasing spectrum against the flat profile of a rotation (random or ITQ's)."""
    if not isinstance(variances, dict) or not variances:
        raise ValueError("variances must be a non-empty dict name -> array of per-bit variances")
    fig, ax = _axes(ax, figsize=(6, 4))
    for name, var in variances.items():
        var = np.asarray(var, dtype=float)
        ax.plot(np.arange(1, var.size + 1), var, marker=".", label=name)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("bit (projection) index")
    ax.set_ylabel("variance of the projection")
    ax.set_title("Variance per bit before thresholding")
    ax.legend(fontsize=9)
    return fig


def plot_nca_objective(histories, ax=None):
    """``O_NCA / n`` per fine-tuning epoch (epoch 0 = the pre-trained RBM), one line per dict entry
    (e.g. code length -> ``RBMNCAHash.objective_``)."""
    if not isinstance(histories, dict) or not histories:
        raise ValueError("histories must be a non-empty dict label -> RBMNCAHash.objective_")
    fig, ax = _axes(ax, figsize=(6, 4))
    for label, h in histories.items():
        h = np.asarray(h, dtype=float)
        ax.plot(np.arange(h.size), h, marker=".", label=str(label))
    ax.set_ylim(0, 1)
    ax.set_xlabel("fine-tuning epoch (0 = pre-trained)")
    ax.set_ylabel("O_NCA / n (soft leave-one-out accuracy)")
    ax.set_title("NCA fine-tuning of the RBM stack")
    ax.legend(fontsize=9, loc="lower right")
    return fig
