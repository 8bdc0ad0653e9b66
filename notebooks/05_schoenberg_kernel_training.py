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
# # Lecture 05 — Training a Schoenberg kernel with Langevin particles
#
# Lecture 04 ended with a problem: Raginsky codes built on the seeds' untrained Gaussian kernel
# (γ = 1, i.e. ω ~ N(0, I)) are nearly useless on MNIST pixels, because every pair of images is "far"
# for that kernel. Here we *learn* the kernel. Schoenberg's theorem turns the search over radial
# kernels into a search over a probability measure on frequencies ξ ≥ 0, and the method of Khuzani, Ye,
# Napel & Xing ("A Mean-Field Theory for Learning the Schönberg Measure of Radial Basis Functions",
# arXiv:2006.13330) moves a cloud of particles — samples of that measure — by projected Langevin
# dynamics, like a gas of interacting molecules at temperature 1/β bouncing between two walls.
#
# ## What you will learn
#
# - **See**: the alignment of single-Gaussian kernels with k-means pseudo-labels as a function of ξ; the
#   histogram of the particles evolving during training; the alignment rising; a temperature (β) and a
#   regulariser (h) slider; on MNIST, normalised Hamming vs Euclidean distance and precision–recall
#   curves at 128 / 512 / 4,096 bits for the untrained, the best hand-tuned and the trained kernel, with a
#   bits slider.
# - **Do**: make labels without supervision (`kmeans_pseudo_labels`), train a
#   `LangevinKernelLearner`, feed its `kernel_` to `ShiftInvariantHash`, and measure whether training
#   paid off (PR-AUC at 512 bits).
# - **Learn**: Schoenberg's representation ψ(r) = ∫ exp(−ξ r²) μ(dξ); the pairwise loss
#   E_γ = −y y′ K(r) + (γ/2) K(r)² and its link to kernel–target alignment; the Langevin update with
#   noise √(2η/β), elastic walls and a Sinkhorn pull toward a prior; what temperature does to the
#   particle cloud; why the pair *target* (±1 or 0/1) decides the scale the particles settle at; and,
#   honestly, how the learned kernel compares with a bandwidth grid search.
# - **Need**: lecture 04 (Raginsky codes, `SchoenbergKernel`), lecture 02 (precision–recall).
#   MNIST is read from its test split (`pool="test"`).

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from lshlab import plots
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.evaluation import code_distances, encode_pair, hasher_grid_search, score_codes
from lshlab.hashing import ShiftInvariantHash
from lshlab.kernel_learning import LangevinKernelLearner, PairAlignmentLoss, kmeans_pseudo_labels
from lshlab.kernels import SchoenbergKernel, kernel_target_alignment
from lshlab.metrics import relevance_from_labels
from lshlab.widgets import scatter_pr_explorer, selection_slider, temperature_explorer, update_temperature

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %%
from lshlab.config import param

N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=1000, small=150)
N_SUBSET = param("N_SUBSET", full=2000, small=600)  # k-means runs on this many database images
N_PARTICLES = param("N_PARTICLES", full=100, small=60)
N_ITER = param("N_ITER", full=400, small=200)
N_BITS = param("N_BITS", full=512, small=512)
SEED = 0

# %% [markdown]
# ## 1. Schoenberg's theorem: radial kernels are mixtures of Gaussians
#
# A continuous ψ: ℝ₊ → ℝ gives a positive semi-definite kernel K(x, x′) = ψ(‖x − x′‖) in **every**
# dimension if and only if (Schoenberg, 1938)
#
# $$\psi(r) = \int_0^\infty e^{-\xi r^2}\,\mu(d\xi)$$
#
# for a finite positive measure μ. So instead of choosing one bandwidth we may choose a *distribution*
# of frequencies ξ. With N particles ξ¹…ξᴺ the kernel is the average K(r) = (1/N) Σₖ exp(−ξₖ r²) — a
# `SchoenbergKernel(xi, weights)`. Any such mixture is PSD: a random one on 300 MNIST images has no
# negative eigenvalue beyond round-off.

