"""Run every ``benchmarks/bench_*.py`` at full size and print one markdown table.

Usage: ``make bench`` (or ``python benchmarks/run_all.py [--size tiny|full] [--only NAME]``).
The table is also written to ``benchmarks/results.md``.  Ratios are measured side by side in the same
run, so they are meaningful on a noisy machine even when absolute seconds are not.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _timing import markdown_table  # noqa: E402


def discover():
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", default="full", choices=["tiny", "small", "full"])
    ap.add_argument("--only", action="append", help="run only these bench_* modules (repeatable)")
    ap.add_argument("--out", default=str(HERE / "results.md"))
    args = ap.parse_args(argv)
    rows = []
    for name in discover():
        if args.only and name not in args.only and name.removeprefix("bench_") not in args.only:
            continue
        t0 = time.perf_counter()
        mod = importlib.import_module(name)
        print(f"# {name} ...", file=sys.stderr, flush=True)
        rows.extend(mod.run(size=args.size))
        print(f"#   {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    header = (
        f"Benchmarks (size={args.size}) on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}\n\n"
    )
    table = header + markdown_table(rows) + "\n"
    print(table)
    Path(args.out).write_text(table)
    return 0 if all(r["agree"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
