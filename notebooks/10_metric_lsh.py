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
# # Lecture 10 — Metric learning and metric LSH: Mahalanobis distances, ITML, hashing under a learned metric or kernel
#
# "Generic" distances such as the Euclidean one are easy to index but know nothing about the task; often
# we *do* know something: these two images show the same digit, those two do not. Metric learning turns
# such side information into a distance, and **metric LSH** (Jain, Kulis & Grauman, "Fast image search for
# learned metrics", CVPR 2008) hashes under that learned distance so that search stays fast. **Kernelized
# LSH** (Kulis & Grauman, "Kernelized locality-sensitive hashing for scalable image search", ICCV 2009)
# goes one step further: random hyperplanes in the feature space of *any* kernel.
#
# ## What you will learn
#
# - **See**: the unit balls of a Mahalanobis metric before and after learning from similar / dissimilar
#   pairs on the six toy points A(1,1) … F(4,3) of Wu's lecture (below); the squared distances of thousands of
#   MNIST pair constraints before and after; hash collision rates lying on the theoretical curve; and
#   precision–recall curves of Euclidean vs learned-metric retrieval, exact and hashed.
# - **Do**: fit **ITML** (information-theoretic metric learning, Davis, Kulis, Jain, Sra & Dhillon, ICML
#   2007) from pairs and from labels, factor the learned matrix as A = GᵀG, hash with h(x) = 1[rᵀGx ≥ 0],
#   move a bits slider to watch hashed retrieval approach the exact metric, and hash with a Gaussian kernel
#   through `KernelizedHash`, measuring its collision rate against the kernel value.
# - **Learn**: why the LogDet divergence keeps the metric positive definite for free (and a Frobenius
#   projection does not); that metric LSH collides with probability 1 − θ_A(x, y)/π; and that a metric
#   learned from *global* pair constraints improves class-level ranking (mAP) and leaves a *local* kNN
#   classifier where it was; that kernelized LSH collides with probability 1 − θ/π for the angle θ between
#   *centred* feature vectors, up to a central-limit approximation you can see.
# - **Need**: lecture 02 (random hyperplanes, SimHash), linear algebra (eigen-decomposition, positive
#   definite matrices). MNIST is read from its test split (`pool="test"`).
#
# **Run time**: about 2 minutes at full size on a 2-core laptop (three ITML fits of ~10 s each in section 6
# and the mAP of exact rankings); `LSHLAB_SIZE=small` runs in under a minute.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from scipy.stats import spearmanr
from sklearn.decomposition import PCA
from tqdm.auto import tqdm

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import hamming_distance_matrix
from lshlab.evaluation import code_distances, encode_pair, score_codes
from lshlab.hashing import KernelizedHash, MetricHash
from lshlab.hashing.metric import metric_collision_probability
from lshlab.kernels import gaussian_kernel, median_heuristic_bandwidth
from lshlab.metric_learning import (
    ITML,
    knn_accuracy,
    logdet_divergence,
    mahalanobis_distance_matrix,
    metric_factor,
    same_class_distance_ratio,
)
from lshlab.metrics import mean_average_precision, precision_recall_curve_retrieval, relevance_from_labels
from lshlab.widgets import metric_explorer, prepare_metric_comparison

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %% [markdown]
# One parameter cell: full size by default, `LSHLAB_SIZE=small` (what CI sets) shrinks everything, and
# `LSHLAB_<NAME>=…` overrides one value.

# %%
SEED = 0
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=1000, small=300)
PCA_DIM = param("PCA_DIM", full=40, small=30)
N_CONSTRAINTS = param("N_CONSTRAINTS", full=4000, small=2000)
GAMMA = param("GAMMA", full=0.1)
K = param("K", full=5)
N_BITS = param("N_BITS", full=64)
N_BITS_THEORY = param("N_BITS_THEORY", full=8192, small=4096)
N_EXPLORER_QUERIES = param("N_EXPLORER_QUERIES", full=200, small=100)
N_SEEDS = param("N_SEEDS", full=3, small=2)

# %% [markdown]
# ## 1. Mahalanobis distances
#
# A symmetric positive semi-definite d × d matrix A defines
#
# $$d_A(x, y) = (x - y)^\top A (x - y), \qquad s_A(x, y) = x^\top A y ,$$
#
# a (squared) distance and a generalised inner product. A = I is the squared Euclidean distance; a
# diagonal A re-weights the coordinates; off-diagonal entries rotate the axes along which it stretches.
# Writing A = GᵀG (here G = Λ^{1/2}Vᵀ from the eigen-decomposition A = VΛVᵀ) gives
# d_A(x, y) = ‖Gx − Gy‖²: **a Mahalanobis distance is a Euclidean distance after the linear map x ↦ Gx.**

