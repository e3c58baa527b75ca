"""Leaderless (Dynamo-style) replication: quorums, read repair, anti-entropy and sloppy quorums.

Every node accepts reads and writes. A cluster of ``nodes`` servers
(``"A"``, ``"B"``, ...) stores a handful of keys; each key lives on ``n``
*home replicas*, found by consistent hashing: the node names sit at evenly
spaced tokens on a ring of ``2**32`` positions, a key sits at
``replnb.rng.stable_hash(key)``, and its *preference list* is the nodes met
walking clockwise from it. The first ``n`` are the home replicas; the rest
are *fallback* nodes that a sloppy quorum may borrow.

The protocol, as in Dynamo, Riak and Cassandra:

**Write.** A write of a key is coordinated by the first live node of the
key's home replicas (with a sloppy quorum: of its whole preference list),
as in Dynamo, or in Cassandra with a token-aware client. A client's request
reaches some live node (picked at random, or named by a script); if that is
not the coordinator, it forwards the request there: one ``"forward"``
message, drawn from the ``W`` leg. The client's own round trip is
``client_latency`` each way (plus ``far_latency`` when the client and the
node sit in different ``regions``; 0 by default): a write's latency is that
round trip, the forwarding hop if any, and the wait for its quorum. The
coordinator stamps the write with a *version*
``(coordinator clock, op_id)``: clocks are perfect by default, so versions
order writes by the time they were accepted, and the op id breaks ties;
``clock_skew`` puts each node's clock off by up to that many ms, and then a
write can lose to one that happened before it (cause ``older_write_won``).
Replicas keep the highest version they have seen (last-write-wins by that
version): one version per key. The coordinator **stores its own copy at
once**, without a message, then sends the write to every other reachable
home replica, and reports success after ``w`` copies, its own included: a
``w = 1`` write is acknowledged as soon as it reaches its coordinator. If
fewer than ``w`` targets are reachable it fails at once, as Cassandra's
*Unavailable* error does; if the ``w``-th acknowledgement does not arrive
within ``timeout`` ms it fails then. A failed write is not rolled back:
replicas that received it keep it. ``coordinator="any"`` instead lets the
node the request reaches coordinate the write and reach every replica,
itself included, over the network (Cassandra's proxy coordinator, and the
PBS model): its writes are blind when it does not hold the key.

**Causality.** Besides its timestamp, every accepted write records what it
knew. Each node keeps, per key, a version vector of the writes it has
applied: merged whenever a version reaches it (a write, a read repair, a
hint or its handoff, anti-entropy), including the versions that
last-write-wins then overwrote or refused. The coordinator gives the write
the *dot* ``(coordinator, its next counter for the key)`` and, as causal
context, its own vector with that dot. Write W happens before write V
when V's coordinator had applied W (:mod:`replnb.metrics`). Clients write
blindly (they do not read first), but a home coordinator has applied every
write it accepted before: while no node fails, the writes of a key form one
causal chain, and none is lost whatever R and W. When the coordinator
fails (or a sloppy quorum moves it), the next one may not yet have the
last writes of the key: its write is *concurrent* with them, the timestamp
picks one, and the other is **lost** (cause ``concurrent``) whatever R and
W, once the store converges on the winner.

**Read.** A read needs no version of its own, so the node it reaches
coordinates it. The coordinator asks every reachable home replica (a home
coordinator answers for itself at once, without a message) and returns the
newest version among the first ``r`` responses.

**Read repair** (``read_repair=True``). After a read has its ``r`` answers,
the coordinator sends the newest version it has seen to every responder
that answered with an older one, including responders that answer late.
The read has answered before the repair lands: even ``r + w > n`` is not
linearizable, as a read concurrent with a write can return the new version
and a later read the old one.

**Synchronous read repair** (``read_repair="sync"``), the write-back phase
of ABD (Attiya, Bar-Noy and Dolev). With its ``r`` answers, the coordinator
chooses the newest version; unless ``w`` responders already hold it, it
sends it (``"writeback"`` messages, on the ``W`` leg) to every other
replica it can reach (a home coordinator applies it to its own copy at once)
and answers only when the holders and the ``"writeback-ack"``
acknowledgements (``A`` leg) reach ``w``: the read's ``end`` includes that
round trip. Fewer than ``w`` reachable replicas make the read fail at once;
acknowledgements not in by ``timeout`` make it fail then. A version a read
returned is then on ``w`` replicas, which every later read quorum meets when
``r + w > n``: without failures or clock skew, histories are linearizable.
Responses that arrive after the version is chosen are ignored (no repair
after the answer). Write-backs count as ``read_repairs``; the replica-state
event is ``"repair"``.

**Anti-entropy** (``anti_entropy_interval``). Every interval each node
compares its data with the next peer (round robin over the nodes it shares
key ranges with). The key ranges are the ring segments; the digest is a
two-level Merkle tree: one CRC-32 (:func:`zlib.crc32`) per shared range and a
root CRC over those. When the roots differ, the peer sends its items in the
ranges whose hashes differ; the initiator keeps what is newer and pushes
back what the peer lacks.

**Siblings instead of last-write-wins** (``merge="siblings"``). Each
replica keeps, per key, every version that no other one replaces, as
Dynamo's and Riak's shopping carts do (:mod:`replnb.leaderless.dotted`,
:class:`~replnb.leaderless.cluster.SiblingsCluster`). A version has a dot
``(coordinator, counter)`` and, as causal context, what its client had read
of the key (a read returns every sibling and their context; a client that
has not read the key writes with an empty one). A version is dropped only
when its dot is in another kept version's context. Coordinators ship their
whole sibling set, and replication, read repair and anti-entropy merge
sets, so replicas converge on the same siblings; timestamps no longer
decide anything, whatever ``clock_skew``. No acknowledged write is lost
then unless a client overwrote it after reading it; concurrent writes stay
side by side (``conflicts``) for the application to merge. The mode needs
``sloppy=False``, ``coordinator="home"``, ``read_repair`` other than
``"sync"`` and no ``restores``.

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

**Propagation off** (``propagate=False``). The write reaches only ``w``
home replicas: a home coordinator keeps its copy and sends ``w - 1`` more to
home replicas chosen uniformly at random among the reachable others (with
``coordinator="any"``: ``w`` at random). These are the *non-expanding*
quorums of the PBS closed form (:func:`replnb.pbs.stale_read_probability`).
Reads land on random nodes, so a read's ``r`` replicas are a uniformly random
set, independent of the write's: with read repair and anti-entropy off too,
a read is stale with probability ``C(n-w, r) / C(n, r)`` (unless a newer
write is still in flight).

**Latency.** ``latency`` may be a PBS preset name (``"LNKD-SSD"``,
``"LNKD-DISK"``, ``"YMMR"``): then write requests draw from the ``W`` leg,
acknowledgements from ``A``, read requests from ``R`` and responses from
``S``, exactly as in the WARS model. Background messages that carry data
(forwarded writes, repairs, anti-entropy pushes, handoffs) use ``W``, their acknowledgements
``A``, digests ``R`` and anti-entropy replies ``S``. A
:class:`~replnb.latency.Distribution` is used for every message; a number is
the mean, in ms, of an exponential delay.

**Faults** (the vocabulary every model shares, :mod:`replnb.leaderless.faults`).
``crashes=[(node, at, recover_at or None), ...]`` (old name ``failures``)
crash nodes through :meth:`replnb.engine.network.Network.crash`. Stored data
(replica state and hints) survives a crash, as on disk; a crashed
coordinator's pending operations never complete. ``link_failures`` cut the
link between two nodes both ways, ``partitions`` split the nodes into groups
that cannot reach each other; both drop the messages on the cut links and
make the far ends unreachable for coordinators (a sloppy quorum then borrows
fallbacks), until they heal.

**Geography and scoped quorums.** ``regions`` places nodes and clients in
regions; ``far_latency`` ms are added to every message between two regions
(by the network for replica messages, by the model for the client's legs).
A client contacts a node of its own region, and a home coordinator is the
first reachable home replica in the contact's region. ``r_scope`` and
``w_scope`` say where the ``r`` and ``w`` replies must come from:
``"global"`` (anywhere), ``"local"`` (the coordinator's region, Cassandra's
``LOCAL_QUORUM``; a local read asks only local replicas) or ``"each"``
(every region holding home replicas, ``EACH_QUORUM``).

**Bounds.** Every parameter is declared once as a spec
(:data:`replnb.leaderless.simulation.SPECS`). Besides each range, a run
whose expected work (about ``3 n`` messages per client operation, plus the
anti-entropy digests) is above
:data:`~replnb.leaderless.simulation.MAX_WORK` is refused at once, naming
the duration, the anti-entropy interval or the script length that would
fit: no accepted run takes more than a few seconds.

The metrics (see :mod:`replnb.metrics` for the definitions) are
``writes``, ``reads``, ``write_availability``, ``read_availability``, the
standard causal figures (:data:`replnb.metrics.CAUSAL_FIGURES`:
``lost_writes`` and its causes ``lost_failover``, ``lost_older_write_won``,
``lost_concurrent``, then ``stale_reads``, ``ryw_violations``,
``monotonic_violations``, ``conflicts``), ``stale_fraction`` (of completed
reads), ``reads_behind`` (completed reads that returned an older version,
in timestamp order, than the newest write acknowledged before they began:
PBS's stale reads, which strict quorums rule out), ``convergence_time``
(until every key's live home replicas hold the same write, by identity;
``inf`` if never), ``hinted_writes``,
``hints_handed_off``, ``read_repairs``, ``anti_entropy_repairs``,
``write_latency_median`` and ``read_latency_median`` (ms, over successful
operations). The final state, from which lost writes are judged, is what
the live home replicas hold at the end of the run (``settle`` ms after the
last operation), with the newer versions still waiting as hints; when they
disagree (they never converged), every version they hold survives.

``run.ops`` carries the causal record (``dot`` and ``vv`` for writes,
``returned`` for reads) and the verdicts ``lost``, ``lost_cause``,
``stale``, ``ryw_violation`` and ``monotonic_violation``; the ``value`` of
a write is its op id. The ``version`` columns of ``run.ops`` and
``run.versions`` rank the versions of each key in timestamp order (1 = the
oldest write; a read that found no value returns version 0): the order PBS
uses (:func:`~replnb.leaderless.analysis.read_ages`). ``run.versions`` rows
record ``held``, the op_ids the replica holds for the key after the change.
Replica-state events are ``"write"``, ``"repair"``, ``"anti-entropy"``,
``"handoff"`` (home replicas) and ``"hint"`` (a fallback storing a hint).
"""

from __future__ import annotations

from . import analysis, cluster, datacenters, dotted, faults, ring, siblings, simulation, stats
from .analysis import closed_form_check, expected_stale_reads, lagging_replicas, read_ages
from .cluster import Cluster, SiblingsCluster
from .datacenters import DC_LEVELS, two_datacenters
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
    "DC_LEVELS",
    "MAX_NODES",
    "NODES",
    "Cluster",
    "LeaderlessRun",
    "SiblingsCluster",
    "Stamp",
    "analysis",
    "closed_form_check",
    "cluster",
    "datacenters",
    "dotted",
    "expected_stale_reads",
    "faults",
    "home_replicas",
    "lagging_replicas",
    "level_name",
    "level_size",
    "preference_list",
    "primary_index",
    "quorum_grid",
    "read_ages",
    "ring",
    "siblings",
    "simulate",
    "simulation",
    "stats",
    "two_datacenters",
]
