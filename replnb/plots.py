"""Plots: each takes data and an optional ``ax``, draws, and returns the Axes.

Plots never run a simulation and never show a figure themselves. One
colour-blind-safe palette (Okabe & Ito) and one style are defined here and
used by every plot in the course.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from .records import Run

__all__ = [
    "COLORS",
    "PALETTE",
    "STYLE",
    "new_axes",
    "plot_spacetime",
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
) -> Axes:
    """A space-time diagram: one line per node, an arrow per message.

    Writes are marked with circles at the node that accepted them (filled if
    acknowledged); writes the run counts as lost (an ``ops`` column ``lost``)
    are red crosses; reads are green triangles (orange when stale, if the
    ``ops`` has a ``stale`` column). Dropped messages end in a red ``x``
    half-way. Crashed intervals are shaded grey.

    Parameters
    ----------
    run : Run
    ax : Axes, optional
    until : float, optional
        Draw only what starts before this true time (ms).
    kinds : sequence of str, optional
        Draw only messages of these kinds.
    labels : bool, optional
        Label messages and writes (default: when there are at most 40 messages).
    title : str or None

    Examples
    --------
    >>> from replnb import single_leader  # doctest: +SKIP
    """
    ax = new_axes(ax, (8.0, 0.6 + 0.55 * len(run.nodes)))
    nodes = list(run.nodes)
    y = {n: len(nodes) - 1 - i for i, n in enumerate(nodes)}
    msgs, ops, events = run.messages, run.ops, run.events
    end = run.end_time if until is None else until
    if until is not None:
        msgs = msgs[msgs["sent"] <= until]
        ops = ops[ops["start"] <= until]
    if kinds is not None:
        msgs = msgs[msgs["kind"].isin(list(kinds))]
    if labels is None:
        labels = len(msgs) <= 40
    for n in nodes:
        ax.axhline(y[n], color="#444444", lw=1.0, zorder=1)
        node_events = events[events["node"] == n] if len(events) else events
        for a, b in _down_intervals(node_events, n, end):
            ax.fill_between([a, b], y[n] - 0.18, y[n] + 0.18, color=COLORS["down"], zorder=0)
    for src, dst, sent, delivered, label in zip(
        msgs["src"], msgs["dst"], msgs["sent"], msgs["delivered"], msgs["label"], strict=True
    ):
        if src not in y or dst not in y:
            continue
        if delivered == delivered:  # not NaN
            ax.annotate(
                "",
                xy=(delivered, y[dst]),
                xytext=(sent, y[src]),
                arrowprops={"arrowstyle": "->", "color": COLORS["message"], "lw": 0.9},
                zorder=2,
            )
            if labels and label:
                ax.text(
                    (sent + delivered) / 2,
                    (y[src] + y[dst]) / 2,
                    str(label),
                    fontsize=7,
                    color="#555555",
                    ha="center",
                    va="bottom",
                )
        else:
            mid = (y[src] + y[dst]) / 2
            ax.plot(
                [sent, sent + 0.25 * (end - sent) if math.isfinite(end) else sent],
                [y[src], mid],
                color=COLORS["dropped"],
                lw=0.9,
                ls=":",
                zorder=2,
            )
    writes = ops[ops["kind"] == "write"] if len(ops) else ops
    reads = ops[ops["kind"] == "read"] if len(ops) else ops
    lost = writes["lost"].fillna(False).astype(bool) if "lost" in writes else pd.Series(False, writes.index)
    ok = writes["ok"].astype(bool) if len(writes) else pd.Series(dtype=bool)
    for frame, marker, face, edge, size in [
        (writes[ok & ~lost], "o", COLORS["write"], COLORS["write"], 40),
        (writes[~ok & ~lost], "o", "white", COLORS["write"], 40),
        (writes[lost], "X", COLORS["lost"], COLORS["lost"], 70),
    ]:
        frame = frame[frame["node"].isin(nodes)]
        if len(frame):
            ax.scatter(
                frame["start"],
                [y[n] for n in frame["node"]],
                marker=marker,
                s=size,
                facecolors=face,
                edgecolors=edge,
                zorder=4,
            )
            if labels:
                for t, n, k, v in zip(
                    frame["start"], frame["node"], frame["key"], frame["value"], strict=True
                ):
                    ax.text(
                        t,
                        y[n] + 0.22,
                        f"{k}={v}",
                        fontsize=7.5,
                        ha="center",
                        va="bottom",
                        color=edge,
                        zorder=5,
                    )
    if len(reads):
        stale = (
            reads["stale"].fillna(False).astype(bool) if "stale" in reads else pd.Series(False, reads.index)
        )
        reads = reads[reads["node"].isin(nodes)]
        stale = stale[reads.index]
        colors = np.where(stale, COLORS["stale"], COLORS["read"])
        ax.scatter(reads["start"], [y[n] for n in reads["node"]], marker="^", s=30, c=list(colors), zorder=4)
    ax.set_yticks([y[n] for n in nodes], nodes)
    ax.set_ylim(-0.6, len(nodes) - 0.4)
    ax.set_xlabel("true time (ms)")
    ax.grid(axis="y", visible=False)
    if until is not None:
        ax.set_xlim(right=until)
    ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    handles = [
        Line2D([], [], marker="o", ls="", color=COLORS["write"], label="acknowledged write"),
        Line2D([], [], marker="X", ls="", color=COLORS["lost"], label="lost write"),
        Line2D([], [], color=COLORS["message"], marker=r"$\rightarrow$", ls="-", label="message"),
    ]
    if len(reads):
        handles.append(Line2D([], [], marker="^", ls="", color=COLORS["read"], label="read"))
        if "stale" in ops:
            handles.append(Line2D([], [], marker="^", ls="", color=COLORS["stale"], label="stale read"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left")
    return ax


# ---- chapter 1: single leader ------------------------------------------------
# ---- end of chapter 1 ----------------------------------------------------------


# ---- chapter 2: multi-leader conflicts ---------------------------------------
# ---- end of chapter 2 ----------------------------------------------------------


# ---- chapter 3: multi-leader topologies --------------------------------------
# ---- end of chapter 3 ----------------------------------------------------------


# ---- chapter 4: leaderless quorums -------------------------------------------
# ---- end of chapter 4 ----------------------------------------------------------


# ---- chapter 5: choosing a scheme --------------------------------------------
# ---- end of chapter 5 ----------------------------------------------------------