# %%
rng = np.random.default_rng(SEED)
M = rng.normal(size=(3, 3))
A_demo = M @ M.T + 0.1 * np.eye(3)
x_demo = rng.normal(size=(4, 3))
G_demo = metric_factor(A_demo)  # Λ^{1/2} Vᵀ
assert np.allclose(G_demo.T @ G_demo, A_demo)
d_direct = mahalanobis_distance_matrix(x_demo, x_demo, A_demo)
d_mapped = mahalanobis_distance_matrix(x_demo @ G_demo.T, x_demo @ G_demo.T, np.eye(3))
print(np.round(d_direct, 3))
assert np.allclose(d_direct, d_mapped)

# %% [markdown]
# *A correction.* Z. Wu, "Hashing representation learning", lecture, Tsinghua University (Shenzhen International Graduate School), writes A = A^{1/2}A^{1/2} and calls A^{1/2} "a linear
# embedding function that embeds the data into a low-dimensional **binary** space". It is a linear map
# x ↦ Gx into ℝᵈ: real-valued, and of the same dimension d unless A is rank-deficient. Nothing binary
# happens until the random hyperplanes of section 4, h(x) = 1[rᵀGx ≥ 0], turn Gx into bits. Any G with
# GᵀG = A will do — the symmetric square root A^{1/2} = VΛ^{1/2}Vᵀ of the lecture and our Λ^{1/2}Vᵀ differ by
# the rotation V, which changes neither distances nor the distribution of rᵀGx for r ~ N(0, I):

# %%
w_demo, V_demo = np.linalg.eigh(A_demo)
A_half = V_demo @ np.diag(np.sqrt(w_demo)) @ V_demo.T  # the symmetric square root
emb = x_demo @ A_half.T
display(Markdown(
    f"**What the numbers say.** x ↦ A^{{1/2}}x maps the {x_demo.shape[0]} points to real vectors in ℝ^{A_half.shape[0]} "
    f"(first one: {np.round(emb[0], 3).tolist()}); their squared distances equal d_A to "
    f"{np.abs(mahalanobis_distance_matrix(emb, emb, np.eye(3)) - d_direct).max():.0e}, and A^{{1/2}} = V·G with "
    f"V orthogonal (‖A^{{1/2}} − V G‖ = {np.linalg.norm(A_half - V_demo @ G_demo):.0e})."
))
assert np.allclose(mahalanobis_distance_matrix(emb, emb, np.eye(3)), d_direct)
assert np.allclose(A_half, V_demo @ G_demo)

# %% [markdown]
# ## 2. Learning A from pairs: ITML and the LogDet divergence
#
# Side information comes as pairs: a set S of *similar* pairs and a set D of *dissimilar* pairs. ITML asks
# for the metric closest to a prior A₀ (the identity, or the inverse covariance) that keeps similar pairs
# within u and pushes dissimilar pairs beyond l:
#
# $$\min_{A \succ 0} D_{\ell d}(A, A_0) \quad \text{s.t.}\quad d_A(x_i, x_j) \le u \ ((i,j)\in S),
# \qquad d_A(x_i, x_j) \ge l \ ((i,j) \in D),$$
#
# with the **LogDet divergence** $D_{\ell d}(A, A_0) = \operatorname{tr}(A A_0^{-1}) - \log\det(A A_0^{-1}) - d$.
# It is twice the KL divergence between the Gaussians with precision matrices A₀ and A, so "closest
# metric" means "closest Gaussian". Slack variables ξ (weighted by γ) let infeasible constraints bend.
#
# The solver visits one constraint at a time and projects onto it (a *Bregman projection*). With
# z = xᵢ − xⱼ and p = zᵀAz, each projection is a rank-one update
#
# $$A \leftarrow A + \beta\, A z z^\top A, \qquad \det(A_{\text{new}}) = \det(A)\,(1 + \beta p) ,$$
#
# and ITML's β always keeps 1 + βp > 0: the divergence is +∞ on singular matrices, so its projections
# never reach them. A is positive definite at every step **without any eigenvalue clipping**.
#
# Compare with the most obvious alternative, projecting in the Frobenius norm, on one similar pair that
# is too far apart (p = 1.1 must shrink to ξ = 0.1) under a prior that already squeezes the second axis:

# %%
A0 = np.diag([1.0, 0.1])
z = np.array([1.0, 1.0])
p, xi = z @ A0 @ z, 0.1
A_frobenius = A0 + (xi - p) / (z @ z) ** 2 * np.outer(z, z)
A_logdet = A0 + (xi - p) / p**2 * np.outer(A0 @ z, A0 @ z)
print("constraint zᵀAz:", z @ A_frobenius @ z, z @ A_logdet @ z)
print("eigenvalues, Frobenius projection:", np.linalg.eigvalsh(A_frobenius))
print("eigenvalues, LogDet projection:   ", np.linalg.eigvalsh(A_logdet))

