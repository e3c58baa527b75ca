"""Figures computed from single-leader runs: replication lag, parameter sweeps."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..grid import sweep as grid_sweep
from ..params import Nodes, checked
from ..records import Run
from .simulation import simulate
from .verdicts import METRICS

__all__ = ["replication_lag", "sweep"]


def replication_lag(run: Run) -> pd.DataFrame:
    """The replication lag of every entry a follower applied.

    Returns a DataFrame with columns ``time`` (when the follower applied the
    entry), ``follower``, ``lag_ms`` (that time minus the time the leader
    accepted the write) and ``op_id``.

    Examples
    --------
    >>> run = simulate(replication_delay=5, delay_distribution="constant", duration=100)
    >>> lag = replication_lag(run)
    >>> sorted(lag["follower"].unique()), float(lag["lag_ms"].min())
    (['B', 'C'], 5.0)
    """
    lag = run.extras.get("lag")
    if not isinstance(lag, pd.DataFrame):
        raise ValueError("run must come from replnb.single_leader.simulate (it has no extras['lag'])")
    return lag


def _metrics_of(metrics: tuple[str, ...] | None, fixed: Mapping[str, Any], **point: Any) -> pd.Series:
    """One run's metrics (the ``metrics`` named, or all): what :func:`replnb.grid.sweep` collects."""
    values = simulate(**point, **fixed).metrics
    return values if metrics is None else values[list(metrics)]


def _check_seeds(seeds: Any) -> list[int]:
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise ValueError(f"seeds must be an iterable of seeds, got {seeds!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    return seeds


@checked(metrics=Nodes(METRICS, none=True))
def sweep(
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    seeds: Iterable[int] = range(5),
    metrics: Sequence[str] | None = None,
    **fixed: Any,
) -> pd.DataFrame:
    """Run :func:`simulate` for every combination of ``grid`` and every seed.

    The runs go through :func:`replnb.grid.sweep`, the course's one sweep
    runner, with the seed as one more grid parameter.

    Parameters
    ----------
    grid : mapping, optional
        Parameter name to the values to try, e.g. ``{"mode": MODES}``
        (default: none, one run per seed).
    seeds : iterable of int
        One run per seed and combination.
    metrics : sequence of str, optional
        The metrics to keep, among :data:`~replnb.single_leader.METRICS`
        (default: all).
    **fixed
        Other parameters of :func:`simulate`, the same for every run.

    Returns
    -------
    DataFrame
        One row per run: the grid parameters, ``seed``, then the metrics.

    Examples
    --------
    >>> df = sweep({"mode": ["sync", "async"]}, seeds=[0, 1], duration=200, metrics=["writes_acked"])
    >>> df.columns.tolist(), len(df)
    (['mode', 'seed', 'writes_acked'], 4)
    """
    grid = {} if grid is None else grid
    names = list(grid)
    clash = sorted(set(names) & (set(fixed) | {"seed"}))
    if clash:
        raise ValueError(f"grid parameters must not also be fixed or be 'seed', got {clash}")
    seeds = _check_seeds(seeds)
    combos = itertools.product(*(list(grid[n]) for n in names))
    points = [{**dict(zip(names, combo, strict=True)), "seed": s} for combo in combos for s in seeds]
    keep = None if metrics is None else tuple(metrics)
    return grid_sweep(functools.partial(_metrics_of, keep, dict(fixed)), points)
