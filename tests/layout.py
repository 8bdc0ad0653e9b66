"""Text layout checks for figures: no two text boxes overlap and none leaves the figure.

Used by the plot tests on every plot helper (issue 22): a title printed over an axis label, two
subplot titles running together, or a y-label cut off at the left edge all fail here with the two
texts named.
"""

from __future__ import annotations

import numpy as np
from matplotlib.text import Text

#: pixels two boxes may share (anti-aliasing, glyph overhang) before they count as overlapping
TOLERANCE_PX = 1.0


def _drawn_tick_labels(ax):
    """Tick labels matplotlib actually draws: visible, non-empty, at a tick inside the view limits."""
    out = set()
    for axis in (ax.xaxis, ax.yaxis):
        lo, hi = sorted(axis.get_view_interval())
        span = hi - lo
        for tick in axis.get_major_ticks() + axis.get_minor_ticks():
            loc = tick.get_loc()
            if loc is None or not (lo - 1e-9 * span <= loc <= hi + 1e-9 * span):
                continue
            for label in (tick.label1, tick.label2):
                if label.get_visible() and label.get_text().strip():
                    out.add(label)
    return out


def _all_tick_labels(ax):
    return {label for axis in (ax.xaxis, ax.yaxis) for tick in axis.get_major_ticks() + axis.get_minor_ticks()
            for label in (tick.label1, tick.label2)}


def _visible_texts(fig):
    """Every text artist matplotlib draws: visible and non-empty, tick labels only inside the view."""
    ticks_drawn, ticks_all = set(), set()
    for ax in fig.axes:
        if ax.get_visible():
            ticks_drawn |= _drawn_tick_labels(ax)
        ticks_all |= _all_tick_labels(ax)
    found = []
    for artist in fig.findobj(Text):
        if artist in ticks_all and artist not in ticks_drawn:
            continue
        if not artist.get_visible() or not artist.get_text().strip():
            continue
        if artist.axes is not None and not artist.axes.get_visible():
            continue
        found.append(artist)
    return found


def _name(text):
    ax = text.axes
    where = "figure" if ax is None else (ax.get_title() or ax.get_title(loc="left") or f"axes {ax.get_label() or id(ax)}")
    return f"{text.get_text()!r} (in {where!r})"


def _in_same_legend(a, b, legends):
    return any(a in lg.get_texts() and b in lg.get_texts() for lg in legends)


def _boxes(fig, texts, renderer):
    return [t.get_window_extent(renderer) for t in texts]


def text_layout_problems(fig, *, allow_outside=()):
    """List human-readable problems: text outside the figure, or two texts overlapping.

    Tick labels are checked against the other texts (a title over a tick label is a problem) and
    against each other on the same axis only when they overlap by more than a few pixels
    (crowded ticks).  Texts inside the same legend are never compared with each other.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = _visible_texts(fig)
    boxes = _boxes(fig, texts, renderer)
    W, H = fig.bbox.width, fig.bbox.height
    legends = [lg for ax in fig.axes for lg in ([ax.get_legend()] if ax.get_legend() else [])]
    legends += list(getattr(fig, "legends", []))
    problems = []
    for t, b in zip(texts, boxes):
        if t in allow_outside:
            continue
        if b.x0 < -TOLERANCE_PX or b.y0 < -TOLERANCE_PX or b.x1 > W + TOLERANCE_PX or b.y1 > H + TOLERANCE_PX:
            problems.append(f"{_name(t)} leaves the figure (box {np.round(b.extents, 1)}, figure {W:.0f}×{H:.0f})")
    n = len(texts)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = texts[i], texts[j]
            if _in_same_legend(a, b, legends):
                continue
            ba, bb = boxes[i], boxes[j]
            dx = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            dy = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if dx > TOLERANCE_PX and dy > TOLERANCE_PX:
                problems.append(f"{_name(a)} overlaps {_name(b)} by {dx:.0f}×{dy:.0f} px")
    return problems
