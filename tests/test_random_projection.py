"""SimHash and p-stable LSH against their collision theory; AND/OR amplification vs simulation."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import norm
from sklearn.base import clone

from lshlab.hashing import PStableHash, RandomHyperplaneHash
from lshlab.hashing.random_projection import (
    amplified_collision_probability,
    pstable_collision_probability,
    simhash_collision_probability,
)


def pair_at_angle(theta, d=12, seed=0):
    rng = np.random.default_rng(seed)
    u, v = np.linalg.qr(rng.normal(size=(d, 2)))[0].T
    return np.stack([2.0 * u, 3.0 * (np.cos(theta) * u + np.sin(theta) * v)]).astype(np.float32)


def within_sampling_error(rate, p, n, z=4.5):
    return abs(rate - p) <= z * np.sqrt(max(p * (1 - p), 1e-4) / n)


# ----------------------------------------------------------------------------- SimHash
@pytest.mark.parametrize("theta", [0.2, 0.8, np.pi / 2, 2.5, 3.0])
def test_simhash_collision_rate_matches_one_minus_theta_over_pi(theta):
    P = pair_at_angle(theta)
    n = 20000
    B = RandomHyperplaneHash(n_bits=n, random_state=1).fit(P).transform(P)
    rate = (B[0] == B[1]).mean()
    assert within_sampling_error(rate, simhash_collision_probability(theta), n)


def test_simhash_codes_formula_dtype_and_packing():
    X = np.random.default_rng(0).normal(size=(50, 7)).astype(np.float32)
    h = RandomHyperplaneHash(n_bits=20, random_state=0).fit(X)
    B = h.transform(X)
    assert B.dtype == np.uint8 and B.shape == (50, 20) and set(np.unique(B)) <= {0, 1}
    np.testing.assert_array_equal(B, (X @ h.planes_ >= 0).astype(np.uint8))
    np.testing.assert_array_equal(h.transform(X, packed=True), np.packbits(B, axis=1))
    assert h.planes_.shape == (7, 20) and (h.mean_ == 0).all()


def test_simhash_center_uses_the_training_mean():
    X = np.random.default_rng(1).normal(size=(200, 5)).astype(np.float32) + 10.0
    h = RandomHyperplaneHash(n_bits=16, center=True, random_state=0).fit(X)
    np.testing.assert_allclose(h.mean_, X.mean(0), rtol=1e-5)
    np.testing.assert_array_equal(h.transform(X), ((X - h.mean_) @ h.planes_ >= 0).astype(np.uint8))
    # without centring, data far from the origin gets nearly constant codes
    raw = RandomHyperplaneHash(n_bits=16, random_state=0).fit(X).transform(X)
    assert raw.std(0).mean() < h.transform(X).std(0).mean()


# ----------------------------------------------------------------------------- p-stable
@pytest.mark.parametrize("c,w", [(0.5, 1.0), (1.0, 4.0), (3.0, 2.0), (10.0, 1.0)])
def test_pstable_formula_matches_its_integral(c, w):
    # p(c) = ∫_0^w (2/c) φ(t/c) (1 - t/w) dt  (Datar et al. 2004)
    ref = quad(lambda t: 2 / c * norm.pdf(t / c) * (1 - t / w), 0, w)[0]
    assert pstable_collision_probability(c, w) == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize("c,w", [(0.5, 1.0), (2.0, 4.0), (3.0, 2.0)])
def test_pstable_collision_rate_matches_formula(c, w):
    rng = np.random.default_rng(3)
    x = rng.normal(size=10)
    u = rng.normal(size=10)
    P = np.stack([x, x + c * u / np.linalg.norm(u)]).astype(np.float32)
    n = 20000
    C = PStableHash(n_hashes=n, width=w, random_state=0).fit(P).transform(P)
    assert C.dtype == np.int32 and (C < 0).any()
    assert within_sampling_error((C[0] == C[1]).mean(), pstable_collision_probability(c, w), n)


def test_pstable_codes_follow_floor_formula():
    X = np.random.default_rng(2).normal(size=(40, 6)).astype(np.float32)
    h = PStableHash(n_hashes=9, width=1.5, random_state=0).fit(X)
    assert ((h.offsets_ >= 0) & (h.offsets_ < 1.5)).all()
    Z = (X.astype(np.float64) @ h.projections_ + h.offsets_) / 1.5
    safe = np.abs(Z - np.round(Z)) > 1e-4
    np.testing.assert_array_equal(h.transform(X)[safe], np.floor(Z)[safe])


def test_pstable_probability_shape_and_limits():
    p = pstable_collision_probability(np.array([[0.0, 0.1], [1.0, 100.0]]), 2.0)
    assert p.shape == (2, 2) and p[0, 0] == 1.0
    assert np.all(np.diff(pstable_collision_probability(np.linspace(0, 20, 50), 2.0)) < 0)
    assert pstable_collision_probability(1e6, 1.0) < 1e-5


# ----------------------------------------------------------------------------- AND / OR
@pytest.mark.parametrize("theta,K,L", [(0.6, 4, 3), (1.2, 2, 8), (0.3, 10, 2)])
def test_and_or_amplification_matches_simulation(theta, K, L):
    P = pair_at_angle(theta, seed=4)
    trials = 3000
    B = RandomHyperplaneHash(n_bits=trials * L * K, random_state=5).fit(P).transform(P)
    agree = (B[0] == B[1]).reshape(trials, L, K)
    hit = agree.all(axis=2).any(axis=1).mean()  # AND within a table, OR across tables
    p = amplified_collision_probability(simhash_collision_probability(theta), K, L)
    assert within_sampling_error(hit, p, trials)


def test_amplification_formula_values():
    assert amplified_collision_probability(0.5, 1, 1) == pytest.approx(0.5)
    assert amplified_collision_probability(0.5, 2, 2) == pytest.approx(1 - 0.75**2)
    s = amplified_collision_probability(np.linspace(0, 1, 11), 5, 10)
    assert s.shape == (11,) and s[0] == 0 and s[-1] == 1 and np.all(np.diff(s) > 0)


# ----------------------------------------------------------------------------- API
@pytest.mark.parametrize("make", [lambda s: RandomHyperplaneHash(n_bits=32, random_state=s),
                                  lambda s: PStableHash(n_hashes=8, random_state=s)])
def test_determinism_under_random_state(make):
    X = np.random.default_rng(0).normal(size=(30, 5))
    a = make(7).fit(X).transform(X)
    np.testing.assert_array_equal(a, make(7).fit(X).transform(X))
    np.testing.assert_array_equal(a, clone(make(7)).fit(X).transform(X))
    assert not np.array_equal(a, make(8).fit(X).transform(X))
    # encoding is row-wise: a batch gives the same codes as its rows alone
    h = make(7).fit(X)
    np.testing.assert_array_equal(h.transform(X[3:4]), a[3:4])


def test_bad_inputs():
    X = np.random.default_rng(0).normal(size=(10, 4))
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="n_bits"):
            RandomHyperplaneHash(n_bits=bad).fit(X)
    with pytest.raises(ValueError, match="n_hashes"):
        PStableHash(n_hashes=0).fit(X)
    for bad in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="width"):
            PStableHash(width=bad).fit(X)
    with pytest.raises(ValueError, match="center"):
        RandomHyperplaneHash(center="yes").fit(X)
    with pytest.raises(ValueError, match="NaN"):
        RandomHyperplaneHash().fit(np.where(X > 1, np.nan, X))
    with pytest.raises(ValueError, match="2-D"):
        RandomHyperplaneHash().fit(X[0])
    h = RandomHyperplaneHash(n_bits=8).fit(X)
    with pytest.raises(ValueError, match="features"):
        h.transform(X[:, :3])
    with pytest.raises(ValueError, match="binary"):
        PStableHash().fit(X).transform(X, packed=True)
    with pytest.raises(ValueError, match="theta"):
        simhash_collision_probability(4.0)
    with pytest.raises(ValueError, match="distances"):
        pstable_collision_probability(-1.0, 1.0)
    with pytest.raises(ValueError, match="w"):
        pstable_collision_probability(1.0, 0.0)
    with pytest.raises(ValueError, match="probabilities"):
        amplified_collision_probability(1.5, 2, 2)
    with pytest.raises(ValueError, match="bits_per_table"):
        amplified_collision_probability(0.5, 0, 2)
    with pytest.raises(ValueError, match="n_tables"):
        amplified_collision_probability(0.5, 2, 0)


# ----------------------------------------------------------------------------- bit sampling
@pytest.mark.parametrize("r", [0, 5, 37, 64, 100])
def test_bit_sampling_collision_rate_matches_one_minus_r_over_d(r):
    from lshlab.hashing import BitSamplingHash
    from lshlab.hashing.random_projection import bit_sampling_collision_probability

    rng = np.random.default_rng(r)
    x = rng.integers(0, 2, 100, dtype=np.uint8)
    y = x.copy()
    y[rng.choice(100, r, replace=False)] ^= 1  # Hamming distance exactly r
    P = np.stack([x, y])
    n = 20000
    B = BitSamplingHash(n_bits=n, random_state=2).fit(P).transform(P)
    rate = (B[0] == B[1]).mean()
    assert within_sampling_error(rate, bit_sampling_collision_probability(r, 100), n)
    assert bit_sampling_collision_probability(r, 100) == pytest.approx(1 - r / 100)


def test_bit_sampling_codes_are_the_sampled_coordinates_and_never_floats():
    from lshlab.hashing import BitSamplingHash

    X = np.random.default_rng(0).integers(0, 2, (50, 4096)).astype(bool)
    h = BitSamplingHash(n_bits=24, random_state=5).fit(X)
    assert h.positions_.shape == (24,) and (0 <= h.positions_).all() and (h.positions_ < 4096).all()
    codes = h.transform(X)
    assert codes.dtype == np.uint8
    np.testing.assert_array_equal(codes, X[:, h.positions_])
    np.testing.assert_array_equal(h.transform(X, packed=True), np.packbits(codes, axis=1))
    np.testing.assert_array_equal(BitSamplingHash(24, random_state=5).fit(X).positions_, h.positions_)
    with pytest.raises(ValueError, match="integer 0/1 codes, got dtype float"):
        BitSamplingHash(8).fit(X.astype(np.float32))
    with pytest.raises(ValueError, match="only 0 and 1"):
        BitSamplingHash(8).fit(X.astype(np.uint8) * 3)
    with pytest.raises(ValueError, match="expecting 4096"):
        h.transform(X[:, :100])
    with pytest.raises(ValueError, match="n_bits"):
        BitSamplingHash(0).fit(X)
    from lshlab.hashing.random_projection import bit_sampling_collision_probability

    with pytest.raises(ValueError, match=r"must lie in \[0, n_bits=10\]"):
        bit_sampling_collision_probability(11, 10)
