"""Reliability: bad input across the public API gets a clear error; nothing is silently coerced.

1. ``BAD_INPUT`` is a table: each row calls one public entry point with one kind of bad input and
   names the exception type (``ValueError``, or ``FileNotFoundError`` / ``RuntimeError`` where apt)
   and a regex the message must match.  The regexes ask for the *argument's name* and for *what is
   expected* (a bound, a shape, a dtype), so an error such as ``IndexError: index 7 is out of
   bounds`` or a bare ``ValueError("bad input")`` fails the row.  ``test_kinds_covered`` counts the
   distinct kinds of bad input in the table (the issue asks for at least 20).
2. No silent coercion: values that would be changed by a cast (0.5 codes, byte values in binary
   codes, complex numbers, integers that float32 cannot hold) are rejected, and integer images are
   neither rescaled nor treated differently from the same values as floats.
3. No public call modifies its input arrays in place.

Rows whose entry point does not raise a clear ``ValueError`` yet are marked
``xfail(strict=True, reason=<the defect>)``: the suite stays green until the fix lands, and a fixed
defect turns the row red (XPASS strict) so the mark gets removed.  Data *download* faults are tested in
``tests/test_data_download.py`` and are not repeated here.
"""

from __future__ import annotations

import gzip
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import NotFittedError

from lshlab import data as lshdata
from lshlab import distances, features, kernel_learning, kernels, metric_learning, metrics, random_features, search
from hasher_specs import hasher_specs
from lshlab.evaluation import CodePair
from lshlab import hashing as H
from lshlab.hashing import lee as hashing_lee, metric as hashing_metric
from lshlab.hashing import random_projection, spectral

RNG = np.random.default_rng(12)
X = RNG.normal(size=(30, 6)).astype(np.float32)  # a small float32 data matrix
Q = RNG.normal(size=(4, 6)).astype(np.float32)
X01 = RNG.random((30, 64)).astype(np.float32)  # 8 x 8 "images" in [0, 1]
B = RNG.integers(0, 2, (10, 16)).astype(np.uint8)  # unpacked binary codes
P = np.packbits(B, axis=1)  # packed codes (bytes up to 255)
C4 = RNG.integers(0, 4, (10, 8)).astype(np.uint8)  # 4-ary codes
Y2 = np.repeat([0, 1], 15)  # two classes for X
YPM = np.where(Y2 == 0, -1, 1).astype(np.int8)  # the same as -1 / +1


def _with_nan(A):
    A = np.array(A, dtype=np.float32)
    A[1, 2] = np.nan
    return A


def _with_inf(A):
    A = np.array(A, dtype=np.float32)
    A[0, 0] = np.inf
    return A


def _fitted(est, A=X, y=None):
    return est.fit(A) if y is None else est.fit(A, y)


def _in_tmp(fn):
    """Call ``fn(folder)`` with a fresh empty temporary folder (removed afterwards)."""
    with tempfile.TemporaryDirectory() as d:
        return fn(Path(d))


def _corrupt_mnist(folder):
    """An MNIST folder whose test-image file is a valid gzip of garbage bytes (not an IDX file)."""
    sub = folder / "mnist"
    sub.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        with gzip.open(sub / name, "wb") as fh:
            fh.write(b"this is not an IDX file" * 10)
    return lshdata.load_dataset("mnist", pool="test", data_dir=folder, download=False)


def _itml():
    from lshlab.metric_learning import ITML

    return ITML(max_iter=20, random_state=0)


def _langevin(**kw):
    from lshlab.kernel_learning import LangevinKernelLearner, PairAlignmentLoss

    params = dict(n_particles=8, max_iter=2, objective=PairAlignmentLoss(n_pairs=64, batch_size=16, n_eval=8),
                  random_state=0)
    params.update(kw)
    return LangevinKernelLearner(**params)


def _widgets(topic):
    """A widgets topic module (its pure ``update_*`` functions need no browser)."""
    import importlib

    return importlib.import_module(f"lshlab.widgets.{topic}")


def _collage(**kw):
    from lshlab import plots

    rng = np.random.default_rng(0)
    images = rng.random((6, 64))
    return plots.plot_retrieval_collage(images[:3], images, np.zeros((3, 2), int), np.array([2, 0, 1]),
                                        np.zeros(6, int), (8, 8), **kw)


def _fit_pairs(pairs, similar, X=X):
    return _itml().fit_pairs(pairs=pairs, similar=similar, X=X)


def _dsh(**kw):
    params = dict(n_bits=4, max_iter=1, batch_size=10, image_shape=(8, 8), n_jobs=1, progress=False,
                  random_state=0)
    params.update(kw)
    return H.DeepSupervisedHash(**params)


def _solve_meanfield(**kw):
    from lshlab.meanfield import MeanFieldProblem, solve_meanfield

    problem = dict(bounds=(0.0, 1.0), beta=10.0, n_cells=20, potential=lambda g: g)
    run = dict(t_final=0.01, dt=0.01, t_eval=[0.0, 0.01])  # one step: cheap
    for key, value in kw.items():
        (run if key in ("rho0", "t_final", "dt", "t_eval") else problem)[key] = value
    return solve_meanfield(MeanFieldProblem(**problem), **run)


NOT_FITTED = r"(?i)not fitted yet.*call .?fit"


class _WrongRows:
    """A hasher whose transform returns 3 rows whatever it is given."""

    def fit(self, X):
        return self

    def transform(self, X, packed=False):
        return np.zeros((3, 1), dtype=np.uint8)


def xfail(defect):
    return pytest.mark.xfail(strict=True, reason=defect)


