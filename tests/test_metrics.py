"""Retrieval metrics against hand-computed examples, brute-force loops, enumeration of tie orders,
Monte Carlo and scikit-learn."""

import itertools

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from lshlab.metrics import (
    average_precision,
    dice_score,
    jaccard_index,
    mean_average_precision,
    precision_at_k,
    precision_recall_curve_retrieval,
    relevance_from_labels,
    relevance_from_neighbors,
    retrieval_overlap_scores,
)


# ---------------------------------------------------------------- brute-force references
def ap_loop(rel_in_order, k):
    """AP@k by the literal definition, one query, relevance already in ranked order."""
    hits, total = 0, 0.0
    for i in range(k):
        if rel_in_order[i]:
            hits += 1
            total += hits / (i + 1)
    return total / hits if hits else 0.0


def ap_expected_by_enumeration(d, rel, k):
    """Mean AP@k over every permutation of the database followed by a stable sort (= all tie orders)."""
    n = d.size
    vals = []
    for perm in itertools.permutations(range(n)):
        perm = np.array(perm)
        order = perm[np.argsort(d[perm], kind="stable")]
        vals.append(ap_loop(rel[order], k))
    return float(np.mean(vals))


# ---------------------------------------------------------------- average precision
def test_ap_hand_example_without_ties():
    d = np.array([[0.1, 0.4, 0.2, 0.3, 0.5]])
    rel = np.array([[True, False, False, True, True]])
    # ranking: items 0, 2, 3, 1, 4 -> rel 1, 0, 1, 0, 1 -> AP = (1/1 + 2/3 + 3/5) / 3
    expected = (1 + 2 / 3 + 3 / 5) / 3
    for ties in ("average", "index"):
        assert average_precision(d, rel, ties=ties)[0] == pytest.approx(expected)
    # AP@3: relevant in the top 3 are at ranks 1 and 3 -> (1 + 2/3) / 2
    assert average_precision(d, rel, at_k=3)[0] == pytest.approx((1 + 2 / 3) / 2)
    # AP@2: one relevant in the top 2 -> 1/1
    assert average_precision(d, rel, at_k=2)[0] == pytest.approx(1.0)


def test_ap_hand_example_with_ties():
    # two items tied at distance 0, one relevant: index order puts the relevant one second
    d = np.array([[0, 0]])
    rel = np.array([[False, True]])
    assert average_precision(d, rel, ties="index")[0] == pytest.approx(0.5)
    # random tie order: AP is 1 or 1/2 with probability 1/2 each
    assert average_precision(d, rel, ties="average")[0] == pytest.approx(0.75)
    # AP@1 with ties: the relevant one is first with prob 1/2 (AP 1), else no relevant in top 1 (AP 0)
    assert average_precision(d, rel, at_k=1, ties="average")[0] == pytest.approx(0.5)
    assert average_precision(d, rel, at_k=1, ties="index")[0] == 0.0


def test_ap_no_relevant_is_zero():
    d = np.array([[1, 2, 3], [1, 1, 1]])
    rel = np.zeros((2, 3), dtype=bool)
    np.testing.assert_array_equal(average_precision(d, rel), [0.0, 0.0])


def test_ap_average_equals_enumeration_of_tie_orders():
    rng = np.random.default_rng(1)
    for _ in range(60):
        n = int(rng.integers(2, 7))
        d = rng.integers(0, 3, size=n)
        rel = rng.random(n) < 0.5
        for k in range(1, n + 1):
            got = average_precision(d[None], rel[None], at_k=k, ties="average")[0]
            assert got == pytest.approx(ap_expected_by_enumeration(d, rel, k), abs=1e-12)


def test_ap_average_matches_monte_carlo_on_large_tie_groups():
    rng = np.random.default_rng(2)
    n = 60
    d = rng.integers(0, 4, size=n)
    rel = rng.random(n) < 0.3
    k = 25  # splits a tie group
    exact = average_precision(d[None], rel[None], at_k=k)[0]
    n_mc = 4000
    samples = np.empty(n_mc)
    for t in range(n_mc):
        perm = rng.permutation(n)
        order = perm[np.argsort(d[perm], kind="stable")]
        samples[t] = ap_loop(rel[order], k)
    se = samples.std() / np.sqrt(n_mc)
    assert abs(samples.mean() - exact) < 4 * se + 1e-9


def test_ap_index_matches_loop_and_average_without_ties():
    rng = np.random.default_rng(3)
    d = rng.random((20, 40))
    rel = rng.random((20, 40)) < 0.3
    for k in (None, 1, 7, 40):
        kk = 40 if k is None else k
        ref = [ap_loop(rel[i, np.argsort(d[i], kind="stable")], kk) for i in range(20)]
        np.testing.assert_allclose(average_precision(d, rel, at_k=k, ties="index"), ref, atol=1e-12)
        np.testing.assert_allclose(average_precision(d, rel, at_k=k, ties="average"), ref, atol=1e-12)


