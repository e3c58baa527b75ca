"""Benchmark the PBS Monte Carlo (replnb.pbs).

Three figures, each the median (with min and max) of ``repeats`` timed runs
after one untimed warm-up run:

* replnb against plain numpy, side by side in one run: the time of
  ``t_visibility(3, 1, 1, 0.0, latency="LNKD-DISK", trials=1_000_000)`` and
  of :func:`plain_numpy_t_visibility`, the same estimator written the obvious
  way in numpy (mask-drawn mixtures, ``min``/``argmin`` or ``np.partition``
  along rows, ``np.mean(T <= t)``), timed in turns, in alternating order; the figure is the ratio of the
  medians, numpy / replnb (target: at least 1x, from DESIGN.md). The two
  estimates must agree within four standard errors;

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

import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

try:
    import replnb  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replnb.engine.latency import PRESETS, Exponential, Pareto
from replnb.pbs import t_visibility

TRIALS = 100_000
SIDE_BY_SIDE_TRIALS = 1_000_000
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


def _mixture(rng: np.random.Generator, components: Sequence[tuple[float, Any]], size: tuple[int, int]) -> Any:
    """Plain numpy: pick a component per cell (one comparison for two), then draw each component's cells."""
    u = rng.random(size)
    if len(components) == 2:
        first = u < components[0][0]
        masks = [first, ~first]
    else:
        edges = np.cumsum([p for p, _ in components])
        which = np.minimum(np.searchsorted(edges, u * edges[-1], side="right"), len(edges) - 1)
        masks = [which == i for i in range(len(components))]
    out = np.empty(size)
    for mask, (_, dist) in zip(masks, components, strict=True):
        out[mask] = _draw(rng, dist, int(mask.sum()))
    return out


def _draw(rng: np.random.Generator, dist: Any, count: int) -> Any:
    if isinstance(dist, Pareto):
        return dist.xm * (1.0 + rng.pareto(dist.alpha, count))
    if isinstance(dist, Exponential):
        return dist.shift + rng.exponential(1.0 / dist.rate, count)
    raise TypeError(f"plain_numpy_t_visibility draws no {type(dist).__name__}")


def plain_numpy_t_visibility(
    n: int, r: int, w: int, t: float, *, latency: str, trials: int, seed: int
) -> float:
    """The WARS estimator of :func:`replnb.pbs.t_visibility`, written plainly in numpy (one block).

    Trial j draws W, A, R, S for the n replicas; the write commits at the w-th
    smallest W + A; the read keeps the r replicas with the smallest R + S and is
    fresh at t iff one of them has W - R <= commit + t.
    """
    rng = np.random.default_rng(seed)
    legs = PRESETS[latency]
    wd, ad, rd, sd = (_mixture(rng, legs[leg].components, (trials, n)) for leg in "WARS")
    wa = wd + ad
    commit = wa.min(axis=1) if w == 1 else np.partition(wa, w - 1, axis=1)[:, w - 1]
    speed = rd + sd  # the r fastest responders:
    first = speed.argmin(axis=1)[:, None] if r == 1 else np.argpartition(speed, r - 1, axis=1)[:, :r]
    best = np.take_along_axis(wd - rd, first, axis=1).min(axis=1)
    return float(np.mean(best - commit <= t))


def side_by_side(repeats: int = 7, trials: int = SIDE_BY_SIDE_TRIALS) -> dict[str, object]:
    """replnb's and plain numpy's t_visibility(3, 1, 1, 0) at ``trials`` trials, timed alternately."""
    ours, plain, estimates = [], [], []
    pair = ((t_visibility, ours), (plain_numpy_t_visibility, plain))
    for i in range(-1, repeats):  # i = -1: warm-up; the order alternates, so neither always goes first
        for fn, out in pair if i % 2 else pair[::-1]:
            start = time.perf_counter()
            p = fn(3, 1, 1, 0.0, latency="LNKD-DISK", trials=trials, seed=3000 + i)
            if i >= 0:
                out.append(time.perf_counter() - start)
                estimates.append(p)
    ratios = sorted(a / b for a, b in zip(plain, ours, strict=True))
    ratio = statistics.median(plain) / statistics.median(ours)
    spread = max(estimates) - min(estimates)
    se = math.sqrt(0.5 * 0.5 / trials)
    return {
        "figure": (
            f"t_visibility(3, 1, 1, 0) LNKD-DISK, {trials:,} trials: plain numpy "
            f"{1e3 * statistics.median(plain):.0f} ms / replnb {1e3 * statistics.median(ours):.0f} ms"
        ),
        "median": ratio,
        "min": ratios[0],
        "max": ratios[-1],
        "unit": "x",
        "target": ">= 1",
        "met": ratio >= 1.0 and spread <= 8 * se,
        "ours_ms": [1e3 * x for x in ours],
        "plain_ms": [1e3 * x for x in plain],
    }


def bench(repeats: int = 7) -> list[dict[str, object]]:
    """Measure the PBS Monte Carlo; one dict per figure.

    Each row has the keys ``figure, median, min, max, unit, target, met``.
    Every run uses a different seed, so no run reuses another's numbers.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    rows: list[dict[str, object]] = [side_by_side(repeats)]

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
