"""Walk every control of every explorer through every value it can take; time each move.

For each explorer of :mod:`replnb.widgets` (every exported
:class:`~replnb.widgets.Explorer` subclass that has controls), a **fresh**
explorer is built and shown once (its first ``update()``, timed as the
``first display``); then each control in turn is moved through every value
its widget offers at that moment, one ``explorer.update(name=value)`` per
move, and back to its starting value:

* a dropdown, toggle buttons or a checkbox: every option;
* an integer slider: every value its step reaches, or ``points`` of them
  spread evenly (both ends included) when there are more;
* a float slider: ``points`` values spread evenly over its range, on its step;
* a multiple selection: nothing, then each single option.

Every move is timed in full (the model, the drawing, the PNG, the caption and
the table: what a learner waits for), and, inside it, the time spent in
``simulate`` and in ``render``. Nothing of the explorer is warmed up: the
first visit of every value is what is measured, as a learner meets it. Only
matplotlib has drawn one small figure before, as it has in every notebook
when the notebook reaches its first explorer (each draws figures before it).
With ``repeats`` > 1 the whole walk is repeated on new explorers and each
move keeps its smallest time (a busy machine only ever adds time).

The figures per explorer: the number of slider moves, their median, p95 and
max (target: max <= 100 ms: every slider position answers within 100 ms,
first visits included), the first display (the explorer appearing when its
cell runs, reported beside them), and the slowest moves with their split.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import replnb  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_MS = 100.0
#: The label of an explorer's first update.
FIRST = "(first display)"
#: Values per continuous (or long integer) slider.
POINTS = 15
QUICK_POINTS = 5


@dataclass
class Move:
    """One timed move: which control took which value, and how long it took (ms)."""

    control: str
    value: Any
    total: float
    simulate: float
    render: float
    #: CPU time of this process during the move (ms): what a busy machine inflates least.
    cpu: float = 0.0

    @property
    def label(self) -> str:
        return self.control if self.control.startswith("(") else f"{self.control}={self.value!r}"


@dataclass
class Walk:
    """The moves of one explorer's walk."""

    explorer: str
    moves: list[Move] = field(default_factory=list)
    error: str = ""

    def sliders(self) -> list[Move]:
        """The slider moves: every move but the first display."""
        return [m for m in self.moves if m.control != FIRST]

    def totals(self) -> list[float]:
        return [m.total for m in self.sliders()]

    def first_display(self) -> Move | None:
        return next((m for m in self.moves if m.control == FIRST), None)

    def slowest(self, k: int = 1) -> list[Move]:
        return sorted(self.sliders(), key=lambda m: -m.total)[:k]


def explorer_classes() -> dict[str, type]:
    """The explorers exported by :mod:`replnb.widgets`, by name (the base classes excluded)."""
    from replnb import widgets

    found = {}
    for name in sorted(getattr(widgets, "__all__", dir(widgets))):
        cls = getattr(widgets, name, None)
        if (
            isinstance(cls, type)
            and issubclass(cls, widgets.Explorer)
            and cls not in (widgets.Explorer, widgets.KeptAxesExplorer)
            and getattr(cls, "specs", ())
        ):
            found[name] = cls
    return found


def _spread(lo: float, hi: float, points: int) -> list[float]:
    if points <= 1 or hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / (points - 1) for i in range(points)]


