"""Space-time diagrams: one lane per node, operations as bars, messages as arrows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from ..records import Run
from .style import COLORS, new_axes, styled

__all__ = ["down_intervals", "draw_spacetime", "plot_spacetime"]


def down_intervals(events: pd.DataFrame, node: str, end: float) -> list[tuple[float, float]]:
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
    >>> import matplotlib.pyplot as plt
    >>> from replnb import single_leader
    >>> run = single_leader.simulate(duration=100, seed=0)
    >>> ax = plot_spacetime(run, until=50)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['A', 'B', 'C']
    >>> plt.close(ax.figure)
    """
    return draw_spacetime(run, ax, until=until, kinds=kinds, labels=labels, title=title, since=since)


def draw_spacetime(
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
        for a, b in down_intervals(events[events["node"] == n], n, end):
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
