"""Kernelized LSH (Kulis & Grauman, ICCV 2009): the hyperplanes w = K^{-1/2} e_S against a brute-force
evaluation, exact algebra for the linear kernel (KLSH is then SimHash on the centred data), and the measured
collision rate against the predicted 1 − θ/π for the Gaussian and χ² kernels."""

import numpy as np
import pytest
from sklearn.metrics.pairwise import chi2_kernel, rbf_kernel

from lshlab.hashing.kernelized import KernelizedHash
from lshlab.kernels import SchoenbergKernel


def _data(n=400, d=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, d)) * 2
    return centres[rng.integers(0, 4, n)] + rng.normal(size=(n, d))


def test_bits_are_the_papers_formula():
    """h(x) = 1[Σ_i w_i κ̃(x, x_i) ≥ 0], w = K^{-1/2} e_S, κ̃ centred on the landmarks (brute force)."""
    X = _data()
    h = KernelizedHash(16, kernel=2.0, n_landmarks=50, subset_size=8, random_state=1).fit(X)
    L = h.landmarks_
    K = rbf_kernel(L, L, gamma=1 / 8)
    H = np.eye(50) - 1 / 50
    Kc = H @ K @ H
    w_, V = np.linalg.eigh(Kc)
    keep = w_ > 1e-10 * w_[-1]
    inv_sqrt = V[:, keep] @ np.diag(w_[keep] ** -0.5) @ V[:, keep].T
    E = np.zeros((50, 16))
    for b, S in enumerate(h.subsets_):
        assert len(set(S)) == 8
        E[S, b] = 1
    np.testing.assert_allclose(h.weights_, inv_sqrt @ E, atol=1e-8)
    Q = _data(30, seed=2)
    Kq = rbf_kernel(Q, L, gamma=1 / 8)
    Kq_c = Kq - Kq.mean(axis=1, keepdims=True) - K.mean(axis=0) + K.mean()
    np.testing.assert_array_equal(h.transform(Q), (Kq_c @ inv_sqrt @ E >= 0).astype(np.uint8))
    # a bandwidth σ and the one-atom Schoenberg kernel exp(−r²/(2σ²)) are the same kernel
    g = KernelizedHash(16, kernel=SchoenbergKernel(1 / 8), n_landmarks=50, subset_size=8, random_state=1).fit(X)
    np.testing.assert_array_equal(g.transform(Q), h.transform(Q))


def test_linear_kernel_is_simhash_on_centred_data():
    """For κ(x, y) = xᵀy with p > d landmarks the Nyström coordinates are exact: the predicted collision
    probability is 1 − angle(x − μ, y − μ)/π with μ the landmarks' mean, with or without the projection."""
    X = _data(300, d=5)
    h = KernelizedHash(64, kernel=lambda A, B: A @ B.T, n_landmarks=100, subset_size=20, random_state=0).fit(X)
    assert h.rank_ == 5
    mu = h.landmarks_.mean(axis=0)
    A, B = _data(50, d=5, seed=1) - mu, _data(50, d=5, seed=2) - mu
    cos = np.einsum("ij,ij->i", A, B) / np.linalg.norm(A, axis=1) / np.linalg.norm(B, axis=1)
    expected = 1 - np.arccos(cos) / np.pi
    Xa, Xb = A + mu, B + mu
    np.testing.assert_allclose(h.collision_probability(Xa, Xb), expected, atol=1e-9)
    np.testing.assert_allclose(h.collision_probability(Xa, Xb, nystrom=False), expected, atol=1e-9)


def _pairs_data(kernel):
    rng = np.random.default_rng(0)
    if kernel == "gaussian":
        return _data(2000, d=8), 3.0, rng
    X = rng.random((2000, 8)) * (rng.random((2000, 8)) < 0.6)
    return X / (X.sum(axis=1, keepdims=True) + 1e-12), chi2_kernel, rng  # histograms, χ² kernel


def _gaps(kernel, t, seed, n_bits=4096):
    X, kern, rng = _pairs_data(kernel)
    i, j = rng.integers(0, 2000, 300), rng.integers(0, 2000, 300)
    h = KernelizedHash(n_bits, kernel=kern, subset_size=t, random_state=seed).fit(X)
    measured = (h.transform(X[i]) == h.transform(X[j])).mean(axis=1)
    return measured - h.collision_probability(X[i], X[j]), measured, h


