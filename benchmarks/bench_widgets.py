"""Slider-move latency of every explorer: pure update + draw + render, at 10k database points.

A slider move in an :class:`lshlab.widgets.Explorer` runs ``update(**params)``, sets the new data on the
view's dynamic artists (draw), restores the cached background and rasterises only those artists, then
encodes the PNG shown in the image widget (render).  For each explorer in ``lshlab.widgets`` this
benchmark builds it as its lecture does (Fashion-MNIST, 10,000 database images; digits for
``size="tiny"``), then moves one slider through its values and times every move, wall clock
(``time.perf_counter``) and CPU (``time.process_time``), minimum and median over the repetitions.
Goal: ≤ 100 ms per move for explorers that only re-plot precomputed data (median update ≤ 10 ms),
≤ 250 ms for the others.

The reference column is a full redraw of the same move — the path every move took before views:
``update``, clear a Figure (of the explorer's size, not the explorer's own: clearing that would take the
view's axes away), ``draw(result, axes)`` and ``Figure.savefig(..., bbox_inches="tight")``
(two draws of the whole figure, Pillow's PNG encoder) — interleaved with ours so both see the same
machine load: the ratio is the speed-up of redrawing only what changed.  The first row times a fixed
float32 GEMM in the same run, so a slower machine can be told from slower code.  The CPU is shared with
other users, so wall times are inflated; the "met" column uses the median CPU time of a move
(single-threaded drawing: on an idle machine wall ≈ CPU).  ``agree`` means every move produced a PNG of
a figure with axes and no error, the picture has the size of the reference picture (within 8 % of
its width and height: the reference crops to the tight box of the drawn artists, the view keeps the
figure size), and the last blitted picture is a full redraw of the same state (under 0.3 % of the pixels
differ, anti-aliasing where moving artists meet static ones, or a live measurement in a title).  The note gives the first render (construction) of each explorer.

Settings that are not the explorer's own (codes of the DSH explorer, the metric of the metric
explorer, the methods of the code comparison) use cheap stand-ins, because only the slider path is
timed: a random-hyperplane hash instead of trained DSH networks, a random positive-definite matrix
instead of ITML, LSH / PCAH / ITQ / SH without the RBM.

``size="tiny"`` (the ``pytest -m bench`` smoke test) runs seven explorers on 300 digits, one pass.

Run: ``.venv/bin/python benchmarks/bench_widgets.py [full|tiny]`` or
``.venv/bin/python benchmarks/run_all.py --only widgets``.
"""

from __future__ import annotations

import gc
import io
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from _timing import markdown_table, row  # noqa: E402

from lshlab.data import load_dataset  # noqa: E402

GOAL_S = 0.250
REPLOT_GOAL_S = 0.100
REPLOT_UPDATE_MS = 10.0
PNG_MAGIC = b"\x89PNG"
SAME_PICTURE = 0.003  # at most this fraction of the pixels may differ between a blit and a full redraw
TINY_CASES = ("scatter_pr_explorer", "lee_explorer", "dsh_explorer", "kdtree_explorer", "lsh_params_explorer",
              "banding_explorer", "scale_explorer")

SIZES = {
    "full": dict(dataset="fashion-mnist", n_db=10000, n_query=200, repeat=3, langevin_iter=120, mf_iter=40,
                 theory_bits=(256, 1024, 4096), overlap_bits=(16, 64, 256, 1024), kd_dims=(2, 4, 8, 16, 32, 64),
                 rf_train=1200, rf_features=(16, 64, 256, 1024), banding_db=5000, scale_sizes=(1000, 3000, 10000)),
    "tiny": dict(dataset="digits", n_db=300, n_query=20, repeat=1, langevin_iter=10, mf_iter=5,
                 theory_bits=(64, 256), overlap_bits=(16, 64), kd_dims=(2, 8), rf_train=200, rf_features=(16, 64),
                 banding_db=300, scale_sizes=(100, 300)),
}


# ------------------------------------------------------------------------------------------ timing
def _reference_figure(explorer):
    """A figure of the explorer's size, resolution and layout engine for the reference path.  The reference
    must not draw on the explorer's own figure: clearing it would take the view's axes away (the next move
    would then rebuild the view, or blit artists of removed axes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=explorer.figure.get_size_inches(), dpi=explorer.figure.dpi)
    FigureCanvasAgg(fig)
    if explorer.view_factory is not None:  # the same layout as the view's figure (constrained layout)
        fig.set_layout_engine("constrained")
    return fig


def _old_render(explorer, params, fig):
    """The render path before views, on ``fig`` (see :func:`_reference_figure`): clear it, new axes, draw,
    ``savefig`` (tight unless margins)."""
    result = explorer.update_fn(**explorer.fixed, **params)
    fig.clear()
    axes = fig.subplots(explorer.nrows, explorer.ncols, squeeze=True)
    explorer.draw_fn(result, axes)
    if explorer.margins is not None:
        fig.subplots_adjust(**explorer.margins)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches=None if explorer.margins is not None else "tight")
    return buf.getvalue()


def _png_size(png):
    from PIL import Image

    return Image.open(io.BytesIO(png)).size


def _clock(fn):
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def _stats(xs):
    return float(np.min(xs)), float(np.median(xs))


def gemm_row(repeat):
    """A fixed float32 GEMM, timed in the same run: the machine's speed reference."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2000, 784), dtype=np.float32)
    b = rng.standard_normal((784, 1024), dtype=np.float32)
    a @ b
    walls = [_clock(lambda: a @ b)[0] for _ in range(max(5, 2 * repeat + 1))]
    r = row("machine reference: float32 GEMM 2000×784 @ 784×1024", "—", _stats(walls), None, "—", agree=True)
    r["note"] = "the same product on another machine scales every row of this table"
    return r


def time_explorer(name, explorer, control, values, repeat, note=""):
    """Move ``explorer.controls[control]`` through ``values`` ``repeat`` times (after one warm-up pass
    that fills the explorers' caches), timing each move with the current render and with the old one."""
    ctrl = explorer.controls[control]
    fixed_params = dict(explorer.params)
    ref_fig = _reference_figure(explorer)
    moves = [v for v in values if v != ctrl.value] + [ctrl.value]
    sane, sizes_match = True, True
    for v in moves:  # warm-up: every value once on both paths
        ctrl.value = v
        _old_render(explorer, {**fixed_params, control: v}, ref_fig)
    new_w, new_c, old_w, old_c = [], [], [], []
    stages = {"update_ms": [], "draw_ms": [], "render_ms": []}
    modes = []
    for _ in range(repeat):
        for v in moves:  # consecutive values differ, so every assignment is a slider move
            w, c, _ = _clock(lambda: setattr(ctrl, "value", v))  # observe → explorer.refresh()
            new_w.append(w)
            new_c.append(c)
            for k in stages:
                stages[k].append(explorer.timings[k])
            modes.append(explorer.timings.get("mode", ""))
            png = bytes(explorer.image.value)
            sane &= (png.startswith(PNG_MAGIC) and "error" not in explorer.status.value
                     and len(explorer.figure.axes) > 0 and explorer.result is not None)
            w, c, old_png = _clock(lambda: _old_render(explorer, {**fixed_params, control: v}, ref_fig))
            old_w.append(w)
            old_c.append(c)
            (a, b), (a_old, b_old) = _png_size(png), _png_size(old_png)
            sizes_match &= abs(a - a_old) <= max(4, 0.08 * a_old) and abs(b - b_old) <= max(4, 0.08 * b_old)
    differing = _blit_against_full_redraw(explorer)
    new_cpu, old_cpu = _stats(new_c), _stats(old_c)
    st = {k: float(np.median(v)) for k, v in stages.items()}
    goal = REPLOT_GOAL_S if st["update_ms"] <= REPLOT_UPDATE_MS else GOAL_S
    blits = sum(m == "blit" for m in modes)
    r = row(f"{name}: slider move (update + draw + render)", "same move, full redraw + savefig",
            _stats(new_w), _stats(old_w), f"≤ {goal * 1e3:.0f} ms",
            agree=sane and sizes_match and differing < SAME_PICTURE)
    r["meets_goal"] = bool(new_cpu[1] <= goal)
    r["note"] = (f"CPU ms min/med: {1e3 * new_cpu[0]:.0f}/{1e3 * new_cpu[1]:.0f} (old {1e3 * old_cpu[0]:.0f}/"
                 f"{1e3 * old_cpu[1]:.0f}); median wall ms update {st['update_ms']:.0f}, draw {st['draw_ms']:.0f}, "
                 f"render {st['render_ms']:.0f}; {blits}/{len(modes)} moves blitted, last one vs a full redraw: "
                 f"{100 * differing:.2f} % of pixels differ"
                 + (f"; {note}" if note else ""))
    return r


