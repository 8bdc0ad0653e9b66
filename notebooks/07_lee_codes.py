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
# # Lecture 07 — Lee codes: hashing to larger alphabets Z_q
#
# A binary hash bit can only say "same side" or "other side". Khuzani, Ye, Napel & Xing ask in their
# lecture slides: *can we generalise hash functions to other alphabets?* A q-ary symbol can say *how
# far* around a circle of q positions two points landed, and the **Lee distance** measures exactly that.
# This lecture builds q-ary codes from random Fourier features, compares Lee distances with Euclidean
# distances on MNIST as q grows, and asks what the alphabet buys at equal storage.
#
# **Sources.** M. B. Khuzani, Y. Ye, S. Napel & L. Xing, "Locally sensitive hashing for the content
# based image retrieval", lecture slides, Stanford University, 2020 (the q-ary hash, their figure 15 and
# the collages of section 4); C. Y. Lee, "Some properties of nonbinary error-correcting codes", IRE
# Trans. Inf. Theory, 1958 (the Lee metric).
#
# ## What you will learn
#
# - **See**: the Lee distance on one symbol (a circle) next to the Hamming distance; normalised
#   histograms of one query's rescaled Lee and Euclidean distances to the MNIST database for q = 2, 20, 50
#   (with a q slider); rank correlation against q; retrieval collages (right and wrong answers) for exact
#   Euclidean search, 4,096-symbol Z₂ codes and 1,024-symbol Z₁₀ codes; precision–recall at equal
#   storage n·log₂q bits.
# - **Do**: encode with `LeeHash`, search with `LeeIndex`, check that q = 2 and q = 3 give Hamming,
#   measure the expected Lee distance of one symbol for even and odd q, and see why the scale of
#   ⟨w, φ(x)⟩ — left unstated in the source — decides whether the code works.
# - **Learn**: h(x) = ⌈q(⟨w, φ(x)⟩/s + t)⌉ mod q is a dithered quantiser wrapped on a circle; the
#   expected Lee distance of a symbol is min(q·d_○(Δ), ⌊q/2⌋) of the projected difference Δ — a triangle
#   wave for even q, flattened at (q − 1)/2 for odd q; larger q means less quantisation noise per symbol
#   but more bits per symbol.
# - **Need**: lecture 04 (random Fourier features, Raginsky codes, median-heuristic bandwidth).
#
# **Run time**: under a minute at full size on a 2-core machine (25 s measured on a busy one), less at the
# small size.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from scipy.stats import spearmanr

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix, hamming_distance_matrix, lee_distance_matrix
from lshlab.evaluation import code_distances, encode_pair, mixed_result_queries, score_codes
from lshlab.hashing import LeeHash, ShiftInvariantHash
from lshlab.hashing.lee import expected_lee_distance, lee_quantize
from lshlab.kernels import median_heuristic_bandwidth
from lshlab.metrics import mean_average_precision, precision_recall_curve_retrieval, relevance_from_labels
from lshlab.search import HammingIndex, LeeIndex, brute_force_knn
from lshlab.widgets import lee_explorer, prepare_lee, update_lee

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %% [markdown]
# One parameter cell: full size by default; `LSHLAB_SIZE=small` (CI) shrinks it; `LSHLAB_<NAME>=…`
# overrides one value.

# %%
SEED = 0
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=300, small=100)
AT_K = param("AT_K", full=1000, small=200)          # mAP@k cut-off
N_SYMBOLS = param("N_SYMBOLS", full=256, small=256)  # symbols per code in sections 3–4
N_COMPONENTS = param("N_COMPONENTS", full=1024, small=512)  # random Fourier features N₀
N_RHO_QUERIES = param("N_RHO_QUERIES", full=50, small=20)

# %% [markdown]
# ## 1. From bits to symbols: the Lee distance
#
# Codewords are strings in Z_qⁿ. The Lee distance adds, symbol by symbol, the shorter way around the
# circle of q positions: d_Lee(a, b) = Σ_i min(|a_i − b_i|, q − |a_i − b_i|). For q = 2 and q = 3 the
# shorter way is always 0 or 1 step, so Lee = Hamming; from q = 4 on, neighbours on the circle are
# closer than opposite symbols.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
plots.plot_lee_symbol_distance(3, ax=axes[0], title="Z_3: Lee = Hamming")
plots.plot_lee_symbol_distance(10, ax=axes[1], title="Z_10: Lee sees the circle");

