"""Benchmark the PBS Monte Carlo (replnb.pbs).

Two figures, each the median (with min and max) of ``repeats`` timed runs
after one untimed warm-up run:

* trials per second of ``t_visibility`` for N=3, R=W=1 under LNKD-DISK with
  100,000 trials (target: at least 1e6 trials/s, from DESIGN.md);
* the wall time of a 200-point t-visibility curve for N=9, R=W=1 under
  LNKD-DISK with 100,000 trials. Its target, 300 ms, is the N=3 target scaled
  to nine replicas: the work grows with trials x N (4 delays per replica per
  trial), so 1e6 trials/s at N=3 is 3e6 replica-trials/s, and 100,000 trials
  at N=9 are 9e5 replica-trials.

Run ``python benchmarks/bench_pbs.py`` for a markdown table, or import
:func:`bench` (``benchmarks/run.py`` does).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

try:
    from replnb.pbs import t_visibility
except ModuleNotFoundError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from replnb.pbs import t_visibility

TRIALS = 100_000
CURVE_POINTS = 200
TARGET_TRIALS_PER_S = 1e6
TARGET_CURVE_MS = 300.0


def _timings(fn: Callable[[int], object], repeats: int) -> list[float]:
    fn(-1)  # warm-up
    out = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


def bench(repeats: int = 7) -> list[dict[str, object]]:
    """Measure the PBS Monte Carlo; one dict per figure.

    Each row has the keys ``figure, median, min, max, unit, target, met``.
    Every run uses a different seed, so no run reuses another's numbers.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    rows: list[dict[str, object]] = []

    times = _timings(
        lambda i: t_visibility(3, 1, 1, 10.0, latency="LNKD-DISK", trials=TRIALS, seed=1000 + i), repeats
    )
    rates = [TRIALS / s for s in times]
    median_rate = statistics.median(rates)
    rows.append(
        {
            "figure": f"t_visibility N=3 R=W=1 LNKD-DISK, {TRIALS:,} trials",
            "median": median_rate,
            "min": min(rates),
            "max": max(rates),
            "unit": "trials/s",
            "target": f">= {TARGET_TRIALS_PER_S:.0e}",
            "met": median_rate >= TARGET_TRIALS_PER_S,
        }
    )

    grid = np.linspace(0.0, 200.0, CURVE_POINTS)
    times = _timings(
        lambda i: t_visibility(9, 1, 1, grid, latency="LNKD-DISK", trials=TRIALS, seed=2000 + i), repeats
    )
    ms = [1e3 * s for s in times]
    median_ms = statistics.median(ms)
    rows.append(
        {
            "figure": f"{CURVE_POINTS}-point curve N=9 R=W=1 LNKD-DISK, {TRIALS:,} trials",
            "median": median_ms,
            "min": min(ms),
            "max": max(ms),
            "unit": "ms",
            "target": f"<= {TARGET_CURVE_MS:g}",
            "met": median_ms <= TARGET_CURVE_MS,
        }
    )
    return rows


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.1f}"
    return str(value)


def markdown(rows: list[dict[str, object]]) -> str:
    """The rows of :func:`bench` as a markdown table."""
    keys = ["figure", "median", "min", "max", "unit", "target", "met"]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_fmt(row[k]) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(bench()))
