"""Downloading IDX files: streamed, size-capped, time-bounded, verified, renamed atomically.

Each file is streamed (tqdm progress bar on stderr) into a temporary file in the target folder.  The
transfer is refused as soon as it would exceed the published size of the file
(:data:`~lshlab.data.catalog.GZ_SIZES`: an announced ``Content-Length`` above it is refused before the
body is read), bounded per socket operation by ``timeout`` and in total by ``max_seconds``; the temporary
file is then verified like a local file (:func:`~lshlab.data.idx.verify_file`) and only then renamed to
its final name with :func:`os.replace`.  On any failure the temporary file is removed and the next mirror
is tried; folders created for a download that fails are removed again when empty.
"""

from __future__ import annotations

import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import environment
from .catalog import GZ_SIZES, IDX_DATASETS, MD5_GZ, MIRRORS, TITLES, DataIntegrityError, check_name
from .files import chmod_default, folder_for_job, unlink_quietly
from .idx import max_gz_size, read_idx_gz

__all__ = ["DOWNLOAD_TIMEOUT", "DOWNLOAD_MAX_SECONDS", "mirrors", "download_allowed", "download_files"]

#: Seconds a download may wait on one socket operation (``LSHLAB_DOWNLOAD_TIMEOUT`` replaces it), and in
#: total per file.
DOWNLOAD_TIMEOUT = 30.0
DOWNLOAD_MAX_SECONDS = 1800.0
_CHUNK = 1 << 16


def mirrors(dataset: str) -> list[str]:
    """Base URLs tried in order: ``$LSHLAB_DATA_URL`` when set, else :data:`MIRRORS`."""
    env = environment.mirror_urls(dataset)
    return env if env is not None else list(MIRRORS[dataset])


def download_allowed(download) -> bool:
    """``download`` (True / False), or for None whether ``LSHLAB_OFFLINE`` allows downloads."""
    if download is None:
        return not environment.offline()
    if not isinstance(download, bool):
        raise ValueError(f"download must be None (allowed unless LSHLAB_OFFLINE=1), True or False, got {download!r}")
    return download


def _size_limit(dataset: str, fname: str) -> int:
    """Most bytes a download of ``fname`` may transfer: its published size (any gzip of it, if unknown)."""
    return GZ_SIZES.get(dataset, {}).get(fname) or max_gz_size(dataset, fname)


def _fetch(url: str, folder: Path, dataset: str, fname: str, timeout: float, max_seconds: float):
    """Stream ``url`` into a temp file in ``folder``, verify it, rename it to ``folder/fname``."""
    from tqdm.auto import tqdm

    limit = _size_limit(dataset, fname)
    fd, tmp = tempfile.mkstemp(prefix=f".{fname}.", suffix=".part", dir=folder)
    start = time.monotonic()
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "lshlab"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > limit:
                raise ConnectionError(f"the server announces {total:,} bytes; the published {fname} has "
                                      f"{limit:,}")
            received = 0
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=fname,
                      file=sys.stderr, leave=True) as bar:
                while chunk := resp.read(min(_CHUNK, limit + 1 - received)):
                    received += len(chunk)
                    if received > limit:
                        raise ConnectionError(f"the server sent more than the {limit:,} bytes of the "
                                              f"published {fname}; download stopped")
                    out.write(chunk)
                    bar.update(len(chunk))
                    if time.monotonic() - start > max_seconds:
                        raise TimeoutError(f"download took longer than {max_seconds:g} s")
            if total is not None and received != total:
                raise ConnectionError(f"connection closed after {received:,} of {total:,} bytes")
        read_idx_gz(tmp, dataset, fname)
        chmod_default(tmp)
        os.replace(tmp, folder / fname)
    except BaseException:
        unlink_quietly(tmp)
        raise


def download_files(dataset: str, files, folder, *, timeout: float | None = None,
                   max_seconds: float | None = None) -> list[Path]:
    """Download ``files`` of ``dataset`` into ``folder``, each verified and renamed atomically.

    Each file is streamed (with a tqdm progress bar on stderr) into a temporary file in ``folder``,
    stopped as soon as it exceeds the published size, checked with :func:`verify_file` and only then
    moved to its final name with :func:`os.replace`; on any failure the temporary file is removed, so a
    partial file never sits under the final name.  A file already in ``folder`` is verified, never
    overwritten: a valid one is kept without a download, an invalid one is an error (delete it first).
    Mirrors (:data:`MIRRORS`, or ``LSHLAB_DATA_URL``) are tried in order.  ``timeout`` bounds every
    socket operation (default ``LSHLAB_DOWNLOAD_TIMEOUT``, else :data:`DOWNLOAD_TIMEOUT`),
    ``max_seconds`` the whole transfer of one file (default :data:`DOWNLOAD_MAX_SECONDS`).  Folders
    created here are removed again, when empty, if the download fails.

    Raises ``FileNotFoundError`` listing what each mirror answered when a file could not be obtained,
    ``ValueError`` for a bad argument or environment variable (before anything is created).
    """
    check_name(dataset, allowed=IDX_DATASETS)
    files = list(files)
    for fname in files:
        if fname not in MD5_GZ[dataset]:
            raise ValueError(f"files must name files of {TITLES[dataset]} ({sorted(MD5_GZ[dataset])}), got {fname!r}")
    environment.validate(dataset, DOWNLOAD_TIMEOUT)
    if timeout is None:
        timeout = environment.download_timeout(DOWNLOAD_TIMEOUT)
    timeout = environment.check_seconds(timeout, "timeout")
    max_seconds = environment.check_seconds(DOWNLOAD_MAX_SECONDS if max_seconds is None else max_seconds,
                                            "max_seconds")
    bases = mirrors(dataset)
    done = []
    with folder_for_job(folder) as folder:
        for fname in files:
            if (folder / fname).exists():
                read_idx_gz(folder / fname, dataset, fname)  # valid: keep it; invalid: an error naming it
                done.append(folder / fname)
                continue
            errors = []
            for base in bases:
                url = base.rstrip("/") + "/" + fname
                try:
                    _fetch(url, folder, dataset, fname, timeout, max_seconds)
                except (OSError, http.client.HTTPException, DataIntegrityError, ValueError) as exc:
                    reason = exc.reason if isinstance(exc, urllib.error.URLError) and not isinstance(
                        exc, urllib.error.HTTPError) else exc
                    errors.append(f"{url}: {type(exc).__name__}: {reason}")
                    continue
                done.append(folder / fname)
                break
            else:
                raise FileNotFoundError(
                    f"could not download {fname} of {TITLES[dataset]} into {folder}; no partial file was kept. "
                    "Mirrors tried:\n  " + "\n  ".join(errors)
                )
    return done
