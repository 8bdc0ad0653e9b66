"""Drive the lectures in JupyterLab with headless Chromium as a learner does, and time every explorer.

Used by ``tests/test_browser.py`` (``make test-browser``: small size, fails only when a figure does not
change after a key press or a kernel error appears) and ``benchmarks/browser_latency.py``
(``make bench-browser``: full size, latency table).  Needs Debian's ``/usr/bin/chromium`` and the Python
``playwright`` package; no browser is downloaded, only loopback traffic.

- :func:`jupyterlab` starts JupyterLab on a free loopback port, token-less (``--allow-root`` as root),
  with the project's server settings (``JUPYTER_CONFIG_PATH=tools/jupyter``, as ``make lab``), serving
  a scratch copy of ``pyproject.toml`` and the lectures (each ``.ipynb`` made from its ``.py`` source by
  jupytext, so the test runs what the sources say; JupyterLab's autosave never touches the repository).
- :func:`run_lecture` opens a lecture and, as soon as its kernel is starting, does what learners do on
  opening one: Kernel → Restart Kernel and Run All Cells; then waits until every cell has run (or a
  cell failed, or no cell finished for ``stall_s``).
- :func:`exercise_explorers` finds every explorer in the page (``.lshlab-explorer``, whatever lecture and
  module made it: new lectures are covered without a change here) and presses keys on each of its
  controls; for each press it records the time from the key press to the new picture on screen
  (a ``MutationObserver`` on the image's ``src``, ``img.decode()``, two animation frames), whether the
  picture changed (screenshots of the image before / after), and the server-side update / draw /
  render times from the explorer's status line.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]
ERROR_OUTPUT = ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
STATUS = re.compile(r"update (\d+) ms · draw (\d+) ms · render (\d+) ms \((\w+)\)")

# In the page: wait for the next new picture of ``img`` and time it from the next key press.
_ARM = """(img) => {
  window.__lshlabPress = new Promise((resolve) => {
    let tKey = null;  // the key press, or the change of a dropdown (selected as a learner picks an option)
    const mark = () => { if (tKey === null) tKey = performance.now(); };
    document.addEventListener('keydown', mark, {capture: true, once: true});
    document.addEventListener('change', mark, {capture: true, once: true});
    const done = (tPaint) => { observer.disconnect(); resolve({tKey, tPaint}); };
    const observer = new MutationObserver(async () => {
      try { await img.decode(); } catch (e) {}
      requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())));
    });
    observer.observe(img, {attributes: true, attributeFilter: ['src']});
    window.__lshlabTimeout = setTimeout(() => done(null), %d);
  });
}"""


def notebooks():
    """The lecture notebooks of the working tree (from their ``.py`` sources), in lecture order."""
    return sorted(p.with_suffix(".ipynb").name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(work, *, size="small", log_name="jupyterlab.log"):
    """JupyterLab serving a scratch copy of the lectures in ``work``; yields its base URL."""
    work = Path(work)
    (work / "notebooks").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    import jupytext

    for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"):  # the .py is the source of truth
        shutil.copy(path, work / "notebooks" / path.name)
        jupytext.write(jupytext.read(path), work / "notebooks" / path.with_suffix(".ipynb").name)
    settings = work / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)  # no news / update pop-ups over the figures
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    env = {**os.environ, "JUPYTER_PLATFORM_DIRS": "1", "JUPYTERLAB_SETTINGS_DIR": str(work / "lab-settings"),
           "JUPYTER_CONFIG_PATH": os.pathsep.join(filter(None, [str(ROOT / "tools" / "jupyter"),
                                                                 os.environ.get("JUPYTER_CONFIG_PATH")]))}
    env.pop("LSHLAB_SIZE", None)
    if size != "full":
        env["LSHLAB_SIZE"] = size
    data_dir = ROOT.parent / "shared" / "data"
    if "LSHLAB_DATA_DIR" not in env and data_dir.is_dir():
        env["LSHLAB_DATA_DIR"] = str(data_dir)
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           "--IdentityProvider.token=", f"--ServerApp.root_dir={work}", "--ServerApp.open_browser=False",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    url = f"http://127.0.0.1:{port}"
    with open(work / log_name, "w") as log:
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"{url}/api/status", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"JupyterLab did not start; see {work / log_name}") from None
                    time.sleep(0.5)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@contextlib.contextmanager
def chromium(profile):
    """A persistent headless Chromium context (Debian's binary, never a download)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError("Debian's chromium is missing: apt-get update && apt-get install -y chromium")
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(str(profile), executable_path=str(CHROMIUM), headless=True,
                                                    args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        try:
            yield ctx
        finally:
            ctx.close()


@dataclass
class LectureRun:
    """What :func:`run_lecture` saw: seconds from the restart to the last cell, cells run, the first error
    output (empty when none), seconds from opening to the restart, and how often it was issued."""

    notebook: str
    seconds: float = 0.0
    cells: int = 0
    error: str = ""
    restarted_within_s: float = 0.0
    attempts: int = 0


def _prompts(page):
    # textContent, not innerText: JupyterLab skips rendering cells out of view (content-visibility), and
    # innerText of a skipped element is empty
    return page.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()


def _kernel_of(url, notebook):
    """Id of the kernel the server started for ``notebook`` (None while there is none)."""
    import json

    try:
        with urllib.request.urlopen(f"{url}/api/sessions", timeout=5) as response:
            sessions = json.load(response)
    except OSError:
        return None
    for s in sessions:
        if s.get("path", "").endswith(notebook) and s.get("kernel"):
            return s["kernel"]["id"]
    return None


_SHUTDOWN_JS = """async (notebook) => {
  const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1];
  const headers = xsrf ? {"X-XSRFToken": decodeURIComponent(xsrf)} : {};
  const sessions = await (await fetch("/api/sessions", {headers})).json();
  let closed = 0;
  for (const s of sessions) {
    if (s.path.endsWith(notebook)) {
      const r = await fetch("/api/sessions/" + s.id, {method: "DELETE", headers});
      if (!r.ok) throw new Error("DELETE /api/sessions/" + s.id + ": HTTP " + r.status);
      closed += 1;
    }
  }
  return closed;
}"""


def shutdown_kernel(page, notebook):
    """Shut down the session (and kernel) of ``notebook`` from the page, as the Kernel menu's "Shut Down
    Kernel" does (with the page's XSRF token): lectures measured one after the other then do not share
    the machine's memory with the kernels of the lectures before them (lecture 13 alone peaks at 6 GB)."""
    try:
        page.evaluate(_SHUTDOWN_JS, notebook)
    except Exception as exc:  # noqa: BLE001 - a report, not a reason to lose the measurements
        print(f"# could not shut down the kernel of {notebook}: {exc}", file=sys.stderr)


def _restart_and_run_all(page):
    page.get_by_role("menuitem", name="Kernel", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Restart Kernel and Run All Cells")).click()
    page.locator(".jp-Dialog .jp-mod-accept").click()


def run_lecture(page, url, notebook, *, budget_s=1800, stall_s=600, retry_s=20):
    """Open ``notebook``, Restart Kernel and Run All as soon as the server has started its kernel (the
    browser is then still connecting to it: the moment that used to hang the kernel), wait for the end.

    JupyterLab ignores the command while its session has no kernel connection at all (nothing restarts,
    nothing runs); a learner would click again, and so does this after ``retry_s`` seconds without a
    single cell started (``LectureRun.attempts``)."""
    stem = notebook.removesuffix(".ipynb")
    run = LectureRun(notebook)
    page.goto(f"{url}/lab/workspaces/{stem}/tree/notebooks/{notebook}?reset", timeout=300_000)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=300_000)
    opened = time.monotonic()
    while _kernel_of(url, notebook) is None:
        if time.monotonic() - opened > 120:
            raise AssertionError(f"{notebook}: no kernel 120 s after opening")
        page.wait_for_timeout(50)
    _restart_and_run_all(page)
    run.restarted_within_s = time.monotonic() - opened
    run.attempts = 1
    indicator = page.locator(".jp-Notebook-ExecutionIndicator").first
    t0 = last_progress = time.monotonic()
    done_before = -1
    while True:
        page.wait_for_timeout(1000)
        if page.locator(ERROR_OUTPUT).count():
            run.error = (page.locator(ERROR_OUTPUT).first.text_content() or "")[:3000]
            break
        prompts = _prompts(page)
        done = sum(bool(re.fullmatch(r"\s*\[\d+\]:\s*", p)) for p in prompts)
        started = done or any("*" in p for p in prompts)
        if done != done_before:
            done_before, last_progress = done, time.monotonic()
        if prompts and done == len(prompts) and indicator.get_attribute("data-status") == "idle":
            break
        now = time.monotonic()
        if not started and now - t0 > retry_s * run.attempts and run.attempts < 3:
            _restart_and_run_all(page)
            run.attempts += 1
            continue
        if now - t0 > budget_s or now - last_progress > stall_s:
            status = indicator.get_attribute("data-status")
            dialogs = " | ".join(t.strip()[:300] for t in page.locator(".jp-Dialog").all_text_contents())
            run.error = (f"stuck: {done} of {len(prompts)} cells run after {now - t0:.0f} s, none for "
                         f"{now - last_progress:.0f} s (kernel status {status!r}, {run.attempts} attempts"
                         f"{'; dialog: ' + dialogs if dialogs else ''})")
            break
    run.seconds, run.cells = time.monotonic() - t0, done_before
    return run


@dataclass
class Press:
    """One key press on one control of one explorer."""

    lecture: str
    explorer: str
    control: str
    key: str
    latency_ms: float | None  # key press → new picture on screen; None: no new picture within the timeout
    changed: bool  # the picture on screen differs from the one before the press
    update_ms: float | None = None
    draw_ms: float | None = None
    render_ms: float | None = None
    mode: str = ""
    status: str = ""


@dataclass
class ExplorerReport:
    lecture: str
    title: str
    presses: list = field(default_factory=list)


def _slider_key(control):
    """ArrowRight, or ArrowLeft at the right end of the range."""
    handle = control.locator(".noUi-handle").first
    now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
    try:
        return "ArrowLeft" if float(now) >= float(top) else "ArrowRight"
    except (TypeError, ValueError):
        return "ArrowRight"


def _press(page, lecture, title, explorer, control, label, timeout_ms, shots, n):
    img = explorer.locator("img.lshlab-explorer-image").first
    status = explorer.locator(".lshlab-explorer-status").first
    if control.locator(".noUi-handle").count():
        target, key = control.locator(".noUi-handle").first, _slider_key(control)
        lo, hi = (target.get_attribute(a) for a in ("aria-valuemin", "aria-valuemax"))
        if lo is not None and lo == hi:
            return None  # a slider with one position cannot move
    elif control.locator("select").count():
        target = control.locator("select").first
        options = target.locator("option").count()
        if options < 2:
            return None
        index = target.evaluate("s => s.selectedIndex")
        key = f"option {index - 1 if index == options - 1 else index + 1}"
    else:
        return None
    img.scroll_into_view_if_needed(timeout=30_000)
    before_status = status.text_content()
    before = img.screenshot()
    page.evaluate(_ARM % timeout_ms, img.element_handle())
    target.focus()
    if key.startswith("option"):  # a closed <select> does not step with the arrow keys in headless Chromium
        target.select_option(index=int(key.split()[1]))
    else:
        page.keyboard.press(key)
    timing = page.evaluate("() => window.__lshlabPress")
    latency = (timing["tPaint"] - timing["tKey"]) if timing["tPaint"] is not None and timing["tKey"] is not None else None
    deadline = time.monotonic() + 5  # the status line follows the picture
    text = status.text_content()
    while (text == before_status or "update" not in text or "…" in text) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
        text = status.text_content()
    after = img.screenshot()
    if shots is not None:
        (shots / f"{n:02d}-{re.sub(r'[^A-Za-z0-9]+', '_', label)[:30]}-{key}.png").write_bytes(after)
    target.blur()
    press = Press(lecture, title, label, key, latency, after != before, status=text)
    m = STATUS.search(text)
    if m:
        press.update_ms, press.draw_ms, press.render_ms = (float(v) for v in m.groups()[:3])
        press.mode = m.group(4)
    return press


def exercise_explorers(page, lecture, *, presses_per_control=1, timeout_ms=60_000, settle_ms=300, artifacts=None):
    """Press keys on every control of every explorer in the page; returns a list of :class:`ExplorerReport`."""
    reports = []
    explorers = page.locator(".lshlab-explorer")
    for e in range(explorers.count()):
        explorer = explorers.nth(e)
        heading = explorer.locator(".widget-html b").first
        title = heading.text_content().strip() if heading.count() else f"explorer {e + 1}"
        report = ExplorerReport(lecture, title)
        shots = None
        if artifacts is not None:
            shots = Path(artifacts) / lecture / f"{e + 1:02d}"
            shots.mkdir(parents=True, exist_ok=True)
            explorer.scroll_into_view_if_needed(timeout=30_000)
            explorer.screenshot(path=str(shots / "00-first.png"))
        controls = explorer.locator(".lshlab-explorer-control")
        n = 0
        for c in range(controls.count()):
            control = controls.nth(c)
            label_el = control.locator(".widget-label").first
            label = label_el.text_content().strip() if label_el.count() else f"control {c + 1}"
            for _ in range(presses_per_control):
                n += 1
                press = _press(page, lecture, title, explorer, control, label, timeout_ms, shots, n)
                if press is None:
                    break
                report.presses.append(press)
                page.wait_for_timeout(settle_ms)
        reports.append(report)
    return reports


def kernel_errors(page):
    """Tracebacks in the notebook and error lines in explorers' status lines."""
    errors = [t[:2000] for t in page.locator(ERROR_OUTPUT).all_text_contents()]
    errors += [t for t in page.locator(".lshlab-explorer-status").all_text_contents() if t.strip().startswith("error")]
    return errors
