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
  ``dtype=np.uint16`` to halve memory when the code length is below 65 536 bits.  An ``out=`` array
  is checked as strictly as ``dtype=``: a type too narrow for the largest possible distance (which
  would wrap or truncate silently) is refused.
* Euclidean matrices are exact for float data at any offset and scale: the data are moved into a
  float32-safe frame first (centred on the database mean when it is far from the origin, rescaled by a
  power of two when extreme; :mod:`lshlab.search.euclidean`), and results that the output type cannot
  represent are refused, never flushed to 0.

The Lee distance on ``Z_q`` (Lee 1958) is ``d_L(a, b) = Σ_i min(|a_i − b_i|, q − |a_i − b_i|)``.
It embeds isometrically into Hamming space with a *cyclic thermometer* code (see
:func:`lee_to_hamming`), so Lee matrices and Lee search reuse the popcount kernel while the embedding
is short (up to 24 bits per symbol: even q ≤ 48, odd q ≤ 23); larger alphabets are compared symbol
by symbol (:func:`lshlab.search.primitives.lee_direct_rows`), with identical results.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    check_binary_codes,
    check_float_dtype,
    check_float_matrix,
    check_packed_codes,
    check_positive_int,
    check_qary_codes,
    check_same_width,
    check_unpacked_codes,
)
from .search.euclidean import EuclideanFrame, check_scaled_range, expansion_error, row_ids, underflow_floor
from .search.primitives import (
    HAMMING_ROWS,
    as_words,
    check_integer_out,
    hamming_rows,
    lee_bits_per_symbol,
    lee_direct_rows,
    lee_symbols_t,
    lee_thermometer,
    lee_uses_embedding,
    lee_words,
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


# ----------------------------------------------------------------------------- output arrays
def _integer_output(dtype, out, shape, max_value, what):
    """The output array of an integer distance matrix: ``out`` checked as strictly as ``dtype``."""
    if out is not None:
        return check_integer_out(out, shape, max_value, what)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or not np.issubdtype(dt, np.integer) or np.iinfo(dt).max < max_value:
        raise ValueError(f"dtype must be an integer type that holds {max_value}, got {dtype}")
    return np.empty(shape, dtype=dt)


def _float_output(dtype, out, shape, inputs):
    """The output array of a Euclidean matrix: ``out`` must have exactly the computation's ``dtype``."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise ValueError(f"out must be a numpy array (or memmap) of shape {shape}, got {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"out must have shape {shape}, got {out.shape}")
    if out.dtype != dtype:
        raise ValueError(f"out has dtype {out.dtype} but the distances are computed in {dtype.name} (dtype="
                         f"{dtype.name}); pass dtype=np.{out.dtype.name} to compute in that type, or an out of "
                         f"dtype {dtype.name}" if out.dtype in (np.float32, np.float64) else
                         f"out has dtype {out.dtype}, which cannot hold Euclidean distances; pass a float32 "
                         f"or float64 array (and the same dtype=)")
    if not out.flags.writeable:
        raise ValueError("out is read-only; pass a writeable array")
    for name, arr in inputs:
        if np.shares_memory(out, arr):
            raise ValueError(f"out overlaps {name}: the distances would overwrite the data they are computed "
                             "from; pass a separate array")
    return out


# ----------------------------------------------------------------------------- Hamming
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
        Preallocated output (e.g. a memmap); then no other large array is allocated.  Its dtype
        must hold the code length (as ``dtype`` must); it replaces ``dtype``.

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
    out = _integer_output(dtype, out, (Wa.shape[0], Wb.shape[0]), n_bits, "Hamming distances")
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
    dtype : integer dtype of the output, default int32; it must hold ``n_symbols · ⌊q/2⌋``.
    out : optional preallocated output of shape (n_A, n_B), of an integer dtype that holds
        ``n_symbols · ⌊q/2⌋``; it replaces ``dtype``.

    Notes
    -----
    Up to 24 bits per symbol (even q ≤ 48, odd q ≤ 23) computed exactly through the isometric
    embedding :func:`lee_to_hamming` and the packed popcount kernel of :func:`hamming_distance_matrix`
    (halved for odd q); for larger alphabets, where the embedding costs q/2 bits per symbol, symbol by
    symbol (:func:`lshlab.search.primitives.lee_direct_rows`).  Both give the same integers.  For q = 2
    and q = 3 the Lee distance equals the Hamming distance between the symbol strings.
    """
    A, B, q = _check_lee_pair(A, B, q)
    out = _integer_output(dtype, out, (A.shape[0], B.shape[0]), A.shape[1] * (q // 2), "Lee distances")
    return _LeeDatabase(B, q).distances(A, out)


class _LeeDatabase:
    """Database codes prepared for Lee distances: embedded words (short embedding) or transposed symbols."""

    def __init__(self, B, q):
        self.q = q
        self.embedded = lee_uses_embedding(q)
        if self.embedded:
            self.WbT = transpose_words(lee_words(B, q))
            self.n_bits = B.shape[1] * lee_bits_per_symbol(q)
        else:
            self.BT = lee_symbols_t(B, q)

    def distances(self, A, out):
        """Lee distances of the validated codes ``A`` to the database, written into ``out``."""
        if not self.embedded:
            return lee_direct_rows(A, self.BT, self.q, out=out)
        Wa = lee_words(A, self.q)
        if self.q % 2 == 0:
            return hamming_rows(Wa, self.WbT, self.n_bits, out=out)
        for r0 in range(0, Wa.shape[0], HAMMING_ROWS):
            r1 = min(r0 + HAMMING_ROWS, Wa.shape[0])
            block = hamming_rows(Wa[r0:r1], self.WbT, self.n_bits)
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
    out : optional ndarray of shape (n_A, n_B) and exactly the dtype ``dtype``, not overlapping
        ``A`` or ``B``.

    Raises
    ------
    ValueError
        For bad input, and when a distance cannot be represented in ``dtype`` (in float32: beyond
        3.4e38, or non-zero below 1.2e-38, where it would be flushed to 0): pass ``dtype=np.float64``.

    Notes
    -----
    Uses ``‖a − b‖² = ‖a‖² + ‖b‖² − 2 aᵀb`` with one matrix product per row block (the expansion
    used by scikit-learn's ``euclidean_distances``), in the frame of
    :class:`lshlab.search.euclidean.EuclideanFrame`: data whose mean lies far from the origin are
    first centred on it (in float64), extreme magnitudes rescaled by a power of two, so the expansion
    keeps its digits at any offset and scale.  Rounding can make the expansion slightly negative, so
    it is clamped at 0; when ``B`` is omitted (or is the same object as ``A``) the diagonal is set to
    exactly 0.  The expansion loses relative accuracy for nearly identical rows (absolute error
    ≈ u · (‖a‖² + ‖b‖²) in the frame, u = 1e-7 in float32, 1e-16 in float64), so entries below 1e-3 of
    that scale are recomputed directly as ``Σ (a − b)²`` in float64 from the original values:
    identical rows anywhere give exactly 0 and near-duplicates keep their digits.  Many duplicate rows
    are recomputed once per distinct pair of rows, in chunks of bounded size.
    """
    dtype = check_float_dtype(dtype)
    A = check_float_matrix(A, "A")
    same = B is None or B is A
    B = A if same else check_float_matrix(B, "B")
    check_same_width(A, B, ("A", "B"), what="features")
    out = _float_output(dtype, out, (A.shape[0], B.shape[0]), [("A", A), ("B", B)])
    rows = max(1, min(A.shape[0], _EUC_BLOCK_ENTRIES // max(B.shape[0], 1)))
    for r0, r1, block in _EuclideanBlocks(A, B, squared, same, dtype).blocks(0, A.shape[0], rows):
        out[r0:r1] = block
    return out


# Entries with ‖a − b‖² below this fraction of ‖a‖² + ‖b‖² (in the frame) are recomputed directly: there
# the expansion has lost most of its significant digits (catastrophic cancellation).
_EUC_REFINE_TOL = 1e-3
# More recomputed pairs than this per row of a block: measure identical rows once (row ids).
_DEDUP_PER_ROW = 4
_REFINE_ENTRIES = 1 << 20  # entries of G examined at once by the refinement


class _EuclideanBlocks:
    """Row blocks of a Euclidean distance matrix in the frame of (B, A), refined and scaled back."""

    def __init__(self, A, B, squared, same, dtype):
        self.A, self.B, self.squared, self.same, self.dtype = A, B, squared, same, dtype
        self.frame = EuclideanFrame.fit(B, *(() if same else (A,)))
        self.Af = self.frame.to_frame(A, dtype)
        self.Bf = self.Af if same else self.frame.to_frame(B, dtype)
        self.a2 = sq_norms(self.Af)
        self.b2 = self.a2 if same else sq_norms(self.Bf)
        d = A.shape[1]
        self.floor = underflow_floor(d) if dtype == np.float32 else 0.0
        self.ids = None
        self.exponent = self.frame.exponent * (2 if squared else 1)
        self.hint = ("pass dtype=np.float64" if dtype == np.float32 else "rescale A and B") + \
            (" (or squared=False)" if squared else "")
        self.gamma = expansion_error(d)

    def blocks(self, start, stop, rows):
        """Yield ``(r0, r1, D_block)`` for rows ``start:stop`` of A, ``rows`` at a time."""
        for r0 in range(start, stop, rows):
            r1 = min(r0 + rows, stop)
            G = self.Af[r0:r1] @ self.Bf.T
            G *= -2.0
            G += self.a2[r0:r1, None]
            G += self.b2[None, :]
            low = self._refine(G, r0, r1)
            if self.same:
                i = np.arange(r0, r1)
                G[i - r0, i] = 0.0
            if not self.squared:
                np.sqrt(G, out=G)
                low = None if low is None else float(np.sqrt(low))
            self._check_range(G, low)
            if self.exponent:
                np.ldexp(G, self.exponent, out=G)
            yield r0, r1, G

    def _check_range(self, G, low):
        """Refuse results the output type cannot hold (none can when the frame is the identity)."""
        if self.exponent == 0 and (low is None or low >= float(np.finfo(self.dtype).tiny)):
            return
        what = "the squared distances of A and B" if self.squared else "the distances of A and B"
        top = float(G.max()) if G.size else 0.0
        if self.exponent:
            pos = G[G > 0]
            low = float(pos.min()) if pos.size else None
        check_scaled_range(top, low, self.exponent, self.dtype, what, self.hint)

    def _refine(self, G, r0, r1):
        """Clamp ``G`` at 0 and recompute near-duplicate pairs exactly; return the smallest non-zero
        recomputed value (None if none), which may lie below what the output type holds.

        Works through ``G`` in row slices of about 2²⁰ entries, so the index and value arrays of the
        recomputed pairs stay below ~40 MB even when every pair is a near-duplicate."""
        np.maximum(G, 0.0, out=G)
        low = None
        step = max(1, _REFINE_ENTRIES // max(1, G.shape[1]))
        for s0 in range(0, G.shape[0], step):
            g = G[s0 : s0 + step]
            a0 = r0 + s0
            thresh = _EUC_REFINE_TOL * (self.a2[a0 : a0 + len(g), None] + self.b2[None, :])
            if self.floor:
                thresh += self.floor
            flat = np.flatnonzero(g <= thresh)
            del thresh
            if flat.size == 0:
                continue
            r, c = np.divmod(flat, g.shape[1])
            r += a0
            if flat.size > _DEDUP_PER_ROW * len(g) + 64:
                values = self._dedup_pairs(r, c)
            else:
                values = self.frame.pair_sq_distances(self.A, self.B, r, c)
            g.ravel()[flat] = values
            pos = values[values > 0]
            if pos.size:
                low = float(pos.min()) if low is None else min(low, float(pos.min()))
        return low

    def _dedup_pairs(self, r, c):
        """Exact squared distances of many index pairs, one computation per pair of distinct rows."""
        if self.ids is None:
            self.ids = row_ids(self.A) * 2 if self.same else row_ids(self.A, self.B)
        ia, ib = self.ids[0][r], self.ids[1][c]
        values = np.zeros(len(r), dtype=np.float64)  # identical rows: exactly 0
        diff = np.flatnonzero(ia != ib)
        if diff.size:
            key = ia[diff].astype(np.int64) * (int(self.ids[1].max()) + 1) + ib[diff]
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            pick = diff[first]
            values[diff] = self.frame.pair_sq_distances(self.A, self.B, r[pick], c[pick])[inverse.ravel()]
        return values


def iter_distance_blocks(A, B=None, metric="euclidean", *, q=None, packed=False, block_rows=1024,
                         dtype=np.float32):
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
    dtype : {np.float32, np.float64}, for the Euclidean metrics (as :func:`euclidean_distance_matrix`).

    The blocks are exactly the rows of :func:`euclidean_distance_matrix`, :func:`hamming_distance_matrix`
    (accumulator dtype: uint16 below 65,536 bits) or :func:`lee_distance_matrix` (int32).
    """
    block_rows = check_positive_int(block_rows, "block_rows")
    metrics = ("euclidean", "sqeuclidean", "hamming", "lee")
    if metric not in metrics:
        raise ValueError(f"metric must be one of {metrics}, got {metric!r}")
    if metric in ("euclidean", "sqeuclidean"):
        dtype = check_float_dtype(dtype)
        A = check_float_matrix(A, "A")
        same = B is None or B is A
        B = A if same else check_float_matrix(B, "B")
        check_same_width(A, B, ("A", "B"), what="features")
        return _iter_euclidean(_EuclideanBlocks(A, B, metric == "sqeuclidean", same, dtype), block_rows)
    if metric == "hamming":
        return _iter_hamming(*_prepare_codes(A, A if B is None else B, packed), block_rows)
    A, B, q = _check_lee_pair(A, B, q, " for metric='lee'")
    return _iter_lee(A, B, q, block_rows)


def _iter_euclidean(blocks, block_rows):
    n_a, n_b = blocks.A.shape[0], blocks.B.shape[0]
    sub = max(1, min(block_rows, _EUC_BLOCK_ENTRIES // max(n_b, 1)))
    for r0 in range(0, n_a, block_rows):
        r1 = min(r0 + block_rows, n_a)
        D = np.empty((r1 - r0, n_b), dtype=blocks.dtype)
        for s0, s1, G in blocks.blocks(r0, r1, sub):
            D[s0 - r0 : s1 - r0] = G
        yield r0, r1, D


def _iter_hamming(Wa, Wb, n_bits, block_rows):
    WbT = transpose_words(Wb)
    for r0 in range(0, Wa.shape[0], block_rows):
        r1 = min(r0 + block_rows, Wa.shape[0])
        yield r0, r1, hamming_rows(Wa[r0:r1], WbT, n_bits)


def _iter_lee(A, B, q, block_rows):
    db = _LeeDatabase(B, q)  # prepared once for every block
    for r0 in range(0, A.shape[0], block_rows):
        r1 = min(r0 + block_rows, A.shape[0])
        yield r0, r1, db.distances(A[r0:r1], np.empty((r1 - r0, B.shape[0]), dtype=np.int32))
