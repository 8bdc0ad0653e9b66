"""distances: packing, Hamming (popcount) vs scipy, Lee vs its definition and the embedding, Euclidean."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist

from lshlab.distances import (
    euclidean_distance_matrix,
    hamming_distance_matrix,
    iter_distance_blocks,
    lee_distance_matrix,
    lee_to_hamming,
    pack_bits,
    unpack_bits,
)

RNG = np.random.default_rng(0)


def lee_reference(A, B, q):
    d = np.abs(np.asarray(A, np.int64)[:, None, :] - np.asarray(B, np.int64)[None, :, :])
    return np.minimum(d, q - d).sum(-1)


def bit_codes(max_rows=6, max_bits=150):
    return st.integers(1, max_bits).flatmap(
        lambda n: st.tuples(
            arrays(np.uint8, st.tuples(st.integers(1, max_rows), st.just(n)), elements=st.integers(0, 1)),
            arrays(np.uint8, st.tuples(st.integers(1, max_rows), st.just(n)), elements=st.integers(0, 1)),
        )
    )


# ----------------------------------------------------------------------------- packing
def test_pack_bits_bit_order_matches_numpy():
    B = np.array([[1, 0, 1, 1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 1, 0]], dtype=np.uint8)
    P = pack_bits(B)
    assert P.dtype == np.uint8 and P.shape == (2, 2)
    np.testing.assert_array_equal(P, [[0b10110000, 0b10000000], [0b00000001, 0]])


@settings(max_examples=60, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 5), st.integers(1, 100)), elements=st.integers(0, 1)))
def test_pack_unpack_round_trip(B):
    np.testing.assert_array_equal(unpack_bits(pack_bits(B), B.shape[1]), B)


def test_pack_bits_accepts_bool_and_int():
    B = RNG.integers(0, 2, (4, 11))
    np.testing.assert_array_equal(pack_bits(B.astype(bool)), pack_bits(B))


def test_unpack_bits_rejects_inconsistent_length():
    P = pack_bits(RNG.integers(0, 2, (3, 20)))  # 3 bytes
    with pytest.raises(ValueError, match="n_bits=25"):
        unpack_bits(P, 25)
    with pytest.raises(ValueError, match="n_bits=16"):
        unpack_bits(P, 16)


# ----------------------------------------------------------------------------- Hamming
@pytest.mark.parametrize("n_bits", [1, 7, 8, 9, 63, 64, 65, 130, 512, 1000])
def test_hamming_matches_scipy(n_bits):
    A = RNG.integers(0, 2, (37, n_bits), dtype=np.uint8)
    B = RNG.integers(0, 2, (600, n_bits), dtype=np.uint8)  # > one 512-column block
    ref = np.rint(cdist(A, B, "hamming") * n_bits).astype(np.int64)
    D = hamming_distance_matrix(A, B)
    assert D.dtype == np.int32 and D.shape == (37, 600)
    np.testing.assert_array_equal(D, ref)
    np.testing.assert_array_equal(hamming_distance_matrix(pack_bits(A), pack_bits(B), packed=True), ref)


def test_hamming_many_rows_blocks_and_out_and_dtype():
    A = RNG.integers(0, 2, (300, 70), dtype=np.uint8)  # > one 128-row block
    ref = np.rint(cdist(A, A, "hamming") * 70).astype(np.int64)
    np.testing.assert_array_equal(hamming_distance_matrix(A), ref)
    out = np.empty((300, 300), dtype=np.uint16)
    res = hamming_distance_matrix(A, A, dtype=np.uint16, out=out)
    assert res is out
    np.testing.assert_array_equal(out, ref)
    D16 = hamming_distance_matrix(A, dtype=np.uint16)
    assert D16.dtype == np.uint16


def test_hamming_dtype_too_small():
    A = RNG.integers(0, 2, (2, 300), dtype=np.uint8)
    with pytest.raises(ValueError, match="holds 300"):
        hamming_distance_matrix(A, A, dtype=np.uint8)


@settings(max_examples=50, deadline=None)
@given(bit_codes())
def test_hamming_is_a_metric(AB):
    A, B = AB
    C = np.concatenate([A, B])
    D = hamming_distance_matrix(C)
    assert (np.diag(D) == 0).all()
    np.testing.assert_array_equal(D, D.T)
    # triangle inequality: D[i, j] <= D[i, l] + D[l, j]
    assert (D[:, None, :] <= D[:, :, None] + D[None, :, :]).all()
    # distinct codes are at positive distance
    same = (C[:, None, :] == C[None, :, :]).all(-1)
    assert ((D == 0) == same).all()


# ----------------------------------------------------------------------------- Lee
@pytest.mark.parametrize("q", [2, 3, 4, 5, 10, 17, 50])
def test_lee_matches_definition(q):
    A = RNG.integers(0, q, (21, 33))
    B = RNG.integers(0, q, (140, 33))
    D = lee_distance_matrix(A, B, q)
    assert D.dtype == np.int32
    np.testing.assert_array_equal(D, lee_reference(A, B, q))


@pytest.mark.parametrize("q", [2, 3])
def test_lee_equals_hamming_of_symbols_for_q_2_and_3(q):
    # for q = 2, 3 every nonzero difference has Lee weight 1
    A = RNG.integers(0, q, (30, 40))
    B = RNG.integers(0, q, (50, 40))
    ref = (A[:, None, :] != B[None, :, :]).sum(-1)
    np.testing.assert_array_equal(lee_distance_matrix(A, B, q), ref)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40).flatmap(lambda q: st.tuples(st.just(q), arrays(np.int64, st.tuples(st.integers(2, 6), st.integers(1, 12)), elements=st.integers(0, q - 1)))))
def test_thermometer_embedding_is_isometric(qC):
    q, C = qC
    H = lee_to_hamming(C, q)
    assert H.dtype == np.uint8 and set(np.unique(H)) <= {0, 1}
    assert H.shape == (C.shape[0], C.shape[1] * (q // 2 if q % 2 == 0 else q))
    factor = 1 if q % 2 == 0 else 2
    np.testing.assert_array_equal(hamming_distance_matrix(H), factor * lee_reference(C, C, q))


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 30).flatmap(lambda q: st.tuples(st.just(q), arrays(np.int64, st.tuples(st.integers(2, 7), st.integers(1, 10)), elements=st.integers(0, q - 1)))))
def test_lee_is_a_metric(qC):
    q, C = qC
    D = lee_distance_matrix(C, C, q)
    assert (np.diag(D) == 0).all()
    np.testing.assert_array_equal(D, D.T)
    assert (D[:, None, :] <= D[:, :, None] + D[None, :, :]).all()
    assert (D <= C.shape[1] * (q // 2)).all()
    same = (C[:, None, :] == C[None, :, :]).all(-1)
    assert ((D == 0) == same).all()


def test_lee_bad_inputs():
    A = np.array([[0, 1, 2]])
    with pytest.raises(ValueError, match="q"):
        lee_distance_matrix(A, A, 1)
    np.testing.assert_array_equal(lee_distance_matrix(A, A, 3), [[0]])
    with pytest.raises(ValueError, match=r"0\.\.1 for q=2"):
        lee_distance_matrix(A, A, 2)
    with pytest.raises(ValueError, match="symbols per code"):
        lee_distance_matrix(A, np.array([[0, 1]]), 4)
    with pytest.raises(ValueError, match="required"):
        lee_distance_matrix(A, A)
    with pytest.raises(ValueError, match="2-D"):
        lee_to_hamming(np.array([0, 1]), 4)


# ----------------------------------------------------------------------------- Euclidean
def test_euclidean_matches_scipy():
    A = RNG.normal(size=(50, 13)).astype(np.float32)
    B = RNG.normal(size=(70, 13)).astype(np.float32)
    np.testing.assert_allclose(euclidean_distance_matrix(A, B), cdist(A, B), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        euclidean_distance_matrix(A, B, squared=True), cdist(A, B, "sqeuclidean"), rtol=1e-4, atol=1e-4
    )


def test_euclidean_self_distances_exact_zero_and_nonnegative():
    A = (RNG.normal(size=(200, 30)) * 100).astype(np.float32)  # large norms: expansion cancels
    D = euclidean_distance_matrix(A)
    assert (np.diag(D) == 0).all() and (D >= 0).all()
    np.testing.assert_array_equal(D, euclidean_distance_matrix(A, A))
    dup = np.repeat(A[:3], 2, axis=0)  # identical rows in different positions
    assert (euclidean_distance_matrix(dup, squared=True) >= 0).all()


def test_euclidean_float64_matches_scipy_to_double_precision():
    """dtype=np.float64 (the kernels' squared distances): double accuracy, near-duplicates keep their digits."""
    A = RNG.normal(size=(40, 9)) * 30
    B = np.vstack([RNG.normal(size=(25, 9)) * 30, A[:5] + 1e-9])  # five near-duplicates of rows of A
    D = euclidean_distance_matrix(A, B, squared=True, dtype=np.float64)
    assert D.dtype == np.float64
    ref = cdist(A, B, "sqeuclidean")
    np.testing.assert_allclose(D, ref, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(D[np.arange(5), 25 + np.arange(5)], ref[np.arange(5), 25 + np.arange(5)], rtol=1e-6)
    assert (np.diag(euclidean_distance_matrix(A, squared=True, dtype=np.float64)) == 0).all()
    with pytest.raises(ValueError, match="dtype must be np.float32 or np.float64"):
        euclidean_distance_matrix(A, dtype=np.int64)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "hamming", "lee"])
