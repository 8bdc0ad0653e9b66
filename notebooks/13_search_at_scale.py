# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 13 — Search at scale: 80 million codes on one machine, shards beyond it
#
# Every lecture so far searched at most 60,000 images, and a linear scan of their codes took
# milliseconds. Hashing exists because real collections are larger by five orders of magnitude. This
# lecture takes the course to 80 million items — the size of the "80 million tiny images" collection
# (Torralba, Fergus & Freeman, TPAMI 2008) — measures what an exact search costs there, and shows how
# the same search is spread over several machines.
#
# ## What you will learn
#
# - **See**: the memory budget that makes small codes necessary; 80 million 64-bit codes generated from
#   a model of Fashion-MNIST; exact 10-nearest-neighbour search among them in milliseconds; time per
#   query against database size on a log–log plot — a straight line of slope 1 for the linear scan, a
#   much flatter one for multi-index hashing; the recall / speed / memory trade-offs of the indexes
#   people deploy; the same search sharded over a Dask cluster.
# - **Do**: check the budget arithmetic of small codes, reproduce the claim "80 million images searched in
#   0.146 s" with an exact method, fit the growth exponent of each method, read an ann-benchmarks plot,
#   size a cluster for 10¹⁰ images from your own measurements, and move the sliders of an explorer.
# - **Learn**: why the pigeonhole principle lets short substrings certify an exact answer; why the cost
#   grows sub-linearly and where the theory's assumptions (uniform codes) fail on real images; why an
#   exact method can beat approximate ones on short codes; why sharding buys memory, not speed.
# - **Need**: lecture 09 (ITQ codes), lecture 02 (hash tables). Full size generates 80 million codes and
#   needs about 6 GB of memory and about 3 minutes on a quiet 2-core machine (3 min 8 s measured; 10½
#   minutes on one busy with other work) — generating the codes, building the index and the index
#   comparison of section 5 take most of it; `LSHLAB_SIZE=small` stays at one million.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distributed import ShardedIndex, encode, synthetic_images
from lshlab.hashing import ITQHash
from lshlab.scale import ann_sweep, cost_model, loglog_slope, query_latencies, scaling_curve
from lshlab.search import HammingIndex, MultiIndexHashing
from lshlab.synthetic import GaussianImageModel, code_database, database_features, synthetic_codes
from lshlab.widgets import scale_explorer

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %% [markdown]
# One parameter cell: full size by default, `LSHLAB_SIZE=small` (CI) keeps every database at or below
# one million codes.

# %%
N_ITEMS = param("N_ITEMS", full=80_000_000, small=1_000_000)
SIZES = [int(float(s)) for s in param("SIZES", full="1e5,1e6,1e7,8e7", small="3e4,1e5,3e5,1e6").split(",")]
N_QUERY = param("N_QUERY", full=1000, small=300)  # real test images used as queries
N_LATENCY = param("N_LATENCY", full=300, small=100)  # of them, timed one query at a time
N_CURVE = param("N_CURVE", full=100, small=100)  # queries of the brute-force scans along the size axis
N_ANN = param("N_ANN", full=200_000, small=10_000)  # items of the recall / speed / memory comparison
N_DASK = param("N_DASK", full=10_000_000, small=200_000)  # codes sharded over the local Dask cluster
WIDGET_SIZES = [int(float(s)) for s in param("WIDGET_SIZES", full="1e4,3e4,1e5,3e5,1e6", small="1e4,3e4,1e5").split(",")]
N_FIT = param("N_FIT", full=60_000, small=15_000)  # training images that fit the model and the hashers
N_BITS, K, SEED = 64, 10, 0
assert SIZES[-1] == N_ITEMS and max(WIDGET_SIZES) <= N_ITEMS

