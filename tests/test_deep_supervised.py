"""DeepSupervisedHash: loss vs hand computation, gradients, codes, persistence, learning, determinism, errors."""

import itertools
import json
import re

import numpy as np
import pytest
import torch
from model_files import drop_field, rewrite, set_field

from lshlab.hashing import DeepSupervisedHash
from lshlab.evaluation import evaluate_hasher
from lshlab.hashing.dsh_network import DSHNet, dsh_loss
from lshlab.metrics import mean_average_precision


def _hand_loss(B, labels, m, alpha):
    """The seed's per-pair loss, summed over i < j by loops, divided by the number of pairs."""
    total, pairs = 0.0, 0
    for i, j in itertools.combinations(range(len(B)), 2):
        y = 0.0 if labels[i] == labels[j] else 1.0
        d = sum((B[i][t] - B[j][t]) ** 2 for t in range(len(B[i])))
        reg = sum(abs(abs(v) - 1) for v in B[i]) + sum(abs(abs(v) - 1) for v in B[j])
        total += 0.5 * (1 - y) * d + 0.5 * y * max(m - d, 0.0) + alpha * reg
        pairs += 1
    return total / pairs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_equals_hand_computation(seed):
    rng = np.random.default_rng(seed)
    B = rng.normal(scale=1.5, size=(5, 3))
    labels = np.array([0, 1, 0, 2, 1])
    for m, alpha in [(6.0, 0.01), (2.0, 0.5), (40.0, 0.0)]:
        total, pair, reg = dsh_loss(torch.tensor(B), torch.tensor(labels), m, alpha)
        assert total.item() == pytest.approx(_hand_loss(B.tolist(), labels, m, alpha), rel=1e-10)
        assert reg.item() == pytest.approx(2 * alpha * np.abs(np.abs(B) - 1).sum(1).mean(), rel=1e-10)
        assert (pair + reg).item() == pytest.approx(total.item())


def test_loss_two_points_by_hand():
    # similar pair at squared distance 4: ½·4 = 2; regulariser α(|1−1|+|1−1| + |−1... ) = 0 at ±1
    b = torch.tensor([[1.0, 1.0], [1.0, -1.0]])
    assert dsh_loss(b, torch.tensor([3, 3]), 4.0, 0.3)[0].item() == pytest.approx(2.0)
    # dissimilar pair: ½·max(m − 4, 0) = ½·(10 − 4) = 3, then beyond the margin: 0
    assert dsh_loss(b, torch.tensor([3, 4]), 10.0, 0.3)[0].item() == pytest.approx(3.0)
    assert dsh_loss(b, torch.tensor([3, 4]), 3.0, 0.3)[0].item() == pytest.approx(0.0)
    # regulariser alone: outputs 0.5 and 0 → α(|0.5−1| + |0−1|)·... for both points of the only pair
    z = torch.tensor([[0.5], [0.0]])
    assert dsh_loss(z, torch.tensor([0, 0]), 1.0, 1.0)[2].item() == pytest.approx(0.5 + 1.0)


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    net = DSHNet(8)
    x = torch.randn(6, 1, 28, 28)
    loss = dsh_loss(net(x), torch.tensor([0, 0, 1, 1, 2, 2]), 16.0, 0.01)[0]
    loss.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def _toy(n_per_class=40, seed=0):
    """Three classes of 28×28 images: bright top half, bright left half, bright centre square."""
    rng = np.random.default_rng(seed)
    masks = np.zeros((3, 28, 28), np.float32)
    masks[0, :14], masks[1, :, :14], masks[2, 7:21, 7:21] = 1, 1, 1
    y = np.repeat(np.arange(3), n_per_class)
    X = 0.8 * masks[y] + 0.2 * rng.random((y.size, 28, 28), dtype=np.float32)
    perm = rng.permutation(y.size)
    return X[perm].reshape(y.size, 784), y[perm]


@pytest.fixture(scope="module")
def fitted():
    X, y = _toy()
    model = DeepSupervisedHash(n_bits=8, max_iter=4, batch_size=40, random_state=0, n_jobs=1, progress=False)
    return model.fit(X, y), X, y


