"""The entry point :func:`load_dataset` and the :class:`Dataset` it returns (pools, sizes, seeds)."""

from __future__ import annotations

import dataclasses
import functools
import numbers

import numpy as np

from .catalog import CLASS_NAMES, IMAGE_SHAPE, POOLS, check_name
from .sources import load_split, locate

__all__ = ["Dataset", "load_dataset"]

_DIGITS_N_TRAIN = 1437  # rows 0..1436 of load_digits are the "official" train split, 1437..1796 the test split


@dataclasses.dataclass(frozen=True, repr=False)
class Dataset:
    """A retrieval dataset: a database (``X_train``, ``y_train``) and queries (``X_query``, ``y_query``).

    Attributes
    ----------
    X_train, X_query : ndarray of float32, shape (n, n_pixels)
        Flattened images, pixels scaled to [0, 1].
    y_train, y_query : ndarray of int64, shape (n,)
        Class labels 0..9 (names in ``classes``).
    name, pool : str
        As passed to :func:`load_dataset`.
    image_shape : tuple of int
        ``(28, 28)`` for MNIST / Fashion-MNIST, ``(8, 8)`` for digits; ``X[i].reshape(image_shape)``.
    source : str
        Folder the files were read from (``"sklearn.datasets.load_digits"`` for digits).
    classes : tuple of str
        Class names, indexed by label.
    train_index, query_index : ndarray of int64
        Row numbers of the selected images within their source split (train split for the database of
        ``pool="official"``, test split otherwise).
    """

    name: str
    pool: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_query: np.ndarray
    y_query: np.ndarray
    image_shape: tuple
    source: str
    classes: tuple
    train_index: np.ndarray
    query_index: np.ndarray

    def __repr__(self):
        return (
            f"Dataset(name={self.name!r}, pool={self.pool!r}, X_train={self.X_train.shape}, "
            f"X_query={self.X_query.shape}, image_shape={self.image_shape}, source={self.source!r})"
        )


def _check_count(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be None (use the default) or an integer >= 1, got {value!r}")
    return int(value)


@functools.lru_cache(maxsize=1)
def _digits_splits():
    """The fixed digits split, read once per process (read-only arrays; callers copy)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.float32) / np.float32(16.0)
    labels = bunch.target.astype(np.int64)
    images.flags.writeable = False
    labels.flags.writeable = False
    n = _DIGITS_N_TRAIN
    return (images[:n], labels[:n]), (images[n:], labels[n:])


def _select(n_total, n, seed, front, label, split_name, pool, name):
    """Rows of a split: all (n None) or ``n`` drawn from the front/back of a seeded permutation."""
    if n > n_total:
        raise ValueError(
            f"{label}={n} exceeds the {n_total:,} images available in the {split_name} split of {name!r} "
            f"with pool={pool!r}; use {label} <= {n_total}"
        )
    perm = np.random.default_rng(seed).permutation(n_total)
    idx = perm[:n] if front else perm[::-1][:n]
    return np.sort(idx).astype(np.int64)


def load_dataset(name, n_train=None, n_query=None, seed=0, pool="official", data_dir=None, download=None):
    """Load a retrieval dataset as database + queries, float32 pixels in [0, 1] and int64 labels.

    Parameters
    ----------
    name : {"digits", "mnist", "fashion-mnist"}
        ``"digits"``: scikit-learn's embedded 8x8 digits (always available, scaled by 1/16).
        ``"mnist"`` / ``"fashion-mnist"``: 28x28 IDX files (scaled by 1/255).
    n_train, n_query : int, optional
        Database and query sizes.  Defaults: the whole train / test split for ``pool="official"``;
        for ``pool="test"`` one tenth of the test split as queries (1,000 for MNIST) and the rest as the
        database.
    seed : int
        Seed of the subsampling permutation (only used when rows are drawn).
    pool : {"official", "test"}
        ``"official"``: database from the train split, queries from the test split.  ``"test"``: both,
        disjointly, from the test split (needs no train files).
    data_dir : path-like, optional
        Folder holding ``<name>/`` sub-folders (or the files directly); replaces the search order.
    download : bool or None
        Whether missing files may be downloaded.  None: yes, unless ``LSHLAB_OFFLINE=1``.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown name / pool, sizes <= 0 or larger than available.
    FileNotFoundError
        Files missing and not downloadable; the message says where to put them and how to avoid them.
    DataIntegrityError
        A file in the chosen folder is truncated, corrupt or the wrong file (never silently skipped).

    Warns
    -----
    DataCacheWarning
        A cached decoded split was unreadable or did not match what it claims; it is rebuilt from the
        verified source files (the result is the same as without a cache).
    """
    check_name(name)
    if not isinstance(pool, str) or pool not in POOLS:
        raise ValueError(f"pool must be one of {', '.join(repr(p) for p in POOLS)}, got {pool!r}")
    n_train = _check_count(n_train, "n_train")
    n_query = _check_count(n_query, "n_query")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if download is not None and not isinstance(download, bool):
        raise ValueError(f"download must be None, True or False, got {download!r}")

    if name == "digits":
        (img_tr, lab_tr), (img_te, lab_te) = _digits_splits()
        source = "sklearn.datasets.load_digits"
        divisor = None  # already divided by 16
    else:
        folder = locate(name, pool, data_dir, download)
        img_te, lab_te = load_split(name, folder, "test")
        if pool == "official":
            img_tr, lab_tr = load_split(name, folder, "train")
        source = str(folder)
        divisor = np.float32(255.0)

    if pool == "official":
        tr_idx = (np.arange(len(lab_tr), dtype=np.int64) if n_train is None
                  else _select(len(lab_tr), n_train, seed, False, "n_train", "train", pool, name))
        q_idx = (np.arange(len(lab_te), dtype=np.int64) if n_query is None
                 else _select(len(lab_te), n_query, seed, True, "n_query", "test", pool, name))
        src_tr = (img_tr, lab_tr)
    else:
        n_total = len(lab_te)
        nq = n_total // 10 if n_query is None else n_query
        nt = n_total - nq if n_train is None else n_train
        if nq + nt > n_total:
            raise ValueError(
                f"pool='test' draws database and queries disjointly from the {n_total:,} test images of "
                f"{name!r}: n_train + n_query = {nt} + {nq} = {nt + nq} exceeds {n_total}; "
                f"choose n_train + n_query <= {n_total}"
            )
        perm = np.random.default_rng(seed).permutation(n_total)
        q_idx = np.sort(perm[:nq]).astype(np.int64)
        tr_idx = np.sort(perm[::-1][:nt]).astype(np.int64)
        src_tr = (img_te, lab_te)

    def rows(images, idx):
        if len(idx) == len(images) and np.array_equal(idx, np.arange(len(images))):
            block = images.reshape(len(images), -1)
        else:
            block = images[idx].reshape(len(idx), -1)
        X = block.astype(np.float32)  # a fresh array, never a view of the cache
        if divisor is not None:
            np.divide(X, divisor, out=X)
        return X

    return Dataset(
        name=name,
        pool=pool,
        X_train=rows(src_tr[0], tr_idx),
        y_train=src_tr[1][tr_idx].astype(np.int64),
        X_query=rows(img_te, q_idx),
        y_query=lab_te[q_idx].astype(np.int64),
        image_shape=IMAGE_SHAPE[name],
        source=source,
        classes=CLASS_NAMES[name],
        train_index=tr_idx,
        query_index=q_idx,
    )
