"""Benchmark the explorers: one slider move, on default parameters.

For each explorer of :mod:`replnb.widgets` this builds the explorer, warms it
up, then times (median, min and max of ``repeats`` runs):

* ``explorer.update()``: what a slider move costs, simulate plus render
  (target: at most 100 ms, the threshold at which a response feels instant);
* ``explorer.simulate(**explorer.params())``: the model alone;
* ``explorer.render(explorer.run)``: matplotlib alone (drawing, PNG
  encoding, the summary table), the floor that a faster model cannot beat.

A first row measures this machine's matplotlib floor: one axes with one line,
a title and a label, 9 x 4 inches at the course's 80 dpi, saved to PNG.
Comparing an explorer's render with it shows how much of the time is
matplotlib's fixed cost per figure, and how fast the machine is.

An explorer that is not there yet, or that fails, gives rows that say so
instead of stopping the benchmark.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import replnb  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

EXPLORERS = ("SingleLeaderExplorer", "ConflictExplorer", "TopologyExplorer", "QuorumExplorer")
TARGET_MS = 100.0


def _times_ms(fn: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(1e3 * (time.perf_counter() - start))
    return out


def _row(figure: str, ms: list[float], target: float | None) -> dict[str, object]:
    median = statistics.median(ms)
    return {
        "figure": figure,
        "median": median,
        "min": min(ms),
        "max": max(ms),
        "unit": "ms",
        "target": "" if target is None else f"<= {target:g}",
        "met": None if target is None else median <= target,
    }


def _missing(name: str, why: str) -> list[dict[str, object]]:
    return [
        {
            "figure": f"{name}.update() (simulate + render), defaults",
            "median": why,
            "min": None,
            "max": None,
            "unit": "",
            "target": f"<= {TARGET_MS:g}",
            "met": None,
        }
    ]


def floor_row(repeats: int = 7) -> dict[str, object]:
    """The time to render a minimal figure (one line plot) to PNG on this machine."""
    import io

    import numpy as np
    from matplotlib.figure import Figure

    from replnb.plots import STYLE

    def render() -> None:
        figure = Figure(figsize=(9.0, 4.0), dpi=STYLE["figure.dpi"], layout="constrained")
        ax = figure.add_subplot()
        ax.plot(np.arange(100.0))
        ax.set_title("floor")
        ax.set_xlabel("x (ms)")
        figure.savefig(io.BytesIO(), format="png")

    render()
    return _row("matplotlib floor: one line plot, 9x4 in, to PNG", _times_ms(render, repeats), None)


def bench_one(name: str, cls: Any, repeats: int = 7, warmup: int = 2) -> list[dict[str, object]]:
    """Time one explorer class; three rows (update, simulate, render)."""
    explorer = cls()
    for _ in range(warmup):
        explorer.update()
    update = _times_ms(explorer.update, repeats)
    simulate = _times_ms(lambda: explorer.simulate(**explorer.params()), repeats)
    render = _times_ms(lambda: explorer.render(explorer.run), repeats)
    return [
        _row(f"{name}.update() (simulate + render), defaults", update, TARGET_MS),
        _row(f"{name}: simulate alone", simulate, None),
        _row(f"{name}: render alone (matplotlib + PNG)", render, None),
    ]


def bench(repeats: int = 7, warmup: int = 2) -> list[dict[str, object]]:
    """Time every explorer; rows with the keys ``figure, median, min, max, unit, target, met``."""
    if repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    import matplotlib

    matplotlib.use("Agg")  # explorers draw on their own Figure; no GUI backend needed
    from replnb import widgets

    rows: list[dict[str, object]] = [floor_row(repeats)]
    for name in EXPLORERS:
        cls = getattr(widgets, name, None)
        if cls is None:
            rows += _missing(name, "not available")
            continue
        try:
            rows += bench_one(name, cls, repeats, warmup)
        except Exception as exc:  # a half-written explorer must not stop the benchmark
            rows += _missing(name, f"failed: {type(exc).__name__}: {exc}"[:120])
    return rows


if __name__ == "__main__":
    for row in bench():
        print(row)
