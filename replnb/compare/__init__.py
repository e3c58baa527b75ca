"""Chapter 5: one workload, the same faults, every replication scheme side by side.

:func:`make_workload` draws a workload once from a seed: clients, keys,
operation times and written values (every write writes a value of its own,
so a value found in a replica names the write that put it there). Each
client lives next to one node, its *home* (client ``c1`` next to ``A``,
``c2`` next to ``B``, ...). :func:`run_scheme` replays that workload through
one scheme of :data:`SCHEMES` under one set of :class:`Faults` (a node
crash, clock skew, a partition that heals), and :func:`compare` does it for
every scheme and returns a table with one row per scheme.

The five columns are computed here, from the runs, with the functions of
:mod:`replnb.metrics`, so that they mean exactly the same for every scheme:

``lost_writes``
    acknowledged writes missing from the final state (register:
    :func:`~replnb.metrics.lost_writes`; the union merge keeps a set of
    items per key, and a lost write is an acknowledged item missing from it,
    :func:`~replnb.metrics.lost_elements`). The final state of a key is the
    value held by most live replicas (ties: the first in name order).
``stale_reads``
    completed reads that miss a write acknowledged before they began
    (:func:`~replnb.metrics.stale_reads`, versions ranked per key by the true
    time at which writes began; for sets, a read that lacks an acknowledged
    item).
``write_availability``
    acknowledged writes / writes attempted.
``write_latency_p99_ms``
    the 99th percentile of the acknowledged writes' latency
    (:func:`~replnb.metrics.percentile`), from the moment the operation
    reached the system to its acknowledgement.
``convergence_time_ms``
    :func:`~replnb.metrics.convergence_time` from the later of the last
    acknowledged write and the end of the last fault; ``inf`` when the live
    replicas never agree.

The models do not all accept every fault or an explicit workload;
:func:`coverage` says, for each scheme, what was applied as asked, what was
approximated and how, and what could not be applied. The notebook shows it.
"""

from __future__ import annotations

from . import results, schemes, workload
from .results import (
    Comparison,
    annotate,
    compare,
    rank_schemes,
    scheme_metrics,
    scripted_race,
    sweep,
    verdicts,
)
from .schemes import MAX_OPS, Faults, check_workload, coverage, effective_faults, run_scheme, with_faults
from .workload import (
    ANTI_ENTROPY_MS,
    COLUMNS,
    DETECTION_MS,
    FAMILIES,
    LINK_HIGH_MS,
    LINK_LOW_MS,
    MIXES,
    SCHEMES,
    SETTLE_MS,
    TIMEOUT_MS,
    Op,
    Workload,
    make_workload,
)

__all__ = [
    "ANTI_ENTROPY_MS",
    "COLUMNS",
    "DETECTION_MS",
    "FAMILIES",
    "LINK_HIGH_MS",
    "LINK_LOW_MS",
    "MAX_OPS",
    "MIXES",
    "SCHEMES",
    "SETTLE_MS",
    "TIMEOUT_MS",
    "Comparison",
    "Faults",
    "Op",
    "Workload",
    "annotate",
    "check_workload",
    "compare",
    "coverage",
    "effective_faults",
    "make_workload",
    "rank_schemes",
    "results",
    "run_scheme",
    "scheme_metrics",
    "schemes",
    "scripted_race",
    "sweep",
    "verdicts",
    "with_faults",
    "workload",
]