# %%
display(Markdown(
    f"**What the numbers say.** Both updates meet the constraint (zᵀAz = {z @ A_frobenius @ z:.3f} and "
    f"{z @ A_logdet @ z:.3f}), but the Frobenius projection's smallest eigenvalue is "
    f"{np.linalg.eigvalsh(A_frobenius)[0]:.3f}: it is **not a metric any more** (some squared \"distances\" "
    f"are negative), while the LogDet projection keeps both eigenvalues positive "
    f"(smallest {np.linalg.eigvalsh(A_logdet)[0]:.3f}; its determinant is det A₀ · ξ/p = "
    f"{np.linalg.det(A0) * xi / p:.4f})."
))

# %% [markdown]
# The LogDet update is what `ITML` does; a single projection with γ = ∞ is exactly the closed form above:

# %%
single = ITML(gamma=np.inf, prior=A0, bounds=(xi, 10.0))
single.fit_pairs(np.array([[0, 1]]), np.array([True]), X=np.vstack([np.zeros(2), z]))
assert np.linalg.eigvalsh(A_frobenius)[0] < 0 < np.linalg.eigvalsh(A_logdet)[0]
assert np.allclose(single.A_, A_logdet)

# %% [markdown]
# ## 3. A toy example: A(1,1), B(2,1), C(1,2), D(2,2), E(4,2), F(4,3)
#
# Six points from Wu's lecture.
# We declare two pairs similar — the diagonal (A,D) and the vertical (E,F) — and two pairs dissimilar — the
# anti-diagonal (B,C) and the horizontal (D,E) — and ask for similar pairs within u = 1 and dissimilar ones
# beyond l = 4 (γ = ∞: no slack). The blue ellipses are the balls d_A(c, x) = 1 around every point.

# %%
names = list("ABCDEF")
toy = np.array([[1, 1], [2, 1], [1, 2], [2, 2], [4, 2], [4, 3]], dtype=float)
toy_pairs = np.array([[0, 3], [4, 5], [1, 2], [3, 4]])  # (A,D), (E,F), (B,C), (D,E)
toy_similar = np.array([True, True, False, False])
toy_itml = ITML(gamma=np.inf, bounds=(1.0, 4.0), tol=1e-9).fit_pairs(toy_pairs, toy_similar, X=toy)
print("learned A =\n", np.round(toy_itml.A_, 3), "\npasses:", toy_itml.n_iter_, "converged:", toy_itml.converged_)
print("D_ld(A, I) =", round(logdet_divergence(toy_itml.A_, np.eye(2)), 4))
plots.plot_metric_before_after(toy, np.eye(2), toy_itml.A_, pairs=toy_pairs, similar=toy_similar, names=names);

# %%
d_prior = np.array([np.sum((toy[i] - toy[j]) ** 2) for i, j in toy_pairs])
d_toy = toy_itml.constraint_distances(toy)
for (i, j), s_, d0, d, lam in zip(toy_pairs, toy_similar, d_prior, d_toy, toy_itml.lambda_):
    print(f"{names[i]}{names[j]}  {'similar   ' if s_ else 'dissimilar'}  d before = {d0:.0f}  d_A = {d:.3f}  λ = {lam:.3f}")
display(Markdown(
    "**What the numbers say.** The learned balls are tilted: long along the diagonal A→D (a similar pair: "
    f"d_A(A, D) went from {d_prior[0]:.0f} to {d_toy[0]:.3f} = u) and short across it (B↔C, dissimilar: from "
    f"{d_prior[2]:.0f} to {d_toy[2]:.3f} = l); the off-diagonal entry {toy_itml.A_[0, 1]:.3f} of A rotates them. "
    f"E–F and D–E started exactly *at* their bounds (d = {d_prior[1]:.0f} = u and {d_prior[3]:.0f} = l). A is "
    "one global matrix: tilting it for A–D and B–C would have stretched E–F, so that constraint became active "
    f"(λ = {toy_itml.lambda_[1]:.3f} > 0) and ends at {d_toy[1]:.3f} = u, while D–E moved away from its bound to "
    f"{d_toy[3]:.3f} (λ = {toy_itml.lambda_[3]:.3f}: never needed). Every constraint holds and A stays positive "
    f"definite (smallest eigenvalue {np.linalg.eigvalsh(toy_itml.A_)[0]:.3f})."
))

# %%
assert np.all(d_toy[toy_similar] <= 1.0 + 1e-6) and np.all(d_toy[~toy_similar] >= 4.0 - 1e-6)
assert np.isclose(d_prior[1], 1.0) and np.isclose(d_prior[3], 4.0)  # E–F at u, D–E at l: exactly, not beyond
assert toy_itml.lambda_[1] > 0 and toy_itml.lambda_[3] == 0 and d_toy[3] > 4.0 + 1.0
assert np.linalg.eigvalsh(toy_itml.A_)[0] > 0

