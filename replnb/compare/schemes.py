"""The schemes of chapter 5 and the faults each one faces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from .. import leaderless, multi_leader, single_leader
from ..engine.latency import uniform
from ..engine.rng import Seed
from ..records import Run
from .faults import Faults, Layout, with_faults
from .workload import (
    ANTI_ENTROPY_MS,
    DETECTION_MS,
    FAMILIES,
    LINK_HIGH_MS,
    LINK_LOW_MS,
    SCHEMES,
    SETTLE_MS,
    TIMEOUT_MS,
    Workload,
)

__all__ = [
    "MAX_OPS",
    "NOT_APPLICABLE",
    "check_workload",
    "coverage",
    "effective_faults",
    "fault_record",
    "run_scheme",
    "with_faults",
]

#: The most operations a workload replayed through the schemes may hold: about 1000
#: operations take some 4 s through all seven schemes (a few hundred is the course's size).
MAX_OPS = 1000


def check_workload(workload: Any) -> Workload:
    """``workload`` itself, if it is a :class:`Workload` of at most :data:`MAX_OPS` operations.

    Examples
    --------
    >>> check_workload("x")
    Traceback (most recent call last):
    ...
    ValueError: workload must be a Workload of at most 1000 operations, got 'x'
    """
    if not isinstance(workload, Workload) or len(workload.ops) > MAX_OPS:
        is_one = isinstance(workload, Workload)
        shown = f"a workload of {len(workload.ops)} operations" if is_one else repr(workload)
        raise ValueError(f"workload must be a Workload of at most {MAX_OPS} operations, got {shown}")
    return workload


# -- replaying the workload through each scheme ----------------------------------------------


def _route(workload: Workload, faults: Faults, client: str, time: float) -> str:
    """The node a client talks to: its home (in its region), or the next live node while it is down."""
    nodes = workload.nodes
    start = nodes.index(workload.home[client])
    for i in range(len(nodes)):
        node = nodes[(start + i) % len(nodes)]
        if not faults.down(node, time):
            return node
    return workload.home[client]


def _regions(workload: Workload, layout: Layout) -> dict[str, str]:
    """The regions of the nodes and of the clients that issue operations (the models know no others)."""
    regions = layout.region_map(workload)
    active = {op.client for op in workload.ops}
    return {name: r for name, r in regions.items() if name in workload.nodes or name in active}


def _fault_lists(faults: Faults) -> dict[str, Any]:
    """The shared fault parameters as the models take them (``contract.md``)."""
    return {
        "crashes": list(faults.crashes) or None,
        "link_failures": list(faults.link_failures) or None,
        "partitions": [([list(g) for g in groups], at, end) for groups, at, end in faults.partitions] or None,
    }


def _single_leader(mode: str, workload: Workload, faults: Faults, layout: Layout, seed: Seed) -> Run:
    script = []
    for op in workload.ops:
        spec: dict[str, Any] = {"time": op.time, "client": op.client, "kind": op.kind, "key": op.key}
        if op.kind == "write":
            spec["value"] = op.value  # routed to the leader by the model
        elif mode == "async":  # reads at the replica of the client's region: fast, maybe stale
            spec["node"] = _route(workload, faults, op.client, op.time)
        # sync: reads at the leader too (routed by the model, to the new leader after a failover)
        script.append(spec)
    return single_leader.simulate(
        followers=len(workload.nodes) - 1,
        mode=mode,
        replication_delay=(LINK_LOW_MS + LINK_HIGH_MS) / 2,
        delay_distribution="uniform",
        fencing=True,
        duration=workload.duration,
        client_latency=layout.client_latency,
        client_timeout=TIMEOUT_MS,
        detection_timeout=DETECTION_MS,
        ops=script,
        regions=_regions(workload, layout),
        far_latency=layout.far_latency,
        seed=seed,
        crashes=_fault_lists(faults)["crashes"],
        link_failures=_fault_lists(faults)["link_failures"],
        partitions=_with_clients(workload, faults) or None,
    )


def _with_clients(workload: Workload, faults: Faults) -> list[tuple[list[list[str]], float, float | None]]:
    """The partitions with each client on its home node's side (a single leader's clients must reach
    the leader across the network; the other schemes' clients talk to a node of their own region)."""
    out = []
    for groups, at, end in faults.partitions:
        sides = [list(g) for g in groups]
        rest = [n for n in workload.nodes if not any(n in g for g in groups)]
        if rest:
            sides.append(rest)
        active = sorted({op.client for op in workload.ops})
        with_clients = [side + [c for c in active if workload.home[c] in side] for side in sides]
        out.append((with_clients, at, end))
    return out


