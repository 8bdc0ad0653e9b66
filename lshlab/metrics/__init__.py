"""Retrieval metrics: precision–recall curves, tie-aware (mean) average precision, Dice and Jaccard.

Setting
-------
Every function takes a ``distances`` matrix of shape ``(n_queries, n_database)`` (smaller = more
similar: Hamming, Lee or Euclidean distances) and, where ground truth is needed, a boolean matrix
``relevant`` of the same shape (``relevant[i, j]`` is True when database item ``j`` is a correct answer
for query ``i``; build it with :func:`relevance_from_labels` or :func:`relevance_from_neighbors`).
Queries are processed in chunks so that a 10,000 × 60,000 problem runs in bounded memory.

Ties
----
Hamming distances take only ``n_bits + 1`` values, so a ranking by code distance ties massively.
Most reference code breaks ties silently by database index (a stable sort); the result then depends
on the order of the database.  Every ranking metric here takes ``ties=``:

- ``"average"`` (default): the exact expectation of the metric when the items inside each group of
  equal distance are put in a uniformly random order (McSherry & Najork, "Computing information
  retrieval performance measures efficiently in the presence of tied scores", ECIR 2008, derive the
  same idea for precision/recall; the average-precision formulas below are derived in
  :func:`average_precision`).  The result does not depend on the database order.
- ``"index"``: ties broken by database index (stable sort), as most reference code does.

Average precision convention
----------------------------
AP@k = (1 / R_k) Σ_{i ≤ k} P@i · rel_i, with R_k the number of relevant items in the top k and
P@i the precision of the top i; AP@k = 0 when R_k = 0.  This is the convention of the deep supervised
hashing reference code (Liu et al., CVPR 2016); with ``at_k=None`` the whole database is ranked and
R_k is the total number of relevant items, i.e. the usual (non-interpolated) average precision, which
equals scikit-learn's ``average_precision_score`` on scores ``-distance`` when there are no ties.

Modules
-------
:mod:`.ranking` (precision–recall curve, precision@k), :mod:`.average_precision` (tie-aware AP@k
over named tie groups), :mod:`.ties` (ranking rows with their tie groups), :mod:`.overlap` (Dice,
Jaccard, top-k overlap scores), :mod:`.relevance` (ground-truth builders).  Every public name is
importable from ``lshlab.metrics``.
"""

from __future__ import annotations

from .average_precision import average_precision, mean_average_precision
from .overlap import (
    OverlapScores,
    dice_score,
    jaccard_index,
    overlap_scores_by_code_length,
    retrieval_overlap_scores,
)
from .ranking import PRCurve, precision_at_k, precision_recall_curve_retrieval
from .relevance import relevance_from_labels, relevance_from_neighbors

__all__ = [
    "PRCurve",
    "OverlapScores",
    "precision_recall_curve_retrieval",
    "precision_at_k",
    "average_precision",
    "mean_average_precision",
    "dice_score",
    "jaccard_index",
    "retrieval_overlap_scores",
    "overlap_scores_by_code_length",
    "relevance_from_labels",
    "relevance_from_neighbors",
]
