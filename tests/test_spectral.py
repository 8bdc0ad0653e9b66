"""Spectral hashing and graph Laplacians: the lecture's 5-node example, the box eigenfunctions against a
numerical grid Laplacian, eigenvalue ranking, balanced bits, plots and the comparison explorer."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.sparse.csgraph import laplacian as scipy_laplacian

from lshlab.hashing import SpectralHash
from lshlab.hashing.spectral import (
    bipartitions,
    box_eigenfunction,
    box_eigenvalue,
    box_laplacian_spectrum,
    cut_value,
    fiedler_vector,
    graph_laplacian,
    ratio_cut,
)
from lshlab.metrics import mean_average_precision, precision_recall_curve_retrieval

EDGES = [(1, 2), (1, 3), (1, 4), (2, 3), (4, 5)]


def _example_graph():
    W = np.zeros((5, 5))
    for i, j in EDGES:
        W[i - 1, j - 1] = W[j - 1, i - 1] = 1.0
    return W


def test_lecture_graph_laplacian_and_spectrum():
    W = _example_graph()
    L = graph_laplacian(W)
    expected_L = np.array(
        [[3, -1, -1, -1, 0], [-1, 2, -1, 0, 0], [-1, -1, 2, 0, 0], [-1, 0, 0, 2, -1], [0, 0, 0, -1, 1]], float
    )
    np.testing.assert_array_equal(L, expected_L)  # the table on the seed slide
    np.testing.assert_allclose(np.linalg.eigvalsh(L), [0, 0.5188, 2.3111, 3.0, 4.1701], atol=1e-4)


def test_lecture_graph_fiedler_split():
    v, lam2 = fiedler_vector(_example_graph())
    assert lam2 == pytest.approx(0.5188, abs=1e-4)
    assert set(np.flatnonzero(v < 0) + 1) == {1, 2, 3}
    assert set(np.flatnonzero(v > 0) + 1) == {4, 5}
    # the seed's eigenvector column (up to sign)
    np.testing.assert_allclose(np.abs(v), [0.201774, 0.41931, 0.41931, 0.3379, 0.70246], atol=1e-3)


def test_lecture_graph_eigenvector_table_erratum():
    """The source table's first column is the constant eigenvector 1/√5 in every row; its last entry is
    printed as −0.447958, which is not a unit-vector entry (−1/√5 = −0.447214)."""
    _, V = np.linalg.eigh(graph_laplacian(_example_graph()))
    np.testing.assert_allclose(np.abs(V[:, 0]), 1 / np.sqrt(5), atol=1e-12)
    assert abs(0.447958 - 1 / np.sqrt(5)) > 7e-4


def test_ratio_cut_bound_and_brute_force_on_the_lecture_graph():
    W = _example_graph()
    splits = bipartitions(5)
    assert splits.shape == (15, 5) and splits[:, 0].all()
    assert len({tuple(s) for s in splits}) == 15
    costs = np.array([ratio_cut(W, s) for s in splits])
    best = splits[np.argmin(costs)]
    assert set(np.flatnonzero(best) + 1) == {1, 2, 3}
    assert costs.min() == pytest.approx(1 * (1 / 3 + 1 / 2))  # one edge cut, sides of 3 and 2
    _, lam2 = fiedler_vector(W)
    assert costs.min() >= lam2 - 1e-12
    # Hagen & Kahng's form cut / (|U|·|Ū|) >= λ2 / n, the same bound divided by n
    hk = np.array([cut_value(W, s) / (s.sum() * (5 - s.sum())) for s in splits])
    np.testing.assert_allclose(hk * 5, costs)


def test_ratio_cut_equals_rayleigh_quotient_of_the_split_vector():
    rng = np.random.default_rng(3)
    A = rng.random((9, 9)) * (rng.random((9, 9)) < 0.6)
    W = np.triu(A, 1) + np.triu(A, 1).T
    L = graph_laplacian(W)
    lam2 = np.linalg.eigvalsh(L)[1]
    for s in bipartitions(9):
        nu, nw = s.sum(), (~s).sum()
        f = np.where(s, np.sqrt(nw / nu), -np.sqrt(nu / nw))
        assert abs(f.sum()) < 1e-9 and f @ f == pytest.approx(9)
        assert ratio_cut(W, s) == pytest.approx(f @ L @ f / (f @ f))
        assert ratio_cut(W, s) >= lam2 - 1e-12
        assert cut_value(W, s) == pytest.approx(W[s][:, ~s].sum())


@pytest.mark.parametrize("bad, msg", [(np.ones(5, bool), "non-empty"), (np.zeros(5, bool), "non-empty"),
                                      (np.ones(4, bool), "one entry per node"), (np.ones(5), "boolean")])
def test_ratio_cut_bad_split(bad, msg):
    with pytest.raises(ValueError, match=msg):
        ratio_cut(_example_graph(), bad)


def test_bipartitions_limits():
    assert bipartitions(2).tolist() == [[True, False]]
    with pytest.raises(ValueError, match="n_nodes"):
        bipartitions(1)
    with pytest.raises(ValueError, match="brute force"):
        bipartitions(21)


@pytest.mark.parametrize("epsilon", [0.01, 0.05, 0.3])
def test_box_eigenvalue_is_exact_for_the_gaussian_graph(epsilon):
    """Weiss et al.'s λ_k = 1 − exp(−ε²/2 (kπ/(b−a))²) is the exact spectrum of the random-walk Laplacian
    of the Gaussian affinity exp(−|x−y|²/(2ε²)) on a uniform grid with reflecting ends, and Φ_k its
    eigenvectors; (ε²/2)(kπ/(b−a))² is only the small-ε limit."""
    a, b = -0.5, 1.5
    x, evals, evecs = box_laplacian_spectrum(500, a, b, epsilon, n_modes=8)
    exact = box_eigenvalue(np.arange(8), a, b, epsilon)
    np.testing.assert_allclose(evals, exact, atol=1e-10)
    for k in range(1, 8):
        phi = box_eigenfunction(x, k, a, b)
        assert abs(phi @ evecs[:, k]) / np.linalg.norm(phi) == pytest.approx(1.0, abs=1e-8)
    quadratic = 0.5 * epsilon**2 * (np.arange(8) * np.pi / (b - a)) ** 2
    rel_err = (quadratic[1:] - exact[1:]) / exact[1:]
    assert np.all(rel_err > 0) and np.all(np.diff(rel_err) > 0)  # the limit overestimates, more so for large k


def test_box_eigenvalue_small_epsilon_limit_and_ordering():
    k = np.arange(1, 6)
    for eps in (1e-4, 1e-3):
        lam = box_eigenvalue(k, 0.0, 2.0, eps)
        x = 0.5 * eps**2 * (k * np.pi / 2.0) ** 2
        np.testing.assert_allclose(lam / x, 1 - x / 2, rtol=1e-8)  # (1 − e^{−x})/x = 1 − x/2 + O(x²)
    lam = box_eigenvalue(k, 0.0, 2.0, 1.0)
    assert np.all(np.diff(lam) > 0) and np.all(lam < 1)  # same order as k², saturating below 1
    with pytest.raises(ValueError, match="epsilon"):
        box_eigenvalue(1, 0, 1, 0.0)
    with pytest.raises(ValueError, match="b > a"):
        box_eigenvalue(1, 1, 1, 0.1)
    with pytest.raises(ValueError, match="n_grid"):
        box_laplacian_spectrum(5000, 0, 1, 0.1)


def test_fiedler_is_an_eigenvector_with_deterministic_sign():
    rng = np.random.default_rng(1)
    A = rng.random((12, 12))
    W = np.triu(A, 1) + np.triu(A, 1).T
    v, lam = fiedler_vector(W)
    L = graph_laplacian(W)
    np.testing.assert_allclose(L @ v, lam * v, atol=1e-10)
    assert np.linalg.norm(v) == pytest.approx(1.0)
    assert abs(v.sum()) < 1e-10  # orthogonal to the constant eigenvector
    assert lam == pytest.approx(np.linalg.eigvalsh(L)[1])
    assert v[np.argmax(np.abs(v))] > 0
    v2, _ = fiedler_vector(W[::-1, ::-1])  # relabelled graph: same split, same sign rule
    assert v2[np.argmax(np.abs(v2))] > 0
    np.testing.assert_allclose(np.sort(np.abs(v2)), np.sort(np.abs(v)), atol=1e-10)


@pytest.mark.parametrize("normalized", [False, True])
def test_laplacian_matches_scipy(normalized):
    rng = np.random.default_rng(0)
    A = rng.random((9, 9)) * (rng.random((9, 9)) < 0.5)
    W = np.triu(A, 1) + np.triu(A, 1).T
    W[:, 8] = W[8, :] = 0  # an isolated node
    ours = graph_laplacian(W, normalized=normalized)
    ref = scipy_laplacian(W, normed=normalized)
    if normalized:  # scipy puts 0 on the diagonal of an isolated node; we keep the identity row
        ref[8, 8] = 1.0
    np.testing.assert_allclose(ours, ref, atol=1e-12)


@pytest.mark.parametrize(
    "W, msg",
    [
        (np.ones((3, 4)), "square"),
        (np.array([[0, 1.0], [0, 0]]), "symmetric"),
        (np.array([[0, -1.0], [-1.0, 0]]), "non-negative"),
        (np.array([[0, np.nan], [np.nan, 0]]), "NaN"),
        (np.ones(3), "2-D"),
    ],
)
def test_laplacian_bad_inputs(W, msg):
    with pytest.raises(ValueError, match=msg):
        graph_laplacian(W)


def test_fiedler_needs_two_nodes():
    with pytest.raises(ValueError, match="at least 2 nodes"):
        fiedler_vector(np.zeros((1, 1)))


def test_box_eigenfunctions_match_grid_laplacian():
    """Path graph on n evenly spaced points of [a, b] (a 1-D grid Laplacian, Neumann ends): its k-th
    eigenvector is Φ_k sampled at the cell centres, and λ_k / λ_1 → k² (eigenvalue ∝ (kπ/(b − a))²)."""
    n, a, b = 400, -1.3, 2.1
    W = np.diag(np.ones(n - 1), 1)
    W = W + W.T
    evals, evecs = np.linalg.eigh(graph_laplacian(W))
    x = a + (np.arange(n) + 0.5) * (b - a) / n
    for k in range(1, 6):
        phi = box_eigenfunction(x, k, a, b)
        cos = abs(phi @ evecs[:, k]) / np.linalg.norm(phi)
        assert cos == pytest.approx(1.0, abs=1e-9), k
        assert evals[k] / evals[1] == pytest.approx(k**2, rel=1e-3)
    # and the constant mode k = 0 has eigenvalue 0
    assert evals[0] == pytest.approx(0, abs=1e-10)


def _box(n, sides, seed=0):
    return (np.random.default_rng(seed).random((n, len(sides))) * np.asarray(sides)).astype(np.float32)


def test_modes_are_the_smallest_eigenvalues():
    X = _box(5000, [1.0, 0.45, 0.2])
    sh = SpectralHash(n_bits=7).fit(X)
    width = sh.upper_ - sh.lower_
    # brute force over every (direction, k)
    cand = sorted(((k * np.pi / width[j]) ** 2, j, k) for j in range(3) for k in range(1, 10))[:7]
    np.testing.assert_allclose(sh.eigenvalues_, [c[0] for c in cand])
    assert [tuple(m) for m in sh.modes_] == [(c[1], c[2]) for c in cand]
    # long direction first, with several bits before the short ones get any
    assert [tuple(m) for m in sh.modes_[:3]] == [(0, 1), (0, 2), (1, 1)]
    assert np.all(np.diff(sh.eigenvalues_) >= 0)


def test_codes_balanced_on_uniform_box():
    X = _box(20000, [1.0, 0.7, 0.45])
    codes = SpectralHash(n_bits=10).fit(X).transform(X)
    assert codes.dtype == np.uint8 and set(np.unique(codes)) <= {0, 1}
    np.testing.assert_allclose(codes.mean(axis=0), 0.5, atol=0.03)
    # Bits of different directions are independent; bits of one direction are *not* always: the square
    # waves sgn cos(πt) and sgn cos(3πt) have correlation exactly −1/3 (spectral hashing's known
    # weakness: the relaxation decorrelates the eigenfunctions, not their signs).
    sh = SpectralHash(n_bits=10).fit(X)
    corr = np.corrcoef(codes.T.astype(float))
    modes = [tuple(m) for m in sh.modes_]
    for a in range(10):
        for b in range(a + 1, 10):
            (ja, ka), (jb, kb) = modes[a], modes[b]
            if ja != jb or (ka + kb) % 2 == 1:
                assert abs(corr[a, b]) < 0.05, (modes[a], modes[b])
    i, j = modes.index((0, 1)), modes.index((0, 3))
    assert corr[i, j] == pytest.approx(-1 / 3, abs=0.03)


def test_codes_are_thresholded_eigenfunctions_and_deterministic():
    X = _box(800, [2.0, 1.0, 0.5, 0.3])
    sh = SpectralHash(n_bits=12).fit(X)
    Q = _box(100, [2.0, 1.0, 0.5, 0.3], seed=1)
    np.testing.assert_array_equal(sh.transform(Q), (sh.eigenfunctions(Q) > 0).astype(np.uint8))
    np.testing.assert_array_equal(sh.transform(Q), SpectralHash(n_bits=12).fit(X).transform(Q))
    np.testing.assert_array_equal(np.unpackbits(sh.transform(Q, packed=True), axis=1)[:, :12], sh.transform(Q))


def _grid_modes(width, n_bits):
    """The full-grid selection the bisection replaces: every (j, k ≤ n_bits), ranked by (kπ/w_j)²."""
    omega0 = np.where(width > 0, np.pi / np.maximum(width, np.finfo(float).tiny), np.inf)
    dirs, kk = np.meshgrid(np.arange(omega0.size), np.arange(1, n_bits + 1), indexing="ij")
    lam = (kk * omega0[:, None]) ** 2
    order = np.lexsort((kk.ravel(), dirs.ravel(), lam.ravel()))[:n_bits]
    return np.stack([dirs.ravel()[order], kk.ravel()[order]], axis=1), lam.ravel()[order]


@pytest.mark.parametrize("seed", range(12))
def test_mode_selection_equals_the_full_grid(seed):
    """Issue 17: fit no longer builds the n_directions × n_bits grid; it must pick the same modes."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 10))
    X = (rng.random((40, d)) * rng.integers(1, 4, d)).astype(np.float32)
    if seed % 3 == 0:
        X[:, 0] = 0.25  # a flat direction
    if seed % 4 == 0:
        X = np.round(X * 2) / 2  # equal ranges: ties between directions
    for n_bits in (1, 3, 8, 17, 40):
        sh = SpectralHash(n_bits).fit(X)
        V = (X.astype(np.float64) - sh.mean_) @ sh.components_
        modes, lam = _grid_modes(V.max(axis=0) - V.min(axis=0), n_bits)
        np.testing.assert_array_equal(sh.modes_, modes)
        np.testing.assert_array_equal(sh.eigenvalues_, lam)


