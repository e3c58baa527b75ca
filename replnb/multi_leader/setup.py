"""The checked parameters of one multi-leader run: the specs of :func:`simulate` and :class:`Setup`.

:func:`replnb.multi_leader.simulate` declares its scalar parameters with the
specs in :data:`SPECS` (:mod:`replnb.params`); :func:`check_setup` then
checks the structured ones (the topology graph, scripts, fault lists,
clock mappings) and how parameters fit together, and returns one frozen
:class:`Setup` that the schedule and collect steps read.

Every message has the one format of :mod:`replnb.params`:
``"<name> must be <what>, got <value>"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ..engine.geography import Geography, geography
from ..engine.network import node_names
from ..engine.rng import Seed
from ..params import Choice, Flag, Int, Real, Spec
from . import graph as topologies
from .state import CART_ONLY, MAX_LEADERS, REGISTER_KEYS, REGISTER_ONLY, RESOLVERS, WORKLOADS, Resolve

__all__ = [
    "DEFAULTS",
    "MAX_DURATION",
    "MAX_EVENTS",
    "MAX_OPS",
    "MAX_WRITES",
    "SPECS",
    "Drift",
    "Resolver",
    "Setup",
    "Topology",
    "check_setup",
]

#: The longest random workload (ms).
MAX_DURATION = 60_000.0
#: A random workload may expect at most this many writes (``write_rate * leaders * duration``),
#: and a script may hold at most this many: about 5 s for the slowest run (ten all-to-all
#: leaders adding items to one cart, with jitter and a custom merge).
MAX_WRITES = 600
#: A script holds at most this many operations (reads included).
MAX_OPS = 20_000
#: Each list of faults or relocations holds at most this many entries.
MAX_EVENTS = 1_000
#: Any time or clock offset in a script or fault list lies within this many ms of 0.
MAX_TIME = 1e9


class Resolver(Choice):
    """One of the resolver names, or a callable ``resolve(local, incoming) -> value``.

    Examples
    --------
    >>> Resolver(("lww", "max")).check("resolver", max) is max
    True
    >>> Resolver(("lww", "max")).check("resolver", "newest")
    Traceback (most recent call last):
    ...
    ValueError: resolver must be one of ['lww', 'max'] or a callable resolve(local, incoming), got 'newest'
    """

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        if callable(value):
            return True, value
        return super().accept(value, context)

    def describe(self, context: Mapping[str, Any]) -> str:
        return super().describe(context) + " or a callable resolve(local, incoming)"


class Topology(Choice):
    """One of the topology names, or a :class:`networkx.DiGraph` (its shape is checked apart).

    Examples
    --------
    >>> Topology(("circular",)).check("topology", "ring")
    Traceback (most recent call last):
    ...
    ValueError: topology must be one of ['circular'] or a networkx.DiGraph, got 'ring'
    """

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        if isinstance(value, nx.DiGraph):
            return True, value
        return super().accept(value, context)

    def describe(self, context: Mapping[str, Any]) -> str:
        return super().describe(context) + " or a networkx.DiGraph"


class Drift(Real):
    """The width of a random spread of clock drifts, or a mapping leader -> drift (checked apart).

    Examples
    --------
    >>> Drift(0, 1).check("clock_drift", 1e-3), Drift(0, 1).check("clock_drift", {"A": 0.1})
    (0.001, {'A': 0.1})
    """

    def accept(self, value: Any, context: Mapping[str, Any]) -> tuple[bool, Any]:
        if isinstance(value, Mapping):
            return True, value
        return super().accept(value, context)

    def describe(self, context: Mapping[str, Any]) -> str:
        return super().describe(context) + " or a mapping from leader to drift rate"


#: The specs of :func:`replnb.multi_leader.simulate`, in the order they are checked.
SPECS: dict[str, Spec] = {
    "leaders": Int(2, MAX_LEADERS),
    "topology": Topology(topologies.KINDS),
    "resolver": Resolver(RESOLVERS),
    "workload": Choice(WORKLOADS),
    "clock_skew": Real(0, 60_000, unit="ms"),
    "clock_drift": Drift(0, 1),
    "write_rate": Real(0, 1000, unit="writes per second per leader"),
    "relocation_rate": Real(0, 100, unit="per second per key"),
    "duration": Real(0, MAX_DURATION, unit="ms", low_open=True),
    "latency": Real(0, 10_000, unit="ms"),
    "jitter": Real(0, "latency", unit="ms"),
    "client_latency": Real(0, 10_000, unit="ms"),
    "far_latency": Real(0, 10_000, unit="ms"),
    "reorder": Flag(),
    "causal": Flag(),
    "tombstones": Flag(),
    "keys": Int(1, len(REGISTER_KEYS)),
    "remove_fraction": Real(0, 1),
}

_TIME = Real(0, MAX_TIME, unit="ms")
_OFFSET = Real(-MAX_TIME, MAX_TIME, unit="ms")
_DRIFT = Real(-0.5, 0.5)

Crash = tuple[str, float, float | None]
LinkFailure = tuple[str, str, float, float | None]
Partition = tuple[list[list[str]], float, float | None]
Relocation = tuple[float, str, str]


@dataclass(frozen=True)
class Setup:
    """Every parameter of one run, checked and normalised (see :func:`simulate` for their meaning)."""

    graph: nx.DiGraph
    nodes: list[str]
    topology: str
    resolver: str
    resolve: Resolve | None
    workload: str
    offsets: dict[str, float]
    random_offsets: bool
    clock_skew: float
    drifts: dict[str, float]
    drift_spread: float
    script: list[dict[str, Any]] | None
    write_rate: float
    relocation_rate: float
    relocations: list[Relocation]
    duration: float
    latency: float
    jitter: float
    reorder: bool
    failed: list[str]
    crashes: list[Crash]
    link_failures: list[LinkFailure]
    partitions: list[Partition]
    causal: bool
    tombstones: bool
    seed: Seed
    keys: int
    remove_fraction: float
    geo: Geography
    client_latency: float

    @property
    def n(self) -> int:
        """The number of leaders."""
        return len(self.nodes)


def check_setup(values: Mapping[str, Any]) -> Setup:
    """Check the structured parameters of :func:`simulate` (the scalars are already checked).

    Examples
    --------
    >>> setup = check_setup({**DEFAULTS, "failed": "B"})
    >>> setup.nodes, setup.failed
    (['A', 'B'], ['B'])
    """
    v = dict(values)
    graph = _graph(v["topology"], v["leaders"])
    nodes = sorted(graph.nodes)
    resolver, resolve = _resolver(v["resolver"], v["resolve"], v["workload"])
    if v["ops"] is None:
        _budget(v["write_rate"], len(nodes), v["duration"])
    drifts, spread = _drifts(v["clock_drift"], nodes)
    script = None if v["ops"] is None else _check_ops(v["ops"], nodes, v["workload"], resolver)
    clients = sorted({str(op["client"]) for op in script or () if op.get("client") is not None})
    geo = geography(v["regions"], v["far_latency"], [*nodes, *(c for c in clients if c not in nodes)])
    return Setup(
        graph=graph,
        nodes=nodes,
        topology=v["topology"] if isinstance(v["topology"], str) else "custom graph",
        resolver=resolver,
        resolve=resolve,
        workload=v["workload"],
        offsets=_offsets(v["clock_offsets"], nodes),
        random_offsets=v["clock_offsets"] is None and v["clock_skew"] > 0,
        clock_skew=v["clock_skew"],
        drifts=drifts,
        drift_spread=spread,
        script=script,
        write_rate=v["write_rate"],
        relocation_rate=v["relocation_rate"],
        relocations=[_relocation(r, nodes) for r in _entries("relocations", v["relocations"])],
        duration=v["duration"],
        latency=v["latency"],
        jitter=v["jitter"],
        reorder=v["reorder"],
        failed=sorted({_node("failed", f, nodes) for f in (v["failed"] or ())}),
        crashes=[_crash(c, nodes) for c in _entries("crashes", v["crashes"])],
        link_failures=[_link_failure(lf, nodes) for lf in _entries("link_failures", v["link_failures"])],
        partitions=[_partition(p, nodes) for p in _entries("partitions", v["partitions"])],
        causal=v["causal"],
        tombstones=v["tombstones"],
        seed=v["seed"],
        keys=v["keys"],
        remove_fraction=v["remove_fraction"],
        geo=geo,
        client_latency=v["client_latency"],
    )


# -- the pieces ------------------------------------------------------------------------------------
def _graph(topology: str | nx.DiGraph, leaders: int) -> nx.DiGraph:
    if not isinstance(topology, nx.DiGraph):
        return topologies.build(topology, leaders)
    n = topology.number_of_nodes()
    if not 2 <= n <= MAX_LEADERS or sorted(topology.nodes) != node_names(n):
        raise ValueError(
            f"topology must be a graph on 2..{MAX_LEADERS} nodes named 'A', 'B', ... (consecutive), "
            f"got nodes {sorted(topology.nodes)!r}"
        )
    loops = sorted(u for u, v in topology.edges if u == v)
    if loops:
        raise ValueError(f"topology must be a graph without self-loops, got self-loops at {loops!r}")
    return topology


def _resolver(resolver: str | Resolve, resolve: Resolve | None, workload: str) -> tuple[str, Resolve | None]:
    """The resolver's name and the custom function it uses (if any)."""
    custom: Resolve | None = None
    if callable(resolver):
        custom, resolver = resolver, "custom"
    if resolve is not None and not callable(resolve):
        raise ValueError(
            f"resolve must be a callable resolve(local, incoming) -> value or None, got {resolve!r}"
        )
    if custom is not None and resolve is not None and resolve is not custom:
        raise ValueError(
            f"resolve must be None when resolver is a callable (give the function once), got {resolve!r}"
        )
    if resolve is not None and resolver not in ("custom", "siblings"):
        raise ValueError(
            f"resolve must be None for resolver={resolver!r} (it serves 'custom' and 'siblings'), "
            f"got {resolve!r}"
        )
    custom = custom or resolve
    if resolver == "custom" and custom is None:
        raise ValueError(
            "resolve must be a callable resolve(local, incoming) -> value for resolver='custom', got None"
        )
    if workload == "cart" and resolver in REGISTER_ONLY:
        raise ValueError(
            f"resolver must not be one of {list(REGISTER_ONLY)} for workload='cart' "
            f"(they merge registers), got {resolver!r}"
        )
    if workload == "register" and resolver in CART_ONLY:
        raise ValueError(
            f"resolver must not be one of {list(CART_ONLY)} for workload='register' "
            f"(it merges carts: use workload='cart'), got {resolver!r}"
        )
    return resolver, custom


