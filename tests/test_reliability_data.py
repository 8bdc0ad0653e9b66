"""Reliability of lshlab.data (issue 17): no data loss, no trusted-but-wrong cache, bounded memory, clear errors.

Each test reproduces one finding of the outside review (or a sibling of it, same class) through the public
API, environment variables and files only, so it runs unchanged against the code before the fix (where
each fails) and after it.  No network: a loopback HTTP server (``http_fixtures``) plays the mirror.
Peak memory is measured as VmHWM of a fresh child interpreter (``memory.peak_memory``).

Classes and the paths checked for each:

* removal of files: every ``unlink`` / ``rmdir`` / ``os.replace`` in the package — cache clean-up (only
  the loader's own entries), download temporaries and folders (only what the failed call created), the
  final ``os.replace`` of a download (never over an existing file) and of a cache entry (only at its own
  keyed name);
* trust in stored data: the ``.npz`` cache (members, array headers, meta, label range, content SHA-256),
  the IDX header (magic, shape against the catalog before inflating), the gzip stream (capped at the
  announced size), a download (capped at the published size);
* environment variables: every variable :mod:`lshlab.data` reads (``LSHLAB_DATA_DIR``,
  ``LSHLAB_CACHE_DIR``, ``LSHLAB_OFFLINE``, ``LSHLAB_DOWNLOAD_TIMEOUT``, ``LSHLAB_DATA_URL``) and the
  matching arguments of ``download_files`` (``timeout``, ``max_seconds``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import struct
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from http_fixtures import FaultServer
from idx_fixtures import TEST_IMAGES, TEST_LABELS, gz, idx_payload, make_files, register, write_files
from lshlab import data as lshdata
from memory import AVAILABLE as MEMORY_PROBE, peak_memory

#: The real data (shared/data next to the project, or $LSHLAB_DATA_DIR): used by the memory budgets only.
SHARED = Path(os.environ.get("LSHLAB_DATA_DIR") or Path(__file__).resolve().parents[1].parent / "shared" / "data")
TEST_FILES = [TEST_IMAGES, TEST_LABELS]


@pytest.fixture
def env(monkeypatch, tmp_path):
    """Synthetic MNIST (50 test images) in ``tmp/src/mnist``; cache in ``tmp/cache``; offline."""
    files = make_files(80, 50)
    register(monkeypatch, "mnist", files)
    src = write_files(tmp_path / "src" / "mnist", files, names=TEST_FILES)
    cache = tmp_path / "cache"
    for var in ("LSHLAB_DATA_DIR", "LSHLAB_DATA_URL", "LSHLAB_DOWNLOAD_TIMEOUT", "LSHLAB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LSHLAB_CACHE_DIR", str(cache))
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return {"files": files, "src": src, "cache": cache, "tmp": tmp_path}


def _load(env, **kw):
    return lshdata.load_dataset("mnist", pool="test", data_dir=env["src"].parent, download=False, **kw)


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes); folders alone appear with ``None``."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


# ================================================================================ data loss (severity 1)


def test_cache_cleanup_never_removes_files_the_loader_did_not_write(env, monkeypatch):
    """A user's ``mnist-test-*.npz`` in LSHLAB_CACHE_DIR survives loads and source changes."""
    cache = env["cache"]
    cache.mkdir()
    np.savez(cache / "mnist-test-my-embeddings.npz", emb=np.arange(12.0).reshape(3, 4))
    # a user file even named like a cache entry (exact key pattern) but not written by the loader
    np.savez(cache / f"mnist-test-{'a' * 20}-{'b' * 20}.npz", images=np.zeros((2, 28, 28), np.uint8),
             labels=np.zeros(2, np.uint8))
    (cache / "mnist-test-notes.txt").write_text("mine")
    (cache / "mnist-test-dir.npz").mkdir()
    (cache / f"mnist-test-{'c' * 20}-{'d' * 20}.npz").symlink_to(cache / "mnist-test-my-embeddings.npz")
    user = _tree(cache)

    first = _load(env)
    other = make_files(80, 50, seed=3)  # the source changes: the loader's own stale entry goes
    register(monkeypatch, "mnist", other)
    write_files(env["src"], other, names=TEST_FILES)
    changed = _load(env)
    assert not np.array_equal(first.X_query, changed.X_query)
    after = _tree(cache)
    for name, content in user.items():
        assert after.get(name, "missing") == content, f"{name} was removed or changed"
    own = sorted(set(after) - set(user))
    assert len(own) == 1 and own[0].startswith("mnist-test-"), own  # exactly one entry of the loader


