"""Jupyter server settings for ``make lab`` (found through ``JUPYTER_CONFIG_PATH=tools/jupyter``).

- The server's root is the project, so jupytext finds its settings in ``pyproject.toml`` and rewrites a
  lecture's ``.py`` exactly as stored; the file browser opens on ``notebooks/``.
- Lecture notebooks are saved without outputs and run state (``tools/nbclean.py``), so working in
  JupyterLab leaves ``git status`` clean.
"""

import importlib.util
from pathlib import Path

_TOOLS = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("lshlab_nbclean", _TOOLS / "nbclean.py")
_nbclean = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_nbclean)

c = get_config()  # noqa: F821 (provided by the traitlets config loader)
c.ServerApp.root_dir = str(_TOOLS.parent)
c.FileContentsManager.preferred_dir = "notebooks"
c.ContentsManager.pre_save_hook = _nbclean.pre_save_hook
