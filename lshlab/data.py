"""Datasets for the course: scikit-learn's embedded digits, MNIST and Fashion-MNIST.

One entry point, :func:`load_dataset`, returns a :class:`Dataset` holding a database
(``X_train``, ``y_train``) and a query set (``X_query``, ``y_query``): float32 rows with pixels scaled
to [0, 1] and int64 labels.

Pools
-----
``pool="official"``
    database from the official train split, queries from the official test split.  For ``"digits"``
    (1,797 images of 8x8 pixels, no official split) the fixed split used here is contiguous and
    unshuffled: rows 0-1436 of :func:`sklearn.datasets.load_digits` (1,437 images, 80 %) are the train
    split and rows 1437-1796 (360 images) the test split.
``pool="test"``
    database and queries both from the official test split, disjoint.  By default one tenth of the split
    (1,000 of MNIST's 10,000 images, 36 of digits' 360) are queries and the rest the database.  MNIST's
    train images are not available on the course machines, so this is the pool the lectures use for
    MNIST; it is never chosen silently.

``n_train`` / ``n_query`` subsample without replacement, reproducibly for a given ``seed``: the rows
are drawn from one permutation of the split (queries from its front, the database from its back), so a
larger ``n_train`` keeps every row of a smaller one and never touches the queries.  Selected rows keep
the order they have in the source file.

Where the files are looked for
------------------------------
Each IDX dataset lives in a sub-folder named like the dataset (``mnist/``, ``fashion-mnist/``) holding the
four original gzip files.  The folders are searched in this order, and the dataset is read from the
**first folder that holds every file the chosen pool needs** (``pool="test"`` needs only the two test
files):

1. ``data_dir`` when given (``data_dir/<name>/``, or ``data_dir`` itself) — nothing else is searched;
2. ``$LSHLAB_DATA_DIR/<name>/`` when the variable is set, otherwise ``../shared/data/<name>/`` next to
   the project root (the root is found from the package location and from the current directory's
   parents, so notebooks started in ``notebooks/`` find it too);
3. ``<project>/data/<name>/``;
4. for Fashion-MNIST, Debian's ``dataset-fashion-mnist`` package, ``/usr/share/datasets/fashion-mnist``.

A corrupt or wrong file in the chosen folder is an error naming the file, never a reason to try the
next folder.  When no folder holds the files and downloading is allowed (``download=None`` allows it
unless ``LSHLAB_OFFLINE=1``), the missing files are downloaded into ``$LSHLAB_DATA_DIR/<name>/`` (if
set) or ``<project>/data/<name>/`` — never into a shared or system folder.

Integrity
---------
Every file is checked before use: gzip stream complete, IDX magic number (2051 images, 2049 labels),
dimensions, payload size announced by the header, and a checksum — the published MD5 of the gz file or
the SHA-256 of the decompressed payload (re-gzipped copies such as Debian's have another MD5 but the same
payload).  Both tables are :data:`MD5_GZ` and :data:`SHA256_PAYLOAD` (from ``shared/data/README.md``).
Image and label counts must agree.

Cache
-----
Decoding a gz file costs about 0.6 s per 47 MB payload, so decoded uint8 arrays are cached as ``.npz`` in
``<project>/data/cache/`` (or ``$LSHLAB_CACHE_DIR``; ``~/.cache/lshlab`` for an installed package
without a project folder), never inside a data folder.  The cache file name is keyed by the SHA-256 of
both gz files, recomputed at every load (about 20 ms for 26 MB), so any change to a source file misses
the cache and is verified again; the checksum verification itself runs when the cache is built.
Caches are read with ``allow_pickle=False``; an unreadable cache entry is rebuilt from the source.

Downloads
---------
Allowed by default (``download=None``) because a student who asks for MNIST expects it to arrive, as with
torchvision or Keras; ``LSHLAB_OFFLINE=1`` (CI, air-gapped machines) or ``download=False`` turn it off, and
``download=True`` forces it.  Files are streamed with a tqdm progress bar (stderr) into a temporary file in
the target folder, verified like a local file, then renamed with :func:`os.replace`; on failure the
temporary file is removed and the next mirror is tried.  Mirrors: :data:`MIRRORS`, replaced by
``LSHLAB_DATA_URL`` (space/comma separated base URLs; ``file://`` works too).  Every socket operation is
bounded by ``LSHLAB_DOWNLOAD_TIMEOUT`` seconds (default :data:`DOWNLOAD_TIMEOUT`), a whole file by
:data:`DOWNLOAD_MAX_SECONDS`.  When every mirror fails the error lists each answer and says where to put
the files by hand and which option avoids them (``pool="test"`` or ``"digits"``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.client
import numbers
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "Dataset",
    "DataIntegrityError",
    "load_dataset",
    "dataset_folders",
    "download_files",
    "verify_file",
    "DATASETS",
    "POOLS",
    "SPLIT_FILES",
    "MD5_GZ",
    "SHA256_PAYLOAD",
    "GZ_SIZES",
    "MIRRORS",
    "CLASS_NAMES",
]

DATASETS = ("digits", "mnist", "fashion-mnist")
POOLS = ("official", "test")

#: (images, labels) file names of each official split; identical for MNIST and Fashion-MNIST.
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

#: Published MD5 of the original gz files (shared/data/README.md; the MNIST and Fashion-MNIST pages).
MD5_GZ = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

#: SHA-256 of the decompressed IDX payloads (shared/data/README.md).  Not known for MNIST's train
#: images, which are therefore accepted only with the published gz MD5.
SHA256_PAYLOAD = {
    "mnist": {
        "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

#: Sizes in bytes of the published gz files (used only to word error messages).
GZ_SIZES = {
    "mnist": {
        "train-images-idx3-ubyte.gz": 9_912_422,
        "train-labels-idx1-ubyte.gz": 28_881,
        "t10k-images-idx3-ubyte.gz": 1_648_877,
        "t10k-labels-idx1-ubyte.gz": 4_542,
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": 26_421_880,
        "train-labels-idx1-ubyte.gz": 29_515,
        "t10k-images-idx3-ubyte.gz": 4_422_102,
        "t10k-labels-idx1-ubyte.gz": 5_148,
    },
}

#: Base URLs tried in order; the file name is appended.  ``LSHLAB_DATA_URL`` (one or more URLs separated
#: by spaces or commas; ``{name}`` is replaced by the dataset name) replaces this list.
MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ),
}

CLASS_NAMES = {
    "digits": tuple(str(i) for i in range(10)),
    "mnist": tuple(str(i) for i in range(10)),
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}

_TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "digits": "digits"}
_DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
_IMAGE_SHAPE = {"digits": (8, 8), "mnist": (28, 28), "fashion-mnist": (28, 28)}
_DIGITS_N_TRAIN = 1437  # rows 0..1436 of load_digits are the "official" train split, 1437..1796 the test split
_MAGIC = {"images": 2051, "labels": 2049}

#: Seconds a download may wait on one socket operation, and in total per file.
DOWNLOAD_TIMEOUT = 30.0
DOWNLOAD_MAX_SECONDS = 1800.0
_CHUNK = 1 << 16


class DataIntegrityError(RuntimeError):
    """A data file exists but is truncated, corrupt or not the expected file."""


@dataclasses.dataclass(frozen=True, repr=False)
class Dataset:
    """A retrieval dataset: a database (``X_train``, ``y_train``) and queries (``X_query``, ``y_query``).

    Attributes
    ----------
    X_train, X_query : ndarray of float32, shape (n, n_pixels)
        Flattened images, pixels scaled to [0, 1].
    y_train, y_query : ndarray of int64, shape (n,)
        Class labels 0..9 (names in ``classes``).
    name, pool : str
        As passed to :func:`load_dataset`.
    image_shape : tuple of int
        ``(28, 28)`` for MNIST / Fashion-MNIST, ``(8, 8)`` for digits; ``X[i].reshape(image_shape)``.
    source : str
        Folder the files were read from (``"sklearn.datasets.load_digits"`` for digits).
    classes : tuple of str
        Class names, indexed by label.
    train_index, query_index : ndarray of int64
        Row numbers of the selected images within their source split (train split for the database of
        ``pool="official"``, test split otherwise).
    """

    name: str
    pool: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_query: np.ndarray
    y_query: np.ndarray
    image_shape: tuple
    source: str
    classes: tuple
    train_index: np.ndarray
    query_index: np.ndarray

    def __repr__(self):
        return (
            f"Dataset(name={self.name!r}, pool={self.pool!r}, X_train={self.X_train.shape}, "
            f"X_query={self.X_query.shape}, image_shape={self.image_shape}, source={self.source!r})"
        )


# --------------------------------------------------------------------------------------------------
# folders
# --------------------------------------------------------------------------------------------------


def _looks_like_project(path: Path) -> bool:
    return (path / "lshlab" / "__init__.py").is_file() and (path / "pyproject.toml").is_file()


def _project_roots() -> list[Path]:
    """Project roots: the package's parent folder, then the current directory and its parents."""
    roots = []
    pkg_root = Path(__file__).resolve().parent.parent
    if _looks_like_project(pkg_root):
        roots.append(pkg_root)
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        cwd = None
    if cwd is not None:
        for p in (cwd, *cwd.parents):
            if _looks_like_project(p) and p not in roots:
                roots.append(p)
                break
    return roots


