"""Peak-memory measurement for budget tests: run a snippet in a fresh interpreter, read its VmHWM.

``ru_maxrss`` of the test process is useless for a budget (it only ever grows, and pytest workers have
run other tests before); a child interpreter's ``/proc/self/status`` is exact and isolated.  The child

1. runs ``setup`` (imports, fixtures: not counted),
2. collects garbage and resets its high-water mark by writing ``5`` to ``/proc/self/clear_refs``
   (Linux >= 4.0, see ``proc(5)``), so VmHWM restarts from the current resident size,
3. reads VmRSS (the baseline), runs ``code``, reads VmHWM (the peak),

and reports both.  The budget a test asserts is ``peak - baseline``: the memory the code itself added at
its worst moment, independent of how much the imports cost.

Example::

    from memory import peak_memory

    usage = peak_memory("x = np.ones(10**7)", setup="import numpy as np")
    assert usage.delta_mb < 100, usage

Linux only (``/proc``); callers skip with :data:`AVAILABLE`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

__all__ = ["AVAILABLE", "MemoryUsage", "peak_memory"]

AVAILABLE = sys.platform.startswith("linux") and Path("/proc/self/status").is_file()

_CHILD = r'''
import gc, json, sys

def _status():
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(rest.split()[0]) * 1024  # kB -> bytes
    return out

_ns = {"__name__": "__lshlab_memory__"}
exec(compile(sys.argv[1], "<setup>", "exec"), _ns)
gc.collect()
try:
    with open("/proc/self/clear_refs", "w") as _fh:
        _fh.write("5")
    _reset = True
except OSError:
    _reset = False
_before = _status()
exec(compile(sys.argv[2], "<code>", "exec"), _ns)
_after = _status()
_result = _ns.get("result")
print("\n__LSHLAB_MEMORY__" + json.dumps({
    "baseline": _before["VmRSS"], "hwm_before": _before["VmHWM"], "peak": _after["VmHWM"],
    "reset": _reset, "result": None if _result is None else repr(_result),
}))
'''


@dataclasses.dataclass(frozen=True)
class MemoryUsage:
    """Resident memory of a child interpreter around one snippet (bytes)."""

    baseline: int  #: VmRSS just before the snippet (after setup and a garbage collection)
    peak: int  #: VmHWM just after the snippet
    reset: bool  #: whether the high-water mark could be reset before the snippet
    result: str | None  #: ``repr`` of the variable ``result`` if the snippet set one

    @property
    def delta(self) -> int:
        """Peak resident memory the snippet added over the baseline, in bytes."""
        return self.peak - self.baseline

    @property
    def delta_mb(self) -> float:
        """:attr:`delta` in MiB."""
        return self.delta / 2**20

    def __str__(self):
        return (f"peak {self.peak / 2**20:.1f} MiB - baseline {self.baseline / 2**20:.1f} MiB = "
                f"{self.delta_mb:.1f} MiB")


def peak_memory(code: str, setup: str = "", *, env: dict | None = None, timeout: float = 120.0) -> MemoryUsage:
    """Run ``setup`` then ``code`` in a fresh Python; return the peak resident memory ``code`` added.

    Parameters
    ----------
    code : str
        The statements measured.  They share a namespace with ``setup``; a variable ``result`` set by
        them is returned as its ``repr`` (e.g. to check which exception a guarded call raised).
    setup : str
        Statements run first and not counted (imports, building inputs).
    env : dict, optional
        Extra environment variables for the child (``PYTHONPATH`` is inherited from this process).
    timeout : float
        Seconds before the child is killed (then ``subprocess.TimeoutExpired``).

    Raises
    ------
    RuntimeError
        If the child fails (its stderr is included) or the high-water mark cannot be reset, which would
        make the figure include the setup's peak.
    """
    child_env = dict(os.environ)
    child_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, textwrap.dedent(setup), textwrap.dedent(code)],
        capture_output=True, text=True, env=child_env, timeout=timeout,
    )
    marker = "__LSHLAB_MEMORY__"
    if proc.returncode != 0 or marker not in proc.stdout:
        raise RuntimeError(f"memory probe failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    info = json.loads(proc.stdout.rsplit(marker, 1)[1])
    if not info["reset"]:
        raise RuntimeError("cannot reset VmHWM (/proc/self/clear_refs not writable); the peak would "
                           "include the setup")
    return MemoryUsage(baseline=info["baseline"], peak=info["peak"], reset=info["reset"],
                       result=info["result"])
