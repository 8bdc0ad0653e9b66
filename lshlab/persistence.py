"""Saving and loading trained torch models: one file, atomic, versioned, checksummed, no pickle.

Used by :class:`lshlab.hashing.DeepSupervisedHash` and :class:`lshlab.features.ConvAutoencoder`.

File format ``lshlab-model``, version 2: one file written by ``torch.save`` of a dict of plain values::

    {"format": "lshlab-model",
     "format_version": 2,
     "class": "DeepSupervisedHash",           # the class that wrote the file
     "metadata": "<JSON text of an object>",  # hyper-parameters, fitted attributes, loss history
     "state_dict": {name: tensor, ...},       # the network's weights and buffers
     "sha256": "<hex digest>"}                # of the metadata text and every tensor (content_digest)

Read back with ``torch.load(..., weights_only=True)``, whose unpickler builds only tensors, dicts,
lists, strings and numbers (never an arbitrary object), so opening a file cannot run code.

- **Atomic.**  :func:`save_model` writes a temporary file in the destination folder and renames it
  over the destination with one ``os.replace``: a reader sees the old model or the new one, never a
  mix of the two nor a half-written file.  The temporary file is removed if anything fails (disk full,
  file-size limit, interrupt), so a failed save leaves the folder as it was.
- **Checked.**  :func:`load_model` refuses, with a :class:`ModelFileError` naming the file, anything that
  is not exactly such a dict: another format, another version, another class, a checksum that does not
  match (the zip container of ``torch.save`` does not check tensor data: a flipped bit in a weight
  loads without complaint, measured with torch 2.13), or metadata that fails the caller's schema
  (every required field present, no unknown field, each of the right type and range).
- **Version 1** was the two-file layout of earlier lshlab versions (a ``.pt`` state dict plus a
  ``.json`` sidecar, written one after the other).  It is refused, not converted: the two files were
  replaced separately, so a pair may mix two saves, and nothing recorded that they belong together,
  so no check can tell a consistent pair from a mixed one.  Those models were cached trainings or
  lecture by-products; retraining restores them (:func:`lshlab.hashing.dsh_cache.fit_or_load` does so
  by itself).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import numbers
import os
import secrets
from pathlib import Path

import torch

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ModelFileError",
    "atomic_write",
    "content_digest",
    "save_model",
    "load_model",
    "check_number",
    "check_finite_number",
    "check_number_list",
    "check_json_object",
]

FORMAT_NAME = "lshlab-model"
FORMAT_VERSION = 2
_KEYS = {"format", "format_version", "class", "metadata", "state_dict", "sha256"}


class ModelFileError(ValueError):
    """A model file exists but cannot be used: unreadable, damaged, edited, of another format, version or
    class, or with invalid metadata.  The message names the file and what is wrong with it."""


# --------------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------------
def atomic_write(path, write):
    """Create or replace ``path`` with what ``write(fh)`` writes to a binary file object.

    The bytes go to a temporary file in the same folder (``.<name>.<random>.tmp``), are flushed to disk
    and then renamed over ``path`` by ``os.replace``, which is atomic within one file system.  On any
    failure (an exception in ``write``, a full disk, an interrupt) the temporary file is removed and the
    exception propagates; ``path`` keeps its previous content.  Returns ``path`` as a :class:`Path`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def _tensor_bytes(t):
    return t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()


def content_digest(metadata_text, state_dict):
    """SHA-256 (hex) of the metadata text and of every tensor's name, dtype, shape and bytes, in key order."""
    h = hashlib.sha256()
    h.update(metadata_text.encode("utf-8"))
    for name in sorted(state_dict):
        t = state_dict[name]
        h.update(f"\0{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        h.update(memoryview(_tensor_bytes(t)))
    return h.hexdigest()


def save_model(path, kind, metadata, state_dict):
    """Write one model file (the format of the module docstring) atomically with :func:`atomic_write`.

    Parameters
    ----------
    path : str or Path
        The file to create or replace (used as given; no suffix is added).
    kind : str
        The class name recorded in the file; :func:`load_model` requires the same.
    metadata : dict
        JSON-serialisable object.  NaN and infinities are written as Python's ``json`` does (``NaN``,
        ``Infinity``), so a diverged training's loss history is kept as it was.
    state_dict : dict of str -> torch.Tensor
        Copied to the CPU before writing.

    Returns
    -------
    Path
    """
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
    text = json.dumps(metadata, sort_keys=True)
    state = {str(k): v.detach().cpu().contiguous() for k, v in state_dict.items()}
    payload = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "class": str(kind),
        "metadata": text,
        "state_dict": state,
        "sha256": content_digest(text, state),
    }
    return atomic_write(path, lambda fh: torch.save(payload, fh))


