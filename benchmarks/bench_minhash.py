"""MinHash and banding against datasketch, measured side by side in one run (issue 19).

* ``MinHash.transform``: signatures of 60,000 Fashion-MNIST masks (train images, pixels > 0.5, about 250
  pixels per mask) at 128 hashes, vs datasketch's ``MinHash.bulk`` on the same sets (its default
  ``affine32`` scheme; the pixel ids are passed as integers with ``hashfunc=int``, the fastest route
  datasketch offers — its default SHA-1 of bytes is slower still).  Goal: ours at least as fast (≤ 1×).
  ``agree``: on 500 random pairs of masks over 8 draws of the hash functions, both mean errors are below
  0.01 (the linear hash's bias on masks is −0.016) and both root-mean-square errors are within 25 % of
  √(J(1 − J)/n) — the hash functions differ, so the signatures themselves cannot be equal.
* ``BandingIndex``: b = 16 bands × r = 8 rows over those signatures; build + candidates of 1,000 query
  masks (test images) vs datasketch ``MinHashLSH(params=(16, 8))`` insert + query on its signatures.
  ``agree``: the measured candidate rate of (query, database) pairs binned by exact Jaccard lies within
  0.1 of the S-curve 1 − (1 − J^r)^b for both (a single draw of hash functions: pairs share it, so the
  spread is wider than binomial).
* ``BandingIndex.search`` (candidates re-ranked by exact Jaccard, top-10) vs the exact top-10 by
  brute force (``jaccard_matrix`` of every query–database pair): recall@10 and speed-up.

Run: ``.venv/bin/python benchmarks/bench_minhash.py [full|small|tiny]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import markdown_table, row, timeit  # noqa: E402

from lshlab.hashing import MinHash  # noqa: E402
from lshlab.lsh_theory import amplified_collision_probability  # noqa: E402
from lshlab.search import BandingIndex  # noqa: E402
from lshlab.sets import jaccard_matrix, paired_jaccard, threshold_masks  # noqa: E402

SIZES = {
    # database masks, query masks, hashes, (bands, rows), repeats of our timings
    "full": dict(n_db=60000, n_q=1000, n_hashes=128, bands=(16, 8), repeat=3),
    "small": dict(n_db=10000, n_q=300, n_hashes=128, bands=(16, 8), repeat=3),
    "tiny": dict(n_db=1000, n_q=30, n_hashes=64, bands=(16, 4), repeat=1),
}
THRESHOLD = 0.5
K = 10


def _masks(n_db, n_q):
    try:
        from lshlab.data import load_dataset

        ds = load_dataset("fashion-mnist", n_train=n_db, n_query=n_q, seed=0)
        X, Q, name = ds.X_train, ds.X_query, "Fashion-MNIST"
    except Exception as exc:  # data files absent: blurred random blobs, said in the note
        print(f"# bench_minhash: Fashion-MNIST unavailable ({exc}); using random masks", file=sys.stderr)
        rng = np.random.default_rng(0)
        X, Q, name = rng.random((n_db, 784)), rng.random((n_q, 784)), "random"
    return threshold_masks(X, THRESHOLD), threshold_masks(Q, THRESHOLD), name


def _datasketch_signatures(sets, n_hashes, seed=1):
    from datasketch import MinHash as DMinHash

    return DMinHash.bulk(sets, num_perm=n_hashes, seed=seed, hashfunc=int)


def _estimates_agree(M, n_hashes, rng, n_pairs=500, n_draws=8):
    """Jaccard estimates of ours and datasketch on random pairs of masks over ``n_draws`` draws of the hash
    functions: both mean errors below 0.01 and both RMSEs within 25 % of √(J(1 − J)/n).

    One draw is shared by all pairs, and masks are alike, so a single draw's mean error moves by about
    0.01 (measured); over 8 draws it moves by about 0.004, while the linear hash's bias on masks is
    −0.016 (lecture 03).  Returns (agree, note)."""
    ia, ib = rng.integers(0, len(M), n_pairs), rng.integers(0, len(M), n_pairs)
    J = paired_jaccard(M, M, ia, ib)
    sets_a, sets_b = [np.flatnonzero(M[i]) for i in ia], [np.flatnonzero(M[i]) for i in ib]
    err_o, err_d = [], []
    for draw in range(n_draws):
        mh = MinHash(n_hashes, random_state=draw).fit(M)
        err_o.append((mh.transform(M[ia]) == mh.transform(M[ib])).mean(axis=1) - J)
        da = _datasketch_signatures(sets_a, n_hashes, seed=draw + 1)
        db = _datasketch_signatures(sets_b, n_hashes, seed=draw + 1)
        err_d.append(np.array([a.jaccard(b) for a, b in zip(da, db)]) - J)
    err_o, err_d = np.array(err_o), np.array(err_d)
    theory = np.sqrt(np.mean(J * (1 - J)) / n_hashes)
    rmse_o, rmse_d = np.sqrt(np.mean(err_o**2)), np.sqrt(np.mean(err_d**2))
    ok = (abs(err_o.mean()) < 0.01 and abs(err_d.mean()) < 0.01
          and abs(rmse_o / theory - 1) < 0.25 and abs(rmse_d / theory - 1) < 0.25)
    note = (f"{n_pairs} pairs × {n_draws} draws: mean error ours {err_o.mean():+.4f} / datasketch "
            f"{err_d.mean():+.4f}; RMSE {rmse_o:.4f} / {rmse_d:.4f} (theory √(J(1−J)/n) = {theory:.4f})")
    return bool(ok), note


def _s_curve_gap(J, cand, b, r):
    """Largest |measured − theoretical| candidate rate over Jaccard bins holding ≥ 200 pairs."""
    edges = np.linspace(0, 1, 11)
    which = np.clip(np.digitize(J, edges) - 1, 0, 9)
    gaps = []
    for i in range(10):
        sel = which == i
        if sel.sum() >= 200:
            gaps.append(abs(cand[sel].mean() - amplified_collision_probability(J[sel], r, b).mean()))
    return max(gaps)


def run(size="full"):
    cfg = SIZES[size]
    rng = np.random.default_rng(0)
    M, MQ, name = _masks(cfg["n_db"], cfg["n_q"])
    n_hashes, (b, r), rep = cfg["n_hashes"], cfg["bands"], cfg["repeat"]
    sets = [np.flatnonzero(m) for m in M]
    qsets = [np.flatnonzero(m) for m in MQ]
    mh = MinHash(n_hashes, random_state=0).fit(M)

    ours = timeit(lambda: mh.transform(M), repeat=rep)
    ref = timeit(lambda: _datasketch_signatures(sets, n_hashes), repeat=1, warmup=0)
    agree, note = _estimates_agree(M, n_hashes, rng)
    rows = [row(f"MinHash.transform ({name} masks, {len(M)} sets, {n_hashes} hashes)",
                "datasketch MinHash.bulk (hashfunc=int)", ours[:2], ref[:2], "≤ 1× (at least as fast)",
                agree=agree, ratio_goal=1.0, note=f"{np.mean([len(s) for s in sets]):.0f} pixels per mask; {note}")]

    S, SQ = ours[2], mh.transform(MQ)
    dq = _datasketch_signatures(qsets, n_hashes)

    def our_banding():
        index = BandingIndex(b, r).fit(S)
        return index, index.candidate_pairs(SQ)

    def their_banding():
        from datasketch import MinHashLSH

        lsh = MinHashLSH(num_perm=n_hashes, params=(b, r))
        with lsh.insertion_session() as session:
            for i, m in enumerate(ref[2]):
                session.insert(i, m, check_duplication=False)
        return [lsh.query(m) for m in dq]

    ob = timeit(our_banding, repeat=rep)
    tb = timeit(their_banding, repeat=1, warmup=0)
    J = jaccard_matrix(MQ, M)
    cand_ours = np.zeros(J.shape, dtype=bool)
    cand_ours[ob[2][1]] = True
    cand_ds = np.zeros(J.shape, dtype=bool)
    for i, keys in enumerate(tb[2]):
        cand_ds[i, list(keys)] = True
    gap_o, gap_d = _s_curve_gap(J, cand_ours, b, r), _s_curve_gap(J, cand_ds, b, r)
    rows.append(row(f"BandingIndex fit + candidates (b={b} × r={r}; {len(M)} sets, {len(MQ)} queries)",
                    "datasketch MinHashLSH insert + query", ob[:2], tb[:2], "≤ 1×", agree=max(gap_o, gap_d) < 0.1,
                    ratio_goal=1.0,
                    note=(f"candidates/query ours {cand_ours.sum(1).mean():.0f}, datasketch {cand_ds.sum(1).mean():.0f}; "
                          f"largest S-curve gap ours {gap_o:.3f}, datasketch {gap_d:.3f}")))

    index = BandingIndex(b, r).fit(S, sets=M)
    search = timeit(lambda: index.search(SQ, K, query_sets=MQ), repeat=rep)

    def brute():
        Jb = jaccard_matrix(MQ, M)
        return np.argsort(-Jb, axis=1, kind="stable")[:, :K]

    exact = timeit(brute, repeat=1)
    true = exact[2]
    recall = np.mean([np.isin(t, i).sum() / K for t, i in zip(true, search[2][1])])
    rows.append(row(f"BandingIndex.search exact Jaccard re-ranking, top-{K} (b={b} × r={r})",
                    "exact Jaccard of every pair (jaccard_matrix) + top-k", search[:2], exact[:2],
                    "speed-up > 1 (recall reported)", agree=bool(recall > 0.3), ratio_goal=1.0,
                    note=f"recall@{K} {recall:.3f}; {index.last_n_candidates_.mean():.0f} candidates/query "
                         f"({100 * index.last_n_candidates_.mean() / len(M):.1f} %)"))
    return rows


if __name__ == "__main__":
    print(markdown_table(run(sys.argv[1] if len(sys.argv) > 1 else "full")))