def test_iter_distance_blocks_reassemble_the_matrix(metric):
    if metric in ("euclidean", "sqeuclidean"):
        A = RNG.normal(size=(45, 5)).astype(np.float32)
        full = euclidean_distance_matrix(A, squared=metric == "sqeuclidean")
        kw = {}
    elif metric == "hamming":
        A = RNG.integers(0, 2, (45, 20))
        full, kw = hamming_distance_matrix(A), {}
    else:
        A = RNG.integers(0, 5, (45, 20))
        full, kw = lee_distance_matrix(A, A, 5), {"q": 5}
    blocks = list(iter_distance_blocks(A, None, metric, block_rows=10, **kw))
    assert [b[0] for b in blocks] == [0, 10, 20, 30, 40]
    np.testing.assert_allclose(np.concatenate([b[2] for b in blocks]), full, rtol=1e-6, atol=1e-5)
    with pytest.raises(ValueError, match="metric"):
        next(iter_distance_blocks(A, None, "cosine"))


# ----------------------------------------------------------------------------- bad inputs
def test_bad_binary_inputs():
    A = RNG.integers(0, 2, (4, 16), dtype=np.uint8)
    with pytest.raises(ValueError, match="2-D"):
        hamming_distance_matrix(A[0], A)
    with pytest.raises(ValueError, match="bits per code"):
        hamming_distance_matrix(A, A[:, :8])
    with pytest.raises(ValueError, match="packed=True"):
        hamming_distance_matrix(pack_bits(A) | 2, A[:, :16])
    with pytest.raises(ValueError, match="only 0 and 1"):
        hamming_distance_matrix(A.astype(np.int64) * 3, A)
    with pytest.raises(ValueError, match="integer 0/1"):
        pack_bits(A.astype(np.float32))
    with pytest.raises(ValueError, match="dtype uint8"):
        hamming_distance_matrix(A.astype(np.int64), A.astype(np.int64), packed=True)
    with pytest.raises(ValueError, match="bytes per code"):
        hamming_distance_matrix(pack_bits(A), pack_bits(A[:, :8]), packed=True)


