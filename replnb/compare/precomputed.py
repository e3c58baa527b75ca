"""Every slider position of the scheme explorer, simulated once and stored with the package.

:class:`replnb.widgets.SchemeExplorer` compares seven schemes, each a full
simulation with its causal verdicts: 250-300 ms a move on two cores, three
times the 100 ms a slider must answer in. Its controls take few enough
values (:data:`GRID`: 3 mixes x 5 seeds x 7 crash lengths x 5 partition
lengths x 6 inter-region delays x 5 clock skews) that each scheme's figures
at every position can be computed ahead, by the same :func:`compare` call
the explorer would make, and stored (``scheme_grid.npz``, float64, so a
stored figure is the simulated one to the last bit). A scheme whose figures
do not depend on the clocks (a single leader, the union merges) is stored
once per skew-free position.

:func:`table` answers a position of the grid from the file, and ``None``
off the grid (the explorer then simulates). The file records the grid it
was computed on; a file of another grid is not used. When a model changes,
``python -m replnb.compare.precomputed`` (``make scheme-grid``) computes
the file again (about 20 minutes on two cores); ``tests/test_precomputed.py``
re-simulates a sample of positions and fails until it is.

Examples
--------
>>> t = table("balanced", seed=0, crash_ms=250, partition_ms=200, far_ms=40, clock_skew=50)
>>> t.equals(compare("balanced", faults=scenario_faults(250, 200, 50), layout=Layout(far_latency=40.0)))
True
>>> table("balanced", seed=0, crash_ms=250, partition_ms=200, far_ms=40, clock_skew=30) is None  # off grid
True
"""

from __future__ import annotations

import functools
import itertools
import json
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..progress import progress
from .faults import Faults, Layout
from .results import CLOCK_FREE, compare
from .workload import COLUMNS, FAMILIES, MIXES, SCHEMES, make_workload

__all__ = ["GRID", "LINK_CUT", "PATH", "build", "scenario_faults", "skew_free", "table"]

#: The values each control of the scheme explorer takes.
GRID: dict[str, tuple[Any, ...]] = {
    "mix": tuple(MIXES),
    "seed": tuple(range(5)),
    "crash_ms": tuple(range(0, 301, 50)),
    "partition_ms": tuple(range(0, 401, 100)),
    "far_ms": tuple(range(0, 101, 20)),
    "clock_skew": tuple(range(0, 201, 50)),
}
#: When node A crashes and when node C is cut off (ms); the link A-B is cut over LINK_CUT.
CRASH_AT = 200.0
PARTITION_AT = 550.0
LINK_CUT = (850.0, 950.0)
#: The stored figures.
PATH = Path(__file__).with_name("scheme_grid.npz")
#: The columns stored as integers (counts).
_COUNTS = ("lost_writes", "stale_reads")


def scenario_faults(crash_ms: float, partition_ms: float, clock_skew: float) -> Faults:
    """The explorer's faults: A down ``crash_ms`` from 200 ms, C cut off ``partition_ms`` from
    550 ms (0: none), the link A-B cut from 850 to 950 ms, and the clocks spread over ``clock_skew``.

    Examples
    --------
    >>> scenario_faults(0, 100, 20).kinds
    ('partition', 'link cut', 'clock skew')
    """
    crash, part = float(crash_ms), float(partition_ms)
    return Faults(
        crashes=(("A", CRASH_AT, CRASH_AT + crash),) if crash else (),
        partitions=(((("C",),), PARTITION_AT, PARTITION_AT + part),) if part else (),
        link_failures=(("A", "B", *LINK_CUT),),
        clock_skew=float(clock_skew),
    )


def skew_free(scheme: str) -> bool:
    """Whether ``scheme``'s figures are the same for every clock skew (it never reads a clock)."""
    return scheme in CLOCK_FREE or FAMILIES[scheme] == "single-leader"


def _dims(scheme: str) -> tuple[str, ...]:
    """The controls that ``scheme``'s figures depend on, in :data:`GRID` order."""
    return tuple(d for d in GRID if not (d == "clock_skew" and skew_free(scheme)))


