"""Measure replnb's performance claims; write markdown tables.

Usage::

    python benchmarks/run.py                  # everything (several minutes)
    python benchmarks/run.py --quick          # fewer repetitions and values (a few minutes)
    python benchmarks/run.py --only walk      # one part (its section of results.md is replaced)
    python benchmarks/run.py --only walk --explorers Quorum,Scheme   # some explorers only
    python benchmarks/run.py --strict         # exit status 1 if a target is missed

``benchmarks/results.md`` keeps one section per part, each with the date,
machine, load and command that measured it; a run replaces only the sections
of the parts it ran. The parts:

``walk``       every control of every explorer through every value it can take,
               from a fresh explorer, one timed update per move: median, p95,
               max and the slowest moves per explorer; target: max <= 100 ms
               (``bench_walk.py``)
``explorers``  one update (simulate + render) of each explorer on its
               defaults, a round trip of slider moves over every control,
               and the model and the rendering alone; target <= 100 ms
               (``bench_explorers.py``)
``engine``     the same leaderless quorum workload on replnb's engine and
               on SimPy, side by side; target >= 3x (``bench_engine.py``)
``pbs``        the PBS Monte Carlo, and beside it a plain numpy version of the
               same estimator in the same run; target >= 1x (``bench_pbs.py``)
``growth``     each model's run time against duration and node count, and the
               checker's against history length, with log-log slopes and a
               plot, ``growth.png`` (``bench_growth.py``)
``check``      the linearizability checker on ~1,000-operation histories of
               the models; target <= 1 s (``bench_check.py``)
``notebooks``  the wall time to execute every notebook once;
               target <= 60 s (``bench_notebooks.py``)

Times are wall-clock (``time.perf_counter``), except the engine's
throughput, which is per CPU second of the benchmark process. Each section
records the machine's load average: on a shared machine every wall-clock
figure grows with the load.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for path in (str(REPO), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

PARTS = ("walk", "explorers", "engine", "pbs", "growth", "check", "notebooks")
Row = dict[str, object]


def _number(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.1f}x"
    if unit in ("ms", "s"):
        return f"{value:.1f} {unit}" if value < 1000 else f"{value:,.0f} {unit}"
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def format_row(row: Row) -> list[str]:
    """The cells of one row: figure, median, min-max, target, met."""
    unit = str(row.get("unit") or "")
    median, low, high = row.get("median"), row.get("min"), row.get("max")
    if isinstance(median, (int, float)) and not isinstance(median, bool):
        median_text = _number(float(median), unit)
    else:
        median_text = str(median)
    if isinstance(low, (int, float)) and isinstance(high, (int, float)):
        spread = f"{_number(float(low), unit)} – {_number(float(high), unit)}"
    else:
        spread = "—"
    target = str(row.get("target") or "")
    if target:
        target = f"{target}x" if unit == "x" else f"{target} {unit}".strip()
    met = row.get("met")
    met_text = "—" if met is None else ("yes" if met else "**no**")
    return [str(row["figure"]), median_text, spread, target or "—", met_text]


def markdown(rows: Sequence[Row]) -> str:
    """The rows as a markdown table."""
    lines = ["| figure | median | min – max | target | met |", "|---|---:|---:|---|---|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in format_row(row)) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """One line describing where the figures were measured."""
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # not available on every platform
        load = "n/a"
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {load}"
    )


def _parts(
    quick: bool, explorers: list[str] | None, png: Path = HERE / "growth.png"
) -> dict[str, Callable[[], list[Row] | str]]:
    def walk() -> str:
        import bench_walk

        points = bench_walk.QUICK_POINTS if quick else bench_walk.POINTS
        walks = bench_walk.walk(explorers, points=points, repeats=1 if quick else 3)
        over = bench_walk.over_target(walks, most=6)
        note = (
            f"Every slider move from a fresh explorer ({points} values per continuous slider"
            f"{'' if quick else ', each move the fastest of 3 walks'}); total = simulate + render"
            " (render includes what the model computes lazily while it is drawn). The target is"
            " the max over the slider moves; the first display (the explorer appearing when its"
            " cell runs, after the notebook's earlier figures) is given beside it."
        )
        listed = [f"- {line}" for line in over]
        tail = ["", f"The slowest moves over {bench_walk.TARGET_MS:g} ms:", *listed] if over else []
        return "\n".join([note, "", bench_walk.markdown(walks), *tail])

    def explorers_part() -> list[Row]:
        import bench_explorers

        return bench_explorers.bench(repeats=7, warmup=1 if quick else 2, trips=1 if quick else 2)

    def engine() -> list[Row]:
        import bench_engine

        return bench_engine.bench(repeats=2 if quick else 7)

    def pbs() -> list[Row]:
        import bench_pbs

        return bench_pbs.bench(repeats=3 if quick else 7)

    def growth() -> str:
        import bench_growth

        return bench_growth.section(quick=quick, png=png)

    def check() -> list[Row]:
        import bench_check

        return bench_check.bench(repeats=3 if quick else 7)

    def notebooks() -> list[Row]:
        import bench_notebooks

        return bench_notebooks.bench()

    return {
        "walk": walk,
        "explorers": explorers_part,
        "engine": engine,
        "pbs": pbs,
        "growth": growth,
        "check": check,
        "notebooks": notebooks,
    }


def _details(rows: Sequence[Row]) -> list[str]:
    lines = []
    for row in rows:
        detail = row.get("detail")
        if isinstance(detail, dict):
            for name, values in detail.items():
                text = ", ".join(f"{v:,.0f}" for v in values)
                lines.append(f"- {name} per repetition: {text}")
    return lines


def _marker(part: str, end: bool = False) -> str:
    return f"<!-- {'/' if end else ''}part:{part} -->"


def read_sections(text: str) -> dict[str, str]:
    """The sections of a results file, by part (text between its markers)."""
    out = {}
    for part in PARTS:
        start, end = _marker(part), _marker(part, end=True)
        if start in text and end in text:
            out[part] = text[text.index(start) + len(start) : text.index(end)].strip("\n")
    return out


def write_sections(sections: dict[str, str]) -> str:
    """A results file: a title, then every part measured so far, in the order of :data:`PARTS`."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `python benchmarks/run.py` (see its docstring); each section says when, where and",
        "with which command it was measured, and a run replaces only the sections it measured.",
    ]
    for part in PARTS:
        if part in sections:
            lines += ["", _marker(part), sections[part], _marker(part, end=True)]
    return "\n".join(lines) + "\n"


