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
# # Lecture 12 — Unsupervised retrieval scored by Dice and Jaccard
#
# In a retrieval study of CT slices and radiotherapy dose distributions (M. B. Khuzani, mentored by L. Xing,
# "Locally sensitive hashing for the content based image retrieval", slides, Stanford Radiation Oncology,
# January 2021, following the July 2020 slides of Khuzani, Ye, Napel & Xing; "the study" below) the images
# carry no labels: features come from a convolutional
# autoencoder, and there is no "relevant" set to compute precision and recall against. The question becomes:
# **does the hash retrieve the same images as the exact Euclidean search in feature space?** The
# Sørensen–Dice score and the Jaccard index of the two retrieved sets answer it.
#
# **Running time.** About 1½ minutes at full size on an idle 2-core CPU (about 1 CPU-minute): the
# autoencoder's training is a quarter of it (a progress bar counts the images), the codes and their scores
# take most of the rest (a second bar). `LSHLAB_SIZE=small` runs in well under a minute.
#
# ## What you will learn
#
# - to train a convolutional autoencoder and use its latent vectors as image features;
# - to hash the latents with Raginsky codes (lecture 04), with the study's untrained kernel and with a
#   Schoenberg kernel trained by Langevin particles on k-means pseudo-labels (lecture 05);
# - to score a hash without labels: Dice D = 2|A∩B|/(|A|+|B|) and Jaccard J = |A∩B|/|A∪B| between the
#   Euclidean and the Hamming top-k, per query, for 16 … 4096 bits (violin plots) and against k;
# - that D = 2J/(1+J), so the two scores rank methods identically;
# - to look at what is retrieved (collages, as in the study's figures) and to retrieve on **two views** of an
#   image at once, as the study does with a CT slice and its dose map.
#
# The CT / dose images of the study are not public: we use **MNIST** (images from the official test split,
# see the data README) as the image database, and say so on every figure. You need lectures 04 and 05.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from tqdm.auto import tqdm

from lshlab import plots
from lshlab.evaluation import paired_comparison
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.evaluation import CodePair, code_distances, encode_pair
from lshlab.features import ConvAutoencoder, hog_features
from lshlab.hashing import ShiftInvariantHash
from lshlab.kernel_learning import LangevinKernelLearner, kmeans_pseudo_labels
from lshlab.kernels import median_heuristic_bandwidth
from lshlab.metrics import overlap_scores_by_code_length, retrieval_overlap_scores
from lshlab.search import HammingIndex, brute_force_knn
from lshlab.widgets import overlap_explorer

T_START = time.perf_counter()
plots.set_style()

# %%
N_DATABASE = param("N_DATABASE", full=9000, small=2000)
N_QUERY = param("N_QUERY", full=1000, small=400)
LATENT_DIM = param("LATENT_DIM", full=32, small=32)
AE_VARIANT = param("AE_VARIANT", full="shallow", small="shallow")  # "shallow" or "deep"; see exercise 2
# per-variant recipe: the deep network costs 15-20x more per image, needs fewer epochs and a smaller step
AE_RECIPES = {"shallow": {"max_iter": 6, "learning_rate": 5e-3}, "deep": {"max_iter": 3, "learning_rate": 1e-3}}
if AE_VARIANT not in AE_RECIPES:
    raise ValueError(f"LSHLAB_AE_VARIANT must be one of {sorted(AE_RECIPES)}, got {AE_VARIANT!r}")
AE_EPOCHS = param("AE_EPOCHS", full=AE_RECIPES[AE_VARIANT]["max_iter"], small=3)
AE_LR = param("AE_LR", full=AE_RECIPES[AE_VARIANT]["learning_rate"])
AE_THREADS = param("AE_THREADS", full=1)  # torch threads; more than the free cores slows training many-fold
LANGEVIN_ITER = param("LANGEVIN_ITER", full=400, small=100)
BITS = [16, 64, 256, 1024, 4096]
CODE_SEEDS = [0, 1, 2]  # three draws of every code: the seed-to-seed spread
JOINT_BITS = 1024  # total bits of the two-view codes (section 7)
K_RETRIEVED = 50
SEED = 0

