"""Widgets without a browser: the pure update/draw functions and the explorers' construction and
slider wiring (lectures 01–02 and the generic scatter/PR explorer), and one pattern for every explorer:
``update_<topic>(data..., *, params)`` returns a dataclass, ``draw_<topic>(result, axes)`` draws it,
``<topic>_explorer(data..., *, options)`` wires them (each called once here); an explorer with a view
redraws only its dynamic artists, and that picture is the picture of a full redraw."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lshlab.widgets import (  # noqa: E402
    Explorer,
    amplification_explorer,
    collision_explorer,
    draw_amplification,
    draw_collision,
    draw_scatter_pr,
    pairs_at_angles,
    pairs_at_distances,
    prepare_scatter_pr,
    scatter_pr_explorer,
    selection_slider,
    update_amplification,
    update_collision,
    update_lsh_recall,
    update_scatter_pr,
)

pytest.importorskip("lshlab.hashing.random_projection")
from lshlab.hashing import RandomHyperplaneHash  # noqa: E402

PNG_MAGIC = b"\x89PNG"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def make_blobs(n_db, n_query, seed):
    """Three well separated Gaussian classes in 20-D: (X_db, y_db, X_query, y_query)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, (3, 20))
    y = rng.integers(0, 3, n_db + n_query)
    X = (centers[y] + rng.normal(0, 1, (n_db + n_query, 20))).astype(np.float32)
    return X[:n_db], y[:n_db], X[n_db:], y[n_db:]


@pytest.fixture(scope="module")
def blobs():
    """Database 600, queries 40."""
    return make_blobs(600, 40, seed=0)


def make_simhash(n_bits):
    return RandomHyperplaneHash(n_bits, random_state=0)


# ---------------------------------------------------------------- pair generators
def test_pairs_have_the_requested_angles_and_distances():
    angles = np.linspace(0, np.pi, 7)
    x, y = pairs_at_angles(angles, dim=10, random_state=1)
    cos = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(np.arccos(np.clip(cos, -1, 1)), angles, atol=1e-3)
    c = np.array([0.0, 0.5, 3.0])
    x, y = pairs_at_distances(c, dim=10, random_state=1)
    np.testing.assert_allclose(np.linalg.norm(x - y, axis=1), c, atol=1e-5)


# ---------------------------------------------------------------- collision / amplification
@pytest.mark.parametrize("family", ["SimHash", "p-stable"])
def test_update_collision_matches_theory(family):
    res = update_collision(family=family, n_bits=128, width=2.0, random_state=3)
    assert res.measured.shape == res.theory.shape == (19,)
    assert res.max_z < 5.0
    assert res.measured[0] == pytest.approx(1.0)  # identical points always collide
    if family == "SimHash":
        assert res.measured[-1] == pytest.approx(0.0)  # opposite vectors never do
    fig = draw_collision(res, plt.subplots()[1])
    assert isinstance(fig, Figure)


def test_update_collision_detects_a_wrong_theory():
    """The z-score is not vacuous: compared against a shifted curve it must be large."""
    res = update_collision(family="SimHash", n_bits=256, random_state=0)
    res.theory = np.clip(res.theory + 0.1, 0, 1)
    assert res.max_z > 5.0


def test_update_amplification_matches_formula():
    res = update_amplification(K=3, L=4, n_pairs=200, random_state=1)
    np.testing.assert_allclose(res.theory, 1 - (1 - res.p**3) ** 4)
    assert res.max_z < 5.0
    fig = draw_amplification(res, plt.subplots()[1])
    assert isinstance(fig, Figure)
    with pytest.raises(ValueError, match="K"):
        update_amplification(K=0, L=2)


def test_update_lsh_recall(blobs):
    X, _, Q, _ = blobs
    from lshlab.search import brute_force_knn

    _, true_idx = brute_force_knn(X, Q, 5)
    wide = update_lsh_recall(X, Q, true_idx, K=1, L=30, center=True)
    assert wide.recall == pytest.approx(1.0)  # candidates ≈ everything: exact re-ranking finds all
    narrow = update_lsh_recall(X, Q, true_idx, K=16, L=1, center=True)
    assert narrow.candidates < wide.candidates
    assert 0.0 <= narrow.recall <= 1.0


def test_update_lsh_recall_equals_recall_of_the_reranked_query(blobs):
    """The widget counts true neighbours among the candidates; that is the recall of HashTables.search."""
    X, _, Q, _ = blobs
    from lshlab.hashing import RandomHyperplaneHash
    from lshlab.search import HashTables, brute_force_knn

    _, true_idx = brute_force_knn(X, Q, 5)
    for K, L in ((4, 2), (8, 3), (12, 1)):
        fast = update_lsh_recall(X, Q, true_idx, K=K, L=L, center=True, random_state=3)
        tables = HashTables(lambda s, K=K: RandomHyperplaneHash(K, center=True, random_state=s), n_tables=L,
                            random_state=3).fit(X)
        _, idx = tables.search(Q, 5)
        hits = np.mean([np.intersect1d(a[a >= 0], b).size for a, b in zip(idx, true_idx)])
        assert fast.recall == pytest.approx(hits / 5)
        assert fast.candidates == pytest.approx(tables.last_n_candidates_.mean())


