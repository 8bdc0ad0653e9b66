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
# # Lecture 08 — Graph Laplacians and spectral hashing
#
# Random hyperplanes (lecture 02) ignore the data. Spectral hashing (Weiss, Torralba & Fergus, "Spectral
# hashing", NIPS 2008) asks what a *good* short code is — similar items get close codes, every bit splits
# the data in half, bits do not repeat each other — and finds that the answer is a graph-partitioning
# problem whose relaxation is solved by eigenvectors of a graph Laplacian. This lecture builds that chain
# from a five-node graph up to codes for MNIST.
#
# ## What you will learn
#
# - **graph Laplacians**: L = D − A of a small graph, its spectrum and eigenvectors, and what xᵀLx
#   measures;
# - **the ratio cut** RatioCut(U, Ū) = cut(U, Ū)(1/|U| + 1/|Ū|), why the second-smallest eigenvalue λ₂
#   bounds it from below, and the Fiedler vector as its relaxed minimiser — checked against all 15 splits;
# - **the spectral relaxation** of the spectral-hashing objective and its continuous limit: closed-form
#   eigenfunctions on a box, their **exact eigenvalue** 1 − exp(−ε²/2·(kπ/(b − a))²) and its small-ε limit;
# - **what each bit does** on 2-D uniform data, and how LSH, an RBM and spectral hashing retrieve
#   ε-neighbours as the code grows — including where more bits *hurt*;
# - **MNIST**: spectral hashing against LSH at 12–48 bits, with a bits explorer. PCA hashing, ITQ and
#   semantic hashing with RBMs follow in lecture 09.
#
# You need lectures 01–02 (Hamming ranking, precision–recall, mAP) and the eigen-decomposition of a
# symmetric matrix. **Run time**: under a minute at full size on a 2-core laptop (23 s measured on a busy
# machine; no cell takes more than about 10 s); `LSHLAB_SIZE=small` runs in seconds.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from lshlab import plots
from lshlab.evaluation import compare_hashers
from lshlab.small_codes import small_code_factories, uniform_box_problem
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.hashing import RandomHyperplaneHash, RBMHash, SpectralHash
from lshlab.hashing.spectral import (
    bipartitions, box_eigenfunction, box_eigenvalue, box_laplacian_spectrum, cut_value, fiedler_vector,
    graph_laplacian, ratio_cut,
)
from lshlab.metrics import relevance_from_labels
from lshlab.widgets.spectral import spectral_explorer

plt.rcParams["figure.dpi"] = 90

# %% [markdown]
# One parameter cell: full size by default; `LSHLAB_SIZE=small` (what CI uses) shrinks everything, and
# `LSHLAB_<NAME>=…` overrides one value.

# %%
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=1000, small=200)
N_TOY = param("N_TOY", full=4000, small=1500)
N_TOY_QUERY = param("N_TOY_QUERY", full=500, small=200)
N_TOY_SEEDS = param("N_TOY_SEEDS", full=5, small=3)
RBM_EPOCHS = param("RBM_EPOCHS", full=10, small=4)
BITS = (12, 24, 32, 48)
TOY_BITS = (2, 4, 8, 16, 32)
SEED = 0

# %% [markdown]
# ## 1. A graph and its Laplacian
#
# Five nodes with edges 1–2, 1–3, 1–4, 2–3, 4–5 (the example of Zhiyong Wu's lecture "Hashing
# representation learning", Tsinghua University Shenzhen International Graduate School). The adjacency
# matrix A has a 1 per edge, the degree matrix D the number of edges per node, and the Laplacian is
# L = D − A. For any labelling x of the nodes,
#
# $$x^\top L x = \tfrac12 \sum_{i,j} A_{ij}\,(x_i - x_j)^2 ,$$
#
# the total squared change of x across the edges: small when neighbours get similar values. So L is
# positive semi-definite, and the constant vector costs nothing (eigenvalue 0).

# %%
edges = [(1, 2), (1, 3), (1, 4), (2, 3), (4, 5)]
A = np.zeros((5, 5))
for i, j in edges:
    A[i - 1, j - 1] = A[j - 1, i - 1] = 1
