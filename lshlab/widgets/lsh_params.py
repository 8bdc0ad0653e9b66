"""Explorer for lecture 02: choose K (hashes per table) and L (tables) for a target recall and a budget.

``update_lsh_params`` is pure: the per-hash collision probabilities of near pairs (a query and one of
its true neighbours) and of database pairs (a query and any database point) in, the cheapest (K, L)
reaching the target recall within the candidate budget out (:func:`lshlab.lsh_theory.choose_parameters`);
``draw_lsh_params`` draws the predicted recall of every (K, L) with the chosen pair and the chosen
S-curve over the two distributions (:class:`LSHParamsView`: the heat map and the histograms are drawn
once, the contours, the chosen pair and the S-curve move); ``lsh_params_explorer`` wires sliders for the
target recall, the budget and the cost of one hash to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .._validation import check_positive_int
from ._view import View

__all__ = ["LSHParamsResult", "update_lsh_params", "LSHParamsView", "draw_lsh_params", "lsh_params_explorer"]


@dataclass
class LSHParamsResult:
    """Output of :func:`update_lsh_params`.

    ``choice`` is the :class:`lshlab.lsh_theory.ParameterChoice`; ``bin_edges``, ``near_counts`` and
    ``far_counts`` are histograms (40 bins of p) of the two samples it was computed from.
    """

    choice: object
    bin_edges: np.ndarray
    near_counts: np.ndarray
    far_counts: np.ndarray
    n_database: int


def _sample(p, name):
    p = np.asarray(p, dtype=np.float64).ravel()
    if p.size == 0 or not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError(f"{name} must be a non-empty array of collision probabilities in [0, 1]")
    return p


def update_lsh_params(p_near, p_far, n_database, *, target_recall=0.9, max_candidates=500.0, hash_cost=1.0,
                      max_K=24, max_L=128, max_hashes=None, n_levels=500):
    """The cheapest (K, L) with predicted recall ≥ ``target_recall`` and ≤ ``max_candidates`` candidates.

    Parameters
    ----------
    p_near, p_far : arrays of per-hash collision probabilities (e.g. 1 − θ/π for SimHash) of
        (query, true neighbour) pairs and of (query, database point) pairs
    n_database : int, database size n
    target_recall, max_candidates, hash_cost : see :func:`lshlab.lsh_theory.choose_parameters`
    max_K, max_L, max_hashes : grid searched (``max_hashes``: only K · L ≤ max_hashes)
    n_levels : int
        Each sample is binned on this many levels of [0, 1] (``choose_parameters(n_levels=…)``), which
        keeps an update fast for samples of any size.

    Returns
    -------
    LSHParamsResult
    """
    from ..lsh_theory import choose_parameters

    near, far = _sample(p_near, "p_near"), _sample(p_far, "p_far")
    choice = choose_parameters(near, far, n_database, target_recall=target_recall, max_candidates=max_candidates,
                               max_K=max_K, max_L=max_L, hash_cost=hash_cost, max_hashes=max_hashes,
                               n_levels=n_levels)
    edges = np.linspace(0, 1, 41)
    counts = [np.bincount(np.minimum((p * 40).astype(int), 39), minlength=40) for p in (near, far)]
    return LSHParamsResult(choice, edges, counts[0], counts[1], int(n_database))


class LSHParamsView(View):
    """Figure of an :class:`LSHParamsResult`.

    Left: the predicted recall of every (K, L) as a heat map (static: it depends on the data only), the
    contour recall = target (black), the contour expected candidates = budget (red, dashed) and the chosen
    pair (a star, red when the target is missed); these, the legend and the title (with the query cost
    hash_cost · K · L + candidates of the chosen pair) move.  Right: the
    histograms of the per-hash collision probability of near and database pairs (static) under the
    S-curve 1 − (1 − p^K)^L of the chosen pair (moves).
    """

    def build(self, result):
        ax, ax_s = np.ravel(self.axes)[:2]
        self.ax_r, self.ax_s = ax, ax_s
        R = np.asarray(result.choice.recall_table, dtype=float)
        max_K, max_L = R.shape
        self.grid = (np.arange(1, max_L + 1), np.arange(1, max_K + 1))
        self.mesh = ax.pcolormesh(np.arange(0.5, max_L + 1), np.arange(0.5, max_K + 1), R, cmap="viridis", vmin=0,
                                  vmax=1, shading="flat")
        self.figure.colorbar(self.mesh, ax=ax, label="predicted recall")
        self.target_line = ax.plot([], [], color="black", lw=1.6, zorder=2)[0]
        self.budget_line = ax.plot([], [], color="tab:red", lw=1.6, ls="--", zorder=2)[0]
        self.star = ax.plot([], [], marker="*", ms=15, mec="black", ls="none", zorder=3)[0]
        ax.set_xscale("log")
        ax.set_xlim(0.5, max_L + 0.5)
        ax.set_ylim(0.5, max_K + 0.5)
        ax.set_xlabel("tables L (log scale)")
        ax.set_ylabel("hashes per table K")
        self.title_r = ax.set_title(" ")
        self.legend_r, self.legend_shape = None, None
        bins = result.bin_edges
        self.hists = []
        for counts, label, colour in ((result.far_counts, "database pairs", "tab:red"),
                                      (result.near_counts, "true neighbours", "tab:green")):
            self.hists.append(ax_s.stairs(self._heights(counts), bins, fill=True, color=colour, alpha=0.35,
                                          label=f"{label} (histogram)"))
        self.s = np.linspace(0, 1, 201)
        self.curve = ax_s.plot([], [], color="black", lw=2, label="$1 - (1 - p^K)^L$")[0]
        ax_s.set_xlim(0, 1)
        ax_s.set_ylim(0, 1.02)
        ax_s.set_xlabel("per-hash collision probability p")
        ax_s.set_ylabel("P[pair is a candidate]")
        self.title_s = ax_s.set_title(" ")
        # the legend lies over the S-curve: drawn after it, as in a full draw (from the text cache)
        self.animate(self.target_line, self.budget_line, self.star, self.title_r, self.curve, self.title_s,
                     ax_s.legend(loc="upper left", fontsize="small"))
        self.data = (R, result.bin_edges, result.near_counts, result.far_counts)
        self.version = 0
        self.update(result)

    @staticmethod
    def _heights(counts):
        counts = np.asarray(counts, dtype=float)
        return 0.9 * counts / max(float(counts.max()), 1.0)

    def _contour(self, line, table, level):
        """Set ``line`` to the contour ``table == level`` (NaN-separated pieces), or nothing when the level
        lies outside the table's range (as ``Axes.contour`` would draw nothing)."""
        import contourpy

        if not table.min() < level < table.max():
            line.set_data([], [])
            return False
        gen = contourpy.contour_generator(*self.grid, table, name="mpl2014", corner_mask=True,
                                          line_type="SeparateCode")
        pieces = gen.lines(level)[0]
        xy = np.concatenate([np.vstack([p, [np.nan, np.nan]]) for p in pieces]) if pieces else np.empty((0, 2))
        line.set_data(xy[:, 0], xy[:, 1])
        return bool(pieces)

    def static_key(self):
        return self.version

    def _set_data(self, result):
        """The static parts follow the data (never a slider): redrawn only if another sample is shown."""
        R = np.asarray(result.choice.recall_table, dtype=float)
        old = self.data
        if (R.shape == old[0].shape and np.array_equal(R, old[0]) and np.array_equal(result.bin_edges, old[1])
                and np.array_equal(result.near_counts, old[2]) and np.array_equal(result.far_counts, old[3])):
            return
        if R.shape != old[0].shape:
            raise ValueError(f"the (K, L) grid changed from {old[0].shape} to {R.shape}; draw it on new axes")
        self.mesh.set_array(R)
        for stairs, counts in zip(self.hists, (result.far_counts, result.near_counts)):
            stairs.set_data(self._heights(counts), result.bin_edges)
        self.data = (R, result.bin_edges, result.near_counts, result.far_counts)
        self.version += 1

    def update(self, result):
        from matplotlib.lines import Line2D

        from ..hashing.random_projection import amplified_collision_probability

        self._set_data(result)
        ch = result.choice
        R = np.asarray(ch.recall_table, dtype=float)
        C = np.asarray(ch.candidate_table, dtype=float)
        has_target = self._contour(self.target_line, R, ch.target_recall)
        has_budget = self._contour(self.budget_line, C, ch.max_candidates)
        star_colour = "white" if ch.feasible else "tab:red"
        self.star.set_data([ch.L], [ch.K])
        self.star.set_color(star_colour)
        self.star.set_markeredgecolor("black")
        labels = ([f"recall = {ch.target_recall:.2f}"] if has_target else []) + (
            [f"candidates = {ch.max_candidates:.0f}"] if has_budget else []) + (
            ["chosen" if ch.feasible else "best within budget"])
        shape = (has_target, has_budget, ch.feasible)
        if shape != self.legend_shape:  # other entries: a new legend (texts of the same entries change in place)
            handles = ([Line2D([], [], color="black", lw=1.6)] if has_target else []) + (
                [Line2D([], [], color="tab:red", lw=1.6, ls="--")] if has_budget else []) + (
                [Line2D([], [], marker="*", ms=12, color=star_colour, mec="black", ls="none")])
            if self.legend_r is not None:
                self.dynamic.remove(self.legend_r)
                self.legend_r.remove()
            self.legend_r = self.animate(self.ax_r.legend(handles, labels, loc="lower right", fontsize="small",
                                                          framealpha=0.9))
            self.legend_shape = shape
        else:
            for text, label in zip(self.legend_r.get_texts(), labels):
                text.set_text(label)
        # the query cost hash_cost · K · L + candidates: what the choice minimises (and what the hash-cost
        # slider changes even when the chosen pair stays)
        self.title_r.set_text(f"K = {ch.K}, L = {ch.L}, query cost {ch.cost:,.1f}"
                              + ("" if ch.feasible else " (target missed)"))
        self.curve.set_data(self.s, amplified_collision_probability(self.s, ch.K, ch.L))
        self.title_s.set_text(f"recall {ch.recall:.2f}, {ch.candidates:.0f} of {result.n_database} candidates")


