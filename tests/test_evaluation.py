"""lshlab.evaluation against brute force: literal distance loops, lshlab.metrics on whole matrices,
literal AP loops and enumeration of tie orders; chunk boundaries; bad input."""

import itertools

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from lshlab import evaluation as ev
from lshlab.evaluation import (
    CodePair,
    code_distances,
    encode_pair,
    evaluate_hasher,
    hasher_grid_search,
    score_codes,
    score_search_results,
)
from lshlab.hashing import LeeHash, RandomHyperplaneHash, ShiftInvariantHash
from lshlab.metrics import (
    mean_average_precision,
    precision_at_k,
    precision_recall_curve_retrieval,
    relevance_from_labels,
)
from lshlab.search import HammingIndex


# ---------------------------------------------------------------- brute-force references
def hamming_loop(A, B):
    return np.array([[int(np.sum(a != b)) for b in B] for a in A])


def lee_loop(A, B, q):
    out = np.zeros((len(A), len(B)), dtype=np.int64)
    for i, a in enumerate(A.astype(np.int64)):
        for j, b in enumerate(B.astype(np.int64)):
            diff = np.abs(a - b)
            out[i, j] = np.minimum(diff, q - diff).sum()
    return out


def ap_in_order(rel_in_order, k):
    """AP@k = (1/R_k) Σ_{i≤k} rel_i · (hits in the top i) / i, relevance already in ranked order."""
    rel_k = np.asarray(rel_in_order[:k], dtype=float)
    hits = np.cumsum(rel_k)
    return float((rel_k * hits / np.arange(1, k + 1)).sum() / hits[-1]) if hits[-1] else 0.0


def map_index_loop(D, rel, k):
    """mAP@k with ties broken by database index: a stable sort of each row, then the definition."""
    return float(np.mean([ap_in_order(r[np.argsort(d, kind="stable")], k) for d, r in zip(D, rel)]))


def labelled_codes(n_query, n_db, n_bits, n_classes=4, flip=0.3, seed=0):
    """Binary codes near one prototype per class (so rankings are informative and tie heavily)."""
    rng = np.random.default_rng(seed)
    proto = rng.integers(0, 2, (n_classes, n_bits), dtype=np.uint8)
    yq, yd = rng.integers(0, n_classes, n_query), rng.integers(0, n_classes, n_db)

    def noisy(y):
        return (proto[y] ^ (rng.random((len(y), n_bits)) < flip)).astype(np.uint8)

    return CodePair(query=noisy(yq), db=noisy(yd)), yq, yd


# ---------------------------------------------------------------- code distances
def test_code_distances_hamming_packed_and_lee_match_loops():
    rng = np.random.default_rng(1)
    A, B = rng.integers(0, 2, (7, 21), dtype=np.uint8), rng.integers(0, 2, (9, 21), dtype=np.uint8)
    expected = hamming_loop(A, B)
    np.testing.assert_array_equal(code_distances(CodePair(query=A, db=B)), expected)
    packed = CodePair(query=np.packbits(A, axis=1), db=np.packbits(B, axis=1), packed=True)
    np.testing.assert_array_equal(code_distances(packed), expected)
    for q in (2, 5, 6, 17):
        S, T = rng.integers(0, q, (6, 11)), rng.integers(0, q, (8, 11))
        np.testing.assert_array_equal(code_distances(CodePair(query=S, db=T, q=q)), lee_loop(S, T, q))


def test_code_pair_prefix_subset_and_max_distance():
    pair, _, _ = labelled_codes(5, 8, 12)
    short = pair.prefix(4)
    np.testing.assert_array_equal(code_distances(short), hamming_loop(pair.query[:, :4], pair.db[:, :4]))
    np.testing.assert_array_equal(code_distances(pair.query_subset(slice(1, 3))), code_distances(pair)[1:3])
    assert pair.max_distance == 12
    assert CodePair(query=np.zeros((1, 3), int), db=np.ones((2, 3), int), q=7).max_distance == 9
    assert CodePair(query=np.zeros((1, 2), np.uint8), db=np.zeros((1, 2), np.uint8), packed=True).max_distance == 16