L = graph_laplacian(A)
eigenvalues, V = np.linalg.eigh(L)
V = V * np.sign(V[np.abs(V).argmax(axis=0), range(5)])  # sign convention: largest entry positive
print(L.astype(int))
display(pd.DataFrame(V, index=pd.Index(range(1, 6), name="node"),
                     columns=[f"v{k + 1} (λ = {lam:.4f})" for k, lam in enumerate(eigenvalues)]).round(6))

# %% [markdown]
# Rows are nodes, columns are the eigenvectors v₁ … v₅ in order of increasing eigenvalue. Two corrections
# to the table printed with this example in Wu's lecture: there, both the rows and the columns are labelled
# "Node id" — the columns are eigenvector indices, not nodes — and the last entry of the first column reads
# −0.447958. The first eigenvector is the constant unit vector, so all its entries are ±1/√5:

# %%
const = V[:, 0]
display(Markdown(
    f"**What the numbers say.** The eigenvalues are {', '.join(f'{e:.4f}' for e in eigenvalues)}; the "
    f"smallest is 0 (to {abs(eigenvalues[0]):.0e}), with the constant eigenvector: every entry of v₁ is "
    f"{const[0]:.6f} = 1/√5 = {1 / np.sqrt(5):.6f}. The printed −0.447958 differs from −1/√5 by "
    f"{abs(0.447958 - 1 / np.sqrt(5)):.1e}, far more than rounding: with it, v₁ would not have unit norm "
    f"(‖v₁‖² would be {4 / 5 + 0.447958 ** 2:.6f}). It is a typo for −0.447214."
))

# %%
assert np.allclose(eigenvalues, [0, 0.5188, 2.3111, 3.0, 4.1701], atol=1e-4)
assert np.allclose(np.abs(const), 1 / np.sqrt(5), atol=1e-12) and abs(0.447958 - 1 / np.sqrt(5)) > 5e-4
assert np.allclose(V.T @ L @ V, np.diag(eigenvalues), atol=1e-12)

# %% [markdown]
# ## 2. The ratio cut, and why λ₂ bounds it
#
# Split the nodes into U and its complement Ū. The **cut** is the weight of the edges between them,
# cut(U, Ū) = Σ_{i∈U, j∉U} A_ij. Cutting off a single leaf is always cheap, so partitioning objectives
# balance the cut against the sizes of the sides. The **ratio cut** (Hagen & Kahng, "New spectral methods
# for ratio cut partitioning and clustering", IEEE TCAD 1992; von Luxburg, "A tutorial on spectral
# clustering", 2007) is
#
# $$\mathrm{RatioCut}(U, \bar U) = \mathrm{cut}(U, \bar U)\left(\frac{1}{|U|} + \frac{1}{|\bar U|}\right).$$
#
# Why λ₂ bounds it: take f_i = √(|Ū|/|U|) on U and −√(|U|/|Ū|) on Ū. Then Σ_i f_i = 0, ‖f‖² = n and
# fᵀLf = n·RatioCut(U, Ū), so RatioCut = fᵀLf/fᵀf. The smallest Rayleigh quotient over all vectors
# orthogonal to the constant one is λ₂ (Courant–Fischer), hence **RatioCut(U, Ū) ≥ λ₂ for every split**.
# Hagen & Kahng write the same cost as cut(U, Ū)/(|U|·|Ū|) = RatioCut/n, with the bound λ₂/n.
#
# *A correction.* Wu's lecture defines the ratio cut as cut(U, W)/(|U| + |W|) and quotes the bound
# c ≥ λ₂/n. But |U| + |W| = n for every split, so that cost is just cut/n: it does not balance
# the sides at all, and the bound belongs to Hagen & Kahng's cut/(|U|·|W|). All 15 splits of our graph:

# %%
splits = bipartitions(5)
rc = np.array([ratio_cut(A, s) for s in splits])
cut_over_n = np.array([cut_value(A, s) / 5 for s in splits])
v2, lambda2 = fiedler_vector(A)
plots.plot_ratio_cuts(A);

# %%
def side(s):
    return "{" + ",".join(str(i + 1) for i in np.flatnonzero(s)) + "}"


