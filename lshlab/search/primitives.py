"""Low-level building blocks shared by the indexes and the distance matrices.

Public so that any module may import them (``lshlab.distances`` builds its matrices from the
Hamming kernel here, ``lshlab.metric_learning`` ranks with :func:`topk_stable`).  This module
depends on numpy and :mod:`lshlab._validation` only, never on the indexes or on
:mod:`lshlab.distances`, so the dependency runs one way: distances → search.primitives.

* **Stable top-k** — :func:`topk_stable`, exact with ties broken by column index, the tie rule of
  every search in lshlab.
* **Packed-word Hamming kernel** — binary codes packed by ``np.packbits`` are viewed as ``uint64``
  words (:func:`as_words`); ``d_H(a, b) = Σ_w popcount(a_w XOR b_w)`` is computed with
  ``np.bitwise_count`` (the hardware population count) against the database words transposed once
  (:func:`transpose_words`), in blocks (:func:`hamming_rows`, :func:`hamming_block`).
* **Lee embedding** — the cyclic thermometer code that maps ``Z_q`` symbols to bits so that Hamming
  distance equals (even q) or doubles (odd q) the Lee distance (:func:`lee_thermometer`,
  :func:`lee_words`).
* **Euclidean helpers** — an exact power-of-two rescaling against float32 overflow / underflow
  (:func:`rescale_pair`) and float32 squared row norms (:func:`sq_norms`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "topk_stable",
    "HAMMING_ROWS",
    "as_words",
    "transpose_words",
    "hamming_acc_dtype",
    "hamming_block",
    "hamming_rows",
    "lee_bits_per_symbol",
    "lee_thermometer",
    "lee_words",
    "rescale_pair",
    "sq_norms",
]

# Hamming kernel: query rows per block (bounds the output block), database codes per column block
# (a 32768-code uint64 XOR row is 256 kB, inside the L2 cache of one core), and words whose uint8
# popcounts are summed before the wide add (3 × 64 = 192 ≤ 255).
HAMMING_ROWS = 128
_HAM_COLS = 32768
_HAM_GROUP = 3


# ----------------------------------------------------------------------------- top-k and threads
def topk_stable(D, k):
    """The ``k`` smallest entries of each row of ``D``, ordered by (value, column index).

    Parameters
    ----------
    D : ndarray of shape (m, n)
        Distances (integer or float), one row per query.
    k : int, 1 <= k
        Entries kept per row; ``k >= n`` returns every row fully sorted.

    Returns
    -------
    values : ndarray of shape (m, min(k, n)), dtype of ``D``
        Ascending along each row.
    columns : ndarray of intp, same shape
        Column indices; among equal values the smaller column comes first.

    Notes
    -----
    Exact, including ties at the k-th value: every entry strictly below the k-th smallest value is
    kept, and entries equal to it are taken in increasing column order — the tie rule
    "by database index" of every search in lshlab.  ``np.partition`` finds the k-th value in O(n)
    per row; only the (few) entries ``<=`` it are sorted.

    Examples
    --------
    >>> topk_stable(np.array([[3, 1, 1, 0]]), 2)
    (array([[0, 1]]), array([[3, 1]]))
    """
    m, n = D.shape
    if k >= n:
        order = np.argsort(D, axis=1, kind="stable")
        return np.take_along_axis(D, order, axis=1), order
    kth = np.partition(D, k - 1, axis=1)[:, k - 1]
    flat = np.flatnonzero(D <= kth[:, None])  # row-major: columns ascending within a row
    r, c = np.divmod(flat, n)  # (1-D flatnonzero is ~10× faster than 2-D nonzero)
    d = D.ravel()[flat]
    if np.issubdtype(D.dtype, np.integer):
        key = r.astype(np.int64) * (int(d.max()) + 1) + d
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((d, r))  # stable: equal (row, value) keep ascending column order
    counts = np.bincount(r, minlength=m)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sel = order[starts[:, None] + np.arange(k)]
    return d[sel], c[sel].astype(np.intp)


# ----------------------------------------------------------------------------- Hamming kernel
def as_words(P):
    """View packed bytes as C-contiguous ``uint64`` words.

    Parameters
    ----------
    P : ndarray of uint8, shape (n, n_bytes)
        Codes packed by ``np.packbits`` (:func:`lshlab.distances.pack_bits`).

    Returns
    -------
    W : ndarray of uint64, shape (n, ceil(n_bytes / 8))
        Rows padded with zero bytes to a multiple of 8 bytes.  Padding is identical in any two
        operands, so it never changes a Hamming distance.
    """
    n, n_bytes = P.shape
    n_words = -(-n_bytes // 8)
    if n_bytes != 8 * n_words:
        padded = np.zeros((n, 8 * n_words), dtype=np.uint8)
        padded[:, :n_bytes] = P
        P = padded
    return np.ascontiguousarray(P).view(np.uint64)


def transpose_words(Wb):
    """Database words as ``(n_words, n_B)``, one contiguous row per word.

    Parameters
    ----------
    Wb : ndarray of uint64, shape (n_B, n_words), from :func:`as_words`

    Returns
    -------
    WbT : ndarray of uint64, shape (n_words, n_B), C-contiguous
        The layout :func:`hamming_block` reads; an index that searches one database many times
        keeps this instead of ``Wb``.
    """
    return np.ascontiguousarray(Wb.T)


def hamming_acc_dtype(n_bits):
    """Smallest accumulator for Hamming distances of ``n_bits``-bit codes: uint16 below 2¹⁶, else int32."""
    return np.uint16 if n_bits < 2**16 else np.int32


def hamming_block(Wa, WbT, out):
    """Hamming distances of a few query codes to the whole database, written into ``out``.

    Parameters
    ----------
    Wa : ndarray of uint64, shape (n_A, n_words)
        Query words (:func:`as_words`).
    WbT : ndarray of uint64, shape (n_words, n_B)
        Database words transposed (:func:`transpose_words`).
    out : ndarray of uint16 or int32, shape (n_A, n_B)
        Overwritten with ``out[i, j] = Σ_w popcount(Wa[i, w] XOR WbT[w, j])``.

    Returns
    -------
    out

    Notes
    -----
    For each query row and word: one XOR of a database word-row with a *scalar* (numpy's fastest
    loop: contiguous array ⊕ scalar, about 3× a broadcast 2-D XOR), one popcount to ``uint8`` and
    one ``uint8`` add; the ``uint8`` partial sums of up to three words (≤ 192) are added to the
    wider accumulator once, so the slow mixed-dtype add runs on a third of the words.  The database
    is cut into column blocks of 32,768 codes (a 256 kB XOR temporary, in the L2 cache).
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


