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
# # Lecture 09 — worked solutions (small codes: PCAH, ITQ, semantic hashing)
#
# Solutions to exercises 1, 3 and 6 of `09_small_codes.py`. Run time: about 20 s at full size
# (`LSHLAB_SIZE=small`: a few seconds).

# %%
import numpy as np

from lshlab.evaluation import compare_hashers
from lshlab.small_codes import small_code_factories
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.evaluation import encode_pair, score_codes
from lshlab.hashing import ITQHash
from lshlab.metrics import relevance_from_labels

# %%
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=1000, small=200)
SEED = 0

mnist = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
relevant = relevance_from_labels(mnist.y_query, mnist.y_train)

# %% [markdown]
# ## Exercise 1 — ITQ's iterations
#
# `max_iter=0` is the random rotation ITQ starts from. The alternating minimisation is a descent method on
# a non-convex problem: the first iterations take the big steps.

# %%
rows = []
for m in (0, 1, 5, 20, 50):
    model = ITQHash(32, max_iter=m, random_state=SEED).fit(mnist.X_train)
    mean_ap = score_codes(encode_pair(model, mnist.X_train, mnist.X_query), relevant).map
    rows.append((m, model.loss_[-1] / mnist.X_train.shape[0], mean_ap))
    print(f"max_iter = {m:2d}:  loss per image {rows[-1][1]:.2f}   mAP {mean_ap:.3f}")

# %%
loss = np.array([r[1] for r in rows])
maps = np.array([r[2] for r in rows])
share5 = (loss[0] - loss[2]) / (loss[0] - loss[-1])
print(f"the first 5 iterations give {share5:.0%} of the loss drop and "
      f"{(maps[2] - maps[0]) / (maps[-1] - maps[0]):.0%} of the mAP gain")
assert np.all(np.diff(loss) <= 1e-9) and share5 > 0.4 and maps[-1] > maps[0]

# %% [markdown]
# ## Exercise 3 — A bit budget
#
# 16 GB = 1.28·10¹¹ bits for 8·10⁷ images: 1,600 bits per image fit — more than enough for a 32-bit code
# (which takes 320 MB). A linear scan answering in 0.15 s must compare 8·10⁷ / 0.15 ≈ 5·10⁸ codes per
# second: one XOR and one popcount per 32-bit code, which a single core manages at a few 10⁸–10⁹ per
# second (lecture 13 measures it, and avoids the scan with multi-index hashing).

# %%
ram_bits, n_images = 16e9 * 8, 80e6
print(f"bits per image: {ram_bits / n_images:.0f};  32-bit index: {n_images * 4 / 1e6:.0f} MB;  "
      f"codes per second for 0.15 s: {n_images / 0.15:.1e}")
assert ram_bits / n_images == 1600

# %% [markdown]
# ## Exercise 6 — Hamming-ball search
#
# A hash-table lookup with radius r returns every item within Hamming distance r. Useful means: a high
# precision *and* enough recall to fill the answer. At 32 bits a ball of radius 2 holds 1 + 32 + 496 = 529
# of the 2³² codes; what it catches depends on how the code places neighbours.

# %%
factories = {m: f for m, f in small_code_factories(random_state=SEED).items() if m in ("LSH", "PCAH", "ITQ", "SH")}
cmp, _ = compare_hashers(factories, mnist.X_train, mnist.X_train, mnist.X_query, relevant, (32,))
for m in cmp.methods:
    pr = cmp.pr[(m, 32)]
    print(f"{m:5s} radius ≤ 2: precision {pr.precision[2]:.3f}  recall {pr.recall[2]:.4f}")

# %%
recall2 = {m: cmp.pr[(m, 32)].recall[2] for m in cmp.methods}
prec2 = {m: cmp.pr[(m, 32)].precision[2] for m in cmp.methods}
print(f"ITQ's ball catches {recall2['ITQ'] / recall2['LSH']:.0f}× the relevant items of LSH's")
assert recall2["ITQ"] > 3 * max(recall2[m] for m in ("LSH", "PCAH", "SH"))
assert min(prec2.values()) > 0.8

# %% [markdown]
# All four codes are precise within radius 2 (precision is averaged over the queries whose ball is not
# empty), but only ITQ puts a useful share of the relevant images there: its recall at radius 2 is about
# ten times that of LSH, PCAH or SH. A hash table probed within radius 2 would return almost nothing for
# the others — they need longer searches (larger radius) or several tables.
