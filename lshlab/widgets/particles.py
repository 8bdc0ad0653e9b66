"""Explorers for the Langevin kernel learner (temperature, regulariser) and its mean-field limit.

Pattern (DESIGN.md §5): ``prepare_*`` fixes the data and the run settings, the pure ``update_*``
returns a result (runs are cached by slider values, so moving back to a setting is instant), ``draw_*``
draws it on given axes, and ``*_explorer`` wires sliders to the two.  Runs are kept small (tens of
particles, about a hundred iterations) so a fresh slider position costs a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .._validation import check_matrix
from ..kernel_learning import LangevinKernelLearner, PairAlignmentLoss
from ..meanfield import meanfield_from_learner, wasserstein_to_density
from ._core import Explorer, selection_slider
from ._view import View, nice_ceiling

__all__ = [
    "TemperatureResult",
    "prepare_temperature",
    "update_temperature",
    "TemperatureView",
    "draw_temperature",
    "temperature_explorer",
    "MeanFieldExplorerResult",
    "prepare_meanfield",
    "update_meanfield",
    "MeanFieldView",
    "draw_meanfield",
    "meanfield_explorer",
]


@dataclass
class TemperatureData:
    X: np.ndarray
    y: np.ndarray
    settings: dict
    cache: dict = field(default_factory=dict)


@dataclass
class TemperatureResult:
    """Output of :func:`update_temperature`: one Langevin run at inverse temperature ``beta`` and Sinkhorn
    weight ``reg`` (particle ``history`` per iteration, held-out ``alignment`` and mean-field ``times``)."""

    beta: float
    reg: float
    history: np.ndarray
    alignment: np.ndarray
    times: np.ndarray
    bounds: tuple


def prepare_temperature(X, y, *, n_particles=40, max_iter=120, learning_rate=1e-3, bounds=(0.0, 1.0), epsilon=0.05,
                        batch_size=128, n_pairs=2048, n_eval=48, gamma=1.0, random_state=0):
    """Fix data (labels ±1) and run settings of the temperature explorer.

    ``batch_size``, ``n_pairs``, ``n_eval`` and ``gamma`` configure the learner's
    :class:`~lshlab.kernel_learning.PairAlignmentLoss`.
    """
    X = check_matrix(X, "X")
    objective = PairAlignmentLoss(n_pairs=n_pairs, batch_size=batch_size, gamma=gamma, n_eval=n_eval)
    settings = dict(n_particles=n_particles, max_iter=max_iter, learning_rate=learning_rate, bounds=tuple(bounds),
                    epsilon=epsilon, objective=objective, random_state=random_state)
    return TemperatureData(X, np.asarray(y), settings)


def _pending_run(data, *, beta, reg):
    """What the next update computes: None when this (β, h) run is cached."""
    if (float(beta), float(reg)) in data.cache:
        return None
    return (f"running the Langevin learner at β = {float(beta):g}, h = {float(reg):g} "
            f"({data.settings['n_particles']} particles, {data.settings['max_iter']} iterations)")


def update_temperature(data, *, beta, reg):
    """Run (or fetch from the cache) the learner at inverse temperature ``beta`` and weight ``h = reg``.

    Returns a :class:`TemperatureResult` (the same object for a setting seen before)."""
    key = (float(beta), float(reg))
    if key not in data.cache:
        lrn = LangevinKernelLearner(beta=float(beta), reg=float(reg), **data.settings).fit(data.X, data.y)
        data.cache[key] = TemperatureResult(float(beta), float(reg), lrn.history_, lrn.alignment_, lrn.times_,
                                            data.settings["bounds"])
    return data.cache[key]


def _nice_range(lo, hi, step=0.05):
    """(floor, ceil) of [lo, hi] to multiples of ``step`` (an axis range that moves by whole steps)."""
    lo, hi = float(np.nanmin(lo)), float(np.nanmax(hi))
    a, b = np.floor(lo / step) * step, np.ceil(hi / step) * step
    return (round(a, 10), round(b if b > a else a + step, 10))


class TemperatureView(View):
    """Figure of a :class:`TemperatureResult`: left, step histograms (densities) of the particles at five
    iterations spread over the run (early dark, late light) between the walls; right, the held-out
    alignment per iteration.  Curves, titles and the legend move; axis limits change in whole steps."""

    bins, n_curves = 25, 5

    def build(self, result):
        import matplotlib.pyplot as plt

        ax_h, ax_a = np.ravel(self.axes)[:2]
        self.ax_h, self.ax_a = ax_h, ax_a
        history = np.asarray(result.history)
        self.iterations = np.unique(np.linspace(0, history.shape[0] - 1, self.n_curves).round().astype(int))
        lo, hi = result.bounds
        self.edges = np.linspace(lo, hi, self.bins + 1)
        colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(self.iterations)))
        self.steps = [self.animate(ax_h.stairs(np.zeros(self.bins), self.edges, lw=2, color=c, label=f"iteration {it}"))
                      for it, c in zip(self.iterations, colors)]
        for b in result.bounds:
            ax_h.axvline(b, color="k", lw=2.5)
        span = hi - lo
        ax_h.set_xlim(lo - 0.03 * span, hi + 0.03 * span)
        ax_h.set_xlabel("ξ (Schoenberg frequency of the atom exp(−ξ r²))")
        ax_h.set_ylabel("particle density")
        self.title = self.animate(ax_h.set_title(" "))
        self.animate(ax_h.legend(fontsize="small", loc="upper right"))
        (self.alignment,) = ax_a.plot([], [], lw=2, label="Langevin particles")
        self.animate(self.alignment)
        ax_a.set_xlim(0, max(1, len(result.alignment) - 1))
        ax_a.set_xlabel("iteration")
        ax_a.set_ylabel("alignment ⟨K, yyᵀ⟩ / (‖K‖ ‖yyᵀ‖)")
        ax_a.set_title("Alignment on held-out pairs")
        self.animate(ax_a.legend(fontsize="small", loc="lower right"))
        self.update(result)

    def static_key(self):
        return self.key

    def update(self, result):
        history = np.asarray(result.history)
        top = 0.0
        for it, step in zip(self.iterations, self.steps):
            dens, _ = np.histogram(history[it], bins=self.edges, density=True)
            step.set_data(dens, self.edges)
            top = max(top, float(np.nan_to_num(dens).max()))
        top = nice_ceiling(1.05 * top)
        self.ax_h.set_ylim(0, top)
        alignment = np.asarray(result.alignment, dtype=float)
        self.alignment.set_data(np.arange(alignment.size), alignment)
        lo, hi = _nice_range(alignment.min(), alignment.max())
        self.ax_a.set_ylim(lo, hi)
        self.title.set_text(f"Particles at β = {result.beta:g}, h = {result.reg:g}")
        self.key = (top, lo, hi)


def draw_temperature(result, axes):
    """Left: particle histograms over the run; right: the alignment curve; returns the Figure."""
    return TemperatureView(axes).draw(result)


def temperature_explorer(X, y, *, betas=(1.0, 10.0, 100.0, 1000.0, 1e4), regs=(0.0, 0.1, 1.0, 10.0),
                         beta=None, reg=None, figsize=(11, 4), **settings):
    """β and h sliders → particle histogram evolution and alignment curve.  ``settings`` go to
    :func:`prepare_temperature`."""
    data = prepare_temperature(X, y, **settings)
    if max(regs) > 0:
        import ot  # noqa: F401  (POT's first import takes seconds: pay it here, not on a slider move)
    controls = {
        "beta": selection_slider("β (1/T)", list(betas), beta if beta is not None else betas[len(betas) // 2]),
        "reg": selection_slider("h (Sinkhorn)", list(regs), reg if reg is not None else regs[0]),
    }
    exp = Explorer(partial(update_temperature, data), draw_temperature, controls, view=TemperatureView,
                   pending=partial(_pending_run, data), ncols=2, figsize=figsize,
                   title="Temperature and regulariser of the Langevin particles")
    exp.data = data
    return exp


# ------------------------------------------------------------------------------ mean field
@dataclass
class MeanFieldData:
    X: np.ndarray
    y: np.ndarray
    settings: dict
    n_cells: int
    init_range: tuple
    pde_cache: dict = field(default_factory=dict)
    particle_cache: dict = field(default_factory=dict)


@dataclass
class MeanFieldExplorerResult:
    """Output of :func:`update_meanfield`: the PDE solution at ``beta`` (``pde``, a
    :class:`lshlab.meanfield.MeanFieldResult`, hence this longer name), the final ``particles`` of the run
    with ``n_particles`` and the W1 distance ``w1`` between them and the PDE density at the final time."""

    beta: float
    n_particles: int
    pde: object
    particles: np.ndarray
    w1: float


def prepare_meanfield(X, y, *, max_iter=100, learning_rate=0.01, bounds=(0.0, 1.0), batch_size=None, n_pairs=1024,
                      gamma=1.0, n_cells=120, init_range=None, random_state=0):
    """Fix data and settings of the mean-field explorer (``h = 0``; same pair pool for every run).

    Particles start uniform on ``init_range`` (default: the whole box) and the PDE from the matching
    uniform density.
    """
    X = check_matrix(X, "X")
    objective = PairAlignmentLoss(n_pairs=n_pairs, batch_size=batch_size, gamma=gamma, n_eval=4)
    settings = dict(max_iter=max_iter, learning_rate=learning_rate, bounds=tuple(bounds), objective=objective,
                    reg=0.0, random_state=random_state)
    init_range = tuple(bounds) if init_range is None else tuple(float(v) for v in init_range)
    if not bounds[0] <= init_range[0] < init_range[1] <= bounds[1]:
        raise ValueError(f"init_range must be a sub-interval of bounds {tuple(bounds)}, got {init_range}")
    return MeanFieldData(X, np.asarray(y), settings, n_cells, init_range)


def _pending_meanfield(data, *, beta, n_particles):
    """What the next update computes: None when this (β, N) run is cached."""
    key = (float(beta), int(n_particles))
    if key in data.particle_cache:
        return None
    pde = "" if key[0] in data.pde_cache else " and solving the PDE"
    return f"running {key[1]} particles at β = {key[0]:g}{pde}"


def update_meanfield(data, *, beta, n_particles):
    """PDE density at the final time and the final particles for ``N = n_particles``, with their W1 gap.

    Returns a :class:`MeanFieldExplorerResult`."""
    beta, n_particles = float(beta), int(n_particles)
    key = (beta, n_particles)
    if key not in data.particle_cache:
        lo, hi = data.init_range
        init = np.random.RandomState(n_particles).uniform(lo, hi, n_particles)
        lrn = LangevinKernelLearner(n_particles=n_particles, beta=beta, init=init, **data.settings).fit(data.X, data.y)
        data.particle_cache[key] = lrn.particles_
        if beta not in data.pde_cache:
            data.pde_cache[beta] = meanfield_from_learner(lrn, n_cells=data.n_cells,
                                                          t_eval=np.linspace(0, lrn.times_[-1], 21),
                                                          rho0=lambda x: ((x >= lo) & (x <= hi)).astype(float))
    pde = data.pde_cache[beta]
    parts = data.particle_cache[key]
    w1 = wasserstein_to_density(parts, pde.edges, pde.density[-1])
    return MeanFieldExplorerResult(beta, n_particles, pde, parts, w1)


class MeanFieldView(View):
    """Figure of a :class:`MeanFieldExplorerResult`: the particle histogram (density) against the PDE density
    at the final time, W1 gap in the title.  The histogram, the PDE curve, title and legend move; the y
    limit changes in round steps."""

    bins = 40

    def build(self, result):
        import matplotlib.pyplot as plt

        ax = self.ax
        pde = result.pde
        self.edges = np.linspace(pde.edges[0], pde.edges[-1], self.bins + 1)
        color = plt.get_cmap("plasma")(0.1)
        self.hist = self.animate(ax.stairs(np.zeros(self.bins), self.edges, fill=True, alpha=0.3, color=color,
                                           label="particles"))
        (self.density,) = ax.plot([], [], color="k", lw=2.5, label="PDE ρ_t")
        self.animate(self.density)
        span = pde.edges[-1] - pde.edges[0]
        ax.set_xlim(pde.edges[0] - 0.02 * span, pde.edges[-1] + 0.02 * span)
        ax.set_xlabel("ξ")
        ax.set_ylabel("density")
        self.title = self.animate(ax.set_title(" "))
        self.animate(ax.legend(fontsize="small", loc="upper right"))
        self.update(result)

    def static_key(self):
        return self.key

    def update(self, result):
        pde = result.pde
        dens, _ = np.histogram(np.asarray(result.particles), bins=self.edges, density=True)
        self.hist.set_data(dens, self.edges)
        rho = pde.density[-1]
        self.density.set_data(pde.grid, rho)
        self.key = nice_ceiling(1.05 * max(float(dens.max()), float(np.max(rho))))
        self.ax.set_ylim(0, self.key)
        self.title.set_text(f"β = {result.beta:g}, N = {result.n_particles}: PDE vs particles, W1 = {result.w1:.3g} "
                            f"(t = {pde.times[-1]:.3g})")


def draw_meanfield(result, axes):
    """PDE density vs the particle histogram, W1 gap in the title; returns the Figure."""
    return MeanFieldView(np.ravel(axes)[0]).draw(result)


def meanfield_explorer(X, y, *, betas=(10.0, 30.0, 100.0, 300.0), ns=(10, 30, 100, 300, 1000), beta=None,
                       n_particles=None, figsize=(7, 4), **settings):
    """β and N sliders → PDE density against the particle histogram (same pair pool, ``h = 0``)."""
    data = prepare_meanfield(X, y, **settings)
    controls = {
        "beta": selection_slider("β (1/T)", list(betas), beta if beta is not None else betas[len(betas) // 2]),
        "n_particles": selection_slider("N", list(ns), n_particles if n_particles is not None else ns[len(ns) // 2]),
    }
    exp = Explorer(partial(update_meanfield, data), draw_meanfield, controls, view=MeanFieldView,
                   pending=partial(_pending_meanfield, data), figsize=figsize,
                   title="Mean-field limit: particles vs PDE")
    exp.data = data
    return exp
