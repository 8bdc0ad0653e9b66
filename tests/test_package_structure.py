"""Package structure (issue 16): private names stay private, no import loops, short modules.

Every check reads the source of ``lshlab/`` with :mod:`ast` (nothing is imported), so a failure
lists every offender with its file and line, not only the first one.

* **Private names.**  A name that starts with one underscore (dunders such as ``__version__``
  aside) belongs to the module that defines it.  Another module may not import it
  (``from .x import _y``, ``from lshlab.x import _y``, at module level or inside a function) nor
  read it as an attribute of an imported module (``x._y``, ``lshlab.x._y``).  Private *modules*
  (``_validation``, ``hashing._base``, …) are package-internal and may be imported; their public
  names are their interface.  Private attributes of objects count too, by a static rule: a module
  that reads ``obj._y`` or ``getattr(obj, "_y")`` for an object other than ``self`` / ``cls`` must
  define ``_y`` itself (otherwise it is some other module's class's private state, as
  ``HashTables`` once read a hasher's ``_binary``).
* **Import loops.**  The parts of the package are its top-level modules and subpackages
  (``distances``, ``search``, ``hashing``, …).  Part A depends on part B when any module of A
  imports from B.  Imports inside functions count too: a lazy import only postpones the
  dependency, it does not remove it.  (``importlib.import_module`` calls are not read: the only
  ones are the lazy attribute tables of ``hashing``, ``features``, ``plots`` and ``widgets``, which
  load their own submodules.)
  The dependency graph between parts must have no cycle.  Within a part, a cycle between modules
  through module-level imports (the ones that run at import time; importing ``a.b.c`` runs the
  ``__init__`` of ``a.b`` first) is reported too.
* **Size.**  No module is longer than 600 lines.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PKG_DIR = Path(__file__).resolve().parents[1] / "lshlab"
ROOT = PKG_DIR.parent
MAX_LINES = 600


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PKG_DIR.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for name, path in MODULES.items()}


def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _where(module, node):
    return f"{MODULES[module].relative_to(ROOT)}:{node.lineno}"


def _is_package(module):
    return MODULES[module].name == "__init__.py"


def _resolve(module, node):
    """Absolute name of the module an ``ImportFrom`` node imports from."""
    if node.level == 0:
        return node.module
    parts = module.split(".")
    if not _is_package(module):
        parts = parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def _imports(module):
    """``(target_module, node, in_function)`` for every import of an lshlab module in ``module``.

    ``from a import b`` where ``a.b`` is a module imports that module; otherwise it imports from ``a``.
    """
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                out.extend((a.name, child, in_function) for a in child.names if a.name.split(".")[0] == "lshlab")
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(module, child)
                if base and base.split(".")[0] == "lshlab":
                    for a in child.names:
                        sub = f"{base}.{a.name}"
                        out.append((sub if sub in MODULES else base, child, in_function))
            visit(child, inner)

    visit(TREES[module], False)
    return out


# ----------------------------------------------------------------------------- (a) private names
def private_name_offenders():
    """``file:line  description`` for every use of another module's private name."""
    found = []
    for module, tree in TREES.items():
        aliases = {}  # local name -> lshlab module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] != "lshlab":
                        continue
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        aliases[a.name.split(".")[0]] = "lshlab"
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, node)
                if not base or base.split(".")[0] != "lshlab":
                    continue
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    if sub in MODULES:
                        aliases[a.asname or a.name] = sub
                    elif _is_private(a.name):
                        found.append(f"{_where(module, node)}  {module} imports {a.name} from {base}")
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            chain, base = [], node
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if not (isinstance(base, ast.Name) and base.id in aliases):
                continue
            current = aliases[base.id]
            for attr in reversed(chain):
                if f"{current}.{attr}" in MODULES:
                    current = f"{current}.{attr}"
                    continue
                if _is_private(attr) and current != module:
                    found.append(f"{_where(module, node)}  {module} reads {current}.{attr}")
                break
        found.extend(_private_attribute_reads(module, tree, aliases))
    return sorted(set(found))


def _own_names(tree):
    """Names a module defines: functions, classes, class attributes, ``self.x`` / ``cls.x`` / module assignments."""
    own = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
              and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            own.add(node.attr)
    return own


