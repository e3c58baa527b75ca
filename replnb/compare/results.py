"""Verdicts on each scheme's run, the comparison table, sweeps and rankings."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .. import grid, metrics
from ..params import Choice, Int, Nodes, Real, checked
from ..records import Run
from .faults import Faults, Layout
from .schemes import check_workload, effective_faults, run_scheme
from .workload import COLUMNS, MIXES, SCHEMES, Op, Workload, make_workload

__all__ = [
    "MAX_SEEDS",
    "MODEL_FIGURES",
    "Comparison",
    "annotate",
    "compare",
    "model_figures",
    "model_table",
    "rank_schemes",
    "scheme_metrics",
    "scripted_burst",
    "scripted_race",
    "sweep",
    "verdicts",
]


#: A seed of :func:`compare` (``None``: fresh runs, never cached).
SEED = Int(0, 2**32 - 1, none=True)


# -- the models' figures -----------------------------------------------------------------------

#: The figures every model reports in ``run.metrics`` under exactly these names
#: (DESIGN.md, "Metric definitions"; :data:`replnb.metrics.CAUSAL_FIGURES` and ``convergence_time``).
MODEL_FIGURES = (*metrics.CAUSAL_FIGURES, "convergence_time")
#: Older names some models still use for a standard figure, tried when the standard name is absent.
_ALIASES = {"convergence_time": ("convergence_ms",)}
#: The loss cause that each ``lost_*`` figure counts (the ``lost_cause`` column of ``run.ops``).
_CAUSES = {
    "lost_failover": "failover",
    "lost_older_write_won": "older_write_won",
    "lost_concurrent": "concurrent",
}


def model_figures(run: Run) -> dict[str, float]:
    """The standard figures of one run, as its model judged them: the one adapter of chapter 5.

    The comparison never decides by itself whether a write was lost or a
    read stale: each model does, with the causal definitions of
    :mod:`replnb.metrics`, and this function reads its verdicts. A figure is
    ``run.metrics[name]`` for each name of :data:`MODEL_FIGURES`; a model
    that does not report it yet is read from the same model's ``ops``
    columns (``lost_cause`` for the causes, ``stale`` for stale reads), and
    the figure is NaN when the model records neither.

    Examples
    --------
    >>> race, skewed = scripted_race()
    >>> run = run_scheme("multi-leader LWW", race, skewed)
    >>> figures = model_figures(run)
    >>> list(figures) == list(MODEL_FIGURES), figures["lost_writes"] == run.metrics["lost_writes"]
    (True, True)
    """
    ops = run.ops
    out: dict[str, float] = {}
    for name in MODEL_FIGURES:
        reported = [run.metrics[a] for a in (name, *_ALIASES.get(name, ())) if a in run.metrics]
        if reported:
            out[name] = _as_figure(reported[0])
        elif name in _CAUSES and "lost_cause" in ops:
            out[name] = int((ops["lost_cause"] == _CAUSES[name]).sum())
        elif name == "stale_reads" and "stale" in ops:
            out[name] = int(ops["stale"].eq(True).sum())
        else:
            out[name] = math.nan
    return out


def _as_figure(value: Any) -> float:
    """A reported figure: counts stay ints, the rest floats."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(value)


def model_table(runs: Mapping[str, Run]) -> pd.DataFrame:
    """:func:`model_figures` of several runs, one row per scheme (the index, ``scheme``).

    Examples
    --------
    >>> race, skewed = scripted_race()
    >>> runs = {}
    >>> _ = compare(workload=race, faults=skewed, runs=runs, schemes=["multi-leader union"])
    >>> int(model_table(runs).loc["multi-leader union", "lost_writes"])
    0
    """
    table = pd.DataFrame.from_dict({s: model_figures(r) for s, r in runs.items()}, orient="index")
    table = table.reindex(columns=list(MODEL_FIGURES))
    table.index.name = "scheme"
    return table


