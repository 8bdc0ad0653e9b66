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
# # Lecture 10 — worked solutions (metric learning, metric LSH, kernelized LSH)
#
# Solutions to exercises 3, 5 and 7 of `10_metric_lsh.py`. Run time: about 30 s at full size
# (`LSHLAB_SIZE=small`: a few seconds).

# %%
import numpy as np
from sklearn.decomposition import PCA

from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.evaluation import encode_pair, score_codes
from lshlab.hashing import KernelizedHash
from lshlab.kernels import gaussian_kernel, median_heuristic_bandwidth
from lshlab.metric_learning import ITML
from lshlab.metrics import relevance_from_labels

# %%
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=1000, small=300)
PCA_DIM = param("PCA_DIM", full=40, small=30)
N_BITS = param("N_BITS", full=64)
N_PAIR_BITS = param("N_PAIR_BITS", full=4096, small=2048)
SEED = 0

# %% [markdown]
# ## Exercise 3 — Frobenius vs LogDet
#
# The Frobenius projection onto {A : zᵀAz = ξ} is A + (ξ − p)/‖z‖⁴ · zzᵀ with p = zᵀAz: it subtracts a
# multiple of zzᵀ, and a large enough subtraction makes an eigenvalue negative. Cycle over the toy
# constraints with u = 0.05 (each similar pair must shrink twentyfold) and count projections.

# %%
toy = np.array([[1, 1], [2, 1], [1, 2], [2, 2], [4, 2], [4, 3]], dtype=float)
pairs = [(0, 3, True), (4, 5, True), (1, 2, False), (3, 4, False)]
u, l = 0.05, 4.0


def cyclic(update, n_sweeps=20):
    A, history = np.eye(2), []
    for _ in range(n_sweeps):
        for i, j, similar in pairs:
            z = toy[i] - toy[j]
            p = z @ A @ z
            if (similar and p > u) or (not similar and p < l):
                A = update(A, z, p, u if similar else l)
            history.append(np.linalg.eigvalsh(A)[0])
    return A, np.array(history)


frobenius = lambda A, z, p, xi: A + (xi - p) / (z @ z) ** 2 * np.outer(z, z)  # noqa: E731
logdet = lambda A, z, p, xi: A + (xi - p) / p**2 * np.outer(A @ z, A @ z)  # noqa: E731
_, eig_f = cyclic(frobenius)
_, eig_l = cyclic(logdet)
first_bad = int(np.argmax(eig_f < 0)) + 1
print(f"Frobenius: smallest eigenvalue negative after projection {first_bad}; min over the run {eig_f.min():.3f}")
print(f"LogDet:    smallest eigenvalue stays positive: min over the run {eig_l.min():.2e}")
assert eig_f.min() < 0 and eig_l.min() > 0

# %% [markdown]
# To keep a Frobenius scheme inside the cone one must project onto it after every step: an
# eigen-decomposition A = VΛVᵀ and clipping Λ at 0, O(d³) per step instead of the O(d²) rank-one LogDet
# update — and the clipped matrix no longer satisfies the constraint just enforced.
#
# ## Exercise 5 — Theory: one LogDet projection
#
# The Bregman projection for the LogDet divergence onto zᵀAz = ξ has the form A⁻¹ = A₀⁻¹ − βzzᵀ (its
# gradient condition). Sherman–Morrison gives A = A₀ + β A₀zzᵀA₀/(1 − βp) with p = zᵀA₀z, so
# zᵀAz = p + βp²/(1 − βp) = p/(1 − βp). Setting this to ξ gives 1 − βp = p/ξ, i.e. β = (ξ − p)/(pξ), and
# A = A₀ + (ξ − p)/p² · A₀zzᵀA₀. By the matrix determinant lemma det A = det A₀ (1 + βp/(1 − βp)) =
# det A₀ / (1 − βp) = det A₀ · ξ/p > 0 whenever ξ, p > 0. Numerically, on a random positive definite A₀:

