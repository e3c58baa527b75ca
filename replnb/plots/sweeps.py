"""One sweep plot for every chapter: a figure against a swept parameter, one series per group.

:func:`plot_sweep` draws the rows of a sweep (as :func:`replnb.grid.sweep`
returns them) in one of three kinds, each composed of small drawers:

``"line"``
    one line per group; with ``band=True`` the mean of ``y`` per ``x`` and a
    ±1 standard-error band (:func:`draw_mean_line`), otherwise the points
    as they are, infinite values ("never") drawn as open triangles above the
    highest finite value (:func:`draw_points`);
``"bar"``
    vertical bars, one per category of ``x`` (a column, or several columns
    whose tuples are the categories) and per group, side by side: the mean
    over the runs (:func:`draw_bars`);
``"barh"``
    horizontal bars of the mean over the finite runs, with a whisker from
    the smallest to the largest run and the count of infinite runs
    (:func:`draw_bars` with ``finite=True``).

The chapters' sweep plots (``plot_mode_sweep``, ``plot_conflict_sweep``,
``plot_topology_sweep``, ``plot_quorum_sweep``, ``plot_scheme_sweep``) are
thin calls of :func:`plot_sweep` that choose the kind, the group order, the
styles and the labels.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from .style import PALETTE, new_axes

__all__ = ["draw_bars", "draw_mean_line", "draw_points", "group_order", "plot_sweep"]

Kind = Literal["line", "bar", "barh"]
Floor = Literal["zero", "include zero", "none"]


def group_order(values: pd.Series, known: Sequence[Any] = ()) -> list[Any]:
    """The groups of a column: those in ``known`` first (in that order), then the others as first seen.

    Examples
    --------
    >>> group_order(pd.Series(["b", "x", "a", "b"]), known=["a", "b"])
    ['a', 'b', 'x']
    """
    unique = list(dict.fromkeys(values.tolist()))
    first = [g for g in known if g in unique]
    return first + [g for g in unique if g not in first]


def _groups(df: pd.DataFrame, by: str | None, groups: Sequence[Any] | None) -> list[Any]:
    if groups is not None:
        return list(groups)
    return list(dict.fromkeys(df[by])) if by is not None else [None]


def _default_style(i: int) -> dict[str, Any]:
    return {"color": PALETTE[i % len(PALETTE)]}


def draw_mean_line(
    ax: Axes, rows: pd.DataFrame, x: str, y: str, style: Mapping[str, Any], label: str
) -> None:
    """The mean of ``y`` per value of ``x`` as a line, and a ±1 standard-error band in its colour."""
    rows = rows.astype({x: float, y: float})
    stats = rows.groupby(x, sort=True)[y].agg(["mean", "std", "count"])
    sem = (stats["std"] / np.sqrt(stats["count"])).fillna(0.0)
    xs = stats.index.to_numpy(dtype=float)
    ax.plot(xs, stats["mean"], label=label, **style)
    ax.fill_between(xs, stats["mean"] - sem, stats["mean"] + sem, color=style["color"], alpha=0.15, lw=0)


def draw_points(
    ax: Axes, rows: pd.DataFrame, x: str, y: str, style: Mapping[str, Any], label: str, top: float
) -> bool:
    """The finite points of ``rows`` in ``x`` order as a line; infinite ones as open triangles at ``top``.

    Returns whether any point was infinite.
    """
    rows = rows.sort_values(x)
    values = rows[y].astype(float).to_numpy()
    xs = rows[x].to_numpy()
    ok = np.isfinite(values)
    ax.plot(xs[ok], values[ok], label=label, **style)
    if (~ok).any():
        ax.plot(xs[~ok], [top] * int((~ok).sum()), ls="", marker="^", mfc="white", color=style["color"])
        return True
    return False


def _category_values(rows: pd.DataFrame, x: str | Sequence[str], category: Any) -> pd.DataFrame:
    if isinstance(x, str):
        return rows.loc[rows[x] == category]
    mask = np.ones(len(rows), dtype=bool)
    for column, value in zip(x, category, strict=True):
        mask &= (rows[column] == value).to_numpy()
    return rows.loc[mask]


def draw_bars(
    ax: Axes,
    rows: pd.DataFrame,
    x: str | Sequence[str],
    y: str,
    categories: Sequence[Hashable],
    slot: tuple[int, int],
    style: Mapping[str, Any],
    label: str | None,
    *,
    scale: float = 1.0,
    horizontal: bool = False,
    finite: bool = False,
) -> None:
    """One bar per category for one group, in its slot ``(j, of)`` of each category's width 0.8.

    The bar is the mean of ``y`` over the rows of that category (NaN: no
    bar). With ``finite``, only finite values count, a whisker spans the
    smallest to the largest and the infinite ones are counted in a label.
    """
    j, of = slot
    size = 0.8 / max(of, 1)
    positions = np.arange(len(categories)) - 0.4 + size * (j + 0.5)
    samples = [_category_values(rows, x, c)[y].astype(float) * scale for c in categories]
    if finite:
        kept = [s[np.isfinite(s)] for s in samples]
        means = [float(k.mean()) if len(k) else 0.0 for k in kept]
    else:
        means = [float(s.mean()) for s in samples]
    if horizontal:
        ax.barh(positions, means, height=size * 0.9, label=label, **style)
    else:
        ax.bar(positions, means, width=size * 0.92, label=label, **style)
    if finite:
        _draw_whiskers(ax, positions, kept, samples, means)


def _draw_whiskers(
    ax: Axes, positions: np.ndarray, kept: list[pd.Series], samples: list[pd.Series], means: list[float]
) -> None:
    for pos, k, s, mean in zip(positions, kept, samples, means, strict=True):
        if len(k) > 1:
            ax.plot([k.min(), k.max()], [pos, pos], color="#333333", lw=0.8)
        if len(k) < len(s):
            ax.text(mean, pos, f" {len(s) - len(k)}× never", va="center", fontsize=7)


def _finite_top(values: pd.Series) -> float:
    values = values.astype(float)
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if len(finite) else 1.0
    return top if top > 0 else 1.0


def plot_sweep(
    df: pd.DataFrame,
    x: str | Sequence[str],
    y: str,
    ax: Axes | None = None,
    *,
    by: str | None = None,
    kind: Kind = "line",
    groups: Sequence[Any] | None = None,
    styles: Mapping[Any, Mapping[str, Any]] | None = None,
    band: bool = True,
    categories: Sequence[Hashable] | None = None,
    scale: float = 1.0,
    floor: Floor = "include zero",
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    legend: bool = True,
    legend_title: str | None = None,
    figsize: tuple[float, float] = (8.0, 3.2),
) -> Axes:
    """Draw a sweep: one series per value of ``by`` (or one series), ``y`` against ``x``.

    Parameters
    ----------
    df : DataFrame
        One row per run or per point.
    x : str, or list of str for ``kind="bar"``
        The swept parameter (the categories of a bar plot).
    y : str
        The figure drawn.
    ax : Axes, optional
    by : str, optional
        One series per value of this column (``None``: one series).
    kind : {"line", "bar", "barh"}
        See the module docstring.
    groups : sequence, optional
        The order of the series (default: as first seen in ``df[by]``).
    styles : mapping, optional
        Group -> keyword arguments of its artists (``color`` at least);
        default: the palette in group order.
    band : bool
        Lines only: draw the mean and its standard-error band (True) or the
        points as they are (False).
    categories : sequence, optional
        Bars only: the categories, in order (default: as first seen).
    scale : float
        Bars only: a factor applied to ``y`` (100 for percentages).
    floor : {"include zero", "zero", "none"}
        The bottom of the y axis: at most 0, exactly 0, or as autoscaled.
    xlabel, ylabel, title : str, optional
        Default: the column names.
    legend : bool
    legend_title : str, optional
    figsize : tuple
        The size of a new figure when ``ax`` is not given.

    Returns
    -------
    Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> df = pd.DataFrame({"mode": ["a", "a", "b", "b"], "t": [1, 2, 1, 2], "lost": [0, 2, 1, 1]})
    >>> ax = plot_sweep(df, "t", "lost", by="mode")
    >>> [line.get_ydata().tolist() for line in ax.get_lines()]
    [[0.0, 2.0], [1.0, 1.0]]
    >>> ax = plot_sweep(df, "t", "lost", by="mode", kind="bar")
    >>> len(ax.patches)
    4
    >>> plt.close("all")
    """
    ax = new_axes(ax, figsize)
    order = _groups(df, by, groups)
    styles = styles or {g: _default_style(i) for i, g in enumerate(order)}
    subsets = [(g, df if g is None else df[df[by] == g]) for g in order]
    if kind == "line":
        never = _draw_line_series(ax, subsets, x, y, styles, band, _finite_top(df[y]))  # type: ignore[arg-type]
    else:
        cats = list(categories) if categories is not None else list(dict.fromkeys(df[x]))
        for j, (group, rows) in enumerate(subsets):
            label = None if group is None else str(group)
            draw_bars(
                ax, rows, x, y, cats, (j, len(order)), styles[group], label,
                scale=scale, horizontal=kind == "barh", finite=kind == "barh",
            )  # fmt: skip
        never = False
    _draw_axes_labels(ax, kind, floor, xlabel, ylabel, title)
    if legend:
        _draw_legend(ax, never, legend_title, by is not None)
    if never:
        ax.set_ylim(top=_finite_top(df[y]) * 1.2)
    return ax


def _draw_line_series(
    ax: Axes,
    subsets: list[tuple[Any, pd.DataFrame]],
    x: str,
    y: str,
    styles: Mapping[Any, Mapping[str, Any]],
    band: bool,
    top: float,
) -> bool:
    never = False
    for group, rows in subsets:
        if band:
            draw_mean_line(ax, rows, x, y, styles[group], str(group))
        else:
            never = draw_points(ax, rows, x, y, styles[group], str(group), top * 1.1) or never
    return never


def _draw_axes_labels(
    ax: Axes, kind: Kind, floor: Floor, xlabel: str | None, ylabel: str | None, title: str | None
) -> None:
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if kind != "barh":
        if floor == "include zero":
            ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        elif floor == "zero":
            ax.set_ylim(bottom=0)
    if title:
        ax.set_title(title, loc="left")


def _draw_legend(ax: Axes, never: bool, title: str | None, grouped: bool) -> None:
    if not grouped:
        return
    handles, labels = ax.get_legend_handles_labels()
    if never:
        handles.append(Line2D([], [], ls="", marker="^", mfc="white", color="#555555"))
        labels.append("never (inf)")
    ax.legend(handles, labels, title=title, loc="upper left", bbox_to_anchor=(1.0, 1.0))
