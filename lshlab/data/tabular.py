"""Tabular and binary-task loaders for the random-feature lecture (Rahimi & Recht; Sinha & Duchi).

:func:`load_csv_classification` reads a numeric CSV such as the UCI tables of the seed (Buzz, Online
News, Adult, Seizure) into float32 features and ±1 labels; :func:`binary_task` cuts a "class a vs class
b" problem out of an image dataset of :func:`lshlab.data.load_dataset`.
"""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np

from .._validation import check_positive_int
from .catalog import CLASS_NAMES, check_name
from .datasets import load_dataset

__all__ = ["load_csv_classification", "binary_task"]


def load_csv_classification(path, label_column=-1, positive=None, delimiter=",", skip_header=None):
    """Read a numeric CSV (e.g. the UCI Buzz / Online News / Adult / Seizure tables of the seed).

    Parameters
    ----------
    path : str or Path
    label_column : int
        Column holding the label (default the last).
    positive : number or None
        Label value mapped to +1 (all others −1).  None requires exactly two distinct values and maps
        the larger one to +1.
    skip_header : int or None
        Header lines to skip; None skips one line when the first line is not numeric.

    Returns
    -------
    X : float32 (n, d), y : int (n,) in {−1, +1}
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; download the CSV and pass its path")
    if skip_header is None:
        with path.open() as fh:
            first = fh.readline()
        try:
            [float(v) for v in first.strip().split(delimiter) if v.strip()]
            skip_header = 0
        except ValueError:
            skip_header = 1
    data = np.genfromtxt(path, delimiter=delimiter, skip_header=skip_header, dtype=np.float64, ndmin=2)
    if data.ndim != 2 or data.shape[1] < 2:
        raise ValueError(f"{path} must hold a numeric table with at least two columns, got shape {data.shape}")
    if np.isnan(data).any():
        bad = np.argwhere(np.isnan(data))[0]
        raise ValueError(f"{path}: non-numeric or missing value at data row {bad[0]}, column {bad[1]}; "
                         "encode categorical columns numerically first")
    labels = data[:, label_column]
    X = np.delete(data, label_column % data.shape[1], axis=1).astype(np.float32)
    values = np.unique(labels)
    if positive is None:
        if values.size != 2:
            raise ValueError(f"{path}: label column has {values.size} distinct values; pass positive=<value>")
        positive = values.max()
    elif positive not in values:
        raise ValueError(f"{path}: positive={positive!r} does not occur in the label column (values {values[:10]})")
    y = np.where(labels == positive, 1, -1)
    return X, y


def binary_task(name, positive, negative, n_train, n_test, pool="official", seed=0):
    """A ±1 task "class ``positive`` vs class ``negative``" from an image dataset of :mod:`lshlab.data`.

    Both splits of ``load_dataset(name, pool=pool)`` are pooled, the two classes kept, shuffled by
    ``seed`` and cut into ``n_train`` training and ``n_test`` test rows (disjoint).

    Returns
    -------
    X_train, y_train, X_test, y_test with labels +1 (``positive``) / −1 (``negative``).
    """
    n_train = check_positive_int(n_train, "n_train")
    n_test = check_positive_int(n_test, "n_test")
    check_name(name)
    n_classes = len(CLASS_NAMES[name])
    for arg, value in (("positive", positive), ("negative", negative)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < n_classes:
            raise ValueError(f"{arg} must be a class label of {name!r}, an integer in 0..{n_classes - 1}, "
                             f"got {value!r}")
    if positive == negative:
        raise ValueError(f"positive and negative must be different classes, got {positive!r} twice")
    ds = load_dataset(name, pool=pool, seed=seed)
    X = np.concatenate([ds.X_train, ds.X_query])
    y = np.concatenate([ds.y_train, ds.y_query])
    keep = np.isin(y, (positive, negative))
    if keep.sum() < n_train + n_test:
        raise ValueError(f"{name} has {keep.sum()} images of classes {positive}/{negative} in pool {pool!r}; "
                         f"asked for n_train + n_test = {n_train + n_test}")
    X, y = X[keep], np.where(y[keep] == positive, 1, -1)
    idx = np.random.default_rng(seed).permutation(len(y))
    tr, te = idx[:n_train], idx[n_train : n_train + n_test]
    return X[tr], y[tr], X[te], y[te]
