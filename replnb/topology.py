"""Multi-leader replication topologies as networkx directed graphs.

An edge ``u -> v`` means leader ``u`` forwards the writes it knows to ``v``.
"""

from __future__ import annotations

import networkx as nx

from .network import node_names

__all__ = ["KINDS", "build"]

#: The topologies of the course.
KINDS = ("circular", "star", "all-to-all")


def build(kind: str, n: int) -> nx.DiGraph:
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
    if kind not in KINDS:
        raise ValueError(f"topology must be one of {list(KINDS)}, got {kind!r}")
    if not isinstance(n, int) or not 2 <= n <= 26:
        raise ValueError(f"n must be an integer in 2..26, got {n!r}")
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
