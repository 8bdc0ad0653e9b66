"""LeeHash: formula, symbol range, determinism, batch independence, q-independence, scale, errors."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from lshlab.distances import hamming_distance_matrix, lee_distance_matrix
from lshlab.hashing import LeeHash
from lshlab.hashing.lee import lee_quantize
from lshlab.kernels import SchoenbergKernel


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(400, 6)).astype(np.float32)


def test_codes_match_direct_formula(X):
    h = LeeHash(n_hashes=40, q=7, n_components=64, kernel=2.0, scale=0.8, random_state=0).fit(X)
    Xd = X.astype(np.float64)
    phi = np.sqrt(2 / 64) * np.cos(Xd @ h.feature_components_ + h.feature_offsets_)
    u = 7 * (phi @ h.projection_ / 0.8 + h.dither_)
    ref = np.mod(np.ceil(u), 7)
    codes = h.transform(X)
    assert codes.dtype == np.uint8 and codes.shape == (400, 40)
    safe = np.abs(u - np.round(u)) > 1e-3  # float32 rounding may move values sitting on a step
    np.testing.assert_array_equal(codes[safe], ref[safe])


@pytest.mark.parametrize("q", [2, 3, 7, 20, 256, 1000])
def test_lee_quantize_matches_ceil_mod(q):
    rng = np.random.default_rng(q)
    u = np.concatenate([rng.normal(scale=3, size=5000), np.arange(-40, 41) / q]).astype(np.float32)
    expected = np.mod(np.ceil(u * np.float32(q)).astype(np.float64), q)  # same float32 product
    got = lee_quantize(u, q)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(lee_quantize(u.astype(np.float64), q), np.mod(np.ceil(u.astype(np.float64) * q), q))


@pytest.mark.parametrize("q", [2, 3, 10, 256, 300])
def test_codes_in_range_and_dtype(X, q):
    codes = LeeHash(n_hashes=30, q=q, n_components=32, random_state=1).fit(X).transform(X)
    assert codes.min() >= 0 and codes.max() <= q - 1
    assert codes.dtype == (np.uint8 if q <= 256 else np.uint16)
    if q <= 10:
        assert len(np.unique(codes)) == q  # every symbol is used


def test_deterministic_and_batch_independent(X):
    h = LeeHash(n_hashes=24, q=5, n_components=48, random_state=3).fit(X)
    h._chunk_rows = 64
    codes = h.transform(X)
    np.testing.assert_array_equal(LeeHash(n_hashes=24, q=5, n_components=48, random_state=3).fit(X).transform(X), codes)
    np.testing.assert_array_equal(h.transform(X[100:103]), codes[100:103])
    np.testing.assert_array_equal(h.transform(X[7:8]), codes[7:8])


def test_projection_is_shared_across_q(X):
    """Estimators differing only in q share ω, b, w, t (and s when numeric); codes = quantize(project)."""
    a = LeeHash(n_hashes=16, q=2, n_components=32, scale=1.5, random_state=4).fit(X)
    b = LeeHash(n_hashes=16, q=20, n_components=32, scale=1.5, random_state=4).fit(X)
    np.testing.assert_array_equal(a.project(X), b.project(X))
    np.testing.assert_array_equal(lee_quantize(a.project(X), 20), b.transform(X))


def test_q2_lee_is_hamming(X):
    codes = LeeHash(n_hashes=50, q=2, n_components=32, random_state=5).fit(X).transform(X[:50])
    np.testing.assert_array_equal(lee_distance_matrix(codes, q=2), hamming_distance_matrix(codes))


def test_auto_scale_makes_codes_informative_raw_form_does_not(X):
    """Lee distance tracks Euclidean distance with scale='auto'; the seeds' raw scaling does not."""
    sigma = 3.0
    Q, D = X[:5], X[5:]
    eu = np.linalg.norm(Q[:, None] - D[None], axis=2)

    def rho(scale):
        h = LeeHash(n_hashes=128, q=16, n_components=256, kernel=sigma, scale=scale, random_state=6).fit(X)
        L = lee_distance_matrix(h.transform(Q), h.transform(D), q=16)
        return np.mean([spearmanr(L[i], eu[i])[0] for i in range(len(Q))])

    assert rho("auto") > 0.6
    assert abs(rho(np.sqrt(2 / 256))) < 0.2


def test_schoenberg_kernel_accepted(X):
    k = SchoenbergKernel([0.05, 0.5])
    codes = LeeHash(n_hashes=8, q=4, n_components=16, kernel=k, random_state=0).fit(X).transform(X)
    assert codes.shape == (400, 8)


@pytest.mark.parametrize(
    "params, match",
    [({"q": 1}, "q"), ({"q": 2.5}, "q"), ({"q": 70000}, "q"), ({"n_hashes": 0}, "n_hashes"),
     ({"n_components": 0}, "n_components"), ({"scale": 0.0}, "scale"), ({"scale": "big"}, "scale"),
     ({"kernel": -2.0}, "kernel")],
)
def test_bad_parameters(X, params, match):
    with pytest.raises(ValueError, match=match):
        LeeHash(**params).fit(X)


def test_bad_inputs(X):
    h = LeeHash(n_hashes=4, random_state=0).fit(X)
    with pytest.raises(ValueError, match="packed"):
        h.transform(X, packed=True)
    with pytest.raises(ValueError, match="features"):
        h.transform(X[:, :3])
    with pytest.raises(ValueError, match="q"):
        lee_quantize(np.zeros(3), 1)