# --------------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------------
def _read(path, kind, map_location):
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except MemoryError:
        raise
    except Exception as exc:  # a truncated zip (RuntimeError, OSError), EOFError, a forbidden object, ...
        raise ModelFileError(
            f"{path} cannot be read as a saved {kind} (damaged, truncated or not a model file): "
            f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        ) from None


def _check_container(path, kind, payload):
    if isinstance(payload, dict) and payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
        raise ModelFileError(
            f"{path} holds bare weights: the two-file format (weights + JSON sidecar) of older lshlab "
            f"versions (format version 1), which this version does not read because its two files cannot "
            f"be verified as a pair.  Retrain the {kind} and save it again."
        )
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path} is not an {FORMAT_NAME!r} file (written by {kind}.save)")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION
        raise ModelFileError(
            f"{path} has format version {version!r}; this lshlab reads version {FORMAT_VERSION} only"
            + (" (the file comes from a newer lshlab: upgrade it)" if newer else f" (retrain the {kind})")
        )
    if set(payload) != _KEYS:
        raise ModelFileError(f"{path}: the file's fields are {sorted(payload)}, expected {sorted(_KEYS)}")
    if payload["class"] != kind:
        raise ModelFileError(f"{path} holds a {payload['class']!r}, not a {kind}")
    state, text = payload["state_dict"], payload["metadata"]
    if not isinstance(text, str):
        raise ModelFileError(f"{path}: the metadata must be JSON text, got {type(text).__name__}")
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ModelFileError(f"{path}: state_dict must map names to tensors")
    if payload["sha256"] != content_digest(text, state):
        raise ModelFileError(f"{path}: the content does not match its SHA-256 checksum (damaged or edited file)")
    return text, state


def load_model(path, kind, schema, map_location="cpu"):
    """Read and check a file written by :func:`save_model`.

    Parameters
    ----------
    path : str or Path
    kind : str
        The class name the file must record.
    schema : dict of str -> callable(value, name) -> value
        The metadata fields, all required; a field outside the schema is refused.  Each checker returns
        the (possibly converted) value or raises ``ValueError`` / ``TypeError`` saying what is wrong.
    map_location : str or torch.device
        Where the tensors are loaded.

    Returns
    -------
    metadata : dict
        The checked fields (the checkers' return values).
    state_dict : dict of str -> torch.Tensor

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ModelFileError
        The file exists but is unreadable, of another format, version or class, fails its checksum, or
        its metadata fails ``schema``; the message names the file and, for metadata, the field.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved {kind} at {path} (write one with {kind}.save)")
    text, state = _check_container(path, kind, _read(path, kind, map_location))
    try:
        meta = json.loads(text)
    except ValueError as exc:
        raise ModelFileError(f"{path}: the metadata is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path}: the metadata must be a JSON object, got a JSON {type(meta).__name__}")
    missing = sorted(set(schema) - set(meta))
    unknown = sorted(set(meta) - set(schema))
    if missing or unknown:
        raise ModelFileError(
            f"{path}: metadata field(s) " + "; ".join(
                part for part in (f"missing {missing}" if missing else "", f"unknown {unknown}" if unknown else "")
                if part
            ) + f" (a {kind} file has {sorted(schema)})"
        )
    checked = {}
    for name, check in schema.items():
        try:
            checked[name] = check(meta[name], name)
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: invalid metadata field {name!r}: {exc}") from None
    return checked, state


# --------------------------------------------------------------------------------------------------
# schema checkers for JSON values: checker(value, name) -> value
# --------------------------------------------------------------------------------------------------
def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_finite_number(value, name):
    """A finite JSON number (bools refused) as float."""
    if not _is_number(value) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def check_number(value, name):
    """A JSON number (NaN and infinities allowed, bools refused) as float."""
    if not _is_number(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


def check_number_list(value, name):
    """A JSON list of numbers (e.g. a loss history; NaN allowed), as a list of floats."""
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list of numbers, got {type(value).__name__}")
    return [check_number(v, f"{name}[{i}]") for i, v in enumerate(value)]


def check_json_object(keys):
    """Checker of a JSON object with exactly the string keys ``keys`` (returns a copy of the dict)."""
    keys = frozenset(keys)

    def check(value, name):
        if not isinstance(value, dict):
            raise ValueError(f"{name} must be a JSON object, got {type(value).__name__}")
        missing, unknown = sorted(keys - set(value)), sorted(set(value) - keys)
        if missing or unknown:
            raise ValueError(f"{name} must have the keys {sorted(keys)}; missing {missing}, unknown {unknown}")
        return dict(value)

    return check
