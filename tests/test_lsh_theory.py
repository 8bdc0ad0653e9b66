"""LSH theory (issue 19): ρ, the classic (K, L) and their guarantees, sensitivity of every family, the
(K, L) chooser against brute-force enumeration, banding errors and the band/row optimiser against
datasketch, and the doctests of the new modules."""

import doctest
import itertools
import math

import numpy as np
import pytest

import lshlab.hashing.minhash
import lshlab.lsh_theory
import lshlab.search.banding
import lshlab.sets
from lshlab.lsh_theory import (
    SensitiveFamily,
    amplified_collision_probability,
    banding_errors,
    bit_sampling_collision_probability,
    choose_parameters,
    classic_parameters,
    expected_candidates,
    expected_recall,
    minhash_collision_probability,
    optimal_banding,
    pstable_collision_probability,
    rho,
    s_curve_threshold,
    sensitivity,
    simhash_collision_probability,
)


@pytest.mark.parametrize("module", [lshlab.lsh_theory, lshlab.sets, lshlab.hashing.minhash, lshlab.search.banding])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_rho_values_and_errors():
    assert rho(0.8, 0.5) == pytest.approx(math.log(1.25) / math.log(2))
    assert rho(1.0, 0.2) == 0.0
    assert 0 < rho(0.9, 0.89) < 1
    for p1, p2 in ((0.5, 0.5), (0.4, 0.6), (0.8, 0.0), (0.8, 1.0), (1.2, 0.5), (float("nan"), 0.3)):
        with pytest.raises(ValueError):
            rho(p1, p2)


@pytest.mark.parametrize("n, p1, p2", [(1000, 0.8, 0.5), (60000, 0.9, 0.3), (10**6, 0.7, 0.6), (2, 0.99, 0.01)])
def test_classic_parameters_give_the_textbook_guarantees(n, p1, p2):
    K, L = classic_parameters(n, p1, p2)
    r = rho(p1, p2)
    assert n * p2**K <= 1 + 1e-9 and (K == 1 or n * p2 ** (K - 1) > 1)  # the smallest such K
    assert p1**K >= p1 * n ** (-r) * (1 - 1e-9)
    assert (1 - p1**K) ** L <= math.exp(-1) + 1e-12  # a near point is missed with probability ≤ 1/e
    assert L == math.ceil(n**r / p1 - 1e-9)
    fam = SensitiveFamily(1.0, 2.0, p1, p2)
    assert fam.parameters(n) == (K, L) and fam.rho == pytest.approx(r) and fam.c == 2.0


def test_sensitivity_of_every_family():
    fam = sensitivity(simhash_collision_probability, np.pi / 9, np.pi / 3)
    assert (fam.p1, fam.p2) == pytest.approx((1 - 1 / 9, 1 - 1 / 3))
    w = 4.0
    fam = sensitivity(lambda c: pstable_collision_probability(c, w), 1.0, 3.0)
    assert fam.p1 == pytest.approx(pstable_collision_probability(1.0, w)) and fam.p2 < fam.p1
    # Datar et al. 2004: for w large, rho for c = 3 is close to 1/c
    fam = sensitivity(lambda c: pstable_collision_probability(c, 20.0), 1.0, 3.0)
    assert abs(fam.rho - 1 / 3) < 0.05
    fam = sensitivity(lambda r: bit_sampling_collision_probability(r, 64), 4, 16)
    assert (fam.p1, fam.p2) == pytest.approx((1 - 4 / 64, 1 - 16 / 64))
    # bit sampling: rho <= 1/c (Indyk & Motwani 1998)
    assert fam.rho <= 1 / 4 + 1e-12
    fam = sensitivity(lambda d: minhash_collision_probability(1 - d), 0.2, 0.6)  # Jaccard distance
    assert (fam.p1, fam.p2) == pytest.approx((0.8, 0.4))
    with pytest.raises(ValueError, match="non-increasing"):
        sensitivity(lambda d: d / 10, 0.1, 0.5)
    with pytest.raises(ValueError, match="exceed"):
        sensitivity(simhash_collision_probability, 1.0, 0.5)
    with pytest.raises(ValueError, match="callable"):
        sensitivity(0.5, 0.1, 0.2)


def test_expected_recall_and_candidates():
    p = np.array([0.9, 0.5, 0.2])
    assert expected_recall(p, 3, 4) == pytest.approx(np.mean(1 - (1 - p**3) ** 4))
    assert expected_candidates(p, 3, 4, 1000) == pytest.approx(1000 * np.mean(1 - (1 - p**3) ** 4))
    with pytest.raises(ValueError):
        expected_recall([1.5], 1, 1)
    with pytest.raises(ValueError):
        expected_candidates([], 1, 1, 10)


def _brute_force_choice(p_near, p_far, n, target, budget, max_K, max_L, hash_cost, max_hashes=None):
    """Plain loops over every (K, L): the reference for choose_parameters."""
    best = None
    for L, K in itertools.product(range(1, max_L + 1), range(1, max_K + 1)):
        if max_hashes is not None and K * L > max_hashes:
            continue
        rec = float(np.mean([1 - (1 - p**K) ** L for p in p_near]))
        cand = n * float(np.mean([1 - (1 - p**K) ** L for p in p_far]))
        cost = hash_cost * K * L + cand
        if rec >= target - 1e-12 and cand <= budget + 1e-9 and (best is None or cost < best[0] - 1e-12):
            best = (cost, K, L, rec, cand)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_choose_parameters_equals_brute_force_enumeration(seed):
    rng = np.random.default_rng(seed)
    p_near = rng.uniform(0.6, 0.99, 30)
    p_far = rng.beta(2, 5, 60)
    n = int(rng.integers(1000, 100_000))
    target = float(rng.uniform(0.5, 0.95))
    budget = float(rng.uniform(0.005, 0.1) * n)
    hash_cost = float(rng.choice([0.0, 1.0, 5.0]))
    max_hashes = None if seed % 2 else int(rng.integers(20, 200))
    choice = choose_parameters(p_near, p_far, n, target_recall=target, max_candidates=budget, max_K=12, max_L=40,
                               hash_cost=hash_cost, max_hashes=max_hashes)
    ref = _brute_force_choice(p_near, p_far, n, target, budget, 12, 40, hash_cost, max_hashes)
    if ref is None:
        assert not choice.feasible
    else:
        assert choice.feasible
        assert (choice.K, choice.L) == (ref[1], ref[2])
        assert choice.recall == pytest.approx(ref[3]) and choice.candidates == pytest.approx(ref[4])
        assert choice.cost == pytest.approx(ref[0])
    assert choice.recall_table.shape == (12, 40)
    assert choice.recall_table[choice.K - 1, choice.L - 1] == pytest.approx(choice.recall)


