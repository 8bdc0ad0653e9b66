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
# # Lecture 04 — worked solutions
#
# Solutions to exercises 1, 3 and 6 of lecture 04 (Raginsky–Lazebnik codes). `LSHLAB_SIZE=small` runs
# everything small.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from scipy.optimize import brentq

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.evaluation import hasher_grid_search
from lshlab.hashing import ShiftInvariantHash
from lshlab.kernels import median_heuristic_bandwidth, raginsky_disagreement_probability
from lshlab.metrics import relevance_from_labels

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %%
SEED = 0
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=300, small=100)
AT_K = param("AT_K", full=1000, small=200)
SEEDS = tuple(range(param("N_SEEDS", full=3, small=2)))

# %% [markdown]
# ## Exercise 1 — Where does the curve bend?
#
# We want σ such that P(r = 2) = ½ · 4/π² = 2/π² for the Gaussian K(r) = exp(−r²/(2σ²)). Exactly, with
# the series and a root finder. Approximately: since Σ_{m≥1} 1/(4m² − 1) = ½,
# P = (8/π²)[½ − Σ_{m≥1} K(mr)/(4m² − 1)], and keeping only the first term gives
# P ≈ (8/π²)[½ − K(r)/3], which equals 2/π² at K(r) = 3/4, i.e. σ = 2/√(2 ln(4/3)). Keeping two terms,
# K(r)/3 + K(2r)/15 = 1/4, is solved numerically.

# %%
target = 2 / np.pi**2
sigma_exact = brentq(lambda s: raginsky_disagreement_probability(s, 2.0) - target, 0.3, 20.0)
sigma_one = 2.0 / np.sqrt(2 * np.log(4 / 3))  # K(2) = 3/4
sigma_two = brentq(lambda s: np.exp(-2 / s**2) / 3 + np.exp(-8 / s**2) / 15 - 0.25, 0.5, 20.0)
err_one, err_two = (sigma_one - sigma_exact) / sigma_exact, (sigma_two - sigma_exact) / sigma_exact
display(Markdown(
    f"Exact: σ = {sigma_exact:.3f} (check: P(2) = {float(raginsky_disagreement_probability(sigma_exact, 2.0)):.4f}, "
    f"target {target:.4f}). One term: σ = {sigma_one:.3f} ({err_one:+.1%}); two terms: σ = {sigma_two:.3f} "
    f"({err_two:+.1%}). The first term alone is not enough here: at this σ the next kernel values are "
    f"K(4) = {np.exp(-16 / (2 * sigma_exact**2)):.2f} and K(6) = {np.exp(-36 / (2 * sigma_exact**2)):.2f} — the "
    "curve bends where K(r) is still large, so K(2r) counts (with weight 1/15)."))
assert abs(raginsky_disagreement_probability(sigma_exact, 2.0) - target) < 1e-8
assert abs(err_two) < abs(err_one) and abs(err_two) < 0.03

# %% [markdown]
# ## Exercise 3 — Bandwidth sweep
#
# mAP@k of 512-bit codes for σ on a log grid, averaged over code seeds, against the median heuristic.

# %%
data = load_dataset("mnist", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED, pool="test")
relevant = relevance_from_labels(data.y_query, data.y_train)
sigma_med = median_heuristic_bandwidth(data.X_train, random_state=SEED)
grid = np.geomspace(1.0, 40.0, 9)
sweep = hasher_grid_search(lambda s, seed: ShiftInvariantHash(512, kernel=s, random_state=seed), grid,
                           data.X_train, data.X_query, relevant, seeds=SEEDS, score="map", at_k=AT_K)
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax.errorbar(grid, sweep.scores, yerr=sweep.seed_scores.std(axis=1), fmt="o-", capsize=3,
            label=f"512 bits, mean ± sd over {len(SEEDS)} seeds")
ax.axvline(sigma_med, color="k", ls="--", label=f"median heuristic σ = {sigma_med:.1f}")
ax.set_xscale("log")
ax.set(xlabel="bandwidth σ", ylabel=f"mAP@{AT_K}", title="Retrieval quality against the bandwidth")
ax.legend(fontsize="small");

# %%
best = float(sweep.best)
near = int(np.argmin(np.abs(np.log(grid / sigma_med))))
display(Markdown(
    f"The best σ of the grid is {best:.1f} (mAP@{AT_K} {sweep.scores.max():.3f}); the grid value nearest the "
    f"median heuristic σ = {sigma_med:.1f}, σ = {grid[near]:.1f}, scores {sweep.scores[near]:.3f}, "
    f"{sweep.scores.max() - sweep.scores[near]:.3f} below the best: the heuristic lands on the broad top. "
    f"σ = 1 scores {sweep.scores[0]:.3f} (every pair unrelated); σ = 40 scores {sweep.scores[-1]:.3f}: "
    "with a very wide kernel K ≈ 1 − r²/(2σ²) for every pair, the disagreement probabilities of near and "
    "far pairs differ by little, and 512 bits cannot resolve that difference against their √(p(1−p)/n) "
    "noise."))
assert sweep.scores[0] < sweep.scores.max() - 0.2 and sweep.scores[-1] < sweep.scores.max()
assert grid[0] < best < grid[-1]

# %% [markdown]
# ## Exercise 6 — Sampling error
#
# Two pairs with disagreement probabilities p and p + δ are told apart by n bits when δ is at least two
# standard deviations of the difference of the two estimates, √(2 p(1 − p)/n): n ≥ 8 p(1 − p)/δ². With
# p ≈ 0.3 and δ = 0.01 that is about 16,800 bits. A simulation with independent bits agrees.

# %%
p, delta = 0.3, 0.01
n_needed = int(np.ceil(8 * p * (1 - p) / delta**2))
rng = np.random.default_rng(SEED)
n_trials = 2000
a = rng.binomial(n_needed, p, n_trials) / n_needed
b = rng.binomial(n_needed, p + delta, n_trials) / n_needed
display(Markdown(
    f"n = {n_needed:,} bits. Simulated over {n_trials} draws: the difference of the two normalised Hamming "
    f"distances has standard deviation {np.std(b - a):.4f} (theory {np.sqrt(2 * p * (1 - p) / n_needed):.4f}), "
    f"and the farther pair looks farther in {np.mean(b > a):.1%} of the draws (two standard deviations: "
    "97.7 % for a normal difference)."))
assert abs(np.std(b - a) - np.sqrt(2 * p * (1 - p) / n_needed)) < 0.1 * np.sqrt(2 * p * (1 - p) / n_needed)
assert np.mean(b > a) > 0.95
