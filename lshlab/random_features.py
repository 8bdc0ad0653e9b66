"""Random-feature kernel machines: three ways to choose the features, and a fair comparison.

Rahimi & Recht (NIPS 2007): a shift-invariant kernel K(x, x') = φ(x − x') is an expectation over its
spectral measure ν, K(x, x') = E_ω[2 cos(ωᵀx + b) cos(ωᵀx' + b)] with b ~ U[0, 2π), so D samples give
the feature map

    z(x) = √(2/D) · (cos(ω_1ᵀx + b_1), …, cos(ω_Dᵀx + b_D)),    z(x)ᵀz(x') ≈ K(x, x'),

and a linear SVM on z(x) approximates the kernel SVM of Khuzani, Ye, Napel & Xing's experiment (a hinge
loss with an ℓ2 penalty on the D feature weights).  :class:`RandomFeatureSampler` takes the kernel as ``kernel=``, a
Gaussian bandwidth σ or a :class:`lshlab.kernels.SchoenbergKernel` (the convention of
:class:`lshlab.hashing.ShiftInvariantHash`), and draws ω in one of two ways:

``method="spectral"``
    ω i.i.d. from the spectral measure of the kernel: N(0, σ⁻² I) for the Gaussian of bandwidth σ
    (what scikit-learn's ``RBFSampler`` does with γ = 1/(2σ²)), Σ_k w_k N(0, 2ξ_k I) for a Schoenberg
    mixture — e.g. the kernel learned by :class:`lshlab.kernel_learning.LangevinKernelLearner` (the
    "proposed" method of Khuzani, Ye, Napel & Xing, "A mean-field theory for learning the Schönberg measure
    of radial basis functions", 2020).
``method="importance"``
    Sinha & Duchi, "Learning Kernels with Random Features" (NeurIPS 2016): draw M candidate frequencies
    from the spectral measure of the kernel (the base measure), give each the alignment score
    v_m = (1/n²)(Σ_i y_i z_m(x_i))², re-weight them by the solution q of  max_q vᵀq  s.t. q in the
    simplex and the χ²-divergence D(q ‖ uniform) = M‖q‖² − 1 ≤ ρ, then draw D of the M candidates
    i.i.d. from q.

:func:`compare_random_feature_methods` fits each choice (plus scikit-learn's ``RBFSampler`` with a
``LinearSVC`` and with an ``SGDClassifier``) for several D and reports test error and fit time.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC, LinearSVC
from sklearn.utils.validation import check_is_fitted

from ._validation import (
    check_float32_cast,
    check_float32_exact,
    check_matrix,
    check_positive_float,
    check_positive_int,
    check_random_state,
)
from .hashing.shift_invariant import resolve_kernel

__all__ = [
    "RandomFeatureSampler",
    "project_to_simplex",
    "importance_weights",
    "compare_random_feature_methods",
    "fit_time_vs_n",
]

_METHODS = ("spectral", "importance")


def _check_pm1(y, n, name="y"):
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must be a 1-D array of {n} labels, got shape {y.shape}")
    values = set(np.unique(y).tolist())
    if not values <= {-1, 1} or len(values) < 2:
        raise ValueError(f"{name} must hold both labels -1 and +1 (a binary task), got values {sorted(values)}")
    return y.astype(np.float64)


def project_to_simplex(v):
    """Euclidean projection of ``v`` onto the probability simplex {q ≥ 0, Σ q = 1}.

    The sort-based algorithm (Held, Wolfe & Crowder 1974; Duchi et al. 2008): with u sorted in
    decreasing order, ρ = max{j : u_j − (Σ_{i≤j} u_i − 1)/j > 0} and τ = (Σ_{i≤ρ} u_i − 1)/ρ,
    the projection is max(v − τ, 0).
    """
    v = check_matrix(v, "v", dtype=np.float64, ndim=1)
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    j = np.arange(1, v.size + 1)
    rho = j[u - css / j > 0][-1]
    return np.maximum(v - css[rho - 1] / rho, 0.0)


def importance_weights(scores, rho):
    """Solve max_q scoresᵀq over the simplex with M‖q‖² − 1 ≤ rho (Sinha & Duchi 2016, eq. 4).

    For a multiplier λ > 0 the maximiser of scoresᵀq − (λM/2)‖q‖² over the simplex is the projection of
    scores/(λM) onto it; ‖q(λ)‖² decreases in λ, so λ is found by bisection on a log scale until the
    divergence constraint is tight (or q is already feasible at the unconstrained optimum's limit).
    """
    v = check_matrix(scores, "scores", dtype=np.float64, ndim=1)
    rho = check_positive_float(rho, "rho", strict=False)
    M = v.size
    div = lambda q: M * float(q @ q) - 1.0  # noqa: E731
    v = v - v.max()  # shift-invariant on the simplex; keeps the scale sane
    scale = max(float(np.ptp(v)), 1e-300)
    lo, hi = 1e-12 * scale, 1e12 * scale  # divergence(lo) large, divergence(hi) ~ 0
    if div(project_to_simplex(v / (lo * M))) <= rho:
        return project_to_simplex(v / (lo * M))
    for _ in range(200):
        mid = np.sqrt(lo * hi)
        if div(project_to_simplex(v / (mid * M))) > rho:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1 + 1e-10:
            break
    return project_to_simplex(v / (hi * M))


class RandomFeatureSampler(TransformerMixin, BaseEstimator):
    """Random Fourier features z(x) = √(2/D) cos(Ωx + b) with Ω chosen by ``method``.

    Parameters
    ----------
    n_components : int, default 256
        D, the number of features (the name of scikit-learn's ``RBFSampler``).
    method : {"spectral", "importance"}, default "spectral"
        How the frequencies are drawn (module docstring).
    kernel : float or SchoenbergKernel, default 1.0
        A Gaussian bandwidth σ (K(Δ) = exp(−‖Δ‖²/(2σ²)), ω ~ N(0, σ⁻² I)) or a Schoenberg mixture
        (e.g. a ``LangevinKernelLearner().kernel_``); for "importance" it is the base measure.
    n_candidates : int, optional
        M for "importance" (default 10·D).
    rho : float, default 1.0
        χ²-divergence budget for "importance" (ρ = 0 gives back the plain draw from the kernel).
    random_state : int, RandomState or None

    Attributes
    ----------
    kernel_ : SchoenbergKernel
        ``kernel`` as a Schoenberg mixture (one atom ξ = 1/(2σ²) for a bandwidth σ).
    omega_ : float32 (n_components, n_features_in_)
    offset_ : float32 (n_components,)
    scores_, candidate_weights_ : float64 (n_candidates,)
        Alignment scores and weights of the candidates ("importance" only).

    Notes
    -----
    Draw order in ``fit``: the frequencies (``kernel_.sample_frequencies``: for one atom z·√(2ξ) = z/σ
    with z ~ N(0, I)), then the offsets b ~ U[0, 2π), then (for "importance") the candidates picked.
    """

    def __init__(self, n_components=256, method="spectral", kernel=1.0, n_candidates=None, rho=1.0,
                 random_state=None):
        self.n_components = n_components
        self.method = method
        self.kernel = kernel
        self.n_candidates = n_candidates
        self.rho = rho
        self.random_state = random_state

    def fit(self, X, y=None):
        X = check_matrix(X, "X")
        D = check_positive_int(self.n_components, "n_components")
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}, got {self.method!r}")
        self.kernel_ = resolve_kernel(self.kernel)
        rng = check_random_state(self.random_state)
        n, d = X.shape
        self.n_features_in_ = d
        name = f"the frequencies ω of kernel={self.kernel!r}"
        hint = "float32 cannot hold them: choose a bandwidth nearer the scale of X (or rescale X)"
        if self.method == "spectral":
            omega = self.kernel_.sample_frequencies(D, d, rng)
            check_float32_cast(omega, name, hint)
            b = rng.uniform(0, 2 * np.pi, D)
        else:
            if y is None:
                raise ValueError("method='importance' needs labels y in {-1, +1} to score the candidates")
            yy = _check_pm1(y, n)
            M = 10 * D if self.n_candidates is None else check_positive_int(self.n_candidates, "n_candidates")
            cand = self.kernel_.sample_frequencies(M, d, rng)
            check_float32_cast(cand, name, hint)
            cb = rng.uniform(0, 2 * np.pi, M)
            Z = X.astype(np.float64) @ cand.T + cb
            check_float32_exact(Z, "the phases ωᵀx + b of the candidate features", _phase_hint(self.kernel, X))
            Z = np.cos(Z, out=Z)  # (n, M), unnormalised features
            self.scores_ = ((yy @ Z) / n) ** 2
            self.candidate_weights_ = importance_weights(self.scores_, self.rho)
            pick = rng.choice(M, size=D, replace=True, p=self.candidate_weights_)
            omega, b = cand[pick], cb[pick]
        self.omega_ = omega.astype(np.float32)
        self.offset_ = b.astype(np.float32)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = check_matrix(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the sampler was fitted with {self.n_features_in_}")
        Z = X @ self.omega_.T
        Z += self.offset_
        check_float32_exact(Z, "the phases ωᵀx + b of the random features", _phase_hint(self.kernel, X))
        np.cos(Z, out=Z)
        Z *= np.float32(np.sqrt(2.0 / self.omega_.shape[0]))
        return Z


def _phase_hint(kernel, X):
    """The advice of a phase overflow (a callable: evaluated only when raising)."""
    return lambda top: (f"kernel={kernel!r} is too narrow for the scale of X (|x| up to {float(np.abs(X).max()):.3g}): "
                        "float32 cannot resolve such phases to within a radian; use a larger bandwidth or rescale X")


def _timed_fit_score(model, Xtr, ytr, Xte, yte):
    """(training error, test error, fit seconds) of ``model``."""
    t0 = time.perf_counter()
    model.fit(Xtr, ytr)
    fit_time = time.perf_counter() - t0
    return 1.0 - float(model.score(Xtr, ytr)), 1.0 - float(model.score(Xte, yte)), fit_time


def compare_random_feature_methods(X_train, y_train, X_test, y_test, n_components=(64, 256, 1024),
                                   bandwidth=1.0, learned_kernel=None, C=1.0, rho=1.0, random_state=0):
    """Test error and fit time of random-feature linear SVMs for each way of choosing features.

    Methods, for every number of features D in ``n_components``: ``"RBFSampler + LinearSVC"`` and
    ``"RBFSampler + SGD"`` (scikit-learn, the Gaussian kernel of bandwidth σ = ``bandwidth``,
    γ = 1/(2σ²)); ``"importance sampling"`` (Sinha & Duchi, base Gaussian σ, budget ρ);
    ``"learned Schoenberg"`` (features of ``learned_kernel``, if given).  Labels must be ±1.

    The "SGD" row trains the *classifier* by stochastic gradient descent on fixed Gaussian features; it is
    not the "SGD" baseline of Khuzani, Ye, Napel & Xing's experiment, which optimises the *kernel*.

    Returns
    -------
    list of dict with keys ``method``, ``n_components``, ``train_error``, ``test_error``, ``fit_time``
    (seconds, feature sampling + classifier; the kernel learning itself is timed by the caller).
    """
    X_train = check_matrix(X_train, "X_train")
    X_test = check_matrix(X_test, "X_test")
    ytr = _check_pm1(y_train, X_train.shape[0], "y_train")
    yte = _check_pm1(y_test, X_test.shape[0], "y_test")
    sigma = check_positive_float(bandwidth, "bandwidth")
    gamma = 1.0 / (2 * sigma**2)
    rows = []
    if isinstance(n_components, (int, np.integer)) and not isinstance(n_components, bool):
        n_components = (n_components,)
    try:
        n_components = tuple(n_components)
    except TypeError:
        raise ValueError(f"n_components must be an integer or a sequence of integers >= 1, "
                         f"got {n_components!r}") from None
    for D in n_components:
        D = check_positive_int(D, "n_components")
        models = {
            "RBFSampler + LinearSVC": make_pipeline(
                RBFSampler(gamma=gamma, n_components=D, random_state=random_state), LinearSVC(C=C)),
            "RBFSampler + SGD": make_pipeline(
                RBFSampler(gamma=gamma, n_components=D, random_state=random_state),
                SGDClassifier(loss="hinge", alpha=1.0 / (C * X_train.shape[0]), random_state=random_state)),
            "importance sampling": make_pipeline(
                RandomFeatureSampler(D, "importance", kernel=sigma, rho=rho, random_state=random_state),
                LinearSVC(C=C)),
        }
        if learned_kernel is not None:
            models["learned Schoenberg"] = make_pipeline(
                RandomFeatureSampler(D, "spectral", kernel=learned_kernel, random_state=random_state),
                LinearSVC(C=C))
        for name, model in models.items():
            train_err, err, secs = _timed_fit_score(model, X_train, ytr, X_test, yte)
            rows.append({"method": name, "n_components": D, "train_error": train_err, "test_error": err,
                         "fit_time": secs})
    return rows


def fit_time_vs_n(X, y, sizes, n_components=512, bandwidth=1.0, C=1.0, repeats=3, random_state=0):
    """Fit time of the exact Gaussian-kernel SVM and of D random features + a linear SVM, against n.

    The exact SVM (scikit-learn's ``SVC``, libsvm) works on the n × n kernel matrix, so its cost grows
    roughly like n² to n³; ``RBFSampler`` + ``LinearSVC`` costs O(n·D·d) for the features and about
    O(n·D) per pass of the linear solver (Rahimi & Recht, "Random features for large-scale kernel
    machines", NIPS 2007).  Each time is the best of ``repeats`` fits (the least disturbed by other work).

    Parameters
    ----------
    X, y : training rows and ±1 labels; the first n rows are used for each n in ``sizes``.
    sizes : sequence of int, each ≤ len(X)
    n_components, bandwidth, C : D, the Gaussian bandwidth σ (γ = 1/(2σ²)) and the SVM's C.

    Returns
    -------
    list of dict with keys ``n``, ``exact_s``, ``random_features_s``.
    """
    X = check_matrix(X, "X")
    y = _check_pm1(y, X.shape[0])
    gamma = 1.0 / (2 * check_positive_float(bandwidth, "bandwidth") ** 2)
    repeats = check_positive_int(repeats, "repeats")
    D = check_positive_int(n_components, "n_components")
    rows = []
    for n in sizes:
        n = check_positive_int(n, "sizes", minimum=2)
        if n > X.shape[0]:
            raise ValueError(f"sizes holds n={n}, more than the {X.shape[0]} rows of X")
        Xn, yn = X[:n], y[:n]
        if len(np.unique(yn)) < 2:
            raise ValueError(f"the first {n} rows of y hold one class only; shuffle X and y first")
        times = {}
        for key, make in (("exact_s", lambda: SVC(kernel="rbf", gamma=gamma, C=C)),
                          ("random_features_s", lambda: make_pipeline(
                              RBFSampler(gamma=gamma, n_components=D, random_state=random_state), LinearSVC(C=C)))):
            best = np.inf
            for _ in range(repeats):
                t0 = time.perf_counter()
                make().fit(Xn, yn)
                best = min(best, time.perf_counter() - t0)
            times[key] = best
        rows.append({"n": n, **times})
    return rows
