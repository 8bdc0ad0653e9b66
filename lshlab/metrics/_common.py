"""Input checks and row chunking shared by the metrics modules (not part of the public API)."""

from __future__ import annotations

import numpy as np

from .._validation import as_array, check_matrix

TIES = ("average", "index")


def check_distances(distances, name="distances"):
    arr = check_matrix(distances, name, dtype=None)
    if arr.dtype == bool:
        raise ValueError(f"{name} must hold numeric distances, got a boolean array")
    return arr


def check_relevant(relevant, shape, name="relevant"):
    arr = as_array(relevant, name)
    if arr.shape != shape:
        raise ValueError(
            f"{name} must have the shape of distances {shape} (n_queries, n_database), got {arr.shape}"
        )
    if arr.dtype != bool:
        if not np.issubdtype(arr.dtype, np.integer) or (arr.size and (arr.min() < 0 or arr.max() > 1)):
            raise ValueError(f"{name} must be a boolean matrix (or integer 0/1), got dtype {arr.dtype}")
        arr = arr.astype(bool)
    return arr


def check_ties(ties, allowed=TIES):
    if ties not in allowed:
        raise ValueError(f"ties must be one of {allowed}, got {ties!r}")
    return ties


#: Queries are processed in row chunks of about this many (query, database) entries (bounded memory);
#: read at each call of :func:`row_chunks` (the one setting; tests lower it to force several chunks).
CHUNK_ELEMENTS = 1 << 20


def row_chunks(n_rows, n_cols):
    """Row slices whose ``(rows, n_cols)`` blocks hold about :data:`CHUNK_ELEMENTS` entries."""
    step = max(1, CHUNK_ELEMENTS // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))
