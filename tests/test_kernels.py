"""Kernels, spectral sampling, alignment and the Raginsky–Lazebnik collision series."""

import numpy as np
import pytest
from sklearn.metrics.pairwise import rbf_kernel

from lshlab.kernels import (
    SchoenbergKernel,
    gaussian_kernel,
    kernel_target_alignment,
    median_heuristic_bandwidth,
    raginsky_disagreement_bounds,
    raginsky_disagreement_probability,
)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(30, 5)), rng.normal(size=(20, 5))


@pytest.mark.parametrize("sigma", [0.3, 1.0, 4.0])
def test_gaussian_kernel_matches_sklearn(data, sigma):
    X, Y = data
    np.testing.assert_allclose(gaussian_kernel(X, Y, bandwidth=sigma), rbf_kernel(X, Y, gamma=1 / (2 * sigma**2)), atol=1e-10)
    np.testing.assert_allclose(gaussian_kernel(X, bandwidth=sigma), rbf_kernel(X, gamma=1 / (2 * sigma**2)), atol=1e-10)


def test_schoenberg_single_atom_is_gaussian(data):
    X, Y = data
    k = SchoenbergKernel.from_bandwidth(1.7)
    np.testing.assert_allclose(k.gram(X, Y), gaussian_kernel(X, Y, bandwidth=1.7), atol=1e-12)


def test_schoenberg_mixture_formula_any_shape():
    xi, w = [0.1, 2.0, 5.0], [1.0, 1.0, 2.0]
    k = SchoenbergKernel(xi, w)
    assert np.isclose(k.weights.sum(), 1.0) and np.allclose(k.weights, [0.25, 0.25, 0.5])
    r = np.random.default_rng(1).uniform(0, 3, size=(4, 3, 2))
    expected = sum(wk / 4.0 * np.exp(-x * r**2) for x, wk in zip(xi, w))
    out = k(r)
    assert out.shape == r.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert k(0.0) == pytest.approx(1.0)
    # equal weights by default; arrays and lists both accepted
    np.testing.assert_allclose(SchoenbergKernel(np.array(xi))(r), np.mean([np.exp(-x * r**2) for x in xi], axis=0))


def test_gram_of_mixture(data):
    X, _ = data
    k = SchoenbergKernel([0.05, 0.5], [0.3, 0.7])
    G = k.gram(X)
    expected = 0.3 * rbf_kernel(X, gamma=0.05) + 0.7 * rbf_kernel(X, gamma=0.5)
    np.testing.assert_allclose(G, expected, atol=1e-12)


@pytest.mark.parametrize("xi", [0.5, 3.0])
def test_frequency_covariance_is_2xi(xi):
    omega = SchoenbergKernel(xi).sample_frequencies(40000, 3, np.random.default_rng(0))
    assert omega.shape == (40000, 3)
    cov = np.cov(omega.T)
    np.testing.assert_allclose(cov, 2 * xi * np.eye(3), atol=0.05 * 2 * xi)


def test_mixture_frequencies_reproduce_kernel():
    k = SchoenbergKernel([0.2, 3.0], [0.6, 0.4])
    omega = k.sample_frequencies(200000, 2, 0)
    # covariance of the mixture: 2 Σ w_k ξ_k I
    np.testing.assert_allclose(np.cov(omega.T), 2 * (0.6 * 0.2 + 0.4 * 3.0) * np.eye(2), atol=0.05)
    # Bochner: E cos(ωᵀΔ) = K(‖Δ‖); Monte-Carlo standard error ≤ 1/√n
    for r in (0.3, 0.8, 1.5):
        delta = np.array([r, 0.0])
        assert np.mean(np.cos(omega @ delta)) == pytest.approx(k(r), abs=5 / np.sqrt(len(omega)))


def test_sampling_is_deterministic():
    k = SchoenbergKernel([0.2, 3.0])
    a = k.sample_frequencies(10, 4, 7)
    b = k.sample_frequencies(10, 4, np.random.RandomState(7))
    np.testing.assert_array_equal(a, b)


