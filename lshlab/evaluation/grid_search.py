"""Choosing a hasher parameter by its retrieval score, averaged over seeds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scoring import evaluate_hasher

__all__ = ["GridSearchResult", "hasher_grid_search"]

_GRID_SCORES = ("pr_auc", "map")


@dataclass(frozen=True, eq=False)
class GridSearchResult:
    """Result of :func:`hasher_grid_search`.

    Attributes
    ----------
    grid : tuple
        The parameter values, in the order given.
    scores : ndarray (n_grid,)
        Mean score over the seeds, one per grid value.
    seed_scores : ndarray (n_grid, n_seeds)
    score : {"pr_auc", "map"}
    best : object
        The grid value with the highest mean score (the first one on ties).
    """

    grid: tuple
    scores: np.ndarray
    seed_scores: np.ndarray
    score: str

    @property
    def best(self):
        return self.grid[int(np.argmax(self.scores))]


def hasher_grid_search(make_hasher, grid, X_db, X_query, relevant=None, *, labels=None, seeds=(0,),
                       score="pr_auc", at_k=None, ties="average"):
    """Score a hasher for every value of one parameter, averaged over seeds (codes fitted on ``X_db``).

    Parameters
    ----------
    make_hasher : callable (value, seed) -> unfitted hasher
        E.g. ``lambda s, seed: ShiftInvariantHash(512, kernel=s, random_state=seed)``.
    grid : sequence
        Parameter values (bandwidths, ``SchoenbergKernel`` objects, code lengths, …).
    X_db, X_query, relevant, labels
        As :func:`evaluate_hasher`.
    seeds : sequence of int
        One fit per seed; the score is their mean.
    score : {"pr_auc", "map"}
        ``"pr_auc"``: area under the precision–recall curve (``by="auto"``: by Hamming radius, so
        independent of ``ties``; :attr:`lshlab.metrics.PRCurve.auc`).  ``"map"``: mAP (``at_k``, ``ties``).

    Returns
    -------
    GridSearchResult
        ``best`` is the value with the best mean score.  Choosing it on the evaluation queries
        themselves makes an optimistic baseline.
    """
    if not callable(make_hasher):
        raise ValueError("make_hasher must be a callable (value, seed) -> unfitted hasher")
    grid = tuple(grid)
    seeds = tuple(seeds)
    if not grid:
        raise ValueError("grid must hold at least one parameter value")
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if score not in _GRID_SCORES:
        raise ValueError(f"score must be one of {_GRID_SCORES}, got {score!r}")
    table = np.empty((len(grid), len(seeds)))
    for i, value in enumerate(grid):
        for j, seed in enumerate(seeds):
            res = evaluate_hasher(make_hasher(value, seed), X_db, X_query, relevant, labels=labels, at_k=at_k,
                                  ties=ties, pr="auto" if score == "pr_auc" else None)
            table[i, j] = res.pr.auc if score == "pr_auc" else res.map
    return GridSearchResult(grid=grid, scores=table.mean(axis=1), seed_scores=table, score=score)
