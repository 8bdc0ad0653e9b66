import numpy as np
import pytest

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


def test_deterministic_and_save_load_roundtrip(tmp_path):
    X = _blobs(48)
    kw = dict(latent_dim=4, image_shape=(12, 12), epochs=3, batch_size=16, random_state=3, n_threads=1, progress=False)
    a = ConvAutoencoder(**kw).fit(X)
    b = ConvAutoencoder(**kw).fit(X)
    np.testing.assert_array_equal(a.encode(X), b.encode(X))
    path = a.save(tmp_path / "ae.pt")
    c = ConvAutoencoder.load(path)
    np.testing.assert_array_equal(a.encode(X), c.encode(X))
    np.testing.assert_array_equal(a.reconstruct(X), c.reconstruct(X))
    assert c.loss_history_ == a.loss_history_


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