# %% [markdown]
# Wu's lecture also encodes these points as the bit strings v(A) = 10001000, …, v(F) = 11111110: each
# coordinate in **unary** on 4 bits (1 → 1000, 2 → 1100, 4 → 1111), the embedding of ℓ₁ into Hamming space
# of Gionis, Indyk & Motwani ("Similarity search in high dimensions via hashing", VLDB 1999). Hamming
# distance between unary codes is the ℓ₁ distance between the points, which is why "embed, then do LSH
# (bit sampling) in the binary space" works — here the embedding *is* binary, unlike x ↦ Gx. Metric LSH follows the same recipe with a different embedding: first x ↦ Gx, then
# random hyperplanes.

# %%
unary = np.array([[int(b) for c in pt.astype(int) for b in "1" * c + "0" * (4 - c)] for pt in toy], dtype=np.uint8)
print(["".join(map(str, row)) for row in unary])
l1 = np.abs(toy[:, None, :] - toy[None, :, :]).sum(-1)
assert np.array_equal(hamming_distance_matrix(unary, unary), l1)

# %% [markdown]
# ## 4. Metric LSH: h(x) = 1[rᵀGx ≥ 0]
#
# With A = GᵀG and r ~ N(0, I), the bit h(x) = 1[rᵀGx ≥ 0] is SimHash applied to Gx. Two points collide
# when the random hyperplane does not separate Gx from Gy, so
#
# $$P[h(x) = h(y)] = 1 - \frac{1}{\pi}\arccos\frac{x^\top A y}{\sqrt{x^\top A x \cdot y^\top A y}} ,$$
#
# the angle measured in the learned inner product. We learn a metric on MNIST (PCA to `PCA_DIM` dimensions,
# which also centres the data so that angles are meaningful), then check the formula on random pairs.

# %%
data = load_dataset("mnist", n_train=N_DATABASE, n_query=N_QUERY, pool="test", seed=SEED)
pca = PCA(n_components=PCA_DIM, random_state=SEED).fit(data.X_train)
X_db, X_q = pca.transform(data.X_train), pca.transform(data.X_query)
y_db, y_q = data.y_train, data.y_query
itml = ITML(gamma=GAMMA, n_constraints=N_CONSTRAINTS, random_state=SEED).fit(X_db, y_db)
print(f"{len(itml.pairs_)} constraints, bounds (u, l) = ({itml.bounds_[0]:.2f}, {itml.bounds_[1]:.2f}),",
      f"{itml.n_iter_} passes, converged: {itml.converged_}")
print("D_ld(A, I) =", round(logdet_divergence(itml.A_, itml.A0_), 2),
      " smallest eigenvalue of A:", round(float(np.linalg.eigvalsh(itml.A_)[0]), 4))

# %%
pair_rng = np.random.default_rng(SEED + 1)
qi, di = pair_rng.integers(0, len(X_q), 200), pair_rng.integers(0, len(X_db), 200)
theory, measured = {}, {}
for label, A in [("Euclidean (A = I)", np.eye(PCA_DIM)), ("ITML", itml.A_)]:
    h = MetricHash(N_BITS_THEORY, metric_matrix=A, random_state=SEED).fit(X_db)
    measured[label] = np.mean(h.transform(X_q[qi]) == h.transform(X_db[di]), axis=1)
    theory[label] = metric_collision_probability(X_q[qi], X_db[di], A)
plots.plot_collision_theory_vs_measured(theory, measured, n_bits=N_BITS_THEORY);

# %% [markdown]
# Each point is one pair; with n bits the measured agreement is a binomial proportion with standard
# deviation √(p(1 − p)/n). Over 200 pairs the largest deviation of pure binomial noise is about 3σ; we
# allow 4.5σ.

# %%
worst = {}
for label in theory:
    sd = np.sqrt(theory[label] * (1 - theory[label]) / N_BITS_THEORY)
    worst[label] = np.max(np.abs(measured[label] - theory[label]) / np.maximum(sd, 1e-12))
    assert np.all(np.abs(measured[label] - theory[label]) <= 4.5 * sd + 1e-3)
display(Markdown(
    f"**What the numbers say.** With {N_BITS_THEORY} bits per pair, the largest deviation from 1 − θ_A/π is "
    + " and ".join(f"{w:.2f}σ ({k})" for k, w in worst.items())
    + " — binomial noise, nothing systematic, over collision probabilities from "
    f"{min(t.min() for t in theory.values()):.2f} to {max(t.max() for t in theory.values()):.2f}."
))

