"""RBM semantic hashing: median-balanced bits, thresholds = training medians of the top layer, the
greedy stack reproduces scikit-learn's BernoulliRBM layer by layer, input range checks, determinism."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neural_network import BernoulliRBM

from lshlab.distances import hamming_distance_matrix
from lshlab.hashing import RBMHash
from lshlab.metrics import mean_average_precision, relevance_from_labels


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.fixture(scope="module")
def fitted(digits):
    X, _ = digits
    return RBMHash(n_bits=16, hidden=(48,), max_iter=10, random_state=0).fit(X[300:])


def test_median_balanced_codes(digits, fitted):
    X, _ = digits
    codes = fitted.transform(X[300:])
    assert codes.dtype == np.uint8 and codes.shape == (X.shape[0] - 300, 16)
    # 1[p > median]: at most half, and exactly half up to ties at the median
    assert np.all(codes.mean(axis=0) <= 0.5 + 1.5 / codes.shape[0])  # one item may flip: BLAS rounding
    np.testing.assert_allclose(codes.mean(axis=0), 0.5, atol=0.02)
    np.testing.assert_allclose(fitted.thresholds_, np.median(fitted.activations(X[300:]), axis=0), rtol=1e-5)


def test_stack_is_greedy_bernoulli_rbms(digits, fitted):
    X, _ = digits
    assert [layer.n_components for layer in fitted.layers_] == [48, 16]
    H = fitted.layers_[0].transform(X[:50])
    np.testing.assert_allclose(fitted.activations(X[:50]), fitted.layers_[1].transform(H), rtol=1e-6)
    # layer 1 is exactly scikit-learn's RBM trained on the data with the seed drawn from random_state
    seed = int(np.random.RandomState(0).randint(np.iinfo(np.int32).max))
    ref = BernoulliRBM(n_components=48, learning_rate=0.1, batch_size=16, n_iter=10, random_state=seed)
    ref.fit(X[300:])
    np.testing.assert_allclose(fitted.layers_[0].components_, ref.components_, rtol=1e-5, atol=1e-6)


def test_codes_carry_class_information(digits, fitted):
    X, y = digits
    rel = relevance_from_labels(y[:300], y[300:])
    D = hamming_distance_matrix(fitted.transform(X[:300]), fitted.transform(X[300:]))
    assert mean_average_precision(D, rel) > 0.25  # chance is about 0.1


def test_deterministic(digits):
    X, _ = digits
    a = RBMHash(8, hidden=(), max_iter=3, random_state=1).fit(X[:400]).transform(X[:100])
    b = RBMHash(8, hidden=(), max_iter=3, random_state=1).fit(X[:400]).transform(X[:100])
    np.testing.assert_array_equal(a, b)


def test_input_range_checked_or_rescaled(digits):
    X, _ = digits
    with pytest.raises(ValueError, match=r"inputs in \[0, 1\].*rescale='minmax'"):
        RBMHash(4, hidden=(), max_iter=1).fit(X * 16)
    h = RBMHash(4, hidden=(), max_iter=1, rescale="minmax", random_state=0).fit(X[:200] * 16 - 3)
    np.testing.assert_allclose(h.data_min_, (X[:200] * 16 - 3).min(0))
    # minmax rescaling makes the codes invariant to an affine change of units
    g = RBMHash(4, hidden=(), max_iter=1, rescale="minmax", random_state=0).fit(X[:200])
    np.testing.assert_array_equal(h.transform(X[:50] * 16 - 3), g.transform(X[:50]))
    fitted = RBMHash(4, hidden=(), max_iter=1, random_state=0).fit(X[:200])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fitted.transform(X[:5] + 1.5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"hidden": 64}, "tuple"),
        ({"hidden": (64, 0)}, "hidden"),
        ({"rescale": "zscore"}, "rescale"),
        ({"n_bits": 0}, "n_bits"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"max_iter": 0}, "max_iter"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RBMHash(**kwargs).fit(np.random.default_rng(0).random((20, 3)))


def test_init_reuses_hidden_layers_exactly(digits):
    """Codes of several lengths share one pre-trained hidden stack: with the same data, parameters and
    random_state, RBMHash(b, init=other) equals RBMHash(b) trained from scratch."""
    X, _ = digits
    base = RBMHash(12, hidden=(24,), max_iter=3, random_state=4).fit(X[:600])
    scratch = RBMHash(6, hidden=(24,), max_iter=3, random_state=4).fit(X[:600])
    shared = RBMHash(6, hidden=(24,), max_iter=3, random_state=4, init=base).fit(X[:600])
    np.testing.assert_array_equal(shared.transform(X[600:800]), scratch.transform(X[600:800]))
    np.testing.assert_allclose(shared.layers_[0].components_, base.layers_[0].components_)
    assert shared.layers_[0] is not base.layers_[0]  # a copy: refitting one never changes the other
    shared.layers_[0].components_[:] = 0
    assert np.abs(base.layers_[0].components_).sum() > 0


def test_init_must_match(digits):
    X, _ = digits
    base = RBMHash(8, hidden=(16,), max_iter=1, random_state=0).fit(X[:100])
    with pytest.raises(ValueError, match="hidden"):
        RBMHash(8, hidden=(12,), max_iter=1, init=base).fit(X[:100])
    with pytest.raises(ValueError, match="features"):
        RBMHash(8, hidden=(16,), max_iter=1, init=base).fit(X[:100, :32])
    with pytest.raises(ValueError, match="fitted RBMHash"):
        RBMHash(8, hidden=(16,), max_iter=1, init=RBMHash(8)).fit(X[:100])