def _figures(scheme: str, point: dict[str, Any]) -> list[float]:
    """One scheme's figures at one position, by the explorer's own :func:`compare` call."""
    skew = point.get("clock_skew", 0)
    workload = make_workload(point["mix"], seed=point["seed"])
    row = compare(
        point["mix"],
        faults=scenario_faults(point["crash_ms"], point["partition_ms"], skew),
        workload=workload,
        layout=Layout(far_latency=float(point["far_ms"])),
        schemes=[scheme],
        seed=point["seed"],
    ).iloc[0]
    return [float(row[c]) for c in COLUMNS]


def _chunk(scheme: str, points: Sequence[dict[str, Any]]) -> list[list[float]]:
    return [_figures(scheme, p) for p in points]


def build(path: Path = PATH, executor: Executor | None = None, chunk: int = 50) -> Path:
    """Compute every scheme's figures at every position of :data:`GRID` and store them at ``path``."""
    arrays: dict[str, Any] = {"grid": np.array(json.dumps(GRID))}
    jobs = []
    for scheme in SCHEMES:
        dims = _dims(scheme)
        values = itertools.product(*(GRID[d] for d in dims))
        points = [dict(zip(dims, v, strict=True)) for v in values]
        for i in range(0, len(points), chunk):
            jobs.append((scheme, points[i : i + chunk]))
    run = executor.map if executor is not None else map
    results = run(_chunk, [s for s, _ in jobs], [p for _, p in jobs])
    rows: dict[str, list[list[float]]] = {s: [] for s in SCHEMES}
    with progress(len(jobs), "blocks of positions") as advance:
        for (scheme, _), figures in zip(jobs, results, strict=True):
            rows[scheme].extend(figures)
            advance()
    for scheme in SCHEMES:
        shape = (*(len(GRID[d]) for d in _dims(scheme)), len(COLUMNS))
        arrays[scheme] = np.array(rows[scheme], dtype=np.float64).reshape(shape)
    np.savez_compressed(path, **arrays)
    _stored.cache_clear()
    return path


@functools.lru_cache(maxsize=1)
def _stored() -> dict[str, np.ndarray] | None:
    """The stored arrays, or None when there is no file or it holds another grid."""
    if not PATH.exists():
        return None
    with np.load(PATH, allow_pickle=False) as data:
        if str(data["grid"]) != json.dumps(GRID) or set(data.files) != {"grid", *SCHEMES}:
            return None
        return {scheme: data[scheme] for scheme in SCHEMES}


def _position(values: dict[str, Any], dims: Iterable[str]) -> tuple[int, ...] | None:
    """The index of each value along its dimension, or None if one is off the grid."""
    index = []
    for d in dims:
        if values[d] not in GRID[d]:
            return None
        index.append(GRID[d].index(values[d]))
    return tuple(index)


def table(
    mix: str, *, seed: int, crash_ms: float, partition_ms: float, far_ms: float, clock_skew: float
) -> pd.DataFrame | None:
    """The table :func:`compare` returns for the explorer at this position; None off the grid.

    The same frame as the simulation's (index ``scheme``, columns
    :data:`COLUMNS`, the counts as integers), read from the stored figures.
    """
    stored = _stored()
    values = {
        "mix": mix,
        "seed": seed,
        "crash_ms": crash_ms,
        "partition_ms": partition_ms,
        "far_ms": far_ms,
        "clock_skew": clock_skew,
    }
    if stored is None or any(isinstance(v, bool) for v in values.values()):
        return None
    rows = {}
    for scheme in SCHEMES:
        at = _position(values, _dims(scheme))
        if at is None:
            return None
        rows[scheme] = dict(zip(COLUMNS, stored[scheme][at].tolist(), strict=True))
    frame = pd.DataFrame.from_dict(rows, orient="index")[list(COLUMNS)]
    frame = frame.astype(dict.fromkeys(_COUNTS, "int64"))
    frame.index.name = "scheme"
    return frame


def main(argv: Sequence[str] = ()) -> None:
    """Compute the stored figures again (``python -m replnb.compare.precomputed [workers]``)."""
    workers = int(argv[0]) if argv else 2
    with ProcessPoolExecutor(max_workers=workers) as pool:
        sys.stdout.write(f"{build(executor=pool)}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
