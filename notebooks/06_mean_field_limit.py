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
# # Lecture 06 — The mean-field limit of the Langevin particles
#
# In lecture 05 a cloud of N particles learned the Schoenberg measure of a kernel. What happens when
# N → ∞? Khuzani, Ye, Napel & Xing (arXiv:2006.13330) prove that the particle histogram converges to a
# density ρ_t(ξ) that solves a nonlinear Fokker–Planck (McKean–Vlasov) equation on [ξ_l, ξ_u], with
# *Robin* boundary conditions that encode the elastic walls. This lecture solves that PDE numerically
# and watches the particles converge to it.
#
# ## What you will learn
#
# - **See**: the PDE's stationary state against the Gibbs density ∝ exp(−βJ) for a fixed potential; the
#   density ρ_t(ξ) of the kernel-learning problem as a space–time image; particle histograms for
#   N = 10 … thousands lying closer and closer to the PDE curve; the W1 gap against N on a log–log plot;
#   a temperature slider.
# - **Do**: solve the PDE with `solve_meanfield` / `meanfield_from_learner` (a finite-volume scheme that
#   conserves mass exactly), measure the gap with `wasserstein_to_density`, and check the claims with
#   `assert`s.
# - **Learn**: the drift J(ξ; ρ) as the first variation of the energy; why zero flux at the walls is the
#   continuum version of elastic reflection; why the Scharfetter–Gummel flux makes the scheme positive,
#   conservative and exact at equilibrium; what "mean-field limit" means in practice.
# - **Need**: lecture 05 (the particle algorithm), a little calculus (a flux, a derivative of a
#   functional). MNIST is read from its test split (`pool="test"`).

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from lshlab import plots
from lshlab.data import load_dataset
from lshlab.distances import euclidean_distance_matrix
from lshlab.kernel_learning import LangevinKernelLearner, PairAlignmentLoss, kmeans_pseudo_labels
from lshlab.meanfield import MeanFieldProblem, meanfield_from_learner, solve_meanfield, wasserstein_to_density
from lshlab.widgets import meanfield_explorer

plots.set_style()
plt.rcParams["figure.dpi"] = 90

# %%
from lshlab.config import param

N_POINTS = param("N_POINTS", full=3000, small=800)  # MNIST images that form the pair pool
N_PAIRS = param("N_PAIRS", full=2048, small=512)
N_ITER = param("N_ITER", full=100, small=60)
N_VALUES = param("N_VALUES", full="10,30,100,300,1000,3000", small="10,100,1000")
N_CELLS = param("N_CELLS", full=200, small=120)
BETA = param("BETA", full=100.0, small=100.0)
SEED = 0
NS = [int(v) for v in N_VALUES.split(",")]

# %% [markdown]
# ## 1. The PDE and its boundary conditions
#
# With time t = (iteration) × η, the particle update of lecture 05 is an Euler–Maruyama step of
# dξ = −∂_ξ J(ξ; ρ_t) dt + √(2/β) dW, reflected at the walls. Its density obeys (seed 002)
#
# $$\partial_t \rho = \partial_\xi\big(\rho\,\partial_\xi J(\xi;\rho)\big) + \beta^{-1}\partial_\xi^2\rho,
# \qquad \rho\,\partial_\xi J + \beta^{-1}\partial_\xi\rho = 0 \ \text{ at } \xi_l,\ \xi_u .$$
#
# The boundary condition is a **Robin** condition (a mix of ρ and ∂ρ) and says: *no probability flows
# through a wall* — the continuum version of an elastic bounce. Mass is therefore conserved.
#
# J is the first variation of the energy. For the pairwise loss E_γ = −yy′K + (γ/2)K² with
# K_ρ(r) = ∫ exp(−ξ′r²) ρ(ξ′) dξ′,
#
# $$J(\xi;\rho) = -\,\mathbb E\big[y y' e^{-\xi r^2}\big] + \gamma\,\mathbb E\big[e^{-\xi r^2} K_\rho(r)\big]
# \;(+\tfrac h2 f_\rho(\xi),\ f_\rho \text{ the entropic Kantorovich potential to the prior}).$$
#
# (The slides print a "+" in front of the first term; differentiating the loss gives "−".) J depends on
# ρ — each particle feels all the others through the kernel: a McKean–Vlasov equation.
#
# ## 2. The numerical scheme
#
# The PDE is described by a `MeanFieldProblem` (walls, β, the parts of J, the grid); its `step` is one
# time step of the scheme and `solve_meanfield` loops it. The scheme uses finite volumes: cell averages
# ρ_i and fluxes through cell faces. The face flux is Scharfetter–Gummel,
# F = (D/Δ)[B(−P) ρ_i − B(P) ρ_{i+1}] with D = 1/β, P = −β(J_{i+1} − J_i) and
# B(z) = z/(eᶻ − 1), which blends diffusion and upwind drift exactly for a locally linear J. The wall
# fluxes are zero (the Robin condition). Time stepping is backward Euler with J frozen over a step:
# each step solves a tridiagonal **M-matrix** system whose columns sum to zero, hence
# mass is conserved to round-off and ρ ≥ 0 for every time step. Its discrete stationary state is
# *exactly* ρ_i ∝ exp(−βJ_i).
#
# First check on a fixed double-well potential: start from a bump, run long, compare with Gibbs.

