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
# # Lecture 01 — Image retrieval as nearest-neighbour search: brute force and kd-trees
#
# Content-based image retrieval answers "show me the database images that look like this one". Once
# every image is a vector x ∈ ℝᵈ (here: the 784 pixels of an MNIST digit), "looks like" becomes
# "is close in Euclidean distance", and retrieval is **k-nearest-neighbour search**. This lecture does it
# exactly, first by brute force, then with a **kd-tree**, and finds out where the tree stops helping.
#
# ## What you will learn
#
# - **See**: the nearest MNIST neighbours of a few queries (a retrieval collage), the cost of brute force
#   growing linearly in the database size n and the dimension d, the cells of a kd-tree on 2-D points,
#   and the fraction of the database a kd-tree must still examine as d grows.
# - **Do**: build a kd-tree (median splits), query it with backtracking, count its work with its visit
#   counters, and compare it with brute force and scikit-learn on real data projected to d dimensions.
# - **Learn**: brute force costs O(m·n·d) for m queries; a kd-tree prunes cells that cannot contain a
#   closer point, which works wonderfully in 2-D and collapses in high dimension — the *curse of
#   dimensionality* that motivates the hashing methods of the following lectures.
# - **Need**: numpy and basic geometry. MNIST is read from the test split (`pool="test"`: database and
#   queries are disjoint halves of it).

# %%
from timeit import repeat

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import KDTree as SklearnKDTree

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.metrics import precision_at_k, relevance_from_labels
from lshlab.search import KDTree, brute_force_knn

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %% [markdown]
# One parameter cell: full size by default, `LSHLAB_SIZE=small` (what CI sets) shrinks everything, and
# `LSHLAB_<NAME>=…` overrides one value.

# %%
N_DATABASE = param("N_DATABASE", full=9000, small=1500)
N_QUERY = param("N_QUERY", full=200, small=30)
K = param("K", full=10, small=10)
N_2D = param("N_2D", full=60, small=60)
DIMS = [2, 4, 8, 16, 32, 64]
LEAF_SIZE = 10
SEED = 0

# %% [markdown]
# ## 1. Retrieval is nearest-neighbour search
#
# The database holds `N_DATABASE` digits, the queries are other digits. `brute_force_knn` computes every
# query–database distance (one matrix product, ‖q − x‖² = ‖q‖² − 2 qᵀx + ‖x‖²) and keeps the k smallest.

# %%
data = load_dataset("mnist", pool="test", n_train=N_DATABASE, n_query=N_QUERY, seed=SEED)
X, y, Q, yq = data.X_train, data.y_train, data.X_query, data.y_query
dist, idx = brute_force_knn(X, Q, K)
X.shape, Q.shape, dist.shape

# %% [markdown]
# A retrieval collage: each row is a query followed by its k nearest database images. Results of the
# wrong class are greyed out with a red frame. The precision of the top k, averaged over queries, is the
# first number a retrieval system is judged by.

# %%
plots.plot_retrieval_collage(Q, X, idx[:, :8], yq, y, data.image_shape, n_show=5)
plt.show()

# %%
precision_top_k = (y[idx] == yq[:, None]).mean()
D = euclidean_distance_matrix(Q, X)
relevant = relevance_from_labels(yq, y)
print(f"mean precision@{K} of exact Euclidean retrieval: {precision_top_k:.3f}")
assert np.isclose(precision_at_k(D, relevant, K, ties="index").mean(), precision_top_k)

# %% [markdown]
# ### The cost of brute force
#
# m queries against n points in d dimensions cost m·n·d multiply–adds. We time brute force for growing
# database sizes (d = 784) and for growing dimensions (PCA projections, n fixed): both lines should look
# roughly straight, i.e. linear.

