"""Interactive explorers, one per lecture topic.

Each explorer follows the same three-part pattern (DESIGN.md §5):

- ``update_<topic>(data..., *, params) -> <Topic>Result``: pure computation, no drawing, called by tests
  and by the lectures' assert cells.  Its data (prepared arrays, codes, a cached comparison) come first
  and positionally; every slider parameter is keyword-only; it returns a dataclass;
- ``draw_<topic>(result, axes) -> Figure``: draws a result on given axes (a few also take keyword-only
  display options, e.g. the images to show or published reference values);
- ``<topic>_explorer(data..., *, options)``: wires ``ipywidgets`` sliders to the two through
  :class:`~lshlab.widgets._core.Explorer` and returns the widget (``explorer.result`` is the last result).

Explorers live in topic submodules and are re-exported here lazily.
"""

from importlib import import_module

_SUBMODULES = ("_core", "_view", "kdtree", "lsh", "lsh_params", "minhash", "retrieval", "kernels", "particles", "lee",
               "spectral", "metric", "dsh", "overlap", "scale", "random_features")


def _find(name):
    for sub in _SUBMODULES:
        try:
            mod = import_module(f".{sub}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{sub}":
                continue
            raise
        if name in getattr(mod, "__all__", ()):
            return getattr(mod, name)
    raise AttributeError(f"module 'lshlab.widgets' has no attribute {name!r}")


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(name)
    value = _find(name)
    globals()[name] = value
    return value
