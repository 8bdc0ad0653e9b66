"""No pickle anywhere: the package, the benchmarks and the notebooks load data without unpickling.

The sources are parsed with :mod:`ast` (so comments, docstrings and strings never count) and every
offence is reported as ``file:line: what``.  Offences:

* importing ``pickle`` / ``cPickle`` / ``_pickle`` / ``shelve`` / ``joblib`` / ``dill`` / ``cloudpickle``
  (``import x``, ``from x import …``, ``__import__("x")``, ``importlib.import_module("x")``);
* ``numpy.load(...)`` (any alias: ``np.load``, ``from numpy import load``) without the keyword
  ``allow_pickle=False`` (a literal ``False``: numpy's own default has changed before);
* ``torch.load(...)`` without the keyword ``weights_only=True`` (a literal ``True``);
* ``pandas.read_pickle`` / ``DataFrame.to_pickle`` (any ``.read_pickle(`` / ``.to_pickle(`` call).

Notebooks are scanned from their jupytext ``.py`` source and from the code cells of the ``.ipynb``
(IPython magics and shell lines are blanked first).  ``test_detector_*`` check the scanner itself on
small snippets, so the scan cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("lshlab", "benchmarks", "notebooks")
PICKLE_MODULES = {"pickle", "cPickle", "_pickle", "shelve", "joblib", "dill", "cloudpickle"}


def _root_module(name):
    return name.split(".")[0]


class _Scanner(ast.NodeVisitor):
    """Collect ``(line, message)`` offences of one module."""

    def __init__(self):
        self.offences = []
        self.numpy = {"numpy"}  # names bound to the numpy module
        self.torch = {"torch"}
        self.np_load = set()  # names bound to numpy.load
        self.torch_load = set()

    # -- imports --------------------------------------------------------------------------------
    def visit_Import(self, node):
        for alias in node.names:
            root = _root_module(alias.name)
            bound = alias.asname or root
            if root in PICKLE_MODULES:
                self.offences.append((node.lineno, f"import {alias.name}"))
            if alias.name == "numpy":
                self.numpy.add(bound)
            if alias.name == "torch":
                self.torch.add(bound)
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if _root_module(module) in PICKLE_MODULES:
            self.offences.append((node.lineno, f"from {module} import ..."))
        for alias in node.names:
            bound = alias.asname or alias.name
            if alias.name in PICKLE_MODULES:  # from somewhere import pickle / joblib
                self.offences.append((node.lineno, f"from {module} import {alias.name}"))
            if module == "numpy" and alias.name == "load":
                self.np_load.add(bound)
            if module == "torch" and alias.name == "load":
                self.torch_load.add(bound)
        self.generic_visit(node)

    # -- calls ----------------------------------------------------------------------------------
    @staticmethod
    def _keyword_is(node, name, value):
        for kw in node.keywords:
            if kw.arg == name:
                return isinstance(kw.value, ast.Constant) and kw.value.value is value
        return False

    def _callee(self, func):
        """('numpy' | 'torch' | None, attribute name or bare name)."""
        if isinstance(func, ast.Attribute):
            base = func.value
            if isinstance(base, ast.Name):
                if base.id in self.numpy:
                    return "numpy", func.attr
                if base.id in self.torch:
                    return "torch", func.attr
            return None, func.attr
        if isinstance(func, ast.Name):
            if func.id in self.np_load:
                return "numpy", "load"
            if func.id in self.torch_load:
                return "torch", "load"
            return None, func.id
        return None, None

    def visit_Call(self, node):
        owner, name = self._callee(node.func)
        if owner == "numpy" and name == "load" and not self._keyword_is(node, "allow_pickle", False):
            self.offences.append((node.lineno, "numpy.load without allow_pickle=False"))
        if owner == "torch" and name == "load" and not self._keyword_is(node, "weights_only", True):
            self.offences.append((node.lineno, "torch.load without weights_only=True"))
        if name in ("read_pickle", "to_pickle"):
            self.offences.append((node.lineno, f"{name}(...) (pickle format)"))
        if name in ("__import__", "import_module") and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                if _root_module(arg.value) in PICKLE_MODULES:
                    self.offences.append((node.lineno, f"{name}({arg.value!r})"))
        self.generic_visit(node)


def scan_source(source, filename="<string>"):
    """Offences ``[(line, message)]`` in one Python source."""
    scanner = _Scanner()
    scanner.visit(ast.parse(source, filename=filename))
    return sorted(scanner.offences)


def _notebook_code(path):
    """The code cells of an .ipynb as one source, line numbers kept per cell (magics blanked)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines()]
        yield i, "\n".join(lines)


