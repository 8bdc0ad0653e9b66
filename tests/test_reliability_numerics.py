"""Reliability of the numerics (issue 17): exact at any offset and scale, nothing silently wrong, bounded memory.

Each test reproduces one finding of the outside review, or a sibling of it (same class), through the
public API; each failed on d5d8f20 / d17822f and on main before the fix (checked by running this file
against those trees).  The classes, and the paths checked for each:

* **Euclidean exactness** — float32 candidate selection made uncentred float32 arithmetic decide the
  answer (GPS points (45°, 7°) ± 0.01: 2 % of true nearest neighbours; 64-D data at offset 1000: 1 %).
  Every Euclidean path, at offsets, at extreme scales, with duplicates and with far queries:
  ``brute_force_knn``, ``relevance_from_neighbors`` (the evaluation's Euclidean ground truth),
  ``euclidean_distance_matrix`` (both dtypes, squared or not), ``iter_distance_blocks``,
  ``HashTables`` re-ranking (every candidate measured, and filtered by the PCA bound), ``KDTree`` and
  the same expansion under a metric, ``metric_learning.mahalanobis_distance_matrix``.
* **Float32 underflow / overflow** — float64 data below 1e-38 were flushed to 0 (all-zero distances,
  every neighbour row 0, constant codes): every Euclidean path computes them exactly (float64 output)
  or refuses a float32 output; every estimator refuses them with a message naming ``X``.
* **out= arrays** — a narrower ``out`` wrapped or truncated silently while ``dtype=`` was refused:
  ``hamming_distance_matrix``, ``lee_distance_matrix``, ``euclidean_distance_matrix`` and the kernels
  ``hamming_rows`` / ``lee_direct_rows`` (wrong dtype, read-only, overlapping the input).
* **Integer outputs that overflow** — ``PStableHash`` bucket numbers wrapped to −2³¹ and far points
  collided; the other quantisers (``LeeHash``, ``lee_quantize``) likewise past float32's integers.
* **Values that cannot be represented** — string against integer labels made every item irrelevant
  (``relevance_from_labels``, ``score_codes(labels=)``, ``score_search_results(labels=)``);
  ``RandomFeatureSampler(kernel=1e-300)`` gave NaN features and ``MetricHash`` with a 1e300 metric all-zero
  codes: every random-feature estimator checks its frequencies and phases, ``MetricHash`` and SimHash
  bits are scale-invariant at any scale.
* **Memory and time** — peak resident memory of a child process (VmHWM, ``memory.peak_memory``):
  ``brute_force_knn`` bounded in k, ``euclidean_distance_matrix`` on offset data and on many duplicate
  rows, Lee distances and ``LeeIndex`` at q = 65,536.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from lshlab import distances, hashing as H, metrics, search
from lshlab.evaluation import CodePair, score_codes, score_search_results
from hasher_specs import hasher_specs
from lshlab.random_features import RandomFeatureSampler
from memory import AVAILABLE as MEMORY_PROBE, peak_memory


# ------------------------------------------------------------------------------------------ references
def _exact_sq(A, B):
    """Exact squared distances of the rows of A to the rows of B (float64, direct differences), in units
    of 2^e (returned) chosen so that nothing overflows or underflows whatever the data's magnitude."""
    A, B = np.asarray(A, np.float64), np.asarray(B, np.float64)
    m = max(np.abs(A).max(), np.abs(B).max())
    e = int(np.frexp(m)[1]) if m > 0 else 0
    As, Bs = np.ldexp(A, -e), np.ldexp(B, -e)
    D2 = np.empty((len(As), len(Bs)))
    for i, a in enumerate(As):
        diff = Bs - a
        D2[i] = np.einsum("ij,ij->i", diff, diff)
    return D2, e


def _ref_knn(X, Q, k):
    """(distances in float64, indices) of the exact k nearest rows, ties by index."""
    D2, e = _exact_sq(Q, X)
    cols = np.broadcast_to(np.arange(D2.shape[1]), D2.shape)
    idx = np.lexsort((cols, D2), axis=1)[:, :k]
    return np.ldexp(np.sqrt(np.take_along_axis(D2, idx, axis=1)), e), idx


class OneBucket(BaseEstimator):
    """A hasher that puts every point in one bucket: HashTables then re-ranks the whole database."""

    binary = True

    def fit(self, X, y=None):
        return self

    def transform(self, X, packed=False):
        return np.zeros((len(X), 1), dtype=np.uint8)


