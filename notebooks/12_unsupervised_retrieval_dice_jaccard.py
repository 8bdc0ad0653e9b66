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
# In the seed study (Khuzani & Xing, CT and radiotherapy-dose retrieval) the images carry no labels:
# features come from a convolutional autoencoder, and there is no "relevant" set to compute precision and
# recall against. The question becomes: **does the hash retrieve the same images as the exact Euclidean
# search in feature space?** The Sørensen–Dice score and the Jaccard index of the two retrieved sets answer it.
#
# ## What you will learn
#
# - to train a convolutional autoencoder and use its latent vectors as image features;
# - to hash the latents with Raginsky codes (lecture 04), with the seed's untrained kernel and with a
#   Schoenberg kernel trained by Langevin particles on k-means pseudo-labels (lecture 05);
# - to score a hash without labels: Dice D = 2|A∩B|/(|A|+|B|) and Jaccard J = |A∩B|/|A∪B| between the
#   Euclidean and the Hamming top-k, per query, for 16 … 4096 bits (violin plots) and against k;
# - that D = 2J/(1+J), so the two scores rank methods identically.
#
# The CT / dose images of the seed are not public: we use **MNIST** (images from the official test split,
# see the data README) as the image database, and say so on every figure. You need lectures 04 and 05.

# %%
import matplotlib.pyplot as plt
import numpy as np

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.evaluation import code_distances, encode_pair
from lshlab.features import ConvAutoencoder
from lshlab.hashing import ShiftInvariantHash
from lshlab.kernel_learning import LangevinKernelLearner, kmeans_pseudo_labels
from lshlab.kernels import median_heuristic_bandwidth
from lshlab.metrics import overlap_scores_by_code_length, retrieval_overlap_scores
from lshlab.widgets import overlap_explorer

plt.rcParams["figure.dpi"] = 90

# %%
N_DATABASE = param("N_DATABASE", full=9000, small=2000)
N_QUERY = param("N_QUERY", full=1000, small=400)
LATENT_DIM = param("LATENT_DIM", full=32, small=32)
AE_VARIANT = param("AE_VARIANT", full="deep", small="shallow")  # "shallow" or "deep"; see exercise 2
# per-variant recipe: the deep network costs 15-20x more per image, needs fewer epochs and a smaller step
AE_RECIPES = {"shallow": {"max_iter": 6, "learning_rate": 5e-3}, "deep": {"max_iter": 3, "learning_rate": 1e-3}}
if AE_VARIANT not in AE_RECIPES:
    raise ValueError(f"LSHLAB_AE_VARIANT must be one of {sorted(AE_RECIPES)}, got {AE_VARIANT!r}")
AE_EPOCHS = param("AE_EPOCHS", full=AE_RECIPES[AE_VARIANT]["max_iter"], small=3)
AE_LR = param("AE_LR", full=AE_RECIPES[AE_VARIANT]["learning_rate"])
AE_THREADS = param("AE_THREADS", full=1)  # torch threads; more than the free cores slows training many-fold
LANGEVIN_ITER = param("LANGEVIN_ITER", full=400, small=100)
BITS = [16, 64, 256, 1024, 4096]
K_RETRIEVED = 50
SEED = 0

# %% [markdown]
# ## 1. Features without labels: a convolutional autoencoder
#
# The encoder squeezes a 28 × 28 image through convolutions into `LATENT_DIM` numbers; the decoder must
# rebuild the image from them. Nothing tells it the digit's class: whatever the latent keeps is what the
# pixels need to be redrawn.
#
# Like the seed study we have a shallow and a deep network. At full size this lecture trains the **deep**
# one: two 3 × 3 convolutions per scale (32, 64, 128 channels) with max-pooling, each followed by batch
# normalisation, then a small MLP to the latent, and the mirror image back up. The small size (CI) trains
# the **shallow** one (two strided convolutions each way), which is 15–20 times cheaper per image.

# %%
ds = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
ae = ConvAutoencoder(latent_dim=LATENT_DIM, variant=AE_VARIANT, max_iter=AE_EPOCHS, learning_rate=AE_LR,
                     batch_size=32, random_state=SEED, n_jobs=AE_THREADS)