# %% [markdown]
# ## 1. The budget
#
# Zhiyong Wu's lecture slides "Hashing representation learning" (Tsinghua University, Shenzhen
# International Graduate School) open the topic with two numbers: around 2010 Facebook held about 10¹⁰
# images, and a PC had about 10 GB of memory, 10¹¹ bits. If the index must live in memory (a disk seek
# costs milliseconds), that leaves **about 10 bits per image**. They then quote Torralba, Fergus & Weiss,
# "Small codes and large image databases for recognition" (CVPR 2008): **80 million images (~300 GB)
# become 120 MB of codes, searched in 0.146 s**. The images are the 32 × 32 colour "tiny images" of
# Torralba, Fergus & Freeman, "80 million tiny images", TPAMI 2008. Let us do the arithmetic.

# %%
budget = {
    "bits per image, 10¹¹ bits for 10¹⁰ images": 1e11 / 1e10,
    "bytes per tiny image, 300 GB / 80 M": 300e9 / 80e6,
    "bytes of a 32×32 colour image": 32 * 32 * 3,
    "bits per code implied by 120 MB / 80 M": 120e6 * 8 / 80e6,
    "MB of 80 M codes of 64 bits (this lecture)": 80e6 * 8 / 1e6,
    "compression of 300 GB into 64-bit codes": 300e9 / (80e6 * 8),
}
for name, value in budget.items():
    print(f"{name:45s} {value:12,.1f}")

# %%
assert budget["bits per image, 10¹¹ bits for 10¹⁰ images"] == 10
assert abs(budget["bytes per tiny image, 300 GB / 80 M"] - budget["bytes of a 32×32 colour image"]) < 1000

# %%
display(Markdown(
    f"**What the numbers say.** A tiny image takes {budget['bytes per tiny image, 300 GB / 80 M']:,.0f} bytes "
    f"(a 32 × 32 colour image is {budget['bytes of a 32×32 colour image']:,} bytes, plus metadata). The slide's "
    f"120 MB for 80 M images means {budget['bits per code implied by 120 MB / 80 M']:.0f} bits per image — the "
    f"10-bit budget itself. Our 64-bit codes take {budget['MB of 80 M codes of 64 bits (this lecture)']:,.0f} MB: "
    f"{budget['MB of 80 M codes of 64 bits (this lecture)'] / 120:.1f} times the slide's figure, "
    f"{budget['compression of 300 GB into 64-bit codes']:,.0f} times smaller than "
    "the images, and comfortably inside today's memory."))

# %% [markdown]
# ## 2. Eighty million images that behave like Fashion-MNIST
#
# Fashion-MNIST has 70,000 images. We keep all 60,000 training images as the first rows of the
# database and use real test images as queries, and **generate** the rest from a simple model fitted on
# the training images:
#
# 1. PCA: mean image $m$ and the top $p = 64$ principal directions $V$; an image's coordinates are
#    $z = V^\top(x - m)$.
# 2. For each class $c$: its frequency $\pi_c$, and the mean $\mu_c$ and covariance $\Sigma_c$ of the
#    coordinates of its images.
# 3. A generated item: class $c \sim \pi$, coordinates $z = \mu_c + L_c e$ with $e \sim N(0, I)$ and
#    $\Sigma_c = L_c L_c^\top$, image $x = m + Vz$.
#
# The codes are 64-bit ITQ codes (lecture 09), $b(x) = \mathbb{1}[W^\top(x - \mu) \ge 0]$. The code is
# linear in the image, so it can be computed from $e$ without ever forming the 784 pixels:
# $W^\top(x - \mu) = (L_c^\top V^\top W)^\top e + W^\top(m + V\mu_c - \mu)$, a 64 × 64 product per item.
# That is how 80 million codes are generated in minutes, chunk by chunk, with only the codes in memory.
#
# What the stand-in keeps: the ten classes, the shape of each class in the 64 main directions (the share
# of the pixel variance they carry is printed below), and therefore how crowded the neighbourhood of a
# real query becomes as the database grows. What it does not: fine detail outside those directions, the several styles within a
# class (each class is one ellipsoid), and real duplicates. It is a stand-in for *scale*, not a model of
# clothing.