# %%
rng = np.random.default_rng(SEED)
for q in (2, 3):
    A, B = rng.integers(0, q, size=(20, 64)), rng.integers(0, q, size=(30, 64))
    assert np.array_equal(lee_distance_matrix(A, B, q=q), (A[:, None] != B[None]).sum(axis=2))
assert np.array_equal(lee_distance_matrix(A % 2, B % 2, q=2), hamming_distance_matrix(A % 2, B % 2))
A, B = rng.integers(0, 10, size=(20, 64)), rng.integers(0, 10, size=(30, 64))
assert not np.array_equal(lee_distance_matrix(A, B, q=10), (A[:, None] != B[None]).sum(axis=2))  # q = 10: not Hamming
print("q = 2, 3: Lee distance = number of differing symbols (Hamming); q = 10: it is not.")

# %% [markdown]
# ## 2. The code and its scale
#
# Khuzani et al. propose "h_{t,w}(x) = ⌈q(⟨w, φ_{N₀}(x)⟩ + t)⌉ mod q, where w ~ N(0, I_{N₀×N₀}),
# t ~ Uniform[0, 1], and φ_{N₀}(x) = (cos(⟨ω_k, x⟩ + b_k))_{1≤k≤N₀}". Read it as a **dithered quantiser
# on a circle**: z = ⟨w, φ(x)⟩ is cut into steps of width 1/q, and the step index is taken mod q. Section
# 2b works out the expected Lee distance of one symbol; first, the scale.
#
# The source does not say how large ⟨w, φ⟩ is. `LeeHash` uses φ(x) = √(2/N₀)(cos(ω_kᵀx + b_k))_k, so
# ⟨φ(x), φ(y)⟩ ≈ K(x − y) and Var[z(x) − z(y)] ≈ 2(1 − K), and divides by a **scale s** (the period):
# h(x) = ⌈q(⟨w, φ(x)⟩/s + t)⌉ mod q. `scale="auto"` takes s = 2 × the 99th percentile of |Δz| over
# random pairs of the training data, so almost no pair wraps around. The source's literal form has no
# √(2/N₀) and no s, i.e. `scale=√(2/N₀)`: then Δz has a spread of order √N₀ ≫ 1 period and every symbol
# is a uniform random number. Compare on MNIST (Spearman ρ of Lee vs Euclidean distance for a few queries):

# %%
data = load_dataset("mnist", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED, pool="test")
X_db, y_db, X_q, y_q = data.X_train, data.y_train, data.X_query, data.y_query
relevant = relevance_from_labels(y_q, y_db)
sigma = median_heuristic_bandwidth(X_db, random_state=SEED)
E_rho = euclidean_distance_matrix(X_q[:N_RHO_QUERIES], X_db)


def mean_spearman(D, E):  # mean over queries of the rank correlation between two distance rows
    return float(np.mean([spearmanr(d, e)[0] for d, e in zip(D, E)]))


lee_q = LeeHash(N_SYMBOLS, q=20, n_components=N_COMPONENTS, kernel=sigma, random_state=SEED).fit(X_db)
s_auto = lee_q.scale_
scales = {"literal form √(2/N₀)": np.sqrt(2 / N_COMPONENTS), "s_auto / 4": s_auto / 4,
          "s_auto": s_auto, "4 · s_auto": 4 * s_auto}
rho_scale = {}
for name, s in scales.items():
    codes = encode_pair(LeeHash(N_SYMBOLS, q=20, n_components=N_COMPONENTS, kernel=sigma, scale=s, random_state=SEED),
                        X_db, X_q[:N_RHO_QUERIES])
    rho_scale[name] = mean_spearman(code_distances(codes), E_rho)
    print(f"{name:24s} s = {s:7.4f}   Spearman ρ(Lee, Euclidean) = {rho_scale[name]:.3f}")

# %%
display(Markdown(
    f"**What the numbers say.** Taken literally the code is noise (ρ = {rho_scale['literal form √(2/N₀)']:.3f}); "
    f"with the automatic period ρ = {rho_scale['s_auto']:.3f}; a period 4× too short wraps pairs around the "
    f"circle (ρ = {rho_scale['s_auto / 4']:.3f}), one 4× too long wastes the alphabet "
    f"(ρ = {rho_scale['4 · s_auto']:.3f})."))
