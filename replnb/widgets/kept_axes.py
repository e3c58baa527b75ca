"""Explorers that keep their axes and a cached background, redrawing only the data."""

from __future__ import annotations

import gc
import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN, TICKLEFT, MarkerStyle
from matplotlib.text import Text
from matplotlib.ticker import Locator, NullLocator
from matplotlib.transforms import ScaledTranslation

from ..plots import round_up
from .base import Explorer, R, encode

__all__ = ["KeptAxesExplorer", "RunCache", "TickArtists", "round_limits", "ticks_as_data_key"]


class KeptAxesExplorer(Explorer[R]):
    """An explorer whose figure has a fixed layout and keeps its axes between updates.

    The first render creates the axes (:meth:`make_axes`, placed with
    ``figure.add_axes``, no layout engine); later renders remove only the
    data artists and reset the limits, so ticks, labels and axes are not
    rebuilt on every slider move. A caption (HTML above the figure) replaces
    in-figure titles and legends, which cost a glyph rendering each.

    Rendering is split in two layers, as in matplotlib's blitting recipe: the
    *background* (everything but the data: axes, ticks, tick labels, axis
    labels, titles, colour bars) and the *data* (the lines, collections,
    patches, texts, images and legends of the kept axes). A background is
    drawn once and kept as pixels under its :meth:`background_key` (the last
    :attr:`backgrounds` of them); a render whose key is known restores those
    pixels and draws only the data.
    Every render, first or not, paints the background first and the data
    over it, so an explorer moved to some parameters shows the same pixels as
    a fresh one built with them.
    """

    keep_axes = True
    #: How many backgrounds (about 1.3 MB of pixels each) are kept.
    backgrounds: ClassVar[int] = 8

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], *, columns: int = 3) -> None:
        _freeze_long_lived()
        super().__init__(controls, columns=columns)
        self.figure.set_layout_engine("none")
        self._kept_axes: tuple[Any, ...] = ()
        self._canvas = FigureCanvasAgg(self.figure)
        self._backgrounds: dict[tuple[Any, ...], Any] = {}
        self._extents: dict[tuple[Any, ...], Any] = {}

    def make_axes(self, figure: Figure) -> tuple[Any, ...]:
        """Create the axes whose data is replaced on every update (once per figure)."""
        raise NotImplementedError

    def axes_for(self, figure: Figure) -> tuple[Any, ...]:
        """The figure's axes, emptied of data: created on first use, reused afterwards."""
        if self._kept_axes and all(ax.figure is figure and ax in figure.axes for ax in self._kept_axes):
            for ax in self._kept_axes:
                for artist in _data_artists(ax):
                    artist.remove()
                ax.containers.clear()  # bar containers would hold the removed bars
                ax.relim()
                ax.set_autoscale_on(True)
            return self._kept_axes
        figure.clear()
        figure.set_layout_engine("none")
        self._backgrounds.clear()
        self._extents.clear()
        self._kept_axes = self.make_axes(figure)
        return self._kept_axes

    def background_key(self) -> tuple[Any, ...]:
        """What the background's pixels depend on: for every axes of the figure, its
        position, limits, scales, ticks and their labels, titles and axis labels.

        A subclass whose :meth:`draw` changes anything else that is not data
        (a spine's colour, say) between updates must add it here (or to
        :meth:`axes_key`, if it belongs to one axes).
        """
        return (self._figure_key(), *(self.axes_key(ax) for ax in self.figure.axes))

    def _figure_key(self) -> tuple[Any, ...]:
        return (self.figure.bbox.bounds, tuple(t.get_text() for t in self.figure.texts))

    def axes_key(self, ax: Any) -> tuple[Any, ...]:
        """What one axes' background depends on (its part of :meth:`background_key`)."""
        key: list[Any] = [ax.get_position().bounds, ax.get_visible(), ax.axison]
        key += [ax.get_title(loc) for loc in ("left", "center", "right")]
        for axis in (ax.xaxis, ax.yaxis):
            key += [tuple(axis.get_view_interval()), axis.get_scale(), axis.get_label_text()]
            for locator, formatter in (
                (axis.get_major_locator(), axis.get_major_formatter()),
                (axis.get_minor_locator(), axis.get_minor_formatter()),
            ):
                locs = list(locator())
                key += [tuple(locs), tuple(formatter.format_ticks(locs))]
        return tuple(key)

    def png(self) -> bytes:
        """The background (restored from pixels when unchanged), then the data over it.

        A background not seen before is drawn in full, unless it differs from
        the last one only in some axes whose drawing (old and new) overlaps no
        other axes: then only those axes are redrawn over the last background.
        """
        canvas = self._canvas
        if self.figure.canvas is not canvas:  # someone drew the figure elsewhere
            self.figure.set_canvas(canvas)
            self._backgrounds.clear()
            self._extents.clear()
        for ax in self.figure.axes:
            ax.apply_aspect()  # as a full draw does first: the limits of an equal-aspect axes
        data = [_data_artists(ax) for ax in self._kept_axes]
        key = self.background_key()
        background = self._backgrounds.pop(key, None)
        if background is None:
            background = self._redraw_some(key, data) or self._draw_background(key, data)
            while len(self._backgrounds) >= self.backgrounds:
                del self._backgrounds[next(iter(self._backgrounds))]  # the least recently used
        else:
            canvas.restore_region(background[0])
        self._backgrounds[key] = background
        renderer = canvas.get_renderer()
        for artists in data:
            for artist in sorted(artists, key=lambda a: a.get_zorder()):
                artist.draw(renderer)
        return encode(canvas)

    def _draw_background(
        self, key: tuple[Any, ...], data: list[list[Any]]
    ) -> tuple[Any, tuple[Any, ...] | None]:
        """Draw the whole figure without its data; its pixels and each axes' drawn extent.

        The extents (what a partial redraw needs, a tight bounding box of every
        axes: about a fifth of a first display) are left out of the first
        background: an explorer whose background never changes never needs
        them, and the second background, drawn in full, has them.
        """
        with _hidden(data):
            self._canvas.draw()
            renderer = self._canvas.get_renderer()
            regions = None
            if self._backgrounds:
                regions = tuple(self._extent(i, renderer, key[i + 1]) for i in range(len(self.figure.axes)))
        return self._canvas.copy_from_bbox(self.figure.bbox), regions

    def _extent(self, i: int, renderer: Any, key: tuple[Any, ...]) -> Any:
        """The pixels that axes ``i`` draws on (data hidden), widened by :data:`_PAD`.

        The whole figure if unknown. Kept by the axes' :meth:`axes_key`, which
        fixes everything that the extent depends on.
        """
        ax = self.figure.axes[i]
        if key not in self._extents:
            if len(self._extents) > 256:
                self._extents.clear()
            box = ax.get_tightbbox(renderer)
            self._extents[key] = self.figure.bbox if box is None else box.padded(_PAD)
        return self._extents[key]

    def _redraw_some(self, key: tuple[Any, ...], data: list[list[Any]]) -> tuple[Any, tuple[Any, ...]] | None:
        """The new background drawn over the last one, redrawing only the axes that changed.

        None (draw it all) when there is no last background of the same figure,
        when every axes changed, when the figure holds artists of its own or is
        not opaque, or when the axes to redraw grow to all of them: a changed axes'
        old or new extent that touches another axes has that one redrawn too.
        """
        if not self._backgrounds or self.figure.get_children()[1:] != self.figure.axes:
            return None
        last_key = next(reversed(self._backgrounds))
        pixels, regions = self._backgrounds[last_key]
        if (
            regions is None
            or last_key[0] != key[0]
            or len(last_key) != len(key)
            or self.figure.patch.get_alpha() not in (None, 1)
        ):
            return None
        axes = self.figure.axes
        changed = [i for i in range(len(axes)) if last_key[i + 1] != key[i + 1]]
        if not changed or len(changed) == len(axes):
            return None
        self._canvas.restore_region(pixels)
        renderer = self._canvas.get_renderer()
        with _hidden(data):
            new = self._spread(set(changed), regions, renderer, key)
            if new is None:
                return None
            spans = [r for i in new for r in (regions[i], new[i])]
            buffer = np.asarray(self._canvas.buffer_rgba())
            face = np.round(255 * np.array(to_rgba(self.figure.get_facecolor()))).astype(np.uint8)
            for span in spans:
                _fill(buffer, span, face)
            for ax in sorted((axes[i] for i in sorted(new)), key=lambda a: a.get_zorder()):
                ax.draw(renderer)
        fresh = tuple(new.get(i, region) for i, region in enumerate(regions))
        return self._canvas.copy_from_bbox(self.figure.bbox), fresh

    def _spread(
        self, redraw: set[int], regions: tuple[Any, ...], renderer: Any, key: tuple[Any, ...]
    ) -> dict[int, Any] | None:
        """The new extents of the axes to redraw: ``redraw`` and every axes their drawing touches."""
        axes = self.figure.axes
        new: dict[int, Any] = {}
        while len(redraw) < len(axes):
            for i in redraw - new.keys():
                new[i] = self._extent(i, renderer, key[i + 1])
            spans = [r for i in new for r in (regions[i], new[i])]
            touched = {
                j for j in range(len(axes)) if j not in new and any(s.overlaps(regions[j]) for s in spans)
            }
            if not touched:
                return new
            redraw |= touched
        return None


