"""simulate(): check the parameters, build the cluster, run it, collect a Run."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from ..engine.geography import Geography, geography
from ..engine.latency import Distribution
from ..engine.network import Network, node_names
from ..engine.rng import Seed, as_rng
from ..engine.sim import Simulation
from ..params import Choice, Flag, Int, Real, Spec, checked
from ..pbs import Legs
from ..records import OP_COLUMNS, Recorder, Run, frame
from .cluster import SCOPES, Cluster, SiblingsCluster
from .dotted import merge as merge_siblings
from .faults import (
    Crash,
    LinkFailure,
    Partition,
    Restore,
    check_crashes,
    check_links,
    check_partitions,
    check_restores,
    schedule_faults,
)
from .ring import MAX_NODES, NODES, Stamp

__all__ = [
    "COORDINATORS",
    "MAX_DURATION",
    "MAX_RATE",
    "MAX_WORK",
    "MERGES",
    "READ_REPAIRS",
    "SCOPES",
    "SPECS",
    "LeaderlessRun",
    "simulate",
]

#: The longest a run's clients issue operations, its settle time and its timeout, in ms.
MAX_DURATION = 10_000.0
#: The highest write or read rate, per second over the whole cluster.
MAX_RATE = 5_000.0
#: The shortest anti-entropy or hint interval, in ms.
MIN_INTERVAL = 10.0
#: The most keys, clients, scripted operations and failures.
MAX_KEYS, MAX_CLIENTS, MAX_SCRIPT, MAX_FAILURES = 1000, 100, 50_000, 100
#: The latest time of a scripted operation or a failure, in ms.
MAX_TIME = 100_000.0
#: The largest clock skew, in ms.
MAX_SKEW = 1000.0
#: The largest one-way delay between a client and a node of its region, in ms.
MAX_CLIENT_LATENCY = 1000.0

#: Who coordinates a write: the key's first live home replica, or the node the request reaches.
COORDINATORS = ("home", "any")

#: Read repair: off, after the read has answered (``True``), or before it answers ("sync", ABD).
READ_REPAIRS = (False, True, "sync")

#: What a replica keeps of concurrent writes: the newest timestamp, or every sibling.
MERGES = ("lww", "siblings")

#: A run's work in units of one message to one replica (about 7 us each on the course
#: machine, 20 us when it is busy): a run that would need more is refused, so that none
#: takes more than about 5 s.
MAX_WORK = 300_000.0
#: Work units of one anti-entropy key compared (measured) and of one node's hint-interval check.
_AE_KEY_WORK, _TICK_WORK = 1 / 10, 1 / 20
#: Work units per sibling merged (siblings mode): a bound assumes every write of a key is a sibling.
_SIBLING_WORK = 1 / 20

_LATENCY = Legs(single=True)

#: The parameters of :func:`simulate`, checked in this order.
SPECS: dict[str, Spec] = {
    "n": NODES,
    "r": Int(1, "n"),
    "w": Int(1, "n"),
    "nodes": Int("n", MAX_NODES, none=True),
    "keys": Int(1, MAX_KEYS),
    "clients": Int(1, MAX_CLIENTS),
    "write_rate": Real(0, MAX_RATE, unit="per s"),
    "read_rate": Real(0, MAX_RATE, unit="per s"),
    "duration": Real(0, MAX_DURATION, low_open=True, unit="ms"),
    "writes_until": Real(0, "duration", low_open=True, unit="ms", none=True),
    "settle": Real(0, MAX_DURATION, unit="ms", none=True),
    "timeout": Real(0, MAX_DURATION, low_open=True, unit="ms"),
    "read_repair": Choice(READ_REPAIRS),
    "anti_entropy_interval": Real(MIN_INTERVAL, MAX_DURATION, unit="ms", none=True),
    "sloppy": Flag(),
    "hint_interval": Real(MIN_INTERVAL, MAX_DURATION, unit="ms"),
    "propagate": Flag(),
    "clock_skew": Real(0, MAX_SKEW, unit="ms"),
    "coordinator": Choice(COORDINATORS),
    "latency": _LATENCY,
    "far_latency": Real(0, 10_000, unit="ms"),
    "client_latency": Real(0, MAX_CLIENT_LATENCY, unit="ms"),
    "r_scope": Choice(SCOPES),
    "w_scope": Choice(SCOPES),
    "merge": Choice(MERGES),
}

#: One operation to schedule: (time, kind, key, client, coordinator pick in [0, 1) or a node name).
Op = tuple[float, str, str, str, float | str]
Failure = Crash


@dataclass(frozen=True)
class _Plan:
    """The checked parameters of one run."""

    n: int
    r: int
    w: int
    names: list[str]
    keys: int
    clients: int
    write_rate: float
    read_rate: float
    duration: float
    writes_until: float
    settle: float
    timeout: float
    read_repair: bool | str
    anti_entropy_interval: float | None
    sloppy: bool
    hint_interval: float
    propagate: bool
    clock_skew: float
    coordinator: str
    legs: dict[str, Distribution]
    faults: list[Failure]
    script: list[Op] | None
    links: list[LinkFailure]
    partitions: list[Partition]
    restores: list[Restore]
    geo: Geography | None
    client_latency: float
    r_scope: str
    w_scope: str
    merge: str = "lww"

    @property
    def end(self) -> float:
        """When the simulation stops, in ms."""
        return self.duration + self.settle

    def work(self, duration: float | None = None, interval: float | None = None) -> float:
        """The run's expected work (see :data:`MAX_WORK`), for another duration or interval if given."""
        duration = self.duration if duration is None else duration
        interval = self.anti_entropy_interval if interval is None else interval
        end, m = duration + self.settle, len(self.names)
        if self.script is not None:
            ops = float(len(self.script))
            reads = float(sum(op[1] == "read" for op in self.script))
        else:
            reads = self.read_rate * duration / 1000
            ops = self.write_rate * min(self.writes_until, duration) / 1000 + reads
        work = 3 * self.n * ops + _TICK_WORK * m * end / self.hint_interval
        if self.read_repair == "sync":  # a write-back and its acknowledgement per replica
            work += 2 * self.n * reads
        if interval is not None:
            work += _AE_KEY_WORK * (m + 2 * self.n * self.keys) * end / interval
        if self.merge == "siblings":  # each message carries a set: at worst every write of the key
            work += _SIBLING_WORK * 3 * self.n * (ops - reads) * self._writes_per_key(duration)
        return work

    def _writes_per_key(self, duration: float) -> float:
        """The most writes of one key (scripted), or the expected writes per key (random workload)."""
        if self.script is not None:
            counts: dict[str, int] = {}
            for op in self.script:
                if op[1] == "write":
                    counts[op[2]] = counts.get(op[2], 0) + 1
            return float(max(counts.values(), default=0))
        return self.write_rate * min(self.writes_until, duration) / 1000 / self.keys