ae.fit(ds.X_train)
print(f"{AE_VARIANT} autoencoder, training MSE per epoch:", np.round(ae.loss_history_, 4))

# %%
plots.plot_reconstruction_grid(ds.X_query[:10], ae.reconstruct(ds.X_query[:10]), n=10,
                               title="MNIST queries (top) and their autoencoder reconstructions (bottom)");

# %% [markdown]
# The reconstruction error on *unseen* queries is close to the training error, and far below the error of
# predicting the mean image (the best any output that ignores the input can do) or a blank image (the mean
# squared pixel value): the latent vectors carry the image.

# %%
query_mse = ae.reconstruction_error(ds.X_query).mean()
mean_image_mse = ((ds.X_query - ds.X_train.mean(0)) ** 2).mean()
blank_mse = (ds.X_query**2).mean()
print(f"query reconstruction MSE {query_mse:.4f}  vs  mean-image MSE {mean_image_mse:.4f}"
      f"  vs  blank-image MSE {blank_mse:.4f}")
assert ae.loss_history_[-1] < ae.loss_history_[0]
assert query_mse < 0.6 * mean_image_mse < 0.6 * blank_mse

# %% [markdown]
# ## 2. Hashing the latents
#
# The reference is the exact search: Euclidean distance between latent vectors. Three Raginsky hashes
# compete to reproduce it:
#
# - **seed kernel**: ω ~ N(0, I), i.e. a Gaussian kernel of bandwidth σ = 1 (the seed's untrained choice);
# - **median bandwidth**: σ = the median distance between latents (a standard heuristic);
# - **trained Schoenberg kernel**: Langevin particles (lecture 05) fitted on k-means pseudo-labels of the
#   latents — no class labels are used anywhere.

# %%
Z_db, Z_q = ae.encode(ds.X_train), ae.encode(ds.X_query)
D_ref = euclidean_distance_matrix(Z_q, Z_db)
sigma = median_heuristic_bandwidth(Z_db, random_state=SEED)
xi0 = 1 / (2 * sigma**2)
pseudo = kmeans_pseudo_labels(Z_db, n_clusters=2, cluster=0, random_state=SEED)
learner = LangevinKernelLearner(n_particles=64, beta=1e4, learning_rate=0.5 * xi0**2, bounds=(xi0 / 30, 30 * xi0),
                                max_iter=LANGEVIN_ITER, init=np.full(64, xi0), random_state=SEED).fit(Z_db, pseudo)
print(f"median σ = {sigma:.2f};  alignment {learner.alignment_[0]:.3f} → {learner.alignment_[-1]:.3f}")

# %%
kernels = {"seed kernel (σ = 1)": 1.0, f"median bandwidth (σ = {sigma:.1f})": sigma, "trained Schoenberg": learner.kernel_}
codes = {name: encode_pair(ShiftInvariantHash(n_bits=max(BITS), kernel=kernel, random_state=SEED), Z_db, Z_q)
         for name, kernel in kernels.items()}

# %% [markdown]
# ## 3. Dice and Jaccard against the number of bits
#
# For every query we retrieve the top-k by Euclidean distance and the top-k by Hamming distance, and score
# the overlap. The bits of a Raginsky code are i.i.d., so the first n bits of the 4096-bit code *are* an
# n-bit code: one encoding gives every code length.

# %%
scores = {name: overlap_scores_by_code_length(D_ref, c.query, c.db, BITS, k=K_RETRIEVED) for name, c in codes.items()}
for name, by_bits in scores.items():
    plots.plot_overlap_violins(by_bits, title=f"— {name}, MNIST latents, top-{K_RETRIEVED}")

# %%
print(f"{'kernel':32s}" + "".join(f"{b:>8d}" for b in BITS) + "   (mean Dice)")
for name, by_bits in scores.items():
    print(f"{name:32s}" + "".join(f"{by_bits[b].dice.mean():8.3f}" for b in BITS))

