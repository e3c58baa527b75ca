"""Plots: each takes data and an optional ``ax``, draws, and returns the Axes.

Plots never run a simulation and never show a figure themselves. One
colour-blind-safe palette (Okabe & Ito) and one style are defined here and
used by every plot in the course.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import topology
from .records import Run

__all__ = [
    "COLORS",
    "PALETTE",
    "STYLE",
    "new_axes",
    "plot_spacetime",
    "round_up",
    "styled",
]

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
    "dropped": "#D55E00",
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


def styled(fn: F) -> F:
    """Run a plotting function under the course style."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with plt.rc_context(STYLE):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_axes(ax: Axes | None = None, figsize: tuple[float, float] = (8.0, 3.2)) -> Axes:
    """``ax`` itself, or the axes of a new figure (not shown) in the course style."""
    if ax is not None:
        return ax
    with plt.rc_context(STYLE):
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


def _down_intervals(events: pd.DataFrame, node: str, end: float) -> list[tuple[float, float]]:
    spans, since = [], None
    for time, event in zip(events["time"], events["event"], strict=True):
        if event == "crash" and since is None:
            since = float(time)
        elif event == "recover" and since is not None:
            spans.append((since, float(time)))
            since = None
    if since is not None:
        spans.append((since, end))
    return spans


@styled
def plot_spacetime(
    run: Run,
    ax: Axes | None = None,
    *,
    until: float | None = None,
    kinds: Sequence[str] | None = None,
    labels: bool | None = None,
    title: str | None = "Space-time diagram",
    since: float | None = None,
) -> Axes:
    """A space-time diagram: one line per node, an arrow per message.

    Writes are marked with circles at the node that accepted them (filled if
    acknowledged); writes the run counts as lost (an ``ops`` column ``lost``)
    are red crosses; reads are green triangles (orange when stale, if the
    ``ops`` has a ``stale`` column; hollow when the read failed). Writes are labelled ``key=value``, or by
    an ``ops`` column ``label`` where it holds a non-empty string. Dropped
    messages end in a red ``x`` half-way. Crashed intervals are shaded grey.

    Parameters
    ----------
    run : Run
    ax : Axes, optional
    until : float, optional
        Draw only what starts before this true time (ms).
    since : float, optional
        Draw only what ends after this true time (ms): with ``until``, a window.
    kinds : sequence of str, optional
        Draw only messages of these kinds.
    labels : bool, optional
        Label messages and writes (default: when there are at most 40 messages).
    title : str or None

    Examples
    --------
    >>> from replnb import single_leader
    >>> run = single_leader.simulate(duration=100, seed=0)
    >>> ax = plot_spacetime(run, until=50)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['A', 'B', 'C']
    >>> plt.close(ax.figure)
    """
    return _spacetime(run, ax, until=until, kinds=kinds, labels=labels, title=title, since=since)


def _spacetime(
    run: Run,
    ax: Axes | None = None,
    *,
    until: float | None = None,
    kinds: Sequence[str] | None = None,
    labels: bool | None = None,
    title: str | None = "Space-time diagram",
    since: float | None = None,
    legend: bool = True,
) -> Axes:
    """:func:`plot_spacetime`, optionally without its legend (building one costs a few ms)."""
    ax = new_axes(ax, (8.0, 0.6 + 0.55 * len(run.nodes)))
    nodes = list(run.nodes)
    y = {n: len(nodes) - 1 - i for i, n in enumerate(nodes)}
    msgs, ops, events = run.messages, run.ops, run.events
    end = run.end_time if until is None else until
    # Filter with numpy masks on whole columns: taking rows of the frames again
    # and again costs more than the drawing itself.
    sent = msgs["sent"].to_numpy(dtype=float, na_value=np.nan)
    arrived = msgs["delivered"].to_numpy(dtype=float, na_value=np.nan)
    start = ops["start"].to_numpy(dtype=float, na_value=np.nan)
    keep_msgs = np.ones(len(msgs), dtype=bool)
    keep_ops = np.ones(len(ops), dtype=bool)
    if until is not None:
        keep_msgs &= sent <= until
        keep_ops &= start <= until
    if since is not None:
        finish = ops["end"].to_numpy(dtype=float, na_value=np.nan)
        keep_msgs &= (sent >= since) | (arrived >= since)
        keep_ops &= (start >= since) | (finish >= since) | np.isnan(finish)
    if kinds is not None:
        keep_msgs &= msgs["kind"].isin(list(kinds)).to_numpy(dtype=bool)
    if labels is None:
        labels = int(keep_msgs.sum()) <= 40
    flight = (arrived - sent)[keep_msgs]
    flight = flight[~np.isnan(flight)]
    stub = 0.5 * float(np.median(flight)) if len(flight) else 0.05 * max(end, 1.0)
    crashed = set(events["node"][events["event"] == "crash"]) if len(events) else set()
    for n in nodes:
        ax.axhline(y[n], color="#444444", lw=1.0, zorder=1)
        if n not in crashed:
            continue
        for a, b in _down_intervals(events[events["node"] == n], n, end):
            ax.fill_between([a, b], y[n] - 0.18, y[n] + 0.18, color=COLORS["down"], zorder=0)
    arrows: list[tuple[float, float, float, float]] = []
    stubs: list[tuple[float, float, float, float]] = []
    picked = np.flatnonzero(keep_msgs)
    for src, dst, t0, t1, label in zip(
        msgs["src"].to_numpy()[picked],
        msgs["dst"].to_numpy()[picked],
        sent[picked],
        arrived[picked],
        msgs["label"].to_numpy()[picked],
        strict=True,
    ):
        if src not in y or dst not in y:
            continue
        if t1 == t1:  # not NaN
            arrows.append((t0, y[src], t1, y[dst]))
            if labels and label:
                ax.text(
                    (t0 + t1) / 2,
                    (y[src] + y[dst]) / 2,
                    str(label),
                    fontsize=7,
                    color="#555555",
                    ha="center",
                    va="bottom",
                )
        else:
            stubs.append((t0, y[src], t0 + stub, (y[src] + y[dst]) / 2))
    if arrows:  # one quiver for all messages: fast, and clipped to the axes
        arr = np.array(arrows, dtype=float)
        ax.quiver(
            arr[:, 0],
            arr[:, 1],
            arr[:, 2] - arr[:, 0],
            arr[:, 3] - arr[:, 1],
            angles="xy",
            scale_units="xy",
            scale=1,
            units="dots",
            width=1.0,
            headwidth=5,
            headlength=7,
            headaxislength=6,
            color=COLORS["message"],
            zorder=2,
        )
        ax.update_datalim(np.concatenate([arr[:, :2], arr[:, 2:]]))
    if stubs:
        dead = np.array(stubs, dtype=float)
        gaps = np.full(len(dead), np.nan)
        xs = np.column_stack([dead[:, 0], dead[:, 2], gaps]).ravel()
        ys = np.column_stack([dead[:, 1], dead[:, 3], gaps]).ravel()
        ax.plot(xs, ys, color=COLORS["dropped"], lw=0.9, ls=":", zorder=2)
        ax.plot(dead[:, 2], dead[:, 3], ls="", marker="x", ms=5, color=COLORS["dropped"], zorder=2)
    on_node = ops["node"].isin(nodes).to_numpy(dtype=bool) if len(ops) else keep_ops
    kind = ops["kind"].to_numpy() if len(ops) else np.array([], dtype=object)
    is_write = keep_ops & (kind == "write")
    is_read = keep_ops & (kind == "read")
    lost = ops["lost"].fillna(False).astype(bool).to_numpy() if "lost" in ops else np.zeros(len(ops), bool)
    ok = ops["ok"].astype(bool).to_numpy() if "ok" in ops else np.ones(len(ops), dtype=bool)
    op_nodes = ops["node"].to_numpy()
    for sel, marker, face, edge, size in [
        (is_write & ok & ~lost, "o", COLORS["write"], COLORS["write"], 40),
        (is_write & ~ok & ~lost, "o", "white", COLORS["write"], 40),
        (is_write & lost, "X", COLORS["lost"], COLORS["lost"], 70),
    ]:
        rows = np.flatnonzero(sel & on_node)
        if len(rows):
            ax.scatter(
                start[rows],
                [y[n] for n in op_nodes[rows]],
                marker=marker,
                s=size,
                facecolors=face,
                edgecolors=edge,
                zorder=4,
            )
            if labels:
                # an ops column "label" (optional) overrides the default "key=value" text
                custom = ops["label"].to_numpy()[rows] if "label" in ops else [""] * len(rows)
                for t, n, k, v, text in zip(
                    start[rows],
                    op_nodes[rows],
                    ops["key"].to_numpy()[rows],
                    ops["value"].to_numpy()[rows],
                    custom,
                    strict=True,
                ):
                    ax.text(
                        t,
                        y[n] + 0.22,
                        text if isinstance(text, str) and text else f"{k}={v}",
                        fontsize=7.5,
                        ha="center",
                        va="bottom",
                        color=edge,
                        zorder=5,
                    )
    has_reads = bool(is_read.any())
    if has_reads:
        rows = np.flatnonzero(is_read & on_node)
        stale = np.zeros(len(rows), dtype=bool)
        if "stale" in ops:
            stale = ops["stale"].fillna(False).astype(bool).to_numpy()[rows]
        colors = list(np.where(stale, COLORS["stale"], COLORS["read"]))
        done = ops["ok"].astype(bool).to_numpy()[rows].tolist() if "ok" in ops else [True] * len(rows)
        faces = [c if d else "white" for c, d in zip(colors, done, strict=True)]  # failed: hollow
        ax.scatter(
            start[rows],
            [y[n] for n in op_nodes[rows]],
            marker="^",
            s=30,
            facecolors=faces,
            edgecolors=colors,
            zorder=4,
        )
    ax.set_yticks([y[n] for n in nodes], nodes)
    ax.set_ylim(-0.6, len(nodes) - 0.4)
    ax.set_xlabel("true time (ms)")
    ax.grid(axis="y", visible=False)
    if until is not None:
        ax.set_xlim(right=until)
    ax.set_xlim(left=min(0.0, ax.get_xlim()[0]) if since is None else since)
    if legend:
        handles = [
            Line2D([], [], marker="o", ls="", color=COLORS["write"], label="acknowledged write"),
            Line2D([], [], marker="X", ls="", color=COLORS["lost"], label="lost write"),
            Line2D([], [], color=COLORS["message"], marker=r"$\rightarrow$", ls="-", label="message"),
        ]
        if has_reads:
            handles.append(Line2D([], [], marker="^", ls="", color=COLORS["read"], label="read"))
            if "stale" in ops:
                handles.append(Line2D([], [], marker="^", ls="", color=COLORS["stale"], label="stale read"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax


# ---- chapter 1: single leader ------------------------------------------------
__all__ += ["MODE_COLORS", "plot_failover", "plot_mode_comparison", "plot_mode_sweep", "plot_replication_lag"]

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
    >>> from replnb import single_leader
    >>> run = single_leader.simulate(duration=200, failover_at=100, seed=1)
    >>> ax = plot_failover(run, since=50, until=200)
    >>> float(ax.get_xlim()[0])
    50.0
    >>> plt.close(ax.figure)
    """
    ax = _spacetime(run, ax, since=since, until=until, labels=labels, title=title, legend=legend)
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
    ax = new_axes(ax, (8.0, 3.2))
    groups = _order(df[by])
    colors = _group_colors(groups)
    for group in groups:
        rows = df[df[by] == group].astype({x: float, y: float})
        stats = rows.groupby(x, sort=True)[y].agg(["mean", "std", "count"])
        sem = (stats["std"] / np.sqrt(stats["count"])).fillna(0.0)
        xs = stats.index.to_numpy(dtype=float)
        marker, style = _MODE_LINES.get(str(group), ("o", "-"))
        color = colors[group]
        ax.plot(xs, stats["mean"], marker=marker, ms=5, lw=1.5, ls=style, color=color, label=str(group))
        ax.fill_between(xs, stats["mean"] - sem, stats["mean"] + sem, color=colors[group], alpha=0.15, lw=0)
    unit = " (ms)" if any(w in x for w in ("delay", "time", "_at", "window", "_ms")) else ""
    ax.set_xlabel(xlabel if xlabel is not None else x.replace("_", " ") + unit)
    ax.set_ylabel(
        ylabel if ylabel is not None else y.replace("_ms", " (ms)").replace("_", " ") + " (mean per run)"
    )
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.legend(title=by, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax


# ---- end of chapter 1 ----------------------------------------------------------


# ---- chapter 2: multi-leader conflicts ---------------------------------------
__all__ += ["CONFLICT_METRIC_COLORS", "plot_conflict_sweep", "plot_divergence", "plot_strategy_comparison"]

#: The colour of each conflict metric in chapter 2's plots.
CONFLICT_METRIC_COLORS = {"lost_writes": COLORS["lost"], "conflicts": PALETTE[0], "resurrections": PALETTE[4]}


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
    >>> df = pd.DataFrame({"time": [0.0, 10.0, 25.0], "distinct": [1.0, 2.0, 1.0]})
    >>> ax = plot_divergence(df)
    >>> ax.get_lines()[0].get_ydata().tolist()
    [1.0, 2.0, 1.0]
    >>> plt.close(ax.figure)
    """
    from .metrics import divergence

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
    columns: Sequence[str] = ("lost_writes", "conflicts", "resurrections"),
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
    highlight : str, optional
        A strategy whose name is drawn in bold.
    title : str or None

    Examples
    --------
    >>> table = pd.DataFrame({"lost_writes": [3, 0], "conflicts": [5, 5], "resurrections": [0, 2]},
    ...                      index=["lww", "union"])
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
        ax.barh(ys + offset, values, height=height * 0.9, color=color, label=column.replace("_", " "))
        for y, v in zip(ys + offset, values, strict=True):
            if v:  # zero bars stay unlabelled: an empty slot already says 0
                x = v + 0.01 * max(top, 1.0)
                ax.text(x, y, f"{v:g}", va="center", ha="left", fontsize=7.5, color="#333333")
    ax.set_yticks(ys, names)
    if highlight in names:
        ax.get_yticklabels()[names.index(highlight)].set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xlim(0.0, max(top, 1.0) * 1.15)
    ax.set_xlabel("count in the run")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax


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
    ax = new_axes(ax, (8.0, 3.2))
    groups = list(dict.fromkeys(df[by]))
    for i, group in enumerate(groups):
        rows = df[df[by] == group].astype({x: float, y: float})
        stats = rows.groupby(x, sort=True)[y].agg(["mean", "std", "count"])
        sem = (stats["std"] / np.sqrt(stats["count"])).fillna(0.0)
        xs = stats.index.to_numpy(dtype=float)
        color = PALETTE[i % len(PALETTE)]
        marker, dashes = "osD^v"[i % 5], ["-", "--", ":", "-."][i % 4]
        ax.plot(xs, stats["mean"], marker=marker, ls=dashes, ms=4.5, lw=1.6, color=color, label=str(group))
        ax.fill_between(xs, stats["mean"] - sem, stats["mean"] + sem, color=color, alpha=0.15, lw=0)
    units = {
        "clock_skew": " (ms)",
        "latency": " (ms)",
        "jitter": " (ms)",
        "relocation_rate": " (per key per s)",
    }
    ax.set_xlabel(xlabel if xlabel is not None else x.replace("_", " ") + units.get(x, ""))
    ax.set_ylabel(ylabel if ylabel is not None else y.replace("_", " ") + " per run")
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.legend(title=by, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax


# ---- end of chapter 2 ----------------------------------------------------------


# ---- chapter 3: multi-leader topologies --------------------------------------
__all__ += ["plot_causality", "plot_delivery", "plot_topology", "plot_topology_sweep"]

#: Colours of the three topologies in chapter 3's plots.
TOPOLOGY_COLORS = {"circular": PALETTE[0], "star": PALETTE[1], "all-to-all": PALETTE[2]}
_EDGE_CMAP = "viridis_r"


def _topology_graph(run: Run) -> nx.DiGraph:
    graph = run.extras.get("graph")
    if isinstance(graph, nx.DiGraph):
        return graph
    return topology.build(str(run.params["topology"]), len(run.nodes))


def _write_caption(run: Run, op_id: int | None) -> str:
    if op_id is None:
        return "no write"
    row = run.ops[run.ops["op_id"] == op_id].iloc[0]
    return f"write #{op_id} (from {row['node']})"


def _node_positions(graph: nx.DiGraph) -> dict[str, tuple[float, float]]:
    kind = graph.graph.get("kind")
    nodes = sorted(graph.nodes)
    if kind in topology.KINDS and nodes == topology.node_names(len(nodes)):
        return topology.layout(str(kind), len(nodes))
    if kind == "regions" and "sizes" in graph.graph:
        return topology.region_layout(graph.graph["sizes"])
    angles = [math.pi / 2 - 2 * math.pi * i / len(nodes) for i in range(len(nodes))]
    return {v: (math.cos(a), math.sin(a)) for v, a in zip(nodes, angles, strict=True)}


def _draw_edges(graph: nx.DiGraph, pos: Mapping[str, Any], ax: Axes, **kwargs: Any) -> None:
    # networkx adds each arrow with ax.add_patch, which lays the arrow out in display
    # coordinates just to update the data limits; plot_topology sets the limits itself,
    # so skip that update (most of the cost of drawing a dense graph).
    ax.__dict__["_update_patch_limits"] = lambda patch: None
    try:
        nx.draw_networkx_edges(graph, pos, ax=ax, **kwargs)
    finally:
        del ax.__dict__["_update_patch_limits"]


def _node_handle(colour: str, label: str) -> Line2D:
    return Line2D([], [], ls="", marker="o", ms=9, mfc=colour, mec="#333333", label=label)


def _edge_norm(edge_counts: Mapping[tuple[str, str], float], edges: Iterable[tuple[str, str]]) -> Any:
    top = max([float(edge_counts.get(e, 0)) for e in edges], default=1.0)
    return plt.Normalize(vmin=0.0, vmax=max(top, 1.0))


@styled
def plot_topology(
    data: nx.DiGraph | Run,
    ax: Axes | None = None,
    *,
    failed: Iterable[str] | None = None,
    received: Mapping[str, float] | None = None,
    edge_counts: Mapping[tuple[str, str], float] | None = None,
    op_id: int | None = None,
    colorbar: bool = True,
    cax: Axes | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    """Draw a replication topology with networkx: who forwards writes to whom.

    Nodes sit at the fixed positions of :func:`replnb.topology.layout`.
    Failed leaders are grey; with ``received``, the others are blue when they
    hold every write and orange when they miss some. With ``edge_counts``,
    each link is coloured by the number of messages it carried (a colorbar
    gives the scale) and links that carried none are dotted.

    Parameters
    ----------
    data : networkx.DiGraph or Run
        A graph from :func:`replnb.topology.build`, or a multi-leader run:
        then ``failed`` (leaders down at the end), ``received`` (the fraction
        of the run's writes that each leader applied, or whether it applied
        write ``op_id``) and ``edge_counts`` (messages sent on each link)
        default to the run's.
    ax : Axes, optional
    failed : iterable of str, optional
    received : mapping of node to a fraction in [0, 1], optional
    edge_counts : mapping of (src, dst) to a count, optional
    op_id : int, optional
        With a run: colour leaders by whether they applied this write.
    colorbar : bool
        Draw the colorbar of message counts (when there are counts).
    cax : Axes, optional
        Where to draw the colorbar (default: a strip taken from under ``ax``).
    title : str, optional
        Default: the topology's name; ``""`` for none.
    legend : bool
        Draw the legend of node colours (under the axes).

    Examples
    --------
    >>> from replnb.topology import build
    >>> ax = plot_topology(build("circular", 4), failed=["B"])
    >>> ax.get_title(loc="left")
    'circular'
    """
    ax = new_axes(ax, (4.0, 4.0))
    if isinstance(data, Run):
        graph = _topology_graph(data)
        failed = topology.down_nodes(data) if failed is None else failed
        if received is None:
            fractions = topology.received_fraction(data, op_id)
            received = {str(v): float(f) for v, f in fractions.items()}
        edge_counts = topology.message_counts(data) if edge_counts is None else edge_counts
    else:
        graph = data
    failed_set = set(failed or ())
    pos = _node_positions(graph)
    nodes = sorted(graph.nodes)
    colours = []
    for v in nodes:
        if v in failed_set:
            colours.append(COLORS["down"])
        elif received is None or received.get(v, 0.0) >= 1.0:
            colours.append(COLORS["ok"])
        else:
            colours.append(COLORS["stale"])
    size = 620 if len(nodes) <= 6 else 420
    nx.draw_networkx_nodes(
        graph, pos, nodelist=nodes, node_color=colours, node_size=size, ax=ax, edgecolors="#333333"
    )
    nx.draw_networkx_labels(graph, pos, ax=ax, font_size=10, font_color="white", font_weight="bold")
    edges = sorted(graph.edges)
    style: dict[str, Any] = dict(
        ax=ax, node_size=size, arrows=True, arrowstyle="-|>", arrowsize=11, connectionstyle="arc3,rad=0.12"
    )
    if edge_counts is None:
        _draw_edges(graph, pos, edgelist=edges, edge_color=COLORS["message"], width=1.2, **style)
    else:
        busy = [e for e in edges if edge_counts.get(e, 0) > 0]
        idle = [e for e in edges if e not in set(busy)]
        norm = _edge_norm(edge_counts, busy)
        cmap = plt.get_cmap(_EDGE_CMAP)
        if idle:
            _draw_edges(graph, pos, edgelist=idle, edge_color="#BBBBBB", style=":", width=1.0, **style)
        if busy:
            _draw_edges(
                graph,
                pos,
                edgelist=busy,
                edge_color=[cmap(norm(float(edge_counts[e]))) for e in busy],
                width=2.0,
                **style,
            )
        if colorbar:
            mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
            where: dict[str, Any] = {"cax": cax} if cax is not None else {"ax": ax, "shrink": 0.7}
            bar = ax.figure.colorbar(mappable, orientation="horizontal", aspect=30, pad=0.02, **where)
            bar.set_label("messages on the link", fontsize=9)
            bar.ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
            bar.ax.tick_params(labelsize=8)
    handles = [_node_handle(COLORS["down"], "failed")]
    if received is not None:
        missing = "missing it" if op_id is not None else "missing writes"
        handles = [
            _node_handle(COLORS["ok"], "has it" if op_id is not None else "up to date"),
            _node_handle(COLORS["stale"], missing),
            *handles,
        ]
    if legend and (received is not None or failed_set):
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.02),
            ncol=len(handles),
            handlelength=1.0,
            columnspacing=0.8,
            handletextpad=0.4,
            borderaxespad=0.0,
        )
    xs, ys = [x for x, _ in pos.values()], [y for _, y in pos.values()]
    ax.set_xlim(min(xs) - 0.25, max(xs) + 0.25)
    ax.set_ylim(min(ys) - 0.25, max(ys) + 0.25)
    ax.set_aspect("equal")
    ax.axis("off")
    # a fixed title height: no tick labels above the (axis-less) axes to dodge
    ax.set_title(graph.graph.get("kind", "topology") if title is None else title, loc="left", y=1.0)
    return ax


@styled
def plot_delivery(
    data: Run | Mapping[str, float] | pd.Series,
    ax: Axes | None = None,
    *,
    failed: Iterable[str] | None = None,
    op_id: int | None = None,
    title: str | None = "Delivery time at each leader",
) -> Axes:
    """A bar per leader: how long after it was accepted a write reached that leader.

    The leader that accepted the write (delay 0) is labelled "origin"; a
    leader that never received it gets a hatched bar up to the top of the
    axes labelled "never"; a failed leader is labelled "failed".

    Parameters
    ----------
    data : Run, mapping or Series
        Delays in ms for each leader (``inf`` for never), or a multi-leader
        run: then the delays of write ``op_id``, by default the run's first
        write (see :func:`replnb.topology.delivery_delays`).
    ax : Axes, optional
    failed : iterable of str, optional
        Default: the run's failed leaders.
    op_id : int, optional
        With a run: the write to show.
    title : str or None

    Examples
    --------
    >>> ax = plot_delivery({"A": 0.0, "B": 10.0, "C": float("inf"), "D": float("inf")}, failed=["D"])
    >>> [t.get_text() for t in ax.texts]
    ['origin', 'never', 'failed']
    """
    if isinstance(data, Run):
        failed = topology.down_nodes(data) if failed is None else failed
        op_id = topology.first_write(data) if op_id is None else op_id
        delays = topology.delivery_delays(data, op_id=op_id)
        if title == "Delivery time at each leader":
            title = f"Delivery of {_write_caption(data, op_id)}"
        one_hop = float(data.params.get("latency", 0.0)) + float(data.params.get("jitter", 0.0))
    else:
        delays = pd.Series(data, dtype=float)
        one_hop = 0.0
    failed_set = set(failed or ())
    nodes = list(delays.index)
    ax = new_axes(ax, (0.9 + 0.55 * len(nodes), 3.0))
    values = delays.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    top = max(float(finite.max()) if finite.size else 0.0, one_hop)
    # a round number for the top of the axes (and of the "never" bars)
    ceiling = round_up(ax.yaxis, top * 1.18) if top > 0 else 1.0
    x = np.arange(len(nodes))
    for i, (node, value) in enumerate(zip(nodes, values, strict=True)):
        if node in failed_set or value == 0:
            label, colour = ("failed", "#777777") if node in failed_set else ("origin", COLORS["ok"])
            ax.text(i, ceiling * 0.02, label, rotation=90, ha="center", va="bottom", fontsize=8.5, c=colour)
        elif math.isfinite(value):
            ax.bar(i, value, color=COLORS["ok"], width=0.7)
        else:
            ax.bar(i, ceiling, color="white", edgecolor=COLORS["lost"], hatch="///", width=0.7, lw=1.0)
            ax.text(i, ceiling * 0.5, "never", rotation=90, ha="center", va="center", fontsize=8.5,
                    color=COLORS["lost"], bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
    ax.set_xticks(x, nodes)
    ax.set_xlim(-0.6, len(nodes) - 0.4)
    ax.set_ylim(0, ceiling)
    ax.set_xlabel("leader")
    ax.set_ylabel("delay after the write (ms)")
    ax.grid(axis="x", visible=False)
    if title:
        ax.set_title(title, loc="left", y=1.0)  # fixed height: no tick labels above to dodge
    return ax


@styled
def plot_causality(
    run: Run,
    ax: Axes | None = None,
    *,
    node: str | None = None,
    title: str | None = "When each write was applied",
) -> Axes:
    """A space-time diagram that also shows when each write was *applied*.

    Messages are drawn by :func:`plot_spacetime` (without labels); each write
    is labelled with its value where it was accepted. At ``node`` (default:
    every leader) each remote application is a square, red when the write was
    applied out of order (before a write that happened before it), and a
    thick orange bar from its arrival to its application shows a write held
    back by causal delivery.

    Examples
    --------
    >>> from replnb.topology import causality_scenario
    >>> ax = plot_causality(causality_scenario(), node="C")
    >>> [t.get_text() for t in ax.get_legend().get_texts()][-2:]
    ['applied out of order', 'held back (causal delivery)']
    """
    ax = plot_spacetime(run, ax=ax, labels=False, title=title)
    nodes = list(run.nodes)
    y = {v: len(nodes) - 1 - i for i, v in enumerate(nodes)}
    writes = run.extras.get("writes", {})
    delivery = run.extras["delivery"].sort_values(["time", "op_id"], kind="stable")
    for _, w in sorted(writes.items()):
        ax.text(w.start, y[w.origin] + 0.2, str(w.value), fontsize=8, ha="center", va="bottom",
                color=COLORS["write"])
    remote = delivery[delivery["node"] != delivery["origin"]]
    if node is not None:
        remote = remote[remote["node"] == node]
    seen: dict[str, int] = {}
    columns = [remote[c] for c in ("op_id", "node", "time", "arrived", "out_of_order")]
    for op_id, v, time, arrived, ooo in zip(*columns, strict=True):
        colour = COLORS["lost"] if ooo else COLORS["ok"]
        if time > arrived:
            ax.plot([arrived, time], [y[v], y[v]], color=COLORS["stale"], lw=5, alpha=0.8, zorder=3,
                    solid_capstyle="butt")
        ax.scatter([time], [y[v]], marker="s", s=36, color=colour, zorder=5)
        k = seen.get(v, 0)
        seen[v] = k + 1
        value = writes[op_id].value if op_id in writes else op_id
        ax.text(time, y[v] + (-0.24 if k % 2 else 0.2), f"{value}", fontsize=8, ha="center",
                va="top" if k % 2 else "bottom", color=colour)
    legend = ax.get_legend()
    pairs = list(zip(legend.legend_handles, legend.get_texts(), strict=True)) if legend is not None else []
    handles: list[Any] = [h for h, _ in pairs if h is not None]
    labels = [t.get_text() for h, t in pairs if h is not None]
    handles += [
        Line2D([], [], ls="", marker="s", color=COLORS["ok"]),
        Line2D([], [], ls="", marker="s", color=COLORS["lost"]),
        Line2D([], [], color=COLORS["stale"], lw=5, alpha=0.8),
    ]
    labels += ["applied", "applied out of order", "held back (causal delivery)"]
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


@styled
def plot_topology_sweep(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    y: str = "convergence_time",
    x: str = "n",
    by: str = "topology",
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
) -> Axes:
    """One line per topology (or per value of ``by``): a measure ``y`` against ``x``.

    ``df`` has the columns ``by``, ``x`` and ``y``, one row per point (for
    example from :func:`replnb.topology.sweep`). Infinite values ("never")
    are drawn as open triangles above the highest finite value.

    Examples
    --------
    >>> df = pd.DataFrame({"topology": ["circular"] * 2 + ["star"] * 2, "n": [3, 4, 3, 4],
    ...                    "messages_per_write": [2.0, 3.0, 2.0, 3.0]})
    >>> ax = plot_topology_sweep(df, y="messages_per_write")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['circular', 'star']
    """
    ax = new_axes(ax, (6.0, 3.2))
    values_all = df[y].astype(float)
    finite = values_all[np.isfinite(values_all)]
    top = float(finite.max()) if len(finite) else 1.0
    top = top if top > 0 else 1.0
    never_seen = False
    groups = [k for k in topology.KINDS if k in set(df[by])]
    groups += [g for g in dict.fromkeys(df[by]) if g not in groups]
    spare = [c for c in PALETTE if c not in TOPOLOGY_COLORS.values()] + PALETTE
    for i, group in enumerate(groups):
        rows = df[df[by] == group].sort_values(x)
        colour = TOPOLOGY_COLORS.get(group, spare[i % len(spare)]) if by == "topology" else PALETTE[i]
        values = rows[y].astype(float).to_numpy()
        xs = rows[x].to_numpy()
        ok = np.isfinite(values)
        ax.plot(xs[ok], values[ok], marker="o", ms=4, color=colour, label=str(group))
        if (~ok).any():
            never_seen = True
            ax.plot(xs[~ok], [top * 1.1] * int((~ok).sum()), ls="", marker="^", mfc="white", color=colour)
    handles, labels = ax.get_legend_handles_labels()
    if never_seen:
        handles.append(Line2D([], [], ls="", marker="^", mfc="white", color="#555555"))
        labels.append("never (inf)")
        ax.set_ylim(top=top * 1.2)
    ax.set_ylim(bottom=0)
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_xlabel(xlabel or ("number of leaders n" if x == "n" else x.replace("_", " ")))
    ax.set_ylabel(ylabel or y.replace("_", " "))
    if x == "n":
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    if title:
        ax.set_title(title, loc="left")
    return ax
# ---- end of chapter 3 ----------------------------------------------------------


# ---- chapter 4: leaderless quorums -------------------------------------------
__all__ += [
    "plot_availability",
    "plot_convergence",
    "plot_quorum_grid",
    "plot_quorum_sweep",
    "plot_visibility",
]


@styled
def plot_visibility(
    curves: pd.DataFrame,
    ax: Axes | None = None,
    *,
    closed_form: float | dict[str, float] | None = None,
    published: pd.DataFrame | None = None,
    log_time: bool = False,
    legend: bool = True,
    title: str | None = "P(consistent read) after a write commits",
) -> Axes:
    """PBS t-visibility curves: the chance that a read ``t`` ms after the commit sees the write.

    Parameters
    ----------
    curves : DataFrame
        Columns ``t_ms`` and ``p`` (one row per time), and optionally
        ``label`` (one curve per label).
    ax : Axes, optional
    closed_form : float or dict of label to float, optional
        ``1 - stale_read_probability`` for each curve: the non-expanding
        quorum's chance, drawn as a hollow circle at ``t = 0``.
    published : DataFrame, optional
        Published points (columns ``label``, ``t_ms``, ``p``), drawn as
        crosses in the colour of the curve with the same label.
    log_time : bool
        A symmetric-log time axis (linear below 1 ms), for curves that span
        decades.
    legend : bool
        Name the curves and markers in a legend.
    title : str or None

    Examples
    --------
    >>> df = pd.DataFrame({"t_ms": [0.0, 1.0, 10.0], "p": [0.5, 0.9, 1.0]})
    >>> plot_visibility(df, closed_form=1 / 3).get_ylabel()
    'P(consistent read)'
    >>> plt.close("all")
    """
    ax = new_axes(ax, (7.0, 3.4))
    labelled = "label" in curves.columns
    groups = list(curves.groupby("label", sort=False)) if labelled else [("", curves)]
    colour = {}
    for i, (label, df) in enumerate(groups):
        colour[label] = PALETTE[i % len(PALETTE)]
        ax.plot(
            df["t_ms"],
            df["p"],
            color=colour[label],
            lw=1.8,
            label=str(label) if labelled else "PBS WARS model",
        )
    if closed_form is not None:
        points = closed_form if isinstance(closed_form, dict) else {"": closed_form}
        for i, (label, p) in enumerate(points.items()):
            ax.scatter(
                [0.0],
                [p],
                s=60,
                facecolors="white",
                edgecolors=colour.get(label, PALETTE[0]),
                lw=1.8,
                zorder=5,
                label="closed form, no propagation (t=0)" if i == 0 else None,
            )
    if published is not None and len(published):
        for i, (label, t, p) in enumerate(
            zip(published["label"], published["t_ms"], published["p"], strict=True)
        ):
            ax.scatter(
                [t],
                [p],
                marker="X",
                s=55,
                color=colour.get(label, "#444444"),
                edgecolors="white",
                lw=0.6,
                zorder=6,
                label="published (Bailis et al.)" if i == 0 else None,
            )
    if log_time:
        from matplotlib import ticker

        ax.set_xscale("symlog", linthresh=1.0, linscale=0.5)
        top = max(1.0, float(curves["t_ms"].max()))
        decades = [0.0] + [10.0**k for k in range(int(math.log10(top)) + 1)]
        ax.xaxis.set_major_locator(ticker.FixedLocator(decades))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))  # plain text, no mathtext
        ax.xaxis.set_minor_locator(ticker.NullLocator())  # dozens of minor ticks cost more than they tell
        ax.set_xlim(-0.15, top)
    else:
        ax.set_xlim(left=-0.01 * float(curves["t_ms"].max()))
    ax.set_ylim(min(0.0, float(curves["p"].min())) - 0.02, 1.02)
    ax.set_xlabel("t: time after the write commits (ms)")
    ax.set_ylabel("P(consistent read)")
    if legend:
        ax.legend(loc="lower right")
    if title:
        ax.set_title(title, loc="left", y=1.0)  # fixed height: no tick labels above to dodge
    return ax


@styled
def plot_quorum_grid(
    grid: pd.DataFrame,
    ax: Axes | None = None,
    *,
    highlight: tuple[int, int] | None = None,
    annotate: bool | None = None,
    colorbar: bool = True,
    legend: str | None = "below",
    title: str | None = "P(stale read), no propagation",
) -> Axes:
    """A heatmap of stale-read probability over read and write quorum sizes.

    Parameters
    ----------
    grid : DataFrame
        Rows ``R`` = 1..N, columns ``W`` = 1..N (as from
        :func:`replnb.leaderless.quorum_grid`).
    ax : Axes, optional
    highlight : (r, w), optional
        The cell to outline (the current choice).
    annotate : bool, optional
        Write each non-zero probability in its cell (default: when N <= 7).
    colorbar : bool
    legend : {"below", "right"} or None
        Where to name the dashed line (None: nowhere).
    title : str or None

    The cells on the dashed line have ``R + W = N + 1``: the smallest
    overlapping quorums. Every cell above or right of it is a strict quorum.

    Examples
    --------
    >>> from replnb.leaderless import quorum_grid
    >>> ax = plot_quorum_grid(quorum_grid(3), highlight=(1, 1))
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('W (write quorum)', 'R (read quorum)')
    >>> plt.close("all")
    """
    ax = new_axes(ax, (4.2, 3.6))
    n = len(grid)
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(
        values, origin="lower", cmap="YlOrBr", vmin=0.0, vmax=1.0, extent=(0.5, n + 0.5, 0.5, n + 0.5)
    )
    if annotate is None:
        annotate = n <= 7
    if annotate:
        size = 8.5 if n <= 4 else 7.0
        for i, row in enumerate(grid.index):
            for j, col in enumerate(grid.columns):
                v = values[i, j]
                if v == 0:
                    continue
                ax.text(
                    float(col),
                    float(row),
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="white" if v > 0.6 else "#222222",
                )
    line = np.array([0.5, n + 1.5])
    ax.plot(line, n + 1 - line, ls="--", color="#333333", lw=1.2, label="R + W = N + 1")
    if highlight is not None:
        hr, hw = highlight
        ax.add_patch(
            plt.Rectangle((hw - 0.5, hr - 0.5), 1, 1, fill=False, ec=COLORS["highlight"], lw=2.5, zorder=5)
        )
    ax.set_xlim(0.5, n + 0.5)
    ax.set_ylim(0.5, n + 0.5)
    ticks = list(range(1, n + 1))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.grid(False)
    ax.set_xlabel("W (write quorum)")
    ax.set_ylabel("R (read quorum)")
    if legend == "below":
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), handlelength=2.0, borderaxespad=0.0)
    elif legend == "right":
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), handlelength=2.0, borderaxespad=0.0)
    elif legend is not None:
        raise ValueError(f"legend must be 'below', 'right' or None, got {legend!r}")
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.85, pad=0.02, ticks=[0.0, 0.5, 1.0])
        bar.set_label("P(stale read)")
    if title:
        ax.set_title(title, loc="left", y=1.0)  # fixed height: no tick labels above to dodge
    return ax