def _gps(rng):
    X = np.c_[45 + rng.uniform(-0.01, 0.01, 2000), 7 + rng.uniform(-0.01, 0.01, 2000)]
    Q = np.c_[45 + rng.uniform(-0.01, 0.01, 120), 7 + rng.uniform(-0.01, 0.01, 120)]
    return X, Q


def _offset(d, offset, dtype=np.float64, n=1500, nq=60, qoffset=None):
    def make(rng):
        X = (rng.normal(size=(n, d)) + offset).astype(dtype)
        Q = (rng.normal(size=(nq, d)) + (offset if qoffset is None else qoffset)).astype(dtype)
        return X, Q
    return make


def _scaled(d, scale, dtype):
    def make(rng):
        return ((rng.normal(size=(1500, d)) * scale).astype(dtype), (rng.normal(size=(60, d)) * scale).astype(dtype))
    return make


def _duplicates(rng):
    base = rng.normal(size=(10, 32)) + 500
    X = base[rng.integers(0, 10, 1500)]
    Q = np.vstack([base[rng.integers(0, 10, 30)], rng.normal(size=(30, 32)) * 0.01 + base[0]])
    return X, Q


# Data in the float32 range of distances (default dtypes work); each failed on the old code for at least
# one of brute_force_knn, relevance_from_neighbors, HashTables or the distance matrices.
CASES = {
    "GPS (45°, 7°) ± 0.01, float64": _gps,
    "64-D at offset 1000, float64": _offset(64, 1000.0),
    "64-D at offset 1000, float32": _offset(64, 1000.0, np.float32),
    "8-D at offset -1e8, float64": _offset(8, -1e8),
    "16-D at scale 1e-20, float64": _scaled(16, 1e-20, np.float64),
    "16-D at scale 1e20, float32": _scaled(16, 1e20, np.float32),
    "32-D at scale 1e-30, float32": _scaled(32, 1e-30, np.float32),
    "10 distinct rows at offset 500, repeated": _duplicates,
    "queries at offset 1e6 from centred data": _offset(16, 0.0, qoffset=1e6),
}


@pytest.fixture(params=list(CASES), scope="module")
def case(request):
    X, Q = CASES[request.param](np.random.default_rng(3))
    return X, Q, _ref_knn(X, Q, 7)


def _assert_knn(dist, idx, ref):
    np.testing.assert_array_equal(idx, ref[1])
    np.testing.assert_allclose(dist, ref[0], rtol=2e-7, atol=0)


# ========================================================================= Euclidean paths, exactly
def test_brute_force_knn_is_exact_at_any_offset_and_scale(case):
    X, Q, ref = case
    _assert_knn(*search.brute_force_knn(X, Q, 7), ref)
    _assert_knn(*search.brute_force_knn(X, Q, 7, block_queries=7, n_jobs=2), ref)  # threads, small blocks


def test_relevance_from_neighbors_is_exact(case):
    X, Q, ref = case
    expected = np.zeros((len(Q), len(X)), dtype=bool)
    np.put_along_axis(expected, ref[1], True, axis=1)
    np.testing.assert_array_equal(metrics.relevance_from_neighbors(Q, X, 7), expected)


