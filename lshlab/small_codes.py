"""The experiments of the small-codes lectures (08 and 09): their hashers, a toy problem, a rotation study.

- :func:`small_code_factories` lists the codes compared by :func:`lshlab.evaluation.compare_hashers`:
  data-independent LSH and Raginsky codes, the unsupervised learned PCAH, ITQ, spectral hashing,
  trained-kernel Raginsky codes and RBM semantic hashing, and the supervised RBM + NCA fine-tuning.
- :func:`uniform_box_problem` is the toy problem of spectral hashing: points uniform in a box, relevant
  when closer than ε.
- :func:`rotation_study` separates the two effects of ITQ's rotation (spread variance, lower the
  quantisation error) against a paired random rotation.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_matrix, check_positive_int, check_random_state
from .distances import euclidean_distance_matrix
from .evaluation import CodePair, score_codes

__all__ = ["small_code_factories", "uniform_box_problem", "rotation_study"]


def _first_fitted(fitted, method):
    return next((model for (name, _), model in fitted.items() if name == method), None)


def small_code_factories(*, random_state=0, rbm_params=None, nca_params=None, raginsky_kernel=None,
                         trained_kernel=None):
    """The lecture's hashers as factories for :func:`compare_hashers` (in this order):

    - ``"LSH"``: random hyperplanes through the data mean (``RandomHyperplaneHash(center=True)``);
    - ``"PCAH"``, ``"ITQ"``, ``"SH"``: PCA hashing, iterative quantisation, spectral hashing;
    - ``"Raginsky"`` (when ``raginsky_kernel`` is given, e.g. a median-heuristic bandwidth) and
      ``"trained kernel"`` (when ``trained_kernel`` is given, e.g. ``LangevinKernelLearner().kernel_``):
      :class:`~lshlab.hashing.ShiftInvariantHash` codes;
    - ``"RBM"``: :class:`~lshlab.hashing.RBMHash` with ``rbm_params``; every length reuses the hidden
      layers of the first one fitted (identical to training each from scratch with the same
      ``random_state``, see :mod:`lshlab.hashing.rbm`);
    - ``"RBM+NCA"`` (when ``nca_params`` is given; supervised, fit it with labels): the RBM of the same
      length fine-tuned by :class:`~lshlab.hashing.nca.RBMNCAHash` with ``nca_params``.

    Returns
    -------
    dict name -> callable(n_bits, fitted) -> unfitted hasher
    """
    from .hashing import ITQHash, PCAHash, RandomHyperplaneHash, RBMHash, ShiftInvariantHash, SpectralHash
    from .hashing.nca import RBMNCAHash

    rbm_params = dict(rbm_params or {})
    factories = {
        "LSH": lambda b, fitted: RandomHyperplaneHash(b, center=True, random_state=random_state),
        "PCAH": lambda b, fitted: PCAHash(b),
        "ITQ": lambda b, fitted: ITQHash(b, random_state=random_state),
        "SH": lambda b, fitted: SpectralHash(b),
    }
    if raginsky_kernel is not None:
        factories["Raginsky"] = lambda b, fitted: ShiftInvariantHash(b, kernel=raginsky_kernel,
                                                                     random_state=random_state)
    if trained_kernel is not None:
        factories["trained kernel"] = lambda b, fitted: ShiftInvariantHash(b, kernel=trained_kernel,
                                                                           random_state=random_state)
    factories["RBM"] = lambda b, fitted: RBMHash(b, init=_first_fitted(fitted, "RBM"), random_state=random_state,
                                                 **rbm_params)
    if nca_params is not None:
        nca_params = dict(nca_params)

        def nca(b, fitted):
            rbm = fitted.get(("RBM", b))
            if rbm is None:
                raise ValueError(f"RBM+NCA at {b} bits starts from the RBM of the same length: put 'RBM' before "
                                 "'RBM+NCA' and fit the same bits")
            return RBMNCAHash(b, hidden=rbm.hidden, init=rbm, random_state=random_state, **nca_params)

        factories["RBM+NCA"] = nca
    return factories


def rotation_study(X_train, X_db, X_query, relevant, n_bits, seeds, *, max_iter=50, ties="average"):
    """PCA hashing, a random rotation of the PCA projections (PCA-RR) and ITQ, on the same projections.

    PCA is computed once on ``X_train``; for every seed a Haar-random rotation ``R₀`` is drawn and ITQ
    (:func:`lshlab.hashing.pca_itq.itq_iterations`) runs from it, so the random rotation and ITQ are paired.
    Gong & Lazebnik ("Iterative quantization", CVPR 2011) use PCA-RR to separate the two effects of a
    rotation: spreading the variance over the bits (any rotation does) and lowering the quantisation error
    ``‖B − VR‖²_F`` (only ITQ aims at it).

    Returns
    -------
    dict with
        ``"pca_variance"`` (n_bits,): variance of each PCA projection (training data);
        ``"pcah_map"``: mAP of PCA hashing; for each of ``"random"`` and ``"itq"``: arrays over the seeds
        ``"<name>_map"``, ``"<name>_loss"`` (``‖B − VR‖²_F / n`` on the training data) and
        ``"<name>_variance"`` (len(seeds), n_bits): variance of each rotated projection;
        ``"itq_loss_curve"`` (len(seeds), max_iter + 1): ``itq_iterations``' losses ``/ n``.
    """
    from threadpoolctl import threadpool_limits

    from .hashing.pca_itq import itq_iterations, pca_directions, random_rotation

    X_train = check_matrix(X_train, "X_train", dtype=np.float64)
    n_bits = check_positive_int(n_bits, "n_bits")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must list at least one random seed")
    mean, W, variances = pca_directions(X_train, n_bits)
    V = (X_train - mean) @ W
    V_db = (check_matrix(X_db, "X_db", dtype=np.float64) - mean) @ W
    V_q = (check_matrix(X_query, "X_query", dtype=np.float64) - mean) @ W
    n = V.shape[0]

    def score(R):
        codes = CodePair(db=(V_db @ R >= 0).astype(np.uint8), query=(V_q @ R >= 0).astype(np.uint8))
        return score_codes(codes, relevant, ties=ties).map

    out = {"pca_variance": variances, "pcah_map": score(np.eye(n_bits))}
    rows = {key: [] for key in ("random_map", "itq_map", "random_loss", "itq_loss", "random_variance",
                                "itq_variance", "itq_loss_curve")}
    for seed in seeds:
        R0 = random_rotation(n_bits, seed)
        with threadpool_limits(limits=1, user_api="blas"):  # thin products: one thread is fastest
            R, losses = itq_iterations(V, R0, max_iter)
        for name, rot in (("random", R0), ("itq", R)):
            P = V @ rot
            rows[f"{name}_map"].append(score(rot))
            rows[f"{name}_loss"].append(float(np.sum((np.where(P >= 0, 1.0, -1.0) - P) ** 2)) / n)
            rows[f"{name}_variance"].append(P.var(axis=0))
        rows["itq_loss_curve"].append(losses / n)
    out.update({key: np.asarray(value) for key, value in rows.items()})
    return out


def uniform_box_problem(n_train, n_query, sides=(1.0, 0.6), epsilon=0.06, random_state=0):
    """Points uniform on the box ``[0, sides[0]] × [0, sides[1]] × …`` and their ε-neighbour ground truth.

    The toy problem of Torralba, Fergus & Weiss ("Small codes and large image databases for
    recognition", CVPR 2008) and Weiss et al. ("Spectral hashing", NIPS 2008): a database and queries drawn
    independently, a database item relevant to a query when their Euclidean distance is below ``epsilon``.

    Returns
    -------
    X_train : float32 (n_train, len(sides));  X_query : float32 (n_query, len(sides))
    relevant : bool (n_query, n_train)
    """
    n_train = check_positive_int(n_train, "n_train")
    n_query = check_positive_int(n_query, "n_query")
    sides = np.asarray(sides, dtype=np.float64)
    if sides.ndim != 1 or sides.size == 0 or not np.all(sides > 0):
        raise ValueError(f"sides must be a non-empty list of positive box lengths, got {sides!r}")
    if not epsilon > 0:
        raise ValueError(f"epsilon must be > 0, got {epsilon!r}")
    rng = check_random_state(random_state)
    X_train = (rng.random_sample((n_train, sides.size)) * sides).astype(np.float32)
    X_query = (rng.random_sample((n_query, sides.size)) * sides).astype(np.float32)
    return X_train, X_query, euclidean_distance_matrix(X_query, X_train) < epsilon
