"""Working in JupyterLab does not dirty the repository (issue 22).

The lectures are saved the way JupyterLab saves them, through jupytext's contents manager with the
server settings ``make lab`` uses (``tools/jupyter/``), after a "run" (outputs, execution counts, the
kernel's kernelspec and language_info, widget state, cell view state), in a scratch git repository
holding the current working tree, with the git filter configured by ``make git-filters``.  Each paired
``.py`` comes back byte-identical and ``git status --porcelain`` / ``git diff`` show nothing.  Saved with
outputs by another editor, the git filter still keeps them out of git; a real edit still shows; a
learner's own notebook keeps its outputs (so the tests cannot pass by not saving).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbclean  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Overriding existing pre_save_hook")  # jupyter_server quirk

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
GIT = shutil.which("git")
MAKE = shutil.which("make")


def _git(repo, *args, check=True):
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run([GIT, *args], cwd=repo, check=check, capture_output=True, text=True, env=env)


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.name)
def test_filter_keeps_a_stored_notebook_unchanged(ipynb):
    text = ipynb.read_text(encoding="utf-8")
    if json.loads(text) != nbclean.clean(json.loads(text)):
        pytest.skip(f"{ipynb.name} in this working copy holds outputs (JupyterLab); git sees it cleaned")
    assert nbclean.clean_text(text) == text


@pytest.mark.parametrize("path, lecture", [
    ("notebooks/02_random_hyperplanes.ipynb", True), ("/notebooks/02_x.ipynb", True), ("02_x.ipynb", True),
    ("docs/lectures/02_x.ipynb", True), ("notebooks/my_work.ipynb", False), ("notebooks/02_x.py", False),
    ("elsewhere/02_x.ipynb", False), ("notebooks/sub/02_x.ipynb", False),
    ("notebooks/solutions/02_x_solutions.ipynb", True), ("solutions/02_x_solutions.ipynb", True),
])
def test_pre_save_hook_cleans_only_lectures(path, lecture):
    nb = {"cells": [{"cell_type": "code", "execution_count": 3, "id": "a", "metadata": {"scrolled": True},
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": "x"}], "source": "1\n2"}],
          "metadata": {"kernelspec": {"name": "python3"}, "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    model = {"type": "notebook", "content": nb}
    nbclean.pre_save_hook(model=model, path=path, contents_manager=None)
    cell = nb["cells"][0]
    assert (cell["outputs"] == [] and cell["execution_count"] is None and cell["metadata"] == {}
            and list(nb["metadata"]) == ["kernelspec"]) is lecture
    assert cell["source"] == "1\n2"  # in memory the source stays a string (jupytext writes the .py from it)


def test_filter_passes_other_input_through():
    assert nbclean.clean_text("not json") == "not json"
    assert nbclean.clean_text('{"a": 1}') == '{"a": 1}'


def test_notebook_metadata_kept_is_what_jupytext_keeps():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["jupytext"]
    kept = [k for k in config["notebook_metadata_filter"].split(",") if k and not k.startswith("-")]
    assert sorted(kept) == sorted(nbclean.NOTEBOOK_METADATA_KEPT)


def test_gitattributes_routes_notebooks_through_the_filter():
    if GIT is None or _git(ROOT, "rev-parse", "--is-inside-work-tree", check=False).returncode:
        pytest.skip("not a git working tree")
    for nb in NOTEBOOKS:
        out = _git(ROOT, "check-attr", "filter", "--", str(nb.relative_to(ROOT))).stdout
        assert out.strip().endswith("filter: lshlab-nbclean"), out


def _run_state(nb, n_cell_outputs=2):
    """Mutate ``nb`` as running it in JupyterLab does."""

    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": sys.version.split()[0],
    }
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {"abc": {"model_name": "ImageModel", "state": {}}}, "version_major": 2, "version_minor": 0}}
    count = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        cell.outputs = [
            {"output_type": "stream", "name": "stdout", "text": f"line {i}\n"},
            {"output_type": "execute_result", "execution_count": count, "metadata": {},
             "data": {"text/plain": f"{i}", "image/png": "iVBORw0KGgo="}},
        ][:n_cell_outputs]
        cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.000000Z",
                                      "shell.execute_reply": "2026-01-01T00:00:01.000000Z"}
        if i % 3 == 0:
            cell.metadata["scrolled"] = True
            cell.metadata["collapsed"] = True
            cell.metadata["jupyter"] = {"outputs_hidden": True}
        if i % 5 == 0:
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True


@pytest.fixture(scope="module")
def scratch_repo(tmp_path_factory):
    """A git repository holding this working tree's tracked files, filter set up by ``make git-filters``."""

    if GIT is None or MAKE is None:
        pytest.skip("git and make are needed")
    if _git(ROOT, "rev-parse", "--is-inside-work-tree", check=False).returncode:
        pytest.skip("not a git working tree")
    repo = tmp_path_factory.mktemp("clean-save")
    for rel in _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout.split("\0"):
        src = ROOT / rel
        if rel and src.is_file() and not src.is_symlink():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    for nb in (repo / "notebooks").glob("*.ipynb"):  # this working copy may hold outputs: store it clean
        nb.write_text(nbclean.clean_text(nb.read_text(encoding="utf-8")), encoding="utf-8")
    _git(repo, "init", "-q")
    subprocess.run([MAKE, "-s", "git-filters", f"PYTHON={sys.executable}"], cwd=repo, check=True)
    assert _git(repo, "config", "filter.lshlab-nbclean.clean").stdout.strip().endswith("tools/nbclean.py")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "snapshot")
    return repo


def _lab_config(repo):
    """The settings ``make lab`` gives the Jupyter server (tools/jupyter/jupyter_server_config.py)."""

    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("jupyter_server_config.py", path=str(repo / "tools" / "jupyter")).load_config()