@pytest.mark.parametrize("rerank_dims", [0, "bound"])
def test_hash_tables_rerank_is_exact(case, rerank_dims):
    X, Q, ref = case
    m = 0 if rerank_dims == 0 else max(1, X.shape[1] // 4)
    ht = search.HashTables(lambda s: OneBucket(), n_tables=1, rerank_dims=m, random_state=0).fit(X)
    dist, idx = ht.search(Q, 7)
    assert (ht.last_n_candidates_ == len(X)).all()
    _assert_knn(dist, idx, ref)


def test_kdtree_is_exact(case):
    X, Q, ref = case
    _assert_knn(*search.KDTree(X, leaf_size=8).search(Q, 7), ref)


def test_distance_matrices_are_accurate(case):
    """Relative error ≤ 1e-4 in float32 (the documented accuracy; identical rows exactly 0) and ≤ 1e-9 in
    float64; iter_distance_blocks gives the same rows; a squared matrix beyond float32 is refused."""
    X, Q, _ = case
    D2, e = _exact_sq(Q, X)
    exact = np.ldexp(np.sqrt(D2), e)
    for dtype, rtol in ((np.float32, 1e-4), (np.float64, 1e-9)):
        D = distances.euclidean_distance_matrix(Q, X, dtype=dtype)
        assert D.dtype == dtype
        np.testing.assert_allclose(D, exact, rtol=rtol, atol=0)
        blocks = np.vstack([b for _, _, b in distances.iter_distance_blocks(Q, X, block_rows=13, dtype=dtype)])
        np.testing.assert_allclose(blocks, D, rtol=1e-6, atol=0)
    try:
        S = distances.euclidean_distance_matrix(Q, X, squared=True)
    except ValueError as exc:  # 1e20² is beyond float32: refused with the way out
        assert "dtype=np.float64" in str(exc)
        S = distances.euclidean_distance_matrix(Q, X, squared=True, dtype=np.float64)
    np.testing.assert_allclose(S, np.ldexp(D2, 2 * e), rtol=1e-4, atol=0)


@pytest.mark.parametrize("offset", [1e3, 1e6, 1e8])
def test_mahalanobis_distances_are_accurate_far_from_the_origin(offset):
    """A sibling of the Euclidean expansion: xᵀAx + yᵀAy − 2xᵀAy cancelled at offset 1e8 (errors of 16×)."""
    from lshlab.metric_learning import mahalanobis_distance_matrix

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(80, 6)) + offset, rng.normal(size=(50, 6)) + offset
    A = np.cov(rng.normal(size=(100, 6)), rowvar=False)
    diff = X[:, None, :] - Y[None, :, :]
    exact = np.einsum("ijk,kl,ijl->ij", diff, A, diff)
    np.testing.assert_allclose(mahalanobis_distance_matrix(X, Y, A), exact, rtol=1e-9)
    np.testing.assert_allclose(mahalanobis_distance_matrix(X, None, A)[~np.eye(80, dtype=bool)],
                               np.einsum("ijk,kl,ijl->ij", X[:, None] - X[None], A, X[:, None] - X[None])[
                                   ~np.eye(80, dtype=bool)], rtol=1e-9)


def test_self_distances_of_duplicates_are_exactly_zero():
    X, _ = _duplicates(np.random.default_rng(0))
    D = distances.euclidean_distance_matrix(X[:300])
    same = (X[:300, None, :] == X[None, :300, :]).all(-1)
    assert (D[same] == 0).all() and (D[~same] > 1).all()


# ================================================================ beyond float32: exact or refused
@pytest.mark.parametrize("scale", [1e-300, 1e-45, 1e300])
def test_extreme_magnitudes_are_exact_in_float64_and_refused_in_float32(scale):
    """float64 data below 1e-38 used to be flushed to 0 (all distances 0, every neighbour row 0)."""
    rng = np.random.default_rng(4)
    X, Q = rng.normal(size=(400, 6)) * scale, rng.normal(size=(20, 6)) * scale
    ref = _ref_knn(X, Q, 5)
    pattern = r"(below the smallest normal float32|beyond the float32 range).*dtype=np\.float64"
    with pytest.raises(ValueError, match=pattern):
        search.brute_force_knn(X, Q, 5)
    with pytest.raises(ValueError, match=pattern):
        distances.euclidean_distance_matrix(Q, X)
    with pytest.raises(ValueError, match=pattern):
        next(distances.iter_distance_blocks(Q, X))
    with pytest.raises(ValueError, match=r"(below|beyond).*float32.*rescale"):
        search.HashTables(lambda s: OneBucket(), 1, rerank_dims=0).fit(X).search(Q, 5)
    _assert_knn(*search.KDTree(X, 8).search(Q, 5), ref)
    rel = metrics.relevance_from_neighbors(Q, X, 5)
    np.testing.assert_array_equal(np.flatnonzero(rel[0]), np.sort(ref[1][0]))
    _assert_knn(*search.brute_force_knn(X, Q, 5, dtype=np.float64), ref)
    D2, e = _exact_sq(Q, X)
    np.testing.assert_allclose(distances.euclidean_distance_matrix(Q, X, dtype=np.float64), np.ldexp(np.sqrt(D2), e),
                               rtol=1e-9)


