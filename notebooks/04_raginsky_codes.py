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
# # Lecture 04 — Binary codes from shift-invariant kernels (Raginsky & Lazebnik)
#
# SimHash (lecture 02) turns the *angle* between two vectors into a collision probability. Many
# retrieval problems care about *Euclidean* closeness instead, measured softly by a kernel such as the
# Gaussian K(x − y) = exp(−‖x − y‖²/(2σ²)). Raginsky and Lazebnik (NIPS 2009) built binary codes whose
# bits disagree with a probability that is an explicit, increasing function of K — so that the
# normalised Hamming distance between two codes estimates a kernel distance.
#
# ## What you will learn
#
# - **See**: random Fourier features reproducing a Gaussian kernel; what a single bit does along a line
#   of inputs; the measured fraction of differing bits against the collision series and its bounds
#   (with a bandwidth slider); on MNIST, normalised Hamming vs Euclidean distance for 128, 512 and 4,096
#   bits, precision–recall curves for several code lengths, retrieval collages with right and wrong
#   answers, and SimHash at equal bits.
# - **Do**: encode with `ShiftInvariantHash`, check the collision lemma numerically — and a misprint in
#   a lecture you may meet: the series is the probability of **dis**agreement — choose the kernel
#   bandwidth with the median heuristic, and compare code lengths and families by mean average precision.
# - **Learn**: Bochner's theorem K(Δ) = E cos(ωᵀΔ); the code h(x) = ½[1 + sgn(cos(ωᵀx + b) + t)];
#   P[h(x) ≠ h(y)] = (8/π²) Σ_{m≥1} (1 − K(mΔ))/(4m² − 1); why an untrained kernel of bandwidth σ = 1 on
#   pixel vectors gives useless codes; when shift-invariant codes beat SimHash.
# - **Need**: lectures 01–02 (retrieval, precision–recall, Hamming distance), basic probability.
#   MNIST is read from its test split (`pool="test"`).
#
# **Run time**: under a minute at full size on a 2-core machine (27 s measured on a busy one), less at the
# small size.
#
# **Sources.** M. Raginsky & S. Lazebnik, "Locality-sensitive binary codes from shift-invariant kernels",
# NIPS 2009 (the code and its collision lemma). M. B. Khuzani, Y. Ye, S. Napel & L. Xing, "Locally
# sensitive hashing for the content based image retrieval", lecture slides, Stanford University, 2020
# (the MNIST experiments this lecture reproduces: scatter plots, precision–recall, 4,096-bit collages).

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.evaluation import code_distances, encode_pair, evaluate_hasher, mixed_result_queries, score_codes
from lshlab.hashing import RandomHyperplaneHash, ShiftInvariantHash
from lshlab.kernels import (
    SchoenbergKernel,
    gaussian_kernel,
    median_heuristic_bandwidth,
    raginsky_disagreement_bounds,
    raginsky_disagreement_probability,
)
from lshlab.metrics import mean_average_precision, precision_recall_curve_retrieval, relevance_from_labels
from lshlab.search import HammingIndex, brute_force_knn
from lshlab.widgets import disagreement_explorer, log_slider, scatter_pr_explorer, update_disagreement

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %% [markdown]
# One parameter cell: full size by default; `LSHLAB_SIZE=small` (CI) shrinks it; `LSHLAB_<NAME>=…`
# overrides one value.

# %%
SEED = 0
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=300, small=100)
AT_K = param("AT_K", full=1000, small=200)            # mAP@k cut-off
N_THEORY_BITS = param("N_THEORY_BITS", full=4096, small=2048)
CODE_LENGTHS = (128, 512, 4096)

