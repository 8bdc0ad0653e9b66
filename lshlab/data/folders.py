"""Where data files are looked for, downloaded to and cached (the search order of :mod:`lshlab.data`)."""

from __future__ import annotations

import os
from pathlib import Path

from . import environment
from .catalog import IDX_DATASETS, check_name

__all__ = [
    "DEBIAN_FASHION",
    "project_roots",
    "shared_roots",
    "local_data_root",
    "cache_folder",
    "dataset_folders",
    "download_folder",
]

#: Debian's ``dataset-fashion-mnist`` package installs the (re-gzipped) Fashion-MNIST files here.
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


def _looks_like_project(path: Path) -> bool:
    return (path / "lshlab" / "__init__.py").is_file() and (path / "pyproject.toml").is_file()


def project_roots() -> list[Path]:
    """Project roots: the package's parent folder, then the current directory and its parents."""
    roots = []
    pkg_root = Path(__file__).resolve().parents[2]
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


def shared_roots() -> list[Path]:
    """``../shared/data`` next to each project root, where it exists."""
    out = []
    for root in project_roots():
        shared = (root.parent / "shared" / "data").resolve()
        if shared.is_dir() and shared not in out:
            out.append(shared)
    return out


def local_data_root() -> Path:
    """``<project>/data``; for a package installed outside a project, ``$XDG_CACHE_HOME/lshlab``."""
    roots = project_roots()
    if roots:
        return roots[0] / "data"
    return environment.xdg_cache_home() / "lshlab"


def cache_folder() -> Path:
    """Folder of the decoded ``.npz`` caches: ``$LSHLAB_CACHE_DIR``, else ``<project>/data/cache``."""
    env = environment.cache_dir()
    if env is not None:
        return env
    return local_data_root() / "cache"


def _data_dir(data_dir) -> Path:
    """The ``data_dir`` argument as a path; it must be path-like and, if it exists, a folder."""
    if not isinstance(data_dir, (str, os.PathLike)):
        raise ValueError(f"data_dir must be None or a folder path (str or path-like), got {data_dir!r}")
    root = Path(data_dir).expanduser()
    if root.exists() and not root.is_dir():
        raise ValueError(f"data_dir={str(data_dir)!r} is not a folder; pass the folder holding <name>/ "
                         "sub-folders or the IDX files themselves")
    return root


def dataset_folders(name: str, data_dir=None) -> list[Path]:
    """Folders searched for an IDX dataset, in order (see :mod:`lshlab.data`).

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    data_dir : path-like, optional
        When given, only ``data_dir/<name>`` and ``data_dir`` are searched.
    """
    check_name(name, allowed=IDX_DATASETS)
    if data_dir is not None:
        root = _data_dir(data_dir)
        return [root / name, root]
    folders = []
    env = environment.data_dir()
    if env is not None:
        folders.append(env / name)
    else:
        folders.extend(root / name for root in shared_roots())
    folders.append(local_data_root() / name)
    if name == "fashion-mnist":
        folders.append(DEBIAN_FASHION)
    unique = []
    for f in folders:
        if f not in unique:
            unique.append(f)
    return unique


def download_folder(name: str, data_dir=None) -> Path:
    """Where missing files of ``name`` are downloaded: never a shared or system folder."""
    if data_dir is not None:
        return _data_dir(data_dir) / name
    env = environment.data_dir()
    if env is not None:
        return env / name
    return local_data_root() / name
