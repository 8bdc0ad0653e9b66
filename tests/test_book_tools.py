"""The pieces of the course site that run without building it (``make book`` builds; test_site.py checks
the built site in a browser): the static explorer picture, the API page generator, the docstring
escaping, the errata page and the link checker."""

from __future__ import annotations

import base64
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "docs" / "_ext"), str(ROOT / "docs")]

import check_links  # noqa: E402
import lshlab_api  # noqa: E402
import lshlab_docstrings as ds  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- static explorers (lshlab.widgets._core.Explorer._repr_mimebundle_) ---------------------------------
def _explorer():
    from lshlab.widgets import Explorer, int_slider

    def draw(result, ax):
        ax.plot(np.arange(result), np.arange(result) ** 2)
        ax.set_title(f"n = {result}")
        return ax.figure

    return Explorer(lambda n: n, draw, {"n": int_slider("points & <n>", 2, 10, 5)}, figsize=(3, 2))


def test_explorer_is_a_live_widget_by_default(monkeypatch):
    monkeypatch.delenv("LSHLAB_STATIC_WIDGETS", raising=False)
    bundle = _explorer()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "text/html" not in bundle


def test_static_explorer_shows_its_figure_and_says_sliders_need_jupyterlab(monkeypatch):
    monkeypatch.setenv("LSHLAB_STATIC_WIDGETS", "1")
    explorer = _explorer()
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    html = bundle["text/html"]
    src = html.split('src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    png = base64.b64decode(src)
    assert png.startswith(PNG_MAGIC) and png == explorer.image.value  # the figure the widget shows
    assert "JupyterLab" in html and "make lab" in html
    assert "points &amp; &lt;n&gt;" in html  # control names escaped
    assert "<n>" not in html


def test_static_explorer_renders_when_built_without_rendering(monkeypatch):
    from lshlab.widgets import Explorer, int_slider

    monkeypatch.setenv("LSHLAB_STATIC_WIDGETS", "1")
    explorer = Explorer(lambda n: n, lambda r, ax: ax.figure, {"n": int_slider("n", 1, 3)}, render=False)
    assert not explorer.image.value
    assert "data:image/png;base64," in explorer._repr_mimebundle_()["text/html"]


# -- API pages -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def api():
    return lshlab_api.collect_api("lshlab")


def test_every_public_name_is_documented_exactly_once(api):
    homes = lshlab_api.home_of(api)
    for modname, module_api in api.items():
        module = importlib.import_module(modname)
        for name in lshlab_api.exported_names(module):
            if isinstance(getattr(module, name), type(sys)):
                continue
            assert (modname, name) in homes, f"{modname}.{name} is not documented"
            home_mod, _, home_name = homes[(modname, name)].rpartition(".")
            assert getattr(importlib.import_module(home_mod), home_name) is getattr(module, name)
    documented = [f"{m}.{n}" for m, a in api.items() for n in a.home]
    assert len(documented) == len(set(documented))
    assert "lshlab.widgets.Explorer" in documented  # defined in a private module, documented publicly
    assert not any("._" in name for name in documented)


def test_api_pages_follow_the_package(api, tmp_path):
    written = lshlab_api.write_api_pages(tmp_path)
    names = {p.stem for p in written}
    assert "index" in names
    assert {m for m, a in api.items() if m != "lshlab" or a.exported} <= names
    (tmp_path / "lshlab.gone.rst").write_text("stale")
    lshlab_api.write_api_pages(tmp_path)
    assert not (tmp_path / "lshlab.gone.rst").exists(), "a module that moved leaves no stale page"
    page = (tmp_path / "lshlab.hashing.rst").read_text()
    assert ".. automodule:: lshlab.hashing" in page and "random_projection.RandomHyperplaneHash" in page


# -- docstring escaping ----------------------------------------------------------------------------------
def test_formula_lines_become_literal_blocks():
    lines = ["The metric is", "", "    d_A(x, y) = (x − y)ᵀ A (x − y),", "", "and more text."]
    out = ds.literal_formula_blocks(lines)
    assert out == ["The metric is", "", "::", "", "    d_A(x, y) = (x − y)ᵀ A (x − y),", "", "and more text."]


@pytest.mark.parametrize("lines", [
    ["Text::", "", "    already literal"],
    [".. math:: a = b", "", "    c = d"],
    ["- item", "", "  continuation of the item"],
    ["x : int", "    Description.", "", "    Second paragraph."],
])
def test_real_structure_is_left_alone(lines):
    assert ds.literal_formula_blocks(lines) == lines


def test_list_item_formula_gets_the_item_indentation():
    lines = ["* **Lemma.** For a code,", "", "      P = 1 − θ/π", ""]
    assert ds.literal_formula_blocks(lines)[2] == "  ::"


def test_plain_text_markup_is_escaped_but_markup_is_kept():
    out = ds.escape_plain_text([
        "Dice = 2|A ∩ B| / (|A| + |B|), fitted A_ and converged_; f(**params).",
        "Keep ``|x|``, :math:`|x|_2`, `link <https://a.b/c_>`_, **bold_** and *it*.",
        "* a bullet with |y|",
        "",
        ".. math:: \\|x\\|",
        "    |not text|",
    ])
    assert out[0] == r"Dice = 2\|A ∩ B\| / (\|A\| + \|B\|), fitted A\_ and converged\_; f(\*\*params)."
    assert out[1] == "Keep ``|x|``, :math:`|x|_2`, `link <https://a.b/c_>`_, **bold_** and *it*."
    assert out[2] == r"* a bullet with \|y\|"
    assert out[4:] == [".. math:: \\|x\\|", "    |not text|"]


def test_escaped_docstring_renders_as_typed():
    docutils_core = pytest.importorskip("docutils.core", reason="docutils comes with the docs extra (make book)")
    publish_doctree = docutils_core.publish_doctree

    text = "\n".join(ds.escape_plain_text(ds.literal_formula_blocks(
        ["Jaccard = |A ∩ B| / |A ∪ B| with A_ fitted", "", "    min_A  D(A, A0)", "", "done"])))
    tree = publish_doctree(text, settings_overrides={"report_level": 2, "halt_level": 2})
    assert "|A ∩ B| / |A ∪ B| with A_ fitted" in tree.astext()
    assert tree.next_node(lambda n: n.tagname == "literal_block").astext() == "min_A  D(A, A0)"


# -- errata --------------------------------------------------------------------------------------------
def test_errata_page_found_wherever_the_file_is(tmp_path):
    import lshlab_book

    assert lshlab_book.find_errata(tmp_path) is None
    (tmp_path / "notebooks").mkdir()
    errata = tmp_path / "notebooks" / "errata.md"
    errata.write_text("- Lecture 04: the sign in eq. (2).\n")
    assert lshlab_book.find_errata(tmp_path) == errata.resolve()
    assert "_generated/errata" in lshlab_book.reference_toc(True)
    assert "errata" not in lshlab_book.reference_toc(False)


def test_errata_page_titles_an_untitled_file(monkeypatch, tmp_path):
    import lshlab_book

    monkeypatch.setattr(lshlab_book, "ROOT", tmp_path)
    errata = tmp_path / "ERRATA.md"
    errata.write_text("- a fix\n")
    page = lshlab_book.errata_page(errata)
    assert page.startswith("# Errata\n") and "{include} ../../ERRATA.md" in page
    errata.write_text("# Corrections\n\n- a fix\n")
    assert lshlab_book.errata_page(errata).startswith("```{include}")


# -- link checker ----------------------------------------------------------------------------------------
def test_link_checker_finds_broken_links_anchors_and_network_loads(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="sub/page.html#here">ok</a> <a href="sub/page.html#nowhere">bad anchor</a>'
        '<a href="missing.html">missing</a> <a href="https://example.org/">external link: fine</a>'
        '<img src="data:image/png;base64,AAAA"> <script src="https://cdn.example/x.js"></script>'
        '<link rel="stylesheet" href="style.css"><a href="#top" id="top">self</a>')
    (tmp_path / "sub" / "page.html").write_text('<h1 id="here">x</h1><img src="../img.png">')
    (tmp_path / "style.css").write_text("@font-face { src: url(fonts/f.woff2?v=1); }")
    (tmp_path / "img.png").write_bytes(PNG_MAGIC)
    problems, n_pages = check_links.check_site(tmp_path)
    assert n_pages == 2
    text = "\n".join(problems)
    assert len(problems) == 4, text
    assert "#nowhere" in text and "missing.html" in text and "cdn.example" in text and "fonts/f.woff2" in text


# -- the build's contract (docs/conf.py, read without running it: it sets the kernels' environment) -----
def test_build_settings_execute_every_lecture_and_fail_on_errors():
    import ast
    import fnmatch

    tree = ast.parse((ROOT / "docs" / "conf.py").read_text(encoding="utf-8"))
    conf = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}
    literal = lambda name: ast.literal_eval(conf[name])  # noqa: E731
    assert literal("nb_execution_mode") == "cache"  # executed, cached by code
    assert literal("nb_execution_raise_on_error") is True  # a failing cell fails the build
    assert literal("nb_output_stderr") in {"warn", "error", "severe"}  # stderr output fails the -W build
    assert literal("nb_ipywidgets_js") == {}  # no widget JavaScript from a CDN
    assert literal("mathjax_path").startswith("mathjax/")  # served from the site, not a CDN
    patterns = [p for p in literal("include_patterns") if p.startswith("lectures/")]
    lectures = [f"lectures/{p.name}" for p in (ROOT / "notebooks").glob("*.py")]
    included = [name for name in lectures if any(fnmatch.fnmatch(name, pat) for pat in patterns)]
    assert sorted(included) == sorted(f"lectures/{p.name}" for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    assert (ROOT / "docs" / "lectures").resolve() == (ROOT / "notebooks").resolve()
