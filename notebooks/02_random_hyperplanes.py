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
# # Lecture 02 — Random hyperplanes and locality-sensitive hashing
#
# Lecture 01 ended with the curse of dimensionality: past a few dozen dimensions, a kd-tree examines
# almost the whole database. Locality-sensitive hashing (LSH) gives up exactness to escape it: hash every
# image so that **close images collide more often than far ones**, and only look at the images that share
# a bucket with the query.
#
# ## What you will learn
#
# - **See**: the measured collision rate of random-hyperplane hashing (SimHash) lying on the line
#   1 − θ/π, the collision curve of p-stable (Euclidean) LSH, the S-curves of AND/OR amplification as you
#   move K (bits per table) and L (tables), the recall of hash tables on MNIST against the number of
#   candidates they examine, and how Hamming distance between codes tracks Euclidean distance as the
#   number of bits grows.
# - **Do**: hash pairs at known angles and distances, compare measurement with theory within sampling
#   error, build L hash tables of K bits, and rank the database by Hamming distance (precision–recall,
#   mAP with honest treatment of ties).
# - **Learn**: why P[h(x) = h(y)] = 1 − θ/π, why one hash is never enough and how concatenation (AND)
#   and multiple tables (OR) sharpen it into a threshold, and what it costs.
# - **Need**: lecture 01 (exact k-NN, precision). MNIST is read with `pool="test"`.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import spearmanr

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix, hamming_distance_matrix
from lshlab.evaluation import CodePair, encode_pair, score_codes
from lshlab.hashing import RandomHyperplaneHash
from lshlab.metrics import mean_average_precision, relevance_from_labels
from lshlab.search import HashTables, brute_force_knn
from lshlab.widgets import (
    amplification_explorer,
    collision_explorer,
    draw_amplification,
    draw_collision,
    scatter_pr_explorer,
    update_amplification,
    update_collision,
    update_lsh_recall,
    update_scatter_pr,
)

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %% [markdown]
# One parameter cell: full size by default, `LSHLAB_SIZE=small` (CI) shrinks everything.

# %%
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=300, small=60)
N_HASHES = param("N_HASHES", full=512, small=128)
BITS = [b for b in (16, 32, 64, 128, 256, 512) if b <= param("MAX_BITS", full=512, small=256)]
K_NN = 10
TABLE_BITS = param("TABLE_BITS", full="8,12,16", small="8,14")
TABLES = param("TABLES", full="1,2,4,8,16,32", small="1,4,16")
SEED = 0

# %% [markdown]
# ## 1. SimHash: one bit per random hyperplane
#
# Draw a random direction r ~ N(0, I) and keep one bit: h(x) = 1[rᵀx ≥ 0] — which side of the hyperplane
# ⟂ r the point lies on. Two vectors at angle θ are separated by the hyperplane exactly when r falls in
# a wedge of angle θ out of π (look at the plane spanned by x and y: the direction of r's projection is
# uniform there), so
#
# $$P[h(x) = h(y)] = 1 - \theta(x, y)/\pi \qquad \text{(Charikar 2002).}$$
#
# We check it: pairs of unit vectors at 19 prescribed angles, `N_HASHES` hyperplanes, the fraction of
# agreeing bits against the line. Error bars are ± 2 standard errors.

# %%
sim = update_collision(family="SimHash", n_bits=N_HASHES, random_state=SEED)
draw_collision(sim, plt.subplots(figsize=(6.5, 4))[1])
plt.show()

# %%
assert sim.max_z < 4.5, f"SimHash collision rates deviate from 1 − θ/π by {sim.max_z:.1f} standard errors"
assert np.all(np.abs(sim.measured - sim.theory) < 0.08)

# %% [markdown]
# The same law holds for real images. Hyperplanes through the origin see only non-negative pixel
# vectors, all within 90° of each other, so for retrieval we put the hyperplanes through the database
# mean (`center=True`); the angle that matters is then the one between centred images.

