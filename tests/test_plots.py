"""Every public plot helper of ``lshlab.plots`` is called once under Agg (the POT ``test_plot.py`` style):
it returns the Figure it drew on (a new one, or the one of the given ``ax=`` / ``axes=``), labels its axes,
titles what is compared and never calls ``plt.show()``.  A test enumerates the package's public names and
fails when one has no case here.  Further tests check that the drawn data are the data passed in."""

import importlib
import inspect
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from layout import text_layout_problems  # noqa: E402

from lshlab import plots  # noqa: E402
from lshlab.metrics import precision_recall_curve_retrieval  # noqa: E402


@pytest.fixture(autouse=True)
def _course_style():
    """Every test renders under the course's style (what the lectures set with ``plots.set_style()``),
    restored afterwards, so the text-layout checks do not depend on the order tests run in."""
    with matplotlib.rc_context():
        plots.set_style()
        yield
        plt.close("all")


@pytest.fixture
def pair_distances():
    rng = np.random.default_rng(0)
    e = rng.random(400)
    c = np.clip(np.round(e * 32 + rng.normal(0, 2, 400)), 0, 32).astype(int)
    return c, e


# ------------------------------------------------------------------------------ one call per helper
def _pr_curves():
    rng = np.random.default_rng(5)
    D = rng.random((3, 40))
    rel = D < 0.3
    return {"exact": precision_recall_curve_retrieval(D, rel),
            "noisy": precision_recall_curve_retrieval(D + rng.normal(0, 0.2, D.shape), rel)}


def _kdtree():
    from lshlab.search import KDTree

    return KDTree(np.random.default_rng(3).random((40, 2)), leaf_size=4)


def _meanfield_result():
    """Stand-in with the attributes the density helpers read (a MeanFieldResult's grid, edges, times,
    density per time and ``at(t)``): the helpers are tested here, the solver in test_meanfield."""
    edges = np.linspace(0.0, 1.0, 21)
    grid = (edges[1:] + edges[:-1]) / 2
    times = np.linspace(0.0, 1.0, 5)
    density = np.stack([np.exp(-((grid - 0.5) ** 2) / (0.02 + 0.05 * t)) for t in times])
    density /= density.sum(axis=1, keepdims=True) * np.diff(edges)[0]
    return SimpleNamespace(edges=edges, grid=grid, times=times, density=density,
                           at=lambda t: density[int(np.argmin(np.abs(times - t)))])


def _code_comparison():
    """Stand-in with what ``plot_map_vs_bits`` reads from a CodeComparison (methods, bits, map_curve)."""
    maps = {"LSH": [0.2, 0.25, 0.3], "ITQ": [0.4, 0.45, 0.5]}
    return SimpleNamespace(methods=tuple(maps), bits=(8, 16, 32), map_curve=lambda m: np.array(maps[m]))


def _overlap_scores():
    rng = np.random.default_rng(4)
    return {b: SimpleNamespace(dice=rng.random(20), jaccard=rng.random(20) / 2) for b in (8, 32)}


def _fitted_2d_hashers():
    from lshlab.hashing import SpectralHash

    X = np.random.default_rng(6).random((200, 2)).astype(np.float32)
    return {"SH": SpectralHash(3).fit(X)}, X


def _bits_hasher():
    from lshlab.hashing import ShiftInvariantHash

    return ShiftInvariantHash(n_bits=4, kernel=1.0, random_state=0).fit(np.zeros((1, 1)))


def _disagreement():
    from lshlab.widgets import update_disagreement

    return update_disagreement(bandwidth=1.0, n_bits=64, n_distances=6, n_pairs=4)


def _parameter_choice():
    from lshlab.lsh_theory import choose_parameters

    rng = np.random.default_rng(14)
    return choose_parameters(rng.uniform(0.7, 0.95, 50), rng.beta(3, 3, 200), 10_000, target_recall=0.9,
                             max_candidates=300, max_K=24, max_L=128)


