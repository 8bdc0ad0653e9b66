"""Timing helpers shared by the benchmarks: repetitions, min / median, peak memory, table rows.

Every benchmark module exposes ``run(size="full") -> list[dict]`` where each row has the keys of
:func:`row`.  ``size="tiny"`` is what the ``pytest -m bench`` smoke test uses (seconds, not minutes):
it must still compare against the reference and set ``agree``.
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import numpy as np

__all__ = ["timeit", "peak_memory_mb", "row", "markdown_table"]


def timeit(fn, repeat=5, warmup=1):
    """Call ``fn()`` ``warmup + repeat`` times; return (min_s, median_s, last_result)."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return float(np.min(times)), float(np.median(times)), result


def peak_memory_mb(fn):
    """Peak Python-heap + numpy allocation (tracemalloc) of one call of ``fn``, in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def row(path, reference, ours, ref, goal, *, agree, ratio_goal=None, peak_mb=None, note=""):
    """One table row.  ``ours`` / ``ref`` are (min_s, median_s) pairs (``ref`` may be None)."""
    ratio = ours[0] / ref[0] if ref is not None and ref[0] > 0 else None
    return {
        "path": path,
        "reference": reference,
        "ours_min_s": ours[0],
        "ours_median_s": ours[1],
        "ref_min_s": None if ref is None else ref[0],
        "ref_median_s": None if ref is None else ref[1],
        "ratio": ratio,
        "goal": goal,
        "meets_goal": None if (ratio is None or ratio_goal is None) else bool(ratio <= ratio_goal),
        "agree": bool(agree),
        "peak_mb": peak_mb,
        "note": note,
    }


def _fmt(x, spec):
    return "—" if x is None else format(x, spec)


def markdown_table(rows):
    head = "| path | reference | ours min / median (s) | ref min / median (s) | ratio (min) | goal | met | same results | peak MB | note |"
    sep = "|" + "---|" * 10
    lines = [head, sep]
    for r in rows:
        met = {True: "yes", False: "**no**", None: "—"}[r["meets_goal"]]
        lines.append(
            f"| {r['path']} | {r['reference']} | {_fmt(r['ours_min_s'], '.4f')} / {_fmt(r['ours_median_s'], '.4f')} "
            f"| {_fmt(r['ref_min_s'], '.4f')} / {_fmt(r['ref_median_s'], '.4f')} | {_fmt(r['ratio'], '.2f')} "
            f"| {r['goal']} | {met} | {'yes' if r['agree'] else '**no**'} | {_fmt(r['peak_mb'], '.1f')} | {r['note']} |"
        )
    return "\n".join(lines)
