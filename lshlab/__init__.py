"""lshlab — similarity search and locality-sensitive hashing, for teaching and exploration.

Subpackages and modules (one concept each):

- :mod:`lshlab.data`             datasets (embedded digits, MNIST, Fashion-MNIST IDX files)
- :mod:`lshlab.distances`        bit packing, Hamming (popcount), Lee, Euclidean distance matrices
- :mod:`lshlab.search`           brute-force kNN, teaching KDTree, HammingIndex, LeeIndex, HashTables
- :mod:`lshlab.hashing`          hash families as scikit-learn estimators
- :mod:`lshlab.kernels`          Gaussian / Schoenberg kernels, spectral sampling, collision theory
- :mod:`lshlab.kernel_learning`  Langevin particle training of a Schoenberg kernel
- :mod:`lshlab.kernel_objectives` what the particles descend: alignment objectives, Sinkhorn regulariser
- :mod:`lshlab.random_features`  random Fourier features for kernel machines, three ways to draw them
- :mod:`lshlab.meanfield`        mean-field PDE for the particle density
- :mod:`lshlab.metric_learning`  ITML
- :mod:`lshlab.metrics`          precision-recall, tie-aware mAP, Dice, Jaccard
- :mod:`lshlab.evaluation`       scoring codes: encode with a fitted hasher, code distances, mAP / PR / P@k
- :mod:`lshlab.features`         HOG, convolutional autoencoder
- :mod:`lshlab.persistence`      saved torch models: one atomic, versioned, checksummed file, no pickle
- :mod:`lshlab.plots`            figure helpers (return the Figure, accept ``ax=``)
- :mod:`lshlab.widgets`          ipywidgets explorers around pure update / draw functions
"""

__version__ = "0.1.0"
