"""Synthetic IDX gz files for the data tests (small, deterministic, 28x28 like MNIST)."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np

from lshlab import data
from lshlab.data import folders

TRAIN_IMAGES, TRAIN_LABELS = data.SPLIT_FILES["train"]
TEST_IMAGES, TEST_LABELS = data.SPLIT_FILES["test"]
ALL_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


def idx_payload(arr: np.ndarray) -> bytes:
    """IDX bytes of a uint8 array: magic 0x0000 08 <ndim>, big-endian dims, raw data."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 | arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.tobytes()


def gz(payload: bytes, mtime: int = 0) -> bytes:
    return gzip.compress(payload, mtime=mtime)


def split_arrays(n: int, seed: int):
    """Images whose first pixel encodes the row number, labels = row % 10."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = np.arange(n) % 256
    images[0, 0, 1], images[0, 0, 2] = 0, 255  # both ends of the pixel range appear
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


def make_files(n_train: int = 80, n_test: int = 50, seed: int = 0) -> dict[str, bytes]:
    """The four gz files (name -> bytes) of a small synthetic dataset."""
    tr_img, tr_lab = split_arrays(n_train, seed)
    te_img, te_lab = split_arrays(n_test, seed + 1)
    return {
        TRAIN_IMAGES: gz(idx_payload(tr_img)),
        TRAIN_LABELS: gz(idx_payload(tr_lab)),
        TEST_IMAGES: gz(idx_payload(te_img)),
        TEST_LABELS: gz(idx_payload(te_lab)),
    }


def write_files(folder: Path, files: dict[str, bytes], names=None) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or files:
        (folder / name).write_bytes(files[name])
    return folder


def register(monkeypatch, dataset: str, files: dict[str, bytes]):
    """Make ``files`` the reference of ``dataset``: gz MD5, payload SHA-256, gz sizes and IDX shapes."""
    md5 = {n: hashlib.md5(b).hexdigest() for n, b in files.items()}
    sha = {n: hashlib.sha256(gzip.decompress(b)).hexdigest() for n, b in files.items()}
    sizes = {n: len(b) for n, b in files.items()}
    shapes = {n: idx_shape(gzip.decompress(b)) for n, b in files.items()}
    monkeypatch.setitem(data.MD5_GZ, dataset, md5)
    monkeypatch.setitem(data.SHA256_PAYLOAD, dataset, sha)
    monkeypatch.setitem(data.GZ_SIZES, dataset, sizes)
    monkeypatch.setitem(data.IDX_SHAPES, dataset, shapes)


def idx_shape(payload: bytes) -> tuple:
    """The shape announced by an IDX header."""
    ndim = payload[3]
    return struct.unpack(f">{ndim}I", payload[4 : 4 + 4 * ndim])


def isolate(monkeypatch, tmp_path: Path) -> dict[str, Path]:
    """Point every folder the loader uses into ``tmp_path`` (project, shared, Debian, cache); offline."""
    project = tmp_path / "project"
    (project / "lshlab").mkdir(parents=True, exist_ok=True)
    (project / "lshlab" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text("[project]\nname = 'lshlab'\n")
    shared = tmp_path / "shared" / "data"
    debian = tmp_path / "debian" / "fashion-mnist"
    monkeypatch.setattr(folders, "project_roots", lambda: [project])
    monkeypatch.setattr(folders, "DEBIAN_FASHION", debian)
    for var in ("LSHLAB_DATA_DIR", "LSHLAB_DATA_URL", "LSHLAB_CACHE_DIR", "LSHLAB_DOWNLOAD_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LSHLAB_OFFLINE", "1")
    return {"project": project, "local": project / "data", "shared": shared, "debian": debian,
            "cache": project / "data" / "cache"}
