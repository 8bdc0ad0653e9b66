"""ShiftInvariantHash (Raginsky–Lazebnik codes): formula, theory, parametrisations, packing, errors."""

import numpy as np
import pytest
from sklearn.base import clone

from lshlab.distances import pack_bits
from lshlab.hashing import ShiftInvariantHash
from lshlab.kernels import SchoenbergKernel, raginsky_disagreement_probability


def _pairs_at_distance(r_values, n_pairs, d, seed):
    """x ~ N(0, I) and y = x + r·u with u a random unit vector, for each r (n_pairs pairs each)."""
    rng = np.random.default_rng(seed)
    X, Y = [], []
    for r in r_values:
        x = rng.normal(size=(n_pairs, d))
        u = rng.normal(size=(n_pairs, d))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        X.append(x)
        Y.append(x + r * u)
    return np.concatenate(X), np.concatenate(Y)


def test_codes_match_direct_formula():
    X = np.random.default_rng(0).normal(size=(300, 7))
    h = ShiftInvariantHash(n_bits=100, kernel=1.3, random_state=0).fit(X)
    arg = np.cos(X @ h.components_.astype(np.float64) + h.offsets_) + h.thresholds_
    ref = (arg > 0).astype(np.uint8)
    codes = h.transform(X)
    assert codes.dtype == np.uint8 and codes.shape == (300, 100)
    safe = np.abs(arg) > 1e-5  # float32 rounding may flip bits exactly at the threshold
    np.testing.assert_array_equal(codes[safe], ref[safe])
    assert set(np.unique(codes)) <= {0, 1}


def test_random_draws_have_the_stated_laws():
    h = ShiftInvariantHash(n_bits=20000, kernel=2.0, random_state=1).fit(np.zeros((1, 3)))
    assert np.all((h.offsets_ >= 0) & (h.offsets_ < 2 * np.pi))
    assert np.all((h.thresholds_ >= -1) & (h.thresholds_ <= 1))
    # ω ~ N(0, σ⁻² I) with σ = 2
    np.testing.assert_allclose(np.cov(h.components_), np.eye(3) / 4.0, atol=0.01)


@pytest.mark.parametrize("kernel", [1.0, SchoenbergKernel([0.1, 2.0], [0.5, 0.5])], ids=["gaussian", "mixture"])
def test_measured_disagreement_matches_series(kernel):
    """Fraction of differing bits over n_bits × n_pairs draws vs the series, at several distances."""
    r_values = np.array([0.0, 0.3, 0.8, 1.5, 3.0, 6.0])
    n_pairs, n_bits = 40, 2000
    X, Y = _pairs_at_distance(r_values, n_pairs, d=5, seed=2)
    h = ShiftInvariantHash(n_bits=n_bits, kernel=kernel, random_state=3).fit(X)
    diff = (h.transform(X) != h.transform(Y)).reshape(len(r_values), -1).mean(axis=1)
    theory = raginsky_disagreement_probability(kernel, r_values)
    # sampling error: ≤ n_pairs·n_bits Bernoulli draws, but the n_bits hash functions are shared by
    # all pairs, so the effective sample size is ~ n_bits; allow 5 standard errors
    se = np.sqrt(theory * (1 - theory) / n_bits) + 1e-9
    assert diff[0] == 0.0
    assert np.all(np.abs(diff - theory) <= 5 * se + 1e-3), (diff, theory)


def test_bandwidth_and_single_atom_give_identical_codes():
    X = np.random.default_rng(4).normal(size=(200, 6))
    for sigma in (0.5, 1.0, 3.7):
        a = ShiftInvariantHash(n_bits=96, kernel=sigma, random_state=11).fit(X).transform(X)
        atom = SchoenbergKernel(1.0 / (2.0 * sigma**2))
        b = ShiftInvariantHash(n_bits=96, kernel=atom, random_state=11).fit(X).transform(X)
        np.testing.assert_array_equal(a, b)


def test_packed_equals_pack_bits_and_is_batch_independent():
    X = np.random.default_rng(5).normal(size=(2500, 9)).astype(np.float32)
    h = ShiftInvariantHash(n_bits=77, kernel=1.0, random_state=0).fit(X)
    h._chunk_rows = 300  # several chunks, the last one partial
    codes = h.transform(X)
    np.testing.assert_array_equal(h.transform(X, packed=True), pack_bits(codes))
    np.testing.assert_array_equal(h.transform(X[1234:1240]), codes[1234:1240])
    # deterministic given random_state
    h2 = ShiftInvariantHash(n_bits=77, kernel=1.0, random_state=0).fit(X)
    np.testing.assert_array_equal(h2.transform(X), codes)


@pytest.mark.parametrize(
    "params, match",
    [({"n_bits": 0}, "n_bits"), ({"n_bits": 2.5}, "n_bits"), ({"kernel": 0.0}, "kernel"),
     ({"kernel": -1.0}, "kernel"), ({"kernel": "rbf"}, "kernel")],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        ShiftInvariantHash(**params).fit(np.ones((3, 2)))


def test_bad_inputs():
    h = ShiftInvariantHash(n_bits=8, random_state=0).fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="features"):
        h.transform(np.ones((3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        h.transform(np.array([[np.nan, 1.0]]))


def test_sklearn_params_and_clone():
    kernel = SchoenbergKernel([0.5, 1.0])
    h = ShiftInvariantHash(n_bits=16, kernel=kernel, random_state=0)
    assert h.get_params() == {"n_bits": 16, "kernel": kernel, "random_state": 0}
    X = np.random.default_rng(0).normal(size=(10, 3))
    np.testing.assert_array_equal(clone(h).fit(X).transform(X), h.fit(X).transform(X))
