"""Small learned codes compared against bits: the explorer over a :class:`~lshlab.evaluation.CodeComparison`.

:func:`lshlab.evaluation.compare_hashers` fits every (method, code length) once, encodes database and
queries, and stores mAP (Hamming ranking, tie-aware) and the precision–recall curve per Hamming radius.
That comparison is the cache the explorer reads: moving the bits slider only looks results up and redraws.

- :func:`update_spectral` (pure) picks one code length from a comparison; :func:`draw_spectral` draws
  its PR curves beside mAP-against-bits lines (with published figures when given, e.g.
  :data:`lshlab.evaluation.PUBLISHED_CNNH_MNIST`); :func:`spectral_explorer` wires a bits slider to the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from ..evaluation.comparison import CodeComparison
from ._core import Explorer, selection_slider
from ._view import View

__all__ = [
    "SpectralResult",
    "update_spectral",
    "SpectralView",
    "draw_spectral",
    "spectral_explorer",
]

@dataclass
class SpectralResult:
    """Output of :func:`update_spectral`: every method's PR curve (``pr``, method -> PRCurve) and mAP
    (``map``, method -> float) at one code length ``n_bits``, and the whole ``comparison`` (for the
    mAP-against-bits panel)."""

    n_bits: int
    pr: dict
    map: dict
    comparison: CodeComparison


def update_spectral(comparison, *, n_bits):
    """Pure: the PR curves and mAPs of every method at ``n_bits`` (must be one of ``comparison.bits``).

    Returns a :class:`SpectralResult`."""
    if n_bits not in comparison.bits:
        raise ValueError(f"n_bits={n_bits!r} was not computed; choose one of {comparison.bits}")
    return SpectralResult(
        n_bits=n_bits,
        pr={m: comparison.pr[(m, n_bits)] for m in comparison.methods},
        map={m: comparison.map[(m, n_bits)] for m in comparison.methods},
        comparison=comparison,
    )


class SpectralView(View):
    """Figure of a :class:`SpectralResult`: left, every method's PR curve by Hamming radius at the chosen
    code length (curves and legend move); right, mAP against bits for every method (static, with
    ``published`` reference figures dashed) and a marker line at the chosen length (moves)."""

    def __init__(self, axes, *, published=None):
        super().__init__(axes)
        self.published = published

    def build(self, result):
        from ..plots.spectral import plot_map_vs_bits

        axes = np.atleast_1d(self.axes)
        if axes.size < 2:
            raise ValueError("draw_spectral needs two axes (PR curves, mAP vs bits)")
        self.ax_pr, ax_map = axes[0], axes[1]
        colors = dict(zip(result.comparison.methods, _cycle_colors()))
        self.curves = {m: self.animate(self.ax_pr.plot([], [], lw=1.8, ms=3, color=colors[m], label=m)[0])
                       for m in result.comparison.methods}
        self.ax_pr.set_xlabel("recall")
        self.ax_pr.set_ylabel("precision")
        self.ax_pr.set_xlim(0, 1.02)
        self.ax_pr.set_ylim(0, 1.02)
        self.title = self.animate(self.ax_pr.set_title(" "))
        plot_map_vs_bits(result.comparison, published=self.published, ax=ax_map)  # static: every length
        self.marker = self.animate(ax_map.axvline(result.n_bits, color="0.5", lw=1, ls=":"))
        self.animate(ax_map.get_legend())  # stays above the marker, as in a full draw
        self.animate(self.ax_pr.legend(fontsize="small", loc="upper right"))
        self.update(result)

    def update(self, result):
        for m, curve in result.pr.items():
            ok = np.isfinite(curve.precision)
            line = self.curves[m]
            line.set_data(curve.recall[ok], curve.precision[ok])
            line.set_marker("o" if len(curve.recall) <= 70 else "None")
        self.marker.set_xdata([result.n_bits, result.n_bits])
        best = max(result.map, key=result.map.get)
        self.title.set_text(f"Precision–recall by Hamming radius, {result.n_bits} bits\n"
                            f"(best mAP: {best} {result.map[best]:.3f}; mAP of each method on the right)")


def _cycle_colors():
    import matplotlib.pyplot as plt

    return plt.rcParams["axes.prop_cycle"].by_key()["color"] * 3


def draw_spectral(result, axes, *, published=None):
    """Left: PR curves (Hamming radius) at the chosen length; right: mAP against bits, chosen length marked
    (``published``: reference figures drawn dashed, e.g. :data:`PUBLISHED_CNNH_MNIST`); returns the Figure."""
    return SpectralView(axes, published=published).draw(result)


def spectral_explorer(comparison, *, published=None, figsize=(12, 4.6)):
    """A bits slider over a fitted :class:`CodeComparison` (no refitting: results are cached)."""
    return Explorer(
        update=partial(update_spectral, comparison),
        draw=partial(draw_spectral, published=published), view=partial(SpectralView, published=published),
        controls={"n_bits": selection_slider("bits", comparison.bits, comparison.bits[len(comparison.bits) // 2])},
        ncols=2, figsize=figsize, title="Learned small codes: PR curves and mAP against code length",
    )
