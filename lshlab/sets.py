"""Sets as data: validation into one sparse form, exact Jaccard similarity, masks and shingles.

A collection of sets is given in one of three forms (what :class:`lshlab.hashing.MinHash` accepts):

- a **scipy sparse** matrix (any format) of 0/1 values — row i is the set of column indices j with
  ``X[i, j] = 1``;
- a **dense** 2-D array of 0/1 values (bool, integers or floats that are exactly 0 or 1), read the
  same way — e.g. binary image masks, one pixel per column;
- a **list (or tuple) of integer sets**: each item a Python ``set`` / ``frozenset`` or a 1-D integer
  ``ndarray`` of element ids (repeats are ignored).  A list of *lists* is read as a dense matrix, not
  as sets: wrap the items in ``set(...)`` to mean sets.

:func:`as_set_matrix` turns any of them into a boolean CSR matrix with sorted, distinct column indices
— the one form the rest of the package works on.  The **Jaccard index** of two sets is
J(A, B) = |A ∩ B| / |A ∪ B| (P. Jaccard, "Étude comparative de la distribution florale dans une portion
des Alpes et du Jura", 1901/1912); two empty sets have J = 1 by convention, as in
:func:`lshlab.metrics.jaccard_index` (so that Dice = 2J/(1 + J) holds everywhere).

Binary masks from images (:func:`threshold_masks`) are the sets of the MinHash lecture: the pixels above
a threshold, like the contours and isodose regions of the CT / dose retrieval study of Khuzani, Ye,
Napel & Xing ("Locally sensitive hashing for the content based image retrieval", Stanford lecture notes,
2020–2021), whose overlap scores are the Dice and Jaccard indices of such regions.
"""

from __future__ import annotations

import itertools
import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validation import check_positive_int

__all__ = [
    "as_set_matrix",
    "is_set_list",
    "set_sizes",
    "jaccard_matrix",
    "paired_jaccard",
    "PackedSets",
    "pack_sets",
    "threshold_masks",
    "shingles",
    "shingle_sets",
]

_SET_TYPES = (set, frozenset)


def is_set_list(X):
    """True when ``X`` is a list or tuple whose items are sets (``set``, ``frozenset`` or 1-D ndarrays).

    An empty list is not a set list (it holds no samples).  Mixed lists raise ``ValueError``.
    """
    if not isinstance(X, (list, tuple)) or len(X) == 0:
        return False
    kinds = [isinstance(s, _SET_TYPES) or (isinstance(s, np.ndarray) and s.ndim == 1) for s in X]
    if all(kinds):
        return True
    if any(kinds):
        raise ValueError(
            "X mixes sets with other items; pass a list whose items are all sets (set, frozenset or "
            "1-D integer arrays) or a 2-D 0/1 matrix"
        )
    return False


def _check_elements(elements, name, max_element):
    if elements.size == 0:
        return elements.astype(np.int64)
    if elements.dtype == bool or not np.issubdtype(elements.dtype, np.integer):
        raise ValueError(
            f"{name} must hold integer element ids, got dtype {elements.dtype}; map other items "
            "(strings, shingles) to integers first, e.g. with lshlab.sets.shingle_sets"
        )
    lo, hi = int(elements.min()), int(elements.max())
    if lo < 0:
        raise ValueError(f"{name} holds the negative element id {lo}; element ids must be >= 0")
    if max_element is not None and hi > max_element:
        raise ValueError(
            f"{name} holds the element id {hi}, above the largest supported id {max_element}; "
            "renumber the elements (e.g. np.unique(..., return_inverse=True)) so they fit"
        )
    return elements.astype(np.int64, copy=False)


def _from_set_list(X, name, max_element):
    sizes = np.fromiter((len(s) for s in X), dtype=np.int64, count=len(X))
    total = int(sizes.sum())
    if all(isinstance(s, np.ndarray) for s in X):
        elements = np.concatenate(X) if total else np.zeros(0, dtype=np.int64)
    else:
        parts = (s.tolist() if isinstance(s, np.ndarray) else s for s in X)
        try:  # dtype inferred, not forced: a float or a string element must fail below, not be truncated
            elements = np.array(list(itertools.chain.from_iterable(parts)))
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"{name} must hold sets of integer element ids ({exc})") from None
        if total == 0:
            elements = np.zeros(0, dtype=np.int64)
    elements = _check_elements(elements, name, max_element)
    width = int(elements.max()) + 1 if total else 1
    indptr = np.concatenate(([0], np.cumsum(sizes)))
    S = sp.csr_matrix((np.ones(total, dtype=bool), elements, indptr), shape=(len(X), width))
    S.sum_duplicates()  # repeated ids in an array item: one element (True + True stays True)
    return S