def hamming_rows(Wa, WbT, n_bits, out=None):
    """Hamming distance matrix of query words against transposed database words.

    Parameters
    ----------
    Wa : ndarray of uint64, shape (n_A, n_words)
    WbT : ndarray of uint64, shape (n_words, n_B), from :func:`transpose_words`
    n_bits : int
        Code length; selects the accumulator (:func:`hamming_acc_dtype`).
    out : ndarray of shape (n_A, n_B), optional
        Any integer dtype that holds ``n_bits`` (e.g. a memmap); default: a new accumulator-dtype
        array.

    Returns
    -------
    D : ndarray of shape (n_A, n_B)

    Notes
    -----
    Computed by :func:`hamming_block` in blocks of :data:`HAMMING_ROWS` query rows, so extra memory
    is O(HAMMING_ROWS · n_B) whatever ``n_A``.
    """
    acc = hamming_acc_dtype(n_bits)
    if out is None:
        out = np.empty((Wa.shape[0], WbT.shape[1]), dtype=acc)
    tmp = None if out.dtype == acc else np.empty((min(HAMMING_ROWS, Wa.shape[0]), WbT.shape[1]), acc)
    for r0 in range(0, Wa.shape[0], HAMMING_ROWS):
        r1 = min(r0 + HAMMING_ROWS, Wa.shape[0])
        if tmp is None:
            hamming_block(Wa[r0:r1], WbT, out[r0:r1])
        else:
            out[r0:r1] = hamming_block(Wa[r0:r1], WbT, tmp[: r1 - r0])
    return out