def test_codes_are_signs_of_outputs(fitted):
    model, X, _ = fitted
    B = model.embed(X)
    codes = model.transform(X)
    assert codes.dtype == np.uint8 and codes.shape == (len(X), 8)
    np.testing.assert_array_equal(codes, (B > 0).astype(np.uint8))
    np.testing.assert_array_equal(model.transform(X, packed=True), np.packbits(codes, axis=1))
    np.testing.assert_array_equal(model.decision_function(X), B)
    # (n, 28, 28) images give the same codes as flat rows
    np.testing.assert_array_equal(model.transform(X.reshape(-1, 28, 28)), codes)


def test_learns_separable_classes(fitted):
    model, X, y = fitted
    Xq, yq = _toy(n_per_class=10, seed=1)
    assert evaluate_hasher(model, X, Xq, labels=(yq, y), fit_on=None, at_k=10).map > 0.95
    hist = model.loss_history_
    assert len(hist) == 4 and hist[-1]["loss"] < hist[0]["loss"]


def test_save_load_round_trip(fitted, tmp_path):
    model, X, _ = fitted
    path = model.save(tmp_path / "sub" / "model.pt")
    assert path == tmp_path / "sub" / "model.pt"
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]  # one file: weights and metadata together
    loaded = DeepSupervisedHash.load(path)
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    np.testing.assert_array_equal(loaded.embed(X), model.embed(X))
    assert loaded.get_params() == model.get_params()
    assert loaded.loss_history_ == model.loss_history_
    assert (loaded.n_iter_, loaded.n_features_in_, loaded.margin_) == (4, 784, model.margin_)
    assert (loaded.pixel_mean_, loaded.pixel_std_) == (model.pixel_mean_, model.pixel_std_)
    # saving again replaces the file in place (same bytes: the format is deterministic)
    before = path.read_bytes()
    loaded.save(path)
    assert path.read_bytes() == before and len(list(path.parent.iterdir())) == 1
    with pytest.raises(FileNotFoundError, match="no saved DeepSupervisedHash"):
        DeepSupervisedHash.load(tmp_path / "missing")


def test_deterministic_under_random_state():
    X, y = _toy(n_per_class=10)
    kw = dict(n_bits=4, max_iter=1, batch_size=10, n_jobs=1, progress=False)
    a = DeepSupervisedHash(random_state=3, **kw).fit(X, y)
    b = DeepSupervisedHash(random_state=3, **kw).fit(X, y)
    c = DeepSupervisedHash(random_state=4, **kw).fit(X, y)
    np.testing.assert_array_equal(a.embed(X), b.embed(X))
    assert [h["loss"] for h in a.loss_history_] == [h["loss"] for h in b.loss_history_]
    assert not np.array_equal(a.embed(X), c.embed(X))
    assert torch.get_num_threads() >= 1


def test_validation_map_recorded():
    X, y = _toy(n_per_class=10)
    m = DeepSupervisedHash(n_bits=4, max_iter=2, batch_size=15, random_state=0, n_jobs=1, progress=False)
    m.fit(X, y, validation=(X[:20], y[:20]))
    assert all(0.0 <= h["val_map"] <= 1.0 for h in m.loss_history_)
    # the last entry is the leave-one-out mAP@10 of the final model: each image queries the other 19
    codes = m.transform(X[:20])
    D = (codes[:, None, :] != codes[None, :, :]).sum(axis=2)
    np.fill_diagonal(D, codes.shape[1] + 1)
    rel = y[:20, None] == y[None, :20]
    np.fill_diagonal(rel, False)
    assert m.loss_history_[-1]["val_map"] == pytest.approx(mean_average_precision(D, rel, at_k=10), rel=1e-12)


@pytest.mark.parametrize(
    "params,X,y",
    [
        ({"n_bits": 0}, np.zeros((4, 784)), [0, 1, 0, 1]),
        ({"n_bits": -3}, np.zeros((4, 784)), [0, 1, 0, 1]),
        ({}, np.zeros((4, 784)), [0, 1, 0]),  # labels length mismatch
        ({}, np.zeros((4, 100)), [0, 1, 0, 1]),  # not 28×28 images
        ({}, np.zeros((4, 20, 20)), [0, 1, 0, 1]),
        ({"image_shape": (4, 4)}, np.zeros((4, 16)), [0, 1, 0, 1]),
        ({"alpha": -1.0}, np.zeros((4, 784)), [0, 1, 0, 1]),
        ({"learning_rate_schedule": "step"}, np.zeros((4, 784)), [0, 1, 0, 1]),
        ({}, np.full((4, 784), np.nan), [0, 1, 0, 1]),
    ],
)
def test_bad_inputs(params, X, y):
    with pytest.raises(ValueError):
        DeepSupervisedHash(progress=False, max_iter=1, **params).fit(X, y)


def test_transform_wrong_width(fitted):
    model, X, _ = fitted
    with pytest.raises(ValueError):
        model.transform(X[:, :100])


# -------------------------------------------------------------------- plots and the explorer (Agg)
def test_plots_draw(fitted):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lshlab.plots import (
        plot_candidate_counts,
        plot_code_distance_histogram,
        plot_dsh_loss_terms,
        plot_dsh_training_curves,
        plot_hog_gallery,
        plot_map_table,
    )

    model, X, y = fitted
    figs = [
        plot_dsh_loss_terms(12, 0.01),
        plot_dsh_training_curves({"toy": model.loss_history_}),
        plot_map_table({"DSH": {8: 0.9, 16: 0.95}}, {"DSH": {8: 0.7}}, bits=(8, 16)),
        plot_hog_gallery(X[:3], y[:3]),
        plot_candidate_counts({"8 tables": np.array([0, 3, 50])}),
        plot_code_distance_histogram([0, 1], [5, 6, 7], 8),
    ]
    for fig in figs:
        assert fig.axes and all(ax.get_title() or ax.get_ylabel() for ax in fig.axes[:1])
    titled = plot_map_table({"DSH": {8: 0.9}}, bits=(8,), title="mAP@10, 300 queries")
    assert titled.axes[0].get_title() == "mAP@10, 300 queries"
    plt.close("all")


def test_explorer_update_and_draw(fitted):
    import matplotlib

    matplotlib.use("Agg")
    from lshlab.widgets import draw_dsh, dsh_explorer, update_dsh
    from lshlab.widgets.dsh import encode_models

    model, X, y = fitted
    codes = encode_models({8: model}, X[:5], X)
    r = update_dsh(codes, y[:5], y, n_bits=8, query=2, k=5)
    d = np.count_nonzero(codes[8].db != codes[8].query[2], axis=1)
    assert np.array_equal(r.dist, np.sort(d)[:5])
    assert r.precision == pytest.approx(np.mean(y[r.idx] == y[2]))
    assert len(r.d_same) + len(r.d_other) == len(X)
    with pytest.raises(ValueError):
        update_dsh(codes, y[:5], y, n_bits=16)
    explorer = dsh_explorer({8: model}, X[:5], y[:5], X, y, k=5)
    explorer.controls["query"].value = 3
    assert explorer.refresh().query == 3 and explorer.image.value
    given = dsh_explorer({8: model}, X[:5], y[:5], X, y, k=5, codes=codes)  # precomputed codes, same ranking
    given.controls["query"].value = 3
    assert np.array_equal(given.refresh().idx, explorer.refresh().idx)
    with pytest.raises(ValueError, match="every n_bits"):
        dsh_explorer({8: model}, X[:5], y[:5], X, y, codes={16: codes[8]})
    with pytest.raises(ValueError, match="query and"):
        dsh_explorer({8: model}, X[:4], y[:4], X, y, codes=codes)


def test_fit_or_load_uses_cache(tmp_path):
    from lshlab.hashing.dsh_cache import fit_or_load, train_validation_split

    X, y = _toy(n_per_class=8)
    kw = dict(n_bits=4, max_iter=1, batch_size=12, random_state=0, n_jobs=1, progress=False)
    a, cached_a = fit_or_load(X, y, cache_dir=tmp_path, **kw)
    b, cached_b = fit_or_load(X, y, cache_dir=tmp_path, **kw)
    assert (cached_a, cached_b) == (False, True)
    np.testing.assert_array_equal(a.embed(X), b.embed(X))
    c, cached_c = fit_or_load(X, y, cache_dir=tmp_path, **{**kw, "learning_rate": 0.01})  # other params: refit
    assert not cached_c
    from lshlab.hashing.dsh_cache import find_cached

    found = find_cached(len(X), cache_dir=tmp_path, **kw)
    np.testing.assert_array_equal(found.embed(X), a.embed(X))
    assert find_cached(len(X) + 1, cache_dir=tmp_path, **kw) is None  # other training size
    assert find_cached(len(X), cache_dir=tmp_path, **{**kw, "alpha": 0.5}) is None  # not trained
    with pytest.raises(ValueError, match="n_bits"):
        find_cached(len(X), cache_dir=tmp_path, **{**kw, "n_bits": 0})
    tr, va = train_validation_split(50, 10, seed=1)
    assert len(tr) == 40 and len(va) == 10 and not set(tr) & set(va)
    with pytest.raises(ValueError):
        train_validation_split(10, 10)


