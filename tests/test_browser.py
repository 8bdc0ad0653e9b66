"""Real-browser test: JupyterLab in headless Debian Chromium runs the lectures and moves their sliders.

For each lecture with an explorer: copy the notebooks into a scratch folder (so JupyterLab's autosave can
never write outputs into the repository), start JupyterLab there on a free loopback port with a token,
open the notebook, run all cells, check that no cell errored, move the named slider with the keyboard,
and check that the figure below it changed (rendered pixels compared before / after) within a time
budget.  Screenshots go to ``test-artifacts/browser/`` for a person to look at.

Run with ``make test-browser`` (``.ci/run`` does).  Needs ``/usr/bin/chromium`` (Debian) and the Python
``playwright`` package; no browser is downloaded.  Only loopback traffic.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
RUN_ALL_BUDGET_S = 240  # whole notebook at small size, in a real kernel
SLIDER_BUDGET_S = 20  # from key press to changed figure

# notebook → the slider to move: the first slider whose label is exactly this text
LECTURES = {
    "02_random_hyperplanes.ipynb": "bits",
    "04_raginsky_codes.ipynb": "bits",
    "05_schoenberg_kernel_training.ipynb": "β (1/T)",
    "07_lee_codes.ipynb": "alphabet size q",
}
PAGE_TIMEOUT_MS = 180_000  # JupyterLab's first load on a busy 2-core machine
# e.g. LSHLAB_BROWSER_NOTEBOOKS="12_unsupervised_retrieval_dice_jaccard.ipynb:bits" to check another lecture
if os.environ.get("LSHLAB_BROWSER_NOTEBOOKS"):
    LECTURES = dict(item.rsplit(":", 1) for item in os.environ["LSHLAB_BROWSER_NOTEBOOKS"].split(","))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: apt-get update && apt-get install -y chromium")
    work = tmp_path_factory.mktemp("lab")
    for nb in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"):
        shutil.copy(nb, work / nb.name)
    port, token = _free_port(), secrets.token_hex(16)
    settings = work / "lab-settings"  # user settings: no "news" pop-up over the figures
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    env = {**os.environ, "LSHLAB_SIZE": "small", "JUPYTER_PLATFORM_DIRS": "1",
           "JUPYTERLAB_SETTINGS_DIR": str(settings)}
    data_dir = ROOT.parent / "shared" / "data"
    if "LSHLAB_DATA_DIR" not in env and data_dir.is_dir():
        env["LSHLAB_DATA_DIR"] = str(data_dir)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
           "--ServerApp.open_browser=False", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(work / "jupyterlab.log", "w")
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; see {work / 'jupyterlab.log'}") from None
                time.sleep(0.5)
        yield url, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield ctx
        finally:
            ctx.close()


def _run_all(page):
    page.locator(".jp-NotebookPanel:visible .jp-Notebook").first.click()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def _run_all_and_wait(page, budget):
    """Run all cells and wait until every code cell has run and none is running.

    If nothing is running but cells are still unrun (the kernel was not connected yet when the command
    was issued), issue "Run All Cells" again, a few times at most.
    """
    running = page.locator(".jp-CodeCell .jp-InputPrompt", has_text="[*]")
    not_run = page.locator(".jp-CodeCell .jp-InputPrompt", has_text=re.compile(r"^\s*\[ \]:\s*$"))
    deadline = time.monotonic() + budget
    attempts, idle_since = 0, None
    _run_all(page)
    while time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        if running.count():
            idle_since = None
            continue
        if page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']").count():
            return  # a cell raised; the caller reports the traceback
        if not_run.count() == 0:
            page.wait_for_timeout(1000)  # a queued cell may start in between: check twice
            if running.count() == 0 and not_run.count() == 0:
                return
            continue
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since > 10 and attempts < 3:
            attempts += 1
            idle_since = None
            _run_all(page)
    raise AssertionError(f"notebook did not finish within {budget} s ({not_run.count()} cells not run)")


@pytest.mark.parametrize("notebook, slider_label", sorted(LECTURES.items()))
def test_lecture_runs_and_slider_redraws(lab, browser, notebook, slider_label):
    if not (ROOT / "notebooks" / notebook).exists():
        pytest.skip(f"{notebook} does not exist yet")
    url, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = notebook.removesuffix(".ipynb")
    page = browser.new_page()
    try:
        # a fresh workspace per lecture, so only this notebook is open and "Run All" targets it
        page.goto(f"{url}/lab/workspaces/{stem}/tree/{notebook}?reset&token={token}", timeout=PAGE_TIMEOUT_MS)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=PAGE_TIMEOUT_MS)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(timeout=PAGE_TIMEOUT_MS)
        _run_all_and_wait(page, RUN_ALL_BUDGET_S)
        page.screenshot(path=str(ARTIFACTS / f"{stem}-after-run.png"), full_page=False)

        tracebacks = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
        assert tracebacks.count() == 0, f"{notebook}: a cell raised: {tracebacks.first.inner_text()[:2000]}"

        label = page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(slider_label)}\s*$"))
        slider = page.locator(".widget-slider", has=label).first
        slider.scroll_into_view_if_needed(timeout=30_000)
        # the figure of this explorer: the closest output image after the slider's widget box
        box = slider.locator("xpath=ancestor::div[contains(@class,'jp-OutputArea-output')][1]")
        box.screenshot(path=str(ARTIFACTS / f"{stem}-before.png"))
        before = box.screenshot()
        handle = slider.locator(".noUi-handle").first
        handle.focus()
        t0 = time.monotonic()
        page.keyboard.press("ArrowRight")
        handle.blur()
        changed = False
        while time.monotonic() - t0 < SLIDER_BUDGET_S:
            page.wait_for_timeout(300)
            if box.screenshot() != before:
                page.wait_for_timeout(500)  # let the redraw finish before the artefact
                changed = True
                break
        elapsed = time.monotonic() - t0
        box.screenshot(path=str(ARTIFACTS / f"{stem}-after-slider.png"))
        assert changed, f"{notebook}: the figure did not change within {SLIDER_BUDGET_S} s of moving '{slider_label}'"
        print(f"{notebook}: figure changed {elapsed:.2f} s after the key press")
    finally:
        page.close()
