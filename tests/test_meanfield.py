"""Mean-field PDE: conservation, positivity, Gibbs stationary state, consistency with the particles."""

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from lshlab.kernel_learning import CenteredAlignmentLoss, LangevinKernelLearner, PairAlignmentLoss
from lshlab.kernel_objectives import alignment_loss_grad
from lshlab.meanfield import (
    MeanFieldProblem,
    alignment_potential,
    histogram_density,
    meanfield_from_learner,
    solve_meanfield,
    wasserstein_to_density,
)


def _solve(bounds, beta, *, rho0=None, n_cells=200, t_final=1.0, dt=None, t_eval=None, **terms):
    return solve_meanfield(MeanFieldProblem(bounds, beta, n_cells, **terms), rho0=rho0, t_final=t_final, dt=dt,
                           t_eval=t_eval)


def test_mass_conserved_and_positive_with_strong_drift():
    res = _solve((0.0, 1.0), beta=200.0, rho0=lambda x: np.exp(-((x - 0.2) / 0.05) ** 2),
                          n_cells=80, t_final=2.0, dt=0.05, potential=lambda x: 5 * np.sin(12 * x))
    np.testing.assert_allclose(res.mass, 1.0, atol=1e-12)
    assert res.density.min() >= 0.0
    assert res.density.shape == (101, 80)


def test_pure_transport_upwind_conserves_mass():
    res = _solve((0.0, 1.0), beta=np.inf, n_cells=50, t_final=1.0, potential=lambda x: x)
    np.testing.assert_allclose(res.mass, 1.0, atol=1e-12)
    assert res.density.min() >= 0.0
    assert res.density[-1][:5].sum() * res.dx > 0.95  # everything pushed to the left wall


@pytest.mark.parametrize("beta", [5.0, 40.0])
def test_stationary_state_is_gibbs(beta):
    J = lambda x: (x - 0.3) ** 2 + 0.2 * np.cos(9 * x)  # noqa: E731
    res = _solve((0.0, 1.0), beta=beta, n_cells=400, t_final=1e4, dt=50.0, potential=J)
    x = np.linspace(0, 1, 200001)
    gibbs = np.exp(-beta * J(x))
    gibbs /= np.trapezoid(gibbs, x)
    cells = np.interp(res.grid, x, gibbs)
    np.testing.assert_allclose(res.density[-1], cells, rtol=2e-3 * beta / 5, atol=1e-6)


def test_zero_potential_relaxes_to_uniform():
    res = _solve((1.0, 3.0), beta=10.0, rho0=lambda x: (x < 1.5).astype(float), n_cells=40,
                          t_final=400.0, dt=2.0, potential=lambda x: 0 * x)
    np.testing.assert_allclose(res.density[-1], 0.5, atol=1e-6)


def test_alignment_potential_derivative_is_particle_drift():
    """d/dxi J(xi; mu_N) at a particle = N * dE/dxi_k of the particle loss (mean-field scaling)."""
    rng = np.random.RandomState(0)
    xi = rng.uniform(0.1, 2.0, 9)
    r2, s = rng.uniform(0, 3, 60), rng.choice([-1.0, 1.0], 60)
    w = np.full(9, 1 / 9)
    h = 1e-6
    dJ = []
    for k in range(9):
        # J's density argument stays at the particles; only the evaluation point moves
        Jp = alignment_potential(np.array([xi[k] + h]), w, r2, s, 0.8, support=xi)
        Jm = alignment_potential(np.array([xi[k] - h]), w, r2, s, 0.8, support=xi)
        E = np.exp(-np.outer(np.array([xi[k] + h, xi[k] - h]), r2))
        K = w @ np.exp(-np.outer(xi, r2))
        assert Jp[0] == pytest.approx((E[0] @ (0.8 * K - s)) / 60)
        dJ.append((Jp[0] - Jm[0]) / (2 * h))
    np.testing.assert_allclose(dJ, 9 * alignment_loss_grad(xi, r2, s, 0.8), rtol=1e-5, atol=1e-9)