best = splits[rc.argmin()]
ties_cut_n = [side(s) if s.sum() <= 2 else side(~s) for s in splits[cut_over_n == cut_over_n.min()]]
display(Markdown(
    f"**What the numbers say.** The best ratio cut is {side(best)} | {side(~best)} with RatioCut = "
    f"{rc.min():.4f} (one edge cut, sides of {best.sum()} and {5 - best.sum()}), above the bound "
    f"λ₂ = {lambda2:.4f}; the worst split costs {rc.max():.2f}. Hagen & Kahng's form: "
    f"{rc.min() / 5:.4f} ≥ λ₂/5 = {lambda2 / 5:.4f}. The cut/n of Wu's lecture is minimal "
    f"({cut_over_n.min():.2f}) for {len(ties_cut_n)} splits at once — cutting off {' or '.join(ties_cut_n)} "
    "— because it only counts edges: it cannot prefer the balanced split."
))

# %%
assert np.all(rc >= lambda2 - 1e-12)
assert set(np.flatnonzero(best) + 1) in ({1, 2, 3}, {4, 5})
assert np.isclose(rc.min(), 1 / 3 + 1 / 2)
assert (cut_over_n == cut_over_n.min()).sum() >= 2  # cut/n ties the unbalanced and the balanced split

# %% [markdown]
# ## 3. The relaxation: the Fiedler vector
#
# Minimising RatioCut over splits is NP-hard in general. Relax "f takes two values" to "f is any vector
# orthogonal to 1": the minimiser is the eigenvector of λ₂, the **Fiedler vector**, and its signs give the
# split (Fiedler, "Algebraic connectivity of graphs", 1973). On this graph rounding the relaxed solution
# finds the optimal split; in general it is a heuristic, bounded below by λ₂.

# %%
split = ({int(i) + 1 for i in np.flatnonzero(v2 < 0)}, {int(i) + 1 for i in np.flatnonzero(v2 >= 0)})
print("Fiedler vector:", v2.round(4), "  split:", split)
plots.plot_graph_partition(A, positions=[[0, 1], [-1, 0.2], [-0.6, -0.9], [1, 0.2], [1.6, -0.9]]);

# %%
assert split in (({1, 2, 3}, {4, 5}), ({4, 5}, {1, 2, 3}))
assert np.isclose(lambda2, eigenvalues[1]) and np.isclose(ratio_cut(A, v2 < 0), rc.min())

# %% [markdown]
# ## 4. Spectral hashing: from eigenvectors to eigenfunctions
#
# Spectral hashing asks for codes yᵢ ∈ {−1, 1}ᵏ minimising Σᵢⱼ Wᵢⱼ ‖yᵢ − yⱼ‖² with affinities
# Wᵢⱼ = exp(−‖xᵢ − xⱼ‖²/ε²), **balanced** bits (Σᵢ yᵢ = 0) and **uncorrelated** bits
# ((1/n) Σᵢ yᵢyᵢᵀ = I). In matrix form: minimise trace(Yᵀ(D − W)Y). Binary Y makes this a partitioning
# problem like the ratio cut; dropping the binary constraint leaves the k eigenvectors of L = D − W with
# the smallest non-zero eigenvalues — the Fiedler idea, k times.
#
# Two problems remain: W is n × n, and a *new* point has no eigenvector entry. Weiss et al. let n → ∞:
# eigenvectors become eigenfunctions of a weighted Laplace operator on the data density. For a uniform
# density on an interval [a, b] they are known in closed form (the paper's section 3.1),
#
# $$\Phi_k(x) = \sin\Big(\frac{\pi}{2} + \frac{k\pi}{b-a}(x - a)\Big), \qquad
# \lambda_k = 1 - \exp\Big(-\frac{\varepsilon^2}{2}\Big|\frac{k\pi}{b-a}\Big|^2\Big),$$
#
# and for a box-shaped (PCA-aligned) density the 1-D functions of each direction are eigenfunctions too.
# λ_k is the exact eigenvalue, for the random-walk Laplacian I − D⁻¹W of the Gaussian affinity
# exp(−(x − y)²/(2ε²)): averaging cos(ωy) against a normalised Gaussian of variance ε² multiplies it by
# exp(−ε²ω²/2). (With the affinity written as exp(−(x − y)²/ε²), as in the paper, the exponent is ε²/4
# instead — a rescaling of ε that changes no ordering.) The familiar "eigenvalue ∝ (kπ/(b − a))²" is its
# **small-ε limit**, 1 − e^{−t} ≈ t. Check both on a fine grid of [0, 1] with reflecting ends:

# %%
a, b = 0.0, 1.0
EPSILONS = (0.05, 0.2)
grid = {eps: box_laplacian_spectrum(400, a, b, eps, n_modes=8) for eps in EPSILONS}
x_grid, _, vecs = grid[0.05]
fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for k in (1, 2, 3):
    phi = box_eigenfunction(x_grid, k, a, b)
    axes[0].plot(x_grid, phi / np.linalg.norm(phi), lw=3, alpha=0.4, label=f"Φ_{k} (formula)")
    axes[0].plot(x_grid, vecs[:, k] * np.sign(vecs[:, k] @ phi), "k--", lw=1)
axes[0].set(xlabel="x", ylabel="normalised value", title="Graph eigenvectors (dashed) vs Φ_k")
axes[0].legend(fontsize=9)
plots.plot_box_eigenvalues(a, b, EPSILONS, n_modes=8, measured={e: g[1] for e, g in grid.items()}, ax=axes[1]);

# %%
k = np.arange(8)
exact = {eps: box_eigenvalue(k, a, b, eps) for eps in EPSILONS}
limit = {eps: 0.5 * eps**2 * (k * np.pi / (b - a)) ** 2 for eps in EPSILONS}
gap = {eps: np.abs(grid[eps][1] - exact[eps]).max() for eps in EPSILONS}
display(Markdown(
    f"**What the numbers say.** The grid eigenvalues equal the exact formula to {max(gap.values()):.1e} for both "
    f"ε. For ε = 0.05 the small-ε limit is close (k = 4: {limit[0.05][4]:.4f} vs exact {exact[0.05][4]:.4f}); "
    f"for ε = 0.2 it is not (k = 4: {limit[0.2][4]:.2f} vs {exact[0.2][4]:.2f}) — the exact eigenvalues "
    f"saturate below 1: every slab narrower than ε costs about the same. The *order* of the modes is the "
    "same for every ε, which is all spectral hashing needs to choose its bits."
))

# %%
for eps in EPSILONS:
    assert np.allclose(grid[eps][1], exact[eps], atol=1e-9)  # exact form, not the limit
    assert np.all(limit[eps][1:] > exact[eps][1:]) and np.all(np.diff(exact[eps]) > 0)
for kk in range(1, 5):
    phi = box_eigenfunction(x_grid, kk, a, b)
    assert abs(phi @ vecs[:, kk]) / np.linalg.norm(phi) > 1 - 1e-9

# %% [markdown]
# **The algorithm.** PCA → for every principal direction j its range [aⱼ, bⱼ] → among all pairs
# (direction j, frequency k ≥ 1) keep the n_bits with the smallest (kπ/(bⱼ − aⱼ))² → bit = 1[Φₖ(vⱼ) > 0].
# Long directions get several bits (k = 1, 2, 3, …) before short ones get any.
#
# ## 5. What the first bits do on 2-D uniform data
#
# We sample a uniform rectangle [0, 1] × [0, 0.6] (a rectangle rather than a square so that the
# principal directions are the axes; on a square PCA may pick any rotation).

# %%
toy_train, toy_query, toy_relevant = uniform_box_problem(N_TOY, N_TOY_QUERY, sides=(1.0, 0.6), epsilon=0.06,
                                                         random_state=SEED)
sh_toy = SpectralHash(n_bits=6).fit(toy_train)
print("(direction, k) per bit:", [tuple(int(t) for t in m) for m in sh_toy.modes_])
plots.plot_code_bits({"SH": sh_toy}, toy_train, n_show=6, ncols=3);

# %% [markdown]
# Bit 1 cuts the long side in half (k = 1), bit 2 the short side, bit 3 puts the two ends of the long
# side against its middle (k = 2), and so on: slabs of width (b − a)/k. Every bit is balanced, as the
# objective demands. They are *not* all uncorrelated: the square waves sgn cos(πt) and sgn cos(3πt)
# have correlation −1/3 — the relaxation decorrelates the eigenfunctions, not their signs.

