"""Plots of chapter 2, multi-leader conflicts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ..metrics import divergence
from ..records import Run
from .style import COLORS, PALETTE, finish_barh, new_axes, styled
from .sweeps import plot_sweep

__all__ = [
    "CONFLICT_METRIC_COLORS",
    "CONFLICT_METRIC_LABELS",
    "plot_conflict_sweep",
    "plot_divergence",
    "plot_losses_by_cause",
    "plot_strategy_comparison",
]

#: The colour of each conflict metric in chapter 2's plots (a total and its causes are never drawn together).
CONFLICT_METRIC_COLORS = {
    "lost_writes": COLORS["lost"],
    "lost_concurrent": PALETTE[1],
    "lost_older_write_won": COLORS["lost"],
    "conflicts": PALETTE[0],
    "resurrections": PALETTE[4],
    "lost_elements": PALETTE[2],
}
#: How chapter 2's plots name the metrics.
CONFLICT_METRIC_LABELS = {
    "lost_writes": "lost writes",
    "lost_concurrent": "lost: concurrent",
    "lost_older_write_won": "lost: older write won",
    "conflicts": "conflicts",
    "resurrections": "resurrections",
    "lost_elements": "lost cart items",
}
#: The causes of a lost write in a multi-leader run, bottom to top in a stacked plot.
LOSS_CAUSES = ("lost_concurrent", "lost_older_write_won")


@styled
def plot_divergence(
    data: Run | pd.DataFrame,
    ax: Axes | None = None,
    *,
    label: str | None = None,
    color: str | None = None,
    title: str | None = "Distinct values across replicas",
) -> Axes:
    """The number of distinct states across the live replicas over time (a step line).

    It rises when replicas accept conflicting writes and falls back to 1 when
    they have converged.

    Parameters
    ----------
    data : Run or DataFrame
        A multi-leader run (its live replicas' states are compared with
        :func:`replnb.metrics.divergence`), or that function's DataFrame
        (columns ``time`` and ``distinct``).
    ax : Axes, optional
    label, color : str, optional
        Legend label and colour of the line.
    title : str or None

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> df = pd.DataFrame({"time": [0.0, 10.0, 25.0], "distinct": [1.0, 2.0, 1.0]})
    >>> ax = plot_divergence(df)
    >>> ax.get_lines()[0].get_ydata().tolist()
    [1.0, 2.0, 1.0]
    >>> [float(x) for x in ax.get_xlim()]  # the axis ends with the data (with a run: at its end)
    [0.0, 25.0]
    >>> plt.close(ax.figure)
    """

    end = None
    if isinstance(data, Run):
        df = divergence(data.versions, data.extras.get("live", data.nodes))
        end = data.end_time
    else:
        df = data
    ax = new_axes(ax, (8.0, 2.6))
    times = df["time"].to_numpy(dtype=float)
    counts = df["distinct"].to_numpy(dtype=float)
    if end is not None and len(times) and end > times[-1]:
        times, counts = np.append(times, end), np.append(counts, counts[-1])
    ax.step(times, counts, where="post", color=color or PALETTE[0], lw=1.6, label=label)
    top = max(2.0, float(counts.max()) if len(counts) else 1.0)
    ax.set_ylim(0.0, top + 0.5)
    ax.set_yticks(range(0, int(top) + 1))
    if len(times):  # the axis ends where the run (or the data) ends
        ax.set_xlim(0.0, max(float(times[-1]), 1e-9))
    else:
        ax.set_xlim(left=0.0)
    ax.set_xlabel("true time (ms)")
    ax.set_ylabel("distinct states")
    if label:
        ax.legend(loc="upper right")
    if title:
        ax.set_title(title, loc="left")
    return ax


@styled
def plot_strategy_comparison(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    columns: Sequence[str] = (*LOSS_CAUSES, "conflicts", "resurrections"),
    highlight: str | None = None,
    title: str | None = "What each strategy costs",
) -> Axes:
    """Grouped horizontal bars: one group per strategy, one bar per metric.

    Parameters
    ----------
    table : DataFrame
        One row per strategy (the index), as
        :func:`replnb.multi_leader.compare_strategies` returns.
    ax : Axes, optional
    columns : sequence of str
        The metrics to draw (each gets its colour from
        :data:`CONFLICT_METRIC_COLORS`); every bar is labelled with its value.
        By default the lost writes by cause (concurrent, older write won),
        the conflicts and the resurrections.
    highlight : str, optional
        A strategy whose name is drawn in bold.
    title : str or None

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> table = pd.DataFrame({"lost_concurrent": [2, 0], "lost_older_write_won": [1, 0],
    ...                       "conflicts": [5, 5], "resurrections": [0, 2]}, index=["lww", "union"])
    >>> ax = plot_strategy_comparison(table)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['lww', 'union']
    >>> plt.close(ax.figure)
    """
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"table must have the columns {list(columns)}; missing {missing}")
    names = [str(i) for i in table.index]
    ax = new_axes(ax, (6.0, 0.8 + 0.55 * len(names)))
    height = 0.8 / max(len(columns), 1)
    ys = np.arange(len(names), dtype=float)
    top = float(np.nanmax(table[list(columns)].to_numpy(dtype=float))) if len(names) else 0.0
    for j, column in enumerate(columns):
        values = table[column].to_numpy(dtype=float)
        offset = (j - (len(columns) - 1) / 2) * height
        color = CONFLICT_METRIC_COLORS.get(column, PALETTE[j % len(PALETTE)])
        label = CONFLICT_METRIC_LABELS.get(column, column.replace("_", " "))
        ax.barh(ys + offset, values, height=height * 0.9, color=color, label=label)
        for y, v in zip(ys + offset, values, strict=True):
            if v:  # zero bars stay unlabelled: an empty slot already says 0
                x = v + 0.01 * max(top, 1.0)
                ax.text(x, y, f"{v:g}", va="center", ha="left", fontsize=7.5, color="#333333")
    ax.set_yticks(ys, names)
    if highlight in names:
        ax.get_yticklabels()[names.index(highlight)].set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xlim(0.0, max(top, 1.0) * 1.15)
    return finish_barh(ax, "count in the run", title)


@styled
def plot_conflict_sweep(
    df: pd.DataFrame,
    x: str,
    ax: Axes | None = None,
    *,
    y: str = "lost_writes",
    by: str = "strategy",
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
) -> Axes:
    """One line per strategy: ``y`` against ``x`` (mean over runs, ±1 standard error band).

    Each strategy has its own colour, marker and dash pattern, so lines that
    coincide (for example several strategies at zero) stay visible.

    Parameters
    ----------
    df : DataFrame
        :func:`replnb.multi_leader.sweep` output (one row per run with
        ``aggregate=False``, or per point), with columns ``x``, ``y``, ``by``.
    x : str
        The swept parameter.
    ax : Axes, optional
    y, by : str
    xlabel, ylabel, title : str, optional

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> df = pd.DataFrame({"strategy": ["lww"] * 4, "clock_skew": [0, 0, 100, 100],
    ...                    "lost_writes": [0, 0, 2, 4]})
    >>> ax = plot_conflict_sweep(df, "clock_skew")
    >>> ax.get_lines()[0].get_ydata().tolist()
    [0.0, 3.0]
    >>> plt.close(ax.figure)
    """
    missing = [c for c in (x, y, by) if c not in df.columns]
    if missing:
        raise ValueError(f"df must have the columns {[x, y, by]}; missing {missing}")
    groups = list(dict.fromkeys(df[by]))
    styles = {
        group: {
            "marker": "osD^v"[i % 5],
            "ls": ["-", "--", ":", "-."][i % 4],
            "ms": 4.5,
            "lw": 1.6,
            "color": PALETTE[i % len(PALETTE)],
        }
        for i, group in enumerate(groups)
    }
    units = {
        "clock_skew": " (ms)",
        "latency": " (ms)",
        "jitter": " (ms)",
        "relocation_rate": " (per key per s)",
    }
    return plot_sweep(
        df, x, y, ax, by=by, groups=groups, styles=styles, legend_title=by, title=title,
        xlabel=xlabel if xlabel is not None else x.replace("_", " ") + units.get(x, ""),
        ylabel=ylabel if ylabel is not None else y.replace("_", " ") + " per run",
    )  # fmt: skip


@styled
def plot_losses_by_cause(
    df: pd.DataFrame,
    x: str,
    ax: Axes | None = None,
    *,
    strategy: str | None = None,
    by: str = "strategy",
    xlabel: str | None = None,
    title: str | None = None,
) -> Axes:
    """Stacked bars: the lost writes of one strategy against ``x``, split by cause.

    The bottom part of each bar counts writes lost because they were
    concurrent with the survivor (``lost_concurrent``), the top part writes
    that lost to an older write (``lost_older_write_won``, the work of clock
    skew); each part is the mean over the runs at that ``x``, labelled with
    its value.

    Parameters
    ----------
    df : DataFrame
        :func:`replnb.multi_leader.sweep` output with columns ``x``,
        ``lost_concurrent`` and ``lost_older_write_won`` (and ``by``).
    x : str
        The swept parameter.
    ax : Axes, optional
    strategy : str, optional
        The value of ``by`` to draw; required when ``df`` holds several.
    by : str
    xlabel, title : str, optional

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> df = pd.DataFrame({"strategy": "lww", "clock_skew": [0, 0, 100, 100],
    ...                    "lost_concurrent": [2, 2, 1, 1], "lost_older_write_won": [0, 0, 2, 4]})
    >>> ax = plot_losses_by_cause(df, "clock_skew")
    >>> [float(p.get_height()) for p in ax.patches]
    [2.0, 1.0, 0.0, 3.0]
    >>> plt.close(ax.figure)
    """
    missing = [c for c in (x, *LOSS_CAUSES) if c not in df.columns]
    if missing:
        raise ValueError(f"df must have the columns {[x, *LOSS_CAUSES]}; missing {missing}")
    if by in df.columns:
        groups = list(dict.fromkeys(df[by]))
        if strategy is None and len(groups) > 1:
            raise ValueError(f"strategy must be one of {groups} when df holds several, got None")
        if strategy is not None:
            if strategy not in groups:
                raise ValueError(f"strategy must be one of {groups}, got {strategy!r}")
            df = df[df[by] == strategy]
    means = df.astype({x: float}).groupby(x, sort=True)[list(LOSS_CAUSES)].mean()
    ax = new_axes(ax, (7.0, 3.2))
    positions = np.arange(len(means), dtype=float)
    bottom = np.zeros(len(means))
    top = float((means.sum(axis=1)).max()) if len(means) else 0.0
    for cause in LOSS_CAUSES:
        values = means[cause].to_numpy(dtype=float)
        ax.bar(positions, values, bottom=bottom, width=0.6, color=CONFLICT_METRIC_COLORS[cause],
               label=CONFLICT_METRIC_LABELS[cause])  # fmt: skip
        for px, b, v in zip(positions, bottom, values, strict=True):
            if v >= 0.06 * max(top, 1.0):  # label the parts tall enough to hold a number
                ax.text(px, b + v / 2, f"{v:.2g}", ha="center", va="center", fontsize=7.5, color="white")
        bottom = bottom + values
    ax.set_xticks(positions, [f"{v:g}" for v in means.index])
    units = {"clock_skew": " (ms)", "latency": " (ms)", "jitter": " (ms)"}
    ax.set_xlabel(xlabel if xlabel is not None else x.replace("_", " ") + units.get(x, ""))
    ax.set_ylabel("lost writes per run")
    ax.set_ylim(0.0, max(top, 1.0) * 1.12)
    ax.grid(axis="x", visible=False)
    ax.legend(title="cause", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax
