"""Explorers of lectures 02 (choosing K and L) and 03 (MinHash banding): the pure updates against the
theory functions and brute force, the draws' text layout, and the explorers' first render."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from layout import text_layout_problems  # noqa: E402

from lshlab.hashing import MinHash  # noqa: E402
from lshlab.lsh_theory import amplified_collision_probability, choose_parameters  # noqa: E402
from lshlab.sets import jaccard_matrix  # noqa: E402
from lshlab.widgets import (  # noqa: E402
    banding_explorer,
    draw_banding,
    draw_lsh_params,
    lsh_params_explorer,
    prepare_banding,
    update_banding,
    update_lsh_params,
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def probabilities():
    rng = np.random.default_rng(0)
    return rng.uniform(0.7, 0.95, 300), rng.beta(2, 5, 3000)


def test_update_lsh_params_is_choose_parameters(probabilities):
    near, far = probabilities
    res = update_lsh_params(near, far, 9000, target_recall=0.8, max_candidates=400, max_K=16, max_L=64)
    full = choose_parameters(near, far, 9000, target_recall=0.8, max_candidates=400, max_K=16, max_L=64)
    assert res.choice.feasible and (res.choice.K, res.choice.L) == (full.K, full.L)
    # binning to 500 levels keeps every prediction within 1 % of the full sample's
    np.testing.assert_allclose(res.choice.candidate_table, full.candidate_table, rtol=0.01, atol=0.5)
    np.testing.assert_allclose(res.choice.recall_table, full.recall_table, atol=0.005)
    with pytest.raises(ValueError, match="p_far"):
        update_lsh_params(near, [1.5], 100)


def test_draw_lsh_params_layout(probabilities):
    near, far = probabilities
    for target in (0.8, 0.999):  # feasible, and a target out of reach
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
        draw_lsh_params(update_lsh_params(near, far, 9000, target_recall=target, max_candidates=200), axes)
        fig.tight_layout()
        assert not text_layout_problems(fig), text_layout_problems(fig)


@pytest.fixture(scope="module")
def banding_data():
    rng = np.random.default_rng(1)
    protos = rng.random((10, 100)) < 0.3
    def draw(n):
        return protos[rng.integers(0, 10, n)] ^ (rng.random((n, 100)) < rng.uniform(0.01, 0.3, (n, 1)))
    X, Xq = draw(800), draw(40)
    mh = MinHash(64, random_state=0).fit(X)
    return prepare_banding(mh.transform(X), mh.transform(Xq), jaccard_matrix(Xq, X), k=5), X, Xq


def test_update_banding_against_brute_force(banding_data):
    data, X, Xq = banding_data
    b, r = 8, 4
    res = update_banding(data, n_bands=b, rows_per_band=r)
    S, Q = data.signatures_db, data.signatures_query
    agree = (Q[:, None, : b * r] == S[None, :, : b * r]).reshape(len(Q), len(S), b, r).all(axis=3).any(axis=2)
    assert res.candidates == pytest.approx(agree.sum(axis=1).mean())
    true = np.argsort(-data.jaccard, axis=1, kind="stable")[:, :5]
    assert res.recall == pytest.approx(np.take_along_axis(agree, true, axis=1).mean())
    theory = amplified_collision_probability(data.jaccard, r, b)
    assert res.predicted_candidates == pytest.approx(theory.sum(axis=1).mean())
    assert res.predicted_recall == pytest.approx(np.take_along_axis(theory, true, axis=1).mean())
    ok = np.isfinite(res.rate)
    for i in np.flatnonzero(ok):
        in_bin = data.bin_of_pair == i
        assert res.rate[i] == pytest.approx(agree[in_bin].mean())
        assert res.theory[i] == pytest.approx(theory[in_bin].mean())
    # the predicted trade-off curve passes through the current b (J quantised to 1/1000)
    assert res.curve_candidates[b - 1] == pytest.approx(res.predicted_candidates, rel=0.02)
    assert res.curve_recall[b - 1] == pytest.approx(res.predicted_recall, abs=0.01)
    with pytest.raises(ValueError, match="exceeds the 64 hashes"):
        update_banding(data, n_bands=17, rows_per_band=4)


def test_draw_banding_layout(banding_data):
    data = banding_data[0]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
    draw_banding(update_banding(data, n_bands=16, rows_per_band=4), axes)
    fig.tight_layout()
    assert not text_layout_problems(fig), text_layout_problems(fig)
    with pytest.raises(ValueError):
        prepare_banding(data.signatures_db, data.signatures_query, data.jaccard[:, :10])


def test_explorers_render(banding_data, probabilities):
    ex = banding_explorer(banding_data[0], bands=(1, 16, 8), rows=(1, 8, 4))
    assert ex.result.n_bands == 8 and ex.image.value[:4] == b"\x89PNG"
    ex.controls["n_bands"].value = 16
    assert ex.result.n_bands == 16
    ex2 = lsh_params_explorer(*probabilities, 9000)
    assert ex2.result.choice.K >= 1 and ex2.image.value[:4] == b"\x89PNG"