def _multi_leader(resolver: str, workload: Workload, faults: Faults, layout: Layout, seed: Seed) -> Run:
    cart = resolver == "union"
    script = []
    for op in workload.ops:
        spec: dict[str, Any] = {
            "time": op.time,
            "client": op.client,
            "node": _route(workload, faults, op.client, op.time),
            "key": op.key,
        }
        if op.kind == "read":
            spec["op"] = "read"
        elif cart:
            spec.update(op="add", value=f"i{op.value}")
        else:
            spec.update(op="set", value=op.value)
        script.append(spec)
    lists = _fault_lists(faults)
    # the model's link failures are one-way: a cut link fails in both directions
    cuts = [(a, b, at, end) for x, y, at, end in faults.link_failures for a, b in ((x, y), (y, x))]
    return multi_leader.simulate(
        leaders=len(workload.nodes),
        resolver=resolver,
        topology="all-to-all",
        workload="cart" if cart else "register",
        clock_offsets=faults.clock_offsets(workload.nodes),
        ops=script,
        latency=(LINK_LOW_MS + LINK_HIGH_MS) / 2,
        jitter=(LINK_HIGH_MS - LINK_LOW_MS) / 2,
        crashes=lists["crashes"],
        link_failures=cuts or None,
        partitions=lists["partitions"],
        regions=_regions(workload, layout),
        far_latency=layout.far_latency,
        client_latency=layout.client_latency,
        seed=seed,
    )


#: The leaderless schemes: (R and W a majority?, what a replica keeps of concurrent writes).
_LEADERLESS = {
    "leaderless strict": (True, "lww"),
    "leaderless partial": (False, "lww"),
    "leaderless union": (False, "siblings"),
}


def _leaderless(scheme: str, workload: Workload, faults: Faults, layout: Layout, seed: Seed) -> Run:
    """A leaderless store; ``"leaderless union"`` keeps siblings, as Dynamo's shopping cart does.

    The union scheme is the partial quorum (``R = W = 1``: the coordinator
    of the client's region acknowledges after its own copy, so an add is
    accepted on either side of a partition) with ``merge="siblings"``: a
    replica keeps every version that no other replaces, by causal context,
    and a client's write replaces exactly what it had read of the key. Read
    as a cart, each write adds its own item to the union of the siblings its
    client read, so an item is in the final cart exactly when its write
    survives or is in the causal past of one that does: the model's
    ``lost_writes`` counts the items missing from the final cart.
    """
    strict, merge = _LEADERLESS[scheme]
    n = len(workload.nodes)
    quorum = n // 2 + 1
    script = [
        (op.time, op.kind, op.key, _route(workload, faults, op.client, op.time), op.client)
        for op in workload.ops
    ]
    return leaderless.simulate(
        n=n,
        r=quorum if strict else 1,
        w=quorum if strict else 1,
        nodes=n,
        duration=workload.duration,
        settle=SETTLE_MS,
        timeout=TIMEOUT_MS,
        read_repair=True,
        anti_entropy_interval=ANTI_ENTROPY_MS,
        clock_skew=faults.clock_skew / 2,  # the model draws each offset within +-clock_skew
        latency=uniform(LINK_LOW_MS, LINK_HIGH_MS),
        script=script,
        regions=_regions(workload, layout),
        far_latency=layout.far_latency,
        client_latency=layout.client_latency,
        seed=seed,
        crashes=list(faults.crashes),
        link_failures=list(faults.link_failures),
        partitions=[([list(g) for g in groups], at, end) for groups, at, end in faults.partitions],
        merge=merge,
    )


#: Why a fault does not apply to a scheme (shown in the coverage table instead of the fault).
NOT_APPLICABLE = {("single-leader", "clock skew"): "not applicable: the leader orders writes"}


def effective_faults(scheme: str, faults: Faults, nodes: Sequence[str] = ("A", "B", "C")) -> Faults:
    """The faults that reach ``scheme``'s model: all of them, but clock skew where it does not apply.

    A single leader orders writes by its log and never reads a clock, so
    clock skew does not apply to it (:data:`NOT_APPLICABLE`; the coverage
    table says so). Every other fault reaches every scheme as it was asked.

    Examples
    --------
    >>> effective_faults("single-leader sync", Faults()).clock_skew
    0.0
    >>> effective_faults("leaderless strict", Faults()) == Faults()
    True
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {list(SCHEMES)}, got {scheme!r}")
    faults.check(nodes)
    if FAMILIES[scheme] == "single-leader":
        return replace(faults, clock_skew=0.0)
    return faults


def run_scheme(
    scheme: str,
    workload: Workload,
    faults: Faults | None = None,
    *,
    layout: Layout | None = None,
    seed: Seed = 0,
) -> Run:
    """Replay ``workload`` through one scheme under ``faults``, placed as ``layout`` says.

    Only :func:`effective_faults` reach the model.

    Examples
    --------
    >>> from replnb.compare import make_workload
    >>> wl = make_workload(seed=2)
    >>> run = run_scheme("multi-leader LWW", wl, Faults.none())
    >>> run.model, len(run.ops) == len(wl.ops)
    ('multi-leader', True)
    >>> run_scheme("two-phase commit", wl)
    Traceback (most recent call last):
    ...
    ValueError: scheme must be one of ['single-leader async', 'single-leader sync', 'multi-leader LWW', \
'multi-leader union', 'leaderless strict', 'leaderless partial', 'leaderless union'], \
got 'two-phase commit'
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {list(SCHEMES)}, got {scheme!r}")
    check_workload(workload)
    faults = effective_faults(scheme, Faults() if faults is None else faults, workload.nodes)
    layout = Layout() if layout is None else _check_layout(layout)
    if scheme.startswith("single-leader"):
        return _single_leader(scheme.split()[-1], workload, faults, layout, seed)
    if scheme.startswith("multi-leader"):
        return _multi_leader("lww" if scheme.endswith("LWW") else "union", workload, faults, layout, seed)
    return _leaderless(scheme, workload, faults, layout, seed)


