"""The multi-leader model: leaders that accept writes and replicate them along a topology."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np

from ..engine.clocks import NodeClock, VersionVector
from ..engine.geography import Geography
from ..engine.latency import Distribution, Sampler
from ..engine.network import Message, Network
from ..engine.sim import Simulation
from ..records import Recorder
from .resolution import Resolution
from .state import Cart, KeyState, Leader, Resolve, Write, display, home_leader, vv_str

__all__ = ["Model"]


class Model:
    """One multi-leader run (internal): leaders, routing, resolution, records."""

    def __init__(
        self,
        *,
        sim: Simulation,
        net: Network,
        rec: Recorder,
        nodes: list[str],
        graph: nx.DiGraph,
        clocks: dict[str, NodeClock],
        resolver: str,
        resolve: Resolve | None,
        workload: str,
        tombstones: bool,
        causal: bool,
        delays: Distribution,
        rng: np.random.Generator,
        fifo: bool = True,
        geo: Geography | None = None,
        client_latency: float = 0.0,
    ) -> None:
        self.sim, self.net, self.rec = sim, net, rec
        self.geo = geo if geo is not None else Geography()
        self.client_latency = client_latency
        self.delays, self.rng, self.fifo = delays, rng, fifo
        self.samplers: dict[tuple[str, str], Sampler] = {}
        self.last_arrival: dict[tuple[str, str], float] = {}
        self.nodes = nodes
        self.index = {n: i for i, n in enumerate(nodes)}
        self.out = {n: sorted(graph.successors(n)) for n in nodes}
        self.inn = {n: sorted(graph.predecessors(n)) for n in nodes}
        self.resolver = resolver
        self.resolve = resolve
        self.workload = workload
        self.resolution = Resolution(resolver, resolve, workload, tombstones)
        self.tombstones = tombstones
        self.causal = causal
        self.leaders = {n: Leader(i, len(nodes), clocks[n]) for i, n in enumerate(nodes)}
        self.writes: dict[int, Write] = {}
        self.buffers: dict[str, list[Write]] = {n: [] for n in nodes}
        self.delivery: list[tuple[int, str, float, float, bool]] = []  # op_id, node, time, arrived, ooo
        self.removed_tags: dict[int, frozenset[tuple[str, int]]] = {}
        self.home: dict[str, str] = {}
        for n in nodes:
            net.register(n, self._on_message)
            net.on_crash(n, functools.partial(self._crashed, n))
            net.on_recover(n, functools.partial(self._recovered, n))

    def _crashed(self, node: str) -> None:
        self.buffers[node].clear()  # the causal buffer is volatile; catch-up refills it

    def _recovered(self, node: str) -> None:
        self.anti_entropy(node, self.inn[node])

    # -- client side ------------------------------------------------------------------------------
    def client(self, spec: Mapping[str, Any]) -> None:
        """Run one client operation described by ``spec`` (now)."""
        key = spec["key"]
        node = spec.get("node") or self.home.get(key) or home_leader(key, len(self.nodes))
        kind = spec.get("op", "set")
        client = spec.get("client") or (key if self.resolver == "avoid" else node)
        record = self.rec.op(
            client=client,
            kind="read" if kind == "read" else "write",
            node=node,
            key=key,
            value=spec.get("value"),
            start=self.sim.now,
            op=kind,
            dot=None,  # the causal record, filled in when a leader accepts the write ...
            vv=None,
            returned=None,  # ... or answers the read
        )
        trip = self.client_trip(client, node) if kind != "merge" else 0.0
        if trip:
            self.sim.schedule(trip, self._handle, record, spec, node, client, trip)
        else:
            self._handle(record, spec, node, client, 0.0)

    def client_trip(self, client: str, node: str) -> float:
        """The one-way delay between ``client`` and ``node``: near latency plus the far extra."""
        return self.client_latency + self.geo.extra(client, node)

    def _handle(
        self, record: dict[str, Any], spec: Mapping[str, Any], node: str, client: str, trip: float
    ) -> None:
        """The request reaches its leader: answer it there; the reply takes ``trip`` ms back."""
        if not self.net.is_up(node):
            return
        key, kind = record["key"], record["op"]
        state = self.leaders[node].keys.get(key)
        if kind == "read":
            self._read(record, state, client)
            record["end"] += trip
            return
        value: Any
        if self.workload == "cart":
            value = self._cart_value(record, spec, state)
        else:
            value = spec.get("value")
            record["label"] = f"{key}={value}"
        self._accept(record, node, state, value)
        record["end"] += trip

    def _read(self, record: dict[str, Any], state: KeyState | None, client: str) -> None:
        """Answer a read; with siblings and a ``resolve``, write their merge back."""
        record["value"] = display(state.value) if state else None
        record["returned"] = tuple(sorted(state.contributors)) if state else ()
        record["end"], record["ok"] = self.sim.now, True
        if state and len(state.siblings) > 1 and self.resolve is not None:
            fn = self.resolve
            merged = state.siblings[0].value
            for sibling in state.siblings[1:]:
                merged = fn(merged, sibling.value)
            spec = {"key": record["key"], "node": record["node"], "op": "merge", "value": merged}
            self.client({**spec, "client": client})

    def _cart_value(self, record: dict[str, Any], spec: Mapping[str, Any], state: KeyState | None) -> Cart:
        """The cart after the operation; the random workload's ``remove-any`` picks a visible item."""
        cart = state.value if state is not None and isinstance(state.value, Cart) else Cart()
        kind, item = record["op"], spec.get("value")
        if kind == "remove-any":  # random workload: remove one visible item, if any
            contents = cart.contents
            if not contents:
                kind, item = "add", spec["fallback"]
            else:
                kind, item = "remove", contents[min(int(spec["u"] * len(contents)), len(contents) - 1)]
            record["op"], record["value"] = kind, item
        if kind == "add":
            value = cart.add(str(item), int(record["op_id"]))
        else:
            value, tags = cart.remove(str(item), tombstone=self.tombstones)
            self.removed_tags[record["op_id"]] = tags
            record["removed_tags"] = tuple(sorted(tags))
        record["label"] = f"{record['key']} {'+' if kind == 'add' else '-'}{item}"
        return value

    def _accept(self, record: dict[str, Any], node: str, state: KeyState | None, value: Any) -> None:
        """Make the write, acknowledge it, apply it locally and send it on."""
        leader = self.leaders[node]
        leader.seq += 1
        leader.past[leader.index] = leader.seq
        base = state.vv if state is not None else VersionVector()
        write = Write(
            op_id=record["op_id"],
            origin=node,
            seq=leader.seq,
            key=record["key"],
            value=value,
            ts=leader.clock.read(),
            vv=base.increment(node),
            deps=tuple(leader.past),
            start=self.sim.now,
            label=record["label"],
        )
        self.writes[write.op_id] = write
        record["end"], record["ok"] = self.sim.now, True
        # the causal record: the write's dot and what this leader had applied of the key (and it)
        record["ts"], record["dot"], record["vv"] = write.ts, (node, write.vv.get(node)), write.vv.as_dict()
        leader.seen[write.op_id] = (node,)
        leader.arrived[write.op_id] = self.sim.now
        self._apply(node, write, event="local", remote=False)
        self._forward(node, write, (node,), "write")

    def relocate(self, key: str, node: str) -> None:
        """Move the home leader of ``key`` to ``node`` (conflict avoidance)."""
        self.rec.event(self.sim.now, node, "relocate", key)
        self.home[key] = node

    # -- replication ------------------------------------------------------------------------------
    def _send(self, src: str, dst: str, kind: str, body: Any, label: str, op_id: int) -> None:
        """Send a message on the link ``src -> dst``: in send order (FIFO) unless the run reorders.

        The model draws the link's delay itself (one sampler per link, as the
        network would) and, on a FIFO link, never lets a message arrive before
        the one sent ahead of it; it picks the delay so that ``now + delay``,
        the time the simulation computes, is not earlier even by float rounding.
        """
        link = (src, dst)
        sampler = self.samplers.get(link)
        if sampler is None:
            sampler = self.samplers[link] = Sampler(self.delays, self.rng)
        now, delay = self.sim.now, sampler()
        if self.fifo:
            arrival = max(now + delay, self.last_arrival.get(link, -math.inf))
            delay = arrival - now
            while now + delay < arrival:
                delay = math.nextafter(delay, math.inf)
            self.last_arrival[link] = now + delay
        self.net.send(src, dst, kind, body, label=label, delay=delay)
        self.rec.messages[-1]["op_id"] = op_id

    def _forward(
        self, node: str, write: Write, path: tuple[str, ...], kind: str, skip: Iterable[str] = ()
    ) -> None:
        """Send ``write`` to the out-neighbours that are neither on its ``path`` nor in ``skip``."""
        skip = set(skip)
        for dst in self.out[node]:
            if dst not in path and dst not in skip:
                self._send(node, dst, kind, (write, path), write.label, write.op_id)

    def _on_message(self, msg: Message) -> None:
        node = msg.dst
        leader = self.leaders[node]
        if msg.kind == "sync":
            have: frozenset[int] = msg.body
            for op_id in sorted(leader.seen):
                if op_id not in have:
                    write = self.writes[op_id]
                    self._send(node, msg.src, "catchup", (write, leader.seen[op_id]), "catch-up", op_id)
            return
        write, path = msg.body
        if write.op_id in leader.seen:
            return  # a duplicate: this write already reached this node by another path
        path = (*path, node)
        leader.seen[write.op_id] = path
        leader.arrived[write.op_id] = self.sim.now
        # the sender sent the write to each of its own out-neighbours itself: in a complete graph
        # (all-to-all) nobody forwards, in a ring or a star the write travels on along the graph
        self._forward(node, write, path, "write", self.out[msg.src] if msg.kind == "write" else ())
        if self.causal and not self._ready(leader, write):
            self.buffers[node].append(write)
            return
        self._apply(node, write, event="apply", remote=True)
        if self.causal:
            self._drain(node)

    def _ready(self, leader: Leader, write: Write) -> bool:
        return leader.ready(self.index[write.origin], write.deps)

    def _drain(self, node: str) -> None:
        buffer = self.buffers[node]
        leader = self.leaders[node]
        progress = True
        while progress and buffer:
            progress = False
            for i, write in enumerate(buffer):
                if self._ready(leader, write):
                    del buffer[i]
                    self._apply(node, write, event="apply", remote=True)
                    progress = True
                    break

    def anti_entropy(self, node: str, sources: Iterable[str]) -> None:
        have = frozenset(self.leaders[node].seen)
        for src in sources:
            self._send(node, src, "sync", have, "sync", -1)

    # -- applying and resolving -------------------------------------------------------------------
    def _apply(self, node: str, write: Write, *, event: str, remote: bool) -> None:
        leader = self.leaders[node]
        now = self.sim.now
        ooo = remote and not self._ready(leader, write)
        self.delivery.append((write.op_id, node, now, leader.arrived[write.op_id], ooo))
        leader.note_applied(self.index[write.origin], write.seq, write.deps)
        state = leader.keys.get(write.key)
        if state is None:
            state = leader.keys[write.key] = KeyState()
        before, held_before = state.value, state.held
        if self.resolution.merge(state, write):
            event = "conflict"
        after = state.value
        changed = after is not before and (display(after) != display(before))
        if changed or not remote or state.held != held_before:
            self.rec.version(now, node, write.key, display(after), vv_str(state.vv), write.op_id, event)
            self.rec.versions[-1]["held"] = state.held

    def reference(self, op_ids: Iterable[int]) -> dict[str, Any]:
        """The state of a replica that applied exactly these writes (displayed values)."""
        return self.resolution.reference(self.writes, op_ids)

    def reference_held(self, op_ids: Iterable[int]) -> dict[str, tuple[int, ...]]:
        """The versions (op_ids per key) that a replica that applied exactly these writes keeps."""
        return {k: s.held for k, s in self.resolution.states(self.writes, op_ids).items()}

    def held(self, node: str) -> dict[str, tuple[int, ...]]:
        """The versions (op_ids per key) that ``node`` keeps."""
        return {k: s.held for k, s in self.leaders[node].keys.items()}