# %%
data = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
X_db, y_db, X_q, y_q = data.X_train, data.y_train, data.X_query, data.y_query
rng = np.random.default_rng(SEED)
mix = SchoenbergKernel(rng.uniform(0.0, 0.05, 20), np.full(20, 1 / 20))
eig = np.linalg.eigvalsh(mix.gram(X_db[:300]))
print(f"{X_db.shape[0]} database images, {X_q.shape[0]} queries; smallest Gram eigenvalue {eig.min():.2e}")

# %%
assert eig.min() > -1e-6 * eig.max()  # Schoenberg: every Gaussian mixture is PSD

# %% [markdown]
# ## 2. Labels without supervision: k-means pseudo-labels
#
# Kernel–target alignment needs labels. The seeds' trick: run k-means on a small subset of the
# database, pick one cluster ℓ and label y = +1 inside it, −1 outside (seed eq. 4). With two clusters
# the split is coarse, but it follows the large-scale geometry of the data (here: "round" digits vs
# "straight" ones). The true digits are never used for training.

# %%
y_pseudo = kmeans_pseudo_labels(X_db, n_clusters=2, cluster=0, subset=N_SUBSET, random_state=SEED)
share = [np.mean(y_pseudo[y_db == d] == 1) for d in range(10)]
print("fraction labelled +1 per true digit:", np.round(share, 2))

# %% [markdown]
# ## 3. The objective: alignment and the pairwise loss E_γ
#
# For a pair z = (x, y), z′ = (x′, y′) with r = ‖x − x′‖ the loss used by the particles is
#
# $$E_\gamma = -\,y y'\,K(r) + \tfrac{\gamma}{2} K(r)^2 ,\qquad \gamma = 1:\; E_1 = \tfrac12\,(y y' - K(r))^2 - \tfrac12 .$$
#
# Its average is a Lagrangian form of the (uncentred) kernel–target alignment of Cristianini et al.,
# A = ⟨K, yyᵀ⟩ / (‖K‖ ‖yyᵀ‖) = E[yy′K] / √E[K²] (`kernel_target_alignment`): the first term raises
# the numerator, the second penalises the norm in the denominator. Before training anything, look at
# single Gaussians exp(−ξ r²) on a sample of 400 images: the loss and the alignment both prefer a
# frequency near ξ ≈ 0.02–0.03, far below the seeds' ξ = 0.5 (ω ~ N(0, I), σ = 1), at which every
# off-diagonal kernel value is ≈ 0. The dashed curve is the same squared loss with the pair target
# 1[same cluster] ∈ {0, 1} instead of yy′ ∈ {−1, +1}; we come back to it in section 6.

# %%
sample = rng.choice(X_db.shape[0], 400, replace=False)
D2 = euclidean_distance_matrix(X_db[sample], X_db[sample]) ** 2
S = np.outer(y_pseudo[sample], y_pseudo[sample])
xis = np.geomspace(1e-3, 0.5, 30)
align = [kernel_target_alignment(np.exp(-x * D2), y_pseudo[sample]) for x in xis]
sq_loss = [np.mean(0.5 * (S - np.exp(-x * D2)) ** 2) for x in xis]
ind_loss = [np.mean(0.5 * ((S > 0) - np.exp(-x * D2)) ** 2) for x in xis]
fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6))
a1.semilogx(xis, align, "o-"); a1.set(xlabel="ξ", ylabel="alignment A", title="Alignment of exp(−ξ r²) with pseudo-labels")
a2.semilogx(xis, sq_loss, "o-", color="tab:red", label="target yy′ ∈ {−1, +1}")
a2.semilogx(xis, ind_loss, "s--", color="tab:purple", label="target 1[same] ∈ {0, 1}")
a2.set(xlabel="ξ", ylabel="mean ½(s − K)²", title="Pairwise squared loss E₁ for two pair targets s"); a2.legend()
plt.tight_layout()

