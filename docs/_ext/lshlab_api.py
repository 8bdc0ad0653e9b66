"""API pages generated from the package itself at build time: nothing here lists a module or a name.

Every public module of ``lshlab`` (found by walking the package; any dotted part starting with ``_``
makes a module private) gets one page.  What a module exports is read from the module:

- its ``__all__`` when it has one;
- for a lazy package without ``__all__`` (its ``__getattr__`` re-exports names from submodules, e.g.
  ``lshlab.plots``), the names in the ``__all__`` of its direct submodules that the package itself
  resolves to the same object;
- otherwise its public functions and classes defined there.

Each object is documented once, at its *home*: its defining module (``obj.__module__``) when that module
is public and exports it, else the deepest public module that exports it (e.g. ``Explorer`` lives in the
private ``lshlab.widgets._core`` and is documented as ``lshlab.widgets.Explorer``; autodoc records the
canonical name, so links to either spelling resolve).  A module that re-exports names documented
elsewhere gets a summary table linking to them.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ApiModule", "collect_api", "write_api_pages"]


@dataclass
class ApiModule:
    name: str
    exported: list[str] = field(default_factory=list)  # every public name, in the module's order
    home: list[str] = field(default_factory=list)  # names documented on this module's page


def _is_private(modname: str) -> bool:
    return any(part.startswith("_") for part in modname.split("."))


def public_modules(package: str) -> list[str]:
    """The package and all its public submodules, sorted (walking imports each package)."""

    pkg = importlib.import_module(package)
    names = [package]
    if hasattr(pkg, "__path__"):
        for info in pkgutil.walk_packages(pkg.__path__, package + "."):
            if not _is_private(info.name):
                names.append(info.name)
    return sorted(names)


def exported_names(module) -> list[str]:
    """Public names of ``module`` (see the module docstring for the three rules)."""

    if "__all__" in vars(module):
        return [str(n) for n in module.__all__]
    if "__getattr__" in vars(module) and hasattr(module, "__path__"):
        names = []
        for info in pkgutil.iter_modules(module.__path__, module.__name__ + "."):
            sub = importlib.import_module(info.name)
            for name in getattr(sub, "__all__", ()):
                if name.startswith("_") or name in names:
                    continue
                try:
                    if getattr(module, name) is getattr(sub, name):
                        names.append(name)
                except AttributeError:
                    continue
        return names
    return [
        name for name, obj in vars(module).items()
        if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
        and getattr(obj, "__module__", None) == module.__name__
    ]


def collect_api(package: str = "lshlab") -> dict[str, ApiModule]:
    """Map module name -> :class:`ApiModule` for every public module of ``package``."""

    modules = {name: ApiModule(name) for name in public_modules(package)}
    exporters: dict[int, list[tuple[str, str]]] = {}  # id(obj) -> [(module, name)]
    objects = {}
    for modname, api in modules.items():
        module = importlib.import_module(modname)
        for name in exported_names(module):
            try:
                obj = getattr(module, name)
            except AttributeError as exc:
                raise RuntimeError(f"{modname}.__all__ names {name!r}, which does not exist") from exc
            if inspect.ismodule(obj):
                continue  # submodules have their own page
            api.exported.append(name)
            # plain values (numbers, dicts, tuples) are homed per module: the same small value may be
            # exported under unrelated names
            key = id(obj) if (inspect.isclass(obj) or callable(obj)) else (modname, name)
            objects[key] = obj
            exporters.setdefault(key, []).append((modname, name))
    for key, places in exporters.items():
        obj = objects[key]
        defining = getattr(obj, "__module__", None)
        home = next((p for p in places if p[0] == defining), None)
        if home is None:
            home = max(places, key=lambda p: (p[0].count("."), p[0]))
        modules[home[0]].home.append(home[1])
    return modules


def home_of(modules: dict[str, ApiModule]) -> dict[tuple[str, str], str]:
    """(module, name) -> the full name under which the object is documented."""

    where = {}
    for api in modules.values():
        for name in api.home:
            where[(api.name, name)] = f"{api.name}.{name}"
    result = {}
    for api in modules.values():
        module = importlib.import_module(api.name)
        for name in api.exported:
            if (api.name, name) in where:
                result[(api.name, name)] = where[(api.name, name)]
                continue
            obj = getattr(module, name)
            for (mod2, name2), full in where.items():
                if name2 == name and getattr(importlib.import_module(mod2), name2) is obj:
                    result[(api.name, name)] = full
                    break
    return result


def _directive(module: str, name: str) -> list[str]:
    obj = getattr(importlib.import_module(module), name)
    full = f"{module}.{name}"
    if inspect.isclass(obj):
        lines = [f".. autoclass:: {full}", "   :members:", "   :undoc-members:", "   :inherited-members:", "   :show-inheritance:"]
        if issubclass(obj, BaseException):
            lines[0] = f".. autoexception:: {full}"
        return lines
    if inspect.isfunction(obj) or inspect.isbuiltin(obj) or callable(obj):
        return [f".. autofunction:: {full}"]
    return [f".. autodata:: {full}", "   :annotation:"]


def _relative(name: str, current: str) -> str:
    """``name`` relative to the current module (autosummary refuses the current module's prefix)."""

    return name[len(current) + 1:] if name.startswith(current + ".") else name


def _title(text: str) -> list[str]:
    return [text, "=" * len(text), ""]


def render_module_page(api: ApiModule, homes: dict[tuple[str, str], str], submodules: list[str]) -> str:
    lines = _title(api.name)
    lines += [f".. automodule:: {api.name}", "   :no-members:", ""]
    if submodules:
        lines += [".. rubric:: Submodules", "", ".. autosummary::", ""]
        lines += [f"   {_relative(sub, api.name)}" for sub in submodules] + [""]
    if api.home:
        lines += [".. rubric:: Defined here", "", ".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in api.home] + [""]
    elsewhere = [n for n in api.exported if n not in api.home]
    if elsewhere:
        lines += [".. rubric:: Re-exported", "", f"Importable as ``from {api.name} import <name>``; "
                  "documented where they are defined.", "", ".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   ~{_relative(homes[(api.name, n)], api.name)}" for n in elsewhere] + [""]
    for name in api.home:
        lines += _directive(api.name, name) + [""]
    return "\n".join(lines).rstrip() + "\n"


def render_index(pages: list[str], package: str) -> str:
    lines = _title("API reference")
    lines += [
        f"Every public name of ``{package}``, generated from its numpydoc docstrings when the site is built "
        "(one page per public module; the modules and names are read from the package).", "",
        f".. automodule:: {package}", "   :no-members:", "",
        ".. toctree::", "   :maxdepth: 1", "   :caption: Modules", "",
    ]
    lines += [f"   {name}" for name in pages]
    return "\n".join(lines) + "\n"


def _write_if_changed(path: Path, text: str) -> None:
    """Write only when the text changed, so Sphinx does not re-read unchanged pages."""

    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_api_pages(outdir: Path, package: str = "lshlab") -> list[Path]:
    """Write ``index.rst`` and one ``<module>.rst`` per public module into ``outdir``; remove stale
    pages (a module that moved or vanished).  Returns the written paths."""

    modules = collect_api(package)
    homes = home_of(modules)
    outdir.mkdir(parents=True, exist_ok=True)
    pages = [name for name, api in modules.items() if name != package or api.exported]
    written = [outdir / "index.rst"]
    _write_if_changed(written[0], render_index(pages, package))
    for name in pages:
        subs = [m for m in modules if m.rsplit(".", 1)[0] == name and m != name]
        path = outdir / f"{name}.rst"
        _write_if_changed(path, render_module_page(modules[name], homes, subs))
        written.append(path)
    for stale in set(outdir.glob("*.rst")) - set(written):
        stale.unlink()
    return written