# ---------------------------------------------------------------- scatter / PR
def test_update_scatter_pr_pure_and_cached(blobs):
    X, y, Q, yq = blobs
    data = prepare_scatter_pr(X, y, Q, yq, make_simhash, n_pairs=500)
    r1 = update_scatter_pr(data, n_bits=32)
    assert r1.encoded and r1.n_bits == 32
    assert r1.code_dist_pairs.shape == r1.eucl_dist_pairs.shape == (500,)
    # the pair distances are the Hamming distances of the pairs' codes
    h = make_simhash(32).fit(X)
    ham = (h.transform(Q)[data.pair_q] != h.transform(X)[data.pair_db]).sum(1)
    np.testing.assert_array_equal(r1.code_dist_pairs, ham)
    r2 = update_scatter_pr(data, n_bits=32)
    assert not r2.encoded
    np.testing.assert_array_equal(r1.curve.precision, r2.curve.precision)
    # more bits rank well separated classes at least as well
    assert update_scatter_pr(data, n_bits=256).curve.auc >= r1.curve.auc - 0.05
    assert data.euclidean_curve.auc > 0.9
    fig, axes = plt.subplots(1, 2)
    assert draw_scatter_pr(r1, axes) is fig


def test_update_scatter_pr_passes_extra_params(blobs):
    X, y, Q, yq = blobs
    seen = []

    def make(n_bits, seed):
        seen.append((n_bits, seed))
        return RandomHyperplaneHash(n_bits, random_state=int(seed))

    data = prepare_scatter_pr(X, y, Q, yq, make, n_pairs=100)
    update_scatter_pr(data, n_bits=16, seed=1.0)
    update_scatter_pr(data, n_bits=16, seed=2.0)
    update_scatter_pr(data, n_bits=16, seed=1.0)
    assert seen == [(16, 1.0), (16, 2.0)]


def test_prepare_scatter_pr_rejects_bad_input(blobs):
    X, y, Q, yq = blobs
    with pytest.raises(ValueError, match="features"):
        prepare_scatter_pr(X, y, Q[:, :5], yq, make_simhash)
    with pytest.raises(ValueError, match="callable"):
        prepare_scatter_pr(X, y, Q, yq, 32)


# ---------------------------------------------------------------- explorers
def test_scatter_pr_explorer_slider_redraws(blobs):
    import ipywidgets as w

    X, y, Q, yq = blobs
    ex = scatter_pr_explorer(X, y, Q, yq, make_simhash, bits=(16, 64), n_pairs=300)
    assert isinstance(ex, w.VBox)
    assert bytes(ex.image.value).startswith(PNG_MAGIC)
    assert ex.result.n_bits == 64
    assert len(ex.data.cache) == 2  # precomputed every code length
    ex.controls["n_bits"].value = 16
    assert ex.result.n_bits == 16 and not ex.result.encoded
    assert set(ex.timings) == {"update_ms", "draw_ms", "render_ms", "mode"} and ex.timings["mode"] in {"blit", "full"}


def test_lecture_explorers_construct():
    ex = collision_explorer(bits=(8, 16), n_points=5, n_pairs=5)
    assert ex.result.family == "SimHash"
    ex.controls["family"].value = "p-stable"
    assert ex.result.family == "p-stable"
    ex = amplification_explorer(n_points=5, n_pairs=20)
    ex.controls["L"].value = 3
    assert ex.result.L == 3 and bytes(ex.image.value).startswith(PNG_MAGIC)


def test_explorer_reports_errors_and_validates():
    def update(v):
        if v == 2:
            raise RuntimeError("boom")
        return v

    ex = Explorer(update, lambda r, ax: ax.figure, {"v": selection_slider("v", [1, 2])})
    ex.controls["v"].value = 2  # the callback swallows the error but shows it
    assert "boom" in ex.status.value
    with pytest.raises(RuntimeError):
        ex.refresh()
    with pytest.raises(ValueError, match="controls"):
        Explorer(update, lambda r, ax: None, {})


def test_explorer_debounces_inside_a_running_event_loop():
    """In a kernel (an asyncio loop is running) rapid slider moves coalesce into one redraw."""
    import asyncio

    calls = []

    def update(v):
        calls.append(v)
        return v

    ex = Explorer(update, lambda r, ax: ax.figure, {"v": selection_slider("v", [1, 2, 3, 4])}, debounce=0.05)
    assert calls == [1]

    async def move():
        for v in (2, 3, 4):
            ex.controls["v"].value = v
        assert calls == [1]  # nothing redrawn yet
        await asyncio.sleep(0.3)

    asyncio.run(move())
    assert calls == [1, 4] and ex.result == 4


