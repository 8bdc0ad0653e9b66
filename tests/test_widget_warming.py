"""Computing explorers precompute the settings one key press away (lshlab.widgets._warm).

A move in a live kernel (an asyncio loop is running, as in JupyterLab) queues the uncached neighbours
on a background thread; the learner's next step then finds its setting cached, or waits only for the
computation already under way.  Without a loop (scripts, tests) nothing runs in the background.
"""

import asyncio
import math
import threading
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lshlab.widgets import Explorer, log_slider, scatter_pr_explorer, selection_slider  # noqa: E402
from lshlab.widgets._warm import Warmer, move_direction, neighbour_settings, setting_key  # noqa: E402


def _draw(result, ax):
    ax.plot([0, 1], [0, result])
    return ax.figure


class _Counted:
    """An update with a cache: ``pending`` says whether a setting is cached; ``calls`` records work.

    ``hold(key)``: the first uncached computation for which it is true sets ``started`` and waits for
    ``gate`` (so a test can act while a background computation is under way)."""

    def __init__(self, hold=None):
        self.cache, self.calls, self.lock = {}, [], threading.Lock()
        self.hold, self.started, self.gate = hold, threading.Event(), threading.Event()

    def update(self, *, a, b):
        key = (a, b)
        if key not in self.cache:
            if self.hold is not None and not self.started.is_set() and self.hold(key):
                self.started.set()
                assert self.gate.wait(10)
            with self.lock:
                self.calls.append((key, threading.current_thread().name))
            self.cache[key] = a * 10 + b
        return self.cache[key]

    def pending(self, *, a, b):
        return None if (a, b) in self.cache else f"computing {a}, {b}"


def _explorer(counted, **kwargs):
    return Explorer(counted.update, _draw, {"a": selection_slider("a", [1, 2, 3, 4], 2),
                                            "b": selection_slider("b", [0, 5], 0)},
                    pending=counted.pending, **kwargs)


