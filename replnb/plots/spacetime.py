"""Space-time diagrams: one lane per node, operations as markers, messages as arrows.

:func:`plot_spacetime` is composed of small drawers, one per kind of artist,
as networkx's ``draw_networkx`` is composed of ``draw_networkx_nodes``,
``draw_networkx_edges`` and ``draw_networkx_labels``. :func:`select` picks
the part of a run that a diagram shows (a :class:`SpaceTime`); then
:func:`draw_lanes`, :func:`draw_down_intervals`, :func:`draw_messages`,
:func:`draw_dropped`, :func:`draw_writes`, :func:`draw_lost_writes`,
:func:`draw_write_labels`, :func:`draw_reads`, :func:`draw_axes` and
:func:`draw_legend` each add one kind of artist. A plot that adds marks of
its own can call the drawers it needs.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> from replnb import single_leader
>>> diagram = select(single_leader.simulate(duration=100, seed=0), until=50)
>>> fig, ax = plt.subplots()
>>> draw_lanes(diagram, ax)
>>> draw_messages(diagram, ax, labels=False)
>>> draw_axes(diagram, ax)
>>> [t.get_text() for t in ax.get_yticklabels()]
['A', 'B', 'C']
>>> plt.close(fig)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..check import CheckResult
from ..records import Run
from .style import COLORS, new_axes, styled

__all__ = [
    "DROPPED_MARKER",
    "SpaceTime",
    "down_intervals",
    "draw_axes",
    "draw_down_intervals",
    "draw_dropped",
    "draw_lanes",
    "draw_legend",
    "draw_lost_writes",
    "draw_messages",
    "draw_reads",
    "draw_spacetime",
    "draw_witness",
    "draw_write_labels",
    "draw_writes",
    "plot_spacetime",
    "select",
]

#: How a dropped message's dotted stub ends: a bar, never a lost write's cross.
DROPPED_MARKER = "|"

#: Write markers, by kind: (marker, face colour, edge colour, size).
WRITE_MARKERS = {
    "acked": ("o", COLORS["write"], COLORS["write"], 40),
    "unacked": ("o", "white", COLORS["write"], 40),
    "lost": ("X", COLORS["lost"], COLORS["lost"], 70),
}


def down_intervals(events: pd.DataFrame, node: str, end: float) -> list[tuple[float, float]]:
    """The ``(crash, recover)`` intervals in ``events`` (one node's), the last open one closed at ``end``.

    ``node`` names the node whose events these are; it is not read.

    Examples
    --------
    >>> events = pd.DataFrame({"time": [10.0, 30.0, 50.0], "event": ["crash", "recover", "crash"]})
    >>> down_intervals(events, "B", 80.0)
    [(10.0, 30.0), (50.0, 80.0)]
    """
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


@dataclass(frozen=True)
class SpaceTime:
    """The part of a run that a space-time diagram shows, ready to draw.

    Built by :func:`select`. Operations are kept as row numbers into
    ``ops`` (taking rows of a frame again and again costs more than drawing).
    """

    #: The nodes, top lane first, and the height of each node's lane.
    nodes: list[str]
    y: dict[str, int]
    #: The drawn window of true time (ms); ``end`` closes open down intervals.
    since: float | None
    until: float | None
    end: float
    events: pd.DataFrame
    #: How many messages were selected (the default of ``labels`` depends on it).
    selected: int
    #: Delivered messages: one row ``(sent, y source, delivered, y destination)`` each, and their labels.
    arrows: np.ndarray
    arrow_labels: list[object]
    #: Dropped messages: a stub ``(sent, y source, x end, y end)`` each, ending half-way.
    stubs: np.ndarray
    ops: pd.DataFrame
    #: Start time and node of every operation.
    start: np.ndarray
    op_nodes: np.ndarray
    #: Row numbers of the writes of each kind of :data:`WRITE_MARKERS`, and of the reads.
    writes: dict[str, np.ndarray]
    reads: np.ndarray
    #: Whether the window holds reads (on any node).
    has_reads: bool


def _floats(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype=float, na_value=np.nan)


def _keep_messages(
    msgs: pd.DataFrame, until: float | None, since: float | None, kinds: Sequence[str] | None
) -> np.ndarray:
    sent, arrived = _floats(msgs["sent"]), _floats(msgs["delivered"])
    keep = np.ones(len(msgs), dtype=bool)
    if until is not None:
        keep &= sent <= until
    if since is not None:
        keep &= (sent >= since) | (arrived >= since)
    if kinds is not None:
        keep &= msgs["kind"].isin(list(kinds)).to_numpy(dtype=bool)
    return keep


def _keep_ops(ops: pd.DataFrame, until: float | None, since: float | None) -> np.ndarray:
    start = _floats(ops["start"])
    keep = np.ones(len(ops), dtype=bool)
    if until is not None:
        keep &= start <= until
    if since is not None:
        finish = _floats(ops["end"])
        keep &= (start >= since) | (finish >= since) | np.isnan(finish)
    return keep


def _flights(
    msgs: pd.DataFrame, keep: np.ndarray, y: dict[str, int], end: float
) -> tuple[np.ndarray, list[object], np.ndarray]:
    """Arrows (with labels) of the kept delivered messages, stubs of the kept dropped ones."""
    sent, arrived = _floats(msgs["sent"]), _floats(msgs["delivered"])
    flight = (arrived - sent)[keep]
    flight = flight[~np.isnan(flight)]
    stub = 0.5 * float(np.median(flight)) if len(flight) else 0.05 * max(end, 1.0)
    arrows: list[tuple[float, float, float, float]] = []
    labels: list[object] = []
    stubs: list[tuple[float, float, float, float]] = []
    picked = np.flatnonzero(keep)
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
            labels.append(label)
        else:
            stubs.append((t0, y[src], t0 + stub, (y[src] + y[dst]) / 2))
    return np.array(arrows, dtype=float), labels, np.array(stubs, dtype=float)


def _op_rows(
    ops: pd.DataFrame, nodes: list[str], keep: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray, bool]:
    """Row numbers of the kept writes of each kind and of the kept reads on ``nodes``."""
    on_node = ops["node"].isin(nodes).to_numpy(dtype=bool) if len(ops) else keep
    kind = ops["kind"].to_numpy() if len(ops) else np.array([], dtype=object)
    is_write = keep & (kind == "write")
    is_read = keep & (kind == "read")
    lost = ops["lost"].fillna(False).astype(bool).to_numpy() if "lost" in ops else np.zeros(len(ops), bool)
    ok = ops["ok"].astype(bool).to_numpy() if "ok" in ops else np.ones(len(ops), dtype=bool)
    writes = {
        "acked": np.flatnonzero(is_write & ok & ~lost & on_node),
        "unacked": np.flatnonzero(is_write & ~ok & ~lost & on_node),
        "lost": np.flatnonzero(is_write & lost & on_node),
    }
    return writes, np.flatnonzero(is_read & on_node), bool(is_read.any())


def select(
    run: Run,
    *,
    until: float | None = None,
    since: float | None = None,
    kinds: Sequence[str] | None = None,
) -> SpaceTime:
    """What a space-time diagram of ``run`` shows, for the arguments of :func:`plot_spacetime`.

    Examples
    --------
    >>> from replnb import single_leader
    >>> diagram = select(single_leader.simulate(duration=100, seed=0), until=50)
    >>> diagram.y
    {'A': 2, 'B': 1, 'C': 0}
    >>> bool((diagram.arrows[:, 0] <= 50).all())
    True
    """
    nodes = list(run.nodes)
    y = {n: len(nodes) - 1 - i for i, n in enumerate(nodes)}
    msgs, ops = run.messages, run.ops
    end = run.end_time if until is None else until
    keep_msgs = _keep_messages(msgs, until, since, kinds)
    arrows, arrow_labels, stubs = _flights(msgs, keep_msgs, y, end)
    writes, reads, has_reads = _op_rows(ops, nodes, _keep_ops(ops, until, since))
    return SpaceTime(
        nodes=nodes,
        y=y,
        since=since,
        until=until,
        end=end,
        events=run.events,
        selected=int(keep_msgs.sum()),
        arrows=arrows,
        arrow_labels=arrow_labels,
        stubs=stubs,
        ops=ops,
        start=_floats(ops["start"]),
        op_nodes=ops["node"].to_numpy(),
        writes=writes,
        reads=reads,
        has_reads=has_reads,
    )


# -- the drawers, one per kind of artist -------------------------------------------------------


def draw_lanes(diagram: SpaceTime, ax: Axes) -> None:
    """One horizontal line per node."""
    for n in diagram.nodes:
        ax.axhline(diagram.y[n], color="#444444", lw=1.0, zorder=1)


def draw_down_intervals(diagram: SpaceTime, ax: Axes) -> None:
    """A grey band over each node's lane while it was down (crashed until it recovered)."""
    events = diagram.events
    crashed = set(events["node"][events["event"] == "crash"]) if len(events) else set()
    for n in diagram.nodes:
        if n not in crashed:
            continue
        y = diagram.y[n]
        for a, b in down_intervals(events[events["node"] == n], n, diagram.end):
            ax.fill_between([a, b], y - 0.18, y + 0.18, color=COLORS["down"], zorder=0)


def draw_messages(diagram: SpaceTime, ax: Axes, *, labels: bool = True) -> None:
    """An arrow per delivered message (one quiver: fast, and clipped to the axes), with its label."""
    arr = diagram.arrows
    if labels:
        for (x0, y0, x1, y1), label in zip(arr, diagram.arrow_labels, strict=True):
            if label:
                ax.text(
                    (x0 + x1) / 2,
                    (y0 + y1) / 2,
                    str(label),
                    fontsize=7,
                    color="#555555",
                    ha="center",
                    va="bottom",
                )
    if not len(arr):
        return
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


def draw_dropped(diagram: SpaceTime, ax: Axes) -> None:
    """A dotted grey stub per dropped message, ending in a bar half-way to its destination.

    Grey and a bar, not red and a cross, so that a dropped message never looks like a lost write.
    """
    dead = diagram.stubs
    if not len(dead):
        return
    gaps = np.full(len(dead), np.nan)
    xs = np.column_stack([dead[:, 0], dead[:, 2], gaps]).ravel()
    ys = np.column_stack([dead[:, 1], dead[:, 3], gaps]).ravel()
    ax.plot(xs, ys, color=COLORS["dropped"], lw=0.9, ls=":", zorder=2)
    color = COLORS["dropped"]
    ax.plot(dead[:, 2], dead[:, 3], ls="", marker=DROPPED_MARKER, ms=8, mew=1.4, color=color, zorder=2)


def _write_marks(diagram: SpaceTime, ax: Axes, kind: str) -> None:
    rows = diagram.writes[kind]
    if not len(rows):
        return
    marker, face, edge, size = WRITE_MARKERS[kind]
    ys = [diagram.y[n] for n in diagram.op_nodes[rows]]
    ax.scatter(diagram.start[rows], ys, marker=marker, s=size, facecolors=face, edgecolors=edge, zorder=4)


def draw_writes(diagram: SpaceTime, ax: Axes) -> None:
    """A circle per write that is not lost, at the node that accepted it: filled when acknowledged."""
    _write_marks(diagram, ax, "acked")
    _write_marks(diagram, ax, "unacked")


def draw_lost_writes(diagram: SpaceTime, ax: Axes) -> None:
    """A red cross per write that the run counts as lost (an ``ops`` column ``lost``)."""
    _write_marks(diagram, ax, "lost")


def draw_write_labels(diagram: SpaceTime, ax: Axes) -> None:
    """Label each write ``key=value``, or by an ``ops`` column ``label`` where it holds a non-empty string."""
    ops = diagram.ops
    for kind, (_, _, edge, _) in WRITE_MARKERS.items():
        rows = diagram.writes[kind]
        if not len(rows):
            continue
        custom = ops["label"].to_numpy()[rows] if "label" in ops else [""] * len(rows)
        for t, n, k, v, text in zip(
            diagram.start[rows],
            diagram.op_nodes[rows],
            ops["key"].to_numpy()[rows],
            ops["value"].to_numpy()[rows],
            custom,
            strict=True,
        ):
            shown = text if isinstance(text, str) and text else f"{k}={v}"
            ax.text(
                t, diagram.y[n] + 0.22, shown, fontsize=7.5, ha="center", va="bottom", color=edge, zorder=5
            )


def draw_reads(diagram: SpaceTime, ax: Axes) -> None:
    """A triangle per read: green, orange when stale (an ``ops`` column ``stale``), hollow when it failed."""
    if not diagram.has_reads:
        return
    ops, rows = diagram.ops, diagram.reads
    stale = np.zeros(len(rows), dtype=bool)
    if "stale" in ops:
        stale = ops["stale"].fillna(False).astype(bool).to_numpy()[rows]
    colors = list(np.where(stale, COLORS["stale"], COLORS["read"]))
    done = ops["ok"].astype(bool).to_numpy()[rows].tolist() if "ok" in ops else [True] * len(rows)
    faces = [c if d else "white" for c, d in zip(colors, done, strict=True)]
    ys = [diagram.y[n] for n in diagram.op_nodes[rows]]
    ax.scatter(diagram.start[rows], ys, marker="^", s=30, facecolors=faces, edgecolors=colors, zorder=4)


def draw_witness(diagram: SpaceTime, ax: Axes, result: CheckResult) -> None:
    """Ring the operations of the checker's witnesses and draw the real-time order among them.

    For every key that :func:`replnb.check.check` found not linearizable,
    the witness operations (a set with no legal order) get a magenta ring,
    and a dashed magenta arrow runs from the end of ``a`` to the start of
    ``b`` for each pair where ``a`` completed before ``b`` began: the
    real-time order that every linearization must respect, and that the
    values read contradict. Only what falls inside the drawn window is marked.
    """
    ops = diagram.ops
    if "op_id" not in ops or not result.failures:
        return
    index = {op: i for i, op in enumerate(ops["op_id"].to_numpy())}
    end = _floats(ops["end"]) if "end" in ops else np.full(len(ops), np.nan)
    color = COLORS["highlight"]
    lo = -np.inf if diagram.since is None else diagram.since
    hi = np.inf if diagram.until is None else diagram.until
    inside = {op for op, i in index.items() if lo <= diagram.start[i] <= hi}
    for failure in result.failures:
        rows = [index[op] for op in failure.witness if op in inside]
        ys = [diagram.y[diagram.op_nodes[i]] for i in rows]
        xs = diagram.start[rows]
        ax.scatter(xs, ys, marker="o", s=170, facecolors="none", edgecolors=color, lw=1.6, zorder=5)
        for a, b in failure.precedes:
            if a in inside and b in inside and np.isfinite(end[index[a]]) and lo <= end[index[a]] <= hi:
                ia, ib = index[a], index[b]
                ax.annotate(
                    "",
                    xy=(diagram.start[ib], diagram.y[diagram.op_nodes[ib]]),
                    xytext=(end[ia], diagram.y[diagram.op_nodes[ia]]),
                    arrowprops={"arrowstyle": "->", "color": color, "ls": "--", "lw": 1.2},
                    zorder=5,
                )


def draw_axes(diagram: SpaceTime, ax: Axes) -> None:
    """Node names as y ticks, true time on x, limited to the window."""
    nodes = diagram.nodes
    ax.set_yticks([diagram.y[n] for n in nodes], nodes)
    ax.set_ylim(-0.6, len(nodes) - 0.4)
    ax.set_xlabel("true time (ms)")
    ax.grid(axis="y", visible=False)
    if diagram.until is not None:
        ax.set_xlim(right=diagram.until)
    ax.set_xlim(left=min(0.0, ax.get_xlim()[0]) if diagram.since is None else diagram.since)


def draw_legend(diagram: SpaceTime, ax: Axes, result: CheckResult | None = None) -> None:
    """The legend of the symbols, right of the axes: each kind only when the window holds some."""
    writes = diagram.writes
    handles: list[Artist] = []
    if len(writes["acked"]):
        handles.append(Line2D([], [], marker="o", ls="", color=COLORS["write"], label="acknowledged write"))
    if len(writes["unacked"]):
        handles.append(
            Line2D(
                [], [], marker="o", ls="", mfc="white", color=COLORS["write"], label="write not acknowledged"
            )
        )
    if len(writes["lost"]):
        handles.append(Line2D([], [], marker="X", ls="", color=COLORS["lost"], label="lost write"))
    if len(diagram.arrows):
        handles.append(
            Line2D([], [], color=COLORS["message"], marker=r"$\rightarrow$", ls="-", label="message")
        )
    handles += _read_handles(diagram)
    if len(diagram.stubs):
        handles.append(
            Line2D([], [], marker=DROPPED_MARKER, ls=":", color=COLORS["dropped"], label="dropped message")
        )
    if _any_down(diagram):
        handles.append(Patch(color=COLORS["down"], label="node down"))
    if result is not None and result.failures:
        handles.append(
            Line2D([], [], marker="o", mfc="none", ls="--", color=COLORS["highlight"], label="no legal order")
        )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _read_handles(diagram: SpaceTime) -> list[Line2D]:
    """Legend entries for the reads drawn: fresh, stale (when any is), failed (when any did)."""
    if not diagram.has_reads:
        return []
    ops, rows = diagram.ops, diagram.reads
    stale = (
        ops["stale"].fillna(False).astype(bool).to_numpy()[rows]
        if "stale" in ops
        else np.zeros(len(rows), bool)
    )
    done = ops["ok"].astype(bool).to_numpy()[rows] if "ok" in ops else np.ones(len(rows), bool)
    handles = []
    if (~stale).any():
        handles.append(Line2D([], [], marker="^", ls="", color=COLORS["read"], label="read"))
    if stale.any():
        handles.append(Line2D([], [], marker="^", ls="", color=COLORS["stale"], label="stale read"))
    if not done.all():
        handles.append(
            Line2D([], [], marker="^", ls="", mfc="white", color=COLORS["read"], label="failed read")
        )
    return handles


def _any_down(diagram: SpaceTime) -> bool:
    """Whether a grey down band is drawn: a drawn node crashed."""
    events = diagram.events
    if not len(events):
        return False
    crashed = set(events["node"][events["event"] == "crash"])
    return any(
        n in crashed and down_intervals(events[events["node"] == n], n, diagram.end) for n in diagram.nodes
    )


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
    check: CheckResult | None = None,
) -> Axes:
    """:func:`plot_spacetime`, drawn in the caller's matplotlib style.

    For plots and explorers that already run under the course style (or
    mean to draw in their own); it takes the same arguments. The drawing
    is composed of the drawers of this module, in this order.
    """
    ax = new_axes(ax, (8.0, 0.6 + 0.55 * len(run.nodes)))
    diagram = select(run, until=until, since=since, kinds=kinds)
    if labels is None:
        labels = diagram.selected <= 40
    draw_lanes(diagram, ax)
    draw_down_intervals(diagram, ax)
    draw_messages(diagram, ax, labels=labels)
    draw_dropped(diagram, ax)
    draw_writes(diagram, ax)
    draw_lost_writes(diagram, ax)
    if labels:
        draw_write_labels(diagram, ax)
    draw_reads(diagram, ax)
    if check is not None:
        draw_witness(diagram, ax, check)
    draw_axes(diagram, ax)
    if legend:
        draw_legend(diagram, ax, check)
    if title:
        ax.set_title(title, loc="left")
    return ax


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
    legend: bool = True,
    check: CheckResult | None = None,
) -> Axes:
    """A space-time diagram: one line per node, an arrow per message.

    Writes are marked with circles at the node that accepted them (filled if
    acknowledged); writes the run counts as lost (an ``ops`` column ``lost``)
    are red crosses; reads are green triangles (orange when stale, if the
    ``ops`` has a ``stale`` column; hollow when the read failed). Writes are
    labelled ``key=value``, or by an ``ops`` column ``label`` where it holds a
    non-empty string. Dropped messages are grey dotted stubs ending in a bar half-way. Crashed
    intervals are shaded grey.

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
    legend : bool
        Draw the legend (right of the axes); building one costs a few ms.
    check : CheckResult, optional
        A verdict of :func:`replnb.check.check` on this run's ``ops``: the
        witnesses of the keys that are not linearizable are marked, with
        the real-time order that forbids them (:func:`draw_witness`).

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
    return draw_spacetime(
        run, ax, until=until, kinds=kinds, labels=labels, title=title, since=since, legend=legend, check=check
    )
