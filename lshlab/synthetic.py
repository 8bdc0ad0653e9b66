"""A database of any size that behaves like real images: per-class Gaussians in PCA space.

Fashion-MNIST has 70,000 images; the scale lecture needs 80 million.  The extra items come from a
simple generative model fitted on the real training images, and are streamed in chunks straight into
binary codes, so memory holds only the codes.  The real images stay in the database (its first rows)
and the queries are real test images, so labels and true neighbours keep their meaning.

The model (:class:`GaussianImageModel`)
---------------------------------------
1. PCA of the training images: mean ``m`` and the top ``p`` principal directions ``V`` (784 × p,
   orthonormal columns); latent coordinates ``z = Vᵀ(x − m)``.
2. Per class ``c``: the prior ``π_c`` (class frequency), the mean ``μ_c`` and the covariance
   ``Σ_c`` (maximum likelihood, divided by ``n_c``) of the latent coordinates of its images.
3. A generated item: ``c ~ Categorical(π)``, ``z = μ_c + L_c e`` with ``e ~ N(0, I_p)`` and
   ``Σ_c = L_c L_cᵀ`` (Cholesky), image ``x = m + V z``.

So each class is a Gaussian "cloud" of images around its mean image, with the pixel correlations of
that class inside the top ``p`` principal directions.  What it keeps: the class structure, the
coarse shape of every class and the density of images around a real query at that scale.  What it
does not: detail outside the ``p`` directions (generated images are as smooth as a ``p``-component
reconstruction), the non-Gaussian shape of a class (several styles of sandal are one ellipsoid here),
and pixel bounds (a Gaussian is not confined to [0, 1]; images are not clipped, which keeps the model
linear).  It is a stand-in for scale, not a model of clothing.

Codes without images
--------------------
For a hasher linear in the input, ``b(x) = 1[W ᵀ(x − μ) ≥ 0]`` (SimHash, PCAH, ITQ — see
:func:`linear_code_map`), the code of a generated image depends on ``e`` only through

.. math:: W^\\top(x - \\mu) = (L_c^\\top A)^\\top e + A^\\top \\mu_c + W^\\top(m - \\mu),\\qquad A = V^\\top W,

a ``p × b`` matrix product per item instead of building the 784-pixel image: 80 million 64-bit codes
take minutes, not hours.  The result equals hashing the reconstructed images (tested, up to the
float rounding of projections within 1e-5 of zero).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ._parallel import map_threads
from ._validation import check_matrix, check_n_jobs, check_positive_int
from .hashing import ITQHash, PCAHash, RandomHyperplaneHash
from .hashing.pca_itq import pca_directions

__all__ = ["GaussianImageModel", "linear_code_map", "synthetic_codes", "CodeDatabase", "code_database",
           "database_features"]

CHUNK_ROWS = 1 << 16  # items per generated chunk (the seed of chunk i is (random_state, i)); 16 MB of normals


def _label_dtype(classes):
    """Smallest integer dtype holding every class label (80 M labels: 80 MB as uint8, 640 MB as int64)."""
    classes = np.asarray(classes)
    if not np.issubdtype(classes.dtype, np.integer) or classes.size == 0:
        return classes.dtype
    return np.result_type(np.min_scalar_type(int(classes.min())), np.min_scalar_type(int(classes.max())))


def _check_seed(random_state):
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral) or random_state < 0:
        raise ValueError(f"random_state must be an integer >= 0 (chunks are seeded by (random_state, chunk)), "
                         f"got {random_state!r}")
    return int(random_state)


class GaussianImageModel:
    """Per-class Gaussians in the space of the top ``n_components`` principal directions.

    See the module docstring for the model and what it does and does not reproduce.

    Parameters
    ----------
    n_components : int, default 64
        Principal directions ``p`` kept.

    Attributes
    ----------
    mean_ : ndarray (n_features,)
        Pixel mean ``m`` of the training images.
    components_ : ndarray (n_features, p)
        Principal directions ``V`` (orthonormal columns).
    explained_variance_ratio_ : float
        Fraction of the pixel variance inside the ``p`` directions.
    classes_ : ndarray (n_classes,)
    priors_ : ndarray (n_classes,)
        Class frequencies ``π_c``.
    means_ : ndarray (n_classes, p)
        Latent class means ``μ_c``.
    covariances_ : ndarray (n_classes, p, p)
        Latent class covariances ``Σ_c`` (maximum likelihood).
    cholesky_ : ndarray (n_classes, p, p)
        Lower-triangular ``L_c`` with ``Σ_c = L_c L_cᵀ``.
    """

    def __init__(self, n_components=64):
        self.n_components = n_components

    def fit(self, X, y):
        """Fit the PCA and the per-class Gaussians on images ``X`` (rows) with labels ``y``."""
        p = check_positive_int(self.n_components, "n_components")
        X = check_matrix(X, "X", dtype=np.float64)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"y must be a 1-D array of {len(X)} labels, got shape {y.shape}")
        if p > X.shape[1]:
            raise ValueError(f"n_components={p} exceeds the {X.shape[1]} features of X")
        self.mean_, self.components_, var = pca_directions(X, p)
        total = float(((X - self.mean_) ** 2).sum(axis=1).mean())
        self.explained_variance_ratio_ = float(var.sum() / total) if total > 0 else 1.0
        Z = (X - self.mean_) @ self.components_
        self.classes_, counts = np.unique(y, return_counts=True)
        if np.any(counts <= p):
            small = self.classes_[counts <= p]
            raise ValueError(f"classes {small.tolist()} have at most n_components={p} images, too few to estimate "
                             f"a {p}×{p} covariance; lower n_components or give more images")
        self.priors_ = counts / counts.sum()
        self.means_ = np.stack([Z[y == c].mean(axis=0) for c in self.classes_])
        self.covariances_ = np.stack([np.cov(Z[y == c], rowvar=False, bias=True) for c in self.classes_])
        jitter = 1e-10 * np.trace(self.covariances_, axis1=1, axis2=2)[:, None, None] * np.eye(p)
        self.cholesky_ = np.linalg.cholesky(self.covariances_ + jitter)
        self.n_features_in_ = X.shape[1]
        return self

    def _check_fitted(self):
        if not hasattr(self, "cholesky_"):
            raise ValueError("this GaussianImageModel is not fitted yet; call fit(X, y) first")

    def _draw(self, rng, n):
        """Class labels (index into ``classes_``) and standard normals ``e`` of ``n`` items, in a fixed order."""
        label = rng.choice(len(self.classes_), size=n, p=self.priors_).astype(np.int16)
        e = rng.standard_normal((n, self.components_.shape[1]), dtype=np.float32)
        return label, e

    def _chunks(self, n, random_state, chunk_rows):
        seed = _check_seed(random_state)
        chunk_rows = check_positive_int(chunk_rows, "chunk_rows")
        n = check_positive_int(n, "n", minimum=0)
        for i, c0 in enumerate(range(0, n, chunk_rows)):
            yield i, c0, min(c0 + chunk_rows, n), np.random.default_rng([seed, i])

    def sample_latent(self, n, random_state=0, chunk_rows=CHUNK_ROWS):
        """Latent coordinates ``z`` (n, p) float64 and labels (n,) of ``n`` generated items.

        Chunk ``i`` of ``chunk_rows`` items is drawn from ``numpy.random.default_rng([random_state, i])``,
        so the same ``(random_state, chunk_rows)`` gives the same items as :func:`synthetic_codes`.
        """
        self._check_fitted()
        Z = np.empty((n, self.components_.shape[1]))
        y = np.empty(n, dtype=self.classes_.dtype)
        for _, c0, c1, rng in self._chunks(n, random_state, chunk_rows):
            label, e = self._draw(rng, c1 - c0)
            Z[c0:c1] = self.means_[label] + np.einsum("nij,nj->ni", self.cholesky_[label], e.astype(np.float64))
            y[c0:c1] = self.classes_[label]
        return Z, y

    def reconstruct(self, Z):
        """Images ``x = m + V z`` of latent rows ``Z`` (not clipped to [0, 1])."""
        self._check_fitted()
        return self.mean_ + np.asarray(Z, dtype=np.float64) @ self.components_.T

    def sample(self, n, random_state=0, chunk_rows=CHUNK_ROWS):
        """``n`` generated images (n, n_features) float32 and their labels."""
        Z, y = self.sample_latent(n, random_state, chunk_rows)
        return self.reconstruct(Z).astype(np.float32), y

    def sample_chunk(self, index, n, random_state=0, chunk_rows=CHUNK_ROWS):
        """Images and labels of chunk ``index`` of :meth:`sample` ``(n, random_state, chunk_rows)`` alone:
        rows ``index · chunk_rows …`` — what one worker generates without the others."""
        self._check_fitted()
        index = check_positive_int(index, "index", minimum=0)
        chunks = -(-check_positive_int(n, "n", minimum=0) // check_positive_int(chunk_rows, "chunk_rows"))
        if index >= chunks:
            raise ValueError(f"index={index} is beyond the {chunks} chunks of {n} items")
        rows = min(chunk_rows, n - index * chunk_rows)
        label, e = self._draw(np.random.default_rng([_check_seed(random_state), index]), rows)
        Z = self.means_[label] + np.einsum("nij,nj->ni", self.cholesky_[label], e.astype(np.float64))
        return self.reconstruct(Z).astype(np.float32), self.classes_[label]


def linear_code_map(hasher):
    """``(W, b)`` such that ``hasher.transform(X) == (X @ W + b >= 0)`` for a fitted linear hasher.

    Supported: :class:`~lshlab.hashing.RandomHyperplaneHash` (``W`` = the planes, ``b = −μW`` when
    centred), :class:`~lshlab.hashing.PCAHash` (``W`` = the principal directions) and
    :class:`~lshlab.hashing.ITQHash` (``W`` = directions × rotation).  All threshold at zero with the
    convention ``1[· ≥ 0]``.

    Returns
    -------
    W : ndarray (n_features, n_bits), float64
    b : ndarray (n_bits,), float64
    """
    if isinstance(hasher, RandomHyperplaneHash):
        W = np.asarray(hasher.planes_, dtype=np.float64)
    elif isinstance(hasher, ITQHash):
        W = np.asarray(hasher.components_, dtype=np.float64) @ hasher.rotation_
    elif isinstance(hasher, PCAHash):
        W = np.asarray(hasher.components_, dtype=np.float64)
    else:
        raise ValueError(f"linear_code_map supports fitted RandomHyperplaneHash, PCAHash and ITQHash, got "
                         f"{type(hasher).__name__}; generate images with GaussianImageModel.sample and "
                         "call hasher.transform instead")
    if not hasattr(hasher, "mean_"):
        raise ValueError(f"this {type(hasher).__name__} is not fitted yet; call fit(X) first")
    return W, -np.asarray(hasher.mean_, dtype=np.float64) @ W


class _LatentCoder:
    """Per class: ``G_c = L_cᵀ A`` (p × b) and ``h_c = μ_c A + mW + b`` for one linear hasher."""

    def __init__(self, model, hasher):
        W, b = linear_code_map(hasher)
        if W.shape[0] != model.mean_.shape[0]:
            raise ValueError(f"the hasher was fitted on {W.shape[0]} features but the model on "
                             f"{model.mean_.shape[0]}; fit both on the same images")
        A = model.components_.T @ W  # p × b
        self.n_bits = W.shape[1]
        self.G = np.einsum("cji,jb->cib", model.cholesky_, A).astype(np.float32)  # L_cᵀ A
        self.h = (model.means_ @ A + model.mean_ @ W + b).astype(np.float32)

    def encode(self, label, e):
        out = np.empty((len(label), -(-self.n_bits // 8)), dtype=np.uint8)
        for c in np.unique(label):
            rows = np.flatnonzero(label == c)
            proj = e[rows] @ self.G[c]
            proj += self.h[c]
            out[rows] = np.packbits(proj >= 0, axis=1)
        return out


def synthetic_codes(model, hashers, n, *, random_state=0, chunk_rows=CHUNK_ROWS, n_jobs=None, out=None):
    """Packed codes of ``n`` generated items under one or several linear hashers, chunk by chunk.

    Memory holds the codes and one chunk per thread, never the images.

    Parameters
    ----------
    model : fitted :class:`GaussianImageModel`
    hashers : a fitted linear hasher or a list of them (see :func:`linear_code_map`), all fitted on
        images of the model's size; every hasher codes the *same* items.
    n : int >= 0
    random_state : int >= 0
        Chunk ``i`` is drawn from ``default_rng([random_state, i])`` (reproducible whatever ``n_jobs``).
    chunk_rows : int
    n_jobs : int or None
        Threads over chunks (numpy's generator and BLAS release the GIL); None = the CPU cores.
    out : list of ndarray, optional
        Preallocated ``uint8`` arrays (n, ⌈n_bits/8⌉), one per hasher (e.g. slices of a larger array).

    Returns
    -------
    codes : list of ndarray of uint8, packed (``np.packbits`` order), one per hasher
    labels : ndarray (n,)
    """
    model._check_fitted()
    single = not isinstance(hashers, (list, tuple))
    coders = [_LatentCoder(model, h) for h in ([hashers] if single else hashers)]
    chunks = list(model._chunks(n, random_state, chunk_rows))
    if out is None:
        out = [np.empty((n, -(-c.n_bits // 8)), dtype=np.uint8) for c in coders]
    elif len(out) != len(coders) or any(o.shape != (n, -(-c.n_bits // 8)) for o, c in zip(out, coders)):
        raise ValueError("out must hold one (n, ceil(n_bits / 8)) uint8 array per hasher")
    labels = np.empty(n, dtype=_label_dtype(model.classes_))

    def work(chunk):
        _, c0, c1, rng = chunk
        label, e = model._draw(rng, c1 - c0)
        labels[c0:c1] = model.classes_[label]
        for coder, o in zip(coders, out):
            o[c0:c1] = coder.encode(label, e)

    with threadpool_limits(limits=1, user_api="blas"):  # threads over chunks, not inside the small GEMMs
        map_threads(work, chunks, check_n_jobs(n_jobs))
    return (out[0] if single else out), labels


@dataclass
class CodeDatabase:
    """Codes of a database of real + generated images and of real query images.

    Attributes
    ----------
    codes : dict n_bits -> ndarray of uint8 (n_items, n_bits / 8), packed; rows ``0 … n_real − 1`` are
        the real training images, the rest generated.
    labels : ndarray (n_items,)
    n_real : int
    query_codes : dict n_bits -> ndarray of uint8 (n_queries, n_bits / 8)
    query_labels : ndarray (n_queries,)
    hashers : dict n_bits -> the fitted hasher
    """

    codes: dict
    labels: np.ndarray
    n_real: int
    query_codes: dict
    query_labels: np.ndarray
    hashers: dict

    @property
    def n_items(self):
        return len(self.labels)


def code_database(model, hashers, X_real, y_real, X_query, y_query, n_items, *, random_state=0,
                  chunk_rows=CHUNK_ROWS, n_jobs=None):
    """Codes of ``n_items`` images: the real ones first, then generated items; and of the real queries.

    Parameters
    ----------
    model : fitted :class:`GaussianImageModel`
    hashers : list of fitted linear hashers with distinct code lengths
    X_real, y_real : real database images and labels (the first rows of the database)
    X_query, y_query : real query images and labels
    n_items : int >= len(X_real)
        Database size; ``n_items − len(X_real)`` items are generated (:func:`synthetic_codes`).

    Returns
    -------
    :class:`CodeDatabase`
    """
    hashers = list(hashers) if isinstance(hashers, (list, tuple)) else [hashers]
    bits = [linear_code_map(h)[0].shape[1] for h in hashers]
    if len(set(bits)) != len(bits):
        raise ValueError(f"hashers must have distinct code lengths, got {bits}")
    n_real = len(X_real)
    n_items = check_positive_int(n_items, "n_items")
    if n_items < n_real:
        raise ValueError(f"n_items={n_items} is smaller than the {n_real} real images; use n_items >= {n_real}")
    codes = {b: np.empty((n_items, -(-b // 8)), dtype=np.uint8) for b in bits}
    labels = np.empty(n_items, dtype=np.result_type(_label_dtype(model.classes_), _label_dtype(y_real)))
    labels[:n_real] = y_real
    for b, h in zip(bits, hashers):
        codes[b][:n_real] = h.transform(X_real, packed=True)
    _, gen_labels = synthetic_codes(model, hashers, n_items - n_real, random_state=random_state,
                                    chunk_rows=chunk_rows, n_jobs=n_jobs,
                                    out=[codes[b][n_real:] for b in bits])
    labels[n_real:] = gen_labels
    query_codes = {b: h.transform(X_query, packed=True) for b, h in zip(bits, hashers)}
    return CodeDatabase(codes, labels, n_real, query_codes, np.asarray(y_query), dict(zip(bits, hashers)))


def database_features(model, X_real, n, n_items, *, random_state=0, chunk_rows=CHUNK_ROWS):
    """PCA coordinates (float32) of the first ``n`` items of a :func:`code_database` of ``n_items`` items.

    The real images are projected (``z = Vᵀ(x − m)``); the generated items get their latent ``z`` —
    the very items whose codes the database holds (same ``random_state`` and ``chunk_rows``), so an
    index on these features and one on the codes search the same items.  For a generated image
    ``x = m + V z`` the Euclidean distances between features equal those between images.

    Parameters
    ----------
    model : fitted :class:`GaussianImageModel`
    X_real : the real images at the head of the database
    n : int, items wanted (``n <= n_items``)
    n_items : int, size of the database they come from
    """
    n, n_items = check_positive_int(n, "n"), check_positive_int(n_items, "n_items")
    if n > n_items:
        raise ValueError(f"n={n} exceeds the database size n_items={n_items}")
    n_real = len(X_real)
    head = min(n, n_real)
    Z = np.empty((n, model.components_.shape[1]), dtype=np.float32)
    Z[:head] = (np.asarray(X_real[:head], dtype=np.float64) - model.mean_) @ model.components_
    n_gen, total_gen = n - head, n_items - n_real
    if n_gen > 0:
        # the first chunks of a stream do not depend on its length, as long as they are full in both
        draw = min(total_gen, -(-n_gen // chunk_rows) * chunk_rows)
        Z[head:] = model.sample_latent(draw, random_state=random_state, chunk_rows=chunk_rows)[0][:n_gen]
    return Z
