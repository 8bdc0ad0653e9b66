"""Notebooks: every .py (source of truth) has an .ipynb pair with the same cells and no stored outputs,
exactly as ``make sync-notebooks`` writes it (so saving in JupyterLab rewrites neither file)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
LECTURES = sorted(NB_DIR.glob("[0-9][0-9]_*.py"))
SOLUTIONS = sorted(NB_DIR.glob("solutions/[0-9][0-9]_*.py"))
SOURCES = LECTURES + SOLUTIONS
PAIRS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb")) + sorted(NB_DIR.glob("solutions/[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
import nbclean  # noqa: E402  (what git stores: the working copy may hold outputs from JupyterLab)


def _stored(ipynb):
    """The notebook as git stores it (the working copy through the git filter, tools/nbclean.py)."""

    return nbclean.clean_text(ipynb.read_text(encoding="utf-8"))


def test_there_are_notebooks():
    assert len(SOURCES) >= 2


@pytest.mark.parametrize("ipynb", PAIRS, ids=lambda p: p.name)
def test_every_ipynb_has_a_source(ipynb):
    assert ipynb.with_suffix(".py").exists(), f"{ipynb.name} has no .py source"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.name)
def test_pair_in_sync_and_clean(src):
    ipynb = src.with_suffix(".ipynb")
    assert ipynb.exists(), f"{src.name} has no paired .ipynb: run `make sync-notebooks`"
    stored = json.loads(_stored(ipynb))
    for cell in stored["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{ipynb.name} stores outputs: regenerate it from the .py"
            assert cell.get("execution_count") is None, f"{ipynb.name} stores execution counts"
    from_py = jupytext.read(src)
    cells = lambda nb: [(c["cell_type"], "".join(c["source"]).strip()) for c in nb["cells"]]  # noqa: E731
    assert cells(stored) == cells(from_py), (
        f"{ipynb.name} is out of sync with {src.name}: run `jupytext --to notebook {src}`"
    )


@pytest.mark.parametrize("ipynb", PAIRS, ids=lambda p: p.name)
def test_git_stores_no_outputs(ipynb):
    """What is staged / committed has no outputs (the filter runs on `git add`)."""

    git = shutil.which("git")
    rel = ipynb.relative_to(ROOT).as_posix()
    shown = subprocess.run([git, "show", f":{rel}"], cwd=ROOT, capture_output=True, text=True) if git else None
    if shown is None or shown.returncode != 0:
        pytest.skip(f"{rel} is not tracked by git here")
    for cell in json.loads(shown.stdout)["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, f"git stores outputs in {rel}"


def test_sync_notebooks_is_a_no_op(tmp_path):
    """``make sync-notebooks`` (jupytext --update, with pyproject's filters) rewrites no stored pair: the
    .ipynb carries the filters in its metadata and the cell ids stay."""

    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "notebooks" / "solutions").mkdir(parents=True)
    rel = {src: src.relative_to(ROOT) for src in SOURCES}
    for src in SOURCES:
        shutil.copy(src, tmp_path / rel[src])
        ipynb = src.with_suffix(".ipynb")
        if ipynb.exists():
            (tmp_path / rel[src]).with_suffix(".ipynb").write_text(_stored(ipynb), encoding="utf-8")
    cmd = [sys.executable, "-m", "jupytext", "--quiet", "--update", "--to", "notebook"]
    subprocess.run(cmd + [str(rel[src]) for src in SOURCES], cwd=tmp_path, check=True)
    for src in SOURCES:
        ipynb = src.with_suffix(".ipynb")
        synced = (tmp_path / rel[src]).with_suffix(".ipynb").read_text(encoding="utf-8")
        assert ipynb.exists() and synced == _stored(ipynb), f"{ipynb.name} is not as `make sync-notebooks` writes it"
        assert (tmp_path / rel[src]).read_bytes() == src.read_bytes()


@pytest.mark.parametrize("src", LECTURES, ids=lambda p: p.name)
def test_notebook_structure(src):
    """Each lecture opens with what the learner will learn and closes with exercises."""
    text = src.read_text()
    assert "What you will learn" in text[:3000], f"{src.name} lacks an opening 'What you will learn'"
    assert "Exercises" in text[-6000:], f"{src.name} lacks a closing 'Exercises' section"
    assert "param(" in text, f"{src.name} has no parameter cell using lshlab.config.param"
    assert "\nassert " in text, f"{src.name} asserts none of its claims"


@pytest.mark.parametrize("src", LECTURES, ids=lambda p: p.name)
def test_every_lecture_has_worked_solutions(src):
    """At least two exercises of every lecture are solved in notebooks/solutions/NN_topic_solutions.py,
    each solution under a heading that names its exercise."""
    sol = NB_DIR / "solutions" / f"{src.stem}_solutions.py"
    assert sol.exists(), f"{src.name} has no worked solutions: add notebooks/solutions/{sol.name}"
    headings = re.findall(r"^# #+ .*Exercise \d+", sol.read_text(), flags=re.M)
    assert len(headings) >= 2, f"{sol.name} solves {len(headings)} exercise(s); at least two are expected"
