"""Deep Supervised Hashing (DSH): a small CNN trained with a pairwise contrastive loss on relaxed codes.

Reference: H. Liu, R. Wang, S. Shan, X. Chen, "Deep Supervised Hashing for Fast Image Retrieval",
CVPR 2016.  The loss as written in the seed lecture (``seeds/003``), for a pair of real-valued network
outputs ``b1, b2 ∈ R^k`` and the pair label ``y`` (**y = 0 similar, y = 1 dissimilar**, the paper's and
the seed's notation)::

    L(b1, b2, y) = ½ (1 − y) ‖b1 − b2‖²                      pull similar pairs together
                 + ½ y max(m − ‖b1 − b2‖², 0)                push dissimilar pairs beyond the margin
                 + α (‖ |b1| − 1 ‖₁ + ‖ |b2| − 1 ‖₁)          drive every output towards ±1

The binary constraint ``b ∈ {−1, +1}^k`` of the exact objective is relaxed: Hamming distance becomes the
squared Euclidean distance (for ±1 vectors ‖b1 − b2‖² = 4 · Hamming), and the regulariser pulls the
outputs to the vertices so that thresholding loses little.  The margin defaults to ``m = 2k`` (paper and
seed): dissimilar pairs are pushed to a squared distance of at least 2k, i.e. a Hamming distance of at
least k/2 once binarised.

Pairs, as in the original implementation, are *all* pairs inside a mini-batch.  The training objective
of one batch of n images is the mean of the seed's per-pair loss over the n(n − 1)/2 unordered pairs
``i < j``; because each image belongs to n − 1 pairs, this equals::

    mean_{i<j} [½(1 − y_ij) D_ij + ½ y_ij max(m − D_ij, 0)]  +  2α · mean_i ‖ |b_i| − 1 ‖₁,

with ``D_ij = ‖b_i − b_j‖²`` and ``y_ij = 1[label_i ≠ label_j]`` (:func:`dsh_loss` returns both parts).

Network (the paper's, for 1-channel 28 × 28 images; "same" padding, 2 × 2 max pooling)::

    conv 32 @ 5×5 → ReLU → pool → conv 32 @ 5×5 → ReLU → pool → conv 64 @ 5×5 → ReLU → pool
    → FC 500 → ReLU → FC k           (28 → 14 → 7 → 3: the first FC sees 64 · 3 · 3 = 576 inputs)

Codes are the signs of the outputs: bit = 1 when b > 0, else 0 (so ±1 ↔ 1/0).
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._validation import check_matrix, check_positive_float, check_positive_int
from ._base import BaseHasher

__all__ = [
    "DeepSupervisedHash",
    "DSHNet",
    "dsh_loss",
    "default_cache_dir",
    "dsh_cache_name",
    "fit_or_load",
    "fit_or_load_many",
    "train_validation_split",
]

_FORMAT_VERSION = 1


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
    """Mean of the seed's DSH pair loss over all unordered pairs of a batch.

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


def _channels_last(net):
    """The network in ``channels_last`` memory format (same results; its 32- and 64-channel
    convolutions run about 1.3× faster on one CPU thread at batch 50 than in NCHW)."""
    return net.to(memory_format=torch.channels_last)


def _model_paths(path):
    """``(<path>.pt, <path>.json)``; a given ``.pt`` / ``.json`` suffix is replaced.

    The suffix is appended to the whole name (not ``Path.with_suffix``), so stems with dots such as
    ``dsh_b16_a0.005_e3_...`` keep every character and models differing only after a dot never share
    a file.
    """
    path = Path(path)
    if path.suffix in (".pt", ".json"):
        path = path.with_suffix("")
    return path.with_name(path.name + ".pt"), path.with_name(path.name + ".json")


@contextlib.contextmanager
def _torch_settings(n_threads, deterministic):
    """Temporarily fix the number of intra-op threads and deterministic algorithms."""
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    try:
        if n_threads is not None:
            torch.set_num_threads(n_threads)
        if deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det)