def test_weights_equal_repetition():
    near, far = np.array([0.95, 0.8, 0.7]), np.array([0.2, 0.5, 0.6])
    w = choose_parameters(near, far, 5000, near_weights=[1, 2, 3], far_weights=[5, 1, 0], max_K=10, max_L=30)
    r = choose_parameters(np.repeat(near, [1, 2, 3]), np.repeat(far, [5, 1, 0]), 5000, max_K=10, max_L=30)
    np.testing.assert_allclose(w.recall_table, r.recall_table)
    np.testing.assert_allclose(w.candidate_table, r.candidate_table)
    assert (w.K, w.L) == (r.K, r.L)
    with pytest.raises(ValueError, match="far_weights"):
        choose_parameters(near, far, 100, far_weights=[1, -1, 1])


def test_binned_samples_predict_the_same():
    rng = np.random.default_rng(9)
    near, far = rng.uniform(0.6, 0.99, 2000), rng.beta(2, 5, 20000)
    full = choose_parameters(near, far, 10_000, max_K=16, max_L=64, target_recall=0.8, max_candidates=300)
    binned = choose_parameters(near, far, 10_000, max_K=16, max_L=64, target_recall=0.8, max_candidates=300,
                               n_levels=500)
    np.testing.assert_allclose(binned.recall_table, full.recall_table, atol=0.005)
    np.testing.assert_allclose(binned.candidate_table, full.candidate_table, rtol=0.01, atol=0.5)
    assert (binned.K, binned.L) == (full.K, full.L)


def test_choose_parameters_with_a_collision_curve_and_infeasible_targets():
    theta_near = np.full(20, np.pi / 9)
    theta_far = np.linspace(np.pi / 4, np.pi / 2, 50)
    a = choose_parameters(theta_near, theta_far, 10_000, collision=simhash_collision_probability,
                          target_recall=0.9, max_candidates=500)
    b = choose_parameters(simhash_collision_probability(theta_near), simhash_collision_probability(theta_far),
                          10_000, target_recall=0.9, max_candidates=500)
    assert (a.K, a.L) == (b.K, b.L) and a.feasible
    assert a.recall >= 0.9 and a.candidates <= 500
    # impossible: near and far identical, recall 0.99 with 5 candidates of 1000: the best recall within budget
    c = choose_parameters([0.5] * 5, [0.5] * 5, 1000, target_recall=0.99, max_candidates=5.0, max_K=8, max_L=8)
    assert not c.feasible and c.candidates <= 5.0
    within = c.candidate_table <= 5.0
    assert c.recall == pytest.approx(c.recall_table[within].max())
    # nothing within budget at all: the fewest candidates
    d = choose_parameters([0.5] * 5, [0.5] * 5, 1000, target_recall=0.99, max_candidates=1.0, max_K=8, max_L=8)
    assert not d.feasible and (d.K, d.L) == (8, 1)
    for kwargs in (dict(target_recall=0), dict(max_candidates=-1), dict(max_K=0), dict(hash_cost=-1)):
        with pytest.raises(ValueError):
            choose_parameters([0.9], [0.1], 100, **kwargs)
    with pytest.raises(ValueError):
        choose_parameters([1.2], [0.1], 100)


def test_banding_errors_and_optimiser_match_datasketch():
    lsh = pytest.importorskip("datasketch.lsh")
    for t, b, r in ((0.5, 20, 5), (0.8, 4, 30), (0.2, 50, 2)):
        fp, fn = banding_errors(t, b, r)
        assert fp == pytest.approx(lsh._false_positive_probability(t, b, r), abs=1e-9)
        assert fn == pytest.approx(lsh._false_negative_probability(t, b, r), abs=1e-9)
    for t, n, w in ((0.3, 64, (0.5, 0.5)), (0.5, 128, (0.5, 0.5)), (0.8, 128, (0.3, 0.7)), (0.9, 200, (0.5, 0.5))):
        assert optimal_banding(t, n, w) == lsh._optimal_param(t, n, *w)
    with pytest.raises(ValueError, match="weights"):
        optimal_banding(0.5, 16, (0.5,))


def test_s_curve_threshold():
    b, r = 20, 5
    t = s_curve_threshold(b, r)
    assert t == pytest.approx((1 / b) ** (1 / r))
    # at the threshold the S-curve is near 1 − 1/e (exactly 1 − (1 − 1/b)^b)
    assert amplified_collision_probability(t, r, b) == pytest.approx(1 - (1 - 1 / b) ** b)
    s = np.linspace(0.01, 0.99, 981)
    slope = np.gradient(amplified_collision_probability(s, r, b), s)
    assert abs(s[np.argmax(slope)] - t) < 0.08  # the steepest point is near (1/b)^(1/r)
