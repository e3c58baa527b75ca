"""Plots of chapter 1, single-leader replication."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..check import CheckResult
from ..records import Run
from .spacetime import draw_spacetime, draw_write_labels, select
from .style import COLORS, PALETTE, new_axes, styled
from .sweeps import plot_sweep

__all__ = [
    "CUT_COLOR",
    "MEMBER_COLOR",
    "MODE_COLORS",
    "cut_intervals",
    "plot_failover",
    "plot_mode_comparison",
    "plot_mode_sweep",
    "plot_replication_lag",
    "plot_timeout_tradeoff",
    "plot_write_timeline",
]

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
    "ignore": "ignores new epoch",
    "sync-replaced": "new sync follower",
}
#: Events of a follower joining or catching up, drawn as squares.
_MEMBER_EVENTS = {
    "join": "asks to join",
    "snapshot": "snapshot",
    "installed": "snapshot installed",
    "recover": "recovers",
}
#: Colour of the membership markers and of the bands of cut links and partitions.
MEMBER_COLOR = PALETTE[5]
CUT_COLOR = "#F0E442"
_CUTS = {"partition": "heal", "link-cut": "link-heal"}


def _group_colors(groups: Sequence[Any]) -> dict[Any, str]:
    spare = iter(c for c in PALETTE if c not in MODE_COLORS.values())
    return {g: MODE_COLORS.get(str(g)) or next(spare, "#444444") for g in groups}


def cut_intervals(run: Run) -> list[tuple[float, float, str]]:
    """The ``(start, end, what)`` of every partition and link failure of ``run`` (open ones end at its end).

    Examples
    --------
    >>> from replnb import single_leader
    >>> run = single_leader.simulate(duration=100, partitions=[([["A"], ["B", "C"]], 20, 40)])
    >>> cut_intervals(run)
    [(20.0, 40.0, 'partition A | BC')]
    """
    events = run.events
    out: list[tuple[float, float, str]] = []
    if not len(events):
        return out
    open_: dict[tuple[str, str], list[float]] = {}
    for time, event, detail in zip(events["time"], events["event"], events["detail"], strict=True):
        if event in _CUTS:
            open_.setdefault((event, detail), []).append(float(time))
        for start_event, end_event in _CUTS.items():
            if event == end_event and open_.get((start_event, detail)):
                start = open_[(start_event, detail)].pop(0)
                out.append((start, float(time), _cut_name(start_event, detail)))
    for (event, detail), starts in sorted(open_.items()):
        out.extend((t, float(run.end_time), _cut_name(event, detail)) for t in starts)
    return sorted(out)


def _cut_name(event: str, detail: str) -> str:
    return f"partition {detail}" if event == "partition" else f"link {detail} cut"


def _draw_cuts(run: Run, ax: Axes, since: float | None, until: float | None) -> list[Any]:
    lo = -np.inf if since is None else since
    hi = np.inf if until is None else until
    shown = [(a, b, what) for a, b, what in cut_intervals(run) if b >= lo and a <= hi]
    for start, end, what in shown:
        ax.axvspan(start, end, color=CUT_COLOR, alpha=0.22, lw=0, zorder=0)
        ax.text(
            max(start, lo), ax.get_ylim()[1], f" {what}", fontsize=7.5, va="top", ha="left", color="#666600"
        )
    return [Patch(color=CUT_COLOR, alpha=0.35, label="link cut / partition")] if shown else []


def _draw_member_events(
    run: Run, ax: Axes, y: dict[str, int], since: float | None, until: float | None
) -> bool:
    events = _window(run.events, _MEMBER_EVENTS, since, until)
    if not len(events):
        return False
    for time, node, event in zip(events["time"], events["node"], events["event"], strict=True):
        if node not in y:
            continue
        ax.plot([time], [y[node]], marker="s", ms=6, color=MEMBER_COLOR, zorder=5)
        ax.annotate(
            _MEMBER_EVENTS[event],
            xy=(time, y[node]),
            xytext=(4, -5),
            textcoords="offset points",
            fontsize=7.5,
            color="#1F6F99",
            ha="left",
            va="top",
            zorder=6,
        )
    return True


def _label_messages(
    run: Run, ax: Axes, kinds: Sequence[str], since: float | None, until: float | None
) -> None:
    """Label the writes, and the delivered messages of ``kinds`` at the middle of their arrows."""
    draw_write_labels(select(run, until=until, since=since), ax)
    msgs = run.messages
    msgs = msgs[msgs["kind"].isin(list(kinds)) & msgs["delivered"].notna()]
    y = {n: len(run.nodes) - 1 - i for i, n in enumerate(run.nodes)}
    lo = -np.inf if since is None else since
    hi = np.inf if until is None else until
    for src, dst, sent, got, label in zip(
        msgs["src"], msgs["dst"], msgs["sent"], msgs["delivered"], msgs["label"], strict=True
    ):
        if sent >= lo and got <= hi:
            ax.text(
                (sent + got) / 2, (y[src] + y[dst]) / 2, f" {label}", fontsize=7.5, color="#1F6F99", ha="left"
            )


def _window(events: pd.DataFrame, kinds: Any, since: float | None, until: float | None) -> pd.DataFrame:
    if not len(events):
        return events
    keep = events["event"].isin(list(kinds))
    if since is not None:
        keep &= events["time"] >= since
    if until is not None:
        keep &= events["time"] <= until
    return events[keep]


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
    check: CheckResult | None = None,
    message_labels: Sequence[str] | None = None,
) -> Axes:
    """A space-time diagram of a single-leader run, with its leadership changes.

    :func:`plot_spacetime` (lost writes as red crosses, stale reads in
    orange, crashed intervals grey) plus a purple marker and a label where
    the failure was detected, where a follower was promoted (with its new
    epoch), and where an old leader resumed, stepped down or rolled back;
    a blue square where a node recovered or a new follower asked to join,
    got its snapshot and installed it; a yellow band over every partition
    and cut link.
    A message lost with a crashed node is a grey dotted stub ending in a bar
    (:data:`replnb.plots.spacetime.DROPPED_MARKER`), so that only lost writes are crosses.

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
    check : CheckResult, optional
        A :func:`replnb.check.check` verdict on the run: its witnesses are marked.
    message_labels : sequence of str, optional
        Label writes, and only the delivered messages of these kinds (for
        example ``["join", "snapshot", "sync"]``), instead of every message.

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
    chosen = message_labels is not None
    ax = draw_spacetime(
        run,
        ax,
        since=since,
        until=until,
        labels=False if chosen else labels,
        title=title,
        legend=legend,
        check=check,
    )
    if message_labels is not None:
        _label_messages(run, ax, message_labels, since, until)
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
    members = _draw_member_events(run, ax, y, since, until)
    cuts = _draw_cuts(run, ax, since, until)
    if legend and (len(events) or members or cuts):
        old = ax.get_legend()
        handles: list[Any] = [h for h in old.legend_handles if h is not None] if old is not None else []
        if len(events):
            handles.append(
                Line2D([], [], marker="D", ls="", color=COLORS["highlight"], label="leadership change")
            )
        if members:
            handles.append(Line2D([], [], marker="s", ls="", color=MEMBER_COLOR, label="joins / catches up"))
        handles.extend(cuts)
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


