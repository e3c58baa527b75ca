"""Chapter 5: one workload, the same faults, every replication scheme side by side.

:func:`make_workload` draws a workload once from a seed: clients, keys,
operation times and written values (every write writes a value of its own,
so a value found in a replica names the write that put it there). Each
client lives next to one node, its *home* (client ``c1`` next to ``A``,
``c2`` next to ``B``, ...). :func:`run_scheme` replays that workload through
one scheme of :data:`SCHEMES` under one set of :class:`Faults` (a node
crash, clock skew, a partition that heals), and :func:`compare` does it for
every scheme and returns a table with one row per scheme.

The five columns are computed here, from the runs, with the functions of
:mod:`replnb.metrics`, so that they mean exactly the same for every scheme:

``lost_writes``
    acknowledged writes missing from the final state (register:
    :func:`~replnb.metrics.lost_writes`; the union merge keeps a set of
    items per key, and a lost write is an acknowledged item missing from it,
    :func:`~replnb.metrics.lost_elements`). The final state of a key is the
    value held by most live replicas (ties: the first in name order).
``stale_reads``
    completed reads that miss a write acknowledged before they began
    (:func:`~replnb.metrics.stale_reads`, versions ranked per key by the true
    time at which writes began; for sets, a read that lacks an acknowledged
    item).
``write_availability``
    acknowledged writes / writes attempted.
``write_latency_p99_ms``
    the 99th percentile of the acknowledged writes' latency
    (:func:`~replnb.metrics.percentile`), from the moment the operation
    reached the system to its acknowledgement.
``convergence_time_ms``
    :func:`~replnb.metrics.convergence_time` from the later of the last
    acknowledged write and the end of the last fault; ``inf`` when the live
    replicas never agree.

The models do not all accept every fault or an explicit workload;
:func:`coverage` says, for each scheme, what was applied as asked, what was
approximated and how, and what could not be applied. The notebook shows it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from . import leaderless, metrics, multi_leader, single_leader
from .latency import uniform
from .network import node_names
from .records import Run
from .rng import Seed, as_rng

__all__ = [
    "COLUMNS",
    "FAMILIES",
    "MIXES",
    "SCHEMES",
    "Faults",
    "Op",
    "Workload",
    "annotate",
    "compare",
    "coverage",
    "effective_faults",
    "make_workload",
    "rank_schemes",
    "run_scheme",
    "scheme_metrics",
    "scripted_race",
    "sweep",
    "verdicts",
    "with_faults",
]

#: The six schemes compared, in the order of the table.
SCHEMES = (
    "single-leader async",
    "single-leader sync",
    "multi-leader LWW",
    "multi-leader union",
    "leaderless strict",
    "leaderless partial",
)
#: The family of each scheme (for colours and for the decision guide).
FAMILIES = {
    "single-leader async": "single-leader",
    "single-leader sync": "single-leader",
    "multi-leader LWW": "multi-leader",
    "multi-leader union": "multi-leader",
    "leaderless strict": "leaderless",
    "leaderless partial": "leaderless",
}
#: Workload mixes: the probability that an operation is a write.
MIXES = {"read-heavy": 0.1, "balanced": 0.5, "write-heavy": 0.9}
#: The columns of :func:`compare`, and whether a larger value is better.
COLUMNS = {
    "lost_writes": False,
    "stale_reads": False,
    "write_availability": True,
    "write_latency_p99_ms": False,
    "convergence_time_ms": False,
}

#: One-way delay between two nodes: uniform on [5, 15] ms, the same for every scheme.
LINK_LOW_MS, LINK_HIGH_MS = 5.0, 15.0
#: How long a client waits for a node that does not answer, in ms.
TIMEOUT_MS = 50.0
#: Time a single leader's followers need to notice that the leader is gone, in ms.
DETECTION_MS = 60.0
#: Leaderless anti-entropy period, in ms (so that replicas converge without reads).
ANTI_ENTROPY_MS = 100.0
#: Extra simulated time after the last operation, in ms.
SETTLE_MS = 600.0


@dataclass(frozen=True)
class Op:
    """One client operation of a workload (``value`` is ``None`` for reads)."""

    time: float
    client: str
    kind: str
    key: str
    value: int | None = None


@dataclass(frozen=True)
class Workload:
    """A workload drawn once and replayed through every scheme.

    Examples
    --------
    >>> wl = make_workload("read-heavy", seed=1)
    >>> wl.nodes, wl.home["c2"], wl.to_frame().columns.tolist()
    (('A', 'B', 'C'), 'B', ['time', 'client', 'home', 'kind', 'key', 'value'])
    """

    mix: str
    ops: tuple[Op, ...]
    clients: tuple[str, ...]
    keys: tuple[str, ...]
    nodes: tuple[str, ...]
    duration: float
    homes: tuple[str, ...] = ()

    @property
    def home(self) -> dict[str, str]:
        """The node each client lives next to."""
        return dict(zip(self.clients, self.homes, strict=True))

    @property
    def writes(self) -> int:
        """The number of writes."""
        return sum(op.kind == "write" for op in self.ops)

    @property
    def reads(self) -> int:
        """The number of reads."""
        return sum(op.kind == "read" for op in self.ops)

    def to_frame(self) -> pd.DataFrame:
        """The operations as a DataFrame (one row per operation)."""
        home = self.home
        rows = [(o.time, o.client, home[o.client], o.kind, o.key, o.value) for o in self.ops]
        return pd.DataFrame(rows, columns=["time", "client", "home", "kind", "key", "value"])


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    return int(value)


def _check_float(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = math.isfinite(v) and (v > low if low_open else v >= low) and v <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be a number in {bracket}{low:g}, {high:g}], got {value!r}")
    return float(value)


def make_workload(
    mix: str = "balanced",
    *,
    clients: int = 3,
    keys: int = 4,
    rate: float = 60.0,
    duration: float = 1000.0,
    nodes: int = 3,
    key_skew: float = 1.0,
    seed: Seed = 0,
) -> Workload:
    """Draw a workload: each client issues operations as a Poisson process.

    All clients read and write the same keys (like users editing shared
    records), so two clients may write one key at about the same time.

    Parameters
    ----------
    mix : {"read-heavy", "balanced", "write-heavy"}
        The share of writes: 10 %, 50 % or 90 % (:data:`MIXES`).
    clients : int
        Clients ``"c1"``, ``"c2"``, ..., 1..8; client ``i`` lives next to node ``i mod nodes``.
    keys : int
        Keys ``"x"``, ``"y"``, ``"z"``, ..., 1..8.
    rate : float
        Operations per second per client, in (0, 200].
    duration : float
        Operations start in ``[0, duration)`` ms, (0, 10000].
    nodes : int
        Cluster size, 3..5 (every scheme runs on this many nodes).
    key_skew : float
        Popularity of the keys, in [0, 3]: key ``i`` (from 1) is chosen with
        weight ``1 / i**key_skew`` (0: uniform; the default 1 makes ``x`` a
        hot key that clients often write at about the same time, and the
        last keys cold ones written once or twice).
    seed : int, Generator or None
        The one source of randomness.

    Returns
    -------
    Workload
        Writes carry the values 1, 2, 3, ... in time order.

    Examples
    --------
    >>> wl = make_workload("write-heavy", seed=3)
    >>> wl.writes > wl.reads, make_workload("write-heavy", seed=3) == wl
    (True, True)
    >>> [op.value for op in wl.ops if op.kind == "write"][:4]
    [1, 2, 3, 4]
    >>> make_workload("mostly-reads")
    Traceback (most recent call last):
    ...
    ValueError: mix must be one of ['read-heavy', 'balanced', 'write-heavy'], got 'mostly-reads'
    """
    if mix not in MIXES:
        raise ValueError(f"mix must be one of {list(MIXES)}, got {mix!r}")
    n_clients = _check_int("clients", clients, 1, 8)
    n_keys = _check_int("keys", keys, 1, 8)
    rate = _check_float("rate", rate, 0.0, 200.0, low_open=True)
    duration = _check_float("duration", duration, 0.0, 10_000.0, low_open=True)
    names = tuple(node_names(_check_int("nodes", nodes, 3, 5)))
    rng = as_rng(seed)
    client_names = tuple(f"c{i + 1}" for i in range(n_clients))
    key_names = tuple(single_leader.KEYS[:n_keys])
    skew = _check_float("key_skew", key_skew, 0.0, 3.0)
    cumulative = np.cumsum(1.0 / np.arange(1, n_keys + 1) ** skew)
    drawn: list[tuple[float, str, bool, str]] = []
    for client in client_names:
        t = float(rng.exponential(1000.0 / rate))
        while t < duration:
            is_write = bool(rng.random() < MIXES[mix])
            key = key_names[int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))]
            drawn.append((round(t, 3), client, is_write, key))
            t += float(rng.exponential(1000.0 / rate))
    drawn.sort(key=lambda d: (d[0], d[1]))
    ops, value = [], 0
    for t, client, is_write, key in drawn:
        if is_write:
            value += 1
        ops.append(Op(t, client, "write" if is_write else "read", key, value if is_write else None))
    homes = tuple(names[i % len(names)] for i in range(n_clients))
    return Workload(mix, tuple(ops), client_names, key_names, names, duration, homes)


@dataclass(frozen=True)
class Faults:
    """The faults every scheme faces (times in ms of true time).

    ``crash_node`` crashes at ``crash_at`` and comes back at ``recover_at``
    (``None``: never, or no crash when ``crash_node`` is ``None``).
    ``clock_skew`` spreads the node clocks evenly over that many ms (the
    first node is ahead by half of it, the last behind by half).
    ``partition`` names the nodes cut off from the others from
    ``partition_at`` until ``heal_at`` (empty: no partition).

    Examples
    --------
    >>> f = Faults()
    >>> f.crash_node, f.clock_skew, f.partition, f.last_fault_end
    ('A', 50.0, ('C',), 750.0)
    >>> Faults(clock_skew=40).clock_offsets(("A", "B", "C"))
    {'A': 20.0, 'B': 0.0, 'C': -20.0}
    >>> Faults(crash_at=500, recover_at=400)
    Traceback (most recent call last):
    ...
    ValueError: recover_at must be None or a time > crash_at=500 ms, got 400
    """

    crash_node: str | None = "A"
    crash_at: float = 200.0
    recover_at: float | None = 450.0
    clock_skew: float = 50.0
    partition: tuple[str, ...] = ("C",)
    partition_at: float = 550.0
    heal_at: float = 750.0

    def __post_init__(self) -> None:
        if self.crash_node is not None and self.crash_node not in node_names(5):
            raise ValueError(f"crash_node must be None or a node name 'A'..'E', got {self.crash_node!r}")
        _check_float("crash_at", self.crash_at, 0.0, 60_000.0)
        if self.recover_at is not None and not (
            isinstance(self.recover_at, (int, float)) and self.recover_at > self.crash_at
        ):
            raise ValueError(
                f"recover_at must be None or a time > crash_at={self.crash_at:g} ms, got {self.recover_at!r}"
            )
        _check_float("clock_skew", self.clock_skew, 0.0, 1000.0)
        part = tuple(self.partition)
        if len(set(part)) != len(part) or any(n not in node_names(5) for n in part):
            raise ValueError(f"partition must be distinct node names 'A'..'E', got {self.partition!r}")
        _check_float("partition_at", self.partition_at, 0.0, 60_000.0)
        _check_float("heal_at", self.heal_at, 0.0, 60_000.0)
        if part and not self.heal_at > self.partition_at:
            raise ValueError(f"heal_at must be > partition_at={self.partition_at:g} ms, got {self.heal_at!r}")
        object.__setattr__(self, "partition", part)

    @property
    def crashes(self) -> bool:
        """Whether a node crashes."""
        return self.crash_node is not None

    @property
    def last_fault_end(self) -> float:
        """When the last fault ends (recovery or healing), in ms; 0 without faults."""
        ends = [0.0]
        if self.crash_node is not None and self.recover_at is not None:
            ends.append(float(self.recover_at))
        if self.partition:
            ends.append(float(self.heal_at))
        return max(ends)

    def clock_offsets(self, nodes: Sequence[str]) -> dict[str, float]:
        """Clock offsets (ms) spread evenly over ``clock_skew``: first ahead, last behind."""
        if len(nodes) == 1:
            return {nodes[0]: 0.0}
        step = self.clock_skew / (len(nodes) - 1)
        return {n: self.clock_skew / 2 - i * step + 0.0 for i, n in enumerate(nodes)}

    def down(self, node: str, time: float) -> bool:
        """Whether ``node`` is crashed at ``time``."""
        if node != self.crash_node or time < self.crash_at:
            return False
        return self.recover_at is None or time < self.recover_at

    def check(self, nodes: Sequence[str]) -> None:
        """Raise ValueError if a fault names a node outside ``nodes`` or cuts off every node."""
        if self.crash_node is not None and self.crash_node not in nodes:
            raise ValueError(f"crash_node must be one of {list(nodes)} or None, got {self.crash_node!r}")
        bad = [n for n in self.partition if n not in nodes]
        if bad:
            raise ValueError(f"partition nodes must be among {list(nodes)}, got {bad}")
        if len(self.partition) >= len(nodes):
            raise ValueError(
                f"partition must leave at least one node on the other side, got {self.partition}"
            )


# -- replaying the workload through each scheme ----------------------------------------------


def _route(workload: Workload, faults: Faults, client: str, time: float) -> str:
    """The node a client talks to: its home, or the next live node while the home is down."""
    nodes = workload.nodes
    start = nodes.index(workload.home[client])
    for i in range(len(nodes)):
        node = nodes[(start + i) % len(nodes)]
        if not faults.down(node, time):
            return node
    return workload.home[client]


def _single_leader(mode: str, workload: Workload, faults: Faults, seed: Seed) -> Run:
    script = []
    for op in workload.ops:
        spec: dict[str, Any] = {"time": op.time, "client": op.client, "kind": op.kind, "key": op.key}
        if op.kind == "write":
            spec["value"] = op.value  # routed to the leader by the model
        else:
            spec["node"] = _route(workload, faults, op.client, op.time)
        script.append(spec)
    leader_crash = faults.crash_node == workload.nodes[0]
    return single_leader.simulate(
        followers=len(workload.nodes) - 1,
        mode=mode,
        replication_delay=(LINK_LOW_MS + LINK_HIGH_MS) / 2,
        delay_distribution="uniform",
        failover_at=faults.crash_at if leader_crash else None,
        old_leader_returns_at=faults.recover_at if leader_crash else None,
        fencing=True,
        duration=workload.duration,
        client_latency=0.0,
        client_timeout=TIMEOUT_MS,
        detection_timeout=DETECTION_MS,
        ops=script,
        seed=seed,
    )


def _multi_leader(resolver: str, workload: Workload, faults: Faults, seed: Seed) -> Run:
    cart = resolver == "union"
    script = []
    for op in workload.ops:
        spec: dict[str, Any] = {
            "time": op.time,
            "client": op.client,
            "node": _route(workload, faults, op.client, op.time),
            "key": op.key,
        }
        if op.kind == "read":
            spec["op"] = "read"
        elif cart:
            spec.update(op="add", value=f"i{op.value}")
        else:
            spec.update(op="set", value=op.value)
        script.append(spec)
    crashes = []
    if faults.crash_node is not None:
        crashes.append((faults.crash_node, faults.crash_at, faults.recover_at))
    return multi_leader.simulate(
        leaders=len(workload.nodes),
        resolver=resolver,
        topology="all-to-all",
        workload="cart" if cart else "register",
        clock_offsets=faults.clock_offsets(workload.nodes),
        ops=script,
        latency=(LINK_LOW_MS + LINK_HIGH_MS) / 2,
        jitter=(LINK_HIGH_MS - LINK_LOW_MS) / 2,
        crashes=crashes or None,
        partitions=[([list(faults.partition)], faults.partition_at, faults.heal_at)]
        if faults.partition
        else None,
        seed=seed,
    )


def _leaderless(strict: bool, workload: Workload, faults: Faults, seed: Seed) -> Run:
    n = len(workload.nodes)
    quorum = n // 2 + 1
    failures: list[tuple[str, float, float | None]] = []
    if faults.crash_node is not None:
        failures.append((faults.crash_node, faults.crash_at, faults.recover_at))
    for node in faults.partition:  # approximation: the cut-off nodes stop serving (see coverage())
        failures.append((node, faults.partition_at, faults.heal_at))
    script = [(op.time, op.kind, op.key, _route(workload, faults, op.client, op.time)) for op in workload.ops]
    return leaderless.simulate(
        n=n,
        r=quorum if strict else 1,
        w=quorum if strict else 1,
        nodes=n,
        duration=workload.duration,
        settle=SETTLE_MS,
        timeout=TIMEOUT_MS,
        read_repair=True,
        anti_entropy_interval=ANTI_ENTROPY_MS,
        failures=_merge_failures(failures),
        latency=uniform(LINK_LOW_MS, LINK_HIGH_MS),
        script=script,
        seed=seed,
    )


def _merge_failures(
    failures: list[tuple[str, float, float | None]],
) -> list[tuple[str, float, float | None]]:
    """Merge overlapping down-intervals of the same node (the network cannot crash a node twice)."""
    out: list[tuple[str, float, float | None]] = []
    for node in sorted({f[0] for f in failures}):
        spans = sorted((a, math.inf if b is None else b) for n, a, b in failures if n == node)
        merged: list[list[float]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        out += [(node, a, None if math.isinf(b) else b) for a, b in merged]
    return out


def effective_faults(scheme: str, faults: Faults, nodes: Sequence[str] = ("A", "B", "C")) -> Faults:
    """The part of ``faults`` that ``scheme``'s model can apply (see :func:`coverage`).

    Single-leader: only a crash of the leader (the first node); its clocks
    are never read and it has no partitions. Leaderless: no clock skew (its
    coordinators use perfect clocks). Multi-leader: everything.

    Examples
    --------
    >>> effective_faults("single-leader sync", Faults()).partition
    ()
    >>> effective_faults("leaderless strict", Faults()).clock_skew
    0.0
    >>> effective_faults("multi-leader LWW", Faults()) == Faults()
    True
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {list(SCHEMES)}, got {scheme!r}")
    family = FAMILIES[scheme]
    if family == "single-leader":
        crash = faults.crash_node if faults.crash_node == nodes[0] else None
        return replace(faults, crash_node=crash, clock_skew=0.0, partition=())
    if family == "leaderless":
        return replace(faults, clock_skew=0.0)
    return faults


