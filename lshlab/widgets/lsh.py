"""Explorers for lecture 02 (random-projection LSH): collision rates, AND/OR amplification, recall/cost.

Pure functions (``update_*``) do the computation and are what the tests and the notebook's assert
cells call; ``draw_*`` draw a result on given axes; ``*_explorer`` wire sliders to them through
:class:`lshlab.widgets._core.Explorer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import ipywidgets as w
import numpy as np

from .._validation import check_matrix, check_positive_float, check_positive_int
from ._core import Explorer, float_slider, int_slider, selection_slider
from ._view import ErrorBars, View

__all__ = [
    "pairs_at_angles",
    "pairs_at_distances",
    "CollisionResult",
    "update_collision",
    "CollisionView",
    "draw_collision",
    "collision_explorer",
    "AmplificationResult",
    "update_amplification",
    "AmplificationView",
    "draw_amplification",
    "amplification_explorer",
    "LSHRecallResult",
    "update_lsh_recall",
]

FAMILIES = ("SimHash", "p-stable")


# --------------------------------------------------------------------------------------------------
# pairs with a prescribed angle / distance
# --------------------------------------------------------------------------------------------------
def _orthonormal_pairs(n, dim, rng):
    """n random unit vectors u and unit vectors v ⟂ u (uniform orientations), each (n, dim)."""
    u = rng.standard_normal((n, dim))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    v = rng.standard_normal((n, dim))
    v -= (v * u).sum(axis=1, keepdims=True) * u
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return u, v


def pairs_at_angles(angles, dim=32, random_state=0):
    """Random unit-vector pairs (x_i, y_i) with angle(x_i, y_i) = angles[i] exactly.

    x = u, y = cos θ u + sin θ v with u uniform on the sphere and v a uniform unit vector ⟂ u.
    Returns two float32 arrays of shape (len(angles), dim).
    """
    angles = np.asarray(angles, float).ravel()
    dim = check_positive_int(dim, "dim", minimum=2)
    u, v = _orthonormal_pairs(angles.size, dim, np.random.default_rng(random_state))
    y = np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * v
    return u.astype(np.float32), y.astype(np.float32)


def pairs_at_distances(distances, dim=32, scale=10.0, random_state=0):
    """Random pairs (x_i, y_i) with ‖x_i − y_i‖ = distances[i] (x_i ~ N(0, scale² I / dim))."""
    c = np.asarray(distances, float).ravel()
    dim = check_positive_int(dim, "dim", minimum=2)
    rng = np.random.default_rng(random_state)
    x = rng.standard_normal((c.size, dim)) * scale / np.sqrt(dim)
    _, v = _orthonormal_pairs(c.size, dim, rng)
    return x.astype(np.float32), (x + c[:, None] * v).astype(np.float32)


# --------------------------------------------------------------------------------------------------
# collision rate vs theory
# --------------------------------------------------------------------------------------------------
@dataclass
class CollisionResult:
    """Measured collision rates against theory for one hash family.

    ``x`` is the angle (SimHash) or the distance (p-stable) of each pair group; ``measured`` the
    fraction of (pair, hash) agreements; ``theory`` the formula at ``x``; ``stderr`` the standard
    error of ``measured``, estimated from the spread of the per-hash rates across the ``n_bits``
    independent hash functions: std_j(m_j) / sqrt(n_bits).  This is valid because, for a fixed pair,
    the average over a random hash function is exactly the theoretical probability (isotropic
    projections), so the per-hash rates m_j are uncorrelated.  (For p-stable hashes the pairs sharing
    one projection a_j are correlated through ‖a_j‖, so the plain binomial error would be too small.)
    """

    family: str
    n_bits: int
    width: float
    x: np.ndarray
    measured: np.ndarray
    stderr: np.ndarray
    theory: np.ndarray
    x_fine: np.ndarray
    theory_fine: np.ndarray

    @property
    def max_z(self):
        """Largest |measured − theory| / stderr (≈ |N(0,1)| maxima: below 4 with high probability)."""
        se = np.where(self.stderr > 0, self.stderr, np.inf)
        return float(np.max(np.abs(self.measured - self.theory) / se))


def update_collision(*, family="SimHash", n_bits=64, width=4.0, dim=32, n_points=19, n_pairs=40,
                     max_distance=None, random_state=0):
    """Hash pairs at known angles (SimHash) or distances (p-stable) and compare agreement with theory.

    Parameters
    ----------
    family : {"SimHash", "p-stable"}
        ``RandomHyperplaneHash`` (theory 1 − θ/π, Charikar 2002) or ``PStableHash`` (theory of
        Datar et al. 2004 at distance c for bucket width ``width``).
    n_bits : int
        Hash functions drawn (more → smaller error bars).
    width : float
        Bucket width w of the p-stable family.
    n_points, n_pairs : int
        Angles/distances on the grid, and pairs per grid point.
    max_distance : float, optional
        p-stable: distances are sampled on [0, max_distance] (default 4w).  A fixed value keeps the
        distance axis fixed while w changes, so that wider buckets visibly collide more.

    Returns
    -------
    CollisionResult
    """
    from ..hashing.random_projection import (
        PStableHash,
        RandomHyperplaneHash,
        pstable_collision_probability,
        simhash_collision_probability,
    )

    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    n_bits = check_positive_int(n_bits, "n_bits")
    n_points = check_positive_int(n_points, "n_points", minimum=2)
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    width = check_positive_float(width, "width")
    top = 4 * width if max_distance is None else check_positive_float(max_distance, "max_distance")
    if family == "SimHash":
        grid = np.linspace(0, np.pi, n_points)
        X, Y = pairs_at_angles(np.repeat(grid, n_pairs), dim, random_state)
        hasher = RandomHyperplaneHash(n_bits, random_state=random_state).fit(X)
        fine = np.linspace(0, np.pi, 200)
        theory, theory_fine = simhash_collision_probability(grid), simhash_collision_probability(fine)
    else:
        grid = np.linspace(0, top, n_points)
        X, Y = pairs_at_distances(np.repeat(grid, n_pairs), dim, random_state=random_state)
        hasher = PStableHash(n_bits, width=width, random_state=random_state).fit(X)
        fine = np.linspace(0, top, 200)
        theory, theory_fine = pstable_collision_probability(grid, width), pstable_collision_probability(fine, width)
    agree = (hasher.transform(X) == hasher.transform(Y)).reshape(n_points, n_pairs, n_bits)
    per_hash = agree.mean(axis=1)  # (n_points, n_bits): rate of each hash function
    measured = per_hash.mean(axis=1)
    if n_bits > 1:
        stderr = per_hash.std(axis=1, ddof=1) / np.sqrt(n_bits)
    else:
        stderr = np.sqrt(theory * (1 - theory) / n_pairs)
    return CollisionResult(family, n_bits, width, grid, measured, stderr, theory, fine, theory_fine)


class CollisionView(View):
    """Figure of a :class:`CollisionResult`: theory line, measured rates ± 2 s.e.; the axis of the family
    is static (angle [0, π] or distance [0, max distance]), the curves, title and legend move."""

    def build(self, result):
        ax = self.ax
        theory = "theory 1 − θ/π" if result.family == "SimHash" else "theory (Datar et al. 2004)"
        self.theory = self.animate(ax.plot([], [], color="black", lw=2, label=theory)[0])
        self.measured = self.animate(ErrorBars(ax, [], [], None, color="tab:orange", alpha=0.85,
                                               label="measured (± 2 s.e.)"))
        ax.set_ylabel("P[h(x) = h(y)]")
        ax.set_ylim(-0.03, 1.03)
        self.title = self.animate(ax.set_title(" "))
        self.legend = None
        self.update(result)

    def _axis(self, result):
        ax = self.ax
        if result.family == "SimHash":
            ax.set_xlim(-0.05 * np.pi, 1.05 * np.pi)
            ax.set_xlabel("angle θ between x and y (radians)")
        else:
            top = float(result.x_fine[-1])
            ax.set_xlim(-0.025 * top, 1.025 * top)
            ax.set_xlabel("distance ‖x − y‖")
        self._key = (result.family, tuple(np.round(ax.get_xlim(), 9)))

    def static_key(self):
        return self._key

    def update(self, result):
        self._axis(result)
        self.theory.set_data(result.x_fine, result.theory_fine)
        self.measured.set(result.x, result.measured, 2 * result.stderr)
        self.theory.set_label("theory 1 − θ/π" if result.family == "SimHash" else "theory (Datar et al. 2004)")
        if self.legend is None or self.legend.get_texts()[0].get_text() != self.theory.get_label():
            if self.legend is not None:  # the family changed: a new legend (its text stays across moves)
                self.dynamic.remove(self.legend)
            self.legend = self.animate(self.ax.legend(fontsize="small", loc="upper right"))
        extra = "" if result.family == "SimHash" else f", w = {result.width:.3g}"
        self.title.set_text(f"{result.family}{extra}, {result.n_bits} hashes: collision rate vs theory "
                            f"(max |z| = {result.max_z:.1f})")


def draw_collision(result, axes):
    """Theory line + measured points (± 2 standard errors) of a :class:`CollisionResult`; returns the Figure."""
    return CollisionView(np.ravel(axes)[0]).draw(result)


def collision_explorer(*, bits=(8, 16, 32, 64, 128, 256, 1024), dim=32, n_points=19, n_pairs=40,
                       width=4.0, width_range=(0.5, 8.0), max_distance=None, random_state=0):
    """Family dropdown, hashes slider and bucket-width slider → measured collision rate vs theory.

    The p-stable distance axis is fixed at [0, ``max_distance``] (default 4 × the initial ``width``), so
    moving w shows the collision probability at a given distance growing with the bucket width.
    """
    max_distance = 4.0 * width if max_distance is None else max_distance
    controls = {
        "family": w.Dropdown(options=list(FAMILIES), value="SimHash", description="family"),
        "n_bits": selection_slider("hashes", bits, bits[len(bits) // 2]),
        "width": float_slider("p-stable width w", width_range[0], width_range[1], width, 0.5),
    }
    return Explorer(
        update=partial(update_collision, dim=dim, n_points=n_points, n_pairs=n_pairs, max_distance=max_distance,
                       random_state=random_state),
        draw=draw_collision, view=CollisionView, controls=controls, figsize=(7.5, 4.3),
        title="One random projection: how often does a pair collide?",
    )


# --------------------------------------------------------------------------------------------------
# AND/OR amplification
# --------------------------------------------------------------------------------------------------
@dataclass
class AmplificationResult:
    """Measured and theoretical probability that a pair becomes a candidate in (K, L) LSH.

    ``p`` are the per-hash collision probabilities 1 − θ/π of the measured pair groups, ``rate`` the
    fraction of pairs sharing a bucket in at least one of L tables of K SimHash bits, ``stderr``
    the binomial standard error at the theoretical value ``theory`` = 1 − (1 − p^K)^L.
    """

    K: int
    L: int
    p: np.ndarray
    rate: np.ndarray
    stderr: np.ndarray
    theory: np.ndarray
    p_near: float | None
    p_far: float | None

    @property
    def max_z(self):
        se = np.where(self.stderr > 0, self.stderr, np.inf)
        return float(np.max(np.abs(self.rate - self.theory) / se))


def update_amplification(*, K=4, L=8, p_near=None, p_far=None, dim=64, n_points=15, n_pairs=300,
                         random_state=0):
    """Measure the candidate probability of SimHash pairs with K bits per table and L tables.

    Pairs are drawn at angles θ with p = 1 − θ/π on an even grid; one ``RandomHyperplaneHash`` with
    K·L bits is split into L tables of K bits; a pair is a candidate when all K bits agree in at
    least one table (AND within a table, OR across tables).

    Returns
    -------
    AmplificationResult
    """
    from ..hashing.random_projection import RandomHyperplaneHash, amplified_collision_probability

    K = check_positive_int(K, "K")
    L = check_positive_int(L, "L")
    for name, value in (("p_near", p_near), ("p_far", p_far)):
        if value is not None and not (isinstance(value, (int, float)) and 0 <= value <= 1):
            raise ValueError(f"{name} must be a collision probability in [0, 1], got {value!r}")
    if p_near is not None and p_far is not None and p_far > p_near:
        raise ValueError(f"p_far={p_far} exceeds p_near={p_near}; near pairs must collide at least as often")
    n_points = check_positive_int(n_points, "n_points", minimum=2)
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    p = np.linspace(0.05, 0.99, n_points)
    X, Y = pairs_at_angles(np.repeat((1 - p) * np.pi, n_pairs), dim, random_state)
    h = RandomHyperplaneHash(K * L, random_state=random_state).fit(X)
    same = (h.transform(X) == h.transform(Y)).reshape(-1, L, K)
    cand = same.all(axis=2).any(axis=1)
    rate = cand.reshape(n_points, n_pairs).mean(axis=1)
    theory = amplified_collision_probability(p, K, L)
    stderr = np.sqrt(theory * (1 - theory) / n_pairs)
    return AmplificationResult(K, L, p, rate, stderr, theory, p_near, p_far)


class AmplificationView(View):
    """Figure of an :class:`AmplificationResult`: the one-hash diagonal and the near / far lines are
    static; the S-curve of (K, L), the measured rates, the near / far marks, title and legend move."""

    def build(self, result):
        from ..hashing.random_projection import amplified_collision_probability

        self._curve = amplified_collision_probability
        ax = self.ax
        self.p = np.linspace(0, 1, 201)
        ax.plot(self.p, self.p, color="grey", ls=":", lw=1.2, label="one hash (K = L = 1)")
        self.curve = self.animate(ax.plot([], [], lw=2, color="tab:blue", label="K hashes per table, L tables")[0])
        self.measured = self.animate(ErrorBars(ax, [], [], None, color="tab:orange", label="measured (SimHash, ± 2 s.e.)"))
        self.marks = []
        for pv, name, color in ((result.p_near, "near", "tab:green"), (result.p_far, "far", "tab:red")):
            if pv is None:
                continue
            ax.axvline(pv, color=color, ls="--", lw=1)
            (square,) = ax.plot([pv], [0.0], "s", color=color, ms=7)
            text = ax.annotate("", (pv, 0.0), textcoords="offset points", xytext=(0, 0), fontsize="small",
                               color=color, ha="left" if name == "near" else "right", zorder=5,
                               bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.9})
            self.marks.append((pv, name, square, text))
            self.animate(square, text)
        ax.set_xlabel("per-hash collision probability p")
        ax.set_ylabel("P[pair is a candidate] = $1 - (1 - p^K)^L$")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.02)
        self.title = self.animate(ax.set_title(" "))
        self.animate(ax.legend(fontsize="small", loc="upper left"))  # labels stay: drawn from the text cache
        self.update(result)

    def update(self, result):
        self.curve.set_data(self.p, self._curve(self.p, result.K, result.L))
        self.measured.set(result.p, result.rate, 2 * result.stderr)
        for pv, name, square, text in self.marks:
            amp = float(self._curve(pv, result.K, result.L))
            square.set_data([pv], [amp])
            text.xy = (pv, amp)
            dx = 6 if name == "near" else -6  # near to the right of its line, far to the left
            text.xyann = (dx, -16 if amp > 0.85 else 8)  # below the point near the top, else above it
            text.set_text(f"{name}: p={pv:.2f} → {amp:.2f}")
        self.title.set_text(f"AND/OR amplification, K = {result.K}, L = {result.L} "
                            f"(measured vs theory: max |z| = {result.max_z:.1f})")


def draw_amplification(result, axes):
    """S-curve for (K, L) with the measured candidate rates (± 2 s.e.) of an :class:`AmplificationResult`;
    returns the Figure."""
    return AmplificationView(np.ravel(axes)[0]).draw(result)


def amplification_explorer(*, K=(1, 16, 4), L=(1, 50, 8), p_near=0.8, p_far=0.5, dim=64, n_points=15,
                           n_pairs=300, random_state=0):
    """Sliders for K (bits per table) and L (tables) → S-curve, measured rates, near/far marks.

    ``K`` and ``L`` are ``(min, max, initial)`` triples for the sliders.
    """
    controls = {"K": int_slider("bits per table K", K[0], K[1], K[2]),
                "L": int_slider("tables L", L[0], L[1], L[2])}
    return Explorer(
        update=partial(update_amplification, p_near=p_near, p_far=p_far, dim=dim, n_points=n_points,
                       n_pairs=n_pairs, random_state=random_state),
        draw=draw_amplification, view=AmplificationView, controls=controls, figsize=(7.5, 4.5),
        title="AND/OR amplification: move K and L",
    )


# --------------------------------------------------------------------------------------------------
# recall against candidates examined (HashTables on real data)
# --------------------------------------------------------------------------------------------------
@dataclass
class LSHRecallResult:
    """Output of :func:`update_lsh_recall`: cost and recall of SimHash tables with K bits and L tables.

    ``candidates`` is the mean number of distinct candidates per query, ``fraction`` that number over
    the database size, ``recall`` the mean fraction of the true k neighbours among the k returned.
    """

    K: int
    L: int
    candidates: float
    fraction: float
    recall: float


def update_lsh_recall(X_db, X_query, true_idx, *, K, L, center=True, random_state=0):
    """Recall of the true neighbours and candidates examined for SimHash tables (K bits, L tables).

    Parameters
    ----------
    X_db, X_query : arrays (n, d), (m, d)
    true_idx : int array (m, k)
        Exact k nearest neighbours (e.g. from :func:`lshlab.search.brute_force_knn`).
    K, L : int
        Bits per table and number of tables of :class:`lshlab.search.HashTables`.
    center : bool
        Hyperplanes through the database mean (``RandomHyperplaneHash(center=True)``); pixel
        vectors are all non-negative, so hyperplanes through the origin waste bits.

    Returns
    -------
    LSHRecallResult
    """
    from ..hashing.random_projection import RandomHyperplaneHash
    from ..search import HashTables

    Xd = check_matrix(X_db, "X_db")
    Xq = check_matrix(X_query, "X_query")
    true_idx = np.asarray(true_idx)
    if true_idx.ndim != 2 or true_idx.shape[0] != Xq.shape[0]:
        raise ValueError(f"true_idx must be (n_queries, k) with n_queries = {Xq.shape[0]}, got {true_idx.shape}")
    K = check_positive_int(K, "K")
    L = check_positive_int(L, "L")
    k = true_idx.shape[1]
    # A true neighbour that is a candidate is always among the k returned (exact re-ranking keeps the k
    # nearest candidates), so recall = |true ∩ candidates| / k: no re-ranking, no re-ranking bound needed.
    tables = HashTables(lambda s: RandomHyperplaneHash(K, center=center, random_state=s), n_tables=L,
                        random_state=random_state, rerank_dims=0).fit(Xd)
    cands = tables.candidates(Xq)
    hits = np.array([np.isin(t, c).sum() for t, c in zip(true_idx, cands)])
    cand = tables.last_n_candidates_
    return LSHRecallResult(K, L, float(cand.mean()), float(cand.mean() / Xd.shape[0]), float(hits.mean() / k))