def test_status_line_escapes_the_exception_text():
    """An error message is text, not markup: "<U5" stays visible and "<b>" does not render."""
    def update(v):
        if v == 2:
            raise ValueError("dtype <U5 is not <b>numeric</b> & cannot be hashed")
        return v

    ex = Explorer(update, lambda r, ax: ax.figure, {"v": selection_slider("v", [1, 2])})
    ex.controls["v"].value = 2
    status = ex.status.value
    assert "&lt;U5" in status and "&lt;b&gt;numeric&lt;/b&gt;" in status and "&amp; cannot" in status
    assert "<U5" not in status and "<b>" not in status
    import html as _html

    assert "ValueError: dtype <U5 is not <b>numeric</b> & cannot be hashed" in _html.unescape(status)


def test_isolated_change_redraws_at_once_and_a_burst_once():
    """In a kernel: a change long after the last redraw is drawn at the next loop turn (no fixed wait);
    changes within ``debounce`` of a redraw wait for the rest of that interval and coalesce."""
    import asyncio

    calls = []

    def update(v):
        calls.append(v)
        return v

    ex = Explorer(update, lambda r, ax: ax.figure, {"v": selection_slider("v", [1, 2, 3, 4])}, debounce=0.5)

    async def move():
        await asyncio.sleep(0.6)
        ex.controls["v"].value = 2
        await asyncio.sleep(0.05)
        assert calls == [1, 2]  # well before the 0.5 s debounce
        ex.controls["v"].value = 3
        ex.controls["v"].value = 4
        await asyncio.sleep(0.1)
        assert calls == [1, 2]  # within 0.5 s of the previous redraw: waiting
        await asyncio.sleep(0.6)

    asyncio.run(move())
    assert calls == [1, 2, 4] and ex.result == 4


def test_image_is_shown_at_its_natural_size():
    ex = collision_explorer(bits=(8, 16), n_points=5, n_pairs=5)
    png = bytes(ex.image.value)
    assert ex.image.width == str(_decode(png).shape[1])
    assert ex.image.layout.align_self == "flex-start" and ex.image.layout.max_width == "100%"
    assert "lshlab-explorer" in ex._dom_classes and "lshlab-explorer-image" in ex.image._dom_classes


def test_collision_distance_axis_stays_fixed_while_w_moves():
    """Issue 22: with the p-stable family the distance axis must not rescale with w, so wider buckets
    visibly collide more at the same distance."""
    ex = collision_explorer(bits=(16, 32), n_points=9, n_pairs=20)
    ex.controls["family"].value = "p-stable"
    xlim, x = ex.figure.axes[0].get_xlim(), ex.result.x.copy()
    theory = {}
    for width in (1.0, 2.0, 6.0):
        ex.controls["width"].value = width
        assert ex.figure.axes[0].get_xlim() == xlim and np.array_equal(ex.result.x, x)
        theory[width] = ex.result.theory
    assert np.all(theory[1.0][1:] < theory[2.0][1:]) and np.all(theory[2.0][1:] < theory[6.0][1:])
    assert ex.timings["mode"] == "blit"


def test_first_visit_is_announced_in_the_status_line():
    from lshlab.hashing import ShiftInvariantHash
    from lshlab.widgets import log_slider

    X, y, Q, yq = _tiny_blobs()
    ex = scatter_pr_explorer(X, y, Q, yq, lambda n_bits, sigma: ShiftInvariantHash(n_bits, kernel=sigma, random_state=0),
                             bits=(16, 32), n_pairs=100, params={"sigma": log_slider("σ", 1.0, 10.0, 4.0)})
    ex.controls["n_bits"].value = 16  # precomputed at the initial σ
    assert "first visit" not in ex.status.value
    ex.controls["sigma"].value = ex.controls["sigma"].value * 1.5
    assert "first visit" in ex.status.value and "encoding" in ex.status.value
    assert ex.result.encoded


# ---------------------------------------------------------------- rendering (one draw per redraw, same picture)
def _decode(png):
    from PIL import Image
    import io

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _savefig_tight(fig):
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _line_explorer(margins=None, adjust=None, xlabel_size=10, layout=None):
    def draw(result, ax):
        ax.plot(np.arange(10) * result, label="line")
        ax.set_xlabel("x label", fontsize=xlabel_size * result)
        ax.set_title("a title")
        ax.legend()
        if adjust:
            ax.figure.subplots_adjust(**adjust)
        if layout:
            ax.figure.set_layout_engine(layout)
        return ax.figure

    return Explorer(lambda v: v, draw, {"v": selection_slider("v", [1, 2])}, figsize=(4, 3), dpi=80,
                    margins=margins)


def _count_draws(fig):
    calls = []
    original = fig.draw

    def counting(renderer):
        calls.append(1)
        return original(renderer)

    fig.draw = counting
    return calls


@pytest.mark.parametrize("adjust", [dict(left=0.2, right=0.9, bottom=0.25, top=0.85),  # inside: crop
                                    dict(left=0.0, right=1.0, bottom=0.0, top=1.0)])   # outside: one savefig
