"""Overlap of retrieved sets: Dice and Jaccard, per query, against a reference ranking.

Dice (1945) / Sørensen (1948): D = 2 |A ∩ B| / (|A| + |B|); Jaccard (1912): J = |A ∩ B| / |A ∪ B|;
D = 2J / (1 + J).  :func:`retrieval_overlap_scores` compares the top-k sets of two rankings of the same
database (e.g. Euclidean vs Hamming code distances), :func:`overlap_scores_by_code_length` does so for
several prefixes of one code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_binary_codes, check_k, check_positive_int
from ..distances import hamming_distance_matrix
from ._common import check_distances, check_ties, row_chunks

__all__ = ["OverlapScores", "dice_score", "jaccard_index", "retrieval_overlap_scores",
           "overlap_scores_by_code_length"]


def _as_sets(a, b):
    """Return (|A ∩ B|, |A|, |B|) for index arrays or boolean masks (row-wise for 2-D masks)."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.dtype == bool or b_arr.dtype == bool:
        if a_arr.dtype != bool or b_arr.dtype != bool:
            raise ValueError(
                f"a and b must both be boolean masks or both index arrays, got {a_arr.dtype} and {b_arr.dtype}"
            )
        if a_arr.shape != b_arr.shape or a_arr.ndim not in (1, 2):
            raise ValueError(
                f"boolean masks must be 1-D or 2-D with equal shapes, got {a_arr.shape} and {b_arr.shape}"
            )
        return (a_arr & b_arr).sum(axis=-1), a_arr.sum(axis=-1), b_arr.sum(axis=-1)
    for arr, name in ((a_arr, "a"), (b_arr, "b")):
        if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
            raise ValueError(
                f"{name} must be a 1-D array of integer indices or a boolean mask, "
                f"got shape {arr.shape} dtype {arr.dtype}"
            )
        if np.unique(arr).size != arr.size:
            raise ValueError(f"{name} holds repeated indices; a retrieved set lists each item once")
        if arr.size and arr.min() < 0:
            raise ValueError(
                f"{name} holds negative indices (e.g. the -1 padding of HashTables.search); "
                "drop them before scoring: a[a >= 0]"
            )
    inter = np.intersect1d(a_arr, b_arr, assume_unique=True).size
    return inter, a_arr.size, b_arr.size


def dice_score(a, b):
    """Dice coefficient D = 2 |A ∩ B| / (|A| + |B|) of two retrieved sets.

    ``a`` and ``b`` are 1-D arrays of (distinct) database indices, or boolean masks of equal shape
    (1-D → a float; 2-D → one score per row).  Two empty sets are identical: D = 1 by convention.
    Related to Jaccard by D = 2J / (1 + J) (Dice 1945; Sørensen 1948).
    """
    inter, na, nb = _as_sets(a, b)
    tot = np.asarray(na + nb, dtype=float)
    out = np.where(tot > 0, 2.0 * np.asarray(inter) / np.maximum(tot, 1), 1.0)
    return float(out) if out.ndim == 0 else out


def jaccard_index(a, b):
    """Jaccard index J = |A ∩ B| / |A ∪ B| of two retrieved sets (same inputs as :func:`dice_score`).

    Two empty sets give J = 1 by convention (so D = 2J/(1+J) holds everywhere) (Jaccard 1912).
    """
    inter, na, nb = _as_sets(a, b)
    union = np.asarray(na + nb - inter, dtype=float)
    out = np.where(union > 0, np.asarray(inter) / np.maximum(union, 1), 1.0)
    return float(out) if out.ndim == 0 else out


@dataclass
class OverlapScores:
    """Per-query Dice and Jaccard between two top-k retrieved sets (arrays of shape (n_queries,))."""

    dice: np.ndarray
    jaccard: np.ndarray


