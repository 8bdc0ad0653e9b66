"""Figures for the Langevin kernel learner and its mean-field limit (lectures 05 and 06).

Every helper accepts ``ax=``, labels its axes, titles what is compared, never calls ``plt.show()``
and returns the Figure.
"""

from __future__ import annotations

from functools import partial

import matplotlib.pyplot as plt
import numpy as np

from ._common import axes_or_new

__all__ = [
    "plot_particle_histograms",
    "plot_alignment_curve",
    "plot_density_vs_particles",
    "plot_density_heatmap",
    "plot_w1_vs_n",
]


_axes = partial(axes_or_new, figsize=(6, 4), layout="constrained")


def plot_particle_histograms(history, iterations=None, bounds=None, bins=30, ax=None, *, times=None, cmap="viridis",
                             title="Particle histograms during training, early to late"):
    """Step histograms (densities) of the particles at a few iterations, early (dark) to late (light).

    Parameters
    ----------
    history : array (n_iter + 1, N)  e.g. ``LangevinKernelLearner().history_``
    iterations : sequence of int, optional   rows to draw (default: 5 spread over the run)
    bounds : (low, high), optional           walls, drawn as vertical lines and used as the bin range
    times : array (n_iter + 1,), optional    label curves with mean-field time instead of iteration
    """
    history = np.asarray(history)
    fig, ax = _axes(ax)
    if iterations is None:
        iterations = np.unique(np.linspace(0, history.shape[0] - 1, 5).round().astype(int))
    lo, hi = bounds if bounds is not None else (history.min(), history.max())
    edges = np.linspace(lo, hi, bins + 1)
    colors = plt.get_cmap(cmap)(np.linspace(0.0, 0.9, len(iterations)))
    for it, c in zip(iterations, colors):
        lab = f"t = {times[it]:.3g}" if times is not None else f"iteration {it}"
        ax.hist(history[it], bins=edges, density=True, histtype="step", lw=2, color=c, label=lab)
    if bounds is not None:
        for b in bounds:
            ax.axvline(b, color="k", lw=2.5)
    ax.set_xlabel("ξ (Schoenberg frequency of the atom exp(−ξ r²))")
    ax.set_ylabel("particle density")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return fig


def plot_alignment_curve(alignment, ax=None, *, label="Langevin particles", times=None, baseline=None,
                         baseline_label="baseline", title="Kernel–target alignment during training"):
    """Alignment per iteration (or mean-field time), optionally with a horizontal baseline."""
    fig, ax = _axes(ax)
    alignment = np.asarray(alignment)
    x = np.arange(alignment.size) if times is None else np.asarray(times)
    ax.plot(x, alignment, lw=2, label=label)
    if baseline is not None:
        ax.axhline(baseline, color="gray", ls="--", label=baseline_label)
    ax.set_xlabel("iteration" if times is None else "time t = iteration × step")
    ax.set_ylabel("alignment ⟨K, yyᵀ⟩ / (‖K‖ ‖yyᵀ‖)")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return fig


def plot_density_vs_particles(result, particle_sets, t=None, ax=None, *, bins=40,
                              title="Mean-field PDE density vs particle histograms"):
    """The PDE density at time ``t`` (line) against particle histograms for several ``N``.

    Parameters
    ----------
    result : lshlab.meanfield.MeanFieldResult
    particle_sets : dict label -> particle positions (e.g. ``{"N = 100": lrn.particles_}``)
    t : float, optional   time of the PDE curve (default: the last stored time)
    """
    fig, ax = _axes(ax)
    rho = result.density[-1] if t is None else result.at(t)
    edges = np.linspace(result.edges[0], result.edges[-1], bins + 1)
    colors = plt.get_cmap("plasma")(np.linspace(0.1, 0.8, max(len(particle_sets), 1)))
    for (lab, p), c in zip(particle_sets.items(), colors):
        ax.hist(np.asarray(p), bins=edges, density=True, histtype="stepfilled", alpha=0.3, color=c, label=lab)
    ax.plot(result.grid, rho, color="k", lw=2.5, label="PDE ρ_t")
    tt = result.times[-1] if t is None else result.times[int(np.argmin(np.abs(result.times - t)))]
    ax.set_xlabel("ξ")
    ax.set_ylabel("density")
    ax.set_title(f"{title} (t = {tt:.3g})")
    ax.legend(fontsize="small")
    return fig


def plot_density_heatmap(result, ax=None, *, title="Mean-field density ρ_t(ξ) over time"):
    """Image of the PDE density: time on the vertical axis, ξ on the horizontal axis."""
    fig, ax = _axes(ax)
    im = ax.imshow(result.density, aspect="auto", origin="lower", cmap="magma",
                   extent=(result.edges[0], result.edges[-1], result.times[0], result.times[-1]))
    fig.colorbar(im, ax=ax, label="ρ_t(ξ)")
    ax.grid(False)
    ax.set_xlabel("ξ")
    ax.set_ylabel("time t")
    ax.set_title(title)
    return fig


def plot_w1_vs_n(ns, gaps, ax=None, *, fit=None, title="Particles vs PDE: W1 gap against N"):
    """Log-log plot of the W1 distance between particle sets and the PDE density, with an N^(−1/2) guide.

    Parameters
    ----------
    ns : array (n_sizes,)   numbers of particles N
    gaps : array (n_sizes,) or (n_repeats, n_sizes)
        W1 gaps; with repeats (e.g. several initial draws) the mean is drawn with the min–max range.
    fit : object with ``slope`` and ``intercept``, optional
        A straight-line fit of log(gap) against log(N), e.g. ``scipy.stats.linregress(log N, log gap)``
        (its ``stderr`` is shown when present); drawn as a dashed line.
    """
    fig, ax = _axes(ax)
    ns = np.asarray(ns, dtype=float)
    gaps = np.atleast_2d(np.asarray(gaps, dtype=float))
    if gaps.shape[1] != ns.size:
        raise ValueError(f"gaps must have one column per N ({ns.size}), got shape {gaps.shape}")
    mean = gaps.mean(axis=0)
    if gaps.shape[0] > 1:
        ax.fill_between(ns, gaps.min(axis=0), gaps.max(axis=0), color="tab:blue", alpha=0.2,
                        label=f"range over {gaps.shape[0]} repeats")
    ax.loglog(ns, mean, "o-", lw=2, color="tab:blue", label="W1(particles, PDE)")
    guide = np.exp(np.mean(np.log(mean))) * np.sqrt(np.exp(np.mean(np.log(ns))) / ns)
    ax.loglog(ns, guide, "k:", lw=1.5, label="∝ N^(−1/2)")
    if fit is not None:
        se = getattr(fit, "stderr", None)
        text = f"fit: slope {fit.slope:.2f}" + (f" ± {se:.2f}" if se is not None else "")
        ax.loglog(ns, np.exp(fit.intercept) * ns ** fit.slope, "--", color="tab:red", lw=1.5, label=text)
    ax.set_xlim(ns.min() / 1.2, ns.max() * 1.2)
    ax.set_xlabel("number of particles N")
    ax.set_ylabel("W1 distance")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return fig
