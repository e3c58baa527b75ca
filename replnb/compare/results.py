"""Verdicts on each scheme's run, the comparison table, sweeps and rankings."""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import grid, metrics
from ..params import Choice, Int, Nodes, checked
from ..records import Run
from .schemes import Faults, check_workload, effective_faults, run_scheme
from .workload import COLUMNS, MIXES, SCHEMES, Op, Workload, make_workload

__all__ = [
    "MAX_SEEDS",
    "Comparison",
    "annotate",
    "compare",
    "rank_schemes",
    "scheme_metrics",
    "scripted_race",
    "sweep",
    "verdicts",
]


#: A seed of :func:`compare` (``None``: fresh runs, never cached).
SEED = Int(0, 2**32 - 1, none=True)


# -- metrics ----------------------------------------------------------------------------------


def _majority(values: Sequence[Any]) -> Any:
    """The value most replicas hold (ties: the first replica's)."""
    counts: dict[str, int] = {}
    first: dict[str, Any] = {}
    for v in values:
        counts[repr(v)] = counts.get(repr(v), 0) + 1
        first.setdefault(repr(v), v)
    best = max(counts.values())
    return next(first[k] for k in counts if counts[k] == best)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _final_values(run: Run, live: Sequence[str]) -> dict[str, Any]:
    state = run.final_state
    rows = state.loc[list(live)] if len(live) else state.iloc[:0]
    return {str(key): _majority(list(rows[key])) for key in state.columns}


def _live(run: Run, faults: Faults) -> list[str]:
    end = run.end_time
    return [n for n in run.nodes if not faults.down(n, end)]


def verdicts(run: Run, faults: Faults | None = None) -> pd.DataFrame:
    """Per operation of ``run.ops``: was it a lost write, was it a stale read?

    Returns a DataFrame with the index of ``run.ops`` and boolean columns
    ``lost`` (acknowledged writes only) and ``stale`` (completed reads only);
    see the module docstring for the definitions.

    Examples
    --------
    >>> race, skewed = scripted_race()
    >>> v = verdicts(run_scheme("multi-leader LWW", race, skewed), skewed)
    >>> v["lost"].tolist(), v["stale"].tolist()
    ([False, True, False, False], [False, False, True, True])
    """
    faults = Faults() if faults is None else faults
    ops = _OpColumns(run.recorder.ops)
    final = _final_values(run, _live(run, faults))
    if any(r.get("op") == "add" for r in ops.records):  # a set per key: the union merge
        lost, stale = _set_verdicts(ops, final)
    else:
        lost, stale = _register_verdicts(ops, final)
    return pd.DataFrame({"lost": lost, "stale": stale}, index=pd.RangeIndex(ops.n))


class _OpColumns:
    """The flat op records of a run as columns (row ``i`` is record ``i``)."""

    def __init__(self, records: Sequence[dict[str, Any]]) -> None:
        self.records = records
        self.n = len(records)
        self.kind = [str(r["kind"]) for r in records]
        self.key = [str(r["key"]) for r in records]
        self.value = [r.get("value") for r in records]
        self.start = [float(r["start"]) for r in records]
        self.end = [float(r["end"]) for r in records]
        self.ok = [bool(r["ok"]) if r["ok"] == r["ok"] else False for r in records]  # NaN -> False
        self.op_id = [int(r["op_id"]) for r in records]
        self.writes = [i for i in range(self.n) if self.kind[i] == "write"]
        self.acked = [i for i in self.writes if self.ok[i]]
        self.done = [i for i in range(self.n) if self.kind[i] == "read" and self.ok[i]]


def _set_verdicts(ops: _OpColumns, final: dict[str, Any]) -> tuple[list[bool], list[bool]]:
    """Lost items and stale reads of a set per key: an acknowledged item missing from a set."""
    lost, stale = [False] * ops.n, [False] * ops.n
    acked_by_key: dict[str, list[tuple[float, Hashable]]] = {}
    for i in ops.acked:
        acked_by_key.setdefault(ops.key[i], []).append((ops.end[i], ops.value[i]))
    for i in ops.acked:
        lost[i] = bool(metrics.lost_elements([ops.value[i]], final.get(ops.key[i]) or ()))
    for i in ops.done:
        before = [item for t, item in acked_by_key.get(ops.key[i], ()) if t < ops.start[i]]
        returned = ops.value[i]
        got: tuple[Hashable, ...] = () if returned is None or _missing(returned) else tuple(returned)
        stale[i] = bool(metrics.lost_elements(before, got))
    return lost, stale


