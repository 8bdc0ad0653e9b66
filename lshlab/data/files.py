"""File-system steps shared by the downloader and the cache: permissions, removal, folders made for a job.

The package removes only what it created itself: its own temporary files (made by :func:`tempfile.mkstemp`
in the target folder), its own cache entries (see :mod:`lshlab.data.cache`), and folders it created for
a download that failed, when they are still empty.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["chmod_default", "unlink_quietly", "folder_for_job"]


def chmod_default(path):
    """Give a file made by mkstemp (mode 0600) the permissions of an ordinary new file (0666 & ~umask)."""
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(path, 0o666 & ~umask)
    except OSError:
        pass


def unlink_quietly(path) -> bool:
    """Remove a file this package created (a temporary or its own cache entry); True if removed."""
    try:
        os.unlink(path)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def folder_for_job(folder):
    """Create ``folder`` (and missing parents) for a job; if the job fails, remove those that are empty.

    Only folders this call created are removed, deepest first, and only while empty (:func:`os.rmdir`
    refuses anything else), so a failed download leaves the file system as it found it.
    """
    folder = Path(folder)
    created = []
    p = folder
    while not p.exists() and p != p.parent:
        created.append(p)
        p = p.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
    except BaseException:
        for p in created:  # deepest first
            try:
                p.rmdir()
            except OSError:
                break
        raise
