"""How the cost grows: each model's run time against duration and node count, the checker's
against history length, with the log-log slope of each series.

The series (wall time of one call, the fastest of ``repeats``, the run's
``ops`` and ``metrics`` included; every model on its defaults but the
parameter that varies):

* ``single_leader.simulate``: ``duration`` (ms), then ``followers``;
* ``multi_leader.simulate`` (all-to-all): ``duration``, then ``leaders``;
* ``multi_leader.simulate`` on a ring (``topology="circular"``, chapter 3):
  ``duration``, then ``leaders``;
* ``leaderless.simulate`` (R = W = quorum): ``duration``, then ``n``;
* ``check.check`` on leaderless histories (N=3, R=W=2, 4 keys) of growing
  duration, against the number of operations (the simulation is not timed).

The slope ``b`` of ``log t = a + b log x`` (least squares) says how the cost
grows: 1 is linear, 2 quadratic; n log n shows as slightly above 1. A
duration series also grows the work linearly (more operations), so a slope
well above 1 there means a per-operation cost that grows with the run. At
the small end a run's fixed costs (setting up, the verdict tables) flatten
the curve, so the table also gives the slope over the three largest values.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

try:
    import replnb  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replnb import leaderless, multi_leader, single_leader
from replnb.check import check

DURATIONS = (500.0, 1000.0, 2000.0, 4000.0, 8000.0)
QUICK_DURATIONS = (500.0, 2000.0, 8000.0)


@dataclass
class Series:
    """One model (or the checker) timed against one parameter."""

    model: str
    against: str
    xs: list[float]
    seconds: list[float]

    @property
    def slope(self) -> float:
        """The least-squares slope of log(seconds) against log(x)."""
        return _slope(self.xs, self.seconds)

    @property
    def top_slope(self) -> float:
        """The slope over the three largest values, where fixed costs weigh least."""
        return _slope(self.xs[-3:], self.seconds[-3:])


def _slope(xs: Sequence[float], seconds: Sequence[float]) -> float:
    if len(xs) < 2:
        return math.nan
    return float(np.polyfit(np.log(xs), np.log(seconds), 1)[0])


def _fastest(fn: Callable[..., Any], repeats: int, *args: Any) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def _quorum(n: int) -> int:
    return n // 2 + 1


def _full(run: Any) -> Any:
    """A run with its verdicts and figures computed (some models compute them lazily)."""
    return run.ops, run.metrics


#: model -> (duration runner, (node parameter, node counts, node runner))
MODELS: dict[str, tuple[Callable[[float], Any], tuple[str, Sequence[int], Callable[[int], Any]]]] = {
    "single_leader.simulate": (
        lambda d: _full(single_leader.simulate(duration=d, seed=0)),
        ("followers", (1, 2, 4, 8), lambda k: _full(single_leader.simulate(followers=k, seed=0))),
    ),
    "multi_leader.simulate (all-to-all)": (
        lambda d: _full(multi_leader.simulate(duration=d, seed=0)),
        ("leaders", (2, 3, 5, 7, 10), lambda k: _full(multi_leader.simulate(leaders=k, seed=0))),
    ),
    "multi_leader.simulate (ring, chapter 3)": (
        lambda d: _full(multi_leader.simulate(duration=d, leaders=3, topology="circular", seed=0)),
        (
            "leaders",
            (3, 5, 7, 10),
            lambda k: _full(multi_leader.simulate(leaders=k, topology="circular", seed=0)),
        ),
    ),
    "leaderless.simulate": (
        lambda d: _full(leaderless.simulate(duration=d, seed=0)),
        (
            "n",
            (3, 5, 9, 15, 25),
            lambda k: _full(leaderless.simulate(n=k, r=_quorum(k), w=_quorum(k), seed=0)),
        ),
    ),
}


def checker_series(durations: Sequence[float], repeats: int) -> Series:
    """``check.check`` against the number of operations of leaderless histories."""
    xs, seconds = [], []
    for d in durations:
        ops = leaderless.simulate(n=3, r=2, w=2, keys=4, duration=d, seed=0).ops
        xs.append(float(len(ops)))
        seconds.append(_fastest(check, repeats, ops))
    return Series("check.check (leaderless N=3 R=W=2)", "operations", xs, seconds)


def bench(quick: bool = False) -> list[Series]:
    """Every series of the module docstring."""
    durations = QUICK_DURATIONS if quick else DURATIONS
    repeats = 1 if quick else 5
    out = []
    for model, (by_duration, (name, counts, by_nodes)) in MODELS.items():
        by_duration(durations[0])  # warm-up (imports, caches)
        secs = [_fastest(by_duration, repeats, d) for d in durations]
        out.append(Series(model, "duration (ms)", list(durations), secs))
        chosen = counts[::2] if quick else counts
        secs = [_fastest(by_nodes, repeats, k) for k in chosen]
        out.append(Series(model, name, [float(k) for k in chosen], secs))
    out.append(checker_series(durations, repeats))
    return out


def _growth(slope: float) -> str:
    if math.isnan(slope):
        return "—"
    if slope < 0.3:
        return "flat (fixed costs dominate)"
    if slope < 0.8:
        return "sublinear (fixed costs at the small end)"
    if slope < 1.25:
        return "about linear"
    if slope < 1.75:
        return "between linear and quadratic"
    return "quadratic or worse"


def markdown(series: Sequence[Series]) -> str:
    """One row per series: the values, the times and the slope."""
    lines = [
        "| model | against | values | time (ms) | log-log slope | slope, 3 largest | growth (3 largest) |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for s in series:
        xs = ", ".join(f"{x:g}" for x in s.xs)
        ts = ", ".join(f"{1e3 * t:.1f}" for t in s.seconds)
        lines.append(
            f"| {s.model} | {s.against} | {xs} | {ts} | {s.slope:.2f} | {s.top_slope:.2f}"
            f" | {_growth(s.top_slope)} |"
        )
    return "\n".join(lines)


def plot(series: Sequence[Series], path: Path) -> Path:
    """The series on log-log axes: against duration, against nodes, and the checker."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, NullFormatter

    figure = Figure(figsize=(13.0, 4.0), dpi=100, layout="constrained")
    axes = figure.subplots(1, 3)
    panels = (
        ("run time against duration", lambda s: s.against == "duration (ms)", "duration (ms)"),
        ("run time against node count", lambda s: s.against not in ("duration (ms)", "operations"), "nodes"),
        ("checker against history length", lambda s: s.against == "operations", "operations in the history"),
    )
    for ax, (title, keep, xlabel) in zip(axes, panels, strict=True):
        for s in filter(keep, series):
            label = f"{s.model}{'' if xlabel != 'nodes' else f' ({s.against})'}: slope {s.slope:.2f}"
            ax.loglog(s.xs, [1e3 * t for t in s.seconds], marker="o", label=label)
        _linear_guide(ax)
        for axis in (ax.xaxis, ax.yaxis):  # plain numbers, no crowded minor labels
            axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            axis.set_minor_formatter(NullFormatter())
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("wall time (ms)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    figure.savefig(path)
    return path


def _linear_guide(ax: Any) -> None:
    """A dashed grey line of slope 1 (linear growth) from the lowest leftmost point, for comparison."""
    lines = ax.get_lines()
    if not lines:
        return
    x0 = min(float(min(line.get_xdata())) for line in lines)
    x1 = max(float(max(line.get_xdata())) for line in lines)
    y0 = min(float(line.get_ydata()[0]) for line in lines)
    ax.loglog([x0, x1], [y0, y0 * x1 / x0], ls="--", color="#999999", lw=1, label="slope 1 (linear)")


def section(quick: bool = False, png: Path | None = None) -> str:
    """The markdown of ``benchmarks/results.md``'s growth section (and the plot, if ``png``)."""
    series = bench(quick)
    text = markdown(series)
    if png is not None:
        plot(series, png)
        text += f"\n\n![Run time against duration, node count and history length]({png.name})"
    return text


if __name__ == "__main__":
    print(section(quick="--quick" in sys.argv, png=Path(__file__).resolve().parent / "growth.png"))
