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
# # Lecture 03 — MinHash: searching sets by their Jaccard index
#
# Lecture 02 hashed *vectors*. Many objects are better seen as **sets**: a document as the set of its
# phrases, a region of an image as the set of its pixels. The natural similarity of two sets is their
# **Jaccard index** J(A, B) = |A ∩ B| / |A ∪ B|, and there is an LSH family whose collision probability
# *is* J — MinHash. This lecture builds it, proves why it works, measures it, and uses it to retrieve
# images by the overlap of their shapes.
#
# ## What you will learn
#
# - **See**: shingle sets of sentences and pixel masks of images with their Jaccard indices; MinHash
#   estimates scattered around the exact J inside the band J ± 2√(J(1 − J)/n); the bias of the textbook
#   linear hash on image masks; the banding S-curve 1 − (1 − s^r)^b measured against theory, with a
#   slider for b and r; precision–recall curves and a retrieval collage for mask retrieval.
# - **Do**: turn texts and images into sets, compute MinHash signatures of 20,000 masks in a second or
#   two, estimate Jaccard indices from them, choose b and r for a target recall, and search with a
#   banded index re-ranked by exact Jaccard.
# - **Learn**: why P[min π(A) = min π(B)] = J (three lines), why the hash functions must be more than
#   pairwise independent, how banding turns MinHash into sub-linear search, and what masks keep and lose
#   compared with grey-level images.
# - **Need**: lecture 02 (LSH families, AND/OR amplification, choosing K and L). Fashion-MNIST is read
#   from its official train (database) and test (queries) splits.
#
# **Run time**: under a minute at the full size on a 2-core laptop (41 s measured on a busy machine;
# less with `LSHLAB_SIZE=small`); the repeated draws of §2 and §3 show a progress bar.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from tqdm.auto import tqdm

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.hashing import MinHash
from lshlab.hashing.minhash import signature_agreement
from lshlab.lsh_theory import (
    amplified_collision_probability,
    choose_parameters,
    optimal_banding,
    s_curve_threshold,
)
from lshlab.metrics import precision_recall_curve_retrieval, relevance_from_labels, retrieval_overlap_scores
from lshlab.search import BandingIndex
from lshlab.sets import jaccard_matrix, shingle_sets, threshold_masks
from lshlab.widgets import banding_explorer, prepare_banding

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %% [markdown]
# One parameter cell: full size by default, `LSHLAB_SIZE=small` (CI) shrinks everything.

# %%
N_DATABASE = param("N_DATABASE", full=20000, small=2000)
N_QUERY = param("N_QUERY", full=300, small=60)
N_HASHES = param("N_HASHES", full=128, small=128)
N_DRAWS = param("N_DRAWS", full=10, small=10)  # independent draws of the hash functions in §2 and §3
N_WIDGET = param("N_WIDGET", full=5000, small=1000)  # database masks behind the banding slider
TARGET_RECALL = param("TARGET_RECALL", full=0.8, small=0.7)  # §4: recall of the exact top-10 to reach ...
BUDGET_FRACTION = 0.25  # ... within this fraction of the database as candidates
THRESHOLD = 0.5  # a pixel belongs to the mask when its grey level exceeds this
K_NN = 10
SEED = 0

# %% [markdown]
# ## 1. Sets and the Jaccard index
#
# **Documents.** Leskovec, Rajaraman & Ullman (*Mining of Massive Datasets*, 3rd ed. 2020, §3.2) represent
# a document by its **k-shingles**, the set of its substrings of length k; two documents that share
# phrases share shingles. `shingle_sets` numbers the shingles of several texts through one vocabulary,
# so each text becomes a set of integers:

# %%
texts = ["the cat sat on the mat", "the cat sat on a mat", "a mat sat on the cat", "dogs chase cats"]
sets, vocabulary = shingle_sets(texts, k=4)
J_texts = jaccard_matrix(sets)
for i, t in enumerate(texts):
    print(f"{t!r:26} {len(sets[i]):2d} shingles   J with text 0: {J_texts[0, i]:.2f}")

# %% [markdown]
# **Images.** A binary **mask** — the pixels brighter than a threshold — is the set of its pixel
# indices. In Khuzani et al.'s CT / radiotherapy-dose retrieval study (M. Badiei Khuzani, L. Xing,
# "Locally sensitive hashing for the content based image retrieval", Stanford lecture notes, 2021) the
# regions are organ contours and isodose volumes, and retrieval is scored by the overlap of sets:
#
# $$\mathcal{J}(A, B) = \frac{|A \cap B|}{|A \cup B|}, \qquad \mathcal{D}(A, B) = \frac{2|A \cap B|}{|A| + |B|}.$$
#
# Their CT images are not public; Fashion-MNIST clothes are our stand-in. The Jaccard index of two
# masks is the study's overlap score of two regions.

# %%
data = load_dataset("fashion-mnist", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
X, y, Q, yq = data.X_train, data.y_train, data.X_query, data.y_query
M, MQ = threshold_masks(X, THRESHOLD), threshold_masks(Q, THRESHOLD)
J = jaccard_matrix(MQ, M)  # exact, (N_QUERY, N_DATABASE)
relevant = relevance_from_labels(yq, y)
order = np.argsort(-J[0], kind="stable")
show = [order[0], order[1], order[len(order) // 20], order[len(order) // 2]]
plots.plot_mask_gallery(np.vstack([Q[:1], X[show]]), np.vstack([MQ[:1], M[show]]),
                        titles=["query"] + [f"J = {J[0, j]:.2f}" for j in show])
plt.show()

# %% [markdown]
# **What the numbers say.**

# %%
top = np.argsort(-J, axis=1, kind="stable")[:, :K_NN]  # the exact top-10 by Jaccard, ties by index
display(Markdown(
    f"A mask holds {M.sum(axis=1).mean():.0f} of 784 pixels on average. Two random masks have "
    f"J = {J.mean():.2f} on average, two masks of the same class {J[relevant].mean():.2f}, and a query's "
    f"nearest mask {J.max(axis=1).mean():.2f}. The texts: changing one word (text 1) keeps "
    f"J = {J_texts[0, 1]:.2f}, shuffling words (text 2) {J_texts[0, 2]:.2f}, another sentence "
    f"{J_texts[0, 3]:.2f}. Near and far are far apart in J — but a linear scan still computes "
    f"{N_QUERY:,} × {N_DATABASE:,} intersections. MinHash avoids that."
))

# %% [markdown]
# ## 2. MinHash: the collision probability is the Jaccard index
#
# Take a random permutation π of the universe (all pixels, all shingles) and hash a set to its first
# element under π: h(A) = min π(A) (Broder, "On the resemblance and containment of documents", 1997).
# Why P[h(A) = h(B)] = J(A, B), in three lines:
#
# 1. Every element of A ∪ B is equally likely to come first under π among the elements of A ∪ B.
# 2. min π(A) = min π(B) exactly when that first element of A ∪ B lies in both sets (if it lies in A only,
#    it is A's minimum but not B's).
# 3. Hence P[h(A) = h(B)] = |A ∩ B| / |A ∪ B| = J(A, B).
#
# With n independent permutations the fraction of equal positions of two **signatures** is a binomial
# count over n: an unbiased estimate of J with variance J(1 − J)/n. MinHash is the case of lecture 02's
# eq. (1) with sim = J. A permutation of a huge universe cannot be stored, so `MinHash` uses random
# polynomials h(x) = (c₃x³ + c₂x² + c₁x + c₀) mod (2³¹ − 1), computed for all sets at once with numpy.

# %%
t0 = time.perf_counter()
minhash = MinHash(n_hashes=N_HASHES, random_state=SEED).fit(M)
S, SQ = minhash.transform(M), minhash.transform(MQ)
t_signatures = time.perf_counter() - t0
print(f"signatures of {len(M) + len(MQ):,} masks, {N_HASHES} hashes each: {t_signatures:.2f} s "
      f"({S.dtype}, {S.nbytes / 2**20:.1f} MB)")

# %% [markdown]
# We compare estimates with the exact J on pairs spanning the whole range: 3,000 random (query, database)
# pairs and each query's 3 nearest masks.

# %%
rng = np.random.default_rng(SEED)
pq = np.concatenate([rng.integers(0, N_QUERY, 3000), np.repeat(np.arange(N_QUERY), 3)])
pd = np.concatenate([rng.integers(0, N_DATABASE, 3000), top[:, :3].ravel()])
J_pairs = J[pq, pd]
estimate = (SQ[pq] == S[pd]).mean(axis=1)
plots.plot_jaccard_estimates(J_pairs, estimate, N_HASHES)
plt.show()

# %% [markdown]
# The pairs share one draw of hash functions, so their errors are correlated; to test unbiasedness and
# the variance J(1 − J)/n honestly we draw the hash functions `N_DRAWS` times — and do the same with the
# textbook **linear** hash h(x) = (a x + b) mod p (`degree=1`), which is only pairwise independent.

# %%
errors = {1: [], 3: []}
for degree in errors:
    for draw in tqdm(range(N_DRAWS), desc=f"degree {degree}: {N_DRAWS} draws of {N_HASHES} hashes"):
        mh = MinHash(N_HASHES, random_state=SEED + 1 + draw, degree=degree).fit(M)
        errors[degree].append((mh.transform(MQ[pq]) == mh.transform(M[pd])).mean(axis=1) - J_pairs)
errors = {d: np.array(e) for d, e in errors.items()}
plots.plot_estimate_errors(J_pairs, {"degree 3 (4-wise independent)": errors[3],
                                     "linear (a x + b) mod p": errors[1]}, N_HASHES)
plt.show()

# %%
theory_var = J_pairs * (1 - J_pairs) / N_HASHES
var_ratio = errors[3].var(axis=0, ddof=1)[theory_var > 0].mean() / theory_var[theory_var > 0].mean()
bias = {d: e.mean() for d, e in errors.items()}
bias_se = {d: e.mean(axis=1).std(ddof=1) / np.sqrt(N_DRAWS) for d, e in errors.items()}
inside = np.mean(np.abs(estimate - J_pairs) <= 2 * np.sqrt(theory_var) + 1e-12)
print(f"mean error: degree 3 {bias[3]:+.4f} ± {bias_se[3]:.4f}, linear {bias[1]:+.4f} ± {bias_se[1]:.4f}; "
      f"variance / J(1−J)/n = {var_ratio:.3f}; first draw: {inside:.1%} of pairs inside ± 2 s.e.")

# %% [markdown]
# **What the numbers say.**

# %%
display(Markdown(
    f"Over {N_DRAWS} draws the degree-3 estimates miss J by {bias[3]:+.4f} ± {bias_se[3]:.4f} on average, and "
    f"their variance is {var_ratio:.2f} × J(1 − J)/n: unbiased with the binomial variance, as the three-line "
    f"proof promises. The linear hash misses by {bias[1]:+.4f} ± {bias_se[1]:.4f} — "
    f"{abs(bias[1]) / bias_se[1]:.0f} standard errors. Pixel masks are structured sets (runs of neighbouring "
    "indices), and a pairwise-independent family does not make every element equally likely to be the "
    "minimum of such sets (Broder, Charikar, Frieze & Mitzenmacher, \"Min-wise independent permutations\", "
    "1998; Pătraşcu & Thorup, \"On the k-independence required by linear probing and minwise independence\", "
    f"2010). Computing all {len(M) + len(MQ):,} signatures took {t_signatures:.1f} s."
))

# %%
# unbiased within 3 standard errors of the mean over draws (the draw-to-draw spread is measured above)
assert abs(bias[3]) < 3 * bias_se[3] + 1e-3, f"degree-3 MinHash biased: {bias[3]:+.4f} ± {bias_se[3]:.4f}"
assert bias[1] < -3 * bias_se[1], f"the linear hash should underestimate J on masks: {bias[1]:+.4f}"
assert 0.85 < var_ratio < 1.15, f"variance {var_ratio:.3f} × J(1 − J)/n"  # ±15 %: sampling error of N_DRAWS variances
assert 0.9 < inside < 0.99  # about 95 % of a binomial inside ± 2 s.e.; one draw's pairs move together

# %% [markdown]
# ## 3. Banding: from signatures to candidates
#
# Comparing signatures still touches every database item. **Banding** (MMDS §3.4) is lecture 02's AND/OR
# construction on signatures: cut each signature into b bands of r positions; a database mask is a
# *candidate* for the query when the two signatures agree on a whole band (AND over r positions) in at
# least one band (OR over b). A pair with Jaccard index s becomes a candidate with probability
#
# $$P[\text{candidate}] = 1 - (1 - s^r)^b,$$
#
# an S-curve that rises steeply near s ≈ (1/b)^{1/r}. `BandingIndex` stores each band as sorted band
# contents with bucket offsets — one `searchsorted` per band finds every query's bucket.
#
# We measure the S-curve: all (query, database) pairs binned by their exact J, the fraction that are
# candidates, over `N_DRAWS` draws of the hash functions (error bars: ± 2 standard errors of the mean
# over draws). Within one draw the pairs move together: clothes share their central pixels, so a hash
# function whose minimum falls among them makes thousands of pairs agree at once. One draw's S-curve can
# therefore sit several hundredths above or below the theory in a whole range of J — the theory is a
# statement about the average over draws.

# %%
BANDS = [(16, 8), (32, 4)]
edges = np.linspace(0, 1, 21)
which = np.clip(np.digitize(J, edges) - 1, 0, 19)
counts = np.bincount(which.ravel(), minlength=20)
usable = counts >= 200
rates = {br: [] for br in BANDS}
for draw in tqdm(range(N_DRAWS), desc="banding over draws"):
    mh = MinHash(N_HASHES, random_state=SEED + 100 + draw).fit(M)
    Sd, SQd = mh.transform(M), mh.transform(MQ)
    for b, r in BANDS:
        q, d = BandingIndex(b, r).fit(Sd).candidate_pairs(SQd)
        cand = np.zeros(J.shape, dtype=bool)
        cand[q, d] = True
        rates[b, r].append(np.bincount(which.ravel(), weights=cand.ravel(), minlength=20)[usable] / counts[usable])
s_bins = np.bincount(which.ravel(), weights=J.ravel(), minlength=20)[usable] / counts[usable]
measured = {}
for b, r in BANDS:
    R = np.array(rates[b, r])
    measured[f"measured, b = {b}, r = {r}"] = (s_bins, R.mean(axis=0), 2 * R.std(axis=0, ddof=1) / np.sqrt(N_DRAWS))
plots.plot_banding_curves(BANDS, measured=measured)
plt.show()

# %%
theory_bins = {br: np.bincount(which.ravel(), weights=amplified_collision_probability(J, br[1], br[0]).ravel(),
                               minlength=20)[usable] / counts[usable] for br in BANDS}
gap = {br: np.abs(np.mean(rates[br], axis=0) - theory_bins[br]) for br in BANDS}
draw_sd = {br: np.std(rates[br], axis=0, ddof=1).max() for br in BANDS}  # largest spread of one draw's rate
pooled = {br: np.average(np.mean(rates[br], axis=0) - theory_bins[br], weights=counts[usable]) for br in BANDS}

# %% [markdown]
# **What the numbers say.**

# %%
display(Markdown("\n".join(
    f"- b = {b}, r = {r} (threshold (1/b)^(1/r) = {s_curve_threshold(b, r):.2f}): averaged over {N_DRAWS} draws the "
    f"measured rates stay within {gap[b, r].max():.3f} of the S-curve in every Jaccard bin, and over all pairs "
    f"they differ from it by {pooled[b, r]:+.4f}; a single draw's rate in a bin moves by up to "
    f"{draw_sd[b, r]:.3f} (one standard deviation)." for b, r in BANDS)
    + f"\n\nThe same {N_HASHES} hashes give two different filters: the threshold moves from "
    f"{s_curve_threshold(*BANDS[0]):.2f} to {s_curve_threshold(*BANDS[1]):.2f} by regrouping them."
))

# %%
# Over all pairs the draws average out (0.02); per bin the mean of N_DRAWS correlated draws keeps a spread
# of about draw_sd / √N_DRAWS, with heavy tails — 0.1 is about 3 of those at the largest spread measured.
for br in BANDS:
    assert abs(pooled[br]) < 0.02, f"S-curve of {br}: measured − theory {pooled[br]:+.4f} over all pairs"
    assert gap[br].max() < 0.1, f"S-curve of {br} off by {gap[br].max():.3f} in a bin"

# %% [markdown]
# Move b and r yourself (a database of `N_WIDGET` masks, one draw of the hash functions): the left panel
# replots the S-curve with the measured candidate rates, the right one compares the predicted and the
# measured cost (candidates per query) and recall of the exact top-10, with the trade-off curve of all b
# for the current r.

# %%
widget_data = prepare_banding(S[:N_WIDGET], SQ[:100], J[:100, :N_WIDGET], k=K_NN)
display(banding_explorer(widget_data))

# %% [markdown]
# ## 4. Retrieval on masks
#
# Which (b, r)? Lecture 02's chooser works for any family: here the per-hash collision probability *is*
# J, K = r rows and L = b bands, and b·r must fit in the `N_HASHES` positions of a signature. We ask for
# `TARGET_RECALL` (80 % at the full size) of the exact top-10 within a budget of a quarter of the
# database — §1 showed why not more: many masks of other garments overlap a query almost as much as its
# nearest neighbours do.

# %%
choice = choose_parameters(J[np.arange(N_QUERY)[:, None], top].ravel(), J.ravel(), N_DATABASE, target_recall=TARGET_RECALL,
                           max_candidates=BUDGET_FRACTION * N_DATABASE, max_K=16, max_L=N_HASHES, max_hashes=N_HASHES, n_levels=500)
B, R = choice.L, choice.K
print(f"b = {B} bands × r = {R} rows (b·r = {B * R} of {N_HASHES}): predicted recall {choice.recall:.3f}, "
      f"{choice.candidates:.0f} candidates per query, feasible: {choice.feasible}; for comparison, the "
      f"datasketch-style optimiser for a Jaccard threshold of 0.6 picks (b, r) = {optimal_banding(0.6, N_HASHES)}")

# %%
index = BandingIndex(B, R).fit(S, sets=M)
t0 = time.perf_counter()
lsh_dist, lsh_idx = index.search(SQ, K_NN, query_sets=MQ)
t_lsh = time.perf_counter() - t0
t0 = time.perf_counter()
exact_top = np.argsort(-jaccard_matrix(MQ, M), axis=1, kind="stable")[:, :K_NN]
t_exact = time.perf_counter() - t0
lsh_recall = np.mean([np.isin(t, i).sum() / K_NN for t, i in zip(exact_top, lsh_idx)])
n_candidates = index.last_n_candidates_
print(f"banded search: {t_lsh:.2f} s, recall@{K_NN} of the exact Jaccard top-{K_NN} {lsh_recall:.3f}, "
      f"{n_candidates.mean():.0f} candidates per query; exact Jaccard of every pair: {t_exact:.2f} s")

# %% [markdown]
# Precision–recall with the class as ground truth (relevant = same garment class), for four rankings of
# the database: the exact Jaccard index of the masks (the reference, dashed), the MinHash estimate over
# the whole database, the banded index (candidates by exact J, the rest last), and — for comparison —
# the Euclidean distance of the grey-level images.

# %%
rankings = {
    "exact Jaccard of masks": 1 - J,
    f"MinHash estimate ({N_HASHES} hashes)": 1 - signature_agreement(SQ, S),
    f"banded LSH (b = {B}, r = {R})": index.distance_matrix(SQ, query_sets=MQ, missing=2.0),
    "Euclidean, grey levels": euclidean_distance_matrix(Q, X),
}
curves = {name: precision_recall_curve_retrieval(D, relevant, by="depth") for name, D in rankings.items()}
plots.plot_pr_curves(curves, reference="exact Jaccard of masks", title="Fashion-MNIST retrieval by mask overlap")
plt.show()

# %% [markdown]
# Without labels, Khuzani et al. score a hash by how much its retrieved set overlaps the exact one
# (their Dice and Jaccard of retrieved sets, lecture 12). The same score for our top-10:

# %%
overlap = retrieval_overlap_scores(1 - J, rankings[f"banded LSH (b = {B}, r = {R})"], K_NN)
print(f"top-{K_NN} of the banded index vs the exact top-{K_NN}: Dice {overlap.dice.mean():.3f}, "
      f"Jaccard {overlap.jaccard.mean():.3f} (mean over queries)")

# %% [markdown]
# A retrieval collage of the banded index: each row a query and its 8 nearest masks by Jaccard (shown as
# the images they come from), green frames for the query's class, red for another. The rows are queries
# whose top 8 holds both.

# %%
mixed = [i for i in range(N_QUERY) if 0 < (y[lsh_idx[i, :8]] == yq[i]).sum() < 8][:5]
plots.plot_retrieval_collage(Q[mixed], X, lsh_idx[mixed, :8], yq[mixed], y, class_names=data.classes, title=(
    "Banded MinHash on masks: query (left), 8 nearest by Jaccard; red frames = another class"))
plt.show()

# %% [markdown]
# **What the numbers say.**

# %%
auc = {name: c.auc for name, c in curves.items()}
display(Markdown(
    "| ranking | PR-AUC |\n|---|---|\n" + "\n".join(f"| {n} | {a:.3f} |" for n, a in auc.items()) + "\n\n"
    f"The banded index (b = {B}, r = {R}) examines {n_candidates.mean():.0f} of {N_DATABASE:,} masks per query "
    f"({n_candidates.mean() / N_DATABASE:.0%}) and returns {lsh_recall:.0%} of the exact Jaccard top-{K_NN} "
    f"(predicted {choice.recall:.0%}); its top-{K_NN} overlaps the exact one with Dice {overlap.dice.mean():.2f}. "
    f"It took {t_lsh:.2f} s against {t_exact:.2f} s for the exact Jaccard of every pair: on 784-pixel masks the "
    "exact computation is one dense matrix product, hard to beat by much; the gap opens with the size of the "
    "database and of the universe (shingles of documents number in the millions). "
    f"The MinHash estimate ranks almost as well as the exact index (AUC {auc[f'MinHash estimate ({N_HASHES} hashes)']:.3f} "
    f"vs {auc['exact Jaccard of masks']:.3f}). Masks are coarser than grey levels: Euclidean distance on the "
    f"images reaches AUC {auc['Euclidean, grey levels']:.3f} — a mask keeps the silhouette and drops the "
    "texture, which is what separates, say, shirts from pullovers."
))

# %%
assert choice.feasible
assert abs(lsh_recall - choice.recall) < 0.05, f"recall {lsh_recall:.3f} vs predicted {choice.recall:.3f}"
assert abs(n_candidates.mean() / choice.candidates - 1) < 0.15  # one draw; the spread over draws is §3's
assert auc[f"MinHash estimate ({N_HASHES} hashes)"] > 0.9 * auc["exact Jaccard of masks"]
assert np.isclose(2 * overlap.jaccard / (1 + overlap.jaccard), overlap.dice).all()  # Dice = 2J/(1+J)
assert len(mixed) > 0

# %% [markdown]
# ## 5. Masks with MinHash, or features with an autoencoder?
#
# Lecture 12 follows Khuzani et al.'s own route on the same kind of question: a convolutional autoencoder
# turns each image into a feature vector, Raginsky codes (lecture 04) hash the features, and retrieval is
# judged by the Dice and Jaccard overlap of the hashed and the exact top-k. MinHash on masks needs no
# training and its collision probability is the overlap itself; the autoencoder learns which features
# matter but must be trained, and its codes only approximate a Euclidean distance between features.
#
# ## Key takeaways
#
# - The Jaccard index is the similarity of sets: shingles of documents, pixels of masks, regions of scans.
# - MinHash: P[min π(A) = min π(B)] = J, so the fraction of equal signature positions is an unbiased
#   estimate of J with variance J(1 − J)/n — measured here within sampling error.
# - The hash functions matter: the linear (a x + b) mod p is biased on structured sets such as masks;
#   4-wise independent polynomials are not, at the precision measured.
# - Banding into b bands of r rows is lecture 02's AND/OR construction: P[candidate] = 1 − (1 − s^r)^b,
#   steep near (1/b)^{1/r}; the same (K, L) chooser picks b and r for a target recall.
# - Masks keep shapes and drop texture: mask retrieval is fast and needs no training, but ranks classes
#   less well than grey levels here.
#
# ## Exercises
#
# 1. **Dice from Jaccard.** Show that D = 2J/(1 + J) for any two sets, and check it on the masks with
#    `lshlab.metrics.dice_score` and `jaccard_index`. Why do the two scores then always rank pairs the same way?
#
#    <details><summary>Hint</summary>
#
#    Write |A| + |B| = |A ∪ B| + |A ∩ B| and divide numerator and denominator of D by |A ∪ B|. The map
#    J ↦ 2J/(1 + J) is increasing on [0, 1].
#    </details>
#
# 2. **Shingle length.** Recompute the Jaccard indices of the four texts for k = 2, 3, 5, 8. Which k
#    separates "a mat sat on the cat" from "the cat sat on the mat", and why do very small k make every
#    text look alike?
#
#    <details><summary>Hint</summary>
#
#    `shingle_sets(texts, k)` and `jaccard_matrix`; with k = 1 a text is just its set of letters.
#    </details>
#
# 3. **The threshold of a mask.** Redo the retrieval of §4 with masks at 0.2 and at 0.8. How do the mask
#    sizes, the typical J and the PR-AUC of the exact Jaccard ranking change?
#
#    <details><summary>Hint</summary>
#
#    Change `THRESHOLD`, rerun §1 and the `curves` cell; `threshold_masks(X, t).sum(axis=1).mean()` gives
#    the size.
#    </details>
#
# 4. **Banding for a threshold.** Pick (b, r) with `optimal_banding(0.7, 128)`, the datasketch-style
#    choice that balances false positives below J = 0.7 against false negatives above it. Measure the
#    fraction of pairs with J < 0.7 that become candidates and of pairs with J > 0.7 that do not, and
#    compare with `banding_errors`.
#
#    <details><summary>Hint</summary>
#
#    `BandingIndex(b, r).fit(S).candidate_pairs(SQ)` gives the candidates; `banding_errors` returns areas
#    under the S-curve (integrals over s), so compare them with rates averaged uniformly over J, e.g. by
#    weighting each J bin equally.
#    </details>
#
# 5. **b-bit MinHash.** Keep only the lowest bit of every signature value (`S & 1`). Two sets then agree
#    on a position with probability J + (1 − J)/2. Estimate J from the agreement of these 1-bit signatures
#    and compare its variance with the full signatures' (Li & König, "b-bit minwise hashing", WWW 2010).
#
#    <details><summary>Hint</summary>
#
#    Invert a = J + (1 − J)/2 for J; the variance of the estimate is that of a binomial fraction a times
#    (dJ/da)² = 4.
#    </details>
#
# Worked solutions to exercises 1, 4 and 5 are in `solutions/03_minhash_jaccard_solutions.py`.
#
# **Further reading.** A. Z. Broder, "On the resemblance and containment of documents", SEQUENCES 1997;
# A. Z. Broder, M. Charikar, A. M. Frieze, M. Mitzenmacher, "Min-wise independent permutations", STOC
# 1998; J. Leskovec, A. Rajaraman, J. Ullman, *Mining of Massive Datasets*, 3rd ed. 2020, ch. 3;
# M. Pătraşcu, M. Thorup, "On the k-independence required by linear probing and minwise independence",
# ICALP 2010; P. Li, A. C. König, "b-Bit minwise hashing", WWW 2010; M. Badiei Khuzani, L. Xing, "Locally
# sensitive hashing for the content based image retrieval", Stanford lecture notes, 2021; the `datasketch`
# library (E. Zhu), whose `MinHash` and `MinHashLSH` our tests and benchmarks use as the reference.
