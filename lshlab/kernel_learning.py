"""Learning the Schoenberg measure of a radial kernel with projected Langevin particles.

Schoenberg's theorem says that every positive semi-definite radial profile on all dimensions is a
mixture of Gaussians, ``psi(r) = int_0^inf exp(-xi r^2) mu(d xi)``.  Following Khuzani, Ye, Napel & Xing,
"A Mean-Field Theory for Learning the Schoenberg Measure of Radial Basis Functions" (arXiv:2006.13330), the
mixing measure ``mu`` is represented by ``N`` particles ``xi^1 ... xi^N`` (raw ``xi``, not ``log xi``) in a
box ``[xi_l, xi_u]`` and moved by projected (reflected) Langevin dynamics.

Objective
---------
For a pair of labelled samples ``z = (x, y)``, ``z' = (x', y')`` with ``y, y' in {-1, +1}`` and
``r^2 = ||x - x'||^2`` the kernel of the empirical measure is
``K(r) = (1/N) sum_k exp(-xi_k r^2)`` and the pairwise loss is

    E_gamma(xi; z, z') = - y y' K(r) + (gamma / 2) K(r)^2 .

With ``gamma = 1`` this is ``1/2 (y y' - K(r))^2 - 1/2`` (the squared loss of the kernel against the
target ``y y'``).  Its expectation is the Lagrangian of the uncentred kernel-target alignment of
Cristianini et al. (:func:`lshlab.kernels.kernel_target_alignment`),
``A = <K, y y^T>_F / (||K||_F ||y y^T||_F) = E[y y' K] / sqrt(E[K^2])``: the first term raises the
numerator, the second penalises the norm in the denominator; the stationary points coincide when
``gamma = E[y y' K] / E[K^2]`` at the optimum.  This is :class:`PairAlignmentLoss`, the default
objective; the learner reports ``A`` on a held sample (``alignment_``) at every iteration.

Pair targets.  The loss only needs a target ``s`` per pair.  ``y y'`` is ``2 * 1[y = y'] - 1``, which
extends from the one-vs-rest labels of seed eq. (4) to integer cluster labels ("same cluster vs
different cluster", :func:`kmeans_pseudo_labels` with ``mode="clusters"``;
``PairAlignmentLoss(balance_pairs=True)`` draws as many same-cluster as different-cluster pairs).
``PairAlignmentLoss(pair_target="indicator")`` uses
``s = 1[y = y']`` instead (the "ideal kernel" of Kwok & Tsang, "Learning with idealized kernels",
ICML 2003).  For ``gamma = 1`` the loss is ``1/2 (s - K)^2`` up to a constant, minimised pointwise by
``K(r) = E[s | r]``: ``P(same | r)`` for the indicator, ``2 P(same | r) - 1`` for the sign target, cut
at 0 because a Gaussian mixture is positive, so the sign target learns a steeper (narrower) kernel.

Variant ``objective=CenteredAlignmentLoss()``: the drift is instead ``g_k = -N dA_c / d xi_k`` for the
centred alignment ``A_c = <K_c, Y_c>_F / (||K_c||_F ||Y_c||_F)``, ``K_c = H K H``, ``Y_c = H y y^T H``
(Cortes, Mohri & Rostamizadeh, JMLR 2012; ``kernel_target_alignment(K, y, centered=True)``), evaluated
on a random batch of ``batch_points`` samples per step (:func:`centered_alignment_grad`).  Centring
removes the constant component that dominates the uncentred alignment when ``K`` is close to 1; the
mean-field PDE of :mod:`lshlab.meanfield` describes the pairwise loss ``E_gamma`` only.

Regulariser: ``(h / 2) W^2_{eps,2}(mu_N, nu_N)``, the entropic optimal-transport cost between the particles
and ``N_nu`` samples of a prior ``nu`` (default: uniform on the box), with squared cost
``M_ij = (xi_i - nu_j)^2``, uniform weights and POT's entropic objective
``W^2_eps = min_P <P, M> + eps sum_ij P_ij log P_ij`` (``ot.sinkhorn``).  By the envelope theorem its
gradient is ``d W^2_eps / d xi_i = 2 sum_j P_ij (xi_i - nu_j)`` with ``P`` the optimal plan.

Update (seed eq. (5)-(6)), with the step size ``eta`` (``learning_rate``) and the mean-field time scaling
(each particle's drift is ``N`` times the partial derivative, so that ``eta`` is the time step of the
limiting PDE of :mod:`lshlab.meanfield`):

    g_k = N d/d xi_k [ mean_b E_gamma(xi; z_b, z_b') + (h/2) W^2_eps ]
        = mean_b (y_b y_b' - gamma K(r_b)) r_b^2 exp(-xi_k r_b^2) + h N sum_j P_kj (xi_k - nu_j)
    xi_k <- Reflect_[xi_l, xi_u]( xi_k - eta g_k + sqrt(2 eta / beta) zeta_k ),   zeta_k ~ N(0, 1).

``Reflect`` is the elastic reflection at both walls, applied as often as needed (a fold of period
``2 (xi_u - xi_l)``), so a particle never leaves the box however large the step.  ``g_k`` is
``d J / d xi`` at ``xi_k`` for the first variation ``J(xi; mu)`` of the energy
(see :func:`lshlab.meanfield.alignment_potential`).

Code: the objectives (:class:`PairAlignmentLoss`, :class:`CenteredAlignmentLoss`) own the pair sampling,
the loss, its gradient and the recorded alignment; :class:`SinkhornRegularizer` owns ``W^2_eps`` and
its gradient; :meth:`LangevinKernelLearner.fit` is the loop above (drift, noise, reflection).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state

from ._validation import check_matrix, check_positive_float, check_positive_int
from .distances import euclidean_distance_matrix
from .kernels import SchoenbergKernel, kernel_target_alignment

__all__ = [
    "kmeans_pseudo_labels",
    "reflect",
    "sample_pairs",
    "alignment_loss",
    "alignment_loss_grad",
    "centered_alignment_grad",
    "sinkhorn_cost",
    "sinkhorn_grad",
    "PairAlignmentLoss",
    "CenteredAlignmentLoss",
    "SinkhornRegularizer",
    "LangevinKernelLearner",
    "code_pr_auc",
    "bandwidth_grid_search",
    # classification baselines with random features (lecture 11), implemented in lshlab.random_features
    "RandomFeatureSampler",
    "compare_random_feature_methods",
]


def kmeans_pseudo_labels(X, n_clusters=2, cluster=0, subset=None, random_state=None, mode="one_vs_rest"):
    """Pseudo-labels from k-means on a subset of the data (seed eq. (4) and its multi-cluster form).

    k-means (scikit-learn, ``n_init=4``) is run on ``subset`` rows drawn without replacement (all rows
    when ``subset`` is None); every row of ``X`` is then assigned to its nearest centroid, clusters
    being numbered by decreasing size on the subset (cluster 0 is the largest).

    ``mode="one_vs_rest"`` (seed eq. (4)): ``y_i = +1`` if row ``i`` falls in cluster ``cluster`` and
    ``-1`` otherwise.  ``mode="clusters"``: ``y_i`` is the cluster number itself (``cluster`` is not
    used); :class:`LangevinKernelLearner` turns it into the pair target "same cluster" (+1) vs
    "different cluster" (-1), of which the one-vs-rest target ``y_i y_j`` is the two-cluster case.

    Returns
    -------
    y : ndarray of int8 (``one_vs_rest``) or int64 (``clusters``), shape (n_samples,)
    """
    from sklearn.cluster import KMeans

    X = check_matrix(X, "X")
    n = X.shape[0]
    n_clusters = check_positive_int(n_clusters, "n_clusters", minimum=2)
    if mode not in ("one_vs_rest", "clusters"):
        raise ValueError(f"mode must be 'one_vs_rest' or 'clusters', got {mode!r}")
    if isinstance(cluster, bool) or not isinstance(cluster, numbers.Integral) or not 0 <= cluster < n_clusters:
        raise ValueError(f"cluster must be an integer in 0..{n_clusters - 1}, got {cluster!r}")
    rng = check_random_state(random_state)
    if subset is None:
        rows = np.arange(n)
    else:
        subset = check_positive_int(subset, "subset", minimum=n_clusters)
        if subset > n:
            raise ValueError(f"subset={subset} exceeds the number of samples {n}")
        rows = rng.choice(n, size=subset, replace=False)
    km = KMeans(n_clusters=n_clusters, n_init=4, random_state=rng.randint(2**31 - 1)).fit(X[rows])
    sizes = np.bincount(km.labels_, minlength=n_clusters)
    order = np.argsort(-sizes, kind="stable")  # cluster 0 = largest cluster on the subset
    assign = km.predict(X)
    if mode == "clusters":
        rank = np.empty(n_clusters, dtype=np.int64)
        rank[order] = np.arange(n_clusters)
        return rank[assign]
    y = np.where(assign == order[cluster], 1, -1).astype(np.int8)
    return y


def reflect(x, low, high):
    """Elastic reflection of ``x`` into ``[low, high]``, repeated until inside.

    A point that overshoots a wall by ``d`` comes back to ``wall -/+ d``; if that overshoots the other
    wall it is reflected again, and so on.  Closed form: fold ``x - low`` with period ``2 L``,
    ``L = high - low``, and mirror the second half.
    """
    x = np.asarray(x, dtype=np.float64)
    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high)) or low >= high:
        raise ValueError(f"reflect needs finite walls with low < high, got ({low}, {high})")
    length = high - low
    y = np.mod(x - low, 2.0 * length)
    y = np.where(y > length, 2.0 * length - y, y)
    return low + y


def sample_pairs(X, y, n_pairs, random_state=None, balance=False):
    """Draw ``n_pairs`` index pairs ``i != j``; return ``(r2, s, i, j)``.

    ``r2 = ||x_i - x_j||^2`` (float64) and the pair target ``s = 2 * 1[y_i = y_j] - 1`` in {-1, +1},
    which is ``y_i y_j`` for labels in {-1, +1} (seed eq. (4)) and "same cluster vs different cluster"
    for integer cluster labels.  ``balance=False`` draws pairs uniformly over ``i != j``;
    ``balance=True`` draws ``n_pairs // 2`` pairs uniformly among the same-label pairs and the rest
    uniformly among the different-label pairs, so both targets weigh equally in the loss even when
    same-label pairs are rare (k clusters: about 1/k of all pairs).  ``random_state``: None, an int or a
    ``RandomState`` (whose stream is consumed).
    """
    rng = check_random_state(random_state)
    n = X.shape[0]
    y = np.asarray(y)
    if not balance:
        i = rng.randint(0, n, size=n_pairs)
        j = (i + rng.randint(1, n, size=n_pairs)) % n  # uniform over j != i
    else:
        classes, inv, counts = np.unique(y, return_inverse=True, return_counts=True)
        n_same_pairs = counts * (counts - 1.0)
        if n_same_pairs.sum() == 0 or classes.size < 2:
            raise ValueError("balance=True needs a label with >= 2 samples and at least two labels")
        n_same = n_pairs // 2
        # same-label pairs: class c with probability n_c (n_c - 1) / sum, then two distinct members
        c = rng.choice(classes.size, size=n_same, p=n_same_pairs / n_same_pairs.sum())
        order = np.argsort(inv, kind="stable")
        start = np.concatenate(([0], np.cumsum(counts)[:-1]))
        a = rng.randint(0, counts[c])
        b = (a + 1 + (rng.random_sample(n_same) * (counts[c] - 1)).astype(np.int64)) % counts[c]
        i_same, j_same = order[start[c] + a], order[start[c] + b]
        # different-label pairs: uniform pairs i != j, rejected while the labels agree
        i_diff = np.empty(0, dtype=np.int64)
        j_diff = np.empty(0, dtype=np.int64)
        while i_diff.size < n_pairs - n_same:
            m = 2 * (n_pairs - n_same - i_diff.size) + 16
            ii = rng.randint(0, n, size=m)
            jj = (ii + rng.randint(1, n, size=m)) % n
            keep = y[ii] != y[jj]
            i_diff, j_diff = np.r_[i_diff, ii[keep]], np.r_[j_diff, jj[keep]]
        i = np.r_[i_same, i_diff[: n_pairs - n_same]]
        j = np.r_[j_same, j_diff[: n_pairs - n_same]]
    diff = X[i].astype(np.float64) - X[j].astype(np.float64)
    r2 = np.einsum("ij,ij->i", diff, diff)
    s = np.where(y[i] == y[j], 1.0, -1.0)
    return r2, s, i, j


def _pair_kernel(xi, r2):
    """``E[b, k] = exp(-xi_k r2_b)`` and ``K_b = mean_k E[b, k]``."""
    E = np.exp(-np.outer(r2, xi))
    return E, E.mean(axis=1)


def alignment_loss(xi, r2, s, gamma=1.0):
    """Mean pairwise loss ``mean_b [-s_b K(r_b) + (gamma/2) K(r_b)^2]``, ``K(r) = mean_k exp(-xi_k r^2)``."""
    _, K = _pair_kernel(np.asarray(xi, dtype=np.float64), np.asarray(r2, dtype=np.float64))
    return float(np.mean(-s * K + 0.5 * gamma * K**2))


def alignment_loss_grad(xi, r2, s, gamma=1.0):
    """Gradient of :func:`alignment_loss` w.r.t. each particle (not scaled by ``N``).

    ``d/d xi_k = (1/N) mean_b (s_b - gamma K(r_b)) r_b^2 exp(-xi_k r_b^2)``.
    """
    xi = np.asarray(xi, dtype=np.float64)
    r2 = np.asarray(r2, dtype=np.float64)
    E, K = _pair_kernel(xi, r2)
    w = (s - gamma * K) * r2
    return (w @ E) / (r2.size * xi.size)


def centered_alignment_grad(xi, D2, y):
    """Centred alignment ``A_c`` of ``K = mean_k exp(-xi_k D2)`` with labels ``y`` and its gradient.

    ``dA_c/dxi_k = (1/N) [ -<D2 E_k, Y_c> / (||K_c|| ||Y_c||) + A_c <D2 E_k, K_c> / ||K_c||^2 ]`` with
    ``E_k = exp(-xi_k D2)`` (``H`` is idempotent, so ``<dK, H S H> = <dK, S_c>``).

    Parameters
    ----------
    xi : (N,) particles;  D2 : (B, B) squared distances;  y : (B,) labels in {-1, +1}
    """
    xi = np.asarray(xi, dtype=np.float64)
    D2 = np.asarray(D2, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    B = D2.shape[0]
    iu = np.triu_indices(B, 1)
    d2 = D2[iu]
    E = np.exp(-np.outer(d2, xi))  # (pairs, N); the diagonal of every E_k is 1 and of D2 E_k is 0
    K = np.ones((B, B))
    K[iu] = E.mean(axis=1)
    K.T[iu] = K[iu]
    Kc = K - K.mean(axis=0, keepdims=True) - K.mean(axis=1, keepdims=True) + K.mean()
    yc = y - y.mean()
    Yc = np.outer(yc, yc)
    nK, nY = np.linalg.norm(Kc), np.linalg.norm(Yc)
    if nK == 0 or nY == 0:
        raise ValueError("centred alignment undefined: constant kernel or all labels equal in the batch")
    A = float(np.sum(Kc * Yc) / (nK * nY))
    dY = 2.0 * (d2 * Yc[iu]) @ E  # <D2 E_k, Y_c>, off-diagonal pairs counted twice
    dK = 2.0 * (d2 * Kc[iu]) @ E
    grad = (-dY / (nK * nY) + A * dK / nK**2) / xi.size
    return A, grad


def _sinkhorn_plan(xi, nu, epsilon, warmstart=None, tol=1e-10):
    """POT's Sinkhorn plan for uniform weights and ``M_ij = (xi_i - nu_j)^2``; also ``(log u, log v)``.

    The scaling solver (``method="sinkhorn"``) is used while ``exp(-M / eps)`` is safely representable;
    if it stops on a numerical error (POT then returns the last finite iterate), or the cost is too
    large for it, the log-domain solver is run from scratch instead.
    """
    import warnings

    import ot

    M = (xi[:, None] - nu[None, :]) ** 2
    a = np.full(xi.size, 1.0 / xi.size)
    b = np.full(nu.size, 1.0 / nu.size)
    P = None
    if M.max() / epsilon < 300.0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            P, log = ot.sinkhorn(a, b, M, epsilon, method="sinkhorn", numItermax=5000, stopThr=tol, warn=False,
                                 log=True, warmstart=warmstart)
            with np.errstate(divide="ignore"):
                warm = (np.log(log["u"]), np.log(log["v"]))
        ok = (np.isfinite(P).all() and all(np.isfinite(w).all() for w in warm)
              and np.abs(P.sum(axis=0) - b).sum() <= 10 * tol + 1e-12)
        if not ok:
            P = None
    if P is None:
        P, log = ot.sinkhorn(a, b, M, epsilon, method="sinkhorn_log", numItermax=5000, stopThr=tol, warn=False,
                             log=True)
        warm = (log["log_u"], log["log_v"])
    return P, M, warm


def sinkhorn_cost(xi, nu, epsilon):
    """Entropic OT cost ``W^2_eps = <P, M> + eps sum P log P`` between particles and prior samples.

    ``M_ij = (xi_i - nu_j)^2``, uniform weights, ``P`` from :func:`ot.sinkhorn` (POT).  The linear part
    ``<P, M>`` is what :func:`ot.sinkhorn2` returns.
    """
    xi = np.asarray(xi, dtype=np.float64)
    nu = np.asarray(nu, dtype=np.float64)
    P, M, _ = _sinkhorn_plan(xi, nu, epsilon)
    pos = P > 0
    return float(np.sum(P * M) + epsilon * np.sum(P[pos] * np.log(P[pos])))


def sinkhorn_grad(xi, nu, epsilon, warmstart=None, return_warmstart=False, tol=1e-10):
    """Gradient of :func:`sinkhorn_cost` w.r.t. the particles: ``2 sum_j P_ij (xi_i - nu_j)``.

    ``warmstart`` = ``(log u, log v)`` of a previous call (returned when ``return_warmstart``) starts
    Sinkhorn from the previous scalings; the fixed point, hence the result, is the same.  ``tol`` is
    POT's ``stopThr`` (2-norm of the column-marginal error).
    """
    xi = np.asarray(xi, dtype=np.float64)
    nu = np.asarray(nu, dtype=np.float64)
    P, _, warm = _sinkhorn_plan(xi, nu, epsilon, warmstart, tol)
    g = 2.0 * (P.sum(axis=1) * xi - P @ nu)
    return (g, warm) if return_warmstart else g


# ----------------------------------------------------------------------------------------------------
# the objective: pair loss or centred alignment, and the Sinkhorn regulariser
# ----------------------------------------------------------------------------------------------------
class _HeldSample:
    """``n_eval`` samples drawn once, on which :attr:`LangevinKernelLearner.alignment_` is measured.

    Keeps the off-diagonal pairs ``i < j`` only: their squared distances ``d2``, whether the labels agree
    (``same``) and the labels ``y``; the diagonal of a Schoenberg kernel is 1.
    """

    def __init__(self, X, y, n_eval, rng):
        n = min(n_eval, X.shape[0])
        rows = rng.choice(X.shape[0], size=n, replace=False)
        self.n = n
        self.iu = np.triu_indices(n, 1)
        self.d2 = euclidean_distance_matrix(X[rows], squared=True, dtype=np.float64)[self.iu]
        self.y = y[rows]
        self.same = (self.y[:, None] == self.y[None, :])[self.iu]

    def pair_kernel(self, xi):
        """``K(r_ij) = mean_k exp(-xi_k r_ij^2)`` for the pairs ``i < j``."""
        return np.exp(-np.outer(self.d2, xi)).mean(axis=1)

    def gram(self, pair_values):
        """The full ``n x n`` Gram matrix from the values of :meth:`pair_kernel` (diagonal 1)."""
        K = np.ones((self.n, self.n))
        K[self.iu] = pair_values
        K.T[self.iu] = pair_values
        return K


class _AlignmentObjective(BaseEstimator):
    """Common part of the objectives: the held sample and the label checks.

    An objective is configured by its parameters (scikit-learn style); :meth:`prepare` binds it to the
    data (drawing whatever it needs once) and then gives, for particles ``xi``:

    - ``sample_batch(random_state)``: the random part of one step's gradient (pairs or points);
    - ``value(xi, batch)`` and ``grad(xi, batch)``: the objective and its gradient w.r.t. each particle
      (not scaled by ``N``; the learner applies the mean-field factor ``N``);
    - ``alignment(xi)``: the kernel-target alignment on the held sample, recorded every iteration.
    """

    def prepare(self, X, y, random_state=None, eval_random_state=None):
        """Bind to ``(X, y)`` (``y`` = -1 / +1 for two classes, else cluster numbers); return ``self``.

        ``random_state`` draws what the objective samples once (the pair pool) and should then feed
        :meth:`sample_batch`; ``eval_random_state`` draws the held sample.  Each is None, an int or a
        ``RandomState``.
        """
        raise NotImplementedError  # pragma: no cover  (every objective defines it)

    def _prepare_held_sample(self, X, y, eval_random_state):
        n_eval = check_positive_int(self.n_eval, "n_eval", minimum=2)
        self.binary_ = np.unique(y).size == 2
        self.held_ = _HeldSample(X, y, n_eval, check_random_state(eval_random_state))


class PairAlignmentLoss(_AlignmentObjective):
    """The pair loss ``E_gamma = -s K(r) + (gamma/2) K(r)^2`` on a pool of labelled pairs (the default).

    See the module docstring: its expectation is the Lagrangian of the uncentred kernel-target
    alignment, and the mean-field PDE of :mod:`lshlab.meanfield` describes it.

    Parameters
    ----------
    n_pairs : int
        Size of the pool of sample pairs drawn once by :meth:`prepare` (:func:`sample_pairs`).
    batch_size : int or None
        Pairs per step drawn from the pool (None: the whole pool every step, a deterministic gradient).
    gamma : float
        Weight of the ``K^2`` term.
    pair_target : {"sign", "indicator"}
        Target ``s`` of a pair: ``"sign"`` (default, the paper's ``s = y y' = 2 * 1[y = y'] - 1``) or
        ``"indicator"`` (``s = 1[y = y']``, the "ideal kernel" of Kwok & Tsang, ICML 2003).  For
        ``gamma = 1`` the loss is ``1/2 (s - K)^2 - s^2/2`` and its minimiser at distance ``r`` is
        ``K(r) = E[s | r]``: ``P(same | r)`` for the indicator, but ``2 P(same | r) - 1`` (cut at 0,
        since a Gaussian mixture is positive) for the sign, a much steeper kernel.
    balance_pairs : bool
        Draw the pool with as many same-label as different-label pairs (:func:`sample_pairs` with
        ``balance=True``) and weigh the two halves equally in the recorded alignment.  Meant for
        multi-cluster labels, where uniform pairs are mostly "different" and the squared loss is then
        minimised by a kernel that is small everywhere.
    n_eval : int
        Size of the held sample on which the alignment is recorded.

    Attributes (after :meth:`prepare`)
    ----------------------------------
    pair_r2_, pair_s_ : ndarray (n_pairs,)
        The pool: squared distances and targets ``s`` (used by :mod:`lshlab.meanfield`).
    """

    def __init__(self, n_pairs=4096, batch_size=256, gamma=1.0, pair_target="sign", balance_pairs=False,
                 n_eval=96):
        self.n_pairs = n_pairs
        self.batch_size = batch_size
        self.gamma = gamma
        self.pair_target = pair_target
        self.balance_pairs = balance_pairs
        self.n_eval = n_eval

    def prepare(self, X, y, random_state=None, eval_random_state=None):
        n_pairs = check_positive_int(self.n_pairs, "n_pairs")
        if self.batch_size is not None:
            check_positive_int(self.batch_size, "batch_size")
        check_positive_float(self.gamma, "gamma", strict=False)
        if self.pair_target not in ("sign", "indicator"):
            raise ValueError(f"pair_target must be 'sign' or 'indicator', got {self.pair_target!r}")
        indicator = self.pair_target == "indicator"
        r2, s, _, _ = sample_pairs(X, y, n_pairs, random_state, balance=bool(self.balance_pairs))
        self.pair_r2_ = r2
        self.pair_s_ = (s > 0).astype(np.float64) if indicator else s
        self._prepare_held_sample(X, y, eval_random_state)
        same = self.held_.same
        self._held_s = np.where(same, 1.0, 0.0 if indicator else -1.0)  # targets of the held pairs
        if self.balance_pairs:
            self._held_w = np.where(same, 0.5 / max(same.sum(), 1), 0.5 / max((~same).sum(), 1))
        return self

    def sample_batch(self, random_state=None):
        """Indices of ``batch_size`` pairs of the pool (None: the whole pool)."""
        if self.batch_size is None:
            return None
        return check_random_state(random_state).randint(0, self.pair_r2_.size, size=self.batch_size)

    def _pairs(self, batch):
        if batch is None:
            return self.pair_r2_, self.pair_s_
        return self.pair_r2_[batch], self.pair_s_[batch]

    def value(self, xi, batch=None):
        """Mean loss ``E_gamma`` over the pairs of ``batch`` (None: the whole pool) (:func:`alignment_loss`)."""
        return alignment_loss(xi, *self._pairs(batch), self.gamma)

    def grad(self, xi, batch=None):
        """Gradient of :meth:`value` w.r.t. each particle (:func:`alignment_loss_grad`)."""
        return alignment_loss_grad(xi, *self._pairs(batch), self.gamma)

    def alignment(self, xi):
        """Alignment of the particle kernel with the pair targets on the held sample.

        Two labels and sign targets: :func:`~lshlab.kernels.kernel_target_alignment` (uncentred).
        Otherwise ``<K, S>_F / (||K||_F ||S||_F)`` with ``S_ij`` the pair targets (diagonal
        ``K = S = 1`` included as in ``kernel_target_alignment``); with ``balance_pairs`` the
        off-diagonal same-label and different-label pairs weigh 1/2 each,
        ``E_w[s K] / sqrt(E_w[K^2] E_w[s^2])``.
        """
        held, s = self.held_, self._held_s
        vals = held.pair_kernel(xi)
        if self.balance_pairs:
            w = self._held_w
            return float(np.sum(w * s * vals) / np.sqrt(np.sum(w * vals**2) * np.sum(w * s**2)))
        if self.binary_ and self.pair_target == "sign":
            return kernel_target_alignment(held.gram(vals), held.y)
        num = held.n + 2.0 * np.sum(s * vals)
        return float(num / np.sqrt((held.n + 2.0 * np.sum(vals**2)) * (held.n + 2.0 * np.sum(s**2))))


class CenteredAlignmentLoss(_AlignmentObjective):
    """Minus the centred kernel-target alignment ``A_c`` on a random batch of points per step.

    ``A_c = <K_c, Y_c>_F / (||K_c||_F ||Y_c||_F)``, ``K_c = H K H``, ``Y_c = H y y^T H`` (Cortes, Mohri
    & Rostamizadeh, "Algorithms for learning kernels based on centered alignment", JMLR 2012;
    :func:`~lshlab.kernels.kernel_target_alignment` with ``centered=True``), for labels in {-1, +1}.
    Centring removes the constant component that dominates the uncentred alignment when ``K`` is close
    to 1.  The mean-field PDE of :mod:`lshlab.meanfield` does not describe this objective.

    Parameters
    ----------
    batch_points : int
        Points per step (>= 3); a batch is redrawn until it holds both labels.
    n_eval : int
        Size of the held sample on which ``A_c`` is recorded.
    """

    def __init__(self, batch_points=64, n_eval=96):
        self.batch_points = batch_points
        self.n_eval = n_eval

    def prepare(self, X, y, random_state=None, eval_random_state=None):
        check_positive_int(self.batch_points, "batch_points", minimum=3)
        n_classes = np.unique(y).size
        if n_classes != 2:
            raise ValueError(f"CenteredAlignmentLoss (the centered_alignment objective) needs labels with two "
                             f"classes, got {n_classes}; use PairAlignmentLoss for cluster labels")
        self._X = X.astype(np.float64)
        self._y = y
        self._prepare_held_sample(X, y, eval_random_state)
        return self

    def sample_batch(self, random_state=None):
        """Row indices of ``batch_points`` distinct samples holding both labels."""
        rng = check_random_state(random_state)
        n_batch = min(self.batch_points, self._X.shape[0])
        while True:  # a batch needs both labels for the centred alignment to exist
            rows = rng.choice(self._X.shape[0], size=n_batch, replace=False)
            if np.ptp(self._y[rows]) > 0:
                return rows

    def _value_and_grad(self, xi, batch):
        if batch is None:
            raise ValueError("CenteredAlignmentLoss needs a batch of rows (from sample_batch)")
        D2 = euclidean_distance_matrix(self._X[batch], squared=True, dtype=np.float64)
        A, dA = centered_alignment_grad(xi, D2, self._y[batch])
        return -A, -dA

    def value(self, xi, batch):
        """``-A_c`` on the rows ``batch``."""
        return self._value_and_grad(xi, batch)[0]

    def grad(self, xi, batch):
        """Gradient of :meth:`value` w.r.t. each particle (:func:`centered_alignment_grad`, negated)."""
        return self._value_and_grad(xi, batch)[1]

    def alignment(self, xi):
        """``A_c`` of the particle kernel on the held sample."""
        held = self.held_
        return kernel_target_alignment(held.gram(held.pair_kernel(xi)), held.y, centered=True)


class SinkhornRegularizer:
    """``W^2_eps(mu_N, nu_N)`` between the particles and fixed prior samples, warm-started step to step.

    :meth:`value` is :func:`sinkhorn_cost`; :meth:`grad` is :func:`sinkhorn_grad`, started from the
    Sinkhorn scalings of the previous call (same fixed point, fewer iterations).  ``tol`` is POT's
    ``stopThr``.
    """

    def __init__(self, prior_samples, epsilon, tol=1e-10):
        self.prior_samples = np.asarray(prior_samples, dtype=np.float64)
        self.epsilon = epsilon
        self.tol = tol
        self._warm = None

    def value(self, xi):
        return sinkhorn_cost(xi, self.prior_samples, self.epsilon)

    def grad(self, xi):
        g, self._warm = sinkhorn_grad(xi, self.prior_samples, self.epsilon, warmstart=self._warm,
                                      return_warmstart=True, tol=self.tol)
        return g


# ----------------------------------------------------------------------------------------------------
# the learner: projected Langevin particles
# ----------------------------------------------------------------------------------------------------
class LangevinKernelLearner(BaseEstimator):
    """Projected Langevin particles for the Schoenberg measure (Khuzani et al., arXiv:2006.13330).

    See the module docstring for the loss, the regulariser and the update.

    Parameters
    ----------
    n_particles : int
        Number of particles ``N``.
    beta : float
        Inverse temperature (> 0; ``np.inf`` switches the noise off: projected SGD).
    learning_rate : float
        Step size ``eta`` (> 0), also the mean-field time per iteration.
    reg : float
        Sinkhorn regularisation weight ``h`` (>= 0).
    epsilon : float
        Entropic regularisation ``eps`` of the Sinkhorn distance (> 0, in units of ``xi^2``).
    bounds : (float, float)
        Walls ``(xi_l, xi_u)`` with ``0 <= xi_l < xi_u``.
    max_iter : int
        Number of updates.
    objective : PairAlignmentLoss, CenteredAlignmentLoss or None
        What the particles descend: the paper's pair loss (None means ``PairAlignmentLoss()``) or the
        centred alignment on point batches.  Options of the pairs, batches and held sample live there.
    prior : None or array-like
        Samples of the prior ``nu`` (inside the bounds); None draws ``n_particles`` samples uniform on
        the box.
    init : None or array-like
        Initial particles (inside the bounds); None draws them uniform on the box.
    boundary : {"reflect", "clip"}
        Elastic reflection (default) or Euclidean projection onto the box.
    random_state : None, int or RandomState
    progress : bool
        Show a tqdm progress bar.

    Attributes
    ----------
    history_ : ndarray, shape (max_iter + 1, n_particles)
        Particle positions, first row the initial ones.
    particles_ : ndarray, shape (n_particles,)
        ``history_[-1]``.
    alignment_ : ndarray, shape (max_iter + 1,)
        Kernel-target alignment of the particle kernel on the objective's held sample (uncentred for
        ``PairAlignmentLoss``, centred for ``CenteredAlignmentLoss``), against the pair-target
        matrix ``S_ij = 2 * 1[y_i = y_j] - 1`` (``= y y^T`` for labels in {-1, +1}); see
        :meth:`PairAlignmentLoss.alignment`.
    kernel_ : lshlab.kernels.SchoenbergKernel
        Equal-weight mixture of the final particles.
    objective_ : PairAlignmentLoss or CenteredAlignmentLoss
        The objective bound to the training data (e.g. ``objective_.pair_r2_``, ``objective_.pair_s_``,
        the pair pool used by :mod:`lshlab.meanfield`).
    prior_samples_ : ndarray
    times_ : ndarray, shape (max_iter + 1,)
        Mean-field time ``m * learning_rate`` of each row of ``history_``.
    n_iter_ : int
        Updates run (always ``max_iter``).
    """

    def __init__(
        self,
        n_particles=100,
        beta=100.0,
        learning_rate=1e-3,
        reg=0.0,
        epsilon=0.05,
        bounds=(0.0, 1.0),
        max_iter=500,
        objective=None,
        prior=None,
        init=None,
        boundary="reflect",
        random_state=None,
        progress=False,
    ):
        self.n_particles = n_particles
        self.beta = beta
        self.learning_rate = learning_rate
        self.reg = reg
        self.epsilon = epsilon
        self.bounds = bounds
        self.max_iter = max_iter
        self.objective = objective
        self.prior = prior
        self.init = init
        self.boundary = boundary
        self.random_state = random_state
        self.progress = progress

    # ------------------------------------------------------------------ validation
    def _checked_params(self):
        n = check_positive_int(self.n_particles, "n_particles")
        beta = self.beta
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or np.isnan(beta) or beta <= 0:
            raise ValueError(f"beta (inverse temperature) must be a number > 0 (np.inf allowed), got {self.beta!r}")
        learning_rate = check_positive_float(self.learning_rate, "learning_rate")
        reg = check_positive_float(self.reg, "reg", strict=False)
        eps = check_positive_float(self.epsilon, "epsilon")
        try:
            low, high = (float(b) for b in self.bounds)
        except (TypeError, ValueError):
            raise ValueError(f"bounds must be a pair (xi_l, xi_u), got {self.bounds!r}") from None
        if not (np.isfinite(low) and np.isfinite(high)) or low < 0 or low >= high:
            raise ValueError(f"bounds must satisfy 0 <= xi_l < xi_u (finite), got ({low}, {high})")
        check_positive_int(self.max_iter, "max_iter", minimum=0)
        if self.objective is not None and not isinstance(self.objective, _AlignmentObjective):
            raise ValueError("objective must be None, PairAlignmentLoss(...) or CenteredAlignmentLoss(...), "
                             f"got {self.objective!r}")
        if self.boundary not in ("reflect", "clip"):
            raise ValueError(f"boundary must be 'reflect' or 'clip', got {self.boundary!r}")
        return n, float(self.beta), learning_rate, reg, eps, low, high

    def _points(self, value, name, n, low, high, rng):
        if value is None:
            return rng.uniform(low, high, size=n)
        arr = check_matrix(value, name, dtype=np.float64, ndim=1)
        if arr.min() < low or arr.max() > high:
            raise ValueError(f"{name} must lie inside bounds ({low}, {high}), got range [{arr.min()}, {arr.max()}]")
        return arr.copy()

    @staticmethod
    def _checked_labels(X, y):
        """Integer labels with at least two classes; two classes are mapped to -1 / +1."""
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be 1-D with {X.shape[0]} labels, got shape {y.shape}")
        if y.dtype.kind == "f":
            if not np.isfinite(y).all() or not np.array_equal(y, np.round(y)):
                raise ValueError("y must hold integer labels (-1 / +1 or cluster numbers), got non-integer "
                                 "or NaN values")
        elif y.dtype.kind not in "iub":
            raise ValueError(f"y must hold integer labels (-1 / +1 or cluster numbers), got dtype {y.dtype}")
        if X.shape[0] < 2:
            raise ValueError("X needs at least 2 samples to form pairs")
        classes = np.unique(y)
        if classes.size < 2:
            raise ValueError(f"y must hold at least two classes, but y has a single class ({classes[0]!r}): "
                             "every pair target would be +1; pseudo-labels need both -1 and +1 "
                             "(see kmeans_pseudo_labels)")
        if classes.size == 2:  # the pair targets only depend on equality, so any two labels act as -1 / +1
            y = np.where(y == classes[1], 1, -1)
        return y

    # ------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Run ``max_iter`` Langevin updates on pairs of ``(X, y)``.

        ``y`` holds integer labels with at least two classes: ``-1`` / ``+1`` (seed eq. (4)) or cluster
        numbers (``kmeans_pseudo_labels(..., mode="clusters")``).  A pair's target is
        ``s = 2 * 1[y_i = y_j] - 1``, i.e. ``y_i y_j`` for labels in {-1, +1}.
        """
        N, beta, learning_rate, reg, eps, low, high = self._checked_params()
        X = check_matrix(X, "X")
        y = self._checked_labels(X, y)
        rng = check_random_state(self.random_state)
        init_rng, pair_rng, noise_rng, eval_rng = (np.random.RandomState(s) for s in rng.randint(0, 2**31 - 1, 4))

        xi = self._points(self.init, "init", N, low, high, init_rng)
        if xi.size != N:
            raise ValueError(f"init must have n_particles={N} entries, got {xi.size}")
        nu = self._points(self.prior, "prior", N, low, high, init_rng)
        objective = PairAlignmentLoss() if self.objective is None else clone(self.objective)
        objective.prepare(X, y, pair_rng, eval_rng)
        sinkhorn = SinkhornRegularizer(nu, eps, tol=1e-4 / N) if reg > 0 else None
        project = ((lambda p: reflect(p, low, high)) if self.boundary == "reflect"
                   else (lambda p: np.clip(p, low, high)))
        noise_sd = 0.0 if np.isinf(beta) else np.sqrt(2.0 * learning_rate / beta)

        history = np.empty((self.max_iter + 1, N))
        align = np.empty(self.max_iter + 1)
        history[0], align[0] = xi, objective.alignment(xi)
        iterations = range(1, self.max_iter + 1)
        if self.progress:
            from tqdm.auto import tqdm

            iterations = tqdm(iterations, desc="Langevin particles", total=self.max_iter)
        for m in iterations:
            # drift g_k = N d/dxi_k [objective + (h/2) W^2_eps]  (mean-field scaling)
            drift = N * objective.grad(xi, objective.sample_batch(pair_rng))
            if sinkhorn is not None:
                drift += N * 0.5 * reg * sinkhorn.grad(xi)
            xi = xi - learning_rate * drift
            if noise_sd > 0:  # + sqrt(2 eta / beta) zeta,  zeta ~ N(0, I)
                xi = xi + noise_sd * noise_rng.standard_normal(N)
            xi = project(xi)  # back into [xi_l, xi_u]
            history[m], align[m] = xi, objective.alignment(xi)

        self.history_ = history
        self.particles_ = history[-1]
        self.alignment_ = align
        self.times_ = learning_rate * np.arange(self.max_iter + 1)
        self.n_iter_ = self.max_iter
        self.prior_samples_ = nu
        self.objective_ = objective
        self.kernel_ = SchoenbergKernel(self.particles_.copy(), np.full(N, 1.0 / N))
        return self


def code_pr_auc(kernel, X_db, X_query, relevant, n_bits=512, random_state=0):
    """Area under the retrieval precision-recall curve of Raginsky codes for ``kernel``.

    ``kernel`` is a Gaussian bandwidth or a ``SchoenbergKernel`` (as accepted by
    :class:`lshlab.hashing.ShiftInvariantHash`); the database and the queries are encoded with
    ``n_bits`` bits drawn with ``random_state``, ranked by Hamming distance (ties averaged) and scored
    with :func:`lshlab.metrics.precision_recall_curve_retrieval` against the boolean ``relevant``
    matrix (n_queries, n_db).  A sequence of seeds returns the mean over seeds.
    """
    from .distances import hamming_distance_matrix
    from .hashing import ShiftInvariantHash
    from .metrics import precision_recall_curve_retrieval

    seeds = [random_state] if np.isscalar(random_state) or random_state is None else list(random_state)
    aucs = []
    for seed in seeds:
        h = ShiftInvariantHash(n_bits, kernel=kernel, random_state=seed).fit(X_db)
        D = hamming_distance_matrix(h.transform(X_query), h.transform(X_db))
        aucs.append(precision_recall_curve_retrieval(D, relevant).auc)
    return float(np.mean(aucs))


def bandwidth_grid_search(X_db, X_query, relevant, sigmas, n_bits=512, random_state=(0, 1, 2)):
    """Baseline: PR-AUC of single-Gaussian codes for each bandwidth in ``sigmas``.

    Returns ``(best_sigma, {sigma: auc})`` (mean over the seeds in ``random_state``).  Choosing the
    bandwidth on the evaluation queries makes this an optimistic baseline.
    """
    if len(sigmas) == 0:
        raise ValueError("sigmas must hold at least one bandwidth")
    scores = {float(s): code_pr_auc(float(s), X_db, X_query, relevant, n_bits, random_state) for s in sigmas}
    return max(scores, key=scores.get), scores


# Random-feature classification baselines (learned Schoenberg kernel vs RBFSampler + linear SVM / SGD vs
# importance sampling) live in their own module; they are part of this module's public face too.
from .random_features import RandomFeatureSampler, compare_random_feature_methods  # noqa: E402