def _budget(write_rate: float, n: int, duration: float) -> None:
    expected = write_rate * n * duration / 1000.0
    if expected > MAX_WRITES:
        raise ValueError(
            f"write_rate * leaders * duration must stay within {MAX_WRITES} expected writes, "
            f"got {write_rate:g}/s * {n} * {duration:g} ms = {expected:g}"
        )


def _node(name: str, node: Any, nodes: list[str]) -> str:
    if not isinstance(node, str) or node not in nodes:
        raise ValueError(f"{name} must be a leader among {nodes}, got {node!r}")
    return node


def _entries(name: str, items: Sequence[Any] | None) -> Sequence[Any]:
    items = items or ()
    if len(items) > MAX_EVENTS:
        raise ValueError(f"{name} must hold at most {MAX_EVENTS} entries, got {len(items)}")
    return items


def _end(name: str, end: Any, start: float) -> float | None:
    if end is None:
        return None
    t: float = _TIME.check(name, end)
    if not t > start:
        raise ValueError(f"{name} must be None or a time > {start} ms, got {end!r}")
    return t


def _offsets(clock_offsets: Mapping[str, Any] | None, nodes: list[str]) -> dict[str, float]:
    offsets = dict.fromkeys(nodes, 0.0)
    for node, off in sorted((clock_offsets or {}).items()):
        offsets[_node("clock_offsets key", node, nodes)] = _OFFSET.check(f"clock_offsets[{node!r}]", off)
    return offsets


