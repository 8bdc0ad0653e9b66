"""Cache of trained DSH models, shared by ``benchmarks/fashion_map.py`` and lecture 11.

A model is stored as one ``<stem>.pt`` file of the ``lshlab-model`` format (:mod:`lshlab.persistence`)
in :func:`default_cache_dir`; the stem (:func:`dsh_cache_name`) encodes the hyper-parameters, the number
of training images and the seed.  :func:`fit_or_load` returns the cached model when its stored
parameters equal the requested ones, and otherwise fits it and writes the file atomically.  A cached file
that cannot be used — truncated, bit-flipped (its checksum fails), edited, of another format version or
with invalid metadata — is reported by a warning naming the file and replaced by a fresh fit.
:func:`fit_or_load_many` trains several missing models in parallel worker processes, and
:func:`encode_many` encodes images with several models in parallel.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from .._validation import check_positive_int
from ..persistence import ModelFileError
from .deep_supervised import DeepSupervisedHash

__all__ = [
    "default_cache_dir",
    "dsh_cache_name",
    "encode_many",
    "find_cached",
    "fit_or_load",
    "fit_or_load_many",
    "train_validation_split",
]

# parameters that change how fast a model is computed, never the model: not in the cache key
_RUNTIME_PARAMS = ("device", "n_jobs", "progress")


def default_cache_dir():
    """``$LSHLAB_DSH_CACHE`` if set, else ``<project>/data/cache/dsh`` (git-ignored)."""
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


def dsh_cache_name(n_bits, alpha, max_iter, n_train, seed, params=None):
    """File stem of a cached model, e.g. ``dsh_b16_a0.005_i3_n55000_s0`` (+ ``_<hash>`` of ``params``).

    ``params`` (a dict of the other hyper-parameters) adds the first 8 hex digits of the SHA-256 of
    its sorted JSON, so models differing in learning rate, batch size, … never overwrite each other.
    The file itself is ``<stem>.pt``.
    """
    stem = f"dsh_b{int(n_bits)}_a{float(alpha):g}_i{int(max_iter)}_n{int(n_train)}_s{int(seed)}"
    if params:
        blob = json.dumps({k: params[k] for k in sorted(params)}, sort_keys=True, default=str)
        stem += "_" + hashlib.sha256(blob.encode()).hexdigest()[:8]
    return stem


def fit_or_load(X, y, cache_dir=None, validation=None, refit=False, **params):
    """Load the cached model with these parameters and training size, or fit it and cache it.

    The cache key is :func:`dsh_cache_name` of (n_bits, alpha, max_iter, len(X), random_state) and a hash
    of the other hyper-parameters; the stored parameters must equal ``params`` (otherwise the model is
    refitted and overwritten).  The training images themselves are identified only by their number:
    callers use a fixed split (:func:`train_validation_split`).  A cached file that cannot be used
    (damaged, edited, of another format version: :class:`lshlab.persistence.ModelFileError`) gives a
    ``UserWarning`` naming it and is replaced by a fresh fit; the file is always written atomically.

    Parameters
    ----------
    X, y, validation
        As for :meth:`DeepSupervisedHash.fit`.
    cache_dir : str or Path, optional
        Default :func:`default_cache_dir`.
    refit : bool, default False
        Ignore (and overwrite) the cache.
    **params
        Keyword arguments of :class:`DeepSupervisedHash` (``random_state`` an int).

    Returns
    -------
    model : DeepSupervisedHash
    cached : bool
        True when the model came from the cache.
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


def find_cached(n_train, cache_dir=None, **params):
    """The cached model trained on ``n_train`` images with these parameters, or None (nothing is trained).

    For reusing models another program trained, e.g. the full-protocol models of
    ``benchmarks/fashion_map.py`` (``n_train`` = 55,000 there).  A cached file that cannot be used gives
    the ``UserWarning`` of :func:`fit_or_load` and None.

    Parameters
    ----------
    n_train : int
        Number of training images the model was fitted on (part of the cache key).
    cache_dir : str or Path, optional
        Default :func:`default_cache_dir`.
    **params
        Keyword arguments of :class:`DeepSupervisedHash` (``random_state`` an int).
    """
    n_train = check_positive_int(n_train, "n_train")
    model = DeepSupervisedHash(**params)
    model.validate_params()
    return _load_cached(model, _cache_path(model, n_train, cache_dir))


