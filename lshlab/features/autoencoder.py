"""Convolutional autoencoders for unsupervised image features (torch, CPU by default).

The CT / dose retrieval study of M. B. Khuzani and L. Xing ("Locally sensitive hashing for the content
based image retrieval", slides, Stanford Radiation Oncology, 2021) trains a *shallow* and later a *deep*
convolutional autoencoder because the images carry no labels, then hashes the latent vectors.  We keep
both shapes, for square grey images whose side is divisible by 4 (28 × 28 here):

``variant="shallow"``
    conv 1→16 (3×3, stride 2) → conv 16→32 (3×3, stride 2) → linear → latent,
    mirrored by a linear layer and two transposed convolutions.
``variant="deep"``
    two 3×3 convolutions per scale (32, 64, 128 channels) with max-pooling, a 2-layer MLP to the latent,
    mirrored by an MLP and up-sampling transposed convolutions.  Every convolution (plain or transposed)
    except the output one is followed by batch normalisation (Ioffe & Szegedy, 2015) before its ReLU,
    and the weights start from He initialisation (He et al., 2015): variance 2 / fan_in before a ReLU,
    Glorot's 2 / (fan_in + fan_out) for the latent layer and the output convolution, zero biases.

Why the deep variant needs both: with PyTorch's default initialisation (weight variance 1 / (3 fan_in))
each of its 14 weight layers shrinks the mean-square signal about six-fold, so at the start the output
hardly depends on the input.  Adam moves every weight by about ``lr`` whatever the size of its gradient,
so the first steps rescale all layers together and the activations grow geometrically with depth (five
orders of magnitude within five steps at lr 5e-3 on MNIST).  The output convolution's pre-activation
then becomes so negative that the sigmoid returns exactly 0, its gradient vanishes, and training stops
for good at a blank image (loss = mean squared pixel value, 0.114 on MNIST).  Batch normalisation brings
every convolution's output back to zero mean and unit variance per channel (before a learned scale and
shift) whatever the weight scale, so the growth cannot compound and the sigmoid stays in its working
range.  In training mode it normalises with the statistics of the mini-batch;
:meth:`ConvAutoencoder.encode` and friends run in evaluation mode with the running averages gathered
during :meth:`~ConvAutoencoder.fit` (saved with the weights), so an image's code does not depend on the
other images of the batch.

Training minimises the mean squared reconstruction error with Adam; the output layer is a sigmoid, so
inputs must lie in [0, 1] (what :func:`lshlab.data.load_dataset` returns).  A fitted autoencoder is
saved to one file of the ``lshlab-model`` format (:mod:`lshlab.persistence`): the weights (with the
batch-norm running statistics) and the hyper-parameters and loss history together, replaced atomically,
versioned, checksummed and read back with ``torch.load(weights_only=True)`` (no pickle anywhere).
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .._torch import torch_settings
from .._validation import check_matrix, check_n_jobs, check_positive_float, check_positive_int
from ..persistence import ModelFileError, check_json_object, check_number_list, load_model, save_model

__all__ = ["ConvAutoencoder"]


def _shallow(side, latent):
    s = side // 4
    enc = nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * s * s, latent),
    )
    dec = nn.Sequential(
        nn.Linear(latent, 32 * s * s), nn.ReLU(), nn.Unflatten(1, (32, s, s)),
        nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
    )
    return enc, dec


def _deep(side, latent):
    s = side // 4

    def conv(cin, cout):  # the bias would be cancelled by the batch-norm shift
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    def up(cin, cout):
        return [nn.ConvTranspose2d(cin, cout, 2, stride=2, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    enc = nn.Sequential(
        *conv(1, 32), *conv(32, 32), nn.MaxPool2d(2),
        *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2),
        *conv(64, 128), *conv(128, 128),
        nn.Flatten(), nn.Linear(128 * s * s, 256), nn.ReLU(), nn.Linear(256, latent),
    )
    dec = nn.Sequential(
        nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 128 * s * s), nn.ReLU(),
        nn.Unflatten(1, (128, s, s)),
        *up(128, 64), *conv(64, 64),
        *up(64, 32),
        nn.Conv2d(32, 1, 3, padding=1), nn.Sigmoid(),
    )
    for net in (enc, dec):
        _init_weights(net)
    return enc, dec


def _init_weights(net):
    """He-normal weights for layers feeding a ReLU (directly or through batch norm), Glorot otherwise."""
    layers = list(net)
    for i, layer in enumerate(layers):
        if not isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            continue
        following = layers[i + 1 : i + 3]
        if any(isinstance(m, nn.ReLU) for m in following):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        else:
            nn.init.xavier_uniform_(layer.weight)
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)


_VARIANTS = {"shallow": _shallow, "deep": _deep}


class ConvAutoencoder:
    """Convolutional autoencoder with ``fit`` / ``encode`` / ``reconstruct`` / ``save`` / ``load``.

    Parameters
    ----------
    latent_dim : int, default 32
        Size of the code layer; :meth:`encode` returns vectors of this length.
    variant : {"shallow", "deep"}
        Architecture (see the module docstring).
    image_shape : (int, int), default (28, 28)
        Square images whose side is divisible by 4; rows of ``X`` are flattened images.
    max_iter : int, default 10
        Epochs: passes over the training set.
    learning_rate, batch_size, weight_decay : Adam's step size, images per step, L2 penalty.
        The default ``learning_rate=1e-3`` trains both variants.  On MNIST (3,000 images, batch 32,
        6 epochs, test reconstruction MSE) the shallow variant learns faster at ``learning_rate=5e-3``
        (0.010, against 0.015 at 1e-3) while the deep one does better at 1e-3 (0.011, against 0.015 at
        5e-3).
    random_state : int or None
        Seeds the weight initialisation and the mini-batch order; with ``n_jobs`` fixed, two
        fits with the same seed give identical weights.
    n_jobs : int or None
        Torch threads (``torch.set_num_threads``) during fit / encode, restored afterwards; None means
        the CPU cores, at most 8.
    progress : bool
        Show a tqdm bar over epochs.

    Attributes
    ----------
    loss_history_ : list of float
        Mean training reconstruction MSE per epoch.
    n_iter_ : int
        Epochs run (``max_iter``).
    """

    def __init__(self, latent_dim=32, variant="shallow", image_shape=(28, 28), max_iter=10, learning_rate=1e-3,
                 batch_size=128, weight_decay=0.0, random_state=None, n_jobs=None, progress=True):
        self.latent_dim = latent_dim
        self.variant = variant
        self.image_shape = image_shape
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    # -- construction -------------------------------------------------------------
    _PARAMS = ("latent_dim", "variant", "image_shape", "max_iter", "learning_rate", "batch_size", "weight_decay",
               "random_state", "n_jobs")

    def _params(self):
        return {k: getattr(self, k) for k in self._PARAMS}

    def _check_params(self):
        check_positive_int(self.latent_dim, "latent_dim")
        if self.variant not in _VARIANTS:
            raise ValueError(f"variant must be one of {sorted(_VARIANTS)}, got {self.variant!r}")
        try:
            h, w = (int(v) for v in self.image_shape)
        except (TypeError, ValueError):
            raise ValueError(f"image_shape must be a pair (height, width), got {self.image_shape!r}") from None
        if h != w or h % 4 or h < 8:
            raise ValueError(f"image_shape must be square with a side divisible by 4 (e.g. (28, 28)), got {(h, w)}")
        check_positive_int(self.max_iter, "max_iter", minimum=0)
        check_positive_float(self.learning_rate, "learning_rate")
        check_positive_int(self.batch_size, "batch_size")
        check_positive_float(self.weight_decay, "weight_decay", strict=False)
        rs = self.random_state
        if rs is not None and (isinstance(rs, bool) or not isinstance(rs, numbers.Integral)):
            raise ValueError(f"random_state must be an integer or None, got {rs!r}")
        check_n_jobs(self.n_jobs)
        return h

    def _build(self):
        side = self._check_params()
        if self.random_state is not None:
            torch.manual_seed(int(self.random_state))
        enc, dec = _VARIANTS[self.variant](side, int(self.latent_dim))
        self.encoder_, self.decoder_ = enc, dec
        return side

    def _images(self, X, name="X"):
        X = check_matrix(X, name)
        side = int(self.image_shape[0])
        if X.shape[1] != side * side:
            raise ValueError(f"{name} has {X.shape[1]} columns; flattened {side}x{side} images need {side * side}")
        if X.min() < 0 or X.max() > 1:
            raise ValueError(f"{name} must be scaled to [0, 1] (the decoder ends in a sigmoid), "
                             f"got values in [{X.min():.3g}, {X.max():.3g}]")
        return torch.from_numpy(X).view(-1, 1, side, side)

    def _check_fitted(self):
        if not hasattr(self, "encoder_"):
            raise RuntimeError("this ConvAutoencoder is not fitted yet: call fit(X) or load(path) first")

    # -- training -------------------------------------------------------------------
    def fit(self, X, y=None):
        """Train on the rows of ``X`` (flattened images in [0, 1]); ``y`` is ignored."""
        self._build()
        images = self._images(X)
        gen = torch.Generator().manual_seed(0 if self.random_state is None else int(self.random_state))
        model = nn.Sequential(self.encoder_, self.decoder_)
        opt = torch.optim.Adam(model.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        self.loss_history_ = []
        n = images.shape[0]
        # one bar over all images of all epochs: it moves every few batches, also when an epoch is long
        bar = tqdm(total=self.max_iter * n, desc=f"autoencoder ({self.variant}), {self.max_iter} epochs",
                   unit="img", unit_scale=True, disable=not self.progress)
        with torch_settings(self.n_jobs), bar:
            model.train()
            for epoch in range(self.max_iter):
                order = torch.randperm(n, generator=gen)
                total = 0.0
                for start in range(0, n, self.batch_size):
                    batch = images[order[start : start + self.batch_size]]
                    opt.zero_grad()
                    loss = nn.functional.mse_loss(model(batch), batch)
                    loss.backward()
                    opt.step()
                    total += loss.item() * batch.shape[0]
                    bar.update(batch.shape[0])
                self.loss_history_.append(total / n)
                bar.set_postfix(epoch=epoch + 1, mse=f"{self.loss_history_[-1]:.4f}")
            model.eval()
        self.n_iter_ = len(self.loss_history_)
        return self

    # -- inference ------------------------------------------------------------------
    def _batched(self, module, data):
        module.eval()  # batch norm uses its running statistics: one image's output ignores the others
        outs = []
        with torch_settings(self.n_jobs), torch.no_grad():
            for start in range(0, data.shape[0], 1024):
                outs.append(module(data[start : start + 1024]))
        return torch.cat(outs).numpy()

    def encode(self, X):
        """Latent vectors, float32 of shape (n_samples, latent_dim)."""
        self._check_fitted()
        return self._batched(self.encoder_, self._images(X)).astype(np.float32)

    def reconstruct(self, X):
        """Reconstructed flattened images, float32 of the shape of ``X``."""
        self._check_fitted()
        out = self._batched(nn.Sequential(self.encoder_, self.decoder_), self._images(X))
        return out.reshape(out.shape[0], -1).astype(np.float32)

    def reconstruction_error(self, X):
        """Mean squared reconstruction error per image (n_samples,)."""
        X = check_matrix(X)
        return ((self.reconstruct(X) - X) ** 2).mean(axis=1)

    # -- persistence (no pickle) -----------------------------------------------------------
    def save(self, path):
        """Write the fitted autoencoder to the file ``path`` (created or replaced atomically; no suffix added).

        One file of the ``lshlab-model`` format (:func:`lshlab.persistence.save_model`): the encoder's and
        decoder's state dicts (``encoder.*`` / ``decoder.*``, batch-norm running statistics included) and,
        as JSON metadata, the hyper-parameters and the loss history.  Returns the path.
        """
        self._check_fitted()
        self._check_params()
        params = self._params()
        params["image_shape"] = [int(v) for v in self.image_shape]
        for key in ("latent_dim", "max_iter", "batch_size", "random_state", "n_jobs"):
            params[key] = None if params[key] is None else int(params[key])
        for key in ("learning_rate", "weight_decay"):
            params[key] = float(params[key])
        state = {f"encoder.{k}": v for k, v in self.encoder_.state_dict().items()}
        state.update({f"decoder.{k}": v for k, v in self.decoder_.state_dict().items()})
        meta = {"params": params, "loss_history_": [float(v) for v in self.loss_history_]}
        return save_model(path, type(self).__name__, meta, state)

    @classmethod
    def load(cls, path):
        """Rebuild a fitted autoencoder from a file written by :meth:`save`.

        :func:`lshlab.persistence.load_model` reads the file (``torch.load(weights_only=True)``) and checks
        its format, version, class and checksum; then the hyper-parameters must be valid, the loss history
        must hold one loss per epoch and the weights must be exactly those of the described network.  A
        missing file raises ``FileNotFoundError``; anything else wrong raises
        :class:`lshlab.persistence.ModelFileError` (a ``ValueError``) naming the file and the field.
        """
        schema = {"params": check_json_object(cls._PARAMS), "loss_history_": check_number_list}
        meta, state = load_model(path, cls.__name__, schema)
        params = meta["params"]
        if isinstance(params["image_shape"], list):
            params["image_shape"] = tuple(params["image_shape"])
        model = cls(**params, progress=False)
        try:
            model._check_params()
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: invalid metadata field 'params': {exc}") from None
        if len(meta["loss_history_"]) != model.max_iter:
            raise ModelFileError(f"{path}: invalid metadata field 'loss_history_': {len(meta['loss_history_'])} "
                                 f"losses for max_iter={model.max_iter} epochs")
        model._build()
        try:
            model.encoder_.load_state_dict({k[8:]: v for k, v in state.items() if k.startswith("encoder.")})
            model.decoder_.load_state_dict({k[8:]: v for k, v in state.items() if k.startswith("decoder.")})
            unknown = sorted(k for k in state if not k.startswith(("encoder.", "decoder.")))
            if unknown:
                raise RuntimeError(f"unexpected tensors {unknown}")
        except RuntimeError as exc:
            raise ModelFileError(
                f"{path} does not hold the weights of a {params['variant']!r} autoencoder with these "
                f"hyper-parameters: {' '.join(str(exc).split())}"
            ) from None
        model.encoder_.eval()
        model.decoder_.eval()
        model.loss_history_ = meta["loss_history_"]
        model.n_iter_ = len(model.loss_history_)
        return model
