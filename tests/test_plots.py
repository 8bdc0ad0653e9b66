"""Every plot helper of plots.retrieval and plots.lsh is called once under Agg and returns a Figure
(the POT ``test_plot.py`` style), plus checks that the drawn data are the data passed in."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lshlab import plots  # noqa: E402
from lshlab.metrics import precision_recall_curve_retrieval  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def pair_distances():
    rng = np.random.default_rng(0)
    e = rng.random(400)
    c = np.clip(np.round(e * 32 + rng.normal(0, 2, 400)), 0, 32).astype(int)
    return c, e


def test_set_style_runs():
    plots.set_style()


@pytest.mark.parametrize("n_points", [400, 8000])
def test_hamming_vs_euclidean_scatter(n_points):
    rng = np.random.default_rng(1)
    e = rng.random(n_points)
    c = np.clip(np.round(e * 64 + rng.normal(0, 3, n_points)), 0, 64)
    fig = plots.hamming_vs_euclidean_scatter(c, e, n_bits=64)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert "Spearman" in ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    if n_points > plots.retrieval.DENSITY_THRESHOLD:
        assert ax.images, "many points must be drawn as a density image"
    else:
        offsets = ax.collections[0].get_offsets()
        np.testing.assert_allclose(np.sort(offsets[:, 1]), np.sort(c / 64))


def test_scatter_rejects_mismatched_input():
    with pytest.raises(ValueError, match="same number"):
        plots.hamming_vs_euclidean_scatter(np.zeros(3), np.zeros(4))


def test_pr_curves_draws_every_curve(pair_distances):
    c, e = pair_distances
    rel = (e < 0.3)[None, :]
    curves = {"Hamming": precision_recall_curve_retrieval(c[None, :], rel),
              "Euclidean": precision_recall_curve_retrieval(e[None, :], rel)}
    fig, ax = plt.subplots()
    out = plots.pr_curves(curves, ax=ax)
    assert out is fig
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[1].get_xdata(), curves["Euclidean"].recall)
    assert "AUC" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError):
        plots.pr_curves({})


def test_retrieval_collage():
    rng = np.random.default_rng(2)
    X = rng.random((30, 64))
    y = rng.integers(0, 3, 30)
    idx = rng.integers(0, 30, (4, 5))
    fig = plots.retrieval_collage(X[:4], X, idx, y[:4], y, (8, 8), n_show=3)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3 * 6
    # a wrong-class result is faded, a right one is not
    img_alpha = [ax.images[0].get_alpha() for ax in fig.axes[1:6]]
    expect = [1.0 if y[j] == y[0] else 0.25 for j in idx[0]]
    assert img_alpha == expect
    with pytest.raises(ValueError, match="pixels"):
        plots.retrieval_collage(X[:4], X, idx, y[:4], y, (7, 7))


def test_collision_curve():
    theta = np.linspace(0, np.pi, 50)
    fig = plots.collision_curve(theta, 1 - theta / np.pi, theta[::10], 1 - theta[::10] / np.pi, np.full(5, 0.02))
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_legend() is not None


def test_s_curves_match_formula():
    pytest.importorskip("lshlab.hashing.random_projection")
    p = np.linspace(0, 1, 11)
    fig = plots.s_curves(p, K=3, L=5, p_near=0.8, p_far=0.4)
    ax = fig.axes[0]
    line = [ln for ln in ax.lines if ln.get_label() == "K = 3, L = 5"][0]
    np.testing.assert_allclose(line.get_ydata(), 1 - (1 - p**3) ** 5)
    fig = plots.s_curves(configs=[(1, 1), (4, 8)], measured={"m": (p, p, 0.01 * np.ones(11))})
    assert isinstance(fig, Figure)


def test_kdtree_partition_draws_every_split():
    from lshlab.search import KDTree

    P = np.random.default_rng(3).random((40, 2))
    tree = KDTree(P, leaf_size=4)
    fig = plots.kdtree_partition(tree, query=P[0], radius=0.1)
    ax = fig.axes[0]
    n_splits = sum(1 for nd in tree.nodes if nd.split_dim >= 0)
    split_lines = [ln for ln in ax.lines if len(ln.get_xdata()) == 2]
    assert len(split_lines) == n_splits
    fig = plots.kdtree_partition(tree, max_depth=0)
    assert len([ln for ln in fig.axes[0].lines if len(ln.get_xdata()) == 2]) == 1
    with pytest.raises(ValueError, match="2-D"):
        plots.kdtree_partition(KDTree(np.random.default_rng(0).random((10, 3))))


def test_cost_vs_dimension_and_recall_vs_candidates():
    fig = plots.cost_vs_dimension([2, 4, 8], [0.01, 0.1, 0.6], [50, 5, 0.8])
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    fig = plots.recall_vs_candidates({"K=8": ([10, 40, 90], [0.2, 0.5, 0.8]), "K=12": (5, 0.1)}, n_database=1000)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.01, 0.04, 0.09])
