"""LSH and exact-search figures: collision curves, AND/OR S-curves, kd-tree partitions, cost curves.

Every helper accepts ``ax=``, labels its axes, titles what is compared, never calls ``plt.show()``
and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._common import axes_or_new

__all__ = [
    "plot_collision_curve",
    "plot_s_curves",
    "plot_parameter_choice",
    "plot_kdtree_partition",
    "plot_cost_vs_dimension",
    "plot_search_time",
    "plot_recall_vs_candidates",
]


_axes = partial(axes_or_new, figsize=(5.5, 4.3))
# lecture 02's curves: a new figure gets constrained layout, so labels in the notebook's large fonts fit
_curve_axes = partial(axes_or_new, figsize=(5.5, 4.3), layout="constrained")


def plot_collision_curve(
    x_theory,
    p_theory,
    x_measured=None,
    p_measured=None,
    p_err=None,
    ax=None,
    *,
    xlabel="angle θ between x and y (radians)",
    ylabel="P[h(x) = h(y)]",
    theory_label="theory 1 − θ/π",
    measured_label="measured",
    title="Collision probability: theory vs measurement",
):
    """Theoretical collision probability as a line, measured rates as points with error bars.

    Parameters
    ----------
    x_theory, p_theory : arrays
        The theory curve (e.g. angles and ``simhash_collision_probability(angles)``).
    x_measured, p_measured : arrays, optional
        Measured collision rates (fraction of hashes on which the pair agrees).
    p_err : array, optional
        Error bar half-widths, e.g. 2 binomial standard errors ``2 sqrt(p(1−p)/n)``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x_theory, p_theory = np.asarray(x_theory, float), np.asarray(p_theory, float)
    if x_theory.shape != p_theory.shape:
        raise ValueError(f"x_theory {x_theory.shape} and p_theory {p_theory.shape} must have the same shape")
    fig, ax = _curve_axes(ax)
    ax.plot(x_theory, p_theory, color="black", lw=2, label=theory_label)
    if x_measured is not None and p_measured is not None:
        xm, pm = np.asarray(x_measured, float), np.asarray(p_measured, float)
        if xm.shape != pm.shape:
            raise ValueError(f"x_measured {xm.shape} and p_measured {pm.shape} must have the same shape")
        ax.errorbar(xm, pm, yerr=None if p_err is None else np.asarray(p_err, float), fmt="o", ms=4,
                    color="tab:orange", ecolor="tab:orange", alpha=0.85, capsize=2, label=measured_label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(title)
    ax.legend(fontsize="small")
    return fig


def plot_s_curves(
    p=None,
    K=4,
    L=8,
    ax=None,
    *,
    configs=None,
    p_near=None,
    p_far=None,
    measured=None,
    title=None,
):
    """AND/OR amplification S-curves ``P[candidate] = 1 − (1 − p^K)^L`` against the per-hash p.

    Parameters
    ----------
    p : array, optional
        Grid of per-hash collision probabilities (default 201 points on [0, 1]).
    K, L : int
        Hashes per table (AND) and number of tables (OR); ignored when ``configs`` is given.
    configs : sequence of (K, L) pairs, optional
        Several S-curves on one axes.
    p_near, p_far : float, optional
        Per-hash probabilities of a near and a far pair; marked with their amplified values
        (the gap between the two is what amplification widens).
    measured : dict label -> (p, rate, err), optional
        Measured candidate rates to overlay as points with error bars.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Uses :func:`lshlab.hashing.random_projection.amplified_collision_probability`.  The curve is
    steepest near p* ≈ (1/L)^{1/K}: K moves the threshold right, L moves it left.
    """
    from ..hashing.random_projection import amplified_collision_probability

    p = np.linspace(0, 1, 201) if p is None else np.asarray(p, float)
    configs = [(K, L)] if configs is None else list(configs)
    fig, ax = _curve_axes(ax, figsize=(8.5, 4.3) if len(configs) > 2 else (5.5, 4.3))
    ax.plot(p, p, color="grey", ls=":", lw=1.2, label="one hash (K = L = 1)")
    for Kc, Lc in configs:
        ax.plot(p, amplified_collision_probability(p, Kc, Lc), lw=2, label=f"K = {Kc}, L = {Lc}")
    if measured:
        for label, (pm, rate, err) in measured.items():
            ax.errorbar(pm, rate, yerr=err, fmt="o", ms=4, capsize=2, label=label)
    Kc, Lc = configs[-1]
    for pv, name, color in ((p_near, "near", "tab:green"), (p_far, "far", "tab:red")):
        if pv is None:
            continue
        ax.axvline(pv, color=color, ls="--", lw=1)
        amp = amplified_collision_probability(pv, Kc, Lc)
        where = f" (K = {Kc}, L = {Lc})" if len(configs) > 1 else ""
        ax.plot([pv], [amp], "s", color=color, ms=7, ls="none", label=f"{name} pair: p = {pv:.2f} → {amp:.2f}{where}")
    ax.set_xlabel("per-hash collision probability p")
    ax.set_ylabel("P[pair is a candidate]")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title or r"AND/OR amplification: $1 - (1 - p^K)^L$")
    if len(configs) > 2:  # many curves: the legend beside the axes, where it hides none of them
        ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    else:
        ax.legend(fontsize="small", loc="upper left")
    return fig