#: The causal verdicts joined onto ``run.ops`` (see :func:`replnb.metrics.causal_verdicts`).
VERDICTS = ("lost", "lost_cause", "stale", "ryw_violation", "monotonic_violation")


class LeaderlessRun(Run):
    """A :class:`~replnb.records.Run` whose ``ops`` also carry the causal verdicts.

    ``run.extras["final"]`` is the converged final state: per key, the op_ids
    of the surviving writes.
    """

    @cached_property
    def ops(self) -> pd.DataFrame:
        """Client operations with the causal record (``dot``, ``vv``, ``returned``) and the verdicts.

        The verdict columns are ``lost``, ``lost_cause`` (``None`` unless
        lost), ``stale``, ``ryw_violation`` and ``monotonic_violation``.
        """
        df = frame(self.recorder.ops, OP_COLUMNS)
        # values are op ids (ints) or None: keep them as Python objects, not floats
        for column in ("value", "dot", "vv", "returned"):
            df[column] = pd.Series([op.get(column) for op in self.recorder.ops], index=df.index, dtype=object)
        if not len(df):
            for column in VERDICTS:
                df[column] = pd.Series(dtype=object if column == "lost_cause" else bool)
            return df
        df["ok"] = df["ok"].astype(bool)
        verdicts = metrics.causal_verdicts(df, self.extras["final"])
        return df.join(verdicts[list(VERDICTS)])


def _metrics(run: Run) -> dict[str, Any]:
    ops = run.ops
    writes = ops[ops["kind"] == "write"]
    reads = ops[ops["kind"] == "read"]
    done_reads = int(reads["ok"].sum())
    x = run.extras
    acked = writes[writes["ok"]]
    done = reads[reads["ok"]]
    figures = metrics.causal_figures(ops, ops)
    return {
        "writes": len(writes),
        "reads": len(reads),
        "write_availability": float(writes["ok"].mean()) if len(writes) else math.nan,
        "read_availability": float(reads["ok"].mean()) if len(reads) else math.nan,
        **figures,
        "stale_fraction": figures["stale_reads"] / done_reads if done_reads else math.nan,
        "reads_behind": _reads_behind(ops),
        "convergence_time": _convergence(run),
        "hinted_writes": x["hinted_writes"],
        "hints_handed_off": x["hints_handed_off"],
        "read_repairs": x["read_repairs"],
        "anti_entropy_repairs": x["anti_entropy_repairs"],
        "write_latency_median": metrics.percentile(acked["end"] - acked["start"], 50),
        "read_latency_median": metrics.percentile(done["end"] - done["start"], 50),
    }


def _reads_behind(ops: pd.DataFrame) -> int:
    """Completed reads that returned an older version, in timestamp order, than the newest acknowledged.

    PBS's stale read (see :func:`replnb.leaderless.analysis.read_ages`): the
    newest among the writes of the key acknowledged before the read began.
    """
    acked = ops[(ops["kind"] == "write") & ops["ok"]]
    reads = ops[(ops["kind"] == "read") & ops["ok"]]
    count = 0
    for key, group in reads.groupby("key", sort=False):
        writes = acked[acked["key"] == key].sort_values("end")
        ends = writes["end"].to_numpy(dtype=float)
        newest = np.maximum.accumulate(writes["version"].to_numpy(dtype=float)) if len(writes) else ends
        i = np.searchsorted(ends, group["start"].to_numpy(dtype=float), side="left")
        floor = np.where(i > 0, newest[np.maximum(i - 1, 0)] if len(writes) else 0.0, 0.0)
        count += int((group["version"].to_numpy(dtype=float) < floor).sum())
    return count