# %% [markdown]
# ## 5. What did ITML learn on MNIST?
#
# Every constraint pair, its squared distance under the prior (x-axis) and under the learned metric
# (y-axis). Similar pairs (green) are pulled down towards u, dissimilar ones (red) pushed up towards l; with
# γ = `GAMMA` the slack lets the hardest pairs stop short of the bounds (each ends at its own target ξ).

# %%
Z = X_db[itml.pairs_[:, 0]] - X_db[itml.pairs_[:, 1]]
d_before = np.einsum("ij,ij->i", Z, Z)
d_after = itml.constraint_distances(X_db)
plots.plot_constraint_distances(d_before, d_after, itml.similar_, itml.bounds_);

# %%
rel_tol = 0.05
ok_sim = d_after[itml.similar_] <= itml.xi_[itml.similar_] * (1 + rel_tol)
ok_dis = d_after[~itml.similar_] >= itml.xi_[~itml.similar_] * (1 - rel_tol)
u, l = itml.bounds_
ratio_euclid = same_class_distance_ratio(X_q, y_q, None, random_state=SEED)
ratio_itml = same_class_distance_ratio(X_q, y_q, itml.A_, random_state=SEED)
display(Markdown(
    f"**What the numbers say.** Within {rel_tol:.0%} of their slack targets: {ok_sim.mean():.1%} of the similar "
    f"and {ok_dis.mean():.1%} of the dissimilar constraints. Within the bounds themselves: "
    f"{np.mean(d_after[itml.similar_] <= u):.1%} of the similar pairs (d_A ≤ u = {u:.1f}, before: "
    f"{np.mean(d_before[itml.similar_] <= u):.1%}) and {np.mean(d_after[~itml.similar_] >= l):.1%} of the "
    f"dissimilar ones (d_A ≥ l = {l:.1f}, before: {np.mean(d_before[~itml.similar_] >= l):.1%}). On **held-out** "
    f"queries, mean d(same class) / mean d(different class) — scale-free, so it compares the metrics fairly — "
    f"falls from {ratio_euclid:.3f} (Euclidean) to {ratio_itml:.3f} (ITML)."
))

# %%
assert ok_sim.mean() > 0.95 and ok_dis.mean() > 0.95
assert ratio_itml < 0.9 * ratio_euclid

# %% [markdown]
# ## 6. Retrieval and kNN with Euclidean vs ITML, exact and hashed
#
# Queries retrieve database images; an answer is relevant when it shows the same digit. We report the
# mean average precision of the full ranking (mAP, ties averaged) and the accuracy of a K-nearest-neighbour
# vote, for the exact distances and for `N_BITS`-bit codes ranked by Hamming distance.

# %%
relevant = relevance_from_labels(y_q, y_db)
results, curves = {}, {}
for label, A in tqdm([("Euclidean", np.eye(PCA_DIM)), ("ITML", itml.A_)], desc="exact and hashed rankings"):
    D = mahalanobis_distance_matrix(X_q, X_db, A)
    results[f"{label} exact"] = (knn_accuracy(D, y_db, y_q, K), mean_average_precision(D, relevant))
    curves[f"{label} exact"] = precision_recall_curve_retrieval(D, relevant, by="depth")
    codes = encode_pair(MetricHash(N_BITS, metric_matrix=A, random_state=SEED), X_db, X_q)
    hashed = score_codes(codes, relevant, pr="radius")
    results[f"{label} LSH {N_BITS} bits"] = (knn_accuracy(code_distances(codes), y_db, y_q, K), hashed.map)
    curves[f"{label} LSH {N_BITS} bits"] = hashed.pr
print(f"{'method':24s} {K}-NN accuracy    mAP")
for label, (acc, mean_ap) in results.items():
    print(f"{label:24s} {acc:10.3f}   {mean_ap:8.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained")
plots.plot_pr_curves(curves, ax=axes[0], title="Same-class retrieval, MNIST")
plots.plot_accuracy_bars({k: v[0] for k, v in results.items()}, ax=axes[1], ylabel=f"{K}-NN accuracy",
                         title=f"{K}-NN accuracy by method");

# %% [markdown]
# One fit and one set of hyperplanes is one sample. The ITML constraints are drawn at random and the
# hyperplanes too, so repeat both: `N_SEEDS` ITML fits with different constraint samples (each about 10 s),
# and `N_SEEDS` × 5 hash seeds, each compared with the Euclidean metric on the same queries (paired).

