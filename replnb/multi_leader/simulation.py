"""simulate(): check the parameters, build the model, run it, collect a Run."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .. import metrics
from ..engine.clocks import NodeClock, VersionVector
from ..engine.latency import Constant, Distribution, Uniform
from ..engine.network import Network, node_names
from ..engine.rng import Seed, as_rng
from ..engine.sim import Simulation
from ..records import Recorder, Run
from . import graph as _topology
from .model import Model
from .state import (
    CART_KEYS,
    CART_ONLY,
    MAX_LEADERS,
    REGISTER_KEYS,
    REGISTER_ONLY,
    REPLICATION_KINDS,
    RESOLVERS,
    WORKLOADS,
    Cart,
    Resolve,
    display,
    home_leader,
    same_state,
)

__all__ = ["simulate"]


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
    if workload == "cart" and resolver in REGISTER_ONLY:
        raise ValueError(f"resolver {resolver!r} works with workload='register' only")
    if workload == "register" and resolver in CART_ONLY:
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
        or not 1 <= keys <= len(REGISTER_KEYS)
    ):
        raise ValueError(f"keys must be an integer in 1..{len(REGISTER_KEYS)}, got {keys!r}")
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
    model = Model(
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
    key_names = list(CART_KEYS if workload == "cart" else REGISTER_KEYS)[:keys]
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
    final = {node: {k: display(s.value) for k, s in model.leaders[node].keys.items()} for node in nodes}
    acked = [r for r in rec.ops if r["kind"] == "write" and r["ok"]]
    lost_flags, resurrected = _losses(model, rec, live, workload)
    for record in rec.ops:
        if record["kind"] == "write":
            record["lost"] = lost_flags.get(record["op_id"], False)
            record["resurrected"] = record["op_id"] in resurrected
    delivery = _delivery_frame(model)
    since = max([float(r["end"]) for r in acked] + [net.last_fault_end, 0.0])
    n_messages = sum(1 for m in rec.messages if m["kind"] in REPLICATION_KINDS)
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
        "unconverged_replicas": sum(1 for node in behind if not same_state(final[node], reference)),
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
def _losses(model: Model, rec: Recorder, live: list[str], workload: str) -> tuple[dict[int, bool], set[int]]:
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


def _conflicts(model: Model, acked: list[dict[str, Any]]) -> int:
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


def _delivery_frame(model: Model) -> pd.DataFrame:
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
