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
# # Lecture 02 — LSH families: random hyperplanes, p-stable hashes, ρ, K and L
#
# Lecture 01 ended with the curse of dimensionality: past a few dozen dimensions, a kd-tree examines
# almost the whole database. Locality-sensitive hashing (LSH) gives up exactness to escape it: hash every
# image so that **close images collide more often than far ones**, and only look at the images that share
# a bucket with the query.
#
# ## What you will learn
#
# - **See**: what makes a family of hash functions *locality-sensitive*; the measured collision rate of
#   random-hyperplane hashing (SimHash) lying on the line 1 − θ/π, the collision curve of p-stable
#   (Euclidean) LSH, the S-curves of AND/OR amplification as you move K (hashes per table) and L (tables),
#   the recall of hash tables on MNIST against the number of candidates they examine, the exponent ρ
#   that makes LSH sub-linear, and how Hamming distance between codes tracks Euclidean distance as the
#   number of bits grows.
# - **Do**: compute (r, cr, p₁, p₂) and ρ for four families, hash pairs at known angles and distances,
#   compare measurement with theory within sampling error, build L hash tables of K bits, predict their
#   recall and cost *before* building them, choose (K, L) for a target recall and a candidate budget,
#   and rank the database by Hamming distance (precision–recall, mAP with honest treatment of ties).
# - **Learn**: the definition of an LSH family; why P[h(x) = h(y)] = 1 − θ/π; why one hash is never
#   enough and how concatenation (AND) and multiple tables (OR) sharpen it into a threshold; why the
#   query cost grows like n^ρ with ρ = log(1/p₁)/log(1/p₂) < 1, and what K and L that takes.
# - **Need**: lecture 01 (exact k-NN, precision). MNIST is read with `pool="test"`.
#
# **Run time**: about a minute at the full size on a 2-core laptop (70 s measured on a busy machine;
# well under a minute with `LSHLAB_SIZE=small`). The slowest cells — the hash-table sweep of §5 and the
# measurements of §6 and §7 — show a progress bar.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from scipy.stats import spearmanr
from tqdm.auto import tqdm

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix, hamming_distance_matrix
from lshlab.evaluation import CodePair, encode_pair, score_codes
from lshlab.hashing import RandomHyperplaneHash
from lshlab.lsh_theory import (
    bit_sampling_collision_probability,
    classic_parameters,
    expected_candidates,
    expected_recall,
    minhash_collision_probability,
    pstable_collision_probability,
    sensitivity,
    simhash_collision_probability,
)
from lshlab.metrics import mean_average_precision, relevance_from_labels
from lshlab.search import HashTables, brute_force_knn
from lshlab.widgets import (
    amplification_explorer,
    collision_explorer,
    draw_amplification,
    draw_collision,
    lsh_params_explorer,
    scatter_pr_explorer,
    update_amplification,
    update_collision,
    update_lsh_params,
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
N_REPEATS = param("N_REPEATS", full=3, small=2)  # independent draws of the tables in §6 and §7
TARGET_RECALL = param("TARGET_RECALL", full=0.9, small=0.8)  # §7: recall to reach ...
BUDGET_FRACTION = param("BUDGET_FRACTION", full=0.06, small=0.1)  # ... within this fraction of the database
SEED = 0

# %% [markdown]
# ## 1. What an LSH family is
#
# A family H of hash functions is **(r, cr, p₁, p₂)-sensitive** for a distance d (Indyk & Motwani,
# "Approximate nearest neighbors: towards removing the curse of dimensionality", STOC 1998) when, for h
# drawn at random from H,
#
# $$d(x, y) \le r \;\Rightarrow\; P[h(x) = h(y)] \ge p_1, \qquad d(x, y) \ge cr \;\Rightarrow\; P[h(x) = h(y)] \le p_2,$$
#
# with c > 1 and p₁ > p₂: near pairs collide at least with probability p₁, far pairs at most with p₂.
# Every family below has a collision probability p(d) that *decreases* with the distance, so it is
# (r, cr, p(r), p(cr))-sensitive for any radii r < cr.
#
# Khuzani, Ye, Napel & Xing ("Locally sensitive hashing for the content based image retrieval", Stanford
# lecture notes, 2020) write the defining property as an equality, their eq. (1):
#
# $$P_{h \in \mathcal{H}}[h(\mathbf{x}) = h(\tilde{\mathbf{x}})] = \mathrm{sim}(\mathbf{x}, \tilde{\mathbf{x}}).$$
#
# That is the special case in which the collision probability *is* a similarity in [0, 1]. Three classic
# families meet it exactly: **SimHash**, with sim = 1 − θ/π (θ the angle between x and y, §2),
# **MinHash**, with sim = the Jaccard index of two sets (lecture 03), and **bit sampling** of binary
# strings, with sim = 1 − d_H/d (one of d bits drawn at random). For p-stable hashes (§3) the collision
# probability is a function of ‖x − y‖/w that is not itself a similarity anyone would name; the
# (r, cr, p₁, p₂) definition covers them all.
#
# The quality of a family at a pair of radii is one number, **ρ = log(1/p₁)/log(1/p₂)** (§6 shows why it
# is the exponent of the query cost). Four families, near/far radii in each family's own distance:

# %%
families = {
    "SimHash, θ = 20° vs 60°": sensitivity(simhash_collision_probability, np.radians(20), np.radians(60)),
    "p-stable (w = 4), ‖x − y‖ = 1 vs 3": sensitivity(lambda c: pstable_collision_probability(c, 4.0), 1.0, 3.0),
    "bit sampling (64 bits), 4 vs 16 bits apart": sensitivity(lambda r: bit_sampling_collision_probability(r, 64), 4, 16),
    "MinHash, Jaccard 0.8 vs 0.4": sensitivity(lambda d: minhash_collision_probability(1 - d), 0.2, 0.6),
}
for name, fam in families.items():
    print(f"{name:45s} c = {fam.c:4.2f}   p1 = {fam.p1:.3f}   p2 = {fam.p2:.3f}   rho = {fam.rho:.3f}")

# %% [markdown]
# **What the numbers say.**

# %%
best = min(families, key=lambda n: families[n].rho)
display(Markdown(
    f"Every family separates its near and far pairs (p₁ > p₂), but never sharply: the best here, *{best}*, "
    f"still lets a far pair collide with probability {families[best].p2:.2f}. Its ρ = {families[best].rho:.2f} "
    f"means a query will need about n^{families[best].rho:.2f} tables and as many far candidates (§6) — for a "
    f"million points about {1e6 ** families[best].rho:,.0f} instead of scanning 1,000,000. For bit sampling ρ = {families['bit sampling (64 bits), 4 vs 16 bits apart'].rho:.3f} "
    f"≤ 1/c = {1 / families['bit sampling (64 bits), 4 vs 16 bits apart'].c:.3f}, the bound Indyk & Motwani proved for it."
))

# %%
assert all(f.p1 > f.p2 and 0 < f.rho < 1 for f in families.values())
assert families["bit sampling (64 bits), 4 vs 16 bits apart"].rho <= 1 / 4 + 1e-12  # ρ ≤ 1/c for bit sampling

# %% [markdown]
# ## 2. SimHash: one bit per random hyperplane
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
binomial_sd = np.sqrt(np.mean((1 - theta / np.pi) * theta / np.pi) / N_HASHES)
print(f"mean residual {resid.mean():+.4f}, std {resid.std():.4f} (binomial √(p(1−p)/n): {binomial_sd:.4f})")

# %% [markdown]
# **What the numbers say.**

# %%
display(Markdown(
    f"On the synthetic pairs the measured rates stay within {sim.max_z:.1f} standard errors of 1 − θ/π. On "
    f"{len(theta):,} MNIST query–database pairs the fraction of equal bits misses 1 − θ/π by {resid.mean():+.4f} on "
    f"average, with a spread of {resid.std():.4f} — the spread of a binomial fraction of {N_HASHES} coin flips "
    f"({binomial_sd:.4f}). The law is a fact about angles, whatever the data."
))

# %%
# the spread is the binomial one (within 10 %, more than its own sampling error over ~90,000 pairs)
assert abs(resid.mean()) < 0.02 and resid.std() < 1.1 * binomial_sd

# %% [markdown]
# ## 3. p-stable LSH for Euclidean distance
#
# SimHash sees angles only. Datar, Immorlica, Indyk & Mirrokni ("Locality-sensitive hashing scheme based
# on p-stable distributions", SoCG 2004) hash the *position* along a random line:
# h(x) = ⌊(aᵀx + b)/w⌋ with a ~ N(0, I) and b ~ U[0, w). Since aᵀ(x − y) ~ N(0, c²) for c = ‖x − y‖
# (2-stability of the Gaussian), the collision probability depends only on c/w:
#
# $$p(c) = 1 - 2\Phi(-w/c) - \frac{2}{\sqrt{2\pi}\, w/c}\left(1 - e^{-w^2/(2c^2)}\right).$$

# %%
pst = update_collision(family="p-stable", n_bits=N_HASHES, width=4.0, random_state=SEED)
draw_collision(pst, plt.subplots(figsize=(6.5, 4))[1])
plt.show()
assert pst.max_z < 4.5, f"p-stable collision rates deviate from theory by {pst.max_z:.1f} standard errors"

# %% [markdown]
# **What the numbers say.**

# %%
display(Markdown(
    f"The measured p-stable collision rates lie within {pst.max_z:.1f} standard errors of Datar et al.'s formula "
    f"at every distance. A pair at distance w = {pst.width:g} collides with probability "
    f"{pstable_collision_probability(pst.width, pst.width):.2f}, one at 3w with "
    f"{pstable_collision_probability(3 * pst.width, pst.width):.2f}: the curve decreases with c/w, as an LSH family must."
))

# %% [markdown]
# Try it yourself: switch family, change the number of hashes (the error bars shrink like 1/√n) and the
# bucket width w (wider buckets collide more at every distance).

# %%
display(collision_explorer())

# %% [markdown]
# ## 4. AND/OR amplification
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
# **What the numbers say.**

# %%
near_amp, far_amp = (float(1 - (1 - p**4) ** 8) for p in (0.8, 0.5))
display(Markdown(
    f"With K = 4 and L = 8 a near pair (p = 0.8) becomes a candidate with probability {near_amp:.2f} and a far "
    f"pair (p = 0.5) with {far_amp:.2f}: the gap of 0.30 between one hash's probabilities has grown to "
    f"{near_amp - far_amp:.2f}. The measured rates agree with the S-curve within {amp.max_z:.1f} standard errors."
))

# %% [markdown]
# Move K and L: K pushes the threshold to the right (fewer, more similar candidates), L pulls it back
# to the left (more candidates, higher recall) — and every table costs memory and a lookup.

# %%
display(amplification_explorer())

# %% [markdown]
# ## 5. Hash tables on MNIST: recall against work
#
# `HashTables` builds L tables of K bits, collects the query's buckets (the *candidates*), and ranks the
# candidates by exact Euclidean distance. Recall = fraction of the true 10 nearest neighbours returned.
# The cost is the number of candidates examined (brute force examines all n).

# %%
_, true_idx = brute_force_knn(X, Q, K_NN)
table_bits = [int(v) for v in TABLE_BITS.split(",")]
n_tables = [int(v) for v in TABLES.split(",")]
grid = [(K, L) for K in table_bits for L in n_tables]
runs = {KL: update_lsh_recall(X, Q, true_idx, K=KL[0], L=KL[1], random_state=SEED)
        for KL in tqdm(grid, desc="hash tables (K, L)")}
sweep = {K: [runs[K, L] for L in n_tables] for K in table_bits}
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
# **What the numbers say.**

# %%
lines = [f"- K = {K}: L = {rows[-1].L} tables find {rows[-1].recall:.0%} of the true neighbours while examining "
         f"{rows[-1].fraction:.1%} of the database ({rows[-1].candidates:.0f} candidates)" for K, rows in sweep.items()]
display(Markdown("At the largest number of tables:\n\n" + "\n".join(lines) +
                 "\n\nShort keys buy recall with candidates; long keys need many tables to get it back."))

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
# ## 6. Why LSH is sub-linear: ρ, K and L
#
# Take a family that is (r, cr, p₁, p₂)-sensitive and a database of n points (Indyk & Motwani 1998;
# Andoni & Indyk, "Near-optimal hashing algorithms for approximate nearest neighbor in high
# dimensions", CACM 2008):
#
# - with **K = ⌈log_{1/p₂} n⌉** hashes per table, a far point shares the query's bucket with probability
#   p₂^K ≤ 1/n, so each table holds at most one far point on average;
# - a near point shares it with probability p₁^K ≥ p₁ · p₁^{log_{1/p₂} n} = p₁ · n^{−ρ};
# - with **L = ⌈n^ρ / p₁⌉** tables, a near point is missed by all of them with probability at most
#   (1 − p₁ n^{−ρ})^L ≤ 1/e.
#
# A query then costs L lookups and about L far candidates: **O(n^ρ)**, sub-linear because ρ < 1.
#
# A worked example on our MNIST data with centred SimHash. The near pairs are each query with its true 10
# nearest neighbours; the database pairs are each query with every database image. For the radii we take
# r = the median angle of a near pair and cr = the median angle of a database pair:

# %%
Xn = Xc / np.linalg.norm(Xc, axis=1, keepdims=True)
Qn = Qc / np.linalg.norm(Qc, axis=1, keepdims=True)
theta_db = np.arccos(np.clip(Qn @ Xn.T, -1, 1))  # (N_QUERY, N_DATABASE) angles between centred images
theta_near = np.take_along_axis(theta_db, true_idx, axis=1).ravel()
p_near, p_db = simhash_collision_probability(theta_near), simhash_collision_probability(theta_db.ravel())
mnist = sensitivity(simhash_collision_probability, np.median(theta_near), np.median(theta_db))
K6, L6 = classic_parameters(len(X), mnist.p1, mnist.p2)
predicted = dict(recall=expected_recall(p_near, K6, L6), candidates=expected_candidates(p_db, K6, L6, len(X)))
print(f"r = {mnist.r:.3f} rad, cr = {mnist.cr:.3f} rad (c = {mnist.c:.2f}): p1 = {mnist.p1:.3f}, p2 = {mnist.p2:.3f}, "
      f"rho = {mnist.rho:.3f}")
print(f"n = {len(X)}: K = ceil(log n / log(1/p2)) = {K6}, L = ceil(n^rho / p1) = {L6}")
print(f"predicted from the two angle distributions: recall {predicted['recall']:.3f}, "
      f"{predicted['candidates']:.0f} candidates per query")

# %% [markdown]
# The prediction uses every pair's own collision probability (not just p₁ and p₂):
# recall = mean over near pairs of 1 − (1 − p^K)^L, candidates = n · the same mean over database pairs.
# Now we build the tables — `N_REPEATS` independent draws — and measure.

# %%
measured6 = [update_lsh_recall(X, Q, true_idx, K=K6, L=L6, random_state=SEED + i)
             for i in tqdm(range(N_REPEATS), desc=f"{L6} tables of {K6} bits")]
rec6, cand6 = np.array([m.recall for m in measured6]), np.array([m.candidates for m in measured6])
print(f"measured over {N_REPEATS} draws: recall {rec6.mean():.3f} ± {rec6.std(ddof=1):.3f}, "
      f"{cand6.mean():.0f} ± {cand6.std(ddof=1):.0f} candidates per query")

# %% [markdown]
# **What the numbers say.**

# %%
ns = [10**3, 10**4, 10**5, 10**6, 10**9]
table = "\n".join(f"| {n:,} | {classic_parameters(n, mnist.p1, mnist.p2)[0]} | {classic_parameters(n, mnist.p1, mnist.p2)[1]:,} "
                  f"| {n ** mnist.rho:,.0f} | {100 * n ** mnist.rho / n:.3g} % |" for n in ns)
display(Markdown(
    f"On MNIST a near pair collides per bit with probability p₁ = {mnist.p1:.2f} and a typical database pair "
    f"with p₂ = {mnist.p2:.2f}, so ρ = {mnist.rho:.2f}. With K = {K6} bits per table and L = {L6} tables the theory "
    f"predicts recall {predicted['recall']:.3f} and {predicted['candidates']:.0f} candidates "
    f"({predicted['candidates'] / len(X):.1%} of the database); the tables deliver {rec6.mean():.3f} and "
    f"{cand6.mean():.0f}. The same ρ at other database sizes:\n\n"
    f"| n | K | L | n^ρ | n^ρ / n |\n|---|---|---|---|---|\n{table}\n\n"
    f"The fraction of the database a query touches shrinks as n grows: that is what sub-linear means."
))

# %%
# Prediction vs measurement: the draws differ by a few hundredths (the spread printed above), the
# prediction has no sampling error of its own; 0.03 and 10 % cover three standard deviations of the draws
# at the full size.
assert abs(rec6.mean() - predicted["recall"]) < max(0.03, 3 * rec6.std(ddof=1))
assert abs(cand6.mean() / predicted["candidates"] - 1) < max(0.10, 3 * cand6.std(ddof=1) / cand6.mean())
# sub-linear: the fraction of the database in L tables' worth of candidates, L / n, falls as n grows
assert all(classic_parameters(a, mnist.p1, mnist.p2)[1] / a > classic_parameters(b, mnist.p1, mnist.p2)[1] / b
           for a, b in zip(ns, ns[1:]))

# %% [markdown]
# ## 7. Choosing K and L for a target
#
# The textbook K and L guarantee a recall of at least 1 − 1/e for pairs within r; in practice one wants a
# *given* recall at the lowest cost. Since we can predict recall and candidates for any (K, L) from the two
# distributions, we can search: `choose_parameters` (in `lshlab.lsh_theory`) evaluates every K ≤ 24 and
# L ≤ 128 and returns the cheapest pair reaching the target recall within a budget of candidates,
# cost = K·L hash evaluations + candidates (the grid search of the `datasketch` library's MinHash LSH
# optimiser, here for any family and with an explicit budget). `update_lsh_params` — the computation
# behind the slider below — calls it on the two distributions binned to 500 levels of p, which keeps it
# fast for millions of pairs.

# %%
TARGET, BUDGET = TARGET_RECALL, BUDGET_FRACTION * len(X)
choice = update_lsh_params(p_near, p_db, len(X), target_recall=TARGET, max_candidates=BUDGET, max_K=24, max_L=128).choice
plots.plot_parameter_choice(choice)
plt.show()
print(f"chosen K = {choice.K}, L = {choice.L}: predicted recall {choice.recall:.3f}, {choice.candidates:.0f} candidates, "
      f"feasible: {choice.feasible}")

# %% [markdown]
# Move the target recall, the budget and the cost of one hash (relative to measuring one candidate):
# the star jumps to the cheapest feasible pair.

# %%
display(lsh_params_explorer(p_near, p_db, len(X)))

# %%
measured7 = [update_lsh_recall(X, Q, true_idx, K=choice.K, L=choice.L, random_state=SEED + i)
             for i in tqdm(range(N_REPEATS), desc=f"{choice.L} tables of {choice.K} bits")]
rec7, cand7 = np.array([m.recall for m in measured7]), np.array([m.candidates for m in measured7])

# %% [markdown]
# **What the numbers say.**

# %%
display(Markdown(
    f"For recall ≥ {TARGET} within {BUDGET:.0f} candidates the chooser picks K = {choice.K}, L = {choice.L} "
    f"({choice.K * choice.L} hash evaluations per query) and predicts recall {choice.recall:.3f} with "
    f"{choice.candidates:.0f} candidates. Measured over {N_REPEATS} draws: recall {rec7.mean():.3f} ± "
    f"{rec7.std(ddof=1):.3f} with {cand7.mean():.0f} candidates. The textbook pair of §6 (K·L = {K6 * L6}) "
    f"only aims at the guarantee 1 − 1/e for pairs within r, and found {rec6.mean():.3f} of the true neighbours."
))

# %%
assert choice.feasible
assert abs(rec7.mean() - choice.recall) < max(0.03, 3 * rec7.std(ddof=1))
assert abs(cand7.mean() / choice.candidates - 1) < max(0.10, 3 * cand7.std(ddof=1) / cand7.mean())

# %% [markdown]
# ## 8. Ranking by Hamming distance: scatter and precision–recall
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
# The same numbers without the slider: the PR curves for every code length on one figure, the exact
# Euclidean ranking as the black dashed reference.

# %%
results = {b: update_scatter_pr(explorer.data, n_bits=b) for b in BITS}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
plots.plot_hamming_vs_euclidean(results[BITS[-1]].code_dist_pairs, results[BITS[-1]].eucl_dist_pairs,
                                ax=axes[0], n_bits=BITS[-1])
plots.plot_pr_curves({f"{b} bits": r.curve for b, r in results.items()} | {"Euclidean": explorer.data.euclidean_curve},
                     ax=axes[1], title="SimHash Hamming ranking on MNIST", reference="Euclidean")
fig.tight_layout()
plt.show()
spearman = {b: spearmanr(r.eucl_dist_pairs, r.code_dist_pairs).statistic for b, r in results.items()}
auc = {b: r.curve.auc for b, r in results.items()}

# %% [markdown]
# **What the numbers say.**

# %%
display(Markdown(
    "| bits | " + " | ".join(str(b) for b in BITS) + " | Euclidean |\n|---|" + "---|" * (len(BITS) + 1) + "\n"
    "| PR-AUC | " + " | ".join(f"{auc[b]:.3f}" for b in BITS) + f" | {explorer.data.euclidean_curve.auc:.3f} |\n"
    "| Spearman with Euclidean | " + " | ".join(f"{spearman[b]:.3f}" for b in BITS) + " | 1 |\n\n"
    f"From {BITS[0]} to {BITS[-1]} bits the area under the PR curve grows from {auc[BITS[0]]:.3f} to "
    f"{auc[BITS[-1]]:.3f} (exact Euclidean ranking: {explorer.data.euclidean_curve.auc:.3f}) and the rank "
    f"correlation with the Euclidean distance from {spearman[BITS[0]]:.3f} to {spearman[BITS[-1]]:.3f}."
))

# %%
assert results[BITS[-1]].curve.auc > results[BITS[0]].curve.auc, "more bits should rank better"
assert spearman[BITS[-1]] > spearman[BITS[0]], "more bits should track Euclidean distance more faithfully"

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
euclidean_map = mean_average_precision(euclidean_distance_matrix(Q, X), rel, at_k=100)
print("Euclidean mAP@100 for reference:", round(euclidean_map, 4))

# %% [markdown]
# **What the numbers say.**

# %%
display(Markdown(
    f"Breaking ties by database index gives mAP@100 = {scores['index'][0]:.4f} on the stored order and "
    f"{scores['index'][1]:.4f} after shuffling: a difference of {abs(scores['index'][0] - scores['index'][1]):.4f} "
    f"that says nothing about the code. The tie-averaged score is {scores['average'][0]:.4f} in both orders."
))

# %% [markdown]
# ## Key takeaways
#
# - An LSH family makes near pairs collide with probability ≥ p₁ and far pairs with ≤ p₂; when the
#   collision probability *is* the similarity (SimHash: 1 − θ/π; MinHash: Jaccard), we have Khuzani et
#   al.'s eq. (1).
# - Measured collision rates match the formulas within sampling error — for synthetic pairs and for
#   MNIST images alike.
# - One hash separates weakly; K hashes per table (AND) and L tables (OR) turn p into the S-curve
#   1 − (1 − p^K)^L.
# - With K = ⌈log_{1/p₂} n⌉ and L ≈ n^ρ a query costs O(n^ρ), ρ = log(1/p₁)/log(1/p₂) < 1: sub-linear.
# - Recall and candidates of any (K, L) can be predicted from the distributions of collision
#   probabilities before building anything — and the prediction holds on real data, so (K, L) can be
#   *chosen* for a target recall and budget.
# - Ranking by Hamming distance needs many bits to approach exact search, and mAP on short codes needs an
#   explicit rule for ties.
#
# ## Exercises
#
# 1. For a near/far pair of angles (say 20° and 60°), find K and L such that a near pair is a candidate
#    with probability ≥ 0.95 while a far pair is one with probability ≤ 0.05. How many hash evaluations is
#    that per query? (Use `lshlab.lsh_theory.amplified_collision_probability`.)
#
#    <details><summary>Hint</summary>
#
#    The per-hash probabilities are 1 − 20/180 and 1 − 60/180. Loop over K, find for each K the smallest L
#    with 1 − (1 − p_near^K)^L ≥ 0.95, and keep the pairs where the far pair stays ≤ 0.05 — or pass the two
#    probabilities to `choose_parameters` with `n_database=1` and read its tables.
#    </details>
#
# 2. Repeat the MNIST recall sweep with `center=False`. Why does SimHash through the origin do so much
#    worse on pixel vectors?
#
#    <details><summary>Hint</summary>
#
#    `update_lsh_recall(..., center=False)`. Pixel vectors are non-negative: compute the angles between
#    raw images, as in §2 without subtracting `h.mean_`, and look at their range.
#    </details>
#
# 3. Replace SimHash by `PStableHash` in the hash tables (`HashTables(lambda s: PStableHash(K, width=w,
#    random_state=s), L)`). How should w scale with the typical neighbour distance?
#
#    <details><summary>Hint</summary>
#
#    The collision probability depends on c/w only. Measure the distance to the 10th neighbour
#    (`brute_force_knn`) and try w at 0.5, 1 and 2 times it.
#    </details>
#
# 4. Time `filtered.search` against `measure_all.search` (`%timeit`) and against `brute_force_knn`. How
#    does `rerank_dims` (the number of principal axes in the bound) trade the cost of the bound against
#    the number of full measurements?
#
#    <details><summary>Hint</summary>
#
#    `last_n_exact_` counts the full measurements; try `rerank_dims` = 8, 32, 64, 128 on the same tables.
#    </details>
#
# 5. **Tables over codes.** Encode the images once with 512-bit SimHash and index the *codes* with
#    `HashTables(lambda s: BitSamplingHash(K, random_state=s), L, metric="hamming")` (bit sampling, the LSH
#    family of the Hamming cube: two codes r bits apart collide with probability 1 − r/512). Which K and L
#    reach 90 % recall of the exact Hamming neighbours (`HammingIndex`), and how many candidates does that
#    take compared with the Euclidean tables above?
#
#    <details><summary>Hint</summary>
#
#    Predict first: the Hamming distances of the true neighbours and of all pairs give p = 1 − r/512 for
#    `choose_parameters`; then build the tables it picks.
#    </details>
#
# 6. At 16 bits, how large is the gap between `ties="index"` and `ties="average"` mAP@k for k = 10, 100,
#    1000? When does the choice matter most?
#
#    <details><summary>Hint</summary>
#
#    Reuse `codes16` and `shuffled`; the gap is largest when k cuts through a big group of tied distances.
#    </details>
#
# 7. **ρ and the radii.** Redo the worked example of §6 with r the 90th percentile of the near angles and
#    cr the 10th percentile of the database angles. What happens to c, ρ, K and L — and why would those
#    tables be very slow?
#
#    <details><summary>Hint</summary>
#
#    `np.percentile(theta_near, 90)`, `np.percentile(theta_db, 10)`; compare `classic_parameters` with §6
#    before building anything.
#    </details>
#
# Worked solutions to exercises 1, 2 and 7 are in `solutions/02_random_hyperplanes_solutions.py`.
#
# **Further reading.** P. Indyk, R. Motwani, "Approximate nearest neighbors: towards removing the curse of
# dimensionality", STOC 1998; A. Gionis, P. Indyk, R. Motwani, "Similarity search in high dimensions via
# hashing", VLDB 1999; M. Charikar, "Similarity estimation techniques from rounding algorithms", STOC 2002;
# M. Datar, N. Immorlica, P. Indyk, V. Mirrokni, "Locality-sensitive hashing scheme based on p-stable
# distributions", SoCG 2004; A. Andoni, P. Indyk, "Near-optimal hashing algorithms for approximate
# nearest neighbor in high dimensions", CACM 2008; J. Leskovec, A. Rajaraman, J. Ullman, *Mining of
# Massive Datasets*, ch. 3 (banding and S-curves); M. Badiei Khuzani, Y. Ye, S. Napel, L. Xing, "Locally
# sensitive hashing for the content based image retrieval", Stanford lecture notes, 2020.
