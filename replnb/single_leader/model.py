"""The single-leader replication model: nodes, the leader's log, clients, failover."""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..engine.geography import Geography
from ..engine.latency import Distribution, constant, exponential, uniform
from ..engine.network import Message, Network, node_names
from ..engine.rng import Seed, as_rng
from ..engine.sim import Simulation
from ..records import Recorder, Run
from .faults import Faults
from .verdicts import annotate

__all__ = ["DISTRIBUTIONS", "KEYS", "MODES", "OP_FIELDS", "READ_FROM", "Entry", "SingleLeader", "epoch_name"]

#: Replication modes: when the leader acknowledges a write.
MODES = ("sync", "semi-sync", "async")
#: Read routing policies.
READ_FROM = ("leader", "any", "sticky", "read-your-writes")
#: Shapes of the replication delay (all with mean ``replication_delay``).
DISTRIBUTIONS = ("uniform", "exponential", "constant")
#: Key names, in the order they are handed out.
KEYS = tuple("xyzwvutsrqponmlkjihgfedcba")

OP_FIELDS = {"time", "client", "kind", "key", "value", "node"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a replication log: write ``key = value`` as ``version``.

    ``index`` is the position in the log (from 1), ``epoch`` the leadership
    epoch in which the entry was created, ``op_id`` the client operation.

    Examples
    --------
    >>> Entry(index=1, epoch=1, key="x", value=7, version=1, op_id=0).key
    'x'
    """

    index: int
    epoch: int
    key: str
    value: Hashable
    version: int
    op_id: int


@dataclass(frozen=True, slots=True)
class _Append:
    """Replication message body: ``entry``, sent by the leader of ``epoch``."""

    epoch: int
    entry: Entry


class _Node:
    __slots__ = (
        "buffer",
        "counts",
        "epoch",
        "followers",
        "leader",
        "log",
        "match",
        "name",
        "pending",
        "role",
        "state",
        "suspected",
        "synced",
    )

    def __init__(self, name: str, role: str, leader: str | None, followers: list[str]) -> None:
        self.name = name
        self.role = role
        self.epoch = 1
        self.leader = leader
        self.log: list[Entry] = []
        self.counts: dict[str, int] = {}  # entries of each leader epoch in the log (its version vector)
        self.state: dict[str, Entry] = {}
        self.buffer: dict[int, Entry] = {}
        self.followers = followers
        self.match: dict[str, int] = {}
        self.pending: dict[int, tuple[_Client, dict[str, Any], tuple[str, ...]]] = {}
        self.synced = set(followers)  # followers the leader streams its log to
        self.suspected: set[str] = set()  # followers the leader has not reached for detection_timeout


class _Client:
    __slots__ = ("followers", "index", "keys", "last_write", "leader", "name", "route", "sticky", "work")

    def __init__(
        self, name: str, index: int, leader: str, followers: tuple[str, ...], seeds: Sequence[Any]
    ) -> None:
        self.name = name
        self.index = index
        self.leader = leader
        self.followers = followers
        self.keys: tuple[str, ...] = ()
        self.last_write = -math.inf
        self.sticky: str | None = None
        self.work = np.random.default_rng(seeds[0])
        self.route = np.random.default_rng(seeds[1])


def epoch_name(epoch: int) -> str:
    """The name of a leader epoch in dots and version vectors: ``"e1"``, ``"e2"``, ...

    Examples
    --------
    >>> epoch_name(2)
    'e2'
    """
    return f"e{epoch}"


def _counts(log: Sequence[Entry]) -> dict[str, int]:
    """How many entries of each leader epoch ``log`` holds (the log's version vector)."""
    counts: dict[str, int] = {}
    for entry in log:
        name = epoch_name(entry.epoch)
        counts[name] = counts.get(name, 0) + 1
    return counts


def _append(node: _Node, entry: Entry) -> None:
    node.log.append(entry)
    name = epoch_name(entry.epoch)
    node.counts[name] = node.counts.get(name, 0) + 1


def _delay(shape: str, mean: float) -> Distribution:
    if shape == "constant":
        return constant(mean)
    if shape == "uniform":
        return uniform(0.5 * mean, 1.5 * mean)
    return exponential(mean=mean)


# -- the model ------------------------------------------------------------------
class SingleLeader:
    """One single-leader replication run: build it, :meth:`run` it, collect its :meth:`result`.

    ``p`` holds the checked parameters of :func:`replnb.single_leader.simulate`
    (``stale_clients`` already within the number of clients), ``script`` the
    checked, time-sorted scripted operations or ``None`` for the random
    workload.

    Examples
    --------
    >>> from replnb.single_leader import simulate
    >>> model = SingleLeader(simulate(duration=50).params, None, seed=0)
    >>> model.run()
    >>> model.result({}).metrics["writes"] > 0
    True
    """

    def __init__(
        self,
        p: dict[str, Any],
        script: list[dict[str, Any]] | None,
        seed: Seed,
        faults: Faults | None = None,
        geo: Geography | None = None,
    ) -> None:
        self.p = p
        self.faults = faults if faults is not None else Faults()
        self.geo = geo if geo is not None else Geography()
        self.mode: str = p["mode"]
        self.read_from: str = p["read_from"]
        self.fencing: bool = p["fencing"]
        self.client_latency: float = p["client_latency"]
        self.client_timeout: float = p["client_timeout"]
        self.duration: float = p["duration"]
        root = as_rng(seed)
        entropy = [int(x) for x in root.integers(0, 2**63 - 1, size=2)]
        self.sim = Simulation()
        self.rec = Recorder()
        self.names = node_names(p["followers"] + 1)
        self._build_network(entropy[0])
        self.leader = self.names[0]
        self.epoch = 1
        self.versions: dict[str, int] = {}
        self.accepted_at: dict[int, float] = {}
        self.crash_time: dict[str, float] = {}
        self.lag: list[tuple[float, str, float, int]] = []
        self.unavailable_ms = 0.0
        self.unavailable_since: float | None = None
        self.promoted: tuple[str, float] | None = None
        self.promotions: list[tuple[float, str, int]] = []
        self.timeout: float = p["detection_timeout"]
        self.lost_since: dict[str, float] = {}  # follower -> since when it has not heard its leader
        self.lease_lost: dict[str, float] = {}  # leader -> since when it has not reached a majority
        self.follower_lost: dict[str, float] = {}  # follower -> since when the leader has not reached it
        self.leader_reach: dict[str, bool] = {}  # what the current leader could reach at the last check
        self.client_cuts: list[tuple[dict[str, int], dict[str, int]]] = []  # active client partitions
        self.values = itertools.count(1)
        self.script = script
        self._build_clients(entropy[1])

    def _build_network(self, seed: int) -> None:
        """The network between the nodes, and the nodes: the first leads, the others follow it."""
        p = self.p
        self.net = Network(
            self.sim,
            self.names,
            latency=_delay(p["delay_distribution"], p["replication_delay"]),
            seed=seed,
            recorder=self.rec,
            fifo=True,
            crash_drops_in_flight=True,
            geography=self.geo if self.geo.far else None,
        )
        leader = self.names[0]
        joining = {j[0] for j in self.faults.joins}
        followers = [n for n in self.names[1:] if n not in joining]
        self.nodes = {n: _Node(n, "follower", leader, []) for n in followers}
        self.nodes.update({n: _Node(n, "joining", None, []) for n in sorted(joining)})
        self.nodes[leader] = _Node(leader, "leader", None, list(followers))
        for n in self.names:
            for dst in self.names:
                if dst != n:
                    self.net.set_link(n, dst)
            self.net.register(n, self._on_message)
            self.net.on_crash(n, self._make_hook(self._on_crash, n))
            self.net.on_recover(n, self._make_hook(self._on_recover, n))

    def _build_clients(self, seed: int) -> None:
        """The clients (from the script, or ``c1``, ``c2``, ...), each with its own generators and keys."""
        script, leader, followers = self.script, self.names[0], self.nodes[self.names[0]].followers
        names = (
            sorted({str(op["client"]) for op in script})
            if script is not None
            else [f"c{i + 1}" for i in range(self.p["clients"])]
        )
        seeds = np.random.SeedSequence(seed).spawn(len(names))
        self.clients = {
            name: _Client(name, i, leader, tuple(followers), ss.spawn(2))
            for i, (name, ss) in enumerate(zip(names, seeds, strict=True))
        }
        self.stale = set(names[: self.p["stale_clients"]])
        if script is None:
            keys = KEYS[: self.p["keys"]]
            for c in self.clients.values():
                owned = (k for j, k in enumerate(keys) if j % len(names) == c.index)
                c.keys = keys if self.p["shared_keys"] else tuple(owned)
            self.keys = keys

    @staticmethod
    def _make_hook(fn: Any, node: str) -> Any:
        return lambda: fn(node)

    # -- running ----------------------------------------------------------------
    def run(self) -> None:
        p = self.p
        if p["failover_at"] is not None:
            self.net.crash(self.names[0], p["failover_at"], p["old_leader_returns_at"])
        self._schedule_faults()
        for name, at, copy_ms in self.faults.joins:
            self.sim.at(at, self._start_join, name, copy_ms)
        if self.script is None:
            for name in sorted(self.clients):
                self._think(self.clients[name])
        else:
            for op in self.script:
                self.sim.at(op["time"], self._issue_scripted, op)
        self.sim.run()
        end = max(self.duration, self.sim.now)
        if self.unavailable_since is not None:
            self.unavailable_ms += end - self.unavailable_since
            self.unavailable_since = None
        self.end = end

    # -- clients ----------------------------------------------------------------
    def _think(self, client: _Client) -> None:
        t = self.sim.now + float(client.work.exponential(self.p["think_time"]))
        if t < self.duration:
            self.sim.at(t, self._issue_random, client)

    def _issue_random(self, client: _Client) -> None:
        rng = client.work
        if rng.random() < self.p["write_fraction"] and client.keys:
            key = client.keys[int(rng.integers(len(client.keys)))]
            self._issue(client, "write", key, next(self.values))
        else:
            key = self.keys[int(rng.integers(len(self.keys)))]
            self._issue(client, "read", key, None)

    def _issue_scripted(self, op: Mapping[str, Any]) -> None:
        client = self.clients[str(op["client"])]
        value = op.get("value", next(self.values)) if op["kind"] == "write" else None
        self._issue(client, op["kind"], str(op["key"]), value, op.get("node"))

    def _route(self, client: _Client, kind: str) -> tuple[str, bool]:
        if (
            client.name not in self.stale
            and not self._knows_current(client)
            and not self._client_cut(client.name, self.leader)
        ):  # a client learns of a new leader when it can reach it
            self._refresh(client)
        policy = self.read_from
        if kind == "write" or policy == "leader" or not client.followers:
            return client.leader, True
        if policy == "read-your-writes" and self.sim.now - client.last_write < self.p["ryw_window"]:
            return client.leader, True
        if policy == "sticky":
            if client.sticky not in client.followers:
                client.sticky = client.followers[client.index % len(client.followers)]
            assert client.sticky is not None
            return client.sticky, False
        return client.followers[int(client.route.integers(len(client.followers)))], False

    def _knows_current(self, client: _Client) -> bool:
        return client.leader == self.leader and client.followers == tuple(self.nodes[self.leader].followers)

    def _refresh(self, client: _Client) -> None:
        self.stale.discard(client.name)
        client.leader = self.leader
        client.followers = tuple(self.nodes[self.leader].followers)

    def _issue(self, client: _Client, kind: str, key: str, value: Any, node: str | None = None) -> None:
        if node is None:
            node, want_leader = self._route(client, kind)
        else:
            want_leader = kind == "write"
        record = self.rec.op(
            client=client.name,
            kind=kind,
            node=node,
            key=key,
            value=value,
            start=self.sim.now,
            error="",
            epoch=math.nan,
            role="",
            split_brain=False,
            dot=None,
            vv=None,
            returned=() if kind == "read" else None,
        )
        self.sim.schedule(self._latency(client, node), self._arrive, client, record, want_leader)

    def _latency(self, client: _Client, node: str) -> float:
        """One way between a client and a node: the near latency, plus the far one between regions."""
        return self.client_latency + self.geo.extra(client.name, node)

    def _client_cut(self, client: str, node: str) -> bool:
        """Whether an active partition puts ``client`` in a group without ``node``."""
        for clients, nodes in self.client_cuts:
            group = clients.get(client)
            if group is not None and nodes.get(node, -1) != group:
                return True
        return False

    def _arrive(self, client: _Client, record: dict[str, Any], want_leader: bool) -> None:
        node = self.nodes[record["node"]]
        if not self.net.is_up(node.name) or self._client_cut(client.name, node.name):
            at = max(self.sim.now, record["start"] + self.client_timeout)
            self.sim.at(at, self._finish, client, record, False, "unavailable")
            return
        if want_leader and node.role != "leader":
            self._reply(node, client, record, False, "not-leader")
            return
        record["epoch"], record["role"] = node.epoch, node.role
        if record["kind"] == "read":
            entry = node.state.get(record["key"])
            if entry is None:
                record["value"], record["version"], record["returned"] = None, 0, ()
            else:
                record["value"], record["version"] = entry.value, entry.version
                record["returned"] = (entry.op_id,)
            self._reply(node, client, record, True)
            return
        self._accept(node, client, record)

    def _reply(self, node: _Node, client: _Client, record: dict[str, Any], ok: bool, error: str = "") -> None:
        self.sim.schedule(
            self._latency(client, node.name),
            self._receive,
            node.name,
            self.sim.now,
            client,
            record,
            ok,
            error,
        )

    def _receive(
        self, node: str, sent: float, client: _Client, record: dict[str, Any], ok: bool, error: str
    ) -> None:
        if self.crash_time.get(node, -math.inf) >= sent:  # the reply died with its sender
            ok, error = False, "connection-reset"
        elif self._client_cut(client.name, node):  # the reply never arrives: the client gives up
            at = max(self.sim.now, record["start"] + self.client_timeout)
            self.sim.at(at, self._finish, client, record, False, "unavailable")
            return
        self._finish(client, record, ok, error)

    def _finish(self, client: _Client, record: dict[str, Any], ok: bool, error: str) -> None:
        record["end"], record["ok"], record["error"] = self.sim.now, ok, error
        if ok and record["kind"] == "write":
            client.last_write = self.sim.now
        if error == "not-leader":
            self._refresh(client)
        if self.script is None:
            self._think(client)

    # -- the leader -------------------------------------------------------------
    def _accept(self, node: _Node, client: _Client, record: dict[str, Any]) -> None:
        key, value, op_id = record["key"], record["value"], record["op_id"]
        version = self.versions[key] = self.versions.get(key, 0) + 1
        entry = Entry(len(node.log) + 1, node.epoch, key, value, version, op_id)
        _append(node, entry)
        name = epoch_name(node.epoch)
        record["dot"], record["vv"] = (name, node.counts[name]), dict(node.counts)
        node.state[key] = entry
        now = self.sim.now
        self._record_version(node.name, key, entry, "write")
        self.accepted_at[op_id] = now
        record["version"] = version
        body, label = _Append(node.epoch, entry), f"{key}={value}"
        for f in node.followers:
            if f in node.synced:
                self.net.send(node.name, f, "append", body, label)
        required = tuple(node.followers) if self.mode == "sync" else ()
        if all(node.match.get(f, 0) >= entry.index for f in required + self._sync_follower(node)):
            self._ack(node, client, record)
        else:
            node.pending[entry.index] = (client, record, required)

    def _sync_follower(self, node: _Node) -> tuple[str, ...]:
        """Semi-sync: the synchronous follower, the first one the leader has not given up on."""
        if self.mode != "semi-sync":
            return ()
        return tuple([f for f in node.followers if f not in node.suspected][:1])

    def _ack(self, node: _Node, client: _Client, record: dict[str, Any]) -> None:
        record["split_brain"] = node.epoch < self.epoch
        self._reply(node, client, record, True)

    def _on_ack(self, node: _Node, msg: Message) -> None:
        epoch, index = msg.body
        if node.role != "leader" or epoch != node.epoch:
            return
        node.match[msg.src] = max(node.match.get(msg.src, 0), index)
        self._release(node)

    def _release(self, node: _Node) -> None:
        for index in sorted(node.pending):
            client, record, required = node.pending[index]
            if all(node.match.get(f, 0) >= index for f in required + self._sync_follower(node)):
                del node.pending[index]
                self._ack(node, client, record)

    def _on_sync(self, node: _Node, msg: Message) -> None:
        epoch, theirs = msg.body
        if node.role != "leader" or epoch != node.epoch:
            return
        common = 0
        for mine, their_epoch in zip(node.log, theirs, strict=False):
            if mine.epoch != their_epoch:
                break
            common += 1
        follower = msg.src
        if common < len(theirs):
            self.net.send(node.name, follower, "truncate", (node.epoch, common), f"truncate {common}")
        for entry in node.log[common:]:
            self.net.send(
                node.name, follower, "append", _Append(node.epoch, entry), f"{entry.key}={entry.value}"
            )
        node.match[follower] = common
        node.synced.add(follower)
        if follower not in node.followers:
            node.followers = sorted([*node.followers, follower])

    # -- followers --------------------------------------------------------------
    def _on_message(self, msg: Message) -> None:
        node = self.nodes[msg.dst]
        kind = msg.kind
        if kind == "append":
            self._on_append(node, msg)
        elif kind == "ack":
            self._on_ack(node, msg)
        elif kind == "new-leader":
            self._on_new_leader(node, msg)
        elif kind == "sync":
            self._on_sync(node, msg)
        elif kind == "truncate":
            self._on_truncate(node, msg)
        elif kind == "join":
            self._on_join(node, msg)
        elif kind == "snapshot":
            self._on_snapshot(node, msg)

    # -- a new follower: snapshot, then catch-up from the snapshot's log position -------
    def _start_join(self, name: str, copy_ms: float | None) -> None:
        node = self.nodes[name]
        if node.role != "joining" or not self.net.is_up(name):
            return
        self.rec.event(self.sim.now, name, "join", f"asks {self.leader} for a snapshot")
        self.net.send(name, self.leader, "join", copy_ms, "snapshot?")

    def _on_join(self, node: _Node, msg: Message) -> None:
        """The leader takes a consistent snapshot: its state at its current log position."""
        if node.role != "leader":
            return
        copy_ms = self.p["replication_delay"] if msg.body is None else msg.body
        position = len(node.log)
        self.rec.event(self.sim.now, node.name, "snapshot", f"at log position {position} for {msg.src}")
        body = (node.epoch, tuple(node.log))
        self.net.send(node.name, msg.src, "snapshot", body, f"snapshot @{position}", delay=copy_ms)

    def _on_snapshot(self, node: _Node, msg: Message) -> None:
        """Install the snapshot, then ask for every entry after its position (the catch-up)."""
        epoch, log = msg.body
        if node.role != "joining":
            return
        node.log, node.counts = list(log), _counts(log)
        node.state = {e.key: e for e in log}
        for key in sorted(node.state):
            self._record_version(node.name, key, node.state[key], "snapshot")
        self.rec.event(self.sim.now, node.name, "installed", f"snapshot up to position {len(log)}")
        self._follow(node, msg.src, epoch)

    def _from_leader(self, node: _Node, msg: Message, epoch: int) -> bool:
        return node.role == "follower" and msg.src == node.leader and epoch == node.epoch

    def _on_append(self, node: _Node, msg: Message) -> None:
        body: _Append = msg.body
        if not self._from_leader(node, msg, body.epoch):
            return  # a deposed leader's entry, or one from before a failover
        entry = body.entry
        if entry.index <= len(node.log):
            return
        node.buffer[entry.index] = entry
        applied = False
        while len(node.log) + 1 in node.buffer:
            self._apply(node, node.buffer.pop(len(node.log) + 1))
            applied = True
        if applied:
            self.net.send(node.name, msg.src, "ack", (node.epoch, len(node.log)), "ack")

    def _apply(self, node: _Node, entry: Entry) -> None:
        _append(node, entry)
        node.state[entry.key] = entry
        now = self.sim.now
        self._record_version(node.name, entry.key, entry, "apply")
        self.lag.append((now, node.name, now - self.accepted_at[entry.op_id], entry.op_id))

    def _on_new_leader(self, node: _Node, msg: Message) -> None:
        epoch = msg.body
        if epoch < node.epoch or (epoch == node.epoch and msg.src != node.leader):
            return
        if node.role == "leader" and not self.fencing:  # nothing makes a deposed leader check its epoch
            self.rec.event(self.sim.now, node.name, "ignore", f"epoch {epoch}: still believes it leads")
            return
        self._follow(node, msg.src, epoch)

    def _follow(self, node: _Node, leader: str, epoch: int) -> None:
        node.role, node.epoch, node.leader = "follower", epoch, leader
        node.buffer.clear()
        self.lost_since.pop(node.name, None)
        node.followers, node.match, node.pending, node.synced, node.suspected = [], {}, {}, set(), set()
        self.rec.event(self.sim.now, node.name, "follow", f"{leader} (epoch {epoch})")
        ids = tuple(e.epoch for e in node.log)
        self.net.send(node.name, leader, "sync", (epoch, ids), f"sync {len(ids)}")

    def _on_truncate(self, node: _Node, msg: Message) -> None:
        epoch, length = msg.body
        if not self._from_leader(node, msg, epoch) or length >= len(node.log):
            return
        dropped = node.log[length:]
        del node.log[length:]
        node.counts = _counts(node.log)
        node.buffer.clear()
        self.rec.event(self.sim.now, node.name, "rollback", f"{len(dropped)} log entries discarded")
        for key in sorted({e.key for e in dropped}):
            last = next((e for e in reversed(node.log) if e.key == key), None)
            if last is None:
                node.state.pop(key, None)
            else:
                node.state[key] = last
            self._record_version(node.name, key, last, "rollback")

    def _record_version(self, node: str, key: str, entry: Entry | None, event: str) -> None:
        """A replica's state of ``key`` is now ``entry`` (``None``: no write): a ``versions`` row."""
        if entry is None:
            self.rec.version(self.sim.now, node, key, None, 0, None, event)
        else:
            self.rec.version(self.sim.now, node, key, entry.value, entry.version, entry.op_id, event)
        self.rec.versions[-1]["held"] = () if entry is None else (entry.op_id,)

    # -- faults ---------------------------------------------------------------
    def _schedule_faults(self) -> None:
        """Crashes, link failures and partitions on the network; every change re-checks who hears whom."""
        for node, at, until in self.faults.crashes:
            self.net.crash(node, at, until)
        for a, b, at, until in self.faults.link_failures:
            self.net.cut_link(a, b, at, until)
            self.sim.at(at, self._evaluate)
            if until is not None:
                self.sim.at(until, self._evaluate, True)
        for groups, at, until in self.faults.partitions:
            self.net.partition([[n for n in g if n in self.nodes] for g in groups], at, until)
            nodes = {n: i for i, g in enumerate(groups) for n in g if n in self.nodes}
            nodes.update({n: len(groups) for n in self.names if n not in nodes})
            clients = {c: i for i, g in enumerate(groups) for c in g if c not in self.nodes}
            cut = (clients, nodes)
            self.sim.at(at, self._cut_clients, cut, True)
            if until is not None:
                self.sim.at(until, self._cut_clients, cut, False)

    def _cut_clients(self, cut: tuple[dict[str, int], dict[str, int]], on: bool) -> None:
        if on:
            self.client_cuts.append(cut)
            self._give_up_waiting()
        else:
            self.client_cuts.remove(cut)
        self._evaluate(healed=not on)

    def _give_up_waiting(self) -> None:
        """Clients cut off from the leader that holds their write stop waiting: it fails at their timeout."""
        for name in self.names:
            node = self.nodes[name]
            for index in sorted(node.pending):
                client, record, _ = node.pending[index]
                if self._client_cut(client.name, name):
                    del node.pending[index]
                    at = max(self.sim.now, record["start"] + self.client_timeout)
                    self.sim.at(at, self._finish, client, record, False, "unavailable")

    def _on_crash(self, name: str) -> None:
        now = self.sim.now
        self.crash_time[name] = now
        node = self.nodes[name]
        for index in sorted(node.pending):
            client, record, _ = node.pending[index]
            self.sim.schedule(
                self._latency(client, name), self._finish, client, record, False, "connection-reset"
            )
        node.pending.clear()
        node.buffer.clear()
        self._evaluate()

    def _on_recover(self, name: str) -> None:
        node = self.nodes[name]
        now = self.sim.now
        if node.role == "follower" and node.leader is not None:  # catch up from its leader's log
            self._follow(node, node.leader, node.epoch)
        elif node.role != "leader":
            pass
        elif self.leader == name:  # back before anyone noticed: lead on, resynchronise followers
            self.rec.event(now, name, "resume", f"leader again, epoch {node.epoch}")
            node.synced = set()
            for f in node.followers:
                self.net.send(name, f, "new-leader", node.epoch, f"epoch {node.epoch}")
        elif self.fencing:
            self.rec.event(now, name, "step-down", f"epoch {node.epoch} < {self.epoch}")
            self._follow(node, self.leader, self.epoch)
        else:
            self.rec.event(now, name, "resume", f"still believes it leads epoch {node.epoch}")
        self._evaluate()

    # -- failure detection --------------------------------------------------------
    # Each follower hears its leader as long as the leader is up and the link between them works
    # (heartbeats sent continuously: the limit of a short heartbeat interval). A follower that has
    # not heard its leader for detection_timeout suspects it; it promotes a follower when the nodes it
    # can reach that do not hear the leader either are a majority of the nodes (or every live node).
    def _evaluate(self, healed: bool = False) -> None:
        """Who hears whom changed (a crash, a recovery, a cut or a heal): update every detector."""
        self._watch_followers(healed)
        self._watch_leader()
        if self.fencing:
            self._watch_leases()
        self._update_unavailable()

    def _side(self, name: str) -> list[str]:
        return [n for n in self.names if n == name or self.net.reachable(name, n)]

    def _can_elect(self, side: Sequence[str]) -> bool:
        """A majority of all nodes, or every live node (when the others are down)."""
        live = [n for n in self.names if self.net.is_up(n)]
        return 2 * len(side) > len(self.names) or sorted(side) == live

    def _watch_followers(self, healed: bool) -> None:
        now = self.sim.now
        for f in self.names:
            node = self.nodes[f]
            if node.role != "follower" or node.leader is None or not self.net.is_up(f):
                self.lost_since.pop(f, None)
            elif self.net.reachable(node.leader, f):
                if self.lost_since.pop(f, None) is not None and healed:  # catch up what the cut dropped
                    self._follow(node, node.leader, node.epoch)
            elif f not in self.lost_since:
                self.lost_since[f] = now
                self.sim.schedule(self.timeout, self._suspect, f, now)

    def _watch_leader(self) -> None:
        """The current leader: tell nodes it can newly reach of its epoch; watch its followers."""
        name = self.leader
        leader = self.nodes[name]
        if leader.role != "leader" or not self.net.is_up(name):
            return
        now = self.sim.now
        for n in self.names:
            if n == name:
                continue
            reach = self.net.reachable(name, n)
            if reach and not self.leader_reach.get(n, False) and self.nodes[n].epoch < self.epoch:
                self.net.send(name, n, "new-leader", self.epoch, f"epoch {self.epoch}")
            self.leader_reach[n] = reach
            if n not in leader.followers:
                continue
            if reach:
                self.follower_lost.pop(n, None)
                leader.suspected.discard(n)
            elif n not in self.follower_lost:
                self.follower_lost[n] = now
                self.sim.schedule(self.timeout, self._give_up_follower, name, self.epoch, n, now)

    def _watch_leases(self) -> None:
        """With fencing, a leader cut off from the majority steps down after detection_timeout."""
        now = self.sim.now
        for name in self.names:
            node = self.nodes[name]
            if not self.net.is_up(name) or self._can_elect(self._side(name)):
                self.lease_lost.pop(name, None)
                if name == self.leader and node.role == "follower" and node.leader is None:
                    self._resume_lease(node)
            elif node.role == "leader" and name not in self.lease_lost:
                self.lease_lost[name] = now
                self.sim.schedule(self.timeout, self._lease_expired, name, now)

    def _suspect(self, name: str, since: float) -> None:
        """``name`` has not heard its leader since ``since``: promote a follower if its side may."""
        node = self.nodes[name]
        if self.lost_since.get(name) != since or node.leader != self.leader:
            return
        old = node.leader
        # the nodes it can reach that do not hear the leader either: they must be a majority
        agree = [n for n in self._side(name) if not self.net.reachable(old, n)]
        if not self._can_elect(agree):
            self.rec.event(self.sim.now, name, "suspect", f"no word from {old}; no majority agrees")
            return
        candidates = [
            n
            for n in agree
            if self.nodes[n].role == "follower"
            and self.nodes[n].epoch == self.epoch
            and self.nodes[n].leader == old
        ]
        if candidates:
            self._promote(old, candidates)

    def _promote(self, old: str, candidates: list[str]) -> None:
        new_name = min(candidates, key=lambda f: (-len(self.nodes[f].log), f))
        self.epoch += 1
        now = self.sim.now
        self.rec.event(now, old, "detect", f"leader unreachable for {self.timeout:g} ms")
        self.rec.event(now, new_name, "promote", f"new leader, epoch {self.epoch}")
        new = self.nodes[new_name]
        new.role, new.epoch, new.leader = "leader", self.epoch, None
        new.buffer.clear()
        new.followers = [f for f in candidates if f != new_name]
        new.match, new.pending, new.synced, new.suspected = {}, {}, set(), set()
        self.leader = new_name
        self.promoted = (new_name, now)
        self.promotions.append((now, new_name, self.epoch))
        self.leader_reach, self.follower_lost = {}, {}
        self._evaluate()

    def _give_up_follower(self, leader: str, epoch: int, follower: str, since: float) -> None:
        """Semi-sync: the leader has not reached its synchronous follower for detection_timeout."""
        node = self.nodes[leader]
        if self.follower_lost.get(follower) != since or self.leader != leader or node.epoch != epoch:
            return
        was = self._sync_follower(node)
        node.suspected.add(follower)
        if self.mode != "semi-sync" or was != (follower,):
            return
        node.followers = [f for f in node.followers if f != follower] + [follower]
        now_sync = self._sync_follower(node)
        detail = f"{follower} unreachable; {now_sync[0] if now_sync else 'none'} is synchronous now"
        self.rec.event(self.sim.now, leader, "sync-replaced", detail)
        self._release(node)

    def _lease_expired(self, name: str, since: float) -> None:
        node = self.nodes[name]
        if self.lease_lost.get(name) != since or node.role != "leader":
            return
        self.rec.event(self.sim.now, name, "step-down", f"cut off from the majority for {self.timeout:g} ms")
        node.role, node.leader = "follower", None
        for index in sorted(node.pending):
            client, record, _ = node.pending.pop(index)
            self._reply(node, client, record, False, "not-leader")
        self._update_unavailable()

    def _resume_lease(self, node: _Node) -> None:
        """The current leader, fenced by its lease, reaches the majority again: it leads on."""
        node.role = "leader"
        node.synced = set()
        self.rec.event(self.sim.now, node.name, "resume", f"leader again, epoch {node.epoch}")
        for f in node.followers:
            self.net.send(node.name, f, "new-leader", node.epoch, f"epoch {node.epoch}")

    def _update_unavailable(self) -> None:
        """Writes are unavailable while the current leader is down, fenced or cut off from the majority."""
        name = self.leader
        leader = self.nodes[name]
        down = not self.net.is_up(name) or leader.role != "leader" or not self._can_elect(self._side(name))
        if down and self.unavailable_since is None:
            self.unavailable_since = self.sim.now
        elif not down and self.unavailable_since is not None:
            self.unavailable_ms += self.sim.now - self.unavailable_since
            self.unavailable_since = None

    # -- results ----------------------------------------------------------------
    def result(self, params: dict[str, Any]) -> Run:
        leader = self.nodes[self.leader]
        final = {n: {k: e.value for k, e in sorted(self.nodes[n].state.items())} for n in self.names}
        lag = pd.DataFrame(self.lag, columns=["time", "follower", "lag_ms", "op_id"])
        extras = {
            "lag": lag,
            "leader": self.leader,
            "epoch": self.epoch,
            "promoted": self.promoted,
            "promotions": tuple(self.promotions),
            "logs": {n: tuple(e.op_id for e in self.nodes[n].log) for n in self.names},
            # the final state: the last entry of each key in the final leader's log
            "final": {e.key: (e.op_id,) for e in leader.log},
        }
        kept = set(extras["logs"][self.leader])
        extras["discarded"] = tuple(
            r["op_id"] for r in self.rec.ops if r["dot"] is not None and r["op_id"] not in kept
        )
        computed: dict[str, Any] = {}
        run = Run(
            model="single_leader",
            params=params,
            nodes=self.names,
            recorder=self.rec,
            final_state=final,
            metrics=lambda _run: computed,
            end_time=self.end,
            extras=extras,
        )
        live = [n for n in self.names if self.net.is_up(n)]
        computed.update(annotate(run, extras["final"], extras["discarded"], live, self.net.last_fault_end))
        computed["write_unavailable_ms"] = self.unavailable_ms
        return run
