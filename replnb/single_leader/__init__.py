"""Single-leader (primary–secondary) replication.

One node, the **leader** ``"A"``, accepts every write. It appends the write to
its replication log, applies it, and ships the log to its **followers**
``"B"``, ``"C"``, ... over a :class:`~replnb.network.Network`: one message per
log entry per follower. Followers apply entries strictly in log order and
acknowledge them. When the leader answers the client depends on ``mode``:

``"sync"``       after every follower has acknowledged the entry;
``"semi-sync"``  after the one synchronous follower (the first follower,
                 ``"B"`` while ``"A"`` leads) has acknowledged it;
``"async"``      at once.

Reads go where ``read_from`` sends them: ``"leader"``; ``"any"`` (a random
follower for every read); ``"sticky"`` (each client keeps one follower, the
fix for non-monotonic reads); ``"read-your-writes"`` (the leader for
``ryw_window`` ms after the client's own acknowledged write, a random
follower otherwise).

**Failover.** With ``failover_at`` the leader crashes at that time. A crash
also drops the replication messages it had in flight. After
``detection_timeout`` ms, the most up-to-date live follower is promoted, with
a new **epoch** number; the other followers follow it and catch up from its
log. Writes are unavailable from the crash to the promotion. Acknowledged
writes the new leader never received are gone, whatever is written after
them: ``run.metrics["lost_writes"]`` counts them (cause ``failover``).

**Split brain.** With ``old_leader_returns_at`` the old leader comes back
with its log intact. The first ``stale_clients`` clients never heard of the
failover (a stale DNS or configuration cache) and keep sending to it.
Without ``fencing`` the old leader believes it still leads and accepts their
writes; followers ignore its messages, because they follow the new epoch.
With ``fencing`` it compares its epoch with the current one when it
returns, steps down, discards the log entries the new leader does not have
(a rollback) and follows the new leader.

**Faults and geography** (the vocabulary every model of the course shares).
``crashes`` crash any node and bring it back; a recovered follower catches up
from its leader's log (it sends the epochs of its log, the leader truncates
what differs and resends the rest), and so does a follower whose link to the
leader (``link_failures``) or whose side of a ``partitions`` heals. Failure
is *detected*, never read from the network's state: every follower hears
its leader as long as the leader is up and the link between them works
(continuous heartbeats). A follower that has not heard it for
``detection_timeout`` ms asks the nodes it can reach; when those that do not
hear the leader either are a majority of the nodes (or every live node),
the most up-to-date of them is promoted. So a partition that cuts the
leader off gives a promotion on the majority side, while the old leader
keeps accepting writes from the clients that still reach it (a partition
group may name clients): a **split brain**. Without ``fencing`` nothing makes
it check its epoch; its writes are never in the final leader's log, and
count as lost. With ``fencing`` a leader that has not reached a majority for
``detection_timeout`` steps down (a lease), and a deposed leader that hears of
the new epoch rolls back and follows. With ``mode="semi-sync"`` a leader
that has not reached its synchronous follower for ``detection_timeout``
makes the next follower synchronous (the failed one becomes asynchronous);
with ``mode="sync"`` a failed follower blocks every write until it is back.
``regions`` and ``far_latency`` (:mod:`replnb.engine.geography`) add the far
delay to the messages between regions, and to a client's request and reply:
a client pays its round trip to the leader. ``run.extras["promotions"]``
lists every promotion as ``(time, node, epoch)``.

Workload: ``clients`` closed-loop clients ``"c1"``, ``"c2"``, ... each run one
operation at a time and think for an exponential time (mean ``think_time``)
in between. By default each key belongs to one client, which is the only one
to write it (like a user's own profile); with ``shared_keys`` every client
writes any key, so writes to one key come from several clients at once.
Reads pick any key. Instead of the random workload, ``ops`` gives a
scripted list of client operations.

**The causal record.** The leader's log orders every write it accepts.
Each write row of ``run.ops`` records its ``dot`` (``("e<epoch>", its
position among that epoch's entries)``) and ``vv`` (how many entries of each
epoch the leader's log held, up to and including it): the stamps of
:func:`replnb.metrics.log_stamps`, so happens-before follows the log along
the chain of leaders that the failovers kept. Each read records
``returned``, the op id of the entry it read (``()`` for none); each row of
``run.versions`` records ``held``. The final state of a key is its last
entry in the final leader's log (``run.extras["final"]``); the writes a
leader accepted that this log never had are ``run.extras["discarded"]``
(lost in a failover, accepted by a deposed leader, rolled back by fencing).
The verdicts and the standard figures (``lost_writes`` and its causes,
``stale_reads``, ``ryw_violations``, ``monotonic_violations``,
``conflicts``, ``convergence_time``) come from :mod:`replnb.metrics`.

Every record is in the returned :class:`~replnb.records.Run`. ``run.ops``
has, besides the standard columns, ``error`` (why an operation failed),
``epoch`` and ``role`` of the node that served it, ``split_brain`` (the
write was acknowledged by a deposed leader), the causal record ``dot``,
``vv`` and ``returned``, and the verdicts ``lost``, ``lost_cause``,
``stale``, ``ryw_violation`` and ``monotonic_violation``.
``run.extras["lag"]`` is the replication lag of every entry a follower
applied.

Modules: :mod:`.model` (the nodes, the log, clients, failure detection and
failover), :mod:`.faults` (the fault lists, checked),
:mod:`.simulation` (:func:`simulate`: check, build, run, collect),
:mod:`.verdicts` (the verdict columns and the metrics), :mod:`.analysis`
(replication lag, sweeps) and :mod:`.experiments` (the failover timeout's
trade-off, a failed synchronous follower).
"""

from __future__ import annotations

from . import analysis, experiments, faults, model, simulation, verdicts
from .analysis import replication_lag, sweep
from .model import DISTRIBUTIONS, KEYS, MODES, OP_FIELDS, READ_FROM, Entry, SingleLeader, epoch_name
from .simulation import simulate
from .verdicts import METRICS, VERDICTS

__all__ = [
    "DISTRIBUTIONS",
    "KEYS",
    "METRICS",
    "MODES",
    "OP_FIELDS",
    "READ_FROM",
    "VERDICTS",
    "Entry",
    "SingleLeader",
    "analysis",
    "epoch_name",
    "experiments",
    "faults",
    "model",
    "replication_lag",
    "simulate",
    "simulation",
    "sweep",
    "verdicts",
]