# %%
ds = load_dataset("fashion-mnist", n_query=N_QUERY, seed=SEED)
model = GaussianImageModel(n_components=64).fit(ds.X_train[:N_FIT], ds.y_train[:N_FIT])
hasher = ITQHash(N_BITS, random_state=SEED).fit(ds.X_train[:N_FIT])
X_gen, y_gen = model.sample(2000, random_state=SEED)
plots.plot_real_vs_generated(ds.X_train, ds.y_train, X_gen, y_gen, class_names=ds.classes)
plt.show()
print(f"variance kept by {model.components_.shape[1]} directions: {model.explained_variance_ratio_:.3f}")

# %% [markdown]
# Before generating 80 million codes, check on 2,000 items that the shortcut through $e$ gives the codes
# of the reconstructed images (the two differ only where a projection is within float rounding of 0).

# %%
shortcut, _ = synthetic_codes(model, hasher, 2000, random_state=SEED)
agree = float((np.unpackbits(shortcut, axis=1) == hasher.transform(X_gen)).mean())
print(f"bits equal to hashing the generated images: {agree:.6f}")
assert agree > 0.9999

# %%
t0 = time.perf_counter()
db = code_database(model, [hasher], ds.X_train, ds.y_train, ds.X_query, ds.y_query, N_ITEMS, random_state=SEED)
gen_seconds = time.perf_counter() - t0
codes, Q = db.codes[N_BITS], db.query_codes[N_BITS]
display(Markdown(
    f"**What the numbers say.** {db.n_items:,} codes ({db.n_real:,} real, the rest generated) in "
    f"{gen_seconds:.0f} s — {db.n_items / gen_seconds / 1e6:.2f} million codes per second — holding "
    f"{codes.nbytes / 2**20:,.0f} MiB. The 784-pixel images would take {db.n_items * 784 * 4 / 2**30:,.0f} GiB "
    "as float32; they were never built."))

# %% [markdown]
# ## 3. Torralba's claim, reproduced exactly
#
# A linear scan reads every code for every query. **Multi-index hashing** (Norouzi, Punjani & Fleet,
# "Fast search in Hamming space with multi-index hashing", CVPR 2012) avoids it with the pigeonhole
# principle. Cut each 64-bit code into $m$ disjoint substrings. If two codes differ in at most $r$ bits,
# then
#
# $$\|h - g\|_H \le r \;\Rightarrow\; \exists\, j:\ \|h^{(j)} - g^{(j)}\|_H \le \lfloor r/m \rfloor ,$$
#
# because $m$ substrings each differing in more than $\lfloor r/m\rfloor$ bits differ in at least
# $m(\lfloor r/m\rfloor + 1) > r$ bits in total. So one hash table per substring, probed within a tiny
# radius around the query's substring, finds every code within $r$. For k nearest neighbours the radius
# grows step by step; after probing substring radius $\rho$ in tables $1 \dots j$ (and $\rho - 1$ in the
# others), every code not yet seen is at distance at least $m\rho + j$, so the search stops as soon as
# the k-th best distance found is below that bound — the answer is **exact**, ties broken by database
# index like every search in the course. `MultiIndexHashing` picks $m$ so that substrings have at
# least $\log_2 n$ bits (its choice is printed below).

# %%
t0 = time.perf_counter()
index = MultiIndexHashing(codes, packed=True)
build_seconds = time.perf_counter() - t0
latencies = query_latencies(index, Q[:N_LATENCY], K)
dist, idx = index.search(Q, K)
stats = index.search_stats
print(f"m = {index.n_substrings} substrings of {index.substring_lengths_.tolist()} bits, built in {build_seconds:.1f} s, "
      f"{index.nbytes_ / index.n_database:.1f} bytes per code")

# %%
plots.plot_latency_histogram(latencies, seed_seconds=0.146,
                             title=f"Exact {K}-NN among {N_ITEMS:,} codes, one query at a time")
plt.show()