def test_recall_vs_qps_keeps_crowded_setting_labels_apart():
    """Settings near recall 1 (and two lines crossing) crowd their labels: each is moved to a free spot."""
    from layout import text_layout_problems

    rows = [("binary codes", "IndexBinaryMultiHash (2 × 32 bits)", "nflip=0", 0.48, 1.15e6, 17),
            ("binary codes", "IndexBinaryMultiHash (2 × 32 bits)", "nflip=1", 0.72, 2.4e5, 17),
            ("float features", "IndexIVFPQ (nlist=250, 8×8 bits)", "nprobe=1", 0.50, 5.3e5, 29),
            ("float features", "IndexIVFPQ (nlist=250, 8×8 bits)", "nprobe=8", 0.716, 2.3e5, 29),
            ("binary codes", "IndexBinaryIVF (nlist=250)", "nprobe=16", 1.0, 5.7e5, 16),
            ("binary codes", "IndexBinaryIVF (nlist=250)", "nprobe=64", 1.0, 1.85e5, 16),
            ("float features", "IndexHNSWFlat (M=32)", "efSearch=16", 0.999, 2.05e5, 528),
            ("float features", "IndexHNSWFlat (M=32)", "efSearch=64", 1.0, 8.3e4, 528)]
    fig = plots.plot_recall_vs_qps(_sweep_points(rows))
    problems = text_layout_problems(fig)
    assert not problems, "; ".join(problems)
    plt.close(fig)


def _sweep_points(rows=None):
    from lshlab.scale import SweepPoint

    rows = rows or [("binary codes", "IndexBinaryFlat", "", 1.0, 430, 8),
            ("binary codes", "IndexBinaryIVF (nlist=1788)", "nprobe=1", 0.81, 4.3e4, 16),
            ("binary codes", "IndexBinaryIVF (nlist=1788)", "nprobe=64", 1.0, 4.8e3, 16),
            ("binary codes", "MultiIndexHashing (lshlab)", "", 1.0, 4.7e3, 47),
            ("float features", "IndexHNSWFlat (M=32)", "efSearch=16", 0.98, 1.05e4, 528),
            ("float features", "IndexHNSWFlat (M=32)", "efSearch=256", 1.0, 1.15e3, 528),
            ("float features", "IndexIVFPQ (nlist=1788, 8×8 bits)", "nprobe=1", 0.40, 4e4, 19),
            ("float features", "IndexIVFPQ (nlist=1788, 8×8 bits)", "nprobe=32", 0.61, 6.5e3, 19)]
    return [SweepPoint(f, i, st, r, q, b, 0.0) for f, i, st, r, q, b in rows]


_IMAGES = np.random.default_rng(7).random((12, 64))
_LABELS = np.array([0, 1, 2] * 4)

