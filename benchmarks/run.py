"""Measure replnb's performance claims; print a markdown table.

Usage::

    python benchmarks/run.py            # everything (a few minutes)
    python benchmarks/run.py --quick    # fewer repetitions
    python benchmarks/run.py --only explorers,engine
    python benchmarks/run.py --strict   # exit status 1 if a target is missed

One row per figure: the figure, its median, its min-max, the target and
whether the median meets it. The table is also written to
``benchmarks/results.md``. The parts:

``explorers``  one update (simulate + render) of each explorer on its
               defaults, a round trip of slider moves over every control,
               and the model and the rendering alone; target <= 100 ms
               (``bench_explorers.py``)
``engine``     the same leaderless quorum workload on replnb's engine and
               on SimPy, side by side; target >= 3x (``bench_engine.py``)
``pbs``        the PBS Monte Carlo (``bench_pbs.py``)
``check``      the linearizability checker on ~1,000-operation histories of
               the models; target <= 1 s (``bench_check.py``)
``notebooks``  the wall time to execute every notebook once;
               target <= 60 s (``bench_notebooks.py``)

Times are wall-clock (``time.perf_counter``), except the engine's
throughput, which is per CPU second of the benchmark process. The header of
the results records the machine and its load average: on a shared machine
every wall-clock figure grows with the load.
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

PARTS = ("explorers", "engine", "pbs", "check", "notebooks")
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


def _parts(quick: bool) -> dict[str, Callable[[], list[Row]]]:
    def explorers() -> list[Row]:
        import bench_explorers

        return bench_explorers.bench(repeats=7, warmup=1 if quick else 2, trips=1 if quick else 2)

    def engine() -> list[Row]:
        import bench_engine

        return bench_engine.bench(repeats=2 if quick else 7)

    def pbs() -> list[Row]:
        import bench_pbs

        return bench_pbs.bench(repeats=3 if quick else 7)

    def check() -> list[Row]:
        import bench_check

        return bench_check.bench(repeats=3 if quick else 7)

    def notebooks() -> list[Row]:
        import bench_notebooks

        return bench_notebooks.bench()

    return {"explorers": explorers, "engine": engine, "pbs": pbs, "check": check, "notebooks": notebooks}


def _details(rows: Sequence[Row]) -> list[str]:
    lines = []
    for row in rows:
        detail = row.get("detail")
        if isinstance(detail, dict):
            for name, values in detail.items():
                text = ", ".join(f"{v:,.0f}" for v in values)
                lines.append(f"- {name} per repetition: {text}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts among {', '.join(PARTS)}"
    )
    parser.add_argument("--strict", action="store_true", help="exit with status 1 if a target is missed")
    parser.add_argument(
        "--output",
        type=Path,
        default=HERE / "results.md",
        help="where to write the table (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    chosen = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; choose among {list(PARTS)}")

    parts = _parts(args.quick)
    rows: list[Row] = []
    started = time.perf_counter()
    for name in PARTS:
        if name in chosen:
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            rows += parts[name]()
    table = markdown(rows)
    command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
    if args.only != ",".join(PARTS):
        command += f" --only {args.only}"
    header = [
        f"Measured {datetime.date.today().isoformat()} on {machine()}.",
        f"Command: `{command}` ({time.perf_counter() - started:.0f} s). Wall-clock times (the engine: "
        "CPU time); median of the repetitions, min – max beside it.",
    ]
    details = _details(rows)
    text = "\n".join([*header, "", table, *(["", *details] if details else [])]) + "\n"
    print(text, end="")
    args.output.write_text(text, encoding="utf-8")
    missed = [row["figure"] for row in rows if row.get("met") is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
