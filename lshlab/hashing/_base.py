"""Common machinery for the hash families: validation, chunked encoding, packing.

A hash family subclasses :class:`BaseHasher`, validates its parameters and draws its randomness in
``fit`` (from ``sklearn.utils.check_random_state(self.random_state)``), and implements one hook,
``_encode(X)``, mapping a float32 block of rows to codes.  ``transform`` does the rest: checks that
the estimator is fitted, validates ``X`` (2-D, finite, the fitted number of features), encodes in
row chunks so memory stays bounded, and packs binary codes on request.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import check_matrix, check_positive_int

__all__ = ["BaseHasher"]


class BaseHasher(TransformerMixin, BaseEstimator):
    """Base class: subclasses implement ``fit`` and ``_encode``.

    Class attributes
    ----------------
    binary : bool
        Public: True when the codes are 0/1 bits, one column per bit (then
        ``transform(X, packed=True)`` is available and :class:`lshlab.search.HashTables` keys its
        buckets by the packed bytes); False for integer or q-ary codes
        (:class:`~lshlab.hashing.PStableHash`, :class:`~lshlab.hashing.LeeHash`), which are used as
        they are.  A family that is not binary sets
        ``binary = False`` in its class body.
    _chunk_rows : int
        Rows encoded per block in ``transform`` (bounds the float32 intermediate).
    """

    binary = True
    _chunk_rows = 4096

    # -- helpers for subclasses -------------------------------------------------
    def _validate_fit_input(self, X, dtype=np.float32):
        X = check_matrix(X, "X", dtype=dtype)
        self.n_features_in_ = X.shape[1]
        return X

    def _validate_transform_input(self, X, dtype=np.float32):
        check_is_fitted(self)
        X = check_matrix(X, "X", dtype=dtype)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the dimension it was fitted on)"
            )
        return X

    def _encode(self, X):  # pragma: no cover - abstract hook
        raise NotImplementedError

    # -- public API -------------------------------------------------------------
    def transform(self, X, packed=False):
        """Encode the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        packed : bool, default False
            For binary families: return ``np.packbits`` bytes (8 bits per byte, big-endian bit
            order as numpy) instead of one uint8 column per bit.

        Returns
        -------
        codes : ndarray
            ``uint8`` 0/1 of shape (n_samples, n_bits), or packed ``uint8`` of shape
            (n_samples, ceil(n_bits / 8)); q-ary / integer families document their own dtype.
        """
        X = self._validate_transform_input(X)
        if packed and not self.binary:
            raise ValueError(f"packed=True is only for binary codes; {type(self).__name__} is not binary")
        chunk = check_positive_int(self._chunk_rows, "_chunk_rows")
        blocks = []
        for start in range(0, X.shape[0], chunk):
            codes = self._encode(X[start : start + chunk])
            blocks.append(np.packbits(codes, axis=1) if packed else codes)
        return np.concatenate(blocks, axis=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
