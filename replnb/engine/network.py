"""A simulated network: per-link latency, loss, partitions, crashes.

The network delivers immutable :class:`Message` objects (never a shared
mutable one) to handlers registered per node. Every send is recorded,
with its delivery time or the reason it was dropped:

``"loss"``          random loss on the link;
``"partition"``     the link was cut when the message was sent or arrived;
``"sender-down"``   the sender had crashed;
``"receiver-down"`` the receiver was down when the message arrived.

Faults are scheduled in true time: :meth:`Network.crash`,
:meth:`Network.partition` and :meth:`Network.cut_link` each take a start and
an optional end (recovery or healing).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..records import Recorder
from .geography import Geography
from .latency import Constant, Distribution, Sampler
from .rng import Seed, as_rng
from .sim import Simulation

__all__ = ["Message", "Network", "node_names"]


def node_names(n: int) -> list[str]:
    """The names of ``n`` nodes: ``"A"``, ``"B"``, ``"C"``, ...

    Examples
    --------
    >>> node_names(3)
    ['A', 'B', 'C']
    """
    if not 1 <= n <= 26:
        raise ValueError(f"number of nodes must be in 1..26, got {n}")
    return [chr(ord("A") + i) for i in range(n)]


@dataclass(frozen=True, slots=True)
class Message:
    """One message in flight. ``body`` must be immutable (tuples, frozen dataclasses)."""

    id: int
    src: str
    dst: str
    kind: str
    body: Any
    sent: float


def _as_distribution(latency: Distribution | float) -> Distribution:
    if isinstance(latency, Distribution):
        return latency
    return Constant(float(latency))


class Network:
    """Links between named nodes of a :class:`~replnb.sim.Simulation`.

    Parameters
    ----------
    sim : Simulation
    nodes : sequence of str
    latency : Distribution or float
        The default one-way delay of every link, in ms.
    loss : float
        The default probability in [0, 1) that a message is lost.
    seed : int, Generator or None
        Randomness for delays and loss.
    recorder : Recorder, optional
        Where sends and faults are recorded (``None``: not recorded).
    fifo : bool
        When true, each link delivers in send order (like a TCP connection).
    crash_drops_in_flight : bool
        When true, a node's crash also drops the messages it sent that are
        still in flight (reason ``"sender-down"``), as if they were still in
        its send buffers. By default they are delivered.
    geography : Geography, optional
        Regions of the nodes: a message between two regions takes
        ``geography.far`` ms longer than its link's draw (or its ``delay``).

    Examples
    --------
    >>> from replnb.engine.sim import Simulation
    >>> sim = Simulation(); got = []
    >>> net = Network(sim, ["A", "B"], latency=5.0)
    >>> net.register("B", lambda m: got.append((sim.now, m.body)))
    >>> _ = net.send("A", "B", "ping", "hi")
    >>> _ = sim.run(); got
    [(5.0, 'hi')]
    """

    def __init__(
        self,
        sim: Simulation,
        nodes: Sequence[str],
        *,
        latency: Distribution | float = 1.0,
        loss: float = 0.0,
        seed: Seed = None,
        recorder: Recorder | None = None,
        fifo: bool = False,
        crash_drops_in_flight: bool = False,
        geography: Geography | None = None,
    ) -> None:
        if not 0.0 <= loss < 1.0:
            raise ValueError(f"loss must be in [0, 1), got {loss}")
        self.sim = sim
        self.nodes = tuple(nodes)
        self.rng = as_rng(seed)
        self.recorder = recorder
        self.fifo = fifo
        self.crash_drops_in_flight = crash_drops_in_flight
        self.geography = geography
        self._crashed_at: dict[str, float] = {}
        self._default = _as_distribution(latency)
        self._links: dict[tuple[str, str], tuple[Sampler, float]] = {}
        self._default_loss = float(loss)
        self._handlers: dict[str, Callable[[Message], None]] = {}
        self._down: set[str] = set()
        self._cuts: dict[tuple[str, str], int] = {}
        self._last_arrival: dict[tuple[str, str], float] = {}
        self._on_crash: dict[str, list[Callable[[], None]]] = {}
        self._on_recover: dict[str, list[Callable[[], None]]] = {}
        self._next_id = 0
        self.last_fault_end = 0.0

    # -- wiring ---------------------------------------------------------------
    def _check_node(self, node: str, name: str = "node") -> None:
        if node not in self.nodes:
            raise ValueError(f"{name} must be one of {list(self.nodes)}, got {node!r}")

    def register(self, node: str, handler: Callable[[Message], None]) -> None:
        """Deliver messages addressed to ``node`` to ``handler(message)``."""
        self._check_node(node)
        self._handlers[node] = handler

    def set_link(
        self,
        src: str,
        dst: str,
        *,
        latency: Distribution | float | None = None,
        loss: float | None = None,
        both_ways: bool = False,
    ) -> None:
        """Give the link ``src -> dst`` its own latency and/or loss."""
        self._check_node(src, "src")
        self._check_node(dst, "dst")
        if loss is not None and not 0.0 <= loss < 1.0:
            raise ValueError(f"loss must be in [0, 1), got {loss}")
        for a, b in [(src, dst), (dst, src)] if both_ways else [(src, dst)]:
            old = self._links.get((a, b))
            dist = _as_distribution(latency) if latency is not None else None
            sampler = Sampler(dist, self.rng) if dist is not None else (old[0] if old else None)
            if sampler is None:
                sampler = Sampler(self._default, self.rng)
            self._links[(a, b)] = (sampler, self._default_loss if loss is None else float(loss))

    def on_crash(self, node: str, fn: Callable[[], None]) -> None:
        """Call ``fn()`` when ``node`` crashes."""
        self._on_crash.setdefault(node, []).append(fn)

    def on_recover(self, node: str, fn: Callable[[], None]) -> None:
        """Call ``fn()`` when ``node`` recovers."""
        self._on_recover.setdefault(node, []).append(fn)

    # -- state ----------------------------------------------------------------
    def is_up(self, node: str) -> bool:
        """Whether ``node`` is running."""
        return node not in self._down

    def is_cut(self, src: str, dst: str) -> bool:
        """Whether the link ``src -> dst`` is cut by a partition or link failure."""
        return self._cuts.get((src, dst), 0) > 0

    def reachable(self, src: str, dst: str) -> bool:
        """Both ends up and the link not cut."""
        return src not in self._down and dst not in self._down and not self._cuts.get((src, dst), 0)

    # -- sending --------------------------------------------------------------
    def send(
        self, src: str, dst: str, kind: str, body: Any = None, label: str = "", *, delay: float | None = None
    ) -> Message:
        """Send ``body`` from ``src`` to ``dst``; returns the :class:`Message`.

        ``delay`` (ms, optional) replaces the link's latency draw for this one
        message, for models whose delays depend on the kind of message (the
        PBS WARS legs); loss, partitions, crashes and FIFO order still apply.

        Examples
        --------
        >>> from replnb.engine.sim import Simulation
        >>> sim = Simulation(); got = []
        >>> net = Network(sim, ["A", "B"], latency=5.0)
        >>> net.register("B", lambda m: got.append(sim.now))
        >>> _ = net.send("A", "B", "ping", delay=2.0)
        >>> _ = sim.run(); got
        [2.0]
        """
        link = self._links.get((src, dst))
        if link is None:
            self._check_node(src, "src")
            self._check_node(dst, "dst")
            link = (Sampler(self._default, self.rng), self._default_loss)
            self._links[(src, dst)] = link
        now = self.sim.now
        self._next_id += 1
        msg = Message(self._next_id, src, dst, kind, body, now)
        record: dict[str, Any] | None = None
        if self.recorder is not None:
            record = {
                "msg_id": msg.id,
                "src": src,
                "dst": dst,
                "kind": kind,
                "label": label,
                "sent": now,
                "delivered": math.nan,
                "dropped": "",
            }
            self.recorder.messages.append(record)
        sampler, loss = link
        if src in self._down:
            reason = "sender-down"
        elif self._cuts.get((src, dst), 0):
            reason = "partition"
        elif loss and self.rng.random() < loss:
            reason = "loss"
        else:
            if delay is None:
                delay = sampler()
            elif not delay >= 0:
                raise ValueError(f"delay must be >= 0 ms, got {delay}")
            if self.geography is not None:
                delay += self.geography.extra(src, dst)
            if self.fifo:
                arrival = max(now + delay, self._last_arrival.get((src, dst), 0.0))
                delay = arrival - now
                # The simulation adds delay to now again; in floating point that can land one
                # step before arrival, and two messages clamped to one arrival would swap.
                while now + delay < arrival:
                    delay = math.nextafter(delay, math.inf)
                self._last_arrival[(src, dst)] = now + delay
            self.sim.schedule(delay, self._deliver, msg, record)
            return msg
        if record is not None:
            record["dropped"] = reason
        return msg

    def _deliver(self, msg: Message, record: dict[str, Any] | None) -> None:
        if msg.dst in self._down:
            reason = "receiver-down"
        elif self.crash_drops_in_flight and self._crashed_at.get(msg.src, -math.inf) >= msg.sent:
            reason = "sender-down"
        elif self._cuts.get((msg.src, msg.dst), 0):
            reason = "partition"
        else:
            if record is not None:
                record["delivered"] = self.sim.now
            handler = self._handlers.get(msg.dst)
            if handler is not None:
                handler(msg)
            return
        if record is not None:
            record["dropped"] = reason

    # -- faults ---------------------------------------------------------------
    def _log(self, node: str, event: str, detail: str = "") -> None:
        if self.recorder is not None:
            self.recorder.event(self.sim.now, node, event, detail)

    def crash(self, node: str, at: float, recover_at: float | None = None) -> None:
        """Crash ``node`` at true time ``at``; bring it back at ``recover_at``."""
        self._check_node(node)
        _check_window("at", at, "recover_at", recover_at)
        self.sim.at(at, self.down, node)
        if recover_at is not None:
            self.sim.at(recover_at, self.up, node)

    def down(self, node: str) -> None:
        """Crash ``node`` now."""
        if node in self._down:
            return
        self._down.add(node)
        self._crashed_at[node] = self.sim.now
        self._log(node, "crash")
        for fn in self._on_crash.get(node, ()):
            fn()

    def up(self, node: str) -> None:
        """Recover ``node`` now."""
        if node not in self._down:
            return
        self._down.discard(node)
        self.last_fault_end = max(self.last_fault_end, self.sim.now)
        self._log(node, "recover")
        for fn in self._on_recover.get(node, ()):
            fn()

    def partition(self, groups: Iterable[Iterable[str]], start: float, end: float | None = None) -> None:
        """Split the nodes into ``groups`` from ``start`` until ``end``.

        Nodes named in no group form one more group together.
        """
        parts = [sorted(set(g)) for g in groups]
        named = [n for g in parts for n in g]
        for n in named:
            self._check_node(n, "partition node")
        if len(named) != len(set(named)):
            raise ValueError("partition groups must not share nodes")
        rest = [n for n in self.nodes if n not in named]
        if rest:
            parts.append(rest)
        pairs = [(a, b) for g in parts for h in parts if g is not h for a in g for b in h]
        detail = " | ".join("".join(g) for g in parts)
        _check_window("start", start, "end", end)
        self.sim.at(start, self._cut, pairs, "partition", detail)
        if end is not None:
            self.sim.at(end, self._heal, pairs, "heal", detail)

    def cut_link(
        self, src: str, dst: str, start: float, end: float | None = None, *, both_ways: bool = True
    ) -> None:
        """Fail the link ``src -> dst`` (and back, by default) from ``start`` to ``end``."""
        self._check_node(src, "src")
        self._check_node(dst, "dst")
        _check_window("start", start, "end", end)
        pairs = [(src, dst), (dst, src)] if both_ways else [(src, dst)]
        self.sim.at(start, self._cut, pairs, "link-cut", f"{src}-{dst}")
        if end is not None:
            self.sim.at(end, self._heal, pairs, "link-heal", f"{src}-{dst}")

    def _cut(self, pairs: list[tuple[str, str]], event: str, detail: str) -> None:
        for pair in pairs:
            self._cuts[pair] = self._cuts.get(pair, 0) + 1
        self._log("", event, detail)

    def _heal(self, pairs: list[tuple[str, str]], event: str, detail: str) -> None:
        for pair in pairs:
            self._cuts[pair] -= 1
        self.last_fault_end = max(self.last_fault_end, self.sim.now)
        self._log("", event, detail)


def _check_window(start_name: str, start: float, end_name: str, end: float | None) -> None:
    if not (math.isfinite(start) and start >= 0):
        raise ValueError(f"{start_name} must be a time >= 0 ms, got {start}")
    if end is not None and not end > start:
        raise ValueError(f"{end_name} must be > {start_name} ({start} ms), got {end}")
