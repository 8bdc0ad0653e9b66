"""BandingIndex (issue 19): candidates equal the brute-force band comparison, search equals a brute-force
ranking of the candidates (estimated and exact Jaccard), the S-curve 1 − (1 − s^r)^b measured on
independent pairs, datasketch's MinHashLSH as the peer, validation, and MinHash inside HashTables."""

import numpy as np
import pytest

from lshlab.hashing import MinHash
from lshlab.lsh_theory import amplified_collision_probability
from lshlab.search import BandingIndex, HashTables
from lshlab.sets import jaccard_matrix
from test_minhash import pairs_with_jaccard


@pytest.fixture(scope="module")
def masks():
    """Clustered random masks: 300 database and 40 query sets of 64 pixels (noisy copies of 12 shapes)."""
    rng = np.random.default_rng(0)
    protos = rng.random((12, 64)) < 0.35
    def draw(n):
        base = protos[rng.integers(0, 12, n)]
        flip = rng.random((n, 64)) < rng.uniform(0.02, 0.3, (n, 1))
        return base ^ flip
    return draw(300), draw(40)


def _brute_candidates(S, Q, b, r):
    agree = Q[:, None, : b * r] == S[None, :, : b * r]
    return agree.reshape(Q.shape[0], S.shape[0], b, r).all(axis=3).any(axis=2)


@pytest.mark.parametrize("b, r", [(1, 1), (4, 4), (16, 2), (8, 7)])
def test_candidates_equal_brute_force(masks, b, r):
    X, Xq = masks
    mh = MinHash(64, random_state=1).fit(X)
    S, Q = mh.transform(X), mh.transform(Xq)
    index = BandingIndex(b, r).fit(S)
    q, d = index.candidate_pairs(Q, block_queries=7)
    brute = _brute_candidates(S, Q, b, r)
    got = np.zeros_like(brute)
    got[q, d] = True
    np.testing.assert_array_equal(got, brute)
    assert np.all(np.diff(q) >= 0)
    np.testing.assert_array_equal(index.last_n_candidates_, brute.sum(axis=1))
    cands = index.candidates(Q)
    assert all(np.array_equal(c, np.flatnonzero(row)) for c, row in zip(cands, brute))
    # compact storage: every database id once per band, sorted distinct keys
    for band in range(b):
        assert np.array_equal(np.sort(index.band_ids_[band]), np.arange(len(S)))
        keys = index.band_keys_[band]
        assert len(np.unique(keys)) == len(keys) == len(index.band_starts_[band]) - 1


@pytest.mark.parametrize("exact", [False, True])
def test_search_is_the_brute_force_ranking_of_the_candidates(masks, exact):
    X, Xq = masks
    mh = MinHash(64, random_state=2).fit(X)
    S, Q = mh.transform(X), mh.transform(Xq)
    index = BandingIndex(16, 2).fit(S, sets=X if exact else None)
    k = 8
    dist, idx = index.search(Q, k, query_sets=Xq if exact else None)
    score = jaccard_matrix(Xq, X) if exact else (Q[:, None, :] == S[None, :, :]).mean(axis=2)
    brute = _brute_candidates(S, Q, 16, 2)
    for i in range(len(Q)):
        c = np.flatnonzero(brute[i])
        order = np.lexsort((c, 1 - score[i, c]))[:k]
        n = len(order)
        np.testing.assert_array_equal(idx[i, :n], c[order])
        np.testing.assert_allclose(dist[i, :n], 1 - score[i, c[order]])
        assert np.all(idx[i, n:] == -1) and np.all(np.isinf(dist[i, n:]))
    D = index.distance_matrix(Q, query_sets=Xq if exact else None)
    np.testing.assert_array_equal(np.isfinite(D), brute)
    np.testing.assert_allclose(D[brute], 1 - score[brute])
    D2 = index.distance_matrix(Q, query_sets=Xq if exact else None, missing=2.0)
    np.testing.assert_array_equal(D2[~brute], 2.0)
    with pytest.raises(ValueError, match="missing"):
        index.distance_matrix(Q, missing=0.5)


def test_s_curve_measured_against_theory_and_datasketch():
    """Independent pairs with exact J: the fraction that become candidates follows 1 − (1 − J^r)^b within
    4 binomial standard errors, for our index and datasketch's MinHashLSH alike."""
    datasketch = pytest.importorskip("datasketch")
    rng = np.random.default_rng(3)
    b, r, n_hashes = 8, 4, 32
    levels = np.array([0.3, 0.5, 0.6, 0.7, 0.85])
    n_pairs = 300
    A, B, J = pairs_with_jaccard(np.repeat(levels, n_pairs), 30, rng)
    theory = amplified_collision_probability(levels, r, b)
    se = np.sqrt(theory * (1 - theory) / n_pairs)

    mh = MinHash(n_hashes, random_state=0).fit(A)
    SA, SB = mh.transform(A), mh.transform(B)
    index = BandingIndex(b, r).fit(SB)
    q, d = index.candidate_pairs(SA)
    hit = np.zeros(len(A), dtype=bool)
    hit[q[q == d]] = True  # pair i is (A_i, B_i): a candidate when query i finds database item i
    rate_ours = hit.reshape(len(levels), n_pairs).mean(axis=1)
    np.testing.assert_array_less(np.abs(rate_ours - theory), 4 * se + 1e-12)

    lsh = datasketch.MinHashLSH(num_perm=n_hashes, params=(b, r))
    mb = datasketch.MinHash.bulk(B, num_perm=n_hashes, seed=1, hashfunc=int)
    ma = datasketch.MinHash.bulk(A, num_perm=n_hashes, seed=1, hashfunc=int)
    for i, m in enumerate(mb):
        lsh.insert(i, m)
    hit_ds = np.array([i in lsh.query(m) for i, m in enumerate(ma)])
    rate_ds = hit_ds.reshape(len(levels), n_pairs).mean(axis=1)
    np.testing.assert_array_less(np.abs(rate_ds - theory), 4 * se + 1e-12)
    np.testing.assert_array_less(np.abs(rate_ours - rate_ds), 4 * np.sqrt(2) * se + 1e-12)


def test_validation(masks):
    X, Xq = masks
    S = MinHash(16, random_state=0).fit(X).transform(X)
    with pytest.raises(ValueError, match="exceeds the 16 positions"):
        BandingIndex(5, 4).fit(S)
    with pytest.raises(ValueError, match="n_bands"):
        BandingIndex(0, 4).fit(S)
    with pytest.raises(ValueError, match="integer signatures"):
        BandingIndex(4, 4).fit(S.astype(float))
    with pytest.raises(ValueError, match="not fitted"):
        BandingIndex(4, 4).search(S, 1)
    index = BandingIndex(4, 4).fit(S)
    with pytest.raises(ValueError, match="same fitted MinHash"):
        index.search(S[:, :8], 1)
    with pytest.raises(ValueError, match="database sets"):
        index.search(S, 1, query_sets=X)
    with pytest.raises(ValueError, match="sets has"):
        BandingIndex(4, 4).fit(S, sets=X[:10])
    with pytest.raises(ValueError, match="k must be"):
        index.search(S, 0)


def test_minhash_in_hash_tables():
    """HashTables reads ``binary = False`` and keys MinHash buckets by the signatures' raw bytes."""
    rng = np.random.default_rng(4)
    X = (rng.random((200, 40)) < 0.3).astype(np.float32)
    tables = HashTables(lambda s: MinHash(3, random_state=s), n_tables=6, random_state=0).fit(X)
    dist, idx = tables.search(X[:5], 1)
    np.testing.assert_array_equal(idx[:, 0], np.arange(5))  # every set is its own candidate at distance 0
    assert np.all(dist[:, 0] == 0)
