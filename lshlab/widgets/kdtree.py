"""Lecture 01 explorer: dimension and leaf size of a kd-tree → the fraction of points it examines, and its
speed-up over brute force.

- :func:`prepare_kdtree` measures a grid once: for every dimension d (the first d columns of the data,
  e.g. PCA components in order) and leaf size, it builds :class:`lshlab.search.KDTree` and counts the
  distance computations per query (``query_stats``; brute force computes n), and times scikit-learn's
  compiled ``KDTree`` (same leaf size) against :func:`lshlab.search.brute_force_knn` (best of three).
- :func:`update_kdtree` (pure) picks one (d, leaf size) of the grid; :func:`draw_kdtree` draws the
  fraction examined and the speed-up against d, the chosen leaf size highlighted;
  :func:`kdtree_explorer` wires a dimension slider and a leaf-size slider to the two.

A move only looks the grid up, so it costs no tree build.  Friedman, Bentley & Finkel, "An algorithm
for finding best matches in logarithmic expected time", ACM TOMS 1977: the expected work of a kd-tree
grows exponentially with the dimension, which the fraction examined shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import numpy as np

from .._validation import check_matrix, check_positive_int
from ._core import Explorer, selection_slider
from ._view import HighlightedCurves, View

__all__ = ["KDTreeGrid", "prepare_kdtree", "KDTreeResult", "update_kdtree", "KDTreeView", "draw_kdtree",
           "kdtree_explorer"]


@dataclass
class KDTreeGrid:
    """Measurements of :func:`prepare_kdtree` on the grid ``dims`` × ``leaf_sizes``.

    Attributes
    ----------
    dims, leaf_sizes : tuples of int
    n_database, n_queries, k : ints (queries used for the counters)
    fraction : float array (len(dims), len(leaf_sizes))
        Mean distance computations per query of :class:`lshlab.search.KDTree` divided by n.
    leaves : float array, same shape
        Mean fraction of the leaves visited per query.
    speedup : float array, same shape
        time(brute_force_knn) / time(scikit-learn KDTree query), best of three each.
    """

    dims: tuple
    leaf_sizes: tuple
    n_database: int
    n_queries: int
    k: int
    fraction: np.ndarray
    leaves: np.ndarray
    speedup: np.ndarray


def _best_of_3(fn):
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def prepare_kdtree(X, Q, *, dims=(2, 4, 8, 16, 32, 64), leaf_sizes=(2, 10, 50), k=10, n_queries=30,
                   random_state=0):
    """Measure the kd-tree's work and speed-up for every dimension and leaf size.

    Parameters
    ----------
    X, Q : arrays (n, D), (m, D)
        Database and queries; dimension d uses the first d columns (order them by importance, e.g.
        PCA components).
    dims : sequence of int ≤ D
    leaf_sizes : sequence of int
    k : int
        Neighbours searched.
    n_queries : int
        Queries (a fixed random subset of Q) for the work counters of the pure-Python tree; the timings
        use every query.

    Returns
    -------
    KDTreeGrid
    """
    from sklearn.neighbors import KDTree as SklearnKDTree

    from ..search import KDTree, brute_force_knn

    X = check_matrix(X, "X")
    Q = check_matrix(Q, "Q")
    if Q.shape[1] != X.shape[1]:
        raise ValueError(f"Q has {Q.shape[1]} columns but X has {X.shape[1]}")
    dims = tuple(check_positive_int(d, "dims") for d in dims)
    leaf_sizes = tuple(check_positive_int(s, "leaf_sizes") for s in leaf_sizes)
    if not dims or not leaf_sizes:
        raise ValueError("dims and leaf_sizes must be non-empty")
    if max(dims) > X.shape[1]:
        raise ValueError(f"dims go up to {max(dims)} but X has only {X.shape[1]} columns")
    k = check_positive_int(k, "k")
    if k > X.shape[0]:
        raise ValueError(f"k={k} exceeds the {X.shape[0]} database points")
    n_queries = min(check_positive_int(n_queries, "n_queries"), Q.shape[0])
    sub = np.sort(np.random.default_rng(random_state).choice(Q.shape[0], n_queries, replace=False))
    shape = (len(dims), len(leaf_sizes))
    fraction, leaves, speedup = np.empty(shape), np.empty(shape), np.empty(shape)
    for i, d in enumerate(dims):
        Xd, Qd = np.ascontiguousarray(X[:, :d]), np.ascontiguousarray(Q[:, :d])
        Xd64, Qd64 = Xd.astype(np.float64), Qd.astype(np.float64)
        t_brute = _best_of_3(lambda: brute_force_knn(Xd, Qd, k))
        for j, leaf in enumerate(leaf_sizes):
            tree = KDTree(Xd, leaf_size=leaf)
            tree.search(Qd[sub], k)
            fraction[i, j] = tree.query_stats.distance_computations.mean() / X.shape[0]
            leaves[i, j] = tree.query_stats.leaves_visited.mean() / len(tree.leaves())
            sk = SklearnKDTree(Xd64, leaf_size=leaf)
            speedup[i, j] = t_brute / max(_best_of_3(lambda: sk.query(Qd64, k)), 1e-9)
    return KDTreeGrid(dims, leaf_sizes, X.shape[0], n_queries, k, fraction, leaves, speedup)


@dataclass
class KDTreeResult:
    """Output of :func:`update_kdtree`: the chosen ``dim`` and ``leaf_size``, their ``fraction`` examined,
    ``leaves`` fraction visited and ``speedup``, and the whole ``grid`` (for the curves)."""

    dim: int
    leaf_size: int
    fraction: float
    leaves: float
    speedup: float
    grid: KDTreeGrid


def update_kdtree(grid, *, dim, leaf_size):
    """Pure: the measurements of ``grid`` at (``dim``, ``leaf_size``), both on the grid.

    Returns a :class:`KDTreeResult`."""
    if dim not in grid.dims:
        raise ValueError(f"dim={dim!r} was not measured; choose one of {grid.dims}")
    if leaf_size not in grid.leaf_sizes:
        raise ValueError(f"leaf_size={leaf_size!r} was not measured; choose one of {grid.leaf_sizes}")
    i, j = grid.dims.index(dim), grid.leaf_sizes.index(leaf_size)
    return KDTreeResult(int(dim), int(leaf_size), float(grid.fraction[i, j]), float(grid.leaves[i, j]),
                        float(grid.speedup[i, j]), grid)


class KDTreeView(View):
    """Figure of a :class:`KDTreeResult`: left, the fraction of the database the kd-tree examines against
    the dimension (one grey line per leaf size, the chosen one in colour); right, the speed-up of a
    compiled kd-tree over brute force (log scale; below 1 the tree is slower).  The chosen point is
    circled and labelled."""

    def build(self, result):
        grid = result.grid
        ax_f, ax_s = np.ravel(self.axes)[:2]
        by_leaf = lambda values: {s: values[:, j] for j, s in enumerate(grid.leaf_sizes)}  # noqa: E731
        self.work = HighlightedCurves(ax_f, grid.dims, by_leaf(grid.fraction), label=lambda s: f"leaf size {s}",
                                      fmt="{:.1%} examined", loc="lower right")
        ax_f.axhline(1.0, color="grey", ls=":", lw=1)
        ax_f.set_xscale("log", base=2)
        ax_f.set_xticks(grid.dims, [str(d) for d in grid.dims])
        ax_f.set_ylim(0, 1.1)
        ax_f.set_xlabel("dimension d")
        ax_f.set_ylabel("points examined / n (brute force = 1)")
        ax_f.set_title(f"Work of the kd-tree ({grid.n_database:,} points, k = {grid.k})")
        self.speed = HighlightedCurves(ax_s, grid.dims, by_leaf(grid.speedup), label=lambda s: f"leaf size {s}",
                                       fmt="{:.2f}× brute force", color="tab:orange", loc="upper right")
        ax_s.axhline(1.0, color="grey", ls=":", lw=1)
        ax_s.set_xscale("log", base=2)
        ax_s.set_yscale("log")
        ax_s.set_xticks(grid.dims, [str(d) for d in grid.dims])
        lo, hi = float(np.min(grid.speedup)), float(np.max(grid.speedup))
        ax_s.set_ylim(min(lo, 1.0) / 1.5, max(hi, 1.0) * 1.5)
        ax_s.set_xlabel("dimension d")
        ax_s.set_ylabel("time(brute force) / time(kd-tree)")
        ax_s.set_title("Speed-up of scikit-learn's KDTree over brute force")
        self.animate(self.work, self.speed)
        self.update(result)

    def update(self, result):
        self.work.select(result.leaf_size, result.dim)  # the circled point and its value say the rest
        self.speed.select(result.leaf_size, result.dim)


def draw_kdtree(result, axes):
    """Fraction examined (left) and speed-up (right) against the dimension of a :class:`KDTreeResult`;
    returns the Figure."""
    return KDTreeView(axes).draw(result)


def kdtree_explorer(X, Q, *, dims=(2, 4, 8, 16, 32, 64), leaf_sizes=(2, 10, 50), k=10, n_queries=30, dim=None,
                    leaf_size=None, random_state=0, figsize=(11, 4.2)):
    """Dimension slider and leaf-size slider → fraction of points examined and speed-up of a kd-tree.

    The grid is measured once (:func:`prepare_kdtree`, a few seconds); ``explorer.data`` is the
    :class:`KDTreeGrid`.
    """
    grid = prepare_kdtree(X, Q, dims=dims, leaf_sizes=leaf_sizes, k=k, n_queries=n_queries,
                          random_state=random_state)
    controls = {
        "dim": selection_slider("dimension d", grid.dims, dim if dim is not None else grid.dims[len(grid.dims) // 2]),
        "leaf_size": selection_slider("leaf size", grid.leaf_sizes,
                                      leaf_size if leaf_size is not None else grid.leaf_sizes[len(grid.leaf_sizes) // 2]),
    }
    explorer = Explorer(partial(update_kdtree, grid), draw_kdtree, controls, view=KDTreeView, ncols=2,
                        figsize=figsize, title="kd-tree against the dimension: work and wall-clock speed-up")
    explorer.data = grid
    return explorer