def _freeze_long_lived() -> None:
    """Once per process, move every object alive (modules, pandas, matplotlib: what lives as
    long as the kernel) out of the garbage collector's reach, so that its full collections
    scan only what was made since.

    A full collection of a kernel with pandas and matplotlib loaded took 70-110 ms of CPU,
    and one fell inside a slider move every few dozen: they were the slowest moves of every
    explorer (issue 17); after this, one takes 5-11 ms. The garbage is collected first, so
    nothing that is garbage now is kept (frozen objects are never collected); the objects
    made later (explorers, figures) are collected as usual.
    """
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.collect()
        gc.freeze()


#: Whether :func:`_freeze_long_lived` has run in this process.
_FROZEN = False

#: Pixels added around each axes' drawn extent (antialiased edges spill a little).
_PAD = 3.0


@contextmanager
def _hidden(data: list[list[Any]]) -> Iterator[None]:
    """The visible data artists hidden for the duration."""
    shown = [a for artists in data for a in artists if a.get_visible()]
    for artist in shown:
        artist.set_visible(False)
    try:
        yield
    finally:
        for artist in shown:
            artist.set_visible(True)


def _fill(buffer: np.ndarray, bbox: Any, color: np.ndarray) -> None:
    """Paint ``bbox`` (display pixels, origin at the bottom left) of an RGBA ``buffer`` with ``color``."""
    height, width = buffer.shape[:2]
    x0, x1 = max(0, math.floor(bbox.x0)), min(width, math.ceil(bbox.x1))
    y0, y1 = max(0, math.floor(bbox.y0)), min(height, math.ceil(bbox.y1))
    if x0 < x1 and y0 < y1:
        buffer[height - y1 : height - y0, x0:x1] = color