@pytest.mark.parametrize("kernel", ["gaussian", "chi2"])
def test_measured_collisions_follow_the_prediction(kernel):
    """4,096 bits per pair, 300 pairs, the paper's t = 30 of p = 300: the measured agreement rate lies on
    1 − θ/π up to binomial noise (sd ≤ 0.008, so mean |gap| ≈ 0.006 from noise alone) and a small
    central-limit bias. Measured over three seeds: mean |gap| 0.007–0.008 (Gaussian) and 0.007 (χ²),
    largest gap 0.039–0.052 and 0.028–0.033, correlation ≥ 0.99; asserted: 0.012, 0.07, 0.98."""
    gap, measured, h = _gaps(kernel, 30, 0)
    codes = h.transform(_pairs_data(kernel)[0])
    assert np.abs(gap).mean() < 0.012 and np.abs(gap).max() < 0.07, (np.abs(gap).mean(), np.abs(gap).max())
    assert np.corrcoef(measured, measured - gap)[0, 1] > 0.98
    assert 0.35 < codes.mean() < 0.65  # centring balances the bits on average


@pytest.mark.parametrize("kernel", ["gaussian", "chi2"])
def test_central_limit_bias_shrinks_with_the_subset_size(kernel):
    """The prediction assumes the sum over the t landmarks of S is Gaussian. Measured mean bias
    (measured − predicted, 1,024 bits × 300 pairs, so its noise is below 0.001) over three seeds: t = 10: +0.014 (Gaussian), +0.009–0.011 (χ²); t = 100:
    −0.001 to +0.001. Asserted as a paired difference per seed (≥ +0.005) and |bias at t = 100| < 0.004."""
    for seed in range(3):
        small, large = _gaps(kernel, 10, seed, 1024)[0].mean(), _gaps(kernel, 100, seed, 1024)[0].mean()
        assert small > large + 0.005, (seed, small, large)
        assert abs(large) < 0.004, (seed, large)


def test_collision_probability_decreases_with_distance_for_the_gaussian():
    X = _data(500)
    h = KernelizedHash(32, kernel=2.0, random_state=0).fit(X)
    x = X[:1].repeat(6, axis=0)
    step = np.zeros_like(x)
    step[:, 0] = np.linspace(0, 4, 6)
    p = h.collision_probability(x, x + step)
    assert p[0] == pytest.approx(1.0) and np.all(np.diff(p) < 0)


def test_deterministic_and_packed():
    X = _data(200)
    a = KernelizedHash(20, kernel=2.0, n_landmarks=60, random_state=5).fit(X)
    b = KernelizedHash(20, kernel=2.0, n_landmarks=60, random_state=5).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(np.unpackbits(a.transform(X, packed=True), axis=1)[:, :20], a.transform(X))
    assert a.embed(X[:3]).shape == (3, 60)


def test_bad_parameters_and_inputs():
    X = _data(100)
    with pytest.raises(ValueError, match="subset_size"):
        KernelizedHash(8, subset_size=30, n_landmarks=300).fit(X[:20])
    with pytest.raises(ValueError, match="n_landmarks"):
        KernelizedHash(8, n_landmarks=1).fit(X)
    with pytest.raises(ValueError, match="kernel"):
        KernelizedHash(8, kernel="rbf").fit(X)
    with pytest.raises(ValueError, match="Gram matrix"):
        KernelizedHash(8, kernel=lambda A, B: np.ones(3), n_landmarks=50).fit(X)
    with pytest.raises(ValueError, match="centred kernel matrix"):
        KernelizedHash(8, n_landmarks=50, subset_size=5).fit(np.ones((60, 3)))
    h = KernelizedHash(8, n_landmarks=50, subset_size=5).fit(X)
    with pytest.raises(ValueError, match="features"):
        h.transform(X[:, :3])
    with pytest.raises(ValueError, match="paired rows"):
        h.collision_probability(X[:3], X[:4])
