"""The built course site in a real browser (``make book`` then ``make check-book``; ``.ci/run`` does both).

Serves ``_build/html`` on a loopback port and opens every page in headless Debian Chromium (no network:
MathJax, fonts and scripts must come from the site).  Checks:

- every page loads with no failed request, no HTTP error and no JavaScript error;
- every lecture page shows figures (each ``<img>`` decoded, ``naturalWidth > 0``) and no error output
  (no traceback / error / stderr output cell);
- every page with maths (the API pages from the numpydoc docstrings, some lectures) has it typeset by
  MathJax: one ``mjx-container`` per formula and no MathJax error;
- the internal links (``docs/check_links.py``): every local ``href``/``src`` and anchor exists.

Screenshots of the landing page and of one lecture go to ``test-artifacts/site/`` for a person to look at.
Skipped with a reason when the site has not been built.
"""

from __future__ import annotations

import functools
import http.server
import re
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "test-artifacts" / "site"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
]
MATHJAX_TIMEOUT_MS = 30_000


def _pages() -> list[str]:
    if not (SITE / "index.html").is_file():
        return []
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html") if "_static" not in p.parts)


PAGES = _pages()
needs_site = pytest.mark.skipif(not PAGES, reason=f"{SITE.relative_to(ROOT)} is missing: run `make book` first")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: apt-get update && apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # nothing leaves the machine: any request to another host is refused and recorded
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server)
                  else route.abort())
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def _visit(page, url):
    """Open ``url``; return the problems seen while loading it."""

    problems = []
    on_failed = lambda req: problems.append(f"request failed: {req.url}")  # noqa: E731
    on_response = lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}")  # noqa: E731
    on_error = lambda exc: problems.append(f"JavaScript error: {exc}")  # noqa: E731
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("pageerror", on_error)
    try:
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
    finally:
        page.remove_listener("requestfailed", on_failed)
        page.remove_listener("response", on_response)
        page.remove_listener("pageerror", on_error)
    return problems


def _wait_for_maths(page):
    """Number of formulas and of typeset MathJax containers once MathJax has finished."""

    n_math = page.locator("span.math, div.math").count()
    if n_math:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=MATHJAX_TIMEOUT_MS)
        page.evaluate("() => MathJax.startup.promise")
    return n_math, page.locator("mjx-container").count(), page.locator("mjx-merror").count()


@needs_site
def test_internal_links():
    sys.path.insert(0, str(ROOT / "docs"))
    from check_links import check_site

    problems, n_pages = check_site(SITE)
    assert n_pages == len(PAGES)
    assert not problems, "\n".join(problems[:50])


@needs_site
def test_site_has_the_expected_parts():
    lectures = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    built = sorted(Path(p).name for p in PAGES if p.startswith("lectures/"))
    assert built == [name.replace(".py", ".html") for name in lectures], "every lecture has a page"
    assert "index.html" in PAGES and "performance.html" in PAGES and "api/index.html" in PAGES
    landing = (SITE / "index.html").read_text(encoding="utf-8")
    for name in lectures:
        assert f'href="lectures/{name.replace(".py", ".html")}"' in landing, f"landing page lists {name}"
    text = " ".join(re.sub(r"<[^>]+>", " ", landing).split())
    assert "make lab" in text and "make test" in text, "landing page gives the two commands"


@needs_site
@pytest.mark.parametrize("path", PAGES)
def test_page_in_browser(page, server, path):
    problems = _visit(page, f"{server}/{path}")
    assert not problems, "\n".join(problems)
    n_math, n_typeset, n_errors = _wait_for_maths(page)
    assert n_typeset >= n_math, f"{path}: {n_math} formulas but {n_typeset} typeset by MathJax"
    assert n_errors == 0, f"{path}: {n_errors} MathJax errors"
    if path.startswith("lectures/"):
        images = page.evaluate("""() => Array.from(document.querySelectorAll('article img'),
            img => ({src: img.src.slice(0, 80), ok: img.complete && img.naturalWidth > 0}))""")
        assert images, f"{path} shows no figure"
        broken = [img["src"] for img in images if not img["ok"]]
        assert not broken, f"{path}: images not shown: {broken}"
        bad = page.locator("div.output.traceback, div.output.error, div.output.stderr").count()
        assert bad == 0, f"{path}: {bad} error/stderr outputs"
        for note in page.locator(".lshlab-static-explorer .lshlab-static-note").all_inner_texts():
            assert "JupyterLab" in note


@needs_site
def test_api_pages_render_formulas(page, server):
    """At least one API page has formulas (the numpydoc ``.. math::`` blocks), and MathJax typesets them."""

    typeset = 0
    for path in (p for p in PAGES if p.startswith("api/")):
        if 'class="math' not in (SITE / path).read_text(encoding="utf-8"):
            continue
        assert not _visit(page, f"{server}/{path}")
        n_math, n_typeset, n_errors = _wait_for_maths(page)
        assert n_typeset >= n_math > 0 and n_errors == 0, path
        typeset += n_typeset
    assert typeset > 0, "no API page has a typeset formula"


@needs_site
def test_screenshots(page, server):
    """The landing page (whole) and the first lecture with an explorer, at that explorer."""

    lectures = [p for p in PAGES if p.startswith("lectures/")]
    with_explorer = [p for p in lectures if "lshlab-static-explorer" in (SITE / p).read_text(encoding="utf-8")]
    lecture = (with_explorer or lectures)[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert not _visit(page, f"{server}/index.html")
    page.screenshot(path=str(ARTIFACTS / "landing.png"), full_page=True)
    assert not _visit(page, f"{server}/{lecture}")
    target = page.locator(".lshlab-static-explorer")
    (target if target.count() else page.locator("article img")).first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"lecture_{Path(lecture).stem}.png"))
