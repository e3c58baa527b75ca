"""Plots of chapter 3, multi-leader topologies."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from .. import topology
from ..records import Run
from .spacetime import plot_spacetime
from .style import COLORS, PALETTE, new_axes, round_up, styled
from .sweeps import group_order, plot_sweep

__all__ = [
    "EDGE_CMAP",
    "TOPOLOGY_COLORS",
    "draw_link_colorbar",
    "draw_topology_edges",
    "draw_topology_legend",
    "draw_topology_nodes",
    "edge_norm",
    "node_colours",
    "node_size",
    "plot_causality",
    "plot_delivery",
    "plot_topology",
    "plot_topology_sweep",
    "write_caption",
]

#: Colours of the three topologies in chapter 3's plots.
TOPOLOGY_COLORS = {"circular": PALETTE[0], "star": PALETTE[1], "all-to-all": PALETTE[2]}
EDGE_CMAP = "viridis_r"


def _topology_graph(run: Run) -> nx.DiGraph:
    graph = run.extras.get("graph")
    if isinstance(graph, nx.DiGraph):
        return graph
    return topology.build(str(run.params["topology"]), len(run.nodes))


def write_caption(run: Run, op_id: int | None) -> str:
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
        arrows = nx.draw_networkx_edges(graph, pos, ax=ax, **kwargs)
    finally:
        del ax.__dict__["_update_patch_limits"]
    for arrow in arrows if isinstance(arrows, list) else ():
        if type(arrow) is FancyArrowPatch:
            arrow.__class__ = _KeptArrow  # the same patch; only its drawn path is remembered


class _KeptArrow(FancyArrowPatch):
    """A curved arrow whose path in display coordinates is computed once per shape and place.

    An explorer redraws the same graph (the same nodes in the same places) on
    every move, with other colours; laying an arrow out (curving it, then
    clipping both ends off the nodes by bisection on the curve) was most of
    the cost of drawing a dense graph. The path depends only on what the key
    holds; the colours and line style are applied when it is drawn.
    """

    _paths: ClassVar[dict[tuple[Any, ...], Any]] = {}

    def _get_path_in_displaycoord(self) -> Any:
        ends_given = self._posA_posB  # type: ignore[attr-defined]  # (matplotlib's own, not in its stubs)
        if ends_given is None or self.patchA is not None or self.patchB is not None:
            return super()._get_path_in_displaycoord()  # type: ignore[misc]
        ends = self.get_transform().transform([self._convert_xy_units(p) for p in ends_given])
        connection, style = self.get_connectionstyle(), self.get_arrowstyle()
        key = (
            np.round(ends, 6).tobytes(),
            self.shrinkA,
            self.shrinkB,
            self._dpi_cor,
            type(connection).__name__,
            repr(sorted(vars(connection).items())),
            type(style).__name__,
            repr(sorted(vars(style).items())),
            self.get_mutation_scale(),
            self.get_linewidth(),
            self.get_mutation_aspect(),
        )
        path = self._paths.get(key)
        if path is None:
            if len(self._paths) >= 4096:
                self._paths.clear()
            path = self._paths[key] = super()._get_path_in_displaycoord()
        return path


def _node_handle(colour: str, label: str) -> Line2D:
    return Line2D([], [], ls="", marker="o", ms=9, mfc=colour, mec="#333333", label=label)


def edge_norm(edge_counts: Mapping[tuple[str, str], float], edges: Iterable[tuple[str, str]]) -> Any:
    top = max([float(edge_counts.get(e, 0)) for e in edges], default=1.0)
    return plt.Normalize(vmin=0.0, vmax=max(top, 1.0))


def node_colours(
    nodes: Iterable[str], failed: Iterable[str] = (), received: Mapping[str, float] | None = None
) -> list[str]:
    """The colour of each leader: grey when failed, else blue when it holds every write, orange when not.

    Without ``received``, every leader that has not failed is blue.

    Examples
    --------
    >>> node_colours("ABC", failed=["C"], received={"A": 1.0, "B": 0.5}) == [
    ...     COLORS["ok"], COLORS["stale"], COLORS["down"]]
    True
    """
    failed = set(failed)
    colours = []
    for v in nodes:
        if v in failed:
            colours.append(COLORS["down"])
        elif received is None or received.get(v, 0.0) >= 1.0:
            colours.append(COLORS["ok"])
        else:
            colours.append(COLORS["stale"])
    return colours


def node_size(graph: nx.DiGraph) -> int:
    """The area of a leader's disc (points squared): smaller when there are more than six."""
    return 620 if graph.number_of_nodes() <= 6 else 420