def test_batch_norm_variant_round_trip(tmp_path):
    X, y = _toy(n_per_class=10)
    m = DeepSupervisedHash(n_bits=6, max_iter=2, batch_size=15, batch_norm=True, random_state=0, n_jobs=1,
                           progress=False).fit(X, y)
    assert any(isinstance(layer, torch.nn.BatchNorm2d) for layer in m.net_.features)
    loaded = DeepSupervisedHash.load(m.save(tmp_path / "bn.pt"))
    np.testing.assert_array_equal(loaded.embed(X), m.embed(X))  # running statistics restored too
    with pytest.raises(ValueError):
        DeepSupervisedHash(batch_norm="yes", progress=False).fit(X, y)


def test_cache_names_with_dots_never_collide(tmp_path):
    """α = 0.005 and α = 0.01 (same bits) are two files; the stem keeps every character after a dot."""
    from lshlab.hashing.dsh_cache import dsh_cache_name, fit_or_load

    X, y = _toy(n_per_class=8)
    kw = dict(n_bits=4, max_iter=1, batch_size=12, random_state=0, n_jobs=1, progress=False)
    a, _ = fit_or_load(X, y, cache_dir=tmp_path, alpha=0.005, **kw)
    b, _ = fit_or_load(X, y, cache_dir=tmp_path, alpha=0.01, **kw)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and all(n.endswith(".pt") for n in names)  # one file per model, nothing else
    assert [n.split("_")[:6] for n in names] == [["dsh", "b4", "a0.005", "i1", "n24", "s0"],
                                                 ["dsh", "b4", "a0.01", "i1", "n24", "s0"]]
    a2, cached_a = fit_or_load(X, y, cache_dir=tmp_path, alpha=0.005, **kw)
    b2, cached_b = fit_or_load(X, y, cache_dir=tmp_path, alpha=0.01, **kw)
    assert cached_a and cached_b and (a2.alpha, b2.alpha) == (0.005, 0.01)
    np.testing.assert_array_equal(a2.embed(X), a.embed(X))
    assert dsh_cache_name(16, 0.005, 3, 55000, 0) == "dsh_b16_a0.005_i3_n55000_s0"
    assert dsh_cache_name(16, 0.005, 3, 55000, 0, {"learning_rate": 0.001}) != dsh_cache_name(
        16, 0.005, 3, 55000, 0, {"learning_rate": 0.003})