def _drifts(clock_drift: float | Mapping[str, Any], nodes: list[str]) -> tuple[dict[str, float], float]:
    """The drift per leader given as a mapping, and the width of a random spread otherwise."""
    drifts = dict.fromkeys(nodes, 0.0)
    if not isinstance(clock_drift, Mapping):
        return drifts, float(clock_drift)
    for node, d in sorted(clock_drift.items()):
        drifts[_node("clock_drift key", node, nodes)] = _DRIFT.check(f"clock_drift[{node!r}]", d)
    return drifts, 0.0


def _tuple(name: str, item: Any, size: int, what: str) -> Sequence[Any]:
    if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != size:
        raise ValueError(f"{name} must hold {what} tuples, got {item!r}")
    return item


def _crash(c: Any, nodes: list[str]) -> Crash:
    node, at, until = _tuple("crashes", c, 3, "(node, at, recover_at or None)")
    start = _TIME.check("crash time", at)
    return _node("crash node", node, nodes), start, _end("recover_at", until, start)


def _link_failure(lf: Any, nodes: list[str]) -> LinkFailure:
    src, dst, at, until = _tuple("link_failures", lf, 4, "(src, dst, at, heal_at or None)")
    src, dst = _node("link src", src, nodes), _node("link dst", dst, nodes)
    if src == dst:
        raise ValueError(f"link dst must be another leader than link src, got {src!r} -> {dst!r}")
    start = _TIME.check("link failure time", at)
    return src, dst, start, _end("heal_at", until, start)


