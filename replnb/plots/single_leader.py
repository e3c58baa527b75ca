"""Plots of chapter 1, single-leader replication."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from ..records import Run
from .spacetime import draw_spacetime
from .style import COLORS, PALETTE, new_axes, styled
from .sweeps import plot_sweep

__all__ = ["MODE_COLORS", "plot_failover", "plot_mode_comparison", "plot_mode_sweep", "plot_replication_lag"]

#: One colour per single-leader replication mode, in every chapter-1 plot.
MODE_COLORS = {"sync": PALETTE[0], "semi-sync": PALETTE[2], "async": PALETTE[3]}
#: Marker and line style per mode, so that overlapping lines stay visible.
_MODE_LINES = {"sync": ("o", "-"), "semi-sync": ("s", "--"), "async": ("^", "-")}

_ROLE_EVENTS = {
    "detect": "detected",
    "promote": "promoted",
    "step-down": "steps down",
    "resume": "resumes",
    "rollback": "rollback",
}


def _group_colors(groups: Sequence[Any]) -> dict[Any, str]:
    spare = iter(c for c in PALETTE if c not in MODE_COLORS.values())
    return {g: MODE_COLORS.get(str(g)) or next(spare, "#444444") for g in groups}


def _role_events(run: Run, since: float | None, until: float | None) -> pd.DataFrame:
    events = run.events
    if not len(events):
        return events
    keep = events["event"].isin(list(_ROLE_EVENTS))
    if since is not None:
        keep &= events["time"] >= since
    if until is not None:
        keep &= events["time"] <= until
    return events[keep]


@styled
def plot_failover(
    run: Run,
    ax: Axes | None = None,
    *,
    since: float | None = None,
    until: float | None = None,
    labels: bool | None = None,
    title: str | None = "Space-time diagram",
    legend: bool = True,
) -> Axes:
    """A space-time diagram of a single-leader run, with its leadership changes.

    :func:`plot_spacetime` (lost writes as red crosses, stale reads in
    orange, crashed intervals grey) plus a purple marker and a label where
    the failure was detected, where a follower was promoted (with its new
    epoch), and where an old leader resumed, stepped down or rolled back.

    Parameters
    ----------
    run : Run
        A run of :func:`replnb.single_leader.simulate`.
    ax : Axes, optional
    since, until : float, optional
        Draw only this window of true time (ms).
    labels : bool, optional
        Label messages and writes (default: when there are at most 40 messages).
    title : str or None
    legend : bool
        Draw the legend (right of the axes).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from replnb import single_leader
    >>> run = single_leader.simulate(duration=200, failover_at=100, seed=1)
    >>> ax = plot_failover(run, since=50, until=200)
    >>> float(ax.get_xlim()[0])
    50.0
    >>> plt.close(ax.figure)
    """
    ax = draw_spacetime(run, ax, since=since, until=until, labels=labels, title=title, legend=legend)
    nodes = list(run.nodes)
    y = {n: len(nodes) - 1 - i for i, n in enumerate(nodes)}
    events = _role_events(run, since, until)
    seen: set[tuple[str, str]] = set()
    for time, node, event, detail in zip(
        events["time"], events["node"], events["event"], events["detail"], strict=True
    ):
        if node not in y or (node, event) in seen:
            continue
        seen.add((node, event))
        text = _ROLE_EVENTS[event]
        if event == "promote":
            text = f"leader, {detail.split(', ')[-1]}" if ", " in detail else "leader"
        ax.plot([time], [y[node]], marker="D", ms=6, color=COLORS["highlight"], zorder=5)
        ax.annotate(
            text,
            xy=(time, y[node]),
            xytext=(3, -4),
            textcoords="offset points",
            fontsize=7.5,
            color=COLORS["highlight"],
            ha="left",
            va="top",
            zorder=6,
        )
    if legend and len(events):
        old = ax.get_legend()
        handles: list[Any] = [h for h in old.legend_handles if h is not None] if old is not None else []
        handles.append(
            Line2D([], [], marker="D", ls="", color=COLORS["highlight"], label="leadership change")
        )
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def _break_gaps(
    xs: np.ndarray, ys: np.ndarray, breaks: Sequence[float] = (), factor: float = 6.0
) -> tuple[np.ndarray, np.ndarray]:
    """Insert NaN between consecutive ``xs`` that straddle one of ``breaks`` (e.g. a crash)
    or are more than ``factor`` median gaps apart (a pause)."""
    if len(xs) < 2:
        return xs, ys
    gaps = np.diff(xs)
    positive = gaps[gaps > 0]
    cut = np.zeros(len(gaps), dtype=bool)
    if len(positive) >= 2:
        cut |= gaps > factor * float(np.median(positive))
    for t in breaks:
        cut |= (xs[:-1] < t) & (xs[1:] >= t)
    where = np.flatnonzero(cut) + 1
    return np.insert(xs, where, np.nan), np.insert(ys, where, np.nan)


@styled
def plot_replication_lag(
    run_or_lag: Run | pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = "Replication lag",
    legend: bool = True,
) -> Axes:
    """The lag of each follower over time: one line per follower.

    Each point is an entry a follower applied, at the time it applied it;
    its height is how long after the leader accepted the write that was (ms).

    Parameters
    ----------
    run_or_lag : Run or DataFrame
        A single-leader run, or its lag table (columns ``time``,
        ``follower``, ``lag_ms``), see :func:`replnb.single_leader.replication_lag`.
    ax : Axes, optional
    title : str or None
    legend : bool
        Draw the legend of the followers' colours (right of the axes).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> lag = pd.DataFrame({"time": [10.0, 20.0, 12.0], "follower": ["B", "B", "C"],
    ...                     "lag_ms": [10.0, 12.0, 12.0]})
    >>> ax = plot_replication_lag(lag)
    >>> [line.get_label() for line in ax.get_lines()]
    ['B', 'C']
    >>> plt.close(ax.figure)
    """
    ax = new_axes(ax, (8.0, 2.8))
    run = run_or_lag if isinstance(run_or_lag, Run) else None
    lag = run.extras.get("lag") if run is not None else run_or_lag
    if not isinstance(lag, pd.DataFrame) or not {"time", "follower", "lag_ms"} <= set(lag.columns):
        raise ValueError("run_or_lag must be a single-leader Run or a DataFrame with time, follower, lag_ms")
    followers = sorted(lag["follower"].unique())
    colors = {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(followers)}
    events = run.events if run is not None else pd.DataFrame(columns=["time", "event"])
    crashes = [float(t) for t, e in zip(events["time"], events["event"], strict=True) if e == "crash"]
    who = lag["follower"].to_numpy()
    when = lag["time"].to_numpy(dtype=float)
    how_late = lag["lag_ms"].to_numpy(dtype=float)
    for follower in followers:
        rows = np.flatnonzero(who == follower)
        rows = rows[np.argsort(when[rows], kind="stable")]
        xs, ys = _break_gaps(when[rows], how_late[rows], crashes)
        ax.plot(xs, ys, marker=".", ms=4, lw=1.0, color=colors[follower], label=follower)
    if run is not None and len(run.events):
        for time, event in zip(run.events["time"], run.events["event"], strict=True):
            if event in ("crash", "promote") and math.isfinite(time):
                ax.axvline(
                    time, color=COLORS["down"] if event == "crash" else COLORS["highlight"], lw=1, ls="--"
                )
    ax.set_xlabel("true time (ms)")
    ax.set_ylabel("lag (ms)")
    ax.set_ylim(bottom=0)
    if followers and legend:
        ax.legend(title="follower", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax


def _order(values: pd.Series) -> list[Any]:
    unique = list(dict.fromkeys(values.tolist()))
    known = [m for m in MODE_COLORS if m in unique]
    return known + [v for v in unique if v not in known] if known else unique


@styled
def plot_mode_comparison(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    metrics: Sequence[str] = ("write_latency_p50_ms", "write_latency_p99_ms", "lag_mean_ms"),
    by: str = "mode",
    ylabel: str | None = None,
    title: str | None = "Metrics by mode",
) -> Axes:
    """Grouped bars: the mean of each metric (a group) for each mode (a bar).

    ``df`` has one row per run (as :func:`replnb.single_leader.sweep`
    returns); bars show the mean over the runs of each mode, with a
    standard-error whisker when there are several runs. Compare metrics of
    one unit in one plot.

    Parameters
    ----------
    df : DataFrame
        Columns ``by`` and ``metrics``.
    ax : Axes, optional
    metrics : sequence of str
    by : str
        The column whose values make the bars (default ``"mode"``).
    ylabel : str, optional
        Default: ``"ms (mean per run)"`` when every metric ends in ``_ms``.
    title : str or None

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> df = pd.DataFrame({"mode": ["sync", "async"], "lag_mean_ms": [20.0, 21.0],
    ...                    "write_latency_p50_ms": [45.0, 2.0]})
    >>> ax = plot_mode_comparison(df, metrics=["write_latency_p50_ms", "lag_mean_ms"])
    >>> len(ax.patches)
    4
    >>> plt.close(ax.figure)
    """
    metrics = list(metrics)
    missing = [c for c in [by, *metrics] if c not in df.columns]
    if missing or not metrics:
        raise ValueError(f"df must have the columns {[by, *metrics]}; missing {missing}")
    ax = new_axes(ax, (8.0, 3.2))
    groups = _order(df[by])
    colors = _group_colors(groups)
    width = 0.8 / max(len(groups), 1)
    x = np.arange(len(metrics))
    for i, group in enumerate(groups):
        rows = df[df[by] == group]
        means = [float(rows[c].astype(float).mean()) for c in metrics]
        sems = [
            float(rows[c].astype(float).std() / math.sqrt(len(rows))) if len(rows) > 1 else 0.0
            for c in metrics
        ]
        ax.bar(
            x + (i - (len(groups) - 1) / 2) * width,
            means,
            width,
            yerr=sems if len(rows) > 1 else None,
            color=colors[group],
            label=str(group),
            capsize=2,
            error_kw={"lw": 0.8},
        )
    ax.set_xticks(x, [c.replace("_ms", "").replace("_", " ") for c in metrics])
    if ylabel is None:
        ylabel = "ms (mean per run)" if all(c.endswith("_ms") for c in metrics) else "mean per run"
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    ax.legend(title=by, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax


@styled
def plot_mode_sweep(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    x: str = "replication_delay",
    y: str = "lost_writes",
    by: str = "mode",
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
) -> Axes:
    """One line per mode: the mean of ``y`` against ``x``, with a ±1 standard-error band.

    Parameters
    ----------
    df : DataFrame
        One row per run (as :func:`replnb.single_leader.sweep` returns), with
        columns ``x``, ``y`` and ``by``.
    ax : Axes, optional
    x, y, by : str
    xlabel, ylabel, title : str, optional
        Default: the column names (``x`` in ms when it is a delay or time).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> df = pd.DataFrame({"mode": ["async"] * 4, "replication_delay": [10, 10, 50, 50],
    ...                    "lost_writes": [0, 1, 2, 3]})
    >>> ax = plot_mode_sweep(df)
    >>> ax.get_lines()[0].get_ydata().tolist()
    [0.5, 2.5]
    >>> plt.close(ax.figure)
    """
    missing = [c for c in (x, y, by) if c not in df.columns]
    if missing:
        raise ValueError(f"df must have the columns {[x, y, by]}; missing {missing}")
    groups = _order(df[by])
    colors = _group_colors(groups)
    styles = {}
    for group in groups:
        marker, line = _MODE_LINES.get(str(group), ("o", "-"))
        styles[group] = {"marker": marker, "ms": 5, "lw": 1.5, "ls": line, "color": colors[group]}
    unit = " (ms)" if any(w in x for w in ("delay", "time", "_at", "window", "_ms")) else ""
    figure = y.replace("_ms", " (ms)").replace("_", " ") + " (mean per run)"
    return plot_sweep(
        df, x, y, ax, by=by, groups=groups, styles=styles, legend_title=by, title=title,
        xlabel=xlabel if xlabel is not None else x.replace("_", " ") + unit,
        ylabel=ylabel if ylabel is not None else figure,
    )  # fmt: skip
