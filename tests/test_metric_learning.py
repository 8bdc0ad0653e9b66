"""ITML and Mahalanobis helpers: constraints, positive definiteness, closed forms, brute-force optima."""

import warnings
from collections import Counter

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.spatial.distance import cdist
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from lshlab.metric_learning import (
    ITML,
    check_metric_matrix,
    knn_accuracy,
    logdet_divergence,
    mahalanobis_distance_matrix,
    metric_factor,
    same_class_distance_ratio,
)

# the lecture's toy points A(1,1) ... F(4,3)
TOY = np.array([[1, 1], [2, 1], [1, 2], [2, 2], [4, 2], [4, 3]], dtype=float)
TOY_PAIRS = np.array([[0, 2], [1, 3], [4, 5], [0, 1], [2, 3], [3, 4]])
TOY_SIMILAR = np.array([True, True, True, False, False, False])


def pair_distances(X, pairs, A):
    Z = X[pairs[:, 0]] - X[pairs[:, 1]]
    return np.einsum("ij,jk,ik->i", Z, A, Z)


def random_problem(seed, n=40, d=4, m=30):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, 3, size=n)
    P = rng.integers(0, n, size=(4 * m, 2))
    P = P[P[:, 0] != P[:, 1]][:m]
    return X, P, y[P[:, 0]] == y[P[:, 1]]


def is_spd(A):
    return np.allclose(A, A.T, atol=0) and np.linalg.eigvalsh(A)[0] > 0


# --------------------------------------------------------------------------- constraints
def test_toy_hard_constraints_hold_exactly():
    u, l = 1.0, 4.0
    m = ITML(gamma=np.inf, bounds=(u, l), tol=1e-10).fit_pairs(TOY_PAIRS, TOY_SIMILAR, X=TOY)
    d = pair_distances(TOY, TOY_PAIRS, m.A_)
    assert m.converged_
    assert np.all(d[TOY_SIMILAR] <= u * (1 + 1e-8))
    assert np.all(d[~TOY_SIMILAR] >= l * (1 - 1e-8))
    # the learned metric stretches x (dissimilar neighbours differ in x) and keeps y
    assert m.A_[0, 0] > 1.5 and m.A_[0, 0] > m.A_[1, 1]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("gamma", [0.5, 10.0])
def test_every_constraint_satisfied_within_slack(seed, gamma):
    X, P, S = random_problem(seed)
    m = ITML(gamma=gamma, tol=1e-9, max_iter=5000).fit_pairs(P, S, X=X)
    assert m.converged_
    d = m.constraint_distances(X)
    np.testing.assert_allclose(d, pair_distances(X, P, m.A_))
    assert np.all(d[S] <= m.xi_[S] * (1 + 1e-5))
    assert np.all(d[~S] >= m.xi_[~S] * (1 - 1e-5))
    u, l = m.bounds_
    # slack only relaxes: targets move away from the bounds in the permissive direction
    assert np.all(m.xi_[S] >= u - 1e-12) and np.all(m.xi_[~S] <= l + 1e-12)
    assert np.all(m.lambda_ >= 0)
    # complementary slackness: an inactive constraint (lambda = 0) keeps its bound as target
    inactive = m.lambda_ == 0
    np.testing.assert_allclose(m.xi_[inactive], np.where(S, u, l)[inactive])


def test_matrix_stays_spd_throughout():
    X, P, S = random_problem(5, d=6, m=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for passes in range(1, 8):
            m = ITML(gamma=100.0, max_iter=passes, tol=1e-12).fit_pairs(P, S, X=X)
            assert is_spd(m.A_), passes
            assert m.n_iter_ == passes


def test_already_satisfied_constraints_leave_prior_unchanged():
    X, P, S = random_problem(3)
    m = ITML(bounds=(1e-6, 1e-5)).fit_pairs(P[~S], S[~S], X=X)  # all dissimilar, all far enough
    np.testing.assert_array_equal(m.A_, np.eye(X.shape[1]))
    assert m.converged_ and m.n_iter_ == 1 and np.all(m.lambda_ == 0)


# --------------------------------------------------------------------------- closed forms and optima
def _spd_from_params(t):
    L = np.array([[np.exp(t[0]), 0.0], [t[1], np.exp(t[2])]])
    return L @ L.T


def _ld(A, A0):
    M = A @ np.linalg.inv(A0)
    return np.trace(M) - np.log(np.linalg.det(M)) - A.shape[0]


@pytest.mark.parametrize("similar", [True, False])
def test_single_hard_constraint_matches_closed_form_and_brute_force(similar):
    A0 = np.array([[2.0, 0.3], [0.3, 1.0]])
    X = np.array([[0.0, 0.0], [1.0, 0.5]])
    z = X[1] - X[0]
    p = z @ A0 @ z
    target = p / 3 if similar else 3 * p  # a violated constraint
    bounds = (target, 10 * p) if similar else (p / 10, target)
    m = ITML(gamma=np.inf, prior=A0, bounds=bounds, tol=1e-12).fit_pairs(np.array([[0, 1]]), np.array([similar]), X=X)
    # closed form of the LogDet projection onto {zᵀAz = target}: A0 + (target − p)/p² A0 z zᵀ A0
    closed = A0 + (target - p) / p**2 * np.outer(A0 @ z, A0 @ z)
    np.testing.assert_allclose(m.A_, closed, rtol=1e-10)
    # brute force: minimise D_ld(A, A0) over 2x2 SPD A subject to zᵀAz = target
    cons = {"type": "eq", "fun": lambda t: z @ _spd_from_params(t) @ z - target}
    t0 = np.array([np.log(np.sqrt(2.0)), 0.2, 0.0])
    res = minimize(lambda t: _ld(_spd_from_params(t), A0), t0, constraints=[cons], method="SLSQP",
                   options={"ftol": 1e-14, "maxiter": 500})
    assert res.success
    np.testing.assert_allclose(m.A_, _spd_from_params(res.x), atol=1e-5)


@pytest.mark.parametrize("similar", [True, False])
def test_single_soft_constraint_matches_joint_brute_force(similar):
    """Finite γ: one projection solves min D_ld(A, A0) + γ D_ld(ξ, ξ0) s.t. zᵀAz = ξ."""
    gamma = 2.0
    A0 = np.eye(2)
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    z = X[1]
    p = z @ z
    xi0 = p / 4 if similar else 4 * p
    bounds = (xi0, 100 * p) if similar else (p / 100, xi0)
    m = ITML(gamma=gamma, bounds=bounds, tol=1e-12).fit_pairs(np.array([[0, 1]]), np.array([similar]), X=X)
    d = m.constraint_distances(X)[0]
    np.testing.assert_allclose(d, m.xi_[0], rtol=1e-10)  # the projection lands exactly on ξ

    def objective(t):
        A = _spd_from_params(t[:3])
        r = (z @ A @ z) / xi0  # ξ eliminated by the equality constraint
        return _ld(A, A0) + gamma * (r - np.log(r) - 1)

    res = minimize(objective, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(m.A_, _spd_from_params(res.x), atol=1e-4)
    # and the printed step ½(1/p − γ/ξ) of the paper would not land on ξ: the factor matters
    alpha_printed = 0.5 * (1 / p - gamma / xi0) * (1 if similar else -1)
    assert not np.isclose(alpha_printed, -m.lambda_[0] * (1 if similar else -1))


# --------------------------------------------------------------------------- learned metric on data
@pytest.fixture(scope="module")
def digits_pca():
    d = load_digits()
    X = PCA(n_components=20, random_state=0).fit_transform(d.data / 16.0)
    return X[:600], d.target[:600], X[600:1200], d.target[600:1200]


def test_learned_metric_pulls_classes_together_on_digits(digits_pca):
    Xtr, ytr, Xte, yte = digits_pca
    m = ITML(gamma=0.1, n_constraints=800, random_state=0).fit(Xtr, ytr)
    assert m.converged_ and is_spd(m.A_)
    euclid = same_class_distance_ratio(Xte, yte, None, random_state=1)
    learned = same_class_distance_ratio(Xte, yte, m.A_, random_state=1)
    assert learned < 0.9 * euclid  # held-out same-class pairs closer relative to different-class ones
    assert len(m.pairs_) == 800 and m.similar_.sum() == 400
    tr_sim = ytr[m.pairs_[:, 0]] == ytr[m.pairs_[:, 1]]
    np.testing.assert_array_equal(tr_sim, m.similar_)


def test_default_n_constraints_and_determinism(digits_pca):
    Xtr, ytr, _, _ = digits_pca
    a = ITML(gamma=0.1, max_iter=3, random_state=4)
    b = ITML(gamma=0.1, max_iter=3, random_state=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a.fit(Xtr[:200], ytr[:200]), b.fit(Xtr[:200], ytr[:200])
    assert len(a.pairs_) == 20 * 10**2
    np.testing.assert_array_equal(a.A_, b.A_)


def test_default_bounds_are_distance_percentiles():
    X, P, S = random_problem(7)
    m = ITML(max_iter=2, tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m.fit_pairs(P, S, X=X)
    pts = X[np.unique(P)]
    D = cdist(pts, pts, "sqeuclidean")[np.triu_indices(len(pts), 1)]
    np.testing.assert_allclose(m.bounds_, np.percentile(D, [5, 95]))


def test_covariance_prior_is_inverse_covariance():
    X, P, S = random_problem(8, n=60, m=40)
    m = ITML(prior="covariance", max_iter=1, tol=1e9).fit_pairs(P, S, X=X)
    np.testing.assert_allclose(m.A0_, np.linalg.inv(np.cov(X[np.unique(P)], rowvar=False)), rtol=1e-10)


# --------------------------------------------------------------------------- G, transform, helpers
def test_factor_and_transform_consistent():
    X, P, S = random_problem(9, d=5)
    m = ITML(gamma=1.0, tol=1e-6).fit_pairs(P, S, X=X)
    np.testing.assert_allclose(m.G_.T @ m.G_, m.A_, atol=1e-10)
    T = m.transform(X)
    np.testing.assert_allclose(cdist(T, T, "sqeuclidean"), m.mahalanobis(X), atol=1e-9)
    # rank-deficient PSD A also factors exactly
    B = np.diag([2.0, 1.0, 0.0])
    G = metric_factor(B)
    np.testing.assert_allclose(G.T @ G, B, atol=1e-12)


def test_mahalanobis_matrix_matches_scipy():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    M = rng.normal(size=(3, 3))
    A = M @ M.T + 0.1 * np.eye(3)
    ref = cdist(X, Y, "mahalanobis", VI=A)
    np.testing.assert_allclose(mahalanobis_distance_matrix(X, Y, A, squared=False), ref, atol=1e-9)
    np.testing.assert_allclose(mahalanobis_distance_matrix(X, Y, A), ref**2, atol=1e-9)


def test_logdet_divergence_is_twice_gaussian_kl():
    rng = np.random.default_rng(2)
    M1, M2 = rng.normal(size=(2, 4, 4))
    A, A0 = M1 @ M1.T + np.eye(4), M2 @ M2.T + np.eye(4)
    S0, S1 = np.linalg.inv(A0), np.linalg.inv(A)  # covariances of the Gaussians
    kl = 0.5 * (np.trace(np.linalg.inv(S1) @ S0) - 4 + np.log(np.linalg.det(S1) / np.linalg.det(S0)))
    np.testing.assert_allclose(logdet_divergence(A, A0), 2 * kl, rtol=1e-10)
    assert logdet_divergence(A0, A0) == pytest.approx(0.0, abs=1e-10)
    assert logdet_divergence(A, A0) > 0


def test_knn_accuracy_matches_brute_force_vote():
    rng = np.random.default_rng(3)
    y_db, y_q = rng.integers(0, 4, 50), rng.integers(0, 4, 30)
    for D, k in [(rng.random((30, 50)), 1), (rng.random((30, 50)), 7), (rng.integers(0, 6, (30, 50)), 4),
                 (rng.integers(0, 3, (30, 50)), 9), (rng.integers(0, 9, (30, 50)), 50)]:  # Hamming-like ties
        pred = []
        for row in D:
            nn = np.argsort(row, kind="stable")[:k]
            counts = Counter(y_db[nn])
            top = max(counts.values())
            pred.append(next(y_db[j] for j in nn if counts[y_db[j]] == top))
        assert knn_accuracy(D, y_db, y_q, k) == pytest.approx(np.mean(np.array(pred) == y_q))


# --------------------------------------------------------------------------- bad input
def test_bad_inputs_raise_value_error():
    X, P, S = random_problem(4)
    with pytest.raises(ValueError, match="0..39"):
        ITML().fit_pairs(np.array([[0, 40]]), np.array([True]), X=X)
    with pytest.raises(ValueError, match="0..39"):
        ITML().fit_pairs(np.array([[-1, 2]]), np.array([True]), X=X)
    with pytest.raises(ValueError, match="shape"):
        ITML().fit_pairs(P[:, :1], S, X=X)
    with pytest.raises(ValueError, match="integer"):
        ITML().fit_pairs(P.astype(float), S, X=X)
    with pytest.raises(ValueError, match="similar"):
        ITML().fit_pairs(P, S[:-1], X=X)
    with pytest.raises(ValueError, match="similar"):
        ITML().fit_pairs(P, np.where(S, 1, -1), X=X)
    with pytest.raises(ValueError, match="different rows"):
        ITML().fit_pairs(np.array([[3, 3]]), np.array([True]), X=X)
    Xdup = X.copy()
    Xdup[1] = Xdup[0]
    with pytest.raises(ValueError, match="identical"):
        ITML().fit_pairs(np.array([[0, 1]]), np.array([False]), X=Xdup)
    Xnan = X.copy()
    Xnan[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ITML().fit_pairs(P, S, X=Xnan)
    with pytest.raises(ValueError, match="NaN"):
        ITML().fit(Xnan, np.arange(40) % 2)
    with pytest.raises(ValueError, match="single class"):
        ITML().fit(X, np.zeros(40, int))
    with pytest.raises(ValueError, match="labels"):
        ITML().fit(X, np.zeros(39, int))
    with pytest.raises(ValueError, match="positive definite"):
        ITML(prior=np.diag([1.0, 1.0, 1.0, -1.0])).fit_pairs(P, S, X=X)
    with pytest.raises(ValueError, match="symmetric"):
        ITML(prior=np.triu(np.ones((4, 4)))).fit_pairs(P, S, X=X)
    with pytest.raises(ValueError, match="4 features"):
        ITML(prior=np.eye(3)).fit_pairs(P, S, X=X)
    with pytest.raises(ValueError, match="gamma"):
        ITML(gamma=0).fit_pairs(P, S, X=X)
    with pytest.raises(ValueError, match="bounds"):
        ITML(bounds=(5.0, 1.0)).fit_pairs(P, S, X=X)
    with pytest.raises(ValueError, match="prior"):
        ITML(prior="diagonal").fit_pairs(P, S, X=X)
    with pytest.raises(ValueError, match="positive semi-definite"):
        check_metric_matrix(np.diag([1.0, -2.0]))


def test_not_converged_warns_and_reports():
    X, P, S = random_problem(6, m=60)
    with pytest.warns(ConvergenceWarning):
        m = ITML(gamma=10.0, max_iter=1, tol=1e-12).fit_pairs(P, S, X=X)
    assert not m.converged_ and m.n_iter_ == 1
    with pytest.raises(ValueError, match="features"):
        m.transform(X[:, :3])


# --------------------------------------------------------------------------- property
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 4), m=st.integers(1, 12),
       gamma=st.sampled_from([0.1, 1.0, 100.0, np.inf]))
def test_property_spd_and_slack(seed, d, m, gamma):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(10, d))
    P = np.array([rng.choice(10, 2, replace=False) for _ in range(m)])
    S = rng.random(m) < 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ITML(gamma=gamma, bounds=(0.5, 3.0), tol=1e-8, max_iter=300).fit_pairs(P, S, X=X)
    assert is_spd(model.A_)
    if model.converged_ and np.isfinite(gamma):
        dist = model.constraint_distances(X)
        assert np.all(dist[S] <= model.xi_[S] * (1 + 1e-4))
        assert np.all(dist[~S] >= model.xi_[~S] * (1 - 1e-4))


def test_fit_pairs_accepts_point_pairs_like_index_pairs():
    """The contract form fit_pairs(pairs, similar) with (m, 2, d) point pairs equals the indexed form."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(12, 3))
    P = np.array([[0, 1], [2, 3], [4, 5], [6, 7]])
    S = np.array([True, False, True, False])
    a = ITML(gamma=10.0, bounds=(1.0, 6.0), tol=1e-9).fit_pairs(P, S, X=X)
    b = ITML(gamma=10.0, bounds=(1.0, 6.0), tol=1e-9).fit_pairs(X[P], S)
    np.testing.assert_allclose(a.A_, b.A_)
    with pytest.raises(ValueError, match="point pairs"):
        ITML().fit_pairs(P, S)
