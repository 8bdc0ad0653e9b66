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
# # Lecture 05 — worked solutions
#
# Solutions to exercises 3 (the loss weight γ) and 4 (walls) of lecture 05. Same data, pseudo-labels and
# learner settings as the lecture; `LSHLAB_SIZE=small` runs everything small.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from tqdm.auto import tqdm

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.evaluation import hasher_grid_search
from lshlab.hashing import ShiftInvariantHash
from lshlab.kernel_learning import LangevinKernelLearner, PairAlignmentLoss, kmeans_pseudo_labels
from lshlab.metrics import relevance_from_labels

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %%
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=1000, small=150)
N_SUBSET = param("N_SUBSET", full=2000, small=600)
N_PARTICLES = param("N_PARTICLES", full=100, small=60)
N_ITER = param("N_ITER", full=400, small=200)
N_SEEDS = param("N_SEEDS", full=3, small=2)
SEED = 0
BOUNDS = (0.0, 0.05)

data = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
X_db, y_db, X_q, y_q = data.X_train, data.y_train, data.X_query, data.y_query
y_pseudo = kmeans_pseudo_labels(X_db, n_clusters=2, cluster=0, subset=N_SUBSET, random_state=SEED)


def train(gamma=1.0, bounds=BOUNDS, max_iter=N_ITER):
    """The lecture's ±1-target learner, with the loss weight γ and the walls as parameters."""
    return LangevinKernelLearner(n_particles=N_PARTICLES, beta=1e4, learning_rate=5e-4, reg=1.0, epsilon=2e-5,
                                 bounds=bounds, max_iter=max_iter, random_state=SEED,
                                 objective=PairAlignmentLoss(batch_size=512, gamma=gamma)).fit(X_db, y_pseudo)


# %% [markdown]
# ## Exercise 3 — The loss weight γ
#
# Write a = E[s K] and b = E[K²] over pairs (s = yy′ the pair target), so that the alignment is
# A = a/√b and the loss is L_γ = −a + (γ/2) b. Along any change δμ of the measure,
#
# δA = δa/√b − a δb/(2 b^{3/2}) = (1/√b) · (δa − (a/b) δb/2),    δL_γ = −(δa − γ δb/2).
#
# So δA = −δL_γ/√b for every direction exactly when γ = a/b: with that weight, a stationary point of the
# loss is a stationary point of the alignment (and a descent direction of L_γ is an ascent direction of
# A). We measure a/b for the kernel trained with γ = 1, then sweep γ.

# %%
base = train()
pool = base.objective_
K_pairs = base.kernel_.from_squared(pool.pair_r2_)
ratio = float(np.mean(pool.pair_s_ * K_pairs) / np.mean(K_pairs**2))
gammas = sorted({0.25, 0.5, 1.0, 2.0, 4.0, round(ratio, 3)})
runs = {g: (base if g == 1.0 else train(gamma=g)) for g in tqdm(gammas, desc="γ sweep")}
final = {g: r.alignment_[-20:].mean() for g, r in runs.items()}
for g in gammas:
    print(f"γ = {g:5.3f}: median ξ {np.median(runs[g].particles_):.4f}, alignment (last 20 steps) {final[g]:.4f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
ax.semilogx(gammas, [final[g] for g in gammas], "o-")
ax.axvline(ratio, color="k", ls="--", label=f"a/b = E[sK]/E[K²] = {ratio:.2f}")
ax.set(xlabel="loss weight γ", ylabel="held-out alignment", title="Alignment reached against γ")
ax.legend(fontsize="small");

# %%
best_g = max(final, key=final.get)
display(Markdown(
    f"For the kernel trained with γ = 1 the ratio a/b is {ratio:.2f}. The sweep reaches its highest alignment "
    f"at γ = {best_g:g} ({final[best_g]:.4f}); at γ = a/b it reaches {final[round(ratio, 3)]:.4f}. A γ far "
    f"from the ratio either over-penalises ‖K‖ (large γ: the cloud moves to large ξ, a narrow kernel) or "
    f"under-penalises it (small γ: K is pushed towards 1 everywhere) — median ξ "
    f"{np.median(runs[gammas[-1]].particles_):.4f} at γ = {gammas[-1]:g} against "
    f"{np.median(runs[gammas[0]].particles_):.4f} at γ = {gammas[0]:g}."))
assert np.median(runs[gammas[-1]].particles_) > np.median(runs[gammas[0]].particles_)  # larger γ, narrower K
assert final[round(ratio, 3)] > max(final.values()) - 0.01  # γ = a/b is (near) the best weight

# %% [markdown]
# ## Exercise 4 — An upper wall at ξ_u = 0.01
#
# The ±1 target wants ξ ≈ 0.02 (lecture 05, section 4). With the upper wall at 0.01 that value is out of
# reach; the wall holds the kernel wide (σ = 1/√(2ξ) ≥ 7.1).

# %%
walled = train(bounds=(0.0, 0.01))
upper_half = np.mean(walled.particles_ > 0.005)
diffusion = np.sqrt(2 * walled.times_[-1] / walled.beta)  # spread of pure noise over the run, √(2T/β)
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
plots.plot_particle_histograms(walled.history_, bounds=(0.0, 0.01), bins=20, ax=a1, title="Walls at [0, 0.01]")
plots.plot_particle_histograms(base.history_, bounds=BOUNDS, bins=40, ax=a2, title="Walls at [0, 0.05]");

# %%
relevant = relevance_from_labels(y_q, y_db)
auc = {name: hasher_grid_search(lambda k, s: ShiftInvariantHash(512, kernel=k, random_state=s), [lrn.kernel_],
                                X_db, X_q, relevant, seeds=tuple(range(N_SEEDS))).seed_scores[0]
       for name, lrn in [("walls [0, 0.05]", base), ("walls [0, 0.01]", walled)]}
display(Markdown(
    f"The particles do *not* pile up against the wall: {upper_half:.0%} of them end in the upper half of the "
    f"box, median ξ = {np.median(walled.particles_):.4f}. In a box this narrow the thermal noise dominates: "
    f"over the run it alone spreads a particle by √(2T/β) = {diffusion:.4f}, comparable to the width 0.01, "
    "while the drift toward ξ ≈ 0.02 is weak this far below it — and the reflecting wall returns every "
    "particle that reaches it. PR-AUC at 512 bits over "
    f"{N_SEEDS} code seeds: {auc['walls [0, 0.05]'].mean():.3f} with the wide box, "
    f"{auc['walls [0, 0.01]'].mean():.3f} with the wall at 0.01 (sd over seeds "
    f"{auc['walls [0, 0.01]'].std():.3f}). The wall acts as a prior: it stops the ±1 target from choosing "
    "its narrow kernel and keeps the wider one that digit retrieval prefers — the effect of the 0/1 target "
    "of section 6, obtained by a constraint instead of by the loss."))
assert walled.particles_.max() <= 0.01 and np.median(walled.particles_) < np.median(base.particles_)
assert auc["walls [0, 0.01]"].mean() > auc["walls [0, 0.05]"].mean()