# %% [markdown]
# ## 1. Random Fourier features
#
# Bochner's theorem: a continuous shift-invariant kernel with K(0) = 1 is the characteristic function
# of a probability measure, K(Δ) = E_ω[cos(ωᵀΔ)]. For the Gaussian of bandwidth σ, ω ~ N(0, σ⁻² I);
# for a Schoenberg atom exp(−ξ r²), ω ~ N(0, 2ξ I) (the conventions of `lshlab.kernels`). With
# φ(x) = √(2/D) (cos(ω_kᵀx + b_k))_k, b_k ~ U[0, 2π), the inner product ⟨φ(x), φ(y)⟩ estimates K(x − y)
# (Rahimi & Recht 2007). Check on a few random points:

# %%
rng = np.random.default_rng(SEED)
P = rng.normal(size=(60, 5))
sigma_toy = 2.0
D_FEATURES = 20000
omega = SchoenbergKernel.from_bandwidth(sigma_toy).sample_frequencies(D_FEATURES, 5, rng)
b = rng.uniform(0, 2 * np.pi, D_FEATURES)
phi = np.sqrt(2 / D_FEATURES) * np.cos(P @ omega.T + b)
K_exact = gaussian_kernel(P, bandwidth=sigma_toy)
rff_error = np.abs(phi @ phi.T - K_exact).max()
print(f"max |⟨φ(x), φ(y)⟩ − K(x, y)| over 60×60 pairs with D = {D_FEATURES}: {rff_error:.3f} "
      f"(1/√D = {1 / np.sqrt(D_FEATURES):.3f})")

# %% [markdown]
# Each entry ⟨φ(x), φ(y)⟩ is a mean of D terms of variance at most 1, so its error is of order 1/√D ≈ 0.007
# (√2/√D at most); the largest of 1,830 distinct entries is a few times that. The assert allows about
# eight standard errors:

# %%
assert rff_error < 8 * np.sqrt(2 / D_FEATURES)  # Monte-Carlo error: a few standard errors √(2/D)

# %% [markdown]
# ## 2. The code, and what one bit sees
#
# Raginsky & Lazebnik threshold one random Fourier feature with a random threshold:
#
# h(x) = ½ [1 + sgn(cos(ωᵀx + b) + t)],   ω ~ spectral measure of K,  b ~ U[0, 2π),  t ~ U[−1, 1].
#
# Along a line of inputs a bit is a periodic on/off pattern with period 2π/|ω| (in the direction of ω)
# and a duty cycle set by t: the bit is 1 on the fraction (π − arccos t)/π of each period. Low
# frequencies (wide kernels) make long runs, high frequencies flip quickly. Each row below is one bit;
# its ω and t are on the left.

# %%
toy = ShiftInvariantHash(n_bits=3, kernel=1.0, random_state=SEED).fit(np.zeros((1, 1)))
plots.plot_bits_1d(toy, np.linspace(-6, 6, 600), n_show=3);

# %% [markdown]
# ## 3. The collision lemma — and a misprint to correct
#
# Given ω and b, t makes the two bits differ with probability |cos θ_x − cos θ_y|/2 (θ = ωᵀx + b);
# averaging over b gives (2/π)|sin(ωᵀΔ/2)|, and the Fourier series
# |sin u| = 2/π − (4/π) Σ_{m≥1} cos(2mu)/(4m² − 1) with E_ω cos(m ωᵀΔ) = K(mΔ) gives (Raginsky &
# Lazebnik 2009, Lemma 2.1)
#
# **P[h(x) ≠ h(y)] = (8/π²) Σ_{m≥1} (1 − K(mΔ)) / (4m² − 1)**, Δ = x − y.
#
# Khuzani et al.'s slides (2020) print this series as the probability of *agreement*,
# "P[h(x) = h(x̃)] = (8/π²) Σ_{m=0}^∞ (1 − K(mx, mx̃))/(4m² − 1)". That cannot be right: at x = y
# every term is 0, but identical inputs always *agree*. It is the probability of **dis**agreement;
# it grows from 0 to 4/π² ≈ 0.405 as K → 0. (Their sum starts at m = 0; that is harmless, since the
# m = 0 term is (1 − K(0))/(0 − 1) = 0 — it is not part of the error.) The lemma also brackets the
# probability in terms of u = K(Δ): (4/π²)(1 − u) ≤ P ≤ min{½√(1 − u), (4/π²)(1 − 2u/3)}.
#
# (The same slides write their untrained kernel as exp(−‖Δ‖²) while drawing ω ~ N(0, I); that ω gives
# exp(−‖Δ‖²/2), i.e. σ = 1 in our convention. We call it "σ = 1" throughout.)
#
# Measure it: pairs (x, x + r·u) at distances r, many bits, fraction of differing bits.

