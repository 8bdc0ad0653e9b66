"""HOG features: the vectorised computation equals scikit-image image by image; length formula; input handling."""

import numpy as np
import pytest
from skimage.feature import hog

from lshlab.features import hog_features
from lshlab.features.hog import hog_feature_length


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.random((5, 28, 28)).astype(np.float32)


@pytest.mark.parametrize("ppc,cpb,expected", [((4, 4), (2, 2), 1296), ((7, 7), (2, 2), 324), ((7, 7), (1, 1), 144)])
def test_length_formula_and_skimage_agree(images, ppc, cpb, expected):
    F = hog_features(images, pixels_per_cell=ppc, cells_per_block=cpb)
    assert F.dtype == np.float32
    assert F.shape == (5, expected) == (5, hog_feature_length((28, 28), 9, ppc, cpb))
    for i in range(5):
        ref = hog(images[i], orientations=9, pixels_per_cell=ppc, cells_per_block=cpb, block_norm="L2-Hys")
        np.testing.assert_allclose(F[i], ref, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"pixels_per_cell": (7, 7)},  # odd cells: every pixel of the cell votes
        {"pixels_per_cell": (5, 3), "cells_per_block": (3, 2), "orientations": 7, "block_norm": "L1"},
        {"block_norm": "L2", "transform_sqrt": True},
        {"block_norm": "L1-sqrt", "orientations": 12},
    ],
)
def test_vectorized_equals_skimage_bit_for_bit(kwargs):
    """Real images (with flat background, exact 0° / 90° / 180° gradients) and random ones, many bins."""
    from lshlab.data import load_dataset

    rng = np.random.default_rng(1)
    digits = load_dataset("digits", n_train=20, n_query=1, seed=0).X_train.reshape(-1, 8, 8)
    blown_up = np.kron(digits, np.ones((1, 4, 4), np.float32))[:, 2:30, 2:30]  # 8x8 -> 32x32, centre 28x28
    X = np.concatenate([
        blown_up.reshape(-1, 784),
        rng.random((20, 784)).astype(np.float32),
        (rng.random((20, 784)) < 0.5).astype(np.float32),  # binary images: many ties on the bin edges
    ])
    fast = hog_features(X, **kwargs)
    ref = hog_features(X, method="skimage", **kwargs)
    np.testing.assert_array_equal(fast, ref)
    for i in (0, 25, 50):  # and "skimage" really is scikit-image's function
        kw = {k: v for k, v in kwargs.items()}
        np.testing.assert_array_equal(ref[i], hog(X[i].reshape(28, 28), **{
            "orientations": 9, "pixels_per_cell": (4, 4), "cells_per_block": (2, 2), "block_norm": "L2-Hys", **kw}))


def test_vectorized_blocks_do_not_change_the_result(monkeypatch, images):
    import lshlab.features.hog as hog_module

    whole = hog_features(images)
    monkeypatch.setattr(hog_module, "_BLOCK_IMAGES", 2)  # blocks of 2, 2 and 1 images
    np.testing.assert_array_equal(hog_features(images), whole)


def test_flat_rows_equal_images(images):
    np.testing.assert_array_equal(hog_features(images.reshape(5, 784)), hog_features(images))


def test_hog_separates_edge_orientations():
    """A vertical edge votes into the 0° gradient bin, a horizontal edge into the 90° bin."""
    v = np.zeros((28, 28), np.float32)
    v[:, 14:] = 1
    h = v.T.copy()
    Fv = hog_features(v[None], pixels_per_cell=(28, 28), cells_per_block=(1, 1), orientations=4, block_norm="L1")
    Fh = hog_features(h[None], pixels_per_cell=(28, 28), cells_per_block=(1, 1), orientations=4, block_norm="L1")
    assert Fv[0].argmax() != Fh[0].argmax()
    assert Fv[0].max() > 0.9 and Fh[0].max() > 0.9


@pytest.mark.parametrize(
    "bad,kwargs",
    [
        (np.zeros((3, 100)), {}),
        (np.zeros((3, 27, 27)), {}),
        (np.zeros(784), {}),
        (np.zeros((0, 784)), {}),
        (np.full((2, 784), np.nan), {}),
        (np.zeros((2, 784)), {"pixels_per_cell": (20, 20)}),
        (np.zeros((2, 784)), {"block_norm": "L3"}),
        (np.zeros((2, 784)), {"orientations": 0}),
        (np.zeros((2, 784)), {"method": "opencv"}),
        (-np.ones((2, 784)), {"transform_sqrt": True}),
    ],
)
def test_bad_inputs(bad, kwargs):
    with pytest.raises(ValueError):
        hog_features(bad, **kwargs)
