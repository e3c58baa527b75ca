"""Benchmark the notebook suite: the wall time to execute every notebook once.

Each course notebook (``notebooks/NN_*.ipynb``) runs top to bottom in a
fresh ``python3`` kernel, exactly as ``scripts/execute_notebooks.py`` runs it
(the same function is used), but nothing is written back. The figure is the
sum of the per-notebook times, kernel start included, so it is what a
learner's "Run all" on every notebook, or CI's notebook job, costs.
Target: at most 60 s.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
TARGET_S = 60.0


def course_notebooks() -> list[Path]:
    """The course notebooks, in order (scratch notebooks such as ``zz_*`` are not part of it)."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _executor() -> ModuleType:
    path = REPO / "scripts" / "execute_notebooks.py"
    spec = importlib.util.spec_from_file_location("replnb_execute_notebooks", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench() -> list[dict[str, object]]:
    """Execute every notebook once; one row per notebook and one for the suite."""
    paths = course_notebooks()
    if not paths:
        return [_row("notebook suite: execute every notebook", "no notebooks yet", TARGET_S)]
    execute = _executor().execute
    rows: list[dict[str, object]] = []
    total = 0.0
    failed = []
    for path in paths:
        start = time.perf_counter()
        try:
            execute(path)
        except (Exception, SystemExit) as exc:  # report it, keep timing the others
            failed.append(path.name)
            rows.append(_row(f"  {path.name}", f"failed: {type(exc).__name__}", None))
            total += time.perf_counter() - start
            continue
        seconds = time.perf_counter() - start
        total += seconds
        rows.append(_row(f"  {path.name}", seconds, None))
    name = f"notebook suite: execute all {len(paths)} notebooks, fresh kernel each"
    suite = _row(name, total, TARGET_S)
    if failed:
        suite["met"] = False
        suite["figure"] = f"{name} ({len(failed)} failed)"
    return [suite, *rows]


def _row(figure: str, value: float | str, target: float | None) -> dict[str, object]:
    number = isinstance(value, float)
    return {
        "figure": figure,
        "median": value,
        "min": value if number else None,
        "max": value if number else None,
        "unit": "s" if number else "",
        "target": "" if target is None else f"<= {target:g}",
        "met": value <= target if isinstance(value, float) and target is not None else None,
    }


if __name__ == "__main__":
    for row in bench():
        print(row)