# %%
median_ms = 1e3 * np.median(latencies)
same_class = float((db.labels[idx] == db.query_labels[:, None]).mean())
display(Markdown(
    f"**What the numbers say.** Median time per exact {K}-NN query: **{median_ms:.2f} ms**, "
    f"{0.146e3 / median_ms:.0f} times under the slide's 0.146 s (on one core of a shared 2-core machine). The "
    f"mean, {1e3 * latencies.mean():.1f} ms, is pulled up by a tail of queries in crowded regions, whose "
    f"buckets hold many codes. A typical query reads {np.median(stats.n_retrieved):,.0f} codes — "
    f"{np.median(stats.n_retrieved) / N_ITEMS:.1e} of the database. Its {K} neighbours are at median Hamming "
    f"distance {np.median(dist[:, -1]):.0f}: at this size most queries have exact copies of their code. "
    f"{100 * same_class:.0f} % of the neighbours share the query's class."))

# %%
assert np.median(latencies) < 0.146, "exact search at this size must beat the slide's 0.146 s"

# %% [markdown]
# ## 4. Time per query against database size
#
# The same measurement on prefixes of the database, with the brute-force scan (faiss
# `IndexBinaryFlat`) beside it. `scaling_curve` also checks that multi-index hashing returns exactly the
# brute-force answer at every size. Norouzi et al. (TPAMI 2014, §5) analyse the cost for **uniformly
# distributed** codes: with substrings of $s$ bits a bucket holds $n/2^s$ codes, and a search that
# reached radius $r$ reads on average
#
# $$E[\text{codes read}] = \sum_{(\rho, j):\ m\rho + j \le r} \binom{s_j}{\rho} \frac{n}{2^{s_j}}
# \;\approx\; m\, n^{H(r/b)}\quad\text{for } s = \log_2 n,$$
#
# with $H$ the binary entropy — sub-linear in $n$ as long as $r < b/2$. We plot that estimate twice
# beside the measured count: for uniformly random codes at *their own* 10-NN radius (the paper's setting:
# with $n \cdot \sum_{i \le r}\binom{b}{i}/2^b \ge k$, the radius at which k random codes are expected
# within reach), and at the radius each of our queries actually reached.

# %%
curve = scaling_curve(codes, Q[:N_CURVE], SIZES, K, n_latency=N_LATENCY, prebuilt={N_ITEMS: index})
fig, axes = plt.subplots(1, 2, figsize=(13, 6.4), layout="constrained")
plots.plot_time_vs_size(curve.sizes, curve.mih_median, curve.brute, ax=axes[0], mih_mean=curve.mih_mean, seed_seconds=0.146)
plots.plot_candidates_vs_size(curve.sizes, curve.retrieved, curve.uniform, ax=axes[1], candidates=curve.candidates,
                              uniform_knn=curve.uniform_knn, legend_loc="below")
plt.show()

# %%
alpha_mih, _ = loglog_slope(curve.sizes, curve.mih_median)
alpha_mean, _ = loglog_slope(curve.sizes, curve.mih_mean)
alpha_brute, _ = loglog_slope(curve.sizes, curve.brute)
alpha_read, _ = loglog_slope(curve.sizes, curve.retrieved)
print(f"slopes: brute force {alpha_brute:.2f}, MIH median {alpha_mih:.2f}, MIH mean {alpha_mean:.2f}, codes read {alpha_read:.2f}")
print("substrings m:", curve.m.tolist(), " median radius:", curve.radius.tolist(), " median k-th distance:", curve.kth.tolist())

# %% [markdown]
# The claims, tested. Exactness at every size. Brute force is linear: its fitted slope must be close to
# 1 — we allow down to 0.8, because at the smallest sizes the codes sit in the processor's cache and a
# scan is cheaper per code than at the largest size. Multi-index hashing must grow clearly slower than
# linearly: a median-time slope below 0.6, and at least 0.3 below the scan's. The margins are wide on
# purpose: one query takes milliseconds, and on a shared machine another process can double a
# measurement, which moves a slope fitted over three decades by about log 2 / log 1000 ≈ 0.1.

# %%
assert curve.exact, "multi-index hashing must return exactly the brute-force neighbours at every size"
assert alpha_brute > 0.8
assert alpha_mih < 0.6 and alpha_mih < alpha_brute - 0.3

