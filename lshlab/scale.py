"""Measuring search at scale: latency per query, recall against queries per second, memory per item,
how the cost grows with the database, and a cost model from the measured figures to 10¹⁰ images.

Used by the scale lecture and ``benchmarks/bench_scale.py``, so both measure the same way.

* :func:`query_latencies` — one query at a time (the latency a user sees), not a batch average;
* :func:`scaling_curve` — multi-index hashing and brute force on growing prefixes of a database:
  median latency, candidates examined, radius reached, and the uniform-codes estimate of Norouzi et
  al. (:func:`uniform_code_retrievals`) beside the measured candidates;
* :func:`ann_sweep` — the indexes people deploy (faiss binary and float indexes, and multi-index
  hashing) on the same items: recall@k, queries per second, build time and bytes per item — the
  picture of ann-benchmarks (Aumüller, Bernhardsson & Faithfull, "ANN-Benchmarks: a benchmarking tool
  for approximate nearest neighbor algorithms", Information Systems 2020);
* :func:`loglog_slope` — the exponent α of ``t ∝ n^α`` fitted by least squares in log–log;
* :func:`cost_model` — machines, shards and latency for a target database size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from math import comb

import numpy as np

from ._validation import check_positive_int
from .search import HammingIndex, MultiIndexHashing, faiss_available

__all__ = [
    "query_latencies",
    "hamming_recall",
    "uniform_code_retrievals",
    "uniform_knn_radius",
    "ScalingCurve",
    "scaling_curve",
    "loglog_slope",
    "SweepPoint",
    "ann_sweep",
    "CostModel",
    "cost_model",
    "peak_memory_mb",
    "reset_peak_memory",
]


# ----------------------------------------------------------------------------- measurement helpers
def query_latencies(index, Q, k):
    """Seconds taken by ``index.search(Q[i:i+1], k)`` for every row ``i`` of ``Q`` (one query at a time)."""
    out = np.empty(len(Q))
    for i in range(len(Q)):
        t0 = time.perf_counter()
        index.search(Q[i : i + 1], k)
        out[i] = time.perf_counter() - t0
    return out


def reset_peak_memory():
    """Reset this process's peak resident memory (``VmHWM``; Linux ``/proc/self/clear_refs``). False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_memory_mb():
    """Peak resident memory of this process in MB (``VmHWM`` from ``/proc/self/status``), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def hamming_recall(dist, true_dist):
    """Recall@k of an approximate Hamming search, ties counted as correct.

    ``dist`` are the exact Hamming distances of the returned codes (n_queries, k), ``true_dist`` the
    exact k nearest distances.  A returned code counts when its distance is at most the true k-th
    distance (any code tied with the k-th neighbour is an equally correct answer); −1 / missing
    entries (distance < 0) never count.
    """
    dist, true_dist = np.asarray(dist), np.asarray(true_dist)
    ok = (dist >= 0) & (dist <= true_dist[:, -1:])
    return float(ok.sum(axis=1).mean() / true_dist.shape[1])


def uniform_code_retrievals(n, lengths, radius):
    """Expected ids retrieved by a multi-index search that stops after certifying ``radius``, if the
    ``n`` codes were uniformly distributed (Norouzi, Punjani & Fleet, TPAMI 2014, §5).

    The search has then done every step (ρ, j) with ``mρ + j ≤ radius``; step (ρ, j) probes the
    ``C(s_j, ρ)`` buckets at distance ρ in table j, each holding ``n / 2^{s_j}`` codes on average:

    .. math:: E[\\text{retrieved}] = \\sum_{(\\rho, j):\\, m\\rho + j \\le r} \\binom{s_j}{\\rho} \\frac{n}{2^{s_j}}

    With ``s = log2 n`` this is about ``m · n^{H(r/b)}`` (``H`` the binary entropy): sub-linear in
    ``n`` while ``r/b < 1/2``.

    Parameters
    ----------
    n : int
    lengths : sequence of int, the substring lengths ``s_j``
    radius : int or array of int, the certified radius per query (``MultiIndexStats.radius``)
    """
    lengths = [int(s) for s in lengths]
    m = len(lengths)
    r = np.atleast_1d(np.asarray(radius, dtype=np.int64))
    per_step = [[comb(s, rho) * n / 2.0**s for s in lengths] for rho in range(max(lengths) + 1)]
    out = np.empty(len(r))
    for i, ri in enumerate(r):
        out[i] = sum(per_step[rho][j] for rho in range(len(per_step)) for j in range(m) if m * rho + j <= ri)
    return out if np.ndim(radius) else float(out[0])


def uniform_knn_radius(n, n_bits, k):
    """Smallest radius r at which ``n`` uniformly random ``n_bits``-bit codes hold, on average, ``k``
    codes within Hamming distance r of a query: ``n · Σ_{i ≤ r} C(b, i) / 2^b ≥ k``.

    The radius a k-NN search reaches in the setting of Norouzi et al.'s analysis (uniform codes).
    """
    total = 0
    for r in range(int(n_bits) + 1):
        total += comb(int(n_bits), r)
        if int(n) * total >= int(k) * 2 ** int(n_bits):
            return r
    return int(n_bits)


def loglog_slope(n, t):
    """Least-squares slope α and intercept of ``log t = α log n + c`` (``t ∝ n^α``)."""
    x, y = np.log(np.asarray(n, dtype=np.float64)), np.log(np.asarray(t, dtype=np.float64))
    alpha, c = np.polyfit(x, y, 1)
    return float(alpha), float(c)


# ----------------------------------------------------------------------------- scaling with n
@dataclass
class ScalingCurve:
    """Per database size: multi-index hashing against brute force (faiss ``IndexBinaryFlat``).

    Times are seconds per query: ``mih_median`` / ``mih_mean`` over queries searched one at a time,
    ``brute`` = a batch of all queries divided by their number.  ``retrieved`` / ``candidates`` are the
    median ids read / distinct codes examined per query, ``uniform`` the median uniform-codes estimate
    of :func:`uniform_code_retrievals` at the radius each query reached, ``uniform_knn`` the same
    estimate for uniformly random codes at *their own* k-NN radius (:func:`uniform_knn_radius`) — the
    setting of Norouzi et al.'s analysis —, ``radius`` the median certified radius, ``kth`` the median
    k-th neighbour distance, ``m`` the substrings chosen.
    ``exact`` is True when multi-index hashing returned the brute-force answer for every query.
    """

    sizes: np.ndarray
    k: int
    mih_median: np.ndarray
    mih_mean: np.ndarray
    brute: np.ndarray
    retrieved: np.ndarray
    candidates: np.ndarray
    uniform: np.ndarray
    uniform_knn: np.ndarray
    radius: np.ndarray
    kth: np.ndarray
    m: np.ndarray
    build: np.ndarray
    bytes_per_item: np.ndarray
    exact: bool
    stats: list = field(default_factory=list)


def scaling_curve(codes, Q, sizes, k=10, *, n_latency=None, brute=True, n_substrings=None, prebuilt=None,
                  brute_threads=1):
    """Multi-index hashing and brute force on the prefixes ``codes[:n]`` for every ``n`` in ``sizes``.

    Parameters
    ----------
    codes : ndarray of uint8 (N, n_bytes), packed codes; the prefixes are the databases
    Q : ndarray of uint8 (n_queries, n_bytes), packed query codes
    sizes : increasing sizes, each ≤ N
    k : int
    n_latency : int or None
        Queries timed one at a time (default: all).
    brute : bool
        Time faiss ``IndexBinaryFlat`` (``HammingIndex(backend="faiss")``) too and check exactness
        against it; else ``brute`` is NaN and ``exact`` compares with the numpy brute force on the
        first 20 queries.
    n_substrings : int or None
        Passed to :class:`MultiIndexHashing` (None: its rule).
    prebuilt : dict n -> MultiIndexHashing, optional
        Indexes already built over ``codes[:n]`` (their build time is then NaN here).
    brute_threads : int
        OpenMP threads of the faiss scan while it is timed (default 1: one core, like the
        multi-index latencies, which search one query at a time on one thread).  The best of two
        batches is kept.

    Returns
    -------
    :class:`ScalingCurve`
    """
    prebuilt = dict(prebuilt or {})
    sizes = np.asarray(sorted(int(s) for s in sizes), dtype=np.int64)
    if sizes[-1] > len(codes):
        raise ValueError(f"sizes go up to {sizes[-1]} but only {len(codes)} codes were given")
    nl = len(Q) if n_latency is None else min(check_positive_int(n_latency, "n_latency"), len(Q))
    cols = {c: [] for c in ("mih_median", "mih_mean", "brute", "retrieved", "candidates", "uniform", "uniform_knn",
                            "radius", "kth", "m", "build", "bytes_per_item")}
    exact, stats = True, []
    use_faiss = brute and faiss_available()
    for n in sizes:
        t0 = time.perf_counter()
        index = prebuilt[n] if n in prebuilt else MultiIndexHashing(codes[:n], packed=True, n_substrings=n_substrings)
        cols["build"].append(np.nan if n in prebuilt else time.perf_counter() - t0)
        if index.n_database != n:
            raise ValueError(f"prebuilt[{n}] holds {index.n_database} codes, not {n}")
        dist, idx = index.search(Q, k)
        st = index.search_stats
        lat = query_latencies(index, Q[:nl], k)
        cols["mih_median"].append(np.median(lat))
        cols["mih_mean"].append(lat.mean())
        cols["retrieved"].append(np.median(st.n_retrieved))
        cols["candidates"].append(np.median(st.n_candidates))
        cols["uniform"].append(np.median(uniform_code_retrievals(n, index.substring_lengths_, st.radius)))
        r_uniform = uniform_knn_radius(n, index.n_bits, k)
        cols["uniform_knn"].append(uniform_code_retrievals(n, index.substring_lengths_, r_uniform))
        cols["radius"].append(np.median(st.radius))
        cols["kth"].append(np.median(dist[:, -1]))
        cols["m"].append(index.n_substrings)
        cols["bytes_per_item"].append(index.nbytes_ / n)
        stats.append(st)
        if use_faiss:
            import faiss

            ref = HammingIndex(codes[:n], packed=True, backend="faiss")
            threads = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(check_positive_int(brute_threads, "brute_threads"))
            try:
                best = np.inf
                for _ in range(2):
                    t0 = time.perf_counter()
                    rd, ri = ref.search(Q, k)
                    best = min(best, time.perf_counter() - t0)
            finally:
                faiss.omp_set_num_threads(threads)
            cols["brute"].append(best / len(Q))
        else:
            ref = HammingIndex(codes[:n], packed=True, backend="numpy")
            rd, ri = ref.search(Q[:20], k)
            dist, idx = dist[:20], idx[:20]
            cols["brute"].append(np.nan)
        exact &= bool(np.array_equal(rd, dist) and np.array_equal(ri, idx))
        del index, ref
    arrays = {c: np.asarray(v, dtype=np.float64) for c, v in cols.items()}
    arrays["m"] = arrays["m"].astype(np.int64)
    return ScalingCurve(sizes=sizes, k=k, exact=exact, stats=stats, **arrays)


# ----------------------------------------------------------------------------- the deployed indexes
@dataclass
class SweepPoint:
    """One index at one search setting: ``recall`` (recall@k), ``qps`` (queries per second, one batch,
    all threads), ``bytes_per_item`` (serialised faiss index or ``nbytes_``, divided by n), ``build_s``."""

    family: str  # "binary codes" or "float features"
    index: str
    setting: str
    recall: float
    qps: float
    bytes_per_item: float
    build_s: float


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _best_of(fn, repeat=2):
    """Result and the fastest of ``repeat`` timed calls, after one untimed warm-up call (threads, caches)."""
    fn()
    best, out = np.inf, None
    for _ in range(repeat):
        out, t = _timed(fn)
        best = min(best, t)
    return out, best


def _nlist(n):
    """IVF lists: about 4 √n (the faiss guideline), between 16 and 4096, and at most n / 40 so that the
    quantiser gets the 39 training points per list faiss asks for (it warns on stderr otherwise)."""
    return int(max(1, min(max(16, 4 * np.sqrt(n)), 4096, n // 40)))


def _binary_configs(n, n_bits):
    import faiss

    nlist = _nlist(n)
    return [
        ("IndexBinaryFlat", lambda: faiss.IndexBinaryFlat(n_bits), [("exact", None)]),
        (f"IndexBinaryMultiHash (2 × {n_bits // 2} bits)", lambda: faiss.IndexBinaryMultiHash(n_bits, 2, n_bits // 2),
         [(f"nflip={f}", ("nflip", f)) for f in (0, 1)]),
        (f"IndexBinaryIVF (nlist={nlist})", lambda: faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(n_bits), n_bits, nlist),
         [(f"nprobe={p}", ("nprobe", p)) for p in (1, 4, 16, 64)]),
        ("IndexBinaryHNSW (M=16)", lambda: faiss.IndexBinaryHNSW(n_bits, 16),
         [(f"efSearch={e}", ("efSearch", e)) for e in (16, 64, 256)]),
    ]


def _float_configs(n, d):
    import faiss

    nlist = _nlist(n)
    pq = max(1, d // 8)
    return [
        ("IndexFlatL2", lambda: faiss.IndexFlatL2(d), [("exact", None)]),
        ("IndexHNSWFlat (M=32)", lambda: faiss.IndexHNSWFlat(d, 32), [(f"efSearch={e}", ("efSearch", e)) for e in (16, 64, 256)]),
        (f"IndexIVFPQ (nlist={nlist}, {pq}×8 bits)", lambda: faiss.IndexIVFPQ(faiss.IndexFlatL2(d), d, nlist, pq, 8),
         [(f"nprobe={p}", ("nprobe", p)) for p in (1, 8, 32)]),
    ]


def _set(index, param):
    if param is None:
        return
    name, value = param
    if name == "efSearch":
        index.hnsw.efSearch = value
    else:
        setattr(index, name, value)


def _sweep_family(family, configs, data, train, queries, k, recall, serialize):
    """Build every index of a family (train, add), then time each search setting and score its recall."""
    points = []
    for name, make, settings in configs:
        index = make()
        _, build = _timed(lambda: (index.train(train) if not index.is_trained else None, index.add(data)))
        size = len(serialize(index)) / len(data)
        for setting, param in settings:
            _set(index, param)
            (_, idx), t = _best_of(lambda: index.search(queries, k))
            points.append(SweepPoint(family, name, setting, recall(idx), len(queries) / t, size, build))
        index = None  # free it before the next one is built
    return points


def ann_sweep(codes, query_codes, features=None, query_features=None, k=10, *, include_mih=True,
              train_size=100_000, random_state=0):
    """Recall@k, queries per second, memory and build time of the deployed indexes on the same items.

    Parameters
    ----------
    codes, query_codes : packed binary codes (uint8) of the database and the queries
    features, query_features : float32 features of the same items (e.g. PCA coordinates), optional
    k : int
    include_mih : bool
        Add :class:`~lshlab.search.MultiIndexHashing` (exact) to the binary family.
    train_size : int
        Items used to train IVF / PQ quantisers (a random sample, ``random_state``); raised to the 40
        points per list that faiss's k-means asks for.

    Returns
    -------
    list of :class:`SweepPoint`
        Binary indexes are scored against the exact Hamming neighbours (ties counted, see
        :func:`hamming_recall`), float indexes against the exact Euclidean neighbours (overlap of
        the id sets).
    """
    import faiss

    n, n_bits = len(codes), 8 * codes.shape[1]
    rng = np.random.default_rng(random_state)
    sample = rng.choice(n, size=min(max(train_size, 40 * _nlist(n)), n), replace=False)
    points = []
    exact = faiss.IndexBinaryFlat(n_bits)
    exact.add(codes)
    true_d, _ = exact.search(query_codes, k)
    Qu = np.unpackbits(query_codes, axis=1)

    def real_hamming(idx):  # exact distances of the returned ids (−1 where nothing was returned)
        safe = np.where(idx >= 0, idx, 0)
        d = (np.unpackbits(codes[safe.ravel()], axis=1).reshape(*idx.shape, -1) != Qu[:, None, :]).sum(-1)
        return np.where(idx >= 0, d, -1)

    points += _sweep_family("binary codes", _binary_configs(n, n_bits), codes, codes[sample], query_codes, k,
                            lambda idx: hamming_recall(real_hamming(idx), true_d), faiss.serialize_index_binary)
    if include_mih:
        mih, build = _timed(lambda: MultiIndexHashing(codes, packed=True))
        (d, _), t = _best_of(lambda: mih.search(query_codes, k))
        points.append(SweepPoint("binary codes", "MultiIndexHashing (lshlab)", f"m={mih.n_substrings}, exact",
                                 hamming_recall(d, true_d), len(query_codes) / t, mih.nbytes_ / n, build))
        del mih
    if features is not None:
        X = np.ascontiguousarray(features, dtype=np.float32)
        XQ = np.ascontiguousarray(query_features, dtype=np.float32)
        flat = faiss.IndexFlatL2(X.shape[1])
        flat.add(X)
        _, true_i = flat.search(XQ, k)
        points += _sweep_family("float features", _float_configs(n, X.shape[1]), X, X[sample], XQ, k,
                                lambda idx: float(np.mean([np.intersect1d(a, b).size for a, b in zip(idx, true_i)]) / k),
                                faiss.serialize_index)
    return points


# ----------------------------------------------------------------------------- cost model
@dataclass
class CostModel:
    """Sizing for ``n_items`` (see :func:`cost_model` for the formulas)."""

    n_items: float
    bytes_per_item: float
    total_bytes: float
    machines: int
    shards: int
    items_per_shard: float
    shard_seconds: float
    latency_seconds: float
    queries_per_second: float
    brute_shard_seconds: float


def cost_model(n_items, bytes_per_item, seconds_at, n_at, alpha, *, ram_bytes=64 * 2**30, cores=16,
               memory_fraction=0.75, overhead=1.0, brute_seconds_at=None):
    """Machines, shards and time per query to search ``n_items`` codes, extrapolated from measurements.

    * memory: ``total = n_items · bytes_per_item``; ``machines = ⌈total / (memory_fraction · ram_bytes)⌉``;
      one shard per core, ``shards = machines · cores``, ``items_per_shard = n_items / shards``;
    * time of one shard: ``t_shard = seconds_at · (items_per_shard / n_at)^α`` — the fitted law
      ``t ∝ n^α`` of the measurements (α < 1: sub-linear), used within the range it was fitted on or
      a little beyond;
    * a query visits every shard in parallel: ``latency = overhead · t_shard`` (``overhead`` = the
      measured factor of the sharded search over one index, merging and network included);
    * throughput: each core answers ``1 / t_shard`` queries per second for its shard, and every query
      needs all shards, so the cluster answers ``cores · machines / (shards · t_shard) = 1 / t_shard``
      queries per second — adding machines for memory does not add throughput; replicas do.
    * brute force for comparison: ``brute_seconds_at · items_per_shard / n_at`` (linear).

    Returns
    -------
    :class:`CostModel`
    """
    total = float(n_items) * float(bytes_per_item)
    machines = max(1, int(np.ceil(total / (memory_fraction * ram_bytes))))
    shards = machines * int(cores)
    per_shard = float(n_items) / shards
    t_shard = float(seconds_at) * (per_shard / float(n_at)) ** float(alpha)
    brute = np.nan if brute_seconds_at is None else float(brute_seconds_at) * per_shard / float(n_at)
    return CostModel(float(n_items), float(bytes_per_item), total, machines, shards, per_shard, t_shard,
                     float(overhead) * t_shard, 1.0 / t_shard, brute)
