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

__all__ = ["DisagreementResult", "update_disagreement", "draw_disagreement", "disagreement_explorer"]


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


def draw_disagreement(result, axes, *, show_agreement=False):
    """Draw a :class:`DisagreementResult` (see :func:`lshlab.plots.plot_disagreement`); returns the Figure."""
    from ..plots.kernels import plot_disagreement

    return plot_disagreement(result, ax=np.ravel(axes)[0], show_agreement=show_agreement)


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
        controls=controls, figsize=figsize,
        title="Collision lemma: fraction of differing bits vs distance",
    )
