"""Multi-leader replication: concurrent writes, conflicts, and how they are resolved.

Every leader accepts writes, acknowledges them at once (locally), and
replicates them asynchronously along the edges of a topology graph
(:func:`replnb.topology.build`, or any :class:`networkx.DiGraph` on the nodes
``"A"``, ``"B"``, ...). The origin sends a write to each of its
out-neighbours. A replicated write carries the tuple of nodes it has passed
through; a node that receives a write for the first time forwards it, in
sorted order, to its out-neighbours that are neither on that tuple nor
out-neighbours of the sender (which sent it to them itself), so a write never
loops, all-to-all sends each write straight to the ``n - 1`` other leaders
without forwarding, and a duplicate (a write already seen) is dropped.

Links are FIFO by default: each delivers its messages in the order they were
sent, like a TCP connection, so with ``jitter`` a message can overtake another
only on a different link; ``reorder=True`` lets each link reorder too.

Every write record carries its causal stamp: ``dot`` = (accepting leader,
its counter for the key there) and ``vv``, the leader's per-key version
vector at acceptance (with the write). Reads record the op_ids they
``returned``, version rows the op_ids the replica ``held``; lost writes (with
their cause), stale reads, conflicts and convergence (by write identity)
follow :mod:`replnb.metrics`.

Each write carries

* ``ts``: the origin's :class:`~replnb.clocks.NodeClock` reading (for
  last-write-wins; clocks may be skewed and drift, metrics use true time);
* ``vv``: a per-key :class:`~replnb.clocks.VersionVector`, so a replica can
  tell whether an incoming write supersedes, is superseded by, or is
  *concurrent* with what it holds (a **conflict**);
* ``deps``: its causal past, one counter per origin, for causal delivery.

Resolvers (``resolver=``):

``"avoid"``     conflict avoidance: every key has a home leader
                (``zlib.crc32(key) % leaders``) and all its writes go there;
                relocations move the home, and the conflicts that in-flight
                writes then cause are settled by last-write-wins.
``"lww"``       last-write-wins: the write with the highest ``(ts, node)``
                survives (then the origin's sequence number), whatever the
                causal order.
``"max"``, ``"concat"``
                built-in merges of concurrent versions (register workload).
``"union"``     the cart merge: union of concurrent carts (``workload="cart"``);
                without tombstones deleted items come back (resurrections).
``"siblings"``  custom logic on read: replicas keep every concurrent version;
                a read returns them all, and with ``resolve`` given the
                application merges them and writes the merge back.
``"custom"``    custom logic on write: ``resolve(local, incoming) -> value``
                (or pass the callable itself as ``resolver``).

The built-in merges and the custom ones keep the concurrent versions
(siblings, the maximal versions under the version-vector order) and compute
the replica's value from them in ``(ts, node)`` order, so every replica that
has applied the same writes shows the same value, whatever the arrival order.

Failures: ``failed`` nodes are down for the whole run; ``crashes`` and
``link_failures`` come and go. A recovered node (and the far end of a healed
link) runs one round of **anti-entropy**: it sends the set of writes it has
seen to each of its in-neighbours (for a healed link: to the link's source),
which answer with every write it lacks; the node applies and forwards them as
usual. Causal delivery (``causal=True``) buffers a remote write until every
write that happened before it has been applied.
"""

from __future__ import annotations

from . import analysis, causality, collect, graph, model, schedule, setup, simulation, state, strategies
from .analysis import clip, divergence, focus
from .graph import (
    KINDS,
    build,
    damage,
    expected_messages,
    hops,
    layout,
    reach,
    region_layout,
    regions,
    stranded,
)
from .model import Model
from .simulation import simulate
from .state import (
    CART_KEYS,
    CART_ONLY,
    MAX_LEADERS,
    REGISTER_KEYS,
    REGISTER_ONLY,
    REPLICATION_KINDS,
    RESOLVERS,
    WORKLOADS,
    Cart,
    KeyState,
    Leader,
    Resolve,
    Write,
    display,
    home_leader,
    same,
    same_state,
    union_carts,
    vv_str,
)
from .strategies import STRATEGIES, SWEEPABLE, compare_runs, compare_strategies, strategy_run, sweep

__all__ = [
    "CART_KEYS",
    "CART_ONLY",
    "KINDS",
    "MAX_LEADERS",
    "REGISTER_KEYS",
    "REGISTER_ONLY",
    "REPLICATION_KINDS",
    "RESOLVERS",
    "STRATEGIES",
    "SWEEPABLE",
    "WORKLOADS",
    "Cart",
    "KeyState",
    "Leader",
    "Model",
    "Resolve",
    "Write",
    "analysis",
    "build",
    "causality",
    "clip",
    "collect",
    "compare_runs",
    "compare_strategies",
    "damage",
    "display",
    "divergence",
    "expected_messages",
    "focus",
    "graph",
    "home_leader",
    "hops",
    "layout",
    "model",
    "reach",
    "region_layout",
    "regions",
    "same",
    "same_state",
    "schedule",
    "setup",
    "simulate",
    "simulation",
    "state",
    "stranded",
    "strategies",
    "strategy_run",
    "sweep",
    "union_carts",
    "vv_str",
]