# %%
sh_codes = SpectralHash(n_bits=8).fit(toy_train).transform(toy_train)
modes8 = [tuple(int(t) for t in m) for m in SpectralHash(n_bits=8).fit(toy_train).modes_]
corr = np.corrcoef(sh_codes.T.astype(float))
i1, i3 = modes8.index((0, 1)), modes8.index((0, 3))
display(Markdown(
    f"**What the numbers say.** Bit balance (fraction of ones) ranges over "
    f"{sh_codes.mean(axis=0).min():.3f}–{sh_codes.mean(axis=0).max():.3f}; the correlation between the bits of "
    f"modes (PC1, k = 1) and (PC1, k = 3) is {corr[i1, i3]:.3f} (theory −1/3 = {-1 / 3:.3f}), while bits of "
    f"different directions have |correlation| ≤ "
    f"{max(abs(corr[p, q]) for p in range(8) for q in range(p + 1, 8) if modes8[p][0] != modes8[q][0]):.3f}."
))

# %%
assert np.allclose(sh_codes.mean(axis=0), 0.5, atol=0.05)
assert [tuple(m) for m in sh_toy.modes_[:3]] == [(0, 1), (1, 1), (0, 2)]
assert abs(corr[i1, i3] + 1 / 3) < 0.05

# %% [markdown]
# ## 6. Toy comparison: LSH vs RBM vs spectral hashing
#
# The comparison of Torralba, Fergus & Weiss ("Small codes and large image databases for recognition",
# CVPR 2008) on the same data: three 16-bit codes, the first four bits each. LSH uses hyperplanes through
# the data mean; the RBM is a two-layer stack (hidden layer + code layer) with median thresholds
# (lecture 09 explains it).

# %%
toy_models = {
    "LSH": RandomHyperplaneHash(16, center=True, random_state=SEED).fit(toy_train),
    "RBM": RBMHash(16, hidden=(32,), max_iter=RBM_EPOCHS, random_state=SEED).fit(toy_train),
    "SH": SpectralHash(16).fit(toy_train),
}
plots.plot_code_bits(toy_models, toy_train, n_show=4);

# %% [markdown]
# LSH bits are all lines through the centre: however many you draw, two points on the same ray from
# the centre never get different codes. The RBM's bits are all (nearly) the same — and barely depend
# on the input at all: its visible units model each coordinate as a coin with probability x, and two
# coins say too little about a point for contrastive divergence to learn more than the biases.
# Semantic hashing was designed for thousands of inputs (word counts, pixels), and Torralba et al. used
# Gaussian visible units for real values. Spectral hashing's bits tile the rectangle with ever finer slabs.
#
# Now retrieval. Ground truth: the ε-neighbours of each query (Euclidean distance below ε = 0.06, about
# 1 % of the data); ranking by Hamming distance, tie-aware mAP.

# %%
rbm_params = dict(hidden=(32,), max_iter=RBM_EPOCHS)
toy_factories = {m: f for m, f in small_code_factories(random_state=SEED, rbm_params=rbm_params).items()
                 if m in ("LSH", "RBM", "SH")}
toy_cmp, _ = compare_hashers(toy_factories, toy_train, toy_train, toy_query, toy_relevant, TOY_BITS)
print(f"ε = 0.06: {toy_relevant.mean():.2%} of the database are neighbours of a query")
plots.plot_map_vs_bits(toy_cmp, title="2-D uniform: mAP of ε-neighbours", ylabel="mAP (ε-neighbours)");

# %% [markdown]
# Up to 16 bits every SH bit refines the partition and SH is far ahead. At 32 bits it *drops*: the long
# side now gets frequencies up to k ≈ 20, i.e. slabs of width ≈ 0.05 < ε, so true neighbours are cut
# apart while the alternating slabs give far-apart points identical high-frequency bits. Is this one lucky
# sample? Redraw the data `N_TOY_SEEDS` times and compare SH at 16 and 32 bits, and SH at 16 bits with the
# best LSH length, on the same data each time (a paired difference):

# %%
sh_lsh = {m: toy_factories[m] for m in ("LSH", "SH")}
runs = []
for s in range(N_TOY_SEEDS):
    X_s, Q_s, rel_s = uniform_box_problem(N_TOY, N_TOY_QUERY, sides=(1.0, 0.6), epsilon=0.06, random_state=s)
    runs.append(compare_hashers(sh_lsh, X_s, X_s, Q_s, rel_s, TOY_BITS)[0])
drop = np.array([r.map[("SH", 16)] - r.map[("SH", 32)] for r in runs])
lead = np.array([r.map[("SH", 16)] / r.map_curve("LSH").max() for r in runs])