#: name -> (how it accepts axes: "ax", (nrows, ncols) for ``axes=``, or None; call(**axes_kw) -> Figure)
CASES = {
    "set_style": (None, lambda: plots.set_style()),
    # retrieval
    "plot_hamming_vs_euclidean": ("ax", lambda **kw: plots.plot_hamming_vs_euclidean(
        np.arange(50) % 9, np.linspace(0, 1, 50), n_bits=8, **kw)),
    "plot_pr_curves": ("ax", lambda **kw: plots.plot_pr_curves(_pr_curves(), **kw)),
    "plot_retrieval_collage": ((2, 4), lambda **kw: plots.plot_retrieval_collage(
        _IMAGES[:2], _IMAGES, np.array([[0, 1, 2], [3, 4, 5]]), _LABELS[:2], _LABELS, (8, 8), n_show=2, **kw)),
    # lsh
    "plot_collision_curve": ("ax", lambda **kw: plots.plot_collision_curve(
        np.linspace(0, np.pi, 20), 1 - np.linspace(0, 1, 20), [0.5, 1.0], [0.8, 0.7], [0.02, 0.02], **kw)),
    "plot_s_curves": ("ax", lambda **kw: plots.plot_s_curves(K=3, L=5, p_near=0.8, p_far=0.4, **kw)),
    "plot_kdtree_partition": ("ax", lambda **kw: plots.plot_kdtree_partition(_kdtree(), query=[0.5, 0.5],
                                                                             radius=0.1, **kw)),
    "plot_cost_vs_dimension": ("ax", lambda **kw: plots.plot_cost_vs_dimension([2, 4, 8], [0.01, 0.1, 0.6],
                                                                               [50, 5, 0.8], **kw)),
    "plot_search_time": ("ax", lambda **kw: plots.plot_search_time([500, 1000, 2000], [0.004, 0.007, 0.013],
                                                                   **kw)),
    "plot_recall_vs_candidates": ("ax", lambda **kw: plots.plot_recall_vs_candidates(
        {"K=8": ([10, 40], [0.2, 0.5])}, n_database=100, **kw)),
    # kernels
    "plot_disagreement": ("ax", lambda **kw: plots.plot_disagreement(_disagreement(), show_agreement=True, **kw)),
    "plot_bits_1d": ("ax", lambda **kw: plots.plot_bits_1d(_bits_hasher(), np.linspace(-3, 3, 50), n_show=2, **kw)),
    "plot_kernel_profiles": ("ax", lambda **kw: plots.plot_kernel_profiles(
        {"σ = 1": __import__("lshlab.kernels", fromlist=["SchoenbergKernel"]).SchoenbergKernel.from_bandwidth(1.0)},
        3.0, **kw)),
    # particles / mean field
    "plot_particle_histograms": ("ax", lambda **kw: plots.plot_particle_histograms(
        np.random.default_rng(8).random((11, 30)), bounds=(0, 1), **kw)),
    "plot_alignment_curve": ("ax", lambda **kw: plots.plot_alignment_curve(np.linspace(0.1, 0.3, 11),
                                                                           baseline=0.2, **kw)),
    "plot_density_vs_particles": ("ax", lambda **kw: plots.plot_density_vs_particles(
        _meanfield_result(), {"N = 30": np.random.default_rng(9).random(30)}, **kw)),
    "plot_density_heatmap": ("ax", lambda **kw: plots.plot_density_heatmap(_meanfield_result(), **kw)),
    "plot_w1_vs_n": ("ax", lambda **kw: plots.plot_w1_vs_n(
        [10, 100, 1000], [[0.3, 0.1, 0.03], [0.35, 0.12, 0.04]],
        fit=SimpleNamespace(slope=-0.5, intercept=np.log(1.0), stderr=0.02), **kw)),
    # lee
    "plot_lee_euclidean_histograms": ("ax", lambda **kw: plots.plot_lee_euclidean_histograms(
        np.arange(40) % 7, np.linspace(0, 3, 40), q=8, rho=0.5, **kw)),
    "plot_lee_vs_euclidean": ("ax", lambda **kw: plots.plot_lee_vs_euclidean(
        np.arange(40) % 7, np.linspace(0, 3, 40), 8, 4, **kw)),
    "plot_rank_correlation_vs_q": ("ax", lambda **kw: plots.plot_rank_correlation_vs_q([2, 4, 8], [0.1, 0.2, 0.3],
                                                                                       **kw)),
    "plot_lee_symbol_distance": ("ax", lambda **kw: plots.plot_lee_symbol_distance(7, **kw)),
    "plot_expected_lee_distance": ("ax", lambda **kw: plots.plot_expected_lee_distance(
        np.linspace(-1, 1, 200), np.arange(200) % 3, 5, **kw)),
    # spectral / small codes
    "plot_graph_partition": ("ax", lambda **kw: plots.plot_graph_partition(
        np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0.1], [0, 0, 0.1, 0]]), **kw)),
    "plot_code_bits": ((1, 2), lambda **kw: plots.plot_code_bits(*_fitted_2d_hashers(), n_show=2, **kw)),
    "plot_map_vs_bits": ("ax", lambda **kw: plots.plot_map_vs_bits(
        _code_comparison(), published={"bits": (8, 16), "LSH": (0.1, 0.2)}, highlight=16, **kw)),
    "plot_itq_loss": ("ax", lambda **kw: plots.plot_itq_loss([5.0, 4.0, 3.5], **kw)),
    "plot_box_eigenvalues": ("ax", lambda **kw: plots.plot_box_eigenvalues(
        0.0, 1.0, (0.05, 0.2), n_modes=6, measured={0.05: np.linspace(0, 0.1, 6)}, **kw)),
    "plot_ratio_cuts": ("ax", lambda **kw: plots.plot_ratio_cuts(
        np.array([[0, 1, 1, 1, 0], [1, 0, 1, 0, 0], [1, 1, 0, 0, 0], [1, 0, 0, 0, 1], [0, 0, 0, 1, 0]], float), **kw)),
    "plot_bit_variances": ("ax", lambda **kw: plots.plot_bit_variances(
        {"PCA": [3.0, 2.0, 1.0], "ITQ": [2.0, 2.1, 1.9]}, **kw)),
    "plot_nca_objective": ("ax", lambda **kw: plots.plot_nca_objective({"12 bits": [0.3, 0.5, 0.6]}, **kw)),
    # metric learning
    "plot_metric_ellipses": ("ax", lambda **kw: plots.plot_metric_ellipses(
        np.array([[0.0, 0], [1, 0], [0, 1]]), np.diag([2.0, 1.0]), pairs=[[0, 1], [0, 2]], similar=[True, False],
        names="ABC", **kw)),
    "plot_metric_before_after": ((1, 2), lambda **kw: plots.plot_metric_before_after(
        np.array([[0.0, 0], [1, 0], [0, 1]]), np.eye(2), np.diag([2.0, 1.0]), pairs=[[0, 1]], similar=[True],
        **kw)),
    "plot_constraint_distances": ("ax", lambda **kw: plots.plot_constraint_distances(
        [1.0, 2.0, 3.0], [0.5, 4.0, 5.0], [True, False, False], (1.0, 3.0), **kw)),
    "plot_collision_theory_vs_measured": ("ax", lambda **kw: plots.plot_collision_theory_vs_measured(
        np.array([0.2, 0.8]), np.array([0.25, 0.7]), n_bits=64, **kw)),
    "plot_accuracy_bars": ("ax", lambda **kw: plots.plot_accuracy_bars({"Euclidean": 0.9, "ITML": 0.92}, **kw)),
    "plot_collision_vs_kernel": ("ax", lambda **kw: plots.plot_collision_vs_kernel(
        np.array([0.2, 0.5, 0.9]), np.array([0.55, 0.7, 0.9]), n_bits=256, **kw)),
    # deep supervised hashing
    "plot_dsh_loss_terms": ((1, 2), lambda **kw: plots.plot_dsh_loss_terms(12, 0.01, **kw)),
    "plot_dsh_training_curves": ((1, 2), lambda **kw: plots.plot_dsh_training_curves(
        {"toy": [{"epoch": e, "loss": 1 / e, "reg_loss": 0.1 / e, "val_map": 0.5 + e / 10} for e in (1, 2, 3)]},
        **kw)),
    "plot_map_table": ("ax", lambda **kw: plots.plot_map_table({"DSH": {8: 0.9, 16: 0.95}}, {"DSH": {8: 0.7}},
                                                               bits=(8, 16), **kw)),
    "plot_hog_gallery": ((2, 3), lambda **kw: plots.plot_hog_gallery(
        np.random.default_rng(10).random((3, 16, 16)), [0, 1, 2], image_shape=(16, 16), **kw)),
    "plot_candidate_counts": ("ax", lambda **kw: plots.plot_candidate_counts({"8 tables": np.array([0, 3, 50])},
                                                                             **kw)),
    "plot_code_distance_histogram": ("ax", lambda **kw: plots.plot_code_distance_histogram([0, 1], [5, 6, 7], 8,
                                                                                           **kw)),
    # unsupervised retrieval (Dice / Jaccard)
    "plot_overlap_violins": ((1, 2), lambda **kw: plots.plot_overlap_violins(_overlap_scores(), **kw)),
    "plot_overlap_vs_retrieved": ("ax", lambda **kw: plots.plot_overlap_vs_retrieved(
        [5, 10], {"x": np.random.default_rng(0).random((2, 12))}, **kw)),
    "plot_dice_jaccard_vs_retrieved": ((1, 2), lambda **kw: plots.plot_dice_jaccard_vs_retrieved(
        [5, 10], {"x": [_overlap_scores()[8], _overlap_scores()[32]]}, note="64 bits", **kw)),
    "plot_retrieval_comparison": ((4, 4), lambda **kw: plots.plot_retrieval_comparison(
        _IMAGES[:2], _IMAGES, {"Euclidean": np.array([[0, 1, 2], [3, 4, 5]]), "Hamming": np.array([[1, 2, -1], [6, 7, 8]])},
        _LABELS[:2], _LABELS, (8, 8), **kw)),
    "plot_reconstruction_grid": ((2, 4), lambda **kw: plots.plot_reconstruction_grid(
        _IMAGES[:4, :16], _IMAGES[4:8, :16], image_shape=(4, 4), n=4, **kw)),
    # MinHash and LSH theory
    "plot_jaccard_estimates": ("ax", lambda **kw: plots.plot_jaccard_estimates(
        np.linspace(0.05, 0.95, 60), np.clip(np.linspace(0.05, 0.95, 60) + np.random.default_rng(11).normal(0, 0.04, 60),
                                             0, 1), 128, **kw)),
    "plot_estimate_errors": ("ax", lambda **kw: plots.plot_estimate_errors(
        np.linspace(0.1, 0.9, 50), {"degree 3": np.random.default_rng(12).normal(0, 0.01, (4, 50)),
                                    "linear (a x + b) mod p": np.random.default_rng(13).normal(-0.02, 0.01, (4, 50))},
        2048, **kw)),
    "plot_mask_gallery": ((2, 4), lambda **kw: plots.plot_mask_gallery(
        _IMAGES[:4], _IMAGES[:4] > 0.5, (8, 8), titles=["query", "J = 0.61", "J = 0.52", "J = 0.33"], **kw)),
    "plot_banding_curves": ("ax", lambda **kw: plots.plot_banding_curves(
        [(16, 8), (32, 4)], measured={"measured (b = 16, r = 8)": ([0.3, 0.6, 0.9], [0.01, 0.3, 0.99], [0.01, 0.05, 0.01])},
        **kw)),
    "plot_parameter_choice": ("ax", lambda **kw: plots.plot_parameter_choice(_parameter_choice(), **kw)),
    # random features
    "plot_gram_error": ("ax", lambda **kw: plots.plot_gram_error([16, 64, 256], [0.2, 0.1, 0.05], **kw)),
    "plot_error_and_time_vs_features": ((1, 3), lambda **kw: plots.plot_error_and_time_vs_features(
        [{"method": m, "n_components": D, "train_error": 0.05 + 1 / D, "test_error": 0.1 + 1 / D, "fit_time": D / 1e3}
         for m in ("a", "b") for D in (16, 64)], exact={"test_error": 0.1, "fit_time": 0.5}, **kw)),
    # scale (lecture 13)
    "plot_time_vs_size": ("ax", lambda **kw: plots.plot_time_vs_size(
        [1e5, 1e6, 1e7, 8e7], [5e-4, 6e-4, 7e-4, 4.7e-3], [2.6e-4, 2.8e-3, 2.9e-2, 0.26], mih_mean=[2e-3] * 4,
        seed_seconds=0.146, **kw)),
    "plot_candidates_vs_size": ("ax", lambda **kw: plots.plot_candidates_vs_size(
        [1e5, 1e6, 1e7, 8e7], [800, 5e3, 4e3, 1.6e4], [0.1, 1.0, 0.005, 0.02], candidates=[700, 5e3, 4e3, 1.5e4],
        uniform_knn=[3e3, 1.5e4, 1.3e4, 2.6e4], **kw)),
    "plot_recall_vs_qps": ("ax", lambda **kw: plots.plot_recall_vs_qps(_sweep_points(), **kw)),
    "plot_memory_per_item": ("ax", lambda **kw: plots.plot_memory_per_item(_sweep_points(), **kw)),
    "plot_latency_histogram": ("ax", lambda **kw: plots.plot_latency_histogram(
        np.random.default_rng(15).lognormal(-6, 1.5, 300), seed_seconds=0.146, **kw)),
    "plot_real_vs_generated": ((2, 3), lambda **kw: plots.plot_real_vs_generated(
        _IMAGES[:3, :49], _LABELS[:3], _IMAGES[3:6, :49], _LABELS[3:6], image_shape=(7, 7),
        class_names=["T-shirt/top", "Trouser", "Ankle boot"], **kw)),
}