# %%
faster = np.flatnonzero(curve.mih_median < curve.brute)
if faster.size == 0:
    crossover = "The scan stays faster over these sizes."
elif faster[0] == 0:
    crossover = "Multi-index hashing is faster than the scan at every size measured."
else:
    crossover = (f"Multi-index hashing is faster than the scan from {curve.sizes[faster[0]]:,} codes on; below, "
                 "reading every code of a small database costs less than probing buckets.")
display(Markdown(
    f"**What the numbers say.** A {SIZES[-1] // SIZES[0]:,}-fold larger database costs the linear scan "
    f"{curve.brute[-1] / curve.brute[0]:,.0f} times more per query (slope {alpha_brute:.2f}) and multi-index "
    f"hashing {curve.mih_median[-1] / curve.mih_median[0]:,.1f} times more (slope {alpha_mih:.2f}). At "
    f"{SIZES[-1]:,} codes the scan takes {1e3 * curve.brute[-1]:,.1f} ms per query, multi-index hashing "
    f"{1e3 * curve.mih_median[-1]:.2f} ms (median). {crossover} "
    f"The codes read grow with slope {alpha_read:.2f}; at the largest size a query reads {curve.retrieved[-1]:,.0f} "
    f"codes, where uniformly distributed codes would give {curve.uniform[-1]:,.2g} at the same radius and "
    f"{curve.uniform_knn[-1]:,.0f} at their own 10-NN radius (slope {loglog_slope(curve.sizes, curve.uniform_knn)[0]:.2f}). "
    "Learned codes of real images are anything but uniform: many images share a code, so the buckets near a "
    "query are crowded — and, for the same reason, the neighbours are close, so the radius stays small "
    f"(median {curve.radius[-1]:.0f} bit(s)). The two effects pull in opposite directions; the net cost still "
    "grows far slower than n."))

# %% [markdown]
# ## 5. What the approximate indexes buy
#
# Multi-index hashing is exact. The indexes deployed in practice are mostly approximate: they trade
# recall for speed or memory. The standard picture (Aumüller, Bernhardsson & Faithfull, "ANN-Benchmarks:
# a benchmarking tool for approximate nearest neighbor algorithms", Information Systems 2020) plots
# recall@10 against queries per second, one line per index through its search parameter. We put on the
# same items the faiss indexes over the **codes** — `IndexBinaryFlat` (scan), `IndexBinaryMultiHash`
# (multi-index hashing without the certificate: a fixed flip radius `nflip`), `IndexBinaryIVF`
# (clusters, `nprobe` of them searched), `IndexBinaryHNSW` (a navigable small-world graph, Malkov &
# Yashunin 2018) — and over **float features** (the 64 PCA coordinates of the same items):
# `IndexFlatL2`, `IndexHNSWFlat` and `IndexIVFPQ` (product quantisation, Jégou, Douze & Schmid 2011).

# %%
Z = database_features(model, ds.X_train, N_ANN, db.n_items, random_state=SEED)
ZQ = database_features(model, ds.X_query, len(Q), len(Q))
points = ann_sweep(codes[:N_ANN], Q, Z, ZQ, K)
fig = plt.figure(figsize=(10, 10), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[1.4, 1])  # own layouts: long bar labels do not narrow the top
plots.plot_recall_vs_qps(points, ax=top.subplots(), title=f"Recall@10 against queries/s, {N_ANN:,} items")
plots.plot_memory_per_item(points, ax=bottom.subplots())
plt.show()

# %%
by_name = {(p.index, p.setting): p for p in points}
mih_point = next(p for p in points if "lshlab" in p.index)
flat_point = by_name[("IndexBinaryFlat", "exact")]
good = [p for p in points if p.recall >= 0.95 and "lshlab" not in p.index and p.setting != "exact"]
best = max(good, key=lambda p: p.qps) if good else None
assert mih_point.recall == 1.0 and flat_point.recall == 1.0
if N_ANN >= 100_000:  # below about 10⁵ codes a scan is as cheap as probing (section 4 shows where they cross)
    assert mih_point.qps > flat_point.qps