def _partition(p: Any, nodes: list[str]) -> Partition:
    groups, at, until = _tuple("partitions", p, 3, "(groups, at, heal_at or None)")
    checked = [[_node("partition node", node, nodes) for node in g] for g in groups]
    start = _TIME.check("partition time", at)
    return checked, start, _end("partition heal_at", until, start)


def _relocation(r: Any, nodes: list[str]) -> Relocation:
    t, key, node = _tuple("relocations", r, 3, "(time, key, node)")
    return _TIME.check("relocation time", t), str(key), _node("relocation node", node, nodes)


def _check_ops(
    ops: Sequence[Mapping[str, Any]], nodes: list[str], workload: str, resolver: str
) -> list[dict]:
    """The script, each operation checked and completed, sorted by time (stable)."""
    if len(ops) > MAX_OPS:
        raise ValueError(f"ops must hold at most {MAX_OPS} operations, got {len(ops)}")
    allowed = ("set", "read") if workload == "register" else ("add", "remove", "read")
    out = [_check_op(i, op, nodes, workload, resolver, allowed) for i, op in enumerate(ops)]
    writes = sum(1 for op in out if op["op"] != "read")
    if writes > MAX_WRITES:
        raise ValueError(f"ops must hold at most {MAX_WRITES} writes (and any number of reads), got {writes}")
    return sorted(out, key=lambda s: s["time"])


def _check_op(
    i: int, op: Any, nodes: list[str], workload: str, resolver: str, allowed: tuple[str, ...]
) -> dict[str, Any]:
    if not isinstance(op, Mapping):
        raise ValueError(f"ops[{i}] must be a dict(time=..., node=..., key=..., value=...), got {op!r}")
    spec = dict(op)
    spec["time"] = _TIME.check(f"ops[{i}]['time']", spec.get("time"))
    spec["key"] = str(spec.setdefault("key", "x" if workload == "register" else "cart"))
    kind = spec.setdefault("op", "set" if workload == "register" else "add")
    if kind not in allowed:
        raise ValueError(
            f"ops[{i}]['op'] must be one of {list(allowed)} for workload={workload!r}, got {kind!r}"
        )
    node = spec.get("node")
    if node is None and resolver != "avoid":
        raise ValueError(
            f"ops[{i}]['node'] must be one of {nodes} (optional under resolver='avoid'), got None"
        )
    if node is not None:
        _node(f"ops[{i}]['node']", node, nodes)
    if kind != "read":
        if "value" not in spec:
            raise ValueError(f"ops[{i}] must have a 'value' for op {kind!r}, got {dict(op)!r}")
        try:
            hash(spec["value"])  # immutable values only: messages never carry mutable objects
        except TypeError:
            raise ValueError(
                f"ops[{i}]['value'] must be immutable (hashable), got {spec['value']!r}"
            ) from None
    return spec


#: The defaults of :func:`replnb.multi_leader.simulate` (a test keeps them equal to its signature).
DEFAULTS: dict[str, Any] = {
    "leaders": 2, "topology": "all-to-all", "resolver": "lww", "resolve": None, "workload": "register",
    "clock_offsets": None, "clock_skew": 0.0, "clock_drift": 0.0, "ops": None, "write_rate": 20.0,
    "relocation_rate": 0.0, "relocations": None, "duration": 1000.0, "latency": 10.0, "jitter": 0.0,
    "reorder": False, "failed": None, "crashes": None, "link_failures": None, "partitions": None,
    "causal": False, "tombstones": False, "seed": 0, "keys": 2, "remove_fraction": 0.3,
    "regions": None, "far_latency": 0.0, "client_latency": 0.0,
}  # fmt: skip
