"""The faults and the geography every scheme of chapter 5 faces: one vocabulary for all three models.

:class:`Faults` holds the four kinds of fault that the three models all
take, with the same meaning (``/work/briefs/contract.md``, DESIGN.md):
crashes, network partitions, link cuts and clock skew. :class:`Layout`
says where the replicas and the clients sit: in regions, with a near
latency inside a region and ``far_latency`` more between regions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..engine.network import node_names
from ..params import Real, check

__all__ = ["Crash", "Faults", "Layout", "LinkCut", "Partition", "with_faults"]

#: The latest time of any fault, in ms of true time.
MAX_FAULT_TIME = 60_000.0
#: The most faults of each kind.
MAX_FAULTS = 8
#: The nodes a fault may name (a workload has 3..5 nodes).
_ALL_NODES = tuple(node_names(5))

Crash = tuple[str, float, float | None]
LinkCut = tuple[str, str, float, float | None]
Partition = tuple[tuple[tuple[str, ...], ...], float, float | None]

_TIME = Real(0, MAX_FAULT_TIME, unit="ms")


def _time(name: str, value: Any) -> float:
    return float(_TIME.check(name, value))


def _end(name: str, value: Any, start: float) -> float | None:
    if value is None:
        return None
    end = _time(name, value)
    if not end > start:
        raise ValueError(f"{name} must be None or a time > {start:g} ms, got {value!r}")
    return end


def _node(name: str, value: Any) -> str:
    if value not in _ALL_NODES:
        raise ValueError(f"{name} must be a node name 'A'..'E', got {value!r}")
    return str(value)


def _entries(name: str, value: Any, size: int, what: str) -> list[Sequence[Any]]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) > MAX_FAULTS:
        raise ValueError(f"{name} must be a list of at most {MAX_FAULTS} {what} tuples, got {value!r}")
    for item in value:
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != size:
            raise ValueError(f"{name} must hold {what} tuples, got {item!r}")
    return list(value)


def _crashes(value: Any) -> tuple[Crash, ...]:
    out = []
    for node, at, until in _entries("crashes", value, 3, "(node, at, recover_at or None)"):
        start = _time("crashes at", at)
        out.append((_node("crashes node", node), start, _end("crashes recover_at", until, start)))
    return tuple(out)


def _link_cuts(value: Any) -> tuple[LinkCut, ...]:
    out = []
    for a, b, at, until in _entries("link_failures", value, 4, "(a, b, at, heal_at or None)"):
        a, b = _node("link_failures a", a), _node("link_failures b", b)
        if a == b:
            raise ValueError(f"link_failures b must be another node than a, got {a!r}-{b!r}")
        start = _time("link_failures at", at)
        out.append((a, b, start, _end("link_failures heal_at", until, start)))
    return tuple(out)


def _partitions(value: Any) -> tuple[Partition, ...]:
    out = []
    for groups, at, until in _entries("partitions", value, 3, "(groups, at, heal_at or None)"):
        if isinstance(groups, str) or not isinstance(groups, Sequence) or not groups:
            raise ValueError(f"partitions groups must be a list of lists of node names, got {groups!r}")
        parts = tuple(tuple(sorted(_node("partitions node", n) for n in _group(g))) for g in groups)
        named = [n for g in parts for n in g]
        if len(named) != len(set(named)) or not all(parts):
            raise ValueError(f"partitions groups must be non-empty and share no node, got {groups!r}")
        start = _time("partitions at", at)
        out.append((parts, start, _end("partitions heal_at", until, start)))
    return tuple(out)


def _group(group: Any) -> Sequence[Any]:
    if isinstance(group, str) or not isinstance(group, Sequence):
        raise ValueError(f"partitions groups must be lists of node names, got {group!r}")
    return group


@dataclass(frozen=True)
class Faults:
    """The faults every scheme faces (times in ms of true time).

    ``crashes``: ``(node, at, recover_at or None)``: the node stops, then
    comes back and catches up. ``partitions``: ``(groups, at, heal_at or
    None)``: nodes in different groups cannot reach each other (the nodes
    named in no group form one more group), then the network heals.
    ``link_failures``: ``(a, b, at, heal_at or None)``: the link between
    ``a`` and ``b`` is cut both ways, then heals. ``clock_skew``: the node
    clocks are spread evenly over that many ms (the first node ahead by
    half of it, the last behind by half).

    The defaults: ``A`` crashes from 200 to 450 ms, ``C`` is cut off from
    ``A`` and ``B`` from 550 to 750 ms, the link ``A``-``B`` is cut from
    850 to 950 ms, and the clocks spread over 50 ms.

    Examples
    --------
    >>> f = Faults()
    >>> f.crashes, f.partitions, f.link_failures, f.clock_skew
    ((('A', 200.0, 450.0),), (((('C',),), 550.0, 750.0),), (('A', 'B', 850.0, 950.0),), 50.0)
    >>> f.last_fault_end, f.cut("C", "A", 600.0), f.cut("A", "B", 600.0), f.cut("B", "A", 900.0)
    (950.0, True, False, True)
    >>> Faults(clock_skew=40).clock_offsets(("A", "B", "C"))
    {'A': 20.0, 'B': 0.0, 'C': -20.0}
    >>> Faults(crashes=[("A", 500, 400)])
    Traceback (most recent call last):
    ...
    ValueError: crashes recover_at must be None or a time > 500 ms, got 400
    """

    crashes: tuple[Crash, ...] = (("A", 200.0, 450.0),)
    partitions: tuple[Partition, ...] = (((("C",),), 550.0, 750.0),)
    link_failures: tuple[LinkCut, ...] = (("A", "B", 850.0, 950.0),)
    clock_skew: float = 50.0

    def __post_init__(self) -> None:
        check({"clock_skew": Real(0, 1000, unit="ms")}, {"clock_skew": self.clock_skew})
        object.__setattr__(self, "clock_skew", float(self.clock_skew))
        object.__setattr__(self, "crashes", _crashes(self.crashes))
        object.__setattr__(self, "partitions", _partitions(self.partitions))
        object.__setattr__(self, "link_failures", _link_cuts(self.link_failures))

    @classmethod
    def none(cls, clock_skew: float = 0.0) -> Faults:
        """No crash, no partition, no link cut (and the given clock skew).

        Examples
        --------
        >>> Faults.none().kinds
        ()
        """
        return cls(crashes=(), partitions=(), link_failures=(), clock_skew=clock_skew)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of fault injected, among "crash", "partition", "link cut" and "clock skew"."""
        present = {
            "crash": bool(self.crashes),
            "partition": bool(self.partitions),
            "link cut": bool(self.link_failures),
            "clock skew": self.clock_skew > 0,
        }
        return tuple(k for k, on in present.items() if on)

    @property
    def last_fault_end(self) -> float:
        """When the last fault ends (recovery or healing), in ms; 0 without faults."""
        ends: list[float | None] = [c[2] for c in self.crashes]
        ends += [p[2] for p in self.partitions] + [lf[3] for lf in self.link_failures]
        return max([0.0, *(math.inf if end is None else float(end) for end in ends)])

    def clock_offsets(self, nodes: Sequence[str]) -> dict[str, float]:
        """Clock offsets (ms) spread evenly over ``clock_skew``: first ahead, last behind."""
        if len(nodes) == 1:
            return {nodes[0]: 0.0}
        step = self.clock_skew / (len(nodes) - 1)
        return {n: self.clock_skew / 2 - i * step + 0.0 for i, n in enumerate(nodes)}

    def down(self, node: str, time: float) -> bool:
        """Whether ``node`` is crashed at ``time``."""
        return any(n == node and at <= time and (end is None or time < end) for n, at, end in self.crashes)

    def cut(self, a: str, b: str, time: float, nodes: Sequence[str] = ("A", "B", "C")) -> bool:
        """Whether ``a`` and ``b`` cannot reach each other at ``time`` (a partition or a link cut)."""
        for x, y, at, end in self.link_failures:
            if {a, b} == {x, y} and at <= time and (end is None or time < end):
                return True
        for groups, at, end in self.partitions:
            if (
                at <= time
                and (end is None or time < end)
                and self._side(groups, a, nodes) != self._side(groups, b, nodes)
            ):
                return True
        return False

    @staticmethod
    def _side(groups: tuple[tuple[str, ...], ...], node: str, nodes: Sequence[str]) -> int:
        return next((i for i, g in enumerate(groups) if node in g), len(groups))

    def check(self, nodes: Sequence[str]) -> None:
        """Raise ValueError if a fault names a node outside ``nodes`` or a partition cuts nothing."""
        named = [c[0] for c in self.crashes] + [n for lf in self.link_failures for n in lf[:2]]
        named += [n for groups, _, _ in self.partitions for g in groups for n in g]
        bad = sorted({n for n in named if n not in nodes})
        if bad:
            raise ValueError(f"faults must name nodes among {list(nodes)}, got {bad}")
        for groups, _, _ in self.partitions:
            sides = len(groups) + any(not any(n in g for g in groups) for n in nodes)
            if sides < 2:
                raise ValueError(f"partitions must split the nodes into at least two groups, got {groups}")