def draw_topology_nodes(
    graph: nx.DiGraph,
    pos: Mapping[str, Any],
    ax: Axes,
    *,
    failed: Iterable[str] = (),
    received: Mapping[str, float] | None = None,
) -> None:
    """The leaders as discs coloured by :func:`node_colours`, with their names in white."""
    nodes = sorted(graph.nodes)
    nx.draw_networkx_nodes(
        graph,
        pos,
        nodelist=nodes,
        node_color=node_colours(nodes, failed, received),
        node_size=node_size(graph),
        ax=ax,
        edgecolors="#333333",
    )
    nx.draw_networkx_labels(graph, pos, ax=ax, font_size=10, font_color="white", font_weight="bold")


def draw_topology_edges(
    graph: nx.DiGraph,
    pos: Mapping[str, Any],
    ax: Axes,
    *,
    edge_counts: Mapping[tuple[str, str], float] | None = None,
) -> Any:
    """The links as curved arrows; returns the :class:`~matplotlib.colors.Normalize` of their colours.

    Without ``edge_counts`` every link is grey (and ``None`` is returned).
    With them, a link is coloured by the number of messages it carried on
    :data:`EDGE_CMAP`, and a link that carried none is dotted.
    """
    edges = sorted(graph.edges)
    style: dict[str, Any] = dict(
        ax=ax,
        node_size=node_size(graph),
        arrows=True,
        arrowstyle="-|>",
        arrowsize=11,
        connectionstyle="arc3,rad=0.12",
    )
    if edge_counts is None:
        _draw_edges(graph, pos, edgelist=edges, edge_color=COLORS["message"], width=1.2, **style)
        return None
    busy = [e for e in edges if edge_counts.get(e, 0) > 0]
    idle = [e for e in edges if e not in set(busy)]
    norm = edge_norm(edge_counts, busy)
    cmap = plt.get_cmap(EDGE_CMAP)
    if idle:
        _draw_edges(graph, pos, edgelist=idle, edge_color="#BBBBBB", style=":", width=1.0, **style)
    if busy:
        colours = [cmap(norm(float(edge_counts[e]))) for e in busy]
        _draw_edges(graph, pos, edgelist=busy, edge_color=colours, width=2.0, **style)
    return norm


def draw_link_colorbar(ax: Axes, norm: Any, cax: Axes | None = None) -> None:
    """The scale of the links' colours: a horizontal colorbar in ``cax`` (default: a strip under ``ax``)."""
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=plt.get_cmap(EDGE_CMAP))
    where: dict[str, Any] = {"cax": cax} if cax is not None else {"ax": ax, "shrink": 0.7}
    bar = ax.figure.colorbar(mappable, orientation="horizontal", aspect=30, pad=0.02, **where)
    bar.set_label("messages on the link", fontsize=9)
    bar.ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    bar.ax.tick_params(labelsize=8)