# (kind, id, callable, exception type, regex the message must match)
_ROWS = [
    # ------------------------------------------------------------------ shapes
    ("wrong ndim", "pack_bits 1-D", lambda: distances.pack_bits(B[0]), ValueError, r"B must be a 2-D array"),
    ("wrong ndim", "hyperplane fit 1-D", lambda: H.RandomHyperplaneHash(8).fit(X[0]), ValueError,
     r"X must be a 2-D array \(n_samples, n_features\)"),
    ("wrong ndim", "hyperplane fit 3-D", lambda: H.RandomHyperplaneHash(8).fit(X[None]), ValueError,
     r"X must be a 2-D array"),
    ("wrong ndim", "brute_force_knn 1-D query", lambda: search.brute_force_knn(X, Q[0], 1), ValueError,
     r"Q must be a 2-D array"),
    ("wrong ndim", "LeeIndex 1-D codes", lambda: search.LeeIndex(C4[0], 4), ValueError,
     r"codes must be a 2-D array"),
    ("wrong ndim", "hog 4-D images", lambda: features.hog_features(
        X01.reshape(30, 1, 8, 8), image_shape=(8, 8)), ValueError, r"images must be \(n, H\*W\) or \(n, H, W\)"),
    ("empty array", "euclidean empty", lambda: distances.euclidean_distance_matrix(np.zeros((0, 3))), ValueError,
     r"A is empty.*(at least one|minimum of 1)"),
    ("empty array", "hamming empty", lambda: distances.hamming_distance_matrix(B[:0], B), ValueError, r"A is empty"),
    ("empty array", "hasher fit empty", lambda: H.PCAHash(2).fit(X[:0]), ValueError, r"X is empty"),
    ("empty array", "knn empty database", lambda: search.brute_force_knn(X[:0], Q, 1), ValueError, r"X is empty"),
    ("empty array", "hog no images", lambda: features.hog_features(
        np.zeros((0, 64)), image_shape=(8, 8)), ValueError, r"images is empty"),
    # ------------------------------------------------------------------ values
    ("NaN", "hasher fit NaN", lambda: H.ShiftInvariantHash(8, random_state=0).fit(_with_nan(X)), ValueError,
     r"X contains NaN or infinite"),
    ("NaN", "transform NaN", lambda: _fitted(H.RandomHyperplaneHash(8, random_state=0)).transform(_with_nan(Q)),
     ValueError, r"X contains NaN"),
    ("NaN", "knn NaN query", lambda: search.brute_force_knn(X, _with_nan(Q), 1), ValueError, r"Q contains NaN"),
    ("NaN", "gaussian kernel NaN", lambda: kernels.gaussian_kernel(_with_nan(X)), ValueError, r"X contains NaN"),
    ("NaN", "ITML fit NaN", lambda: _itml().fit(_with_nan(X), Y2), ValueError, r"X contains NaN"),
    ("NaN", "raginsky r NaN", lambda: kernels.raginsky_disagreement_probability(1.0, [0.5, np.nan]), ValueError,
     r"r must hold finite distances >= 0"),
    ("NaN", "mAP NaN distances", lambda: metrics.mean_average_precision(_with_nan(np.ones((3, 5))),
                                                                       np.ones((3, 5), bool)),
     ValueError, r"distances contains NaN"),
    ("inf", "euclidean inf", lambda: distances.euclidean_distance_matrix(_with_inf(X)), ValueError,
     r"A contains NaN or infinite"),
    ("inf", "PStable fit inf", lambda: H.PStableHash(4, random_state=0).fit(_with_inf(X)), ValueError,
     r"X contains NaN or infinite"),
    ("inf", "metric matrix inf", lambda: H.MetricHash(4, metric_matrix=_with_inf(np.eye(6))).fit(X), ValueError,
     r"metric_matrix contains NaN or infinite"),
    ("inf", "float64 distances beyond float32", lambda: search.brute_force_knn(X.astype(np.float64) * 1e300, Q, 1),
     ValueError, r"distances of X and Q reach .* beyond the float32 range.*dtype=np\.float64"),
    ("inf", "float64 overflow in float32", lambda: H.RandomHyperplaneHash(8).fit(X.astype(np.float64) * 1e300),
     ValueError, r"X holds values up to .*e\+300, beyond the float32 range.*rescale X"),
    ("inf", "SchoenbergKernel xi inf", lambda: kernels.SchoenbergKernel([1.0, np.inf]), ValueError,
     r"xi must be finite and > 0"),
    # ------------------------------------------------------------------ dtypes
    ("wrong dtype (strings/object)", "knn strings", lambda: search.brute_force_knn(X.astype(str), Q, 1), ValueError,
     r"X must hold numbers, got dtype <U"),
    ("wrong dtype (strings/object)", "hasher fit object", lambda: H.RandomHyperplaneHash(8).fit(X.astype(object)),
     ValueError, r"X must hold numbers, got dtype object"),
    ("wrong dtype (strings/object)", "ragged rows", lambda: H.LeeHash(4).fit([[1.0, 2.0], [3.0]]), ValueError,
     r"X must be an array-like of numbers"),
    ("wrong dtype (strings/object)", "hog strings", lambda: features.hog_features(
        X01.astype(str), image_shape=(8, 8)), ValueError, r"images must hold numbers"),
    ("wrong dtype (complex)", "knn complex X", lambda: search.brute_force_knn(X + 1j, Q, 1), ValueError,
     r"X must be real-valued, got dtype complex"),
    ("wrong dtype (complex)", "hasher fit complex", lambda: H.RandomHyperplaneHash(8, random_state=0).fit(X * 1j),
     ValueError, r"X must be real-valued, got dtype complex"),
    ("wrong dtype (complex)", "euclidean complex B", lambda: distances.euclidean_distance_matrix(X, X + 0j),
     ValueError, r"B must be real-valued"),
    ("sparse input", "hasher fit sparse", lambda: H.PStableHash(4, random_state=0).fit(
        sparse.csr_matrix(X)), ValueError, r"X is a sparse matrix.*X\.toarray\(\)"),
    ("sparse input", "knn sparse queries", lambda: search.brute_force_knn(
        X, sparse.csr_matrix(Q), 1), ValueError, r"Q is a sparse matrix"),
    ("float codes", "pack_bits 0.5", lambda: distances.pack_bits(B * 0.5), ValueError, r"B must be integer 0/1 codes"),
    ("float codes", "pack_bits float 0/1", lambda: distances.pack_bits(B.astype(np.float64)), ValueError,
     r"B must be integer 0/1 codes.*threshold"),
    ("float codes", "hamming 0.5", lambda: distances.hamming_distance_matrix(B * 0.5, B), ValueError,
     r"A must be integer 0/1 codes"),
    ("float codes", "HammingIndex float", lambda: search.HammingIndex(B.astype(np.float32), backend="numpy"),
     ValueError, r"codes must be integer 0/1 codes"),
    ("float codes", "lee float symbols", lambda: distances.lee_distance_matrix(C4 + 0.5, C4, 4), ValueError,
     r"A must be integer symbols in 0\.\.3"),
    ("float codes", "LeeIndex query float", lambda: search.LeeIndex(C4, 4, backend="numpy").search(C4 * 1.0, 1),
     ValueError, r"Q must be integer symbols in 0\.\.3"),
    ("wrong dtype (packed)", "packed int64", lambda: distances.hamming_distance_matrix(P.astype(np.int64), P,
                                                                                          packed=True),
     ValueError, r"packed A must have dtype uint8"),
    ("wrong dtype (labels)", "alignment 0/1 labels", lambda: kernels.kernel_target_alignment(np.eye(30), Y2),
     ValueError, r"y must hold labels in \{-1, \+1\}"),
    ("wrong dtype (labels)", "langevin non-integer labels", lambda: _langevin().fit(X, Y2 + 0.5), ValueError,
     r"y must hold integer labels"),
    ("wrong dtype (relevance)", "mAP float relevance", lambda: metrics.mean_average_precision(
        np.ones((3, 5)), np.full((3, 5), 0.5)), ValueError, r"relevant must be a boolean matrix"),
    # ------------------------------------------------------------------ k
    ("k <= 0", "knn k=0", lambda: search.brute_force_knn(X, Q, 0), ValueError, r"k must be a positive integer"),
    ("k <= 0", "HammingIndex k=-1", lambda: search.HammingIndex(B, backend="numpy").search(B, -1), ValueError,
     r"k must be a positive integer"),
    ("k <= 0", "KDTree k=0", lambda: search.KDTree(X, 4).search(Q, 0), ValueError, r"k must be .*(>= 1|positive)"),
    ("k <= 0", "mAP at_k=0", lambda: metrics.mean_average_precision(np.ones((3, 5)), np.ones((3, 5), bool), at_k=0),
     ValueError, r"at_k must be .*(>= 1|positive)"),
    ("k > n", "knn k > n", lambda: search.brute_force_knn(X, Q, 31), ValueError,
     r"k=31 exceeds the database size 30; use k <= 30"),
    ("k > n", "KDTree k > n", lambda: search.KDTree(X, 4).search(Q, 31), ValueError, r"k=31 exceeds the database size 30"),
    ("k > n", "LeeIndex k > n", lambda: search.LeeIndex(C4, 4, backend="numpy").search(C4, 11), ValueError,
     r"k=11 exceeds the database size 10"),
    ("k > n", "HashTables k > n", lambda: search.HashTables(lambda s: H.RandomHyperplaneHash(4, random_state=s),
                                                            2, random_state=0).fit(X).search(Q, 31),
     ValueError, r"k=31 exceeds the database size 30"),
    ("k not an integer", "knn k=2.5", lambda: search.brute_force_knn(X, Q, 2.5), ValueError,
     r"k must be an integer >= 1, got 2\.5"),
    ("k not an integer", "knn k=True", lambda: search.brute_force_knn(X, Q, True), ValueError,
     r"k must be an integer >= 1, got True"),
    # ------------------------------------------------------------------ code lengths and alphabets
    ("n_bits <= 0", "hyperplane n_bits=0", lambda: H.RandomHyperplaneHash(0).fit(X), ValueError,
     r"n_bits must be an integer >= 1, got 0"),
    ("n_bits <= 0", "shift-invariant n_bits=-3", lambda: H.ShiftInvariantHash(-3).fit(X), ValueError,
     r"n_bits must be an integer >= 1, got -3"),
    ("n_bits <= 0", "spectral n_bits=0", lambda: H.SpectralHash(0).fit(X), ValueError, r"n_bits must be an integer >= 1"),
    ("n_bits <= 0", "ITQ n_bits=0", lambda: H.ITQHash(0).fit(X), ValueError, r"n_bits must be an integer >= 1"),
    ("n_bits <= 0", "RBM n_bits=0", lambda: H.RBMHash(0).fit(X01), ValueError, r"n_bits must be an integer >= 1"),
    ("n_bits <= 0", "metric n_bits=0", lambda: H.MetricHash(0).fit(X), ValueError, r"n_bits must be an integer >= 1"),
    ("n_bits <= 0", "DSH n_bits=0", lambda: _dsh(n_bits=0).fit(X01, Y2), ValueError, r"n_bits must be an integer >= 1"),
    ("n_bits <= 0", "PStable n_hashes=0", lambda: H.PStableHash(0).fit(X), ValueError,
     r"n_hashes must be an integer >= 1"),
    ("n_bits <= 0", "unpack_bits n_bits=0", lambda: distances.unpack_bits(P, 0), ValueError,
     r"n_bits must be an integer >= 1"),
    ("n_bits not an integer", "hyperplane n_bits=8.0", lambda: H.RandomHyperplaneHash(8.0).fit(X), ValueError,
     r"n_bits must be an integer >= 1, got 8\.0"),
    ("n_bits > n_features", "PCAHash 7 bits of 6 features", lambda: H.PCAHash(7).fit(X), ValueError,
     r"n_bits.*(<=|exceed|at most).*6"),
    ("q < 2", "LeeHash q=1", lambda: H.LeeHash(4, q=1).fit(X), ValueError, r"q must be an integer >= 2, got 1"),
    ("q < 2", "lee distance q=1", lambda: distances.lee_distance_matrix(C4 * 0, C4 * 0, 1), ValueError,
     r"q must be an integer >= 2"),
    ("q < 2", "LeeIndex q=0", lambda: search.LeeIndex(C4 * 0, 0), ValueError, r"q must be an integer >= 2"),
    ("q < 2", "lee_to_hamming q=1", lambda: distances.lee_to_hamming(C4 * 0, 1), ValueError,
     r"q must be an integer >= 2"),
    ("codes out of range", "binary int64 codes hold 2", lambda: distances.hamming_distance_matrix(
        B.astype(np.int64) * 2, B), ValueError, r"A must hold only 0 and 1, found values in \[0, 2\]"),
    ("codes out of range", "binary uint8 codes hold 2", lambda: distances.hamming_distance_matrix(B * 2, B), ValueError,
     r"A holds byte values up to 2, not 0/1 bits"),
    ("codes out of range", "negative bits", lambda: distances.pack_bits(B.astype(np.int8) - 1), ValueError,
     r"B must hold only 0 and 1, found values in \[-1"),
    ("codes out of range", "lee symbol = q", lambda: distances.lee_distance_matrix(C4, C4, 3), ValueError,
     r"A must lie in 0\.\.2 for q=3"),
    ("codes out of range", "LeeIndex symbol = q", lambda: search.LeeIndex(C4, 3), ValueError,
     r"codes must lie in 0\.\.2 for q=3"),
    ("codes out of range", "lee negative symbol", lambda: distances.lee_distance_matrix(C4.astype(int) - 1, C4, 4),
     ValueError, r"A must lie in 0\.\.3 for q=4"),
    ("packed without packed=True", "hamming on packed bytes",
     lambda: distances.hamming_distance_matrix(P, P), ValueError, r"A holds byte values.*pass packed=True"),
    ("packed without packed=True", "HammingIndex on packed bytes",
     lambda: search.HammingIndex(P, backend="numpy"), ValueError, r"codes holds byte values.*pass packed=True"),
    ("packed without packed=True", "HammingIndex query packed",
     lambda: search.HammingIndex(B, backend="numpy").search(P, 1), ValueError, r"Q holds byte values.*packed=True"),
    ("packed=True for q-ary codes", "LeeHash packed", lambda: _fitted(H.LeeHash(4, random_state=0)).transform(
        X, packed=True), ValueError, r"packed=True is only for binary codes"),
    ("packed=True for q-ary codes", "PStable packed", lambda: _fitted(H.PStableHash(4, random_state=0)).transform(
        X, packed=True), ValueError, r"packed=True is only for binary codes"),
    ("mismatched code lengths", "hamming 16 vs 8 bits", lambda: distances.hamming_distance_matrix(B, B[:, :8]),
     ValueError, r"A has 16 bits per code but B has 8"),
    ("mismatched code lengths", "hamming packed 2 vs 1 bytes",
     lambda: distances.hamming_distance_matrix(P, P[:, :1], packed=True), ValueError, r"A has 2 bytes per code but B has 1"),
    ("mismatched code lengths", "HammingIndex query length",
     lambda: search.HammingIndex(B, backend="numpy").search(B[:, :12], 1), ValueError,
     r"Q has 12 bits per code but the index holds 16-bit codes"),
    ("mismatched code lengths", "lee symbols", lambda: distances.lee_distance_matrix(C4, C4[:, :5], 4), ValueError,
     r"A has 8 symbols per code but B has 5"),
    ("mismatched code lengths", "LeeIndex query symbols", lambda: search.LeeIndex(C4, 4, backend="numpy").search(
        C4[:, :3], 1), ValueError, r"Q has 3 symbols per code but the index holds 8"),
    ("mismatched code lengths", "unpack_bits n_bits", lambda: distances.unpack_bits(P, 25), ValueError,
     r"n_bits=25 does not match packed codes with 2 bytes.*9 <= n_bits <= 16"),
    # ------------------------------------------------------------------ estimators
    ("unfitted estimator", "hyperplane transform", lambda: H.RandomHyperplaneHash(8).transform(X), NotFittedError,
     NOT_FITTED),
    ("unfitted estimator", "ITQ transform", lambda: H.ITQHash(2).transform(X), NotFittedError, NOT_FITTED),
    ("unfitted estimator", "LeeHash project", lambda: H.LeeHash(4).project(X), NotFittedError, NOT_FITTED),
    ("unfitted estimator", "ITML transform", lambda: _itml().transform(X), NotFittedError, NOT_FITTED),
    ("unfitted estimator", "HashTables search", lambda: search.HashTables(lambda s: H.RandomHyperplaneHash(4)).search(
        Q, 1), ValueError, r"HashTables is not fitted yet; call fit"),
    ("unfitted estimator", "DSH transform", lambda: _dsh().transform(X01), NotFittedError, NOT_FITTED),
    ("transform feature mismatch", "hyperplane 5 vs 6", lambda: _fitted(H.RandomHyperplaneHash(8, random_state=0))
     .transform(X[:, :5]), ValueError, r"X has 5 features, but RandomHyperplaneHash (was fitted with|is expecting) 6"),
    ("transform feature mismatch", "spectral 7 vs 6", lambda: _fitted(H.SpectralHash(4)).transform(
        np.hstack([X, X[:, :1]])), ValueError, r"X has 7 features, but SpectralHash (was fitted with|is expecting) 6"),
    ("transform feature mismatch", "ITML 5 vs 6", lambda: _itml().fit(X, Y2).transform(X[:, :5]), ValueError,
     r"X has 5 features.*6"),
    ("transform feature mismatch", "knn query features", lambda: search.brute_force_knn(X, Q[:, :4], 1), ValueError,
     r"X has 6 features but Q has 4"),
    ("transform feature mismatch", "HashTables search features", lambda: search.HashTables(
        lambda s: H.RandomHyperplaneHash(4, random_state=s), 2, random_state=0).fit(X).search(Q[:, :5], 1),
     ValueError, r"X has 6 features but Q has 5"),
    ("transform feature mismatch", "DSH image shape", lambda: _dsh().fit(X01, Y2).transform(X01[:, :49]), ValueError,
     r"X has 49 columns but image_shape=\(8, 8\) needs 64"),
    ("bad estimator option", "HammingIndex backend", lambda: search.HammingIndex(B, backend="gpu"), ValueError,
     r"backend must be 'auto', 'numpy' or 'faiss', got 'gpu'"),
    ("bad estimator option", "RBM rescale", lambda: H.RBMHash(4, rescale="zscore").fit(X01), ValueError,
     r"rescale must be 'none' or 'minmax', got 'zscore'"),
    ("bad estimator option", "mAP ties", lambda: metrics.mean_average_precision(np.ones((3, 5)), np.ones((3, 5), bool),
                                                                               ties="random"),
     ValueError, r"ties must be one of .*got 'random'"),
    ("bad estimator option", "hasher_factory not callable", lambda: search.HashTables(3).fit(X), ValueError,
     r"hasher_factory must be a callable"),
    # ------------------------------------------------------------------ data
    ("unknown dataset", "load cifar", lambda: lshdata.load_dataset("cifar10"),
     ValueError, r"name must be one of 'digits', 'mnist', 'fashion-mnist', got 'cifar10'"),
    ("unknown pool", "pool train", lambda: lshdata.load_dataset("digits", pool="train"),
     ValueError, r"pool must be one of 'official', 'test', got 'train'"),
    ("n_train too large", "digits n_train", lambda: lshdata.load_dataset(
        "digits", n_train=10**6), ValueError, r"n_train=1000000 exceeds the .* images available.*use n_train <= "),
    ("n_train too large", "digits test pool sizes", lambda: lshdata.load_dataset(
        "digits", n_train=10**5, n_query=10, pool="test"), ValueError, r"n_train \+ n_query = .* exceeds"),
    ("n_train <= 0", "digits n_query=0", lambda: lshdata.load_dataset(
        "digits", n_query=0), ValueError, r"n_query must be None \(use the default\) or an integer >= 1, got 0"),
    ("n_train <= 0", "digits seed=-1", lambda: lshdata.load_dataset(
        "digits", seed=-1), ValueError, r"seed must be an integer >= 0, got -1"),
    ("missing data files", "mnist offline, empty folder", lambda: _in_tmp(lambda d: lshdata.load_dataset("mnist", pool="test", data_dir=d, download=False)),
     FileNotFoundError, r"(?is)mnist.*t10k-images-idx3-ubyte\.gz.*download=True"),
    ("corrupt data file", "mnist garbage IDX", lambda: _in_tmp(_corrupt_mnist), RuntimeError,
     r"t10k-(images|labels)-idx[13]-ubyte"),
    # ------------------------------------------------------------------ widths, bandwidths, rates
    ("width / bandwidth <= 0", "PStable width=0", lambda: H.PStableHash(4, width=0.0).fit(X), ValueError,
     r"width must be a finite number > 0, got 0\.0"),
    ("width / bandwidth <= 0", "PStable width=-2", lambda: H.PStableHash(4, width=-2).fit(X), ValueError,
     r"width must be a finite number > 0, got -2"),
    ("width / bandwidth <= 0", "gaussian bandwidth -1", lambda: kernels.gaussian_kernel(X, bandwidth=-1.0), ValueError,
     r"bandwidth must be a finite number > 0, got -1\.0"),
    ("width / bandwidth <= 0", "shift-invariant kernel=-1", lambda: H.ShiftInvariantHash(8, kernel=-1.0).fit(X),
     ValueError, r"kernel \(Gaussian bandwidth\) must be a finite number > 0"),
    ("width / bandwidth <= 0", "LeeHash kernel=0", lambda: H.LeeHash(4, kernel=0.0).fit(X), ValueError,
     r"kernel \(Gaussian bandwidth\) must be a finite number > 0"),
    ("width / bandwidth <= 0", "LeeHash scale=-1", lambda: H.LeeHash(4, scale=-1.0).fit(X), ValueError,
     r"scale must be a finite number > 0"),
    ("width / bandwidth <= 0", "from_bandwidth 0", lambda: kernels.SchoenbergKernel.from_bandwidth(0.0), ValueError,
     r"sigma must be a finite number > 0"),
    ("width / bandwidth <= 0", "random features kernel=-1", lambda: random_features.RandomFeatureSampler(8, kernel=-1.0).fit(X), ValueError,
     r"kernel \(Gaussian bandwidth\) must be a finite number > 0"),
    ("xi <= 0", "Schoenberg xi=0", lambda: kernels.SchoenbergKernel([0.5, 0.0]), ValueError,
     r"xi must be finite and > 0"),
    ("xi <= 0", "Schoenberg xi=-1", lambda: kernels.SchoenbergKernel(-1.0), ValueError, r"xi must be finite and > 0"),
    ("xi <= 0", "Langevin init outside bounds", lambda: _langevin(init=np.full(8, -0.5)).fit(X, YPM), ValueError,
     r"init must lie inside bounds"),
    ("negative weights", "Schoenberg weights", lambda: kernels.SchoenbergKernel([1.0, 2.0], [1.0, -0.5]), ValueError,
     r"weights must be finite and >= 0"),
    ("negative weights", "Schoenberg weights length", lambda: kernels.SchoenbergKernel([1.0, 2.0], [1.0]), ValueError,
     r"weights must have one entry per xi \(2\)"),
    ("negative distance", "raginsky r < 0", lambda: kernels.raginsky_disagreement_probability(1.0, [-0.1]), ValueError,
     r"r must hold finite distances >= 0"),
    ("negative distance", "kernel values > 1", lambda: kernels.raginsky_disagreement_bounds([0.5, 1.5]), ValueError,
     r"kernel values must lie in \[0, 1\]"),
    ("bounds reversed", "Langevin bounds (1, 0)", lambda: _langevin(bounds=(1.0, 0.1)).fit(X, YPM), ValueError,
     r"bounds must satisfy 0 <= xi_l < xi_u"),
    ("bounds reversed", "Langevin bounds negative", lambda: _langevin(bounds=(-1.0, 1.0)).fit(X, YPM), ValueError,
     r"bounds must satisfy 0 <= xi_l < xi_u"),
    ("bounds reversed", "meanfield bounds (2, 1)", lambda: _solve_meanfield(bounds=(2.0, 1.0)), ValueError,
     r"bounds must satisfy xi_l < xi_u"),
    ("bounds reversed", "ITML bounds u > l", lambda: metric_learning.ITML(
        bounds=(5.0, 1.0)).fit(X, Y2), ValueError, r"bounds must satisfy low < high"),
    ("bounds reversed", "bounds not a pair", lambda: _langevin(bounds=0.5).fit(X, YPM), ValueError,
     r"bounds must be a pair"),
    ("beta <= 0", "Langevin beta=0", lambda: _langevin(beta=0.0).fit(X, YPM), ValueError,
     r"beta \(inverse temperature\) must be a number > 0"),
    ("beta <= 0", "Langevin beta=NaN", lambda: _langevin(beta=float("nan")).fit(X, YPM), ValueError,
     r"beta \(inverse temperature\) must be a number > 0"),
    ("beta <= 0", "meanfield beta=-1", lambda: _solve_meanfield(beta=-1.0), ValueError, r"beta must be a number > 0"),
    ("step <= 0", "Langevin learning_rate=0", lambda: _langevin(learning_rate=0.0).fit(X, YPM), ValueError,
     r"learning_rate must be a finite number > 0"),
    ("step <= 0", "Langevin epsilon<0", lambda: _langevin(epsilon=-0.1).fit(X, YPM), ValueError,
     r"epsilon must be a finite number > 0"),
    ("step <= 0", "meanfield dt=0", lambda: _solve_meanfield(dt=0.0), ValueError, r"dt must be a finite number > 0"),
    ("step <= 0", "meanfield t_final<0", lambda: _solve_meanfield(t_final=-1.0), ValueError,
     r"t_final must be a finite number > 0"),
    ("step <= 0", "ITML gamma=0", lambda: metric_learning.ITML(gamma=0.0).fit(X, Y2),
     ValueError, r"gamma must be .*> 0"),
    ("step <= 0", "DSH learning_rate=0", lambda: _dsh(learning_rate=0.0).fit(X01, Y2), ValueError,
     r"learning_rate must be a finite number > 0"),
    # ------------------------------------------------------------------ metric matrices
    ("non-symmetric metric", "MetricHash", lambda: H.MetricHash(4, metric_matrix=np.triu(np.ones((6, 6)))).fit(X),
     ValueError, r"metric_matrix must be symmetric"),
    ("non-symmetric metric", "mahalanobis", lambda: metric_learning
     .mahalanobis_distance_matrix(X, None, np.triu(np.ones((6, 6)))), ValueError, r"A must be symmetric"),
    ("non-PSD metric", "MetricHash", lambda: H.MetricHash(4, metric_matrix=-np.eye(6)).fit(X), ValueError,
     r"metric_matrix must be positive semi-definite"),
    ("non-PSD metric", "ITML prior", lambda: metric_learning.ITML(
        prior=np.diag([1.0, 1, 1, 1, 1, -1])).fit(X, Y2), ValueError, r"prior.*positive definite"),
    ("metric matrix shape", "MetricHash 3x3 for 6 features", lambda: H.MetricHash(4, metric_matrix=np.eye(3)).fit(X),
     ValueError, r"metric_matrix is 3x3 but the data have 6 features"),
    ("metric matrix shape", "mahalanobis non-square", lambda: metric_learning
     .mahalanobis_distance_matrix(X, None, np.ones((6, 5))), ValueError, r"A must be a square \(d, d\) matrix"),
    ("metric matrix shape", "alignment non-square K", lambda: kernels.kernel_target_alignment(np.ones((30, 29)), YPM),
     ValueError, r"K must be a square Gram matrix"),
    # ------------------------------------------------------------------ labels and pairs
    ("labels length mismatch", "ITML y", lambda: _itml().fit(X, Y2[:-1]), ValueError,
     r"y must be 1-D with 30 labels"),
    ("labels length mismatch", "Langevin y", lambda: _langevin().fit(X, YPM[:-1]), ValueError,
     r"y must be 1-D with 30 labels"),
    ("labels length mismatch", "alignment y", lambda: kernels.kernel_target_alignment(np.eye(30), YPM[:-2]), ValueError,
     r"y must be a 1-D array of length 30"),
    ("labels length mismatch", "DSH y", lambda: _dsh().fit(X01, Y2[:5]), ValueError,
     r"y must be 1-D with one label per row of X \(30\)"),
    ("labels length mismatch", "relevance shape", lambda: metrics.mean_average_precision(np.ones((3, 5)),
                                                                                         np.ones((3, 4), bool)),
     ValueError, r"relevant must have the shape of distances \(3, 5\)"),
    ("labels length mismatch", "random features importance y", lambda: random_features.RandomFeatureSampler(8, method="importance", random_state=0).fit(
        X, YPM[:4]), ValueError, r"y .*30"),
    ("one-class labels", "ITML", lambda: _itml().fit(X, np.zeros(30, int)), ValueError,
     r"y has a single class.*at least two classes"),
    ("one-class labels", "centred alignment", lambda: kernels.kernel_target_alignment(np.eye(30), np.ones(30),
                                                                                      centered=True),
     ValueError, r"alignment undefined.*all labels equal"),
    ("one-class labels", "Langevin all +1", lambda: _langevin().fit(X, np.ones(30, int)), ValueError,
     r"y .*(single class|one class|both).*"),
    ("one-class labels", "DSH one class", lambda: _dsh().fit(X01, np.zeros(30, int)), ValueError,
     r"y .*(single class|one class|two classes)"),
    ("pairs index out of range", "ITML fit_pairs j = n", lambda: _fit_pairs(np.array([[0, 30], [1, 2]]), np.array([True, False])),
     ValueError, r"pairs .*(0 \.\. 29|0\.\.29|< 30|0 <= .* < 30)"),
    ("pairs index out of range", "ITML fit_pairs negative", lambda: _fit_pairs(np.array([[0, -1], [1, 2]]), np.array([True, False])),
     ValueError, r"pairs .*(0 \.\. 29|0\.\.29|< 30|0 <= .* < 30)"),
    ("pairs index out of range", "ITML fit_pairs i == j", lambda: _fit_pairs(np.array([[3, 3], [1, 2]]), np.array([True, False])),
     ValueError, r"pairs contains \(3, 3\); a constraint needs two different rows"),
    ("pairs index out of range", "ITML similar length", lambda: _fit_pairs(np.array([[0, 1], [1, 2]]), np.array([True])),
     ValueError, r"similar must have shape \(2,\)"),
    ("pairs index out of range", "ITML index pairs without X", lambda: _fit_pairs(np.array([[0, 1], [1, 2]]),
                                                                                 np.array([True, False]), X=None),
     ValueError, r"pairs must be point pairs of shape \(n_pairs, 2, n_features\).*pass the points as X="),
    ("set indices repeated", "dice repeated", lambda: metrics.dice_score(np.array([1, 1, 2]), np.array([1, 2])),
     ValueError, r"a holds repeated indices"),
    ("set indices repeated", "jaccard float indices", lambda: metrics.jaccard_index(np.array([1.0, 2.0]),
                                                                                    np.array([1, 2])),
     ValueError, r"a must be a 1-D array of integer indices"),
    ("set indices repeated", "dice masks of different shapes", lambda: metrics.dice_score(np.ones(4, bool),
                                                                                          np.ones(5, bool)),
     ValueError, r"boolean masks must be 1-D or 2-D with equal shapes"),
    ("images out of range", "RBMHash int64 pixels 0..255", lambda: H.RBMHash(4, hidden=(), max_iter=1).fit(
        (X01 * 255).astype(np.int64)), ValueError, r"RBMHash needs inputs in \[0, 1\].*rescale='minmax'"),
    ("too few samples", "median heuristic 1 row", lambda: kernels.median_heuristic_bandwidth(X[:1]), ValueError,
     r"X needs at least 2 rows"),
    ("too few samples", "kmeans n_clusters=1", lambda: kernel_learning
     .kmeans_pseudo_labels(X, n_clusters=1), ValueError, r"n_clusters must be an integer >= 2"),
    ("too few samples", "kmeans cluster out of range", lambda: kernel_learning
     .kmeans_pseudo_labels(X, n_clusters=2, cluster=2), ValueError, r"cluster must be an integer in 0\.\.1"),
    ("too few samples", "LeeHash auto scale 1 row", lambda: H.LeeHash(4).fit(X[:1]), ValueError,
     r"scale='auto' needs at least 2 rows"),
    ("too few samples", "DSH batch_size=1", lambda: _dsh(batch_size=1).fit(X01, Y2), ValueError,
     r"batch_size must be an integer >= 2"),
    # ------------------------------------------------------------------ more structural parameters
    ("k <= 0", "HashTables n_tables=0", lambda: search.HashTables(lambda s: H.RandomHyperplaneHash(4), 0).fit(X),
     ValueError, r"n_tables must be an integer >= 1, got 0"),
    ("k <= 0", "KDTree leaf_size=0", lambda: search.KDTree(X, 0), ValueError, r"leaf_size must be an integer >= 1, got 0"),
    ("k <= 0", "ITQ max_iter=-1", lambda: H.ITQHash(2, max_iter=-1).fit(X), ValueError, r"max_iter must be an integer >= 0"),
    ("k <= 0", "hog orientations=0", lambda: features.hog_features(
        X01, image_shape=(8, 8), orientations=0), ValueError, r"orientations must be an integer >= 1"),
    ("k <= 0", "meanfield n_cells=1", lambda: _solve_meanfield(n_cells=1), ValueError,
     r"n_cells must be an integer >= 2, got 1"),
    ("k <= 0", "raginsky n_terms=0", lambda: kernels.raginsky_disagreement_probability(1.0, [0.5], n_terms=0),
     ValueError, r"n_terms must be an integer >= 1, got 0"),
    ("k > n", "mAP at_k > n", lambda: metrics.mean_average_precision(np.ones((3, 5)), np.ones((3, 5), bool), at_k=50),
     ValueError, r"at_k=50 exceeds the database size 5; use at_k <= 5"),
    ("k not an integer", "mAP at_k=2.5", lambda: metrics.mean_average_precision(np.ones((3, 5)), np.ones((3, 5), bool),
                                                                                at_k=2.5),
     ValueError, r"at_k must be an integer >= 1, got 2\.5"),
    ("q < 2", "LeeHash q=2.0 (float)", lambda: H.LeeHash(4, q=2.0).fit(X), ValueError, r"q must be an integer >= 2, got 2\.0"),
    ("q < 2", "LeeHash q too large", lambda: H.LeeHash(4, q=70000).fit(X), ValueError, r"q must be <= 65536"),
    ("bad estimator option", "hyperplane center='yes'", lambda: H.RandomHyperplaneHash(4, center="yes").fit(X),
     ValueError, r"center must be True or False, got 'yes'"),
    ("bad estimator option", "RBM hidden=5", lambda: H.RBMHash(2, hidden=5).fit(X01), ValueError,
     r"hidden must be a tuple of layer sizes"),
    ("bad estimator option", "ShiftInvariant kernel='rbf'", lambda: H.ShiftInvariantHash(4, kernel="rbf").fit(X),
     ValueError, r"kernel must be a Gaussian bandwidth \(float > 0\) or a SchoenbergKernel, got 'rbf'"),
    ("bad estimator option", "LeeHash scale='Auto'", lambda: H.LeeHash(4, scale="Auto").fit(X), ValueError,
     r"scale must be 'auto' or a positive number, got 'Auto'"),
    ("bad estimator option", "PR curve by='foo'", lambda: metrics.precision_recall_curve_retrieval(
        np.ones((3, 5)), np.ones((3, 5), bool), by="foo"), ValueError, r"by must be 'auto', 'radius' or 'depth'"),
    ("bad estimator option", "ITML prior='euclid'", lambda: metric_learning.ITML(
        prior="euclid").fit(X, Y2), ValueError, r"prior must be 'identity', 'covariance' or a \(d, d\) matrix"),
    ("bad estimator option", "DSH learning_rate_schedule", lambda: _dsh(learning_rate_schedule="step").fit(X01, Y2),
     ValueError, r"learning_rate_schedule must be 'cosine' or 'constant', got 'step'"),
    ("bad estimator option", "DSH validation not a pair", lambda: _dsh().fit(X01, Y2, validation=X01), ValueError,
     r"validation must be a pair \(X_val, y_val\)"),
    ("bad estimator option", "width=True (bool)", lambda: H.PStableHash(2, width=True).fit(X), ValueError,
     r"width must be a positive number, got True"),
    ("unknown dataset", "no case folding", lambda: lshdata.load_dataset("MNIST"),
     ValueError, r"name must be one of .*got 'MNIST'"),
    ("n_train <= 0", "n_train=5.0 (float)", lambda: lshdata.load_dataset(
        "digits", n_train=5.0), ValueError, r"n_train must be None \(use the default\) or an integer >= 1, got 5\.0"),
    ("bad estimator option", "download='yes'", lambda: lshdata.load_dataset(
        "digits", download="yes"), ValueError, r"download must be None, True or False, got 'yes'"),
    ("wrong image shape", "DSH 3-D images 4x16", lambda: _dsh().fit(X01.reshape(30, 4, 16), Y2), ValueError,
     r"X holds images of shape \(4, 16\), expected image_shape=\(8, 8\)"),
    ("wrong image shape", "DSH image_shape (4, 4)", lambda: _dsh(image_shape=(4, 4)).fit(X01[:, :16], Y2), ValueError,
     r"image_shape must be a pair of ints >= 8"),
    ("wrong image shape", "hog rows vs image_shape", lambda: features.hog_features(
        X01, image_shape=(7, 7)), ValueError, r"images has rows of 64 values but image_shape=\(7, 7\) needs 49"),
    ("float codes", "ITML similar=0.5", lambda: _fit_pairs(np.array([[0, 1], [1, 2]]), np.array([0.5, 0.0])),
     ValueError, r"similar must be booleans .* or 0/1"),
    ("float codes", "ITML pairs float", lambda: _fit_pairs(np.array([[0.0, 1.0], [1, 2]]), np.array([True, False])),
     ValueError, r"pairs must hold integer row indices, got dtype float64"),
    ("wrong dtype (labels)", "random features importance 0/1 y", lambda: random_features.RandomFeatureSampler(4, method="importance").fit(X, Y2), ValueError,
     r"y must hold both labels -1 and \+1"),
    ("non-symmetric metric", "graph_laplacian directed W", lambda: spectral.graph_laplacian(np.triu(np.ones((4, 4)))), ValueError,
     r"W must be symmetric"),
    ("negative weights", "graph_laplacian negative W", lambda: spectral.graph_laplacian(-np.ones((4, 4))), ValueError,
     r"W must be non-negative"),
    ("metric matrix shape", "graph_laplacian non-square", lambda: spectral.graph_laplacian(np.ones((4, 3))), ValueError,
     r"W must be a square \(n_nodes, n_nodes\)"),
    ("width / bandwidth <= 0", "pstable collision w=0", lambda: random_projection.pstable_collision_probability(1.0, 0.0), ValueError,
     r"w must be a finite number > 0"),
    ("negative distance", "pstable collision c<0", lambda: random_projection.pstable_collision_probability(-1.0, 1.0), ValueError,
     r"c \(distances\) must be finite and >= 0"),
    ("negative distance", "simhash theta > pi", lambda: random_projection.simhash_collision_probability(4.0), ValueError,
     r"theta must hold finite angles in \[0, pi\]"),
    ("negative distance", "amplified p=1.5", lambda: random_projection.amplified_collision_probability(1.5, 2, 3), ValueError,
     r"p must hold probabilities in \[0, 1\]"),
    ("labels length mismatch", "metric collision x vs y rows", lambda: hashing_metric.metric_collision_probability(X[:3], X[:2]), ValueError,
     r"x and y must have the same shape"),
    ("xi <= 0", "Langevin prior outside bounds", lambda: _langevin(prior=np.full(8, 2.0)).fit(X, YPM), ValueError,
     r"prior must lie inside bounds"),
    ("labels length mismatch", "Langevin init length", lambda: _langevin(init=np.full(3, 0.5)).fit(X, YPM), ValueError,
     r"init must have n_particles=8 entries, got 3"),
    ("negative weights", "meanfield rho0 < 0", lambda: _solve_meanfield(rho0=-np.ones(20)), ValueError,
     r"rho0 must give 20 finite non-negative values"),
    ("bounds reversed", "meanfield t_eval beyond t_final", lambda: _solve_meanfield(t_eval=[0.0, 5.0]), ValueError,
     r"t_eval must be non-decreasing times in \[0, t_final\]"),
    # ------------------------------------------------------------------ issue 17 sweep: bare numpy errors before
    ("NaN", "topk_stable NaN", lambda: search.topk_stable(np.array([[1.0, np.nan]]), 1), ValueError,
     r"D contains NaN distances"),
    ("wrong ndim", "topk_stable 1-D", lambda: search.topk_stable(np.arange(4), 1), ValueError,
     r"D must be a 2-D array \(n_queries, n_database\)"),
    ("wrong dtype (strings/object)", "topk_stable strings", lambda: search.topk_stable(np.array([["a", "b"]]), 1),
     ValueError, r"D must hold integer or real distances"),
    ("k <= 0", "topk_stable k=0", lambda: search.topk_stable(np.ones((2, 3)), 0), ValueError,
     r"k must be an integer >= 1, got 0"),
    ("wrong dtype (strings/object)", "lee_quantize strings", lambda: hashing_lee.lee_quantize(np.array(["0.5"]), 4),
     ValueError, r"u must hold real numbers"),
    ("ragged rows", "HammingIndex ragged codes", lambda: search.HammingIndex([[0, 1], [1]], backend="numpy"), ValueError,
     r"codes must be an array-like of numbers \(equal-length rows\)"),
    ("ragged rows", "pack_bits ragged", lambda: distances.pack_bits([[0, 1], [1]]), ValueError,
     r"B must be an array-like of numbers"),
    ("ragged rows", "mAP ragged relevance", lambda: metrics.mean_average_precision(np.ones((2, 2)), [[True, False], [True]]),
     ValueError, r"relevant must be an array-like"),
    ("ragged rows", "relevance_from_labels ragged", lambda: metrics.relevance_from_labels([[1, 2], [3]], [1, 2]),
     ValueError, r"y_query must be an array-like"),
    ("ragged rows", "CodePair ragged query", lambda: CodePair(query=[[0, 1], [1]], db=B[:, :2]), ValueError,
     r"query must be an array-like"),
    ("bad estimator option", "HashTables hasher gives wrong rows", lambda: search.HashTables(
        lambda s: _WrongRows(), 2).fit(X), ValueError, r"hasher of hasher_factory \(_WrongRows\) must transform 30 rows"),
    ("bad estimator option", "PStable random_state='seed'", lambda: H.PStableHash(2, random_state="seed").fit(X), ValueError,
     r"random_state must be None, an integer >= 0 or a numpy.random.RandomState, got 'seed'"),
    ("bad estimator option", "HashTables random_state='x'", lambda: search.HashTables(
        lambda s: H.RandomHyperplaneHash(4, random_state=s), 2, random_state="x").fit(X), ValueError,
     r"random_state must be None, an integer"),
    ("labels length mismatch", "overlap codes_query rows", lambda: metrics.overlap_scores_by_code_length(
        np.ones((3, 10)), B[:2], B, [4], 2), ValueError, r"codes_query and codes_db hold 2 and 10 codes but dist_reference "
                                                         r"has shape \(3, 10\)"),
    ("k <= 0", "random features n_candidates=0", lambda: random_features.RandomFeatureSampler(
        4, method="importance", n_candidates=0).fit(X, YPM), ValueError, r"n_candidates must be an integer >= 1, got 0"),
    ("empty array", "project_to_simplex empty", lambda: random_features.project_to_simplex([]), ValueError,
     r"v is empty"),
    ("NaN", "project_to_simplex NaN", lambda: random_features.project_to_simplex([np.nan, 1.0]), ValueError,
     r"v contains NaN"),
    ("wrong dtype (relevance)", "brute_force_knn dtype float16", lambda: search.brute_force_knn(X, Q, 1, dtype="float16"),
     ValueError, r"dtype must be np.float32 or np.float64, got 'float16'"),
    ("wrong dtype (relevance)", "iter_distance_blocks dtype int32", lambda: distances.iter_distance_blocks(
        X, dtype=np.int32), ValueError, r"dtype must be np.float32 or np.float64"),
    # ------------------------------------------------------------------ widgets' pure update functions
    ("bad estimator option", "collision family", lambda: _widgets("lsh").update_collision(family="MinHash", n_bits=8),
     ValueError, r"family must be one of \('SimHash', 'p-stable'\), got 'MinHash'"),
    ("n_bits <= 0", "collision n_bits=0", lambda: _widgets("lsh").update_collision(n_bits=0), ValueError,
     r"n_bits must be an integer >= 1, got 0"),
    ("width / bandwidth <= 0", "collision width=-1", lambda: _widgets("lsh").update_collision(
        family="p-stable", n_bits=8, width=-1.0), ValueError, r"width must be a finite number > 0"),
    ("k <= 0", "amplification K=0", lambda: _widgets("lsh").update_amplification(K=0, L=2), ValueError,
     r"K must be an integer >= 1, got 0"),
    ("width / bandwidth <= 0", "disagreement bandwidth=-1", lambda: _widgets("kernels").update_disagreement(
        bandwidth=-1.0, n_bits=64), ValueError, r"bandwidth must be a finite number > 0"),
    ("k > n", "overlap k > n", lambda: _widgets("overlap").update_overlap(
        np.ones((3, 10)), B[:3], B, n_bits=16, k=50), ValueError, r"k=50 exceeds the database size 10"),
    ("mismatched code lengths", "overlap n_bits > code length", lambda: _widgets("overlap").update_overlap(
        np.ones((3, 10)), B[:3], B, n_bits=32, k=5), ValueError, r"code length 32 exceeds the 16 bits of the codes"),
    ("pairs index out of range", "DSH widget query out of range", lambda: _widgets("dsh").update_dsh(
        {16: CodePair(query=B[:3], db=B)}, np.arange(3), np.arange(10) % 3, n_bits=16, query=9), ValueError, r"query must be in 0\.\.2, got 9"),
    # ------------------------------------------------------------------ defects (see the reasons)
    ("k <= 0", "DSH widget k=0", lambda: _widgets("dsh").update_dsh({16: CodePair(query=B[:3], db=B)}, np.arange(3),
                                                                   np.arange(10) % 3, n_bits=16, k=0),
     ValueError, r"k must be an integer >= 1"),
    ("k > n", "DSH widget k > n", lambda: _widgets("dsh").update_dsh({16: CodePair(query=B[:3], db=B)}, np.arange(3),
                                                                    np.arange(10) % 3, n_bits=16, k=50),
     ValueError, r"k=50 exceeds the database size 10"),
    ("n_bits <= 0", "overlap widget n_bits=0 names code_lengths", lambda: _widgets("overlap").update_overlap(
        np.ones((3, 10)), B[:3], B, n_bits=0, k=5), ValueError, r"n_bits must be an integer >= 1"),
    ("bad estimator option", "Explorer warm=-1", lambda: _widgets("_core").Explorer(
        lambda v: v, lambda r, ax: ax.figure, {"v": _widgets("_core").selection_slider("v", [1, 2])},
        pending=lambda v: None, warm=-1, render=False), ValueError, r"warm must be a non-negative int"),
    ("bad estimator option", "Explorer warm without pending", lambda: _widgets("_core").Explorer(
        lambda v: v, lambda r, ax: ax.figure, {"v": _widgets("_core").selection_slider("v", [1, 2])}, warm=2,
        render=False), ValueError, r"warm needs pending"),
    ("labels out of range", "collage class_names shorter than the labels", lambda: _collage(
        class_names=("zero",)), ValueError, r"class_names has 1 names but a query has label 2"),
    ("negative distance", "amplification p_near=1.5", lambda: _widgets("lsh").update_amplification(
        K=2, L=2, p_near=1.5, p_far=0.2, n_points=3, n_pairs=10), ValueError, r"p_near .*\[0, 1\]"),
    ("NaN", "meanfield pair_r2 NaN", lambda: _solve_meanfield(potential=None, pair_r2=[np.nan, 1.0], pair_s=[1.0, -1.0]),
     ValueError, r"pair_r2 .*NaN"),
    ("NaN", "meanfield potential returns NaN", lambda: _solve_meanfield(potential=lambda g: g * np.nan), ValueError,
     r"potential .*NaN"),
    ("negative distance", "meanfield pair_r2 < 0", lambda: _solve_meanfield(potential=None, pair_r2=[-50.0, 1.0],
                                                                            pair_s=[1.0, -1.0]),
     ValueError, r"pair_r2 .*>= 0"),
    ("xi <= 0", "meanfield prior outside bounds", lambda: _solve_meanfield(reg=1.0, prior=[5.0, 0.5]), ValueError,
     r"prior must lie inside bounds"),
    ("bounds reversed", "reflect low > high", lambda: kernel_learning.reflect(
        [0.5], 1.0, 0.0), ValueError, r"low .*<.* high"),
    ("width / bandwidth <= 0", "raginsky psi=0 names sigma", lambda: kernels.raginsky_disagreement_probability(
        0.0, [0.5]), ValueError, r"psi .*> 0"),
    ("missing data files", "DSH.load missing file", lambda: H.DeepSupervisedHash.load("/nonexistent/dsh_model.pt"),
     FileNotFoundError, r"dsh_model"),
    ("set indices repeated", "dice negative index (-1 padding)", lambda: metrics.dice_score(np.array([-1, 2]),
                                                                                            np.array([-1, 3])),
     ValueError, r"a .*>= 0"),
    ("float codes", "PR depth 1.9 truncated", lambda: metrics.precision_recall_curve_retrieval(
        np.ones((3, 5)), np.ones((3, 5), bool), by="depth", thresholds=[1.9, 2]), ValueError, r"thresholds .*integer"),
    ("NaN", "PR depth NaN", lambda: metrics.precision_recall_curve_retrieval(
        np.ones((3, 5)), np.ones((3, 5), bool), by="depth", thresholds=[np.nan, 2]), ValueError, r"thresholds"),
    ("NaN", "DSH NaN labels", lambda: _dsh().fit(X01, np.r_[np.nan, np.ones(29)]), ValueError, r"y .*NaN"),
]