def test_alignment_direct_formula(data):
    X, _ = data
    rng = np.random.default_rng(3)
    y = rng.choice([-1, 1], size=len(X))
    K = gaussian_kernel(X, bandwidth=2.0)
    Y = np.outer(y, y)
    direct = np.sum(K * Y) / (np.sqrt(np.sum(K * K)) * np.sqrt(np.sum(Y * Y)))
    assert kernel_target_alignment(K, y) == pytest.approx(direct, rel=1e-12)
    H = np.eye(len(X)) - 1.0 / len(X)
    Kc, Yc = H @ K @ H, H @ Y @ H
    direct_c = np.sum(Kc * Yc) / (np.linalg.norm(Kc) * np.linalg.norm(Yc))
    assert kernel_target_alignment(K, y, centered=True) == pytest.approx(direct_c, rel=1e-10)
    # the ideal kernel yyᵀ is perfectly aligned
    assert kernel_target_alignment(Y.astype(float), y) == pytest.approx(1.0)


def test_alignment_bad_inputs(data):
    X, _ = data
    K = gaussian_kernel(X)
    with pytest.raises(ValueError, match="y must hold labels"):
        kernel_target_alignment(K, np.zeros(len(X)))
    with pytest.raises(ValueError, match="length"):
        kernel_target_alignment(K, np.ones(3))
    with pytest.raises(ValueError, match="square"):
        kernel_target_alignment(K[:, :5], np.ones(len(X)))
    with pytest.raises(ValueError, match="undefined"):
        kernel_target_alignment(K, np.ones(len(X)), centered=True)


# --- collision theory ----------------------------------------------------------------------
def _reference_series(profile, r, n_terms=10**6):
    m = np.arange(1, n_terms + 1, dtype=np.float64)
    return np.array([8 / np.pi**2 * np.sum((1 - profile(ri * m)) / (4 * m * m - 1)) for ri in r])


@pytest.mark.parametrize(
    "psi",
    [1.0, SchoenbergKernel([0.01, 1.0, 30.0], [0.2, 0.5, 0.3]), lambda r: 1.0 / (1.0 + r**2)],
    ids=["gaussian", "mixture", "cauchy-callable"],
)
def test_series_truncation_error_below_1e4(psi):
    r = np.array([0.0, 1e-3, 0.05, 0.4, 1.0, 3.0])
    from lshlab.kernels import as_radial_profile

    profile, _ = as_radial_profile(psi)
    ref = _reference_series(profile, r)
    np.testing.assert_allclose(raginsky_disagreement_probability(psi, r), ref, atol=1e-4)
    # without the tail estimate 2,030 terms still meet the bound (tail ≤ 4/(π²(2M+1)))
    np.testing.assert_allclose(raginsky_disagreement_probability(psi, r, tail=False), ref, atol=1e-4)


def test_series_limits_and_shape():
    assert raginsky_disagreement_probability(1.0, 0.0) == 0.0
    far = raginsky_disagreement_probability(SchoenbergKernel([1.0, 4.0]), np.array([[50.0, 1e4]]))
    assert far.shape == (1, 2)
    np.testing.assert_allclose(far, 4 / np.pi**2, atol=1e-12)
    r = np.linspace(0, 6, 50)
    P = raginsky_disagreement_probability(0.7, r)
    assert np.all(np.diff(P) >= -1e-12), "disagreement must grow with distance for a Gaussian"


@pytest.mark.parametrize("psi", [1.0, SchoenbergKernel([0.02, 0.5, 8.0], [0.5, 0.3, 0.2])])
def test_lemma_bounds_hold(psi):
    r = np.linspace(0, 8, 200)
    k = SchoenbergKernel.from_bandwidth(psi) if isinstance(psi, float) else psi
    P = raginsky_disagreement_probability(psi, r)
    lo, hi = raginsky_disagreement_bounds(k(r))
    assert np.all(lo <= P + 1e-12) and np.all(P <= hi + 1e-12)
    # the bounds are tight at both ends
    assert lo[0] == hi[0] == 0.0


