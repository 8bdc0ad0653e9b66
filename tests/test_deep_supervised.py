"""DeepSupervisedHash: loss vs hand computation, gradients, codes, persistence, learning, determinism, errors."""

import itertools

import numpy as np
import pytest
import torch

from lshlab.hashing import DeepSupervisedHash
from lshlab.hashing.deep_supervised import DSHNet, _compact_top, dsh_loss, hamming_map_at_k
from lshlab.metrics import average_precision


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
    model = DeepSupervisedHash(n_bits=8, epochs=4, batch_size=40, random_state=0, n_threads=1, progress=False)
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
    assert hamming_map_at_k(model.transform(Xq), yq, model.transform(X), y, k=10) > 0.95
    hist = model.loss_history_
    assert len(hist) == 4 and hist[-1]["loss"] < hist[0]["loss"]


def test_save_load_round_trip(fitted, tmp_path):
    model, X, _ = fitted
    pt, js = model.save(tmp_path / "sub" / "model")
    assert pt.exists() and js.exists()
    loaded = DeepSupervisedHash.load(tmp_path / "sub" / "model")
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    np.testing.assert_array_equal(loaded.embed(X), model.embed(X))
    assert loaded.get_params() == model.get_params()
    assert loaded.loss_history_ == model.loss_history_
    with pytest.raises(FileNotFoundError, match="no saved DeepSupervisedHash"):
        DeepSupervisedHash.load(tmp_path / "missing")


def test_deterministic_under_random_state():
    X, y = _toy(n_per_class=10)
    kw = dict(n_bits=4, epochs=1, batch_size=10, n_threads=1, progress=False)
    a = DeepSupervisedHash(random_state=3, **kw).fit(X, y)
    b = DeepSupervisedHash(random_state=3, **kw).fit(X, y)
    c = DeepSupervisedHash(random_state=4, **kw).fit(X, y)
    np.testing.assert_array_equal(a.embed(X), b.embed(X))
    assert [h["loss"] for h in a.loss_history_] == [h["loss"] for h in b.loss_history_]
    assert not np.array_equal(a.embed(X), c.embed(X))
    assert torch.get_num_threads() >= 1


def test_validation_map_recorded():
    X, y = _toy(n_per_class=10)
    m = DeepSupervisedHash(n_bits=4, epochs=2, batch_size=15, random_state=0, n_threads=1, progress=False)
    m.fit(X, y, validation=(X[:20], y[:20]))
    assert all(0.0 <= h["val_map"] <= 1.0 for h in m.loss_history_)


def test_compact_top_keeps_ap_exact():
    rng = np.random.default_rng(0)
    D = rng.integers(0, 6, size=(30, 200))
    rel = rng.random((30, 200)) < 0.3
    Dc, Rc = _compact_top(D, rel, 10)
    assert Dc.shape[1] < 200
    for ties in ("average", "index"):
        np.testing.assert_allclose(
            average_precision(Dc, Rc, at_k=10, ties=ties), average_precision(D, rel, at_k=10, ties=ties)
        )


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
        ({"lr_schedule": "step"}, np.zeros((4, 784)), [0, 1, 0, 1]),
        ({}, np.full((4, 784), np.nan), [0, 1, 0, 1]),
    ],
)
def test_bad_inputs(params, X, y):
    with pytest.raises(ValueError):
        DeepSupervisedHash(progress=False, epochs=1, **params).fit(X, y)


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
    d = np.count_nonzero(codes[8][1] != codes[8][0][2], axis=1)
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
    from lshlab.hashing.deep_supervised import fit_or_load, train_validation_split

    X, y = _toy(n_per_class=8)
    kw = dict(n_bits=4, epochs=1, batch_size=12, random_state=0, n_threads=1, progress=False)
    a, cached_a = fit_or_load(X, y, cache_dir=tmp_path, **kw)
    b, cached_b = fit_or_load(X, y, cache_dir=tmp_path, **kw)
    assert (cached_a, cached_b) == (False, True)
    np.testing.assert_array_equal(a.embed(X), b.embed(X))
    c, cached_c = fit_or_load(X, y, cache_dir=tmp_path, **{**kw, "lr": 0.01})  # other params: refit
    assert not cached_c
    tr, va = train_validation_split(50, 10, seed=1)
    assert len(tr) == 40 and len(va) == 10 and not set(tr) & set(va)
    with pytest.raises(ValueError):
        train_validation_split(10, 10)


def test_batch_norm_variant_round_trip(tmp_path):
    X, y = _toy(n_per_class=10)
    m = DeepSupervisedHash(n_bits=6, epochs=2, batch_size=15, batch_norm=True, random_state=0, n_threads=1,
                           progress=False).fit(X, y)
    assert any(isinstance(layer, torch.nn.BatchNorm2d) for layer in m.net_.features)
    m.save(tmp_path / "bn")
    loaded = DeepSupervisedHash.load(tmp_path / "bn")
    np.testing.assert_array_equal(loaded.embed(X), m.embed(X))  # running statistics restored too
    with pytest.raises(ValueError):
        DeepSupervisedHash(batch_norm="yes", progress=False).fit(X, y)


def test_cache_names_with_dots_never_collide(tmp_path):
    """α = 0.005 and α = 0.01 (same bits) are two files; a suffix-less stem keeps every character."""
    from lshlab.hashing.deep_supervised import _model_paths, fit_or_load

    X, y = _toy(n_per_class=8)
    kw = dict(n_bits=4, epochs=1, batch_size=12, random_state=0, n_threads=1, progress=False)
    a, _ = fit_or_load(X, y, cache_dir=tmp_path, alpha=0.005, **kw)
    b, _ = fit_or_load(X, y, cache_dir=tmp_path, alpha=0.01, **kw)
    assert len(list(tmp_path.glob("*.pt"))) == 2 and len(list(tmp_path.glob("*.json"))) == 2
    a2, cached_a = fit_or_load(X, y, cache_dir=tmp_path, alpha=0.005, **kw)
    b2, cached_b = fit_or_load(X, y, cache_dir=tmp_path, alpha=0.01, **kw)
    assert cached_a and cached_b and (a2.alpha, b2.alpha) == (0.005, 0.01)
    np.testing.assert_array_equal(a2.embed(X), a.embed(X))
    assert _model_paths(tmp_path / "m_a0.005") == (tmp_path / "m_a0.005.pt", tmp_path / "m_a0.005.json")
    assert _model_paths(tmp_path / "m.pt") == (tmp_path / "m.pt", tmp_path / "m.json")


def test_fit_or_load_many_parallel_equals_serial(tmp_path):
    """Two worker processes (one thread each) give the same models as in-process fits with one thread."""
    from lshlab.hashing.deep_supervised import fit_or_load_many

    X, y = _toy(n_per_class=8)
    grid = [dict(n_bits=K, alpha=0.01, epochs=1, batch_size=12, random_state=0, n_threads=1, progress=False)
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
