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
# # Lecture 14 — Random-feature kernel machines
#
# The codes of the earlier lectures were built from random Fourier features cos(ωᵀx + b). The same
# features turn a kernel SVM, whose cost grows with the square of the training set or faster, into a
# *linear* SVM on D features. Which ω we draw decides how good that linear machine is.
#
# **Running time.** About 1½ minutes at full size on an idle 2-core CPU (about 1 CPU-minute: three tasks ×
# five seeds × four numbers of features × four methods, the kernel learning, and the timing of the exact
# SVM up to 4,000 training images); a progress bar counts the tasks. `LSHLAB_SIZE=small` runs in under a
# minute.
#
# ## What you will learn
#
# - why D random features approximate a shift-invariant kernel, and how fast (∝ 1/√D);
# - three ways to choose the features: plain Gaussian sampling (scikit-learn's `RBFSampler`), the
#   importance-sampling scheme of A. Sinha & J. Duchi ("Learning kernels with random features", NIPS 2016),
#   and the Schoenberg kernel learned with Langevin particles (lecture 05; the "proposed" method of
#   M. B. Khuzani, Y. Ye, S. Napel & L. Xing, "A mean-field theory for learning the Schönberg measure of
#   radial basis functions", 2020 — "the source" below);
# - how to compare them honestly: training error, test error *and* fit time against D, on the same split,
#   over several seeds, with the spread of every difference;
# - when the exact kernel SVM is the cheaper choice, measured.
#
# You need lectures 04 and 05. The source's UCI data sets (Buzz, Online News Popularity, Adult, Seizure)
# are not reachable from our machines; `lshlab.data.load_csv_classification` reads them from CSV when you
# have them, and the exercises show how.

# %%
import time

import numpy as np
from IPython.display import Markdown, display
from sklearn.datasets import load_breast_cancer
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from tqdm.auto import tqdm

from lshlab import plots
from lshlab.evaluation import paired_comparison
from lshlab.config import param
from lshlab.data import binary_task
from lshlab.kernel_learning import LangevinKernelLearner
from lshlab.kernels import median_heuristic_bandwidth
from lshlab.random_features import RandomFeatureSampler, compare_random_feature_methods, fit_time_vs_n

T_START = time.perf_counter()
plots.set_style()

# %% [markdown]
# One parameter cell: full size by default; `LSHLAB_SIZE=small` (what CI uses) shrinks everything.