# %% [markdown]
# ## 1. Features without labels: a convolutional autoencoder
#
# The encoder squeezes a 28 × 28 image through convolutions into `LATENT_DIM` numbers; the decoder must
# rebuild the image from them. Nothing tells it the digit's class: whatever the latent keeps is what the
# pixels need to be redrawn.
#
# Like the study we have a shallow and a deep network. This lecture trains the **shallow** one (two strided
# convolutions each way); the deep one (two 3 × 3 convolutions per scale with batch normalisation, as in
# the study's second architecture) costs 15–20 times more per image and reconstructs MNIST no better at
# this budget — exercise 2 compares them.
#
# **The database order.** `load_dataset` returns the images in the order of the MNIST test file, which is
# not random: its first 5,000 images come from NIST's Special Database 3 (Census Bureau employees), the last
# 5,000 from Special Database 1 (high-school students), and the first half is the cleaner one (LeCun,
# Cortes & Burges, "The MNIST database of handwritten digits"). We shuffle the database once; section 3
# says why that matters.

# %%
ds = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
order = np.random.default_rng(SEED).permutation(len(ds.X_train))
X_db, y_db, X_q, y_q = ds.X_train[order], ds.y_train[order], ds.X_query, ds.y_query
ae = ConvAutoencoder(latent_dim=LATENT_DIM, variant=AE_VARIANT, max_iter=AE_EPOCHS, learning_rate=AE_LR,
                     batch_size=32, random_state=SEED, n_jobs=AE_THREADS)
ae.fit(X_db)
print(f"{AE_VARIANT} autoencoder, training MSE per epoch:", np.round(ae.loss_history_, 4))

# %%
plots.plot_reconstruction_grid(X_q[:10], ae.reconstruct(X_q[:10]), n=10,
                               title="MNIST queries (top) and their autoencoder reconstructions (bottom)");

# %% [markdown]
# The reconstruction error on *unseen* queries is close to the training error, and far below the error of
# predicting the mean image (the best any output that ignores the input can do) or a blank image (the mean
# squared pixel value): the latent vectors carry the image.

# %%
query_mse = ae.reconstruction_error(X_q).mean()
mean_image_mse = ((X_q - X_db.mean(0)) ** 2).mean()
blank_mse = (X_q**2).mean()
print(f"query reconstruction MSE {query_mse:.4f} (last training epoch {ae.loss_history_[-1]:.4f})  vs  "
      f"mean-image MSE {mean_image_mse:.4f}  vs  blank-image MSE {blank_mse:.4f}")
assert ae.loss_history_[-1] < ae.loss_history_[0]
assert query_mse < 0.6 * mean_image_mse < 0.6 * blank_mse

# %% [markdown]
# ## 2. Hashing the latents
#
# The reference is the exact search: Euclidean distance between latent vectors. Three Raginsky hashes
# compete to reproduce it:
#
# - **study kernel**: ω ~ N(0, I), i.e. a Gaussian kernel of bandwidth σ = 1 (the study's untrained choice);
# - **median bandwidth**: σ = the median distance between latents (a standard heuristic);
# - **trained Schoenberg kernel**: Langevin particles (lecture 05) fitted on k-means pseudo-labels of the
#   latents — no class labels are used anywhere.
#
# Each code is drawn with three seeds, so that every comparison below comes with its seed-to-seed spread.

# %%
Z_db, Z_q = ae.encode(X_db), ae.encode(X_q)
D_ref = euclidean_distance_matrix(Z_q, Z_db)
sigma = median_heuristic_bandwidth(Z_db, random_state=SEED)
xi0 = 1 / (2 * sigma**2)
pseudo = kmeans_pseudo_labels(Z_db, n_clusters=2, cluster=0, random_state=SEED)
learner = LangevinKernelLearner(n_particles=64, beta=1e4, learning_rate=0.5 * xi0**2, bounds=(xi0 / 30, 30 * xi0),
                                max_iter=LANGEVIN_ITER, init=np.full(64, xi0), random_state=SEED).fit(Z_db, pseudo)
