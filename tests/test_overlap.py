"""Lecture 12 pieces: Dice / Jaccard by code length, its plots and explorer."""

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from lshlab.metrics import dice_score, jaccard_index, overlap_scores_by_code_length, retrieval_overlap_scores
from lshlab.plots import plot_overlap_violins, plot_overlap_vs_retrieved, plot_reconstruction_grid
from lshlab.widgets import draw_overlap, overlap_explorer, update_overlap


def _setup(seed=0, n_q=12, n_db=80, bits=64):
    rng = np.random.default_rng(seed)
    dref = rng.random((n_q, n_db))
    cq = rng.integers(0, 2, (n_q, bits), dtype=np.uint8)
    cd = rng.integers(0, 2, (n_db, bits), dtype=np.uint8)
    return dref, cq, cd


def test_by_code_length_equals_scoring_each_prefix():
    from lshlab.distances import hamming_distance_matrix

    dref, cq, cd = _setup()
    out = overlap_scores_by_code_length(dref, cq, cd, [8, 64], k=10)
    for n in (8, 64):
        ref = retrieval_overlap_scores(dref, hamming_distance_matrix(cq[:, :n], cd[:, :n]), 10)
        np.testing.assert_array_equal(out[n].dice, ref.dice)
        np.testing.assert_array_equal(out[n].jaccard, ref.jaccard)
        # D = 2J / (1 + J) per query
        np.testing.assert_allclose(out[n].dice, 2 * out[n].jaccard / (1 + out[n].jaccard))


def test_perfect_code_scores_one_and_hand_example():
    # a code that reproduces the reference ranking exactly: distances = ranks of the reference
    rng = np.random.default_rng(1)
    dref = rng.random((3, 30))
    a, b = np.arange(5), np.arange(3, 8)  # overlap {3, 4}
    assert dice_score(a, b) == pytest.approx(2 * 2 / 10)
    assert jaccard_index(a, b) == pytest.approx(2 / 8)
    s = retrieval_overlap_scores(dref, dref.argsort(1).argsort(1), 5)
    np.testing.assert_array_equal(s.dice, 1.0)


@pytest.mark.parametrize(
    "args, match",
    [
        (dict(code_lengths=[128]), "exceeds"),
        (dict(code_lengths=[]), "empty"),
        (dict(code_lengths=[0]), "code_lengths"),
    ],
)
def test_bad_input(args, match):
    dref, cq, cd = _setup()
    with pytest.raises(ValueError, match=match):
        overlap_scores_by_code_length(dref, cq, cd, k=5, **args)
    with pytest.raises(ValueError, match="bits"):
        overlap_scores_by_code_length(dref, cq[:, :10], cd, [4], k=5)


def test_plots_and_explorer():
    import matplotlib.pyplot as plt

    dref, cq, cd = _setup()
    scores = overlap_scores_by_code_length(dref, cq, cd, [8, 32, 64], k=10)
    fig = plot_overlap_violins(scores)
    assert len(fig.axes) == 2 and "Dice" in fig.axes[0].get_title()
    fig = plot_overlap_vs_retrieved([5, 10], {"x": np.random.default_rng(0).random((2, 12))})
    assert fig.axes[0].get_xlabel().startswith("number of retrieved")
    X = np.random.default_rng(0).random((4, 16))
    fig = plot_reconstruction_grid(X, X, image_shape=(4, 4), n=4)
    assert len(fig.axes) == 8
    res = update_overlap(dref, cq, cd, n_bits=32, k=10)
    np.testing.assert_array_equal(res.dice, scores[32].dice)
    assert draw_overlap(res, plt.subplots(1, 2)[1]).axes[0].get_title().startswith("Dice")
    w = overlap_explorer(dref, cq, cd, bits=[8, 32, 64], ks=(5, 10))
    before = w.render_png()
    w.controls["n_bits"].value = 64  # triggers a redraw through the observer
    assert w.controls["n_bits"].value == 64
    assert w.render_png() != before
