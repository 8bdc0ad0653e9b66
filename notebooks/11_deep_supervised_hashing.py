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
# # Lecture 11 — Deep supervised hashing vs multi-table LSH on Fashion-MNIST
#
# A hash function that *knows nothing* about the data (random hyperplanes on hand-made HOG features,
# several hash tables) against one that is *trained with the labels*: Deep Supervised Hashing (DSH;
# H. Liu, R. Wang, S. Shan & X. Chen, "Deep supervised hashing for fast image retrieval", CVPR 2016).
# The comparison follows a course project that reproduced that paper on Fashion-MNIST (H. Le-Nhat and
# T.-D. Mai, "Hashing method for image retrieval", University of Information Technology, VNU-HCM): code
# lengths of 8, 12 and 16 bits, LSH with 8 and 16 tables, mAP@10. We call it "the source" below.
#
# **Running time.** At full size about 6 CPU-minutes, most of it in two parallel worker processes — so
# 3 to 4 minutes on an idle 2-core CPU (11 minutes measured on one busy with other work) — nearly all
# training 12 small networks and encoding the database with them (progress bars count the models). The first run trains them; later runs load them from
# `data/cache/dsh/` and take about a minute. Other programs busy on the same CPU make it several times
# slower. `LSHLAB_SIZE=small` needs about a tenth of the work.

# %% [markdown]
# ## What you will learn
#
# - **See** what HOG features describe (edge directions per cell) and how multi-table LSH turns them into
#   bucket candidates; check the candidate rate against the AND/OR formula 1 − (1 − p^K)^L.
# - **Understand** the DSH loss term by term: a pull for similar pairs, a hinge push beyond a margin for
#   dissimilar pairs, and a regulariser that drags every real output towards ±1 so that taking signs
#   loses little.
# - **Do**: train DSH three times per code length, fill the source's mAP@10 table, and test its central
#   claim — "DSH beats LSH at every code length" — with paired differences and their spread, under two
#   protocols: the source's (LSH candidates re-ranked by exact HOG distance) and like with like (both
#   rank the whole database by the Hamming distance of K-bit codes). Then precision–recall curves,
#   retrieval collages and a bits slider.
# - **Need**: lectures 01–02 (Hamming ranking, mAP, ties) and a little PyTorch vocabulary.
#
# How mAP@10 is computed: AP@10 = (1/R₁₀) Σ_{i≤10} P@i · rel_i, with R₁₀ the relevant (same-class) items
# among the top 10. A ranking by Hamming distance has huge groups of equal distance; they are averaged over
# random orders (`ties="average"`, lecture 02), so no score depends on how the database happens to be stored.

# %%
import time

from lshlab.config import param

T_START = time.perf_counter()
SEED = 0
N_DATABASE = param("N_DATABASE", full=20000, small=3000)  # database: Fashion-MNIST training images
N_QUERY = param("N_QUERY", full=2000, small=300)  # queries: test images
N_TRAIN_DSH = param("N_TRAIN_DSH", full=10000, small=2000)  # database images DSH is trained on
N_VAL = param("N_VAL", full=1000, small=300)  # database images held out of training (validation mAP per epoch)
EPOCHS = param("EPOCHS", full=2, small=2)  # passes over the training images (the source: 20)
DSH_SEEDS = [0, 1, 2]  # three trainings per code length measure the seed-to-seed spread
N_PR_QUERIES = param("N_PR_QUERIES", full=500, small=200)
N_THREADS = param("N_THREADS", full=1)  # torch threads in this process (one is fastest on a busy 2-core CPU)
N_JOBS = param("N_JOBS", full=2, small=2)  # worker processes that train the DSH models, one thread each
DSH_PARAMS = dict(learning_rate=0.001, batch_size=50, batch_norm=True)  # chosen on a validation split (benchmark)
BITS = [8, 12, 16]
TABLES = [8, 16]
ALPHAS = [0.005, 0.01]

# %%
import numpy as np
from IPython.display import Markdown, display
from tqdm.auto import tqdm