BAD_INPUT = [
    pytest.param(*row[2:5], id=f"{row[0]}: {row[1]}", marks=row[5] if len(row) > 5 else ())
    for row in _ROWS
]


@pytest.mark.parametrize("call, exc, pattern", BAD_INPUT)
def test_bad_input_raises_clear_error(call, exc, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a ComplexWarning etc. is not an answer: the call must raise
        with pytest.raises(exc, match=pattern):
            call()


def test_kinds_covered():
    kinds = {row[0] for row in _ROWS}
    assert len(kinds) >= 20, sorted(kinds)
    # every row is a distinct (kind, id) so failures point at one call
    ids = [f"{row[0]}: {row[1]}" for row in _ROWS]
    assert len(ids) == len(set(ids))


# ---------------------------------------------------------------------------------- no silent coercion
def test_large_integers_are_not_rounded_silently():
    Xi = np.array([[2**24 + 1, 0], [0, 2**30]], dtype=np.int64)
    Qi = np.array([[2**24, 0]], dtype=np.int64)
    try:
        dist, idx = search.brute_force_knn(Xi, Qi, 1)
    except ValueError as exc:
        assert "X" in str(exc)
        return
    assert idx[0, 0] == 0 and dist[0, 0] == 1.0


@pytest.mark.parametrize("scale", [1e20, 1e-25, 1.0])
def test_euclidean_search_is_exact_across_float32_scales(scale):
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(5)
    Xs = (rng.normal(size=(50, 4)) * scale).astype(np.float32)
    Qs = (rng.normal(size=(5, 4)) * scale).astype(np.float32)
    ref = cdist(Qs.astype(np.float64), Xs.astype(np.float64))
    _, idx = search.brute_force_knn(Xs, Qs, 3)
    np.testing.assert_array_equal(idx, np.argsort(ref, axis=1, kind="stable")[:, :3])
    np.testing.assert_allclose(distances.euclidean_distance_matrix(Qs, Xs), ref, rtol=1e-4)


def _hasher_specs():
    """(name, constructor, data) for every hasher family that is importable, small parameters."""
    return [pytest.param(make, data, id=name) for name, (make, data) in hasher_specs(X, X01).items()]


@pytest.mark.parametrize("make, data", _hasher_specs())
def test_integer_images_are_not_rescaled(make, data):
    """Integer pixels give exactly the codes of the same values as floats: no hidden /255 or clipping.

    RBMHash takes inputs in [0, 1], so it is given 0/1 integer images; the rest get 0..255 integers.
    """
    ints = (data > 0.5).astype(np.int64) if data is X01 else np.round(data * 40).astype(np.int64)
    floats = ints.astype(np.float32)
    a = make().fit(ints).transform(ints)
    b = make().fit(floats).transform(floats)
    np.testing.assert_array_equal(a, b)


def test_integer_images_in_hog_are_not_rescaled():
    from lshlab.features import hog_features

    imgs = (X01 * 255).astype(np.int64)
    np.testing.assert_array_equal(hog_features(imgs, image_shape=(8, 8)),
                                  hog_features(imgs.astype(np.float32), image_shape=(8, 8)))


@pytest.mark.parametrize("bad", [np.full((3, 16), 0.5), np.full((3, 16), 0.9999), np.eye(3, 16) * 1.0])
def test_float_codes_are_rejected_not_truncated(bad):
    """Even float arrays holding exact 0.0 / 1.0 are refused: codes are integers; thresholding is the caller's."""
    for call in (lambda: distances.pack_bits(bad), lambda: distances.hamming_distance_matrix(bad, B[:3]),
                 lambda: search.HammingIndex(bad, backend="numpy")):
        with pytest.raises(ValueError, match=r"must be integer 0/1 codes"):
            call()


def test_packed_and_unpacked_are_never_confused():
    """A packed row whose bytes are all 0/1 is ambiguous; widths then decide, and never silently."""
    A = np.array([[1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]], dtype=np.uint8)
    Pa = distances.pack_bits(A)  # (1, 2) bytes 176, 255: not 0/1
    with pytest.raises(ValueError, match="packed=True"):
        distances.hamming_distance_matrix(Pa, Pa)
    # unpacked codes against packed ones: the widths differ (16 bits vs 2 bytes)
    with pytest.raises(ValueError, match="bits per code"):
        distances.hamming_distance_matrix(A, np.array([[1, 0]], dtype=np.uint8))


# ---------------------------------------------------------------------------------- no in-place changes
def _frozen_copies(*arrays):
    return [np.array(a, copy=True) for a in arrays]


@pytest.mark.parametrize("make, data", _hasher_specs())
def test_hashers_do_not_modify_their_input(make, data):
    Xf, Xq = np.array(data, copy=True), np.array(data[:7], copy=True)
    ref_f, ref_q = _frozen_copies(Xf, Xq)
    est = make().fit(Xf)
    est.transform(Xq)
    if est.binary:
        est.transform(Xq, packed=True)
    # float64 input goes through another conversion path
    est.fit(Xf.astype(np.float64)).transform(Xq.astype(np.float64))
    np.testing.assert_array_equal(Xf, ref_f)
    np.testing.assert_array_equal(Xq, ref_q)


def test_deep_supervised_hash_does_not_modify_its_input():
    imgs, y = np.array(X01, copy=True), np.array(Y2, copy=True)
    ref = _frozen_copies(imgs, y)
    est = _dsh().fit(imgs, y)
    est.transform(imgs[:5])
    np.testing.assert_array_equal(imgs, ref[0])
    np.testing.assert_array_equal(y, ref[1])


def test_distances_and_search_do_not_modify_their_input():
    Xd, Qd, Bd, Cd = (np.array(a, copy=True) for a in (X, Q, B, C4))
    ref = _frozen_copies(Xd, Qd, Bd, Cd)
    Pd = distances.pack_bits(Bd)
    refP = Pd.copy()
    distances.hamming_distance_matrix(Bd, Bd)
    distances.hamming_distance_matrix(Pd, Pd, packed=True)
    distances.unpack_bits(Pd, Bd.shape[1])
    distances.lee_distance_matrix(Cd, Cd, 4)
    distances.lee_to_hamming(Cd, 4)
    distances.euclidean_distance_matrix(Xd, Qd)
    search.brute_force_knn(Xd, Qd, 3)
    search.KDTree(Xd, 4).search(Qd, 3)
    search.HammingIndex(Bd, backend="numpy").search(Bd[:3], 2)
    search.HammingIndex(Pd, packed=True, backend="numpy").search(Pd[:3], 2)
    search.LeeIndex(Cd, 4, backend="numpy").search(Cd[:3], 2)
    tables = search.HashTables(lambda s: H.RandomHyperplaneHash(4, random_state=s), 3, random_state=0).fit(Xd)
    tables.search(Qd, 2)
    # the widgets' pure update functions receive the learner's arrays too
    true_idx = search.brute_force_knn(Xd, Qd, 3)[1]
    ref_idx = true_idx.copy()
    _widgets("lsh").update_lsh_recall(Xd, Qd, true_idx, K=2, L=3, random_state=0)
    D_ref = distances.euclidean_distance_matrix(Qd, Xd[:10])  # (4 queries, 10 codes in Bd)
    D_copy = D_ref.copy()
    _widgets("overlap").update_overlap(D_ref, Bd[:4], Bd, n_bits=8, k=3)
    np.testing.assert_array_equal(true_idx, ref_idx)
    np.testing.assert_array_equal(D_ref, D_copy)
    for a, r in zip((Xd, Qd, Bd, Cd, Pd), ref + [refP]):
        np.testing.assert_array_equal(a, r)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 20 ITML passes: enough here
def test_kernels_metrics_and_learners_do_not_modify_their_input():
    from lshlab.kernel_learning import kmeans_pseudo_labels
    from lshlab.metric_learning import ITML, mahalanobis_distance_matrix

    Xd, yd, ypm = np.array(X, copy=True), np.array(Y2, copy=True), np.array(YPM, copy=True)
    K = kernels.gaussian_kernel(Xd, bandwidth=2.0)
    Kd, xi, w = K.copy(), np.array([0.5, 2.0]), np.array([3.0, 1.0])
    r = np.linspace(0.0, 3.0, 7)
    A = np.diag(np.arange(1.0, 7.0))
    D = RNG.integers(0, 5, (4, 30))
    rel = RNG.random((4, 30)) < 0.3
    a_idx, b_idx = np.array([3, 1, 2]), np.array([2, 5])
    ref = _frozen_copies(Xd, yd, ypm, Kd, xi, w, r, A, D, rel, a_idx, b_idx)

    kern = kernels.SchoenbergKernel(xi, w)
    kern(r)
    kern.gram(Xd)
    kernels.kernel_target_alignment(Kd, ypm)
    kernels.kernel_target_alignment(Kd, ypm, centered=True)
    kernels.raginsky_disagreement_probability(kern, r, n_terms=50)
    kernels.median_heuristic_bandwidth(Xd)
    kmeans_pseudo_labels(Xd, random_state=0)
    _langevin(init=None).fit(Xd, ypm)
    ITML(max_iter=20, random_state=0).fit(Xd, yd)
    mahalanobis_distance_matrix(Xd, None, A)
    H.MetricHash(4, metric_matrix=A, random_state=0).fit(Xd)
    metrics.mean_average_precision(D, rel, at_k=10)
    metrics.precision_recall_curve_retrieval(D, rel)
    metrics.dice_score(a_idx, b_idx)
    metrics.jaccard_index(a_idx, b_idx)
    for got, want in zip((Xd, yd, ypm, Kd, xi, w, r, A, D, rel, a_idx, b_idx), ref):
        np.testing.assert_array_equal(got, want)


# ==================================================================================================
# Issue 17 — saved torch models (DeepSupervisedHash, ConvAutoencoder): data loss and unclear errors
# ==================================================================================================
# Each case failed on d5d8f20 (checked by running the same scenario against it):
# - a save that fails part-way (RLIMIT_FSIZE, i.e. a full disk): ConvAutoencoder.save wrote in place and
#   destroyed the previous model; DeepSupervisedHash.save kept it but left ``model.pt.tmp`` behind (and
#   replaced its weights and JSON files one after the other, never as a pair);
# - fit_or_load on a truncated / garbage cached model crashed with torch's RuntimeError naming no file,
#   and on a bit-flipped one silently returned a model with a changed weight as "cached";
# - DeepSupervisedHash.load accepted pixel_std_ = 0 and n_features_in_ = "x", and a JSON list or a
#   missing key gave AttributeError / KeyError.
# Siblings checked the same way: ConvAutoencoder.load (same metadata checks, same file format),
# fit_or_load_many (same refit path), both classes' loads of a damaged file.  The format itself (every
# refusal, checksum, version) is tested in tests/test_persistence.py.
def _flip_weight_byte(path):
    """Flip one bit inside the largest weight tensor (torch's zip reader does not check tensor data)."""
    import torch

    payload = torch.load(path, weights_only=True)
    state = payload.get("state_dict", payload)  # (the older format held a bare state dict)
    t = max(state.values(), key=lambda v: v.numel()).contiguous().numpy()
    data = bytearray(path.read_bytes())
    probe = t.tobytes()[t.nbytes // 2 : t.nbytes // 2 + 32]
    i = data.find(probe)
    assert i > 0 and data.find(probe, i + 1) < 0
    data[i] ^= 0x10
    path.write_bytes(bytes(data))


_DAMAGE = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "bit flip": _flip_weight_byte,
    "garbage": lambda p: p.write_bytes(b"\x00garbage" * 100),
    "empty": lambda p: p.write_bytes(b""),
}


@pytest.mark.parametrize("kind", ["DeepSupervisedHash", "ConvAutoencoder"])
def test_failed_save_keeps_the_previous_model_and_leaves_no_temporary_file(kind, tmp_path):
    from model_files import failed_saves

    for r in failed_saves(kind, tmp_path):  # limits at 1 %, 50 % and 99 % of the saved file's size
        assert r["raised"] is not None, r  # the failure is reported ...
        assert r["files_after"] == r["files_before"], r  # ... no temporary file is left ...
        assert r["bytes_unchanged"] and r["loads_first_model"] is True, r  # ... the previous model is intact


@pytest.mark.parametrize("many", [False, True], ids=["fit_or_load", "fit_or_load_many"])
@pytest.mark.parametrize("damage", sorted(_DAMAGE))
def test_damaged_cached_model_is_refitted_with_a_warning_naming_it(tmp_path, damage, many):
    import re

    from lshlab.hashing.dsh_cache import fit_or_load, fit_or_load_many

    kw = dict(n_bits=4, max_iter=2, batch_size=10, image_shape=(8, 8), n_jobs=1, progress=False, random_state=0)
    first, _ = fit_or_load(X01, Y2, cache_dir=tmp_path, **kw)
    (path,) = tmp_path.iterdir()
    _DAMAGE[damage](path)
    with pytest.warns(UserWarning, match=re.escape(str(path))):
        if many:
            ((model, cached),) = fit_or_load_many(X01, Y2, [kw], cache_dir=tmp_path)
        else:
            model, cached = fit_or_load(X01, Y2, cache_dir=tmp_path, **kw)
    assert not cached
    np.testing.assert_array_equal(model.embed(X01), first.embed(X01))  # the same model, fitted again
    again, cached = fit_or_load(X01, Y2, cache_dir=tmp_path, **kw)  # the damaged file was replaced
    assert cached and [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    dsh = _dsh().fit(X01, Y2).save(folder / "dsh.pt")
    ae = features.ConvAutoencoder(latent_dim=4, image_shape=(8, 8), max_iter=1, batch_size=10, n_jobs=1,
                                  random_state=0, progress=False).fit(X01).save(folder / "ae.pt")
    return {"DeepSupervisedHash": (H.DeepSupervisedHash, dsh), "ConvAutoencoder": (features.ConvAutoencoder, ae)}


@pytest.mark.parametrize("kind", ["DeepSupervisedHash", "ConvAutoencoder"])
@pytest.mark.parametrize("damage", sorted(_DAMAGE))
def test_load_of_a_damaged_model_names_the_file(saved_models, tmp_path, kind, damage):
    from lshlab.persistence import ModelFileError

    cls, saved = saved_models[kind]
    path = tmp_path / saved.name
    path.write_bytes(saved.read_bytes())
    _DAMAGE[damage](path)
    with pytest.raises(ModelFileError, match=r"(cannot be read|checksum)") as info:
        cls.load(path)
    assert str(path) in str(info.value) and isinstance(info.value, ValueError)


_BAD_METADATA = [
    ("DeepSupervisedHash", ("pixel_std_", 0.0), r"'pixel_std_'.*> 0"),
    ("DeepSupervisedHash", ("n_features_in_", "x"), r"'n_features_in_'.*integer"),
    ("DeepSupervisedHash", "list", r"JSON object, got a JSON list"),
    ("DeepSupervisedHash", ("-", "pixel_mean_"), r"missing \['pixel_mean_'\]"),
    ("DeepSupervisedHash", ("-", "params"), r"missing \['params'\]"),
    ("ConvAutoencoder", "list", r"JSON object, got a JSON list"),
    ("ConvAutoencoder", ("-", "loss_history_"), r"missing \['loss_history_'\]"),
    ("ConvAutoencoder", ("params", {"latent_dim": "x"}), r"'params'.*missing"),
]


@pytest.mark.parametrize("kind, change, match", _BAD_METADATA)
def test_load_checks_the_metadata_and_names_file_and_field(saved_models, tmp_path, kind, change, match):
    from model_files import drop_field, rewrite, set_field

    cls, saved = saved_models[kind]
    path = tmp_path / saved.name
    path.write_bytes(saved.read_bytes())
    if change == "list":
        edit = lambda meta: [meta]  # noqa: E731
    elif change[0] == "-":
        edit = drop_field(change[1])
    else:
        edit = set_field(*change)
    rewrite(path, edit)
    with pytest.raises(ValueError, match=match) as info:
        cls.load(path)
    assert str(path) in str(info.value)
