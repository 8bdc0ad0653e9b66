"""Comparing two methods honestly: paired differences over seeds and queries, with their spread.

A lecture that claims "method A beats method B" must show that the difference is larger than the noise
of the measurement.  Two sources of noise are separate and both are measured here:

* **seeds** — a trained or randomised method (DSH weights, random hyperplanes, random features) gives a
  different score with every ``random_state``; the spread over S seeds is their standard deviation
  s_seed, and the mean over seeds has standard error s_seed / √S;
* **queries** — the score is a mean over a sample of n queries (or test points); with per-query scores
  of both methods on the *same* queries, the paired differences d_q = a_q − b_q (averaged over seeds)
  have standard error s_q / √n, far smaller than the error of either score alone because what is hard
  for one method is usually hard for the other (the classical paired comparison, e.g. Dietterich,
  "Approximate statistical tests for comparing supervised classification learning algorithms",
  Neural Computation 1998).

:func:`paired_comparison` combines them as SE = √(s_seed² / S + s_q² / n) and calls a winner only when
the mean difference lies outside the two-sided confidence interval mean ± t · SE, with t the Student
quantile for the Welch–Satterthwaite degrees of freedom of that sum (B. L. Welch, "The generalization of
Student's problem when several different population variances are involved", Biometrika 1947): with a
handful of seeds and the seed term dominating, t is large (4.30 for 3 seeds, 2.78 for 5), with many
queries dominating it is about 2.  :func:`restrict_to_candidates` turns the
candidate sets of hash tables into a ranking of the whole database, so that tables and codes can be
compared under one protocol.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._validation import check_positive_float

__all__ = ["PairedComparison", "paired_comparison", "restrict_to_candidates"]


@dataclass(frozen=True)
class PairedComparison:
    """Difference of two methods' scores (A − B), with its spread over seeds and queries.

    Attributes
    ----------
    mean : float
        Mean over seeds (and queries) of score A − score B.
    per_seed : ndarray (n_seeds,)
        The difference for every seed.
    seed_sd : float
        Standard deviation of ``per_seed`` (ddof = 1; 0 with one seed).
    query_se : float
        Standard error over queries of the seed-averaged per-query differences (0 when only overall
        scores were given).
    se : float
        √(seed_sd² / n_seeds + query_se²), the standard error of ``mean``.
    critical : float
        Number of standard errors a difference must exceed to call a winner: the Student t quantile of
        the confidence level for the Welch–Satterthwaite degrees of freedom (inf with nothing to estimate
        a spread from).
    confidence : float
    n_seeds, n_queries : int
        ``n_queries`` is 1 when only overall scores were given.
    """

    mean: float
    per_seed: np.ndarray
    seed_sd: float
    query_se: float
    se: float
    critical: float
    confidence: float
    n_seeds: int
    n_queries: int

    @property
    def verdict(self):
        """``"A"`` when the interval lies above 0 (A's score is higher), ``"B"`` when it lies below 0,
        else ``"undecided"``."""
        lo, hi = self.interval
        if lo > 0:
            return "A"
        if hi < 0:
            return "B"
        return "undecided"

    @property
    def interval(self):
        """The confidence interval (mean − critical·se, mean + critical·se)."""
        return self.mean - self.critical * self.se, self.mean + self.critical * self.se

    def describe(self, name_a="A", name_b="B", digits=3, lower_is_better=False):
        """One line: the difference, its spread and which method is better (for a lecture's conclusion).

        ``lower_is_better=True`` for errors and costs: a negative difference then means A is better.
        """
        f = f"{{:+.{digits}f}}"
        seeds = (f", seeds {f.format(self.per_seed.min())} … {f.format(self.per_seed.max())}"
                 if self.n_seeds > 1 else "")
        higher = {"A": name_a, "B": name_b}.get(self.verdict)
        if higher is None:
            verdict = "too close to call"
        else:
            better = higher if not lower_is_better else (name_b if higher == name_a else name_a)
            verdict = f"{better} better"
        return (f"{name_a} − {name_b} = {f.format(self.mean)} ± {self.se:.{digits}f} (s.e.{seeds}): "
                f"{verdict} at {self.confidence:.0%} (±{self.critical:.2f} s.e.)")


def paired_comparison(a, b, *, confidence=0.95):
    """Paired difference of the scores of methods A and B, over seeds and (optionally) queries.

    Parameters
    ----------
    a : array (n_seeds,) or (n_seeds, n_queries)
        Scores of A: one overall score per seed (e.g. a test error), or per-query scores per seed (e.g.
        ``RetrievalScores.average_precision`` of every seed's model).
    b : array
        Scores of B, broadcastable against ``a``: the same shape (paired by seed), one row
        (1, n_queries) or (n_queries,) for a deterministic B with per-query ``a``, or a scalar.
    confidence : float in (0, 1), default 0.95
        Level of the two-sided interval that :attr:`PairedComparison.verdict` reads.

    Returns
    -------
    PairedComparison
    """
    a = np.asarray(a, dtype=float)
    if a.ndim not in (1, 2) or a.size == 0 or not np.isfinite(a).all():
        raise ValueError(f"a must be a non-empty array (n_seeds,) or (n_seeds, n_queries) of finite scores, "
                         f"got shape {a.shape}")
    b = np.asarray(b, dtype=float)
    if not np.isfinite(b).all():
        raise ValueError("b must hold finite scores")
    confidence = check_positive_float(confidence, "confidence")
    if not confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    try:
        diff = a - b
    except ValueError:
        raise ValueError(f"b of shape {b.shape} does not broadcast against a of shape {a.shape}: give b the "
                         "shape of a, one row of per-query scores, or a scalar") from None
    if diff.shape != a.shape:
        raise ValueError(f"b of shape {b.shape} must broadcast to the shape of a {a.shape}, not enlarge it")
    if diff.ndim == 1:
        diff = diff[:, None]
    n_seeds, n_queries = diff.shape
    per_seed = diff.mean(axis=1)
    seed_sd = float(per_seed.std(ddof=1)) if n_seeds > 1 else 0.0
    per_query = diff.mean(axis=0)
    query_se = float(per_query.std(ddof=1) / np.sqrt(n_queries)) if n_queries > 1 else 0.0
    a_var, b_var = seed_sd**2 / n_seeds, query_se**2
    se = float(np.sqrt(a_var + b_var))
    parts = [(a_var, n_seeds - 1), (b_var, n_queries - 1)]
    denom = sum(v**2 / df for v, df in parts if df > 0 and v > 0)
    if se > 0 and denom > 0:
        dof = (a_var + b_var) ** 2 / denom  # Welch–Satterthwaite
        critical = float(stats.t.ppf(0.5 + confidence / 2, dof))
    else:  # no spread measured (one seed and overall scores, or identical differences)
        critical = 0.0 if se == 0 and (n_seeds > 1 or n_queries > 1) else np.inf
    return PairedComparison(mean=float(per_seed.mean()), per_seed=per_seed, seed_sd=seed_sd, query_se=query_se,
                            se=se, critical=critical, confidence=confidence, n_seeds=n_seeds, n_queries=n_queries)


def restrict_to_candidates(distances, candidates):
    """A whole-database ranking from candidate sets: candidates by ``distances``, every other item after them.

    Hash tables return, for each query, only its *candidates* (the union of its buckets), ranked by exact
    distance.  To compare them with a code that ranks the whole database, the items a query never sees are
    put after all its candidates, tied with each other; scores with ``ties="average"`` then count them in
    a uniformly random order, which is what a system that returns the candidates first and then "anything
    else" delivers on average.

    Parameters
    ----------
    distances : array (n_queries, n_database)
        Exact distances (e.g. Euclidean between HOG vectors).
    candidates : list of int arrays
        ``HashTables.candidates(Q)``: the candidate rows of every query.

    Returns
    -------
    ndarray (n_queries, n_database), float64
        ``distances`` on the candidates, and max(distances) + 1 on every other item.
    """
    D = np.asarray(distances, dtype=np.float64)
    if D.ndim != 2 or not np.isfinite(D).all():
        raise ValueError(f"distances must be a finite (n_queries, n_database) matrix, got shape {D.shape}")
    if len(candidates) != D.shape[0]:
        raise ValueError(f"candidates must hold one index array per query ({D.shape[0]}), got {len(candidates)}")
    far = float(D.max()) + 1.0 if D.size else 1.0
    out = np.full(D.shape, far)
    for i, c in enumerate(candidates):
        c = np.asarray(c)
        if c.size and (c.ndim != 1 or not np.issubdtype(c.dtype, np.integer) or c.min() < 0 or c.max() >= D.shape[1]):
            raise ValueError(f"candidates[{i}] must be a 1-D array of database rows in 0 … {D.shape[1] - 1}")
        out[i, c] = D[i, c]
    return out
