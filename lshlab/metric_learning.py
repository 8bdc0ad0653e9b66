"""Mahalanobis metrics learned from pair constraints: ITML and its helpers.

A Mahalanobis metric is parameterised by a symmetric positive (semi-)definite matrix ``A``:

    d_A(x, y) = (x − y)ᵀ A (x − y),

the squared form used in the lecture notes and in Davis et al. (2007).  Writing ``A = GᵀG`` gives
d_A(x, y) = ‖Gx − Gy‖², so learning ``A`` is learning a linear map ``x ↦ Gx`` after which plain
Euclidean tools (kNN, random hyperplanes) apply (:meth:`ITML.transform`).

Information-theoretic metric learning (ITML; J. V. Davis, B. Kulis, P. Jain, S. Sra, I. S. Dhillon,
"Information-theoretic metric learning", ICML 2007) solves

    min_{A ≻ 0, ξ}  D_ld(A, A0) + γ · D_ld(diag ξ, diag ξ0)
    s.t.            d_A(x_i, x_j) ≤ ξ_ij  for similar pairs   (ξ0_ij = u),
                    d_A(x_i, x_j) ≥ ξ_ij  for dissimilar pairs (ξ0_ij = l),

with the LogDet (Burg matrix) divergence D_ld(A, A0) = tr(A A0⁻¹) − log det(A A0⁻¹) − d.  It is solved
by cyclic Bregman projections, one pair at a time; each projection is a rank-one update
A ← A + β A z zᵀ A (z = x_i − x_j) whose determinant factor 1 + β zᵀAz stays positive, so ``A`` remains
positive definite without any eigenvalue clipping — the divergence is +∞ on the boundary of the cone.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._validation import check_bounds, check_matrix, check_positive_float, check_positive_int
from .search.euclidean import centre_pair
from .search.primitives import topk_stable

__all__ = [
    "ITML",
    "mahalanobis_distance_matrix",
    "logdet_divergence",
    "metric_factor",
    "check_metric_matrix",
    "knn_accuracy",
    "same_class_distance_ratio",
]


# ----------------------------------------------------------------------------------------------
# Helpers on metric matrices
# ----------------------------------------------------------------------------------------------
def check_metric_matrix(A, name="A", *, n_features=None, definite=False, rtol=1e-6):
    """Validate a metric matrix and return it as a symmetric float64 array.

    Parameters
    ----------
    A : array-like of shape (d, d)
        Must be square, finite and symmetric (up to ``rtol`` relative to its largest entry), and
        positive semi-definite (``definite=False``: smallest eigenvalue ≥ −rtol · λ_max, round-off
        allowed) or positive definite (``definite=True``: smallest eigenvalue > 1e-12 · λ_max, i.e.
        invertible in double precision).
    n_features : int, optional
        Required dimension ``d``.

    Returns
    -------
    A : ndarray of shape (d, d), float64, exactly symmetric ((A + Aᵀ) / 2).
    """
    A = check_matrix(A, name, dtype=np.float64)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be a square (d, d) matrix, got shape {A.shape}")
    if n_features is not None and A.shape[0] != n_features:
        raise ValueError(
            f"{name} is {A.shape[0]}x{A.shape[1]} but the data have {n_features} features; "
            f"pass a {n_features}x{n_features} matrix"
        )
    scale = max(float(np.abs(A).max()), np.finfo(float).tiny)
    asym = float(np.abs(A - A.T).max())
    if asym > rtol * scale:
        raise ValueError(
            f"{name} must be symmetric, but max |A - A^T| = {asym:.3g} (largest entry {scale:.3g})"
        )
    A = (A + A.T) / 2
    eig = np.linalg.eigvalsh(A)
    top = max(float(eig[-1]), 0.0)
    if definite and (eig[0] <= 1e-12 * top or top == 0.0):
        raise ValueError(
            f"{name} must be positive definite, but its smallest eigenvalue is {eig[0]:.3g} "
            f"(largest {eig[-1]:.3g})"
        )
    if eig[0] < -rtol * top:
        raise ValueError(
            f"{name} must be positive semi-definite, but its smallest eigenvalue is {eig[0]:.3g}"
        )
    return A


def metric_factor(A, *, validate=True):
    """Return ``G`` (d × d) with ``A = GᵀG``, from the eigen-decomposition A = V Λ Vᵀ.

    G = Λ^{1/2} Vᵀ (tiny negative eigenvalues from round-off are set to 0), so ``x ↦ Gx`` maps the
    Mahalanobis geometry of ``A`` to the Euclidean one: ‖Gx − Gy‖² = (x − y)ᵀA(x − y).  This works for
    any positive semi-definite ``A`` (a rank-deficient A gives zero rows in G).
    """
    if validate:
        A = check_metric_matrix(A)
    w, V = np.linalg.eigh(A)
    w = np.clip(w, 0.0, None)
    return np.sqrt(w)[:, None] * V.T


def mahalanobis_distance_matrix(X, Y, A, *, squared=True):
    """Pairwise Mahalanobis distances d_A(x_i, y_j) = (x_i − y_j)ᵀ A (x_i − y_j).

    Parameters
    ----------
    X : array-like (n, d);  Y : array-like (m, d) or None (then Y = X);  A : PSD (d, d).
    squared : bool, default True
        Return the squared form (the d_A of the lecture and of Davis et al.); False returns its
        square root.

    Returns
    -------
    D : ndarray (n, m), float64.  Computed as xᵀAx + yᵀAy − 2 xᵀAy, clipped at 0, after centring both on
        the mean of Y when it lies far from the origin (:class:`lshlab.search.euclidean.EuclideanFrame`).
    """
    X = check_matrix(X, "X", dtype=np.float64)
    Y = X if Y is None else check_matrix(Y, "Y", dtype=np.float64)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but Y has {Y.shape[1]}; they must match")
    A = check_metric_matrix(A, "A", n_features=X.shape[1])
    X, Y = centre_pair(X, Y)  # data far from the origin: d_A is translation invariant, the expansion is not
    XA = X @ A
    nx = np.einsum("ij,ij->i", XA, X)
    ny = nx if Y is X else np.einsum("ij,ij->i", Y @ A, Y)
    D = nx[:, None] + ny[None, :] - 2.0 * (XA @ Y.T)
    np.maximum(D, 0.0, out=D)
    return D if squared else np.sqrt(D)


def logdet_divergence(A, A0):
    """LogDet (Burg) matrix divergence D_ld(A, A0) = tr(A A0⁻¹) − log det(A A0⁻¹) − d.

    Both matrices must be symmetric positive definite.  D_ld ≥ 0 with equality iff A = A0; it equals
    2·KL(N(μ, A0⁻¹) ‖ N(μ, A⁻¹)), twice the relative entropy between the Gaussians whose precision
    matrices are the two metrics (Davis et al. 2007, §3), and it tends to +∞ as A approaches a
    singular matrix, which is why ITML's iterates stay definite.
    """
    A = check_metric_matrix(A, "A", definite=True)
    A0 = check_metric_matrix(A0, "A0", n_features=A.shape[0], definite=True)
    L = np.linalg.cholesky(A0)
    # M = L^{-1} A L^{-T} has the same eigenvalues as A A0^{-1}
    Linv_A = np.linalg.solve(L, A)
    M = np.linalg.solve(L, Linv_A.T).T
    M = (M + M.T) / 2
    eig = np.linalg.eigvalsh(M)
    return float(np.sum(eig) - np.sum(np.log(eig)) - A.shape[0])


# ----------------------------------------------------------------------------------------------
# Evaluation helpers used by the lecture
# ----------------------------------------------------------------------------------------------
def knn_accuracy(distances, y_database, y_query, k=5):
    """Accuracy of the k-nearest-neighbour majority vote given a query × database distance matrix.

    Neighbours are ranked by distance, ties by database index (stable sort); the vote picks the most
    frequent label among the k neighbours, and a tie between labels goes to the label of the nearest
    neighbour among the tied ones.  Works for real or integer (Hamming) distances.
    """
    D = np.asarray(distances)
    y_database = np.asarray(y_database)
    y_query = np.asarray(y_query)
    if D.ndim != 2 or D.shape != (y_query.shape[0], y_database.shape[0]):
        raise ValueError(
            f"distances must have shape (n_query, n_database) = ({y_query.shape[0]}, "
            f"{y_database.shape[0]}), got {D.shape}"
        )
    k = check_positive_int(k, "k")
    if k > D.shape[1]:
        raise ValueError(f"k={k} exceeds the database size {D.shape[1]}")
    if np.issubdtype(D.dtype, np.floating) and not np.isfinite(D).all():
        raise ValueError("distances contain NaN or infinite values")
    order = topk_stable(D, k)[1]  # (distance, index) order, as every search in lshlab
    labels = y_database[order]  # (n_query, k), nearest first
    classes, inv = np.unique(labels, return_inverse=True)
    inv = inv.reshape(labels.shape)
    counts = np.zeros((labels.shape[0], classes.size), dtype=np.int64)
    np.add.at(counts, (np.arange(labels.shape[0])[:, None], inv), 1)
    best = counts.max(axis=1, keepdims=True)
    is_best = counts[np.arange(labels.shape[0])[:, None], inv] == best  # neighbour votes a top label
    first = np.argmax(is_best, axis=1)  # nearest neighbour carrying a top label
    pred = labels[np.arange(labels.shape[0]), first]
    return float(np.mean(pred == y_query))


def same_class_distance_ratio(X, y, A=None, *, n_pairs=2000, random_state=None):
    """Mean d_A over random same-class pairs divided by the mean over different-class pairs.

    A scale-free summary of how well a metric separates the classes (smaller is better); ``A=None``
    means the Euclidean metric.  Pairs are drawn uniformly with ``random_state``.
    """
    X = check_matrix(X, "X", dtype=np.float64)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    rng = check_random_state(random_state)
    sim, dis = _draw_label_pairs(y, n_pairs, n_pairs, rng, X)
    A = np.eye(X.shape[1]) if A is None else check_metric_matrix(A, n_features=X.shape[1])

    def mean_d(p):
        Z = X[p[:, 0]] - X[p[:, 1]]
        return float(np.mean(np.einsum("ij,jk,ik->i", Z, A, Z)))

    return mean_d(sim) / mean_d(dis)


def _draw_label_pairs(y, n_similar, n_dissimilar, rng, X=None):
    """Draw index pairs (i ≠ j) with equal labels and with different labels.

    Raises ValueError when y has a single class, or when no class has two members.  When ``X`` is
    given, pairs of identical rows are redrawn (they carry no information / cannot be dissimilar).
    """
    y = np.asarray(y)
    classes, inv, counts = np.unique(y, return_inverse=True, return_counts=True)
    if classes.size < 2:
        raise ValueError(
            f"y has a single class ({classes[0]!r}); learning a metric needs at least two classes "
            "to form dissimilar pairs"
        )
    if counts.max() < 2:
        raise ValueError("every class in y has one sample; similar pairs need a class with >= 2")
    members = [np.flatnonzero(inv == c) for c in range(classes.size)]
    n = y.shape[0]
    eligible = np.flatnonzero(counts[inv] >= 2)

    def collect(draw, want):
        out = np.empty((0, 2), dtype=np.int64)
        for _ in range(100):
            if out.shape[0] >= want:
                break
            P = draw(2 * (want - out.shape[0]) + 8)
            if X is not None:
                P = P[np.any(X[P[:, 0]] != X[P[:, 1]], axis=1)]
            out = np.vstack([out, P])
        if out.shape[0] < want:
            raise ValueError("could not draw enough distinct pairs from the labels")
        return out[:want]

    def draw_sim(m):
        i = eligible[rng.randint(0, eligible.size, size=m)]
        j = np.empty(m, dtype=np.int64)
        for c in np.unique(inv[i]):
            sel = np.flatnonzero(inv[i] == c)
            mem = members[c]
            # draw j among the other members of the class: offset in 1..|c|-1 from i's position
            pos = np.searchsorted(mem, i[sel])
            off = rng.randint(1, mem.size, size=sel.size)
            j[sel] = mem[(pos + off) % mem.size]
        return np.column_stack([i, j])

    def draw_dis(m):
        i = rng.randint(0, n, size=m)
        j = rng.randint(0, n, size=m)
        keep = inv[i] != inv[j]
        return np.column_stack([i[keep], j[keep]])

    return collect(draw_sim, n_similar), collect(draw_dis, n_dissimilar)


# ----------------------------------------------------------------------------------------------
# ITML
# ----------------------------------------------------------------------------------------------
class ITML(TransformerMixin, BaseEstimator):
    """Information-theoretic metric learning (Davis, Kulis, Jain, Sra & Dhillon, ICML 2007).

    Learns a positive definite ``A`` close to a prior ``A0`` in LogDet divergence subject to
    d_A(x_i, x_j) ≤ u for similar pairs and ≥ l for dissimilar pairs, with slack controlled by γ.

    Algorithm (Davis et al., Algorithm 1; cyclic Bregman projections).  Start from A = A0, dual
    variables λ_c = 0 and slack targets ξ_c = u (similar) or l (dissimilar).  For each constraint
    c = (i, j) in turn, with z = x_i − x_j, p = zᵀAz and δ = +1 (similar) or −1 (dissimilar)::

        α   = min(λ_c, δ · γ/(γ+1) · (1/p − 1/ξ_c))
        β   = δ α / (1 − δ α p)
        ξ_c ← γ ξ_c / (γ + δ α ξ_c)
        λ_c ← λ_c − α
        A   ← A + β (Az)(Az)ᵀ

    After the update, zᵀAz = p/(1 − δαp) equals the new ξ_c whenever α is not clipped by λ_c: the
    step is the exact Bregman projection onto {zᵀAz = ξ} of the joint objective.  The factor γ/(γ+1)
    is that of the authors' reference code; the printed Algorithm 1 writes ½(1/p − γ/ξ), which does
    not solve the projection equation (a test checks the closed form).  γ = ∞ enforces the bounds
    exactly (ξ fixed, factor 1).  det(A_new)/det(A) = 1/(1 − δαp) > 0, so A stays positive definite.

    A pass visits every constraint once; iteration stops when the duals settle,
    ‖λ − λ_prev‖₁ / ‖λ‖₁ < ``tol`` (or λ = 0: A0 already satisfies every constraint), or after
    ``max_iter`` passes.  The reference code divides an L1 change by L2 norms, which makes the
    threshold depend on the number of constraints (√m); the ratio of L1 norms here does not.

    Parameters
    ----------
    gamma : float > 0 or np.inf, default 1.0
        Slack trade-off γ: larger means constraints closer to the bounds u / l.
    max_iter : int, default 1000
        Maximum number of passes over the constraints.
    tol : float > 0, default 1e-3
        Convergence threshold on the relative change of λ.
    prior : {"identity", "covariance"} or array (d, d), default "identity"
        A0: the identity (Euclidean metric), the inverse sample covariance of the constrained
        points ("covariance", must be invertible; reduce dimension with PCA first otherwise), or a
        given symmetric positive definite matrix.
    bounds : (u, l) or None
        Upper bound for similar pairs and lower bound for dissimilar pairs (u < l).  Default: the
        5th and 95th percentiles of the squared A0-distances between the distinct points occurring
        in the constraints (Davis et al. §5; an evenly spaced subset of 1,000 of those points is used
        when there are more).
    n_constraints : int or None
        For :meth:`fit`: number of pairs drawn from the labels, half similar and half dissimilar;
        default 20 · n_classes² (the convention of metric-learn).
    random_state : int, RandomState, Generator or None
        Seeds the pair drawing in :meth:`fit`.

    Attributes
    ----------
    A_ : ndarray (d, d)           learned symmetric positive definite metric.
    G_ : ndarray (d, d)           factor with A_ = G_ᵀ G_ (see :func:`metric_factor`).
    A0_ : ndarray (d, d)          prior used.
    bounds_ : (float, float)      (u, l) used.
    pairs_, similar_ : ndarray    constraints used (indices into the training X).
    lambda_ : ndarray             dual variables λ (≥ 0; > 0 for active constraints).
    xi_ : ndarray                 final slack targets ξ.
    n_iter_ : int                 passes performed.  converged_ : bool.
    n_features_in_ : int
    """

    def __init__(
        self,
        gamma=1.0,
        max_iter=1000,
        tol=1e-3,
        prior="identity",
        bounds=None,
        n_constraints=None,
        random_state=None,
    ):
        self.gamma = gamma
        self.max_iter = max_iter
        self.tol = tol
        self.prior = prior
        self.bounds = bounds
        self.n_constraints = n_constraints
        self.random_state = random_state

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X, y):
        """Draw similar / dissimilar pairs from the labels ``y`` and fit (see :meth:`fit_pairs`)."""
        X = check_matrix(X, "X", dtype=np.float64)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be 1-D with {X.shape[0]} labels (one per row of X), got {y.shape}")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinite labels")
        n_classes = np.unique(y).size
        if n_classes < 2:
            raise ValueError(
                f"y has a single class ({y[0]!r}); ITML needs at least two classes to form "
                "dissimilar pairs"
            )
        if self.n_constraints is None:
            m = 20 * n_classes**2
        else:
            m = check_positive_int(self.n_constraints, "n_constraints", minimum=2)
        rng = check_random_state(self.random_state)
        sim, dis = _draw_label_pairs(y, m // 2, m - m // 2, rng, X)
        pairs = np.vstack([sim, dis])
        similar = np.r_[np.ones(len(sim), bool), np.zeros(len(dis), bool)]
        return self.fit_pairs(pairs, similar, X=X)

    def fit_pairs(self, pairs, similar, X=None):
        """Fit from explicit constraints.

        Parameters
        ----------
        pairs : float array (m, 2, d), or int array (m, 2) when ``X`` is given
            Either the point pairs themselves (the metric-learn convention), or row indices (i, j) into
            ``X`` with 0 ≤ i, j < n, i ≠ j.
        similar : bool array (m,)
            True for a similarity constraint (d_A ≤ u), False for dissimilarity (d_A ≥ l);
            integer 0/1 is accepted.
        X : array-like (n, d), optional
            The points that index pairs refer to.
        """
        if X is None:
            P = np.asarray(pairs)
            if P.ndim != 3 or P.shape[1] != 2:
                raise ValueError(
                    f"pairs must be point pairs of shape (n_pairs, 2, n_features), got shape {P.shape}; "
                    "for index pairs (n_pairs, 2) pass the points as X="
                )
            X = P.reshape(-1, P.shape[2])
            pairs = np.arange(X.shape[0]).reshape(-1, 2)
        X = check_matrix(X, "X", dtype=np.float64)
        n, d = X.shape
        pairs, similar = self._check_pairs(pairs, similar, n)
        gamma = self._check_gamma()
        max_iter = check_positive_int(self.max_iter, "max_iter")
        tol = check_positive_float(self.tol, "tol")

        Z = X[pairs[:, 0]] - X[pairs[:, 1]]
        zero = ~np.any(Z != 0, axis=1)
        if np.any(zero & ~similar):
            bad = pairs[np.flatnonzero(zero & ~similar)[0]]
            raise ValueError(
                f"dissimilar pair {tuple(int(b) for b in bad)} joins two identical points; no metric "
                "can separate them"
            )
        A0 = self._prior_matrix(X, pairs, d)
        if self.bounds is None:
            u, l = self._default_bounds(X, pairs, A0)
        else:
            u, l = check_bounds(self.bounds, "bounds", positive=True)

        # identical similar points satisfy every constraint and leave A unchanged: skip them
        active = np.flatnonzero(~zero)
        A, lam, xi, n_iter, converged = _itml_projections(
            Z[active], similar[active], A0, u, l, gamma, max_iter, tol
        )
        lam_full = np.zeros(len(pairs))
        lam_full[active] = lam
        xi_full = np.where(similar, u, l).astype(float)
        xi_full[active] = xi

        eig_min = float(np.linalg.eigvalsh(A)[0])
        if not eig_min > 0:
            raise RuntimeError(
                f"ITML produced a matrix with smallest eigenvalue {eig_min:.3g}; this indicates "
                "numerical breakdown (rescale X or use a smaller gamma)"
            )
        if not converged:
            warnings.warn(
                f"ITML did not converge in {max_iter} passes (tol={tol}); increase max_iter",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.A0_ = A0
        self.A_ = A
        self.G_ = metric_factor(A, validate=False)
        self.bounds_ = (u, l)
        self.pairs_ = pairs
        self.similar_ = similar
        self.lambda_ = lam_full
        self.xi_ = xi_full
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.n_features_in_ = d
        return self

    # -- using the metric ---------------------------------------------------------------------
    def transform(self, X):
        """Map rows to the learned space, X Gᵀ, where Euclidean distance equals d_A."""
        check_is_fitted(self)
        X = check_matrix(X, "X", dtype=np.float64)
        self._check_width(X)
        return X @ self.G_.T

    def mahalanobis(self, X, Y=None, *, squared=True):
        """Pairwise learned distances d_A(x_i, y_j) (squared by default); see
        :func:`mahalanobis_distance_matrix`."""
        check_is_fitted(self)
        X = check_matrix(X, "X", dtype=np.float64)
        self._check_width(X)
        return mahalanobis_distance_matrix(X, Y, self.A_, squared=squared)

    def constraint_distances(self, X):
        """d_A over the fitted pairs (rows of the training X): useful to check the constraints."""
        check_is_fitted(self)
        X = check_matrix(X, "X", dtype=np.float64)
        self._check_width(X)
        Z = X[self.pairs_[:, 0]] - X[self.pairs_[:, 1]]
        return np.einsum("ij,jk,ik->i", Z, self.A_, Z)

    # -- validation helpers -------------------------------------------------------------------
    def _check_width(self, X):
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features but ITML was fitted with {self.n_features_in_}"
            )

    def _check_gamma(self):
        g = self.gamma
        if isinstance(g, (int, float, np.floating, np.integer)) and not isinstance(g, bool) and g == np.inf:
            return np.inf
        return check_positive_float(g, "gamma")

    @staticmethod
    def _check_pairs(pairs, similar, n):
        P = np.asarray(pairs)
        if P.ndim != 2 or P.shape[1] != 2 or P.shape[0] == 0:
            raise ValueError(f"pairs must be an integer array of shape (n_pairs, 2), got shape {P.shape}")
        if not np.issubdtype(P.dtype, np.integer):
            raise ValueError(f"pairs must hold integer row indices, got dtype {P.dtype}")
        if P.min() < 0 or P.max() >= n:
            raise ValueError(
                f"pairs index rows of X, so they must lie in 0..{n - 1}; found values in "
                f"[{P.min()}, {P.max()}]"
            )
        if np.any(P[:, 0] == P[:, 1]):
            i = int(P[np.flatnonzero(P[:, 0] == P[:, 1])[0], 0])
            raise ValueError(f"pairs contains ({i}, {i}); a constraint needs two different rows")
        S = np.asarray(similar)
        if S.shape != (P.shape[0],):
            raise ValueError(f"similar must have shape ({P.shape[0]},) (one flag per pair), got {S.shape}")
        if S.dtype != bool:
            if not np.issubdtype(S.dtype, np.integer) or (S.size and (S.min() < 0 or S.max() > 1)):
                raise ValueError(
                    f"similar must be booleans (True = similar, False = dissimilar) or 0/1, got "
                    f"dtype {S.dtype} with values {np.unique(S)[:5]}"
                )
            S = S.astype(bool)
        return P.astype(np.int64), S

    def _prior_matrix(self, X, pairs, d):
        prior = self.prior
        if isinstance(prior, str):
            if prior == "identity":
                return np.eye(d)
            if prior == "covariance":
                pts = X[np.unique(pairs)]
                if pts.shape[0] <= d:
                    raise ValueError(
                        f"prior='covariance' needs more than d={d} distinct constrained points to "
                        f"estimate an invertible covariance, got {pts.shape[0]}"
                    )
                C = np.atleast_2d(np.cov(pts, rowvar=False))
                C = check_metric_matrix(C, "covariance of X", definite=True)
                inv = np.linalg.inv(C)
                return (inv + inv.T) / 2
            raise ValueError(f"prior must be 'identity', 'covariance' or a (d, d) matrix, got {prior!r}")
        return check_metric_matrix(prior, "prior", n_features=d, definite=True)

    @staticmethod
    def _default_bounds(X, pairs, A0):
        pts = np.unique(X[np.unique(pairs)], axis=0)
        if pts.shape[0] < 2:
            raise ValueError("the constraints involve fewer than two distinct points; pass bounds=(u, l)")
        if pts.shape[0] > 1000:  # the percentiles of a 1000-point sample are plenty
            pts = pts[np.linspace(0, pts.shape[0] - 1, 1000).astype(int)]
        D = mahalanobis_distance_matrix(pts, None, A0)
        vals = D[np.triu_indices(pts.shape[0], 1)]
        u, l = np.percentile(vals, [5, 95])
        if not (0 < u < l):
            raise ValueError(
                f"default bounds from distance percentiles are degenerate (u={u:.3g}, l={l:.3g}); "
                "pass bounds=(u, l) explicitly"
            )
        return float(u), float(l)


def _itml_projections(Z, similar, A0, u, l, gamma, max_iter, tol):
    """Cyclic Bregman projections (see :class:`ITML`).  Z: (m, d) pair differences."""
    A = A0.copy()
    m = Z.shape[0]
    lam = np.zeros(m)
    xi = np.where(similar, u, l).astype(float)
    delta = np.where(similar, 1.0, -1.0)
    gproj = 1.0 if np.isinf(gamma) else gamma / (gamma + 1.0)
    converged = False
    n_iter = 0
    if m == 0:
        return A, lam, xi, 0, True
    for n_iter in range(1, max_iter + 1):
        lam_old = lam.copy()
        for c in range(m):
            z = Z[c]
            Az = A @ z
            p = float(z @ Az)
            dc = delta[c]
            alpha = min(lam[c], dc * gproj * (1.0 / p - 1.0 / xi[c]))
            if alpha == 0.0:
                continue
            denom = 1.0 - dc * alpha * p
            if denom <= 0:  # cannot happen in exact arithmetic (alpha < 1/p for delta = +1)
                raise RuntimeError("ITML projection lost positive definiteness; rescale X")
            beta = dc * alpha / denom
            if not np.isinf(gamma):
                xi[c] = gamma * xi[c] / (gamma + dc * alpha * xi[c])
            lam[c] -= alpha
            A += beta * np.outer(Az, Az)
        A = (A + A.T) / 2
        total = np.abs(lam).sum()
        if total == 0:  # no constraint is active: A0 already satisfies everything
            converged = True
            break
        if np.abs(lam - lam_old).sum() / total < tol:
            converged = True
            break
    return A, lam, xi, n_iter, converged