def _data_artists(ax: Any) -> list[Any]:
    """The artists of ``ax`` that an update replaces (its legend included)."""
    artists = [*ax.collections, *ax.patches, *ax.lines, *ax.texts, *ax.images]
    legend = ax.get_legend()
    return artists if legend is None else [*artists, legend]


def round_limits(ax: Any) -> None:
    """Widen the data limits of ``ax`` (from 0) to its tick locators' next round numbers.

    Limits that move less often keep an explorer's background (its ticks and
    their labels) the same across more slider moves.
    """

    for axis, set_lim in ((ax.xaxis, ax.set_xlim), (ax.yaxis, ax.set_ylim)):
        set_lim(0.0, round_up(axis, max(float(axis.get_data_interval()[1]), 1.0)))


def ticks_as_data_key(figure: Figure) -> tuple[Any, ...]:
    """A background key for a figure whose axes draw their ticks as data (:class:`TickArtists`).

    Shaped as :meth:`KeptAxesExplorer.background_key`'s: the figure's part,
    then one part per axes (what a partial redraw compares, axes by axes).
    An axis whose locators are both :class:`~matplotlib.ticker.NullLocator`
    draws no tick, so its limits do not change the background's pixels
    (the axis labels must have fixed places: ``set_label_coords``); an axis
    that draws ticks keys them as :meth:`KeptAxesExplorer.axes_key` does.
    """
    return (
        (figure.bbox.bounds, tuple(t.get_text() for t in figure.texts)),
        *(_ticks_as_data_axes_key(ax) for ax in figure.axes),
    )