def _blit_against_full_redraw(explorer):
    """Fraction of the pixels (|Δ| > 40 in a channel) where the explorer's last picture differs from a full
    redraw of the same state (background dropped, layout kept), as ``tests/test_widgets.py`` measures it;
    0 for an explorer without a view.  Leaves the explorer fully redrawn."""
    from PIL import Image

    if explorer.view is None:
        return 0.0
    before = np.asarray(Image.open(io.BytesIO(bytes(explorer.image.value))).convert("RGB"), dtype=int)
    explorer.figure.set_layout_engine("none")  # keep the axes where the blitted picture has them
    explorer._backgrounds.clear()
    explorer.refresh()
    after = np.asarray(Image.open(io.BytesIO(bytes(explorer.image.value))).convert("RGB"), dtype=int)
    if before.shape != after.shape:
        return 1.0
    return float((np.abs(before - after).max(axis=2) > 40).mean())


# ------------------------------------------------------------------------------------------ explorers
def _data(cfg):
    if cfg["dataset"] == "digits":
        return load_dataset("digits", n_train=cfg["n_db"], n_query=cfg["n_query"], seed=0)
    return load_dataset(cfg["dataset"], n_train=cfg["n_db"], n_query=cfg["n_query"], seed=0)


def _cases(cfg, ds):
    """(name, build() -> explorer, control, values, note) for every explorer of lshlab.widgets."""
    from lshlab import widgets
    from lshlab.hashing import RandomHyperplaneHash

    X, y, Q, yq = ds.X_train, ds.y_train, ds.X_query, ds.y_query
    n = X.shape[0]
    cases = []

    def scatter():
        return widgets.scatter_pr_explorer(X, y, Q, yq, lambda n_bits: RandomHyperplaneHash(
            n_bits, center=True, random_state=0), bits=(16, 64, 256))
    cases.append((f"scatter_pr_explorer ({n} db, {min(100, Q.shape[0])} queries)", scatter, "n_bits", (16, 64, 256), ""))

    cases.append(("collision_explorer", lambda: widgets.collision_explorer(), "n_bits", (16, 64, 256),
                  "synthetic pairs, no database"))
    cases.append(("amplification_explorer", lambda: widgets.amplification_explorer(), "L", (4, 8, 16),
                  "synthetic pairs, no database"))
    cases.append(("disagreement_explorer", lambda: widgets.disagreement_explorer(
        bandwidth=1.0, bandwidth_range=(0.25, 4.0), bits=cfg["theory_bits"], n_bits=cfg["theory_bits"][1]),
        "n_bits", cfg["theory_bits"], "synthetic pairs, hashed at every move"))

    def lee():
        return widgets.lee_explorer(X, Q[0], q=20, q_range=(2, 64), n_hashes=256, n_components=512,
                                    kernel=float(np.median(np.linalg.norm(X[: n // 2] - X[n - n // 2:][: n // 2], axis=1))))
    cases.append((f"lee_explorer ({n} db)", lee, "q", (4, 20, 64), ""))

    Xt = X[: min(n, 2000)]
    yt = np.where(y[: Xt.shape[0]] % 2 == 0, 1, -1)

    def temperature():
        return widgets.temperature_explorer(Xt, yt, betas=(1e3, 1e4), regs=(0.0, 1.0), beta=1e4, reg=0.0,
                                            n_particles=40, max_iter=cfg["langevin_iter"], learning_rate=1e-3,
                                            bounds=(0.0, 0.05), epsilon=2e-5, batch_size=256, random_state=0)
    cases.append((f"temperature_explorer ({Xt.shape[0]} points)", temperature, "beta", (1e3, 1e4),
                  "cached runs (a first visit runs the Langevin learner, see the separate row)"))

    Xm = X[: min(n, 800)] / float(np.median(np.linalg.norm(X[:800], axis=1)))
    ym = np.where(y[: Xm.shape[0]] % 2 == 0, 1, -1)

    def meanfield():
        return widgets.meanfield_explorer(Xm, ym, betas=(30.0, 100.0), ns=(30, 100), beta=100.0, n_particles=100,
                                          max_iter=cfg["mf_iter"], learning_rate=0.1, bounds=(0.0, 5.0), n_pairs=256,
                                          n_cells=100, init_range=(0.0, 0.5), random_state=0)
    cases.append((f"meanfield_explorer ({Xm.shape[0]} points)", meanfield, "n_particles", (30, 100),
                  "cached runs"))

    def spectral():
        from lshlab.evaluation import PUBLISHED_CNNH_MNIST, compare_hashers
        from lshlab.metrics import relevance_from_labels
        from lshlab.small_codes import small_code_factories

        factories = {m: f for m, f in small_code_factories(random_state=0).items() if m in ("LSH", "PCAH", "ITQ", "SH")}
        cmp, _ = compare_hashers(factories, X, X, Q, relevance_from_labels(yq, y), (12, 24, 32, 48))
        return widgets.spectral_explorer(cmp, published=PUBLISHED_CNNH_MNIST)
    cases.append((f"spectral_explorer ({n} db)", spectral, "n_bits", (12, 24, 48), "LSH/PCAH/ITQ/SH, no RBM"))

    def metric():
        from sklearn.decomposition import PCA

        pca = PCA(n_components=min(40, X.shape[1]), random_state=0).fit(X)
        Zd, Zq = pca.transform(X), pca.transform(Q)
        rng = np.random.default_rng(0)
        L = rng.normal(size=(Zd.shape[1], Zd.shape[1])) / np.sqrt(Zd.shape[1])
        comp = widgets.prepare_metric_comparison(Zd, y, Zq, yq, {"Euclidean": None, "random PSD": L @ L.T
                                                                 + np.eye(Zd.shape[1])}, max_bits=256, k=5)
        return widgets.metric_explorer(comp, value=64)
    cases.append((f"metric_explorer ({n} db, {Q.shape[0]} queries)", metric, "n_bits", (16, 64, 256),
                  "random PSD metric stands in for ITML"))

    def dsh():
        models = {b: RandomHyperplaneHash(b, center=True, random_state=0).fit(X) for b in (12, 24, 48)}
        return widgets.dsh_explorer(models, Q, yq, X, y, image_shape=ds.image_shape)
    cases.append((f"dsh_explorer ({n} db)", dsh, "n_bits", (12, 24, 48), "hyperplane codes stand in for DSH nets"))

    def overlap():
        from lshlab.distances import euclidean_distance_matrix

        bits = cfg["overlap_bits"]
        h = RandomHyperplaneHash(bits[-1], center=True, random_state=0).fit(X)
        D = euclidean_distance_matrix(Q, X)
        return widgets.overlap_explorer(D, h.transform(Q), h.transform(X), bits=bits, ks=(10, 50, 100))
    cases.append((f"overlap_explorer ({n} db)", overlap, "n_bits", cfg["overlap_bits"],
                  "hyperplane codes of the pixels stand in for the lecture's autoencoder latents"))

    def kdtree():
        from sklearn.decomposition import PCA

        dims = cfg["kd_dims"]
        pca = PCA(n_components=max(dims), random_state=0).fit(X)
        return widgets.kdtree_explorer(pca.transform(X).astype(np.float32), pca.transform(Q).astype(np.float32),
                                       dims=dims, leaf_sizes=(2, 10, 50), k=10)
    cases.append((f"kdtree_explorer ({n} db, PCA)", kdtree, "dim", cfg["kd_dims"], "grid measured at construction"))

    def random_features():
        keep = np.isin(y, (4, 9))
        Xb, yb = X[keep][: cfg["rf_train"]], np.where(y[keep][: cfg["rf_train"]] == 4, 1, -1)
        keep_q = np.isin(yq, (4, 9))
        Xt, yt = Q[keep_q], np.where(yq[keep_q] == 4, 1, -1)
        sigma = float(np.median(np.linalg.norm(Xb[: len(Xb) // 2] - Xb[len(Xb) // 2:][: len(Xb) // 2], axis=1)))
        return widgets.random_features_explorer(Xb, yb, Xt, yt, bandwidth=sigma, n_components=cfg["rf_features"])
    cases.append((f"random_features_explorer ({cfg['rf_train']} train, classes 4 vs 9)", random_features,
                  "n_components", cfg["rf_features"], "grid measured at construction"))
    def lsh_params():
        from lshlab.hashing.random_projection import simhash_collision_probability
        from lshlab.search import brute_force_knn

        mean = X.mean(axis=0)
        Xn, Qn = X - mean, Q - mean
        Xn /= np.linalg.norm(Xn, axis=1, keepdims=True)
        Qn /= np.linalg.norm(Qn, axis=1, keepdims=True)
        theta = np.arccos(np.clip(Qn @ Xn.T, -1, 1))
        _, true_idx = brute_force_knn(X, Q, 10)
        p_near = simhash_collision_probability(np.take_along_axis(theta, true_idx, axis=1).ravel())
        return widgets.lsh_params_explorer(p_near, simhash_collision_probability(theta.ravel()), n)
    cases.append((f"lsh_params_explorer ({n} db, {Q.shape[0]} queries)", lsh_params, "target_recall", (0.8, 0.9, 0.95),
                  "SimHash collision probabilities of centred images, as lecture 02"))

    def banding():
        from lshlab.hashing import MinHash
        from lshlab.sets import jaccard_matrix, threshold_masks

        n_w, n_q = min(n, cfg["banding_db"]), min(Q.shape[0], 100)
        M, MQ = threshold_masks(X[:n_w], 0.5), threshold_masks(Q[:n_q], 0.5)
        mh = MinHash(128, random_state=0).fit(M)
        data = widgets.prepare_banding(mh.transform(M), mh.transform(MQ), jaccard_matrix(MQ, M), k=10)
        return widgets.banding_explorer(data)
    cases.append((f"banding_explorer ({min(n, cfg['banding_db'])} db masks, 128 hashes)", banding, "n_bands", (4, 8, 16),
                  "as lecture 03; r = 8"))

    def scale():
        from lshlab.hashing import ITQHash

        sizes = cfg["scale_sizes"]
        codes, query_codes = {}, {}
        for b in (32, 64):
            h = ITQHash(b, random_state=0).fit(X[:2000])
            codes[b] = np.packbits(h.transform(X[: sizes[-1]]).astype(np.uint8), axis=1)
            query_codes[b] = np.packbits(h.transform(Q).astype(np.uint8), axis=1)
        return widgets.scale_explorer(codes, query_codes, sizes, ks=(1, 10))
    cases.append((f"scale_explorer (≤ {cfg['scale_sizes'][-1]} ITQ codes)", scale, "n_items", cfg["scale_sizes"],
                  "ITQ codes of the images stand in for lecture 13's generated database; a move searches live"))
    return cases


def _first_visit_temperature(cfg, ds):
    """One uncached temperature update (a Langevin run) timed once per new β: what a first visit costs."""
    from lshlab.widgets import prepare_temperature, update_temperature

    X = ds.X_train[:2000]
    yt = np.where(ds.y_train[: X.shape[0]] % 2 == 0, 1, -1)
    data = prepare_temperature(X, yt, n_particles=40, max_iter=cfg["langevin_iter"], learning_rate=1e-3,
                               bounds=(0.0, 0.05), epsilon=2e-5, batch_size=256, random_state=0)
    walls, cpus = [], []
    for beta in (1e2, 1e3, 1e4)[: max(2, cfg["repeat"])]:
        w, c, res = _clock(lambda: update_temperature(data, beta=beta, reg=0.0))
        walls.append(w)
        cpus.append(c)
    r = row(f"temperature: first visit of a β (update only, {X.shape[0]} points, {cfg['langevin_iter']} steps)",
            "—", _stats(walls), None, f"≤ {GOAL_S * 1e3:.0f} ms", agree=bool(np.isfinite(res.alignment).all()))
    r["meets_goal"] = bool(np.median(cpus) <= GOAL_S)
    r["note"] = f"CPU ms min/med {1e3 * min(cpus):.0f}/{1e3 * np.median(cpus):.0f}; uncached Langevin run"
    return r


def run(size="full"):
    import matplotlib.pyplot as plt

    from lshlab.plots import set_style

    cfg = SIZES["tiny" if size == "tiny" else "full"]
    ds = _data(cfg)
    rows = [gemm_row(cfg["repeat"])]
    with matplotlib.rc_context():
        set_style()  # the lectures draw with the course style
        for name, build, control, values, note in _cases(cfg, ds):
            if size == "tiny" and not name.startswith(TINY_CASES):
                continue
            explorer = build()
            first = explorer.timings
            note = (f"first render {first['update_ms'] + first['draw_ms'] + first['render_ms']:.0f} ms"
                    + (f"; {note}" if note else ""))
            rows.append(time_explorer(name, explorer, control, values, cfg["repeat"], note))
            explorer.close()
            plt.close("all")
        rows.append(_first_visit_temperature(cfg, ds))
    return rows


if __name__ == "__main__":
    print(markdown_table(run(sys.argv[1] if len(sys.argv) > 1 else "full")))
