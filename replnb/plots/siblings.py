"""The sibling walk-through of chapter 4: which write replaced which, and what the server kept.

:func:`plot_siblings` draws the table of
:func:`replnb.leaderless.siblings.cart_walkthrough`: one lane per client,
one column per request. Each write is a box (its version number and the
cart it sent) in its client's lane; an arrow runs to it from every version
its client had last read, merged and so replaced (the causal
dependencies). A box with a bold border is still a sibling after the last
request. The bottom row lists the versions the server holds after each
request.

:func:`plot_replica_siblings` draws the run of
:func:`replnb.leaderless.siblings.replicas_walkthrough` the same way, with
one lane per replica, dots for version numbers and the syncs between them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from ..leaderless.siblings import ReplicasRun
from .style import COLORS, PALETTE, new_axes, styled

__all__ = ["plot_replica_siblings", "plot_siblings"]

BOX_W, BOX_H = 0.78, 0.5
SERVER_ROW = -0.8


def _lanes(table: pd.DataFrame) -> dict[str, float]:
    """Client to lane height: the first client on top, one unit apart."""
    clients = list(dict.fromkeys(table["client"]))
    return {c: float(len(clients) - 1 - i) for i, c in enumerate(clients)}


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=15, break_long_words=False)


def _box(ax: Axes, x: float, y: float, head: str, body: str, colour: str, bold: bool) -> None:
    """A write: a tinted rounded box with its name (version or dot) over the cart it sent."""
    corner, style = (x - BOX_W / 2, y - BOX_H / 2), "round,pad=0,rounding_size=0.06"
    ax.add_patch(
        FancyBboxPatch(corner, BOX_W, BOX_H, boxstyle=style, fc=colour, alpha=0.18, ec="none", zorder=2)
    )
    ax.add_patch(
        FancyBboxPatch(
            corner, BOX_W, BOX_H, boxstyle=style, fc="none", ec=colour, lw=2.4 if bold else 0.9, zorder=3
        )
    )
    ax.text(x, y + 0.13, head, ha="center", va="center", fontsize=9, weight="bold", zorder=4)
    ax.text(x, y - 0.08, _wrap(body), ha="center", va="center", fontsize=8, zorder=4)


def _boxes(
    ax: Axes, writes: pd.DataFrame, lanes: dict[str, float], colours: dict[str, str], last: set[int]
) -> dict[int, tuple[float, float]]:
    """One box per write; returns version -> (x, y)."""
    where = {}
    for row in _rows(writes):
        x, y, version = float(row["step"]), lanes[row["client"]], int(row["version_returned"])
        where[version] = (x, y)
        _box(ax, x, y, f"v{version}", row["sent"], colours[row["client"]], version in last)
    return where


def _arrows(
    ax: Axes, table: pd.DataFrame, where: dict[int, tuple[float, float]], lanes: dict[str, float]
) -> None:
    """An arrow to each write from every version its client had last read (and so merged and replaced)."""
    rows = _rows(table)
    occupied = {(float(r["step"]), lanes[r["client"]]) for r in rows}
    seen: dict[str, tuple[int, ...]] = {}
    for row in rows:
        if row["request"] != "read":
            for old in seen.get(row["client"], ()):
                _arrow(ax, where[old], where[int(row["version_returned"])], occupied)
        seen[row["client"]] = tuple(row["held"])


def _arrow(
    ax: Axes, a: tuple[float, float], b: tuple[float, float], occupied: Collection[tuple[float, float]]
) -> None:
    """From box ``a`` to box ``b``: straight, or over the boxes in between when they share a lane."""
    (xa, ya), (xb, yb) = a, b
    if ya == yb:
        blocked = any(y == ya and min(xa, xb) < x < max(xa, xb) for x, y in occupied)
        rad = -min(0.25, 0.6 / abs(xb - xa)) if blocked else 0.0
        start, end, bend = (xa + BOX_W / 2, ya), (xb - BOX_W / 2, yb), f"arc3,rad={rad:.3f}"
    else:
        sign = 1 if yb < ya else -1
        start, end, bend = (xa + 0.2, ya - sign * BOX_H / 2), (xb - 0.2, yb + sign * BOX_H / 2), "arc3,rad=0"
    patch = FancyArrowPatch(
        start, end, arrowstyle="-|>", mutation_scale=11, color=COLORS["message"], lw=1.1, connectionstyle=bend
    )
    patch.set_zorder(1)
    ax.add_patch(patch)


def _requests(ax: Axes, table: pd.DataFrame, lanes: dict[str, float], colours: dict[str, str]) -> None:
    """The request above each box (below it in the bottom lane); a diamond for a read."""
    bottom = min(lanes.values())
    for row in _rows(table):
        x, y = float(row["step"]), lanes[row["client"]]
        below = y == bottom and len(lanes) > 1
        dy = -(BOX_H / 2 + 0.06) if below else BOX_H / 2 + 0.06
        if row["request"] == "read":
            ax.plot([x], [y], marker="D", ms=8, color=colours[row["client"]], zorder=4, ls="none")
            text, dy = f"reads v{int(row['version_returned'])}", dy * 0.55
        else:
            text = f"{row['request']}, sends v{int(row['version_sent'])}"
        ax.text(x, y + dy, text, ha="center", va="top" if below else "bottom", fontsize=8, color="0.2")


def _server_row(ax: Axes, table: pd.DataFrame) -> None:
    """The versions the server holds after each request."""
    for row in _rows(table):
        held = ", ".join(f"v{v}" for v in row["held"])
        ax.text(float(row["step"]), SERVER_ROW, held, ha="center", va="center", fontsize=8.5, color="0.15")
    ax.axhline(SERVER_ROW + 0.4, color="0.8", lw=0.8, zorder=0)


def _legend(ax: Axes, clients: Sequence[str], colours: dict[str, str], reads: bool) -> None:
    handles: list[Artist] = [
        Patch(fc=colours[c], alpha=0.35, ec=colours[c], label=f"write by {c}") for c in clients
    ]
    if reads:
        handles.append(
            Line2D([], [], color="0.35", marker="D", ms=6, ls="none", label="read (siblings and version)")
        )
    handles += [
        Line2D(
            [], [], color=COLORS["message"], lw=1.1, marker=">", ms=5, label="read, merged and replaced by"
        ),
        Patch(fc="none", ec="0.2", lw=2.4, label="still a sibling at the end"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))


@styled
def plot_siblings(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = "One server, one version number per key: what each write replaced",
) -> Axes:
    """Draw a one-server sibling walk-through (the table of ``cart_walkthrough``).

    Parameters
    ----------
    table : DataFrame
        Columns ``step``, ``client``, ``request``, ``sent``, ``version_sent``,
        ``version_returned`` and ``held``, one row per request.
    ax : Axes, optional
    title : str or None

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from replnb.leaderless.siblings import cart_walkthrough
    >>> ax = plot_siblings(cart_walkthrough())
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['server holds', 'client 2', 'client 1']
    >>> plt.close("all")
    """
    steps = len(table)
    ax = new_axes(ax, (max(6.0, 1.45 * steps + 2.8), 1.05 * table["client"].nunique() + 1.9))
    lanes = _lanes(table)
    clients = list(lanes)
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(clients)}
    ends = set(table["held"].iloc[-1])
    writes = table[table["request"] != "read"]
    where = _boxes(ax, writes, lanes, colours, ends)
    _arrows(ax, table, where, lanes)
    _requests(ax, table, lanes, colours)
    _server_row(ax, table)
    _legend(ax, clients, colours, bool((table["request"] == "read").any()))
    ax.set_xlim(0.45, steps + 0.55)
    ax.set_ylim(SERVER_ROW - 0.35, max(lanes.values()) + 0.75)
    ax.set_xticks(range(1, steps + 1))
    ax.set_xlabel("request")
    ax.set_yticks([SERVER_ROW, *sorted(lanes.values())])
    ax.set_yticklabels(["server holds", *sorted(lanes, key=lanes.__getitem__)])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, loc="left")
    return ax


def _replica_writes(
    ax: Axes, rows: list[dict[str, Any]], lanes: dict[str, float], colours: dict[str, str], final: set[Any]
) -> None:
    """A box per write in its replica's lane, arrows from what its client had read, and its request."""
    where: dict[Any, tuple[float, float]] = {}
    top = max(lanes.values())
    occupied = {(float(r["step"]), lanes[r["replica"]]) for r in rows if r["client"] != "sync"}
    for row in rows:
        if row["dot"] is None:
            continue
        x, y, dot = float(row["step"]), lanes[row["replica"]], tuple(row["dot"])
        where[dot] = (x, y)
        _box(ax, x, y, f"{dot[0]}:{dot[1]}", row["sent"], colours[row["client"]], dot in final)
        for old in row["seen"]:
            _arrow(ax, where[tuple(old)], (x, y), occupied)
        above = y == top or len(lanes) == 1
        dy = BOX_H / 2 + 0.06
        text = f"{row['request']}\ncontext {row['context']}"
        ax.text(x, y + (dy if above else -dy), text, ha="center", va="bottom" if above else "top", fontsize=8)


