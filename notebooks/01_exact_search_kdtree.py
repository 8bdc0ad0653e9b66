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
# - **See**: the nearest MNIST neighbours of a few queries (a retrieval collage, right and wrong
#   answers), the cost of brute force growing linearly in the database size n and the dimension d, the
#   cells of a kd-tree on 2-D points, and the fraction of the database a kd-tree must still examine as d
#   grows.
# - **Do**: build a kd-tree (median splits), query it with backtracking, count its work with its visit
#   counters, and compare it with brute force and scikit-learn on real data projected to d dimensions.
# - **Learn**: brute force costs O(m·n·d) for m queries — and not more for larger k; a kd-tree prunes
#   cells that cannot contain a closer point, which works wonderfully in 2-D and collapses in high
#   dimension — the *curse of dimensionality* that motivates the hashing methods of the following
#   lectures.
# - **Need**: numpy and basic geometry. MNIST is read from the test split (`pool="test"`: database and
#   queries are disjoint parts of it).
#
# **Run time**: about a minute at full size on a 2-core machine (most of it repeated timings), about 15 s at
# the small size.

# %%
from timeit import repeat

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from sklearn.decomposition import PCA
from sklearn.neighbors import KDTree as SklearnKDTree

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.evaluation import mixed_result_queries
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
N_REPEAT = param("N_REPEAT", full=5, small=3)  # timings: the best of this many runs, after a warm-up
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
# A retrieval collage: each row is a query followed by its nearest database images, best first; results
# of the wrong class are faded with a red frame. Most queries get an all-correct list, so the rows
# below are **chosen to show mistakes** (`mixed_result_queries` picks queries whose list holds right and
# wrong answers); the precision over *all* queries follows the figure.

# %%
rows = mixed_result_queries(yq, y, idx[:, :8], n=4)
plots.plot_retrieval_collage(Q[rows], X, idx[rows, :8], yq[rows], y, data.image_shape, n_show=4,
                             title="Exact Euclidean search: rows chosen to show mistakes");

# %%
correct = y[idx] == yq[:, None]
precision_top_k = correct.mean()
D = euclidean_distance_matrix(Q, X)
relevant = relevance_from_labels(yq, y)
assert np.isclose(precision_at_k(D, relevant, K, ties="index").mean(), precision_top_k)
display(Markdown(
    f"**What the numbers say.** Exact Euclidean search puts the right digit in **{precision_top_k:.1%}** of "
    f"the top-{K} places (mean precision@{K} over {len(Q)} queries); {correct.all(axis=1).mean():.0%} of "
    f"the queries get an all-correct list and {(~correct[:, 0]).mean():.1%} a wrong *first* neighbour. "
    "The mistakes in the collage are digits whose ink overlaps the query's: pixel distance measures "
    "overlapping strokes, not the identity of the digit."))

# %% [markdown]
# ### The cost of brute force
#
# m queries against n points in d dimensions cost m·n·d multiply–adds. We time brute force for growing
# database sizes (d = 784) and for growing dimensions (the first d PCA coordinates, n fixed). Timings on a shared
# machine are noisy, so each point is the **best of `N_REPEAT` runs after a warm-up run** (the first call
# of a routine pays for memory allocation and thread start-up, and would otherwise show as a spike).

# %%
def best_time(f):
    """Seconds of the least disturbed of N_REPEAT runs of f(), after one warm-up run."""
    f()
    return min(repeat(f, number=1, repeat=N_REPEAT))


sizes = [n for n in (500, 1000, 2000, 4000, 8000) if n <= N_DATABASE]
times_n = [best_time(lambda: brute_force_knn(X[:n], Q, K)) for n in sizes]
pca = PCA(random_state=SEED).fit(X)  # all 784 components: a rotation, coordinates by decreasing variance
Xp, Qp = pca.transform(X).astype(np.float32), pca.transform(Q).astype(np.float32)
DIMS_TIME = [98, 196, 392, 588, 784]
times_d = []
for d in DIMS_TIME:
    Xd, Qd = np.ascontiguousarray(Xp[:, :d]), np.ascontiguousarray(Qp[:, :d])
    times_d.append(best_time(lambda: brute_force_knn(Xd, Qd, K)))