def test_median_heuristic():
    X = np.random.default_rng(0).normal(size=(500, 10))
    sigma = median_heuristic_bandwidth(X, random_state=0)
    # for N(0, I_10), ‖x − y‖² ~ 2 χ²_10 with median ≈ 2 · 9.34
    assert sigma == pytest.approx(np.sqrt(2 * 9.342), rel=0.05)


@pytest.mark.parametrize(
    "args",
    [dict(xi=0.0), dict(xi=-1.0), dict(xi=[1.0, np.nan]), dict(xi=[]), dict(xi=[1.0, 2.0], weights=[1.0]),
     dict(xi=[1.0, 2.0], weights=[-1.0, 2.0]), dict(xi=[1.0, 2.0], weights=[0.0, 0.0]), dict(xi="a")],
)
def test_schoenberg_bad_inputs(args):
    with pytest.raises(ValueError):
        SchoenbergKernel(**args)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="bandwidth"):
        gaussian_kernel(np.ones((2, 2)), bandwidth=0)
    with pytest.raises(ValueError, match="r must"):
        raginsky_disagreement_probability(1.0, [-1.0])
    with pytest.raises(ValueError, match="psi"):
        raginsky_disagreement_probability("gauss", [1.0])
    with pytest.raises(ValueError, match="n_terms"):
        raginsky_disagreement_probability(1.0, [1.0], n_terms=0)
    with pytest.raises(ValueError, match="distances"):
        SchoenbergKernel(1.0)(np.array([-0.5]))


# --- plots and widgets of lecture 04 (pure functions, Agg backend) ---------------------------
def test_update_disagreement_matches_theory_and_draws():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lshlab.widgets.kernels import disagreement_explorer, draw_disagreement, update_disagreement

    res = update_disagreement(bandwidth=1.5, n_bits=1024, n_distances=12, random_state=1)
    assert res.r.shape == res.measured.shape == res.series.shape == (12,)
    assert res.measured[0] == 0.0 and res.series[0] == 0.0
    # measured within 5 s.e. (+ small slack for the shared-bits correlation) of the series
    assert np.all(np.abs(res.measured - res.series) <= 5 * res.stderr + 0.01)
    assert np.all(res.lower <= res.series + 1e-12) and np.all(res.series <= res.upper + 1e-12)
    # a wider kernel gives less disagreement at the same distance
    wide = update_disagreement(bandwidth=3.0, n_bits=256, n_distances=12, r_max=res.r[-1])
    assert np.all(wide.series[1:] < res.series[1:])
    fig, ax = plt.subplots()
    assert draw_disagreement(res, ax, show_agreement=True) is fig
    assert ax.get_xlabel() and ax.get_title()
    plt.close(fig)
    ex = disagreement_explorer(bits=(128, 256), n_bits=128)
    ex.controls["bandwidth"].value = 2.0
    ex.refresh()
    assert "σ = 2" in ex.result.label
    with pytest.raises(ValueError, match="kernel"):
        update_disagreement(kernel="gauss")


def test_plot_helpers_return_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lshlab.hashing import ShiftInvariantHash
    from lshlab.plots.kernels import plot_bits_1d, plot_kernel_profiles

    h = ShiftInvariantHash(n_bits=4, kernel=1.0, random_state=0).fit(np.zeros((1, 1)))
    fig = plot_bits_1d(h, np.linspace(-3, 3, 50), n_show=2)
    assert fig.axes[0].get_xlabel()
    fig2 = plot_kernel_profiles({"σ=1": SchoenbergKernel.from_bandwidth(1.0)}, np.linspace(0, 3, 20))
    assert fig2.axes[0].get_ylabel() == "K(r)"
    plt.close("all")