class DeepSupervisedHash(BaseHasher):
    """Deep Supervised Hashing (Liu et al., CVPR 2016) with the seed-003 loss; see the module docstring.

    Parameters
    ----------
    n_bits : int, default 12
        Code length k (the network's output width).
    margin : float or None, default None
        Margin m on the squared distance of dissimilar pairs; None means ``2 * n_bits``.
    alpha : float, default 0.01
        Weight of the regulariser ‖|b| − 1‖₁ (seed: 0.005 and 0.01).
    epochs : int, default 20
        Passes over the training set.
    lr : float, default 0.003
        Adam learning rate (seed: 0.003).
    batch_size : int, default 200
        Images per mini-batch; the loss uses all pairs inside a batch.
    weight_decay : float, default 1e-4
        L2 penalty (Adam's ``weight_decay``) on all parameters.
    lr_schedule : {"cosine", "constant"}, default "cosine"
        Cosine decay of the learning rate to 0 over the training steps, or a constant rate.
    random_state : int, RandomState or None
        Seeds the weight initialisation and the batch order.  With a fixed ``n_threads`` a fit is
        reproducible bit for bit on the same machine.
    device : str, default "cpu"
    n_threads : int or None, default None
        ``torch.set_num_threads`` during fit / transform (restored afterwards); None keeps torch's.
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
    pixel_mean_, pixel_std_ : float
        Input standardisation fitted on the training images.
    loss_history_ : list of dict
        One entry per epoch: ``epoch``, ``loss``, ``pair_loss``, ``reg_loss`` (batch means),
        ``seconds`` and, when ``validation`` is given, ``val_map`` (mAP@10, see :meth:`fit`).
    """

    def __init__(
        self,
        n_bits=12,
        margin=None,
        alpha=0.01,
        epochs=20,
        lr=0.003,
        batch_size=200,
        weight_decay=1e-4,
        lr_schedule="cosine",
        random_state=None,
        device="cpu",
        n_threads=None,
        progress=True,
        image_shape=(28, 28),
        batch_norm=False,
    ):
        self.n_bits = n_bits
        self.margin = margin
        self.alpha = alpha
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
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

    def _validate_params(self):
        n_bits = check_positive_int(self.n_bits, "n_bits")
        margin = 2.0 * n_bits if self.margin is None else check_positive_float(self.margin, "margin")
        alpha = check_positive_float(self.alpha, "alpha", strict=False)
        epochs = check_positive_int(self.epochs, "epochs")
        lr = check_positive_float(self.lr, "lr")
        batch_size = check_positive_int(self.batch_size, "batch_size", minimum=2)
        wd = check_positive_float(self.weight_decay, "weight_decay", strict=False)
        if self.lr_schedule not in ("cosine", "constant"):
            raise ValueError(f"lr_schedule must be 'cosine' or 'constant', got {self.lr_schedule!r}")
        if self.n_threads is not None:
            check_positive_int(self.n_threads, "n_threads")
        if not isinstance(self.batch_norm, (bool, np.bool_)):
            raise ValueError(f"batch_norm must be True or False, got {self.batch_norm!r}")
        return n_bits, margin, alpha, epochs, lr, batch_size, wd

    def _tensor(self, X):
        """Standardised images as an (n, 1, H, W) float32 tensor.

        With one channel the NCHW and ``channels_last`` layouts are the same memory, so this tensor
        feeds the ``channels_last`` network (see :func:`_channels_last`) without a copy.
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
        n_bits, margin, alpha, epochs, lr, batch_size, wd = self._validate_params()
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
        with _torch_settings(self.n_threads, deterministic=True), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net_ = _channels_last(DSHNet(n_bits, self._shape(), batch_norm=self.batch_norm).to(self.device))
            opt = torch.optim.Adam(self.net_.parameters(), lr=lr, weight_decay=wd)
            n = X.shape[0]
            steps_per_epoch = int(np.ceil(n / batch_size))
            total_steps = epochs * steps_per_epoch
            sched = None
            if self.lr_schedule == "cosine":
                sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
            labels_all = torch.from_numpy(y_codes.astype(np.int64)).to(self.device)
            # Standardise the whole training set once; a batch is then one gather (no per-batch numpy
            # arithmetic and copies).
            X_all = self._tensor(X)
            epoch_iter = range(epochs)
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
        with _torch_settings(self.n_threads, deterministic=True):
            return np.concatenate(
                [(self._forward(X[s : s + self._chunk_rows]) > 0).astype(np.uint8) for s in range(0, len(X), self._chunk_rows)]
            )

    def _encode(self, X):
        with _torch_settings(self.n_threads, deterministic=True):
            return (self._forward(X) > 0).astype(np.uint8)

    def embed(self, X):
        """Real-valued network outputs b (n, n_bits), float32; ``transform`` thresholds them at 0."""
        X = self._validate_transform_input(X)
        with _torch_settings(self.n_threads, deterministic=True):
            return np.concatenate(
                [self._forward(X[s : s + self._chunk_rows]) for s in range(0, len(X), self._chunk_rows)]
            )

    decision_function = embed

    # -- persistence (no pickle) -----------------------------------------------------------------
    def save(self, path):
        """Write ``<path>.pt`` (``torch.save`` of the state dict) and ``<path>.json`` (parameters).

        Returns the pair of paths.  Load with :meth:`load`, which uses ``torch.load(weights_only=True)``.
        """
        check_is_fitted(self)
        pt, js = _model_paths(path)
        pt.parent.mkdir(parents=True, exist_ok=True)
        params = self.get_params()
        params["image_shape"] = list(self._shape())
        if not isinstance(params["random_state"], (int, type(None))):
            params["random_state"] = None
        meta = {
            "format_version": _FORMAT_VERSION,
            "class": type(self).__name__,
            "params": params,
            "n_features_in_": int(self.n_features_in_),
            "margin_": float(self.margin_),
            "pixel_mean_": self.pixel_mean_,
            "pixel_std_": self.pixel_std_,
            "loss_history_": self.loss_history_,
        }
        state = {k: v.detach().cpu().contiguous() for k, v in self.net_.state_dict().items()}
        tmp_pt, tmp_js = pt.with_name(pt.name + ".tmp"), js.with_name(js.name + ".tmp")
        torch.save(state, tmp_pt)
        tmp_js.write_text(json.dumps(meta, indent=1))
        tmp_pt.replace(pt)
        tmp_js.replace(js)
        return pt, js

    @classmethod
    def load(cls, path, device="cpu"):
        """Rebuild a fitted estimator saved by :meth:`save` (``torch.load(..., weights_only=True)``)."""
        pt, js = _model_paths(path)
        if not pt.exists() or not js.exists():
            raise FileNotFoundError(f"no saved DeepSupervisedHash at {path}: expected {pt.name} and {js.name}")
        meta = json.loads(js.read_text())
        if meta.get("class") != cls.__name__ or meta.get("format_version") != _FORMAT_VERSION:
            raise ValueError(f"{js} is not a {cls.__name__} file of format {_FORMAT_VERSION}")
        params = dict(meta["params"])
        params["image_shape"] = tuple(params["image_shape"])
        params["device"] = device
        est = cls(**params)
        est.n_features_in_ = meta["n_features_in_"]
        est.margin_ = meta["margin_"]
        est.pixel_mean_ = meta["pixel_mean_"]
        est.pixel_std_ = meta["pixel_std_"]
        est.loss_history_ = meta["loss_history_"]
        est.net_ = DSHNet(check_positive_int(params["n_bits"], "n_bits"), est._shape(),
                          batch_norm=bool(params.get("batch_norm", False))).to(device)
        est.net_.load_state_dict(torch.load(pt, map_location=device, weights_only=True))
        est.net_ = _channels_last(est.net_)
        est.net_.eval()
        return est


# --------------------------------------------------------------------------------------------------
# trained-model cache shared by benchmarks/fashion_map.py and notebook 09
# --------------------------------------------------------------------------------------------------
def default_cache_dir():
    """``$LSHLAB_DSH_CACHE`` if set, else ``<project>/data/cache/dsh`` (git-ignored)."""
    import os

    env = os.environ.get("LSHLAB_DSH_CACHE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data" / "cache" / "dsh"


def train_validation_split(n, n_val, seed=0):
    """Seeded split of ``range(n)`` into sorted (train, validation) index arrays, ``n_val`` held out."""
    n = check_positive_int(n, "n")
    n_val = check_positive_int(n_val, "n_val", minimum=0)
    if n_val >= n:
        raise ValueError(f"n_val={n_val} must be smaller than n={n}")
    perm = np.random.RandomState(seed).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def dsh_cache_name(n_bits, alpha, epochs, n_train, seed, params=None):
    """File stem of a cached model, e.g. ``dsh_b16_a0.005_e3_n55000_s0`` (+ ``_<hash>`` of ``params``).

    ``params`` (a dict of the other hyper-parameters) adds the first 8 hex digits of the SHA-256 of
    its sorted JSON, so models differing in lr, batch size, … never overwrite each other.
    """
    stem = f"dsh_b{int(n_bits)}_a{float(alpha):g}_e{int(epochs)}_n{int(n_train)}_s{int(seed)}"
    if params:
        import hashlib

        blob = json.dumps({k: params[k] for k in sorted(params)}, sort_keys=True, default=str)
        stem += "_" + hashlib.sha256(blob.encode()).hexdigest()[:8]
    return stem


def fit_or_load(X, y, cache_dir=None, validation=None, refit=False, **params):
    """Load the cached model with these parameters and training size, or fit it and cache it.

    The cache key is :func:`dsh_cache_name` of (n_bits, alpha, epochs, len(X), random_state) and a hash of
    the other hyper-parameters; the stored parameters must equal ``params`` (otherwise the model is
    refitted and overwritten).  The training images themselves are identified only by their number:
    callers use a fixed split (:func:`train_validation_split`).

    Returns
    -------
    model : DeepSupervisedHash
    cached : bool
        True when the model came from the cache.

    ``refit=True`` ignores (and overwrites) the cache.
    """
    model = DeepSupervisedHash(**params)
    path = _cache_path(model, len(X), cache_dir)
    if not refit:
        loaded = _load_cached(model, path)
        if loaded is not None:
            return loaded, True
    model.fit(X, y, validation=validation)
    model.save(path)
    return model, False


def _cache_path(model, n_train, cache_dir):
    p = model.get_params()
    if not isinstance(p["random_state"], (int, np.integer)):
        raise ValueError("fit_or_load needs an integer random_state (it is part of the cache key)")
    other = {k: v for k, v in p.items() if k not in ("device", "n_threads", "progress")}
    stem = dsh_cache_name(p["n_bits"], p["alpha"], p["epochs"], n_train, p["random_state"], other)
    return Path(cache_dir or default_cache_dir()) / stem


def _load_cached(model, path):
    """The cached model at ``path`` if its stored parameters equal ``model``'s, else None."""
    p = model.get_params()
    if not _model_paths(path)[0].exists():
        return None
    loaded = DeepSupervisedHash.load(path, device=p["device"])
    lp = loaded.get_params()
    same = all(lp[k] == p[k] for k in p if k not in ("device", "n_threads", "progress", "image_shape"))
    if not (same and lp["image_shape"] == tuple(p["image_shape"])):
        return None
    loaded.set_params(n_threads=p["n_threads"], progress=p["progress"])
    return loaded


