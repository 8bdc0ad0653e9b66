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
# # Lecture 07 — worked solutions
#
# Solutions to exercises 1 (Lee = Hamming, Gray and thermometer codes) and 2 (the period s) of lecture 07. `LSHLAB_SIZE=small` runs everything small.

# %%
import itertools

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import hamming_distance_matrix, lee_distance_matrix
from lshlab.hashing import LeeHash
from lshlab.kernels import median_heuristic_bandwidth

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %%
SEED = 0
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_SYMBOLS = param("N_SYMBOLS", full=4096, small=1024)
N_COMPONENTS = param("N_COMPONENTS", full=1024, small=512)

# %% [markdown]
# ## Exercise 1 — Lee = Hamming for q ≤ 3, and embeddings that turn Lee into Hamming
#
# **q ≤ 3.** Two distinct symbols of Z₂ or Z₃ differ by 1 or 2 (mod q); going the other way round costs
# q − 1 or q − 2, and min(|a − b|, q − |a − b|) = 1 for every distinct pair. So the Lee distance of a symbol
# is 1[a ≠ b] and summing over symbols gives the Hamming distance.
#
# **q = 4, Gray code.** 0→00, 1→01, 2→11, 3→10: neighbours on the circle (0–1, 1–2, 2–3, 3–0) differ in one
# bit, opposite symbols (0–2, 1–3) in both. Checked on all 16 pairs below.
#
# **Even q, cyclic thermometer.** Map a ∈ Z_q to the q/2 bits c_j(a) = 1[(a + j) mod q < q/2],
# j = 0 … q/2 − 1. Moving a one step around the circle flips exactly one of these bits, and going half way
# round flips all q/2 of them, so the number of differing bits is min(|a − b|, q − |a − b|): the Hamming
# distance of the embeddings is the Lee distance. (For odd q use q bits with threshold ⌈q/2⌉ and halve:
# the same argument gives 2·d_Lee for those.)

# %%
gray = {0: (0, 0), 1: (0, 1), 2: (1, 1), 3: (1, 0)}
for a, b in itertools.product(range(4), repeat=2):
    lee = min(abs(a - b), 4 - abs(a - b))
    assert sum(x != y for x, y in zip(gray[a], gray[b])) == lee