assert abs(rho_scale["literal form √(2/N₀)"]) < 0.1      # the literal form is noise
assert rho_scale["s_auto"] > 0.6                          # the normalised code tracks Euclidean distance
assert rho_scale["s_auto"] > rho_scale["s_auto / 4"]      # too small a period wraps around

# %% [markdown]
# ### 2b. The expected Lee distance of one symbol — even and odd q
#
# Fix one symbol and two inputs, and let Δ = u(x) − u(y) be the difference of their dithered projections
# u = ⟨w, φ⟩/s + t in units of the period (the dither t is shared, so Δ does not depend on it). Write
# q|Δ| = n + f with n an integer and 0 ≤ f < 1. Because q·t spans q whole steps, the position of q·u(y)
# inside its step is uniform, so the two step indices differ by n + 1 with probability f and by n
# otherwise. The Lee distance of two symbols whose indices differ by k is L(k) = min(k mod q, q − k mod q),
# hence
#
# **E_t[d_Lee] = (1 − f) L(n) + f L(n + 1)**: the piecewise-linear interpolation of L between integers.
#
# L rises by one per step up to ⌊q/2⌋. For **even q** the peak q/2 is reached at one integer, and the
# interpolation is the triangle wave q · d_○(Δ) (d_○ = distance to the nearest integer), peak q/2. For
# **odd q** the two middle integers (q − 1)/2 and (q + 1)/2 have the same L = (q − 1)/2, so the
# interpolation is flat between them: the peak is **flattened to (q − 1)/2**. Both cases:
# E[d_Lee] = min(q · d_○(Δ), ⌊q/2⌋) (`lshlab.hashing.lee.expected_lee_distance`). The common statement
# "the expected Lee distance per symbol is q · d_○(Δ)" holds for even q only; for q = 3 the formula gives
# P[symbols differ] = min(3 d_○(Δ), 1), consistent with Lee = Hamming for q = 3.
#
# Measured on MNIST: for one query against the database, every (image, symbol) pair gives a Δ and a Lee
# distance; we average the Lee distances in bins of d_○(Δ), for q = 4 and q = 5.

# %%
u_one = lee_q.project(X_q[:1]).astype(np.float64)          # (1, N_SYMBOLS): u = ⟨w, φ⟩/s + t
u_all = lee_q.project(X_db).astype(np.float64)             # (n_db, N_SYMBOLS)
delta = u_all - u_one
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
measured_peak = {}
for ax, q in zip(axes, (4, 5)):
    sym = lee_quantize(np.vstack([u_one, u_all]), q).astype(int)
    diff = np.abs(sym[1:] - sym[:1])
    lee_sym = np.minimum(diff, q - diff)
    plots.plot_expected_lee_distance(delta, lee_sym, q, ax=ax)
    frac = np.abs(delta) % 1
    near_peak = np.minimum(frac, 1 - frac) > 0.45                # d_○(Δ) in (0.45, 0.5]
    measured_peak[q] = (lee_sym[near_peak].mean(), lee_sym[near_peak].std() / np.sqrt(near_peak.sum()))
    print(f"q = {q}: mean Lee per symbol for d_○(Δ) > 0.45: {measured_peak[q][0]:.3f} ± {measured_peak[q][1]:.3f}")

# %%
frac = np.abs(delta) % 1
d_near = np.minimum(frac, 1 - frac)[near_peak]
predicted = {q: expected_lee_distance(d_near, q).mean() for q in (4, 5)}
triangle5 = (5 * d_near).mean()
display(Markdown(
    f"**What the numbers say.** For d_○(Δ) in (0.45, 0.5] the measured mean Lee distance is "
    f"{measured_peak[4][0]:.3f} ± {measured_peak[4][1]:.3f} for q = 4 (formula {predicted[4]:.3f}, on the "
    f"triangle) and {measured_peak[5][0]:.3f} ± {measured_peak[5][1]:.3f} for q = 5 (formula {predicted[5]:.3f}, "
    f"flat at (q − 1)/2 = 2), where the even-q triangle 5·d_○ would give {triangle5:.3f}. Both q match "
    "min(q·d_○(Δ), ⌊q/2⌋); the triangle is wrong for odd q."))