def _check_01(values, name):
    if values.dtype == bool:
        return
    if not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
        raise ValueError(f"{name} must hold 0/1 values (bool, integers or floats), got dtype {values.dtype}")
    if values.size and not np.isin(values, (0, 1)).all():
        bad = values[~np.isin(values, (0, 1))][0]
        raise ValueError(
            f"{name} must be a 0/1 matrix (set membership), found the value {bad!r}; threshold real "
            "values first, e.g. lshlab.sets.threshold_masks(X, threshold)"
        )


def as_set_matrix(X, name="X", *, max_element=None):
    """Validate a collection of sets and return it as a boolean CSR matrix (one row per set).

    Parameters
    ----------
    X : scipy sparse matrix, 2-D array-like of 0/1, or list/tuple of integer sets
        See the module docstring.  Explicitly stored zeros of a sparse matrix are not members.
    name : str
        Argument name used in error messages.
    max_element : int, optional
        Largest allowed element id (column index) — e.g. ``MinHash`` needs ids below its prime.

    Returns
    -------
    scipy.sparse.csr_matrix of dtype bool, shape (n_sets, n_columns)
        Sorted, distinct column indices per row and no stored zeros.  For a list of sets,
        ``n_columns`` is the largest element id + 1.

    Raises
    ------
    ValueError
        Empty input, non-0/1 values, NaN, non-integer or negative element ids, ids above
        ``max_element``, a 1-D or 3-D array, or a list mixing sets with other items.

    Examples
    --------
    >>> S = as_set_matrix([{0, 3}, set(), {2}])
    >>> S.shape, S.indptr.tolist(), S.indices.tolist()
    ((3, 4), [0, 2, 2, 3], [0, 3, 2])
    >>> as_set_matrix([[1, 0, 1]]).indices.tolist()
    [0, 2]
    """
    if is_set_list(X):
        return _from_set_list(X, name, max_element)
    if sp.issparse(X):
        if X.ndim != 2:
            raise ValueError(f"{name} must be a 2-D sparse matrix (n_sets, n_columns), got shape {X.shape}")
        S = sp.csr_matrix(X, copy=True)
        S.sum_duplicates()
        _check_01(S.data, name)
        S.eliminate_zeros()
        S = sp.csr_matrix((np.ones(S.nnz, dtype=bool), S.indices, S.indptr), shape=S.shape)
    else:
        try:
            arr = np.asarray(X)
        except Exception as exc:  # noqa: BLE001 - ragged nested lists and the like
            raise ValueError(
                f"{name} must be a 0/1 matrix or a list of sets ({exc}); for sets of different sizes "
                "pass Python sets, e.g. [set(s) for s in X]"
            ) from None
        if arr.dtype == object:
            raise ValueError(
                f"{name} could not be read as a 0/1 matrix (ragged rows?); for sets of different sizes "
                "pass Python sets, e.g. [set(s) for s in X]"
            )
        if arr.ndim != 2:
            raise ValueError(
                f"{name} must be 2-D (n_sets, n_columns) or a list of sets, got shape {arr.shape}"
            )
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinite values; a set matrix holds only 0 and 1")
        _check_01(arr, name)
        mask = np.ascontiguousarray(arr, dtype=bool)
        flat = np.flatnonzero(mask)  # row-major: the columns of row 0, then row 1, … (sorted in each row)
        cols = (flat % max(mask.shape[1], 1)).astype(np.int32 if mask.shape[1] < 2**31 else np.int64)
        indptr = np.concatenate(([0], np.cumsum(np.count_nonzero(mask, axis=1))))
        S = sp.csr_matrix((np.ones(cols.size, dtype=bool), cols, indptr), shape=mask.shape)
    if S.shape[0] == 0:
        raise ValueError(f"{name} is empty: 0 sets (shape {S.shape}) while a minimum of 1 is required")
    if S.nnz and max_element is not None and S.shape[1] - 1 > max_element and S.indices.max() > max_element:
        _check_elements(S.indices, name, max_element)
    S.sort_indices()
    return S


def set_sizes(S):
    """Number of elements of every set of a CSR set matrix (from :func:`as_set_matrix`)."""
    return np.diff(S.indptr)


