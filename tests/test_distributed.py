"""Sharded index on a LocalCluster of 2 worker processes: identical to one index, on every way of
giving the cluster; a worker killed mid-query gives a correct retried answer or a clear error, never a
partial one; chunked encoding through Dask equals encoding in memory."""

import os
import signal
import sys
import threading
import time

import cloudpickle
import numpy as np
import pytest

pytest.importorskip("distributed")
from dask.distributed import Client, LocalCluster  # noqa: E402

from lshlab.data import load_dataset  # noqa: E402
from lshlab.distances import pack_bits  # noqa: E402
from lshlab.distributed import ShardedIndex, ShardLostError, encode, keep_freed_memory, synthetic_images  # noqa: E402
from lshlab.hashing import ITQHash  # noqa: E402
from lshlab.search import HammingIndex, MultiIndexHashing  # noqa: E402
from lshlab.synthetic import GaussianImageModel  # noqa: E402

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module


class SlowIndex:
    """A multi-index hashing shard whose search takes ``delay`` seconds (to kill a worker mid-query)."""

    def __init__(self, codes, delay=0.0):
        self.inner, self.delay = MultiIndexHashing(codes, packed=True), delay

    def search(self, Q, k):
        time.sleep(self.delay)
        return self.inner.search(Q, k)


class BrokenIndex:
    def __init__(self, codes):
        pass

    def search(self, Q, k):
        raise ValueError("broken shard index")


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        with Client(c) as client:
            yield c, client


@pytest.fixture(scope="module")
def codes():
    rng = np.random.default_rng(0)
    centres = rng.integers(0, 2, (6, 45), dtype=np.uint8)
    X = centres[rng.integers(0, 6, 12050)] ^ (rng.random((12050, 45)) < 0.08).astype(np.uint8)
    X[100:140] = X[5]  # duplicates across a shard boundary below
    return X[:12000], X[12000:]


@pytest.mark.parametrize("index, n_shards", [("mih", None), ("mih", 5), ("flat", 3)])
def test_sharded_search_equals_one_index(cluster, codes, index, n_shards):
    _, client = cluster
    db, Q = codes
    with ShardedIndex(db, client, n_shards=n_shards, index=index) as si:
        assert si.n_shards == (2 if n_shards is None else n_shards)
        assert len(set(si.shard_workers_)) == 2  # both workers hold shards
        for k in (1, 10, 37, 12000):
            ref = HammingIndex(db, backend="numpy").search(Q, k)
            dist, idx = si.search(Q, k)
            np.testing.assert_array_equal(dist, ref[0])
            np.testing.assert_array_equal(idx, ref[1])
        assert si.n_retries_ == 0


def test_workers_keep_freed_memory(cluster):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_; the shards' workers get glibc's mmap threshold back."""
    _, client = cluster
    if sys.platform.startswith("linux"):
        assert all(client.run(keep_freed_memory).values())


def test_address_string_and_packed_codes(cluster, codes):
    c, client = cluster
    db, Q = codes
    ref = HammingIndex(db).search(Q, 15)
    with ShardedIndex(pack_bits(db), c.scheduler_address, packed=True, n_shards=4, n_substrings=2) as si:
        own = si.client
        assert own is not client and own.status == "running"
        dist, idx = si.search(pack_bits(Q), 15)
    assert own.status == "closed" and client.status == "running"  # closes only the client it opened
    np.testing.assert_array_equal(dist, ref[0])
    np.testing.assert_array_equal(idx, ref[1])


def test_local_cluster_created_and_closed(codes):
    db, Q = codes
    si = ShardedIndex(db[:3000], None)
    cluster = si._own_cluster
    try:
        np.testing.assert_array_equal(si.search(Q, 5)[1], HammingIndex(db[:3000]).search(Q, 5)[1])
    finally:
        si.close()
    assert cluster.status.name == "closed" and si.client is None
    with pytest.raises(ValueError, match="closed"):
        si.search(Q, 5)


def _kill_worker_of_shard(client, si, shard, after):
    time.sleep(after)
    pids = client.run(os.getpid)
    os.kill(pids[si.shard_workers_[shard]], signal.SIGKILL)


def test_worker_killed_mid_query_gives_the_exact_answer_after_a_retry(cluster, codes):
    _, client = cluster
    db, Q = codes
    ref = HammingIndex(db).search(Q, 10)
    with ShardedIndex(db, client, index=SlowIndex, delay=2.0) as si:
        killer = threading.Thread(target=_kill_worker_of_shard, args=(client, si, 0, 0.8))
        killer.start()
        dist, idx = si.search(Q, 10)
        killer.join()
        assert si.n_retries_ == 1  # the shard was rebuilt on a live worker and the query repeated
        np.testing.assert_array_equal(dist, ref[0])
        np.testing.assert_array_equal(idx, ref[1])
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker


def test_worker_killed_mid_query_without_retries_is_a_clear_error(cluster, codes):
    _, client = cluster
    db, Q = codes
    client.wait_for_workers(2, timeout=60)
    with ShardedIndex(db, client, index=SlowIndex, delay=2.0, max_retries=0) as si:
        killer = threading.Thread(target=_kill_worker_of_shard, args=(client, si, 1, 0.8))
        killer.start()
        with pytest.raises(ShardLostError, match=r"shards \[1\].*lost with worker.*no partial answer"):
            si.search(Q, 10)
        killer.join()
    client.wait_for_workers(2, timeout=60)


def test_errors_of_the_shard_index_are_raised_not_retried(cluster, codes):
    _, client = cluster
    db, Q = codes
    with ShardedIndex(db, client, index=BrokenIndex) as si:
        with pytest.raises(ValueError, match="broken shard index"):
            si.search(Q, 3)
        assert si.n_retries_ == 0
    with pytest.raises(ValueError, match="index must be"):
        ShardedIndex(db, client, index="ivf")
    with ShardedIndex(db, client) as si:
        with pytest.raises(ValueError, match="45-bit"):
            si.search(Q[:, :40], 3)
        with pytest.raises(ValueError, match="exceeds the database size"):
            si.search(Q, 12001)
    with pytest.raises(ValueError, match="client must be"):
        ShardedIndex(db, client=42)


def test_chunked_encoding_through_dask_feeds_the_sharded_index(cluster):
    _, client = cluster
    ds = load_dataset("digits")
    model = GaussianImageModel(16).fit(ds.X_train, ds.y_train)
    hasher = ITQHash(24, random_state=0).fit(ds.X_train)
    X = synthetic_images(model, 5000, chunk_rows=1200, random_state=2)
    assert X.chunks[0] == (1200, 1200, 1200, 1200, 200)
    codes = encode(hasher, X)
    images, _ = model.sample(5000, random_state=2, chunk_rows=1200)
    expected = hasher.transform(images, packed=True)
    np.testing.assert_array_equal(codes.compute(), expected)
    Q = hasher.transform(ds.X_query, packed=True)
    with ShardedIndex(codes, client, packed=True) as si:
        assert si.n_shards == 5
        dist, idx = si.search(Q, 12)
    ref = HammingIndex(expected, packed=True).search(Q, 12)
    np.testing.assert_array_equal(dist, ref[0])
    np.testing.assert_array_equal(idx, ref[1])
    with pytest.raises(ValueError, match="dask.array"):
        encode(hasher, images)
    with pytest.raises(ValueError, match="packed=True"):
        ShardedIndex(codes, client)