def test_lee_widget_update_and_draw(X):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lshlab.plots.lee import plot_lee_symbol_distance, plot_rank_correlation_vs_q
    from lshlab.widgets.lee import draw_lee, lee_explorer, prepare_lee, update_lee

    data = prepare_lee(X[1:], X[0], n_hashes=64, n_components=128, kernel=3.0, random_state=0)
    h = LeeHash(n_hashes=64, q=20, n_components=128, kernel=3.0, random_state=0).fit(X[1:])
    r20 = update_lee(data, q=20)
    # the widget's direct Lee distance equals the shared lee_distance_matrix on LeeHash codes
    np.testing.assert_array_equal(r20.lee, lee_distance_matrix(h.transform(X[:1]), h.transform(X[1:]), q=20)[0])
    np.testing.assert_allclose(r20.eucl, np.linalg.norm(X[1:] - X[0], axis=1), rtol=1e-5)
    assert update_lee(data, q=20).rho > update_lee(data, q=2).rho
    fig, ax = plt.subplots()
    assert draw_lee(r20, ax) is fig and "q = 20" in ax.get_title()
    fig2, axes = plt.subplots(1, 2)
    draw_lee(r20, axes)
    assert axes[1].get_ylabel() == "normalised Lee distance" and r20.n_symbols == 64
    plot_lee_symbol_distance(7)
    plot_rank_correlation_vs_q([2, 4, 8], [0.1, 0.2, 0.3])
    plt.close("all")
    ex = lee_explorer(X[1:], X[0], q=4, n_hashes=16, n_components=32, kernel=3.0)
    ex.controls["q"].value = 9
    ex.refresh()
    assert ex.result.q == 9 and ex.result.lee.max() <= 16 * 4
    with pytest.raises(ValueError, match="x_query"):
        prepare_lee(X, X[:2])


# ------------------------------------------------------------------ expected Lee distance per symbol
def _simulated_lee(delta, q, n_dither, rng):
    """Mean Lee distance of ⌈q(u + Δ)⌉ mod q and ⌈q u⌉ mod q over random u (projection plus dither)."""
    u = rng.uniform(0, 1, n_dither)[:, None] + rng.normal(0, 3, n_dither)[:, None]
    a = lee_quantize(u, q).astype(int)
    b = lee_quantize(u + delta[None, :], q).astype(int)
    d = np.abs(a - b)
    return np.minimum(d, q - d).mean(axis=0)


@pytest.mark.parametrize("q", [2, 3, 4, 5, 7, 10, 11])
def test_expected_lee_distance_matches_simulation(q):
    from lshlab.hashing.lee import expected_lee_distance

    rng = np.random.default_rng(q)
    delta = np.linspace(-1.3, 1.3, 53)
    measured = _simulated_lee(delta, q, 40_000, rng)
    theory = expected_lee_distance(delta, q)
    se = np.sqrt(q / 2 / 40_000) * q  # generous: the Lee distance lies in [0, q/2]
    np.testing.assert_allclose(measured, theory, atol=4 * se / q + 0.01)
    assert theory.max() == q // 2 and np.all(theory >= 0)


def test_odd_q_peak_is_flattened_even_q_is_a_triangle():
    from lshlab.hashing.lee import expected_lee_distance

    d = np.linspace(0, 1, 1001)
    tri = lambda q: q * np.minimum(d % 1, 1 - d % 1)  # noqa: E731  (the even-q triangle wave)
    np.testing.assert_allclose(expected_lee_distance(d, 6), tri(6))
    odd = expected_lee_distance(d, 5)
    assert np.max(tri(5)) == pytest.approx(2.5) and odd.max() == 2.0  # the triangle overstates by ½
    flat = (d >= 2 / 5) & (d <= 3 / 5)
    np.testing.assert_allclose(odd[flat], 2.0)
    np.testing.assert_allclose(odd[~flat], tri(5)[~flat])
    # q = 3: the symbol differs with probability min(3 d_○, 1) -- Lee = Hamming for q = 3
    np.testing.assert_allclose(expected_lee_distance(d, 3), np.minimum(tri(3), 1.0))


def test_expected_lee_distance_predicts_a_fitted_code(X):
    """Mean Lee distance per symbol of real codes = mean of the formula over the symbols' Δ."""
    from lshlab.hashing.lee import expected_lee_distance

    for q in (5, 8):
        h = LeeHash(n_hashes=4000, q=q, n_components=64, kernel=2.0, random_state=q).fit(X)
        U = h.project(X[:2]).astype(np.float64)
        codes = h.transform(X[:2]).astype(int)
        diff = np.abs(codes[0] - codes[1])
        measured = np.minimum(diff, q - diff).mean()
        predicted = expected_lee_distance(U[0] - U[1], q).mean()
        assert abs(measured - predicted) < 4 * np.sqrt(q / 4 / 4000) + 0.01


def test_expected_lee_distance_rejects_bad_input():
    from lshlab.hashing.lee import expected_lee_distance

    with pytest.raises(ValueError, match="q must be an integer >= 2"):
        expected_lee_distance(0.1, 1)
    with pytest.raises(ValueError, match="delta must be finite"):
        expected_lee_distance([0.1, np.nan], 4)
