"""Figures that are drawn once and then updated in place: the fast redraw of :class:`~lshlab.widgets.Explorer`.

A slider move changes a few curves, points and labels; axes, ticks, axis labels, reference curves and
theory bands stay.  Rasterising the whole figure again (Agg draws every glyph of every tick label) is
what made a move cost 150–500 ms.  A :class:`View` therefore splits its figure in two:

- **static parts**, drawn by :meth:`View.build` for the first result and rasterised once into a
  background bitmap (one per static state, see :meth:`View.static_key`);
- **dynamic artists** (registered with :meth:`View.animate`), whose data :meth:`View.update` sets
  (``set_data``, ``set_offsets``, ``set_text``, …) on every move; the explorer restores the background and
  rasterises only these artists over it — matplotlib's blitting (the "Faster rendering by using
  blitting" guide), here into the Agg buffer that becomes the widget's PNG.

The pure ``draw_<topic>(result, axes)`` of a topic builds the same figure in one go (``View(axes).draw``),
so lectures, tests and static pages see the very picture the explorer shows.

:func:`png_rgb` is the PNG encoder of the explorers: no row filter and zlib level 1 on RGB bytes
(Pillow's encoder tries adaptive row filters, which costs about twice as long for the same figure and
saves little on flat-colour plots).
"""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np

__all__ = ["View", "ErrorBars", "HighlightedCurves", "TextRasterCache", "set_band", "png_rgb", "nice_ceiling"]


class View:
    """The figure of one explorer: static parts drawn once, dynamic artists updated in place.

    Subclasses implement :meth:`build` (draw everything for a first result, registering the artists a
    move changes with :meth:`animate`) and :meth:`update` (set a new result's data on those artists).
    When a move must also change static parts (axis limits, an axis label), :meth:`update` changes them
    and :meth:`static_key` returns a new value: the explorer then rasterises a new background for that
    key (and keeps it, so coming back to a key redraws only the dynamic artists again).  The static
    parts must be a function of the key alone.

    Parameters
    ----------
    axes : Axes or array of Axes
        Where to draw (as ``draw_<topic>(result, axes)`` receives them).
    """

    def __init__(self, axes):
        self.axes = axes
        self.ax = np.ravel(axes)[0] if not hasattr(axes, "figure") else axes
        self.figure = self.ax.figure
        self.dynamic = []

    # -- to implement -------------------------------------------------------------------------
    def build(self, result):
        """Draw the figure for ``result``: static parts and the dynamic artists (via :meth:`animate`)."""
        raise NotImplementedError

    def update(self, result):
        """Set ``result`` on the dynamic artists (and on the static parts when :meth:`static_key` changes)."""
        raise NotImplementedError

    def static_key(self):
        """Hashable description of the static parts as they are now (default: they never change)."""
        return None

    # -- helpers ------------------------------------------------------------------------------
    def animate(self, *artists):
        """Register artists (or containers / lists of them) redrawn on every move; returns the first."""
        for a in artists:
            if a is None:
                continue
            if isinstance(a, (ErrorBars, HighlightedCurves)):
                self.animate(*a.artists)
            elif isinstance(a, (list, tuple)):  # lists and matplotlib containers (tuples of artists)
                self.animate(*a)
            else:
                self.dynamic.append(a)
        return artists[0] if artists else None

    def draw(self, result):
        """Build the whole figure for ``result`` (what ``draw_<topic>`` returns): the Figure."""
        self.build(result)
        return self.figure


class ErrorBars:
    """Points with vertical error bars that can be moved: one ``Line2D`` for the markers, one
    ``LineCollection`` for the bars (``Axes.errorbar`` builds a container that cannot be updated)."""

    def __init__(self, ax, x, y, err, *, color, label=None, marker="o", ms=4, alpha=1.0, lw=1.2, zorder=3):
        from matplotlib.collections import LineCollection

        self.bars = LineCollection(self._segments(x, y, err), colors=color, linewidths=lw, alpha=alpha,
                                   zorder=zorder, label="_nolegend_")
        ax.add_collection(self.bars, autolim=False)
        (self.points,) = ax.plot(x, y, ls="none", marker=marker, ms=ms, color=color, alpha=alpha, label=label,
                                 zorder=zorder + 0.01)

    @staticmethod
    def _segments(x, y, err):
        x, y = np.asarray(x, float), np.asarray(y, float)
        e = np.zeros_like(y) if err is None else np.broadcast_to(np.asarray(err, float), y.shape)
        return np.stack([np.column_stack([x, y - e]), np.column_stack([x, y + e])], axis=1)

    def set(self, x, y, err):
        self.points.set_data(x, y)
        self.bars.set_segments(self._segments(x, y, err))

    @property
    def artists(self):
        return [self.bars, self.points]