def _register_verdicts(ops: _OpColumns, final: dict[str, Any]) -> tuple[list[bool], list[bool]]:
    """Lost writes and stale reads of a register per key, by :mod:`replnb.metrics`.

    The true-time order in which writes began ranks the versions of each key.
    """
    kind, key, value = ops.kind, ops.key, ops.value
    rank: dict[int, int] = {}
    counts: dict[str, int] = {}
    for i in sorted(ops.writes, key=lambda i: (ops.start[i], ops.op_id[i])):
        counts[key[i]] = counts.get(key[i], 0) + 1
        rank[i] = counts[key[i]]
    value_op = {(key[i], value[i]): ops.op_id[i] for i in ops.writes}
    value_rank = {(key[i], value[i]): rank[i] for i in ops.writes}
    survivors: dict[Hashable, Hashable | None] = {
        k: None if _missing(v) else value_op.get((k, v)) for k, v in final.items()
    }
    for i in ops.writes:
        survivors.setdefault(key[i], None)
    version = [
        float(rank[i])
        if kind[i] == "write"
        else float(value_rank.get((key[i], value[i]), 0) if not _missing(value[i]) else 0)
        for i in range(ops.n)
    ]
    frame = pd.DataFrame(
        {
            "op_id": ops.op_id,
            "client": [r.get("client") for r in ops.records],
            "kind": kind,
            "key": key,
            "start": ops.start,
            "end": ops.end,
            "ok": ops.ok,
            "version": version,
        }
    )
    lost, stale = [False] * ops.n, [False] * ops.n
    for pos, flag in metrics.lost_writes(frame, survivors).items():
        lost[int(pos)] = bool(flag)  # type: ignore[call-overload]
    for pos, flag in metrics.stale_reads(frame).items():
        stale[int(pos)] = bool(flag)  # type: ignore[call-overload]
    return lost, stale


def annotate(run: Run, faults: Faults | None = None) -> Run:
    """Write the :func:`verdicts` into ``run.ops`` (columns ``lost`` and ``stale``); returns ``run``.

    :func:`replnb.plots.plot_spacetime` then marks lost writes and stale
    reads by this module's definitions, the same for every scheme.

    Examples
    --------
    >>> race, skewed = scripted_race()
    >>> int(annotate(run_scheme("multi-leader LWW", race, skewed), skewed).ops["lost"].sum())
    1
    """
    v = verdicts(run, faults)
    run.ops["lost"] = v["lost"]
    run.ops["stale"] = v["stale"]
    return run


def scheme_metrics(run: Run, faults: Faults | None = None) -> dict[str, float]:
    """The five comparison figures of one run (see the module docstring).

    Examples
    --------
    >>> wl = make_workload("balanced", seed=4)
    >>> calm = Faults(crash_node=None, clock_skew=0, partition=())
    >>> figures = scheme_metrics(run_scheme("single-leader sync", wl, calm), calm)
    >>> figures["stale_reads"], figures["write_availability"]   # sync replication, no faults
    (0, 1.0)
    """
    faults = Faults() if faults is None else faults
    writes = [r for r in run.recorder.ops if r["kind"] == "write"]
    acked = [r for r in writes if r["ok"] == r["ok"] and bool(r["ok"])]
    v = verdicts(run, faults)
    latency = [float(r["end"]) - float(r["start"]) for r in acked]
    since = max(max((float(r["end"]) for r in acked), default=0.0), faults.last_fault_end)
    live = _live(run, faults)
    return {
        "lost_writes": int(v["lost"].sum()),
        "stale_reads": int(v["stale"].sum()),
        "write_availability": float(len(acked) / len(writes)) if len(writes) else math.nan,
        "write_latency_p99_ms": metrics.percentile(latency, 99),
        "convergence_time_ms": metrics.convergence_time(run.versions, run.final_state, live, since),
    }


def scripted_race() -> tuple[Workload, Faults]:
    """The chapter's small scripted scenario: two writers race, a third client reads.

    Client ``c1`` (next to ``A``) writes ``x=1`` at 0 ms; client ``c2``
    (next to ``B``) writes ``x=2`` at 10 ms; client ``c3`` (next to ``C``)
    reads ``x`` at 12 ms and at 60 ms. The faults: no crash, no partition,
    50 ms of clock skew (``A``'s clock ahead by 25 ms, ``C``'s behind by 25).

    Examples
    --------
    >>> race, faults = scripted_race()
    >>> [(op.time, op.client, op.kind) for op in race.ops]
    [(0.0, 'c1', 'write'), (10.0, 'c2', 'write'), (12.0, 'c3', 'read'), (60.0, 'c3', 'read')]
    """
    ops = (
        Op(0.0, "c1", "write", "x", 1),
        Op(10.0, "c2", "write", "x", 2),
        Op(12.0, "c3", "read", "x"),
        Op(60.0, "c3", "read", "x"),
    )
    race = Workload("balanced", ops, ("c1", "c2", "c3"), ("x",), ("A", "B", "C"), 100.0, ("A", "B", "C"))
    return race, Faults(crash_node=None, clock_skew=50.0, partition=())


