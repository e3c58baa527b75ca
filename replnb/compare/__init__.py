"""Chapter 5: one workload, the same faults, every replication scheme side by side.

:func:`make_workload` draws a workload once from a seed: clients, keys,
operation times and written values (every write writes a value of its own,
so a value found in a replica names the write that put it there). Each
client lives next to one node, its *home* (client ``c1`` next to ``A``,
``c2`` next to ``B``, ...). :func:`run_scheme` replays that workload through
one scheme of :data:`SCHEMES` under one set of :class:`Faults` (a node
crash, clock skew, a partition that heals), and :func:`compare` does it for
every scheme and returns a table with one row per scheme.

The five columns mean exactly the same for every scheme because none of
them is judged here: whether a write was lost (and why), whether a read was
stale and when the replicas converged is each model's own verdict, by the
causal definitions of :mod:`replnb.metrics` (DESIGN.md, "Metric
definitions"; physical time never decides concurrency). One adapter,
:func:`model_figures`, reads them from a run:

``lost_writes``
    acknowledged writes that the converged final state does not include,
    neither as a surviving version nor in the causal past of one; the
    models also report each loss's cause (``lost_failover``,
    ``lost_older_write_won``, ``lost_concurrent``: :func:`model_table`).
    For the union merge, an acknowledged item missing from the final set.
``stale_reads``
    reads that miss a write acknowledged before they began that is not lost.
``write_availability``
    acknowledged writes / writes attempted.
``write_latency_p99_ms``
    the 99th percentile of the acknowledged writes' latency
    (:func:`~replnb.metrics.percentile`), from the moment the operation
    reached the system to its acknowledgement.
``convergence_time_ms``
    the model's ``convergence_time``: from the later of the last
    acknowledged write and the end of the last fault until every live
    replica holds the same writes (by identity); ``inf`` when never.

The models do not all accept every fault or an explicit workload;
:func:`coverage` says, for each scheme, what was applied as asked, what was
approximated and how, and what could not be applied. The notebook shows it.
"""

from __future__ import annotations

from . import faults, results, schemes, workload
from .faults import Faults, Layout
from .results import (
    MODEL_FIGURES,
    Comparison,
    annotate,
    compare,
    model_figures,
    model_table,
    rank_schemes,
    scheme_metrics,
    scripted_burst,
    scripted_race,
    sweep,
    verdicts,
)
from .schemes import (
    MAX_OPS,
    NOT_APPLICABLE,
    check_workload,
    coverage,
    effective_faults,
    fault_record,
    run_scheme,
    with_faults,
)
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
    "MODEL_FIGURES",
    "NOT_APPLICABLE",
    "SCHEMES",
    "SETTLE_MS",
    "TIMEOUT_MS",
    "Comparison",
    "Faults",
    "Layout",
    "Op",
    "Workload",
    "annotate",
    "check_workload",
    "compare",
    "coverage",
    "effective_faults",
    "fault_record",
    "faults",
    "make_workload",
    "model_figures",
    "model_table",
    "rank_schemes",
    "results",
    "run_scheme",
    "scheme_metrics",
    "schemes",
    "scripted_burst",
    "scripted_race",
    "sweep",
    "verdicts",
    "with_faults",
    "workload",
]
