"""Seed 003 on Fashion-MNIST: multi-table LSH on HOG features vs Deep Supervised Hashing, mAP@10.

Usage (from the project root)::

    .venv/bin/python benchmarks/fashion_map.py                       # the full table (see the budget note)
    .venv/bin/python benchmarks/fashion_map.py --subset 10000 --n-query 2000 --epochs 2   # a quick run

Protocol
--------
* Data: ``lshlab.data.load_dataset("fashion-mnist", pool="official")``: the 60,000 training images are the
  database, the 10,000 test images the queries (``--n-query`` subsamples the queries).  Relevant = same
  class.
* Validation (for tuning, never the test queries): a seeded split of ``--n-val`` training images is held
  out from DSH training; after each epoch ``val_map`` (leave-one-out mAP@10 inside the validation images)
  is recorded in the model's ``loss_history_``.  The database still holds all 60,000 training images.
* LSH, L tables × K bits: HOG features (``lshlab.features.hog_features``, 4×4-pixel cells, 2×2-cell
  blocks, 9 orientations: 1,296 values); each table is a K-bit ``RandomHyperplaneHash(center=True)``
  (SimHash on mean-centred HOG vectors); ``lshlab.search.HashTables`` puts every database image in one
  bucket per table; a query's candidates are the union of its L buckets, ranked by Euclidean distance
  between HOG vectors; the top 10 are scored (:func:`lshlab.hashing.deep_supervised.hash_tables_map_at_k`).
* DSH: ``DeepSupervisedHash(n_bits=K, alpha=α, lr=0.001, batch_size=50, batch_norm=True)``, margin 2K,
  Adam with cosine decay; every query ranks the whole database by Hamming distance of the K-bit codes
  (:func:`lshlab.hashing.deep_supervised.hamming_map_at_k`).  Tuning (on the validation split only: 500
  held-out images querying 2,500 training images, 16 bits, 2 epochs): the paper's setting without batch
  normalisation (lr 0.003, batch 200) collapsed to constant codes in short runs (val mAP@10 0.22); with
  BatchNorm after each convolution 0.65–0.73 over lr ∈ {0.001, 0.003, 0.01} × batch ∈ {50, 100, 200};
  lr 0.001 / batch 50 was best (0.731).  ``--no-batch-norm --lr 0.003 --batch-size 200`` runs the seed's.
* mAP@10: ``lshlab.metrics.average_precision(..., at_k=10, ties="average")``: AP@10 =
  (1/R₁₀) Σ_{i≤10} P@i · rel_i (0 when R₁₀ = 0), averaged exactly over random orders inside groups of
  equal distance (Hamming distances tie massively; Euclidean ones practically never).

Trained DSH weights are cached in ``data/cache/dsh/`` (git-ignored; ``--retrain`` ignores the cache) and
reused by notebook 09.  A JSON summary goes to ``data/cache/dsh/results.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lshlab.data import load_dataset  # noqa: E402
from lshlab.features import hog_features  # noqa: E402
from lshlab.hashing import RandomHyperplaneHash  # noqa: E402
from lshlab.hashing.deep_supervised import (  # noqa: E402
    default_cache_dir,
    fit_or_load,
    hamming_map_at_k,
    hash_tables_map_at_k,
    train_validation_split,
)
from lshlab.search import HashTables  # noqa: E402

SEED_TABLE = {
    "LSH 8 tables": {8: 0.6223, 12: 0.6401, 16: 0.6494},
    "LSH 16 tables": {8: 0.6775, 12: 0.6923, 16: 0.6940},
    "DSH α=0.005": {8: 0.7305, 12: 0.7650, 16: 0.7744},
    "DSH α=0.01": {8: 0.7184, 12: 0.7576, 16: 0.7801},
}


def cached_hog(X, cache_dir, name):
    """HOG features of ``X``, cached as ``.npy`` keyed by the SHA-256 of the pixels (no pickle)."""
    key = hashlib.sha256(np.ascontiguousarray(X).tobytes()).hexdigest()[:16]
    path = Path(cache_dir) / f"hog_{name}_{key}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    F = hog_features(X)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, F, allow_pickle=False)
    tmp.replace(path)
    return F


def run(args):
    import torch

    torch.set_num_threads(args.threads)
    cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    t0 = time.perf_counter()
    data = load_dataset("fashion-mnist", pool="official", n_train=args.n_database, n_query=args.n_query,
                        seed=args.seed)
    Xdb, ydb, Xq, yq = data.X_train, data.y_train, data.X_query, data.y_query
    print(f"data: database {Xdb.shape}, queries {Xq.shape} ({time.perf_counter() - t0:.1f} s)", flush=True)
    results = {}
    times = {}

    if not args.no_lsh:
        t = time.perf_counter()
        Hdb = cached_hog(Xdb, cache, "db")
        Hq = cached_hog(Xq, cache, f"q{len(Xq)}")
        print(f"HOG features {Hdb.shape[1]} per image ({time.perf_counter() - t:.1f} s)", flush=True)
        for L in args.tables:
            name = f"LSH {L} tables"
            for K in args.bits:
                t = time.perf_counter()
                tables = HashTables(
                    lambda s, K=K: RandomHyperplaneHash(n_bits=K, center=True, random_state=s),
                    n_tables=L,
                    random_state=args.seed,
                ).fit(Hdb)
                fit_s = time.perf_counter() - t
                mp, ncand = hash_tables_map_at_k(tables, Hq, yq, ydb, k=10)
                results.setdefault(name, {})[K] = mp
                times.setdefault(name, {})[K] = {"fit_s": fit_s, "query_s": time.perf_counter() - t - fit_s}
                print(f"{name:14s} {K:2d} bits: mAP@10 {mp:.4f}  mean candidates {ncand.mean():8.1f}  "
                      f"fit {fit_s:.1f} s, query+score {times[name][K]['query_s']:.1f} s", flush=True)

    if not args.no_dsh:
        tr, va = train_validation_split(len(Xdb), args.n_val, args.seed)
        if args.subset:
            tr = np.sort(np.random.RandomState(args.seed + 1).choice(tr, size=min(args.subset, len(tr)), replace=False))
        val = (Xdb[va[: args.n_val_map]], ydb[va[: args.n_val_map]]) if args.n_val_map else None
        for alpha in args.alphas:
            name = f"DSH α={alpha:g}"
            for K in args.bits:
                t = time.perf_counter()
                model, was_cached = fit_or_load(
                    Xdb[tr], ydb[tr], cache_dir=cache, validation=None if args.no_val else val,
                    n_bits=K, alpha=alpha, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                    batch_norm=not args.no_batch_norm,
                    random_state=args.seed, n_threads=args.threads, progress=not args.quiet, refit=args.retrain,
                )
                fit_s = time.perf_counter() - t
                t = time.perf_counter()
                cdb, cq = model.transform(Xdb), model.transform(Xq)
                enc_s = time.perf_counter() - t
                t = time.perf_counter()
                mp = hamming_map_at_k(cq, yq, cdb, ydb, k=10)
                score_s = time.perf_counter() - t
                results.setdefault(name, {})[K] = mp
                train_s = sum(h["seconds"] for h in model.loss_history_)
                times.setdefault(name, {})[K] = {
                    "train_s": train_s, "cached": was_cached, "encode_s": enc_s, "score_s": score_s,
                }
                vm = model.loss_history_[-1].get("val_map")
                print(f"{name:14s} {K:2d} bits: mAP@10 {mp:.4f}  "
                      f"{'(cached) ' if was_cached else ''}train {train_s:.0f} s, encode {enc_s:.1f} s, "
                      f"score {score_s:.1f} s" + (f", val mAP@10 {vm:.4f}" if vm is not None else ""), flush=True)

    total = time.perf_counter() - t0
    print()
    print(markdown(results, times, args))
    print(f"\ntotal wall time {total:.0f} s (torch threads {args.threads}; the CPU is shared, see the report)")
    out = cache / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "args": vars(args), "map_at_10": {n: {str(k): v for k, v in r.items()} for n, r in results.items()},
        "seed_table": {n: {str(k): v for k, v in r.items()} for n, r in SEED_TABLE.items()},
        "times": {n: {str(k): v for k, v in r.items()} for n, r in times.items()}, "total_s": total,
    }, indent=1))
    return results


def markdown(results, times, args):
    bits = args.bits
    head = "| method | " + " | ".join(f"{b} bits seed / ours" for b in bits) + " | time per cell (s) |"
    lines = [head, "|" + "---|" * (len(bits) + 2)]
    for name, seed_row in SEED_TABLE.items():
        if name not in results:
            continue
        cells = []
        for b in bits:
            ours = results[name].get(b)
            mark = "" if ours is None or ours >= seed_row[b] else " ✗"
            cells.append(f"{seed_row[b]:.4f} / {'—' if ours is None else f'{ours:.4f}'}{mark}")
        tt = [sum(v for k, v in times[name][b].items() if k.endswith("_s")) for b in bits if b in times[name]]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {' / '.join(f'{x:.0f}' for x in tt)} |")
    q, n = args.n_query or 10000, args.n_database or 60000
    lines.append(f"\nmAP@10, {q} test queries vs a {n}-image train database; DSH trained "
                 f"{args.epochs} epochs on {args.subset or n - args.n_val} images (✗ = below the seed).")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=3, help="DSH epochs (default 3: the 15-minute budget)")
    p.add_argument("--subset", type=int, default=0, help="train DSH on this many images (0 = all but validation)")
    p.add_argument("--n-query", type=int, default=None, help="number of test queries (default all 10,000)")
    p.add_argument("--n-database", type=int, default=None, help="database size (default all 60,000 train images)")
    p.add_argument("--n-val", type=int, default=5000, help="training images held out for validation")
    p.add_argument("--n-val-map", type=int, default=1000, help="validation images scored after each epoch (0 = none)")
    p.add_argument("--no-val", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--bits", type=int, nargs="+", default=[8, 12, 16])
    p.add_argument("--tables", type=int, nargs="+", default=[8, 16])
    p.add_argument("--alphas", type=float, nargs="+", default=[0.005, 0.01])
    p.add_argument("--lr", type=float, default=0.001, help="Adam learning rate (seed 0.003; 0.001 won on validation)")
    p.add_argument("--batch-size", type=int, default=50, help="images per batch, all pairs used (paper 200)")
    p.add_argument("--no-batch-norm", action="store_true", help="the paper's network exactly (no BatchNorm)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache-dir", default=None, help="default data/cache/dsh (or $LSHLAB_DSH_CACHE)")
    p.add_argument("--retrain", action="store_true", help="ignore cached DSH weights")
    p.add_argument("--no-lsh", action="store_true")
    p.add_argument("--no-dsh", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return run(p.parse_args(argv))


if __name__ == "__main__":
    main()
