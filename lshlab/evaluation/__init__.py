"""Scoring codes: one pipeline from a fitted hasher to mAP, precision@k and precision–recall.

Every lecture, explorer and benchmark that asks "how well do these codes retrieve?" runs the same
three steps, written once here:

1. :func:`encode_pair` — fit a hasher (on the database unless told otherwise) and encode the
   database and the queries: a :class:`CodePair`.
2. :func:`code_distances` — the code distance of every query to every database item: the Hamming
   distance ``d_H(a, b) = Σ_i 1[a_i ≠ b_i]`` for binary codes, the Lee distance
   ``d_L(a, b) = Σ_i min(|a_i − b_i|, q − |a_i − b_i|)`` for q-ary codes (Lee 1958), both with the
   popcount kernels of :mod:`lshlab.distances`.
3. :func:`score_codes` — rank the database by code distance and score the ranking against the
   ground truth with :mod:`lshlab.metrics`: mean average precision (of the whole ranking or of the top
   k), precision@k and, on request, the precision–recall curve.  :func:`evaluate_hasher` chains the
   three; :func:`hasher_grid_search` repeats it over a parameter grid and several seeds;
   :func:`score_search_results` scores the result lists of an index (``HashTables``, ``HammingIndex``).
   :func:`mixed_result_queries` picks queries whose result lists show both right and wrong answers
   (for retrieval collages).

Comparing methods: :func:`compare_hashers` runs the pipeline for many hashers at many code lengths
(:mod:`lshlab.evaluation.comparison`, the small-codes table and the bits explorer's cache), and
:func:`paired_comparison` says whether a difference between two methods exceeds its seed-to-seed and
query-to-query spread (:mod:`lshlab.evaluation.paired`).

Conventions (those of :mod:`lshlab.metrics`)
--------------------------------------------
AP@k = (1 / R_k) Σ_{i ≤ k} P@i · rel_i, with P@i the precision of the top i and R_k the number of
relevant items in the top k; AP@k = 0 when R_k = 0.  This is the convention of the deep supervised
hashing reference code (Liu, Wang, Shan & Chen, "Deep Supervised Hashing for Fast Image Retrieval",
CVPR 2016).  With ``at_k=None`` the whole database is ranked and R is the number of relevant items: the
usual non-interpolated average precision.  mAP is the mean over queries (a query without relevant
items scores 0).  P@k = (relevant items in the top k) / k.

The tie rule
------------
Code distances are small integers: an n-bit code has only n + 1 Hamming distances, so thousands of
database items share a distance and "the top k" is not defined by the distances alone.  Every score
takes ``ties=``:

- ``"average"`` (default): the exact expectation of the score when every group of equal distance is
  put in a uniformly random order (McSherry & Najork, "Computing information retrieval performance
  measures efficiently in the presence of tied scores", ECIR 2008; the AP formulas are derived in
  :func:`lshlab.metrics.average_precision`).  The score does not depend on how the database is stored.
- ``"index"``: ties broken by database index (a stable sort), as most reference code silently does.

Precision–recall curves by radius (a Hamming ball retrieves a whole tie group at once) do not depend
on the rule.

Memory
------
Queries are scored in blocks of rows, so the largest temporaries are one block of distances and one
block of relevance flags (about 2²² entries: 8 MB of ``uint16`` distances; smaller blocks stay in the
caches and run faster than large ones).  With ``labels=`` the relevance "same label" is built per block
and the full (n_query, n_db) matrix never exists: 10,000 queries against 60,000 codes are scored with a
peak of about 30 MB of temporaries.  For mAP@k (and precision@k) each block is first cut down to the
items within the k-th smallest distance of each row, which leaves every score unchanged (see
``scoring._top_window``).  A precision–recall curve is a macro average whose
denominators count queries per threshold, so it is computed by
:func:`lshlab.metrics.precision_recall_curve_retrieval` on the whole (n_query, n_db) matrix: ask for it
on a query subset (:meth:`CodePair.query_subset`) when that matrix is large.
"""


from .codes import CodePair, code_distances, encode_pair
from .comparison import (
    PUBLISHED_CNNH_MNIST,
    CodeComparison,
    compare_hashers,
    map_table_markdown,
)
from .grid_search import GridSearchResult, hasher_grid_search
from .paired import PairedComparison, paired_comparison, restrict_to_candidates
from .scoring import RetrievalScores, evaluate_hasher, score_codes, score_search_results
from .showcase import mixed_result_queries

__all__ = [
    "CodePair",
    "RetrievalScores",
    "GridSearchResult",
    "encode_pair",
    "code_distances",
    "score_codes",
    "evaluate_hasher",
    "score_search_results",
    "hasher_grid_search",
    "mixed_result_queries",
    "CodeComparison",
    "compare_hashers",
    "map_table_markdown",
    "PUBLISHED_CNNH_MNIST",
    "PairedComparison",
    "paired_comparison",
    "restrict_to_candidates",
]
