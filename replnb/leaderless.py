"""Leaderless (Dynamo-style) replication: quorums, read repair, anti-entropy and sloppy quorums.

Every node accepts reads and writes. A cluster of ``nodes`` servers
(``"A"``, ``"B"``, ...) stores a handful of keys; each key lives on ``n``
*home replicas*, found by consistent hashing: the node names sit at evenly
spaced tokens on a ring of ``2**32`` positions, a key sits at
``replnb.rng.stable_hash(key)``, and its *preference list* is the nodes met
walking clockwise from it. The first ``n`` are the home replicas; the rest
are *fallback* nodes that a sloppy quorum may borrow.

The protocol, as in Dynamo, Riak and Cassandra:

**Write.** A client's request lands on a live node, the *coordinator*. It
stamps the write with a *version* ``(coordinator clock, op_id)``: clocks are
perfect in this chapter (skewed clocks are chapter 2's topic), so versions
order writes by the time they began, and the op id breaks ties.
Replicas keep the highest version they have seen (last-write-wins by that
version). The coordinator sends the write to every reachable home replica
and reports success after ``w`` acknowledgements. If fewer than ``w`` targets
are reachable it fails at once, as Cassandra's *Unavailable* error does;
if the ``w``-th acknowledgement does not arrive within ``timeout`` ms it
fails then. A failed write is not rolled back: replicas that received it
keep it.

**Read.** The coordinator asks every reachable home replica and returns the
newest version among the first ``r`` responses.

**Read repair** (``read_repair=True``). After a read has its ``r`` answers,
the coordinator sends the newest version it has seen to every responder
that answered with an older one, including responders that answer late.

**Anti-entropy** (``anti_entropy_interval``). Every interval each node
compares its data with the next peer (round robin over the nodes it shares
key ranges with). The key ranges are the ring segments; the digest is a
two-level Merkle tree: one CRC-32 (:func:`zlib.crc32`) per shared range and a
root CRC over those. When the roots differ, the peer sends its items in the
ranges whose hashes differ; the initiator keeps what is newer and pushes
back what the peer lacks.

**Sloppy quorum with hinted handoff** (``sloppy=True``). When a home
replica is unreachable, the coordinator sends its copy to the next
reachable fallback node of the key's preference list instead, with a
*hint* naming the home node; the fallback's acknowledgement counts toward
``w`` and the fallback answers reads for that home node. Every
``hint_interval`` ms each fallback looks for home nodes that are back and
hands their hinted versions off (until acknowledged), then deletes them.
Until then a recovered home node lacks those writes: a sloppy quorum is not
a quorum, and even ``r + w > n`` can read stale. As in Dynamo, a
substitute is used for every unreachable home replica, so a write finds
``w`` acknowledgements whenever ``w`` nodes of the whole preference list
are up.

**Propagation off** (``propagate=False``). The coordinator sends a write
to only ``w`` home replicas chosen uniformly at random among the reachable
ones: the *non-expanding* quorums of the PBS closed form
(:func:`replnb.pbs.stale_read_probability`). With read repair and
anti-entropy off too, a read is stale with probability
``C(n-w, r) / C(n, r)`` (unless a newer write is still in flight).

**Latency.** ``latency`` may be a PBS preset name (``"LNKD-SSD"``,
``"LNKD-DISK"``, ``"YMMR"``): then write requests draw from the ``W`` leg,
acknowledgements from ``A``, read requests from ``R`` and responses from
``S``, exactly as in the WARS model. Background messages that carry data
(repairs, anti-entropy pushes, handoffs) use ``W``, their acknowledgements
``A``, digests ``R`` and anti-entropy replies ``S``. A
:class:`~replnb.latency.Distribution` is used for every message; a number is
the mean, in ms, of an exponential delay.

**Faults.** ``failures=[(node, at, recover_at or None), ...]`` crash nodes
through :meth:`replnb.network.Network.crash`. Stored data (replica state and
hints) survives a crash, as on disk; a crashed coordinator's pending
operations never complete.

The metrics (see :mod:`replnb.metrics` for the definitions) are
``writes``, ``reads``, ``write_availability``, ``read_availability``,
``stale_reads``, ``stale_fraction``, ``lost_writes``, ``convergence_time``,
``hinted_writes``, ``hints_handed_off``, ``read_repairs``,
``anti_entropy_repairs``, ``write_latency_median`` and
``read_latency_median`` (ms, over successful operations). The ``version``
columns of ``run.ops`` and ``run.versions`` rank the versions of each key
(1 = the oldest write; a read that found no value returns version 0);
``run.ops`` also has ``stale`` and ``lost`` columns, and the ``value`` of a
write is its op id. Replica-state events are ``"write"``,
``"repair"``, ``"anti-entropy"``, ``"handoff"`` (home replicas) and
``"hint"`` (a fallback storing a hint).
"""

