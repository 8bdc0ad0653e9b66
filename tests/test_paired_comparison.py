"""Paired comparisons over seeds and queries (lshlab.evaluation.paired), checked against direct formulas and
scipy's paired t statistic, and the candidate ranking used to compare hash tables with codes."""

import numpy as np
import pytest
from scipy import stats

from lshlab.evaluation import paired_comparison, restrict_to_candidates
from lshlab.metrics import precision_recall_curve_retrieval


def test_per_query_scores_match_direct_formulas():
    rng = np.random.default_rng(0)
    a = rng.random((3, 200))
    b = rng.random(200)
    c = paired_comparison(a, b)
    d = a - b
    assert c.mean == pytest.approx(d.mean())
    np.testing.assert_allclose(c.per_seed, d.mean(axis=1))
    assert c.seed_sd == pytest.approx(np.std(d.mean(axis=1), ddof=1))
    assert c.query_se == pytest.approx(stats.sem(d.mean(axis=0)))
    assert c.se == pytest.approx(np.sqrt(c.seed_sd**2 / 3 + c.query_se**2))
    assert (c.n_seeds, c.n_queries) == (3, 200)


def test_one_seed_is_the_paired_t_statistic():
    rng = np.random.default_rng(1)
    b = rng.random(500)
    a = b + 0.02 + rng.normal(0, 0.1, 500)
    c = paired_comparison(a[None, :], b)
    t = stats.ttest_rel(a, b).statistic
    assert c.mean / c.se == pytest.approx(t)
    assert c.critical == pytest.approx(stats.t.ppf(0.975, 499))  # one source of spread: the paired t-test
    assert c.seed_sd == 0 and c.verdict == ("A" if stats.ttest_rel(a, b).pvalue < 0.05 else "undecided")


def test_verdicts():
    assert paired_comparison([0.5, 0.52, 0.51], [0.3, 0.31, 0.29]).verdict == "A"
    assert paired_comparison([0.3, 0.31, 0.29], [0.5, 0.52, 0.51]).verdict == "B"
    undecided = paired_comparison([0.50, 0.40, 0.60], [0.49, 0.5, 0.5])
    assert undecided.verdict == "undecided"
    lo, hi = undecided.interval
    assert lo < 0 < hi
    assert "too close to call" in undecided.describe("x", "y")
    higher = paired_comparison([1.0, 1.1, 1.05], [0.0, 0.1, 0.04])
    assert "x better" in higher.describe("x", "y")
    assert "y better" in higher.describe("x", "y", lower_is_better=True)  # e.g. errors


def test_few_seeds_use_the_student_quantile():
    """Seeds only: the interval is the one-sample t interval of the per-seed differences."""
    d = np.array([0.03, 0.025, 0.035])
    c = paired_comparison(d, 0.0)
    lo, hi = stats.t.interval(0.95, 2, loc=d.mean(), scale=stats.sem(d))
    assert c.interval == pytest.approx((lo, hi))
    assert c.critical == pytest.approx(4.303, abs=1e-3)
    assert c.verdict == "A"  # 0.03 ± 4.30 · 0.0029 excludes 0
    assert paired_comparison([0.03, 0.01, 0.05], 0.0).verdict == "undecided"  # ± 4.30 · 0.0115 does not
    same = paired_comparison([0.2, 0.2], [0.1, 0.1])  # identical differences: no spread, the sign decides
    assert same.se == 0 and same.verdict == "A"
    assert paired_comparison([0.2], [0.1]).verdict == "undecided"  # one number: nothing to judge it by


def test_overall_scores_per_seed():
    c = paired_comparison(np.array([0.10, 0.12, 0.11]), np.array([0.20, 0.19, 0.21]))
    assert c.query_se == 0 and c.n_queries == 1
    assert c.se == pytest.approx(np.std([-0.10, -0.07, -0.10], ddof=1) / np.sqrt(3))


@pytest.mark.parametrize("a, b", [
    ([], 0.0),                      # empty
    ([[np.nan, 1.0]], [0.0, 0.0]),  # not finite
    (np.ones((2, 3)), np.ones(4)),  # does not broadcast
    (np.ones(3), np.ones((2, 3))),  # b would enlarge a
    (np.ones((2, 2, 2)), 0.0),      # 3-D
])
def test_bad_input(a, b):
    with pytest.raises(ValueError):
        paired_comparison(a, b)
    with pytest.raises(ValueError, match="confidence"):
        paired_comparison([1.0, 2.0], 0.0, confidence=1.0)


def test_restrict_to_candidates_ranks_candidates_first():
    D = np.array([[3.0, 1.0, 2.0, 0.5], [1.0, 2.0, 3.0, 4.0]])
    out = restrict_to_candidates(D, [np.array([0, 2]), np.array([], dtype=int)])
    np.testing.assert_array_equal(out[0], [3.0, 5.0, 2.0, 5.0])
    assert (out[1] == 5.0).all()
    with pytest.raises(ValueError, match="one index array per query"):
        restrict_to_candidates(D, [np.array([0])])
    with pytest.raises(ValueError, match="database rows"):
        restrict_to_candidates(D, [np.array([7]), np.array([0])])


def test_candidate_ranking_recall_ends_at_one_with_the_base_rate():
    """Non-candidates come last in random order: at full depth recall is 1 and precision the base rate,
    and the precision at the depth of all candidates is that of the candidates."""
    rng = np.random.default_rng(2)
    D = rng.random((5, 40))
    rel = rng.random((5, 40)) < 0.3
    rel[:, 0] = True
    cands = [np.flatnonzero(rng.random(40) < 0.25) for _ in range(5)]
    curve = precision_recall_curve_retrieval(restrict_to_candidates(D, cands), rel, by="depth",
                                             thresholds=np.arange(1, 41))
    assert curve.recall[-1] == pytest.approx(1.0)
    assert curve.precision[-1] == pytest.approx(rel.mean(axis=1).mean())