def with_faults(faults: Faults, **changes: Any) -> Faults:
    """A copy of ``faults`` with some fields changed (validated again).

    Examples
    --------
    >>> with_faults(Faults(), clock_skew=0.0).clock_skew
    0.0
    """
    return replace(faults, **changes)


@dataclass(frozen=True)
class Layout:
    """Where the replicas and the clients sit: regions, near and far latency.

    Node ``i`` of a workload sits in ``regions[i % len(regions)]``; each
    client sits in the region of its home node. A message between two
    nodes of one region takes the near link delay (uniform on 5..15 ms);
    between regions, ``far_latency`` ms more. A client's request to a node
    of its own region and the reply each take ``client_latency`` ms, to a
    node in another region ``far_latency`` ms more.

    The default: three regions, one replica each, and 40 ms more between
    them (a transatlantic hop); ``Layout(far_latency=0)`` puts everything
    in one place.

    Examples
    --------
    >>> from replnb.compare import make_workload
    >>> Layout().region_map(make_workload(seed=0))
    {'A': 'eu', 'B': 'us', 'C': 'asia', 'c1': 'eu', 'c2': 'us', 'c3': 'asia'}
    >>> Layout(far_latency=-1)
    Traceback (most recent call last):
    ...
    ValueError: far_latency must be a number in [0, 1000] ms, got -1
    """

    far_latency: float = 40.0
    client_latency: float = 1.0
    regions: tuple[str, ...] = ("eu", "us", "asia")

    def __post_init__(self) -> None:
        specs = {"far_latency": Real(0, 1000, unit="ms"), "client_latency": Real(0, 100, unit="ms")}
        check(specs, {"far_latency": self.far_latency, "client_latency": self.client_latency})
        regions = self.regions
        if isinstance(regions, str) or not isinstance(regions, Sequence) or not 1 <= len(regions) <= 5:
            raise ValueError(f"regions must be 1..5 region names, got {regions!r}")
        if not all(isinstance(r, str) and r for r in regions):
            raise ValueError(f"regions must be non-empty strings, got {regions!r}")
        object.__setattr__(self, "regions", tuple(regions))
        object.__setattr__(self, "far_latency", float(self.far_latency))
        object.__setattr__(self, "client_latency", float(self.client_latency))

    def region_map(self, workload: Any) -> dict[str, str]:
        """The region of every node and client of ``workload``."""
        out = {node: self.regions[i % len(self.regions)] for i, node in enumerate(workload.nodes)}
        out.update({client: out[home] for client, home in workload.home.items()})
        return out

    def client_trip(self, workload: Any, client: str, node: str) -> float:
        """One way from ``client`` to ``node``: the near latency, plus ``far_latency`` across regions."""
        regions = self.region_map(workload)
        return self.client_latency + (self.far_latency if regions[client] != regions[node] else 0.0)