from __future__ import annotations

import math
import zlib
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from functools import cached_property, partial
from typing import Any

import numpy as np
import pandas as pd

from . import metrics
from .latency import PRESETS, Distribution, Sampler, exponential
from .network import Message, Network, node_names
from .pbs import stale_read_probability
from .records import OP_COLUMNS, Recorder, Run, frame
from .rng import Seed, as_rng, stable_hash
from .sim import Simulation

__all__ = [
    "CONSISTENCY_LEVELS",
    "LeaderlessRun",
    "closed_form_check",
    "expected_stale_reads",
    "home_replicas",
    "lagging_replicas",
    "level_name",
    "level_size",
    "preference_list",
    "quorum_grid",
    "read_ages",
    "simulate",
]

#: Cassandra's consistency levels offered as presets for R and W.
CONSISTENCY_LEVELS = ("ONE", "QUORUM", "ALL")

_RING = 1 << 32
_MAX_NODES = 26

Stamp = tuple[float, int]


# ---------------------------------------------------------------------------
# consistency levels and placement


def level_size(level: str, n: int) -> int:
    """The quorum size of a Cassandra consistency level for ``n`` replicas.

    ``ONE`` is 1, ``QUORUM`` a majority (``n // 2 + 1``) and ``ALL`` is ``n``.

    Examples
    --------
    >>> [level_size(level, 5) for level in CONSISTENCY_LEVELS]
    [1, 3, 5]
    """
    n = _check_int("n", n, 1, _MAX_NODES)
    if level == "ONE":
        return 1
    if level == "QUORUM":
        return n // 2 + 1
    if level == "ALL":
        return n
    raise ValueError(f"level must be one of {list(CONSISTENCY_LEVELS)}, got {level!r}")


def level_name(size: int, n: int, prefer: str | None = None) -> str:
    """The consistency level whose quorum size is ``size``, or ``"custom"``.

    When several levels match (for ``n`` <= 2), ``prefer`` wins if it is one
    of them; otherwise the first of ``ONE``, ``QUORUM``, ``ALL``.

    Examples
    --------
    >>> level_name(2, 3), level_name(3, 3), level_name(2, 4)
    ('QUORUM', 'ALL', 'custom')
    >>> level_name(1, 1), level_name(1, 1, prefer="ALL")
    ('ONE', 'ALL')
    """
    matches = [level for level in CONSISTENCY_LEVELS if level_size(level, n) == size]
    if prefer in matches:
        return str(prefer)
    return matches[0] if matches else "custom"


def _names(nodes: int | Sequence[str]) -> list[str]:
    if isinstance(nodes, int):
        return node_names(_check_int("nodes", nodes, 1, _MAX_NODES))
    return list(nodes)


