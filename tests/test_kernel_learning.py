"""Langevin kernel learner: gradients vs finite differences, Sinkhorn vs POT, walls, limits, determinism."""

import numpy as np
import ot
import pytest

from lshlab.kernel_learning import (
    CenteredAlignmentLoss,
    LangevinKernelLearner,
    PairAlignmentLoss,
    kmeans_pseudo_labels,
    reflect,
)
from lshlab.kernel_objectives import alignment_loss, alignment_loss_grad, sinkhorn_cost, sinkhorn_grad
from lshlab.kernels import SchoenbergKernel, kernel_target_alignment


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(120, 4) * 0.4, rng.randn(80, 4) * 0.4 + 1.5]).astype(np.float32)
    truth = np.r_[np.ones(120), -np.ones(80)].astype(int)
    return X, truth


def test_pseudo_labels_recover_blobs(blobs):
    X, truth = blobs
    y = kmeans_pseudo_labels(X, n_clusters=2, cluster=0, subset=60, random_state=0)
    assert set(np.unique(y)) == {-1, 1}
    np.testing.assert_array_equal(y, truth)  # cluster 0 = the larger blob, all rows assigned
    y1 = kmeans_pseudo_labels(X, n_clusters=2, cluster=1, random_state=0)
    np.testing.assert_array_equal(y1, -truth)


def test_pseudo_labels_bad_args(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="cluster"):
        kmeans_pseudo_labels(X, n_clusters=2, cluster=2)
    with pytest.raises(ValueError, match="subset"):
        kmeans_pseudo_labels(X, subset=10_000)


def test_alignment_loss_gradient_vs_finite_differences():
    rng = np.random.RandomState(1)
    xi = rng.uniform(0.1, 2.0, 7)
    r2 = rng.uniform(0.0, 3.0, 50)
    s = rng.choice([-1.0, 1.0], 50)
    g = alignment_loss_grad(xi, r2, s, gamma=0.7)
    h = 1e-6
    fd = np.array([
        (alignment_loss(xi + h * e, r2, s, 0.7) - alignment_loss(xi - h * e, r2, s, 0.7)) / (2 * h)
        for e in np.eye(xi.size)
    ])
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-10)


def test_squared_loss_identity():
    """gamma = 1: E_gamma = 1/2 (y y' - K)^2 - 1/2."""
    rng = np.random.RandomState(2)
    xi, r2, s = rng.uniform(0, 2, 5), rng.uniform(0, 3, 40), rng.choice([-1.0, 1.0], 40)
    K = np.exp(-np.outer(r2, xi)).mean(axis=1)
    assert alignment_loss(xi, r2, s, 1.0) == pytest.approx(np.mean(0.5 * (s - K) ** 2 - 0.5))


def test_sinkhorn_cost_matches_pot_and_gradient_matches_fd():
    rng = np.random.RandomState(3)
    xi, nu, eps = rng.uniform(0, 1, 6), rng.uniform(0, 1, 8), 0.05
    a, b = np.full(6, 1 / 6), np.full(8, 1 / 8)
    M = (xi[:, None] - nu[None, :]) ** 2
    P = ot.sinkhorn(a, b, M, eps, stopThr=1e-12, numItermax=10000)
    linear = float(ot.sinkhorn2(a, b, M, eps, stopThr=1e-12, numItermax=10000))
    full = linear + eps * np.sum(P * np.log(P))
    assert sinkhorn_cost(xi, nu, eps) == pytest.approx(full, rel=1e-7)
    g = sinkhorn_grad(xi, nu, eps)
    h = 1e-6
    fd = np.array([(sinkhorn_cost(xi + h * e, nu, eps) - sinkhorn_cost(xi - h * e, nu, eps)) / (2 * h)
                   for e in np.eye(6)])
    np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-7)
    # warm start reaches the same fixed point
    _, warm = sinkhorn_grad(xi, nu, eps, return_warmstart=True)
    np.testing.assert_allclose(sinkhorn_grad(xi + 1e-3, nu, eps, warmstart=warm),
                               sinkhorn_grad(xi + 1e-3, nu, eps), atol=1e-8)


