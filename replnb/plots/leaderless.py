"""Plots of chapter 4, leaderless quorums."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes

from ..leaderless import lagging_replicas
from ..records import Run
from .spacetime import down_intervals
from .style import COLORS, PALETTE, finish_barh, new_axes, styled
from .sweeps import plot_sweep

__all__ = [
    "plot_availability",
    "plot_convergence",
    "plot_datacenter_levels",
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


def _annotate_cells(ax: Axes, grid: pd.DataFrame, values: np.ndarray, size: float) -> None:
    """Write each non-zero probability in its cell."""
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


#: Where the quorum grid's legend goes: its anchor for each ``legend`` choice.
_GRID_LEGEND_ANCHOR = {"below": (0.0, -0.2), "right": (1.02, 1.0)}


def _grid_legend(ax: Axes, legend: str | None) -> None:
    if legend is None:
        return
    anchor = _GRID_LEGEND_ANCHOR.get(legend) if isinstance(legend, str) else None
    if anchor is None:
        raise ValueError(f"legend must be 'below', 'right' or None, got {legend!r}")
    ax.legend(loc="upper left", bbox_to_anchor=anchor, handlelength=2.0, borderaxespad=0.0)


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
        _annotate_cells(ax, grid, values, 8.5 if n <= 4 else 7.0)
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
    _grid_legend(ax, legend)
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.85, pad=0.02, ticks=[0.0, 0.5, 1.0])
        bar.set_label("P(stale read)")
    if title:
        ax.set_title(title, loc="left", y=1.0)  # fixed height: no tick labels above to dodge
    return ax


def _lag_frame(run: Run | pd.DataFrame) -> pd.DataFrame:
    if isinstance(run, pd.DataFrame):
        return run

    return lagging_replicas(run)


def _draw_lag_curves(ax: Axes, items: Mapping[str, Run | pd.DataFrame]) -> float:
    """One step curve per run (filled when there is one); returns the latest end time."""
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
    return end


def _draw_downtime(ax: Axes, run: Run) -> None:
    """Shade the times when some node of ``run`` is down (overlapping outages merged)."""
    events = run.events
    spans = []
    for node in run.nodes:
        node_events = events[events["node"] == node] if len(events) else events
        spans += down_intervals(node_events, node, run.end_time)
    merged: list[list[float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    for k, (a, b) in enumerate(merged):
        ax.axvspan(a, b, color=COLORS["down"], alpha=0.4, lw=0, label=None if k else "node(s) down")


def _draw_op_marks(ax: Axes, run: Run) -> None:
    """Mark stale reads at the bottom, and lost and failed writes at the top of the axes."""
    ops = run.ops
    stale = ops[(ops["kind"] == "read") & ops["stale"].astype(bool)] if "stale" in ops else ops[:0]
    lost = ops[(ops["kind"] == "write") & ops["lost"].astype(bool)] if "lost" in ops else ops[:0]
    failed = ops[(ops["kind"] == "write") & ~ops["ok"].astype(bool)]
    for rows, y, marker, size, color, label in (
        (stale, 0.03, "|", 60, COLORS["stale"], "stale read"),
        (lost, 0.97, "v", 22, COLORS["lost"], "lost write"),
        (failed, 0.9, "x", 25, COLORS["message"], "failed write"),
    ):
        if len(rows):
            ax.scatter(
                rows["start"],
                np.full(len(rows), y),
                transform=ax.get_xaxis_transform(),
                marker=marker,
                s=size,
                color=color,
                label=label,
                zorder=5,
            )


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
        Also mark stale reads (orange, at the bottom), lost writes (red
        triangles, at the top, at the time they began) and failed writes (grey,
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
    end = _draw_lag_curves(ax, items)
    if isinstance(first, Run):
        _draw_downtime(ax, first)
        if marks:
            _draw_op_marks(ax, first)
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
    return finish_barh(ax, "operations that succeeded (%)", title)


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
        (as from :func:`replnb.grid.sweep` over
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
    if percent is None:
        percent = y.endswith(("fraction", "availability"))
    cells = sorted({(int(n), int(r), int(w)) for n, r, w in zip(df["n"], df["r"], df["w"], strict=True)})
    default = y.replace("_", " ")
    if percent:
        default = {"stale fraction": "stale reads"}.get(default, default) + " (%)"
    elif y.endswith("_median"):
        default = "median " + default.removesuffix(" median") + " (ms)"
    ax = plot_sweep(
        df, ["n", "r", "w"], y, ax, by=by, kind="bar", categories=cells, scale=100.0 if percent else 1.0,
        floor="none", ylabel=ylabel if ylabel is not None else default, title=title,
    )  # fmt: skip
    multi_n = len({n for n, _, _ in cells}) > 1
    labels = [(f"N={n}\n" if multi_n else "") + f"R={r}\nW={w}" for n, r, w in cells]
    ticks = ax.set_xticks(np.arange(len(cells)), labels, fontsize=8.5)
    for tick, (n, r, w) in zip(ticks, cells, strict=True):
        if r + w > n:
            tick.label1.set_fontweight("bold")
    ax.grid(axis="x", visible=False)
    return ax


#: What :func:`plot_datacenter_levels` can draw: columns, their legend labels, scale, axis label.
_DC_PANELS = {
    "latency": (
        ("write_latency", "read_latency"),
        ("write (median)", "read in dc2 (median)"),
        1.0,
        "ms, client round trip included",
    ),
    "stale": (("stale_dc1", "stale_dc2"), ("reader in dc1", "reader in dc2"), 100.0, "stale reads (%)"),
}


@styled
def plot_datacenter_levels(
    table: pd.DataFrame, ax: Axes | None = None, *, what: str = "latency", title: str | None = None
) -> Axes:
    """Grouped horizontal bars, one group per consistency level, of latency or of stale reads.

    Parameters
    ----------
    table : DataFrame
        As from :func:`replnb.leaderless.datacenters.two_datacenters` (the
        index names the levels).
    ax : Axes, optional
    what : {"latency", "stale"}
        ``"latency"``: median write latency and dc2's median read latency
        (ms); ``"stale"``: the stale fraction of each reader's reads (%).
    title : str or None

    Examples
    --------
    >>> df = pd.DataFrame({"write_latency": [4.0, 150.0], "read_latency": [1.5, 150.0],
    ...                    "stale_dc1": [0.0, 0.0], "stale_dc2": [0.4, 0.0]}, index=["LOCAL", "QUORUM"])
    >>> plot_datacenter_levels(df, what="stale").get_xlabel()
    'stale reads (%)'
    >>> plt.close("all")
    """
    if what not in _DC_PANELS:
        raise ValueError(f"what must be one of {list(_DC_PANELS)}, got {what!r}")
    cols, labels, scale, xlabel = _DC_PANELS[what]
    ax = new_axes(ax, (7.0, 0.9 + 0.7 * len(table)))
    height = 0.8 / len(cols)
    y = np.arange(len(table))
    top = max(float(np.nanmax(scale * table[list(cols)].astype(float).to_numpy())), 1.0)
    for j, (col, label) in enumerate(zip(cols, labels, strict=True)):
        values = scale * table[col].astype(float).to_numpy()
        pos = y - 0.4 + height * (j + 0.5)
        ax.barh(pos, values, height=height * 0.92, color=PALETTE[j % len(PALETTE)], label=label)
        for p, v in zip(pos, values, strict=True):
            text = f"{v:.0f}%" if scale == 100.0 else f"{v:.1f}"
            ax.text(v + top * 0.01, p, text, va="center", fontsize=8)
    ax.set_yticks(y, [str(i) for i in table.index])
    if not ax.yaxis_inverted():  # the first level on top (once, also on shared axes)
        ax.invert_yaxis()
    ax.set_xlim(0, top * 1.15)
    return finish_barh(ax, xlabel, title)