class HighlightedCurves:
    """One panel of a precomputed grid: a thin grey line per option (static), the chosen option's line
    drawn over them in colour and the chosen x marked with a dot and its value (these three move).

    Parameters
    ----------
    ax : Axes
    x : sequence
        The x values shared by every curve (e.g. dimensions, numbers of features).
    curves : dict option -> sequence of y (same length as ``x``)
    label : callable(option) -> str
        Legend text of the chosen curve.
    fmt : str
        Format of the marked value (e.g. ``"{:.2f}"``).
    loc : str
        Legend location (a fixed one: ``"best"`` would be recomputed on every move).
    """

    def __init__(self, ax, x, curves, *, label=str, fmt="{:.3g}", color="tab:blue", loc="upper right"):
        self.x = np.asarray(x, dtype=float)
        self.curves = {k: np.asarray(v, dtype=float) for k, v in curves.items()}
        self.label, self.fmt = label, fmt
        for y in self.curves.values():
            ax.plot(self.x, y, color="0.75", lw=1, marker="o", ms=3, zorder=1.5)
        (self.line,) = ax.plot([], [], color=color, lw=2.2, marker="o", ms=5, zorder=2.5)
        (self.dot,) = ax.plot([], [], ls="none", marker="o", ms=11, mfc="none", mec="black", mew=2, zorder=3)
        self.value = ax.annotate("", (0, 0), textcoords="offset points", xytext=(8, 8), fontsize="small",
                                 bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="0.7", alpha=0.9), zorder=4)
        self.legend = ax.legend([self.line], [""], fontsize="small", loc=loc)  # fixed place: drawn from the cache

    def select(self, option, x_value):
        """Highlight the curve of ``option`` and mark its value at ``x_value`` (one of ``x``)."""
        y = self.curves[option]
        i = int(np.argmin(np.abs(self.x - float(x_value))))
        self.line.set_data(self.x, y)
        self.dot.set_data([self.x[i]], [y[i]])
        right_half = i > (self.x.size - 1) / 2  # the value box points inwards, so it never leaves the axes
        self.value.xy = (self.x[i], y[i])
        self.value.xyann = (-8 if right_half else 8, 8)
        self.value.set_horizontalalignment("right" if right_half else "left")
        self.value.set_text(self.fmt.format(y[i]))
        self.legend.get_texts()[0].set_text(self.label(option))
        return y[i]

    @property
    def artists(self):
        return [self.line, self.dot, self.value, self.legend]


def set_band(band, x, lower, upper):
    """Move a ``fill_between`` band (any ``PolyCollection``) to the region between ``lower`` and ``upper``."""
    x, lower, upper = (np.asarray(v, dtype=float) for v in (x, lower, upper))
    band.set_verts([np.concatenate([np.column_stack([x, lower]), np.column_stack([x, upper])[::-1]])])


def nice_ceiling(value, steps=(1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)):
    """The smallest "round" number ≥ ``value`` (1, 1.25, 1.5, 2, … × 10^k): an axis limit that changes
    only when the data outgrow it, so a slider move rarely changes the static parts."""
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    for s in steps:
        if s * scale >= value * (1 - 1e-12):
            return s * scale
    return 10.0 * scale


class TextRasterCache:
    """Rasterised text kept between moves: titles, annotations and legends are pasted, not re-rendered.

    Rendering text is most of what a blit costs (every glyph is laid out and rasterised again: a title or a
    legend costs more than thousands of markers).  The first time a text artist (``Text``, an annotation,
    a ``Legend``) is drawn in a given state — its strings and its box on the canvas — it is drawn onto a
    transparent scratch canvas and the RGBA pixels of its box are kept; later draws in the same state
    composite those pixels over the canvas ("over": c = α·c_text + (1 − α)·c_below), which is what
    drawing it does up to rounding.  Any change of the strings or of the box draws it again.
    """

    max_entries = 512

    def __init__(self, figure):
        from matplotlib.backends.backend_agg import RendererAgg

        width, height = figure.canvas.get_width_height(physical=True)
        self.scratch = RendererAgg(width, height, figure.dpi)
        self.patches = {}

    @staticmethod
    def handles(artist):
        """Whether the cache draws ``artist`` (text-like artists)."""
        from matplotlib.legend import Legend
        from matplotlib.text import Text

        return isinstance(artist, (Text, Legend))

    def _key(self, artist, renderer):
        from matplotlib.legend import Legend

        box = artist.get_window_extent(renderer)
        if isinstance(artist, Legend):
            texts = tuple(t.get_text() for t in artist.get_texts())
        else:
            texts = (artist.get_text(), artist.get_color(), artist.get_fontsize(), artist.get_rotation())
        return (id(artist), texts, tuple(np.round(box.extents, 2))), box

    def draw(self, artist, renderer, canvas_rgba):
        """Draw ``artist`` onto ``canvas_rgba`` (the writable RGBA array of ``renderer``'s canvas)."""
        key, box = self._key(artist, renderer)
        entry = self.patches.get(key)
        if entry is None:
            h, w = canvas_rgba.shape[:2]
            x0, x1 = max(0, int(np.floor(box.x0)) - 3), min(w, int(np.ceil(box.x1)) + 3)
            y0, y1 = max(0, h - int(np.ceil(box.y1)) - 3), min(h, h - int(np.floor(box.y0)) + 3)
            if x1 <= x0 or y1 <= y0:
                return
            self.scratch.clear()
            artist.draw(self.scratch)
            patch = np.asarray(self.scratch.buffer_rgba())[y0:y1, x0:x1]
            alpha = patch[..., 3:4].astype(np.uint16)
            entry = (y0, y1, x0, x1, patch[..., :3].astype(np.uint16) * alpha, 255 - alpha)
            if len(self.patches) >= self.max_entries:
                self.patches.clear()
            self.patches[key] = entry
        y0, y1, x0, x1, premultiplied, keep = entry
        below = canvas_rgba[y0:y1, x0:x1, :3]
        below[...] = (premultiplied + below * keep + 127) // 255


def _chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(tag)))


def png_rgb(rgba, crop=None):
    """PNG bytes (8-bit RGB, no row filter, zlib level 1) of an ``(h, w, 4)`` uint8 RGBA buffer.

    ``crop``: ``(left, top, right, bottom)`` pixel box to keep.  The alpha channel is dropped (the
    explorers' figures have an opaque background).
    """
    a = np.asarray(rgba)
    if crop is not None:
        left, top, right, bottom = (int(v) for v in crop)
        a = a[top:bottom, left:right]
    h, w = a.shape[:2]
    raw = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    raw[:, 0] = 0  # filter type "None" on every row
    raw[:, 1:].reshape(h, w, 3)[...] = a[..., :3]
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 1))
            + _chunk(b"IEND", b""))
