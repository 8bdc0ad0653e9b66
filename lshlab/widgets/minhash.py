"""Explorer for lecture 03: MinHash banding with b bands × r rows, theory against measurement.

``prepare_banding`` gathers what does not change with the sliders (signatures, the exact Jaccard index of
every query–database pair, the true top-k); ``update_banding`` is pure: it bands the signatures,
measures the candidate rate per Jaccard bin, the candidates per query and the recall of the true top-k,
and predicts the same from the S-curve 1 − (1 − J^r)^b; ``draw_banding`` draws the S-curve with the
measured rates and the predicted against the measured cost and recall; ``banding_explorer`` wires
sliders for b and r.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .._validation import check_positive_int

__all__ = ["BandingData", "prepare_banding", "BandingResult", "update_banding", "draw_banding", "banding_explorer"]


@dataclass
class BandingData:
    """Inputs of :func:`update_banding` that do not depend on b and r (built by :func:`prepare_banding`)."""

    signatures_db: np.ndarray
    signatures_query: np.ndarray
    jaccard: np.ndarray
    true_idx: np.ndarray
    bin_edges: np.ndarray
    bin_of_pair: np.ndarray


def prepare_banding(signatures_db, signatures_query, jaccard, *, k=10, n_bins=10):
    """Check the inputs and precompute the true top-``k`` (by exact Jaccard, ties by index) and the bins.

    Parameters
    ----------
    signatures_db, signatures_query : MinHash signatures (n, n_hashes) and (m, n_hashes)
    jaccard : array (m, n), exact Jaccard index of every (query, database) pair
    k : int, neighbours whose recall is measured
    n_bins : int, equal-width Jaccard bins of the measured S-curve
    """
    S, Q, J = np.asarray(signatures_db), np.asarray(signatures_query), np.asarray(jaccard, dtype=np.float64)
    if S.ndim != 2 or Q.ndim != 2 or S.shape[1] != Q.shape[1]:
        raise ValueError(f"signatures must be 2-D with equal lengths, got {S.shape} and {Q.shape}")
    if J.shape != (Q.shape[0], S.shape[0]):
        raise ValueError(f"jaccard must have shape (n_queries, n_database) = {(Q.shape[0], S.shape[0])}, got {J.shape}")
    k = check_positive_int(k, "k")
    n_bins = check_positive_int(n_bins, "n_bins")
    order = np.lexsort((np.broadcast_to(np.arange(J.shape[1]), J.shape), -J), axis=1)
    edges = np.linspace(0, 1, n_bins + 1)
    bins = np.clip(np.digitize(J, edges) - 1, 0, n_bins - 1)
    return BandingData(S, Q, J, order[:, :k], edges, bins)


@dataclass
class BandingResult:
    """Output of :func:`update_banding`.

    ``s``, ``rate``, ``n_pairs``: Jaccard bin centres (mean J of the pairs in the bin), measured fraction of
    pairs that are candidates, and pairs per bin (bins with fewer than 30 pairs are NaN); ``theory``: the
    mean S-curve value of the pairs in each bin.  ``candidates`` / ``predicted_candidates``: mean
    candidates per query, measured and predicted (Σ over the database of 1 − (1 − J^r)^b);
    ``recall`` / ``predicted_recall``: fraction of the true top-k that are candidates (with exact
    re-ranking they are all returned), measured and predicted.  ``curve_*``: the predicted candidates
    and recall for the same r and every b with b · r within the signature (J quantised to 1/1000).
    """

    n_bands: int
    rows_per_band: int
    n_database: int
    s: np.ndarray
    rate: np.ndarray
    theory: np.ndarray
    n_pairs: np.ndarray
    candidates: float
    predicted_candidates: float
    recall: float
    predicted_recall: float
    curve_bands: np.ndarray
    curve_candidates: np.ndarray
    curve_recall: np.ndarray


def update_banding(data, *, n_bands, rows_per_band):
    """Band the signatures of ``data`` (a :class:`BandingData`) into b × r and measure against theory."""
    from ..hashing.random_projection import amplified_collision_probability
    from ..search.banding import BandingIndex

    b = check_positive_int(n_bands, "n_bands")
    r = check_positive_int(rows_per_band, "rows_per_band")
    n_hashes = data.signatures_db.shape[1]
    if b * r > n_hashes:
        raise ValueError(f"b · r = {b} · {r} = {b * r} exceeds the {n_hashes} hashes of the signatures; lower b or r")
    index = BandingIndex(b, r).fit(data.signatures_db)
    q, d = index.candidate_pairs(data.signatures_query)
    cand = np.zeros(data.jaccard.shape, dtype=bool)
    cand[q, d] = True
    n_bins = len(data.bin_edges) - 1
    flat_bins, flat_cand, flat_J = data.bin_of_pair.ravel(), cand.ravel(), data.jaccard.ravel()
    n_pairs = np.bincount(flat_bins, minlength=n_bins)
    hits = np.bincount(flat_bins, weights=flat_cand, minlength=n_bins)
    S = amplified_collision_probability(flat_J, r, b)
    theory_sum = np.bincount(flat_bins, weights=S, minlength=n_bins)
    j_sum = np.bincount(flat_bins, weights=flat_J, minlength=n_bins)
    enough = n_pairs >= 30
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(enough, j_sum / n_pairs, np.nan)
        rate = np.where(enough, hits / n_pairs, np.nan)
        theory = np.where(enough, theory_sum / n_pairs, np.nan)
    rows = np.arange(data.true_idx.shape[0])[:, None]
    recall = float(cand[rows, data.true_idx].mean())
    J_true = data.jaccard[rows, data.true_idx]
    predicted_recall = float(amplified_collision_probability(J_true, r, b).mean())
    # the trade-off for this r and every b, from J histograms (1,000 levels): fast enough for a slider
    levels = (np.arange(1000) + 0.5) / 1000
    w_all = np.bincount(np.minimum((flat_J * 1000).astype(int), 999), minlength=1000) / data.jaccard.shape[0]
    w_true = np.bincount(np.minimum((J_true.ravel() * 1000).astype(int), 999), minlength=1000) / J_true.size
    bands = np.arange(1, n_hashes // r + 1)
    miss = 1 - levels**r
    S_b = 1 - miss[None, :] ** bands[:, None]
    return BandingResult(b, r, data.jaccard.shape[1], s, rate, theory, n_pairs, float(index.last_n_candidates_.mean()),
                         float(S.sum() / data.jaccard.shape[0]), recall, predicted_recall, bands, S_b @ w_all,
                         S_b @ w_true)


def draw_banding(result, axes):
    """Left: the S-curve of (b, r) with the measured candidate rates per Jaccard bin; right: predicted and
    measured candidates per query and recall.  Returns the Figure."""
    from ..plots.minhash import plot_banding_curves

    axes = np.ravel(axes)
    if axes.size < 2:
        raise ValueError("draw_banding needs two axes")
    b, r = result.n_bands, result.rows_per_band
    ok = np.isfinite(result.rate)
    plot_banding_curves([(b, r)], ax=axes[0], measured={"measured, one draw": (result.s[ok], result.rate[ok], None)},
                        title=f"b = {b} bands × r = {r} rows")
    ax = axes[1]
    n = result.n_database
    ax.plot(100 * result.curve_candidates / n, result.curve_recall, color="grey", lw=1.5,
            label=f"predicted, r = {r}, b = 1…{result.curve_bands[-1]}")
    ax.plot([100 * result.predicted_candidates / n], [result.predicted_recall], "s", ms=10, mfc="none", mew=2,
            color="black", label="predicted by the S-curve")
    ax.plot([100 * result.candidates / n], [result.recall], "o", ms=8, color="tab:orange", label="measured")
    ax.set_xscale("log")
    ax.set_xlim(0.01, 100)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("candidates per query (% of the database)")
    ax.set_ylabel("recall of the true top-k")
    ax.set_title(f"{result.candidates:.0f} candidates, recall {result.recall:.2f}")
    ax.legend(loc="upper left", fontsize="small")
    return ax.figure


def banding_explorer(data, *, bands=(1, 64, 16), rows=(1, 16, 8)):
    """Sliders for b (bands) and r (rows per band) → S-curve, measured rates, candidates and recall.

    ``bands`` and ``rows`` are ``(min, max, initial)`` triples; b · r must not exceed the signature length
    (an invalid pair is reported under the figure).
    """
    from ._core import Explorer, int_slider

    controls = {"n_bands": int_slider("bands b", bands[0], bands[1], bands[2]),
                "rows_per_band": int_slider("rows per band r", rows[0], rows[1], rows[2])}
    return Explorer(update=partial(update_banding, data), draw=draw_banding, controls=controls, ncols=2,
                    figsize=(11, 4.3), title="MinHash banding: move b and r")