@checked(mix=Choice(tuple(MIXES)), seed=SEED)
def compare(
    mix: str = "balanced",
    *,
    faults: Faults | None = None,
    workload: Workload | None = None,
    schemes: Sequence[str] = SCHEMES,
    seed: int | None = 0,
    runs: dict[str, Run] | None = None,
) -> pd.DataFrame:
    """Run one workload through every scheme under the same faults; one row per scheme.

    Parameters
    ----------
    mix : {"read-heavy", "balanced", "write-heavy"}
        The workload mix, used when ``workload`` is not given.
    faults : Faults, optional
        Default: :class:`Faults()` (crash of A from 200 to 450 ms, 50 ms of
        clock skew, C cut off from 550 to 750 ms).
    workload : Workload, optional
        Default: ``make_workload(mix, seed=seed)``; at most
        :data:`~replnb.compare.schemes.MAX_OPS` operations.
    schemes : sequence of str
        A subset of :data:`SCHEMES`.
    seed : int or None
        Seeds the workload and every run (the same seed for each scheme),
        ``0 .. 2**32 - 1``; ``None`` draws fresh, unrepeatable runs.
    runs : dict, optional
        If given, receives the Run of each scheme (for plots of single runs).

    Returns
    -------
    pandas.DataFrame
        Index ``scheme``; columns :data:`COLUMNS`.

    Examples
    --------
    >>> table = compare("write-heavy", seed=1)
    >>> table.columns.tolist()
    ['lost_writes', 'stale_reads', 'write_availability', 'write_latency_p99_ms', 'convergence_time_ms']
    >>> int(table.loc["multi-leader union", "lost_writes"])
    0
    """
    workload = make_workload(mix, seed=seed) if workload is None else check_workload(workload)
    faults = Faults() if faults is None else faults
    schemes = _check_schemes(schemes)
    for scheme in schemes:  # validate the faults before running anything
        effective_faults(scheme, faults, workload.nodes)
    faults.check(workload.nodes)
    rows = {}
    for scheme in schemes:
        if runs is None and seed is not None:  # deterministic: figures of identical runs are remembered
            applied = effective_faults(scheme, faults, workload.nodes)
            rows[scheme] = dict(_cached_metrics(scheme, workload, applied, int(seed)))
        else:
            run = run_scheme(scheme, workload, faults, seed=seed)
            if runs is not None:
                runs[scheme] = run
            rows[scheme] = scheme_metrics(run, effective_faults(scheme, faults, workload.nodes))
    table = pd.DataFrame.from_dict(rows, orient="index")[list(COLUMNS)]
    table.index.name = "scheme"
    return table


def _check_schemes(schemes: Any) -> list[str]:
    """``schemes`` as a list: a non-empty subset of :data:`SCHEMES`."""
    if isinstance(schemes, str) or not isinstance(schemes, Sequence):
        raise ValueError(f"schemes must be a non-empty subset of {list(SCHEMES)}, got {schemes!r}")
    unknown = [s for s in schemes if s not in SCHEMES]
    if unknown or not schemes:
        raise ValueError(f"schemes must be a non-empty subset of {list(SCHEMES)}, got {list(schemes)}")
    return list(schemes)


@functools.lru_cache(maxsize=512)
def _cached_metrics(
    scheme: str, workload: Workload, faults: Faults, seed: int
) -> tuple[tuple[str, float], ...]:
    figures = scheme_metrics(run_scheme(scheme, workload, faults, seed=seed), faults)
    return tuple(figures.items())


