"""Internal link check of the built site (``make check-book``): offline, unlike ``sphinx-build -b linkcheck``.

For every HTML page under the site root: each ``href``/``src``/``srcset`` pointing into the site names an
existing file, and its ``#fragment`` an existing ``id`` (or ``name``) in the target page; CSS files'
``url(...)`` references exist too.  Resources the browser loads by itself (scripts, stylesheets, images,
fonts, frames) must be local: the site has to work without a network.  Links *to* other sites
(``<a href="https://...">``) are allowed and not fetched.

Usage: ``python docs/check_links.py [_build/html]``; exits 1 and lists the problems if there are any.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["check_site", "main"]

#: (tag, attribute) pairs the browser follows or loads, and whether the browser loads them by itself
_LINK_ATTRS = {
    ("a", "href"): False, ("area", "href"): False,
    ("link", "href"): True, ("script", "src"): True, ("img", "src"): True, ("img", "srcset"): True,
    ("source", "src"): True, ("source", "srcset"): True, ("iframe", "src"): True, ("video", "src"): True,
    ("audio", "src"): True, ("embed", "src"): True, ("object", "data"): True,
}
_NOT_FILES = ("data:", "mailto:", "javascript:", "tel:", "about:")
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
#: Jinja macro files that themes ship in _static; not pages
_SKIP_DIRS = {"_static"}


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, str, bool]] = []  # (tag, attr, value, loaded by the browser)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        rel = (attrs.get("rel") or "").lower()
        for attr, value in attrs.items():
            kind = _LINK_ATTRS.get((tag, attr))
            if kind is None or not value:
                continue
            if tag == "link" and not ({"stylesheet", "icon", "preload", "modulepreload"} & set(rel.split())):
                kind = False  # e.g. rel="index"/"search"/"next": a link, not a resource
            values = [v.strip().split()[0] for v in value.split(",") if v.strip()] if attr == "srcset" else [value]
            for v in values:
                self.links.append((tag, attr, v, kind))


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme in ("http", "https") or url.startswith("//"))


def check_site(root: Path) -> tuple[list[str], int]:
    """Return (problems, number of pages checked) for the site under ``root``."""

    root = Path(root).resolve()
    pages = sorted(p for p in root.rglob("*.html") if not (_SKIP_DIRS & set(p.relative_to(root).parts)))
    parsed: dict[Path, _PageParser] = {}

    def parse(page: Path) -> _PageParser:
        if page not in parsed:
            parser = _PageParser()
            parser.feed(page.read_text(encoding="utf-8", errors="replace"))
            parsed[page] = parser
        return parsed[page]

    problems = []

    def check_target(source: Path, url: str, loaded: bool, what: str) -> None:
        if url.startswith(_NOT_FILES):
            return
        if _is_external(url):
            if loaded:
                problems.append(f"{source.relative_to(root)}: {what} loads {url} from the network")
            return
        parts = urlsplit(url)
        if parts.scheme:  # another scheme (e.g. a custom protocol): not a file of the site
            return
        path = unquote(parts.path)
        target = source if not path else (source.parent / path)
        if path.endswith("/") or (target.is_dir() and path):
            target = target / "index.html"
        try:
            target = target.resolve()
            target.relative_to(root)
        except ValueError:
            problems.append(f"{source.relative_to(root)}: {what} {url} points outside the site")
            return
        if not target.is_file():
            problems.append(f"{source.relative_to(root)}: {what} {url}: no such file")
            return
        fragment = unquote(parts.fragment)
        if fragment and target.suffix == ".html" and fragment not in parse(target).ids:
            problems.append(f"{source.relative_to(root)}: {what} {url}: no anchor #{fragment} in "
                            f"{target.relative_to(root)}")

    for page in pages:
        for tag, attr, url, loaded in parse(page).links:
            check_target(page, url, loaded, f"<{tag} {attr}>")
    for css in sorted(root.rglob("*.css")):
        for url in _CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace")):
            if not url.startswith("#"):  # "#id": an SVG reference inside the page, not a file
                check_target(css, url, True, "url()")
    return problems, len(pages)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else "_build/html")
    if not (root / "index.html").is_file():
        print(f"{root}/index.html does not exist: build the site first (make book)", file=sys.stderr)
        return 2
    problems, n_pages = check_site(root)
    for problem in problems:
        print(problem)
    print(f"{n_pages} pages checked, {len(problems)} broken or external resource links")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