# %%
res = update_disagreement(bandwidth=1.0, n_bits=N_THEORY_BITS, n_distances=25, random_state=SEED)
plots.plot_disagreement(res, show_agreement=True);

# %% [markdown]
# The orange points (measured disagreement) sit on the blue series inside the grey band of the bounds;
# the red squares (measured agreement) do not. The assert cells make this a test. The measured values
# are means over `N_THEORY_BITS` independent bits, so they scatter around the series with the standard
# error shown as error bars; we allow five standard errors (plus 0.01 for the few pairs per distance,
# which share their bits):

# %%
se = res.stderr
z = np.abs(res.measured - res.series) / np.maximum(se, 1e-9)
gap_agree = np.max(np.abs((1 - res.measured) - res.series))
m0_term = (1 - SchoenbergKernel.from_bandwidth(1.0)(0.0)) / (4 * 0**2 - 1)
display(Markdown(
    f"**What the numbers say.** Over {len(res.r)} distances the measured disagreement is within "
    f"{z.max():.1f} standard errors of the series (median {np.median(z):.1f}); read as an agreement "
    f"probability the series misses the measurement by up to {gap_agree:.2f}. The m = 0 term is "
    f"{abs(m0_term):.0f}: starting the sum there changes nothing. Far apart the probability reaches "
    f"{res.series[-1]:.3f}, close to 4/π² = {4 / np.pi**2:.3f}."))
assert np.all(np.abs(res.measured - res.series) <= 5 * se + 0.01)          # disagreement = the series
assert gap_agree > 0.5                                                     # agreement ≠ the series
assert np.all((res.lower <= res.series + 1e-12) & (res.series <= res.upper + 1e-12))
assert res.series[0] == 0 and abs(raginsky_disagreement_probability(1.0, 1e3) - 4 / np.pi**2) < 1e-12
assert m0_term == 0                                                        # the m = 0 start is harmless

# %% [markdown]
# Move the bandwidth: a wider kernel stretches the curve, a narrower one makes every pair look "far".

# %%
explorer_theory = disagreement_explorer(bandwidth=1.0, bandwidth_range=(0.25, 4.0), bits=(256, 1024, 4096),
                                        n_bits=1024, random_state=SEED)
display(explorer_theory)

# %% [markdown]
# ## 4. MNIST: an untrained kernel vs a sensible bandwidth
#
# Khuzani et al. (2020) hash MNIST with ω ~ N(0, I), i.e. σ = 1, and find that "the Hamming distance
# remains flat as the Euclidean distance changes". The reason is scale: pixel vectors in [0, 1]⁷⁸⁴ lie
# far apart (the median distance is printed below), so with σ = 1 the kernel is ≈ 0 for all but the very
# closest pairs, every bit of two different images disagrees with probability 4/π², and the Hamming
# distance carries no information. The
# **median heuristic** σ = median pairwise distance puts a typical pair at K = e^{−1/2}.

# %%
data = load_dataset("mnist", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED, pool="test")
X_db, y_db, X_q, y_q = data.X_train, data.y_train, data.X_query, data.y_query
relevant = relevance_from_labels(y_q, y_db)
sigma_med = median_heuristic_bandwidth(X_db, random_state=SEED)
E = euclidean_distance_matrix(X_q, X_db)
print(f"database {X_db.shape}, queries {X_q.shape}; median query–database distance {np.median(E):.2f}, "
      f"smallest {E.min():.2f}; median heuristic σ = {sigma_med:.2f}")
