"""Real-browser test: every lecture in JupyterLab with headless Debian Chromium, every explorer moved.

For each lecture notebook (``notebooks/NN_*.ipynb``, whatever exists): open it in JupyterLab (a scratch
copy, the project's server settings, small size), do what learners do on opening a lecture — Restart
Kernel and Run All, as soon as the kernel is starting — and wait for every cell; then press a key on
every control of every explorer in the page (found in the DOM, so new lectures and explorers are covered
without a change here).  The test fails only when a figure does not change after a key press or a kernel
error appears (a cell error, an explorer's error line, or a kernel that never finishes starting).
Screenshots go to ``test-artifacts/browser/<lecture>/`` for a person to look at.

Run with ``make test-browser`` (``.ci/run`` does); ``make bench-browser`` runs the same harness at full
size and reports the latencies (``benchmarks/browser_latency.py``).  Needs ``/usr/bin/chromium``
(Debian) and the Python ``playwright`` package; no browser is downloaded.  Only loopback traffic.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_lab as lab  # noqa: E402

pytestmark = pytest.mark.browser

# e.g. LSHLAB_BROWSER_NOTEBOOKS="02_random_hyperplanes.ipynb,07_lee_codes.ipynb" to check a few
NOTEBOOKS = [n.strip() for n in os.environ.get("LSHLAB_BROWSER_NOTEBOOKS", "").split(",") if n.strip()] or lab.notebooks()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with lab.jupyterlab(tmp_path_factory.mktemp("lab"), size="small") as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        with lab.chromium(tmp_path_factory.mktemp("chromium-profile")) as ctx:
            yield ctx
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_lecture_restarts_runs_and_every_explorer_answers(server, browser, notebook):
    stem = notebook.removesuffix(".ipynb")
    artifacts = lab.ARTIFACTS / stem
    artifacts.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    try:
        run = lab.run_lecture(page, server, notebook, budget_s=900, stall_s=600)
        page.screenshot(path=str(artifacts / "after-run.png"))
        assert not run.error, f"{notebook}: {run.error}"
        reports = lab.exercise_explorers(page, stem, presses_per_control=1, timeout_ms=60_000,
                                         artifacts=lab.ARTIFACTS)
        errors = lab.kernel_errors(page)
        assert not errors, f"{notebook}: {errors[0]}"
        for report in reports:
            assert report.presses, f"{notebook}: explorer {report.title!r} has no control that can move"
            for press in report.presses:
                print(f"{notebook} | {report.title} | {press.control} {press.key}: "
                      f"{'—' if press.latency_ms is None else f'{press.latency_ms:.0f} ms'}, {press.status}")
                assert press.changed, (f"{notebook}: the figure of {report.title!r} did not change after "
                                       f"{press.key} on {press.control!r} (status: {press.status!r})")
    finally:
        lab.shutdown_kernel(page, notebook)
        page.close()