def public_plot_names():
    """Every public name of every ``lshlab.plots`` topic module (what ``lshlab.plots.<name>`` resolves)."""
    names = {}
    for sub in plots._SUBMODULES:
        mod = importlib.import_module(f"lshlab.plots.{sub}")
        for name in mod.__all__:
            assert name not in names, f"{name} is exported by two modules: {names[name]} and {sub}"
            names[name] = sub
        defined = {n for n, f in inspect.getmembers(mod, inspect.isfunction)
                   if f.__module__ == mod.__name__ and not n.startswith("_")}
        assert defined <= set(mod.__all__), f"lshlab.plots.{sub} defines public {defined - set(mod.__all__)} " \
                                            "outside __all__"
    return names


def test_every_public_plot_helper_is_covered():
    names = public_plot_names()
    assert set(names) == set(CASES), (f"no case in CASES for {sorted(set(names) - set(CASES))}; "
                                      f"cases for names that do not exist: {sorted(set(CASES) - set(names))}")
    for name in names:
        assert getattr(plots, name) is getattr(importlib.import_module(f"lshlab.plots.{names[name]}"), name)


def test_one_naming_style():
    """``plot_<what>`` for every helper that draws (``set_style`` only sets the theme)."""
    odd = [n for n in public_plot_names() if not n.startswith("plot_") and n != "set_style"]
    assert not odd, f"plot helpers must be named plot_<what>: {odd}"


