"""Our engine against SimPy on the same replication workload.

The workload: leaderless quorum replication with ``N`` replicas. ``clients``
clients each run ``ops_per_client`` operations one after the other,
alternating writes and reads. An operation sends one request to each of the
``N`` replicas and completes when ``W`` (write) or ``R`` (read) of them have
answered; the other answers still arrive and are ignored. After an
operation the client thinks for an exponential time. Every link has an
exponential one-way delay. Each operation costs ``2 N`` delivered messages.

:func:`run_engine` writes it on :class:`replnb.engine.sim.Simulation` and
:class:`replnb.engine.network.Network` (``recorder=None``: no per-message
records, as a sweep would run it); :func:`simpy_model.run_simpy` writes it
in SimPy. Both draw the same random numbers in the same order, so they
return the same statistics (``tests/test_bench_models.py`` checks this), and
the ratio of their speeds compares only the event machinery.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

try:
    import replnb  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replnb.engine.latency import Sampler, exponential
from replnb.engine.network import Message, Network, node_names
from replnb.engine.sim import Simulation

__all__ = ["WORKLOAD", "bench", "run_engine", "same_statistics"]

#: The benchmark's parameters: 50 clients x 700 operations x 6 messages = 210,000 messages.
WORKLOAD: dict[str, Any] = {
    "n": 3,
    "w": 2,
    "r": 2,
    "clients": 50,
    "ops_per_client": 700,
    "keys": 100,
    "mean_latency": 5.0,
    "mean_think": 10.0,
    "seed": 0,
}

NO_VERSION = (-1.0, -1)


class _Client:
    """One client: issues its operations one at a time, counts the answers."""

    __slots__ = (
        "floor",
        "got",
        "index",
        "key",
        "kind",
        "name",
        "need",
        "net",
        "newest",
        "op_id",
        "params",
        "replicas",
        "seq",
        "sim",
        "start",
        "stats",
        "think",
        "version",
    )

    def __init__(
        self,
        sim: Simulation,
        net: Network,
        index: int,
        replicas: list[str],
        params: dict[str, Any],
        think: Sampler,
        stats: dict[str, Any],
    ) -> None:
        self.sim, self.net, self.index, self.replicas = sim, net, index, replicas
        self.params, self.think, self.stats = params, think, stats
        self.name = f"c{index}"
        self.seq = 0
        self.op_id = -1
        net.register(self.name, self.on_answer)

    def issue(self) -> None:
        seq, index, now = self.seq, self.index, self.sim.now
        self.op_id = index * self.params["ops_per_client"] + seq
        self.key = (index * 7 + seq) % self.params["keys"]
        self.kind = "write" if seq % 2 == 0 else "read"
        self.version = version = (now, index) if self.kind == "write" else NO_VERSION
        for replica in self.replicas:
            self.net.send(self.name, replica, self.kind, (self.op_id, self.key, version))
        self.need = self.params["w"] if self.kind == "write" else self.params["r"]
        self.start, self.got, self.newest = now, 0, NO_VERSION
        self.floor = self.stats["newest_acked"].get(self.key, NO_VERSION)

    def on_answer(self, msg: Message) -> None:
        self.stats["delivered"] += 1
        reply_to, seen = msg.body
        if reply_to != self.op_id:  # a late answer to an earlier operation
            return
        self.got += 1
        self.newest = max(self.newest, seen)
        if self.got < self.need:
            return
        stats, now = self.stats, self.sim.now
        self.op_id = -1  # later answers are late
        stats["ops"] += 1
        stats["latency_sum"] += now - self.start
        if self.kind == "read" and self.newest < self.floor:
            stats["stale_reads"] += 1
        if self.kind == "write":
            acked = stats["newest_acked"]
            acked[self.key] = max(self.version, acked.get(self.key, NO_VERSION))
        self.seq += 1
        if self.seq < self.params["ops_per_client"]:
            self.sim.schedule(self.think(), self.issue)


def _replica(net: Network, name: str, stats: dict[str, Any]) -> None:
    store: dict[int, tuple[float, int]] = {}
    send = net.send

    def on_request(msg: Message) -> None:
        op_id, key, version = msg.body
        stats["delivered"] += 1
        if msg.kind == "write":
            if version > store.get(key, NO_VERSION):
                store[key] = version
            send(name, msg.src, "ack", (op_id, version))
        else:
            send(name, msg.src, "value", (op_id, store.get(key, NO_VERSION)))

    net.register(name, on_request)


def run_engine(
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
    """Run the workload on replnb's engine; return its statistics.

    Returns ``delivered`` (messages), ``ops`` (completed operations),
    ``mean_latency`` (ms), ``stale_reads`` and ``end_time`` (ms).
    """
    params = {"w": w, "r": r, "ops_per_client": ops_per_client, "keys": keys}
    sim = Simulation()
    replicas = node_names(n)
    names = [f"c{i}" for i in range(clients)]
    net = Network(sim, replicas + names, latency=exponential(mean=mean_latency), seed=seed, recorder=None)
    think = Sampler(exponential(mean=mean_think), net.rng)
    stats: dict[str, Any] = {"delivered": 0, "ops": 0, "latency_sum": 0.0, "stale_reads": 0}
    stats["newest_acked"] = {}
    for replica in replicas:
        _replica(net, replica, stats)
    for i in range(clients):
        sim.schedule(0.0, _Client(sim, net, i, replicas, params, think, stats).issue)
    end = sim.run()
    return {
        "delivered": stats["delivered"],
        "ops": stats["ops"],
        "mean_latency": stats["latency_sum"] / max(stats["ops"], 1),
        "stale_reads": stats["stale_reads"],
        "end_time": end,
    }


TARGET_RATIO = 3.0


def same_statistics(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two runs of the workload agree: equal counts, equal times up to rounding."""
    counts = ("delivered", "ops", "stale_reads")
    times = ("mean_latency", "end_time")
    return all(a[k] == b[k] for k in counts) and all(math.isclose(a[k], b[k], rel_tol=1e-9) for k in times)