def test_reflect_equals_repeated_reflection():
    rng = np.random.RandomState(4)
    x = rng.uniform(-50, 50, 2000)
    low, high = 0.5, 2.0

    def loop(v):
        while v < low or v > high:
            v = 2 * low - v if v < low else 2 * high - v
        return v

    np.testing.assert_allclose(reflect(x, low, high), [loop(v) for v in x], atol=1e-9)
    inside = rng.uniform(low, high, 100)
    np.testing.assert_array_equal(reflect(inside, low, high), inside)


def test_particles_stay_inside_with_huge_steps(blobs):
    X, y = blobs
    lrn = LangevinKernelLearner(n_particles=40, beta=1e-3, learning_rate=5.0, reg=1.0, bounds=(0.2, 1.0), max_iter=20,
                                objective=PairAlignmentLoss(batch_size=32, n_pairs=200, n_eval=20),
                                random_state=0).fit(X, y)
    assert lrn.history_.min() >= 0.2 and lrn.history_.max() <= 1.0
    assert np.ptp(lrn.history_[-1]) > 0.3  # they really moved across the box


def test_fitted_attributes_and_kernel(blobs):
    X, y = blobs
    lrn = LangevinKernelLearner(n_particles=30, beta=50.0, learning_rate=0.05, bounds=(0.0, 3.0), max_iter=12,
                                objective=PairAlignmentLoss(n_pairs=300, n_eval=30), random_state=1).fit(X, y)
    assert lrn.history_.shape == (13, 30) and lrn.n_iter_ == 12
    np.testing.assert_array_equal(lrn.particles_, lrn.history_[-1])
    assert lrn.alignment_.shape == (13,)
    assert isinstance(lrn.kernel_, SchoenbergKernel)
    r = np.array([0.0, 0.5, 1.3])
    np.testing.assert_allclose(lrn.kernel_(r), np.exp(-np.outer(r**2, lrn.particles_)).mean(axis=1))
    np.testing.assert_allclose(lrn.times_, 0.05 * np.arange(13))


def test_alignment_curve_is_kernel_target_alignment(blobs):
    """alignment_[0] equals kernel_target_alignment of the initial particle kernel on the eval sample."""
    X, y = blobs
    lrn = LangevinKernelLearner(n_particles=10, max_iter=1, objective=PairAlignmentLoss(n_eval=len(X)),
                                random_state=2).fit(X, y)
    D2 = ((X[:, None, :].astype(np.float64) - X[None, :, :]) ** 2).sum(-1)
    K = np.exp(-D2[..., None] * lrn.history_[0]).mean(-1)
    assert lrn.alignment_[0] == pytest.approx(kernel_target_alignment(K, y), rel=1e-9)


def test_alignment_rises(blobs):
    X, _ = blobs
    y = kmeans_pseudo_labels(X, random_state=0)
    lrn = LangevinKernelLearner(n_particles=50, beta=1e3, learning_rate=0.2, bounds=(0.0, 5.0), max_iter=80,
                                init=np.full(50, 0.05),
                                objective=PairAlignmentLoss(n_pairs=1000, batch_size=128, n_eval=80),
                                random_state=0).fit(X, y)
    assert lrn.alignment_[-10:].mean() > lrn.alignment_[0] + 0.05


def test_infinite_beta_without_reg_is_projected_sgd(blobs):
    X, y = blobs
    kw = dict(n_particles=15, learning_rate=0.3, reg=0.0, bounds=(0.0, 1.0), max_iter=25,
              objective=PairAlignmentLoss(batch_size=None, n_pairs=300, n_eval=20), random_state=5)
    lrn = LangevinKernelLearner(beta=np.inf, boundary="clip", **kw).fit(X, y)
    pool = lrn.objective_
    xi = lrn.history_[0].copy()
    for m in range(1, 26):
        xi = np.clip(xi - 0.3 * 15 * alignment_loss_grad(xi, pool.pair_r2_, pool.pair_s_), 0.0, 1.0)
        np.testing.assert_allclose(lrn.history_[m], xi, rtol=1e-12, atol=1e-12)
    # beta -> infinity with stochastic pair batches: the noise vanishes, the pair stream is unchanged
    kw.update(objective=PairAlignmentLoss(batch_size=16, n_pairs=300, n_eval=20))
    cold = LangevinKernelLearner(beta=np.inf, **kw).fit(X, y)
    warm = LangevinKernelLearner(beta=1e14, **kw).fit(X, y)
    np.testing.assert_allclose(warm.history_, cold.history_, atol=1e-5)


