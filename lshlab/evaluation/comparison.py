"""Many hashers at many code lengths, one protocol: the comparison table of the small-codes lecture.

:func:`compare_hashers` fits every ``(method, n_bits)`` once on the training data, encodes database and
queries, and scores the Hamming ranking (tie-aware mAP and precision–recall per Hamming radius, through
:func:`lshlab.evaluation.score_codes`) into a :class:`CodeComparison`, the object
the bits explorer (:func:`lshlab.widgets.spectral_explorer`) reads. It takes any hasher (a factory per
method), passes labels to the supervised ones only, shows a progress bar and returns the fitted models,
so that later methods can build on earlier ones (a fine-tuned stack starts from the pre-trained one).  The hashers of the small-codes lecture are listed by
:func:`lshlab.small_codes.small_code_factories`.

``PUBLISHED_CNNH_MNIST`` holds the MNIST baselines reported by Xia, Pan, Lai, Liu & Yan, "Supervised
hashing for image retrieval via image representation learning" (CNNH), AAAI 2014, Table 2 (mAP with
Hamming ranking; 1,000 queries, the other 69,000 images as database, GIST-free raw pixels);
:func:`map_table_markdown` prints a comparison beside them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_matrix, check_positive_int
from .codes import encode_pair
from .scoring import score_codes

__all__ = [
    "CodeComparison",
    "compare_hashers",
    "map_table_markdown",
    "PUBLISHED_CNNH_MNIST",
]

PUBLISHED_CNNH_MNIST = {
    "bits": (12, 24, 32, 48),
    "LSH": (0.187, 0.209, 0.235, 0.243),
    "SH": (0.265, 0.267, 0.259, 0.250),
    "ITQ": (0.388, 0.436, 0.422, 0.429),
}


@dataclass
class CodeComparison:
    """Results of :func:`compare_hashers`, keyed by ``(method, n_bits)``.

    Attributes
    ----------
    methods, bits : tuples of what was compared.
    map : dict (method, bits) -> float
        Mean average precision over the whole Hamming ranking (``ties`` as given).
    pr : dict (method, bits) -> lshlab.metrics.PRCurve
        Precision–recall per Hamming radius.
    fit_seconds : dict (method, bits) -> float
    codes : dict (method, bits) -> lshlab.evaluation.CodePair
        Query and database codes (uint8 0/1), when ``keep_codes`` was set.
    ties : str
    """

    methods: tuple
    bits: tuple
    map: dict = field(default_factory=dict)
    pr: dict = field(default_factory=dict)
    fit_seconds: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)
    ties: str = "average"

    def map_curve(self, method):
        """mAP of ``method`` at every code length in ``bits`` (ndarray)."""
        return np.array([self.map[(method, b)] for b in self.bits])



def compare_hashers(factories, X_train, X_db, X_query, relevant, bits, *, y_train=None, supervised=(),
                    ties="average", keep_codes=False, progress=False):
    """Fit ``factories[method](n_bits, fitted)`` for every method and length; score Hamming ranking.

    Parameters
    ----------
    factories : dict name -> callable(n_bits, fitted) -> unfitted hasher
        ``fitted`` is the dict ``(method, n_bits) -> fitted hasher`` of everything fitted so far (methods
        run in the dict's order, lengths in ``bits`` order), so a factory may start from an earlier model.
    X_train : array (n_train, d)
        Training data of every hasher (often the database itself).
    X_db, X_query : arrays (n_db, d), (n_query, d)
    relevant : bool array (n_query, n_db)
        Ground truth of the ranking (same label, or Euclidean ε-neighbour).
    bits : sequence of int
    y_train : array (n_train,), optional
        Labels, given to the methods named in ``supervised`` only (``fit(X_train, y_train)``); the others
        are fitted with ``fit(X_train)``.
    supervised : sequence of str
    ties : {"average", "index"}
        Tie rule of the mAP (:func:`lshlab.evaluation.score_codes`).
    keep_codes : bool
        Also store the codes of every entry.
    progress : bool
        A tqdm bar over the ``len(factories) · len(bits)`` fits.

    Returns
    -------
    comparison : CodeComparison
        ``map``, ``pr``, ``fit_seconds`` (and ``codes``) per ``(method, n_bits)``.
    fitted : dict (method, n_bits) -> fitted hasher
    """

    X_train = check_matrix(X_train, "X_train")
    X_db = check_matrix(X_db, "X_db")
    X_query = check_matrix(X_query, "X_query")
    relevant = np.asarray(relevant, dtype=bool)
    if relevant.shape != (X_query.shape[0], X_db.shape[0]):
        raise ValueError(f"relevant must have shape (n_query, n_db) = {(X_query.shape[0], X_db.shape[0])}, "
                         f"got {relevant.shape}")
    bits = tuple(check_positive_int(b, "bits[i]") for b in bits)
    if not bits or not factories:
        raise ValueError("bits and factories must be non-empty")
    unknown = set(supervised) - set(factories)
    if unknown:
        raise ValueError(f"supervised names methods that are not in factories: {sorted(unknown)}")
    if supervised:
        if y_train is None:
            raise ValueError(f"y_train is needed for the supervised methods {list(supervised)}")
        y_train = np.asarray(y_train)
        if y_train.shape != (X_train.shape[0],):
            raise ValueError(f"y_train must have shape ({X_train.shape[0]},), got {y_train.shape}")
    out = CodeComparison(methods=tuple(factories), bits=bits, ties=ties)
    fitted = {}
    jobs = [(m, b) for m in factories for b in bits]
    if progress:
        from tqdm.auto import tqdm

        jobs = tqdm(jobs, desc="fitting codes", unit="code")
    for method, b in jobs:
        if progress:
            jobs.set_postfix_str(f"{method}, {b} bits")
        hasher = factories[method](b, fitted)
        t0 = time.perf_counter()
        hasher.fit(X_train, y_train) if method in supervised else hasher.fit(X_train)
        out.fit_seconds[(method, b)] = time.perf_counter() - t0
        fitted[(method, b)] = hasher
        codes = encode_pair(hasher, X_db, X_query, fit_on=None)
        scores = score_codes(codes, relevant, ties=ties, pr="radius", pr_thresholds=np.arange(b + 1),
                             label=f"{method} {b} bits")
        out.map[(method, b)], out.pr[(method, b)] = scores.map, scores.pr
        if keep_codes:
            out.codes[(method, b)] = codes
    return out, fitted


def map_table_markdown(comparison, published=None, digits=3):
    """A markdown table of mAP per method (rows) and code length (columns), with published rows added.

    ``published`` is a dict like :data:`PUBLISHED_CNNH_MNIST` (its ``"bits"`` must list the lengths).
    """
    bits = comparison.bits
    lines = ["| method | " + " | ".join(f"{b} bits" for b in bits) + " |",
             "|---|" + "---|" * len(bits)]
    for m in comparison.methods:
        lines.append(f"| {m} (ours) | " + " | ".join(f"{comparison.map[(m, b)]:.{digits}f}" for b in bits) + " |")
    if published:
        pub_bits = tuple(published["bits"])
        for m, vals in published.items():
            if m == "bits":
                continue
            cells = [f"{vals[pub_bits.index(b)]:.{digits}f}" if b in pub_bits else "–" for b in bits]
            lines.append(f"| {m} (CNNH paper) | " + " | ".join(cells) + " |")
    return "\n".join(lines)
