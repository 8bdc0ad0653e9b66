"""A readable kd-tree for exact Euclidean k-NN, with the nodes and the work per query exposed for teaching.

``KDTree(X, leaf_size).search(Q, k)`` returns ``(dist, idx)`` of shape ``(n_queries, k)``: float64
Euclidean distances ascending, ties by database index.  ``query`` is the same method under scipy's
and scikit-learn's name.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_k_neighbours, check_matrix, check_positive_int
from .euclidean import max_abs, safe_exponent

__all__ = ["KDTree", "KDNode", "QueryStats"]


@dataclass
class KDNode:
    """One node of :class:`KDTree`.

    Attributes
    ----------
    id, depth : int
    start, end : int
        The node holds the points ``tree.idx_array[start:end]`` (indices into ``X``).
    split_dim : int
        Coordinate split at this node (−1 for a leaf).
    split_value : float
        Median coordinate: the left child holds points with ``x[split_dim] <= split_value``, the
        right child points with ``x[split_dim] >= split_value`` (nan for a leaf).
    left, right : int
        Child node ids (−1 for a leaf).
    lower, upper : ndarray of shape (d,)
        Tight bounding box of the node's points.
    cell_lower, cell_upper : ndarray of shape (d,)
        The node's cell in the recursive partition (root cell = bounding box of all points); the
        children's cells are the two halves cut at ``split_value``.  Draw these for the partition.
    """

    id: int
    depth: int
    start: int
    end: int
    lower: np.ndarray
    upper: np.ndarray
    cell_lower: np.ndarray
    cell_upper: np.ndarray
    split_dim: int = -1
    split_value: float = float("nan")
    left: int = -1
    right: int = -1

    @property
    def is_leaf(self):
        return self.left < 0

    @property
    def n_points(self):
        return self.end - self.start


@dataclass
class QueryStats:
    """Work done by the last :meth:`KDTree.search`, per query: nodes and leaves entered and
    point-to-query distances computed (brute force computes ``n`` per query)."""

    nodes_visited: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    leaves_visited: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    distance_computations: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


class KDTree:
    """A readable kd-tree (Bentley 1975; Friedman, Bentley & Finkel 1977) with exact k-NN queries.

    Build: a node holding more than ``leaf_size`` points is split at the **median** of its
    **widest-spread** coordinate (the rule scikit-learn uses), recursively, so the tree is balanced
    with depth ≈ log2(n / leaf_size) and leaves hold between ⌈leaf_size / 2⌉ and ``leaf_size``
    points.  Query: depth-first descent to the query's leaf, then **backtracking** — the far child
    of a node is entered only if the query's cell lower bound
    ``rd = Σ_j (distance from q to the cell along j)²`` (updated incrementally per split, Arya &
    Mount 1993) is below the current k-th best squared distance.  Leaves are scanned with one
    vectorised numpy expression.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Stored in float64 (the precision scikit-learn's ``KDTree`` uses), so distances match it.
    leaf_size : int, default 10

    Attributes
    ----------
    nodes : list of :class:`KDNode` (``nodes[0]`` is the root)
    idx_array : ndarray of intp, the point indices in leaf order
    query_stats : :class:`QueryStats` of the last :meth:`search` (work per query)

    Notes
    -----
    Results are exactly the k nearest neighbours, ordered by (distance, index); they equal
    ``sklearn.neighbors.KDTree(X).query(Q, k)`` whenever no two database points are at exactly the
    same distance from a query at the k-th place (with exact ties any choice is correct, and
    scikit-learn's choice depends on its traversal order).
    """

    def __init__(self, X, leaf_size=10):
        self.X = check_matrix(X, "X", dtype=np.float64)
        self.leaf_size = check_positive_int(leaf_size, "leaf_size")
        n, d = self.X.shape
        self.n_features = d
        self.idx_array = np.arange(n, dtype=np.intp)
        self.nodes = []
        lo, hi = self.X.min(axis=0), self.X.max(axis=0)
        self._build(0, n, 0, lo, hi)
        self._Xp = self.X[self.idx_array]  # points in leaf order: a leaf is a contiguous slice
        self._max_abs = max_abs(self.X)
        self._scaled = {}  # exponent e -> (points, split values) divided by 2^e (extreme magnitudes)
        # flat per-node lists: fast scalar access in the query loop
        self._dim = [nd.split_dim for nd in self.nodes]
        self._val = [nd.split_value for nd in self.nodes]
        self._left = [nd.left for nd in self.nodes]
        self._right = [nd.right for nd in self.nodes]
        self._start = [nd.start for nd in self.nodes]
        self._end = [nd.end for nd in self.nodes]
        self.query_stats = QueryStats()

    # -- build ------------------------------------------------------------------------
    def _build(self, start, end, depth, cell_lo, cell_hi):
        pts = self.X[self.idx_array[start:end]]
        node = KDNode(len(self.nodes), depth, start, end, pts.min(axis=0), pts.max(axis=0), cell_lo, cell_hi)
        self.nodes.append(node)
        if end - start <= self.leaf_size:
            return node.id
        dim = int(np.argmax(node.upper - node.lower))
        mid = (start + end) // 2
        sub = self.idx_array[start:end]
        order = np.argpartition(pts[:, dim], mid - start)
        self.idx_array[start:end] = sub[order]
        value = float(self.X[self.idx_array[mid], dim])
        node.split_dim, node.split_value = dim, value
        left_hi, right_lo = cell_hi.copy(), cell_lo.copy()
        left_hi[dim] = value
        right_lo[dim] = value
        node.left = self._build(start, mid, depth + 1, cell_lo, left_hi)
        node.right = self._build(mid, end, depth + 1, right_lo, cell_hi)
        return node.id

    @property
    def depth(self):
        """Depth of the deepest leaf (root = 0)."""
        return max(nd.depth for nd in self.nodes)

    def leaves(self):
        """The leaf nodes, in left-to-right order."""
        return [nd for nd in self.nodes if nd.is_leaf]

    # -- search -----------------------------------------------------------------------
    def search(self, Q, k=1):
        """Exact k nearest neighbours of each row of ``Q``.

        Parameters
        ----------
        Q : array-like of shape (n_queries, d)
        k : int, 1 <= k <= n

        Returns
        -------
        dist : ndarray of float64, shape (n_queries, k), ascending Euclidean distances
        idx : ndarray of intp, shape (n_queries, k), ties by increasing index

        The work per query is recorded in :attr:`query_stats`.  Data and queries of extreme magnitude
        (beyond 2^±40, where squared distances would underflow or overflow float64) are searched
        divided by a power of two, which changes no comparison, and the distances multiplied back.
        """
        Q = check_matrix(Q, "Q", dtype=np.float64)
        if Q.shape[1] != self.n_features:
            raise ValueError(f"Q has {Q.shape[1]} features but the tree was built on {self.n_features}")
        k = check_k_neighbours(k, self.X.shape[0])
        nq = Q.shape[0]
        dist = np.empty((nq, k))
        idx = np.empty((nq, k), dtype=np.intp)
        stats = QueryStats(np.zeros(nq, np.int64), np.zeros(nq, np.int64), np.zeros(nq, np.int64))
        e = safe_exponent(max(self._max_abs, max_abs(Q)))
        if e and e not in self._scaled:
            self._scaled[e] = (np.ldexp(self._Xp, -e), [float(np.ldexp(v, -e)) for v in self._val])
        Xp, val = self._scaled[e] if e else (self._Xp, self._val)
        Qs = np.ldexp(Q, -e) if e else Q
        for i in range(nq):
            d2, ii, counts = self._search_one(Qs[i], k, Xp, val)
            dist[i], idx[i] = np.ldexp(np.sqrt(d2), e) if e else np.sqrt(d2), ii
            stats.nodes_visited[i], stats.leaves_visited[i], stats.distance_computations[i] = counts
        self.query_stats = stats
        return dist, idx

    query = search
    """scipy's name for :meth:`search` (``scipy.spatial.KDTree.query``): the same method, kept because
    the lecture compares this tree with scipy's and scikit-learn's."""

    def _search_one(self, q, k, Xp, val_):
        """Depth-first search with backtracking for one query; returns (sorted d², indices, counts).

        ``Xp`` and ``val_`` are the points in leaf order and the split values (divided by a power of
        two for extreme magnitudes, as ``q``)."""
        qs = q.tolist()
        perm = self.idx_array
        dim_, left_, right_ = self._dim, self._left, self._right
        start_, end_ = self._start, self._end
        heap = []  # max-heap of the k best as (-d², -index): the worst candidate on top
        off = [0.0] * len(qs)  # per-coordinate distance from q to the current cell
        counts = [0, 0, 0]

        def visit(node, rd):
            if len(heap) == k and rd > -heap[0][0]:
                return  # the whole cell is farther than the current k-th neighbour: prune
            counts[0] += 1
            dim = dim_[node]
            if dim < 0:  # leaf: scan its points at once
                s, e = start_[node], end_[node]
                counts[1] += 1
                counts[2] += e - s
                diff = Xp[s:e] - q
                d2 = np.einsum("ij,ij->i", diff, diff)
                js = range(e - s) if len(heap) < k else np.flatnonzero(d2 <= -heap[0][0]).tolist()
                for j in js:
                    item = (-float(d2[j]), -int(perm[s + j]))
                    if len(heap) < k:
                        heapq.heappush(heap, item)
                    elif item > heap[0]:  # (d², index) smaller than the worst kept
                        heapq.heapreplace(heap, item)
                return
            diff = qs[dim] - val_[node]
            near, far = (left_[node], right_[node]) if diff < 0 else (right_[node], left_[node])
            visit(near, rd)
            old = off[dim]
            rd_far = rd - old * old + diff * diff  # cell bound of the far child
            off[dim] = diff
            visit(far, rd_far)
            off[dim] = old

        visit(0, 0.0)
        heap.sort(reverse=True)
        d2 = np.array([-h[0] for h in heap])
        ii = np.array([-h[1] for h in heap], dtype=np.intp)
        return d2, ii, counts