def verdicts(run: Run) -> pd.DataFrame:
    """Per operation of ``run.ops``, the model's own verdicts: lost write, its cause, stale read.

    Returns a DataFrame with the index of ``run.ops`` and the columns
    ``lost`` (bool: acknowledged writes the model counts as lost),
    ``lost_cause`` (``"failover"``, ``"older_write_won"``, ``"concurrent"``
    or ``None``: not lost, or a model that does not record causes yet) and
    ``stale`` (nullable bool: reads the model counts as stale; ``<NA>`` for
    every row when the model does not judge reads). Nothing is recomputed
    here: the columns are the model's (see :func:`model_figures`).

    Examples
    --------
    >>> race, skewed = scripted_race()
    >>> run = run_scheme("multi-leader LWW", race, skewed)
    >>> verdicts(run)["lost"].tolist() == run.ops["lost"].eq(True).tolist()
    True
    """
    ops = run.ops
    writes = ops["kind"].eq("write") if "kind" in ops else pd.Series(False, index=ops.index)
    lost = ops["lost"].eq(True) & writes if "lost" in ops else pd.Series(False, index=ops.index)
    cause = ops["lost_cause"].where(lost, None) if "lost_cause" in ops else pd.Series(None, index=ops.index)
    if "stale" in ops:
        stale = pd.Series(ops["stale"].eq(True).to_numpy(), index=ops.index, dtype="boolean")
    else:
        stale = pd.Series(pd.NA, index=ops.index, dtype="boolean")
    return pd.DataFrame({"lost": lost.astype(bool), "lost_cause": cause.astype(object), "stale": stale})


def annotate(run: Run) -> Run:
    """Make ``run.ops`` carry the :func:`verdicts` (``lost``, ``lost_cause``, ``stale``); returns ``run``.

    :func:`replnb.plots.plot_spacetime` then marks the lost writes and stale
    reads that the model found. A model that does not judge reads keeps no
    ``stale`` column (the plot then draws no reads as stale).

    Examples
    --------
    >>> race, skewed = scripted_race()
    >>> int(annotate(run_scheme("multi-leader LWW", race, skewed)).ops["lost"].sum())
    1
    """
    v = verdicts(run)
    run.ops["lost"] = v["lost"]
    run.ops["lost_cause"] = v["lost_cause"]
    if "stale" in run.ops:
        run.ops["stale"] = v["stale"].fillna(False).astype(bool)
    return run