print(f"median σ = {sigma:.2f};  alignment {learner.alignment_[0]:.3f} → {learner.alignment_[-1]:.3f}")

# %%
STUDY, MEDIAN, TRAINED = "study kernel (σ = 1)", f"median bandwidth (σ = {sigma:.1f})", "trained Schoenberg"
kernels = {STUDY: 1.0, MEDIAN: sigma, TRAINED: learner.kernel_}
codes = {(name, s): encode_pair(ShiftInvariantHash(n_bits=max(BITS), kernel=kernel, random_state=s), Z_db, Z_q)
         for name, kernel in kernels.items() for s in CODE_SEEDS}

# %% [markdown]
# ## 3. Dice and Jaccard against the number of bits
#
# For every query we retrieve the top-k by Euclidean distance and the top-k by Hamming distance, and score
# the overlap. The bits of a Raginsky code are i.i.d., so the first n bits of the 4096-bit code *are* an
# n-bit code: one encoding gives every code length.
#
# **Ties.** A 16-bit code has only 17 possible distances, so the k-th place is shared by many images and
# "the top k" must break ties. `retrieval_overlap_scores` breaks them by database index (`ties="index"`).
# Lecture 02 argued for averaging over tie orders instead; here the database order is a random
# permutation, drawn once and independent of every query and every code, so breaking ties by index *is*
# a uniformly random tie order. Each query's score is then one random draw whose expectation is the
# tie-averaged score, and the mean over queries is unbiased; the tie order adds noise, not bias. (In the
# file order of MNIST, the cleaner first half would win every tie.) The cell after the violins measures
# that noise by re-shuffling the database.

# %%
scores = {key: overlap_scores_by_code_length(D_ref, c.query, c.db, BITS, k=K_RETRIEVED)
          for key, c in tqdm(codes.items(), desc="Dice and Jaccard, 3 kernels × 3 seeds", unit="code")}
fig, axes = plt.subplots(3, 2, figsize=(11, 10), sharey=True, layout="constrained")
for row, name in zip(axes, kernels):
    plots.plot_overlap_violins(scores[name, SEED], axes=row, title=name)
fig.suptitle(f"MNIST latents, top-{K_RETRIEVED}, {N_QUERY} queries, code seed {SEED}");

# %%
mean_dice = {name: {b: np.mean([scores[name, s][b].dice.mean() for s in CODE_SEEDS]) for b in BITS} for name in kernels}
seed_sd = {name: {b: np.std([scores[name, s][b].dice.mean() for s in CODE_SEEDS], ddof=1) for b in BITS}
           for name in kernels}
print(f"{'kernel':30s}" + "".join(f"{b:>14d}" for b in BITS) + "   (mean Dice ± seed s.d.)")
for name in kernels:
    print(f"{name:30s}" + "".join(f"{mean_dice[name][b]:8.3f} ±{seed_sd[name][b]:.3f}" for b in BITS))

# %%
b0, rng = BITS[0], np.random.default_rng(SEED + 1)
c16 = codes[TRAINED, SEED].prefix(b0)
reshuffled = []
for _ in range(5):
    p = rng.permutation(len(Z_db))
    reshuffled.append(retrieval_overlap_scores(D_ref[:, p], code_distances(CodePair(c16.query, c16.db[p])), K_RETRIEVED))
tie_sd = np.std([r.dice.mean() for r in reshuffled], ddof=1)
print(f"{b0} bits, trained kernel, mean Dice under 5 random database orders: "
      f"{np.round([r.dice.mean() for r in reshuffled], 4)}, s.d. {tie_sd:.4f} "
      f"(seed-to-seed s.d. of the code: {seed_sd[TRAINED][b0]:.4f})")

# %%
chance = K_RETRIEVED / N_DATABASE
vs_median = {b: paired_comparison([scores[TRAINED, s][b].dice for s in CODE_SEEDS],
                                  [scores[MEDIAN, s][b].dice for s in CODE_SEEDS]) for b in BITS}
