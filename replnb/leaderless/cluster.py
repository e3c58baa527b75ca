"""The leaderless cluster: replicas, coordinators, quorum reads and writes, repair."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, cast

import numpy as np

from ..engine.geography import Geography
from ..engine.latency import Distribution, Sampler
from ..engine.network import Message, Network
from ..engine.sim import Simulation
from ..records import Recorder
from .dotted import EMPTY, SiblingSet, merge, new_version
from .ring import Stamp, preference_list, primary_index

__all__ = ["SCOPES", "Cluster", "SiblingsCluster"]

#: Which replies count toward r or w: any replica's, the coordinator's region's, every region's.
SCOPES = ("global", "local", "each")


_LEG_OF_KIND = {
    "forward": "W",
    "write": "W",
    "ack": "A",
    "read": "R",
    "response": "S",
    "repair": "W",
    "handoff": "W",
    "handoff-ack": "A",
    "ae-digest": "R",
    "ae-items": "S",
    "ae-push": "W",
    "writeback": "W",
    "writeback-ack": "A",
}


# ---------------------------------------------------------------------------
# the model


class _Pending:
    """A coordinator's state for one client operation.

    ``kind`` is ``"write"``, ``"read"``, or ``"writeback"`` for a read in its
    write-back phase (synchronous read repair): its version is chosen, and
    ``replies`` then lists the nodes known to hold it.
    """

    __slots__ = (
        "coord",
        "done",
        "key",
        "kind",
        "need",
        "record",
        "regions",
        "replies",
        "stamp",
        "start",
        "targets",
    )

    def __init__(
        self, kind: str, record: dict[str, Any], coord: str, key: str, need: int, targets: int, stamp: Any
    ) -> None:
        self.kind = kind
        self.record = record
        self.coord = coord
        self.key = key
        self.need = need
        self.targets = targets
        self.stamp = stamp
        self.start: float = record["start"]
        self.done = False
        # scoped quorums: the regions in which `need` replies are needed (None: anywhere)
        self.regions: tuple[str, ...] | None = None
        # writes, write-backs: acknowledging nodes; reads: (node, stamp, is_hint) per response
        self.replies: list[Any] = []


class Cluster:
    """The nodes' state and message handlers for one run."""

    def __init__(
        self,
        sim: Simulation,
        net: Network,
        rec: Recorder,
        *,
        names: list[str],
        keys: list[str],
        n: int,
        r: int,
        w: int,
        read_repair: bool | str,
        sloppy: bool,
        propagate: bool,
        timeout: float,
        legs: dict[str, Distribution],
        rng: np.random.Generator,
        clock_offsets: dict[str, float] | None = None,
        coordinator: str = "home",
        geography: Geography | None = None,
        client_latency: float = 0.0,
        r_scope: str = "global",
        w_scope: str = "global",
    ) -> None:
        self.sim, self.net, self.rec = sim, net, rec
        # "home": a write is coordinated by the first live node of the key's preference list,
        # which stores its own copy at once; "any": by the node the request reaches, which
        # reaches every replica (itself too) over the network, as in the PBS model
        self.local = coordinator == "home"
        self.names, self.keys = names, keys
        self.n, self.r, self.w = n, r, w
        self.read_repair, self.sloppy, self.propagate = read_repair, sloppy, propagate
        # True: repair stale responders after the read has answered; "sync": write the version
        # back to w replicas before answering (ABD's second phase)
        self.async_repair = read_repair is True
        self.sync_repair = read_repair == "sync"
        self.timeout = timeout
        self.rng = rng
        # where nodes and clients sit; clients reach nodes after client_latency (+ the far delay)
        self.geo = geography if geography is not None else Geography()
        self.regional = bool(self.geo.regions)
        self.client_latency = client_latency
        self.scope = {"read": r_scope, "write": w_scope}
        # each node's clock reads true time plus its offset (all 0: perfect clocks)
        self.offsets = dict.fromkeys(names, 0.0) if clock_offsets is None else dict(clock_offsets)
        samplers = {leg: Sampler(dist, rng) for leg, dist in sorted(legs.items())}
        self.delay = {kind: samplers[leg] for kind, leg in _LEG_OF_KIND.items()}
        self._place(names, keys, n)
        self.next_peer = dict.fromkeys(names, 0)
        self.store: dict[str, dict[str, Stamp]] = {name: {} for name in names}
        self.hints: dict[str, dict[tuple[str, str], list[Stamp]]] = {name: {} for name in names}
        self.pending: dict[int, _Pending] = {}
        # backups of nodes' data, by restore index: (values, applied vectors)
        self.backups: dict[int, tuple[dict[str, Stamp], dict[str, dict[str, int]]]] = {}
        # writes forwarded to their coordinator, not yet arrived: op_id -> (record, coordinator)
        self.forwarding: dict[int, tuple[dict[str, Any], str]] = {}
        self.stamps: dict[int, Stamp] = {}
        # causality: what each node has applied of each key (a version vector), and each
        # accepted write's causal context (its coordinator's vector when it accepted it)
        self.applied: dict[str, dict[str, dict[str, int]]] = {name: {} for name in names}
        self.context: dict[int, dict[str, int]] = {}
        self.hinted_writes = 0
        self.handed_off = 0
        self.read_repairs = 0
        self.ae_repairs = 0
        self.handlers: dict[str, Callable[[Message], None]] = {
            "forward": self._on_forward,
            "write": self._on_write,
            "ack": self._on_ack,
            "read": self._on_read,
            "response": self._on_response,
            "repair": self._on_repair,
            "handoff": self._on_handoff,
            "handoff-ack": self._on_handoff_ack,
            "ae-digest": self._on_digest,
            "ae-items": self._on_items,
            "ae-push": self._on_push,
            "writeback": self._on_writeback,
            "writeback-ack": self._on_writeback_ack,
        }
        for name in names:
            net.register(name, self._dispatch)
            net.on_crash(name, partial(self._abort, name))

    def _place(self, names: list[str], keys: list[str], n: int) -> None:
        """Preference lists, home replicas, ring ranges and anti-entropy peers."""
        m = len(names)
        self.pref = {k: preference_list(k, names) for k in keys}
        self.home = {k: p[:n] for k, p in self.pref.items()}
        self.range_of = {k: primary_index(k, m) for k in keys}
        self.range_keys: dict[int, list[str]] = {}
        for k in keys:
            self.range_keys.setdefault(self.range_of[k], []).append(k)
        # ranges (ring segments) a node replicates: its own and those of the n - 1 nodes before it
        self.ranges: dict[str, list[int]] = {
            name: sorted(((i - j) % m) for j in range(min(n, m))) for i, name in enumerate(names)
        }
        self.peers = {
            a: [b for b in names if b != a and set(self.ranges[a]) & set(self.ranges[b])] for a in names
        }

    def counters(self) -> dict[str, int]:
        """What the background machinery did: hints written and handed off, repairs."""
        return {
            "hinted_writes": self.hinted_writes,
            "hints_handed_off": self.handed_off,
            "pending_hints": sum(len(v) for hs in self.hints.values() for v in hs.values()),
            "read_repairs": self.read_repairs,
            "anti_entropy_repairs": self.ae_repairs,
        }

    # -- plumbing -------------------------------------------------------------
    def _send(self, src: str, dst: str, kind: str, body: Any, label: str = "") -> None:
        self.net.send(src, dst, kind, body, label, delay=self.delay[kind]())

    def _dispatch(self, msg: Message) -> None:
        self.handlers[msg.kind](msg)

    def _merge(self, node: str, key: str, op_id: int) -> None:
        """``node`` received write ``op_id``: its vector for ``key`` now covers the write's context."""
        vector = self.applied[node].setdefault(key, {})
        for replica, count in self.context[op_id].items():
            if vector.get(replica, 0) < count:
                vector[replica] = count

    def _record(self, node: str, key: str, stamp: Stamp, event: str) -> None:
        self.rec.version(self.sim.now, node, key, stamp[1], stamp, stamp[1], event)
        self.rec.versions[-1]["held"] = (stamp[1],)

    def _apply(self, node: str, key: str, stamp: Stamp, event: str) -> bool:
        """Last-write-wins: keep ``stamp`` if it is newer. Either way ``node`` has now applied it.

        A version that loses the timestamp comparison is applied and at once
        overwritten: the replica's vector covers it, as it covers the versions
        that a newer one overwrote.
        """
        self._merge(node, key, stamp[1])
        current = self.store[node].get(key)
        if current is not None and current >= stamp:
            return False
        self.store[node][key] = stamp
        self._record(node, key, stamp, event)
        return True

    def _targets(self, coord: str, key: str, choose: int | None) -> list[tuple[str, str]]:
        """(node, hinted home or "") for each replica to contact; only reachable nodes."""
        reach = self.net.reachable
        home = self.home[key]
        up = [h for h in home if reach(coord, h)]
        missing = [h for h in home if not reach(coord, h)]
        if choose is not None:  # non-expanding: only `choose` random home replicas
            if len(up) >= choose:
                up = self._choose(coord, up, choose)
                missing = []
            else:
                missing = missing[: choose - len(up)]
        targets = [(h, "") for h in up]
        if self.sloppy and missing:
            spare = [f for f in self.pref[key][self.n :] if reach(coord, f)]
            targets += [(f, h) for h, f in zip(missing, spare, strict=False)]
        return targets

    def _choose(self, coord: str, up: list[str], choose: int) -> list[str]:
        """``choose`` of the reachable home replicas ``up`` at random; a local coordinator among them."""
        if self.local and coord in up:
            others = [h for h in up if h != coord]
            picked = set(self.rng.choice(len(others), size=choose - 1, replace=False).tolist())
            return [h for h in up if h == coord or (h in others and others.index(h) in picked)]
        picked = set(self.rng.choice(len(up), size=choose, replace=False).tolist())
        return [h for i, h in enumerate(up) if i in picked]

    def _contact(self, u: float | str, client: str = "") -> str | None:
        """The node a client's request reaches: scripted, or a live node picked by ``u``.

        With regions, a live node of the client's region if there is one.
        """
        if isinstance(u, str):  # a scripted node
            return u if self.net.is_up(u) else None
        live = [x for x in self.names if self.net.is_up(x)]
        if self.regional:
            near = [x for x in live if self.geo.near(x, client)]
            live = near or live
        return live[int(u * len(live))] if live else None

    def _client_delay(self, client: str, node: str) -> float:
        """One way between ``client`` and ``node``: the near client latency plus the far delay."""
        return self.client_latency + self.geo.extra(client, node)

    def write_coordinator(self, contact: str, key: str) -> str | None:
        """The coordinator of a write of ``key`` that reaches ``contact``.

        With home coordinators, the first node of the key's home replicas
        (with a sloppy quorum: of its whole preference list) that ``contact``
        can reach, ``contact`` itself if it is that node; ``None`` if there is
        none. Otherwise ``contact`` itself.
        """
        if not self.local:
            return contact
        candidates = self.pref[key] if self.sloppy else self.home[key]
        if self.regional:  # a coordinator in the contact's region first
            candidates = sorted(candidates, key=lambda x: not self.geo.near(x, contact))
        return next((x for x in candidates if self.net.reachable(contact, x)), None)

    def _fail(self, op: _Pending | dict[str, Any]) -> None:
        record = op.record if isinstance(op, _Pending) else op
        record["ok"] = False
        record["end"] = self._client_end(record)

    def _client_end(self, record: dict[str, Any]) -> float:
        """When the coordinator's answer, sent now, reaches the client."""
        node = record["node"]
        return self.sim.now + (self._client_delay(record["client"], node) if node else self.client_latency)

    # -- client operations ----------------------------------------------------
    def start_write(self, key: str, client: str, u: float | str) -> None:
        """A client sends a write; it reaches a node after the client's one-way delay."""
        contact = self._contact(u, client)
        hop = self.client_latency + (self.geo.extra(client, contact) if contact else 0.0)
        record = self.rec.op(client=client, kind="write", node="", key=key, start=self.sim.now)
        record["dot"] = record["vv"] = None
        record["value"] = record["op_id"]
        if hop:
            self.sim.schedule(hop, self._write_arrives, record, key, contact)
        else:
            self._write_arrives(record, key, contact)

    def _write_arrives(self, record: dict[str, Any], key: str, contact: str | None) -> None:
        if contact is not None and not self.net.is_up(contact):
            contact = None  # it crashed while the request was on its way
        coord = None if contact is None else self.write_coordinator(contact, key)
        record["node"] = coord or ""
        op_id = record["op_id"]
        self._stamp(record, coord)
        if coord is None or contact is None:
            self._fail(record)  # no live node, or (home coordinators) no reachable home replica
        elif coord == contact:
            self._coordinate_write(record, coord, key)
        else:  # the client's hop: the request travels on to the key's coordinator
            self.forwarding[op_id] = (record, coord)
            self._send(contact, coord, "forward", (op_id, key), f"w{op_id}")

    def _stamp(self, record: dict[str, Any], coord: str | None) -> None:
        """The write's version: its coordinator's clock now, and its op id."""
        now = self.sim.now
        stamp: Stamp = (now + self.offsets[coord] if coord else now, record["op_id"])
        self.stamps[record["op_id"]] = stamp
        record["version"] = stamp

    def _on_forward(self, msg: Message) -> None:
        op_id, key = msg.body
        record, _ = self.forwarding.pop(op_id)
        if self.sim.now - record["start"] > self.timeout:
            record["ok"] = False
            record["end"] = record["start"] + self.timeout
            return
        self._stamp(record, msg.dst)
        self._coordinate_write(record, msg.dst, key)

    def _coordinate_write(self, record: dict[str, Any], coord: str, key: str) -> None:
        """``coord`` accepts the write, keeps its own copy (home coordinators) and sends the others."""
        op_id = record["op_id"]
        stamp = self.stamps[op_id]
        targets = self._targets(coord, key, None if self.propagate else self.w)
        op = _Pending("write", record, coord, key, self.w, len(targets), stamp)
        if not self._scoped(op, "write", [x for x, _ in targets]):
            self._fail(record)  # Unavailable: fewer than w replicas reachable (where they count)
            return
        self._accept(record, coord, key)
        self.pending[op_id] = op
        for node, hint in targets:
            if self.local and node == coord:
                self._store_write(node, key, stamp, hint)
                self._count_ack(op, node)
            else:
                self._send(coord, node, "write", (op_id, key, stamp, hint), f"w{op_id}")

    def _accept(self, record: dict[str, Any], coord: str, key: str) -> None:
        """The coordinator accepts a write: its dot is the coordinator's next counter for the key,
        its causal context what the coordinator had applied of the key (and its own dot)."""
        vector = self.applied[coord].setdefault(key, {})
        vector[coord] = vector.get(coord, 0) + 1
        record["dot"] = (coord, vector[coord])
        record["vv"] = dict(vector)
        self.context[record["op_id"]] = record["vv"]

    def start_read(self, key: str, client: str, u: float | str) -> None:
        """A read is coordinated by the node it reaches; a home coordinator answers for itself at once."""
        coord = self._contact(u, client)
        hop = self.client_latency + (self.geo.extra(client, coord) if coord else 0.0)
        record = self.rec.op(
            client=client, kind="read", node=coord or "", key=key, value=None, start=self.sim.now
        )
        record["returned"] = ()
        if hop:
            self.sim.schedule(hop, self._read_arrives, record, key, coord)
        else:
            self._read_arrives(record, key, coord)

    def _read_arrives(self, record: dict[str, Any], key: str, coord: str | None) -> None:
        if coord is None or not self.net.is_up(coord):
            self._fail(record)
            return
        targets = self._targets(coord, key, None)
        if self.scope["read"] == "local":  # LOCAL_*: ask only the replicas of the coordinator's region
            targets = [(x, hint) for x, hint in targets if self.geo.near(x, coord)]
        op = _Pending("read", record, coord, key, self.r, len(targets), None)
        if not self._scoped(op, "read", [x for x, _ in targets]):
            self._fail(record)
            return
        op_id = record["op_id"]
        self.pending[op_id] = op
        for node, hint in targets:
            if self.local and node == coord:
                self._reply(op, node, self._held(node, key, hint), bool(hint))
            else:
                self._send(coord, node, "read", (op_id, key, hint), f"r{op_id}")

    def _scoped(self, op: _Pending, kind: str, targets: list[str]) -> bool:
        """Set the regions where ``op`` needs its replies; whether ``targets`` can give them."""
        scope = self.scope[kind]
        if scope == "global":
            return len(targets) >= op.need
        if scope == "local":
            op.regions = (self.geo.region(op.coord),)
        else:
            op.regions = tuple(sorted({self.geo.region(h) for h in self.home[op.key]}))
        return self._enough(op, targets)

    def _enough(self, op: _Pending, nodes: Sequence[str]) -> bool:
        """Whether replies from ``nodes`` meet ``op``'s quorum (in each of its regions, if scoped)."""
        if op.regions is None:
            return len(nodes) >= op.need
        region = self.geo.region
        return all(sum(region(x) == g for x in nodes) >= op.need for g in op.regions)

    def _late(self, op: _Pending) -> bool:
        return self.sim.now - op.start > self.timeout

    def _expire(self, op: _Pending, end: float = math.inf) -> None:
        deadline = op.start + self.timeout
        op.record["ok"] = False
        op.record["end"] = deadline if deadline <= end else math.nan

    # -- replica side ---------------------------------------------------------
    def _on_write(self, msg: Message) -> None:
        op_id, key, stamp, hint = msg.body
        self._store_write(msg.dst, key, stamp, hint)
        self._send(msg.dst, msg.src, "ack", (op_id,))

    def _store_write(self, node: str, key: str, stamp: Stamp, hint: str, event: str = "write") -> None:
        """``node`` stores a write or a write-back: as a hint for ``hint``'s home node, or in its own data."""
        if hint:
            self.hints[node].setdefault((hint, key), []).append(stamp)
            self.hinted_writes += 1
            self._merge(node, key, stamp[1])
            self._record(node, key, stamp, "hint")
        else:
            self._apply(node, key, stamp, event)

    def _held(self, node: str, key: str, hint: str) -> Stamp | None:
        """What ``node`` answers to a read of ``key`` (for ``hint``'s home node, from its hints)."""
        if hint:
            held = [max(v) for (_, k), v in self.hints[node].items() if k == key and v]
            return max(held) if held else None
        return self.store[node].get(key)

    def _on_read(self, msg: Message) -> None:
        op_id, key, hint = msg.body
        node = msg.dst
        self._send(node, msg.src, "response", (op_id, self._held(node, key, hint), bool(hint)))

    def _on_repair(self, msg: Message) -> None:
        key, stamp = msg.body
        self._apply(msg.dst, key, stamp, "repair")

    def _on_writeback(self, msg: Message) -> None:
        """A read's write-back: keep the version if it is newer, and acknowledge either way."""
        op_id, key, stamp, hint = msg.body
        self._store_write(msg.dst, key, stamp, hint, "repair")
        self._send(msg.dst, msg.src, "writeback-ack", (op_id,))

    # -- coordinator side -----------------------------------------------------
    def _on_ack(self, msg: Message) -> None:
        op = self.pending.get(msg.body[0])
        if op is None or op.done or self._late(op):
            return
        self._count_ack(op, msg.src)

    def _count_ack(self, op: _Pending, node: str) -> None:
        """``node`` has the write: with ``w`` copies, the write succeeds now."""
        op.replies.append(node)
        if self._enough(op, op.replies):
            op.done = True
            op.record["ok"] = True
            op.record["end"] = self._client_end(op.record)
            del self.pending[op.record["op_id"]]

    def _on_response(self, msg: Message) -> None:
        op_id, stamp, is_hint = msg.body
        op = self.pending.get(op_id)
        if op is None:
            return
        if not op.done and self._late(op):
            self._expire(op)
            del self.pending[op_id]
            return
        self._reply(op, msg.src, stamp, is_hint)

    def _reply(self, op: _Pending, node: str, stamp: Stamp | None, is_hint: bool) -> None:
        """``node`` answered the read ``op`` with ``stamp``."""
        if op.kind == "writeback":
            return  # its version is chosen: a late response changes nothing (and got a write-back)
        op.replies.append((node, stamp, is_hint))
        if not op.done:
            self._complete_read(op)
        elif self.async_repair:
            self._repair_after(op, node, stamp, is_hint)
        if op.kind == "read" and len(op.replies) >= op.targets:
            self.pending.pop(op.record["op_id"], None)

    def _complete_read(self, op: _Pending) -> None:
        """With ``r`` responses, the read returns the newest version; stale responders get repaired.

        With synchronous read repair the newest version is first written back
        (:meth:`_write_back`), and the read answers once ``w`` replicas hold it.
        """
        if not self._enough(op, [x for x, _, _ in op.replies]):
            return
        best = max((s for _, s, _ in op.replies if s is not None), default=None)
        op.stamp = best
        if self.sync_repair and best is not None:
            self._write_back(op, best)
            return
        self._answer(op)
        if self.async_repair and best is not None:
            self._repair_older(op, op.replies, best)

    def _answer(self, op: _Pending) -> None:
        """The read ``op`` returns ``op.stamp`` now."""
        op.done = True
        best = op.stamp
        op.record.update(
            ok=True, end=self._client_end(op.record), version=best, value=None if best is None else best[1]
        )
        op.record["returned"] = () if best is None else (best[1],)

    def _write_back(self, op: _Pending, best: Stamp) -> None:
        """Synchronous read repair, ABD's second phase: make ``w`` replicas hold ``best``, then answer.

        The responders that answered with ``best`` hold it already; if they
        are ``w`` or more, the read answers at once. Otherwise the coordinator
        sends ``best`` to every other replica it can reach (a home coordinator
        applies it to its own copy at once, without a message) and answers
        when the holders and the acknowledgements reach ``w``. Fewer than
        ``w`` reachable replicas: the read fails at once; acknowledgements
        not in by the timeout: it fails then.
        """
        op_id = op.record["op_id"]
        holders = sorted({node for node, s, _ in op.replies if s == best})
        op.kind, op.need, op.replies = "writeback", self.w, holders
        if len(holders) >= self.w:
            self._answer(op)
            del self.pending[op_id]
            return
        targets = [(x, hint) for x, hint in self._targets(op.coord, op.key, None) if x not in holders]
        if len(holders) + len(targets) < self.w:
            op.done = True
            self._fail(op)  # Unavailable: fewer than w replicas can hold the version
            del self.pending[op_id]
            return
        for node, hint in targets:
            self.read_repairs += 1
            if self.local and node == op.coord:
                self._store_write(node, op.key, best, hint, "repair")
                self._count_writeback(op, node)
            else:
                self._send(op.coord, node, "writeback", (op_id, op.key, best, hint), f"r{op_id}")

    def _on_writeback_ack(self, msg: Message) -> None:
        op = self.pending.get(msg.body[0])
        if op is None or op.done:
            return
        if self._late(op):
            self._expire(op)
            del self.pending[msg.body[0]]
            return
        self._count_writeback(op, msg.src)

    def _count_writeback(self, op: _Pending, node: str) -> None:
        """``node`` holds the read's version: with ``w`` holders, the read answers now."""
        op.replies.append(node)
        if not op.done and len(op.replies) >= op.need:
            self._answer(op)
            del self.pending[op.record["op_id"]]

    def _repair_after(self, op: _Pending, node: str, stamp: Stamp | None, is_hint: bool) -> None:
        """A response after the read completed: repair it, or repair the others with it if it is newer."""
        best = op.stamp
        if stamp is not None and (best is None or stamp > best):
            op.stamp = stamp
            self._repair_older(op, op.replies[:-1], stamp)
        elif best is not None and not is_hint and (stamp is None or stamp < best):
            self._repair(op.coord, node, op.key, best)

    def _repair_older(self, op: _Pending, replies: Sequence[Any], stamp: Stamp) -> None:
        """Send ``stamp`` to every home replica among ``replies`` that answered with something older."""
        for node, s, hinted in replies:
            if not hinted and (s is None or s < stamp):
                self._repair(op.coord, node, op.key, stamp)

    def _repair(self, coord: str, node: str, key: str, stamp: Stamp) -> None:
        self.read_repairs += 1
        if self.local and node == coord:
            self._apply(node, key, stamp, "repair")
        else:
            self._send(coord, node, "repair", (key, stamp), "repair")

    def _abort(self, node: str) -> None:
        """``node`` crashed: the operations it coordinated never complete.

        One whose timeout had already passed failed then, as its client was told.
        """
        for op_id in sorted(self.pending):
            op = self.pending[op_id]
            if op.coord == node:
                if not op.done and self._late(op):
                    self._expire(op)
                del self.pending[op_id]

    def finish(self, end: float) -> None:
        """Operations still waiting at the end timed out (or never completed)."""
        for op_id in sorted(self.pending):
            op = self.pending[op_id]
            if not op.done:
                self._expire(op, end)
        self.pending.clear()
        for record, _ in self.forwarding.values():  # forwarded to a coordinator that crashed
            deadline = record["start"] + self.timeout
            record["ok"] = False
            record["end"] = deadline if deadline <= end else math.nan
        self.forwarding.clear()

    # -- backups and restores -------------------------------------------------
    def take_backup(self, node: str, tag: int) -> None:
        """Copy ``node``'s data (values and what it has applied) as backup ``tag``."""
        vectors = {key: dict(v) for key, v in self.applied[node].items()}
        self.backups[tag] = (dict(self.store[node]), vectors)

    def restore(self, node: str, tag: int) -> None:
        """Replace ``node``'s data by backup ``tag``: it forgets every write it applied since.

        Each key whose value changes is recorded as a ``"restore"`` version
        event (a key the backup lacks is dropped without one).
        """
        store, vectors = self.backups[tag]
        current = self.store[node]
        for key in sorted(current):
            if key in store and store[key] != current[key]:
                self._record(node, key, store[key], "restore")
        self.store[node] = dict(store)
        self.applied[node] = {key: dict(v) for key, v in vectors.items()}
        self.rec.event(self.sim.now, node, "restore", "")

    # -- hinted handoff -------------------------------------------------------
    def hint_tick(self) -> None:
        for node in self.names:
            if self.hints[node] and self.net.is_up(node):
                self._hand_off(node)

    def _hand_off(self, node: str) -> None:
        for (home, key), stamps in sorted(self.hints[node].items()):
            if self.net.reachable(node, home):
                self._send(node, home, "handoff", (key, max(stamps)), "handoff")

    def _on_handoff(self, msg: Message) -> None:
        key, stamp = msg.body
        self._apply(msg.dst, key, stamp, "handoff")
        self._send(msg.dst, msg.src, "handoff-ack", (msg.dst, key, stamp))

    def _on_handoff_ack(self, msg: Message) -> None:
        home, key, stamp = msg.body
        stamps = self.hints[msg.dst].get((home, key))
        if not stamps:
            return
        rest = [s for s in stamps if s > stamp]
        self.handed_off += len(stamps) - len(rest)
        if rest:
            self.hints[msg.dst][(home, key)] = rest
        else:
            del self.hints[msg.dst][(home, key)]

    # -- anti-entropy ---------------------------------------------------------
    def _range_hash(self, node: str, rng_id: int) -> int:
        store = self.store[node]
        items = [(k, store.get(k)) for k in self.range_keys.get(rng_id, ())]
        return zlib.crc32(repr(items).encode())

    def _digest(self, node: str, ranges: Sequence[int]) -> tuple[int, tuple[tuple[int, int], ...]]:
        leaves = tuple((i, self._range_hash(node, i)) for i in ranges)
        return zlib.crc32(repr(leaves).encode()), leaves

    def _items(self, node: str, ranges: Sequence[int]) -> tuple[tuple[str, Stamp], ...]:
        store = self.store[node]
        return tuple((k, store[k]) for i in ranges for k in self.range_keys.get(i, ()) if k in store)

    def ae_tick(self, node: str) -> None:
        peers = self.peers[node]
        if not peers or not self.net.is_up(node):
            return
        peer = peers[self.next_peer[node] % len(peers)]
        self.next_peer[node] += 1
        if not self.net.reachable(node, peer):
            return
        shared = sorted(set(self.ranges[node]) & set(self.ranges[peer]))
        self._send(node, peer, "ae-digest", self._digest(node, shared), "digest")

    def _on_digest(self, msg: Message) -> None:
        root, leaves = msg.body
        mine_root, mine = self._digest(msg.dst, [i for i, _ in leaves])
        if mine_root == root:
            return
        differ = tuple(i for (i, h), (_, g) in zip(leaves, mine, strict=True) if h != g)
        self._send(msg.dst, msg.src, "ae-items", (differ, self._items(msg.dst, differ)), "diff")

    def _on_items(self, msg: Message) -> None:
        ranges, items = msg.body
        node = msg.dst
        theirs = dict(items)
        for key, stamp in items:
            if self._apply(node, key, stamp, "anti-entropy"):
                self.ae_repairs += 1
        push = tuple((k, s) for k, s in self._items(node, ranges) if self._behind(theirs.get(k), s))
        if push:
            self._send(node, msg.src, "ae-push", push, "push")

    @staticmethod
    def _behind(theirs: Any, mine: Any) -> bool:
        """Whether a replica holding ``theirs`` for a key (``None``: nothing) lacks ``mine``."""
        return theirs is None or theirs < mine

    def _on_push(self, msg: Message) -> None:
        for key, stamp in msg.body:
            if self._apply(msg.dst, key, stamp, "anti-entropy"):
                self.ae_repairs += 1