def test_ap_index_with_ties_matches_stable_sort_loop():
    rng = np.random.default_rng(4)
    d = rng.integers(0, 5, size=(15, 30))
    rel = rng.random((15, 30)) < 0.4
    ref = [ap_loop(rel[i, np.argsort(d[i], kind="stable")], 10) for i in range(15)]
    np.testing.assert_allclose(average_precision(d, rel, at_k=10, ties="index"), ref, atol=1e-12)


def test_ap_matches_sklearn_without_ties():
    rng = np.random.default_rng(5)
    d = rng.random((8, 100))
    rel = rng.random((8, 100)) < 0.2
    rel[:, 0] = True
    ref = [average_precision_score(rel[i], -d[i]) for i in range(8)]
    np.testing.assert_allclose(average_precision(d, rel), ref, atol=1e-12)
    assert mean_average_precision(d, rel) == pytest.approx(np.mean(ref))


def test_ap_average_is_invariant_to_database_order():
    rng = np.random.default_rng(6)
    d = rng.integers(0, 6, size=(10, 80))
    rel = rng.random((10, 80)) < 0.25
    perm = rng.permutation(80)
    a = average_precision(d, rel, at_k=20)
    b = average_precision(d[:, perm], rel[:, perm], at_k=20)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_ap_chunking_gives_same_result(monkeypatch):
    import lshlab.metrics as m

    rng = np.random.default_rng(7)
    d = rng.integers(0, 9, size=(30, 50))
    rel = rng.random((30, 50)) < 0.3
    full = average_precision(d, rel, at_k=12)
    monkeypatch.setattr(m._common, "CHUNK_ELEMENTS", 120)  # 2 rows per chunk
    np.testing.assert_allclose(average_precision(d, rel, at_k=12), full, atol=1e-12)


# ---------------------------------------------------------------- precision / recall
def test_precision_at_k_ties():
    d = np.array([[0, 1, 1, 1, 2]])
    rel = np.array([[True, True, False, False, True]])
    # top 2: item 0 + one of the three tied at 1 (one relevant of three) -> (1 + 1/3) / 2
    assert precision_at_k(d, rel, 2)[0] == pytest.approx((1 + 1 / 3) / 2)
    assert precision_at_k(d, rel, 2, ties="index")[0] == pytest.approx(1.0)


def test_pr_curve_by_radius_hand_example():
    d = np.array([[0, 1, 1, 2], [1, 1, 2, 2]])
    rel = np.array([[True, False, True, False], [False, False, True, True]])
    curve = precision_recall_curve_retrieval(d, rel)
    assert curve.by == "radius"
    np.testing.assert_array_equal(curve.thresholds, [0, 1, 2])
    # radius 0: q0 retrieves {0} (P=1, R=1/2); q1 retrieves nothing (precision undefined, recall 0)
    # radius 1: q0 {0,1,2} P=2/3 R=1; q1 {0,1} P=0 R=0;  radius 2: q0 P=1/2 R=1, q1 P=1/2 R=1
    np.testing.assert_allclose(curve.precision, [1.0, (2 / 3 + 0) / 2, 0.5])
    np.testing.assert_allclose(curve.recall, [0.25, 0.5, 1.0])
    np.testing.assert_allclose(curve.n_retrieved, [0.5, 2.5, 4.0])
    # auc: horizontal extension 0.25 * 1, then trapezoids
    expected = 0.25 * 1 + 0.25 * (1 + 1 / 3) / 2 + 0.5 * (1 / 3 + 0.5) / 2
    assert curve.auc == pytest.approx(expected)


def test_pr_curve_by_depth_matches_loops():
    rng = np.random.default_rng(8)
    d = rng.integers(0, 4, size=(12, 25))
    rel = rng.random((12, 25)) < 0.3
    rel[:, 0] = True
    curve = precision_recall_curve_retrieval(d, rel, by="depth", ties="index")
    np.testing.assert_array_equal(curve.thresholds, np.arange(1, 26))
    P = np.zeros(25)
    Rc = np.zeros(25)
    for i in range(12):
        r = rel[i, np.argsort(d[i], kind="stable")]
        c = np.cumsum(r)
        P += c / np.arange(1, 26)
        Rc += c / c[-1]
    np.testing.assert_allclose(curve.precision, P / 12)
    np.testing.assert_allclose(curve.recall, Rc / 12)
    # "average" precision@k equals the mean over tie orders (enumerate one small query)
    avg = precision_recall_curve_retrieval(d[:1, :6], rel[:1, :6], by="depth", ties="average")
    ref = np.zeros(6)
    perms = list(itertools.permutations(range(6)))
    for perm in perms:
        perm = np.array(perm)
        order = perm[np.argsort(d[0, :6][perm], kind="stable")]
        ref += np.cumsum(rel[0, :6][order]) / np.arange(1, 7)
    np.testing.assert_allclose(avg.precision, ref / len(perms), atol=1e-12)