def test_download_never_overwrites_an_existing_file(env, monkeypatch):
    """``download_files`` over a present but corrupt file: an error naming it, the file untouched."""
    folder = env["tmp"] / "dl" / "mnist"
    folder.mkdir(parents=True)
    (folder / TEST_LABELS).write_bytes(b"my own bytes, not MNIST")
    (folder / "notes.txt").write_text("mine")
    before = _tree(folder)
    with FaultServer(env["files"]) as server:
        monkeypatch.setenv("LSHLAB_DATA_URL", server.url)
        with pytest.raises(lshdata.DataIntegrityError, match=TEST_LABELS):
            lshdata.download_files("mnist", [TEST_LABELS], folder)
        assert server.requests == []
    assert _tree(folder) == before


def test_failed_download_leaves_no_folder_behind(env, monkeypatch):
    """Every mirror fails: the folders created for the download (parents included) are gone again."""
    base = env["tmp"] / "new" / "deeper"
    monkeypatch.setenv("LSHLAB_DATA_DIR", str(base))
    with FaultServer({}) as server:  # 404 for everything
        monkeypatch.setenv("LSHLAB_DATA_URL", server.url)
        with pytest.raises(FileNotFoundError, match="HTTP Error 404"):
            lshdata.load_dataset("mnist", pool="test", download=True)
    assert not (env["tmp"] / "new").exists()


# ================================================================ cache trusted on too little (severity 2)