def _fit_or_load_worker(data_dir, cache_dir, refit, params):
    """Worker of :func:`fit_or_load_many`: read the arrays saved by the parent and fit (or load) one model."""
    d = Path(data_dir)
    X = np.load(d / "X.npy", mmap_mode="r", allow_pickle=False)
    y = np.load(d / "y.npy", allow_pickle=False)
    validation = None
    if (d / "X_val.npy").exists():
        validation = (np.load(d / "X_val.npy", allow_pickle=False), np.load(d / "y_val.npy", allow_pickle=False))
    fit_or_load(np.asarray(X), y, cache_dir=cache_dir, validation=validation, refit=refit, **params)


def fit_or_load_many(X, y, param_list, n_jobs=1, cache_dir=None, validation=None, refit=False):
    """:func:`fit_or_load` for several parameter sets, training the missing models in parallel processes.

    Each model is trained by one worker process with **one** torch thread (``n_threads=1``), ``n_jobs``
    workers at a time.  On a small shared CPU this is much faster than one process with several
    threads: a batch of 50 images is many small operations, and with several OpenMP threads every one
    of them waits at a barrier for the slowest thread — on a busy machine, for a thread that the
    scheduler has paused (measured here at batch 50 with another process on one of the two cores:
    160–390 ms per step with 2 threads, 30–50 ms with 1).  The models are independent, so the result
    does not depend on the scheduling: a model trained in a worker equals one trained in-process with
    ``n_threads=1`` (the cache key does not include ``n_threads``).

    Parameters
    ----------
    X, y, validation, cache_dir, refit
        As for :func:`fit_or_load` (shared by every model).
    param_list : list of dict
        Keyword arguments of :class:`DeepSupervisedHash`, one dict per model (``random_state`` an int).
    n_jobs : int, default 1
        Worker processes; 1 fits in this process, one model after the other, with the given
        ``n_threads``.

    Returns
    -------
    list of (model, cached)
        In the order of ``param_list``; ``cached`` is True when the model was in the cache before the
        call.
    """
    import tempfile
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    n_jobs = check_positive_int(n_jobs, "n_jobs")
    param_list = [dict(p) for p in param_list]
    if not param_list:
        raise ValueError("param_list is empty; pass at least one dict of DeepSupervisedHash parameters")
    for p in param_list:  # validate everything (and the cache key) before loading or starting processes
        DeepSupervisedHash(**p)._validate_params()
        if not isinstance(p.get("random_state"), (int, np.integer)):
            raise ValueError("fit_or_load_many needs an integer random_state in every parameter set")
    X = np.ascontiguousarray(X, dtype=np.float32)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y must be 1-D with one label per row of X ({len(X)}), got shape {y.shape}")
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    out = [None] * len(param_list)
    if not refit:
        for i, p in enumerate(param_list):
            m = DeepSupervisedHash(**p)
            loaded = _load_cached(m, _cache_path(m, len(X), cache_dir))
            if loaded is not None:
                out[i] = (loaded, True)
    missing = [i for i, o in enumerate(out) if o is None]
    if n_jobs == 1 or len(missing) <= 1:
        for i in missing:
            out[i] = fit_or_load(X, y, cache_dir=cache_dir, validation=validation, refit=refit, **param_list[i])
        return out
    with tempfile.TemporaryDirectory(prefix="dsh_fit_") as tmp:
        np.save(Path(tmp) / "X.npy", X, allow_pickle=False)
        np.save(Path(tmp) / "y.npy", y, allow_pickle=False)
        if validation is not None:
            Xv, yv = validation
            np.save(Path(tmp) / "X_val.npy", np.asarray(Xv, dtype=np.float32), allow_pickle=False)
            np.save(Path(tmp) / "y_val.npy", np.asarray(yv), allow_pickle=False)
        jobs = [{**param_list[i], "n_threads": 1, "progress": False} for i in missing]
        # "spawn": a fresh interpreter per worker (forking a process whose OpenMP pool is running can hang).
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs)), mp_context=get_context("spawn")) as pool:
            list(pool.map(_fit_or_load_worker, [tmp] * len(jobs), [cache_dir] * len(jobs), [refit] * len(jobs), jobs))
    for i in missing:
        model, cached = fit_or_load(X, y, cache_dir=cache_dir, validation=validation, **param_list[i])
        if not cached:  # pragma: no cover - the worker has just written this file
            raise RuntimeError(f"the model trained for {param_list[i]} is missing from the cache {cache_dir}")
        out[i] = (model, False)
    return out
