"""Sphinx configuration of the course site (``make book``; see the README, "The course as a website").

Sources: ``docs/`` plus the lectures through the ``docs/lectures`` symlink to ``notebooks/``: every
``NN_topic.py`` (jupytext percent format) is a page, found by pattern, so renumbered or new lectures need
no change here.  Lectures are executed at the small size by myst-nb with a jupyter-cache: a rebuild
re-runs only the lectures whose code changed, and every lecture when the package's code changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))  # document (and run) the checkout being built

# -- the kernels that execute the lectures inherit this environment --------------------------------
os.environ["LSHLAB_SIZE"] = "small"  # the CI size: all lectures in a few minutes
os.environ["LSHLAB_STATIC_WIDGETS"] = "1"  # explorers show their first figure as a static image
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures as outputs, even if
# the caller exported MPLBACKEND=Agg (as `make test-notebooks` does)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
if "LSHLAB_DATA_DIR" not in os.environ and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["LSHLAB_DATA_DIR"] = str(ROOT.parent / "shared" / "data")

import lshlab  # noqa: E402

project = "lshlab"
author = "the lshlab authors"
copyright = "the lshlab authors, MIT licence"
release = version = lshlab.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.githubpages",  # writes .nojekyll: GitHub Pages then serves the _static/ folders
    "numpydoc",
    "sphinx_codeautolink",
    "lshlab_book",
    "lshlab_docstrings",
]

root_doc = "index"
include_patterns = ["index.md", "performance.md", "api/*.rst", "_generated/errata.md", "lectures/[0-9][0-9]_*.py"]
exclude_patterns = ["_ext", "**/.ipynb_checkpoints"]
templates_path = []

# -- lectures: jupytext sources executed by myst-nb ------------------------------------------------
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
nb_execution_mode = "cache"
nb_execution_timeout = 600  # per cell, as `make test-notebooks`
nb_execution_raise_on_error = True  # a failing cell fails the build (as nbval does)
nb_execution_show_tb = True
nb_execution_in_temp = False  # run in notebooks/, as JupyterLab and nbval do
nb_output_stderr = "warn"  # a lecture writing to stderr (warnings, tracebacks) fails the -W build
nb_merge_streams = True
nb_ipywidgets_js = {}  # no widget JavaScript from a CDN: explorers render statically (see lshlab.widgets)


def _code_fingerprint() -> str:
    """Hash of the package's source: cached lecture outputs are only reused for the same code."""

    digest = hashlib.sha256(sys.version.encode())
    for path in sorted((ROOT / "lshlab").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


_CACHE_ROOT = ROOT / "_build" / ".jupyter_cache"
nb_execution_cache_path = str(_CACHE_ROOT / _code_fingerprint())
if _CACHE_ROOT.is_dir():  # caches of older package code can never be hit again
    for _old in _CACHE_ROOT.iterdir():
        if _old.is_dir() and str(_old) != nb_execution_cache_path:
            shutil.rmtree(_old, ignore_errors=True)

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- API reference -----------------------------------------------------------------------------------
autosummary_generate = False  # the pages are written by lshlab_book from the package's __all__
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
autodoc_typehints = "signature"
add_module_names = False
toc_object_entries_show_parents = "hide"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# sphinx-codeautolink: names in lecture code cells link to the API; imports made in a lecture's first
# cells apply to every later cell of the page
codeautolink_concat_default = True
codeautolink_warn_on_missing_inventory = True  # filtered to lshlab names by lshlab_book

# -- maths offline: MathJax 3 copied from an installed package (lshlab_book.copy_mathjax) -------------
mathjax_path = "mathjax/tex-chtml.js"

# -- HTML ----------------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "lshlab — similarity search and LSH"
html_static_path = ["_static"]
html_css_files = ["lshlab.css"]
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
}
