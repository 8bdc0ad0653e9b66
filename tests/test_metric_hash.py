"""MetricHash: factorisation, equivalence with SimHash on Gx, collision rate vs theory, bad input."""

import numpy as np
import pytest

from lshlab.hashing import MetricHash
from lshlab.hashing.metric import metric_collision_probability


def spd(d, seed, rank=None):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(d, rank or d))
    return M @ M.T + (0 if rank else 0.1 * np.eye(d))


def test_factor_and_codes_follow_the_definition():
    A = spd(5, 0)
    X = np.random.default_rng(1).normal(size=(50, 5))
    h = MetricHash(n_bits=64, metric_matrix=A, random_state=0).fit(X)
    np.testing.assert_allclose(h.G_.T @ h.G_, A, atol=1e-10)
    codes = h.transform(X)
    assert codes.dtype == np.uint8 and codes.shape == (50, 64)
    # h(x) = 1[rᵀ G x ≥ 0] computed the long way, in float64
    ref = ((X @ h.G_.T) @ h.hyperplanes_.T >= 0).astype(np.uint8)
    assert np.mean(codes == ref) > 0.999  # float32 vs float64 only differs on near-zero projections
    packed = h.transform(X, packed=True)
    np.testing.assert_array_equal(np.unpackbits(packed, axis=1)[:, :64], codes)


def test_identity_metric_is_simhash_and_seeded():
    X = np.random.default_rng(2).normal(size=(20, 4))
    a = MetricHash(16, None, random_state=3).fit(X)
    b = MetricHash(16, np.eye(4), random_state=3).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.transform(X), (X @ a.hyperplanes_.T >= 0).astype(np.uint8))


@pytest.mark.parametrize("rank", [None, 2])
def test_collision_rate_matches_theory(rank):
    d, n_pairs, n_bits = 6, 12, 20000
    A = spd(d, 4, rank)
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(n_pairs, d)), rng.normal(size=(n_pairs, d))
    y[:4] = x[:4] + 0.2 * rng.normal(size=(4, d))  # include close pairs (high collision)
    h = MetricHash(n_bits, A, random_state=6).fit(x)
    measured = np.mean(h.transform(x) == h.transform(y), axis=1)
    theory = metric_collision_probability(x, y, A)
    sigma = np.sqrt(theory * (1 - theory) / n_bits)
    assert np.all(np.abs(measured - theory) <= 4.5 * sigma + 1e-3)
    assert theory[:4].min() > theory[4:].max() - 0.3  # sanity: close pairs collide more


def test_collision_theory_closed_form_and_invariance():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=3), rng.normal(size=3)
    A = spd(3, 8)
    G = np.linalg.cholesky(A).T  # any factor with A = GᵀG gives the same angle
    gx, gy = G @ x, G @ y
    angle = np.arccos(gx @ gy / np.linalg.norm(gx) / np.linalg.norm(gy))
    assert metric_collision_probability(x, y, A) == pytest.approx(1 - angle / np.pi)
    assert metric_collision_probability(x, x, A) == pytest.approx(1.0)
    assert metric_collision_probability(x, -x, A) == pytest.approx(0.0)
    assert metric_collision_probability(3 * x, y, A) == pytest.approx(metric_collision_probability(x, y, A))
    # a point in the null space of A hashes to all ones: it agrees with a generic point half the time
    B = np.diag([1.0, 1.0, 0.0])
    assert metric_collision_probability(np.array([0, 0, 1.0]), x, B) == 0.5
    h = MetricHash(4000, B, random_state=0).fit(np.eye(3))
    c = h.transform(np.array([[0, 0, 1.0], [x[0], x[1], x[2]]]))
    assert c[0].min() == 1 and abs(np.mean(c[0] == c[1]) - 0.5) < 0.05


def test_bad_inputs():
    X = np.random.default_rng(9).normal(size=(10, 3))
    with pytest.raises(ValueError, match="semi-definite"):
        MetricHash(8, np.diag([1.0, -1.0, 1.0])).fit(X)
    with pytest.raises(ValueError, match="symmetric"):
        MetricHash(8, np.triu(np.ones((3, 3)))).fit(X)
    with pytest.raises(ValueError, match="3 features"):
        MetricHash(8, np.eye(4)).fit(X)
    with pytest.raises(ValueError, match="square"):
        MetricHash(8, np.ones((3, 2))).fit(X)
    with pytest.raises(ValueError, match="n_bits"):
        MetricHash(0).fit(X)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MetricHash(8).fit(Xn)
    h = MetricHash(8, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        h.transform(X[:, :2])
    with pytest.raises(ValueError, match="same shape"):
        metric_collision_probability(X[:3], X[:2])


# --------------------------------------------------------------------------- plots and explorer (Agg)
def test_plots_and_explorer_pure_parts():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lshlab.metric_learning import ITML
    from lshlab.plots.metric import (
        plot_accuracy_bars,
        plot_collision_theory_vs_measured,
        plot_constraint_distances,
        plot_metric_before_after,
    )
    from lshlab.widgets.metric import draw_metric, metric_explorer, prepare_metric_comparison, update_metric

    toy = np.array([[1, 1], [2, 1], [1, 2], [2, 2], [4, 2], [4, 3]], float)
    pairs, sim = np.array([[0, 2], [1, 3], [0, 1], [3, 4]]), np.array([True, True, False, False])
    m = ITML(gamma=np.inf, bounds=(1.0, 4.0)).fit_pairs(pairs, sim, X=toy)
    fig = plot_metric_before_after(toy, np.eye(2), m.A_, pairs=pairs, similar=sim, names="ABCDEF")
    assert len(fig.axes) == 2 and fig.axes[1].get_title()
    d0 = np.einsum("ij,ij->i", toy[pairs[:, 0]] - toy[pairs[:, 1]], toy[pairs[:, 0]] - toy[pairs[:, 1]])
    assert plot_constraint_distances(d0, m.constraint_distances(toy), sim, m.bounds_).axes[0].get_xlabel()
    assert plot_collision_theory_vs_measured(np.array([0.2, 0.8]), np.array([0.25, 0.7]), n_bits=64).axes
    assert plot_accuracy_bars({"Euclidean": 0.9, "ITML": 0.92}).axes
    plt.close("all")

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    y = (X[:, 0] > 0).astype(int)
    comp = prepare_metric_comparison(X[:100], y[:100], X[100:], y[100:], {"Euclidean": None, "ITML": np.diag([9.0, 1, 1, 1, 1])},
                                     max_bits=128, k=3, n_pairs=50)
    r16, r128 = update_metric(comp, n_bits=16), update_metric(comp, n_bits=128)
    # the measured agreement of 128 bits tracks theory more closely than 16 bits
    err = lambda r: np.mean([np.mean(np.abs(r.measured[k] - r.theory[k])) for k in comp.labels])  # noqa: E731
    assert err(r128) < err(r16)
    # stretching the informative axis helps kNN with the exact metric
    assert comp.knn_exact["ITML"] >= comp.knn_exact["Euclidean"]
    fig, axes = plt.subplots(1, 3)
    assert draw_metric(r128, axes) is fig
    with pytest.raises(ValueError, match="exceeds"):
        update_metric(comp, n_bits=256)
    ex = metric_explorer(comp, bits=(16, 64, 128))
    assert ex.result.n_bits == 64
    plt.close("all")