def _primary_index(key: str, m: int) -> int:
    tokens = [(i + 1) * _RING // m - 1 for i in range(m)]
    return bisect_left(tokens, stable_hash(key))


def preference_list(key: str, nodes: int | Sequence[str]) -> list[str]:
    """Every node in the order a key's requests try them (consistent hashing).

    The nodes sit at evenly spaced tokens on a ring of ``2**32`` positions;
    the key sits at ``stable_hash(key)``; the list starts at the first node
    clockwise from the key and goes round the ring.

    Examples
    --------
    >>> preference_list("k0", 5)
    ['E', 'A', 'B', 'C', 'D']
    """
    names = _names(nodes)
    first = _primary_index(key, len(names))
    return names[first:] + names[:first]


def home_replicas(key: str, n: int, nodes: int | Sequence[str] | None = None) -> list[str]:
    """The ``n`` home replicas of ``key`` in a cluster of ``nodes`` (default ``n``).

    Examples
    --------
    >>> home_replicas("k0", 3, 5)
    ['E', 'A', 'B']
    """
    n = _check_int("n", n, 1, _MAX_NODES)
    names = _names(n if nodes is None else nodes)
    if n > len(names):
        raise ValueError(f"n must be an integer in 1..{len(names)} (the cluster size), got {n}")
    return preference_list(key, names)[:n]


def quorum_grid(n: int) -> pd.DataFrame:
    """The closed-form stale-read probability for every (R, W) with ``n`` replicas.

    Rows are ``R`` = 1..n, columns ``W`` = 1..n; each cell is
    :func:`replnb.pbs.stale_read_probability` (0 wherever ``R + W > n``).

    Examples
    --------
    >>> quorum_grid(3).round(3).values.tolist()
    [[0.667, 0.333, 0.0], [0.333, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    n = _check_int("n", n, 1, _MAX_NODES)
    sizes = range(1, n + 1)
    data = [[stale_read_probability(n, r, w) for w in sizes] for r in sizes]
    return pd.DataFrame(data, index=pd.Index(sizes, name="R"), columns=pd.Index(sizes, name="W"))


# ---------------------------------------------------------------------------
# validation


def _check_int(name: str, value: object, low: int, high: int, high_text: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in {low}..{high_text or high}, got {value!r}")
    return int(value)


def _check_float(name: str, value: object, low: float, *, strict: bool = False, finite: bool = True) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    ok = (x > low if strict else x >= low) and (math.isfinite(x) or not finite)
    if isinstance(value, bool) or not ok:
        op = ">" if strict else ">="
        raise ValueError(f"{name} must be a number {op} {low:g}, got {value!r}")
    return x


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


def _resolve_latency(latency: object) -> dict[str, Distribution]:
    if isinstance(latency, str):
        if latency not in PRESETS:
            raise ValueError(f"latency preset must be one of {sorted(PRESETS)}, got {latency!r}")
        return dict(PRESETS[latency])
    if isinstance(latency, Distribution):
        return dict.fromkeys("WARS", latency)
    if isinstance(latency, Mapping):
        legs = {str(k): v for k, v in latency.items()}
        if sorted(legs) == ["A", "R", "S", "W"] and all(isinstance(d, Distribution) for d in legs.values()):
            return legs
    elif isinstance(latency, (int, float, np.integer, np.floating)) and not isinstance(latency, bool):
        mean = _check_float("latency", latency, 0.0, strict=True)
        return dict.fromkeys("WARS", exponential(mean=mean))
    raise ValueError(
        f"latency must be a preset name in {sorted(PRESETS)}, a replnb.latency.Distribution, "
        f"a mean delay in ms (> 0) or a mapping of the legs 'W', 'A', 'R', 'S', got {latency!r}"
    )


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


class _Cluster:
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
        m = len(names)
        self.pref = {k: preference_list(k, names) for k in keys}
        self.home = {k: p[:n] for k, p in self.pref.items()}
        self.range_of = {k: _primary_index(k, m) for k in keys}
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
        self.next_peer = dict.fromkeys(names, 0)
        self.store: dict[str, dict[str, Stamp]] = {name: {} for name in names}
        self.hints: dict[str, dict[tuple[str, str], list[Stamp]]] = {name: {} for name in names}
        self.pending: dict[int, _Pending] = {}
        self.stamps: dict[int, Stamp] = {}
        self.hinted_writes = 0
        self.handed_off = 0
        self.read_repairs = 0
        self.ae_repairs = 0
        self.handlers = {
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
            if len(op.replies) < op.need:
                return
            op.done = True
            best = max((s for _, s, _ in op.replies if s is not None), default=None)
            op.stamp = best
            op.record.update(ok=True, end=self.sim.now, version=best, value=None if best is None else best[1])
            if self.read_repair and best is not None:
                for node, s, hinted in op.replies:
                    if not hinted and (s is None or s < best):
                        self._repair(op.coord, node, op.key, best)
        elif self.read_repair:
            best = op.stamp
            if stamp is not None and (best is None or stamp > best):
                op.stamp = stamp
                for node, s, hinted in op.replies[:-1]:
                    if not hinted and (s is None or s < stamp):
                        self._repair(op.coord, node, op.key, stamp)
            elif best is not None and not is_hint and (stamp is None or stamp < best):
                self._repair(op.coord, msg.src, op.key, best)
        if len(op.replies) >= op.targets:
            del self.pending[op_id]

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


class LeaderlessRun(Run):
    """A :class:`~replnb.records.Run` whose ``ops`` also mark ``stale`` reads and ``lost`` writes."""

    @cached_property
    def ops(self) -> pd.DataFrame:
        """Client operations, with boolean ``stale`` and ``lost`` columns."""
        df = frame(self.recorder.ops, OP_COLUMNS)
        # values are op ids (ints) or None: keep them as Python objects, not floats
        df["value"] = pd.Series([op["value"] for op in self.recorder.ops], index=df.index, dtype=object)
        df["stale"] = False
        df["lost"] = False
        if len(df):
            df["ok"] = df["ok"].astype(bool)
            stale = metrics.stale_reads(df)
            df.loc[stale.index, "stale"] = stale.to_numpy(dtype=bool)
            lost = metrics.lost_writes(df, self.extras["survivors"])
            df.loc[lost.index, "lost"] = lost.to_numpy(dtype=bool)
        return df


def _metrics(run: Run) -> dict[str, Any]:
    ops = run.ops
    writes = ops[ops["kind"] == "write"]
    reads = ops[ops["kind"] == "read"]
    done_reads = int(reads["ok"].sum())
    stale = int(reads["stale"].sum())
    x = run.extras
    acked = writes[writes["ok"]]
    done = reads[reads["ok"]]
    return {
        "writes": len(writes),
        "reads": len(reads),
        "write_availability": float(writes["ok"].mean()) if len(writes) else math.nan,
        "read_availability": float(reads["ok"].mean()) if len(reads) else math.nan,
        "stale_reads": stale,
        "stale_fraction": stale / done_reads if done_reads else math.nan,
        "lost_writes": int(writes["lost"].sum()),
        "convergence_time": _convergence(run),
        "hinted_writes": x["hinted_writes"],
        "hints_handed_off": x["hints_handed_off"],
        "read_repairs": x["read_repairs"],
        "anti_entropy_repairs": x["anti_entropy_repairs"],
        "write_latency_median": metrics.percentile(acked["end"] - acked["start"], 50),
        "read_latency_median": metrics.percentile(done["end"] - done["start"], 50),
    }


def _convergence(run: Run) -> float:
    ops = run.ops
    acked = ops[(ops["kind"] == "write") & ops["ok"]]
    since = max(float(acked["end"].max()) if len(acked) else 0.0, run.extras["last_fault_end"])
    versions = run.versions
    versions = versions[versions["event"] != "hint"]
    by_key = dict(list(versions.groupby("key", sort=True))) if len(versions) else {}
    final = run.final_state
    live = set(run.extras["live"])
    worst = 0.0
    for key in sorted(by_key):
        nodes = [h for h in run.extras["home"][key] if h in live]
        v = by_key[key]
        worst = max(
            worst,
            metrics.convergence_time(v[v["node"].isin(nodes)], final.loc[nodes, [key]], nodes, since),
        )
    return worst


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
    read_repair: bool = True,
    anti_entropy_interval: float | None = None,
    sloppy: bool = False,
    hint_interval: float = 100.0,
    propagate: bool = True,
    failures: Sequence[tuple[str, float, float | None]] = (),
    latency: str | float | Distribution | Mapping[str, Distribution] = "LNKD-DISK",
    script: Sequence[tuple[float, str, str, str]] | None = None,
    seed: Seed = 0,
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
        Writes and reads per second over the whole cluster, >= 0.
    duration : float, default 1000
        How long clients issue operations, in ms (> 0).
    writes_until : float, optional
        Writes stop at this time (ms, in ``(0, duration]``; default
        ``duration``), so that what happens after the last write can be watched.
    settle : float, optional
        Extra time simulated after ``duration``, in ms (default ``timeout``).
    timeout : float, default 1000
        A coordinator gives up on an operation after this many ms (> 0).
    read_repair : bool, default True
        Push the newest version to responders that answered with an older one.
    anti_entropy_interval : float or None
        Every this many ms each node syncs with one peer by Merkle digest
        (``None``: no anti-entropy).
    sloppy : bool, default False
        Sloppy quorum with hinted handoff.
    hint_interval : float, default 100
        Fallbacks try to hand hints off this often, in ms (> 0).
    propagate : bool, default True
        ``False``: writes go to only ``w`` random home replicas
        (non-expanding quorums, the PBS closed form).
    failures : sequence of (node, at, recover_at or None)
        Crash ``node`` at ``at`` ms and bring it back at ``recover_at``.
    latency : str, float, Distribution or mapping, default "LNKD-DISK"
        A PBS preset name, a mean delay in ms (exponential), one
        distribution for every message, or a mapping of the WARS legs.
    script : sequence of (time, kind, key, node), optional
        A scripted workload instead of the random one: at ``time`` ms, a
        ``"write"`` or ``"read"`` of ``key`` arrives at coordinator ``node``
        (it fails if that node is down). Writes write their op id as the
        value. ``keys``, ``clients`` and the rates are then ignored.
    seed : int, numpy.random.Generator or None, default 0
        Same seed, same run.

    Returns
    -------
    LeaderlessRun
        ``run.ops`` (with ``stale`` and ``lost``), ``run.messages``,
        ``run.versions``, ``run.events``, ``run.final_state`` (home replicas'
        values; ``None`` elsewhere) and ``run.metrics``. ``run.extras`` holds
        ``home`` (each key's home replicas), ``survivors``, ``live``,
        ``last_fault_end`` and the counters.

    Raises
    ------
    ValueError
        For a parameter outside its range (for example ``r > n``), an
        unknown latency preset or a bad failure.

    Examples
    --------
    >>> run = simulate(n=3, r=2, w=2, seed=1)
    >>> int(run.metrics["stale_reads"]), float(run.metrics["write_availability"])
    (0, 1.0)
    >>> partial = simulate(n=3, r=1, w=1, read_repair=False, seed=1)
    >>> int(partial.metrics["stale_reads"]) > 0
    True
    >>> simulate(n=3, r=4)
    Traceback (most recent call last):
    ...
    ValueError: r must be an integer in 1..n=3, got 4
    """
    n = _check_int("n", n, 1, _MAX_NODES)
    r = _check_int("r", r, 1, n, f"n={n}")
    w = _check_int("w", w, 1, n, f"n={n}")
    m = min(n + 2, _MAX_NODES) if nodes is None else _check_int("nodes", nodes, n, _MAX_NODES)
    n_keys = _check_int("keys", keys, 1, 1000)
    n_clients = _check_int("clients", clients, 1, 100)
    write_rate = _check_float("write_rate", write_rate, 0.0)
    read_rate = _check_float("read_rate", read_rate, 0.0)
    duration = _check_float("duration", duration, 0.0, strict=True)
    timeout = _check_float("timeout", timeout, 0.0, strict=True)
    settle = timeout if settle is None else _check_float("settle", settle, 0.0)
    write_end = (
        duration if writes_until is None else _check_float("writes_until", writes_until, 0.0, strict=True)
    )
    if write_end > duration:
        raise ValueError(f"writes_until must be in (0, duration={duration:g}] ms, got {writes_until!r}")
    hint_interval = _check_float("hint_interval", hint_interval, 0.0, strict=True)
    if anti_entropy_interval is not None:
        anti_entropy_interval = _check_float("anti_entropy_interval", anti_entropy_interval, 0.0, strict=True)
    for name, flag in (("read_repair", read_repair), ("sloppy", sloppy), ("propagate", propagate)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False, got {flag!r}")
    legs = _resolve_latency(latency)
    names = node_names(m)
    faults = _check_failures(failures, names)

    rng = as_rng(seed)
    end = duration + settle
    # The workload is drawn first, so switches that change the message
    # traffic (read repair, anti-entropy, ...) see the same operations.
    ops: list[tuple[float, str, str, str, float | str]] = []
    if script is not None:
        ops = _check_script(script, names)
        key_names = sorted({op[2] for op in ops})
    else:
        key_names = [f"k{i}" for i in range(n_keys)]
        for kind, rate, until in (("write", write_rate, write_end), ("read", read_rate, duration)):
            count = int(rng.poisson(rate * until / 1000.0))
            times = np.sort(rng.uniform(0.0, until, count))
            which = rng.integers(0, n_keys, count)
            who = rng.integers(0, n_clients, count)
            pick = rng.random(count)
            ops += [
                (float(t), kind, key_names[k], f"c{c}", float(u))
                for t, k, c, u in zip(
                    times.tolist(), which.tolist(), who.tolist(), pick.tolist(), strict=True
                )
            ]
    ops.sort(key=lambda op: (op[0], op[1]))
    run_rng = np.random.default_rng(int(rng.integers(0, 2**63 - 1)))

    sim = Simulation()
    rec = Recorder()
    net = Network(sim, names, latency=legs["R"], seed=run_rng, recorder=rec)
    cluster = _Cluster(
        sim,
        net,
        rec,
        names=names,
        keys=key_names,
        n=n,
        r=r,
        w=w,
        read_repair=bool(read_repair),
        sloppy=bool(sloppy),
        propagate=bool(propagate),
        timeout=timeout,
        legs=legs,
        rng=run_rng,
    )
    for node, at, back in faults:
        net.crash(node, at, back)
    for t, kind, key, client, u in ops:
        start = cluster.start_write if kind == "write" else cluster.start_read
        sim.at(t, start, key, client, u)
    if anti_entropy_interval is not None:
        for i, node in enumerate(names):
            offset = anti_entropy_interval * (i + 1) / m
            sim.every(anti_entropy_interval, cluster.ae_tick, node, start=offset, until=end)
    if sloppy:
        sim.every(hint_interval, cluster.hint_tick, start=hint_interval, until=end)
    sim.run(until=end)
    cluster.finish(end)

    live = [x for x in names if net.is_up(x)]
    survivors = _rank_versions(rec, cluster, key_names, live)
    final = {x: {k: cluster.store[x][k][1] for k in key_names if k in cluster.store[x]} for x in names}
    params = {
        "n": n,
        "r": r,
        "w": w,
        "nodes": m,
        "keys": len(key_names),
        "clients": n_clients,
        "write_rate": write_rate,
        "read_rate": read_rate,
        "duration": duration,
        "writes_until": write_end,
        "settle": settle,
        "timeout": timeout,
        "read_repair": bool(read_repair),
        "anti_entropy_interval": anti_entropy_interval,
        "sloppy": bool(sloppy),
        "hint_interval": hint_interval,
        "propagate": bool(propagate),
        "failures": tuple(faults),
        "script": None if script is None else tuple((op[0], op[1], op[2], op[4]) for op in ops),
        "latency": latency if isinstance(latency, str) else repr(latency),
        "seed": seed if not isinstance(seed, np.random.Generator) else "Generator",
    }
    extras = {
        "home": dict(cluster.home),
        "survivors": survivors,
        "live": live,
        "last_fault_end": net.last_fault_end,
        "hinted_writes": cluster.hinted_writes,
        "hints_handed_off": cluster.handed_off,
        "pending_hints": sum(len(v) for hs in cluster.hints.values() for v in hs.values()),
        "read_repairs": cluster.read_repairs,
        "anti_entropy_repairs": cluster.ae_repairs,
    }
    return LeaderlessRun(
        model="leaderless",
        params=params,
        nodes=names,
        recorder=rec,
        final_state=final,
        metrics=_metrics,
        end_time=end,
        extras=extras,
    )


def _check_failures(failures: object, names: list[str]) -> list[tuple[str, float, float | None]]:
    out = []
    if isinstance(failures, (str, bytes)) or not isinstance(failures, Sequence):
        raise ValueError(f"failures must be a sequence of (node, at, recover_at or None), got {failures!r}")
    for item in failures:
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) not in (2, 3):
            raise ValueError(f"each failure must be (node, at, recover_at or None), got {item!r}")
        node, at = item[0], item[1]
        back = item[2] if len(item) == 3 else None
        if node not in names:
            raise ValueError(f"failure node must be one of {names}, got {node!r}")
        at = _check_float("failure time 'at'", at, 0.0)
        if back is not None:
            back = _check_float("failure 'recover_at'", back, 0.0)
            if not back > at:
                raise ValueError(f"failure 'recover_at' must be > at ({at:g} ms), got {back!r}")
        out.append((str(node), at, back))
    return out


def _check_script(script: object, names: list[str]) -> list[tuple[float, str, str, str, float | str]]:
    if isinstance(script, (str, bytes)) or not isinstance(script, Sequence):
        raise ValueError(f"script must be a sequence of (time, kind, key, node), got {script!r}")
    ops: list[tuple[float, str, str, str, float | str]] = []
    for item in script:
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 4:
            raise ValueError(f"each script entry must be (time, kind, key, node), got {item!r}")
        time, kind, key, node = item
        time = _check_float("script time", time, 0.0)
        if kind not in ("write", "read"):
            raise ValueError(f"script kind must be 'write' or 'read', got {kind!r}")
        if not isinstance(key, str) or not key:
            raise ValueError(f"script key must be a non-empty string, got {key!r}")
        if node not in names:
            raise ValueError(f"script node must be one of {names}, got {node!r}")
        ops.append((time, kind, key, "c0", node))
    if not ops:
        raise ValueError("script must hold at least one operation")
    return ops


def _rank_versions(
    rec: Recorder, cluster: _Cluster, keys: list[str], live: list[str]
) -> dict[str, int | None]:
    """Replace version stamps by per-key ranks (1 = oldest); return each key's surviving op_id."""
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
    survivors: dict[str, int | None] = {}
    for key in keys:
        held = [cluster.store[x][key] for x in live if key in cluster.store[x]]
        held += [max(v) for x in live for (_, k), v in cluster.hints[x].items() if k == key and v]
        survivors[key] = max(held)[1] if held else None
    return survivors


def lagging_replicas(run: Run) -> pd.DataFrame:
    """How many home replicas are behind, over time (the convergence curve).

    A (key, home replica) pair *lags* while the replica holds a version older
    than the newest acknowledged write of the key (the same yardstick as a
    stale read). Crashed replicas count too: they miss writes.

    Returns
    -------
    pandas.DataFrame
        A step function with columns ``time`` (ms), ``lagging`` (pairs) and
        ``fraction`` (of all ``keys * n`` pairs); each value holds from its
        time until the next row. The first row is at time 0.

    Examples
    --------
    >>> run = simulate(n=3, r=1, w=1, keys=1, write_rate=20, read_rate=0, duration=200,
    ...                read_repair=False, seed=3)
    >>> lag = lagging_replicas(run)
    >>> float(lag["fraction"].iloc[0]), float(lag["fraction"].iloc[-1])
    (0.0, 0.0)
    >>> bool(lag["fraction"].max() > 0)
    True
    """
    ops = run.ops
    home: Mapping[str, Sequence[str]] = run.extras["home"]
    acked = ops[(ops["kind"] == "write") & ops["ok"].astype(bool)]
    versions = run.versions
    versions = versions[versions["event"] != "hint"]
    events: list[tuple[float, int, str, str, int]] = [
        (float(t), 0, k, "", int(v))
        for t, k, v in zip(acked["end"], acked["key"], acked["version"], strict=True)
    ]
    events += [
        (float(t), 1, k, x, int(v))
        for t, x, k, v in zip(
            versions["time"], versions["node"], versions["key"], versions["version"], strict=True
        )
        if x in home[k]
    ]
    events.sort()
    newest: dict[str, int] = {}
    held: dict[tuple[str, str], int] = {}
    lagging = 0
    times, counts = [0.0], [0]
    for t, is_apply, key, node, version in events:
        pairs = [(key, x) for x in home[key]]
        before = sum(held.get(p, 0) < newest.get(key, 0) for p in pairs)
        if is_apply:
            held[(key, node)] = max(held.get((key, node), 0), version)
        else:
            newest[key] = max(newest.get(key, 0), version)
        lagging += sum(held.get(p, 0) < newest.get(key, 0) for p in pairs) - before
        if times[-1] == t:
            counts[-1] = lagging
        else:
            times.append(t)
            counts.append(lagging)
    total = len(home) * int(run.params["n"])
    return pd.DataFrame(
        {
            "time": np.array(times, dtype=float),
            "lagging": np.array(counts, dtype=int),
            "fraction": np.array(counts, dtype=float) / total,
        }
    )


def read_ages(run: Run) -> pd.DataFrame:
    """For each completed read, the time since the newest write before it was acknowledged.

    This is the ``t`` of PBS t-visibility: a read that starts ``age`` ms
    after the newest acknowledged write committed, and whether it was stale.
    Reads with no acknowledged write before them are left out.

    Returns
    -------
    pandas.DataFrame
        Columns ``op_id``, ``key``, ``start``, ``age`` (ms), ``version`` (the
        newest acknowledged version of the key when the read began),
        ``in_flight`` (another write of the key had begun but was not yet
        acknowledged or failed when the read began: the read may see it) and
        ``stale``.

    Examples
    --------
    >>> ages = read_ages(simulate(n=3, r=1, w=1, seed=2))
    >>> bool((ages["age"] > 0).all()), list(ages.columns)
    (True, ['op_id', 'key', 'start', 'age', 'version', 'in_flight', 'stale'])
    """
    ops = run.ops
    reads = ops[(ops["kind"] == "read") & ops["ok"].astype(bool)]
    acked = ops[(ops["kind"] == "write") & ops["ok"].astype(bool)]
    columns = ["op_id", "key", "start", "age", "version", "in_flight", "stale"]
    if reads.empty or acked.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    w = acked[["key", "end", "version"]].astype({"end": float, "version": float}).sort_values("end")
    w = w.assign(newest=w.groupby("key")["version"].cummax())
    # the commit time of the newest version: the ack of the write that has it
    commit = w[w["version"] == w["newest"]][["key", "end", "newest"]].rename(columns={"end": "commit"})
    r = reads[["op_id", "key", "start", "stale"]].astype({"start": float}).sort_values("start")
    merged = pd.merge_asof(
        r, commit, left_on="start", right_on="commit", by="key", allow_exact_matches=False
    ).dropna(subset=["commit"])
    merged = merged.assign(age=merged["start"] - merged["commit"], version=merged["newest"].astype(int))
    merged = merged.sort_values("op_id").reset_index(drop=True)
    writes = ops[ops["kind"] == "write"]
    in_flight = np.zeros(len(merged), dtype=bool)
    for key, group in merged.groupby("key", sort=True):
        wk = writes[writes["key"] == key]
        began = wk["start"].to_numpy(dtype=float)
        ended = wk["end"].to_numpy(dtype=float)
        ended = np.where(np.isnan(ended), np.inf, ended)
        t = group["start"].to_numpy(dtype=float)[:, None]
        in_flight[group.index.to_numpy()] = ((began[None, :] < t) & (ended[None, :] > t)).any(axis=1)
    merged["in_flight"] = in_flight
    return merged[columns]


def closed_form_check(
    cases: Sequence[tuple[int, int, int]] = (
        (3, 1, 1),
        (3, 1, 2),
        (3, 2, 1),
        (5, 1, 1),
        (5, 2, 2),
        (5, 1, 3),
    ),
    *,
    reads: int = 3000,
    seed: Seed = 0,
) -> pd.DataFrame:
    """The stale fraction of simulated non-expanding quorums next to the closed form.

    For each ``(n, r, w)`` the simulation runs with ``propagate=False``, no
    read repair and no anti-entropy, one key, writes every 100 ms on average
    and about ``reads`` reads, exponential delays with a 1 ms mean. Reads
    before the first acknowledged write are left out, and so are reads that
    began while another write was in flight (they may see that newer write,
    which the formula does not count). ``z`` is the difference in standard
    errors, ``sqrt(p (1 - p) / reads)``: given the write quorum, each read
    misses it independently, so ``|z|`` is rarely above 3.

    Returns
    -------
    pandas.DataFrame
        Columns ``n, r, w, closed_form, simulated, reads, std_error, z``.

    Examples
    --------
    >>> df = closed_form_check([(3, 1, 1), (3, 2, 2)], reads=500)
    >>> df[["n", "r", "w", "closed_form"]].round(3).values.tolist()
    [[3.0, 1.0, 1.0, 0.667], [3.0, 2.0, 2.0, 0.0]]
    >>> bool((df["z"].abs() < 4).all())
    True
    """
    reads = _check_int("reads", reads, 1, 10**7)
    rng = as_rng(seed)
    rows = []
    for n, r, w in cases:
        p = stale_read_probability(n, r, w)
        duration = 1000.0 * max(1.0, reads / 1000.0)
        run = simulate(
            n=n,
            r=r,
            w=w,
            keys=1,
            write_rate=10.0,
            read_rate=reads / duration * 1000.0,
            duration=duration,
            settle=50.0,
            timeout=50.0,
            read_repair=False,
            propagate=False,
            latency=1.0,
            seed=int(rng.integers(0, 2**31)),
        )
        ages = read_ages(run)
        ages = ages[~ages["in_flight"].astype(bool)]
        count = len(ages)
        simulated = float(ages["stale"].mean()) if count else math.nan
        se = math.sqrt(p * (1 - p) / count) if count else math.nan
        z = (simulated - p) / se if se > 0 else (0.0 if simulated == p else math.inf)
        rows.append((n, r, w, p, simulated, count, se, z))
    return pd.DataFrame(rows, columns=["n", "r", "w", "closed_form", "simulated", "reads", "std_error", "z"])


def expected_stale_reads(run: Run, *, trials: int = 100_000, seed: Seed = 0) -> pd.Series:
    """The stale reads of a run next to what the PBS WARS model predicts for it.

    Each completed read that follows an acknowledged write is a PBS read
    ``t`` ms after the commit (its ``age``, see :func:`read_ages`), stale
    with probability ``1 - t_visibility(n, r, w, t)``. Summing over the reads
    gives the expected number of stale reads. The model has one write at a
    time, so reads that began while a newer write was in flight (which they
    may see) are left out. Reads after the same write share its delays and
    are not independent, so ``std`` is cluster-robust: the square root of
    the sum, over writes, of the squared difference between the stale reads
    after that write and their expected number (or the binomial standard
    deviation, if that is larger, as it is when stale reads are rare).

    Parameters
    ----------
    run : Run
        A :func:`simulate` run whose ``latency`` was a PBS preset name.
    trials, seed
        As in :func:`replnb.pbs.t_visibility`.

    Returns
    -------
    pandas.Series
        ``reads``, ``observed``, ``expected``, ``std`` and ``z``.

    Examples
    --------
    >>> run = simulate(r=1, w=1, keys=1, write_rate=20, read_rate=500, read_repair=False, seed=1)
    >>> check = expected_stale_reads(run, trials=20_000)
    >>> bool(abs(check["z"]) < 4)
    True
    """
    from .pbs import t_visibility

    latency = run.params.get("latency")
    if not isinstance(latency, str) or latency not in PRESETS:
        raise ValueError(f"run latency must be one of the PBS presets {sorted(PRESETS)}, got {latency!r}")
    if not run.params.get("propagate", True):
        raise ValueError("run must propagate writes (propagate=True): PBS models expanding quorums")
    ages = read_ages(run)
    ages = ages[~ages["in_flight"].astype(bool)]
    n, r, w = (int(run.params[k]) for k in ("n", "r", "w"))
    p = t_visibility(n, r, w, ages["age"].to_numpy(dtype=float), latency=latency, trials=trials, seed=seed)
    residual = ages["stale"].astype(float).to_numpy() - (1 - p)
    per_write = pd.Series(residual).groupby([ages["key"].to_numpy(), ages["version"].to_numpy()]).sum()
    expected = float((1 - p).sum())
    std = float(np.sqrt(max((per_write**2).sum(), (p * (1 - p)).sum())))
    observed = int(ages["stale"].sum())
    z = (observed - expected) / std if std > 0 else (0.0 if observed == expected else math.inf)
    return pd.Series(
        {"reads": len(ages), "observed": observed, "expected": expected, "std": std, "z": z},
        name=f"N={n} R={r} W={w} {latency}",
    )