# ---------------------------------------------------------------- score_codes against brute force
@pytest.mark.parametrize("ties", ["average", "index"])
@pytest.mark.parametrize("at_k", [None, 1, 7, 40])
@pytest.mark.parametrize("block_rows", [1, 4, 23, None])  # 23 queries: blocks of 4 end on a ragged block
def test_score_codes_equals_metrics_on_the_whole_matrix(ties, at_k, block_rows):
    pair, yq, yd = labelled_codes(23, 40, 6, seed=2)
    D, rel = hamming_loop(pair.query, pair.db), relevance_from_labels(yq, yd)
    expected = mean_average_precision(D, rel, at_k=at_k, ties=ties)
    by_labels = score_codes(pair, labels=(yq, yd), at_k=at_k, ties=ties, precision_k=(1, 5, 12),
                            block_rows=block_rows)
    by_matrix = score_codes(pair, rel, at_k=at_k, ties=ties, block_rows=block_rows)
    assert by_labels.map == expected and by_matrix.map == expected
    np.testing.assert_array_equal(by_labels.average_precision, by_matrix.average_precision)
    assert by_labels.at_k == at_k and by_labels.ties == ties and (by_labels.n_query, by_labels.n_db) == (23, 40)
    for k in (1, 5, 12):
        assert by_labels.precision_at[k] == pytest.approx(float(np.mean(precision_at_k(D, rel, k, ties=ties))),
                                                          rel=1e-13)
    if ties == "index":  # and an independent check: stable sort + the literal definition
        assert by_labels.map == pytest.approx(map_index_loop(D, rel, at_k or D.shape[1]), rel=1e-13)


def test_score_codes_average_equals_enumeration_of_tie_orders():
    # 3-bit codes, 6 database items: every distance is shared; mean over all 720 database orders
    pair, yq, yd = labelled_codes(4, 6, 3, n_classes=2, seed=3)
    D, rel = hamming_loop(pair.query, pair.db), relevance_from_labels(yq, yd)
    for k in (2, 4, 6):
        expected = []
        for d, r in zip(D, rel):
            vals = [ap_in_order(r[p][np.argsort(d[p], kind="stable")], k) for p in map(list, itertools.permutations(range(6)))]
            expected.append(np.mean(vals))
        assert score_codes(pair, labels=(yq, yd), at_k=k).map == pytest.approx(np.mean(expected), rel=1e-12)


@pytest.mark.parametrize("ties", ["average", "index"])
def test_long_codes_take_the_top_window_path_and_stay_exact(ties):
    # 4,100 bits: more distinct distances than the counting path handles, so AP@k uses _top_window
    pair, yq, yd = labelled_codes(9, 30, 4100, flip=0.45, seed=4)
    D, rel = code_distances(pair), relevance_from_labels(yq, yd)
    np.testing.assert_array_equal(D[:3], hamming_loop(pair.query[:3], pair.db))
    for k in (1, 10, 30):
        got = score_codes(pair, labels=(yq, yd), at_k=k, ties=ties, block_rows=4)
        assert got.map == pytest.approx(mean_average_precision(D, rel, at_k=k, ties=ties), rel=1e-13)


def test_lee_codes_score_like_metrics_on_lee_distances():
    rng = np.random.default_rng(5)
    q = 64  # 130 symbols · 32 = 4,160 possible distances: the top-window path again
    S, T = rng.integers(0, q, (8, 130)), rng.integers(0, q, (25, 130))
    yq, yd = rng.integers(0, 3, 8), rng.integers(0, 3, 25)
    pair = CodePair(query=S, db=T, q=q)
    D, rel = lee_loop(S, T, q), relevance_from_labels(yq, yd)
    for ties in ("average", "index"):
        got = score_codes(pair, labels=(yq, yd), at_k=5, ties=ties, block_rows=3)
        assert got.map == pytest.approx(mean_average_precision(D, rel, at_k=5, ties=ties), rel=1e-13)
    small = CodePair(query=S[:, :4] % 5, db=T[:, :4] % 5, q=5)
    Ds = lee_loop(small.query, small.db, 5)
    assert score_codes(small, rel, block_rows=2).map == mean_average_precision(Ds, rel)


def test_packed_codes_score_like_unpacked():
    pair, yq, yd = labelled_codes(11, 50, 20, seed=6)
    packed = CodePair(query=np.packbits(pair.query, axis=1), db=np.packbits(pair.db, axis=1), packed=True)
    for ties in ("average", "index"):
        a = score_codes(pair, labels=(yq, yd), at_k=9, ties=ties)
        b = score_codes(packed, labels=(yq, yd), at_k=9, ties=ties, block_rows=3)
        assert a.map == b.map


