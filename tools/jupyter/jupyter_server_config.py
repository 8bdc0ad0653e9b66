"""Jupyter server settings for ``make lab`` (found through ``JUPYTER_CONFIG_PATH=tools/jupyter``).

- The server's root is the project, so jupytext finds its settings in ``pyproject.toml`` and rewrites a
  lecture's ``.py`` exactly as stored; the file browser opens on ``notebooks/``.
- Lecture notebooks are saved without outputs and run state (``tools/nbclean.py``), so working in
  JupyterLab leaves ``git status`` clean.
- Kernel websockets use ``kernel_websocket.OneIdentityPerConnection``: "Restart Kernel and Run All"
  right after opening a lecture no longer leaves the kernel "starting" forever (see that module).
"""

import importlib.util
from pathlib import Path

_TOOLS = Path(__file__).resolve().parents[1]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_nbclean = _load("lshlab_nbclean", _TOOLS / "nbclean.py")
_kernel_websocket = _load("lshlab_kernel_websocket", _TOOLS / "jupyter" / "kernel_websocket.py")

c = get_config()  # noqa: F821 (provided by the traitlets config loader)
c.ServerApp.root_dir = str(_TOOLS.parent)
c.FileContentsManager.preferred_dir = "notebooks"
c.ContentsManager.pre_save_hook = _nbclean.pre_save_hook
c.ServerApp.kernel_websocket_connection_class = _kernel_websocket.OneIdentityPerConnection