def test_all_flat_directions_give_constant_bits():
    X = np.full((6, 3), 2.0, np.float32)
    sh = SpectralHash(5).fit(X)
    assert sh.modes_.tolist() == [[0, k] for k in range(1, 6)]
    assert np.isinf(sh.eigenvalues_).all()
    assert len(np.unique(sh.transform(X), axis=0)) == 1


def test_more_bits_than_features_and_constant_direction():
    X = _box(500, [1.0, 0.5])
    sh = SpectralHash(n_bits=16).fit(X)
    assert sh.components_.shape == (2, 2) and sh.transform(X).shape == (500, 16)
    Xc = np.c_[X, np.full(500, 3.0, np.float32)]  # a flat feature never gets a bit
    sh = SpectralHash(n_bits=5).fit(Xc)
    assert set(sh.modes_[:, 0]) <= {0, 1}


@pytest.mark.parametrize("n_bits", [0, -3, 2.5, True])
def test_bad_n_bits(n_bits):
    with pytest.raises(ValueError, match="n_bits"):
        SpectralHash(n_bits=n_bits).fit(_box(50, [1, 1]))


def test_bad_transform_input():
    sh = SpectralHash(n_bits=4).fit(_box(50, [1, 1, 1]))
    with pytest.raises(ValueError, match="features"):
        sh.transform(_box(5, [1, 1]))
    with pytest.raises(ValueError, match="NaN"):
        sh.transform(np.full((2, 3), np.nan))


