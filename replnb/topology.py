"""Multi-leader replication topologies as networkx directed graphs.

An edge ``u -> v`` means leader ``u`` sends writes to ``v``: its own, and
(in a ring or a star) those it passes on.

Besides :func:`build` (and :func:`regions`, leaders grouped in data-centre
regions), the module answers questions about a topology:

- from the graph alone, without simulating: where a leader is drawn
  (:func:`layout`), which leaders a write can reach when some leaders have
  failed (:func:`reach`, :func:`hops`), and how much a failure damages the
  system (:func:`stranded`, :func:`damage`, :func:`expected_messages`);
- from a run of :func:`replnb.multi_leader.simulate`: who applied which
  write and when (:func:`delivery_delays`, :func:`received_fraction`,
  :func:`lagging`, :func:`failure_report`, :func:`message_counts`), and
  which writes overtook another of the same origin (:func:`origin_reorders`);
- experiments that run the simulator for chapter 3 (:func:`missed_deliveries`,
  :func:`causality_scenario`, and the sweeps :func:`sweep`,
  :func:`failure_sweep`, :func:`overtaking_sweep` and :func:`causality_sweep`,
  which run on the one sweep runner :func:`replnb.grid.sweep`).

The network is the model's: every link delivers in the order it was sent
(FIFO, like a TCP connection) unless a run passes ``reorder=True``; the
origin of a write sends it to each of its out-neighbours, and in all-to-all
nobody forwards, so every topology costs ``n - 1`` messages per write. The
figures are the standard ones of :mod:`replnb.metrics`: ``lost_writes``, and
``convergence_time`` by write identity (every live replica holds the same
writes, not merely equal values).

The experiments declare their parameters with :mod:`replnb.params` specs
(:class:`Topology` and :class:`Values` are the two this chapter adds), and a
sweep refuses more work than a few seconds' worth (:data:`MAX_WORK`,
:func:`run_work`). The tests check the graph answers against the simulator.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from . import multi_leader
from .engine.network import node_names
from .engine.rng import Seed
from .grid import sweep as grid_sweep
from .multi_leader.graph import (
    KINDS,
    build,
    damage,
    expected_messages,
    hops,
    layout,
    reach,
    region_layout,
    regions,
    stranded,
)
from .multi_leader.setup import Topology
from .params import Flag, Int, Nodes, Real, Values, check, checked, specs_of
from .records import Run

__all__ = [
    "CART_WEIGHT",
    "CAUSALITY_SEED",
    "DELIVERY",
    "KINDS",
    "LINKS",
    "MAX_WORK",
    "RUN_WORK",
    "WRITE_WORK",
    "Topology",
    "Values",
    "build",
    "causality_scenario",
    "causality_sweep",
    "check_work",
    "damage",
    "delivery_delays",
    "down_nodes",
    "expected_messages",
    "failure_report",
    "failure_sweep",
    "first_write",
    "hops",
    "lagging",
    "layout",
    "message_counts",
    "missed_deliveries",
    "node_names",
    "one_write_each",
    "origin_reorders",
    "overtaking_sweep",
    "reach",
    "received_fraction",
    "region_layout",
    "regions",
    "run_work",
    "stranded",
    "sweep",
]


# -- reading multi-leader runs ------------------------------------------------------------------


def down_nodes(run: Run) -> list[str]:
    """The leaders of a multi-leader run that are down at its end (failed or crashed).

    Examples
    --------
    >>> from replnb import multi_leader
    >>> down_nodes(multi_leader.simulate(leaders=3, failed=["B"], duration=100.0))
    ['B']
    """
    live = set(run.extras.get("live", run.nodes))
    return [v for v in run.nodes if v not in live]


def first_write(run: Run) -> int | None:
    """The ``op_id`` of the run's first acknowledged write (``None`` if there is none).

    Examples
    --------
    >>> from replnb import multi_leader
    >>> first_write(multi_leader.simulate(leaders=3, ops=[dict(time=5, node="C", key="x", value=1)]))
    0
    """
    ops = run.ops
    writes = ops[(ops["kind"] == "write") & ops["ok"].astype(bool)]
    if writes.empty:
        return None
    first = writes.sort_values(["start", "op_id"], kind="stable").iloc[0]
    return int(first["op_id"])


def delivery_delays(run: Run, op_id: int | None = None) -> pd.Series:
    """How long after it was accepted write ``op_id`` was applied at each leader (ms).

    ``inf`` for a leader that never applied it (down, or cut off), ``0`` at
    the leader that accepted it. By default: the run's :func:`first_write`.

    Examples
    --------
    >>> from replnb import multi_leader
    >>> run = multi_leader.simulate(topology="circular", leaders=4, failed=["C"],
    ...                             ops=[dict(time=0, node="A", key="x", value=1)])
    >>> delivery_delays(run).tolist()
    [0.0, 10.0, inf, inf]
    """
    if op_id is None:
        op_id = first_write(run)
    delays = pd.Series(math.inf, index=pd.Index(run.nodes, name="node"), name="delay_ms", dtype=float)
    if op_id is None:
        return delays
    ops = run.ops
    match = ops[ops["op_id"] == op_id]
    if match.empty:
        raise ValueError(f"op_id must be the id of one of the run's operations, got {op_id!r}")
    start = float(match["start"].iloc[0])
    delivery = run.extras["delivery"]
    rows = delivery[delivery["op_id"] == op_id]
    for node, time in zip(rows["node"], rows["time"], strict=True):
        delays[node] = min(delays[node], float(time) - start)
    return delays


def received_fraction(run: Run, op_id: int | None = None) -> pd.Series:
    """For each leader, the fraction of the run's acknowledged writes it applied.

    With ``op_id``: 1.0 if the leader applied that write, else 0.0.

    Examples
    --------
    >>> from replnb import multi_leader
    >>> ops = [dict(time=0, node=v, key="x", value=i) for i, v in enumerate("ABCD")]
    >>> run = multi_leader.simulate(topology="circular", leaders=4, failed=["C"], ops=ops)
    >>> received_fraction(run).round(3).tolist()   # B's write stops at C
    [0.667, 1.0, 0.0, 0.333]
    """
    delivery = run.extras["delivery"]
    if op_id is not None:
        have = set(delivery.loc[delivery["op_id"] == op_id, "node"])
        return pd.Series([float(v in have) for v in run.nodes], index=pd.Index(run.nodes, name="node"))
    acked = {int(r["op_id"]) for r in run.recorder.ops if r["kind"] == "write" and r["ok"]}
    got = delivery[delivery["op_id"].isin(acked)].drop_duplicates(["op_id", "node"])
    counts = got.groupby("node")["op_id"].count()
    frac = [float(counts.get(v, 0)) / len(acked) if acked else 1.0 for v in run.nodes]
    return pd.Series(frac, index=pd.Index(run.nodes, name="node"), name="received")


def lagging(run: Run) -> list[str]:
    """The live leaders that never applied at least one of the run's acknowledged writes.

    Examples
    --------
    >>> from replnb import multi_leader
    >>> ops = one_write_each(["A", "B", "C", "D"])
    >>> lagging(multi_leader.simulate(topology="circular", leaders=4, failed=["C"], ops=ops))
    ['A', 'D']
    """
    fraction = received_fraction(run)
    live = set(run.extras.get("live", run.nodes))
    return [v for v in run.nodes if v in live and fraction[v] < 1.0]


def failure_report(run: Run) -> pd.Series:
    """What the failures of a multi-leader run did, next to what the graph predicts.

    ``down`` lists the leaders down at the end; ``left behind`` the live
    leaders that missed some acknowledged write (:func:`lagging`);
    ``predicted`` the live leaders that :func:`stranded` expects to miss
    writes when every live leader writes; then the run's missed deliveries,
    unconverged replicas (whose versions differ from those that every
    write would give), lost writes, and convergence time (by write
    identity; ``inf`` when the live replicas never hold the same writes).

    Examples
    --------
    >>> from replnb import multi_leader
    >>> run = multi_leader.simulate(topology="star", leaders=4, failed=["A"], ops=one_write_each("ABCD"))
    >>> failure_report(run)[["down", "left behind", "predicted", "missed deliveries"]].tolist()
    ['A', 'B, C, D', 'B, C, D', 6]
    """
    down = down_nodes(run)
    graph = run.extras.get("graph")
    predicted = stranded(graph, down) if isinstance(graph, nx.DiGraph) else []
    m = run.metrics
    return pd.Series(
        {
            "down": ", ".join(down) or "nobody",
            "left behind": ", ".join(lagging(run)) or "nobody",
            "predicted": ", ".join(predicted) or "nobody",
            "missed deliveries": int(m["missing_deliveries"]),
            "unconverged replicas": int(m["unconverged_replicas"]),
            "lost writes": int(m["lost_writes"]),
            "convergence time (ms)": float(m["convergence_time"]),
        },
        name=str(run.params.get("topology", "")),
        dtype=object,
    )


def message_counts(run: Run) -> dict[tuple[str, str], int]:
    """The number of messages sent on each link ``(src, dst)`` during the run.

    Examples
    --------
    >>> from replnb import multi_leader
    >>> ops = [dict(time=0, node="B", key="x", value=1)]
    >>> message_counts(multi_leader.simulate(topology="star", leaders=3, ops=ops))
    {('A', 'C'): 1, ('B', 'A'): 1}
    """
    msgs = run.messages
    if msgs.empty:
        return {}
    counts: dict[tuple[str, str], int] = {}
    for src, dst in zip(msgs["src"], msgs["dst"], strict=True):
        counts[(str(src), str(dst))] = counts.get((str(src), str(dst)), 0) + 1
    return dict(sorted(counts.items()))


def origin_reorders(run: Run) -> int:
    """How many times a leader applied a write after a later write of the same origin.

    Each origin numbers its writes 1, 2, ...; a replica that applies write 3
    of ``A`` and then write 2 of ``A`` counts one. On FIFO links this can
    happen only when the two writes reach the replica by different paths;
    a ring and a star have one path, so they never do. (The run's
    ``out_of_order`` is the wider count: a write applied before *any* write
    that happened before it, whatever its origin.)

    Examples
    --------
    >>> from replnb import multi_leader
    >>> ops = [dict(time=0, node="A", key="x", value=1), dict(time=1, node="A", key="x", value=2)]
    >>> [origin_reorders(multi_leader.simulate(topology="circular", leaders=3, ops=ops, jitter=10.0,
    ...                                        reorder=r, seed=1)) for r in (False, True)]
    [0, 1]
    """
    writes = run.extras["writes"]
    count = 0
    for _node, group in run.extras["delivery"].groupby("node", sort=True):
        last: dict[str, int] = {}
        for op_id in group["op_id"]:  # rows are in application order
            w = writes[int(op_id)]
            if w.seq < last.get(w.origin, 0):
                count += 1
            last[w.origin] = max(w.seq, last.get(w.origin, 0))
    return count


# -- the specs of the experiments ----------------------------------------------------------------


_LEADERS = Int(2, multi_leader.MAX_LEADERS)
_NS = Values(_LEADERS, distinct=True)
_KINDS = Nodes(KINDS)
_SEEDS = Values(Int(0, 2**63 - 1))
_LATENCY = Real(0, 10_000, unit="ms")

#: The most work the runs of one sweep may expect together, in the units of
#: :func:`run_work` (one unit is about 6.5 µs of CPU on the course's machine):
#: the slowest sweeps within it take about 5 s.
MAX_WORK = 750_000
#: The work of one write: this many units, plus one per leader and one per link.
WRITE_WORK = 10
#: The work of one run besides its writes (building it, its metrics).
RUN_WORK = 400
#: How many times a write of a cart workload counts (a union merge grows with the cart).
CART_WEIGHT = 5
_DEFAULTS = {name: p.default for name, p in inspect.signature(multi_leader.simulate).parameters.items()}


def _passed(params: Mapping[str, Any], taken: Iterable[str]) -> dict[str, Any]:
    """``params`` for :func:`replnb.multi_leader.simulate`, checked by its specs; none of ``taken``."""
    clash = sorted(set(params) & set(taken))
    if clash:
        raise TypeError(f"the sweep sets {clash} itself; do not pass them")
    values = check(specs_of(multi_leader.simulate), {**_DEFAULTS, **params})
    return {name: values[name] for name in params}


def run_work(graph: nx.DiGraph, params: Mapping[str, Any]) -> float:
    """The expected work of one run of :func:`replnb.multi_leader.simulate` on ``graph``.

    The expected writes (a script's length, or ``write_rate * leaders *
    duration``) times :data:`WRITE_WORK` plus the leaders plus the links,
    :data:`CART_WEIGHT` times that for a cart workload; plus :data:`RUN_WORK`.
    ``params`` are the other arguments of the run (its defaults fill in).

    Examples
    --------
    >>> run_work(build("circular", 4), {"duration": 1000.0})   # 80 writes x (10 + 4 + 4) + 400
    1840.0
    """
    n = graph.number_of_nodes()
    values = {**_DEFAULTS, **params}
    ops = values["ops"]
    writes = len(ops) if ops is not None else values["write_rate"] * n * values["duration"] / 1000.0
    weight = CART_WEIGHT if values["workload"] == "cart" else 1
    return float(writes) * weight * (WRITE_WORK + n + graph.number_of_edges()) + RUN_WORK


def check_work(work: float) -> None:
    """Refuse a sweep whose runs expect more than :data:`MAX_WORK` units of work together.

    Examples
    --------
    >>> check_work(8e5)
    Traceback (most recent call last):
    ...
    ValueError: the work of the sweep's runs must be at most 750,000 units (fewer ns, kinds or seeds, \
or a shorter duration), got 800,000
    """
    if work > MAX_WORK:
        raise ValueError(
            f"the work of the sweep's runs must be at most {MAX_WORK:,} units "
            f"(fewer ns, kinds or seeds, or a shorter duration), got {work:,.0f}"
        )


# -- experiments (they run :func:`replnb.multi_leader.simulate`) ---------------------------------
#: The seed of :func:`causality_scenario`: with it, B's update overtakes A's insert on the way to C.
CAUSALITY_SEED = 34


@checked(gap=Real(0, 1e6, unit="ms"))
def one_write_each(nodes: Sequence[str], *, gap: float = 1.0, key: str | None = None) -> list[dict[str, Any]]:
    """A script in which each leader in ``nodes`` accepts one write, ``gap`` ms apart.

    By default each leader writes its own key (its name in lower case), so the
    writes never conflict and every replica that receives them all ends in
    the same writes; give ``key`` to make them all write that one key.

    Examples
    --------
    >>> one_write_each(["A", "B"], gap=2.0)[1]
    {'time': 2.0, 'node': 'B', 'key': 'b', 'value': 'B1'}
    """
    return [
        {"time": i * float(gap), "node": v, "key": v.lower() if key is None else key, "value": f"{v}1"}
        for i, v in enumerate(nodes)
    ]


def _graph_of(topology: str | nx.DiGraph, leaders: int | None) -> nx.DiGraph:
    if isinstance(topology, nx.DiGraph):
        return topology
    if leaders is None:
        raise ValueError(
            f"leaders must be given (an integer in 2..{multi_leader.MAX_LEADERS}) "
            f"when topology is a name ({topology!r}), got None"
        )
    return build(topology, leaders)


@checked(
    topology=Topology(KINDS),
    leaders=Int(2, multi_leader.MAX_LEADERS, none=True),
    latency=_LATENCY,
    jitter=Real(0, "latency", unit="ms"),
)
def missed_deliveries(
    topology: str | nx.DiGraph = "circular",
    failed: Iterable[str] = (),
    *,
    leaders: int | None = None,
    latency: float = 10.0,
    jitter: float = 0.0,
    seed: Seed = 0,
) -> int:
    """Simulate one write at every leader, with ``failed`` leaders down; count the missed deliveries.

    A missed delivery is a (write, live leader) pair: a write accepted by a
    live leader that another live leader never applied. This is the damage
    that :func:`damage` predicts from the graph alone.

    Parameters
    ----------
    topology : str or networkx.DiGraph
        One of :data:`KINDS` (then give ``leaders``) or a graph such as :func:`regions`.
    failed : iterable of str
    leaders : int, optional
        2..10, for a named topology.
    latency, jitter : float
        Link delay and its spread (ms), as in :func:`replnb.multi_leader.simulate`:
        latency in 0..10 000 ms, jitter at most the latency.
    seed : int, Generator or None

    Examples
    --------
    >>> missed_deliveries("star", ["A"], leaders=4), damage(build("star", 4), ["A"])
    (6, 6)
    >>> missed_deliveries(regions([2, 3]), ["C"])   # A, B and D, E lose each other
    8
    """
    graph = _graph_of(topology, leaders)
    run = multi_leader.simulate(
        topology=graph,
        ops=one_write_each(sorted(graph.nodes)),
        failed=sorted(set(failed)),
        latency=latency,
        jitter=jitter,
        seed=seed,
    )
    return int(run.metrics["missing_deliveries"])


def _means(df: pd.DataFrame, by: list[str], columns: Sequence[str]) -> pd.DataFrame:
    """The mean of each of ``columns`` in each group of ``by`` (groups in order of appearance).

    ``np.mean`` over each group's values in row order: the numbers the loops
    of the experiments always gave.
    """
    groups = df.groupby(by, sort=False)
    means = {c: groups[c].agg(lambda v: float(np.mean(v.to_numpy(dtype=float)))) for c in columns}
    return pd.DataFrame(means).reset_index()


def _scaling_point(topology: str, n: int, seed: int, **params: Any) -> dict[str, float]:
    run = multi_leader.simulate(topology=topology, leaders=n, seed=seed, **params)
    return {
        "convergence_time": float(run.metrics["convergence_time"]),
        "messages_per_write": float(run.metrics["messages_per_write"]),
        "conflicts": float(run.metrics["conflicts"]),
        "lost_writes": float(run.metrics["lost_writes"]),
    }


@checked(ns=_NS, kinds=_KINDS, seeds=_SEEDS)
def sweep(
    ns: Iterable[int] = (3, 4, 6, 8, 10),
    *,
    kinds: Iterable[str] = KINDS,
    seeds: Iterable[int] = (0, 1, 2),
    **params: Any,
) -> pd.DataFrame:
    """Convergence time, messages, conflicts and lost writes against the number of leaders.

    Runs :func:`replnb.multi_leader.simulate` (its random workload, with
    ``params`` passed through) for every topology, ``n`` and seed, on
    :func:`replnb.grid.sweep`; returns one row per topology and ``n`` with the
    means over seeds of ``convergence_time`` (by write identity; ``inf``
    when a seed never converged), ``messages_per_write``, ``conflicts``
    (pairs of concurrent writes to a key) and ``lost_writes`` (acknowledged
    writes the converged state does not include: with the default
    last-write-wins, the losers of concurrent writes), and
    :func:`expected_messages`. The runs together may expect
    at most :data:`MAX_WORK` units of work (:func:`run_work`).

    Examples
    --------
    >>> df = sweep([3, 4], kinds=["circular"], seeds=[0], duration=100.0)
    >>> df[["topology", "n", "expected_messages"]].values.tolist()
    [['circular', 3, 2], ['circular', 4, 3]]
    """
    params = _passed(params, ["topology", "leaders", "seed"])
    seeds = list(seeds)  # already a list (checked)
    grid = {"topology": kinds, "n": ns, "seed": seeds}
    check_work(sum(run_work(build(k, n), params) for k in kinds for n in ns) * len(seeds))
    runs = grid_sweep(functools.partial(_scaling_point, **params), grid)
    df = _means(
        runs, ["topology", "n"], ["convergence_time", "messages_per_write", "conflicts", "lost_writes"]
    )
    df["expected_messages"] = [expected_messages(k, n) for k, n in zip(df["topology"], df["n"], strict=True)]
    return df


def _failure_point(topology: str, n: int, failed: str, seed: int, **params: Any) -> dict[str, float]:
    run = multi_leader.simulate(topology=topology, leaders=n, failed=[failed], seed=seed, **params)
    counts = run.extras.get("counts") or run.metrics  # the counts, without computing convergence
    return {
        "missing_writes": len(lagging(run)) / (n - 1),
        "unconverged": float(counts["unconverged_replicas"]) / (n - 1),
    }


@checked(ns=_NS, kinds=_KINDS, seeds=_SEEDS)
def failure_sweep(
    ns: Iterable[int] = (3, 4, 6, 8, 10),
    *,
    kinds: Iterable[str] = KINDS,
    seeds: Iterable[int] = (0,),
    **params: Any,
) -> pd.DataFrame:
    """With one failed leader, the fraction of live replicas left behind, per topology and ``n``.

    For every topology, ``n``, failed leader and seed, runs
    :func:`replnb.multi_leader.simulate` (random workload, ``params`` passed
    through) with that leader down, on :func:`replnb.grid.sweep`. Averaged
    over the failed leaders and seeds, as fractions of the ``n - 1`` live
    replicas:

    ``missing_writes``
        replicas that never applied some acknowledged write (:func:`lagging`);
    ``unconverged``
        replicas whose final versions (write identities, per key) differ
        from those that every write would give (the run's
        ``unconverged_replicas``): a replica that missed only writes that a
        later write superseded anyway holds the same surviving writes;
    ``predicted``
        ``len(stranded(...)) / (n - 1)`` from the graph alone; it equals
        ``missing_writes`` whenever every live leader accepted a write.

    The runs together may expect at most :data:`MAX_WORK` units of work
    (:func:`run_work`).

    Examples
    --------
    >>> df = failure_sweep([4], kinds=["star", "all-to-all"], duration=300.0)
    >>> df[["topology", "n", "missing_writes", "predicted"]].values.tolist()
    [['star', 4, 0.25, 0.25], ['all-to-all', 4, 0.0, 0.0]]
    """
    params = _passed(params, ["topology", "leaders", "failed", "seed"])
    graphs = {(k, n): build(k, n) for k in kinds for n in ns}
    points = [
        {"topology": k, "n": n, "failed": f, "seed": s}
        for (k, n), graph in graphs.items()
        for f in sorted(graph.nodes)
        for s in seeds
    ]
    check_work(sum(run_work(graphs[p["topology"], p["n"]], params) for p in points))
    runs = grid_sweep(functools.partial(_failure_point, **params), points)
    df = _means(runs, ["topology", "n"], ["missing_writes", "unconverged"])
    predicted = {
        key: float(np.mean([len(stranded(graph, [f])) / (key[1] - 1) for f in sorted(graph.nodes)]))
        for key, graph in graphs.items()
    }
    df["predicted"] = [predicted[k, n] for k, n in zip(df["topology"], df["n"], strict=True)]
    return df


@checked(causal=Flag())
def causality_scenario(*, causal: bool = False) -> Run:
    """The causality anomaly of all-to-all replication, scripted on three leaders.

    A client inserts ``x`` at leader A at t = 0; leader B receives the insert
    and a client updates ``x`` there at t = 5 ms, so the update depends on
    the insert (its version vector counts A's write). Links take 0..20 ms
    (``latency=10, jitter=10``) and each keeps its messages in order (FIFO);
    with :data:`CAUSALITY_SEED` the direct link A -> C is slower than the
    two hops A -> B -> C, and the update reaches C before the insert. With
    ``causal=True``, C buffers the update until the insert has arrived.

    Examples
    --------
    >>> [int(causality_scenario(causal=c).metrics["out_of_order"]) for c in (False, True)]
    [1, 0]
    """
    ops = [
        {"time": 0.0, "node": "A", "key": "x", "value": "inserted"},
        {"time": 5.0, "node": "B", "key": "x", "value": "updated"},
    ]
    return multi_leader.simulate(
        topology="all-to-all",
        leaders=3,
        ops=ops,
        latency=10.0,
        jitter=10.0,
        causal=causal,
        seed=CAUSALITY_SEED,
    )


#: The kinds of links of :func:`overtaking_sweep`, by the value of ``reorder``.
LINKS = {False: "FIFO", True: "reordering"}


def _overtaking_point(topology: str, jitter: float, links: str, seed: int, **params: Any) -> dict[str, float]:
    reorder = links == LINKS[True]
    run = multi_leader.simulate(topology=topology, jitter=jitter, reorder=reorder, seed=seed, **params)
    return {
        "out_of_order": float(run.metrics["out_of_order"]),
        "origin_reorders": float(origin_reorders(run)),
    }


@checked(
    jitters=Values(_LATENCY, distinct=True),
    kinds=_KINDS,
    links=Nodes(tuple(LINKS.values())),
    leaders=_LEADERS,
    seeds=_SEEDS,
)
def overtaking_sweep(
    jitters: Iterable[float] = (2.5, 5.0, 10.0),
    *,
    kinds: Iterable[str] = KINDS,
    links: Iterable[str] = ("FIFO",),
    leaders: int = 5,
    seeds: Iterable[int] = (0, 1, 2),
    **params: Any,
) -> pd.DataFrame:
    """Which topologies let a write overtake one it depends on, as link jitter grows.

    Runs :func:`replnb.multi_leader.simulate` (its random workload, writes
    applied as they arrive; ``latency`` defaults to 10 ms) for every
    topology, jitter, kind of link (``"FIFO"``, the default of the model, or
    ``"reordering"``, its ``reorder=True``) and seed, on
    :func:`replnb.grid.sweep`. Returns one row per topology, jitter and kind
    of link with the means over seeds of

    ``out_of_order``
        deliveries of a write before a write that happened before it;
    ``origin_reorders``
        deliveries of a write after a later write of the same origin
        (:func:`origin_reorders`);

    and ``runs_overtaken``, the fraction of seeds with an out-of-order
    delivery. On FIFO links a ring and a star give 0 in every run (each
    write reaches a leader by one path only); all-to-all does not. The runs
    together may expect at most :data:`MAX_WORK` units of work
    (:func:`run_work`).

    Examples
    --------
    >>> df = overtaking_sweep([10.0], kinds=["circular"], links=["FIFO", "reordering"], seeds=[0],
    ...                       duration=200.0)
    >>> df[["links", "out_of_order"]].values.tolist()
    [['FIFO', 0.0], ['reordering', 6.0]]
    """
    params = {
        "latency": 10.0,
        **_passed(params, ["topology", "leaders", "jitter", "reorder", "causal", "seed"]),
    }
    params["leaders"] = leaders
    jitters, kinds, links, seeds = list(jitters), list(kinds), list(links), list(seeds)  # checked lists
    grid: dict[str, list[Any]] = {"topology": kinds, "jitter": jitters, "links": links, "seed": seeds}
    per_run = sum(run_work(build(k, leaders), params) for k in kinds)
    check_work(per_run * len(jitters) * len(links) * len(seeds))
    runs = grid_sweep(functools.partial(_overtaking_point, **params), grid)
    runs["runs_overtaken"] = (runs["out_of_order"] > 0).astype(float)
    return _means(
        runs, ["topology", "jitter", "links"], ["out_of_order", "origin_reorders", "runs_overtaken"]
    )


#: The delivery modes of :func:`causality_sweep`, by the value of ``causal``.
DELIVERY = {False: "as received", True: "causal"}


def _causality_point(jitter: float, causal: bool, seed: int, **params: Any) -> dict[str, float]:
    run = multi_leader.simulate(topology="all-to-all", jitter=jitter, causal=causal, seed=seed, **params)
    return {
        "out_of_order": float(run.metrics["out_of_order"]),
        "causal_delay_ms": float(run.metrics["causal_delay_ms"]),
        "max_wait_ms": float(run.extras["delivery"]["wait"].max()),
        "convergence_time": float(run.metrics["convergence_time"]),
    }


@checked(jitters=Values(_LATENCY, distinct=True), leaders=_LEADERS, seeds=_SEEDS)
def causality_sweep(
    jitters: Iterable[float] = (0.0, 2.5, 5.0, 7.5, 10.0),
    *,
    leaders: int = 5,
    seeds: Iterable[int] = (0, 1, 2),
    **params: Any,
) -> pd.DataFrame:
    """Out-of-order deliveries, with and without causal delivery, as link jitter grows.

    Runs :func:`replnb.multi_leader.simulate` on an all-to-all topology
    (random workload; ``latency`` defaults to 10 ms, so a jitter of 10 ms
    spreads delays over 0..20 ms), on :func:`replnb.grid.sweep`, and returns,
    per jitter and delivery mode (``"as received"`` or ``"causal"``), the
    means over seeds of ``out_of_order``, ``causal_delay_ms`` (the mean wait
    of a remote write in the causal buffer), ``max_wait_ms`` (the longest
    such wait in the run) and ``convergence_time``. The runs together may
    expect at most :data:`MAX_WORK` units of work (:func:`run_work`).

    Examples
    --------
    >>> df = causality_sweep([0.0], seeds=[0], duration=200.0)
    >>> df[["jitter", "delivery", "out_of_order"]].values.tolist()
    [[0.0, 'as received', 0.0], [0.0, 'causal', 0.0]]
    """
    params = {"latency": 10.0, **_passed(params, ["topology", "leaders", "jitter", "causal", "seed"])}
    params["leaders"] = leaders
    jitters, seeds = list(jitters), list(seeds)  # already lists (checked)
    grid: dict[str, list[Any]] = {"jitter": jitters, "causal": list(DELIVERY), "seed": seeds}
    check_work(run_work(build("all-to-all", leaders), params) * len(jitters) * len(DELIVERY) * len(seeds))
    runs = grid_sweep(functools.partial(_causality_point, **params), grid)
    runs["delivery"] = runs["causal"].map(DELIVERY)
    columns = ["out_of_order", "causal_delay_ms", "max_wait_ms", "convergence_time"]
    return _means(runs, ["jitter", "delivery"], columns)
