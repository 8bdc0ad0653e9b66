"""Lecture 11 explorer: a bits slider over cached DSH models (and a query slider).

``update_dsh`` is pure (codes in, a :class:`DSHResult` out); ``draw_dsh`` draws a result; ``dsh_explorer``
wires them to ipywidgets through :class:`lshlab.widgets._core.Explorer`.  The codes of every model are
computed once when the explorer is built, so moving a slider costs one Hamming ranking of the database
(a few ms for 60,000 codes).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .._validation import check_k
from ._view import View, nice_ceiling

__all__ = ["DSHResult", "update_dsh", "DSHView", "draw_dsh", "dsh_explorer", "encode_models"]


def encode_models(models, X_query, X_db):
    """``{n_bits: CodePair}`` (:func:`lshlab.evaluation.encode_pair`) for a dict ``{n_bits: fitted hasher}``."""
    from ..evaluation import encode_pair

    return {int(b): encode_pair(m, X_db, X_query, fit_on=None) for b, m in models.items()}


@dataclass
class DSHResult:
    """Output of :func:`update_dsh`: one query ranked by the ``n_bits`` model.

    Attributes
    ----------
    n_bits, query : the model and the query row
    idx, dist : top-k database rows (by Hamming distance, then index) and their distances
    correct : bool array (k,), whether each result has the query's label
    d_same, d_other : the query's distances to same-class / other-class database items
    precision : P@k;  n_tied : database items at the k-th distance or closer
    """

    n_bits: int
    query: int
    idx: np.ndarray
    dist: np.ndarray
    correct: np.ndarray
    d_same: np.ndarray
    d_other: np.ndarray
    precision: float
    n_tied: int


def update_dsh(codes, y_query, y_db, *, n_bits, query=0, k=10):
    """Rank the database for one query with the ``n_bits`` model.

    Parameters
    ----------
    codes : dict n_bits -> lshlab.evaluation.CodePair
        Query and database codes of each model (see :func:`encode_models`).
    y_query, y_db : label arrays
    n_bits : int
        Which model.
    query : int
        Row of the query.
    k : int
        Number of results.

    Returns
    -------
    DSHResult
    """
    if n_bits not in codes:
        raise ValueError(f"no model with n_bits={n_bits}; available: {sorted(codes)}")
    pair = codes[n_bits]
    if not 0 <= int(query) < pair.n_query:
        raise ValueError(f"query must be in 0..{pair.n_query - 1}, got {query}")
    y_query, y_db = np.asarray(y_query), np.asarray(y_db)
    k = check_k(k, pair.n_db)
    d = np.count_nonzero(pair.db != pair.query[int(query)], axis=1)  # one row: faster than a packed kernel
    idx = np.argsort(d, kind="stable")[:k]
    same = y_db == y_query[int(query)]
    return DSHResult(
        n_bits=int(n_bits),
        query=int(query),
        idx=idx,
        dist=d[idx],
        correct=same[idx],
        d_same=d[same],
        d_other=d[~same],
        precision=float(same[idx].mean()),
        n_tied=int(np.count_nonzero(d <= d[idx[-1]])),
    )


class DSHView(View):
    """Figure of a :class:`DSHResult`: left, the query's Hamming distances to same-class vs other-class
    database codes (densities over 0 … n_bits); right, the query and its top k (images of ``X_query`` /
    ``X_db`` when given; green frame = same class, red = other; the Hamming distance under each).
    The distance axis follows the code length; everything else moves in place."""

    def __init__(self, axes, *, X_query=None, X_db=None, image_shape=(28, 28)):
        super().__init__(axes)
        self.X_query, self.X_db, self.image_shape = X_query, X_db, tuple(image_shape)

    def build(self, result):
        from matplotlib.patches import Rectangle

        axes = list(np.atleast_1d(self.axes).ravel())
        self.ax_h, ax = axes[0], axes[1]
        self.hist_same = self.animate(self.ax_h.stairs([0.0], [0.0, 1.0], fill=True, alpha=0.6, color="C0",
                                                       label="same class"))
        self.hist_other = self.animate(self.ax_h.stairs([0.0], [0.0, 1.0], fill=True, alpha=0.6, color="C1",
                                                        label="other classes"))
        self.ax_h.set_xlabel("Hamming distance")
        self.ax_h.set_ylabel("fraction of pairs")
        self.animate(self.ax_h.legend(fontsize="small", loc="upper right"))
        self.title_h = self.animate(self.ax_h.set_title(" "))
        self.ax = ax
        self.strip = self.frames = self.notes = None
        k = len(result.idx)
        if self.X_query is not None and self.X_db is not None:
            h, w = self.image_shape
            self.strip = self.animate(ax.imshow(self._strip(result), cmap="gray_r", interpolation="nearest"))
            self.frames = [self.animate(ax.add_patch(Rectangle(((j + 1) * (w + 2), 0), w + 1, h + 1, fill=False,
                                                               lw=2, edgecolor="tab:green"))) for j in range(k)]
            centres = [(j + 0.5) * (w + 2) for j in range(k + 1)]
            ax.set_xticks(centres, [""] * (k + 1))
            self.notes = [self.animate(ax.annotate("query" if j == 0 else "", (c, 0), xycoords=("data", "axes fraction"),
                                                   xytext=(0, -4), textcoords="offset points", ha="center", va="top",
                                                   fontsize="small"))
                          for j, c in enumerate(centres)]
            ax.set_yticks([])
            ax.set_xlabel("Hamming distance of each result", labelpad=14)
        self.title = self.animate(ax.set_title(" "))
        self.update(result)

    def _strip(self, result):
        h, w = self.image_shape
        tiles = [np.asarray(self.X_query[result.query]).reshape(h, w)]
        tiles += [np.asarray(self.X_db[i]).reshape(h, w) for i in result.idx]
        return np.concatenate([np.pad(t, 1, constant_values=0.5) for t in tiles], axis=1)

    def static_key(self):
        return self.key

    def update(self, result):
        nb = result.n_bits
        edges = np.arange(nb + 2) - 0.5
        top = 0.0
        for stairs, values in ((self.hist_same, result.d_same), (self.hist_other, result.d_other)):
            values = np.asarray(values).ravel()
            dens = np.histogram(values, bins=edges, density=True)[0] if values.size else np.zeros(nb + 1)
            stairs.set_data(dens, edges)
            top = max(top, float(dens.max()) if dens.size else 0.0)
        top = nice_ceiling(1.05 * top)
        self.ax_h.set_xlim(edges[0] - 0.5, edges[-1] + 0.5)
        self.ax_h.set_ylim(0, top)
        self.key = (nb, top)
        self.title_h.set_text(f"query {result.query}: distances, {nb}-bit DSH codes")
        if self.strip is not None:
            self.strip.set_data(self._strip(result))
            for frame, good in zip(self.frames, result.correct):
                frame.set_edgecolor("tab:green" if good else "tab:red")
            for note, d in zip(self.notes[1:], result.dist):
                note.set_text(str(int(d)))
        k = len(result.idx)
        self.title.set_text(f"top {k}: P@{k} = {result.precision:.2f} ({result.n_tied} items within that distance)")


def draw_dsh(result, axes, *, X_query=None, X_db=None, image_shape=(28, 28)):
    """Left: Hamming distances of the query to same- vs other-class items; right: the query and its top k
    (images of ``X_query`` / ``X_db`` when given; green frame = same class, red = other); returns the Figure."""
    return DSHView(axes, X_query=X_query, X_db=X_db, image_shape=image_shape).draw(result)


def dsh_explorer(models, X_query, y_query, X_db, y_db, *, k=10, image_shape=(28, 28), codes=None):
    """Bits slider (one position per cached model) and a query slider.

    Parameters
    ----------
    models : dict n_bits -> fitted hasher (e.g. cached :class:`~lshlab.hashing.DeepSupervisedHash`)
    codes : dict n_bits -> lshlab.evaluation.CodePair, optional
        Codes already computed for ``X_query`` and ``X_db`` (as :func:`encode_models` returns them);
        saves encoding the database again.  Must hold every key of ``models``.
    """
    from ._core import Explorer, int_slider, selection_slider

    if not models:
        raise ValueError("models is empty; pass {n_bits: fitted model}")
    if codes is None:
        codes = encode_models(models, X_query, X_db)
    else:
        codes = {int(b): codes[b] for b in models} if set(models) <= set(codes) else None
        if codes is None:
            raise ValueError("codes must hold a CodePair (query and database codes) for every n_bits of models")
        for b, pair in codes.items():
            if pair.n_query != len(X_query) or pair.n_db != len(X_db):
                raise ValueError(
                    f"codes[{b}] has {pair.n_query} query and {pair.n_db} database rows; expected {len(X_query)} "
                    f"and {len(X_db)}"
                )
    bits = sorted(codes)
    return Explorer(
        update=partial(update_dsh, codes, y_query, y_db, k=k),
        draw=partial(draw_dsh, X_query=X_query, X_db=X_db, image_shape=image_shape),
        view=partial(DSHView, X_query=X_query, X_db=X_db, image_shape=image_shape),
        controls={
            "n_bits": selection_slider("bits", bits, bits[-1]),
            "query": int_slider("query", 0, len(X_query) - 1, 0),
        },
        ncols=2,
        figsize=(13, 3.6),
        title="Deep supervised hashing: code length vs retrieval",
    )
