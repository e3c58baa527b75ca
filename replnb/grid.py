"""Run a model over a parameter grid and collect one DataFrame.

:func:`sweep` calls ``fn(**point)`` for every point of a grid and returns
one row per point: the parameter columns, then the figures ``fn`` returned.
It runs in the current process by default, or on any
:class:`concurrent.futures.Executor`: a local
:class:`~concurrent.futures.ProcessPoolExecutor`, or a Dask cluster through
``distributed.Client.get_executor()``.

The rows never depend on which executor ran them, nor in which order: each
point gets its own seed, derived from the point itself and from the sweep's
``seed`` by :func:`point_seed`, and not from a generator shared between
points.
"""

from __future__ import annotations

import inspect
import itertools
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from .engine.rng import stable_hash
from .params import Int, checked
from .progress import progress
from .records import Run

__all__ = ["expand_grid", "point_seed", "sweep"]

Grid = Mapping[str, Iterable[Any]] | Sequence[Mapping[str, Any]]

#: The seed of a sweep (it only feeds a hash; 32 bits are plenty).
SEED = Int(0, 2**32 - 1)


def expand_grid(grid: Grid | None) -> list[dict[str, Any]]:
    """The points of ``grid``, in a deterministic order.

    Parameters
    ----------
    grid : dict of lists, or list of dicts
        A mapping from parameter name to the list of its values gives the
        cartesian product, the first parameter varying slowest (like nested
        ``for`` loops in the mapping's order). A list of mappings gives
        exactly those points, in that order.

    Returns
    -------
    list of dict
        One dict per point.

    Raises
    ------
    ValueError
        If the grid holds no point, a name is not a non-empty string, or a
        value list is not a list (a lone string or number is rejected, since
        it is almost always a forgotten pair of brackets).

    Examples
    --------
    >>> expand_grid({"n": [3, 5], "w": [1, 2]})
    [{'n': 3, 'w': 1}, {'n': 3, 'w': 2}, {'n': 5, 'w': 1}, {'n': 5, 'w': 2}]
    >>> expand_grid([{"n": 3, "w": 2}, {"n": 5, "w": 3}])
    [{'n': 3, 'w': 2}, {'n': 5, 'w': 3}]
    """
    if isinstance(grid, Mapping):
        points = _product(grid)
    elif isinstance(grid, Sequence) and not isinstance(grid, (str, bytes)):
        points = _listed(grid)
    else:
        raise ValueError(f"grid must be a dict of lists or a list of dicts, got {type(grid).__name__}")
    if not points:
        raise ValueError("grid must hold at least one point (no list of values may be empty)")
    return points


