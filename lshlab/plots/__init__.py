"""Figure helpers, one naming style: ``plot_<what>(..., ax=None) -> Figure``.

Every helper draws on the given ``ax=`` (multi-panel helpers: ``axes=``, an array of Axes) or on a new
figure, labels its axes, gives a title that says what is compared, never calls ``plt.show()``, and
returns the matplotlib ``Figure``.  ``set_style()`` applies the course's seaborn theme.

Helpers live in topic submodules and are re-exported here lazily (``lshlab.plots.plot_pr_curves`` works
without importing every topic's dependencies).
"""

from importlib import import_module

_SUBMODULES = (
    "retrieval", "lsh", "kernels", "particles", "lee", "spectral", "metric", "dsh", "overlap", "random_features",
    "minhash", "scale",
)


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
    raise AttributeError(f"module 'lshlab.plots' has no attribute {name!r}")


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(name)
    value = _find(name)
    globals()[name] = value
    return value
