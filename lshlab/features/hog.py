"""Histogram-of-oriented-gradients (HOG) features with scikit-image, for batches of small images.

HOG (Dalal & Triggs, "Histograms of Oriented Gradients for Human Detection", CVPR 2005) describes an
image by local edge directions: the gradient is computed at every pixel, each cell of
``pixels_per_cell`` pixels votes its gradient magnitudes into ``orientations`` unsigned-orientation bins
(0°–180°), and each block of ``cells_per_block`` cells is normalised (``L2-Hys``: L2-normalise, clip at
0.2, renormalise), which makes the descriptor robust to local contrast changes.  Blocks overlap with a
stride of one cell.

For an ``H × W`` image the feature length is::

    n_blocks_y * n_blocks_x * cells_per_block[0] * cells_per_block[1] * orientations,
    n_blocks_y = H // pixels_per_cell[0] - cells_per_block[0] + 1   (likewise x)

With the defaults on 28 × 28 images (4 × 4-pixel cells → 7 × 7 cells, 2 × 2-cell blocks → 6 × 6 blocks)
that is 6 · 6 · 2 · 2 · 9 = 1,296 features; ``pixels_per_cell=(7, 7)`` gives 3 · 3 · 2 · 2 · 9 = 324.
On a validation split of the Fashion-MNIST training set (7,000 images as database, 1,000 held-out
ones as queries, multi-table LSH as in ``benchmarks/fashion_map.py``) the two choices score alike:
mAP@10 0.718 (4 × 4) vs 0.736 (7 × 7) with 16 tables × 16 bits, 0.767 vs 0.765 with 8 tables × 12 bits.
The default keeps the finer 4 × 4 cells (more detailed pictures); 7 × 7 is four times shorter.

scikit-image computes one image at a time (about 0.3 ms per 28 × 28 image with the defaults, so 21 s
for the 70,000 Fashion-MNIST images).  :func:`hog_features` computes the *same* descriptor for a whole
block of images with array operations, about 10× faster; it reproduces scikit-image step by step
(``skimage.feature.hog`` 0.2x with ``_hoghistogram.hog_histograms``), including its details:

* gradients ``g_row[r] = I[r+1] − I[r−1]`` (zero on the border rows / columns) in the image's float
  type, then float64; magnitude ``hypot(g_col, g_row)``, orientation
  ``arctan2(g_row, g_col) · 180/π mod 180`` (degrees, unsigned);
* pixel → bin ``i`` when ``t_i ≤ θ < t_{i+1}`` with the bin edges ``t_i = 180 i / orientations``
  rounded to float32 (scikit-image keeps them in C ``float``); θ that rounds to exactly 180 votes
  nowhere;
* a cell of ``c`` pixels sums the pixels at offsets ``−⌊c/2⌋ … ⌊c/2⌋ − 1`` around its centre
  ``⌊c/2⌋ + c·index`` (for odd ``c`` the last row / column of the cell is left out, as in
  scikit-image), accumulating in float32 in row-major order — the order of the C loop;
* block normalisation in float64, output float32.

``method="skimage"`` calls ``skimage.feature.hog`` image by image (the reference; the tests check that
both agree to float32 rounding).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int

__all__ = ["hog_features", "hog_feature_length"]


def _pair(value, name):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}") from None
    return check_positive_int(a, f"{name}[0]"), check_positive_int(b, f"{name}[1]")


def hog_feature_length(image_shape=(28, 28), orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2)):
    """Length of the HOG vector for one image (formula in the module docstring)."""
    h, w = _pair(image_shape, "image_shape")
    ph, pw = _pair(pixels_per_cell, "pixels_per_cell")
    bh, bw = _pair(cells_per_block, "cells_per_block")
    orientations = check_positive_int(orientations, "orientations")
    ny, nx = h // ph - bh + 1, w // pw - bw + 1
    if ny < 1 or nx < 1:
        raise ValueError(
            f"image_shape {(h, w)} holds {h // ph} x {w // pw} cells of {(ph, pw)} pixels, fewer than one "
            f"block of {(bh, bw)} cells; use smaller pixels_per_cell or cells_per_block"
        )
    return ny * nx * bh * bw * orientations


def hog_features(
    images,
    image_shape=(28, 28),
    orientations=9,
    pixels_per_cell=(4, 4),
    cells_per_block=(2, 2),
    block_norm="L2-Hys",
    transform_sqrt=False,
    method="vectorized",
):
    """HOG descriptors of a batch of grey-level images (scikit-image's descriptor, computed in blocks).

    Parameters
    ----------
    images : array-like, shape (n, H*W) or (n, H, W)
        Grey-level images, e.g. Fashion-MNIST rows of 784 pixels in [0, 1].  Flat rows are reshaped
        to ``image_shape``.
    image_shape : (int, int), default (28, 28)
        Height and width of one image (used for flat rows; checked against 3-D input).
    orientations : int, default 9
        Number of unsigned orientation bins over 0°–180°.
    pixels_per_cell : (int, int), default (4, 4)
        Cell size in pixels; 28 × 28 images give 7 × 7 cells.
    cells_per_block : (int, int), default (2, 2)
        Block size in cells for the contrast normalisation (stride one cell).
    block_norm : {"L2-Hys", "L2", "L1", "L1-sqrt"}, default "L2-Hys"
        Block normalisation of scikit-image.
    transform_sqrt : bool, default False
        Power-law (square-root) compression of the image before the gradients (images must then be
        non-negative).
    method : {"vectorized", "skimage"}, default "vectorized"
        Array operations over blocks of images, or ``skimage.feature.hog`` once per image (the
        reference; same numbers up to float32 rounding, about 10× slower).

    Returns
    -------
    features : ndarray of float32, shape (n, hog_feature_length(...))
        1,296 columns with the defaults on 28 × 28 images.
    """
    shape = _pair(image_shape, "image_shape")
    arr = np.asarray(images)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"images must hold numbers, got dtype {arr.dtype}")
    if arr.ndim == 2:
        if arr.shape[1] != shape[0] * shape[1]:
            raise ValueError(
                f"images has rows of {arr.shape[1]} values but image_shape={shape} needs "
                f"{shape[0] * shape[1]}; pass (n, H*W) rows or (n, H, W) images"
            )
        arr = arr.reshape(-1, *shape)
    elif arr.ndim == 3:
        if arr.shape[1:] != shape:
            raise ValueError(f"images have shape {arr.shape[1:]} but image_shape={shape}")
    else:
        raise ValueError(f"images must be (n, H*W) or (n, H, W), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError("images is empty; at least one image is needed")
    arr = np.asarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ValueError("images contain NaN or infinite values")
    if block_norm not in _NORMS:
        raise ValueError(f"block_norm must be one of 'L2-Hys', 'L2', 'L1', 'L1-sqrt', got {block_norm!r}")
    if transform_sqrt and (arr < 0).any():
        raise ValueError("transform_sqrt=True takes the square root of the pixels, which must be >= 0")
    if method not in ("vectorized", "skimage"):
        raise ValueError(f"method must be 'vectorized' or 'skimage', got {method!r}")
    orientations = check_positive_int(orientations, "orientations")
    ppc = _pair(pixels_per_cell, "pixels_per_cell")
    cpb = _pair(cells_per_block, "cells_per_block")
    length = hog_feature_length(shape, orientations, ppc, cpb)
    out = np.empty((arr.shape[0], length), dtype=np.float32)
    if method == "skimage":
        from skimage.feature import hog

        for i, image in enumerate(arr):
            out[i] = hog(image, orientations=orientations, pixels_per_cell=ppc, cells_per_block=cpb,
                         block_norm=block_norm, transform_sqrt=transform_sqrt, feature_vector=True)
        return out
    for s in range(0, arr.shape[0], _BLOCK_IMAGES):
        out[s : s + _BLOCK_IMAGES] = _hog_block(arr[s : s + _BLOCK_IMAGES], orientations, ppc, cpb, block_norm,
                                                transform_sqrt)
    return out


_NORMS = ("L2-Hys", "L2", "L1", "L1-sqrt")
_BLOCK_IMAGES = 1024  # images per array pass (a few MB per intermediate for 28 x 28 images)
_EPS = 1e-5  # scikit-image's block-normalisation epsilon


def _hog_block(images, orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt):
    """HOG of a (n, H, W) float32 block; the steps and their float types follow scikit-image (module docs)."""
    n, H, W = images.shape
    (cr, cc), (br, bc) = pixels_per_cell, cells_per_block
    if transform_sqrt:
        images = np.sqrt(images)
    g_row = np.zeros_like(images)
    g_col = np.zeros_like(images)
    g_row[:, 1:-1, :] = images[:, 2:, :] - images[:, :-2, :]
    g_col[:, :, 1:-1] = images[:, :, 2:] - images[:, :, :-2]
    g_row, g_col = g_row.astype(np.float64), g_col.astype(np.float64)
    magnitude = np.hypot(g_col, g_row)
    theta = np.arctan2(g_row, g_col) * (180 / np.pi) % 180
    per_bin = np.float32(180.0 / orientations)  # C float, as in scikit-image
    edges = (per_bin * np.arange(orientations + 2, dtype=np.float32)).astype(np.float64)
    edges[-1] = np.inf
    # bin i  <=>  edges[i] <= theta < edges[i+1]: a division, then a one-step correction at the edges
    bins = np.clip((theta / edges[1]).astype(np.intp), 0, orientations)
    bins -= theta < edges[bins]
    bins += theta >= edges[bins + 1]
    magnitude = np.where(bins < orientations, magnitude, 0.0)  # theta rounded to 180 votes nowhere
    np.minimum(bins, orientations - 1, out=bins)  # (with a zero vote)

    ncr, ncc = H // cr, W // cc
    mag = magnitude[:, : ncr * cr, : ncc * cc].reshape(n, ncr, cr, ncc, cc)
    bin_ = bins[:, : ncr * cr, : ncc * cc].reshape(n, ncr, cr, ncc, cc)
    hist = np.zeros(n * ncr * ncc * orientations, dtype=np.float32)
    cell_base = np.arange(n * ncr * ncc).reshape(n, ncr, ncc) * orientations
    for r in range(cr):  # float32 accumulation in the C loop's order; one pixel per cell per step
        for c in range(cc):
            at = (cell_base + bin_[:, :, r, :, c]).ravel()
            hist[at] = (hist[at].astype(np.float64) + mag[:, :, r, :, c].ravel()).astype(np.float32)
    hist = hist.reshape(n, ncr, ncc, orientations)
    hist = (hist / np.float32(cr * cc)).astype(np.float64)  # the cell mean, in float32 as in the C code

    blocks = np.lib.stride_tricks.sliding_window_view(hist, (br, bc), axis=(1, 2))  # (n, nbr, nbc, o, br, bc)
    blocks = np.moveaxis(blocks, 3, -1)  # (n, nbr, nbc, br, bc, o): scikit-image's feature order
    axes = (-3, -2, -1)
    if block_norm == "L1":
        normed = blocks / (np.abs(blocks).sum(axis=axes, keepdims=True) + _EPS)
    elif block_norm == "L1-sqrt":
        normed = np.sqrt(blocks / (np.abs(blocks).sum(axis=axes, keepdims=True) + _EPS))
    else:
        normed = blocks / np.sqrt((blocks**2).sum(axis=axes, keepdims=True) + _EPS**2)
        if block_norm == "L2-Hys":
            normed = np.minimum(normed, 0.2)
            normed = normed / np.sqrt((normed**2).sum(axis=axes, keepdims=True) + _EPS**2)
    return normed.astype(np.float32).reshape(n, -1)