def _convergence(run: Run) -> float:
    """The latest, over the keys, of the time until the key's live home replicas hold the same write."""
    ops = run.ops
    acked = ops[(ops["kind"] == "write") & ops["ok"]]
    last_ack = float(acked["end"].max()) if len(acked) else math.nan
    versions = run.versions
    versions = versions[versions["event"] != "hint"]
    by_key = dict(list(versions.groupby("key", sort=True))) if len(versions) else {}
    live = set(run.extras["live"])
    worst = 0.0
    for key in sorted(by_key):
        nodes = [h for h in run.extras["home"][key] if h in live]
        v = by_key[key]
        worst = max(
            worst,
            metrics.convergence_time_by_identity(
                v[v["node"].isin(nodes)], nodes, last_ack, run.extras["last_fault_end"]
            ),
        )
    return worst


@checked(**SPECS)
def simulate(
    *,
    n: int = 3,
    r: int = 2,
    w: int = 2,
    nodes: int | None = None,
    keys: int = 4,
    clients: int = 3,
    write_rate: float = 100.0,
    read_rate: float = 200.0,
    duration: float = 1000.0,
    writes_until: float | None = None,
    settle: float | None = None,
    timeout: float = 1000.0,
    read_repair: bool | str = True,
    anti_entropy_interval: float | None = None,
    sloppy: bool = False,
    hint_interval: float = 100.0,
    propagate: bool = True,
    clock_skew: float = 0.0,
    coordinator: str = "home",
    failures: Sequence[tuple[str, float, float | None]] = (),
    latency: str | float | Distribution | Mapping[str, Distribution] = "LNKD-DISK",
    script: Sequence[tuple[Any, ...]] | None = None,
    seed: Seed = 0,
    crashes: Sequence[tuple[str, float, float | None]] = (),
    link_failures: Sequence[tuple[str, str, float, float | None]] = (),
    partitions: Sequence[tuple[Sequence[Sequence[str]], float, float | None]] = (),
    regions: Mapping[str, str] | None = None,
    far_latency: float = 0.0,
    client_latency: float = 0.0,
    r_scope: str = "global",
    w_scope: str = "global",
    restores: Sequence[tuple[str, float, float]] = (),
    merge: str = "lww",
) -> LeaderlessRun:
    """Run a leaderless (Dynamo-style) key-value store under a random workload.

    See the module docstring for the protocol. Clients issue writes and reads
    as two Poisson processes over ``[0, writes_until)`` and ``[0, duration)``
    ms, each to a key chosen
    uniformly among ``keys`` keys named ``"k0"``, ``"k1"``, ...; the run goes
    on for ``settle`` ms more so that late messages, repairs and handoffs can
    land.

    Parameters
    ----------
    n : int, default 3
        Home replicas per key, 1..26.
    r, w : int, default 2
        Read and write quorum sizes, each in 1..n.
    nodes : int, optional
        Cluster size, n..26 (default ``n + 2``, capped at 26): the nodes
        beyond a key's ``n`` home replicas are its fallbacks for sloppy quorums.
    keys : int, default 4
        Number of keys, 1..1000.
    clients : int, default 3
        Clients issuing the operations, 1..100 (named ``"c0"``, ``"c1"``, ...).
    write_rate, read_rate : float
        Writes and reads per second over the whole cluster, in [0, 5000].
    duration : float, default 1000
        How long clients issue operations, in ms, in (0, 10000].
    writes_until : float, optional
        Writes stop at this time (ms, in ``(0, duration]``; default
        ``duration``), so that what happens after the last write can be watched.
    settle : float, optional
        Extra time simulated after ``duration``, in ms, in [0, 10000]
        (default ``timeout``).
    timeout : float, default 1000
        A coordinator gives up on an operation after this many ms, in (0, 10000].
    read_repair : {True, False, "sync"}, default True
        ``True``: once the read has answered, push the newest version to
        responders that answered with an older one. ``"sync"``: synchronous
        read repair, the write-back phase of ABD: before answering, the
        coordinator writes the version it will return to the replicas not
        known to hold it (``"writeback"`` messages, acknowledged by
        ``"writeback-ack"``) and answers once ``w`` replicas hold it, so the
        read's latency includes that round trip (none when ``w`` responders
        already held it); the read fails if that cannot happen in time. With
        ``r + w > n``, no failures and perfect clocks the history is then
        linearizable (:func:`replnb.check.check`). ``False``: no read repair.
    anti_entropy_interval : float or None
        Every this many ms each node syncs with one peer by Merkle digest
        (10..10000 ms; ``None``: no anti-entropy).
    sloppy : bool, default False
        Sloppy quorum with hinted handoff.
    hint_interval : float, default 100
        Fallbacks try to hand hints off this often, in ms, in [10, 10000].
    propagate : bool, default True
        ``False``: writes go to only ``w`` random home replicas
        (non-expanding quorums, the PBS closed form).
    clock_skew : float, default 0
        Each node's clock is off by an amount drawn uniformly from
        ``[-clock_skew, clock_skew]`` ms (at most 1000): the timestamps of
        last-write-wins then no longer follow causality, and a write can lose
        to an older one (cause ``older_write_won``). 0: perfect clocks.
    coordinator : {"home", "any"}, default "home"
        ``"home"``: a write is coordinated by the key's first live home
        replica (first live node of the preference list, with a sloppy
        quorum), which stores its copy at once; a request that reaches
        another node is forwarded to it (one hop). ``"any"``: the node the
        request reaches coordinates it and reaches every replica, itself
        included, over the network: the PBS model (Cassandra's proxy
        coordinator), in which every write is blind.
    failures : sequence of (node, at, recover_at or None)
        The former name of ``crashes``, kept as an alias (give one of the two).
    latency : str, float, Distribution or mapping, default "LNKD-DISK"
        A PBS preset name, a mean delay in ms (exponential, in (0, 10000]), one
        distribution for every message, or a mapping of the WARS legs.
    script : sequence of (time, kind, key, node) or (time, kind, key, node, client), optional
        A scripted workload instead of the random one: at ``time`` ms, a
        ``"write"`` or ``"read"`` of ``key`` by ``client`` (default
        ``"c0"``) reaches ``node`` (it fails if that node is down). A read
        is coordinated there; so is a write with ``coordinator="any"``,
        otherwise it is forwarded to the key's coordinator (unless ``node``
        is that coordinator). Writes write their op id as the value. ``keys``, ``clients``
        and the rates are then ignored. At most 50000 operations, times in
        [0, 100000] ms.
    seed : int, numpy.random.Generator or None, default 0
        Same seed, same run.
    crashes : sequence of (node, at, recover_at or None)
        Crash ``node`` at ``at`` ms and bring it back at ``recover_at``
        (at most 100; times in [0, 100000] ms). Its stored data survives.
    link_failures : sequence of (a, b, at, heal_at or None)
        Cut the link between nodes ``a`` and ``b``, both ways, from ``at``
        until ``heal_at`` ms (at most 100). Messages on it are dropped
        (reason ``"partition"``); a coordinator treats the other end as
        unreachable (a sloppy quorum then borrows a fallback).
    partitions : sequence of (groups, at, heal_at or None)
        From ``at`` until ``heal_at`` ms, nodes in different groups cannot
        reach each other; nodes named in no group form one more group (at
        most 100). Clients reach the node their request goes to whatever
        the partition.
    regions : mapping of node or client name to region name, optional
        Where nodes and clients sit (unnamed ones: region ``"local"``). A
        client sends its requests to a live node of its own region, if there
        is one; a home coordinator is the first reachable home replica in the
        region of the node the request reached, if there is one.
    far_latency : float, default 0
        Extra one-way delay, ms in [0, 10000], of every message between two
        regions: replica to replica (added by the network to the leg's
        draw), and client to node.
    client_latency : float, default 0
        One-way delay, ms in [0, 1000], between a client and a node of its
        own region. A request reaches its node after ``client_latency`` (plus
        ``far_latency`` across regions), and the reply takes as long back
        from the coordinator: ``start`` is when the client sent, ``end`` when
        the reply reached it. 0: the client sits next to the node.
    r_scope, w_scope : {"global", "local", "each"}, default "global"
        Which replies count toward ``r`` (reads) and ``w`` (writes).
        ``"global"``: any ``r`` (``w``) replicas. ``"local"``: ``r`` (``w``)
        replicas in the coordinator's region (Cassandra's ``LOCAL_QUORUM``
        with ``r`` a majority of the local replicas, ``LOCAL_ONE`` with 1); a
        local read asks only the local replicas, a write is still sent to
        every replica. ``"each"``: ``r`` (``w``) in every region holding home
        replicas of the key (``EACH_QUORUM``). Too few reachable replicas
        where they are needed: the operation fails at once (Unavailable).
        Other scopes than ``"global"`` need ``propagate=True`` and a
        ``read_repair`` other than ``"sync"``.
    restores : sequence of (node, at, backup_at)
        At ``at`` ms, ``node``'s data is replaced by a backup taken at
        ``backup_at`` ms (``backup_at < at``; at most 100): the replica
        forgets every write it applied in between, as one restored from an
        old copy after a disk failure. Version event ``"restore"``.
    merge : {"lww", "siblings"}, default "lww"
        What a replica keeps of a key's concurrent writes. ``"lww"``: the
        version with the highest timestamp (last-write-wins), as described
        above. ``"siblings"``: every version that no other replaces, as
        Dynamo's and Riak's carts do (:class:`~replnb.leaderless.cluster.SiblingsCluster`,
        :mod:`replnb.leaderless.dotted`): a read returns all the siblings
        (``returned`` lists them) and their causal context; a client's write
        carries the context of what it had read of the key (nothing if it
        has not read it: the write is concurrent with every other), and
        replaces exactly the versions that context covers. Replication, read
        repair and anti-entropy merge sibling sets; ``clock_skew`` moves the
        timestamps but never decides what survives. No acknowledged write
        is lost then, unless a client overwrote it after reading it. Needs
        ``sloppy=False``, ``coordinator="home"``, ``read_repair`` other than
        ``"sync"`` and no ``restores``.

    Returns
    -------
    LeaderlessRun
        ``run.ops`` (with the causal record and verdicts, see
        :class:`LeaderlessRun`), ``run.messages``, ``run.versions`` (with
        ``held``), ``run.events``, ``run.final_state`` (home replicas'
        values; ``None`` elsewhere) and ``run.metrics``. ``run.extras`` holds
        ``home`` (each key's home replicas), ``final`` (each key's surviving
        op_ids), ``clock_offsets`` (each node's clock error, ms), ``live``,
        ``last_fault_end`` and the counters.

    Raises
    ------
    ValueError
        For a parameter outside its range (for example ``r > n``), an
        unknown latency preset or a bad failure; and for a run whose
        expected work (about ``3 n`` messages per operation, plus the
        anti-entropy digests) is above :data:`MAX_WORK`, so that no run
        takes more than a few seconds: the message names the duration, the
        anti-entropy interval or the script length that would fit.

    Examples
    --------
    Every write of ``x`` is coordinated by its first live home replica, which
    stores its copy at once: with ``w=1`` the write is acknowledged without a
    message. That node crashes before its copies arrive, and the next home
    replica accepts a write without having seen the first: the two are
    concurrent, and last-write-wins keeps one.

    >>> from replnb.engine.latency import constant
    >>> from replnb.leaderless import home_replicas
    >>> a, b, c = home_replicas("x", 3, 3)
    >>> both = [(0.0, "write", "x", a, "c1"), (1.0, "write", "x", b, "c2")]
    >>> run = simulate(n=3, r=1, w=1, nodes=3, script=both, latency=constant(2.0),
    ...                failures=[(a, 0.5, None)])
    >>> run.ops[["client", "node", "end", "lost", "lost_cause"]].values.tolist()
    [['c1', 'B', 0.0, True, 'concurrent'], ['c2', 'C', 1.0, False, None]]
    >>> int(run.metrics["lost_writes"]), int(run.metrics["conflicts"])
    (1, 1)

    With ``merge="siblings"`` the replicas keep both: once ``a`` is back and
    anti-entropy has run, a read returns both.

    >>> kept = simulate(n=3, r=1, w=1, nodes=3, script=[*both, (50.0, "read", "x", a, "c3")],
    ...                 latency=constant(2.0), failures=[(a, 0.5, 20.0)], anti_entropy_interval=10.0,
    ...                 merge="siblings")
    >>> kept.extras["final"], kept.ops["returned"].iloc[-1], int(kept.metrics["lost_writes"])
    ({'x': (0, 1)}, (0, 1), 0)

    Without failures one node accepts every write of a key, and none is lost;
    a partial quorum still reads stale.

    >>> strict = simulate(n=3, r=2, w=2, seed=1).metrics
    >>> int(strict["lost_writes"]), int(strict["stale_reads"]), int(strict["conflicts"])
    (0, 0, 0)
    >>> partial = simulate(n=3, r=1, w=1, read_repair=False, seed=1)
    >>> int(partial.metrics["stale_reads"]) > 0
    True
    >>> simulate(n=3, r=4)
    Traceback (most recent call last):
    ...
    ValueError: r must be an integer in 1..3, got 4
    """
    plan = _plan(locals())
    rng = as_rng(seed)
    # The workload is drawn first, so switches that change the message
    # traffic (read repair, anti-entropy, ...) see the same operations.
    ops, key_names = _workload(plan, rng)
    run_rng = np.random.default_rng(int(rng.integers(0, 2**63 - 1)))
    # drawn last, and only with skew, so that perfect clocks leave every other draw as it was
    offsets = (
        dict(
            zip(
                plan.names,
                rng.uniform(-plan.clock_skew, plan.clock_skew, len(plan.names)).tolist(),
                strict=True,
            )
        )
        if plan.clock_skew > 0
        else None
    )
    sim, rec = Simulation(), Recorder()
    net = Network(sim, plan.names, latency=plan.legs["R"], seed=run_rng, recorder=rec, geography=plan.geo)
    cluster = _build(plan, sim, net, rec, key_names, run_rng, offsets)
    _schedule(plan, sim, net, cluster, ops)
    sim.run(until=plan.end)
    cluster.finish(plan.end)
    return _collect(plan, rec, net, cluster, ops, key_names, latency=latency, seed=seed)


def _plan(args: Mapping[str, Any]) -> _Plan:
    """Check what the specs cannot (failures, script, the work budget) and gather the parameters."""
    n = args["n"]
    names = node_names(min(n + 2, MAX_NODES) if args["nodes"] is None else args["nodes"])
    legs = _LATENCY.legs(args["latency"])
    assert legs is not None  # checked by the spec
    script = args["script"]
    plan = _Plan(
        n=n,
        r=args["r"],
        w=args["w"],
        names=names,
        keys=args["keys"],
        clients=args["clients"],
        write_rate=args["write_rate"],
        read_rate=args["read_rate"],
        duration=args["duration"],
        writes_until=args["duration"] if args["writes_until"] is None else args["writes_until"],
        settle=args["timeout"] if args["settle"] is None else args["settle"],
        timeout=args["timeout"],
        read_repair=args["read_repair"],
        anti_entropy_interval=args["anti_entropy_interval"],
        sloppy=args["sloppy"],
        hint_interval=args["hint_interval"],
        propagate=args["propagate"],
        clock_skew=args["clock_skew"],
        coordinator=args["coordinator"],
        legs=legs,
        faults=_crashes(args, names),
        script=None if script is None else _check_script(script, names),
        links=check_links(args["link_failures"], names),
        partitions=check_partitions(args["partitions"], names),
        restores=check_restores(args["restores"], names),
        geo=None,
        client_latency=args["client_latency"],
        r_scope=args["r_scope"],
        w_scope=args["w_scope"],
        merge=args["merge"],
    )
    plan = replace(plan, geo=_geography(args, plan))
    _check_scopes(plan)
    _check_merge(plan)
    if plan.script is not None:
        plan = replace(plan, keys=len({op[2] for op in plan.script}))
    _check_work(plan)
    return plan


