"""Exact Euclidean arithmetic at any offset and scale: the float32 frame, its error bounds, exact recomputation.

Every Euclidean path of lshlab (:func:`~lshlab.search.brute_force_knn`, :class:`~lshlab.search.HashTables`
re-ranking, :func:`lshlab.distances.euclidean_distance_matrix` and :func:`~lshlab.distances.iter_distance_blocks`)
ranks with fast float32 arithmetic and recomputes what decides the answer in float64.  Float32 ranking is
only trustworthy in a good *frame*:

* **Offset.**  The expansion ``‖a − b‖² = ‖a‖² + ‖b‖² − 2aᵀb`` carries a rounding error of about
  ``u (‖a‖² + ‖b‖²)`` (``u = 2⁻²⁴`` in float32).  For data far from the origin — GPS coordinates
  (45°, 7°) ± 0.01, 64-D points at offset 1000 — that error exceeds the distances themselves, and even
  casting such float64 data to float32 erases the differences.  Subtracting a common reference point
  ``c`` (the mean of a sample of the database) *in float64, before the cast* changes no distance and
  leaves only the spread of the data in the norms.
* **Scale.**  Float32 overflows above 3.4e38 and loses precision below 1.2e-38 (their squares at about
  1.8e19 and 1.1e-19).  A power-of-two factor ``s`` brings the data into range without any rounding.

The frame maps ``x ↦ x̃ = fl32((x − c)/s)``; distances in the frame are those of the data divided by
``s``.  It is the identity (and costs nothing) for ordinary data: data whose mean is within 4 spreads of
the origin and whose magnitudes lie in ``[2⁻⁴⁰, 2⁴⁰]``.

Rounding bounds (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed. 2002, §3.1): a dot
product or a sum of ``d`` float32 products, in any order, errs by at most ``γ_d Σ|a_i b_i|`` with
``γ_d = d u / (1 − d u)``; :func:`expansion_error` returns that factor for the expansion, doubled for
safety, and every Euclidean path compares float32 scores only up to such a bound before trusting them.
Exact distances are ``s · sqrt(Σ (x_i/s − q_i/s)²)`` in float64 (:meth:`EuclideanFrame.sq_distances`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "U32",
    "EuclideanFrame",
    "expansion_error",
    "sum_error",
    "underflow_floor",
    "safe_exponent",
    "max_abs",
    "centre_pair",
    "row_ids",
    "check_scaled_range",
    "float_output",
]

#: Unit roundoff of float32 (round to nearest).
U32 = 2.0**-24
_U64 = 2.0**-53
_SAFE_EXP = 40  # data whose largest |value| lies in [2**-40, 2**40] is not rescaled
_CENTRE_RATIO = 16.0  # centre when ‖mean‖² > 16 × the mean squared spread (the mean is > 4 spreads away)
_SAMPLE_ROWS = 1024  # rows of the database that estimate the mean and the spread
_CHUNK_ELEMENTS = 1 << 20  # float64 temporaries of the frame: at most 8 MB


def expansion_error(n_features):
    """Relative error factor of the float32 expansion over ``n_features`` features.

    Returns ``γ = 2 (d + 4) u / (1 − (d + 4) u)`` (``u = 2⁻²⁴``): for float32 vectors ``a``, ``b`` of
    the frame, the computed ``‖b‖² − 2aᵀb`` (one GEMM plus one added norm) differs from the exact value
    by at most ``γ (‖b‖² + 2‖a‖‖b‖)``, plus :func:`underflow_floor` for results in float32's subnormal
    range.  The factor 2 covers the rounding of the inputs and of the final addition.
    """
    return sum_error(n_features, np.float32)


def underflow_floor(n_features):
    """Absolute error of float32 sums of ``n_features`` products that fall in the subnormal range."""
    return (int(n_features) + 4) * 2.0**-140


def safe_exponent(m):
    """``e`` such that dividing by ``2^e`` brings a largest magnitude ``m`` into ``[2⁻⁴⁰, 2⁴⁰]``; 0 if it is.

    ``e`` is the binary exponent of ``m`` (so ``m / 2^e`` lies in ``[0.5, 1)``) when ``m`` is outside
    the safe range, else 0 (nothing is rescaled); 0 for ``m = 0``.
    """
    if m > 0.0 and np.isfinite(m):
        e = int(np.frexp(m)[1])
        if not -_SAFE_EXP <= e <= _SAFE_EXP:
            return e
    return 0


def sum_error(n_terms, dtype=np.float32):
    """Relative error factor of a sum of ``n_terms`` non-negative rounded products in ``dtype``.

    ``2 (n + 4) u / (1 − (n + 4) u)`` with ``u`` the unit roundoff of ``dtype``: a direct
    ``Σ (x_i − q_i)²`` computed in ``dtype`` lies within that factor of the exact value (plus
    :func:`underflow_floor` for float32 results in the subnormal range).
    """
    m = (int(n_terms) + 4) * float(np.finfo(dtype).eps) / 2.0
    return 2.0 * m / (1.0 - m)


def max_abs(X, centre=None):
    """``max |x − centre|`` over the entries of ``X`` (float64), in bounded row chunks."""
    if X.size == 0:
        return 0.0
    if centre is None:
        return max(float(X.max()), -float(X.min()))
    rows = max(1, _CHUNK_ELEMENTS // max(1, X.shape[1]))
    m = 0.0
    for s in range(0, X.shape[0], rows):
        block = X[s : s + rows].astype(np.float64)
        block -= centre
        m = max(m, float(block.max()), -float(block.min()))
    return m


class EuclideanFrame:
    """A reference point ``c`` and a power-of-two scale ``s``: where float32 Euclidean arithmetic is safe.

    Build it with :meth:`fit` from the database (which sets ``c``) and every array that will meet it;
    :meth:`to_frame` maps arrays into the frame, :meth:`sq_distances` gives exact squared distances in
    frame units (the data's divided by ``s²``).

    Attributes
    ----------
    centre : ndarray of float64, shape (d,), or None
        ``c``; None when the data are used uncentred (``c = 0``).
    exponent : int
        ``e`` with ``s = 2^e`` (0 for data in ``[2⁻⁴⁰, 2⁴⁰]``).
    scale : float
        ``s``.
    """

    def __init__(self, centre=None, exponent=0):
        self.centre = centre
        self.exponent = int(exponent)
        self.scale = float(np.ldexp(1.0, self.exponent))

    @property
    def identity(self):
        """True when the frame changes nothing (no centre, ``s = 1``)."""
        return self.centre is None and self.scale == 1.0

    @classmethod
    def fit(cls, ref, *others):
        """The frame of a database ``ref`` and the arrays that meet it (queries, a second matrix).

        ``c`` is the float64 mean of up to 1,024 evenly spaced rows of ``ref``, used only when it lies more
        than 4 root-mean-square spreads from the origin (otherwise centring would not reduce the
        rounding and the data are used as they are); ``s = 2^e`` with ``e`` the binary exponent of the
        largest ``|x − c|`` over all arrays, used only when that exponent is outside ``[−40, 40]``.
        """
        centre = None
        n = ref.shape[0]
        if n:
            rows = np.unique(np.linspace(0, n - 1, min(n, _SAMPLE_ROWS)).astype(np.intp))
            sample = ref[rows].astype(np.float64)
            unit = max_abs(sample)
            if unit > 0.0:  # compare in units of the largest value: no overflow for data near 1e308
                unit = float(np.ldexp(1.0, int(np.frexp(unit)[1])))
                sample /= unit
                mean = sample.mean(axis=0)
                sample -= mean
                spread2 = float(np.einsum("ij,ij->", sample, sample)) / len(rows)
                if float(mean @ mean) > _CENTRE_RATIO * spread2:
                    centre = mean * unit
        m = max(max_abs(A, centre) for A in (ref, *others))
        return cls(centre, safe_exponent(m))

    def to_frame(self, X, dtype=np.float32):
        """``(X − c)/s`` rounded to ``dtype``, C-contiguous (``X`` itself when nothing changes)."""
        if self.identity:
            return np.ascontiguousarray(X, dtype=dtype)
        out = np.empty(X.shape, dtype=dtype)
        rows = max(1, _CHUNK_ELEMENTS // max(1, X.shape[1]))
        for s in range(0, X.shape[0], rows):
            block = X[s : s + rows].astype(np.float64)
            if self.centre is not None:
                block -= self.centre
            if self.scale != 1.0:
                block /= self.scale
            out[s : s + rows] = block
        return out

    def sq_distances(self, X, rows, Q):
        """Exact squared distances ``‖X[rows[i, j]] − Q[i]‖² / s²`` in float64, shape of ``rows``.

        Parameters
        ----------
        X : ndarray (n, d), float32 or float64 — the original data, not the frame's float32 copy
        rows : ndarray of int, shape (m, r) — database rows per query
        Q : ndarray (m, d), original queries

        Notes
        -----
        ``Σ_k (x_k/s − q_k/s)²`` accumulated in float64 from the original values (for ``s = 1`` exactly
        ``Σ (x_k − q_k)²``), gathered in chunks of at most 2²⁰ float64 values (8 MB) whatever ``r``.
        """
        m, r = rows.shape
        out = np.empty((m, r), dtype=np.float64)
        step = max(1, _CHUNK_ELEMENTS // max(1, X.shape[1]))  # (query, row) pairs per chunk
        if r <= step:  # several whole queries per chunk
            g = max(1, step // max(r, 1))
            for i in range(0, m, g):
                out[i : i + g] = self._sq_diff(X[rows[i : i + g]], Q[i : i + g, None, :])
            return out
        for i in range(m):  # long candidate lists: chunks of one query's rows
            for s in range(0, r, step):
                out[i, s : s + step] = self._sq_diff(X[rows[i, s : s + step]], Q[i])
        return out

    def pair_sq_distances(self, A, B, ia, ib):
        """Exact squared distances ``‖A[ia[t]] − B[ib[t]]‖² / s²`` of index pairs, float64, chunked."""
        out = np.empty(len(ia), dtype=np.float64)
        step = max(1, _CHUNK_ELEMENTS // max(1, A.shape[1]))
        for s in range(0, len(ia), step):
            out[s : s + step] = self._sq_diff(A[ia[s : s + step]], B[ib[s : s + step]])
        return out

    def _sq_diff(self, rows, other):
        """``Σ_k (rows_k/s − other_k/s)²`` over the last axis, in float64 (``other`` broadcasts)."""
        diff = rows.astype(np.float64)
        other = np.asarray(other, dtype=np.float64)
        if self.scale != 1.0:
            inv = 1.0 / self.scale
            diff *= inv
            other = other * inv
        diff -= other
        return np.einsum("...k,...k->...", diff, diff)


def centre_pair(X, Y):
    """``(X − c, Y − c)`` with ``c`` the frame centre of ``Y`` (and ``X``), or ``(X, Y)`` when it is None.

    For expansions other than the Euclidean one (a Mahalanobis ``xᵀAx + yᵀAy − 2xᵀAy``) of float64 data:
    the same translation of both changes no distance and removes the cancellation far from the
    origin.  ``Y is X`` is kept (one centred array).
    """
    centre = EuclideanFrame.fit(Y, *(() if Y is X else (X,))).centre
    if centre is None:
        return X, Y
    Xc = X - centre
    return Xc, (Xc if Y is X else Y - centre)


def row_ids(*arrays):
    """Integer ids of the rows of one or more 2-D arrays of one dtype: equal ids ⇔ identical bytes.

    Identical rows have identical distances to everything, so a computation with many duplicate rows
    measures one row per id.  (Rows equal in value but not in bytes, such as ``-0.0`` and ``0.0``, get
    different ids, which only costs a recomputation.)  Returns one id array per input.
    """
    views = []
    for A in arrays:
        A = np.ascontiguousarray(A)
        views.append(A.view(np.dtype((np.void, A.dtype.itemsize * A.shape[1]))).ravel())
    _, inverse = np.unique(np.concatenate(views) if len(views) > 1 else views[0], return_inverse=True)
    inverse = inverse.ravel()
    bounds = np.cumsum([0] + [len(v) for v in views])
    return [inverse[bounds[i] : bounds[i + 1]] for i in range(len(views))]


def _fmt(value, exponent):
    """``value · 2^exponent`` written in decimal, even beyond the float64 range."""
    l10 = float(np.log10(value)) + exponent * float(np.log10(2.0))
    e = int(np.floor(l10))
    return f"{10 ** (l10 - e):.3g}e{e:+03d}"


def check_scaled_range(top, low, exponent, dtype, what, hint):
    """Raise unless ``top · 2^exponent`` and ``low · 2^exponent`` fit ``dtype`` as normal numbers.

    ``top`` is the largest value and ``low`` the smallest non-zero one (None when there is none), both
    non-negative Python floats; the test runs on binary exponents, so nothing overflows on the way.
    """
    info = np.finfo(dtype)
    name = np.dtype(dtype).name
    if top > 0.0:
        m, e = np.frexp(top)  # top = m · 2^e, 0.5 <= m < 1
        e += exponent
        if e > info.maxexp or (e == info.maxexp and m > float(np.ldexp(float(info.max), -info.maxexp))):
            raise ValueError(f"{what} reach {_fmt(top, exponent)}, beyond the {name} range "
                             f"({float(info.max):.3g}); {hint}")
    if low is not None and low > 0.0 and int(np.frexp(low)[1]) + exponent < info.minexp + 1:
        raise ValueError(f"{what} go down to {_fmt(low, exponent)}, below the smallest normal {name} "
                         f"({float(info.tiny):.3g}), where they would be flushed to 0; {hint}")


def float_output(values, exponent, dtype, what, hint):
    """``values · 2^exponent`` as ``dtype``, refusing results the dtype cannot represent.

    Parameters
    ----------
    values : ndarray of float64, non-negative (distances or squared distances in frame units)
    exponent : int, ``e`` of the frame's scale ``s = 2^e`` (``2e`` for squared distances)
    dtype : np.float32 or np.float64
    what : str, what the values are (for the message)
    hint : str, what the caller can do about it

    Raises
    ------
    ValueError
        When a result overflows ``dtype`` or a non-zero result falls below its smallest normal number
        (1.2e-38 in float32), where it would be flushed towards 0: the ranking would be silently lost.
    """
    if values.size:
        pos = values[values > 0]
        check_scaled_range(float(values.max()), float(pos.min()) if pos.size else None, exponent, dtype, what,
                           hint)
    v = np.ldexp(values, exponent) if exponent else values
    return v.astype(dtype, copy=False)