def _ticks_as_data_axes_key(ax: Axes) -> tuple[Any, ...]:
    titles = [ax.get_title(loc) for loc in ("left", "center", "right")]
    key: list[Any] = [ax.get_visible(), ax.axison, *titles]
    if _blank(ax):  # it paints nothing but its titles: where it sits and its limits do not matter
        return tuple(key)
    key.append(ax.get_position().bounds)
    for axis in (ax.xaxis, ax.yaxis):
        drawn = (axis.get_major_locator(), axis.get_minor_locator())
        key += [axis.get_label_text(), tuple(type(locator).__name__ for locator in drawn)]
        if not all(isinstance(locator, NullLocator) for locator in drawn):
            locs = list(drawn[0]())
            key += [tuple(axis.get_view_interval()), tuple(locs)]
            key += [tuple(axis.get_major_formatter().format_ticks(locs)), tuple(drawn[1]())]
    return tuple(key)


def _blank(ax: Axes) -> bool:
    """Whether ``ax`` draws no axis and a background of the figure's own colour (or none).

    Such an axes adds nothing to the background's pixels, wherever it sits:
    a graph drawn with ``ax.axis("off")`` in an equal-aspect axes, whose
    position follows its limits. An axes with a title is not blank (its title
    moves with it).
    """
    if ax.axison or any(ax.get_title(loc) for loc in ("left", "center", "right")):
        return False
    patch = ax.patch
    return not patch.get_visible() or to_rgba(patch.get_facecolor()) == to_rgba(ax.figure.get_facecolor())


