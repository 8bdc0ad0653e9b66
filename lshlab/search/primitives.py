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
* **Lee distances** — the cyclic thermometer code that maps ``Z_q`` symbols to bits so that Hamming
  distance equals (even q) or doubles (odd q) the Lee distance (:func:`lee_thermometer`,
  :func:`lee_words`), used while it pays (:func:`lee_uses_embedding`: up to 24 bits per symbol), and
  the direct symbol-by-symbol kernel for larger alphabets (:func:`lee_symbols_t`, :func:`lee_direct_rows`).
* **Euclidean helpers** — float32 squared row norms (:func:`sq_norms`); the frame that makes float32
  Euclidean arithmetic exact at any offset and scale is :mod:`lshlab.search.euclidean`.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_array, check_positive_int

__all__ = [
    "topk_stable",
    "HAMMING_ROWS",
    "as_words",
    "transpose_words",
    "hamming_acc_dtype",
    "hamming_block",
    "hamming_rows",
    "check_integer_out",
    "lee_bits_per_symbol",
    "lee_thermometer",
    "lee_words",
    "lee_uses_embedding",
    "lee_symbols_t",
    "lee_direct_rows",
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
        Distances (integer or float, no NaN), one row per query.
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
    D = _check_scores(D)
    k = check_positive_int(k, "k")
    m, n = D.shape
    if m == 0:
        w = min(k, n)
        return np.empty((0, w), dtype=D.dtype), np.empty((0, w), dtype=np.intp)
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


def _check_scores(D):
    """``D`` as a 2-D integer or float array without NaN (ValueError naming ``D`` otherwise)."""
    if not isinstance(D, np.ndarray) or D.ndim != 2 or not (np.issubdtype(D.dtype, np.integer)
                                                           or np.issubdtype(D.dtype, np.floating)):
        arr = as_array(D, "D")
        if arr.ndim != 2:
            raise ValueError(f"D must be a 2-D array (n_queries, n_database) of distances, got shape {arr.shape}")
        if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
            raise ValueError(f"D must hold integer or real distances, got dtype {arr.dtype}")
        D = arr
    if D.dtype.kind == "f" and np.isnan(D).any():
        raise ValueError("D contains NaN distances, which have no place in a ranking; remove or replace them")
    return D


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


def check_integer_out(out, shape, max_value, what, name="out"):
    """Require ``out`` to be a writeable integer ndarray of ``shape`` whose dtype holds ``max_value``.

    An output array of a narrower type would wrap (300 stored as 44 in ``uint8``) or truncate silently
    on assignment, so it is refused as strictly as the ``dtype=`` argument is.

    Returns ``out``.
    """
    if not isinstance(out, np.ndarray):
        raise ValueError(f"{name} must be a numpy array (or memmap) of shape {shape}, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {out.shape}")
    if not np.issubdtype(out.dtype, np.integer) or np.iinfo(out.dtype).max < max_value:
        raise ValueError(f"{name} has dtype {out.dtype}, which cannot hold {what} up to {max_value}; pass an "
                         f"integer array whose type holds {max_value} (e.g. int32)")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only; pass a writeable array")
    return out


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
    if not isinstance(out, np.ndarray) or out.dtype not in (np.uint16, np.int32) or out.shape != (
            Wa.shape[0], WbT.shape[1]):
        got = f"{out.dtype} {out.shape}" if isinstance(out, np.ndarray) else type(out).__name__
        raise ValueError(f"out must be a uint16 or int32 array of shape {(Wa.shape[0], WbT.shape[1])} (the "
                         f"accumulator of hamming_acc_dtype), got {got}")
    if out.dtype == np.uint16 and 64 * Wa.shape[1] >= 2**16:
        raise ValueError(f"out has dtype uint16, which cannot hold Hamming distances of {64 * Wa.shape[1]}-bit "
                         "words; use int32 (hamming_acc_dtype)")
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
    else:
        check_integer_out(out, (Wa.shape[0], WbT.shape[1]), n_bits, "Hamming distances")
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


#: Bits per symbol up to which the Lee embedding (and the popcount kernel) beats the direct kernel;
#: measured: the embedding is 2-5x faster at 8-16 bits, about even at 24, slower from 32 bits on
#: (q = 64), and q/2 bits per symbol make it unusable for large alphabets (q = 65,536: 32,768 bits).
LEE_EMBED_MAX_BITS = 24
_LEE_ROWS, _LEE_COLS = 64, 4096  # direct kernel blocks: 64 × 4096 int16 temporaries (512 kB)


def lee_uses_embedding(q):
    """True when Lee distances of ``Z_q`` codes are computed through the thermometer embedding.

    That is for ``lee_bits_per_symbol(q) <= 24`` (even q <= 48, odd q <= 23); larger alphabets use the
    direct kernel :func:`lee_direct_rows`, whose cost does not grow with q.  Both give identical
    distances.
    """
    return lee_bits_per_symbol(q) <= LEE_EMBED_MAX_BITS


def lee_symbols_t(codes, q):
    """Database codes for :func:`lee_direct_rows`: transposed ``(n_symbols, n)``, int16 (q < 2¹⁵) or int32."""
    return np.ascontiguousarray(codes.T, dtype=np.int16 if q < 2**15 else np.int32)


def lee_direct_rows(A, BT, q, out=None):
    """Lee distances ``out[i, j] = Σ_s min(|A[i,s] − B[j,s]|, q − |A[i,s] − B[j,s]|)``, symbol by symbol.

    Parameters
    ----------
    A : ndarray of integers in 0 … q−1, shape (n_A, n_symbols)
    BT : ndarray from :func:`lee_symbols_t`, shape (n_symbols, n_B)
    q : int >= 2
    out : ndarray of shape (n_A, n_B), optional
        Any integer dtype that holds ``n_symbols · ⌊q/2⌋``; default int32 (int64 if needed).

    Returns
    -------
    out

    Notes
    -----
    For blocks of 64 query rows × 4,096 database codes and each symbol: one broadcast subtraction,
    ``abs``, ``q − d`` and ``min`` on small integers, summed (in int16 over as many symbols as cannot
    overflow, then into the output).  Cost O(n_A · n_B · n_symbols) whatever q, against
    O(n_A · n_B · n_symbols · q/128) words for the embedding.
    """
    n_sym, nb = BT.shape
    na = A.shape[0]
    max_d = n_sym * (q // 2)
    if out is None:
        out = np.empty((na, nb), dtype=np.int32 if max_d < 2**31 else np.int64)
    else:
        check_integer_out(out, (na, nb), max_d, "Lee distances")
    dt = BT.dtype
    As = A.astype(dt)
    group = max(1, int(np.iinfo(dt).max) // max(1, q // 2))  # symbols summed in dt without overflow
    t = np.empty((_LEE_ROWS, _LEE_COLS), dtype=dt)
    u = np.empty_like(t)
    acc = np.empty_like(t)
    for c0 in range(0, nb, _LEE_COLS):
        c1 = min(c0 + _LEE_COLS, nb)
        for r0 in range(0, na, _LEE_ROWS):
            r1 = min(r0 + _LEE_ROWS, na)
            tt, uu, aa = t[: r1 - r0, : c1 - c0], u[: r1 - r0, : c1 - c0], acc[: r1 - r0, : c1 - c0]
            o = out[r0:r1, c0:c1]
            o[...] = 0
            for g0 in range(0, n_sym, group):
                for s in range(g0, min(g0 + group, n_sym)):
                    np.subtract(As[r0:r1, s, None], BT[s, None, c0:c1], out=tt)
                    np.abs(tt, out=tt)
                    np.subtract(dt.type(q), tt, out=uu)
                    if s == g0:
                        np.minimum(tt, uu, out=aa)
                    else:
                        np.minimum(tt, uu, out=tt)
                        aa += tt
                np.add(o, aa, out=o, casting="unsafe")
    return out


# ----------------------------------------------------------------------------- Euclidean helpers
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
