"""What the Langevin particles of :mod:`lshlab.kernel_learning` descend: alignment objectives and the
Sinkhorn regulariser.

The particles ``xi_1 ... xi_N`` define the kernel ``K(r) = (1/N) sum_k exp(-xi_k r^2)``.

- :class:`PairAlignmentLoss` (the paper's objective, Khuzani, Ye, Napel & Xing, arXiv:2006.13330): the
  pair loss ``E_gamma = -s K(r) + (gamma/2) K(r)^2`` on a pool of labelled pairs
  (:func:`sample_pairs`, :func:`alignment_loss`, :func:`alignment_loss_grad`), the Lagrangian of the
  uncentred kernel-target alignment of Cristianini et al.;
- :class:`CenteredAlignmentLoss`: minus the centred alignment of Cortes, Mohri & Rostamizadeh (JMLR
  2012) on point batches (:func:`centered_alignment_grad`);
- :class:`SinkhornRegularizer`: the entropic optimal-transport cost ``W^2_eps`` between the particles
  and samples of a prior (:func:`sinkhorn_cost`, :func:`sinkhorn_grad`, computed with POT).

The derivations (pair targets, why the pair loss matches the alignment, the envelope-theorem gradient of
``W^2_eps``) are in the docstring of :mod:`lshlab.kernel_learning`.  An objective is configured by its
parameters (scikit-learn style), bound to the data by ``prepare`` and then gives ``sample_batch``,
``value``, ``grad`` and ``alignment`` (see :class:`AlignmentObjective`).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from ._validation import check_positive_float, check_positive_int
from .distances import euclidean_distance_matrix
from .kernels import kernel_target_alignment

__all__ = [
    "sample_pairs",
    "alignment_loss",
    "alignment_loss_grad",
    "centered_alignment_grad",
    "sinkhorn_cost",
    "sinkhorn_grad",
    "AlignmentObjective",
    "PairAlignmentLoss",
    "CenteredAlignmentLoss",
    "SinkhornRegularizer",
]


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
# the objectives as objects
# ----------------------------------------------------------------------------------------------------
class _HeldSample:
    """``n_eval`` samples drawn once, on which the learner's ``alignment_`` is measured.

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


class AlignmentObjective(BaseEstimator, metaclass=ABCMeta):
    """Base of the objectives: the protocol the learner uses, and the held sample.

    An objective is configured by its parameters (scikit-learn style); :meth:`prepare` binds it to the
    data (drawing whatever it needs once), then :meth:`sample_batch`, :meth:`value`, :meth:`grad` and
    :meth:`alignment` serve the learner's loop.
    """

    @abstractmethod
    def prepare(self, X, y, random_state=None, eval_random_state=None):
        """Bind to ``(X, y)`` (``y`` = -1 / +1 for two classes, else cluster numbers); return ``self``.

        ``random_state`` draws what the objective samples once (the pair pool) and should then feed
        :meth:`sample_batch`; ``eval_random_state`` draws the held sample.  Each is None, an int or a
        ``RandomState``.
        """

    @abstractmethod
    def sample_batch(self, random_state=None):
        """The random part of one step's gradient (pair or point indices; None for a deterministic step)."""

    @abstractmethod
    def value(self, xi, batch):
        """The objective at particles ``xi`` on ``batch``."""

    @abstractmethod
    def grad(self, xi, batch):
        """Gradient of :meth:`value` w.r.t. each particle (not scaled by ``N``: the learner applies the
        mean-field factor ``N``)."""

    @abstractmethod
    def alignment(self, xi):
        """Kernel-target alignment of the particle kernel on the held sample (recorded every iteration)."""

    def _prepare_held_sample(self, X, y, eval_random_state):
        n_eval = check_positive_int(self.n_eval, "n_eval", minimum=2)
        self.binary_ = np.unique(y).size == 2
        self.held_ = _HeldSample(X, y, n_eval, check_random_state(eval_random_state))


class PairAlignmentLoss(AlignmentObjective):
    """The pair loss ``E_gamma = -s K(r) + (gamma/2) K(r)^2`` on a pool of labelled pairs (the default).

    Its expectation is the Lagrangian of the uncentred kernel-target alignment (derivation in
    :mod:`lshlab.kernel_learning`), and the mean-field PDE of :mod:`lshlab.meanfield` describes it.

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


class CenteredAlignmentLoss(AlignmentObjective):
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
