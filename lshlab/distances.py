"""Bit packing and pairwise distances: Hamming (hardware popcount), Lee, Euclidean.

Conventions
-----------
* Binary codes are ``uint8`` arrays of 0/1, one column per bit.  :func:`pack_bits` turns them into
  bytes in ``np.packbits`` bit order (first bit = most significant bit of the first byte; the last
  byte is padded with zero bits).  Functions take packed bytes only when asked with ``packed=True``.
* Hamming distance ``d_H(a, b) = popcount(a XOR b)`` is computed on the packed bytes viewed as
  ``uint64`` words (rows padded with zero bytes to a multiple of 8 bytes; zero padding is identical
  in both operands, so it never changes a distance) with ``np.bitwise_count``, the hardware
  population count.
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

# Hamming kernel: query rows per block (bounds the output block), database codes per column block
# (a 32768-code uint64 XOR row is 256 kB, inside the L2 cache of one core), and words whose uint8
# popcounts are summed before the wide add (3 × 64 = 192 ≤ 255).
_HAM_ROWS = 128
_HAM_COLS = 32768
_HAM_GROUP = 3
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


def _as_words(P):
    """View packed bytes (n, n_bytes) as C-contiguous uint64 words (n, ceil(n_bytes / 8))."""
    n, n_bytes = P.shape
    n_words = -(-n_bytes // 8)
    if n_bytes != 8 * n_words:
        padded = np.zeros((n, 8 * n_words), dtype=np.uint8)
        padded[:, :n_bytes] = P
        P = padded
    return np.ascontiguousarray(P).view(np.uint64)


def _prepare_codes(A, B, packed, names=("A", "B")):
    """Validate two code matrices (unpacked 0/1 or packed bytes) and return their uint64 words."""
    if packed:
        A = check_packed_codes(A, names[0])
        B = check_packed_codes(B, names[1])
        check_same_width(A, B, names, what="bytes per code")
        n_bits = 8 * A.shape[1]
    else:
        A = _check_unpacked(A, names[0])
        B = _check_unpacked(B, names[1])
        check_same_width(A, B, names, what="bits per code")
        n_bits = A.shape[1]
        A, B = np.packbits(A, axis=1), np.packbits(B, axis=1)
    return _as_words(A), _as_words(B), n_bits


def _check_unpacked(codes, name):
    """0/1 codes; a helpful message when packed bytes are passed without ``packed=True``."""
    arr = np.asarray(codes)
    if arr.ndim == 2 and arr.dtype == np.uint8 and arr.size and arr.max() > 1:
        raise ValueError(
            f"{name} holds byte values up to {arr.max()}, not 0/1 bits; if these are packed codes "
            "from pack_bits, pass packed=True"
        )
    return check_binary_codes(arr, name)


# ----------------------------------------------------------------------------- Hamming kernel
def _hamming_block(Wa, WbT, out):
    """``out[i, j] = Σ_w popcount(Wa[i, w] XOR WbT[w, j])``; ``out`` (uint16 or int32) is overwritten.

    ``WbT`` is the database side transposed, one contiguous row of ``n_B`` codes per 64-bit word.
    For each query row and word, one XOR of a database word-row with a *scalar* (numpy's fastest
    loop: contiguous array ⊕ scalar, about 3× a broadcast 2-D XOR), one popcount to ``uint8`` and
    one ``uint8`` add; the ``uint8`` partial sums of up to three words (≤ 192) are added to the
    wider accumulator once, so the slow mixed-dtype add runs on a third of the words.  The database
    is cut into column blocks of ``_HAM_COLS`` codes (256 kB XOR temporary, in the L2 cache).
    """
    na, n_words = Wa.shape
    nb = WbT.shape[1]
    if nb == 0:
        return out
    cols = min(nb, _HAM_COLS)
    xor = np.empty(cols, dtype=np.uint64)
    cnt = np.empty(cols, dtype=np.uint8)
    part = np.empty(cols, dtype=np.uint8)
    for c0 in range(0, nb, cols):
        c1 = min(c0 + cols, nb)
        x, p, s = xor[: c1 - c0], cnt[: c1 - c0], part[: c1 - c0]
        Wt = WbT[:, c0:c1]
        for i in range(na):
            o, a = out[i, c0:c1], Wa[i]
            for g0 in range(0, n_words, _HAM_GROUP):
                for w in range(g0, min(g0 + _HAM_GROUP, n_words)):
                    np.bitwise_xor(Wt[w], a[w], out=x)
                    if w == g0:
                        np.bitwise_count(x, out=s)
                    else:
                        np.bitwise_count(x, out=p)
                        np.add(s, p, out=s)
                if g0 == 0:
                    o[...] = s
                else:
                    np.add(o, s, out=o, casting="unsafe")
    return out


def _acc_dtype(n_bits):
    return np.uint16 if n_bits < 2**16 else np.int32


def _transpose_words(Wb):
    """Database words as (n_words, n_B), one contiguous row per word (see :func:`_hamming_block`)."""
    return np.ascontiguousarray(Wb.T)


def _hamming_rows(Wa, WbT, n_bits, out=None):
    """Hamming matrix of query words ``Wa`` against ``WbT = _transpose_words(Wb)``, in row blocks of
    ``_HAM_ROWS`` (accumulator dtype by n_bits).  Callers that search one database many times keep
    ``WbT`` instead of ``Wb``.
    """
    acc = _acc_dtype(n_bits)
    if out is None:
        out = np.empty((Wa.shape[0], WbT.shape[1]), dtype=acc)
    tmp = None if out.dtype == acc else np.empty((min(_HAM_ROWS, Wa.shape[0]), WbT.shape[1]), acc)
    for r0 in range(0, Wa.shape[0], _HAM_ROWS):
        r1 = min(r0 + _HAM_ROWS, Wa.shape[0])
        if tmp is None:
            _hamming_block(Wa[r0:r1], WbT, out[r0:r1])
        else:
            out[r0:r1] = _hamming_block(Wa[r0:r1], WbT, tmp[: r1 - r0])
    return out


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
    return _hamming_rows(Wa, _transpose_words(Wb), n_bits, out=out)


# ----------------------------------------------------------------------------- Lee
def _lee_bits_per_symbol(q):
    return q // 2 if q % 2 == 0 else q


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
    return _thermometer(codes, q)


def _thermometer(codes, q):
    if q % 2 == 0:
        m, s = q // 2, codes.astype(np.int32)
    else:
        m, s = q, 2 * codes.astype(np.int32)
    j = np.arange(m, dtype=np.int32)
    bits = (s[:, :, None] > j) & (s[:, :, None] <= j + m)
    return bits.reshape(codes.shape[0], -1).view(np.uint8)


def _lee_words(codes, q):
    """Packed uint64 words of the thermometer embedding, built in row chunks (bounded memory)."""
    chunk = max(1, (1 << 24) // max(1, codes.shape[1] * _lee_bits_per_symbol(q)))
    parts = [np.packbits(_thermometer(codes[i : i + chunk], q), axis=1) for i in range(0, codes.shape[0], chunk)]
    return _as_words(np.concatenate(parts, axis=0))


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
    Wa = _lee_words(A, q)
    Wb = Wa if B is A else _lee_words(B, q)
    n_bits = A.shape[1] * _lee_bits_per_symbol(q)
    out = _check_out(out, (A.shape[0], B.shape[0]))
    if out is None:
        out = np.empty((A.shape[0], B.shape[0]), dtype=dtype)
    WbT = _transpose_words(Wb)
    if q % 2 == 0:
        return _hamming_rows(Wa, WbT, n_bits, out=out)
    for r0 in range(0, Wa.shape[0], _HAM_ROWS):
        r1 = min(r0 + _HAM_ROWS, Wa.shape[0])
        block = _hamming_rows(Wa[r0:r1], WbT, n_bits)
        np.right_shift(block, 1, out=block)
        out[r0:r1] = block
    return out


# ----------------------------------------------------------------------------- Euclidean
_SAFE_EXP = 40  # data whose largest |value| lies in [2**-40, 2**40] is used as is


def _rescale_pair(A, B):
    """Rescale two float arrays (of one dtype) by a common power of two when their magnitude would
    overflow or underflow the float32 expansion ‖a‖² + ‖b‖² − 2aᵀb (|x| beyond about 1e19 or below
    1e-19; the same range is kept for float64, where it is merely cautious).

    Returns ``(A', B', s)`` with ``A = s·A'`` exactly (powers of two scale without rounding); ``s = 1``
    and the inputs themselves for data of ordinary magnitude.  Euclidean distances scale by ``s``.
    """
    m = max(float(np.abs(A).max(initial=0.0)), float(np.abs(B).max(initial=0.0)))
    if m == 0.0:
        return A, B, 1.0
    e = int(np.frexp(m)[1])
    if -_SAFE_EXP <= e <= _SAFE_EXP:
        return A, B, 1.0
    s = float(np.ldexp(1.0, e))
    t = A.dtype.type(s)
    return (A / t).astype(A.dtype), (B / t).astype(B.dtype), s


def _sq_norms(X):
    return np.einsum("ij,ij->i", X, X, dtype=X.dtype)


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
    A, B, s = _rescale_pair(A, B)
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
    a2, b2 = _sq_norms(A), _sq_norms(B)
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
        WbT = _transpose_words(Wb)
        for r0 in range(0, Wa.shape[0], block_rows):
            r1 = min(r0 + block_rows, Wa.shape[0])
            yield r0, r1, _hamming_rows(Wa[r0:r1], WbT, n_bits)
        return
    A, B, q = _check_lee_pair(A, B, q, " for metric='lee'")
    for r0 in range(0, A.shape[0], block_rows):
        r1 = min(r0 + block_rows, A.shape[0])
        yield r0, r1, lee_distance_matrix(A[r0:r1], B, q, dtype=np.int32)
