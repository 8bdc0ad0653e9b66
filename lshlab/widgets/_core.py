"""The reusable explorer pattern: sliders → pure ``update(**params)`` → ``draw(result, axes)`` → image.

Every explorer in the course is built from :class:`Explorer`::

    explorer = Explorer(
        update=partial(update_something, data),   # update_something(data, *, n_bits) -> SomethingResult
        draw=draw_something,                      # draw_something(result, axes) -> Figure
        controls={"n_bits": selection_slider("bits", [16, 64, 256], 64)},
        view=SomethingView,                       # optional: static parts once, dynamic artists per move
        ncols=2, figsize=(11, 4.2),
    )
    display(explorer)

``update`` receives every control's value as a keyword argument named like the control (plus
``fixed``), so an ``update_<topic>(data..., *, params)`` function is wired by binding its data with
:func:`functools.partial`.

Design choices
--------------
- The figure is a bare :class:`matplotlib.figure.Figure` (no pyplot state, so nothing leaks into
  the notebook and nothing is displayed twice).  After each redraw it is rendered to PNG and shown in an
  :class:`ipywidgets.Image` at its natural size (one image pixel per CSS pixel, scaled down only when
  the output is narrower); this works identically in JupyterLab, in VS Code, from callbacks and
  headless, without relying on an interactive matplotlib backend.
- **Redraw only what changed.**  With a ``view`` (a :class:`~lshlab.widgets._view.View` class), the
  static parts (axes, ticks, labels, reference curves) are rasterised once into a background bitmap and
  a move sets the new data on the view's dynamic artists, restores the background and rasterises only
  those artists (blitting), then encodes the buffer (:func:`~lshlab.widgets._view.png_rgb`).  The layout
  is constrained layout, computed when a background is drawn.  Without a view, the whole figure is
  cleared, drawn and rendered on every move (the tight bounding box of the drawn artists, as
  ``savefig(bbox_inches="tight")``; see :meth:`Explorer.render_png`).
- Sliders use ``continuous_update=False`` (one update when the handle is released, not one per pixel).
  A change redraws at the next turn of the kernel's event loop, so changes that arrive together (a
  burst of keyboard auto-repeat) give one redraw; within ``debounce`` seconds of the previous redraw
  the next one waits out the rest of that interval (at most one redraw per ``debounce`` while a key is
  held).  An isolated change therefore redraws at once.
- ``update``, ``draw`` and ``render`` times of the last refresh are kept in ``explorer.timings``
  (milliseconds) and shown under the figure; ``pending(params)`` may name a computation a first visit
  of a setting needs (e.g. encoding the database), shown while it runs and after it.
- **Warm the neighbours.**  With ``pending`` (a computing explorer) in a live kernel, the first
  render and each move queue the settings one key press away that are not cached yet (the next step
  in the direction of the last move first; at most ``warm`` of them, and about half a second of work
  per move) on a background thread (:mod:`~lshlab.widgets._warm`), so the learner's next step usually
  finds its setting computed; a step to a setting still being computed waits only for the rest of
  it.  Nothing runs in the background in scripts and tests (no kernel event loop) or for static pages.
- An exception in ``update``/``draw`` is shown (HTML-escaped) in the status line instead of killing
  the widget.
- Static pages: with ``LSHLAB_STATIC_WIDGETS=1`` (set by the site build, ``make book``) an explorer is
  displayed as HTML holding the PNG of its current figure and a note that the sliders need JupyterLab,
  instead of a live widget view that a static page cannot drive.
"""

from __future__ import annotations

import asyncio
import base64
import html
import io
import os
import time

import ipywidgets as w
import numpy as np

from ._view import TextRasterCache, png_rgb
from ._warm import Warmer, move_direction, neighbour_settings

__all__ = ["Explorer", "int_slider", "float_slider", "selection_slider", "log_slider"]

_PNG_FAST = {"compress_level": 1}  # Pillow's zlib level when a figure must go through savefig
_MAX_BACKGROUNDS = 16  # cached background bitmaps per explorer (one per static state of its view)


def int_slider(description, min, max, value=None, step=1, **kwargs):
    """``IntSlider`` with ``continuous_update=False``."""

    return w.IntSlider(
        value=min if value is None else value, min=min, max=max, step=step, description=description,
        continuous_update=False, style={"description_width": "initial"}, **kwargs,
    )


def float_slider(description, min, max, value=None, step=None, **kwargs):
    """``FloatSlider`` with ``continuous_update=False``."""

    step = (max - min) / 100 if step is None else step
    return w.FloatSlider(
        value=min if value is None else value, min=min, max=max, step=step, description=description,
        continuous_update=False, style={"description_width": "initial"}, **kwargs,
    )


