import json

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from lshlab.features import ConvAutoencoder


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
    ae = ConvAutoencoder(latent_dim=8, variant=variant, image_shape=(12, 12), epochs=25, lr=3e-3,
                         batch_size=32, random_state=0, n_threads=1, progress=False).fit(X)
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
    ae = ConvAutoencoder(latent_dim=8, variant="deep", image_shape=(16, 16), epochs=4, lr=1e-3, batch_size=16,
                         random_state=0, n_threads=1, progress=False).fit(X)
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
    kw = dict(latent_dim=4, variant=variant, image_shape=(12, 12), epochs=3, batch_size=16, random_state=3,
              n_threads=1, progress=False)
    a = ConvAutoencoder(**kw).fit(X)
    b = ConvAutoencoder(**kw).fit(X)
    np.testing.assert_array_equal(a.encode(X), b.encode(X))
    path = a.save(tmp_path / "ae.pt")
    c = ConvAutoencoder.load(path)
    np.testing.assert_array_equal(a.encode(X), c.encode(X))
    np.testing.assert_array_equal(a.reconstruct(X), c.reconstruct(X))
    assert c.loss_history_ == a.loss_history_
    state = torch.load(path, weights_only=True)
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
    ae = ConvAutoencoder(latent_dim=4, variant=variant, image_shape=(12, 12), epochs=2, batch_size=8,
                         random_state=0, n_threads=1, progress=False).fit(X)
    Z = ae.encode(X)
    np.testing.assert_allclose(ae.encode(X[3:4]), Z[3:4], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ae.reconstruct(X[:1]), ae.reconstruct(X)[:1], rtol=1e-5, atol=1e-6)


def test_load_rejects_weights_of_another_architecture(tmp_path):
    X = _blobs(16)
    ae = ConvAutoencoder(latent_dim=4, image_shape=(12, 12), epochs=1, random_state=0, progress=False).fit(X)
    path = ae.save(tmp_path / "ae.pt")
    meta_path = tmp_path / "ae.pt.json"
    meta = json.loads(meta_path.read_text())
    meta["params"]["variant"] = "deep"  # shallow weights announced as deep (e.g. an old or edited file)
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="does not hold the weights of a 'deep' autoencoder"):
        ConvAutoencoder.load(path)


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
        ConvAutoencoder(**{"image_shape": (12, 12), "epochs": 1, "progress": False, **kwargs}).fit(X)


def test_unfitted_and_missing_files(tmp_path):
    with pytest.raises(RuntimeError, match="not fitted"):
        ConvAutoencoder().encode(np.zeros((1, 784), np.float32))
    with pytest.raises(FileNotFoundError):
        ConvAutoencoder.load(tmp_path / "nope.pt")