def _cache_path(model, n_train, cache_dir):
    p = model.get_params()
    if isinstance(p["random_state"], bool) or not isinstance(p["random_state"], (int, np.integer)):
        raise ValueError("fit_or_load needs an integer random_state (it is part of the cache key)")
    other = {k: v for k, v in p.items() if k not in _RUNTIME_PARAMS}
    stem = dsh_cache_name(p["n_bits"], p["alpha"], p["max_iter"], n_train, p["random_state"], other)
    return Path(cache_dir or default_cache_dir()) / f"{stem}.pt"


def _load_cached(model, path):
    """The cached model at ``path`` if it is usable and its stored parameters equal ``model``'s, else None."""
    if not path.exists():
        return None
    p = model.get_params()
    try:
        loaded = DeepSupervisedHash.load(path, device=p["device"])
    except ModelFileError as exc:
        warnings.warn(f"refitting {path}: the cached model cannot be used: {exc}", UserWarning, stacklevel=3)
        return None
    lp = loaded.get_params()
    same = all(lp[k] == p[k] for k in p if k not in (*_RUNTIME_PARAMS, "image_shape"))
    if not (same and tuple(lp["image_shape"]) == tuple(p["image_shape"])):
        return None
    loaded.set_params(n_jobs=p["n_jobs"], progress=p["progress"])
    return loaded


def _fit_worker(data_dir, cache_dir, params):
    """Worker of :func:`fit_or_load_many`: read the arrays saved by the parent, fit one model and cache it."""
    d = Path(data_dir)
    X = np.load(d / "X.npy", mmap_mode="r", allow_pickle=False)
    y = np.load(d / "y.npy", allow_pickle=False)
    validation = None
    if (d / "X_val.npy").exists():
        validation = (np.load(d / "X_val.npy", allow_pickle=False), np.load(d / "y_val.npy", allow_pickle=False))
    fit_or_load(np.asarray(X), y, cache_dir=cache_dir, validation=validation, refit=True, **params)


def fit_or_load_many(X, y, param_list, n_jobs=1, cache_dir=None, validation=None, refit=False, progress=True):
    """:func:`fit_or_load` for several parameter sets, training the missing models in parallel processes.

    Each missing model is trained by one worker process with **one** torch thread (the model's
    ``n_jobs=1``), ``n_jobs`` workers at a time.  On a small shared CPU this is much faster than one
    process with several threads: a batch of 50 images is many small operations, and with several OpenMP
    threads every one of them waits at a barrier for the slowest thread — on a busy machine, for a thread
    that the scheduler has paused (measured here at batch 50 with another process on one of the two cores:
    160–390 ms per step with 2 threads, 30–50 ms with 1).  The models are independent, so the result does
    not depend on the scheduling: a model trained in a worker equals one trained in-process with
    ``n_jobs=1`` (the cache key does not include the thread count).

    Parameters
    ----------
    X, y, validation, cache_dir, refit
        As for :func:`fit_or_load` (shared by every model).
    param_list : list of dict
        Keyword arguments of :class:`DeepSupervisedHash`, one dict per model (``random_state`` an int;
        its ``n_jobs`` is the model's torch threads when it is fitted in this process).
    n_jobs : int, default 1
        Worker processes; 1 fits in this process, one model after the other, each with its own
        ``n_jobs`` threads.
    progress : bool, default True
        A tqdm bar over the models to train, advanced as each one is finished (cached models are
        not counted: with every model cached there is no bar).

    Returns
    -------
    list of (model, cached)
        In the order of ``param_list``; ``cached`` is True when the model was in the cache before the
        call.
    """
    n_jobs = check_positive_int(n_jobs, "n_jobs")
    param_list = [dict(p) for p in param_list]
    if not param_list:
        raise ValueError("param_list is empty; pass at least one dict of DeepSupervisedHash parameters")
    for p in param_list:  # validate everything (and the cache key) before loading or starting processes
        DeepSupervisedHash(**p).validate_params()
        if isinstance(p.get("random_state"), bool) or not isinstance(p.get("random_state"), (int, np.integer)):
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
    bar = None
    if progress and missing:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(missing), desc=f"training {len(missing)} DSH model(s), {len(X)} images",
                   unit="model")
    try:
        _fit_missing(X, y, param_list, missing, out, n_jobs, cache_dir, validation, bar)
    finally:
        if bar is not None:
            bar.close()
    return out