def widget_values(widget: Any, points: int) -> list[Any]:
    """Every value ``widget`` can take now (a spread of ``points`` for a long or float slider)."""
    import ipywidgets as w

    if isinstance(widget, w.IntSlider):  # the values its step reaches (the ends included)
        lo, hi, step = int(widget.min), int(widget.max), max(1, int(widget.step or 1))
        reachable = sorted({*range(lo, hi + 1, step), hi})
        if len(reachable) <= points:
            return reachable
        return sorted({reachable[round(i * (len(reachable) - 1) / (points - 1))] for i in range(points)})
    if isinstance(widget, w.FloatSlider):
        lo, hi, step = float(widget.min), float(widget.max), float(widget.step or 0)
        values = _spread(lo, hi, points)
        if step > 0:
            values = [min(hi, lo + round((v - lo) / step) * step) for v in values]
        return sorted({round(v, 9) for v in values})
    if isinstance(widget, w.Checkbox):
        return [False, True]
    if isinstance(widget, w.SelectMultiple):
        names = list(getattr(widget, "_options_values", widget.options))
        return [(), *[(name,) for name in names]]
    if hasattr(widget, "_options_values"):  # Dropdown, ToggleButtons, RadioButtons, ...
        return list(widget._options_values)
    raise TypeError(f"no values for a {type(widget).__name__}")


def _timed(fn: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into.append(1e3 * (time.perf_counter() - start))

    return wrapper


class _Stopwatch:
    """Times an explorer's moves, with the share spent in ``simulate`` and ``render``."""

    def __init__(self, explorer: Any) -> None:
        self.explorer = explorer
        self._sim: list[float] = []
        self._render: list[float] = []
        explorer.simulate = _timed(explorer.simulate, self._sim)
        explorer.render = _timed(explorer.render, self._render)

    def move(self, control: str, value: Any, **params: Any) -> Move:
        """``explorer.update(**params)``, timed."""
        self._sim.clear()
        self._render.clear()
        cpu, start = time.process_time(), time.perf_counter()
        self.explorer.update(**params)
        total = 1e3 * (time.perf_counter() - start)
        cpu = 1e3 * (time.process_time() - cpu)
        return Move(control, value, total, sum(self._sim), sum(self._render), cpu)


def walk_one(name: str, cls: type, points: int = POINTS) -> Walk:
    """One fresh explorer of class ``cls``, every control through every value and back."""
    import matplotlib

    matplotlib.use("Agg")
    _warm_matplotlib()
    out = Walk(name)
    explorer = cls()
    watch = _Stopwatch(explorer)
    out.moves.append(watch.move(FIRST, None))
    for control, widget in list(explorer.controls.items()):
        start = widget.value
        values = [v for v in widget_values(widget, points) if v != start]
        for value in [*values, start]:
            try:
                out.moves.append(watch.move(control, value, **{control: value}))
            except ValueError:  # a value another control's move made invalid: not offered any more
                continue
    return out


def _warm_matplotlib() -> None:
    """Draw one small figure with a title, labels and ticks (fonts loaded, glyphs cached), as
    every notebook has done by the time it shows its first explorer."""
    from matplotlib.figure import Figure

    from replnb.widgets import figure_png

    figure = Figure(figsize=(3.0, 2.0), dpi=80)
    ax = figure.add_subplot()
    ax.plot([0, 1], [0, 1])
    ax.set_title("warm", fontweight="bold")
    ax.set_xlabel("x")
    figure_png(figure)


def walk(
    names: Iterable[str] | None = None, *, points: int = POINTS, repeats: int = 1, progress: bool = True
) -> list[Walk]:
    """The walk of every explorer (or of ``names``), each move keeping its fastest of ``repeats``.

    Every walk runs in a new Python process, so that no cache of the models
    (they keep some at module level) is warm from an earlier walk: each move
    is a first visit, as in a notebook just opened.
    """
    classes = explorer_classes()
    chosen = list(classes) if names is None else [n for n in classes if any(k in n for k in names)]
    walks = []
    for name in chosen:
        if progress:
            print(f"  walking {name} ...", file=sys.stderr, flush=True)
        try:
            runs = [_walk_elsewhere(name, points) for _ in range(max(1, repeats))]
        except Exception as exc:  # a half-written explorer must not stop the benchmark
            walks.append(Walk(name, error=f"{type(exc).__name__}: {exc}"[:160]))
            continue
        walks.append(_fastest(runs))
    return walks


def _walk_elsewhere(name: str, points: int) -> Walk:
    """:func:`walk_one` in a new Python process (the same interpreter and ``sys.path``)."""
    import json
    import os
    import subprocess

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), MPLBACKEND="Agg")
    args = [sys.executable, str(Path(__file__).resolve()), "--one", name, "--points", str(points)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "walk failed")
    moves = json.loads(done.stdout.strip().splitlines()[-1])
    return Walk(name, [Move(*m) for m in moves])