def _lag_frame(run: Run | pd.DataFrame) -> pd.DataFrame:
    if isinstance(run, pd.DataFrame):
        return run
    from .leaderless import lagging_replicas

    return lagging_replicas(run)


@styled
def plot_convergence(
    runs: Run | pd.DataFrame | dict[str, Run | pd.DataFrame],
    ax: Axes | None = None,
    *,
    marks: bool | None = None,
    legend: bool = True,
    title: str | None = "Replicas behind the newest acknowledged write",
) -> Axes:
    """The share of (key, home replica) pairs that lag behind, over time.

    Parameters
    ----------
    runs : Run, DataFrame, or dict of label to Run or DataFrame
        A leaderless run (or :func:`replnb.leaderless.lagging_replicas` of
        one); a dict draws one labelled curve each.
    ax : Axes, optional
    marks : bool, optional
        Also mark stale reads (orange, at the bottom) and failed writes (red,
        at the top) of the run; default when one Run is given.
    legend : bool
        Name the curves, shading and marks in a legend right of the axes.
    title : str or None

    Times when a node of the (first) run is down are shaded grey.

    Examples
    --------
    >>> from replnb.leaderless import simulate
    >>> ax = plot_convergence(simulate(r=1, w=1, duration=300, seed=1))
    >>> ax.get_ylabel()
    'replicas behind (%)'
    >>> plt.close("all")
    """
    ax = new_axes(ax, (8.0, 3.0))
    items = runs if isinstance(runs, dict) else {"": runs}
    first = next(iter(items.values()))
    if marks is None:
        marks = isinstance(runs, Run)
    end = 0.0
    for i, (label, run) in enumerate(items.items()):
        lag = _lag_frame(run)
        stop = run.end_time if isinstance(run, Run) else float(lag["time"].max())
        end = max(end, stop)
        xs = [*lag["time"], stop]
        ys = [*(100 * lag["fraction"]), 100 * float(lag["fraction"].iloc[-1])]
        color = PALETTE[i % len(PALETTE)]
        ax.step(xs, ys, where="post", color=color, lw=1.4, label=str(label) if label else "replicas behind")
        if len(items) == 1:
            ax.fill_between(xs, ys, step="post", color=color, alpha=0.18, lw=0)
    if isinstance(first, Run):
        events = first.events
        spans = []
        for node in first.nodes:
            node_events = events[events["node"] == node] if len(events) else events
            spans += _down_intervals(node_events, node, first.end_time)
        merged: list[list[float]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        for k, (a, b) in enumerate(merged):
            ax.axvspan(a, b, color=COLORS["down"], alpha=0.4, lw=0, label=None if k else "node(s) down")
        if marks:
            ops = first.ops
            trans = ax.get_xaxis_transform()
            stale = ops[(ops["kind"] == "read") & ops["stale"].astype(bool)] if "stale" in ops else ops[:0]
            failed = ops[(ops["kind"] == "write") & ~ops["ok"].astype(bool)]
            if len(stale):
                ax.scatter(
                    stale["start"],
                    np.full(len(stale), 0.03),
                    transform=trans,
                    marker="|",
                    s=60,
                    color=COLORS["stale"],
                    label="stale read",
                    zorder=5,
                )
            if len(failed):
                ax.scatter(
                    failed["start"],
                    np.full(len(failed), 0.97),
                    transform=trans,
                    marker="x",
                    s=25,
                    color=COLORS["lost"],
                    label="failed write",
                    zorder=5,
                )
    ax.set_xlim(0.0, end if end > 0 else 1.0)
    ax.set_ylim(-2.0, 102.0)
    ax.set_xlabel("true time (ms)")
    ax.set_ylabel("replicas behind (%)")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left", y=1.0)  # fixed height: no tick labels above to dodge
    return ax


@styled
def plot_availability(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    columns: Sequence[str] = ("write_availability", "read_availability"),
    title: str | None = "Availability",
) -> Axes:
    """Grouped horizontal bars of availability (a fraction) per scenario.

    Parameters
    ----------
    table : DataFrame
        One row per scenario (the index labels the bars), with the
        ``columns`` as fractions in [0, 1].
    ax : Axes, optional
    columns : sequence of str
    title : str or None

    Examples
    --------
    >>> df = pd.DataFrame({"write_availability": [0.6, 1.0], "read_availability": [0.7, 1.0]},
    ...                   index=["strict", "sloppy"])
    >>> plot_availability(df).get_xlabel()
    'operations that succeeded (%)'
    >>> plt.close("all")
    """
    ax = new_axes(ax, (7.0, 0.9 + 0.7 * len(table)))
    cols = list(columns)
    height = 0.8 / len(cols)
    y = np.arange(len(table))
    for j, col in enumerate(cols):
        values = 100 * table[col].astype(float).to_numpy()
        pos = y - 0.4 + height * (j + 0.5)
        ax.barh(
            pos, values, height=height * 0.92, color=PALETTE[j % len(PALETTE)], label=col.replace("_", " ")
        )
        for p, v in zip(pos, values, strict=True):
            ax.text(min(v, 100) + 1, p, f"{v:.0f}%", va="center", fontsize=8)
    ax.set_yticks(y, [str(i) for i in table.index])
    ax.invert_yaxis()
    ax.set_xlim(0, 112)
    ax.set_xlabel("operations that succeeded (%)")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax


@styled
def plot_quorum_sweep(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    y: str = "stale_fraction",
    by: str | None = "latency",
    ylabel: str | None = None,
    percent: bool | None = None,
    title: str | None = None,
) -> Axes:
    """Bars of one figure for each (R, W) of a quorum sweep, grouped by another column.

    Parameters
    ----------
    df : DataFrame
        One row per run, with columns ``n``, ``r``, ``w``, ``y`` and ``by``
        (as from :func:`replnb.sweep.sweep` over
        :func:`replnb.leaderless.simulate`).
    ax : Axes, optional
    y : str
        The figure to draw (default ``stale_fraction``).
    by : str or None
        One bar colour per value of this column.
    ylabel : str, optional
    percent : bool, optional
        Draw fractions as percentages (default: when ``y`` ends in
        ``fraction`` or ``availability``).
    title : str or None

    Strict quorums (``R + W > N``) have their tick labels in bold.

    Examples
    --------
    >>> df = pd.DataFrame({"n": 3, "r": [1, 2], "w": [1, 2], "latency": "YMMR",
    ...                    "stale_fraction": [0.1, 0.0]})
    >>> plot_quorum_sweep(df).get_ylabel()
    'stale reads (%)'
    >>> plt.close("all")
    """
    ax = new_axes(ax, (8.0, 3.2))
    if percent is None:
        percent = y.endswith(("fraction", "availability"))
    scale = 100.0 if percent else 1.0
    cells = sorted({(int(n), int(r), int(w)) for n, r, w in zip(df["n"], df["r"], df["w"], strict=True)})
    groups = list(dict.fromkeys(df[by])) if by is not None else [None]
    width = 0.8 / len(groups)
    xs = np.arange(len(cells))
    for j, group in enumerate(groups):
        sub = df if group is None else df[df[by] == group]
        means = sub.groupby(["n", "r", "w"])[y].mean()
        values = [scale * float(means.get(cell, np.nan)) for cell in cells]
        ax.bar(
            xs - 0.4 + width * (j + 0.5),
            values,
            width=width * 0.92,
            color=PALETTE[j % len(PALETTE)],
            label=None if group is None else str(group),
        )
    multi_n = len({n for n, _, _ in cells}) > 1
    labels = [(f"N={n}\n" if multi_n else "") + f"R={r}\nW={w}" for n, r, w in cells]
    ticks = ax.set_xticks(xs, labels, fontsize=8.5)
    for tick, (n, r, w) in zip(ticks, cells, strict=True):
        if r + w > n:
            tick.label1.set_fontweight("bold")
    ax.grid(axis="x", visible=False)
    default = y.replace("_", " ")
    if percent:
        default = {"stale fraction": "stale reads"}.get(default, default) + " (%)"
    elif y.endswith("_median"):
        default = "median " + default.removesuffix(" median") + " (ms)"
    ax.set_ylabel(ylabel if ylabel is not None else default)
    if by is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax


# ---- end of chapter 4 ----------------------------------------------------------


# ---- chapter 5: choosing a scheme --------------------------------------------
__all__ += [
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
    "write_availability": ("Write availability", "writes acknowledged (%)", True),
    "write_latency_p99_ms": ("p99 write latency", "ms", False),
    "convergence_time_ms": ("Convergence time", "ms after the last\nwrite or fault", False),
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
    >>> len(ax.patches), ax.get_xlabel()
    (3, 'reads')
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
    top = float(finite.max()) if finite.size else 0.0
    ax.xaxis.set_major_locator(plt.MaxNLocator(3, integer=metric in ("lost_writes", "stale_reads")))
    if metric == "write_availability":
        edge = 100.0
    elif top > 0:
        edge = round_up(ax.xaxis, top * 1.15)
    else:
        edge = 1.0
    best = (finite.max() if larger_better else finite.min()) if finite.size else math.nan
    right = edge * (1.12 if metric == "write_availability" else 1.0)  # the x limit
    y = np.arange(len(table))
    colours = [FAMILY_COLORS.get(_family(scheme), COLORS["message"]) for scheme in table.index]
    is_best = np.isfinite(values) & (values == best)
    never = np.isinf(values)
    drawn = ~never  # one barh call for the finite bars (NaN: no bar), one for the hatched "never"
    ax.barh(
        y[drawn],
        np.nan_to_num(values[drawn]),
        color=[c for c, d in zip(colours, drawn, strict=True) if d],
        edgecolor=["black" if b else c for c, b, d in zip(colours, is_best, drawn, strict=True) if d],
        linewidth=[1.4 if b else 1.0 for b, d in zip(is_best, drawn, strict=True) if d],
    )
    if never.any():
        ax.barh(
            y[never],
            np.full(int(never.sum()), edge),
            color="white",
            hatch="///",
            edgecolor=[c for c, n in zip(colours, never, strict=True) if n],
            linewidth=1.0,
        )
    for yi, v, bold in zip(y, values, is_best, strict=True):
        if math.isinf(v):
            text = "never"
        elif math.isnan(v):
            text = "n/a"
        else:
            whole = scale != 1.0 or metric.endswith("_ms") or float(v).is_integer()
            text = f"{v:.0f}" if whole else f"{v:.2g}"
        # white inside a bar long enough to hold the label, black after a shorter one (no text
        # box: a box per label costs as much to draw as the label)
        share = float(v) / right if np.isfinite(v) else 0.0
        on_bar = share >= 0.22
        ax.text(
            0.02 if on_bar else share + 0.02,
            float(yi),
            text,
            transform=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            fontsize=8.5,
            fontweight="bold" if bold else "normal",
            color="white" if on_bar else "black",
        )
    if labels:
        ax.set_yticks(y, [str(s) for s in table.index])
    else:  # a panel beside the first: no y axis at all (cheaper to draw, nothing to read twice)
        ax.yaxis.set_visible(False)
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
    ax = new_axes(ax, (4.0, 0.8 + 0.45 * len(schemes)))
    scale = 100.0 if metric == "write_availability" else 1.0
    height = 0.8 / max(len(groups), 1)
    fallback = [PALETTE[(5 + i) % len(PALETTE)] for i in range(len(groups))]
    for j, group in enumerate(groups):
        colour = MIX_COLORS.get(str(group), fallback[j])
        for i, scheme in enumerate(schemes):
            values = df.loc[(df["scheme"] == scheme) & (df[by] == group), metric].astype(float) * scale
            finite = values[np.isfinite(values)]
            y = i - 0.4 + height * (j + 0.5)
            mean = float(finite.mean()) if len(finite) else 0.0
            ax.barh(y, mean, height=height * 0.9, color=colour, label=str(group) if i == 0 else None)
            if len(finite) > 1:
                ax.plot([finite.min(), finite.max()], [y, y], color="#333333", lw=0.8)
            if len(finite) < len(values):
                ax.text(mean, y, f" {len(values) - len(finite)}× never", va="center", fontsize=7)
    ax.set_yticks(np.arange(len(schemes)))
    if labels:
        ax.set_yticklabels([str(s) for s in schemes])
    else:
        ax.tick_params(axis="y", labelleft=False, length=0)
    ax.set_ylim(len(schemes) - 0.5, -0.5)
    if metric == "write_availability":
        ax.set_xlim(0, 105)
    ax.xaxis.set_major_locator(plt.MaxNLocator(3))
    ax.set_xlabel(xlabel)
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


# ---- end of chapter 5 ----------------------------------------------------------
