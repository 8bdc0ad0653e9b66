"""Figures for lecture 04 (Raginsky–Lazebnik codes): what a bit sees, and the collision lemma.

Every helper accepts ``ax=``, labels its axes, titles what is compared, never calls ``plt.show()``
and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._common import axes_or_new

__all__ = ["plot_disagreement", "plot_bits_1d", "plot_kernel_profiles"]


_axes = partial(axes_or_new, figsize=(6, 4.2), layout="constrained")


def plot_disagreement(result, ax=None, *, show_agreement=False, title=None):
    """Measured fraction of differing bits vs distance, against the series and the lemma's bounds.

    Parameters
    ----------
    result : DisagreementResult
        From :func:`lshlab.widgets.update_disagreement` (fields ``r``, ``measured``, ``stderr``,
        ``series``, ``lower``, ``upper``, ``label``, ``n_bits``).
    show_agreement : bool
        Also plot the measured *agreement* 1 − P̂, to show that reading the series as an agreement
        probability (as Khuzani et al.'s 2020 slides print it) does not fit.

    With ``show_agreement`` the legend sits below the axes (a new figure uses matplotlib's constrained
    layout to make room); otherwise in the free band above the limit 4/π².
    """
    fig, ax = _axes(ax, figsize=(6.4, 5.2))
    ax.fill_between(result.r, result.lower, result.upper, color="tab:gray", alpha=0.2,
                    label="bounds of the lemma")
    ax.plot(result.r, result.series, color="tab:blue", lw=2, label="series (8/π²) Σₘ (1−K(mr))/(4m²−1)")
    ax.errorbar(result.r, result.measured, yerr=2 * result.stderr, fmt="o", ms=4, color="tab:orange",
                capsize=2, label=f"measured P[h(x)≠h(y)], {result.n_bits} bits (±2 s.e.)")
    if show_agreement:
        ax.plot(result.r, 1 - result.measured, "s", ms=3, color="tab:red", alpha=0.7,
                label="measured P[h(x)=h(y)]")
    ax.axhline(4 / np.pi**2, color="k", ls=":", lw=1, label="4/π² (limit as K → 0)")
    ax.set_xlabel("distance ‖x − y‖")
    ax.set_ylabel("probability")
    ax.set_xlim(float(np.min(result.r)), float(np.max(result.r)))
    ax.set_ylim(-0.02, 1.02 if show_agreement else 0.72)
    ax.set_title(title or f"Bit disagreement vs distance ({result.label})")
    if show_agreement:  # the agreement points fill the upper half: legend below the axes
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, frameon=False)
    else:  # every curve stays below 4/π² ≈ 0.405: legend in the free band above it
        ax.legend(fontsize="small", loc="upper left", ncol=1, framealpha=0.9)
    return fig


def plot_bits_1d(hasher, x, n_show=3, ax=None, *, title="What one bit sees along a line of inputs"):
    """What a bit sees: for a ShiftInvariantHash fitted on 1-D inputs, plot (cos(ωx + b) + t)/2 (blue)
    and the resulting bit h(x) = 1[cos(ωx + b) + t > 0] (orange) along a line of inputs ``x``, one row
    per bit (``n_show`` bits).  Each row is labelled on the y axis with its ω and t."""
    x = np.asarray(x, dtype=np.float64).ravel()
    codes = hasher.transform(x[:, None])
    n_rows = min(n_show, codes.shape[1])
    fig, ax = _axes(ax, figsize=(7, 1.4 + 1.3 * n_rows))
    w = hasher.components_[0].astype(np.float64)
    ticks, labels = [], []
    for j in range(n_rows):
        off = 3.2 * j
        arg = np.cos(w[j] * x + hasher.offsets_[j]) + hasher.thresholds_[j]
        ax.plot(x, off + arg / 2, color="tab:blue", lw=1, label="(cos(ωx+b)+t)/2" if j == 0 else None)
        ax.step(x, off + codes[:, j] - 0.5, where="mid", color="tab:orange", lw=2,
                label="bit h(x) (−½: 0, +½: 1)" if j == 0 else None)
        ax.axhline(off, color="gray", lw=0.6, ls=":")
        ticks.append(off)
        labels.append(f"bit {j}\nω={w[j]:.2f}\nt={hasher.thresholds_[j]:.2f}")
    ax.set_yticks(ticks, labels)
    ax.set_ylim(-1.4, 3.2 * (n_rows - 1) + 1.4)
    ax.set_xlim(x.min(), x.max())
    ax.set_xlabel("input x (1-D)")
    ax.set_ylabel("one row per bit")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)
    return fig


def plot_kernel_profiles(kernels, r, ax=None, *, title="Radial profiles K(r) of the compared kernels"):
    """Plot the radial profiles K(r) of several kernels on one axes.

    Parameters
    ----------
    kernels : dict label -> callable r ↦ K(r)
        E.g. :class:`~lshlab.kernels.SchoenbergKernel` instances (callable on distance arrays).
    r : float or array of distances
        An array is used as the distance grid; a number ``r_max`` means 400 points on [0, r_max].
    """
    if not isinstance(kernels, dict) or not kernels:
        raise ValueError("kernels must be a non-empty dict label -> callable radial profile K(r)")
    r = np.asarray(r, dtype=np.float64)
    if r.ndim == 0:
        if not (np.isfinite(r) and r > 0):
            raise ValueError(f"r must be a positive r_max or an array of distances, got {float(r)}")
        r = np.linspace(0.0, float(r), 400)
    fig, ax = _axes(ax)
    for label, k in kernels.items():
        ax.plot(r, k(r), lw=2, label=label)
    ax.set_xlabel("Euclidean distance r")
    ax.set_ylabel("K(r)")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return fig
