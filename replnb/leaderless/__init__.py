"""Leaderless (Dynamo-style) replication: quorums, read repair, anti-entropy and sloppy quorums.

Every node accepts reads and writes. A cluster of ``nodes`` servers
(``"A"``, ``"B"``, ...) stores a handful of keys; each key lives on ``n``
*home replicas*, found by consistent hashing: the node names sit at evenly
spaced tokens on a ring of ``2**32`` positions, a key sits at
``replnb.rng.stable_hash(key)``, and its *preference list* is the nodes met
walking clockwise from it. The first ``n`` are the home replicas; the rest
are *fallback* nodes that a sloppy quorum may borrow.

The protocol, as in Dynamo, Riak and Cassandra:

**Write.** A client's request lands on a live node, the *coordinator*. It
stamps the write with a *version* ``(coordinator clock, op_id)``: clocks are
perfect in this chapter (skewed clocks are chapter 2's topic), so versions
order writes by the time they began, and the op id breaks ties.
Replicas keep the highest version they have seen (last-write-wins by that
version). The coordinator sends the write to every reachable home replica
and reports success after ``w`` acknowledgements. If fewer than ``w`` targets
are reachable it fails at once, as Cassandra's *Unavailable* error does;
if the ``w``-th acknowledgement does not arrive within ``timeout`` ms it
fails then. A failed write is not rolled back: replicas that received it
keep it.

**Read.** The coordinator asks every reachable home replica and returns the
newest version among the first ``r`` responses.

**Read repair** (``read_repair=True``). After a read has its ``r`` answers,
the coordinator sends the newest version it has seen to every responder
that answered with an older one, including responders that answer late.

**Anti-entropy** (``anti_entropy_interval``). Every interval each node
compares its data with the next peer (round robin over the nodes it shares
key ranges with). The key ranges are the ring segments; the digest is a
two-level Merkle tree: one CRC-32 (:func:`zlib.crc32`) per shared range and a
root CRC over those. When the roots differ, the peer sends its items in the
ranges whose hashes differ; the initiator keeps what is newer and pushes
back what the peer lacks.

**Sloppy quorum with hinted handoff** (``sloppy=True``). When a home
replica is unreachable, the coordinator sends its copy to the next
reachable fallback node of the key's preference list instead, with a
*hint* naming the home node; the fallback's acknowledgement counts toward
``w`` and the fallback answers reads for that home node. Every
``hint_interval`` ms each fallback looks for home nodes that are back and
hands their hinted versions off (until acknowledged), then deletes them.
Until then a recovered home node lacks those writes: a sloppy quorum is not
a quorum, and even ``r + w > n`` can read stale. As in Dynamo, a
substitute is used for every unreachable home replica, so a write finds
``w`` acknowledgements whenever ``w`` nodes of the whole preference list
are up.

**Propagation off** (``propagate=False``). The coordinator sends a write
to only ``w`` home replicas chosen uniformly at random among the reachable
ones: the *non-expanding* quorums of the PBS closed form
(:func:`replnb.pbs.stale_read_probability`). With read repair and
anti-entropy off too, a read is stale with probability
``C(n-w, r) / C(n, r)`` (unless a newer write is still in flight).

**Latency.** ``latency`` may be a PBS preset name (``"LNKD-SSD"``,
``"LNKD-DISK"``, ``"YMMR"``): then write requests draw from the ``W`` leg,
acknowledgements from ``A``, read requests from ``R`` and responses from
``S``, exactly as in the WARS model. Background messages that carry data
(repairs, anti-entropy pushes, handoffs) use ``W``, their acknowledgements
``A``, digests ``R`` and anti-entropy replies ``S``. A
:class:`~replnb.latency.Distribution` is used for every message; a number is
the mean, in ms, of an exponential delay.

**Faults.** ``failures=[(node, at, recover_at or None), ...]`` crash nodes
through :meth:`replnb.network.Network.crash`. Stored data (replica state and
hints) survives a crash, as on disk; a crashed coordinator's pending
operations never complete.

**Bounds.** Every parameter is declared once as a spec
(:data:`replnb.leaderless.simulation.SPECS`). Besides each range, a run
whose expected work (about ``3 n`` messages per client operation, plus the
anti-entropy digests) is above
:data:`~replnb.leaderless.simulation.MAX_WORK` is refused at once, naming
the duration, the anti-entropy interval or the script length that would
fit: no accepted run takes more than a few seconds.

The metrics (see :mod:`replnb.metrics` for the definitions) are
``writes``, ``reads``, ``write_availability``, ``read_availability``,
``stale_reads``, ``stale_fraction``, ``lost_writes``, ``convergence_time``,
``hinted_writes``, ``hints_handed_off``, ``read_repairs``,
``anti_entropy_repairs``, ``write_latency_median`` and
``read_latency_median`` (ms, over successful operations). The ``version``
columns of ``run.ops`` and ``run.versions`` rank the versions of each key
(1 = the oldest write; a read that found no value returns version 0);
``run.ops`` also has ``stale`` and ``lost`` columns, and the ``value`` of a
write is its op id. Replica-state events are ``"write"``,
``"repair"``, ``"anti-entropy"``, ``"handoff"`` (home replicas) and
``"hint"`` (a fallback storing a hint).
"""

from __future__ import annotations

from . import analysis, cluster, ring, simulation
from .analysis import closed_form_check, expected_stale_reads, lagging_replicas, read_ages
from .cluster import Cluster
from .ring import (
    CONSISTENCY_LEVELS,
    MAX_NODES,
    NODES,
    Stamp,
    home_replicas,
    level_name,
    level_size,
    preference_list,
    primary_index,
    quorum_grid,
)
from .simulation import LeaderlessRun, simulate

__all__ = [
    "CONSISTENCY_LEVELS",
    "MAX_NODES",
    "NODES",
    "Cluster",
    "LeaderlessRun",
    "Stamp",
    "analysis",
    "closed_form_check",
    "cluster",
    "expected_stale_reads",
    "home_replicas",
    "lagging_replicas",
    "level_name",
    "level_size",
    "preference_list",
    "primary_index",
    "quorum_grid",
    "read_ages",
    "ring",
    "simulate",
    "simulation",
]
