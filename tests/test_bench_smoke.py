"""Smoke version of the benchmarks: every bench_* module runs at tiny size and agrees with its reference."""

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))
MODULES = sorted(p.stem for p in BENCH.glob("bench_*.py"))


@pytest.mark.bench
@pytest.mark.parametrize("name", MODULES)
def test_benchmark_runs_and_agrees(name):
    rows = importlib.import_module(name).run(size="tiny")
    assert rows, f"{name}.run returned no rows"
    for r in rows:
        assert r["ours_min_s"] > 0
        assert r["agree"], f"{name}: {r['path']} disagrees with {r['reference']}"
