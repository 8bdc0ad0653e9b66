"""Scatter + precision–recall explorer for any binary hash family.

A learner moves a bits slider (and any family parameter: kernel width, …) and sees, side by side,
the normalised code distance against the Euclidean distance for a sample of (query, database) pairs
and the precision–recall curve of Hamming ranking (ground truth: same label), with the PR curve of
exact Euclidean ranking as a reference.

Generic by design: the hash family enters only through ``make_hasher(n_bits, **params)``, which must
return an unfitted estimator with ``fit(X)`` and ``transform(X, packed=True)`` (every binary
``lshlab.hashing`` family does).  Example (lecture 04, kernel width slider)::

    from lshlab.hashing import ShiftInvariantHash
    from lshlab.widgets import log_slider, scatter_pr_explorer, update_scatter_pr

    make = lambda n_bits, sigma: ShiftInvariantHash(n_bits, kernel=sigma, random_state=0)
    explorer = scatter_pr_explorer(
        data.X_train, data.y_train, data.X_query, data.y_query, make,
        bits=(64, 256, 1024, 4096), params={"sigma": log_slider("kernel width σ", 1, 30, 8)},
    )
    result = update_scatter_pr(explorer.data, n_bits=256, sigma=8.0)  # the pure update, without sliders
    display(explorer)

Encodings and results are cached per (n_bits, params), so revisiting a setting costs nothing;
``precompute=True`` encodes every code length for the initial parameters up front so that the bits
slider never waits for an encoder.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from .._validation import check_matrix, check_positive_int
from ..metrics import PRCurve, precision_recall_curve_retrieval, relevance_from_labels
from ._core import Explorer, selection_slider
from ._view import View
from ._warm import setting_key

__all__ = [
    "ScatterPRData",
    "ScatterPRResult",
    "prepare_scatter_pr",
    "update_scatter_pr",
    "ScatterPRView",
    "draw_scatter_pr",
    "scatter_pr_explorer",
]


@dataclass
class ScatterPRData:
    """Everything ``update_scatter_pr`` needs that does not depend on the slider values.

    Built once by :func:`prepare_scatter_pr`: the data, the ground truth (``relevant``), a fixed
    sample of (query, database) pairs with their Euclidean distances, the PR curve of exact
    Euclidean retrieval (by radius: 128 distance quantiles, the same construction as the Hamming
    curve, so their AUCs are comparable), the encoding cache
    ``cache[(n_bits, params)] = (codes_query, codes_db)`` and the results already computed
    (``results``, same keys).
    """

    X_db: np.ndarray
    X_query: np.ndarray
    relevant: np.ndarray
    pair_q: np.ndarray
    pair_db: np.ndarray
    pair_eucl: np.ndarray
    euclidean_curve: PRCurve
    make_hasher: object
    cache: dict
    results: dict = field(default_factory=dict)


@dataclass
class ScatterPRResult:
    """Output of :func:`update_scatter_pr` (what :func:`draw_scatter_pr` draws)."""

    n_bits: int
    params: dict
    code_dist_pairs: np.ndarray
    eucl_dist_pairs: np.ndarray
    curve: PRCurve
    euclidean_curve: PRCurve
    encoded: bool  # True when this call had to fit/encode (cache miss)


def prepare_scatter_pr(X_db, y_db, X_query, y_query, make_hasher, *, relevant=None, n_pairs=5000,
                       max_queries=100, random_state=0):
    """Precompute the slider-independent parts of the scatter/PR explorer.

    Parameters
    ----------
    X_db, y_db : database features (n_db, d) and labels
    X_query, y_query : query features and labels (at most ``max_queries`` are used)
    make_hasher : callable(n_bits, **params) -> unfitted binary hasher
    relevant : bool array (n_queries, n_db), optional
        Ground truth; default "same label" (:func:`lshlab.metrics.relevance_from_labels`).
    n_pairs : int
        Number of (query, database) pairs in the scatter plot.
    """
    from ..distances import euclidean_distance_matrix

    Xd = check_matrix(X_db, "X_db")
    Xq = check_matrix(X_query, "X_query")
    if Xq.shape[1] != Xd.shape[1]:
        raise ValueError(f"X_query has {Xq.shape[1]} features but X_db has {Xd.shape[1]}")
    if not callable(make_hasher):
        raise ValueError("make_hasher must be a callable (n_bits, **params) -> hasher")
    max_queries = check_positive_int(max_queries, "max_queries")
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    n_q = min(Xq.shape[0], max_queries)
    Xq = Xq[:n_q]
    if relevant is None:
        relevant = relevance_from_labels(np.asarray(y_query)[:n_q], np.asarray(y_db))
    else:
        relevant = np.asarray(relevant, dtype=bool)[:n_q]
        if relevant.shape != (n_q, Xd.shape[0]):
            raise ValueError(f"relevant must have shape (n_queries, n_db) = {(n_q, Xd.shape[0])}, got {relevant.shape}")
    rng = np.random.default_rng(random_state)
    n_pairs = min(n_pairs, n_q * Xd.shape[0])
    flat = rng.choice(n_q * Xd.shape[0], n_pairs, replace=False)
    pq, pd = np.divmod(flat, Xd.shape[0])
    pair_eucl = np.sqrt(np.maximum(((Xq[pq] - Xd[pd]) ** 2).sum(axis=1), 0))
    E = euclidean_distance_matrix(Xq, Xd)
    # same construction as the Hamming curve (retrieve everything within a radius), so AUCs compare
    eucl_curve = precision_recall_curve_retrieval(E, relevant, by="radius", label="Euclidean (exact)")
    return ScatterPRData(Xd, Xq, relevant, pq, pd, pair_eucl, eucl_curve, make_hasher, {})


def _key(n_bits, params):
    """Cache key: code length and the parameter values (floats to 12 significant digits, so that a
    value computed in the browser and the same value computed here share an entry; unhashable values
    by their repr)."""
    return (int(n_bits), setting_key(params))


def _pending_encoding(data, *, n_bits, **params):
    """What the next update at these slider values computes: None when its codes are cached."""
    if _key(n_bits, params) in data.cache:
        return None
    return f"encoding {data.X_db.shape[0]:,} database and {data.X_query.shape[0]} query items at {n_bits} bits"


def update_scatter_pr(data, *, n_bits, **params):
    """Pure update: encode (or reuse cached codes), then pair distances and the Hamming-radius PR curve.

    Parameters
    ----------
    data : ScatterPRData
        From :func:`prepare_scatter_pr`.
    n_bits : int
        Code length passed to ``make_hasher``.
    **params
        Further keyword arguments for ``make_hasher`` (e.g. ``sigma=8.0``).

    Returns
    -------
    ScatterPRResult
    """
    from ..distances import hamming_distance_matrix

    n_bits = check_positive_int(n_bits, "n_bits")
    key = _key(n_bits, params)
    if key in data.results:  # a revisit: same codes, same distances, same curve
        return replace(data.results[key], encoded=False)
    encoded = key not in data.cache
    if encoded:
        hasher = data.make_hasher(n_bits, **params).fit(data.X_db)
        data.cache[key] = (hasher.transform(data.X_query, packed=True), hasher.transform(data.X_db, packed=True))
    cq, cd = data.cache[key]
    D = hamming_distance_matrix(cq, cd, packed=True, dtype=np.uint16)
    pair_code = D[data.pair_q, data.pair_db]
    curve = precision_recall_curve_retrieval(D, data.relevant, by="radius", label=f"Hamming, {n_bits} bits")
    result = ScatterPRResult(n_bits, dict(params), pair_code, data.pair_eucl, curve, data.euclidean_curve, encoded)
    data.results[key] = result
    return result


class ScatterPRView(View):
    """Figure of a :class:`ScatterPRResult`: left, the normalised code distance of the sampled pairs against
    their (fixed) Euclidean distance with the median per distance bin; right, the Hamming-radius PR curve
    against the (fixed) exact Euclidean one.  Moves change the points, the median, the Hamming curve,
    titles and legends; the y range of the scatter changes only when the codes outgrow it."""

    max_points = 5000  # pairs drawn (a fixed, reproducible subsample of larger samples)

    def build(self, result):
        from scipy.stats import rankdata

        ax_s, ax_p = np.ravel(self.axes)[:2]
        self.ax_s, self.ax_p = ax_s, ax_p
        e = np.asarray(result.eucl_dist_pairs, dtype=float)
        self.keep = (np.sort(np.random.default_rng(0).choice(e.size, self.max_points, replace=False))
                     if e.size > self.max_points else slice(None))
        self.e = e[self.keep]
        edges = np.quantile(e, np.linspace(0, 1, 31))  # median per Euclidean-distance bin (bins are fixed)
        which = np.clip(np.searchsorted(edges, e, side="right") - 1, 0, 29)
        self.bin_order = np.argsort(which, kind="stable")
        self.bin_starts = np.searchsorted(which[self.bin_order], np.arange(31))
        self.bin_centres = (edges[1:] + edges[:-1]) / 2
        self.e_ranks = rankdata(e[:20_000])
        # markers of a Line2D: Agg stamps one rendered marker (a scatter rasterises every point: ~6× slower)
        (self.points,) = ax_s.plot(self.e, np.zeros_like(self.e), ls="none", marker="o", ms=np.sqrt(6), alpha=0.35,
                                   color="tab:blue", mec="none")
        self.animate(self.points)
        (self.median,) = ax_s.plot([], [], color="tab:red", lw=2, label="median per bin")
        self.animate(self.median, ax_s.legend(loc="lower right", fontsize="small"))
        ax_s.set_xlabel("Euclidean distance")
        ax_s.set_ylabel("normalised code distance (fraction of bits)")
        pad = 0.02 * (e.max() - e.min() or 1.0)
        ax_s.set_xlim(e.min() - pad, e.max() + pad)
        self.title_s = self.animate(ax_s.set_title(" \n "))
        ref = result.euclidean_curve
        ok = np.isfinite(ref.precision)
        ax_p.plot(ref.recall[ok], ref.precision[ok], lw=1.8, color="C1", label="Euclidean (exact)",
                  marker="o" if len(ref.recall) <= 70 else None, ms=3)
        (self.curve,) = ax_p.plot([], [], lw=1.8, color="C0", ms=3, label="Hamming ranking of the codes")
        self.animate(self.curve)
        ax_p.set_xlabel("recall")
        ax_p.set_ylabel("precision")
        ax_p.set_xlim(0, 1.02)
        ax_p.set_ylim(0, 1.02)
        self.title_p = self.animate(ax_p.set_title(" "))
        handles, labels = ax_p.get_legend_handles_labels()
        self.animate(ax_p.legend(handles[::-1], ["Hamming ranking of the codes", "Euclidean (exact)"],
                                 fontsize="small", loc="upper right"))
        self.ref_auc = ref.auc
        self.update(result)

    def static_key(self):
        return self.top

    def update(self, result):
        from scipy.stats import rankdata

        c = np.asarray(result.code_dist_pairs, dtype=float) / result.n_bits
        self.top = float(min(1.0, max(0.2, np.ceil(c.max() * 1.05 * 10) / 10)))
        self.ax_s.set_ylim(-0.02 * self.top, self.top * 1.02)
        self.points.set_ydata(c[self.keep])
        grouped = c[self.bin_order]
        med = [np.median(grouped[a:b]) if b > a else np.nan for a, b in zip(self.bin_starts[:-1], self.bin_starts[1:])]
        self.median.set_data(self.bin_centres, med)
        cr = rankdata(c[:20_000])
        rho = float(np.corrcoef(self.e_ranks, cr)[0, 1]) if np.ptp(cr) > 0 else float("nan")
        extra = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in result.params.items())
        self.title_s.set_text(f"Hamming vs Euclidean, {result.n_bits} bits" + (f" ({extra})" if extra else "")
                              + f"\nSpearman ρ = {rho:.3f}")
        curve = result.curve
        ok = np.isfinite(curve.precision)
        self.curve.set_data(curve.recall[ok], curve.precision[ok])
        self.curve.set_marker("o" if len(curve.recall) <= 70 else "None")
        self.title_p.set_text(f"Precision–recall (same label = relevant)\nAUC: {result.n_bits}-bit codes "
                              f"{curve.auc:.3f}, Euclidean {self.ref_auc:.3f}")


def draw_scatter_pr(result, axes):
    """Draw the scatter (left) and the PR curves (right) of a :class:`ScatterPRResult`; return the Figure."""
    return ScatterPRView(axes).draw(result)


def scatter_pr_explorer(X_db, y_db, X_query, y_query, make_hasher, *, bits=(16, 32, 64, 128, 256, 512),
                        params=None, value=None, relevant=None, n_pairs=5000, max_queries=100,
                        precompute=True, random_state=0, figsize=(11, 4.3)):
    """Bits slider (+ any parameter sliders) → scatter of code vs Euclidean distance and PR curves.

    Parameters
    ----------
    X_db, y_db, X_query, y_query : data (see :func:`prepare_scatter_pr`)
    make_hasher : callable(n_bits, **params) -> unfitted binary hasher
    bits : sequence of int
        Code lengths offered by the bits slider.
    params : dict name -> ipywidgets slider, optional
        Extra parameters of ``make_hasher`` (e.g. ``{"sigma": log_slider("σ", 1, 30, 8)}``).
    value : int, optional
        Initial code length (default: the middle of ``bits``).
    precompute : bool
        Encode every code length for the initial parameter values at construction.

    Returns
    -------
    Explorer
        An ``ipywidgets.VBox``; ``explorer.result`` is the last :class:`ScatterPRResult`,
        ``explorer.timings`` the last update/draw times in ms.
    """
    bits = [check_positive_int(b, "bits") for b in bits]
    data = prepare_scatter_pr(X_db, y_db, X_query, y_query, make_hasher, relevant=relevant,
                              n_pairs=n_pairs, max_queries=max_queries, random_state=random_state)
    params = dict(params or {})
    controls = {"n_bits": selection_slider("bits", bits, value if value is not None else bits[len(bits) // 2])}
    controls.update(params)
    if precompute:
        init = {k: c.value for k, c in params.items()}
        for b in bits:
            update_scatter_pr(data, n_bits=b, **init)
    explorer = Explorer(
        update=partial(update_scatter_pr, data),
        draw=draw_scatter_pr, view=ScatterPRView, controls=controls, ncols=2, figsize=figsize,
        title="Code distance vs Euclidean distance, and precision–recall",
        pending=partial(_pending_encoding, data),
    )
    explorer.data = data
    return explorer