def run_scheme(scheme: str, workload: Workload, faults: Faults | None = None, *, seed: Seed = 0) -> Run:
    """Replay ``workload`` through one scheme under ``faults``; returns the model's Run.

    Only :func:`effective_faults` reach the model.

    Examples
    --------
    >>> wl = make_workload(seed=2)
    >>> run = run_scheme("multi-leader LWW", wl, Faults(crash_node=None, partition=()))
    >>> run.model, len(run.ops) == len(wl.ops)
    ('multi-leader', True)
    >>> run_scheme("two-phase commit", wl)
    Traceback (most recent call last):
    ...
    ValueError: scheme must be one of ['single-leader async', 'single-leader sync', 'multi-leader LWW', \
'multi-leader union', 'leaderless strict', 'leaderless partial'], got 'two-phase commit'
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {list(SCHEMES)}, got {scheme!r}")
    faults = Faults() if faults is None else faults
    faults.check(workload.nodes)
    faults = effective_faults(scheme, faults, workload.nodes)
    if scheme.startswith("single-leader"):
        return _single_leader(scheme.split()[-1], workload, faults, seed)
    if scheme.startswith("multi-leader"):
        return _multi_leader("lww" if scheme.endswith("LWW") else "union", workload, faults, seed)
    return _leaderless(scheme.endswith("strict"), workload, faults, seed)


# -- metrics ----------------------------------------------------------------------------------


def _majority(values: Sequence[Any]) -> Any:
    """The value most replicas hold (ties: the first replica's)."""
    counts: dict[str, int] = {}
    first: dict[str, Any] = {}
    for v in values:
        counts[repr(v)] = counts.get(repr(v), 0) + 1
        first.setdefault(repr(v), v)
    best = max(counts.values())
    return next(first[k] for k in counts if counts[k] == best)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _final_values(run: Run, live: Sequence[str]) -> dict[str, Any]:
    state = run.final_state
    rows = state.loc[list(live)] if len(live) else state.iloc[:0]
    return {str(key): _majority(list(rows[key])) for key in state.columns}


def _live(run: Run, faults: Faults) -> list[str]:
    end = run.end_time
    return [n for n in run.nodes if not faults.down(n, end)]


def verdicts(run: Run, faults: Faults | None = None) -> pd.DataFrame:
    """Per operation of ``run.ops``: was it a lost write, was it a stale read?

    Returns a DataFrame with the index of ``run.ops`` and boolean columns
    ``lost`` (acknowledged writes only) and ``stale`` (completed reads only);
    see the module docstring for the definitions.

    Examples
    --------
    >>> race, skewed = scripted_race()
    >>> v = verdicts(run_scheme("multi-leader LWW", race, skewed), skewed)
    >>> v["lost"].tolist(), v["stale"].tolist()
    ([False, True, False, False], [False, False, True, True])
    """
    faults = Faults() if faults is None else faults
    records = run.recorder.ops  # the flat records behind run.ops (row i is record i)
    n = len(records)
    kind = [str(r["kind"]) for r in records]
    key = [str(r["key"]) for r in records]
    value = [r.get("value") for r in records]
    start = [float(r["start"]) for r in records]
    end = [float(r["end"]) for r in records]
    ok = [bool(r["ok"]) if r["ok"] == r["ok"] else False for r in records]  # NaN -> False
    op_id = [int(r["op_id"]) for r in records]
    writes = [i for i in range(n) if kind[i] == "write"]
    acked = [i for i in writes if ok[i]]
    done = [i for i in range(n) if kind[i] == "read" and ok[i]]
    final = _final_values(run, _live(run, faults))
    lost = [False] * n
    stale = [False] * n
    if any(r.get("op") == "add" for r in records):  # a set per key: the union merge
        acked_by_key: dict[str, list[tuple[float, Hashable]]] = {}
        for i in acked:
            acked_by_key.setdefault(key[i], []).append((end[i], value[i]))
        for i in acked:
            lost[i] = bool(metrics.lost_elements([value[i]], final.get(key[i]) or ()))
        for i in done:
            before = [item for t, item in acked_by_key.get(key[i], ()) if t < start[i]]
            returned = value[i]
            got: tuple[Hashable, ...] = () if returned is None or _missing(returned) else tuple(returned)
            stale[i] = bool(metrics.lost_elements(before, got))
    else:
        # a register per key: the true-time order in which writes began ranks the versions of each key
        rank: dict[int, int] = {}
        counts: dict[str, int] = {}
        for i in sorted(writes, key=lambda i: (start[i], op_id[i])):
            counts[key[i]] = counts.get(key[i], 0) + 1
            rank[i] = counts[key[i]]
        value_op = {(key[i], value[i]): op_id[i] for i in writes}
        value_rank = {(key[i], value[i]): rank[i] for i in writes}
        survivors: dict[Hashable, Hashable | None] = {
            k: None if _missing(v) else value_op.get((k, v)) for k, v in final.items()
        }
        for i in writes:
            survivors.setdefault(key[i], None)
        version = [
            float(rank[i])
            if kind[i] == "write"
            else float(value_rank.get((key[i], value[i]), 0) if not _missing(value[i]) else 0)
            for i in range(n)
        ]
        frame = pd.DataFrame(
            {
                "op_id": op_id,
                "client": [r.get("client") for r in records],
                "kind": kind,
                "key": key,
                "start": start,
                "end": end,
                "ok": ok,
                "version": version,
            }
        )
        for pos, flag in metrics.lost_writes(frame, survivors).items():
            lost[int(pos)] = bool(flag)  # type: ignore[call-overload]
        for pos, flag in metrics.stale_reads(frame).items():
            stale[int(pos)] = bool(flag)  # type: ignore[call-overload]
    return pd.DataFrame({"lost": lost, "stale": stale}, index=pd.RangeIndex(n))


def annotate(run: Run, faults: Faults | None = None) -> Run:
    """Write the :func:`verdicts` into ``run.ops`` (columns ``lost`` and ``stale``); returns ``run``.

    :func:`replnb.plots.plot_spacetime` then marks lost writes and stale
    reads by this module's definitions, the same for every scheme.

    Examples
    --------
    >>> race, skewed = scripted_race()
    >>> int(annotate(run_scheme("multi-leader LWW", race, skewed), skewed).ops["lost"].sum())
    1
    """
    v = verdicts(run, faults)
    run.ops["lost"] = v["lost"]
    run.ops["stale"] = v["stale"]
    return run


def scheme_metrics(run: Run, faults: Faults | None = None) -> dict[str, float]:
    """The five comparison figures of one run (see the module docstring).

    Examples
    --------
    >>> wl = make_workload("balanced", seed=4)
    >>> calm = Faults(crash_node=None, clock_skew=0, partition=())
    >>> figures = scheme_metrics(run_scheme("single-leader sync", wl, calm), calm)
    >>> figures["stale_reads"], figures["write_availability"]   # sync replication, no faults
    (0, 1.0)
    """
    faults = Faults() if faults is None else faults
    writes = [r for r in run.recorder.ops if r["kind"] == "write"]
    acked = [r for r in writes if r["ok"] == r["ok"] and bool(r["ok"])]
    v = verdicts(run, faults)
    latency = [float(r["end"]) - float(r["start"]) for r in acked]
    since = max(max((float(r["end"]) for r in acked), default=0.0), faults.last_fault_end)
    live = _live(run, faults)
    return {
        "lost_writes": int(v["lost"].sum()),
        "stale_reads": int(v["stale"].sum()),
        "write_availability": float(len(acked) / len(writes)) if len(writes) else math.nan,
        "write_latency_p99_ms": metrics.percentile(latency, 99),
        "convergence_time_ms": metrics.convergence_time(run.versions, run.final_state, live, since),
    }


def scripted_race() -> tuple[Workload, Faults]:
    """The chapter's small scripted scenario: two writers race, a third client reads.

    Client ``c1`` (next to ``A``) writes ``x=1`` at 0 ms; client ``c2``
    (next to ``B``) writes ``x=2`` at 10 ms; client ``c3`` (next to ``C``)
    reads ``x`` at 12 ms and at 60 ms. The faults: no crash, no partition,
    50 ms of clock skew (``A``'s clock ahead by 25 ms, ``C``'s behind by 25).

    Examples
    --------
    >>> race, faults = scripted_race()
    >>> [(op.time, op.client, op.kind) for op in race.ops]
    [(0.0, 'c1', 'write'), (10.0, 'c2', 'write'), (12.0, 'c3', 'read'), (60.0, 'c3', 'read')]
    """
    ops = (
        Op(0.0, "c1", "write", "x", 1),
        Op(10.0, "c2", "write", "x", 2),
        Op(12.0, "c3", "read", "x"),
        Op(60.0, "c3", "read", "x"),
    )
    race = Workload("balanced", ops, ("c1", "c2", "c3"), ("x",), ("A", "B", "C"), 100.0, ("A", "B", "C"))
    return race, Faults(crash_node=None, clock_skew=50.0, partition=())


def compare(
    mix: str = "balanced",
    *,
    faults: Faults | None = None,
    workload: Workload | None = None,
    schemes: Sequence[str] = SCHEMES,
    seed: Seed = 0,
    runs: dict[str, Run] | None = None,
) -> pd.DataFrame:
    """Run one workload through every scheme under the same faults; one row per scheme.

    Parameters
    ----------
    mix : {"read-heavy", "balanced", "write-heavy"}
        The workload mix, used when ``workload`` is not given.
    faults : Faults, optional
        Default: :class:`Faults()` (crash of A from 200 to 450 ms, 50 ms of
        clock skew, C cut off from 550 to 750 ms).
    workload : Workload, optional
        Default: ``make_workload(mix, seed=seed)``.
    schemes : sequence of str
        A subset of :data:`SCHEMES`.
    seed : int
        Seeds the workload and every run (the same seed for each scheme).
    runs : dict, optional
        If given, receives the Run of each scheme (for plots of single runs).

    Returns
    -------
    pandas.DataFrame
        Index ``scheme``; columns :data:`COLUMNS`.

    Examples
    --------
    >>> table = compare("write-heavy", seed=1)
    >>> table.columns.tolist()
    ['lost_writes', 'stale_reads', 'write_availability', 'write_latency_p99_ms', 'convergence_time_ms']
    >>> int(table.loc["multi-leader union", "lost_writes"])
    0
    """
    if isinstance(seed, np.random.Generator):
        raise ValueError("seed must be an int (every scheme replays the same seed), got a Generator")
    workload = make_workload(mix, seed=seed) if workload is None else workload
    faults = Faults() if faults is None else faults
    unknown = [s for s in schemes if s not in SCHEMES]
    if unknown or not schemes:
        raise ValueError(f"schemes must be a non-empty subset of {list(SCHEMES)}, got {list(schemes)}")
    for scheme in schemes:  # validate the faults before running anything
        effective_faults(scheme, faults, workload.nodes)
    faults.check(workload.nodes)
    rows = {}
    for scheme in schemes:
        if runs is None and seed is not None:  # deterministic: figures of identical runs are remembered
            applied = effective_faults(scheme, faults, workload.nodes)
            rows[scheme] = dict(_cached_metrics(scheme, workload, applied, int(seed)))
        else:
            run = run_scheme(scheme, workload, faults, seed=seed)
            if runs is not None:
                runs[scheme] = run
            rows[scheme] = scheme_metrics(run, effective_faults(scheme, faults, workload.nodes))
    table = pd.DataFrame.from_dict(rows, orient="index")[list(COLUMNS)]
    table.index.name = "scheme"
    return table


@functools.lru_cache(maxsize=512)
def _cached_metrics(
    scheme: str, workload: Workload, faults: Faults, seed: int
) -> tuple[tuple[str, float], ...]:
    figures = scheme_metrics(run_scheme(scheme, workload, faults, seed=seed), faults)
    return tuple(figures.items())


def sweep(
    mixes: Sequence[str] = tuple(MIXES),
    seeds: Sequence[int] = range(5),
    *,
    faults: Faults | None = None,
    schemes: Sequence[str] = SCHEMES,
) -> pd.DataFrame:
    """:func:`compare` for every mix and seed: one row per (mix, seed, scheme).

    Examples
    --------
    >>> df = sweep(["read-heavy"], seeds=[0, 1], schemes=["multi-leader union"])
    >>> df[["mix", "seed", "scheme"]].values.tolist()
    [['read-heavy', 0, 'multi-leader union'], ['read-heavy', 1, 'multi-leader union']]
    >>> df["lost_writes"].tolist()
    [0, 0]
    """
    bad = [m for m in mixes if m not in MIXES]
    if bad or not len(mixes):
        raise ValueError(f"mixes must be a non-empty list of {list(MIXES)}, got {list(mixes)}")
    if not len(seeds) or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of ints, got {list(seeds)}")
    frames = []
    for mix in mixes:
        for seed in seeds:
            table = compare(mix, faults=faults, seed=int(seed), schemes=schemes).reset_index()
            table.insert(0, "seed", int(seed))
            table.insert(0, "mix", mix)
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


def rank_schemes(table: pd.DataFrame, priority: str | None = None) -> pd.DataFrame:
    """Rank the schemes of a :func:`compare` table, best first.

    Each column is ranked (1 = best, ties share the best rank, NaN last);
    ``mean_rank`` averages the five ranks. With ``priority`` (a column
    name) the schemes are sorted by that column's rank first and by
    ``mean_rank`` next; without it by ``mean_rank`` alone.

    Examples
    --------
    >>> t = pd.DataFrame({"lost_writes": [3, 0], "stale_reads": [0, 5], "write_availability": [1.0, 0.9],
    ...                   "write_latency_p99_ms": [1.0, 20.0], "convergence_time_ms": [10.0, 5.0]},
    ...                  index=["fast", "safe"])
    >>> rank_schemes(t).index.tolist(), rank_schemes(t, "lost_writes").index.tolist()
    (['fast', 'safe'], ['safe', 'fast'])
    """
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"table must have the columns {list(COLUMNS)}; missing {missing}")
    if priority is not None and priority not in COLUMNS:
        raise ValueError(f"priority must be None or one of {list(COLUMNS)}, got {priority!r}")
    ranks = pd.DataFrame(
        {
            c: table[c].astype(float).rank(ascending=not better, method="min", na_option="bottom")
            for c, better in COLUMNS.items()
        },
        index=table.index,
    )
    ranks["mean_rank"] = ranks.mean(axis=1)
    by = [priority, "mean_rank"] if priority else ["mean_rank"]
    ranks = ranks.sort_values(by, kind="stable")
    ranks.insert(0, "place", np.arange(1, len(ranks) + 1))
    return ranks


