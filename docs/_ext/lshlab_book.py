"""Sphinx extension for the course site: pages generated at build time, offline MathJax, link checks.

- ``builder-inited``: writes the API pages (:mod:`lshlab_api`), the errata page when an errata file
  exists (skipped cleanly when none does) and the "Reference" table of contents that lists it;
- ``build-finished``: copies MathJax 3 from the installed ``sphinx-mathjax-offline`` package into
  ``_static/mathjax`` (the site renders formulas without a network; nothing is committed);
- ``doctree-read``: drops the executed lectures' widget state from the pages (static explorers);
- a logging filter turns sphinx-codeautolink's "missing inventory" reports into build warnings only for
  ``lshlab`` names: a lecture using a public name that the API reference lacks fails the ``-W`` build,
  while names of numpy, scipy, ... (no intersphinx offline) stay unlinked silently.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import lshlab_api


def _logger():
    from sphinx.util import logging as sphinx_logging  # imported late: the unit tests run without Sphinx

    return sphinx_logging.getLogger(__name__)

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"

#: Where an errata file may be, first match wins (the lead adds it; its name is not fixed yet).
ERRATA_PLACES = ("notebooks", ".", "docs")
ERRATA_PATTERNS = ("errata.md", "ERRATA.md", "Errata.md")


def find_errata(root: Path = ROOT) -> Path | None:
    for place in ERRATA_PLACES:
        for pattern in ERRATA_PATTERNS:
            path = root / place / pattern
            if path.is_file():
                return path.resolve()
    return None


def errata_page(errata: Path) -> str:
    """A page including ``errata`` (relative to ``docs/_generated``), titled if the file has no title."""

    text = errata.read_text(encoding="utf-8")
    first = next((line for line in text.splitlines() if line.strip()), "")
    rel = Path("..", "..", errata.relative_to(ROOT)).as_posix()
    head = "" if first.startswith("# ") else "# Errata\n\n"
    return f"{head}```{{include}} {rel}\n:relative-images:\n```\n"


def reference_toc(has_errata: bool) -> str:
    # absolute document names: the toctree is included into index.md from docs/_generated/
    entries = ["/performance", "/api/index"] + (["/_generated/errata"] if has_errata else [])
    body = "\n".join(entries)
    return f"```{{toctree}}\n:maxdepth: 1\n:caption: Reference\n\n{body}\n```\n"


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate_pages(app) -> None:
    # viewcode writes a module's highlighted source page only when the module is newer than the page, so
    # an incremental build that documents more members links to anchors the old page lacks: rewrite them
    # all (a second; the module pages are not cached by anything else)
    shutil.rmtree(Path(app.outdir) / "_modules", ignore_errors=True)
    GENERATED.mkdir(exist_ok=True)
    errata = find_errata()
    page = GENERATED / "errata.md"
    if errata is None:
        page.unlink(missing_ok=True)
        (Path(app.outdir) / "_generated" / "errata.html").unlink(missing_ok=True)  # from an earlier build
        _logger().info("[lshlab] no errata file (%s in %s): no errata page",
                    "/".join(ERRATA_PATTERNS), ", ".join(ERRATA_PLACES))
    else:
        _write_if_changed(page, errata_page(errata))
        _logger().info("[lshlab] errata page from %s", errata.relative_to(ROOT))
    _write_if_changed(GENERATED / "reference_toc.md", reference_toc(errata is not None))
    pages = lshlab_api.write_api_pages(DOCS / "api")
    _logger().info("[lshlab] %d API pages generated from the package", len(pages))


def mathjax_source() -> Path:
    """The MathJax 3 ``es5`` tree shipped by the ``sphinx-mathjax-offline`` package (the docs extra)."""

    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("sphinx-mathjax-offline")
    except PackageNotFoundError:
        raise RuntimeError("MathJax for the offline site comes from the 'sphinx-mathjax-offline' package: "
                           "pip install -e '.[docs]'") from None
    for file in dist.files or ():
        if file.name == "tex-chtml.js":
            return Path(dist.locate_file(file)).resolve().parent
    raise RuntimeError("sphinx-mathjax-offline is installed but ships no tex-chtml.js")


#: The combined MathJax components the site does not load (it uses tex-chtml.js and what it lazy-loads:
#: fonts, TeX extensions, the accessibility menu).
_UNUSED = {"tex-svg.js", "tex-svg-full.js", "tex-mml-svg.js", "tex-mml-chtml.js", "tex-chtml-full.js",
           "tex-chtml-full-speech.js", "mml-chtml.js", "mml-svg.js", "node-main.js"}


def copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    shutil.copytree(mathjax_source(), target, dirs_exist_ok=True,
                    ignore=lambda d, names: [n for n in names if n in _UNUSED])


def defined_in_lshlab(dotted: str) -> bool:
    """True when ``dotted`` (``module.attr.attr``) resolves to a function, class or property whose code
    is in ``lshlab`` (not, e.g., a method an estimator inherits from scikit-learn)."""

    import importlib
    import inspect

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        obj = getattr(obj, "fget", obj)
        obj = getattr(obj, "__func__", obj)
        if not (inspect.isroutine(obj) or inspect.isclass(obj) or inspect.ismodule(obj)):
            return False
        module = obj.__name__ if inspect.ismodule(obj) else getattr(obj, "__module__", "")
        return isinstance(module, str) and module.split(".")[0] == "lshlab"
    return False


class _OnlyOurNames(logging.Filter):
    """Keep codeautolink's missing-inventory warnings only for names whose code is in ``lshlab``."""

    def filter(self, record):
        if getattr(record, "subtype", None) != "missing_inventory":
            return True
        message = record.getMessage()
        match = re.match(r"Inventory missing `([\w.]+)`", message)
        return bool(match) and defined_in_lshlab(match.group(1))


def skip_foreign_members(app, what, name, obj, skip, options):
    """Document a class's methods and properties only when their code is in lshlab (inherited
    scikit-learn / torch methods such as ``get_params`` or ``set_fit_request`` are documented there)."""

    import inspect

    if what != "class":
        return None
    target = getattr(obj, "fget", obj)
    target = getattr(target, "__func__", target)
    if inspect.isroutine(target) or isinstance(obj, property):
        module = getattr(target, "__module__", None)
        if isinstance(module, str) and module.split(".")[0] != "lshlab":
            return True
    return None


def drop_widget_state(app, doctree) -> None:
    """Do not embed the executed notebook's widget state (kilobytes of PNG bytes per explorer) in the
    page: without widget JavaScript (``nb_ipywidgets_js = {}``) nothing reads it; the explorers are
    shown as static pictures instead."""

    data = getattr(app.env, "nb_metadata", {}).get(app.env.docname, {})
    data.get("js_files", {}).pop("ipywidgets_state", None)


def setup(app):
    app.connect("builder-inited", generate_pages)
    app.connect("build-finished", copy_mathjax)
    app.connect("autodoc-skip-member", skip_foreign_members)
    app.connect("doctree-read", drop_widget_state)
    logging.getLogger("sphinx.sphinx_codeautolink").addFilter(_OnlyOurNames())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
