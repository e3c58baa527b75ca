"""Conflict-handling strategies compared side by side, and their sweeps."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from .. import grid
from ..params import Choice, Flag, checked
from ..records import Run
from .simulation import simulate

__all__ = ["STRATEGIES", "SWEEPABLE", "compare_runs", "compare_strategies", "strategy_run", "sweep"]


#: Named strategies for comparisons: keyword arguments for :func:`simulate`.
STRATEGIES: Mapping[str, Mapping[str, Any]] = {
    "avoidance": {"resolver": "avoid"},
    "last-write-wins": {"resolver": "lww"},
    "siblings (on read)": {"resolver": "siblings"},
    "cart: union": {"resolver": "union", "workload": "cart"},
    "cart: union + tombstones": {"resolver": "union", "workload": "cart", "tombstones": True},
}

_SUMMARY = ("writes_acked", "lost_writes", "conflicts", "resurrections", "convergence_time")


def compare_strategies(
    strategies: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    columns: Sequence[str] = _SUMMARY,
    **params: Any,
) -> pd.DataFrame:
    """Run each strategy on the same random workload; one row of metrics each.

    Parameters
    ----------
    strategies : mapping, optional
        Name -> keyword arguments for :func:`simulate` (default :data:`STRATEGIES`).
    columns : sequence of str
        The metrics to report (names of ``run.metrics``).
    **params
        Common keyword arguments for :func:`simulate` (a strategy's own win).

    Examples
    --------
    >>> table = compare_strategies(clock_skew=100.0, duration=500.0, seed=1)
    >>> table.columns.tolist()
    ['writes_acked', 'lost_writes', 'conflicts', 'resurrections', 'convergence_time']
    >>> int(table.loc["cart: union + tombstones", "resurrections"])
    0
    """
    return compare_runs(strategies, columns, params)[0]


def compare_runs(
    strategies: Mapping[str, Mapping[str, Any]] | None, columns: Sequence[str], params: Mapping[str, Any]
) -> tuple[pd.DataFrame, dict[str, Run]]:
    rows, runs = {}, {}
    for name, kwargs in (strategies or STRATEGIES).items():
        run = simulate(**{**params, **kwargs})
        counts = run.extras["counts"]
        source = counts if all(c in counts for c in columns) else run.metrics  # skip DataFrames if we can
        rows[name] = [source[c] for c in columns]
        runs[name] = run
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(columns))
    table.index.name = "strategy"
    ints = [c for c in columns if c in _INTEGER_METRICS]
    return table.astype(dict.fromkeys(ints, int)), runs


@checked(strategy=Choice(tuple(STRATEGIES)))
def strategy_run(
    strategy: str = "last-write-wins", *, columns: Sequence[str] = _SUMMARY, **params: Any
) -> Run:
    """The run of one of :data:`STRATEGIES`, carrying the comparison of them all on its workload.

    Every strategy runs with the same ``params`` (keyword arguments of
    :func:`simulate`); the returned run is ``strategy``'s, with two more
    extras: ``comparison`` (the table of :func:`compare_strategies`, one row
    per strategy) and ``strategy`` (its name).

    Examples
    --------
    >>> run = strategy_run("avoidance", columns=("conflicts",), duration=200.0)
    >>> run.extras["strategy"], int(run.extras["comparison"].loc["avoidance", "conflicts"])
    ('avoidance', 0)
    """
    table, runs = compare_runs(None, columns, params)
    run = runs[strategy]
    run.extras.update(comparison=table, strategy=strategy)
    return run


_INTEGER_METRICS = (
    "writes_acked",
    "writes_failed",
    "lost_writes",
    "conflicts",
    "resurrections",
    "unconverged_replicas",
    "out_of_order",
)


#: The parameters of :func:`simulate` that :func:`sweep` can vary (the seeds vary apart).
SWEEPABLE = tuple(name for name in inspect.signature(simulate).parameters if name != "seed")


@checked(param=Choice(SWEEPABLE), aggregate=Flag())
def sweep(
    param: str = "clock_skew",
    values: Iterable[Any] = (0.0, 100.0, 200.0),
    *,
    strategies: Mapping[str, Mapping[str, Any]] | None = None,
    seeds: Iterable[int] = range(3),
    aggregate: bool = True,
    **params: Any,
) -> pd.DataFrame:
    """Metrics of :func:`simulate` as ``param`` varies, over several seeds.

    The runs go through the one sweep runner, :func:`replnb.grid.sweep`, one
    grid point per strategy, value and seed (in that order).

    Returns a tidy DataFrame with the columns ``strategy``, ``param`` and
    every metric: with ``aggregate=True`` one row per strategy and value (the
    mean over ``seeds``; ``convergence_time`` is ``inf`` as soon as one seed
    never converges), otherwise one row per run with a ``seed`` column.

    Examples
    --------
    >>> df = sweep("clock_skew", [0.0, 100.0], strategies={"lww": {"resolver": "lww"}},
    ...            seeds=[0], duration=300.0)
    >>> df[["strategy", "clock_skew"]].values.tolist()
    [['lww', 0.0], ['lww', 100.0]]
    """
    strategies = dict(strategies or {"": {}})
    seeds, values = list(seeds), list(values)
    points = [
        {"strategy": name, param: value, "seed": s} for name in strategies for value in values for s in seeds
    ]
    run = functools.partial(_run_strategy, strategies=strategies, params=params)
    df = grid.sweep(run, points)
    if not aggregate:
        return df
    return df.drop(columns="seed").groupby(["strategy", param], sort=False).mean().reset_index()


def _run_strategy(
    strategy: str,
    seed: int,
    *,
    strategies: Mapping[str, Mapping[str, Any]],
    params: Mapping[str, Any],
    **point: Any,
) -> dict[str, float]:
    """The metrics (as floats) of one run of ``strategy`` at one grid point."""
    run = simulate(**{**params, **strategies[strategy], **point, "seed": seed})
    return {str(k): float(v) for k, v in run.metrics.items()}
