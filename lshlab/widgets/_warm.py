"""Precompute the settings one key press away from the current one, in a background thread.

A computing explorer (one with ``pending``) answers a move instantly when the setting is cached and
slowly on a first visit (encoding a database, running a learner).  A learner moves a slider a step at
a time, so after each move made in a live kernel the explorer asks a :class:`Warmer` to compute the
neighbouring settings — the next value in the direction of the last move first, then the previous
one, then one step of every other control — while the learner looks at the figure.  The next press
then finds its setting cached, or waits only for the rest of a computation already under way
(:meth:`Warmer.wait_for`), instead of starting it.

Neighbours follow the slider's own grid: selection sliders step through their options; numeric
sliders (``IntSlider``, ``FloatSlider``) step from ``min`` in multiples of ``step``; a
``FloatLogSlider`` steps its exponent the same way (``base ** (min + k·step)``), as the browser's slider
does: it snaps its handle to that grid (an off-grid initial value to the nearest point) and a key
press moves it one grid step.  Floats are compared to 12 significant
digits (:func:`setting_key`), since the browser computes ``base ** exponent`` in JavaScript and may
differ from Python in the last bit.

The worker is one daemon thread per explorer; a new move drops the queued work of the previous one
(a computation already running finishes), and the work queued by one move stops once it has taken
``budget`` seconds (the first setting always runs): an explorer whose first visits cost half a second
warms one setting per move, a cheap one several.  Work runs only the explorer's pure ``update``, which must be
safe to call from two threads at once for different settings (every update in ``lshlab.widgets``
only adds entries to its cache dict).
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Mapping

__all__ = ["Warmer", "move_direction", "neighbour_settings", "setting_key"]


def _norm(value):
    if isinstance(value, float) and math.isfinite(value) and value != 0.0:
        return float(f"{value:.12g}")
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


def setting_key(params):
    """Hashable key of a setting (control values by name); floats to 12 significant digits."""
    return tuple(sorted((name, _norm(v)) for name, v in params.items()))


def _option_values(ctrl):
    options = ctrl.options
    if isinstance(options, Mapping):
        return list(options.values())
    return [o[1] if isinstance(o, tuple) and len(o) == 2 and isinstance(o[0], str) else o for o in options]


def move_direction(ctrl, old, new):
    """+1 when a control moved from ``old`` to ``new`` up its range (or options), −1 when down."""
    try:
        if hasattr(ctrl, "options"):
            values = _option_values(ctrl)
            return 1 if values.index(new) >= values.index(old) else -1
        return 1 if new >= old else -1
    except (TypeError, ValueError):  # unordered values, or a value outside the options
        return 1


def _steps(ctrl, value, direction):
    """Values one key press from ``value`` in ``direction`` (+1 / −1) on ``ctrl``, most likely first."""
    if hasattr(ctrl, "options"):  # SelectionSlider, Dropdown, ToggleButtons, ...
        values = _option_values(ctrl)
        try:
            i = values.index(value)
        except ValueError:
            return []
        j = i + direction
        return [values[j]] if 0 <= j < len(values) else []
    lo, hi, step = (getattr(ctrl, a, None) for a in ("min", "max", "step"))
    if lo is None or hi is None or not step or isinstance(value, bool):
        return []
    base = getattr(ctrl, "base", None)
    if base is not None:  # FloatLogSlider: min/max/step are exponents
        if not value or value <= 0:
            return []
        position = math.log(value) / math.log(base)
        to_value = lambda e: base ** e  # noqa: E731
    else:
        position = value
        to_value = (lambda e: int(round(e))) if isinstance(value, int) else (lambda e: e)  # noqa: E731
    tol = 1e-9 * max(1.0, abs(hi - lo))
    # the browser's slider (noUiSlider) snaps its handle to the nearest grid point, also for an
    # off-grid initial value, and a key press moves it to the next grid point
    e = lo + (round((position - lo) / step) + direction) * step
    return [to_value(min(max(e, lo), hi))] if lo - tol <= e <= hi + tol else []


def neighbour_settings(controls, params, *, last_move=None, limit=4, needed=None):
    """Settings one key press away from ``params``, most likely first, at most ``limit`` of them.

    Parameters
    ----------
    controls : dict name -> ipywidgets value widget
    params : dict name -> current value
    last_move : (name, direction) or None
        The control moved last and the sign of that move: its next step in the same direction comes
        first, then its step back, then one step either way of every other control.
    needed : callable(params) -> bool, optional
        Keep only the settings for which this is true (e.g. not yet cached).
    """
    order = []
    if last_move is not None and last_move[0] in controls:
        name, direction = last_move
        direction = 1 if direction >= 0 else -1
        order += [(name, direction), (name, -direction)]
    order += [(n, d) for n in controls for d in (1, -1) if (n, d) not in order]
    seen = {setting_key(params)}
    settings = []
    for name, direction in order:
        for value in _steps(controls[name], params[name], direction):
            s = dict(params)
            s[name] = value
            key = setting_key(s)
            if key in seen:
                continue
            seen.add(key)
            if needed is None or needed(s):
                settings.append(s)
            if len(settings) >= limit:
                return settings
    return settings


class Warmer:
    """One background thread computing settings ahead of the learner.

    Parameters
    ----------
    compute : callable(params) -> object
        Computes (and caches) a setting; its result is discarded.
    pending : callable(params) -> str or None
        None when the setting is already cached (checked again just before computing).
    budget : float
        Seconds of background work per move: once the settings of one move have taken this long, the
        rest of them are dropped (the first always runs).
    """

    def __init__(self, compute, pending, budget=0.5):
        self._compute = compute
        self._pending = pending
        self._queue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._generation = 0
        self._outstanding = 0
        self._idle = threading.Condition(self._lock)
        self._running = None  # (setting key, Event set when done)
        self._thread = None
        self._budget = float(budget)
        self._spent_generation, self._spent_seconds = 0, 0.0  # background seconds of the latest move
        self.computed = []  # setting keys computed in the background, in order

    def schedule(self, settings):
        """Replace the queued work with ``settings`` (computed in this order)."""
        with self._lock:
            self._generation += 1
            for s in settings:
                self._queue.put((self._generation, dict(s)))
            self._outstanding += len(settings)
            if settings and self._thread is None:
                self._thread = threading.Thread(target=self._work, name="lshlab-explorer-warm", daemon=True)
                self._thread.start()

    def stop(self):
        """Drop the queued work and end the thread once a running computation is done."""
        with self._lock:
            self._generation += 1
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
                self._outstanding += 1

    def running(self, params):
        """True when ``params`` are being computed in the background right now."""
        with self._lock:
            return self._running is not None and self._running[0] == setting_key(params)

    def wait_for(self, params):
        """If ``params`` are being computed in the background, wait until done; return the wait in ms
        (None when they are not being computed)."""
        with self._lock:
            running = self._running
        if running is None or running[0] != setting_key(params):
            return None
        t0 = time.perf_counter()
        running[1].wait()
        return 1e3 * (time.perf_counter() - t0)

    def join(self, timeout=None):
        """Wait until the queue is empty and nothing runs; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout)

    def _work(self):
        while True:
            item = self._queue.get()
            try:
                if item is None:  # stop()
                    return
                self._run(*item)
            finally:
                with self._idle:
                    self._outstanding -= 1
                    if self._outstanding == 0:
                        self._idle.notify_all()

    def _run(self, generation, params):
        """Compute one queued setting unless a newer move replaced it or its move's budget is spent."""
        if generation != self._generation:
            return
        if generation == self._spent_generation and self._spent_seconds >= self._budget:
            return
        key, done = setting_key(params), threading.Event()
        with self._lock:
            self._running = (key, done)
        try:
            if self._pending(params) is not None:
                t0 = time.perf_counter()
                self._compute(params)
                if generation != self._spent_generation:
                    self._spent_generation, self._spent_seconds = generation, 0.0
                self._spent_seconds += time.perf_counter() - t0
                self.computed.append(key)
        except Exception:  # noqa: BLE001 - the learner's own visit will show the error
            pass
        finally:
            with self._lock:
                self._running = None
            done.set()
