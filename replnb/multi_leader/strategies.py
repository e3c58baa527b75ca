"""Conflict-handling strategies compared side by side, and their sweeps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..records import Run
from .simulation import simulate

__all__ = ['STRATEGIES', 'compare_runs', 'compare_strategies', 'sweep']


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


_INTEGER_METRICS = (
    "writes_acked",
    "writes_failed",
    "lost_writes",
    "conflicts",
    "resurrections",
    "unconverged_replicas",
    "out_of_order",
)


def sweep(
    param: str,
    values: Iterable[Any],
    *,
    strategies: Mapping[str, Mapping[str, Any]] | None = None,
    seeds: Iterable[int] = range(3),
    aggregate: bool = True,
    **params: Any,
) -> pd.DataFrame:
    """Metrics of :func:`simulate` as ``param`` varies, over several seeds.

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
    rows = []
    seeds = list(seeds)
    values = list(values)
    for name, kwargs in (strategies or {"": {}}).items():
        for value in values:
            for s in seeds:
                run = simulate(**{**params, **kwargs, param: value, "seed": s})
                rows.append(
                    {"strategy": name, param: value, "seed": s, **run.metrics.astype(float).to_dict()}
                )
    df = pd.DataFrame(rows)
    if not aggregate:
        return df
    out = df.drop(columns="seed").groupby(["strategy", param], sort=False).mean().reset_index()
    return out