def _topk_mask(d, k, ties):
    """Boolean mask of the top-k set of every row.

    ``"index"``: the k smallest distances, ties at the boundary broken by database index;
    ``"include"``: every item whose distance is ≤ the k-th smallest (sets may exceed k).
    """
    kth = np.partition(d, k - 1, axis=1)[:, k - 1 : k]
    if ties == "include":
        return d <= kth
    lt = d < kth
    need = k - lt.sum(axis=1, keepdims=True)
    eq = d == kth
    return lt | (eq & (np.cumsum(eq, axis=1) <= need))


def retrieval_overlap_scores(dist_reference, dist_code, k, ties="index"):
    """Per-query Dice and Jaccard between the top-k sets of two rankings of the same database.

    Parameters
    ----------
    dist_reference, dist_code : arrays (n_queries, n_database)
        For example Euclidean distances (reference) and Hamming code distances.
    k : int
        Size of the retrieved sets.
    ties : {"index", "include"}
        ``"index"``: exactly k items, boundary ties broken by database index; ``"include"``: every
        item tied with the k-th is retrieved (sets may be larger than k, so Dice ≠ |A∩B|/k).

    Returns
    -------
    OverlapScores
        ``dice`` and ``jaccard``, each of shape (n_queries,).
    """
    d1 = check_distances(dist_reference, "dist_reference")
    d2 = check_distances(dist_code, "dist_code")
    if d1.shape != d2.shape:
        raise ValueError(f"dist_reference {d1.shape} and dist_code {d2.shape} must have the same shape")
    ties = check_ties(ties, ("index", "include"))
    k = check_k(k, d1.shape[1])
    dice = np.empty(d1.shape[0])
    jac = np.empty(d1.shape[0])
    for sl in row_chunks(*d1.shape):
        m1, m2 = _topk_mask(d1[sl], k, ties), _topk_mask(d2[sl], k, ties)
        dice[sl] = dice_score(m1, m2)
        jac[sl] = jaccard_index(m1, m2)
    return OverlapScores(dice=dice, jaccard=jac)



def overlap_scores_by_code_length(dist_reference, codes_query, codes_db, code_lengths, k, ties="index"):
    """Per-query Dice and Jaccard against a reference ranking, for several code lengths at once.

    The bits of a random-feature code (SimHash, Raginsky) are i.i.d., so the first ``n`` columns of a
    long code *are* an ``n``-bit code: one encoding at the largest length serves every length.

    Parameters
    ----------
    dist_reference : array (n_queries, n_database)
        Reference distances, e.g. Euclidean in the feature space.
    codes_query, codes_db : uint8 0/1 arrays (n_queries, B) and (n_database, B)
        Unpacked codes with B >= max(code_lengths).
    code_lengths : iterable of int
        Prefix lengths to score.
    k : int
        Size of the retrieved sets.
    ties : {"index", "include"}
        As :func:`retrieval_overlap_scores`.

    Returns
    -------
    dict mapping each code length to an :class:`OverlapScores`.
    """
    cq = check_binary_codes(codes_query, "codes_query")
    cd = check_binary_codes(codes_db, "codes_db")
    if cq.shape[1] != cd.shape[1]:
        raise ValueError(f"codes_query has {cq.shape[1]} bits but codes_db has {cd.shape[1]}")
    ref_shape = np.shape(dist_reference)
    if len(ref_shape) == 2 and (cq.shape[0], cd.shape[0]) != ref_shape:
        raise ValueError(f"codes_query and codes_db hold {cq.shape[0]} and {cd.shape[0]} codes but dist_reference has "
                         f"shape {ref_shape} (n_query, n_db); encode the same queries and database")
    lengths = [check_positive_int(n, "code_lengths") for n in code_lengths]
    if not lengths:
        raise ValueError("code_lengths is empty; give at least one code length")
    if max(lengths) > cq.shape[1]:
        raise ValueError(f"code length {max(lengths)} exceeds the {cq.shape[1]} bits of the codes")
    out = {}
    for n in lengths:
        dist = hamming_distance_matrix(cq[:, :n], cd[:, :n])
        out[n] = retrieval_overlap_scores(dist_reference, dist, k, ties=ties)
    return out