@pytest.mark.parametrize("pr", ["radius", "depth", "auto"])
def test_pr_curve_equals_metrics(pr):
    pair, yq, yd = labelled_codes(13, 35, 8, seed=7)
    D, rel = hamming_loop(pair.query, pair.db), relevance_from_labels(yq, yd)
    thr = np.arange(9) if pr == "radius" else None
    got = score_codes(pair, labels=(yq, yd), pr=pr, pr_thresholds=thr, label="x", block_rows=2).pr
    ref = precision_recall_curve_retrieval(D, rel, by=pr, thresholds=thr, label="x")
    for name in ("precision", "recall", "thresholds", "n_retrieved"):
        np.testing.assert_array_equal(getattr(got, name), getattr(ref, name))
    assert got.auc == ref.auc and got.label == "x" and got.by == ref.by


def test_leave_one_out_ranks_each_query_last_for_itself():
    pair, y, _ = labelled_codes(30, 30, 10, seed=8)
    pair = CodePair(query=pair.query, db=pair.query)
    D = hamming_loop(pair.query, pair.db)
    np.fill_diagonal(D, 11)
    rel = relevance_from_labels(y, y)
    np.fill_diagonal(rel, False)
    for ties in ("average", "index"):
        got = score_codes(pair, labels=(y, y), at_k=10, ties=ties, leave_one_out=True, block_rows=7)
        assert got.map == mean_average_precision(D, rel, at_k=10, ties=ties)
    rel_given = relevance_from_labels(y, y)
    score_codes(pair, rel_given, leave_one_out=True)
    assert rel_given.diagonal().all()  # the caller's matrix is not modified


def test_label_path_works_in_blocks(monkeypatch):
    pair, yq, yd = labelled_codes(50, 60, 8, seed=9)
    seen = []
    real = ev.scoring.average_precision

    def spy(D, rel, **kw):
        seen.append(D.shape)
        return real(D, rel, **kw)

    monkeypatch.setattr(ev.scoring, "average_precision", spy)
    monkeypatch.setattr(ev.scoring, "_BLOCK_ENTRIES", 600)  # 10 queries of 60 codes per block
    got = score_codes(pair, labels=(yq, yd), at_k=5)
    assert max(s[0] for s in seen) == 10 and len(seen) == 5
    assert got.map == mean_average_precision(hamming_loop(pair.query, pair.db), relevance_from_labels(yq, yd), at_k=5)


def test_top_window_keeps_ap_exact():
    rng = np.random.default_rng(10)
    D = rng.integers(0, 6, (40, 300))
    rel = rng.random((40, 300)) < 0.3
    Dc, Rc = ev.scoring._top_window(D, rel, 10)
    assert Dc.shape[1] < D.shape[1]
    for ties in ("average", "index"):
        np.testing.assert_allclose(mean_average_precision(Dc, Rc, at_k=10, ties=ties),
                                   mean_average_precision(D, rel, at_k=10, ties=ties), rtol=1e-12)
        np.testing.assert_allclose(precision_at_k(Dc, Rc, 7, ties=ties), precision_at_k(D, rel, 7, ties=ties))


# ---------------------------------------------------------------- encoding and the whole pipeline
def test_encode_pair_fits_on_the_database_by_default():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    Xdb, Xq = X[20:], X[:20]
    pair = encode_pair(RandomHyperplaneHash(16, center=True, random_state=0), Xdb, Xq)
    h = RandomHyperplaneHash(16, center=True, random_state=0).fit(Xdb)
    np.testing.assert_array_equal(pair.db, h.transform(Xdb))
    np.testing.assert_array_equal(pair.query, h.transform(Xq))
    assert pair.q is None and not pair.packed
    other = encode_pair(RandomHyperplaneHash(16, center=True, random_state=0), Xdb, Xq, fit_on=X[:50])
    h2 = RandomHyperplaneHash(16, center=True, random_state=0).fit(X[:50])
    np.testing.assert_array_equal(other.db, h2.transform(Xdb))
    fitted = encode_pair(h, Xdb, Xq, fit_on=None, packed=True)
    np.testing.assert_array_equal(fitted.db, h.transform(Xdb, packed=True))
    assert fitted.packed
    lee = encode_pair(LeeHash(8, q=5, n_components=16, random_state=0), Xdb, Xq)
    assert lee.q == 5
    np.testing.assert_array_equal(code_distances(lee), lee_loop(lee.query, lee.db, 5))


def test_encode_pair_passes_labels_to_fit():
    class Recorder(RandomHyperplaneHash):
        def fit(self, X, y=None):
            self.seen_y_ = y
            return super().fit(X)

    X = np.random.default_rng(12).normal(size=(30, 4)).astype(np.float32)
    y = np.arange(30) % 2
    h = Recorder(4, random_state=0)
    encode_pair(h, X, X[:3], y=y)
    assert h.seen_y_ is y