def test_deterministic(blobs):
    X, y = blobs
    kw = dict(n_particles=12, beta=10.0, learning_rate=0.1, reg=0.5, bounds=(0.0, 2.0), max_iter=10,
              objective=PairAlignmentLoss(n_pairs=200, n_eval=20))
    a = LangevinKernelLearner(random_state=7, **kw).fit(X, y)
    b = LangevinKernelLearner(random_state=7, **kw).fit(X, y)
    c = LangevinKernelLearner(random_state=8, **kw).fit(X, y)
    np.testing.assert_array_equal(a.history_, b.history_)
    np.testing.assert_array_equal(a.alignment_, b.alignment_)
    assert not np.allclose(a.history_, c.history_)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(beta=0.0), "beta"),
        (dict(beta=-1.0), "beta"),
        (dict(bounds=(1.0, 1.0)), "bounds"),
        (dict(bounds=(2.0, 1.0)), "bounds"),
        (dict(bounds=(-0.5, 1.0)), "bounds"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(learning_rate=-1e-3), "learning_rate"),
        (dict(max_iter=-1), "max_iter"),
        (dict(objective="squared"), "objective must be None, PairAlignmentLoss"),
        (dict(objective=PairAlignmentLoss(n_pairs=0)), "n_pairs"),
        (dict(objective=PairAlignmentLoss(n_eval=1)), "n_eval"),
        (dict(objective=CenteredAlignmentLoss(batch_points=2)), "batch_points"),
        (dict(n_particles=0), "n_particles"),
        (dict(reg=-1.0), "reg"),
        (dict(epsilon=0.0), "epsilon"),
        (dict(boundary="wrap"), "boundary"),
        (dict(init=np.full(5, 9.0), n_particles=5), "init"),
    ],
)
def test_bad_parameters(blobs, kw, match):
    X, y = blobs
    with pytest.raises(ValueError, match=match):
        LangevinKernelLearner(**{"max_iter": 2, **kw}).fit(X, y)


def test_bad_labels(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="y must"):
        LangevinKernelLearner(max_iter=2).fit(X, np.zeros(len(X)))


def test_plots_and_temperature_widget(blobs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lshlab.plots import plot_alignment_curve, plot_kernel_profiles, plot_particle_histograms
    from lshlab.widgets import draw_temperature, prepare_temperature, temperature_explorer, update_temperature

    X, y = blobs
    data = prepare_temperature(X, y, n_particles=10, max_iter=8, learning_rate=0.05, bounds=(0.0, 2.0), n_pairs=200,
                               n_eval=10)
    res = update_temperature(data, beta=10.0, reg=0.5)
    assert update_temperature(data, beta=10.0, reg=0.5) is res  # cached
    assert res.history.shape == (9, 10) and res.history.min() >= 0.0 and res.history.max() <= 2.0
    fig, axes = plt.subplots(1, 2)
    assert draw_temperature(res, axes) is fig
    lrn = LangevinKernelLearner(n_particles=10, max_iter=3, objective=PairAlignmentLoss(n_eval=10),
                                random_state=0).fit(X, y)
    assert plot_particle_histograms(lrn.history_, bounds=(0, 1)).axes[0].get_xlabel()
    assert plot_alignment_curve(lrn.alignment_, times=lrn.times_).axes[0].get_title()
    assert plot_kernel_profiles({"trained": lrn.kernel_}, 3.0).axes[0].get_lines()
    exp = temperature_explorer(X, y, betas=(1.0, 10.0), regs=(0.0, 0.5), n_particles=10, max_iter=5,
                               n_pairs=100, n_eval=10)
    exp.controls["beta"].value = 1.0
    exp.refresh()
    assert exp.result.beta == 1.0 and len(exp.data.cache) == 2
    plt.close("all")


def test_centered_alignment_gradient(blobs):
    from lshlab.kernel_objectives import centered_alignment_grad

    X, y = blobs
    Xb = X[::5].astype(np.float64)
    yb = y[::5]
    D2 = ((Xb[:, None] - Xb[None]) ** 2).sum(-1)
    xi = np.array([0.1, 0.5, 1.3, 2.0])
    A, g = centered_alignment_grad(xi, D2, yb)
    K = np.exp(-D2[..., None] * xi).mean(-1)
    assert A == pytest.approx(kernel_target_alignment(K, yb, centered=True), rel=1e-10)
    h = 1e-6
    fd = [(centered_alignment_grad(xi + h * e, D2, yb)[0] - centered_alignment_grad(xi - h * e, D2, yb)[0]) / (2 * h)
          for e in np.eye(4)]
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-9)


def test_centered_objective_raises_centered_alignment(blobs):
    X, y = blobs
    lrn = LangevinKernelLearner(n_particles=20, beta=1e4, learning_rate=0.5, bounds=(0.0, 20.0), max_iter=40,
                                init=np.full(20, 3.0), objective=CenteredAlignmentLoss(batch_points=40, n_eval=80),
                                random_state=0).fit(X, y)
    assert lrn.alignment_[-5:].mean() > lrn.alignment_[0] + 0.2


def test_reflect_property():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=200, deadline=None)
    @given(st.floats(-1e6, 1e6), st.floats(0.0, 10.0), st.floats(1e-3, 10.0))
    def check(x, low, width):
        high = low + width
        r = float(reflect(x, low, high))
        assert low - 1e-9 * (1 + abs(x)) <= r <= high + 1e-9 * (1 + abs(x))
        if low <= x <= high:
            assert r == pytest.approx(x)

    check()


def test_sklearn_params_roundtrip():
    from sklearn.base import clone

    lrn = LangevinKernelLearner(n_particles=7, beta=3.0, bounds=(0.1, 2.0))
    assert clone(lrn).get_params() == lrn.get_params()
    assert lrn.get_params()["bounds"] == (0.1, 2.0)
    # objective options are nested parameters (grid search: objective__gamma, ...)
    lrn = LangevinKernelLearner(objective=PairAlignmentLoss(n_pairs=10, gamma=0.5))
    assert lrn.get_params()["objective__n_pairs"] == 10
    copy = clone(lrn.set_params(objective__gamma=0.25))
    assert copy.objective is not lrn.objective and copy.get_params()["objective__gamma"] == 0.25


def test_objectives_value_and_grad_agree(blobs):
    """grad(xi, batch) is the derivative of value(xi, batch), for both objectives, on the same batch."""
    X, y = blobs
    xi = np.array([0.1, 0.4, 1.1, 2.5])
    h = 1e-6
    for objective in (PairAlignmentLoss(n_pairs=300, batch_size=50, gamma=0.8, n_eval=20),
                      CenteredAlignmentLoss(batch_points=30, n_eval=20)):
        objective.prepare(X, y, np.random.RandomState(0), np.random.RandomState(1))
        batch = objective.sample_batch(np.random.RandomState(2))
        fd = [(objective.value(xi + h * e, batch) - objective.value(xi - h * e, batch)) / (2 * h) for e in np.eye(4)]
        np.testing.assert_allclose(objective.grad(xi, batch), fd, rtol=1e-5, atol=1e-10)
    # the centred objective's batches always hold both labels
    rng = np.random.RandomState(3)
    assert all(np.ptp(y[objective.sample_batch(rng)]) > 0 for _ in range(20))


def test_sinkhorn_regularizer_is_warm_started_sinkhorn_grad():
    from lshlab.kernel_objectives import SinkhornRegularizer

    rng = np.random.RandomState(4)
    nu = rng.uniform(0, 1, 12)
    reg = SinkhornRegularizer(nu, 0.05, tol=1e-12)
    for _ in range(3):  # successive (warm-started) calls agree with cold solves
        xi = rng.uniform(0, 1, 10)
        np.testing.assert_allclose(reg.grad(xi), sinkhorn_grad(xi, nu, 0.05, tol=1e-12), atol=1e-9)
    assert reg.value(xi) == pytest.approx(sinkhorn_cost(xi, nu, 0.05))


def test_reflect_rejects_reversed_walls():
    with pytest.raises(ValueError, match=r"low < high"):
        reflect([0.5], 1.0, 0.0)
    with pytest.raises(ValueError, match=r"low < high"):
        reflect([0.5], 1.0, 1.0)


def test_single_class_labels_rejected(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match=r"y must hold at least two classes.*single class"):
        LangevinKernelLearner(max_iter=2).fit(X, np.ones(len(X), int))
    with pytest.raises(ValueError, match=r"integer labels"):
        LangevinKernelLearner(max_iter=2).fit(X, np.r_[np.nan, np.ones(len(X) - 1)])


def test_cluster_mode_pseudo_labels(blobs):
    X, _ = blobs
    rng = np.random.RandomState(0)
    X3 = np.vstack([X, rng.randn(40, 4).astype(np.float32) * 0.4 - 1.5])
    yc = kmeans_pseudo_labels(X3, n_clusters=3, subset=150, random_state=0, mode="clusters")
    np.testing.assert_array_equal(np.bincount(yc), [120, 80, 40])  # numbered by decreasing size
    for c in range(3):  # one-vs-rest of cluster c is the cluster labelling restricted to c
        y1 = kmeans_pseudo_labels(X3, n_clusters=3, cluster=c, subset=150, random_state=0)
        np.testing.assert_array_equal(y1 == 1, yc == c)
    with pytest.raises(ValueError, match="mode"):
        kmeans_pseudo_labels(X3, mode="pairs")


def test_sample_pairs_targets_and_balance():
    from lshlab.kernel_objectives import sample_pairs

    rng = np.random.RandomState(0)
    X = rng.randn(300, 3)
    y = rng.randint(0, 10, 300)  # ~10% of uniform pairs share a label
    r2, s, i, j = sample_pairs(X, y, 4000, np.random.RandomState(1), balance=True)
    assert np.all(i != j)
    np.testing.assert_array_equal(s, np.where(y[i] == y[j], 1.0, -1.0))
    np.testing.assert_allclose(r2, ((X[i] - X[j]) ** 2).sum(1))
    assert (s > 0).sum() == 2000
    # same-label pairs: a class is drawn with probability proportional to its number of ordered pairs
    n_c = np.bincount(y)
    expected = n_c * (n_c - 1) / np.sum(n_c * (n_c - 1))
    observed = np.bincount(y[i[s > 0]], minlength=10) / 2000
    np.testing.assert_allclose(observed, expected, atol=0.03)
    # +-1 labels, uniform pairs: s = y_i y_j (seed eq. 4)
    ypm = np.where(y < 5, 1, -1)
    _, s2, i2, j2 = sample_pairs(X, ypm, 500, np.random.RandomState(2))
    np.testing.assert_array_equal(s2, ypm[i2] * ypm[j2])
    assert 0.3 < np.mean(s2 > 0) < 0.7


def test_two_labels_act_as_plus_minus_one(blobs):
    X, truth = blobs
    kw = dict(n_particles=10, beta=50.0, learning_rate=0.05, bounds=(0.0, 3.0), max_iter=6,
              objective=PairAlignmentLoss(n_pairs=200, n_eval=30), random_state=3)
    a = LangevinKernelLearner(**kw).fit(X, truth)
    b = LangevinKernelLearner(**kw).fit(X, (truth > 0).astype(int) * 7)  # labels {0, 7}
    np.testing.assert_array_equal(a.history_, b.history_)
    np.testing.assert_allclose(a.alignment_, b.alignment_)


def test_indicator_target_gives_a_wider_kernel_than_sign(blobs):
    """Pointwise minimiser of 1/2 (s - K)^2 is E[s | r]: P(same | r) vs 2 P(same | r) - 1, so sign is steeper."""
    X, truth = blobs
    kw = dict(n_particles=30, beta=1e5, learning_rate=0.2, bounds=(0.0, 5.0), max_iter=150, init=np.full(30, 1.0),
              random_state=0)
    pairs = dict(n_pairs=2000, batch_size=256, n_eval=60)
    sign = LangevinKernelLearner(objective=PairAlignmentLoss(pair_target="sign", **pairs), **kw).fit(X, truth)
    ind = LangevinKernelLearner(objective=PairAlignmentLoss(pair_target="indicator", **pairs), **kw).fit(X, truth)
    ind_pool, sign_pool = ind.objective_, sign.objective_
    assert set(np.unique(ind_pool.pair_s_)) == {0.0, 1.0}
    np.testing.assert_array_equal(ind_pool.pair_s_, (sign_pool.pair_s_ > 0).astype(float))  # same pair pool
    assert np.median(ind.particles_) < 0.7 * np.median(sign.particles_)
    # both minimise their own squared loss better than the other's kernel does
    assert ind_pool.value(ind.particles_) < ind_pool.value(sign.particles_)
    assert sign_pool.value(sign.particles_) < sign_pool.value(ind.particles_)
    assert sign_pool.value(sign.particles_) == alignment_loss(sign.particles_, sign_pool.pair_r2_, sign_pool.pair_s_)


def test_cluster_labels_balanced_pool_and_alignment(blobs):
    X, _ = blobs
    yc = kmeans_pseudo_labels(X, n_clusters=6, random_state=0, mode="clusters")
    lrn = LangevinKernelLearner(n_particles=10, beta=1e3, learning_rate=0.05, bounds=(0.0, 3.0), max_iter=5,
                                objective=PairAlignmentLoss(n_pairs=400, n_eval=len(X), balance_pairs=True,
                                                            pair_target="indicator"),
                                random_state=0).fit(X, yc)
    assert lrn.objective_.pair_s_.sum() == 200
    # alignment_[0]: both halves of the off-diagonal pairs weigh 1/2
    D2 = ((X[:, None, :].astype(np.float64) - X[None, :, :]) ** 2).sum(-1)
    iu = np.triu_indices(len(X), 1)
    K = np.exp(-D2[iu][:, None] * lrn.history_[0]).mean(1)
    same = (yc[:, None] == yc[None, :])[iu]
    expected = (0.5 * K[same].mean()) / np.sqrt((0.5 * (K[same] ** 2).mean() + 0.5 * (K[~same] ** 2).mean()) * 0.5)
    assert lrn.alignment_[0] == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError, match="centered_alignment objective\\) needs labels with two classes, got 6"):
        LangevinKernelLearner(max_iter=2, objective=CenteredAlignmentLoss()).fit(X, yc)
    with pytest.raises(ValueError, match="pair_target"):
        LangevinKernelLearner(max_iter=2, objective=PairAlignmentLoss(pair_target="zero-one")).fit(X, yc)


def test_clip_at_a_zero_wall_leaves_atoms_and_a_valid_kernel(blobs):
    """Projection onto [0, u] (Khuzani et al.'s eq. (5)) puts particles exactly on the wall ξ = 0; the
    fitted kernel still evaluates to the particle mixture, whose ξ = 0 atoms are the constant 1."""
    X, y = blobs
    kw = dict(n_particles=200, beta=2.0, learning_rate=0.05, bounds=(0.0, 0.5), max_iter=30,
              objective=PairAlignmentLoss(batch_size=32, n_pairs=200, n_eval=20), random_state=3)
    clip = LangevinKernelLearner(boundary="clip", **kw).fit(X, y)
    on_wall = np.mean((clip.history_[1:] == 0.0) | (clip.history_[1:] == 0.5))
    assert on_wall > 0.05 and np.any(clip.particles_ == 0.0)
    r = np.linspace(0.0, 3.0, 7)
    expected = np.exp(-np.outer(r**2, clip.particles_)).mean(axis=1)
    np.testing.assert_allclose(clip.kernel_(r), expected, rtol=1e-12)
    reflect = LangevinKernelLearner(boundary="reflect", **kw).fit(X, y)
    assert np.mean((reflect.history_[1:] == 0.0) | (reflect.history_[1:] == 0.5)) == 0.0
    assert reflect.history_.min() >= 0.0 and reflect.history_.max() <= 0.5