# %%
display(Markdown(
    f"**What the numbers say.** On {N_ANN:,} items, exact multi-index hashing answers "
    f"{mih_point.qps:,.0f} queries/s against {flat_point.qps:,.0f} for the exact scan, with "
    f"{mih_point.bytes_per_item:.0f} bytes per item against the scan's {flat_point.bytes_per_item:.0f}. "
    + (f"The fastest approximate setting with recall ≥ 0.95 is {best.index} ({best.setting}): "
       f"{best.qps:,.0f} queries/s at recall {best.recall:.3f}, {best.bytes_per_item:.0f} bytes per item. "
       if best else "No approximate setting reached recall 0.95. ")
    + "Graph indexes (HNSW) buy speed with memory — hundreds of bytes of links per item; product quantisation "
    "buys memory with recall; on short codes of clustered data, an exact method is competitive with both."))

# %% [markdown]
# ## 6. A cost model to 10¹⁰ images
#
# Take the measured figures — bytes per item of the index, time per query at the largest size we ran,
# and the fitted growth exponent — and size a cluster for 10¹⁰ images (`cost_model`):
#
# * memory $= n \cdot$ bytes per item; machines $= \lceil$ memory / (75 % of 64 GiB) $\rceil$;
# * one shard per core (16 per machine), so each shard holds $n / \text{shards}$ codes;
# * a shard answers in $t(n_\text{shard}) = t(n_\text{measured}) \cdot (n_\text{shard} / n_\text{measured})^\alpha$;
# * every query visits every shard in parallel, so the latency is one shard's time (plus the merge), and
#   the throughput of the whole cluster is $1 / t(n_\text{shard})$ queries per second: machines added for
#   memory do not add throughput — replicas of the whole index do.

# %%
bytes_per_item = index.nbytes_ / index.n_database
model_1e10 = cost_model(1e10, bytes_per_item, seconds_at=curve.mih_median[-1], n_at=curve.sizes[-1],
                        alpha=alpha_mih, brute_seconds_at=curve.brute[-1])
rows = [("index bytes per item (measured)", f"{bytes_per_item:.1f}"),
        ("memory for 10¹⁰ items", f"{model_1e10.total_bytes / 2**40:.2f} TiB"),
        ("machines (64 GiB, 16 cores)", f"{model_1e10.machines}"),
        ("shards (one per core)", f"{model_1e10.shards}"),
        ("codes per shard", f"{model_1e10.items_per_shard:,.0f}"),
        ("time per query, one shard (multi-index hashing)", f"{1e3 * model_1e10.shard_seconds:.2f} ms"),
        ("time per query, one shard (linear scan)", f"{1e3 * model_1e10.brute_shard_seconds:.1f} ms"),
        ("queries/s of the cluster", f"{model_1e10.queries_per_second:,.0f}")]