def test_evaluate_hasher_is_encode_then_score():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    got = evaluate_hasher(ShiftInvariantHash(32, kernel=1.5, random_state=0), X[40:], X[:40],
                          labels=(y[:40], y[40:]), at_k=15, precision_k=5, pr="radius")
    pair = encode_pair(ShiftInvariantHash(32, kernel=1.5, random_state=0), X[40:], X[:40])
    ref = score_codes(pair, labels=(y[:40], y[40:]), at_k=15, precision_k=5, pr="radius")
    assert got.map == ref.map and got.precision_at == ref.precision_at and got.pr.auc == ref.pr.auc


def test_score_search_results_matches_the_full_ranking():
    pair, yq, yd = labelled_codes(17, 80, 10, seed=14)
    dist, idx = HammingIndex(pair.db).search(pair.query, 12)  # ties by index, as ties="index"
    got = score_search_results(dist, idx, labels=(yq, yd), ties="index", precision_k=(1, 12))
    ref = score_codes(pair, labels=(yq, yd), at_k=12, ties="index", precision_k=(1, 12))
    assert got.map == pytest.approx(ref.map, rel=1e-13) and got.at_k == 12 and got.n_db is None
    assert got.precision_at == pytest.approx(ref.precision_at, rel=1e-13)
    rel = relevance_from_labels(yq, yd)
    assert score_search_results(dist, idx, rel, ties="index").map == got.map


def test_score_search_results_with_padding():
    # query 0: results 3 (relevant), 1 and padding; query 1: no result at all
    dist = np.array([[0.5, 0.7, np.inf], [np.inf, np.inf, np.inf]], dtype=np.float32)
    idx = np.array([[3, 1, -1], [-1, -1, -1]])
    y_db = np.array([0, 1, 0, 2])
    got = score_search_results(dist, idx, labels=(np.array([2, 0]), y_db))
    np.testing.assert_allclose(got.average_precision, [1.0, 0.0])
    got = score_search_results(dist, idx, labels=(np.array([1, 0]), y_db))  # item 1 relevant, at rank 2
    np.testing.assert_allclose(got.average_precision, [0.5, 0.0])


def test_hasher_grid_search_is_the_mean_over_seeds_of_each_value():
    rng = np.random.default_rng(15)
    y = rng.integers(0, 2, 300)
    X = (8.0 * y[:, None] + rng.normal(size=(300, 6))).astype(np.float32)  # two blobs ~20 apart
    rel = relevance_from_labels(y[:50], y[50:])

    def make(sigma, seed):
        return ShiftInvariantHash(32, kernel=sigma, random_state=seed)

    res = hasher_grid_search(make, [0.05, 5.0, 5000.0], X[50:], X[:50], rel, seeds=(0, 1))
    for i, s in enumerate(res.grid):
        aucs = [precision_recall_curve_retrieval(code_distances(encode_pair(make(s, seed), X[50:], X[:50])), rel).auc
                for seed in (0, 1)]
        np.testing.assert_array_equal(res.seed_scores[i], aucs)
        assert res.scores[i] == np.mean(aucs)
    assert res.best == 5.0  # too narrow and too wide kernels give useless codes
    maps = hasher_grid_search(make, [1.0], X[50:], X[:50], labels=(y[:50], y[50:]), seeds=(3,), score="map", at_k=20)
    assert maps.scores[0] == evaluate_hasher(make(1.0, 3), X[50:], X[:50], rel, at_k=20).map


# ---------------------------------------------------------------- bad input
def _pair():
    return labelled_codes(5, 8, 6)