print(f"K with σ = 1 at the median distance: {np.exp(-np.median(E) ** 2 / 2):.1e}, "
      f"at the smallest distance: {np.exp(-E.min() ** 2 / 2):.1e}")

# %%
bandwidths = {"σ = 1 (untrained)": 1.0, f"σ = {sigma_med:.1f} (median heuristic)": sigma_med}
# fit on the database, packed codes (8 bits per byte) of the database and the queries
codes = {(name, nb): encode_pair(ShiftInvariantHash(nb, kernel=s, random_state=SEED), X_db, X_q, packed=True)
         for name, s in bandwidths.items() for nb in CODE_LENGTHS}
hamming = {key: code_distances(pair) for key, pair in codes.items()}

# %% [markdown]
# Normalised Hamming distance against Euclidean distance for (query, database) pairs, with the
# lemma's curve (black) on top: more bits shrink the vertical spread (≈ √(p(1−p)/n)); the bandwidth
# decides whether the curve rises over the range of distances that occur at all.

# %%
n_sc = min(60, N_QUERY)
r_grid = np.linspace(E[:n_sc].min(), E[:n_sc].max(), 200)
fig, axes = plt.subplots(2, 3, figsize=(11, 7.6), layout="constrained", sharey=True)
for i, (name, s) in enumerate(bandwidths.items()):
    for j, nb in enumerate(CODE_LENGTHS):
        ax = axes[i, j]
        plots.plot_hamming_vs_euclidean(hamming[(name, nb)][:n_sc], E[:n_sc], ax=ax, n_bits=nb,
                                        title=f"{nb} bits, {name.split(' (')[0]}", random_state=SEED,
                                        ylabel="fraction of bits")
        if j:
            ax.set_ylabel("")
        ax.plot(r_grid, raginsky_disagreement_probability(s, r_grid), "k-", lw=1.5)
        ax.set_ylim(0, 0.6)
fig.suptitle("Normalised Hamming vs Euclidean distance; black: the lemma's curve");

# %%
flat = {nb: hamming[(list(bandwidths)[0], nb)][:n_sc].mean() / nb for nb in CODE_LENGTHS}
display(Markdown(
    "**What the numbers say.** With σ = 1 the mean fraction of differing bits is "
    + ", ".join(f"{flat[nb]:.3f} ({nb} bits)" for nb in CODE_LENGTHS)
    + f" — the limit 4/π² = {4 / np.pi**2:.3f} of the lemma, not ½: for unrelated inputs a bit with "
    "threshold t is 1 with probability p = 1 − arccos(t)/π, and two independent bits of that kind disagree "
    "with probability 2p(1 − p) ≤ ½ (= ½ only for t = 0); averaged over t this is 4/π². With the median-heuristic bandwidth the code distance rises with the Euclidean "
    "distance along the lemma's curve, and the vertical spread shrinks like √(p(1 − p)/n) as bits are added."))
# For unrelated inputs one bit with threshold t disagrees with probability 2p(1 − p), p = 1 − arccos(t)/π;
# over t ~ U[−1, 1] that has mean 4/π² and a standard deviation (computed here) ≈ 0.10, so the mean of n
# bits lies within a few 0.10/√n of 4/π².
t_grid = np.linspace(-1, 1, 200_001)
p_one = 1 - np.arccos(t_grid) / np.pi
sd_bit = (2 * p_one * (1 - p_one)).std()
for nb, v in flat.items():
    assert abs(v - 4 / np.pi**2) < 4 * sd_bit / np.sqrt(nb) + 0.002, (nb, v)  # + 0.002: finitely many pairs

