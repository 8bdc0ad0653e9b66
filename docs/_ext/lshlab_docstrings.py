"""Plain-text docstrings made safe for reStructuredText, so the API pages show them as ``help()`` does.

lshlab's numpydoc docstrings write formulas as plain text for ``help()``: ``|A ∩ B|`` for a
cardinality, ``A_`` for a fitted attribute, ``f(**params)``, and indented formula lines under a sentence.
In reST these are a substitution, a hyperlink reference, an unclosed strong emphasis and a block quote
(build errors, or red error boxes on the page).  Two autodoc hooks turn them back into what the author
meant, without touching real markup (inline literals, roles such as ``:math:``, hyperlinks, ``.. math::``
and literal blocks are left alone):

- :func:`literal_formula_blocks` (before numpydoc): an indented block that follows a sentence after a
  blank line becomes a literal block (an ``::`` paragraph is inserted, which reST does not display);
- :func:`escape_plain_text` (after numpydoc): ``|``, a trailing ``_`` and unbalanced ``*``/``**`` in
  plain text are backslash-escaped, so they print as typed.
"""

from __future__ import annotations

import re

__all__ = ["literal_formula_blocks", "escape_plain_text", "setup"]

_LIST_ITEM = re.compile(r"^(\s*)([-*+•]|\d+[.)]|#\.|\(\d+\))\s+")
_TABLE_BORDER = re.compile(r"^\s*\+[-=+]+\+\s*$")
# tokens that are markup already: inline literals, roles, hyperlink references, interpreted text,
# valid strong / emphasis spans (start followed by non-space, end preceded by non-space)
_PROTECTED = re.compile(
    r"``.+?``"
    r"|:[\w:+.-]+:`[^`]*`"
    r"|`[^`]+`__?"
    r"|`[^`]+`"
    r"|\*\*(?=\S)[^*]*?(?<=\S)\*\*(?!\w)"
    r"|(?<![\w*])\*(?=[^\s*])[^*]*?(?<=[^\s\\])\*(?![\w*])"
)
_TRAILING_UNDERSCORE = re.compile(r"(?<=\w)(_{1,2})(?=[\s.,;:!?)\]}'\"]|$)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def literal_formula_blocks(lines: list[str]) -> list[str]:
    """Insert an ``::`` paragraph before an indented block that follows a text paragraph.

    Not for a block after ``::``, after a directive (``.. math::``), a doctest (``>>>``), or a list
    item's continuation paragraph (indented exactly to the item's text)."""

    out: list[str] = []
    para_start = None  # index in ``out`` of the first line of the current paragraph
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            out.append(line)
            para_start = None
            i += 1
            continue
        prev = next((j for j in range(len(out) - 1, -1, -1) if out[j].strip()), None)
        blank_before = prev is not None and prev < len(out) - 1
        if para_start is None and blank_before and not line.lstrip().startswith(">>>"):
            # first line of a new paragraph after a blank line: look at the paragraph before it
            k = prev
            while k > 0 and out[k - 1].strip():
                k -= 1
            first, last = out[k], out[prev]
            item = _LIST_ITEM.match(last)
            base = item.end() if item else _indent(last)  # the text indentation it continues
            title = re.fullmatch(r"\s*[-=~^]{3,}\s*", last) is not None
            if (_indent(line) > base and not last.rstrip().endswith("::")
                    and not first.lstrip().startswith(("..", ">>>"))):
                out.extend([" " * (_indent(last) if title else base) + "::", ""])
        if para_start is None:
            para_start = len(out)
        out.append(line)
        i += 1
    return out


def _escape_segment(text: str) -> str:
    text = text.replace("|", r"\|")
    text = _TRAILING_UNDERSCORE.sub(lambda m: "\\" + "\\".join(m.group(1)), text)
    text = text.replace("*", r"\*")
    return text


def escape_line(line: str) -> str:
    """Escape ``|``, trailing ``_`` and stray ``*`` outside the markup tokens of one line."""

    out, pos = [], 0
    for match in _PROTECTED.finditer(line):
        out.append(_escape_segment(line[pos:match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_segment(line[pos:]))
    return "".join(out)


def escape_plain_text(lines: list[str]) -> list[str]:
    """Escape plain text in reST ``lines``, skipping literal blocks, directives' content and doctests."""

    has_table = any(_TABLE_BORDER.match(line) for line in lines)
    out = []
    skip_indent = None  # inside a literal block / directive body: lines indented more than this
    for line in lines:
        stripped = line.strip()
        if skip_indent is not None:
            if not stripped or _indent(line) > skip_indent:
                out.append(line)
                continue
            skip_indent = None
        if not stripped:
            out.append(line)
            continue
        if stripped.startswith(".. ") or stripped.startswith(">>>") or stripped.startswith("..."):
            out.append(line)
            if stripped.startswith(".. "):
                skip_indent = _indent(line)
            continue
        if has_table and stripped[0] in "+|":
            out.append(line)
            continue
        item = _LIST_ITEM.match(line)
        head = item.group(0) if item else ""
        out.append(head + escape_line(line[len(head):]))
        if stripped.endswith("::"):
            skip_indent = _indent(line)
    return out


def _before_numpydoc(app, what, name, obj, options, lines):
    lines[:] = literal_formula_blocks(lines)


def _after_numpydoc(app, what, name, obj, options, lines):
    lines[:] = escape_plain_text(lines)


def setup(app):
    # numpydoc's own handler runs at the default priority (500)
    app.connect("autodoc-process-docstring", _before_numpydoc, priority=400)
    app.connect("autodoc-process-docstring", _after_numpydoc, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