def test_fit_or_load_many_parallel_equals_serial(tmp_path):
    """Two worker processes (one thread each) give the same models as in-process fits with one thread."""
    from lshlab.hashing.dsh_cache import fit_or_load_many

    X, y = _toy(n_per_class=8)
    grid = [dict(n_bits=K, alpha=0.01, max_iter=1, batch_size=12, random_state=0, n_jobs=1, progress=False)
            for K in (4, 6)]
    par = fit_or_load_many(X, y, grid, n_jobs=2, cache_dir=tmp_path / "par", validation=(X[:10], y[:10]))
    ser = fit_or_load_many(X, y, grid, n_jobs=1, cache_dir=tmp_path / "ser", validation=(X[:10], y[:10]))
    assert [c for _, c in par] == [False, False] == [c for _, c in ser]
    for (mp, _), (ms, _) in zip(par, ser):
        np.testing.assert_array_equal(mp.embed(X), ms.embed(X))
        assert [h["val_map"] for h in mp.loss_history_] == [h["val_map"] for h in ms.loss_history_]
    again = fit_or_load_many(X, y, grid, n_jobs=2, cache_dir=tmp_path / "par")
    assert [c for _, c in again] == [True, True]
    with pytest.raises(ValueError, match="param_list is empty"):
        fit_or_load_many(X, y, [], n_jobs=2)
    with pytest.raises(ValueError, match="integer random_state"):
        fit_or_load_many(X, y, [dict(grid[0], random_state=None)] * 2, n_jobs=2, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="n_bits"):
        fit_or_load_many(X, y, [dict(grid[0], n_bits=0)] * 2, n_jobs=2, cache_dir=tmp_path)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_fit_or_load_many_progress_counts_the_models_it_trains(tmp_path, capsys, n_jobs):
    from lshlab.hashing.dsh_cache import fit_or_load_many

    X, y = _toy(n_per_class=8)
    grid = [dict(n_bits=K, alpha=0.01, max_iter=1, batch_size=12, random_state=0, n_jobs=1, progress=False)
            for K in (4, 6)]
    fit_or_load_many(X, y, grid[:1], n_jobs=n_jobs, cache_dir=tmp_path)  # one model cached beforehand
    capsys.readouterr()
    fit_or_load_many(X, y, grid, n_jobs=n_jobs, cache_dir=tmp_path)
    err = capsys.readouterr().err
    assert "training 1 DSH model(s)" in err and "1/1" in err
    fit_or_load_many(X, y, grid, n_jobs=n_jobs, cache_dir=tmp_path)  # everything cached: no bar
    assert "DSH model" not in capsys.readouterr().err
    fit_or_load_many(X, y, grid, n_jobs=n_jobs, cache_dir=tmp_path / "quiet", progress=False)
    assert "DSH model" not in capsys.readouterr().err


# ------------------------------------------------------------- saved files: every field checked on load
TAMPERED_METADATA = [
    ("pixel_std_ zero", set_field("pixel_std_", 0.0), r"pixel_std_.*> 0"),
    ("pixel_std_ negative", set_field("pixel_std_", -1.0), r"pixel_std_.*> 0"),
    ("pixel_std_ NaN", set_field("pixel_std_", float("nan")), r"pixel_std_"),
    ("pixel_mean_ string", set_field("pixel_mean_", "0.5"), r"pixel_mean_.*number"),
    ("n_features_in_ string", set_field("n_features_in_", "x"), r"n_features_in_.*integer"),
    ("n_features_in_ bool", set_field("n_features_in_", True), r"n_features_in_.*integer"),
    ("n_features_in_ zero", set_field("n_features_in_", 0), r"n_features_in_.*>= 1"),
    ("n_features_in_ float", set_field("n_features_in_", 784.0), r"n_features_in_.*integer"),
    ("n_features_in_ vs image_shape", set_field("n_features_in_", 100), r"n_features_in_.*784"),
    ("margin_ vs params", set_field("margin_", 3.0), r"margin_.*3\.0, but the parameters give 16\.0"),
    ("metadata a JSON list", lambda meta: [meta], r"JSON object, got a JSON list"),
    ("metadata a number", lambda meta: 3, r"JSON object, got a JSON int"),
    ("missing field", drop_field("pixel_mean_"), r"missing \['pixel_mean_'\]"),
    ("unknown field", set_field("extra", 1), r"unknown \['extra'\]"),
    ("params a list", set_field("params", [1, 2]), r"'params'.*JSON object"),
    ("params missing key", drop_field("params", "alpha"), r"'params'.*missing \['alpha'\]"),
    ("params of the old vocabulary", set_field("params", "epochs", 4), r"'params'.*unknown \['epochs'\]"),
    ("params n_bits zero", set_field("params", "n_bits", 0), r"'params'.*n_bits"),
    ("params learning_rate negative", set_field("params", "learning_rate", -1.0), r"'params'.*learning_rate"),
    ("params image_shape too small", set_field("params", "image_shape", [4, 4]), r"'params'.*image_shape"),
    ("params image_shape not a pair", set_field("params", "image_shape", 28), r"'params'.*image_shape"),
    ("params random_state string", set_field("params", "random_state", "zero"), r"'params'.*random_state"),
    ("params batch_norm string", set_field("params", "batch_norm", "yes"), r"'params'.*batch_norm"),
    ("params schedule unknown", set_field("params", "learning_rate_schedule", "step"), r"'params'.*schedule"),
    ("loss history not a list", set_field("loss_history_", {"loss": 1}), r"loss_history_.*list"),
    ("loss history entry string", set_field("loss_history_", 0, "loss", "low"), r"loss_history_.*number"),
    ("loss history entry missing key", drop_field("loss_history_", 0, "pair_loss"), r"loss_history_.*pair_loss"),
    ("loss history length vs max_iter", lambda m: {**m, "loss_history_": m["loss_history_"][:2]},
     r"loss_history_.*max_iter=4"),
]