# %%
N_TRAIN = param("N_TRAIN", full=1200, small=600)  # MNIST's test split holds 1,991 images of 4 and 9
N_TEST = param("N_TEST", full=700, small=400)
D_MAX = param("D_MAX", full=1024, small=256)
FEATURES = [D for D in (16, 64, 256, 1024, 4096) if D <= D_MAX]
FEATURE_SEEDS = param("N_FEATURE_SEEDS", full=5, small=3)  # draws of the features per method and D
LANGEVIN_ITER = param("LANGEVIN_ITER", full=300, small=80)
TIMING_MAX = param("TIMING_MAX", full=4000, small=1000)  # largest training set timed in section 6
TIMING_SIZES = [TIMING_MAX // 8, TIMING_MAX // 4, TIMING_MAX // 2, TIMING_MAX]
SEED = 0

# %% [markdown]
# ## 1. Random features approximate the kernel
#
# Bochner's theorem writes a shift-invariant kernel as an expectation over its spectral measure ν
# (Rahimi & Recht, "Random features for large-scale kernel machines", NIPS 2007, their eq. 2):
# K(x − x') = E_{ω,b}[2 cos(ωᵀx + b) cos(ωᵀx' + b)], b ~ U[0, 2π). With D samples,
# z(x) = √(2/D) cos(Ωx + b) gives z(x)ᵀz(x') ≈ K(x, x'), a Monte-Carlo average whose error shrinks like 1/√D.

# %%
rng = np.random.default_rng(SEED)
X_demo = rng.normal(size=(200, 10)).astype(np.float32)
sigma_demo = median_heuristic_bandwidth(X_demo)
K_demo = rbf_kernel(X_demo, gamma=1 / (2 * sigma_demo**2))
D_grid = [16, 64, 256, 1024, 4096]
gram_err = []
for D in D_grid:
    Z = RandomFeatureSampler(D, kernel=sigma_demo, random_state=SEED).fit(X_demo).transform(X_demo)
    gram_err.append(np.abs(Z @ Z.T - K_demo).mean())
plots.plot_gram_error(D_grid, gram_err, label="mean |ZZᵀ − K|");

# %%
slope = np.polyfit(np.log(D_grid), np.log(gram_err), 1)[0]
print(f"log-log slope of the Gram error: {slope:.2f} (theory −0.5); error {gram_err[0]:.4f} at D = {D_grid[0]}, "
      f"{gram_err[-1]:.4f} at D = {D_grid[-1]} (ratio {gram_err[0] / gram_err[-1]:.1f}, theory "
      f"{np.sqrt(D_grid[-1] / D_grid[0]):.0f})")
assert -0.65 < slope < -0.35

# %% [markdown]
# ## 2. Three binary tasks
#
# - **MNIST 4 vs 9** — a famously confusable pair (images from the official test split, see the data README);
# - **Fashion-MNIST shirt vs T-shirt** — another hard pair;
# - **breast cancer** (scikit-learn's Wisconsin data, 30 standardised measurements).
#
# Labels are ±1. Every method sees the same train / test split.

# %%
bc = load_breast_cancer()
Xb = StandardScaler().fit_transform(bc.data).astype(np.float32)
yb = np.where(bc.target == 1, 1, -1)
perm = np.random.default_rng(SEED).permutation(len(yb))
cut = int(0.6 * len(yb))
tasks = {
    "MNIST 4 vs 9": binary_task("mnist", 4, 9, N_TRAIN, N_TEST, pool="test", seed=SEED),
    "Fashion shirt vs T-shirt": binary_task("fashion-mnist", 6, 0, N_TRAIN, N_TEST, seed=SEED),
    "breast cancer": (Xb[perm[:cut]], yb[perm[:cut]], Xb[perm[cut:]], yb[perm[cut:]]),
}
{k: (v[0].shape, v[2].shape) for k, v in tasks.items()}

# %% [markdown]
# ## 3. Learning the kernel first
#
# For the "learned Schoenberg" method we run the Langevin particles of lecture 05 on the *training*
# labels: each particle is a Gaussian scale ξ, the kernel is their average exp(−ξ r²), and the drift raises
# the kernel-target alignment. That is Schoenberg's representation ψ(r) = ∫₀^∞ e^{−ξ r²} dμ(ξ) with the
# empirical measure of the particles as μ. (The source's statement of the theorem names the measure μ in the
# formula and ν in the next line, "for a finite positive Borel measure ν"; it is one measure — see
# `notebooks/errata.md`.) The walls sit a factor 30 on either side of the median-heuristic scale
# ξ₀ = 1/(2σ²). The kernel-learning time is reported separately from the classifier's fit time.

# %%
learned, sigmas, learn_time = {}, {}, {}
for name, (Xtr, ytr, Xte, yte) in tasks.items():
    sigma = median_heuristic_bandwidth(Xtr, random_state=SEED)
    xi0 = 1 / (2 * sigma**2)
    t0 = time.perf_counter()
    learner = LangevinKernelLearner(n_particles=64, beta=1e4, learning_rate=0.5 * xi0**2, bounds=(xi0 / 30, 30 * xi0),
                                    max_iter=LANGEVIN_ITER, init=np.full(64, xi0), random_state=SEED).fit(Xtr, ytr)
    learn_time[name] = time.perf_counter() - t0
    learned[name], sigmas[name] = learner, sigma
    print(f"{name:26s} σ = {sigma:6.2f}  alignment {learner.alignment_[0]:.3f} → {learner.alignment_[-1]:.3f}"
          f"  ({learn_time[name]:.1f} s)")

# %% [markdown]
# The alignment rises on every task: the particles found scales that separate the classes better than the
# single median-heuristic Gaussian they started from.

# %%
for name, learner in learned.items():
    assert learner.alignment_[-1] >= learner.alignment_[0] - 1e-3, name

# %% [markdown]
# ## 4. Training error, test error and fit time against the number of features
#
# For each task, each D and each of `N_FEATURE_SEEDS` seeds:
#
# - **RBFSampler + LinearSVC** — scikit-learn's Gaussian features (median-heuristic σ), a linear SVM;
# - **RBFSampler + SGD** — the *same* features, the linear SVM fitted by stochastic gradient descent on the
#   hinge loss (`SGDClassifier`). This row compares two solvers for one fixed kernel. It is **not** the
#   source's "SGD" baseline, which optimises the *kernel* (the feature distribution) by stochastic gradients;
#   our learned-kernel row plays that part, with Langevin dynamics instead;
# - **importance sampling** — candidates from the same Gaussian, re-weighted by their alignment with the
#   labels (budget ρ = 1), then a linear SVM;
# - **learned Schoenberg** — features of the kernel learned in section 3, then a linear SVM.
#
# An exact kernel SVM (scikit-learn's `SVC`, Gaussian kernel, same σ) is the dashed reference line, its fit
# timed like the others. The panels follow the source's figure: errors in the first row, run times below
# (here side by side).

# %%
results, exact = {}, {}
for name, (Xtr, ytr, Xte, yte) in tqdm(tasks.items(), desc="tasks", unit="task"):
    results[name] = [dict(r, seed=s) for s in range(FEATURE_SEEDS) for r in compare_random_feature_methods(
        Xtr, ytr, Xte, yte, n_components=FEATURES, bandwidth=sigmas[name], learned_kernel=learned[name].kernel_,
        random_state=s)]
    t0 = time.perf_counter()
    svc = SVC(kernel="rbf", gamma=1 / (2 * sigmas[name] ** 2)).fit(Xtr, ytr)
    exact[name] = {"fit_time": time.perf_counter() - t0, "train_error": 1 - svc.score(Xtr, ytr),
                   "test_error": 1 - svc.score(Xte, yte)}


def seed_mean(rows):  # one row per (method, D): errors and time averaged over the seeds
    keys = sorted({(r["method"], r["n_components"]) for r in rows}, key=lambda k: (k[0], k[1]))
    return [{"method": m, "n_components": D, **{f: np.mean([r[f] for r in rows if (r["method"], r["n_components"]) == (m, D)])
                                                for f in ("train_error", "test_error", "fit_time")}} for m, D in keys]


for name, rows in results.items():
    plots.plot_error_and_time_vs_features(seed_mean(rows), title=f"— {name}", exact=exact[name])

# %% [markdown]
# A table of the largest D (means over the seeds), beside the exact SVM:

# %%
D_max = max(FEATURES)
print(f"{'task':26s} {'method':24s} {'train err':>9s} {'test err':>9s} {'fit s':>7s}")
for name, rows in results.items():
    for r in seed_mean(rows):
        if r["n_components"] == D_max:
            print(f"{name:26s} {r['method']:24s} {r['train_error']:9.3f} {r['test_error']:9.3f} {r['fit_time']:7.3f}")
    e = exact[name]
    print(f"{name:26s} {'exact SVC':24s} {e['train_error']:9.3f} {e['test_error']:9.3f} {e['fit_time']:7.3f}")

# %% [markdown]
# ## 5. Which feature choice wins, and by how much?
#
# For every task and D, each method's test error minus that of plain Gaussian features
# (RBFSampler + LinearSVC), paired by seed: same seed, same split. The spread is the seed-to-seed spread of
# the difference, so it measures the randomness of the features on *this* test set; a winner is named only
# when the 95 % confidence interval of the difference excludes 0 (a Student t interval: with five seeds it
# reaches ± 2.8 standard errors). The test set's own sampling error, √(p(1 − p)/n) for an error rate p on n
# test images, comes on top when you ask about new data; it is printed with the conclusions.

# %%
def errors(rows, method, D):
    return np.array([r["test_error"] for r in sorted(rows, key=lambda r: r["seed"])
                     if r["method"] == method and r["n_components"] == D])


BASE = "RBFSampler + LinearSVC"
CHALLENGERS = ["RBFSampler + SGD", "importance sampling", "learned Schoenberg"]
diffs = {(name, m, D): paired_comparison(errors(rows, m, D), errors(rows, BASE, D))
         for name, rows in results.items() for m in CHALLENGERS for D in FEATURES}
for name in results:
    for D in (min(FEATURES), D_max):
        for m in CHALLENGERS:
            print(f"{name:26s} D={D:5d}  {diffs[name, m, D].describe(m, 'Gaussian', lower_is_better=True)}")

# %%
def summary(D):
    lines = []
    for name in results:
        won = [f"{m} ({diffs[name, m, D].mean:+.3f})" for m in CHALLENGERS if diffs[name, m, D].verdict == "B"]
        lost = [f"{m} ({diffs[name, m, D].mean:+.3f})" for m in CHALLENGERS if diffs[name, m, D].verdict == "A"]
        lines.append(f"- {name}: lower error than plain Gaussian features: {', '.join(won) or 'none'}; higher: "
                     f"{', '.join(lost) or 'none'}; the rest within the 95 % interval.")
    return "\n".join(lines)


test_se = {name: np.sqrt(exact[name]["test_error"] * (1 - exact[name]["test_error"]) / len(tasks[name][3]))
           for name in results}
gaps = {name: np.mean([r["test_error"] for r in seed_mean(rows) if r["n_components"] == D_max and r["method"] != "RBFSampler + SGD"])
        - exact[name]["test_error"] for name, rows in results.items()}
tally = {v: sum(c.verdict == v for c in diffs.values()) for v in ("B", "A", "undecided")}
at = {name: {(r["method"], f): r[f] for r in seed_mean(rows) if r["n_components"] == D_max for f in ("train_error", "test_error")}
      for name, rows in results.items()}
overfit = [name for name in results if at[name]["learned Schoenberg", "train_error"] < at[name][BASE, "train_error"]
           and diffs[name, "learned Schoenberg", D_max].verdict != "B"]
display(Markdown(f"""**What the numbers say.** Over all {len(diffs)} comparisons (3 tasks × {len(FEATURES)} values of D ×
3 challengers), a challenger has a lower test error than plain Gaussian features in {tally['B']}, a higher one in
{tally['A']}, and is too close to call in {tally['undecided']}. At D = {min(FEATURES)}:

{summary(min(FEATURES))}

and at D = {D_max}:

{summary(D_max)}

The learned Schoenberg kernel at D = {D_max}: training error {', '.join(f"{at[n]['learned Schoenberg', 'train_error']:.3f}" for n in results)}
against {', '.join(f"{at[n][BASE, 'train_error']:.3f}" for n in results)} for Gaussian features, test error
{', '.join(f"{at[n]['learned Schoenberg', 'test_error']:.3f}" for n in results)} against
{', '.join(f"{at[n][BASE, 'test_error']:.3f}" for n in results)} ({', '.join(results)}).
{f"On {', '.join(overfit)} it fits the training images more closely without a lower test error: its scales were tuned to the training labels, and a higher alignment on them (section 3) did not carry over to new images." if overfit else "It does not fit the training images more closely than Gaussian features here."}
At D = {D_max} the LinearSVC machines are {min(gaps.values()):+.3f} to {max(gaps.values()):+.3f} from the exact SVM's test
error (mean over methods). For new data, add each test set's own sampling error:
{', '.join(f"{n} ±{test_se[n]:.3f}" for n in results)} (one standard error of one error rate)."""))

# %% [markdown]
# What we assert, with margins from the measured seed spread: every method improves from the fewest to the
# most features (never significantly worse: the 95 % interval of the difference does not lie above 0), and at the largest D
# the LinearSVC machines come within 0.08 of the exact SVM.

# %%
for name, rows in results.items():
    for m in (BASE, "importance sampling", "learned Schoenberg"):
        gain = paired_comparison(errors(rows, m, min(FEATURES)), errors(rows, m, D_max))
        assert gain.verdict != "B", (name, m, gain.describe(lower_is_better=True))  # more features never significantly worse
        assert errors(rows, m, D_max).mean() <= exact[name]["test_error"] + 0.08, (name, m)
print("largest seed-to-seed s.d. of a test error:",
      f"{max(np.std(errors(rows, m, D), ddof=1) for rows in results.values() for m in [BASE] + CHALLENGERS for D in FEATURES):.3f}")

# %% [markdown]
# For the first task, move the number of features D and the way they are chosen: test error on the left,
# on the right how closely ZZᵀ matches the kernel each method samples from (test errors from the runs above).

# %%
from lshlab.widgets import random_features_explorer

task = next(iter(tasks))
display(random_features_explorer(*tasks[task], bandwidth=sigmas[task], learned_kernel=learned[task].kernel_,
                                 n_components=FEATURES, rows=results[task], random_state=SEED))

# %% [markdown]
# ## 6. When is the exact SVM the expensive one?
#
# Random features are a way to *scale*: their cost grows linearly with the training set, the exact SVM's
# with its square or faster. On our 1,200-image tasks the exact SVM is no slower (the table above). Here
# both are timed on Fashion-MNIST shirt vs T-shirt for growing n (D = 512; best of two fits).

# %%
Xf, yf, _, _ = binary_task("fashion-mnist", 6, 0, max(TIMING_SIZES), 10, seed=SEED)
timing = fit_time_vs_n(Xf, yf, TIMING_SIZES, n_components=512, bandwidth=sigmas["Fashion shirt vs T-shirt"], repeats=2)
n_, t_exact, t_rf = (np.array([r[k] for r in timing]) for k in ("n", "exact_s", "random_features_s"))
slope_exact, slope_rf = (np.polyfit(np.log(n_), np.log(t), 1)[0] for t in (t_exact, t_rf))
cross = n_[np.argmax(t_exact > t_rf)] if (t_exact > t_rf).any() else None
display(Markdown("| n | exact SVC (s) | 512 random features + LinearSVC (s) |\n|---|---|---|\n" + "\n".join(
    f"| {n} | {a:.3f} | {b:.3f} |" for n, a, b in zip(n_, t_exact, t_rf)) + f"""

**What the numbers say.** Log–log slopes of time against n: exact SVC {slope_exact:.2f}, random features
{slope_rf:.2f}. The ratio of the two times goes from {t_exact[0] / t_rf[0]:.2f} at n = {n_[0]} to {t_exact[-1] / t_rf[-1]:.2f} at n = {n_[-1]}:
{f'from n = {cross} on, the exact SVM is the slower one, and the gap grows with n.' if cross is not None else
'at these sizes the exact SVM is never the slower one, but the ratio grows with n.'} At the sizes of the tasks above,
speed is not (yet) a reason to approximate."""))
assert slope_exact > slope_rf + 0.3  # the exact SVM's cost grows faster with n

# %% [markdown]
# ## 7. The source's comparison
#
# The source (Khuzani, Ye, Napel & Xing's slides "Locally sensitive hashing for the content based image
# retrieval", Stanford, July 2020, which summarise their paper; the figure of the classification experiment) plots training and test error
# and run time of the proposed particle method, an SGD-trained kernel and importance sampling on Buzz,
# Online News Popularity, Adult and Seizure, against the number of random features, and reports that the
# learned kernel reaches a lower test error at equal D. Its text gives no numbers, so we compare shapes, not
# values: our section 5 says, from our numbers, where a feature choice wins and by how much. Three
# differences of protocol to keep in mind: the source's "SGD" optimises the kernel (our SGD row does not),
# and the source's problem is the hinge loss with an ℓ2 penalty on the D weights,
# min_{α ∈ ℝᴰ} (1/n) Σ_i max{0, 1 − y_i Σ_k α_k φ(x_i; ω_k)} + (λ/2)‖α‖², while `LinearSVC` minimises
# scikit-learn's default, the *squared* hinge max{0, 1 − y_i f(x_i)}² with the same penalty (a smooth
# variant with the same zero-loss region; our SGD row uses the plain hinge). (The
# source prints α_i inside the sum over k; α ∈ ℝᴰ has one weight per feature, α_k — see `notebooks/errata.md`.)
#
# ## Key takeaways
#
# - D random features approximate a shift-invariant kernel with error ∝ 1/√D; a linear SVM on them
#   approximates the kernel SVM.
# - Compare feature choices paired by seed, and name a winner only beyond the spread: here most differences
#   are a few points or less, and the median-heuristic Gaussian is hard to beat.
# - A better kernel-target alignment on the training labels is not automatically a lower test error.
# - The exact SVM is the better tool at small n; random features win on time once n is in the thousands.
#
# ## Exercises
#
# 1. **The importance-sampling budget.** Set ρ to 0 and to 50 in `compare_random_feature_methods`. Which
#    limit gives back plain Gaussian sampling, and what happens to the error at D = 16?
#    <details><summary>Hint</summary>
#    With ρ = 0 the χ² constraint M‖q‖² − 1 ≤ 0 forces q to be uniform. Pass `rho=0.0`, then `rho=50.0`,
#    and compare the "importance sampling" rows at D = 16 over a few seeds.
#    </details>
# 2. **Another loss.** Replace `LinearSVC` by logistic regression (edit a copy of
#    `compare_random_feature_methods`): do the rankings of the methods change?
#    <details><summary>Hint</summary>
#    `sklearn.linear_model.LogisticRegression(C=1.0, max_iter=1000)` in each pipeline; keep the same seeds
#    and use `paired_comparison` as in section 5.
#    </details>
# 3. **Pseudo-labels.** Learn the kernel on k-means pseudo-labels (`lshlab.kernel_learning.kmeans_pseudo_labels`)
#    instead of the true labels, as the unsupervised retrieval lectures do. How much of the gain remains?
#    <details><summary>Hint</summary>
#    `kmeans_pseudo_labels(Xtr, n_clusters=2, cluster=0, random_state=0)` returns ±1 labels; fit the
#    `LangevinKernelLearner` on them and pass its `kernel_` as `learned_kernel`.
#    </details>
# 4. **The source's data.** If you have one of the source's UCI tables as CSV, load it with
#    `lshlab.data.load_csv_classification(path, label_column=-1)`, standardise the columns and rerun
#    sections 3–5. Does the ordering of the methods match the source's figure?
#    <details><summary>Hint</summary>
#    Map the labels to ±1 and use `StandardScaler` as for the breast-cancer task.
#    </details>
# 5. **The learned scales.** Plot the learned particles' histogram (lecture 05's `plots`) for the
#    breast-cancer task: how many scales does the kernel use?
#    <details><summary>Hint</summary>
#    `plots.plot_particle_histograms(learned["breast cancer"].history_, bounds=...)`.
#    </details>
#
# Worked solutions for exercises 1 and 3: `notebooks/solutions/14_random_features_svm_solutions.py`.
#
# Further reading: Rahimi & Recht, "Random features for large-scale kernel machines" (NIPS 2007);
# Sinha & Duchi, "Learning kernels with random features" (NIPS 2016); Khuzani, Ye, Napel & Xing, "A
# mean-field theory for learning the Schönberg measure of radial basis functions" (arXiv:2006.13330, 2020);
# Dietterich, "Approximate statistical tests for comparing supervised classification learning algorithms"
# (Neural Computation, 1998).

# %%
print(f"lecture ran in {time.perf_counter() - T_START:.0f} s")
