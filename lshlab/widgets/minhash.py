"""Explorer for lecture 03: MinHash banding with b bands × r rows, theory against measurement.

``prepare_banding`` gathers what does not change with the sliders (signatures, the exact Jaccard index of
every query–database pair, the true top-k); ``update_banding`` is pure: it bands the signatures,
measures the candidate rate per Jaccard bin, the candidates per query and the recall of the true top-k,
and predicts the same from the S-curve 1 − (1 − J^r)^b; ``draw_banding`` draws the S-curve with the
measured rates and the predicted against the measured cost and recall (:class:`BandingView`: the axes are
drawn once, the curves, points and texts move); ``banding_explorer`` wires sliders for b and r.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .._validation import check_positive_int
from ._view import View

__all__ = ["BandingData", "prepare_banding", "BandingResult", "update_banding", "BandingView", "draw_banding",
           "banding_explorer"]


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


class BandingView(View):
    """Figure of a :class:`BandingResult`.

    Left: the S-curve 1 − (1 − s^r)^b of the chosen (b, r) with its threshold (1/b)^(1/r) and the measured
    candidate rate per Jaccard bin (Leskovec, Rajaraman & Ullman, "Mining of Massive Datasets", §3.4);
    right: candidates per query (log scale) against recall of the true top-k, predicted for this r and
    every b, with the predicted and measured points of the chosen b.  Axes are static; curves, points,
    legends and titles move.
    """

    def build(self, result):
        ax, ax_t = np.ravel(self.axes)[:2]
        self.s = np.linspace(0, 1, 201)
        self.curve = ax.plot([], [], lw=2, color="C0", zorder=2)[0]
        self.threshold = ax.axvline(0.5, color="C0", ls=":", lw=1, zorder=2)
        self.measured = ax.plot([], [], "o", ms=5, color="C0", mec="black", mew=0.6, zorder=3,
                                label="measured, one draw")[0]
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("Jaccard index s of the pair")
        ax.set_ylabel("P[pair is a candidate]")
        self.title = ax.set_title(" ")
        self.legend = ax.legend([self.curve, self.measured], [" ", "measured, one draw"], loc="upper left",
                                fontsize="small")
        self.trade = ax_t.plot([], [], color="grey", lw=1.5, zorder=2)[0]
        self.predicted = ax_t.plot([], [], "s", ms=10, mfc="none", mew=2, color="black", zorder=3)[0]
        self.point = ax_t.plot([], [], "o", ms=8, color="tab:orange", zorder=3)[0]
        ax_t.set_xscale("log")
        ax_t.set_xlim(0.01, 100)
        ax_t.set_ylim(-0.02, 1.02)
        ax_t.set_xlabel("candidates per query (% of the database)")
        ax_t.set_ylabel("recall of the true top-k")
        self.title_t = ax_t.set_title(" ")
        self.legend_t = ax_t.legend([self.trade, self.predicted, self.point],
                                    [" ", "predicted by the S-curve", "measured"], loc="upper left", fontsize="small")
        self.animate(self.curve, self.threshold, self.measured, self.title, self.legend, self.trade, self.predicted,
                     self.point, self.title_t, self.legend_t)
        self.update(result)

    def update(self, result):
        from ..lsh_theory import amplified_collision_probability, s_curve_threshold

        b, r, n = result.n_bands, result.rows_per_band, result.n_database
        self.curve.set_data(self.s, amplified_collision_probability(self.s, r, b))
        t = s_curve_threshold(b, r)
        self.threshold.set_xdata([t, t])
        ok = np.isfinite(result.rate)
        self.measured.set_data(result.s[ok], result.rate[ok])
        self.legend.get_texts()[0].set_text(f"b = {b} bands × r = {r} rows")
        self.title.set_text(f"b = {b} bands × r = {r} rows")
        self.trade.set_data(100 * result.curve_candidates / n, result.curve_recall)
        self.predicted.set_data([100 * result.predicted_candidates / n], [result.predicted_recall])
        self.point.set_data([100 * result.candidates / n], [result.recall])
        self.legend_t.get_texts()[0].set_text(f"predicted, r = {r}, b = 1…{result.curve_bands[-1]}")
        self.title_t.set_text(f"{result.candidates:.0f} candidates, recall {result.recall:.2f}")


def draw_banding(result, axes):
    """Left: the S-curve of (b, r) with the measured candidate rates per Jaccard bin; right: predicted and
    measured candidates per query and recall.  Returns the Figure."""
    axes = np.ravel(axes)
    if axes.size < 2:
        raise ValueError("draw_banding needs two axes")
    return BandingView(axes).draw(result)


def banding_explorer(data, *, bands=(1, 64, 16), rows=(1, 16, 8)):
    """Sliders for b (bands) and r (rows per band) → S-curve, measured rates, candidates and recall.

    ``bands`` and ``rows`` are ``(min, max, initial)`` triples.  b · r must not exceed the signature length:
    the b slider's maximum follows r (at most ``n_hashes // r``; a larger b is lowered to it when r grows),
    so every position of the sliders is a valid pair.
    """
    from ._core import Explorer, int_slider

    n_hashes = data.signatures_db.shape[1]
    (b_min, b_max, b0), (r_min, r_max, r0) = (tuple(int(v) for v in bands), tuple(int(v) for v in rows))
    if b_min < 1 or r_min < 1 or b0 * r0 > n_hashes or b_min * r_min > n_hashes:
        raise ValueError(f"bands={bands} and rows={rows} must be ≥ 1 with an initial b · r = {b0 * r0} (and at least "
                         f"{b_min * r_min}) within the {n_hashes} hashes of the signatures")
    r_max = min(r_max, n_hashes // b_min)  # at least b_min bands of r rows must fit
    rows_slider = int_slider("rows per band r", r_min, r_max, r0)
    bands_slider = int_slider("bands b", b_min, max(b_min, min(b_max, n_hashes // r0)), b0)

    def follow(change):  # registered before the explorer's observer: b is within range when it redraws
        bands_slider.max = max(b_min, min(b_max, n_hashes // change["new"]))

    rows_slider.observe(follow, names="value")
    controls = {"n_bands": bands_slider, "rows_per_band": rows_slider}
    return Explorer(update=partial(update_banding, data), draw=draw_banding, view=BandingView, controls=controls,
                    ncols=2, figsize=(11, 4.3), title="MinHash banding: move b and r")
