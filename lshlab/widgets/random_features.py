"""Lecture 14 explorer: number of random features D and how they are chosen → test error of the linear SVM
on them, and how well ZZᵀ approximates the kernel's Gram matrix.

- :func:`prepare_random_features` measures a grid once: for every method and D, the test error of a
  ``LinearSVC`` on the features (or the errors already measured by
  :func:`lshlab.random_features.compare_random_feature_methods`, passed as ``rows``), and the Gram
  error mean |ZZᵀ − K| on a fixed sample of training points, K the method's kernel: the Gaussian of
  bandwidth σ for scikit-learn's ``RBFSampler`` and for importance sampling (its base measure — the
  re-weighting deliberately moves away from it), the learned Schoenberg mixture for its features.
- :func:`update_random_features` (pure) picks one (method, D); :func:`draw_random_features` draws both
  errors against D, the chosen method highlighted; :func:`random_features_explorer` wires a D slider
  and a method dropdown to the two.

Rahimi & Recht, "Random features for large-scale kernel machines", NIPS 2007: the Monte-Carlo Gram error
of D spectral samples shrinks like 1/√D (drawn as a guide).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from ..distances import euclidean_distance_matrix
from .._validation import check_matrix, check_positive_float, check_positive_int
from ._core import Explorer, selection_slider
from ._view import HighlightedCurves, View

__all__ = ["RandomFeatureGrid", "prepare_random_features", "RandomFeaturesResult", "update_random_features",
           "RandomFeaturesView", "draw_random_features", "random_features_explorer"]

RBF = "RBFSampler + LinearSVC"
IMPORTANCE = "importance sampling"
LEARNED = "learned Schoenberg"


@dataclass
class RandomFeatureGrid:
    """Measurements of :func:`prepare_random_features`.

    Attributes
    ----------
    methods : tuple of str;  n_components : tuple of int (the D values)
    test_error, gram_error : dict method -> float array over ``n_components``
    kernels : dict method -> str, the kernel each Gram error is measured against
    n_gram : int, training points of the Gram sample
    """

    methods: tuple
    n_components: tuple
    test_error: dict
    gram_error: dict
    kernels: dict
    n_gram: int


def _feature_map(method, D, bandwidth, learned_kernel, rho, random_state):
    from sklearn.kernel_approximation import RBFSampler

    from ..random_features import RandomFeatureSampler

    if method == RBF:
        return RBFSampler(gamma=1.0 / (2 * bandwidth**2), n_components=D, random_state=random_state)
    if method == IMPORTANCE:
        return RandomFeatureSampler(D, "importance", kernel=bandwidth, rho=rho, random_state=random_state)
    return RandomFeatureSampler(D, "spectral", kernel=learned_kernel, random_state=random_state)


def prepare_random_features(X_train, y_train, X_test, y_test, *, bandwidth, learned_kernel=None,
                            n_components=(16, 64, 256, 1024), rows=None, C=1.0, rho=1.0, n_gram=200,
                            random_state=0):
    """Test and Gram errors of random-feature machines for every method and number of features.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : arrays; labels ±1
    bandwidth : float
        σ of the Gaussian kernel (RBFSampler's γ = 1/(2σ²); base measure of importance sampling).
    learned_kernel : SchoenbergKernel, optional
        Adds the method "learned Schoenberg" (e.g. ``LangevinKernelLearner().kernel_``).
    n_components : sequence of int
    rows : list of dict, optional
        Output of :func:`lshlab.random_features.compare_random_feature_methods` on the same data: its
        test errors are used instead of fitting again (methods and D values missing there are fitted).
    C, rho : LinearSVC's C and importance sampling's budget (as ``compare_random_feature_methods``).
    n_gram : int
        Training points (a fixed random subset) of the Gram-error sample.

    Returns
    -------
    RandomFeatureGrid
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from ..kernels import SchoenbergKernel

    X_train = check_matrix(X_train, "X_train")
    X_test = check_matrix(X_test, "X_test")
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if y_train.shape != (X_train.shape[0],) or y_test.shape != (X_test.shape[0],):
        raise ValueError("y_train and y_test must hold one label per row of X_train and X_test")
    sigma = check_positive_float(bandwidth, "bandwidth")
    Ds = tuple(check_positive_int(D, "n_components") for D in n_components)
    if not Ds:
        raise ValueError("n_components must be non-empty")
    if learned_kernel is not None and not isinstance(learned_kernel, SchoenbergKernel):
        raise ValueError(f"learned_kernel must be a SchoenbergKernel or None, got {learned_kernel!r}")
    methods = (RBF, IMPORTANCE) + ((LEARNED,) if learned_kernel is not None else ())
    by_key = {}  # rows of several feature seeds: the explorer shows their mean
    for r in rows or []:
        by_key.setdefault((r["method"], int(r["n_components"])), []).append(float(r["test_error"]))
    known = {key: float(np.mean(v)) for key, v in by_key.items()}
    sample = np.sort(np.random.default_rng(random_state).choice(
        X_train.shape[0], min(check_positive_int(n_gram, "n_gram"), X_train.shape[0]), replace=False))
    Xg = X_train[sample].astype(np.float64)
    sq = euclidean_distance_matrix(Xg, Xg, squared=True, dtype=np.float64)
    gaussian = np.exp(-sq / (2 * sigma**2))
    targets = {RBF: gaussian, IMPORTANCE: gaussian}
    kernels = {RBF: f"Gaussian σ = {sigma:.3g}", IMPORTANCE: f"Gaussian σ = {sigma:.3g} (base measure)"}
    if learned_kernel is not None:
        targets[LEARNED] = learned_kernel(np.sqrt(sq))
        kernels[LEARNED] = "the learned mixture"
    test_error, gram_error = {}, {}
    for m in methods:
        test_error[m], gram_error[m] = np.empty(len(Ds)), np.empty(len(Ds))
        for i, D in enumerate(Ds):
            fmap = _feature_map(m, D, sigma, learned_kernel, rho, random_state)
            fitted = fmap.fit(X_train, y_train) if m == IMPORTANCE else fmap.fit(X_train)
            Z = np.asarray(fitted.transform(X_train[sample]), dtype=np.float64)
            gram_error[m][i] = np.abs(Z @ Z.T - targets[m]).mean()
            if (m, D) in known:
                test_error[m][i] = known[(m, D)]
            else:
                model = make_pipeline(_feature_map(m, D, sigma, learned_kernel, rho, random_state), LinearSVC(C=C))
                test_error[m][i] = 1.0 - float(model.fit(X_train, y_train).score(X_test, y_test))
    return RandomFeatureGrid(methods, Ds, test_error, gram_error, kernels, len(sample))


@dataclass
class RandomFeaturesResult:
    """Output of :func:`update_random_features`: the chosen ``method`` and ``n_components`` (D), their
    ``test_error`` and ``gram_error``, and the whole ``grid``."""

    method: str
    n_components: int
    test_error: float
    gram_error: float
    grid: RandomFeatureGrid


def update_random_features(grid, *, n_components, method):
    """Pure: the errors of ``grid`` at (``method``, ``n_components``), both on the grid.

    Returns a :class:`RandomFeaturesResult`."""
    if method not in grid.methods:
        raise ValueError(f"method={method!r} was not measured; choose one of {grid.methods}")
    if n_components not in grid.n_components:
        raise ValueError(f"n_components={n_components!r} was not measured; choose one of {grid.n_components}")
    i = grid.n_components.index(n_components)
    return RandomFeaturesResult(method, int(n_components), float(grid.test_error[method][i]),
                                float(grid.gram_error[method][i]), grid)


class RandomFeaturesView(View):
    """Figure of a :class:`RandomFeaturesResult`: test error (left) and Gram error (right, log–log, with the
    1/√D guide) against D, one grey line per method, the chosen one in colour and the chosen D circled."""

    def build(self, result):
        grid = result.grid
        ax_t, ax_g = np.ravel(self.axes)[:2]
        Ds = np.asarray(grid.n_components, dtype=float)
        self.test = HighlightedCurves(ax_t, Ds, grid.test_error, fmt="test error {:.3f}", loc="upper right")
        ax_t.set_xscale("log", base=2)
        ax_t.set_xticks(Ds, [str(int(D)) for D in Ds])
        top = max(float(np.max(v)) for v in grid.test_error.values())
        ax_t.set_ylim(0, min(1.0, 1.15 * top + 0.01))
        ax_t.set_xlabel("number of random features D")
        ax_t.set_ylabel("test error of the linear SVM")
        ax_t.set_title("Test error against D")
        self.gram = HighlightedCurves(ax_g, Ds, grid.gram_error, fmt="{:.3g}", color="tab:orange", loc="lower left")
        first = grid.gram_error[grid.methods[0]][0]
        ax_g.plot(Ds, first * np.sqrt(Ds[0] / Ds), color="k", ls="--", lw=1, zorder=1)
        ax_g.annotate("1/√D", (Ds[-1], first * np.sqrt(Ds[0] / Ds[-1])), textcoords="offset points",
                      xytext=(-4, 6), ha="right", fontsize="small")
        ax_g.set_xscale("log", base=2)
        ax_g.set_yscale("log")
        ax_g.set_xticks(Ds, [str(int(D)) for D in Ds])
        ax_g.set_xlabel("number of random features D")
        ax_g.set_ylabel(f"mean |ZZᵀ − K| ({grid.n_gram} training points)")
        self.gram_title = ax_g.set_title(" ")
        self.animate(self.test, self.gram, self.gram_title)
        self.update(result)

    def update(self, result):
        self.test.select(result.method, result.n_components)  # the circled points and values say the rest
        self.gram.select(result.method, result.n_components)
        self.gram_title.set_text(f"Gram error against {result.grid.kernels[result.method]}")


def draw_random_features(result, axes):
    """Test error (left) and Gram error (right) against D of a :class:`RandomFeaturesResult`; returns the
    Figure."""
    return RandomFeaturesView(axes).draw(result)


def random_features_explorer(X_train, y_train, X_test, y_test, *, bandwidth, learned_kernel=None,
                             n_components=(16, 64, 256, 1024), rows=None, C=1.0, rho=1.0, n_gram=200,
                             random_state=0, figsize=(11, 4.2)):
    """D slider and method dropdown → test error and Gram-matrix error of random-feature machines.

    The grid is measured once (:func:`prepare_random_features`; pass the lecture's
    ``compare_random_feature_methods`` rows to reuse its test errors); ``explorer.data`` is the
    :class:`RandomFeatureGrid`.
    """
    import ipywidgets as w

    grid = prepare_random_features(X_train, y_train, X_test, y_test, bandwidth=bandwidth,
                                   learned_kernel=learned_kernel, n_components=n_components, rows=rows, C=C,
                                   rho=rho, n_gram=n_gram, random_state=random_state)
    Ds = grid.n_components
    controls = {
        "n_components": selection_slider("features D", Ds, Ds[len(Ds) // 2]),
        "method": w.Dropdown(options=list(grid.methods), value=grid.methods[-1], description="method"),
    }
    explorer = Explorer(partial(update_random_features, grid), draw_random_features, controls,
                        view=RandomFeaturesView, ncols=2, figsize=figsize,
                        title="Random features: test error and kernel approximation against D")
    explorer.data = grid
    return explorer