times_k = {k: best_time(lambda: brute_force_knn(X, Q, k)) for k in (1, 10, 100)}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
plots.plot_search_time(sizes, times_n, ax=axes[0], title=f"Brute force, d = 784, m = {len(Q)}")
plots.plot_search_time(DIMS_TIME, times_d, ax=axes[1], xlabel="dimension d", var="d",
                       title=f"Brute force, n = {len(X)}, m = {len(Q)}");

# %%
slope_n, icpt_n = np.polyfit(sizes, 1e3 * np.array(times_n), 1)
display(Markdown(
    f"**What the numbers say.** From n = {sizes[0]:,} to n = {sizes[-1]:,} ({sizes[-1] // sizes[0]}× more "
    f"points) the time grew {times_n[-1] / times_n[0]:.1f}×. The fitted line a + b·n has a fixed part "
    f"a = {icpt_n:.1f} ms (allocation, threads, the selection of the k best) and a part b·n that grows in "
    f"proportion to n: {slope_n * 1000:.1f} ms per 1,000 database images for {len(Q)} queries. Along d "
    f"the same picture: from d = {DIMS_TIME[0]} to {DIMS_TIME[-1]} the time grew "
    f"{times_d[-1] / times_d[0]:.1f}× for {DIMS_TIME[-1] / DIMS_TIME[0]:.0f}× more coordinates — a fixed part "
    f"(the selection among n distances does not depend on d) plus the matrix product, which grows with d. "
    f"More neighbours cost little: k = 1, 10, 100 took {times_k[1] * 1e3:.0f}, "
    f"{times_k[10] * 1e3:.0f} and {times_k[100] * 1e3:.0f} ms — k = 100 costs "
    f"{times_k[100] / times_k[1]:.1f}× k = 1, far from 100×: the distances are computed once, and selecting "
    "the k smallest of n numbers (a partial sort, `argpartition`) is O(n) whatever k is."))

# %% [markdown]
# A note on a formula you may meet: lecture slides on content-based retrieval (Khuzani, Ye, Napel &
# Xing, "Locally sensitive hashing for the content based image retrieval", Stanford, 2020) state that
# "the complexity of k-NN using Euclidean distance is O(mdk), where m is the size of the database and d
# the dimension". Per query the distances cost O(m·d) and the selection of the k nearest O(m) (a
# partial sort) or O(m log k) (a heap) — not a factor k on top of the distance computation, as the
# timings for k = 1, 10, 100 above show. (We do not assert wall-clock times: on a shared 2-core
# machine they vary by tens of percent from run to run, more when other programs run; the operation
# counts of section 3 are exact and are asserted.)
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
fig, axes = plt.subplots(1, 2, figsize=(10, 5), layout="constrained")
plots.plot_kdtree_partition(tree2, ax=axes[0], max_depth=1, title="First two splits")
plots.plot_kdtree_partition(tree2, ax=axes[1], title="All splits");

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
plots.plot_kdtree_partition(tree2, query=q2[0], radius=d2[0, -1], title="Query (star), 3-NN radius");

# %%
display(Markdown(
    f"**What the numbers say.** The query visited {stats.nodes_visited[0]} of {len(tree2.nodes)} nodes and "
    f"{stats.leaves_visited[0]} of {len(tree2.leaves())} leaves, and computed {stats.distance_computations[0]} "
    f"of {N_2D} distances: backtracking opened only the cells the dashed circle crosses."))

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
    t_tree = best_time(lambda: sk.query(Qp[:, :d].astype(np.float64), K))
    speedup.append(best_time(lambda: brute_force_knn(Xp[:, :d], Qp[:, :d], K)) / t_tree)
for d, f, s in zip(DIMS, fraction, speedup):
    print(f"d = {d:3d}: fraction examined {f:6.3f}   speed-up of sklearn KDTree over brute force {s:6.2f}x")

# %%
plots.plot_cost_vs_dimension(DIMS, fraction, speedup);

