import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.datasets import load_digits
from sklearn.metrics.pairwise import rbf_kernel

from lshlab.random_features import (
    RandomFeatureSampler,
    compare_random_feature_methods,
    importance_weights,
    project_to_simplex,
)


def _binary_digits(n=400, seed=0):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    y = np.where(y < 5, 1, -1)
    idx = np.random.default_rng(seed).permutation(len(y))[:n]
    return X[idx], y[idx]


def test_gram_approximation_error_shrinks_with_features():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5)).astype(np.float32)
    sigma = 2.0
    K = rbf_kernel(X, gamma=1 / (2 * sigma**2))
    errs = []
    for D in (16, 256, 4096):
        Z = RandomFeatureSampler(D, "spectral", kernel=sigma, random_state=1).fit(X).transform(X)
        errs.append(np.abs(Z @ Z.T - K).max())
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.1  # Monte-Carlo error ~ 1/sqrt(D)


def test_schoenberg_single_atom_matches_gaussian_kernel():
    from lshlab.kernels import SchoenbergKernel

    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    xi = 0.2  # exp(-xi r^2) = Gaussian with sigma^2 = 1 / (2 xi)
    Z = RandomFeatureSampler(8192, kernel=SchoenbergKernel([xi], [1.0]), random_state=0).fit(X).transform(X)
    K = np.exp(-xi * ((X[:, None] - X[None]) ** 2).sum(-1))
    assert np.abs(Z @ Z.T - K).max() < 0.08


def test_kernel_bandwidth_and_its_schoenberg_atom_give_the_same_features():
    from lshlab.kernels import SchoenbergKernel

    X = np.random.default_rng(4).normal(size=(50, 3)).astype(np.float32)
    a = RandomFeatureSampler(64, kernel=2.0, random_state=5).fit(X)
    b = RandomFeatureSampler(64, kernel=SchoenbergKernel.from_bandwidth(2.0), random_state=5).fit(X)
    np.testing.assert_allclose(a.transform(X), b.transform(X), atol=1e-6)
    assert a.kernel_.xi[0] == pytest.approx(1 / 8)
    # importance sampling draws its candidates from any Schoenberg base measure
    y = np.where(X[:, 0] > 0, 1, -1)
    mix = SchoenbergKernel([0.05, 0.5], [0.5, 0.5])
    s = RandomFeatureSampler(16, "importance", kernel=mix, n_candidates=64, random_state=0).fit(X, y)
    assert s.omega_.shape == (16, 3) and s.candidate_weights_.shape == (64,)


def test_simplex_projection_against_optimizer():
    rng = np.random.default_rng(2)
    for _ in range(5):
        v = rng.normal(size=7)
        q = project_to_simplex(v)
        assert q.min() >= 0 and abs(q.sum() - 1) < 1e-12
        res = minimize(lambda p: ((p - v) ** 2).sum(), np.full(7, 1 / 7), method="SLSQP",
                       bounds=[(0, None)] * 7, constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1}])
        np.testing.assert_allclose(q, res.x, atol=1e-5)


@pytest.mark.parametrize("rho", [0.0, 0.3, 2.0])
def test_importance_weights_solve_the_constrained_problem(rho):
    rng = np.random.default_rng(3)
    v = rng.exponential(size=40)
    q = importance_weights(v, rho)
    M = v.size
    assert q.min() >= 0 and abs(q.sum() - 1) < 1e-9
    assert M * q @ q - 1 <= rho + 1e-6
    # optimal: no feasible point of a generic optimizer does better
    cons = [{"type": "eq", "fun": lambda p: p.sum() - 1}, {"type": "ineq", "fun": lambda p: rho - (M * p @ p - 1)}]
    res = minimize(lambda p: -v @ p, np.full(M, 1 / M), method="SLSQP", bounds=[(0, None)] * M, constraints=cons)
    assert v @ q >= -res.fun - 1e-5
    if rho == 0.0:
        np.testing.assert_allclose(q, 1 / M, atol=1e-9)


def test_importance_sampling_raises_alignment_of_the_chosen_features():
    X, y = _binary_digits(300)
    s = RandomFeatureSampler(64, "importance", kernel=3.0, rho=5.0, random_state=0).fit(X, y)
    chosen = (s.candidate_weights_ * s.scores_).sum()
    assert chosen > s.scores_.mean() * 1.2


def test_compare_methods_rows_and_error_falls_with_features():
    X, y = _binary_digits(500)
    rows = compare_random_feature_methods(X[:350], y[:350], X[350:], y[350:], n_components=(8, 512), bandwidth=3.0)
    assert {r["method"] for r in rows} == {"RBFSampler + LinearSVC", "RBFSampler + SGD", "importance sampling"}
    by = {(r["method"], r["n_components"]): r["test_error"] for r in rows}
    for m in ("RBFSampler + LinearSVC", "importance sampling"):
        assert by[(m, 512)] < by[(m, 8)]
        assert by[(m, 512)] < 0.15
    assert all(r["fit_time"] > 0 for r in rows)
    # the training error is that of the fitted pipeline on its own training rows
    from sklearn.kernel_approximation import RBFSampler
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    ref = make_pipeline(RBFSampler(gamma=1 / 18, n_components=512, random_state=0), LinearSVC()).fit(X[:350], y[:350])
    row = next(r for r in rows if r["method"] == "RBFSampler + LinearSVC" and r["n_components"] == 512)
    assert row["train_error"] == pytest.approx(1 - ref.score(X[:350], y[:350]))
    assert row["test_error"] == pytest.approx(1 - ref.score(X[350:], y[350:]))


def test_fit_time_vs_n():
    from lshlab.random_features import fit_time_vs_n

    X, y = _binary_digits(400)
    rows = fit_time_vs_n(X, y, [100, 400], n_components=64, bandwidth=3.0, repeats=1)
    assert [r["n"] for r in rows] == [100, 400]
    assert all(r["exact_s"] > 0 and r["random_features_s"] > 0 for r in rows)
    with pytest.raises(ValueError, match="more than"):
        fit_time_vs_n(X, y, [401])
    with pytest.raises(ValueError, match="one class"):
        fit_time_vs_n(X, np.sort(y), [10])


@pytest.mark.parametrize(
    "kwargs, y, match",
    [
        ({"method": "magic"}, None, "method"),
        ({"n_components": 0}, None, "n_components"),
        ({"kernel": -1.0}, None, r"kernel \(Gaussian bandwidth\) must be a finite number > 0"),
        ({"kernel": "rbf"}, None, "kernel must be a Gaussian bandwidth"),
        ({"method": "importance"}, None, "needs labels"),
        ({"method": "importance"}, np.zeros(10), "both labels"),
        ({"method": "gaussian"}, None, r"method must be one of \('spectral', 'importance'\)"),
    ],
)
def test_bad_input(kwargs, y, match):
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match=match):
        RandomFeatureSampler(**kwargs).fit(X, y)