for q in (4, 5):  # the formula's mean over the peak bin, within 4 standard errors
    assert abs(measured_peak[q][0] - predicted[q]) < 4 * measured_peak[q][1] + 0.01, (q, measured_peak[q])
assert measured_peak[5][0] < triangle5 - 10 * measured_peak[5][1]  # odd q: not the triangle

# %% [markdown]
# ## 3. One query against the database, q = 2, 20, 50
#
# Khuzani et al.'s figure 15: for one query, the normalised histogram of its (rescaled: divided by the
# maximum) Lee distances to every database image, against the histogram of its rescaled Euclidean
# distances (top row); below, the same distances item by item. The projections
# u = ⟨w, φ⟩/s + t do not depend on q, so we project once and only re-quantise for each q.

# %%
one = prepare_lee(X_db, X_q[0], n_hashes=N_SYMBOLS, n_components=N_COMPONENTS, kernel=sigma, random_state=SEED)
fig, axes = plt.subplots(2, 3, figsize=(11, 7.4), layout="constrained")
rho_one = {}
for j, q in enumerate((2, 20, 50)):
    res_q = update_lee(one, q=q)
    rho_one[q] = res_q.rho
    plots.plot_lee_euclidean_histograms(res_q.lee, res_q.eucl, q, ax=axes[0, j], rho=res_q.rho)
    plots.plot_lee_vs_euclidean(res_q.lee, res_q.eucl, q, res_q.n_symbols, ax=axes[1, j])
    if j:
        axes[0, j].set_ylabel("")
        axes[1, j].set_ylabel("")
    axes[0, j].set_xlabel("distance / its maximum")

# %% [markdown]
# With q = 2 each symbol is one bit and the Lee (= Hamming) distance is a noisy count; with q = 20 or 50
# every symbol reports a graded distance, the cloud of (Euclidean, Lee) pairs tightens around a curve
# and the Spearman ρ rises (the values for this query are printed below). Rank correlation against q,
# averaged over several queries, at a fixed number of symbols:

# %%
u_q = lee_q.project(X_q[:N_RHO_QUERIES])
u_db = lee_q.project(X_db)
Q_GRID = (2, 3, 4, 6, 10, 20, 50, 100)
rho_q = {q: mean_spearman(lee_distance_matrix(lee_quantize(u_q, q), lee_quantize(u_db, q), q=q), E_rho) for q in Q_GRID}
plots.plot_rank_correlation_vs_q(list(rho_q), list(rho_q.values()),
                                 label=f"{N_SYMBOLS} symbols, mean over {N_RHO_QUERIES} queries");
print("one query:", {q: round(r, 3) for q, r in rho_one.items()})
print(f"mean over {N_RHO_QUERIES} queries:", {q: round(r, 3) for q, r in rho_q.items()})

# %%
best_q = max(rho_q, key=rho_q.get)
display(Markdown(
    f"**What the numbers say.** At {N_SYMBOLS} symbols the rank correlation rises from {rho_q[2]:.3f} (q = 2) "
    f"to {rho_q[20]:.3f} (q = 20); the best q of the grid is {best_q} (ρ = {rho_q[best_q]:.3f}). "
    "Per symbol, a larger alphabet reports a finer graded distance; the gain levels off once the "
    "quantisation step s/q is small against the spread of the projections."))
assert rho_q[20] > rho_q[2] + 0.05     # larger alphabets rank like Euclidean distance much better
assert rho_q[3] <= rho_q[20]

# %% [markdown]
# Move q yourself (one query, the whole database; each move re-quantises and recomputes 10⁴ Lee distances):

# %%
explorer = lee_explorer(X_db, X_q[0], q=20, q_range=(2, 64), n_hashes=N_SYMBOLS, n_components=N_COMPONENTS,
                        kernel=sigma, random_state=SEED)
display(explorer)

# %% [markdown]
# ## 4. Retrieval collages: Euclidean, 4,096-symbol Z₂, 1,024-symbol Z₁₀
#
# The comparison of Khuzani et al.'s last MNIST slide. Each row: a query (left) and its nearest database
# images; wrong digits faded with a red frame. Z₂ codes are searched with `HammingIndex`, Z₁₀ codes with
# `LeeIndex`. The rows are queries whose lists hold right and wrong answers in all three rankings
# (`mixed_result_queries`); the precision over all queries follows.

