"""Small learned codes compared: LSH, PCAH, ITQ, spectral hashing and RBM semantic hashing, against bits.

- :func:`fit_code_comparison` fits every (method, code length) once, encodes database and queries, and
  stores mAP (Hamming ranking, tie-aware) and the precision–recall curve per Hamming radius
  (:func:`lshlab.evaluation.score_codes`). It is the cache the explorer reads: moving the bits slider only
  looks results up and redraws.
- :func:`update_spectral` (pure) picks one code length from a comparison; :func:`draw_spectral` draws
  its PR curves beside mAP-against-bits lines (with published figures when given);
  :func:`spectral_explorer` wires a bits slider to the two.

``PUBLISHED_CNNH_MNIST`` holds the MNIST baselines reported by Xia, Pan, Lai, Liu & Yan, "Supervised
hashing for image retrieval via image representation learning" (CNNH), AAAI 2014, Table 2 (mAP with
Hamming ranking; 1,000 queries, the other 69,000 images as database, GIST-free raw pixels).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .._validation import check_matrix, check_positive_int
from ._core import Explorer, selection_slider
from ._view import View

__all__ = [
    "METHODS",
    "PUBLISHED_CNNH_MNIST",
    "CodeComparison",
    "make_hasher",
    "fit_code_comparison",
    "map_table_markdown",
    "SpectralResult",
    "update_spectral",
    "SpectralView",
    "draw_spectral",
    "spectral_explorer",
]

METHODS = ("LSH", "PCAH", "ITQ", "SH", "RBM")

PUBLISHED_CNNH_MNIST = {
    "bits": (12, 24, 32, 48),
    "LSH": (0.187, 0.209, 0.235, 0.243),
    "SH": (0.265, 0.267, 0.259, 0.250),
    "ITQ": (0.388, 0.436, 0.422, 0.429),
}


def make_hasher(method, n_bits, random_state=0, rbm_params=None):
    """An unfitted hasher for ``method`` in :data:`METHODS`.

    ``"LSH"`` is :class:`~lshlab.hashing.RandomHyperplaneHash` with ``center=True`` (hyperplanes through
    the data mean — without centring, non-negative pixels fall almost all on one side of most random
    hyperplanes). ``rbm_params`` are extra keyword arguments for :class:`~lshlab.hashing.RBMHash`.
    """
    from .. import hashing

    n_bits = check_positive_int(n_bits, "n_bits")
    if method == "LSH":
        return hashing.RandomHyperplaneHash(n_bits=n_bits, center=True, random_state=random_state)
    if method == "PCAH":
        return hashing.PCAHash(n_bits=n_bits, random_state=random_state)
    if method == "ITQ":
        return hashing.ITQHash(n_bits=n_bits, random_state=random_state)
    if method == "SH":
        return hashing.SpectralHash(n_bits=n_bits, random_state=random_state)
    if method == "RBM":
        return hashing.RBMHash(n_bits=n_bits, random_state=random_state, **(rbm_params or {}))
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


@dataclass
class CodeComparison:
    """Results of :func:`fit_code_comparison`, keyed by ``(method, n_bits)``.

    Attributes
    ----------
    methods, bits : tuples of what was compared.
    map : dict (method, bits) -> float
        Mean average precision over the whole Hamming ranking (``ties`` as given).
    pr : dict (method, bits) -> lshlab.metrics.PRCurve
        Precision–recall per Hamming radius.
    fit_seconds : dict (method, bits) -> float
    codes : dict (method, bits) -> lshlab.evaluation.CodePair
        Query and database codes (uint8 0/1), when ``keep_codes`` was set.
    ties : str
    """

    methods: tuple
    bits: tuple
    map: dict = field(default_factory=dict)
    pr: dict = field(default_factory=dict)
    fit_seconds: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)
    ties: str = "average"

    def map_curve(self, method):
        """mAP of ``method`` at every code length in ``bits`` (ndarray)."""
        return np.array([self.map[(method, b)] for b in self.bits])


def fit_code_comparison(X_train, X_db, X_query, relevant, bits=(12, 24, 32, 48), methods=METHODS,
                        random_state=0, rbm_params=None, ties="average", keep_codes=False):
    """Fit each method at each code length on ``X_train``, rank ``X_db`` by Hamming distance to ``X_query``.

    Parameters
    ----------
    X_train : array (n_train, d)
        Unsupervised training data (often the database itself).
    X_db, X_query : arrays (n_db, d), (n_query, d)
    relevant : bool array (n_query, n_db)
        Ground truth (same label, or Euclidean ε-neighbour).
    bits : sequence of int
        Code lengths. Methods that cannot produce a length (PCAH / ITQ need ``n_bits ≤ d``) raise.
    methods : sequence of names from :data:`METHODS`
    ties : {"average", "index"}
        Tie rule of the mAP (see :mod:`lshlab.evaluation`).
    keep_codes : bool
        Also store the codes (memory: n × bits bytes per entry).

    Returns
    -------
    CodeComparison
    """
    from ..evaluation import encode_pair, score_codes

    X_train = check_matrix(X_train, "X_train")
    X_db = check_matrix(X_db, "X_db")
    X_query = check_matrix(X_query, "X_query")
    relevant = np.asarray(relevant, dtype=bool)
    if relevant.shape != (X_query.shape[0], X_db.shape[0]):
        raise ValueError(
            f"relevant must have shape (n_query, n_db) = {(X_query.shape[0], X_db.shape[0])}, got {relevant.shape}"
        )
    bits = tuple(check_positive_int(b, "bits[i]") for b in bits)
    methods = tuple(methods)
    if not bits or not methods:
        raise ValueError("bits and methods must be non-empty")
    out = CodeComparison(methods=methods, bits=bits, ties=ties)
    for method in methods:
        for b in bits:
            hasher = make_hasher(method, b, random_state=random_state, rbm_params=rbm_params)
            t0 = time.perf_counter()
            hasher.fit(X_train)
            out.fit_seconds[(method, b)] = time.perf_counter() - t0
            codes = encode_pair(hasher, X_db, X_query, fit_on=None)
            scores = score_codes(codes, relevant, ties=ties, pr="radius", pr_thresholds=np.arange(b + 1),
                                 label=f"{method} {b} bits")
            out.map[(method, b)], out.pr[(method, b)] = scores.map, scores.pr
            if keep_codes:
                out.codes[(method, b)] = codes
    return out


def map_table_markdown(comparison, published=None, digits=3):
    """A markdown table of mAP per method (rows) and code length (columns), with published rows added.

    ``published`` is a dict like :data:`PUBLISHED_CNNH_MNIST` (its ``"bits"`` must list the lengths).
    """
    bits = comparison.bits
    lines = ["| method | " + " | ".join(f"{b} bits" for b in bits) + " |",
             "|---|" + "---|" * len(bits)]
    for m in comparison.methods:
        lines.append(f"| {m} (ours) | " + " | ".join(f"{comparison.map[(m, b)]:.{digits}f}" for b in bits) + " |")
    if published:
        pub_bits = tuple(published["bits"])
        for m, vals in published.items():
            if m == "bits":
                continue
            cells = [f"{vals[pub_bits.index(b)]:.{digits}f}" if b in pub_bits else "–" for b in bits]
            lines.append(f"| {m} (CNNH paper) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
