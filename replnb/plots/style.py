"""The one style of the course: palette, colour meanings, rcParams, axes helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

__all__ = ["COLORS", "PALETTE", "STYLE", "F", "course_style", "finish_barh", "new_axes", "round_up", "styled"]

#: Okabe & Ito's colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: Meanings used across the course.
COLORS = {
    "ok": "#0072B2",
    "write": "#0072B2",
    "read": "#009E73",
    "lost": "#D55E00",
    "stale": "#E69F00",
    "message": "#7F7F7F",
    "dropped": "#7F7F7F",  # grey like a message: only a lost write is red
    "down": "#BBBBBB",
    "highlight": "#CC79A7",
}

#: The one style of the course (matplotlib rcParams).
STYLE: dict[Any, Any] = {
    "axes.prop_cycle": plt.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "font.family": "DejaVu Sans",
    "figure.constrained_layout.use": True,
}

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def course_style() -> Iterator[None]:
    """:data:`STYLE` in effect inside the block; the rcParams it sets are restored after it.

    As ``plt.rc_context(STYLE)``, but it saves only the parameters that
    :data:`STYLE` sets, not a validated copy of all of them: that copy took
    1-2 ms, and an explorer's move enters the style once per plot (up to
    nine times), on every move.

    Examples
    --------
    >>> before = plt.rcParams["axes.titleweight"]
    >>> with course_style():
    ...     plt.rcParams["axes.titleweight"]
    'bold'
    >>> plt.rcParams["axes.titleweight"] == before
    True
    """
    saved = {key: dict.__getitem__(mpl.rcParams, key) for key in STYLE}
    mpl.rcParams.update(STYLE)
    try:
        yield
    finally:
        dict.update(mpl.rcParams, saved)  # the saved values were valid: no need to validate them again


def styled(fn: F) -> F:
    """Run a plotting function under the course style."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with course_style():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_axes(ax: Axes | None = None, figsize: tuple[float, float] = (8.0, 3.2)) -> Axes:
    """``ax`` itself, or the axes of a new figure (not shown) in the course style."""
    if ax is not None:
        return ax
    with course_style():
        fig = plt.figure(figsize=figsize)
        return fig.add_subplot()


def round_up(axis: Any, value: float) -> float:
    """The tick of ``axis``'s major locator at or just above ``value``, counting from 0.

    A round number for the top of an axes: limits that snap to ticks move less
    often, so an explorer redraws its ticks and their labels less often.

    Examples
    --------
    >>> ax = new_axes()
    >>> ax.yaxis.set_major_locator(plt.MaxNLocator(4, steps=[1, 2, 5, 10]))
    >>> round_up(ax.yaxis, 137.0)
    150.0
    >>> plt.close(ax.figure)
    """
    return float(axis.get_major_locator().tick_values(0.0, value)[-1])


def finish_barh(ax: Axes, xlabel: str, title: str | None) -> Axes:
    """The common end of a horizontal bar chart: x label, no y grid, legend right, title left."""
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax
