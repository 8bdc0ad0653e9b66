"""Nearest-neighbour search: brute force, a teaching kd-tree, Hamming / Lee code indexes, LSH tables.

One module per index family:

- :mod:`lshlab.search.brute_force`  :func:`brute_force_knn`, exact Euclidean k-NN by blocked GEMM
- :mod:`lshlab.search.kdtree`       :class:`KDTree` (with :class:`KDNode`, :class:`QueryStats`)
- :mod:`lshlab.search.hamming`      :class:`HammingIndex`, :class:`LeeIndex` (numpy or faiss backend)
- :mod:`lshlab.search.tables`       :class:`HashTables`, L tables of K-hash keys with exact re-ranking
- :mod:`lshlab.search.banding`      :class:`BandingIndex`, b bands of r MinHash rows, Jaccard re-ranking
- :mod:`lshlab.search.multi_index`  :class:`MultiIndexHashing`, exact Hamming k-NN / radius search,
  sub-linear in the database size (Norouzi, Punjani & Fleet 2012)
- :mod:`lshlab.search.primitives`   public low-level helpers: :func:`topk_stable`, the packed-word
  Hamming kernel, the Lee embedding words

Every index answers one verb, ``search(Q, k) -> (dist, idx)``, two arrays of shape
``(n_queries, k)`` sorted by ascending distance (``KDTree.query`` is the same method under scipy's
name).  Euclidean searches return float distances (not squared); code searches return integer
distances.  **Ties** are broken by database index (the smaller index first) wherever distances are
integers, so results are deterministic and identical across backends; for float distances exact ties
are rare and are broken by index among the candidates examined.
"""

from .banding import BandingIndex
from .brute_force import brute_force_knn
from .hamming import HammingIndex, LeeIndex, faiss_available
from .kdtree import KDNode, KDTree, QueryStats
from .multi_index import MultiIndexHashing, MultiIndexStats
from .primitives import topk_stable
from .tables import HashTables

__all__ = [
    "brute_force_knn",
    "HammingIndex",
    "LeeIndex",
    "KDTree",
    "KDNode",
    "QueryStats",
    "HashTables",
    "BandingIndex",
    "MultiIndexHashing",
    "MultiIndexStats",
    "faiss_available",
    "topk_stable",
]