# %% [markdown]
# ## 4. Projected Langevin particles
#
# Each step draws a batch of sample pairs and moves every particle (seed eq. 5–6):
#
# $$\xi_k \leftarrow \mathrm{Reflect}_{[\xi_l,\xi_u]}\Big(\xi_k - \eta\, N\,\partial_{\xi_k}\big[\hat E_\gamma + \tfrac h2 W^2_{\varepsilon,2}(\hat\mu^N, \hat\nu^N)\big] + \sqrt{2\eta/\beta}\;\zeta_k\Big),\qquad \zeta_k\sim N(0,1).$$
#
# The physics picture from the slides: the particles form a **non-ideal gas** at temperature T = 1/β.
# The loss gradient is the force each molecule feels; it depends on all the others through K (the
# particles interact); the Gaussian kicks are thermal agitation; and at the walls ξ_l, ξ_u the molecules
# bounce back **elastically** (a particle overshooting a wall by d lands at distance d inside, again and
# again if needed). The Sinkhorn term (h/2)·W²_ε — an entropic optimal-transport distance to samples of
# a prior ν, computed with POT and differentiated through its transport plan — pulls the cloud toward
# the prior, like a weak external field. The factor N is the mean-field time scaling: one step is a
# time η of the limiting PDE of lecture 06.

# %%
BOUNDS = (0.0, 0.05)
learner = LangevinKernelLearner(n_particles=N_PARTICLES, beta=1e4, learning_rate=5e-4, reg=1.0, epsilon=2e-5,
                                bounds=BOUNDS, max_iter=N_ITER, objective=PairAlignmentLoss(batch_size=512),
                                random_state=SEED)
learner.fit(X_db, y_pseudo)
print(f"alignment {learner.alignment_[0]:.3f} -> {learner.alignment_[-1]:.3f};",
      "particle quartiles", np.round(np.quantile(learner.particles_, [0.25, 0.5, 0.75]), 4))

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
plots.plot_particle_histograms(learner.history_, bounds=BOUNDS, bins=40, ax=a1)
plots.plot_alignment_curve(learner.alignment_, ax=a2)
plt.tight_layout()

# %% [markdown]
# The uniform initial cloud condenses around ξ ≈ 0.02 (a Gaussian of bandwidth σ = 1/√(2ξ) ≈ 5) and the
# alignment on held-out pairs rises. Two claims to check: alignment went up, and no particle ever left
# the box.

# %%
assert learner.alignment_[-20:].mean() > learner.alignment_[0] + 0.02
assert learner.history_.min() >= BOUNDS[0] and learner.history_.max() <= BOUNDS[1]

# %% [markdown]
# ## 5. Temperature and regulariser
#
# Move β (inverse temperature) and h (Sinkhorn weight). Hot gas (small β): the particles spread over the
# whole box and the alignment stays lower; cold gas (large β): they condense on the best frequencies. A
# large h holds the cloud near the uniform prior. Runs are small (40 particles, 120 steps) and cached.

# %%
explorer = temperature_explorer(X_db[:2000], y_pseudo[:2000], betas=(10.0, 100.0, 1e3, 1e4, 1e5),
                                regs=(0.0, 1.0, 10.0, 100.0), beta=1e4, n_particles=40, max_iter=120,
                                learning_rate=1e-3, bounds=BOUNDS, epsilon=2e-5, batch_size=256, random_state=SEED)
display(explorer)

# %%
hot = update_temperature(explorer.data, beta=10.0, reg=0.0)
cold = update_temperature(explorer.data, beta=1e5, reg=0.0)
print(f"spread of the final cloud: hot (β=10) {hot.history[-1].std():.4f}, cold (β=1e5) {cold.history[-1].std():.4f}")

# %%
assert hot.history[-1].std() > 2 * cold.history[-1].std()  # temperature spreads the gas

# %% [markdown]
# ## 6. Which target? ±1 against 0/1
#
# For γ = 1 the loss of a pair is ½(s − K(r))² up to a constant, so the best kernel value at distance r
# is the conditional mean of the target, K(r) = E[s | r]. With the paper's target s = yy′ ∈ {−1, +1}
# that is 2·P(same | r) − 1 — but a Gaussian mixture is never negative, so every pair with
# P(same | r) < ½ pulls K all the way to 0, and the kernel becomes steep (small σ). With the target
# s = 1[same cluster] ∈ {0, 1} — the "ideal kernel" of Kwok & Tsang (ICML 2003) — the optimum is
# K(r) = P(same | r) itself, a calibrated similarity that decays over the whole range of distances
# where neighbours and non-neighbours overlap. Same pseudo-labels, same pairs, same dynamics; only
# `pair_target="indicator"` changes.

