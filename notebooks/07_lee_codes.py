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
# A binary hash bit can only say "same side" or "other side". The slides ask: *can we generalise hash
# functions to other alphabets?* A q-ary symbol can say *how far* around a circle of q positions two
# points landed, and the **Lee distance** measures exactly that. This lecture builds q-ary codes from
# random Fourier features, compares Lee distances with Euclidean distances on MNIST as q grows, and asks
# what the alphabet buys at equal storage.
#
# ## What you will learn
#
# - **See**: the Lee distance on one symbol (a circle) next to the Hamming distance; normalised
#   histograms of one query's rescaled Lee and Euclidean distances to the MNIST database for q = 2, 20, 50
#   (with a q slider); rank correlation against q; retrieval collages for exact Euclidean search,
#   4,096-symbol Z₂ codes and 1,024-symbol Z₁₀ codes; precision–recall at equal storage n·log₂q bits.
# - **Do**: encode with `LeeHash`, search with `LeeIndex`, check that q = 2 and q = 3 give Hamming,
#   and see why the scale of ⟨w, φ(x)⟩ — left unstated in the slides — decides whether the code works.
# - **Learn**: h(x) = ⌈q(⟨w, φ(x)⟩/s + t)⌉ mod q is a dithered quantiser wrapped on a circle; the Lee
#   distance of a symbol is (in expectation) a triangle wave of the projected difference; larger q means
#   less quantisation noise per symbol but more bits per symbol.
# - **Need**: lecture 04 (random Fourier features, Raginsky codes, median-heuristic bandwidth).

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from scipy.stats import spearmanr

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix, hamming_distance_matrix, lee_distance_matrix
from lshlab.evaluation import code_distances, encode_pair, score_codes
from lshlab.hashing import LeeHash, ShiftInvariantHash
from lshlab.hashing.lee import lee_quantize
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
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
plots.plot_lee_symbol_distance(3, ax=axes[0])
plots.plot_lee_symbol_distance(10, ax=axes[1])
fig.tight_layout()

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
# The slides' q-ary hash is h(x) = ⌈q(⟨w, φ_{N₀}(x)⟩ + t)⌉ mod q with w ~ N(0, I), t ~ U[0, 1] and
# random Fourier features φ_{N₀}(x) = (cos(ω_kᵀx + b_k))_k. Read it as a **dithered quantiser on a
# circle**: z = ⟨w, φ(x)⟩ is cut into steps of width 1/q, and the step index is taken mod q. Over the
# random dither t, the expected Lee distance of one symbol is q · d_○(Δz), where d_○(u) is the distance of
# u to the nearest integer: it grows linearly with |Δz| up to half a period, then falls again.
#
# The slides do not say how large ⟨w, φ⟩ is. `LeeHash` uses φ(x) = √(2/N₀)(cos(ω_kᵀx + b_k))_k, so
# ⟨φ(x), φ(y)⟩ ≈ K(x − y) and Var[z(x) − z(y)] ≈ 2(1 − K), and divides by a **scale s** (the period):
# h(x) = ⌈q(⟨w, φ(x)⟩/s + t)⌉ mod q. `scale="auto"` takes s = 2 × the 99th percentile of |Δz| over
# random pairs of the training data, so almost no pair wraps around. The slides' literal form has no
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
scales = {"raw seed form √(2/N₀)": np.sqrt(2 / N_COMPONENTS), "s_auto / 4": s_auto / 4,
          "s_auto": s_auto, "4 · s_auto": 4 * s_auto}
rho_scale = {}
for name, s in scales.items():
    codes = encode_pair(LeeHash(N_SYMBOLS, q=20, n_components=N_COMPONENTS, kernel=sigma, scale=s, random_state=SEED),
                        X_db, X_q[:N_RHO_QUERIES])
    rho_scale[name] = mean_spearman(code_distances(codes), E_rho)
    print(f"{name:24s} s = {s:7.4f}   Spearman ρ(Lee, Euclidean) = {rho_scale[name]:.3f}")

# %%
assert abs(rho_scale["raw seed form √(2/N₀)"]) < 0.1     # the literal seed form is noise
assert rho_scale["s_auto"] > 0.6                          # the normalised code tracks Euclidean distance
assert rho_scale["s_auto"] > rho_scale["s_auto / 4"]      # too small a period wraps around

# %% [markdown]
# ## 3. One query against the database, q = 2, 20, 50
#
# The slides' Figure 15: for one query, the normalised histogram of its (rescaled: divided by the
# maximum) Lee distances to every database image, against the histogram of its rescaled Euclidean
# distances (top row); below, the same distances item by item. The projections
# u = ⟨w, φ⟩/s + t do not depend on q, so we project once and only re-quantise for each q.

# %%
one = prepare_lee(X_db, X_q[0], n_hashes=N_SYMBOLS, n_components=N_COMPONENTS, kernel=sigma, random_state=SEED)
fig, axes = plt.subplots(2, 3, figsize=(16, 8.4))
for j, q in enumerate((2, 20, 50)):
    res_q = update_lee(one, q=q)
    plots.plot_lee_euclidean_histograms(res_q.lee, res_q.eucl, q, ax=axes[0, j], rho=res_q.rho)
    plots.plot_lee_vs_euclidean(res_q.lee, res_q.eucl, q, res_q.n_symbols, ax=axes[1, j])
fig.tight_layout()

# %% [markdown]
# With q = 2 each symbol is one bit and the Lee (= Hamming) distance is a noisy count; with q = 20 or 50
# every symbol reports a graded distance, the cloud of (Euclidean, Lee) pairs tightens around a curve
# and the Spearman ρ rises. Rank correlation against q, averaged over several queries, at a fixed number of symbols:

# %%
u_q = lee_q.project(X_q[:N_RHO_QUERIES])
u_db = lee_q.project(X_db)
Q_GRID = (2, 3, 4, 6, 10, 20, 50, 100)
rho_q = {q: mean_spearman(lee_distance_matrix(lee_quantize(u_q, q), lee_quantize(u_db, q), q=q), E_rho) for q in Q_GRID}
plots.plot_rank_correlation_vs_q(list(rho_q), list(rho_q.values()), label=f"{N_SYMBOLS} symbols, mean over {N_RHO_QUERIES} queries")
print({q: round(r, 3) for q, r in rho_q.items()})

# %%
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
# The slides' comparison. Each row: a query (left) and its nearest database images; wrong digits greyed.
# Z₂ codes are searched with `HammingIndex`, Z₁₀ codes with `LeeIndex`.

# %%
K_SHOW, N_ROWS = 12, 3
z2 = LeeHash(4096, q=2, n_components=N_COMPONENTS, kernel=sigma, random_state=SEED).fit(X_db)
z10 = LeeHash(1024, q=10, n_components=N_COMPONENTS, kernel=sigma, random_state=SEED).fit(X_db)
codes_z2 = (z2.transform(X_q), z2.transform(X_db))
codes_z10 = (z10.transform(X_q), z10.transform(X_db))
_, idx_e = brute_force_knn(X_db, X_q[:N_ROWS], K_SHOW)
_, idx_2 = HammingIndex(codes_z2[1]).search(codes_z2[0][:N_ROWS], K_SHOW)
_, idx_10 = LeeIndex(codes_z10[1], q=10).search(codes_z10[0][:N_ROWS], K_SHOW)
for idx, title in ((idx_e, "Euclidean distance (exact)"), (idx_2, "4,096-symbol Z₂ codes (Hamming)"),
                   (idx_10, "1,024-symbol Z₁₀ codes (Lee distance)")):
    plots.plot_retrieval_collage(X_q[:N_ROWS], X_db, idx, y_q[:N_ROWS], y_db, n_show=N_ROWS, title=title)

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
plots.plot_pr_curves(pr, title=f"Equal storage ({BUDGET} bits per code): binary vs Lee codes")
print({k: round(v, 3) for k, v in m_ap.items()}, f"Euclidean: {mean_average_precision(E, relevant, at_k=AT_K):.3f}")

# %%
assert abs(m_ap["q=4"] - m_ap["binary"]) < 0.06     # moderate alphabets cost about what they save
assert m_ap["q=256"] < m_ap["q=16"] + 0.02           # very large q: too few symbols per code

# %% [markdown]
# At equal storage the alphabet is roughly a wash for moderate q: a Z₄ symbol carries a graded distance
# but costs two bits. Very large q spends many bits per symbol and leaves too few independent
# projections. The gain of q > 2 is per *symbol* (section 3): useful when the number of projections,
# not the bit budget, is the limit — e.g. a fixed number of hash functions evaluated per query.
#
# ## Exercises
#
# 1. **Lee = Hamming for q ≤ 3.** Prove it. Then show that for q = 4 the map 0→00, 1→01, 2→11, 3→10
#    (a Gray code on the circle) turns Lee distance into Hamming distance exactly. Generalise: the
#    "cyclic thermometer" embedding used by `lee_distance_matrix`.
# 2. **The triangle wave.** For one pair of images, plot the mean Lee distance per symbol against the
#    scale s (log grid). Where does it peak, and why does it fall again?
# 3. **Choose s yourself.** Replace `scale="auto"` by multiples of `s_auto` and plot the mAP@k; is the
#    auto rule near the optimum for q = 4? for q = 50?
# 4. **Features vs symbols.** With N₀ = 64 random Fourier features, do 4,096 symbols still help? What
#    limits the information in the code?
# 5. **A trained kernel.** Lecture 05 learns a Schoenberg mixture; pass it as `kernel=` to `LeeHash`
#    and repeat section 5.
#
# **Further reading.** C. Y. Lee, *Some properties of nonbinary error-correcting codes*, IRE Trans.
# Inf. Theory 1958 (the Lee metric). M. Raginsky & S. Lazebnik, *Locality-sensitive binary codes from
# shift-invariant kernels*, NIPS 2009. M. Datar et al., *Locality-sensitive hashing based on p-stable
# distributions*, SoCG 2004 (integer codes from quantised projections).