def _npz_members(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _forge_meta(members):
    """Recompute the recorded content checksums (an attacker who knows the format), if there is a meta."""
    if "meta" not in members:
        return members
    meta = json.loads(str(members["meta"][()]))
    for name, arr in zip(TEST_FILES, (members["images"], members["labels"])):
        header = struct.pack(">I", 0x0800 | arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
        meta["files"][name] = {"shape": list(arr.shape),
                               "payload_sha256": hashlib.sha256(header + arr.tobytes()).hexdigest()}
    return {**members, "meta": np.array(json.dumps(meta))}


def _tamper_npz(how):
    def tamper(path: Path):
        m = _npz_members(path)
        img, lab = m["images"], m["labels"]
        if how == "5x5 images":
            m["images"] = np.ascontiguousarray(img[:, :5, :5])
        elif how == "labels up to 209":
            m["labels"] = lab.copy()
            m["labels"][7] = 209
        elif how == "row subset":
            m["images"], m["labels"] = img[:20], lab[:20]
        elif how == "2-D labels":
            m["labels"] = lab[:, None]
        elif how == "shuffled labels":
            m["labels"] = np.roll(lab, 1)
        elif how == "shuffled labels, forged meta":
            m["labels"] = np.roll(lab, 1)
            m = _forge_meta(m)
        elif how == "float images":
            m["images"] = img.astype(np.float32)
        if how == "huge announced shape":  # an .npy header announcing 2**40 images over 784 bytes of data
            buf = io.BytesIO()
            np.lib.format.write_array_header_1_0(
                buf, {"descr": "|u1", "fortran_order": False, "shape": (1 << 40, 28, 28)})
            with zipfile.ZipFile(path) as zf:
                raw = {name: zf.read(name) for name in zf.namelist()}
            raw["images.npy"] = buf.getvalue() + bytes(784)
            with zipfile.ZipFile(path, "w") as zf:
                for name, content in raw.items():
                    zf.writestr(name, content)
            return
        np.savez(path, **m)
    return tamper


def _truncate(path: Path):
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def _flip_bit(path: Path):
    raw = bytearray(path.read_bytes())
    at = raw.index(b"images.npy") + 20_000  # inside the images array, stored uncompressed
    raw[at] ^= 0x10
    path.write_bytes(bytes(raw))


TAMPERINGS = {
    **{how: _tamper_npz(how) for how in (
        "5x5 images", "labels up to 209", "row subset", "2-D labels", "shuffled labels",
        "shuffled labels, forged meta", "float images", "huge announced shape")},
    "truncated file": _truncate,
    "bit flip": _flip_bit,
}


@pytest.mark.parametrize("how", list(TAMPERINGS))
def test_tampered_or_damaged_cache_is_rebuilt_with_a_warning_naming_it(env, how):
    ref = _load(env)
    (path,) = env["cache"].glob("mnist-test-*.npz")
    TAMPERINGS[how](path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = _load(env)
    # the right data, whatever the cache held
    np.testing.assert_array_equal(got.X_query, ref.X_query)
    np.testing.assert_array_equal(got.y_train, ref.y_train)
    assert got.X_train.shape == ref.X_train.shape and got.y_query.ndim == 1
    # a warning naming the file, and the entry is valid again
    names = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert any(str(path) in m and "rebuild" in m for m in names), names
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.testing.assert_array_equal(_load(env).y_query, ref.y_query)
    assert not [w for w in caught if str(path) in str(w.message)]


def test_any_damage_to_the_cache_is_detected_or_harmless(env):
    """Every byte position (sampled) flipped, and truncations: the load never fails and never lies."""
    ref = _load(env)
    (path,) = env["cache"].glob("mnist-test-*.npz")
    good = path.read_bytes()
    rng = np.random.default_rng(0)
    positions = sorted(set(rng.integers(0, len(good), 60).tolist()) | {0, 30, len(good) - 1})
    damaged = [good[:p] + bytes([good[p] ^ 0xFF]) + good[p + 1:] for p in positions]
    damaged += [good[:n] for n in rng.integers(0, len(good), 10).tolist()] + [good + b"junk"]
    for raw in damaged:
        path.write_bytes(raw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = _load(env)
        np.testing.assert_array_equal(got.X_query, ref.X_query)
        np.testing.assert_array_equal(got.X_train, ref.X_train)
        np.testing.assert_array_equal(got.y_train, ref.y_train)


def test_cache_hit_serves_exactly_the_verified_source(env):
    """Without tampering the cache is used (no warning) and equals a fresh decode of the files."""
    ref = _load(env)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = _load(env)
    np.testing.assert_array_equal(again.X_train, ref.X_train)
    images = lshdata.verify_file(env["src"] / TEST_IMAGES, "mnist")
    np.testing.assert_array_equal(ref.X_train, images[ref.train_index].reshape(-1, 784) / np.float32(255))


# ========================================================================= IDX headers (severities 3, 4)


def _gz_stream(header: bytes, n_zero_bytes: int) -> bytes:
    """gzip of ``header`` + ``n_zero_bytes`` zeros, built in chunks (a compression bomb when large)."""
    c = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [c.compress(header)]
    chunk = bytes(1 << 20)
    for _ in range(n_zero_bytes >> 20):
        out.append(c.compress(chunk))
    out.append(c.compress(bytes(n_zero_bytes & ((1 << 20) - 1))))
    out.append(c.flush())
    return b"".join(out)


@pytest.mark.parametrize("name", TEST_FILES)
def test_any_damage_to_an_idx_file_is_a_clear_error_or_harmless(env, name):
    """Sampled byte flips, truncations and appended bytes: a DataIntegrityError naming the file, or the
    right array (a flip in a gzip header field leaves the payload, and its SHA-256, intact)."""
    good = env["files"][name]
    ref = np.frombuffer(gzip.decompress(good), np.uint8)
    rng = np.random.default_rng(1)
    cases = [good[:p] + bytes([good[p] ^ 0xFF]) + good[p + 1:] for p in rng.integers(0, len(good), 80).tolist()]
    cases += [good[:n] for n in rng.integers(0, len(good), 20).tolist()] + [good + b"x", good + good]
    path = env["tmp"] / name
    for raw in cases:
        path.write_bytes(raw)
        try:
            arr = lshdata.verify_file(path, "mnist")
        except lshdata.DataIntegrityError as exc:
            assert str(path) in str(exc)
            continue
        np.testing.assert_array_equal(arr.reshape(-1), ref[-arr.size:])
        assert arr.size == ref.size - (16 if "images" in name else 8)


def test_idx_dimensions_past_int64_are_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / TEST_IMAGES
    path.write_bytes(gz(struct.pack(">IIII", 2051, 1 << 22, 1 << 21, 1 << 21)))  # product 2**64
    with pytest.raises(lshdata.DataIntegrityError, match=str(path)):
        lshdata.verify_file(path, "mnist")


@pytest.mark.parametrize("dims", [(60_000, 28, 28), (10_000, 28, 29), (10_000, 14, 56)])
def test_idx_header_announcing_another_shape_is_a_clear_error(tmp_path, dims):
    path = tmp_path / TEST_IMAGES
    path.write_bytes(_gz_stream(struct.pack(">IIII", 2051, *dims), 0))
    with pytest.raises(lshdata.DataIntegrityError, match=f"{path}.*announces images of shape"):
        lshdata.verify_file(path, "mnist")


BOMB_EXTRA = 64 << 20  # bytes a 65 kB gzip inflates to beyond what its header announces
#: Budget for reading an MNIST test-image file, whatever it holds: the 7,840,016-byte payload it must
#: announce (7.48 MiB), plus 4 MiB for the 2 x 256 KiB read / inflate buffers, hash states and allocator
#: slack (measured: 8.1 MiB in all, i.e. 0.6 MiB above the array; the old reader: 16.4 MiB for the real
#: file, 128 MiB for a 65 kB bomb, 512 MiB for a 0.26 MB one).
IDX_BUDGET_MB = 7_840_016 / 2**20 + 4


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    header = struct.pack(">IIII", 2051, 10_000, 28, 28)
    (folder / "longer").mkdir()
    (folder / "longer" / TEST_IMAGES).write_bytes(_gz_stream(header, BOMB_EXTRA))
    (folder / "larger").mkdir()  # announces 48 M images (37 GB) of which it holds 64 MiB of zeros
    (folder / "larger" / TEST_IMAGES).write_bytes(_gz_stream(struct.pack(">IIII", 2051, 48_000_000, 28, 28),
                                                             BOMB_EXTRA))
    return folder


@pytest.mark.skipif(not MEMORY_PROBE, reason="needs /proc (Linux)")
@pytest.mark.parametrize("kind", ["longer", "larger"])
def test_idx_compression_bomb_memory_is_bounded_by_the_announced_size(bombs, kind):
    path = bombs / kind / TEST_IMAGES
    assert path.stat().st_size < 300_000
    usage = peak_memory(f"""
        try:
            data.verify_file({str(path)!r}, "mnist")
        except data.DataIntegrityError as exc:
            result = str(exc)
        """, setup="from lshlab import data")
    assert usage.result is not None and str(path) in usage.result, usage.result
    assert usage.delta_mb < IDX_BUDGET_MB, str(usage)


@pytest.mark.skipif(not MEMORY_PROBE or not (SHARED / "mnist" / TEST_IMAGES).is_file(),
                    reason="needs /proc and the shared MNIST test files")
def test_idx_reading_a_real_file_costs_its_array_and_small_buffers():
    usage = peak_memory(f"images = data.verify_file({str(SHARED / 'mnist' / TEST_IMAGES)!r}, 'mnist')",
                        setup="from lshlab import data")
    assert usage.delta_mb < IDX_BUDGET_MB, str(usage)


@pytest.mark.skipif(not MEMORY_PROBE or not (SHARED / "mnist" / TEST_IMAGES).is_file(),
                    reason="needs /proc and the shared MNIST test files")
def test_load_dataset_memory_budget(tmp_path):
    """MNIST pool='test', cold and warm cache, within what the result needs.

    The float32 result (10,000 x 784 x 4 B = 29.9 MiB), the uint8 split it is cut from (7.5 MiB) and the
    uint8 selection of 9,000 rows cast to float32 (6.7 MiB) make 44.1 MiB; budget 44.1 + 8 MiB of
    allocator slack (measured: 45.3 MiB cold and warm; the old loader 46.3 MiB).
    """
    budget = (10_000 * 784 * 4 + 10_000 * 784 + 9_000 * 784) / 2**20 + 8
    code = "ds = load_dataset('mnist', pool='test', data_dir={!r}, download=False)".format(str(SHARED))
    for _ in ("cold", "warm"):
        usage = peak_memory(code, setup="from lshlab.data import load_dataset",
                            env={"LSHLAB_CACHE_DIR": str(tmp_path)})
        assert usage.delta_mb < budget, str(usage)
    assert len(list(tmp_path.glob("mnist-test-*.npz"))) == 1


# ============================================================================ downloads capped (severity 3)


@pytest.mark.parametrize("mode", ["oversize", "oversize-no-length"])
def test_download_stops_at_the_published_size(env, monkeypatch, mode):
    folder = env["tmp"] / "dl"
    with FaultServer(env["files"]) as server:
        server.mode[TEST_LABELS] = mode
        monkeypatch.setenv("LSHLAB_DATA_URL", server.url)
        with pytest.raises(FileNotFoundError, match=TEST_LABELS):
            lshdata.download_files("mnist", [TEST_LABELS], folder, timeout=5)
        deadline = time.monotonic() + 10
        while TEST_LABELS not in server.finished and time.monotonic() < deadline:
            time.sleep(0.01)
        sent = server.sent.get(TEST_LABELS, 0)
    assert sent < server.oversize_bytes / 4, f"the client accepted {sent:,} bytes of a 64 MiB answer"
    assert _tree(env["tmp"] / "dl") == {}


# ================================================================= environment variables (severity 4)


@pytest.mark.parametrize(
    "var, value",
    [
        ("LSHLAB_DOWNLOAD_TIMEOUT", "abc"),
        ("LSHLAB_DOWNLOAD_TIMEOUT", "inf"),
        ("LSHLAB_DOWNLOAD_TIMEOUT", "nan"),
        ("LSHLAB_DOWNLOAD_TIMEOUT", "-1"),
        ("LSHLAB_DOWNLOAD_TIMEOUT", "0"),
        ("LSHLAB_DOWNLOAD_TIMEOUT", "1e400"),
        ("LSHLAB_OFFLINE", "maybe"),
        ("LSHLAB_DATA_URL", "mirror.example.org/mnist"),
        ("LSHLAB_DATA_DIR", "<a file>"),
        ("LSHLAB_CACHE_DIR", "<a file>"),
    ],
)
def test_bad_environment_variable_is_named_and_leaves_nothing_behind(env, monkeypatch, var, value):
    a_file = env["tmp"] / "a-file"
    a_file.write_text("not a folder")
    target = env["tmp"] / "target"
    with FaultServer(env["files"]) as server:
        monkeypatch.setenv("LSHLAB_DATA_URL", server.url)
        monkeypatch.setenv("LSHLAB_DATA_DIR", str(target))
        monkeypatch.setenv(var, str(a_file) if value == "<a file>" else value)
        with pytest.raises(ValueError, match=var):
            lshdata.load_dataset("mnist", pool="test", download=None if var == "LSHLAB_OFFLINE" else True)
        assert server.requests == []
    assert not target.exists() and not (env["tmp"] / "cache").exists()
    assert a_file.read_text() == "not a folder"


@pytest.mark.parametrize("arg, value", [("timeout", "abc"), ("timeout", float("inf")), ("timeout", 0),
                                        ("max_seconds", float("nan")), ("max_seconds", -5), ("timeout", True)])
def test_bad_download_argument_is_named_and_leaves_nothing_behind(env, monkeypatch, arg, value):
    monkeypatch.setenv("LSHLAB_DATA_URL", (env["tmp"] / "nowhere").as_uri())
    folder = env["tmp"] / "dl" / "mnist"
    with pytest.raises(ValueError, match=arg):
        lshdata.download_files("mnist", [TEST_LABELS], folder, **{arg: value})
    assert not (env["tmp"] / "dl").exists()


def test_unknown_file_name_for_download_is_named(env, monkeypatch):
    monkeypatch.setenv("LSHLAB_DATA_URL", (env["tmp"] / "nowhere").as_uri())
    with pytest.raises(ValueError, match="labels.gz"):
        lshdata.download_files("mnist", ["labels.gz"], env["tmp"] / "dl")
    assert not (env["tmp"] / "dl").exists()


@pytest.mark.parametrize("kind", ["a file", "a number"])
def test_bad_data_dir_argument_is_named(env, monkeypatch, kind):
    monkeypatch.setenv("LSHLAB_DATA_URL", (env["tmp"] / "nowhere").as_uri())
    a_file = env["tmp"] / "a-file"
    a_file.write_text("not a folder")
    with pytest.raises(ValueError, match="data_dir"):
        lshdata.load_dataset("mnist", pool="test", data_dir=a_file if kind == "a file" else 17, download=True)
    assert a_file.read_text() == "not a folder"


def test_offline_values_are_understood(env, monkeypatch):
    for value in ("1", "TRUE", " yes ", "on"):
        monkeypatch.setenv("LSHLAB_OFFLINE", value)
        with pytest.raises(FileNotFoundError, match="LSHLAB_OFFLINE"):
            lshdata.load_dataset("mnist", pool="test", data_dir=env["tmp"] / "none")
    for value in ("0", "false", "", "Off"):
        monkeypatch.setenv("LSHLAB_OFFLINE", value)
        monkeypatch.setenv("LSHLAB_DATA_URL", (env["tmp"] / "nowhere").as_uri())
        with pytest.raises(FileNotFoundError, match="Download failed"):
            lshdata.load_dataset("mnist", pool="test", data_dir=env["tmp"] / "none")
    assert not (env["tmp"] / "none").exists()
