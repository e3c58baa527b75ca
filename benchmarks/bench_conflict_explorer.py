"""Benchmark ConflictExplorer control by control: every value, first visits included.

For each control, a fresh explorer (rendered once on its defaults) is moved
through every value the control can take (the slider's steps), one
``update`` per value, with the other controls at their defaults. This is
repeated ``--repeats`` times with new explorers, so that every sample is a
first visit; per value the minimum over the repetitions estimates the cost on
a quiet machine. Reported per control: the median and the max over its values
(wall clock), and the max in process CPU time (less sensitive to other
processes sharing the cores). The target is a max below 100 ms.

Run from a checkout: ``python benchmarks/bench_conflict_explorer.py --repeats 3``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

try:
    import replnb  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replnb.params import Choice, Int
from replnb.widgets import ConflictExplorer


def values(control: Any) -> list[Any]:
    """Every value of ``control``'s widget (a choice's options, a slider's steps)."""
    if isinstance(control.spec, Choice):
        return list(control.spec.options)
    widget = ConflictExplorer().controls[control.name]
    steps = np.arange(widget.min, widget.max + widget.step / 2, widget.step)
    return [int(v) for v in steps] if isinstance(control.spec, Int) else [float(v) for v in steps]


def walk(repeats: int) -> dict[str, tuple[list[Any], np.ndarray, np.ndarray]]:
    """Per control: its values, and the minimum wall and CPU time (ms) of moving to each."""
    out = {}
    for control in ConflictExplorer.specs:
        vals = values(control)
        wall = np.full((repeats, len(vals)), np.inf)
        cpu = wall.copy()
        for r in range(repeats):
            explorer = ConflictExplorer()
            explorer.refresh()
            for i, value in enumerate(vals):
                t, p = time.perf_counter(), time.process_time()
                explorer.update(**{control.name: value})
                wall[r, i] = (time.perf_counter() - t) * 1e3
                cpu[r, i] = (time.process_time() - p) * 1e3
        out[control.name] = (vals, wall.min(axis=0), cpu.min(axis=0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| control | values | median (ms) | max (ms) | at | max CPU (ms) |\n|---|---|---|---|---|---|")
    every = []
    for name, (vals, wall, cpu) in walk(args.repeats).items():
        every += list(wall)
        at = vals[int(np.argmax(wall))]
        print(f"| {name} | {len(vals)} | {np.median(wall):.1f} | {wall.max():.1f} | {at} | {cpu.max():.1f} |")
    print(f"| all | {len(every)} | {np.median(every):.1f} | {max(every):.1f} | | |")


if __name__ == "__main__":
    main()
