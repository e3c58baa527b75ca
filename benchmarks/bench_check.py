"""Benchmark the linearizability checker (replnb.check) on real model runs.

Each figure is the wall time of one ``check(run.ops)`` call, witnesses
included, on a history of about 1,000 operations simulated once beforehand
(the simulation is not timed): the median, min and max of ``repeats`` timed
calls after one untimed warm-up call. Target: at most 1 s per call, so that
a notebook cell can check a run as a learner watches.

The histories:

* single-leader, reads from the leader only: linearizable; the search never
  backtracks (the floor: one step per operation);
* single-leader, asynchronous, reads from any follower: stale reads on every
  key, so every key also pays for shrinking its history to a witness;
* leaderless, N=3, R=W=2, one key, 20 clients at 500 writes/s and 500
  reads/s: many overlapping operations on one key, the hardest of the three
  for the search (a newer value read, then an older one: not linearizable);
* leaderless, N=3, R=1, W=3, one key, a replica down for 500 ms and a
  50 ms timeout: the writes fail (too few acknowledgements) but reach the
  live replicas, and reads see them; a write that may or may not have
  happened stays open to the end of the history, which widens the search.

Run ``python benchmarks/bench_check.py`` for a markdown table, or import
:func:`bench`.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

try:
    import replnb  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replnb import leaderless, single_leader
from replnb.check import check
from replnb.records import Run

TARGET_MS = 1000.0

#: name -> how to simulate the history (about 1,000 operations each)
HISTORIES: dict[str, Callable[[], Run]] = {
    "single-leader, leader reads": lambda: single_leader.simulate(
        clients=8, keys=8, duration=1600.0, read_from="leader", seed=0
    ),
    "single-leader async, follower reads": lambda: single_leader.simulate(
        clients=8, keys=8, duration=1600.0, read_from="any", mode="async", seed=0
    ),
    "leaderless R=W=2, one busy key": lambda: leaderless.simulate(
        keys=1, clients=20, write_rate=500.0, read_rate=500.0, duration=1000.0, seed=0
    ),
    "leaderless R=1 W=3, replica down, failed writes read": lambda: leaderless.simulate(
        r=1,
        w=3,
        keys=1,
        write_rate=330.0,
        read_rate=670.0,
        duration=1000.0,
        failures=[("A", 200.0, 700.0)],
        timeout=50.0,
        seed=0,
    ),
}


def _times_ms(fn: Callable[[], object], repeats: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(1e3 * (time.perf_counter() - start))
    return out


def bench(repeats: int = 7) -> list[dict[str, object]]:
    """Time :func:`replnb.check.check` on each history of :data:`HISTORIES`; one dict per figure.

    Each row has the keys ``figure, median, min, max, unit, target, met``;
    the figure names the history, its size, the verdict and the search steps.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    rows: list[dict[str, object]] = []
    for name, simulate in HISTORIES.items():
        ops = simulate().ops
        result = check(ops)
        verdict = {True: "linearizable", False: "not linearizable", None: "unknown"}[result.linearizable]
        ms = _times_ms(lambda ops=ops: check(ops), repeats)
        median = statistics.median(ms)
        rows.append(
            {
                "figure": f"check: {name}, {len(ops):,} ops ({verdict}, {result.steps:,} steps)",
                "median": median,
                "min": min(ms),
                "max": max(ms),
                "unit": "ms",
                "target": f"<= {TARGET_MS:g}",
                "met": median <= TARGET_MS,
            }
        )
    return rows


def _fmt(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def markdown(rows: list[dict[str, object]]) -> str:
    """The rows of :func:`bench` as a markdown table."""
    keys = ["figure", "median", "min", "max", "unit", "target", "met"]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_fmt(row[k]) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(bench()))
