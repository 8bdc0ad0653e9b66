"""Input validation shared by every public entry point.

Each helper raises :class:`ValueError` with a message that names the argument, says what was
received and what is expected.  Nothing is silently coerced in a way that changes results:
float inputs are cast to ``float32``/``float64`` only when the values are representable, binary codes
must already be 0/1, and q-ary codes must already lie in ``0 … q-1``.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

__all__ = [
    "as_array",
    "check_random_state",
    "check_matrix",
    "check_float_matrix",
    "check_float_dtype",
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
    "check_n_jobs",
    "FLOAT32_EXACT",
    "check_float32_cast",
    "check_float32_exact",
    "check_comparable_labels",
    "packed_binary_codes",
    "packed_query_codes",
]

#: 2²⁴: beyond this magnitude float32 numbers are spaced 2 or more apart, so it can neither count
#: integers (bucket numbers, quantisation levels) exactly nor resolve a phase to within one radian.
FLOAT32_EXACT = 2.0**24


def as_array(X, name, dtype=None):
    """``np.asarray(X, dtype)``, with a ValueError naming ``name`` for ragged or unconvertible input."""
    try:
        return np.asarray(X, dtype=dtype)
    except (ValueError, TypeError) as exc:  # ragged lists, strings that are not numbers, …
        raise ValueError(f"{name} must be an array-like of numbers (equal-length rows): {exc}") from None


def check_random_state(seed, name="random_state"):
    """``sklearn.utils.check_random_state`` with a message that names the parameter."""
    from sklearn.utils import check_random_state as sk_check_random_state

    try:
        return sk_check_random_state(seed)
    except ValueError:
        raise ValueError(f"{name} must be None, an integer >= 0 or a numpy.random.RandomState, got {seed!r}") from None


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
        if arr.dtype.kind == "f" and np.dtype(dtype).kind == "f" and arr.dtype.itemsize > np.dtype(dtype).itemsize:
            _check_float_range(arr, name, np.dtype(dtype), finite)
        arr = np.ascontiguousarray(arr, dtype=dtype)
    if finite and np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values; clean or impute them first")
    return arr


def _check_float_range(arr, name, dtype, finite):
    """Refuse a cast to a narrower float type that would overflow, or flush the whole array towards 0.

    Values beyond ``finfo(dtype).max`` would become inf; an array whose largest magnitude is below the
    smallest normal number (1.2e-38 for float32) would keep no significant digits (every value subnormal
    or 0: distances all 0, every code equal).  Smaller values next to larger ones are only rounded,
    as usual.
    """
    if arr.size == 0:
        return
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values; clean or impute them first")
    with np.errstate(invalid="ignore"):
        top = max(float(np.nanmax(arr)), -float(np.nanmin(arr))) if np.isfinite(arr).any() else 0.0
    info = np.finfo(dtype)
    if np.isfinite(top) and top > float(info.max):
        raise ValueError(
            f"{name} holds values up to {top:.3g}, beyond the {dtype.name} range ({float(info.max):.3g}) used "
            f"here; rescale {name} (e.g. divide it by a power of two such as 2**{int(np.log2(top / 1e30))})"
        )
    if 0.0 < top < float(info.tiny):
        raise ValueError(
            f"{name} holds values of magnitude at most {top:.3g}, below the smallest normal {dtype.name} "
            f"({float(info.tiny):.3g}): {dtype.name} would flush them to 0; rescale {name} (e.g. multiply it "
            f"by a power of two such as 2**{int(np.log2(1.0 / top))})"
        )


def check_float_matrix(X, name="X"):
    """A finite 2-D float array in its own precision, for computations that must be exact for any float data.

    float32 and float64 arrays are kept as they are (C-contiguous; no cast, so float64 coordinates keep
    their digits), float16 becomes float32, integers and booleans become float32 when every value is
    exactly representable there (``|v| <= 2**24``) and float64 otherwise (``|v| <= 2**53``, else an error).
    The other checks are those of :func:`check_matrix`.
    """
    arr = check_matrix(X, name, dtype=None)
    if arr.dtype in (np.float32, np.float64):
        return arr
    if arr.dtype == np.float16:
        return np.ascontiguousarray(arr, dtype=np.float32)
    if arr.dtype.kind == "f":  # longdouble: values beyond float64 are not representable
        return check_matrix(arr, name, dtype=np.float64)
    big = arr.size and max(abs(int(arr.max())), abs(int(arr.min()))) > 2**24
    return check_matrix(arr, name, dtype=np.float64 if big else np.float32)


def check_float_dtype(dtype, name="dtype"):
    """``np.float32`` or ``np.float64`` (as a numpy dtype); anything else is a ValueError naming ``name``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)) or isinstance(dtype, bool):
        raise ValueError(f"{name} must be np.float32 or np.float64, got {dtype!r}")
    return dt


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
    arr = as_array(codes, name)
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
    arr = as_array(codes, name)
    if arr.ndim == 2 and arr.dtype == np.uint8 and arr.size and arr.max() > 1:
        raise ValueError(
            f"{name} holds byte values up to {arr.max()}, not 0/1 bits; if these are packed codes "
            "from pack_bits, pass packed=True"
        )
    return check_binary_codes(arr, name)