def _check_layout(layout: Any) -> Layout:
    if not isinstance(layout, Layout):
        raise ValueError(f"layout must be a replnb.compare.Layout, got {layout!r}")
    return layout


# -- what each run received ------------------------------------------------------------------


def _fault_names(faults: Faults) -> list[tuple[str, str, tuple[Any, ...]]]:
    """``(column, kind, fault)`` for every fault of ``faults``, in a fixed order."""
    out: list[tuple[str, str, tuple[Any, ...]]] = []
    for c in faults.crashes:
        out.append((f"crash {c[0]}", "crash", c))
    for p in faults.partitions:
        out.append(("partition " + " | ".join("".join(g) for g in p[0]), "partition", p))
    for lf in faults.link_failures:
        out.append((f"cut {lf[0]}-{lf[1]}", "link cut", lf))
    if faults.clock_skew > 0:
        out.append((f"skew {faults.clock_skew:g} ms", "clock skew", (faults.clock_skew,)))
    return out


def _logged(events: pd.DataFrame, event: str, time: float | None, node: str | None = None) -> bool:
    """Whether the run logged ``event`` at ``time`` (and at ``node``); ``time`` None: nothing to log."""
    if time is None:
        return True
    hit = (events["event"] == event) & ((events["time"] - time).abs() < 1e-9)
    if node is not None:
        hit &= events["node"] == node
    return bool(hit.any())


def fault_record(run: Run, faults: Faults) -> dict[str, bool]:
    """For each fault of ``faults``, whether ``run`` shows that its model received it.

    Read from what the run recorded, never from the parameters passed: a
    crash is received when the run's events log the node's ``crash`` (and
    ``recover``) at the asked times; a partition when they log the
    ``partition`` and its ``heal``; a link cut its ``link-cut`` and
    ``link-heal``; clock skew when the run's clock offsets
    (``run.extras["clock_offsets"]``) are not all equal.

    Examples
    --------
    >>> from replnb.compare import make_workload
    >>> run = run_scheme("multi-leader LWW", make_workload(seed=1))
    >>> fault_record(run, Faults())
    {'crash A': True, 'partition C': True, 'cut A-B': True, 'skew 50 ms': True}
    """
    events = run.events
    out = {}
    for column, kind, fault in _fault_names(faults):
        if kind == "crash":
            node, at, end = fault
            got = _logged(events, "crash", at, node) and _logged(events, "recover", end, node)
        elif kind == "partition":
            got = _logged(events, "partition", fault[1]) and _logged(events, "heal", fault[2])
        elif kind == "link cut":
            got = _logged(events, "link-cut", fault[2]) and _logged(events, "link-heal", fault[3])
        else:
            offsets = list(dict(run.extras.get("clock_offsets") or {}).values())
            got = len(set(offsets)) > 1
        out[column] = got
    return out


def coverage(runs: dict[str, Run], faults: Faults) -> pd.DataFrame:
    """Which fault each scheme's run received: one row per scheme, one column per fault.

    Each cell is ``"received"`` (the run recorded it, :func:`fault_record`),
    the reason it does not apply (:data:`NOT_APPLICABLE`: clock skew under a
    single leader), or ``"MISSING"``, which no run of the course shows (a
    test checks it): no fault is dropped silently.

    Examples
    --------
    >>> from replnb.compare import compare
    >>> runs = {}
    >>> _ = compare(seed=0, runs=runs, schemes=["multi-leader LWW", "multi-leader union"])
    >>> coverage(runs, Faults()).loc["multi-leader union"].tolist()
    ['received', 'received', 'received', 'received']
    """
    rows = {}
    for scheme, run in runs.items():
        got = fault_record(run, effective_faults(scheme, faults))
        row = {}
        for column, kind, _ in _fault_names(faults):
            reason = NOT_APPLICABLE.get((FAMILIES[scheme], kind))
            row[column] = reason or ("received" if got[column] else "MISSING")
        rows[scheme] = row
    table = pd.DataFrame.from_dict(rows, orient="index", columns=[c for c, _, _ in _fault_names(faults)])
    table.index.name = "scheme"
    return table