# %% [markdown]
# Precision–recall (relevant = same digit) by retrieval depth (the k nearest, ties in Hamming distance
# averaged), several code lengths on one figure, and mAP@k per code length.

# %%
curves, m_ap = {}, {}
for (name, nb), pair in codes.items():
    pr = "depth" if "median" in name else None
    scores = score_codes(pair, relevant, at_k=AT_K, pr=pr, label=f"{nb} bits")
    m_ap[(name, nb)] = scores.map
    if pr:
        curves[f"{nb} bits"] = scores.pr
m_ap_eucl = mean_average_precision(E, relevant, at_k=AT_K)
curves["Euclidean (exact)"] = precision_recall_curve_retrieval(E, relevant, by="depth", label="Euclidean")
plots.plot_pr_curves(curves, title=f"Raginsky codes, σ = {sigma_med:.1f}: PR by code length");
print(f"mAP@{AT_K}: Euclidean {m_ap_eucl:.3f}")
for (name, nb), v in m_ap.items():
    print(f"  {name:32s} {nb:5d} bits: {v:.3f}")

# %%
chance = relevant.mean()
untrained_name, med_name = list(bandwidths)
display(Markdown(
    f"**What the numbers say.** With σ = 1 the codes rank no better than chance (mAP@{AT_K} "
    + ", ".join(f"{m_ap[(untrained_name, nb)]:.3f}" for nb in CODE_LENGTHS)
    + f" for {', '.join(map(str, CODE_LENGTHS))} bits; a random ranking scores about the share of relevant "
    f"items, {chance:.3f}). With σ = {sigma_med:.1f} mAP@{AT_K} rises from {m_ap[(med_name, 128)]:.3f} "
    f"(128 bits) to {m_ap[(med_name, 4096)]:.3f} (4,096 bits), against {m_ap_eucl:.3f} for the exact "
    "Euclidean ranking the codes approximate."))
assert all(m_ap[(untrained_name, nb)] < chance + 0.05 for nb in CODE_LENGTHS)   # σ = 1: no better than chance
assert m_ap[(med_name, 4096)] > m_ap[(med_name, 128)] + 0.1                 # more bits help
assert abs(m_ap[(med_name, 4096)] - m_ap_eucl) < 0.08                       # and approach Euclidean ranking

# %% [markdown]
# Retrieval collages in the style of Khuzani et al.'s figure 11: each row is a query (left) and its
# nearest database images — first by exact Euclidean distance, then by the Hamming distance of 4,096-bit
# codes; wrong digits are faded with a red frame. Most top-8 lists are entirely correct, so the four
# rows are chosen (`mixed_result_queries`) among queries whose lists hold right *and* wrong answers in
# both rankings; the precision over all queries is printed below.

# %%
K_SHOW = 8
_, idx_e = brute_force_knn(X_db, X_q, K_SHOW)
c4096 = codes[(med_name, 4096)]
_, idx_h = HammingIndex(c4096.db, packed=True).search(c4096.query, K_SHOW)
rows = mixed_result_queries(y_q, y_db, [idx_e, idx_h], n=4)
plots.plot_retrieval_collage(X_q[rows], X_db, idx_e[rows], y_q[rows], y_db, n_show=4,
                             title="Euclidean distance (exact)")
plots.plot_retrieval_collage(X_q[rows], X_db, idx_h[rows], y_q[rows], y_db, n_show=4,
                             title=f"Hamming distance, 4,096-bit codes (σ = {sigma_med:.1f})");

# %%
p_e, p_h = (y_db[idx_e] == y_q[:, None]).mean(), (y_db[idx_h] == y_q[:, None]).mean()
print(f"precision@{K_SHOW} over all {len(y_q)} queries: Euclidean {p_e:.3f}, 4,096-bit Hamming {p_h:.3f}")