def _section(name: str, result: list[Row] | str, command: str, seconds: float) -> str:
    header = [
        f"## {name}",
        "",
        f"Measured {datetime.date.today().isoformat()} on {machine()}.",
        f"Command: `{command}` ({seconds:.0f} s).",
        "",
    ]
    if isinstance(result, str):
        return "\n".join([*header, result])
    details = _details(result)
    body = [
        "Wall-clock times (the engine: CPU time); median of the repetitions, min – max beside it.",
        "",
        markdown(result),
    ]
    return "\n".join([*header, *body, *(["", *details] if details else [])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and values")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts among {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--explorers",
        default="",
        help="walk only the explorers whose names contain one of these (comma-separated)",
    )
    parser.add_argument("--strict", action="store_true", help="exit with status 1 if a target is missed")
    parser.add_argument(
        "--output",
        type=Path,
        default=HERE / "results.md",
        help="where to write the tables (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    chosen = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; choose among {list(PARTS)}")
    names = [n.strip() for n in args.explorers.split(",") if n.strip()] or None
    parts = _parts(args.quick, names, png=args.output.parent / "growth.png")
    old = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    sections = read_sections(old)
    missed: list[object] = []
    for name in PARTS:
        if name not in chosen:
            continue
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        result = parts[name]()
        command = f"python benchmarks/run.py --only {name}" + (" --quick" if args.quick else "")
        if names and name == "walk":
            command += f" --explorers {args.explorers}"
        sections[name] = _section(name, result, command, time.perf_counter() - started)
        print(sections[name] + "\n", flush=True)
        if isinstance(result, list):
            missed += [row["figure"] for row in result if row.get("met") is False]
        elif "**no**" in result:
            missed.append(name)
        args.output.write_text(write_sections(sections), encoding="utf-8")  # after every part
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