class TickArtists:
    """The ticks, tick labels and grid lines of one axes, drawn as data artists, not as its axes'.

    An explorer that keeps its axes draws everything but the data once, as
    a background kept in pixels, until the limits or the ticks change: the
    space-time diagram's window changes with every run, so every run would
    pay for a new background, and its tick labels were most of the cost.
    Drawn as plain texts and markers among the data, kept from one draw to
    the next and only moved, they cost a fraction of that, and the
    background (the spines and the axis labels) stays the same.

    :meth:`draw` puts the x ticks of ``x_locator`` within the limits (with
    vertical grid lines) and the y ticks of ``y_locator`` (default: those the
    plot set, with its formatter) on the axes (with horizontal grid lines if
    ``y_grid``); afterwards its axis draws no tick.
    """

    def __init__(
        self,
        ax: Axes,
        x_locator: Locator | None,
        *,
        y_grid: bool,
        y_locator: Locator | None = None,
        x_grid: bool = True,
    ) -> None:
        rc = plt.rcParams
        self.ax, self.x_locator, self.y_locator = ax, x_locator, y_locator
        along_x, along_y = ax.get_xaxis_transform(), ax.get_yaxis_transform()
        grid = {"colors": rc["grid.color"], "linewidths": rc["grid.linewidth"], "alpha": rc["grid.alpha"]}
        self.grids = (
            LineCollection([], transform=along_x, zorder=1.5, **grid) if x_grid else None,
            LineCollection([], transform=along_y, zorder=1.5, **grid) if y_grid else None,
        )
        size, pad = rc["xtick.major.size"], rc["xtick.major.pad"]
        mark = {"ls": "none", "color": rc["xtick.color"], "ms": size, "mew": rc["xtick.major.width"]}
        self.marks = (
            Line2D([], [], marker=MarkerStyle(TICKDOWN), transform=along_x, clip_on=False, **mark),
            Line2D([], [], marker=MarkerStyle(TICKLEFT), transform=along_y, clip_on=False, **mark),
        )
        shift = (size + pad) / 72.0
        self._places = (
            along_x + ScaledTranslation(0, -shift, ax.figure.dpi_scale_trans),
            along_y + ScaledTranslation(-shift, 0, ax.figure.dpi_scale_trans),
        )
        self._sizes = (rc["xtick.labelsize"], rc["ytick.labelsize"])
        self.labels: tuple[list[Text], list[Text]] = ([], [])

    def _label(self, which: int, i: int) -> Text:
        pool = self.labels[which]
        while len(pool) <= i:
            label = Text(0, 0, "", transform=self._places[which], fontsize=self._sizes[which], clip_on=False)
            if which == 0:
                label.set_horizontalalignment("center")
                label.set_verticalalignment("top")
            else:
                label.set_horizontalalignment("right")
                label.set_verticalalignment("center_baseline")
            pool.append(label)
        return pool[i]

    def draw(self) -> None:
        """Put the current ticks on the axes (after its data artists were emptied)."""
        ax = self.ax
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        x_text = _tick_texts(ax.xaxis, self.x_locator, x0, x1)
        y_text = _tick_texts(ax.yaxis, self.y_locator, y0, y1)
        xs = [x for x in x_text if x0 - 1e-9 <= x <= x1 + 1e-9]
        ys = [y for y in y_text if y0 - 1e-9 <= y <= y1 + 1e-9]
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(NullLocator())
        x_grid, y_grid = self.grids
        # an axis without ticks gets no marks: an empty line's extent is the figure's corner
        artists: list[Artist] = [mark for mark, ticks in zip(self.marks, (xs, ys), strict=True) if ticks]
        if x_grid is not None:
            x_grid.set_segments([[(x, 0.0), (x, 1.0)] for x in xs])
            artists.append(x_grid)
        if y_grid is not None:
            y_grid.set_segments([[(0.0, y), (1.0, y)] for y in ys])
            artists.append(y_grid)
        self.marks[0].set_data(xs, [0.0] * len(xs))
        self.marks[1].set_data([0.0] * len(ys), ys)
        for which, ticks, texts in ((0, xs, [x_text[x] for x in xs]), (1, ys, [y_text[y] for y in ys])):
            for i, (at, text) in enumerate(zip(ticks, texts, strict=True)):
                label = self._label(which, i)
                label.set_position((at, 0.0) if which == 0 else (0.0, at))
                label.set_text(text)
                artists.append(label)
        for artist in artists:
            ax.add_artist(artist)


def _tick_texts(axis: Any, locator: Locator | None, lo: float, hi: float) -> dict[float, str]:
    """The ticks of ``locator`` between ``lo`` and ``hi`` (``f"{v:g}"``), or, without one,
    those that ``axis`` has now, with its formatter's labels."""
    if locator is not None:
        return {float(v): f"{float(v):g}" for v in locator.tick_values(lo, hi)}
    locs = [float(v) for v in axis.get_major_locator()()]
    return dict(zip(locs, axis.get_major_formatter().format_ticks(locs), strict=True))


class RunCache:
    """The last ``size`` results of an explorer's model, by the arguments they depend on.

    A slider moved back to a value it had (or a move that leaves the model's
    arguments as they were: a level that names the same quorum size) gets the
    run already made, not a new simulation. The models are deterministic (a
    seed is among their arguments), so a kept run is the run a new call would
    make.

    Examples
    --------
    >>> calls = []
    >>> cache = RunCache(2)
    >>> cache.get(("n", 3), lambda: calls.append(3) or "run 3")
    'run 3'
    >>> cache.get(("n", 3), lambda: calls.append(3) or "again"), calls
    ('run 3', [3])
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The result kept under ``key``, else ``compute()`` (kept, the least recently used dropped)."""
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        value = compute()
        self._kept[key] = value
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return value