def _shares_label(ax, which):
    group = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    getter = "get_xlabel" if which == "x" else "get_ylabel"
    return any(getattr(other, getter)() for other in group.get_siblings(ax))


def check_labelled_and_titled(fig):
    """Every data axes has x and y labels (its own or a shared/twin axes'), and a title or a suptitle."""
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison or ax.get_label() == "<colorbar>":
            continue
        if ax.images and not (ax.lines or ax.collections or ax.patches):  # an image panel of a gallery
            continue
        if not len(ax.get_xticks()) and not len(ax.get_yticks()):  # a drawing (graph), no coordinates
            continue
        assert _shares_label(ax, "x") and _shares_label(ax, "y"), f"unlabelled axes {ax}"
        twins = ax.get_shared_x_axes().get_siblings(ax)  # ax itself and its twins
        titles = [a.get_title(loc=loc) for a in twins for loc in ("left", "center", "right")]
        assert any(titles) or suptitle, f"axes {ax} has no title and the figure no suptitle"


@pytest.mark.parametrize("name", sorted(CASES))
def test_helper_returns_its_figure_labelled_and_titled(name, monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError(f"{name} called show()")

    monkeypatch.setattr(plt, "show", no_show)
    monkeypatch.setattr(Figure, "show", no_show)
    kind, call = CASES[name]
    if kind is None:
        assert call() is None
        return
    n_before = len(plt.get_fignums())
    fig = call()
    assert isinstance(fig, Figure)
    assert len(plt.get_fignums()) == n_before + 1  # one new figure, nothing else left open
    assert fig.axes
    check_labelled_and_titled(fig)


@pytest.mark.parametrize("name", sorted(n for n, (kind, _) in CASES.items() if kind is not None))
def test_helper_text_fits_and_does_not_overlap(name):
    """Issue 22: titles, labels, tick labels, legends and annotations stay inside the figure and no
    two of them overlap (a title printed over an axis label, subplot titles running together, a
    y-label cut off at the left edge all fail here, naming both texts)."""
    fig = CASES[name][1]()
    problems = text_layout_problems(fig)
    assert not problems, f"{name}: " + "; ".join(problems)


@pytest.mark.parametrize("name", sorted(n for n, (kind, _) in CASES.items() if kind is not None))
def test_helper_draws_on_the_given_axes(name):
    kind, call = CASES[name]
    if kind == "ax":
        fig, ax = plt.subplots()
        assert call(ax=ax) is fig
        assert ax.has_data() or ax.images or ax.texts
    else:
        fig, axes = plt.subplots(*kind, squeeze=False)
        assert call(axes=axes) is fig
        assert any(a.has_data() or a.images for a in axes.ravel())
    assert len(plt.get_fignums()) == 1  # drew there, opened no other figure


def test_search_time_draws_the_measurements_and_their_line():
    x, sec = np.array([500.0, 1000, 2000, 4000]), np.array([0.003, 0.005, 0.009, 0.017])
    fig = plots.plot_search_time(x, sec)
    ax = fig.axes[0]
    fit, points = ax.lines
    np.testing.assert_allclose(points.get_ydata(), sec * 1e3)
    slope, intercept = np.polyfit(x, sec * 1e3, 1)
    np.testing.assert_allclose(fit.get_ydata(), intercept + slope * fit.get_xdata())
    assert ax.get_xlim()[0] == 0 and ax.get_ylim()[0] == 0
    with pytest.raises(ValueError, match="same length"):
        plots.plot_search_time([1, 2], [0.1])


def test_expected_lee_distance_plots_binned_means_of_the_data():
    from lshlab.hashing.lee import expected_lee_distance

    delta = np.array([0.01, 0.02, -0.99, 0.49, 0.51, 1.5])  # d_○ = .01, .02, .01, .49, .49, .5
    lee = np.array([0.0, 1.0, 2.0, 2.0, 1.0, 2.0])
    fig = plots.plot_expected_lee_distance(delta, lee, 5, bins=2)
    ax = fig.axes[0]
    formula, triangle = ax.lines[:2]
    np.testing.assert_allclose(formula.get_ydata(), expected_lee_distance(formula.get_xdata(), 5))
    np.testing.assert_allclose(triangle.get_ydata(), 5 * triangle.get_xdata())
    points = ax.containers[0].lines[0]  # the errorbar markers: bin means
    np.testing.assert_allclose(points.get_ydata(), [1.0, 5 / 3])
    with pytest.raises(ValueError, match="same number of entries"):
        plots.plot_expected_lee_distance([0.1], [1.0, 2.0], 4)


def test_set_style_runs():
    plots.set_style()


@pytest.mark.parametrize("n_points", [400, 8000])
def test_hamming_vs_euclidean_scatter(n_points):
    rng = np.random.default_rng(1)
    e = rng.random(n_points)
    c = np.clip(np.round(e * 64 + rng.normal(0, 3, n_points)), 0, 64)
    fig = plots.plot_hamming_vs_euclidean(c, e, n_bits=64)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert "Spearman" in ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    if n_points > plots.retrieval.DENSITY_THRESHOLD:
        assert ax.images, "many points must be drawn as a density image"
    else:
        offsets = ax.collections[0].get_offsets()
        np.testing.assert_allclose(np.sort(offsets[:, 1]), np.sort(c / 64))


def test_scatter_rejects_mismatched_input():
    with pytest.raises(ValueError, match="same number"):
        plots.plot_hamming_vs_euclidean(np.zeros(3), np.zeros(4))


def test_pr_curves_draws_every_curve(pair_distances):
    c, e = pair_distances
    rel = (e < 0.3)[None, :]
    curves = {"Hamming": precision_recall_curve_retrieval(c[None, :], rel),
              "Euclidean": precision_recall_curve_retrieval(e[None, :], rel)}
    fig, ax = plt.subplots()
    out = plots.plot_pr_curves(curves, ax=ax)
    assert out is fig
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[1].get_xdata(), curves["Euclidean"].recall)
    assert "AUC" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError):
        plots.plot_pr_curves({})



