"""The leaderless cluster: replicas, coordinators, quorum reads and writes, repair."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from ..engine.latency import Distribution, Sampler
from ..engine.network import Message, Network
from ..engine.sim import Simulation
from ..records import Recorder
from .ring import Stamp, preference_list, primary_index

__all__ = ["Cluster"]


_LEG_OF_KIND = {
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
}


# ---------------------------------------------------------------------------
# the model


class _Pending:
    """A coordinator's state for one client operation."""

    __slots__ = ("coord", "done", "key", "kind", "need", "record", "replies", "stamp", "start", "targets")

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
        # writes: acknowledging nodes; reads: (node, stamp, is_hint) per response
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
        read_repair: bool,
        sloppy: bool,
        propagate: bool,
        timeout: float,
        legs: dict[str, Distribution],
        rng: np.random.Generator,
    ) -> None:
        self.sim, self.net, self.rec = sim, net, rec
        self.names, self.keys = names, keys
        self.n, self.r, self.w = n, r, w
        self.read_repair, self.sloppy, self.propagate = read_repair, sloppy, propagate
        self.timeout = timeout
        self.rng = rng
        samplers = {leg: Sampler(dist, rng) for leg, dist in sorted(legs.items())}
        self.delay = {kind: samplers[leg] for kind, leg in _LEG_OF_KIND.items()}
        self._place(names, keys, n)
        self.next_peer = dict.fromkeys(names, 0)
        self.store: dict[str, dict[str, Stamp]] = {name: {} for name in names}
        self.hints: dict[str, dict[tuple[str, str], list[Stamp]]] = {name: {} for name in names}
        self.pending: dict[int, _Pending] = {}
        self.stamps: dict[int, Stamp] = {}
        self.hinted_writes = 0
        self.handed_off = 0
        self.read_repairs = 0
        self.ae_repairs = 0
        self.handlers: dict[str, Callable[[Message], None]] = {
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

    def _apply(self, node: str, key: str, stamp: Stamp, event: str) -> bool:
        current = self.store[node].get(key)
        if current is not None and current >= stamp:
            return False
        self.store[node][key] = stamp
        self.rec.version(self.sim.now, node, key, stamp[1], stamp, stamp[1], event)
        return True

    def _targets(self, coord: str, key: str, choose: int | None) -> list[tuple[str, str]]:
        """(node, hinted home or "") for each replica to contact; only reachable nodes."""
        reach = self.net.reachable
        home = self.home[key]
        up = [h for h in home if reach(coord, h)]
        missing = [h for h in home if not reach(coord, h)]
        if choose is not None:  # non-expanding: only `choose` random home replicas
            if len(up) >= choose:
                picked = set(self.rng.choice(len(up), size=choose, replace=False).tolist())
                up = [h for i, h in enumerate(up) if i in picked]
                missing = []
            else:
                missing = missing[: choose - len(up)]
        targets = [(h, "") for h in up]
        if self.sloppy and missing:
            spare = [f for f in self.pref[key][self.n :] if reach(coord, f)]
            targets += [(f, h) for h, f in zip(missing, spare, strict=False)]
        return targets

    def _coordinator(self, u: float | str) -> str | None:
        if isinstance(u, str):  # a scripted coordinator
            return u if self.net.is_up(u) else None
        live = [x for x in self.names if self.net.is_up(x)]
        return live[int(u * len(live))] if live else None

    def _fail(self, op: _Pending | dict[str, Any]) -> None:
        record = op.record if isinstance(op, _Pending) else op
        record["ok"] = False
        record["end"] = self.sim.now

    # -- client operations ----------------------------------------------------
    def start_write(self, key: str, client: str, u: float | str) -> None:
        now = self.sim.now
        coord = self._coordinator(u)
        record = self.rec.op(client=client, kind="write", node=coord or "", key=key, start=now)
        op_id = record["op_id"]
        record["value"] = op_id
        stamp: Stamp = (now, op_id)
        self.stamps[op_id] = stamp
        record["version"] = stamp
        if coord is None:
            self._fail(record)
            return
        targets = self._targets(coord, key, None if self.propagate else self.w)
        if len(targets) < self.w:
            self._fail(record)  # Unavailable: fewer than w replicas reachable
            return
        self.pending[op_id] = _Pending("write", record, coord, key, self.w, len(targets), stamp)
        for node, hint in targets:
            self._send(coord, node, "write", (op_id, key, stamp, hint), f"w{op_id}")

    def start_read(self, key: str, client: str, u: float | str) -> None:
        now = self.sim.now
        coord = self._coordinator(u)
        record = self.rec.op(client=client, kind="read", node=coord or "", key=key, value=None, start=now)
        if coord is None:
            self._fail(record)
            return
        targets = self._targets(coord, key, None)
        if len(targets) < self.r:
            self._fail(record)
            return
        op_id = record["op_id"]
        self.pending[op_id] = _Pending("read", record, coord, key, self.r, len(targets), None)
        for node, hint in targets:
            self._send(coord, node, "read", (op_id, key, hint), f"r{op_id}")

    def _late(self, op: _Pending) -> bool:
        return self.sim.now - op.start > self.timeout

    def _expire(self, op: _Pending, end: float = math.inf) -> None:
        deadline = op.start + self.timeout
        op.record["ok"] = False
        op.record["end"] = deadline if deadline <= end else math.nan

    # -- replica side ---------------------------------------------------------
    def _on_write(self, msg: Message) -> None:
        op_id, key, stamp, hint = msg.body
        node = msg.dst
        if hint:
            self.hints[node].setdefault((hint, key), []).append(stamp)
            self.hinted_writes += 1
            self.rec.version(self.sim.now, node, key, stamp[1], stamp, stamp[1], "hint")
        else:
            self._apply(node, key, stamp, "write")
        self._send(node, msg.src, "ack", (op_id,))

    def _on_read(self, msg: Message) -> None:
        op_id, key, hint = msg.body
        node = msg.dst
        if hint:
            held = [max(v) for (_, k), v in self.hints[node].items() if k == key and v]
            stamp = max(held) if held else None
        else:
            stamp = self.store[node].get(key)
        self._send(node, msg.src, "response", (op_id, stamp, bool(hint)))

    def _on_repair(self, msg: Message) -> None:
        key, stamp = msg.body
        self._apply(msg.dst, key, stamp, "repair")

    # -- coordinator side -----------------------------------------------------
    def _on_ack(self, msg: Message) -> None:
        op = self.pending.get(msg.body[0])
        if op is None or op.done or self._late(op):
            return
        op.replies.append(msg.src)
        if len(op.replies) >= op.need:
            op.done = True
            op.record["ok"] = True
            op.record["end"] = self.sim.now
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
        op.replies.append((msg.src, stamp, is_hint))
        if not op.done:
            self._complete_read(op)
        elif self.read_repair:
            self._repair_after(op, msg.src, stamp, is_hint)
        if len(op.replies) >= op.targets:
            del self.pending[op_id]

    def _complete_read(self, op: _Pending) -> None:
        """With ``r`` responses, the read returns the newest version; stale responders get repaired."""
        if len(op.replies) < op.need:
            return
        op.done = True
        best = max((s for _, s, _ in op.replies if s is not None), default=None)
        op.stamp = best
        op.record.update(ok=True, end=self.sim.now, version=best, value=None if best is None else best[1])
        if self.read_repair and best is not None:
            self._repair_older(op, op.replies, best)

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
        self._send(coord, node, "repair", (key, stamp), "repair")

    def _abort(self, node: str) -> None:
        """``node`` crashed: the operations it coordinated never complete."""
        for op_id in sorted(self.pending):
            op = self.pending[op_id]
            if op.coord == node:
                del self.pending[op_id]

    def finish(self, end: float) -> None:
        """Operations still waiting at the end timed out (or never completed)."""
        for op_id in sorted(self.pending):
            op = self.pending[op_id]
            if not op.done:
                self._expire(op, end)
        self.pending.clear()

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
        push = tuple((k, s) for k, s in self._items(node, ranges) if k not in theirs or theirs[k] < s)
        if push:
            self._send(node, msg.src, "ae-push", push, "push")

    def _on_push(self, msg: Message) -> None:
        for key, stamp in msg.body:
            if self._apply(msg.dst, key, stamp, "anti-entropy"):
                self.ae_repairs += 1