# %%
data = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
X, y, Q, yq = data.X_train, data.y_train, data.X_query, data.y_query
h = RandomHyperplaneHash(N_HASHES, center=True, random_state=SEED).fit(X)
Xc, Qc = X - h.mean_, Q - h.mean_
cosine = (Qc @ Xc[:300].T) / np.outer(np.linalg.norm(Qc, axis=1), np.linalg.norm(Xc[:300], axis=1))
theta = np.arccos(np.clip(cosine, -1, 1)).ravel()
agree = 1 - hamming_distance_matrix(h.transform(Q), h.transform(X[:300])).ravel() / N_HASHES
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.scatter(theta, agree, s=3, alpha=0.3, label=f"MNIST pairs, {N_HASHES} bits")
ax.plot([0, np.pi], [1, 0], color="black", label="1 − θ/π")
ax.set(xlabel="angle between centred images θ (radians)", ylabel="fraction of equal bits",
       title="SimHash on MNIST: agreement vs angle")
ax.legend()
plt.show()

# %%
resid = agree - (1 - theta / np.pi)
print(f"mean residual {resid.mean():+.4f}, std {resid.std():.4f} (binomial: ≤ {0.5 / np.sqrt(N_HASHES):.4f})")
assert abs(resid.mean()) < 0.02 and resid.std() < 1.5 * 0.5 / np.sqrt(N_HASHES)

# %% [markdown]
# ## 2. p-stable LSH for Euclidean distance
#
# SimHash sees angles only. Datar, Immorlica, Indyk & Mirrokni (2004) hash the *position* along a random
# line: h(x) = ⌊(aᵀx + b)/w⌋ with a ~ N(0, I) and b ~ U[0, w). Since aᵀ(x − y) ~ N(0, c²) for c = ‖x − y‖
# (2-stability of the Gaussian), the collision probability depends only on c/w:
#
# $$p(c) = 1 - 2\Phi(-w/c) - \frac{2}{\sqrt{2\pi}\, w/c}\left(1 - e^{-w^2/(2c^2)}\right).$$

# %%
pst = update_collision(family="p-stable", n_bits=N_HASHES, width=4.0, random_state=SEED)
draw_collision(pst, plt.subplots(figsize=(6.5, 4))[1])
plt.show()
assert pst.max_z < 4.5, f"p-stable collision rates deviate from theory by {pst.max_z:.1f} standard errors"

# %% [markdown]
# Try it yourself: switch family, change the number of hashes (the error bars shrink like 1/√n) and the
# bucket width w (wider buckets collide more at every distance).

# %%
display(collision_explorer())

# %% [markdown]
# ## 3. AND/OR amplification
#
# One hash separates near from far only weakly: at p = 0.8 versus p = 0.5, a single bit buckets
# 80% of near pairs together but also 50% of far ones. Two tricks sharpen it:
#
# - **AND**: concatenate K hashes into one bucket key — a pair collides with probability p^K (far pairs
#   drop out fast, but so do some near pairs);
# - **OR**: build L independent tables and take every point that shares a bucket with the query in at
#   least one of them — probability 1 − (1 − p^K)^L.
#
# The result is an **S-curve** with its steepest point near p* ≈ (1/L)^{1/K}.

# %%
plots.plot_s_curves(configs=[(2, 2), (4, 8), (8, 32), (16, 200)], p_near=0.8, p_far=0.5)
plt.show()

# %% [markdown]
# The S-curve is a prediction about random hyperplanes; we measure it: pairs at angles θ = π(1 − p),
# L tables of K SimHash bits, the fraction of pairs that share at least one bucket.

# %%
amp = update_amplification(K=4, L=8, p_near=0.8, p_far=0.5, random_state=SEED)
draw_amplification(amp, plt.subplots(figsize=(6.5, 4.3))[1])
plt.show()
assert amp.max_z < 4.5, f"measured candidate rates deviate from 1 − (1 − p^K)^L by {amp.max_z:.1f} s.e."

# %% [markdown]
# Move K and L: K pushes the threshold to the right (fewer, more similar candidates), L pulls it back
# to the left (more candidates, higher recall) — and every table costs memory and a lookup.

# %%
display(amplification_explorer())

# %% [markdown]
# ## 4. Hash tables on MNIST: recall against work
#
# `HashTables` builds L tables of K bits, collects the query's buckets (the *candidates*), and ranks the
# candidates by exact Euclidean distance. Recall = fraction of the true 10 nearest neighbours returned.
# The cost is the number of candidates examined (brute force examines all n).