# %%
learner01 = LangevinKernelLearner(n_particles=N_PARTICLES, beta=1e4, learning_rate=5e-4, reg=1.0, epsilon=2e-5,
                                  bounds=BOUNDS, max_iter=N_ITER,
                                  objective=PairAlignmentLoss(batch_size=512, pair_target="indicator"),
                                  random_state=SEED).fit(X_db, y_pseudo)
for name, lrn in [("target ±1 ", learner), ("target 0/1", learner01)]:
    med = np.median(lrn.particles_)
    print(f"{name}: median ξ = {med:.4f}  (σ = 1/√(2ξ) = {1 / np.sqrt(2 * med):.1f})")

# %%
fig, ax = plt.subplots(figsize=(6, 3.6))
plots.plot_particle_histograms(learner01.history_, bounds=BOUNDS, bins=40, ax=ax)
ax.set_title("Particles with the 0/1 target settle at a smaller ξ")
plt.tight_layout()

# %% [markdown]
# ## 7. Trained vs untrained codes on MNIST
#
# Four kernels feed `ShiftInvariantHash`:
#
# - **untrained** — the seeds' γ = 1 kernel (ω ~ N(0, I), bandwidth σ = 1);
# - **best σ** — the best single Gaussian bandwidth on a grid, chosen *on the test queries themselves*
#   (an optimistic, strong baseline);
# - **trained ±1** and **trained 0/1** — the Langevin particles' `kernel_` for the two targets.
#
# Relevance = same digit. We compare PR-AUC at N_BITS bits, averaged over three code seeds.

# %%
relevant = relevance_from_labels(y_q, y_db)
seeds = (0, 1, 2)


def raginsky(kernel, seed):  # N_BITS Raginsky bits for a kernel (a bandwidth σ or a SchoenbergKernel)
    return ShiftInvariantHash(N_BITS, kernel=kernel, random_state=seed)


grid = hasher_grid_search(raginsky, [3, 4, 5, 6, 7, 8, 10, 12, 16], X_db, X_q, relevant, seeds=seeds)
best_sigma = grid.best
named = {"untrained γ=1 (σ=1)": 1.0, "trained, target ±1": learner.kernel_, "trained, target 0/1": learner01.kernel_}
aucs = dict(zip(named, hasher_grid_search(raginsky, named.values(), X_db, X_q, relevant, seeds=seeds).scores))
aucs[f"best grid σ={best_sigma:g}"] = grid.scores.max()
for name, v in aucs.items():
    print(f"{name:28s} PR-AUC @ {N_BITS} bits = {v:.3f}")
print("grid:", {s: round(v, 3) for s, v in zip(grid.grid, grid.scores)})

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
plots.plot_kernel_profiles({"untrained σ=1": SchoenbergKernel.from_bandwidth(1.0),
                            f"best grid σ={best_sigma:g}": SchoenbergKernel.from_bandwidth(best_sigma),
                            "trained ±1": learner.kernel_, "trained 0/1": learner01.kernel_},
                           np.linspace(0, 14, 400), ax=axes[0])
codes = {name: encode_pair(raginsky(k, SEED), X_db, X_q)
         for name, k in [("untrained σ=1", 1.0), (f"best σ={best_sigma:g}", best_sigma),
                         ("trained ±1", learner.kernel_), ("trained 0/1", learner01.kernel_)]}
curves = {name: score_codes(c, relevant, pr="auto").pr for name, c in codes.items()}
plots.plot_pr_curves(curves, ax=axes[1], title=f"Precision–recall, {N_BITS} bits")
plt.tight_layout()

# %% [markdown]
# **What the numbers say.** Training takes the code from useless (untrained σ = 1: every pair of images
# looks equally far) to useful — a large gain without a single true label. With the paper's ±1 target
# the particles settle at ξ ≈ 0.02 (σ ≈ 5), narrower than what same-digit retrieval prefers (σ ≈ 7–10),
# and the learned kernel stays below the best hand-picked bandwidth. With the 0/1 target the cloud
# moves to ξ ≈ 0.005–0.009 (σ ≈ 7.5–10) and its codes edge out the best single Gaussian of the grid,
# although the grid was scored on the ground-truth labels of the test queries and the learner used
# none. The edge is small (about 0.005 PR-AUC at full size, 0.01 at small size; the grid curve is flat
# at its top, so a finer grid does not close it): a *spread* of bandwidths around the right scale
# ranks slightly better than any single one. Multi-cluster pseudo-labels (`mode="clusters"` with
# `balance_pairs=True`) give the same result as the two clusters here: the target, not the number of
# clusters, fixes the scale.