# %% [markdown]
# Read the table before the asserts. The seed's kernel is *flat at chance*: with σ = 1 and latent distances
# in the tens, K(‖x − y‖) ≈ 0 for every pair, every bit is a fair coin whatever the two images are, and the
# Hamming top-k is a random set — its expected Dice is k / N_DATABASE. (This is the flat cloud of the seed's
# Figure 12, where the Hamming distance hardly moves as the Euclidean distance grows.) A bandwidth on the
# scale of the data fixes that, and then the scores rise with the number of bits, since more bits
# approximate the kernel better. The trained kernel is not worse than the untrained ones, up to the luck of
# the draw at 16 bits: there the mean Dice of one random code varies by about ±0.02 from one seed to the
# next, so the trained kernel can land a few hundredths below the median bandwidth (with 256 bits and
# more the spread is about 0.01 or less).
# (Dice and Jaccard always agree, since D = 2J/(1+J) is increasing in J.)

# %%
chance = K_RETRIEVED / N_DATABASE
seed_kernel = scores["seed kernel (σ = 1)"]
assert all(abs(seed_kernel[b].dice.mean() - chance) < 0.03 for b in BITS)
for name, by_bits in scores.items():
    np.testing.assert_allclose(by_bits[BITS[-1]].dice, 2 * by_bits[BITS[-1]].jaccard / (1 + by_bits[BITS[-1]].jaccard))
    if name != "seed kernel (σ = 1)":
        means = [by_bits[b].dice.mean() for b in BITS]
        assert means[-1] > means[0] + 0.3, (name, means)
        assert all(b > a for a, b in zip(means, means[1:])), (name, means)
trained = scores["trained Schoenberg"]
for b in BITS:
    assert trained[b].dice.mean() >= seed_kernel[b].dice.mean()
    slack = 0.05 if b <= 16 else 0.03  # the seed-to-seed spread of a 16-bit code's mean Dice is ~0.02
    assert trained[b].dice.mean() >= scores[f"median bandwidth (σ = {sigma:.1f})"][b].dice.mean() - slack

# %% [markdown]
# ## 4. Scores against the number of retrieved images
#
# At a fixed code length, how do the scores depend on k? Small k asks the hash to reproduce the very top
# of the ranking, which is the hardest part.

# %%
ks = [5, 10, 20, 50, 100, 200]
curves = {}
for name, c in codes.items():
    D_code = code_distances(c.prefix(1024))  # the first 1,024 bits are a 1,024-bit code
    curves[name] = [retrieval_overlap_scores(D_ref, D_code, k).dice for k in ks]
plots.plot_overlap_vs_retrieved(ks, curves, ylabel="Dice score (1024 bits)",
                                title="Dice vs number retrieved — MNIST latents");

# %% [markdown]
# ## 5. Explore
#
# Move the number of bits and k: the histograms show every query's score for the trained kernel.

# %%
trained_codes = codes["trained Schoenberg"]
overlap_explorer(D_ref, trained_codes.query, trained_codes.db, bits=BITS, ks=(10, 50, 100))

# %% [markdown]
# ## Exercises
#
# 1. Replace the autoencoder latents by raw pixels (784 dimensions). Do the Dice scores at 1024 bits go up
#    or down, and why does the dimension of the space not enter the collision lemma?
# 2. Train the other autoencoder (`LSHLAB_AE_VARIANT=shallow` at full size, `deep` at the small size)
#    with the same latent size, and compare the training time, the reconstruction error and the Dice
#    scores. Is a better reconstruction a better feature? Then read the docstring of
#    `lshlab.features.autoencoder`: without batch normalisation the deep network used to output a blank
#    image on MNIST, its loss stuck at the mean squared pixel value. Why is that the loss of a blank image,
#    and why can training never leave it once the output sigmoid returns exactly 0?
# 3. Swap the Raginsky codes for SimHash (`lshlab.hashing.RandomHyperplaneHash`) on centred latents. Which
#    reproduces the Euclidean top-k better, and what does SimHash approximate instead?
# 4. Use Fashion-MNIST (`load_dataset("fashion-mnist")`): are the scores higher or lower, and does the
#    trained kernel help more or less?
# 5. With labels available (they are, for MNIST), compute the precision of the Euclidean top-k itself. How
#    much of the "error" of the hash is error of the features rather than of the code?
#
# Further reading: Raginsky & Lazebnik, "Locality-sensitive binary codes from shift-invariant kernels"
# (NIPS 2009); Masci et al., "Stacked convolutional auto-encoders for hierarchical feature extraction"
# (ICANN 2011); Dice (1945) and Jaccard (1912) for the two set scores.