def log_slider(description, min, max, value=None, **kwargs):
    """``FloatLogSlider`` (base 10) between ``min`` and ``max`` (> 0), ``continuous_update=False``."""

    if min <= 0 or max <= min:
        raise ValueError(f"log_slider needs 0 < min < max, got ({min}, {max})")
    return w.FloatLogSlider(
        value=min if value is None else value, base=10, min=np.log10(min), max=np.log10(max),
        step=(np.log10(max) - np.log10(min)) / 50, description=description,
        continuous_update=False, style={"description_width": "initial"}, **kwargs,
    )


def selection_slider(description, options, value=None, **kwargs):
    """``SelectionSlider`` over explicit values (e.g. code lengths 16, 32, …), ``continuous_update=False``."""

    options = list(options)
    if not options:
        raise ValueError("selection_slider needs at least one option")
    return w.SelectionSlider(
        options=options, value=options[0] if value is None else value, description=description,
        continuous_update=False, style={"description_width": "initial"}, **kwargs,
    )


class Explorer(w.VBox):
    """An ``ipywidgets.VBox`` of controls, the figure image and a status line, wired to a pure
    ``update`` and a ``draw``.

    Parameters
    ----------
    update : callable(**params) -> result
        Pure computation; receives ``fixed`` plus the current value of every control by name.
    draw : callable(result, axes) -> Figure
        Draws ``result``; ``axes`` is a single Axes when ``nrows == ncols == 1`` else an array.
    controls : dict name -> ipywidgets value widget
        Slider / dropdown per parameter of ``update``.
    fixed : dict, optional
        Extra keyword arguments always passed to ``update``.
    nrows, ncols, figsize, dpi : figure layout.
    debounce : float
        Least time in seconds between two redraws while changes keep coming (0 = redraw on every
        change, synchronously); default 0.05.
    title : str, optional
        HTML heading shown above the controls.
    render : bool
        Render the first figure at construction (default True).
    margins : dict, optional
        Without a ``view``: fixed ``Figure.subplots_adjust`` keywords (e.g. ``dict(left=0.07,
        right=0.97, wspace=0.3)``).  Default: the image is cropped to the tight bounding box of the drawn
        artists (see :meth:`render_png`).
    view : callable(axes) -> View, optional
        A :class:`~lshlab.widgets._view.View` class (or a ``functools.partial`` of one with display
        options) drawing the same figure as ``draw``: static parts once, dynamic artists per move.
    pending : callable(**params) -> str or None, optional
        What a refresh with these control values must compute first (``None``: nothing, e.g. cached);
        shown in the status line while it runs and after it ("first visit").
    warm : int, optional
        With ``pending``: in a live kernel, after the first render and after each move, precompute up
        to this many uncached settings one key press away in a background thread (default 4; 0 = never).

    ``display(explorer)`` shows it; ``refresh()`` runs update + draw now and returns the result;
    ``timings`` holds the last ``update_ms``, ``draw_ms`` and ``render_ms`` (and ``mode``: ``"blit"``
    when only the dynamic artists were rasterised, ``"full"`` when a background was drawn, ``"figure"``
    without a view).
    """

    def __init__(self, update, draw, controls, *, fixed=None, nrows=1, ncols=1, figsize=(10, 4),
                 dpi=80, debounce=0.05, title=None, render=True, margins=None, view=None, pending=None,
                 warm=None):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if not callable(update) or not callable(draw):
            raise ValueError("update and draw must be callables")
        if view is not None and not callable(view):
            raise ValueError("view must be a View class (callable(axes) -> View) or None")
        if pending is not None and not callable(pending):
            raise ValueError("pending must be a callable(**params) -> str or None")
        warm = (4 if pending is not None else 0) if warm is None else warm
        if isinstance(warm, bool) or not isinstance(warm, (int, np.integer)) or warm < 0:
            raise ValueError(f"warm must be a non-negative int (settings precomputed per move), got {warm!r}")
        if warm and pending is None:
            raise ValueError("warm needs pending (it precomputes only settings that pending reports as uncached)")
        if not isinstance(controls, dict) or not controls:
            raise ValueError("controls must be a non-empty dict name -> ipywidgets widget")
        super().__init__()
        self.add_class("lshlab-explorer")
        self.update_fn = update
        self.draw_fn = draw
        self.view_factory = view
        self.pending_fn = pending
        self.controls = dict(controls)
        self.warm = int(warm)
        self.warmer = None  # Warmer, in a live kernel (see _start_warming)
        self._last_move = None  # (control name, +1 / -1) of the latest change
        self.fixed = dict(fixed or {})
        self.nrows, self.ncols = int(nrows), int(ncols)
        self.debounce = float(debounce)
        self.margins = None if margins is None else dict(margins)
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        # natural size: no stretching by the VBox (align_self), scaled down only by max-width
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%", height="auto", align_self="flex-start"))
        self.image.add_class("lshlab-explorer-image")
        self.status = w.HTML()
        self.status.add_class("lshlab-explorer-status")
        self.result = None
        self.timings = {}
        self.view = None
        self._timer = None
        self._last_refresh = -np.inf
        self._backgrounds = {}  # static key of the view -> background bitmap
        self._texts = None  # TextRasterCache of the view's text artists
        self._tight_box = None  # padded tight bbox (inches) of the last render (no view)
        self._tight_boxes = {}  # ... and of the last render at each control setting
        children = []
        if title:
            children.append(w.HTML(f"<b>{title}</b>"))
        children.append(w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")))
        children += [self.image, self.status]
        self.children = children
        for ctrl in self.controls.values():
            ctrl.add_class("lshlab-explorer-control")
            ctrl.observe(self._on_change, names="value")
        if render:
            if _live_kernel():
                self._start_warming()
            self.refresh()

    # -- public -----------------------------------------------------------------------------
    @property
    def params(self):
        """Current control values, by name."""
        return {name: ctrl.value for name, ctrl in self.controls.items()}

    def refresh(self):
        """Run ``update`` and ``draw`` with the current control values; return the result."""
        self._timer = None
        params = self.params
        try:
            note = self.pending_fn(**self.fixed, **params) if self.pending_fn is not None else None
            t0 = time.perf_counter()
            background = bool(note) and self.warmer is not None and self.warmer.running(params)
            if note:
                where = ", finishing in the background" if background else ""
                self.status.value = f"<small>{html.escape(str(note))} (first visit{where}) …</small>"
            waited = self.warmer.wait_for(params) if background else None
            if waited is not None and self.pending_fn(**self.fixed, **params) is not None:
                waited = None  # the background run failed: this update computes (and shows the error)
            result = self.update_fn(**self.fixed, **params)
            t1 = time.perf_counter()
            if self.view_factory is None:
                self._draw_figure(result)
                mode = "figure"
            else:
                mode = self._draw_view(result)
            t2 = time.perf_counter()
            png = self.render_png() if mode == "figure" else self._render_view(mode)
            self._show(png)
            t3 = time.perf_counter()
        except Exception as exc:  # show the problem, keep the widget alive
            self.status.value = (f"<span style='color:#b00'>error: "
                                 f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</span>")
            raise
        finally:
            self._last_refresh = time.perf_counter()
        self.result = result
        self.timings = {"update_ms": 1e3 * (t1 - t0), "draw_ms": 1e3 * (t2 - t1), "render_ms": 1e3 * (t3 - t2),
                        "mode": mode}
        extra = ""
        if note and waited is not None:
            extra = f" · {html.escape(str(note))}: finished in the background (first visit, waited {waited:.0f} ms)"
        elif note:
            extra = f" · {html.escape(str(note))}: done (first visit, kept for later)"
        self.status.value = (
            f"<small>update {self.timings['update_ms']:.0f} ms · draw {self.timings['draw_ms']:.0f} ms · "
            f"render {self.timings['render_ms']:.0f} ms ({mode}){extra}</small>"
        )
        if self.warmer is not None:
            self._warm_neighbours(params)
        return result

    def close(self):
        """Close the widget (and its controls' comms) and stop its background warming."""
        warmer = getattr(self, "warmer", None)  # None also when __init__ failed (ipywidgets closes in __del__)
        if warmer is not None:
            warmer.stop()
        super().close()

    def render_png(self):
        """Render the current figure (drawn without a view) and return PNG bytes.

        One Agg draw of the reused canvas, then a fast PNG encoding of its buffer
        (:func:`~lshlab.widgets._view.png_rgb`).  Without fixed ``margins`` the picture is the one of
        ``savefig(bbox_inches="tight")`` (the artists' tight bounding box plus ``savefig.pad_inches``)
        without its extra layout pass: the figure is drawn into the box it had the last time the
        controls had these values (else into the box of the previous redraw: a slider move rarely
        changes the layout) — by cropping the canvas when the box lies inside the figure, else by one
        ``savefig(bbox_inches=<box>)`` when something reaches outside (e.g. an x label below the bottom
        edge) — and the tight box measured after that draw (cheap: ticks and text layouts are then
        cached) is compared with it; only when they differ by more than a pixel is the figure drawn
        again into the new box.  With a layout engine (constrained / tight layout set on the figure)
        ``savefig(bbox_inches="tight")`` is used as is.  With a view, the image is the whole figure.
        """
        from matplotlib import rcParams

        fig = self.figure
        if self.view is not None:
            fig.canvas.draw()
            return png_rgb(fig.canvas.buffer_rgba())
        if self.margins is not None:
            return _draw_png(fig, None)
        if fig.get_layout_engine() is not None:
            return _savefig_png(fig, "tight")
        pad = rcParams["savefig.pad_inches"]
        key = tuple(sorted((name, repr(value)) for name, value in self.params.items()))
        box = self._tight_boxes.get(key, self._tight_box)
        if box is None:  # first render: measure before drawing
            box = _padded_tight_bbox(fig, fig.canvas.get_renderer(), pad)
        png = _draw_png(fig, box)
        actual = _padded_tight_bbox(fig, fig.canvas.get_renderer(), pad)
        if not _same_box(actual, box, 1.0 / fig.dpi):
            box = actual
            png = _draw_png(fig, box)
        self._tight_box = box
        if len(self._tight_boxes) >= 1024:
            self._tight_boxes.clear()
        self._tight_boxes[key] = box
        return png

    def _repr_mimebundle_(self, **kwargs):
        """The widget view; with ``LSHLAB_STATIC_WIDGETS=1`` a static picture of the current figure
        (``text/html``: the PNG as a data URI and a note naming the controls) instead."""
        if not _static_widgets():
            return super()._repr_mimebundle_(**kwargs)
        if not self.image.value:
            self.refresh()
        labels = ", ".join(html.escape(str(c.description or name)) for name, c in self.controls.items())
        title = next((c.value for c in self.children[:1] if isinstance(c, w.HTML)), "")
        png = base64.b64encode(self.image.value).decode("ascii")
        note = (f"A static picture of the first setting. The controls ({labels}) need JupyterLab: run "
                "this lecture with <code>make lab</code>.")
        return {
            "text/html": (f'<div class="lshlab-static-explorer">{title}'
                          f'<img src="data:image/png;base64,{png}" alt="explorer figure ({labels})"/>'
                          f'<p class="lshlab-static-note">{note}</p></div>'),
            "text/plain": f"<static explorer: {labels}; the controls need JupyterLab>",
        }

    # -- internals --------------------------------------------------------------------------
    def _draw_figure(self, result):
        """No view: clear the figure and draw ``result`` from scratch."""
        self.figure.clear()
        axes = self.figure.subplots(self.nrows, self.ncols, squeeze=True)
        self.draw_fn(result, axes)
        if self.margins is not None:
            self.figure.subplots_adjust(**self.margins)

    def _draw_view(self, result):
        """Build the view on the first call (or when its axes left the figure, e.g. after
        ``explorer.figure.clear()``), else update it; "blit" when a background for the view's static state
        is cached, "full" when one must be drawn."""
        if self.view is None or self.view.ax not in self.figure.axes:
            fig = self.figure
            fig.clear()
            axes = fig.subplots(self.nrows, self.ncols, squeeze=True)
            fig.set_layout_engine("constrained")
            view = self.view_factory(axes)
            view.build(result)
            self.view = view
            self._backgrounds.clear()
            self._texts = TextRasterCache(fig)
            return "full"
        self.view.update(result)
        return "blit" if self.view.static_key() in self._backgrounds else "full"

    def _render_view(self, mode):
        """Rasterise: a new background (static parts; constrained layout runs in this draw) when
        ``mode == "full"``, else the cached background and the axes positions it was drawn with; then
        the dynamic artists over it, in z-order; PNG of the canvas."""
        fig, view = self.figure, self.view
        canvas, key = fig.canvas, view.static_key()
        if mode == "full":
            for artist in view.dynamic:
                artist.set_animated(True)
            canvas.draw()
            if len(self._backgrounds) >= _MAX_BACKGROUNDS:
                self._backgrounds.clear()
            self._backgrounds[key] = (canvas.copy_from_bbox(fig.bbox), [ax.get_position() for ax in fig.axes])
        else:
            background, positions = self._backgrounds[key]
            for ax, pos in zip(fig.axes, positions):
                if ax.get_position().bounds != pos.bounds:  # another static state had another layout
                    ax.set_position(pos)
                    ax.set_in_layout(True)  # set_position takes it out of the layout engine
            canvas.restore_region(background)
        renderer = canvas.get_renderer()
        pixels = np.asarray(canvas.buffer_rgba())
        for artist in sorted(view.dynamic, key=lambda a: a.get_zorder()):
            if not artist.get_visible():
                continue
            if self._texts.handles(artist):
                self._texts.draw(artist, renderer, pixels)
            else:
                artist.draw(renderer)
        return png_rgb(pixels)

    def _show(self, png):
        self.image.value = png
        width = str(int.from_bytes(png[16:20], "big"))  # IHDR width: the natural size
        if self.image.width != width:
            self.image.width = width

    def _warm_neighbours(self, params):
        """Queue the uncached settings one key press from ``params`` (replacing older queued work)."""
        settings = neighbour_settings(self.controls, params, last_move=self._last_move, limit=self.warm,
                                      needed=lambda s: self.pending_fn(**self.fixed, **s) is not None)
        self.warmer.schedule(settings)

    def _start_warming(self):
        if self.warm and self.warmer is None and not _static_widgets():
            self.warmer = Warmer(lambda s: self.update_fn(**self.fixed, **s),
                                 lambda s: self.pending_fn(**self.fixed, **s))

    def _note_move(self, change):
        """Remember which control moved and which way (for the order of warming)."""
        owner, old, new = change.get("owner"), change.get("old"), change.get("new")
        name = next((n for n, c in self.controls.items() if c is owner), None)
        if name is None:
            return
        self._last_move = (name, move_direction(owner, old, new))

    def _on_change(self, change):
        self._note_move(change)
        if self.debounce <= 0:
            self._refresh_quietly()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:  # no kernel event loop (a script, a test): redraw now
            self._refresh_quietly()
            return
        self._start_warming()  # a move in a live kernel
        if self._timer is not None:  # a redraw is scheduled: it reads the latest values
            return
        wait = max(0.0, self.debounce - (time.perf_counter() - self._last_refresh))
        self._timer = loop.call_later(wait, self._refresh_quietly)

    def _refresh_quietly(self):
        try:
            self.refresh()
        except Exception:  # already reported in the status line
            pass


def _static_widgets():
    """True when explorers are shown as static pictures (``LSHLAB_STATIC_WIDGETS=1``, the site build)."""
    return os.environ.get("LSHLAB_STATIC_WIDGETS", "").strip().lower() in {"1", "true", "yes", "on"}


def _live_kernel():
    """True inside a running event loop (a Jupyter kernel executing a cell or handling a widget message)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _savefig_png(fig, bbox_inches):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches=bbox_inches, pil_kwargs=_PNG_FAST)
    return buf.getvalue()


def _draw_png(fig, box):
    """PNG of ``fig`` cropped to ``box`` (inches, None = whole figure) with one draw: crop the Agg
    canvas when ``box`` lies inside the figure, else ``savefig`` into the larger box."""
    canvas = fig.canvas
    crop = None if box is None else _crop_box(box, fig)
    if box is not None and crop is None:
        return _savefig_png(fig, box)
    canvas.draw()
    width, _ = canvas.get_width_height(physical=True)
    pixels = None
    if crop is not None:
        scale = width / fig.bbox_inches.width
        pixels = tuple(int(round(v * scale)) for v in crop)
    return png_rgb(canvas.buffer_rgba(), crop=pixels)


def _same_box(a, b, tol):
    if a is None or b is None:
        return a is b
    return bool(np.all(np.abs(np.asarray(a.extents) - np.asarray(b.extents)) <= tol))


def _padded_tight_bbox(fig, renderer, pad_inches):
    """Tight bounding box of the figure's artists (inches) padded by ``pad_inches``, or None if empty."""
    bbox = fig.get_tightbbox(renderer)
    if bbox is None or not np.all(np.isfinite(bbox.extents)) or bbox.width <= 0 or bbox.height <= 0:
        return None
    try:
        pad = float(pad_inches)
    except (TypeError, ValueError):  # "layout": constrained layout's own padding (no engine here)
        pad = 0.1
    return bbox.padded(pad)


def _crop_box(bbox, fig, tol=0.5):
    """``(left, upper, right, lower)`` in inches from the figure's top-left corner for a padded tight
    ``bbox`` inside the figure (up to ``tol`` pixels), or None when it reaches beyond the figure."""
    w, h = fig.bbox_inches.width, fig.bbox_inches.height
    x0, y0, x1, y1 = bbox.extents
    if min(x0, y0, w - x1, h - y1) < -tol / fig.dpi:
        return None
    return max(0.0, x0), max(0.0, h - y1), min(w, x1), min(h, h - y0)