# %% [markdown]
# ## 5. Against SimHash at equal bits — and when shift-invariant codes win
#
# SimHash bits 1[rᵀx ≥ 0] see only the *angle* of x. On raw MNIST the angle is a very good similarity
# (stroke overlap), so SimHash is strong. Shift-invariant codes see only differences x − y: translate
# the whole data set (here: add a constant brightness 10 to every pixel) and their codes have the same
# distribution, while all SimHash vectors now point almost the same way and the angle loses information.

# %%
def m_ap_of(hasher, Xd, Xq):  # fit on the database, mAP@k of the Hamming ranking
    return evaluate_hasher(hasher, Xd, Xq, relevant, at_k=AT_K).map


SHIFT = 10.0
rows = []
for nb in CODE_LENGTHS:
    rows.append((nb,
                 m_ap[(med_name, nb)],
                 m_ap_of(RandomHyperplaneHash(nb, random_state=SEED), X_db, X_q),
                 m_ap_of(ShiftInvariantHash(nb, kernel=sigma_med, random_state=SEED), X_db + SHIFT, X_q + SHIFT),
                 m_ap_of(RandomHyperplaneHash(nb, random_state=SEED), X_db + SHIFT, X_q + SHIFT)))
print(f"mAP@{AT_K}        raw pixels: Raginsky  SimHash | pixels + {SHIFT:g}: Raginsky  SimHash")
for nb, a, b_, c, d in rows:
    print(f"{nb:5d} bits                 {a:.3f}     {b_:.3f}  |              {c:.3f}     {d:.3f}")

# %%
display(Markdown(
    f"**What the numbers say.** On raw pixels SimHash is the stronger family at equal bits ({rows[-1][2]:.3f} "
    f"against {rows[-1][1]:.3f} at {rows[-1][0]:,} bits): the angle between two digits is an excellent "
    f"similarity. After adding {SHIFT:g} to every pixel the Raginsky codes score the same up to the draw of "
    f"the random features ({rows[-1][3]:.3f} at {rows[-1][0]:,} bits), while SimHash falls to "
    f"{rows[-1][4]:.3f}: every shifted vector points almost the same way, and an angle no longer separates "
    "the digits. Shift-invariant codes depend on differences x − y only."))
for nb, rag, sim, rag_shift, sim_shift in rows:
    assert abs(rag_shift - rag) < 0.08         # same code distribution: only a new random draw
    assert rag_shift > sim_shift + 0.05        # SimHash through the origin collapses on shifted data
assert abs(rows[-1][3] - rows[-1][1]) < 0.03   # at 4,096 bits the draw-to-draw noise is small

# %% [markdown]
# The explorer below recomputes codes for a code length and a kernel width and shows the scatter and
# the PR curve side by side (encodings are cached, so going back to a setting is instant).

# %%
make_hasher = lambda n_bits, sigma: ShiftInvariantHash(n_bits, kernel=sigma, random_state=SEED)  # noqa: E731
explorer = scatter_pr_explorer(X_db, y_db, X_q, y_q, make_hasher, bits=CODE_LENGTHS, value=512,
                               params={"sigma": log_slider("kernel width σ", 1.0, 40.0, sigma_med)},
                               max_queries=min(N_QUERY, 200), random_state=SEED)
display(explorer)