def _check_work(plan: _Plan) -> None:
    """Refuse a run whose expected work is above :data:`MAX_WORK`, naming what to lower.

    The first that can bring the work within the budget is named: the
    duration (for a random workload), the anti-entropy interval, the script.
    """
    if plan.work() <= MAX_WORK:
        return
    if plan.script is None:
        longest = _largest(lambda d: plan.work(duration=d) <= MAX_WORK, 0.0, plan.duration)
        if longest >= 1.0:
            unit = "ms at these rates, sizes and intervals"
            Real(0, math.floor(longest), low_open=True, unit=unit).check("duration", plan.duration)
    if plan.anti_entropy_interval is not None and plan.work(interval=MAX_DURATION) <= MAX_WORK:
        # the shortest interval that fits: bisect on the distance below MAX_DURATION
        span = _largest(
            lambda x: plan.work(interval=MAX_DURATION - x) <= MAX_WORK, 0.0, MAX_DURATION - MIN_INTERVAL
        )
        shortest = math.ceil(MAX_DURATION - span)
        unit = "ms at these sizes and duration"
        Real(shortest, MAX_DURATION, unit=unit, none=True).check(
            "anti_entropy_interval", plan.anti_entropy_interval
        )
    count = len(plan.script or ())
    most = max(0, math.floor(count - (plan.work() - MAX_WORK) / (3 * plan.n)))
    raise ValueError(
        f"script must be a sequence of at most {most} operations for n={plan.n} and these intervals, "
        f"got {count} of them"
    )


