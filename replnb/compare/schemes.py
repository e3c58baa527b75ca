"""The schemes of chapter 5 and the faults each one faces."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from .. import leaderless, multi_leader, single_leader
from ..engine.latency import uniform
from ..engine.network import node_names
from ..engine.rng import Seed
from ..params import Real, Spec, check
from ..records import Run
from .workload import (
    ANTI_ENTROPY_MS,
    DETECTION_MS,
    FAMILIES,
    LINK_HIGH_MS,
    LINK_LOW_MS,
    SCHEMES,
    SETTLE_MS,
    TIMEOUT_MS,
    Workload,
)

__all__ = ["MAX_OPS", "Faults", "check_workload", "coverage", "effective_faults", "run_scheme", "with_faults"]

#: The most operations a workload replayed through the schemes may hold: about 1000
#: operations take some 4 s through all six schemes (a few hundred is the course's size).
MAX_OPS = 1000


def check_workload(workload: Any) -> Workload:
    """``workload`` itself, if it is a :class:`Workload` of at most :data:`MAX_OPS` operations.

    Examples
    --------
    >>> check_workload("x")
    Traceback (most recent call last):
    ...
    ValueError: workload must be a Workload of at most 1000 operations, got 'x'
    """
    if not isinstance(workload, Workload) or len(workload.ops) > MAX_OPS:
        is_one = isinstance(workload, Workload)
        shown = f"a workload of {len(workload.ops)} operations" if is_one else repr(workload)
        raise ValueError(f"workload must be a Workload of at most {MAX_OPS} operations, got {shown}")
    return workload


#: The numeric fields of :class:`Faults`, checked in this order (times in ms of true time).
_FAULT_SPECS: dict[str, Spec] = {
    "crash_at": Real(0, 60_000),
    "recover_at": Real(0, 60_000, none=True),
    "clock_skew": Real(0, 1000),
    "partition_at": Real(0, 60_000),
    "heal_at": Real(0, 60_000),
}


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
        check(_FAULT_SPECS, {name: getattr(self, name) for name in _FAULT_SPECS})
        self._check_crash()
        self._check_partition()

    def _check_crash(self) -> None:
        if self.crash_node is not None and self.crash_node not in node_names(5):
            raise ValueError(f"crash_node must be None or a node name 'A'..'E', got {self.crash_node!r}")
        if self.recover_at is not None and not self.recover_at > self.crash_at:
            raise ValueError(
                f"recover_at must be None or a time > crash_at={self.crash_at:g} ms, got {self.recover_at!r}"
            )

    def _check_partition(self) -> None:
        part = tuple(self.partition)
        if len(set(part)) != len(part) or any(n not in node_names(5) for n in part):
            raise ValueError(f"partition must be distinct node names 'A'..'E', got {self.partition!r}")
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
    >>> from replnb.compare import make_workload
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
    check_workload(workload)
    faults = Faults() if faults is None else faults
    faults.check(workload.nodes)
    faults = effective_faults(scheme, faults, workload.nodes)
    if scheme.startswith("single-leader"):
        return _single_leader(scheme.split()[-1], workload, faults, seed)
    if scheme.startswith("multi-leader"):
        return _multi_leader("lww" if scheme.endswith("LWW") else "union", workload, faults, seed)
    return _leaderless(scheme.endswith("strict"), workload, faults, seed)


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
    rows = {scheme: _absent_faults(_coverage_row(scheme, f), f) for scheme in SCHEMES}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "scheme"
    return table


def _coverage_row(scheme: str, f: Faults) -> dict[str, str]:
    family = FAMILIES[scheme]
    if family == "single-leader":
        return _single_leader_coverage(f)
    if family == "multi-leader":
        return _multi_leader_coverage(union=scheme.endswith("union"))
    return {
        "workload": "as asked: the scripted operations, coordinated by the client's home node",
        "crash": "as asked: the node crashes and keeps its data; anti-entropy repairs it",
        "clock_skew": "not applied: the model's coordinators use perfect clocks",
        "partition": (
            "approximated: the model has no partitions, so the cut-off node is crashed for the "
            "same window; its clients' operations fail even where a partial quorum would serve them"
        ),
    }


def _single_leader_coverage(f: Faults) -> dict[str, str]:
    return {
        "workload": "as asked: the scripted operations (writes to the leader, reads to home nodes)",
        "crash": (
            "as asked: the leader A crashes, a follower takes over, A returns fenced"
            if f.crash_node in (None, "A")
            else f"not applied: the model can crash only the leader A, not {f.crash_node}"
        ),
        "clock_skew": "no effect: the leader's log orders the writes, clocks are never read",
        "partition": "not applied: the model has no partitions",
    }


def _multi_leader_coverage(*, union: bool) -> dict[str, str]:
    row = {
        "workload": "as asked: the scripted operations, each at the client's home leader",
        "crash": "as asked: the node crashes; on recovery it catches up by anti-entropy",
        "clock_skew": "as asked: the leaders' clocks are offset (last-write-wins reads them)",
        "partition": "as asked: the cut-off leaders cannot reach the others; on healing all catch up",
    }
    if union:
        row["workload"] = "as asked, as a set: each write adds its own item to the key's set"
        row["clock_skew"] = "as asked, but the union merge never compares timestamps"
    return row


def _absent_faults(row: dict[str, str], f: Faults) -> dict[str, str]:
    """``row`` with ``"none"`` for each fault that ``f`` does not inject."""
    if not f.crashes:
        row["crash"] = "none"
    if not f.partition:
        row["partition"] = "none"
    if f.clock_skew == 0:
        row["clock_skew"] = "none"
    return row


def with_faults(faults: Faults, **changes: Any) -> Faults:
    """A copy of ``faults`` with some fields changed (validated again).

    Examples
    --------
    >>> with_faults(Faults(), clock_skew=0.0).clock_skew
    0.0
    """
    return replace(faults, **changes)