for b in BITS:
    print(f"{b:5d} bits: {vs_median[b].describe('trained', 'median')}")
ahead = [b for b in BITS if vs_median[b].verdict == "A"]
behind = [b for b in BITS if vs_median[b].verdict == "B"]
display(Markdown(f"""**What the numbers say.**
- The study's kernel is *flat at chance*: its mean Dice stays at {min(mean_dice[STUDY].values()):.4f}–{max(mean_dice[STUDY].values()):.4f}
  for every code length, against k / N = {chance:.4f} for a random set. With σ = 1 and latent distances around
  {np.median(D_ref):.0f}, K(‖x − y‖) ≈ 0 for every pair, every bit is a fair coin whatever the two images are, and the
  Hamming top-k is a random set — the flat cloud of the study's scatter plots, where the Hamming distance hardly
  moves as the Euclidean distance grows.
- A bandwidth on the scale of the data fixes that, and then the scores rise with the number of bits
  (median bandwidth: {mean_dice[MEDIAN][BITS[0]]:.3f} at {BITS[0]} bits → {mean_dice[MEDIAN][BITS[-1]]:.3f} at {BITS[-1]}),
  since more bits approximate the kernel better.
- Trained against median bandwidth, paired over three code seeds and {N_QUERY} queries: the trained kernel is ahead
  at {', '.join(map(str, ahead)) or 'no'} bits, behind at {', '.join(map(str, behind)) or 'no'} bits, and too close to call at
  the others. At {BITS[0]} bits the seed-to-seed s.d. of a mean Dice is {max(seed_sd[n][BITS[0]] for n in (MEDIAN, TRAINED)):.3f}
  and the tie order adds {tie_sd:.4f}: differences smaller than that are luck.
- Dice and Jaccard always agree, since D = 2J/(1+J) is increasing in J.
"""))

# %%
for key, by_bits in scores.items():
    np.testing.assert_allclose(by_bits[BITS[-1]].dice, 2 * by_bits[BITS[-1]].jaccard / (1 + by_bits[BITS[-1]].jaccard))
print(f"study kernel: largest |mean Dice − chance| = {max(abs(v - chance) for v in mean_dice[STUDY].values()):.4f}")
assert all(abs(mean_dice[STUDY][b] - chance) < 0.03 for b in BITS)
for name in (MEDIAN, TRAINED):
    means = [mean_dice[name][b] for b in BITS]
    assert means[-1] > means[0] + 0.3, (name, means)
    assert all(b > a for a, b in zip(means, means[1:])), (name, means)
vs_study = {b: paired_comparison([scores[TRAINED, s][b].dice for s in CODE_SEEDS],
                                 [scores[STUDY, s][b].dice for s in CODE_SEEDS]) for b in BITS}
assert all(vs_study[b].verdict == "A" for b in BITS)
assert tie_sd < 0.02  # the tie order is noise far below the effects the lecture reads

# %% [markdown]
# ## 4. Scores against the number of retrieved images
#
# At a fixed code length, how do the scores depend on k? Small k asks the hash to reproduce the very top
# of the ranking, which is the hardest part. Dice (left) and Jaccard (right) side by side, as in the
# study's figures.

# %%
ks = [5, 10, 20, 50, 100, 200]
by_k = {}
for name in kernels:
    D_code = code_distances(codes[name, SEED].prefix(1024))  # the first 1,024 bits are a 1,024-bit code
    by_k[name] = [retrieval_overlap_scores(D_ref, D_code, k) for k in ks]
plots.plot_dice_jaccard_vs_retrieved(ks, by_k, note="1024 bits, MNIST latents");