def _fit_missing(X, y, param_list, missing, out, n_jobs, cache_dir, validation, bar):
    """Fit the models ``missing`` (indices into ``param_list``) and put ``(model, False)`` into ``out``."""
    import tempfile
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    if n_jobs == 1 or len(missing) <= 1:  # the cache was read: fit every missing model here
        for i in missing:
            out[i] = fit_or_load(X, y, cache_dir=cache_dir, validation=validation, refit=True, **param_list[i])
            if bar is not None:
                bar.update(1)
        return
    with tempfile.TemporaryDirectory(prefix="dsh_fit_") as tmp:
        np.save(Path(tmp) / "X.npy", X, allow_pickle=False)
        np.save(Path(tmp) / "y.npy", y, allow_pickle=False)
        if validation is not None:
            Xv, yv = validation
            np.save(Path(tmp) / "X_val.npy", np.asarray(Xv, dtype=np.float32), allow_pickle=False)
            np.save(Path(tmp) / "y_val.npy", np.asarray(yv), allow_pickle=False)
        jobs = [{**param_list[i], "n_jobs": 1, "progress": False} for i in missing]
        # "spawn": a fresh interpreter per worker (forking a process whose OpenMP pool is running can hang).
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs)), mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_fit_worker, tmp, cache_dir, job) for job in jobs]
            for f in as_completed(futures):
                f.result()  # a worker's exception is raised here
                if bar is not None:
                    bar.update(1)
    for i in missing:
        m = DeepSupervisedHash(**param_list[i])
        path = _cache_path(m, len(X), cache_dir)
        loaded = _load_cached(m, path)
        if loaded is None:  # pragma: no cover - the worker has just written this file
            raise RuntimeError(f"the model trained for {param_list[i]} is missing from the cache: {path}")
        out[i] = (loaded, False)


def _encode_worker(model_path, x_path, out_path):
    """Worker of :func:`encode_many`: load one model, encode the saved images with one thread, save the codes."""
    model = DeepSupervisedHash.load(model_path)
    model.set_params(n_jobs=1)
    X = np.load(x_path, mmap_mode="r", allow_pickle=False)
    codes = model.transform(np.asarray(X))
    tmp = Path(str(out_path) + ".tmp.npy")
    np.save(tmp, codes, allow_pickle=False)
    os.replace(tmp, out_path)


def encode_many(models, X, n_jobs=1, progress=True):
    """Codes of the images ``X`` under several fitted models, ``n_jobs`` models at a time.

    With ``n_jobs > 1`` every model is encoded in its own single-threaded worker process (as
    :func:`fit_or_load_many` trains them, and for the same reason: on a small shared CPU, processes with
    one thread each beat one process with several threads); the codes are identical to
    ``model.transform(X)`` in this process.

    Parameters
    ----------
    models : list of fitted DeepSupervisedHash
    X : array-like (n, H*W) or (n, H, W)
    n_jobs : int, default 1
        Worker processes; 1 encodes here, one model after the other.
    progress : bool, default True
        A tqdm bar over the models.

    Returns
    -------
    list of uint8 arrays (n, n_bits), in the order of ``models``.
    """
    import tempfile
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    from tqdm.auto import tqdm

    n_jobs = check_positive_int(n_jobs, "n_jobs")
    models = list(models)
    if not models:
        raise ValueError("models is empty; pass at least one fitted DeepSupervisedHash")
    for i, m in enumerate(models):
        if not isinstance(m, DeepSupervisedHash):
            raise ValueError(f"models[{i}] must be a DeepSupervisedHash, got {type(m).__name__}")
    X = np.asarray(X)
    if X.ndim not in (2, 3) or len(X) == 0:
        raise ValueError(f"X must hold flattened images (n, H*W) or images (n, H, W), n >= 1; got shape {X.shape}")
    for m in models:
        m.transform(X[:1])  # every model's own checks (fitted, image shape) on one row, before any worker starts
    bar = tqdm(total=len(models), desc=f"encoding {len(X)} images with {len(models)} model(s)", unit="model",
               disable=not progress)
    with bar:
        if n_jobs == 1 or len(models) == 1:
            out = []
            for m in models:
                out.append(m.transform(X))
                bar.update(1)
            return out
        with tempfile.TemporaryDirectory(prefix="dsh_encode_") as tmp:
            tmp = Path(tmp)
            np.save(tmp / "X.npy", np.ascontiguousarray(X, dtype=np.float32), allow_pickle=False)
            paths = [m.save(tmp / f"model_{i}.pt") for i, m in enumerate(models)]
            outs = [tmp / f"codes_{i}.npy" for i in range(len(models))]
            with ProcessPoolExecutor(max_workers=min(n_jobs, len(models)), mp_context=get_context("spawn")) as pool:
                futures = [pool.submit(_encode_worker, p, tmp / "X.npy", o) for p, o in zip(paths, outs)]
                for f in as_completed(futures):
                    f.result()
                    bar.update(1)
            return [np.load(o, allow_pickle=False) for o in outs]