def coverage(faults: Faults | None = None) -> pd.DataFrame:
    """How each scheme's model takes the shared workload and each fault.

    One row per scheme, columns ``workload``, ``crash``, ``clock_skew`` and
    ``partition``; each cell starts with ``"as asked"``, ``"approximated"``,
    ``"no effect"`` (the scheme does not use clocks) or ``"not applied"``,
    followed by how.

    Examples
    --------
    >>> coverage().loc["leaderless strict", "partition"].split(":")[0]
    'approximated'
    """
    f = Faults() if faults is None else faults
    rows = {}
    for scheme in SCHEMES:
        family = FAMILIES[scheme]
        if family == "single-leader":
            row = {
                "workload": "as asked: the scripted operations (writes to the leader, reads to home nodes)",
                "crash": (
                    "as asked: the leader A crashes, a follower takes over, A returns fenced"
                    if f.crash_node in (None, "A")
                    else f"not applied: the model can crash only the leader A, not {f.crash_node}"
                ),
                "clock_skew": "no effect: the leader's log orders the writes, clocks are never read",
                "partition": "not applied: the model has no partitions",
            }
        elif family == "multi-leader":
            row = {
                "workload": "as asked: the scripted operations, each at the client's home leader",
                "crash": "as asked: the node crashes; on recovery it catches up by anti-entropy",
                "clock_skew": "as asked: the leaders' clocks are offset (last-write-wins reads them)",
                "partition": "as asked: the cut-off leaders cannot reach the others; on healing all catch up",
            }
            if scheme.endswith("union"):
                row["workload"] = "as asked, as a set: each write adds its own item to the key's set"
                row["clock_skew"] = "as asked, but the union merge never compares timestamps"
        else:
            row = {
                "workload": "as asked: the scripted operations, coordinated by the client's home node",
                "crash": "as asked: the node crashes and keeps its data; anti-entropy repairs it",
                "clock_skew": "not applied: the model's coordinators use perfect clocks",
                "partition": (
                    "approximated: the model has no partitions, so the cut-off node is crashed for the "
                    "same window; its clients' operations fail even where a partial quorum would serve them"
                ),
            }
        if not f.crashes:
            row["crash"] = "none"
        if not f.partition:
            row["partition"] = "none"
        if f.clock_skew == 0:
            row["clock_skew"] = "none"
        rows[scheme] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "scheme"
    return table


def with_faults(faults: Faults, **changes: Any) -> Faults:
    """A copy of ``faults`` with some fields changed (validated again).

    Examples
    --------
    >>> with_faults(Faults(), clock_skew=0.0).clock_skew
    0.0
    """
    return replace(faults, **changes)