# %%
K_SHOW, N_ROWS = 8, 3
z2 = LeeHash(4096, q=2, n_components=N_COMPONENTS, kernel=sigma, random_state=SEED).fit(X_db)
z10 = LeeHash(1024, q=10, n_components=N_COMPONENTS, kernel=sigma, random_state=SEED).fit(X_db)
codes_z2 = (z2.transform(X_q), z2.transform(X_db))
codes_z10 = (z10.transform(X_q), z10.transform(X_db))
_, idx_e = brute_force_knn(X_db, X_q, K_SHOW)
_, idx_2 = HammingIndex(codes_z2[1]).search(codes_z2[0], K_SHOW)
_, idx_10 = LeeIndex(codes_z10[1], q=10).search(codes_z10[0], K_SHOW)
rows = mixed_result_queries(y_q, y_db, [idx_e, idx_2, idx_10], n=N_ROWS)
for idx, title in ((idx_e, "Euclidean distance (exact)"), (idx_2, "4,096-symbol Z₂ codes (Hamming)"),
                   (idx_10, "1,024-symbol Z₁₀ codes (Lee distance)")):
    plots.plot_retrieval_collage(X_q[rows], X_db, idx[rows], y_q[rows], y_db, n_show=N_ROWS, title=title)
plt.show()
prec = {name: float((y_db[idx] == y_q[:, None]).mean()) for name, idx in
        (("Euclidean", idx_e), ("Z2 4096", idx_2), ("Z10 1024", idx_10))}
print(f"precision@{K_SHOW} over all {len(y_q)} queries:", {k: round(v, 3) for k, v in prec.items()})

# %% [markdown]
# ## 5. What does the alphabet buy at equal storage?
#
# A Z_q symbol costs log₂ q bits. At a fixed budget of B bits, compare binary Raginsky codes (B bits,
# Hamming) with Lee codes of n = B / log₂ q symbols for several q (mAP@k, relevant = same digit).

# %%
BUDGET = 1024
rag = score_codes(encode_pair(ShiftInvariantHash(BUDGET, kernel=sigma, random_state=SEED), X_db, X_q), relevant,
                  at_k=AT_K, pr="depth", label="binary")
