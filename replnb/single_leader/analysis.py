"""Figures computed from single-leader runs: replication lag, parameter sweeps."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..records import Run
from .simulation import simulate

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


def sweep(
    grid: Mapping[str, Sequence[Any]],
    *,
    seeds: Iterable[int] = range(5),
    metrics: Sequence[str] | None = None,
    **fixed: Any,
) -> pd.DataFrame:
    """Run :func:`simulate` for every combination of ``grid`` and every seed.

    Parameters
    ----------
    grid : mapping
        Parameter name to the values to try, e.g. ``{"mode": MODES}``.
    seeds : iterable of int
        One run per seed and combination.
    metrics : sequence of str, optional
        The metrics to keep (default: all).
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
    names = list(grid)
    clash = sorted(set(names) & (set(fixed) | {"seed"}))
    if clash:
        raise ValueError(f"grid parameters must not also be fixed or be 'seed', got {clash}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    rows = []
    for combo in itertools.product(*(list(grid[n]) for n in names)):
        params: dict[str, Any] = dict(zip(names, combo, strict=True))
        for s in seeds:
            run = simulate(**params, **fixed, seed=s)
            values = run.metrics if metrics is None else run.metrics[list(metrics)]
            row: dict[str, Any] = {**params, "seed": s}
            row.update({str(k): v for k, v in values.items()})
            rows.append(row)
    return pd.DataFrame(rows)