def _aligned(A, B):
    """Give two CSR set matrices the same number of columns (the larger), so products line up."""
    width = max(A.shape[1], B.shape[1])
    if A.shape[1] != width:
        A = sp.csr_matrix((A.data, A.indices, A.indptr), shape=(A.shape[0], width))
    if B.shape[1] != width:
        B = sp.csr_matrix((B.data, B.indices, B.indptr), shape=(B.shape[0], width))
    return A, B


def _ratio(inter, size_a, size_b):
    union = size_a + size_b - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def jaccard_matrix(A, B=None, *, block_rows=1024):
    """Exact Jaccard index of every pair of sets, J[i, j] = |A_i ∩ B_j| / |A_i ∪ B_j|.

    Parameters
    ----------
    A, B : collections of sets (any form :func:`as_set_matrix` accepts); ``B=None`` uses ``A``.
    block_rows : int
        Rows of ``A`` per block (bounds the intermediate products).

    Returns
    -------
    ndarray of float64, shape (n_A, n_B)
        Two empty sets give 1 (the convention of :func:`lshlab.metrics.jaccard_index`).

    Notes
    -----
    |A ∩ B| is the inner product of the 0/1 rows, so the intersections of a block are one product:
    a dense float32 matrix product when the sets live in at most 4,096 columns (exact: the counts are
    integers far below 2**24), a sparse product otherwise.  |A ∪ B| = |A| + |B| − |A ∩ B|.

    Examples
    --------
    >>> jaccard_matrix([{1, 2, 3}, set()], [{2, 3, 4}, set()]).tolist()
    [[0.5, 0.0], [0.0, 1.0]]
    """
    A = as_set_matrix(A, "A")
    B = A if B is None else as_set_matrix(B, "B")
    A, B = _aligned(A, B)
    block_rows = check_positive_int(block_rows, "block_rows")
    size_a, size_b = set_sizes(A).astype(np.float64), set_sizes(B).astype(np.float64)
    dense = A.shape[1] <= 4096
    Bt = B.toarray().astype(np.float32).T if dense else B.T.tocsc().astype(np.float32)
    out = np.empty((A.shape[0], B.shape[0]), dtype=np.float64)
    for s in range(0, A.shape[0], block_rows):
        block = A[s : s + block_rows].astype(np.float32)
        inter = block.toarray() @ Bt if dense else (block @ Bt).toarray()
        out[s : s + block_rows] = _ratio(inter.astype(np.float64), size_a[s : s + block_rows, None], size_b[None, :])
    return out


@dataclass(frozen=True)
class PackedSets:
    """Sets over a small universe as bitsets: row i, column j is bit ``j % 64`` of ``words[i, j // 64]``.

    Built by :func:`pack_sets`; |A ∩ B| is then Σ popcount(a & b) over a row's words, which is how
    :func:`paired_jaccard` and :class:`lshlab.search.BandingIndex` score many pairs of image masks fast.
    """

    words: np.ndarray
    sizes: np.ndarray
    n_columns: int