def _hashers():
    rng = np.random.default_rng(0)
    specs = hasher_specs(rng.random((30, 64)), rng.random((30, 64)), metric_matrix=np.eye(64))
    specs["RandomFeatureSampler"] = (lambda: RandomFeatureSampler(8, random_state=0), specs["PCAHash"][1])
    # KernelizedHash computes in float64, so nothing is flushed; at these scales its kernel matrix
    # degenerates and it says so (tests/test_reliability_scale.py)
    specs.pop("KernelizedHash", None)
    return specs


@pytest.mark.parametrize("name", list(_hashers()))
def test_estimators_refuse_data_that_float32_flushes_to_zero(name):
    make, X = _hashers()[name]
    fitted = make().fit(X)
    for bad in (X * 1e-46, X * 1e300):
        with pytest.raises(ValueError, match=r"X holds values .*(below the smallest normal|beyond the) float32"):
            make().fit(bad)
        with pytest.raises(ValueError, match=r"X holds values .*(below the smallest normal|beyond the) float32"):
            fitted.transform(bad)


# ============================================================================== out= arrays
B300 = np.random.default_rng(2).integers(0, 2, (4, 300), dtype=np.uint8)
L16 = np.random.default_rng(2).integers(0, 16, (4, 40))  # Lee distances up to 320
L70K = np.random.default_rng(2).integers(0, 65536, (4, 40))  # direct kernel, distances up to 1.3e6
EU = np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[3.7, 0.0], [0.0, 0.0], [0.5, 0.5]])

_OUT_CASES = [
    ("hamming uint8 (300 bits)", lambda o: distances.hamming_distance_matrix(B300, out=o), (4, 4), np.uint8,
     r"out has dtype uint8, which cannot hold Hamming distances up to 300"),
    ("hamming packed int8", lambda o: distances.hamming_distance_matrix(np.packbits(B300, axis=1), packed=True, out=o),
     (4, 4), np.int8, r"out has dtype int8, which cannot hold Hamming distances up to 304"),
    ("hamming float32", lambda o: distances.hamming_distance_matrix(B300, out=o), (4, 4), np.float32,
     r"out has dtype float32.*Hamming"),
    ("lee uint8 (embedding)", lambda o: distances.lee_distance_matrix(L16, q=16, out=o), (4, 4), np.uint8,
     r"out has dtype uint8, which cannot hold Lee distances up to 320"),
    ("lee uint16 (direct kernel)", lambda o: distances.lee_distance_matrix(L70K, q=65536, out=o), (4, 4), np.uint16,
     r"out has dtype uint16, which cannot hold Lee distances up to 1310720"),
    ("euclidean int64", lambda o: distances.euclidean_distance_matrix(*EU, out=o), (2, 3), np.int64,
     r"out has dtype int64, which cannot hold Euclidean distances"),
    ("euclidean float64 for dtype float32", lambda o: distances.euclidean_distance_matrix(*EU, out=o), (2, 3),
     np.float64, r"out has dtype float64 but the distances are computed in float32.*dtype=np.float64"),
    ("euclidean float16", lambda o: distances.euclidean_distance_matrix(*EU, out=o), (2, 3), np.float16,
     r"out has dtype float16"),
]


@pytest.mark.parametrize("call, shape, dtype, pattern", [pytest.param(*c[1:], id=c[0]) for c in _OUT_CASES])
def test_out_arrays_of_a_narrower_type_are_refused(call, shape, dtype, pattern):
    out = np.full(shape, 7, dtype=dtype)
    with pytest.raises(ValueError, match=pattern):
        call(out)
    assert (out == 7).all()  # nothing written


def test_out_arrays_that_fit_are_filled_exactly():
    o16 = np.empty((4, 4), np.uint16)
    np.testing.assert_array_equal(distances.hamming_distance_matrix(B300, out=o16),
                                  (B300[:, None] != B300[None]).sum(-1))
    o64 = np.empty((4, 4), np.int64)
    d = np.abs(L70K[:, None] - L70K[None])
    np.testing.assert_array_equal(distances.lee_distance_matrix(L70K, q=65536, out=o64),
                                  np.minimum(d, 65536 - d).sum(-1))
    of = np.empty((2, 3), np.float64)
    distances.euclidean_distance_matrix(*EU, dtype=np.float64, out=of)
    np.testing.assert_allclose(of, [[3.7, 0.0, np.sqrt(0.5)], [2.7, 1.0, np.sqrt(0.5)]], rtol=1e-12)


