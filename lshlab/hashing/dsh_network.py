"""Deep Supervised Hashing (DSH), the model: a small CNN and its pairwise contrastive loss on relaxed codes.

Reference: H. Liu, R. Wang, S. Shan, X. Chen, "Deep Supervised Hashing for Fast Image Retrieval",
CVPR 2016 (their eq. 5; also H. Le-Nhat & T.-D. Mai, "Hashing method for image retrieval", course slides,
University of Information Technology, VNU-HCM).  For a pair of real-valued network outputs ``b1, b2 ∈ R^k``
and the pair label ``y`` (**y = 0 similar, y = 1 dissimilar**, the paper's notation)::

    L(b1, b2, y) = ½ (1 − y) ‖b1 − b2‖²                      pull similar pairs together
                 + ½ y max(m − ‖b1 − b2‖², 0)                push dissimilar pairs beyond the margin
                 + α (‖ |b1| − 1 ‖₁ + ‖ |b2| − 1 ‖₁)          drive every output towards ±1

The binary constraint ``b ∈ {−1, +1}^k`` of the exact objective is relaxed: Hamming distance becomes the
squared Euclidean distance (for ±1 vectors ‖b1 − b2‖² = 4 · Hamming), and the regulariser pulls the
outputs to the vertices so that thresholding loses little.  The margin defaults to ``m = 2k`` (paper and
seed): dissimilar pairs are pushed to a squared distance of at least 2k, i.e. a Hamming distance of at
least k/2 once binarised.

Pairs, as in the original implementation, are *all* pairs inside a mini-batch.  The training objective
of one batch of n images is the mean of the per-pair loss over the n(n − 1)/2 unordered pairs
``i < j``; because each image belongs to n − 1 pairs, this equals::

    mean_{i<j} [½(1 − y_ij) D_ij + ½ y_ij max(m − D_ij, 0)]  +  2α · mean_i ‖ |b_i| − 1 ‖₁,

with ``D_ij = ‖b_i − b_j‖²`` and ``y_ij = 1[label_i ≠ label_j]`` (:func:`dsh_loss` returns both parts).

Network (the paper's, for 1-channel 28 × 28 images; "same" padding, 2 × 2 max pooling)::

    conv 32 @ 5×5 → ReLU → pool → conv 32 @ 5×5 → ReLU → pool → conv 64 @ 5×5 → ReLU → pool
    → FC 500 → ReLU → FC k           (28 → 14 → 7 → 3: the first FC sees 64 · 3 · 3 = 576 inputs)

Codes are the signs of the outputs: bit = 1 when b > 0, else 0 (so ±1 ↔ 1/0).

The estimator that trains this network is :class:`lshlab.hashing.DeepSupervisedHash`
(:mod:`lshlab.hashing.deep_supervised`); trained models are cached by :mod:`lshlab.hashing.dsh_cache`.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["DSHNet", "dsh_loss", "channels_last"]


class DSHNet(nn.Module):
    """The DSH convolutional network (see the module docstring); input (n, 1, H, W), output (n, k)."""

    def __init__(self, n_bits, image_shape=(28, 28), hidden=500, batch_norm=False):
        super().__init__()
        h, w = image_shape
        layers, c_in = [], 1
        for c_out in (32, 32, 64):
            layers.append(nn.Conv2d(1 if not layers else c_in, c_out, 5, padding=2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(c_out))
            layers += [nn.ReLU(), nn.MaxPool2d(2)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        flat = 64 * (h // 8) * (w // 8)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU(), nn.Linear(hidden, n_bits))

    def forward(self, x):
        return self.head(self.features(x))


def dsh_loss(outputs, labels, margin, alpha):
    """Mean of the DSH pair loss (Liu et al., eq. 5) over all unordered pairs of a batch.

    Parameters
    ----------
    outputs : torch.Tensor (n, k)
        Real-valued network outputs b_i (n >= 2).
    labels : torch.Tensor (n,)
        Class labels; a pair is similar (y = 0) when the labels agree, dissimilar (y = 1) otherwise.
    margin : float
        m in ½ y max(m − ‖b_i − b_j‖², 0).
    alpha : float
        Weight of the regulariser α(‖|b_i| − 1‖₁ + ‖|b_j| − 1‖₁).

    Returns
    -------
    total, pair_term, reg_term : torch.Tensor scalars
        ``total = pair_term + reg_term`` where ``pair_term`` is the pair mean of the two contrastive
        terms and ``reg_term = 2α · mean_i ‖|b_i| − 1‖₁`` is the pair mean of the regulariser.
    """
    n = outputs.shape[0]
    if n < 2:
        raise ValueError(f"dsh_loss needs at least 2 outputs to form a pair, got {n}")
    sq = (outputs * outputs).sum(1)
    dist = (sq[:, None] + sq[None, :] - 2.0 * outputs @ outputs.T).clamp_min(0.0)
    y = (labels[:, None] != labels[None, :]).to(outputs.dtype)
    per_pair = 0.5 * (1.0 - y) * dist + 0.5 * y * torch.relu(margin - dist)
    iu = torch.triu_indices(n, n, offset=1, device=outputs.device)
    pair_term = per_pair[iu[0], iu[1]].mean()
    reg_term = 2.0 * alpha * (outputs.abs() - 1.0).abs().sum(1).mean()
    return pair_term + reg_term, pair_term, reg_term


def channels_last(net):
    """The network in ``channels_last`` memory format (same results; its 32- and 64-channel
    convolutions run about 1.3× faster on one CPU thread at batch 50 than in NCHW)."""
    return net.to(memory_format=torch.channels_last)
