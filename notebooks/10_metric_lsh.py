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
# # Lecture 10 — Metric learning and metric LSH: Mahalanobis distances, ITML, hashing under a learned metric
#
# "Generic" distances such as the Euclidean one are easy to index but know nothing about the task; often
# we *do* know something: these two images show the same digit, those two do not. Metric learning turns
# such side information into a distance, and **metric LSH** (Jain, Kulis & Grauman, CVPR 2008) hashes
# under that learned distance so that search stays fast.
#
# ## What you will learn
#
# - **See**: the unit balls of a Mahalanobis metric before and after learning from similar / dissimilar
#   pairs on the six toy points A(1,1) … F(4,3) of the slides; the squared distances of thousands of
#   MNIST pair constraints before and after; hash collision rates lying on the theoretical curve; and
#   precision–recall curves of Euclidean vs learned-metric retrieval, exact and hashed.
# - **Do**: fit **ITML** (information-theoretic metric learning, Davis et al., ICML 2007) from pairs and
#   from labels, factor the learned matrix as A = GᵀG, hash with h(x) = 1[rᵀGx ≥ 0], and move a bits
#   slider to watch hashed retrieval approach the exact metric.
# - **Learn**: why the LogDet divergence keeps the metric positive definite for free (and a Frobenius
#   projection does not); that metric LSH collides with probability 1 − θ_A(x, y)/π; and that a metric
#   learned from *global* pair constraints improves class-level ranking (mAP) far more than it improves
#   a *local* kNN classifier.
# - **Need**: lecture 02 (random hyperplanes, SimHash), linear algebra (eigen-decomposition, positive
#   definite matrices). MNIST is read from its test split (`pool="test"`).

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from sklearn.decomposition import PCA

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import hamming_distance_matrix
from lshlab.evaluation import code_distances, encode_pair, score_codes
from lshlab.hashing import MetricHash
from lshlab.hashing.metric import metric_collision_probability
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

# %% [markdown]
# Both satisfy the constraint, but the Frobenius projection is **not a metric any more** (a negative
# eigenvalue: some "distances" are negative), while the LogDet projection is. The LogDet update is what
# `ITML` does; a single projection with γ = ∞ is exactly the closed form above:

# %%
single = ITML(gamma=np.inf, prior=A0, bounds=(xi, 10.0))
single.fit_pairs(np.array([[0, 1]]), np.array([True]), X=np.vstack([np.zeros(2), z]))
assert np.linalg.eigvalsh(A_frobenius)[0] < 0 < np.linalg.eigvalsh(A_logdet)[0]
assert np.allclose(single.A_, A_logdet)

# %% [markdown]
# ## 3. The toy example of the slides: A(1,1), B(2,1), C(1,2), D(2,2), E(4,2), F(4,3)
#
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

# %% [markdown]
# The learned balls are tilted: long along the diagonal A→D (a similar direction: d_A(A, D) went from 2
# down to u = 1) and short across it (B↔C, a dissimilar direction: from 2 up to l = 4); the off-diagonal
# entry of A is what rotates them. (E,F) started exactly at u and (D,E) beyond l, but A is one global
# matrix: tilting it for A, D, B, C would have stretched E–F, so that constraint became active too (its
# dual variable λ > 0), while D–E ended comfortably beyond l (λ = 0). Every constraint holds:

# %%
d_toy = toy_itml.constraint_distances(toy)
for (i, j), s, d, lam in zip(toy_pairs, toy_similar, d_toy, toy_itml.lambda_):
    print(f"{names[i]}{names[j]}  {'similar   ' if s else 'dissimilar'}  d_A = {d:.3f}  λ = {lam:.3f}")
assert np.all(d_toy[toy_similar] <= 1.0 + 1e-6) and np.all(d_toy[~toy_similar] >= 4.0 - 1e-6)
assert np.linalg.eigvalsh(toy_itml.A_)[0] > 0

# %% [markdown]
# The slides also encode these points as the bit strings v(A) = 10001000, …, v(F) = 11111110: each
# coordinate in **unary** on 4 bits (1 → 1000, 2 → 1100, 4 → 1111). Hamming distance between unary codes
# is the ℓ₁ distance between the points, which is why "embed, then do LSH (bit sampling) in the binary
# space" works. Metric LSH follows the same recipe with a different embedding: first x ↦ Gx, then
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
# deviation √(p(1 − p)/n). Every pair lies within 4.5 of those standard deviations of theory:

# %%
for label in theory:
    sigma = np.sqrt(theory[label] * (1 - theory[label]) / N_BITS_THEORY)
    worst = np.max(np.abs(measured[label] - theory[label]) / np.maximum(sigma, 1e-12))
    print(f"{label:18s} largest deviation = {worst:.2f} σ")
    assert np.all(np.abs(measured[label] - theory[label]) <= 4.5 * sigma + 1e-3)

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
print(f"constraints met within {rel_tol:.0%} of their slack targets: similar {ok_sim.mean():.3f},",
      f"dissimilar {ok_dis.mean():.3f}")
assert ok_sim.mean() > 0.95 and ok_dis.mean() > 0.95

# %% [markdown]
# On **held-out** queries, same-class pairs are now much closer *relative to* different-class pairs (the
# ratio is scale-free, so it compares the two metrics fairly):

# %%
ratio_euclid = same_class_distance_ratio(X_q, y_q, None, random_state=SEED)
ratio_itml = same_class_distance_ratio(X_q, y_q, itml.A_, random_state=SEED)
print(f"mean d(same class) / mean d(different class): Euclidean {ratio_euclid:.3f}, ITML {ratio_itml:.3f}")
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
for label, A in [("Euclidean", np.eye(PCA_DIM)), ("ITML", itml.A_)]:
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
fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
plots.plot_pr_curves(curves, ax=axes[0], title="Same-class retrieval on MNIST: Euclidean vs ITML, exact and hashed")
plots.plot_accuracy_bars({k: v[0] for k, v in results.items()}, ax=axes[1], ylabel=f"{K}-NN accuracy",
                         title="kNN accuracy: the learned metric barely changes it");

# %% [markdown]
# The learned metric lifts the whole precision–recall curve — exact and hashed — and the class-level mAP,
# which is what its constraints ask for: *every* same-class pair closer than *every* different-class pair.
# The kNN vote only needs the few nearest neighbours to be right, and Euclidean distance on MNIST already
# gets those right most of the time; ITML's global constraints do not target them (LMNN, by Weinberger &
# Saul, does — see the exercises). Hashing costs some accuracy at `N_BITS` bits for both metrics, and the
# learned metric keeps its advantage in mAP after hashing:

# %%
assert results["ITML exact"][1] > results["Euclidean exact"][1] + 0.03
assert results[f"ITML LSH {N_BITS} bits"][1] > results[f"Euclidean LSH {N_BITS} bits"][1] + 0.02
assert results["ITML exact"][0] > results["Euclidean exact"][0] - 0.05

# %% [markdown]
# ## 7. Explorer: how many bits does metric LSH need?
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
# ## Exercises
#
# 1. **Slack.** Refit ITML with γ ∈ {0.01, 0.1, 1, 10}. Plot D_ld(A, I), the fraction of constraints within
#    the *bounds* u / l, and the mAP. Which γ overfits the training pairs? (Larger γ also converges more slowly.)
# 2. **Prior.** Use `prior="covariance"` (A₀ = Σ⁻¹, the classical Mahalanobis distance). Does starting from
#    the whitened geometry help the mAP or the kNN accuracy?
# 3. **Frobenius vs LogDet.** Run the cyclic projections of section 2 with the Frobenius update instead of
#    the LogDet one on the toy problem with u = 0.05. After how many projections does A lose positive
#    definiteness? What would you have to add (clipping eigenvalues) and what would it cost per step?
# 4. **Local constraints.** Build `pairs` yourself from each database point's 3 nearest same-class and 3
#    nearest different-class neighbours (Euclidean) and call `fit_pairs`. Does kNN accuracy now improve?
#    Compare with the idea of LMNN (Weinberger & Saul, JMLR 2009).
# 5. **Theory.** Show that one ITML projection with γ = ∞ gives A₀ + (ξ − p)/p² · A₀zzᵀA₀ (use the
#    Sherman–Morrison formula on A⁻¹) and that its determinant factor is ξ/p > 0.
# 6. **Hash tables.** Put the ITML codes into `lshlab.search.HashTables` (several tables of a few bits) and
#    measure recall against the number of candidates, compared with Euclidean SimHash.
#
# **Further reading.** J. V. Davis, B. Kulis, P. Jain, S. Sra, I. S. Dhillon, "Information-theoretic metric
# learning", ICML 2007. P. Jain, B. Kulis, K. Grauman, "Fast image search for learned metrics", CVPR 2008.
# M. Charikar, "Similarity estimation techniques from rounding algorithms", STOC 2002. B. Kulis, "Metric
# learning: a survey", Foundations and Trends in ML, 2013. K. Q. Weinberger, L. K. Saul, "Distance metric
# learning for large margin nearest neighbor classification", JMLR 2009.
