"""One way to spread independent blocks of work over threads (query blocks, generated chunks)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

__all__ = ["map_threads"]


def map_threads(work, items, n_jobs):
    """Call ``work(item)`` for every item of ``items``.

    In order on the calling thread when ``n_jobs == 1`` or there is at most one item, else on a pool of
    ``n_jobs`` threads (numpy releases the GIL inside its kernels, so blocks run in parallel).  ``n_jobs``
    is a resolved thread count (:func:`lshlab._validation.check_n_jobs`).  Exceptions of ``work``
    propagate.
    """
    items = list(items)
    if n_jobs == 1 or len(items) <= 1:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        list(pool.map(work, items))