def test_bad_float_inputs():
    A = RNG.normal(size=(4, 3))
    A_nan = A.copy()
    A_nan[1, 2] = np.nan  # explicit: a draw-dependent mask made this test order-dependent
    with pytest.raises(ValueError, match="NaN"):
        euclidean_distance_matrix(A_nan, A)
    with pytest.raises(ValueError, match="2-D"):
        euclidean_distance_matrix(A.ravel())
    with pytest.raises(ValueError, match="features"):
        euclidean_distance_matrix(A, A[:, :2])
    with pytest.raises(ValueError, match="shape"):
        euclidean_distance_matrix(A, A, out=np.empty((3, 3), np.float32))


def test_euclidean_near_duplicates_are_exact():
    A = (RNG.normal(size=(40, 50)) + 30).astype(np.float32)  # large norms: the expansion cancels
    B = A.copy()
    B[::2, 0] += np.float32(1e-3)  # near-duplicates at distance 1e-3
    D = euclidean_distance_matrix(A, B)
    idx = np.arange(40)
    assert (D[idx[1::2], idx[1::2]] == 0).all()
    np.testing.assert_allclose(D[idx[::2], idx[::2]], np.abs(B[::2, 0].astype(np.float64) - A[::2, 0]), rtol=1e-4)
    # elsewhere the float32 expansion keeps ~1e-7 · (‖a‖² + ‖b‖²) absolute accuracy on squares
    np.testing.assert_allclose(D, cdist(A.astype(np.float64), B.astype(np.float64)), rtol=1e-3, atol=1e-6)
