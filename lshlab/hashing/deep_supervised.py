"""Deep Supervised Hashing (Liu, Wang, Shan & Chen, CVPR 2016) as an estimator: training, codes, saving.

H. Liu, R. Wang, S. Shan, X. Chen, "Deep Supervised Hashing for Fast Image Retrieval", CVPR 2016.  The
network and the loss, with their formulas, are in :mod:`lshlab.hashing.dsh_network`:
:class:`DeepSupervisedHash` trains :class:`~lshlab.hashing.dsh_network.DSHNet` with Adam on
:func:`~lshlab.hashing.dsh_network.dsh_loss` (the mean of the paper's pair loss over all pairs of each
mini-batch) for ``max_iter`` epochs, and encodes images by the signs of the network's outputs
(bit = 1 when b > 0).  A fitted model is saved to, and loaded from, one file of the ``lshlab-model``
format (:mod:`lshlab.persistence`: atomic, versioned, checksummed, no pickle); trained models are
cached by :mod:`lshlab.hashing.dsh_cache`.
"""

from __future__ import annotations

import numbers
import time

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._torch import torch_settings
from .._validation import check_matrix, check_n_jobs, check_positive_float, check_positive_int
from ..persistence import (
    ModelFileError,
    check_finite_number,
    check_json_object,
    check_number,
    load_model,
    save_model,
)
from ._base import BaseHasher
from .dsh_network import DSHNet, channels_last, dsh_loss

__all__ = ["DeepSupervisedHash"]

_HISTORY_REQUIRED = ("epoch", "loss", "pair_loss", "reg_loss", "seconds")
_HISTORY_OPTIONAL = ("val_map",)