# %%
exact_gain, knn_change, hashed_gain = [], [], []
D_euclid = mahalanobis_distance_matrix(X_q, X_db, np.eye(PCA_DIM))
map_euclid, knn_euclid = results["Euclidean exact"][1], results["Euclidean exact"][0]
for s in tqdm(range(N_SEEDS), desc="ITML fits"):
    A_s = itml.A_ if s == 0 else ITML(gamma=GAMMA, n_constraints=N_CONSTRAINTS, random_state=SEED + s).fit(X_db, y_db).A_
    D_s = mahalanobis_distance_matrix(X_q, X_db, A_s)
    exact_gain.append(mean_average_precision(D_s, relevant) - map_euclid)
    knn_change.append(knn_accuracy(D_s, y_db, y_q, K) - knn_euclid)
    for h in range(5):
        pair = [score_codes(encode_pair(MetricHash(N_BITS, metric_matrix=A, random_state=100 * s + h), X_db, X_q),
                            relevant).map for A in (A_s, np.eye(PCA_DIM))]
        hashed_gain.append(pair[0] - pair[1])
exact_gain, knn_change, hashed_gain = map(np.array, (exact_gain, knn_change, hashed_gain))

# %%
display(Markdown(
    f"**What the numbers say.** The learned metric lifts the exact mAP from {map_euclid:.3f} by "
    f"{exact_gain.mean():+.3f} (range {exact_gain.min():+.3f} to {exact_gain.max():+.3f} over {N_SEEDS} constraint "
    f"samples) and the hashed mAP at {N_BITS} bits by {hashed_gain.mean():+.3f} ± {hashed_gain.std(ddof=1):.3f} "
    f"(smallest {hashed_gain.min():+.3f}, {hashed_gain.size} paired hash seeds). Hashing costs both metrics "
    f"about {results['Euclidean exact'][1] - results[f'Euclidean LSH {N_BITS} bits'][1]:.2f} mAP at {N_BITS} bits. "
    f"The {K}-NN accuracy moves by {knn_change.mean():+.3f} (range {knn_change.min():+.3f} to "
    f"{knn_change.max():+.3f}) from {knn_euclid:.3f}: ITML's constraints ask for *every* same-class pair to be "
    "closer than *every* different-class pair — a global, class-level ranking, which is what mAP measures. "
    "The kNN vote only needs the few nearest neighbours to be right, which Euclidean distance on MNIST "
    "already gets right most of the time, and ITML does not target them (LMNN, by Weinberger & Saul, does — "
    "see exercise 4)."
))

# %%
print("exact mAP gain per fit:", exact_gain.round(3), " kNN change:", knn_change.round(3))
assert exact_gain.min() > 0.05  # measured +0.115 to +0.119 over 3 constraint samples
assert hashed_gain.min() > 0 and hashed_gain.mean() > 3 * hashed_gain.std(ddof=1)
assert np.all(np.abs(knn_change) < 0.03)  # measured −0.008 to −0.013: kNN stays where it was

# %% [markdown]
# ## 7. Kernelized LSH: hyperplanes in the feature space of a kernel
#
# Metric LSH needs x ↦ Gx explicitly. For a kernel κ(x, y) = φ(x)ᵀφ(y) whose feature map φ is implicit
# (or infinite-dimensional, as for the Gaussian), Kulis & Grauman ("Kernelized locality-sensitive hashing
# for scalable image search", ICCV 2009) build the Gaussian direction r of SimHash from data: take p
# database samples (landmarks) and, for each bit, a random subset S of t of them. By the central limit
# theorem the mean of t centred feature vectors is approximately Gaussian with the data's covariance, and
# whitening it gives an approximately isotropic r. Through the landmarks' kernel matrix K this is their
#
# $$h(x) = \mathrm{sign}\Big(\sum_{i=1}^{p} w_i\,\kappa(x, x_i)\Big), \qquad w = K^{-1/2} e_S ,$$
#
# with e_S the indicator of S and κ, K centred on the landmarks' mean (`KernelizedHash(n_bits, kernel=σ,
# n_landmarks=p, subset_size=t)`, p = 300 and t = 30 as in the paper). SimHash's lemma then predicts
# P[h(x) = h(y)] ≈ 1 − θ/π, with θ the angle between the **centred** feature vectors (projected on the
# landmarks' span): `collision_probability`. For a Gaussian kernel κ(x, x) = 1, so without centring this
# would be 1 − arccos(κ(x, y))/π, a function of the kernel value alone. Measure it on MNIST pairs — the
# same random pairs as above plus each query's nearest database image, to cover large kernel values:

# %%
sigma_k = median_heuristic_bandwidth(X_db, random_state=SEED)
klsh = KernelizedHash(N_BITS_THEORY, kernel=sigma_k, random_state=SEED).fit(X_db)
near = mahalanobis_distance_matrix(X_q[qi], X_db, np.eye(PCA_DIM)).argmin(axis=1)
kq, kd = np.concatenate([qi, qi]), np.concatenate([di, near])
k_measured = np.mean(klsh.transform(X_q[kq]) == klsh.transform(X_db[kd]), axis=1)
k_predicted = klsh.collision_probability(X_q[kq], X_db[kd])
k_value = np.array([gaussian_kernel(X_q[i:i + 1], X_db[j:j + 1], bandwidth=sigma_k)[0, 0] for i, j in zip(kq, kd)])
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
plots.plot_collision_vs_kernel(k_value, k_measured, n_bits=N_BITS_THEORY, ax=axes[0])
plots.plot_collision_theory_vs_measured(k_predicted, k_measured, n_bits=N_BITS_THEORY, labels="pairs", ax=axes[1],
                                        title="KLSH: collisions vs prediction", xlabel="predicted 1 − θ/π (centred)");