def bench(repeats: int = 5) -> list[dict[str, object]]:
    """Time both models on :data:`WORKLOAD`, interleaved; one dict per figure.

    Each repetition runs our engine and then SimPy, so both see the same
    machine load, and the speed-up is the median of the per-repetition
    ratios. Throughput is messages per CPU second of this process
    (``time.process_time``): both models are single-threaded and CPU-bound,
    and on a shared machine the wall clock would mostly measure how often
    the scheduler let the benchmark run. Rows have the keys
    ``figure, median, min, max, unit, target, met`` (as in ``bench_pbs``).
    Raises RuntimeError if the two models disagree.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    try:
        from simpy_model import run_simpy
    except ModuleNotFoundError:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from simpy_model import run_simpy

    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeats):
        for run, rates in ((run_engine, ours), (run_simpy, theirs)):
            start = time.process_time()
            stats = run(**WORKLOAD)
            rates.append(stats["delivered"] / (time.process_time() - start))
            if run is run_engine:
                expected = stats
            elif not same_statistics(stats, expected):
                raise RuntimeError(f"the SimPy twin disagrees with the engine: {stats} != {expected}")
    messages = expected["delivered"]
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    median = statistics.median(ratios)
    return [
        {
            "figure": (
                f"engine vs SimPy: {statistics.median(ours):,.0f} vs "
                f"{statistics.median(theirs):,.0f} msg/CPU-s (median; same quorum workload, "
                f"{messages:,} messages)"
            ),
            "median": median,
            "min": min(ratios),
            "max": max(ratios),
            "unit": "x",
            "target": f">= {TARGET_RATIO:g}",
            "met": median >= TARGET_RATIO,
            "detail": {"replnb msg/CPU-s": ours, "SimPy msg/CPU-s": theirs},
        }
    ]


if __name__ == "__main__":
    for row in bench(repeats=int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        print(row)