def thermometer(codes, q):
    """Cyclic thermometer embedding of symbols in Z_q (q even) into q/2 bits each."""
    j = np.arange(q // 2)
    return ((codes[..., None] + j) % q < q // 2).reshape(codes.shape[0], -1).astype(np.uint8)


rng = np.random.default_rng(SEED)
checked = []
for q in (2, 4, 6, 10, 20):
    A, B = rng.integers(0, q, (30, 50)), rng.integers(0, q, (40, 50))
    same = np.array_equal(hamming_distance_matrix(thermometer(A, q), thermometer(B, q)), lee_distance_matrix(A, B, q=q))
    checked.append((q, same))
    assert same
for q in (2, 3):
    A, B = rng.integers(0, q, (30, 50)), rng.integers(0, q, (40, 50))
    assert np.array_equal(lee_distance_matrix(A, B, q=q), (A[:, None] != B[None]).sum(axis=2))
display(Markdown("Gray code for q = 4: Hamming = Lee on all 16 pairs. Cyclic thermometer: Hamming of the embeddings "
                 "equals the Lee distance for " + ", ".join(f"q = {q}" for q, _ in checked)
                 + " (random codes of 50 symbols). q = 2, 3: Lee = Hamming directly."))

# %% [markdown]
# ## Exercise 2 — The period s
#
# `LeeHash` estimators that differ only in `scale` share ω, b, w and t, so the projected difference of a
# pair scales like 1/s. For a fixed pair, Δᵢ = wᵢᵀ(φ(x) − φ(y))/s with wᵢ ~ N(0, I): across symbols Δᵢ is
# **Gaussian** with standard deviation τ = ‖φ(x) − φ(y)‖/s. For even q the expectation per symbol is the
# triangle q·d_○(Δ), whose Fourier series is d_○(x) = 1/4 − (2/π²) Σ_{k odd} cos(2πkx)/k², and
# E cos(2πkΔ) = exp(−2π²k²τ²). Hence
#
# E[d_Lee per symbol] = q/4 − (2q/π²) Σ_{k odd} exp(−2π²k²τ²)/k²,
#
# which *increases* monotonically as s shrinks (τ grows) and tends to q/4 from below: the mean does not
# peak and fall — every pair, near or far, ends at q/4, because wrapped around many times the symbols of
# any two images look unrelated. What peaks is the *difference* between a near and a far pair.

# %%
data = load_dataset("mnist", n_train=N_DATABASE, n_query=1, seed=SEED, pool="test")
X_db, x_q = data.X_train, data.X_query[:1]
sigma = median_heuristic_bandwidth(X_db, random_state=SEED)
d = np.linalg.norm(X_db - x_q, axis=1)
pairs = {"near pair": np.vstack([x_q, X_db[np.argmin(d)]]), "far pair": np.vstack([x_q, X_db[np.argmax(d)]])}
q = 8
base = LeeHash(N_SYMBOLS, q=q, n_components=N_COMPONENTS, kernel=sigma, random_state=SEED).fit(X_db)


def phi(h, X):  # the random Fourier features of LeeHash: √(2/N₀) cos(Xω + b)
    return np.sqrt(2 / h.feature_components_.shape[1]) * np.cos(X @ h.feature_components_ + h.feature_offsets_)


def gaussian_mean_lee(tau, q, n_terms=200):  # q/4 − (2q/π²) Σ_{k odd} exp(−2π²k²τ²)/k², even q
    k = np.arange(1, 2 * n_terms, 2)[:, None]
    return q / 4 - 2 * q / np.pi**2 * (np.exp(-2 * np.pi**2 * k**2 * np.asarray(tau) ** 2) / k**2).sum(axis=0)


scales = base.scale_ * np.geomspace(1 / 64, 4, 25)
measured = {name: [] for name in pairs}
for s in scales:
    h = LeeHash(N_SYMBOLS, q=q, n_components=N_COMPONENTS, kernel=sigma, scale=s, random_state=SEED).fit(X_db)
    for name, P in pairs.items():
        codes = h.transform(P).astype(int)
        diff = np.abs(codes[0] - codes[1])
        measured[name].append(np.minimum(diff, q - diff).mean())
tau = {name: np.linalg.norm(np.diff(phi(base, P.astype(np.float64)), axis=0)) / scales for name, P in pairs.items()}
theory = {name: gaussian_mean_lee(tau[name], q) for name in pairs}
fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
for name in pairs:
    line, = ax.semilogx(scales / base.scale_, measured[name], "o", label=f"{name}, measured")
    ax.semilogx(scales / base.scale_, theory[name], "-", color=line.get_color(), label=f"{name}, Gaussian formula")
ax.axhline(q / 4, color="k", ls=":", label="q/4")
ax.set(xlabel="scale s / s_auto", ylabel=f"mean Lee distance per symbol (q = {q})",
       title="Near and far pair against the period s")
ax.legend(fontsize="small");

# %%
gap = np.array(measured["far pair"]) - np.array(measured["near pair"])
best = int(np.argmax(gap))
err = max(np.max(np.abs(np.array(measured[n]) - theory[n])) for n in pairs)
display(Markdown(
    f"Both curves rise toward q/4 = {q / 4:g} as s shrinks (at the smallest s: "
    + ", ".join(f"{n} {measured[n][0]:.2f}" for n in pairs)
    + f"), as the Gaussian formula predicts (largest deviation {err:.3f} per symbol over {N_SYMBOLS} symbols). "
    f"The far pair is told apart from the near pair best at s ≈ {scales[best] / base.scale_:.2f}·s_auto "
    f"(difference {gap[best]:.2f} per symbol, against {gap[np.argmin(np.abs(scales - base.scale_))]:.2f} at "
    f"s_auto and {gap[0]:.2f} at the smallest s): small enough that the far pair uses much of the circle, "
    "large enough that it does not wrap around."))
se = np.sqrt(q**2 / 16 / N_SYMBOLS)  # the Lee distance of a symbol lies in [0, q/2]: sd ≤ q/4
assert err < 4 * se + 0.02
assert all(abs(measured[n][0] - q / 4) < 4 * se + 0.02 for n in pairs)
assert 0 < best < len(scales) - 1 and gap[best] > gap[0] + 0.5  # an interior optimum, far better than wrapping
