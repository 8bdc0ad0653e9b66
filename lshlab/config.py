"""Notebook parameters read from environment variables.

Every notebook has one parameter cell such as::

    N_DATABASE = param("N_DATABASE", full=9000, small=1500)

The value is, in order of precedence:

1. the environment variable ``LSHLAB_<NAME>`` (for example ``LSHLAB_N_DATABASE=3000``);
2. ``small`` when ``LSHLAB_SIZE=small`` (what CI sets, so notebooks run as fast tests);
3. ``full`` otherwise (what a learner gets in JupyterLab).

The type of ``full`` decides how the environment string is parsed (int, float, bool or str).
"""

from __future__ import annotations

import os

__all__ = ["param", "is_small"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def is_small() -> bool:
    """True when ``LSHLAB_SIZE`` asks for the small (CI) size."""
    size = os.environ.get("LSHLAB_SIZE", "full").strip().lower()
    if size not in {"small", "full"}:
        raise ValueError(f"LSHLAB_SIZE must be 'small' or 'full', got {size!r}")
    return size == "small"


def param(name: str, full, small=None):
    """Return a notebook parameter; see the module docstring for the precedence rules."""
    if not name.isidentifier() or name.upper() != name:
        raise ValueError(f"parameter name must be an UPPER_CASE identifier, got {name!r}")
    default = small if (small is not None and is_small()) else full
    raw = os.environ.get(f"LSHLAB_{name}")
    if raw is None:
        return default
    kind = type(full)
    try:
        if kind is bool:
            low = raw.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
    except ValueError:
        raise ValueError(
            f"environment variable LSHLAB_{name}={raw!r} is not a valid {kind.__name__}"
        ) from None
    return raw
