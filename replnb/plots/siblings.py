"""The sibling walk-through of chapter 4: which write replaced which, and what the server kept.

:func:`plot_siblings` draws the table of
:func:`replnb.leaderless.siblings.cart_walkthrough`: one lane per client,
one column per request. Each write is a box (its version number and the
cart it sent) in its client's lane; an arrow runs to it from every version
its client had last read, merged and so replaced (the causal
dependencies). A box with a bold border is still a sibling after the last
request. The bottom row lists the versions the server holds after each
request.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from .style import COLORS, PALETTE, new_axes, styled

__all__ = ["plot_siblings"]

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


def _boxes(
    ax: Axes, writes: pd.DataFrame, lanes: dict[str, float], colours: dict[str, str], last: set[int]
) -> dict[int, tuple[float, float]]:
    """One box per write; returns version -> (x, y)."""
    where = {}
    for row in _rows(writes):
        x, y, version = float(row["step"]), lanes[row["client"]], int(row["version_returned"])
        where[version] = (x, y)
        box = FancyBboxPatch(
            (x - BOX_W / 2, y - BOX_H / 2),
            BOX_W,
            BOX_H,
            boxstyle="round,pad=0,rounding_size=0.06",
            fc=colours[row["client"]],
            alpha=0.18,
            ec="none",
            zorder=2,
        )
        ax.add_patch(box)
        edge = FancyBboxPatch(
            (x - BOX_W / 2, y - BOX_H / 2),
            BOX_W,
            BOX_H,
            boxstyle="round,pad=0,rounding_size=0.06",
            fc="none",
            ec=colours[row["client"]],
            lw=2.4 if version in last else 0.9,
            zorder=3,
        )
        ax.add_patch(edge)
        ax.text(x, y + 0.13, f"v{version}", ha="center", va="center", fontsize=9, weight="bold", zorder=4)
        ax.text(x, y - 0.08, _wrap(row["sent"]), ha="center", va="center", fontsize=8, zorder=4)
    return where


def _arrows(ax: Axes, table: pd.DataFrame, where: dict[int, tuple[float, float]]) -> None:
    """An arrow to each write from every version its client had last read (and so merged and replaced)."""
    seen: dict[str, tuple[int, ...]] = {}
    for row in _rows(table):
        if row["request"] != "read":
            for old in seen.get(row["client"], ()):
                _arrow(ax, where[old], where[int(row["version_returned"])])
        seen[row["client"]] = tuple(row["held"])


def _arrow(ax: Axes, a: tuple[float, float], b: tuple[float, float]) -> None:
    (xa, ya), (xb, yb) = a, b
    if ya == yb:
        start, end, bend = (xa + BOX_W / 2, ya), (xb - BOX_W / 2, yb), "arc3,rad=-0.25"
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
    _arrows(ax, table, where)
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
