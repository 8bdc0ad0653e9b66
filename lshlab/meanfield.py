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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_banded
from scipy.special import logsumexp

from ._validation import check_positive_float, check_positive_int

__all__ = [
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


def solve_meanfield(
    bounds,
    beta,
    rho0=None,
    n_cells=200,
    t_final=1.0,
    dt=None,
    *,
    potential=None,
    pair_r2=None,
    pair_s=None,
    gamma=1.0,
    reg=0.0,
    epsilon=0.05,
    prior=None,
    t_eval=None,
    progress=False,
):
    """Solve the mean-field PDE (module docstring) with zero-flux walls.

    Parameters
    ----------
    bounds : (float, float)
        ``(xi_l, xi_u)``.
    beta : float
        Inverse temperature (> 0; ``np.inf`` = no diffusion, upwind transport).
    rho0 : None, callable or array (n_cells,)
        Initial density (None: uniform); a callable is evaluated at the cell centres.  Normalised to
        mass 1.
    n_cells : int
    t_final : float
    dt : float or None
        Time step (None: ``t_final / 400``, refined so output times are hit exactly).
    potential : callable or None
        A fixed (density-independent) part of ``J``, called on the cell centres.
    pair_r2, pair_s : arrays or None
        Pair pool (``r^2`` and ``y y'``) of the density-dependent alignment part of ``J`` (see
        :func:`alignment_potential`), e.g. ``learner.pair_r2_``, ``learner.pair_s_``.
    gamma, reg, epsilon, prior :
        As in :class:`~lshlab.kernel_learning.LangevinKernelLearner`; ``reg > 0`` needs ``prior``
        samples and adds ``(h/2) f_rho``.
    t_eval : array or None
        Output times in ``[0, t_final]`` (None: 101 equally spaced).
    """
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be a pair (xi_l, xi_u), got {bounds!r}") from None
    if not (np.isfinite(low) and np.isfinite(high)) or low >= high:
        raise ValueError(f"bounds must satisfy xi_l < xi_u (finite), got ({low}, {high})")
    if isinstance(beta, bool) or not np.isscalar(beta) or np.isnan(beta) or beta <= 0:
        raise ValueError(f"beta must be a number > 0 (np.inf allowed), got {beta!r}")
    beta = float(beta)
    n_cells = check_positive_int(n_cells, "n_cells", minimum=2)
    t_final = check_positive_float(t_final, "t_final")
    reg = check_positive_float(reg, "reg", strict=False)
    gamma = check_positive_float(gamma, "gamma", strict=False)
    if potential is None and pair_r2 is None and reg == 0:
        raise ValueError("give a potential, a pair pool (pair_r2, pair_s) or reg > 0 with a prior")
    if (pair_r2 is None) != (pair_s is None):
        raise ValueError("pair_r2 and pair_s must be given together")
    if pair_r2 is not None:
        pair_r2 = np.asarray(pair_r2, dtype=np.float64).ravel()
        pair_s = np.asarray(pair_s, dtype=np.float64).ravel()
        if pair_r2.shape != pair_s.shape:
            raise ValueError(f"pair_r2 {pair_r2.shape} and pair_s {pair_s.shape} must have the same length")
        for name, arr in (("pair_r2", pair_r2), ("pair_s", pair_s)):
            if not np.isfinite(arr).all():
                raise ValueError(f"{name} contains NaN or infinite values")
        if pair_r2.min() < 0:
            raise ValueError(f"pair_r2 must hold squared distances >= 0, got a minimum of {pair_r2.min()}")
    if reg > 0:
        epsilon = check_positive_float(epsilon, "epsilon")
        if prior is None:
            raise ValueError("reg > 0 needs prior samples (e.g. learner.prior_samples_)")
        prior = np.asarray(prior, dtype=np.float64).ravel()
        if prior.size == 0 or not np.isfinite(prior).all():
            raise ValueError("prior must be a non-empty array of finite samples of the prior measure")
        if prior.min() < low or prior.max() > high:
            raise ValueError(
                f"prior must lie inside bounds ({low}, {high}), got range [{prior.min()}, {prior.max()}]"
            )

    edges = np.linspace(low, high, n_cells + 1)
    dx = edges[1] - edges[0]
    grid = 0.5 * (edges[:-1] + edges[1:])
    if rho0 is None:
        rho = np.ones(n_cells)
    elif callable(rho0):
        rho = np.asarray(rho0(grid), dtype=np.float64)
    else:
        rho = np.asarray(rho0, dtype=np.float64)
    if rho.shape != (n_cells,) or not np.isfinite(rho).all() or rho.min() < 0 or rho.sum() <= 0:
        raise ValueError(f"rho0 must give {n_cells} finite non-negative values with positive mass")
    rho = rho / (rho.sum() * dx)

    if t_eval is None:
        t_eval = np.linspace(0.0, t_final, 101)
    t_eval = np.asarray(t_eval, dtype=np.float64)
    if t_eval.ndim != 1 or t_eval.min() < 0 or t_eval.max() > t_final + 1e-12 or np.any(np.diff(t_eval) < 0):
        raise ValueError("t_eval must be non-decreasing times in [0, t_final]")
    if dt is None:
        dt = t_final / 400.0
    dt = check_positive_float(dt, "dt")

    fixed = np.zeros(n_cells) if potential is None else np.asarray(potential(grid), dtype=np.float64)
    if fixed.shape != (n_cells,):
        raise ValueError(f"potential must return {n_cells} values on the cell centres, got shape {fixed.shape}")
    if not np.isfinite(fixed).all():
        raise ValueError("potential returned NaN or infinite values on the grid")
    D = 0.0 if np.isinf(beta) else 1.0 / beta

    if pair_r2 is not None:
        E = np.exp(-np.outer(grid, pair_r2))  # (n_cells, n_pairs), fixed on the grid
        n_pairs = pair_r2.size

    def J_of(r):
        J = fixed.copy()
        w = r * dx
        if pair_r2 is not None:  # alignment_potential with E precomputed
            J += (E @ (gamma * (w @ E) - pair_s)) / n_pairs
        if reg > 0:
            J += 0.5 * reg * sinkhorn_potential(grid, w, prior, epsilon, tol=1e-9)
        return J

    density_dependent = pair_r2 is not None or reg > 0
    J_frozen = None if density_dependent else J_of(rho)

    def step(r, h):
        J = J_frozen if J_frozen is not None else J_of(r)
        dJ = np.diff(J)
        if D > 0:
            P = -beta * dJ
            a = D / dx * _bernoulli(-P)  # coefficient of rho_i in F_{i+1/2}
            b = D / dx * _bernoulli(P)  # coefficient of rho_{i+1}
        else:
            v = -dJ / dx
            a = np.maximum(v, 0.0)
            b = -np.minimum(v, 0.0)
        # A rho: d rho_i/dt = -(F_{i+1/2} - F_{i-1/2}) / dx
        main = np.zeros(n_cells)
        main[:-1] -= a / dx
        main[1:] -= b / dx
        ab = np.zeros((3, n_cells))
        ab[0, 1:] = -h * b / dx  # upper: -(dt) * A[i, i+1]
        ab[1] = 1.0 - h * main
        ab[2, :-1] = -h * a / dx  # lower: -(dt) * A[i+1, i]
        out = solve_banded((1, 1), ab, r)
        return np.maximum(out, 0.0)  # clears -0.0 / round-off only; the M-matrix keeps out >= 0

    out = np.empty((t_eval.size, n_cells))
    t = 0.0
    k = 0
    while k < t_eval.size and t_eval[k] <= t + 1e-12:
        out[k] = rho
        k += 1
    total = int(np.ceil(t_final / dt))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="mean-field PDE")
    while k < t_eval.size:
        h = min(dt, t_eval[k] - t)
        rho = step(rho, h)
        t += h
        if bar is not None:
            bar.update(1)
        while k < t_eval.size and t_eval[k] <= t + 1e-12:
            out[k] = rho
            k += 1
    if bar is not None:
        bar.close()
    return MeanFieldResult(edges=edges, grid=grid, times=t_eval, density=out, mass=out.sum(axis=1) * dx,
                           beta=beta)


def meanfield_from_learner(learner, n_cells=200, dt=None, t_eval=None, rho0=None):
    """The PDE that matches a fitted :class:`~lshlab.kernel_learning.LangevinKernelLearner`.

    Same walls, ``beta``, pair pool, ``gamma``, ``reg``, ``epsilon`` and prior samples; final time
    ``n_iter * step``; initial density uniform (the learner's default ``init``) unless ``rho0`` is given.
    """
    t_final = learner.times_[-1]
    if t_eval is None:
        t_eval = learner.times_
    return solve_meanfield(
        learner.bounds, learner.beta, rho0=rho0, n_cells=n_cells, t_final=t_final, dt=dt,
        pair_r2=learner.pair_r2_, pair_s=learner.pair_s_, gamma=learner.gamma, reg=learner.reg,
        epsilon=learner.epsilon, prior=learner.prior_samples_ if learner.reg > 0 else None, t_eval=t_eval,
    )


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