@pytest.mark.parametrize("variant", ["pr_legend_below", "code_bits_wrapped"])
def test_layout_variants_text_fits(variant):
    """The layout options lectures use beyond the defaults: PR legend under the axes (lecture 11), a
    hasher's bits wrapped onto several rows (lecture 08)."""
    if variant == "pr_legend_below":
        fig = plots.plot_pr_curves(_pr_curves(), legend_loc="below")
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        (legend,) = fig.legends
        assert legend.get_window_extent(renderer).y1 < fig.axes[0].get_tightbbox(renderer).y0  # under the x label
    else:
        hashers, X = _fitted_2d_hashers()
        fig = plots.plot_code_bits(hashers, X, n_show=3, ncols=2)
        assert sum(ax.axison for ax in fig.axes) == 3 and len(fig.axes) == 4  # 2 × 2 grid, one panel off
        with pytest.raises(ValueError, match="ncols"):
            plots.plot_code_bits(hashers, X, n_show=3, ncols=4)
    problems = text_layout_problems(fig)
    assert not problems, f"{variant}: " + "; ".join(problems)
    plt.close(fig)

def test_retrieval_collage():
    rng = np.random.default_rng(2)
    X = rng.random((30, 64))
    y = rng.integers(0, 3, 30)
    idx = rng.integers(0, 30, (4, 5))
    fig = plots.plot_retrieval_collage(X[:4], X, idx, y[:4], y, (8, 8), n_show=3)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3 * 6
    # a wrong-class result is faded, a right one is not
    img_alpha = [ax.images[0].get_alpha() for ax in fig.axes[1:6]]
    expect = [1.0 if y[j] == y[0] else 0.25 for j in idx[0]]
    assert img_alpha == expect
    with pytest.raises(ValueError, match="pixels"):
        plots.plot_retrieval_collage(X[:4], X, idx, y[:4], y, (7, 7))
    plt.close("all")
    names = ("zero", "one", "two")
    fig = plots.plot_retrieval_collage(X[:4], X, idx, y[:4], y, (8, 8), n_show=3, class_names=names)
    assert [fig.axes[6 * i].get_ylabel() for i in range(3)] == [names[c] for c in y[:3]]
    with pytest.raises(ValueError, match="class_names has 2 names but a query has label 2"):
        plots.plot_retrieval_collage(X[:4], X, idx, np.array([2, 0, 1, 0]), y, (8, 8), n_show=3,
                                     class_names=("zero", "one"))
    plt.close("all")


