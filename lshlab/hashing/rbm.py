"""Semantic hashing with stacked restricted Boltzmann machines (Salakhutdinov & Hinton).

R. Salakhutdinov and G. Hinton, "Semantic hashing", SIGIR workshop 2007 and Int. J. Approx. Reasoning
50(7), 2009; G. Hinton and R. Salakhutdinov, "Reducing the dimensionality of data with neural networks",
Science 2006. A stack of RBMs is trained greedily, layer by layer (each layer by contrastive divergence on
the hidden activation probabilities of the layer below); the top layer has ``n_bits`` units and its
activation probabilities ``p_j(x)`` are binarised at their **per-unit median over the training set**, so
that every bit is on for about half of the training data (the balance the spectral-hashing objective
asks for explicitly).

What is left out, and why: the papers fine-tune the stack as a deep autoencoder (backpropagation, with
deterministic noise added to the code layer to push it towards binary values); we keep only the greedy
pre-training so the estimator trains in seconds with scikit-learn's ``BernoulliRBM``
(persistent contrastive divergence, Tieleman 2008). The codes are therefore weaker than the papers' but
show the mechanism.

Sharing the lower layers. The hidden layers do not depend on ``n_bits``, so codes of several lengths can
share one pre-trained stack: ``RBMHash(12, init=RBMHash(48).fit(X)).fit(X)`` copies the hidden layers of the
fitted model and trains only the 12-unit code layer. With the same ``random_state`` and training data this
gives exactly the codes of ``RBMHash(12).fit(X)`` (each layer's seed is drawn in the same order), in the
time of the code layer alone. The NCA fine-tuning of the stack lives in :mod:`lshlab.hashing.nca`.

RBM visible units are Bernoulli, so inputs must lie in ``[0, 1]`` (pixel intensities). ``rescale``
makes this explicit: ``"none"`` rejects anything outside ``[0, 1]`` with a ``ValueError``; ``"minmax"``
maps each feature to ``[0, 1]`` with the training minimum and maximum and clips new data to that range.
"""

from __future__ import annotations

import copy
import numbers

import numpy as np
from sklearn.neural_network import BernoulliRBM
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from .._validation import check_positive_float, check_positive_int
from ._base import BaseHasher

__all__ = ["RBMHash"]


