"""The benchmark compares like with like: the engine model and its SimPy twin agree.

``benchmarks/bench_engine.py`` times a leaderless quorum workload written on
replnb's engine against the same workload written in SimPy
(``benchmarks/simpy_model.py``). The speed-up only means something if both
programs do the same work, so on small sizes they must deliver the same
messages, complete the same operations and measure the same latencies.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

pytest.importorskip("simpy", reason="simpy (the [bench] extra) is not installed")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from bench_engine import WORKLOAD, run_engine, same_statistics
from simpy_model import run_simpy

SMALL = dict(WORKLOAD, clients=6, ops_per_client=40)


@pytest.mark.parametrize(
    "params",
    [
        SMALL,
        dict(SMALL, seed=5),
        dict(SMALL, n=5, w=3, r=3),
        dict(SMALL, n=5, w=1, r=1, mean_think=1.0),  # partial quorums: stale reads happen
        dict(SMALL, n=1, w=1, r=1, clients=1),
    ],
)
def test_engine_and_simpy_twin_produce_the_same_statistics(params: dict[str, object]) -> None:
    ours, theirs = run_engine(**params), run_simpy(**params)
    ops = params["clients"] * params["ops_per_client"]  # type: ignore[operator]
    assert ours["ops"] == theirs["ops"] == ops
    assert ours["delivered"] == theirs["delivered"] == 2 * params["n"] * ops  # type: ignore[operator]
    assert math.isclose(ours["mean_latency"], theirs["mean_latency"], rel_tol=1e-9)
    assert ours["stale_reads"] == theirs["stale_reads"]
    assert same_statistics(ours, theirs)


def test_latency_matches_the_closed_form_for_one_replica() -> None:
    # N=1: an operation is one round trip, two exponential delays: mean 2 * mean_latency.
    params = dict(WORKLOAD, n=1, w=1, r=1, clients=20, ops_per_client=200, mean_latency=3.0)
    mean = run_engine(**params)["mean_latency"]
    assert abs(mean - 6.0) < 0.25  # 4,000 ops: standard error ~0.07 ms


def test_strict_quorums_never_read_stale_and_partial_ones_can() -> None:
    assert run_engine(**dict(SMALL, n=3, w=2, r=2, mean_think=0.5))["stale_reads"] == 0
    assert run_engine(**dict(SMALL, n=5, w=1, r=1, mean_think=0.5))["stale_reads"] > 0


def test_a_different_seed_changes_the_run() -> None:
    assert not same_statistics(run_engine(**SMALL), run_engine(**dict(SMALL, seed=1)))


def test_the_benchmark_workload_is_large_enough() -> None:
    p = WORKLOAD
    assert 2 * p["n"] * p["clients"] * p["ops_per_client"] >= 200_000