def _json_value(value):
    """A parameter as a JSON value: numpy scalars become Python numbers, tuples lists."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (tuple, list)):
        return [_json_value(v) for v in value]
    return value


def _check_loss_history(value, name):
    """``loss_history_``: a list of objects with the per-epoch numbers that :meth:`DeepSupervisedHash.fit`
    records (``val_map`` only when a validation set was given)."""
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list (one object per epoch), got {type(value).__name__}")
    out = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ValueError(f"{name}[{i}] must be a JSON object, got {type(entry).__name__}")
        missing = [k for k in _HISTORY_REQUIRED if k not in entry]
        unknown = sorted(set(entry) - set(_HISTORY_REQUIRED) - set(_HISTORY_OPTIONAL))
        if missing or unknown:
            raise ValueError(f"{name}[{i}] must have the keys {list(_HISTORY_REQUIRED)} (and optionally "
                             f"'val_map'); missing {missing}, unknown {unknown}")
        checked = {k: check_number(v, f"{name}[{i}][{k!r}]") for k, v in entry.items()}
        checked["epoch"] = check_positive_int(entry["epoch"], f"{name}[{i}]['epoch']")
        out.append(checked)
    return out


class DeepSupervisedHash(BaseHasher):
    """Deep Supervised Hashing (Liu et al., CVPR 2016) with the paper's loss (:mod:`~lshlab.hashing.dsh_network`).

    Parameters
    ----------
    n_bits : int, default 12
        Code length k (the network's output width).
    margin : float or None, default None
        Margin m on the squared distance of dissimilar pairs; None means ``2 * n_bits``.
    alpha : float, default 0.01
        Weight of the regulariser ‖|b| − 1‖₁ (Le-Nhat & Mai's reproduction on Fashion-MNIST: 0.005 and 0.01).
    max_iter : int, default 20
        Epochs: passes over the training set.
    learning_rate : float, default 0.003
        Adam learning rate (Le-Nhat & Mai: 0.003).
    batch_size : int, default 200
        Images per mini-batch; the loss uses all pairs inside a batch.
    weight_decay : float, default 1e-4
        L2 penalty (Adam's ``weight_decay``) on all parameters.
    learning_rate_schedule : {"cosine", "constant"}, default "cosine"
        Cosine decay of the learning rate to 0 over the training steps, or a constant rate.
    random_state : int, RandomState or None
        Seeds the weight initialisation and the batch order.  With a fixed ``n_jobs`` a fit is
        reproducible bit for bit on the same machine.
    device : str, default "cpu"
    n_jobs : int or None, default None
        Torch threads (``torch.set_num_threads``) during fit / transform, restored afterwards; None means
        the CPU cores, at most 8.
    progress : bool, default True
        Show a tqdm bar over the epochs.
    image_shape : (int, int), default (28, 28)
        Rows of ``X`` are flattened ``image_shape`` grey images (``(n, H, W)`` arrays are accepted too).
    batch_norm : bool, default False
        Batch normalisation after each convolution.  Not in the paper (whose Caffe network has none);
        it makes the short CPU trainings of the benchmark and the lecture converge in far fewer steps.

    Attributes
    ----------
    net_ : DSHNet
    n_features_in_ : int
        H * W of ``image_shape``.
    margin_ : float
        The margin used (``margin``, or ``2 * n_bits`` when None).
    pixel_mean_, pixel_std_ : float
        Input standardisation fitted on the training images.
    n_iter_ : int
        Epochs run (``max_iter``).
    loss_history_ : list of dict
        One entry per epoch: ``epoch``, ``loss``, ``pair_loss``, ``reg_loss`` (batch means),
        ``seconds`` and, when ``validation`` is given, ``val_map`` (mAP@10, see :meth:`fit`).
    """

    def __init__(
        self,
        n_bits=12,
        margin=None,
        alpha=0.01,
        max_iter=20,
        learning_rate=0.003,
        batch_size=200,
        weight_decay=1e-4,
        learning_rate_schedule="cosine",
        random_state=None,
        device="cpu",
        n_jobs=None,
        progress=True,
        image_shape=(28, 28),
        batch_norm=False,
    ):
        self.n_bits = n_bits
        self.margin = margin
        self.alpha = alpha
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.learning_rate_schedule = learning_rate_schedule
        self.random_state = random_state
        self.device = device
        self.n_jobs = n_jobs
        self.progress = progress
        self.image_shape = image_shape
        self.batch_norm = batch_norm

    # Encode 128 images per forward pass: the 32-channel activations of a block then stay in cache
    # (measured on one thread: ~5,600 images/s, against ~2,000 with blocks of 4,096).
    _chunk_rows = 128

    # -- input handling --------------------------------------------------------------------------
    def _shape(self):
        try:
            h, w = self.image_shape
            h = check_positive_int(h, "image_shape[0]", minimum=8)
            w = check_positive_int(w, "image_shape[1]", minimum=8)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"image_shape must be a pair of ints >= 8, got {self.image_shape!r}: {exc}") from None
        return h, w

    def _as_rows(self, X, name="X"):
        h, w = self._shape()
        arr = np.asarray(X)
        if arr.ndim == 3:
            if arr.shape[1:] != (h, w):
                raise ValueError(f"{name} holds images of shape {arr.shape[1:]}, expected image_shape={(h, w)}")
            arr = arr.reshape(arr.shape[0], h * w)
        X = check_matrix(arr, name)
        if X.shape[1] != h * w:
            raise ValueError(
                f"{name} has {X.shape[1]} columns but image_shape={(h, w)} needs {h * w}: "
                "DeepSupervisedHash takes flattened images (n, H*W) or (n, H, W)"
            )
        return X

    def _validate_fit_input(self, X, dtype=np.float32):
        X = self._as_rows(X)
        self.n_features_in_ = X.shape[1]
        return X

    def _validate_transform_input(self, X, dtype=np.float32):
        check_is_fitted(self)
        return self._as_rows(X)

    def validate_params(self):
        """Check every hyper-parameter without fitting (a ValueError names the bad one).

        Returns
        -------
        n_bits, margin, alpha, max_iter, learning_rate, batch_size, weight_decay
            The validated values (``margin`` resolved to 2 · n_bits when None).
        """
        n_bits = check_positive_int(self.n_bits, "n_bits")
        margin = 2.0 * n_bits if self.margin is None else check_positive_float(self.margin, "margin")
        alpha = check_positive_float(self.alpha, "alpha", strict=False)
        max_iter = check_positive_int(self.max_iter, "max_iter")
        learning_rate = check_positive_float(self.learning_rate, "learning_rate")
        batch_size = check_positive_int(self.batch_size, "batch_size", minimum=2)
        wd = check_positive_float(self.weight_decay, "weight_decay", strict=False)
        if self.learning_rate_schedule not in ("cosine", "constant"):
            raise ValueError(
                f"learning_rate_schedule must be 'cosine' or 'constant', got {self.learning_rate_schedule!r}"
            )
        check_n_jobs(self.n_jobs)
        for name in ("batch_norm", "progress"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        return n_bits, margin, alpha, max_iter, learning_rate, batch_size, wd

    def _tensor(self, X):
        """Standardised images as an (n, 1, H, W) float32 tensor.

        With one channel the NCHW and ``channels_last`` layouts are the same memory, so this tensor
        feeds the ``channels_last`` network (see :func:`~lshlab.hashing.dsh_network.channels_last`) without a
        copy.
        """
        h, w = self._shape()
        Z = (np.asarray(X, dtype=np.float32) - np.float32(self.pixel_mean_)) / np.float32(self.pixel_std_)
        t = torch.from_numpy(np.ascontiguousarray(Z, dtype=np.float32)).reshape(-1, 1, h, w)
        return t.contiguous(memory_format=torch.channels_last).to(self.device)

    # -- training --------------------------------------------------------------------------------
    def fit(self, X, y, validation=None):
        """Train the network on images ``X`` with class labels ``y``.

        Parameters
        ----------
        X : array-like (n, H*W) or (n, H, W)
        y : array-like (n,)
            Class labels; pairs with equal labels are similar (y = 0 in the loss).
        validation : (X_val, y_val) or None
            If given, after each epoch the validation images are encoded and every one of them queries
            the others (leave-one-out) by Hamming distance; ``val_map`` in ``loss_history_`` is their
            mAP@10, ``lshlab.evaluation.score_codes(..., at_k=10, ties="average", leave_one_out=True)``.

        Returns
        -------
        self
        """
        X = self._validate_fit_input(X)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be 1-D with one label per row of X ({X.shape[0]}), got shape {y.shape}")
        n_bits, margin, alpha, max_iter, learning_rate, batch_size, wd = self.validate_params()
        if X.shape[0] < 2:
            raise ValueError(f"X needs at least 2 images to form pairs, got {X.shape[0]}")
        if np.issubdtype(y.dtype, np.floating) and np.isnan(y).any():
            raise ValueError("y contains NaN labels; every image needs a class label")
        _, y_codes = np.unique(y, return_inverse=True)
        if y_codes.max(initial=0) == 0:
            raise ValueError(
                "y has a single class; DSH learns from similar *and* dissimilar pairs, so it needs at least "
                "two classes"
            )
        val = None
        if validation is not None:
            try:
                Xv, yv = validation
            except (TypeError, ValueError):
                raise ValueError("validation must be a pair (X_val, y_val)") from None
            Xv = self._as_rows(Xv, "X_val")
            yv = np.asarray(yv)
            if yv.shape != (Xv.shape[0],) or Xv.shape[0] < 2:
                raise ValueError(f"y_val must be 1-D with one label per row of X_val (>= 2 rows), got {yv.shape}")
            val = (Xv, yv)

        rng = check_random_state(self.random_state)
        seed = int(rng.randint(0, 2**31 - 1))
        self.margin_ = margin
        self.pixel_mean_ = float(X.mean())
        self.pixel_std_ = float(X.std()) or 1.0
        self.loss_history_ = []
        with torch_settings(self.n_jobs, deterministic=True), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net_ = channels_last(DSHNet(n_bits, self._shape(), batch_norm=self.batch_norm).to(self.device))
            opt = torch.optim.Adam(self.net_.parameters(), lr=learning_rate, weight_decay=wd)
            n = X.shape[0]
            steps_per_epoch = int(np.ceil(n / batch_size))
            total_steps = max_iter * steps_per_epoch
            sched = None
            if self.learning_rate_schedule == "cosine":
                sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
            labels_all = torch.from_numpy(y_codes.astype(np.int64)).to(self.device)
            # Standardise the whole training set once; a batch is then one gather (no per-batch numpy
            # arithmetic and copies).
            X_all = self._tensor(X)
            epoch_iter = range(max_iter)
            bar = None
            if self.progress:
                from tqdm.auto import tqdm

                bar = tqdm(epoch_iter, desc=f"DSH {n_bits} bits", unit="epoch")
                epoch_iter = bar
            for epoch in epoch_iter:
                t0 = time.perf_counter()
                self.net_.train()
                order = torch.from_numpy(rng.permutation(n)).to(self.device)
                sums = torch.zeros(3, dtype=torch.float64)
                n_batches = 0
                for start in range(0, n, batch_size):
                    idx = order[start : start + batch_size]
                    if idx.numel() < 2:
                        continue
                    out = self.net_(X_all.index_select(0, idx))
                    total, pair, reg = dsh_loss(out, labels_all.index_select(0, idx), margin, alpha)
                    opt.zero_grad(set_to_none=True)
                    total.backward()
                    opt.step()
                    if sched is not None:
                        sched.step()
                    sums += torch.stack([total.detach(), pair.detach(), reg.detach()]).to(sums)
                    n_batches += 1
                sums = sums.tolist()
                entry = {
                    "epoch": epoch + 1,
                    "loss": float(sums[0] / n_batches),
                    "pair_loss": float(sums[1] / n_batches),
                    "reg_loss": float(sums[2] / n_batches),
                    "seconds": time.perf_counter() - t0,
                }
                if val is not None:
                    entry["val_map"] = self._validation_map(*val)
                self.loss_history_.append(entry)
                if bar is not None:
                    bar.set_postfix({k: round(v, 4) for k, v in entry.items() if k in ("loss", "val_map")})
            self.net_.eval()
        self.n_iter_ = len(self.loss_history_)
        return self

    def _validation_map(self, Xv, yv):
        from ..evaluation import CodePair, score_codes

        codes = self._encode_rows(Xv)
        # leave-one-out: every validation image queries the others (ranked last for itself)
        return score_codes(CodePair(query=codes, db=codes), labels=(yv, yv), at_k=10, ties="average",
                           leave_one_out=True).map

    # -- encoding --------------------------------------------------------------------------------
    def _forward(self, X):
        self.net_.eval()
        with torch.inference_mode():
            return self.net_(self._tensor(X)).cpu().numpy().astype(np.float32)

    def _encode_rows(self, X):
        with torch_settings(self.n_jobs, deterministic=True):
            return np.concatenate([
                (self._forward(X[s : s + self._chunk_rows]) > 0).astype(np.uint8)
                for s in range(0, len(X), self._chunk_rows)
            ])

    def _encode(self, X):
        with torch_settings(self.n_jobs, deterministic=True):
            return (self._forward(X) > 0).astype(np.uint8)

    def embed(self, X):
        """Real-valued network outputs b (n, n_bits), float32; ``transform`` thresholds them at 0."""
        X = self._validate_transform_input(X)
        with torch_settings(self.n_jobs, deterministic=True):
            return np.concatenate(
                [self._forward(X[s : s + self._chunk_rows]) for s in range(0, len(X), self._chunk_rows)]
            )

    decision_function = embed

    # -- persistence (no pickle) -----------------------------------------------------------------
    def save(self, path):
        """Write the fitted model to the file ``path`` (created or replaced atomically; no suffix added).

        One file of the ``lshlab-model`` format (:func:`lshlab.persistence.save_model`): the network's
        state dict and, as JSON metadata, the parameters and the fitted attributes.  A ``random_state``
        that is a ``RandomState`` instance is stored as None.  Load with :meth:`load`.

        Returns
        -------
        pathlib.Path
        """
        check_is_fitted(self)
        params = {k: _json_value(v) for k, v in self.get_params().items()}
        params["image_shape"] = list(self._shape())
        if not isinstance(self.random_state, (numbers.Integral, type(None))):
            params["random_state"] = None
        meta = {
            "params": params,
            "n_features_in_": int(self.n_features_in_),
            "margin_": float(self.margin_),
            "pixel_mean_": float(self.pixel_mean_),
            "pixel_std_": float(self.pixel_std_),
            "loss_history_": self.loss_history_,
        }
        return save_model(path, type(self).__name__, meta, self.net_.state_dict())

    @classmethod
    def _metadata_schema(cls):
        return {
            "params": check_json_object(cls().get_params()),
            "n_features_in_": check_positive_int,
            "margin_": check_positive_float,
            "pixel_mean_": check_finite_number,
            "pixel_std_": check_positive_float,
            "loss_history_": _check_loss_history,
        }

    @classmethod
    def load(cls, path, device="cpu"):
        """Rebuild a fitted estimator from a file written by :meth:`save`.

        The file is read with ``torch.load(weights_only=True)`` and checked
        (:func:`lshlab.persistence.load_model`): format, version, class and checksum; every metadata field
        present and of the right type and range; the parameters valid for :class:`DeepSupervisedHash`,
        ``n_features_in_`` equal to H * W of ``image_shape``, ``margin_`` equal to the margin the
        parameters give, one ``loss_history_`` entry per epoch, and weights of exactly the network the
        parameters describe.

        Raises
        ------
        FileNotFoundError
            No file at ``path``.
        lshlab.persistence.ModelFileError (a ValueError)
            Anything else wrong with the file; the message names the file and the field.
        """
        name = cls.__name__
        meta, state = load_model(path, name, cls._metadata_schema(), map_location="cpu")
        params = dict(meta["params"], device=device)
        if isinstance(params["image_shape"], list):
            params["image_shape"] = tuple(params["image_shape"])
        est = cls(**params)
        try:
            rs = params["random_state"]
            if rs is not None and (isinstance(rs, bool) or not isinstance(rs, numbers.Integral)):
                raise ValueError(f"random_state must be an integer or None, got {rs!r}")
            n_bits, margin, *_ = est.validate_params()
            h, w = est._shape()
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: invalid metadata field 'params': {exc}") from None
        n_hist = len(meta["loss_history_"])
        checks = [
            ("n_features_in_", meta["n_features_in_"] == h * w,
             f"{meta['n_features_in_']}, but image_shape {(h, w)} needs {h * w}"),
            ("margin_", meta["margin_"] == margin, f"{meta['margin_']}, but the parameters give {margin}"),
            ("loss_history_", n_hist == est.max_iter, f"{n_hist} epochs recorded, but max_iter={est.max_iter}"),
        ]
        for field, ok, detail in checks:
            if not ok:
                raise ModelFileError(f"{path}: invalid metadata field {field!r}: {detail}")
        net = DSHNet(n_bits, (h, w), batch_norm=bool(est.batch_norm))
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            raise ModelFileError(
                f"{path}: the weights do not fit the network of its parameters ({n_bits} bits, image_shape "
                f"{(h, w)}, batch_norm={bool(est.batch_norm)}): {' '.join(str(exc).split())}"
            ) from None
        for attr in ("n_features_in_", "margin_", "pixel_mean_", "pixel_std_", "loss_history_"):
            setattr(est, attr, meta[attr])
        est.n_iter_ = len(est.loss_history_)
        est.net_ = channels_last(net.to(device))
        est.net_.eval()
        return est