# %%
tr = {k: v for k, v in zip(ks, by_k[TRAINED])}
display(Markdown(f"""**What the numbers say.** With the trained kernel at 1024 bits, mean Dice goes from
{tr[ks[0]].dice.mean():.3f} at k = {ks[0]} to {tr[ks[-1]].dice.mean():.3f} at k = {ks[-1]} (Jaccard
{tr[ks[0]].jaccard.mean():.3f} → {tr[ks[-1]].jaccard.mean():.3f}). The exact top few are the hardest to reproduce:
near the top the Euclidean distances of the candidates are close together, and the Hamming distance — a
binomial estimate of the kernel distance — cannot order them finely."""))
assert tr[ks[0]].dice.mean() < tr[ks[-1]].dice.mean()

# %% [markdown]
# ## 5. What is retrieved: collages
#
# The study shows its results as collages: a query slice and the slices each method returns. Here: two
# queries, the exact Euclidean top 8 in latent space, and the Hamming top 8 of the trained kernel's code at
# 64 and at 1024 bits (ties by the shuffled database order). The digit labels only colour the frames (green:
# same digit, red and faded: another digit); nothing was trained with them. Most rows are all green (the
# precision@8 of the 1024-bit code is printed below), so the two queries are *chosen* among those where the
# 64-bit code returns both right and wrong digits.

# %%
top8 = lambda c, q: HammingIndex(c.db).search(c.query[q], 8)[1]  # noqa: E731
rank_all = {"Euclidean\n(latents)": brute_force_knn(Z_db, Z_q, 8)[1]}
rank_all.update({f"Hamming\n{n} bits": top8(codes[TRAINED, SEED].prefix(n), slice(None)) for n in (64, 1024)})
p8 = {label: (y_db[idx] == y_q[:, None]).mean(axis=1) for label, idx in rank_all.items()}
print("mean precision@8:", ", ".join(f"{label.replace(chr(10), ' ')} {v.mean():.3f}" for label, v in p8.items()))
mixed = np.flatnonzero((p8["Hamming\n64 bits"] >= 0.25) & (p8["Hamming\n64 bits"] <= 0.75))
show = list(mixed[:2]) if len(mixed) >= 2 else [0, 1]
rank = {label: idx[show] for label, idx in rank_all.items()}
plots.plot_retrieval_comparison(X_q[show], X_db, rank, y_q[show], y_db,
                                title="MNIST: exact search in latent space vs the trained kernel's codes");

# %% [markdown]
# ## 6. Explore
#
# Move the number of bits and k: the histograms show every query's score for the trained kernel.

# %%
trained_codes = codes[TRAINED, SEED]
overlap_explorer(D_ref, trained_codes.query, trained_codes.db, bits=BITS, ks=(10, 50, 100))

# %% [markdown]
# ## 7. Joint retrieval on two views
#
# The study retrieves on a CT slice *and* its dose distribution together: it hashes both and concatenates
# the codes (its Figure 19; the caption under that figure, copied from Figure 18, says "without including
# their isodose contours" — see `notebooks/errata.md`). We have one image, so we take two **views** of it: the autoencoder latent (what the pixels
# need to be redrawn) and the HOG descriptor of lecture 11 (edge directions per cell). Each view gets its own
# Raginsky code with a median-heuristic bandwidth; the joint code is the concatenation of the first
# `JOINT_BITS / 2` bits of each. Its Hamming distance is the *sum* of the two views' Hamming distances, so it
# estimates a sum of the two kernel distances, with the views weighted by their share of bits.
#
# Measured, at the same total of `JOINT_BITS` bits: for each code, the Dice of its top-k against the exact
# top-k of *each* view, and — with the digit labels as an outside check — the precision of its top 10.

# %%
H_db, H_q = hog_features(X_db), hog_features(X_q)
views = {"latent": (Z_db, Z_q), "HOG": (H_db, H_q)}
exact_top = {v: euclidean_distance_matrix(q, d) for v, (d, q) in views.items()}
view_codes = {v: encode_pair(ShiftInvariantHash(JOINT_BITS, kernel=median_heuristic_bandwidth(d, random_state=SEED),
                                                random_state=SEED), d, q) for v, (d, q) in views.items()}