# %%
assert aucs["trained, target ±1"] > aucs["untrained γ=1 (σ=1)"] + 0.1
assert aucs["trained, target 0/1"] > aucs[f"best grid σ={best_sigma:g}"]  # beats the grid chosen on test labels
assert np.median(learner01.particles_) < 0.6 * np.median(learner.particles_)  # 0/1 target: wider kernel

# %% [markdown]
# ### Normalised Hamming vs Euclidean distance at 128, 512 and 4,096 bits
#
# Top row: untrained γ = 1 kernel — the code distance is flat at ½ whatever the Euclidean distance
# (the seeds' figure 14, top). Bottom row: trained kernel (0/1 target) — the code distance grows with
# the Euclidean distance, and the spread shrinks as bits are added.

# %%
E = euclidean_distance_matrix(X_q[:100], X_db)
fig, axes = plt.subplots(2, 3, figsize=(14, 7.5))
for row, (name, kern) in enumerate([("untrained σ=1", 1.0), ("trained 0/1", learner01.kernel_)]):
    for col, nb in enumerate([128, 512, 4096]):
        Hd = code_distances(encode_pair(ShiftInvariantHash(nb, kernel=kern, random_state=SEED), X_db, X_q[:100]))
        plots.plot_hamming_vs_euclidean(Hd, E, ax=axes[row, col], n_bits=nb, max_points=20_000,
                                        title=f"{name}, {nb} bits")
plt.tight_layout()

# %% [markdown]
# ### Bits slider
#
# The same comparison, interactively: choose the code length, and flip between the untrained (0) and
# trained (1, 0/1 target) kernel.

# %%
kernels = {0: 1.0, 1: learner01.kernel_}
bits_explorer = scatter_pr_explorer(
    X_db, y_db, X_q, y_q,
    lambda n_bits, trained: ShiftInvariantHash(n_bits, kernel=kernels[int(trained)], random_state=SEED),
    bits=(128, 512, 4096), params={"trained": selection_slider("trained", [0, 1], 1)}, max_queries=100,
    precompute=False)
display(bits_explorer)

# %% [markdown]
# ## Exercises
#
# 1. **Pseudo-labels.** Train with `n_clusters=3` or `4` (cluster 0 against the rest). Which ξ does the
#    cloud choose now, and does PR-AUC follow? Why does a very unbalanced split (e.g. 10 clusters) push
#    every particle to ξ → 0? (Hint: for the *uncentred* alignment a constant kernel already scores
#    (Σy)²/n².) Then use 10 clusters as "same cluster vs different cluster" targets
#    (`kmeans_pseudo_labels(..., mode="clusters")`), with and without `balance_pairs=True`: with 90 % of
#    the pairs "different", where do the particles go for each target, and why?
# 2. **Centred alignment.** Refit with `objective="centered_alignment"` (Cortes et al.). Where do the
#    particles go, and what does that do to the codes? Explain with the limit K ≈ 1 − ξ r² for small ξ.
# 3. **γ.** Sweep `gamma` in E_γ. Show that the stationary points of E_γ and of the alignment agree when
#    γ = E[yy′K]/E[K²], and measure that ratio for the trained kernel.
# 4. **Walls.** Put the upper wall at ξ_u = 0.01. What happens to the histogram near the wall, and to
#    the PR curve?
# 5. **Temperature schedule.** Anneal β from 10 to 10⁵ during training (several `fit` calls with
#    `init=learner.particles_`). Is the final alignment higher than at a fixed β?
#
# **Further reading.** Khuzani, Ye, Napel, Xing, *A Mean-Field Theory for Learning the Schönberg
# Measure of Radial Basis Functions*, arXiv:2006.13330 (2020); Cristianini, Shawe-Taylor, Elisseeff,
# Kandola, *On kernel–target alignment*, NIPS 2001; Cortes, Mohri, Rostamizadeh, *Algorithms for learning
# kernels based on centered alignment*, JMLR 2012; Cuturi, *Sinkhorn distances*, NIPS 2013; Schoenberg,
# *Metric spaces and completely monotone functions*, Ann. Math. 1938.
