"""MinHash (issue 19): signatures against exact arithmetic, every input form, empty sets, validation,
scikit-learn conventions, unbiased Jaccard estimates with variance J(1 − J)/n, the bias of the linear
hash on structured sets, and datasketch's MinHash as the peer reference."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from lshlab.hashing import BaseHasher, MinHash
from lshlab.hashing.minhash import EMPTY_SET_HASH, MERSENNE_PRIME, minhash_collision_probability, signature_agreement
from lshlab.sets import (
    as_set_matrix,
    jaccard_matrix,
    pack_sets,
    paired_jaccard,
    shingle_sets,
    shingles,
    threshold_masks,
)

P = MERSENNE_PRIME


def _py_hash(coefficients, x):
    """h(x) = Σ c_i x^(d−i) mod p in Python integers (no overflow possible): the reference."""
    acc = 0
    for c in coefficients:
        acc = (acc * int(x) + int(c)) % P
    return acc


def _random_sets(rng, n, universe, p=0.2):
    return rng.random((n, universe)) < p


def pairs_with_jaccard(jaccards, size, rng, offset=0):
    """Disjoint-universe pairs (A, B) with |A ∪ B| = size and |A ∩ B| = round(J · size) exactly."""
    A, B, J = [], [], []
    base = offset
    for j in jaccards:
        inter = int(round(j * size))
        rest = size - inter
        ids = base + rng.permutation(size)
        base += size
        common, only = ids[:inter], ids[inter:]
        A.append(np.concatenate([common, only[: rest // 2]]))
        B.append(np.concatenate([common, only[rest // 2 :]]))
        J.append(inter / size)
    return A, B, np.array(J)


# ------------------------------------------------------------------------------------ exact values
def test_signatures_equal_brute_force_in_python_integers():
    rng = np.random.default_rng(0)
    X = _random_sets(rng, 12, 40)
    X[3] = False  # an empty set
    mh = MinHash(n_hashes=16, random_state=3).fit(X)
    sig = mh.transform(X)
    assert sig.shape == (12, 16) and sig.dtype == np.uint32
    for i in range(12):
        members = np.flatnonzero(X[i])
        for j in range(16):
            expect = min((_py_hash(mh.coefficients_[:, j], x) for x in members), default=EMPTY_SET_HASH)
            assert sig[i, j] == expect


def test_hash_values_exact_for_large_elements():
    mh = MinHash(n_hashes=8, random_state=1, degree=4).fit([{0}])
    x = np.array([0, 1, 2, 12345, P - 2, P - 1, 2**30 + 17])
    hv = mh.hash_values(x)
    for a, xa in enumerate(x):
        for j in range(8):
            assert hv[a, j] == _py_hash(mh.coefficients_[:, j], xa)
    assert hv.max() < P


def test_same_sets_same_signatures_in_every_form():
    rng = np.random.default_rng(1)
    X = _random_sets(rng, 20, 30)
    X[5] = False
    mh = MinHash(32, random_state=0).fit(X)
    ref = mh.transform(X)
    csr = sp.csr_matrix(X.astype(np.int8))
    csr_with_zero = csr.copy()
    csr_with_zero.data[0] = 0  # an explicitly stored zero is not a member
    forms = {
        "float": X.astype(np.float32),
        "int": X.astype(np.int64),
        "csr": csr,
        "csc": sp.csc_matrix(X),
        "coo": sp.coo_matrix(X),
        "sets": [set(np.flatnonzero(r).tolist()) for r in X],
        "frozensets": tuple(frozenset(np.flatnonzero(r).tolist()) for r in X),
        "arrays": [np.flatnonzero(r) for r in X],
        "arrays with repeats": [np.concatenate([np.flatnonzero(r)] * 2) for r in X],
    }
    for name, form in forms.items():
        np.testing.assert_array_equal(mh.transform(form), ref, err_msg=name)
    first_row, first_col = csr.nonzero()[0][0], csr.nonzero()[1][0]
    expect = X.copy()
    expect[first_row, first_col] = False
    np.testing.assert_array_equal(mh.transform(csr_with_zero), mh.transform(expect))


def test_large_universe_path_matches_brute_force():
    """Element ids beyond 2**16 take the blocked path (distinct elements per block)."""
    rng = np.random.default_rng(2)
    sets = [set(rng.choice(P - 1, size=rng.integers(0, 30), replace=False).tolist()) for _ in range(40)]
    mh = MinHash(8, random_state=5).fit(sets)
    sig = mh.transform(sets)
    assert not hasattr(mh, "n_features_in_")
    for i, s in enumerate(sets):
        for j in range(8):
            expect = min((_py_hash(mh.coefficients_[:, j], x) for x in s), default=EMPTY_SET_HASH)
            assert sig[i, j] == expect


def test_empty_sets_are_explicit():
    mh = MinHash(64, random_state=0).fit([{1, 2}, set()])
    sig = mh.transform([set(), {1, 2}, set()])
    assert (sig[0] == EMPTY_SET_HASH).all() and (sig[2] == EMPTY_SET_HASH).all()
    assert (sig[1] < EMPTY_SET_HASH).all()
    agree = signature_agreement(sig, sig)
    assert agree[0, 1] == 0.0 and agree[0, 2] == 1.0  # J(∅, A) = 0, J(∅, ∅) = 1 by convention
    assert jaccard_matrix([set()], [set(), {1}]).tolist() == [[1.0, 0.0]]
    assert mh.transform(np.zeros((3, 4), dtype=bool)).min() == EMPTY_SET_HASH


def test_random_state_reproducible_and_hashes_independent_of_data():
    X = _random_sets(np.random.default_rng(3), 10, 20)
    a = MinHash(16, random_state=7).fit(X).transform(X)
    b = MinHash(16, random_state=7).fit(X[:3]).transform(X)  # fit only draws coefficients
    c = MinHash(16, random_state=8).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # a longer signature extends a shorter one? No: coefficients are drawn as a block; but the shape is right
    assert MinHash(1000, random_state=0).fit(X).transform(X).shape == (10, 1000)


# ------------------------------------------------------------------------------------ API conventions
def test_sklearn_conventions():
    mh = MinHash(n_hashes=32, random_state=4, degree=2)
    assert isinstance(mh, BaseHasher) and MinHash.binary is False
    params = mh.get_params()
    assert params == {"n_hashes": 32, "random_state": 4, "degree": 2}
    X = np.eye(6, dtype=bool)
    mh.fit(X)
    assert mh.get_params() == params  # parameters untouched by fit
    assert mh.n_features_in_ == 6 and mh.coefficients_.shape == (3, 32)
    np.testing.assert_array_equal(clone(mh).fit(X).transform(X), mh.transform(X))
    assert mh.fit_transform(X).shape == (6, 32)
    with pytest.raises(NotFittedError):
        MinHash().transform(X)


@pytest.mark.parametrize("bad, match", [
    (np.array([[0, 0.5, 1]]), "0/1 matrix"),
    (np.array([[0, np.nan]]), "NaN"),
    (np.array([0, 1, 1]), "2-D"),
    ([{1, -3}], "negative"),
    ([{1, P}], "largest supported id"),
    ([{1.5}], "integer element ids"),
    ([{"a", "b"}], "integer element ids"),
    ([{1}, [1, 2]], "mixes sets"),
    ([[1, 0], [1]], "list of sets"),
    (np.zeros((0, 4)), "empty"),
    (sp.csr_matrix(np.array([[0, 2]])), "0/1 matrix"),
])
def test_bad_input_is_a_value_error(bad, match):
    with pytest.raises(ValueError, match=match):
        MinHash(8, random_state=0).fit(bad)


def test_bad_parameters_and_widths():
    X = np.eye(4, dtype=bool)
    for params, match in ((dict(n_hashes=0), "n_hashes"), (dict(degree=0), "degree"),
                          (dict(n_hashes=2.5), "n_hashes")):
        with pytest.raises(ValueError, match=match):
            MinHash(**params).fit(X)
    mh = MinHash(8, random_state=0).fit(X)
    with pytest.raises(ValueError, match="expecting 4"):
        mh.transform(np.eye(5, dtype=bool))
    with pytest.raises(ValueError, match="packed"):
        mh.transform(X, packed=True)
    assert mh.transform([{0, 100}]).shape == (1, 8)  # sets of any elements are accepted
    with pytest.raises(ValueError, match="integer ids"):
        mh.hash_values([-1])


# ------------------------------------------------------------------------------------ statistics
def test_estimates_unbiased_with_binomial_variance():
    """Independent pairs with exact J: mean of the estimates = J, variance = J(1 − J)/n (4 s.e. bounds)."""
    rng = np.random.default_rng(5)
    n_hashes, n_pairs = 64, 400
    levels = (0.1, 0.3, 0.5, 0.8)
    A, B, J = pairs_with_jaccard(np.repeat(levels, n_pairs), 40, rng)
    mh = MinHash(n_hashes, random_state=0).fit(A)
    est = (mh.transform(A) == mh.transform(B)).mean(axis=1)
    for level in levels:
        e, j = est[np.isclose(J, level)], J[np.isclose(J, level)][0]
        var = j * (1 - j) / n_hashes
        assert abs(e.mean() - j) < 4 * np.sqrt(var / e.size), (level, e.mean())
        # variance of a sample variance of a (nearly normal) estimate: sd ≈ var · sqrt(2/(m−1))
        assert abs(e.var(ddof=1) - var) < 4 * var * np.sqrt(2 / (e.size - 1)), (level, e.var(), var)
    assert minhash_collision_probability(0.3) == 0.3


def _disc_pairs(n=60, seed=0):
    """Discs on a 28 × 28 grid and the same discs moved by one pixel: structured sets like image masks."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:28, :28]
    A = np.array([((xx - cx) ** 2 + (yy - cy) ** 2 <= rad**2).ravel()
                  for cx, cy, rad in zip(*rng.uniform(9, 19, (2, n)), rng.uniform(4, 9, n))])
    B = np.array([np.roll(a.reshape(28, 28), 1, axis=1).ravel() for a in A])
    return A, B, paired_jaccard(A, B, np.arange(n), np.arange(n))


