"""The exercise of multi-leader topologies (chapter 3)."""

from __future__ import annotations

import networkx as nx

from ..engine.network import node_names
from ..topology import build, missed_deliveries
from .feedback import Feedback

__all__ = ["check_worst_failure"]


def check_worst_failure(
    topology: str | nx.DiGraph, node: str | None, *, leaders: int | None = None
) -> Feedback:
    """Is ``node`` the leader whose failure does the most damage in ``topology``?

    The checker simulates (:func:`replnb.topology.missed_deliveries`) one
    write at every leader with each leader failed in turn, and counts the
    missed deliveries: (write, live leader) pairs where a live leader never
    gets a write accepted by another live leader. Any leader with the highest
    count is a right answer (in a ring they all tie; in all-to-all no single
    failure cuts anyone off, so any answer is right).

    Parameters
    ----------
    topology : str or networkx.DiGraph
        A kind of :func:`replnb.topology.build` (then give ``leaders``), or a
        graph such as :func:`replnb.topology.regions`.
    node : str or None
        The learner's answer, e.g. ``"C"`` (``None``: no answer yet).
    leaders : int, optional

    Examples
    --------
    >>> bool(check_worst_failure("star", "A", leaders=5)), bool(check_worst_failure("star", "B", leaders=5))
    (True, False)
    >>> print(check_worst_failure("star", "C", leaders=4))  # doctest: +ELLIPSIS
    ✗ With C failed, 0 deliveries are missed; another leader's failure does more damage. Hint: ...
    """

    graph = topology if isinstance(topology, nx.DiGraph) else None
    if graph is None:
        if leaders is None:
            raise ValueError(f"leaders must be given (an integer in 3..10) for topology={topology!r}")
        graph = build(str(topology), leaders)
    names = sorted(graph.nodes)
    if node is None:
        return Feedback(False, "No answer yet.", hint=f"Set the answer to the name of a leader: {names}.")
    if node not in names:
        return Feedback(False, f"{node!r} is not a leader here.", hint=f"Choose one of {names}.")
    damage = {v: missed_deliveries(graph, [v]) for v in node_names(len(names))}
    worst = max(damage.values())
    if worst == 0:
        return Feedback(True, "No single failure cuts anyone off here: every live leader gets every write.")
    if damage[node] == worst:
        ties = [v for v, d in damage.items() if d == worst and v != node]
        tie = f" (as bad as failing {', '.join(ties)})" if ties else ""
        return Feedback(
            True,
            f"With {node} failed, {worst} deliveries are missed, the most of any leader{tie}.",
        )
    return Feedback(
        False,
        f"With {node} failed, {damage[node]} deliveries are missed; "
        "another leader's failure does more damage.",
        hint=(
            "A failure hurts most when the failed leader sits on every path between two groups of "
            "leaders: count the pairs of live leaders that can no longer send writes to each other."
        ),
    )