def draw_topology_legend(ax: Axes, *, received: bool, op_id: int | None = None, idle: bool = False) -> None:
    """The key of the node colours, in one row under the axes.

    ``received``: blue and orange too; ``idle``: the dotted link that carried
    no message.
    """
    handles: list[Line2D] = [_node_handle(COLORS["down"], "failed")]
    if received:
        handles = [
            _node_handle(COLORS["ok"], "has it" if op_id is not None else "up to date"),
            _node_handle(COLORS["stale"], "missing it" if op_id is not None else "missing writes"),
            *handles,
        ]
    if idle:
        handles.append(Line2D([], [], color="#BBBBBB", ls=":", lw=1.2, label="no message"))
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.02),
        ncol=len(handles) if len(handles) <= 3 else 2,
        handlelength=1.0,
        columnspacing=0.8,
        handletextpad=0.4,
        borderaxespad=0.0,
    )


def _frame(ax: Axes, pos: Mapping[str, tuple[float, float]], title: str) -> None:
    xs, ys = [x for x, _ in pos.values()], [y for _, y in pos.values()]
    ax.set_xlim(min(xs) - 0.25, max(xs) + 0.25)
    ax.set_ylim(min(ys) - 0.25, max(ys) + 0.25)
    ax.set_aspect("equal")
    ax.axis("off")
    # a fixed title height: no tick labels above the (axis-less) axes to dodge
    ax.set_title(title, loc="left", y=1.0)


def _from_run(
    run: Run,
    failed: Iterable[str] | None,
    received: Mapping[str, float] | None,
    edge_counts: Mapping[tuple[str, str], float] | None,
    op_id: int | None,
) -> tuple[nx.DiGraph, Iterable[str], Mapping[str, float], Mapping[tuple[str, str], float]]:
    """A run's graph, and its failed leaders, received fractions and link counts where not given."""
    failed = topology.down_nodes(run) if failed is None else failed
    if received is None:
        fractions = topology.received_fraction(run, op_id)
        received = {str(v): float(f) for v, f in fractions.items()}
    edge_counts = topology.message_counts(run) if edge_counts is None else edge_counts
    return _topology_graph(run), failed, received, edge_counts


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
    """Draw a replication topology with networkx: who sends writes to whom.

    Nodes sit at the fixed positions of :func:`replnb.topology.layout`.
    Failed leaders are grey; with ``received``, the others are blue when they
    hold every write and orange when they miss some. With ``edge_counts``,
    each link is coloured by the number of messages it carried (a colorbar
    gives the scale) and links that carried none are dotted (the legend
    says so).

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
        graph, failed, received, edge_counts = _from_run(data, failed, received, edge_counts, op_id)
    else:
        graph = data
    failed_set = set(failed or ())
    pos = _node_positions(graph)
    draw_topology_nodes(graph, pos, ax, failed=failed_set, received=received)
    norm = draw_topology_edges(graph, pos, ax, edge_counts=edge_counts)
    if colorbar and norm is not None:
        draw_link_colorbar(ax, norm, cax)
    if legend and (received is not None or failed_set):
        idle = edge_counts is not None and any(edge_counts.get(e, 0) == 0 for e in graph.edges)
        draw_topology_legend(ax, received=received is not None, op_id=op_id, idle=idle)
    _frame(ax, pos, graph.graph.get("kind", "topology") if title is None else title)
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
            title = f"Delivery of {write_caption(data, op_id)}"
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
    groups = group_order(df[by], topology.KINDS)
    spare = [c for c in PALETTE if c not in TOPOLOGY_COLORS.values()] + PALETTE
    styles = {
        group: {
            "marker": "o",
            "ms": 4,
            "color": TOPOLOGY_COLORS.get(group, spare[i % len(spare)]) if by == "topology" else PALETTE[i],
        }
        for i, group in enumerate(groups)
    }
    ax = plot_sweep(
        df, x, y, ax, by=by, groups=groups, styles=styles, band=False, floor="zero", title=title,
        xlabel=xlabel or ("number of leaders n" if x == "n" else x.replace("_", " ")),
        ylabel=ylabel or y.replace("_", " "), figsize=(6.0, 3.2),
    )  # fmt: skip
    if x == "n":
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    return ax
