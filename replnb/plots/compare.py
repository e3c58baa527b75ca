"""Plots of chapter 5, choosing a scheme."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from .style import COLORS, PALETTE, new_axes, round_up, styled
from .sweeps import plot_sweep

__all__ = [
    "FAMILY_COLORS",
    "MIX_COLORS",
    "SCHEME_METRICS",
    "plot_scheme_comparison",
    "plot_scheme_metric",
    "plot_scheme_sweep",
    "plot_scheme_sweeps",
]

#: The colour of each family of replication schemes (chapter 5).
FAMILY_COLORS = {"single-leader": PALETTE[0], "multi-leader": PALETTE[1], "leaderless": PALETTE[2]}

#: The figures of the scheme comparison: column -> (panel title, axis label, larger is better).
SCHEME_METRICS: dict[str, tuple[str, str, bool]] = {
    "lost_writes": ("Lost writes", "acknowledged writes lost", False),
    "stale_reads": ("Stale reads", "reads", False),
    "write_availability": ("Availability", "writes acknowledged (%)", True),
    "write_latency_ms": ("Write latency", "median, ms", False),
    "write_latency_p99_ms": ("p99 write", "latency, ms", False),
    "read_latency_ms": ("Read latency", "median, ms", False),
    "convergence_time_ms": ("Convergence", "ms after the last\nwrite or fault", False),
}


def _family(scheme: Any) -> str:
    """The family named in a scheme label such as ``"2. leaderless strict"`` ("" if none)."""
    text = str(scheme)
    return next((f for f in FAMILY_COLORS if f in text), "")


@styled
def plot_scheme_metric(
    table: pd.DataFrame,
    metric: str,
    ax: Axes | None = None,
    *,
    labels: bool = True,
    title: str | None = None,
) -> Axes:
    """One figure of the scheme comparison: a horizontal bar per scheme.

    Bars are coloured by family (:data:`FAMILY_COLORS`, read from the
    scheme name, e.g. ``"leaderless strict"``) and listed top to bottom in
    the table's order. The best value is outlined in black and printed in
    bold. An infinite value (replicas that never converged) is a hatched
    bar to the edge labelled "never"; NaN is labelled "n/a".

    Parameters
    ----------
    table : DataFrame
        One row per scheme (the index), as :func:`replnb.compare.compare` returns.
    metric : str
        A column of ``table``, one of :data:`SCHEME_METRICS`.
    ax : Axes, optional
    labels : bool
        Whether to write the scheme names on the y axis.
    title : str or None
        Default: the metric's title from :data:`SCHEME_METRICS`.

    Examples
    --------
    >>> t = pd.DataFrame({"stale_reads": [3, 0, float("nan")]},
    ...                  index=["single-leader async", "leaderless strict", "multi-leader LWW"])
    >>> ax = plot_scheme_metric(t, "stale_reads")
    >>> len(ax.collections[0].get_paths()), ax.get_xlabel()   # one bar per reported value
    (2, 'reads')
    >>> plt.close(ax.figure)
    """
    if metric not in SCHEME_METRICS:
        raise ValueError(f"metric must be one of {list(SCHEME_METRICS)}, got {metric!r}")
    if metric not in table.columns:
        raise ValueError(f"table has no column {metric!r}; its columns are {list(table.columns)}")
    heading, xlabel, larger_better = SCHEME_METRICS[metric]
    ax = new_axes(ax, (4.0, 0.7 + 0.4 * len(table)))
    scale = 100.0 if metric == "write_availability" else 1.0
    values = table[metric].astype(float).to_numpy() * scale
    finite = values[np.isfinite(values)]
    ax.xaxis.set_major_locator(plt.MaxNLocator(3, integer=metric in ("lost_writes", "stale_reads")))
    edge = _bar_edge(ax, metric, finite)
    best = (finite.max() if larger_better else finite.min()) if finite.size else math.nan
    right = edge * (1.12 if metric == "write_availability" else 1.0)  # the x limit
    y = np.arange(len(table))
    colours = [FAMILY_COLORS.get(_family(scheme), COLORS["message"]) for scheme in table.index]
    is_best = np.isfinite(values) & (values == best)
    _draw_metric_bars(ax, y, values, colours, is_best, edge)
    whole = scale != 1.0 or metric.endswith("_ms")
    _draw_value_labels(ax, y, values, is_best, right, whole)
    if labels:
        ax.set_yticks(y, [str(s) for s in table.index])
    else:  # a panel beside the first: no y axis at all (cheaper to draw, nothing to read twice)
        ax.yaxis.set_visible(False)
        ax.yaxis.set_major_locator(NullLocator())  # nor ticks for an explorer that draws them as data
        ax.spines["left"].set_visible(False)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(0, right)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    if title is None:
        title = heading
    if title:
        ax.set_title(title, loc="left", y=1.0)  # fixed height: no tick labels above to dodge
    return ax


def _bar_edge(ax: Axes, metric: str, finite: np.ndarray) -> float:
    """Where the longest bar may end: 100 % for availability, else a round tick above the largest."""
    top = float(finite.max()) if finite.size else 0.0
    if metric == "write_availability":
        return 100.0
    if top > 0:
        return round_up(ax.xaxis, top * 1.15)
    return 1.0


def _bar_paths(y: np.ndarray, width: np.ndarray, height: float = 0.8) -> list[np.ndarray]:
    """The corners of horizontal bars from x = 0, centred on ``y``."""
    h = height / 2
    return [
        np.array([[0.0, yi - h], [0.0, yi + h], [w, yi + h], [w, yi - h]])
        for yi, w in zip(y, width, strict=True)
    ]


def _draw_metric_bars(
    ax: Axes, y: np.ndarray, values: np.ndarray, colours: list[str], is_best: np.ndarray, edge: float
) -> None:
    """One collection for the finite bars (NaN: no bar), the best outlined; one for the hatched "never".

    A :class:`~matplotlib.collections.PolyCollection` draws all the bars of a
    panel as one artist, several times cheaper than a Rectangle per bar (the
    explorer redraws them on every move).
    """
    never = np.isinf(values)
    drawn = ~never & np.isfinite(values)
    if drawn.any():
        bars = PolyCollection(
            _bar_paths(y[drawn], values[drawn]),
            facecolors=[c for c, d in zip(colours, drawn, strict=True) if d],
            edgecolors=["black" if b else c for c, b, d in zip(colours, is_best, drawn, strict=True) if d],
            linewidths=[1.4 if b else 1.0 for b, d in zip(is_best, drawn, strict=True) if d],
            label="bars",
            zorder=2,  # over grid lines drawn as data (an explorer's TickArtists)
        )
        ax.add_collection(bars, autolim=False)
    if never.any():
        hatched = PolyCollection(
            _bar_paths(y[never], np.full(int(never.sum()), edge)),
            facecolors="white",
            hatch="///",
            edgecolors=[c for c, n in zip(colours, never, strict=True) if n],
            linewidths=1.0,
            label="never",
            zorder=2,
        )
        ax.add_collection(hatched, autolim=False)


def _value_text(v: float, whole: bool) -> str:
    if math.isinf(v):
        return "never"
    if math.isnan(v):
        return "n/a"
    return f"{v:.0f}" if whole or float(v).is_integer() else f"{v:.2g}"


def _draw_value_labels(
    ax: Axes, y: np.ndarray, values: np.ndarray, is_best: np.ndarray, right: float, whole: bool
) -> None:
    """Each bar's value, bold for the best: white inside a bar long enough to hold it, black after it.

    No text box: a box per label costs as much to draw as the label.
    """
    for yi, v, bold in zip(y, values, is_best, strict=True):
        share = float(v) / right if np.isfinite(v) else 0.0
        on_bar = share >= 0.22
        ax.text(
            0.02 if on_bar else share + 0.02,
            float(yi),
            _value_text(v, whole),
            transform=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            fontsize=8.5,
            fontweight="bold" if bold else "normal",
            color="white" if on_bar else "black",
        )


@styled
def plot_scheme_comparison(
    table: pd.DataFrame,
    figure: Figure | None = None,
    *,
    metrics: Sequence[str] | None = None,
    title: str | None = None,
) -> list[Axes]:
    """Small multiples: one panel per figure of the scheme comparison, side by side.

    Parameters
    ----------
    table : DataFrame
        One row per scheme, as :func:`replnb.compare.compare` returns.
    figure : matplotlib Figure, optional
        Where to draw (it is used as it is; default: a new figure, not shown).
    metrics : sequence of str, optional
        The columns to show (default: every :data:`SCHEME_METRICS` column of ``table``).
    title : str, optional
        A title over all the panels.

    Returns
    -------
    list of Axes
        One per metric, left to right.

    Examples
    --------
    >>> t = pd.DataFrame({"lost_writes": [2, 0], "stale_reads": [5, 0], "write_availability": [1.0, 0.9],
    ...                   "write_latency_p99_ms": [0.0, 30.0], "convergence_time_ms": [12.0, float("inf")]},
    ...                  index=["multi-leader LWW", "leaderless strict"])
    >>> axes = plot_scheme_comparison(t)
    >>> [ax.get_title(loc="left") for ax in axes][:2], len(axes[0].figure.legends)
    (['Lost writes', 'Stale reads'], 1)
    >>> plt.close("all")
    """
    names = [m for m in SCHEME_METRICS if m in table.columns] if metrics is None else list(metrics)
    if not names:
        raise ValueError(f"table must have at least one of the columns {list(SCHEME_METRICS)}")
    if figure is None:
        figure = plt.figure(figsize=(11.0, 0.95 + 0.36 * len(table)))
    axes = list(np.atleast_1d(figure.subplots(1, len(names))))
    for i, (ax, metric) in enumerate(zip(axes, names, strict=True)):
        plot_scheme_metric(table, metric, ax=ax, labels=i == 0)
    families = [f for f in FAMILY_COLORS if any(_family(s) == f for s in table.index)]
    handles = [Line2D([], [], marker="s", ls="", ms=9, color=FAMILY_COLORS[f], label=f) for f in families]
    handles.append(
        Line2D([], [], marker="s", ls="", ms=9, mfc="white", mec="black", mew=1.4, label="best (bold)")
    )
    if figure.get_layout_engine() is None:  # fixed margins (in inches): no second layout pass
        width, height = figure.get_size_inches()
        top = 1 - (0.55 if title else 0.3) / height
        left, right, bottom = 1.6 / width, 1 - 0.1 / width, 1.0 / height
        figure.subplots_adjust(left=left, right=right, top=top, bottom=bottom, wspace=0.12)
        figure.legend(handles=handles, loc="lower center", ncols=len(handles), frameon=False)
    else:
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    if title:
        figure.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    return axes


#: The colour of each workload mix in :func:`plot_scheme_sweep`.
MIX_COLORS = {"read-heavy": PALETTE[5], "balanced": PALETTE[4], "write-heavy": PALETTE[3]}


@styled
def plot_scheme_sweep(
    df: pd.DataFrame,
    metric: str,
    ax: Axes | None = None,
    *,
    by: str = "mix",
    labels: bool = True,
    legend: bool = True,
    title: str | None = None,
) -> Axes:
    """Grouped horizontal bars: the mean over runs of ``metric`` per scheme, one bar per value of ``by``.

    ``df`` has one row per run, as :func:`replnb.compare.sweep` returns
    (columns ``scheme``, ``by`` and ``metric``); the whisker spans the
    smallest to the largest run. Infinite values (never converged) are left
    out of the mean and counted in the label.

    Parameters
    ----------
    df : DataFrame
    metric : str
        One of :data:`SCHEME_METRICS`.
    ax : Axes, optional
    by : str
        The column whose values make the bars of a group (default ``"mix"``).
    labels, legend : bool
        Whether to write the scheme names and the legend.
    title : str or None
        Default: the metric's title.

    Examples
    --------
    >>> df = pd.DataFrame({"scheme": ["a", "a", "b", "b"], "mix": ["read-heavy", "write-heavy"] * 2,
    ...                    "stale_reads": [4, 1, 0, 0]})
    >>> ax = plot_scheme_sweep(df, "stale_reads")
    >>> len(ax.patches), ax.get_xlabel()
    (4, 'reads')
    >>> plt.close(ax.figure)
    """
    if metric not in SCHEME_METRICS:
        raise ValueError(f"metric must be one of {list(SCHEME_METRICS)}, got {metric!r}")
    missing = [c for c in ("scheme", by, metric) if c not in df.columns]
    if missing:
        raise ValueError(f"df must have the columns scheme, {by}, {metric}; missing {missing}")
    heading, xlabel, _ = SCHEME_METRICS[metric]
    schemes = list(dict.fromkeys(df["scheme"].tolist()))
    groups = list(dict.fromkeys(df[by].tolist()))
    fallback = [PALETTE[(5 + i) % len(PALETTE)] for i in range(len(groups))]
    styles = {g: {"color": MIX_COLORS.get(str(g), fallback[j])} for j, g in enumerate(groups)}
    ax = plot_sweep(
        df, "scheme", metric, ax, by=by, kind="barh", groups=groups, styles=styles, categories=schemes,
        scale=100.0 if metric == "write_availability" else 1.0, xlabel=xlabel, legend=False,
        figsize=(4.0, 0.8 + 0.45 * len(schemes)),
    )  # fmt: skip
    ax.set_yticks(np.arange(len(schemes)))
    if labels:
        ax.set_yticklabels([str(s) for s in schemes])
    else:
        ax.tick_params(axis="y", labelleft=False, length=0)
    ax.set_ylim(len(schemes) - 0.5, -0.5)
    if metric == "write_availability":
        ax.set_xlim(0, 105)
    ax.xaxis.set_major_locator(plt.MaxNLocator(3))
    ax.grid(axis="y", visible=False)
    if legend:
        ax.legend(title=by, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title is None:
        title = heading
    if title:
        ax.set_title(title, loc="left")
    return ax


@styled
def plot_scheme_sweeps(
    df: pd.DataFrame,
    figure: Figure | None = None,
    *,
    by: str = "mix",
    metrics: Sequence[str] | None = None,
    title: str | None = None,
) -> list[Axes]:
    """Small multiples of :func:`plot_scheme_sweep`, one panel per metric, with one legend below.

    Examples
    --------
    >>> df = pd.DataFrame({"scheme": ["a", "b"], "mix": "balanced", "lost_writes": [1, 0],
    ...                    "stale_reads": [0, 2]})
    >>> axes = plot_scheme_sweeps(df)
    >>> [ax.get_title(loc="left") for ax in axes]
    ['Lost writes', 'Stale reads']
    >>> plt.close("all")
    """
    names = [m for m in SCHEME_METRICS if m in df.columns] if metrics is None else list(metrics)
    if not names:
        raise ValueError(f"df must have at least one of the columns {list(SCHEME_METRICS)}")
    n_schemes = df["scheme"].nunique() if "scheme" in df.columns else 1
    if figure is None:
        figure = plt.figure(figsize=(11.0, 1.2 + 0.5 * n_schemes))
    axes = list(np.atleast_1d(figure.subplots(1, len(names), sharey=True)))
    for i, (ax, metric) in enumerate(zip(axes, names, strict=True)):
        plot_scheme_sweep(df, metric, ax=ax, by=by, labels=i == 0, legend=False)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, title=by, loc="outside lower center", ncols=max(len(labels), 1))
    if title:
        figure.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    return axes