# %%
_, true_idx = brute_force_knn(X, Q, K_NN)
table_bits = [int(v) for v in TABLE_BITS.split(",")]
n_tables = [int(v) for v in TABLES.split(",")]
sweep = {K: [update_lsh_recall(X, Q, true_idx, K=K, L=L, random_state=SEED) for L in n_tables] for K in table_bits}
for K, rows in sweep.items():
    print(f"K = {K:2d}: " + "  ".join(f"L={r.L:2d} recall {r.recall:.2f} @ {r.fraction:.3f}n" for r in rows))

# %%
plots.plot_recall_vs_candidates(
    {f"K = {K} bits/table (L = {n_tables[0]} … {n_tables[-1]})": ([r.candidates for r in rows], [r.recall for r in rows])
     for K, rows in sweep.items()},
    n_database=len(X),
)
plt.show()

# %% [markdown]
# More tables never lose a neighbour (the tables of a smaller L are the first tables of a larger one, so
# candidate sets are nested), and fewer bits per table give more candidates per table.

# %%
for K, rows in sweep.items():
    rec, cand = [r.recall for r in rows], [r.candidates for r in rows]
    assert all(b >= a for a, b in zip(rec, rec[1:])), f"recall must not drop when tables are added (K={K})"
    assert all(b >= a for a, b in zip(cand, cand[1:])), f"candidates must grow with L (K={K})"
assert sweep[table_bits[0]][-1].candidates > sweep[table_bits[-1]][-1].candidates

# %% [markdown]
# **Where the query time goes.** Looking up L buckets is cheap; measuring the candidates is not: each one
# means reading a 784-float row from memory. `HashTables` therefore *filters before it refines*: it keeps,
# for every database point, its coordinates on the 64 main principal axes and the length of the rest of
# the vector. Those give a lower bound on the true distance (Pythagoras on the 64 axes, the triangle
# inequality on the rest) from 65 numbers instead of 784. Only candidates whose bound is below the k-th
# distance found so far are measured in full; a skipped candidate is provably too far, so the answer is
# the same as measuring them all.

# %%
make_hasher = lambda s: RandomHyperplaneHash(table_bits[0], center=True, random_state=s)  # noqa: E731
filtered = HashTables(make_hasher, n_tables=n_tables[-1], random_state=SEED).fit(X)
measure_all = HashTables(make_hasher, n_tables=n_tables[-1], random_state=SEED, rerank_dims=0).fit(X)
(dist_f, idx_f), (dist_a, idx_a) = filtered.search(Q, K_NN), measure_all.search(Q, K_NN)
print(f"K = {table_bits[0]}, L = {n_tables[-1]}: {filtered.last_n_candidates_.mean():.0f} candidates per query, "
      f"{filtered.last_n_exact_.mean():.0f} of them measured in full")
assert np.array_equal(idx_f, idx_a) and np.array_equal(dist_f, dist_a), "the bound must not change the answer"
assert filtered.last_n_exact_.mean() < 0.5 * filtered.last_n_candidates_.mean()

# %% [markdown]
# ## 5. Ranking by Hamming distance: scatter and precision–recall
#
# Instead of buckets we can rank the whole database by the Hamming distance between codes, which
# estimates the angle: d_H / n_bits ≈ θ/π. More bits, less noise. Left: Hamming against Euclidean distance
# for query–database pairs; right: precision–recall (relevant = same digit). Both curves retrieve
# everything within a radius (a Hamming radius for the codes, a Euclidean one for the exact reference),
# so their areas compare. Keep in mind that SimHash estimates the *angle* between centred images, not
# their Euclidean distance; on MNIST the angle is a slightly better notion of "same digit", so many bits
# can come close to the exact Euclidean curve.

# %%
explorer = scatter_pr_explorer(X, y, Q, yq, lambda n_bits: RandomHyperplaneHash(n_bits, center=True, random_state=SEED),
                               bits=BITS)
display(explorer)

# %% [markdown]
# The same numbers without the slider: the PR curves for every code length on one figure.

# %%
results = {b: update_scatter_pr(explorer.data, n_bits=b) for b in BITS}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
plots.plot_hamming_vs_euclidean(results[BITS[-1]].code_dist_pairs, results[BITS[-1]].eucl_dist_pairs,
                                ax=axes[0], n_bits=BITS[-1])
plots.plot_pr_curves({f"{b} bits": r.curve for b, r in results.items()} | {"Euclidean": explorer.data.euclidean_curve},
                     ax=axes[1], title="SimHash Hamming ranking on MNIST")
plt.show()
rho = {b: spearmanr(r.eucl_dist_pairs, r.code_dist_pairs).statistic for b, r in results.items()}
print({b: round(v, 3) for b, v in rho.items()}, {b: round(r.curve.auc, 3) for b, r in results.items()})

# %%
assert results[BITS[-1]].curve.auc > results[BITS[0]].curve.auc, "more bits should rank better"
assert rho[BITS[-1]] > rho[BITS[0]], "more bits should track Euclidean distance more faithfully"

# %% [markdown]
# ### Ties: why mAP needs care with Hamming distances
#
# With 16 bits there are only 17 possible distances, so thousands of database items tie. Most reference
# code sorts stably, breaking ties by database index — the score then depends on the order in which the
# database happens to be stored. `score_codes(..., ties="average")` (from `lshlab.evaluation`, which
# ranks the database by code distance and scores the ranking) returns the exact expected AP over random
# orders within ties instead. We shuffle the database — its codes and its labels — and compare.

# %%
codes16 = encode_pair(RandomHyperplaneHash(16, center=True, random_state=SEED), X, Q)
perm = np.random.default_rng(SEED).permutation(len(X))
shuffled = CodePair(query=codes16.query, db=codes16.db[perm])
scores = {ties: (score_codes(codes16, labels=(yq, y), at_k=100, ties=ties).map,
                 score_codes(shuffled, labels=(yq, y[perm]), at_k=100, ties=ties).map) for ties in ("index", "average")}
for ties, (a, b) in scores.items():
    print(f"mAP@100, ties={ties!r:10}: original order {a:.4f}, shuffled database {b:.4f}")

# %%
assert abs(scores["average"][0] - scores["average"][1]) < 1e-9, "tie-averaged mAP must not depend on database order"
rel = relevance_from_labels(yq, y)
print("Euclidean mAP@100 for reference:", round(mean_average_precision(euclidean_distance_matrix(Q, X), rel, at_k=100), 4))

# %% [markdown]
# ## Exercises
#
# 1. For a near/far pair of angles (say 20° and 60°), find K and L such that a near pair is a candidate
#    with probability ≥ 0.95 while a far pair is one with probability ≤ 0.05. How many hash evaluations is
#    that per query? (Use `lshlab.hashing.random_projection.amplified_collision_probability`.)
# 2. Repeat the MNIST recall sweep with `center=False`. Why does SimHash through the origin do so much
#    worse on pixel vectors?
# 3. Replace SimHash by `PStableHash` in the hash tables (`HashTables(lambda s: PStableHash(K, width=w,
#    random_state=s), L)`). How should w scale with the typical neighbour distance?
# 4. Time `filtered.search` against `measure_all.search` (`%timeit`) and against `brute_force_knn`. How
#    does `rerank_dims` (the number of principal axes in the bound) trade the cost of the bound against
#    the number of full measurements?
# 5. **Tables over codes.** Encode the images once with 512-bit SimHash and index the *codes* with
#    `HashTables(lambda s: BitSamplingHash(K, random_state=s), L, metric="hamming")` (bit sampling, the LSH
#    family of the Hamming cube: two codes r bits apart collide with probability 1 − r/512). Which K and L
#    reach 90 % recall of the exact Hamming neighbours (`HammingIndex`), and how many candidates does that
#    take compared with the Euclidean tables above?
# 6. At 16 bits, how large is the gap between `ties="index"` and `ties="average"` mAP@k for k = 10, 100,
#    1000? When does the choice matter most?
#
# **Further reading.** M. Charikar, "Similarity estimation techniques from rounding algorithms", STOC
# 2002; M. Datar, N. Immorlica, P. Indyk, V. Mirrokni, "Locality-sensitive hashing scheme based on
# p-stable distributions", SoCG 2004; A. Gionis, P. Indyk, R. Motwani, "Similarity search in high
# dimensions via hashing", VLDB 1999; J. Leskovec, A. Rajaraman, J. Ullman, *Mining of Massive Datasets*,
# ch. 3 (banding and S-curves).
