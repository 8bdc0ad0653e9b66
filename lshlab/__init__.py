"""lshlab — similarity search and locality-sensitive hashing, for teaching and exploration.

Subpackages and modules (one concept each):

- :mod:`lshlab.data`             datasets (embedded digits, MNIST, Fashion-MNIST IDX files, tabular loaders)
- :mod:`lshlab.distances`        bit packing, Hamming (popcount), Lee, Euclidean distance matrices
- :mod:`lshlab.search`           brute-force kNN, teaching KDTree, HammingIndex, LeeIndex, HashTables,
                                 BandingIndex (MinHash banding), MultiIndexHashing (exact, sub-linear)
- :mod:`lshlab.distributed`      ShardedIndex over a Dask cluster, chunked encoding on the workers
- :mod:`lshlab.synthetic`        databases of any size that behave like real images; toy problems
- :mod:`lshlab.scale`            latency, scaling curves, the ann-benchmarks sweep, a cost model
- :mod:`lshlab.hashing`          hash families as scikit-learn estimators (MinHash over sets included)
- :mod:`lshlab.sets`             sets as data: validation, exact Jaccard, image masks, shingles
- :mod:`lshlab.lsh_theory`       (r, cr, p₁, p₂)-sensitive families, ρ, the classic K and L, a (K, L) chooser
- :mod:`lshlab.kernels`          Gaussian / Schoenberg kernels, spectral sampling, collision theory
- :mod:`lshlab.kernel_learning`  Langevin particle training of a Schoenberg kernel
- :mod:`lshlab.kernel_objectives` what the particles descend: alignment objectives, Sinkhorn regulariser
- :mod:`lshlab.random_features`  random Fourier features for kernel machines, three ways to draw them
- :mod:`lshlab.meanfield`        mean-field PDE for the particle density
- :mod:`lshlab.metric_learning`  ITML
- :mod:`lshlab.metrics`          precision-recall, tie-aware mAP, Dice, Jaccard
- :mod:`lshlab.evaluation`       scoring codes: encode with a fitted hasher, code distances, mAP / PR / P@k;
                                 many hashers at many code lengths; paired comparisons over seeds
- :mod:`lshlab.small_codes`      the small-codes lectures' hashers, toy box problem and rotation study
- :mod:`lshlab.features`         HOG, convolutional autoencoder
- :mod:`lshlab.persistence`      saved torch models: one atomic, versioned, checksummed file, no pickle
- :mod:`lshlab.plots`            figure helpers ``plot_<what>(..., ax=None) -> Figure``
- :mod:`lshlab.widgets`          ipywidgets explorers around pure update / draw functions

One vocabulary
--------------
The same word means the same thing in every module:

=================  ==========================================================================================
``max_iter``       iterations of a fit (epochs for networks); the count run is the fitted ``n_iter_``
``learning_rate``  step size: Adam, the RBM, the Langevin step η (a PDE time step is ``dt``)
``n_jobs``         threads; None = the CPU cores (at most 8)
``n_components``   number D of random Fourier features, as scikit-learn's ``RBFSampler``
``kernel=``        an estimator's kernel: a float is the bandwidth σ of exp(−‖Δ‖²/(2σ²)), or a
                   :class:`~lshlab.kernels.SchoenbergKernel`; functions Gaussian by definition take ``bandwidth=``
``search(Q, k)``   every index returns ``(dist, idx)`` sorted by (distance, index);
                   ``KDTree.query`` is scipy's name for the same method
``random_state``   int, ``RandomState`` or None, wherever something is drawn
``packed=``        binary codes are 0/1 columns unless ``packed=True`` (``np.packbits`` bytes)
explorers          ``update_<topic>(data…, *, params) -> <Topic>Result`` (a dataclass),
                   ``draw_<topic>(result, axes)``, ``<topic>_explorer(data…, *, options)``
=================  ==========================================================================================
"""

__version__ = "0.1.0"