def _print_one(name: str, points: int) -> None:
    """Walk one explorer here and print its moves as JSON (what :func:`_walk_elsewhere` reads)."""
    import json

    moves = walk_one(name, explorer_classes()[name], points).moves
    print(json.dumps([[m.control, m.value, m.total, m.simulate, m.render, m.cpu] for m in moves]))


def _fastest(runs: Sequence[Walk]) -> Walk:
    """Move by move, the fastest of the repeated walks (they make the same moves)."""
    best = Walk(runs[0].explorer, list(runs[0].moves))
    for other in runs[1:]:
        if [m.label for m in other.moves] != [m.label for m in best.moves]:
            continue
        best.moves = [a if a.total <= b.total else b for a, b in zip(best.moves, other.moves, strict=True)]
    return best


def p95(values: Sequence[float]) -> float:
    """The 95th percentile (linear interpolation, as numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = 0.95 * (len(ordered) - 1)
    lo = math.floor(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def markdown(walks: Sequence[Walk], top: int = 3) -> str:
    """The walk table: one row per explorer, then its slowest moves."""
    lines = [
        "| explorer | slider moves | median | p95 | max | max <= 100 ms | max CPU | first display"
        " | slowest moves (total = simulate + render) |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for w in walks:
        if w.error or not w.totals():
            lines.append(f"| {w.explorer} | — | — | — | — | — | — | — | failed: {w.error} |")
            continue
        totals = w.totals()
        first = w.first_display()
        shown = "—" if first is None else f"{first.total:.0f} ms = {first.simulate:.0f} + {first.render:.0f}"
        slow = "; ".join(
            f"`{m.label}` {m.total:.0f} ms = {m.simulate:.0f} + {m.render:.0f}" for m in w.slowest(top)
        )
        met = "yes" if max(totals) <= TARGET_MS else "**no**"
        lines.append(
            f"| {w.explorer} | {len(totals)} | {statistics.median(totals):.0f} ms | {p95(totals):.0f} ms"
            f" | {max(totals):.0f} ms | {met} | {max(m.cpu for m in w.sliders()):.0f} ms | {shown}"
            f" | {slow.replace('|', '/')} |"
        )
    return "\n".join(lines)


def over_target(walks: Sequence[Walk], most: int | None = None) -> list[str]:
    """The moves above the target (at most ``most`` per explorer, slowest first), one line each."""
    lines = []
    for w in walks:
        over = [m for m in w.slowest(len(w.moves)) if m.total > TARGET_MS]  # slider moves only
        shown = over if most is None else over[:most]
        lines += [
            f"{w.explorer}: `{m.label}` {m.total:.0f} ms (simulate {m.simulate:.0f}, render {m.render:.0f})"
            for m in shown
        ]
        if len(shown) < len(over):
            lines.append(f"{w.explorer}: ... and {len(over) - len(shown)} more moves over {TARGET_MS:g} ms")
    return lines


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("names", nargs="*", help="explorers whose name contains one of these (default: all)")
    parser.add_argument("--points", type=int, default=POINTS)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--all-moves", action="store_true", help="list every move over the target")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the walk of one explorer, as JSON
    args = parser.parse_args()
    if args.one:
        _print_one(args.one, args.points)
        sys.exit(0)
    result = walk(args.names or None, points=args.points, repeats=args.repeats)
    print(markdown(result))
    if args.all_moves:
        print("\n".join(over_target(result)))
