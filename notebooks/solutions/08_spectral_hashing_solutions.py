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
# # Lecture 08 — worked solutions (graph Laplacians and spectral hashing)
#
# Solutions to exercises 1, 3 and 4 of `08_spectral_hashing.py`. Try them first; each solution states
# the prediction, then checks it. Run time: a few seconds (`LSHLAB_SIZE=small`: the same, on fewer images).

# %%
import numpy as np

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.hashing import SpectralHash
from lshlab.hashing.spectral import bipartitions, box_eigenvalue, fiedler_vector, ratio_cut

# %%
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
SEED = 0

# %% [markdown]
# ## Exercise 1 — Laplacian by hand
#
# **Prediction.** Adding an edge adds (e_i − e_j)(e_i − e_j)ᵀ ⪰ 0 to L, so no eigenvalue decreases:
# λ₂ grows. The new edge 3–4 joins the two halves of the old Fiedler split, so the cut between them
# doubles, and the best split may change. Removing 1–4 disconnects {1, 2, 3} from {4, 5}: the constant
# vector on each component is in the null space, so λ₂ = 0.

# %%
def graph(edges):
    A = np.zeros((5, 5))
    for i, j in edges:
        A[i - 1, j - 1] = A[j - 1, i - 1] = 1
    return A


base = [(1, 2), (1, 3), (1, 4), (2, 3), (4, 5)]
for name, edges in [("lecture graph", base), ("+ edge 3–4", base + [(3, 4)]),
                    ("− edge 1–4", [e for e in base if e != (1, 4)])]:
    A = graph(edges)
    v, lam2 = fiedler_vector(A)
    costs = [ratio_cut(A, s) for s in bipartitions(5)]
    neg, pos = (np.flatnonzero(v < -1e-9) + 1).tolist(), (np.flatnonzero(v >= -1e-9) + 1).tolist()
    print(f"{name:14s} λ₂ = {lam2:.4f}  Fiedler vector {np.round(v, 3).tolist()}  signs {neg} | {pos}  "
          f"best RatioCut = {min(costs):.4f}")

# %%
lam_base, lam_add, lam_cut = (fiedler_vector(graph(e))[1] for e in
                              (base, base + [(3, 4)], [e for e in base if e != (1, 4)]))
assert lam_add > lam_base and abs(lam_cut) < 1e-12
A_add = graph(base + [(3, 4)])
v_add, _ = fiedler_vector(A_add)
assert set(np.flatnonzero(v_add > 0) + 1) == {4, 5}  # the sign split stays {1,2,3} | {4,5} ...
best = min(bipartitions(5), key=lambda s: ratio_cut(A_add, s))
assert set(np.flatnonzero(best) + 1) == {1, 2, 3, 4}  # ... but the best ratio cut is now {1,2,3,4} | {5}
plots.plot_ratio_cuts(graph(base + [(3, 4)]));

# %% [markdown]
# With the edge 3–4 the split {1,2,3} | {4,5} cuts two edges (RatioCut 2·(1/3 + 1/2) = 1.67), while
# cutting off the leaf 5 costs one edge: {1,2,3,4} | {5} is now the best ratio cut (1·(1/4 + 1) = 1.25).
# The signs of the Fiedler vector still give {1,2,3} | {4,5}: rounding the relaxed solution at zero is a
# heuristic, not the optimum. A *sweep cut* does better: sort the nodes by their Fiedler value and try every
# threshold between consecutive values (n − 1 splits instead of 2ⁿ⁻¹ − 1):

# %%
order = np.argsort(v_add)
sweep = []
for i in range(1, 5):
    side = np.zeros(5, bool)
    side[order[:i]] = True
    sweep.append((ratio_cut(A_add, side), sorted((order[:i] + 1).tolist())))
    print(f"threshold after node {order[i - 1] + 1}: U = {sweep[-1][1]}  RatioCut = {sweep[-1][0]:.4f}")
assert min(sweep)[1] == [1, 2, 3, 4]

# %% [markdown]
# The sweep finds {1,2,3,4} | {5}. Every RatioCut stays above λ₂, which rose from 0.52 to 0.83.
#
# Without the edge 1–4 the graph falls apart into {1,2,3} and {4,5}: λ₁ = λ₂ = 0, and the null space of L is
# two-dimensional, spanned by the indicators of the two components. `eigh` returns some orthonormal basis of
# it — here the second vector is the indicator of {4,5} divided by √2 — so all its entries can share a sign
# and the split must be read off by *value*: {1,2,3} (value 0) against {4,5}, with a cut of 0.
#
# ## Exercise 3 — How small is small ε?
#
# With t = ε²ω²/2 the limit is t and the exact value 1 − e^{−t}; their ratio t/(1 − e^{−t}) ≈ 1 + t/2
# exceeds 1.1 once t ≳ 0.19. For ε = 0.1 on [0, 1], ω = kπ, so t = 0.005·π²k² > 0.19 from k ≈ 2.

# %%
k = np.arange(1, 8)
eps = 0.1
exact = box_eigenvalue(k, 0.0, 1.0, eps)
limit = 0.5 * eps**2 * (k * np.pi) ** 2
over = limit / exact - 1
print("overestimate of the small-ε limit:", {int(kk): round(float(o), 3) for kk, o in zip(k, over)})
first = int(k[np.argmax(over > 0.1)])
print("first k with more than 10 %:", first)
assert first == 2

# %% [markdown]
# ## Exercise 4 — The SH budget on MNIST
#
# Spectral hashing ranks (direction j, frequency k) by (kπ/(bⱼ − aⱼ))², i.e. by the *range* of each
# principal direction, not its variance. On MNIST the ranges of the leading directions are similar, so
# the bits spread over many directions, mostly with k = 1.

# %%
mnist = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=10, seed=SEED)
sh = SpectralHash(48).fit(mnist.X_train)
dirs, ks = sh.modes_[:, 0], sh.modes_[:, 1]
print("directions with at least one bit:", len(set(dirs)))
print("bits of the first direction:", int((dirs == 0).sum()), " its frequencies:", ks[dirs == 0].tolist())
print("ranges of the first 6 directions:", (sh.upper_ - sh.lower_)[:6].round(2))

# %%
assert len(set(dirs)) > 20 and (ks == 1).sum() > 24
