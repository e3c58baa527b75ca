"""Replication topologies as networkx graphs: build, lay out, reach and damage."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx

from ..engine.network import node_names
from ..params import Choice, Int, Spec, checked

__all__ = [
    "KINDS",
    "MAX_NODES",
    "Sizes",
    "build",
    "damage",
    "expected_messages",
    "hops",
    "layout",
    "reach",
    "region_layout",
    "regions",
    "stranded",
]

#: The topologies of the course.
KINDS = ("circular", "star", "all-to-all")
#: The most leaders a graph of this module holds (one per letter).
MAX_NODES = 26
#: The specs of a named topology and its size.
_KIND = Choice(KINDS)
_SIZE = Int(2, MAX_NODES)


class Sizes(Spec):
    """Region sizes: a list of at least two integers >= 1 adding up to at most :data:`MAX_NODES`.

    Examples
    --------
    >>> Sizes().check("sizes", [3, 5])
    [3, 5]
    >>> Sizes().check("sizes", [3])
    Traceback (most recent call last):
    ...
    ValueError: sizes must be a list of at least 2 integers >= 1 adding up to at most 26, got [3]
    """

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            return False, None
        sizes = list(value)
        ints = all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes)
        return len(sizes) >= 2 and ints and sum(sizes) <= MAX_NODES, sizes

    def describe(self, context: Mapping[str, Any]) -> str:
        return f"a list of at least 2 integers >= 1 adding up to at most {MAX_NODES}"


@checked(topology=_KIND, n=_SIZE)
def build(topology: str = "circular", n: int = 5) -> nx.DiGraph:
    """The replication graph of ``n`` leaders named ``"A"``, ``"B"``, ...

    ``"circular"`` is a one-way ring A→B→…→A; ``"star"`` has hub A linked both
    ways to every other leader; ``"all-to-all"`` links every ordered pair.

    Examples
    --------
    >>> sorted(build("circular", 3).edges)
    [('A', 'B'), ('B', 'C'), ('C', 'A')]
    >>> sorted(build("star", 3).edges)
    [('A', 'B'), ('A', 'C'), ('B', 'A'), ('C', 'A')]
    >>> build("all-to-all", 4).number_of_edges()
    12
    """
    kind = topology
    names = node_names(n)
    graph = nx.DiGraph(kind=kind)
    graph.add_nodes_from(names)
    if kind == "circular":
        graph.add_edges_from(zip(names, names[1:] + names[:1], strict=True))
    elif kind == "star":
        hub = names[0]
        for leaf in names[1:]:
            graph.add_edge(hub, leaf)
            graph.add_edge(leaf, hub)
    else:
        graph.add_edges_from((u, v) for u in names for v in names if u != v)
    return graph


@functools.cache
def _positions(kind: str, n: int) -> tuple[tuple[str, float, float], ...]:
    names = node_names(n)
    ring = names[1:] if kind == "star" else names
    out = [(names[0], 0.0, 0.0)] if kind == "star" else []
    for i, name in enumerate(ring):
        angle = math.pi / 2 - 2 * math.pi * i / len(ring)  # clockwise from the top
        out.append((name, round(math.cos(angle), 12), round(math.sin(angle), 12)))
    return tuple(out)


@checked(topology=_KIND, n=_SIZE)
def layout(topology: str = "circular", n: int = 5) -> dict[str, tuple[float, float]]:
    """Fixed drawing positions of the ``n`` leaders of a topology.

    The leaders sit clockwise on the unit circle from the top, starting with
    ``"A"``; in a ``"star"`` the hub ``"A"`` sits at the centre. Positions are
    computed once per ``(kind, n)`` and cached, so a redraw never moves a node.

    Examples
    --------
    >>> layout("circular", 4)["A"], layout("circular", 4)["B"]
    ((0.0, 1.0), (1.0, 0.0))
    >>> layout("star", 5)["A"]
    (0.0, 0.0)
    """
    return {name: (x, y) for name, x, y in _positions(topology, n)}


def _alive(graph: nx.DiGraph, failed: Iterable[str]) -> nx.DiGraph:
    failed = sorted(set(failed))
    unknown = [f for f in failed if f not in graph]
    if unknown:
        raise ValueError(f"failed must name nodes in {sorted(graph.nodes)}, got {unknown}")
    if not failed:
        return graph
    view: nx.DiGraph = nx.restricted_view(graph, failed, [])
    return view


def hops(graph: nx.DiGraph, origin: str, failed: Iterable[str] = ()) -> dict[str, int]:
    """The fewest hops a write accepted at ``origin`` needs to reach each leader.

    Failed leaders neither receive nor forward. Leaders the write cannot
    reach are absent; a failed ``origin`` reaches nobody. With a constant link
    latency ``d`` and no failures, a write arrives at leader ``v`` at
    ``d * hops(...)[v]`` after it was accepted.

    Examples
    --------
    >>> hops(build("circular", 4), "A")
    {'A': 0, 'B': 1, 'C': 2, 'D': 3}
    >>> hops(build("star", 4), "B")
    {'B': 0, 'A': 1, 'C': 2, 'D': 2}
    >>> hops(build("circular", 4), "A", failed=["C"])
    {'A': 0, 'B': 1}
    """
    if origin not in graph:
        raise ValueError(f"origin must be one of {sorted(graph.nodes)}, got {origin!r}")
    alive = _alive(graph, failed)
    if origin not in alive:
        return {}
    lengths = nx.single_source_shortest_path_length(alive, origin)
    return {v: lengths[v] for v in sorted(lengths, key=lambda v: (lengths[v], v))}


def reach(graph: nx.DiGraph, origin: str, failed: Iterable[str] = ()) -> set[str]:
    """The leaders that a write accepted at ``origin`` can reach (``origin`` included).

    Examples
    --------
    >>> sorted(reach(build("circular", 5), "D", failed=["B"]))
    ['A', 'D', 'E']
    >>> sorted(reach(build("star", 4), "B", failed=["A"]))
    ['B']
    >>> sorted(reach(build("all-to-all", 4), "B", failed=["A"]))
    ['B', 'C', 'D']
    """
    return set(hops(graph, origin, failed))


def stranded(graph: nx.DiGraph, failed: Iterable[str] = ()) -> list[str]:
    """The live leaders that miss the writes of at least one other live leader.

    When every live leader accepts writes, these are the replicas that can
    never converge with the rest: the replication graph, minus the failed
    leaders, is not strongly connected around them.

    Examples
    --------
    >>> stranded(build("circular", 4), failed=["B"])   # A's writes stop at B
    ['C', 'D']
    >>> stranded(build("star", 4), failed=["B"])
    []
    >>> stranded(build("star", 4), failed=["A"])
    ['B', 'C', 'D']
    """
    failed = set(failed)
    live = [v for v in sorted(graph.nodes) if v not in failed]
    missing: set[str] = set()
    for origin in live:
        missing |= set(live) - reach(graph, origin, failed)
    return sorted(missing)


def damage(graph: nx.DiGraph, failed: Iterable[str] = ()) -> int:
    """How many (origin, replica) pairs of live leaders a failure disconnects.

    Each pair counts a live leader whose writes can no longer reach another
    live leader; ``0`` means every live replica still receives every write.

    Examples
    --------
    >>> damage(build("circular", 4), failed=["B"])   # A's writes miss C and D; D's miss C
    3
    >>> damage(build("star", 4), failed=["A"]), damage(build("star", 4), failed=["B"])
    (6, 0)
    >>> damage(build("all-to-all", 4), failed=["B"])
    0
    """
    failed = set(failed)
    live = [v for v in sorted(graph.nodes) if v not in failed]
    return sum(len(set(live) - reach(graph, origin, failed)) for origin in live)


@checked(sizes=Sizes())
def regions(sizes: Sequence[int] = (3, 5)) -> nx.DiGraph:
    """Leaders grouped in regions: all-to-all inside a region, one gateway pair between regions.

    Leaders are named ``"A"``, ``"B"``, ... region after region. The last
    leader of each region and the first leader of the next one are its
    gateways, linked both ways; all traffic between two regions goes through
    them.

    Examples
    --------
    >>> g = regions([2, 3])
    >>> sorted(g.edges)[:5]
    [('A', 'B'), ('B', 'A'), ('B', 'C'), ('C', 'B'), ('C', 'D')]
    >>> g.number_of_edges(), sorted(g.successors("C"))
    (10, ['B', 'D', 'E'])
    >>> g.graph["kind"]
    'regions'
    """
    names = node_names(sum(sizes))
    graph = nx.DiGraph(kind="regions", sizes=tuple(sizes))
    graph.add_nodes_from(names)
    start = 0
    for i, size in enumerate(sizes):
        region = names[start : start + size]
        graph.add_edges_from((u, v) for u in region for v in region if u != v)
        if i + 1 < len(sizes):
            graph.add_edge(region[-1], names[start + size])
            graph.add_edge(names[start + size], region[-1])
        start += size
    return graph


@functools.cache
def _region_positions(sizes: tuple[int, ...]) -> tuple[tuple[str, float, float], ...]:
    names = node_names(sum(sizes))
    k = len(sizes)
    radius = min(0.42, 0.75 / k)
    out, start = [], 0
    for i, m in enumerate(sizes):
        cx = 1.15 * (-1.0 + (2 * i + 1) / k)
        last = 0.0 if i + 1 < k else math.pi  # the gateway to the next region faces right
        for j, name in enumerate(names[start : start + m]):
            angle = last + 2 * math.pi * (m - 1 - j) / m if i == 0 else math.pi - 2 * math.pi * j / m
            x = cx + (radius * math.cos(angle) if m > 1 else 0.0)
            y = radius * math.sin(angle) if m > 1 else 0.0
            out.append((name, round(x, 12), round(y, 12)))
        start += m
    return tuple(out)


@checked(sizes=Sizes())
def region_layout(sizes: Sequence[int] = (3, 5)) -> dict[str, tuple[float, float]]:
    """Fixed drawing positions for :func:`regions`: one small circle per region, left to right.

    The first region's last leader faces right, towards the next region, and
    each later region's first leader faces left, so the gateway links are short.

    Examples
    --------
    >>> pos = region_layout([3, 5])
    >>> pos["C"][0] < pos["D"][0], pos["C"][1] == pos["D"][1] == 0.0
    (True, True)
    """
    return {name: (x, y) for name, x, y in _region_positions(tuple(sizes))}


@checked(topology=_KIND, n=_SIZE)
def expected_messages(topology: str = "circular", n: int = 5) -> int:
    """Messages per write without failures: ``n - 1`` in every topology of the course.

    The origin sends a write to each of its out-neighbours; a leader that
    receives it for the first time forwards it to its out-neighbours that are
    neither on the write's path (the leaders it has passed, which the message
    carries) nor out-neighbours of the sender (the sender sent it to those
    itself). All-to-all therefore sends straight to the ``n - 1`` other
    leaders and nobody forwards; a ring passes the write on ``n - 1`` times
    until it is back at its origin; in a star the hub forwards a leaf's write
    to the other ``n - 2`` leaves.

    Examples
    --------
    >>> [expected_messages(k, 5) for k in KINDS]
    [4, 4, 4]
    """
    return n - 1
