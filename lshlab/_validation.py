"""Input validation shared by every public entry point.

Each helper raises :class:`ValueError` with a message that names the argument, says what was
received and what is expected.  Nothing is silently coerced in a way that changes results:
float inputs are cast to ``float32``/``float64`` only when the values are representable, binary codes
must already be 0/1, and q-ary codes must already lie in ``0 … q-1``.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_matrix",
    "check_positive_int",
    "check_positive_float",
    "check_k",
    "check_k_neighbours",
    "check_binary_codes",
    "check_unpacked_codes",
    "check_packed_codes",
    "check_qary_codes",
    "check_same_width",
    "check_bounds",
    "packed_binary_codes",
    "packed_query_codes",
]


def check_matrix(X, name="X", *, dtype=np.float32, ndim=2, allow_empty=False, finite=True):
    """Return ``X`` as a C-contiguous array of ``dtype`` with ``ndim`` dimensions.

    Raises ValueError for wrong ndim, empty input, non-numeric dtype or NaN / inf values.
    """
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise ValueError(
            f"{name} is a sparse matrix; lshlab needs dense arrays: pass {name}.toarray() "
            "(sparse input is not supported)"
        )
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be an array-like of numbers: {exc}") from None
    if np.iscomplexobj(arr):
        raise ValueError(f"Complex data not supported: {name} must be real-valued, got dtype {arr.dtype}")
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        if ndim == 2:
            hint = (" Reshape your data with X.reshape(-1, 1) for a single feature or X.reshape(1, -1) "
                    "for a single sample." if arr.ndim == 1 else "")
            raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got shape {arr.shape}.{hint}")
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        if ndim == 2 and arr.shape[0] > 0:
            raise ValueError(
                f"{name} is empty: 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required."
            )
        raise ValueError(
            f"{name} is empty: 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required."
        )
    if dtype is not None:
        if np.issubdtype(arr.dtype, np.integer) and np.issubdtype(np.dtype(dtype), np.floating):
            limit = 2 ** (np.finfo(dtype).nmant + 1)
            if arr.size and max(abs(int(arr.max())), abs(int(arr.min()))) > limit:
                raise ValueError(
                    f"{name} holds integers beyond ±{limit}, which {np.dtype(dtype).name} cannot represent "
                    "exactly; rescale them (e.g. subtract an offset or divide by a unit) first"
                )
        arr = np.ascontiguousarray(arr, dtype=dtype)
    if finite and np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values; clean or impute them first")
    return arr


def check_positive_int(value, name, *, minimum=1):
    """Return ``value`` as int, requiring an integer ``>= minimum`` (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_positive_float(value, name, *, strict=True):
    """Return ``value`` as float, requiring a finite number > 0 (or >= 0 if not strict)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (strict and value == 0):
        bound = "> 0" if strict else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value}")
    return value


def check_k(k, n, name="k"):
    """Require ``1 <= k <= n`` (n = database size)."""
    k = check_positive_int(k, name)
    if k > n:
        raise ValueError(f"{name}={k} exceeds the database size {n}; use {name} <= {n}")
    return k


def check_k_neighbours(k, n):
    """Number of neighbours of a search: ``1 <= k <= n`` (n = database size).

    As :func:`check_k`, with a message that says what ``k`` is when a non-positive integer is given.
    """
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k <= 0:
        raise ValueError(f"k must be a positive integer (number of neighbours), got {k}")
    return check_k(k, n)


def check_binary_codes(codes, name="codes", *, allow_empty=False):
    """Unpacked binary codes: 2-D, integer or bool, values in {0, 1}; returned as uint8."""
    arr = np.asarray(codes)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_codes, n_bits), got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
        raise ValueError(
            f"{name} must be integer 0/1 codes, got dtype {arr.dtype}; "
            "threshold real values yourself (e.g. (z > 0).astype(np.uint8))"
        )
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(
            f"{name} must hold only 0 and 1, found values in [{arr.min()}, {arr.max()}]; "
            "pass packed=True for packed bytes"
        )
    return np.ascontiguousarray(arr, dtype=np.uint8)


def check_unpacked_codes(codes, name="codes"):
    """As :func:`check_binary_codes`, saying so when packed bytes are passed without ``packed=True``.

    Functions that accept both layouts (``packed=False`` by default) call this on the unpacked path:
    a 2-D ``uint8`` array holding values above 1 is almost always the output of ``pack_bits``.
    """
    arr = np.asarray(codes)
    if arr.ndim == 2 and arr.dtype == np.uint8 and arr.size and arr.max() > 1:
        raise ValueError(
            f"{name} holds byte values up to {arr.max()}, not 0/1 bits; if these are packed codes "
            "from pack_bits, pass packed=True"
        )
    return check_binary_codes(arr, name)


def check_packed_codes(codes, name="codes", *, allow_empty=False):
    """Packed codes: 2-D uint8 (bytes as produced by :func:`lshlab.distances.pack_bits`)."""
    arr = np.asarray(codes)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_codes, n_bytes), got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype != np.uint8:
        raise ValueError(f"packed {name} must have dtype uint8 (from pack_bits), got {arr.dtype}")
    return np.ascontiguousarray(arr)


def check_qary_codes(codes, q, name="codes", *, allow_empty=False):
    """q-ary codes: 2-D integers in ``0 … q-1``; returned as uint8 (q <= 256) or uint16."""
    q = check_positive_int(q, "q", minimum=2)
    arr = np.asarray(codes)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_codes, n_symbols), got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be integer symbols in 0..{q - 1}, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= q):
        raise ValueError(
            f"{name} must lie in 0..{q - 1} for q={q}, found values in [{arr.min()}, {arr.max()}]"
        )
    return np.ascontiguousarray(arr, dtype=np.uint8 if q <= 256 else np.uint16)


def check_same_width(A, B, names=("A", "B"), what="columns"):
    """Require two 2-D arrays to have the same number of columns (code length / features)."""
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"{names[0]} has {A.shape[1]} {what} but {names[1]} has {B.shape[1]}; "
            "both must come from the same encoder / feature space"
        )


def check_bounds(bounds, name="bounds", *, positive=False):
    """A pair ``(low, high)`` of finite numbers with ``low < high`` (and ``low > 0`` if positive)."""
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of numbers, got {bounds!r}") from None
    if not (np.isfinite(low) and np.isfinite(high)) or low >= high:
        raise ValueError(f"{name} must satisfy low < high (both finite), got ({low}, {high})")
    if positive and low <= 0:
        raise ValueError(f"{name} must be positive (low > 0), got ({low}, {high})")
    return low, high


def packed_binary_codes(codes, packed, name="codes"):
    """Binary codes as packed bytes (``np.packbits`` order) and their length in bits.

    ``packed=True``: ``codes`` must already be packed ``uint8`` bytes (length ``8 · n_bytes``);
    otherwise 0/1 codes, packed here (:func:`check_unpacked_codes` names packed input passed by
    mistake).  Returns ``(P, n_bits)``.
    """
    if packed:
        P = check_packed_codes(codes, name)
        return P, 8 * P.shape[1]
    B = check_unpacked_codes(codes, name)
    return np.packbits(B, axis=1), B.shape[1]


def packed_query_codes(Q, packed, n_bits, n_bytes, name="Q"):
    """Packed bytes of queries for an index over ``n_bits``-bit codes (``n_bytes`` packed bytes).

    Raises ValueError, saying what the index holds, when the format or the length differs.
    """
    P, q_bits = packed_binary_codes(Q, packed, name)
    if packed and P.shape[1] != n_bytes:
        raise ValueError(f"{name} has {P.shape[1]} bytes per code but the index holds {n_bytes}; "
                         "both must come from the same encoder")
    if not packed and q_bits != n_bits:
        raise ValueError(f"{name} has {q_bits} bits per code but the index holds {n_bits}-bit codes; "
                         "encode queries with the same hasher")
    return P