# ---------------------------------------------------------------------------
# the siblings mode


class SiblingsCluster(Cluster):
    """A cluster whose replicas keep siblings (Dynamo, Riak) instead of the newest timestamp.

    Each replica holds, per key, a :class:`~replnb.leaderless.dotted.SiblingSet`:
    every version that no other one it holds replaces, by dot and causal
    context (:mod:`replnb.leaderless.dotted`). A read returns the merge of
    the sets of its ``r`` responders: every sibling, and their context,
    which its client keeps (merged with what it had read of the key before)
    and sends with its next write of the key. A write's causal context is
    that: what its client had read, nothing else; a client that has not read
    the key writes with an empty context, concurrent with everything. The
    coordinator gives the write its dot, keeps it beside the siblings the
    context does not cover, and ships its whole set to the other replicas.
    Replication, read repair and anti-entropy merge sets; timestamps are
    kept for display only and never decide what survives.

    Sloppy quorums (hints), ``coordinator="any"``, synchronous read repair
    and restores from backups are not modelled here (``simulate`` refuses
    them with ``merge="siblings"``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # what each client has read of each key (the merged contexts of its answered reads)
        self.read_context: dict[tuple[str, str], dict[str, int]] = {}
        # the context each write was sent with, by op id
        self.sent: dict[int, dict[str, int]] = {}

    def start_write(self, key: str, client: str, u: float | str) -> None:
        """The client sends its write with the context of what it has read of ``key``."""
        self.sent[len(self.rec.ops)] = dict(self.read_context.get((client, key), {}))  # the next op id
        super().start_write(key, client, u)

    def _state(self, node: str, key: str) -> SiblingSet:
        """What ``node`` holds of ``key`` (its store holds sibling sets in this mode)."""
        return cast(SiblingSet, self.store[node].get(key, EMPTY))

    def _record(self, node: str, key: str, stamp: Any, event: str) -> None:
        state: SiblingSet = stamp
        newest = state.newest
        assert newest is not None  # a recorded set holds a version
        self.rec.version(self.sim.now, node, key, newest[1], newest, newest[1], event)
        self.rec.versions[-1]["held"] = state.op_ids

    def _apply(self, node: str, key: str, stamp: Any, event: str) -> bool:
        """Merge the sibling set ``stamp`` into ``node``'s; ``True`` if that changed anything."""
        current = self._state(node, key)
        merged = merge(current, stamp)
        if merged == current:
            return False
        self.store[node][key] = merged  # type: ignore[assignment]
        self._record(node, key, merged, event)
        return True

    def _coordinate_write(self, record: dict[str, Any], coord: str, key: str) -> None:
        """``coord`` accepts the write into its own set, then ships that set to the other targets."""
        op_id = record["op_id"]
        targets = self._targets(coord, key, None if self.propagate else self.w)
        op = _Pending("write", record, coord, key, self.w, len(targets), None)
        if not self._scoped(op, "write", [x for x, _ in targets]):
            self._fail(record)  # Unavailable: fewer than w replicas reachable (where they count)
            return
        state = self._accept_version(record, coord, key)
        self.pending[op_id] = op
        for node, hint in targets:
            if node == coord:
                self._count_ack(op, node)
            else:
                self._send(coord, node, "write", (op_id, key, state, hint), f"w{op_id}")

    def _accept_version(self, record: dict[str, Any], coord: str, key: str) -> SiblingSet:
        """The new version: its dot, its context (what the client had read), kept at ``coord``."""
        op_id = record["op_id"]
        context = self.sent.pop(op_id, {})
        current = self._state(coord, key)
        state = new_version(current, coord, context, op_id, self.stamps[op_id])
        version = next(v for v in state.versions if v.op_id == op_id)
        record["dot"], record["vv"] = version.dot, dict(context)
        self.store[coord][key] = state  # type: ignore[assignment]
        self._record(coord, key, state, "write")
        return state

    # -- reads ------------------------------------------------------------------
    def _complete_read(self, op: _Pending) -> None:
        """With ``r`` responses, the read returns every sibling they hold, merged; stale ones get repaired."""
        if not self._enough(op, [x for x, _, _ in op.replies]):
            return
        states = [s for _, s, _ in op.replies if s is not None]
        op.stamp = merge(*states) if states else None
        self._answer(op)
        if self.async_repair and op.stamp is not None:
            self._repair_older(op, op.replies, op.stamp)

    def _answer(self, op: _Pending) -> None:
        """The read returns its siblings; its client learns their context when the answer reaches it."""
        op.done = True
        state: SiblingSet | None = op.stamp
        record = op.record
        newest = None if state is None else state.newest
        end = self._client_end(record)
        record.update(ok=True, end=end, version=newest, value=None if newest is None else newest[1])
        record["returned"] = () if state is None else state.op_ids
        if state is not None:
            self.sim.schedule(end - self.sim.now, self._learn, record["client"], op.key, state.context)

    def _learn(self, client: str, key: str, context: dict[str, int]) -> None:
        known = self.read_context.setdefault((client, key), {})
        for node, count in context.items():
            if known.get(node, 0) < count:
                known[node] = count

    def _repair_after(self, op: _Pending, node: str, stamp: Any, is_hint: bool) -> None:
        """A response after the read answered: fold it in, and repair whoever lacks the merged set."""
        best: SiblingSet | None = op.stamp
        merged = stamp if best is None else best if stamp is None else merge(best, stamp)
        if merged is None:
            return
        if merged != best:
            op.stamp = merged
            self._repair_older(op, op.replies, merged)
        elif not is_hint and _lacks(stamp, merged):
            self._repair(op.coord, node, op.key, cast(Any, merged))

    def _repair_older(self, op: _Pending, replies: Sequence[Any], stamp: Any) -> None:
        """Send the merged set to every responder whose set lacks part of it."""
        for node, s, hinted in replies:
            if not hinted and _lacks(s, stamp):
                self._repair(op.coord, node, op.key, stamp)

    # -- anti-entropy -------------------------------------------------------------
    @staticmethod
    def _behind(theirs: Any, mine: Any) -> bool:
        """Whether a replica holding the sibling set ``theirs`` would change by merging ``mine`` in."""
        return _lacks(theirs, mine)


def _lacks(held: SiblingSet | None, state: SiblingSet) -> bool:
    """Whether a replica holding ``held`` would change by merging ``state`` in."""
    return held is None or merge(held, state) != held
