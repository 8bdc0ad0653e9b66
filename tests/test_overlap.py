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


def test_retrieval_comparison_draws_what_each_ranking_retrieved():
    import matplotlib.pyplot as plt

    from lshlab.plots import plot_dice_jaccard_vs_retrieved, plot_retrieval_comparison

    rng = np.random.default_rng(3)
    X = rng.random((10, 16))
    y = np.arange(10) % 2
    ranks = {"a": np.array([[2, 4, 6], [1, 3, 5]]), "b": np.array([[1, 2, -1], [0, 9, 8]])}
    fig = plot_retrieval_comparison(X[:2], X, ranks, y[:2], y, image_shape=(4, 4))
    grid = np.array(fig.axes).reshape(4, 4)  # rows (q0, a), (q0, b), (q1, a), (q1, b); column 0 = query
    np.testing.assert_array_equal(grid[1, 1].images[0].get_array(), X[1].reshape(4, 4))
    assert not grid[1, 3].images  # −1: fewer results than k, blank
    assert grid[0, 3].get_title(loc="right") == "3/3 same class"  # query 0 is class 0; rows 2, 4, 6 too
    assert grid[1, 3].get_title(loc="right") == "1/3 same class"
    assert grid[1, 1].spines["left"].get_edgecolor()[:3] == pytest.approx(plt.matplotlib.colors.to_rgb("tab:red"))
    with pytest.raises(ValueError, match="one shape"):
        plot_retrieval_comparison(X[:2], X, {"a": ranks["a"], "c": ranks["a"][:, :2]}, image_shape=(4, 4))
    with pytest.raises(ValueError, match="empty"):
        plot_retrieval_comparison(X[:2], X, {}, image_shape=(4, 4))
    scores = overlap_scores_by_code_length(*_setup(), [8, 32], k=10)
    fig = plot_dice_jaccard_vs_retrieved([5, 10], {"x": [scores[8], scores[32]]}, note="toy")
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), [scores[8].jaccard.mean(), scores[32].jaccard.mean()])
    plt.close("all")