@checked(mixes=Nodes(tuple(MIXES)))
def sweep(
    mixes: Sequence[str] = tuple(MIXES),
    seeds: Sequence[int] = range(5),
    *,
    faults: Faults | None = None,
    schemes: Sequence[str] = SCHEMES,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """:func:`compare` for every mix and seed: one row per (mix, seed, scheme).

    The points run through :func:`replnb.grid.sweep`, so any
    ``concurrent.futures`` executor can run them.

    Parameters
    ----------
    mixes : list of str
        Distinct names among :data:`MIXES`, at least one.
    seeds : list of int
        1 to :data:`MAX_SEEDS` seeds, each ``0 .. 2**32 - 1``.
    faults : Faults, optional
    schemes : sequence of str
        A subset of :data:`SCHEMES`.
    executor : concurrent.futures.Executor, optional

    Examples
    --------
    >>> df = sweep(["read-heavy"], seeds=[0, 1], schemes=["multi-leader union"])
    >>> df[["mix", "seed", "scheme"]].values.tolist()
    [['read-heavy', 0, 'multi-leader union'], ['read-heavy', 1, 'multi-leader union']]
    >>> df["lost_writes"].tolist()
    [0, 0]
    """
    if not mixes:
        raise ValueError(f"mixes must be a non-empty list of {list(MIXES)}, got {list(mixes)}")
    seeds = _check_seeds(seeds)
    schemes = _check_schemes(schemes)
    points = [{"mix": m, "seed": s, "scheme": scheme} for m in mixes for s in seeds for scheme in schemes]
    return grid.sweep(functools.partial(_scheme_point, faults=faults), points, executor=executor)


#: The most seeds one :func:`sweep` takes (each seed runs every scheme once per mix).
MAX_SEEDS = 5


def _check_seeds(seeds: Any) -> list[int]:
    ok = isinstance(seeds, (Sequence, range)) and not isinstance(seeds, str) and 1 <= len(seeds) <= MAX_SEEDS
    if ok:
        try:
            return [grid.SEED.check("seed", s) for s in seeds]
        except ValueError:
            pass
    raise ValueError(
        f"seeds must be a non-empty list of at most {MAX_SEEDS} ints in 0..{2**32 - 1}, got {seeds!r}"
    )


def _scheme_point(mix: str, seed: int, scheme: str, faults: Faults | None) -> dict[str, float]:
    """The figures of one scheme for one mix and seed (a point of :func:`sweep`)."""
    table = compare(mix, faults=faults, seed=seed, schemes=[scheme])
    row: dict[str, float] = table.reset_index(drop=True).to_dict("records")[0]
    return row


@dataclass(frozen=True)
class Comparison:
    """One comparison of the schemes: its scenario, the :func:`compare` table and its ranking.

    What :class:`replnb.widgets.SchemeExplorer` returns, and all that its
    plots and tables read.

    Examples
    --------
    >>> faults = Faults(crash_node=None, partition=())
    >>> wl = make_workload("read-heavy", seed=2)
    >>> table = compare(workload=wl, faults=faults, seed=2)
    >>> cmp = Comparison({"mix": "read-heavy"}, table, rank_schemes(table), faults, wl)
    >>> cmp.best == cmp.ranking.index[0], len(cmp.ranked_table())
    (True, 6)
    """

    #: The values that chose the scenario (an explorer's control values).
    params: Mapping[str, Any]
    #: One row per scheme, columns :data:`COLUMNS` (as :func:`compare` returns).
    table: pd.DataFrame
    #: The ranking of ``table`` (as :func:`rank_schemes` returns), best first.
    ranking: pd.DataFrame
    faults: Faults
    workload: Workload

    @property
    def best(self) -> str:
        """The scheme ranked first."""
        return str(self.ranking.index[0])

    @property
    def worst(self) -> str:
        """The scheme ranked last."""
        return str(self.ranking.index[-1])

    def ranked_table(self) -> pd.DataFrame:
        """The table in ranking order, each scheme named with its place (``"1. multi-leader union"``)."""
        table = self.table.loc[self.ranking.index]
        places = zip(self.ranking["place"], self.ranking.index, strict=True)
        table.index = [f"{place}. {scheme}" for place, scheme in places]
        return table


def rank_schemes(table: pd.DataFrame, priority: str | None = None) -> pd.DataFrame:
    """Rank the schemes of a :func:`compare` table, best first.

    Each column is ranked (1 = best, ties share the best rank, NaN last);
    ``mean_rank`` averages the five ranks. With ``priority`` (a column
    name) the schemes are sorted by that column's rank first and by
    ``mean_rank`` next; without it by ``mean_rank`` alone.

    Examples
    --------
    >>> t = pd.DataFrame({"lost_writes": [3, 0], "stale_reads": [0, 5], "write_availability": [1.0, 0.9],
    ...                   "write_latency_p99_ms": [1.0, 20.0], "convergence_time_ms": [10.0, 5.0]},
    ...                  index=["fast", "safe"])
    >>> rank_schemes(t).index.tolist(), rank_schemes(t, "lost_writes").index.tolist()
    (['fast', 'safe'], ['safe', 'fast'])
    """
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"table must have the columns {list(COLUMNS)}; missing {missing}")
    if priority is not None and priority not in COLUMNS:
        raise ValueError(f"priority must be None or one of {list(COLUMNS)}, got {priority!r}")
    ranks = pd.DataFrame(
        {
            c: table[c].astype(float).rank(ascending=not better, method="min", na_option="bottom")
            for c, better in COLUMNS.items()
        },
        index=table.index,
    )
    ranks["mean_rank"] = ranks.mean(axis=1)
    by = [priority, "mean_rank"] if priority else ["mean_rank"]
    ranks = ranks.sort_values(by, kind="stable")
    ranks.insert(0, "place", np.arange(1, len(ranks) + 1))
    return ranks