@pytest.mark.parametrize("call, match", [
    (lambda p, yq, yd: CodePair(query=p.query * 3, db=p.db), "query must hold only 0 and 1"),
    (lambda p, yq, yd: CodePair(query=p.query, db=p.db[:, :4]), "query has 6 columns .* db has 4"),
    (lambda p, yq, yd: CodePair(query=p.query, db=p.db + 7, q=7), "db must lie in 0..6"),
    (lambda p, yq, yd: CodePair(query=p.query, db=p.db, q=1), "q must be an integer >= 2"),
    (lambda p, yq, yd: CodePair(query=p.query, db=p.db, q=4, packed=True), "packed=True is for binary"),
    (lambda p, yq, yd: CodePair(query=p.query.astype(np.float32), db=p.db, packed=True), "packed query"),
    (lambda p, yq, yd: p.prefix(7), "n_columns=7 exceeds the 6 columns"),
    (lambda p, yq, yd: score_codes((p.query, p.db), labels=(yq, yd)), "codes must be a CodePair"),
    (lambda p, yq, yd: score_codes(p), "give the ground truth once"),
    (lambda p, yq, yd: score_codes(p, np.ones((5, 8), bool), labels=(yq, yd)), "give the ground truth once"),
    (lambda p, yq, yd: score_codes(p, np.ones((8, 5), bool)), r"relevant must have shape \(n_query, n_db\)"),
    (lambda p, yq, yd: score_codes(p, np.full((5, 8), 0.5)), "relevant must be a boolean matrix"),
    (lambda p, yq, yd: score_codes(p, labels=(yq, yd[:3])), "labels must hold one label per query"),
    (lambda p, yq, yd: score_codes(p, labels=yq), r"labels must be a pair \(y_query, y_db\)"),
    (lambda p, yq, yd: score_codes(p, labels=(yq, yd), at_k=9), "at_k=9 exceeds the database size 8"),
    (lambda p, yq, yd: score_codes(p, labels=(yq, yd), at_k=0), "at_k must be an integer >= 1"),
    (lambda p, yq, yd: score_codes(p, labels=(yq, yd), ties="random"), "ties must be one of"),
    (lambda p, yq, yd: score_codes(p, labels=(yq, yd), precision_k=(3, 0)), "precision_k must be an integer >= 1"),
    (lambda p, yq, yd: score_codes(p, labels=(yq, yd), pr="curve"), "pr must be None or one of"),
    (lambda p, yq, yd: score_codes(p, labels=(yq, yd), pr_thresholds=[1, 2]), "pass pr='radius'"),
    (lambda p, yq, yd: score_codes(p, labels=(yq, yd), leave_one_out=True), "leave_one_out needs the queries"),
    (lambda p, yq, yd: score_codes(p, labels=(yq, yd), block_rows=0), "block_rows must be an integer >= 1"),
    (lambda p, yq, yd: code_distances(p.query), "codes must be a CodePair"),
    (lambda p, yq, yd: score_search_results(np.zeros((5, 2)), np.zeros((5, 2)), labels=(yq, yd)), "idx must be a 2-D integer"),
    (lambda p, yq, yd: score_search_results(np.zeros((5, 3)), np.zeros((5, 2), int), labels=(yq, yd)), "dist must have the shape of idx"),
    (lambda p, yq, yd: score_search_results(np.full((5, 2), np.nan), np.zeros((5, 2), int), labels=(yq, yd)), "dist contains NaN"),
    (lambda p, yq, yd: score_search_results(np.zeros((5, 2)), np.full((5, 2), 8), labels=(yq, yd)), "idx holds database row 8"),
    (lambda p, yq, yd: score_search_results(np.zeros((5, 2)), np.full((5, 2), -2), labels=(yq, yd)), "idx holds -2"),
    (lambda p, yq, yd: score_search_results(np.zeros((5, 2)), np.zeros((5, 2), int), labels=(yq, yd), precision_k=3),
     "precision_k=3 exceeds"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    p, yq, yd = _pair()
    with pytest.raises(ValueError, match=match):
        call(p, yq, yd)


def test_bad_encoding_and_grid_arguments():
    X = np.random.default_rng(16).normal(size=(40, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="fit_on must be 'db'"):
        encode_pair(RandomHyperplaneHash(4), X, X[:2], fit_on="train")
    with pytest.raises(NotFittedError):
        encode_pair(RandomHyperplaneHash(4), X, X[:2], fit_on=None)
    with pytest.raises(ValueError, match="with fit_on=None"):
        encode_pair(RandomHyperplaneHash(4).fit(X), X, X[:2], fit_on=None, y=np.zeros(40))
    with pytest.raises(ValueError, match="packed=True is for binary codes; LeeHash"):
        encode_pair(LeeHash(4, q=3, n_components=8, random_state=0), X, X[:2], packed=True)
    rel = np.ones((2, 40), bool)

    def make(v, seed):
        return RandomHyperplaneHash(4, random_state=seed)

    with pytest.raises(ValueError, match="grid must hold at least one"):
        hasher_grid_search(make, [], X, X[:2], rel)
    with pytest.raises(ValueError, match="seeds must hold at least one"):
        hasher_grid_search(make, [1], X, X[:2], rel, seeds=())
    with pytest.raises(ValueError, match="score must be one of"):
        hasher_grid_search(make, [1], X, X[:2], rel, score="auc")
    with pytest.raises(ValueError, match="make_hasher must be a callable"):
        hasher_grid_search(RandomHyperplaneHash(4), [1], X, X[:2], rel)
