"""The benchmark's replication workload written as an idiomatic SimPy model.

This is the twin of :func:`bench_engine.run_engine`: the same leaderless
quorum workload with the same parameters and the same random draws, written
the way the SimPy documentation writes such models:

* the network follows SimPy's own "Event Latency" example (a ``Cable``):
  every message is a small process that waits out its delay with
  ``env.timeout`` and then puts the message into the receiver's
  :class:`simpy.Store`;
* every replica is a process that loops over ``yield inbox.get()``, applies
  the request and answers;
* every client is a process that sends ``N`` requests, waits with
  ``yield inbox.get()`` until ``W`` (or ``R``) of the answers to its current
  operation arrived (answers to earlier operations are discarded), then
  thinks with ``yield env.timeout(think)``.

Delays and think times are drawn from :class:`replnb.engine.latency.Sampler`
objects fed by one generator, exactly as :class:`replnb.engine.network.Network`
draws them (one sampler per link), so both models see the same random
numbers in the same order and produce the same statistics; the benchmark
then compares only the event machinery.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from replnb.engine.latency import Sampler, exponential
from replnb.engine.network import node_names
from replnb.engine.rng import as_rng

__all__ = ["run_simpy"]

NO_VERSION = (-1.0, -1)


class Network:
    """Per-link exponential delays; one inbox (a Store) per node."""

    def __init__(self, env: simpy.Environment, nodes: list[str], mean_latency: float, seed: int) -> None:
        self.env = env
        self.rng = as_rng(seed)
        self.dist = exponential(mean=mean_latency)
        self.inboxes = {node: simpy.Store(env) for node in nodes}
        self.samplers: dict[tuple[str, str], Sampler] = {}
        self.delivered = 0

    def send(self, src: str, dst: str, kind: str, body: tuple[Any, ...]) -> None:
        sampler = self.samplers.get((src, dst))
        if sampler is None:
            sampler = self.samplers[(src, dst)] = Sampler(self.dist, self.rng)
        self.env.process(self._latency(sampler(), dst, (src, kind, body)))

    def _latency(self, delay: float, dst: str, message: tuple[Any, ...]) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(delay)
        self.delivered += 1
        self.inboxes[dst].put(message)


def _replica(net: Network, name: str) -> Generator[simpy.Event, Any, None]:
    inbox = net.inboxes[name]
    store: dict[int, tuple[float, int]] = {}
    while True:
        src, kind, (op_id, key, version) = yield inbox.get()
        if kind == "write":
            if version > store.get(key, NO_VERSION):
                store[key] = version
            net.send(name, src, "ack", (op_id, version))
        else:
            net.send(name, src, "value", (op_id, store.get(key, NO_VERSION)))


def _client(
    env: simpy.Environment,
    net: Network,
    index: int,
    replicas: list[str],
    params: dict[str, Any],
    think: Sampler,
    stats: dict[str, Any],
) -> Generator[simpy.Event, Any, None]:
    name = f"c{index}"
    inbox = net.inboxes[name]
    for seq in range(params["ops_per_client"]):
        op_id = index * params["ops_per_client"] + seq
        key = (index * 7 + seq) % params["keys"]
        kind = "write" if seq % 2 == 0 else "read"
        version = (env.now, index) if kind == "write" else NO_VERSION
        for replica in replicas:
            net.send(name, replica, kind, (op_id, key, version))
        need = params["w"] if kind == "write" else params["r"]
        start, got, newest = env.now, 0, NO_VERSION
        floor = stats["newest_acked"].get(key, NO_VERSION)  # newest write acknowledged before the start
        while got < need:
            _src, _kind, (reply_to, seen) = yield inbox.get()
            if reply_to != op_id:  # a late answer to an earlier operation
                continue
            got += 1
            newest = max(newest, seen)
        stats["ops"] += 1
        stats["latency_sum"] += env.now - start
        if kind == "read" and newest < floor:
            stats["stale_reads"] += 1
        if kind == "write":
            stats["newest_acked"][key] = max(version, stats["newest_acked"].get(key, NO_VERSION))
        if seq + 1 < params["ops_per_client"]:
            yield env.timeout(think())


def run_simpy(
    *,
    n: int = 3,
    w: int = 2,
    r: int = 2,
    clients: int = 50,
    ops_per_client: int = 700,
    keys: int = 100,
    mean_latency: float = 5.0,
    mean_think: float = 10.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Run the workload on SimPy; return its statistics (see ``bench_engine.run_engine``)."""
    params = {"w": w, "r": r, "ops_per_client": ops_per_client, "keys": keys}
    env = simpy.Environment()
    replicas = node_names(n)
    clients_names = [f"c{i}" for i in range(clients)]
    net = Network(env, replicas + clients_names, mean_latency, seed)
    think = Sampler(exponential(mean=mean_think), net.rng)
    stats: dict[str, Any] = {"ops": 0, "latency_sum": 0.0, "stale_reads": 0, "newest_acked": {}}
    for replica in replicas:
        env.process(_replica(net, replica))
    for i in range(clients):
        env.process(_client(env, net, i, replicas, params, think, stats))
    env.run()
    return {
        "delivered": net.delivered,
        "ops": stats["ops"],
        "mean_latency": stats["latency_sum"] / max(stats["ops"], 1),
        "stale_reads": stats["stale_reads"],
        "end_time": env.now,
    }
