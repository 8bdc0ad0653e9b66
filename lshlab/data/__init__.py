"""Datasets for the course: scikit-learn's embedded digits, MNIST and Fashion-MNIST, and tabular loaders.

One entry point, :func:`load_dataset`, returns a :class:`Dataset` holding a database
(``X_train``, ``y_train``) and a query set (``X_query``, ``y_query``): float32 rows with pixels scaled
to [0, 1] and int64 labels.

Modules
-------
:mod:`~lshlab.data.datasets`     :func:`load_dataset`, :class:`Dataset`: pools, sizes, seeds
:mod:`~lshlab.data.sources`      find the files (or download them), read a split through the cache
:mod:`~lshlab.data.idx`          read and verify IDX gz files, memory bounded by the published size
:mod:`~lshlab.data.cache`        the verified ``.npz`` cache of decoded splits
:mod:`~lshlab.data.download`     size-capped, time-bounded, verified, atomic downloads
:mod:`~lshlab.data.folders`      the folder search order
:mod:`~lshlab.data.environment`  every environment variable read here, validated
:mod:`~lshlab.data.catalog`      file names, checksums, sizes, shapes, mirrors, class names
:mod:`~lshlab.data.files`        temporary files and folders: what may be removed
:mod:`~lshlab.data.tabular`      :func:`load_csv_classification`, :func:`binary_task`

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
set) or ``<project>/data/<name>/`` — never into a shared or system folder.  Every environment variable is
validated when read, with an error naming it (:mod:`~lshlab.data.environment`).

Integrity
---------
Every file is checked before use: file size, IDX magic number (2051 images, 2049 labels) and the shape
announced by the header (60,000 or 10,000 images of 28x28, :data:`IDX_SHAPES`) *before* the payload is
decompressed, then the payload is inflated in chunks into an array of exactly that size (a stream that
inflates to more is rejected at the first extra byte), the gzip stream must be complete, and the checksum
must match — the published MD5 of the gz file or the SHA-256 of the decompressed payload (re-gzipped
copies such as Debian's have another MD5 but the same payload).  Both tables are :data:`MD5_GZ` and
:data:`SHA256_PAYLOAD` (from ``shared/data/README.md``).  Image and label counts must agree.  Peak memory
of a check is the decoded array plus about 1 MiB, whatever the file holds.

Cache
-----
Decoding a gz file costs about 0.6 s per 47 MB payload, so decoded uint8 arrays are cached as ``.npz`` in
``<project>/data/cache/`` (or ``$LSHLAB_CACHE_DIR``; ``$XDG_CACHE_HOME/lshlab/cache`` for an installed
package without a project folder), never inside a data folder.  The cache file name is keyed by the
SHA-256 of both gz files, recomputed at every load (about 20 ms for 26 MB), so any change to a source file
misses the cache and is verified again.  A cache entry is itself verified before use — array headers
(exact shapes) before its data, its meta (format, dataset, split, key), the label range, and the SHA-256
of its content as IDX payloads against the published payload SHA-256 (or the one recorded at write) —
and an unreadable, truncated, bit-flipped or tampered entry is rebuilt from the sources with a
:class:`DataCacheWarning` naming it.  Caches are read with ``allow_pickle=False``.  Only entries the
loader wrote itself (exact name pattern with the key, and its own meta inside) are ever removed: other
files in the cache folder are never touched.

Downloads
---------
Allowed by default (``download=None``) because a student who asks for MNIST expects it to arrive, as with
torchvision or Keras; ``LSHLAB_OFFLINE=1`` (CI, air-gapped machines) or ``download=False`` turn it off, and
``download=True`` forces it.  Files are streamed with a tqdm progress bar (stderr) into a temporary file in
the target folder, stopped at the published size (:data:`GZ_SIZES`), verified like a local file, then
renamed with :func:`os.replace`; on failure the temporary file is removed and the next mirror is tried,
and folders created for a download that fails are removed again.  Mirrors: :data:`MIRRORS`, replaced by
``LSHLAB_DATA_URL`` (space/comma separated base URLs; ``file://`` works too).  Every socket operation is
bounded by ``LSHLAB_DOWNLOAD_TIMEOUT`` seconds (default :data:`DOWNLOAD_TIMEOUT`), a whole file by
:data:`DOWNLOAD_MAX_SECONDS`.  When every mirror fails the error lists each answer and says where to put
the files by hand and which option avoids them (``pool="test"`` or ``"digits"``).
"""

from __future__ import annotations

from .catalog import (
    CLASS_NAMES, DATASETS, GZ_SIZES, IDX_SHAPES, MD5_GZ, MIRRORS, POOLS, SHA256_PAYLOAD, SPLIT_FILES,
    DataCacheWarning, DataIntegrityError,
)
from .datasets import Dataset, load_dataset
from .download import DOWNLOAD_MAX_SECONDS, DOWNLOAD_TIMEOUT, download_files
from .folders import dataset_folders
from .idx import verify_file
from .tabular import binary_task, load_csv_classification

__all__ = [
    "Dataset",
    "DataIntegrityError",
    "DataCacheWarning",
    "load_dataset",
    "dataset_folders",
    "download_files",
    "verify_file",
    "load_csv_classification",
    "binary_task",
    "DATASETS",
    "POOLS",
    "SPLIT_FILES",
    "MD5_GZ",
    "SHA256_PAYLOAD",
    "GZ_SIZES",
    "IDX_SHAPES",
    "MIRRORS",
    "CLASS_NAMES",
    "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_MAX_SECONDS",
]