def test_render_is_one_draw_with_the_tight_picture(adjust):
    ex = _line_explorer(adjust=adjust)
    calls = _count_draws(ex.figure)
    png = ex.render_png()
    full = np.asarray(ex.figure.canvas.buffer_rgba())[..., :3].copy()  # the canvas of that one draw
    assert png.startswith(PNG_MAGIC) and len(calls) == 1
    ours, ref = _decode(png), _decode(_savefig_tight(ex.figure))
    assert abs(ours.shape[0] - ref.shape[0]) <= 1 and abs(ours.shape[1] - ref.shape[1]) <= 1
    if adjust["left"] == 0.0:  # drawn through savefig with the same box: the very same pixels
        np.testing.assert_array_equal(ours, ref)
    else:  # cropped: smaller than the canvas, nothing but white cut away
        assert ours.shape[0] < full.shape[0] and ours.shape[1] < full.shape[1]
        ink = lambda a: (a < 250).any(axis=2).sum()  # noqa: E731
        assert ink(ours) == ink(full)


def test_render_with_fixed_margins_keeps_the_figure_size():
    ex = _line_explorer(margins=dict(left=0.15, right=0.95, bottom=0.2, top=0.85))
    calls = _count_draws(ex.figure)
    ex.controls["v"].value = 2
    assert len(calls) == 1
    assert _decode(bytes(ex.image.value)).shape[:2] == (3 * 80, 4 * 80)
    assert set(ex.timings) == {"update_ms", "draw_ms", "render_ms", "mode"} and ex.timings["mode"] == "figure"


def test_render_with_a_layout_engine_matches_savefig():
    ex = _line_explorer(layout="constrained")
    ours, ref = _decode(ex.render_png()), _decode(_savefig_tight(ex.figure))
    np.testing.assert_array_equal(ours, ref)


def test_render_follows_a_layout_change_between_redraws():
    """The box of the previous redraw is only a guess: a larger label must not be cut off."""
    ex = _line_explorer(adjust=dict(left=0.2, right=0.9, bottom=0.25, top=0.85))
    calls = _count_draws(ex.figure)
    before = _decode(bytes(ex.image.value))
    ex.controls["v"].value = 2  # x label twice as large: the tight box grows
    assert 1 <= len(calls) <= 2
    ours, ref = _decode(bytes(ex.image.value)), _decode(_savefig_tight(ex.figure))
    assert ours.shape[0] > before.shape[0] + 5
    assert abs(ours.shape[0] - ref.shape[0]) <= 1 and abs(ours.shape[1] - ref.shape[1]) <= 1


def test_render_remembers_the_box_of_each_setting():
    """Alternating layouts cost two draws on a first visit only; revisits draw once, same picture."""
    ex = _line_explorer(adjust=dict(left=0.2, right=0.9, bottom=0.25, top=0.85))
    ex.controls["v"].value = 2
    ex.controls["v"].value = 1
    calls = _count_draws(ex.figure)
    for v in (2, 1, 2):
        before = len(calls)
        ex.controls["v"].value = v
        assert len(calls) - before == 1
        ours, ref = _decode(bytes(ex.image.value)), _decode(_savefig_tight(ex.figure))
        assert abs(ours.shape[0] - ref.shape[0]) <= 1 and abs(ours.shape[1] - ref.shape[1]) <= 1


# ---------------------------------------------------------------- one pattern for every explorer
def _tiny_blobs():
    return make_blobs(120, 20, seed=1)


def _codes_and_distances():
    from lshlab.distances import euclidean_distance_matrix

    X, y, Q, yq = _tiny_blobs()
    h = RandomHyperplaneHash(16, center=True, random_state=0).fit(X)
    return X, y, Q, yq, h.transform(Q), h.transform(X), euclidean_distance_matrix(Q, X)


def _case_collision():
    from lshlab.widgets import update_collision

    return (update_collision(family="p-stable", n_bits=8, n_points=5, n_pairs=5), (1, 1),
            lambda: collision_explorer(bits=(8, 16), n_points=5, n_pairs=5), ("n_bits", 8))


def _case_amplification():
    return (update_amplification(K=2, L=3, n_points=5, n_pairs=20), (1, 1),
            lambda: amplification_explorer(n_points=5, n_pairs=20), ("L", 3))


def _case_scatter_pr():
    X, y, Q, yq = _tiny_blobs()
    data = prepare_scatter_pr(X, y, Q, yq, make_simhash, n_pairs=100)
    return (update_scatter_pr(data, n_bits=16), (1, 2),
            lambda: scatter_pr_explorer(X, y, Q, yq, make_simhash, bits=(16, 32), n_pairs=100), ("n_bits", 16))


def _case_disagreement():
    from lshlab.widgets import disagreement_explorer, update_disagreement

    return (update_disagreement(n_bits=64, n_distances=5, n_pairs=4), (1, 1),
            lambda: disagreement_explorer(bits=(64, 128), n_bits=64, n_pairs=4), ("n_bits", 128))


