"""From a dataset name to verified uint8 arrays: find the folder (or download), read a split via the cache."""

from __future__ import annotations

from pathlib import Path

from . import environment, folders
from .cache import cache_name, read_cache, remove_stale, write_cache
from .catalog import MD5_GZ, SPLIT_FILES, TITLES, DataIntegrityError
from .download import DOWNLOAD_TIMEOUT, download_allowed, download_files
from .idx import gz_sha256, read_idx_gz

__all__ = ["locate", "load_split"]


def _missing_message(dataset, pool, needed, searched, target, reason):
    title = TITLES[dataset]
    best = max(searched, key=lambda f: sum((f / n).is_file() for n in needed))
    have = [n for n in needed if (best / n).is_file()]
    lacking = [n for n in needed if n not in have] if have else list(needed)
    lines = [f"{title} pool={pool!r} needs {', '.join(needed)}."]
    for n in lacking:
        lines.append(f"Missing: {n} (MD5 of the original gz: {MD5_GZ[dataset][n]}).")
    lines.append("Folders searched: " + ", ".join(str(f) for f in searched) + ".")
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


def locate(dataset, pool, data_dir, download) -> Path:
    """The first folder holding every file ``pool`` needs; downloads the missing ones if allowed.

    Every environment variable is validated first, so a bad value fails before any folder is made.
    """
    environment.validate(dataset, DOWNLOAD_TIMEOUT)
    splits = ("train", "test") if pool == "official" else ("test",)
    needed = [f for s in splits for f in SPLIT_FILES[s]]
    searched = folders.dataset_folders(dataset, data_dir)
    for folder in searched:
        if all((folder / n).is_file() for n in needed):
            return folder
    target = folders.download_folder(dataset, data_dir)
    if not download_allowed(download):
        why = ("Downloading is disabled (download=False)" if download is False
               else "Downloading is disabled (LSHLAB_OFFLINE is set)") + "; pass download=True to allow it."
        raise FileNotFoundError(_missing_message(dataset, pool, needed, searched, target, why))
    missing = [n for n in needed if not (target / n).is_file()]
    try:
        download_files(dataset, missing, target)
    except FileNotFoundError as exc:
        raise FileNotFoundError(_missing_message(
            dataset, pool, needed, searched, target, f"Download failed: {exc}")) from None
    except OSError as exc:
        raise FileNotFoundError(_missing_message(
            dataset, pool, needed, searched, target, f"Cannot write to {target}: {exc}")) from None
    return target


def load_split(dataset: str, folder: Path, split: str):
    """(images uint8 (n, 28, 28), labels uint8 (n,)) of one split, via the verified npz cache.

    The cache key is the SHA-256 of both gz files, recomputed at every load, so a changed source misses
    the cache and is verified again; a cache entry is used only after :func:`~lshlab.data.cache.read_cache`
    verified it, and rebuilt (with a warning) otherwise.
    """
    img_name, lab_name = SPLIT_FILES[split]
    img_path, lab_path = folder / img_name, folder / lab_name
    key = gz_sha256(img_path, dataset, img_name)[:20] + "-" + gz_sha256(lab_path, dataset, lab_name)[:20]
    cache_dir = folders.cache_folder()
    cached = read_cache(cache_dir / cache_name(dataset, split, key), dataset, split, key)
    if cached is not None:
        return cached
    images = read_idx_gz(img_path, dataset, img_name)
    labels = read_idx_gz(lab_path, dataset, lab_name)
    if images.array.shape[0] != labels.array.shape[0]:
        raise DataIntegrityError(
            f"{img_path} holds {images.array.shape[0]:,} images but {lab_path} holds "
            f"{labels.array.shape[0]:,} labels; the two files of a split must have the same count"
        )
    # the key of what was actually decoded (the files may have changed since they were hashed above)
    key = images.gz_sha256[:20] + "-" + labels.gz_sha256[:20]
    path = cache_dir / cache_name(dataset, split, key)
    if write_cache(path, dataset, split, key, images.array, labels.array,
                   {img_name: images.payload_sha256, lab_name: labels.payload_sha256}):
        remove_stale(cache_dir, dataset, split, keep=path)
    return images.array, labels.array