#: The two measures of :func:`plot_timeout_tradeoff`: column, label, colour, marker.
_TRADEOFF = (
    ("failovers", "unnecessary failovers (% of pauses)", PALETTE[3], "o"),
    ("crash_unavailable_ms", "writes unavailable after a crash (ms)", PALETTE[0], "s"),
)


@styled
def plot_timeout_tradeoff(df: pd.DataFrame, ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """The failover timeout's trade-off: unnecessary failovers (left axis) against unavailability (right).

    Parameters
    ----------
    df : DataFrame
        As :func:`replnb.single_leader.experiments.failover_timeout_sweep`
        returns: ``timeout``, ``failovers`` (per pause run) and
        ``crash_unavailable_ms``.
    ax : Axes, optional
    title : str, optional

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> df = pd.DataFrame({"timeout": [10, 10, 100, 100], "failovers": [1, 1, 0, 1],
    ...                    "crash_unavailable_ms": [10.0, 10.0, 100.0, 100.0]})
    >>> ax = plot_timeout_tradeoff(df)
    >>> ax.get_lines()[0].get_ydata().tolist()
    [100.0, 50.0]
    >>> plt.close(ax.figure)
    """
    missing = [c for c in ("timeout", "failovers", "crash_unavailable_ms") if c not in df.columns]
    if missing:
        raise ValueError(
            f"df must have the columns timeout, failovers, crash_unavailable_ms; missing {missing}"
        )
    ax = new_axes(ax)
    means = df.groupby("timeout")[["failovers", "crash_unavailable_ms"]].mean()
    x = means.index.to_numpy(dtype=float)
    (column, label, color, marker), (column2, label2, color2, marker2) = _TRADEOFF
    left = ax.plot(x, 100 * means[column].to_numpy(), marker=marker, color=color, lw=1.6, label=label)
    ax.set_ylabel(label, color=color)
    ax.set_ylim(0, 105)
    right_ax = ax.twinx()
    right_ax.spines["right"].set_visible(True)
    right_ax.grid(False)
    right = right_ax.plot(
        x, means[column2].to_numpy(), marker=marker2, color=color2, lw=1.6, ls="--", label=label2
    )
    right_ax.set_ylabel(label2, color=color2)
    right_ax.set_ylim(0, max(1.0, float(means[column2].max())) * 1.05)
    ax.set_xlim(0, float(x.max()) * 1.02)
    ax.set_xlabel("detection timeout (ms)")
    ax.legend(handles=[*left, *right], loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2)
    if title:
        ax.set_title(title, loc="left")
    return ax


@styled
def plot_write_timeline(
    runs: Mapping[str, Run],
    ax: Axes | None = None,
    *,
    down: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Acknowledged writes over time, one step line per run: a flat stretch is a stretch without writes.

    Parameters
    ----------
    runs : mapping
        Label (a mode's name gets the mode's colour) to a single-leader run.
    ax : Axes, optional
    down : (float, float), optional
        A failure to shade (ms).
    title : str, optional

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from replnb import single_leader
    >>> ax = plot_write_timeline({"sync": single_leader.simulate(mode="sync", duration=100)})
    >>> bool(ax.get_xlim()[1] == single_leader.simulate(mode="sync", duration=100).end_time)
    True
    >>> plt.close(ax.figure)
    """
    ax = new_axes(ax)
    colors = _group_colors(list(runs))
    end = 0.0
    for label, run in runs.items():
        ops = run.ops
        acked = np.sort(ops[(ops["kind"] == "write") & ops["ok"]]["end"].to_numpy(dtype=float))
        xs = np.concatenate([[0.0], acked, [run.end_time]])
        ys = np.concatenate([[0], np.arange(1, len(acked) + 1), [len(acked)]])
        line = _MODE_LINES.get(label, ("o", "-"))[1]
        ax.step(xs, ys, where="post", color=colors[label], ls=line, lw=1.6, label=label)
        end = max(end, float(run.end_time))
    if down is not None:
        ax.axvspan(*down, color=COLORS["down"], alpha=0.35, lw=0, label="follower down")
    ax.set_xlim(0, end)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("true time (ms)")
    ax.set_ylabel("writes acknowledged so far")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax
