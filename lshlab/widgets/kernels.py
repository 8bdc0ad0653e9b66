"""Collision-lemma explorer: measured disagreement of Raginsky bits vs the series and its bounds.

``update_disagreement`` is pure (tests call it); ``draw_disagreement`` draws a result;
``disagreement_explorer`` wires a bandwidth slider (and a bits slider) to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .._validation import check_positive_float, check_positive_int
from ..kernels import SchoenbergKernel, raginsky_disagreement_bounds, raginsky_disagreement_probability
from ._core import Explorer, log_slider, selection_slider
from ._view import ErrorBars, View, set_band

__all__ = ["DisagreementResult", "update_disagreement", "DisagreementView", "draw_disagreement",
           "disagreement_explorer"]


@dataclass
class DisagreementResult:
    """Output of :func:`update_disagreement`."""

    r: np.ndarray          # distances
    measured: np.ndarray   # fraction of differing bits (mean over bits and pairs)
    stderr: np.ndarray     # standard error of ``measured`` (spread over bits / √n_bits)
    series: np.ndarray     # (8/π²) Σ (1 − K(mr))/(4m² − 1)
    lower: np.ndarray      # lemma lower bound
    upper: np.ndarray      # lemma upper bound
    kernel_values: np.ndarray
    n_bits: int
    label: str


def update_disagreement(*, bandwidth=1.0, n_bits=2048, kernel=None, n_distances=25, n_pairs=16, dim=8,
                        r_max=None, random_state=0):
    """Measure P[h(x) ≠ h(y)] at distances r ∈ [0, r_max] and evaluate the theory.

    For every r, ``n_pairs`` pairs (x, x + r u) with x ~ N(0, I_dim), u a random unit vector, are
    hashed with one ``ShiftInvariantHash(n_bits, kernel)``; the measured value is the mean fraction of
    differing bits and its standard error is the standard deviation over bits of the per-bit
    disagreement rate divided by √n_bits (bits are independent; pairs share the bits).

    Parameters
    ----------
    bandwidth : float σ of the Gaussian kernel (ignored when ``kernel`` is given)
    n_bits : int
    kernel : SchoenbergKernel, optional
    r_max : float, optional
        Default 4σ (Gaussian) or 4/√(2 ξ_min) (mixture).
    """
    from ..hashing.shift_invariant import ShiftInvariantHash

    n_bits = check_positive_int(n_bits, "n_bits")
    n_distances = check_positive_int(n_distances, "n_distances", minimum=2)
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    dim = check_positive_int(dim, "dim")
    if kernel is None:
        sigma = check_positive_float(bandwidth, "bandwidth")
        kern, label = SchoenbergKernel.from_bandwidth(sigma), f"Gaussian σ = {sigma:.3g}"
        width = sigma
    elif isinstance(kernel, SchoenbergKernel):
        kern, label = kernel, repr(kernel)
        width = 1.0 / np.sqrt(2.0 * kernel.xi.min())
    else:
        raise ValueError(f"kernel must be a SchoenbergKernel or None, got {kernel!r}")
    r_max = 4.0 * width if r_max is None else check_positive_float(r_max, "r_max")
    r = np.linspace(0.0, r_max, n_distances)

    rng = np.random.default_rng(random_state)
    x = rng.standard_normal((n_distances, n_pairs, dim))
    u = rng.standard_normal((n_distances, n_pairs, dim))
    u /= np.linalg.norm(u, axis=2, keepdims=True)
    y = x + r[:, None, None] * u
    hasher = ShiftInvariantHash(n_bits=n_bits, kernel=kern, random_state=random_state).fit(x.reshape(-1, dim))
    diff = hasher.transform(x.reshape(-1, dim)) != hasher.transform(y.reshape(-1, dim))
    per_bit = diff.reshape(n_distances, n_pairs, n_bits).mean(axis=1)  # (n_distances, n_bits)
    measured = per_bit.mean(axis=1)
    stderr = per_bit.std(axis=1, ddof=1) / np.sqrt(n_bits) if n_bits > 1 else np.zeros_like(measured)

    series = raginsky_disagreement_probability(kern, r)
    k = kern(r)
    lower, upper = raginsky_disagreement_bounds(k)
    return DisagreementResult(r, measured, stderr, series, lower, upper, k, n_bits, label)


class DisagreementView(View):
    """Figure of a :class:`DisagreementResult`: the lemma's bounds (band), the series (line) and the measured
    fraction of differing bits ± 2 s.e. against the distance; the 4/π² limit and the axes are static."""

    def __init__(self, axes, *, show_agreement=False):
        super().__init__(axes)
        self.show_agreement = bool(show_agreement)

    def build(self, result):
        ax = self.ax
        r = np.asarray(result.r, float)
        self.band = self.animate(ax.fill_between(r, result.lower, result.upper, color="tab:gray", alpha=0.2,
                                                 label="lemma bounds (4/π²)(1−K) … min{½√(1−K), (4/π²)(1−2K/3)}"))
        self.series = self.animate(ax.plot(r, result.series, color="tab:blue", lw=2,
                                           label="series (8/π²) Σ (1−K(mr))/(4m²−1)")[0])
        self.measured = self.animate(ErrorBars(ax, r, result.measured, 2 * result.stderr, color="tab:orange",
                                               label="measured P[h(x)≠h(y)] (±2 s.e.)"))
        self.agreement = None
        if self.show_agreement:
            self.agreement = self.animate(ax.plot(r, 1 - result.measured, "s", ms=3, color="tab:red", alpha=0.7,
                                                  label="measured P[h(x)=h(y)] (what the slides' label claims)")[0])
        ax.axhline(4 / np.pi**2, color="k", ls=":", lw=1, label="4/π² (limit as K → 0)")
        ax.set_xlabel("distance ‖x − y‖")
        ax.set_ylabel("probability")
        pad = 0.02 * float(r[-1] - r[0])
        ax.set_xlim(r[0] - pad, r[-1] + pad)
        ax.set_ylim(-0.02, 1.02 if self.show_agreement else 0.6)
        self.title = self.animate(ax.set_title(" "))
        self.animate(ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2,
                               frameon=False))
        self.update(result)

    def update(self, result):
        r = np.asarray(result.r, float)
        set_band(self.band, r, result.lower, result.upper)
        self.series.set_data(r, result.series)
        self.measured.set(r, result.measured, 2 * result.stderr)
        if self.agreement is not None:
            self.agreement.set_data(r, 1 - result.measured)
        self.title.set_text(f"Raginsky code, {result.n_bits} bits: measured vs predicted disagreement "
                            f"({result.label})")


def draw_disagreement(result, axes, *, show_agreement=False):
    """Draw a :class:`DisagreementResult`: measured fraction of differing bits (± 2 s.e.) against the
    series and the lemma's bounds; returns the Figure."""
    return DisagreementView(np.ravel(axes)[0], show_agreement=show_agreement).draw(result)


def disagreement_explorer(*, bandwidth=1.0, bandwidth_range=(0.2, 5.0), bits=(256, 1024, 4096), n_bits=1024,
                          r_max=None, n_pairs=8, random_state=0, show_agreement=False, figsize=(8, 4.5)):
    """Bandwidth slider (log scale) and bits slider → measured disagreement vs series vs bounds.

    ``r_max`` defaults to 4 × the largest bandwidth of the slider, so moving the slider visibly
    stretches or compresses the curve over a fixed distance axis.
    """
    lo, hi = (check_positive_float(v, "bandwidth_range") for v in bandwidth_range)
    r_max = 4.0 * hi if r_max is None else r_max
    controls = {
        "bandwidth": log_slider("kernel bandwidth σ", lo, hi, bandwidth),
        "n_bits": selection_slider("bits", list(bits), n_bits),
    }
    return Explorer(
        update=partial(update_disagreement, r_max=r_max, n_pairs=n_pairs, random_state=random_state),
        draw=partial(draw_disagreement, show_agreement=show_agreement),
        view=partial(DisagreementView, show_agreement=show_agreement),
        controls=controls, figsize=figsize,
        title="Collision lemma: fraction of differing bits vs distance",
    )
