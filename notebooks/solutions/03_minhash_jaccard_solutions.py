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
# # Lecture 03 — worked solutions
#
# Solutions to exercises 1, 4 and 5 of `03_minhash_jaccard.py`. Each states the answer, computes it, and
# checks it with an `assert`, so this notebook runs as a test like the lecture.

# %%
import numpy as np
from IPython.display import Markdown, display

from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.hashing import MinHash
from lshlab.lsh_theory import amplified_collision_probability, banding_errors, optimal_banding
from lshlab.metrics import dice_score, jaccard_index
from lshlab.search import BandingIndex
from lshlab.sets import jaccard_matrix, threshold_masks

N_DATABASE = param("N_DATABASE", full=20000, small=2000)
N_QUERY = param("N_QUERY", full=300, small=60)
N_HASHES = 128
N_DRAWS = param("N_DRAWS", full=6, small=6)
SEED = 0

data = load_dataset("fashion-mnist", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
M, MQ = threshold_masks(data.X_train), threshold_masks(data.X_query)

# %% [markdown]
# ## Exercise 1 — Dice from Jaccard
#
# Since |A| + |B| = |A ∪ B| + |A ∩ B|, dividing the numerator and the denominator of D by |A ∪ B| gives
#
# $$D = \frac{2|A \cap B|}{|A| + |B|} = \frac{2|A \cap B|}{|A \cup B| + |A \cap B|} = \frac{2J}{1 + J}.$$
#
# The map J ↦ 2J/(1 + J) is increasing on [0, 1] (its derivative is 2/(1 + J)² > 0), so D and J order any
# two pairs the same way: they rank retrieval results identically, only the numbers differ. Check on
# the masks, pairing each query with the first N_QUERY database masks:

# %%
A, B = MQ, M[:N_QUERY]
D, Jq = dice_score(A, B), jaccard_index(A, B)
print(f"largest |D − 2J/(1+J)| over {len(A)} pairs: {np.abs(D - 2 * Jq / (1 + Jq)).max():.2e}")
assert np.allclose(D, 2 * Jq / (1 + Jq))
assert np.array_equal(np.argsort(D, kind="stable"), np.argsort(Jq, kind="stable"))  # the same ranking

# %% [markdown]
# ## Exercise 4 — banding for a Jaccard threshold of 0.7

# %%
T = 0.7
b, r = optimal_banding(T, N_HASHES)
fp_area, fn_area = banding_errors(T, b, r)
J = jaccard_matrix(MQ, M)
edges = np.linspace(0, 1, 41)
which = np.clip(np.digitize(J, edges) - 1, 0, 39)
counts = np.bincount(which.ravel(), minlength=40)
rate = []
for draw in range(N_DRAWS):
    mh = MinHash(N_HASHES, random_state=SEED + draw).fit(M)
    q, d = BandingIndex(b, r).fit(mh.transform(M)).candidate_pairs(mh.transform(MQ))
    cand = np.zeros(J.shape, dtype=bool)
    cand[q, d] = True
    rate.append(np.bincount(which.ravel(), weights=cand.ravel(), minlength=40) / np.maximum(counts, 1))
rate = np.mean(rate, axis=0)
centres = (edges[:-1] + edges[1:]) / 2
ok = counts >= 100  # bins with enough pairs
below, above = ok & (centres < T), ok & (centres > T)
fp_measured = rate[below].mean()       # each J bin weighted equally: J uniform below the threshold
fn_measured = 1 - rate[above].mean()
fp_theory = amplified_collision_probability(centres[below], r, b).mean()
fn_theory = 1 - amplified_collision_probability(centres[above], r, b).mean()
print(f"b = {b}, r = {r}: false-positive area {fp_area:.4f} (mean over s < {T}: {fp_area / T:.4f}), "
      f"false-negative area {fn_area:.4f} (mean over s > {T}: {fn_area / (1 - T):.4f})")
print(f"measured over the occupied J bins: false positives {fp_measured:.4f} (theory on the same bins "
      f"{fp_theory:.4f}), false negatives {fn_measured:.4f} (theory {fn_theory:.4f})")

# %%
display(Markdown(
    f"**Answer.** For a threshold of {T}, `optimal_banding` picks b = {b} bands of r = {r} rows "
    f"(b·r = {b * r} of {N_HASHES}), the threshold (1/b)^(1/r) = {(1 / b) ** (1 / r):.2f}. Averaged over the "
    f"occupied Jaccard bins, {fp_measured:.1%} of the pairs below {T} became candidates (S-curve on the same bins: "
    f"{fp_theory:.1%}) and {fn_measured:.1%} of the pairs above it did not ({fn_theory:.1%}). `banding_errors` "
    f"gives areas over the whole intervals — {fp_area:.4f} and {fn_area:.4f}, i.e. averages "
    f"{fp_area / T:.4f} and {fn_area / (1 - T):.4f} for J uniform — while the masks leave the bins near 0 and "
    "1 empty, which is why we compare on the occupied bins."
))

# %%
assert abs(fp_measured - fp_theory) < 0.02 and abs(fn_measured - fn_theory) < 0.05

# %% [markdown]
# ## Exercise 5 — b-bit MinHash with b = 1
#
# Keep only the lowest bit of each signature value. Two sets agree on a position when their minima are
# equal (probability J) or, when they differ, by chance (probability 1/2 for a random bit), so
# a = J + (1 − J)/2 = (1 + J)/2 and the estimate is Ĵ = 2â − 1. Its variance is 4 · a(1 − a)/n =
# (1 − J²)/n, against J(1 − J)/n for full signatures: (1 + J)/J times larger — but each position costs 1
# bit instead of 32 (Li & König, "b-bit minwise hashing", WWW 2010).

# %%
rng = np.random.default_rng(SEED)
pq, pd = rng.integers(0, N_QUERY, 2000), rng.integers(0, N_DATABASE, 2000)
Jp = J[pq, pd]
full, one_bit = [], []
for draw in range(N_DRAWS):
    mh = MinHash(N_HASHES, random_state=SEED + 50 + draw).fit(M)
    Sq, Sd = mh.transform(MQ[pq]), mh.transform(M[pd])
    full.append((Sq == Sd).mean(axis=1))
    one_bit.append(2 * ((Sq & 1) == (Sd & 1)).mean(axis=1) - 1)
full, one_bit = np.array(full), np.array(one_bit)
var_full, var_bit = full.var(axis=0, ddof=1).mean(), one_bit.var(axis=0, ddof=1).mean()
theory_full, theory_bit = (Jp * (1 - Jp)).mean() / N_HASHES, (1 - Jp**2).mean() / N_HASHES
bias = {name: (e - Jp).mean() for name, e in (("full", full), ("1-bit", one_bit))}
bias_se = {name: (e - Jp).mean(axis=1).std(ddof=1) / np.sqrt(N_DRAWS) for name, e in (("full", full), ("1-bit", one_bit))}
print("mean error: " + ", ".join(f"{n} {bias[n]:+.4f} ± {bias_se[n]:.4f}" for n in bias))
print(f"variance: full {var_full:.5f} (theory {theory_full:.5f}), 1-bit {var_bit:.5f} (theory {theory_bit:.5f})")

# %%
display(Markdown(
    f"**Answer.** Both estimates centre on J (mean errors {bias['full']:+.4f} ± {bias_se['full']:.4f} and "
    f"{bias['1-bit']:+.4f} ± {bias_se['1-bit']:.4f} over {N_DRAWS} draws); the 1-bit variance is {var_bit / var_full:.1f} times the full one "
    f"(theory {theory_bit / theory_full:.1f}) at 1/32 of the storage, so at equal storage the 1-bit signatures "
    f"(32 × {N_HASHES} positions) would have a variance {var_bit / var_full / 32:.2f} times the full one."
))

# %%
# the variances over N_DRAWS draws and 2,000 pairs are within 15 % of the formulas; the mean errors within
# 3 standard errors of the mean over draws (pairs of one draw move together, so the draws set the spread)
assert abs(var_full / theory_full - 1) < 0.15 and abs(var_bit / theory_bit - 1) < 0.15
assert all(abs(bias[n]) < 3 * bias_se[n] + 1e-3 for n in bias)