def pack_sets(X, name="X"):
    """:class:`PackedSets` of a collection of sets (any form of :func:`as_set_matrix`).

    Examples
    --------
    >>> p = pack_sets([{0, 3, 64}, set()])
    >>> p.words.tolist(), p.sizes.tolist(), p.n_columns
    ([[9, 1], [0, 0]], [3, 0], 65)
    """
    if isinstance(X, PackedSets):
        return X
    S = as_set_matrix(X, name)
    width = -(-S.shape[1] // 64) * 64
    dense = np.zeros((S.shape[0], width), dtype=bool)
    dense[:, : S.shape[1]] = S.toarray()
    words = np.packbits(dense, axis=1, bitorder="little").view("<u8")
    return PackedSets(words, set_sizes(S).astype(np.int64), S.shape[1])


def paired_jaccard(A, B, rows_a, rows_b, *, block_pairs=65536):
    """Exact Jaccard index of the pairs ``(A[rows_a[t]], B[rows_b[t]])``, one value per pair.

    Parameters
    ----------
    A, B : collections of sets (any form :func:`as_set_matrix` accepts) or :class:`PackedSets`
        Sets over at most 16,384 columns are packed into bitsets (intersections by popcount), wider
        ones stay sparse (intersections by an element-wise product).
    rows_a, rows_b : 1-D integer arrays of equal length (row indices into A and B)
    block_pairs : int
        Pairs per block (bounds memory).

    Returns
    -------
    ndarray of float64, shape (n_pairs,)

    Examples
    --------
    >>> paired_jaccard([{1, 2}, {5}], [{2, 3}], [0, 1], [0, 0]).round(3).tolist()
    [0.333, 0.0]
    """
    packed = isinstance(A, PackedSets) or isinstance(B, PackedSets)
    if not packed:
        A, B = _aligned(as_set_matrix(A, "A"), as_set_matrix(B, "B"))
        packed = A.shape[1] <= 1 << 14
    if packed:
        A, B = pack_sets(A, "A"), pack_sets(B, "B")
        n_words = max(A.words.shape[1], B.words.shape[1])
        wa, wb = (np.pad(P.words, ((0, 0), (0, n_words - P.words.shape[1]))) for P in (A, B))
        size_a, size_b, n_a, n_b = A.sizes, B.sizes, len(A.sizes), len(B.sizes)
    else:
        size_a, size_b, n_a, n_b = set_sizes(A), set_sizes(B), A.shape[0], B.shape[0]
    ra, rb = np.asarray(rows_a), np.asarray(rows_b)
    if ra.ndim != 1 or ra.shape != rb.shape or not (np.issubdtype(ra.dtype, np.integer) or ra.size == 0):
        raise ValueError(f"rows_a and rows_b must be 1-D integer arrays of equal length, got {ra.shape}, {rb.shape}")
    for rows, n, nm in ((ra, n_a, "rows_a"), (rb, n_b, "rows_b")):
        if rows.size and (rows.min() < 0 or rows.max() >= n):
            raise ValueError(f"{nm} must index rows 0..{n - 1}")
    block_pairs = check_positive_int(block_pairs, "block_pairs")
    out = np.empty(ra.size, dtype=np.float64)
    for s in range(0, ra.size, block_pairs):
        ia, ib = ra[s : s + block_pairs], rb[s : s + block_pairs]
        if packed:
            inter = np.bitwise_count(wa[ia] & wb[ib]).sum(axis=1, dtype=np.int64).astype(np.float64)
        else:
            inter = np.asarray(A[ia].multiply(B[ib]).sum(axis=1), dtype=np.float64).ravel()
        out[s : s + block_pairs] = _ratio(inter, size_a[ia], size_b[ib])
    return out


def threshold_masks(X, threshold=0.5):
    """Binary masks ``X > threshold``: the set of pixels (columns) brighter than ``threshold``.

    Parameters
    ----------
    X : 2-D array of finite numbers, e.g. images with pixels in [0, 1], one image per row
    threshold : float

    Returns
    -------
    ndarray of bool, shape of ``X``

    Examples
    --------
    >>> threshold_masks([[0.1, 0.7, 0.5]], 0.5).tolist()
    [[False, True, False]]
    """
    arr = np.asarray(X)
    if arr.ndim != 2 or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool) or arr.size == 0:
        raise ValueError(f"X must be a non-empty 2-D array of numbers (images as rows), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("X contains NaN or infinite values")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    return arr > threshold


def shingles(text, k=5):
    """The set of character k-shingles (substrings of length k) of ``text``.

    Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets* (3rd ed., 2020), §3.2: a document is
    represented by the set of its k-shingles, so documents sharing many phrases have a high Jaccard
    index.  A text shorter than k has the single shingle ``text`` itself.

    Examples
    --------
    >>> sorted(shingles("abcab", 3))
    ['abc', 'bca', 'cab']
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    k = check_positive_int(k, "k")
    if len(text) <= k:
        return {text}
    return {text[i : i + k] for i in range(len(text) - k + 1)}


def shingle_sets(texts, k=5):
    """Integer sets of the k-shingles of several texts, numbered through one shared vocabulary.

    Parameters
    ----------
    texts : sequence of str
    k : int

    Returns
    -------
    sets : list of frozenset of int
        ``sets[i]`` holds the ids of the shingles of ``texts[i]``.
    vocabulary : list of str
        ``vocabulary[id]`` is the shingle with that id (sorted, so the numbering is reproducible).

    Examples
    --------
    >>> sets, vocab = shingle_sets(["abcd", "bcde"], k=3)
    >>> vocab, [sorted(s) for s in sets]
    (['abc', 'bcd', 'cde'], [[0, 1], [1, 2]])
    """
    if isinstance(texts, str) or not hasattr(texts, "__iter__"):
        raise ValueError("texts must be a sequence of strings (a list of documents), not one string")
    per_text = [shingles(t, k) for t in texts]
    if not per_text:
        raise ValueError("texts is empty; pass at least one document")
    vocabulary = sorted(set().union(*per_text))
    ids = {s: i for i, s in enumerate(vocabulary)}
    return [frozenset(ids[s] for s in sh) for sh in per_text], vocabulary