def _shared_roots() -> list[Path]:
    out = []
    for root in _project_roots():
        shared = (root.parent / "shared" / "data").resolve()
        if shared.is_dir() and shared not in out:
            out.append(shared)
    return out


def _local_data_root() -> Path:
    """``<project>/data``; for a package installed outside a project, ``~/.cache/lshlab``."""
    roots = _project_roots()
    if roots:
        return roots[0] / "data"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lshlab"


def _cache_dir() -> Path:
    env = os.environ.get("LSHLAB_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return _local_data_root() / "cache"


def dataset_folders(name: str, data_dir=None) -> list[Path]:
    """Folders searched for an IDX dataset, in order (see the module docstring).

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    data_dir : path-like, optional
        When given, only ``data_dir/<name>`` and ``data_dir`` are searched.
    """
    _check_name(name, allowed=("mnist", "fashion-mnist"))
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        return [root / name, root]
    folders = []
    env = os.environ.get("LSHLAB_DATA_DIR")
    if env:
        folders.append(Path(env).expanduser() / name)
    else:
        folders.extend(root / name for root in _shared_roots())
    folders.append(_local_data_root() / name)
    if name == "fashion-mnist":
        folders.append(_DEBIAN_FASHION)
    unique = []
    for f in folders:
        if f not in unique:
            unique.append(f)
    return unique


def _download_folder(name: str, data_dir) -> Path:
    if data_dir is not None:
        return Path(data_dir).expanduser() / name
    env = os.environ.get("LSHLAB_DATA_DIR")
    if env:
        return Path(env).expanduser() / name
    return _local_data_root() / name


# --------------------------------------------------------------------------------------------------
# integrity
# --------------------------------------------------------------------------------------------------


def _identify(md5: str) -> str | None:
    """Name the known file whose published MD5 is ``md5`` (for 'wrong file' messages)."""
    for ds, table in MD5_GZ.items():
        for fname, ref in table.items():
            if ref == md5:
                return f"{_TITLES[ds]} {fname}"
    return None


def _gunzip(raw: bytes, path: Path, dataset: str, fname: str) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        payload = d.decompress(raw) + d.flush()
    except zlib.error as exc:
        raise DataIntegrityError(
            f"{path} is not a valid gzip file ({exc}); {_replace_hint(path, dataset, fname)}"
        ) from None
    if not d.eof:
        expected = GZ_SIZES.get(dataset, {}).get(fname)
        size_msg = f"the published file has {expected:,} bytes" if expected else "the gzip stream is incomplete"
        raise DataIntegrityError(
            f"{path} is truncated: it has {len(raw):,} bytes and its gzip stream ends early "
            f"({len(payload):,} bytes decompressed); {size_msg}. {_replace_hint(path, dataset, fname)}"
        )
    return payload


def _replace_hint(path: Path, dataset: str, fname: str) -> str:
    md5 = MD5_GZ.get(dataset, {}).get(fname)
    md5_msg = f" (MD5 of the original gz: {md5})" if md5 else ""
    return f"Delete it and copy or download a good {fname}{md5_msg}."


def _parse_idx(payload: bytes, path: Path, kind: str, dataset: str, fname: str) -> np.ndarray:
    """Decode an IDX payload of unsigned bytes; ``kind`` is "images" (magic 2051) or "labels" (2049)."""
    want = _MAGIC[kind]
    ndim = want & 0xFF  # magic = 0x00 0x00 <type 0x08 = unsigned byte> <number of dimensions>
    header = 4 + 4 * ndim
    if len(payload) >= 4 and int.from_bytes(payload[:4], "big") != want:
        raise DataIntegrityError(
            f"{path} has IDX magic number {int.from_bytes(payload[:4], 'big')}, expected {want} "
            f"(IDX {kind} file of unsigned bytes). Is it the right file?  " + _replace_hint(path, dataset, fname)
        )
    if len(payload) < header:
        raise DataIntegrityError(
            f"{path} is truncated: {len(payload)} decompressed bytes, its IDX header needs {header}. "
            + _replace_hint(path, dataset, fname)
        )
    dims = tuple(int(v) for v in np.frombuffer(payload, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(payload) != expected:
        what = "truncated" if len(payload) < expected else "longer than its header says"
        raise DataIntegrityError(
            f"{path} is {what}: its IDX header announces {kind} of shape {dims}, i.e. {expected:,} "
            f"decompressed bytes, but it has {len(payload):,}. " + _replace_hint(path, dataset, fname)
        )
    return np.frombuffer(payload, dtype=np.uint8, offset=header).reshape(dims)


def _check_checksum(raw: bytes, payload: bytes, path: Path, dataset: str, fname: str):
    md5 = hashlib.md5(raw).hexdigest()
    if md5 == MD5_GZ[dataset][fname]:
        return
    sha = SHA256_PAYLOAD[dataset].get(fname)
    if sha is not None and hashlib.sha256(payload).hexdigest() == sha:
        return
    other = _identify(md5)
    is_other = f" It is {other}." if other else ""
    accepted = f"the published gz MD5 {MD5_GZ[dataset][fname]}"
    if sha is not None:
        accepted += f" or the payload SHA-256 {sha}"
    raise DataIntegrityError(
        f"{path} fails its checksum: gz MD5 {md5} matches neither {accepted}.{is_other} "
        f"The file is corrupt or not the {_TITLES[dataset]} {fname}. " + _replace_hint(path, dataset, fname)
    )


def verify_file(path, dataset: str, fname: str | None = None) -> np.ndarray:
    """Read, check and decode one IDX gz file of ``dataset``; return its uint8 array.

    Checks, in order: complete gzip stream, IDX magic (2051 images / 2049 labels), payload size announced
    by the header, then the checksum (published gz MD5 or payload SHA-256).  Images must be 28x28 and
    labels 0..9.  Raises :class:`DataIntegrityError` naming the file; ``FileNotFoundError`` if absent.
    """
    path = Path(path)
    fname = fname or path.name
    _check_name(dataset, allowed=("mnist", "fashion-mnist"))
    if fname not in MD5_GZ[dataset]:
        raise ValueError(f"fname must be one of {sorted(MD5_GZ[dataset])}, got {fname!r}")
    kind = "images" if "images" in fname else "labels"
    return _decode(path.read_bytes(), path, dataset, fname, kind)


# --------------------------------------------------------------------------------------------------
# loading with cache
# --------------------------------------------------------------------------------------------------


def _load_split(dataset: str, folder: Path, split: str):
    """(images uint8 (n, 28, 28), labels uint8 (n,)) of one split, via the npz cache."""
    img_name, lab_name = SPLIT_FILES[split]
    img_path, lab_path = folder / img_name, folder / lab_name
    raw_img, raw_lab = img_path.read_bytes(), lab_path.read_bytes()
    key = hashlib.sha256(raw_img).hexdigest()[:20] + "-" + hashlib.sha256(raw_lab).hexdigest()[:20]
    cache = _cache_dir() / f"{dataset}-{split}-{key}.npz"
    if cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as z:
                images, labels = z["images"], z["labels"]
            if (images.dtype == np.uint8 and labels.dtype == np.uint8 and images.ndim == 3
                    and images.shape[0] == labels.shape[0]):
                return images, labels
        except (OSError, ValueError, KeyError, zlib.error):
            pass  # an unreadable cache entry is rebuilt from the verified source below
    images = _decode(raw_img, img_path, dataset, img_name, "images")
    labels = _decode(raw_lab, lab_path, dataset, lab_name, "labels")
    if images.shape[0] != labels.shape[0]:
        raise DataIntegrityError(
            f"{img_path} holds {images.shape[0]:,} images but {lab_path} holds {labels.shape[0]:,} labels; "
            "the two files of a split must have the same count"
        )
    _write_cache(cache, dataset, split, images, labels)
    return images, labels


def _decode(raw, path, dataset, fname, kind):
    payload = _gunzip(raw, path, dataset, fname)
    arr = _parse_idx(payload, path, kind, dataset, fname)
    _check_checksum(raw, payload, path, dataset, fname)
    if kind == "images" and arr.shape[1:] != _IMAGE_SHAPE[dataset]:
        raise DataIntegrityError(f"{path} holds images of shape {arr.shape[1:]}, expected {_IMAGE_SHAPE[dataset]}")
    if kind == "labels" and arr.size and arr.max() > 9:
        raise DataIntegrityError(f"{path} holds label {int(arr.max())}, expected labels 0..9")
    return arr


def _write_cache(cache: Path, dataset: str, split: str, images, labels):
    """Write the cache atomically; a read-only cache folder only costs speed, never an error."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{cache.stem}.", suffix=".npz.part", dir=cache.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, images=images, labels=labels)
        _chmod_default(tmp)
        os.replace(tmp, cache)
    except OSError:
        _unlink(tmp)
        return
    for old in cache.parent.glob(f"{dataset}-{split}-*.npz"):
        if old != cache:
            _unlink(old)


def _chmod_default(path):
    """Give a file made by mkstemp (mode 0600) the permissions of an ordinary new file (0666 & ~umask)."""
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(path, 0o666 & ~umask)
    except OSError:
        pass


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


# --------------------------------------------------------------------------------------------------
# downloads
# --------------------------------------------------------------------------------------------------


def _mirrors(dataset: str) -> list[str]:
    env = os.environ.get("LSHLAB_DATA_URL")
    if env:
        bases = [b for b in env.replace(",", " ").split() if b]
        return [b.replace("{name}", dataset) for b in bases]
    return list(MIRRORS[dataset])


def _download_allowed(download) -> bool:
    if download is None:
        return os.environ.get("LSHLAB_OFFLINE", "").strip().lower() not in ("1", "true", "yes", "on")
    if not isinstance(download, bool):
        raise ValueError(f"download must be None (allowed unless LSHLAB_OFFLINE=1), True or False, got {download!r}")
    return download


def _fetch(url: str, folder: Path, dataset: str, fname: str, timeout: float, max_seconds: float):
    """Stream ``url`` into a temp file in ``folder``, verify it, rename it to ``folder/fname``."""
    from tqdm.auto import tqdm

    fd, tmp = tempfile.mkstemp(prefix=f".{fname}.", suffix=".part", dir=folder)
    start = time.monotonic()
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "lshlab"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            received = 0
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=fname,
                      file=sys.stderr, leave=True) as bar:
                while True:
                    chunk = resp.read(_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
                    if time.monotonic() - start > max_seconds:
                        raise TimeoutError(f"download took longer than {max_seconds:g} s")
            if total is not None and received != total:
                raise ConnectionError(f"connection closed after {received:,} of {total:,} bytes")
        verify_file(tmp, dataset, fname)
        _chmod_default(tmp)
        os.replace(tmp, folder / fname)
    except BaseException:
        _unlink(tmp)
        raise


def download_files(dataset: str, files, folder, *, timeout: float | None = None,
                   max_seconds: float | None = None) -> list[Path]:
    """Download ``files`` of ``dataset`` into ``folder``, each verified and renamed atomically.

    Each file is streamed (with a tqdm progress bar on stderr) into a temporary file in ``folder``,
    checked with :func:`verify_file` and only then moved to its final name with :func:`os.replace`; on
    any failure the temporary file is removed, so a partial file never sits under the final name.  Mirrors
    (:data:`MIRRORS`, or ``LSHLAB_DATA_URL``) are tried in order.  ``timeout`` bounds every socket
    operation (default :data:`DOWNLOAD_TIMEOUT`), ``max_seconds`` the whole transfer of one file.

    Raises ``FileNotFoundError`` listing what each mirror answered when a file could not be obtained.
    """
    _check_name(dataset, allowed=("mnist", "fashion-mnist"))
    if timeout is None:
        timeout = float(os.environ.get("LSHLAB_DOWNLOAD_TIMEOUT") or DOWNLOAD_TIMEOUT)
    max_seconds = DOWNLOAD_MAX_SECONDS if max_seconds is None else max_seconds
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for fname in files:
        errors = []
        for base in _mirrors(dataset):
            url = base.rstrip("/") + "/" + fname
            try:
                _fetch(url, folder, dataset, fname, timeout, max_seconds)
            except (OSError, http.client.HTTPException, DataIntegrityError, ValueError) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) and not isinstance(
                    exc, urllib.error.HTTPError) else exc
                errors.append(f"{url}: {type(exc).__name__}: {reason}")
                continue
            done.append(folder / fname)
            break
        else:
            if created and not any(folder.iterdir()):
                folder.rmdir()
            raise FileNotFoundError(
                f"could not download {fname} of {_TITLES[dataset]} into {folder}; no partial file was kept. "
                "Mirrors tried:\n  " + "\n  ".join(errors)
            )
    return done


# --------------------------------------------------------------------------------------------------
# locating the files
# --------------------------------------------------------------------------------------------------


def _missing_message(dataset, pool, needed, folders, target, reason):
    title = _TITLES[dataset]
    best = max(folders, key=lambda f: sum((f / n).is_file() for n in needed))
    have = [n for n in needed if (best / n).is_file()]
    lacking = [n for n in needed if n not in have] if have else list(needed)
    lines = [f"{title} pool={pool!r} needs {', '.join(needed)}."]
    for n in lacking:
        lines.append(f"Missing: {n} (MD5 of the original gz: {MD5_GZ[dataset][n]}).")
    lines.append("Folders searched: " + ", ".join(str(f) for f in folders) + ".")
    if reason:
        lines.append(reason)
    where = f"Put all {len(needed)} files in {target} (or in $LSHLAB_DATA_DIR/{dataset})"
    if have and best != target:
        where += f", or add the missing ones next to the others in {best}"
    lines.append(where + ".")
    avoid = []
    if pool == "official" and all(n.startswith("train") for n in lacking):
        avoid.append("pool='test' (database and queries both from the official test split; the train files "
                     "are not needed)")
    avoid.append("the embedded dataset 'digits'")
    lines.append("To do without them, use " + " or ".join(avoid) + ".")
    return "\n".join(lines)


def _locate(dataset, pool, data_dir, download) -> Path:
    splits = ("train", "test") if pool == "official" else ("test",)
    needed = [f for s in splits for f in SPLIT_FILES[s]]
    folders = dataset_folders(dataset, data_dir)
    for folder in folders:
        if all((folder / n).is_file() for n in needed):
            return folder
    target = _download_folder(dataset, data_dir)
    allowed = _download_allowed(download)
    if not allowed:
        why = ("Downloading is disabled (download=False)" if download is False
               else "Downloading is disabled (LSHLAB_OFFLINE is set)") + "; pass download=True to allow it."
        raise FileNotFoundError(_missing_message(dataset, pool, needed, folders, target, why))
    missing = [n for n in needed if not (target / n).is_file()]
    try:
        download_files(dataset, missing, target)
    except FileNotFoundError as exc:
        raise FileNotFoundError(_missing_message(dataset, pool, needed, folders, target, f"Download failed: {exc}")) from None
    except OSError as exc:
        raise FileNotFoundError(_missing_message(
            dataset, pool, needed, folders, target, f"Cannot write to {target}: {exc}")) from None
    return target


# --------------------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------------------


def _check_name(name, allowed=DATASETS):
    if not isinstance(name, str) or name not in allowed:
        raise ValueError(f"name must be one of {', '.join(repr(a) for a in allowed)}, got {name!r}")


def _check_count(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be None (use the default) or an integer >= 1, got {value!r}")
    return int(value)


@functools.lru_cache(maxsize=1)
def _digits_splits():
    """The fixed digits split, read once per process (read-only arrays; callers copy)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.float32) / np.float32(16.0)
    labels = bunch.target.astype(np.int64)
    images.flags.writeable = False
    labels.flags.writeable = False
    n = _DIGITS_N_TRAIN
    return (images[:n], labels[:n]), (images[n:], labels[n:])


def _select(n_total, n, seed, front, label, split_name, pool, name):
    """Rows of a split: all (n None) or ``n`` drawn from the front/back of a seeded permutation."""
    if n > n_total:
        raise ValueError(
            f"{label}={n} exceeds the {n_total:,} images available in the {split_name} split of {name!r} "
            f"with pool={pool!r}; use {label} <= {n_total}"
        )
    perm = np.random.default_rng(seed).permutation(n_total)
    idx = perm[:n] if front else perm[::-1][:n]
    return np.sort(idx).astype(np.int64)


def load_dataset(name, n_train=None, n_query=None, seed=0, pool="official", data_dir=None, download=None):
    """Load a retrieval dataset as database + queries, float32 pixels in [0, 1] and int64 labels.

    Parameters
    ----------
    name : {"digits", "mnist", "fashion-mnist"}
        ``"digits"``: scikit-learn's embedded 8x8 digits (always available, scaled by 1/16).
        ``"mnist"`` / ``"fashion-mnist"``: 28x28 IDX files (scaled by 1/255).
    n_train, n_query : int, optional
        Database and query sizes.  Defaults: the whole train / test split for ``pool="official"``;
        for ``pool="test"`` one tenth of the test split as queries (1,000 for MNIST) and the rest as the
        database.
    seed : int
        Seed of the subsampling permutation (only used when rows are drawn).
    pool : {"official", "test"}
        ``"official"``: database from the train split, queries from the test split.  ``"test"``: both,
        disjointly, from the test split (needs no train files).
    data_dir : path-like, optional
        Folder holding ``<name>/`` sub-folders (or the files directly); replaces the search order.
    download : bool or None
        Whether missing files may be downloaded.  None: yes, unless ``LSHLAB_OFFLINE=1``.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown name / pool, sizes <= 0 or larger than available.
    FileNotFoundError
        Files missing and not downloadable; the message says where to put them and how to avoid them.
    DataIntegrityError
        A file in the chosen folder is truncated, corrupt or the wrong file (never silently skipped).
    """
    _check_name(name)
    if not isinstance(pool, str) or pool not in POOLS:
        raise ValueError(f"pool must be one of {', '.join(repr(p) for p in POOLS)}, got {pool!r}")
    n_train = _check_count(n_train, "n_train")
    n_query = _check_count(n_query, "n_query")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if download is not None and not isinstance(download, bool):
        raise ValueError(f"download must be None, True or False, got {download!r}")

    if name == "digits":
        (img_tr, lab_tr), (img_te, lab_te) = _digits_splits()
        source = "sklearn.datasets.load_digits"
        divisor = None  # already divided by 16
    else:
        folder = _locate(name, pool, data_dir, download)
        img_te, lab_te = _load_split(name, folder, "test")
        if pool == "official":
            img_tr, lab_tr = _load_split(name, folder, "train")
        source = str(folder)
        divisor = np.float32(255.0)

    if pool == "official":
        tr_idx = (np.arange(len(lab_tr), dtype=np.int64) if n_train is None
                  else _select(len(lab_tr), n_train, seed, False, "n_train", "train", pool, name))
        q_idx = (np.arange(len(lab_te), dtype=np.int64) if n_query is None
                 else _select(len(lab_te), n_query, seed, True, "n_query", "test", pool, name))
        src_tr = (img_tr, lab_tr)
    else:
        n_total = len(lab_te)
        nq = n_total // 10 if n_query is None else n_query
        nt = n_total - nq if n_train is None else n_train
        if nq + nt > n_total:
            raise ValueError(
                f"pool='test' draws database and queries disjointly from the {n_total:,} test images of "
                f"{name!r}: n_train + n_query = {nt} + {nq} = {nt + nq} exceeds {n_total}; "
                f"choose n_train + n_query <= {n_total}"
            )
        perm = np.random.default_rng(seed).permutation(n_total)
        q_idx = np.sort(perm[:nq]).astype(np.int64)
        tr_idx = np.sort(perm[::-1][:nt]).astype(np.int64)
        src_tr = (img_te, lab_te)

    def rows(images, idx):
        if len(idx) == len(images) and np.array_equal(idx, np.arange(len(images))):
            block = images.reshape(len(images), -1)
        else:
            block = images[idx].reshape(len(idx), -1)
        X = block.astype(np.float32)  # a fresh array, never a view of the cache
        if divisor is not None:
            np.divide(X, divisor, out=X)
        return X

    return Dataset(
        name=name,
        pool=pool,
        X_train=rows(src_tr[0], tr_idx),
        y_train=src_tr[1][tr_idx].astype(np.int64),
        X_query=rows(img_te, q_idx),
        y_query=lab_te[q_idx].astype(np.int64),
        image_shape=_IMAGE_SHAPE[name],
        source=source,
        classes=CLASS_NAMES[name],
        train_index=tr_idx,
        query_index=q_idx,
    )