# %%
gap = k_measured - k_predicted
rho_kernel = spearmanr(k_value, k_measured).statistic
display(Markdown(
    f"**What the numbers say.** Against the prediction from centred features, the measured agreement of "
    f"{N_BITS_THEORY} bits is off by {np.abs(gap).mean():.4f} on average (largest {np.abs(gap).max():.3f}, mean "
    f"signed gap {gap.mean():+.4f}; binomial noise alone gives about "
    f"{np.mean(np.sqrt(k_predicted * (1 - k_predicted) / N_BITS_THEORY)) * 0.8:.4f}): the prediction holds. What "
    f"is left is the central-limit approximation of a sum over t = 30 landmarks, which grows at small t "
    f"(exercise 7). Against the kernel value itself the collision rate rises on the whole (Spearman ρ = "
    f"{rho_kernel:.3f}) but is scattered, and below 1 − arccos(κ)/π for {np.mean(k_measured < 1 - np.arccos(k_value) / np.pi):.0%} "
    f"of the pairs: all Gaussian feature vectors share a large common component (here κ is between "
    f"{k_value.min():.2f} and {k_value.max():.2f}, never near 0), and centring removes it, so the angles that "
    "decide collisions — those between the centred features — are wider."
))

# %%
assert np.abs(gap).mean() < 0.015 and np.abs(gap).max() < 0.08  # tests/test_kernelized.py: mean 0.007–0.008
assert rho_kernel > 0.8 and np.mean(k_measured < 1 - np.arccos(k_value) / np.pi) > 0.9

# %% [markdown]
# Retrieval with the same Gaussian kernel: `N_BITS`-bit KLSH codes against metric LSH at the same length
# (averaged over 5 hash seeds each):

# %%
klsh_maps = [score_codes(encode_pair(KernelizedHash(N_BITS, kernel=sigma_k, random_state=h), X_db, X_q),
                         relevant).map for h in range(5)]
lsh_maps = [score_codes(encode_pair(MetricHash(N_BITS, random_state=h), X_db, X_q), relevant).map for h in range(5)]
display(Markdown(
    f"**What the numbers say.** At {N_BITS} bits, KLSH with the Gaussian kernel (σ = {sigma_k:.1f}, the median "
    f"heuristic) reaches mAP {np.mean(klsh_maps):.3f} ± {np.std(klsh_maps, ddof=1):.3f}, Euclidean SimHash "
    f"{np.mean(lsh_maps):.3f} ± {np.std(lsh_maps, ddof=1):.3f} (5 hash seeds each): level, within the spread of "
    "the seeds. For same-digit ranking this kernel brings nothing the Euclidean hyperplanes do not already have; "
    "KLSH's point is kernels that no explicit linear map reproduces (χ² on histograms, pyramid matching — the "
    "paper's use) and hashing under a learned kernel (exercise 7)."
))
assert min(klsh_maps) > relevant.mean() + 0.1  # far above chance
assert abs(np.mean(klsh_maps) - np.mean(lsh_maps)) < 0.05  # level with SimHash here

# %% [markdown]
# ## 8. Explorer: how many bits does metric LSH need?
#
# Move the slider: the PR curves by Hamming radius (left) rise towards the exact ones as the code grows,
# the measured bit agreement of sampled pairs tightens around theory (middle, with its ±2σ band), and the
# hashed kNN accuracy (right, blue) approaches the exact-metric accuracy (grey). Codes are computed once at
# 256 bits; an n-bit code is their first n bits.

# %%
comparison = prepare_metric_comparison(X_db, y_db, X_q[:N_EXPLORER_QUERIES], y_q[:N_EXPLORER_QUERIES],
                                       {"Euclidean": None, "ITML": itml.A_}, max_bits=256, k=K, random_state=SEED)
explorer = metric_explorer(comparison, value=N_BITS)
display(explorer)

