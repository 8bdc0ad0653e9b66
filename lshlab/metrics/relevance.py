"""Ground-truth relevance matrices for the retrieval metrics: same label, or Euclidean top-k."""

from __future__ import annotations

import numpy as np

from .._validation import as_array, check_comparable_labels, check_float_matrix, check_k, check_positive_int

__all__ = ["relevance_from_labels", "relevance_from_neighbors"]


def relevance_from_labels(y_query, y_db):
    """Ground truth "same class": ``relevant[i, j] = (y_query[i] == y_db[j])``, shape (n_q, n_db).

    Raises ValueError when the two label arrays are of kinds that can never be equal (text against
    numbers: everything would be irrelevant and mAP 0) or hold NaN labels.
    """
    yq, yd = as_array(y_query, "y_query"), as_array(y_db, "y_db")
    if yq.ndim != 1 or yd.ndim != 1 or yq.size == 0 or yd.size == 0:
        raise ValueError(
            f"y_query and y_db must be non-empty 1-D label arrays, got shapes {yq.shape} and {yd.shape}"
        )
    yq, yd = check_comparable_labels(yq, yd)
    return yq[:, None] == yd[None, :]


def relevance_from_neighbors(X_query, X_db, k):
    """Ground truth "Euclidean top-k": ``relevant[i, j]`` is True for the k nearest database items.

    Uses :func:`lshlab.search.brute_force_knn` (exact for float data of any offset and scale, in their
    own precision; among equal distances the smaller database index wins).
    Returns a boolean matrix of shape (n_queries, n_database) with exactly k True per row.
    """
    from ..search import brute_force_knn

    Xq = check_float_matrix(X_query, "X_query")
    Xd = check_float_matrix(X_db, "X_db")
    if Xq.shape[1] != Xd.shape[1]:
        raise ValueError(f"X_query has {Xq.shape[1]} features but X_db has {Xd.shape[1]}; both must come "
                         "from the same feature space")
    k = check_k(check_positive_int(k, "k"), Xd.shape[0])
    _, idx = brute_force_knn(Xd, Xq, k, dtype=np.float64)  # only the ranks are used: any scale is fine
    rel = np.zeros((Xq.shape[0], Xd.shape[0]), dtype=bool)
    np.put_along_axis(rel, np.asarray(idx), True, axis=1)
    return rel