def _files():
    out = []
    for folder in SCANNED:
        base = ROOT / folder
        if base.is_dir():
            out += sorted(p for p in base.rglob("*.py") if ".ipynb_checkpoints" not in p.parts)
            out += sorted(p for p in base.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return out


def test_no_pickle_in_package_benchmarks_and_notebooks():
    files = _files()
    assert any(p.parent.name == "lshlab" for p in files), "the package was not found"
    offences = []
    for path in files:
        rel = path.relative_to(ROOT)
        if path.suffix == ".ipynb":
            for cell, src in _notebook_code(path):
                offences += [f"{rel} (cell {cell}):{line}: {msg}" for line, msg in scan_source(src, str(rel))]
        else:
            offences += [f"{rel}:{line}: {msg}" for line, msg in scan_source(path.read_text("utf-8"), str(rel))]
    assert not offences, "pickle use found:\n" + "\n".join(offences)


# ---------------------------------------------------------------------------------- the detector itself
@pytest.mark.parametrize(
    "source, line",
    [
        ("import pickle", 1),
        ("import os\nimport pickle as pk", 2),
        ("from pickle import loads", 1),
        ("import joblib", 1),
        ("from joblib import dump", 1),
        ("import dill", 1),
        ("import cloudpickle", 1),
        ("import shelve", 1),
        ("from sklearn.externals import joblib", 1),
        ("x = __import__('pickle')", 1),
        ("import importlib\nm = importlib.import_module('cloudpickle')", 2),
        ("import numpy as np\nnp.load('a.npz')", 2),
        ("import numpy as np\nnp.load('a.npz', allow_pickle=True)", 2),
        ("import numpy as np\nflag = False\nnp.load('a.npz', allow_pickle=flag)", 3),
        ("import numpy\nnumpy.load('a.npy', mmap_mode='r')", 2),
        ("from numpy import load\nload('a.npy')", 2),
        ("from numpy import load as ld\nld('a.npy')", 2),
        ("import torch\ntorch.load('m.pt')", 2),
        ("import torch\ntorch.load('m.pt', weights_only=False)", 2),
        ("import torch as th\nth.load('m.pt', map_location='cpu')", 2),
        ("from torch import load\nload('m.pt')", 2),
        ("import pandas as pd\ndf = pd.read_pickle('x.pkl')", 2),
        ("def f(df):\n    df.to_pickle('x.pkl')", 2),
    ],
)
def test_detector_finds_offence(source, line):
    found = scan_source(source)
    assert found and found[0][0] == line, found


@pytest.mark.parametrize(
    "source",
    [
        "# import pickle\nx = 1",
        '"""We never import pickle; np.load(f) and torch.load(f) are shown here."""',
        "s = 'import joblib; torch.load(path)'",
        "import numpy as np\nnp.load('a.npz', allow_pickle=False)",
        "import numpy as np\nwith np.load('a.npz', allow_pickle=False) as z:\n    z['x']",
        "import torch\ntorch.load('m.pt', weights_only=True, map_location='cpu')",
        "import json\njson.load(open('a.json'))",
        "import yaml\nyaml.safe_load('a: 1')",
        "from lshlab.data import load_dataset\nload_dataset('digits')",
        "class M:\n    @classmethod\n    def load(cls, p):\n        return cls()\nM.load('x')",
        "import numpy as np\nnp.save('a.npy', np.zeros(3))",
    ],
)
def test_detector_ignores_safe_code(source):
    assert scan_source(source) == []
