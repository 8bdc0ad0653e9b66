"""PCAH and ITQ: PCA against scikit-learn, Procrustes step against scipy, monotone loss, orthogonal R,
retrieval quality on digits (ITQ > PCAH and LSH at 32 bits), determinism and bad inputs."""

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from lshlab.distances import hamming_distance_matrix
from lshlab.hashing import ITQHash, PCAHash, RandomHyperplaneHash
from lshlab.hashing.pca_itq import itq_iterations, pca_directions, random_rotation
from lshlab.metrics import mean_average_precision, relevance_from_labels


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def test_pca_directions_match_sklearn(digits):
    X, _ = digits
    mean, comps, var = pca_directions(X, 10)
    ref = PCA(n_components=10, svd_solver="full").fit(X.astype(np.float64))
    np.testing.assert_allclose(mean, ref.mean_, atol=1e-6)
    np.testing.assert_allclose(np.abs(comps.T @ ref.components_.T), np.eye(10), atol=1e-4)
    n = X.shape[0]
    np.testing.assert_allclose(var, ref.explained_variance_ * (n - 1) / n, rtol=1e-4)


def test_pcah_codes_are_signs_of_pca_scores(digits):
    X, _ = digits
    h = PCAHash(n_bits=16).fit(X)
    Z = (X.astype(np.float64) - h.mean_) @ h.components_
    np.testing.assert_array_equal(h.transform(X), (Z >= 0).astype(np.uint8))
    # on a symmetric (uniform box) distribution every PCA bit is balanced
    U = np.random.default_rng(0).random((20000, 3)) * [1.0, 0.6, 0.3]
    np.testing.assert_allclose(PCAHash(n_bits=3).fit(U).transform(U).mean(0), 0.5, atol=0.02)


def test_itq_loss_non_increasing_and_rotation_orthogonal(digits):
    X, _ = digits
    h = ITQHash(n_bits=32, max_iter=50, random_state=0).fit(X)
    assert h.loss_.shape == (51,) and h.n_iter_ == 50
    assert np.all(np.diff(h.loss_) <= 1e-9 * h.loss_[0])
    assert h.loss_[-1] < h.loss_[0]
    R = h.rotation_
    np.testing.assert_allclose(R.T @ R, np.eye(32), atol=1e-10)
    # the codes ITQ outputs, sgn(VR), are the optimal B for the final R: their loss is at most loss_[-1]
    V = (X.astype(np.float64) - h.mean_) @ h.components_
    B = 2.0 * h.transform(X) - 1.0
    np.testing.assert_array_equal(B, np.where(V @ R >= 0, 1.0, -1.0))
    assert np.sum((B - V @ R) ** 2) <= h.loss_[-1] + 1e-6


def test_itq_step_is_orthogonal_procrustes(digits):
    X, _ = digits
    mean, W, _ = pca_directions(X, 8)
    V = (X.astype(np.float64) - mean) @ W
    R0 = random_rotation(8, 3)
    R1, losses = itq_iterations(V, R0, 1)
    B = np.where(V @ R0 >= 0, 1.0, -1.0)
    ref, _ = orthogonal_procrustes(V, B)  # argmin_R ‖VR − B‖_F over orthogonal R
    np.testing.assert_allclose(R1, ref, atol=1e-10)
    assert losses[1] == pytest.approx(np.sum((B - V @ ref) ** 2))


def test_random_rotation_is_orthogonal_and_seeded():
    R = random_rotation(6, 0)
    np.testing.assert_allclose(R @ R.T, np.eye(6), atol=1e-12)
    np.testing.assert_array_equal(R, random_rotation(6, 0))
    assert not np.allclose(R, random_rotation(6, 1))


def test_itq_beats_pcah_and_lsh_at_32_bits(digits):
    X, y = digits
    Xq, Xd, yq, yd = X[:300], X[300:], y[:300], y[300:]
    rel = relevance_from_labels(yq, yd)

    def mAP(h):
        h.fit(Xd)
        return mean_average_precision(hamming_distance_matrix(h.transform(Xq), h.transform(Xd)), rel)

    itq = mAP(ITQHash(32, random_state=0))
    pcah = mAP(PCAHash(32))
    lsh = max(mAP(RandomHyperplaneHash(32, center=True, random_state=s)) for s in range(3))
    assert itq > pcah + 0.1, (itq, pcah)
    assert itq > lsh + 0.05, (itq, lsh)


def test_determinism(digits):
    X, _ = digits
    a = ITQHash(12, random_state=5).fit(X)
    b = ITQHash(12, random_state=5).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.loss_, b.loss_)
    np.testing.assert_array_equal(PCAHash(12).fit(X).transform(X), PCAHash(12).fit(X).transform(X))


@pytest.mark.parametrize("cls", [PCAHash, ITQHash])
def test_n_bits_larger_than_features(cls):
    with pytest.raises(ValueError, match=r"n_bits=5 exceeds n_features=3"):
        cls(n_bits=5).fit(np.random.default_rng(0).random((20, 3)))


@pytest.mark.parametrize("kwargs, match", [({"n_bits": 0}, "n_bits"), ({"n_bits": 2, "max_iter": -1}, "max_iter"),
                                           ({"n_bits": 2.0}, "n_bits")])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ITQHash(**kwargs).fit(np.random.default_rng(0).random((20, 3)))


def test_bad_data():
    with pytest.raises(ValueError, match="NaN"):
        PCAHash(2).fit(np.array([[0.0, np.nan], [1.0, 2.0]]))
    h = ITQHash(2, random_state=0).fit(np.random.default_rng(0).random((20, 3)))
    with pytest.raises(ValueError, match="features"):
        h.transform(np.zeros((2, 4)))