def _syncs_and_reads(ax: Axes, rows: list[dict[str, Any]], lanes: dict[str, float], colours: dict[str, str]):
    """A dashed arrow for each exchange (sender to receiver), a diamond for each read."""
    for row in rows:
        x = float(row["step"])
        if row["client"] == "sync":
            ya, yb = lanes[row["source"]], lanes[row["replica"]]
            sign = 1 if yb > ya else -1
            ax.add_patch(
                FancyArrowPatch(
                    (x, ya + sign * 0.12),
                    (x, yb - sign * 0.12),
                    arrowstyle="-|>",
                    mutation_scale=12,
                    color=COLORS["highlight"],
                    lw=1.4,
                    ls="--",
                )
            )
            # the label near the sender, clear of the arrows that cross between the lanes
            ax.text(
                x + 0.05, ya + sign * 0.3, row["request"], fontsize=8, va="center", color=COLORS["highlight"]
            )
        elif row["dot"] is None:
            y = lanes[row["replica"]]
            ax.plot([x], [y], marker="D", ms=8, color=colours[row["client"]], ls="none")
            ax.text(x, y + 0.12, "read", ha="center", va="bottom", fontsize=8)


def _replica_legend(ax: Axes, clients: Sequence[str], colours: dict[str, str], reads: bool) -> None:
    handles: list[Artist] = [
        Patch(fc=colours[c], alpha=0.35, ec=colours[c], label=f"write by {c}") for c in clients
    ]
    if reads:
        handles.append(Line2D([], [], color="0.35", marker="D", ms=6, ls="none", label="read"))
    handles += [
        Line2D(
            [], [], color=COLORS["message"], lw=1.1, marker=">", ms=5, label="read, merged and replaced by"
        ),
        Line2D([], [], color=COLORS["highlight"], lw=1.4, ls="--", label="sync: siblings and vector sent"),
        Patch(fc="none", ec="0.2", lw=2.4, label="a sibling after anti-entropy"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))