def test_wasserstein_helper_matches_scipy():
    rng = np.random.RandomState(1)
    edges = np.linspace(0, 2, 41)
    dens = rng.uniform(0, 1, 40)
    dens /= dens.sum() * 0.05
    samples = rng.uniform(0, 2, 300)
    # reference: the density represented by a very fine set of weighted points
    fine = np.linspace(0, 2, 400001)[:-1] + 2 / 800000
    ref = wasserstein_distance(samples, fine, v_weights=dens[np.minimum((fine / 0.05).astype(int), 39)])
    assert wasserstein_to_density(samples, edges, dens, refine=64) == pytest.approx(ref, abs=5e-4)
    assert histogram_density(samples, edges).sum() * 0.05 == pytest.approx(1.0)


def test_particles_converge_to_pde_as_n_grows():
    rng = np.random.RandomState(2)
    X = np.vstack([rng.randn(60, 3) * 0.4, rng.randn(60, 3) * 0.4 + 1.0]).astype(np.float32)
    y = np.r_[np.ones(60), -np.ones(60)].astype(int)
    kw = dict(beta=30.0, learning_rate=0.02, reg=0.0, bounds=(0.0, 3.0), max_iter=60,
              objective=PairAlignmentLoss(batch_size=None, n_pairs=400, n_eval=10))
    gaps = {}
    for n in (20, 2000):  # the same random_state gives the same pair pool, so the same PDE
        lrn = LangevinKernelLearner(n_particles=n, random_state=0, **kw).fit(X, y)
        gaps[n] = wasserstein_to_density(lrn.particles_, *_pde(X, y, kw))
    assert gaps[2000] < 0.4 * gaps[20]


_PDE_CACHE = {}


def _pde(X, y, kw):
    if "res" not in _PDE_CACHE:
        lrn = LangevinKernelLearner(n_particles=2, random_state=0, **kw).fit(X, y)
        res = meanfield_from_learner(lrn, n_cells=150, dt=0.01)
        np.testing.assert_allclose(res.mass, 1.0, atol=1e-12)
        _PDE_CACHE["res"] = (res.edges, res.density[-1])
    return _PDE_CACHE["res"]


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(bounds=(1.0, 0.0)), "bounds"),
        (dict(beta=0.0), "beta"),
        (dict(t_final=-1.0), "t_final"),
        (dict(potential=None), "potential"),
        (dict(rho0=-np.ones(10)), "rho0"),
        (dict(dt=0.0), "dt"),
    ],
)
def test_bad_arguments(kw, match):
    args = dict(bounds=(0.0, 1.0), beta=1.0, n_cells=10, t_final=1.0, potential=lambda x: x)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        _solve(**args)


def test_meanfield_plots_and_explorer():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lshlab.plots import plot_density_heatmap, plot_density_vs_particles, plot_w1_vs_n
    from lshlab.widgets import meanfield_explorer

    rng = np.random.RandomState(3)
    X = rng.randn(60, 3).astype(np.float32)
    y = np.where(X[:, 0] > 0, 1, -1)
    exp = meanfield_explorer(X, y, betas=(10.0, 30.0), ns=(10, 50), max_iter=10, learning_rate=0.02, bounds=(0.0, 2.0),
                             n_pairs=200, n_cells=40)
    view = exp.result
    assert view.particles.shape == (50,) and view.w1 >= 0
    np.testing.assert_allclose(view.pde.mass, 1.0, atol=1e-12)
    assert plot_density_vs_particles(view.pde, {"N=50": view.particles}).axes[0].get_legend() is not None
    assert plot_density_heatmap(view.pde).axes[0].get_ylabel() == "time t"
    assert plot_w1_vs_n([10, 100], [0.3, 0.1]).axes[0].get_xscale() == "log"
    plt.close("all")


def test_sinkhorn_potential_derivative_is_particle_drift():
    """d/dxi f(xi) at a particle = N * dW^2_eps/dxi_k (the regulariser part of the particle drift / h)."""
    from lshlab.kernel_objectives import sinkhorn_grad
    from lshlab.meanfield import sinkhorn_potential

    rng = np.random.RandomState(5)
    xi, nu, eps = rng.uniform(0, 1, 7), rng.uniform(0, 1, 9), 0.05
    w = np.full(7, 1 / 7)
    h = 1e-6
    df = (sinkhorn_potential(xi, w, nu, eps, at=xi + h) - sinkhorn_potential(xi, w, nu, eps, at=xi - h)) / (2 * h)
    np.testing.assert_allclose(df, 7 * sinkhorn_grad(xi, nu, eps), rtol=1e-5, atol=1e-8)


def test_meanfield_with_sinkhorn_regulariser_conserves_mass_and_pulls_to_prior():
    prior = np.random.RandomState(6).uniform(0.6, 1.0, 50)
    res = _solve((0.0, 1.0), beta=50.0, rho0=lambda x: (x < 0.3).astype(float), n_cells=60, t_final=3.0,
                          dt=0.05, reg=2.0, epsilon=0.02, prior=prior, t_eval=[0.0, 3.0])
    np.testing.assert_allclose(res.mass, 1.0, atol=1e-12)
    assert res.density.min() >= 0
    mean = lambda d: np.sum(res.grid * d) * res.dx  # noqa: E731
    assert mean(res.density[0]) < 0.2 and mean(res.density[-1]) > 0.6  # moved onto the prior's support


@pytest.mark.parametrize("beta", [20.0, np.inf])
def test_step_is_backward_euler_of_the_flux_matrix(beta):
    """MeanFieldProblem.step solves (I - dt A) rho_new = rho, A built here densely from the face fluxes."""
    problem = MeanFieldProblem((0.0, 2.0), beta, n_cells=30, potential=lambda x: np.sin(3 * x) + x**2)
    rho = problem.initial_density(lambda x: 1 + np.cos(x))
    a, b = problem.face_coefficients(problem.first_variation(rho))
    n, dx, dt = problem.n_cells, problem.dx, 0.07
    A = np.zeros((n, n))  # d rho_i/dt = -(F_{i+1/2} - F_{i-1/2}) / dx, F_{i+1/2} = a_i rho_i - b_i rho_{i+1}
    for i in range(n - 1):  # face i+1/2 moves mass from cell i to cell i+1
        A[i, i] -= a[i] / dx
        A[i, i + 1] += b[i] / dx
        A[i + 1, i] += a[i] / dx
        A[i + 1, i + 1] -= b[i] / dx
    np.testing.assert_allclose(A.sum(axis=0), 0.0, atol=1e-9)  # columns sum to zero: mass conserved
    np.testing.assert_allclose(problem.step(rho, dt), np.linalg.solve(np.eye(n) - dt * A, rho), rtol=1e-12,
                               atol=1e-12)
    if np.isfinite(beta):  # Scharfetter-Gummel: zero flux exactly for the Gibbs density of the frozen J
        J = problem.first_variation(rho)
        gibbs = np.exp(-beta * (J - J.min()))
        np.testing.assert_allclose(a * gibbs[:-1], b * gibbs[1:], rtol=1e-10)


def test_problem_from_learner_needs_the_pair_loss():
    rng = np.random.RandomState(4)
    X = rng.randn(40, 3).astype(np.float32)
    y = np.where(X[:, 0] > 0, 1, -1)
    kw = dict(n_particles=5, learning_rate=0.01, bounds=(0.0, 2.0), max_iter=2, random_state=0)
    pair = LangevinKernelLearner(objective=PairAlignmentLoss(n_pairs=50, n_eval=10, gamma=0.5), **kw).fit(X, y)
    problem = MeanFieldProblem.from_learner(pair, n_cells=30)
    assert problem.gamma == 0.5 and problem.bounds == (0.0, 2.0) and problem.reg == 0.0
    np.testing.assert_array_equal(problem.pair_r2, pair.objective_.pair_r2_)
    centred = LangevinKernelLearner(objective=CenteredAlignmentLoss(batch_points=10, n_eval=10), **kw).fit(X, y)
    with pytest.raises(ValueError, match="pair loss"):
        MeanFieldProblem.from_learner(centred)
    with pytest.raises(ValueError, match="not fitted"):
        MeanFieldProblem.from_learner(LangevinKernelLearner())
    with pytest.raises(ValueError, match="problem must be a MeanFieldProblem"):
        solve_meanfield((0.0, 1.0))
