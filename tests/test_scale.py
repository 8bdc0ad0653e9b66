"""The scale lecture's measurement helpers (lshlab.scale), its figures (plots.scale) and its explorer
(widgets.scale): theory against a simulation, cost model by hand, every figure drawn once."""

from math import comb

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lshlab.plots.scale import (  # noqa: E402
    plot_candidates_vs_size,
    plot_latency_histogram,
    plot_memory_per_item,
    plot_real_vs_generated,
    plot_recall_vs_qps,
    plot_time_vs_size,
)
from lshlab.scale import (  # noqa: E402
    ann_sweep,
    cost_model,
    hamming_recall,
    loglog_slope,
    query_latencies,
    scaling_curve,
    uniform_code_retrievals,
    uniform_knn_radius,
)
from lshlab.search import MultiIndexHashing  # noqa: E402
from lshlab.widgets.scale import draw_scale, prepare_scale, scale_explorer, update_scale  # noqa: E402


def clustered_packed(rng, n, n_query, n_bits=64, flip=0.04):
    centres = rng.integers(0, 2, (10, n_bits), dtype=np.uint8)
    X = centres[rng.integers(0, 10, n + n_query)] ^ (rng.random((n + n_query, n_bits)) < flip).astype(np.uint8)
    P = np.packbits(X, axis=1)
    return P[:n], P[n:]


def test_uniform_code_retrievals_by_hand():
    # m = 2 substrings of 3 bits, n = 64: a bucket holds 64 / 8 = 8 codes on average
    assert uniform_code_retrievals(64, [3, 3], 0) == 8  # step (0, 0)
    assert uniform_code_retrievals(64, [3, 3], 1) == 16  # + step (0, 1)
    assert uniform_code_retrievals(64, [3, 3], 2) == 16 + 3 * 8  # + step (1, 0): C(3, 1) buckets
    np.testing.assert_allclose(uniform_code_retrievals(64, [3, 3], np.array([0, 3])), [8, 16 + 48])
    assert uniform_code_retrievals(1000, [5, 4], 4) == pytest.approx(
        1000 * (1 / 32 + 1 / 16 + comb(5, 1) / 32 + comb(4, 1) / 16 + comb(5, 2) / 32))


def test_uniform_code_retrievals_match_a_simulation_with_uniform_codes():
    """For uniformly random codes the estimate is the expected number of ids read at the radius reached."""
    rng = np.random.default_rng(0)
    n, b = 1 << 14, 28
    codes = np.packbits(rng.integers(0, 2, (n, b), dtype=np.uint8), axis=1)
    Q = np.packbits(rng.integers(0, 2, (400, b), dtype=np.uint8), axis=1)
    index = MultiIndexHashing(np.unpackbits(codes, axis=1)[:, :b], n_substrings=2)
    index.search(np.unpackbits(Q, axis=1)[:, :b], 10)
    st = index.search_stats
    expected = uniform_code_retrievals(n, index.substring_lengths_, st.radius)
    ratio = st.n_retrieved.sum() / expected.sum()
    assert abs(ratio - 1) < 0.05, ratio  # 400 queries × hundreds of ids: a few per cent of sampling noise


def test_uniform_knn_radius_is_where_k_random_codes_are_expected():
    from math import comb as C

    for n, b, k in ((1000, 20, 10), (10**6, 64, 10), (2**20, 32, 1)):
        r = uniform_knn_radius(n, b, k)
        within = lambda r: n * sum(C(b, i) for i in range(r + 1)) / 2**b  # noqa: E731
        assert within(r) >= k and (r == 0 or within(r - 1) < k)
    assert uniform_knn_radius(2**20, 20, 1) == 0  # as many codes as the space holds: one at distance 0


def test_hamming_recall_counts_ties_and_skips_missing():
    true = np.array([[0, 1, 2], [1, 1, 3]])
    assert hamming_recall(true, true) == 1.0
    assert hamming_recall(np.array([[0, 2, 5], [1, -1, 3]]), true) == pytest.approx((2 + 2) / 6)


def test_loglog_slope_and_latencies():
    n = np.array([1e3, 1e4, 1e5, 1e6])
    alpha, c = loglog_slope(n, 3e-7 * n**0.4)
    assert alpha == pytest.approx(0.4) and np.exp(c) == pytest.approx(3e-7)
    rng = np.random.default_rng(1)
    db, Q = clustered_packed(rng, 3000, 5)
    lat = query_latencies(MultiIndexHashing(db, packed=True), Q, 3)
    assert lat.shape == (5,) and (lat > 0).all()


def test_scaling_curve_is_exact_and_reports_the_work():
    rng = np.random.default_rng(2)
    db, Q = clustered_packed(rng, 40000, 40)
    curve = scaling_curve(db, Q, [2000, 10000, 40000], k=10, n_latency=10)
    assert curve.exact
    assert curve.sizes.tolist() == [2000, 10000, 40000]
    assert (curve.retrieved <= curve.sizes).all() and (curve.candidates <= curve.retrieved).all()
    assert (np.diff(curve.kth) <= 0).all()  # a larger database only brings neighbours closer
    assert np.isfinite(curve.brute).all() and (curve.mih_median > 0).all()
    assert (curve.bytes_per_item > 8).all() and len(curve.stats) == 3
    assert (curve.uniform_knn > 0).all() and (np.diff(curve.uniform_knn) > 0).all()
    with pytest.raises(ValueError, match="sizes go up to"):
        scaling_curve(db, Q, [50000])