@styled
def plot_replica_siblings(
    run: ReplicasRun,
    ax: Axes | None = None,
    *,
    title: str | None = "Version vectors: each replica's writes, their dots and the syncs",
) -> Axes:
    """Draw a multi-replica walk-through (``replicas_walkthrough``): one lane per replica.

    Each write is a box in the lane of the replica that accepted it, named by
    its dot, with the request and the context its client sent; arrows come
    from the siblings its client had last read. A dashed arrow is a sync from
    the sender to the receiver, a diamond a read. Bold boxes are the siblings
    every replica holds after anti-entropy (when they converge).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from replnb.leaderless.siblings import replicas_walkthrough
    >>> ax = plot_replica_siblings(replicas_walkthrough())
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['replica B', 'replica A']
    >>> plt.close("all")
    """
    rows = _rows(run.steps)
    replicas = sorted({r["replica"] for r in rows} | {r["source"] for r in rows if r["source"]})
    lanes = {name: float(len(replicas) - 1 - i) for i, name in enumerate(replicas)}
    clients = list(dict.fromkeys(r["client"] for r in rows if r["client"] != "sync"))
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(clients)}
    ax = new_axes(ax, (max(6.0, 1.45 * len(rows) + 3.0), 1.25 * len(replicas) + 1.6))
    final = {s.dot for s in run.final} if run.converged else set()
    _replica_writes(ax, rows, lanes, colours, final)
    _syncs_and_reads(ax, rows, lanes, colours)
    _replica_legend(ax, clients, colours, any(r["request"] == "read" for r in rows))
    ax.set_xlim(0.45, len(rows) + 0.55)
    ax.set_ylim(-0.85, max(lanes.values()) + 0.85)
    ax.set_xticks(range(1, len(rows) + 1))
    ax.set_xlabel("step")
    ax.set_yticks(sorted(lanes.values()))
    ax.set_yticklabels([f"replica {n}" for n in sorted(lanes, key=lanes.__getitem__)])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, loc="left")
    return ax
