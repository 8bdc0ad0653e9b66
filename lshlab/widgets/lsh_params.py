"""Explorer for lecture 02: choose K (hashes per table) and L (tables) for a target recall and a budget.

``update_lsh_params`` is pure: the per-hash collision probabilities of near pairs (a query and one of
its true neighbours) and of database pairs (a query and any database point) in, the cheapest (K, L)
reaching the target recall within the candidate budget out (:func:`lshlab.lsh_theory.choose_parameters`);
``draw_lsh_params`` draws the predicted recall of every (K, L) with the chosen pair and the chosen
S-curve over the two distributions; ``lsh_params_explorer`` wires sliders for the target recall, the
budget and the cost of one hash to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .._validation import check_positive_int

__all__ = ["LSHParamsResult", "update_lsh_params", "draw_lsh_params", "lsh_params_explorer"]


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


def draw_lsh_params(result, axes):
    """Left: predicted recall of every (K, L) with the chosen pair; right: its S-curve over the near and
    database distributions of the per-hash collision probability.  Returns the Figure."""
    from ..hashing.random_projection import amplified_collision_probability
    from ..plots.lsh import plot_parameter_choice

    axes = np.ravel(axes)
    if axes.size < 2:
        raise ValueError("draw_lsh_params needs two axes")
    ch = result.choice
    plot_parameter_choice(ch, ax=axes[0], title=f"K = {ch.K}, L = {ch.L}" + ("" if ch.feasible else " (target missed)"))
    ax = axes[1]
    bins = result.bin_edges
    for counts, label, colour in ((result.far_counts, "database pairs", "tab:red"),
                                  (result.near_counts, "true neighbours", "tab:green")):
        ax.stairs(0.9 * counts / counts.max(), bins, fill=True, color=colour, alpha=0.35, label=f"{label} (histogram)")
    s = np.linspace(0, 1, 201)
    ax.plot(s, amplified_collision_probability(s, ch.K, ch.L), color="black", lw=2, label="$1 - (1 - p^K)^L$")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("per-hash collision probability p")
    ax.set_ylabel("P[pair is a candidate]")
    ax.set_title(f"recall {ch.recall:.2f}, {ch.candidates:.0f} of {result.n_database} candidates")
    ax.legend(loc="upper left", fontsize="small")
    return ax.figure


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
        draw=draw_lsh_params, controls=controls, ncols=2, figsize=(11, 4.3),
        margins=dict(left=0.07, right=0.98, bottom=0.13, top=0.9, wspace=0.45),
        title="Choosing K and L: the cheapest tables that reach the target recall within the budget",
    )
