"""The small-codes comparison: every (method, bits) scored against brute force, labels only for the
supervised methods, models returned, factories that build on earlier models."""

import numpy as np
import pytest

from lshlab.evaluation import compare_hashers
from lshlab.small_codes import small_code_factories
from lshlab.hashing import ITQHash, RBMHash
from lshlab.hashing.nca import RBMNCAHash
from lshlab.metrics import mean_average_precision, precision_recall_curve_retrieval


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centres = rng.random((3, 8)) * 4
    y = np.repeat(np.arange(3), 80)
    X = centres[y] + rng.normal(scale=0.6, size=(240, 8))
    X = ((X - X.min()) / (X.max() - X.min())).astype(np.float32)
    rel = y[:40, None] == y[None, 40:]
    return X, y, rel


def test_scores_equal_brute_force_on_refitted_codes(blobs):
    """Every (method, bits): the codes are those of a fresh hasher from the same factory, and mAP and the
    PR curve per radius equal brute-force Hamming distances scored by lshlab.metrics."""
    X, _, rel = blobs
    factories = {k: v for k, v in small_code_factories(random_state=0).items() if k in ("LSH", "ITQ", "SH")}
    ours, fitted = compare_hashers(factories, X[40:], X[40:], X[:40], rel, (2, 4), keep_codes=True)
    assert ours.methods == ("LSH", "ITQ", "SH") and ours.bits == (2, 4)
    assert set(ours.map) == set(ours.pr) == set(ours.codes) == {(m, b) for m in ours.methods for b in (2, 4)}
    for (method, b), c in ours.codes.items():
        again = factories[method](b, {}).fit(X[40:])
        np.testing.assert_array_equal(c.db, again.transform(X[40:]))
        np.testing.assert_array_equal(c.query, again.transform(X[:40]))
        D = (c.query[:, None, :] != c.db[None, :, :]).sum(axis=2)  # brute-force Hamming distances
        assert ours.map[(method, b)] == pytest.approx(mean_average_precision(D, rel), rel=1e-12)
        np.testing.assert_array_equal(ours.pr[(method, b)].precision, precision_recall_curve_retrieval(
            D, rel, by="radius", thresholds=np.arange(b + 1)).precision)
    assert isinstance(fitted[("ITQ", 4)], ITQHash)
    np.testing.assert_array_equal(ours.map_curve("SH"), [ours.map[("SH", 2)], ours.map[("SH", 4)]])


def test_labels_reach_only_the_supervised_methods(blobs):
    X, y, rel = blobs
    seen = {}

    class Spy(ITQHash):
        def fit(self, X, y=None):
            seen[self.n_bits] = y is not None
            return super().fit(X)

    factories = {"plain": lambda b, fitted: Spy(b), "labelled": lambda b, fitted: Spy(b + 1)}
    compare_hashers(factories, X[40:], X[40:], X[:40], rel, (2,), y_train=y[40:], supervised=("labelled",))
    assert seen == {2: False, 3: True}
    with pytest.raises(ValueError, match="y_train is needed"):
        compare_hashers(factories, X[40:], X[40:], X[:40], rel, (2,), supervised=("labelled",))
    with pytest.raises(ValueError, match="not in factories"):
        compare_hashers(factories, X[40:], X[40:], X[:40], rel, (2,), y_train=y[40:], supervised=("nope",))
    with pytest.raises(ValueError, match="relevant"):
        compare_hashers(factories, X[40:], X[40:], X[:30], rel, (2,))


def test_rbm_lengths_share_the_stack_and_nca_starts_from_it(blobs):
    X, y, rel = blobs
    factories = small_code_factories(random_state=1, rbm_params=dict(hidden=(6,), max_iter=2),
                                     nca_params=dict(max_iter=1, batch_size=60))
    factories = {k: factories[k] for k in ("RBM", "RBM+NCA")}
    cmp, fitted = compare_hashers(factories, X[40:], X[40:], X[:40], rel, (3, 5), y_train=y[40:],
                                  supervised=("RBM+NCA",), progress=True)
    assert set(cmp.map) == {(m, b) for m in ("RBM", "RBM+NCA") for b in (3, 5)}
    r3, r5 = fitted[("RBM", 3)], fitted[("RBM", 5)]
    np.testing.assert_array_equal(r5.layers_[0].components_, r3.layers_[0].components_)
    scratch = RBMHash(5, hidden=(6,), max_iter=2, random_state=1).fit(X[40:])
    np.testing.assert_array_equal(r5.transform(X), scratch.transform(X))
    nca = fitted[("RBM+NCA", 5)]
    assert isinstance(nca, RBMNCAHash) and nca.rbm_ is r5
    with pytest.raises(ValueError, match="put 'RBM' before"):
        small_code_factories(nca_params={})["RBM+NCA"](4, {})


