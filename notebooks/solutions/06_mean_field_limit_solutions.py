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
# # Lecture 06 — worked solutions
#
# Solutions to exercises 1 (the time step) and 3 (the stationary state) of lecture 06. Same data, pair
# pool and settings as the lecture; `LSHLAB_SIZE=small` runs everything small.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from tqdm.auto import tqdm

from lshlab import plots
from lshlab.config import param
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.kernel_learning import LangevinKernelLearner, PairAlignmentLoss, kmeans_pseudo_labels
from lshlab.meanfield import MeanFieldProblem, meanfield_from_learner, solve_meanfield, wasserstein_to_density

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %%
N_POINTS = param("N_POINTS", full=3000, small=800)
N_PAIRS = param("N_PAIRS", full=2048, small=512)
N_ITER = param("N_ITER", full=100, small=60)
N_CELLS = param("N_CELLS", full=200, small=120)
N_LARGE = param("N_LARGE", full=3000, small=1000)  # the largest cloud of the lecture
BETA = 100.0
SEED = 0

data = load_dataset("mnist", pool="test", n_train=N_POINTS, n_query=10, seed=SEED)
scale = np.sqrt(np.median(euclidean_distance_matrix(data.X_train[:300], data.X_train[:300]) ** 2))
X = data.X_train / scale
y = kmeans_pseudo_labels(X, n_clusters=2, cluster=0, subset=min(N_POINTS, 2000), random_state=SEED)
objective = PairAlignmentLoss(batch_size=None, n_pairs=N_PAIRS, n_eval=4)
start = lambda n, rep=0: np.random.default_rng([n, rep]).uniform(0.0, 0.5, n)  # noqa: E731
T_FINAL = N_ITER * 0.1  # the lecture's final time: N_ITER steps of η = 0.1


def learner(n, eta, beta=BETA, rep=0):
    return LangevinKernelLearner(n_particles=n, init=start(n, rep), beta=beta, learning_rate=eta, reg=0.0,
                                 bounds=(0.0, 5.0), max_iter=int(round(T_FINAL / eta)), objective=objective,
                                 random_state=SEED)


# %% [markdown]
# ## Exercise 1 — The time step
#
# Same final time t = `T_FINAL`, step η = 0.1, 0.05, 0.025 (so 1×, 2×, 4× the iterations), the largest
# cloud of the lecture. The PDE does not depend on η. The gap has two parts: the sampling error of N
# particles (which η does not change) and the bias of the Euler–Maruyama steps. To separate them we also
# measure the gap of N *independent* samples drawn from the PDE density itself (inverse-CDF sampling,
# 20 draws): the typical gap of N points that follow ρ_t exactly.

# %%
pde = meanfield_from_learner(learner(2, 0.1).fit(X, y), n_cells=N_CELLS,
                             rho0=lambda x: (x < 0.5).astype(float))
rho_T = pde.density[-1]
cdf = np.concatenate([[0.0], np.cumsum(rho_T * pde.dx)])
rng = np.random.default_rng(SEED)
iid = [wasserstein_to_density(np.interp(rng.random(N_LARGE), cdf, pde.edges), pde.edges, rho_T) for _ in range(20)]
etas = (0.1, 0.05, 0.025)
gap = {eta: wasserstein_to_density(learner(N_LARGE, eta).fit(X, y).particles_, pde.edges, rho_T)
       for eta in tqdm(etas, desc="step sizes")}
for eta in etas:
    print(f"η = {eta:5.3f}: W1(particles, PDE) = {gap[eta]:.4f}")
print(f"{N_LARGE} independent samples of the PDE density: W1 = {np.mean(iid):.4f} ± {np.std(iid):.4f} (20 draws)")

# %%
fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
ax.plot(etas, [gap[e] for e in etas], "o-", label=f"particles, N = {N_LARGE}")
ax.axhspan(np.mean(iid) - np.std(iid), np.mean(iid) + np.std(iid), color="tab:gray", alpha=0.3,
           label="N independent samples (± sd)")
ax.set_xscale("log", base=2)
ax.set(xlabel="step size η", ylabel="W1 to the PDE density", title="Gap at fixed N against the step",
       ylim=(0, 1.2 * max(max(gap.values()), np.mean(iid) + np.std(iid))))
ax.legend(fontsize="small");

# %%
floor, spread = np.mean(iid), np.std(iid)
display(Markdown(
    f"The gap is {', '.join(f'{gap[e]:.4f}' for e in etas)} for η = {', '.join(map(str, etas))}: no trend beyond "
    f"the noise. {N_LARGE} independent samples of the PDE density are {floor:.4f} ± {spread:.4f} away from it, "
    "and every particle cloud is within that spread: at this N the particles are as close to the PDE as "
    "independent samples, and the bias of the Euler–Maruyama steps (weak order 1: proportional to η) is "
    "still hidden below the sampling error N^(−1/2). To see it, N must grow until the sampling error falls "
    "below the bias — the regime where a fixed η gives the floor the theorem's condition η_N → 0 removes. "
    "(A single cloud per η is one draw: its gap moves by about the spread of the independent samples.)"))
assert all(abs(gap[e] - floor) < 3 * spread for e in etas)  # within 3 sd of the N-sample floor

# %% [markdown]
# ## Exercise 3 — The stationary state
#
# A stationary density of the McKean–Vlasov equation has zero flux everywhere, ρ ∂J + β⁻¹ ∂ρ = 0, so
# ρ_∞ ∝ exp(−β J(ξ; ρ_∞)) — a Gibbs density of the potential it creates itself (a fixed point). We run
# the PDE for a long time at β = 10 and β = 1000 (backward Euler is stable with large steps) and compare
# the final density with exp(−βJ) evaluated at that density.

# %%
fixed_point = {}
for beta in (10.0, 1000.0):
    problem = MeanFieldProblem.from_learner(learner(2, 0.1, beta=beta).fit(X, y), n_cells=N_CELLS)
    run = solve_meanfield(problem, rho0=lambda x: (x < 0.5).astype(float), t_final=500.0, dt=0.5)
    rho = run.density[-1]
    J = problem.first_variation(rho)
    gibbs = np.exp(-beta * (J - J.min()))
    gibbs /= gibbs.sum() * run.dx
    fixed_point[beta] = (run, rho, gibbs, np.abs(rho - gibbs).max() / rho.max())
fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
for beta, (run, rho, gibbs, _) in fixed_point.items():
    ax.plot(run.grid, rho, lw=2, label=f"PDE at t = 500, β = {beta:g}")
    ax.plot(run.grid, gibbs, "k--", lw=1, label=f"exp(−βJ(ξ; ρ)), β = {beta:g}")
ax.set(xlabel="ξ", ylabel="density", xlim=(0, 3), title="Long-time PDE vs its own Gibbs density")
ax.legend(fontsize="small");

# %%
display(Markdown(
    "Largest difference between the long-time density and exp(−βJ(ξ; ρ)), relative to the peak: "
    + ", ".join(f"{err:.1e} at β = {b:g}" for b, (*_, err) in fixed_point.items())
    + ". The final density is (to that accuracy) the Gibbs density of its own potential: a self-consistent "
    "fixed point. At β = 10 it is broad (thermal noise dominates), at β = 1000 sharply peaked where J is "
    "smallest."))
assert all(err < 0.02 for *_, err in fixed_point.values())
widths = {b: np.sqrt(np.sum(r.grid**2 * rho) * r.dx - (np.sum(r.grid * rho) * r.dx) ** 2)
          for b, (r, rho, *_) in fixed_point.items()}
assert widths[10.0] > 3 * widths[1000.0]  # hot is broad, cold is sharp
