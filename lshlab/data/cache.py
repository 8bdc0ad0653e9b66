"""The decoded-array cache: one ``.npz`` per split, verified against what it claims before it is used.

A cache file ``<dataset>-<split>-<key>.npz`` (``key`` = first 20 hex digits of the SHA-256 of each gz
source, images then labels) holds three arrays, written with :func:`numpy.savez` and read without pickle:

``images`` / ``labels``
    the decoded uint8 arrays;
``meta``
    a JSON string: format name and version, dataset, split, key, and per source file its shape and the
    SHA-256 of its decompressed IDX payload (header + bytes) — a checksum of the cache's own content,
    recorded at write.

Reading checks, before any array byte is read, that the members are exactly these three and that each
array header announces the dtype and the exact shape of :data:`~lshlab.data.catalog.IDX_SHAPES` (so a
forged header cannot make the reader allocate more than the real data); then that the meta matches the
file name and the current sources; then the label range 0..9, and the SHA-256 of the arrays, as IDX
payloads, against the published payload SHA-256 (:data:`~lshlab.data.catalog.SHA256_PAYLOAD`) where
known and the recorded one otherwise.  Any failure — an unreadable, truncated or bit-flipped file
included — emits a :class:`~lshlab.data.catalog.DataCacheWarning` naming the file and the reason, and the
caller rebuilds the entry from the verified sources.

An entry of the previous format (``images`` and ``labels`` only, written by lshlab 0.1 without
verification) is rebuilt silently.  Writes are atomic (a temporary file in the same folder, then :func:`os.replace`).  After a write, stale
entries of the same dataset and split are removed — only files this module wrote: the name must match
the exact pattern above and the file must hold a ``meta`` member of this format naming the same dataset,
split and the key in its name.  Anything else in the folder (a user's ``mnist-test-embeddings.npz``) is
never touched, even in ``LSHLAB_CACHE_DIR``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
import tempfile
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .catalog import IDX_SHAPES, SHA256_PAYLOAD, SPLIT_FILES, DataCacheWarning
from .files import chmod_default, unlink_quietly
from .idx import idx_header

__all__ = ["FORMAT", "VERSION", "cache_name", "read_cache", "write_cache", "remove_stale"]

FORMAT = "lshlab.data cache"
VERSION = 2
_MEMBERS = {"images.npy", "labels.npy", "meta.npy"}
_LEGACY_MEMBERS = {"images.npy", "labels.npy"}  # lshlab <= 0.1 wrote no meta (and did not verify)
_META_MAX_BYTES = 1 << 16
_KEY = r"[0-9a-f]{20}-[0-9a-f]{20}"
#: What a damaged file can raise while zipfile / numpy read it (zipfile raises RuntimeError for an
#: "encrypted" member, NotImplementedError for an unknown compression method, zlib.error for bad deflate).
_DAMAGE = (OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zlib.error, zipfile.BadZipFile,
           zipfile.LargeZipFile, struct.error)


class _Invalid(ValueError):
    """Why a cache file cannot be used (becomes the warning's text)."""


class _Legacy(Exception):
    """An entry of the format before version 2 (no meta): rebuilt without a warning."""


def cache_name(dataset: str, split: str, key: str) -> str:
    """File name of the cache entry of one split whose sources hash to ``key``."""
    return f"{dataset}-{split}-{key}.npz"


def _read_member(zf: zipfile.ZipFile, member: str, dtype_ok, shape=None, max_bytes=None) -> np.ndarray:
    """Read one ``.npy`` member after checking its header (dtype, exact shape or a size limit)."""
    with zf.open(member) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            arr_shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            arr_shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise _Invalid(f"{member} has .npy format version {version}")
        if not dtype_ok(dtype) or dtype.hasobject or fortran:
            raise _Invalid(f"{member} holds dtype {dtype}{' (Fortran order)' if fortran else ''}")
        if shape is not None and tuple(arr_shape) != tuple(shape):
            raise _Invalid(f"{member} holds an array of shape {tuple(arr_shape)}, expected {tuple(shape)}")
        nbytes = math.prod(arr_shape) * dtype.itemsize
        if max_bytes is not None and nbytes > max_bytes:
            raise _Invalid(f"{member} announces {nbytes:,} bytes")
        arr = np.empty(arr_shape, dtype=dtype)
        view = memoryview(arr.reshape(-1).view(np.uint8)) if arr.size else memoryview(b"")
        got = 0
        while got < len(view):
            n = fh.readinto(view[got:])
            if not n:
                raise _Invalid(f"{member} is truncated ({got:,} of {len(view):,} bytes)")
            got += n
        if fh.read(1):  # reading to the end also makes zipfile check the member's CRC-32
            raise _Invalid(f"{member} holds more bytes than its header announces")
    return arr


def _verify(path: Path, dataset: str, split: str, key: str):
    files = SPLIT_FILES[split]
    shapes = [tuple(IDX_SHAPES[dataset][f]) for f in files]
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        if names == _LEGACY_MEMBERS:
            raise _Legacy()
        if names != _MEMBERS:
            raise _Invalid(f"it holds {sorted(names)}, expected {sorted(_MEMBERS)}")
        meta_arr = _read_member(zf, "meta.npy", lambda dt: dt.kind == "U", shape=(), max_bytes=_META_MAX_BYTES)
        images = _read_member(zf, "images.npy", lambda dt: dt == np.uint8, shape=shapes[0])
        labels = _read_member(zf, "labels.npy", lambda dt: dt == np.uint8, shape=shapes[1])
    try:
        meta = json.loads(str(meta_arr[()]))
    except ValueError as exc:
        raise _Invalid(f"its meta is not JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise _Invalid(f"it is not a {FORMAT} of version {VERSION}")
    claimed = {k: meta.get(k) for k in ("dataset", "split", "key")}
    if claimed != {"dataset": dataset, "split": split, "key": key}:
        raise _Invalid(f"its meta describes {claimed}, expected dataset {dataset!r}, split {split!r}, key {key!r}")
    if labels.size and labels.max() > 9:
        raise _Invalid(f"it holds label {int(labels.max())}, expected labels 0..9")
    recorded = meta.get("files")
    if not isinstance(recorded, dict):
        raise _Invalid("its meta lists no source files")
    for fname, arr in zip(files, (images, labels)):
        entry = recorded.get(fname)
        rec_sha = entry.get("payload_sha256") if isinstance(entry, dict) else None
        published = SHA256_PAYLOAD.get(dataset, {}).get(fname)
        expected = published or rec_sha
        if not isinstance(expected, str):
            raise _Invalid(f"its meta records no payload SHA-256 for {fname}")
        digest = hashlib.sha256(idx_header(arr.shape))
        digest.update(arr.reshape(-1).data)
        if digest.hexdigest() != expected or (published and rec_sha != published):
            raise _Invalid(f"its {fname} content does not match its SHA-256 "
                           f"({'published' if published else 'recorded at write'})")
    return images, labels


def read_cache(path: Path, dataset: str, split: str, key: str):
    """``(images, labels)`` of a verified cache entry, None when absent or invalid (with a warning)."""
    if not path.is_file():
        return None
    try:
        return _verify(path, dataset, split, key)
    except _Legacy:
        return None  # an older lshlab's entry at this name: replaced by a verified one
    except FileNotFoundError:
        return None  # removed meanwhile (another process replaced a stale entry): an ordinary miss
    except _DAMAGE as exc:
        reason = str(exc) if isinstance(exc, _Invalid) else f"unreadable ({type(exc).__name__}: {exc})"
        warnings.warn(f"cache file {path} is not a valid cache of the {dataset} {split} split: {reason}; "
                      "rebuilding it from the verified source files", DataCacheWarning, stacklevel=4)
        return None


def write_cache(path: Path, dataset: str, split: str, key: str, images, labels, payload_sha256) -> bool:
    """Write a cache entry atomically; False (and nothing left behind) when the folder is not writable.

    ``payload_sha256`` maps each source file name to the SHA-256 of its decompressed payload.
    """
    files = SPLIT_FILES[split]
    meta = {
        "format": FORMAT, "version": VERSION, "dataset": dataset, "split": split, "key": key,
        "files": {f: {"shape": list(a.shape), "payload_sha256": payload_sha256[f]}
                  for f, a in zip(files, (images, labels))},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".npz.part", dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, images=images, labels=labels, meta=np.array(json.dumps(meta, sort_keys=True)))
        chmod_default(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        unlink_quietly(tmp)
        if isinstance(exc, OSError):
            return False
        raise
    return True


def _own_entry(path: Path, dataset: str, split: str) -> bool:
    """Whether ``path`` is a cache entry this module wrote for ``dataset`` / ``split``."""
    match = re.fullmatch(rf"{re.escape(dataset)}-{re.escape(split)}-({_KEY})\.npz", path.name)
    if match is None or path.is_symlink() or not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            if set(zf.namelist()) != _MEMBERS:
                return False
            meta = json.loads(str(_read_member(zf, "meta.npy", lambda dt: dt.kind == "U", shape=(),
                                               max_bytes=_META_MAX_BYTES)[()]))
    except _DAMAGE:
        return False
    return (isinstance(meta, dict) and meta.get("format") == FORMAT and meta.get("dataset") == dataset
            and meta.get("split") == split and meta.get("key") == match.group(1))


def remove_stale(folder: Path, dataset: str, split: str, keep: Path) -> list[Path]:
    """Remove this module's other entries of ``dataset`` / ``split`` in ``folder``; return them."""
    removed = []
    try:
        candidates = sorted(folder.glob(f"{dataset}-{split}-*.npz"))
    except OSError:
        return removed
    for old in candidates:
        if old != keep and _own_entry(old, dataset, split) and unlink_quietly(old):
            removed.append(old)
    return removed
