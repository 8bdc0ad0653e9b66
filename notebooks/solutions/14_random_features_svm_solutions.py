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
# # Lecture 14 — worked solutions
#
# Solutions to exercises 1 (the importance-sampling budget ρ) and 3 (learning the kernel on pseudo-labels)
# of lecture 14. Same tasks and parameter cell as the lecture; `LSHLAB_SIZE=small` runs everything small.

# %%
from lshlab.config import param

N_TRAIN = param("N_TRAIN", full=1200, small=600)
N_TEST = param("N_TEST", full=700, small=400)
FEATURE_SEEDS = param("N_FEATURE_SEEDS", full=5, small=3)
LANGEVIN_ITER = param("LANGEVIN_ITER", full=300, small=80)
D_SMALL, D_LARGE = 16, param("D_MAX", full=1024, small=256)
SEED = 0

# %%
import numpy as np
from IPython.display import Markdown, display
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from lshlab.evaluation import paired_comparison
from lshlab.data import binary_task
from lshlab.kernel_learning import LangevinKernelLearner, kmeans_pseudo_labels
from lshlab.kernels import median_heuristic_bandwidth
from lshlab.random_features import RandomFeatureSampler, compare_random_feature_methods

Xtr, ytr, Xte, yte = binary_task("mnist", 4, 9, N_TRAIN, N_TEST, pool="test", seed=SEED)
sigma = median_heuristic_bandwidth(Xtr, random_state=SEED)


def test_errors(make, D):
    """Test error of make(D, seed) + LinearSVC for every seed."""
    return np.array([1 - make_pipeline(make(D, s), LinearSVC()).fit(Xtr, ytr).score(Xte, yte)
                     for s in range(FEATURE_SEEDS)])


# %% [markdown]
# ## Exercise 1 — The importance-sampling budget
#
# Sinha & Duchi's weights solve max_q vᵀq over the simplex subject to the χ²-divergence from uniform,
# M‖q‖² − 1 ≤ ρ. With ρ = 0 the only feasible q is uniform (‖q‖² ≥ 1/M with equality only there), so
# the D features are drawn uniformly from the M Gaussian candidates: plain Gaussian sampling. A large ρ
# lets q concentrate on the best-aligned candidates.

# %%
err = {rho: test_errors(lambda D, s, rho=rho: RandomFeatureSampler(D, "importance", kernel=sigma, rho=rho,
                                                                   random_state=s), D_SMALL) for rho in (0.0, 1.0, 50.0)}
gauss = test_errors(lambda D, s: RandomFeatureSampler(D, "spectral", kernel=sigma, random_state=s), D_SMALL)
sampler = RandomFeatureSampler(D_SMALL, "importance", kernel=sigma, rho=0.0, random_state=SEED).fit(Xtr, ytr)
print("ρ = 0: largest |q − 1/M| =", np.abs(sampler.candidate_weights_ - 1 / sampler.candidate_weights_.size).max())
for rho, e in err.items():
    print(f"ρ = {rho:4g}: test error at D = {D_SMALL}: {e.mean():.3f} ± {e.std(ddof=1):.3f} (s.d. over seeds); "
          f"vs plain Gaussian: {paired_comparison(e, gauss).describe(f'ρ={rho:g}', 'Gaussian', lower_is_better=True)}")
same = paired_comparison(err[0.0], gauss).verdict == "undecided"
gain = paired_comparison(err[50.0], gauss)
display(Markdown(f"""With ρ = 0 the weights are uniform, so the features are Gaussian draws: test error {err[0.0].mean():.3f}
against {gauss.mean():.3f} for plain Gaussian sampling ({'the same within the seed spread' if same else 'a difference beyond the seed spread, from the draw with replacement and the other random stream'}).
Raising ρ to 50 moves the error at D = {D_SMALL} to {err[50.0].mean():.3f}: choosing few features by their alignment with
the labels {'helps' if gain.verdict == 'B' else 'hurts' if gain.verdict == 'A' else 'makes no difference beyond the seed spread'} here."""))
assert np.allclose(sampler.candidate_weights_, 1 / sampler.candidate_weights_.size)

# %% [markdown]
# ## Exercise 3 — Pseudo-labels instead of labels
#
# k-means with two clusters gives ±1 labels without looking at the classes; the Langevin learner then
# aligns the kernel with the clusters instead of the digits.

# %%
xi0 = 1 / (2 * sigma**2)
kernels = {}
for name, labels in (("true labels", ytr), ("k-means pseudo-labels",
                                           kmeans_pseudo_labels(Xtr, n_clusters=2, cluster=0, random_state=SEED))):
    kernels[name] = LangevinKernelLearner(n_particles=64, beta=1e4, learning_rate=0.5 * xi0**2,
                                          bounds=(xi0 / 30, 30 * xi0), max_iter=LANGEVIN_ITER, init=np.full(64, xi0),
                                          random_state=SEED).fit(Xtr, labels).kernel_
rows = {name: [r for s in range(FEATURE_SEEDS) for r in compare_random_feature_methods(
    Xtr, ytr, Xte, yte, n_components=(D_SMALL, D_LARGE), bandwidth=sigma, learned_kernel=k, random_state=s)
    if r["method"] in ("learned Schoenberg", "RBFSampler + LinearSVC")] for name, k in kernels.items()}


def errs(name, method, D):
    return np.array([r["test_error"] for r in rows[name] if r["method"] == method and r["n_components"] == D])


lines = []
for D in (D_SMALL, D_LARGE):
    for name in kernels:
        c = paired_comparison(errs(name, "learned Schoenberg", D), errs(name, "RBFSampler + LinearSVC", D))
        lines.append(f"- D = {D}, kernel learned on {name}: {c.describe('learned', 'Gaussian', lower_is_better=True)}")
display(Markdown("Test error of the learned kernel's features minus plain Gaussian features (same seeds):\n\n"
                 + "\n".join(lines) + "\n\nWhatever the learned kernel gains or loses with the true labels, "
                 "the pseudo-labels know nothing of the digits: their kernel can only reflect the clusters of the "
                 "images, which is what the unsupervised retrieval lectures rely on."))