from lshlab.evaluation import paired_comparison, restrict_to_candidates
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.evaluation import CodePair, encode_pair, score_codes, score_search_results
from lshlab.features import hog_features
from lshlab.hashing import RandomHyperplaneHash
from lshlab.hashing.dsh_cache import encode_many, find_cached, fit_or_load_many, train_validation_split
from lshlab.hashing.dsh_network import dsh_loss
from lshlab.hashing.random_projection import amplified_collision_probability, simhash_collision_probability
from lshlab.metrics import precision_recall_curve_retrieval, relevance_from_labels
from lshlab.plots import (
    plot_candidate_counts, plot_dsh_loss_terms, plot_dsh_training_curves, plot_hog_gallery, plot_map_table,
    plot_pr_curves, plot_retrieval_comparison, set_style,
)
from lshlab.search import HammingIndex, HashTables, brute_force_knn
from lshlab.widgets import dsh_explorer

set_style()
data = load_dataset("fashion-mnist", pool="official", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
X_db, y_db, X_q, y_q = data.X_train, data.y_train, data.X_query, data.y_query
data

# %% [markdown]
# ## 1. HOG features
#
# Histograms of oriented gradients (N. Dalal & B. Triggs, "Histograms of oriented gradients for human
# detection", CVPR 2005): every 4 × 4-pixel cell votes its gradient magnitudes into 9 orientation bins,
# and each 2 × 2 block of cells is contrast-normalised. On 28 × 28 images that is
# 6 · 6 blocks · 4 cells · 9 bins = 1,296 numbers. The bottom row draws the dominant edge directions.

# %%
pick = [int(np.flatnonzero(y_db == c)[0]) for c in range(0, 10, 2)]
plot_hog_gallery(X_db[pick], y_db[pick], data.classes);

# %%
H_db, H_q = hog_features(X_db), hog_features(X_q)
assert H_db.shape[1] == 6 * 6 * 2 * 2 * 9 == 1296 and H_db.dtype == np.float32
H_db.shape

# %% [markdown]
# ## 2. Hash tables and their candidates
#
# One table = K random hyperplanes through the mean of the HOG vectors (SimHash; M. Charikar,
# "Similarity estimation techniques from rounding algorithms", STOC 2002): an image goes to the bucket
# named by its K sign bits. A query looks at its own bucket in each of L independent tables and re-ranks
# the union (the *candidates*) by exact Euclidean distance between HOG vectors. More bits per table →
# smaller buckets (AND); more tables → more chances (OR). The exact search over the whole database
# (no hashing at all) is the reference that re-ranked LSH can at best reach.

# %%
tables, counts, lsh = {}, {}, {}
for L, K in tqdm([(L, K) for L in TABLES for K in BITS], desc="LSH settings (L tables × K bits)"):
    t = HashTables(lambda s, K=K: RandomHyperplaneHash(n_bits=K, center=True, random_state=s),
                   n_tables=L, random_state=SEED).fit(H_db)
    lsh[L, K] = score_search_results(*t.search(H_q, 10), labels=(y_q, y_db))  # top 10 after re-ranking
    counts[f"L={L}, K={K}"] = t.last_n_candidates_.copy()
    tables[L, K] = t
exact = score_search_results(*brute_force_knn(H_db, H_q, 10), labels=(y_q, y_db))
plot_candidate_counts(counts);

# %% [markdown]
# Theory check: a hyperplane separates two vectors at angle θ with probability θ/π, so the exact nearest
# HOG neighbour of a query shares at least one bucket with probability 1 − (1 − (1 − θ/π)^K)^L. Averaged
# over the queries, the prediction should match the measured rate, within the binomial standard error of
# a rate measured on 500 queries (plus 0.02 for the one draw of hyperplanes all queries share).

# %%
Hq_t = H_q[:500]
_, nn = brute_force_knn(H_db, Hq_t, 1)
mean = tables[16, 16].hashers_[0].mean_
a, b = Hq_t - mean, H_db[nn[:, 0]] - mean
theta = np.arccos(np.clip((a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1), -1, 1))
for L, K in [(8, 12), (16, 16)]:
    predicted = amplified_collision_probability(simhash_collision_probability(theta), K, L).mean()
    hit = np.array([nn[i, 0] in c for i, c in enumerate(tables[L, K].candidates(Hq_t))])
    se = np.sqrt(hit.mean() * (1 - hit.mean()) / len(hit))
    print(f"L={L:2d}, K={K}: predicted {predicted:.3f}, measured {hit.mean():.3f} (s.e. {se:.3f})")
    assert abs(predicted - hit.mean()) < 4 * se + 0.02

# %% [markdown]
# ## 3. The DSH loss, term by term
#
# For two real network outputs b₁, b₂ ∈ ℝᵏ with y = 0 (same class) or y = 1 (different classes), Liu et
# al.'s loss (their eq. 5) is
#
# L = ½(1 − y)‖b₁ − b₂‖² + ½ y max(m − ‖b₁ − b₂‖², 0) + α(‖|b₁| − 1‖₁ + ‖|b₂| − 1‖₁), m = 2k.
#
# The first term pulls similar pairs together, the second pushes dissimilar pairs apart *until* the
# margin (for ±1 codes ‖b₁ − b₂‖² = 4 · Hamming, so up to Hamming distance k/2), and the regulariser is
# zero exactly at ±1 — its subgradient points towards the nearest binary value. Training uses all pairs of
# each mini-batch of 50 images (1,225 pairs).

# %%
plot_dsh_loss_terms(n_bits=12, alpha=0.01);

# %%
import torch

b = torch.tensor([[1.0, -1.0, 1.0], [1.0, 1.0, 1.0]])  # two ±1 codes at Hamming distance 1
total, pair, reg = dsh_loss(b, torch.tensor([0, 0]), margin=6.0, alpha=0.01)
assert reg.item() == 0 and pair.item() == 0.5 * 4  # regulariser vanishes on ±1; ½‖b₁−b₂‖² = ½·4·Hamming
total, pair, reg = dsh_loss(b, torch.tensor([0, 1]), margin=6.0, alpha=0.01)
assert pair.item() == 0.5 * (6 - 4)  # dissimilar: ½ max(m − 4, 0)

# %% [markdown]
# ## 4. Training DSH
#
# The network is the paper's: three 5 × 5 convolutions (32, 32, 64 channels) with pooling, a 500-unit
# layer and k outputs — plus batch normalisation after each convolution, which the paper does not have:
# without it, short CPU trainings collapse to nearly constant codes (try `batch_norm=False`).
#
# **What this lecture trains.** `N_TRAIN_DSH` database images for `EPOCHS` epochs, α = 0.005 with three
# seeds per code length and α = 0.01 with one: 12 models, `N_JOBS` at a time, each in its own
# single-threaded worker process. That is a short training, chosen so that the lecture runs in
# minutes. `N_VAL` held-out database images give a validation mAP@10 after every epoch. Trained models are
# cached in `data/cache/dsh/`, so a second run trains nothing and every line below then says "cached".
# The full protocol — 55,000 training images, 3 epochs, all 60,000 training images as the database and
# all 10,000 test images as queries — is `benchmarks/fashion_map.py`; section 10 scores its models when
# they are in the cache.

# %%
tr, va = train_validation_split(len(X_db), N_VAL, SEED)
tr = tr[:N_TRAIN_DSH]
grid = [dict(n_bits=K, alpha=ALPHAS[0], random_state=s) for K in BITS for s in DSH_SEEDS]
grid += [dict(n_bits=K, alpha=ALPHAS[1], random_state=SEED) for K in BITS]
fits = fit_or_load_many(X_db[tr], y_db[tr], [dict(p, max_iter=EPOCHS, n_jobs=N_THREADS, progress=False, **DSH_PARAMS)
                                             for p in grid], n_jobs=N_JOBS, validation=(X_db[va], y_db[va]))
models = {(p["alpha"], p["n_bits"], p["random_state"]): m for p, (m, _) in zip(grid, fits)}
for (alpha, K, s), (m, cached) in zip(models, fits):
    print(f"α={alpha:g}, {K:2d} bits, seed {s}: {'cached (reused)' if cached else 'trained now'}, training took "
          f"{sum(h['seconds'] for h in m.loss_history_):.0f} s on {len(tr)} images")

# %%
plot_dsh_training_curves({f"α={a:g}, {K} bits": m.loss_history_ for (a, K, s), m in models.items() if s == SEED});

# %%
m16 = models[ALPHAS[0], 16, SEED]
B = m16.embed(X_q)
assert np.array_equal(m16.transform(X_q), (B > 0).astype(np.uint8))  # bit = 1 ⇔ output > 0
assert all(m.loss_history_[-1]["loss"] < m.loss_history_[0]["loss"] for m in models.values())
print(f"fraction of outputs within 0.2 of ±1: {np.mean(np.abs(np.abs(B) - 1) < 0.2):.2f}")

# %% [markdown]
# ## 5. The source's mAP@10 table
#
# Every row ranks the same `N_QUERY` test queries against the same database:
#
# - **LSH, L tables, re-ranked** — the source's LSH: candidates from the L buckets, ranked by exact HOG
#   distance;
# - **SimHash, Hamming** — one K-bit SimHash code of the HOG vector, the whole database ranked by Hamming
#   distance: the same protocol as DSH, with untrained hyperplanes (mean of three seeds);
# - **DSH** — K-bit DSH codes, the whole database ranked by Hamming distance (α = 0.005: mean of three
#   seeds);
# - **exact HOG** — the 10 nearest HOG vectors of the whole database, no hashing.
#
# The source's values are in brackets. (The source's list of hyper-parameters gives α ∈ {0.005, 0.1}; its
# table has rows for 0.005 and 0.01, which we follow — see `notebooks/errata.md`.)

# %%
both = encode_many(models.values(), np.concatenate([X_db, X_q]), n_jobs=N_JOBS)  # one worker process per model
codes = {key: CodePair(query=c[len(X_db):], db=c[:len(X_db)]) for key, c in zip(models, both)}
dsh = {key: score_codes(c, labels=(y_q, y_db), at_k=10) for key, c in codes.items()}
sim_codes = {(K, s): encode_pair(RandomHyperplaneHash(n_bits=K, center=True, random_state=s), H_db, H_q)
             for K in BITS for s in DSH_SEEDS}
sim = {key: score_codes(c, labels=(y_q, y_db), at_k=10) for key, c in sim_codes.items()}


def ap(scores, K, alpha=None):  # per-query AP@10, one row per seed: shape (seeds, queries)
    keys = [k for k in scores if k[-2] == K and (alpha is None or k[0] == alpha)]
    return np.array([scores[k].average_precision for k in keys])


ours = {f"LSH {L} tables, re-ranked": {K: lsh[L, K].map for K in BITS} for L in TABLES}
ours["SimHash, Hamming"] = {K: ap(sim, K).mean() for K in BITS}
ours.update({f"DSH α={a:g}": {K: ap(dsh, K, a).mean() for K in BITS} for a in ALPHAS})
ours["exact HOG (no hashing)"] = {K: exact.map for K in BITS}
source = {"LSH 8 tables, re-ranked": {8: 0.6223, 12: 0.6401, 16: 0.6494},
          "LSH 16 tables, re-ranked": {8: 0.6775, 12: 0.6923, 16: 0.6940},
          "DSH α=0.005": {8: 0.7305, 12: 0.7650, 16: 0.7744}, "DSH α=0.01": {8: 0.7184, 12: 0.7576, 16: 0.7801}}
plot_map_table(ours, source, BITS, title=f"mAP@10, {len(X_q)} test queries, database of {len(X_db)}");

# %%
assert all(0 <= v <= 1 for row in ours.values() for v in row.values())
seed_sd = {K: ap(dsh, K, ALPHAS[0]).mean(axis=1).std(ddof=1) for K in BITS}
sim_sd = {K: ap(sim, K).mean(axis=1).std(ddof=1) for K in BITS}
alpha_effect = {K: ours[f"DSH α={ALPHAS[1]:g}"][K] - dsh[ALPHAS[0], K, SEED].map for K in BITS}  # same seed
for K in BITS:
    print(f"{K:2d} bits: DSH seed-to-seed s.d. {seed_sd[K]:.3f}, SimHash {sim_sd[K]:.3f}; "
          f"α=0.01 − α=0.005 (seed {SEED}) = {alpha_effect[K]:+.3f}; "
          f"LSH candidates per query: {counts[f'L=16, K={K}'].mean():.0f} (16 tables)")

# %%
r = lambda row: f"{min(ours[row].values()):.2f}–{max(ours[row].values()):.2f}"  # noqa: E731
lsh16 = [ours["LSH 16 tables, re-ranked"][K] for K in BITS]
short = np.mean(counts["L=16, K=16"] < 10)
p10 = score_search_results(*tables[16, 16].search(H_q, 10), labels=(y_q, y_db), precision_k=10).precision_at[10]
alpha_small = max(abs(v) for v in alpha_effect.values()) <= 2 * max(seed_sd.values())
display(Markdown(f"""**What the numbers say.**
- Re-ranked LSH scores {r('LSH 8 tables, re-ranked')} (8 tables) and {r('LSH 16 tables, re-ranked')} (16 tables),
  {lsh16[0]:.3f} → {lsh16[-1]:.3f} from 8 to 16 bits with 16 tables. Its top 10 are the exact HOG neighbours
  whenever the buckets contain them; exact HOG search scores {exact.map:.3f}. With 8-bit keys a query re-ranks
  {counts['L=16, K=8'].mean():.0f} candidates on average ({counts['L=16, K=8'].mean() / len(X_db):.0%} of the
  database); with 16-bit keys only {counts['L=16, K=16'].mean():.0f}, and true neighbours are missed.
- Short lists are not penalised by AP@10 as defined here: a query whose only candidate is of its class scores
  AP@10 = 1. At 16 bits {short:.0%} of the queries have fewer than 10 candidates; precision@10, which counts
  a missing result as a wrong one, is {p10:.3f} for that LSH against mAP@10 {lsh16[-1]:.3f}.
- The source's LSH rows (0.62–0.69) *rise* with the bits. The source does not say how its candidates were ranked;
  a ranking by code distance behaves like that (our SimHash row: {', '.join(f"{ours['SimHash, Hamming'][K]:.2f}"
  for K in BITS)}), an exact re-ranking of fewer and fewer candidates does not (ours falls).
- DSH scores {r('DSH α=0.005')} (α = 0.005, three seeds; seed-to-seed s.d. {max(seed_sd.values()):.3f} at most)
  after {EPOCHS} epochs on {len(tr)} images; the source reports 0.72–0.78 after 20 epochs. The α = 0.01 model differs
  from the α = 0.005 model of the same seed by at most {max(abs(v) for v in alpha_effect.values()):.3f}, while three
  α = 0.005 models differ by a s.d. of up to {max(seed_sd.values()):.3f}: changing α moves the score
  {'no more than twice what changing the seed does' if alpha_small else 'more than twice what changing the seed does'}.
  The source's two α rows differ by at most 0.012 and it trained each once, so its table cannot rank the two α
  values either.
"""))

# %% [markdown]
# ## 6. Does DSH beat LSH at every code length?
#
# That is the source's conclusion. Each comparison below is a paired difference of per-query AP@10 on the
# same queries, DSH (α = 0.005, three seeds) minus the other method; its standard error combines the
# seed-to-seed spread and the query-to-query spread (`lshlab.evaluation.paired_comparison`), and a winner
# is named only when the 95 % confidence interval of the difference excludes 0 (a Student t interval; with
# few seeds it is wider than ± 2 standard errors).
#
# - **Like with like**: DSH codes against SimHash codes of the same length, both ranking the whole
#   database by Hamming distance (paired by seed).
# - **The source's protocol**: DSH against re-ranked LSH with 16 tables. Note what that LSH uses: besides
#   its 16 keys per image it keeps every 1,296-number HOG vector and computes an exact distance to every
#   candidate, while DSH only ever compares K-bit codes.

# %%
like = {K: paired_comparison(ap(dsh, K, ALPHAS[0]), ap(sim, K)) for K in BITS}
source_protocol = {K: paired_comparison(ap(dsh, K, ALPHAS[0]), lsh[16, K].average_precision) for K in BITS}
for K in BITS:
    print(f"{K:2d} bits, like with like: {like[K].describe('DSH', 'SimHash')}")
for K in BITS:
    print(f"{K:2d} bits, source protocol: {source_protocol[K].describe('DSH', 'LSH 16 tables re-ranked')}")

# %%
verdicts = {"A": [], "B": [], "undecided": []}
for K in BITS:
    verdicts[source_protocol[K].verdict].append(f"{K} bits")
say = lambda v: ", ".join(v) if v else "no code length"  # noqa: E731
holds = len(verdicts["A"]) == len(BITS)
display(Markdown(f"""**What the numbers say.** Like with like, DSH beats random hyperplanes at every code length by
{min(c.mean for c in like.values()):.2f}–{max(c.mean for c in like.values()):.2f} in mAP@10, that is
{min(c.mean / c.se for c in like.values()):.0f}–{max(c.mean / c.se for c in like.values()):.0f} standard errors:
learning the code from labels is worth far more than the bits themselves. Under the source's protocol DSH is ahead
at {say(verdicts['A'])}; re-ranked LSH is ahead at {say(verdicts['B'])}; too close to call at
{say(verdicts['undecided'])}. {"So the source's claim holds in this run." if holds else
"So the source's claim — DSH beats LSH at every code length — does not hold in this run."} Where LSH's buckets are
large it is nearly an exhaustive exact HOG search (and pays for it with many exact distances); where they are small,
it misses neighbours, but AP@10 forgives short lists. DSH here trained {EPOCHS} epochs on {len(tr)} images; the full
protocol (section 10) trains longer.
"""))

# %% [markdown]
# The asserts test what does not depend on the size of the run: DSH beats SimHash of the same length at
# every K; re-ranked LSH loses accuracy as its buckets shrink (8 → 16 bits, 16 tables); and re-ranking
# candidates never beats ranking the whole database by the same distance.

# %%
assert all(like[K].verdict == "A" for K in BITS), {K: like[K].describe() for K in BITS}
shrink = paired_comparison(lsh[16, 8].average_precision[None], lsh[16, 16].average_precision)
vs_exact = paired_comparison(lsh[16, 8].average_precision[None], exact.average_precision)
print("LSH 16 tables, 8 bits − 16 bits:", shrink.describe("8 bits", "16 bits"))
print("LSH 16 tables, 8 bits − exact HOG:", vs_exact.describe("LSH", "exact"))
assert shrink.verdict == "A" and vs_exact.verdict != "A"

# %% [markdown]
# ## 7. Precision–recall, like with like
#
# A precision–recall curve must rank the same thing for every method: here each ranks the **whole
# database**, and recall counts all the query's relevant images (a tenth of the database). DSH and SimHash
# rank by Hamming distance (one point per radius). LSH ranks its candidates by HOG distance and puts
# every other image after them, in random order (`lshlab.evaluation.restrict_to_candidates`): once the
# candidates are used up, its precision drops to the base rate 0.1. Exact HOG search ranks everything by
# HOG distance.

# %%
nq = min(N_PR_QUERIES, len(X_q))
rel = relevance_from_labels(y_q[:nq], y_db)
D_hog = euclidean_distance_matrix(H_q[:nq], H_db)
first = slice(0, nq)
curves = {
    "DSH 16 bits": score_codes(codes[ALPHAS[0], 16, SEED].query_subset(first), rel, pr="radius").pr,
    "SimHash 16 bits": score_codes(sim_codes[16, SEED].query_subset(first), rel, pr="radius").pr,
    "LSH 16 tables × 16 bits": precision_recall_curve_retrieval(
        restrict_to_candidates(D_hog, tables[16, 16].candidates(H_q[:nq])), rel, by="depth"),
    "LSH 16 tables × 8 bits": precision_recall_curve_retrieval(
        restrict_to_candidates(D_hog, tables[16, 8].candidates(H_q[:nq])), rel, by="depth"),
    "exact HOG distance": precision_recall_curve_retrieval(D_hog, rel, by="depth"),
}
plot_pr_curves(curves, title=f"Whole database ranked by each method, {nq} queries", legend_loc="below");

# %%
auc = {name: c.auc for name, c in curves.items()}
def recall_at(name, depth):  # recall of a depth curve after `depth` retrieved items
    c = curves[name]
    return c.recall[min(np.searchsorted(c.n_retrieved, depth), len(c.recall) - 1)]


n8, n16 = counts["L=16, K=8"][:nq].mean(), counts["L=16, K=16"][:nq].mean()
display(Markdown(f"""**What the numbers say.** Areas under the curves: {', '.join(f'{n} {v:.3f}' for n, v in auc.items())}.
Re-ranked LSH follows exact HOG search at the start — its first candidates are the nearest HOG neighbours — and
then falls to the base rate once its candidates are used up: {n16:.0f} per query with 16-bit keys (recall about
{recall_at('LSH 16 tables × 16 bits', n16):.2f}), {n8:.0f} with 8-bit keys (recall about
{recall_at('LSH 16 tables × 8 bits', n8):.2f}). That is why its mAP@10, which only looks at the top 10, can be high
while its curve ends early. DSH keeps its precision far along the recall axis, because its codes put most of a class
at a small Hamming distance from the query.
"""))
assert auc["DSH 16 bits"] > auc["SimHash 16 bits"] and auc["DSH 16 bits"] > auc["LSH 16 tables × 16 bits"]

# %% [markdown]
# ## 8. Retrieval collages
#
# Two queries and the 8 images each method returns (Hamming ties are broken by database index here, so
# the displayed list is one of the equally ranked choices). The queries are *chosen*, not typical: the
# first is where DSH is furthest ahead of SimHash, the second where re-ranked LSH (with at least 8
# candidates) is furthest ahead of DSH. Green frame: the query's class; red and faded: another class; a
# blank cell: LSH found fewer than 8 candidates.

# %%
ap_dsh, ap_sim, ap_lsh = ap(dsh, 16, ALPHAS[0])[0], ap(sim, 16)[0], lsh[16, 16].average_precision
full_list = counts["L=16, K=16"] >= 8  # queries with at least 8 LSH candidates
show = [int(np.argmax(ap_dsh - ap_sim)), int(np.argmax(np.where(full_list, ap_lsh - ap_dsh, -np.inf)))]
rankings = {
    "exact HOG": brute_force_knn(H_db, H_q[show], 8)[1],
    "LSH 16×16,\nre-ranked": tables[16, 16].search(H_q[show], 8)[1],  # −1: fewer than 8 candidates (blank)
    "SimHash\n16 bits": HammingIndex(sim_codes[16, SEED].db).search(sim_codes[16, SEED].query[show], 8)[1],
    "DSH\n16 bits": HammingIndex(codes[ALPHAS[0], 16, SEED].db).search(codes[ALPHAS[0], 16, SEED].query[show], 8)[1],
}
plot_retrieval_comparison(X_q[show], X_db, rankings, y_q[show], y_db,
                          title="Fashion-MNIST: two chosen queries, 8 results per method");

# %% [markdown]
# ## 9. Bits slider over the trained models
#
# Move the bits slider: with 8 bits the query's Hamming ball of radius 0 already holds thousands of
# images (ties), with 16 bits the classes spread over more codes. The left panel shows how the codes
# separate the query's class from the others.

# %%
explorer = dsh_explorer({K: models[ALPHAS[0], K, SEED] for K in BITS}, X_q[:200], y_q[:200], X_db, y_db,
                        codes={K: codes[ALPHAS[0], K, SEED].query_subset(slice(0, 200)) for K in BITS})
display(explorer)

# %% [markdown]
# ## 10. The full protocol, if the benchmark has run
#
# `python benchmarks/fashion_map.py` trains the six models of the full protocol (55,000 images, 3 epochs,
# seed 0; about 5 minutes on an idle 2-core machine) and caches them. This cell looks for them in the cache
# and, when all six are there, scores them on this lecture's queries and database; it never trains.

# %%
full = {(a, K): find_cached(55000, n_bits=K, alpha=a, max_iter=3, random_state=0, n_jobs=N_THREADS, progress=False,
                            **DSH_PARAMS) for a in ALPHAS for K in BITS}
if all(m is not None for m in full.values()):
    full_map = {f"DSH α={a:g}, full protocol": {K: score_codes(encode_pair(full[a, K], X_db, X_q, fit_on=None),
                                                               labels=(y_q, y_db), at_k=10).map for K in BITS}
                for a in ALPHAS}
    plot_map_table({**full_map, "LSH 16 tables, re-ranked": ours["LSH 16 tables, re-ranked"]}, source, BITS,
                   title="mAP@10 of the benchmark's models on this lecture's queries")
else:
    print(f"{sum(m is None for m in full.values())} of the 6 full-protocol models are not cached: run "
          "`python benchmarks/fashion_map.py` from the project root, then rerun this cell.")

# %% [markdown]
# ## Key takeaways
#
# - Multi-table LSH trades candidates for accuracy: 1 − (1 − p^K)^L predicts how often a neighbour shares a
#   bucket; with exact re-ranking its top 10 are as good as the candidates allow.
# - DSH turns labels into short codes: a contrastive pair loss with a margin, and a regulariser towards ±1.
# - Compare like with like: against random codes of the same length DSH wins by a wide margin; against
#   re-ranked LSH, which also keeps and compares the HOG vectors, the answer depends on how long DSH trains
#   and how many candidates LSH re-ranks.
# - A difference is a result only when it exceeds its spread: train more than once, pair the queries.
#
# ## Exercises
#
# 1. **α and thresholding.** Retrain with α = 0 and α = 0.1 (`fit_or_load_many` with one parameter set
#    each): how far are the outputs from ±1, and how much mAP@10 does thresholding cost? Compare the Hamming
#    mAP@10 with a Euclidean ranking of the `embed` outputs.
#    <details><summary>Hint</summary>
#    Rank the database by `euclidean_distance_matrix(model.embed(X_q), model.embed(X_db))`; `score_codes`
#    wants codes, so score that matrix with `lshlab.metrics.mean_average_precision(D, relevant, at_k=10)`.
#    </details>
# 2. **The margin.** Change m from 2k to k/2 and 4k (`margin=`). Which pairs stop contributing to the
#    gradient, and what happens to the validation mAP?
#    <details><summary>Hint</summary>
#    The hinge ½ max(m − D, 0) is flat once D ≥ m; for ±1 codes D = 4 · Hamming. Plot
#    `plot_dsh_loss_terms(n_bits=12, margin=...)` first.
#    </details>
# 3. **Cost against accuracy.** For LSH with 16-bit keys, plot mAP@10 against the mean number of candidates
#    for L ∈ {1, 2, 4, 8, 16, 32}. Where is the best trade-off?
#    <details><summary>Hint</summary>
#    Reuse the loop of section 2 with `TABLES = [1, 2, 4, 8, 16, 32]` and `BITS = [16]`; `t.last_n_candidates_`
#    holds the candidates of the last search.
#    </details>
# 4. **Ties.** Score the Hamming ranking of DSH with `ties="index"` in `score_codes`: how much does an
#    arbitrary database order change mAP@10 at 8 bits? Shuffle the database and score again.
#    <details><summary>Hint</summary>
#    With 8 bits there are only 256 codes for thousands of images: count how many database codes equal a
#    query's code, `np.mean(np.all(codes.db == codes.query[0], axis=1))`.
#    </details>
#
# Worked solutions for exercises 3 and 4: `notebooks/solutions/11_deep_supervised_hashing_solutions.py`.
#
# Further reading: H. Liu, R. Wang, S. Shan, X. Chen, "Deep supervised hashing for fast image retrieval",
# CVPR 2016; N. Dalal, B. Triggs, "Histograms of oriented gradients for human detection", CVPR 2005;
# M. Charikar, "Similarity estimation techniques from rounding algorithms", STOC 2002; T. G. Dietterich,
# "Approximate statistical tests for comparing supervised classification learning algorithms", Neural
# Computation 1998; X. Zhang, "A survey on deep hashing for image retrieval", arXiv:2006.05627 (2020).

# %%
print(f"lecture ran in {time.perf_counter() - T_START:.0f} s")