def _largest(ok: Callable[[float], bool], low: float, high: float) -> float:
    """The largest ``x`` in ``[low, high]`` with ``ok(x)``, if ``ok`` holds up to some point, by bisection."""
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if ok(mid) else (low, mid)
    return low


def _workload(plan: _Plan, rng: np.random.Generator) -> tuple[list[Op], list[str]]:
    """The operations, sorted by time and kind, and the key names."""
    if plan.script is not None:
        ops = list(plan.script)
        key_names = sorted({op[2] for op in ops})
    else:
        key_names = [f"k{i}" for i in range(plan.keys)]
        ops = []
        for kind, rate, until in (
            ("write", plan.write_rate, plan.writes_until),
            ("read", plan.read_rate, plan.duration),
        ):
            ops += _poisson_ops(rng, kind, rate, until, key_names, plan.clients)
    ops.sort(key=lambda op: (op[0], op[1]))
    return ops, key_names


def _poisson_ops(
    rng: np.random.Generator, kind: str, rate: float, until: float, key_names: list[str], clients: int
) -> list[Op]:
    """A Poisson process of ``rate`` per second over ``[0, until)`` ms, to uniform keys and clients."""
    count = int(rng.poisson(rate * until / 1000.0))
    times = np.sort(rng.uniform(0.0, until, count))
    which = rng.integers(0, len(key_names), count)
    who = rng.integers(0, clients, count)
    pick = rng.random(count)
    return [
        (float(t), kind, key_names[k], f"c{c}", float(u))
        for t, k, c, u in zip(times.tolist(), which.tolist(), who.tolist(), pick.tolist(), strict=True)
    ]


def _build(
    plan: _Plan,
    sim: Simulation,
    net: Network,
    rec: Recorder,
    key_names: list[str],
    rng: np.random.Generator,
    offsets: dict[str, float] | None = None,
) -> Cluster:
    """The cluster's nodes, registered with the network (``offsets``: the nodes' clock errors)."""
    kind = SiblingsCluster if plan.merge == "siblings" else Cluster
    return kind(
        sim,
        net,
        rec,
        names=plan.names,
        keys=key_names,
        n=plan.n,
        r=plan.r,
        w=plan.w,
        read_repair=plan.read_repair,
        sloppy=plan.sloppy,
        propagate=plan.propagate,
        timeout=plan.timeout,
        legs=plan.legs,
        rng=rng,
        clock_offsets=offsets,
        coordinator=plan.coordinator,
        geography=plan.geo,
        client_latency=plan.client_latency,
        r_scope=plan.r_scope,
        w_scope=plan.w_scope,
    )


