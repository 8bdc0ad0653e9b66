"""Convolutional autoencoders for unsupervised image features (torch, CPU by default).

The seed study (Khuzani & Xing, CT / dose retrieval) trains a *shallow* and later a *deep*
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
inputs must lie in [0, 1] (what :func:`lshlab.data.load_dataset` returns).  Weights are saved as a
``state_dict`` with ``torch.save`` and read back with ``torch.load(weights_only=True)``; the
hyper-parameters go to a JSON file beside them (no pickle anywhere).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .._validation import check_matrix, check_positive_float, check_positive_int

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
    epochs, lr, batch_size, weight_decay : training hyper-parameters (Adam).
        The default ``lr=1e-3`` trains both variants.  On MNIST (3,000 images, batch 32, 6 epochs, test
        reconstruction MSE) the shallow variant learns faster at ``lr=5e-3`` (0.010, against 0.015 at
        1e-3) while the deep one does better at 1e-3 (0.011, against 0.015 at 5e-3).
    random_state : int or None
        Seeds the weight initialisation and the mini-batch order; with ``n_threads`` fixed, two
        fits with the same seed give identical weights.
    n_threads : int or None
        ``torch.set_num_threads`` during fit / encode (None leaves torch's setting).
    progress : bool
        Show a tqdm bar over epochs.

    Attributes
    ----------
    loss_history_ : list of float
        Mean training reconstruction MSE per epoch.
    """

    def __init__(self, latent_dim=32, variant="shallow", image_shape=(28, 28), epochs=10, lr=1e-3,
                 batch_size=128, weight_decay=0.0, random_state=None, n_threads=None, progress=True):
        self.latent_dim = latent_dim
        self.variant = variant
        self.image_shape = image_shape
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.n_threads = n_threads
        self.progress = progress

    # -- construction -------------------------------------------------------------
    def _params(self):
        return {k: getattr(self, k) for k in ("latent_dim", "variant", "image_shape", "epochs", "lr",
                                               "batch_size", "weight_decay", "random_state", "n_threads")}

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
        check_positive_int(self.epochs, "epochs", minimum=0)
        check_positive_float(self.lr, "lr")
        check_positive_int(self.batch_size, "batch_size")
        check_positive_float(self.weight_decay, "weight_decay", strict=False)
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

    def _threads(self):
        class _Ctx:
            def __enter__(ctx):
                ctx.old = torch.get_num_threads()
                if self.n_threads is not None:
                    torch.set_num_threads(check_positive_int(self.n_threads, "n_threads"))

            def __exit__(ctx, *exc):
                torch.set_num_threads(ctx.old)

        return _Ctx()

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
        opt = torch.optim.Adam(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        self.loss_history_ = []
        n = images.shape[0]
        with self._threads():
            model.train()
            for _ in tqdm(range(self.epochs), desc=f"autoencoder ({self.variant})", disable=not self.progress):
                order = torch.randperm(n, generator=gen)
                total = 0.0
                for start in range(0, n, self.batch_size):
                    batch = images[order[start : start + self.batch_size]]
                    opt.zero_grad()
                    loss = nn.functional.mse_loss(model(batch), batch)
                    loss.backward()
                    opt.step()
                    total += loss.item() * batch.shape[0]
                self.loss_history_.append(total / n)
            model.eval()
        return self

    # -- inference ------------------------------------------------------------------
    def _batched(self, module, data):
        module.eval()  # batch norm uses its running statistics: one image's output ignores the others
        outs = []
        with self._threads(), torch.no_grad():
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
        """Write ``path`` (torch state_dict) and ``path + '.json'`` (hyper-parameters, loss history)."""
        self._check_fitted()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {f"encoder.{k}": v for k, v in self.encoder_.state_dict().items()}
        state.update({f"decoder.{k}": v for k, v in self.decoder_.state_dict().items()})
        torch.save(state, path)
        meta = {"params": self._params(), "loss_history": getattr(self, "loss_history_", [])}
        meta["params"]["image_shape"] = list(self.image_shape)
        Path(str(path) + ".json").write_text(json.dumps(meta, indent=1))
        return path

    @classmethod
    def load(cls, path):
        """Rebuild a fitted autoencoder from :meth:`save`'s two files."""
        path = Path(path)
        meta_path = Path(str(path) + ".json")
        if not path.exists() or not meta_path.exists():
            raise FileNotFoundError(f"need both {path} and {meta_path} (written by ConvAutoencoder.save)")
        meta = json.loads(meta_path.read_text())
        params = meta["params"]
        params["image_shape"] = tuple(params["image_shape"])
        model = cls(**params, progress=False)
        model._build()
        state = torch.load(path, weights_only=True)
        try:
            model.encoder_.load_state_dict({k[8:]: v for k, v in state.items() if k.startswith("encoder.")})
            model.decoder_.load_state_dict({k[8:]: v for k, v in state.items() if k.startswith("decoder.")})
        except RuntimeError as exc:
            raise ValueError(
                f"{path} does not hold the weights of a {params['variant']!r} autoencoder of this version of "
                f"lshlab (files written before the deep variant gained batch normalisation must be "
                f"re-trained): {exc}"
            ) from None
        model.encoder_.eval()
        model.decoder_.eval()
        model.loss_history_ = list(meta.get("loss_history", []))
        return model