def _product(grid: Mapping[str, Iterable[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of a dict of lists, the first name varying slowest."""
    names = list(grid)
    columns = []
    for name in names:
        _check_name(name)
        values = grid[name]
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            raise ValueError(f"grid[{name!r}] must be a list of values, got {values!r}")
        columns.append(list(values))
    if not names:
        return []
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*columns)]


def _listed(grid: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The points of a list of dicts, checked and copied."""
    points = []
    for i, point in enumerate(grid):
        if not isinstance(point, Mapping):
            raise ValueError(f"grid[{i}] must be a mapping of parameter values, got {point!r}")
        for name in point:
            _check_name(name)
        points.append(dict(point))
    return points


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"grid parameter names must be non-empty strings, got {name!r}")


@checked(seed=SEED)
def point_seed(point: Mapping[str, Any], seed: int = 0) -> int:
    """The seed of one grid point: a stable hash of its sorted items and ``seed``.

    It depends only on the parameter names and the ``repr`` of their
    values (numpy scalars count as the Python numbers they equal), never on
    the order of the grid or on the process, so a point gets the same seed
    in-process and on any executor.

    Parameters
    ----------
    point : mapping
        Parameter name to value.
    seed : int, default 0
        The sweep's seed, an int in ``0 .. 2**32 - 1``: change it to draw a fresh,
        equally reproducible, set of runs.

    Returns
    -------
    int
        A seed in ``0 .. 2**32 - 1``.

    Examples
    --------
    >>> point_seed({"n": 3, "w": 2}) == point_seed({"w": 2, "n": 3})
    True
    >>> point_seed({"n": 3, "w": 2}) != point_seed({"n": 3, "w": 2}, seed=1)
    True
    >>> import numpy as np
    >>> point_seed({"t": np.float64(0.5)}) == point_seed({"t": 0.5})
    True
    """
    text = ";".join(f"{name}={_canonical(point[name])!r}" for name in sorted(point))
    return stable_hash(f"{int(seed)}|{text}")


def _canonical(value: Any) -> Any:
    # numpy scalars (from np.linspace, an array column, ...) seed like the Python numbers they equal.
    return value.item() if isinstance(value, np.generic) else value


def _accepts_seed(fn: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return False
    return any(p.name == "seed" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _figures(result: Any) -> dict[str, Any]:
    """The named figures of one result: a Run's metrics, a Series, a mapping or a number."""
    if isinstance(result, Run):
        result = result.metrics
    if isinstance(result, pd.Series):
        return {str(k): v for k, v in result.items()}
    if isinstance(result, Mapping):
        return {str(k): v for k, v in result.items()}
    if isinstance(result, numbers.Number):
        return {"value": result}
    raise ValueError(
        f"fn must return a Run, a pandas Series, a mapping or a number, got {type(result).__name__}"
    )


def _evaluate(fn: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    # Runs on the worker: send back plain figures, never a whole Run.
    return _figures(fn(**kwargs))


@checked(seed=SEED)
def sweep(
    fn: Callable[..., Any] | None = None,
    grid: Grid | None = None,
    *,
    executor: Executor | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Run ``fn(**point)`` for every point of ``grid``; one row per point.

    Parameters
    ----------
    fn : callable
        The model (required; ``None`` is refused). It returns a :class:`~replnb.records.Run` (its
        ``metrics`` are used), a :class:`pandas.Series`, a mapping of
        figures, or a single number (a column ``value``). To run on a
        process pool it must be picklable: a module-level function.
    grid : dict of lists, or list of dicts
        The points, see :func:`expand_grid` (required).
    executor : concurrent.futures.Executor, optional
        Where to run the points (``None``: one after the other in this
        process). Any executor works: a ``ProcessPoolExecutor``, or a Dask
        ``Client.get_executor()``. A sweep that runs for more than a second
        shows its progress in JupyterLab (:mod:`replnb.progress`).
    seed : int, default 0
        Combined with each point by :func:`point_seed`. When ``fn`` accepts
        a ``seed`` argument and the point does not set one, the point's seed
        is passed as ``fn(..., seed=...)`` and shown in a ``seed`` column.

    Returns
    -------
    pandas.DataFrame
        One row per point, in grid order: the parameter columns (then
        ``seed``), then the figures. It is identical whichever executor
        ran the points.

    Raises
    ------
    ValueError
        For a bad grid or seed, a result of another type, or a figure
        named like a parameter.

    Notes
    -----
    Every point draws its own random numbers, so neighbouring points are
    independent samples: a Monte Carlo curve swept point by point is not
    forced to be monotone. To reuse one sample along a parameter (as
    :func:`replnb.pbs.t_visibility` does for an array of times), vary that
    parameter inside ``fn``.

    Examples
    --------
    >>> from replnb.pbs import t_visibility
    >>> df = sweep(t_visibility, {"n": [3], "r": [1], "w": [1, 2], "t": [0.0], "trials": [2000]})
    >>> list(df.columns)
    ['n', 'r', 'w', 't', 'trials', 'seed', 'value']
    >>> df.equals(sweep(t_visibility, {"n": [3], "r": [1], "w": [1, 2], "t": [0.0], "trials": [2000]}))
    True
    >>> sweep(lambda x: {"square": x * x}, {"x": [1, 2, 3]})
       x  square
    0  1       1
    1  2       4
    2  3       9
    """
    fn = _check_fn(fn)
    _check_executor(executor)
    points = expand_grid(grid)
    seeded = _accepts_seed(fn)
    calls = [
        dict(point, seed=point_seed(point, seed)) if seeded and "seed" not in point else dict(point)
        for point in points
    ]
    with progress(len(calls), "sweep") as advance:
        if executor is None:
            results = []
            for kwargs in calls:
                results.append(_evaluate(fn, kwargs))
                advance()
        else:
            futures = [executor.submit(_evaluate, fn, kwargs) for kwargs in calls]
            results = []
            for future in futures:  # in grid order: any executor's futures have result()
                results.append(future.result())
                advance()
    return _frame(points, calls, results)


def _check_fn(fn: Any) -> Callable[..., Any]:
    if not callable(fn):
        raise ValueError(f"fn must be callable, got {fn!r}")
    return fn


def _check_executor(executor: Any) -> None:
    if executor is not None and not isinstance(executor, Executor):
        raise ValueError(f"executor must be a concurrent.futures.Executor or None, got {executor!r}")


def _frame(
    points: list[dict[str, Any]], calls: list[dict[str, Any]], results: list[dict[str, Any]]
) -> pd.DataFrame:
    """One row per call: its parameters, then its figures (which may not reuse a parameter's name)."""
    rows = []
    for kwargs, figures in zip(calls, results, strict=True):
        clash = sorted(set(figures) & set(kwargs))
        if clash:
            raise ValueError(f"fn returned figure(s) {clash} named like parameters; rename them")
        rows.append({**kwargs, **figures})
    # Parameters first (then seed), then figures, each in first-seen order.
    columns = list(dict.fromkeys(name for point in points for name in point))
    if any("seed" in kwargs for kwargs in calls) and "seed" not in columns:
        columns.append("seed")
    columns += list(dict.fromkeys(k for figures in results for k in figures))
    return pd.DataFrame.from_records(rows, columns=columns).infer_objects()