def draw_lsh_params(result, axes):
    """Left: predicted recall of every (K, L) with the chosen pair; right: its S-curve over the near and
    database distributions of the per-hash collision probability.  Returns the Figure."""
    axes = np.ravel(axes)
    if axes.size < 2:
        raise ValueError("draw_lsh_params needs two axes")
    return LSHParamsView(axes).draw(result)


def lsh_params_explorer(p_near, p_far, n_database, *, max_K=24, max_L=128):
    """Sliders for the target recall, the candidate budget and the cost of a hash → the chosen (K, L)."""
    from ._core import Explorer, float_slider, log_slider, selection_slider

    n = check_positive_int(n_database, "n_database")
    controls = {
        "target_recall": float_slider("target recall", 0.5, 0.99, 0.9, 0.01),
        "max_candidates": log_slider("candidate budget", max(1.0, n / 1000), float(n), min(float(n), max(10.0, n / 15))),
        "hash_cost": selection_slider("cost of one hash (in candidates)", [0.0, 0.1, 1.0, 10.0], 1.0),
    }
    return Explorer(
        update=partial(update_lsh_params, p_near, p_far, n, max_K=max_K, max_L=max_L),
        draw=draw_lsh_params, view=LSHParamsView, controls=controls, ncols=2, figsize=(11, 4.3),
        title="Choosing K and L: the cheapest tables that reach the target recall within the budget",
    )