def test_out_arrays_read_only_or_overlapping_the_input_are_refused():
    ro = np.empty((4, 4), np.int32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        distances.hamming_distance_matrix(B300, out=ro)
    A = np.random.default_rng(0).normal(size=(6, 6)).astype(np.float32)
    with pytest.raises(ValueError, match="out overlaps A"):
        distances.euclidean_distance_matrix(A, A[:, ::-1].copy(), out=A)


def test_low_level_kernels_check_their_out_arrays():
    from lshlab.search.primitives import as_words, hamming_block, hamming_rows, lee_direct_rows, lee_symbols_t, \
        transpose_words

    W = as_words(np.packbits(B300, axis=1))
    WT = transpose_words(W)
    with pytest.raises(ValueError, match="out has dtype uint8, which cannot hold Hamming distances up to 300"):
        hamming_rows(W, WT, 300, out=np.empty((4, 4), np.uint8))
    with pytest.raises(ValueError, match="out must be a uint16 or int32 array"):
        hamming_block(W, WT, np.empty((4, 4), np.uint8))
    with pytest.raises(ValueError, match="cannot hold Lee distances up to 1310720"):
        lee_direct_rows(L70K, lee_symbols_t(L70K, 65536), 65536, out=np.empty((4, 4), np.uint16))


# ====================================================================== integer outputs that overflow
def test_pstable_buckets_never_wrap_around():
    """Bucket numbers beyond 2^31 wrapped to -2147483648 and far-apart points collided (a RuntimeWarning)."""
    h = H.PStableHash(4, width=1e-3, random_state=0).fit(np.ones((2, 3)))
    far = np.array([[1e6, 0.0, 0.0], [-1e6, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"PStableHash bucket numbers .*width=0\.001 is too small for the scale of X"
                                         r" \(\|x\| up to 1e\+06.*use width >= "):
        h.transform(far)
    with pytest.raises(ValueError, match=r"width must lie in the float32 range"):
        H.PStableHash(4, width=1e-300).fit(np.ones((2, 3)))
    # ordinary data: the formula of Datar et al. computed in float32, unchanged
    X = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    h = H.PStableHash(5, width=0.7, random_state=1).fit(X)
    expected = np.floor((X @ h.projections_ + h.offsets_) / h.width_).astype(np.int32)
    np.testing.assert_array_equal(h.transform(X), expected)


def test_lee_quantisers_stay_exact():
    from lshlab.hashing.lee import lee_quantize

    with pytest.raises(ValueError, match=r"u reach .*q·u must stay below 2\^24"):
        lee_quantize(np.array([1e7], dtype=np.float32), 4)
    with pytest.raises(ValueError, match=r"u overflow \(inf or NaN\)"):
        lee_quantize(np.array([np.nan]), 4)
    X = np.random.default_rng(0).normal(size=(40, 5))
    with pytest.raises(ValueError, match=r"u = z/scale \+ t .*use a larger scale"):
        H.LeeHash(8, q=16, scale=1e-9, random_state=0).fit(X).transform(X)


# =============================================================== values that cannot be represented
_LABELS_BAD = {
    "text vs integers": (np.array(["1", "2", "1"]), np.array([1, 2, 2, 1])),
    "bytes vs text": (np.array([b"a", b"b", b"a"]), np.array(["a", "b", "b", "a"])),
    "mixed object labels": (np.array([1, "a", 2], dtype=object), np.array([1, 2, 2, 1])),
    "NaN labels": (np.array([1.0, np.nan, 2.0]), np.array([1.0, 2.0, 2.0, 1.0])),
}


@pytest.mark.parametrize("yq, yd", list(_LABELS_BAD.values()), ids=list(_LABELS_BAD))
def test_labels_that_can_never_be_equal_are_refused(yq, yd):
    pattern = r"(holds \w+ labels .* but .* holds \w+ labels|mixes label types|contains NaN labels)"
    with pytest.raises(ValueError, match=pattern):
        metrics.relevance_from_labels(yq, yd)
    codes = CodePair(query=np.zeros((3, 8), np.uint8), db=np.ones((4, 8), np.uint8))
    with pytest.raises(ValueError, match=pattern):
        score_codes(codes, labels=(yq, yd))
    with pytest.raises(ValueError, match=pattern):
        score_search_results(np.zeros((3, 2)), np.zeros((3, 2), dtype=int), labels=(yq, yd))


def test_labels_of_one_kind_still_compare():
    np.testing.assert_array_equal(metrics.relevance_from_labels(np.array([True, False]), np.array([1, 0])),
                                  [[True, False], [False, True]])
    np.testing.assert_array_equal(metrics.relevance_from_labels(np.array([1, 2], dtype=object), np.array([1.0, 3.0])),
                                  [[True, False], [False, False]])
    assert metrics.relevance_from_labels(np.array(["a"]), np.array(["a", "b"], dtype=object)).tolist() == [[True, False]]


_RANDOM_FEATURES = {
    "RandomFeatureSampler": lambda k: RandomFeatureSampler(16, kernel=k, random_state=0),
    "ShiftInvariantHash": lambda k: H.ShiftInvariantHash(16, kernel=k, random_state=0),
    "LeeHash": lambda k: H.LeeHash(8, q=8, n_components=16, kernel=k, random_state=0),
}


@pytest.mark.parametrize("make", list(_RANDOM_FEATURES.values()), ids=list(_RANDOM_FEATURES))
@pytest.mark.parametrize("kernel, pattern", [
    (1e-300, r"kernel \(Gaussian bandwidth\) must lie in \[1e-150, 1e150\]"),
    (1e-100, r"frequencies ω of kernel=1e-100 reach .* beyond the float32 range"),
    (1e-10, r"phases ωᵀx \+ b.* reach .*kernel=1e-10 is too narrow for the scale of X"),
    (1e45, r"frequencies ω of kernel=1e\+45 are at most .* below the smallest normal float32"),
])
def test_random_features_refuse_frequencies_and_phases_float32_cannot_hold(make, kernel, pattern):
    """RandomFeatureSampler(kernel=1e-300) gave all-NaN features with only a RuntimeWarning."""
    X = np.random.default_rng(0).normal(size=(40, 5))
    with pytest.raises(ValueError, match=pattern):
        make(kernel).fit(X).transform(X)


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e60, 1e-60])
def test_sign_codes_do_not_depend_on_the_scale(scale):
    """MetricHash with a 1e300 metric gave all-zero codes; SimHash bits of rows near 1e37 were wrong."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6))
    A = np.cov(rng.normal(size=(100, 6)), rowvar=False)
    ref = H.MetricHash(16, metric_matrix=A, random_state=0).fit(X).transform(X)
    np.testing.assert_array_equal(H.MetricHash(16, metric_matrix=A * scale, random_state=0).fit(X).transform(X), ref)
    X32 = X.astype(np.float32)
    simhash = H.RandomHyperplaneHash(16, random_state=0).fit(X32)
    for s in (np.float32(1e37), np.float32(1e-37)):
        np.testing.assert_array_equal(simhash.transform(X32 * s), simhash.transform(X32))


# ============================================================================= memory and time
pytestmark_memory = pytest.mark.skipif(not MEMORY_PROBE, reason="needs /proc (Linux)")
_SETUP = "import numpy as np, time\nfrom lshlab import search, distances\nrng = np.random.default_rng(0)\n"


@pytestmark_memory
def test_brute_force_knn_memory_is_bounded_in_k():
    """k = n = 5000 on 5000 × 784 peaked at 1.27 GB (a float64 gather of 16 · k · d per block): now about
    the memory of k = 10 plus the (queries × k) results."""
    setup = _SETUP + "X = rng.random((5000, 784), dtype=np.float32)\nQ = X[:32].copy()"
    small = peak_memory("d, i = search.brute_force_knn(X, Q, 10)", setup=setup)
    full = peak_memory("d, i = search.brute_force_knn(X, Q, 5000)", setup=setup)
    assert full.delta_mb < small.delta_mb + 60, (str(small), str(full))


@pytestmark_memory
@pytest.mark.parametrize("data", ["offset 1000", "many duplicate rows"])
def test_distance_matrix_of_offset_or_duplicate_data_is_as_cheap_as_centred(data):
    """Offset 1000: 10.9 s and 1.1 GB instead of 0.13 s and 77 MB (nearly every entry recomputed in float64);
    many duplicate rows: 693 MB.  Now within a small factor of centred data, in time and memory."""
    make = {"offset 1000": "A = (rng.random((2000, 784)) + 1000).astype(np.float32)",
            "many duplicate rows": "A = np.repeat(rng.random((4, 784)).astype(np.float32), 500, axis=0)"}[data]
    code = "t = time.perf_counter(); D = distances.euclidean_distance_matrix(A); result = time.perf_counter() - t"
    ref = peak_memory(code, setup=_SETUP + "A = rng.random((2000, 784)).astype(np.float32)", timeout=60)
    got = peak_memory(code, setup=_SETUP + make, timeout=60)
    assert got.delta_mb < ref.delta_mb + 40, (str(ref), str(got))
    assert float(got.result) < 3 * float(ref.result) + 0.5, (ref.result, got.result)


@pytestmark_memory
def test_brute_force_knn_on_many_duplicates_is_fast():
    """A guard for the certificate of brute_force_knn: with many identical rows every row near the k-th
    distance is in the band, and identical rows must be measured once, not once per query."""
    setup = _SETUP + ("X = np.repeat(rng.random((5, 256)) + 100, 800, axis=0)\nQ = X[::40].copy()\n"
                      "Y = rng.random((4000, 256)) + 100")
    code = ("t = time.perf_counter(); search.brute_force_knn(Y, Q, 10); t1 = time.perf_counter() - t\n"
            "t = time.perf_counter(); d, i = search.brute_force_knn(X, Q, 10); result = (t1, time.perf_counter() - t)\n"
            "assert (i == np.sort(i, axis=1)).all() and (d == 0).all()")
    usage = peak_memory(code, setup=setup, timeout=60)
    t_distinct, t_dup = eval(usage.result)
    assert t_dup < 3 * t_distinct + 0.5, usage.result
    assert usage.delta_mb < 100, str(usage)


@pytestmark_memory
def test_lee_distances_at_q_65536_cost_the_codes_not_the_embedding():
    """q = 65,536 cost q/2 bits per symbol: 3.2 kB of codes made a 6.6 MB index, a 100 × 100 matrix took 4.1 s."""
    code = ("t = time.perf_counter(); ix = search.LeeIndex(C, 65536, backend='numpy'); d, i = ix.search(C, 5)\n"
            "D = distances.lee_distance_matrix(C, C, 65536); result = time.perf_counter() - t\n"
            "assert (d[:, 0] == 0).all() and (D.diagonal() == 0).all()")
    usage = peak_memory(code, setup=_SETUP + "C = rng.integers(0, 65536, (100, 16)).astype(np.uint16)", timeout=60)
    assert usage.delta_mb < 8, str(usage)
    assert float(usage.result) < 0.5, usage.result


@pytest.mark.parametrize("q", [2, 3, 4, 5, 23, 24, 25, 48, 49, 50, 255, 256, 257, 32767, 32768, 65536])
def test_lee_paths_agree_with_the_definition(q):
    """Embedding (up to 24 bits per symbol) and direct kernel give the same integers and the same index
    results, ties by index, including the largest distances (int16 partial sums)."""
    rng = np.random.default_rng(q)
    A = rng.integers(0, q, (40, 9))
    B = np.vstack([rng.integers(0, q, (300, 9)), A[:5], np.full((3, 9), q // 2), np.zeros((3, 9), int)])
    d = np.abs(A[:, None] - B[None])
    ref = np.minimum(d, q - d).sum(-1)
    np.testing.assert_array_equal(distances.lee_distance_matrix(A, B, q), ref)
    blocks = np.vstack([b for _, _, b in distances.iter_distance_blocks(A, B, "lee", q=q, block_rows=7)])
    np.testing.assert_array_equal(blocks, ref)
    dist, idx = search.LeeIndex(B, q, backend="numpy").search(A, 12)
    cols = np.broadcast_to(np.arange(len(B)), ref.shape)
    order = np.lexsort((cols, ref), axis=1)[:, :12]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_array_equal(dist, np.take_along_axis(ref, order, axis=1))
    zero, half = np.zeros((1, 9), int), np.full((1, 9), q // 2)
    assert distances.lee_distance_matrix(zero, half, q)[0, 0] == 9 * (q // 2)
    assert search.LeeIndex(B, q).method_ == ("embedding" if (q // 2 if q % 2 == 0 else q) <= 24 else "direct")