def plot_parameter_choice(choice, ax=None, *, title=None):
    """Predicted recall of every (K, L) as a heat map, with the target and budget contours and the choice.

    Parameters
    ----------
    choice : lshlab.lsh_theory.ParameterChoice
        From :func:`lshlab.lsh_theory.choose_parameters`: its ``recall_table`` and ``candidate_table``
        (index [K − 1, L − 1]), ``target_recall``, ``max_candidates`` and the chosen ``K``, ``L``.

    Returns
    -------
    matplotlib.figure.Figure
        Black line: recall = target (pairs above it reach the target); red dashed line: expected
        candidates = budget (pairs to its left stay within it); star: the cheapest feasible pair.
    """
    from matplotlib.lines import Line2D

    R = np.asarray(getattr(choice, "recall_table", None), dtype=float)
    C = np.asarray(getattr(choice, "candidate_table", None), dtype=float)
    if R.ndim != 2 or R.shape != C.shape:
        raise ValueError("choice must be a ParameterChoice (from lshlab.lsh_theory.choose_parameters)")
    max_K, max_L = R.shape
    fig, ax = _curve_axes(ax, figsize=(6.2, 4.5))
    L_edges, K_edges = np.arange(0.5, max_L + 1), np.arange(0.5, max_K + 1)
    mesh = ax.pcolormesh(L_edges, K_edges, R, cmap="viridis", vmin=0, vmax=1, shading="flat")
    fig.colorbar(mesh, ax=ax, label="predicted recall")
    Ls, Ks = np.arange(1, max_L + 1), np.arange(1, max_K + 1)
    handles = []
    if R.min() < choice.target_recall < R.max():
        ax.contour(Ls, Ks, R, levels=[choice.target_recall], colors="black", linewidths=1.6)
        handles.append(Line2D([], [], color="black", lw=1.6, label=f"recall = {choice.target_recall:.2f}"))
    if C.min() < choice.max_candidates < C.max():
        ax.contour(Ls, Ks, C, levels=[choice.max_candidates], colors="tab:red", linewidths=1.6, linestyles="--")
        handles.append(Line2D([], [], color="tab:red", lw=1.6, ls="--",
                              label=f"candidates = {choice.max_candidates:.0f}"))
    ax.plot([choice.L], [choice.K], marker="*", ms=15, color="white" if choice.feasible else "tab:red",
            mec="black", ls="none")
    handles.append(Line2D([], [], marker="*", ms=12, color="white" if choice.feasible else "tab:red", mec="black",
                          ls="none", label="chosen" if choice.feasible else "best within budget"))
    ax.set_xscale("log")
    ax.set_xlim(0.5, max_L + 0.5)
    ax.set_ylim(0.5, max_K + 0.5)
    ax.set_xlabel("tables L (log scale)")
    ax.set_ylabel("hashes per table K")
    ax.legend(handles=handles, loc="lower right", fontsize="small", framealpha=0.9)
    ax.set_title(title or f"K = {choice.K}, L = {choice.L}: recall {choice.recall:.2f}, "
                          f"{choice.candidates:.0f} candidates")
    return fig


