"""Memory budgets of this round's large-input paths (VmHWM of a child interpreter, ``tests/memory.py``).

* ``MinHash`` turns a dense 0/1 matrix into sets a block of rows at a time: its peak grows with the
  signatures it returns, not with the sparse form of the whole input (40,000 masks of 784 pixels peaked
  at 179 MiB over the baseline before, 55 MiB after).
* ``synthetic.synthetic_codes`` streams generated items into codes: memory holds the codes and one chunk.
* ``MultiIndexHashing`` builds its tables with a bounded number of bytes per code (linear in n).
"""

from __future__ import annotations

import numpy as np
import pytest

from lshlab.hashing import KernelizedHash, MinHash
from memory import AVAILABLE as MEMORY_PROBE, peak_memory

pytestmark = pytest.mark.skipif(not MEMORY_PROBE, reason="needs /proc (Linux)")

_SETUP = ("import numpy as np\nfrom lshlab import hashing, search, synthetic\nfrom lshlab.hashing import MinHash\n"
          "rng = np.random.default_rng(0)\n")


def test_minhash_of_a_large_dense_matrix_equals_its_sparse_form():
    """The block-by-block path gives the signatures of the one-shot sparse path."""
    import scipy.sparse as sp

    M = np.random.default_rng(1).random((4096 * 2 + 17, 50)) < 0.3
    mh = MinHash(32, random_state=0).fit(M)
    np.testing.assert_array_equal(mh.transform(M), mh.transform(sp.csr_matrix(M)))
    bad = M.astype(np.int64)
    bad[-1, 0] = 2  # a value that is not 0/1 in the last block is still refused
    with pytest.raises(ValueError, match="X"):
        mh.transform(bad)
    with pytest.raises(ValueError, match="X"):
        MinHash(8, random_state=0).fit(bad)


def test_minhash_memory_grows_with_the_signatures_not_the_input():
    code = "mh = MinHash(128, random_state=0).fit(M); s = mh.transform(M)"
    warm = "\nMinHash(4, random_state=0).fit(M[:10]).transform(M[:10])"
    small = peak_memory(code, setup=_SETUP + "M = rng.random((5000, 784)) < 0.3" + warm, timeout=300)
    large = peak_memory(code, setup=_SETUP + "M = rng.random((40000, 784)) < 0.3" + warm, timeout=300)
    signatures_mb = 35_000 * 128 * 4 / 2**20  # what the larger output needs more
    assert large.delta_mb < small.delta_mb + signatures_mb + 30, (str(small), str(large))


def test_synthetic_codes_memory_holds_the_codes_and_one_chunk():
    setup = _SETUP + ("X = rng.random((2000, 64)).astype(np.float32); y = rng.integers(0, 5, 2000)\n"
                      "m = synthetic.GaussianImageModel(16).fit(X, y); h = hashing.ITQHash(64, random_state=0).fit(X)\n"
                      "synthetic.synthetic_codes(m, h, 1000, n_jobs=1)\n")
    small = peak_memory("c, l = synthetic.synthetic_codes(m, h, 200_000, n_jobs=1)", setup=setup, timeout=300)
    large = peak_memory("c, l = synthetic.synthetic_codes(m, h, 1_000_000, n_jobs=1)", setup=setup, timeout=300)
    codes_mb = 800_000 * (8 + 8) / 2**20  # 8 bytes of code per item, labels at most 8 more
    assert large.delta_mb < small.delta_mb + codes_mb + 20, (str(small), str(large))


def test_multi_index_build_memory_is_linear_with_a_bounded_cost_per_code():
    code = "i = search.MultiIndexHashing(C, packed=True); result = (i.nbytes_, i.n_substrings)"
    small = peak_memory(code, setup=_SETUP + "C = rng.integers(0, 256, (200_000, 8), dtype=np.uint8)", timeout=300)
    large = peak_memory(code, setup=_SETUP + "C = rng.integers(0, 256, (1_000_000, 8), dtype=np.uint8)", timeout=300)
    per_code = large.delta / 1_000_000
    assert per_code < 200, f"{per_code:.0f} bytes per code while building ({large})"
    nbytes, m = eval(large.result)
    # m tables of a 4-byte id and the 8-byte code per item, plus a directory of 4-byte bucket offsets per
    # substring value (2^(64/m) of them): 78 bytes per code at m = 3 for uniform codes
    assert nbytes / 1_000_000 < 128, f"{nbytes / 1e6:.1f} index bytes per code with m = {m}"
    assert large.delta_mb < 6 * small.delta_mb + 10, (str(small), str(large))


@pytest.mark.parametrize("scale", [1e-46, 1e300])
def test_kernelized_hash_says_when_the_kernel_cannot_separate_data_of_extreme_scale(scale):
    """KernelizedHash works in float64 (no flushing), but a Gaussian kernel of bandwidth 2 on data of
    scale 1e-46 is 1 everywhere (a degenerate kernel matrix, said) and data of scale 1e300 have squared
    distances beyond float64 (said, with "rescale"): a clear error, never constant codes."""
    X = np.random.default_rng(0).random((30, 8)) * scale
    with pytest.raises(ValueError, match="kernel|rescale"):
        KernelizedHash(8, kernel=2.0, n_landmarks=20, subset_size=5, random_state=0).fit(X)
