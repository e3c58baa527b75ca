"""Benchmark the explorers: one slider move, on default parameters.

For each explorer of :mod:`replnb.widgets` this builds the explorer, warms it
up, then times (median, min and max of ``repeats`` runs):

* ``explorer.update()``: one update on the defaults, simulate plus render
  (target: at most 100 ms, the threshold at which a response feels instant);
* slider moves: ``explorer.update(**move)`` for each move of :data:`MOVES`,
  a round trip that moves every control away from its default and back, as a
  learner would; after one warm-up trip, every move of ``trips`` trips is a
  sample. A move that changes the axes (a new N, more followers) redraws the
  ticks and labels, and shows up in the max (target: at most 100 ms);
* ``explorer.simulate(**explorer.params())``: the model alone;
* ``explorer.render(explorer.run)``: matplotlib alone (drawing, PNG
  encoding, the summary table), the floor that a faster model cannot beat.

Each explorer is measured in a Python process of its own, as in a notebook
(each notebook has its kernel, and no two chapters' explorers share one):
one long-lived process that had built the other explorers first measured the
last one up to 60 % slower.

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

EXPLORERS = (
    "SingleLeaderExplorer",
    "ConflictExplorer",
    "TopologyExplorer",
    "QuorumExplorer",
    "SchemeExplorer",  # notebook 05
)
TARGET_MS = 100.0

#: One round trip over every control of each explorer, back to its defaults.
MOVES: dict[str, list[dict[str, Any]]] = {
    "SingleLeaderExplorer": [
        {"mode": "sync"},
        {"mode": "async"},
        {"followers": 4},
        {"followers": 2},
        {"replication_delay": 60},
        {"replication_delay": 20},
        {"read_from": "any"},
        {"read_from": "leader"},
        {"failover_at": None},
        {"failover_at": 250.0},
        {"seed": 1},
        {"seed": 0},
    ],
    "ConflictExplorer": [
        {"strategy": "cart: union"},
        {"strategy": "last-write-wins"},
        {"clock_skew": 20},
        {"clock_skew": 100},
        {"leaders": 4},
        {"leaders": 2},
        {"write_rate": 45.0},
        {"write_rate": 30.0},
        {"relocation_rate": 5.0},
        {"relocation_rate": 0.0},
    ],
    "TopologyExplorer": [
        {"topology": "star"},
        {"topology": "circular"},
        {"leaders": 7},
        {"leaders": 5},
        {"failed": "B"},
        {"failed": "none"},
        {"latency": 20.0},
        {"latency": 10.0},
        {"jitter": 2.0},
        {"jitter": 5.0},
    ],
    "QuorumExplorer": [
        {"n": 5},
        {"n": 3},
        {"latency": "YMMR"},
        {"latency": "LNKD-DISK"},
        {"failed": 1},
        {"failed": 0},
        {"r_level": "ONE"},
        {"r_level": "QUORUM"},
        {"w": 3},
        {"w": 2},
        {"sloppy": True},
        {"sloppy": False},
        {"read_repair": False},
        {"read_repair": True},
    ],
    "SchemeExplorer": [
        {"clock_skew": 100},
        {"clock_skew": 50},
        {"crash_ms": 100},
        {"crash_ms": 250},
        {"partition_ms": 0},
        {"partition_ms": 200},
        {"mix": "write-heavy"},
        {"mix": "balanced"},
        {"priority": "no lost writes"},
        {"priority": "overall (mean rank)"},
        {"seed": 1},
        {"seed": 0},
    ],
}


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


def _moves_ms(explorer: Any, moves: list[dict[str, Any]], trips: int) -> list[float]:
    out = []
    for trip in range(trips + 1):  # the first trip warms the caches up
        for move in moves:
            start = time.perf_counter()
            explorer.update(**move)
            if trip:
                out.append(1e3 * (time.perf_counter() - start))
    return out


def bench_one(
    name: str, cls: Any, repeats: int = 7, warmup: int = 2, trips: int = 2
) -> list[dict[str, object]]:
    """Time one explorer class; rows for update, slider moves, simulate and render."""
    explorer = cls()
    for _ in range(warmup):
        explorer.update()
    update = _times_ms(explorer.update, repeats)
    simulate = _times_ms(lambda: explorer.simulate(**explorer.params()), repeats)
    render = _times_ms(lambda: explorer.render(explorer.run), repeats)
    rows = [_row(f"{name}.update() (simulate + render), defaults", update, TARGET_MS)]
    if name in MOVES:
        moves = MOVES[name]
        what = f"{name}: slider moves ({len(moves)} per trip, every control and back)"
        rows.append(_row(what, _moves_ms(explorer, moves, trips), TARGET_MS))
    rows.append(_row(f"{name}: simulate alone", simulate, None))
    rows.append(_row(f"{name}: render alone (matplotlib + PNG)", render, None))
    return rows


def bench(repeats: int = 7, warmup: int = 2, trips: int = 2) -> list[dict[str, object]]:
    """Time every explorer; rows with the keys ``figure, median, min, max, unit, target, met``."""
    if repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    import matplotlib

    matplotlib.use("Agg")  # explorers draw on their own Figure; no GUI backend needed
    from replnb import widgets

    rows: list[dict[str, object]] = [floor_row(repeats)]
    for name in EXPLORERS:
        if getattr(widgets, name, None) is None:
            rows += _missing(name, "not available")
            continue
        try:
            rows += _bench_elsewhere(name, repeats, warmup, trips)
        except Exception as exc:  # a half-written explorer must not stop the benchmark
            rows += _missing(name, f"failed: {type(exc).__name__}: {exc}"[:120])
    return rows


def _bench_elsewhere(name: str, repeats: int, warmup: int, trips: int) -> list[dict[str, object]]:
    """:func:`bench_one` in a new Python process (the same interpreter and ``sys.path``)."""
    import json
    import os
    import subprocess

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), MPLBACKEND="Agg")
    args = [sys.executable, str(Path(__file__).resolve()), name, str(repeats), str(warmup), str(trips)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "bench failed")
    rows: list[dict[str, object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


if __name__ == "__main__":
    import json

    if len(sys.argv) == 5:  # one explorer, its rows as JSON (what _bench_elsewhere reads)
        from replnb import widgets

        one, *counts = sys.argv[1:]
        repeats, warmup, trips = (int(c) for c in counts)
        print(json.dumps(bench_one(one, getattr(widgets, one), repeats, warmup, trips)))
    else:
        for row in bench():
            print(row)