def test_linear_hash_is_biased_on_masks_and_degree_three_is_not():
    """The pairwise-independent (a x + b) mod p underestimates J on shifted discs; the default
    4-wise independent polynomial does not (mean error in standard errors over 6 draws of 2,048 hashes)."""
    A, B, J = _disc_pairs()
    z = {1: [], 3: []}
    for degree in z:
        for seed in range(6):
            mh = MinHash(2048, random_state=seed, degree=degree).fit(A)
            est = (mh.transform(A) == mh.transform(B)).mean(axis=1)
            z[degree].append(np.mean((est - J) / np.sqrt(J * (1 - J) / 2048)))
    z1, z3 = np.mean(z[1]), np.mean(z[3])
    assert z1 < -3, f"the linear hash should be visibly biased on masks (mean z {z1:.2f})"
    # 6 draws: the mean of per-draw mean z has sd <= 1/sqrt(6) even if the 60 pairs were fully correlated
    assert abs(z3) < 3 / np.sqrt(6), f"degree 3 should be unbiased (mean z {z3:.2f})"


def test_same_distribution_as_datasketch():
    """Peer check: our estimates and datasketch's MinHash (its default scheme) over many seeds, on the
    same pairs — both centred on J with variance J(1 − J)/n (two-sample comparison within 4 s.e.)."""
    datasketch = pytest.importorskip("datasketch")
    rng = np.random.default_rng(6)
    n_hashes, n_seeds = 64, 120
    A, B, J = pairs_with_jaccard([0.2, 0.5, 0.75], 40, rng)
    ours = np.array([(lambda s: (s[:3] == s[3:]).mean(axis=1))(MinHash(n_hashes, random_state=seed).fit(A).transform(A + B))
                     for seed in range(n_seeds)])
    theirs = []
    for seed in range(n_seeds):
        ma = datasketch.MinHash.bulk(A, num_perm=n_hashes, seed=seed + 1, hashfunc=int)
        mb = datasketch.MinHash.bulk(B, num_perm=n_hashes, seed=seed + 1, hashfunc=int)
        theirs.append([a.jaccard(b) for a, b in zip(ma, mb)])
    theirs = np.array(theirs)
    var = J * (1 - J) / n_hashes
    for est in (ours, theirs):
        assert np.all(np.abs(est.mean(axis=0) - J) < 4 * np.sqrt(var / n_seeds))
        assert np.all(np.abs(est.var(axis=0, ddof=1) / var - 1) < 4 * np.sqrt(2 / (n_seeds - 1)))
    diff = ours.mean(axis=0) - theirs.mean(axis=0)
    assert np.all(np.abs(diff) < 4 * np.sqrt(2 * var / n_seeds))


