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
# # Lecture 12 — worked solutions
#
# Solutions to exercises 1 (pixels instead of latents), 5 (features or codes?) and 6 (weighting the views)
# of lecture 12. Same data, shuffle and parameter cell as the lecture; `LSHLAB_SIZE=small` runs everything
# small. The autoencoder is retrained here (about 40 s at full size).

# %%
from lshlab.config import param

N_DATABASE = param("N_DATABASE", full=9000, small=2000)
N_QUERY = param("N_QUERY", full=1000, small=400)
LATENT_DIM = 32
AE_EPOCHS = param("AE_EPOCHS", full=6, small=3)
N_BITS = 1024
JOINT_BITS = 1024
K_RETRIEVED = 50
SEED = 0

# %%
import numpy as np
from IPython.display import Markdown, display

from lshlab.evaluation import paired_comparison
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.evaluation import CodePair, code_distances, encode_pair
from lshlab.features import ConvAutoencoder, hog_features
from lshlab.hashing import ShiftInvariantHash
from lshlab.kernels import median_heuristic_bandwidth
from lshlab.metrics import retrieval_overlap_scores
from lshlab.search import brute_force_knn

ds = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
order = np.random.default_rng(SEED).permutation(len(ds.X_train))
X_db, y_db, X_q, y_q = ds.X_train[order], ds.y_train[order], ds.X_query, ds.y_query
ae = ConvAutoencoder(latent_dim=LATENT_DIM, variant="shallow", max_iter=AE_EPOCHS, learning_rate=5e-3,
                     batch_size=32, random_state=SEED, n_jobs=1).fit(X_db)
Z_db, Z_q = ae.encode(X_db), ae.encode(X_q)


def dice_at(F_db, F_q, n_bits=N_BITS, k=K_RETRIEVED):
    """Mean-heuristic Raginsky code of the features; per-query Dice of its top-k against the exact top-k."""
    sigma = median_heuristic_bandwidth(F_db, random_state=SEED)
    codes = encode_pair(ShiftInvariantHash(n_bits, kernel=sigma, random_state=SEED), F_db, F_q)
    return retrieval_overlap_scores(euclidean_distance_matrix(F_q, F_db), code_distances(codes), k).dice, codes


# %% [markdown]
# ## Exercise 1 — Pixels instead of latents
#
# The collision lemma of Raginsky & Lazebnik (NIPS 2009) gives P[h(x) ≠ h(y)] as a function of
# K(x − y) alone, and K depends on x − y only through ‖x − y‖ for a Gaussian kernel: the dimension of the
# space never appears. What the dimension changes is the *distribution* of distances.

# %%
dice_pix, _ = dice_at(X_db, X_q)
dice_lat, _ = dice_at(Z_db, Z_q)
D_pix = euclidean_distance_matrix(X_q, X_db)
D_lat = euclidean_distance_matrix(Z_q, Z_db)
spread = {name: np.median(np.sort(D, axis=1)[:, K_RETRIEVED] / np.median(D, axis=1))
          for name, D in (("pixels", D_pix), ("latents", D_lat))}
diff = paired_comparison(dice_pix[None], dice_lat)
display(Markdown(f"""Mean Dice at {N_BITS} bits, top-{K_RETRIEVED}: pixels {dice_pix.mean():.3f}, latents
{dice_lat.mean():.3f} ({diff.describe('pixels', 'latents')}). Why: the hash reproduces the exact ranking only as
finely as it can tell distances apart, and what matters is how far the k-th neighbour is from the bulk. The
distance to the {K_RETRIEVED}-th neighbour divided by the median distance is {spread['pixels']:.2f} for pixels and
{spread['latents']:.2f} for latents (median over queries): {'pixels' if spread['pixels'] < spread['latents'] else 'latents'}
separate the top-{K_RETRIEVED} from the rest more clearly, and the Hamming distance, a noisy estimate of the kernel
distance, then recovers more of it. The 784 dimensions themselves play no part."""))

# %% [markdown]
# ## Exercise 5 — Features or codes?
#
# The labels measure two different errors: the exact latent search can retrieve other digits (an error of
# the *features*), and the code can miss the exact neighbours (an error of the *code*).

# %%
_, codes_lat = dice_at(Z_db, Z_q)
top_exact = brute_force_knn(Z_db, Z_q, 10)[1]
top_code = np.argsort(code_distances(codes_lat), axis=1, kind="stable")[:, :10]
p_exact = (y_db[top_exact] == y_q[:, None]).mean(axis=1)
p_code = (y_db[top_code] == y_q[:, None]).mean(axis=1)
gap = paired_comparison(p_exact[None], p_code)
display(Markdown(f"""Precision@10 by the digit labels: exact latent search {p_exact.mean():.3f}, the {N_BITS}-bit code
{p_code.mean():.3f}. Of the code's shortfall from a perfect 1.000, {1 - p_exact.mean():.3f} is already in the features
(the exact search makes it) and {gap.mean:.3f} ± {gap.se:.3f} is added by the code. With a good bandwidth and
{N_BITS} bits, {'most' if gap.mean < 1 - p_exact.mean() else 'less than half'} of the error is the features'."""))
assert gap.mean > -2 * gap.se  # hashing does not make the exact search's neighbours *more* often right

# %% [markdown]
# ## Exercise 6 — Weighting the views
#
# The joint code's Hamming distance is d_latent + d_HOG over the bits each view contributes, so the share
# of bits is the weight of each view.

# %%
H_db, H_q = hog_features(X_db), hog_features(X_q)
exact = {"latent": D_lat, "HOG": euclidean_distance_matrix(H_q, H_db)}
view_codes = {"latent": dice_at(Z_db, Z_q, JOINT_BITS)[1], "HOG": dice_at(H_db, H_q, JOINT_BITS)[1]}
rows = {}
for share in (0.25, 0.5, 0.75):
    n_lat = int(share * JOINT_BITS)
    a, b = view_codes["latent"].prefix(n_lat), view_codes["HOG"].prefix(JOINT_BITS - n_lat)
    D_code = code_distances(CodePair(np.hstack([a.query, b.query]), np.hstack([a.db, b.db])))
    rows[share] = {v: retrieval_overlap_scores(D, D_code, K_RETRIEVED).dice.mean() for v, D in exact.items()}
display(Markdown("| latent share of the bits | Dice vs exact latent | Dice vs exact HOG |\n|---|---|---|\n" + "\n".join(
    f"| {s:.0%} | {r['latent']:.3f} | {r['HOG']:.3f} |" for s, r in rows.items())
    + "\n\nMore bits for a view bring the joint ranking closer to that view's exact ranking and further from the other's."))
assert rows[0.75]["latent"] > rows[0.5]["latent"] > rows[0.25]["latent"]
assert rows[0.25]["HOG"] > rows[0.5]["HOG"] > rows[0.75]["HOG"]
