"""search: every index against brute force (one consistency mixin over all implementations),
backends against each other, the kd-tree against scikit-learn, hash-table candidates and re-ranking."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.neighbors import KDTree as SKKDTree
from sklearn.neighbors import NearestNeighbors

from lshlab.distances import hamming_distance_matrix, pack_bits
from lshlab.hashing import PStableHash, RandomHyperplaneHash
from lshlab.search import (
    HammingIndex,
    HashTables,
    KDTree,
    LeeIndex,
    MultiIndexHashing,
    brute_force_knn,
    faiss_available,
    topk_stable,
)
from lshlab._validation import check_n_jobs

BACKENDS = ["numpy"] + (["faiss"] if faiss_available() else [])


def stable_topk(D, k):
    """Reference: sort every row by (distance, column index) and keep k."""
    cols = np.broadcast_to(np.arange(D.shape[1]), D.shape)
    order = np.lexsort((cols, D), axis=1)[:, :k]
    return np.take_along_axis(D, order, axis=1), order


# ----------------------------------------------------------------------------- public primitives
@pytest.mark.parametrize("dtype", [np.uint16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 7, 49, 50, 64])
def test_topk_stable_equals_a_full_stable_sort(dtype, k):
    """Few distinct values: ties at every rank, including the k-th (integer and float paths)."""
    D = np.random.default_rng(k).integers(0, 5, (30, 50)).astype(dtype)
    values, cols = topk_stable(D, k)
    ref_v, ref_c = stable_topk(D, k)
    assert values.dtype == D.dtype and cols.dtype == np.intp
    np.testing.assert_array_equal(cols, ref_c)
    np.testing.assert_array_equal(values, ref_v)


def test_check_n_jobs():
    assert 1 <= check_n_jobs(None) <= 8
    assert check_n_jobs(3) == 3 and check_n_jobs(np.int64(2)) == 2
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_jobs must be an integer >= 1"):
            check_n_jobs(bad)


# ----------------------------------------------------------------------------- consistency mixin
class ConsistencyMixin:
    """Runs the same checks against brute force for every index (scipy's kd-tree test pattern).

    Subclasses provide ``data`` (database, queries), ``build(db)`` and ``reference(db, Q)`` returning
    the full distance matrix; ``search(index, Q, k)`` defaults to ``index.search``.
    """

    ks = (1, 5, 17)
    exact_dist = True

    def search(self, index, Q, k):
        return index.search(Q, k)

    def test_matches_brute_force(self, data):
        db, Q = data
        index = self.build(db)
        D = self.reference(db, Q)
        for k in self.ks:
            dist, idx = self.search(index, Q, k)
            assert dist.shape == idx.shape == (len(Q), k)
            ref_d, ref_i = stable_topk(D, k)
            np.testing.assert_array_equal(idx, ref_i)
            if self.exact_dist:
                np.testing.assert_array_equal(dist, ref_d)
            else:
                np.testing.assert_allclose(dist, ref_d, rtol=1e-5, atol=1e-5)

    def test_k_equals_n_returns_everything_sorted(self, data):
        db, Q = data
        dist, idx = self.search(self.build(db), Q[:3], len(db))
        assert (np.sort(idx, axis=1) == np.arange(len(db))).all()
        assert (np.diff(dist, axis=1) >= 0).all()

    def test_single_query_and_bad_k(self, data):
        db, Q = data
        index = self.build(db)
        dist, idx = self.search(index, Q[:1], 2)
        assert dist.shape == (1, 2)
        for bad in (0, -1, len(db) + 1, 2.0):
            with pytest.raises(ValueError, match="k"):
                self.search(index, Q[:2], bad)


@pytest.fixture(scope="module")
def real_data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(700, 4)), rng.normal(size=(25, 4))


class TestKDTreeConsistency(ConsistencyMixin):
    exact_dist = False

    @pytest.fixture(params=[1, 10, 40])
    def leaf_size(self, request):
        return request.param

    @pytest.fixture
    def data(self, real_data):
        return real_data

    @pytest.fixture(autouse=True)
    def _leaf(self, leaf_size):
        self.leaf_size_ = leaf_size

    def build(self, db):
        return KDTree(db, leaf_size=self.leaf_size_)

    def reference(self, db, Q):
        return cdist(Q, db)


class TestBruteForceConsistency(ConsistencyMixin):
    exact_dist = False

    @pytest.fixture
    def data(self, real_data):
        return real_data

    def build(self, db):
        return db

    def search(self, db, Q, k):
        return brute_force_knn(db, Q, k)

    def reference(self, db, Q):
        return cdist(Q.astype(np.float32), db.astype(np.float32))


class TestHashTablesExhaustive(ConsistencyMixin):
    """With huge p-stable buckets every point is a candidate, so the index is exact."""

    exact_dist = False

    @pytest.fixture
    def data(self, real_data):
        return real_data

    def build(self, db):
        return HashTables(lambda s: PStableHash(n_hashes=2, width=1e7, random_state=s), n_tables=2, random_state=0).fit(db)

    def search(self, index, Q, k):
        dist, idx = index.search(Q, k)
        assert (index.last_n_candidates_ == len(index.X_)).all()
        return dist, idx

    def reference(self, db, Q):
        return cdist(Q.astype(np.float32), db.astype(np.float32))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n_bits", [6, 13, 64, 100])  # few bits: massive ties at every distance
class TestHammingConsistency(ConsistencyMixin):
    @pytest.fixture
    def data(self, n_bits):
        rng = np.random.default_rng(n_bits)
        return rng.integers(0, 2, (600, n_bits), dtype=np.uint8), rng.integers(0, 2, (30, n_bits), dtype=np.uint8)

    @pytest.fixture(autouse=True)
    def _backend(self, backend):
        self.backend_ = backend

    def build(self, db):
        return HammingIndex(db, backend=self.backend_)

    def reference(self, db, Q):
        return hamming_distance_matrix(Q, db)


@pytest.mark.parametrize("n_substrings", [None, 2, 5])  # auto, long (hashed) and short (dense) substrings
@pytest.mark.parametrize("n_bits", [6, 13, 64, 100])  # non-multiples of 8; unequal substring lengths
class TestMultiIndexConsistency(ConsistencyMixin):
    """Multi-index hashing against brute force, k = 1 … n, with runs of duplicate codes."""

    ks = (1, 2, 5, 17, 64, 299)

    @pytest.fixture
    def data(self, n_bits):
        rng = np.random.default_rng(n_bits + 1)
        db = rng.integers(0, 2, (600, n_bits), dtype=np.uint8)
        db[300:330] = db[7]  # 31 copies of one code: ties at every k
        Q = rng.integers(0, 2, (30, n_bits), dtype=np.uint8)
        Q[:4] = db[[7, 0, 599, 300]]
        return db, Q

    @pytest.fixture(autouse=True)
    def _m(self, n_substrings):
        self.m_ = n_substrings

    def build(self, db):
        return MultiIndexHashing(db, n_substrings=self.m_, block_size=7)

    def reference(self, db, Q):
        return hamming_distance_matrix(Q, db)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("q", [2, 3, 4, 7, 10])
class TestLeeConsistency(ConsistencyMixin):
    @pytest.fixture
    def data(self, q):
        rng = np.random.default_rng(q)
        return rng.integers(0, q, (500, 12)), rng.integers(0, q, (20, 12))

    @pytest.fixture(autouse=True)
    def _params(self, backend, q):
        self.backend_, self.q_ = backend, q

    def build(self, db):
        return LeeIndex(db, self.q_, backend=self.backend_)

    def reference(self, db, Q):
        d = np.abs(Q[:, None, :] - db[None, :, :])
        return np.minimum(d, self.q_ - d).sum(-1)


# ----------------------------------------------------------------------------- Hamming backends
@pytest.mark.skipif(not faiss_available(), reason="faiss not installed")
@pytest.mark.parametrize("n_bits,n_db,n_q", [(8, 20000, 1), (8, 5000, 300), (512, 3000, 40), (4096, 500, 9)])
def test_hamming_numpy_equals_faiss_including_ties(n_bits, n_db, n_q):
    rng = np.random.default_rng(n_bits)
    C = rng.integers(0, 2, (n_db, n_bits), dtype=np.uint8)
    Q = rng.integers(0, 2, (n_q, n_bits), dtype=np.uint8)
    a = HammingIndex(C, backend="numpy").search(Q, 100)
    b = HammingIndex(C, backend="faiss").search(Q, 100)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].dtype == b[0].dtype == np.int32


@pytest.mark.parametrize("backend", BACKENDS + ["auto"])
def test_hamming_packed_input_same_as_unpacked(backend):
    rng = np.random.default_rng(1)
    C = rng.integers(0, 2, (300, 21), dtype=np.uint8)
    Q = rng.integers(0, 2, (10, 21), dtype=np.uint8)
    a = HammingIndex(C, backend=backend).search(Q, 7)
    b = HammingIndex(pack_bits(C), packed=True, backend=backend).search(pack_bits(Q), 7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_hamming_index_bad_inputs():
    C = np.random.default_rng(0).integers(0, 2, (50, 16), dtype=np.uint8)
    with pytest.raises(ValueError, match="backend"):
        HammingIndex(C, backend="gpu")
    with pytest.raises(ValueError, match="packed=True"):
        HammingIndex(pack_bits(C) | 1)
    index = HammingIndex(C, backend="numpy")
    with pytest.raises(ValueError, match="16-bit"):
        index.search(C[:, :8], 3)
    with pytest.raises(ValueError, match="2-D"):
        index.search(C[0], 3)
    with pytest.raises(ValueError, match="bytes per code"):
        HammingIndex(pack_bits(C), packed=True).search(pack_bits(C[:, :8]), 3)


def test_lee_index_bad_inputs():
    C = np.random.default_rng(0).integers(0, 5, (40, 6))
    with pytest.raises(ValueError, match="q"):
        LeeIndex(C, 1)
    with pytest.raises(ValueError, match=r"0\.\.3 for q=4"):
        LeeIndex(C, 4)
    index = LeeIndex(C, 5)
    with pytest.raises(ValueError, match="symbols"):
        index.search(C[:, :4], 3)
    with pytest.raises(ValueError, match=r"0\.\.4"):
        index.search(C + 1, 3)


# ----------------------------------------------------------------------------- brute force
def test_brute_force_matches_sklearn_and_exact_zero_for_duplicates():
    rng = np.random.default_rng(2)
    X = (rng.random((3000, 50)) * 10).astype(np.float32)
    Q = np.concatenate([X[:5], rng.random((20, 50)).astype(np.float32) * 10])
    dist, idx = brute_force_knn(X, Q, 30, block_queries=7)
    ref_d, ref_i = NearestNeighbors(n_neighbors=30, algorithm="brute").fit(X).kneighbors(Q)
    np.testing.assert_array_equal(idx, ref_i)
    np.testing.assert_allclose(dist, ref_d, rtol=1e-5, atol=1e-5)  # sklearn's own rounding at 0
    assert dist.dtype == np.float32 and (dist[:5, 0] == 0).all() and (idx[:5, 0] == np.arange(5)).all()


def test_brute_force_bad_inputs():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="features"):
        brute_force_knn(X, X[:, :2], 3)
    with pytest.raises(ValueError, match="NaN"):
        brute_force_knn(X, np.full((1, 3), np.nan), 3)
    with pytest.raises(ValueError, match="exceeds"):
        brute_force_knn(X, X, 21)


# ----------------------------------------------------------------------------- kd-tree
@pytest.mark.parametrize("n,d,k,leaf_size", [(2000, 2, 5, 10), (3000, 3, 10, 40), (1500, 8, 7, 5)])
def test_kdtree_returns_sklearn_neighbours(n, d, k, leaf_size):
    rng = np.random.default_rng(d)
    X, Q = rng.random((n, d)), rng.random((60, d))  # continuous data: no exact ties
    dist, idx = KDTree(X, leaf_size=leaf_size).search(Q, k)
    ref_d, ref_i = SKKDTree(X, leaf_size=leaf_size).query(Q, k)
    np.testing.assert_array_equal(idx, ref_i)
    np.testing.assert_allclose(dist, ref_d, rtol=1e-12, atol=1e-12)


def test_kdtree_nodes_partition_the_points():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(999, 2))
    tree = KDTree(X, leaf_size=10)
    leaves = tree.leaves()
    idx = np.concatenate([tree.idx_array[nd.start : nd.end] for nd in leaves])
    assert np.array_equal(np.sort(idx), np.arange(999))
    assert all(5 <= nd.n_points <= 10 for nd in leaves)
    assert tree.depth == 7  # balanced: ceil(log2(999 / 10))
    for nd in tree.nodes:
        P = X[tree.idx_array[nd.start : nd.end]]
        assert (P >= nd.cell_lower - 1e-12).all() and (P <= nd.cell_upper + 1e-12).all()
        np.testing.assert_array_equal(P.min(0), nd.lower)
        if not nd.is_leaf:
            left, right = tree.nodes[nd.left], tree.nodes[nd.right]
            assert (X[tree.idx_array[left.start : left.end], nd.split_dim] <= nd.split_value).all()
            assert (X[tree.idx_array[right.start : right.end], nd.split_dim] >= nd.split_value).all()
            assert nd.split_dim == np.argmax(nd.upper - nd.lower)  # widest spread


def test_kdtree_query_stats_show_the_curse_of_dimensionality():
    rng = np.random.default_rng(6)
    frac = {}
    for d in (2, 16):
        X = rng.random((4000, d))
        tree = KDTree(X, leaf_size=10)
        tree.search(rng.random((30, d)), 5)
        s = tree.query_stats
        assert (s.distance_computations >= 5).all() and (s.distance_computations <= 4000).all()
        assert (s.leaves_visited <= s.nodes_visited).all()
        frac[d] = s.distance_computations.mean() / 4000
    assert frac[2] < 0.05 < frac[16]


def test_kdtree_query_is_search_under_scipys_name():
    assert KDTree.query is KDTree.search  # one method, two names (DESIGN §3 names scipy's)
    X = np.random.default_rng(3).normal(size=(50, 3))
    tree = KDTree(X, leaf_size=4)
    a, b = tree.query(X[:4], 3), tree.search(X[:4], 3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_every_index_answers_search_and_no_index_has_another_verb():
    """One verb (issue 16): ``search(Q, k) -> (dist, idx)``; ``query`` only on KDTree, as an alias."""
    for cls in (HammingIndex, LeeIndex, HashTables, KDTree):
        assert callable(getattr(cls, "search", None)), cls
    assert not hasattr(HammingIndex, "query") and not hasattr(LeeIndex, "query") and not hasattr(HashTables, "query")


def test_kdtree_ties_are_broken_by_index():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [-1.0, 0.0], [0.0, -1.0], [5.0, 5.0]] * 3)
    dist, idx = KDTree(X, leaf_size=2).search(np.zeros((1, 2)), 6)
    np.testing.assert_array_equal(idx[0], [0, 1, 2, 3, 5, 6])
    assert (dist == 1.0).all()


def test_kdtree_bad_inputs():
    X = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.raises(ValueError, match="leaf_size"):
        KDTree(X, leaf_size=0)
    with pytest.raises(ValueError, match="2-D"):
        KDTree(X[0])
    with pytest.raises(ValueError, match="NaN"):
        KDTree(np.where(X > 1, np.nan, X))
    tree = KDTree(X)
    with pytest.raises(ValueError, match="features"):
        tree.search(X[:, :2], 1)


# ----------------------------------------------------------------------------- hash tables
@pytest.fixture(scope="module")
def clustered():
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(20, 16)) * 5
    X = (centres[rng.integers(0, 20, 1500)] + rng.normal(size=(1500, 16))).astype(np.float32)
    Q = (centres[rng.integers(0, 20, 40)] + rng.normal(size=(40, 16))).astype(np.float32)
    return X, Q


def test_hash_tables_buckets_candidates_and_exact_reranking(clustered):
    X, Q = clustered
    ht = HashTables(lambda s: RandomHyperplaneHash(n_bits=10, random_state=s), n_tables=4, random_state=0).fit(X)
    assert len(ht.buckets_) == 4 and len(ht.hashers_) == 4
    for b, h in zip(ht.buckets_, ht.hashers_):
        assert sum(len(v) for v in b.values()) == len(X)  # every point in exactly one bucket per table
        key, members = next(iter(b.items()))
        assert (h.transform(X[members], packed=True) == np.frombuffer(key, np.uint8)).all()
    cands = ht.candidates(Q)
    codes_q = [h.transform(Q) for h in ht.hashers_]
    codes_x = [h.transform(X) for h in ht.hashers_]
    for i, c in enumerate(cands):
        expected = np.flatnonzero(np.any([(cx == cq[i]).all(1) for cx, cq in zip(codes_x, codes_q)], axis=0))
        np.testing.assert_array_equal(c, expected)
    dist, idx = ht.search(Q, 10)
    np.testing.assert_array_equal(ht.last_n_candidates_, [len(c) for c in cands])
    for i, c in enumerate(cands):
        d = cdist(Q[i : i + 1].astype(np.float64), X[c].astype(np.float64))[0]
        m = min(10, len(c))
        order = np.lexsort((c, d))[:m]
        np.testing.assert_array_equal(idx[i, :m], c[order])
        np.testing.assert_allclose(dist[i, :m], d[order], rtol=1e-6)
        assert (idx[i, m:] == -1).all() and np.isinf(dist[i, m:]).all()


def test_hash_tables_pad_when_few_candidates(clustered):
    X, Q = clustered
    ht = HashTables(lambda s: RandomHyperplaneHash(n_bits=40, random_state=s), n_tables=1, random_state=0).fit(X)
    far = np.full((1, X.shape[1]), 50.0, dtype=np.float32) * np.sign(np.arange(X.shape[1]) % 2 - 0.5)
    dist, idx = ht.search(far, 5)
    assert ht.last_n_candidates_[0] < 5
    assert (idx[0, ht.last_n_candidates_[0] :] == -1).all() and np.isinf(dist[0, ht.last_n_candidates_[0] :]).all()


def test_hash_tables_recall_grows_with_tables_and_determinism(clustered):
    X, Q = clustered
    _, true = brute_force_knn(X, Q, 10)

    def recall(L, seed=0):
        ht = HashTables(lambda s: RandomHyperplaneHash(n_bits=12, random_state=s), n_tables=L, random_state=seed).fit(X)
        _, idx = ht.search(Q, 10)
        return np.mean([len(np.intersect1d(a, b)) / 10 for a, b in zip(idx, true)]), ht

    r1, ht1 = recall(1)
    r8, ht8 = recall(8)
    assert r8 > r1 and ht8.last_n_candidates_.mean() > ht1.last_n_candidates_.mean()
    r8b, ht8b = recall(8)
    assert r8 == r8b and (ht8.seeds_ == ht8b.seeds_).all()
    np.testing.assert_array_equal(ht8.search(Q, 5)[1], ht8b.search(Q, 5)[1])


def test_hash_tables_bad_inputs(clustered):
    X, Q = clustered
    with pytest.raises(ValueError, match="hasher_factory"):
        HashTables(42).fit(X)
    with pytest.raises(ValueError, match="n_tables"):
        HashTables(lambda s: RandomHyperplaneHash(random_state=s), n_tables=0).fit(X)
    with pytest.raises(ValueError, match="fit"):
        HashTables(lambda s: RandomHyperplaneHash(random_state=s)).search(Q, 3)
    with pytest.raises(ValueError, match="hasher_factory must return"):
        HashTables(lambda s: s, n_tables=1).fit(X)
    ht = HashTables(lambda s: RandomHyperplaneHash(n_bits=8, random_state=s), n_tables=2).fit(X)
    with pytest.raises(ValueError, match="features"):
        ht.search(Q[:, :3], 3)
    with pytest.raises(ValueError, match="k"):
        ht.search(Q, 0)
    with pytest.raises(ValueError, match="NaN"):
        ht.candidates(np.full_like(Q, np.nan))


# ----------------------------------------------------------------------------- filter-and-refine re-ranking
@pytest.fixture(scope="module")
def anisotropic():
    """d = 200 features with a decaying spectrum (like images): the principal axes carry most energy."""
    rng = np.random.default_rng(7)
    scales = 1.0 / np.sqrt(1.0 + np.arange(200))
    centres = rng.normal(size=(15, 200)) * scales * 6
    X = (centres[rng.integers(0, 15, 3000)] + rng.normal(size=(3000, 200)) * scales).astype(np.float32)
    Q = (centres[rng.integers(0, 15, 60)] + rng.normal(size=(60, 200)) * scales).astype(np.float32)
    return X, Q


def test_projection_bound_is_a_lower_bound_and_tight_on_principal_axes(anisotropic):
    from lshlab.search.tables import _ProjectionBound

    X, Q = anisotropic
    bound = _ProjectionBound(X, 16, np.random.default_rng(0))
    np.testing.assert_allclose(bound.basis.T @ bound.basis, np.eye(16), atol=1e-12)
    assert bound.exponent == 0  # ordinary magnitudes: no rescaling
    zq, zq2, rq, slack = bound.project(Q)
    np.testing.assert_allclose(zq2, (zq.astype(np.float64) ** 2).sum(1), rtol=1e-5)
    lb2 = ((bound.Z[None] - zq[:, None]) ** 2).sum(-1) + (bound.R[None] - rq[:, None]) ** 2
    d2 = cdist(Q.astype(np.float64), X.astype(np.float64), "sqeuclidean")
    assert (lb2 <= d2 + slack[:, None]).all()  # a bound, up to the documented float32 slack
    assert slack.max() < 1e-3 * np.median(d2)  # ... which is negligible
    assert np.median(lb2 / d2) > 0.5  # 16 of 200 axes already recover most of the distance


@pytest.mark.parametrize("n_jobs, m", [(1, 24), (2, 24), (1, 3)])
def test_hash_tables_filtered_reranking_is_exact_and_prunes(anisotropic, n_jobs, m):
    """m = 3 gives a loose bound: the second (bound ≤ k-th exact distance) pass then does real work."""
    X, Q = anisotropic
    factory = lambda s: RandomHyperplaneHash(n_bits=4, center=True, random_state=s)  # noqa: E731 - many candidates
    direct = HashTables(factory, n_tables=3, random_state=1, rerank_dims=0, n_jobs=1).fit(X)
    filtered = HashTables(factory, n_tables=3, random_state=1, rerank_dims=m, n_jobs=n_jobs).fit(X)
    assert direct.rerank_dims_ == 0 and filtered.rerank_dims_ == m
    d0, i0 = direct.search(Q, 10)
    d1, i1 = filtered.search(Q, 10)
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_array_equal(d1, d0)
    np.testing.assert_array_equal(filtered.last_n_candidates_, direct.last_n_candidates_)
    assert (direct.last_n_exact_ == direct.last_n_candidates_).all()
    assert filtered.last_n_exact_.mean() < 0.5 * filtered.last_n_candidates_.mean()
    assert filtered.last_n_exact_.mean() > 2 * 10 + 16 + (20 if m == 3 else 0)  # the second pass ran
    for i, c in enumerate(filtered.candidates(Q)):  # and both are the exact top-10 of the candidate set
        d = cdist(Q[i : i + 1].astype(np.float64), X[c].astype(np.float64))[0]
        np.testing.assert_array_equal(i1[i], c[np.lexsort((c, d))[:10]])


def test_hash_tables_second_pass_finds_neighbours_missed_by_the_first_batch(anisotropic, monkeypatch):
    """With a first exact batch of only k bounds, the true neighbours outside it must come from the
    second pass (bound ≤ k-th exact distance); a pruning threshold that is too tight would lose them."""
    X, Q = anisotropic
    factory = lambda s: RandomHyperplaneHash(n_bits=4, center=True, random_state=s)  # noqa: E731
    d0, i0 = HashTables(factory, n_tables=3, random_state=1, rerank_dims=0).fit(X).search(Q, 10)
    monkeypatch.setattr(HashTables, "_bound_batch", (1, 0))
    ht = HashTables(factory, n_tables=3, random_state=1, rerank_dims=40).fit(X)
    zq, _, rq, _ = ht._bound.project(Q)
    missed = 0
    for i, c in enumerate(ht.candidates(Q)):
        lb = ((ht._bound.Z[c] - zq[i]) ** 2).sum(1) + (ht._bound.R[c] - rq[i]) ** 2
        missed += len(np.setdiff1d(i0[i], c[np.argsort(lb)[:10]]))
    assert missed > 20  # the first batch alone is not the answer ...
    d1, i1 = ht.search(Q, 10)
    np.testing.assert_array_equal(i1, i0)  # ... but the filtered search still is exact
    np.testing.assert_array_equal(d1, d0)


def test_hash_tables_rerank_dims_auto_and_bad_values(anisotropic, clustered):
    X, _ = anisotropic
    factory = lambda s: RandomHyperplaneHash(n_bits=4, random_state=s)  # noqa: E731
    assert HashTables(factory, 1).fit(X).rerank_dims_ == 64  # d = 200 > 128
    assert HashTables(factory, 1).fit(clustered[0]).rerank_dims_ == 0  # d = 16
    for bad in (-1, 200, 2.5, "pca", True):
        with pytest.raises(ValueError, match=r"rerank_dims must be 'auto' or an integer in \[0, 200\)"):
            HashTables(factory, 1, rerank_dims=bad).fit(X)
    with pytest.raises(ValueError, match="n_jobs"):
        HashTables(factory, 1, n_jobs=0).fit(X)


def test_projection_bound_fast_path_matches_the_definition(anisotropic):
    from lshlab.search.tables import _ProjectionBound

    X, Q = anisotropic
    bound = _ProjectionBound(X, 16, np.random.default_rng(0))
    zq, zq2, rq, slack = bound.project(Q[:3])
    c = np.arange(0, len(X), 7)
    buf = np.empty((len(X), 16), np.float32)
    for i in range(3):
        lb = bound.lower_bounds(c, zq[i], zq2[i], rq[i], buf)
        ref = ((bound.Z[c].astype(np.float64) - zq[i]) ** 2).sum(1) + (bound.R[c].astype(np.float64) - rq[i]) ** 2
        assert np.abs(lb - ref).max() < slack[i]  # the expansion's rounding stays inside the slack


# ----------------------------------------------------------------------------- hash tables in Hamming space
@pytest.fixture(scope="module")
def clustered_codes():
    rng = np.random.default_rng(11)
    centres = rng.integers(0, 2, (12, 256), dtype=np.uint8)
    flip = lambda n, p: rng.random((n, 256)) < p  # noqa: E731
    X = centres[rng.integers(0, 12, 2500)] ^ flip(2500, 0.08)
    Q = centres[rng.integers(0, 12, 50)] ^ flip(50, 0.08)
    return X.astype(np.uint8), Q.astype(np.uint8)


def test_hash_tables_hamming_rank_candidates_exactly(clustered_codes):
    from lshlab.hashing import BitSamplingHash

    X, Q = clustered_codes
    ht = HashTables(lambda s: BitSamplingHash(10, random_state=s), n_tables=10, random_state=0, metric="hamming").fit(X)
    assert ht.rerank_dims_ == 0
    dist, idx = ht.search(Q, 10)
    cands = ht.candidates(Q)
    for i, c in enumerate(cands):
        d = (X[c] != Q[i]).sum(1)
        m = min(10, len(c))
        order = np.lexsort((c, d))[:m]
        np.testing.assert_array_equal(idx[i, :m], c[order])
        np.testing.assert_array_equal(dist[i, :m], d[order])
    # every true neighbour that is a candidate is found; with these clusters nearly all are
    tdist, tidx = HammingIndex(X, backend="numpy").search(Q, 10)
    recall = np.mean([(d <= t[-1]).sum() / 10 for d, t in zip(dist, tdist)])
    assert recall > 0.9 and ht.last_n_candidates_.mean() < 0.5 * len(X)


def test_hash_tables_hamming_exhaustive_equals_hamming_index(clustered_codes):
    from lshlab.hashing import BitSamplingHash

    X, Q = clustered_codes
    ht = HashTables(lambda s: BitSamplingHash(1, random_state=s), n_tables=40, random_state=0, metric="hamming").fit(X)
    dist, idx = ht.search(Q, 15)
    assert (ht.last_n_candidates_ == len(X)).all()  # 40 one-bit tables: everything is a candidate
    tdist, tidx = HammingIndex(X, backend="numpy").search(Q, 15)
    np.testing.assert_array_equal(idx, tidx)
    np.testing.assert_array_equal(dist, tdist)


def test_hash_tables_hamming_bad_inputs(clustered_codes):
    from lshlab.hashing import BitSamplingHash

    X, Q = clustered_codes
    factory = lambda s: BitSamplingHash(8, random_state=s)  # noqa: E731
    with pytest.raises(ValueError, match="metric must be 'euclidean' or 'hamming', got 'cosine'"):
        HashTables(factory, 2, metric="cosine").fit(X)
    with pytest.raises(ValueError, match="integer 0/1 codes"):
        HashTables(factory, 2, metric="hamming").fit(X.astype(np.float32))
    ht = HashTables(factory, 2, metric="hamming").fit(X)
    with pytest.raises(ValueError, match="bits per code"):
        ht.search(Q[:, :100], 3)
    with pytest.raises(ValueError, match="packed=True"):
        ht.search(np.packbits(Q, axis=1), 3)