# %%
half = next((d for d, f in zip(DIMS, fraction) if f > 0.5), None)
display(Markdown(
    f"**What the numbers say.** In 2-D the tree compares each query with {fraction[0] * len(X):.0f} of "
    f"{len(X):,} points ({fraction[0]:.1%}); at d = {DIMS[-1]} with {fraction[-1]:.0%} of them"
    + (f", and from d = {half} on with more than half." if half else ".")
    + f" The compiled tree is {speedup[0]:.0f}× faster than brute force in 2-D and "
    + (f"{speedup[-1]:.1f}× at d = {DIMS[-1]}" if speedup[-1] >= 1 else f"{1 / speedup[-1]:.1f}× *slower* at d = {DIMS[-1]}")
    + ". In high dimension the ball around the query that holds its k nearest neighbours is almost as "
    "wide as the data along every coordinate, so it crosses nearly every cell and nothing can be pruned; "
    "the tree then does the brute-force work *plus* its traversal overhead."))

# %% [markdown]
# The claims, as asserts on the exact counters (not on timings): the tree prunes almost everything in
# 2-D, pruning collapses at d = 64, and the work grows with d (allowing 0.02 of slack between neighbouring
# dimensions: the counts are averages over the queries, and two adjacent PCA dimensions can swap by a
# little).

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
# ## Key takeaways
#
# - Retrieval by content is k-nearest-neighbour search; brute force is exact, simple and costs m·n·d
#   (one matrix product), linear in the database size and in the dimension, and hardly more for larger k.
# - A kd-tree splits at medians and prunes cells farther than the current k-th distance; it is exact.
# - In 2-D it examines a few dozen points out of thousands; beyond a few tens of dimensions it examines
#   most of the database and is slower than brute force: the curse of dimensionality.
# - Exact search in high dimension therefore stays linear; the following lectures give up exactness
#   for speed — hashing similar items into the same buckets (lecture 02) and comparing short codes.
#
# ## Exercises
#
# 1. **Leaf size.** Change `LEAF_SIZE` (2, 10, 50). How do the fraction examined and the build time
#    change? Why is a larger leaf sometimes faster in practice even though it scans more points?
#
#    <details><summary>Hint</summary>Build a `KDTree` for each leaf size at d = 8, time the build and the
#    search with `best_time`, and read `query_stats.distance_computations` and `nodes_visited`: scanning a
#    leaf is one vectorised distance computation, visiting a node is Python work.</details>
#
# 2. **Random projections.** Replace PCA by a random projection to d dimensions (a Gaussian matrix
#    G ∈ ℝ^{784×d}, X ↦ XG). Is the curse of dimensionality a property of the data or of the projection?
#
#    <details><summary>Hint</summary>PCA puts most of the variance in the first coordinates, so the tree
#    splits first where the data spread most. A random projection spreads the variance evenly: compare the
#    fraction examined at each d for both.</details>
#
# 3. **Uniform points vs MNIST.** Uniform random points in [0, 1]ᵈ versus MNIST: at which d does the
#    kd-tree stop pruning (more than half examined) for each? MNIST has a low *intrinsic* dimension —
#    what does that predict?
#
#    <details><summary>Hint</summary>Use the same n and the same queries count; for uniform data draw the
#    queries uniformly too. Compare `fraction` curves on one plot.</details>
#
# 4. **Approximate search.** Accept an approximate answer: stop backtracking after visiting a fixed
#    number of leaves. Measure recall@10 against the number of leaves. This is the idea behind randomized
#    kd-forests (FLANN).
#
#    <details><summary>Hint</summary>Write your own descent: go down to the query's leaf, keep a priority
#    queue of unopened siblings ordered by their distance to the query, and open at most L leaves. Recall
#    = fraction of the true 10-NN (from `brute_force_knn`) found.</details>
#
# Worked solutions to exercises 1–3: `notebooks/solutions/01_exact_search_kdtree_solutions.py`.
#
# **Further reading.** J. L. Bentley, "Multidimensional binary search trees used for associative
# searching", CACM 1975; J. H. Friedman, J. L. Bentley, R. A. Finkel, "An algorithm for finding best
# matches in logarithmic expected time", ACM TOMS 1977; R. Weber, H.-J. Schek, S. Blott, "A quantitative
# analysis and performance study for similarity-search methods in high-dimensional spaces", VLDB 1998.