# ----------------------------------------------------------------------------- Lee embedding
def lee_bits_per_symbol(q):
    """Bits of the thermometer embedding per ``Z_q`` symbol: ``q / 2`` for even q, ``q`` for odd q."""
    return q // 2 if q % 2 == 0 else q


def lee_thermometer(codes, q):
    """Cyclic thermometer bits of validated q-ary codes (no checks; see :func:`lshlab.distances.lee_to_hamming`).

    Parameters
    ----------
    codes : ndarray of integers in 0 … q−1, shape (n_codes, n_symbols)
    q : int >= 2

    Returns
    -------
    bits : ndarray of uint8 0/1, shape (n_codes, n_symbols · lee_bits_per_symbol(q))

    Notes
    -----
    Even ``q = 2m``: symbol ``s`` becomes ``φ(s)_j = 1[j < s ≤ j + m]``, ``j = 0 … m−1``, and
    ``d_H(φ(a), φ(b)) = d_L(a, b)``.  Odd ``q``: ``s ↦ 2s`` in ``Z_2q`` first, then ``q`` bits, so
    Hamming distances are twice the Lee distances (Lee, "Some properties of nonbinary
    error-correcting codes", 1958, defines ``d_L``).
    """
    if q % 2 == 0:
        m, s = q // 2, codes.astype(np.int32)
    else:
        m, s = q, 2 * codes.astype(np.int32)
    j = np.arange(m, dtype=np.int32)
    bits = (s[:, :, None] > j) & (s[:, :, None] <= j + m)
    return bits.reshape(codes.shape[0], -1).view(np.uint8)


def lee_words(codes, q):
    """Packed ``uint64`` words (:func:`as_words`) of :func:`lee_thermometer`, built in row chunks.

    Parameters
    ----------
    codes : ndarray of integers in 0 … q−1, shape (n_codes, n_symbols), validated by the caller
    q : int >= 2

    Returns
    -------
    W : ndarray of uint64, shape (n_codes, n_words)
        Chunks of about 16 M bits keep the boolean intermediate bounded.
    """
    chunk = max(1, (1 << 24) // max(1, codes.shape[1] * lee_bits_per_symbol(q)))
    parts = [np.packbits(lee_thermometer(codes[i : i + chunk], q), axis=1) for i in range(0, codes.shape[0], chunk)]
    return as_words(np.concatenate(parts, axis=0))


# ----------------------------------------------------------------------------- Euclidean helpers
_SAFE_EXP = 40  # data whose largest |value| lies in [2**-40, 2**40] is used as is


def rescale_pair(A, B):
    """Rescale two float arrays (of one dtype) by a common power of two when the float32 expansion would
    overflow or underflow (the same range is kept for float64, where it is merely cautious).

    Parameters
    ----------
    A, B : ndarray of float32 or float64 (one dtype)

    Returns
    -------
    A_, B_ : ndarray of the input dtype
        ``A = s · A_`` and ``B = s · B_`` exactly (powers of two scale without rounding).
    s : float
        1.0 (and the inputs themselves) for data whose largest magnitude lies in ``[2⁻⁴⁰, 2⁴⁰]``;
        otherwise ``2^e`` with ``e`` the binary exponent of the largest magnitude.

    Notes
    -----
    ``‖a‖² + ‖b‖² − 2aᵀb`` overflows or underflows float32 for ``|x|`` beyond about 1e19 or below
    1e-19; Euclidean distances of the rescaled data times ``s`` are the distances of the originals.
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


def sq_norms(X):
    """Squared Euclidean norms ``‖x_i‖²`` of the rows of ``X``, accumulated in the dtype of ``X``.

    Parameters
    ----------
    X : ndarray of float32 or float64, shape (n, d)

    Returns
    -------
    ndarray of the dtype of ``X``, shape (n,)
    """
    return np.einsum("ij,ij->i", X, X, dtype=X.dtype)
