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
from ..plots.particles import plot_alignment_curve, plot_density_vs_particles, plot_particle_histograms
from ._core import Explorer, selection_slider

__all__ = [
    "TemperatureResult",
    "prepare_temperature",
    "update_temperature",
    "draw_temperature",
    "temperature_explorer",
    "MeanFieldExplorerResult",
    "prepare_meanfield",
    "update_meanfield",
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


def update_temperature(data, *, beta, reg):
    """Run (or fetch from the cache) the learner at inverse temperature ``beta`` and weight ``h = reg``.

    Returns a :class:`TemperatureResult` (the same object for a setting seen before)."""
    key = (float(beta), float(reg))
    if key not in data.cache:
        lrn = LangevinKernelLearner(beta=float(beta), reg=float(reg), **data.settings).fit(data.X, data.y)
        data.cache[key] = TemperatureResult(float(beta), float(reg), lrn.history_, lrn.alignment_, lrn.times_,
                                            data.settings["bounds"])
    return data.cache[key]


def draw_temperature(result, axes):
    """Left: particle histograms over the run; right: the alignment curve; returns the Figure."""
    ax_h, ax_a = np.ravel(axes)[:2]
    plot_particle_histograms(result.history, bounds=result.bounds, bins=25, ax=ax_h,
                             title=f"Particles at β = {result.beta:g}, h = {result.reg:g}")
    plot_alignment_curve(result.alignment, ax=ax_a, title="Alignment on held-out pairs")
    return ax_h.figure


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
    exp = Explorer(partial(update_temperature, data), draw_temperature, controls,
                   ncols=2, figsize=figsize, title="Temperature and regulariser of the Langevin particles")
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


def draw_meanfield(result, axes):
    """PDE density vs the particle histogram, W1 gap in the title; returns the Figure."""
    ax = np.ravel(axes)[0]
    plot_density_vs_particles(result.pde, {f"N = {result.n_particles}": result.particles}, ax=ax,
                              title=f"β = {result.beta:g}: PDE vs particles, W1 = {result.w1:.3g}")
    return ax.figure


def meanfield_explorer(X, y, *, betas=(10.0, 30.0, 100.0, 300.0), ns=(10, 30, 100, 300, 1000), beta=None,
                       n_particles=None, figsize=(7, 4), **settings):
    """β and N sliders → PDE density against the particle histogram (same pair pool, ``h = 0``)."""
    data = prepare_meanfield(X, y, **settings)
    controls = {
        "beta": selection_slider("β (1/T)", list(betas), beta if beta is not None else betas[len(betas) // 2]),
        "n_particles": selection_slider("N", list(ns), n_particles if n_particles is not None else ns[len(ns) // 2]),
    }
    exp = Explorer(partial(update_meanfield, data), draw_meanfield, controls,
                   figsize=figsize, title="Mean-field limit: particles vs PDE")
    exp.data = data
    return exp