# %%
toy_map = {m: toy_cmp.map_curve(m) for m in toy_cmp.methods}
display(Markdown(
    f"**What the numbers say.** On the first sample SH reaches mAP {toy_map['SH'][TOY_BITS.index(16)]:.3f} at "
    f"16 bits against at most {toy_map['LSH'].max():.3f} for LSH and {toy_map['RBM'].max():.3f} for the RBM, "
    f"and falls to {toy_map['SH'][-1]:.3f} at 32 bits. Over {N_TOY_SEEDS} samples, SH(16) − SH(32) = "
    f"{drop.mean():.3f} ± {drop.std(ddof=1):.3f} (min {drop.min():.3f}), and SH(16) is "
    f"{lead.min():.2f}–{lead.max():.2f} times the best LSH. Spectral hashing's bits should stay coarser than "
    "the neighbourhood scale — one reason it saturates on real data."
))

# %%
print("SH(16) − SH(32) per sample:", drop.round(3), " SH(16) / best LSH:", lead.round(2))
assert drop.min() > 0.05 and drop.mean() > 3 * drop.std(ddof=1)  # measured: every sample drops by > 0.1
assert lead.min() > 2  # SH at 16 bits is more than twice the best centred LSH, on every sample
assert np.all(np.diff(toy_map["SH"][: TOY_BITS.index(16) + 1]) > 0)  # refining up to 16 bits
assert toy_map["RBM"].max() < 0.5 * toy_map["SH"][TOY_BITS.index(16)]

# %% [markdown]
# ## 7. MNIST: spectral hashing against LSH
#
# MNIST's train images are not on our machines, so database and queries are drawn, disjointly, from the
# official test split (`pool="test"`). Ground truth: same digit. Both codes are trained without labels on
# the database; queries are ranked by Hamming distance; mAP over the whole ranking with ties averaged.

# %%
mnist = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
relevant = relevance_from_labels(mnist.y_query, mnist.y_train)
cmp, fitted = compare_hashers(sh_lsh, mnist.X_train, mnist.X_train, mnist.X_query, relevant, BITS)
explorer = spectral_explorer(cmp)
display(explorer)

# %%
sh48 = fitted[("SH", 48)]
dirs, ks = sh48.modes_[:, 0], sh48.modes_[:, 1]
balance = sh48.transform(mnist.X_train).mean(axis=0)
V48 = (mnist.X_train.astype(np.float64) - sh48.mean_) @ sh48.components_
width_over_std = (sh48.upper_ - sh48.lower_) / V48.std(axis=0)
sh_map, lsh_map = cmp.map_curve("SH"), cmp.map_curve("LSH")
cross = next((b for b, s_, l_ in zip(BITS, sh_map, lsh_map) if l_ > s_), None)
display(Markdown(
    f"**What the numbers say.** SH's mAP stays between {sh_map.min():.3f} and {sh_map.max():.3f} from 12 to 48 "
    f"bits, while LSH climbs from {lsh_map[0]:.3f} to {lsh_map[-1]:.3f}"
    + (f" and overtakes SH from {cross} bits on." if cross else ".")
    + f" Chance level is {relevant.mean():.3f}. The box model does not fit MNIST: the range bⱼ − aⱼ of a "
    f"principal direction is {width_over_std.min():.1f}–{width_over_std.max():.1f} standard deviations (a few "
    f"outlying images stretch it), so the thresholds at the middle of the range are far from the median — "
    f"the fraction of ones per bit runs from {balance.min():.2f} to {balance.max():.2f} instead of 0.5 — and "
    f"the ranking by range hardly follows the variance: the 48 bits go to {len(set(dirs))} directions, "
    f"{int((ks == 1).sum())} of them with k = 1."
))

# %%
assert sh_map.max() - sh_map.min() < 0.05  # flat
assert lsh_map[-1] > lsh_map[0] + 0.05  # LSH improves with bits
assert np.all(sh_map > relevant.mean() + 0.1) and np.all(lsh_map > relevant.mean() + 0.05)
assert np.abs(balance - 0.5).max() > 0.25 and width_over_std.min() > 3  # the box model is far off