pr = {f"binary Raginsky, {BUDGET} bits": rag.pr}
m_ap = {"binary": rag.map}
for q in (4, 16, 256):
    n = int(BUDGET // np.log2(q))
    lee = encode_pair(LeeHash(n, q=q, n_components=N_COMPONENTS, kernel=sigma, random_state=SEED), X_db, X_q)
    scores = score_codes(lee, relevant, at_k=AT_K, pr="depth", label=f"q={q}")  # Lee distance, as lee.q = q
    m_ap[f"q={q}"] = scores.map
    pr[f"Lee q = {q}, {n} symbols"] = scores.pr
E = euclidean_distance_matrix(X_q, X_db)
pr["Euclidean (exact)"] = precision_recall_curve_retrieval(E, relevant, by="depth", label="Euclidean")
plots.plot_pr_curves(pr, title=f"Equal storage, {BUDGET} bits: binary vs Lee");
print({k: round(v, 3) for k, v in m_ap.items()}, f"Euclidean: {mean_average_precision(E, relevant, at_k=AT_K):.3f}")

# %%
m_ap_eucl = mean_average_precision(E, relevant, at_k=AT_K)
display(Markdown(
    f"**What the numbers say.** At {BUDGET} bits per code, mAP@{AT_K} is {m_ap['binary']:.3f} for binary "
    f"Raginsky codes, {m_ap['q=4']:.3f} for Z₄ ({BUDGET // 2} symbols), {m_ap['q=16']:.3f} for Z₁₆ "
    f"({BUDGET // 4} symbols) and {m_ap['q=256']:.3f} for Z₂₅₆ ({BUDGET // 8} symbols); exact Euclidean "
    f"ranking scores {m_ap_eucl:.3f}. A Z₄ symbol carries a graded distance but costs two bits: "
    f"the difference to binary codes ({m_ap['q=4'] - m_ap['binary']:+.3f}) is small. Very large q spends "
    "many bits per symbol and leaves too few independent projections. The gain of q > 2 is per *symbol* "
    "(section 3): useful when the number of projections, not the bit budget, is the limit — e.g. a fixed "
    "number of hash functions evaluated per query."))
assert abs(m_ap["q=4"] - m_ap["binary"]) < 0.06     # moderate alphabets cost about what they save
assert m_ap["q=256"] < m_ap["q=16"] + 0.02           # very large q: too few symbols per code

# %% [markdown]
# ## Key takeaways
#
# - The Lee distance adds the shorter way around a circle of q symbols; for q = 2, 3 it is the Hamming
#   distance.
# - The q-ary code ⌈q(⟨w, φ(x)⟩/s + t)⌉ mod q is a dithered quantiser wrapped on a circle; its period s
#   must match the spread of the projections (the source's literal form, without a scale, is noise).
# - Per symbol the expected Lee distance is min(q·d_○(Δ), ⌊q/2⌋): a triangle for even q, flattened at
#   (q − 1)/2 for odd q.
# - Larger q ranks more like Euclidean distance per symbol; at equal storage in bits the alphabet is
#   roughly a wash for moderate q and loses for very large q.
#
# ## Exercises
#
# 1. **Lee = Hamming for q ≤ 3.** Prove it. Then show that for q = 4 the map 0→00, 1→01, 2→11, 3→10
#    (a Gray code on the circle) turns Lee distance into Hamming distance exactly. Generalise: the
#    "cyclic thermometer" embedding used by `lee_distance_matrix`.
#
#    <details><summary>Hint</summary>For q ≤ 3 every pair of distinct symbols is one step apart around the
#    circle. For q = 4 check the 16 pairs; for general q, map symbol a to the q/2 bits
#    1[(a + j) mod q < q/2], j = 0 … q/2 − 1 (even q), and count the differing bits.</details>
#
# 2. **The period s.** For a near pair and a far pair of images, plot the mean Lee distance per symbol
#    against the scale s (log grid). Why do both curves approach the same value as s shrinks — q/4 for
#    even q, (q² − 1)/(4q) for odd q — and at which s are the two pairs told apart best?
#
#    <details><summary>Hint</summary>Fit `LeeHash(..., scale=s)` for s on a log grid around `s_auto` (the
#    random draws do not depend on s). For a fixed pair, Δᵢ = wᵢᵀ(φ(x) − φ(y))/s with wᵢ ~ N(0, I) is
#    Gaussian with standard deviation τ = ‖φ(x) − φ(y)‖/s; average `expected_lee_distance` over such Δ,
#    or use the Fourier series of the triangle wave.</details>
#
# 3. **Choose s yourself.** Replace `scale="auto"` by multiples of `s_auto` and plot the mAP@k; is the
#    auto rule near the optimum for q = 4? for q = 50?
#
#    <details><summary>Hint</summary>`lshlab.evaluation.hasher_grid_search` with
#    `make_hasher=lambda s, seed: LeeHash(256, q=4, n_components=N_COMPONENTS, kernel=sigma, scale=s,
#    random_state=seed)` and `score="map"`.</details>
#
# 4. **Features vs symbols.** With N₀ = 64 random Fourier features, do 4,096 symbols still help? What
#    limits the information in the code?
#
#    <details><summary>Hint</summary>Every symbol is a function of the same N₀ features: the code can never
#    carry more than what φ(x) ∈ ℝ^{N₀} knows about x.</details>
#
# 5. **A trained kernel.** Lecture 05 learns a Schoenberg mixture; pass it as `kernel=` to `LeeHash`
#    and repeat section 5.
#
#    <details><summary>Hint</summary>Train `LangevinKernelLearner` as in lecture 05 (0/1 target) and use
#    its `kernel_`; keep everything else of section 5.</details>
#
# Worked solutions to exercises 1 and 2: `notebooks/solutions/07_lee_codes_solutions.py`.
#
# **Further reading.** C. Y. Lee, *Some properties of nonbinary error-correcting codes*, IRE Trans.
# Inf. Theory 1958 (the Lee metric). M. Raginsky & S. Lazebnik, *Locality-sensitive binary codes from
# shift-invariant kernels*, NIPS 2009. M. Datar et al., *Locality-sensitive hashing based on p-stable
# distributions*, SoCG 2004 (integer codes from quantised projections).