def _private_attribute_reads(module, tree, aliases):
    """Private attributes of *objects* that this module does not define (``hasher._binary``,
    ``getattr(hasher, "_binary")``): the name belongs to another module's class.  ``self._x`` and
    ``cls._x`` are the class's own business (or its base class's) and are not reported."""
    own, found = _own_names(tree), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            obj, name = node.value, node.attr
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "hasattr", "setattr", "delattr") and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            obj, name = node.args[0], node.args[1].value
        else:
            continue
        if not _is_private(name) or name in own:
            continue
        if isinstance(obj, ast.Name) and (obj.id in ("self", "cls") or obj.id in aliases):
            continue  # own attribute, or a module attribute (checked above)
        found.append(f"{_where(module, node)}  {module} reads the private attribute {name} of "
                     f"{ast.unparse(obj)}, which this module does not define")
    return found


def test_no_module_imports_a_private_name_of_another_module():
    offenders = private_name_offenders()
    assert not offenders, (
        f"{len(offenders)} use(s) of another module's private name (make the name public in its module, "
        "with a docstring, or move the code):\n  " + "\n  ".join(offenders)
    )


# ----------------------------------------------------------------------------- (b) import loops
def _part(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _cycles(edges):
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    nodes = sorted(set(edges) | {b for targets in edges.values() for b in targets})

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            connect(v)
    return out


def _describe(cycles, sites):
    lines = []
    for comp in cycles:
        lines.append("loop between " + ", ".join(comp) + ":")
        members = set(comp)
        for (a, b), where in sorted(sites.items()):
            if a in members and b in members:
                lines.append(f"    {a} -> {b}  ({', '.join(sorted(where))})")
    return lines


def part_import_loops():
    """Loops in the dependency graph between the parts (top-level modules and subpackages)."""
    edges, sites = defaultdict(set), defaultdict(set)
    for module in TREES:
        for target, node, lazy in _imports(module):
            a, b = _part(module), _part(target)
            if a is None or b is None or a == b:
                continue
            edges[a].add(b)
            sites[a, b].add(_where(module, node) + (" (in a function)" if lazy else ""))
    return _describe(_cycles(edges), sites)


def module_import_loops():
    """Loops between modules through module-level imports (what runs at import time)."""
    edges, sites = defaultdict(set), defaultdict(set)
    for module in TREES:
        for target, node, lazy in _imports(module):
            if lazy:
                continue
            parts = target.split(".")
            for i in range(2, len(parts) + 1):  # importing a.b.c runs a.b's __init__ first
                t = ".".join(parts[:i])
                if t != module and t in MODULES and not module.startswith(t + "."):
                    edges[module].add(t)
                    sites[module, t].add(_where(module, node))
    return _describe(_cycles(edges), sites)


def test_no_import_loop_between_parts_of_the_package():
    loops = part_import_loops()
    assert not loops, (
        "import loop(s) between parts of lshlab (imports inside functions count: they only postpone "
        "the dependency); move the shared code to the lower part:\n  " + "\n  ".join(loops)
    )


def test_no_import_loop_between_modules():
    loops = module_import_loops()
    assert not loops, "module-level import loop(s) inside lshlab:\n  " + "\n  ".join(loops)


# ----------------------------------------------------------------------------- (c) size
def long_modules():
    out = []
    for module, path in MODULES.items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            out.append(f"{path.relative_to(ROOT)}: {n} lines")
    return out


def test_no_module_over_600_lines():
    offenders = long_modules()
    assert not offenders, (
        f"module(s) over {MAX_LINES} lines (split them by concept):\n  " + "\n  ".join(offenders)
    )


# ----------------------------------------------------------------------------- the checks check something
def test_the_scanners_find_what_they_look_for(tmp_path):
    """The checks above would pass vacuously if the scanners saw nothing; they must see real imports
    (``search`` depends on ``_validation``) and find a planted cycle."""
    assert "_validation" in {_part(t) for m in TREES if _part(m) == "search" for t, _, _ in _imports(m)}
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    tree = ast.parse("from .search import _hidden\nfrom . import search\nsearch._topk(1)\n"
                     "def f(h):\n    return getattr(h, '_binary', True) or h._flag or self._own\n")
    TREES["lshlab.__probe__"], MODULES["lshlab.__probe__"] = tree, PKG_DIR / "__probe__.py"
    try:
        found = [f for f in private_name_offenders() if "__probe__" in f]
    finally:
        del TREES["lshlab.__probe__"], MODULES["lshlab.__probe__"]
    assert found == [
        "lshlab/__probe__.py:1  lshlab.__probe__ imports _hidden from lshlab.search",
        "lshlab/__probe__.py:3  lshlab.__probe__ reads lshlab.search._topk",
        "lshlab/__probe__.py:5  lshlab.__probe__ reads the private attribute _binary of h, which this module does not define",
        "lshlab/__probe__.py:5  lshlab.__probe__ reads the private attribute _flag of h, which this module does not define",
    ]