# %%
sizes = [n for n in (500, 1000, 2000, 4000, 8000) if n <= N_DATABASE]
best_of_3 = lambda f: min(repeat(f, number=1, repeat=3))  # noqa: E731  (seconds, least disturbed run)
times_n = [best_of_3(lambda: brute_force_knn(X[:n], Q, K)) for n in sizes]
pca = PCA(n_components=max(DIMS), random_state=SEED).fit(X)
Xp, Qp = pca.transform(X).astype(np.float32), pca.transform(Q).astype(np.float32)
times_d = [best_of_3(lambda: brute_force_knn(Xp[:, :d], Qp[:, :d], K)) for d in DIMS]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
axes[0].plot(sizes, np.array(times_n) * 1e3, "o-"); axes[0].set(xlabel="database size n", ylabel="time (ms)", title=f"brute force, d = 784, m = {len(Q)}")
axes[1].plot(DIMS, np.array(times_d) * 1e3, "o-"); axes[1].set(xlabel="dimension d", ylabel="time (ms)", title=f"brute force, n = {len(X)}, m = {len(Q)}")
plt.show()

# %% [markdown]
# (At small d the fixed costs of the matrix product dominate and the curve is flat; the work itself,
# m·n·d, is exactly linear.)
#
# ## 2. A kd-tree on 2-D points
#
# A kd-tree splits the point set at the **median** of one coordinate (here: the coordinate of widest
# spread), then splits each half again, until a cell holds at most `leaf_size` points. We build one on
# `N_2D` points and draw its cells: red lines split x₁, blue lines split x₂; thicker lines are closer to
# the root.

# %%
rng = np.random.default_rng(SEED)
P2 = rng.random((N_2D, 2))
tree2 = KDTree(P2, leaf_size=3)
print(f"{len(tree2.nodes)} nodes, {len(tree2.leaves())} leaves, depth {tree2.depth}")
fig, axes = plt.subplots(1, 2, figsize=(11, 5))
plots.plot_kdtree_partition(tree2, ax=axes[0], max_depth=1, title="first two splits")
plots.plot_kdtree_partition(tree2, ax=axes[1], title="all splits")
plt.show()

# %% [markdown]
# ### Query with backtracking
#
# To answer a query, descend to the leaf whose cell holds it and scan its points; then **backtrack**: a
# sibling cell is opened only if its distance to the query is smaller than the current k-th best
# distance. The dashed circle below has that final radius; only cells it crosses had to be opened.

# %%
q2 = np.array([[0.52, 0.47]])
d2, i2 = tree2.search(q2, k=3)
stats = tree2.query_stats
print(f"3-NN: {i2[0]}, distances {np.round(d2[0], 3)}")
print(f"nodes visited {stats.nodes_visited[0]} of {len(tree2.nodes)}, leaves {stats.leaves_visited[0]} "
      f"of {len(tree2.leaves())}, distances computed {stats.distance_computations[0]} of {N_2D}")
plots.plot_kdtree_partition(tree2, query=q2[0], radius=d2[0, -1], title="query (star) and its 3-NN radius")
plt.show()

# %% [markdown]
# The tree is exact: on the MNIST digits it returns the same neighbours as brute force (and as
# scikit-learn's compiled `KDTree`). Every index of `lshlab.search` answers `search(Q, k)`; our tree also
# answers to `query`, the name scipy and scikit-learn give the same method.

# %%
tree = KDTree(Xp[:, :8], leaf_size=LEAF_SIZE)
dt, it = tree.search(Qp[:, :8], K)
db, ib = brute_force_knn(Xp[:, :8], Qp[:, :8], K)
ds_, is_ = SklearnKDTree(Xp[:, :8].astype(np.float64), leaf_size=LEAF_SIZE).query(Qp[:, :8].astype(np.float64), K)
assert np.array_equal(it, ib), "KDTree and brute force disagree"
assert np.array_equal(it, is_), "KDTree and scikit-learn disagree"
assert np.allclose(dt, db, rtol=1e-4, atol=1e-4)