def test_optional_kernel_rows():
    names = list(small_code_factories(raginsky_kernel=2.0, trained_kernel=3.0, nca_params={}))
    assert names == ["LSH", "PCAH", "ITQ", "SH", "Raginsky", "trained kernel", "RBM", "RBM+NCA"]
    h = small_code_factories(raginsky_kernel=2.0)["Raginsky"](8, {})
    assert h.n_bits == 8 and h.kernel == 2.0


def test_uniform_box_problem():
    from lshlab.small_codes import uniform_box_problem
    from lshlab.distances import euclidean_distance_matrix

    Xt, Xq, rel = uniform_box_problem(500, 40, sides=(1.0, 0.6), epsilon=0.1, random_state=3)
    assert Xt.shape == (500, 2) and Xq.shape == (40, 2) and Xt.dtype == np.float32
    assert Xt[:, 0].max() <= 1.0 and Xt[:, 1].max() <= 0.6 and Xt.min() >= 0
    np.testing.assert_array_equal(rel, euclidean_distance_matrix(Xq, Xt) < 0.1)
    # about π ε² / area of the database lies within ε (less near the border)
    assert 0.6 * np.pi * 0.01 / 0.6 < rel.mean() < 1.05 * np.pi * 0.01 / 0.6
    again = uniform_box_problem(500, 40, sides=(1.0, 0.6), epsilon=0.1, random_state=3)
    np.testing.assert_array_equal(again[0], Xt)
    with pytest.raises(ValueError, match="sides"):
        uniform_box_problem(5, 5, sides=(1.0, -1.0))
    with pytest.raises(ValueError, match="epsilon"):
        uniform_box_problem(5, 5, epsilon=0)


def test_rotation_study_pairs_random_rotation_and_itq(blobs):
    from lshlab.small_codes import rotation_study
    from lshlab.hashing import PCAHash

    X, _, rel = blobs
    st = rotation_study(X[40:], X[40:], X[:40], rel, 4, seeds=[0, 1, 2], max_iter=20)
    assert st["random_map"].shape == st["itq_map"].shape == (3,)
    assert st["itq_loss_curve"].shape == (3, 21)
    # the random rotation is ITQ's starting point; ITQ never increases the loss
    np.testing.assert_allclose(st["random_loss"], st["itq_loss_curve"][:, 0])
    np.testing.assert_allclose(st["itq_loss"], st["itq_loss_curve"][:, -1])
    assert np.all(np.diff(st["itq_loss_curve"], axis=1) <= 1e-12)
    # the same numbers as the estimators: ITQHash(max_iter=0 | 20, random_state=s) and PCAHash
    for s in range(3):
        for name, iters in (("random", 0), ("itq", 20)):
            codes = ITQHash(4, max_iter=iters, random_state=s).fit(X[40:])
            D = (codes.transform(X[:40])[:, None, :] != codes.transform(X[40:])[None, :, :]).sum(axis=2)
            assert st[f"{name}_map"][s] == pytest.approx(mean_average_precision(D, rel), abs=1e-12)
    pc = PCAHash(4).fit(X[40:])
    D = (pc.transform(X[:40])[:, None, :] != pc.transform(X[40:])[None, :, :]).sum(axis=2)
    assert st["pcah_map"] == pytest.approx(mean_average_precision(D, rel))
    # a rotation keeps the total variance
    np.testing.assert_allclose(st["itq_variance"].sum(axis=1), st["pca_variance"].sum(), rtol=1e-9)
    with pytest.raises(ValueError, match="seeds"):
        rotation_study(X[40:], X[40:], X[:40], rel, 4, seeds=[])