# %% [markdown]
# ## Key takeaways
#
# - A Mahalanobis distance is a Euclidean distance after a linear map x ↦ Gx (A = GᵀG); the map is
#   real-valued — the bits come from the hyperplanes after it.
# - ITML learns A from pair constraints by LogDet (Bregman) projections that keep A positive definite for
#   free; a Frobenius projection does not.
# - Metric LSH is SimHash on Gx: collisions follow 1 − θ_A/π exactly, and the learned metric's mAP gain
#   survives hashing. Global pair constraints improve class-level ranking, not the kNN vote.
# - Kernelized LSH builds SimHash's random direction from t landmarks, for any kernel; its collisions follow
#   1 − θ/π for the centred features, up to a central-limit bias that shrinks with t.
#
# ## Exercises
#
# 1. **Slack.** Refit ITML with γ ∈ {0.01, 0.1, 1, 10}. Plot D_ld(A, I), the fraction of constraints within
#    the *bounds* u / l, and the mAP. Which γ overfits the training pairs? (Larger γ also converges more
#    slowly.)
#    <details><summary>Hint</summary>γ weighs the slack term: large γ forces the training pairs to their
#    bounds. Compare the training-pair fractions with the held-out mAP.</details>
# 2. **Prior.** Use `prior="covariance"` (A₀ = Σ⁻¹, the classical Mahalanobis distance). Does starting from
#    the whitened geometry help the mAP or the kNN accuracy?
#    <details><summary>Hint</summary>`ITML(prior="covariance", ...)`; the bounds u, l are chosen from the
#    prior's distances, so compare with `itml.bounds_`.</details>
# 3. **Frobenius vs LogDet.** Run the cyclic projections of section 2 with the Frobenius update instead of
#    the LogDet one on the toy problem with u = 0.05. After how many projections does A lose positive
#    definiteness? What would you have to add (clipping eigenvalues) and what would it cost per step?
#    <details><summary>Hint</summary>Loop over the four toy constraints and apply
#    A ← A + (ξ − p)/‖z‖⁴ · zzᵀ with ξ the bound of the violated constraint; watch
#    `np.linalg.eigvalsh(A)[0]`.</details>
# 4. **Local constraints.** Build `pairs` yourself from each database point's 3 nearest same-class and 3
#    nearest different-class neighbours (Euclidean) and call `fit_pairs`. Does kNN accuracy now improve?
#    Compare with the idea of LMNN (Weinberger & Saul, JMLR 2009).
#    <details><summary>Hint</summary>`brute_force_knn(X_db[y_db == c], X_db[y_db == c], 4)` gives the
#    same-class neighbours (drop the point itself); keep a few thousand pairs.</details>
# 5. **Theory.** Show that one ITML projection with γ = ∞ gives A₀ + (ξ − p)/p² · A₀zzᵀA₀ (use the
#    Sherman–Morrison formula on A⁻¹) and that its determinant factor is ξ/p > 0.
#    <details><summary>Hint</summary>The LogDet projection solves A⁻¹ = A₀⁻¹ − β zzᵀ with β chosen so that
#    zᵀAz = ξ; the matrix determinant lemma gives det(A) = det(A₀)/(1 − β p).</details>
# 6. **Hash tables.** Put the ITML codes into `lshlab.search.HashTables` (several tables of a few bits) and
#    measure recall against the number of candidates, compared with Euclidean SimHash.
#    <details><summary>Hint</summary>`HashTables(lambda: MetricHash(8, metric_matrix=itml.A_), n_tables)`
#    (see lecture 02 for the candidate and recall bookkeeping).</details>
# 7. **KLSH's central limit.** Refit `KernelizedHash` with `subset_size` t ∈ {5, 30, 150} and plot the mean
#    signed gap between measured and predicted collisions. Then try a narrower kernel (σ/3) and the learned
#    metric's Gaussian kernel, `kernel=lambda A, B: gaussian_kernel(itml.transform(A), itml.transform(B),
#    bandwidth=...)`: how do the mAP at `N_BITS` bits compare?
#    <details><summary>Hint</summary>The prediction assumes the sum over the t landmarks of S is Gaussian;
#    with small t a few landmarks dominate and the bits agree more often than predicted.</details>
#
# Worked solutions to exercises 3, 5 and 7: `notebooks/solutions/10_metric_lsh_solutions.py`.
#
# **Further reading.** J. V. Davis, B. Kulis, P. Jain, S. Sra, I. S. Dhillon, "Information-theoretic metric
# learning", ICML 2007. P. Jain, B. Kulis, K. Grauman, "Fast image search for learned metrics", CVPR 2008.
# B. Kulis, K. Grauman, "Kernelized locality-sensitive hashing for scalable image search", ICCV 2009 (and
# TPAMI 2012). M. Charikar, "Similarity estimation techniques from rounding algorithms", STOC 2002. A. Gionis,
# P. Indyk, R. Motwani, "Similarity search in high dimensions via hashing", VLDB 1999. B. Kulis, "Metric
# learning: a survey", Foundations and Trends in ML, 2013. K. Q. Weinberger, L. K. Saul, "Distance metric
# learning for large margin nearest neighbor classification", JMLR 2009.
