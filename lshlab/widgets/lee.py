"""q slider explorer: one query against the database, histograms of Lee vs Euclidean distance.

The expensive part (random Fourier features and the projections u = ⟨w, φ(x)⟩/s + t of the
database) does not depend on q (:class:`lshlab.hashing.LeeHash` draws its randomness independently
of q), so :func:`prepare_lee` computes it once and :func:`update_lee` only quantises
(⌈q u⌉ mod q) and computes Lee distances: a slider move at 10k database points is a few ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy.stats import spearmanr

from .._validation import check_matrix, check_positive_int
from ._core import Explorer, int_slider
from ._view import View, nice_ceiling

__all__ = ["LeeExplorerData", "LeeResult", "prepare_lee", "update_lee", "LeeView", "draw_lee", "lee_explorer"]


@dataclass
class LeeExplorerData:
    """Slider-independent state: the fitted hasher, projections of the query and database, and the
    Euclidean distances of the query to the database."""

    hasher: object
    u_query: np.ndarray  # (1, n_hashes)
    u_db: np.ndarray     # (n_db, n_hashes)
    eucl: np.ndarray     # (n_db,)


@dataclass
class LeeResult:
    """Output of :func:`update_lee`: one query's Lee distances at alphabet size ``q`` beside its Euclidean
    distances to the database, and their rank correlation."""

    q: int
    lee: np.ndarray      # (n_db,) Lee distances of the query's code to every database code
    eucl: np.ndarray     # (n_db,)
    rho: float           # Spearman rank correlation of lee and eucl
    n_symbols: int


def prepare_lee(X_db, x_query, *, n_hashes=256, n_components=512, kernel=1.0, scale="auto", random_state=0):
    """Fit a :class:`LeeHash` on ``X_db`` and project the database and one query (a row vector).

    ``n_hashes``, ``n_components`` (random Fourier features), ``kernel``, ``scale`` and ``random_state``
    are the parameters of :class:`~lshlab.hashing.LeeHash`.
    """
    from ..distances import euclidean_distance_matrix
    from ..hashing.lee import LeeHash

    Xd = check_matrix(X_db, "X_db")
    xq = check_matrix(np.atleast_2d(x_query), "x_query")
    if xq.shape[0] != 1 or xq.shape[1] != Xd.shape[1]:
        raise ValueError(f"x_query must be one row with {Xd.shape[1]} features, got shape {xq.shape}")
    hasher = LeeHash(n_hashes=n_hashes, q=2, n_components=n_components, kernel=kernel, scale=scale,
                     random_state=random_state).fit(Xd)
    eucl = euclidean_distance_matrix(xq, Xd)[0]
    return LeeExplorerData(hasher, hasher.project(xq), hasher.project(Xd), np.asarray(eucl, dtype=np.float64))


def update_lee(data, *, q):
    """Quantise to Z_q, Lee distances of the query to the database, Spearman ρ with Euclidean.

    One query against n_db codes is computed directly as Σ_s min(|a_s − b_s|, q − |a_s − b_s|)
    (int16, a few ms at 10k × 256); it equals :func:`lshlab.distances.lee_distance_matrix`
    (tested), whose Hamming embedding pays off for many queries but costs a re-embedding of the
    whole database at every q here.

    Returns a :class:`LeeResult`.
    """
    from ..hashing.lee import lee_quantize

    q = check_positive_int(q, "q", minimum=2)
    itype = np.int16 if q <= 32767 else np.int32
    a = lee_quantize(data.u_query, q).astype(itype)
    diff = np.abs(lee_quantize(data.u_db, q).astype(itype) - a)
    lee = np.minimum(diff, itype(q) - diff).sum(axis=1, dtype=np.int64)
    rho = float(spearmanr(lee, data.eucl)[0])
    return LeeResult(q, lee, data.eucl, rho, int(data.u_db.shape[1]))


def _rescaled(d):
    d = np.asarray(d, dtype=np.float64).ravel()
    top = d.max()
    return d / top if top > 0 else d


class LeeView(View):
    """Figure of a :class:`LeeResult`: density histograms of the query's rescaled Lee (moves with q) and
    Euclidean (fixed) distances; given two axes, the scatter of normalised Lee distance against Euclidean
    distance (3,000 fixed database items).  Axis limits change only when the data outgrow them."""

    bins, max_points = 40, 3000

    def build(self, result):
        axes = np.ravel(self.axes)
        ax = axes[0]
        self.edges = np.linspace(0, 1, self.bins + 1)
        eu = _rescaled(result.eucl)
        self.eu_density, _ = np.histogram(eu, bins=self.edges, density=True)
        ax.stairs(self.eu_density, self.edges, fill=True, alpha=0.55, color="tab:blue", label="Euclidean (rescaled)")
        self.lee_hist = self.animate(ax.stairs(np.zeros(self.bins), self.edges, fill=True, alpha=0.55,
                                               color="tab:red", label="Lee (rescaled)"))
        ax.set_xlabel("distance to the query / its maximum")
        ax.set_ylabel("density")
        ax.set_xlim(0, 1)
        self.animate(ax.legend(fontsize="small", loc="upper left"))
        self.title = self.animate(ax.set_title(" ", fontsize="medium"))
        self.scatter = None
        if axes.size > 1:
            ax2 = axes[1]
            n = result.lee.size
            self.keep = (np.random.default_rng(0).choice(n, self.max_points, replace=False)
                         if n > self.max_points else np.arange(n))
            self.eu_raw = eu_raw = np.asarray(result.eucl, dtype=np.float64).ravel()[self.keep]
            (self.scatter,) = ax2.plot(eu_raw, np.zeros_like(eu_raw), ls="none", marker="o", ms=2.0, alpha=0.35,
                                       color="tab:red", mec="none")  # Line2D markers: fast to rasterise
            self.animate(self.scatter)
            pad = 0.02 * (eu_raw.max() - eu_raw.min() or 1.0)
            ax2.set_xlim(eu_raw.min() - pad, eu_raw.max() + pad)
            ax2.set_xlabel("Euclidean distance to the query")
            ax2.set_ylabel("normalised Lee distance")
            self.title2 = self.animate(ax2.set_title(" ", fontsize="medium"))
        self.update(result)

    def static_key(self):
        return self.key

    def update(self, result):
        axes = np.ravel(self.axes)
        dens, _ = np.histogram(_rescaled(result.lee), bins=self.edges, density=True)
        self.lee_hist.set_data(dens, self.edges)
        top = nice_ceiling(1.05 * max(dens.max(), self.eu_density.max()))
        axes[0].set_ylim(0, top)
        self.title.set_text(f"One query: Lee (q = {result.q}) vs Euclidean, Spearman ρ = {result.rho:.2f}")
        self.key = (top,)
        if self.scatter is not None:
            lee = np.asarray(result.lee, dtype=np.float64).ravel()[self.keep] / (result.n_symbols * (result.q // 2))
            self.scatter.set_ydata(lee)
            top2 = max(0.6, nice_ceiling(float(lee.max()) * 1.05))
            axes[1].set_ylim(0, top2)
            self.title2.set_text(f"One query: Lee (q = {result.q}, {result.n_symbols} symbols) vs Euclidean")
            self.key = (top, top2)


def draw_lee(result, axes):
    """Histograms of rescaled Lee and Euclidean distance for a :class:`LeeResult`; given two axes,
    also the scatter of normalised Lee distance against Euclidean distance; returns the Figure."""
    return LeeView(axes).draw(result)


def lee_explorer(X_db, x_query, *, q=2, q_range=(2, 64), n_hashes=256, n_components=512, kernel=1.0,
                 scale="auto", random_state=0, figsize=(12, 4.2)):
    """q slider → histograms of the query's rescaled Lee and Euclidean distances to the database.

    Returns an :class:`lshlab.widgets.Explorer`; ``explorer.data`` is the :class:`LeeExplorerData`.
    """
    data = prepare_lee(X_db, x_query, n_hashes=n_hashes, n_components=n_components, kernel=kernel,
                       scale=scale, random_state=random_state)
    explorer = Explorer(
        update=partial(update_lee, data), draw=draw_lee, view=LeeView,
        controls={"q": int_slider("alphabet size q", q_range[0], q_range[1], q)},
        ncols=2, figsize=figsize, title=f"Lee codes ({n_hashes} symbols) vs Euclidean distance, one query",
    )
    explorer.data = data
    return explorer