class RBMHash(BaseHasher):
    """Stacked-RBM semantic hashing with median binarisation of the top layer.

    Parameters
    ----------
    n_bits : int, default 32
        Units of the top (code) layer.
    hidden : tuple of int, default (128,)
        Sizes of the hidden layers below the code layer (``()`` for a single RBM).
    max_iter : int, default 20
        Epochs (passes over the training set) of persistent contrastive divergence per layer
        (scikit-learn's ``BernoulliRBM(n_iter=...)``).
    learning_rate : float, default 0.1
        Step size of the contrastive-divergence updates (> 0).
        scikit-learn averages the gradient over a mini-batch, so fewer, larger batches learn less per
        epoch: with large batches and few epochs the units stay near their initial state and all
        top-layer units carry the same information (the codes collapse to chance-level mAP).
    batch_size : int, default 16
    init : None or fitted RBMHash, default None
        Reuse the hidden layers of this fitted model instead of training them (copied, never modified);
        its ``hidden`` sizes and input width must match. Only the code layer is trained. See the module
        docstring: the result equals training from scratch when ``init`` was fitted on the same data
        with the same parameters and ``random_state``.
    rescale : {"none", "minmax"}, default "none"
        How inputs are brought to ``[0, 1]`` (see the module docstring).
    random_state : None, int or RandomState
        Seeds every layer (each layer gets its own integer seed drawn from it).

    Attributes
    ----------
    layers_ : list of sklearn.neural_network.BernoulliRBM
    thresholds_ : ndarray (n_bits,)
        Per-unit training medians of the top-layer probabilities.
    n_iter_ : int
        Epochs run per layer (always ``max_iter``).
    data_min_, data_max_ : ndarray (n_features,)
        Only with ``rescale="minmax"``.
    """

    def __init__(
        self,
        n_bits=32,
        hidden=(128,),
        max_iter=20,
        learning_rate=0.1,
        batch_size=16,
        rescale="none",
        random_state=None,
        init=None,
    ):
        self.n_bits = n_bits
        self.hidden = hidden
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.rescale = rescale
        self.random_state = random_state
        self.init = init

    def _checked_params(self):
        n_bits = check_positive_int(self.n_bits, "n_bits")
        hidden = self.hidden
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            raise ValueError(f"hidden must be a tuple of layer sizes, e.g. (256,), got the integer {hidden!r}")
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise ValueError(f"hidden must be a tuple of positive integers, got {self.hidden!r}") from None
        hidden = tuple(check_positive_int(h, "hidden[i]") for h in hidden)
        if self.rescale not in ("none", "minmax"):
            raise ValueError(f"rescale must be 'none' or 'minmax', got {self.rescale!r}")
        return (
            n_bits,
            hidden,
            check_positive_int(self.max_iter, "max_iter"),
            check_positive_float(self.learning_rate, "learning_rate"),
            check_positive_int(self.batch_size, "batch_size"),
        )

    def _to_unit_interval(self, X, fitting):
        if self.rescale == "minmax":
            if fitting:
                self.data_min_ = X.min(axis=0)
                self.data_max_ = X.max(axis=0)
            span = self.data_max_ - self.data_min_
            span = np.where(span > 0, span, 1.0)
            return np.clip((X - self.data_min_) / span, 0.0, 1.0)
        lo, hi = float(X.min()), float(X.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(
                f"RBMHash needs inputs in [0, 1] (Bernoulli visible units), got values in [{lo:.4g}, {hi:.4g}]; "
                "scale the data (e.g. pixels / 255) or pass rescale='minmax'"
            )
        return X

    def fit(self, X, y=None):
        n_bits, hidden, max_iter, learning_rate, batch = self._checked_params()
        X = self._validate_fit_input(X, dtype=np.float32)
        H = self._to_unit_interval(X, fitting=True)
        rng = check_random_state(self.random_state)
        self.layers_ = []
        reused = self._reused_layers(hidden, X.shape[1])
        # Mini-batch products are small: one BLAS thread is faster than several (and than
        # oversubscribing a shared machine).
        with threadpool_limits(limits=1, user_api="blas"):
            self._fit_layers(H, hidden + (n_bits,), max_iter, learning_rate, batch, rng, reused)
        self.n_iter_ = max_iter
        return self

    def _reused_layers(self, hidden, n_features):
        """Copies of ``init``'s hidden layers (``[]`` without ``init``), checked against this model."""
        if self.init is None:
            return []
        init = self.init
        if not isinstance(init, RBMHash) or not hasattr(init, "layers_"):
            raise ValueError(f"init must be a fitted RBMHash (or None), got {init!r}")
        sizes = tuple(layer.n_components for layer in init.layers_[:-1])
        if sizes != hidden or init.n_features_in_ != n_features:
            raise ValueError(
                f"init has hidden layers {sizes} on {init.n_features_in_} features, but this model needs "
                f"hidden={hidden} on {n_features} features; fit init with the same hidden sizes and data width"
            )
        return [copy.deepcopy(layer) for layer in init.layers_[:-1]]

    def _fit_layers(self, H, sizes, max_iter, learning_rate, batch, rng, reused=()):
        for i, size in enumerate(sizes):
            seed = int(rng.randint(np.iinfo(np.int32).max))  # drawn for every layer, reused or not
            if i < len(reused):
                rbm = reused[i]
            else:
                rbm = BernoulliRBM(
                    n_components=size,
                    learning_rate=learning_rate,
                    batch_size=min(batch, H.shape[0]),
                    n_iter=max_iter,
                    random_state=seed,
                ).fit(H)
            H = rbm.transform(H)
            self.layers_.append(rbm)
        self.thresholds_ = np.median(H, axis=0)

    def activations(self, X):
        """Top-layer activation probabilities ``p(h_top = 1 | x)`` (deterministic up-pass), before binarisation."""
        X = self._validate_transform_input(X, dtype=np.float32)
        return self._up_pass(X)

    def _up_pass(self, X):
        H = self._to_unit_interval(np.asarray(X, dtype=np.float32), fitting=False)
        for rbm in self.layers_:
            H = rbm.transform(H)
        return H

    def _encode(self, X):
        return (self._up_pass(X) > self.thresholds_).astype(np.uint8)
