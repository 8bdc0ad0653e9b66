"""Codes of a retrieval task: encode database and queries with one hasher; their code distances."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._validation import check_binary_codes, check_packed_codes, check_positive_int, check_qary_codes, check_same_width
from ..distances import hamming_distance_matrix, iter_distance_blocks, lee_distance_matrix

__all__ = ["CodePair", "encode_pair", "code_distances", "check_code_pair", "distance_blocks"]


@dataclass(frozen=True, eq=False)
class CodePair:
    """Codes of the queries and of the database, from one encoder.

    Parameters
    ----------
    query : ndarray (n_query, n_columns)
    db : ndarray (n_db, n_columns)
        Binary codes (``uint8`` 0/1, one column per bit), packed binary codes (``uint8`` bytes from
        :func:`lshlab.distances.pack_bits` or ``transform(X, packed=True)``, with ``packed=True``) or
        q-ary symbols in 0 … q − 1 (with ``q``).
    q : int >= 2 or None
        Alphabet size of q-ary codes, compared with the Lee distance; None for binary codes
        (Hamming distance).
    packed : bool
        True when ``query`` and ``db`` hold packed bytes.

    Raises
    ------
    ValueError
        Naming ``query`` or ``db`` when the codes are not 0/1 (or not in 0 … q − 1, or not uint8
        bytes when packed), when their widths differ, or when ``packed`` and ``q`` are both given.
    """

    query: np.ndarray
    db: np.ndarray
    q: int | None = None
    packed: bool = False

    def __post_init__(self):
        if self.q is not None:
            if self.packed:
                raise ValueError("packed=True is for binary codes; q-ary codes (q given) are never packed")
            q = check_positive_int(self.q, "q", minimum=2)
            query = check_qary_codes(self.query, q, "query")
            db = check_qary_codes(self.db, q, "db")
            object.__setattr__(self, "q", q)
        elif self.packed:
            query, db = check_packed_codes(self.query, "query"), check_packed_codes(self.db, "db")
        else:
            query, db = check_binary_codes(self.query, "query"), check_binary_codes(self.db, "db")
        check_same_width(query, db, ("query", "db"),
                         what="bytes per code" if self.packed else "columns (bits or symbols) per code")
        object.__setattr__(self, "query", query)
        object.__setattr__(self, "db", db)
        object.__setattr__(self, "packed", bool(self.packed))

    @property
    def n_query(self) -> int:
        return self.query.shape[0]

    @property
    def n_db(self) -> int:
        return self.db.shape[0]

    @property
    def max_distance(self) -> int:
        """The largest possible code distance: bits (8 per byte when packed), or symbols · ⌊q/2⌋."""
        width = self.query.shape[1]
        if self.q is not None:
            return width * (self.q // 2)
        return 8 * width if self.packed else width

    def prefix(self, n_columns):
        """The codes cut to their first ``n_columns`` bits or symbols (unpacked codes only).

        The bits of a random-feature code (SimHash, Raginsky, Lee symbols) are i.i.d., so the first n
        columns of a long code are an n-column code: one encoding serves every code length.
        """
        if self.packed:
            raise ValueError("prefix needs unpacked codes; build the CodePair from unpacked codes")
        n = check_positive_int(n_columns, "n_columns")
        if n > self.query.shape[1]:
            raise ValueError(f"n_columns={n} exceeds the {self.query.shape[1]} columns of the codes")
        return CodePair(query=self.query[:, :n], db=self.db[:, :n], q=self.q)

    def query_subset(self, rows):
        """The same database with the queries ``self.query[rows]`` (a slice, indices or a mask)."""
        return CodePair(query=self.query[rows], db=self.db, q=self.q, packed=self.packed)


def _code_alphabet(hasher):
    """``q`` of a q-ary hasher (a public integer parameter ``q``, as :class:`LeeHash` has), else None."""
    q = getattr(hasher, "q", None)
    return int(q) if isinstance(q, numbers.Integral) and not isinstance(q, bool) else None


def encode_pair(hasher, X_db, X_query, *, fit_on="db", y=None, packed=False):
    """Fit ``hasher`` (unless already fitted) and encode the database and the queries.

    Parameters
    ----------
    hasher : estimator with ``fit(X[, y])`` and ``transform(X[, packed])``
        Any :mod:`lshlab.hashing` family.  A hasher with an integer parameter ``q`` (``LeeHash``)
        gives q-ary codes compared with the Lee distance; the others give binary codes.
    X_db, X_query : array-like (n_db, d), (n_query, d)
    fit_on : "db", array-like or None, default "db"
        ``"db"`` fits on ``X_db`` (the usual protocol for unsupervised codes); an array fits on it
        (e.g. a training split); None uses ``hasher`` as it is, already fitted.
    y : array-like, optional
        Labels passed to ``fit`` (supervised hashers such as ``DeepSupervisedHash``).
    packed : bool, default False
        Ask binary hashers for packed bytes (8× less memory, same distances).

    Returns
    -------
    CodePair
        ``query = hasher.transform(X_query)``, ``db = hasher.transform(X_db)``.
    """
    if isinstance(fit_on, str):
        if fit_on != "db":
            raise ValueError(f"fit_on must be 'db', an array of training rows or None (already fitted), "
                             f"got {fit_on!r}")
        fit_on = X_db
    if fit_on is None:
        if y is not None:
            raise ValueError("y is only used to fit the hasher; with fit_on=None (already fitted) pass y=None")
        check_is_fitted(hasher)
    elif y is None:
        hasher.fit(fit_on)
    else:
        hasher.fit(fit_on, y)
    q = _code_alphabet(hasher)
    if packed and q is not None:
        raise ValueError(f"packed=True is for binary codes; {type(hasher).__name__} gives q-ary codes (q={q})")
    kw = {"packed": True} if packed else {}
    return CodePair(query=hasher.transform(X_query, **kw), db=hasher.transform(X_db, **kw), q=q, packed=packed)


def check_code_pair(codes):
    """``codes`` itself when it is a :class:`CodePair`, else a ValueError saying how to make one."""
    if not isinstance(codes, CodePair):
        raise ValueError(f"codes must be a CodePair (see encode_pair), got {type(codes).__name__}; wrap "
                         "arrays as CodePair(query=..., db=...)")
    return codes


def code_distances(codes, *, dtype=np.int32):
    """Code distance of every query to every database item, shape (n_query, n_db).

    Hamming distance for binary codes (``codes.q is None``, packed or not), Lee distance
    Σ_i min(|a_i − b_i|, q − |a_i − b_i|) for q-ary codes.  ``dtype`` is the integer type of the
    result (``np.uint16`` halves memory for codes shorter than 65,536 bits).  The whole matrix is
    returned; :func:`score_codes` works in blocks instead.
    """
    codes = check_code_pair(codes)
    if codes.q is not None:
        return lee_distance_matrix(codes.query, codes.db, q=codes.q, dtype=dtype)
    return hamming_distance_matrix(codes.query, codes.db, packed=codes.packed, dtype=dtype)


def distance_blocks(codes, block_rows):
    """``(start, stop, D)`` over blocks of query rows (integer D, as small a dtype as the codes allow)."""
    metric = "hamming" if codes.q is None else "lee"
    return iter_distance_blocks(codes.query, codes.db, metric, q=codes.q, packed=codes.packed,
                                block_rows=block_rows)
