"""Build one multi-leader run from its :class:`~replnb.multi_leader.setup.Setup` and schedule its events.

:func:`build` draws the run's random streams (workload, clocks, network,
relocations, in that order, from the run's seed), makes the clocks, the
network and the :class:`~replnb.multi_leader.model.Model`; :func:`schedule`
puts on the simulation's calendar, in this order for events at the same
time: the faults, then the relocations, then the client operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.clocks import NodeClock
from ..engine.latency import Constant, Distribution, Uniform
from ..engine.network import Network
from ..engine.rng import as_rng
from ..engine.sim import Simulation
from ..records import Recorder
from .model import Model
from .setup import Relocation, Setup
from .state import CART_KEYS, REGISTER_KEYS, home_leader

__all__ = ["Built", "build", "random_ops", "schedule"]


@dataclass(frozen=True)
class Built:
    """A run ready to start: the model, its network and simulation, and the random streams left."""

    model: Model
    net: Network
    sim: Simulation
    rec: Recorder
    offsets: dict[str, float]
    workload_rng: np.random.Generator
    relocation_rng: np.random.Generator


def build(setup: Setup) -> Built:
    """The simulation, the network, the clocks and the model of a run.

    Examples
    --------
    >>> from replnb.multi_leader.setup import check_setup, DEFAULTS
    >>> built = build(check_setup({**DEFAULTS, "clock_skew": 50.0}))
    >>> sorted(built.offsets), built.model.nodes
    (['A', 'B'], ['A', 'B'])
    """
    base = as_rng(setup.seed)
    wl_rng, clock_rng, net_rng, reloc_rng = (
        np.random.default_rng(s) for s in base.integers(0, 2**63, size=4)
    )
    nodes, n = setup.nodes, setup.n
    offsets, drifts = dict(setup.offsets), dict(setup.drifts)
    if setup.random_offsets:
        skew = setup.clock_skew
        offsets.update(zip(nodes, map(float, clock_rng.uniform(-skew / 2, skew / 2, n)), strict=True))
    if setup.drift_spread > 0:
        spread = setup.drift_spread
        drifts.update(zip(nodes, map(float, clock_rng.uniform(-spread / 2, spread / 2, n)), strict=True))
    sim, rec = Simulation(), Recorder()
    latency, jitter = setup.latency, setup.jitter
    dist: Distribution = Constant(latency) if jitter == 0 else Uniform(latency - jitter, latency + jitter)
    # the model draws each message's delay and keeps each link in send order (like a TCP
    # connection) unless the run asks for reordering; the network delivers, drops and records
    geo = setup.geo if setup.geo.far else None  # no geography: every message exactly as before
    net = Network(sim, nodes, latency=dist, seed=net_rng, recorder=rec, geography=geo)
    model = Model(
        sim=sim,
        net=net,
        rec=rec,
        nodes=nodes,
        graph=setup.graph,
        clocks={node: NodeClock(sim, offsets[node], drifts[node]) for node in nodes},
        resolver=setup.resolver,
        resolve=setup.resolve,
        workload=setup.workload,
        tombstones=setup.tombstones,
        causal=setup.causal,
        delays=dist,
        rng=net_rng,
        fifo=not setup.reorder,
        geo=setup.geo,
        client_latency=setup.client_latency,
    )
    if setup.resolver == "avoid":
        model.home = {k: home_leader(k, n) for k in key_names(setup)}
    return Built(model, net, sim, rec, offsets, wl_rng, reloc_rng)


def key_names(setup: Setup) -> list[str]:
    """The keys of a run: those of its script, else the first ``keys`` names of its workload."""
    if setup.script is not None:
        return sorted({str(op["key"]) for op in setup.script})
    return list(CART_KEYS if setup.workload == "cart" else REGISTER_KEYS)[: setup.keys]


def schedule(setup: Setup, built: Built) -> None:
    """Put the faults, the relocations and the client operations on the calendar."""
    _schedule_faults(setup, built)
    _schedule_relocations(setup, built)
    model, sim = built.model, built.sim
    if setup.script is not None:
        for spec in setup.script:
            sim.at(float(spec["time"]), model.client, spec)
    else:
        for spec in random_ops(setup, built.workload_rng):
            sim.at(spec["time"], model.client, spec)


def _schedule_faults(setup: Setup, built: Built) -> None:
    net, sim, model = built.net, built.sim, built.model
    for node in setup.failed:
        net.crash(node, 0.0)
    for node, at, until in setup.crashes:
        net.crash(node, at, until)
    for src, dst, at, until in setup.link_failures:
        net.cut_link(src, dst, at, until, both_ways=False)
    for groups, at, until in setup.partitions:
        net.partition(groups, at, until)
    # catch-up after healing, put on the calendar after every heal: a link cut both ways heals
    # as two events at one time, and a sync sent between them would be lost on the other one
    for src, dst, _, until in setup.link_failures:
        if until is not None:
            sim.at(until, model.anti_entropy, dst, [src])
    for _, _, until in setup.partitions:
        if until is not None:
            for node in setup.nodes:
                sim.at(until, model.anti_entropy, node, model.inn[node])


def _schedule_relocations(setup: Setup, built: Built) -> None:
    """The given relocations, and under ``"avoid"`` the random ones, in time order."""
    model, rng, n = built.model, built.relocation_rng, setup.n
    relocations: list[Relocation] = list(setup.relocations)
    if setup.script is None and setup.resolver == "avoid" and setup.relocation_rate > 0 and n > 1:
        mean = setup.relocation_rate * setup.duration / 1000.0
        for k in key_names(setup):
            count = int(rng.poisson(mean))
            relocations += [(float(t), k, "") for t in np.sort(rng.uniform(0.0, setup.duration, count))]
    placed: dict[str, str] = dict(model.home)
    for t, k, node in sorted(relocations, key=lambda r: (r[0], r[1])):
        if not node:  # a random relocation: any other leader
            current = placed.get(k, home_leader(k, n))
            others = [m for m in setup.nodes if m != current]
            node = others[int(rng.integers(len(others)))]
        placed[k] = node
        built.sim.at(t, model.relocate, k, node)


def random_ops(setup: Setup, rng: np.random.Generator) -> list[dict[str, Any]]:
    """The random workload: Poisson writes at every leader over ``[0, duration)``.

    Examples
    --------
    >>> from replnb.multi_leader.setup import check_setup, DEFAULTS
    >>> ops = random_ops(check_setup({**DEFAULTS, "duration": 100.0}), np.random.default_rng(0))
    >>> sorted(ops[0])
    ['key', 'node', 'op', 'time', 'value']
    """
    nodes, n, names = setup.nodes, setup.n, key_names(setup)
    count = int(rng.poisson(setup.write_rate * n * setup.duration / 1000.0))
    times = np.sort(rng.uniform(0.0, setup.duration, count))
    key_idx = rng.integers(len(names), size=count)
    node_idx = rng.integers(n, size=count)
    values = rng.integers(1, 100, size=count)
    u1, u2 = rng.random(count), rng.random(count)
    specs = []
    for i in range(count):
        spec: dict[str, Any] = {"time": float(times[i]), "key": names[key_idx[i]]}
        if setup.resolver != "avoid":
            spec["node"] = nodes[node_idx[i]]
        if setup.workload != "cart":
            spec.update(op="set", value=int(values[i]))
        elif u1[i] < setup.remove_fraction:
            spec.update(op="remove-any", u=float(u2[i]), fallback=f"item{i}")
        else:
            spec.update(op="add", value=f"item{i}")
        specs.append(spec)
    return specs