def _schedule(plan: _Plan, sim: Simulation, net: Network, cluster: Cluster, ops: list[Op]) -> None:
    """Schedule the failures, the client operations and the background tasks."""
    schedule_faults(net, plan.faults, plan.links, plan.partitions)
    for i, (node, at, backup_at) in enumerate(plan.restores):
        sim.at(backup_at, cluster.take_backup, node, i)
        sim.at(at, cluster.restore, node, i)
    for t, kind, key, client, u in ops:
        start = cluster.start_write if kind == "write" else cluster.start_read
        sim.at(t, start, key, client, u)
    interval = plan.anti_entropy_interval
    if interval is not None:
        m = len(plan.names)
        for i, node in enumerate(plan.names):
            sim.every(interval, cluster.ae_tick, node, start=interval * (i + 1) / m, until=plan.end)
    if plan.sloppy:
        sim.every(plan.hint_interval, cluster.hint_tick, start=plan.hint_interval, until=plan.end)


def _collect(
    plan: _Plan,
    rec: Recorder,
    net: Network,
    cluster: Cluster,
    ops: list[Op],
    key_names: list[str],
    *,
    latency: Any,
    seed: Seed,
) -> LeaderlessRun:
    """The Run: ranked versions, final state, parameters and the counters."""
    names = plan.names
    live = [x for x in names if net.is_up(x)]
    _rank_versions(rec)
    if plan.merge == "siblings":
        final_writes = _final_siblings(cluster, key_names, live)
        final = {x: {k: s.op_ids for k, s in cluster.store[x].items()} for x in names}  # type: ignore[attr-defined]
    else:
        final_writes = _final_writes(cluster, key_names, live)
        final = {x: {k: cluster.store[x][k][1] for k in key_names if k in cluster.store[x]} for x in names}
    return LeaderlessRun(
        model="leaderless",
        params=_run_params(plan, ops, latency, seed),
        nodes=names,
        recorder=rec,
        final_state=final,
        metrics=_metrics,
        end_time=plan.end,
        extras={
            "home": dict(cluster.home),
            "final": final_writes,
            "clock_offsets": dict(cluster.offsets),
            "live": live,
            "last_fault_end": net.last_fault_end,
            **cluster.counters(),
        },
    )


def _run_params(plan: _Plan, ops: list[Op], latency: Any, seed: Seed) -> dict[str, Any]:
    """``run.params``: the parameters as the run used them."""
    return {
        "n": plan.n,
        "r": plan.r,
        "w": plan.w,
        "nodes": len(plan.names),
        "keys": plan.keys,
        "clients": plan.clients,
        "write_rate": plan.write_rate,
        "read_rate": plan.read_rate,
        "duration": plan.duration,
        "writes_until": plan.writes_until,
        "settle": plan.settle,
        "timeout": plan.timeout,
        "read_repair": plan.read_repair,
        "anti_entropy_interval": plan.anti_entropy_interval,
        "sloppy": plan.sloppy,
        "hint_interval": plan.hint_interval,
        "propagate": plan.propagate,
        "clock_skew": plan.clock_skew,
        "coordinator": plan.coordinator,
        "failures": tuple(plan.faults),
        "crashes": tuple(plan.faults),
        "link_failures": tuple(plan.links),
        "partitions": tuple(plan.partitions),
        "restores": tuple(plan.restores),
        "regions": dict(plan.geo.regions) if plan.geo is not None else None,
        "far_latency": plan.geo.far if plan.geo is not None else 0.0,
        "client_latency": plan.client_latency,
        "r_scope": plan.r_scope,
        "w_scope": plan.w_scope,
        "merge": plan.merge,
        "script": None if plan.script is None else tuple((op[0], op[1], op[2], op[4], op[3]) for op in ops),
        "latency": latency if isinstance(latency, str) else repr(latency),
        "seed": seed if not isinstance(seed, np.random.Generator) else "Generator",
    }


def _crashes(args: Mapping[str, Any], names: list[str]) -> list[Failure]:
    """``crashes`` (or its old name ``failures``; not both), checked."""
    crashes, failures = args["crashes"], args["failures"]
    if crashes and failures:
        raise ValueError(
            f"crashes must be empty when failures (its old name) is given: give one of them, got {crashes!r}"
        )
    if failures:
        return check_crashes(failures, names, "failures")
    return check_crashes(crashes, names, "crashes")


def _geography(args: Mapping[str, Any], plan: _Plan) -> Geography | None:
    """The run's geography over its nodes and clients; ``None`` when it changes nothing."""
    if plan.script is not None:
        clients = sorted({op[3] for op in plan.script})
    else:
        clients = [f"c{i}" for i in range(plan.clients)]
    geo = geography(args["regions"], args["far_latency"], [*plan.names, *clients])
    return geo if geo.regions or geo.far else None


def _check_scopes(plan: _Plan) -> None:
    """Local and per-region quorums need writes that reach every replica and read repair that is not ABD's."""
    for name in ("r_scope", "w_scope"):
        scope = getattr(plan, name)
        if scope == "global":
            continue
        if not plan.propagate:
            raise ValueError(
                f"{name} must be 'global' with propagate=False (non-expanding quorums), got {scope!r}"
            )
        if plan.read_repair == "sync":
            raise ValueError(f"{name} must be 'global' with read_repair='sync' (ABD), got {scope!r}")


