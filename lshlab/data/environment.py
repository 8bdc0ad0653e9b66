"""Every environment variable :mod:`lshlab.data` reads, each validated with a message naming it.

===========================  ===================================================================
``LSHLAB_DATA_DIR``          folder holding ``<name>/`` sub-folders of IDX files (searched first,
                             downloads go there); must not be an existing non-folder
``LSHLAB_CACHE_DIR``         folder for decoded ``.npz`` caches; must not be an existing non-folder
``LSHLAB_OFFLINE``           ``1/true/yes/on`` forbid downloads, ``0/false/no/off`` or empty allow them
``LSHLAB_DOWNLOAD_TIMEOUT``  seconds per socket operation, a finite number in (0, 86400]
``LSHLAB_DATA_URL``          mirror base URLs (spaces or commas), each ``http://``, ``https://`` or
                             ``file://``; ``{name}`` is replaced by the dataset name
``XDG_CACHE_HOME``           base of ``lshlab/`` for a package installed outside a project; relative
                             values are ignored, as the XDG Base Directory specification requires
===========================  ===================================================================

An empty variable counts as unset.  Values are read at each call, never cached, so a notebook may change
them with ``os.environ`` between loads.
"""

from __future__ import annotations

import math
import os
import urllib.parse
from pathlib import Path

__all__ = [
    "validate",
    "data_dir",
    "cache_dir",
    "offline",
    "download_timeout",
    "mirror_urls",
    "xdg_cache_home",
    "check_seconds",
    "MAX_TIMEOUT",
]

#: Largest accepted timeout (one day): beyond it a socket timeout no longer means anything, and very
#: large floats overflow the C ``timeval`` the socket module converts them to.
MAX_TIMEOUT = 86_400.0

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")
_URL_SCHEMES = ("http", "https", "file")


def _get(var: str) -> str | None:
    value = os.environ.get(var)
    if value is None or not value.strip():
        return None
    return value


def _folder(var: str) -> Path | None:
    value = _get(var)
    if value is None:
        return None
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"environment variable {var}={value!r} is not a folder; point it at a folder "
                         f"or unset it")
    return path


def data_dir() -> Path | None:
    """``$LSHLAB_DATA_DIR`` as a path, or None when unset."""
    return _folder("LSHLAB_DATA_DIR")


def cache_dir() -> Path | None:
    """``$LSHLAB_CACHE_DIR`` as a path, or None when unset."""
    return _folder("LSHLAB_CACHE_DIR")


def offline() -> bool:
    """True when ``LSHLAB_OFFLINE`` forbids downloads."""
    raw = os.environ.get("LSHLAB_OFFLINE", "")
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"environment variable LSHLAB_OFFLINE={raw!r} must be one of "
                     f"{', '.join(_TRUE)} (no downloads) or {', '.join(_FALSE[:-1])} (downloads allowed)")


def check_seconds(value, name: str) -> float:
    """``value`` as a float number of seconds in (0, :data:`MAX_TIMEOUT`]; ``name`` is used in errors."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number of seconds in (0, {MAX_TIMEOUT:g}], got {value!r}")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds in (0, {MAX_TIMEOUT:g}], got {value!r}") from None
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_TIMEOUT):
        raise ValueError(f"{name} must be a number of seconds in (0, {MAX_TIMEOUT:g}], got {value!r}")
    return seconds


def download_timeout(default: float) -> float:
    """``$LSHLAB_DOWNLOAD_TIMEOUT`` seconds, or ``default`` when unset."""
    raw = _get("LSHLAB_DOWNLOAD_TIMEOUT")
    if raw is None:
        return check_seconds(default, "DOWNLOAD_TIMEOUT")
    try:
        return check_seconds(raw.strip(), "LSHLAB_DOWNLOAD_TIMEOUT")
    except ValueError:
        raise ValueError(f"environment variable LSHLAB_DOWNLOAD_TIMEOUT={raw!r} must be a number of seconds "
                         f"in (0, {MAX_TIMEOUT:g}]; fix or unset it") from None


def mirror_urls(dataset: str) -> list[str] | None:
    """Base URLs from ``$LSHLAB_DATA_URL`` with ``{name}`` replaced, or None when unset."""
    raw = _get("LSHLAB_DATA_URL")
    if raw is None:
        return None
    bases = [b for b in raw.replace(",", " ").split() if b]
    for base in bases:
        scheme = urllib.parse.urlsplit(base).scheme.lower()
        if scheme not in _URL_SCHEMES:
            raise ValueError(
                f"environment variable LSHLAB_DATA_URL={raw!r}: {base!r} is not an "
                f"{', '.join(s + '://' for s in _URL_SCHEMES)} URL; give base URLs separated by spaces or commas"
            )
    return [b.replace("{name}", dataset) for b in bases]


def xdg_cache_home() -> Path:
    """``$XDG_CACHE_HOME`` when set to an absolute path, else ``~/.cache`` (relative values are ignored)."""
    raw = _get("XDG_CACHE_HOME")
    if raw is not None and Path(raw).is_absolute():
        return Path(raw)
    return Path.home() / ".cache"


def validate(dataset: str, default_timeout: float) -> None:
    """Read and check every variable above at once, so a bad value fails before anything is created."""
    data_dir()
    cache_dir()
    offline()
    download_timeout(default_timeout)
    mirror_urls(dataset)
