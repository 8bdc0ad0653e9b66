"""Notebooks: every .py (source of truth) has an .ipynb pair with the same cells and no stored outputs."""

import json
from pathlib import Path

import jupytext
import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted(NB_DIR.glob("[0-9][0-9]_*.py"))
PAIRS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))


def test_there_are_notebooks():
    assert len(SOURCES) >= 2


@pytest.mark.parametrize("ipynb", PAIRS, ids=lambda p: p.name)
def test_every_ipynb_has_a_source(ipynb):
    assert ipynb.with_suffix(".py").exists(), f"{ipynb.name} has no .py source"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.name)
def test_pair_in_sync_and_clean(src):
    ipynb = src.with_suffix(".ipynb")
    assert ipynb.exists(), f"{src.name} has no paired .ipynb: run `make sync-notebooks`"
    stored = json.loads(ipynb.read_text())
    for cell in stored["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{ipynb.name} stores outputs: regenerate it from the .py"
            assert cell.get("execution_count") is None, f"{ipynb.name} stores execution counts"
    from_py = jupytext.read(src)
    cells = lambda nb: [(c["cell_type"], "".join(c["source"]).strip()) for c in nb["cells"]]  # noqa: E731
    assert cells(stored) == cells(from_py), (
        f"{ipynb.name} is out of sync with {src.name}: run `jupytext --to notebook {src}`"
    )


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.name)
def test_notebook_structure(src):
    """Each lecture opens with what the learner will learn and closes with exercises."""
    text = src.read_text()
    assert "What you will learn" in text[:3000], f"{src.name} lacks an opening 'What you will learn'"
    assert "Exercises" in text[-6000:], f"{src.name} lacks a closing 'Exercises' section"
    assert "param(" in text, f"{src.name} has no parameter cell using lshlab.config.param"
    assert "\nassert " in text, f"{src.name} asserts none of its claims"
