"""Multi-index hashing: exactness beyond the consistency mixin (pure probing, skewed data, huge buckets,
radius search), the pigeonhole certificate in the statistics, the tables and the pure helpers."""

from math import comb

import numpy as np
import pytest

from lshlab.distances import hamming_distance_matrix, pack_bits
from lshlab.search import HammingIndex, MultiIndexHashing
from lshlab.search import substring_tables as st


def reference(db, Q, k):
    D = hamming_distance_matrix(Q, db)
    order = np.lexsort((np.broadcast_to(np.arange(D.shape[1]), D.shape), D), axis=1)[:, :k]
    return np.take_along_axis(D, order, axis=1), order


def assert_same(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def clustered_codes(rng, n, n_query, n_bits, n_centres=8, flip=0.06):
    """Database and queries drawn around the same random centres, each bit flipped with probability ``flip``."""
    centres = rng.integers(0, 2, (n_centres, n_bits), dtype=np.uint8)
    X = (centres[rng.integers(0, n_centres, n + n_query)] ^ (rng.random((n + n_query, n_bits)) < flip)).astype(np.uint8)
    return X[:n], X[n:]


@pytest.mark.parametrize("n_bits,m", [(24, 3), (30, 4), (40, 5), (21, 2)])
def test_pure_probing_without_scan_fallback_is_exact(monkeypatch, n_bits, m):
    """With the linear-scan fallback disabled, the certificate alone must make the answer exact."""
    monkeypatch.setattr(MultiIndexHashing, "_scan_factor", 0)  # never cheaper than probing
    rng = np.random.default_rng(n_bits)
    db, Q = clustered_codes(rng, 3000, 20, n_bits)
    Q = np.concatenate([Q, rng.integers(0, 2, (10, n_bits), dtype=np.uint8)])  # and far-away queries
    index = MultiIndexHashing(db, n_substrings=m, block_size=8)
    for k in (1, 10, 100, 3000):
        assert_same(index.search(Q, k), reference(db, Q, k))
        assert not index.search_stats.linear_scan.any()


def test_skewed_data_where_most_codes_share_a_substring(monkeypatch):
    """90 % of the codes share their first 16 bits: one bucket holds most of the database, the query's
    k neighbours sit in it, k exceeds every other bucket; a tiny expansion cap forces the by-position
    cutting of huge buckets."""
    monkeypatch.setattr(st, "EXPAND_CAP", 500)
    rng = np.random.default_rng(3)
    db = rng.integers(0, 2, (5000, 48), dtype=np.uint8)
    db[:4500, :16] = 1
    Q = db[rng.integers(0, 5000, 25)] ^ (rng.random((25, 48)) < 0.05).astype(np.uint8)
    index = MultiIndexHashing(db, n_substrings=3)
    for k in (1, 50, 700, 4999):
        assert_same(index.search(Q, k), reference(db, Q, k))
    stats = index.search_stats
    assert stats.n_retrieved.max() >= 4500  # the big bucket was read (in cut batches) ...
    assert (stats.n_candidates <= 5000).all()  # ... and no code counted twice


def test_duplicates_and_k_larger_than_a_bucket():
    rng = np.random.default_rng(4)
    base = rng.integers(0, 2, (40, 32), dtype=np.uint8)
    db = np.repeat(base, 25, axis=0)[rng.permutation(1000)]  # every code 25 times
    Q = base[:10]
    index = MultiIndexHashing(db, n_substrings=2)
    dist, idx = index.search(Q, 60)  # more than two full buckets
    assert_same((dist, idx), reference(db, Q, 60))
    assert (dist[:, :25] == 0).all() and (np.diff(idx[:, :25], axis=1) > 0).all()  # ties by index


@pytest.mark.parametrize("m", [1, 2, 3])
def test_radius_search_equals_brute_force(m):
    rng = np.random.default_rng(m)
    db, Q = clustered_codes(rng, 2000, 15, 40, flip=0.1)
    D = hamming_distance_matrix(Q, db)
    index = MultiIndexHashing(db, n_substrings=m)
    for r in (0, 3, 7, 40):
        dist, idx = index.search_radius(Q, r)
        for t in range(len(Q)):
            within = np.flatnonzero(D[t] <= r)
            order = np.lexsort((within, D[t, within]))
            np.testing.assert_array_equal(idx[t], within[order])
            np.testing.assert_array_equal(dist[t], D[t, within[order]])
        assert (index.search_stats.radius >= r).all()


def test_statistics_certify_the_answer():
    """The search stops at the first step (ρ, j) whose bound mρ + j + 1 exceeds the k-th distance: the
    certified radius mρ + j then *equals* the k-th distance (at the step before, every code closer than
    it was already found, so the search would have stopped there).  Lookups count C(s, ρ) per step."""
    rng = np.random.default_rng(5)
    db, Q = clustered_codes(rng, 20000, 40, 64, flip=0.02)
    index = MultiIndexHashing(db, n_substrings=4)
    dist, _ = index.search(Q, 10)
    stats = index.search_stats
    m, s = 4, 16
    probed = ~stats.linear_scan
    assert probed.all()
    np.testing.assert_array_equal(stats.radius[probed], dist[probed, -1])
    assert (stats.radius[~probed] == 64).all()
    lookups = np.array([sum(comb(s, t // m) for t in range(r + 1)) for r in stats.radius[probed]])
    np.testing.assert_array_equal(stats.n_lookups[probed], lookups)
    assert (stats.substring_radius[probed] == stats.radius[probed] // m).all()
    assert (stats.n_candidates <= stats.n_retrieved).all() and (stats.n_candidates[probed] < len(db) / 5).all()


def test_linear_scan_fallback_is_recorded_and_exact():
    rng = np.random.default_rng(6)
    db = rng.integers(0, 2, (400, 96), dtype=np.uint8)  # random long codes: neighbours far away
    Q = rng.integers(0, 2, (12, 96), dtype=np.uint8)
    index = MultiIndexHashing(db, n_substrings=2)
    assert_same(index.search(Q, 5), reference(db, Q, 5))
    assert index.search_stats.linear_scan.all() and (index.search_stats.n_candidates == 400).all()
    assert (index.search_stats.radius == 96).all()


def test_threads_blocks_and_packed_input_give_the_same_answer():
    rng = np.random.default_rng(7)
    db, Q = clustered_codes(rng, 5000, 50, 37)
    ref = HammingIndex(db, backend="numpy").search(Q, 8)
    for kw in (dict(n_jobs=1, block_size=1), dict(n_jobs=2, block_size=5), dict(n_jobs=2, block_size=64)):
        assert_same(MultiIndexHashing(db, **kw).search(Q, 8), ref)
    packed = MultiIndexHashing(pack_bits(db), packed=True)  # 40 bits: 3 zero padding bits in both
    assert packed.n_bits == 40
    assert_same(packed.search(pack_bits(Q), 8), ref)


def test_automatic_number_of_substrings_gives_substrings_of_at_least_log2_n_bits():
    rng = np.random.default_rng(8)
    db = rng.integers(0, 2, (1 << 12, 64), dtype=np.uint8)
    index = MultiIndexHashing(db)
    assert index.n_substrings == 5  # ⌊64 / log2 4096⌋ = ⌊5.33⌋
    np.testing.assert_array_equal(index.substring_lengths_, [13, 13, 13, 13, 12])
    assert MultiIndexHashing(db[:, :7]).n_substrings == 1  # ⌊7 / 12⌋ = 0 → at least one table
    assert MultiIndexHashing(np.zeros((3, 300), np.uint8)).n_substrings == 189  # ⌊300 / log2 3⌋ = ⌊189.3⌋


def test_tables_are_compact_and_lookups_match_a_dictionary():
    rng = np.random.default_rng(9)
    values = rng.integers(0, 2**40, 5000, dtype=np.uint64)
    values[:2000] = values[0]  # one huge bucket
    words_t = rng.integers(0, 2**63, (1, 5000), dtype=np.uint64)
    table = st.SubstringTable(values, 40, words_t, np.int32)
    assert not table.dense and table.ids.dtype == np.int32
    assert table.nbytes < 5000 * (4 + 8 + 20)
    np.testing.assert_array_equal(table.codes_t[0], words_t[0, table.ids])
    buckets = {}
    for i, v in enumerate(values.tolist()):
        buckets.setdefault(v, []).append(i)
    keys = np.concatenate([values[::7], rng.integers(0, 2**40, 500, dtype=np.uint64)])
    start, size = table.lookup(keys)
    for key, a, c in zip(keys.tolist(), start, size):
        np.testing.assert_array_equal(table.ids[a : a + c], buckets.get(key, []))
    dense = st.SubstringTable(values & np.uint64(0xFFF), 12, words_t, np.int32)
    assert dense.dense and dense.offsets.shape == (4097,) and dense.offsets[-1] == 5000


def test_weight_masks_and_radix_argsort():
    for s, w in ((1, 0), (5, 2), (13, 4), (21, 3), (64, 2)):
        masks = st.weight_masks(s, w)
        assert len(masks) == comb(s, w) and len(np.unique(masks)) == len(masks)
        assert (np.bitwise_count(masks) == w).all()
        assert s == 64 or (masks < np.uint64(1 << s)).all()
        assert (masks[1:] > masks[:-1]).all()  # ascending
    assert len(st.weight_masks(6, 7)) == 0
    rng = np.random.default_rng(10)
    for bits in (5, 16, 23, 40):
        v = rng.integers(0, 2**bits, 20000, dtype=np.uint64)
        v[::3] = v[0]
        np.testing.assert_array_equal(st.radix_argsort(v, bits), np.argsort(v, kind="stable"))


def test_substring_bounds_and_bad_inputs():
    starts, lengths = st.substring_bounds(13, 5)
    np.testing.assert_array_equal(lengths, [3, 3, 3, 2, 2])
    np.testing.assert_array_equal(starts, [0, 3, 6, 9, 11])
    with pytest.raises(ValueError, match="exceeds the code length"):
        st.substring_bounds(8, 9)
    with pytest.raises(ValueError, match="n_substrings >= 2"):
        MultiIndexHashing(np.zeros((5, 100), np.uint8), n_substrings=1)
    db = np.random.default_rng(0).integers(0, 2, (50, 20), dtype=np.uint8)
    index = MultiIndexHashing(db)
    with pytest.raises(ValueError, match="20-bit"):
        index.search(db[:, :10], 3)
    with pytest.raises(ValueError, match="k"):
        index.search(db[:2], 51)
    with pytest.raises(ValueError, match="radius"):
        index.search_radius(db[:2], -1)
    with pytest.raises(ValueError, match="packed=True"):
        MultiIndexHashing(pack_bits(db) | 2)
    with pytest.raises(ValueError, match="bytes per code"):
        MultiIndexHashing(pack_bits(db), packed=True).search(pack_bits(db[:, :8]), 2)
    with pytest.raises(ValueError, match="n_jobs"):
        MultiIndexHashing(db, n_jobs=0)
