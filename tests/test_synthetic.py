"""Generated database: the model's moments are reproduced within sampling error, codes composed in
latent space equal the codes of the reconstructed images, chunks are reproducible."""

import os
from pathlib import Path

import numpy as np
import pytest

from lshlab.data import load_dataset
from lshlab.hashing import ITQHash, PCAHash, RandomHyperplaneHash, SpectralHash
from lshlab.synthetic import GaussianImageModel, code_database, database_features, linear_code_map, synthetic_codes


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="module")
def model(digits):
    return GaussianImageModel(n_components=16).fit(digits.X_train, digits.y_train)


def test_fit_is_pca_plus_per_class_gaussians(digits, model):
    X, y = digits.X_train.astype(np.float64), digits.y_train
    V = model.components_
    np.testing.assert_allclose(V.T @ V, np.eye(16), atol=1e-10)
    for i, c in enumerate(model.classes_):
        Zc = (X[y == c] - model.mean_) @ V
        np.testing.assert_allclose(model.means_[i], Zc.mean(0), atol=1e-10)
        np.testing.assert_allclose(model.covariances_[i], np.cov(Zc, rowvar=False, bias=True), atol=1e-10)
        L = model.cholesky_[i]
        np.testing.assert_allclose(L @ L.T, model.covariances_[i], atol=1e-8)
    np.testing.assert_allclose(model.priors_, np.bincount(y) / len(y))
    assert 0.5 < model.explained_variance_ratio_ < 1


def test_generated_items_match_the_fitted_moments(model):
    """Per class: frequency, mean and covariance of 200,000 generated latent vectors against the model,
    each as a z-score with its exact sampling standard error (Gaussian: Var S_ij = (Σ_ii Σ_jj + Σ_ij²)/n).
    With 10 × (16 + 136) + 10 statistics, |z| < 5 fails by chance with probability below 1e-3."""
    Z, y = model.sample_latent(200_000, random_state=1)
    n = len(y)
    for i, c in enumerate(model.classes_):
        Zc = Z[y == c]
        nc, p = len(Zc), model.priors_[i]
        assert abs(nc - n * p) / np.sqrt(n * p * (1 - p)) < 5
        S = model.covariances_[i]
        z_mean = (Zc.mean(0) - model.means_[i]) / np.sqrt(np.diag(S) / nc)
        assert np.abs(z_mean).max() < 5
        sd = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S**2) / nc)
        z_cov = (np.cov(Zc, rowvar=False, bias=True) - S) / sd
        assert np.abs(z_cov[np.triu_indices(16)]).max() < 5
    X, _ = model.sample(2000, random_state=1)  # images: x = m + V z, not clipped
    Z2, _ = model.sample_latent(2000, random_state=1)
    np.testing.assert_allclose(X, model.reconstruct(Z2), rtol=1e-6, atol=1e-6)
    assert X.min() < 0  # a Gaussian is not confined to [0, 1]: the model is linear, not clipped


@pytest.mark.parametrize("make", [
    lambda: RandomHyperplaneHash(24, center=True, random_state=0),
    lambda: RandomHyperplaneHash(13, random_state=1),
    lambda: PCAHash(12),
    lambda: ITQHash(16, random_state=0),
])
def test_latent_codes_equal_the_codes_of_the_reconstructed_images(digits, model, make):
    h = make().fit(digits.X_train)
    X, y = model.sample(5000, random_state=3, chunk_rows=700)
    codes, labels = synthetic_codes(model, h, 5000, random_state=3, chunk_rows=700, n_jobs=2)
    np.testing.assert_array_equal(labels, y)
    W, b = linear_code_map(h)
    proj = X.astype(np.float64) @ W + b
    np.testing.assert_array_equal(h.transform(X), (proj >= 0).astype(np.uint8))  # the map is the hasher
    latent = np.unpackbits(codes, axis=1)[:, : W.shape[1]]
    differ = latent != h.transform(X)
    scale = np.abs(proj).mean()
    assert differ.mean() < 1e-4 and (np.abs(proj[differ]) < 1e-4 * scale).all()  # only float rounding at 0


def test_chunks_are_reproducible_and_independent_of_threads(model, digits):
    h = RandomHyperplaneHash(32, center=True, random_state=0).fit(digits.X_train)
    a = synthetic_codes(model, [h], 3000, random_state=5, chunk_rows=256, n_jobs=1)
    b = synthetic_codes(model, [h], 3000, random_state=5, chunk_rows=256, n_jobs=2)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    np.testing.assert_array_equal(a[1], b[1])
    c = synthetic_codes(model, [h], 3000, random_state=6, chunk_rows=256)
    assert (a[0][0] != c[0][0]).any()
    head = synthetic_codes(model, h, 1000, random_state=5, chunk_rows=256)  # a prefix: same first chunks
    np.testing.assert_array_equal(head[0][:768], a[0][0][:768])