def test_collision_curve():
    theta = np.linspace(0, np.pi, 50)
    fig = plots.plot_collision_curve(theta, 1 - theta / np.pi, theta[::10], 1 - theta[::10] / np.pi, np.full(5, 0.02))
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_legend() is not None


def test_s_curves_match_formula():
    pytest.importorskip("lshlab.hashing.random_projection")
    p = np.linspace(0, 1, 11)
    fig = plots.plot_s_curves(p, K=3, L=5, p_near=0.8, p_far=0.4)
    ax = fig.axes[0]
    line = [ln for ln in ax.lines if ln.get_label() == "K = 3, L = 5"][0]
    np.testing.assert_allclose(line.get_ydata(), 1 - (1 - p**3) ** 5)
    fig = plots.plot_s_curves(configs=[(1, 1), (4, 8)], measured={"m": (p, p, 0.01 * np.ones(11))})
    assert isinstance(fig, Figure)


def test_kdtree_partition_draws_every_split():
    from lshlab.search import KDTree

    P = np.random.default_rng(3).random((40, 2))
    tree = KDTree(P, leaf_size=4)
    fig = plots.plot_kdtree_partition(tree, query=P[0], radius=0.1)
    ax = fig.axes[0]
    n_splits = sum(1 for nd in tree.nodes if nd.split_dim >= 0)
    split_lines = [ln for ln in ax.lines if len(ln.get_xdata()) == 2]
    assert len(split_lines) == n_splits
    fig = plots.plot_kdtree_partition(tree, max_depth=0)
    assert len([ln for ln in fig.axes[0].lines if len(ln.get_xdata()) == 2]) == 1
    with pytest.raises(ValueError, match="2-D"):
        plots.plot_kdtree_partition(KDTree(np.random.default_rng(0).random((10, 3))))


def test_cost_vs_dimension_and_recall_vs_candidates():
    fig = plots.plot_cost_vs_dimension([2, 4, 8], [0.01, 0.1, 0.6], [50, 5, 0.8])
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    fig = plots.plot_recall_vs_candidates({"K=8": ([10, 40, 90], [0.2, 0.5, 0.8]), "K=12": (5, 0.1)}, n_database=1000)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.01, 0.04, 0.09])
