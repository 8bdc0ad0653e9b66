"""Interactive explorers, one per lecture topic.

Each explorer follows the same three-part pattern (DESIGN.md §5):

- ``update_<topic>(**params) -> result``: pure computation, no drawing, called by tests;
- ``draw_<topic>(result, axes)``: draws a result on given axes, returns the Figure;
- ``<topic>_explorer(...)``: wires ``ipywidgets`` sliders to the two and returns the widget.

Explorers live in topic submodules and are re-exported here lazily.
"""

from importlib import import_module

_SUBMODULES = ("_core", "lsh", "retrieval", "kernels", "particles", "lee", "spectral", "metric", "dsh", "overlap", "scale")


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