def _case_lee():
    from lshlab.widgets import lee_explorer, prepare_lee, update_lee

    X, _, Q, _ = _tiny_blobs()
    return (update_lee(prepare_lee(X, Q[0], kernel=3.0), q=5), (1, 2),
            lambda: lee_explorer(X, Q[0], q=4, kernel=3.0), ("q", 7))


def _case_temperature():
    from lshlab.widgets import prepare_temperature, temperature_explorer, update_temperature

    X, y, _, _ = _tiny_blobs()
    s = np.where(y % 2 == 0, 1, -1)
    return (update_temperature(prepare_temperature(X, s), beta=10.0, reg=0.0), (1, 2),
            lambda: temperature_explorer(X, s, betas=(1.0, 10.0), regs=(0.0,), beta=10.0), ("beta", 1.0))


def _case_meanfield():
    from lshlab.widgets import meanfield_explorer, prepare_meanfield, update_meanfield

    X, y, _, _ = _tiny_blobs()
    X = X[:, :3] / np.linalg.norm(X[:, :3], axis=1).mean()
    s = np.where(y % 2 == 0, 1, -1)
    return (update_meanfield(prepare_meanfield(X, s, n_cells=40), beta=10.0, n_particles=10), (1, 1),
            lambda: meanfield_explorer(X, s, betas=(10.0,), ns=(10, 20), n_particles=10, n_cells=40),
            ("n_particles", 20))


def _case_spectral():
    from lshlab.evaluation import compare_hashers
    from lshlab.small_codes import small_code_factories
    from lshlab.widgets import spectral_explorer, update_spectral

    X, y, Q, yq = _tiny_blobs()
    factories = {m: f for m, f in small_code_factories(random_state=0).items() if m in ("LSH", "ITQ")}
    comp, _ = compare_hashers(factories, X, X, Q, yq[:, None] == y[None, :], (2, 4))
    return (update_spectral(comp, n_bits=4), (1, 2), lambda: spectral_explorer(comp), ("n_bits", 2))


def _case_metric():
    from lshlab.widgets import metric_explorer, prepare_metric_comparison, update_metric

    X, y, Q, yq = _tiny_blobs()
    comp = prepare_metric_comparison(X, y, Q, yq, {"Euclidean": None}, max_bits=32, n_pairs=20)
    return (update_metric(comp, n_bits=16), (1, 3), lambda: metric_explorer(comp, bits=(16, 32), value=16),
            ("n_bits", 32))


def _case_dsh():
    from lshlab.widgets import dsh_explorer, encode_models, update_dsh

    X, y, Q, yq = _tiny_blobs()
    models = {b: RandomHyperplaneHash(b, center=True, random_state=0).fit(X) for b in (8, 16)}
    codes = encode_models(models, Q, X)
    return (update_dsh(codes, yq, y, n_bits=8, query=1, k=5), (1, 2),
            lambda: dsh_explorer(models, Q, yq, X, y, k=5, image_shape=(4, 5)), ("query", 2),
            dict(X_query=Q, X_db=X, image_shape=(4, 5)))


def _case_overlap():
    from lshlab.widgets import overlap_explorer, update_overlap

    _, _, _, _, cq, cd, D = _codes_and_distances()
    return (update_overlap(D, cq, cd, n_bits=8, k=5), (1, 2),
            lambda: overlap_explorer(D, cq, cd, bits=[8, 16], ks=(5, 10)), ("n_bits", 16))


def _case_lsh_params():
    from lshlab.widgets import lsh_params_explorer, update_lsh_params

    rng = np.random.default_rng(0)
    near, far = rng.uniform(0.7, 0.95, 100), rng.beta(2, 5, 1000)
    return (update_lsh_params(near, far, 1000, max_candidates=100), (1, 2),
            lambda: lsh_params_explorer(near, far, 1000), ("target_recall", 0.8))


def _case_banding():
    from lshlab.hashing import MinHash
    from lshlab.sets import jaccard_matrix
    from lshlab.widgets import banding_explorer, prepare_banding, update_banding

    X, _, Q, _ = _tiny_blobs()
    M, MQ = X > np.median(X), Q > np.median(X)
    mh = MinHash(32, random_state=0).fit(M)
    data = prepare_banding(mh.transform(M), mh.transform(MQ), jaccard_matrix(MQ, M), k=5)
    return (update_banding(data, n_bands=8, rows_per_band=4), (1, 2),
            lambda: banding_explorer(data, bands=(1, 16, 8), rows=(1, 4, 4)), ("n_bands", 4))


def _case_kdtree():
    from lshlab.widgets import kdtree_explorer, prepare_kdtree, update_kdtree

    X, _, Q, _ = _tiny_blobs()
    grid = prepare_kdtree(X, Q, dims=(2, 8), leaf_sizes=(2, 10), k=3, n_queries=5)
    return (update_kdtree(grid, dim=8, leaf_size=2), (1, 2),
            lambda: kdtree_explorer(X, Q, dims=(2, 8), leaf_sizes=(2, 10), k=3, n_queries=5), ("dim", 2))


