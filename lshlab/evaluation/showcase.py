"""Choosing the queries a retrieval collage shows.

A collage (:func:`lshlab.plots.plot_retrieval_collage`) shows a few queries and their top-k results,
with wrong results framed in red.  On MNIST most top-10 lists are entirely correct, so the first few
queries usually show no error at all and the figure cannot show what a mistake looks like.
:func:`mixed_result_queries` picks, reproducibly, queries whose result lists hold both right and
wrong answers — in every ranking compared when possible (e.g. exact Euclidean search *and* a hash
code), so that rows of several collages can be compared query by query.  The lecture then says that
the rows were chosen to show errors and gives the precision over all queries next to the figure.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int

__all__ = ["mixed_result_queries"]


def _as_rankings(rankings, n_query):
    arrays = [rankings] if isinstance(rankings, np.ndarray) else list(rankings)
    if not arrays:
        raise ValueError("rankings must be one (n_query, k) index array or a non-empty sequence of them")
    out = []
    for i, idx in enumerate(arrays):
        idx = np.asarray(idx)
        if idx.ndim != 2 or idx.shape[0] != n_query or idx.shape[1] < 2:
            raise ValueError(f"rankings[{i}] must have shape (n_query, k) = ({n_query}, k ≥ 2) — one row of "
                             f"retrieved database indices per query — got {idx.shape}")
        if not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"rankings[{i}] must hold integer database indices, got dtype {idx.dtype}")
        out.append(idx)
    return out


def mixed_result_queries(y_query, y_db, rankings, n=4):
    """Indices of ``n`` queries whose retrieved lists hold both correct and wrong results.

    A result is correct when its label equals the query's.  A ranking is *mixed* for a query when its
    top-k list holds at least one correct and at least one wrong result.  Queries are ordered by the
    number of rankings that are mixed for them (all first), then by the number of rankings with at
    least one wrong result, then by query index; the first ``n`` are returned in query order.  So a
    query whose lists are all correct is chosen only when fewer than ``n`` queries have any error.

    Parameters
    ----------
    y_query : array (n_query,)
        Labels of the queries.
    y_db : array (n_database,)
        Labels of the database items.
    rankings : int array (n_query, k) or a sequence of them
        Retrieved database indices per query, one array per ranking compared (e.g. Euclidean and
        Hamming), all for the same queries.
    n : int
        How many queries to return (at most ``n_query``).

    Returns
    -------
    ndarray of int, shape (min(n, n_query),), increasing

    Raises
    ------
    ValueError
        When the label arrays are not 1-D, when a ranking is not an integer array of shape
        (n_query, k ≥ 2), or when it indexes outside the database.

    Examples
    --------
    >>> import numpy as np
    >>> y_db = np.array([0, 0, 1, 1])
    >>> idx = np.array([[0, 1], [0, 2], [2, 3]])   # query 0 all right, query 1 mixed, query 2 all wrong
    >>> mixed_result_queries(np.array([0, 0, 0]), y_db, idx, n=1)
    array([1])
    """
    y_query, y_db = np.asarray(y_query), np.asarray(y_db)
    if y_query.ndim != 1 or y_db.ndim != 1:
        raise ValueError(f"y_query and y_db must be 1-D label arrays, got shapes {y_query.shape} and {y_db.shape}")
    n = check_positive_int(n, "n")
    idx_list = _as_rankings(rankings, y_query.shape[0])
    n_mixed = np.zeros(y_query.shape[0], dtype=int)
    n_wrong = np.zeros(y_query.shape[0], dtype=int)
    for i, idx in enumerate(idx_list):
        if idx.size and (idx.min() < 0 or idx.max() >= y_db.shape[0]):
            raise ValueError(f"rankings[{i}] indexes outside the database (0 … {y_db.shape[0] - 1})")
        correct = y_db[idx] == y_query[:, None]
        any_wrong = ~correct.all(axis=1)
        n_wrong += any_wrong
        n_mixed += any_wrong & correct.any(axis=1)
    order = np.lexsort((np.arange(y_query.shape[0]), -n_wrong, -n_mixed))
    return np.sort(order[: min(n, y_query.shape[0])])