# -- plots and the comparison explorer ---------------------------------------------------------------
def test_graph_partition_plot():
    from lshlab.plots import plot_graph_partition

    fig = plot_graph_partition(_example_graph())
    title = fig.axes[0].get_title()
    assert "{1, 2, 3} | {4, 5}" in title and "0.5188" in title
    plt.close(fig)
    with pytest.raises(ValueError, match="positions"):
        plot_graph_partition(_example_graph(), positions=np.zeros((4, 2)))


def test_code_bits_grid_and_loss_plot():
    from lshlab.hashing import ITQHash
    from lshlab.plots import plot_code_bits, plot_itq_loss

    X = _box(300, [1.0, 0.6])
    fig = plot_code_bits({"SH": SpectralHash(4).fit(X)}, X, n_show=3)
    assert fig.axes[0].get_title() == "SH — bit 1: PC1, k=1"
    plt.close(fig)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plot_code_bits({"SH": SpectralHash(4).fit(_box(30, [1, 1, 1]))}, _box(30, [1, 1, 1]))
    fig = plot_itq_loss(ITQHash(2, max_iter=3, random_state=0).fit(X).loss_)
    assert len(fig.axes[0].lines[0].get_xdata()) == 4
    plt.close(fig)


def test_comparison_update_draw_and_explorer():
    from lshlab.evaluation import PUBLISHED_CNNH_MNIST, compare_hashers, map_table_markdown
    from lshlab.small_codes import small_code_factories
    from lshlab.widgets.spectral import draw_spectral, spectral_explorer, update_spectral

    rng = np.random.default_rng(0)
    centres = rng.random((3, 6)) * 4
    y = np.repeat(np.arange(3), 60)
    X = (centres[y] + rng.normal(scale=0.5, size=(180, 6))).astype(np.float32)
    X = (X - X.min()) / (X.max() - X.min())
    rel = y[:30, None] == y[None, 30:]
    factories = {m: f for m, f in small_code_factories(random_state=0).items() if m in ("LSH", "SH", "ITQ")}
    comp, _ = compare_hashers(factories, X[30:], X[30:], X[:30], rel, (2, 4), keep_codes=True)
    assert set(comp.map) == {(m, b) for m in ("LSH", "SH", "ITQ") for b in (2, 4)}
    assert all(1 / 3 - 0.1 < v <= 1 for v in comp.map.values())
    sh4 = comp.codes[("SH", 4)]
    assert sh4.db.shape == (150, 4) and sh4.query.shape == (30, 4)
    D = (sh4.query[:, None, :] != sh4.db[None, :, :]).sum(axis=2)  # brute-force Hamming distances
    assert comp.map[("SH", 4)] == pytest.approx(mean_average_precision(D, rel), rel=1e-12)
    np.testing.assert_array_equal(comp.pr[("SH", 4)].precision,
                                  precision_recall_curve_retrieval(D, rel, by="radius", thresholds=np.arange(5)).precision)
    res = update_spectral(comp, n_bits=4)
    assert res.map["ITQ"] == comp.map[("ITQ", 4)]
    with pytest.raises(ValueError, match="not computed"):
        update_spectral(comp, n_bits=3)
    fig, axes = plt.subplots(1, 2)
    assert draw_spectral(res, axes, published=PUBLISHED_CNNH_MNIST) is fig
    plt.close(fig)
    table = map_table_markdown(comp, PUBLISHED_CNNH_MNIST)
    assert "| ITQ (ours) |" in table and "| ITQ (CNNH paper) | – | – |" in table
    explorer = spectral_explorer(comp)
    assert explorer.timings["update_ms"] < 250
    with pytest.raises(ValueError, match="shape"):
        compare_hashers(factories, X, X, X[:5], rel, (2,))
    with pytest.raises(ValueError, match="non-empty"):
        compare_hashers({}, X, X, X[:30], np.ones((30, 180), bool), (2,))