@pytest.mark.parametrize("edit, match", [pytest.param(e, m, id=i) for i, e, m in TAMPERED_METADATA])
def test_load_rejects_tampered_metadata(fitted, tmp_path, edit, match):
    from lshlab.persistence import ModelFileError

    model, _, _ = fitted
    path = model.save(tmp_path / "model.pt")
    DeepSupervisedHash.load(path)  # the untouched file loads
    rewrite(path, edit_meta=edit)
    with pytest.raises(ModelFileError, match=match) as info:
        DeepSupervisedHash.load(path)
    assert str(path) in str(info.value) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("edit, match", [
    pytest.param(lambda s: s.pop("head.3.bias"), r"weights do not fit.*Missing key", id="tensor missing"),
    pytest.param(lambda s: s.update(extra=torch.zeros(1)), r"weights do not fit.*Unexpected key", id="extra tensor"),
    pytest.param(lambda s: s.update({"head.3.bias": torch.zeros(5)}), r"weights do not fit.*size mismatch",
                 id="wrong shape"),
])
def test_load_rejects_weights_of_another_network(fitted, tmp_path, edit, match):
    from lshlab.persistence import ModelFileError

    model, _, _ = fitted
    path = model.save(tmp_path / "model.pt")
    rewrite(path, edit_state=edit)
    with pytest.raises(ModelFileError, match=match):
        DeepSupervisedHash.load(path)


def test_load_refuses_the_old_two_file_format(fitted, tmp_path):
    """Version 1 (a bare state dict ``<stem>.pt`` + ``<stem>.json``) is refused with a clear message."""
    from lshlab.persistence import ModelFileError

    model, _, _ = fitted
    torch.save(model.net_.state_dict(), tmp_path / "old.pt")
    (tmp_path / "old.json").write_text(json.dumps({"format_version": 1, "class": "DeepSupervisedHash"}))
    with pytest.raises(ModelFileError, match=r"old\.pt.*two-file format.*Retrain"):
        DeepSupervisedHash.load(tmp_path / "old.pt")


def test_fit_or_load_refits_a_cached_model_of_another_version(tmp_path):
    """A cached file that cannot be used (here: another format version) is refitted, with a warning naming it."""
    from lshlab.hashing.dsh_cache import fit_or_load

    X, y = _toy(n_per_class=8)
    kw = dict(n_bits=4, max_iter=1, batch_size=12, random_state=0, n_jobs=1, progress=False)
    a, _ = fit_or_load(X, y, cache_dir=tmp_path, **kw)
    (path,) = tmp_path.iterdir()
    payload = torch.load(path, weights_only=True)
    torch.save({**payload, "format_version": 1}, path)
    with pytest.warns(UserWarning, match=rf"refitting {re.escape(str(path))}.*format version 1"):
        b, cached = fit_or_load(X, y, cache_dir=tmp_path, **kw)
    assert not cached
    np.testing.assert_array_equal(b.embed(X), a.embed(X))  # same seed: the same model again
    c, cached = fit_or_load(X, y, cache_dir=tmp_path, **kw)  # and the file is usable again
    assert cached and [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_encode_many_equals_transform(fitted, n_jobs, capsys):
    from lshlab.hashing.dsh_cache import encode_many

    model, X, y = fitted
    other = DeepSupervisedHash(n_bits=6, max_iter=1, batch_size=12, random_state=1, n_jobs=1, progress=False).fit(X, y)
    codes = encode_many([model, other], X, n_jobs=n_jobs)
    np.testing.assert_array_equal(codes[0], model.transform(X))
    np.testing.assert_array_equal(codes[1], other.transform(X))
    assert "2/2" in capsys.readouterr().err
    with pytest.raises(ValueError, match="empty"):
        encode_many([], X)
    with pytest.raises(ValueError, match="DeepSupervisedHash"):
        encode_many([model, "model"], X)
    with pytest.raises(ValueError):
        encode_many([model], X[:, :100])  # wrong image size: the model's own check
