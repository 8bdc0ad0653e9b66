"""Mean-field limit of the Langevin particles: a McKean-Vlasov PDE with zero-flux (Robin) walls.

As ``N -> infinity`` (Khuzani, Ye, Napel & Xing, arXiv:2006.13330, and seed 002) the empirical measure of
the particles of :class:`lshlab.kernel_learning.LangevinKernelLearner` at time ``t = m eta`` converges to
a density ``rho_t`` on ``[xi_l, xi_u]`` solving

    d rho / dt = d/dxi ( rho dJ/dxi ) + (1/beta) d^2 rho / dxi^2,
    rho dJ/dxi + (1/beta) d rho / dxi = 0   at xi = xi_l and xi = xi_u   (no flux through the walls),

where ``J(xi; rho)`` is the first variation of the energy.  For the learner's energy
``E[-y y' K_rho(r) + (gamma/2) K_rho(r)^2] + (h/2) W^2_eps(rho, nu)`` with
``K_rho(r) = int exp(-xi' r^2) rho(xi') dxi'`` it is (expectations over the learner's pair pool)

    J(xi; rho) = -E[y y' exp(-xi r^2)] + gamma E[exp(-xi r^2) K_rho(r)] + (h/2) f_rho(xi),

with ``f_rho`` the entropic Kantorovich potential of ``W^2_eps(rho, nu)`` (whose derivative
``2 (xi - T(xi))``, ``T`` the barycentric map of the Sinkhorn plan, is the particle drift's regulariser
term).  The seed prints the first term with a ``+`` sign; the derivation from the loss gives ``-``.

Scheme: ``n_cells`` finite volumes of width ``dx``; face fluxes by Scharfetter-Gummel,
``F_{i+1/2} = (D/dx) [B(-P) rho_i - B(P) rho_{i+1}]`` with ``D = 1/beta``,
``P = -beta (J_{i+1} - J_i)`` and the Bernoulli function ``B(z) = z / (e^z - 1)`` (pure upwind when
``beta = inf``); the wall fluxes are zero.  Time stepping is backward Euler with ``J`` frozen at the
previous step (semi-implicit): each step solves a tridiagonal M-matrix system whose columns sum to zero,
so mass is conserved to round-off and the density stays non-negative for every ``dt``.  For a fixed
``J`` the discrete stationary state is exactly ``rho_i ∝ exp(-beta J_i)`` (the Gibbs density).

Code: :class:`MeanFieldProblem` describes the PDE (walls, temperature, the parts of ``J``, the grid) and
its :meth:`~MeanFieldProblem.step` is one time step of the scheme; :func:`solve_meanfield` is the time
loop; :func:`meanfield_from_learner` builds and solves the PDE of a fitted learner.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import solve_banded
from scipy.special import logsumexp

from ._validation import check_positive_float, check_positive_int

__all__ = [
    "MeanFieldProblem",
    "MeanFieldResult",
    "solve_meanfield",
    "meanfield_from_learner",
    "alignment_potential",
    "sinkhorn_potential",
    "histogram_density",
    "wasserstein_to_density",
]


@dataclass
class MeanFieldResult:
    """Solution of :func:`solve_meanfield`.

    Attributes
    ----------
    edges : ndarray (n_cells + 1,)   cell edges on ``[xi_l, xi_u]``
    grid : ndarray (n_cells,)        cell centres
    times : ndarray (n_times,)       output times
    density : ndarray (n_times, n_cells)   cell averages of ``rho_t`` (integrate to 1)
    mass : ndarray (n_times,)        ``sum_i density[t, i] * dx`` (1 up to round-off)
    beta : float
    """

    edges: np.ndarray
    grid: np.ndarray
    times: np.ndarray
    density: np.ndarray
    mass: np.ndarray
    beta: float

    @property
    def dx(self):
        return float(self.edges[1] - self.edges[0])

    def at(self, t):
        """Density at the stored time closest to ``t``."""
        return self.density[int(np.argmin(np.abs(self.times - t)))]


def _bernoulli(z):
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    small = np.abs(z) < 1e-8
    out[small] = 1.0 - 0.5 * z[small]
    zz = z[~small]
    with np.errstate(over="ignore"):
        out[~small] = zz / np.expm1(zz)
    return out


def alignment_potential(grid, weights, pair_r2, pair_s, gamma=1.0, support=None):
    """Pair part of ``J``: ``-E[s exp(-xi r^2)] + gamma E[exp(-xi r^2) K_rho(r)]`` at the points ``grid``.

    The measure ``rho`` puts mass ``weights`` at ``support`` (default: at ``grid``, e.g. the masses
    ``rho_i dx`` of the cells), so ``K_rho(r_b) = sum_i weights_i exp(-support_i r_b^2)``.  With the
    particles as support (weights ``1/N``), ``dJ/dxi`` at a particle is ``N`` times the particle
    gradient of the pair loss.
    """
    grid = np.asarray(grid, dtype=np.float64)
    pair_r2 = np.asarray(pair_r2, dtype=np.float64)
    support = grid if support is None else np.asarray(support, dtype=np.float64)
    K = np.asarray(weights, dtype=np.float64) @ np.exp(-np.outer(support, pair_r2))
    E = np.exp(-np.outer(grid, pair_r2))  # (n_points, n_pairs)
    return (E @ (gamma * K - pair_s)) / pair_r2.size


def sinkhorn_potential(points, weights, prior, epsilon, at=None, tol=1e-10):
    """Entropic Kantorovich potential of ``W^2_eps(rho, nu)`` for ``rho = sum_i weights_i delta_{points_i}``.

    ``nu`` is uniform on the ``prior`` samples and the cost is ``(xi - nu_j)^2``.  With ``log v`` from
    POT's stabilised Sinkhorn (``method="sinkhorn_stabilized"``, which absorbs large scalings and so
    copes with small ``eps`` and empty cells), ``f(xi) = -eps logsumexp_j(log v_j - (xi - nu_j)^2 / eps)``
    (up to a constant), evaluated at ``at`` (default: ``points``).  Its derivative ``2 (xi - T(xi))``,
    with ``T(xi) = sum_j pi_j(xi) nu_j`` the barycentric map of the plan, is the regulariser part of the
    particle drift divided by ``h``.  ``tol`` is POT's ``stopThr``.
    """
    import warnings

    import ot

    points = np.asarray(points, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    a = np.maximum(np.asarray(weights, dtype=np.float64), 1e-14)
    a = a / a.sum()
    b = np.full(prior.size, 1.0 / prior.size)
    M = (points[:, None] - prior[None, :]) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, log = ot.sinkhorn(a, b, M, epsilon, method="sinkhorn_stabilized", log=True, numItermax=10000,
                             stopThr=tol, warn=False)
    log_v = np.asarray(log["logv"])
    if not np.isfinite(log_v).all():
        _, log = ot.sinkhorn(a, b, M, epsilon, method="sinkhorn_log", log=True, numItermax=10000, stopThr=tol,
                             warn=False)
        log_v = np.asarray(log["log_v"])
    x = points if at is None else np.asarray(at, dtype=np.float64)
    return -epsilon * logsumexp(log_v[None, :] - (x[:, None] - prior[None, :]) ** 2 / epsilon, axis=1)


@dataclass(frozen=True, eq=False)
class MeanFieldProblem:
    """The mean-field PDE of the module docstring, discretised on a grid of cells.

    The problem is the density-independent part of ``J`` (``potential``), the alignment part given by
    a pair pool (``pair_r2``, ``pair_s``, ``gamma``), the Sinkhorn part (``reg``, ``epsilon``,
    ``prior``), the temperature ``1/beta``, and the boundary condition: walls at ``bounds`` through
    which the flux ``rho dJ/dxi + (1/beta) d rho/dxi`` is zero (the limit of the learner's reflected,
    or projected, particles).  At least one part of ``J`` must be present.

    Parameters
    ----------
    bounds : (float, float)
        Walls ``(xi_l, xi_u)``.
    beta : float
        Inverse temperature (> 0; ``np.inf`` = no diffusion, upwind transport).
    n_cells : int
        Number of finite volumes (>= 2) of width ``dx = (xi_u - xi_l) / n_cells``.
    potential : callable or None
        A fixed (density-independent) part of ``J``, called once on the cell centres.
    pair_r2, pair_s : arrays or None
        Pair pool (``r^2`` and targets ``s``, e.g. ``y y'``) of the density-dependent alignment part of
        ``J`` (see :func:`alignment_potential`), e.g. ``learner.objective_.pair_r2_`` and ``.pair_s_``.
    gamma : float
        Weight of the ``K^2`` term of the pair loss (as the learner's objective).
    reg, epsilon : float
        Sinkhorn weight ``h`` (>= 0) and entropic regularisation; ``reg > 0`` adds ``(h/2) f_rho``.
    prior : array or None
        Samples of the prior ``nu`` (inside the walls); needed when ``reg > 0``.

    Attributes
    ----------
    edges : ndarray (n_cells + 1,)   cell edges
    grid : ndarray (n_cells,)        cell centres
    dx : float                       cell width
    """

    bounds: tuple
    beta: float
    n_cells: int = 200
    potential: object = None
    pair_r2: np.ndarray = None
    pair_s: np.ndarray = None
    gamma: float = 1.0
    reg: float = 0.0
    epsilon: float = 0.05
    prior: np.ndarray = None
    edges: np.ndarray = field(init=False, repr=False)
    grid: np.ndarray = field(init=False, repr=False)
    dx: float = field(init=False, repr=False)
    _fixed: np.ndarray = field(init=False, repr=False)  # the potential on the grid
    _pair_exp: np.ndarray = field(init=False, repr=False)  # exp(-grid_i r2_b), fixed on the grid

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        low, high = _check_walls(self.bounds)
        put("bounds", (low, high))
        put("beta", _check_beta(self.beta))
        put("n_cells", check_positive_int(self.n_cells, "n_cells", minimum=2))
        put("gamma", check_positive_float(self.gamma, "gamma", strict=False))
        put("reg", check_positive_float(self.reg, "reg", strict=False))
        if self.potential is None and self.pair_r2 is None and self.reg == 0:
            raise ValueError("give a potential, a pair pool (pair_r2, pair_s) or reg > 0 with a prior")
        if (self.pair_r2 is None) != (self.pair_s is None):
            raise ValueError("pair_r2 and pair_s must be given together")
        if self.pair_r2 is not None:
            put("pair_r2", np.asarray(self.pair_r2, dtype=np.float64).ravel())
            put("pair_s", np.asarray(self.pair_s, dtype=np.float64).ravel())
            _check_pair_pool(self.pair_r2, self.pair_s)
        if self.reg > 0:
            put("epsilon", check_positive_float(self.epsilon, "epsilon"))
            put("prior", _check_prior(self.prior, low, high))

        edges = np.linspace(low, high, self.n_cells + 1)
        put("edges", edges)
        put("dx", edges[1] - edges[0])
        put("grid", 0.5 * (edges[:-1] + edges[1:]))
        fixed = np.zeros(self.n_cells) if self.potential is None else np.asarray(self.potential(self.grid),
                                                                                 dtype=np.float64)
        if fixed.shape != (self.n_cells,):
            raise ValueError(f"potential must return {self.n_cells} values on the cell centres, "
                             f"got shape {fixed.shape}")
        if not np.isfinite(fixed).all():
            raise ValueError("potential returned NaN or infinite values on the grid")
        put("_fixed", fixed)
        put("_pair_exp", None if self.pair_r2 is None else np.exp(-np.outer(self.grid, self.pair_r2)))

    @classmethod
    def from_learner(cls, learner, n_cells=200):
        """The PDE of a fitted :class:`~lshlab.kernel_learning.LangevinKernelLearner` with the pair loss.

        Same walls, ``beta``, pair pool, ``gamma``, ``reg``, ``epsilon`` and prior samples.  The
        centred-alignment objective has no mean-field PDE here (a ``ValueError`` says so).
        """
        objective = getattr(learner, "objective_", None)
        if objective is None:
            raise ValueError("learner is not fitted: call learner.fit(X, y) before building its mean-field PDE")
        if not hasattr(objective, "pair_r2_"):
            raise ValueError(f"the mean-field PDE describes the pair loss (PairAlignmentLoss) only, "
                             f"got the objective {type(objective).__name__}")
        return cls(learner.bounds, learner.beta, n_cells, pair_r2=objective.pair_r2_, pair_s=objective.pair_s_,
                   gamma=objective.gamma, reg=learner.reg, epsilon=learner.epsilon,
                   prior=learner.prior_samples_ if learner.reg > 0 else None)

    def initial_density(self, rho0=None):
        """Cell averages of ``rho0`` (None: uniform; a callable is evaluated at the cell centres) with mass 1."""
        if rho0 is None:
            rho = np.ones(self.n_cells)
        elif callable(rho0):
            rho = np.asarray(rho0(self.grid), dtype=np.float64)
        else:
            rho = np.asarray(rho0, dtype=np.float64)
        if rho.shape != (self.n_cells,) or not np.isfinite(rho).all() or rho.min() < 0 or rho.sum() <= 0:
            raise ValueError(f"rho0 must give {self.n_cells} finite non-negative values with positive mass")
        return rho / (rho.sum() * self.dx)

    def first_variation(self, rho):
        """``J(xi_i; rho)`` at the cell centres: potential + alignment part + ``(h/2) f_rho``."""
        J = self._fixed.copy()
        w = rho * self.dx  # cell masses
        if self.pair_r2 is not None:  # alignment_potential with exp(-xi r^2) precomputed on the grid
            E = self._pair_exp
            J += (E @ (self.gamma * (w @ E) - self.pair_s)) / self.pair_r2.size
        if self.reg > 0:
            J += 0.5 * self.reg * sinkhorn_potential(self.grid, w, self.prior, self.epsilon, tol=1e-9)
        return J

    def face_coefficients(self, J):
        """``(a, b)`` with the face flux ``F_{i+1/2} = a_i rho_i - b_i rho_{i+1}``.

        Scharfetter-Gummel ``a = (D/dx) B(-P)``, ``b = (D/dx) B(P)``, ``P = -beta (J_{i+1} - J_i)``,
        ``D = 1/beta``; for ``beta = inf`` the upwind flux of the velocity ``v = -dJ/dxi``.
        """
        dJ = np.diff(J)
        if np.isinf(self.beta):
            v = -dJ / self.dx
            return np.maximum(v, 0.0), -np.minimum(v, 0.0)
        D = 1.0 / self.beta
        P = -self.beta * dJ
        return D / self.dx * _bernoulli(-P), D / self.dx * _bernoulli(P)

    def step(self, rho, dt):
        """One time step: backward Euler ``(I - dt A) rho_new = rho`` with ``J`` frozen at ``rho``.

        ``A`` is the tridiagonal matrix of ``d rho_i/dt = -(F_{i+1/2} - F_{i-1/2}) / dx`` with zero
        wall fluxes; its columns sum to zero and its off-diagonal entries are >= 0 (an M-matrix after
        the shift), so the step conserves mass and keeps ``rho >= 0`` for every ``dt``.
        """
        a, b = self.face_coefficients(self.first_variation(rho))
        n, dx = self.n_cells, self.dx
        main = np.zeros(n)  # diagonal of A: what leaves cell i through its two faces
        main[:-1] -= a / dx
        main[1:] -= b / dx
        banded = np.zeros((3, n))
        banded[0, 1:] = -dt * b / dx  # upper diagonal: -dt A[i, i+1]
        banded[1] = 1.0 - dt * main
        banded[2, :-1] = -dt * a / dx  # lower diagonal: -dt A[i+1, i]
        out = solve_banded((1, 1), banded, rho)
        return np.maximum(out, 0.0)  # clears -0.0 / round-off only; the M-matrix keeps out >= 0


def _check_walls(bounds):
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be a pair (xi_l, xi_u), got {bounds!r}") from None
    if not (np.isfinite(low) and np.isfinite(high)) or low >= high:
        raise ValueError(f"bounds must satisfy xi_l < xi_u (finite), got ({low}, {high})")
    return low, high


def _check_beta(beta):
    if isinstance(beta, bool) or not np.isscalar(beta) or np.isnan(beta) or beta <= 0:
        raise ValueError(f"beta must be a number > 0 (np.inf allowed), got {beta!r}")
    return float(beta)


def _check_pair_pool(pair_r2, pair_s):
    if pair_r2.shape != pair_s.shape:
        raise ValueError(f"pair_r2 {pair_r2.shape} and pair_s {pair_s.shape} must have the same length")
    for name, arr in (("pair_r2", pair_r2), ("pair_s", pair_s)):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinite values")
    if pair_r2.min() < 0:
        raise ValueError(f"pair_r2 must hold squared distances >= 0, got a minimum of {pair_r2.min()}")


def _check_prior(prior, low, high):
    if prior is None:
        raise ValueError("reg > 0 needs prior samples (e.g. learner.prior_samples_)")
    prior = np.asarray(prior, dtype=np.float64).ravel()
    if prior.size == 0 or not np.isfinite(prior).all():
        raise ValueError("prior must be a non-empty array of finite samples of the prior measure")
    if prior.min() < low or prior.max() > high:
        raise ValueError(f"prior must lie inside bounds ({low}, {high}), got range [{prior.min()}, {prior.max()}]")
    return prior


def solve_meanfield(problem, rho0=None, t_final=1.0, dt=None, t_eval=None, progress=False):
    """Solve a :class:`MeanFieldProblem` from ``rho0`` up to ``t_final``.

    Parameters
    ----------
    problem : MeanFieldProblem
    rho0 : None, callable or array (n_cells,)
        Initial density (None: uniform); a callable is evaluated at the cell centres.  Normalised to
        mass 1.
    t_final : float
    dt : float or None
        Time step (None: ``t_final / 400``); a step is shortened to land exactly on an output time.
    t_eval : array or None
        Non-decreasing output times in ``[0, t_final]`` (None: 101 equally spaced).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    MeanFieldResult
    """
    if not isinstance(problem, MeanFieldProblem):
        raise ValueError(f"problem must be a MeanFieldProblem, got {type(problem).__name__}")
    t_final = check_positive_float(t_final, "t_final")
    rho = problem.initial_density(rho0)
    t_eval = np.linspace(0.0, t_final, 101) if t_eval is None else np.asarray(t_eval, dtype=np.float64)
    if t_eval.ndim != 1 or t_eval.min() < 0 or t_eval.max() > t_final + 1e-12 or np.any(np.diff(t_eval) < 0):
        raise ValueError("t_eval must be non-decreasing times in [0, t_final]")
    dt = check_positive_float(t_final / 400.0 if dt is None else dt, "dt")

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(np.ceil(t_final / dt)), desc="mean-field PDE")
    out = np.empty((t_eval.size, problem.n_cells))
    t, k = 0.0, 0  # current time; next output to fill
    while True:
        while k < t_eval.size and t_eval[k] <= t + 1e-12:  # record every output time reached
            out[k] = rho
            k += 1
        if k == t_eval.size:
            break
        h = min(dt, t_eval[k] - t)
        rho = problem.step(rho, h)
        t += h
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return MeanFieldResult(edges=problem.edges, grid=problem.grid, times=t_eval, density=out,
                           mass=out.sum(axis=1) * problem.dx, beta=problem.beta)


def meanfield_from_learner(learner, n_cells=200, dt=None, t_eval=None, rho0=None):
    """Solve the PDE that matches a fitted :class:`~lshlab.kernel_learning.LangevinKernelLearner`.

    :meth:`MeanFieldProblem.from_learner`, final time ``max_iter * learning_rate``, output times
    ``learner.times_`` unless ``t_eval`` is given, initial density uniform (the learner's default
    ``init``) unless ``rho0`` is given.
    """
    t_eval = learner.times_ if t_eval is None else t_eval
    return solve_meanfield(MeanFieldProblem.from_learner(learner, n_cells), rho0=rho0, t_final=learner.times_[-1],
                           dt=dt, t_eval=t_eval)


def histogram_density(samples, edges):
    """Histogram of ``samples`` on ``edges`` normalised as a density (integrates to 1)."""
    counts, _ = np.histogram(np.asarray(samples, dtype=np.float64), bins=edges)
    return counts / (counts.sum() * np.diff(edges))


def wasserstein_to_density(samples, edges, density, refine=16):
    """W1 distance between an empirical measure and a piecewise-constant density.

    Each cell is split into ``refine`` sub-cells whose centres carry the cell's mass
    (:func:`scipy.stats.wasserstein_distance`); the discretisation error is at most
    ``dx / (4 refine)``.
    """
    from scipy.stats import wasserstein_distance

    edges = np.asarray(edges, dtype=np.float64)
    density = np.asarray(density, dtype=np.float64)
    refine = check_positive_int(refine, "refine")
    dx = np.diff(edges)
    offs = (np.arange(refine) + 0.5) / refine
    pts = (edges[:-1, None] + dx[:, None] * offs[None, :]).ravel()
    wts = np.repeat(density * dx / refine, refine)
    return float(wasserstein_distance(np.asarray(samples, dtype=np.float64).ravel(), pts, v_weights=wts))