def plot_kdtree_partition(tree, X=None, ax=None, *, max_depth=None, query=None, radius=None,
                          title="kd-tree partition (median splits)"):
    """Draw the cells of a 2-D :class:`lshlab.search.KDTree`: split lines, points, optional query.

    Parameters
    ----------
    tree : lshlab.search.KDTree
        Built on 2-D points; its ``nodes`` expose ``split_dim``, ``split_value`` and the cell
        bounds ``cell_lower`` / ``cell_upper``.
    X : array (n, 2), optional
        Points to scatter (default: the tree's points).
    max_depth : int, optional
        Draw splits of nodes up to this depth (root = 0); default all.
    query : array (2,), optional
        A query point, drawn as a star.
    radius : float, optional
        Draw the circle of this radius around the query (e.g. the distance to its k-th neighbour:
        the cells this circle crosses are exactly those backtracking must open).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Circle, Rectangle

    nodes = getattr(tree, "nodes", None)
    if not nodes or getattr(tree, "n_features", None) != 2:
        raise ValueError("tree must be an lshlab.search.KDTree built on 2-D points")
    X = np.asarray(tree.X if X is None else X, float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    fig, ax = _axes(ax, figsize=(5.5, 5.5), layout="constrained")
    root = nodes[0]
    ax.add_patch(Rectangle(root.cell_lower, *(root.cell_upper - root.cell_lower), fill=False, lw=1.5))
    max_d = max(nd.depth for nd in nodes)
    depth_limit = max_d if max_depth is None else int(max_depth)
    for nd in nodes:
        if nd.split_dim < 0 or nd.depth > depth_limit:
            continue
        lw = max(0.5, 2.5 - 0.4 * nd.depth)
        color = "tab:red" if nd.split_dim == 0 else "tab:blue"
        if nd.split_dim == 0:
            ax.plot([nd.split_value] * 2, [nd.cell_lower[1], nd.cell_upper[1]], color=color, lw=lw)
        else:
            ax.plot([nd.cell_lower[0], nd.cell_upper[0]], [nd.split_value] * 2, color=color, lw=lw)
    ax.scatter(X[:, 0], X[:, 1], s=8, color="black", zorder=3)
    if query is not None:
        q = np.asarray(query, float).ravel()
        ax.plot(q[0], q[1], marker="*", ms=14, color="gold", mec="black", zorder=4, label="query")
        if radius is not None:
            ax.add_patch(Circle(q, radius, fill=False, ls="--", lw=1.5, color="tab:green"))
        ax.legend(loc="upper right", fontsize="small")
    ax.set_aspect("equal")
    ax.set_xlabel("x₁ (red lines split x₁)")
    ax.set_ylabel("x₂ (blue lines split x₂)")
    ax.set_title(f"{title}, depth ≤ {depth_limit}")
    return fig


def plot_cost_vs_dimension(dims, fraction_examined, speedup=None, ax=None, *,
                           title="kd-tree vs brute force against the dimension"):
    """Fraction of the database a kd-tree examines (and optional speed-up) against the dimension.

    Parameters
    ----------
    dims : array of dimensions d
    fraction_examined : array, mean distance computations per query / n (1 = brute force)
    speedup : array, optional
        Measured time(brute force) / time(kd-tree), drawn on a second y axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    dims, frac = np.asarray(dims), np.asarray(fraction_examined, float)
    if dims.shape != frac.shape:
        raise ValueError(f"dims {dims.shape} and fraction_examined {frac.shape} must match")
    fig, ax = _axes(ax, layout="constrained")
    ax.plot(dims, frac, "o-", color="tab:blue", lw=2, label="fraction of points examined")
    ax.axhline(1.0, color="grey", ls=":", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("dimension d (PCA components)")
    ax.set_ylabel("distance computations / n", color="tab:blue")
    ax.set_ylim(0, 1.1)
    if speedup is not None:
        ax2 = ax.twinx()
        ax2.plot(dims, np.asarray(speedup, float), "s--", color="tab:orange", lw=1.5, label="speed-up vs brute force")
        ax2.axhline(1.0, color="tab:orange", ls=":", lw=1)
        ax2.set_ylabel("time(brute force) / time(kd-tree)", color="tab:orange")
        ax2.set_yscale("log")
        ax2.grid(False)
    ax.set_title(title)
    return fig


def plot_search_time(x, seconds, ax=None, *, xlabel="database size n", var="n", title="Brute-force search time"):
    """Measured search times (ms) against a size parameter, with the least-squares line a + b·x.

    Parameters
    ----------
    x : array of sizes (database size n, dimension d, …), increasing
    seconds : array of measured times in seconds (e.g. the minimum of several runs after a warm-up)
    var : str, the symbol of x in the legend's fitted line (``"n"``, ``"d"``)

    The fitted line makes "linear in x" visible: points on the line grow in proportion to x, plus a
    fixed cost a (the intercept).  Both axes start at 0, so proportional growth is a line through the
    lower-left corner when a is small.
    """
    x = np.asarray(x, dtype=float)
    ms = 1e3 * np.asarray(seconds, dtype=float)
    if x.shape != ms.shape or x.size < 2:
        raise ValueError(f"x and seconds must be 1-D of the same length >= 2, got {x.shape} and {ms.shape}")
    fig, ax = _axes(ax, layout="constrained")
    slope, intercept = np.polyfit(x, ms, 1)
    grid = np.linspace(0, x.max() * 1.05, 50)
    ax.plot(grid, intercept + slope * grid, "--", color="tab:gray", lw=1.5,
            label=f"fit {intercept:.3g} + {slope:.3g}·{var} (ms)")
    ax.plot(x, ms, "o", color="tab:blue", ms=6, label="measured (best run)")
    ax.set_xlim(0, x.max() * 1.05)
    ax.set_ylim(0, max(ms.max(), intercept + slope * x.max()) * 1.15)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("time (ms)")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="lower right")
    return fig


def plot_recall_vs_candidates(results, ax=None, *, n_database=None,
                              title="LSH tables: recall against candidates examined"):
    """Recall of approximate search against its cost, one curve or point set per configuration.

    Parameters
    ----------
    results : dict label -> (candidates, recall)
        Mean candidates examined per query and mean recall (arrays for a sweep, or scalars).
    n_database : int, optional
        When given, the x axis shows the fraction of the database examined (brute force = 1).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not results:
        raise ValueError("results is empty; pass label -> (candidates, recall)")
    fig, ax = _curve_axes(ax)
    for label, (cand, rec) in results.items():
        cand = np.atleast_1d(np.asarray(cand, float))
        rec = np.atleast_1d(np.asarray(rec, float))
        x = cand / n_database if n_database else cand
        ax.plot(x, rec, "o-", lw=1.8, ms=5, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("fraction of the database examined" if n_database else "candidates examined per query")
    ax.set_ylabel("recall of the true k nearest neighbours")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.legend(fontsize="small")
    return fig