def scheme_metrics(run: Run) -> dict[str, float]:
    """The comparison figures of one run (:data:`COLUMNS`).

    ``lost_writes``, ``stale_reads`` and ``convergence_time_ms`` are the
    model's own (:func:`model_figures`); ``write_availability`` counts the
    acknowledged writes of ``run.ops``; the latencies are the median and the
    99th percentile of the acknowledged writes' ``end - start`` and the
    median of the answered reads': from the moment the client sent the
    request to the moment it had the answer, its round trip to the node
    included.

    Examples
    --------
    >>> wl = make_workload("balanced", seed=4)
    >>> figures = scheme_metrics(run_scheme("multi-leader LWW", wl, Faults.none()))
    >>> figures["write_availability"], figures["write_latency_ms"]   # the local leader: 2 x 1 ms
    (1.0, 2.0)
    """
    ops = run.ops
    figures = model_figures(run)
    writes = ops[ops["kind"] == "write"]
    acked = writes[writes["ok"].eq(True)]
    reads = ops[(ops["kind"] == "read") & ops["ok"].eq(True)]
    write_ms = (acked["end"].astype(float) - acked["start"].astype(float)).tolist()
    read_ms = (reads["end"].astype(float) - reads["start"].astype(float)).tolist()
    return {
        "lost_writes": figures["lost_writes"],
        "stale_reads": figures["stale_reads"],
        "write_availability": float(len(acked) / len(writes)) if len(writes) else math.nan,
        "write_latency_ms": metrics.percentile(write_ms, 50),
        "write_latency_p99_ms": metrics.percentile(write_ms, 99),
        "read_latency_ms": metrics.percentile(read_ms, 50),
        "convergence_time_ms": figures["convergence_time"],
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
    return race, Faults.none(clock_skew=50.0)


@checked(writers=Int(1, 3), writes=Int(1, 300), every=Real(0, 100, low_open=True))
def scripted_burst(writers: int = 3, writes: int = 30, every: float = 2.0) -> tuple[Workload, Faults]:
    """Many clients write one key at a steady beat, with no fault at all.

    Client ``c(i mod writers + 1)`` writes ``x=i+1`` at ``i * every`` ms for
    ``i`` in ``0 .. writes-1`` (clients ``c1``, ``c2``, ... next to ``A``,
    ``B``, ...). With the default 2 ms beat, most writes are in flight
    together in real time; whether two of them are *concurrent* is for the
    scheme to say (a single leader's log orders them all).

    Examples
    --------
    >>> burst, calm = scripted_burst()
    >>> len(burst.ops), burst.ops[4], calm.kinds
    (30, Op(time=8.0, client='c2', kind='write', key='x', value=5), ())
    """
    clients = tuple(f"c{i + 1}" for i in range(writers))
    ops = tuple(Op(round(i * every, 6), clients[i % writers], "write", "x", i + 1) for i in range(writes))
    nodes = ("A", "B", "C")
    burst = Workload("write-heavy", ops, clients, ("x",), nodes, writes * every + 1.0, nodes[:writers])
    return burst, Faults.none()


@checked(mix=Choice(tuple(MIXES)), seed=SEED)
def compare(
    mix: str = "balanced",
    *,
    faults: Faults | None = None,
    workload: Workload | None = None,
    layout: Layout | None = None,
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
        Default: :class:`Faults()` (crash of A from 200 to 450 ms, C cut off
        from 550 to 750 ms, the link A-B cut from 850 to 950 ms, 50 ms of
        clock skew).
    workload : Workload, optional
        Default: ``make_workload(mix, seed=seed)``; at most
        :data:`~replnb.compare.schemes.MAX_OPS` operations.
    layout : Layout, optional
        Where replicas and clients sit. Default: :class:`Layout()` (three
        regions, one replica each, 40 ms more between regions; each client
        in its home node's region).
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
    ['lost_writes', 'stale_reads', 'write_availability', 'write_latency_ms', 'write_latency_p99_ms', \
'read_latency_ms', 'convergence_time_ms']
    >>> int(table.loc["multi-leader union", "lost_writes"])
    0
    """
    workload = make_workload(mix, seed=seed) if workload is None else check_workload(workload)
    faults = Faults() if faults is None else faults
    layout = Layout() if layout is None else layout
    if not isinstance(layout, Layout):
        raise ValueError(f"layout must be a replnb.compare.Layout, got {layout!r}")
    schemes = _check_schemes(schemes)
    applied = {scheme: effective_faults(scheme, faults, workload.nodes) for scheme in schemes}  # validates
    rows = {}
    for scheme in schemes:
        if runs is None and seed is not None:  # deterministic: figures of identical runs are remembered
            key = _cache_faults(scheme, applied[scheme])
            rows[scheme] = dict(_cached_metrics(scheme, workload, key, layout, int(seed)))
        else:
            run = run_scheme(scheme, workload, faults, layout=layout, seed=seed)
            if runs is not None:
                runs[scheme] = run
            rows[scheme] = scheme_metrics(run)
    table = pd.DataFrame.from_dict(rows, orient="index")[list(COLUMNS)]
    table.index.name = "scheme"
    return table


#: Schemes whose figures do not depend on the clocks: their merge never compares timestamps.
CLOCK_FREE = ("multi-leader union", "leaderless union")


def _cache_faults(scheme: str, faults: Faults) -> Faults:
    """The faults that key the cache of ``scheme``'s figures.

    The union merges (multi-leader union, leaderless union) never read a
    timestamp, so their figures are the same for any clock skew (a test
    checks it); their cache key leaves the skew out, so that moving the skew
    re-runs only the schemes that read clocks.
    The run itself is always made with the skew asked.
    """
    return replace(faults, clock_skew=0.0) if scheme in CLOCK_FREE else faults


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
    scheme: str, workload: Workload, faults: Faults, layout: Layout, seed: int
) -> tuple[tuple[str, float], ...]:
    # for a clock-free scheme ``faults`` has no skew (_cache_faults): its figures are the same
    run = run_scheme(scheme, workload, faults, layout=layout, seed=seed)
    return tuple(scheme_metrics(run).items())


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
    >>> faults = Faults.none(clock_skew=50.0)
    >>> wl = make_workload("read-heavy", seed=2)
    >>> table = compare(workload=wl, faults=faults, seed=2)
    >>> cmp = Comparison({"mix": "read-heavy"}, table, rank_schemes(table), faults, wl)
    >>> cmp.best == cmp.ranking.index[0], len(cmp.ranked_table())
    (True, 7)
    """

    #: The values that chose the scenario (an explorer's control values).
    params: Mapping[str, Any]
    #: One row per scheme, columns :data:`COLUMNS` (as :func:`compare` returns).
    table: pd.DataFrame
    #: The ranking of ``table`` (as :func:`rank_schemes` returns), best first.
    ranking: pd.DataFrame
    faults: Faults
    workload: Workload
    #: Where the replicas and clients sat.
    layout: Layout = field(default_factory=Layout)

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
    ``mean_rank`` averages the ranks of the seven columns. With ``priority`` (a column
    name) the schemes are sorted by that column's rank first and by
    ``mean_rank`` next; without it by ``mean_rank`` alone.

    Examples
    --------
    >>> t = pd.DataFrame({"lost_writes": [3, 0], "stale_reads": [0, 5], "write_availability": [1.0, 0.9],
    ...                   "write_latency_ms": [1.0, 20.0], "write_latency_p99_ms": [1.0, 20.0],
    ...                   "read_latency_ms": [1.0, 20.0], "convergence_time_ms": [10.0, 5.0]},
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