# %%
J = lambda x: 4 * (x - 0.5) ** 2 + 0.3 * np.cos(10 * x)  # noqa: E731
double_well = MeanFieldProblem((0.0, 1.0), beta=10.0, n_cells=N_CELLS, potential=J)
gibbs_run = solve_meanfield(double_well, rho0=lambda x: np.exp(-((x - 0.9) / 0.05) ** 2), t_final=20.0, dt=0.02,
                            t_eval=[0, 0.05, 0.5, 20.0])
gibbs = np.exp(-10.0 * J(gibbs_run.grid))
gibbs /= gibbs.sum() * gibbs_run.dx
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for k, t in enumerate(gibbs_run.times):
    ax.plot(gibbs_run.grid, gibbs_run.density[k], label=f"PDE, t = {t:g}")
ax.plot(gibbs_run.grid, gibbs, "k--", lw=2, label="Gibbs ∝ exp(−βJ)")
ax.set(xlabel="ξ", ylabel="density", title="Fixed potential: the PDE relaxes to the Gibbs density", ylim=(0, 6))
ax.legend(fontsize="small")

# %%
print("mass at the stored times:", gibbs_run.mass, "  min density:", gibbs_run.density.min())
assert np.allclose(gibbs_run.mass, 1.0, atol=1e-12) and gibbs_run.density.min() >= 0
assert np.max(np.abs(gibbs_run.density[-1] - gibbs)) < 0.01 * gibbs.max()

# %% [markdown]
# ## 3. The kernel-learning PDE
#
# Now the real J, from MNIST pairs with k-means pseudo-labels as in lecture 05. To work with round
# numbers we divide the pixels by the median pairwise distance (so a typical r² is 1 and the interesting
# ξ are of order 1); walls at [0, 5]. All particles start at low frequencies, uniform on [0, 0.5] (a
# very wide kernel), so the cloud has a long way to travel. `meanfield_from_learner` builds the PDE that
# matches a fitted learner: same walls, β, pair pool, γ, final time N_ITER × η; we pass the matching
# initial density. Every particle run uses the same `random_state`, hence the same pair pool, and the
# full pool at each step (`batch_size=None`), so the particle drift is exactly ∂_ξJ(ξ; ρ̂_N).

# %%
data = load_dataset("mnist", pool="test", n_train=N_POINTS, n_query=10, seed=SEED)
scale = np.sqrt(np.median(euclidean_distance_matrix(data.X_train[:300], data.X_train[:300]) ** 2))
X = data.X_train / scale
y = kmeans_pseudo_labels(X, n_clusters=2, cluster=0, subset=min(N_POINTS, 2000), random_state=SEED)
settings = dict(beta=BETA, learning_rate=0.1, reg=0.0, bounds=(0.0, 5.0), max_iter=N_ITER,
                objective=PairAlignmentLoss(batch_size=None, n_pairs=N_PAIRS, n_eval=4), random_state=SEED)
start = lambda n: np.random.default_rng(n).uniform(0.0, 0.5, n)  # noqa: E731  (initial particles)
reference = LangevinKernelLearner(n_particles=2, init=start(2), **settings).fit(X, y)
pde = meanfield_from_learner(reference, n_cells=N_CELLS, rho0=lambda x: (x < 0.5).astype(float))
print(f"median distance {scale:.2f}; PDE on {N_CELLS} cells up to t = {pde.times[-1]:.2f}; "
      f"mass drift {np.max(np.abs(pde.mass - 1)):.1e}")

# %%
plots.plot_density_heatmap(pde)

# %% [markdown]
# The density leaves the lower wall, travels toward higher frequencies and settles where the force −∂J
# vanishes; diffusion (1/β) keeps it smooth. It moves far: the W1 distance between the initial and the
# final density is printed below, to compare with the particle–PDE gaps. Now the particles.

# %%
runs = {n: LangevinKernelLearner(n_particles=n, init=start(n), **settings).fit(X, y) for n in NS}
gaps = [wasserstein_to_density(runs[n].particles_, pde.edges, pde.density[-1]) for n in NS]
travel = wasserstein_to_density(start(100_000), pde.edges, pde.density[-1])
print(f"W1(initial, final PDE density) = {travel:.3f}")
for n, g in zip(NS, gaps):
    print(f"N = {n:5d}: W1(particles, PDE) at t = {pde.times[-1]:.2f} is {g:.4f}")

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4))
plots.plot_density_vs_particles(pde, {f"N = {n}": runs[n].particles_ for n in NS[::2]}, ax=a1)
plots.plot_w1_vs_n(NS, gaps, ax=a2)
plt.tight_layout()

# %% [markdown]
# The histograms approach the PDE density and the W1 gap falls roughly like N^(−1/2) — the
# Monte-Carlo rate of an empirical measure — plus a small floor from the time step η (the particles
# take Euler steps, the PDE is solved on a grid). The claims, as asserts: the PDE conserves mass, and
# the largest cloud is much closer to the PDE than the smallest.

# %%
assert np.allclose(pde.mass, 1.0, atol=1e-10) and pde.density.min() >= 0
assert gaps[-1] < 0.3 * gaps[0] and gaps[-1] < 0.05 * travel
assert gaps[-1] < gaps[len(gaps) // 2] < gaps[0]

# %% [markdown]
# ## 4. Temperature
#
# Move β and N. A hot gas (small β) spreads over the box and both particles and PDE flatten; a cold one
# follows the drift and stays sharp. At every temperature the histogram of a large cloud sits on the PDE
# curve. (Small runs — 40 steps, 256 pairs — cached by slider value.)

# %%
explorer = meanfield_explorer(X[:800], y[:800], betas=(3.0, 10.0, 30.0, 100.0, 300.0), ns=(10, 30, 100, 300),
                              beta=100.0, n_particles=100, max_iter=40, learning_rate=0.1, bounds=(0.0, 5.0),
                              n_pairs=256, n_cells=100, init_range=(0.0, 0.5), random_state=SEED)
display(explorer)

# %% [markdown]
# ## Exercises
#
# 1. **Time step.** Halve η (doubling N_ITER to reach the same time). Does the W1 floor at large N drop?
#    What does that say about the order of the Euler–Maruyama scheme in W1?
# 2. **Stochastic pairs.** Use `PairAlignmentLoss(batch_size=64, ...)` instead of the full pool. The drift becomes noisy; which
#    extra term would the limiting equation need when η does not go to 0?
# 3. **Stationary state.** Run the PDE for a long time at β = 10 and at β = 1000. Is the final density
#    close to exp(−βJ(ξ; ρ_∞)) with J evaluated at the final density itself? (Compute J with
#    `lshlab.meanfield.alignment_potential`.)
# 4. **Sinkhorn regulariser.** Put `reg=1.0`, `epsilon=0.05` and one fixed array of prior samples,
#    e.g. `prior=np.random.default_rng(1).uniform(2.5, 5.0, 200)`, in `settings` (every run must see the
#    same prior samples); the PDE then includes (h/2)·f_ρ (`lshlab.meanfield.sinkhorn_potential`). Do
#    particles and PDE still agree? Where does the cloud settle now?
# 5. **Another scheme.** Replace Scharfetter–Gummel by central differences for the drift. For which β
#    does the density become negative?
#
# **Further reading.** Khuzani, Ye, Napel, Xing, arXiv:2006.13330 (2020); Mei, Montanari, Nguyen,
# *A mean field view of the landscape of two-layer neural networks*, PNAS 2018; Scharfetter & Gummel,
# IEEE Trans. Electron Devices 1969; Carrillo, Chertock, Huang, *A finite-volume method for nonlinear
# nonlocal equations with a gradient flow structure*, 2015.
