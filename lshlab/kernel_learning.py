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
on a random batch of ``batch_points`` samples per step
(:func:`~lshlab.kernel_objectives.centered_alignment_grad`).  Centring
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

Code: the objectives live in :mod:`lshlab.kernel_objectives` (:class:`PairAlignmentLoss`,
:class:`CenteredAlignmentLoss`: pair sampling, loss, gradient and the recorded alignment;
:class:`SinkhornRegularizer`: ``W^2_eps`` and its gradient); :meth:`LangevinKernelLearner.fit` here is
the loop above (drift, noise, reflection).  The objective classes are importable from this module too.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state

from ._validation import check_matrix, check_positive_float, check_positive_int
from .kernel_objectives import AlignmentObjective, CenteredAlignmentLoss, PairAlignmentLoss, SinkhornRegularizer
from .kernels import SchoenbergKernel

__all__ = [
    "kmeans_pseudo_labels",
    "reflect",
    "PairAlignmentLoss",
    "CenteredAlignmentLoss",
    "SinkhornRegularizer",
    "LangevinKernelLearner",
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
        Elastic reflection (default) or Euclidean projection onto the box, the P_Ξ of Khuzani et al.'s
        eq. (5).  Both keep every particle in the box and have the same limit as the step η → 0 (the
        reflected diffusion, whose density has zero flux through the walls); at a finite step the
        projection leaves a fraction O(√η) of the particles sitting exactly on a wall.
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
        Equal-weight mixture of the final particles (a particle exactly at ξ = 0, the constant atom,
        enters as the smallest positive float: the same kernel values to machine precision).
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
        if self.objective is not None and not isinstance(self.objective, AlignmentObjective):
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
        self.kernel_ = SchoenbergKernel(self._positive_rates(self.particles_), np.full(N, 1.0 / N))
        return self

    @staticmethod
    def _positive_rates(xi):
        """The particles as Schoenberg rates.  A particle sitting exactly on a lower wall at ξ = 0 (a
        projection, ``boundary="clip"``, puts particles there) is the constant atom exp(−0·r²) = 1; it
        enters as the smallest positive float, whose atom equals 1 to machine precision for every r."""
        return np.maximum(xi, np.finfo(np.float64).tiny)