def _save(repo, paths, *, config=None, edit=None):
    """Open each notebook through jupytext's contents manager (JupyterLab's code path), add a run's
    state (and ``edit``'s change) and save it; with ``config`` as ``make lab`` sets the server up."""

    from jupytext import AsyncTextFileContentsManager

    async def go():
        cm = AsyncTextFileContentsManager(config=config, root_dir=str(repo)) if config else \
            AsyncTextFileContentsManager(root_dir=str(repo))
        for path in paths:
            model = await cm.get(path, content=True, type="notebook")
            _run_state(model["content"])
            if edit:
                edit(model["content"])
            await cm.save({"type": "notebook", "content": model["content"]}, path)

    asyncio.run(go())


def _outputs_on_disk(ipynb):
    return sum(len(c.get("outputs", [])) for c in json.loads(ipynb.read_text(encoding="utf-8"))["cells"])


@pytest.fixture
def repo(scratch_repo):
    """The scratch repository as committed (each test starts from a clean working tree)."""

    _git(scratch_repo, "reset", "-q", "--hard", "HEAD")
    _git(scratch_repo, "clean", "-fdq")
    return scratch_repo


def test_lab_config_is_this_project(scratch_repo):
    config = _lab_config(scratch_repo)
    assert Path(config.ServerApp.root_dir) == scratch_repo  # jupytext finds pyproject.toml from there
    assert config.FileContentsManager.preferred_dir == "notebooks"
    assert callable(config.ContentsManager.pre_save_hook)


def test_saving_in_jupyterlab_leaves_git_clean(repo):
    sources = sorted((repo / "notebooks").glob("[0-9][0-9]_*.py"))
    assert sources, "no lectures"
    before = {src: src.read_bytes() for src in sources}
    # after `git checkout -- notebooks/*.ipynb` (or a pull) the .ipynb is newer than its .py: still fine
    future = time.time() + 10
    for src in sources:
        os.utime(src.with_suffix(".ipynb"), (future, future))
    # open half of them as the notebook, the other half as the .py (both ways JupyterLab offers)
    paths = [f"notebooks/{src.stem}.ipynb" if i % 2 == 0 else f"notebooks/{src.name}" for i, src in enumerate(sources)]
    _save(repo, paths, config=_lab_config(repo))

    for src in sources:
        assert src.read_bytes() == before[src], f"saving {src.name} in JupyterLab rewrote the .py"
        assert src.with_suffix(".ipynb").stat().st_mtime < future, f"{src.stem}.ipynb was not saved"
    assert _git(repo, "status", "--porcelain").stdout == ""
    assert _git(repo, "diff", "--exit-code", check=False).returncode == 0


def test_own_notebooks_keep_their_outputs(repo):
    """Only the lectures are saved clean: a learner's copy keeps its outputs."""

    src = sorted((repo / "notebooks").glob("[0-9][0-9]_*.ipynb"))[0]
    mine = repo / "notebooks" / "my_work.ipynb"
    shutil.copy(src, mine)
    try:
        _save(repo, ["notebooks/my_work.ipynb"], config=_lab_config(repo))
        assert _outputs_on_disk(mine) > 0
    finally:
        mine.unlink()
        for pair in mine.parent.glob("my_work.*"):
            pair.unlink()


def test_git_filter_hides_outputs_saved_elsewhere(repo):
    """Saved with outputs by another editor (no pre-save hook): git stores and diffs nothing new."""

    sources = sorted((repo / "notebooks").glob("[0-9][0-9]_*.py"))
    before = {src: src.read_bytes() for src in sources}
    _save(repo, [f"notebooks/{src.stem}.ipynb" for src in sources])
    for src in sources:
        assert src.read_bytes() == before[src], f"saving {src.stem}.ipynb rewrote the .py"
        assert _outputs_on_disk(src.with_suffix(".ipynb")) > 0  # the file on disk has them
    assert _git(repo, "diff", "--exit-code", check=False).returncode == 0
    _git(repo, "add", "-A")  # git status compares sizes first; once added, the index knows better
    assert _git(repo, "diff", "--cached", "--exit-code", check=False).returncode == 0
    assert _git(repo, "status", "--porcelain").stdout == ""


def test_a_real_edit_is_still_seen(repo):
    """The guards hide run state, not work: an edited cell shows in git, without outputs."""

    src = sorted((repo / "notebooks").glob("[0-9][0-9]_*.py"))[0]
    path = f"notebooks/{src.stem}.ipynb"

    def edit(nb):
        code = next(c for c in nb.cells if c.cell_type == "code")
        code.source += "\nprint('an edit')"

    _save(repo, [path], config=_lab_config(repo), edit=edit)
    changed = _git(repo, "status", "--porcelain").stdout.split()
    assert path in changed and f"notebooks/{src.name}" in changed
    diff = _git(repo, "diff", "--", path, f"notebooks/{src.name}").stdout
    assert "an edit" in diff and "outputs_hidden" not in diff and "line " not in diff


def test_checkout_works_with_the_filter_configured(scratch_repo):
    """A required clean filter without a smudge command makes every checkout of a notebook fail
    ("smudge filter lshlab-nbclean failed"): `make git-filters` sets ``smudge = cat``."""

    repo = scratch_repo
    nb = sorted((repo / "notebooks").glob("[0-9][0-9]_*.ipynb"))[0]
    nb.unlink()
    _git(repo, "checkout", "--", str(nb.relative_to(repo)))
    assert nb.exists()
    _git(repo, "worktree", "add", "-q", str(repo.parent / (repo.name + "-wt")))
    assert (repo.parent / (repo.name + "-wt") / nb.relative_to(repo)).exists()
