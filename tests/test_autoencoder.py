import json

import numpy as np
import pytest
import torch
from model_files import drop_field, rewrite, set_field
from sklearn.datasets import load_digits

from lshlab.features import ConvAutoencoder
from lshlab.persistence import ModelFileError


def _blobs(n=96, side=12, seed=0):
    """Tiny images: a bright square at one of four positions, plus noise; values in [0, 1]."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 0.1, size=(n, side, side)).astype(np.float32)
    for i in range(n):
        r, c = divmod(i % 4, 2)
        X[i, r * 6 : r * 6 + 5, c * 6 : c * 6 + 5] = 0.9
    return X.reshape(n, -1)


@pytest.mark.parametrize("variant", ["shallow", "deep"])
def test_reconstruction_error_drops(variant):
    X = _blobs()
    ae = ConvAutoencoder(latent_dim=8, variant=variant, image_shape=(12, 12), max_iter=25, learning_rate=3e-3,
                         batch_size=32, random_state=0, n_jobs=1, progress=False).fit(X)
    assert ae.loss_history_[-1] < 0.5 * ae.loss_history_[0]
    Z = ae.encode(X)
    assert Z.shape == (96, 8) and Z.dtype == np.float32
    assert ae.reconstruct(X).shape == X.shape


def _digits(n=384):
    """Real hand-written digits (scikit-learn's 8 x 8 set, always available), upsampled to 16 x 16 in [0, 1]."""
    images = load_digits().images[:n].astype(np.float32) / 16
    return np.kron(images, np.ones((1, 2, 2), np.float32)).reshape(n, -1)


def test_deep_variant_does_not_collapse_on_digits():
    # Regression (issue 10): without batch normalisation the deep variant's activations blew up in the
    # first Adam steps, the output sigmoid saturated and the network returned the same image for every
    # input, so its loss stayed at the loss of the best constant output.
    X = _digits()
    constant_loss = X.var(axis=0).mean()  # MSE of the best input-independent output, the mean image
    ae = ConvAutoencoder(latent_dim=8, variant="deep", image_shape=(16, 16), max_iter=4, learning_rate=1e-3,
                         batch_size=16, random_state=0, n_jobs=1, progress=False).fit(X)
    assert ae.loss_history_[-1] < 0.5 * constant_loss, (ae.loss_history_, constant_loss)
    R = ae.reconstruct(X)
    assert ((R - X) ** 2).mean() < 0.5 * constant_loss
    # the reconstructions vary with the input about as much as the images do ...
    assert R.std(axis=0).mean() > 0.5 * X.std(axis=0).mean()
    # ... and many are closer to their own input than to any other image (chance: 1 in 384)
    nearest = ((R[:, None, :] - X[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    assert (nearest == np.arange(len(X))).mean() > 0.2


@pytest.mark.parametrize("variant", ["shallow", "deep"])
def test_deterministic_and_save_load_roundtrip(tmp_path, variant):
    X = _blobs(48)
    kw = dict(latent_dim=4, variant=variant, image_shape=(12, 12), max_iter=3, batch_size=16, random_state=3,
              n_jobs=1, progress=False)
    a = ConvAutoencoder(**kw).fit(X)
    b = ConvAutoencoder(**kw).fit(X)
    np.testing.assert_array_equal(a.encode(X), b.encode(X))
    path = a.save(tmp_path / "ae.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["ae.pt"]  # one file: weights and metadata together
    c = ConvAutoencoder.load(path)
    np.testing.assert_array_equal(a.encode(X), c.encode(X))
    np.testing.assert_array_equal(a.reconstruct(X), c.reconstruct(X))
    assert c.loss_history_ == a.loss_history_ and c.n_iter_ == a.n_iter_ == 3
    assert c._params() == a._params()
    state = torch.load(path, weights_only=True)["state_dict"]
    if variant == "deep":  # batch-norm running statistics travel with the weights
        restored = {**{f"encoder.{k}": v for k, v in c.encoder_.state_dict().items()},
                    **{f"decoder.{k}": v for k, v in c.decoder_.state_dict().items()}}
        stats = [k for k in state if k.endswith(("running_mean", "running_var"))]
        assert len(stats) == 2 * 9  # 6 convolutions in the encoder, 3 in the decoder
        assert all(torch.equal(state[k], restored[k]) for k in stats)
        assert not c.encoder_.training and not c.decoder_.training


@pytest.mark.parametrize("variant", ["shallow", "deep"])
def test_encode_does_not_depend_on_the_batch(variant):
    # batch norm must run on its running statistics at inference: one image alone gets the code it gets
    # among others
    X = _blobs(16)
    ae = ConvAutoencoder(latent_dim=4, variant=variant, image_shape=(12, 12), max_iter=2, batch_size=8,
                         random_state=0, n_jobs=1, progress=False).fit(X)
    Z = ae.encode(X)
    np.testing.assert_allclose(ae.encode(X[3:4]), Z[3:4], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ae.reconstruct(X[:1]), ae.reconstruct(X)[:1], rtol=1e-5, atol=1e-6)


def test_load_rejects_weights_of_another_architecture(tmp_path):
    X = _blobs(16)
    ae = ConvAutoencoder(latent_dim=4, image_shape=(12, 12), max_iter=1, random_state=0, progress=False).fit(X)
    path = ae.save(tmp_path / "ae.pt")
    rewrite(path, set_field("params", "variant", "deep"))  # shallow weights announced as deep
    with pytest.raises(ModelFileError, match="does not hold the weights of a 'deep' autoencoder"):
        ConvAutoencoder.load(path)


@pytest.fixture(scope="module")
def saved_shallow(tmp_path_factory):
    X = _blobs(16)
    ae = ConvAutoencoder(latent_dim=4, image_shape=(12, 12), max_iter=2, random_state=0, progress=False).fit(X)
    return ae.save(tmp_path_factory.mktemp("ae") / "ae.pt")


@pytest.mark.parametrize("edit, match", [
    pytest.param(set_field("params", "latent_dim", "x"), r"'params'.*latent_dim", id="latent_dim string"),
    pytest.param(set_field("params", "variant", "huge"), r"'params'.*variant", id="unknown variant"),
    pytest.param(set_field("params", "image_shape", [10, 10]), r"'params'.*divisible by 4", id="image_shape"),
    pytest.param(set_field("params", "learning_rate", 0), r"'params'.*learning_rate", id="learning_rate 0"),
    pytest.param(set_field("params", "n_jobs", 0), r"'params'.*n_jobs", id="n_jobs 0"),
    pytest.param(set_field("params", "random_state", 1.5), r"'params'.*random_state", id="random_state float"),
    pytest.param(set_field("params", "lr", 0.1), r"'params'.*unknown \['lr'\]", id="old vocabulary"),
    pytest.param(drop_field("params", "batch_size"), r"'params'.*missing \['batch_size'\]", id="missing param"),
    pytest.param(set_field("loss_history_", ["low", 0.1]), r"loss_history_.*number", id="loss string"),
    pytest.param(set_field("loss_history_", [0.1]), r"loss_history_.*1 losses for max_iter=2", id="loss length"),
    pytest.param(lambda meta: list(meta), r"JSON object, got a JSON list", id="metadata a list"),
    pytest.param(drop_field("loss_history_"), r"missing \['loss_history_'\]", id="missing field"),
])
def test_load_rejects_tampered_metadata(saved_shallow, tmp_path, edit, match):
    path = tmp_path / "ae.pt"
    path.write_bytes(saved_shallow.read_bytes())
    ConvAutoencoder.load(path)  # the untouched copy loads
    rewrite(path, edit)
    with pytest.raises(ModelFileError, match=match) as info:
        ConvAutoencoder.load(path)
    assert str(path) in str(info.value)


def test_load_refuses_the_old_two_file_format(saved_shallow, tmp_path):
    """Version 1 wrote ``path`` (a bare state dict) and ``path.json``; it is refused with a clear message."""
    state = torch.load(saved_shallow, weights_only=True)["state_dict"]
    torch.save(state, tmp_path / "old.pt")
    (tmp_path / "old.pt.json").write_text(json.dumps({"params": {}, "loss_history": []}))
    with pytest.raises(ModelFileError, match=r"old\.pt.*two-file format.*Retrain the ConvAutoencoder"):
        ConvAutoencoder.load(tmp_path / "old.pt")


def test_load_rejects_a_saved_model_of_another_class(saved_shallow, tmp_path):
    from lshlab.hashing import DeepSupervisedHash

    with pytest.raises(ModelFileError, match=r"holds a 'ConvAutoencoder', not a DeepSupervisedHash"):
        DeepSupervisedHash.load(saved_shallow)


@pytest.mark.parametrize(
    "kwargs, X, match",
    [
        ({"variant": "huge"}, None, "variant"),
        ({"latent_dim": 0}, None, "latent_dim"),
        ({"image_shape": (10, 10)}, None, "divisible by 4"),
        ({}, np.full((4, 144), 2.0, np.float32), r"\[0, 1\]"),
        ({}, np.zeros((4, 100), np.float32), "columns"),
        ({}, np.full((4, 144), np.nan, np.float32), "NaN"),
    ],
)
def test_bad_input(kwargs, X, match):
    X = _blobs(8) if X is None else X
    with pytest.raises(ValueError, match=match):
        ConvAutoencoder(**{"image_shape": (12, 12), "max_iter": 1, "progress": False, **kwargs}).fit(X)


def test_unfitted_and_missing_files(tmp_path):
    with pytest.raises(RuntimeError, match="not fitted"):
        ConvAutoencoder().encode(np.zeros((1, 784), np.float32))
    with pytest.raises(FileNotFoundError):
        ConvAutoencoder.load(tmp_path / "nope.pt")


def test_progress_bar_counts_every_image_of_every_epoch(capsys):
    X = np.random.default_rng(0).random((40, 144)).astype(np.float32)
    ConvAutoencoder(latent_dim=4, image_shape=(12, 12), max_iter=2, batch_size=16, random_state=0, n_jobs=1,
                    progress=True).fit(X)
    err = capsys.readouterr().err
    assert "80.0/80.0" in err and "epoch=2" in err  # unit_scale: 9.0k/9.0k at the size of a lecture
    ConvAutoencoder(latent_dim=4, image_shape=(12, 12), max_iter=1, random_state=0, n_jobs=1, progress=False).fit(X)
    assert "autoencoder" not in capsys.readouterr().err