async def _until(condition, timeout=20.0):
    """Let the loop run (redraws are scheduled on it) until ``condition()`` holds."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the explorer did not redraw in time")


# ---------------------------------------------------------------- which settings are neighbours
def test_neighbours_follow_the_last_move_then_the_other_controls():
    controls = {"a": selection_slider("a", [1, 2, 3, 4], 2), "b": selection_slider("b", [0, 5, 9], 5)}
    params = {"a": 2, "b": 5}
    got = neighbour_settings(controls, params, last_move=("b", -1), limit=10)
    assert got == [{"a": 2, "b": 0}, {"a": 2, "b": 9}, {"a": 3, "b": 5}, {"a": 1, "b": 5}]
    assert neighbour_settings(controls, params, last_move=("a", 1), limit=2) == [{"a": 3, "b": 5}, {"a": 1, "b": 5}]
    # the ends of a range have one neighbour; settings that are not needed are skipped, not counted
    got = neighbour_settings(controls, {"a": 4, "b": 9}, limit=3, needed=lambda s: s["a"] != 3)
    assert got == [{"a": 4, "b": 5}]


def test_log_slider_neighbours_are_the_grid_the_browser_steps_on():
    """A FloatLogSlider's handle sits on the grid ``min + k·step`` of exponents (an off-grid initial
    value on the nearest point) and a key press moves it one point: value ``base ** exponent``."""
    s = log_slider("σ", 1.0, 40.0, 7.3)
    lo, step = s.min, s.step
    k = round((math.log10(7.3) - lo) / step)
    got = [u["s"] for u in neighbour_settings({"s": s}, {"s": 7.3}, last_move=("s", 1), limit=4)]
    assert got == pytest.approx([10 ** (lo + (k + 1) * step), 10 ** (lo + (k - 1) * step)], rel=1e-12)
    on_grid = 10 ** (lo + k * step)
    got = [u["s"] for u in neighbour_settings({"s": s}, {"s": on_grid}, last_move=("s", -1), limit=4)]
    assert got == pytest.approx([10 ** (lo + (k - 1) * step), 10 ** (lo + (k + 1) * step)], rel=1e-12)
    top = [u["s"] for u in neighbour_settings({"s": s}, {"s": 40.0}, limit=4)]  # the top has one neighbour
    assert top == pytest.approx([10 ** (lo + 49 * step)], rel=1e-12)


def test_numeric_slider_neighbours_snap_to_the_step_grid():
    from lshlab.widgets import float_slider, int_slider

    i = int_slider("n", 0, 10, 4, step=2)
    assert [s["n"] for s in neighbour_settings({"n": i}, {"n": 4}, limit=4)] == [6, 2]
    f = float_slider("x", 0.0, 1.0, 0.5, step=0.1)
    assert [s["x"] for s in neighbour_settings({"x": f}, {"x": 0.5}, limit=4)] == pytest.approx([0.6, 0.4])


def test_setting_keys_match_floats_computed_in_javascript_and_python():
    # Math.pow(10, e) in a browser may differ from 10 ** e here in the last bit
    x = 10 ** 0.3
    assert setting_key({"s": x}) == setting_key({"s": np.nextafter(x, 2.0)})
    assert setting_key({"s": x}) != setting_key({"s": x * (1 + 1e-9)})
    assert setting_key({"n": 3, "s": [1, 2]}) == (("n", 3), ("s", "[1, 2]"))


def test_move_direction():
    sel = selection_slider("a", [16, 64, 256], 64)
    assert move_direction(sel, 64, 16) == -1 and move_direction(sel, 16, 256) == 1
    assert move_direction(log_slider("s", 1, 10, 2), 2.0, 3.0) == 1


# ---------------------------------------------------------------- the explorer in a live kernel
def test_no_background_work_without_a_kernel_event_loop():
    c = _Counted()
    ex = _explorer(c)
    ex.controls["a"].value = 3
    assert ex.warmer is None and [k for k, _ in c.calls] == [(2, 0), (3, 0)]


def test_a_move_in_a_live_kernel_precomputes_the_neighbours():
    c = _Counted()
    ex = _explorer(c)

    async def move():
        ex.controls["a"].value = 3
        await _until(lambda: ex.result == 30)
        assert ex.warmer.join(10)

    asyncio.run(move())
    assert ex.result == 30
    background = [k for k, thread in c.calls if thread == "lshlab-explorer-warm"]
    # the next step in the direction of the move first, then (a=2 is cached) the other control
    assert background == [(4, 0), (3, 5)]
    assert ex.warmer.computed == [setting_key({"a": 4, "b": 0}), setting_key({"a": 3, "b": 5})]

    async def step():
        ex.controls["a"].value = 4
        await _until(lambda: ex.result == 40)
        assert ex.warmer.join(10)

    asyncio.run(step())
    assert ex.result == 40 and "first visit" not in ex.status.value  # found in the cache
    assert [k for k, t in c.calls if t != "lshlab-explorer-warm"] == [(2, 0), (3, 0)]


def test_a_step_onto_a_setting_being_computed_waits_for_it_instead_of_starting_it():
    c = _Counted(hold=lambda key: key == (4, 0))
    started, gate = c.started, c.gate
    ex = _explorer(c, warm=1)

    async def move():
        ex.controls["a"].value = 3  # then a=4 in the background, held at the gate
        assert await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        assert ex.warmer.running({"a": 4, "b": 0})
        threading.Timer(0.2, gate.set).start()
        ex.controls["a"].value = 4  # the redraw waits for the background computation
        await _until(lambda: ex.result == 40)

    asyncio.run(move())
    assert ex.result == 40
    assert [k for k, _ in c.calls].count((4, 0)) == 1  # computed once, in the background
    assert "finished in the background" in ex.status.value and "first visit, waited" in ex.status.value


def test_a_new_move_drops_the_queued_work_of_the_previous_one():
    c = _Counted(hold=lambda key: threading.current_thread().name == "lshlab-explorer-warm")
    started, gate = c.started, c.gate
    ex = _explorer(c, warm=4)

    async def move():
        ex.controls["b"].value = 5  # queues a=3 and a=1 at b=5 (a=2, b=0 is cached); a=3 starts, held
        assert await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        ex.controls["b"].value = 0  # cached: queues a=3 and a=1 at b=0; a=1 at b=5 is dropped
        await _until(lambda: ex.result == 20)
        gate.set()
        assert ex.warmer.join(10)

    asyncio.run(move())
    background = [k for k, t in c.calls if t == "lshlab-explorer-warm"]
    assert background == [(3, 5), (3, 0), (1, 0)]


def test_background_results_equal_foreground_ones():
    """Warmed codes are the codes the explorer would compute itself (same hasher, same key)."""
    from lshlab.hashing import ShiftInvariantHash
    from lshlab.widgets import update_scatter_pr

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8)).astype(np.float32)
    y = rng.integers(0, 3, 300)
    make = lambda n_bits, sigma: ShiftInvariantHash(n_bits, kernel=sigma, random_state=0)  # noqa: E731
    ex = scatter_pr_explorer(X, y, X[:20], y[:20], make, bits=(16, 64), n_pairs=100,
                             params={"sigma": log_slider("σ", 1.0, 10.0, 3.0)})

    async def move():
        ex.controls["n_bits"].value = 16
        await _until(lambda: ex.result.n_bits == 16)
        assert ex.warmer.join(30)

    asyncio.run(move())
    assert ex.warmer.computed, "nothing was warmed"
    for key in ex.warmer.computed:
        params = dict(key)
        cq, cd = ex.data.cache[(params["n_bits"], setting_key({"sigma": params["sigma"]}))]
        h = make(params["n_bits"], params["sigma"]).fit(X)
        assert np.array_equal(cd, h.transform(X, packed=True)) and np.array_equal(cq, h.transform(X[:20], packed=True))
    fresh = update_scatter_pr(ex.data, n_bits=16, sigma=dict(ex.warmer.computed[0])["sigma"])
    assert not fresh.encoded


def test_warm_needs_pending_and_a_count():
    c = _Counted()
    with pytest.raises(ValueError, match="warm must be a non-negative int"):
        _explorer(c, warm=-1)
    with pytest.raises(ValueError, match="warm must be a non-negative int"):
        _explorer(c, warm=True)
    with pytest.raises(ValueError, match="warm needs pending"):
        Explorer(c.update, _draw, {"a": selection_slider("a", [1, 2]), "b": selection_slider("b", [0])}, warm=2)
    ex = _explorer(c, warm=0)

    async def move():
        ex.controls["a"].value = 3
        await _until(lambda: ex.result == 30)

    asyncio.run(move())
    assert ex.warmer is None


def test_errors_in_the_background_surface_on_the_learners_own_visit():
    def update(*, a):
        if a == 3:
            raise ValueError("a=3 is not allowed")
        return a

    seen = set()

    def pending(*, a):
        return None if a in seen else "x"

    def tracked(*, a):
        r = update(a=a)
        seen.add(a)
        return r

    ex = Explorer(tracked, _draw, {"a": selection_slider("a", [1, 2, 3], 1)}, pending=pending)

    async def move():
        ex.controls["a"].value = 2  # warms a=3 in the background: it fails there, silently
        await _until(lambda: ex.result == 2)
        assert ex.warmer.join(10)
        ex.controls["a"].value = 3
        await _until(lambda: "error" in ex.status.value)

    asyncio.run(move())
    assert "a=3 is not allowed" in ex.status.value


def test_the_work_of_one_move_stops_at_its_time_budget():
    """Costly settings: one per move (the first always runs); cheap ones: as many as fit the budget."""
    done = []

    def compute(s):
        time.sleep(s["cost"])
        done.append(s["a"])

    w = Warmer(compute, lambda s: "x", budget=0.25)
    w.schedule([{"a": 1, "cost": 0.3}, {"a": 2, "cost": 0.3}, {"a": 3, "cost": 0.3}])
    assert w.join(5) and done == [1]
    w.schedule([{"a": i, "cost": 0.02} for i in range(10, 20)])
    assert w.join(5) and 5 <= len(done) - 1 <= 10


def test_warmer_join_times_out_while_work_runs():
    gate = threading.Event()
    w = Warmer(lambda s: gate.wait(5), lambda s: "x")
    w.schedule([{"a": 1}])
    assert not w.join(0.05)
    gate.set()
    assert w.join(5)


def test_an_explorer_built_in_a_live_kernel_warms_its_first_neighbours():
    """Built while a kernel runs a cell: the settings one press from the first are computed before
    the learner's first move (in lecture order: each control up, then down)."""
    c = _Counted()

    async def build():
        ex = _explorer(c)
        assert ex.warmer.join(10)
        return ex

    ex = asyncio.run(build())
    assert [k for k, t in c.calls if t == "lshlab-explorer-warm"] == [(3, 0), (1, 0), (2, 5)]


def test_no_background_work_for_static_pages(monkeypatch):
    monkeypatch.setenv("LSHLAB_STATIC_WIDGETS", "1")
    c = _Counted()

    async def build():
        ex = _explorer(c)
        ex.controls["a"].value = 3
        await _until(lambda: ex.result == 30)
        return ex

    assert asyncio.run(build()).warmer is None and all(t != "lshlab-explorer-warm" for _, t in c.calls)


def test_closing_the_explorer_stops_its_thread():
    c = _Counted()

    async def build():
        ex = _explorer(c)
        assert ex.warmer.join(10)
        return ex

    ex = asyncio.run(build())
    thread = ex.warmer._thread
    assert thread is not None and thread.is_alive()
    ex.close()
    thread.join(5)
    assert not thread.is_alive() and ex.warmer.join(1)
    ex.warmer.schedule([{"a": 4, "b": 5}])  # a closed explorer's warmer may be asked again: a new thread
    assert ex.warmer.join(10) and (4, 5) in c.cache