display(Markdown("| quantity | value |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)))

# %%
assert model_1e10.shard_seconds < model_1e10.brute_shard_seconds

# %%
inside = SIZES[0] <= model_1e10.items_per_shard <= SIZES[-1]
display(Markdown(
    f"**What the numbers say.** The exponent α = {alpha_mih:.2f} was fitted on {SIZES[0]:,} … {SIZES[-1]:,} codes; a "
    f"shard of the 10¹⁰-image cluster holds {model_1e10.items_per_shard:,.0f}, "
    + ("inside that range: the model interpolates. " if inside else "outside that range: the model extrapolates, "
       "so treat its time as an order of magnitude. ")
    + f"{model_1e10.machines} machines hold the index; a query would take about "
    f"{1e3 * model_1e10.shard_seconds:.2f} ms per shard against {1e3 * model_1e10.brute_shard_seconds:.0f} ms for "
    "a linear scan of the same shard. What the model leaves out: the network, the merge on the client, and "
    "stragglers (the slowest shard sets the latency). The next section measures those on a real — if local — "
    "cluster."))

# %% [markdown]
# ## 7. The same search, sharded on Dask
#
# `ShardedIndex` cuts the codes into one block per worker, sends each block once (`client.scatter`),
# builds a multi-index hashing table **on the worker** that holds the block, and answers a batch of
# queries by sending it to every shard and merging the shards' top-k on the client by (distance, global
# index) — the exact answer of one index over all codes. Here the cluster is two local worker processes;
# pointing the same code at a real cluster is one argument: `ShardedIndex(codes, "tcp://scheduler:8786")`.
# If a worker dies mid-query, the lost shards are rebuilt on the survivors and the query repeated — never a
# partial answer.

# %%
single = MultiIndexHashing(codes[:N_DASK], packed=True, n_jobs=2)
with ShardedIndex(codes[:N_DASK], client=None, packed=True) as sharded:
    timings = {"sharded": [], "single": []}
    for _ in range(3):
        for name, ix in (("sharded", sharded), ("single", single)):
            t0 = time.perf_counter()
            result = ix.search(Q, K)
            timings[name].append(time.perf_counter() - t0)
            if name == "sharded":
                sharded_result = result
    n_workers = len(sharded.client.scheduler_info()["workers"])
single_result = single.search(Q, K)
overhead = min(timings["sharded"]) / min(timings["single"])

# %%
assert np.array_equal(sharded_result[0], single_result[0]) and np.array_equal(sharded_result[1], single_result[1])
display(Markdown(
    f"**What the numbers say.** {n_workers} local workers, {N_DASK:,} codes, batches of {len(Q)} queries: the "
    f"sharded search takes {min(timings['sharded']):.2f} s per batch against {min(timings['single']):.2f} s for "
    f"one index using the same two cores — a factor of **{overhead:.2f}**, and identical answers. The factor "
    "includes sending the queries, serialising results between processes, and the merge. With the measured "
    f"overhead, the 10¹⁰-image cluster of section 6 would answer in about "
    f"{1e3 * overhead * model_1e10.shard_seconds:.1f} ms."))

# %% [markdown]
# Encoding at scale goes through Dask too: `encode(hasher, X)` applies the fitted hasher to every chunk
# of a Dask array where the chunk lives (the pattern of dask-ml's `ParallelPostFit`), and
# `synthetic_images` lets each worker generate its own chunk of images. A small check that the codes are
# those of encoding in memory:

# %%
X_dask = synthetic_images(model, 20_000, chunk_rows=5_000, random_state=1)
dask_codes = encode(hasher, X_dask).compute()
assert np.array_equal(dask_codes, hasher.transform(model.sample(20_000, random_state=1, chunk_rows=5_000)[0], packed=True))

# %% [markdown]
# ## 8. Explore: database size, code length and k
#
# The explorer measured a grid once — multi-index hashing over growing prefixes of a database (the sizes
# of `WIDGET_SIZES`), with 32-, 64- and 128-bit ITQ codes of the same items — and searches the chosen
# index **live** as you move a slider.
# Watch how longer codes (128 bits) need many more substrings and read more codes, how a larger k pushes
# the radius out, and where brute force overtakes multi-index hashing.

# %%
hashers = [ITQHash(b, random_state=SEED).fit(ds.X_train[:N_FIT]) for b in (32, 128)] + [hasher]
wdb = code_database(model, hashers, ds.X_train, ds.y_train, ds.X_query, ds.y_query, max(WIDGET_SIZES), random_state=SEED)
explorer = scale_explorer(wdb.codes, wdb.query_codes, WIDGET_SIZES, ks=(1, 10, 100))
display(explorer)

# %%
res = explorer.result
assert res.n_bits == 64 and res.live_median_s > 0 and explorer.timings["update_ms"] < 2000

# %% [markdown]
# ## Key takeaways
#
# - Memory sets the budget: 10¹⁰ images in 10¹¹ bits is 10 bits each. Short binary codes make a
#   web-scale collection fit in RAM; 64 bits per image put 80 million images in 640 MB.
# - Exact search does not have to scan: multi-index hashing certifies the k nearest neighbours with the
#   pigeonhole principle, reading a tiny fraction of the codes. Its cost grows sub-linearly with the
#   database, with the exponent measured here.
# - Theory assumes uniform codes; codes of real images are clustered and full of duplicates. Measure.
# - Approximate indexes trade recall for speed (IVF, HNSW) or for memory (PQ); graph indexes cost
#   hundreds of bytes per item. Plot recall against queries per second on your own data before choosing.
# - Beyond one machine, shard by rows and merge top-k lists exactly. Sharding buys memory; replicas buy
#   throughput.

# %% [markdown]
# ## Exercises
#
# 1. **The 10-bit budget.** Rebuild the database with 16- and 32-bit ITQ codes and search it with
#    `MultiIndexHashing`. How does the time per query change, and what happens to the fraction of the 10
#    neighbours that share the query's class? Is 10 bits per image enough for Fashion-MNIST?
#    <details><summary>Hint</summary>`code_database(model, [ITQHash(16, random_state=0).fit(ds.X_train)], …)`;
#    measure class agreement with `(db.labels[idx] == db.query_labels[:, None]).mean()`. Very short codes
#    collide massively: the k nearest are all at distance 0 and ties decide.</details>
# 2. **Choosing m.** At 10 million codes, time `MultiIndexHashing(..., n_substrings=m)` for m = 2, 3, 4 and
#    plot time against m. Does Norouzi's rule m ≈ b / log₂ n pick the fastest? Why might clustered codes
#    prefer longer substrings than uniform ones?
#    <details><summary>Hint</summary>Look at `index.search_stats.n_retrieved` and `n_lookups` for each m:
#    short substrings mean fewer lookups per radius but fuller buckets.</details>
# 3. **Radius search.** Use `index.search_radius(Q[:100], r)` for r = 0 … 6 and plot the mean number of
#    results against r. How many exact duplicates does a typical query have among 80 million codes?
#    <details><summary>Hint</summary>r = 0 returns the exact copies; compare with the real-only database
#    (`codes[:60000]`) to see what the generated items add.</details>
# 4. **Your own cost model.** Re-run `cost_model` with the memory and cores of a machine you know, and with
#    the *mean* latency instead of the median. Which of the two should a service level be based on?
#    <details><summary>Hint</summary>A query touching every shard waits for the slowest one: the tail of
#    the latency histogram matters more than its median.</details>
# 5. **A real cluster.** Start `dask scheduler` in one terminal and `dask worker tcp://127.0.0.1:8786` in
#    two others, then build `ShardedIndex(codes[:N_DASK], "tcp://127.0.0.1:8786", packed=True)`. Kill one
#    worker while a large batch runs. What does `sharded.n_retries_` say afterwards?
#    <details><summary>Hint</summary>With `max_retries=0` the same kill raises `ShardLostError` instead of
#    retrying.</details>
#
# **Sources.** A. Torralba, R. Fergus, Y. Weiss, "Small codes and large image databases for recognition",
# CVPR 2008; A. Torralba, R. Fergus, W. T. Freeman, "80 million tiny images: a large data set for
# nonparametric object and scene recognition", TPAMI 2008; M. Norouzi, A. Punjani, D. J. Fleet, "Fast
# search in Hamming space with multi-index hashing", CVPR 2012, and "Fast exact search in Hamming space with
# multi-index hashing", TPAMI 2014; Y. Gong, S. Lazebnik, "Iterative quantization", CVPR 2011; H. Jégou,
# M. Douze, C. Schmid, "Product quantization for nearest neighbor search", TPAMI 2011; Y. Malkov,
# D. Yashunin, "Efficient and robust approximate nearest neighbor search using hierarchical navigable small
# world graphs", TPAMI 2018; M. Aumüller, E. Bernhardsson, A. Faithfull, "ANN-Benchmarks", Information
# Systems 2020; J. Johnson, M. Douze, H. Jégou, "Billion-scale similarity search with GPUs" (faiss),
# IEEE Trans. Big Data 2019; Z. Wu, "Hashing representation learning", lecture slides, Tsinghua University
# (the budget of section 1).