def test_code_database_keeps_the_real_images_first(model, digits):
    hs = [ITQHash(16, random_state=0).fit(digits.X_train), RandomHyperplaneHash(40, center=True, random_state=0).fit(digits.X_train)]
    db = code_database(model, hs, digits.X_train, digits.y_train, digits.X_query, digits.y_query, 4000,
                       random_state=0, chunk_rows=500)
    n_real = len(digits.X_train)
    assert db.n_items == 4000 and db.n_real == n_real and set(db.codes) == {16, 40}
    for b, h in zip((16, 40), hs):
        assert db.codes[b].shape == (4000, -(-b // 8))
        np.testing.assert_array_equal(db.codes[b][:n_real], h.transform(digits.X_train, packed=True))
        np.testing.assert_array_equal(db.query_codes[b], h.transform(digits.X_query, packed=True))
        gen, labels = synthetic_codes(model, h, 4000 - n_real, random_state=0, chunk_rows=500)
        np.testing.assert_array_equal(db.codes[b][n_real:], gen)
    np.testing.assert_array_equal(db.labels[:n_real], digits.y_train)
    np.testing.assert_array_equal(db.labels[n_real:], labels)


def test_database_features_are_the_coordinates_of_the_coded_items(model, digits):
    h = RandomHyperplaneHash(32, center=True, random_state=1).fit(digits.X_train)
    db = code_database(model, h, digits.X_train, digits.y_train, digits.X_query, digits.y_query, 5000,
                       random_state=4, chunk_rows=600)
    n_real = db.n_real
    for n in (1000, 2600, 5000):  # inside the real images, mid-chunk and the whole database
        Z = database_features(model, digits.X_train, n, 5000, random_state=4, chunk_rows=600)
        assert Z.shape == (n, 16) and Z.dtype == np.float32
        head = min(n, n_real)
        np.testing.assert_allclose(Z[:head], (digits.X_train[:head] - model.mean_) @ model.components_, atol=1e-4)
        if n > n_real:  # the generated items: hashing their images gives the database's codes
            W, b = linear_code_map(h)
            codes = np.packbits(model.reconstruct(Z[n_real:]) @ W + b >= 0, axis=1)
            assert (codes == db.codes[32][n_real:n]).mean() > 0.999
    with pytest.raises(ValueError, match="exceeds"):
        database_features(model, digits.X_train, 6000, 5000)


def test_bad_inputs(model, digits):
    with pytest.raises(ValueError, match="not fitted"):
        GaussianImageModel(8).sample(10)
    with pytest.raises(ValueError, match="too few"):
        GaussianImageModel(64).fit(digits.X_train[:300], digits.y_train[:300])
    with pytest.raises(ValueError, match="labels"):
        GaussianImageModel(8).fit(digits.X_train, digits.y_train[:10])
    with pytest.raises(ValueError, match="supports fitted RandomHyperplaneHash"):
        linear_code_map(SpectralHash(8).fit(digits.X_train))
    with pytest.raises(ValueError, match="random_state"):
        model.sample(10, random_state=None)
    h = PCAHash(8).fit(digits.X_train)
    with pytest.raises(ValueError, match="n_items"):
        code_database(model, h, digits.X_train, digits.y_train, digits.X_query, digits.y_query, 10)
    with pytest.raises(ValueError, match="features"):
        synthetic_codes(model, PCAHash(4).fit(digits.X_train[:, :10]), 10)


SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.skipif(not (SHARED / "fashion-mnist").is_dir() and not os.environ.get("LSHLAB_DATA_DIR"),
                    reason="Fashion-MNIST files not present")
def test_fashion_mnist_model_keeps_most_of_the_variance():
    ds = load_dataset("fashion-mnist", n_train=6000, n_query=10, download=False)
    m = GaussianImageModel(64).fit(ds.X_train, ds.y_train)
    assert m.explained_variance_ratio_ > 0.85  # 64 of 784 principal directions
    X, y = m.sample(20000, random_state=0)
    for i, c in enumerate(m.classes_):  # each generated class looks like its real class at the pixel level
        real, gen = ds.X_train[ds.y_train == c].mean(0), X[y == c].mean(0)
        assert np.abs(real - gen).max() < 0.05 and np.corrcoef(real, gen)[0, 1] > 0.99
