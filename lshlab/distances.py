"""Bit packing and pairwise distances: Hamming (hardware popcount), Lee, Euclidean.

Conventions
-----------
* Binary codes are ``uint8`` arrays of 0/1, one column per bit.  :func:`pack_bits` turns them into
  bytes in ``np.packbits`` bit order (first bit = most significant bit of the first byte; the last
  byte is padded with zero bits).  Functions take packed bytes only when asked with ``packed=True``.
* Hamming distance ``d_H(a, b) = popcount(a XOR b)`` is computed on the packed bytes viewed as
  ``uint64`` words (rows padded with zero bytes to a multiple of 8 bytes; zero padding is identical
  in both operands, so it never changes a distance) with ``np.bitwise_count``, the hardware
  population count.  The kernel itself lives in :mod:`lshlab.search.primitives`, shared with the
  indexes of :mod:`lshlab.search`; this module validates inputs and lays out the matrices.
* Pairwise matrices are computed in blocks so that temporaries stay small whatever the matrix size;
  the output itself (``n_A × n_B``) is the only large allocation.  Pass ``out=`` (for example a
  ``np.memmap``) to write a matrix larger than memory, or iterate over :func:`iter_distance_blocks`.
* Integer distance matrices are ``int32`` by default (safe to subtract and to plot); pass
  ``dtype=np.uint16`` to halve memory when the code length is below 65 536 bits.

The Lee distance on ``Z_q`` (Lee 1958) is ``d_L(a, b) = Σ_i min(|a_i − b_i|, q − |a_i − b_i|)``.
It embeds isometrically into Hamming space with a *cyclic thermometer* code (see
:func:`lee_to_hamming`), so Lee matrices and Lee search reuse the popcount kernel.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    check_binary_codes,
    check_matrix,
    check_packed_codes,
    check_positive_int,
    check_qary_codes,
    check_same_width,
    check_unpacked_codes,
)
from .search.primitives import (
    HAMMING_ROWS,
    as_words,
    hamming_rows,
    lee_bits_per_symbol,
    lee_thermometer,
    lee_words,
    rescale_pair,
    sq_norms,
    transpose_words,
)

__all__ = [
    "pack_bits",
    "unpack_bits",
    "hamming_distance_matrix",
    "lee_to_hamming",
    "lee_distance_matrix",
    "euclidean_distance_matrix",
    "iter_distance_blocks",
]

# Float32 GEMM blocks of the Euclidean matrix: at most this many output entries per block (16 MB).
_EUC_BLOCK_ENTRIES = 1 << 22


# ----------------------------------------------------------------------------- packing
def pack_bits(B):
    """Pack 0/1 codes into bytes, 8 bits per byte, in ``np.packbits`` bit order.

    Parameters
    ----------
    B : array-like of shape (n_codes, n_bits)
        Integer or boolean codes with values in {0, 1}.

    Returns
    -------
    P : ndarray of uint8, shape (n_codes, ceil(n_bits / 8))
        Bit ``j`` of a code is bit ``7 − (j mod 8)`` of byte ``j // 8`` (big-endian within a byte);
        the unused low bits of the last byte are zero.

    Examples
    --------
    >>> pack_bits([[1, 0, 1, 1, 0, 0, 0, 0, 1]])
    array([[176, 128]], dtype=uint8)
    """
    B = check_binary_codes(B, "B")
    return np.packbits(B, axis=1)


def unpack_bits(P, n_bits):
    """Inverse of :func:`pack_bits`: return the first ``n_bits`` bits of each packed row as 0/1 uint8.

    Raises ValueError when ``n_bits`` is not between ``8 · n_bytes − 7`` and ``8 · n_bytes`` (the
    only lengths that pack to ``n_bytes`` bytes).
    """
    P = check_packed_codes(P, "P")
    n_bits = check_positive_int(n_bits, "n_bits")
    n_bytes = P.shape[1]
    if not (8 * (n_bytes - 1) < n_bits <= 8 * n_bytes):
        raise ValueError(
            f"n_bits={n_bits} does not match packed codes with {n_bytes} bytes per row; "
            f"expected {8 * (n_bytes - 1) + 1} <= n_bits <= {8 * n_bytes}"
        )
    return np.unpackbits(P, axis=1, count=n_bits)


def _prepare_codes(A, B, packed, names=("A", "B")):
    """Validate two code matrices (unpacked 0/1 or packed bytes) and return their uint64 words."""
    if packed:
        A = check_packed_codes(A, names[0])
        B = check_packed_codes(B, names[1])
        check_same_width(A, B, names, what="bytes per code")
        n_bits = 8 * A.shape[1]
    else:
        A = check_unpacked_codes(A, names[0])
        B = check_unpacked_codes(B, names[1])
        check_same_width(A, B, names, what="bits per code")
        n_bits = A.shape[1]
        A, B = np.packbits(A, axis=1), np.packbits(B, axis=1)
    return as_words(A), as_words(B), n_bits


# ----------------------------------------------------------------------------- Hamming
def _check_out(out, shape, name="out"):
    if out is None:
        return None
    if not isinstance(out, np.ndarray) or out.shape != shape:
        got = getattr(out, "shape", type(out).__name__)
        raise ValueError(f"{name} must be an ndarray of shape {shape}, got {got}")
    return out


def hamming_distance_matrix(A, B=None, packed=False, *, dtype=np.int32, out=None):
    """Pairwise Hamming distances ``D[i, j] = #{bits where A[i] and B[j] differ}``.

    Parameters
    ----------
    A : array-like of shape (n_A, n_bits), or (n_A, n_bytes) uint8 when ``packed=True``
    B : array-like of the same width, or None for ``B = A``
    packed : bool, default False
        True when ``A`` and ``B`` are bytes from :func:`pack_bits`.  Zero padding bits count for
        nothing, so packed and unpacked inputs give the same distances.
    dtype : numpy integer dtype, default int32
        Output dtype; ``np.uint16`` halves memory (codes shorter than 65 536 bits).
    out : ndarray of shape (n_A, n_B), optional
        Preallocated output (e.g. a memmap); then no other large array is allocated.

    Returns
    -------
    D : ndarray of shape (n_A, n_B)

    Notes
    -----
    ``d_H(a, b) = Σ_w popcount(a_w XOR b_w)`` over 64-bit words (``np.bitwise_count``), computed in
    row blocks of 128 codes with the database in column blocks of 32,768 codes, so the XOR
    temporary stays in the L2 cache; extra memory is O(128 · n_B) whatever ``n_A``.
    """
    Wa, Wb, n_bits = _prepare_codes(A, A if B is None else B, packed)
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.integer) or np.iinfo(dtype).max < n_bits:
        raise ValueError(f"dtype must be an integer type that holds {n_bits}, got {dtype}")
    out = _check_out(out, (Wa.shape[0], Wb.shape[0]))
    if out is None:
        out = np.empty((Wa.shape[0], Wb.shape[0]), dtype=dtype)
    return hamming_rows(Wa, transpose_words(Wb), n_bits, out=out)


# ----------------------------------------------------------------------------- Lee
def lee_to_hamming(codes, q):
    """Cyclic thermometer embedding of ``Z_q`` symbols into bits, isometric up to a factor.

    For even ``q = 2m`` each symbol ``s`` becomes ``m`` bits ``φ(s)_j = 1[j < s ≤ j + m]``,
    ``j = 0 … m−1`` (``0 → 0…0``, ``s ≤ m → 1^s 0^(m−s)``, ``s > m → 0^(s−m) 1^(q−s)``), and
    ``d_H(φ(a), φ(b)) = d_L(a, b)`` exactly.  For odd ``q`` the symbol is first doubled, ``s ↦ 2s``
    in ``Z_2q`` (``d_L^{2q}(2a, 2b) = 2 d_L^q(a, b)``), then embedded with ``q`` bits: Hamming
    distances are **twice** the Lee distances.

    Parameters
    ----------
    codes : array-like of shape (n_codes, n_symbols), integers in 0 … q−1
    q : int >= 2

    Returns
    -------
    bits : ndarray of uint8 0/1, shape (n_codes, n_symbols · b) with ``b = q/2`` (even q) or ``q``
        (odd q); the bits of symbol ``i`` occupy columns ``i·b … i·b + b − 1``.
    """
    codes = check_qary_codes(codes, q, "codes")
    q = int(q)
    return lee_thermometer(codes, q)


def _check_lee_pair(A, B, q, context=""):
    """Validate q and the q-ary code arrays A and B (B = A when None); returns ``(A, B, q)``."""
    if q is None:
        raise ValueError(f"q (the alphabet size, an integer >= 2) is required{context}")
    q = check_positive_int(q, "q", minimum=2)
    A = check_qary_codes(A, q, "A")
    B = A if B is None else check_qary_codes(B, q, "B")
    check_same_width(A, B, ("A", "B"), what="symbols per code")
    return A, B, q


def lee_distance_matrix(A, B=None, q=None, *, dtype=np.int32, out=None):
    """Pairwise Lee distances ``D[i, j] = Σ_s min(|A[i,s] − B[j,s]|, q − |A[i,s] − B[j,s]|)``.

    Parameters
    ----------
    A, B : array-like of shape (n_A, n_symbols), (n_B, n_symbols), integers in 0 … q−1
        (``B=None`` means ``B = A``).
    q : int >= 2
        Alphabet size.
    dtype : integer dtype of the output, default int32.
    out : optional preallocated output of shape (n_A, n_B).

    Notes
    -----
    Computed exactly through the isometric embedding :func:`lee_to_hamming` and the packed
    popcount kernel of :func:`hamming_distance_matrix` (halved for odd q).  For q = 2 and q = 3 the
    Lee distance equals the Hamming distance between the symbol strings.
    """
    A, B, q = _check_lee_pair(A, B, q)
    dtype = np.dtype(dtype)
    max_d = A.shape[1] * (q // 2)
    if not np.issubdtype(dtype, np.integer) or np.iinfo(dtype).max < max_d:
        raise ValueError(f"dtype must be an integer type that holds {max_d}, got {dtype}")
    Wa = lee_words(A, q)
    Wb = Wa if B is A else lee_words(B, q)
    n_bits = A.shape[1] * lee_bits_per_symbol(q)
    out = _check_out(out, (A.shape[0], B.shape[0]))
    if out is None:
        out = np.empty((A.shape[0], B.shape[0]), dtype=dtype)
    WbT = transpose_words(Wb)
    if q % 2 == 0:
        return hamming_rows(Wa, WbT, n_bits, out=out)
    for r0 in range(0, Wa.shape[0], HAMMING_ROWS):
        r1 = min(r0 + HAMMING_ROWS, Wa.shape[0])
        block = hamming_rows(Wa[r0:r1], WbT, n_bits)
        np.right_shift(block, 1, out=block)
        out[r0:r1] = block
    return out


# ----------------------------------------------------------------------------- Euclidean
def euclidean_distance_matrix(A, B=None, squared=False, *, dtype=np.float32, out=None):
    """Pairwise Euclidean distances ``D[i, j] = ‖A[i] − B[j]‖``.

    Parameters
    ----------
    A : array-like of shape (n_A, d)
    B : array-like of shape (n_B, d), or None for ``B = A``
    squared : bool, default False
        Return ``‖a − b‖²`` instead.
    dtype : {np.float32, np.float64}, default np.float32
        Precision of the computation and of the result (float64 for kernel matrices, where
        ``exp(−ξ‖a − b‖²)`` needs more than float32 digits).
    out : optional ndarray of shape (n_A, n_B) and dtype ``dtype``.

    Notes
    -----
    Uses ``‖a − b‖² = ‖a‖² + ‖b‖² − 2 aᵀb`` with one matrix product per row block (the expansion
    used by scikit-learn's ``euclidean_distances``).  Rounding can make the expansion slightly
    negative, so it is clamped at 0; when ``B`` is omitted (or is the same object as ``A``) the
    diagonal is set to exactly 0.  The expansion loses relative accuracy for nearly identical rows
    (absolute error ≈ u · (‖a‖² + ‖b‖²), u = 1e-7 in float32, 1e-16 in float64), so entries below
    1e-3 of that scale are recomputed directly as ``Σ (a − b)²`` in float64: identical rows anywhere
    give exactly 0 and near-duplicates keep their digits.
    """
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be np.float32 or np.float64, got {dtype!r}")
    A = check_matrix(A, "A", dtype=dtype)
    same = B is None or B is A
    B = A if same else check_matrix(B, "B", dtype=dtype)
    check_same_width(A, B, ("A", "B"), what="features")
    out = _check_out(out, (A.shape[0], B.shape[0]))
    if out is None:
        out = np.empty((A.shape[0], B.shape[0]), dtype=dtype)
    A, B, s = rescale_pair(A, B)
    B = A if same else B
    for r0, r1, block in _euclidean_blocks(A, B, squared, same):
        out[r0:r1] = block
    if s != 1.0:
        factor = s * s if squared else s
        if squared and out.size and float(out.max()) * factor > float(np.finfo(dtype).max):
            raise ValueError(f"squared distances of A and B exceed the {np.dtype(dtype).name} range; ask for "
                             "squared=False or rescale the data")
        out *= dtype(factor)
    return out


# Entries with ‖a − b‖² below this fraction of ‖a‖² + ‖b‖² are recomputed directly: there the
# float32 expansion has lost most of its significant digits (catastrophic cancellation).
_EUC_REFINE_TOL = 1e-3


def _refine_small(G, A, B, a2, b2):
    """Clamp the squared-distance block ``G`` at 0 and recompute near-duplicate pairs exactly.

    Rounding error of ``‖a‖² + ‖b‖² − 2aᵀb`` in float32 is ≈ 1e-7 · (‖a‖² + ‖b‖²) (1e-16 in float64), so
    for pairs whose value falls below ``_EUC_REFINE_TOL`` of that scale the result is replaced by
    ``Σ (a − b)²`` in float64 (exactly 0 for identical rows).  Such pairs are rare except for duplicated
    data.
    """
    np.maximum(G, 0.0, out=G)
    thresh = _EUC_REFINE_TOL * (a2[:, None] + b2[None, :])
    r, c = np.nonzero(G < thresh)
    for s in range(0, len(r), 1 << 16):
        rr, cc = r[s : s + (1 << 16)], c[s : s + (1 << 16)]
        diff = A[rr].astype(np.float64) - B[cc]
        G[rr, cc] = np.einsum("ij,ij->i", diff, diff)


def _euclidean_blocks(A, B, squared, same):
    na, nb = A.shape[0], B.shape[0]
    a2, b2 = sq_norms(A), sq_norms(B)
    rows = max(1, min(na, _EUC_BLOCK_ENTRIES // max(nb, 1)))
    for r0 in range(0, na, rows):
        r1 = min(r0 + rows, na)
        G = A[r0:r1] @ B.T
        G *= -2.0
        G += a2[r0:r1, None]
        G += b2[None, :]
        _refine_small(G, A[r0:r1], B, a2[r0:r1], b2)
        if same:
            i = np.arange(r0, r1)
            G[i - r0, i] = 0.0
        if not squared:
            np.sqrt(G, out=G)
        yield r0, r1, G


def iter_distance_blocks(A, B=None, metric="euclidean", *, q=None, packed=False, block_rows=1024):
    """Yield ``(start, stop, D_block)`` row blocks of a pairwise distance matrix.

    For matrices too large to hold (60k × 60k …) or when only a reduction of each block is needed
    (a histogram, a sample for a scatter plot, the nearest distances), iterate instead of building
    the whole matrix: peak memory is one block of ``block_rows × n_B`` entries.

    Parameters
    ----------
    metric : {"euclidean", "sqeuclidean", "hamming", "lee"}
    q : int, for ``metric="lee"``.
    packed : bool, for ``metric="hamming"``.
    block_rows : int, rows per yielded block.
    """
    block_rows = check_positive_int(block_rows, "block_rows")
    metrics = ("euclidean", "sqeuclidean", "hamming", "lee")
    if metric not in metrics:
        raise ValueError(f"metric must be one of {metrics}, got {metric!r}")
    if metric in ("euclidean", "sqeuclidean"):
        A = check_matrix(A, "A")
        same = B is None or B is A
        B = A if same else check_matrix(B, "B")
        check_same_width(A, B, ("A", "B"), what="features")
        for r0 in range(0, A.shape[0], block_rows):
            r1 = min(r0 + block_rows, A.shape[0])
            D = np.empty((r1 - r0, B.shape[0]), dtype=np.float32)
            Aq = A[r0:r1]
            for s0, s1, G in _euclidean_blocks(Aq, B, metric == "sqeuclidean", False):
                D[s0:s1] = G
            if same:
                i = np.arange(r0, r1)
                D[i - r0, i] = 0.0
            yield r0, r1, D
        return
    if metric == "hamming":
        Wa, Wb, n_bits = _prepare_codes(A, A if B is None else B, packed)
        WbT = transpose_words(Wb)
        for r0 in range(0, Wa.shape[0], block_rows):
            r1 = min(r0 + block_rows, Wa.shape[0])
            yield r0, r1, hamming_rows(Wa[r0:r1], WbT, n_bits)
        return
    A, B, q = _check_lee_pair(A, B, q, " for metric='lee'")
    for r0 in range(0, A.shape[0], block_rows):
        r1 = min(r0 + block_rows, A.shape[0])
        yield r0, r1, lee_distance_matrix(A[r0:r1], B, q, dtype=np.int32)