# %% [markdown]
# ## Key takeaways
#
# - Random Fourier features turn a shift-invariant kernel into an average of cosines (Bochner); one
#   random threshold per feature turns each into a bit: h(x) = ½[1 + sgn(cos(ωᵀx + b) + t)].
# - Two bits disagree with probability (8/π²) Σ_{m≥1} (1 − K(mΔ))/(4m² − 1): 0 for identical inputs, 4/π²
#   for unrelated ones. It is a *dis*agreement probability (a misprint in Khuzani et al.'s slides calls
#   it agreement), checked here against measurement.
# - The bandwidth decides everything: σ = 1 on pixel vectors makes every pair unrelated (codes no better
#   than chance); the median heuristic makes the codes approach the exact Euclidean ranking as bits grow.
# - Shift-invariant codes see only differences x − y; SimHash sees angles, which is better on raw
#   pixels and much worse after a common shift.
#
# ## Exercises
#
# 1. **Where does the curve bend?** With the explorer of section 3, find the bandwidth for which the
#    disagreement reaches half of 4/π² at r = 2. Derive it from the first term of the series.
#
#    <details><summary>Hint</summary>The m = 1 term dominates: P ≈ (8/(3π²))(1 − K(r)) + a smaller tail.
#    Solve numerically with `raginsky_disagreement_probability(σ, 2.0)` and a root finder
#    (`scipy.optimize.brentq`), then compare with the one-term approximation.</details>
#
# 2. **Bounds.** Prove the lower bound (4/π²)(1 − K) ≤ P using 1 − K(mΔ) ≥ 1 − K(Δ) for Schoenberg
#    kernels, and the upper bound ½√(1 − K) by Cauchy–Schwarz. Which one is tight for small distances?
#
#    <details><summary>Hint</summary>Σ_{m≥1} 1/(4m² − 1) = ½ (telescoping: 1/(4m² − 1) = ½[1/(2m − 1) −
#    1/(2m + 1)]). For Cauchy–Schwarz write P = ½ E|cos θ_x − cos θ_y| and compute E(cos θ_x − cos θ_y)².
#    For small r compare the orders in r² of the bounds and of the series.</details>
#
# 3. **Bandwidth sweep.** Plot mAP@k of 512-bit codes against σ on a log grid from 1 to 40. Where is
#    the optimum relative to the median heuristic? Why does too large a σ also hurt?
#
#    <details><summary>Hint</summary>`lshlab.evaluation.hasher_grid_search` with
#    `make_hasher=lambda s, seed: ShiftInvariantHash(512, kernel=s, random_state=seed)` and `score="map"`
#    does the loop; average over two or three seeds. For very large σ every pair has K ≈ 1: what is then
#    the disagreement probability of every pair, and how many bits would resolve it?</details>
#
# 4. **Mixture kernels.** Replace the Gaussian by `SchoenbergKernel([ξ₁, ξ₂], [0.5, 0.5])` with rates
#    a decade apart. What does the lemma curve look like? Does retrieval improve? (Lecture 05 learns
#    such a mixture from data.)
#
#    <details><summary>Hint</summary>Start from ξ = 1/(2σ²) of the median heuristic and take ξ/3 and 3ξ.
#    Plot `raginsky_disagreement_probability(kernel, r)` for the mixture and for the single Gaussian.</details>
#
# 5. **Centring.** `RandomHyperplaneHash(center=True)` subtracts the data mean. Does it recover from the
#    brightness shift of section 5? Is it now shift-invariant?
#
#    <details><summary>Hint</summary>Centring removes a *common* shift learned at `fit` time. Try a shift
#    applied to the queries only.</details>
#
# 6. **Sampling error.** For n bits, the normalised Hamming distance has standard deviation
#    √(p(1 − p)/n). How many bits separate two pairs whose disagreement probabilities differ by 0.01?
#
#    <details><summary>Hint</summary>Ask that the difference be two standard deviations of the difference
#    of two independent estimates, with p ≈ 0.3.</details>
#
# Worked solutions to exercises 1, 3 and 6: `notebooks/solutions/04_raginsky_codes_solutions.py`.
#
# **Further reading.** M. Raginsky & S. Lazebnik, *Locality-sensitive binary codes from shift-invariant
# kernels*, NIPS 2009. A. Rahimi & B. Recht, *Random features for large-scale kernel machines*, NIPS
# 2007. M. Charikar, *Similarity estimation techniques from rounding algorithms*, STOC 2002 (SimHash).
# I. J. Schoenberg, *Metric spaces and completely monotone functions*, Ann. Math. 1938.