# %% [markdown]
# ## Key takeaways
#
# - The Laplacian L = D − A turns "neighbours should get similar labels" into a quadratic form xᵀLx; its
#   second-smallest eigenvalue λ₂ lower-bounds the ratio cut cut(U, Ū)(1/|U| + 1/|Ū|), and the signs of
#   its eigenvector (Fiedler) give the relaxed split.
# - Spectral hashing's objective is a graph partition; relaxed, it is solved by Laplacian eigenvectors,
#   and in the limit of many points by closed-form eigenfunctions that also encode new points.
# - On a box the eigenvalue of mode k is exactly 1 − exp(−ε²/2·(kπ/(b − a))²); ranking by (kπ/(b − a))²
#   is the same order for every ε.
# - Spectral hashing shines when its model fits (uniform box: far above LSH up to 16 bits) and fails when
#   its slabs get narrower than the neighbourhood scale or the data are not box-shaped (MNIST: flat mAP).
#
# ## Exercises
#
# 1. **Laplacian by hand.** Add the edge 3–4 to the 5-node graph. Predict how λ₂ and the Fiedler split
#    change, then check with `fiedler_vector` and `plots.plot_ratio_cuts`. What happens to λ₂ when you
#    remove the edge 1–4?
#    <details><summary>Hint</summary>λ₂ measures how well connected the graph is: an extra edge can only
#    raise it (L grows by a positive semi-definite term), and removing 1–4 disconnects the graph.</details>
# 2. **Normalised cut.** Repeat section 2 with `graph_laplacian(A, normalized=True)` and the normalised cut
#    cut(U, Ū)(1/vol(U) + 1/vol(Ū)) with vol(U) = Σ_{i∈U} dᵢ. Which split wins, and does λ₂ of L_sym still
#    bound it?
#    <details><summary>Hint</summary>Use f_i = √(vol(Ū)/vol(U)) on U and −√(vol(U)/vol(Ū)) on Ū with
#    D^{1/2}f in the Rayleigh quotient of L_sym (von Luxburg 2007, section 5).</details>
# 3. **How small is small ε?** For ε = 0.1 on [0, 1], from which k does the small-ε limit overestimate the
#    exact eigenvalue by more than 10 %?
#    <details><summary>Hint</summary>The ratio limit/exact is t/(1 − e^{−t}) with t = ε²ω²/2; solve
#    t/(1 − e^{−t}) = 1.1 numerically, or evaluate `box_eigenvalue` for k = 1, 2, ….</details>
# 4. **The SH budget on MNIST.** Print `SpectralHash(48).fit(mnist.X_train).modes_`. How many principal
#    directions get a bit at all, and how many bits does the first direction get? Compare the ranges
#    bⱼ − aⱼ of the first directions.
#    <details><summary>Hint</summary>`modes_[:, 0]` is the direction of each bit; `upper_ − lower_` are the
#    ranges. A direction twice as long gets bits up to twice the frequency.</details>
# 5. **Slabs against neighbourhoods.** Repeat section 6 with ε = 0.03 and ε = 0.12 (`uniform_box_problem`).
#    At which code length does SH's mAP peak now? Relate it to the slab width (b − a)/k.
#    <details><summary>Hint</summary>The long side gets about half the bits; the peak comes when its
#    slabs are about as wide as ε.</details>
# 6. **Square vs rectangle.** Repeat section 5 on the unit *square*. Why do the SH bits rotate from run to
#    run? Does retrieval quality change?
#    <details><summary>Hint</summary>On a square the covariance is isotropic: every rotation of the axes
#    is a valid PCA basis, and the eigenvector solver returns an arbitrary one.</details>
#
# Worked solutions to exercises 1, 3 and 4: `notebooks/solutions/08_spectral_hashing_solutions.py`.
#
# **Further reading.** Y. Weiss, A. Torralba, R. Fergus, "Spectral hashing", NIPS 2008. A. Torralba,
# R. Fergus, Y. Weiss, "Small codes and large image databases for recognition", CVPR 2008. U. von Luxburg,
# "A tutorial on spectral clustering", Statistics and Computing 2007. L. Hagen, A. B. Kahng, "New spectral
# methods for ratio cut partitioning and clustering", IEEE TCAD 1992. M. Fiedler, "Algebraic connectivity
# of graphs", Czech. Math. J. 1973. B. Nadler, S. Lafon, R. Coifman, I. Kevrekidis, "Diffusion maps,
# spectral clustering and eigenfunctions of Fokker–Planck operators", NIPS 2005.
