"""Torch run-time settings shared by the torch models (deep supervised hashing, the autoencoder)."""

from __future__ import annotations

import contextlib

import torch

from ._validation import check_n_jobs

__all__ = ["torch_settings"]


@contextlib.contextmanager
def torch_settings(n_jobs, *, deterministic=False):
    """Run the body with ``n_jobs`` intra-op torch threads and, if asked, deterministic algorithms.

    ``n_jobs`` None means the CPU cores (at most 8).  Both settings are global to the process; they are
    restored when the body ends, whether it returns or raises.
    """
    threads = check_n_jobs(n_jobs)
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        torch.set_num_threads(threads)
        if deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn_only)