# ------------------------------------------------------------------------------------ sets helpers
def test_jaccard_matrix_dense_and_sparse_paths_agree():
    rng = np.random.default_rng(7)
    A, B = _random_sets(rng, 15, 50, 0.3), _random_sets(rng, 9, 50, 0.1)
    brute = np.array([[(a & b).sum() / max((a | b).sum(), 1) if (a | b).any() else 1.0 for b in B] for a in A])
    np.testing.assert_allclose(jaccard_matrix(A, B), brute)
    wide_a = [set((np.flatnonzero(a) * 1000).tolist()) for a in A]  # 49,001 columns: the sparse product
    wide_b = [set((np.flatnonzero(b) * 1000).tolist()) for b in B]
    np.testing.assert_allclose(jaccard_matrix(wide_a, wide_b), brute)
    ia, ib = rng.integers(0, 15, 200), rng.integers(0, 9, 200)
    np.testing.assert_allclose(paired_jaccard(A, B, ia, ib), brute[ia, ib])
    np.testing.assert_allclose(paired_jaccard(wide_a, wide_b, ia, ib), brute[ia, ib])
    np.testing.assert_allclose(paired_jaccard(pack_sets(A), B, ia, ib), brute[ia, ib])
    with pytest.raises(ValueError, match="rows_a"):
        paired_jaccard(A, B, [15], [0])


def test_masks_and_shingles():
    X = np.array([[0.1, 0.6, 0.5], [0.9, 0.0, 0.7]])
    np.testing.assert_array_equal(threshold_masks(X, 0.5), [[False, True, False], [True, False, True]])
    with pytest.raises(ValueError, match="threshold"):
        threshold_masks(X, "0.5")
    assert shingles("abcd", 2) == {"ab", "bc", "cd"}
    sets, vocab = shingle_sets(["the cat sat", "the cat sat down"], k=3)
    assert [vocab[i] for i in sorted(sets[0])] == sorted(shingles("the cat sat", 3))
    assert sets[0] < sets[1]
    assert as_set_matrix(sets).shape == (2, len(vocab))
    with pytest.raises(ValueError, match="sequence"):
        shingle_sets("one string")
