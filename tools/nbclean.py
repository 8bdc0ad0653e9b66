#!/usr/bin/env python3
"""The lecture notebooks are stored without their run state; this keeps them so.

JupyterLab's autosave writes outputs, execution counts, the kernel's ``language_info``, widget state and
per-cell view state (collapsed, scrolled, hidden input, timings) into ``notebooks/NN_*.ipynb``.  Two
guards, one rule (:func:`clean`):

- :func:`pre_save_hook`, JupyterLab's pre-save hook (``make lab`` loads ``tools/jupyter/``): a lecture
  notebook is written to disk already clean, so saving leaves ``git status`` clean.  Your own notebooks
  (any other name) keep their outputs.  The open notebook keeps its outputs until it is closed.
- :func:`main`, a git clean filter (``.gitattributes``; ``make install`` / ``make lab`` run
  ``git config filter.lshlab-nbclean.clean``): when a notebook is saved with outputs some other way
  (VS Code, ``nbconvert --inplace``), git still stores and diffs it without them.  ``git diff`` shows
  nothing; ``git status`` lists the file until ``git add`` (git compares file sizes first).

Kept: the cells' sources and ids, cell metadata other than view state (tags, jupytext's
``lines_to_next_cell``), and the notebook metadata jupytext keeps in the paired ``.py``
(``kernelspec`` and ``jupytext``; see ``notebook_metadata_filter`` in pyproject.toml).  The JSON is
written as nbformat / jupytext write it (indent 1, sorted keys, sources as line lists, final newline),
so a notebook produced by ``make sync-notebooks`` passes through unchanged.

Standard library only (git may run it outside the project's virtual environment).  Input that is not a
notebook is passed through untouched.  Usage: ``python3 tools/nbclean.py < in.ipynb > out.ipynb``.
"""

from __future__ import annotations

import json
import re
import sys

__all__ = ["NOTEBOOK_METADATA_KEPT", "CELL_VIEW_STATE", "LECTURE", "clean", "clean_text", "pre_save_hook", "main"]

#: Notebook metadata stored in git: what jupytext keeps in the .py header (pyproject's filter).
NOTEBOOK_METADATA_KEPT = ("kernelspec", "jupytext")
#: Cell metadata written by running or viewing a notebook (jupytext's default cell filter drops the
#: same keys from the .py, plus ``jupyter``: JupyterLab's hidden input / output flags).
CELL_VIEW_STATE = ("autoscroll", "collapsed", "scrolled", "trusted", "execution", "ExecuteTime",
                   "jupyter", "heading_collapsed", "hidden")

#: The tracked lecture notebooks and their worked solutions (``solutions/NN_*.ipynb``): API path relative
#: to the project (also through the docs/lectures link) or to notebooks/ itself.
LECTURE = re.compile(r"(?:notebooks/|docs/lectures/)?(?:solutions/)?[0-9][0-9]_[^/]*\.ipynb")


def _lines(value):
    """nbformat's multi-line string representation: a list of lines with their line ends."""
    return value.splitlines(keepends=True) if isinstance(value, str) else value


def clean(nb: dict, *, split_sources: bool = True) -> dict:
    """Return ``nb`` (a parsed notebook) without outputs, execution counts and run / view state;
    sources as lists of lines (the stored form) unless ``split_sources`` is false."""

    nb = dict(nb)
    meta = nb.get("metadata", {})
    nb["metadata"] = {key: meta[key] for key in NOTEBOOK_METADATA_KEPT if key in meta}
    cells = []
    for cell in nb.get("cells", []):
        cell = dict(cell)
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k not in CELL_VIEW_STATE}
        if split_sources and "source" in cell:
            cell["source"] = _lines(cell["source"])
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cells.append(cell)
    nb["cells"] = cells
    return nb


def clean_text(text: str) -> str:
    """Clean a notebook given as JSON text; anything that is not a notebook is returned unchanged."""

    try:
        nb = json.loads(text)
    except ValueError:
        return text
    if not isinstance(nb, dict) or "cells" not in nb or "nbformat" not in nb:
        return text
    return json.dumps(clean(nb), indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False) + "\n"


def pre_save_hook(model, path, contents_manager=None, **kwargs):
    """Jupyter server pre-save hook: clean a lecture notebook's model in place before it is written."""

    if model.get("type") != "notebook" or not LECTURE.fullmatch(path.strip("/")):
        return
    nb = model["content"]
    cleaned = clean(nb, split_sources=False)  # in memory, nbformat keeps sources as strings
    nb["metadata"].clear()
    nb["metadata"].update(cleaned["metadata"])
    for cell, new in zip(nb["cells"], cleaned["cells"]):
        cell.clear()
        cell.update(new)


def main() -> int:
    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        sys.stdout.buffer.write(data)
        return 0
    sys.stdout.buffer.write(clean_text(text).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