# %%
rng = np.random.default_rng(SEED)
M = rng.normal(size=(4, 4))
A0 = M @ M.T + 0.5 * np.eye(4)
z = rng.normal(size=4)
p, xi = z @ A0 @ z, 0.3
A = A0 + (xi - p) / p**2 * np.outer(A0 @ z, A0 @ z)
single = ITML(gamma=np.inf, prior=A0, bounds=(xi, 100.0)).fit_pairs(np.array([[0, 1]]), np.array([True]),
                                                                     X=np.vstack([np.zeros(4), z]))
print(f"zᵀAz = {z @ A @ z:.6f} (ξ = {xi}),  det A / det A₀ = {np.linalg.det(A) / np.linalg.det(A0):.6f}"
      f" (ξ/p = {xi / p:.6f})")
assert np.isclose(z @ A @ z, xi) and np.isclose(np.linalg.det(A) / np.linalg.det(A0), xi / p)
assert np.allclose(single.A_, A)

# %% [markdown]
# ## Exercise 7 — KLSH's central limit, and kernels
#
# The prediction 1 − θ/π assumes the sum over the t landmarks of S is Gaussian. With small t a handful of
# landmarks decide each bit, and bits agree more often than predicted: the mean signed gap should shrink
# as t grows.

# %%
data = load_dataset("mnist", n_train=N_DATABASE, n_query=N_QUERY, pool="test", seed=SEED)
pca = PCA(n_components=PCA_DIM, random_state=SEED).fit(data.X_train)
X_db, X_q = pca.transform(data.X_train), pca.transform(data.X_query)
sigma = median_heuristic_bandwidth(X_db, random_state=SEED)
rng = np.random.default_rng(SEED + 1)
qi, di = rng.integers(0, len(X_q), 300), rng.integers(0, len(X_db), 300)
bias = {}
for t in (5, 30, 150):
    h = KernelizedHash(N_PAIR_BITS, kernel=sigma, subset_size=t, random_state=SEED).fit(X_db)
    measured = np.mean(h.transform(X_q[qi]) == h.transform(X_db[di]), axis=1)
    bias[t] = float(np.mean(measured - h.collision_probability(X_q[qi], X_db[di])))
    print(f"t = {t:3d}: mean signed gap (measured − predicted) = {bias[t]:+.4f}")
assert bias[5] > bias[150] and abs(bias[150]) < 0.01

# %% [markdown]
# Kernels: a narrower Gaussian (σ/3) and the Gaussian in the metric learned by ITML (a kernel on
# x ↦ Gx), against the median-heuristic Gaussian, all at `N_BITS` bits (mean of 3 hash seeds).

# %%
relevant = relevance_from_labels(data.y_query, data.y_train)
itml = ITML(gamma=0.1, n_constraints=2000, random_state=SEED).fit(X_db, data.y_train)
sigma_itml = median_heuristic_bandwidth(itml.transform(X_db), random_state=SEED)
kernels = {
    f"Gaussian σ = {sigma:.1f}": sigma,
    f"Gaussian σ = {sigma / 3:.1f}": sigma / 3,
    "Gaussian in the ITML metric": lambda A, B: gaussian_kernel(itml.transform(A), itml.transform(B),
                                                                bandwidth=sigma_itml),
}
maps = {}
for name, kern in kernels.items():
    maps[name] = np.mean([score_codes(encode_pair(KernelizedHash(N_BITS, kernel=kern, random_state=s), X_db, X_q),
                                      relevant).map for s in range(3)])
    print(f"{name:30s} mAP {maps[name]:.3f}")

# %%
names = list(kernels)
assert maps[names[2]] > maps[names[0]]  # the learned metric's kernel ranks digits better

# %% [markdown]
# The learned metric carries over to KLSH: a Gaussian kernel on Gx hashes like metric LSH, plus the
# kernel's non-linearity. A much narrower Gaussian makes most kernel values tiny, and the centred features
# of far-apart images become nearly orthogonal: bits carry less of the class structure.
