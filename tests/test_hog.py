"""HOG features: agreement with scikit-image image by image, the length formula, input handling."""

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
    ],
)
def test_bad_inputs(bad, kwargs):
    with pytest.raises(ValueError):
        hog_features(bad, **kwargs)