half = {v: c.prefix(JOINT_BITS // 2) for v, c in view_codes.items()}
two_view = {"latent code": view_codes["latent"], "HOG code": view_codes["HOG"],
            "joint code": CodePair(np.hstack([half["latent"].query, half["HOG"].query]),
                                   np.hstack([half["latent"].db, half["HOG"].db]))}

# %%
joint = {}
for name, c in two_view.items():
    D_code = code_distances(c)
    joint[name] = {f"Dice vs exact {v}": retrieval_overlap_scores(D, D_code, K_RETRIEVED).dice for v, D in exact_top.items()}
    top10 = np.argsort(D_code, axis=1, kind="stable")[:, :10]
    joint[name]["precision@10 (labels)"] = (y_db[top10] == y_q[:, None]).mean(axis=1)
cols = list(joint["joint code"])
print(f"{JOINT_BITS} bits in total, top-{K_RETRIEVED} for Dice")
print(f"{'':12s}" + "".join(f"{c:>24s}" for c in cols))
for name, row in joint.items():
    print(f"{name:12s}" + "".join(f"{row[c].mean():24.3f}" for c in cols))

# %%
j_vs = {v: paired_comparison(joint["joint code"][f"Dice vs exact {v}"][None],
                             joint[f"{'HOG' if v == 'latent' else 'latent'} code"][f"Dice vs exact {v}"]) for v in views}
cost = {v: paired_comparison(joint[f"{v} code"][f"Dice vs exact {v}"][None], joint["joint code"][f"Dice vs exact {v}"])
        for v in views}
prec = {v: paired_comparison(joint["joint code"]["precision@10 (labels)"][None], joint[f"{v} code"]["precision@10 (labels)"])
        for v in views}
for v in views:
    print(f"Dice vs exact {v}: {j_vs[v].describe('joint', 'other view alone')};  {cost[v].describe(f'{v} alone', 'joint')}")
    print(f"precision@10: {prec[v].describe('joint', f'{v} alone')}")

# %%
say = {"A": "higher than", "B": "lower than", "undecided": "no different (within the 95 % interval) from"}
display(Markdown(f"""**What the numbers say.** Each single-view code reproduces its own view's neighbours, and
much less of the other's: the latent code's top-{K_RETRIEVED} overlaps the exact HOG top-{K_RETRIEVED} with mean Dice
{joint['latent code']['Dice vs exact HOG'].mean():.3f}, the HOG code's overlaps the exact latent top-{K_RETRIEVED}
with {joint['HOG code']['Dice vs exact latent'].mean():.3f}. The joint code keeps much of both: Dice
{joint['joint code']['Dice vs exact latent'].mean():.3f} against the latent neighbours and
{joint['joint code']['Dice vs exact HOG'].mean():.3f} against the HOG neighbours, paying
{cost['latent'].mean:.3f} and {cost['HOG'].mean:.3f} against the single-view code of each view (half the bits per view).
Judged by the labels, the joint code's precision@10 is {say[prec['latent'].verdict]} the latent code's
({prec['latent'].mean:+.3f}) and {say[prec['HOG'].verdict]} the HOG code's ({prec['HOG'].mean:+.3f}). A joint code
answers "similar in both views", which is what the study wants of a CT slice and its dose map."""))
assert all(j_vs[v].verdict == "A" for v in views)  # the joint code keeps each view better than the other view's code

# %% [markdown]
# The collage shows two queries *chosen* where one view's code errs most and the joint code less.

# %%
top_view = {name: top8(c, slice(None)) for name, c in two_view.items()}
pv = {name: (y_db[idx] == y_q[:, None]).mean(axis=1) for name, idx in top_view.items()}
gain = pv["joint code"] - np.minimum(pv["latent code"], pv["HOG code"])  # where one view alone errs and the joint less
show = [int(i) for i in np.argsort(-gain, kind="stable")[:2]]
rank2 = {name.replace(" ", "\n"): idx[show] for name, idx in top_view.items()}
plots.plot_retrieval_comparison(X_q[show], X_db, rank2, y_q[show], y_db,
                                title=f"MNIST: codes of one view vs the joint code, {JOINT_BITS} bits each");

# %% [markdown]
# ## Key takeaways
#
# - Without labels, score a hash by how much of the exact search it reproduces: Dice or Jaccard of the two
#   top-k sets (they rank methods identically, D = 2J/(1+J)).
# - A Gaussian kernel far narrower than the data's distances makes every bit a coin flip: the study's σ = 1
#   kernel retrieves at chance. The bandwidth must match the data; training the kernel can add a little.
# - Breaking ties by index is harmless only when the index order is random; shuffle once, or average.
# - Concatenated codes retrieve on two views at once: their Hamming distance adds the views' distances.
#
# ## Exercises
#
# 1. **Pixels instead of latents.** Replace the autoencoder latents by raw pixels (784 dimensions). Do the
#    Dice scores at 1024 bits go up or down, and why does the dimension of the space not enter the
#    collision lemma?
#    <details><summary>Hint</summary>
#    Use `Z_db, Z_q = X_db, X_q` and recompute `D_ref`, `sigma` and the codes. The lemma involves only
#    K(x − y), a function of the distance.
#    </details>
# 2. **The deep autoencoder.** Train the other autoencoder (`LSHLAB_AE_VARIANT=deep`) with the same latent
#    size and compare the training time, the reconstruction error and the Dice scores. Is a better
#    reconstruction a better feature? Then read the docstring of `lshlab.features.autoencoder`: without batch
#    normalisation the deep network used to output a blank image on MNIST. Why is the loss then the mean
#    squared pixel value, and why can training never leave it once the output sigmoid returns exactly 0?
#    <details><summary>Hint</summary>
#    Expect minutes, not seconds: the deep variant costs 15–20× more per image. A blank output predicts 0
#    for every pixel; the sigmoid's derivative at a saturated 0 is 0.
#    </details>
# 3. **SimHash.** Swap the Raginsky codes for SimHash (`lshlab.hashing.RandomHyperplaneHash`) on centred
#    latents. Which reproduces the Euclidean top-k better, and what does SimHash approximate instead?
#    <details><summary>Hint</summary>
#    SimHash's collision probability is 1 − θ/π (lecture 02): it ranks by angle, not by distance. Compare
#    with the Dice against a cosine-similarity top-k.
#    </details>
# 4. **Fashion-MNIST.** Use `load_dataset("fashion-mnist")`: are the scores higher or lower, and does the
#    trained kernel help more or less?
#    <details><summary>Hint</summary>
#    Use `pool="official"` and the same sizes; retrain the autoencoder on the new images.
#    </details>
# 5. **Features or codes?** With labels available (they are, for MNIST), compute the precision of the
#    Euclidean top-k itself. How much of the "error" of the hash is error of the features rather than of
#    the code?
#    <details><summary>Hint</summary>
#    `brute_force_knn(Z_db, Z_q, 10)` gives the exact top 10; compare its label precision with the
#    precision@10 of the 1024-bit code.
#    </details>
# 6. **Weighting the views.** Give the latent view 3/4 of the joint code's bits and HOG 1/4. How do the two
#    Dice scores of the joint code move?
#    <details><summary>Hint</summary>
#    Concatenate `view_codes["latent"].prefix(768)` and `view_codes["HOG"].prefix(256)`.
#    </details>
#
# Worked solutions for exercises 1, 5 and 6: `notebooks/solutions/12_unsupervised_retrieval_dice_jaccard_solutions.py`.
#
# Further reading: Raginsky & Lazebnik, "Locality-sensitive binary codes from shift-invariant kernels"
# (NIPS 2009); Masci, Meier, Cireşan & Schmidhuber, "Stacked convolutional auto-encoders for hierarchical
# feature extraction" (ICANN 2011); L. R. Dice, "Measures of the amount of ecologic association between
# species" (Ecology, 1945); P. Jaccard, "The distribution of the flora in the alpine zone" (New Phytologist,
# 1912).

# %%
print(f"lecture ran in {time.perf_counter() - T_START:.0f} s")