def test_ann_sweep_scores_exact_and_approximate_indexes():
    rng = np.random.default_rng(3)
    db, Q = clustered_packed(rng, 3000, 30)
    X = rng.normal(size=(3000, 16)).astype(np.float32)
    XQ = X[:30] + 0.01 * rng.normal(size=(30, 16)).astype(np.float32)
    pts = ann_sweep(db, Q, X, XQ, k=10)
    by = {(p.index, p.setting): p for p in pts}
    assert by[("IndexBinaryFlat", "exact")].recall == 1.0
    assert by[("IndexFlatL2", "exact")].recall == 1.0
    mih = [p for p in pts if "lshlab" in p.index]
    assert len(mih) == 1 and mih[0].recall == 1.0
    assert by[("IndexBinaryFlat", "exact")].bytes_per_item == pytest.approx(8, abs=0.5)
    assert by[("IndexFlatL2", "exact")].bytes_per_item == pytest.approx(64, abs=1)
    hnsw = [p for p in pts if p.index.startswith("IndexBinaryHNSW")]
    assert [p.recall for p in hnsw] == sorted(p.recall for p in hnsw)  # larger efSearch, higher recall
    assert all(0 <= p.recall <= 1 and p.qps > 0 and p.build_s >= 0 for p in pts)
    assert {p.family for p in pts} == {"binary codes", "float features"}


def test_cost_model_by_hand():
    cm = cost_model(1e10, 32, seconds_at=2e-3, n_at=1e8, alpha=0.5, ram_bytes=64 * 2**30, cores=16,
                    memory_fraction=0.75, overhead=1.5, brute_seconds_at=0.1)
    total = 1e10 * 32
    machines = int(np.ceil(total / (0.75 * 64 * 2**30)))
    assert cm.total_bytes == total and cm.machines == machines == 7 and cm.shards == 7 * 16
    per = 1e10 / cm.shards
    assert cm.items_per_shard == pytest.approx(per)
    assert cm.shard_seconds == pytest.approx(2e-3 * (per / 1e8) ** 0.5)
    assert cm.latency_seconds == pytest.approx(1.5 * cm.shard_seconds)
    assert cm.queries_per_second == pytest.approx(1 / cm.shard_seconds)
    assert cm.brute_shard_seconds == pytest.approx(0.1 * per / 1e8)


def test_plots_return_figures():
    sizes = np.array([1e4, 1e5, 1e6])
    for fig in (
        plot_time_vs_size(sizes, [1e-4, 2e-4, 4e-4], [1e-3, 1e-2, 1e-1], mih_mean=[2e-4, 4e-4, 9e-4],
                          seed_seconds=0.146, highlight=1),
        plot_candidates_vs_size(sizes, [100, 400, 1600], [80, 300, 1000], candidates=[90, 380, 1500], highlight=2,
                                uniform_knn=[50, 200, 700]),
        plot_latency_histogram(np.random.default_rng(0).lognormal(-7, 1, 300), seed_seconds=0.146),
        plot_real_vs_generated(np.random.default_rng(0).random((6, 16)), [0, 1, 2, 0, 1, 2],
                               np.random.default_rng(1).normal(size=(3, 16)), [2, 1, 0], image_shape=(4, 4)),
    ):
        assert isinstance(fig, Figure)
        plt.close(fig)
    from lshlab.scale import SweepPoint

    pts = [SweepPoint("binary codes", "A", "x=1", 0.5, 1e4, 16, 1.0), SweepPoint("binary codes", "A", "x=2", 0.9, 3e3, 16, 1.0),
           SweepPoint("float features", "B", "exact", 1.0, 500, 256, 0.0),
           SweepPoint("binary codes", "MultiIndexHashing (lshlab)", "m=2, exact", 1.0, 5e3, 30, 0.5)]
    _, axes = plt.subplots(1, 2)
    assert plot_recall_vs_qps(pts, ax=axes[0]) is axes[0].figure
    assert plot_memory_per_item(pts, ax=axes[1]) is axes[1].figure
    assert [t.get_text() for t in axes[1].get_yticklabels()][0].startswith("A")
    plt.close("all")


def test_scale_explorer_grid_live_update_and_draw():
    rng = np.random.default_rng(4)
    codes, queries = {}, {}
    for b in (32, 64):
        codes[b], queries[b] = clustered_packed(rng, 8000, 12, n_bits=b)
    data = prepare_scale(codes, queries, [1000, 3000, 8000], ks=(1, 10), n_queries=6, n_live=4)
    assert set(data.median_s) == {(32, 1), (32, 10), (64, 1), (64, 10)} and len(data.indexes) == 6
    res = update_scale(data, n_items=3000, n_bits=64, k=10)
    assert res.position == 1 and res.live_median_s > 0 and res.n_substrings == data.indexes[(64, 1)].n_substrings
    np.testing.assert_array_equal(res.median_s, data.median_s[(64, 10)])
    fig = Figure()
    axes = fig.subplots(1, 2)
    assert draw_scale(res, axes) is fig
    for bad in (dict(n_items=2000, n_bits=64, k=10), dict(n_items=3000, n_bits=16, k=10), dict(n_items=3000, n_bits=64, k=5)):
        with pytest.raises(ValueError):
            update_scale(data, **bad)
    explorer = scale_explorer(codes, queries, [1000, 8000], ks=(1, 10), n_queries=4, n_live=2)
    explorer.controls["n_bits"].value = 32
    assert explorer.result.n_bits == 32 and explorer.image.value
