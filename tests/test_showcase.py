"""mixed_result_queries: the queries a retrieval collage shows hold right and wrong results."""

import numpy as np
import pytest

from lshlab.evaluation import mixed_result_queries
from lshlab.search import brute_force_knn


def _brute_force_choice(y_query, y_db, rankings, n):
    """Reference: rank queries by the rule of the docstring with plain Python loops."""
    keys = []
    for i in range(len(y_query)):
        mixed = wrong = 0
        for idx in rankings:
            labels = [y_db[j] for j in idx[i]]
            has_wrong = any(lab != y_query[i] for lab in labels)
            has_right = any(lab == y_query[i] for lab in labels)
            wrong += has_wrong
            mixed += has_wrong and has_right
        keys.append((-mixed, -wrong, i))
    return sorted(i for *_, i in sorted(keys)[:n])


def test_docstring_example_and_all_right_rows_come_last():
    y_db = np.array([0, 0, 1, 1])
    idx = np.array([[0, 1], [0, 2], [2, 3]])
    assert mixed_result_queries(np.array([0, 0, 0]), y_db, idx, n=1).tolist() == [1]
    # n=2: the all-wrong row (an error, but no right answer) before the all-right one
    assert mixed_result_queries(np.array([0, 0, 0]), y_db, idx, n=2).tolist() == [1, 2]
    assert mixed_result_queries(np.array([0, 0, 0]), y_db, idx, n=10).tolist() == [0, 1, 2]


@pytest.mark.parametrize("seed", range(5))
def test_matches_a_loop_over_queries_for_two_rankings(seed):
    rng = np.random.default_rng(seed)
    y_db = rng.integers(0, 3, 40)
    y_q = rng.integers(0, 3, 25)
    rankings = [rng.integers(0, 40, (25, 6)), rng.integers(0, 40, (25, 4))]
    got = mixed_result_queries(y_q, y_db, rankings, n=7)
    assert got.tolist() == _brute_force_choice(y_q, y_db, rankings, 7)


def test_on_real_neighbours_every_chosen_row_shows_an_error_in_every_ranking():
    """Digits, 10-NN by two metrics: every chosen row holds right and wrong results in both rankings."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    X_db, y_db, X_q, y_q = X[200:], y[200:], X[:200], y[:200]
    _, idx_l2 = brute_force_knn(X_db, X_q, 10)
    _, idx_l1 = brute_force_knn(np.sqrt(X_db), np.sqrt(X_q), 10)
    chosen = mixed_result_queries(y_q, y_db, [idx_l2, idx_l1], n=3)
    assert len(chosen) == 3 and np.all(np.diff(chosen) > 0)
    for idx in (idx_l2, idx_l1):
        correct = y_db[idx[chosen]] == y_q[chosen, None]
        assert np.all(correct.any(axis=1)) and np.all(~correct.all(axis=1))


def test_bad_input_is_named():
    y = np.zeros(3, dtype=int)
    with pytest.raises(ValueError, match=r"rankings\[0\] must have shape"):
        mixed_result_queries(y, y, np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match="integer database indices"):
        mixed_result_queries(y, y, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="outside the database"):
        mixed_result_queries(y, y, np.full((3, 2), 5))
    with pytest.raises(ValueError, match="non-empty sequence"):
        mixed_result_queries(y, y, [])
    with pytest.raises(ValueError, match="1-D"):
        mixed_result_queries(y[:, None], y, np.zeros((3, 2), dtype=int))
    with pytest.raises(ValueError, match="n must be an integer"):
        mixed_result_queries(y, y, np.zeros((3, 2), dtype=int), n=0)
