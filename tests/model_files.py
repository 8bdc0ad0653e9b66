"""Helpers for the tests of saved torch models (``lshlab-model`` files): edit, damage, fail a save.

- :func:`rewrite` edits a saved file *consistently* (checksum recomputed): what a deliberate edit or a
  bug could write, so that the metadata checks, not the checksum, must catch it.
- :func:`set_field` / :func:`drop_field` build such edits of the metadata.
- :func:`failed_saves` saves a model, then saves another one over it under ``RLIMIT_FSIZE`` limits
  (a full disk) in a child process, and reports what each failed save left in the folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import torch


def rewrite(path, edit_meta=None, edit_state=None):
    """Apply ``edit_meta(meta) -> meta`` and ``edit_state(state_dict)`` to a saved file, checksum recomputed."""
    from lshlab.persistence import content_digest

    payload = torch.load(path, weights_only=True)
    if edit_meta is not None:
        payload["metadata"] = json.dumps(edit_meta(json.loads(payload["metadata"])))
    if edit_state is not None:
        edit_state(payload["state_dict"])
    payload["sha256"] = content_digest(payload["metadata"], payload["state_dict"])
    torch.save(payload, path)


def _walk(meta, keys):
    for k in keys:
        meta = meta[k]
    return meta


def set_field(*keys_and_value):
    """Edit setting ``meta[k1][k2]... = value``."""
    *keys, value = keys_and_value

    def edit(meta):
        _walk(meta, keys[:-1])[keys[-1]] = value
        return meta

    return edit


def drop_field(*keys):
    """Edit deleting ``meta[k1][k2]...``."""

    def edit(meta):
        del _walk(meta, keys[:-1])[keys[-1]]
        return meta

    return edit


# The child process: fit two small models, save the first, then try to save the second over it with the
# file size limited to a fraction of the saved file(s).  SIGXFSZ is ignored so that a write past the
# limit fails with EFBIG, as on a full disk (by default the signal would kill the process).  Only the
# shared parameters of the old and the new API are used, so the same script runs on older lshlab code.
_CHILD = textwrap.dedent(
    """
    import json, resource, signal, sys
    from pathlib import Path
    import numpy as np

    kind, folder = sys.argv[1], Path(sys.argv[2])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    rng = np.random.default_rng(0)
    if kind == "DeepSupervisedHash":
        from lshlab.hashing import DeepSupervisedHash as cls
        X, y = rng.random((30, 64)).astype(np.float32), np.repeat([0, 1], 15)
        make = lambda s: cls(n_bits=4, batch_size=10, image_shape=(8, 8), random_state=s, progress=False).fit(X, y)
        out = lambda m: m.embed(X)
    else:
        from lshlab.features import ConvAutoencoder as cls
        X = rng.random((32, 144)).astype(np.float32)
        make = lambda s: cls(latent_dim=4, image_shape=(12, 12), batch_size=16, random_state=s, progress=False).fit(X)
        out = lambda m: m.encode(X)
    first, second = make(0), make(1)
    path = folder / "model.pt"
    first.save(path)
    expected = out(first)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    size = max(len(b) for b in before.values())
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    report = []
    for frac in (0.01, 0.5, 0.99):
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(size * frac), hard))
        try:
            second.save(path)
            raised = None
        except BaseException as exc:
            raised = type(exc).__name__
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        after = {p.name: p.read_bytes() for p in folder.iterdir()}
        try:
            same_model = bool(np.array_equal(out(cls.load(path)), expected))
        except Exception as exc:
            same_model = f"{type(exc).__name__}: {exc}"
        report.append({"fraction": frac, "raised": raised, "files_before": sorted(before),
                       "files_after": sorted(after), "bytes_unchanged": after == before,
                       "loads_first_model": same_model})
    print(json.dumps(report))
    """
)


def failed_saves(kind, folder):
    """Run the child process for ``kind`` ("DeepSupervisedHash" or "ConvAutoencoder") in ``folder``."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", _CHILD, kind, str(folder)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