def test_pr_curve_real_distances_and_auc_bounds():
    rng = np.random.default_rng(9)
    d = rng.random((10, 200))
    rel = rng.random((10, 200)) < 0.5
    for by in ("depth", "radius"):
        curve = precision_recall_curve_retrieval(d, rel, by=by, label="random")
        assert 0.0 <= curve.auc <= 1.0
        assert np.all(np.diff(curve.recall) >= -1e-12)
        assert curve.recall[-1] == pytest.approx(1.0)
        # random ranking: precision ≈ prevalence
        assert curve.auc == pytest.approx(rel.mean(), abs=0.1)
    perfect = precision_recall_curve_retrieval(np.where(rel, 0.0, 1.0) + 0 * d, rel, by="radius")
    assert perfect.auc == pytest.approx(1.0)


# ---------------------------------------------------------------- Dice / Jaccard
def test_dice_jaccard_hand_examples():
    a, b = np.array([1, 2, 3, 4]), np.array([3, 4, 5])
    assert jaccard_index(a, b) == pytest.approx(2 / 5)
    assert dice_score(a, b) == pytest.approx(4 / 7)
    j = jaccard_index(a, b)
    assert dice_score(a, b) == pytest.approx(2 * j / (1 + j))
    assert dice_score(np.array([], dtype=int), np.array([], dtype=int)) == 1.0
    assert jaccard_index(np.array([], dtype=int), np.array([], dtype=int)) == 1.0
    assert dice_score(np.array([1]), np.array([], dtype=int)) == 0.0
    ma = np.zeros(6, bool)
    ma[[1, 2, 3, 4]] = True
    mb = np.zeros(6, bool)
    mb[[3, 4, 5]] = True
    assert jaccard_index(ma, mb) == pytest.approx(2 / 5)
    rows = dice_score(np.stack([ma, ma]), np.stack([mb, ma]))
    np.testing.assert_allclose(rows, [4 / 7, 1.0])


def test_dice_jaccard_bad_input():
    with pytest.raises(ValueError, match="repeated"):
        dice_score(np.array([1, 1]), np.array([1]))
    with pytest.raises(ValueError, match="both"):
        jaccard_index(np.array([True, False]), np.array([0, 1]))


def test_retrieval_overlap_scores_vs_loop():
    rng = np.random.default_rng(10)
    d1 = rng.random((7, 40))
    d2 = rng.integers(0, 5, size=(7, 40))
    k = 6
    s = retrieval_overlap_scores(d1, d2, k)
    for i in range(7):
        A = np.argsort(d1[i], kind="stable")[:k]
        B = np.argsort(d2[i], kind="stable")[:k]
        assert s.dice[i] == pytest.approx(dice_score(A, B))
        assert s.jaccard[i] == pytest.approx(jaccard_index(A, B))
    inc = retrieval_overlap_scores(d1, d2, k, ties="include")
    for i in range(7):
        A = np.nonzero(d1[i] <= np.sort(d1[i])[k - 1])[0]
        B = np.nonzero(d2[i] <= np.sort(d2[i])[k - 1])[0]
        assert inc.jaccard[i] == pytest.approx(jaccard_index(A, B))


# ---------------------------------------------------------------- ground truth and validation
def test_relevance_from_labels():
    rel = relevance_from_labels(np.array([0, 1]), np.array([1, 0, 0]))
    np.testing.assert_array_equal(rel, [[False, True, True], [True, False, False]])


def test_relevance_from_neighbors_vs_sklearn():
    pytest.importorskip("lshlab.search")
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(11)
    X, Q = rng.random((100, 5)), rng.random((8, 5))
    rel = relevance_from_neighbors(Q, X, 4)
    idx = NearestNeighbors(n_neighbors=4).fit(X).kneighbors(Q, return_distance=False)
    ref = np.zeros_like(rel)
    np.put_along_axis(ref, idx, True, axis=1)
    np.testing.assert_array_equal(rel, ref)


def test_bad_inputs_raise_clear_errors():
    d = np.zeros((2, 3))
    rel = np.zeros((2, 3), bool)
    with pytest.raises(ValueError, match="shape"):
        average_precision(d, rel[:, :2])
    with pytest.raises(ValueError, match="ties"):
        average_precision(d, rel, ties="random")
    with pytest.raises(ValueError, match="at_k"):
        average_precision(d, rel, at_k=4)
    with pytest.raises(ValueError, match="NaN"):
        average_precision(np.array([[np.nan, 1.0, 2.0]]), rel[:1])
    with pytest.raises(ValueError, match="boolean"):
        precision_recall_curve_retrieval(d, np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="by"):
        precision_recall_curve_retrieval(d, rel, by="distance")


def test_ap_histogram_and_sort_paths_agree():
    """Integer distances use per-value counts (no sort); real distances use the sort path."""
    rng = np.random.default_rng(12)
    d = rng.integers(0, 7, size=(25, 120))
    rel = rng.random((25, 120)) < 0.3
    for k in (None, 1, 13, 60, 120):
        np.testing.assert_allclose(
            average_precision(d, rel, at_k=k), average_precision(d.astype(float), rel, at_k=k), atol=1e-12
        )
