"""Explorer for lecture 10: hashing under the Euclidean metric vs a learned (ITML) metric, against bits.

- :func:`prepare_metric_comparison` encodes database and queries once per metric at the largest code
  length (bit b of a :class:`~lshlab.hashing.MetricHash` does not depend on the code length, so the
  first n bits of a long code are an n-bit code), and stores exact-metric kNN accuracies and the
  theoretical collision probabilities of sampled query–database pairs.
- :func:`update_metric` (pure) evaluates one code length: kNN accuracy with Hamming distances,
  precision–recall by Hamming radius and measured bit agreement of the sampled pairs.
- :func:`draw_metric` draws PR curves, collision theory vs measurement and accuracies;
  :func:`metric_explorer` wires a bits slider to the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .._validation import check_matrix, check_positive_int
from ._core import Explorer, selection_slider
from ._view import View, set_band

__all__ = ["MetricLSHComparison", "prepare_metric_comparison", "MetricResult", "update_metric", "MetricView",
           "draw_metric", "metric_explorer"]


@dataclass
class MetricLSHComparison:
    """Cached codes and references for :func:`update_metric` (built by :func:`prepare_metric_comparison`).

    Attributes
    ----------
    labels : tuple of metric names;  max_bits, k : ints.
    codes : dict label -> lshlab.evaluation.CodePair
        Query and database codes (uint8 0/1 with ``max_bits`` columns).
    knn_exact : dict label -> kNN accuracy with the exact metric distance.
    pair_index : (n_pairs, 2) query / database indices of the sampled pairs.
    theory : dict label -> collision probability of each sampled pair.
    y_db, y_query : labels;  relevant : bool (n_query, n_db) same-label ground truth.
    """

    labels: tuple
    max_bits: int
    k: int
    codes: dict = field(default_factory=dict)
    knn_exact: dict = field(default_factory=dict)
    pair_index: np.ndarray = None
    theory: dict = field(default_factory=dict)
    y_db: np.ndarray = None
    y_query: np.ndarray = None
    relevant: np.ndarray = None


def prepare_metric_comparison(X_db, y_db, X_query, y_query, metrics, *, max_bits=256, k=5,
                              n_pairs=300, random_state=0):
    """Encode once per metric and compute the references the explorer needs.

    Parameters
    ----------
    X_db, y_db, X_query, y_query : arrays
        Database and queries (rows) with labels; relevance is "same label".
    metrics : dict label -> (d, d) PSD matrix or None (None = Euclidean / identity)
    max_bits : int
        Longest code length offered by the slider.
    k : int
        Neighbours in the kNN vote.
    n_pairs : int
        Query–database pairs sampled for the collision check.
    """
    from ..evaluation import encode_pair
    from ..hashing.metric import MetricHash, metric_collision_probability
    from ..metric_learning import knn_accuracy, mahalanobis_distance_matrix
    from ..metrics import relevance_from_labels

    X_db = check_matrix(X_db, "X_db", dtype=np.float64)
    X_query = check_matrix(X_query, "X_query", dtype=np.float64)
    if X_db.shape[1] != X_query.shape[1]:
        raise ValueError(f"X_db has {X_db.shape[1]} features but X_query has {X_query.shape[1]}")
    y_db, y_query = np.asarray(y_db), np.asarray(y_query)
    if y_db.shape != (X_db.shape[0],) or y_query.shape != (X_query.shape[0],):
        raise ValueError("y_db and y_query must hold one label per row of X_db and X_query")
    if not isinstance(metrics, dict) or not metrics:
        raise ValueError("metrics must be a non-empty dict label -> matrix (or None for Euclidean)")
    max_bits = check_positive_int(max_bits, "max_bits")
    k = check_positive_int(k, "k")
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    rng = np.random.default_rng(random_state)
    pair_index = np.column_stack([rng.integers(0, X_query.shape[0], n_pairs),
                                  rng.integers(0, X_db.shape[0], n_pairs)])
    comp = MetricLSHComparison(labels=tuple(metrics), max_bits=max_bits, k=k, pair_index=pair_index,
                               y_db=y_db, y_query=y_query, relevant=relevance_from_labels(y_query, y_db))
    d = X_db.shape[1]
    for label, A in metrics.items():
        A = np.eye(d) if A is None else A
        comp.codes[label] = encode_pair(MetricHash(max_bits, A, random_state=random_state), X_db, X_query)
        D = mahalanobis_distance_matrix(X_query, X_db, A)
        comp.knn_exact[label] = knn_accuracy(D, y_db, y_query, k)
        comp.theory[label] = metric_collision_probability(X_query[pair_index[:, 0]], X_db[pair_index[:, 1]], A)
    return comp


@dataclass
class MetricResult:
    """Output of :func:`update_metric`, every field a dict keyed by metric label except ``n_bits`` and ``k``.

    Attributes
    ----------
    n_bits : int;  k : int (neighbours in the kNN vote)
    knn_hash : kNN accuracy with Hamming distances (ties by index)
    knn_exact : kNN accuracy with the exact metric distance
    pr : PRCurve by Hamming radius
    theory, measured : per-pair collision probability and measured fraction of equal bits
    """

    n_bits: int
    k: int
    knn_hash: dict
    knn_exact: dict
    pr: dict
    theory: dict
    measured: dict


def update_metric(comparison, *, n_bits=64):
    """Evaluate every metric's hash at ``n_bits`` (the first ``n_bits`` bits of the cached codes).

    Returns
    -------
    MetricResult
    """
    from ..evaluation import code_distances
    from ..metric_learning import knn_accuracy
    from ..metrics import precision_recall_curve_retrieval

    n_bits = check_positive_int(n_bits, "n_bits")
    if n_bits > comparison.max_bits:
        raise ValueError(f"n_bits={n_bits} exceeds the cached code length {comparison.max_bits}")
    qi, di = comparison.pair_index.T
    out = MetricResult(n_bits=n_bits, k=comparison.k, knn_hash={}, knn_exact=dict(comparison.knn_exact), pr={},
                       theory=dict(comparison.theory), measured={})
    for label in comparison.labels:
        codes = comparison.codes[label].prefix(n_bits)  # bit b does not depend on the code length
        H = code_distances(codes)
        out.knn_hash[label] = knn_accuracy(H, comparison.y_db, comparison.y_query, comparison.k)
        out.pr[label] = precision_recall_curve_retrieval(H, comparison.relevant, by="radius",
                                                         label=f"{label}, {n_bits} bits")
        out.measured[label] = np.mean(codes.query[qi] == codes.db[di], axis=1)
    return out


class MetricView(View):
    """Figure of a :class:`MetricResult` in three panels: PR curves by Hamming radius, measured bit agreement
    against the theoretical collision probability (± 2σ band of the code length), and kNN accuracy of
    the exact metric (static bars) against its hash (moving bars).  Axes are fixed; curves, points, the
    band, bar heights, annotations, titles and legends move."""

    def build(self, result):
        import matplotlib.pyplot as plt

        axes = np.atleast_1d(self.axes)
        if axes.size < 3:
            raise ValueError("draw_metric needs three axes")
        ax_pr, ax_c, ax_b = axes[:3]
        self.ax_pr, self.ax_c, self.ax_b = ax_pr, ax_c, ax_b
        labels = list(result.knn_hash)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"] * 3
        self.pr = {lab: self.animate(ax_pr.plot([], [], lw=1.8, ms=3, color=c, label=lab)[0])
                   for lab, c in zip(labels, colors)}
        ax_pr.set_xlabel("recall")
        ax_pr.set_ylabel("precision")
        ax_pr.set_xlim(0, 1.02)
        ax_pr.set_ylim(0, 1.02)
        self.title_pr = self.animate(ax_pr.set_title(" "))
        self.animate(ax_pr.legend(fontsize="small", loc="upper right"))
        grid = np.linspace(0, 1, 101)
        self.grid = grid
        self.points = {lab: self.animate(ax_c.plot(np.asarray(result.theory[lab], float),
                                                   np.zeros(len(result.theory[lab])), ls="none", marker="o",
                                                   ms=np.sqrt(14), alpha=0.7, color=c, mec="none", label=lab)[0])
                       for lab, c in zip(labels, colors)}
        ax_c.plot(grid, grid, color="black", lw=1, label="theory = measured")
        self.band = self.animate(ax_c.fill_between(grid, grid, grid, color="grey", alpha=0.25,
                                                   label="±2σ of the code length"))
        ax_c.set_xlim(0, 1)
        ax_c.set_ylim(0, 1)
        ax_c.set_xlabel("theory 1 − arccos(xᵀAy / √(xᵀAx·yᵀAy)) / π")
        ax_c.set_ylabel("measured fraction of equal bits")
        self.title_c = self.animate(ax_c.set_title(" "))
        self.animate(ax_c.legend(fontsize="small", loc="upper left"))
        x = np.arange(len(labels))
        self.labels = labels
        ax_b.bar(x - 0.2, [result.knn_exact[lab] for lab in labels], 0.4, label="exact metric", color="grey")
        self.bars = ax_b.bar(x + 0.2, np.zeros(len(labels)), 0.4, label="Hamming ranking of the code", color="C0")
        self.animate(*self.bars.patches)
        self.notes = [self.animate(ax_b.annotate("", (xi + 0.2, 0.0), ha="center", va="bottom", fontsize=9))
                      for xi in x]
        ax_b.set_xticks(x, labels)
        ax_b.set_ylim(0, 1.18)
        ax_b.set_xlabel("metric")
        ax_b.set_ylabel(f"{result.k}-NN accuracy")
        self.title_b = self.animate(ax_b.set_title(" "))
        self.animate(ax_b.legend(fontsize="small", loc="upper center", ncol=2))
        self.update(result)

    def update(self, result):
        b = result.n_bits
        for lab, line in self.pr.items():
            curve = result.pr[lab]
            ok = np.isfinite(curve.precision)
            line.set_data(curve.recall[ok], curve.precision[ok])
            line.set_marker("o" if len(curve.recall) <= 70 else "None")
        aucs = ", ".join(f"{lab} {result.pr[lab].auc:.3f}" for lab in self.pr)
        self.title_pr.set_text(f"Same-class retrieval by Hamming radius, {b} bits\nAUC: {aucs}")
        for lab, points in self.points.items():
            points.set_ydata(np.asarray(result.measured[lab], float))
        band = 2 * np.sqrt(self.grid * (1 - self.grid) / b)
        set_band(self.band, self.grid, self.grid - band, self.grid + band)
        self.title_c.set_text(f"Bit agreement vs theory, {b} bits (band: ±2σ)")
        for bar, note, lab in zip(self.bars.patches, self.notes, self.labels):
            value = result.knn_hash[lab]
            bar.set_height(value)
            note.xy = note.xyann = (bar.get_x() + bar.get_width() / 2, value)
            note.set_text(f"{value:.3f}")
        self.title_b.set_text(f"kNN accuracy: exact metric vs its {b}-bit hash")


def draw_metric(result, axes):
    """Three panels: PR by Hamming radius, collision theory vs measured, kNN accuracy (hash vs exact) of a
    :class:`MetricResult`; returns the Figure."""
    return MetricView(axes).draw(result)


def metric_explorer(comparison, *, bits=(8, 16, 32, 64, 128, 256), value=64, figsize=(15, 4.6)):
    """A bits slider over a :class:`MetricLSHComparison` (codes are cached: no re-hashing)."""
    bits = tuple(b for b in bits if b <= comparison.max_bits)
    if not bits:
        raise ValueError(f"no code length in bits is <= max_bits={comparison.max_bits}")
    value = value if value in bits else bits[len(bits) // 2]
    return Explorer(
        update=partial(update_metric, comparison),
        draw=draw_metric, view=MetricView,
        controls={"n_bits": selection_slider("bits", bits, value)},
        ncols=3, figsize=figsize, title="Metric LSH: Euclidean vs learned metric against code length",
    )
