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
# # Lecture 02 — worked solutions
#
# Solutions to exercises 1, 2 and 7 of `02_random_hyperplanes.py`. Each one states the answer, computes
# it, and checks it with an `assert`, so this notebook runs as a test like the lecture.

# %%
import numpy as np
from IPython.display import Markdown, display

from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.lsh_theory import (
    amplified_collision_probability,
    choose_parameters,
    classic_parameters,
    sensitivity,
    simhash_collision_probability,
)
from lshlab.search import brute_force_knn
from lshlab.widgets import update_lsh_recall

N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=300, small=60)
SEED = 0

# %% [markdown]
# ## Exercise 1 — K and L for 20° versus 60°
#
# Per hash, a pair at 20° collides with probability p_near = 1 − 20/180 ≈ 0.889 and a pair at 60° with
# p_far = 1 − 60/180 ≈ 0.667. We want 1 − (1 − p_near^K)^L ≥ 0.95 and 1 − (1 − p_far^K)^L ≤ 0.05. For each
# K the smallest L meeting the first condition is the best one for the second too (the far probability
# only grows with L), so one pass over K suffices.

# %%
p_near, p_far = 1 - 20 / 180, 1 - 60 / 180
feasible = []
for K in range(1, 61):
    L = int(np.ceil(np.log(0.05) / np.log(1 - p_near**K)))  # smallest L with (1 − p^K)^L ≤ 0.05
    if amplified_collision_probability(p_far, K, L) <= 0.05:
        feasible.append((K * L, K, L))
cost, K1, L1 = min(feasible)
print(f"cheapest: K = {K1}, L = {L1} → {cost} hash evaluations per query; "
      f"near {amplified_collision_probability(p_near, K1, L1):.3f}, far {amplified_collision_probability(p_far, K1, L1):.3f}")

# %% [markdown]
# The same answer from `choose_parameters`: with one near and one far probability and `n_database=1`,
# "recall" is the near pair's candidate probability and "candidates" the far pair's; a budget of 0.05 and
# `hash_cost=1` with a negligible candidate cost make it minimise K·L.

# %%
check = choose_parameters([p_near], [p_far], 1, target_recall=0.95, max_candidates=0.05, max_K=60, max_L=400)
print(f"choose_parameters: K = {check.K}, L = {check.L}")
assert check.feasible and check.K * check.L == cost
assert amplified_collision_probability(p_near, K1, L1) >= 0.95 and amplified_collision_probability(p_far, K1, L1) <= 0.05

# %%
display(Markdown(
    f"**Answer.** K = {K1} hashes per table and L = {L1} tables, {cost} hash evaluations per query: the gap "
    f"between {p_near:.3f} and {p_far:.3f} per hash is small, so it takes long keys to push far pairs out "
    f"(p_far^K = {p_far ** K1:.4f}) and many tables to bring near pairs back (p_near^K = {p_near ** K1:.3f})."
))

# %% [markdown]
# ## Exercise 2 — SimHash through the origin on pixel vectors

# %%
data = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
X, Q = data.X_train, data.X_query
_, true_idx = brute_force_knn(X, Q, 10)
rows = {center: [update_lsh_recall(X, Q, true_idx, K=K, L=16, center=center, random_state=SEED) for K in (8, 12)]
        for center in (True, False)}
for center, rs in rows.items():
    print(f"center={center!s:5}: " + "  ".join(f"K={r.K}: recall {r.recall:.2f} @ {r.fraction:.3f}n" for r in rs))


def angles(A, B):
    A = A / np.linalg.norm(A, axis=1, keepdims=True)
    B = B / np.linalg.norm(B, axis=1, keepdims=True)
    return np.degrees(np.arccos(np.clip(A @ B.T, -1, 1)))


raw, centred = angles(Q, X[:500]), angles(Q - X.mean(0), X[:500] - X.mean(0))
print(f"angles between raw images: {raw.min():.0f}°–{raw.max():.0f}°; between centred images: "
      f"{centred.min():.0f}°–{centred.max():.0f}°")

# %%
display(Markdown(
    f"**Answer.** Pixel vectors are non-negative, so every raw image lies in the positive orthant and any two "
    f"are less than 90° apart (here {raw.min():.0f}°–{raw.max():.0f}°). A hyperplane through the origin then "
    "rarely separates two images: every pair, near or far, collides with probability above 1/2, so the keys "
    f"concentrate in few, large buckets. At K = {rows[False][0].K} the raw tables examine "
    f"{rows[False][0].fraction:.1%} of the database for recall {rows[False][0].recall:.2f}; the centred ones "
    f"{rows[True][0].fraction:.1%} for {rows[True][0].recall:.2f}. After subtracting the mean image the "
    f"angles spread to {centred.min():.0f}°–{centred.max():.0f}° and the same bits separate far pairs."
))

# %%
assert raw.max() < 90
assert all(c.recall / max(c.fraction, 1e-9) > u.recall / max(u.fraction, 1e-9)
           for c, u in zip(rows[True], rows[False])), "centring should give more recall per candidate"

# %% [markdown]
# ## Exercise 7 — ρ depends on the radii

# %%
mean = X.mean(0)
theta_db = np.radians(angles(Q - mean, X - mean))
theta_near = np.take_along_axis(theta_db, true_idx, axis=1).ravel()
median = sensitivity(simhash_collision_probability, np.median(theta_near), np.median(theta_db))
strict = sensitivity(simhash_collision_probability, np.percentile(theta_near, 90), np.percentile(theta_db, 10))
for name, fam in (("medians (§6)", median), ("90th / 10th percentiles", strict)):
    K, L = classic_parameters(len(X), fam.p1, fam.p2)
    print(f"{name:24s} c = {fam.c:.2f}  p1 = {fam.p1:.3f}  p2 = {fam.p2:.3f}  rho = {fam.rho:.3f}  K = {K}  L = {L}")

# %%
K_m, L_m = classic_parameters(len(X), median.p1, median.p2)
K_s, L_s = classic_parameters(len(X), strict.p1, strict.p2)
display(Markdown(
    "**Answer.** Asking that 90 % of the true neighbours count as near and that only the 10 % closest "
    f"database pairs count as far brings the radii together: c falls from {median.c:.2f} to {strict.c:.2f}, "
    f"p₁ and p₂ move to {strict.p1:.3f} and {strict.p2:.3f}, and ρ grows from {median.rho:.2f} to "
    f"{strict.rho:.2f}. K grows a little ({K_m} → {K_s}) but L = ⌈n^ρ / p₁⌉ grows from {L_m} to {L_s} tables — "
    "each one a pass of hashing over the database and a lookup per query. ρ measures how well the data "
    "separates near from far at the chosen radii, not a property of the hash family alone."
))

# %%
assert strict.c < median.c and strict.rho > median.rho
assert classic_parameters(len(X), strict.p1, strict.p2)[1] > 3 * classic_parameters(len(X), median.p1, median.p2)[1]
