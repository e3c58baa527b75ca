"""Explorers that keep their axes and a cached background, redrawing only the data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..plots import round_up
from .base import Explorer, R, encode

__all__ = ["KeptAxesExplorer", "round_limits"]


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
        super().__init__(controls, columns=columns)
        self.figure.set_layout_engine("none")
        self._kept_axes: tuple[Any, ...] = ()
        self._canvas = FigureCanvasAgg(self.figure)
        self._backgrounds: dict[tuple[Any, ...], Any] = {}

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
        self._kept_axes = self.make_axes(figure)
        return self._kept_axes

    def background_key(self) -> tuple[Any, ...]:
        """What the background's pixels depend on: for every axes of the figure, its
        position, limits, scales, ticks and their labels, titles and axis labels.

        A subclass whose :meth:`draw` changes anything else that is not data
        (a spine's colour, say) between updates must add it here.
        """
        key: list[Any] = [self.figure.bbox.bounds, tuple(t.get_text() for t in self.figure.texts)]
        for ax in self.figure.axes:
            key += [ax.get_position().bounds, ax.get_visible(), ax.axison]
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
        """The background (restored from pixels when unchanged), then the data over it."""
        canvas = self._canvas
        if self.figure.canvas is not canvas:  # someone drew the figure elsewhere
            self.figure.set_canvas(canvas)
            self._backgrounds.clear()
        data = [_data_artists(ax) for ax in self._kept_axes]
        key = self.background_key()
        background = self._backgrounds.pop(key, None)
        if background is None:
            shown = [a for artists in data for a in artists if a.get_visible()]
            for artist in shown:
                artist.set_visible(False)
            try:
                canvas.draw()
            finally:
                for artist in shown:
                    artist.set_visible(True)
            background = canvas.copy_from_bbox(self.figure.bbox)
            while len(self._backgrounds) >= self.backgrounds:
                del self._backgrounds[next(iter(self._backgrounds))]  # the least recently used
        else:
            canvas.restore_region(background)
        self._backgrounds[key] = background
        renderer = canvas.get_renderer()
        for artists in data:
            for artist in sorted(artists, key=lambda a: a.get_zorder()):
                artist.draw(renderer)
        return encode(canvas)


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
