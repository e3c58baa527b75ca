"""Clocks: skewed physical clocks, Lamport clocks and version vectors.

True time is ``sim.now``. A node's physical clock reads
``now + offset + drift * now``: last-write-wins timestamps come from it, while
every metric judges by true time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .sim import Simulation

__all__ = ["LamportClock", "NodeClock", "VersionVector"]


class NodeClock:
    """A node's physical clock: ``now + offset + drift * now`` (ms).

    Examples
    --------
    >>> sim = Simulation()
    >>> clock = NodeClock(sim, offset=-40.0, drift=0.001)
    >>> _ = sim.run(until=1000.0)
    >>> clock.read()
    961.0
    """

    __slots__ = ("drift", "offset", "sim")

    def __init__(self, sim: Simulation, offset: float = 0.0, drift: float = 0.0) -> None:
        if not -1.0 < drift < 1.0:
            raise ValueError(f"drift must be in (-1, 1) (a rate, e.g. 1e-4), got {drift}")
        self.sim = sim
        self.offset = float(offset)
        self.drift = float(drift)

    def read(self) -> float:
        """The node's local reading of the current true time."""
        now = self.sim.now
        return now + self.offset + self.drift * now


class LamportClock:
    """A Lamport logical clock.

    Examples
    --------
    >>> c = LamportClock()
    >>> c.tick(), c.observe(10), c.tick()
    (1, 11, 12)
    """

    __slots__ = ("time",)

    def __init__(self) -> None:
        self.time = 0

    def tick(self) -> int:
        """A local event: advance and return the new time."""
        self.time += 1
        return self.time

    def observe(self, other: int) -> int:
        """Receive a message stamped ``other``: jump past it and return the new time."""
        self.time = max(self.time, other) + 1
        return self.time


Order = Literal["before", "after", "equal", "concurrent"]


@dataclass(frozen=True)
class VersionVector:
    """An immutable version vector: one counter per node, missing means 0.

    Examples
    --------
    >>> a = VersionVector().increment("A")
    >>> b = a.increment("B")
    >>> a.compare(b), b.compare(a)
    ('before', 'after')
    >>> c = a.increment("A")
    >>> b.compare(c), b.concurrent(c)
    ('concurrent', True)
    >>> b.merge(c)
    VersionVector(A=2, B=1)
    """

    counts: tuple[tuple[str, int], ...] = field(default=())

    @classmethod
    def of(cls, counts: Mapping[str, int] | Iterable[tuple[str, int]]) -> VersionVector:
        """Build from a mapping ``{node: count}`` (zero counts are dropped)."""
        items = counts.items() if isinstance(counts, Mapping) else counts
        clean: dict[str, int] = {}
        for node, count in items:
            if count < 0:
                raise ValueError(f"version vector counts must be >= 0, got {node}={count}")
            if count:
                clean[node] = int(count)
        return cls(tuple(sorted(clean.items())))

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict."""
        return dict(self.counts)

    def get(self, node: str) -> int:
        """The counter for ``node``."""
        for name, count in self.counts:
            if name == node:
                return count
        return 0

    def increment(self, node: str) -> VersionVector:
        """A copy with ``node``'s counter advanced by one."""
        d = self.as_dict()
        d[node] = d.get(node, 0) + 1
        return VersionVector(tuple(sorted(d.items())))

    def merge(self, other: VersionVector) -> VersionVector:
        """The element-wise maximum (the least upper bound)."""
        d = self.as_dict()
        for node, count in other.counts:
            if count > d.get(node, 0):
                d[node] = count
        return VersionVector(tuple(sorted(d.items())))

    def __le__(self, other: VersionVector) -> bool:
        return all(count <= other.get(node) for node, count in self.counts)

    def __lt__(self, other: VersionVector) -> bool:
        return self <= other and self != other

    def compare(self, other: VersionVector) -> Order:
        """``"before"``, ``"after"``, ``"equal"`` or ``"concurrent"``."""
        le, ge = self <= other, other <= self
        if le and ge:
            return "equal"
        if le:
            return "before"
        if ge:
            return "after"
        return "concurrent"

    def concurrent(self, other: VersionVector) -> bool:
        """Neither happened before the other."""
        return self.compare(other) == "concurrent"

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={c}" for n, c in self.counts)
        return f"VersionVector({inner})"
