"""The event loop: a heap of ``(time, seq, callback, args)``.

This is the whole engine core, and it holds no randomness and knows nothing
about replication. ``seq`` is a per-simulation counter, so events scheduled
for the same instant run in the order they were scheduled, in every process.
Time is *true* time in milliseconds; node clocks live in :mod:`replnb.clocks`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

__all__ = ["Simulation"]


class Simulation:
    """A deterministic discrete-event simulation.

    Examples
    --------
    >>> sim = Simulation()
    >>> seen = []
    >>> sim.schedule(5.0, seen.append, "b")
    >>> sim.schedule(1.0, seen.append, "a")
    >>> sim.run()
    5.0
    >>> seen
    ['a', 'b']
    """

    __slots__ = ("_queue", "_seq", "now")

    def __init__(self) -> None:
        self.now: float = 0.0
        self._queue: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = 0

    def schedule(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` ``delay`` ms from now (``delay >= 0``)."""
        if not delay >= 0:  # also rejects NaN
            raise ValueError(f"delay must be >= 0 ms, got {delay}")
        self._seq += 1
        heapq.heappush(self._queue, (self.now + delay, self._seq, fn, args))

    def at(self, time: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` at absolute true time ``time`` (not in the past)."""
        if not time >= self.now:
            raise ValueError(f"time must be >= now ({self.now} ms), got {time}")
        self.schedule(time - self.now, fn, *args)

    def every(
        self, interval: float, fn: Callable[..., Any], *args: Any, start: float = 0.0, until: float = math.inf
    ) -> None:
        """Call ``fn(*args)`` at ``start``, ``start + interval``, ... while ``< until``.

        Examples
        --------
        >>> sim = Simulation(); ticks = []
        >>> sim.every(10.0, lambda: ticks.append(sim.now), start=5.0, until=40.0)
        >>> _ = sim.run(); ticks
        [5.0, 15.0, 25.0, 35.0]
        """
        if not interval > 0:
            raise ValueError(f"interval must be > 0 ms, got {interval}")

        def tick() -> None:
            fn(*args)
            if self.now + interval < until:
                self.schedule(interval, tick)

        if start < until:
            self.at(start, tick)

    @property
    def pending(self) -> int:
        """How many events are waiting."""
        return len(self._queue)

    def peek(self) -> float:
        """The time of the next event (``inf`` when there is none)."""
        return self._queue[0][0] if self._queue else math.inf

    def run(self, until: float | None = None) -> float:
        """Run events in time order; stop after the last one at or before ``until``.

        Returns the simulation time when it stopped: the time of the last
        event, or ``until`` if that is later and given.
        """
        queue = self._queue
        pop = heapq.heappop
        limit = math.inf if until is None else until
        while queue and queue[0][0] <= limit:
            time, _, fn, args = pop(queue)
            self.now = time
            fn(*args)
        if until is not None and until > self.now:
            self.now = until
        return self.now
