"""Multi-leader replication: concurrent writes, conflicts, and how they are resolved.

Every leader accepts writes, acknowledges them at once (locally), and
replicates them asynchronously along the edges of a topology graph
(:func:`replnb.topology.build`, or any :class:`networkx.DiGraph` on the nodes
``"A"``, ``"B"``, ...). A replicated write carries the tuple of nodes it has
passed through; a node that receives a write for the first time forwards it,
in sorted order, to its out-neighbours that are not on that tuple, so a write
never loops, and a duplicate (a write already seen) is dropped.

Each write carries

* ``ts``: the origin's :class:`~replnb.clocks.NodeClock` reading (for
  last-write-wins; clocks may be skewed and drift, metrics use true time);
* ``vv``: a per-key :class:`~replnb.clocks.VersionVector`, so a replica can
  tell whether an incoming write supersedes, is superseded by, or is
  *concurrent* with what it holds (a **conflict**);
* ``deps``: its causal past, one counter per origin, for causal delivery.

Resolvers (``resolver=``):

``"avoid"``     conflict avoidance: every key has a home leader
                (``zlib.crc32(key) % leaders``) and all its writes go there;
                relocations move the home, and the conflicts that in-flight
                writes then cause are settled by last-write-wins.
``"lww"``       last-write-wins: the write with the highest ``(ts, node)``
                survives (then the origin's sequence number), whatever the
                causal order.
``"max"``, ``"concat"``
                built-in merges of concurrent versions (register workload).
``"union"``     the cart merge: union of concurrent carts (``workload="cart"``);
                without tombstones deleted items come back (resurrections).
``"siblings"``  custom logic on read: replicas keep every concurrent version;
                a read returns them all, and with ``resolve`` given the
                application merges them and writes the merge back.
``"custom"``    custom logic on write: ``resolve(local, incoming) -> value``
                (or pass the callable itself as ``resolver``).

The built-in merges and the custom ones keep the concurrent versions
(siblings, the maximal versions under the version-vector order) and compute
the replica's value from them in ``(ts, node)`` order, so every replica that
has applied the same writes shows the same value, whatever the arrival order.

Failures: ``failed`` nodes are down for the whole run; ``crashes`` and
``link_failures`` come and go. A recovered node (and the far end of a healed
link) runs one round of **anti-entropy**: it sends the set of writes it has
seen to each of its in-neighbours (for a healed link: to the link's source),
which answer with every write it lacks; the node applies and forwards them as
usual. Causal delivery (``causal=True``) buffers a remote write until every
write that happened before it has been applied.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from . import metrics
from . import topology as _topology
from .clocks import NodeClock, VersionVector
from .latency import Constant, Distribution, Uniform
from .network import Message, Network, node_names
from .records import Recorder, Run
from .rng import Seed, as_rng, stable_hash
from .sim import Simulation

__all__ = [
    "MAX_LEADERS",
    "RESOLVERS",
    "STRATEGIES",
    "WORKLOADS",
    "Cart",
    "Write",
    "clip",
    "compare_strategies",
    "divergence",
    "focus",
    "home_leader",
    "simulate",
    "sweep",
]

#: Resolver names accepted by :func:`simulate` (a callable is accepted too).
RESOLVERS = ("avoid", "lww", "max", "concat", "union", "siblings", "custom")
#: Workloads: a register per key, or a shopping cart per key (add / remove items).
WORKLOADS = ("register", "cart")
#: The largest number of leaders :func:`simulate` accepts.
MAX_LEADERS = 10

_REGISTER_KEYS = ("x", "y", "z", "u", "v", "w", "s", "t")
_CART_KEYS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
_REGISTER_ONLY = ("max", "concat", "siblings")
_CART_ONLY = ("union",)
_REPLICATION_KINDS = ("write", "catchup", "sync")

Resolve = Callable[[Any, Any], Any]


# -- values ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cart:
    """A shopping cart as a replica stores it (immutable).

    ``items`` holds every ``(item, tag)`` this replica knows was added (the
    tag is the op id of the add, so adding "milk" twice gives two entries);
    ``removed`` holds the ``(item, tag)`` pairs known to be deleted
    (**tombstones**; empty when the run keeps no tombstones, in which case a
    removal simply drops the pairs from ``items``). What the user sees is
    :attr:`contents`: the items added and not removed.

    A merge that loses no item and brings back no deleted item must keep
    every pair either side has added *and* every tombstone either side has.

    Examples
    --------
    >>> cart = Cart().add("milk", 0).add("eggs", 1)
    >>> cart.contents
    ('eggs', 'milk')
    >>> gone, tags = cart.remove("milk", tombstone=True)
    >>> gone.contents, sorted(tags)
    (('eggs',), [('milk', 0)])
    >>> gone
    Cart(items={eggs#1, milk#0}, removed={milk#0})
    """

    items: frozenset[tuple[str, int]] = frozenset()
    removed: frozenset[tuple[str, int]] = frozenset()

    @functools.cached_property
    def contents(self) -> tuple[str, ...]:
        """The items the user sees, sorted (added and not removed)."""
        return tuple(sorted({name for name, _ in self.items - self.removed}))

    def add(self, item: str, tag: int) -> Cart:
        """A copy with ``item`` added under ``tag``."""
        return Cart(self.items | {(item, tag)}, self.removed)

    def remove(self, item: str, *, tombstone: bool) -> tuple[Cart, frozenset[tuple[str, int]]]:
        """A copy without ``item``, and the ``(item, tag)`` pairs this removal deleted."""
        tags = frozenset(p for p in self.items - self.removed if p[0] == item)
        if tombstone:
            return Cart(self.items, self.removed | tags), tags
        return Cart(self.items - tags, self.removed), tags

    def __repr__(self) -> str:
        def fmt(pairs: frozenset[tuple[str, int]]) -> str:
            return "{" + ", ".join(f"{n}#{t}" for n, t in sorted(pairs)) + "}"

        return f"Cart(items={fmt(self.items)}, removed={fmt(self.removed)})"


def _union_carts(local: Cart, incoming: Cart) -> Cart:
    """The built-in cart merge: the union of items and of tombstones."""
    return Cart(local.items | incoming.items, local.removed | incoming.removed)


@dataclass(frozen=True, slots=True)
class Write:
    """One write as it travels between leaders (immutable).

    Attributes
    ----------
    op_id : int
        The client operation that made it.
    origin : str
        The leader that accepted it.
    seq : int
        Its number among the origin's writes (1, 2, ...).
    key : str
    value : Any
        The register value, or the whole :class:`Cart` after the operation.
    ts : float
        The origin's clock reading (ms), for last-write-wins.
    vv : VersionVector
        The key's version vector: the origin's merged vector plus one.
    deps : tuple of int
        The causal past: for each origin (in node order) the highest write
        number that happened before (or is) this write.
    start : float
        True time the client issued it (ms).
    label : str
        How diagrams show it: ``"x=1"``, or ``"cart +milk"`` / ``"cart -milk"``.
    """

    op_id: int
    origin: str
    seq: int
    key: str
    value: Any
    ts: float
    vv: VersionVector
    deps: tuple[int, ...]
    start: float
    label: str = ""

    @property
    def order(self) -> tuple[float, str, int]:
        """The last-write-wins order: ``(ts, origin, seq)``."""
        return (self.ts, self.origin, self.seq)


def home_leader(key: str, leaders: int) -> str:
    """The home leader of ``key`` under conflict avoidance: ``crc32(key) % leaders``.

    Examples
    --------
    >>> home_leader("x", 3), home_leader("alice", 3)
    ('A', 'C')
    """
    return node_names(leaders)[stable_hash(key) % leaders]


def _display(value: Any) -> Any:
    return value.contents if isinstance(value, Cart) else value


def _vv_str(vv: VersionVector) -> str:
    return ",".join(f"{n}{c}" for n, c in vv.counts)


# -- replicas -------------------------------------------------------------------------------------
class _KeyState:
    __slots__ = ("contributors", "siblings", "value", "vv")

    def __init__(self) -> None:
        self.vv = VersionVector()
        self.siblings: list[Write] = []
        self.value: Any = None
        self.contributors: frozenset[int] = frozenset()


class _Leader:
    __slots__ = ("arrived", "clock", "index", "keys", "past", "pending", "prefix", "seen", "seq")

    def __init__(self, index: int, n: int, clock: NodeClock) -> None:
        self.index = index
        self.clock = clock
        self.seq = 0
        self.keys: dict[str, _KeyState] = {}
        self.seen: dict[int, tuple[str, ...]] = {}  # op_id -> path to forward with (ends here)
        self.arrived: dict[int, float] = {}
        self.prefix = [0] * n  # per origin: writes 1..prefix all applied
        self.pending: list[set[int]] = [set() for _ in range(n)]  # applied beyond the prefix
        self.past = [0] * n  # causal past of the next local write


class _Model:
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
    ) -> None:
        self.sim, self.net, self.rec = sim, net, rec
        self.nodes = nodes
        self.index = {n: i for i, n in enumerate(nodes)}
        self.out = {n: sorted(graph.successors(n)) for n in nodes}
        self.inn = {n: sorted(graph.predecessors(n)) for n in nodes}
        self.resolver = resolver
        self.resolve = resolve
        self.workload = workload
        self.tombstones = tombstones
        self.causal = causal
        self.leaders = {n: _Leader(i, len(nodes), clocks[n]) for i, n in enumerate(nodes)}
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
        self._anti_entropy(node, self.inn[node])

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
        )
        if not self.net.is_up(node):
            return
        leader = self.leaders[node]
        state = leader.keys.get(key)
        if kind == "read":
            record["value"] = _display(state.value) if state else None
            record["end"], record["ok"] = self.sim.now, True
            if state and len(state.siblings) > 1 and self.resolve is not None:
                fn = self.resolve
                merged = state.siblings[0].value
                for sibling in state.siblings[1:]:
                    merged = fn(merged, sibling.value)
                self.client({"key": key, "node": node, "op": "merge", "value": merged, "client": client})
            return
        value: Any
        if self.workload == "cart":
            cart = state.value if state is not None and isinstance(state.value, Cart) else Cart()
            item = spec.get("value")
            if kind == "remove-any":  # random workload: remove one visible item, if any
                contents = cart.contents
                if not contents:
                    kind = "add"
                    item = spec["fallback"]
                else:
                    kind = "remove"
                    item = contents[min(int(spec["u"] * len(contents)), len(contents) - 1)]
                record["op"], record["value"] = kind, item
            if kind == "add":
                value = cart.add(str(item), int(record["op_id"]))
            else:
                value, tags = cart.remove(str(item), tombstone=self.tombstones)
                self.removed_tags[record["op_id"]] = tags
                record["removed_tags"] = tuple(sorted(tags))
            record["label"] = f"{key} {'+' if kind == 'add' else '-'}{item}"
        else:
            value = spec.get("value")
            record["label"] = f"{key}={value}"
        leader.seq += 1
        leader.past[leader.index] = leader.seq
        base = state.vv if state is not None else VersionVector()
        write = Write(
            op_id=record["op_id"],
            origin=node,
            seq=leader.seq,
            key=key,
            value=value,
            ts=leader.clock.read(),
            vv=base.increment(node),
            deps=tuple(leader.past),
            start=self.sim.now,
            label=record["label"],
        )
        self.writes[write.op_id] = write
        record["end"], record["ok"] = self.sim.now, True
        record["ts"], record["vv"] = write.ts, _vv_str(write.vv)
        leader.seen[write.op_id] = (node,)
        leader.arrived[write.op_id] = self.sim.now
        self._apply(node, write, event="local", remote=False)
        self._forward(node, write, (node,), "write")

    def relocate(self, key: str, node: str) -> None:
        """Move the home leader of ``key`` to ``node`` (conflict avoidance)."""
        self.rec.event(self.sim.now, node, "relocate", key)
        self.home[key] = node

    # -- replication ------------------------------------------------------------------------------
    def _forward(self, node: str, write: Write, path: tuple[str, ...], kind: str) -> None:
        for dst in self.out[node]:
            if dst not in path:
                self.net.send(node, dst, kind, (write, path), label=write.label)
                self.rec.messages[-1]["op_id"] = write.op_id

    def _on_message(self, msg: Message) -> None:
        node = msg.dst
        leader = self.leaders[node]
        if msg.kind == "sync":
            have: frozenset[int] = msg.body
            for op_id in sorted(leader.seen):
                if op_id not in have:
                    write = self.writes[op_id]
                    self.net.send(node, msg.src, "catchup", (write, leader.seen[op_id]), label="catch-up")
                    self.rec.messages[-1]["op_id"] = op_id
            return
        write, path = msg.body
        if write.op_id in leader.seen:
            return  # a duplicate: this write already reached this node by another path
        path = (*path, node)
        leader.seen[write.op_id] = path
        leader.arrived[write.op_id] = self.sim.now
        self._forward(node, write, path, "write")
        if self.causal and not self._ready(leader, write):
            self.buffers[node].append(write)
            return
        self._apply(node, write, event="apply", remote=True)
        if self.causal:
            self._drain(node)

    def _ready(self, leader: _Leader, write: Write) -> bool:
        origin = self.index[write.origin]
        prefix = leader.prefix
        for k, need in enumerate(write.deps):
            if k == origin:
                if prefix[k] < need - 1:
                    return False
            elif prefix[k] < need:
                return False
        return True

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

    def _anti_entropy(self, node: str, sources: Iterable[str]) -> None:
        have = frozenset(self.leaders[node].seen)
        for src in sources:
            self.net.send(node, src, "sync", have, label="sync")
            self.rec.messages[-1]["op_id"] = -1

    # -- applying and resolving -------------------------------------------------------------------
    def _apply(self, node: str, write: Write, *, event: str, remote: bool) -> None:
        leader = self.leaders[node]
        now = self.sim.now
        ooo = remote and not self._ready(leader, write)
        self.delivery.append((write.op_id, node, now, leader.arrived[write.op_id], ooo))
        # causal bookkeeping
        k = self.index[write.origin]
        if write.seq == leader.prefix[k] + 1:
            leader.prefix[k] = write.seq
            pending = leader.pending[k]
            while leader.prefix[k] + 1 in pending:
                pending.discard(leader.prefix[k] + 1)
                leader.prefix[k] += 1
        elif write.seq > leader.prefix[k]:
            leader.pending[k].add(write.seq)
        past = leader.past
        for i, c in enumerate(write.deps):
            if c > past[i]:
                past[i] = c
        # the key's state
        state = leader.keys.get(write.key)
        if state is None:
            state = leader.keys[write.key] = _KeyState()
        before = state.value
        if self._merge(state, write):
            event = "conflict"
        after = state.value
        changed = after is not before and (_display(after) != _display(before))
        if changed or not remote:
            self.rec.version(now, node, write.key, _display(after), _vv_str(state.vv), write.op_id, event)

    def _merge(self, state: _KeyState, write: Write) -> bool:
        """Fold ``write`` into a key's state; returns whether it was concurrent (a conflict)."""
        # VersionVector.compare and .merge, on plain dicts (the hot path of every run)
        mine = dict(state.vv.counts)
        theirs = dict(write.vv.counts)
        covered = all(c <= mine.get(n, 0) for n, c in theirs.items())  # write happened before (or is) us
        covers = all(c <= theirs.get(n, 0) for n, c in mine.items())  # write saw everything we have
        if not covered:
            for n, c in theirs.items():
                if c > mine.get(n, 0):
                    mine[n] = c
            state.vv = VersionVector(tuple(sorted(mine.items())))
        if self.resolver in ("lww", "avoid"):
            if not state.siblings or write.order > state.siblings[0].order:
                state.siblings = [write]
        elif not covered:  # keep the maximal versions: drop those the write supersedes
            kept = [s for s in state.siblings if not all(c <= theirs.get(n, 0) for n, c in s.vv.counts)]
            kept.append(write)
            kept.sort(key=lambda s: s.order)
            state.siblings = kept
        state.value, state.contributors = self._fold(state.siblings)
        return not covered and not covers

    def reference(self, op_ids: Iterable[int]) -> dict[str, Any]:
        """The state of a replica that applied exactly these writes (displayed values)."""
        states: dict[str, _KeyState] = {}
        for op_id in sorted(op_ids):
            write = self.writes[op_id]
            self._merge(states.setdefault(write.key, _KeyState()), write)
        return {k: _display(s.value) for k, s in states.items()}

    def _fold(self, siblings: list[Write]) -> tuple[Any, frozenset[int]]:
        """The value of a set of concurrent versions (sorted by ``order``) and who contributed."""
        first = siblings[0]
        if len(siblings) == 1:
            return first.value, frozenset((first.op_id,))
        everyone = frozenset(s.op_id for s in siblings)
        kind = self.resolver
        if kind == "siblings":
            return tuple(s.value for s in siblings), everyone
        if kind == "max":
            top = max(s.value for s in siblings)
            return top, frozenset(s.op_id for s in siblings if s.value == top)
        if kind == "concat":
            return "/".join(str(s.value) for s in siblings), everyone
        fn: Resolve = _union_carts if kind == "union" else self.resolve  # type: ignore[assignment]
        value, who = first.value, frozenset((first.op_id,))
        for s in siblings[1:]:
            out = fn(value, s.value)
            if self.workload == "cart" and not isinstance(out, Cart):
                raise ValueError(f"resolve must return a Cart for workload='cart', got {out!r}")
            same_old, same_new = _same(out, value), _same(out, s.value)
            if same_new and not same_old:
                who = frozenset((s.op_id,))
            elif not (same_old and not same_new):
                who = who | {s.op_id}
            value = out
        return value, who


def _same_state(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    keys = set(a) | set(b)
    return all(repr(a.get(k)) == repr(b.get(k)) for k in keys)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # e.g. numpy arrays: compare by repr
        return repr(a) == repr(b)


# -- validation -----------------------------------------------------------------------------------
def _number(
    name: str, value: Any, low: float = 0.0, *, strict: bool = False, high: float = math.inf
) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    ok = math.isfinite(x) and (x > low if strict else x >= low) and x <= high
    if not ok:
        rng = f"({low}, {high}]" if strict else f"[{low}, {high}]"
        raise ValueError(f"{name} must be a finite number in {rng}, got {value!r}")
    return x


def _graph(topology: str | nx.DiGraph, leaders: int) -> nx.DiGraph:
    if isinstance(topology, nx.DiGraph):
        n = topology.number_of_nodes()
        if not 2 <= n <= MAX_LEADERS or sorted(topology.nodes) != node_names(n):
            raise ValueError(
                f"topology graph must have 2..{MAX_LEADERS} nodes named 'A', 'B', ... (consecutive), "
                f"got {sorted(topology.nodes)!r}"
            )
        if any(u == v for u, v in topology.edges):
            raise ValueError("topology graph must not have self-loops")
        return topology
    if isinstance(topology, nx.Graph):
        raise ValueError("topology must be a name or a networkx.DiGraph (directed), got an undirected Graph")
    if topology not in _topology.KINDS:
        raise ValueError(
            f"topology must be one of {list(_topology.KINDS)} or a networkx.DiGraph, got {topology!r}"
        )
    return _topology.build(topology, leaders)


def _check_node(name: str, node: Any, nodes: list[str]) -> str:
    if node not in nodes:
        raise ValueError(f"{name} must name a leader in {nodes}, got {node!r}")
    return str(node)


def _optional_end(name: str, end: Any, start: float) -> float | None:
    if end is None:
        return None
    t = _number(name, end)
    if not t > start:
        raise ValueError(f"{name} must be None or a time > {start} ms, got {end!r}")
    return t


# -- simulate -------------------------------------------------------------------------------------
def simulate(
    *,
    leaders: int = 2,
    resolver: str | Resolve = "lww",
    topology: str | nx.DiGraph = "all-to-all",
    clock_offsets: Mapping[str, float] | None = None,
    clock_skew: float = 0.0,
    clock_drift: float | Mapping[str, float] = 0.0,
    ops: Sequence[Mapping[str, Any]] | None = None,
    workload: str = "register",
    write_rate: float = 20.0,
    relocation_rate: float = 0.0,
    relocations: Sequence[tuple[float, str, str]] | None = None,
    duration: float = 1000.0,
    latency: float = 10.0,
    jitter: float = 0.0,
    failed: Iterable[str] | None = None,
    crashes: Sequence[tuple[str, float, float | None]] | None = None,
    link_failures: Sequence[tuple[str, str, float, float | None]] | None = None,
    partitions: Sequence[tuple[Iterable[Iterable[str]], float, float | None]] | None = None,
    causal: bool = False,
    tombstones: bool = False,
    resolve: Resolve | None = None,
    seed: Seed = 0,
    keys: int = 2,
    remove_fraction: float = 0.3,
) -> Run:
    """Simulate multi-leader replication and return the :class:`~replnb.records.Run`.

    Parameters
    ----------
    leaders : int
        Number of leaders, 2..10, named ``"A"``, ``"B"``, ... (ignored when
        ``topology`` is a graph: its nodes are the leaders).
    resolver : str or callable
        One of :data:`RESOLVERS` (see the module docstring), or a callable
        ``resolve(local, incoming) -> value`` (the same as ``"custom"``).
    topology : str or networkx.DiGraph
        ``"circular"``, ``"star"``, ``"all-to-all"`` (:func:`replnb.topology.build`)
        or a directed graph on ``"A"``, ``"B"``, ...: writes travel along its edges.
    clock_offsets : mapping, optional
        Clock offset per leader in ms (missing leaders: 0). Overrides ``clock_skew``.
    clock_skew : float
        Without ``clock_offsets``: offsets drawn uniformly from an interval of
        this width (ms) centred on 0.
    clock_drift : float or mapping
        Drift rate per leader (a mapping), or the width of a uniform random
        spread centred on 0 (a float, e.g. ``1e-3`` = up to 0.5 ms per second).
    ops : list of dict, optional
        A scripted run: ``dict(time=ms, node="A", key="x", value=1)``; for the
        cart workload ``op="add"`` / ``op="remove"`` with ``value=item``; any
        workload: ``op="read"`` (with ``resolver="siblings"`` and ``resolve``
        given, a read that sees several versions writes their merge back).
        Under ``"avoid"``, ``node`` may be left out: the write goes to the
        key's home. Without ``ops``, a random workload runs for ``duration``.
    workload : str
        ``"register"`` (a value per key) or ``"cart"`` (a shopping cart per key).
    write_rate : float
        Random workload: writes per second per leader (Poisson), each to a
        random key among ``keys`` at a random leader (its home under ``"avoid"``).
    relocation_rate : float
        Random workload under ``"avoid"``: relocations per second per key; each
        moves the key's home to another random leader.
    relocations : list of (time, key, node), optional
        Relocations at given times (any resolver; used by ``"avoid"`` routing).
    duration : float
        Random workload: writes are issued during ``[0, duration)`` ms.
    latency : float
        Mean one-way link delay (ms).
    jitter : float
        Delays are uniform on ``[latency - jitter, latency + jitter]``
        (``0 <= jitter <= latency``), so messages can overtake each other.
    failed : iterable of str, optional
        Leaders that are down for the whole run.
    crashes : list of (node, at, recover_at or None), optional
        Crashes during the run; a recovered leader catches up by anti-entropy
        from its in-neighbours.
    link_failures : list of (src, dst, at, heal_at or None), optional
        The directed link ``src -> dst`` fails; on healing ``dst`` catches up from ``src``.
    partitions : list of (groups, at, heal_at or None), optional
        Network partitions (:meth:`replnb.network.Network.partition`): leaders
        in different groups (the unnamed rest form one more group) cannot
        reach each other; on healing every leader catches up from its
        in-neighbours.
    causal : bool
        Causal delivery: buffer a remote write until its causal past is applied.
    tombstones : bool
        Cart workload: keep deleted items as tombstones (so merges do not resurrect them).
    resolve : callable, optional
        ``resolve(local, incoming) -> value`` for ``"custom"``, and the
        application's merge for ``"siblings"`` reads. It should be commutative,
        associative and idempotent: the replica folds its concurrent versions
        with it in ``(ts, node)`` order, and ``local`` is the fold so far.
    seed : int, Generator or None
        The run's randomness (workload, clocks, delays).
    keys : int
        Random workload: number of keys (1..8): ``x, y, ...`` or carts ``alice, bob, ...``.
    remove_fraction : float
        Random cart workload: the probability that an operation removes an item.

    Returns
    -------
    Run
        ``run.ops`` (extra columns ``op``, ``ts``, ``vv``, ``lost``, ``resurrected``),
        ``run.messages``, ``run.versions``, ``run.events``, ``run.final_state``
        (cart values are the sorted contents), ``run.metrics`` and
        ``run.extras`` with ``delivery`` (op_id, node, time, arrived, wait,
        out_of_order), ``graph``, ``live``, ``home``, ``clock_offsets``, ``writes``.

    Examples
    --------
    >>> ops = [dict(time=0, node="A", key="x", value=1), dict(time=10, node="B", key="x", value=2)]
    >>> run = simulate(ops=ops, clock_offsets={"B": -40.0})
    >>> run.final_state["x"].tolist(), int(run.metrics["lost_writes"])
    ([1, 1], 1)
    >>> run = simulate(topology="circular", leaders=4, ops=[dict(time=0, node="A", key="x", value=1)])
    >>> run.extras["delivery"][["node", "time"]].values.tolist()
    [['A', 0.0], ['B', 10.0], ['C', 20.0], ['D', 30.0]]
    """
    # -- validate -----------------------------------------------------------------------------
    if (
        isinstance(leaders, bool)
        or not isinstance(leaders, (int, np.integer))
        or not 2 <= leaders <= MAX_LEADERS
    ):
        raise ValueError(f"leaders must be an integer in 2..{MAX_LEADERS}, got {leaders!r}")
    graph = _graph(topology, int(leaders))
    nodes = sorted(graph.nodes)
    n = len(nodes)
    custom: Resolve | None = None
    if callable(resolver):
        custom, resolver = resolver, "custom"
    if resolver not in RESOLVERS:
        raise ValueError(f"resolver must be one of {list(RESOLVERS)} or a callable, got {resolver!r}")
    if resolve is not None and not callable(resolve):
        raise ValueError(f"resolve must be a callable resolve(local, incoming) -> value, got {resolve!r}")
    if custom is not None and resolve is not None and resolve is not custom:
        raise ValueError("give the custom resolver either as resolver=fn or as resolve=fn, not both")
    custom = custom or resolve
    if resolver == "custom" and custom is None:
        raise ValueError("resolver='custom' needs resolve=fn, a callable resolve(local, incoming) -> value")
    if resolve is not None and resolver not in ("custom", "siblings"):
        raise ValueError(f"resolve is used only with resolver 'custom' or 'siblings', got {resolver!r}")
    if workload not in WORKLOADS:
        raise ValueError(f"workload must be one of {list(WORKLOADS)}, got {workload!r}")
    if workload == "cart" and resolver in _REGISTER_ONLY:
        raise ValueError(f"resolver {resolver!r} works with workload='register' only")
    if workload == "register" and resolver in _CART_ONLY:
        raise ValueError(f"resolver {resolver!r} works with workload='cart' only")
    clock_skew = _number("clock_skew", clock_skew)
    write_rate = _number("write_rate", write_rate)
    relocation_rate = _number("relocation_rate", relocation_rate)
    duration = _number("duration", duration, strict=True)
    latency = _number("latency", latency)
    jitter = _number("jitter", jitter, high=latency)
    remove_fraction = _number("remove_fraction", remove_fraction, high=1.0)
    if (
        isinstance(keys, bool)
        or not isinstance(keys, (int, np.integer))
        or not 1 <= keys <= len(_REGISTER_KEYS)
    ):
        raise ValueError(f"keys must be an integer in 1..{len(_REGISTER_KEYS)}, got {keys!r}")
    offsets = {node: 0.0 for node in nodes}
    if clock_offsets is not None:
        for node, off in sorted(clock_offsets.items()):
            offsets[_check_node("clock_offsets key", node, nodes)] = _number(
                f"clock_offsets[{node!r}]", off, low=-math.inf
            )
    drifts = {node: 0.0 for node in nodes}
    if isinstance(clock_drift, Mapping):
        for node, d in sorted(clock_drift.items()):
            drifts[_check_node("clock_drift key", node, nodes)] = _number(
                f"clock_drift[{node!r}]", d, low=-0.5, high=0.5
            )
        drift_spread = 0.0
    else:
        drift_spread = _number("clock_drift", clock_drift, high=1.0)
    down = sorted({_check_node("failed", f, nodes) for f in (failed or ())})
    crash_list: list[tuple[str, float, float | None]] = []
    for c in crashes or ():
        if len(c) != 3:
            raise ValueError(f"crashes must hold (node, at, recover_at or None) tuples, got {c!r}")
        at = _number("crash time", c[1])
        crash_list.append((_check_node("crash node", c[0], nodes), at, _optional_end("recover_at", c[2], at)))
    link_list: list[tuple[str, str, float, float | None]] = []
    for lf in link_failures or ():
        if len(lf) != 4:
            raise ValueError(f"link_failures must hold (src, dst, at, heal_at or None) tuples, got {lf!r}")
        src, dst = _check_node("link src", lf[0], nodes), _check_node("link dst", lf[1], nodes)
        if src == dst:
            raise ValueError(f"a link failure needs two different leaders, got {src!r} -> {dst!r}")
        at = _number("link failure time", lf[2])
        link_list.append((src, dst, at, _optional_end("heal_at", lf[3], at)))
    part_list: list[tuple[list[list[str]], float, float | None]] = []
    for p in partitions or ():
        if len(p) != 3:
            raise ValueError(f"partitions must hold (groups, at, heal_at or None) tuples, got {p!r}")
        groups = [[_check_node("partition node", node, nodes) for node in g] for g in p[0]]
        at = _number("partition time", p[1])
        part_list.append((groups, at, _optional_end("partition heal_at", p[2], at)))
    reloc_list = []
    for r in relocations or ():
        if len(r) != 3:
            raise ValueError(f"relocations must hold (time, key, node) tuples, got {r!r}")
        reloc_list.append(
            (_number("relocation time", r[0]), str(r[1]), _check_node("relocation node", r[2], nodes))
        )
    script = None if ops is None else _check_ops(ops, nodes, workload, resolver)

    # -- build ---------------------------------------------------------------------------------
    base = as_rng(seed)
    wl_rng, clock_rng, net_rng, reloc_rng = (
        np.random.default_rng(s) for s in base.integers(0, 2**63, size=4)
    )
    if clock_offsets is None and clock_skew > 0:
        for node, off in zip(nodes, clock_rng.uniform(-clock_skew / 2, clock_skew / 2, n), strict=True):
            offsets[node] = float(off)
    if drift_spread > 0:
        for node, d in zip(nodes, clock_rng.uniform(-drift_spread / 2, drift_spread / 2, n), strict=True):
            drifts[node] = float(d)
    sim = Simulation()
    rec = Recorder()
    dist: Distribution = Constant(latency) if jitter == 0 else Uniform(latency - jitter, latency + jitter)
    net = Network(sim, nodes, latency=dist, seed=net_rng, recorder=rec)
    clocks = {node: NodeClock(sim, offsets[node], drifts[node]) for node in nodes}
    model = _Model(
        sim=sim,
        net=net,
        rec=rec,
        nodes=nodes,
        graph=graph,
        clocks=clocks,
        resolver=resolver,
        resolve=custom,
        workload=workload,
        tombstones=bool(tombstones),
        causal=bool(causal),
    )
    key_names = list(_CART_KEYS if workload == "cart" else _REGISTER_KEYS)[:keys]
    if script is not None:
        key_names = sorted({str(op["key"]) for op in script})
    if resolver == "avoid":
        model.home = {k: home_leader(k, n) for k in key_names}

    # faults first, then relocations, then client operations (same-time order)
    for node in down:
        net.crash(node, 0.0)
    for node, at, until in crash_list:
        net.crash(node, at, until)
    for src, dst, at, until in link_list:
        net.cut_link(src, dst, at, until, both_ways=False)
        if until is not None:
            sim.at(until, model._anti_entropy, dst, [src])
    for groups, at, until in part_list:
        net.partition(groups, at, until)
        if until is not None:
            for node in nodes:
                sim.at(until, model._anti_entropy, node, model.inn[node])
    if script is None and resolver == "avoid" and relocation_rate > 0 and n > 1:
        for k in key_names:
            count = int(reloc_rng.poisson(relocation_rate * duration / 1000.0))
            for t in np.sort(reloc_rng.uniform(0.0, duration, count)):
                reloc_list.append((float(t), k, ""))
    placed: dict[str, str] = dict(model.home)
    for t, k, node in sorted(reloc_list, key=lambda r: (r[0], r[1])):
        if not node:  # a random relocation: any other leader
            current = placed.get(k, home_leader(k, n))
            others = [m for m in nodes if m != current]
            node = others[int(reloc_rng.integers(len(others)))]
        placed[k] = node
        sim.at(t, model.relocate, k, node)
    if script is not None:
        for spec in script:
            sim.at(float(spec["time"]), model.client, spec)
    else:
        for spec in _random_ops(
            wl_rng, nodes, key_names, workload, resolver, write_rate, duration, remove_fraction
        ):
            sim.at(spec["time"], model.client, spec)
    end_time = sim.run()

    # -- results ---------------------------------------------------------------------------------
    live = [node for node in nodes if net.is_up(node)]
    final = {node: {k: _display(s.value) for k, s in model.leaders[node].keys.items()} for node in nodes}
    acked = [r for r in rec.ops if r["kind"] == "write" and r["ok"]]
    lost_flags, resurrected = _losses(model, rec, live, workload)
    for record in rec.ops:
        if record["kind"] == "write":
            record["lost"] = lost_flags.get(record["op_id"], False)
            record["resurrected"] = record["op_id"] in resurrected
    delivery = _delivery_frame(model)
    since = max([float(r["end"]) for r in acked] + [net.last_fault_end, 0.0])
    n_messages = sum(1 for m in rec.messages if m["kind"] in _REPLICATION_KINDS)
    acked_ids = {r["op_id"] for r in acked}
    applied: dict[str, set[int]] = {node: set() for node in nodes}
    remote = 0
    waits = 0.0
    ooo = 0
    origin_of = {op_id: w.origin for op_id, w in model.writes.items()}
    for op_id, node, time, arrived, out_of_order in model.delivery:
        applied[node].add(op_id)
        if node != origin_of[op_id]:
            remote += 1
            waits += time - arrived
            ooo += out_of_order
    # a replica that applied every acknowledged write holds the reference state (order does not matter)
    behind = [node for node in live if not acked_ids <= applied[node]]
    reference = model.reference(acked_ids) if behind else {}
    counts = {
        "writes_acked": len(acked),
        "writes_failed": sum(1 for r in rec.ops if r["kind"] == "write" and not r["ok"]),
        "lost_writes": int(sum(lost_flags.values())),
        "conflicts": _conflicts(model, acked),
        "resurrections": len(resurrected),
        "unconverged_replicas": sum(1 for node in behind if not _same_state(final[node], reference)),
        "missing_deliveries": sum(len(acked_ids - applied[node]) for node in live),
        "messages_per_write": n_messages / len(acked) if acked else 0.0,
        "out_of_order": int(ooo),
        "causal_delay_ms": waits / remote if remote else 0.0,
    }

    def compute(run: Run) -> dict[str, Any]:
        conv = metrics.convergence_time(run.versions, run.final_state, live, since)
        return {**counts, "convergence_time": conv}

    params = {
        "leaders": n,
        "resolver": resolver,
        "topology": topology if isinstance(topology, str) else "custom graph",
        "clock_skew": clock_skew,
        "workload": workload,
        "write_rate": write_rate,
        "relocation_rate": relocation_rate,
        "duration": duration,
        "latency": latency,
        "jitter": jitter,
        "causal": bool(causal),
        "tombstones": bool(tombstones),
        "seed": seed if not isinstance(seed, np.random.Generator) else "generator",
        "scripted": script is not None,
    }
    extras = {
        "counts": counts,
        "delivery": delivery,
        "graph": graph,
        "live": live,
        "failed": down,
        "home": dict(model.home),
        "clock_offsets": offsets,
        "writes": model.writes,
    }
    return Run(
        model="multi-leader",
        params=params,
        nodes=nodes,
        recorder=rec,
        final_state=final,
        metrics=compute,
        end_time=end_time,
        extras=extras,
    )


def _check_ops(
    ops: Sequence[Mapping[str, Any]], nodes: list[str], workload: str, resolver: str
) -> list[dict]:
    allowed = ("set", "read") if workload == "register" else ("add", "remove", "read")
    out = []
    for i, op in enumerate(ops):
        if not isinstance(op, Mapping):
            raise ValueError(f"ops[{i}] must be a dict(time=..., node=..., key=..., value=...), got {op!r}")
        spec = dict(op)
        spec["time"] = _number(f"ops[{i}]['time']", spec.get("time"))
        spec.setdefault("key", "x" if workload == "register" else "cart")
        spec["key"] = str(spec["key"])
        kind = spec.setdefault("op", "set" if workload == "register" else "add")
        if kind not in allowed:
            raise ValueError(
                f"ops[{i}]['op'] must be one of {list(allowed)} for workload={workload!r}, got {kind!r}"
            )
        node = spec.get("node")
        if node is None and resolver != "avoid":
            raise ValueError(f"ops[{i}] needs a 'node' (one of {nodes}) unless resolver='avoid'")
        if node is not None:
            _check_node(f"ops[{i}]['node']", node, nodes)
        if kind != "read":
            if "value" not in spec:
                raise ValueError(f"ops[{i}] needs a 'value'")
            try:
                hash(spec["value"])  # immutable values only: messages never carry mutable objects
            except TypeError:
                raise ValueError(
                    f"ops[{i}]['value'] must be immutable (hashable), got {spec['value']!r}"
                ) from None
        out.append(spec)
    return sorted(out, key=lambda s: s["time"])


def _random_ops(
    rng: np.random.Generator,
    nodes: list[str],
    key_names: list[str],
    workload: str,
    resolver: str,
    write_rate: float,
    duration: float,
    remove_fraction: float,
) -> list[dict[str, Any]]:
    n = len(nodes)
    count = int(rng.poisson(write_rate * n * duration / 1000.0))
    times = np.sort(rng.uniform(0.0, duration, count))
    key_idx = rng.integers(len(key_names), size=count)
    node_idx = rng.integers(n, size=count)
    values = rng.integers(1, 100, size=count)
    u1, u2 = rng.random(count), rng.random(count)
    specs = []
    for i in range(count):
        spec: dict[str, Any] = {"time": float(times[i]), "key": key_names[key_idx[i]]}
        if resolver != "avoid":
            spec["node"] = nodes[node_idx[i]]
        if workload == "cart":
            item = f"item{i}"
            if u1[i] < remove_fraction:
                spec.update(op="remove-any", u=float(u2[i]), fallback=item)
            else:
                spec.update(op="add", value=item)
        else:
            spec.update(op="set", value=int(values[i]))
        specs.append(spec)
    return specs


# -- metrics --------------------------------------------------------------------------------------
def _losses(model: _Model, rec: Recorder, live: list[str], workload: str) -> tuple[dict[int, bool], set[int]]:
    """Lost writes (per acknowledged write) and resurrecting removals.

    A write counts as lost when no live replica retains it (for registers: it
    is absent and was not legitimately overwritten, by
    :func:`replnb.metrics.lost_writes`); a removal counts as resurrected when a
    deleted item is back at some live replica.
    """
    writes = [r for r in rec.ops if r["kind"] == "write" and r["ok"]]
    if not writes:
        return {}, set()
    if workload == "cart":
        removed = {tag for tags in model.removed_tags.values() for tag in tags}
        adds = [(r["value"], r["op_id"]) for r in writes if r["op"] == "add"]
        expected = [p for p in adds if p not in removed]
        lost_pairs = set(expected)
        back: set[tuple[str, int]] = set()
        for node in live:
            pairs: set[tuple[str, int]] = set()
            for state in model.leaders[node].keys.values():
                if isinstance(state.value, Cart):
                    pairs |= state.value.items - state.value.removed
            lost_pairs &= metrics.lost_elements(expected, pairs)
            back |= metrics.resurrections(removed, pairs)  # type: ignore[arg-type]
        lost = {r["op_id"]: (r["value"], r["op_id"]) in lost_pairs for r in writes if r["op"] == "add"}
        for r in writes:
            lost.setdefault(r["op_id"], False)
        resurrected = {op_id for op_id, tags in model.removed_tags.items() if tags & back}
        return lost, resurrected
    ops = pd.DataFrame(
        {
            "op_id": np.array([r["op_id"] for r in writes], dtype=np.int64),
            "kind": ["write"] * len(writes),
            "key": [r["key"] for r in writes],
            "start": np.array([r["start"] for r in writes], dtype=float),
            "end": np.array([r["end"] for r in writes], dtype=float),
            "ok": np.ones(len(writes), dtype=bool),
        }
    )
    acked_ids = [r["op_id"] for r in writes]
    lost_anywhere = np.ones(len(acked_ids), dtype=bool)
    seen_views: set[tuple[tuple[str, frozenset[int]], ...]] = set()
    for node in live:
        view = tuple(sorted((k, s.contributors) for k, s in model.leaders[node].keys.items()))
        if view in seen_views:
            continue
        seen_views.add(view)
        survivors: dict[str, set[int]] = {k: set(c) for k, c in view}
        depth = max((len(c) for c in survivors.values()), default=0)
        lost_here = np.ones(len(acked_ids), dtype=bool)
        for i in range(max(depth, 1)):
            pick: dict[Hashable, Hashable | None] = {
                k: (sorted(c)[i] if i < len(c) else sorted(c)[0]) for k, c in survivors.items() if c
            }
            flags = metrics.lost_writes(ops, pick).to_numpy()
            lost_here &= flags
        lost_anywhere &= lost_here
    return {op_id: bool(f) for op_id, f in zip(acked_ids, lost_anywhere, strict=True)}, set()


def _conflicts(model: _Model, acked: list[dict[str, Any]]) -> int:
    """Pairs of acknowledged writes to the same key that are concurrent (version vectors)."""
    by_key: dict[str, list[VersionVector]] = {}
    for r in acked:
        w = model.writes.get(r["op_id"])
        if w is not None:
            by_key.setdefault(w.key, []).append(w.vv)
    total = 0
    for vvs in by_key.values():
        if len(vvs) < 2:
            continue
        m = np.array([[vv.get(node) for node in model.nodes] for vv in vvs])
        le = (m[:, None, :] <= m[None, :, :]).all(axis=2)
        concurrent = ~le & ~le.T
        total += int(np.triu(concurrent, 1).sum())
    return total


def _delivery_frame(model: _Model) -> pd.DataFrame:
    rows = model.delivery
    origin = {op_id: w.origin for op_id, w in model.writes.items()}
    time = np.array([r[2] for r in rows], dtype=float)
    arrived = np.array([r[3] for r in rows], dtype=float)
    return pd.DataFrame(
        {
            "op_id": np.array([r[0] for r in rows], dtype=np.int64),
            "node": [r[1] for r in rows],
            "time": time,
            "arrived": arrived,
            "wait": time - arrived,
            "origin": [origin[r[0]] for r in rows],
            "out_of_order": np.array([r[4] for r in rows], dtype=bool),
        }
    )


# -- helpers for notebooks and widgets -------------------------------------------------------------
def divergence(run: Run, key: str | None = None) -> pd.DataFrame:
    """The number of distinct values across the live replicas over time.

    A step function (columns ``time``, ``distinct``), from
    :func:`replnb.metrics.divergence`; it rises when replicas disagree and
    falls back to 1 when they converge.

    Examples
    --------
    >>> run = simulate(ops=[dict(time=0, node="A", key="x", value=1)])
    >>> divergence(run).values.tolist()
    [[0.0, 2.0], [10.0, 1.0]]
    """
    return metrics.divergence(run.versions, run.extras.get("live", run.nodes), key)


def clip(run: Run, start: float, end: float, *, message_labels: bool = True) -> Run:
    """A view of ``run`` with the operations that start in ``[start, end]`` and their messages.

    For drawing a readable space-time diagram of part of a long run: the
    view keeps the writes that began in the window, every message that
    carried one of them (forwarded copies and catch-up included) and the
    anti-entropy requests sent in the window (``message_labels=False``
    blanks the messages' labels); its metrics, final state and extras are
    those of the whole run.

    Examples
    --------
    >>> ops = [dict(time=0, node="A", key="x", value=1), dict(time=50, node="B", key="x", value=2)]
    >>> part = clip(simulate(ops=ops), 40.0, 100.0)
    >>> part.ops["value"].tolist(), part.messages["src"].tolist()
    ([2], ['B'])
    """
    rec = Recorder()
    rec.ops = [r for r in run.recorder.ops if start <= r["start"] <= end]
    keep = {r["op_id"] for r in rec.ops}
    rec.messages = [
        m
        for m in run.recorder.messages
        if m.get("op_id") in keep or (m.get("op_id") == -1 and start <= m["sent"] <= end)
    ]
    if not message_labels:
        rec.messages = [{**m, "label": ""} for m in rec.messages]
    rec.versions = [v for v in run.recorder.versions if start <= v["time"] <= end]
    rec.events = list(run.recorder.events)
    return Run(
        model=run.model,
        params={**run.params, "clip": (start, end)},
        nodes=run.nodes,
        recorder=rec,
        final_state={n: {} for n in run.nodes},
        metrics=lambda _: {str(k): v for k, v in run.metrics.items()},
        end_time=end,
        extras=run.extras,
    )


def focus(run: Run) -> tuple[float, str | None]:
    """The most telling write of a run: ``(start, key)`` of its first lost write, else of the
    first write that arrived as a conflict, else ``(0.0, None)``.

    Examples
    --------
    >>> ops = [dict(time=0, node="A", key="x", value=1), dict(time=10, node="B", key="x", value=2)]
    >>> focus(simulate(ops=ops, clock_offsets={"B": -40.0}))
    (10.0, 'x')
    """
    lost = [(float(r["start"]), r["op_id"], r["key"]) for r in run.recorder.ops if r.get("lost")]
    if lost:
        start, _, key = min(lost)
        return start, key
    by_id = {r["op_id"]: r for r in run.recorder.ops}
    conflicts = [by_id[v["op_id"]] for v in run.recorder.versions if v["event"] == "conflict"]
    if conflicts:
        first = min(conflicts, key=lambda r: (float(r["start"]), r["op_id"]))
        return float(first["start"]), first["key"]
    return 0.0, None


#: Named strategies for comparisons: keyword arguments for :func:`simulate`.
STRATEGIES: Mapping[str, Mapping[str, Any]] = {
    "avoidance": {"resolver": "avoid"},
    "last-write-wins": {"resolver": "lww"},
    "siblings (on read)": {"resolver": "siblings"},
    "cart: union": {"resolver": "union", "workload": "cart"},
    "cart: union + tombstones": {"resolver": "union", "workload": "cart", "tombstones": True},
}

_SUMMARY = ("writes_acked", "lost_writes", "conflicts", "resurrections", "convergence_time")


def compare_strategies(
    strategies: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    columns: Sequence[str] = _SUMMARY,
    **params: Any,
) -> pd.DataFrame:
    """Run each strategy on the same random workload; one row of metrics each.

    Parameters
    ----------
    strategies : mapping, optional
        Name -> keyword arguments for :func:`simulate` (default :data:`STRATEGIES`).
    columns : sequence of str
        The metrics to report (names of ``run.metrics``).
    **params
        Common keyword arguments for :func:`simulate` (a strategy's own win).

    Examples
    --------
    >>> table = compare_strategies(clock_skew=100.0, duration=500.0, seed=1)
    >>> table.columns.tolist()
    ['writes_acked', 'lost_writes', 'conflicts', 'resurrections', 'convergence_time']
    >>> int(table.loc["cart: union + tombstones", "resurrections"])
    0
    """
    return _compare(strategies, columns, params)[0]


def _compare(
    strategies: Mapping[str, Mapping[str, Any]] | None, columns: Sequence[str], params: Mapping[str, Any]
) -> tuple[pd.DataFrame, dict[str, Run]]:
    rows, runs = {}, {}
    for name, kwargs in (strategies or STRATEGIES).items():
        run = simulate(**{**params, **kwargs})
        counts = run.extras["counts"]
        source = counts if all(c in counts for c in columns) else run.metrics  # skip DataFrames if we can
        rows[name] = [source[c] for c in columns]
        runs[name] = run
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(columns))
    table.index.name = "strategy"
    ints = [c for c in columns if c in _INTEGER_METRICS]
    return table.astype(dict.fromkeys(ints, int)), runs


_INTEGER_METRICS = (
    "writes_acked",
    "writes_failed",
    "lost_writes",
    "conflicts",
    "resurrections",
    "unconverged_replicas",
    "out_of_order",
)


def sweep(
    param: str,
    values: Iterable[Any],
    *,
    strategies: Mapping[str, Mapping[str, Any]] | None = None,
    seeds: Iterable[int] = range(3),
    aggregate: bool = True,
    **params: Any,
) -> pd.DataFrame:
    """Metrics of :func:`simulate` as ``param`` varies, over several seeds.

    Returns a tidy DataFrame with the columns ``strategy``, ``param`` and
    every metric: with ``aggregate=True`` one row per strategy and value (the
    mean over ``seeds``; ``convergence_time`` is ``inf`` as soon as one seed
    never converges), otherwise one row per run with a ``seed`` column.

    Examples
    --------
    >>> df = sweep("clock_skew", [0.0, 100.0], strategies={"lww": {"resolver": "lww"}},
    ...            seeds=[0], duration=300.0)
    >>> df[["strategy", "clock_skew"]].values.tolist()
    [['lww', 0.0], ['lww', 100.0]]
    """
    rows = []
    seeds = list(seeds)
    values = list(values)
    for name, kwargs in (strategies or {"": {}}).items():
        for value in values:
            for s in seeds:
                run = simulate(**{**params, **kwargs, param: value, "seed": s})
                rows.append(
                    {"strategy": name, param: value, "seed": s, **run.metrics.astype(float).to_dict()}
                )
    df = pd.DataFrame(rows)
    if not aggregate:
        return df
    out = df.drop(columns="seed").groupby(["strategy", param], sort=False).mean().reset_index()
    return out