def _case_random_features():
    from lshlab.widgets import prepare_random_features, random_features_explorer, update_random_features

    X, y, Q, yq = _tiny_blobs()
    s, sq = np.where(y == 0, 1, -1), np.where(yq == 0, 1, -1)
    grid = prepare_random_features(X, s, Q, sq, bandwidth=5.0, n_components=(8, 32), n_gram=40)
    return (update_random_features(grid, n_components=32, method="importance sampling"), (1, 2),
            lambda: random_features_explorer(X, s, Q, sq, bandwidth=5.0, n_components=(8, 32), n_gram=40),
            ("n_components", 8))


def _case_scale():
    from lshlab.widgets import prepare_scale, scale_explorer, update_scale

    rng = np.random.default_rng(0)
    centres = {b: rng.integers(0, 256, (6, b // 8), dtype=np.uint8) for b in (32, 64)}
    flips = {b: rng.random((440, b // 8, 8)) < 0.08 for b in (32, 64)}  # clustered codes: a few bits flipped
    codes = {b: centres[b][rng.integers(0, 6, 440)] ^ np.packbits(flips[b], axis=2)[..., 0] for b in (32, 64)}
    db, queries = {b: c[:400] for b, c in codes.items()}, {b: c[400:] for b, c in codes.items()}
    data = prepare_scale(db, queries, [100, 400], ks=(1, 5), n_queries=4, n_live=2)
    return (update_scale(data, n_items=400, n_bits=64, k=5), (1, 2),
            lambda: scale_explorer(db, queries, [100, 400], ks=(1, 5), n_queries=4, n_live=2), ("n_bits", 32))


#: topic -> () -> (a result of update_<topic>, the (nrows, ncols) its draw needs, build the explorer, a slider
#: move[, display options of the draw])
TOPICS = {
    "collision": _case_collision, "amplification": _case_amplification, "scatter_pr": _case_scatter_pr,
    "disagreement": _case_disagreement, "lee": _case_lee, "temperature": _case_temperature,
    "meanfield": _case_meanfield, "spectral": _case_spectral, "metric": _case_metric, "dsh": _case_dsh,
    "overlap": _case_overlap, "lsh_params": _case_lsh_params, "banding": _case_banding, "kdtree": _case_kdtree,
    "random_features": _case_random_features, "scale": _case_scale,
}
#: pure updates without an explorer: lecture 02 sweeps recall over K and L and draws plot_recall_vs_candidates
UPDATE_ONLY = {"lsh_recall"}


def _widget_functions(prefix):
    import importlib

    from lshlab import widgets

    found = {}
    for sub in widgets._SUBMODULES:
        try:
            mod = importlib.import_module(f"lshlab.widgets.{sub}")
        except ModuleNotFoundError as exc:  # a topic module another lecture has not landed yet
            if exc.name == f"lshlab.widgets.{sub}":
                continue
            raise
        for name in mod.__all__:
            if name.startswith(prefix) or (prefix == "_explorer" and name.endswith(prefix)):
                found[name] = getattr(mod, name)
    return found


def test_every_update_has_a_case_a_draw_and_an_explorer():
    topics = {name[len("update_"):] for name in _widget_functions("update_")}
    assert topics == set(TOPICS) | UPDATE_ONLY, f"cases missing for {sorted(topics - set(TOPICS) - UPDATE_ONLY)}"
    draws = {name[len("draw_"):] for name in _widget_functions("draw_")}
    explorers = {name[: -len("_explorer")] for name in _widget_functions("_explorer")}
    assert draws == explorers == set(TOPICS)


@pytest.mark.parametrize("name", sorted(_widget_functions("update_")))
def test_update_takes_data_first_then_keyword_parameters(name):
    import inspect

    params = list(inspect.signature(_widget_functions("update_")[name]).parameters.values())
    positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert all(p.default is p.empty for p in positional), f"{name}: a positional parameter with a default"
    assert params[: len(positional)] == positional, f"{name}: data must come first"
    assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in params[len(positional):])
    assert any(p.kind is p.KEYWORD_ONLY or p.kind is p.VAR_KEYWORD for p in params), f"{name}: no parameters"


@pytest.mark.parametrize("name", sorted(_widget_functions("draw_")))
def test_draw_takes_result_and_axes(name):
    import inspect

    params = list(inspect.signature(_widget_functions("draw_")[name]).parameters.values())
    assert [p.name for p in params[:2]] == ["result", "axes"]
    assert all(p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD for p in params[:2])
    assert all(p.kind is p.KEYWORD_ONLY for p in params[2:]), f"{name}: display options must be keyword-only"


@pytest.mark.parametrize("name", sorted(_widget_functions("_explorer")))
def test_explorer_takes_data_first_then_keyword_options(name):
    import inspect

    params = list(inspect.signature(_widget_functions("_explorer")[name]).parameters.values())
    positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert all(p.default is p.empty for p in positional) and params[: len(positional)] == positional
    assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in params[len(positional):])


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_update_returns_a_dataclass_that_draw_and_explorer_use(topic):
    import dataclasses

    from lshlab import widgets

    result, layout, build, (control, value), *draw_kw = TOPICS[topic]()
    assert dataclasses.is_dataclass(result) and type(result).__name__.endswith("Result")
    fig, axes = plt.subplots(*layout)
    assert getattr(widgets, f"draw_{topic}")(result, axes, **(draw_kw[0] if draw_kw else {})) is fig
    assert all(ax.has_data() or ax.images for ax in np.ravel(axes))
    assert not any(a.get_animated() for a in fig.findobj())  # a plain figure shows every artist
    ex = build()
    assert type(ex.result) is type(result) and bytes(ex.image.value).startswith(PNG_MAGIC)
    assert ex.view is not None and ex.timings["mode"] == "full"  # every lecture explorer has a view
    ex.controls[control].value = value  # a slider move redraws through the observer
    assert ex.params[control] == value and type(ex.result) is type(result) and "error" not in ex.status.value
    ex.close()


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_blitted_picture_is_the_full_redraw(topic):
    """Moving a slider away and back redraws only the dynamic artists over the background cached for that
    state, and gives the picture first drawn in full; a blitted picture equals a full redraw of the same
    state (up to anti-aliasing where a dynamic artist touches a static one drawn above it in a full draw,
    e.g. a spine)."""
    _, _, build, (control, value), *_ = TOPICS[topic]()
    ex = build()
    start = ex.controls[control].value
    first = _decode(bytes(ex.image.value))
    ex.controls[control].value = value
    moved = _decode(bytes(ex.image.value))
    assert moved.shape != first.shape or not np.array_equal(moved, first), "the move changed nothing"
    ex.controls[control].value = start
    assert ex.timings["mode"] == "blit"
    back = _decode(bytes(ex.image.value))

    def differ(a, b):
        assert a.shape == b.shape
        return float((np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 40).mean())

    assert differ(back, first) < 0.003, f"{topic}: {differ(back, first):.2%} of the pixels differ"
    ex.controls[control].value = value
    blit = _decode(bytes(ex.image.value))
    ex.figure.set_layout_engine("none")  # keep the axes where the blitted picture has them
    ex._backgrounds.clear()  # force a full redraw of the same state
    ex.refresh()
    assert ex.timings["mode"] == "full"
    assert differ(blit, _decode(bytes(ex.image.value))) < 0.003
    ex.close()


def test_view_is_rebuilt_when_its_figure_was_cleared():
    """Clearing the explorer's figure (as a script drawing something else on it would) takes the view's
    axes away: the next move builds a new view (a full draw) instead of failing on artists without axes."""
    ex = amplification_explorer(n_points=5, n_pairs=20)
    old = ex.view
    ex.figure.clear()
    ex.controls["L"].value = 3
    assert "error" not in ex.status.value and ex.view is not old and ex.timings["mode"] == "full"
    ex.controls["L"].value = 8
    assert ex.timings["mode"] == "blit" and ex.figure.axes == [ex.view.ax]
    ex.close()


def test_banding_sliders_keep_b_times_r_within_the_signature():
    """Every position of the banding sliders is a valid (b, r): b's maximum follows r (32 hashes here)."""
    _, _, build, _ = _case_banding()
    ex = build()  # bands (1, 16, 8), rows (1, 4, 4): b · r = 32, the whole signature
    b, r = ex.controls["n_bands"], ex.controls["rows_per_band"]
    assert b.max == 8 and r.max == 4
    r.value = 2
    assert b.max == 16 and b.value == 8
    b.value = 16
    r.value = 3  # 16 · 3 > 32: b is lowered to 32 // 3 = 10 before the redraw
    assert (b.value, b.max) == (10, 10) and "error" not in ex.status.value
    assert (ex.result.n_bands, ex.result.rows_per_band) == (10, 3)
    from lshlab.widgets import banding_explorer

    with pytest.raises(ValueError, match="within the 32 hashes"):
        banding_explorer(ex.update_fn.args[0], bands=(1, 16, 16), rows=(1, 4, 4))
    ex.close()


def test_lsh_params_title_shows_the_query_cost_the_hash_cost_slider_changes():
    _, _, build, _ = _case_lsh_params()
    ex = build()
    before = ex.result.choice
    ex.controls["hash_cost"].value = 10.0
    after = ex.result.choice
    assert after.cost == pytest.approx(10.0 * after.K * after.L + after.candidates)
    title = ex.view.title_r.get_text()
    assert f"K = {after.K}, L = {after.L}" in title and f"{after.cost:,.1f}" in title
    assert before.cost != after.cost
    ex.close()


# ---------------------------------------------------------------- caches and grids of the explorers
def test_png_encoder_round_trips_and_crops():
    from lshlab.widgets._view import png_rgb

    rgba = np.random.default_rng(0).integers(0, 256, (37, 53, 4), dtype=np.uint8)
    np.testing.assert_array_equal(_decode(png_rgb(rgba)), rgba[..., :3])
    np.testing.assert_array_equal(_decode(png_rgb(rgba, crop=(5, 7, 40, 30))), rgba[7:30, 5:40, :3])


def test_nice_ceiling():
    from lshlab.widgets._view import nice_ceiling

    for value, expected in ((0.93, 1.0), (1.0, 1.0), (1.01, 1.25), (3.3, 4.0), (47, 50), (0.0012, 0.00125)):
        assert nice_ceiling(value) == pytest.approx(expected)
    assert nice_ceiling(0) == 1.0 and nice_ceiling(float("nan")) == 1.0


@pytest.mark.parametrize("n_bits, k", [(4, 5), (4, 30), (16, 5), (16, 30), (64, 17)])
def test_overlap_cache_gives_the_scores_of_the_metric(n_bits, k):
    """The explorer's ordering cache (ties by index, all k from one ordering) equals
    overlap_scores_by_code_length, at code lengths with many ties (4 bits) and few (64)."""
    from lshlab.distances import euclidean_distance_matrix
    from lshlab.widgets import update_overlap

    X, _, Q, _ = _tiny_blobs()
    h = RandomHyperplaneHash(64, center=True, random_state=0).fit(X)
    cq, cd, D = h.transform(Q), h.transform(X), euclidean_distance_matrix(Q, X)
    D = np.round(D, 1)  # ties in the reference too
    cache = {"k_max": 30}
    fast = update_overlap(D, cq, cd, n_bits=n_bits, k=k, cache=cache)
    ref = update_overlap(D, cq, cd, n_bits=n_bits, k=k)
    np.testing.assert_allclose(fast.dice, ref.dice)
    np.testing.assert_allclose(fast.jaccard, ref.jaccard)
    assert n_bits in cache["codes"]


def test_kdtree_grid_counts_the_work_of_the_tree():
    from lshlab.search import KDTree
    from lshlab.widgets import prepare_kdtree, update_kdtree

    X, _, Q, _ = _tiny_blobs()
    grid = prepare_kdtree(X, Q, dims=(2, 16), leaf_sizes=(3, 12), k=4, n_queries=len(Q))
    tree = KDTree(X[:, :16], leaf_size=3)
    tree.search(Q[:, :16], 4)
    res = update_kdtree(grid, dim=16, leaf_size=3)
    assert res.fraction == pytest.approx(tree.query_stats.distance_computations.mean() / len(X))
    assert np.all(grid.fraction <= 1.0) and np.all(grid.speedup > 0)
    assert grid.fraction[0].mean() < grid.fraction[1].mean()  # more dimensions, more work
    with pytest.raises(ValueError, match="dim"):
        update_kdtree(grid, dim=3, leaf_size=3)
    with pytest.raises(ValueError, match="columns"):
        prepare_kdtree(X, Q, dims=(64,))


def test_random_feature_grid_measures_against_each_kernel():
    from sklearn.kernel_approximation import RBFSampler

    from lshlab.kernels import SchoenbergKernel
    from lshlab.widgets import prepare_random_features, update_random_features

    X, y, Q, yq = _tiny_blobs()
    s, sq = np.where(y == 0, 1, -1), np.where(yq == 0, 1, -1)
    rows = [{"method": "RBFSampler + LinearSVC", "n_components": 16, "test_error": 0.123, "fit_time": 0.0}]
    learned = SchoenbergKernel.from_bandwidth(4.0)
    grid = prepare_random_features(X, s, Q, sq, bandwidth=5.0, learned_kernel=learned, n_components=(16, 256),
                                   rows=rows, n_gram=50)
    assert grid.methods == ("RBFSampler + LinearSVC", "importance sampling", "learned Schoenberg")
    assert update_random_features(grid, n_components=16, method="RBFSampler + LinearSVC").test_error == 0.123
    sample = np.sort(np.random.default_rng(0).choice(len(X), 50, replace=False))
    Xs = X[sample].astype(np.float64)
    K = np.exp(-((Xs[:, None] - Xs[None]) ** 2).sum(-1) / (2 * 5.0**2))
    Z = RBFSampler(gamma=1 / (2 * 5.0**2), n_components=256, random_state=0).fit(X).transform(X[sample])
    res = update_random_features(grid, n_components=256, method="RBFSampler + LinearSVC")
    assert res.gram_error == pytest.approx(np.abs(Z @ Z.T - K).mean(), rel=1e-6)
    g = grid.gram_error
    assert g["RBFSampler + LinearSVC"][1] < g["RBFSampler + LinearSVC"][0]  # Monte-Carlo error falls with D
    assert g["learned Schoenberg"][1] < g["learned Schoenberg"][0]
    assert 0 <= res.test_error <= 0.2  # well separated classes


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_explorer_text_fits_and_does_not_overlap(topic):
    """Issue 22 for the explorers: no text leaves the image (e.g. a clipped y-label) and no two texts
    overlap, before and after a move."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from layout import text_layout_problems

    _, _, build, (control, value), *_ = TOPICS[topic]()
    ex = build()
    assert text_layout_problems(ex.figure) == []
    ex.controls[control].value = value
    assert text_layout_problems(ex.figure) == []
    ex.close()