def _check_merge(plan: _Plan) -> None:
    """The siblings mode needs home coordinators, strict (not sloppy) quorums, no ABD and no restores.

    A replica must hold every dot it issued, or a version that replaces it,
    for a context to claim only writes its reader saw: hints, a coordinator
    that keeps no copy, and a restore that forgets written versions would
    each break that.
    """
    if plan.merge != "siblings":
        return
    refused = (
        ("sloppy", plan.sloppy, "False", "hinted handoff is not modelled for siblings"),
        ("coordinator", plan.coordinator != "home", "'home'", "the coordinator must keep its own copy"),
        ("read_repair", plan.read_repair == "sync", "True or False", "ABD writes back one version"),
        ("restores", bool(plan.restores), "empty", "a restore would forget dots a replica issued"),
    )
    for name, bad, allowed, why in refused:
        if bad:
            value = getattr(plan, name)
            raise ValueError(f"{name} must be {allowed} with merge='siblings' ({why}), got {value!r}")


def _final_siblings(cluster: Cluster, keys: list[str], live: list[str]) -> dict[str, tuple[int, ...]]:
    """The converged final state in the siblings mode: per key, the merge of its live home replicas' sets.

    What anti-entropy converges them to: every version any of them holds
    that no other replaces. A key that no live home replica holds keeps
    what its crashed home replicas hold on disk.
    """
    out: dict[str, tuple[int, ...]] = {}
    for key in keys:
        held = [cluster.store[h][key] for h in cluster.home[key] if h in live and key in cluster.store[h]]
        if not held:
            held = [cluster.store[h][key] for h in cluster.home[key] if key in cluster.store[h]]
        out[key] = merge_siblings(*held).op_ids if held else ()  # type: ignore[arg-type]
    return out


def _check_script(script: object, names: list[str]) -> list[Op]:
    """``script`` as operations ``(time, kind, key, client, node)``, each field checked by a spec."""
    if (
        isinstance(script, (str, bytes))
        or not isinstance(script, Sequence)
        or not 1 <= len(script) <= MAX_SCRIPT
    ):
        raise ValueError(
            f"script must be a sequence of 1..{MAX_SCRIPT} (time, kind, key, node[, client]), got {script!r}"
        )
    ops: list[Op] = []
    for i, item in enumerate(script):
        name = f"script[{i}]"
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) not in (4, 5):
            raise ValueError(f"{name} must be a (time, kind, key, node[, client]) tuple, got {item!r}")
        time = Real(0, MAX_TIME, unit="ms").check(f"{name} time", item[0])
        kind = Choice(("write", "read")).check(f"{name} kind", item[1])
        for field, value in (("key", item[2]), ("client", item[4] if len(item) == 5 else "c0")):
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} {field} must be a non-empty string, got {value!r}")
        node = Choice(tuple(names)).check(f"{name} node", item[3])
        ops.append((time, kind, item[2], item[4] if len(item) == 5 else "c0", node))
    return ops


def _rank_versions(rec: Recorder) -> None:
    """Replace version stamps by per-key ranks (1 = the oldest, in timestamp order; 0: a read found none)."""
    by_key: dict[str, list[Stamp]] = {}
    for record in rec.ops:
        if record["kind"] == "write":
            by_key.setdefault(record["key"], []).append(record["version"])
    rank = {(k, s): i + 1 for k, stamps in by_key.items() for i, s in enumerate(sorted(stamps))}
    for record in rec.ops:
        stamp = record["version"]
        if record["kind"] == "write":
            record["version"] = rank[(record["key"], stamp)]
        elif record["ok"]:
            record["version"] = 0 if stamp is None else rank[(record["key"], stamp)]
        else:
            record["version"] = math.nan
    for record in rec.versions:
        record["version"] = rank[(record["key"], record["version"])]


def _final_writes(cluster: Cluster, keys: list[str], live: list[str]) -> dict[str, tuple[int, ...]]:
    """The converged final state: per key, the op_ids of the surviving writes, oldest first.

    When the key's live home replicas hold the same write, that write, plus
    any newer version still waiting as a hint on a live node (its handoff
    would win). When they disagree (the replicas never converged), the union
    of what the live home replicas and the live hints hold: each of those
    versions is still in the store. A key that no live node holds keeps what
    its crashed home replicas hold on disk.
    """
    out: dict[str, tuple[int, ...]] = {}
    for key in keys:
        homes = [h for h in cluster.home[key] if h in live]
        held = [cluster.store[h].get(key) for h in homes]
        hinted = {
            max(stamps) for x in live for (_, k), stamps in cluster.hints[x].items() if k == key and stamps
        }
        stamps = {s for s in held if s is not None}
        if len(stamps) == 1 and None not in held:
            (agreed,) = stamps
            stamps |= {s for s in hinted if s > agreed}
        else:
            stamps |= hinted
        if not stamps:
            stamps = {cluster.store[h][key] for h in cluster.home[key] if key in cluster.store[h]}
        out[key] = tuple(op_id for _, op_id in sorted(stamps))
    return out