def check_packed_codes(codes, name="codes", *, allow_empty=False):
    """Packed codes: 2-D uint8 (bytes as produced by :func:`lshlab.distances.pack_bits`)."""
    arr = as_array(codes, name)
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
    arr = as_array(codes, name)
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


def check_n_jobs(n_jobs, name="n_jobs"):
    """Threads for ``n_jobs``: None = the CPU cores (at most 8), otherwise an integer >= 1."""
    if n_jobs is None:
        return max(1, min(os.cpu_count() or 1, 8))
    return check_positive_int(n_jobs, name)


def check_float32_cast(values, name, hint):
    """``values`` (float64 parameters drawn in ``fit``) as float32, refusing what float32 cannot store.

    Raises ValueError naming ``name`` when a value overflows float32 (it would become inf, and every
    output NaN) or when every non-zero value lies below float32's smallest normal number (they would
    be flushed to 0, and every output be the same); ``hint`` says what to change.
    """
    v = np.asarray(values, dtype=np.float64)
    top = max(float(v.max()), -float(v.min())) if v.size else 0.0
    if not np.isfinite(top) or top > float(np.finfo(np.float32).max):
        raise ValueError(f"{name} reach {top:.3g}, beyond the float32 range (3.4e38) they are stored in; {hint}")
    if 0.0 < top < float(np.finfo(np.float32).tiny):
        raise ValueError(f"{name} are at most {top:.3g}, below the smallest normal float32 (1.2e-38): they would "
                         f"be stored as 0; {hint}")
    return v.astype(np.float32)


def check_float32_exact(Z, name, hint, limit=FLOAT32_EXACT):
    """Require the intermediate values ``Z`` to be finite and below ``limit`` (2²⁴) in magnitude.

    For a quantity that is floored to an integer (a bucket number, a quantisation level) or fed to a
    cosine (a phase), float32 beyond 2²⁴ no longer holds the information; the result would be wrong
    without any warning.  Raises ValueError naming ``name`` with the largest magnitude found and
    ``hint`` (a string, or a callable ``top -> str`` evaluated only when raising).
    """
    if Z.size == 0:
        return Z
    hi, lo = float(Z.max()), float(Z.min())
    if not (np.isfinite(hi) and np.isfinite(lo)):
        raise ValueError(f"{name} overflow (inf or NaN); {hint(np.inf) if callable(hint) else hint}")
    top = max(hi, -lo)
    if top >= limit:
        raise ValueError(f"{name} reach {top:.3g}, beyond {limit:.3g} (2^{np.log2(limit):.3g}) where the "
                         f"arithmetic is no longer exact enough; {hint(top) if callable(hint) else hint}")
    return Z


def _label_kind(y):
    """'number', 'text', 'bytes', 'datetime', 'timedelta' or 'mixed' (object arrays of several kinds)."""
    kind = y.dtype.kind
    if kind in "biufc":
        return "number"
    simple = {"U": "text", "S": "bytes", "M": "datetime", "m": "timedelta"}
    if kind in simple:
        return simple[kind]
    kinds = set()
    for v in y.ravel():
        if isinstance(v, (bool, np.bool_, numbers.Number)):
            kinds.add("number")
        elif isinstance(v, (str, np.str_)):
            kinds.add("text")
        elif isinstance(v, (bytes, np.bytes_)):
            kinds.add("bytes")
        else:
            kinds.add(type(v).__name__)
    return kinds.pop() if len(kinds) == 1 else "mixed"


def check_comparable_labels(y_a, y_b, names=("y_query", "y_db")):
    """Two 1-D label arrays whose values can be equal: same kind (numbers, text, bytes, …), no NaN.

    ``"3" == 3`` is False for every pair, so string labels against integer labels would make nothing
    relevant (mAP 0) without any error; NaN labels are never equal to themselves either.  Returns the
    two arrays (``np.asarray``).
    """
    a, b = as_array(y_a, names[0]), as_array(y_b, names[1])
    ka, kb = _label_kind(a), _label_kind(b)
    for name, arr, kind in ((names[0], a, ka), (names[1], b, kb)):
        if kind == "mixed":
            types = sorted({type(v).__name__ for v in arr.ravel()})
            raise ValueError(f"{name} mixes label types {types}; use one type for every label")
        if kind == "number" and arr.dtype.kind in "fc" and np.isnan(arr).any():
            raise ValueError(f"{name} contains NaN labels, which are equal to nothing; remove or relabel them")
        if kind == "number" and arr.dtype == object and any(isinstance(v, float) and v != v for v in arr.ravel()):
            raise ValueError(f"{name} contains NaN labels, which are equal to nothing; remove or relabel them")
    if ka != kb:
        raise ValueError(
            f"{names[0]} holds {ka} labels (dtype {a.dtype}) but {names[1]} holds {kb} labels (dtype {b.dtype}): "
            "no label of one can equal a label of the other; convert both to the same type (e.g. with "
            ".astype(int) or .astype(str))"
        )
    return a, b


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