# %% [markdown]
# ## 3. The curse of dimensionality
#
# Now the real data, projected by PCA to d = 2, 4, …, 64 dimensions. For each d we build a tree and
# count, with its visit counters, how many database points each query had to be compared with. The
# **fraction examined** is the work relative to brute force (1 = no pruning at all). We also time
# scikit-learn's compiled kd-tree against brute force, for the wall-clock view.

# %%
fraction, leaves_frac, speedup = [], [], []
for d in DIMS:
    t = KDTree(Xp[:, :d], leaf_size=LEAF_SIZE)
    t.search(Qp[:, :d], K)
    fraction.append(t.query_stats.distance_computations.mean() / len(X))
    leaves_frac.append(t.query_stats.leaves_visited.mean() / len(t.leaves()))
    sk = SklearnKDTree(Xp[:, :d].astype(np.float64), leaf_size=LEAF_SIZE)
    t_tree = best_of_3(lambda: sk.query(Qp[:, :d].astype(np.float64), K))
    speedup.append(best_of_3(lambda: brute_force_knn(Xp[:, :d], Qp[:, :d], K)) / t_tree)
for d, f, s in zip(DIMS, fraction, speedup):
    print(f"d = {d:3d}: fraction examined {f:6.3f}   speed-up of sklearn KDTree over brute force {s:6.2f}x")

# %%
plots.plot_cost_vs_dimension(DIMS, fraction, speedup)
plt.show()

# %% [markdown]
# In 2-D the tree looks at a few dozen points out of thousands. By d ≈ 32 it examines most of the
# database: in high dimension the ball around the query that holds its k nearest neighbours is almost as
# wide as the data set along every coordinate, so it crosses nearly every cell and nothing can be pruned.
# Worse, the tree then does the brute-force work *plus* its traversal overhead.
# (Wall-clock ratios are best-of-3 timings and jump around on a busy machine; the counters are exact.)

# %%
assert fraction[0] < 0.1, f"in 2-D the tree should examine well under 10% of the points, got {fraction[0]:.3f}"
assert fraction[-1] > 0.5, f"at d={DIMS[-1]} pruning should collapse (> 50% examined), got {fraction[-1]:.3f}"
assert all(b >= a - 0.02 for a, b in zip(fraction, fraction[1:])), "work should grow with d"

# %% [markdown]
# Move the dimension and the leaf size yourself: every leaf size loses its pruning as d grows (the grid is
# measured once when the explorer is built, a few seconds).

# %%
from lshlab.widgets import kdtree_explorer

display(kdtree_explorer(Xp, Qp, dims=DIMS, leaf_sizes=(2, LEAF_SIZE, 50), k=K, random_state=SEED))

# %% [markdown]
# ## Exercises
#
# 1. Change `LEAF_SIZE` (2, 10, 50). How do the fraction examined and the build time change? Why is a
#    larger leaf sometimes faster in practice even though it scans more points?
# 2. Replace PCA by a random projection to d dimensions (`RandomHyperplaneHash.planes_` gives Gaussian
#    directions). Is the curse of dimensionality a property of the data or of the projection?
# 3. Uniform random points in [0, 1]ᵈ versus MNIST: at which d does the kd-tree stop pruning for each?
#    MNIST has a low *intrinsic* dimension — what does that predict?
# 4. Accept an approximate answer: stop backtracking after visiting a fixed number of leaves. Measure
#    recall@10 against the number of leaves. This is the idea behind randomized kd-forests (FLANN).
#
# **Further reading.** J. L. Bentley, "Multidimensional binary search trees used for associative
# searching", CACM 1975; J. H. Friedman, J. L. Bentley, R. A. Finkel, "An algorithm for finding best
# matches in logarithmic expected time", ACM TOMS 1977; R. Weber, H.-J. Schek, S. Blott, "A quantitative
# analysis and performance study for similarity-search methods in high-dimensional spaces", VLDB 1998.
