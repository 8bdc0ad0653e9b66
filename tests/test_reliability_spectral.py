"""Reliability of spectral hashing (issue 17): memory bounded in ``n_bits`` for fit and transform.

The outside review measured ``SpectralHash(16384)`` on 784-D data peaking at 611 MB for a model of a few
MB (65,536 bits: ~2 GB): ``fit`` ranked the full ``n_directions × n_bits`` grid of (direction, frequency)
pairs in several float64 and int64 copies, and ``transform`` evaluated the eigenfunctions of 4,096 rows at
once through five ``(rows × n_bits)`` float64 temporaries.  Now ``fit`` keeps only the candidates below
a bisected frequency threshold (``O(n_bits + n_directions)``) and ``transform`` works in place on blocks
of at most 2²¹ float64 values.

Budgets (peak resident memory the call adds, VmHWM of a child interpreter, ``memory.peak_memory``):

* fit, 16,384 bits on 500 × 784: the float64 copies of the data (3 MiB each), the 784 × 784 covariance
  and its eigenvectors (4.7 MiB each) plus ``eigh``'s workspace; measured 35 MiB (old code: 475 MiB),
  budget 96 MiB;
* fit + transform, 65,536 bits on 500 × 784: add the ``uint8`` codes (31 MiB, twice while the blocks are
  concatenated) and one 16 MiB block; measured 93 MiB (old code: the fit alone needs ~2 GB), budget
  160 MiB.

Sibling paths checked: ``eigenfunctions`` (same in-place evaluation; its result is what the caller asked
for), ``transform(packed=True)`` (same blocks), and the mode selection, equal to the full grid on random
widths, ties and flat directions (tests/test_spectral.py::test_mode_selection_equals_the_full_grid).
"""

from __future__ import annotations

import numpy as np
import pytest

from lshlab.hashing import SpectralHash
from memory import AVAILABLE as MEMORY_PROBE, peak_memory

SETUP = """
import numpy as np
from lshlab.hashing import SpectralHash
X = np.random.default_rng(0).random((500, 784)).astype(np.float32)
"""


@pytest.mark.skipif(not MEMORY_PROBE, reason="needs /proc (Linux)")
def test_spectral_fit_memory_does_not_grow_with_the_bit_grid():
    usage = peak_memory("h = SpectralHash(16384).fit(X); result = h.modes_.shape", setup=SETUP)
    assert usage.result == "(16384, 2)"
    assert usage.delta_mb < 96, str(usage)


@pytest.mark.skipif(not MEMORY_PROBE, reason="needs /proc (Linux)")
def test_spectral_transform_memory_is_the_codes_plus_one_block():
    usage = peak_memory("c = SpectralHash(65536).fit(X).transform(X); result = (c.shape, c.dtype.name)",
                        setup=SETUP, timeout=300)
    assert usage.result == "((500, 65536), 'uint8')"
    assert usage.delta_mb < 160, str(usage)


def test_spectral_blocks_give_the_same_codes_packed_and_unpacked():
    X = np.random.default_rng(1).random((300, 20)).astype(np.float32)
    sh = SpectralHash(9000).fit(X)
    assert sh._chunk_rows == 2**21 // 9000  # several blocks for 300 rows
    codes = sh.transform(X)
    np.testing.assert_array_equal(codes, (sh.eigenfunctions(X) > 0).astype(np.uint8))
    np.testing.assert_array_equal(np.unpackbits(sh.transform(X, packed=True), axis=1)[:, :9000], codes)
